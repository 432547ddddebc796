using Strongroom.Audit;
using Strongroom.Core;
using Strongroom.Storage;

namespace Strongroom.Placement;

// Orphans, and the scrub walk (verification and convergence to the current policy).
public sealed partial class RepairWorker
{
    // (site, object) → when a scan first found the object on the site and unreferenced. In memory
    // on purpose: a restart only delays a removal by one grace period.
    private readonly Dictionary<SiteObject, DateTimeOffset> orphansFirstSeen = [];
    private DateTimeOffset? lastOrphanScanOn;
    private bool scrubActive;
    private string? scrubCursor;
    private DateTimeOffset? scrubCycleStartedOn;
    private DateTimeOffset? lastScrubCompletedOn;

    /// <summary>
    /// Per up site: objects on the site that the store does not reference there. The site is
    /// listed before the store, so an object committed between the two reads is seen as
    /// referenced; one is removed only when a scan at least <see cref="Limits.OrphanGrace"/>
    /// earlier found it unreferenced too (a write publishes its object just before its commit).
    /// </summary>
    private async Task RemoveOrphansAsync(PassCounters counters, CancellationToken cancellationToken)
    {
        var now = time.GetUtcNow();
        if (lastOrphanScanOn is { } scanned && now - scanned < Limits.OrphanScanInterval)
        {
            return;
        }

        lastOrphanScanOn = now;
        foreach (var site in sites.All.Where(site => site.Descriptor.State != SiteState.Removed && sites.IsUp(site.Id)).ToList())
        {
            var onSite = new List<string>();
            try
            {
                await foreach (var objectId in site.Backend.ListObjectIdsAsync(cancellationToken).ConfigureAwait(false))
                {
                    onSite.Add(objectId);
                }
            }
            catch (IOException exception)
            {
                sites.ReportFailure(site.Id, exception);
                continue;
            }

            var referenced = await store.ListObjectIdsAsync(site.Id, cancellationToken).ConfigureAwait(false);
            var unreferenced = onSite.Where(objectId => !referenced.Contains(objectId)).Select(objectId => new SiteObject(site.Id, objectId)).ToHashSet();

            // Forget what is referenced now or gone from the site.
            foreach (var known in orphansFirstSeen.Keys.Where(key => key.SiteId == site.Id && !unreferenced.Contains(key)).ToList())
            {
                orphansFirstSeen.Remove(known);
            }

            foreach (var orphan in unreferenced)
            {
                if (!orphansFirstSeen.TryGetValue(orphan, out var firstSeen))
                {
                    orphansFirstSeen[orphan] = now;
                    continue;
                }

                if (now - firstSeen < Limits.OrphanGrace)
                {
                    continue;
                }

                try
                {
                    await site.DeleteAsync(orphan.ObjectId, cancellationToken).ConfigureAwait(false);
                }
                catch (FileNotFoundException)
                {
                }
                catch (IOException exception)
                {
                    sites.ReportFailure(site.Id, exception);
                    break;
                }

                orphansFirstSeen.Remove(orphan);
                counters.Increment(ref counters.OrphansRemoved);
            }
        }
    }

    /// <summary>
    /// Continues the scrub walk for a bounded budget (<see cref="Limits.ScrubObjectsPerPassMax"/>
    /// objects, <see cref="Limits.ScrubBytesPerPassMax"/> bytes); a new cycle starts at most every
    /// <see cref="Limits.ScrubInterval"/>.
    /// </summary>
    private async Task ScrubAsync(OwnerCache owners, PassCounters counters, CancellationToken cancellationToken)
    {
        var now = time.GetUtcNow();
        lock (statusLock)
        {
            if (!scrubActive)
            {
                if (scrubCycleStartedOn is { } started && now - started < Limits.ScrubInterval)
                {
                    return;
                }

                scrubActive = true;
                scrubCursor = null;
                scrubCycleStartedOn = now;
            }
        }

        var objects = 0;
        long bytes = 0;
        while (objects < Limits.ScrubObjectsPerPassMax && bytes < Limits.ScrubBytesPerPassMax)
        {
            var limit = Math.Min(Limits.RepairBatchMax, Limits.ScrubObjectsPerPassMax - objects);
            var page = await PlacementStore.ListObjectsAsync(scrubCursor, limit, cancellationToken).ConfigureAwait(false);
            foreach (var owner in page)
            {
                bytes += await ScrubObjectAsync(owner, owners, counters, cancellationToken).ConfigureAwait(false);
                objects++;
                lock (statusLock)
                {
                    scrubCursor = owner.Object.ObjectId;
                }

                if (bytes >= Limits.ScrubBytesPerPassMax)
                {
                    return;
                }
            }

            if (page.Count < limit)
            {
                lock (statusLock)
                {
                    scrubActive = false;
                    scrubCursor = null;
                    lastScrubCompletedOn = time.GetUtcNow();
                }

                return;
            }
        }
    }

