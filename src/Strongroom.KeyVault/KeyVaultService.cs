using Strongroom.Audit;
using System.Security.Cryptography;
using System.Text;
using Strongroom.Core;
using Strongroom.Storage;
using Strongroom.Vault;

namespace Strongroom.KeyVault;

/// <summary>
/// A tenant's vault, shaped after Azure Key Vault: secrets and keys with versions, attributes and
/// tags, soft delete (a per-account retention of 7 to 90 days), recover, purge and purge
/// protection, and the cryptographic operations on keys. It knows no wire format: the Key Vault
/// protocol layer calls it with the account a verified bearer token names.
///
/// Every value and every private or symmetric key is stored only wrapped by the platform keyring,
/// bound to account, kind, name and version (<see cref="TenantKeys.WrapVaultItem"/>). Nothing is
/// cached: each call reads the item's current state, so disabling or deleting a key takes effect
/// on the next call.
/// </summary>
public sealed partial class KeyVaultService(IKeyVaultStore store, TenantKeys keys, TransparencyLog audit, TimeProvider time, IRandomSource random)
{
    /// <summary>The transparency log this service records into.</summary>
    public TransparencyLog Audit => audit;

    // Settings

    public Task<VaultOptions> GetSettingsAsync(string account, CancellationToken cancellationToken = default) =>
        AuditedAsync(account, "GetSettings", SettingsResource, async () =>
        {
            var options = Describe(await store.GetVaultSettingsAsync(account, cancellationToken).ConfigureAwait(false));
            await RecordAsync(account, "GetSettings", SettingsResource, null, cancellationToken).ConfigureAwait(false);
            return options;
        }, cancellationToken);

    /// <summary>Sets the retention (7–90 days) and purge protection; purge protection cannot be turned off once on (as in Azure).</summary>
    public Task<VaultOptions> SetSettingsAsync(string account, int? retentionDays, bool? purgeProtection, CancellationToken cancellationToken = default) =>
        AuditedAsync(account, "UpdateSettings", SettingsResource, () => SetSettingsCoreAsync(account, retentionDays, purgeProtection, cancellationToken), cancellationToken);

    private async Task<VaultOptions> SetSettingsCoreAsync(string account, int? retentionDays, bool? purgeProtection, CancellationToken cancellationToken)
    {
        var current = await store.GetVaultSettingsAsync(account, cancellationToken).ConfigureAwait(false);
        var days = retentionDays ?? current.RetentionDays;
        if (days is < Limits.SoftDeleteRetentionDaysMin or > Limits.SoftDeleteRetentionDaysMax)
        {
            throw new KeyVaultException(KeyVaultErrorCode.BadParameter, $"The soft-delete retention must be between {Limits.SoftDeleteRetentionDaysMin} and {Limits.SoftDeleteRetentionDaysMax} days.");
        }

        if (current.PurgeProtection && purgeProtection == false)
        {
            throw new KeyVaultException(KeyVaultErrorCode.PurgeProtectionIrreversible, "Purge protection cannot be turned off once it is on.");
        }

        var settings = new VaultSettings(days, purgeProtection ?? current.PurgeProtection);
        IReadOnlyList<KeyValuePair<string, string>> details = [new("purgeProtection", Text(settings.PurgeProtection)), new("retentionDays", Text(settings.RetentionDays))];
        await store.SetVaultSettingsAsync(account, settings, audit: VaultEntry(account, "UpdateSettings", SettingsResource, details), cancellationToken: cancellationToken).ConfigureAwait(false);
        return Describe(settings);
    }

    private static VaultOptions Describe(VaultSettings settings) => new(settings.RetentionDays, settings.PurgeProtection, RecoveryLevel(settings));

    // Secrets

    public Task<SecretWithValue> SetSecretAsync(string account, string name, string value, ItemChanges? attributes = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(value);
        return AuditedAsync(account, "SetSecret", Resource(VaultItemKind.Secret, name), () => SetSecretCoreAsync(account, name, value, attributes, cancellationToken), cancellationToken);
    }

