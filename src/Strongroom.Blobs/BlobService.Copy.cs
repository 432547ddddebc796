using Strongroom.Core;
using Strongroom.Storage;

namespace Strongroom.Blobs;

/// <summary>
/// Copies and tiers (issue 8, copy): Abort Copy Blob, the source conditions of copies and from-URL
/// operations, Put Blob From URL, Put Block From URL, and Set Blob Tier.
///
/// Copies are synchronous here, so a copy is complete when its request returns: Abort Copy Blob
/// never finds a pending copy. Put Blob From URL and Put Block From URL decrypt the source as it
/// streams into the normal write pipeline (Put Blob, Put Block) under a fresh data key bound to
/// the destination; nothing of the source's ciphertext is reused.
///
/// Tiers are labels: every tier is stored, encrypted, replicated and served alike, with one
/// exception kept for Azure's semantics: a blob in the Archive tier cannot be read or copied from
/// (409 BlobArchived) until Set Blob Tier moves it to an online tier, which takes effect at once
/// (there is no rehydration delay: the data never left).
/// </summary>
public sealed partial class BlobService
{
    private IBlobTierStore TierStore => (IBlobTierStore)store;

    /// <summary>
    /// Set Blob Tier of the current blob, a version or a snapshot. Only block blobs take a tier
    /// (InvalidBlobTier otherwise). Returns the tier the blob had (null: never set, inferred Hot).
    /// <paramref name="conditions"/>: x-ms-lease-id (optional: an id sent must name the current
    /// blob's active lease; a tier is not content, so a leased blob's tier may change without it)
    /// and x-ms-if-tags, both checked inside the commit.
    /// </summary>
    public async Task<AccessTier?> SetBlobTierAsync(string account, string container, string blob, BlobSelector selector, AccessTier tier, AccessConditions conditions, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(selector);
        ArgumentNullException.ThrowIfNull(conditions);
        RequireContainerName(container);
        RequireBlobName(blob);
        var accountRecord = await RequireAccountAsync(account, cancellationToken).ConfigureAwait(false);
        var details = new List<KeyValuePair<string, string>>(2) { new("tier", AccessTiers.Name(tier)) };
        (BlobInstanceKind? kind, string? instanceId) = (null, null);
        if (selector.VersionId is { } versionId)
        {
            (kind, instanceId) = (BlobInstanceKind.Version, versionId);
            details.Add(new("versionId", versionId));
        }
        else if (selector.Snapshot is { } snapshot)
        {
            (kind, instanceId) = (BlobInstanceKind.Snapshot, snapshot);
            details.Add(new("snapshot", snapshot));
        }

        var entry = WriteEntry(account, accountRecord.AuditDataPlane, BlobOperation.SetBlobTier, container, blob, details);
        return await TierStore.SetBlobAccessTierAsync(
            account,
            container,
            blob,
            kind,
            instanceId,
            tier,
            time.GetUtcNow(),
            current =>
            {
                CheckBlobLease(conditions.LeaseId, kind is null ? current : null, required: false);
                Conditions.CheckTags(conditions, current.Tags);
                if (current.BlobType != BlobType.BlockBlob)
                {
                    throw new StorageException(ErrorCode.InvalidBlobTier, "Only block blobs take an access tier on this account.");
                }
            },
            entry,
            cancellationToken).ConfigureAwait(false);
    }

    /// <summary>A blob in the Archive tier is offline until Set Blob Tier moves it (409 BlobArchived).</summary>
    private static void RequireOnline(BlobRecord blob)
    {
        if (blob.AccessTier == AccessTier.Archive)
        {
            throw new StorageException(ErrorCode.BlobArchived);
        }
    }

    /// <summary>
    /// x-ms-source-if-* (x-ms-source-if-tags included): evaluated as a write's conditions against
    /// the source; any failure is 412 SourceConditionNotMet. x-ms-source-lease-id, when sent, must
    /// name the active lease of the source (the current blob; a version or snapshot has none):
    /// 412 LeaseNotPresentWithBlobOperation or LeaseIdMismatchWithBlobOperation, as for a read.
    /// </summary>
    private void CheckSourceConditions(AccessConditions conditions, BlobRecord source, bool sourceIsCurrent)
    {
        CheckBlobLease(conditions.LeaseId, sourceIsCurrent ? source : null, required: false);
        try
        {
            Conditions.CheckWrite(conditions, source.ETag, source.LastModified, tags: source.Tags);
        }
        catch (StorageException failed) when (failed.Code == ErrorCode.ConditionNotMet)
        {
            throw new StorageException(ErrorCode.SourceConditionNotMet);
        }
    }

