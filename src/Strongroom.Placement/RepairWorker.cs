using System.Buffers;
using System.Collections.Concurrent;
using Strongroom.Audit;
using Strongroom.Core;
using Strongroom.Storage;

namespace Strongroom.Placement;

/// <summary>What one repair pass did.</summary>
public sealed record RepairPass(int SitesBack, int CopiesMade, int CopiesMarkedBad, int TombstonesCarried, int OrphansRemoved, int CopiesVerified, int CopiesMoved);

/// <summary>Progress and backlog, for <c>strongroom site list</c>, the status endpoint and metrics.</summary>
public sealed record RepairStatus(
    long PendingCopies,
    long BadCopies,
    long Tombstones,
    DateTimeOffset? LastPassCompletedOn,
    DateTimeOffset? LastScrubCompletedOn,
    string? ScrubCursor,
    long CopiesMadeTotal,
    long CopiesVerifiedTotal,
    long OrphansRemovedTotal);

/// <summary>What a drain did and what is left on the site.</summary>
public sealed record DrainResult(string SiteId, long CopiesMoved, long CopiesRemaining, IReadOnlyList<string> Problems);

/// <summary>
/// The background worker that keeps copies where the policies say (the replicator is the part of
/// it that empties the outbox): makes Pending copies from a Present one, replaces Bad copies,
/// carries tombstones to sites that return, verifies every copy's CRC on a schedule (scrub),
/// removes orphans (unreferenced in two scans <see cref="Limits.OrphanGrace"/> apart), and moves
/// copies off draining sites. One pass at a time; <see cref="Wake"/> asks for the next one early.
/// Every copy it makes, moves or condemns is an entry in the owning account's log.
/// </summary>
/// <remarks>
/// A pass, in order: probe down sites (at most every <see cref="Limits.SiteProbeInterval"/>);
/// make owed copies (<c>RepairWorker.Copies.cs</c>); carry tombstones; remove orphans (at most
/// every <see cref="Limits.OrphanScanInterval"/>); continue the scrub walk, which also converges
/// every object to its current policy (<c>RepairWorker.Scrub.cs</c>). Drain and remove are in
/// <c>RepairWorker.Drain.cs</c>. The worker trusts nothing it reads from a site: every copy it
/// makes is checked against the stored CRC-64 and length before it is committed as Present, and
/// every copy change is a compare-and-swap, so a concurrent delete or overwrite always wins.
/// </remarks>
public sealed partial class RepairWorker(IMetadataStore store, SiteSet sites, PlacementService placement, TransparencyLog audit, TimeProvider time, IRandomSource random)
{
    private readonly SemaphoreSlim passLock = new(1, 1);
    private readonly ObjectSites reader = new(sites, (IPlacementStore)store, time, random);
    private readonly object statusLock = new();
    private DateTimeOffset? lastProbeOn;
    private DateTimeOffset? lastPassCompletedOn;
    private long copiesMadeTotal;
    private long copiesVerifiedTotal;
    private long orphansRemovedTotal;

    /// <summary>Copies made (and objects handled) in parallel; the fault simulation sets 1 so a seed replays exactly.</summary>
    public int Parallelism { get; init; } = Limits.RepairParallelMax;

    private IPlacementStore PlacementStore => (IPlacementStore)store;

    /// <summary>Runs one pass (waits for a running pass or drain to finish first).</summary>
    public async Task<RepairPass> RunPassAsync(CancellationToken cancellationToken = default)
    {
        await passLock.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            return await RunPassCoreAsync(cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            passLock.Release();
        }
    }

    public async Task<RepairStatus> GetStatusAsync(CancellationToken cancellationToken = default)
    {
        var backlog = await PlacementStore.GetPlacementBacklogAsync(cancellationToken).ConfigureAwait(false);
        lock (statusLock)
        {
            return new RepairStatus(
                backlog.PendingCopies,
                backlog.BadCopies,
                backlog.Tombstones,
                lastPassCompletedOn,
                lastScrubCompletedOn,
                scrubCursor,
                Interlocked.Read(ref copiesMadeTotal),
                Interlocked.Read(ref copiesVerifiedTotal),
                Interlocked.Read(ref orphansRemovedTotal));
        }
    }

    /// <summary>Asks for a pass as soon as possible (a write owed copies, a read found a bad one).</summary>
    public void Wake() => WakeRequested?.Invoke();

