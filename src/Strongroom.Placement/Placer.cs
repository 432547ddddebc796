using Strongroom.Core;

namespace Strongroom.Placement;

/// <summary>Where a new object's copies go: synchronous sites (written before the acknowledgement,
/// <see cref="WriteQuorum"/> of them must be durable) and asynchronous ones (the outbox). Sites in
/// <see cref="Unavailable"/> are chosen but down now: their copies start Pending.</summary>
public sealed record PlacementPlan(
    IReadOnlyList<SiteDescriptor> Synchronous,
    IReadOnlyList<SiteDescriptor> Asynchronous,
    int WriteQuorum,
    IReadOnlySet<string> Unavailable);

/// <summary>
/// Placement decisions as pure functions of the sites, their health and the policy: no I/O, no
/// clock, randomness only through the injected source (to spread load), so the fault simulation
/// replays them exactly.
/// Architecture invariant: placement chooses only Active sites whose jurisdiction the policy's
/// residency allows, in the policy's primary (and secondary) region.
/// </summary>
public static class Placer
{
    /// <summary>
    /// Null when the sites can hold <paramref name="redundancy"/> under <paramref name="policy"/>
    /// (health ignored: a down site still counts), otherwise why not, in words an operator can act
    /// on (which region, how many sites and zones it has inside the residency, how many it needs).
    /// </summary>
    public static string? Explain(IReadOnlyList<SiteDescriptor> sites, PlacementPolicy policy, Redundancy redundancy)
    {
        // TODO(issue 5): the placement helper writes the complete checks and messages.
        var primary = Eligible(sites, policy, policy.PrimaryRegion).ToList();
        if (primary.Count < redundancy.PrimaryCopies)
        {
            return $"region {policy.PrimaryRegion} has {primary.Count} active site(s) inside the residency; {redundancy} needs {redundancy.PrimaryCopies}.";
        }

        return null;
    }

    /// <summary>The sites for a new object. Up sites are preferred; a down site is chosen only when the policy cannot be met without it.</summary>
    public static PlacementPlan Plan(IReadOnlyList<SiteDescriptor> sites, Func<string, bool> isUp, PlacementPolicy policy, Redundancy redundancy, IRandomSource random)
    {
        // TODO(issue 5): the placement helper spreads over zones, prefers up sites, randomises among equals.
        var primary = Eligible(sites, policy, policy.PrimaryRegion).Take(redundancy.PrimaryCopies).ToList();
        var secondary = redundancy.IsGeo && policy.SecondaryRegion is { } region
            ? Eligible(sites, policy, region).Take(redundancy.SecondaryCopies).ToList()
            : [];
        var synchronous = redundancy.SecondarySynchronous ? primary.Concat(secondary).ToList() : primary;
        var asynchronous = redundancy.SecondarySynchronous ? [] : secondary;
        return new PlacementPlan(synchronous, asynchronous, redundancy.WriteQuorum, synchronous.Concat(asynchronous).Where(site => !isUp(site.Id)).Select(site => site.Id).ToHashSet(StringComparer.Ordinal));
    }

    /// <summary>
    /// Sites for the copies an object is missing under the policy, given its current copies
    /// (Present, Pending and Bad all hold a slot) minus those on <paramref name="exclude"/> (a
    /// draining or removed site, a copy being replaced); never a site that already has a copy.
    /// Empty when nothing is missing or nothing fits.
    /// </summary>
    public static IReadOnlyList<SiteDescriptor> Replacements(IReadOnlyList<SiteDescriptor> sites, Func<string, bool> isUp, PlacementPolicy policy, Redundancy redundancy, IReadOnlyList<ObjectCopy> existing, IReadOnlySet<string> exclude, IRandomSource random) =>
        throw new NotImplementedException("TODO(issue 5): the placement helper writes Replacements.");

    /// <summary>
    /// The deployment's default policy: the first region of the topology, its jurisdiction as the
    /// residency, the next region of the same jurisdiction as secondary (if any), and LRS when the
    /// primary region has three active sites, else a custom redundancy with as many copies as it has.
    /// </summary>
    public static PlacementPolicy DefaultPolicy(IReadOnlyList<SiteDescriptor> sites)
    {
        var active = sites.Where(site => site.State == SiteState.Active).ToList();
        Invariant.True(active.Count > 0, "a topology has at least one active site");
        var region = active[0].Region;
        var jurisdiction = active[0].Jurisdiction;
        var secondary = active.Select(site => site.Region).Distinct(StringComparer.Ordinal)
            .FirstOrDefault(other => other != region && active.First(site => site.Region == other).Jurisdiction == jurisdiction);
        var inRegion = active.Count(site => site.Region == region);
        var redundancy = inRegion >= 3 ? Redundancy.Lrs : Redundancy.Custom(inRegion, 1, 1, true);
        return new PlacementPolicy([jurisdiction], region, secondary, redundancy);
    }

    private static IEnumerable<SiteDescriptor> Eligible(IReadOnlyList<SiteDescriptor> sites, PlacementPolicy policy, string region) =>
        sites.Where(site => site.State == SiteState.Active && policy.Allows(site.Jurisdiction) && string.Equals(site.Region, region, StringComparison.Ordinal));
}
