using Strongroom.Audit;
using Strongroom.Core;
using Strongroom.Storage;

namespace Strongroom.Blobs;

/// <summary>
/// The blob service: the narrow waist every protocol calls. It knows no wire format. Containers
/// and listings live here; the write and read pipelines are in BlobService.Write.cs and
/// BlobService.Read.cs.
/// </summary>
public sealed partial class BlobService
{
    private readonly ETags eTags = new(time, random);

    /// <summary>
    /// Both shared keys of an enabled or closed account (a closed one's are marked, so a request
    /// signed with them is refused as AccountIsDisabled after its signature verified), or null
    /// (unknown, disabled, or destroyed: its keys no longer exist).
    /// </summary>
    public async Task<SharedKeys?> GetSharedKeysAsync(string account, CancellationToken cancellationToken = default)
    {
        var record = await store.GetAccountAsync(account, cancellationToken).ConfigureAwait(false);
        if (record is null || record.State is not (AccountState.Enabled or AccountState.Closed))
        {
            return null;
        }

        return new SharedKeys(
            keys.UnwrapSharedKey(account, 1, record.WrappedSharedKey1),
            keys.UnwrapSharedKey(account, 2, record.WrappedSharedKey2))
        {
            AccountEnabled = record.State == AccountState.Enabled,
        };
    }

    public Task<ContainerRecord> CreateContainerAsync(string account, string container, IReadOnlyList<KeyValuePair<string, string>> metadata, CancellationToken cancellationToken = default) =>
        CreateContainerAsync(account, container, metadata, defaultEncryptionScope: null, denyEncryptionScopeOverride: false, cancellationToken);

    /// <summary>
    /// Creates a container, optionally with a default encryption scope (null or
    /// <c>$account-encryption-key</c>: the account key) and Azure's deny-override policy, both fixed
    /// for the container's life. EncryptionScopeNotFound / EncryptionScopeDisabled for the default.
    /// </summary>
    public async Task<ContainerRecord> CreateContainerAsync(string account, string container, IReadOnlyList<KeyValuePair<string, string>> metadata, string? defaultEncryptionScope, bool denyEncryptionScopeOverride, CancellationToken cancellationToken = default)
    {
        RequireContainerName(container);
        Names.ValidateMetadata(metadata);
        var scope = EncryptionScopeNames.Normalize(defaultEncryptionScope);
        if (scope is not null)
        {
            await RequireUsableScopeAsync(account, scope, cancellationToken).ConfigureAwait(false);
        }

        var (eTag, now) = eTags.Next();
        var record = new ContainerRecord(account, container, eTag, now, now, metadata)
        {
            DefaultEncryptionScope = scope,
            DenyEncryptionScopeOverride = denyEncryptionScopeOverride,
        };
        var setting = await DataPlaneLoggingAsync(account, cancellationToken).ConfigureAwait(false);
        IReadOnlyList<KeyValuePair<string, string>>? details = scope is null ? null : [new("defaultEncryptionScope", scope), new("denyEncryptionScopeOverride", denyEncryptionScopeOverride ? "true" : "false")];
        await store.CreateContainerAsync(record, audit: WriteEntry(account, setting, BlobOperation.CreateContainer, container, null, details), cancellationToken: cancellationToken).ConfigureAwait(false);
        return record;
    }

    public Task<ContainerRecord> GetContainerAsync(string account, string container, CancellationToken cancellationToken = default) =>
        GetContainerAsync(account, container, BlobOperation.GetContainerProperties, cancellationToken);

    /// <summary>Get Container Properties or Get Container Metadata (<paramref name="operation"/> names which, for the log).</summary>
    public async Task<ContainerRecord> GetContainerAsync(string account, string container, BlobOperation operation, CancellationToken cancellationToken = default)
    {
        var record = await RequireContainerAsync(account, container, cancellationToken).ConfigureAwait(false);
        var setting = await DataPlaneLoggingAsync(account, cancellationToken).ConfigureAwait(false);
        await RecordReadAsync(account, setting, operation, container, null, cancellationToken).ConfigureAwait(false);
        return record;
    }

    /// <summary>The container, for the service's own checks (not an operation: nothing is recorded). ContainerNotFound.</summary>
    private async Task<ContainerRecord> RequireContainerAsync(string account, string container, CancellationToken cancellationToken)
    {
        RequireContainerName(container);
        return await store.GetContainerAsync(account, container, cancellationToken).ConfigureAwait(false)
            ?? throw new StorageException(ErrorCode.ContainerNotFound);
    }

