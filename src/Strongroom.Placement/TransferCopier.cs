using Strongroom.Audit;
using Strongroom.Core;
using Strongroom.Storage;

namespace Strongroom.Placement;

/// <summary>
/// An approved cross-border transfer, as placement sees it: exactly the blobs of one container
/// (under a literal prefix, when given) of one account, to exactly one site. Only an Approved
/// transfer gives one (<see cref="Of"/>), and <see cref="ResidentSite.BeginTransferWriteAsync"/>
/// is the only write outside a residency, which it requires.
/// </summary>
public sealed class TransferAuthorization
{
    private TransferAuthorization(TransferRecord transfer)
    {
        Transfer = transfer;
    }

    public TransferRecord Transfer { get; }

    public string TransferId => Transfer.Id;

    public string Account => Transfer.Account;

    public string Container => Transfer.Container;

    public string? Prefix => Transfer.Prefix;

    public string DestinationSiteId => Transfer.DestinationSiteId;

    /// <summary>The authorization of an Approved transfer; TransferNotApproved for any other state.</summary>
    public static TransferAuthorization Of(TransferRecord transfer)
    {
        ArgumentNullException.ThrowIfNull(transfer);
        return transfer.State == TransferState.Approved
            ? new TransferAuthorization(transfer)
            : throw new StorageException(ErrorCode.TransferNotApproved, $"Transfer {transfer.Id} is {AccessNames.StateName(transfer.State)}, not approved: nothing may be copied under it.");
    }

    /// <summary>Whether the blob is in scope: same account and container, and its name starts with the prefix (compared literally, ordinal).</summary>
    public bool Covers(string account, string container, string blob) =>
        string.Equals(account, Account, StringComparison.Ordinal)
        && string.Equals(container, Container, StringComparison.Ordinal)
        && (Prefix is null || blob.StartsWith(Prefix, StringComparison.Ordinal));
}

/// <summary>What one transfer run did: copies made now, blobs in scope examined, and whether every object in scope has its copy.</summary>
public sealed record TransferRunResult(long ObjectsCopied, long BytesCopied, long BlobsInScope, bool Complete, IReadOnlyList<string> Problems);

/// <summary>
/// Makes the copies of an approved transfer: for every object of every blob in scope that has no
/// Present copy on the destination, streams the ciphertext from a Present copy elsewhere, checks
/// its CRC-64 and length against the values recorded at write time (as the repair worker does),
/// commits it on the destination, then records the copy row naming the transfer by
/// compare-and-swap with its <c>Transfer.Copy</c> entry in the account's log. Idempotent and
/// resumable: an object that has its copy is skipped; a Bad transfer copy is made again; a blob
/// deleted meanwhile wins (the bytes just written are removed). At most
/// <see cref="Limits.TransferBlobsPerRunMax"/> blobs per run; one run at a time.
/// </summary>
public sealed class TransferCopier(IMetadataStore store, SiteSet sites, TransparencyLog audit)
{
    private readonly SemaphoreSlim runLock = new(1, 1);

    private IPlacementStore PlacementStore => (IPlacementStore)store;

    /// <summary>Blobs one run examines at most (tests lower it to see a run resume).</summary>
    public int BlobsPerRunMax { get; init; } = Limits.TransferBlobsPerRunMax;

    /// <summary>
    /// Runs the transfer once. SiteNotFound when the destination is not declared; InvalidAccessState
    /// when it is draining or removed. A source or destination failure is a problem in the result
    /// (the run is then not complete), never an exception.
    /// </summary>
    public async Task<TransferRunResult> RunAsync(TransferAuthorization authorization, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(authorization);
        var destination = sites.Get(authorization.DestinationSiteId);
        if (destination.Descriptor.State != SiteState.Active)
        {
            throw new StorageException(ErrorCode.InvalidAccessState, $"Site {destination.Id} is {destination.Descriptor.State.ToString().ToLowerInvariant()}: it takes no new copies.");
        }

        await runLock.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            return await RunCoreAsync(authorization, destination, cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            runLock.Release();
        }
    }

