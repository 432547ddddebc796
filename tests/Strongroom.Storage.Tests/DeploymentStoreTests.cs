using Strongroom.TestSupport;
using Strongroom.Core;

namespace Strongroom.Storage.Tests;

/// <summary>
/// Instances and background-job leases (issue 9, <see cref="IDeploymentStore"/>): registration and
/// the topology check, heartbeats, acquisition, expiry, handover, fencing, requests. Every time is
/// passed in, as the coordinator passes its injected clock's.
/// </summary>
public sealed class DeploymentStoreTests : StoreTestBase
{
    private static readonly TimeSpan Ttl = Limits.JobLeaseDuration;

    private static DeploymentInstance Instance(string id, DateTimeOffset now, string fingerprint = "aaaa") =>
        new(id, "host-" + id, 4242, "1.2.3.4", [], null, fingerprint, now, now, null);

    [Fact]
    public async Task Instances_register_publish_endpoints_heartbeat_and_stop()
    {
        IDeploymentStore store = Store;
        Assert.Null(await store.RegisterInstanceAsync(Instance("one", T0)));
        Assert.True(await store.SetInstanceEndpointsAsync("one", ["http://127.0.0.1:10000/"], "https://127.0.0.1:10010/"));
        Assert.False(await store.SetInstanceEndpointsAsync("nobody", [], null));
        Assert.NotNull(await store.HeartbeatAsync("one", T0.AddSeconds(2), Ttl, []));

        var instance = Assert.Single(await store.ListInstancesAsync());
        Assert.Equal(["http://127.0.0.1:10000/"], instance.DataEndpoints);
        Assert.Equal("https://127.0.0.1:10010/", instance.ManagementEndpoint);
        Assert.Equal("host-one", instance.HostName);
        Assert.Equal(4242, instance.ProcessId);
        Assert.Equal(T0, instance.StartedOn);
        Assert.Equal(T0.AddSeconds(2), instance.SeenOn);
        Assert.True(instance.IsAliveAt(T0.AddSeconds(3)));
        Assert.False(instance.IsAliveAt(T0.AddSeconds(2) + Limits.InstanceStaleAfter));

        await store.StopInstanceAsync("one", T0.AddSeconds(5));
        instance = Assert.Single(await store.ListInstancesAsync());
        Assert.Equal(T0.AddSeconds(5), instance.StoppedOn);
        Assert.False(instance.IsAliveAt(T0.AddSeconds(5)));

        // A stopped instance's heartbeat is refused: it holds nothing any more.
        Assert.Null(await store.HeartbeatAsync("one", T0.AddSeconds(6), Ttl, []));
    }

    [Fact]
    public async Task A_live_instance_with_another_topology_refuses_the_registration_and_a_stale_one_does_not()
    {
        IDeploymentStore store = Store;
        Assert.Null(await store.RegisterInstanceAsync(Instance("one", T0, "aaaa")));
        Assert.Null(await store.RegisterInstanceAsync(Instance("same", T0.AddSeconds(1), "aaaa")));

        var conflict = await store.RegisterInstanceAsync(Instance("two", T0.AddSeconds(1), "bbbb"));
        Assert.NotNull(conflict);
        Assert.Equal("aaaa", conflict.TopologyFingerprint);
        Assert.DoesNotContain(await store.ListInstancesAsync(), instance => instance.Id == "two");

        // Once every "aaaa" server is stale (killed: no heartbeat) or stopped, the new topology may start.
        await store.StopInstanceAsync("same", T0.AddSeconds(2));
        Assert.Null(await store.RegisterInstanceAsync(Instance("two", T0 + Limits.InstanceStaleAfter, "bbbb")));
    }

    [Fact]
    public async Task Rows_of_long_gone_instances_are_removed_at_the_next_registration()
    {
        IDeploymentStore store = Store;
        Assert.Null(await store.RegisterInstanceAsync(Instance("old", T0)));
        Assert.Null(await store.RegisterInstanceAsync(Instance("recent", T0 + Limits.InstanceRecordRetention - TimeSpan.FromMinutes(1))));
        Assert.Null(await store.RegisterInstanceAsync(Instance("new", T0 + Limits.InstanceRecordRetention + TimeSpan.FromSeconds(1))));
        Assert.Equal(["new", "recent"], (await store.ListInstancesAsync()).Select(instance => instance.Id));
    }

