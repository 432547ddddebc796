using System.Data.Common;
using Strongroom.Core;

namespace Strongroom.Storage;

/// <summary>
/// The transparency logs' tables (migration 6). See <see cref="IAuditStore"/>.
///
/// An append runs inside a write's transaction (and so inside its savepoint in the group commit):
/// it reads the log's size (a primary-key lookup, no cache to fall out of step with a rolled-back
/// savepoint), inserts the entry and the hashes the new leaf completes, and grows the size. If
/// anything in it throws, the savepoint rolls back the write it belongs to as well: a write and
/// its entry commit together or not at all. Reads compute roots and proofs from the stored
/// hashes inside one snapshot.
///
/// The store reports entry rows as they are and never checks a body against its leaf hash: a
/// tampered row has to reach the tenant's verifier, which reports its index. What it does check
/// is that the hashes a root or proof needs are there (a tree with a hole cannot be served).
/// </summary>
public sealed partial class SqlMetadataStore : IAuditStore
{
    // Level L holds subtrees of 2^L leaves; indexes are 63-bit.
    private const int AuditLevelMax = 62;

    public Task<IReadOnlyList<long>> AppendAuditEntriesAsync(IReadOnlyList<AuditAppend> entries, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(entries);
        foreach (var entry in entries)
        {
            ValidateAuditAppend(entry);
        }

        if (entries.Count == 0)
        {
            return Task.FromResult<IReadOnlyList<long>>([]);
        }

        return WriteAsync<IReadOnlyList<long>>(
            tx => entries.Select(entry => AppendAuditEntry(tx, entry)).ToArray(),
            cancellationToken);
    }

    public Task<AuditTreeHead> GetAuditTreeHeadAsync(string log, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(log);
        return ReadAsync(
            tx =>
            {
                var size = ReadAuditSize(tx, log);
                return new AuditTreeHead(log, size, MerkleTree.RootHash(size, AuditHashReader(tx, log)));
            },
            cancellationToken);
    }

    public Task<IReadOnlyList<string>> ListAuditLogsAsync(CancellationToken cancellationToken = default) =>
        ReadAsync<IReadOnlyList<string>>(
            tx =>
            {
                var logs = new List<string>();
                using var reader = tx.Query("SELECT log FROM audit_logs WHERE size > 0 ORDER BY log");
                while (reader.Read())
                {
                    logs.Add(reader.GetString(0));
                }

                return logs;
            },
            cancellationToken);

    public Task<IReadOnlyList<StoredAuditEntry>> ReadAuditEntriesAsync(string log, long start, long end, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(log);
        if (start < 0 || end < start || end - start > Limits.AuditEntriesPageMax)
        {
            return Task.FromException<IReadOnlyList<StoredAuditEntry>>(RangeError($"Entries [{start}, {end}) are not a range of at most {Limits.AuditEntriesPageMax} entries."));
        }

        return ReadAsync<IReadOnlyList<StoredAuditEntry>>(
            tx =>
            {
                var size = ReadAuditSize(tx, log);
                if (end > size)
                {
                    throw RangeError($"Entries [{start}, {end}) go past the end of the log (size {size}).");
                }

                // Rows as stored, in index order. A row missing from either table is left out, not
                // papered over: the caller sees the gap by index.
                var entries = new List<StoredAuditEntry>((int)(end - start));
                using var reader = tx.Query(
                    "SELECT e.idx, e.time, h.hash, e.body FROM audit_entries e " +
                    "JOIN audit_hashes h ON h.log = e.log AND h.level = 0 AND h.idx = e.idx " +
                    "WHERE e.log = @log AND e.idx >= @start AND e.idx < @end ORDER BY e.idx",
                    ("@log", log),
                    ("@start", start),
                    ("@end", end));
                while (reader.Read())
                {
                    entries.Add(new StoredAuditEntry(
                        reader.GetInt64(0),
                        FromTicks(reader.GetInt64(1)),
                        reader.GetFieldValue<byte[]>(2),
                        reader.IsDBNull(3) ? null : reader.GetFieldValue<byte[]>(3)));
                }

                return entries;
            },
            cancellationToken);
    }

    public Task<byte[]> GetAuditRootAsync(string log, long size, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(log);
        return ReadAsync(
            tx =>
            {
                var current = ReadAuditSize(tx, log);
                if (size < 0 || size > current)
                {
                    throw RangeError($"No tree of size {size} in a log of size {current}.");
                }

                return MerkleTree.RootHash(size, AuditHashReader(tx, log));
            },
            cancellationToken);
    }

