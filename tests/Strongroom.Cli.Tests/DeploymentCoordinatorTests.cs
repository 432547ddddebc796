using Microsoft.Data.Sqlite;
using Microsoft.Extensions.Time.Testing;
using Strongroom.Core;
using Strongroom.Placement;
using Strongroom.Server;
using Strongroom.Storage;

namespace Strongroom.Cli.Tests;

/// <summary>
/// Background work once per deployment (issue 9): two coordinators over two store instances on ONE
/// SQLite file stand in for two server processes (each write is its own BEGIN IMMEDIATE
/// transaction, so they serialise exactly as processes do), on one fake clock. A job's pass runs
/// on exactly one of them, stays there while its holder heartbeats, and moves to the other once the
/// holder stops heartbeating (killed) or at once when it stops gracefully.
/// </summary>
public sealed class DeploymentCoordinatorTests : IAsyncLifetime
{
    private const string Fingerprint = "0f0f";
    private readonly string directory = Directory.CreateTempSubdirectory("strongroom-coordination-").FullName;
    private readonly FakeTimeProvider time = new(new DateTimeOffset(2026, 11, 30, 12, 0, 0, TimeSpan.Zero));
    private readonly List<SqlMetadataStore> stores = [];

    private string DatabasePath => Path.Combine(directory, "metadata.db");

    public Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync()
    {
        foreach (var store in stores)
        {
            await store.DisposeAsync();
        }

        SqliteConnection.ClearAllPools();
        Directory.Delete(directory, recursive: true);
    }

    [Fact]
    public async Task A_pass_runs_on_exactly_one_server_and_moves_to_the_other_when_its_holder_stops_heartbeating()
    {
        using var a = await CoordinatorAsync(1);
        using var b = await CoordinatorAsync(2);
        var passes = new List<string>();
        using var serviceA = new Repair("a", a, time, passes);
        using var serviceB = new Repair("b", b, time, passes);
        await serviceA.Service.StartAsync(CancellationToken.None);
        await serviceB.Service.StartAsync(CancellationToken.None);
        Repair[] live = [serviceA, serviceB];
        DeploymentCoordinator[] beating = [a, b];

        // Three intervals with both alive: one pass each time, always on the same server.
        for (var interval = 0; interval < 3; interval++)
        {
            await AdvanceOneRepairIntervalAsync(beating, live);
        }

        Assert.Equal(3, passes.Count);
        Assert.Single(passes.Distinct());
        var (holder, holderService, other, otherService) = passes[0] == "a" ? (a, serviceA, b, serviceB) : (b, serviceB, a, serviceA);
        Assert.Equal(3, otherService.Skipped);
        var fence = holder.Gate(BackgroundJobs.Repair).Lease!.Fence;

        // The holder is killed: no more heartbeats, no more passes, no graceful stop. Within one
        // lease duration the other server's next pass takes the job over (a new fence).
        await holderService.Service.StopAsync(CancellationToken.None);
        passes.Clear();
        var intervals = 0;
        while (passes.Count == 0)
        {
            Assert.True(++intervals <= 2, "the job was not taken over within a lease duration");
            await AdvanceOneRepairIntervalAsync([other], [otherService]);
        }

        Assert.All(passes, pass => Assert.Equal(other == a ? "a" : "b", pass));
        Assert.Equal(fence + 1, other.Gate(BackgroundJobs.Repair).Lease!.Fence);

        // Status: the killed server is stale, the job is the survivor's.
        var instances = await ((IDeploymentStore)stores[0]).ListInstancesAsync();
        Assert.False(instances.Single(instance => instance.Id == holder.InstanceId).IsAliveAt(time.GetUtcNow()));
        Assert.True(instances.Single(instance => instance.Id == other.InstanceId).IsAliveAt(time.GetUtcNow()));
        var lease = (await ((IDeploymentStore)stores[0]).ListJobLeasesAsync()).Single(lease => lease.Job == BackgroundJobs.Repair);
        Assert.True(lease.IsHeldBy(other.InstanceId, time.GetUtcNow()));

        await otherService.Service.StopAsync(CancellationToken.None);
    }

