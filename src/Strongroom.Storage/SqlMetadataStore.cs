using System.Data.Common;
using Strongroom.Core;

namespace Strongroom.Storage;

/// <summary>
/// The metadata store: every account, container, blob, object, key, log and grant row, on a SQL
/// database — SQLite (one file, <see cref="OpenSqliteAsync"/>) or PostgreSQL (shared by many
/// servers, <see cref="OpenPostgresAsync"/>). The SQL is the same on both; <see cref="SqlBackend"/>
/// holds what differs.
///
/// Concurrency: reads take a pooled connection each and see one snapshot per call. Writes are
/// serialised in-process by a semaphore and group-committed; each group's transaction runs alone
/// among the writes of every process on the database (<see cref="SqlBackend.BeginWrite"/>), so a
/// precondition checked inside a write holds at its commit whichever server runs it.
///
/// Durability: a write is acknowledged only after its group's commit returned (SQLite:
/// synchronous=FULL fsyncs the WAL; PostgreSQL: the server's synchronous commit).
/// </summary>
public sealed partial class SqlMetadataStore : IMetadataStore
{
    // An account row with its current (newest) key-encryption key; older versions stay in account_keks.
    // LEFT JOIN: a destroyed account has no key-encryption key left (empty key, version 0).
    private const string AccountSelect =
        "SELECT a.name, a.wrapped_key1, a.wrapped_key2, k.wrapped_kek, a.created_on, a.state, k.version, a.cipher_suite, a.audit_data_plane, a.audit_retention_days, " +
        "a.residency, a.primary_region, a.secondary_region, a.redundancy, " +
        "a.versioning, a.blob_soft_delete_days, a.container_soft_delete_days, a.allow_permanent_delete, a.closed_on, a.destroy_after FROM accounts a " +
        "LEFT JOIN account_keks k ON k.account = a.name AND k.version = (SELECT MAX(version) FROM account_keks WHERE account = a.name)";
    private const string ContainerColumns = "account, name, etag, created_on, last_modified, metadata, default_encryption_scope, deny_encryption_scope_override, redundancy, legal_hold_tags";
    private const string BlobColumns =
        "account, container, name, blob_type, content_length, etag, created_on, last_modified, content_type, " +
        "content_encoding, content_language, content_disposition, cache_control, content_md5, metadata, encryption_scope, customer_key_sha256, version_id, legal_hold, " +
        "copy_id, copy_source, copy_completed_on, access_tier, access_tier_changed_on, sealed, sequence_number, tags";

    // How many columns BlobColumns reads (ReadBlobRow), so a query can select more after them.
    private const int BlobColumnCount = 27;

    private const string BlobKey = "account = @account AND container = @container";

    // A stored object's columns (alias o; ReadObjectRow reads them in this order), and the join that
    // follows them with one copy per row (NULL site when the object has none).
    private const string ObjectColumns =
        "o.object_id, o.wrapped_key, o.plaintext_length, o.encryption_scope, o.customer_key_sha256, o.ciphertext_length, o.ciphertext_crc64, o.created_on";
    private const string ObjectColumnsBare =
        "object_id, wrapped_key, plaintext_length, encryption_scope, customer_key_sha256, ciphertext_length, ciphertext_crc64, created_on";
    private const int ObjectColumnCount = 8;
    private const string CopyJoin = "LEFT JOIN object_copies c ON c.object_id = o.object_id";

    // One multi-row insert per copy count (a constant set of SQL texts, so the writer keeps each prepared).
    private static readonly string[] CopySiteParameters = [.. Enumerable.Range(0, Limits.CopiesMax).Select(i => $"@site{i}")];
    private static readonly string[] CopyStateParameters = [.. Enumerable.Range(0, Limits.CopiesMax).Select(i => $"@state{i}")];
    private static readonly string[] CopyInserts =
    [
        .. Enumerable.Range(1, Limits.CopiesMax).Select(count =>
            "INSERT INTO object_copies (object_id, site_id, state) VALUES " +
            string.Join(", ", Enumerable.Range(0, count).Select(i => $"(@object_id, {CopySiteParameters[i]}, {CopyStateParameters[i]})"))),
    ];

    private readonly SqlBackend backend;
    private readonly SemaphoreSlim writeLock = new(1, 1);
    private readonly System.Collections.Concurrent.ConcurrentQueue<PendingWrite> pendingWrites = new();
    private int disposed;
    private long writeGroupsCommitted;

    // Set (under the write lock) when a committed group erased wrapped keys; cleared by a completed
    // truncating checkpoint. See ReleaseErasingWrites.
    private bool erasurePending;

    // Committed writes that erased wrapped keys, whose acknowledgement waits for the truncating
    // checkpoint (under the write lock), and when the first of them started waiting.
    private readonly List<(PendingWrite Write, object? Result)> erasingWritesHeld = [];
    private long erasingWritesHeldSince;

    // The connection group commits run on, kept between groups with its prepared statements
    // (touched only under writeLock). Opening a pooled connection, setting its pragmas and
    // preparing every statement again for each group cost more CPU than a small group's own
    // work (a read's audit append under `all`). Dropped after a failed group and on dispose.
    private DbConnection? writerConnection;
    private Dictionary<string, DbCommand>? writerCommands;

    private SqlMetadataStore(SqlBackend backend)
    {
        this.backend = backend;
    }

    /// <summary>Opens (creating when absent) a SQLite database file and brings its schema up to date.</summary>
    /// <exception cref="SchemaVersionException">The file was written by a newer Strongroom.</exception>
    public static Task<SqlMetadataStore> OpenSqliteAsync(string databasePath, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(databasePath);
        cancellationToken.ThrowIfCancellationRequested();
        return Task.FromResult(Open(SqliteBackend.Open(databasePath), SqliteSchema.CurrentVersion));
    }

    /// <summary>
    /// Opens the PostgreSQL database <paramref name="connectionString"/> names (an Npgsql keyword
    /// string or a <c>postgresql://</c> URI) and brings its schema up to date, creating it in an
    /// empty database. Many servers share one such store.
    /// </summary>
    /// <exception cref="SchemaVersionException">The database was written by a newer Strongroom.</exception>
    /// <exception cref="MetadataConnectionException">The database could not be reached, refused the credentials, or its certificate did not verify.</exception>
    /// <exception cref="ArgumentException">The connection string is neither form.</exception>
    public static Task<SqlMetadataStore> OpenPostgresAsync(string connectionString, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(connectionString);
        cancellationToken.ThrowIfCancellationRequested();
        return Task.Run(() => Open(PostgresBackend.Open(connectionString), SqliteSchema.CurrentVersion), cancellationToken);
    }

    /// <summary>The store on <paramref name="backend"/>, its schema migrated to <paramref name="targetVersion"/>.</summary>
    internal static SqlMetadataStore Open(SqlBackend backend, int targetVersion)
    {
        try
        {
            using var connection = backend.OpenConnection();
            backend.Migrate(connection, targetVersion);
        }
        catch
        {
            backend.ClearPool();
            throw;
        }

        return new SqlMetadataStore(backend);
    }

    /// <summary>What the store is on: the SQLite file's path, or PostgreSQL's host, port and database.</summary>
    public string Description => backend.Description;

    /// <summary>How many group commits (one fsync each) this store has run; benchmarks divide writes by it.</summary>
    public long WriteGroupsCommitted => Interlocked.Read(ref writeGroupsCommitted);

    // Accounts

    public Task CreateAccountAsync(AccountRecord account, AuditAppend? audit = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(account);
        ValidateAuditSettings(account.AuditDataPlane, account.AuditRetentionDays);
        var placement = PlacementRow.From(account.Placement);
        return WriteAsync(
            tx =>
            {
                if (ReadAccount(tx, account.Name) is not null)
                {
                    throw new StorageException(ErrorCode.AccountAlreadyExists);
                }

                tx.Execute(
                    "INSERT INTO accounts (name, wrapped_key1, wrapped_key2, created_on, state, cipher_suite, audit_data_plane, audit_retention_days, " +
                    "residency, primary_region, secondary_region, redundancy) " +
                    "VALUES (@name, @key1, @key2, @created_on, @state, @cipher_suite, @audit_data_plane, @audit_retention_days, " +
                    "@residency, @primary_region, @secondary_region, @redundancy)",
                    ("@name", account.Name),
                    ("@key1", account.WrappedSharedKey1),
                    ("@key2", account.WrappedSharedKey2),
                    ("@created_on", ToTicks(account.CreatedOn)),
                    ("@state", (int)account.State),
                    ("@cipher_suite", (int)account.CipherSuite),
                    ("@audit_data_plane", (int)account.AuditDataPlane),
                    ("@audit_retention_days", account.AuditRetentionDays),
                    ("@residency", placement.Residency),
                    ("@primary_region", placement.PrimaryRegion),
                    ("@secondary_region", placement.SecondaryRegion),
                    ("@redundancy", placement.Redundancy));
                tx.Execute(
                    "INSERT INTO account_keks (account, version, wrapped_kek, created_on) VALUES (@name, @version, @kek, @created_on)",
                    ("@name", account.Name),
                    ("@version", (long)account.KeyEncryptionKeyVersion),
                    ("@kek", account.WrappedKeyEncryptionKey),
                    ("@created_on", ToTicks(account.CreatedOn)));
                return true;
            },
            audit,
            cancellationToken);
    }

