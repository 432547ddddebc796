using Strongroom.Core;

namespace Strongroom.Placement;

/// <summary>The result of an account failover: the new primary, and what was not yet replicated there.</summary>
public sealed record FailoverResult(string Account, string OldPrimaryRegion, string NewPrimaryRegion, Redundancy NewRedundancy, DateTimeOffset? LastSyncTime, long ObjectsAtRisk, long BytesAtRisk);

public sealed partial class PlacementService
{
    /// <summary>
    /// Customer-managed failover, as Azure: the secondary region becomes primary and the account
    /// drops to LRS (a custom geo redundancy keeps its primary share of copies); the data at risk
    /// is what had no Present copy in the new primary at the last sync time. AccountNotGeoRedundant.
    /// </summary>
    public Task<FailoverResult> FailoverAsync(string account, CancellationToken cancellationToken = default) =>
        throw new NotImplementedException("TODO(issue 5): the repair helper writes failover.");
}
