using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Strongroom.Core;

namespace Strongroom.Server;

/// <summary>
/// Every <see cref="Limits.AccessSweepInterval"/>, expires lockbox requests and transfer requests
/// left unanswered past their pending lifetime and ends grants past their end
/// (<c>LockboxService.ExpireDueAsync</c>, <c>TransferService.ExpireDueAsync</c>; each move is
/// recorded by the service, as <see cref="Actor.System"/>). The services also check times on every
/// use, so the sweep only makes the states and the tenant's log say so without waiting for a call.
/// Skips ticks while the vault is sealed (the services read keys to record and validate). One
/// sweep's failure does not stop the other's; failures are logged as type and code only. Timed by
/// the injected <see cref="TimeProvider"/>, so tests advance a fake clock.
/// </summary>
public sealed class AccessSweepService(
    Func<CancellationToken, Task<int>> expireLockbox,
    Func<CancellationToken, Task<int>> expireTransfers,
    Func<bool> isSealed,
    TimeProvider time,
    ILogger? logger = null) : BackgroundService
{
    // Created with the service, so the first interval counts from construction.
    private readonly PeriodicTimer timer = new(Limits.AccessSweepInterval, time);

    /// <summary>Runs a pass only while this server holds the job's lease (issue 9); <see cref="JobGate.Always"/> alone on a store.</summary>
    public JobGate Gate { get; init; } = JobGate.Always(BackgroundJobs.AccessSweep);

    /// <summary>Raised after each tick: the requests and grants moved, or null when the tick was skipped (sealed, or another server holds the job); for tests.</summary>
    public event Action<AccessSweep?>? TickHandled;

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var context = OperationContext.Begin(new OperationContext(Actor.System));
        try
        {
            while (await timer.WaitForNextTickAsync(stoppingToken).ConfigureAwait(false))
            {
                if (isSealed())
                {
                    await Gate.ReleaseAsync(stoppingToken).ConfigureAwait(false);
                    TickHandled?.Invoke(null);
                    continue;
                }

                if (!await Gate.HoldsAsync(stoppingToken).ConfigureAwait(false))
                {
                    TickHandled?.Invoke(null);
                    continue;
                }

                var lockbox = await SweepAsync("lockbox requests and grants", expireLockbox, stoppingToken).ConfigureAwait(false);
                var transfers = await SweepAsync("transfer requests", expireTransfers, stoppingToken).ConfigureAwait(false);
                TickHandled?.Invoke(new AccessSweep(lockbox, transfers));
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
            // Stopping.
        }
    }

    private async Task<int?> SweepAsync(string what, Func<CancellationToken, Task<int>> sweep, CancellationToken stoppingToken)
    {
        try
        {
            return await sweep(stoppingToken).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
            throw;
        }
        catch (StorageException exception) when (exception.Code == ErrorCode.VaultSealed)
        {
            // Sealed between the check and the sweep: the next unsealed tick does it.
            return null;
        }
        catch (Exception exception)
        {
            logger?.LogError("Expiring {What} failed: {ExceptionType} {Code}; the next sweep retries.", what, exception.GetType().Name, (exception as StorageException)?.Code);
            return null;
        }
    }

    public override void Dispose()
    {
        timer.Dispose();
        base.Dispose();
    }
}

/// <summary>What one sweep moved: lockbox requests and grants, transfer requests; null for a sweep that failed.</summary>
public sealed record AccessSweep(int? Lockbox, int? Transfers);
