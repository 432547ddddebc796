using Strongroom.Audit;
using Strongroom.Core;
using Strongroom.Crypto;
using Strongroom.Placement;
using Strongroom.Storage;
using Strongroom.Vault;

namespace Strongroom.Blobs;

/// <summary>The read pipeline: metadata snapshot → per-part data key → decrypt only the touched segments.</summary>
public sealed partial class BlobService
{
    public Task<BlobReader> OpenBlobAsync(string account, string container, string blob, AccessConditions conditions, CancellationToken cancellationToken = default) =>
        OpenBlobAsync(account, container, blob, conditions, customerKey: null, cancellationToken);

    /// <summary>
    /// Opens a blob for reading. A blob written with a customer-provided key needs that key
    /// (<paramref name="customerKey"/>, owned by the caller and used until the reader is done); a
    /// blob under a disabled scope or an unavailable customer-managed key fails here, before
    /// anything is returned.
    /// </summary>
    public Task<BlobReader> OpenBlobAsync(string account, string container, string blob, AccessConditions conditions, CustomerProvidedKey? customerKey, CancellationToken cancellationToken = default) =>
        OpenBlobAsync(account, container, blob, conditions, customerKey, ReadLocation.Primary, cancellationToken);

    /// <summary>
    /// As above, through the given endpoint: <see cref="ReadLocation.Secondary"/> (the
    /// <c>ACCOUNT-secondary</c> endpoint) reads copies in the secondary region first and needs an
    /// RA-GRS or RA-GZRS account (SecondaryNotAvailable otherwise).
    /// </summary>
    public Task<BlobReader> OpenBlobAsync(string account, string container, string blob, AccessConditions conditions, CustomerProvidedKey? customerKey, ReadLocation location, CancellationToken cancellationToken = default) =>
        OpenBlobAsync(account, container, blob, conditions, customerKey, location, BlobSelector.Current, cancellationToken);

    /// <summary>As above, for the current blob, a version (<c>?versionid=</c>) or a snapshot (<c>?snapshot=</c>) as <paramref name="selector"/> names.</summary>
    public async Task<BlobReader> OpenBlobAsync(string account, string container, string blob, AccessConditions conditions, CustomerProvidedKey? customerKey, ReadLocation location, BlobSelector selector, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(selector);
        RequireContainerName(container);
        RequireBlobName(blob);
        AccountRecord? accountRecord = null;
        if (location == ReadLocation.Secondary)
        {
            // Azure refuses the secondary endpoint of an account that is not read-access geo-redundant before looking at the blob.
            accountRecord = await RequireAccountAsync(account, cancellationToken).ConfigureAwait(false);
            RequireReadableSecondary(accountRecord);
        }

        SelectedBlob snapshot;
        try
        {
            snapshot = await SelectBlobAsync(account, container, blob, selector, cancellationToken).ConfigureAwait(false);
        }
        catch (StorageException missing) when (missing.Code == ErrorCode.BlobNotFound && conditions.IfMatch is not null)
        {
            throw new StorageException(ErrorCode.ConditionNotMet);
        }

        CheckBlobLease(conditions.LeaseId, snapshot.IsCurrent ? snapshot.Blob : null, required: false);
        Conditions.CheckRead(conditions, snapshot.Blob.ETag, snapshot.Blob.LastModified, snapshot.Blob.Tags);
        RequireOnline(snapshot.Blob);
        accountRecord ??= await RequireAccountAsync(account, cancellationToken).ConfigureAwait(false);
        await CheckReadableAsync(snapshot.Blob, snapshot.Parts.Select(part => part.Object.EncryptionScope), customerKey, requireKeyAvailable: true, cancellationToken).ConfigureAwait(false);

        // Recorded before any byte is returned: no entry, no data.
        await RecordReadAsync(account, accountRecord.AuditDataPlane, BlobOperation.GetBlob, container, blob, cancellationToken, snapshot.Parts.SelectMany(part => part.Object.PresentSiteIds).Distinct(StringComparer.Ordinal).ToList()).ConfigureAwait(false);
        var policy = placement.Resolve(accountRecord);
        var keysAccount = accountRecord;
        return new BlobReader(
            snapshot.Blob,
            snapshot.Parts,
            accountRecord.CipherSuite,
            stored => sites.ReadOrder(stored, policy, location),
            (stored, siteId, reason) => ReportBadCopyAsync(account, container, blob, stored, siteId, reason),
            () => new ReadKeys(keys, store, keysAccount, customerKey, (scope, ct) => UnwrapScopeKeyForReadAsync(account, scope, ct)))
        {
            IsCurrentVersion = snapshot.IsCurrent,
        };
    }

    /// <summary>A copy failed a read: it becomes Bad, with the entry in the owning account's log (ids, site and jurisdiction; never the exception's message).</summary>
    private Task ReportBadCopyAsync(string account, string container, string blob, StoredObject stored, string siteId, Exception reason)
    {
        var why = reason switch
        {
            FileNotFoundException => "missing",
            IOException => "readFailed",
            _ => "integrityCheckFailed",
        };
        var (copySites, jurisdictions) = Locations([siteId]);
        var entry = audit.Entry(account, AuditActions.CopyMarkedBad, Resource(account, container, blob), details: [new("objectId", stored.ObjectId), new("reason", why)], sites: copySites, jurisdictions: jurisdictions);
        return sites.ReportBadCopyAsync(stored, siteId, reason, entry);
    }
}