    public Task<IReadOnlyList<byte[]>> GetAuditInclusionProofAsync(string log, long index, long size, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(log);
        return ReadAsync(
            tx =>
            {
                var current = ReadAuditSize(tx, log);
                if (index < 0 || index >= size || size > current)
                {
                    throw RangeError($"Leaf {index} is not in a tree of size {size} of a log of size {current}.");
                }

                return MerkleTree.InclusionProof(index, size, AuditHashReader(tx, log));
            },
            cancellationToken);
    }

    public Task<IReadOnlyList<byte[]>> GetAuditConsistencyProofAsync(string log, long first, long second, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(log);
        return ReadAsync(
            tx =>
            {
                var current = ReadAuditSize(tx, log);
                if (first < 0 || first > second || second > current)
                {
                    throw RangeError($"No consistency proof from size {first} to size {second} in a log of size {current}.");
                }

                return MerkleTree.ConsistencyProof(first, second, AuditHashReader(tx, log));
            },
            cancellationToken);
    }

    public Task<IReadOnlyList<byte[]>> ReadAuditHashesAsync(string log, int level, long start, int count, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(log);
        if (level < 0 || level > AuditLevelMax || start < 0 || count < 1 || count > Limits.AuditEntriesPageMax)
        {
            return Task.FromException<IReadOnlyList<byte[]>>(RangeError($"No run of {count} hashes from index {start} at level {level} (at most {Limits.AuditEntriesPageMax})."));
        }

        return ReadAsync<IReadOnlyList<byte[]>>(
            tx =>
            {
                // Level L holds one hash per complete subtree of 2^L leaves.
                var stored = ReadAuditSize(tx, log) >> level;
                if (start + count > stored)
                {
                    throw RangeError($"Hashes [{start}, {start + count}) at level {level} go past the {stored} stored ones.");
                }

                var hashes = new List<byte[]>(count);
                using var reader = tx.Query(
                    "SELECT idx, hash FROM audit_hashes WHERE log = @log AND level = @level AND idx >= @start AND idx < @end ORDER BY idx",
                    ("@log", log),
                    ("@level", level),
                    ("@start", start),
                    ("@end", start + count));
                while (reader.Read())
                {
                    Invariant.True(reader.GetInt64(0) == start + hashes.Count, $"audit log {log}: hash ({level}, {start + hashes.Count}) is stored");
                    hashes.Add(CheckedHash(reader.GetFieldValue<byte[]>(1), log, level, start + hashes.Count));
                }

                Invariant.True(hashes.Count == count, $"audit log {log}: hashes [{start}, {start + count}) at level {level} are all stored");
                return hashes;
            },
            cancellationToken);
    }

    public Task SaveAuditCheckpointAsync(StoredCheckpoint checkpoint, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(checkpoint);
        ArgumentException.ThrowIfNullOrEmpty(checkpoint.Log);
        ArgumentNullException.ThrowIfNull(checkpoint.RootHash);
        ArgumentException.ThrowIfNullOrEmpty(checkpoint.Note);
        return WriteAsync(
            tx =>
            {
                // A checkpoint is a signature over this tree; one over any other would be a fork.
                var size = ReadAuditSize(tx, checkpoint.Log);
                Invariant.True(checkpoint.Size >= 0 && checkpoint.Size <= size, $"audit log {checkpoint.Log}: a checkpoint's size {checkpoint.Size} is within the log's {size}");
                var root = MerkleTree.RootHash(checkpoint.Size, AuditHashReader(tx, checkpoint.Log));
                Invariant.True(root.AsSpan().SequenceEqual(checkpoint.RootHash), $"audit log {checkpoint.Log}: a checkpoint's root is the tree's root at size {checkpoint.Size}");

                // Signing the same size twice (the publisher and an on-demand request) keeps the first.
                tx.Execute(
                    "INSERT INTO audit_checkpoints (log, size, root, signed_on, note) SELECT @log, @size, @root, @signed_on, @note " +
                    "WHERE NOT EXISTS (SELECT 1 FROM audit_checkpoints WHERE log = @log AND size = @size)",
                    ("@log", checkpoint.Log),
                    ("@size", checkpoint.Size),
                    ("@root", checkpoint.RootHash),
                    ("@signed_on", ToTicks(checkpoint.SignedOn)),
                    ("@note", checkpoint.Note));
                return true;
            },
            cancellationToken);
    }

    public Task<StoredCheckpoint?> GetLatestAuditCheckpointAsync(string log, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(log);
        return ReadAsync(
            tx =>
            {
                using var reader = tx.Query(
                    "SELECT size, root, signed_on, note FROM audit_checkpoints WHERE log = @log ORDER BY size DESC LIMIT 1",
                    ("@log", log));
                return reader.Read()
                    ? new StoredCheckpoint(log, reader.GetInt64(0), reader.GetFieldValue<byte[]>(1), FromTicks(reader.GetInt64(2)), reader.GetString(3))
                    : null;
            },
            cancellationToken);
    }