    private static List<KeyValuePair<string, string>> WithSourceDetails(List<KeyValuePair<string, string>> details, IReadOnlyList<KeyValuePair<string, string>> source)
    {
        details.AddRange(source);
        return details;
    }

    /// <summary>
    /// Abort Copy Blob. Nothing is ever pending here (copies complete inside their request): the
    /// blob's own last copy is 409 NoPendingCopyOperation, any other copy id 409 CopyIdMismatch, a
    /// blob that was never copied 409 NoPendingCopyOperation. Nothing changes, so nothing is recorded
    /// but the failure.
    /// </summary>
    public async Task AbortCopyBlobAsync(string account, string container, string blob, string copyId, CancellationToken cancellationToken = default)
    {
        RequireContainerName(container);
        RequireBlobName(blob);
        await RequireContainerAsync(account, container, cancellationToken).ConfigureAwait(false);
        var current = await store.GetBlobAsync(account, container, blob, cancellationToken).ConfigureAwait(false)
            ?? throw new StorageException(ErrorCode.BlobNotFound);
        if (current.Copy is { } copy && !string.Equals(copy.CopyId, copyId, StringComparison.OrdinalIgnoreCase))
        {
            throw new StorageException(ErrorCode.CopyIdMismatch);
        }

        throw new StorageException(ErrorCode.NoPendingCopyOperation);
    }

