using System.Data.Common;
using Strongroom.Core;

namespace Strongroom.Storage;

/// <summary>The Key Vault API's items in the same SQLite file, written with the same group commits.</summary>
public sealed partial class SqlMetadataStore : IKeyVaultStore
{
    private const string VaultItemColumns = "account, kind, name, display_name, deleted_on, scheduled_purge_on";
    private const string VaultVersionColumns =
        "version, sequence, created_on, updated_on, enabled, not_before, expires, content_type, tags, key_description, wrapped_value";

    private const string VaultItemKey = "account = @account AND kind = @kind AND name = @name";

    public Task<VaultSettings> GetVaultSettingsAsync(string account, CancellationToken cancellationToken = default) =>
        ReadAsync(
            tx =>
            {
                using var reader = tx.Query("SELECT retention_days, purge_protection FROM vault_settings WHERE account = @account", ("@account", account));
                return reader.Read() ? new VaultSettings(reader.GetInt32(0), reader.GetInt64(1) != 0) : VaultSettings.Default;
            },
            cancellationToken);

    public Task SetVaultSettingsAsync(string account, VaultSettings settings, AuditAppend? audit = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(settings);
        return WriteAsync(
            tx =>
            {
                if (ReadAccount(tx, account) is null)
                {
                    throw new StorageException(ErrorCode.AccountNotFound);
                }

                tx.Execute(
                    "INSERT INTO vault_settings (account, retention_days, purge_protection) VALUES (@account, @days, @protection) " +
                    "ON CONFLICT (account) DO UPDATE SET retention_days = @days, purge_protection = @protection",
                    ("@account", account),
                    ("@days", settings.RetentionDays),
                    ("@protection", settings.PurgeProtection ? 1 : 0));
                return true;
            },
            audit,
            cancellationToken);
    }

    public Task<VaultItemVersion> AddVaultItemVersionAsync(string account, VaultItemKind kind, string name, string displayName, VaultItemVersion version, Func<VaultItemState?, bool> precondition, AuditAppend? audit = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(version);
        ArgumentNullException.ThrowIfNull(precondition);
        return WriteAsync(
            tx =>
            {
                if (ReadAccount(tx, account) is null)
                {
                    throw new StorageException(ErrorCode.AccountNotFound);
                }

                var item = ReadVaultItem(tx, account, kind, name);
                if (precondition(item) && item is not null)
                {
                    DeleteVaultItemRows(tx, account, kind, name);
                    item = null;
                }

                long sequence;
                if (item is null)
                {
                    sequence = 1;
                    tx.Execute(
                        $"INSERT INTO vault_items ({VaultItemColumns}, last_sequence) VALUES (@account, @kind, @name, @display_name, NULL, NULL, 1)",
                        ("@account", account),
                        ("@kind", (int)kind),
                        ("@name", name),
                        ("@display_name", displayName));
                }
                else
                {
                    sequence = Convert.ToInt64(
                        tx.Scalar($"UPDATE vault_items SET last_sequence = last_sequence + 1 WHERE {VaultItemKey} RETURNING last_sequence", ("@account", account), ("@kind", (int)kind), ("@name", name)),
                        System.Globalization.CultureInfo.InvariantCulture);
                }

                var stored = version with { Sequence = sequence };
                tx.Execute(
                    $"INSERT INTO vault_item_versions (account, kind, name, {VaultVersionColumns}) VALUES " +
                    "(@account, @kind, @name, @version, @sequence, @created_on, @updated_on, @enabled, @not_before, @expires, @content_type, @tags, @key_description, @wrapped_value)",
                    VersionParameters(account, kind, name, stored));
                return stored;
            },
            audit,
            cancellationToken);
    }

    public Task<(VaultItemState Item, VaultItemVersion Version)?> GetVaultItemAsync(string account, VaultItemKind kind, string name, string? version, CancellationToken cancellationToken = default) =>
        ReadAsync<(VaultItemState, VaultItemVersion)?>(
            tx =>
            {
                var item = ReadVaultItem(tx, account, kind, name);
                if (item is null)
                {
                    return null;
                }

                var found = version is null ? ReadLatestVersion(tx, account, kind, name) : ReadVersion(tx, account, kind, name, version);
                return found is null ? null : (item, found);
            },
            cancellationToken);

