using System.Text;
using Strongroom.Core;
using Strongroom.Storage;

namespace Strongroom.Blobs;

/// <summary>
/// Snapshot Blob, blob index tags and Find Blobs by Tags (issue 8). A snapshot is a
/// <see cref="BlobInstanceKind.Snapshot"/> instance made by copying the blob's row and part list
/// (objects shared, never rewritten; BlobService.Versions serves its reads and deletes). Tags live
/// on the blob's row (and each instance's), so a version or snapshot keeps the tags it had; Set
/// Blob Tags changes neither ETag nor Last-Modified and makes no version, as in Azure.
/// </summary>
public sealed partial class BlobService
{
    private ITagStore TagStore => (ITagStore)store;

    /// <summary>
    /// Snapshot Blob: the snapshot's id (its time, <see cref="VersionIds"/> format, unique per blob
    /// because ids come from the ETags' strictly increasing ticks), with <paramref name="metadata"/>
    /// instead of the blob's when given. Conditions (x-ms-if-tags included) are checked inside the
    /// commit; a blob with a customer-provided key needs it, and its scope must be enabled.
    /// </summary>
    public async Task<SnapshotResult> SnapshotBlobAsync(string account, string container, string blob, IReadOnlyList<KeyValuePair<string, string>>? metadata, AccessConditions conditions, CustomerProvidedKey? customerKey, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(conditions);
        if (metadata is { Count: > 0 })
        {
            Names.ValidateMetadata(metadata);
        }
        else
        {
            metadata = null;
        }

        var existing = await GetExistingBlobAsync(account, container, blob, cancellationToken).ConfigureAwait(false);
        await CheckReadableAsync(existing, [existing.EncryptionScope], customerKey, requireKeyAvailable: false, cancellationToken).ConfigureAwait(false);
        var accountRecord = await RequireAccountAsync(account, cancellationToken).ConfigureAwait(false);
        return await StampedAsync(async () =>
        {
            var (_, _, snapshotId) = eTags.NextWithVersionId();
            var snapshot = await TagStore.CreateSnapshotAsync(
                account,
                container,
                blob,
                snapshotId,
                metadata,
                current =>
                {
                    CheckCustomerKey(current.CustomerKeySha256, customerKey);
                    CheckBlobLease(conditions.LeaseId, current, required: false);
                    Conditions.CheckWrite(conditions, current.ETag, current.LastModified, tags: current.Tags);
                },
                WriteEntry(account, accountRecord.AuditDataPlane, BlobOperation.SnapshotBlob, container, blob, [new("snapshot", snapshotId)]),
                cancellationToken).ConfigureAwait(false);
            return new SnapshotResult(snapshotId, snapshot.ETag, snapshot.LastModified, snapshot.VersionId) { EncryptionScope = snapshot.EncryptionScope };
        }).ConfigureAwait(false);
    }

    /// <summary>Get Blob Tags of the current blob, a version or a snapshot; x-ms-lease-id (optional: an id sent must name the current blob's active lease) and x-ms-if-tags are checked.</summary>
    public async Task<IReadOnlyList<KeyValuePair<string, string>>> GetBlobTagsAsync(string account, string container, string blob, BlobSelector selector, AccessConditions conditions, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(selector);
        ArgumentNullException.ThrowIfNull(conditions);
        var selected = await SelectBlobAsync(account, container, blob, selector, cancellationToken).ConfigureAwait(false);
        CheckBlobLease(conditions.LeaseId, selected.IsCurrent ? selected.Blob : null, required: false);
        Conditions.CheckTags(conditions, selected.Blob.Tags);
        var setting = await DataPlaneLoggingAsync(account, cancellationToken).ConfigureAwait(false);
        await RecordReadAsync(account, setting, BlobOperation.GetBlobTags, container, blob, cancellationToken).ConfigureAwait(false);
        return selected.Blob.Tags;
    }

