using System.Globalization;
using Strongroom.Audit;
using Strongroom.Core;
using Strongroom.Placement;
using Strongroom.Storage;
using Strongroom.Vault;

namespace Strongroom.Destruction;

/// <summary>What one sweep pass did (and what it could not do, with the reason).</summary>
public sealed record SweepPass(
    int InstancesPurged,
    int ContainersDestroyed,
    int AccountsDestroyed,
    int CopiesDeleted,
    int DestructionsCompleted,
    int CertificatesIssued,
    IReadOnlyList<string> Blocked);

/// <summary>
/// Crypto-shredding: purging soft-deleted data past its retention (or early, by a tenant
/// administrator), closing, reopening and destroying accounts, and sweeping sites until no
/// ciphertext of a destroyed scope remains. Keys first, always: every removal from a site follows
/// the commit that erased the keys that could read it (the store writes a tombstone per copy in
/// that commit). A legal hold blocks a purge or an account's destruction; it is reported, never
/// forced. Everything runs on the injected clock.
/// </summary>
public sealed class DestructionService
{
    private readonly IMetadataStore store;
    private readonly IDestructionStore destructions;
    private readonly SiteSet sites;
    private readonly TenantKeys keys;
    private readonly TransparencyLog audit;
    private readonly TimeProvider time;
    private readonly IRandomSource random;
    private readonly Func<DestructionRecord, CancellationToken, Task>? issueCertificate;
    private readonly SemaphoreSlim passLock = new(1, 1);

    /// <param name="issueCertificate">Issues the next certificate revision of a destruction
    /// (<see cref="CertificateService.IssueAsync"/>); null: none are issued (tests of the sweep alone).</param>
    public DestructionService(IMetadataStore store, SiteSet sites, TenantKeys keys, TransparencyLog audit, TimeProvider time, IRandomSource random, Func<DestructionRecord, CancellationToken, Task>? issueCertificate = null)
    {
        ArgumentNullException.ThrowIfNull(store);
        this.store = store;
        destructions = (IDestructionStore)store;
        this.sites = sites;
        this.keys = keys;
        this.audit = audit;
        this.time = time;
        this.random = random;
        this.issueCertificate = issueCertificate;
    }

    /// <summary>
    /// Closes an enabled account: the data plane refuses it at once (403 AccountIsDisabled, no Key
    /// Vault token, no grant); after <paramref name="grace"/> its keys are destroyed by the sweep.
    /// InvalidAccountState unless enabled; InvalidDataProtectionSetting for a grace out of bounds.
    /// </summary>
    public async Task<AccountRecord> CloseAccountAsync(string account, TimeSpan grace, CancellationToken cancellationToken = default)
    {
        if (grace < TimeSpan.Zero || grace > Limits.AccountCloseGraceMax)
        {
            throw new StorageException(ErrorCode.InvalidDataProtectionSetting, $"A grace period is 0 to {Limits.AccountCloseGraceMax.TotalDays.ToString(CultureInfo.InvariantCulture)} days.");
        }

        var now = time.GetUtcNow();
        var destroyAfter = now + grace;
        var entry = audit.Entry(account, AuditActions.CloseAccount, "/" + account, details: [new("destroyAfter", destroyAfter.ToString("O", CultureInfo.InvariantCulture))]);
        var closed = await destructions.CloseAccountAsync(account, now, destroyAfter, entry, cancellationToken).ConfigureAwait(false);
        keys.Forget(account);
        return closed;
    }

    /// <summary>Reopens a closed account before its grace period ends. InvalidAccountState otherwise (a destroyed account stays destroyed).</summary>
    public Task<AccountRecord> ReopenAccountAsync(string account, CancellationToken cancellationToken = default) =>
        destructions.ReopenAccountAsync(account, time.GetUtcNow(), audit.Entry(account, AuditActions.ReopenAccount, "/" + account), cancellationToken);

    /// <summary>
    /// Destroys an account now, whatever its state (the CLI's <c>account delete --yes</c>): closes
    /// it with no grace when open, then destroys its keys as the sweep would, and issues the
    /// certificate. No path deletes an account without crypto-shredding it. A legal hold refuses it.
    /// </summary>
    public async Task<DestructionRecord> DestroyAccountNowAsync(string account, CancellationToken cancellationToken = default)
    {
        var record = await store.GetAccountAsync(account, cancellationToken).ConfigureAwait(false) ?? throw new StorageException(ErrorCode.AccountNotFound);
        if (record.State == AccountState.Destroyed)
        {
            throw new StorageException(ErrorCode.InvalidAccountState, $"Account '{account}' is already destroyed.");
        }

        if (record.State != AccountState.Closed)
        {
            if (record.State == AccountState.Disabled)
            {
                throw new StorageException(ErrorCode.InvalidAccountState, $"Account '{account}' is disabled; enable or close it first.");
            }

            await CloseAccountAsync(account, TimeSpan.Zero, cancellationToken).ConfigureAwait(false);
        }

        var destruction = await DestroyAccountAsync(account, cancellationToken).ConfigureAwait(false);
        await SweepDestructionAsync(destruction, cancellationToken).ConfigureAwait(false);
        return await destructions.GetDestructionAsync(destruction.Id, cancellationToken).ConfigureAwait(false) ?? destruction;
    }

