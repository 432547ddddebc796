using System.Text;
using Strongroom.Core;
using Strongroom.Storage;

namespace Strongroom.Blobs;

/// <summary>
/// Versions, snapshots, blob soft delete, Undelete Blob and Copy Blob (issue 7). What becomes of a
/// current blob that a write replaces or a delete removes is decided here from the account's
/// <see cref="DataProtectionSettings"/> and handed to the store as a <see cref="BlobArchive"/>,
/// evaluated inside the commit's transaction on the row it replaces:
/// - versioning on: it is kept as a previous version under its version id (Put Blob, Put Block
///   List, Copy Blob, Set Blob Metadata and Delete Blob; a blob written before versioning was on
///   gets the id of its Last-Modified time);
/// - else, blob soft delete on: a delete keeps it as the soft-deleted blob and an overwrite (Put
///   Blob, Put Block List, Copy Blob) as a soft-deleted snapshot, both until deletion + the
///   retention days (fixed at deletion, as in Azure);
/// - else it is dropped and its objects are shredded.
/// </summary>
public sealed partial class BlobService
{
    /// <summary>Bytes a copy decrypts from its source at a time (bounded memory, one key unwrap per chunk).</summary>
    private const int CopyChunkBytes = 4 * 1024 * 1024;

    /// <summary>What a write keeps of the blob it replaces (see the type's summary). <paramref name="instanceId"/> names a soft-deleted snapshot.</summary>
    private static Func<BlobRecord, BlobArchive?>? ArchiveForWrite(AccountRecord account, bool contentWrite, DateTimeOffset now, string instanceId)
    {
        var protection = account.DataProtection;
        if (protection.Versioning)
        {
            return current => new BlobArchive(BlobInstanceKind.Version, VersionIdOf(current));
        }

        if (contentWrite && protection.BlobSoftDeleteDays is { } days)
        {
            return _ => new BlobArchive(BlobInstanceKind.Snapshot, instanceId, now, now.AddDays(days));
        }

        return null;
    }

    /// <summary>What Delete Blob keeps of the current blob: with versioning a previous version (not soft-deleted, as in Azure), else the soft-deleted blob.</summary>
    private static Func<BlobRecord, BlobArchive?>? ArchiveForDelete(AccountRecord account, DateTimeOffset now, string instanceId)
    {
        var protection = account.DataProtection;
        if (protection.Versioning)
        {
            return current => new BlobArchive(BlobInstanceKind.Version, VersionIdOf(current));
        }

        return protection.BlobSoftDeleteDays is { } days
            ? _ => new BlobArchive(BlobInstanceKind.DeletedBlob, instanceId, now, now.AddDays(days))
            : null;
    }

    /// <summary>How a version or snapshot is deleted: soft-deleted for the retention when blob soft delete is on, else at once.</summary>
    private static InstanceDeletion InstanceDeletionFor(AccountRecord account, DateTimeOffset now) =>
        account.DataProtection.BlobSoftDeleteDays is { } days ? new InstanceDeletion(now, now.AddDays(days)) : InstanceDeletion.Permanent;

    /// <summary>
    /// Runs a write that stamps the blob with a new version, snapshot or deletion id drawn from
    /// <see cref="ETags"/> inside <paramref name="write"/>. When the store finds the id not new for
    /// the blob (another server of the deployment stamped it in the same tick, or its clock is
    /// ahead), nothing was written: the ticks move past the newest id and the write runs again.
    /// </summary>
    private async Task<T> StampedAsync<T>(Func<Task<T>> write)
    {
        for (var attempt = 1; ; attempt++)
        {
            try
            {
                return await write().ConfigureAwait(false);
            }
            catch (InstanceIdTakenException taken)
            {
                if (attempt == Limits.InstanceIdStampAttemptsMax)
                {
                    throw new StorageException(ErrorCode.InstanceIdContended, "Other servers kept stamping this blob with the same or newer ids; retry.", taken);
                }

                eTags.AdvancePast(taken.NewestId);
            }
        }
    }

    private static string VersionIdOf(BlobRecord blob) => blob.VersionId ?? VersionIds.From(blob.LastModified);

