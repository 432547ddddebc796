namespace Strongroom.Core;

// Metadata records. The store sees only names, sizes, ETags and wrapped (encrypted) key bytes:
// Architecture invariant: no plaintext key and no blob content ever reaches the metadata store.

public enum AccountState
{
    Enabled = 0,
    Disabled = 1,

    /// <summary>Closed by its owner: the data plane refuses it; it can be reopened until <see cref="AccountRecord.DestroyAfter"/>.</summary>
    Closed = 2,

    /// <summary>Its keys are destroyed (cryptographic erase): nothing of it is readable anywhere. The row
    /// stays, without keys, so the name stays taken and its certificates and log stay addressable.</summary>
    Destroyed = 3,
}

/// <summary>
/// A storage account (tenant). Both shared keys and the account key-encryption key are stored
/// only wrapped by the vault's keyring. <see cref="WrappedKeyEncryptionKey"/> is the account's
/// current (newest) key-encryption key, version <see cref="KeyEncryptionKeyVersion"/>; older
/// versions stay in the store (<see cref="AccountKeyEncryptionKey"/>) for the data keys they wrap.
/// <see cref="CipherSuite"/> is chosen at creation and never changes: every object of the account
/// is written (and its data key wrapped) with it.
/// </summary>
public sealed record AccountRecord(
    string Name,
    byte[] WrappedSharedKey1,
    byte[] WrappedSharedKey2,
    byte[] WrappedKeyEncryptionKey,
    DateTimeOffset CreatedOn,
    AccountState State,
    CipherSuite CipherSuite = CipherSuite.Aes256Gcm)
{
    public uint KeyEncryptionKeyVersion { get; init; } = AccountKeyEncryptionKey.FirstVersion;

    /// <summary>Which data-plane operations reach the account's transparency log.</summary>
    public DataPlaneLogging AuditDataPlane { get; init; } = DataPlaneLogging.Writes;

    /// <summary>How long the bodies of the account's log entries are kept (never below <see cref="Limits.AuditRetentionDaysMin"/>).</summary>
    public int AuditRetentionDays { get; init; } = Limits.AuditRetentionDaysDefault;

    /// <summary>Residency, regions and default redundancy; null only for accounts created before
    /// placement existed, which get the deployment's default policy.</summary>
    public PlacementPolicy? Placement { get; init; }

    /// <summary>Versioning and soft-delete retention (issue 7); off by default, as in Azure.</summary>
    public DataProtectionSettings DataProtection { get; init; } = DataProtectionSettings.Off;

    /// <summary>When the account was closed; null while it is open.</summary>
    public DateTimeOffset? ClosedOn { get; init; }

    /// <summary>When a closed account's grace period ends and its keys are destroyed; null while it is open.</summary>
    public DateTimeOffset? DestroyAfter { get; init; }
}

public sealed record ContainerRecord(
    string Account,
    string Name,
    string ETag,
    DateTimeOffset CreatedOn,
    DateTimeOffset LastModified,
    IReadOnlyList<KeyValuePair<string, string>> Metadata)
{
    /// <summary>The encryption scope a write without <c>x-ms-encryption-scope</c> uses; null is the account key.</summary>
    public string? DefaultEncryptionScope { get; init; }

    /// <summary>Writes may not name another scope than the default (fixed at creation, as in Azure).</summary>
    public bool DenyEncryptionScopeOverride { get; init; }

    /// <summary>The container's own redundancy inside the account's residency; null is the account's default.</summary>
    public Redundancy? Redundancy { get; init; }

    /// <summary>The container's legal-hold tags (Azure sets them through its management plane); null or empty: no hold.</summary>
    public IReadOnlyList<string>? LegalHoldTags { get; init; }

    public bool HasLegalHold => LegalHoldTags is { Count: > 0 };

    /// <summary>The container's lease as stored (issue 8, leases); its state at an instant is <see cref="Leases.View"/>. Null: never leased or released.</summary>
    public StoredLease? Lease { get; init; }
}

public enum BlobType
{
    BlockBlob = 0,
    PageBlob = 1,
    AppendBlob = 2,
}

/// <summary>The standard HTTP properties Azure keeps per blob (x-ms-blob-content-* on writes).</summary>
public sealed record BlobHttpHeaders(
    string? ContentType,
    string? ContentEncoding,
    string? ContentLanguage,
    string? ContentDisposition,
    string? CacheControl,
    byte[]? ContentMd5)
{
    public static readonly BlobHttpHeaders Empty = new(null, null, null, null, null, null);
}