    /// <summary>
    /// Early purge by a tenant administrator: a soft-deleted container by name and version
    /// (<see cref="ErrorCode.ContainerNotDeleted"/> when there is none), destroyed with a certificate.
    /// </summary>
    public async Task<DestructionRecord> PurgeContainerAsync(string account, string container, string version, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(container);
        ArgumentException.ThrowIfNullOrEmpty(version);
        await RequireOpenAccountAsync(account, cancellationToken).ConfigureAwait(false);
        var key = VersionIds.DeletedContainerKey(container, version);
        DestructionRecord destruction;
        try
        {
            destruction = await DestroyContainerAsync(account, key, container, cancellationToken).ConfigureAwait(false);
        }
        catch (StorageException error) when (error.Code == ErrorCode.ContainerNotFound)
        {
            throw new StorageException(ErrorCode.ContainerNotDeleted, $"No soft-deleted container '{container}' with version '{version}'.");
        }

        await SweepDestructionAsync(destruction, cancellationToken).ConfigureAwait(false);
        return await destructions.GetDestructionAsync(destruction.Id, cancellationToken).ConfigureAwait(false) ?? destruction;
    }

    /// <summary>
    /// Early purge by a tenant administrator of a blob's soft-deleted instances; returns how many.
    /// BlobNotFound when the blob has none; BlobImmutableDueToLegalHold under a hold.
    /// </summary>
    public async Task<int> PurgeBlobAsync(string account, string container, string blob, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(container);
        ArgumentException.ThrowIfNullOrEmpty(blob);
        await RequireOpenAccountAsync(account, cancellationToken).ConfigureAwait(false);
        var instances = await destructions.ListDeletedInstancesAsync(account, container, blob, cancellationToken).ConfigureAwait(false);
        if (instances.Count == 0)
        {
            throw new StorageException(ErrorCode.BlobNotFound, $"Blob '{container}/{blob}' has no soft-deleted data.");
        }

        return await PurgeInstancesAsync(instances, cancellationToken).ConfigureAwait(false);
    }

    public Task<IReadOnlyList<DestructionRecord>> ListDestructionsAsync(string account, CancellationToken cancellationToken = default) =>
        destructions.ListDestructionsAsync(account, cancellationToken);

    /// <summary>One destruction of <paramref name="account"/>; DestructionNotFound otherwise.</summary>
    public async Task<DestructionRecord> GetDestructionAsync(string account, string id, CancellationToken cancellationToken = default) =>
        await destructions.GetDestructionAsync(id, cancellationToken).ConfigureAwait(false) is { } found && string.Equals(found.Account, account, StringComparison.Ordinal)
            ? found
            : throw new StorageException(ErrorCode.DestructionNotFound);

    /// <summary>
    /// One sweep pass: purge instances and containers past their retention, destroy closed accounts
    /// past their grace (not while anything in them is under a legal hold), purge customer-managed
    /// keys whose recoverable period ended, delete the copies every open destruction still owes
    /// from each site that is up, complete destructions, and issue the certificates owed.
    /// </summary>
    public async Task<SweepPass> SweepAsync(CancellationToken cancellationToken = default)
    {
        await passLock.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            return await SweepCoreAsync(cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            passLock.Release();
        }
    }

