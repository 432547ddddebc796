using System.Globalization;
using Strongroom.Audit;
using Strongroom.Core;
using Strongroom.Storage;

namespace Strongroom.Placement;

// Drain and remove: the administrator's durable decisions about a site.
public sealed partial class RepairWorker
{
    /// <summary>
    /// Marks the site Draining (durably, recorded in the platform log) and moves its copies
    /// elsewhere inside each tenant's residency: a Pending replacement for every copy on it, passes
    /// until the replacements are Present (at most <see cref="Limits.DrainPassesMax"/>), then the
    /// draining copy is removed (recorded in the tenant's log). Returns what is left and why;
    /// running it again continues. SiteNotFound for an undeclared or removed site.
    /// </summary>
    public async Task<DrainResult> DrainAsync(string siteId, CancellationToken cancellationToken = default)
    {
        // The state as the store has it: another server of the deployment may have changed it.
        await sites.RefreshStatesAsync(PlacementStore, cancellationToken).ConfigureAwait(false);
        var site = sites.Get(siteId);
        if (site.Descriptor.State == SiteState.Removed)
        {
            throw new StorageException(ErrorCode.SiteNotFound, $"Site '{siteId}' has been removed.");
        }

        if (site.Descriptor.State == SiteState.Active)
        {
            await SetSiteStateAsync(siteId, SiteState.Draining, cancellationToken).ConfigureAwait(false);
        }

        long moved = 0;
        var problems = new List<string>();
        for (var pass = 0; pass < Limits.DrainPassesMax; pass++)
        {
            var counters = new PassCounters();
            bool changed;
            await passLock.WaitAsync(cancellationToken).ConfigureAwait(false);
            try
            {
                problems.Clear();
                changed = await ConvergeSiteAsync(siteId, counters, problems, cancellationToken).ConfigureAwait(false);
                var done = await RunPassCoreAsync(cancellationToken).ConfigureAwait(false);
                changed |= done.CopiesMade > 0 || done.CopiesMoved > 0;
                moved += counters.CopiesMoved + done.CopiesMoved;
            }
            finally
            {
                passLock.Release();
            }

            if (!await HoldsCopiesAsync(siteId, cancellationToken).ConfigureAwait(false) || (!changed && pass > 0))
            {
                break;
            }
        }

        var remaining = await CountCopiesAsync(siteId, cancellationToken).ConfigureAwait(false);
        if (remaining > 0 && problems.Count == 0)
        {
            problems.Add(string.Create(CultureInfo.InvariantCulture, $"{remaining} copies wait for their replacements (a target site may be down); run drain again."));
        }

        return new DrainResult(siteId, moved, remaining, remaining == 0 ? [] : problems);
    }

    /// <summary>Marks a drained site Removed (recorded in the platform log). SiteNotDrained while it is Active or still holds a copy or a tombstone.</summary>
    public async Task RemoveSiteAsync(string siteId, CancellationToken cancellationToken = default)
    {
        await sites.RefreshStatesAsync(PlacementStore, cancellationToken).ConfigureAwait(false);
        var site = sites.Get(siteId);
        switch (site.Descriptor.State)
        {
            case SiteState.Removed:
                return;
            case SiteState.Active:
                throw new StorageException(ErrorCode.SiteNotDrained, $"Site '{siteId}' is active: drain it first.");
        }

        await passLock.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            var copies = await CountCopiesAsync(siteId, cancellationToken).ConfigureAwait(false);
            if (copies > 0)
            {
                throw new StorageException(ErrorCode.SiteNotDrained, string.Create(CultureInfo.InvariantCulture, $"Site '{siteId}' still holds {copies} copies: drain it again."));
            }

            if ((await PlacementStore.ListTombstonesAsync(siteId, 1, cancellationToken).ConfigureAwait(false)).Count > 0)
            {
                throw new StorageException(ErrorCode.SiteNotDrained, $"Site '{siteId}' still owes deletions (tombstones): bring it back up so the repair worker can carry them.");
            }

            await SetSiteStateAsync(siteId, SiteState.Removed, cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            passLock.Release();
        }
    }

    private async Task SetSiteStateAsync(string siteId, SiteState state, CancellationToken cancellationToken)
    {
        var entry = audit.Entry(
            AuditLogs.Platform,
            AuditActions.SiteStateChanged,
            "site:/" + siteId,
            details: [new("state", state.ToString())],
            sites: [siteId],
            jurisdictions: [sites.Get(siteId).Descriptor.Jurisdiction]);
        await PlacementStore.SetSiteStateAsync(siteId, state, entry, cancellationToken).ConfigureAwait(false);
        await sites.RefreshStatesAsync(PlacementStore, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Converges every object with a copy on the site (its copy there counts as missing, since a draining site is not allowed).</summary>
    private async Task<bool> ConvergeSiteAsync(string siteId, PassCounters counters, List<string> problems, CancellationToken cancellationToken)
    {
        var owners = new OwnerCache(store, placement);
        var changed = false;
        string? after = null;
        while (true)
        {
            var page = await PlacementStore.ListObjectsOnSiteAsync(siteId, after, Limits.RepairBatchMax, cancellationToken).ConfigureAwait(false);
            foreach (var owner in page)
            {
                var context = await owners.GetAsync(owner, cancellationToken).ConfigureAwait(false);
                if (context is null)
                {
                    problems.Add($"object {owner.Object.ObjectId}: no blob references it (it is being deleted); run drain again.");
                    continue;
                }

                if (owner.Object.Copies.FirstOrDefault(copy => string.Equals(copy.SiteId, siteId, StringComparison.Ordinal)) is { TransferId: { } transferId })
                {
                    // Exactly that site was approved: the copy cannot move elsewhere.
                    problems.Add($"{context.Resource} (object {owner.Object.ObjectId}): its copy here was made under transfer {transferId} and cannot move; it goes when the blob is deleted.");
                    continue;
                }

                changed |= await ConvergeAsync(owner.Object, context, counters, problems, cancellationToken).ConfigureAwait(false);
            }

            if (page.Count < Limits.RepairBatchMax)
            {
                return changed;
            }

            after = page[^1].Object.ObjectId;
        }
    }

    private async Task<bool> HoldsCopiesAsync(string siteId, CancellationToken cancellationToken) =>
        (await PlacementStore.ListObjectsOnSiteAsync(siteId, null, 1, cancellationToken).ConfigureAwait(false)).Count > 0;

    private async Task<long> CountCopiesAsync(string siteId, CancellationToken cancellationToken)
    {
        long count = 0;
        string? after = null;
        while (true)
        {
            var page = await PlacementStore.ListObjectsOnSiteAsync(siteId, after, Limits.RepairBatchMax, cancellationToken).ConfigureAwait(false);
            count += page.Count;
            if (page.Count < Limits.RepairBatchMax)
            {
                return count;
            }

            after = page[^1].Object.ObjectId;
        }
    }
}