    public async Task<long> PruneAuditEntryBodiesAsync(string log, DateTimeOffset before, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(log);
        long erased = 0;
        while (true)
        {
            var batch = await WriteAsync(tx => PruneAuditBatch(tx, log, before), cancellationToken).ConfigureAwait(false);
            erased += batch.Erased;
            if (batch.Done)
            {
                break;
            }
        }

        if (erased > 0)
        {
            await TruncateWriteAheadLogAsync().ConfigureAwait(false);
        }

        return erased;
    }

    public Task<long> GetAuditRetainedFromAsync(string log, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(log);
        return ReadAsync(
            tx => tx.Scalar("SELECT retained_from FROM audit_logs WHERE log = @log", ("@log", log)) is long from ? from : 0L,
            cancellationToken);
    }

    public Task<AccountRecord> SetAccountAuditSettingsAsync(string account, DataPlaneLogging dataPlane, int retentionDays, AuditAppend? audit, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(account);
        ValidateAuditSettings(dataPlane, retentionDays);
        return WriteAsync(
            tx =>
            {
                var changed = tx.Execute(
                    "UPDATE accounts SET audit_data_plane = @data_plane, audit_retention_days = @retention_days WHERE name = @name",
                    ("@name", account),
                    ("@data_plane", (int)dataPlane),
                    ("@retention_days", retentionDays));
                return changed == 0 ? throw new StorageException(ErrorCode.AccountNotFound) : ReadAccount(tx, account)!;
            },
            audit,
            cancellationToken);
    }

    /// <summary>
    /// Runs a write that carries an audit entry: the entry is appended after the work succeeded,
    /// in the same savepoint, so a failed append undoes the work and failed work appends nothing.
    /// A null result means the work found nothing to change (e.g. an update of a missing
    /// version): then nothing happened and nothing is appended.
    /// </summary>
    private Task<T> WriteAsync<T>(Func<Transaction, T> work, AuditAppend? audit, CancellationToken cancellationToken)
    {
        if (audit is null)
        {
            return WriteAsync(work, cancellationToken);
        }

        ValidateAuditAppend(audit);
        return WriteAsync(
            tx =>
            {
                var result = work(tx);
                if (result is not null)
                {
                    AppendAuditEntry(tx, audit);
                }

                return result;
            },
            cancellationToken);
    }

    /// <summary>
    /// Appends one entry inside the caller's transaction; returns its index. The database refusing
    /// it is AuditLogUnavailable (the write it belongs to fails closed with that code); a broken
    /// tree is an invariant failure.
    /// </summary>
    private static long AppendAuditEntry(Transaction tx, AuditAppend entry)
    {
        // Timed here, the one place every entry is appended (strongroom_audit_append_duration_seconds):
        // the entry row and its Merkle hashes inside the transaction, not the commit it shares.
        var started = System.Diagnostics.Stopwatch.GetTimestamp();
        var failed = true;
        try
        {
            var index = AppendAuditEntryRows(tx, entry);
            failed = false;
            return index;
        }
        catch (DbException error)
        {
            throw new StorageException(ErrorCode.AuditLogUnavailable, $"The audit log '{entry.Log}' could not record an entry: {error.Message}");
        }
        finally
        {
            StrongroomMetrics.RecordAuditAppend(started, failed);
        }
    }

    private static long AppendAuditEntryRows(Transaction tx, AuditAppend entry)
    {
        (string, object?) log = ("@log", entry.Log);
        var index = tx.Scalar("SELECT size FROM audit_logs WHERE log = @log", log) is long size ? size : -1;
        if (index < 0)
        {
            tx.Execute("INSERT INTO audit_logs (log, size, retained_from) VALUES (@log, 0, 0)", log);
            index = 0;
        }

        tx.Execute(
            "INSERT INTO audit_entries (log, idx, time, body) VALUES (@log, @idx, @time, @body)",
            log,
            ("@idx", index),
            ("@time", ToTicks(entry.Time)),
            ("@body", entry.Entry));
        var leaf = MerkleTree.LeafHash(entry.Entry);
        foreach (var (level, position, hash) in MerkleTree.StoredHashesForAppend(index, leaf, AuditHashReader(tx, entry.Log)))
        {
            tx.Execute(
                "INSERT INTO audit_hashes (log, level, idx, hash) VALUES (@log, @level, @idx, @hash)",
                log,
                ("@level", level),
                ("@idx", position),
                ("@hash", hash));
        }

        var grown = tx.Execute("UPDATE audit_logs SET size = @size WHERE log = @log AND size = @index", log, ("@size", index + 1), ("@index", index));
        Invariant.True(grown == 1, $"audit log {entry.Log} grows by one entry per append");
        return index;
    }

