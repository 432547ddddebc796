using System.Data.Common;
using Strongroom.Core;

namespace Strongroom.Storage;

/// <summary>
/// Blob instances (issue 7): previous versions, snapshots and soft-deleted blobs live in
/// blob_instances with their parts in blob_instance_parts (migration 9). Keeping a replaced or
/// deleted blob copies its row and part list there (objects are shared, never rewritten); an
/// object goes only when no part of a blob or instance references it any more.
/// </summary>
public sealed partial class SqlMetadataStore
{
    private const string InstanceKey = "account = @account AND container = @container AND name = @name";
    private const string InstanceExtraColumns = "instance_id, kind, deleted_on, purge_on";

    public Task<(BlobInstance Instance, IReadOnlyList<BlobPart> Parts)?> GetBlobInstanceWithPartsAsync(string account, string container, string name, string instanceId, CancellationToken cancellationToken = default) =>
        ReadAsync<(BlobInstance Instance, IReadOnlyList<BlobPart> Parts)?>(
            tx =>
            {
                var instance = ReadInstance(tx, account, container, name, instanceId);
                return instance is null ? null : (instance, ReadInstanceParts(tx, account, container, name, instanceId));
            },
            cancellationToken);

    public Task<IReadOnlyList<BlobEntry>> ListBlobEntriesAsync(BlobEntryQuery query, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(query);
        ArgumentNullException.ThrowIfNull(query.Prefix);
        ArgumentOutOfRangeException.ThrowIfLessThan(query.Limit, 1);
        return ReadAsync<IReadOnlyList<BlobEntry>>(
            tx =>
            {
                if (ReadContainer(tx, query.Account, query.Container) is null)
                {
                    throw new StorageException(ErrorCode.ContainerNotFound);
                }

                var entries = new List<BlobEntry>();
                if (!NamePrefix.IsWellFormed(query.Prefix))
                {
                    return entries;
                }

                var start = query.StartAtInclusive;
                var range = RangeCondition("name", query.Prefix, start?.Name);

                // The current blob ranks between a name's versions and its soft-deleted blob
                // (BlobEntryPosition); each branch keeps its own index range on name.
                var sql =
                    "SELECT * FROM (" +
                    $"SELECT {BlobColumns}, {BlobEntryPosition.CurrentRank} AS rank, '' AS instance_id, -1 AS kind, NULL AS deleted_on, NULL AS purge_on " +
                    $"FROM blobs WHERE {BlobKey} AND {range} " +
                    "UNION ALL " +
                    $"SELECT {BlobColumns}, CASE kind WHEN {(int)BlobInstanceKind.Snapshot} THEN {BlobEntryPosition.SnapshotRank} WHEN {(int)BlobInstanceKind.Version} THEN {BlobEntryPosition.VersionRank} ELSE {BlobEntryPosition.DeletedBlobRank} END AS rank, " +
                    $"{InstanceExtraColumns} FROM blob_instances WHERE {BlobKey} AND {range} " +
                    $"AND ((kind = {(int)BlobInstanceKind.Snapshot} AND @snapshots = 1) OR (kind = {(int)BlobInstanceKind.Version} AND @versions = 1) OR kind = {(int)BlobInstanceKind.DeletedBlob}) " +
                    "AND (deleted_on IS NULL OR @deleted = 1)" +
                    ") AS entries WHERE name > @start_name OR (name = @start_name AND (rank > @start_rank OR (rank = @start_rank AND instance_id >= @start_id))) " +
                    "ORDER BY name, rank, instance_id LIMIT @take";
                using var reader = tx.Query(
                    sql,
                    ("@account", query.Account),
                    ("@container", query.Container),
                    ("@prefix", query.Prefix),
                    ("@upper", NamePrefix.UpperBound(query.Prefix)),
                    ("@start", start?.Name),
                    ("@start_name", start?.Name ?? string.Empty),
                    ("@start_rank", start?.Rank ?? -1),
                    ("@start_id", start?.InstanceId ?? string.Empty),
                    ("@snapshots", query.Snapshots ? 1 : 0),
                    ("@versions", query.Versions ? 1 : 0),
                    ("@deleted", query.Deleted ? 1 : 0),
                    ("@take", (long)query.Limit));
                while (reader.Read())
                {
                    var blob = ReadBlobRow(reader);
                    var rank = reader.GetInt32(BlobColumnCount);
                    var instanceId = reader.GetString(BlobColumnCount + 1);
                    var instance = rank == BlobEntryPosition.CurrentRank ? null : ReadInstanceColumns(reader, blob, BlobColumnCount + 1);
                    entries.Add(new BlobEntry(blob, instance, new BlobEntryPosition(blob.Name, rank, instanceId)));
                }

                reader.Dispose();
                return WithLeases(tx, entries);
            },
            cancellationToken);
    }