    [Fact]
    public async Task A_graceful_stop_hands_every_job_over_at_once()
    {
        using var a = await CoordinatorAsync(1);
        using var b = await CoordinatorAsync(2);
        Assert.True(await a.HoldsAsync(BackgroundJobs.AuditCheckpoints));
        Assert.True(await a.HoldsAsync(BackgroundJobs.DestructionSweep));
        Assert.False(await b.HoldsAsync(BackgroundJobs.AuditCheckpoints));

        await a.MarkStoppedAsync();

        // No wait for an expiry (the leases were released by the stop), only for b's next attempt:
        // a non-holder asks again at most once per heartbeat interval.
        Assert.False(await b.HoldsAsync(BackgroundJobs.AuditCheckpoints));
        time.Advance(Limits.InstanceHeartbeatInterval);
        Assert.True(await b.HoldsAsync(BackgroundJobs.AuditCheckpoints));
        Assert.True(await b.HoldsAsync(BackgroundJobs.DestructionSweep));
        Assert.False(await a.HoldsAsync(BackgroundJobs.AuditCheckpoints));
        var stopped = (await ((IDeploymentStore)stores[0]).ListInstancesAsync()).Single(instance => instance.Id == a.InstanceId);
        Assert.NotNull(stopped.StoppedOn);
    }

    [Fact]
    public async Task A_non_holder_skips_the_pass_of_every_background_service()
    {
        using var a = await CoordinatorAsync(1);
        using var b = await CoordinatorAsync(2);
        foreach (var job in BackgroundJobs.All)
        {
            Assert.True(await a.HoldsAsync(job));
        }

        var ran = 0;
        using var publisher = new CheckpointPublisher(_ => Task.FromResult(++ran), () => false, time) { Gate = b.Gate(BackgroundJobs.AuditCheckpoints) };
        using var pruner = new AuditPruner(_ => Task.FromResult((long)++ran), time) { Gate = b.Gate(BackgroundJobs.AuditPrune) };
        using var access = new AccessSweepService(_ => Task.FromResult(++ran), _ => Task.FromResult(++ran), () => false, time) { Gate = b.Gate(BackgroundJobs.AccessSweep) };
        using var destruction = new DestructionSweepService(_ => Task.FromResult(new Strongroom.Destruction.SweepPass(0, 0, 0, 0, 0, 0, [])), () => false, time) { Gate = b.Gate(BackgroundJobs.DestructionSweep) };
        var published = Next(handler => publisher.TickHandled += handler);
        var pruned = Next<long?>(handler => pruner.TickHandled += handler);
        var swept = Next<AccessSweep?>(handler => access.TickHandled += handler);
        await publisher.StartAsync(CancellationToken.None);
        await pruner.StartAsync(CancellationToken.None);
        await access.StartAsync(CancellationToken.None);

        // A tick of every interval: each skipped, on a clock where a's leases never lapse (a heartbeats).
        await AdvanceHeartbeatingAsync(Limits.AuditCheckpointInterval, a);
        Assert.Null(await published.WaitAsync(TimeSpan.FromSeconds(30)));
        Assert.Null(await destruction.RunOnceAsync());
        await AdvanceHeartbeatingAsync(Limits.AccessSweepInterval - Limits.AuditCheckpointInterval, a);
        Assert.Null(await swept.WaitAsync(TimeSpan.FromSeconds(30)));
        await AdvanceHeartbeatingAsync(Limits.AuditPruneInterval - Limits.AccessSweepInterval, a);
        Assert.Null(await pruned.WaitAsync(TimeSpan.FromSeconds(30)));
        Assert.Equal(0, ran);

        await publisher.StopAsync(CancellationToken.None);
        await pruner.StopAsync(CancellationToken.None);
        await access.StopAsync(CancellationToken.None);
    }

