using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Strongroom.Core;

namespace Strongroom.Server;

/// <summary>
/// Signs a checkpoint for every log that grew, every <see cref="Limits.AuditCheckpointInterval"/>
/// (issue 4: checkpoints are published at a bounded interval; tenants also get one on demand).
/// Skips ticks while the vault is sealed: the signing key exists only while it is unsealed. Runs
/// as <see cref="Actor.System"/>. Timed by the injected <see cref="TimeProvider"/>, so tests
/// advance a fake clock instead of sleeping.
/// </summary>
public sealed class CheckpointPublisher(Func<CancellationToken, Task<int>> publish, Func<bool> isSealed, TimeProvider time, ILogger? logger = null) : BackgroundService
{
    // Created with the service, so the first interval counts from construction, not from whenever the host runs ExecuteAsync.
    private readonly PeriodicTimer timer = new(Limits.AuditCheckpointInterval, time);

    /// <summary>Runs a pass only while this server holds the job's lease (issue 9); <see cref="JobGate.Always"/> alone on a store.</summary>
    public JobGate Gate { get; init; } = JobGate.Always(BackgroundJobs.AuditCheckpoints);

    /// <summary>Completes after each tick has been handled (published, skipped — sealed, or another server holds the job — or failed); for tests.</summary>
    public event Action<int?>? TickHandled;

    protected override Task ExecuteAsync(CancellationToken stoppingToken) =>
        PeriodicAudit.RunAsync(timer, stoppingToken, async token =>
        {
            if (isSealed())
            {
                // The signing key is not here: let an unsealed server of the deployment take the job.
                await Gate.ReleaseAsync(token).ConfigureAwait(false);
                TickHandled?.Invoke(null);
                return;
            }

            if (!await Gate.HoldsAsync(token).ConfigureAwait(false))
            {
                TickHandled?.Invoke(null);
                return;
            }

            int? published = null;
            try
            {
                published = await publish(token).ConfigureAwait(false);
            }
            catch (StorageException exception) when (exception.Code == ErrorCode.VaultSealed)
            {
                // Sealed between the check and the signing: the next unsealed tick publishes.
            }
            catch (Exception exception) when (exception is not OperationCanceledException)
            {
                logger?.LogError("Publishing transparency log checkpoints failed: {ExceptionType} {Code}", exception.GetType().Name, (exception as StorageException)?.Code);
            }

            TickHandled?.Invoke(published);
        });

    public override void Dispose()
    {
        timer.Dispose();
        base.Dispose();
    }
}

/// <summary>
/// Erases entry bodies past their log's retention every <see cref="Limits.AuditPruneInterval"/>
/// (hashes stay, so proofs keep working). Needs no key, so it runs sealed or not.
/// </summary>
public sealed class AuditPruner(Func<CancellationToken, Task<long>> prune, TimeProvider time, ILogger? logger = null) : BackgroundService
{
    private readonly PeriodicTimer timer = new(Limits.AuditPruneInterval, time);

    /// <summary>Runs a pass only while this server holds the job's lease (issue 9); <see cref="JobGate.Always"/> alone on a store.</summary>
    public JobGate Gate { get; init; } = JobGate.Always(BackgroundJobs.AuditPrune);

    /// <summary>After each tick: the bodies erased, or null when it failed or another server holds the job; for tests.</summary>
    public event Action<long?>? TickHandled;

    protected override Task ExecuteAsync(CancellationToken stoppingToken) =>
        PeriodicAudit.RunAsync(timer, stoppingToken, async token =>
        {
            long? pruned = null;
            if (!await Gate.HoldsAsync(token).ConfigureAwait(false))
            {
                TickHandled?.Invoke(null);
                return;
            }

            try
            {
                pruned = await prune(token).ConfigureAwait(false);
            }
            catch (Exception exception) when (exception is not OperationCanceledException)
            {
                logger?.LogError("Pruning transparency log entries failed: {ExceptionType} {Code}", exception.GetType().Name, (exception as StorageException)?.Code);
            }

            TickHandled?.Invoke(pruned);
        });

    public override void Dispose()
    {
        timer.Dispose();
        base.Dispose();
    }
}

internal static class PeriodicAudit
{
    public static async Task RunAsync(PeriodicTimer timer, CancellationToken stoppingToken, Func<CancellationToken, Task> tick)
    {
        using var context = OperationContext.Begin(new OperationContext(Actor.System));
        try
        {
            while (await timer.WaitForNextTickAsync(stoppingToken).ConfigureAwait(false))
            {
                await tick(stoppingToken).ConfigureAwait(false);
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
            // Stopping.
        }
    }
}
