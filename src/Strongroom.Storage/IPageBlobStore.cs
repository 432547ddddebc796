using Strongroom.Core;

namespace Strongroom.Storage;

/// <summary>
/// A written chunk of a page blob: its index (the part's ordinal; the chunk covers bytes
/// index × <see cref="Limits.PageChunkBytes"/> onwards), its object, and which of its pages hold
/// data (bit i of byte i / 8, least significant bit first).
/// </summary>
public sealed record PageChunk(int Index, StoredObject Object, byte[] Pages);

/// <summary>A page blob (the current blob, or the instance — snapshot, version, soft-deleted — named) with its written chunks in index order.</summary>
public sealed record PageBlobState(BlobRecord Blob, IReadOnlyList<PageChunk> Chunks, BlobInstance? Instance);

/// <summary>
/// One chunk's replacement in a page write: it held <paramref name="ExpectedObjectId"/> (null: no
/// chunk) when the writer read it, and now holds <paramref name="NewObject"/> with
/// <paramref name="Pages"/> (null: the chunk is dropped, its pages read as zeros).
/// </summary>
public sealed record PageChunkChange(int Index, string? ExpectedObjectId, StoredObject? NewObject, byte[]? Pages);

/// <summary>A chunk no longer holds the object the writer read (compare-and-swap lost): nothing was written.</summary>
public sealed class PageChunkConflictException() : Exception("A page chunk changed since it was read.");

/// <summary>Page blobs' chunks (issue 8; SqlMetadataStore.Pages.cs).</summary>
public interface IPageBlobStore
{
    /// <summary>
    /// The current blob (<paramref name="instanceId"/> null) or one of its instances, with its chunks
    /// and their page maps, in one snapshot; null when absent. Any blob type: the caller checks it.
    /// </summary>
    Task<PageBlobState?> GetPageBlobAsync(string account, string container, string name, string? instanceId, CancellationToken cancellationToken = default);

    /// <summary>
    /// In one transaction: reads the current blob (BlobNotFound when absent), lets
    /// <paramref name="update"/> check it and return its new record (same name), swaps every changed
    /// chunk by compare-and-swap (<see cref="PageChunkConflictException"/> when one moved, so the
    /// caller never overwrites a concurrent write), refuses a blob under a legal hold, appends the
    /// audit entry, and returns the new record with the objects no longer referenced anywhere.
    /// </summary>
    Task<(BlobRecord Blob, IReadOnlyList<StoredObject> Removed)> WritePageChunksAsync(string account, string container, string name, IReadOnlyList<PageChunkChange> changes, Func<BlobRecord, BlobRecord> update, AuditAppend? audit = null, CancellationToken cancellationToken = default);
}