    /// <summary>
    /// The blob a read names: the current blob, or with <paramref name="selector"/> a previous version
    /// (the current one when its id is named) or a snapshot. Soft-deleted instances are not readable
    /// (BlobNotFound, as a soft-deleted blob). ContainerNotFound first.
    /// </summary>
    private async Task<SelectedBlob> SelectBlobAsync(string account, string container, string blob, BlobSelector selector, CancellationToken cancellationToken)
    {
        RequireContainerName(container);
        RequireBlobName(blob);
        var current = await store.GetBlobWithPartsAsync(account, container, blob, cancellationToken).ConfigureAwait(false);
        if (selector.IsCurrent || (selector.VersionId is { } named && current?.Blob.VersionId == named))
        {
            if (current is { } found)
            {
                return new SelectedBlob(found.Blob, found.Parts, IsCurrent: true);
            }

            await RequireContainerAsync(account, container, cancellationToken).ConfigureAwait(false);
            throw new StorageException(ErrorCode.BlobNotFound);
        }

        var (kind, id) = selector.VersionId is { } versionId ? (BlobInstanceKind.Version, versionId) : (BlobInstanceKind.Snapshot, selector.Snapshot!);
        var instance = await store.GetBlobInstanceWithPartsAsync(account, container, blob, id, cancellationToken).ConfigureAwait(false);
        if (instance is not { } kept || kept.Instance.Kind != kind || kept.Instance.IsDeleted)
        {
            await RequireContainerAsync(account, container, cancellationToken).ConfigureAwait(false);
            throw new StorageException(ErrorCode.VersionNotFound);
        }

        return new SelectedBlob(kept.Instance.Blob, kept.Parts, IsCurrent: false);
    }

    /// <summary>Get Blob Properties (or Metadata) of the current blob, a version or a snapshot.</summary>
    public async Task<SelectedBlob> GetBlobPropertiesAsync(string account, string container, string blob, BlobSelector selector, AccessConditions conditions, CustomerProvidedKey? customerKey, BlobOperation operation, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(selector);
        var selected = await SelectBlobAsync(account, container, blob, selector, cancellationToken).ConfigureAwait(false);
        CheckBlobLease(conditions.LeaseId, selected.IsCurrent ? selected.Blob : null, required: false);
        Conditions.CheckRead(conditions, selected.Blob.ETag, selected.Blob.LastModified, selected.Blob.Tags);
        await CheckReadableAsync(selected.Blob, [selected.Blob.EncryptionScope], customerKey, requireKeyAvailable: false, cancellationToken).ConfigureAwait(false);
        var setting = await DataPlaneLoggingAsync(account, cancellationToken).ConfigureAwait(false);
        await RecordReadAsync(account, setting, operation, container, blob, cancellationToken).ConfigureAwait(false);
        return selected;
    }

    /// <summary>
    /// Delete Blob: the current blob (kept as the account's settings say; its snapshots as
    /// <see cref="DeleteBlobOptions.Snapshots"/> says, SnapshotsPresent without), only its snapshots,
    /// or one version or snapshot (soft-deleted with blob soft delete on, else dropped; with
    /// <see cref="DeleteBlobOptions.Permanent"/> a soft-deleted one is dropped when the account
    /// allows permanent delete). Every deletion is recorded.
    /// </summary>
    public Task DeleteBlobAsync(string account, string container, string blob, AccessConditions conditions, DeleteBlobOptions options, CancellationToken cancellationToken = default) =>
        StampedAsync(async () =>
        {
            await DeleteBlobOnceAsync(account, container, blob, conditions, options, cancellationToken).ConfigureAwait(false);
            return true;
        });

