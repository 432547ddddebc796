using System.Buffers;
using System.Security.Cryptography;
using Strongroom.Core;
using Strongroom.Crypto;
using Strongroom.Storage;

namespace Strongroom.Blobs;

/// <summary>
/// The write pipeline: request body → checksums → segment encryption → site (durable) →
/// metadata commit → acknowledgement. Nothing is visible before the metadata commit, and the
/// metadata commit happens only after the ciphertext is durable.
/// </summary>
public sealed partial class BlobService
{
    private const int CopyBufferBytes = 128 * 1024;

    public async Task<BlobWriteResult> PutBlobAsync(PutBlobRequest request, Stream body, CancellationToken cancellationToken = default)
    {
        RequireBlobName(request.Blob);
        Names.ValidateMetadata(request.Metadata);
        var account = await RequireAccountAsync(request.Account, cancellationToken).ConfigureAwait(false);
        var container = await RequireContainerAsync(request.Account, request.Container, cancellationToken).ConfigureAwait(false);
        using var writeKeys = await ResolveWriteKeysAsync(account, container, request.Encryption, cancellationToken).ConfigureAwait(false);

        // Fail fast on a condition or lease that already fails, before reading the body; both are
        // checked again atomically at commit.
        {
            var current = await store.GetBlobAsync(request.Account, request.Container, request.Blob, cancellationToken).ConfigureAwait(false);
            CheckBlobLease(request.Conditions.LeaseId, current);
            Conditions.CheckWrite(request.Conditions, current?.ETag, current?.LastModified ?? default, ErrorCode.BlobAlreadyExists, current?.Tags);
        }

        var written = await WriteObjectAsync(account, container, request.Blob, body, request.Checksums, Limits.PutBlobBytesMax, writeKeys, cancellationToken).ConfigureAwait(false);
        var committed = false;
        try
        {
            return await StampedAsync(async () =>
            {
                var (eTag, now, versionId) = eTags.NextWithVersionId();
                var headers = request.Headers.ContentMd5 is null ? request.Headers with { ContentMd5 = written.Md5 } : request.Headers;
                var record = new BlobRecord(request.Account, request.Container, request.Blob, BlobType.BlockBlob, written.Object.PlaintextLength, eTag, now, now, headers, request.Metadata)
                {
                    EncryptionScope = writeKeys.Scope,
                    CustomerKeySha256 = writeKeys.CustomerKeySha256,
                    VersionId = account.DataProtection.Versioning ? versionId : null,
                    Tags = request.Tags,
                    AccessTier = request.AccessTier,
                    AccessTierChangedOn = request.AccessTier is null ? null : now,
                };
                var entry = ContentWriteEntry(account.Name, account.AuditDataPlane, request.Operation, request.Container, request.Blob, WithSourceDetails(ContentDetails(written.Object.PlaintextLength, writeKeys.Scope), request.SourceDetails), [written.Object]);
                var removed = await ReplaceBlobAsync(account, record, written.Object, request.Conditions, versionId, entry, cancellationToken).ConfigureAwait(false);
                committed = true;
                await RemoveFromSitesAsync(removed).ConfigureAwait(false);
                return new BlobWriteResult(eTag, now, written.Md5, written.Crc64) { EncryptionScope = writeKeys.Scope, CustomerKeySha256 = writeKeys.CustomerKeySha256, VersionId = record.VersionId };
            }).ConfigureAwait(false);
        }
        finally
        {
            if (!committed)
            {
                await RemoveUnrecordedAsync(written.Object).ConfigureAwait(false);
            }
        }
    }