    private async Task<SweepPass> SweepCoreAsync(CancellationToken cancellationToken)
    {
        var blocked = new List<string>();
        var now = time.GetUtcNow();
        var instancesPurged = 0;
        foreach (var instance in await destructions.ListInstancesDueAsync(now, Limits.PurgeBatchMax, cancellationToken).ConfigureAwait(false))
        {
            try
            {
                instancesPurged += await PurgeInstancesAsync([instance], cancellationToken).ConfigureAwait(false);
            }
            catch (StorageException error) when (error.Code is ErrorCode.BlobNotFound or ErrorCode.BlobImmutableDueToLegalHold or ErrorCode.ContainerImmutableDueToLegalHold)
            {
                // Restored, purged or put under a hold since it was listed: the hold waits.
                if (error.Code != ErrorCode.BlobNotFound)
                {
                    blocked.Add($"{instance.Account}/{instance.Container}/{instance.Blob}: legal hold");
                }
            }
        }

        var containersDestroyed = 0;
        foreach (var container in await destructions.ListContainersDueAsync(now, Limits.PurgeBatchMax, cancellationToken).ConfigureAwait(false))
        {
            try
            {
                await DestroyContainerAsync(container.Account, container.InternalName, container.DeletedName, cancellationToken).ConfigureAwait(false);
                containersDestroyed++;
            }
            catch (StorageException error) when (error.Code is ErrorCode.ContainerNotFound or ErrorCode.ContainerImmutableDueToLegalHold)
            {
                if (error.Code != ErrorCode.ContainerNotFound)
                {
                    blocked.Add($"{container.Account}/{container.DeletedName}: legal hold");
                }
            }
        }

        var accountsDestroyed = 0;
        foreach (var account in await destructions.ListAccountsDueAsync(now, cancellationToken).ConfigureAwait(false))
        {
            try
            {
                await DestroyAccountAsync(account.Name, cancellationToken).ConfigureAwait(false);
                accountsDestroyed++;
            }
            catch (StorageException error) when (error.Code is ErrorCode.ContainerImmutableDueToLegalHold or ErrorCode.InvalidAccountState)
            {
                if (error.Code == ErrorCode.ContainerImmutableDueToLegalHold)
                {
                    blocked.Add($"{account.Name}: legal hold; the account's keys are kept until it is released");
                }
            }
        }

        var vaultChanged = await destructions.PurgeDueVaultItemsAsync(
            now,
            (destruction, destroyed) => SystemEntry(
                destruction.Account,
                AuditActions.DestroyVaultKeys,
                "/" + destruction.Account,
                [new("destruction", destruction.Id), .. DestructionEntries.KeyIds(destroyed)]),
            cancellationToken).ConfigureAwait(false);

        var copiesDeleted = 0;
        var completed = 0;
        var certificates = await IssueOwedCertificatesAsync(cancellationToken).ConfigureAwait(false);
        foreach (var destruction in await destructions.ListSweepingDestructionsAsync(cancellationToken).ConfigureAwait(false))
        {
            var (deleted, done) = await SweepOneAsync(destruction, cancellationToken).ConfigureAwait(false);
            copiesDeleted += deleted;
            completed += done ? 1 : 0;
        }

        // Including the revisions owed by customer-managed keys purged after their recoverable period.
        certificates += await IssueOwedCertificatesAsync(cancellationToken).ConfigureAwait(false);

        if (instancesPurged + containersDestroyed + accountsDestroyed + completed + vaultChanged.Count > 0)
        {
            // Each destruction's commit already truncated the WAL (the store does so for every write
            // that erases keys); this leaves it empty of the pass's later writes too.
            await destructions.TruncateWriteAheadLogAsync(cancellationToken).ConfigureAwait(false);
        }

        return new SweepPass(instancesPurged, containersDestroyed, accountsDestroyed, copiesDeleted, completed, certificates, blocked);
    }

    /// <summary>Sweeps one destruction right after its keys went, and issues its certificates (early purge, immediate destruction).</summary>
    private async Task SweepDestructionAsync(DestructionRecord destruction, CancellationToken cancellationToken)
    {
        await passLock.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            await IssueOwedCertificatesAsync(cancellationToken).ConfigureAwait(false);
            await SweepOneAsync(destruction, cancellationToken).ConfigureAwait(false);
            await IssueOwedCertificatesAsync(cancellationToken).ConfigureAwait(false);
            await destructions.TruncateWriteAheadLogAsync(cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            passLock.Release();
        }
    }

    private async Task<int> PurgeInstancesAsync(IReadOnlyList<BlobInstanceKey> instances, CancellationToken cancellationToken)
    {
        var first = instances[0];
        var entry = audit.Entry(
            first.Account,
            AuditActions.PurgeBlob,
            $"/{first.Account}/{first.Container}/{first.Blob}",
            details: [new("instances", instances.Count.ToString(CultureInfo.InvariantCulture))]);
        var purge = await destructions.PurgeBlobInstancesAsync(instances, entry, cancellationToken).ConfigureAwait(false);

        // The data keys went with the objects rows in that commit; now the ciphertext.
        await DeleteCopiesAsync(purge.Removed, cancellationToken).ConfigureAwait(false);
        return purge.Instances;
    }

