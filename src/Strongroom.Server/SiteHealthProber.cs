using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Strongroom.Core;
using Strongroom.Placement;

namespace Strongroom.Server;

/// <summary>
/// Probes the sites this server has marked down every <see cref="Limits.SiteProbeInterval"/>, so a
/// site that comes back is up again here. Site health is per process (a failure this server saw
/// marks the site down in its own <see cref="SiteSet"/>), so every server probes its own down
/// sites: the repair pass also probes, but it runs only on the holder of the repair job's lease,
/// and a server that does not hold it would otherwise keep a returned site down (and refuse
/// writes that need it) for ever. Only the probe runs here; the repair work stays once per
/// deployment. Needs no key. Timed by the injected <see cref="TimeProvider"/>.
/// </summary>
public sealed class SiteHealthProber(SiteSet sites, TimeProvider time, ILogger? logger = null) : BackgroundService
{
    private readonly PeriodicTimer timer = new(Limits.SiteProbeInterval, time);

    /// <summary>Raised after each tick with the ids of the sites that came back; for tests.</summary>
    public event Action<IReadOnlyList<string>>? TickHandled;

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        try
        {
            while (await timer.WaitForNextTickAsync(stoppingToken).ConfigureAwait(false))
            {
                IReadOnlyList<string> back = [];
                try
                {
                    back = await sites.ProbeDownSitesAsync(stoppingToken).ConfigureAwait(false);
                    foreach (var siteId in back)
                    {
                        logger?.LogInformation("Site {SiteId} answers again; it is up on this server.", siteId);
                    }
                }
                catch (Exception exception) when (exception is not OperationCanceledException)
                {
                    logger?.LogError("Probing the down sites failed: {ExceptionType}", exception.GetType().Name);
                }

                TickHandled?.Invoke(back);
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