    private static MerkleTree.HashReader AuditHashReader(Transaction tx, string log) =>
        (level, index) =>
        {
            var hash = tx.Scalar(
                "SELECT hash FROM audit_hashes WHERE log = @log AND level = @level AND idx = @idx",
                ("@log", log),
                ("@level", level),
                ("@idx", index)) as byte[];
            Invariant.True(hash is not null, $"audit log {log}: hash ({level}, {index}) is stored");
            return CheckedHash(hash!, log, level, index);
        };

    private static byte[] CheckedHash(byte[] hash, string log, int level, long index)
    {
        Invariant.True(hash.Length == MerkleTree.HashBytes, $"audit log {log}: hash ({level}, {index}) is {MerkleTree.HashBytes} bytes");
        return hash;
    }

    private static long ReadAuditSize(Transaction tx, string log) =>
        tx.Scalar("SELECT size FROM audit_logs WHERE log = @log", ("@log", log)) is long size ? size : 0L;

    /// <summary>
    /// Erases the next batch of bodies past retention. Only a prefix of the log is pruned: it stops at
    /// the first entry still within retention, so retained_from is exact, and an older entry recorded
    /// after a newer one (concurrent callers' clocks) is kept a little longer, never less.
    /// </summary>
    private static (long Erased, bool Done) PruneAuditBatch(Transaction tx, string log, DateTimeOffset before)
    {
        (string, object?) key = ("@log", log);
        long from, size;
        using (var reader = tx.Query("SELECT retained_from, size FROM audit_logs WHERE log = @log", key))
        {
            if (!reader.Read())
            {
                return (0, true);
            }

            (from, size) = (reader.GetInt64(0), reader.GetInt64(1));
        }

        var limit = Math.Min(size, from + Limits.AuditPruneBatchMax);
        var keep = tx.Scalar(
            "SELECT idx FROM audit_entries WHERE log = @log AND idx >= @from AND idx < @limit AND time >= @before ORDER BY idx LIMIT 1",
            key,
            ("@from", from),
            ("@limit", limit),
            ("@before", ToTicks(before))) as long?;
        var until = keep ?? limit;
        if (until == from)
        {
            return (0, true);
        }

        var erased = tx.Execute(
            "UPDATE audit_entries SET body = NULL WHERE log = @log AND idx >= @from AND idx < @until AND body IS NOT NULL",
            key,
            ("@from", from),
            ("@until", until));
        tx.Execute("UPDATE audit_logs SET retained_from = @until WHERE log = @log", key, ("@until", until));
        return (erased, keep is not null || until == size);
    }

    /// <summary>
    /// secure_delete zeroes an erased body in the database file, but the WAL still holds the page
    /// images it was written in until they are checkpointed and overwritten. A truncating
    /// checkpoint after a prune removes them. Best effort: a reader holding an old snapshot makes
    /// it give up (the frames are then reused by later commits); it runs under the write lock so
    /// this store's own writers queue instead of waiting on SQLite's busy timeout.
    /// </summary>
    public async Task TruncateWriteAheadLogAsync(CancellationToken cancellationToken = default)
    {
        await writeLock.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            ObjectDisposedException.ThrowIf(Volatile.Read(ref disposed) != 0, this);
            erasurePending = true;
            ReleaseErasingWrites(force: true);
        }
        finally
        {
            writeLock.Release();
        }
    }

    private static void ValidateAuditAppend(AuditAppend entry)
    {
        ArgumentNullException.ThrowIfNull(entry);
        ArgumentException.ThrowIfNullOrEmpty(entry.Log);
        ArgumentNullException.ThrowIfNull(entry.Entry);
        if (entry.Entry.Length is 0 or > Limits.AuditEntryBytesMax)
        {
            throw new ArgumentException($"An audit entry is 1 to {Limits.AuditEntryBytesMax} bytes, not {entry.Entry.Length}.", nameof(entry));
        }
    }

    private static void ValidateAuditSettings(DataPlaneLogging dataPlane, int retentionDays)
    {
        if (!Enum.IsDefined(dataPlane))
        {
            throw new StorageException(ErrorCode.InvalidAuditSetting, $"Unknown data-plane logging setting {(int)dataPlane}.");
        }

        if (retentionDays is < Limits.AuditRetentionDaysMin or > Limits.AuditRetentionDaysMax)
        {
            throw new StorageException(
                ErrorCode.InvalidAuditSetting,
                $"Audit retention must be {Limits.AuditRetentionDaysMin} to {Limits.AuditRetentionDaysMax} days, not {retentionDays}.");
        }
    }

    private static StorageException RangeError(string detail) => new(ErrorCode.InvalidAuditRange, detail);
}
