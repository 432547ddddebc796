using Strongroom.Audit;
using Strongroom.Core;
using Strongroom.Storage;

namespace Strongroom.Placement;

/// <summary>What a user asks for; null fields take the current policy's value (or the default's for a new account).</summary>
public sealed record PlacementPolicyRequest(IReadOnlyList<string>? Residency = null, string? PrimaryRegion = null, string? SecondaryRegion = null, string? Redundancy = null);

/// <summary>
/// Placement policies: the deployment default, an account's policy (validated against the
/// topology inside the residency when it is set: InvalidPlacementPolicy for a misspelling,
/// PlacementPolicyNotSatisfiable with the reason otherwise), a container's redundancy, the last
/// sync time; failover (<c>PlacementService.Failover.cs</c>) and locations and signed placement
/// reports (<c>PlacementService.Locations.cs</c>). Every change is recorded in the account's log.
/// </summary>
public sealed partial class PlacementService(IMetadataStore store, SiteSet sites, TransparencyLog audit, TimeProvider time)
{
    private IPlacementStore PlacementStore => (IPlacementStore)store;

    public SiteSet Sites => sites;

    public PlacementPolicy DefaultPolicy() => Placer.DefaultPolicy(sites.Sites);

    /// <summary>The account's policy (the deployment default for accounts older than placement).</summary>
    public PlacementPolicy Resolve(AccountRecord account)
    {
        ArgumentNullException.ThrowIfNull(account);
        return account.Placement ?? DefaultPolicy();
    }

    /// <summary>The redundancy a new object of the container gets.</summary>
    public Redundancy Effective(AccountRecord account, ContainerRecord? container) =>
        container?.Redundancy ?? Resolve(account).Redundancy;

    /// <summary>
    /// Builds and validates a policy from a request over <paramref name="current"/> (null: the
    /// deployment default). InvalidPlacementPolicy / PlacementPolicyNotSatisfiable.
    /// </summary>
    public PlacementPolicy Build(PlacementPolicyRequest request, PlacementPolicy? current) =>
        throw new NotImplementedException("TODO(issue 5): the placement helper validates policies.");

    /// <summary>Sets the account's policy (validated; recorded as Placement.SetPolicy). AccountNotFound.</summary>
    public Task<PlacementPolicy> SetAccountPolicyAsync(string account, PlacementPolicyRequest request, CancellationToken cancellationToken = default) =>
        throw new NotImplementedException("TODO(issue 5): the placement helper sets policies.");

    /// <summary>Sets a container's redundancy (null or empty: the account's), validated inside the account's residency and regions.</summary>
    public Task<ContainerRecord> SetContainerRedundancyAsync(string account, string container, string? redundancy, CancellationToken cancellationToken = default) =>
        throw new NotImplementedException("TODO(issue 5): the placement helper sets container redundancy.");

    /// <summary>
    /// Every write before this time has its secondary-region copies (Azure's Last Sync Time); now
    /// when nothing is owed there; null for an account without a secondary region.
    /// </summary>
    public Task<DateTimeOffset?> GetLastSyncTimeAsync(string account, CancellationToken cancellationToken = default) =>
        throw new NotImplementedException("TODO(issue 5): the placement helper computes the last sync time.");

    internal IMetadataStore Store => store;

    internal TransparencyLog Audit => audit;

    internal TimeProvider Time => time;
}