    public Task<IReadOnlyList<StoredObject>> DeleteBlobInstanceAsync(string account, string container, string name, string instanceId, BlobInstanceKind kind, InstanceDeletion deletion, Action<BlobInstance>? precondition = null, AuditAppend? audit = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(deletion);
        return WriteAsync<IReadOnlyList<StoredObject>>(
            tx =>
            {
                if (ReadContainer(tx, account, container) is null)
                {
                    throw new StorageException(ErrorCode.ContainerNotFound);
                }

                var instance = ReadInstance(tx, account, container, name, instanceId);
                if (instance is null || instance.Kind != kind)
                {
                    throw new StorageException(ErrorCode.VersionNotFound);
                }

                precondition?.Invoke(instance);
                RequireNoLegalHold(tx, account, container, instance.Blob.LegalHold);
                if (deletion.IsSoft)
                {
                    Invariant.True(!instance.IsDeleted, "only a live instance is soft-deleted");
                    SoftDeleteInstance(tx, account, container, name, instanceId, deletion);
                    return [];
                }

                return CollectUnreferencedObjects(tx, DropInstance(tx, account, container, name, instanceId));
            },
            audit,
            cancellationToken);
    }

    public Task<IReadOnlyList<StoredObject>> DeleteBlobSnapshotsAsync(string account, string container, string name, InstanceDeletion deletion, AuditAppend? audit = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(deletion);
        return WriteAsync<IReadOnlyList<StoredObject>>(
            tx =>
            {
                if (ReadContainer(tx, account, container) is null)
                {
                    throw new StorageException(ErrorCode.ContainerNotFound);
                }

                if (ReadBlob(tx, account, container, name) is null)
                {
                    throw new StorageException(ErrorCode.BlobNotFound);
                }

                return CollectUnreferencedObjects(tx, DeleteLiveSnapshots(tx, account, container, name, deletion));
            },
            audit,
            cancellationToken);
    }

    public Task<int> UndeleteBlobAsync(string account, string container, string name, bool restoreBlob, AuditAppend? audit = null, CancellationToken cancellationToken = default) =>
        WriteAsync(
            tx =>
            {
                if (ReadContainer(tx, account, container) is null)
                {
                    throw new StorageException(ErrorCode.ContainerNotFound);
                }

                (string, object?)[] key = [("@account", account), ("@container", container), ("@name", name)];
                var current = ReadBlob(tx, account, container, name);
                if (current is null && tx.Scalar($"SELECT 1 FROM blob_instances WHERE {InstanceKey} LIMIT 1", key) is null)
                {
                    throw new StorageException(ErrorCode.BlobNotFound);
                }

                var restored = 0;
                if (restoreBlob && current is null
                    && tx.Scalar($"SELECT instance_id FROM blob_instances WHERE {InstanceKey} AND kind = {(int)BlobInstanceKind.DeletedBlob} ORDER BY instance_id DESC LIMIT 1", key) is string deletedId)
                {
                    RestoreInstanceAsCurrent(tx, account, container, name, deletedId);
                    restored++;
                }

                restored += tx.Execute(
                    $"UPDATE blob_instances SET deleted_on = NULL, purge_on = NULL WHERE {InstanceKey} " +
                    $"AND kind IN ({(int)BlobInstanceKind.Version}, {(int)BlobInstanceKind.Snapshot}) AND deleted_on IS NOT NULL",
                    key);
                return restored;
            },
            audit,
            cancellationToken);

    /// <summary>
    /// Keeps the blob a write replaces or a delete removes as the instance <paramref name="archive"/>
    /// names, checking legal holds first: a held blob (or any blob of a held container) may be
    /// replaced only when it is kept as a previous version, and never deleted. A write that finds
    /// no current blob but a soft-deleted one turns that into a soft-deleted snapshot.
    /// </summary>
    private static BlobArchive? KeepReplacedBlob(Transaction tx, BlobRecord? current, Func<BlobRecord, BlobArchive?>? archive, bool overwrite)
    {
        if (current is null)
        {
            return null;
        }

        var kept = archive?.Invoke(current);
        if (!overwrite || kept is not { Kind: BlobInstanceKind.Version })
        {
            RequireNoLegalHold(tx, current.Account, current.Container, current.LegalHold);
        }

        if (kept is not null)
        {
            ArchiveBlob(tx, current, kept);
        }

        return kept;
    }

