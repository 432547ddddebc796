using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Strongroom.Core;
using Strongroom.Destruction;

namespace Strongroom.Server;

/// <summary>
/// Every <see cref="Limits.DestructionSweepInterval"/>, runs one destruction sweep
/// (<see cref="DestructionService.SweepAsync"/>: purges soft-deleted data past its retention,
/// destroys closed accounts past their grace, deletes the copies open destructions still owe,
/// completes them and issues their certificates), as <see cref="Actor.System"/>. Skips ticks while
/// the vault is sealed. A pass blocked by a legal hold is logged (account and container names only)
/// and retried on the next tick; a failure is logged as type and code. Timed by the injected
/// <see cref="TimeProvider"/>; tests await <see cref="RunOnceAsync"/>.
/// </summary>
public sealed class DestructionSweepService(Func<CancellationToken, Task<SweepPass>> sweep, Func<bool> isSealed, TimeProvider time, ILogger? logger = null) : BackgroundService
{
    private readonly PeriodicTimer timer = new(Limits.DestructionSweepInterval, time);

    /// <summary>Runs a pass only while this server holds the job's lease (issue 9); <see cref="JobGate.Always"/> alone on a store.</summary>
    public JobGate Gate { get; init; } = JobGate.Always(BackgroundJobs.DestructionSweep);

    /// <summary>Runs one pass now (null while sealed, while another server holds the job, or after a failure, which is logged).</summary>
    public async Task<SweepPass?> RunOnceAsync(CancellationToken cancellationToken = default)
    {
        if (isSealed())
        {
            await Gate.ReleaseAsync(cancellationToken).ConfigureAwait(false);
            return null;
        }

        if (!await Gate.HoldsAsync(cancellationToken).ConfigureAwait(false))
        {
            return null;
        }

        using var context = OperationContext.Begin(new OperationContext(Actor.System));
        try
        {
            var pass = await sweep(cancellationToken).ConfigureAwait(false);
            foreach (var blocked in pass.Blocked)
            {
                logger?.LogWarning("Destruction sweep: {Blocked}.", blocked);
            }

            return pass;
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            throw;
        }
        catch (StorageException exception) when (exception.Code == ErrorCode.VaultSealed)
        {
            return null;
        }
        catch (Exception exception)
        {
            logger?.LogError("Destruction sweep failed: {ExceptionType} {Code}; the next tick retries.", exception.GetType().Name, (exception as StorageException)?.Code);
            return null;
        }
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        try
        {
            while (await timer.WaitForNextTickAsync(stoppingToken).ConfigureAwait(false))
            {
                await RunOnceAsync(stoppingToken).ConfigureAwait(false);
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
            // Stopping.
        }
    }

    public override void Dispose()
    {
        timer.Dispose();
        base.Dispose();
    }
}
