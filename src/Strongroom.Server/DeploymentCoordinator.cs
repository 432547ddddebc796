using System.Collections.Concurrent;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Strongroom.Core;
using Strongroom.Storage;

namespace Strongroom.Server;

/// <summary>
/// This server's place among the servers of its deployment (issue 9). At start it registers an
/// instance row under a random id (host, process, version, endpoints, topology fingerprint),
/// refusing to start when a live instance runs another topology; every
/// <see cref="Limits.InstanceHeartbeatInterval"/> it heartbeats, which also renews the leases of
/// the background jobs it holds and takes over jobs a pass was requested for that nobody holds; on a
/// graceful stop it marks itself stopped and releases its leases, so the jobs move at once. A
/// killed server's leases lapse after <see cref="Limits.JobLeaseDuration"/> and the next pass of
/// another server takes them.
///
/// Each background service asks its <see cref="JobGate"/> before every pass (<see cref="Gate"/>):
/// only the holder of the job's lease runs it, so the work runs once per deployment. The
/// database decides (<see cref="IDeploymentStore.TryAcquireJobAsync"/> inside the write
/// transaction all servers take in turn); nothing in memory is trusted across processes. Timed by
/// the injected <see cref="TimeProvider"/>.
/// </summary>
public sealed class DeploymentCoordinator : BackgroundService
{
    private readonly IDeploymentStore store;
    private readonly TimeProvider time;
    private readonly PeriodicTimer timer;
    private readonly ConcurrentDictionary<string, JobGate> gates = new(StringComparer.Ordinal);
    private int registered;

    public DeploymentCoordinator(IDeploymentStore store, TimeProvider time, IRandomSource random, ILogger? logger = null)
    {
        ArgumentNullException.ThrowIfNull(store);
        ArgumentNullException.ThrowIfNull(time);
        ArgumentNullException.ThrowIfNull(random);
        this.store = store;
        this.time = time;
        Logger = logger;
        InstanceId = random.NewOpaqueId();

        // Created with the service, so the first interval counts from construction.
        timer = new PeriodicTimer(Limits.InstanceHeartbeatInterval, time);
    }

    /// <summary>This process's instance id: random, new at every start.</summary>
    public string InstanceId { get; }

    /// <summary>Raised after each heartbeat with the leases held afterwards (null after a failed one); for tests.</summary>
    public event Action<IReadOnlyList<JobLease>?>? HeartbeatHandled;

    /// <summary>
    /// Registers this process. <see cref="ServerStartException"/> naming both fingerprints when a
    /// live instance of the deployment has another topology (stale instances do not count).
    /// </summary>
    public async Task RegisterAsync(string topologyFingerprint, string topologyPath, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(topologyFingerprint);
        var now = time.GetUtcNow();
        var instance = new DeploymentInstance(
            InstanceId,
            Environment.MachineName,
            Environment.ProcessId,
            StrongroomServer.ServerVersion,
            [],
            null,
            topologyFingerprint,
            now,
            now,
            null);
        var conflict = await store.RegisterInstanceAsync(instance, cancellationToken).ConfigureAwait(false);
        if (conflict is not null)
        {
            throw new ServerStartException(
                $"The topology {topologyPath} (fingerprint {topologyFingerprint}) differs from the one live server {conflict.Id} on " +
                $"{conflict.HostName} (pid {conflict.ProcessId}) runs with (fingerprint {conflict.TopologyFingerprint}): servers of one " +
                "deployment must share the same sites. Use the same topology file on every server, or stop the other servers first.");
        }

        Volatile.Write(ref registered, 1);
    }

    /// <summary>Records the endpoints this process serves, once its listeners are bound.</summary>
    public Task PublishEndpointsAsync(IReadOnlyList<Uri> dataEndpoints, Uri? managementEndpoint, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(dataEndpoints);
        return store.SetInstanceEndpointsAsync(InstanceId, [.. dataEndpoints.Select(endpoint => endpoint.AbsoluteUri)], managementEndpoint?.AbsoluteUri, cancellationToken);
    }

    /// <summary>The gate of <paramref name="job"/> (one per job and coordinator).</summary>
    public JobGate Gate(string job)
    {
        if (!BackgroundJobs.IsValidName(job))
        {
            throw new ArgumentException($"'{job}' is not a background job name.", nameof(job));
        }

        return gates.GetOrAdd(job, name => new JobGate(name, this));
    }

