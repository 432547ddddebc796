namespace Strongroom.Core;

/// <summary>
/// One server process of a deployment (issue 9): every <c>strongroom server</c> on the same
/// metadata store registers a row at start under a random id, refreshes <see cref="SeenOn"/> by
/// heartbeat and sets <see cref="StoppedOn"/> on a graceful stop. A process that died keeps its
/// row; it is stale once its heartbeat is older than <see cref="Limits.InstanceStaleAfter"/>.
/// </summary>
/// <param name="DataEndpoints">The data plane's endpoints as served (space-free URIs), empty until the listeners are bound.</param>
/// <param name="ManagementEndpoint">The management plane's root as served, or null until bound.</param>
/// <param name="TopologyFingerprint">Hex SHA-256 of the topology's canonical form: servers of one deployment share one.</param>
public sealed record DeploymentInstance(
    string Id,
    string HostName,
    int ProcessId,
    string Version,
    IReadOnlyList<string> DataEndpoints,
    string? ManagementEndpoint,
    string TopologyFingerprint,
    DateTimeOffset StartedOn,
    DateTimeOffset SeenOn,
    DateTimeOffset? StoppedOn)
{
    /// <summary>Live at <paramref name="now"/>: not stopped and heard from within <see cref="Limits.InstanceStaleAfter"/>.</summary>
    public bool IsAliveAt(DateTimeOffset now) => StoppedOn is null && now - SeenOn < Limits.InstanceStaleAfter;
}

/// <summary>
/// The lease that lets one instance at a time run a background job (<see cref="BackgroundJobs"/>).
/// <see cref="Fence"/> grows by one on every change of holder, so work stamped with it can tell a
/// newer holder's from an older one's. <see cref="RequestedOn"/> is set when an instance asked for
/// a pass it could not run itself (it did not hold the lease); the holder's pass clears it.
/// A lease whose <see cref="ExpiresOn"/> has passed is free for any instance to take.
/// </summary>
public sealed record JobLease(string Job, string? Holder, DateTimeOffset AcquiredOn, DateTimeOffset ExpiresOn, long Fence, DateTimeOffset? RequestedOn)
{
    /// <summary>True when <paramref name="instanceId"/> holds it at <paramref name="now"/>.</summary>
    public bool IsHeldBy(string instanceId, DateTimeOffset now) => string.Equals(Holder, instanceId, StringComparison.Ordinal) && ExpiresOn > now;

    /// <summary>True when nobody holds it at <paramref name="now"/> (never taken, released, or expired).</summary>
    public bool IsFreeAt(DateTimeOffset now) => Holder is null || ExpiresOn <= now;
}

/// <summary>The background jobs that run once per deployment, each under its own lease (the names are stored: never change one).</summary>
public static class BackgroundJobs
{
    /// <summary>Signing checkpoints of the transparency logs that grew.</summary>
    public const string AuditCheckpoints = "audit-checkpoints";

    /// <summary>Erasing audit entry bodies past their retention.</summary>
    public const string AuditPrune = "audit-prune";

    /// <summary>The repair worker's pass: replication of owed copies, repair, tombstones, orphans, scrub, drain.</summary>
    public const string Repair = "repair";

    /// <summary>Lockbox and transfer expiry.</summary>
    public const string AccessSweep = "access-sweep";

    /// <summary>Purges past retention, closed accounts past their grace, open destructions.</summary>
    public const string DestructionSweep = "destruction-sweep";

    /// <summary>Moving wrapped keys to the current keyring and key-encryption-key versions after a rotation.</summary>
    public const string Rewrap = "rewrap";

    /// <summary>Every job, in the order <c>strongroom status</c> lists them.</summary>
    public static readonly IReadOnlyList<string> All = [AuditCheckpoints, AuditPrune, Repair, AccessSweep, DestructionSweep, Rewrap];

    /// <summary>Job names are short lowercase words with hyphens (they are stored and printed).</summary>
    public static bool IsValidName(string name) =>
        !string.IsNullOrEmpty(name) && name.Length <= Limits.BackgroundJobNameCharsMax && name.All(c => c is (>= 'a' and <= 'z') or (>= '0' and <= '9') or '-');
}
