using Strongroom.Core;

namespace Strongroom.Blobs;

/// <summary>
/// HTTP conditional headers, passed through unparsed except for dates. ETags are compared in
/// their quoted form (<c>"0x8DC…"</c>); <c>*</c> matches any existing resource.
/// </summary>
public sealed record AccessConditions(
    string? IfMatch = null,
    string? IfNoneMatch = null,
    DateTimeOffset? IfModifiedSince = null,
    DateTimeOffset? IfUnmodifiedSince = null)
{
    public static readonly AccessConditions None = new();

    /// <summary><c>x-ms-if-tags</c> (issue 8): the operation runs only when the blob's tags satisfy it, else 412 ConditionNotMet.</summary>
    public TagExpression? IfTags { get; init; }

    /// <summary>x-ms-lease-id, normalised (<see cref="Leases.NormalizeId"/>): the lease a write must name when the resource is leased, and that a read or write naming it requires (issue 8, leases).</summary>
    public string? LeaseId { get; init; }

    /// <summary>True when no HTTP condition is given (the lease id is not one: it is checked on its own).</summary>
    public bool IsEmpty => IfMatch is null && IfNoneMatch is null && IfModifiedSince is null && IfUnmodifiedSince is null && IfTags is null;
}

/// <summary>Transactional checksums sent with a body (Content-MD5, x-ms-content-crc64).</summary>
public sealed record TransactionalChecksums(byte[]? ContentMd5 = null, ulong? ContentCrc64 = null)
{
    public static readonly TransactionalChecksums None = new();
}

public sealed record PutBlobRequest(
    string Account,
    string Container,
    string Blob,
    BlobHttpHeaders Headers,
    IReadOnlyList<KeyValuePair<string, string>> Metadata,
    AccessConditions Conditions,
    TransactionalChecksums Checksums)
{
    public BlobEncryptionOptions Encryption { get; init; } = BlobEncryptionOptions.None;

    /// <summary><c>x-ms-tags</c>, validated (<see cref="BlobTags"/>); the new blob's tags.</summary>
    public IReadOnlyList<KeyValuePair<string, string>> Tags { get; init; } = BlobTags.None;
    /// <summary>x-ms-access-tier (issue 8); null: not set (inferred Hot).</summary>
    public AccessTier? AccessTier { get; init; }

    /// <summary>The operation the log records: Put Blob, or Put Blob From URL (issue 8) with <see cref="SourceDetails"/>.</summary>
    public BlobOperation Operation { get; init; } = BlobOperation.PutBlob;

    public IReadOnlyList<KeyValuePair<string, string>> SourceDetails { get; init; } = [];
}

/// <summary>The result of a write. <see cref="ContentMd5"/> and <see cref="ContentCrc64"/> are the
/// checksums of the bytes received in this request (Azure returns them transactionally).</summary>
public sealed record BlobWriteResult(
    string ETag,
    DateTimeOffset LastModified,
    byte[]? ContentMd5,
    ulong? ContentCrc64)
{
    /// <summary>The scope the write was encrypted under (null: the account key).</summary>
    public string? EncryptionScope { get; init; }

    public byte[]? CustomerKeySha256 { get; init; }

    /// <summary>The version the write created (versioning on), else null.</summary>
    public string? VersionId { get; init; }
}

public sealed record PutBlockRequest(
    string Account,
    string Container,
    string Blob,
    string BlockId,
    TransactionalChecksums Checksums)
{
    public BlobEncryptionOptions Encryption { get; init; } = BlobEncryptionOptions.None;

    /// <summary>x-ms-lease-id (normalised): required when the blob has an active lease (issue 8, leases).</summary>
    public string? LeaseId { get; init; }
    /// <summary>The operation the log records: Put Block, or Put Block From URL (issue 8) with <see cref="SourceDetails"/>.</summary>
    public BlobOperation Operation { get; init; } = BlobOperation.PutBlock;

    public IReadOnlyList<KeyValuePair<string, string>> SourceDetails { get; init; } = [];
}

public sealed record BlockWriteResult(byte[] ContentMd5, ulong? ContentCrc64)
{
    public string? EncryptionScope { get; init; }

    public byte[]? CustomerKeySha256 { get; init; }
}

/// <summary>Which list a Put Block List entry names: &lt;Committed&gt;, &lt;Uncommitted&gt; or &lt;Latest&gt;.</summary>
public enum BlockListKind
{
    Committed,
    Uncommitted,
    Latest,
}

public sealed record BlockListEntry(BlockListKind Kind, string BlockId);

public sealed record PutBlockListRequest(
    string Account,
    string Container,
    string Blob,
    IReadOnlyList<BlockListEntry> Blocks,
    BlobHttpHeaders Headers,
    IReadOnlyList<KeyValuePair<string, string>> Metadata,
    AccessConditions Conditions)
{
    public BlobEncryptionOptions Encryption { get; init; } = BlobEncryptionOptions.None;

    /// <summary><c>x-ms-tags</c>, validated (<see cref="BlobTags"/>); the committed blob's tags.</summary>
    public IReadOnlyList<KeyValuePair<string, string>> Tags { get; init; } = BlobTags.None;
    /// <summary>x-ms-access-tier (issue 8); null: not set (inferred Hot).</summary>
    public AccessTier? AccessTier { get; init; }
}

public enum BlockListType
{
    Committed,
    Uncommitted,
    All,
}

public sealed record BlockInfo(string BlockId, long Size);

/// <summary>Get Block List. <see cref="Blob"/> is null when the blob has only uncommitted blocks.</summary>
public sealed record BlockListResult(BlobRecord? Blob, IReadOnlyList<BlockInfo> Committed, IReadOnlyList<BlockInfo> Uncommitted);

/// <summary>One entry of a blob listing, in name order: either a blob or (hierarchical) a prefix.</summary>
public sealed record BlobListItem(BlobRecord? Blob, string? Prefix)
{
    /// <summary>The instance listed (a version, snapshot or soft-deleted blob); null for the current blob or a prefix.</summary>
    public BlobInstance? Instance { get; init; }
}

/// <summary>A page of a listing; <see cref="NextMarker"/> is opaque and null on the last page.</summary>
public sealed record BlobListing(IReadOnlyList<BlobListItem> Items, string? NextMarker);

public sealed record ContainerListing(IReadOnlyList<ContainerRecord> Containers, string? NextMarker)
{
    /// <summary>Soft-deleted containers of the page (List Containers <c>include=deleted</c>), in name then version order.</summary>
    public IReadOnlyList<DeletedContainer> Deleted { get; init; } = [];
}

/// <summary>An account's two shared keys (key1, key2), both valid for signing.</summary>
public sealed record SharedKeys(byte[] Key1, byte[] Key2)
{
    /// <summary>False for a closed account: a request signed with its keys is answered 403 AccountIsDisabled (issue 7).</summary>
    public bool AccountEnabled { get; init; } = true;
}

/// <summary>An account's details as operators see them. Keys are shown only when asked for.</summary>
public sealed record AccountDetails(string Name, AccountState State, DateTimeOffset CreatedOn, string Key1, string Key2, CipherSuite CipherSuite = CipherSuite.Aes256Gcm);