    public async Task<ContainerRecord> SetContainerMetadataAsync(string account, string container, IReadOnlyList<KeyValuePair<string, string>> metadata, AccessConditions conditions, CancellationToken cancellationToken = default)
    {
        RequireContainerName(container);
        Names.ValidateMetadata(metadata);
        var setting = await DataPlaneLoggingAsync(account, cancellationToken).ConfigureAwait(false);
        var (eTag, now) = eTags.Next();
        return await store.SetContainerMetadataAsync(
            account,
            container,
            metadata,
            eTag,
            now,
            current =>
            {
                CheckContainerLease(conditions.LeaseId, current, required: false);
                Conditions.CheckWrite(conditions, current.ETag, current.LastModified);
            },
            audit: WriteEntry(account, setting, BlobOperation.SetContainerMetadata, container, null),
            cancellationToken: cancellationToken).ConfigureAwait(false);
    }

    public async Task DeleteContainerAsync(string account, string container, AccessConditions conditions, CancellationToken cancellationToken = default)
    {
        RequireContainerName(container);
        if ((await store.GetAccountAsync(account, cancellationToken).ConfigureAwait(false))?.DataProtection.ContainerSoftDeleteDays is { } retentionDays)
        {
            await SoftDeleteContainerAsync(account, container, conditions, retentionDays, cancellationToken).ConfigureAwait(false);
            return;
        }

        // Deletions are always recorded, naming the sites the container's ciphertext is removed from.
        var entry = await DeletionEntryAsync(account, BlobOperation.DeleteContainer, container, null, cancellationToken).ConfigureAwait(false);
        // Without container soft delete a deletion is a crypto-shredding (issue 7): the data keys go
        // with the rows in one commit that records the destruction and a tombstone per copy; the
        // copies are then removed here, and the destruction sweep completes what this leaves.
        var commit = await ((IDestructionStore)store).DestroyContainerAsync(
            account,
            container,
            account + "/" + container,
            random.NewOpaqueId(),
            time.GetUtcNow(),
            current =>
            {
                CheckContainerLease(conditions.LeaseId, current, required: true);
                Conditions.CheckWrite(conditions, current.ETag, current.LastModified);
            },
            operationEntry: entry,
            destruction => DestructionEntries.KeysDestroyed(audit, destruction),
            cancellationToken).ConfigureAwait(false);
        await RemoveFromSitesAsync(commit.Removed).ConfigureAwait(false);
    }

    public async Task<ContainerListing> ListContainersAsync(string account, string? prefix, string? marker, int maxResults, CancellationToken cancellationToken = default)
    {
        var page = await store.ListContainersAsync(account, prefix ?? string.Empty, string.IsNullOrEmpty(marker) ? null : marker, ClampPage(maxResults), cancellationToken).ConfigureAwait(false);
        var setting = await DataPlaneLoggingAsync(account, cancellationToken).ConfigureAwait(false);
        await RecordReadAsync(account, setting, BlobOperation.ListContainers, null, null, cancellationToken).ConfigureAwait(false);
        return new ContainerListing(page.Containers, page.NextName);
    }

    /// <summary>
    /// Lists blobs in name order. With a delimiter, names that contain it after the prefix collapse
    /// into one prefix entry each, and the store is asked to skip past the whole prefix instead of
    /// scanning it. The marker is the name where the next page resumes.
    /// </summary>
    public Task<BlobListing> ListBlobsAsync(string account, string container, string? prefix, string? delimiter, string? marker, int maxResults, CancellationToken cancellationToken = default) =>
        ListBlobsAsync(account, container, prefix, delimiter, marker, maxResults, BlobListIncludes.None, cancellationToken);

    /// <summary>As above; with <paramref name="includes"/> naming snapshots, versions or deleted blobs, their instances are listed too (BlobService.Versions.cs).</summary>
    public async Task<BlobListing> ListBlobsAsync(string account, string container, string? prefix, string? delimiter, string? marker, int maxResults, BlobListIncludes includes, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(includes);
        await RequireContainerAsync(account, container, cancellationToken).ConfigureAwait(false);
        var listing = includes.Any
            ? await ListBlobEntriesCoreAsync(account, container, prefix, delimiter, marker, maxResults, includes, cancellationToken).ConfigureAwait(false)
            : await ListBlobsCoreAsync(account, container, prefix, delimiter, marker, maxResults, cancellationToken).ConfigureAwait(false);
        var setting = await DataPlaneLoggingAsync(account, cancellationToken).ConfigureAwait(false);
        await RecordReadAsync(account, setting, BlobOperation.ListBlobs, container, null, cancellationToken).ConfigureAwait(false);
        return listing;
    }

