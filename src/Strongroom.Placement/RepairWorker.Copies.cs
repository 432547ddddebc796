using Strongroom.Audit;
using Strongroom.Core;
using Strongroom.Storage;

namespace Strongroom.Placement;

// Owed copies: the outbox (asynchronous copies), copies a write could not make, Bad copies.
public sealed partial class RepairWorker
{
    private async Task MakeOwedCopiesAsync(OwnerCache owners, PassCounters counters, CancellationToken cancellationToken)
    {
        SiteObject? after = null;
        while (true)
        {
            var batch = await PlacementStore.ListCopiesNeedingWorkAsync(after, Limits.RepairBatchMax, cancellationToken).ConfigureAwait(false);
            if (batch.Count == 0)
            {
                break;
            }

            // One object's copies are handled in order by one task: replacements for two of them
            // must see each other, or both would pick the same new site.
            var objects = batch.GroupBy(work => work.Owner.Object.ObjectId, StringComparer.Ordinal).Select(group => group.ToList()).ToList();
            await Parallel.ForEachAsync(
                objects,
                new ParallelOptions { MaxDegreeOfParallelism = Math.Max(1, Parallelism), CancellationToken = cancellationToken },
                async (work, token) => await MakeOwedCopiesAsync(work, owners, counters, token).ConfigureAwait(false)).ConfigureAwait(false);

            if (batch.Count < Limits.RepairBatchMax)
            {
                break;
            }

            var last = batch[^1];
            after = new SiteObject(last.Copy.SiteId, last.Owner.Object.ObjectId);
        }
    }