    public async Task<BlockWriteResult> PutBlockAsync(PutBlockRequest request, Stream body, CancellationToken cancellationToken = default)
    {
        RequireBlobName(request.Blob);
        RequireBlockId(request.BlockId, ErrorCode.InvalidBlockId);
        var account = await RequireAccountAsync(request.Account, cancellationToken).ConfigureAwait(false);
        var container = await RequireContainerAsync(request.Account, request.Container, cancellationToken).ConfigureAwait(false);
        using var writeKeys = await ResolveWriteKeysAsync(account, container, request.Encryption, cancellationToken).ConfigureAwait(false);

        RequireBlockBlobOrAbsent(await store.GetBlobAsync(request.Account, request.Container, request.Blob, cancellationToken).ConfigureAwait(false));

        // Azure requires every block id of a blob to have the same length.
        var staged = await store.GetUncommittedBlocksAsync(request.Account, request.Container, request.Blob, cancellationToken).ConfigureAwait(false);
        if (staged.Count > 0 && staged[0].BlockId.Length != request.BlockId.Length)
        {
            throw new StorageException(ErrorCode.InvalidBlobOrBlock, "The specified blob or block content is invalid.");
        }

        var written = await WriteObjectAsync(account, container, request.Blob, body, request.Checksums, Limits.BlockBytesMax, writeKeys, cancellationToken).ConfigureAwait(false);
        var recorded = false;
        try
        {
            var entry = ContentWriteEntry(account.Name, account.AuditDataPlane, request.Operation, request.Container, request.Blob, WithSourceDetails(ContentDetails(written.Object.PlaintextLength, writeKeys.Scope, request.BlockId), request.SourceDetails), [written.Object]);
            var replaced = await ((ILeaseStore)store).PutUncommittedBlockAsync(
                request.Account,
                request.Container,
                request.Blob,
                new UncommittedBlock(request.BlockId, written.Object, time.GetUtcNow()),
                current => CheckBlobLease(request.LeaseId, current),
                audit: entry,
                cancellationToken: cancellationToken).ConfigureAwait(false);
            recorded = true;
            await RemoveFromSitesAsync(replaced).ConfigureAwait(false);
            return new BlockWriteResult(written.Md5, written.Crc64) { EncryptionScope = writeKeys.Scope, CustomerKeySha256 = writeKeys.CustomerKeySha256 };
        }
        finally
        {
            if (!recorded)
            {
                await RemoveUnrecordedAsync(written.Object).ConfigureAwait(false);
            }
        }
    }

    /// <summary>
    /// Commits a block list. The blob's content becomes the listed blocks' existing objects in order:
    /// nothing is rewritten or re-encrypted.
    /// </summary>
    public async Task<BlobWriteResult> PutBlockListAsync(PutBlockListRequest request, CancellationToken cancellationToken = default)
    {
        RequireBlobName(request.Blob);
        Names.ValidateMetadata(request.Metadata);
        if (request.Blocks.Count > Limits.CommittedBlocksMax)
        {
            throw new StorageException(ErrorCode.BlockListTooLong);
        }

        foreach (var entry in request.Blocks)
        {
            RequireBlockId(entry.BlockId, ErrorCode.InvalidBlockList);
        }

        var account = await RequireAccountAsync(request.Account, cancellationToken).ConfigureAwait(false);
        var container = await RequireContainerAsync(request.Account, request.Container, cancellationToken).ConfigureAwait(false);

        // Resolving the keys checks the scope is usable (and a customer-managed key available),
        // though nothing is encrypted: a commit never rewrites data.
        string? scope;
        using (var writeKeys = await ResolveWriteKeysAsync(account, container, request.Encryption, cancellationToken).ConfigureAwait(false))
        {
            scope = writeKeys.Scope;
        }

        // Committed blocks are resolved against the blob as read; if another commit lands in
        // between, resolve again rather than fail a request that asked for no condition.
        for (var attempt = 1; ; attempt++)
        {
            try
            {
                return await StampedAsync(() => CommitBlockListOnceAsync(request, account, scope, cancellationToken)).ConfigureAwait(false);
            }
            catch (StaleBlockListException) when (attempt < Limits.CommitRetriesMax)
            {
            }
            catch (StaleBlockListException)
            {
                throw new StorageException(ErrorCode.ConditionNotMet, "The blob kept changing while its block list was being committed.");
            }
        }
    }

