using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Strongroom.Core;

namespace Strongroom.Storage;

/// <summary>
/// Crypto-shredding (migration 9; see <see cref="IDestructionStore"/>). A destruction's key ids,
/// sites and their sweep state live in <c>destructions.details</c> as JSON (this store's own
/// format, never signed: the certificate is built from the record).
/// </summary>
public sealed partial class SqlMetadataStore : IDestructionStore
{
    private const string DestructionColumns =
        "id, account, kind, scope, state, keys_destroyed_on, sweep_completed_on, object_count, byte_count, details, keys_entry_index, sweep_entry_index";

    private const string HeldInContainer =
        "EXISTS (SELECT 1 FROM blobs b WHERE b.account = c.account AND b.container = c.name AND b.legal_hold <> 0) " +
        "OR EXISTS (SELECT 1 FROM blob_instances i WHERE i.account = c.account AND i.container = c.name AND i.legal_hold <> 0)";

    public Task<IReadOnlyList<BlobInstanceKey>> ListInstancesDueAsync(DateTimeOffset now, int limit, CancellationToken cancellationToken = default)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(limit, 1);
        return ReadAsync<IReadOnlyList<BlobInstanceKey>>(
            tx =>
            {
                using var reader = tx.Query(
                    "SELECT i.account, i.container, i.name, i.instance_id FROM blob_instances i " +
                    "JOIN containers c ON c.account = i.account AND c.name = i.container " +
                    "WHERE i.purge_on IS NOT NULL AND i.purge_on <= @now AND i.deleted_on IS NOT NULL AND i.legal_hold = 0 AND c.legal_hold_tags IS NULL " +
                    "ORDER BY i.purge_on LIMIT @take",
                    ("@now", ToTicks(now)),
                    ("@take", (long)limit));
                var due = new List<BlobInstanceKey>();
                while (reader.Read())
                {
                    due.Add(new BlobInstanceKey(reader.GetString(0), reader.GetString(1), reader.GetString(2), reader.GetString(3)));
                }

                return due;
            },
            cancellationToken);
    }

    public Task<IReadOnlyList<DeletedContainerKey>> ListContainersDueAsync(DateTimeOffset now, int limit, CancellationToken cancellationToken = default)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(limit, 1);
        return ReadAsync<IReadOnlyList<DeletedContainerKey>>(
            tx =>
            {
                using var reader = tx.Query(
                    "SELECT c.account, c.name, c.deleted_name FROM containers c " +
                    $"WHERE c.purge_on IS NOT NULL AND c.purge_on <= @now AND c.legal_hold_tags IS NULL AND NOT ({HeldInContainer}) " +
                    "ORDER BY c.purge_on LIMIT @take",
                    ("@now", ToTicks(now)),
                    ("@take", (long)limit));
                var due = new List<DeletedContainerKey>();
                while (reader.Read())
                {
                    due.Add(new DeletedContainerKey(reader.GetString(0), reader.GetString(1), NullableString(reader, 2) ?? reader.GetString(1)));
                }

                return due;
            },
            cancellationToken);
    }

    public Task<IReadOnlyList<BlobInstanceKey>> ListDeletedInstancesAsync(string account, string container, string blob, CancellationToken cancellationToken = default) =>
        ReadAsync<IReadOnlyList<BlobInstanceKey>>(
            tx =>
            {
                using var reader = tx.Query(
                    $"SELECT instance_id FROM blob_instances WHERE {BlobKey} AND name = @name AND deleted_on IS NOT NULL ORDER BY instance_id",
                    ("@account", account),
                    ("@container", container),
                    ("@name", blob));
                var found = new List<BlobInstanceKey>();
                while (reader.Read())
                {
                    found.Add(new BlobInstanceKey(account, container, blob, reader.GetString(0)));
                }

                return found;
            },
            cancellationToken);

    public Task<InstancePurge> PurgeBlobInstancesAsync(IReadOnlyList<BlobInstanceKey> instances, AuditAppend audit, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(instances);
        ArgumentNullException.ThrowIfNull(audit);
        return WriteAsync(
            tx =>
            {
                var candidates = new HashSet<string>(StringComparer.Ordinal);
                var purged = 0;
                foreach (var instance in instances)
                {
                    (string, object?)[] key = [("@account", instance.Account), ("@container", instance.Container), ("@blob", instance.Blob), ("@instance", instance.InstanceId)];
                    bool held;
                    using (var reader = tx.Query($"SELECT legal_hold FROM blob_instances WHERE {BlobKey} AND name = @blob AND instance_id = @instance AND deleted_on IS NOT NULL", key))
                    {
                        if (!reader.Read())
                        {
                            continue;
                        }

                        held = reader.GetInt64(0) != 0;
                    }

                    RequireNoLegalHold(tx, instance.Account, instance.Container, held);
                    candidates.UnionWith(ReadObjectIds(tx, $"SELECT object_id FROM blob_instance_parts WHERE {BlobKey} AND blob = @blob AND instance_id = @instance", key));
                    tx.Execute($"DELETE FROM blob_instance_parts WHERE {BlobKey} AND blob = @blob AND instance_id = @instance", key);
                    tx.Execute($"DELETE FROM blob_instances WHERE {BlobKey} AND name = @blob AND instance_id = @instance", key);
                    purged++;
                }

                if (purged == 0)
                {
                    throw new StorageException(ErrorCode.BlobNotFound);
                }

                return new InstancePurge(purged, CollectUnreferencedObjects(tx, candidates.Order(StringComparer.Ordinal)));
            },
            audit,
            cancellationToken);
    }

    public async Task<DestructionCommit> DestroyContainerAsync(
        string account,
        string container,
        string scope,
        string destructionId,
        DateTimeOffset now,
        Action<ContainerRecord>? precondition,
        AuditAppend? operationEntry,
        Func<DestructionRecord, AuditAppend> destructionEntry,
        CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(destructionId);
        ArgumentNullException.ThrowIfNull(destructionEntry);
        if (operationEntry is not null)
        {
            ValidateAuditAppend(operationEntry);
        }

        var commit = await WriteAsync(
            tx =>
            {
                var current = ReadContainer(tx, account, container) ?? throw new StorageException(ErrorCode.ContainerNotFound);
                precondition?.Invoke(current);
                if (current.HasLegalHold)
                {
                    throw new StorageException(ErrorCode.ContainerImmutableDueToLegalHold);
                }

                (string, object?)[] key = [("@account", account), ("@container", container)];
                if (tx.Scalar(
                    $"SELECT 1 FROM blobs WHERE {BlobKey} AND legal_hold <> 0 UNION ALL SELECT 1 FROM blob_instances WHERE {BlobKey} AND legal_hold <> 0 LIMIT 1",
                    key) is not null)
                {
                    throw new StorageException(ErrorCode.ContainerImmutableDueToLegalHold);
                }

                var candidates = DropContainerRows(tx, key);
                var removed = CollectUnreferencedObjects(tx, candidates.Order(StringComparer.Ordinal));

                if (operationEntry is not null)
                {
                    AppendAuditEntry(tx, operationEntry);
                }

                var keys = DataKeyIds(removed, now);
                var record = RecordDestruction(tx, destructionId, account, DestructionKind.ContainerPurge, scope, now, removed, keys, destructionEntry);
                tx.KeysErased = true;
                return new DestructionCommit(record, removed);
            },
            cancellationToken).ConfigureAwait(false);
        return commit;
    }

    public Task<AccountRecord> CloseAccountAsync(string account, DateTimeOffset closedOn, DateTimeOffset destroyAfter, AuditAppend audit, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(audit);
        return WriteAsync(
            tx =>
            {
                var current = ReadAccount(tx, account) ?? throw new StorageException(ErrorCode.AccountNotFound);
                if (current.State != AccountState.Enabled)
                {
                    throw new StorageException(ErrorCode.InvalidAccountState, $"Account '{account}' is {current.State}, not enabled.");
                }

                tx.Execute(
                    "UPDATE accounts SET state = @state, closed_on = @closed_on, destroy_after = @destroy_after WHERE name = @name",
                    ("@name", account),
                    ("@state", (int)AccountState.Closed),
                    ("@closed_on", ToTicks(closedOn)),
                    ("@destroy_after", ToTicks(destroyAfter)));
                return ReadAccount(tx, account)!;
            },
            audit,
            cancellationToken);
    }

    public Task<AccountRecord> ReopenAccountAsync(string account, DateTimeOffset now, AuditAppend audit, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(audit);
        return WriteAsync(
            tx =>
            {
                var current = ReadAccount(tx, account) ?? throw new StorageException(ErrorCode.AccountNotFound);
                if (current.State != AccountState.Closed || current.DestroyAfter is not { } end || now >= end)
                {
                    throw new StorageException(ErrorCode.InvalidAccountState, $"Account '{account}' is {current.State} and cannot be reopened.");
                }

                tx.Execute(
                    "UPDATE accounts SET state = @state, closed_on = NULL, destroy_after = NULL WHERE name = @name",
                    ("@name", account),
                    ("@state", (int)AccountState.Enabled));
                return ReadAccount(tx, account)!;
            },
            audit,
            cancellationToken);
    }

    public Task<IReadOnlyList<AccountRecord>> ListAccountsDueAsync(DateTimeOffset now, CancellationToken cancellationToken = default) =>
        ReadAsync<IReadOnlyList<AccountRecord>>(
            tx =>
            {
                using var reader = tx.Query(
                    $"{AccountSelect} WHERE a.state = @closed AND a.destroy_after IS NOT NULL AND a.destroy_after <= @now ORDER BY a.destroy_after",
                    ("@closed", (int)AccountState.Closed),
                    ("@now", ToTicks(now)));
                var due = new List<AccountRecord>();
                while (reader.Read())
                {
                    due.Add(ReadAccountRow(reader));
                }

                return due;
            },
            cancellationToken);

    public async Task<DestructionCommit> DestroyAccountAsync(string account, string destructionId, DateTimeOffset now, Func<DestructionRecord, AuditAppend> destructionEntry, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(destructionId);
        ArgumentNullException.ThrowIfNull(destructionEntry);
        var commit = await WriteAsync(
            tx =>
            {
                var current = ReadAccount(tx, account) ?? throw new StorageException(ErrorCode.AccountNotFound);
                if (current.State != AccountState.Closed)
                {
                    throw new StorageException(ErrorCode.InvalidAccountState, $"Account '{account}' is {current.State}: only a closed account is destroyed.");
                }

                (string, object?) key = ("@account", account);
                if (tx.Scalar(
                    "SELECT 1 FROM containers WHERE account = @account AND legal_hold_tags IS NOT NULL " +
                    "UNION ALL SELECT 1 FROM blobs WHERE account = @account AND legal_hold <> 0 " +
                    "UNION ALL SELECT 1 FROM blob_instances WHERE account = @account AND legal_hold <> 0 LIMIT 1",
                    key) is not null)
                {
                    throw new StorageException(ErrorCode.ContainerImmutableDueToLegalHold, $"Account '{account}' holds data under a legal hold.");
                }

                var keys = new List<DestroyedKey>();
                foreach (var version in ReadAccountKeyEncryptionKeys(tx, account))
                {
                    keys.Add(new DestroyedKey($"account-kek/{account}/v{version.Version.ToString(CultureInfo.InvariantCulture)}", now));
                }

                foreach (var scope in ReadStrings(tx, "SELECT name FROM encryption_scopes WHERE account = @account ORDER BY name", key))
                {
                    keys.Add(new DestroyedKey($"scope-kek/{account}/{scope}", now));
                }

                keys.AddRange(DestroyVaultItems(tx, account, now));

                var candidates = ReadObjectIds(
                    tx,
                    "SELECT object_id FROM objects WHERE account = @account UNION SELECT object_id FROM blob_parts WHERE account = @account " +
                    "UNION SELECT object_id FROM uncommitted_blocks WHERE account = @account UNION SELECT object_id FROM blob_instance_parts WHERE account = @account",
                    key);
                DropAccountContents(tx, key);
                tx.Execute(
                    "UPDATE accounts SET wrapped_key1 = @empty, wrapped_key2 = @empty, state = @state WHERE name = @account",
                    key,
                    ("@empty", Array.Empty<byte>()),
                    ("@state", (int)AccountState.Destroyed));
                var removed = CollectUnreferencedObjects(tx, candidates.Order(StringComparer.Ordinal));
                var record = RecordDestruction(tx, destructionId, account, DestructionKind.AccountClosure, account, now, removed, keys, destructionEntry);

                // The KEK, scope and shared-key rows went above even when no object did.
                tx.KeysErased = true;
                return new DestructionCommit(record, removed);
            },
            cancellationToken).ConfigureAwait(false);
        return commit;
    }

    public async Task<IReadOnlyList<DestructionRecord>> PurgeDueVaultItemsAsync(DateTimeOffset now, Func<DestructionRecord, IReadOnlyList<DestroyedKey>, AuditAppend> entry, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(entry);
        var changed = await WriteAsync<IReadOnlyList<DestructionRecord>>(
            tx =>
            {
                var due = new List<(string Account, int Kind, string Name)>();
                using (var reader = tx.Query(
                    "SELECT v.account, v.kind, v.name FROM vault_items v JOIN accounts a ON a.name = v.account " +
                    "WHERE a.state = @destroyed AND v.scheduled_purge_on IS NOT NULL AND v.scheduled_purge_on <= @now ORDER BY v.account, v.kind, v.name",
                    ("@destroyed", (int)AccountState.Destroyed),
                    ("@now", ToTicks(now))))
                {
                    while (reader.Read())
                    {
                        due.Add((reader.GetString(0), reader.GetInt32(1), reader.GetString(2)));
                    }
                }

                var records = new List<DestructionRecord>();
                foreach (var group in due.GroupBy(item => item.Account, StringComparer.Ordinal))
                {
                    var purgedIds = new HashSet<string>(StringComparer.Ordinal);
                    foreach (var (account, kind, name) in group)
                    {
                        foreach (var version in ReadStrings(tx, $"SELECT version FROM vault_item_versions WHERE {VaultItemKey} ORDER BY sequence", ("@account", account), ("@kind", kind), ("@name", name)))
                        {
                            purgedIds.Add(VaultKeyId(account, (VaultItemKind)kind, name, version));
                        }

                        DeleteVaultItemRows(tx, account, (VaultItemKind)kind, name);
                    }

                    var destruction = ReadDestructions(tx, "WHERE account = @account AND kind = @kind ORDER BY keys_destroyed_on DESC LIMIT 1", ("@account", group.Key), ("@kind", (int)DestructionKind.AccountClosure)).SingleOrDefault();
                    if (destruction is null)
                    {
                        continue;
                    }

                    var destroyed = new List<DestroyedKey>();
                    var keys = destruction.Keys.Select(key =>
                    {
                        if (key.DestroyedOn is null && purgedIds.Contains(key.Id))
                        {
                            var done = key with { DestroyedOn = now };
                            destroyed.Add(done);
                            return done;
                        }

                        return key;
                    }).ToList();
                    if (destroyed.Count == 0)
                    {
                        continue;
                    }

                    // The keys' new state is owed a certificate revision, whatever the sweep's.
                    var updated = destruction with { Keys = keys };
                    WriteDestructionDetails(tx, updated);
                    AppendAuditEntry(tx, entry(updated, destroyed));
                    tx.Execute("UPDATE destructions SET revisions_due = revisions_due + 1 WHERE id = @id", ("@id", updated.Id));
                    records.Add(updated);
                }

                return records;
            },
            cancellationToken).ConfigureAwait(false);
        return changed;
    }

    public Task<DestructionRecord?> GetDestructionAsync(string id, CancellationToken cancellationToken = default) =>
        ReadAsync(tx => ReadDestructions(tx, "WHERE id = @id", ("@id", id)).SingleOrDefault(), cancellationToken);

    public Task<IReadOnlyList<DestructionRecord>> ListDestructionsAsync(string account, CancellationToken cancellationToken = default) =>
        ReadAsync<IReadOnlyList<DestructionRecord>>(
            tx => ReadDestructions(tx, "WHERE account = @account ORDER BY keys_destroyed_on, id", ("@account", account)),
            cancellationToken);

    public Task<IReadOnlyList<DestructionRecord>> ListSweepingDestructionsAsync(CancellationToken cancellationToken = default) =>
        ReadAsync<IReadOnlyList<DestructionRecord>>(
            tx => ReadDestructions(tx, "WHERE state = @state ORDER BY id", ("@state", (int)DestructionState.Sweeping)),
            cancellationToken);

    public Task<IReadOnlyList<SiteObject>> ListDestructionTombstonesAsync(string destructionId, string siteId, int limit, CancellationToken cancellationToken = default)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(limit, 1);
        return ReadAsync<IReadOnlyList<SiteObject>>(
            tx =>
            {
                using var reader = tx.Query(
                    "SELECT object_id FROM site_tombstones WHERE destruction_id = @id AND site_id = @site ORDER BY object_id LIMIT @take",
                    ("@id", destructionId),
                    ("@site", siteId),
                    ("@take", (long)limit));
                var owed = new List<SiteObject>();
                while (reader.Read())
                {
                    owed.Add(new SiteObject(siteId, reader.GetString(0)));
                }

                return owed;
            },
            cancellationToken);
    }

    public Task<DestructionRecord> UpdateSweepAsync(string destructionId, DateTimeOffset now, Func<DestructionRecord, AuditAppend> completionEntry, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(completionEntry);
        return WriteAsync(
            tx =>
            {
                var destruction = ReadDestructions(tx, "WHERE id = @id", ("@id", destructionId)).SingleOrDefault()
                    ?? throw new StorageException(ErrorCode.DestructionNotFound);
                if (destruction.State == DestructionState.Complete)
                {
                    return destruction;
                }

                var remaining = new HashSet<string>(
                    ReadStrings(tx, "SELECT DISTINCT site_id FROM site_tombstones WHERE destruction_id = @id", ("@id", destructionId)),
                    StringComparer.Ordinal);
                var sites = destruction.Sites
                    .Select(site => site.SweepComplete || remaining.Contains(site.SiteId) ? site : site with { SweepComplete = true, CompletedOn = now })
                    .ToList();
                var updated = destruction with { Sites = sites };
                if (remaining.Count == 0)
                {
                    updated = updated with { State = DestructionState.Complete, SweepCompletedOn = now };
                    var index = AppendAuditEntry(tx, completionEntry(updated));
                    updated = updated with { SweepEntryIndex = index };
                    tx.Execute(
                        "UPDATE destructions SET state = @state, sweep_completed_on = @completed, sweep_entry_index = @index, revisions_due = revisions_due + 1 WHERE id = @id",
                        ("@id", destructionId),
                        ("@state", (int)DestructionState.Complete),
                        ("@completed", ToTicks(now)),
                        ("@index", index));
                }

                WriteDestructionDetails(tx, updated);
                return updated;
            },
            cancellationToken);
    }

    public Task<IReadOnlyList<DestructionRecord>> ListCertificatesOwedAsync(CancellationToken cancellationToken = default) =>
        ReadAsync<IReadOnlyList<DestructionRecord>>(
            tx => ReadDestructions(
                tx,
                "WHERE (SELECT COUNT(*) FROM destruction_certificates c WHERE c.destruction_id = destructions.id) < revisions_due ORDER BY keys_destroyed_on, id"),
            cancellationToken);

    // Rows

    /// <summary>
    /// The destructions row for objects just removed: one tombstone per copy (carrying the
    /// destruction id; a deletion already owed keeps its row and gains the id), the counts, the
    /// sites with their copy counts, and the destruction's entry, whose index is recorded.
    /// </summary>
    private static DestructionRecord RecordDestruction(
        Transaction tx,
        string id,
        string account,
        DestructionKind kind,
        string scope,
        DateTimeOffset now,
        IReadOnlyList<StoredObject> removed,
        IReadOnlyList<DestroyedKey> keys,
        Func<DestructionRecord, AuditAppend> destructionEntry)
    {
        var copiesBySite = new SortedDictionary<string, long>(StringComparer.Ordinal);
        long bytes = 0;
        foreach (var stored in removed)
        {
            bytes += stored.PlaintextLength;
            foreach (var copy in stored.Copies)
            {
                tx.Execute(
                    "INSERT INTO site_tombstones (site_id, object_id, created_on, destruction_id) VALUES (@site_id, @object_id, @created_on, @id) " +
                    "ON CONFLICT (site_id, object_id) DO UPDATE SET destruction_id = excluded.destruction_id",
                    ("@site_id", copy.SiteId),
                    ("@object_id", stored.ObjectId),
                    ("@created_on", ToTicks(now)),
                    ("@id", id));
                copiesBySite[copy.SiteId] = copiesBySite.GetValueOrDefault(copy.SiteId) + 1;
            }
        }

        var sites = copiesBySite.Select(site => new DestructionSite(site.Key, site.Value, SweepComplete: false, CompletedOn: null)).ToList();
        var record = new DestructionRecord(id, account, kind, scope, DestructionState.Sweeping, now, null, removed.Count, bytes, keys, sites);
        tx.Execute(
            $"INSERT INTO destructions ({DestructionColumns}) VALUES (@id, @account, @kind, @scope, @state, @destroyed_on, NULL, @objects, @bytes, @details, NULL, NULL)",
            ("@id", id),
            ("@account", account),
            ("@kind", (int)kind),
            ("@scope", scope),
            ("@state", (int)DestructionState.Sweeping),
            ("@destroyed_on", ToTicks(now)),
            ("@objects", (long)removed.Count),
            ("@bytes", bytes),
            ("@details", DestructionDetailsJson(keys, sites)));
        var index = AppendAuditEntry(tx, destructionEntry(record));
        tx.Execute("UPDATE destructions SET keys_entry_index = @index WHERE id = @id", ("@id", id), ("@index", index));
        return record with { KeysEntryIndex = index };
    }

    /// <summary>The data keys of removed objects, one id each, or past <see cref="Limits.CertificateKeyIdsMax"/> one entry with their count and digest.</summary>
    private static List<DestroyedKey> DataKeyIds(IReadOnlyList<StoredObject> removed, DateTimeOffset now)
    {
        var ids = removed.Select(stored => "data-key/" + stored.ObjectId).Order(StringComparer.Ordinal).ToList();
        if (ids.Count <= Limits.CertificateKeyIdsMax)
        {
            return [.. ids.Select(id => new DestroyedKey(id, now))];
        }

        var digest = SHA256.HashData(Encoding.UTF8.GetBytes(string.Join('\n', ids)));
        return [new DestroyedKey($"data-keys/{ids.Count.ToString(CultureInfo.InvariantCulture)}/sha256:{Convert.ToHexStringLower(digest)}", now)];
    }

    /// <summary>
    /// The account's vault items at its destruction: without purge protection purged now; with it
    /// soft-deleted (if not already) and purged when their recoverable period ends.
    /// </summary>
    private static List<DestroyedKey> DestroyVaultItems(Transaction tx, string account, DateTimeOffset now)
    {
        (string, object?) key = ("@account", account);
        var retentionDays = Limits.SoftDeleteRetentionDaysMax;
        var purgeProtection = false;
        using (var reader = tx.Query("SELECT retention_days, purge_protection FROM vault_settings WHERE account = @account", key))
        {
            if (reader.Read())
            {
                retentionDays = reader.GetInt32(0);
                purgeProtection = reader.GetInt64(1) != 0;
            }
        }

        var items = new List<(int Kind, string Name, string Version, long? ScheduledPurge)>();
        using (var reader = tx.Query(
            "SELECT v.kind, v.name, v.version, i.scheduled_purge_on FROM vault_item_versions v " +
            "JOIN vault_items i ON i.account = v.account AND i.kind = v.kind AND i.name = v.name WHERE v.account = @account ORDER BY v.kind, v.name, v.sequence",
            key))
        {
            while (reader.Read())
            {
                items.Add((reader.GetInt32(0), reader.GetString(1), reader.GetString(2), reader.IsDBNull(3) ? null : reader.GetInt64(3)));
            }
        }

        if (!purgeProtection)
        {
            DeleteVaultRows(tx, account);
            return [.. items.Select(item => new DestroyedKey(VaultKeyId(account, (VaultItemKind)item.Kind, item.Name, item.Version), now))];
        }

        var scheduled = now.AddDays(retentionDays);
        tx.Execute(
            "UPDATE vault_items SET deleted_on = @now, scheduled_purge_on = @purge_on WHERE account = @account AND deleted_on IS NULL",
            key,
            ("@now", ToTicks(now)),
            ("@purge_on", ToTicks(scheduled)));
        return [.. items.Select(item => new DestroyedKey(
            VaultKeyId(account, (VaultItemKind)item.Kind, item.Name, item.Version),
            null,
            item.ScheduledPurge is { } ticks ? FromTicks(ticks) : scheduled))];
    }

    private static string VaultKeyId(string account, VaultItemKind kind, string name, string version) =>
        (kind == VaultItemKind.Key ? "vault-key/" : "vault-secret/") + account + "/" + name + "/" + version;

    private static List<string> ReadStrings(Transaction tx, string sql, params ReadOnlySpan<(string Name, object? Value)> parameters)
    {
        using var reader = tx.Query(sql, parameters);
        var values = new List<string>();
        while (reader.Read())
        {
            values.Add(reader.GetString(0));
        }

        return values;
    }

    private static List<DestructionRecord> ReadDestructions(Transaction tx, string where, params ReadOnlySpan<(string Name, object? Value)> parameters)
    {
        using var reader = tx.Query($"SELECT {DestructionColumns} FROM destructions {where}", parameters);
        var records = new List<DestructionRecord>();
        while (reader.Read())
        {
            var (keys, sites) = ReadDestructionDetails(reader.GetString(9));
            records.Add(new DestructionRecord(
                reader.GetString(0),
                reader.GetString(1),
                (DestructionKind)reader.GetInt32(2),
                reader.GetString(3),
                (DestructionState)reader.GetInt32(4),
                FromTicks(reader.GetInt64(5)),
                reader.IsDBNull(6) ? null : FromTicks(reader.GetInt64(6)),
                reader.GetInt64(7),
                reader.GetInt64(8),
                keys,
                sites)
            {
                KeysEntryIndex = reader.IsDBNull(10) ? null : reader.GetInt64(10),
                SweepEntryIndex = reader.IsDBNull(11) ? null : reader.GetInt64(11),
            });
        }

        return records;
    }

    private static void WriteDestructionDetails(Transaction tx, DestructionRecord record) =>
        tx.Execute("UPDATE destructions SET details = @details WHERE id = @id", ("@id", record.Id), ("@details", DestructionDetailsJson(record.Keys, record.Sites)));

    // details: {"keys":[{"id","destroyedOn"?,"scheduledOn"?}],"sites":[{"site","copies","complete","completedOn"?}]}, times in ticks.
    private static string DestructionDetailsJson(IReadOnlyList<DestroyedKey> keys, IReadOnlyList<DestructionSite> sites)
    {
        using var buffer = new MemoryStream();
        using (var writer = new Utf8JsonWriter(buffer))
        {
            writer.WriteStartObject();
            writer.WriteStartArray("keys");
            foreach (var key in keys)
            {
                writer.WriteStartObject();
                writer.WriteString("id", key.Id);
                if (key.DestroyedOn is { } destroyed)
                {
                    writer.WriteNumber("destroyedOn", ToTicks(destroyed));
                }

                if (key.ScheduledOn is { } scheduled)
                {
                    writer.WriteNumber("scheduledOn", ToTicks(scheduled));
                }

                writer.WriteEndObject();
            }

            writer.WriteEndArray();
            writer.WriteStartArray("sites");
            foreach (var site in sites)
            {
                writer.WriteStartObject();
                writer.WriteString("site", site.SiteId);
                writer.WriteNumber("copies", site.Copies);
                writer.WriteBoolean("complete", site.SweepComplete);
                if (site.CompletedOn is { } completed)
                {
                    writer.WriteNumber("completedOn", ToTicks(completed));
                }

                writer.WriteEndObject();
            }

            writer.WriteEndArray();
            writer.WriteEndObject();
        }

        return Encoding.UTF8.GetString(buffer.ToArray());
    }

    private static (List<DestroyedKey> Keys, List<DestructionSite> Sites) ReadDestructionDetails(string json)
    {
        using var document = JsonDocument.Parse(json);
        var keys = new List<DestroyedKey>();
        foreach (var key in document.RootElement.GetProperty("keys").EnumerateArray())
        {
            keys.Add(new DestroyedKey(
                key.GetProperty("id").GetString()!,
                key.TryGetProperty("destroyedOn", out var destroyed) ? FromTicks(destroyed.GetInt64()) : null,
                key.TryGetProperty("scheduledOn", out var scheduled) ? FromTicks(scheduled.GetInt64()) : null));
        }

        var sites = new List<DestructionSite>();
        foreach (var site in document.RootElement.GetProperty("sites").EnumerateArray())
        {
            sites.Add(new DestructionSite(
                site.GetProperty("site").GetString()!,
                site.GetProperty("copies").GetInt64(),
                site.GetProperty("complete").GetBoolean(),
                site.TryGetProperty("completedOn", out var completed) ? FromTicks(completed.GetInt64()) : null));
        }

        return (keys, sites);
    }
}
