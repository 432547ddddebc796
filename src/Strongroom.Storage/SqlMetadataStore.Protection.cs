using System.Data.Common;
using Strongroom.Core;

namespace Strongroom.Storage;

/// <summary>
/// Container soft delete and restore, legal holds and the account's data-protection settings
/// (issue 7; <see cref="IProtectionStore"/>). A soft-deleted container's rows — the container's
/// own and those of its blobs, parts, instances and staged blocks — move to its internal key
/// <c>name!version</c> in one transaction and move back on restore. The move inserts copies under
/// the new key parent-first and deletes the old rows child-first, so every foreign key holds at
/// every statement (a deferred check would fail a whole group commit, not just this write). The
/// column lists come from the schema itself, so a column a later migration adds moves too.
/// </summary>
public sealed partial class SqlMetadataStore : IProtectionStore
{
    private const string DeletedContainerColumns = ContainerColumns + ", deleted_name, deleted_on, purge_on";

    // Parents before children: the insert order.
    private static readonly string[] ContainerChildTables = ["blobs", "blob_parts", "blob_instances", "blob_instance_parts", "uncommitted_blocks", "container_access_policies"];

    // Children before parents: the delete order.
    private static readonly string[] ChildDeleteOrder = ["blob_parts", "blob_instance_parts", "uncommitted_blocks", "blob_instances", "blobs", "container_access_policies"];

    public Task<DeletedContainer> SoftDeleteContainerAsync(string account, string name, string version, DateTimeOffset deletedOn, DateTimeOffset purgeOn, Action<ContainerRecord>? precondition = null, AuditAppend? audit = null, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(version);
        RequireContainerRowName(name);
        return WriteAsync(
            tx =>
            {
                var current = ReadContainer(tx, account, name) ?? throw new StorageException(ErrorCode.ContainerNotFound);
                precondition?.Invoke(current);
                RequireContainerDeletable(tx, account, name);
                var key = VersionIds.DeletedContainerKey(name, version);
                if (ReadContainer(tx, account, key) is not null)
                {
                    throw new StorageException(ErrorCode.ContainerBeingDeleted, "A deleted container with this version already exists.");
                }

                MoveContainer(tx, account, name, key);
                tx.Execute(
                    "UPDATE containers SET deleted_name = @name, deleted_on = @deleted_on, purge_on = @purge_on WHERE account = @account AND name = @key",
                    ("@account", account),
                    ("@key", key),
                    ("@name", name),
                    ("@deleted_on", ToTicks(deletedOn)),
                    ("@purge_on", ToTicks(purgeOn)));
                return new DeletedContainer(current, version, deletedOn, purgeOn);
            },
            audit,
            cancellationToken);
    }

    public Task<ContainerRecord> RestoreContainerAsync(string account, string name, string version, DateTimeOffset now, AuditAppend? audit = null, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(version);
        RequireContainerRowName(name);
        return WriteAsync(
            tx =>
            {
                var key = VersionIds.DeletedContainerKey(name, version);
                var deleted = ReadDeletedContainer(tx, account, key);
                if (deleted is null || !string.Equals(deleted.Container.Name, name, StringComparison.Ordinal) || deleted.PurgeOn <= now)
                {
                    throw new StorageException(ErrorCode.ContainerNotDeleted);
                }

                if (ReadContainer(tx, account, name) is not null)
                {
                    throw new StorageException(ErrorCode.ContainerAlreadyExists);
                }

                MoveContainer(tx, account, key, name);
                tx.Execute(
                    "UPDATE containers SET deleted_name = NULL, deleted_on = NULL, purge_on = NULL WHERE account = @account AND name = @name",
                    ("@account", account),
                    ("@name", name));
                return ReadContainer(tx, account, name)!;
            },
            audit,
            cancellationToken);
    }

    public Task<DeletedContainer?> GetDeletedContainerAsync(string account, string name, string version, CancellationToken cancellationToken = default) =>
        ReadAsync(
            tx =>
            {
                var deleted = ReadDeletedContainer(tx, account, VersionIds.DeletedContainerKey(name, version));
                return deleted is not null && string.Equals(deleted.Container.Name, name, StringComparison.Ordinal) ? deleted : null;
            },
            cancellationToken);