    /// <summary>True when this instance holds (now took or renewed) <paramref name="job"/>'s lease.</summary>
    public Task<bool> HoldsAsync(string job, CancellationToken cancellationToken = default) => Gate(job).HoldsAsync(cancellationToken);

    /// <summary>One heartbeat now (the timer runs them; tests call it after advancing a fake clock).</summary>
    public async Task<IReadOnlyList<JobLease>?> HeartbeatAsync(CancellationToken cancellationToken = default)
    {
        if (Volatile.Read(ref registered) == 0)
        {
            return null;
        }

        IReadOnlyList<JobLease>? held;
        try
        {
            var willing = gates.Values.Where(gate => gate.Willing).Select(gate => gate.Job).ToList();
            held = await store.HeartbeatAsync(InstanceId, time.GetUtcNow(), Limits.JobLeaseDuration, willing, cancellationToken).ConfigureAwait(false);
            if (held is null)
            {
                Logger?.LogError("This server's instance {InstanceId} is no longer registered in the deployment (stopped or removed): it runs no background job.", InstanceId);
            }
        }
        catch (Exception exception) when (exception is not OperationCanceledException)
        {
            Logger?.LogError("A deployment heartbeat failed: {ExceptionType} {Code}; the next one retries.", exception.GetType().Name, (exception as StorageException)?.Code);
            HeartbeatHandled?.Invoke(null);
            return null;
        }

        var byJob = (held ?? []).ToDictionary(lease => lease.Job, StringComparer.Ordinal);
        foreach (var gate in gates.Values)
        {
            gate.Observe(byJob.GetValueOrDefault(gate.Job));
        }

        HeartbeatHandled?.Invoke(held);
        return held;
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        try
        {
            while (await timer.WaitForNextTickAsync(stoppingToken).ConfigureAwait(false))
            {
                await HeartbeatAsync(stoppingToken).ConfigureAwait(false);
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
            // Stopping.
        }
    }

    /// <summary>Marks this instance stopped and releases its leases (also called by <see cref="StopAsync"/>).</summary>
    public async Task MarkStoppedAsync(CancellationToken cancellationToken = default)
    {
        if (Interlocked.Exchange(ref registered, 0) == 0)
        {
            return;
        }

        foreach (var gate in gates.Values)
        {
            gate.Observe(null);
        }

        try
        {
            await store.StopInstanceAsync(InstanceId, time.GetUtcNow(), cancellationToken).ConfigureAwait(false);
        }
        catch (Exception exception) when (exception is StorageException or ObjectDisposedException or InvalidOperationException)
        {
            // Its leases then lapse on their own after JobLeaseDuration.
            Logger?.LogError("Could not mark this server stopped in the deployment: {ExceptionType} {Code}.", exception.GetType().Name, (exception as StorageException)?.Code);
        }
    }

    public override async Task StopAsync(CancellationToken cancellationToken)
    {
        await base.StopAsync(cancellationToken).ConfigureAwait(false);
        await MarkStoppedAsync(CancellationToken.None).ConfigureAwait(false);
    }

    public override void Dispose()
    {
        timer.Dispose();
        base.Dispose();
    }

    internal IDeploymentStore Store => store;

    internal TimeProvider Time => time;

    /// <summary>Where failures go (type and code only); the host sets it once its logging exists.</summary>
    public ILogger? Logger { get; set; }

    internal bool IsRegistered => Volatile.Read(ref registered) != 0;
}

/// <summary>
/// Whether this server runs a background job's next pass: it does while it holds the job's lease
/// (<see cref="HoldsAsync"/> takes it when free or expired, renews it when held). A service that
/// cannot run its job now (the vault is sealed) calls <see cref="ReleaseAsync"/> so another server
/// takes it; work asked for here while another server holds the job is recorded with
/// <see cref="RequestAsync"/> and reaches the holder by its heartbeat (<see cref="Requested"/>).
/// <see cref="Always"/> is the gate of a process alone on its store (tests, the CLI).
/// </summary>
public sealed class JobGate
{
    private readonly DeploymentCoordinator? coordinator;
    private JobLease? lease;
    private int willing = 1;

    // After another server was found holding the job: no new attempt before this instant (UTC
    // ticks), so wakes on a non-holder (every write that owes copies wakes the repair service)
    // cost no write each. Periodic passes come at longer intervals and are not held back.
    private long refusedUntilTicks;