    private async Task<SecretWithValue> SetSecretCoreAsync(string account, string name, string value, ItemChanges? attributes, CancellationToken cancellationToken)
    {
        RequireName(name, "secret");
        if (Encoding.UTF8.GetByteCount(value) > Limits.SecretValueBytesMax)
        {
            throw new KeyVaultException(KeyVaultErrorCode.BadParameter, $"A secret value is at most {Limits.SecretValueBytesMax} bytes.");
        }

        attributes ??= new ItemChanges();
        ValidateAttributes(attributes);
        var version = NewVersionId();
        var plaintext = Encoding.UTF8.GetBytes(value);
        byte[] wrapped;
        try
        {
            wrapped = keys.WrapVaultItem(account, VaultItemKind.Secret.Tag(), Fold(name), version, plaintext);
        }
        finally
        {
            CryptographicOperations.ZeroMemory(plaintext);
        }

        var (state, stored) = await AddVersionAsync(account, VaultItemKind.Secret, name, version, attributes, keyDescription: null, wrapped, VaultEntry(account, "SetSecret", Resource(VaultItemKind.Secret, name), VersionDetails(version)), cancellationToken).ConfigureAwait(false);
        var settings = await store.GetVaultSettingsAsync(account, cancellationToken).ConfigureAwait(false);
        return new SecretWithValue(DescribeSecret(state, stored, settings), value);
    }

    /// <summary>
    /// The latest (or the named) version with its value. As in Azure, a secret's exp and nbf are
    /// reported, not enforced on get; a disabled version is refused.
    /// </summary>
    public Task<SecretWithValue> GetSecretAsync(string account, string name, string? version = null, CancellationToken cancellationToken = default) =>
        AuditedAsync(account, "GetSecret", Resource(VaultItemKind.Secret, name), () => GetSecretCoreAsync(account, name, version, cancellationToken), cancellationToken);

    private async Task<SecretWithValue> GetSecretCoreAsync(string account, string name, string? version, CancellationToken cancellationToken)
    {
        var (state, found) = await RequireLiveAsync(account, VaultItemKind.Secret, name, version, cancellationToken).ConfigureAwait(false);
        if (!found.Enabled)
        {
            throw new KeyVaultException(KeyVaultErrorCode.SecretDisabled, "Operation get is not allowed on a disabled secret.");
        }

        var plaintext = keys.UnwrapVaultItem(account, VaultItemKind.Secret.Tag(), state.Name, found.Version, found.WrappedValue);
        try
        {
            var settings = await store.GetVaultSettingsAsync(account, cancellationToken).ConfigureAwait(false);
            var result = new SecretWithValue(DescribeSecret(state, found, settings), Encoding.UTF8.GetString(plaintext));

            // Recorded before the value leaves the service.
            await RecordAsync(account, "GetSecret", Resource(VaultItemKind.Secret, name), VersionDetails(found.Version), cancellationToken).ConfigureAwait(false);
            return result;
        }
        finally
        {
            CryptographicOperations.ZeroMemory(plaintext);
        }
    }

    public Task<VaultPage<SecretProperties>> ListSecretsAsync(string account, string? continueAfter, int? maxResults, CancellationToken cancellationToken = default) =>
        AuditedAsync(account, "GetSecrets", Collection(VaultItemKind.Secret, deleted: false), async () =>
        {
            var (items, next) = await ListAsync(account, VaultItemKind.Secret, deleted: false, continueAfter, maxResults, cancellationToken).ConfigureAwait(false);
            var settings = await store.GetVaultSettingsAsync(account, cancellationToken).ConfigureAwait(false);
            await RecordAsync(account, "GetSecrets", Collection(VaultItemKind.Secret, deleted: false), null, cancellationToken).ConfigureAwait(false);
            return new VaultPage<SecretProperties>(items.Select(item => DescribeSecret(item.Item, item.Latest, settings)).ToList(), next);
        }, cancellationToken);

    public Task<VaultPage<SecretProperties>> ListSecretVersionsAsync(string account, string name, string? continueAfter, int? maxResults, CancellationToken cancellationToken = default) =>
        AuditedAsync(account, "GetSecretVersions", Resource(VaultItemKind.Secret, name), async () =>
        {
            var (state, versions, next) = await ListVersionsAsync(account, VaultItemKind.Secret, name, continueAfter, maxResults, cancellationToken).ConfigureAwait(false);
            var settings = await store.GetVaultSettingsAsync(account, cancellationToken).ConfigureAwait(false);
            await RecordAsync(account, "GetSecretVersions", Resource(VaultItemKind.Secret, name), null, cancellationToken).ConfigureAwait(false);
            return new VaultPage<SecretProperties>(versions.Select(v => DescribeSecret(state, v, settings)).ToList(), next);
        }, cancellationToken);