    /// <summary>
    /// A write that gives the blob a new version id (after the replaced blob is kept): the id must be
    /// past every id of the blob's instances, the version it replaces included, so versions list in
    /// the order they were written and no later archive finds its id taken. (An id equal to the
    /// replaced one is the case this exists for: two servers stamping in one clock tick.)
    /// </summary>
    private static void RequireNewVersionId(Transaction tx, BlobRecord? current, BlobRecord written)
    {
        if (written.VersionId is not { } id)
        {
            return;
        }

        var newest = tx.Scalar(
            $"SELECT MAX(instance_id) FROM blob_instances WHERE {InstanceKey}",
            ("@account", written.Account),
            ("@container", written.Container),
            ("@name", written.Name)) as string;
        if (current?.VersionId is { } replaced && (newest is null || string.CompareOrdinal(replaced, newest) > 0))
        {
            newest = replaced;
        }

        if (newest is not null && string.CompareOrdinal(id, newest) <= 0)
        {
            throw new InstanceIdTakenException(newest);
        }
    }

    /// <summary>Before a write of a name with no current blob: its soft-deleted blob becomes a soft-deleted snapshot, as in Azure.</summary>
    private static void DemoteDeletedBlob(Transaction tx, string account, string container, string name) =>
        tx.Execute(
            $"UPDATE blob_instances SET kind = {(int)BlobInstanceKind.Snapshot} WHERE {InstanceKey} AND kind = {(int)BlobInstanceKind.DeletedBlob}",
            ("@account", account),
            ("@container", container),
            ("@name", name));

    private static void ArchiveBlob(Transaction tx, BlobRecord current, BlobArchive archive)
    {
        ArgumentException.ThrowIfNullOrEmpty(archive.InstanceId);
        Invariant.True((archive.DeletedOn is null) == (archive.PurgeOn is null), "a soft-deleted instance has both its deletion and purge times");
        (string, object?)[] key = [("@account", current.Account), ("@container", current.Container), ("@name", current.Name)];
        if (tx.Scalar($"SELECT 1 FROM blob_instances WHERE {InstanceKey} AND instance_id = @id", [.. key, ("@id", archive.InstanceId)]) is not null)
        {
            // A snapshot or deletion id is freshly stamped (another server may have stamped the
            // same); a version's id is the one the current blob already carries.
            throw archive.Kind == BlobInstanceKind.Version
                ? new StorageException(ErrorCode.ConditionNotMet, "An instance with this id already exists.")
                : new InstanceIdTakenException(archive.InstanceId);
        }

        tx.Execute(
            $"INSERT INTO blob_instances ({InstanceExtraColumns}, {BlobColumns}) " +
            $"SELECT @id, @kind, @deleted_on, @purge_on, {BlobColumns} FROM blobs WHERE {InstanceKey}",
            key[0],
            key[1],
            key[2],
            ("@id", archive.InstanceId),
            ("@kind", (int)archive.Kind),
            ("@deleted_on", archive.DeletedOn is { } deleted ? ToTicks(deleted) : null),
            ("@purge_on", archive.PurgeOn is { } purge ? ToTicks(purge) : null));
        if (archive.Kind == BlobInstanceKind.Version)
        {
            // A blob written before versioning was on has no version id: it is kept under the one it is given now.
            tx.Execute($"UPDATE blob_instances SET version_id = @id WHERE {InstanceKey} AND instance_id = @id", key[0], key[1], key[2], ("@id", archive.InstanceId));
        }

        tx.Execute(
            "INSERT INTO blob_instance_parts (account, container, blob, instance_id, ordinal, block_id, object_id) " +
            "SELECT account, container, blob, @id, ordinal, block_id, object_id FROM blob_parts WHERE account = @account AND container = @container AND blob = @name",
            key[0],
            key[1],
            key[2],
            ("@id", archive.InstanceId));
    }

    /// <summary>
    /// The blob's live snapshots, soft-deleted or dropped as <paramref name="deletion"/> says; null
    /// refuses (SnapshotsPresent) when there is any. Returns the dropped parts' object ids.
    /// </summary>
    private static HashSet<string> DeleteLiveSnapshots(Transaction tx, string account, string container, string name, InstanceDeletion? deletion)
    {
        (string, object?)[] key = [("@account", account), ("@container", container), ("@name", name)];
        var snapshots = new List<(string Id, bool Held)>();
        using (var reader = tx.Query($"SELECT instance_id, legal_hold FROM blob_instances WHERE {InstanceKey} AND kind = {(int)BlobInstanceKind.Snapshot} AND deleted_on IS NULL", key))
        {
            while (reader.Read())
            {
                snapshots.Add((reader.GetString(0), reader.GetInt64(1) != 0));
            }
        }

        var candidates = new HashSet<string>(StringComparer.Ordinal);
        if (snapshots.Count == 0)
        {
            return candidates;
        }

        if (deletion is null)
        {
            throw new StorageException(ErrorCode.SnapshotsPresent);
        }

        foreach (var (id, held) in snapshots)
        {
            RequireNoLegalHold(tx, account, container, held);
            if (deletion.IsSoft)
            {
                SoftDeleteInstance(tx, account, container, name, id, deletion);
            }
            else
            {
                candidates.UnionWith(DropInstance(tx, account, container, name, id));
            }
        }

        return candidates;
    }