    private async Task MakeOwedCopiesAsync(IReadOnlyList<CopyWork> work, OwnerCache owners, PassCounters counters, CancellationToken cancellationToken)
    {
        var owner = await owners.GetAsync(work[0].Owner, cancellationToken).ConfigureAwait(false);
        if (owner is null)
        {
            return;
        }

        var stored = work[0].Owner.Object;
        foreach (var item in work)
        {
            var copy = stored.Copies.FirstOrDefault(candidate => string.Equals(candidate.SiteId, item.Copy.SiteId, StringComparison.Ordinal));
            // A copy made under a transfer is the transfer's: the worker neither moves nor remakes
            // it (a Bad one is made again by running the transfer).
            if (copy is null || copy.State == CopyState.Present || copy.TransferId is not null)
            {
                continue;
            }

            if (!Allows(copy.SiteId, owner))
            {
                stored = await ReplaceAsync(stored, copy, owner, cancellationToken).ConfigureAwait(false);
                continue;
            }

            if (!sites.IsUp(copy.SiteId))
            {
                continue;
            }

            stored = await MakeCopyAsync(stored, copy, owner, counters, cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>
    /// A Pending or Bad copy on a site that may no longer hold it (draining, removed, outside the
    /// residency or the policy's regions): one transaction drops its row and adds a Pending copy on
    /// each site <see cref="Placer.Replacements"/> picks; a Bad copy's bytes are deleted afterwards.
    /// </summary>
    private async Task<StoredObject> ReplaceAsync(StoredObject stored, ObjectCopy copy, OwnerContext owner, CancellationToken cancellationToken)
    {
        var exclude = stored.Copies.Where(other => !Allows(other.SiteId, owner)).Select(other => other.SiteId).ToHashSet(StringComparer.Ordinal);
        exclude.Add(copy.SiteId);
        var picks = Placer.Replacements(sites.Sites, sites.IsUp, owner.Policy, owner.Redundancy, stored.Copies, exclude, random);
        AssertResident(picks, owner);

        var changes = new List<CopyChange> { new(stored.ObjectId, copy.SiteId, copy.State, null) };
        changes.AddRange(picks.Select(site => new CopyChange(stored.ObjectId, site.Id, null, CopyState.Pending)));
        var applied = await PlacementStore.ChangeCopiesAsync(changes, cancellationToken).ConfigureAwait(false);
        if (!applied[0])
        {
            return stored;
        }

        if (copy.State == CopyState.Bad)
        {
            await DeleteOrTombstoneAsync(copy.SiteId, stored.ObjectId, cancellationToken).ConfigureAwait(false);
        }

        var copies = stored.Copies.Where(other => !string.Equals(other.SiteId, copy.SiteId, StringComparison.Ordinal)).ToList();
        copies.AddRange(picks.Where((_, index) => applied[index + 1]).Select(site => new ObjectCopy(site.Id, CopyState.Pending)));
        return stored with { Copies = copies };
    }

    /// <summary>
    /// Streams the ciphertext from a Present copy to the target, verifying CRC-64 and length on the
    /// way; a source that does not match becomes Bad and the next is tried. The target becomes
    /// Present by compare-and-swap; if the object went away meanwhile, what was written is deleted.
    /// </summary>
    private async Task<StoredObject> MakeCopyAsync(StoredObject stored, ObjectCopy copy, OwnerContext owner, PassCounters counters, CancellationToken cancellationToken)
    {
        var target = sites.Get(copy.SiteId);
        var reason = stored.Copies.Any(other => sites.TryGet(other.SiteId, out var site) && site.Descriptor.State == SiteState.Draining)
            ? "drain"
            : copy.State == CopyState.Bad ? "repair" : "replication";

        // Sites refuse overwrites: a Bad copy's bytes (or what an interrupted repair left under a
        // Pending copy) go first. Nothing reads a copy that is not Present.
        try
        {
            await target.DeleteAsync(stored.ObjectId, cancellationToken).ConfigureAwait(false);
        }
        catch (FileNotFoundException)
        {
        }
        catch (IOException exception)
        {
            sites.ReportFailure(target.Id, exception);
            return stored;
        }

        foreach (var source in reader.ReadOrder(stored, owner.Policy, ReadLocation.Primary))
        {
            if (string.Equals(source.Id, target.Id, StringComparison.Ordinal) || !sites.IsUp(source.Id))
            {
                continue;
            }

            var outcome = await VerifiedCopy.StreamAsync(
                sites,
                stored,
                source,
                target,
                ct => target.BeginWriteAsync(stored.ObjectId, owner.Policy, ct),
                cancellationToken).ConfigureAwait(false);
            switch (outcome)
            {
                case VerifiedCopyOutcome.TargetFailed:
                    return stored;
                case VerifiedCopyOutcome.SourceUnavailable:
                    continue;
                case VerifiedCopyOutcome.Mismatch:
                    stored = await MarkBadAsync(stored, source.Id, owner, "copy source does not match its checksum", counters, cancellationToken).ConfigureAwait(false);
                    continue;
            }

            var applied = await PlacementStore.ChangeCopiesAsync(
                [new CopyChange(stored.ObjectId, target.Id, copy.State, CopyState.Present, Entry(owner, AuditActions.CopyCreated, target.Id, stored.ObjectId, reason))],
                cancellationToken).ConfigureAwait(false);
            if (!applied[0])
            {
                // Deleted (or changed) meanwhile: the bytes written here belong to no copy.
                await DeleteOrTombstoneAsync(target.Id, stored.ObjectId, cancellationToken).ConfigureAwait(false);
                return stored;
            }

            counters.Increment(ref counters.CopiesMade);
            return WithState(stored, target.Id, CopyState.Present);
        }

        return stored;
    }

    /// <summary>Present → Bad by compare-and-swap, recorded in the owner's log.</summary>
    private async Task<StoredObject> MarkBadAsync(StoredObject stored, string siteId, OwnerContext? owner, string why, PassCounters counters, CancellationToken cancellationToken)
    {
        var entry = owner is null ? null : Entry(owner, AuditActions.CopyMarkedBad, siteId, stored.ObjectId, why);
        var applied = await PlacementStore.ChangeCopiesAsync([new CopyChange(stored.ObjectId, siteId, CopyState.Present, CopyState.Bad, entry)], cancellationToken).ConfigureAwait(false);
        if (applied[0])
        {
            counters.Increment(ref counters.CopiesMarkedBad);
        }

        return WithState(stored, siteId, CopyState.Bad);
    }

    private static StoredObject WithState(StoredObject stored, string siteId, CopyState state) =>
        stored with { Copies = stored.Copies.Select(copy => string.Equals(copy.SiteId, siteId, StringComparison.Ordinal) ? copy with { State = state } : copy).ToList() };

    /// <summary>Residency is checked on the way out of placement too (and again by <see cref="ResidentSite.BeginWriteAsync"/>).</summary>
    private static void AssertResident(IReadOnlyList<SiteDescriptor> picks, OwnerContext owner)
    {
        foreach (var site in picks)
        {
            Invariant.True(owner.Policy.Allows(site.Jurisdiction), $"residency: placement chose site {site.Id} in {site.Jurisdiction}, outside {string.Join(",", owner.Policy.Residency)}");
        }
    }
}