    private async Task<DestructionRecord> DestroyContainerAsync(string account, string internalName, string name, CancellationToken cancellationToken)
    {
        var commit = await destructions.DestroyContainerAsync(
            account,
            internalName,
            account + "/" + name,
            random.NewOpaqueId(),
            time.GetUtcNow(),
            precondition: null,
            operationEntry: null,
            destruction => DestructionEntry(destruction),
            cancellationToken).ConfigureAwait(false);
        return commit.Destruction;
    }

    private async Task<DestructionRecord> DestroyAccountAsync(string account, CancellationToken cancellationToken)
    {
        var commit = await destructions.DestroyAccountAsync(account, random.NewOpaqueId(), time.GetUtcNow(), destruction => DestructionEntry(destruction), cancellationToken).ConfigureAwait(false);

        // The wrapped keys are erased; drop every unwrapped copy this process holds.
        keys.Forget(account);
        return commit.Destruction;
    }

    /// <summary>Deletes the copies a destruction still owes from every site that is up; completes it when none remain.</summary>
    private async Task<(int Deleted, bool Completed)> SweepOneAsync(DestructionRecord destruction, CancellationToken cancellationToken)
    {
        var deleted = 0;
        foreach (var site in destruction.Sites.Where(site => !site.SweepComplete))
        {
            if (!sites.TryGet(site.SiteId, out var resident))
            {
                continue;
            }

            var removedSite = resident.Descriptor.State == SiteState.Removed;
            if (!removedSite && !sites.IsUp(resident.Id))
            {
                continue;
            }

            while (true)
            {
                var batch = await destructions.ListDestructionTombstonesAsync(destruction.Id, site.SiteId, Limits.RepairBatchMax, cancellationToken).ConfigureAwait(false);
                if (batch.Count == 0)
                {
                    break;
                }

                var carried = new List<SiteObject>(batch.Count);
                var failed = false;
                foreach (var tombstone in batch)
                {
                    if (removedSite)
                    {
                        // A removed site was drained and taken out of service: nothing to reach.
                        carried.Add(tombstone);
                        continue;
                    }

                    try
                    {
                        await resident.DeleteAsync(tombstone.ObjectId, cancellationToken).ConfigureAwait(false);
                        carried.Add(tombstone);
                        deleted++;
                    }
                    catch (FileNotFoundException)
                    {
                        carried.Add(tombstone);
                    }
                    catch (IOException exception)
                    {
                        sites.ReportFailure(resident.Id, exception);
                        failed = true;
                        break;
                    }
                }

                await ((IPlacementStore)store).RemoveTombstonesAsync(carried, cancellationToken).ConfigureAwait(false);
                if (failed || batch.Count < Limits.RepairBatchMax)
                {
                    break;
                }
            }
        }

        var updated = await destructions.UpdateSweepAsync(
            destruction.Id,
            time.GetUtcNow(),
            done => SystemEntry(done.Account, AuditActions.SweepComplete, "/" + done.Scope, [new("destruction", done.Id), new("sites", string.Join(' ', done.Sites.Select(site => site.SiteId)))]),
            cancellationToken).ConfigureAwait(false);
        return (deleted, updated.State == DestructionState.Complete);
    }

    private async Task<int> IssueOwedCertificatesAsync(CancellationToken cancellationToken)
    {
        if (issueCertificate is null)
        {
            return 0;
        }

        var issued = 0;
        foreach (var destruction in await destructions.ListCertificatesOwedAsync(cancellationToken).ConfigureAwait(false))
        {
            await issueCertificate(destruction, cancellationToken).ConfigureAwait(false);
            issued++;
        }

        return issued;
    }

    private async Task DeleteCopiesAsync(IReadOnlyList<StoredObject> removed, CancellationToken cancellationToken)
    {
        var objects = new ObjectSites(sites, (IPlacementStore)store, time, random);
        cancellationToken.ThrowIfCancellationRequested();
        await objects.DeleteAsync(removed).ConfigureAwait(false);
    }

    private async Task RequireOpenAccountAsync(string account, CancellationToken cancellationToken)
    {
        var record = await store.GetAccountAsync(account, cancellationToken).ConfigureAwait(false) ?? throw new StorageException(ErrorCode.AccountNotFound);
        if (record.State != AccountState.Enabled)
        {
            throw new StorageException(ErrorCode.AccountClosed, $"Account '{account}' is not open.");
        }
    }

    private AuditAppend DestructionEntry(DestructionRecord destruction) => DestructionEntries.KeysDestroyed(audit, destruction);

    private AuditAppend SystemEntry(string account, string action, string resource, IReadOnlyList<KeyValuePair<string, string>> details) =>
        audit.Entry(account, action, resource, details: details);
}
