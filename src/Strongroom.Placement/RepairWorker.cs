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
public sealed class RepairWorker(IMetadataStore store, SiteSet sites, PlacementService placement, TransparencyLog audit, TimeProvider time, IRandomSource random)
{
    public Task<RepairPass> RunPassAsync(CancellationToken cancellationToken = default) =>
        throw new NotImplementedException("TODO(issue 5): the repair helper writes the worker.");

    public Task<RepairStatus> GetStatusAsync(CancellationToken cancellationToken = default) =>
        throw new NotImplementedException("TODO(issue 5): the repair helper writes the worker.");

    /// <summary>Asks for a pass as soon as possible (a write owed copies, a read found a bad one).</summary>
    public void Wake() => WakeRequested?.Invoke();

    public event Action? WakeRequested;

    /// <summary>Marks the site Draining (durably, recorded) and moves its copies elsewhere inside each tenant's residency; returns what is left.</summary>
    public Task<DrainResult> DrainAsync(string siteId, CancellationToken cancellationToken = default) =>
        throw new NotImplementedException("TODO(issue 5): the repair helper writes drain.");

    /// <summary>Marks a drained site Removed. SiteNotDrained while it still holds a copy or a tombstone.</summary>
    public Task RemoveSiteAsync(string siteId, CancellationToken cancellationToken = default) =>
        throw new NotImplementedException("TODO(issue 5): the repair helper writes remove.");

    internal IMetadataStore Store => store;

    internal SiteSet Sites => sites;

    internal PlacementService Placement => placement;

    internal TransparencyLog Audit => audit;

    internal TimeProvider Time => time;

    internal IRandomSource Random => random;
}