    [Fact]
    public async Task A_sealed_holder_gives_its_job_up_and_an_unsealed_server_takes_it()
    {
        using var a = await CoordinatorAsync(1);
        using var b = await CoordinatorAsync(2);
        Assert.True(await a.HoldsAsync(BackgroundJobs.AuditCheckpoints));
        var published = 0;
        using var sealedPublisher = new CheckpointPublisher(_ => Task.FromResult(++published), () => true, time) { Gate = a.Gate(BackgroundJobs.AuditCheckpoints) };
        var tick = Next(handler => sealedPublisher.TickHandled += handler);
        await sealedPublisher.StartAsync(CancellationToken.None);
        time.Advance(Limits.AuditCheckpointInterval);
        Assert.Null(await tick.WaitAsync(TimeSpan.FromSeconds(30)));
        await sealedPublisher.StopAsync(CancellationToken.None);

        // Released: b takes it although a is alive and heartbeating; a's heartbeat does not take it back.
        await a.HeartbeatAsync();
        Assert.True(await b.HoldsAsync(BackgroundJobs.AuditCheckpoints));
        Assert.Equal(0, published);
    }

    [Fact]
    public async Task A_pass_requested_on_a_non_holder_reaches_the_holder_and_outlives_it()
    {
        using var a = await CoordinatorAsync(1);
        using var b = await CoordinatorAsync(2);
        var gateA = a.Gate(BackgroundJobs.Rewrap);
        var gateB = b.Gate(BackgroundJobs.Rewrap);
        var requestedOnA = 0;
        var requestedOnB = 0;
        gateA.Requested += () => requestedOnA++;
        gateB.Requested += () => requestedOnB++;
        Assert.True(await gateA.HoldsAsync());

        // A rotation on b (which does not hold the job) records the request; a's heartbeat sees it.
        Assert.False(await gateB.HoldsAsync());
        await gateB.RequestAsync();
        await a.HeartbeatAsync();
        await b.HeartbeatAsync();
        Assert.Equal((1, 0), (requestedOnA, requestedOnB));

        // a is killed before its pass completes: once its lease lapses, b's heartbeat takes the job
        // with the request still on it.
        time.Advance(Limits.JobLeaseDuration);
        await b.HeartbeatAsync();
        Assert.Equal(1, requestedOnB);
        Assert.True(gateB.Lease!.IsHeldBy(b.InstanceId, time.GetUtcNow()));
        var served = gateB.Lease.RequestedOn;
        Assert.NotNull(served);

        // b's pass completes: the request is cleared, and the next heartbeat asks for nothing more.
        Assert.True(await gateB.HoldsAsync());
        await gateB.CompleteAsync(served);
        time.Advance(Limits.InstanceHeartbeatInterval);
        await b.HeartbeatAsync();
        Assert.Equal(1, requestedOnB);
        Assert.Null((await ((IDeploymentStore)stores[0]).ListJobLeasesAsync()).Single(lease => lease.Job == BackgroundJobs.Rewrap).RequestedOn);
    }

    [Fact]
    public async Task A_server_with_another_topology_is_refused_while_a_live_one_runs()
    {
        using var a = await CoordinatorAsync(1);
        using var other = new DeploymentCoordinator(await StoreAsync(), time, new SeededRandomSource(3));
        var refused = await Assert.ThrowsAsync<ServerStartException>(() => other.RegisterAsync("beef", "/etc/strongroom/topology.toml"));
        Assert.Contains("beef", refused.Message, StringComparison.Ordinal);
        Assert.Contains(Fingerprint, refused.Message, StringComparison.Ordinal);
        Assert.Contains(a.InstanceId, refused.Message, StringComparison.Ordinal);

        // a was killed (no heartbeat since): stale instances do not count.
        time.Advance(Limits.InstanceStaleAfter);
        await other.RegisterAsync("beef", "/etc/strongroom/topology.toml");
    }