    public Task<SecretProperties> UpdateSecretAsync(string account, string name, string? version, ItemChanges changes, CancellationToken cancellationToken = default) =>
        AuditedAsync(account, "UpdateSecret", Resource(VaultItemKind.Secret, name), async () =>
        {
            var (state, updated) = await UpdateAsync(account, VaultItemKind.Secret, name, version, changes, "UpdateSecret", cancellationToken).ConfigureAwait(false);
            var settings = await store.GetVaultSettingsAsync(account, cancellationToken).ConfigureAwait(false);
            return DescribeSecret(state, updated, settings);
        }, cancellationToken);

    public Task<SecretProperties> DeleteSecretAsync(string account, string name, CancellationToken cancellationToken = default) =>
        AuditedAsync(account, "DeleteSecret", Resource(VaultItemKind.Secret, name), async () =>
        {
            var (state, latest, settings) = await DeleteAsync(account, VaultItemKind.Secret, name, "DeleteSecret", cancellationToken).ConfigureAwait(false);
            return DescribeSecret(state, latest, settings);
        }, cancellationToken);

    public Task<SecretProperties> GetDeletedSecretAsync(string account, string name, CancellationToken cancellationToken = default) =>
        AuditedAsync(account, "GetDeletedSecret", Resource(VaultItemKind.Secret, name), async () =>
        {
            var (state, latest) = await RequireDeletedAsync(account, VaultItemKind.Secret, name, cancellationToken).ConfigureAwait(false);
            var settings = await store.GetVaultSettingsAsync(account, cancellationToken).ConfigureAwait(false);
            await RecordAsync(account, "GetDeletedSecret", Resource(VaultItemKind.Secret, name), null, cancellationToken).ConfigureAwait(false);
            return DescribeSecret(state, latest, settings);
        }, cancellationToken);

    public Task<VaultPage<SecretProperties>> ListDeletedSecretsAsync(string account, string? continueAfter, int? maxResults, CancellationToken cancellationToken = default) =>
        AuditedAsync(account, "GetDeletedSecrets", Collection(VaultItemKind.Secret, deleted: true), async () =>
        {
            var (items, next) = await ListAsync(account, VaultItemKind.Secret, deleted: true, continueAfter, maxResults, cancellationToken).ConfigureAwait(false);
            var settings = await store.GetVaultSettingsAsync(account, cancellationToken).ConfigureAwait(false);
            await RecordAsync(account, "GetDeletedSecrets", Collection(VaultItemKind.Secret, deleted: true), null, cancellationToken).ConfigureAwait(false);
            return new VaultPage<SecretProperties>(items.Select(item => DescribeSecret(item.Item, item.Latest, settings)).ToList(), next);
        }, cancellationToken);

    public Task<SecretProperties> RecoverDeletedSecretAsync(string account, string name, CancellationToken cancellationToken = default) =>
        AuditedAsync(account, "RecoverDeletedSecret", Resource(VaultItemKind.Secret, name), async () =>
        {
            var (state, latest, settings) = await RecoverAsync(account, VaultItemKind.Secret, name, "RecoverDeletedSecret", cancellationToken).ConfigureAwait(false);
            return DescribeSecret(state, latest, settings);
        }, cancellationToken);

    public Task PurgeDeletedSecretAsync(string account, string name, CancellationToken cancellationToken = default) =>
        AuditedAsync(account, "PurgeDeletedSecret", Resource(VaultItemKind.Secret, name), () => PurgeAsync(account, VaultItemKind.Secret, name, "PurgeDeletedSecret", cancellationToken), cancellationToken);

    // Shared item lifecycle

    private async Task<(VaultItemState State, VaultItemVersion Version)> AddVersionAsync(string account, VaultItemKind kind, string name, string version, ItemChanges attributes, string? keyDescription, byte[] wrapped, AuditAppend entry, CancellationToken cancellationToken)
    {
        var now = time.GetUtcNow();
        var folded = Fold(name);
        VaultItemState? before = null;
        var stored = await store.AddVaultItemVersionAsync(
            account,
            kind,
            folded,
            name,
            new VaultItemVersion(version, 0, now, now, attributes.Enabled ?? true, attributes.NotBefore, attributes.Expires, attributes.ContentType, attributes.Tags ?? [], keyDescription, wrapped),
            item =>
            {
                before = item;
                if (item is not { IsDeleted: true })
                {
                    return false;
                }

                if (item.ScheduledPurgeOn <= now)
                {
                    // Past its retention: it would have been purged; the name is free again.
                    return true;
                }

                throw new KeyVaultException(
                    KeyVaultErrorCode.ObjectIsDeletedButRecoverable,
                    $"{Capitalized(kind)} {name} is currently in a deleted but recoverable state, and its name cannot be reused; in this state, the {kind.Tag()} can only be recovered or purged.");
            },
            audit: entry,
            cancellationToken: cancellationToken).ConfigureAwait(false);
        var state = before is { IsDeleted: false } ? before : new VaultItemState(account, kind, folded, name, null, null);
        return (state, stored);
    }