    private async Task<BlobListing> ListBlobsCoreAsync(string account, string container, string? prefix, string? delimiter, string? marker, int maxResults, CancellationToken cancellationToken)
    {
        prefix ??= string.Empty;
        delimiter = string.IsNullOrEmpty(delimiter) ? null : delimiter;
        var limit = ClampPage(maxResults);
        var items = new List<BlobListItem>();
        var startAt = string.IsNullOrEmpty(marker) ? null : marker;
        string? lastPrefix = null;

        while (true)
        {
            var requested = limit - items.Count + 1;
            var batch = await store.ListBlobsAsync(new BlobListQuery(account, container, prefix, startAt, requested), cancellationToken).ConfigureAwait(false);
            if (batch.Count == 0)
            {
                return new BlobListing(items, null);
            }

            string? skipTo = null;
            foreach (var blob in batch)
            {
                if (lastPrefix is not null && blob.Name.StartsWith(lastPrefix, StringComparison.Ordinal))
                {
                    continue;
                }

                if (items.Count == limit)
                {
                    return new BlobListing(items, blob.Name);
                }

                var delimiterAt = delimiter is null ? -1 : blob.Name.IndexOf(delimiter, prefix.Length, StringComparison.Ordinal);
                if (delimiterAt >= 0)
                {
                    lastPrefix = blob.Name[..(delimiterAt + delimiter!.Length)];
                    items.Add(new BlobListItem(null, lastPrefix));
                    skipTo = SuccessorOfPrefix(lastPrefix);
                    if (skipTo is not null)
                    {
                        break;
                    }

                    continue;
                }

                items.Add(new BlobListItem(blob, null));
            }

            if (skipTo is not null)
            {
                startAt = skipTo;
            }
            else if (batch.Count < requested)
            {
                // The store returned fewer than asked: the listing is exhausted.
                return new BlobListing(items, null);
            }
            else
            {
                startAt = batch[^1].Name + "\0";
            }
        }
    }

    public Task<BlobRecord> GetBlobPropertiesAsync(string account, string container, string blob, AccessConditions conditions, CancellationToken cancellationToken = default) =>
        GetBlobPropertiesAsync(account, container, blob, conditions, customerKey: null, cancellationToken);

    /// <summary>Properties need the blob's customer-provided key, if it has one, and an enabled scope (as in Azure).</summary>
    public Task<BlobRecord> GetBlobPropertiesAsync(string account, string container, string blob, AccessConditions conditions, CustomerProvidedKey? customerKey, CancellationToken cancellationToken = default) =>
        GetBlobPropertiesAsync(account, container, blob, conditions, customerKey, BlobOperation.GetBlobProperties, cancellationToken);

    /// <summary>Get Blob Properties or Get Blob Metadata (<paramref name="operation"/> names which, for the log).</summary>
    public async Task<BlobRecord> GetBlobPropertiesAsync(string account, string container, string blob, AccessConditions conditions, CustomerProvidedKey? customerKey, BlobOperation operation, CancellationToken cancellationToken = default) =>
        (await GetBlobPropertiesAsync(account, container, blob, BlobSelector.Current, conditions, customerKey, operation, cancellationToken).ConfigureAwait(false)).Blob;

    public Task<BlobRecord> SetBlobHttpHeadersAsync(string account, string container, string blob, BlobHttpHeaders headers, AccessConditions conditions, CancellationToken cancellationToken = default) =>
        UpdateBlobAsync(account, container, blob, conditions, BlobOperation.SetBlobProperties, current => current with { Headers = headers }, cancellationToken);

    // Set Blob Properties changes the current version in place (Azure creates no version for it); Set Blob Metadata makes a new one.

    public Task<BlobRecord> SetBlobMetadataAsync(string account, string container, string blob, IReadOnlyList<KeyValuePair<string, string>> metadata, AccessConditions conditions, CancellationToken cancellationToken = default) =>
        SetBlobMetadataAsync(account, container, blob, metadata, conditions, BlobEncryptionOptions.None, cancellationToken);