    private async Task<TransferRunResult> RunCoreAsync(TransferAuthorization authorization, ResidentSite destination, CancellationToken cancellationToken)
    {
        long objects = 0, bytes = 0, blobs = 0;
        var complete = true;
        var problems = new List<string>();
        BlobLocationMarker? marker = null;
        while (true)
        {
            var page = await PlacementStore.ListBlobLocationsAsync(authorization.Account, authorization.Container, null, marker, Limits.LocationsPageMax, cancellationToken).ConfigureAwait(false);
            foreach (var blob in page.Blobs)
            {
                if (!authorization.Covers(authorization.Account, blob.Container, blob.Blob))
                {
                    continue;
                }

                if (blobs >= BlobsPerRunMax)
                {
                    problems.Add($"stopped after {BlobsPerRunMax} blobs: run the transfer again to go on.");
                    return new TransferRunResult(objects, bytes, blobs, false, problems);
                }

                blobs++;
                foreach (var stored in blob.Objects)
                {
                    var existing = stored.Copies.FirstOrDefault(copy => string.Equals(copy.SiteId, destination.Id, StringComparison.Ordinal));
                    if (existing is { State: CopyState.Present })
                    {
                        continue;
                    }

                    if (existing is { TransferId: null })
                    {
                        // Placement owes a copy there (the residency was widened to it): not this transfer's.
                        continue;
                    }

                    var copied = await CopyAsync(authorization, destination, blob, stored, existing, problems, cancellationToken).ConfigureAwait(false);
                    if (copied is { } length)
                    {
                        objects++;
                        bytes += length;
                    }
                    else
                    {
                        complete = false;
                    }
                }
            }

            if (page.NextMarker is null)
            {
                return new TransferRunResult(objects, bytes, blobs, complete, problems);
            }

            marker = page.NextMarker;
        }
    }

    /// <summary>One object's copy on the destination; its ciphertext length when made, null (with a problem) when not.</summary>
    private async Task<long?> CopyAsync(TransferAuthorization authorization, ResidentSite destination, BlobLocation blob, StoredObject stored, ObjectCopy? existing, List<string> problems, CancellationToken cancellationToken)
    {
        var resource = $"/{authorization.Account}/{blob.Container}/{blob.Blob}";
        if (existing is not null)
        {
            // A Bad transfer copy (or what an interrupted run left): sites refuse overwrites.
            try
            {
                await destination.DeleteAsync(stored.ObjectId, cancellationToken).ConfigureAwait(false);
            }
            catch (FileNotFoundException)
            {
            }
            catch (IOException exception)
            {
                sites.ReportFailure(destination.Id, exception);
                problems.Add($"{resource}: the destination site failed ({exception.GetType().Name}).");
                return null;
            }
        }

        foreach (var source in Sources(stored, destination.Id))
        {
            var outcome = await VerifiedCopy.StreamAsync(
                sites,
                stored,
                source,
                destination,
                ct => destination.BeginTransferWriteAsync(stored.ObjectId, authorization, authorization.Account, blob.Container, blob.Blob, ct),
                cancellationToken).ConfigureAwait(false);
            switch (outcome)
            {
                case VerifiedCopyOutcome.TargetFailed:
                    problems.Add($"{resource}: the destination site failed; run the transfer again.");
                    return null;
                case VerifiedCopyOutcome.SourceUnavailable:
                case VerifiedCopyOutcome.Mismatch:
                    continue;
            }

            var entry = Entry(authorization, destination, resource, stored.ObjectId);
            var applied = await PlacementStore.ChangeCopiesAsync(
                [new CopyChange(stored.ObjectId, destination.Id, existing?.State, CopyState.Present, entry, authorization.TransferId)],
                cancellationToken).ConfigureAwait(false);
            if (!applied[0])
            {
                // Another run of this transfer (on another server of the deployment) recorded the
                // same copy first: the bytes on the site are that copy's (same object, verified the
                // same way), so they stay.
                if (await RecordedByThisTransferAsync(authorization, blob, stored.ObjectId, destination.Id, cancellationToken).ConfigureAwait(false))
                {
                    return stored.CiphertextLength;
                }

                // Deleted or overwritten meanwhile (or another copy row appeared): the bytes belong to no copy.
                await DeleteQuietlyAsync(destination, stored.ObjectId).ConfigureAwait(false);
                problems.Add($"{resource}: the blob changed during the copy; run the transfer again.");
                return null;
            }

            return stored.CiphertextLength;
        }

        problems.Add($"{resource}: no copy of object {stored.ObjectId} could be read and verified.");
        return null;
    }