    private async Task<(VaultItemState State, VaultItemVersion Version)> RequireLiveAsync(string account, VaultItemKind kind, string name, string? version, CancellationToken cancellationToken)
    {
        RequireName(name, kind.Tag());
        var found = await store.GetVaultItemAsync(account, kind, Fold(name), NormalizeVersion(version), cancellationToken).ConfigureAwait(false);
        if (found is not { } pair || pair.Item.IsDeleted)
        {
            throw NotFound(kind, name, version);
        }

        return pair;
    }

    private async Task<(VaultItemState State, VaultItemVersion Latest)> RequireDeletedAsync(string account, VaultItemKind kind, string name, CancellationToken cancellationToken)
    {
        RequireName(name, kind.Tag());
        var found = await store.GetVaultItemAsync(account, kind, Fold(name), null, cancellationToken).ConfigureAwait(false);
        if (found is not { } pair || !IsRecoverable(pair.Item))
        {
            throw DeletedNotFound(kind, name);
        }

        return pair;
    }

    private async Task<(IReadOnlyList<(VaultItemState Item, VaultItemVersion Latest)> Items, string? Next)> ListAsync(string account, VaultItemKind kind, bool deleted, string? continueAfter, int? maxResults, CancellationToken cancellationToken)
    {
        var limit = PageSize(maxResults);
        var items = await store.ListVaultItemsAsync(account, kind, deleted, time.GetUtcNow(), continueAfter, limit, cancellationToken).ConfigureAwait(false);
        return (items, items.Count == limit ? items[^1].Item.Name : null);
    }

    private async Task<(VaultItemState State, IReadOnlyList<VaultItemVersion> Versions, string? Next)> ListVersionsAsync(string account, VaultItemKind kind, string name, string? continueAfter, int? maxResults, CancellationToken cancellationToken)
    {
        var (state, _) = await RequireLiveAsync(account, kind, name, null, cancellationToken).ConfigureAwait(false);
        var limit = PageSize(maxResults);
        long after = 0;
        if (continueAfter is not null && !long.TryParse(continueAfter, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out after))
        {
            throw new KeyVaultException(KeyVaultErrorCode.BadParameter, "The continuation token is not valid.");
        }

        var versions = await store.ListVaultItemVersionsAsync(account, kind, state.Name, after, limit, cancellationToken).ConfigureAwait(false);
        var next = versions.Count == limit ? versions[^1].Sequence.ToString(System.Globalization.CultureInfo.InvariantCulture) : null;
        return (state, versions, next);
    }

    private async Task<(VaultItemState State, VaultItemVersion Version)> UpdateAsync(string account, VaultItemKind kind, string name, string? version, ItemChanges changes, string operation, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(changes);
        ValidateAttributes(changes);
        var (state, current) = await RequireLiveAsync(account, kind, name, version, cancellationToken).ConfigureAwait(false);
        var now = time.GetUtcNow();
        string? description = current.KeyDescription;
        if (changes.KeyOperations is not null)
        {
            Invariant.True(kind == VaultItemKind.Key, "only keys have operations");
            var key = KeyDescriptions.Parse(current.KeyDescription!);
            description = KeyDescriptions.Serialize(key with { KeyOperations = ValidateOperations(key.KeyType, changes.KeyOperations) });
        }

        var updated = await store.UpdateVaultItemVersionAsync(
            account,
            kind,
            state.Name,
            current.Version,
            (item, row) =>
            {
                if (item.IsDeleted)
                {
                    throw NotFound(kind, name, version);
                }

                return row with
                {
                    UpdatedOn = now,
                    Enabled = changes.Enabled ?? row.Enabled,
                    NotBefore = changes.NotBefore ?? row.NotBefore,
                    Expires = changes.Expires ?? row.Expires,
                    ContentType = changes.ContentType ?? row.ContentType,
                    Tags = changes.Tags ?? row.Tags,
                    KeyDescription = description,
                };
            },
            audit: VaultEntry(account, operation, Resource(kind, name), VersionDetails(current.Version)),
            cancellationToken: cancellationToken).ConfigureAwait(false) ?? throw NotFound(kind, name, version);
        return (state, updated);
    }