    /// <summary>Verifies every Present copy (objects without a stored CRC are skipped), then converges the object to its policy. Returns the bytes read.</summary>
    private async Task<long> ScrubObjectAsync(ObjectOwner owner, OwnerCache owners, PassCounters counters, CancellationToken cancellationToken)
    {
        var context = await owners.GetAsync(owner, cancellationToken).ConfigureAwait(false);
        var stored = owner.Object;
        long bytes = 0;
        if (stored.CiphertextCrc64 is not null)
        {
            foreach (var copy in stored.Copies.Where(copy => copy.State == CopyState.Present).ToList())
            {
                if (!sites.TryGet(copy.SiteId, out var site) || site.Descriptor.State == SiteState.Removed || !sites.IsUp(site.Id))
                {
                    continue;
                }

                string? why;
                try
                {
                    var (length, crc) = await MeasureAsync(site, stored.ObjectId, cancellationToken).ConfigureAwait(false);
                    bytes += length;
                    why = VerifiedCopy.Matches(stored, length, crc) ? null : "copy does not match its checksum";
                }
                catch (FileNotFoundException)
                {
                    why = "copy is missing";
                }
                catch (IOException exception)
                {
                    sites.ReportFailure(site.Id, exception);
                    continue;
                }

                if (why is null)
                {
                    counters.Increment(ref counters.CopiesVerified);
                    continue;
                }

                stored = await MarkBadAsync(stored, site.Id, context, why, counters, cancellationToken).ConfigureAwait(false);
            }
        }

        if (context is not null)
        {
            await ConvergeAsync(stored, context, counters, problems: null, cancellationToken).ConfigureAwait(false);
        }

        return bytes;
    }

    /// <summary>
    /// Brings an object's copies to its current policy (after a failover, a redundancy or policy
    /// change, a drain): adds a Pending copy on each site <see cref="Placer.Replacements"/> picks
    /// for what is missing, counting copies on sites the policy no longer allows as missing; and,
    /// once every allowed copy is Present and there are as many as the policy asks for, removes
    /// the Present copies on sites it no longer allows (never the last good ones). Returns whether
    /// it changed anything. Copies made under a transfer are left out of all of it.
    /// </summary>
    private async Task<bool> ConvergeAsync(StoredObject stored, OwnerContext owner, PassCounters counters, List<string>? problems, CancellationToken cancellationToken)
    {
        // Copies made under an approved transfer are outside the policy on purpose: they count
        // toward nothing, are never removed as surplus or disallowed, and never moved.
        if (stored.Copies.Any(copy => copy.TransferId is not null))
        {
            stored = stored with { Copies = stored.Copies.Where(copy => copy.TransferId is null).ToList() };
        }

        var disallowed = stored.Copies.Where(copy => !Allows(copy.SiteId, owner)).Select(copy => copy.SiteId).ToHashSet(StringComparer.Ordinal);
        var picks = Placer.Replacements(sites.Sites, sites.IsUp, owner.Policy, owner.Redundancy, stored.Copies, disallowed, random);
        AssertResident(picks, owner);
        if (picks.Count > 0)
        {
            var applied = await PlacementStore.ChangeCopiesAsync(
                picks.Select(site => new CopyChange(stored.ObjectId, site.Id, null, CopyState.Pending)).ToList(),
                cancellationToken).ConfigureAwait(false);
            return applied.Any(change => change);
        }

        if (disallowed.Count == 0)
        {
            return false;
        }

        var allowed = stored.Copies.Where(copy => !disallowed.Contains(copy.SiteId)).ToList();
        var required = CopiesRequired(owner.Policy, owner.Redundancy);
        if (allowed.Count < required)
        {
            problems?.Add($"{owner.Resource} (object {stored.ObjectId}): {allowed.Count} of {required} copies fit inside the residency: {Placer.Explain(sites.Sites, owner.Policy, owner.Redundancy) ?? "no eligible site without a copy is left"}");
            return false;
        }

        if (allowed.Any(copy => copy.State != CopyState.Present))
        {
            return false;
        }

        var changed = false;
        foreach (var copy in stored.Copies.Where(copy => disallowed.Contains(copy.SiteId) && copy.State == CopyState.Present))
        {
            var reason = sites.TryGet(copy.SiteId, out var site) && site.Descriptor.State == SiteState.Draining ? "drain" : "policy";
            var applied = await PlacementStore.ChangeCopiesAsync(
                [new CopyChange(stored.ObjectId, copy.SiteId, CopyState.Present, null, Entry(owner, AuditActions.CopyRemoved, copy.SiteId, stored.ObjectId, reason))],
                cancellationToken).ConfigureAwait(false);
            if (applied[0])
            {
                await DeleteOrTombstoneAsync(copy.SiteId, stored.ObjectId, cancellationToken).ConfigureAwait(false);
                counters.Increment(ref counters.CopiesMoved);
                changed = true;
            }
        }

        return changed;
    }
}