    /// <summary>
    /// Set Blob Metadata takes the blob's customer-provided key, if it has one, and may name the
    /// blob's own scope but no other (BlobCustomerSpecifiedEncryptionMismatch); the scope must be enabled.
    /// </summary>
    public async Task<BlobRecord> SetBlobMetadataAsync(string account, string container, string blob, IReadOnlyList<KeyValuePair<string, string>> metadata, AccessConditions conditions, BlobEncryptionOptions encryption, CancellationToken cancellationToken = default)
    {
        Names.ValidateMetadata(metadata);
        var existing = await GetExistingBlobAsync(account, container, blob, cancellationToken).ConfigureAwait(false);
        await CheckReadableAsync(existing, [existing.EncryptionScope], encryption.CustomerKey, requireKeyAvailable: true, cancellationToken).ConfigureAwait(false);
        return await UpdateBlobAsync(
            account,
            container,
            blob,
            conditions,
            BlobOperation.SetBlobMetadata,
            current =>
            {
                CheckCustomerKey(current.CustomerKeySha256, encryption.CustomerKey);
                if (encryption.EncryptionScope is not null && EncryptionScopeNames.Normalize(encryption.EncryptionScope) != current.EncryptionScope)
                {
                    throw new StorageException(ErrorCode.BlobCustomerSpecifiedEncryptionMismatch);
                }

                return current with { Metadata = metadata };
            },
            cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Delete Blob of the current blob; deletions are always recorded, naming the sites the blob's ciphertext is removed from (BlobService.Versions.cs).</summary>
    public Task DeleteBlobAsync(string account, string container, string blob, AccessConditions conditions, CancellationToken cancellationToken = default) =>
        DeleteBlobAsync(account, container, blob, conditions, DeleteBlobOptions.Default, cancellationToken);

    private async Task<BlobRecord> UpdateBlobAsync(string account, string container, string blob, AccessConditions conditions, BlobOperation operation, Func<BlobRecord, BlobRecord> change, CancellationToken cancellationToken)
    {
        await RequireContainerAsync(account, container, cancellationToken).ConfigureAwait(false);
        RequireBlobName(blob);
        var accountRecord = await RequireAccountAsync(account, cancellationToken).ConfigureAwait(false);
        return await StampedAsync(async () =>
        {
            var (eTag, now, versionId) = eTags.NextWithVersionId();
            var newVersion = operation == BlobOperation.SetBlobMetadata && accountRecord.DataProtection.Versioning;
            return await store.UpdateBlobPropertiesAsync(
                account,
                container,
                blob,
                current =>
                {
                    CheckBlobLease(conditions.LeaseId, current);
                    Conditions.CheckWrite(conditions, current.ETag, current.LastModified, tags: current.Tags);
                    RequireOnline(current);
                    return change(current) with { ETag = eTag, LastModified = now, VersionId = newVersion ? versionId : current.VersionId };
                },
                newVersion ? ArchiveForWrite(accountRecord, contentWrite: false, now, versionId) : null,
                audit: WriteEntry(account, accountRecord.AuditDataPlane, operation, container, blob),
                cancellationToken: cancellationToken).ConfigureAwait(false);
        }).ConfigureAwait(false);
    }

    private async Task<BlobRecord> GetExistingBlobAsync(string account, string container, string blob, CancellationToken cancellationToken)
    {
        RequireContainerName(container);
        RequireBlobName(blob);
        var record = await store.GetBlobAsync(account, container, blob, cancellationToken).ConfigureAwait(false);
        if (record is not null)
        {
            return record;
        }

        await RequireContainerAsync(account, container, cancellationToken).ConfigureAwait(false);
        throw new StorageException(ErrorCode.BlobNotFound);
    }

    /// <summary>
    /// Ciphertext of dropped objects is removed after the metadata commit, from every copy in
    /// parallel. A site that cannot take the deletion gets a tombstone the repair worker carries
    /// later (the ciphertext is unreadable meanwhile: its key row is gone); it never fails the
    /// request that already committed.
    /// </summary>
    private Task RemoveFromSitesAsync(IReadOnlyList<StoredObject> removed) => sites.DeleteAsync(removed);

    /// <summary>Removes an object whose metadata commit failed: only its Present copies were ever written.</summary>
    private Task RemoveUnrecordedAsync(StoredObject written) =>
        sites.DeleteAsync([written with { Copies = written.Copies.Where(copy => copy.State == CopyState.Present).ToList() }]);

    private static int ClampPage(int maxResults) =>
        maxResults <= 0 ? Limits.ListResultsMax : Math.Min(maxResults, Limits.ListResultsMax);

    /// <summary>The least string greater than every string that starts with <paramref name="prefix"/>,
    /// or null when the last character cannot be incremented safely (then the caller scans).</summary>
    private static string? SuccessorOfPrefix(string prefix)
    {
        var last = prefix[^1];
        if (char.IsSurrogate(last) || last >= '\uD7FF')
        {
            return null;
        }

        return string.Concat(prefix.AsSpan(0, prefix.Length - 1), ((char)(last + 1)).ToString());
    }

    internal static void RequireContainerName(string container)
    {
        if (!Names.IsValidContainerName(container))
        {
            throw new StorageException(ErrorCode.InvalidResourceName, "The specified resource name contains invalid characters.");
        }
    }

    internal static void RequireBlobName(string blob)
    {
        if (!Names.IsValidBlobName(blob))
        {
            throw new StorageException(ErrorCode.InvalidResourceName, "The specified resource name length is not within the permissible limits.");
        }
    }
}
