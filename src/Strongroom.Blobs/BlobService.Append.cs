using Strongroom.Core;

namespace Strongroom.Blobs;

/// <summary>
/// Append blobs (issue 8): Put Blob with x-ms-blob-type AppendBlob creates an empty one; each
/// Append Block encrypts its body into a new stored object (its own data key) and commits it as
/// the blob's next part, so earlier data is never read, rewritten or re-encrypted. The store
/// checks the blob and adds the part in one transaction: appends are serialised, whole and in
/// order. Seal makes the blob read-only until it is re-created.
/// </summary>
public sealed partial class BlobService
{
    /// <summary>
    /// Put Blob of an append blob: an empty blob (no parts) with the request's properties, replacing
    /// whatever the name held (versions and soft-deleted snapshots as for any Put Blob).
    /// </summary>
    public async Task<BlobWriteResult> CreateAppendBlobAsync(PutBlobRequest request, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(request);
        RequireBlobName(request.Blob);
        Names.ValidateMetadata(request.Metadata);
        var account = await RequireAccountAsync(request.Account, cancellationToken).ConfigureAwait(false);
        var container = await RequireContainerAsync(request.Account, request.Container, cancellationToken).ConfigureAwait(false);

        // Nothing is encrypted yet, but the key is resolved as for any write: the scope must be
        // usable and allowed by the container, and every block appended later uses the same one.
        var (scope, customerKeySha256) = await ResolveWriteKeyIdentityAsync(account, container, request.Encryption, cancellationToken).ConfigureAwait(false);

        return await StampedAsync(async () =>
        {
            var (eTag, now, versionId) = eTags.NextWithVersionId();
            var record = new BlobRecord(request.Account, request.Container, request.Blob, BlobType.AppendBlob, 0, eTag, now, now, request.Headers, request.Metadata)
            {
                EncryptionScope = scope,
                CustomerKeySha256 = customerKeySha256,
                VersionId = account.DataProtection.Versioning ? versionId : null,
                Tags = request.Tags,
            };
            var details = ContentDetails(0, scope);
            details.Add(new("blobType", nameof(BlobType.AppendBlob)));
            var entry = WriteEntry(account.Name, account.AuditDataPlane, BlobOperation.PutBlob, request.Container, request.Blob, details);
            return await CommitEmptyBlobAsync(account, record, request.Conditions, versionId, entry, cancellationToken).ConfigureAwait(false);
        }).ConfigureAwait(false);
    }

    /// <summary>
    /// The commit of a whole new blob (Put Blob of any type, Copy Blob): <paramref name="content"/>
    /// (null: none) as its one part, in place of whatever the name held if its lease and conditions
    /// (x-ms-if-tags included) allow, archiving that as any content write does. Returns the objects
    /// no longer referenced.
    /// </summary>
    private Task<IReadOnlyList<StoredObject>> ReplaceBlobAsync(AccountRecord account, BlobRecord record, StoredObject? content, AccessConditions conditions, string versionId, AuditAppend? entry, CancellationToken cancellationToken) =>
        store.CommitBlobAsync(
            record,
            content is null ? [] : [new BlobPart(0, null, content)],
            content is null ? [] : [content],
            current =>
            {
                CheckBlobLease(conditions.LeaseId, current);
                Conditions.CheckWrite(conditions, current?.ETag, current?.LastModified ?? default, ErrorCode.BlobAlreadyExists, current?.Tags);
            },
            ArchiveForWrite(account, contentWrite: true, record.LastModified, versionId),
            audit: entry,
            cancellationToken: cancellationToken);

    /// <summary>
    /// Put Blob's commit of a blob created without content (an empty append blob, a page blob of
    /// zeros): in place of whatever the name held if its lease and conditions allow, archiving it
    /// as any content write does, with the write's transparency-log entry.
    /// </summary>
    private async Task<BlobWriteResult> CommitEmptyBlobAsync(AccountRecord account, BlobRecord record, AccessConditions conditions, string versionId, AuditAppend? entry, CancellationToken cancellationToken)
    {
        var removed = await ReplaceBlobAsync(account, record, content: null, conditions, versionId, entry, cancellationToken).ConfigureAwait(false);
        await RemoveFromSitesAsync(removed).ConfigureAwait(false);
        return new BlobWriteResult(record.ETag, record.LastModified, null, null) { EncryptionScope = record.EncryptionScope, CustomerKeySha256 = record.CustomerKeySha256, VersionId = record.VersionId };
    }

