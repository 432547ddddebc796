namespace Strongroom.Core;

/// <summary>
/// The state operators watch, read from the deployment at one moment: the one source of the
/// state gauges of <c>/metrics</c>, of the web console's operator pages and of
/// <c>strongroom status</c>, so every number shown is computed once. Reading it needs no key (it
/// works while sealed) and carries no secret: ids, names, counts and times only.
/// </summary>
/// <param name="TakenOn">When it was read, on the deployment's clock.</param>
/// <param name="Version">This server's version (<see cref="StrongroomServer.ServerVersion"/>).</param>
/// <param name="IsSealed">This server's vault is sealed (or not yet initialised).</param>
/// <param name="Sites">Every site of the topology in its order, as this server sees it.</param>
/// <param name="Replication">Every account (open, closed or destroyed) in name order, with its owed copies.</param>
/// <param name="Repair">The deployment's repair backlog.</param>
/// <param name="LockboxPendingRequests">Lockbox requests in state Requested (waiting for approval).</param>
/// <param name="TransferPendingRequests">Transfers in state Requested (waiting for approval).</param>
/// <param name="Instances">The servers of the deployment by state.</param>
public sealed record OperationsSnapshot(
    DateTimeOffset TakenOn,
    string Version,
    bool IsSealed,
    IReadOnlyList<SiteHealth> Sites,
    IReadOnlyList<AccountReplication> Replication,
    RepairBacklog Repair,
    long LockboxPendingRequests,
    long TransferPendingRequests,
    InstanceCounts Instances)
{
    /// <summary>Copies owed over every account.</summary>
    public long PendingCopies => Replication.Sum(account => account.PendingCopies);

    /// <summary>The largest replication lag of any account (zero without accounts).</summary>
    public TimeSpan MaxLag => Replication.Count == 0 ? TimeSpan.Zero : Replication.Max(account => account.Lag);
}

/// <summary>One site: where it is, its administrative state, whether this server can reach it, and what it owes.</summary>
/// <param name="IsUp">This server's view: false after a failed operation or probe until one succeeds.</param>
/// <param name="FreeBytes">The file system's available bytes for a directory site; null where the site cannot tell.</param>
/// <param name="PendingCopies">Copies owed to the site (replication or repair will make them).</param>
/// <param name="BadCopies">Copies on the site that failed verification, waiting for repair.</param>
/// <param name="Tombstones">Deletions owed to the site.</param>
public sealed record SiteHealth(
    string Id,
    string Region,
    string Zone,
    string Jurisdiction,
    SiteBackendKind Backend,
    SiteState State,
    bool IsUp,
    long? FreeBytes,
    long PendingCopies,
    long BadCopies,
    long Tombstones);

/// <summary>
/// One account's replication: the copies it is owed (Pending, on any site) and their age.
/// </summary>
/// <param name="PendingCopies">Owed copies of the account's objects.</param>
/// <param name="OldestPendingOn">When the oldest object with an owed copy was written; null when nothing is owed.</param>
/// <param name="Lag">Age of the oldest owed copy at <see cref="OperationsSnapshot.TakenOn"/>; zero when nothing is owed.</param>
/// <param name="LastSyncOn">
/// Every write of the account before this moment has all its copies (Azure's Last Sync Time, over
/// every site): the oldest owed copy's write time, or the snapshot's time when nothing is owed.
/// </param>
public sealed record AccountReplication(string Account, long PendingCopies, DateTimeOffset? OldestPendingOn, TimeSpan Lag, DateTimeOffset LastSyncOn);

/// <summary>The repair worker's queue: copies owed (Pending), copies to replace (Bad), deletions owed to sites (tombstones).</summary>
public sealed record RepairBacklog(long Pending, long Bad, long Tombstones);

/// <summary>The deployment's servers: live (heartbeat within <see cref="Limits.InstanceStaleAfter"/>), stale (no heartbeat since), stopped.</summary>
public sealed record InstanceCounts(int Live, int Stale, int Stopped);
