using System.Threading.Channels;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Strongroom.Core;
using Strongroom.Placement;

namespace Strongroom.Server;

/// <summary>
/// Runs the repair worker's passes (replication, repair, tombstones, orphans, scrub) every
/// <see cref="Limits.RepairInterval"/>, and early when <see cref="RepairWorker.Wake"/> asks (a
/// write owed copies, a read found a bad one; requests made during a pass coalesce into one more
/// pass). Needs no key, so it runs sealed or not. Runs as <see cref="Actor.System"/>. A failed
/// pass is logged (type and code only, never a message that could carry a secret) and the next
/// one retries. Timed by the injected <see cref="TimeProvider"/>.
/// </summary>
public sealed class RepairHostedService : BackgroundService
{
    private readonly Func<CancellationToken, Task<RepairPass>> runPass;
    private readonly RepairWorker? worker;
    private readonly ILogger? logger;
    private readonly PeriodicTimer timer;
    private readonly Channel<bool> wakes = Channel.CreateBounded<bool>(new BoundedChannelOptions(1)
    {
        FullMode = BoundedChannelFullMode.DropWrite,
        SingleReader = true,
    });

    public RepairHostedService(RepairWorker worker, TimeProvider time, ILogger? logger = null)
        : this(worker.RunPassAsync, time, logger)
    {
        this.worker = worker;
        worker.WakeRequested += Wake;
    }

    /// <summary>Over any pass (tests inject failures).</summary>
    public RepairHostedService(Func<CancellationToken, Task<RepairPass>> runPass, TimeProvider time, ILogger? logger = null)
    {
        ArgumentNullException.ThrowIfNull(runPass);
        this.runPass = runPass;
        this.logger = logger;

        // Created with the service, so the first interval counts from construction.
        timer = new PeriodicTimer(Limits.RepairInterval, time);
    }

    /// <summary>Runs a pass only while this server holds the job's lease (issue 9); <see cref="JobGate.Always"/> alone on a store.</summary>
    public JobGate Gate { get; init; } = JobGate.Always(BackgroundJobs.Repair);

    /// <summary>Raised after each pass has been handled: its result, or null when it failed; for tests.</summary>
    public event Action<RepairPass?>? PassHandled;

    /// <summary>Raised instead of <see cref="PassHandled"/> when another server holds the job (its own passes do the work); for tests.</summary>
    public event Action? PassSkipped;

    /// <summary>Asks for a pass now; returns at once.</summary>
    public void Wake() => wakes.Writer.TryWrite(true);

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var context = OperationContext.Begin(new OperationContext(Actor.System));
        Task<bool>? tick = null;
        Task<bool>? wake = null;
        try
        {
            while (true)
            {
                // Each wait stays pending across iterations: a PeriodicTimer takes one waiter at a time.
                tick ??= timer.WaitForNextTickAsync(stoppingToken).AsTask();
                wake ??= wakes.Reader.WaitToReadAsync(stoppingToken).AsTask();
                var first = await Task.WhenAny(tick, wake).ConfigureAwait(false);
                if (first == tick)
                {
                    if (!await tick.ConfigureAwait(false))
                    {
                        return;
                    }

                    tick = null;
                }
                else
                {
                    await wake.ConfigureAwait(false);
                    wakes.Reader.TryRead(out _);
                    wake = null;
                }

                await RunOnceAsync(stoppingToken).ConfigureAwait(false);
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
            // Stopping.
        }
    }

    private async Task RunOnceAsync(CancellationToken stoppingToken)
    {
        // A wake here (a write on this server owed copies) while another server holds the job is
        // not lost: the owed copies are rows in the store, and the holder's next periodic pass
        // (every RepairInterval) makes them.
        if (!await Gate.HoldsAsync(stoppingToken).ConfigureAwait(false))
        {
            PassSkipped?.Invoke();
            return;
        }

        RepairPass? pass = null;
        try
        {
            pass = await runPass(stoppingToken).ConfigureAwait(false);
            if (pass.CopiesMarkedBad > 0 || pass.OrphansRemoved > 0)
            {
                logger?.LogWarning(
                    "Repair pass: {CopiesMade} copies made, {CopiesMarkedBad} marked bad, {TombstonesCarried} deletions carried, {OrphansRemoved} orphans removed, {CopiesMoved} moved.",
                    pass.CopiesMade,
                    pass.CopiesMarkedBad,
                    pass.TombstonesCarried,
                    pass.OrphansRemoved,
                    pass.CopiesMoved);
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
            throw;
        }
        catch (Exception exception)
        {
            logger?.LogError("A repair pass failed: {ExceptionType} {Code}; the next pass retries.", exception.GetType().Name, (exception as StorageException)?.Code);
        }

        PassHandled?.Invoke(pass);
    }

    public override void Dispose()
    {
        if (worker is not null)
        {
            worker.WakeRequested -= Wake;
        }

        timer.Dispose();
        base.Dispose();
    }
}