/// <summary>An opened blob: its properties and a way to stream any plaintext range of it.</summary>
public sealed class BlobReader
{
    private readonly IReadOnlyList<BlobPart> parts;
    private readonly CipherSuite cipherSuite;
    private readonly Func<StoredObject, IReadOnlyList<ResidentSite>> readOrder;
    private readonly Func<StoredObject, string, Exception, Task> reportBadCopy;
    private readonly Func<BlobService.ReadKeys> openKeys;

    internal BlobReader(BlobRecord blob, IReadOnlyList<BlobPart> parts, CipherSuite cipherSuite, Func<StoredObject, IReadOnlyList<ResidentSite>> readOrder, Func<StoredObject, string, Exception, Task> reportBadCopy, Func<BlobService.ReadKeys> openKeys)
    {
        Invariant.True(
            blob.BlobType == BlobType.PageBlob
                ? BlobService.IsPageLayout(parts)
                : parts.Sum(part => part.Object.PlaintextLength) == blob.ContentLength,
            "a blob's parts add up to its length (a page blob's are whole chunks in index order)");
        Blob = blob;
        this.parts = parts;
        this.cipherSuite = cipherSuite;
        this.readOrder = readOrder;
        this.reportBadCopy = reportBadCopy;
        this.openKeys = openKeys;
    }

    public BlobRecord Blob { get; }

    /// <summary>The blob's parts: its committed blocks (an append blob's x-ms-blob-committed-block-count).</summary>
    public int PartCount => parts.Count;

    /// <summary>False when a previous version or a snapshot was opened.</summary>
    public bool IsCurrentVersion { get; init; } = true;

    /// <summary>
    /// Decrypts only the segments the range touches and writes exactly <paramref name="count"/> bytes.
    /// A copy that fails (I/O error, missing, tampered) is reported and the range continues from the
    /// next copy where the last one stopped, so the bytes written are always the right ones; when no
    /// copy can deliver the rest, IntegrityCheckFailed (no unauthenticated byte is ever written).
    /// </summary>
    public async Task CopyRangeToAsync(long offset, long count, Stream destination, CancellationToken cancellationToken = default)
    {
        if (offset < 0 || count < 0 || offset + count > Blob.ContentLength)
        {
            throw new StorageException(ErrorCode.InvalidRange);
        }

        // Scope keys unwrapped for this range are wiped when it is done.
        using var readKeys = openKeys();
        var counting = new CountingStream(destination);
        if (Blob.BlobType == BlobType.PageBlob)
        {
            await CopyPageRangeAsync(readKeys, offset, count, counting, cancellationToken).ConfigureAwait(false);
            return;
        }

        long partStart = 0;
        foreach (var part in parts)
        {
            var partLength = part.Object.PlaintextLength;
            var from = Math.Max(offset, partStart);
            var to = Math.Min(offset + count, partStart + partLength);
            if (from < to)
            {
                await DecryptPartAsync(readKeys, part.Object, from - partStart, to - from, counting, cancellationToken).ConfigureAwait(false);
            }

            partStart += partLength;
            if (partStart >= offset + count)
            {
                break;
            }
        }
    }

    /// <summary>
    /// A page blob's range: its written chunks decrypted (only the segments touched), its holes
    /// (chunks never written) as zeros from a small shared buffer — nothing the size of the blob.
    /// </summary>
    private async Task CopyPageRangeAsync(BlobService.ReadKeys readKeys, long offset, long count, CountingStream destination, CancellationToken cancellationToken)
    {
        var end = offset + count;
        var position = offset;
        var next = 0;
        while (position < end)
        {
            var index = position / Limits.PageChunkBytes;
            while (next < parts.Count && parts[next].Ordinal < index)
            {
                next++;
            }

            var chunkStart = index * Limits.PageChunkBytes;
            var to = Math.Min(end, chunkStart + Limits.PageChunkBytes);
            if (next < parts.Count && parts[next].Ordinal == index)
            {
                await DecryptPartAsync(readKeys, parts[next].Object, position - chunkStart, to - position, destination, cancellationToken).ConfigureAwait(false);
            }
            else
            {
                // A hole runs to the next written chunk (or the end of the range).
                var holeEnd = next < parts.Count ? Math.Min(end, (long)parts[next].Ordinal * Limits.PageChunkBytes) : end;
                for (var at = position; at < holeEnd; at += ZeroPages.Length)
                {
                    await destination.WriteAsync(ZeroPages.AsMemory(0, (int)Math.Min(ZeroPages.Length, holeEnd - at)), cancellationToken).ConfigureAwait(false);
                }

                to = holeEnd;
            }

            position = to;
        }
    }