    private async Task<(VaultItemState State, VaultItemVersion Latest, VaultSettings Settings)> DeleteAsync(string account, VaultItemKind kind, string name, string operation, CancellationToken cancellationToken)
    {
        RequireName(name, kind.Tag());
        var settings = await store.GetVaultSettingsAsync(account, cancellationToken).ConfigureAwait(false);
        var now = time.GetUtcNow();
        var state = await store.MarkVaultItemDeletedAsync(
            account,
            kind,
            Fold(name),
            now,
            now.AddDays(settings.RetentionDays),
            item =>
            {
                if (item is null || item.IsDeleted)
                {
                    throw NotFound(kind, name, null);
                }
            },
            audit: VaultEntry(account, operation, Resource(kind, name), [new("scheduledPurgeDays", Text(settings.RetentionDays))]),
            cancellationToken: cancellationToken).ConfigureAwait(false);
        var latest = await store.GetVaultItemAsync(account, kind, state.Name, null, cancellationToken).ConfigureAwait(false);
        Invariant.True(latest is not null, "a deleted item keeps its versions until purged");
        return (state, latest!.Value.Version, settings);
    }

    private async Task<(VaultItemState State, VaultItemVersion Latest, VaultSettings Settings)> RecoverAsync(string account, VaultItemKind kind, string name, string operation, CancellationToken cancellationToken)
    {
        RequireName(name, kind.Tag());
        var state = await store.RecoverVaultItemAsync(
            account,
            kind,
            Fold(name),
            item =>
            {
                if (item is null || !IsRecoverable(item))
                {
                    throw DeletedNotFound(kind, name);
                }
            },
            audit: VaultEntry(account, operation, Resource(kind, name)),
            cancellationToken: cancellationToken).ConfigureAwait(false);
        var latest = await store.GetVaultItemAsync(account, kind, state.Name, null, cancellationToken).ConfigureAwait(false);
        Invariant.True(latest is not null, "a recovered item has its versions");
        var settings = await store.GetVaultSettingsAsync(account, cancellationToken).ConfigureAwait(false);
        return (state, latest!.Value.Version, settings);
    }

    private async Task PurgeAsync(string account, VaultItemKind kind, string name, string operation, CancellationToken cancellationToken)
    {
        RequireName(name, kind.Tag());
        var settings = await store.GetVaultSettingsAsync(account, cancellationToken).ConfigureAwait(false);
        var now = time.GetUtcNow();
        await store.PurgeVaultItemAsync(
            account,
            kind,
            Fold(name),
            item =>
            {
                if (item is not { IsDeleted: true })
                {
                    throw DeletedNotFound(kind, name);
                }

                // Past its retention the item is purged anyway; before, purge protection holds it.
                if (item.ScheduledPurgeOn > now && settings.PurgeProtection)
                {
                    throw new KeyVaultException(
                        KeyVaultErrorCode.PurgeProtectionEnabled,
                        "Operation \"purge\" is not allowed because purge protection is enabled for this vault. Key Vault service will automatically purge it after the retention period has passed.");
                }
            },
            audit: VaultEntry(account, operation, Resource(kind, name)),
            cancellationToken: cancellationToken).ConfigureAwait(false);
    }

    // Descriptions

    private SecretProperties DescribeSecret(VaultItemState state, VaultItemVersion version, VaultSettings settings) =>
        new(state.DisplayName, version.Version, version.ContentType, version.Tags, Attributes(version, settings), Deletion(state));

    private static ItemAttributes Attributes(VaultItemVersion version, VaultSettings settings) => new(
        version.Enabled,
        version.NotBefore,
        version.Expires,
        version.CreatedOn,
        version.UpdatedOn,
        RecoveryLevel(settings),
        settings.RetentionDays);

