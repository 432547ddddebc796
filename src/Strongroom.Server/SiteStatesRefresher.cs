using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Strongroom.Core;
using Strongroom.Placement;
using Strongroom.Storage;

namespace Strongroom.Server;

/// <summary>
/// Reads the sites' durable states (drain, removal) from the store every
/// <see cref="Limits.SiteStatesRefreshInterval"/>, so a change made through another server of the
/// deployment reaches this server's placement (a change made here applies at once). Runs on every
/// server, not once per deployment: each keeps its own view. Needs no key. A failed read is logged
/// (type and code only) and the next tick retries. Timed by the injected <see cref="TimeProvider"/>.
/// </summary>
public sealed class SiteStatesRefresher(SiteSet sites, IPlacementStore store, TimeProvider time, ILogger? logger = null) : BackgroundService
{
    private readonly PeriodicTimer timer = new(Limits.SiteStatesRefreshInterval, time);

    /// <summary>Raised after each tick: true when the states were read and applied; for tests.</summary>
    public event Action<bool>? TickHandled;

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        try
        {
            while (await timer.WaitForNextTickAsync(stoppingToken).ConfigureAwait(false))
            {
                var applied = false;
                try
                {
                    await sites.RefreshStatesAsync(store, stoppingToken).ConfigureAwait(false);
                    applied = true;
                }
                catch (Exception exception) when (exception is not OperationCanceledException)
                {
                    logger?.LogError("Reading the sites' states failed: {ExceptionType} {Code}", exception.GetType().Name, (exception as StorageException)?.Code);
                }

                TickHandled?.Invoke(applied);
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
