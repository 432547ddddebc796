using Strongroom.Core;
using Strongroom.Crypto;
using Strongroom.Storage;
using Strongroom.Vault;

namespace Strongroom.Blobs;

/// <summary>The read pipeline: metadata snapshot → per-part data key → decrypt only the touched segments.</summary>
public sealed partial class BlobService
{
    public async Task<BlobReader> OpenBlobAsync(string account, string container, string blob, AccessConditions conditions, CancellationToken cancellationToken = default)
    {
        RequireContainerName(container);
        RequireBlobName(blob);
        var found = await store.GetBlobWithPartsAsync(account, container, blob, cancellationToken).ConfigureAwait(false);
        if (found is not { } snapshot)
        {
            await GetContainerAsync(account, container, cancellationToken).ConfigureAwait(false);
            if (conditions.IfMatch is not null)
            {
                throw new StorageException(ErrorCode.ConditionNotMet);
            }

            throw new StorageException(ErrorCode.BlobNotFound);
        }

        Conditions.CheckRead(conditions, snapshot.Blob.ETag, snapshot.Blob.LastModified);
        var accountRecord = await RequireAccountAsync(account, cancellationToken).ConfigureAwait(false);
        return new BlobReader(snapshot.Blob, snapshot.Parts, accountRecord, store, site, keys);
    }
}

/// <summary>An opened blob: its properties and a way to stream any plaintext range of it.</summary>
public sealed class BlobReader
{
    private readonly IReadOnlyList<BlobPart> parts;
    private readonly AccountRecord account;
    private readonly IMetadataStore store;
    private readonly ISite site;
    private readonly TenantKeys keys;

    // Older key-encryption-key versions, read once, only if a part's data key needs one.
    private IReadOnlyList<AccountKeyEncryptionKey>? olderKeyEncryptionKeys;

    internal BlobReader(BlobRecord blob, IReadOnlyList<BlobPart> parts, AccountRecord account, IMetadataStore store, ISite site, TenantKeys keys)
    {
        Invariant.True(parts.Sum(part => part.Object.PlaintextLength) == blob.ContentLength, "a blob's parts add up to its length");
        Invariant.True(account.Name == blob.Account, "a blob is read with its own account's keys");
        Blob = blob;
        this.parts = parts;
        this.account = account;
        this.store = store;
        this.site = site;
        this.keys = keys;
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

        long partStart = 0;
        foreach (var part in parts)
        {
            var partLength = part.Object.PlaintextLength;
            var from = Math.Max(offset, partStart);
            var to = Math.Min(offset + count, partStart + partLength);
            if (from < to)
            {
                await DecryptPartAsync(part.Object, from - partStart, to - from, destination, cancellationToken).ConfigureAwait(false);
            }

            partStart += partLength;
            if (partStart >= offset + count)
            {
                break;
            }
        }
    }

    private async Task DecryptPartAsync(StoredObject stored, long offset, long count, Stream destination, CancellationToken cancellationToken)
    {
        var binding = ObjectBinding.Digest(Blob.Account, Blob.Container, Blob.Name, stored.ObjectId);
        var kekVersion = TenantKeys.WrappingVersion(stored.WrappedDataKey);
        var wrappedKeyEncryptionKey = kekVersion == account.KeyEncryptionKeyVersion
            ? account.WrappedKeyEncryptionKey
            : await OlderKeyEncryptionKeyAsync(kekVersion, cancellationToken).ConfigureAwait(false);
        using var dataKey = keys.UnwrapDataKey(Blob.Account, kekVersion, wrappedKeyEncryptionKey, stored.WrappedDataKey, binding);
        Stream ciphertext;
        try
        {
            ciphertext = site.OpenRead(stored.ObjectId);
        }
        catch (FileNotFoundException)
        {
            throw new StorageException(ErrorCode.IntegrityCheckFailed, $"Object {stored.ObjectId} is missing from site {stored.SiteId}.");
        }

        await using (ciphertext.ConfigureAwait(false))
        {
            await SegmentDecryptor.DecryptRangeAsync(ciphertext, stored.PlaintextLength, dataKey.Key, binding, offset, count, destination, cancellationToken).ConfigureAwait(false);
        }
    }

    private async Task<byte[]> OlderKeyEncryptionKeyAsync(uint version, CancellationToken cancellationToken)
    {
        olderKeyEncryptionKeys ??= await store.ListAccountKeyEncryptionKeysAsync(account.Name, cancellationToken).ConfigureAwait(false);
        return olderKeyEncryptionKeys.FirstOrDefault(kek => kek.Version == version)?.Wrapped
            ?? throw new StorageException(ErrorCode.IntegrityCheckFailed, $"Account key-encryption-key version {version} is not in the store.");
    }
}