    private async Task<BlobWriteResult> CommitBlockListOnceAsync(PutBlockListRequest request, AccountRecord account, string? scope, CancellationToken cancellationToken)
    {
        var current = await store.GetBlobWithPartsAsync(request.Account, request.Container, request.Blob, cancellationToken).ConfigureAwait(false);
        var uncommitted = await store.GetUncommittedBlocksAsync(request.Account, request.Container, request.Blob, cancellationToken).ConfigureAwait(false);
        var committedById = new Dictionary<string, StoredObject>(StringComparer.Ordinal);
        foreach (var part in current?.Parts ?? [])
        {
            if (part.BlockId is not null)
            {
                committedById[part.BlockId] = part.Object;
            }
        }

        var uncommittedById = uncommitted.ToDictionary(block => block.BlockId, block => block.Object, StringComparer.Ordinal);
        var parts = new List<BlobPart>(request.Blocks.Count);
        long length = 0;
        foreach (var entry in request.Blocks)
        {
            StoredObject? found = entry.Kind switch
            {
                BlockListKind.Committed => committedById.GetValueOrDefault(entry.BlockId),
                BlockListKind.Uncommitted => uncommittedById.GetValueOrDefault(entry.BlockId),
                _ => uncommittedById.GetValueOrDefault(entry.BlockId) ?? committedById.GetValueOrDefault(entry.BlockId),
            };
            if (found is null)
            {
                throw new StorageException(ErrorCode.InvalidBlockList, "The specified block list is invalid.");
            }

            // Every block must have been written the way the blob is committed: with the same
            // customer-provided key (Azure's rules) and under the same scope.
            CheckCustomerKey(found.CustomerKeySha256, request.Encryption.CustomerKey);
            if (found.EncryptionScope != scope)
            {
                throw new StorageException(ErrorCode.BlobCustomerSpecifiedEncryptionMismatch, "A listed block was written under another encryption scope.");
            }

            parts.Add(new BlobPart(parts.Count, entry.BlockId, found));
            length += found.PlaintextLength;
        }

        var (eTag, now, versionId) = eTags.NextWithVersionId();
        var record = new BlobRecord(request.Account, request.Container, request.Blob, BlobType.BlockBlob, length, eTag, now, now, request.Headers, request.Metadata)
        {
            EncryptionScope = scope,
            CustomerKeySha256 = request.Encryption.CustomerKey?.KeySha256,
            VersionId = account.DataProtection.Versioning ? versionId : null,
            Tags = request.Tags,
            AccessTier = request.AccessTier,
            AccessTierChangedOn = request.AccessTier is null ? null : now,
        };
        var readETag = current?.Blob.ETag;

        // A commit writes no data and touches no site; its entry names where the blocks' copies are.
        var details = ContentDetails(length, scope);
        details.Add(Detail("blocks", parts.Count));
        var auditEntry = ContentWriteEntry(account.Name, account.AuditDataPlane, BlobOperation.PutBlockList, request.Container, request.Blob, details, parts.Select(part => part.Object));
        var removed = await store.CommitBlobAsync(
            record,
            parts,
            [],
            existing =>
            {
                if (existing?.ETag != readETag)
                {
                    throw new StaleBlockListException();
                }

                RequireBlockBlobOrAbsent(existing);
                CheckBlobLease(request.Conditions.LeaseId, existing);
                Conditions.CheckWrite(request.Conditions, existing?.ETag, existing?.LastModified ?? default, ErrorCode.BlobAlreadyExists, existing?.Tags);
            },
            ArchiveForWrite(account, contentWrite: true, now, versionId),
            audit: auditEntry,
            cancellationToken: cancellationToken).ConfigureAwait(false);
        await RemoveFromSitesAsync(removed).ConfigureAwait(false);
        return new BlobWriteResult(eTag, now, null, null) { EncryptionScope = scope, CustomerKeySha256 = record.CustomerKeySha256, VersionId = record.VersionId };
    }

    private sealed class StaleBlockListException : Exception;

    /// <summary>Get Block List; <paramref name="leaseId"/> (x-ms-lease-id, optional): when sent, it must name the blob's active lease.</summary>
    public async Task<BlockListResult> GetBlockListAsync(string account, string container, string blob, BlockListType type, string? leaseId = null, CancellationToken cancellationToken = default)
    {
        RequireBlobName(blob);
        await RequireContainerAsync(account, container, cancellationToken).ConfigureAwait(false);
        var current = await store.GetBlobWithPartsAsync(account, container, blob, cancellationToken).ConfigureAwait(false);
        RequireBlockBlobOrAbsent(current?.Blob);
        CheckBlobLease(leaseId, current?.Blob, required: false);
        var uncommitted = await store.GetUncommittedBlocksAsync(account, container, blob, cancellationToken).ConfigureAwait(false);
        if (current is null && uncommitted.Count == 0)
        {
            throw new StorageException(ErrorCode.BlobNotFound);
        }

        IReadOnlyList<BlockInfo> committed = type == BlockListType.Uncommitted || current is null
            ? []
            : current.Value.Parts.Where(part => part.BlockId is not null).Select(part => new BlockInfo(part.BlockId!, part.Object.PlaintextLength)).ToList();
        IReadOnlyList<BlockInfo> staged = type == BlockListType.Committed
            ? []
            : uncommitted.Select(block => new BlockInfo(block.BlockId, block.Object.PlaintextLength)).ToList();
        var setting = await DataPlaneLoggingAsync(account, cancellationToken).ConfigureAwait(false);
        await RecordReadAsync(account, setting, BlobOperation.GetBlockList, container, blob, cancellationToken).ConfigureAwait(false);
        return new BlockListResult(current?.Blob, committed, staged);
    }

