using Strongroom.Core;

namespace Strongroom.Storage;

/// <summary>
/// The servers of a deployment and the leases of its background jobs (issue 9): many
/// <c>strongroom server</c> processes on one metadata store coordinate through these rows, and
/// only through them. Every method is one store transaction; writes run inside the store's one
/// write transaction at a time (across processes on PostgreSQL too), so "acquire when free" is a
/// compare-and-set. Callers pass <c>now</c> (their injected clock): the store reads no clock.
/// </summary>
public interface IDeploymentStore
{
    /// <summary>
    /// Registers <paramref name="instance"/> (its <see cref="DeploymentInstance.StartedOn"/> is
    /// "now"), after removing rows of instances stopped or stale for longer than
    /// <see cref="Limits.InstanceRecordRetention"/>. Refused, with nothing written, when a live
    /// instance (<see cref="DeploymentInstance.IsAliveAt"/>) has another topology fingerprint:
    /// that instance is returned. Null when registered.
    /// </summary>
    Task<DeploymentInstance?> RegisterInstanceAsync(DeploymentInstance instance, CancellationToken cancellationToken = default);

    /// <summary>Records the endpoints an instance serves once its listeners are bound. False when there is no such instance.</summary>
    Task<bool> SetInstanceEndpointsAsync(string instanceId, IReadOnlyList<string> dataEndpoints, string? managementEndpoint, CancellationToken cancellationToken = default);

    /// <summary>
    /// One heartbeat: sets the instance's <c>seen_on</c> to <paramref name="now"/>, renews every
    /// lease it holds to <paramref name="now"/> + <paramref name="leaseDuration"/>, and takes each
    /// job of <paramref name="takeRequested"/> that a pass was requested for and nobody holds
    /// (so a request outlives the instance that was to serve it). Returns the leases the instance
    /// holds afterwards; null when the instance is unknown or stopped (it then holds nothing).
    /// </summary>
    Task<IReadOnlyList<JobLease>?> HeartbeatAsync(string instanceId, DateTimeOffset now, TimeSpan leaseDuration, IReadOnlyCollection<string> takeRequested, CancellationToken cancellationToken = default);

    /// <summary>Marks the instance stopped at <paramref name="now"/> and releases every lease it holds (graceful stop: the jobs move at once).</summary>
    Task StopInstanceAsync(string instanceId, DateTimeOffset now, CancellationToken cancellationToken = default);

    /// <summary>Every instance row, newest start first.</summary>
    Task<IReadOnlyList<DeploymentInstance>> ListInstancesAsync(CancellationToken cancellationToken = default);

    /// <summary>
    /// Takes or renews <paramref name="job"/>'s lease for <paramref name="holder"/> until
    /// <paramref name="now"/> + <paramref name="duration"/> when it is free (never taken, released,
    /// expired) or already the holder's; the fence grows by one when the holder changes. Null,
    /// with nothing written, while another instance holds it.
    /// </summary>
    Task<JobLease?> TryAcquireJobAsync(string job, string holder, DateTimeOffset now, TimeSpan duration, CancellationToken cancellationToken = default);

    /// <summary>Releases <paramref name="job"/> when <paramref name="holder"/> holds it (free from <paramref name="now"/>). False otherwise.</summary>
    Task<bool> ReleaseJobAsync(string job, string holder, DateTimeOffset now, CancellationToken cancellationToken = default);

    /// <summary>Every job's lease row (a job that was never taken nor requested has none), by job name.</summary>
    Task<IReadOnlyList<JobLease>> ListJobLeasesAsync(CancellationToken cancellationToken = default);

    /// <summary>Records that a pass of <paramref name="job"/> was asked for at <paramref name="now"/>, for its holder (or the next one) to run.</summary>
    Task RequestJobAsync(string job, DateTimeOffset now, CancellationToken cancellationToken = default);

    /// <summary>
    /// Clears <paramref name="job"/>'s request when <paramref name="holder"/> holds it and the
    /// request is still the one its pass saw when it started (<paramref name="requestedOn"/>, as
    /// read from the lease): a request made during the pass replaced it and stays, so it gets one
    /// more pass. Compared for equality, never by order, so clocks of different servers need not
    /// agree. True when cleared.
    /// </summary>
    Task<bool> CompleteJobRequestAsync(string job, string holder, DateTimeOffset requestedOn, CancellationToken cancellationToken = default);
}