    public Task<IReadOnlyList<(VaultItemState Item, VaultItemVersion Latest)>> ListVaultItemsAsync(string account, VaultItemKind kind, bool deleted, DateTimeOffset now, string? afterName, int limit, CancellationToken cancellationToken = default) =>
        ReadAsync<IReadOnlyList<(VaultItemState, VaultItemVersion)>>(
            tx =>
            {
                var state = deleted ? "deleted_on IS NOT NULL AND scheduled_purge_on > @now" : "deleted_on IS NULL";
                var items = new List<VaultItemState>();
                using (var reader = tx.Query(
                    $"SELECT {VaultItemColumns} FROM vault_items WHERE account = @account AND kind = @kind AND {state} AND name > @after ORDER BY name LIMIT @limit",
                    ("@account", account),
                    ("@kind", (int)kind),
                    ("@now", ToTicks(now)),
                    ("@after", afterName ?? string.Empty),
                    ("@limit", limit)))
                {
                    while (reader.Read())
                    {
                        items.Add(ReadVaultItemRow(reader));
                    }
                }

                var result = new List<(VaultItemState, VaultItemVersion)>(items.Count);
                foreach (var item in items)
                {
                    var latest = ReadLatestVersion(tx, account, kind, item.Name);
                    Invariant.True(latest is not null, "a vault item has at least one version");
                    result.Add((item, latest!));
                }

                return result;
            },
            cancellationToken);

    public Task<IReadOnlyList<VaultItemVersion>> ListVaultItemVersionsAsync(string account, VaultItemKind kind, string name, long afterSequence, int limit, CancellationToken cancellationToken = default) =>
        ReadAsync<IReadOnlyList<VaultItemVersion>>(
            tx =>
            {
                var versions = new List<VaultItemVersion>();
                using var reader = tx.Query(
                    $"SELECT {VaultVersionColumns} FROM vault_item_versions WHERE {VaultItemKey} AND sequence > @after ORDER BY sequence LIMIT @limit",
                    ("@account", account),
                    ("@kind", (int)kind),
                    ("@name", name),
                    ("@after", afterSequence),
                    ("@limit", limit));
                while (reader.Read())
                {
                    versions.Add(ReadVersionRow(reader));
                }

                return versions;
            },
            cancellationToken);

    public Task<VaultItemVersion?> UpdateVaultItemVersionAsync(string account, VaultItemKind kind, string name, string version, Func<VaultItemState, VaultItemVersion, VaultItemVersion> update, AuditAppend? audit = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(update);
        return WriteAsync<VaultItemVersion?>(
            tx =>
            {
                var item = ReadVaultItem(tx, account, kind, name);
                var current = item is null ? null : ReadVersion(tx, account, kind, name, version);
                if (item is null || current is null)
                {
                    return null;
                }

                var updated = update(item, current);
                Invariant.True(
                    updated.Version == current.Version && updated.Sequence == current.Sequence && updated.WrappedValue.AsSpan().SequenceEqual(current.WrappedValue),
                    "an update changes attributes only, never the value or the version");
                var changed = tx.Execute(
                    "UPDATE vault_item_versions SET updated_on = @updated_on, enabled = @enabled, not_before = @not_before, expires = @expires, " +
                    "content_type = @content_type, tags = @tags, key_description = @key_description " +
                    $"WHERE {VaultItemKey} AND version = @version",
                    VersionParameters(account, kind, name, updated));
                Invariant.True(changed == 1, "a vault version update changes exactly one row");
                return updated;
            },
            audit,
            cancellationToken);
    }