    /// <summary>
    /// Append Block: the body (at most <see cref="Limits.AppendBlockBytesMax"/> bytes, not empty)
    /// becomes a new encrypted object, then the blob's next block if the blob, its conditions and
    /// the append conditions still hold at commit; otherwise the object is removed and nothing changes.
    /// Append Block does not create a version (Azure versions Put Blob, Put Block List, Copy and
    /// Set Blob Metadata); the current version grows in place, and earlier versions and snapshots
    /// keep their own part lists.
    /// </summary>
    public async Task<AppendBlockResult> AppendBlockAsync(AppendBlockRequest request, Stream body, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(request);
        ArgumentNullException.ThrowIfNull(body);
        RequireBlobName(request.Blob);
        var (account, container, existing) = await RequireAppendTargetAsync(request.Account, request.Container, request.Blob, request.Conditions, request.AppendConditions, 0, cancellationToken).ConfigureAwait(false);
        using var writeKeys = await ResolveAppendKeysAsync(account, container, existing, request.Encryption, cancellationToken).ConfigureAwait(false);
        var written = await WriteObjectAsync(account, container, request.Blob, body, request.Checksums, Limits.AppendBlockBytesMax, writeKeys, cancellationToken).ConfigureAwait(false);
        return await CommitAppendAsync(account, request.Container, request.Blob, written, writeKeys, request.Conditions, request.AppendConditions, BlobOperation.AppendBlock, [], cancellationToken).ConfigureAwait(false);
    }