    [Fact]
    public async Task A_lease_is_taken_when_free_renewed_by_its_holder_refused_to_others_and_taken_over_once_expired()
    {
        IDeploymentStore store = Store;
        var first = await store.TryAcquireJobAsync(BackgroundJobs.Repair, "a", T0, Ttl);
        Assert.NotNull(first);
        Assert.Equal(("a", 1L, T0 + Ttl), (first.Holder, first.Fence, first.ExpiresOn));

        Assert.Null(await store.TryAcquireJobAsync(BackgroundJobs.Repair, "b", T0.AddSeconds(1), Ttl));

        var renewed = await store.TryAcquireJobAsync(BackgroundJobs.Repair, "a", T0.AddSeconds(5), Ttl);
        Assert.Equal(("a", 1L, T0.AddSeconds(5) + Ttl, T0), (renewed!.Holder, renewed.Fence, renewed.ExpiresOn, renewed.AcquiredOn));

        // Just before the renewed expiry it is still a's; at it, b takes it over with a new fence.
        Assert.Null(await store.TryAcquireJobAsync(BackgroundJobs.Repair, "b", T0.AddSeconds(5) + Ttl - TimeSpan.FromTicks(1), Ttl));
        var takenOver = await store.TryAcquireJobAsync(BackgroundJobs.Repair, "b", T0.AddSeconds(5) + Ttl, Ttl);
        Assert.Equal(("b", 2L), (takenOver!.Holder, takenOver.Fence));

        // The old holder comes back: refused, and the fence tells its work from b's.
        Assert.Null(await store.TryAcquireJobAsync(BackgroundJobs.Repair, "a", T0.AddSeconds(16), Ttl));
        var lease = Assert.Single(await store.ListJobLeasesAsync());
        Assert.Equal(("b", 2L), (lease.Holder, lease.Fence));
    }

    [Fact]
    public async Task Release_frees_the_lease_at_once_and_only_for_its_holder()
    {
        IDeploymentStore store = Store;
        await store.TryAcquireJobAsync(BackgroundJobs.AuditPrune, "a", T0, Ttl);
        Assert.False(await store.ReleaseJobAsync(BackgroundJobs.AuditPrune, "b", T0.AddSeconds(1)));
        Assert.True(await store.ReleaseJobAsync(BackgroundJobs.AuditPrune, "a", T0.AddSeconds(1)));
        var lease = Assert.Single(await store.ListJobLeasesAsync());
        Assert.True(lease.IsFreeAt(T0.AddSeconds(1)));

        var taken = await store.TryAcquireJobAsync(BackgroundJobs.AuditPrune, "b", T0.AddSeconds(1), Ttl);
        Assert.Equal(("b", 2L), (taken!.Holder, taken.Fence));

        // Taking it back after a release is a change of holder too.
        await store.ReleaseJobAsync(BackgroundJobs.AuditPrune, "b", T0.AddSeconds(2));
        Assert.Equal(3L, (await store.TryAcquireJobAsync(BackgroundJobs.AuditPrune, "b", T0.AddSeconds(2), Ttl))!.Fence);
    }

    [Fact]
    public async Task A_heartbeat_renews_every_lease_of_its_instance_and_a_stop_releases_them()
    {
        IDeploymentStore store = Store;
        await store.RegisterInstanceAsync(Instance("a", T0));
        await store.RegisterInstanceAsync(Instance("b", T0));
        await store.TryAcquireJobAsync(BackgroundJobs.Repair, "a", T0, Ttl);
        await store.TryAcquireJobAsync(BackgroundJobs.AuditCheckpoints, "a", T0, Ttl);
        await store.TryAcquireJobAsync(BackgroundJobs.AccessSweep, "b", T0, Ttl);

        var held = await store.HeartbeatAsync("a", T0.AddSeconds(8), Ttl, []);
        Assert.Equal([BackgroundJobs.AuditCheckpoints, BackgroundJobs.Repair], held!.Select(lease => lease.Job));
        Assert.All(held!, lease => Assert.Equal(T0.AddSeconds(8) + Ttl, lease.ExpiresOn));

        // b did not heartbeat: its job lapses and a takes it; a's stay a's.
        var now = T0 + Ttl;
        Assert.Null(await store.TryAcquireJobAsync(BackgroundJobs.Repair, "b", now, Ttl));
        Assert.NotNull(await store.TryAcquireJobAsync(BackgroundJobs.AccessSweep, "a", now, Ttl));

        await store.StopInstanceAsync("a", now.AddSeconds(1));
        Assert.All(await store.ListJobLeasesAsync(), lease => Assert.True(lease.IsFreeAt(now.AddSeconds(1))));
        Assert.NotNull(await store.TryAcquireJobAsync(BackgroundJobs.Repair, "b", now.AddSeconds(1), Ttl));
    }