    internal JobGate(string job, DeploymentCoordinator? coordinator)
    {
        Job = job;
        this.coordinator = coordinator;
    }

    /// <summary>A gate that always lets the pass run (no coordination).</summary>
    public static JobGate Always(string job) => new(job, coordinator: null);

    public string Job { get; }

    /// <summary>The lease as of the last acquisition or heartbeat (null when not held).</summary>
    public JobLease? Lease => Volatile.Read(ref lease);

    /// <summary>Raised (on the heartbeat) when a pass was requested by some server and this one holds the job.</summary>
    public event Action? Requested;

    internal bool Willing => Volatile.Read(ref willing) != 0;

    /// <summary>
    /// Takes or renews the job's lease; true when this server holds it and should run the pass.
    /// A database that cannot be reached means "not held" (logged): no pass runs without the lease.
    /// Within <see cref="Limits.InstanceHeartbeatInterval"/> of finding another holder, answers
    /// false without asking the database again.
    /// </summary>
    public async Task<bool> HoldsAsync(CancellationToken cancellationToken = default)
    {
        if (coordinator is null)
        {
            return true;
        }

        Volatile.Write(ref willing, 1);
        if (!coordinator.IsRegistered)
        {
            return false;
        }

        var now = coordinator.Time.GetUtcNow();
        if (now.UtcTicks < Volatile.Read(ref refusedUntilTicks))
        {
            return false;
        }

        try
        {
            var taken = await coordinator.Store.TryAcquireJobAsync(Job, coordinator.InstanceId, now, Limits.JobLeaseDuration, cancellationToken).ConfigureAwait(false);
            Volatile.Write(ref lease, taken);
            Volatile.Write(ref refusedUntilTicks, taken is null ? (now + Limits.InstanceHeartbeatInterval).UtcTicks : 0);
            return taken is not null;
        }
        catch (Exception exception) when (exception is not OperationCanceledException)
        {
            coordinator.Logger?.LogError("Could not take the lease of background job {Job}: {ExceptionType} {Code}; this pass is skipped.", Job, exception.GetType().Name, (exception as StorageException)?.Code);
            Volatile.Write(ref lease, null);
            return false;
        }
    }

    /// <summary>Gives the job up (this server cannot run it now): another server's next pass takes it.</summary>
    public async Task ReleaseAsync(CancellationToken cancellationToken = default)
    {
        if (coordinator is null)
        {
            return;
        }

        Volatile.Write(ref willing, 0);
        if (Interlocked.Exchange(ref lease, null) is null || !coordinator.IsRegistered)
        {
            return;
        }

        try
        {
            await coordinator.Store.ReleaseJobAsync(Job, coordinator.InstanceId, coordinator.Time.GetUtcNow(), cancellationToken).ConfigureAwait(false);
        }
        catch (Exception exception) when (exception is not OperationCanceledException)
        {
            // The lease lapses on its own.
            coordinator.Logger?.LogError("Could not release background job {Job}: {ExceptionType} {Code}.", Job, exception.GetType().Name, (exception as StorageException)?.Code);
        }
    }

    /// <summary>Records in the database that a pass is wanted, for whichever server holds (or next takes) the job.</summary>
    public async Task RequestAsync(CancellationToken cancellationToken = default)
    {
        if (coordinator is null)
        {
            return;
        }

        await coordinator.Store.RequestJobAsync(Job, coordinator.Time.GetUtcNow(), cancellationToken).ConfigureAwait(false);
    }

    /// <summary>
    /// After a completed pass: clears the request <paramref name="served"/> (the lease's
    /// <see cref="JobLease.RequestedOn"/> when the pass started; null: none) unless a newer one
    /// replaced it meanwhile.
    /// </summary>
    public async Task CompleteAsync(DateTimeOffset? served, CancellationToken cancellationToken = default)
    {
        if (coordinator is null || served is not { } requestedOn)
        {
            return;
        }

        await coordinator.Store.CompleteJobRequestAsync(Job, coordinator.InstanceId, requestedOn, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>The lease a heartbeat found this server holding (null: not held).</summary>
    internal void Observe(JobLease? held)
    {
        Volatile.Write(ref lease, held);
        if (held is { RequestedOn: not null })
        {
            Requested?.Invoke();
        }
    }
}