    public Task<AccountRecord?> GetAccountAsync(string name, CancellationToken cancellationToken = default) =>
        ReadAsync(tx => ReadAccount(tx, name), cancellationToken);

    public Task<IReadOnlyList<AccountRecord>> ListAccountsAsync(CancellationToken cancellationToken = default) =>
        ReadAsync<IReadOnlyList<AccountRecord>>(
            tx =>
            {
                using var reader = tx.Query($"{AccountSelect} ORDER BY a.name");
                var accounts = new List<AccountRecord>();
                while (reader.Read())
                {
                    accounts.Add(ReadAccountRow(reader));
                }

                return accounts;
            },
            cancellationToken);

    public Task UpdateAccountSharedKeysAsync(string name, byte[] wrappedSharedKey1, byte[] wrappedSharedKey2, AuditAppend? audit = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(wrappedSharedKey1);
        ArgumentNullException.ThrowIfNull(wrappedSharedKey2);
        return WriteAsync(
            tx =>
            {
                var changed = tx.Execute(
                    "UPDATE accounts SET wrapped_key1 = @key1, wrapped_key2 = @key2 WHERE name = @name",
                    ("@name", name),
                    ("@key1", wrappedSharedKey1),
                    ("@key2", wrappedSharedKey2));
                return changed == 0 ? throw new StorageException(ErrorCode.AccountNotFound) : true;
            },
            audit,
            cancellationToken);
    }

    public Task SetDataProtectionAsync(string name, DataProtectionSettings settings, AuditAppend? audit = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(settings);
        if (!DataProtectionSettings.IsValidRetentionDays(settings.BlobSoftDeleteDays) || !DataProtectionSettings.IsValidRetentionDays(settings.ContainerSoftDeleteDays))
        {
            throw new StorageException(ErrorCode.InvalidDataProtectionSetting, $"A soft-delete retention is {Limits.BlobSoftDeleteDaysMin} to {Limits.BlobSoftDeleteDaysMax} days.");
        }

        return WriteAsync(
            tx =>
            {
                var changed = tx.Execute(
                    "UPDATE accounts SET versioning = @versioning, blob_soft_delete_days = @blob_days, container_soft_delete_days = @container_days, allow_permanent_delete = @permanent WHERE name = @name",
                    ("@name", name),
                    ("@versioning", settings.Versioning ? 1 : 0),
                    ("@blob_days", settings.BlobSoftDeleteDays),
                    ("@container_days", settings.ContainerSoftDeleteDays),
                    ("@permanent", settings.AllowPermanentDelete ? 1 : 0));
                return changed == 0 ? throw new StorageException(ErrorCode.AccountNotFound) : true;
            },
            audit,
            cancellationToken);
    }

    /// <summary>
    /// Legal holds, checked inside the transaction that would delete, overwrite or purge: a hold on
    /// the container (any tag) refuses everything under it (ContainerImmutableDueToLegalHold when
    /// the container itself is the target, BlobImmutableDueToLegalHold for a blob), a hold on the
    /// blob or instance refuses it (BlobImmutableDueToLegalHold).
    /// </summary>
    private static void RequireNoLegalHold(Transaction tx, string account, string container, bool blobHeld, bool containerIsTarget = false)
    {
        var tags = tx.Scalar("SELECT legal_hold_tags FROM containers WHERE account = @account AND name = @name", ("@account", account), ("@name", container));
        if (tags is string)
        {
            throw new StorageException(containerIsTarget ? ErrorCode.ContainerImmutableDueToLegalHold : ErrorCode.BlobImmutableDueToLegalHold);
        }

        if (blobHeld)
        {
            throw new StorageException(ErrorCode.BlobImmutableDueToLegalHold);
        }
    }

    /// <summary>
    /// Removes the account's row and everything under it; returns the objects to remove from sites.
    /// For tests only (they build states no production path reaches, e.g. a name created again):
    /// no production path deletes an account — it is closed and destroyed by crypto-shredding
    /// (<see cref="DestroyAccountAsync"/>), and its row keeps the name taken.
    /// </summary>
    internal Task<IReadOnlyList<StoredObject>> DeleteAccountAsync(string name, AuditAppend? audit = null, CancellationToken cancellationToken = default) =>
        WriteAsync(
            tx =>
            {
                if (ReadAccount(tx, name) is null)
                {
                    throw new StorageException(ErrorCode.AccountNotFound);
                }

                (string, object?) account = ("@account", name);
                var candidates = ReadObjectIds(
                    tx,
                    "SELECT object_id FROM blob_parts WHERE account = @account UNION SELECT object_id FROM uncommitted_blocks WHERE account = @account " +
                    "UNION SELECT object_id FROM blob_instance_parts WHERE account = @account",
                    account);
                DropAccountContents(tx, account);
                DeleteVaultRows(tx, name);
                tx.Execute("DELETE FROM accounts WHERE name = @account", account);
                return CollectUnreferencedObjects(tx, candidates);
            },
            audit,
            cancellationToken);

    // Containers

    public Task CreateContainerAsync(ContainerRecord container, AuditAppend? audit = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(container);
        return WriteAsync(
            tx =>
            {
                if (ReadAccount(tx, container.Account) is null)
                {
                    throw new StorageException(ErrorCode.AccountNotFound);
                }

                if (ReadContainer(tx, container.Account, container.Name) is not null)
                {
                    throw new StorageException(ErrorCode.ContainerAlreadyExists);
                }

                tx.Execute(
                    $"INSERT INTO containers ({ContainerColumns}) VALUES (@account, @name, @etag, @created_on, @last_modified, @metadata, @default_scope, @deny_override, @redundancy, @legal_hold_tags)",
                    ("@account", container.Account),
                    ("@name", container.Name),
                    ("@etag", container.ETag),
                    ("@created_on", ToTicks(container.CreatedOn)),
                    ("@last_modified", ToTicks(container.LastModified)),
                    ("@metadata", MetadataJson.Serialize(container.Metadata)),
                    ("@default_scope", container.DefaultEncryptionScope),
                    ("@deny_override", container.DenyEncryptionScopeOverride ? 1 : 0),
                    ("@redundancy", container.Redundancy?.ToString()),
                    ("@legal_hold_tags", LegalHoldTagsJson(container.LegalHoldTags)));
                return true;
            },
            audit,
            cancellationToken);
    }

    public Task<ContainerRecord?> GetContainerAsync(string account, string name, CancellationToken cancellationToken = default) =>
        ReadAsync(tx => ReadContainer(tx, account, name), cancellationToken);

    public Task<ContainerPage> ListContainersAsync(string account, string prefix, string? startAtInclusive, int limit, CancellationToken cancellationToken = default)
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

                var containers = new List<ContainerRecord>();
                if (!NamePrefix.IsWellFormed(prefix))
                {
                    return new ContainerPage(containers, null);
                }

                // One row past the page tells whether there is a next page and where it starts.
                using (var reader = QueryContainerRange(tx, ContainerColumns, includeDeleted: false, account, prefix, startAtInclusive, limit))
                {
                    while (reader.Read())
                    {
                        containers.Add(ReadContainerRow(reader));
                    }
                }

                string? next = null;
                if (containers.Count > limit)
                {
                    next = containers[limit].Name;
                    containers.RemoveAt(limit);
                }

                for (var i = 0; i < containers.Count; i++)
                {
                    containers[i] = WithLease(tx, containers[i]);
                }

