using Strongroom.Core;

namespace Strongroom.Storage;

/// <summary>
/// The transparency logs' storage: an append-only RFC 6962 tree per log. Entries get consecutive
/// indexes from 0; appending stores the leaf hash and every subtree hash the leaf completes
/// (<see cref="MerkleTree.StoredHashesForAppend"/>), so roots, proofs and tiles need O(log n)
/// reads. Nothing is ever updated or deleted except entry bodies past retention, whose hashes
/// stay, so every proof keeps working.
///
/// Appends go through the metadata store's group commit: concurrent appends (and metadata writes
/// carrying entries) share one durable commit. A failed append throws and leaves no trace.
/// </summary>
public interface IAuditStore
{
    /// <summary>Appends entries (alone, not with a metadata write) in one transaction; returns their indexes in order. AuditLogUnavailable when the database refuses them (then none is appended).</summary>
    Task<IReadOnlyList<long>> AppendAuditEntriesAsync(IReadOnlyList<AuditAppend> entries, CancellationToken cancellationToken = default);

    /// <summary>The log's current size and root (size 0 and the empty root for a log never written).</summary>
    Task<AuditTreeHead> GetAuditTreeHeadAsync(string log, CancellationToken cancellationToken = default);

    /// <summary>Every log that has at least one entry, in ordinal order.</summary>
    Task<IReadOnlyList<string>> ListAuditLogsAsync(CancellationToken cancellationToken = default);

    /// <summary>
    /// Entries [start, end) (end exclusive, at most <see cref="Limits.AuditEntriesPageMax"/>; empty when start = end);
    /// InvalidAuditRange outside the tree. Rows are returned as stored, in index order: the store does not check a
    /// body against its leaf hash, and an index whose rows are missing is absent from the list (the verifier judges).
    /// </summary>
    Task<IReadOnlyList<StoredAuditEntry>> ReadAuditEntriesAsync(string log, long start, long end, CancellationToken cancellationToken = default);

    /// <summary>Root of the first <paramref name="size"/> leaves; InvalidAuditRange when size exceeds the log.</summary>
    Task<byte[]> GetAuditRootAsync(string log, long size, CancellationToken cancellationToken = default);

    /// <summary>Inclusion proof of leaf <paramref name="index"/> in the tree of <paramref name="size"/>; InvalidAuditRange outside it.</summary>
    Task<IReadOnlyList<byte[]>> GetAuditInclusionProofAsync(string log, long index, long size, CancellationToken cancellationToken = default);

    /// <summary>Consistency proof from size <paramref name="first"/> to <paramref name="second"/>; InvalidAuditRange when not 0 ≤ first ≤ second ≤ size.</summary>
    Task<IReadOnlyList<byte[]>> GetAuditConsistencyProofAsync(string log, long first, long second, CancellationToken cancellationToken = default);

    /// <summary>Stored hashes at <paramref name="level"/>, indexes [start, start+count) (1 ≤ count ≤ <see cref="Limits.AuditEntriesPageMax"/>), for tiles; InvalidAuditRange past the stored ones.</summary>
    Task<IReadOnlyList<byte[]>> ReadAuditHashesAsync(string log, int level, long start, int count, CancellationToken cancellationToken = default);

    /// <summary>Records a signed checkpoint; its size and root must match the tree (else an invariant fails). A second checkpoint of the same size is ignored (the first is kept).</summary>
    Task SaveAuditCheckpointAsync(StoredCheckpoint checkpoint, CancellationToken cancellationToken = default);

    /// <summary>The newest signed checkpoint of the log, or null.</summary>
    Task<StoredCheckpoint?> GetLatestAuditCheckpointAsync(string log, CancellationToken cancellationToken = default);

    /// <summary>
    /// Erases the bodies of entries older than <paramref name="before"/> (hashes stay); returns how many. Only a
    /// prefix is pruned: it stops at the first entry at or after <paramref name="before"/>, so an entry is never
    /// erased before its time, and the retained-from index advances to where it stopped.
    /// </summary>
    Task<long> PruneAuditEntryBodiesAsync(string log, DateTimeOffset before, CancellationToken cancellationToken = default);

    /// <summary>The index of the first entry whose body is still kept (0 when nothing was pruned).</summary>
    Task<long> GetAuditRetainedFromAsync(string log, CancellationToken cancellationToken = default);

    /// <summary>Sets the account's data-plane logging and retention, with <paramref name="audit"/> in the same transaction. AccountNotFound.</summary>
    Task<AccountRecord> SetAccountAuditSettingsAsync(string account, DataPlaneLogging dataPlane, int retentionDays, AuditAppend? audit, CancellationToken cancellationToken = default);
}