    /// <summary>
    /// Put Blob From URL: the source (a blob, version or snapshot on this server the caller may
    /// read) is decrypted as it streams through Put Blob's pipeline. The destination takes the
    /// source's content headers unless <see cref="PutBlobFromUrlRequest.CopySourceProperties"/> is
    /// false (then the request's), and only the request's metadata (as Azure). Source conditions:
    /// 412 SourceConditionNotMet; x-ms-source-content-md5 / -crc64 are checked against the bytes
    /// copied (400 Md5Mismatch / Crc64Mismatch, nothing left behind).
    /// </summary>
    public async Task<BlobWriteResult> PutBlobFromUrlAsync(PutBlobFromUrlRequest request, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(request);
        var source = await OpenCopySourceAsync(request.Source, request.SourceConditions, cancellationToken).ConfigureAwait(false);
        var putRequest = new PutBlobRequest(
            request.Account,
            request.Container,
            request.Blob,
            request.CopySourceProperties ? source.Blob.Headers : request.Headers,
            request.Metadata,
            request.Conditions,
            request.SourceChecksums)
        {
            Encryption = request.Encryption,
            AccessTier = request.AccessTier,
            Operation = BlobOperation.PutBlobFromUrl,
            SourceDetails = SourceDetails(request.Source),
        };

        await using var content = new BlobRangeStream(source, CopyChunkBytes);
        return await PutBlobAsync(putRequest, content, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>
    /// Put Block From URL: a range of the source (all of it without one; a start past its end is
    /// 416 InvalidRange, an end past it is cut there, as reads do) is staged as a block through Put
    /// Block's pipeline. Source checksums as for Put Blob From URL.
    /// </summary>
    public async Task<BlockWriteResult> PutBlockFromUrlAsync(PutBlockFromUrlRequest request, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(request);
        RequireBlobName(request.Blob);
        RequireBlockId(request.BlockId, ErrorCode.InvalidBlockId);
        await RequireContainerAsync(request.Account, request.Container, cancellationToken).ConfigureAwait(false);
        var source = await OpenCopySourceAsync(request.Source, request.SourceConditions, cancellationToken).ConfigureAwait(false);
        var size = source.Blob.ContentLength;
        long offset = 0;
        var count = size;
        if (request.SourceRangeStart is { } start)
        {
            if (start >= size)
            {
                throw new StorageException(ErrorCode.InvalidRange);
            }

            var last = Math.Min(request.SourceRangeEnd ?? (size - 1), size - 1);
            (offset, count) = (start, last - start + 1);
        }

        if (count > Limits.BlockBytesMax)
        {
            throw new StorageException(ErrorCode.RequestBodyTooLarge);
        }

        var details = SourceDetails(request.Source);
        if (request.SourceRangeStart is not null)
        {
            details.Add(new("sourceRange", FormattableString.Invariant($"{offset}-{offset + count - 1}")));
        }

        var blockRequest = new PutBlockRequest(request.Account, request.Container, request.Blob, request.BlockId, request.SourceChecksums)
        {
            LeaseId = request.LeaseId,
            Encryption = request.Encryption,
            Operation = BlobOperation.PutBlockFromUrl,
            SourceDetails = details,
        };
        await using var content = new BlobRangeStream(source, offset, count, CopyChunkBytes);
        return await PutBlockAsync(blockRequest, content, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>The source of a from-URL operation, readable and meeting its conditions; a missing one is 404 CannotVerifyCopySource.</summary>
    internal Task<BlobReader> OpenCopySourceAsync(CopySource source, AccessConditions sourceConditions, CancellationToken cancellationToken) =>
        OpenCopySourceAsync(source.Account, source.Container, source.Blob, source.Selector, sourceConditions, cancellationToken);

    /// <summary>The source of a copy (a blob, version or snapshot), readable and meeting its conditions; a missing one is 404 CannotVerifyCopySource.</summary>
    private async Task<BlobReader> OpenCopySourceAsync(string account, string container, string blob, BlobSelector selector, AccessConditions sourceConditions, CancellationToken cancellationToken)
    {
        BlobReader reader;
        try
        {
            reader = await OpenBlobAsync(account, container, blob, AccessConditions.None, customerKey: null, ReadLocation.Primary, selector, cancellationToken).ConfigureAwait(false);
        }
        catch (StorageException missing) when (missing.Code is ErrorCode.BlobNotFound or ErrorCode.VersionNotFound or ErrorCode.ContainerNotFound or ErrorCode.InvalidResourceName or ErrorCode.AccountNotFound)
        {
            throw new StorageException(ErrorCode.CannotVerifyCopySource, "The copy source does not exist.", missing);
        }

        CheckSourceConditions(sourceConditions, reader.Blob, selector.IsCurrent);
        return reader;
    }

    private static List<KeyValuePair<string, string>> SourceDetails(CopySource source)
    {
        var details = new List<KeyValuePair<string, string>>(3) { new("source", Resource(source.Account, source.Container, source.Blob)) };
        if (source.Selector.VersionId is { } versionId)
        {
            details.Add(new("sourceVersionId", versionId));
        }

        if (source.Selector.Snapshot is { } snapshot)
        {
            details.Add(new("sourceSnapshot", snapshot));
        }

        return details;
    }

}

/// <summary>The source of a copy or from-URL operation: a blob (version, snapshot) of an account on this server, and its URL as given.</summary>
public sealed record CopySource(string Account, string Container, string Blob, BlobSelector Selector, string Url);

/// <summary>Put Blob From URL (issue 8).</summary>
public sealed record PutBlobFromUrlRequest(
    string Account,
    string Container,
    string Blob,
    CopySource Source,
    BlobHttpHeaders Headers,
    IReadOnlyList<KeyValuePair<string, string>> Metadata,
    AccessConditions Conditions)
{
    public BlobEncryptionOptions Encryption { get; init; } = BlobEncryptionOptions.None;

    /// <summary>x-ms-copy-source-blob-properties (default true): the destination takes the source's content headers, else <see cref="Headers"/>.</summary>
    public bool CopySourceProperties { get; init; } = true;

    public AccessConditions SourceConditions { get; init; } = AccessConditions.None;

    /// <summary>x-ms-source-content-md5 / x-ms-source-content-crc64: checked against the bytes copied.</summary>
    public TransactionalChecksums SourceChecksums { get; init; } = TransactionalChecksums.None;

    public AccessTier? AccessTier { get; init; }
}

/// <summary>Put Block From URL (issue 8): <see cref="SourceRangeStart"/>/<see cref="SourceRangeEnd"/> from x-ms-source-range (end inclusive; null: to the end).</summary>
public sealed record PutBlockFromUrlRequest(
    string Account,
    string Container,
    string Blob,
    string BlockId,
    CopySource Source)
{
    public BlobEncryptionOptions Encryption { get; init; } = BlobEncryptionOptions.None;

    public long? SourceRangeStart { get; init; }

    public long? SourceRangeEnd { get; init; }

    public AccessConditions SourceConditions { get; init; } = AccessConditions.None;

    public TransactionalChecksums SourceChecksums { get; init; } = TransactionalChecksums.None;

    /// <summary>x-ms-lease-id (normalised): required when the blob has an active lease, as for Put Block.</summary>
    public string? LeaseId { get; init; }
}