    public Task<ContainerListPage> ListContainersIncludingDeletedAsync(string account, string prefix, string? startAtInclusive, int limit, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(prefix);
        ArgumentOutOfRangeException.ThrowIfLessThan(limit, 1);
        return ReadAsync(
            tx =>
            {
                if (ReadAccount(tx, account) is null)
                {
                    throw new StorageException(ErrorCode.AccountNotFound);
                }

                var live = new List<ContainerRecord>();
                var deleted = new List<DeletedContainer>();
                // '!' separates a deleted container's name from its version and is never in a
                // name, so a prefix holding it matches nothing (else it would match internal keys).
                if (!NamePrefix.IsWellFormed(prefix) || prefix.Contains('!', StringComparison.Ordinal))
                {
                    return new ContainerListPage(live, deleted, null);
                }

                // Internal keys sort in listing order: 'name!version' right after 'name' and before
                // any longer name ('!' sorts below every character a container name may hold).
                string? next = null;
                var taken = 0;
                using (var reader = QueryContainerRange(tx, DeletedContainerColumns, includeDeleted: true, account, prefix, startAtInclusive, limit))
                {
                    while (reader.Read())
                    {
                        if (taken == limit)
                        {
                            next = reader.GetString(1);
                            break;
                        }

                        taken++;
                        if (reader.IsDBNull(11))
                        {
                            live.Add(ReadContainerRow(reader));
                        }
                        else
                        {
                            deleted.Add(ReadDeletedContainerRow(reader));
                        }
                    }
                }

                for (var i = 0; i < live.Count; i++)
                {
                    live[i] = WithLease(tx, live[i]);
                }

                return new ContainerListPage(live, deleted, next);
            },
            cancellationToken);
    }

    public Task<ContainerRecord> UpdateContainerLegalHoldAsync(string account, string container, Func<IReadOnlyList<string>, IReadOnlyList<string>> update, AuditAppend? audit = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(update);
        RequireContainerRowName(container);
        return WriteAsync(
            tx =>
            {
                var current = ReadContainer(tx, account, container) ?? throw new StorageException(ErrorCode.ContainerNotFound);
                var tags = update(current.LegalHoldTags ?? []);
                tx.Execute(
                    "UPDATE containers SET legal_hold_tags = @tags WHERE account = @account AND name = @name",
                    ("@account", account),
                    ("@name", container),
                    ("@tags", LegalHoldTagsJson(tags)));
                return ReadContainer(tx, account, container)!;
            },
            audit,
            cancellationToken);
    }

    public Task SetBlobLegalHoldAsync(string account, string container, string blob, string? versionId, bool legalHold, AuditAppend? audit = null, CancellationToken cancellationToken = default) =>
        WriteAsync(
            tx =>
            {
                if (ReadContainer(tx, account, container) is null)
                {
                    throw new StorageException(ErrorCode.ContainerNotFound);
                }

                var current = ReadBlob(tx, account, container, blob);
                if (versionId is null || (current is not null && string.Equals(current.VersionId, versionId, StringComparison.Ordinal)))
                {
                    if (current is null)
                    {
                        throw new StorageException(versionId is null ? ErrorCode.BlobNotFound : ErrorCode.VersionNotFound);
                    }

                    tx.Execute(
                        $"UPDATE blobs SET legal_hold = @hold WHERE {BlobKey} AND name = @name",
                        ("@account", account),
                        ("@container", container),
                        ("@name", blob),
                        ("@hold", legalHold ? 1 : 0));
                    return true;
                }

                var changed = tx.Execute(
                    $"UPDATE blob_instances SET legal_hold = @hold WHERE {BlobKey} AND name = @name AND instance_id = @version AND kind = @kind AND deleted_on IS NULL",
                    ("@account", account),
                    ("@container", container),
                    ("@name", blob),
                    ("@version", versionId),
                    ("@kind", (int)BlobInstanceKind.Version),
                    ("@hold", legalHold ? 1 : 0));
                return changed == 0 ? throw new StorageException(ErrorCode.VersionNotFound) : true;
            },
            audit,
            cancellationToken);

    public Task<DataProtectionSettings> UpdateDataProtectionAsync(string account, Func<DataProtectionSettings, DataProtectionSettings> update, AuditAppend? audit = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(update);
        return WriteAsync(
            tx =>
            {
                var current = ReadAccount(tx, account) ?? throw new StorageException(ErrorCode.AccountNotFound);
                var settings = update(current.DataProtection);
                if (!DataProtectionSettings.IsValidRetentionDays(settings.BlobSoftDeleteDays) || !DataProtectionSettings.IsValidRetentionDays(settings.ContainerSoftDeleteDays))
                {
                    throw new StorageException(ErrorCode.InvalidDataProtectionSetting, $"A soft-delete retention is {Limits.BlobSoftDeleteDaysMin} to {Limits.BlobSoftDeleteDaysMax} days.");
                }

                WriteDataProtection(tx, account, settings);
                return settings;
            },
            audit,
            cancellationToken);
    }

