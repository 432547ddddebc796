using Strongroom.Core;

namespace Strongroom.Blobs;

// CONTRACT STUB: signatures of the blob service (the narrow waist every protocol calls).
// All methods throw StorageException with an ErrorCode for operating errors.
public sealed partial class BlobService
{
    public Task<SharedKeys?> GetSharedKeysAsync(string account, CancellationToken cancellationToken = default) => throw new NotImplementedException();

    public Task<ContainerRecord> CreateContainerAsync(string account, string container, IReadOnlyList<KeyValuePair<string, string>> metadata, CancellationToken cancellationToken = default) => throw new NotImplementedException();

    public Task<ContainerRecord> GetContainerAsync(string account, string container, CancellationToken cancellationToken = default) => throw new NotImplementedException();

    public Task<ContainerRecord> SetContainerMetadataAsync(string account, string container, IReadOnlyList<KeyValuePair<string, string>> metadata, AccessConditions conditions, CancellationToken cancellationToken = default) => throw new NotImplementedException();

    public Task DeleteContainerAsync(string account, string container, AccessConditions conditions, CancellationToken cancellationToken = default) => throw new NotImplementedException();

    public Task<ContainerListing> ListContainersAsync(string account, string? prefix, string? marker, int maxResults, CancellationToken cancellationToken = default) => throw new NotImplementedException();

    public Task<BlobListing> ListBlobsAsync(string account, string container, string? prefix, string? delimiter, string? marker, int maxResults, CancellationToken cancellationToken = default) => throw new NotImplementedException();

    /// <summary>Streams <paramref name="body"/> through encryption to the site; the blob appears only when all of it is durable.</summary>
    public Task<BlobWriteResult> PutBlobAsync(PutBlobRequest request, Stream body, CancellationToken cancellationToken = default) => throw new NotImplementedException();

    public Task<BlockWriteResult> PutBlockAsync(PutBlockRequest request, Stream body, CancellationToken cancellationToken = default) => throw new NotImplementedException();

    public Task<BlobWriteResult> PutBlockListAsync(PutBlockListRequest request, CancellationToken cancellationToken = default) => throw new NotImplementedException();

    public Task<BlockListResult> GetBlockListAsync(string account, string container, string blob, BlockListType type, CancellationToken cancellationToken = default) => throw new NotImplementedException();

    /// <summary>Get Blob: evaluates read conditions (ConditionNotMet / NotModified) and returns a reader.</summary>
    public Task<BlobReader> OpenBlobAsync(string account, string container, string blob, AccessConditions conditions, CancellationToken cancellationToken = default) => throw new NotImplementedException();

    public Task<BlobRecord> GetBlobPropertiesAsync(string account, string container, string blob, AccessConditions conditions, CancellationToken cancellationToken = default) => throw new NotImplementedException();

    public Task<BlobRecord> SetBlobHttpHeadersAsync(string account, string container, string blob, BlobHttpHeaders headers, AccessConditions conditions, CancellationToken cancellationToken = default) => throw new NotImplementedException();

    public Task<BlobRecord> SetBlobMetadataAsync(string account, string container, string blob, IReadOnlyList<KeyValuePair<string, string>> metadata, AccessConditions conditions, CancellationToken cancellationToken = default) => throw new NotImplementedException();

    public Task DeleteBlobAsync(string account, string container, string blob, AccessConditions conditions, CancellationToken cancellationToken = default) => throw new NotImplementedException();
}

/// <summary>An opened blob: its properties and a way to stream any plaintext range of it.</summary>
public sealed class BlobReader
{
    public required BlobRecord Blob { get; init; }

    /// <summary>Decrypts only the segments the range touches and writes exactly <paramref name="count"/> bytes.</summary>
    public Task CopyRangeToAsync(long offset, long count, Stream destination, CancellationToken cancellationToken = default) => throw new NotImplementedException();
}