    /// <summary>True when the object's copy on the destination is now Present and this transfer's.</summary>
    private async Task<bool> RecordedByThisTransferAsync(TransferAuthorization authorization, BlobLocation blob, string objectId, string destinationId, CancellationToken cancellationToken)
    {
        var page = await PlacementStore.ListBlobLocationsAsync(authorization.Account, blob.Container, blob.Blob, null, 1, cancellationToken).ConfigureAwait(false);
        return page.Blobs
            .Where(location => string.Equals(location.Container, blob.Container, StringComparison.Ordinal) && string.Equals(location.Blob, blob.Blob, StringComparison.Ordinal))
            .SelectMany(location => location.Objects)
            .Where(candidate => string.Equals(candidate.ObjectId, objectId, StringComparison.Ordinal))
            .SelectMany(candidate => candidate.Copies)
            .Any(copy => string.Equals(copy.SiteId, destinationId, StringComparison.Ordinal)
                && copy.State == CopyState.Present
                && string.Equals(copy.TransferId, authorization.TransferId, StringComparison.Ordinal));
    }

    /// <summary>Present copies other than the destination's: copies placement made first, up sites first, local directories first.</summary>
    private IEnumerable<ResidentSite> Sources(StoredObject stored, string destinationId) =>
        stored.Copies
            .Where(copy => copy.State == CopyState.Present && !string.Equals(copy.SiteId, destinationId, StringComparison.Ordinal))
            .Select(copy => (Copy: copy, Site: sites.TryGet(copy.SiteId, out var site) ? site : null))
            .Where(pair => pair.Site is not null && pair.Site.Descriptor.State != SiteState.Removed)
            .OrderBy(pair => pair.Copy.TransferId is null ? 0 : 1)
            .ThenBy(pair => sites.IsUp(pair.Site!.Id) ? 0 : 1)
            .ThenBy(pair => pair.Site!.Descriptor.Backend == SiteBackendKind.LocalDirectory ? 0 : 1)
            .ThenBy(pair => pair.Site!.Id, StringComparer.Ordinal)
            .Select(pair => pair.Site!)
            .ToList();

    private AuditAppend Entry(TransferAuthorization authorization, ResidentSite destination, string resource, string objectId)
    {
        var transfer = authorization.Transfer;
        return audit.Entry(
            transfer.Account,
            AuditActions.TransferCopy,
            resource,
            details:
            [
                new("transferId", transfer.Id),
                new("legalBasis", AccessNames.LegalBasisName(transfer.LegalBasis)),
                new("legalReference", transfer.LegalReference),
                new("objectId", objectId),
            ],
            sites: [destination.Id],
            justification: transfer.Purpose,
            jurisdictions: [destination.Descriptor.Jurisdiction]);
    }

    private static async Task DeleteQuietlyAsync(ResidentSite site, string objectId)
    {
        try
        {
            await site.DeleteAsync(objectId, CancellationToken.None).ConfigureAwait(false);
        }
        catch (IOException)
        {
            // Unreferenced bytes: the orphan scan removes them.
        }
    }
}