    public event Action? WakeRequested;

    private async Task<RepairPass> RunPassCoreAsync(CancellationToken cancellationToken)
    {
        var counters = new PassCounters();
        var now = time.GetUtcNow();
        if (lastProbeOn is not { } probed || now - probed >= Limits.SiteProbeInterval)
        {
            lastProbeOn = now;
            counters.SitesBack = (await sites.ProbeDownSitesAsync(cancellationToken).ConfigureAwait(false)).Count;
        }

        // Copies go only where the states read now allow (a drain through another server included).
        await sites.RefreshStatesAsync(PlacementStore, cancellationToken).ConfigureAwait(false);
        var owners = new OwnerCache(store, placement);
        await MakeOwedCopiesAsync(owners, counters, cancellationToken).ConfigureAwait(false);
        await CarryTombstonesAsync(counters, cancellationToken).ConfigureAwait(false);
        await RemoveOrphansAsync(counters, cancellationToken).ConfigureAwait(false);
        await ScrubAsync(owners, counters, cancellationToken).ConfigureAwait(false);

        Interlocked.Add(ref copiesMadeTotal, counters.CopiesMade);
        Interlocked.Add(ref copiesVerifiedTotal, counters.CopiesVerified);
        Interlocked.Add(ref orphansRemovedTotal, counters.OrphansRemoved);
        lock (statusLock)
        {
            lastPassCompletedOn = time.GetUtcNow();
        }

        return counters.ToPass();
    }

    /// <summary>Deletions owed to sites that were down when their objects were dropped: delete, then forget the tombstone.</summary>
    private async Task CarryTombstonesAsync(PassCounters counters, CancellationToken cancellationToken)
    {
        foreach (var site in sites.All.Where(site => site.Descriptor.State != SiteState.Removed && sites.IsUp(site.Id)).ToList())
        {
            while (true)
            {
                var batch = await PlacementStore.ListTombstonesAsync(site.Id, Limits.RepairBatchMax, cancellationToken).ConfigureAwait(false);
                if (batch.Count == 0)
                {
                    break;
                }

                var carried = new List<SiteObject>(batch.Count);
                var failed = false;
                foreach (var tombstone in batch)
                {
                    try
                    {
                        await site.DeleteAsync(tombstone.ObjectId, cancellationToken).ConfigureAwait(false);
                        carried.Add(tombstone);
                    }
                    catch (FileNotFoundException)
                    {
                        carried.Add(tombstone);
                    }
                    catch (IOException exception)
                    {
                        sites.ReportFailure(site.Id, exception);
                        failed = true;
                        break;
                    }
                }

                if (carried.Count > 0)
                {
                    await PlacementStore.RemoveTombstonesAsync(carried, cancellationToken).ConfigureAwait(false);
                    counters.Add(ref counters.TombstonesCarried, carried.Count);
                }

                if (failed || batch.Count < Limits.RepairBatchMax)
                {
                    break;
                }
            }
        }
    }

