using Strongroom.Core;

namespace Strongroom.Storage;

/// <summary>
/// Snapshots and blob index tags (issue 8). Same contract as <see cref="IMetadataStore"/>: every
/// method is atomic, runs its precondition inside the transaction on the current row and appends
/// its <c>audit</c> entry in the same transaction.
/// </summary>
public interface ITagStore
{
    /// <summary>
    /// Snapshot Blob: keeps the current blob as the snapshot <paramref name="snapshotId"/> (its row
    /// and part list copied; objects shared, never rewritten), with <paramref name="metadata"/>
    /// instead of the blob's when given. Returns the snapshot's record. ContainerNotFound, BlobNotFound.
    /// </summary>
    Task<BlobRecord> CreateSnapshotAsync(string account, string container, string name, string snapshotId, IReadOnlyList<KeyValuePair<string, string>>? metadata, Action<BlobRecord>? precondition = null, AuditAppend? audit = null, CancellationToken cancellationToken = default);

    /// <summary>
    /// Replaces the tags of the current blob, or of the live previous version <paramref name="versionId"/>
    /// (null: the current blob), leaving ETag and Last-Modified alone (as Azure). The precondition
    /// sees the record whose tags change. ContainerNotFound, BlobNotFound, VersionNotFound.
    /// </summary>
    Task SetBlobTagsAsync(string account, string container, string name, string? versionId, IReadOnlyList<KeyValuePair<string, string>> tags, Action<BlobRecord>? precondition = null, AuditAppend? audit = null, CancellationToken cancellationToken = default);

    /// <summary>
    /// Current blobs with tags, in (container, name) order after <paramref name="after"/> (null: from
    /// the start), in <paramref name="container"/> only when given, at most <paramref name="limit"/>.
    /// Soft-deleted containers' blobs are not included.
    /// </summary>
    Task<IReadOnlyList<TaggedBlob>> ListTaggedBlobsAsync(string account, string? container, (string Container, string Name)? after, int limit, CancellationToken cancellationToken = default);
}
