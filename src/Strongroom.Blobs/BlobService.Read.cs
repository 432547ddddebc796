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
    public async Task<BlobReader> OpenBlobAsync(string account, string container, string blob, AccessConditions conditions, CustomerProvidedKey? customerKey, ReadLocation location, CancellationToken cancellationToken = default)
    {
        RequireContainerName(container);
        RequireBlobName(blob);
        var found = await store.GetBlobWithPartsAsync(account, container, blob, cancellationToken).ConfigureAwait(false);
        if (found is not { } snapshot)
        {
            await RequireContainerAsync(account, container, cancellationToken).ConfigureAwait(false);
            if (conditions.IfMatch is not null)
            {
                throw new StorageException(ErrorCode.ConditionNotMet);
            }

            throw new StorageException(ErrorCode.BlobNotFound);
        }

        Conditions.CheckRead(conditions, snapshot.Blob.ETag, snapshot.Blob.LastModified);
        var accountRecord = await RequireAccountAsync(account, cancellationToken).ConfigureAwait(false);
        await CheckReadableAsync(snapshot.Blob, snapshot.Parts.Select(part => part.Object.EncryptionScope), customerKey, requireKeyAvailable: true, cancellationToken).ConfigureAwait(false);

        // Recorded before any byte is returned: no entry, no data.
        await RecordReadAsync(account, accountRecord.AuditDataPlane, BlobOperation.GetBlob, container, blob, cancellationToken, snapshot.Parts.SelectMany(part => part.Object.PresentSiteIds).Distinct(StringComparer.Ordinal).ToList()).ConfigureAwait(false);
        var policy = placement.Resolve(accountRecord);
        return new BlobReader(snapshot.Blob, snapshot.Parts, accountRecord.CipherSuite, stored => sites.ReadOrder(stored, policy, location), () => new ReadKeys(keys, store, accountRecord, customerKey, (scope, ct) => UnwrapScopeKeyForReadAsync(account, scope, ct)));
    }
}

/// <summary>An opened blob: its properties and a way to stream any plaintext range of it.</summary>
public sealed class BlobReader
{
    private readonly IReadOnlyList<BlobPart> parts;
    private readonly CipherSuite cipherSuite;
    private readonly Func<StoredObject, IReadOnlyList<ResidentSite>> readOrder;
    private readonly Func<BlobService.ReadKeys> openKeys;

    internal BlobReader(BlobRecord blob, IReadOnlyList<BlobPart> parts, CipherSuite cipherSuite, Func<StoredObject, IReadOnlyList<ResidentSite>> readOrder, Func<BlobService.ReadKeys> openKeys)
    {
        Invariant.True(parts.Sum(part => part.Object.PlaintextLength) == blob.ContentLength, "a blob's parts add up to its length");
        Blob = blob;
        this.parts = parts;
        this.cipherSuite = cipherSuite;
        this.readOrder = readOrder;
        this.openKeys = openKeys;
    }

    public BlobRecord Blob { get; }

    /// <summary>Decrypts only the segments the range touches and writes exactly <paramref name="count"/> bytes.
    /// Tampered or missing ciphertext raises IntegrityCheckFailed before any of its bytes are written.</summary>
    public async Task CopyRangeToAsync(long offset, long count, Stream destination, CancellationToken cancellationToken = default)
    {
        if (offset < 0 || count < 0 || offset + count > Blob.ContentLength)
        {
            throw new StorageException(ErrorCode.InvalidRange);
        }

        // Scope keys unwrapped for this range are wiped when it is done.
        using var readKeys = openKeys();
        long partStart = 0;
        foreach (var part in parts)
        {
            var partLength = part.Object.PlaintextLength;
            var from = Math.Max(offset, partStart);
            var to = Math.Min(offset + count, partStart + partLength);
            if (from < to)
            {
                await DecryptPartAsync(readKeys, part.Object, from - partStart, to - from, destination, cancellationToken).ConfigureAwait(false);
            }

            partStart += partLength;
            if (partStart >= offset + count)
            {
                break;
            }
        }
    }

    private async Task DecryptPartAsync(BlobService.ReadKeys readKeys, StoredObject stored, long offset, long count, Stream destination, CancellationToken cancellationToken)
    {
        // The ciphers come from what is stored (the wrapped key's format, the segment header);
        // the binding's hash is the account's suite, fixed at creation.
        var binding = ObjectBinding.Digest(cipherSuite, Blob.Account, Blob.Container, Blob.Name, stored.ObjectId);
        using var dataKey = await readKeys.UnwrapAsync(stored, binding, cancellationToken).ConfigureAwait(false);
        // TODO(issue 5): the data-path helper falls back to the next copy on an I/O error or an
        // authentication-tag failure mid-stream, and reports the bad copy.
        Stream? ciphertext = null;
        foreach (var site in readOrder(stored))
        {
            try
            {
                ciphertext = await site.OpenReadAsync(stored.ObjectId, cancellationToken).ConfigureAwait(false);
                break;
            }
            catch (IOException)
            {
            }
        }

        if (ciphertext is null)
        {
            throw new StorageException(ErrorCode.IntegrityCheckFailed, $"No copy of object {stored.ObjectId} could be opened.");
        }

        await using (ciphertext.ConfigureAwait(false))
        {
            await SegmentDecryptor.DecryptRangeAsync(ciphertext, stored.PlaintextLength, dataKey.Key, binding, offset, count, destination, cancellationToken).ConfigureAwait(false);
        }
    }
}