public sealed record BlobRecord(
    string Account,
    string Container,
    string Name,
    BlobType BlobType,
    long ContentLength,
    string ETag,
    DateTimeOffset CreatedOn,
    DateTimeOffset LastModified,
    BlobHttpHeaders Headers,
    IReadOnlyList<KeyValuePair<string, string>> Metadata)
{
    /// <summary>The encryption scope every part of the blob is encrypted under; null is the account key.</summary>
    public string? EncryptionScope { get; init; }

    /// <summary>SHA-256 of the customer-provided key (the only trace of it the store keeps); null without one.</summary>
    public byte[]? CustomerKeySha256 { get; init; }

    /// <summary>The version id (<see cref="VersionIds"/>) when versioning was on at the write that made this version; null otherwise.</summary>
    public string? VersionId { get; init; }

    /// <summary>Azure's blob legal hold (x-ms-legal-hold): while set, this blob (version) cannot be deleted, overwritten or purged.</summary>
    public bool LegalHold { get; init; }

    /// <summary>The copy that made this blob (Copy Blob; always completed, copies are synchronous here); null when it was not copied.</summary>
    public BlobCopy? Copy { get; init; }

    /// <summary>The current blob's lease as stored (issue 8, leases; never on versions or snapshots); its state at an instant is <see cref="Leases.View"/>.</summary>
    public StoredLease? Lease { get; init; }

    /// <summary>The access tier set on the blob (Put Blob, Put Block List, Copy, Set Blob Tier); null: never set (Azure reports the account's default, Hot, as inferred). A label here: every tier is stored and served alike.</summary>
    public AccessTier? AccessTier { get; init; }

    /// <summary>When <see cref="AccessTier"/> last changed (x-ms-access-tier-change-time); null when never set.</summary>
    public DateTimeOffset? AccessTierChangedOn { get; init; }

    /// <summary>An append blob sealed by Seal Append Blob: read-only from then on (x-ms-blob-sealed).</summary>
    public bool IsSealed { get; init; }

    /// <summary>A page blob's sequence number (x-ms-blob-sequence-number, 0 to 2^63 - 1); 0 for other types.</summary>
    public long SequenceNumber { get; init; }

    /// <summary>Blob index tags (issue 8), sorted by key (<see cref="BlobTags"/>); empty when none. Set Blob Tags changes them without changing the ETag or Last-Modified.</summary>
    public IReadOnlyList<KeyValuePair<string, string>> Tags { get; init; } = BlobTags.None;
}

/// <summary>Azure's access tiers. Here they are labels: every tier is stored, encrypted, replicated and served alike.</summary>
public enum AccessTier
{
    Hot = 0,
    Cool = 1,
    Cold = 2,
    Archive = 3,
}

/// <summary>The wire names of <see cref="AccessTier"/> (Azure's spelling; parsing ignores case, as Azure does).</summary>
public static class AccessTiers
{
    public static string Name(AccessTier tier) => tier switch
    {
        AccessTier.Hot => "Hot",
        AccessTier.Cool => "Cool",
        AccessTier.Cold => "Cold",
        AccessTier.Archive => "Archive",
        _ => throw new ArgumentOutOfRangeException(nameof(tier)),
    };

    /// <summary>The tier named <paramref name="name"/>, or null for a name that is not one.</summary>
    public static AccessTier? TryParse(string? name) => name?.ToUpperInvariant() switch
    {
        "HOT" => AccessTier.Hot,
        "COOL" => AccessTier.Cool,
        "COLD" => AccessTier.Cold,
        "ARCHIVE" => AccessTier.Archive,
        _ => null,
    };

    /// <summary>A stored tier name; anything else is a broken invariant.</summary>
    public static AccessTier Parse(string name) =>
        TryParse(name) ?? throw new InvalidOperationException("A stored access tier is one this build knows.");
}

/// <summary>A completed copy: Azure's x-ms-copy-id, x-ms-copy-source and x-ms-copy-completion-time.</summary>
public sealed record BlobCopy(string CopyId, string Source, DateTimeOffset CompletedOn);

/// <summary>
/// One stored ciphertext object under an opaque id, with a copy on each of several sites (all
/// byte-identical). Its data key exists only wrapped by the account key-encryption key.
/// </summary>
public sealed record StoredObject(
    string ObjectId,
    IReadOnlyList<ObjectCopy> Copies,
    byte[] WrappedDataKey,
    long PlaintextLength)
{
    /// <summary>Bytes of ciphertext on every site (segment format); 0 for objects written before it was recorded.</summary>
    public long CiphertextLength { get; init; }

    /// <summary>CRC-64/NVME of the ciphertext, so a copy can be verified (scrub, repair) without any key; null for objects written before it was recorded.</summary>
    public ulong? CiphertextCrc64 { get; init; }

    /// <summary>When the object was written (the age of its owed copies: an account's last sync time).</summary>
    public DateTimeOffset CreatedOn { get; init; }

    public IEnumerable<string> PresentSiteIds => Copies.Where(copy => copy.State == CopyState.Present).Select(copy => copy.SiteId);

    /// <summary>The scope whose key-encryption key wraps <see cref="WrappedDataKey"/>; null is the account KEK.</summary>
    public string? EncryptionScope { get; init; }

    /// <summary>
    /// SHA-256 of the customer-provided key the data key is (also) wrapped under; null without one.
    /// </summary>
    public byte[]? CustomerKeySha256 { get; init; }
}

/// <summary>
/// One piece of a blob's content, in order. A blob written by Put Blob has one part with no
/// block id; a committed block list has one part per block, each its own stored object (so
/// committing never rewrites data).
/// </summary>
public sealed record BlobPart(int Ordinal, string? BlockId, StoredObject Object);

public sealed record UncommittedBlock(string BlockId, StoredObject Object, DateTimeOffset CreatedOn);

public sealed record ContainerPage(IReadOnlyList<ContainerRecord> Containers, string? NextName);

public sealed record BlobListQuery(
    string Account,
    string Container,
    string Prefix,
    string? StartAtInclusive,
    int Limit);