    /// <summary>Azure's recovery level: "Customized" below the 90-day default, "+Purgeable" without purge protection.</summary>
    internal static string RecoveryLevel(VaultSettings settings)
    {
        ArgumentNullException.ThrowIfNull(settings);
        var level = settings.RetentionDays < Limits.SoftDeleteRetentionDaysMax ? "CustomizedRecoverable" : "Recoverable";
        return settings.PurgeProtection ? level : level + "+Purgeable";
    }

    private static DeletionInfo? Deletion(VaultItemState state) =>
        state is { DeletedOn: { } deleted, ScheduledPurgeOn: { } purge } ? new DeletionInfo(deleted, purge) : null;

    // Validation and names

    private bool IsRecoverable(VaultItemState item) => item.IsDeleted && item.ScheduledPurgeOn > time.GetUtcNow();

    /// <summary>Key Vault names: 1–127 characters of letters, digits and dashes; compared case-insensitively.</summary>
    public static bool IsValidName(string? name) =>
        !string.IsNullOrEmpty(name) && name.Length <= Limits.VaultItemNameLengthMax
        && name.All(c => c is >= 'a' and <= 'z' or >= 'A' and <= 'Z' or >= '0' and <= '9' or '-');

    private static void RequireName(string name, string what)
    {
        if (!IsValidName(name))
        {
            throw new KeyVaultException(KeyVaultErrorCode.BadParameter, $"The request URI contains an invalid {what} name. A name is 1 to 127 characters of letters, digits and dashes.");
        }
    }

    private static void ValidateAttributes(ItemChanges changes)
    {
        if (changes.ContentType is { Length: > Limits.VaultContentTypeLengthMax })
        {
            throw new KeyVaultException(KeyVaultErrorCode.BadParameter, $"The content type is at most {Limits.VaultContentTypeLengthMax} characters.");
        }

        if (changes.Tags is { } tags)
        {
            if (tags.Count > Limits.VaultTagsMax)
            {
                throw new KeyVaultException(KeyVaultErrorCode.BadParameter, $"At most {Limits.VaultTagsMax} tags are allowed.");
            }

            foreach (var (tagName, tagValue) in tags)
            {
                if (string.IsNullOrEmpty(tagName) || tagName.Length > Limits.VaultTagNameLengthMax || (tagValue?.Length ?? 0) > Limits.VaultTagValueLengthMax)
                {
                    throw new KeyVaultException(KeyVaultErrorCode.BadParameter, "A tag name is 1 to 512 characters and a tag value at most 512.");
                }
            }
        }

        if (changes is { NotBefore: { } notBefore, Expires: { } expires } && expires < notBefore)
        {
            throw new KeyVaultException(KeyVaultErrorCode.BadParameter, "The expiry time must not be before the activation (nbf) time.");
        }
    }

    private static int PageSize(int? maxResults) => maxResults switch
    {
        null => Limits.VaultListResultsMax,
        < 1 or > Limits.VaultListResultsMax => throw new KeyVaultException(KeyVaultErrorCode.BadParameter, $"maxresults must be between 1 and {Limits.VaultListResultsMax}."),
        { } value => value,
    };

    internal static string Fold(string name) => name.ToLowerInvariant();

    private static string? NormalizeVersion(string? version) => string.IsNullOrEmpty(version) ? null : version.ToLowerInvariant();

    private string NewVersionId() => random.NewOpaqueId();

    private static string Capitalized(VaultItemKind kind) => kind == VaultItemKind.Secret ? "Secret" : "Key";

    private static KeyVaultException NotFound(VaultItemKind kind, string name, string? version)
    {
        var id = string.IsNullOrEmpty(version) ? name : $"{name}/{version}";
        return kind == VaultItemKind.Secret
            ? new KeyVaultException(KeyVaultErrorCode.SecretNotFound, $"A secret with (name/id) {id} was not found in this key vault. If you recently deleted this secret you may be able to recover it using the correct recovery command.")
            : new KeyVaultException(KeyVaultErrorCode.KeyNotFound, $"A key with (name/id) {id} was not found in this key vault. If you recently deleted this key you may be able to recover it using the correct recovery command.");
    }

    private static KeyVaultException DeletedNotFound(VaultItemKind kind, string name) => kind == VaultItemKind.Secret
        ? new KeyVaultException(KeyVaultErrorCode.DeletedSecretNotFound, $"Deleted Secret not found: {name}")
        : new KeyVaultException(KeyVaultErrorCode.DeletedKeyNotFound, $"Deleted Key not found: {name}");
}