                return new ContainerPage(containers, next);
            },
            cancellationToken);
    }

    /// <summary>
    /// The rows (<paramref name="columns"/>) of an account's containers in a listing's range, by
    /// name: one page and one row past it, which tells whether there is a next page and where it starts.
    /// </summary>
    private static DbDataReader QueryContainerRange(Transaction tx, string columns, bool includeDeleted, string account, string prefix, string? startAtInclusive, int limit) =>
        tx.Query(
            $"SELECT {columns} FROM containers WHERE account = @account AND {(includeDeleted ? string.Empty : "deleted_on IS NULL AND ")}{RangeCondition("name", prefix, startAtInclusive)} ORDER BY name LIMIT @take",
            ("@account", account),
            ("@prefix", prefix),
            ("@upper", NamePrefix.UpperBound(prefix)),
            ("@start", startAtInclusive),
            ("@take", (long)limit + 1));

    public Task<ContainerRecord> SetContainerMetadataAsync(string account, string name, IReadOnlyList<KeyValuePair<string, string>> metadata, string eTag, DateTimeOffset lastModified, Action<ContainerRecord>? precondition = null, AuditAppend? audit = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(metadata);
        ArgumentNullException.ThrowIfNull(eTag);
        return WriteAsync(
            tx =>
            {
                var current = ReadContainer(tx, account, name) ?? throw new StorageException(ErrorCode.ContainerNotFound);
                precondition?.Invoke(current);
                tx.Execute(
                    "UPDATE containers SET metadata = @metadata, etag = @etag, last_modified = @last_modified WHERE account = @account AND name = @name",
                    ("@account", account),
                    ("@name", name),
                    ("@metadata", MetadataJson.Serialize(metadata)),
                    ("@etag", eTag),
                    ("@last_modified", ToTicks(lastModified)));
                return ReadContainer(tx, account, name)!;
            },
            audit,
            cancellationToken);
    }

    public Task<IReadOnlyList<StoredObject>> DeleteContainerAsync(string account, string name, Action<ContainerRecord>? precondition = null, AuditAppend? audit = null, CancellationToken cancellationToken = default) =>
        WriteAsync(
            tx =>
            {
                var current = ReadContainer(tx, account, name) ?? throw new StorageException(ErrorCode.ContainerNotFound);
                precondition?.Invoke(current);
                RequireContainerDeletable(tx, account, name);

                (string, object?)[] key = [("@account", account), ("@container", name)];
                var candidates = DropContainerRows(tx, key);
                return CollectUnreferencedObjects(tx, candidates);
            },
            audit,
            cancellationToken);

    // Blobs

    public Task<BlobRecord?> GetBlobAsync(string account, string container, string name, CancellationToken cancellationToken = default) =>
        ReadAsync(tx => ReadBlob(tx, account, container, name), cancellationToken);

    public Task<(BlobRecord Blob, IReadOnlyList<BlobPart> Parts)?> GetBlobWithPartsAsync(string account, string container, string name, CancellationToken cancellationToken = default) =>
        ReadAsync<(BlobRecord Blob, IReadOnlyList<BlobPart> Parts)?>(
            tx =>
            {
                var blob = ReadBlob(tx, account, container, name);
                if (blob is null)
                {
                    return null;
                }

                return (blob, ReadParts(tx, account, container, name));
            },
            cancellationToken);

    public Task<IReadOnlyList<BlobRecord>> ListBlobsAsync(BlobListQuery query, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(query);
        ArgumentNullException.ThrowIfNull(query.Prefix);
        ArgumentOutOfRangeException.ThrowIfLessThan(query.Limit, 1);
        return ReadAsync<IReadOnlyList<BlobRecord>>(
            tx =>
            {
                if (ReadContainer(tx, query.Account, query.Container) is null)
                {
                    throw new StorageException(ErrorCode.ContainerNotFound);
                }

                var blobs = new List<BlobRecord>();
                if (!NamePrefix.IsWellFormed(query.Prefix))
                {
                    return blobs;
                }

                using var reader = tx.Query(
                    $"SELECT {BlobColumns} FROM blobs WHERE {BlobKey} AND {RangeCondition("name", query.Prefix, query.StartAtInclusive)} ORDER BY name LIMIT @take",
                    ("@account", query.Account),
                    ("@container", query.Container),
                    ("@prefix", query.Prefix),
                    ("@upper", NamePrefix.UpperBound(query.Prefix)),
                    ("@start", query.StartAtInclusive),
                    ("@take", (long)query.Limit));
                while (reader.Read())
                {
                    blobs.Add(ReadBlobRow(reader));
                }

                reader.Dispose();
                return WithLeases(tx, blobs);
            },
            cancellationToken);
    }

    public Task<IReadOnlyList<StoredObject>> CommitBlobAsync(BlobRecord blob, IReadOnlyList<BlobPart> parts, IReadOnlyCollection<StoredObject> newObjects, Action<BlobRecord?>? precondition = null, AuditAppend? audit = null, CancellationToken cancellationToken = default) =>
        CommitBlobAsync(blob, parts, newObjects, precondition, archive: null, audit, cancellationToken);

    public Task<IReadOnlyList<StoredObject>> CommitBlobAsync(BlobRecord blob, IReadOnlyList<BlobPart> parts, IReadOnlyCollection<StoredObject> newObjects, Action<BlobRecord?>? precondition, Func<BlobRecord, BlobArchive?>? archive, AuditAppend? audit = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(blob);
        ArgumentNullException.ThrowIfNull(parts);
        ArgumentNullException.ThrowIfNull(newObjects);
        var newObjectIds = newObjects.Select(o => o.ObjectId).ToHashSet(StringComparer.Ordinal);
        if (parts.Count > Limits.CommittedBlocksMax)
        {
            throw new StorageException(ErrorCode.BlockListTooLong);
        }

        var ordinals = new HashSet<int>();
        foreach (var part in parts)
        {
            ArgumentNullException.ThrowIfNull(part);
            if (!ordinals.Add(part.Ordinal))
            {
                throw new ArgumentException($"Part ordinal {part.Ordinal} appears more than once.", nameof(parts));
            }
        }

        return WriteAsync(
            tx =>
            {
                if (ReadContainer(tx, blob.Account, blob.Container) is null)
                {
                    throw new StorageException(ErrorCode.ContainerNotFound);
                }

                var current = ReadBlob(tx, blob.Account, blob.Container, blob.Name);
                precondition?.Invoke(current);

                (string, object?)[] key = [("@account", blob.Account), ("@container", blob.Container), ("@blob", blob.Name)];
                var candidates = ReadObjectIds(
                    tx,
                    $"SELECT object_id FROM blob_parts WHERE {BlobKey} AND blob = @blob UNION SELECT object_id FROM uncommitted_blocks WHERE {BlobKey} AND blob = @blob",
                    key);
                KeepReplacedBlob(tx, current, archive, overwrite: true);
                if (current is null)
                {
                    DemoteDeletedBlob(tx, blob.Account, blob.Container, blob.Name);
                }

                RequireNewVersionId(tx, current, blob);
                WriteBlobRow(tx, blob, insert: true);
                tx.Execute($"DELETE FROM blob_parts WHERE {BlobKey} AND blob = @blob", key);
                foreach (var part in parts)
                {
                    if (newObjectIds.Contains(part.Object.ObjectId))
                    {
                        EnsureObject(tx, part.Object, blob.Account);
                    }
                    else if (!ObjectExists(tx, part.Object.ObjectId))
                    {
                        // The block was dropped by a concurrent write since the caller resolved it.
                        throw new StorageException(ErrorCode.InvalidBlockList, "A listed block no longer exists.");
                    }

                    tx.Execute(
                        "INSERT INTO blob_parts (account, container, blob, ordinal, block_id, object_id) VALUES (@account, @container, @blob, @ordinal, @block_id, @object_id)",
                        key[0],
                        key[1],
                        key[2],
                        ("@ordinal", part.Ordinal),
                        ("@block_id", part.BlockId),
                        ("@object_id", part.Object.ObjectId));
                    candidates.Remove(part.Object.ObjectId);
                }

                tx.Execute($"DELETE FROM uncommitted_blocks WHERE {BlobKey} AND blob = @blob", key);
                return CollectUnreferencedObjects(tx, candidates);
            },
            audit,
            cancellationToken);
    }

    public Task<BlobRecord> UpdateBlobPropertiesAsync(string account, string container, string name, Func<BlobRecord, BlobRecord> update, AuditAppend? audit = null, CancellationToken cancellationToken = default) =>
        UpdateBlobPropertiesAsync(account, container, name, update, archive: null, checkLegalHold: false, audit, cancellationToken);

    public Task<BlobRecord> UpdateBlobPropertiesAsync(string account, string container, string name, Func<BlobRecord, BlobRecord> update, Func<BlobRecord, BlobArchive?>? archive, AuditAppend? audit = null, CancellationToken cancellationToken = default) =>
        UpdateBlobPropertiesAsync(account, container, name, update, archive, checkLegalHold: true, audit, cancellationToken);

    // Without an archive this is also how a blob's own legal hold is set and cleared, so only the
    // data plane's overload (which names what it keeps) checks holds.
    private Task<BlobRecord> UpdateBlobPropertiesAsync(string account, string container, string name, Func<BlobRecord, BlobRecord> update, Func<BlobRecord, BlobArchive?>? archive, bool checkLegalHold, AuditAppend? audit, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(update);
        return WriteAsync(
            tx =>
            {
                var current = ReadBlob(tx, account, container, name) ?? throw new StorageException(ErrorCode.BlobNotFound);
                var updated = update(current);
                if (updated.Account != account || updated.Container != container || updated.Name != name)
                {
                    throw new ArgumentException("An update must not rename the blob.", nameof(update));
                }

                // Only an update that keeps the replaced state as a version gives the blob a new version id.
                if (checkLegalHold && KeepReplacedBlob(tx, current, archive, overwrite: true) is { Kind: BlobInstanceKind.Version })
                {
                    RequireNewVersionId(tx, current, updated);
                }

                WriteBlobRow(tx, updated, insert: false);
                return updated;
            },
            audit,
            cancellationToken);
    }

    public Task<IReadOnlyList<StoredObject>> DeleteBlobAsync(string account, string container, string name, Action<BlobRecord>? precondition = null, AuditAppend? audit = null, CancellationToken cancellationToken = default) =>
        DeleteBlobAsync(account, container, name, precondition, archive: null, snapshots: InstanceDeletion.Permanent, audit, cancellationToken);

    public Task<IReadOnlyList<StoredObject>> DeleteBlobAsync(string account, string container, string name, Action<BlobRecord>? precondition, Func<BlobRecord, BlobArchive?>? archive, InstanceDeletion? snapshots, AuditAppend? audit = null, CancellationToken cancellationToken = default) =>
        WriteAsync(
            tx =>
            {
                var current = ReadBlob(tx, account, container, name) ?? throw new StorageException(ErrorCode.BlobNotFound);
                precondition?.Invoke(current);

                (string, object?)[] key = [("@account", account), ("@container", container), ("@blob", name)];
                var candidates = ReadObjectIds(
                    tx,
                    $"SELECT object_id FROM blob_parts WHERE {BlobKey} AND blob = @blob UNION SELECT object_id FROM uncommitted_blocks WHERE {BlobKey} AND blob = @blob",
                    key);
                candidates.UnionWith(DeleteLiveSnapshots(tx, account, container, name, snapshots));
                KeepReplacedBlob(tx, current, archive, overwrite: false);
                tx.Execute($"DELETE FROM blob_parts WHERE {BlobKey} AND blob = @blob", key);
                tx.Execute($"DELETE FROM uncommitted_blocks WHERE {BlobKey} AND blob = @blob", key);
                tx.Execute($"DELETE FROM blobs WHERE {BlobKey} AND name = @blob", key);
                return CollectUnreferencedObjects(tx, candidates);
            },
            audit,
            cancellationToken);

    // Blocks

    public Task<IReadOnlyList<StoredObject>> PutUncommittedBlockAsync(string account, string container, string blob, UncommittedBlock block, AuditAppend? audit = null, CancellationToken cancellationToken = default) =>
        PutUncommittedBlockAsync(account, container, blob, block, precondition: null, audit, cancellationToken);

    /// <summary>As above; <paramref name="precondition"/> sees the current blob (null when none) inside the transaction (the lease check of Put Block).</summary>
    public Task<IReadOnlyList<StoredObject>> PutUncommittedBlockAsync(string account, string container, string blob, UncommittedBlock block, Action<BlobRecord?>? precondition, AuditAppend? audit = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(block);
        return WriteAsync<IReadOnlyList<StoredObject>>(
            tx =>
            {
                if (ReadContainer(tx, account, container) is null)
                {
                    throw new StorageException(ErrorCode.ContainerNotFound);
                }

                precondition?.Invoke(ReadBlob(tx, account, container, blob));

                (string, object?)[] key = [("@account", account), ("@container", container), ("@blob", blob), ("@block_id", block.BlockId)];
                var replaced = tx.Scalar($"SELECT object_id FROM uncommitted_blocks WHERE {BlobKey} AND blob = @blob AND block_id = @block_id", key) as string;
                if (replaced is null)
                {
                    var count = (long)tx.Scalar($"SELECT COUNT(*) FROM uncommitted_blocks WHERE {BlobKey} AND blob = @blob", key)!;
                    if (count >= Limits.UncommittedBlocksMax)
                    {
                        throw new StorageException(ErrorCode.BlockCountExceedsLimit);
                    }
                }

                EnsureObject(tx, block.Object, account);
                tx.Execute(
                    "INSERT INTO uncommitted_blocks (account, container, blob, block_id, object_id, created_on) " +
                    "VALUES (@account, @container, @blob, @block_id, @object_id, @created_on) " +
                    "ON CONFLICT (account, container, blob, block_id) DO UPDATE SET object_id = excluded.object_id, created_on = excluded.created_on",
                    key[0],
                    key[1],
                    key[2],
                    key[3],
                    ("@object_id", block.Object.ObjectId),
                    ("@created_on", ToTicks(block.CreatedOn)));

                return replaced is null || replaced == block.Object.ObjectId
                    ? []
                    : CollectUnreferencedObjects(tx, [replaced]);
            },
            audit,
            cancellationToken);
    }

    public Task<IReadOnlyList<UncommittedBlock>> GetUncommittedBlocksAsync(string account, string container, string blob, CancellationToken cancellationToken = default) =>
        ReadAsync<IReadOnlyList<UncommittedBlock>>(
            tx =>
            {
                if (ReadContainer(tx, account, container) is null)
                {
                    throw new StorageException(ErrorCode.ContainerNotFound);
                }

                // One row per copy, a block's consecutive (block ids are unique within the blob).
                var blocks = new List<UncommittedBlock>();
                List<ObjectCopy>? copies = null;
                using var reader = tx.Query(
                    $"SELECT u.block_id, u.created_on, {ObjectColumns}, c.site_id, c.state, c.transfer_id " +
                    $"FROM uncommitted_blocks u JOIN objects o ON o.object_id = u.object_id {CopyJoin} " +
                    "WHERE u.account = @account AND u.container = @container AND u.blob = @blob ORDER BY u.created_on, u.block_id, c.site_id",
                    ("@account", account),
                    ("@container", container),
                    ("@blob", blob));
                while (reader.Read())
                {
                    var blockId = reader.GetString(0);
                    if (blocks.Count == 0 || !string.Equals(blocks[^1].BlockId, blockId, StringComparison.Ordinal))
                    {
                        copies = [];
                        blocks.Add(new UncommittedBlock(blockId, ReadObjectRow(reader, 2, copies), FromTicks(reader.GetInt64(1))));
                    }

                    AddCopy(reader, 2 + ObjectColumnCount, copies!);
                }

                return blocks;
            },
            cancellationToken);

    // Objects

    public Task<IReadOnlySet<string>> ListObjectIdsAsync(string siteId, CancellationToken cancellationToken = default) =>
        ReadAsync<IReadOnlySet<string>>(
            tx => ReadObjectIds(tx, "SELECT object_id FROM object_copies WHERE site_id = @site", ("@site", siteId)),
            cancellationToken);

    // Key versions and rewrapping

    public Task<IReadOnlyList<AccountKeyEncryptionKey>> ListAccountKeyEncryptionKeysAsync(string account, CancellationToken cancellationToken = default) =>
        ReadAsync<IReadOnlyList<AccountKeyEncryptionKey>>(tx => ReadAccountKeyEncryptionKeys(tx, account), cancellationToken);

    public Task<AccountKeyEncryptionKey> AddAccountKeyEncryptionKeyAsync(string account, Func<uint, byte[]> wrap, DateTimeOffset createdOn, AuditAppend? audit = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(wrap);
        return WriteAsync(
            tx =>
            {
                if (ReadAccount(tx, account) is not { } current)
                {
                    throw new StorageException(ErrorCode.AccountNotFound);
                }

                var version = checked(current.KeyEncryptionKeyVersion + 1);
                var wrapped = wrap(version);
                tx.Execute(
                    "INSERT INTO account_keks (account, version, wrapped_kek, created_on) VALUES (@account, @version, @kek, @created_on)",
                    ("@account", account),
                    ("@version", (long)version),
                    ("@kek", wrapped),
                    ("@created_on", ToTicks(createdOn)));
                return new AccountKeyEncryptionKey(account, version, wrapped, createdOn);
            },
            audit,
            cancellationToken);
    }

    public Task<ObjectKeyPage> ListObjectKeysAsync(string? afterObjectId, int limit, CancellationToken cancellationToken = default)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(limit, 1);
        return ReadAsync(
            tx =>
            {
                var page = new List<(string ObjectId, byte[] Wrapped)>();
                using (var reader = tx.Query(
                    // Only data keys wrapped by an account key-encryption key: a scoped object's key is
                    // wrapped by its scope's key. (A customer-provided key's outer layer is the account's.)
                    "SELECT object_id, wrapped_key FROM objects WHERE object_id > @after AND encryption_scope IS NULL ORDER BY object_id LIMIT @take",
                    ("@after", afterObjectId ?? string.Empty),
                    ("@take", (long)limit)))
                {
                    while (reader.Read())
                    {
                        page.Add((reader.GetString(0), reader.GetFieldValue<byte[]>(1)));
                    }
                }

                // The owning blob, by index, committed first: an object belongs to exactly one blob
                // (its data key is bound to that blob's name).
                var keys = new List<ObjectKeyRecord>(page.Count);
                foreach (var (objectId, wrapped) in page)
                {
                    using var owner = tx.Query(
                        "SELECT account, container, blob FROM blob_parts WHERE object_id = @object_id " +
                        "UNION ALL SELECT account, container, blob FROM uncommitted_blocks WHERE object_id = @object_id " +
                        "UNION ALL SELECT account, container, blob FROM blob_instance_parts WHERE object_id = @object_id LIMIT 1",
                        ("@object_id", objectId));
                    if (owner.Read())
                    {
                        keys.Add(new ObjectKeyRecord(objectId, owner.GetString(0), owner.GetString(1), owner.GetString(2), wrapped));
                    }
                }

                return new ObjectKeyPage(keys, page.Count < limit ? null : page[^1].ObjectId);
            },
            cancellationToken);
    }

    public Task<int> ReplaceWrappedKeysAsync(IReadOnlyList<WrappedKeyReplacement> replacements, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(replacements);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(replacements.Count, Limits.RewrapBatchMax);
        if (replacements.Count == 0)
        {
            return Task.FromResult(0);
        }

        return WriteAsync(
            tx =>
            {
                var applied = 0;
                foreach (var replacement in replacements)
                {
                    ArgumentNullException.ThrowIfNull(replacement);
                    var sql = replacement.Kind switch
                    {
                        WrappedKeyKind.SharedKey when replacement.Index == 1 =>
                            "UPDATE accounts SET wrapped_key1 = @new WHERE name = @owner AND wrapped_key1 = @old",
                        WrappedKeyKind.SharedKey when replacement.Index == 2 =>
                            "UPDATE accounts SET wrapped_key2 = @new WHERE name = @owner AND wrapped_key2 = @old",
                        WrappedKeyKind.AccountKeyEncryptionKey =>
                            "UPDATE account_keks SET wrapped_kek = @new WHERE account = @owner AND version = @index AND wrapped_kek = @old",
                        WrappedKeyKind.DataKey =>
                            "UPDATE objects SET wrapped_key = @new WHERE object_id = @owner AND wrapped_key = @old",
                        WrappedKeyKind.ScopeKeyEncryptionKey when replacement.Name is not null =>
                            $"UPDATE encryption_scopes SET wrapped_kek = @new WHERE account = @owner AND name = @name AND key_source = {(int)EncryptionScopeKeySource.Platform} AND wrapped_kek = @old",
                        _ => throw new ArgumentException($"No wrapped key of kind {replacement.Kind} with index {replacement.Index}.", nameof(replacements)),
                    };
                    applied += tx.Execute(
                        sql,
                        ("@owner", replacement.Owner),
                        ("@index", replacement.Index),
                        ("@name", replacement.Name ?? string.Empty),
                        ("@old", replacement.Expected),
                        ("@new", replacement.Replacement));
                }

                return applied;
            },
            cancellationToken);
    }

    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref disposed, 1) != 0)
        {
            return;
        }

        // Let a write in flight finish before its connection's pool goes away.
        await writeLock.WaitAsync().ConfigureAwait(false);
        try
        {
            ReleaseErasingWrites(force: true);
            CloseWriterConnection();
            backend.ClearPool();
        }
        finally
        {
            writeLock.Release();
        }
    }

    // Transactions

    private Task<T> ReadAsync<T>(Func<Transaction, T> work, CancellationToken cancellationToken)
    {
        try
        {
            ObjectDisposedException.ThrowIf(Volatile.Read(ref disposed) != 0, this);
            cancellationToken.ThrowIfCancellationRequested();
            using var connection = backend.OpenConnection();
            using var transaction = backend.BeginRead(connection);
            using var tx = new Transaction(backend, connection, transaction) { ReadOnly = true };
            var result = work(tx);
            transaction.Commit();
            return Task.FromResult(result);
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            return Task.FromCanceled<T>(cancellationToken);
        }
        catch (Exception exception)
        {
            return Task.FromException<T>(exception);
        }
    }

    /// <summary>
    /// Runs one atomic write. Writes are group-committed: whoever holds the write lock runs every
    /// write queued so far in one transaction, each inside its own savepoint (a write that throws
    /// is rolled back alone and gets its exception; a write alone in its group needs none: the
    /// transaction is rolled back), commits once — one fsync for the whole group —
    /// and only then completes each caller. Each write is as atomic and isolated as if run alone,
    /// in queue order; none is acknowledged before the commit that makes it durable.
    /// </summary>
    private async Task<T> WriteAsync<T>(Func<Transaction, T> work, CancellationToken cancellationToken)
    {
        ObjectDisposedException.ThrowIf(Volatile.Read(ref disposed) != 0, this);
        cancellationToken.ThrowIfCancellationRequested();
        var write = new PendingWrite(tx => work(tx));
        pendingWrites.Enqueue(write);

        // Once queued the write may already be in someone else's group, so it is no longer cancelled.
        await writeLock.WaitAsync(CancellationToken.None).ConfigureAwait(false);
        try
        {
            while (!write.Completion.Task.IsCompleted)
            {
                ObjectDisposedException.ThrowIf(Volatile.Read(ref disposed) != 0, this);
                RunGroup(DrainPendingWrites());
            }
        }
        finally
        {
            writeLock.Release();
        }

        return (T)(await write.Completion.Task.ConfigureAwait(false))!;
    }

    private List<PendingWrite> DrainPendingWrites()
    {
        var group = new List<PendingWrite>();
        while (group.Count < Limits.MetadataWriteGroupMax && pendingWrites.TryDequeue(out var next))
        {
            group.Add(next);
        }

        return group;
    }

    private void RunGroup(List<PendingWrite> group)
    {
        if (group.Count > 0)
        {
            CommitGroup(group);
        }

        ReleaseErasingWrites(force: false);
    }

    private void CommitGroup(List<PendingWrite> group)
    {
        var outcomes = new (object? Result, Exception? Error)[group.Count];
        var erased = new bool[group.Count];
        try
        {
            var connection = writerConnection ??= backend.OpenConnection();
            writerCommands ??= new Dictionary<string, DbCommand>(StringComparer.Ordinal);
            using var transaction = backend.BeginWrite(connection);
            using var tx = new Transaction(backend, connection, transaction, writerCommands);
            if (group.Count == 1)
            {
                // One write alone: the transaction is its savepoint (two statements fewer, two round
                // trips on PostgreSQL, where the deployment's write lock is held through them).
                try
                {
                    outcomes[0] = (group[0].Work(tx), null);
                    erased[0] = tx.KeysErased;
                }
                catch (Exception error)
                {
                    transaction.Rollback();
                    group[0].Completion.TrySetException(error);
                    return;
                }
            }
            else
            {
                for (var i = 0; i < group.Count; i++)
                {
                    tx.Execute("SAVEPOINT write");
                    try
                    {
                        tx.KeysErased = false;
                        outcomes[i] = (group[i].Work(tx), null);
                        erased[i] = tx.KeysErased;
                        tx.Execute("RELEASE write");
                    }
                    catch (Exception error)
                    {
                        // If SQLite has already abandoned the transaction (I/O error, full disk), this
                        // throws and the whole group fails below.
                        tx.Execute("ROLLBACK TO write");
                        tx.Execute("RELEASE write");
                        outcomes[i] = (null, error);
                    }
                }
            }

            transaction.Commit();
            Interlocked.Increment(ref writeGroupsCommitted);
        }
        catch (Exception failure)
        {
            // The database refused (I/O, full disk, lock timeout): nothing of the group committed.
            // The next group starts on a fresh connection.
            CloseWriterConnection();
            foreach (var write in group)
            {
                write.Completion.TrySetException(failure);
            }

            return;
        }

        Complete(group, outcomes, erased);
    }

    /// <summary>Answers each write of a committed group: its error, its result, or (when it erased keys) held for the checkpoint.</summary>
    private void Complete(List<PendingWrite> group, (object? Result, Exception? Error)[] outcomes, bool[] erased)
    {
        for (var i = 0; i < group.Count; i++)
        {
            if (outcomes[i].Error is { } error)
            {
                group[i].Completion.TrySetException(error);
            }
            else if (erased[i])
            {
                if (erasingWritesHeld.Count == 0)
                {
                    erasingWritesHeldSince = System.Diagnostics.Stopwatch.GetTimestamp();
                }

                erasurePending = true;
                erasingWritesHeld.Add((group[i], outcomes[i].Result));
            }
            else
            {
                group[i].Completion.TrySetResult(outcomes[i].Result);
            }
        }
    }

    /// <summary>
    /// secure_delete zeroes an erased wrapped key in the database file, but the WAL keeps the page
    /// images that held it until a checkpoint copies them back and the log is truncated. A write
    /// that erased keys (a delete or overwrite that dropped objects, a vault item purged) is
    /// acknowledged only after a truncating checkpoint, so a deletion a client saw never leaves a
    /// key behind in metadata.db-wal. One checkpoint serves many such writes: it runs when no
    /// write is queued (nothing more would join), when <see cref="Limits.ErasingWritesHeldMax"/>
    /// wait, or when the oldest has waited <see cref="Limits.ErasingWriteHoldMax"/>. A checkpoint
    /// a reader's snapshot blocked (or that failed) still releases the committed writes, and is
    /// tried again at the next quiet moment. Called under the write lock.
    /// </summary>
    private void ReleaseErasingWrites(bool force)
    {
        if (!erasurePending)
        {
            return;
        }

        var due = force
            || pendingWrites.IsEmpty
            || erasingWritesHeld.Count >= Limits.ErasingWritesHeldMax
            || (erasingWritesHeld.Count > 0 && System.Diagnostics.Stopwatch.GetElapsedTime(erasingWritesHeldSince) >= Limits.ErasingWriteHoldMax);
        if (!due)
        {
            return;
        }

        try
        {
            if (backend.ScrubErasedKeys(writerConnection ??= backend.OpenConnection()))
            {
                erasurePending = false;
            }
        }
        catch (DbException)
        {
            // The deletions are durable; only the WAL's old pages stay until the next attempt.
        }
        finally
        {
            foreach (var (write, result) in erasingWritesHeld)
            {
                write.Completion.TrySetResult(result);
            }

            erasingWritesHeld.Clear();
        }
    }

    private sealed class PendingWrite(Func<Transaction, object?> work)
    {
        public Func<Transaction, object?> Work { get; } = work;

        public TaskCompletionSource<object?> Completion { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);
    }

    private void CloseWriterConnection()
    {
        if (writerCommands is not null)
        {
            foreach (var command in writerCommands.Values)
            {
                command.Dispose();
            }

            writerCommands = null;
        }

        writerConnection?.Dispose();
        writerConnection = null;
    }

    /// <summary>
    /// The index-range condition for "starts with the prefix, at or after the start name".
    /// Parameters: @prefix, @upper (null for an open range), @start (may be null).
    /// </summary>
    private static string RangeCondition(string column, string prefix, string? startAtInclusive)
    {
        var condition = $"{column} >= @prefix";
        if (NamePrefix.UpperBound(prefix) is not null)
        {
            condition += $" AND {column} < @upper";
        }

        if (startAtInclusive is not null)
        {
            condition += $" AND {column} >= @start";
        }

        return condition;
    }

    // Objects and garbage

    /// <summary>Records the object unless already recorded, in which case it must be the same object.</summary>
    private static bool ObjectExists(Transaction tx, string objectId)
    {
        using var reader = tx.Query("SELECT 1 FROM objects WHERE object_id = @object_id", ("@object_id", objectId));
        return reader.Read();
    }

    private static void EnsureObject(Transaction tx, StoredObject storedObject, string account)
    {
        ArgumentNullException.ThrowIfNull(storedObject);
        ValidateCopies(storedObject);
        var inserted = tx.Execute(
            "INSERT INTO objects (object_id, site_id, wrapped_key, plaintext_length, encryption_scope, customer_key_sha256, " +
            "ciphertext_length, ciphertext_crc64, created_on, account) " +
            "VALUES (@object_id, @site_id, @wrapped_key, @plaintext_length, @encryption_scope, @customer_key_sha256, " +
            "@ciphertext_length, @ciphertext_crc64, @created_on, @account) " +
            "ON CONFLICT (object_id) DO NOTHING",
            ("@object_id", storedObject.ObjectId),
            ("@site_id", storedObject.Copies[0].SiteId),
            ("@wrapped_key", storedObject.WrappedDataKey),
            ("@plaintext_length", storedObject.PlaintextLength),
            ("@encryption_scope", storedObject.EncryptionScope),
            ("@customer_key_sha256", storedObject.CustomerKeySha256),
            ("@ciphertext_length", storedObject.CiphertextLength),
            ("@ciphertext_crc64", storedObject.CiphertextCrc64 is { } crc ? unchecked((long)crc) : null),
            ("@created_on", ToTicks(storedObject.CreatedOn)),
            ("@account", account));
        if (inserted == 1)
        {
            InsertCopies(tx, storedObject.ObjectId, storedObject.Copies);
            return;
        }

        var existing = ReadObject(tx, storedObject.ObjectId);
        Invariant.True(existing is not null, "an object that conflicts on insert exists");
        Invariant.True(
            existing!.Copies.SequenceEqual(storedObject.Copies.OrderBy(copy => copy.SiteId, StringComparer.Ordinal))
            && existing.PlaintextLength == storedObject.PlaintextLength
            && existing.WrappedDataKey.AsSpan().SequenceEqual(storedObject.WrappedDataKey),
            $"object {storedObject.ObjectId} is recorded once with one set of copies, key and length");
    }

    /// <summary>
    /// Deletes each candidate object that no part and no staged block references any longer, with
    /// its copies, and returns the deleted ones with every copy (in site order) so the caller can
    /// delete each. The reference check is global (not per blob) so an object shared by two blobs
    /// is never dropped while one still needs it.
    /// </summary>
    private static IReadOnlyList<StoredObject> CollectUnreferencedObjects(Transaction tx, IEnumerable<string> candidates)
    {
        const string Unreferenced =
            "NOT EXISTS (SELECT 1 FROM blob_parts WHERE object_id = @object_id) " +
            "AND NOT EXISTS (SELECT 1 FROM blob_instance_parts WHERE object_id = @object_id) " +
            "AND NOT EXISTS (SELECT 1 FROM uncommitted_blocks WHERE object_id = @object_id)";
        var removed = new List<StoredObject>();
        foreach (var objectId in candidates)
        {
            (string, object?) key = ("@object_id", objectId);

            // Copies first: they reference their object.
            var copies = new List<ObjectCopy>();
            using (var reader = tx.Query($"DELETE FROM object_copies WHERE object_id = @object_id AND {Unreferenced} RETURNING site_id, state, transfer_id", key))
            {
                while (reader.Read())
                {
                    AddCopy(reader, 0, copies);
                }
            }

            copies.Sort((a, b) => string.CompareOrdinal(a.SiteId, b.SiteId));
            using (var reader = tx.Query($"DELETE FROM objects WHERE object_id = @object_id AND {Unreferenced} RETURNING {ObjectColumnsBare}", key))
            {
                while (reader.Read())
                {
                    removed.Add(ReadObjectRow(reader, 0, copies));
                }
            }
        }

        tx.KeysErased |= removed.Count > 0;
        return removed;
    }

    /// <summary>One object with all its copies, or null.</summary>
    private static StoredObject? ReadObject(Transaction tx, string objectId)
    {
        using var reader = tx.Query(
            $"SELECT {ObjectColumns}, c.site_id, c.state, c.transfer_id FROM objects o {CopyJoin} WHERE o.object_id = @object_id ORDER BY c.site_id",
            ("@object_id", objectId));
        StoredObject? stored = null;
        List<ObjectCopy> copies = [];
        while (reader.Read())
        {
            stored ??= ReadObjectRow(reader, 0, copies);
            AddCopy(reader, ObjectColumnCount, copies);
        }

        return stored;
    }

    /// <summary>A committed blob's parts in order, each object with all its copies, in one query
    /// (one row per copy: a part's rows are consecutive). This is Get Blob's path.</summary>
    private static List<BlobPart> ReadParts(Transaction tx, string account, string container, string name)
    {
        using var reader = tx.Query(
            $"SELECT p.ordinal, p.block_id, {ObjectColumns}, c.site_id, c.state, c.transfer_id " +
            $"FROM blob_parts p JOIN objects o ON o.object_id = p.object_id {CopyJoin} " +
            "WHERE p.account = @account AND p.container = @container AND p.blob = @blob ORDER BY p.ordinal, c.site_id",
            ("@account", account),
            ("@container", container),
            ("@blob", name));
        return ReadPartRows(reader);
    }

    /// <summary>Parts from rows of (ordinal, block id, object columns, copy columns), one row per copy, a part's rows consecutive.</summary>
    private static List<BlobPart> ReadPartRows(DbDataReader reader)
    {
        var parts = new List<BlobPart>();
        List<ObjectCopy>? copies = null;
        while (reader.Read())
        {
            var ordinal = reader.GetInt32(0);
            if (parts.Count == 0 || parts[^1].Ordinal != ordinal)
            {
                copies = [];
                parts.Add(new BlobPart(ordinal, NullableString(reader, 1), ReadObjectRow(reader, 2, copies)));
            }

            AddCopy(reader, 2 + ObjectColumnCount, copies!);
        }

        return parts;
    }

    private static void InsertCopies(Transaction tx, string objectId, IReadOnlyList<ObjectCopy> copies)
    {
        var parameters = new (string Name, object? Value)[1 + (2 * copies.Count)];
        parameters[0] = ("@object_id", objectId);
        for (var i = 0; i < copies.Count; i++)
        {
            parameters[1 + (2 * i)] = (CopySiteParameters[i], copies[i].SiteId);
            parameters[2 + (2 * i)] = (CopyStateParameters[i], (int)copies[i].State);
        }

        var inserted = tx.Execute(CopyInserts[copies.Count - 1], parameters);
        Invariant.True(inserted == copies.Count, "every copy of a new object is recorded");
    }

    private static void ValidateCopies(StoredObject storedObject)
    {
        var copies = storedObject.Copies;
        ArgumentNullException.ThrowIfNull(copies);
        if (copies.Count is 0 or > Limits.CopiesMax)
        {
            throw new ArgumentException($"Object {storedObject.ObjectId} has {copies.Count} copies; an object has 1 to {Limits.CopiesMax}.", nameof(storedObject));
        }

        for (var i = 0; i < copies.Count; i++)
        {
            ArgumentNullException.ThrowIfNull(copies[i]);
            ArgumentException.ThrowIfNullOrEmpty(copies[i].SiteId);
            if (!Enum.IsDefined(copies[i].State))
            {
                throw new ArgumentException($"Object {storedObject.ObjectId}: unknown copy state {(int)copies[i].State}.", nameof(storedObject));
            }

            if (copies[i].TransferId is not null)
            {
                throw new ArgumentException($"Object {storedObject.ObjectId}: a copy made under a transfer is added by a copy change, never with the object.", nameof(storedObject));
            }

            for (var j = 0; j < i; j++)
            {
                if (string.Equals(copies[i].SiteId, copies[j].SiteId, StringComparison.Ordinal))
                {
                    throw new ArgumentException($"Object {storedObject.ObjectId} has two copies on site {copies[i].SiteId}.", nameof(storedObject));
                }
            }
        }
    }

    /// <summary>
    /// Deletes a container's row (<paramref name="key"/>: @account, @container) and every blob,
    /// instance and block row under it; returns the objects those rows referenced, the candidates
    /// to collect once unreferenced.
    /// </summary>
    private static HashSet<string> DropContainerRows(Transaction tx, (string, object?)[] key)
    {
        var candidates = ReadObjectIds(
            tx,
            $"SELECT object_id FROM blob_parts WHERE {BlobKey} UNION SELECT object_id FROM uncommitted_blocks WHERE {BlobKey} " +
            $"UNION SELECT object_id FROM blob_instance_parts WHERE {BlobKey}",
            key);
        tx.Execute($"DELETE FROM blob_parts WHERE {BlobKey}", key);
        tx.Execute($"DELETE FROM blob_instance_parts WHERE {BlobKey}", key);
        tx.Execute($"DELETE FROM blob_instances WHERE {BlobKey}", key);
        tx.Execute($"DELETE FROM uncommitted_blocks WHERE {BlobKey}", key);
        tx.Execute($"DELETE FROM blobs WHERE {BlobKey}", key);
        tx.Execute("DELETE FROM container_access_policies WHERE account = @account AND container = @container", key);
        tx.Execute("DELETE FROM containers WHERE account = @account AND name = @container", key);
        return candidates;
    }

    /// <summary>Deletes every container, blob, instance, block, scope and key-encryption-key row of an account (<paramref name="account"/>: @account); its account row stays.</summary>
    private static void DropAccountContents(Transaction tx, (string, object?) account)
    {
        tx.Execute("DELETE FROM blob_parts WHERE account = @account", account);
        tx.Execute("DELETE FROM blob_instance_parts WHERE account = @account", account);
        tx.Execute("DELETE FROM blob_instances WHERE account = @account", account);
        tx.Execute("DELETE FROM uncommitted_blocks WHERE account = @account", account);
        tx.Execute("DELETE FROM blobs WHERE account = @account", account);
        tx.Execute("DELETE FROM container_access_policies WHERE account = @account", account);
        tx.Execute("DELETE FROM containers WHERE account = @account", account);
        tx.Execute("DELETE FROM encryption_scopes WHERE account = @account", account);
        tx.Execute("DELETE FROM account_keks WHERE account = @account", account);
    }

    private static HashSet<string> ReadObjectIds(Transaction tx, string sql, params ReadOnlySpan<(string Name, object? Value)> parameters)
    {
        var ids = new HashSet<string>(StringComparer.Ordinal);
        using var reader = tx.Query(sql, parameters);
        while (reader.Read())
        {
            ids.Add(reader.GetString(0));
        }

        return ids;
    }

    // Rows

    private static AccountRecord? ReadAccount(Transaction tx, string name)
    {
        using var reader = tx.Query($"{AccountSelect} WHERE a.name = @name", ("@name", name));
        return reader.Read() ? ReadAccountRow(reader) : null;
    }

    private static List<AccountKeyEncryptionKey> ReadAccountKeyEncryptionKeys(Transaction tx, string account)
    {
        using var reader = tx.Query(
            "SELECT version, wrapped_kek, created_on FROM account_keks WHERE account = @account ORDER BY version",
            ("@account", account));
        var versions = new List<AccountKeyEncryptionKey>();
        while (reader.Read())
        {
            versions.Add(new AccountKeyEncryptionKey(account, checked((uint)reader.GetInt64(0)), reader.GetFieldValue<byte[]>(1), FromTicks(reader.GetInt64(2))));
        }

        return versions;
    }

    private static ContainerRecord? ReadContainer(Transaction tx, string account, string name)
    {
        ContainerRecord? record;
        using (var reader = tx.Query(
            $"SELECT {ContainerColumns} FROM containers WHERE account = @account AND name = @name",
            ("@account", account),
            ("@name", name)))
        {
            record = reader.Read() ? ReadContainerRow(reader) : null;
        }

        return record is null ? null : WithLease(tx, record);
    }

    private static BlobRecord? ReadBlob(Transaction tx, string account, string container, string name)
    {
        BlobRecord? record;
        using (var reader = tx.Query(
            $"SELECT {BlobColumns} FROM blobs WHERE {BlobKey} AND name = @name",
            ("@account", account),
            ("@container", container),
            ("@name", name)))
        {
            record = reader.Read() ? ReadBlobRow(reader) : null;
        }

        return record is null ? null : WithLease(tx, record);
    }

    private static void WriteBlobRow(Transaction tx, BlobRecord blob, bool insert)
    {
        var headers = blob.Headers ?? BlobHttpHeaders.Empty;
        ArgumentNullException.ThrowIfNull(blob.Metadata);
        const string Values =
            "(@account, @container, @name, @blob_type, @content_length, @etag, @created_on, @last_modified, @content_type, " +
            "@content_encoding, @content_language, @content_disposition, @cache_control, @content_md5, @metadata, @encryption_scope, @customer_key_sha256, @version_id, @legal_hold, " +
            "@copy_id, @copy_source, @copy_completed_on, @access_tier, @access_tier_changed_on, @sealed, @sequence_number, @tags)";
        const string Assignments =
            "blob_type = @blob_type, content_length = @content_length, etag = @etag, created_on = @created_on, " +
            "last_modified = @last_modified, content_type = @content_type, content_encoding = @content_encoding, " +
            "content_language = @content_language, content_disposition = @content_disposition, " +
            "cache_control = @cache_control, content_md5 = @content_md5, metadata = @metadata, " +
            "encryption_scope = @encryption_scope, customer_key_sha256 = @customer_key_sha256, version_id = @version_id, legal_hold = @legal_hold, " +
            "copy_id = @copy_id, copy_source = @copy_source, copy_completed_on = @copy_completed_on, " +
            "access_tier = @access_tier, access_tier_changed_on = @access_tier_changed_on, sealed = @sealed, sequence_number = @sequence_number, tags = @tags";
        var sql = insert
            ? $"INSERT INTO blobs ({BlobColumns}) VALUES {Values} ON CONFLICT (account, container, name) DO UPDATE SET {Assignments}"
            : $"UPDATE blobs SET {Assignments} WHERE {BlobKey} AND name = @name";
        var changed = tx.Execute(
            sql,
            ("@account", blob.Account),
            ("@container", blob.Container),
            ("@name", blob.Name),
            ("@blob_type", (int)blob.BlobType),
            ("@content_length", blob.ContentLength),
            ("@etag", blob.ETag),
            ("@created_on", ToTicks(blob.CreatedOn)),
            ("@last_modified", ToTicks(blob.LastModified)),
            ("@content_type", headers.ContentType),
            ("@content_encoding", headers.ContentEncoding),
            ("@content_language", headers.ContentLanguage),
            ("@content_disposition", headers.ContentDisposition),
            ("@cache_control", headers.CacheControl),
            ("@content_md5", headers.ContentMd5),
            ("@metadata", MetadataJson.Serialize(blob.Metadata)),
            ("@encryption_scope", blob.EncryptionScope),
            ("@customer_key_sha256", blob.CustomerKeySha256),
            ("@version_id", blob.VersionId),
            ("@legal_hold", blob.LegalHold ? 1 : 0),
            ("@copy_id", blob.Copy?.CopyId),
            ("@copy_source", blob.Copy?.Source),
            ("@copy_completed_on", blob.Copy is { } copy ? ToTicks(copy.CompletedOn) : null),
            ("@access_tier", blob.AccessTier is { } tier ? AccessTiers.Name(tier) : null),
            ("@access_tier_changed_on", blob.AccessTierChangedOn is { } changedOn ? ToTicks(changedOn) : null),
            ("@sealed", blob.IsSealed ? 1 : 0),
            ("@sequence_number", blob.SequenceNumber),
            ("@tags", blob.Tags is { Count: > 0 } tags ? MetadataJson.Serialize(tags) : null));
        Invariant.True(changed == 1, "a blob write changes exactly one row");
    }

    private static AccountRecord ReadAccountRow(DbDataReader reader)
    {
        var suite = (CipherSuite)reader.GetInt32(7);
        Invariant.True(CipherSuites.IsKnown(suite), "an account's cipher suite is one this build knows");
        var dataPlane = (DataPlaneLogging)reader.GetInt32(8);
        Invariant.True(Enum.IsDefined(dataPlane), "an account's data-plane logging setting is one this build knows");
        return new(
            reader.GetString(0),
            reader.GetFieldValue<byte[]>(1),
            reader.GetFieldValue<byte[]>(2),
            reader.IsDBNull(3) ? [] : reader.GetFieldValue<byte[]>(3),
            FromTicks(reader.GetInt64(4)),
            (AccountState)reader.GetInt32(5),
            suite)
        {
            KeyEncryptionKeyVersion = reader.IsDBNull(6) ? 0 : checked((uint)reader.GetInt64(6)),
            AuditDataPlane = dataPlane,
            AuditRetentionDays = reader.GetInt32(9),
            Placement = ReadPlacement(reader, 10),
            DataProtection = new DataProtectionSettings(
                reader.GetInt64(14) != 0,
                reader.IsDBNull(15) ? null : reader.GetInt32(15),
                reader.IsDBNull(16) ? null : reader.GetInt32(16),
                reader.GetInt64(17) != 0),
            ClosedOn = reader.IsDBNull(18) ? null : FromTicks(reader.GetInt64(18)),
            DestroyAfter = reader.IsDBNull(19) ? null : FromTicks(reader.GetInt64(19)),
        };
    }

    private static ContainerRecord ReadContainerRow(DbDataReader reader) => new(
        reader.GetString(0),
        reader.GetString(1),
        reader.GetString(2),
        FromTicks(reader.GetInt64(3)),
        FromTicks(reader.GetInt64(4)),
        MetadataJson.Deserialize(reader.GetString(5)))
    {
        DefaultEncryptionScope = NullableString(reader, 6),
        DenyEncryptionScopeOverride = reader.GetInt64(7) != 0,
        Redundancy = reader.IsDBNull(8) ? null : Redundancy.Parse(reader.GetString(8)),
        LegalHoldTags = reader.IsDBNull(9) ? null : ReadLegalHoldTags(reader.GetString(9)),
    };

    /// <summary>A container's legal-hold tags as stored: a JSON array of strings; null (no hold) for none.</summary>
    private static string? LegalHoldTagsJson(IReadOnlyList<string>? tags) =>
        tags is null || tags.Count == 0 ? null : System.Text.Json.JsonSerializer.Serialize(tags);

    private static IReadOnlyList<string> ReadLegalHoldTags(string json) =>
        System.Text.Json.JsonSerializer.Deserialize<List<string>>(json) ?? [];

    private static BlobRecord ReadBlobRow(DbDataReader reader) => new(
        reader.GetString(0),
        reader.GetString(1),
        reader.GetString(2),
        (BlobType)reader.GetInt32(3),
        reader.GetInt64(4),
        reader.GetString(5),
        FromTicks(reader.GetInt64(6)),
        FromTicks(reader.GetInt64(7)),
        new BlobHttpHeaders(
            NullableString(reader, 8),
            NullableString(reader, 9),
            NullableString(reader, 10),
            NullableString(reader, 11),
            NullableString(reader, 12),
            reader.IsDBNull(13) ? null : reader.GetFieldValue<byte[]>(13)),
        MetadataJson.Deserialize(reader.GetString(14)))
    {
        EncryptionScope = NullableString(reader, 15),
        CustomerKeySha256 = reader.IsDBNull(16) ? null : reader.GetFieldValue<byte[]>(16),
        VersionId = NullableString(reader, 17),
        LegalHold = reader.GetInt64(18) != 0,
        Copy = reader.IsDBNull(19) ? null : new BlobCopy(reader.GetString(19), reader.GetString(20), FromTicks(reader.GetInt64(21))),
        AccessTier = reader.IsDBNull(22) ? null : AccessTiers.Parse(reader.GetString(22)),
        AccessTierChangedOn = reader.IsDBNull(23) ? null : FromTicks(reader.GetInt64(23)),
        IsSealed = reader.GetInt64(24) != 0,
        SequenceNumber = reader.GetInt64(25),
        Tags = reader.IsDBNull(26) ? BlobTags.None : MetadataJson.Deserialize(reader.GetString(26)),
    };

    /// <summary>The object at <see cref="ObjectColumns"/> from <paramref name="first"/>; its copies are
    /// the given list, which the caller fills from this and the following rows.</summary>
    private static StoredObject ReadObjectRow(DbDataReader reader, int first, List<ObjectCopy> copies) => new(
        reader.GetString(first),
        copies,
        reader.GetFieldValue<byte[]>(first + 1),
        reader.GetInt64(first + 2))
    {
        EncryptionScope = NullableString(reader, first + 3),
        CustomerKeySha256 = reader.IsDBNull(first + 4) ? null : reader.GetFieldValue<byte[]>(first + 4),
        CiphertextLength = reader.GetInt64(first + 5),
        CiphertextCrc64 = reader.IsDBNull(first + 6) ? null : unchecked((ulong)reader.GetInt64(first + 6)),
        CreatedOn = FromTicks(reader.GetInt64(first + 7)),
    };

    /// <summary>Adds the copy in (site_id, state, transfer_id) at <paramref name="first"/>, if the row has one (LEFT JOIN).</summary>
    private static void AddCopy(DbDataReader reader, int first, List<ObjectCopy> copies)
    {
        if (!reader.IsDBNull(first))
        {
            copies.Add(new ObjectCopy(reader.GetString(first), ReadCopyState(reader.GetInt64(first + 1)), NullableString(reader, first + 2)));
        }
    }

    private static CopyState ReadCopyState(long value)
    {
        var state = (CopyState)value;
        Invariant.True(Enum.IsDefined(state), $"a copy's state {value} is one this build knows");
        return state;
    }

    private static string? NullableString(DbDataReader reader, int ordinal) =>
        reader.IsDBNull(ordinal) ? null : reader.GetString(ordinal);

    private static long ToTicks(DateTimeOffset value) => value.UtcTicks;

    private static DateTimeOffset FromTicks(long ticks) => new(ticks, TimeSpan.Zero);

    /// <summary>One open transaction and the commands prepared in it (reused by SQL text, so a
    /// statement run per part or per object is compiled once). Given <c>keptCommands</c> (the
    /// writer connection's), commands outlive the transaction and are only re-bound to the next
    /// one; every SQL text in this store is a constant or one of a few variants, so that set stays
    /// small.</summary>
    private sealed class Transaction(SqlBackend backend, DbConnection connection, DbTransaction transaction, Dictionary<string, DbCommand>? keptCommands = null) : IDisposable
    {
        private readonly Dictionary<string, DbCommand> commands = keptCommands ?? new(StringComparer.Ordinal);

        /// <summary>The database's own SQL, for the few statements that cannot be one text for both.</summary>
        public SqlBackend Backend { get; } = backend;

        /// <summary>True once a write in this transaction erased a wrapped key (the WAL is then truncated after the commit).</summary>
        public bool KeysErased { get; set; }

        /// <summary>
        /// A read (<see cref="ReadAsync{T}"/>): it runs outside the write lock, so a statement that
        /// changes anything is a bug; <see cref="Execute"/> refuses it here rather than the database
        /// (a READ ONLY transaction on PostgreSQL would cost a round trip per read).
        /// </summary>
        public bool ReadOnly { get; init; }

        public int Execute(string sql, params ReadOnlySpan<(string Name, object? Value)> parameters)
        {
            Invariant.True(!ReadOnly, "a read transaction runs no statement that writes");
            return Prepare(sql, parameters).ExecuteNonQuery();
        }

        public object? Scalar(string sql, params ReadOnlySpan<(string Name, object? Value)> parameters) =>
            Prepare(sql, parameters).ExecuteScalar();

        public DbDataReader Query(string sql, params ReadOnlySpan<(string Name, object? Value)> parameters) =>
            Prepare(sql, parameters).ExecuteReader();

        public void Dispose()
        {
            if (keptCommands is not null)
            {
                return;
            }

            foreach (var command in commands.Values)
            {
                command.Dispose();
            }
        }

        private DbCommand Prepare(string sql, ReadOnlySpan<(string Name, object? Value)> parameters)
        {
            if (!commands.TryGetValue(sql, out var command))
            {
                command = connection.CreateCommand();
                command.CommandText = sql;
                commands.Add(sql, command);
            }

            command.Transaction = transaction;
            command.Parameters.Clear();
            foreach (var (name, value) in parameters)
            {
                var parameter = command.CreateParameter();
                parameter.ParameterName = name;
                parameter.Value = value ?? DBNull.Value;
                command.Parameters.Add(parameter);
            }

            return command;
        }
    }
}
