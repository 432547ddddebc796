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
    /// deployment default). Jurisdictions are taken case-insensitively; an empty secondary region
    /// means none. When the request changes the residency but names no region, a region of the
    /// current policy that falls outside the new residency is replaced by the first region of the
    /// topology inside it (and the secondary by the next one of the same jurisdiction, or none); a
    /// new primary region that was the secondary gives the secondary to the next such region.
    /// Otherwise regions are never moved silently (a region the topology lost is reported).
    /// InvalidPlacementPolicy for a misspelling or an unknown region; PlacementPolicyNotSatisfiable
    /// with the reason when the topology cannot hold the redundancy inside the residency.
    /// </summary>
    public PlacementPolicy Build(PlacementPolicyRequest request, PlacementPolicy? current)
    {
        ArgumentNullException.ThrowIfNull(request);
        var baseline = current ?? DefaultPolicy();
        var topology = sites.Sites;
        var residency = request.Residency is null ? baseline.Residency : ParseResidency(request.Residency);
        var redundancy = request.Redundancy is null ? baseline.Redundancy : Redundancy.Parse(request.Redundancy);

        string JurisdictionOfRegion(string region) => topology.First(site => string.Equals(site.Region, region, StringComparison.Ordinal)).Jurisdiction;

        string Region(string text, string role)
        {
            var region = text.Trim();
            if (!PlacementNames.IsValidName(region))
            {
                throw Invalid($"'{Shorten(region)}' is not a region name (lowercase letters, digits and '-').");
            }

            if (!topology.Any(site => string.Equals(site.Region, region, StringComparison.Ordinal)))
            {
                throw Invalid($"the {role} region '{region}' is not in the topology (regions: {string.Join(", ", topology.Select(site => site.Region).Distinct(StringComparer.Ordinal))}).");
            }

            return region;
        }

        string? InsideResidency(string? region) =>
            region is not null && topology.Any(site => string.Equals(site.Region, region, StringComparison.Ordinal)) && residency.Contains(JurisdictionOfRegion(region), StringComparer.Ordinal) ? region : null;

        var regionsInResidency = topology
            .Where(site => site.State == SiteState.Active && residency.Contains(site.Jurisdiction, StringComparer.Ordinal))
            .Select(site => site.Region)
            .Distinct(StringComparer.Ordinal)
            .ToList();

        string primary;
        if (request.PrimaryRegion is not null)
        {
            primary = Region(request.PrimaryRegion, "primary");
        }
        else
        {
            primary = request.Residency is null ? baseline.PrimaryRegion
                : InsideResidency(baseline.PrimaryRegion) ?? regionsInResidency.FirstOrDefault() ?? baseline.PrimaryRegion;
        }

        string? secondary;
        if (request.SecondaryRegion is not null)
        {
            secondary = request.SecondaryRegion.Trim().Length == 0 ? null : Region(request.SecondaryRegion, "secondary");
        }
        else if (request.Residency is null && request.PrimaryRegion is null)
        {
            secondary = baseline.SecondaryRegion;
        }
        else if (InsideResidency(baseline.SecondaryRegion) is { } kept && !string.Equals(kept, primary, StringComparison.Ordinal))
        {
            secondary = kept;
        }
        else if (baseline.SecondaryRegion is null)
        {
            secondary = null;
        }
        else
        {
            var primaryJurisdiction = topology.Any(site => string.Equals(site.Region, primary, StringComparison.Ordinal)) ? JurisdictionOfRegion(primary) : null;
            secondary = regionsInResidency.FirstOrDefault(region => !string.Equals(region, primary, StringComparison.Ordinal) && JurisdictionOfRegion(region) == primaryJurisdiction);
        }

        var policy = new PlacementPolicy(residency, primary, secondary, redundancy);
        if (Placer.Explain(topology, policy, redundancy) is { } reason)
        {
            throw new StorageException(ErrorCode.PlacementPolicyNotSatisfiable, "The placement policy cannot be satisfied: " + reason);
        }

        return policy;
    }

    /// <summary>Sets the account's policy (validated; recorded as Placement.SetPolicy). AccountNotFound.</summary>
    public async Task<PlacementPolicy> SetAccountPolicyAsync(string account, PlacementPolicyRequest request, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(request);
        var record = await RequireAccountAsync(account, cancellationToken).ConfigureAwait(false);
        var policy = Build(request, Resolve(record));

        // A container's own redundancy must still fit: otherwise its new objects would get fewer copies than it asked for.
        string? startAt = null;
        do
        {
            var page = await store.ListContainersAsync(account, string.Empty, startAt, 1000, cancellationToken).ConfigureAwait(false);
            foreach (var container in page.Containers)
            {
                if (container.Redundancy is { } own && Placer.Explain(sites.Sites, policy, own) is { } reason)
                {
                    throw new StorageException(
                        ErrorCode.PlacementPolicyNotSatisfiable,
                        $"The placement policy cannot be satisfied for container '{container.Name}', which keeps {own}: {reason} Change or clear the container's redundancy first.");
                }
            }

            startAt = page.NextName;
        }
        while (startAt is not null);

        var details = PolicyDetails(policy);
        await PlacementStore.SetAccountPlacementAsync(
            account,
            policy,
            audit.Entry(account, AuditActions.SetPlacementPolicy, "/" + account, details: details, jurisdictions: policy.Residency),
            cancellationToken).ConfigureAwait(false);
        return policy;
    }

    /// <summary>Sets a container's redundancy (null or empty: the account's), validated inside the account's residency and regions.</summary>
    public async Task<ContainerRecord> SetContainerRedundancyAsync(string account, string container, string? redundancy, CancellationToken cancellationToken = default)
    {
        var record = await RequireAccountAsync(account, cancellationToken).ConfigureAwait(false);
        var policy = Resolve(record);
        Redundancy? parsed = null;
        if (!string.IsNullOrWhiteSpace(redundancy))
        {
            parsed = Redundancy.Parse(redundancy);
            if (Placer.Explain(sites.Sites, policy, parsed) is { } reason)
            {
                throw new StorageException(ErrorCode.PlacementPolicyNotSatisfiable, $"The redundancy {parsed} cannot be satisfied inside the account's placement policy: {reason}");
            }
        }

        return await PlacementStore.SetContainerRedundancyAsync(
            account,
            container,
            parsed,
            audit.Entry(
                account,
                AuditActions.SetContainerRedundancy,
                "/" + account + "/" + container,
                details: [new("redundancy", parsed?.ToString() ?? string.Empty), new("accountRedundancy", policy.Redundancy.ToString())],
                jurisdictions: policy.Residency),
            cancellationToken).ConfigureAwait(false);
    }

    /// <summary>
    /// Every write before this time has its secondary-region copies (Azure's Last Sync Time); now
    /// when nothing is owed there; null for an account without a secondary region.
    /// </summary>
    public async Task<DateTimeOffset?> GetLastSyncTimeAsync(string account, CancellationToken cancellationToken = default)
    {
        var record = await RequireAccountAsync(account, cancellationToken).ConfigureAwait(false);
        var policy = Resolve(record);
        if (policy.SecondaryRegion is not { } secondary)
        {
            return null;
        }

        var siteIds = sites.Sites.Where(site => string.Equals(site.Region, secondary, StringComparison.Ordinal)).Select(site => site.Id).ToList();
        var now = time.GetUtcNow();
        var oldest = await PlacementStore.GetOldestPendingCopyAsync(account, siteIds, cancellationToken).ConfigureAwait(false);
        return oldest is { } pending && pending < now ? pending : now;
    }

    /// <summary>The audit details of a policy (the same keys as an account's creation).</summary>
    internal static IReadOnlyList<KeyValuePair<string, string>> PolicyDetails(PlacementPolicy policy) =>
    [
        new("residency", string.Join(",", policy.Residency)),
        new("primaryRegion", policy.PrimaryRegion),
        new("secondaryRegion", policy.SecondaryRegion ?? string.Empty),
        new("redundancy", policy.Redundancy.ToString()),
    ];

    private async Task<AccountRecord> RequireAccountAsync(string account, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(account);
        return await store.GetAccountAsync(account, cancellationToken).ConfigureAwait(false)
            ?? throw new StorageException(ErrorCode.AccountNotFound, $"The account '{account}' does not exist.");
    }

    private static List<string> ParseResidency(IReadOnlyList<string> requested)
    {
        var residency = new List<string>();
        foreach (var item in requested)
        {
            var jurisdiction = (item ?? string.Empty).Trim().ToUpperInvariant();
            if (!PlacementNames.IsValidJurisdiction(jurisdiction))
            {
                throw Invalid($"'{Shorten(item ?? string.Empty)}' is not a jurisdiction: use two-letter ISO 3166-1 codes such as CN or DE, or EU.");
            }

            if (!residency.Contains(jurisdiction, StringComparer.Ordinal))
            {
                residency.Add(jurisdiction);
            }
        }

        if (residency.Count == 0)
        {
            throw Invalid("the residency lists no jurisdiction.");
        }

        return residency;
    }

    private static StorageException Invalid(string reason) => new(ErrorCode.InvalidPlacementPolicy, "The placement policy is not valid: " + reason);

    private static string Shorten(string text) => text.Length <= 64 ? text : text[..64] + "…";

    internal IMetadataStore Store => store;

    internal TransparencyLog Audit => audit;

    internal TimeProvider Time => time;
}