    private static void WriteDataProtection(Transaction tx, string account, DataProtectionSettings settings) =>
        tx.Execute(
            "UPDATE accounts SET versioning = @versioning, blob_soft_delete_days = @blob_days, container_soft_delete_days = @container_days, allow_permanent_delete = @permanent WHERE name = @name",
            ("@name", account),
            ("@versioning", settings.Versioning ? 1 : 0),
            ("@blob_days", settings.BlobSoftDeleteDays),
            ("@container_days", settings.ContainerSoftDeleteDays),
            ("@permanent", settings.AllowPermanentDelete ? 1 : 0));

    /// <summary>
    /// A container can be deleted (soft or hard) only when neither it (any legal-hold tag) nor any
    /// blob or instance under it is held: ContainerImmutableDueToLegalHold.
    /// </summary>
    private static void RequireContainerDeletable(Transaction tx, string account, string container)
    {
        RequireNoLegalHold(tx, account, container, blobHeld: false, containerIsTarget: true);
        var held = tx.Scalar(
            $"SELECT EXISTS (SELECT 1 FROM blobs WHERE {BlobKey} AND legal_hold <> 0) OR EXISTS (SELECT 1 FROM blob_instances WHERE {BlobKey} AND legal_hold <> 0)",
            ("@account", account),
            ("@container", container));
        // A boolean on PostgreSQL, an integer on SQLite.
        if (held is not null and not DBNull && Convert.ToInt64(held, System.Globalization.CultureInfo.InvariantCulture) != 0)
        {
            throw new StorageException(ErrorCode.ContainerImmutableDueToLegalHold, "The container holds blobs under a legal hold.");
        }
    }

    /// <summary>Copies the container row and every row under it from <paramref name="from"/> to <paramref name="to"/>, then removes the originals.</summary>
    private static void MoveContainer(Transaction tx, string account, string from, string to)
    {
        (string, object?)[] parameters = [("@account", account), ("@from", from), ("@to", to)];
        tx.Execute(CopySql(tx, "containers", "name") + " WHERE account = @account AND name = @from", parameters);
        foreach (var table in ContainerChildTables)
        {
            tx.Execute(CopySql(tx, table, "container") + " WHERE account = @account AND container = @from", parameters);
        }

        foreach (var table in ChildDeleteOrder)
        {
            tx.Execute($"DELETE FROM {table} WHERE account = @account AND container = @from", parameters);
        }

        tx.Execute("DELETE FROM containers WHERE account = @account AND name = @from", parameters);
    }

    /// <summary><c>INSERT INTO table (every column) SELECT (every column, <paramref name="keyColumn"/> replaced by @to) FROM table</c>.</summary>
    private static string CopySql(Transaction tx, string table, string keyColumn)
    {
        var columns = new List<string>();
        using (var reader = tx.Query(tx.Backend.ColumnNamesSql, ("@table", table)))
        {
            while (reader.Read())
            {
                columns.Add(reader.GetString(0));
            }
        }

        Invariant.True(columns.Contains(keyColumn), $"the table {table} has the column {keyColumn}");
        var list = string.Join(", ", columns);
        var select = string.Join(", ", columns.Select(column => column == keyColumn ? "@to" : column));
        return $"INSERT INTO {table} ({list}) SELECT {select} FROM {table}";
    }

    private static DeletedContainer? ReadDeletedContainer(Transaction tx, string account, string key)
    {
        using var reader = tx.Query(
            $"SELECT {DeletedContainerColumns} FROM containers WHERE account = @account AND name = @name AND deleted_on IS NOT NULL",
            ("@account", account),
            ("@name", key));
        return reader.Read() ? ReadDeletedContainerRow(reader) : null;
    }

    /// <summary>A deleted container's row (<see cref="DeletedContainerColumns"/>): its record under the name it had, and its version (the key's suffix).</summary>
    private static DeletedContainer ReadDeletedContainerRow(DbDataReader reader)
    {
        var key = reader.GetString(1);
        var name = reader.GetString(10);
        Invariant.True(key.Length > name.Length + 1 && key.StartsWith(name + "!", StringComparison.Ordinal), "a deleted container's key is its name, '!' and its version");
        return new DeletedContainer(
            ReadContainerRow(reader) with { Name = name },
            key[(name.Length + 1)..],
            FromTicks(reader.GetInt64(11)),
            FromTicks(reader.GetInt64(12)));
    }

    /// <summary>Live container names never hold '!': that would address a deleted container's internal key.</summary>
    private static void RequireContainerRowName(string name)
    {
        ArgumentException.ThrowIfNullOrEmpty(name);
        if (name.Contains('!', StringComparison.Ordinal))
        {
            throw new StorageException(ErrorCode.ContainerNotFound);
        }
    }
}
