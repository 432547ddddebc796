using System.Buffers;
using System.Security.Cryptography;
using Strongroom.Core;
using Strongroom.Placement;
using Strongroom.Storage;

namespace Strongroom.Blobs;

/// <summary>
/// Page blobs (issue 8). A page blob is stored as fixed-size chunks (<see cref="Limits.PageChunkBytes"/>),
/// each its own object under its own data key; a chunk never written has no object and reads as
/// zeros. A page write re-encrypts only the chunks it touches (read, merge, encrypt anew) and swaps
/// them by compare-and-swap in one transaction with its audit entry. The compare-and-swap is what
/// keeps concurrent writes to one chunk from losing each other, in one process or across servers
/// on one store: a writer whose swap loses reads the chunk again and re-runs its merge (the body it
/// read is kept for that, at most <see cref="Limits.PutPageBytesMax"/>). Writers in one process
/// also take the chunk's lock first, so they queue instead of racing. Clearing drops whole chunks (no encryption) and rewrites at most the two it cuts.
/// Snapshots share chunks: a write replaces the blob's part, never the object a snapshot holds.
/// </summary>
public sealed partial class BlobService
{
    private readonly SemaphoreSlim[] pageChunkLocks = [.. Enumerable.Range(0, Limits.PageChunkLockStripes).Select(_ => new SemaphoreSlim(1, 1))];

    private IPageBlobStore PageStore => store as IPageBlobStore
        ?? throw new InvalidOperationException("This metadata store does not keep page blobs.");

    /// <summary>True when <paramref name="parts"/> are whole page chunks in strictly increasing index order (a page blob's layout).</summary>
    internal static bool IsPageLayout(IReadOnlyList<BlobPart> parts)
    {
        for (var i = 0; i < parts.Count; i++)
        {
            if (parts[i].Object.PlaintextLength != Limits.PageChunkBytes || (i > 0 && parts[i].Ordinal <= parts[i - 1].Ordinal))
            {
                return false;
            }
        }

        return true;
    }

    /// <summary>Put Blob with x-ms-blob-type: PageBlob: a new, empty (all zeros) page blob of the given size, replacing any blob of the name.</summary>
    public async Task<BlobWriteResult> CreatePageBlobAsync(CreatePageBlobRequest request, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(request);
        RequireBlobName(request.Blob);
        Names.ValidateMetadata(request.Metadata);
        RequirePageBlobSize(request.Size);
        RequireSequenceNumber(request.SequenceNumber);
        var account = await RequireAccountAsync(request.Account, cancellationToken).ConfigureAwait(false);
        var container = await RequireContainerAsync(request.Account, request.Container, cancellationToken).ConfigureAwait(false);
        var (scope, customerKeySha256) = await ResolveWriteKeyIdentityAsync(account, container, request.Encryption, cancellationToken).ConfigureAwait(false);

        return await StampedAsync(async () =>
        {
            var (eTag, now, versionId) = eTags.NextWithVersionId();
            var record = new BlobRecord(request.Account, request.Container, request.Blob, BlobType.PageBlob, request.Size, eTag, now, now, request.Headers, request.Metadata)
            {
                EncryptionScope = scope,
                CustomerKeySha256 = customerKeySha256,
                VersionId = account.DataProtection.Versioning ? versionId : null,
                SequenceNumber = request.SequenceNumber,
                AccessTier = request.AccessTier,
                Tags = request.Tags,
                AccessTierChangedOn = request.AccessTier is null ? null : now,
            };
            var details = ContentDetails(request.Size, scope);
            details.Add(new("blobType", nameof(BlobType.PageBlob)));
            var entry = ContentWriteEntry(account.Name, account.AuditDataPlane, BlobOperation.PutBlob, request.Container, request.Blob, details, []);
            return await CommitEmptyBlobAsync(account, record, request.Conditions, versionId, entry, cancellationToken).ConfigureAwait(false);
        }).ConfigureAwait(false);
    }

    /// <summary>Put Page, x-ms-page-write: update. The body is exactly the range's bytes (at most 4 MiB).</summary>
    public Task<PageWriteResult> PutPagesAsync(PageWriteRequest request, Stream body, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(request);
        ArgumentNullException.ThrowIfNull(body);
        RequirePageRange(request.Offset, request.Length, Limits.PutPageBytesMax);
        return WritePagesAsync(request, body, BlobOperation.PutPage, null, cancellationToken);
    }