    /// <summary>
    /// Append Block From URL: a range of a blob of this server (the current blob, a version or a
    /// snapshot; in another account when the protocol authorized it by a SAS in the source URL,
    /// as for Put Block From URL) meeting <see cref="AppendBlockFromUrlRequest.SourceConditions"/>
    /// is decrypted a chunk at a time and appended as Append Block appends a body. The
    /// source range is at most <see cref="Limits.AppendBlockBytesMax"/> bytes and not empty;
    /// <see cref="AppendBlockFromUrlRequest.SourceChecksums"/> are checked against the bytes read.
    /// </summary>
    public async Task<AppendBlockResult> AppendBlockFromUrlAsync(AppendBlockFromUrlRequest request, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(request);
        RequireBlobName(request.Blob);
        var (account, container, existing) = await RequireAppendTargetAsync(request.Account, request.Container, request.Blob, request.Conditions, request.AppendConditions, 0, cancellationToken).ConfigureAwait(false);
        var source = await OpenCopySourceAsync(request.Source, request.SourceConditions, cancellationToken).ConfigureAwait(false);
        var size = source.Blob.ContentLength;
        var offset = request.SourceOffset ?? 0;
        if (offset < 0 || (offset >= size && (size > 0 || request.SourceOffset is not null)))
        {
            throw new StorageException(ErrorCode.InvalidRange);
        }

        var count = Math.Min(request.SourceCount ?? (size - offset), size - offset);
        if (count <= 0)
        {
            throw new StorageException(ErrorCode.EmptyAppendBlock);
        }

        if (count > Limits.AppendBlockBytesMax)
        {
            throw new StorageException(ErrorCode.RequestBodyTooLarge);
        }

        using var writeKeys = await ResolveAppendKeysAsync(account, container, existing, request.Encryption, cancellationToken).ConfigureAwait(false);
        WrittenObject written;
        await using (var content = new BlobRangeStream(source, offset, count, CopyChunkBytes))
        {
            written = await WriteObjectAsync(account, container, request.Blob, content, request.SourceChecksums, count, writeKeys, cancellationToken).ConfigureAwait(false);
        }

        var sourceDetails = SourceDetails(request.Source);
        sourceDetails.Add(Detail("sourceOffset", offset));

        return await CommitAppendAsync(account, request.Container, request.Blob, written, writeKeys, request.Conditions, request.AppendConditions, BlobOperation.AppendBlockFromUrl, sourceDetails, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Seal Append Blob: the blob becomes read-only (x-ms-blob-sealed) until it is re-created; sealing a sealed blob succeeds.</summary>
    public Task<BlobRecord> SealAppendBlobAsync(string account, string container, string blob, AccessConditions conditions, AppendConditions appendConditions, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(appendConditions);
        return UpdateBlobAsync(
            account,
            container,
            blob,
            conditions,
            BlobOperation.SealAppendBlob,
            current =>
            {
                RequireAppendBlob(current);
                if (appendConditions.AppendPosition is { } position && position != current.ContentLength)
                {
                    throw new StorageException(ErrorCode.AppendPositionConditionNotMet);
                }

                return current with { IsSealed = true };
            },
            cancellationToken);
    }

    /// <summary>
    /// The type a copy of <paramref name="source"/> gets: an append blob stays one (as in Azure; its
    /// content arrives as one block, unsealed), everything else is copied as a block blob.
    /// </summary>
    internal static BlobType CopiedBlobType(BlobRecord source) =>
        source.BlobType == BlobType.AppendBlob ? BlobType.AppendBlob : BlobType.BlockBlob;

    /// <summary>InvalidBlobType unless <paramref name="blob"/> is an append blob.</summary>
    internal static void RequireAppendBlob(BlobRecord blob)
    {
        if (blob.BlobType != BlobType.AppendBlob)
        {
            throw new StorageException(ErrorCode.InvalidBlobType);
        }
    }

    /// <summary>InvalidBlobType when the name holds a blob that is not a block blob (Put Block, Put Block List, Get Block List).</summary>
    internal static void RequireBlockBlobOrAbsent(BlobRecord? blob)
    {
        if (blob is not null && blob.BlobType != BlobType.BlockBlob)
        {
            throw new StorageException(ErrorCode.InvalidBlobType);
        }
    }

    /// <summary>
    /// Every check of an append, against the blob as it is now; the store runs it again inside the
    /// commit. Azure's order: the lease, the blob's conditions (x-ms-if-tags included), its type,
    /// the seal, then the append conditions.
    /// </summary>
    private void CheckAppend(BlobRecord current, int committedBlocks, AccessConditions conditions, AppendConditions appendConditions, long blockBytes)
    {
        CheckBlobLease(conditions.LeaseId, current);
        Conditions.CheckWrite(conditions, current.ETag, current.LastModified, tags: current.Tags);
        RequireAppendBlob(current);
        if (current.IsSealed)
        {
            throw new StorageException(ErrorCode.BlobIsSealed);
        }

        if (appendConditions.MaxSize is { } maxSize && current.ContentLength + blockBytes > maxSize)
        {
            throw new StorageException(ErrorCode.MaxBlobSizeConditionNotMet);
        }

        if (appendConditions.AppendPosition is { } position && position != current.ContentLength)
        {
            throw new StorageException(ErrorCode.AppendPositionConditionNotMet);
        }

        if (committedBlocks >= Limits.AppendBlocksMax)
        {
            throw new StorageException(ErrorCode.CommittedBlockCountExceedsLimit);
        }
    }

    /// <summary>Fails fast, before a body is read, on an append that already cannot succeed.</summary>
    private async Task<(AccountRecord Account, ContainerRecord Container, BlobRecord Blob)> RequireAppendTargetAsync(string accountName, string containerName, string blob, AccessConditions conditions, AppendConditions appendConditions, long blockBytes, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(conditions);
        ArgumentNullException.ThrowIfNull(appendConditions);
        var account = await RequireAccountAsync(accountName, cancellationToken).ConfigureAwait(false);
        var container = await RequireContainerAsync(accountName, containerName, cancellationToken).ConfigureAwait(false);
        var current = await store.GetBlobWithPartsAsync(accountName, containerName, blob, cancellationToken).ConfigureAwait(false)
            ?? throw new StorageException(ErrorCode.BlobNotFound);
        CheckAppend(current.Blob, current.Parts.Count, conditions, appendConditions, blockBytes);
        return (account, container, current.Blob);
    }

    /// <summary>
    /// An appended block is encrypted the way the blob was created: under its scope (a request may
    /// name that scope, no other) or with its customer-provided key, which the request must present.
    /// </summary>
    private async Task<WriteKeys> ResolveAppendKeysAsync(AccountRecord account, ContainerRecord container, BlobRecord blob, BlobEncryptionOptions requested, CancellationToken cancellationToken)
    {
        CheckCustomerKey(blob.CustomerKeySha256, requested.CustomerKey);
        if (requested.EncryptionScope is not null && EncryptionScopeNames.Normalize(requested.EncryptionScope) != blob.EncryptionScope)
        {
            throw new StorageException(ErrorCode.BlobCustomerSpecifiedEncryptionMismatch, "The blob was created under another encryption scope.");
        }

        var options = requested.CustomerKey is not null
            ? new BlobEncryptionOptions(null, requested.CustomerKey)
            : new BlobEncryptionOptions(blob.EncryptionScope ?? EncryptionScopeNames.AccountKey);
        return await ResolveWriteKeysAsync(account, container, options, cancellationToken).ConfigureAwait(false);
    }

    private async Task<AppendBlockResult> CommitAppendAsync(AccountRecord account, string container, string blob, WrittenObject written, WriteKeys writeKeys, AccessConditions conditions, AppendConditions appendConditions, BlobOperation operation, IReadOnlyList<KeyValuePair<string, string>> extraDetails, CancellationToken cancellationToken)
    {
        var committed = false;
        try
        {
            var block = written.Object;
            if (block.PlaintextLength == 0)
            {
                throw new StorageException(ErrorCode.EmptyAppendBlock);
            }

            var (eTag, now) = eTags.Next();
            var details = ContentDetails(block.PlaintextLength, writeKeys.Scope);
            details.AddRange(extraDetails);
            var entry = ContentWriteEntry(account.Name, account.AuditDataPlane, operation, container, blob, details, [block]);
            long appendOffset = 0;
            var appended = await store.AppendBlockAsync(
                account.Name,
                container,
                blob,
                block,
                (current, committedBlocks) =>
                {
                    CheckAppend(current, committedBlocks, conditions, appendConditions, block.PlaintextLength);

                    // The blob was re-created between the first check and this commit: the block was encrypted for the old one.
                    if (current.EncryptionScope != writeKeys.Scope || !SameKeyHash(current.CustomerKeySha256, writeKeys.CustomerKeySha256))
                    {
                        throw new StorageException(ErrorCode.BlobCustomerSpecifiedEncryptionMismatch, "The blob was re-created under another key while the block was written.");
                    }

                    appendOffset = current.ContentLength;
                    return current with { ContentLength = current.ContentLength + block.PlaintextLength, ETag = eTag, LastModified = now };
                },
                entry,
                cancellationToken).ConfigureAwait(false);
            committed = true;
            return new AppendBlockResult(appended.Blob.ETag, appended.Blob.LastModified, appendOffset, appended.CommittedBlockCount, written.Md5, written.Crc64)
            {
                EncryptionScope = writeKeys.Scope,
                CustomerKeySha256 = writeKeys.CustomerKeySha256,
            };
        }
        finally
        {
            if (!committed)
            {
                await RemoveUnrecordedAsync(written.Object).ConfigureAwait(false);
            }
        }
    }

    private static bool SameKeyHash(byte[]? left, byte[]? right) =>
        left is null ? right is null : right is not null && left.AsSpan().SequenceEqual(right);

}

/// <summary>Append Block's own conditions: x-ms-blob-condition-maxsize and x-ms-blob-condition-appendpos.</summary>
public sealed record AppendConditions(long? MaxSize = null, long? AppendPosition = null)
{
    public static readonly AppendConditions None = new();
}

public sealed record AppendBlockRequest(
    string Account,
    string Container,
    string Blob,
    AccessConditions Conditions,
    AppendConditions AppendConditions,
    TransactionalChecksums Checksums)
{
    public BlobEncryptionOptions Encryption { get; init; } = BlobEncryptionOptions.None;
}

/// <summary>Append Block From URL: the source (a blob of this server) and the range of it to append (null: all of it).</summary>
public sealed record AppendBlockFromUrlRequest(
    string Account,
    string Container,
    string Blob,
    CopySource Source,
    long? SourceOffset,
    long? SourceCount,
    TransactionalChecksums SourceChecksums,
    AccessConditions Conditions,
    AppendConditions AppendConditions)
{
    public BlobEncryptionOptions Encryption { get; init; } = BlobEncryptionOptions.None;

    /// <summary>x-ms-source-if-* (and x-ms-source-if-tags, x-ms-source-lease-id): checked against the source.</summary>
    public AccessConditions SourceConditions { get; init; } = AccessConditions.None;
}

/// <summary>An appended block: where it starts in the blob (x-ms-blob-append-offset), the blocks committed now, and the checksums of the bytes received.</summary>
public sealed record AppendBlockResult(
    string ETag,
    DateTimeOffset LastModified,
    long AppendOffset,
    int CommittedBlockCount,
    byte[] ContentMd5,
    ulong? ContentCrc64)
{
    public string? EncryptionScope { get; init; }

    public byte[]? CustomerKeySha256 { get; init; }
}