    private static void SoftDeleteInstance(Transaction tx, string account, string container, string name, string instanceId, InstanceDeletion deletion)
    {
        Invariant.True(deletion.PurgeOn is not null, "a soft-deleted instance has its purge time");
        tx.Execute(
            $"UPDATE blob_instances SET deleted_on = @deleted_on, purge_on = @purge_on WHERE {InstanceKey} AND instance_id = @id",
            ("@account", account),
            ("@container", container),
            ("@name", name),
            ("@id", instanceId),
            ("@deleted_on", ToTicks(deletion.DeletedOn!.Value)),
            ("@purge_on", ToTicks(deletion.PurgeOn!.Value)));
    }

    /// <summary>Removes an instance and its parts; returns the object ids it referenced (candidates for collection).</summary>
    private static HashSet<string> DropInstance(Transaction tx, string account, string container, string name, string instanceId)
    {
        (string, object?)[] key = [("@account", account), ("@container", container), ("@name", name), ("@id", instanceId)];
        var candidates = ReadObjectIds(tx, "SELECT object_id FROM blob_instance_parts WHERE account = @account AND container = @container AND blob = @name AND instance_id = @id", key);
        tx.Execute("DELETE FROM blob_instance_parts WHERE account = @account AND container = @container AND blob = @name AND instance_id = @id", key);
        tx.Execute($"DELETE FROM blob_instances WHERE {InstanceKey} AND instance_id = @id", key);
        return candidates;
    }

    private static void RestoreInstanceAsCurrent(Transaction tx, string account, string container, string name, string instanceId)
    {
        (string, object?)[] key = [("@account", account), ("@container", container), ("@name", name), ("@id", instanceId)];
        tx.Execute($"INSERT INTO blobs ({BlobColumns}) SELECT {BlobColumns} FROM blob_instances WHERE {InstanceKey} AND instance_id = @id", key);
        tx.Execute(
            "INSERT INTO blob_parts (account, container, blob, ordinal, block_id, object_id) " +
            "SELECT account, container, blob, ordinal, block_id, object_id FROM blob_instance_parts WHERE account = @account AND container = @container AND blob = @name AND instance_id = @id",
            key);
        tx.Execute("DELETE FROM blob_instance_parts WHERE account = @account AND container = @container AND blob = @name AND instance_id = @id", key);
        tx.Execute($"DELETE FROM blob_instances WHERE {InstanceKey} AND instance_id = @id", key);
    }

    private static BlobInstance? ReadInstance(Transaction tx, string account, string container, string name, string instanceId)
    {
        using var reader = tx.Query(
            $"SELECT {BlobColumns}, {InstanceExtraColumns} FROM blob_instances WHERE {InstanceKey} AND instance_id = @id",
            ("@account", account),
            ("@container", container),
            ("@name", name),
            ("@id", instanceId));
        return reader.Read() ? ReadInstanceColumns(reader, ReadBlobRow(reader), BlobColumnCount) : null;
    }

    /// <summary>The instance columns (instance_id, kind, deleted_on, purge_on) from <paramref name="first"/>.</summary>
    private static BlobInstance ReadInstanceColumns(DbDataReader reader, BlobRecord blob, int first)
    {
        var kind = (BlobInstanceKind)reader.GetInt32(first + 1);
        Invariant.True(Enum.IsDefined(kind), "an instance's kind is one this build knows");
        return new BlobInstance(
            blob,
            kind,
            reader.GetString(first),
            reader.IsDBNull(first + 2) ? null : FromTicks(reader.GetInt64(first + 2)),
            reader.IsDBNull(first + 3) ? null : FromTicks(reader.GetInt64(first + 3)));
    }

    private static List<BlobPart> ReadInstanceParts(Transaction tx, string account, string container, string name, string instanceId)
    {
        using var reader = tx.Query(
            $"SELECT p.ordinal, p.block_id, {ObjectColumns}, c.site_id, c.state, c.transfer_id " +
            $"FROM blob_instance_parts p JOIN objects o ON o.object_id = p.object_id {CopyJoin} " +
            "WHERE p.account = @account AND p.container = @container AND p.blob = @blob AND p.instance_id = @id ORDER BY p.ordinal, c.site_id",
            ("@account", account),
            ("@container", container),
            ("@blob", name),
            ("@id", instanceId));
        return ReadPartRows(reader);
    }
}