    /// <summary>
    /// Set Blob Tags on the current blob or the previous version <paramref name="versionId"/>
    /// (null: the current blob): replaces every tag (an empty set removes them). InvalidTag for
    /// tags outside Azure's rules; x-ms-lease-id (optional: tags are not content, so a leased
    /// blob's tags may be set without it, but an id sent must name the active lease) and
    /// x-ms-if-tags are checked inside the commit.
    /// </summary>
    public async Task SetBlobTagsAsync(string account, string container, string blob, string? versionId, IReadOnlyList<KeyValuePair<string, string>> tags, AccessConditions conditions, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(conditions);
        var valid = BlobTags.Validate(tags);
        RequireContainerName(container);
        RequireBlobName(blob);
        var accountRecord = await RequireAccountAsync(account, cancellationToken).ConfigureAwait(false);
        var details = new List<KeyValuePair<string, string>>(2) { new("tags", valid.Count.ToString(System.Globalization.CultureInfo.InvariantCulture)) };
        if (versionId is not null)
        {
            details.Add(new("versionId", versionId));
        }

        await TagStore.SetBlobTagsAsync(
            account,
            container,
            blob,
            versionId,
            valid,
            current =>
            {
                CheckBlobLease(conditions.LeaseId, versionId is null ? current : null, required: false);
                Conditions.CheckTags(conditions, current.Tags);
            },
            WriteEntry(account, accountRecord.AuditDataPlane, BlobOperation.SetBlobTags, container, blob, details),
            cancellationToken).ConfigureAwait(false);
    }

    /// <summary>
    /// Find Blobs by Tags across the account, or in <paramref name="container"/> (then ContainerNotFound
    /// when it is absent): current blobs whose tags satisfy <paramref name="where"/>, in (container,
    /// name) order, each with only the tags the expression names. A page examines at most
    /// <see cref="Limits.FindBlobsByTagsScanMax"/> tagged blobs, then answers with a marker.
    /// </summary>
    public async Task<TaggedBlobListing> FindBlobsByTagsAsync(string account, string? container, TagExpression where, string? marker, int maxResults, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(where);
        if (container is not null)
        {
            await RequireContainerAsync(account, container, cancellationToken).ConfigureAwait(false);
        }

        var scope = container ?? where.Container;
        if (container is not null && where.Container is not null && where.Container != container)
        {
            return new TaggedBlobListing([], null);
        }

        var after = marker is null ? ((string Container, string Name)?)null : DecodeTagMarker(marker);
        var take = ClampPage(maxResults);
        var found = new List<TaggedBlob>(Math.Min(take, 64));
        var scanned = 0;
        string? next = null;
        var full = false;
        while (!full)
        {
            var batch = Math.Min(Limits.ListResultsMax, Limits.FindBlobsByTagsScanMax - scanned);
            if (batch <= 0)
            {
                // Bounded work per request: the client goes on from here with the marker.
                next = after is { } position ? EncodeTagMarker(position) : null;
                break;
            }

            var page = await TagStore.ListTaggedBlobsAsync(account, scope, after, batch, cancellationToken).ConfigureAwait(false);
            scanned += page.Count;
            for (var i = 0; i < page.Count && !full; i++)
            {
                var candidate = page[i];
                after = (candidate.Container, candidate.Name);
                if (where.Matches(candidate.Tags))
                {
                    found.Add(candidate with { Tags = BlobTags.Select(candidate.Tags, where.Keys) });
                    full = found.Count == take;
                    if (full && (i < page.Count - 1 || page.Count == batch))
                    {
                        next = EncodeTagMarker(after.Value);
                    }
                }
            }

            if (page.Count < batch)
            {
                break;
            }
        }

        var setting = await DataPlaneLoggingAsync(account, cancellationToken).ConfigureAwait(false);
        await RecordReadAsync(account, setting, BlobOperation.FindBlobsByTags, container, blob: null, cancellationToken).ConfigureAwait(false);
        return new TaggedBlobListing(found, next);
    }

    private static string EncodeTagMarker((string Container, string Name) position) =>
        Convert.ToBase64String(Encoding.UTF8.GetBytes(position.Container + "\n" + position.Name));

    /// <summary>A marker this server issued; anything else is 400 InvalidQueryParameterValue (as a bad List Blobs marker).</summary>
    private static (string Container, string Name) DecodeTagMarker(string marker)
    {
        try
        {
            var text = Encoding.UTF8.GetString(Convert.FromBase64String(marker));
            var newline = text.IndexOf('\n', StringComparison.Ordinal);
            if (newline > 0)
            {
                return (text[..newline], text[(newline + 1)..]);
            }
        }
        catch (FormatException)
        {
        }

        throw new StorageException(ErrorCode.InvalidTagMarker);
    }
}

/// <summary>A snapshot made by Snapshot Blob: its id (x-ms-snapshot) and the blob's ETag, Last-Modified and version id it captured.</summary>
public sealed record SnapshotResult(string Snapshot, string ETag, DateTimeOffset LastModified, string? VersionId)
{
    public string? EncryptionScope { get; init; }
}

/// <summary>A page of Find Blobs by Tags; <see cref="NextMarker"/> is opaque and null on the last page.</summary>
public sealed record TaggedBlobListing(IReadOnlyList<TaggedBlob> Blobs, string? NextMarker);