    private sealed record WrittenObject(StoredObject Object, byte[] Md5, ulong? Crc64);

    /// <summary>
    /// Streams a body into a new encrypted object on the site under a fresh opaque id and data key.
    /// Checksums are verified before the object is published, so a mismatch leaves nothing behind.
    /// Memory is bounded by the copy buffer and the encryptor's segment buffers.
    /// </summary>
    private async Task<WrittenObject> WriteObjectAsync(AccountRecord account, ContainerRecord containerRecord, string blob, Stream body, TransactionalChecksums checksums, long maxBytes, WriteKeys writeKeys, CancellationToken cancellationToken)
    {
        var container = containerRecord.Name;
        var objectId = random.NewOpaqueId();
        var binding = ObjectBinding.Digest(account.CipherSuite, account.Name, container, blob, objectId);
        using var dataKey = writeKeys.NewDataKey(keys, binding);
        await using var write = await sites.BeginWriteAsync(placement.Resolve(account), placement.Effective(account, containerRecord), objectId, cancellationToken).ConfigureAwait(false);
        using var md5 = IncrementalHash.CreateHash(HashAlgorithmName.MD5);
        var crc64 = checksums.ContentCrc64 is null ? null : new Crc64Nvme();
        var buffer = ArrayPool<byte>.Shared.Rent(CopyBufferBytes);
        long total = 0;
        try
        {
            await using (var encryptor = new SegmentEncryptingStream(write.Content, account.CipherSuite, dataKey.Key.Span, binding, random))
            {
                int read;
                while ((read = await body.ReadAsync(buffer.AsMemory(0, CopyBufferBytes), cancellationToken).ConfigureAwait(false)) > 0)
                {
                    total += read;
                    if (total > maxBytes)
                    {
                        throw new StorageException(ErrorCode.RequestBodyTooLarge);
                    }

                    md5.AppendData(buffer, 0, read);
                    crc64?.Append(buffer.AsSpan(0, read));
                    await encryptor.WriteAsync(buffer.AsMemory(0, read), cancellationToken).ConfigureAwait(false);
                }

                await encryptor.CompleteAsync(cancellationToken).ConfigureAwait(false);
            }
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }

        var digest = md5.GetHashAndReset();
        if (checksums.ContentMd5 is { } expectedMd5 && !CryptographicOperations.FixedTimeEquals(expectedMd5, digest))
        {
            throw new StorageException(ErrorCode.Md5Mismatch);
        }

        ulong? crc = crc64?.GetCurrentValue();
        if (checksums.ContentCrc64 is { } expectedCrc && expectedCrc != crc)
        {
            throw new StorageException(ErrorCode.Crc64Mismatch);
        }

        var copies = await write.CommitAsync(cancellationToken).ConfigureAwait(false);
        var stored = new StoredObject(objectId, copies.Copies, dataKey.Wrapped, total)
        {
            CiphertextLength = copies.CiphertextLength,
            CiphertextCrc64 = copies.CiphertextCrc64,
            CreatedOn = time.GetUtcNow(),
        };
        return new WrittenObject(writeKeys.Stamp(stored), digest, crc);
    }

    private async Task<AccountRecord> RequireAccountAsync(string account, CancellationToken cancellationToken)
    {
        var record = await store.GetAccountAsync(account, cancellationToken).ConfigureAwait(false)
            ?? throw new StorageException(ErrorCode.AccountNotFound);
        if (record.State != AccountState.Enabled)
        {
            throw new StorageException(ErrorCode.AccountDisabled);
        }

        return record;
    }

    /// <summary>A block id is Base64 of at most 64 bytes (Azure).</summary>
    private static void RequireBlockId(string blockId, ErrorCode error)
    {
        Span<byte> decoded = stackalloc byte[Limits.BlockIdBytesMax + 3];
        if (blockId.Length == 0
            || !Convert.TryFromBase64String(blockId, decoded, out var bytes)
            || bytes == 0
            || bytes > Limits.BlockIdBytesMax)
        {
            throw new StorageException(error, "The specified block id is not valid.");
        }
    }
}
