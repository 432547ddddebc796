using Strongroom.Core;

namespace Strongroom.Storage;

/// <summary>What a tenant's vault holds: secrets and keys.</summary>
public enum VaultItemKind
{
    Secret = 1,
    Key = 2,
}

public static class VaultItemKinds
{
    /// <summary>
    /// The kind's tag in a wrapped value's binding (<c>TenantKeys.WrapVaultItem</c>): part of the
    /// stored format, never to change.
    /// </summary>
    public static string Tag(this VaultItemKind kind) => kind == VaultItemKind.Secret ? "secret" : "key";
}

/// <summary>
/// A vault item (one name) and its soft-delete state. <see cref="Name"/> is the case-folded key
/// (Key Vault names are case-insensitive); <see cref="DisplayName"/> is the name as first set.
/// </summary>
public sealed record VaultItemState(string Account, VaultItemKind Kind, string Name, string DisplayName, DateTimeOffset? DeletedOn, DateTimeOffset? ScheduledPurgeOn)
{
    public bool IsDeleted => DeletedOn is not null;
}

/// <summary>
/// One version of a vault item. <see cref="WrappedValue"/> is the secret value or the private
/// (or symmetric) key material, wrapped by the platform keyring: the store never sees it in the
/// clear. <see cref="KeyDescription"/> is a key's public part and parameters (JSON; null for a secret).
/// </summary>
public sealed record VaultItemVersion(
    string Version,
    long Sequence,
    DateTimeOffset CreatedOn,
    DateTimeOffset UpdatedOn,
    bool Enabled,
    DateTimeOffset? NotBefore,
    DateTimeOffset? Expires,
    string? ContentType,
    IReadOnlyList<KeyValuePair<string, string>> Tags,
    string? KeyDescription,
    byte[] WrappedValue);

/// <summary>Where one stored vault item value lives: account, kind, (case-folded) name and version.</summary>
public sealed record VaultItemValueKey(string Account, VaultItemKind Kind, string Name, string Version);

/// <summary>One version's wrapped value, for rewrapping after a keyring rotation.</summary>
public sealed record VaultItemValue(VaultItemValueKey Key, byte[] WrappedValue);

/// <summary>One page of vault item values; <see cref="ContinueAfter"/> is the last one scanned, or null at the end.</summary>
public sealed record VaultItemValuePage(IReadOnlyList<VaultItemValue> Values, VaultItemValueKey? ContinueAfter);

/// <summary>
/// A compare-and-swap of one version's wrapped value: replaced only if the stored bytes are still
/// exactly <see cref="Expected"/>, so a version purged (or an item purged and set anew) meanwhile is
/// left alone, never resurrected.
/// </summary>
public sealed record VaultItemValueReplacement(VaultItemValueKey Key, byte[] Expected, byte[] Replacement);

/// <summary>A tenant's vault settings: soft-delete retention and purge protection.</summary>
public sealed record VaultSettings(int RetentionDays, bool PurgeProtection)
{
    public static readonly VaultSettings Default = new(Limits.SoftDeleteRetentionDaysMax, PurgeProtection: false);
}

/// <summary>
/// Persistence of the Key Vault API's items. Same contract style as <see cref="IMetadataStore"/>:
/// every method is atomic; a <c>precondition</c> runs inside the transaction with the current
/// state (null when the name is unknown) and throws to abort, and then nothing changes.
/// Names passed in are already case-folded by the service.
/// </summary>
public interface IKeyVaultStore
{
    Task<VaultSettings> GetVaultSettingsAsync(string account, CancellationToken cancellationToken = default);

    Task SetVaultSettingsAsync(string account, VaultSettings settings, AuditAppend? audit = null, CancellationToken cancellationToken = default);

    /// <summary>
    /// Adds a version (the latest) to the item, creating the item when absent. The precondition
    /// returns true to purge an existing (deleted, past its purge date) item first.
    /// The stored sequence is assigned here; the returned version carries it.
    /// </summary>
    Task<VaultItemVersion> AddVaultItemVersionAsync(string account, VaultItemKind kind, string name, string displayName, VaultItemVersion version, Func<VaultItemState?, bool> precondition, AuditAppend? audit = null, CancellationToken cancellationToken = default);

    /// <summary>The item and one of its versions (the latest when <paramref name="version"/> is null); null when either is absent.</summary>
    Task<(VaultItemState Item, VaultItemVersion Version)?> GetVaultItemAsync(string account, VaultItemKind kind, string name, string? version, CancellationToken cancellationToken = default);

    /// <summary>Items by name after <paramref name="afterName"/>, with their latest version: live ones, or deleted ones not yet due for purge at <paramref name="now"/>.</summary>
    Task<IReadOnlyList<(VaultItemState Item, VaultItemVersion Latest)>> ListVaultItemsAsync(string account, VaultItemKind kind, bool deleted, DateTimeOffset now, string? afterName, int limit, CancellationToken cancellationToken = default);

    /// <summary>The versions of a live item in creation order, after sequence <paramref name="afterSequence"/>.</summary>
    Task<IReadOnlyList<VaultItemVersion>> ListVaultItemVersionsAsync(string account, VaultItemKind kind, string name, long afterSequence, int limit, CancellationToken cancellationToken = default);

    /// <summary>Replaces the attributes of one version (the value never changes); null when the item or version is gone (and then <paramref name="audit"/> is not appended).</summary>
    Task<VaultItemVersion?> UpdateVaultItemVersionAsync(string account, VaultItemKind kind, string name, string version, Func<VaultItemState, VaultItemVersion, VaultItemVersion> update, AuditAppend? audit = null, CancellationToken cancellationToken = default);

    /// <summary>Marks the item deleted (soft delete) with its purge date.</summary>
    Task<VaultItemState> MarkVaultItemDeletedAsync(string account, VaultItemKind kind, string name, DateTimeOffset deletedOn, DateTimeOffset scheduledPurgeOn, Action<VaultItemState?> precondition, AuditAppend? audit = null, CancellationToken cancellationToken = default);

    /// <summary>Clears the deleted mark.</summary>
    Task<VaultItemState> RecoverVaultItemAsync(string account, VaultItemKind kind, string name, Action<VaultItemState?> precondition, AuditAppend? audit = null, CancellationToken cancellationToken = default);

    /// <summary>Removes the item and every version for good (with SQLite's secure_delete the rows are overwritten).</summary>
    Task PurgeVaultItemAsync(string account, VaultItemKind kind, string name, Action<VaultItemState?> precondition, AuditAppend? audit = null, CancellationToken cancellationToken = default);

    /// <summary>
    /// Every stored version's wrapped value, of every account and kind, live or deleted (a deleted
    /// item stays recoverable until purged), in (account, kind, name, version) order after
    /// <paramref name="after"/> (null: from the start), at most <paramref name="limit"/>.
    /// </summary>
    Task<VaultItemValuePage> ListVaultItemValuesAsync(VaultItemValueKey? after, int limit, CancellationToken cancellationToken = default);

    /// <summary>
    /// Applies each compare-and-swap in one transaction (at most <see cref="Limits.RewrapBatchMax"/>);
    /// a replacement whose stored bytes differ from its expected bytes, or whose version is gone,
    /// is skipped. Only the wrapped value changes, never an attribute. Returns how many were applied.
    /// </summary>
    Task<int> ReplaceVaultItemValuesAsync(IReadOnlyList<VaultItemValueReplacement> replacements, CancellationToken cancellationToken = default);
}