    private async Task DeleteBlobOnceAsync(string account, string container, string blob, AccessConditions conditions, DeleteBlobOptions options, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(options);
        await RequireContainerAsync(account, container, cancellationToken).ConfigureAwait(false);
        RequireBlobName(blob);
        var accountRecord = await RequireAccountAsync(account, cancellationToken).ConfigureAwait(false);
        var (_, now, deletionId) = eTags.NextWithVersionId();
        var details = new List<KeyValuePair<string, string>>(3);
        if (options.Selector.VersionId is { } versionIdDetail)
        {
            details.Add(new("versionId", versionIdDetail));
        }

        if (options.Selector.Snapshot is { } snapshotDetail)
        {
            details.Add(new("snapshot", snapshotDetail));
        }

        if (options.Permanent)
        {
            details.Add(new("deleteType", "permanent"));
        }
        else if (accountRecord.DataProtection.BlobSoftDeleteDays is not null)
        {
            details.Add(new("deleteType", "soft"));
        }

        if (options.Snapshots != DeleteSnapshots.None)
        {
            details.Add(new("deleteSnapshots", options.Snapshots == DeleteSnapshots.Only ? "only" : "include"));
        }

        var entry = await DeletionEntryAsync(account, BlobOperation.DeleteBlob, container, blob, cancellationToken, details).ConfigureAwait(false);
        var deletion = InstanceDeletionFor(accountRecord, now);
        IReadOnlyList<StoredObject> removed;
        if (options.Permanent)
        {
            // Azure: deletetype=permanent only for a soft-deleted version or snapshot, and only when the account allows it.
            if (options.Selector.IsCurrent || !accountRecord.DataProtection.AllowPermanentDelete)
            {
                throw new StorageException(ErrorCode.PermanentDeleteNotAllowed);
            }

            removed = await DeleteInstanceAsync(
                InstanceDeletion.Permanent,
                instance =>
                {
                    if (!instance.IsDeleted)
                    {
                        throw new StorageException(ErrorCode.PermanentDeleteNotAllowed, "Only a soft-deleted version or snapshot can be deleted permanently.");
                    }
                }).ConfigureAwait(false);
        }
        else if (options.Selector.IsCurrent && options.Snapshots == DeleteSnapshots.Only)
        {
            removed = await store.DeleteBlobSnapshotsAsync(account, container, blob, deletion, entry, cancellationToken).ConfigureAwait(false);
        }
        else if (options.Selector.IsCurrent || await IsCurrentVersionAsync(account, container, blob, options.Selector, cancellationToken).ConfigureAwait(false))
        {
            // Deleting the current version by its id deletes that version (soft-deleted under blob
            // soft delete) and leaves the blob without a current version; without an id the
            // current blob is kept as the settings say.
            var archive = options.Selector.IsCurrent
                ? ArchiveForDelete(accountRecord, now, deletionId)
                : current => deletion.IsSoft ? new BlobArchive(BlobInstanceKind.Version, VersionIdOf(current), deletion.DeletedOn, deletion.PurgeOn) : null;
            removed = await store.DeleteBlobAsync(
                account,
                container,
                blob,
                current =>
                {
                    CheckBlobLease(conditions.LeaseId, current);
                    Conditions.CheckWrite(conditions, current.ETag, current.LastModified, tags: current.Tags);
                    if (options.Selector.VersionId is { } named && current.VersionId != named)
                    {
                        throw new StorageException(ErrorCode.VersionNotFound);
                    }
                },
                archive,
                options.Snapshots == DeleteSnapshots.Include ? deletion : null,
                entry,
                cancellationToken).ConfigureAwait(false);
        }
        else
        {
            removed = await DeleteInstanceAsync(
                deletion,
                instance =>
                {
                    if (instance.IsDeleted)
                    {
                        throw new StorageException(ErrorCode.VersionNotFound);
                    }
                }).ConfigureAwait(false);
        }

        await RemoveFromSitesAsync(removed).ConfigureAwait(false);

        // The version or snapshot the selector names.
        Task<IReadOnlyList<StoredObject>> DeleteInstanceAsync(InstanceDeletion instanceDeletion, Action<BlobInstance> precondition)
        {
            var (kind, id) = InstanceOf(options.Selector);
            return store.DeleteBlobInstanceAsync(account, container, blob, id, kind, instanceDeletion, precondition, entry, cancellationToken);
        }
    }

    private async Task<bool> IsCurrentVersionAsync(string account, string container, string blob, BlobSelector selector, CancellationToken cancellationToken) =>
        selector.VersionId is { } versionId
        && (await store.GetBlobAsync(account, container, blob, cancellationToken).ConfigureAwait(false))?.VersionId == versionId;