    public Task<VaultItemState> MarkVaultItemDeletedAsync(string account, VaultItemKind kind, string name, DateTimeOffset deletedOn, DateTimeOffset scheduledPurgeOn, Action<VaultItemState?> precondition, AuditAppend? audit = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(precondition);
        return WriteAsync(
            tx =>
            {
                var item = ReadVaultItem(tx, account, kind, name);
                precondition(item);
                Invariant.True(item is not null, "the precondition refuses a missing item");
                tx.Execute(
                    $"UPDATE vault_items SET deleted_on = @deleted_on, scheduled_purge_on = @purge_on WHERE {VaultItemKey}",
                    ("@account", account),
                    ("@kind", (int)kind),
                    ("@name", name),
                    ("@deleted_on", ToTicks(deletedOn)),
                    ("@purge_on", ToTicks(scheduledPurgeOn)));
                return item! with { DeletedOn = deletedOn, ScheduledPurgeOn = scheduledPurgeOn };
            },
            audit,
            cancellationToken);
    }

    public Task<VaultItemState> RecoverVaultItemAsync(string account, VaultItemKind kind, string name, Action<VaultItemState?> precondition, AuditAppend? audit = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(precondition);
        return WriteAsync(
            tx =>
            {
                var item = ReadVaultItem(tx, account, kind, name);
                precondition(item);
                Invariant.True(item is not null, "the precondition refuses a missing item");
                tx.Execute(
                    $"UPDATE vault_items SET deleted_on = NULL, scheduled_purge_on = NULL WHERE {VaultItemKey}",
                    ("@account", account),
                    ("@kind", (int)kind),
                    ("@name", name));
                return item! with { DeletedOn = null, ScheduledPurgeOn = null };
            },
            audit,
            cancellationToken);
    }

    public Task PurgeVaultItemAsync(string account, VaultItemKind kind, string name, Action<VaultItemState?> precondition, AuditAppend? audit = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(precondition);
        return WriteAsync(
            tx =>
            {
                var item = ReadVaultItem(tx, account, kind, name);
                precondition(item);
                DeleteVaultItemRows(tx, account, kind, name);
                return true;
            },
            audit,
            cancellationToken);
    }

