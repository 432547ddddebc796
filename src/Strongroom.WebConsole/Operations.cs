using Strongroom.Core;

namespace Strongroom.WebConsole;

/// <summary>
/// The operations state as the console shows it: the host maps its one operations snapshot (the
/// same read that <c>/metrics</c> and <c>strongroom status</c> use) into these records, so the
/// console computes no number of its own. Ids, names, counts and times only.
/// </summary>
public sealed record OperationsView(
    DateTimeOffset TakenOn,
    bool IsSealed,
    IReadOnlyList<SiteView> Sites,
    IReadOnlyList<AccountBacklogView> Replication,
    RepairView Repair,
    long LockboxPendingRequests,
    long TransferPendingRequests,
    int InstancesLive,
    int InstancesStale,
    int InstancesStopped)
{
    /// <summary>Owed copies over every account.</summary>
    public long PendingCopies => Replication.Sum(account => account.PendingCopies);

    /// <summary>The largest replication lag of any account (zero when nothing is owed).</summary>
    public TimeSpan MaxLag => Replication.Count == 0 ? TimeSpan.Zero : Replication.Max(account => account.Lag);
}

/// <summary>One site as this server sees it (health is this process's view; free bytes only where the site can tell).</summary>
public sealed record SiteView(
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

/// <summary>One account's replication backlog: owed copies, the age of the oldest, and the last moment everything before it had all its copies.</summary>
public sealed record AccountBacklogView(string Account, long PendingCopies, TimeSpan Lag, DateTimeOffset LastSyncOn);

/// <summary>The repair worker's queue.</summary>
public sealed record RepairView(long Pending, long Bad, long Tombstones);