    private static (BlobInstanceKind Kind, string Id) InstanceOf(BlobSelector selector) =>
        selector.VersionId is { } versionId ? (BlobInstanceKind.Version, versionId) : (BlobInstanceKind.Snapshot, selector.Snapshot!);

    /// <summary>
    /// Undelete Blob: without versioning restores the soft-deleted blob (when no current blob
    /// exists) and its soft-deleted snapshots; with versioning restores soft-deleted versions and
    /// snapshots and makes none of them current (promote one by copying it). BlobNotFound when the
    /// name has nothing at all.
    /// </summary>
    public async Task UndeleteBlobAsync(string account, string container, string blob, CancellationToken cancellationToken = default)
    {
        RequireContainerName(container);
        RequireBlobName(blob);
        var accountRecord = await RequireAccountAsync(account, cancellationToken).ConfigureAwait(false);
        await store.UndeleteBlobAsync(
            account,
            container,
            blob,
            restoreBlob: !accountRecord.DataProtection.Versioning,
            audit: WriteEntry(account, accountRecord.AuditDataPlane, BlobOperation.UndeleteBlob, container, blob),
            cancellationToken: cancellationToken).ConfigureAwait(false);
    }

    /// <summary>
    /// Copy Blob and Copy Blob From URL, synchronous and inside one account of this server: the
    /// source (current blob, version or snapshot) is decrypted as it streams and written through
    /// the normal write pipeline under a fresh data key bound to the destination's name, then
    /// committed like Put Blob (versions and soft-deleted snapshots as the settings say). The
    /// destination takes the source's content headers, and its metadata unless the request gives some.
    /// </summary>
    public async Task<CopyBlobResult> CopyBlobAsync(CopyBlobRequest request, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(request);
        RequireBlobName(request.Blob);
        if (request.Metadata is not null)
        {
            Names.ValidateMetadata(request.Metadata);
        }

        var account = await RequireAccountAsync(request.Account, cancellationToken).ConfigureAwait(false);
        var container = await RequireContainerAsync(request.Account, request.Container, cancellationToken).ConfigureAwait(false);
        var source = await OpenCopySourceAsync(request.SourceAccount ?? request.Account, request.SourceContainer, request.SourceBlob, request.SourceSelector, request.SourceConditions, cancellationToken).ConfigureAwait(false);

        if (!request.Conditions.IsEmpty || request.Conditions.LeaseId is not null)
        {
            var current = await store.GetBlobAsync(request.Account, request.Container, request.Blob, cancellationToken).ConfigureAwait(false);
            CheckBlobLease(request.Conditions.LeaseId, current);
            Conditions.CheckWrite(request.Conditions, current?.ETag, current?.LastModified ?? default, ErrorCode.BlobAlreadyExists, current?.Tags);
        }

        using var writeKeys = await ResolveWriteKeysAsync(account, container, request.Encryption, cancellationToken).ConfigureAwait(false);
        var length = source.Blob.ContentLength;
        WrittenObject written;
        await using (var content = new BlobRangeStream(source, CopyChunkBytes))
        {
            written = await WriteObjectAsync(account, container, request.Blob, content, TransactionalChecksums.None, length, writeKeys, cancellationToken).ConfigureAwait(false);
        }

        var committed = false;
        try
        {
            Invariant.True(written.Object.PlaintextLength == length, "a copy writes exactly its source's length");
            return await StampedAsync(async () =>
            {
                var (eTag, now, versionId) = eTags.NextWithVersionId();
                var copyId = random.NewGuid().ToString();
                var headers = source.Blob.Headers with { ContentMd5 = source.Blob.Headers.ContentMd5 ?? written.Md5 };
                var record = new BlobRecord(request.Account, request.Container, request.Blob, CopiedBlobType(source.Blob), length, eTag, now, now, headers, request.Metadata ?? source.Blob.Metadata)
                {
                    EncryptionScope = writeKeys.Scope,
                    CustomerKeySha256 = writeKeys.CustomerKeySha256,
                    VersionId = account.DataProtection.Versioning ? versionId : null,
                    Copy = new BlobCopy(copyId, request.SourceUrl, now),
                    Tags = request.Tags,
                    AccessTier = request.AccessTier,
                    AccessTierChangedOn = request.AccessTier is null ? null : now,
                };
                var details = ContentDetails(length, writeKeys.Scope);
                details.Add(new("source", Resource(request.SourceAccount ?? request.Account, request.SourceContainer, request.SourceBlob)));
                if (request.SourceSelector.VersionId is { } sourceVersion)
                {
                    details.Add(new("sourceVersionId", sourceVersion));
                }

                if (request.SourceSelector.Snapshot is { } sourceSnapshot)
                {
                    details.Add(new("sourceSnapshot", sourceSnapshot));
                }

                var entry = ContentWriteEntry(account.Name, account.AuditDataPlane, BlobOperation.CopyBlob, request.Container, request.Blob, details, [written.Object]);
                var removed = await ReplaceBlobAsync(account, record, written.Object, request.Conditions, versionId, entry, cancellationToken).ConfigureAwait(false);
                committed = true;
                await RemoveFromSitesAsync(removed).ConfigureAwait(false);
                return new CopyBlobResult(copyId, eTag, now, record.VersionId) { EncryptionScope = writeKeys.Scope };
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

    /// <summary>
    /// List Blobs with include=snapshots, versions or deleted: current blobs and their instances in
    /// Azure's order (per name: snapshots, previous versions, the current blob, the soft-deleted
    /// blob). The marker encodes name, rank and instance id, so a page can end inside one name's
    /// instances and the next resumes exactly there.
    /// </summary>
    private async Task<BlobListing> ListBlobEntriesCoreAsync(string account, string container, string? prefix, string? delimiter, string? marker, int maxResults, BlobListIncludes includes, CancellationToken cancellationToken)
    {
        prefix ??= string.Empty;
        delimiter = string.IsNullOrEmpty(delimiter) ? null : delimiter;
        var limit = ClampPage(maxResults);
        var items = new List<BlobListItem>();
        var start = string.IsNullOrEmpty(marker) ? null : DecodeEntryMarker(marker);
        string? lastPrefix = null;

        while (true)
        {
            var requested = limit - items.Count + 1;
            var batch = await store.ListBlobEntriesAsync(new BlobEntryQuery(account, container, prefix, start, requested, includes.Snapshots, includes.Versions, includes.Deleted), cancellationToken).ConfigureAwait(false);
            if (batch.Count == 0)
            {
                return new BlobListing(items, null);
            }

            string? skipTo = null;
            foreach (var entry in batch)
            {
                var name = entry.Position.Name;
                if (lastPrefix is not null && name.StartsWith(lastPrefix, StringComparison.Ordinal))
                {
                    continue;
                }

                if (items.Count == limit)
                {
                    return new BlobListing(items, EncodeEntryMarker(entry.Position));
                }

                var delimiterAt = delimiter is null ? -1 : name.IndexOf(delimiter, prefix.Length, StringComparison.Ordinal);
                if (delimiterAt >= 0)
                {
                    lastPrefix = name[..(delimiterAt + delimiter!.Length)];
                    items.Add(new BlobListItem(null, lastPrefix));
                    skipTo = SuccessorOfPrefix(lastPrefix);
                    if (skipTo is not null)
                    {
                        break;
                    }

                    continue;
                }

                items.Add(new BlobListItem(entry.Blob, null) { Instance = entry.Instance });
            }

            if (skipTo is not null)
            {
                start = new BlobEntryPosition(skipTo, -1, string.Empty);
            }
            else if (batch.Count < requested)
            {
                return new BlobListing(items, null);
            }
            else
            {
                var last = batch[^1].Position;
                start = last with { InstanceId = last.InstanceId + "\0" };
            }
        }
    }

    private const string EntryMarkerPrefix = "1!";

    /// <summary>An opaque marker: "1!" + Base64url of rank, instance id and name (name last: it may hold anything).</summary>
    private static string EncodeEntryMarker(BlobEntryPosition position) =>
        EntryMarkerPrefix + Convert.ToBase64String(Encoding.UTF8.GetBytes($"{position.Rank}\n{position.InstanceId}\n{position.Name}")).TrimEnd('=').Replace('+', '-').Replace('/', '_');

    /// <summary>The position a marker names; a marker not made here (a plain name) starts at that name.</summary>
    private static BlobEntryPosition DecodeEntryMarker(string marker)
    {
        if (marker.StartsWith(EntryMarkerPrefix, StringComparison.Ordinal))
        {
            var text = marker[EntryMarkerPrefix.Length..].Replace('-', '+').Replace('_', '/');
            text = text.PadRight(text.Length + ((4 - (text.Length % 4)) % 4), '=');
            var buffer = new byte[text.Length];
            if (Convert.TryFromBase64String(text, buffer, out var written))
            {
                var parts = Encoding.UTF8.GetString(buffer, 0, written).Split('\n', 3);
                if (parts.Length == 3 && int.TryParse(parts[0], System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var rank))
                {
                    return new BlobEntryPosition(parts[2], rank, parts[1]);
                }
            }
        }

        return new BlobEntryPosition(marker, -1, string.Empty);
    }

}

/// <summary>Which blob a request names: the current one, or a version (<c>?versionid=</c>) or snapshot (<c>?snapshot=</c>).</summary>
public sealed record BlobSelector(string? VersionId = null, string? Snapshot = null)
{
    public static readonly BlobSelector Current = new();

    public bool IsCurrent => VersionId is null && Snapshot is null;
}

/// <summary>A blob read by a selector, with whether it is the current version.</summary>
public sealed record SelectedBlob(BlobRecord Blob, IReadOnlyList<BlobPart> Parts, bool IsCurrent);

/// <summary>x-ms-delete-snapshots.</summary>
public enum DeleteSnapshots
{
    None,
    Include,
    Only,
}

/// <summary>Delete Blob's options: what it names, what happens to snapshots, and deletetype=permanent.</summary>
public sealed record DeleteBlobOptions(BlobSelector Selector, DeleteSnapshots Snapshots = DeleteSnapshots.None, bool Permanent = false)
{
    public static readonly DeleteBlobOptions Default = new(BlobSelector.Current);
}

/// <summary>List Blobs' include values that add instances to the listing.</summary>
public sealed record BlobListIncludes(bool Snapshots = false, bool Versions = false, bool Deleted = false)
{
    public static readonly BlobListIncludes None = new();

    public bool Any => Snapshots || Versions || Deleted;
}

/// <summary>Copy Blob (From URL) inside one account: the destination, the source (its URL as given, container, blob, version or snapshot), metadata (null: the source's), destination conditions and encryption.</summary>
public sealed record CopyBlobRequest(
    string Account,
    string Container,
    string Blob,
    string SourceUrl,
    string SourceContainer,
    string SourceBlob,
    BlobSelector SourceSelector,
    IReadOnlyList<KeyValuePair<string, string>>? Metadata,
    AccessConditions Conditions)
{
    public BlobEncryptionOptions Encryption { get; init; } = BlobEncryptionOptions.None;

    /// <summary><c>x-ms-tags</c>, validated: the destination's tags (Azure copies no tags from the source).</summary>
    public IReadOnlyList<KeyValuePair<string, string>> Tags { get; init; } = BlobTags.None;
    /// <summary>x-ms-source-if-* (issue 8): checked against the source; a failure is 412 SourceConditionNotMet.</summary>
    public AccessConditions SourceConditions { get; init; } = AccessConditions.None;

    /// <summary>x-ms-access-tier of the destination (issue 8); null: not set.</summary>
    public AccessTier? AccessTier { get; init; }

    /// <summary>The source's account when it is another account of this server (issue 8: authorized by a SAS in the source URL); null: the request's.</summary>
    public string? SourceAccount { get; init; }
}

/// <summary>A copy that completed (synchronous): its copy id, the destination's ETag, Last-Modified and version id.</summary>
public sealed record CopyBlobResult(string CopyId, string ETag, DateTimeOffset LastModified, string? VersionId)
{
    public string? EncryptionScope { get; init; }
}