    private static readonly byte[] ZeroPages = new byte[64 * 1024];

    /// <summary>One chunk's whole plaintext into <paramref name="destination"/> (a page write's read-modify-write).</summary>
    internal async Task ReadChunkAsync(StoredObject stored, byte[] destination, CancellationToken cancellationToken)
    {
        using var readKeys = openKeys();
        using var buffer = new MemoryStream(destination, 0, (int)stored.PlaintextLength, writable: true);
        var counting = new CountingStream(buffer);
        await DecryptPartAsync(readKeys, stored, 0, stored.PlaintextLength, counting, cancellationToken).ConfigureAwait(false);
        Invariant.True(counting.Written == stored.PlaintextLength, "a chunk is read whole");
    }

    private async Task DecryptPartAsync(BlobService.ReadKeys readKeys, StoredObject stored, long offset, long count, CountingStream destination, CancellationToken cancellationToken)
    {
        // The ciphers come from what is stored (the wrapped key's format, the segment header);
        // the binding's hash is the account's suite, fixed at creation.
        var binding = ObjectBinding.Digest(cipherSuite, Blob.Account, Blob.Container, Blob.Name, stored.ObjectId);
        using var dataKey = await readKeys.UnwrapAsync(stored, binding, cancellationToken).ConfigureAwait(false);
        var start = destination.Written;
        Exception? lastFailure = null;

        // Copies that failed authentication are condemned only once another copy has proved the key
        // and binding right: when every copy fails, the fault may be the key, not the copies.
        List<(string SiteId, Exception Reason)>? unauthenticated = null;
        var tried = 0;
        var missing = 0;
        foreach (var site in readOrder(stored))
        {
            tried++;
            var done = destination.Written - start;
            try
            {
                var ciphertext = await site.OpenReadAsync(stored.ObjectId, cancellationToken).ConfigureAwait(false);
                await using (ciphertext.ConfigureAwait(false))
                {
                    await SegmentDecryptor.DecryptRangeAsync(ciphertext, stored.PlaintextLength, dataKey.Key, binding, offset + done, count - done, destination, cancellationToken).ConfigureAwait(false);
                }

                foreach (var (siteId, reason) in unauthenticated ?? [])
                {
                    await reportBadCopy(stored, siteId, reason).ConfigureAwait(false);
                }

                return;
            }
            catch (IOException exception) when (!destination.Failed)
            {
                lastFailure = exception;
                missing += exception is FileNotFoundException ? 1 : 0;
                await reportBadCopy(stored, site.Id, exception).ConfigureAwait(false);
            }
            catch (StorageException exception) when (exception.Code == ErrorCode.IntegrityCheckFailed && !destination.Failed)
            {
                lastFailure = exception;
                (unauthenticated ??= []).Add((site.Id, exception));
            }

            if (destination.Written - start == count)
            {
                // Every byte was delivered (and authenticated) before the copy failed.
                return;
            }
        }

        throw new StorageException(
            ErrorCode.IntegrityCheckFailed,
            $"No copy of object {stored.ObjectId} could be read.",
            tried > 0 && missing == tried ? new ObjectGoneException(stored.ObjectId, lastFailure) : lastFailure);
    }

    /// <summary>
    /// Every copy tried answered "not found": the object is gone, not damaged. A reader of a record
    /// that another server replaced (and whose old object it deleted) sees this; the caller decides,
    /// by reading the record again, whether it was a lost race or a lost object.
    /// </summary>
    internal sealed class ObjectGoneException(string objectId, Exception? innerException)
        : IOException($"Every copy of object {objectId} is gone.", innerException);

    /// <summary>
    /// Counts the plaintext bytes that reached the destination (where the next copy resumes) and
    /// tells a failure of the destination (the client went away) from a failure of a copy.
    /// </summary>
    private sealed class CountingStream(Stream inner) : Stream
    {
        public long Written { get; private set; }

        public bool Failed { get; private set; }

        public override bool CanRead => false;

        public override bool CanSeek => false;

        public override bool CanWrite => true;

        public override long Length => throw new NotSupportedException();

        public override long Position { get => Written; set => throw new NotSupportedException(); }

        public override async ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default)
        {
            try
            {
                await inner.WriteAsync(buffer, cancellationToken).ConfigureAwait(false);
            }
            catch
            {
                Failed = true;
                throw;
            }

            Written += buffer.Length;
        }

        public override Task WriteAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
            WriteAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

        public override void Write(byte[] buffer, int offset, int count)
        {
            try
            {
                inner.Write(buffer, offset, count);
            }
            catch
            {
                Failed = true;
                throw;
            }

            Written += count;
        }

        public override async Task FlushAsync(CancellationToken cancellationToken)
        {
            try
            {
                await inner.FlushAsync(cancellationToken).ConfigureAwait(false);
            }
            catch
            {
                Failed = true;
                throw;
            }
        }

        public override void Flush() => inner.Flush();

        public override int Read(byte[] buffer, int offset, int count) => throw new NotSupportedException();

        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

        public override void SetLength(long value) => throw new NotSupportedException();
    }
}