    /// <summary>Deletes an object's bytes from a site; a site that cannot take it now gets a tombstone. Never throws for the site's failure.</summary>
    private async Task DeleteOrTombstoneAsync(string siteId, string objectId, CancellationToken cancellationToken)
    {
        if (!sites.TryGet(siteId, out var site))
        {
            return;
        }

        try
        {
            await site.DeleteAsync(objectId, cancellationToken).ConfigureAwait(false);
        }
        catch (FileNotFoundException)
        {
        }
        catch (IOException exception)
        {
            sites.ReportFailure(siteId, exception);
            await PlacementStore.AddTombstonesAsync([new SiteObject(siteId, objectId)], time.GetUtcNow(), cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>
    /// Whether a site may hold a copy of an object under its policy: the site is declared and
    /// Active, inside the residency, and in the primary region (or the secondary for geo redundancy).
    /// </summary>
    public static bool Allows(SiteDescriptor site, PlacementPolicy policy, Redundancy redundancy) =>
        site.State == SiteState.Active
        && policy.Allows(site.Jurisdiction)
        && (string.Equals(site.Region, policy.PrimaryRegion, StringComparison.Ordinal)
            || (redundancy.IsGeo && policy.SecondaryRegion is { } secondary && string.Equals(site.Region, secondary, StringComparison.Ordinal)));

    private bool Allows(string siteId, OwnerContext owner) =>
        sites.TryGet(siteId, out var site) && Allows(site.Descriptor, owner.Policy, owner.Redundancy);

    /// <summary>Copies the policy asks for in total (the secondary share only when the policy names a secondary region).</summary>
    public static int CopiesRequired(PlacementPolicy policy, Redundancy redundancy) =>
        redundancy.PrimaryCopies + (redundancy.IsGeo && policy.SecondaryRegion is not null ? redundancy.SecondaryCopies : 0);

    private AuditAppend Entry(OwnerContext owner, string action, string siteId, string objectId, string reason)
    {
        var jurisdiction = sites.TryGet(siteId, out var site) ? site.Descriptor.Jurisdiction : null;
        return audit.Entry(
            owner.Account,
            action,
            owner.Resource,
            details: [new("objectId", objectId), new("reason", reason)],
            sites: [siteId],
            jurisdictions: jurisdiction is null ? [] : [jurisdiction]);
    }

    /// <summary>Reads a whole copy, computing its CRC-64 and length. IOException from the source propagates.</summary>
    private static async Task<(long Length, ulong Crc64)> MeasureAsync(ResidentSite site, string objectId, CancellationToken cancellationToken)
    {
        var crc = new Crc64Nvme();
        long length = 0;
        var buffer = ArrayPool<byte>.Shared.Rent(VerifiedCopy.BufferBytes);
        try
        {
            var stream = await site.OpenReadAsync(objectId, cancellationToken).ConfigureAwait(false);
            await using (stream.ConfigureAwait(false))
            {
                int read;
                while ((read = await stream.ReadAsync(buffer.AsMemory(0, VerifiedCopy.BufferBytes), cancellationToken).ConfigureAwait(false)) > 0)
                {
                    crc.Append(buffer.AsSpan(0, read));
                    length += read;
                }
            }
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }

        return (length, crc.GetCurrentValue());
    }

    internal IMetadataStore Store => store;

    internal SiteSet Sites => sites;

    internal PlacementService Placement => placement;

    internal TransparencyLog Audit => audit;

    internal TimeProvider Time => time;

    internal IRandomSource Random => random;

    /// <summary>The account, policy and redundancy that govern an object, and the resource its entries name.</summary>
    private sealed record OwnerContext(string Account, string Resource, PlacementPolicy Policy, Redundancy Redundancy);

    /// <summary>Account and container records read once per pass.</summary>
    private sealed class OwnerCache(IMetadataStore store, PlacementService placement)
    {
        private readonly ConcurrentDictionary<string, Task<AccountRecord?>> accounts = new(StringComparer.Ordinal);
        private readonly ConcurrentDictionary<(string, string), Task<ContainerRecord?>> containers = new();

        /// <summary>Null when nothing references the object or its account is gone: the worker leaves such objects alone.</summary>
        public async Task<OwnerContext?> GetAsync(ObjectOwner owner, CancellationToken cancellationToken)
        {
            if (owner.Account is not { } accountName)
            {
                return null;
            }

            var account = await accounts.GetOrAdd(accountName, name => store.GetAccountAsync(name, cancellationToken)).ConfigureAwait(false);
            if (account is null)
            {
                return null;
            }

            ContainerRecord? container = null;
            if (owner.Container is { } containerName)
            {
                container = await containers.GetOrAdd((accountName, containerName), key => store.GetContainerAsync(key.Item1, key.Item2, cancellationToken)).ConfigureAwait(false);
            }

            var resource = "/" + accountName
                + (owner.Container is null ? string.Empty : "/" + owner.Container)
                + (owner.Blob is null ? string.Empty : "/" + owner.Blob);
            return new OwnerContext(accountName, resource, placement.Resolve(account), placement.Effective(account, container));
        }
    }

    private sealed class PassCounters
    {
        public int SitesBack;
        public int CopiesMade;
        public int CopiesMarkedBad;
        public int TombstonesCarried;
        public int OrphansRemoved;
        public int CopiesVerified;
        public int CopiesMoved;

        public void Add(ref int counter, int value) => Interlocked.Add(ref counter, value);

        public void Increment(ref int counter) => Interlocked.Increment(ref counter);

        public RepairPass ToPass() => new(SitesBack, CopiesMade, CopiesMarkedBad, TombstonesCarried, OrphansRemoved, CopiesVerified, CopiesMoved);
    }
}