    /// <summary>Put Page, x-ms-page-write: clear. The range may be as long as the blob.</summary>
    public Task<PageWriteResult> ClearPagesAsync(PageWriteRequest request, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(request);
        RequirePageRange(request.Offset, request.Length, Limits.PageBlobBytesMax);
        return WritePagesAsync(request, body: null, BlobOperation.PutPage, null, cancellationToken);
    }

    /// <summary>
    /// Put Page From URL: the source range of a blob of this server (any type; a page blob's holes
    /// read as zeros; in another account when the protocol authorized it by a SAS in the source URL)
    /// meeting <paramref name="sourceConditions"/>, written as an update of the destination range.
    /// At most 4 MiB, so it is staged in one pooled buffer.
    /// </summary>
    public async Task<PageWriteResult> PutPagesFromUrlAsync(PageWriteRequest request, CopySource source, AccessConditions sourceConditions, long sourceOffset, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(request);
        ArgumentNullException.ThrowIfNull(source);
        ArgumentNullException.ThrowIfNull(sourceConditions);
        RequirePageRange(request.Offset, request.Length, Limits.PutPageBytesMax);
        var reader = await OpenCopySourceAsync(source, sourceConditions, cancellationToken).ConfigureAwait(false);
        if (sourceOffset < 0 || sourceOffset + request.Length > reader.Blob.ContentLength)
        {
            throw new StorageException(ErrorCode.InvalidRange, "The source range is beyond the source blob.");
        }

        var length = (int)request.Length;
        var buffer = ArrayPool<byte>.Shared.Rent(length);
        try
        {
            using (var staged = new MemoryStream(buffer, 0, length, writable: true))
            {
                await reader.CopyRangeToAsync(sourceOffset, length, staged, cancellationToken).ConfigureAwait(false);
            }

            using var body = new MemoryStream(buffer, 0, length, writable: false);
            var sourceDetails = SourceDetails(source);
            sourceDetails.Add(Detail("sourceOffset", sourceOffset));
            return await WritePagesAsync(request, body, BlobOperation.PutPageFromUrl, sourceDetails, cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            CryptographicOperations.ZeroMemory(buffer.AsSpan(0, length));
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    /// <summary>
    /// Set Blob Properties' page-blob part: a new size (x-ms-blob-content-length; shrinking drops the
    /// pages beyond it, growing adds zeros) and/or a sequence-number action. A shrink that cuts a
    /// chunk rewrites it with the cut pages zeroed, so a later grow reads zeros there.
    /// </summary>
    public async Task<PageWriteResult> SetPageBlobPropertiesAsync(PageBlobPropertiesRequest request, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(request);
        RequireBlobName(request.Blob);
        if (request.Size is { } size)
        {
            RequirePageBlobSize(size);
        }

        if (request.Action is SequenceNumberAction.Max or SequenceNumberAction.Update)
        {
            RequireSequenceNumber(request.SequenceNumber ?? throw new StorageException(ErrorCode.InvalidPageBlobProperty, "x-ms-blob-sequence-number is required by this action."));
        }

        var account = await RequireAccountAsync(request.Account, cancellationToken).ConfigureAwait(false);
        var container = await RequireContainerAsync(request.Account, request.Container, cancellationToken).ConfigureAwait(false);
        BlobRecord Update(BlobRecord current)
        {
            CheckBlobLease(request.Conditions.LeaseId, current);
            Conditions.CheckWrite(request.Conditions, current.ETag, current.LastModified, tags: current.Tags);
            RequirePageBlob(current);
            var updated = current with { ContentLength = request.Size ?? current.ContentLength };
            return request.Action switch
            {
                null => updated,
                SequenceNumberAction.Max => updated with { SequenceNumber = Math.Max(current.SequenceNumber, request.SequenceNumber!.Value) },
                SequenceNumberAction.Update => updated with { SequenceNumber = request.SequenceNumber!.Value },
                _ => updated with
                {
                    SequenceNumber = current.SequenceNumber == long.MaxValue
                        ? throw new StorageException(ErrorCode.SequenceNumberIncrementTooLarge)
                        : current.SequenceNumber + 1,
                },
            };
        }

        var details = new List<KeyValuePair<string, string>>();
        if (request.Size is { } newSize)
        {
            details.Add(Detail("length", newSize));
        }

        if (request.Action is { } action)
        {
            details.Add(new("sequenceNumberAction", action.ToString()));
        }

        // Everything from the new size on is cleared (nothing when growing): the pages past the end
        // must not come back as data when the blob grows again.
        var (blob, _, _) = await ChangePagesAsync(
            account,
            container,
            request.Blob,
            current => request.Size is { } cut && cut < current.ContentLength ? (cut, current.ContentLength - cut) : (0, 0),
            body: null,
            TransactionalChecksums.None,
            BlobEncryptionOptions.None,
            Update,
            BlobOperation.SetBlobProperties,
            details,
            cancellationToken).ConfigureAwait(false);
        return new PageWriteResult(blob.ETag, blob.LastModified, blob.SequenceNumber, null, null);
    }

    /// <summary>
    /// Get Page Ranges: the written pages of the blob (or of a snapshot or version) within the
    /// optional range, as merged ranges. With <paramref name="previousSnapshot"/>, the diff since
    /// that snapshot: pages written since (or differing) and pages cleared since.
    /// </summary>
    public async Task<PageRangesResult> GetPageRangesAsync(PageRangesRequest request, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(request);
        RequireContainerName(request.Container);
        RequireBlobName(request.Blob);
        var state = await ReadPageStateAsync(request.Account, request.Container, request.Blob, request.Selector, cancellationToken).ConfigureAwait(false);
        if (state is null)
        {
            await RequireContainerAsync(request.Account, request.Container, cancellationToken).ConfigureAwait(false);
            throw new StorageException(request.Selector.IsCurrent ? ErrorCode.BlobNotFound : ErrorCode.VersionNotFound);
        }

        RequirePageBlob(state.Blob);
        Conditions.CheckRead(request.Conditions, state.Blob.ETag, state.Blob.LastModified, state.Blob.Tags);
        var size = state.Blob.ContentLength;
        var from = request.RangeStart ?? 0;
        var to = request.RangeEnd is { } end ? Math.Min(end + 1, size) : size;
        if (request.RangeStart is { } start && start >= size && size > 0)
        {
            throw new StorageException(ErrorCode.InvalidPageRange, "The range starts beyond the blob.");
        }

        List<PageRange> written;
        List<PageRange> cleared = [];
        if (request.PreviousSnapshot is { } previous)
        {
            if (request.Selector.Snapshot is { } newer && string.CompareOrdinal(previous, newer) >= 0)
            {
                throw new StorageException(ErrorCode.PreviousSnapshotCannotBeNewer);
            }

            var before = await PageStore.GetPageBlobAsync(request.Account, request.Container, request.Blob, previous, cancellationToken).ConfigureAwait(false);
            if (before is not { Instance: { Kind: BlobInstanceKind.Snapshot, IsDeleted: false } } || before.Blob.BlobType != BlobType.PageBlob)
            {
                throw new StorageException(ErrorCode.PreviousSnapshotNotFound);
            }

            (written, cleared) = DiffPages(state.Chunks, before.Chunks, from, to);
        }
        else
        {
            written = WrittenPages(state.Chunks, from, to);
        }

        var setting = await DataPlaneLoggingAsync(request.Account, cancellationToken).ConfigureAwait(false);
        await RecordReadAsync(request.Account, setting, BlobOperation.GetPageRanges, request.Container, request.Blob, cancellationToken).ConfigureAwait(false);
        return new PageRangesResult(state.Blob, written, cleared);
    }

    private async Task<PageBlobState?> ReadPageStateAsync(string account, string container, string blob, BlobSelector selector, CancellationToken cancellationToken)
    {
        var current = await PageStore.GetPageBlobAsync(account, container, blob, null, cancellationToken).ConfigureAwait(false);
        if (selector.IsCurrent || (selector.VersionId is { } named && current?.Blob.VersionId == named))
        {
            return current;
        }

        // A version or snapshot that is not the current blob: an instance of that kind, not soft-deleted.
        var (kind, id) = selector.VersionId is { } versionId ? (BlobInstanceKind.Version, versionId) : (BlobInstanceKind.Snapshot, selector.Snapshot!);
        var kept = await PageStore.GetPageBlobAsync(account, container, blob, id, cancellationToken).ConfigureAwait(false);
        return kept is { Instance: { } instance } && instance.Kind == kind && !instance.IsDeleted ? kept : null;
    }

    private async Task<PageWriteResult> WritePagesAsync(PageWriteRequest request, Stream? body, BlobOperation operation, IReadOnlyList<KeyValuePair<string, string>>? sourceDetails, CancellationToken cancellationToken)
    {
        RequireBlobName(request.Blob);
        var account = await RequireAccountAsync(request.Account, cancellationToken).ConfigureAwait(false);
        var container = await RequireContainerAsync(request.Account, request.Container, cancellationToken).ConfigureAwait(false);
        var end = request.Offset + request.Length;
        BlobRecord Update(BlobRecord current)
        {
            CheckBlobLease(request.Conditions.LeaseId, current);
            Conditions.CheckWrite(request.Conditions, current.ETag, current.LastModified, tags: current.Tags);
            RequirePageBlob(current);
            request.SequenceConditions.Check(current.SequenceNumber);
            if (end > current.ContentLength)
            {
                throw new StorageException(ErrorCode.InvalidPageRange, "The range is beyond the blob's size.");
            }

            return current;
        }

        var details = new List<KeyValuePair<string, string>>
        {
            Detail("offset", request.Offset),
            Detail("length", request.Length),
            new("pageWrite", body is null ? "clear" : "update"),
        };
        details.AddRange(sourceDetails ?? []);
        using var replayable = body is null ? null : new ReplayableBody(body, (int)request.Length);
        var (blob, md5, crc) = await ChangePagesAsync(account, container, request.Blob, _ => (request.Offset, request.Length), replayable, request.Checksums, request.Encryption, Update, operation, details, cancellationToken).ConfigureAwait(false);
        return new PageWriteResult(blob.ETag, blob.LastModified, blob.SequenceNumber, md5, crc)
        {
            EncryptionScope = blob.EncryptionScope,
            CustomerKeySha256 = blob.CustomerKeySha256,
        };
    }

    /// <summary>
    /// The one page-changing path. <paramref name="range"/> says, from the blob as read, which bytes
    /// change: with a body they are written from it, without one they are cleared. The chunks touched
    /// are locked, read, merged and encrypted anew; whole chunks cleared are dropped; then one
    /// transaction swaps them (compare-and-swap) with the record <paramref name="update"/> returns
    /// (it checks the blob and is applied again inside the transaction) under a new ETag. A lost
    /// swap (another writer, in this process or another server, replaced a chunk since it was read)
    /// re-runs the whole read-merge-swap, up to <see cref="Limits.PageChunkSwapAttemptsMax"/> times.
    /// </summary>
    private async Task<(BlobRecord Blob, byte[]? Md5, ulong? Crc64)> ChangePagesAsync(
        AccountRecord account,
        ContainerRecord container,
        string blob,
        Func<BlobRecord, (long Offset, long Length)> range,
        ReplayableBody? body,
        TransactionalChecksums checksums,
        BlobEncryptionOptions encryption,
        Func<BlobRecord, BlobRecord> update,
        BlobOperation operation,
        IReadOnlyList<KeyValuePair<string, string>> details,
        CancellationToken cancellationToken)
    {
        for (var attempt = 1; ; attempt++)
        {
            // Which chunks to lock: a write knows from its range alone; a clear also needs every
            // chunk that exists inside its range, read first and confirmed once locked.
            var state = await PageStore.GetPageBlobAsync(account.Name, container.Name, blob, null, cancellationToken).ConfigureAwait(false)
                ?? throw new StorageException(ErrorCode.BlobNotFound);
            update(state.Blob);
            var (offset, length) = range(state.Blob);
            var locked = ChunksToLock(state, offset, length, body is not null);
            var stripes = await LockChunksAsync(account.Name, container.Name, blob, locked, cancellationToken).ConfigureAwait(false);
            try
            {
                state = await PageStore.GetPageBlobAsync(account.Name, container.Name, blob, null, cancellationToken).ConfigureAwait(false)
                    ?? throw new StorageException(ErrorCode.BlobNotFound);
                update(state.Blob);
                (offset, length) = range(state.Blob);
                var needed = ChunksToLock(state, offset, length, body is not null);
                if (!needed.IsSubsetOf(locked))
                {
                    // A chunk appeared in a cleared range since the first read: lock again.
                    continue;
                }

                using var reading = body?.Open();
                return await ChangeLockedPagesAsync(account, container, state, offset, length, reading, checksums, encryption, update, operation, details, cancellationToken).ConfigureAwait(false);
            }
            catch (PageChunkConflictException) when (attempt < Limits.PageChunkSwapAttemptsMax)
            {
                // A locked chunk moved: another server wrote it (its lock is not ours) or the blob
                // was replaced. Read it again and merge again; the body is replayed from what was read.
            }
            catch (PageChunkConflictException)
            {
                throw new StorageException(ErrorCode.PageWriteContended, "The page chunks kept changing while this write merged into them; retry.");
            }
            finally
            {
                foreach (var stripe in stripes)
                {
                    pageChunkLocks[stripe].Release();
                }
            }
        }
    }

    private async Task<(BlobRecord Blob, byte[]? Md5, ulong? Crc64)> ChangeLockedPagesAsync(
        AccountRecord account,
        ContainerRecord container,
        PageBlobState state,
        long offset,
        long length,
        Stream? body,
        TransactionalChecksums checksums,
        BlobEncryptionOptions encryption,
        Func<BlobRecord, BlobRecord> update,
        BlobOperation operation,
        IReadOnlyList<KeyValuePair<string, string>> details,
        CancellationToken cancellationToken)
    {
        var current = state.Blob;

        // Every chunk of a blob is encrypted as the blob was created: its scope or its customer's key.
        CheckCustomerKey(current.CustomerKeySha256, encryption.CustomerKey);
        if (encryption.EncryptionScope is { } named && EncryptionScopeNames.Normalize(named) != current.EncryptionScope)
        {
            throw new StorageException(ErrorCode.BlobCustomerSpecifiedEncryptionMismatch, "The page blob is encrypted under another encryption scope.");
        }

        var changes = new List<PageChunkChange>();
        var written = new List<StoredObject>();
        using var md5 = body is null ? null : IncrementalHash.CreateHash(HashAlgorithmName.MD5);
        var crc64 = body is not null && checksums.ContentCrc64 is not null ? new Crc64Nvme() : null;
        var committed = false;
        WriteKeys? writeKeys = null;
        var buffer = ArrayPool<byte>.Shared.Rent(Limits.PageChunkBytes);
        try
        {
            var chunks = state.Chunks.ToDictionary(chunk => chunk.Index);
            var reader = length == 0 ? null : PageChunkReader(account, current, encryption.CustomerKey);
            foreach (var index in ChunksToLock(state, offset, length, body is not null).Order())
            {
                var chunkStart = (long)index * Limits.PageChunkBytes;
                var from = (int)(Math.Max(offset, chunkStart) - chunkStart);
                var to = (int)(Math.Min(offset + length, chunkStart + Limits.PageChunkBytes) - chunkStart);
                var old = chunks.GetValueOrDefault(index);
                var whole = from == 0 && to == Limits.PageChunkBytes;
                if (body is null && (old is null || whole))
                {
                    // Clearing what was never written changes nothing; clearing a whole chunk drops it.
                    if (old is not null)
                    {
                        changes.Add(new PageChunkChange(index, old.Object.ObjectId, null, null));
                    }

                    continue;
                }

                var content = buffer.AsMemory(0, Limits.PageChunkBytes);
                if (old is not null && !whole)
                {
                    try
                    {
                        await reader!.ReadChunkAsync(old.Object, buffer, cancellationToken).ConfigureAwait(false);
                    }
                    catch (StorageException exception) when (exception.InnerException is BlobReader.ObjectGoneException)
                    {
                        // Gone from every copy: another server replaced this chunk and deleted the
                        // object after we looked it up. If the blob no longer names it, that is a
                        // lost compare-and-swap (read again, merge again); if it still does, the
                        // object is lost and the integrity failure stands.
                        if (await ChunkStillNamesAsync(account.Name, container.Name, current.Name, index, old.Object.ObjectId, cancellationToken).ConfigureAwait(false))
                        {
                            throw;
                        }

                        throw new PageChunkConflictException();
                    }
                }
                else
                {
                    content.Span.Clear();
                }

                var pages = old is null ? new byte[Limits.PageChunkBytes / Limits.PageBytes / 8] : (byte[])old.Pages.Clone();
                if (body is not null)
                {
                    await ReadPageBodyAsync(body, content[from..to], cancellationToken).ConfigureAwait(false);
                    md5!.AppendData(content.Span[from..to]);
                    crc64?.Append(content.Span[from..to]);
                    SetPages(pages, from, to, value: true);
                }
                else
                {
                    content.Span[from..to].Clear();
                    SetPages(pages, from, to, value: false);
                    if (pages.AsSpan().IndexOfAnyExcept((byte)0) < 0)
                    {
                        changes.Add(new PageChunkChange(index, old!.Object.ObjectId, null, null));
                        continue;
                    }
                }

                writeKeys ??= await ResolveWriteKeysAsync(account, container, new BlobEncryptionOptions(current.CustomerKeySha256 is null ? current.EncryptionScope : null, encryption.CustomerKey), cancellationToken).ConfigureAwait(false);
                using var source = new MemoryStream(buffer, 0, Limits.PageChunkBytes, writable: false);
                var chunk = await WriteObjectAsync(account, container, current.Name, source, TransactionalChecksums.None, Limits.PageChunkBytes, writeKeys, cancellationToken).ConfigureAwait(false);
                written.Add(chunk.Object);
                changes.Add(new PageChunkChange(index, old?.Object.ObjectId, chunk.Object, pages));
            }

            byte[]? digest = null;
            ulong? crc = null;
            if (body is not null)
            {
                // The body is exactly the range: one byte more is an error, not silently dropped.
                if (await body.ReadAsync(new byte[1], cancellationToken).ConfigureAwait(false) > 0)
                {
                    throw new StorageException(ErrorCode.InvalidPageRange, "The body is longer than the range.");
                }

                digest = md5!.GetHashAndReset();
                if (checksums.ContentMd5 is { } expectedMd5 && !CryptographicOperations.FixedTimeEquals(expectedMd5, digest))
                {
                    throw new StorageException(ErrorCode.Md5Mismatch);
                }

                crc = crc64?.GetCurrentValue();
                if (checksums.ContentCrc64 is { } expectedCrc && expectedCrc != crc)
                {
                    throw new StorageException(ErrorCode.Crc64Mismatch);
                }
            }

            var (eTag, now) = eTags.Next();
            var entryDetails = details.ToList();
            entryDetails.Add(Detail("chunksWritten", written.Count));
            var entry = ContentWriteEntry(account.Name, account.AuditDataPlane, operation, container.Name, current.Name, entryDetails, written);
            var (blob, removed) = await PageStore.WritePageChunksAsync(
                account.Name,
                container.Name,
                current.Name,
                changes,
                existing => update(existing) with { ETag = eTag, LastModified = now },
                entry,
                cancellationToken).ConfigureAwait(false);
            committed = true;
            Interlocked.Add(ref pageChunksEncrypted, written.Count);
            await RemoveFromSitesAsync(removed).ConfigureAwait(false);
            return (blob, digest, crc);
        }
        finally
        {
            CryptographicOperations.ZeroMemory(buffer.AsSpan(0, Limits.PageChunkBytes));
            ArrayPool<byte>.Shared.Return(buffer);
            writeKeys?.Dispose();
            if (!committed)
            {
                foreach (var stored in written)
                {
                    await RemoveUnrecordedAsync(stored).ConfigureAwait(false);
                }
            }
        }
    }

    private async Task<bool> ChunkStillNamesAsync(string account, string container, string blob, int index, string objectId, CancellationToken cancellationToken)
    {
        var state = await PageStore.GetPageBlobAsync(account, container, blob, null, cancellationToken).ConfigureAwait(false);
        return state is not null && state.Chunks.Any(chunk => chunk.Index == index && chunk.Object.ObjectId == objectId);
    }

    private long pageChunksEncrypted;

    /// <summary>How many page chunks this service has encrypted (each <see cref="Limits.PageChunkBytes"/> of plaintext); tests prove a page write re-encrypts only what it touches.</summary>
    public long PageChunksEncrypted => Interlocked.Read(ref pageChunksEncrypted);

    /// <summary>A reader of the blob's chunks for read-modify-write (no read is recorded: it serves a write).</summary>
    private BlobReader PageChunkReader(AccountRecord account, BlobRecord blob, CustomerProvidedKey? customerKey)
    {
        var policy = placement.Resolve(account);
        return new BlobReader(
            blob with { BlobType = BlobType.PageBlob },
            [],
            account.CipherSuite,
            stored => sites.ReadOrder(stored, policy, ReadLocation.Primary),
            (stored, siteId, reason) => ReportBadCopyAsync(account.Name, blob.Container, blob.Name, stored, siteId, reason),
            () => new ReadKeys(keys, store, account, customerKey, (scope, ct) => UnwrapScopeKeyForReadAsync(account.Name, scope, ct)));
    }

    /// <summary>The chunks a change of [offset, offset + length) touches: all of them for a write; for a clear, those that exist plus the (at most two) it cuts.</summary>
    private static HashSet<int> ChunksToLock(PageBlobState state, long offset, long length, bool write)
    {
        var set = new HashSet<int>();
        if (length == 0)
        {
            return set;
        }

        var first = (int)(offset / Limits.PageChunkBytes);
        var last = (int)((offset + length - 1) / Limits.PageChunkBytes);
        if (write)
        {
            for (var index = first; index <= last; index++)
            {
                set.Add(index);
            }

            return set;
        }

        foreach (var chunk in state.Chunks)
        {
            if (chunk.Index >= first && chunk.Index <= last)
            {
                set.Add(chunk.Index);
            }
        }

        return set;
    }

    /// <summary>Takes the lock stripes of the chunks in ascending stripe order (so two writers never wait on each other in a cycle) and returns them.</summary>
    private async Task<List<int>> LockChunksAsync(string account, string container, string blob, HashSet<int> chunks, CancellationToken cancellationToken)
    {
        var stripes = new SortedSet<int>();
        foreach (var index in chunks)
        {
            var hash = HashCode.Combine(StringComparer.Ordinal.GetHashCode(account), StringComparer.Ordinal.GetHashCode(container), StringComparer.Ordinal.GetHashCode(blob), index);
            stripes.Add((int)((uint)hash % Limits.PageChunkLockStripes));
        }

        var taken = new List<int>(stripes.Count);
        try
        {
            foreach (var stripe in stripes)
            {
                await pageChunkLocks[stripe].WaitAsync(cancellationToken).ConfigureAwait(false);
                taken.Add(stripe);
            }
        }
        catch
        {
            foreach (var stripe in taken)
            {
                pageChunkLocks[stripe].Release();
            }

            throw;
        }

        return taken;
    }

    private static async Task ReadPageBodyAsync(Stream body, Memory<byte> destination, CancellationToken cancellationToken)
    {
        var read = await body.ReadAtLeastAsync(destination, destination.Length, throwOnEndOfStream: false, cancellationToken).ConfigureAwait(false);
        if (read < destination.Length)
        {
            throw new StorageException(ErrorCode.InvalidPageRange, "The body is shorter than the range.");
        }
    }

    private static void SetPages(byte[] pages, int from, int to, bool value)
    {
        for (var page = from / Limits.PageBytes; page < to / Limits.PageBytes; page++)
        {
            if (value)
            {
                pages[page >> 3] |= (byte)(1 << (page & 7));
            }
            else
            {
                pages[page >> 3] &= (byte)~(1 << (page & 7));
            }
        }
    }

    private static bool PageSet(byte[] pages, int page) => page >> 3 < pages.Length && (pages[page >> 3] & (1 << (page & 7))) != 0;

    /// <summary>The written pages of the chunks within [from, to), merged into ranges.</summary>
    private static List<PageRange> WrittenPages(IReadOnlyList<PageChunk> chunks, long from, long to)
    {
        var ranges = new List<PageRange>();
        foreach (var chunk in chunks)
        {
            AddPages(ranges, chunk, from, to, page => PageSet(chunk.Pages, page));
        }

        return ranges;
    }

    /// <summary>
    /// The diff since a snapshot: a chunk whose object is the snapshot's is unchanged; in a chunk
    /// that differs, a page written now is reported as updated and a page written then but not now
    /// as cleared. (Within a changed chunk, a page rewritten with the same bytes is reported as
    /// updated: the chunk's pages are compared by what was written, not by content.)
    /// </summary>
    private static (List<PageRange> Written, List<PageRange> Cleared) DiffPages(IReadOnlyList<PageChunk> now, IReadOnlyList<PageChunk> before, long from, long to)
    {
        var previous = before.ToDictionary(chunk => chunk.Index);
        var current = now.ToDictionary(chunk => chunk.Index);
        var written = new List<PageRange>();
        var cleared = new List<PageRange>();
        foreach (var index in current.Keys.Union(previous.Keys).Order())
        {
            var chunk = current.GetValueOrDefault(index);
            var old = previous.GetValueOrDefault(index);
            if (chunk is not null && old is not null && chunk.Object.ObjectId == old.Object.ObjectId)
            {
                continue;
            }

            var anchor = chunk ?? old!;
            AddPages(written, anchor, from, to, page => chunk is not null && PageSet(chunk.Pages, page));
            AddPages(cleared, anchor, from, to, page => old is not null && PageSet(old.Pages, page) && (chunk is null || !PageSet(chunk.Pages, page)));
        }

        return (written, cleared);
    }

    private static void AddPages(List<PageRange> ranges, PageChunk chunk, long from, long to, Func<int, bool> included)
    {
        var chunkStart = (long)chunk.Index * Limits.PageChunkBytes;
        const int PagesPerChunk = Limits.PageChunkBytes / Limits.PageBytes;
        for (var page = 0; page < PagesPerChunk; page++)
        {
            var start = chunkStart + ((long)page * Limits.PageBytes);
            var end = start + Limits.PageBytes - 1;
            if (end < from || start >= to || !included(page))
            {
                continue;
            }

            start = Math.Max(start, from);
            end = Math.Min(end, to - 1);
            if (ranges.Count > 0 && ranges[^1].End + 1 == start)
            {
                ranges[^1] = ranges[^1] with { End = end };
            }
            else
            {
                ranges.Add(new PageRange(start, end));
            }
        }
    }

    private static void RequirePageBlob(BlobRecord blob)
    {
        if (blob.BlobType != BlobType.PageBlob)
        {
            throw new StorageException(ErrorCode.InvalidBlobType);
        }
    }

    private static void RequirePageRange(long offset, long length, long maxBytes)
    {
        if (offset < 0 || length <= 0 || offset % Limits.PageBytes != 0 || length % Limits.PageBytes != 0 || length > maxBytes)
        {
            throw new StorageException(ErrorCode.InvalidPageRange);
        }
    }

    private static void RequirePageBlobSize(long size)
    {
        if (size < 0 || size % Limits.PageBytes != 0 || size > Limits.PageBlobBytesMax)
        {
            throw new StorageException(ErrorCode.InvalidPageBlobProperty, "A page blob's size is a multiple of 512 bytes, at most 8 TiB.");
        }
    }

    private static void RequireSequenceNumber(long sequenceNumber)
    {
        if (sequenceNumber < 0)
        {
            throw new StorageException(ErrorCode.InvalidPageBlobProperty, "A sequence number is between 0 and 2^63 - 1.");
        }
    }
}

/// <summary>Put Blob of a page blob: its size (x-ms-blob-content-length) and starting sequence number.</summary>
public sealed record CreatePageBlobRequest(
    string Account,
    string Container,
    string Blob,
    long Size,
    long SequenceNumber,
    BlobHttpHeaders Headers,
    IReadOnlyList<KeyValuePair<string, string>> Metadata,
    AccessConditions Conditions)
{
    public BlobEncryptionOptions Encryption { get; init; } = BlobEncryptionOptions.None;

    public AccessTier? AccessTier { get; init; }

    /// <summary><c>x-ms-tags</c>, validated: the new blob's tags.</summary>
    public IReadOnlyList<KeyValuePair<string, string>> Tags { get; init; } = BlobTags.None;
}

/// <summary>x-ms-if-sequence-number-le, -lt and -eq (412 SequenceNumberConditionNotMet when one fails).</summary>
public sealed record SequenceNumberConditions(long? LessThanOrEqual = null, long? LessThan = null, long? EqualTo = null)
{
    public static readonly SequenceNumberConditions None = new();

    public void Check(long sequenceNumber)
    {
        if ((LessThanOrEqual is { } le && sequenceNumber > le)
            || (LessThan is { } lt && sequenceNumber >= lt)
            || (EqualTo is { } eq && sequenceNumber != eq))
        {
            throw new StorageException(ErrorCode.SequenceNumberConditionNotMet);
        }
    }
}

/// <summary>Put Page (update or clear) or Put Page From URL: the destination range [Offset, Offset + Length).</summary>
public sealed record PageWriteRequest(
    string Account,
    string Container,
    string Blob,
    long Offset,
    long Length,
    AccessConditions Conditions,
    SequenceNumberConditions SequenceConditions,
    TransactionalChecksums Checksums)
{
    public BlobEncryptionOptions Encryption { get; init; } = BlobEncryptionOptions.None;
}

/// <summary>The result of a page write: the blob's new ETag, time and sequence number, and the request body's checksums.</summary>
public sealed record PageWriteResult(string ETag, DateTimeOffset LastModified, long SequenceNumber, byte[]? ContentMd5, ulong? ContentCrc64)
{
    public string? EncryptionScope { get; init; }

    public byte[]? CustomerKeySha256 { get; init; }
}

/// <summary>x-ms-sequence-number-action.</summary>
public enum SequenceNumberAction
{
    Max,
    Update,
    Increment,
}

/// <summary>Set Blob Properties' page-blob headers: a new size and/or a sequence-number action.</summary>
public sealed record PageBlobPropertiesRequest(
    string Account,
    string Container,
    string Blob,
    long? Size,
    SequenceNumberAction? Action,
    long? SequenceNumber,
    AccessConditions Conditions);

/// <summary>Get Page Ranges: the blob or a snapshot/version, an optional byte range (inclusive end), and prevsnapshot for a diff.</summary>
public sealed record PageRangesRequest(
    string Account,
    string Container,
    string Blob,
    BlobSelector Selector,
    long? RangeStart,
    long? RangeEnd,
    string? PreviousSnapshot,
    AccessConditions Conditions);

/// <summary>Bytes [Start, End] (inclusive, as Azure lists them).</summary>
public sealed record PageRange(long Start, long End);

public sealed record PageRangesResult(BlobRecord Blob, IReadOnlyList<PageRange> Pages, IReadOnlyList<PageRange> Cleared);
