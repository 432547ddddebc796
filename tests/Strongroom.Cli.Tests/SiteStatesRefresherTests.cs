using Microsoft.Extensions.Time.Testing;
using Strongroom.Core;
using Strongroom.Placement;
using Strongroom.Server;
using Strongroom.Storage;

namespace Strongroom.Cli.Tests;

/// <summary>
/// Issue 9: a site's durable state changed through one server reaches another server's site set
/// within <see cref="Limits.SiteStatesRefreshInterval"/> (two stores on one SQLite file stand for
/// two servers on one shared store), on a fake clock.
/// </summary>
public sealed class SiteStatesRefresherTests : IAsyncLifetime
{
    private readonly string directory = Directory.CreateTempSubdirectory("strongroom-site-states-").FullName;
    private readonly FakeTimeProvider time = new(new DateTimeOffset(2026, 11, 30, 12, 0, 0, TimeSpan.Zero));
    private SqlMetadataStore here = null!;
    private SqlMetadataStore there = null!;
    private LocalDirectorySite site = null!;

    public async Task InitializeAsync()
    {
        here = await SqlMetadataStore.OpenSqliteAsync(Path.Combine(directory, "metadata.db"));
        there = await SqlMetadataStore.OpenSqliteAsync(Path.Combine(directory, "metadata.db"));
        site = new LocalDirectorySite(Topology.SingleSiteId, Path.Combine(directory, "site"));
    }

    public async Task DisposeAsync()
    {
        await here.DisposeAsync();
        await there.DisposeAsync();
        await site.DisposeAsync();
        Directory.Delete(directory, recursive: true);
    }

    [Fact]
    public async Task A_drain_recorded_through_another_server_reaches_this_one_at_the_next_refresh()
    {
        var sites = new SiteSet(Topology.SingleLocalSite(site.RootDirectory), new Dictionary<string, ISite> { [Topology.SingleSiteId] = site }, time);
        using var refresher = new SiteStatesRefresher(sites, here, time);
        var next = new TaskCompletionSource<bool>(TaskCreationOptions.RunContinuationsAsynchronously);
        refresher.TickHandled += applied => next.TrySetResult(applied);
        await refresher.StartAsync(CancellationToken.None);

        // The other server marks the site Draining in the shared store.
        await there.SetSiteStateAsync(Topology.SingleSiteId, SiteState.Draining);
        Assert.Equal(SiteState.Active, sites.Get(Topology.SingleSiteId).Descriptor.State);

        time.Advance(Limits.SiteStatesRefreshInterval - TimeSpan.FromMilliseconds(1));
        Assert.False(next.Task.IsCompleted);
        time.Advance(TimeSpan.FromMilliseconds(1));
        Assert.True(await next.Task.WaitAsync(TimeSpan.FromSeconds(30)));
        Assert.Equal(SiteState.Draining, sites.Get(Topology.SingleSiteId).Descriptor.State);
        Assert.Equal(SiteState.Draining, Assert.Single(sites.Sites).State);

        await refresher.StopAsync(CancellationToken.None);
    }
}