    [Fact]
    public async Task A_requested_pass_reaches_the_holder_and_is_cleared_only_by_the_pass_that_saw_it()
    {
        IDeploymentStore store = Store;
        await store.RegisterInstanceAsync(Instance("a", T0));
        await store.RegisterInstanceAsync(Instance("b", T0));

        // Requested while nobody holds the job: the next heartbeat of an instance that runs it takes it.
        await store.RequestJobAsync(BackgroundJobs.Rewrap, T0);
        Assert.Empty((await store.HeartbeatAsync("b", T0.AddSeconds(1), Ttl, []))!);
        var held = Assert.Single((await store.HeartbeatAsync("a", T0.AddSeconds(1), Ttl, [BackgroundJobs.Rewrap]))!);
        Assert.Equal((BackgroundJobs.Rewrap, "a", (DateTimeOffset?)T0), (held.Job, held.Holder, held.RequestedOn));

        // Another request while a's pass runs replaces the one the pass saw: it is not cleared.
        await store.RequestJobAsync(BackgroundJobs.Rewrap, T0.AddSeconds(2));
        Assert.False(await store.CompleteJobRequestAsync(BackgroundJobs.Rewrap, "a", T0));
        Assert.False(await store.CompleteJobRequestAsync(BackgroundJobs.Rewrap, "b", T0.AddSeconds(2)));
        Assert.True(await store.CompleteJobRequestAsync(BackgroundJobs.Rewrap, "a", T0.AddSeconds(2)));
        Assert.Null(Assert.Single(await store.ListJobLeasesAsync()).RequestedOn);

        // A request on a held job keeps its holder.
        await store.RequestJobAsync(BackgroundJobs.Rewrap, T0.AddSeconds(3));
        var lease = Assert.Single(await store.ListJobLeasesAsync());
        Assert.Equal(("a", (DateTimeOffset?)T0.AddSeconds(3)), (lease.Holder, lease.RequestedOn));
    }

    [Fact]
    public async Task Two_store_instances_on_one_file_agree_on_one_holder()
    {
        // Two processes on one database: each write runs in its own transaction (SQLite: BEGIN IMMEDIATE; PostgreSQL: the advisory lock).
        await using var other = await TestMetadata.OpenAsync(DatabasePath);
        IDeploymentStore[] stores = [Store, other];
        var winners = await Task.WhenAll(Enumerable.Range(0, 16).Select(i =>
            Task.Run(() => stores[i % 2].TryAcquireJobAsync(BackgroundJobs.DestructionSweep, "holder-" + i, T0, Ttl))));
        var winner = Assert.Single(winners, lease => lease is not null);
        var stored = Assert.Single(await other.ListJobLeasesAsync());
        Assert.Equal((winner!.Holder, 1L), (stored.Holder, stored.Fence));
    }

    [Fact]
    public async Task Job_names_and_endpoints_are_bounded()
    {
        IDeploymentStore store = Store;
        await Assert.ThrowsAsync<ArgumentException>(() => store.TryAcquireJobAsync("Not A Job", "a", T0, Ttl));
        await Assert.ThrowsAsync<ArgumentException>(() => store.TryAcquireJobAsync(new string('a', Limits.BackgroundJobNameCharsMax + 1), "a", T0, Ttl));
        await Assert.ThrowsAsync<ArgumentException>(() => store.RegisterInstanceAsync(Instance("a", T0) with { DataEndpoints = ["http://a b/"] }));
        await Assert.ThrowsAsync<ArgumentException>(() => store.SetInstanceEndpointsAsync("a", [.. Enumerable.Repeat("http://x/", Limits.InstanceEndpointsMax + 1)], null));
    }
}
