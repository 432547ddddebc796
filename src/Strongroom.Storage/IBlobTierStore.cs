using Strongroom.Core;

namespace Strongroom.Storage;

/// <summary>
/// Access tiers (issue 8, Set Blob Tier). Same contract as <see cref="IMetadataStore"/>: atomic,
/// the <c>audit</c> entry appended in the same transaction.
/// </summary>
public interface IBlobTierStore
{
    /// <summary>
    /// Sets the access tier of the current blob, or of its version or snapshot <paramref name="instanceId"/>
    /// (<paramref name="instanceKind"/> Version or Snapshot), inside one transaction. The change time
    /// becomes <paramref name="changedOn"/> only when the tier changes; ETag and Last-Modified stay (as in
    /// Azure). <paramref name="precondition"/> sees the current blob (not an instance) before the change.
    /// Returns the tier the blob had (null: never set). ContainerNotFound, BlobNotFound, VersionNotFound.
    /// </summary>
    Task<AccessTier?> SetBlobAccessTierAsync(string account, string container, string blob, BlobInstanceKind? instanceKind, string? instanceId, AccessTier tier, DateTimeOffset changedOn, Action<BlobRecord>? precondition = null, AuditAppend? audit = null, CancellationToken cancellationToken = default);
}
