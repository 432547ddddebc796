using Microsoft.Extensions.Time.Testing;
using Strongroom.Core;
using Strongroom.Placement;
using Strongroom.Server;
using Strongroom.Storage;

namespace Strongroom.Cli.Tests;

/// <summary>
/// Issue 9: site health is per process, and the repair pass (which also probes down sites) runs
/// only on the holder of the repair job's lease. A server that does not hold it — here, one with no
/// repair worker at all — still sees a down site come back, by its own probe, on a fake clock.
/// </summary>
public sealed class SiteHealthProberTests : IAsyncLifetime
{
    private readonly string directory = Directory.CreateTempSubdirectory("strongroom-site-health-").FullName;
    private readonly FakeTimeProvider time = new(new DateTimeOffset(2026, 11, 30, 12, 0, 0, TimeSpan.Zero));
    private SwitchableSite site = null!;

    public Task InitializeAsync()
    {
        site = new SwitchableSite(new LocalDirectorySite(Topology.SingleSiteId, Path.Combine(directory, "site")));
        return Task.CompletedTask;
    }

    public async Task DisposeAsync()
    {
        await site.DisposeAsync();
        Directory.Delete(directory, recursive: true);
    }

    [Fact]
    public async Task A_server_without_the_repair_lease_sees_its_down_site_come_back_at_its_next_probe()
    {
        var sites = new SiteSet(Topology.SingleLocalSite(Path.Combine(directory, "site")), new Dictionary<string, ISite> { [Topology.SingleSiteId] = site }, time);
        using var prober = new SiteHealthProber(sites, time);
        var ticks = new System.Collections.Concurrent.ConcurrentQueue<IReadOnlyList<string>>();
        var ticked = new SemaphoreSlim(0);
        prober.TickHandled += back =>
        {
            ticks.Enqueue(back);
            ticked.Release();
        };
        await prober.StartAsync(CancellationToken.None);

        // A write through this server failed on the site: it is down here.
        site.Down = true;
        sites.ReportFailure(Topology.SingleSiteId, new IOException("unreachable"));
        Assert.False(sites.IsUp(Topology.SingleSiteId));

        // Still down at the next probe: it stays down.
        time.Advance(Limits.SiteProbeInterval);
        Assert.True(await ticked.WaitAsync(TimeSpan.FromSeconds(30)));
        Assert.True(ticks.TryDequeue(out var none));
        Assert.Empty(none);
        Assert.False(sites.IsUp(Topology.SingleSiteId));

        // The site answers again; not before the interval has passed, then up.
        site.Down = false;
        time.Advance(Limits.SiteProbeInterval - TimeSpan.FromMilliseconds(1));
        Assert.False(sites.IsUp(Topology.SingleSiteId));
        time.Advance(TimeSpan.FromMilliseconds(1));
        Assert.True(await ticked.WaitAsync(TimeSpan.FromSeconds(30)));
        Assert.True(ticks.TryDequeue(out var back));
        Assert.Equal([Topology.SingleSiteId], back);
        Assert.True(sites.IsUp(Topology.SingleSiteId));

        await prober.StopAsync(CancellationToken.None);
    }

    /// <summary>A site that can be made unreachable (every call an <see cref="IOException"/>).</summary>
    private sealed class SwitchableSite(LocalDirectorySite inner) : ISite, IAsyncDisposable
    {
        public volatile bool Down;

        public string Id => inner.Id;

        public Task<ISiteWrite> BeginWriteAsync(string objectId, CancellationToken cancellationToken = default) =>
            Down ? throw new IOException("down") : inner.BeginWriteAsync(objectId, cancellationToken);

        public Task<Stream> OpenReadAsync(string objectId, CancellationToken cancellationToken = default) =>
            Down ? throw new IOException("down") : inner.OpenReadAsync(objectId, cancellationToken);

        public Task CheckAsync(CancellationToken cancellationToken = default) =>
            Down ? throw new IOException("down") : inner.CheckAsync(cancellationToken);

        public Task DeleteAsync(string objectId, CancellationToken cancellationToken = default) =>
            Down ? throw new IOException("down") : inner.DeleteAsync(objectId, cancellationToken);

        public IAsyncEnumerable<string> ListObjectIdsAsync(CancellationToken cancellationToken = default) => inner.ListObjectIdsAsync(cancellationToken);

        public ValueTask DisposeAsync() => inner.DisposeAsync();
    }
}