    [Fact]
    public void The_topology_fingerprint_ignores_formatting_and_local_key_files_but_not_the_sites()
    {
        var baseDirectory = Path.Combine(directory, "conf");
        const string Site = """
            version = 1
            [[site]]
            id = "eu-1"
            region = "eu"
            zone = "eu-a"
            jurisdiction = "DE"
            backend = "azure-blob"
            endpoint = "https://eu.example/"
            container = "objects"
            account = "store"
            account-key-file = "KEYFILE"
            """;
        var first = TopologyFingerprint.Of(TopologyFile.Parse(Site.Replace("KEYFILE", "/a/key", StringComparison.Ordinal), "a", baseDirectory));
        var second = TopologyFingerprint.Of(TopologyFile.Parse("# the same sites\n" + Site.Replace("KEYFILE", "/b/other-key", StringComparison.Ordinal), "b", baseDirectory));
        var moved = TopologyFingerprint.Of(TopologyFile.Parse(Site.Replace("KEYFILE", "/a/key", StringComparison.Ordinal).Replace("eu-a", "eu-b", StringComparison.Ordinal), "c", baseDirectory));
        Assert.Equal(first, second);
        Assert.NotEqual(first, moved);
        Assert.Matches("^[0-9a-f]{64}$", first);
    }

    /// <summary>Advances one repair interval in heartbeat steps (every live coordinator heartbeats at each), then waits for each running service to handle its tick.</summary>
    private async Task AdvanceOneRepairIntervalAsync(IReadOnlyList<DeploymentCoordinator> beating, IReadOnlyList<Repair> services)
    {
        var step = Limits.InstanceHeartbeatInterval;
        var steps = (int)(Limits.RepairInterval / step);
        for (var i = 1; i <= steps; i++)
        {
            var handled = services.Select(service => service.NextTick()).ToList();
            time.Advance(step);
            if (i == steps)
            {
                await Task.WhenAll(handled).WaitAsync(TimeSpan.FromSeconds(30));
            }

            foreach (var coordinator in beating)
            {
                await coordinator.HeartbeatAsync();
            }
        }
    }

    /// <summary>Advances <paramref name="total"/> in steps shorter than a lease, <paramref name="coordinator"/> heartbeating after each.</summary>
    private async Task AdvanceHeartbeatingAsync(TimeSpan total, DeploymentCoordinator coordinator)
    {
        var step = Limits.JobLeaseDuration - Limits.InstanceHeartbeatInterval;
        while (total > TimeSpan.Zero)
        {
            var next = total < step ? total : step;
            time.Advance(next);
            total -= next;
            await coordinator.HeartbeatAsync();
        }
    }

    private async Task<SqlMetadataStore> StoreAsync()
    {
        var store = await SqlMetadataStore.OpenSqliteAsync(DatabasePath);
        stores.Add(store);
        return store;
    }

    /// <summary>A coordinator on its own store instance (its own "process"), registered.</summary>
    private async Task<DeploymentCoordinator> CoordinatorAsync(int seed)
    {
        var coordinator = new DeploymentCoordinator(await StoreAsync(), time, new SeededRandomSource(seed));
        await coordinator.RegisterAsync(Fingerprint, "topology.toml");
        return coordinator;
    }

    private static Task<int?> Next(Action<Action<int?>> subscribe) => Next<int?>(subscribe);

    private static Task<T> Next<T>(Action<Action<T>> subscribe)
    {
        var next = new TaskCompletionSource<T>(TaskCreationOptions.RunContinuationsAsynchronously);
        subscribe(value => next.TrySetResult(value));
        return next.Task;
    }

    /// <summary>One server's repair service over a pass that records which server ran it.</summary>
    private sealed class Repair : IDisposable
    {
        private TaskCompletionSource handled = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public Repair(string name, DeploymentCoordinator coordinator, TimeProvider time, List<string> passes)
        {
            Service = new RepairHostedService(
                _ =>
                {
                    lock (passes)
                    {
                        passes.Add(name);
                    }

                    return Task.FromResult(new RepairPass(0, 0, 0, 0, 0, 0, 0));
                },
                time)
            {
                Gate = coordinator.Gate(BackgroundJobs.Repair),
            };
            Service.PassHandled += _ => Volatile.Read(ref handled).TrySetResult();
            Service.PassSkipped += () =>
            {
                Skipped++;
                Volatile.Read(ref handled).TrySetResult();
            };
        }

        public RepairHostedService Service { get; }

        public int Skipped { get; private set; }

        /// <summary>Completes when the next tick (from now) has been handled, run or skipped.</summary>
        public Task NextTick()
        {
            var next = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            Volatile.Write(ref handled, next);
            return next.Task;
        }

        public void Dispose() => Service.Dispose();
    }
}
