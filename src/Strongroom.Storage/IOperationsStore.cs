namespace Strongroom.Storage;

/// <summary>
/// The counts operators watch (issue 10: the state gauges of <c>/metrics</c>, the console,
/// <c>strongroom status</c>), read in one snapshot. Every query walks a partial index or a small
/// table (owed copies, tombstones, open requests, account names), never every copy, so a scrape
/// every few seconds costs little whatever the deployment holds. No key is read.
/// </summary>
public interface IOperationsStore
{
    Task<OperationsCounts> ReadOperationsCountsAsync(CancellationToken cancellationToken = default);
}

/// <param name="Sites">Sites with owed work (a Pending or Bad copy, or a tombstone), in site id order.</param>
/// <param name="Accounts">Every account row (open, closed or destroyed) in name order, with its owed copies.</param>
/// <param name="LockboxRequested">Lockbox requests waiting for approval (state Requested).</param>
/// <param name="TransfersRequested">Transfers waiting for approval (state Requested).</param>
public sealed record OperationsCounts(IReadOnlyList<SiteBacklogCounts> Sites, IReadOnlyList<AccountBacklog> Accounts, long LockboxRequested, long TransfersRequested);

/// <summary>A site's owed work: copies to make (Pending), copies to replace (Bad), deletions owed (tombstones).</summary>
public sealed record SiteBacklogCounts(string SiteId, long Pending, long Bad, long Tombstones);

/// <summary>
/// An account's owed copies (Pending, on any site) and the write time of the oldest object that
/// has one (null when none, or when only objects written before their time was recorded owe one).
/// </summary>
public sealed record AccountBacklog(string Account, long PendingCopies, DateTimeOffset? OldestPendingOn);