    public Task<VaultItemValuePage> ListVaultItemValuesAsync(VaultItemValueKey? after, int limit, CancellationToken cancellationToken = default)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(limit, 1);
        return ReadAsync(
            tx =>
            {
                var values = new List<VaultItemValue>();
                using var reader = after is null
                    ? tx.Query(
                        "SELECT account, kind, name, version, wrapped_value FROM vault_item_versions ORDER BY account, kind, name, version LIMIT @take",
                        ("@take", (long)limit))
                    : tx.Query(
                        "SELECT account, kind, name, version, wrapped_value FROM vault_item_versions " +
                        "WHERE (account, kind, name, version) > (@account, @kind, @name, @version) ORDER BY account, kind, name, version LIMIT @take",
                        ("@account", after.Account),
                        ("@kind", (int)after.Kind),
                        ("@name", after.Name),
                        ("@version", after.Version),
                        ("@take", (long)limit));
                while (reader.Read())
                {
                    values.Add(new VaultItemValue(
                        new VaultItemValueKey(reader.GetString(0), (VaultItemKind)reader.GetInt32(1), reader.GetString(2), reader.GetString(3)),
                        reader.GetFieldValue<byte[]>(4)));
                }

                return new VaultItemValuePage(values, values.Count < limit ? null : values[^1].Key);
            },
            cancellationToken);
    }

    public Task<int> ReplaceVaultItemValuesAsync(IReadOnlyList<VaultItemValueReplacement> replacements, CancellationToken cancellationToken = default)
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
                    applied += tx.Execute(
                        $"UPDATE vault_item_versions SET wrapped_value = @new WHERE {VaultItemKey} AND version = @version AND wrapped_value = @old",
                        ("@account", replacement.Key.Account),
                        ("@kind", (int)replacement.Key.Kind),
                        ("@name", replacement.Key.Name),
                        ("@version", replacement.Key.Version),
                        ("@old", replacement.Expected),
                        ("@new", replacement.Replacement));
                }

                return applied;
            },
            cancellationToken);
    }

    /// <summary>Part of deleting an account: its vault goes with it.</summary>
    private static void DeleteVaultRows(Transaction tx, string account)
    {
        tx.Execute("DELETE FROM vault_item_versions WHERE account = @account", ("@account", account));
        tx.Execute("DELETE FROM vault_items WHERE account = @account", ("@account", account));
        tx.Execute("DELETE FROM vault_settings WHERE account = @account", ("@account", account));
        tx.KeysErased = true;
    }

    private static void DeleteVaultItemRows(Transaction tx, string account, VaultItemKind kind, string name)
    {
        tx.Execute($"DELETE FROM vault_item_versions WHERE {VaultItemKey}", ("@account", account), ("@kind", (int)kind), ("@name", name));
        tx.Execute($"DELETE FROM vault_items WHERE {VaultItemKey}", ("@account", account), ("@kind", (int)kind), ("@name", name));
        tx.KeysErased = true;
    }

    private static VaultItemState? ReadVaultItem(Transaction tx, string account, VaultItemKind kind, string name)
    {
        using var reader = tx.Query(
            $"SELECT {VaultItemColumns} FROM vault_items WHERE {VaultItemKey}",
            ("@account", account),
            ("@kind", (int)kind),
            ("@name", name));
        return reader.Read() ? ReadVaultItemRow(reader) : null;
    }

    private static VaultItemVersion? ReadLatestVersion(Transaction tx, string account, VaultItemKind kind, string name)
    {
        using var reader = tx.Query(
            $"SELECT {VaultVersionColumns} FROM vault_item_versions WHERE {VaultItemKey} ORDER BY sequence DESC LIMIT 1",
            ("@account", account),
            ("@kind", (int)kind),
            ("@name", name));
        return reader.Read() ? ReadVersionRow(reader) : null;
    }

    private static VaultItemVersion? ReadVersion(Transaction tx, string account, VaultItemKind kind, string name, string version)
    {
        using var reader = tx.Query(
            $"SELECT {VaultVersionColumns} FROM vault_item_versions WHERE {VaultItemKey} AND version = @version",
            ("@account", account),
            ("@kind", (int)kind),
            ("@name", name),
            ("@version", version));
        return reader.Read() ? ReadVersionRow(reader) : null;
    }

    private static VaultItemState ReadVaultItemRow(DbDataReader reader) => new(
        reader.GetString(0),
        (VaultItemKind)reader.GetInt32(1),
        reader.GetString(2),
        reader.GetString(3),
        reader.IsDBNull(4) ? null : FromTicks(reader.GetInt64(4)),
        reader.IsDBNull(5) ? null : FromTicks(reader.GetInt64(5)));

    private static VaultItemVersion ReadVersionRow(DbDataReader reader) => new(
        reader.GetString(0),
        reader.GetInt64(1),
        FromTicks(reader.GetInt64(2)),
        FromTicks(reader.GetInt64(3)),
        reader.GetInt64(4) != 0,
        reader.IsDBNull(5) ? null : FromTicks(reader.GetInt64(5)),
        reader.IsDBNull(6) ? null : FromTicks(reader.GetInt64(6)),
        NullableString(reader, 7),
        MetadataJson.Deserialize(reader.GetString(8)),
        NullableString(reader, 9),
        reader.GetFieldValue<byte[]>(10));

    private static (string Name, object? Value)[] VersionParameters(string account, VaultItemKind kind, string name, VaultItemVersion version) =>
    [
        ("@account", account),
        ("@kind", (int)kind),
        ("@name", name),
        ("@version", version.Version),
        ("@sequence", version.Sequence),
        ("@created_on", ToTicks(version.CreatedOn)),
        ("@updated_on", ToTicks(version.UpdatedOn)),
        ("@enabled", version.Enabled ? 1 : 0),
        ("@not_before", version.NotBefore is { } notBefore ? ToTicks(notBefore) : null),
        ("@expires", version.Expires is { } expires ? ToTicks(expires) : null),
        ("@content_type", version.ContentType),
        ("@tags", MetadataJson.Serialize(version.Tags)),
        ("@key_description", version.KeyDescription),
        ("@wrapped_value", version.WrappedValue),
    ];
}
