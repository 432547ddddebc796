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
        ArgumentNullException.ThrowIfNull(sites);
        ArgumentNullException.ThrowIfNull(policy);
        ArgumentNullException.ThrowIfNull(redundancy);
        if (policy.Residency.Count == 0)
        {
            return "the residency lists no jurisdiction, so no site may hold a copy.";
        }

        var residency = string.Join(",", policy.Residency);
        if (RegionProblem(sites, policy, policy.PrimaryRegion, "primary", residency) is { } primaryProblem)
        {
            return primaryProblem;
        }

        if (policy.SecondaryRegion is { } secondaryRegion)
        {
            if (string.Equals(secondaryRegion, policy.PrimaryRegion, StringComparison.Ordinal))
            {
                return $"the secondary region must differ from the primary region ({policy.PrimaryRegion}).";
            }

            if (RegionProblem(sites, policy, secondaryRegion, "secondary", residency) is { } secondaryProblem)
            {
                return secondaryProblem;
            }
        }
        else if (redundancy.IsGeo)
        {
            return $"{redundancy} keeps {redundancy.SecondaryCopies} of its copies in a secondary region, and the policy names none: choose a secondary region inside the residency ({residency}).";
        }

        if (Shortfall(sites, policy, policy.PrimaryRegion, redundancy.PrimaryCopies, redundancy.PrimaryZonesMin, redundancy, residency, secondary: false) is { } primaryShortfall)
        {
            return primaryShortfall;
        }

        if (redundancy.IsGeo
            && Shortfall(sites, policy, policy.SecondaryRegion!, redundancy.SecondaryCopies, redundancy.SecondaryZonesMin, redundancy, residency, secondary: true) is { } secondaryShortfall)
        {
            return secondaryShortfall;
        }

        return null;
    }

    /// <summary>The sites for a new object. Up sites are preferred; a down site is chosen only when the policy cannot be met without it.</summary>
    public static PlacementPlan Plan(IReadOnlyList<SiteDescriptor> sites, Func<string, bool> isUp, PlacementPolicy policy, Redundancy redundancy, IRandomSource random)
    {
        ArgumentNullException.ThrowIfNull(sites);
        ArgumentNullException.ThrowIfNull(isUp);
        ArgumentNullException.ThrowIfNull(policy);
        ArgumentNullException.ThrowIfNull(redundancy);
        ArgumentNullException.ThrowIfNull(random);
        var primary = Choose(Eligible(sites, policy, policy.PrimaryRegion).ToList(), [], redundancy.PrimaryCopies, redundancy.PrimaryZonesMin, isUp, random);
        var secondary = redundancy.IsGeo && policy.SecondaryRegion is { } region
            ? Choose(Eligible(sites, policy, region).Where(site => !primary.Contains(site)).ToList(), [], redundancy.SecondaryCopies, redundancy.SecondaryZonesMin, isUp, random)
            : [];
        var synchronous = redundancy.SecondarySynchronous ? primary.Concat(secondary).ToList() : primary;
        var asynchronous = redundancy.SecondarySynchronous ? [] : secondary;
        var chosen = synchronous.Concat(asynchronous).ToList();
        CheckChosen(chosen, policy);
        return new PlacementPlan(synchronous, asynchronous, redundancy.WriteQuorum, chosen.Where(site => !isUp(site.Id)).Select(site => site.Id).ToHashSet(StringComparer.Ordinal));
    }

    /// <summary>
    /// Null when a new object under <paramref name="policy"/> and <paramref name="redundancy"/>
    /// would reach its write quorum on the sites up now (<paramref name="isUp"/>), otherwise why
    /// not, in words an operator can act on. The same plan a write makes (<see cref="Plan"/>, which
    /// prefers up sites, so the shuffle never changes how many of them it takes), counted as
    /// <c>ObjectSites.BeginWriteAsync</c> counts it; for readiness probes (issue 10).
    /// </summary>
    public static string? WriteQuorumShortfall(IReadOnlyList<SiteDescriptor> sites, Func<string, bool> isUp, PlacementPolicy policy, Redundancy redundancy)
    {
        var plan = Plan(sites, isUp, policy, redundancy, new SeededRandomSource(0));
        var up = plan.Synchronous.Count(site => !plan.Unavailable.Contains(site.Id));
        if (up > 0 && up >= plan.WriteQuorum)
        {
            return null;
        }

        if (plan.Synchronous.Count == 0)
        {
            return Explain(sites, policy, redundancy) ?? $"no active site in region {policy.PrimaryRegion} inside residency {string.Join(",", policy.Residency)}.";
        }

        var regions = string.Join(" and ", plan.Synchronous.Select(site => site.Region).Distinct(StringComparer.Ordinal));
        var down = plan.Synchronous.Where(site => plan.Unavailable.Contains(site.Id)).Select(site => site.Id).ToList();
        var why = down.Count > 0 ? $"down: {string.Join(", ", down)}" : Explain(sites, policy, redundancy)?.TrimEnd('.') ?? "too few active sites";
        return $"{up} of {Count(plan.Synchronous.Count, "synchronous site")} up in {regions} ({why}); {redundancy} needs {plan.WriteQuorum} for a write.";
    }

    /// <summary>
    /// Sites for the copies an object is missing under the policy, given its current copies
    /// (Present, Pending and Bad all hold a slot) minus those on <paramref name="exclude"/> (a
    /// draining or removed site, a copy being replaced); never a site that already has a copy.
    /// Empty when nothing is missing or nothing fits. Missing zones are filled first; up sites are
    /// preferred, and a down site is chosen only when the policy cannot be met without it (the
    /// caller makes that copy when the site is back). Copies on removed sites hold no slot.
    /// </summary>
    public static IReadOnlyList<SiteDescriptor> Replacements(IReadOnlyList<SiteDescriptor> sites, Func<string, bool> isUp, PlacementPolicy policy, Redundancy redundancy, IReadOnlyList<ObjectCopy> existing, IReadOnlySet<string> exclude, IRandomSource random)
    {
        ArgumentNullException.ThrowIfNull(sites);
        ArgumentNullException.ThrowIfNull(isUp);
        ArgumentNullException.ThrowIfNull(policy);
        ArgumentNullException.ThrowIfNull(redundancy);
        ArgumentNullException.ThrowIfNull(existing);
        ArgumentNullException.ThrowIfNull(exclude);
        ArgumentNullException.ThrowIfNull(random);
        var byId = sites.ToDictionary(site => site.Id, StringComparer.Ordinal);
        var hasCopy = existing.Select(copy => copy.SiteId).ToHashSet(StringComparer.Ordinal);
        var holding = existing
            .Where(copy => !exclude.Contains(copy.SiteId))
            .Select(copy => byId.GetValueOrDefault(copy.SiteId))
            .OfType<SiteDescriptor>()
            .Where(site => site.State != SiteState.Removed)
            .ToList();

        var chosen = new List<SiteDescriptor>();
        void Fill(string region, int copies, int zonesMin)
        {
            var held = holding.Where(site => string.Equals(site.Region, region, StringComparison.Ordinal)).ToList();
            var candidates = Eligible(sites, policy, region).Where(site => !hasCopy.Contains(site.Id) && !exclude.Contains(site.Id)).ToList();
            chosen.AddRange(Choose(candidates, held, copies - held.Count, zonesMin, isUp, random));
        }

        Fill(policy.PrimaryRegion, redundancy.PrimaryCopies, redundancy.PrimaryZonesMin);
        if (redundancy.IsGeo && policy.SecondaryRegion is { } secondary && !string.Equals(secondary, policy.PrimaryRegion, StringComparison.Ordinal))
        {
            Fill(secondary, redundancy.SecondaryCopies, redundancy.SecondaryZonesMin);
        }

        CheckChosen(chosen, policy);
        Invariant.True(chosen.All(site => !hasCopy.Contains(site.Id)), "placement: a replacement is never a site that already holds a copy");
        return chosen;
    }

    /// <summary>
    /// The deployment's default policy: the first region of the topology, its jurisdiction as the
    /// residency, the next region of the same jurisdiction as secondary (if any), and LRS when the
    /// primary region has three active sites, else a custom redundancy with as many copies as it has.
    /// </summary>
    public static PlacementPolicy DefaultPolicy(IReadOnlyList<SiteDescriptor> sites)
    {
        ArgumentNullException.ThrowIfNull(sites);
        var active = sites.Where(site => site.State == SiteState.Active).ToList();
        Invariant.True(active.Count > 0, "a topology has at least one active site");
        var region = active[0].Region;
        var jurisdiction = active[0].Jurisdiction;
        var secondary = active.Select(site => site.Region).Distinct(StringComparer.Ordinal)
            .FirstOrDefault(other => other != region && active.First(site => site.Region == other).Jurisdiction == jurisdiction);
        var inRegion = Math.Min(active.Count(site => site.Region == region), Limits.CopiesMax);
        var redundancy = inRegion >= 3 ? Redundancy.Lrs : Redundancy.Custom(inRegion, 1, 1, true);
        return new PlacementPolicy([jurisdiction], region, secondary, redundancy);
    }

    private static string? RegionProblem(IReadOnlyList<SiteDescriptor> sites, PlacementPolicy policy, string region, string role, string residency)
    {
        var inRegion = sites.Where(site => string.Equals(site.Region, region, StringComparison.Ordinal)).ToList();
        if (inRegion.Count == 0)
        {
            var known = sites.Select(site => site.Region).Distinct(StringComparer.Ordinal).ToList();
            return $"the {role} region '{region}' is not in the topology (regions: {(known.Count == 0 ? "none" : string.Join(", ", known))}).";
        }

        var outside = inRegion.FirstOrDefault(site => !policy.Allows(site.Jurisdiction));
        return outside is null ? null : $"the {role} region {region} is in {outside.Jurisdiction}, outside the residency ({residency}).";
    }

    private static string? Shortfall(IReadOnlyList<SiteDescriptor> sites, PlacementPolicy policy, string region, int copies, int zonesMin, Redundancy redundancy, string residency, bool secondary)
    {
        var eligible = Eligible(sites, policy, region).ToList();
        var zones = eligible.Select(site => site.Zone).Distinct(StringComparer.Ordinal).Count();
        if (eligible.Count >= copies && zones >= zonesMin)
        {
            return null;
        }

        var needs = zonesMin > 1 ? $"{Count(copies, "site")} in {Count(zonesMin, "zone")}" : Count(copies, "site");
        var where = secondary ? $"the secondary region {region}" : $"region {region}";
        var inactive = sites.Count(site => string.Equals(site.Region, region, StringComparison.Ordinal) && site.State != SiteState.Active);
        var note = inactive > 0 ? $" (and {inactive} draining or removed)" : string.Empty;
        return $"{where} has {Count(eligible.Count, "active site")} in {Count(zones, "zone")} inside residency {residency}{note}; {redundancy} needs {needs}{(secondary ? " there" : string.Empty)}.";
    }

    private static string Count(int count, string noun) => count == 1 ? $"1 {noun}" : $"{count} {noun}s";

    /// <summary>
    /// Up to <paramref name="copies"/> of <paramref name="candidates"/>, so that with the sites
    /// already <paramref name="held"/> at least <paramref name="zonesMin"/> zones hold a copy: new
    /// zones first, then the zones holding fewest copies; up sites before down ones at each step;
    /// a random order among equals.
    /// </summary>
    private static List<SiteDescriptor> Choose(List<SiteDescriptor> candidates, IReadOnlyList<SiteDescriptor> held, int copies, int zonesMin, Func<string, bool> isUp, IRandomSource random)
    {
        var chosen = new List<SiteDescriptor>();
        if (copies <= 0 || candidates.Count == 0)
        {
            return chosen;
        }

        Shuffle(candidates, random);
        var up = candidates.ToDictionary(site => site.Id, site => isUp(site.Id), StringComparer.Ordinal);
        var perZone = new Dictionary<string, int>(StringComparer.Ordinal);
        foreach (var site in held)
        {
            perZone[site.Zone] = perZone.GetValueOrDefault(site.Zone) + 1;
        }

        var remaining = new List<SiteDescriptor>(candidates);
        void Take(SiteDescriptor site)
        {
            chosen.Add(site);
            remaining.Remove(site);
            perZone[site.Zone] = perZone.GetValueOrDefault(site.Zone) + 1;
        }

        // New zones until the minimum is met: a down site only for a zone no up site can cover.
        while (chosen.Count < copies && perZone.Count < zonesMin)
        {
            var next = remaining.Where(site => !perZone.ContainsKey(site.Zone)).OrderBy(site => up[site.Id] ? 0 : 1).FirstOrDefault();
            if (next is null)
            {
                break;
            }

            Take(next);
        }

        // The rest: up sites first, spread over the zones holding fewest copies; OrderBy is stable, so ties keep the shuffled order.
        while (chosen.Count < copies && remaining.Count > 0)
        {
            Take(remaining.OrderBy(site => up[site.Id] ? 0 : 1).ThenBy(site => perZone.GetValueOrDefault(site.Zone)).First());
        }

        return chosen;
    }

    private static void Shuffle(List<SiteDescriptor> list, IRandomSource random)
    {
        Span<byte> bytes = stackalloc byte[4];
        for (var i = list.Count - 1; i > 0; i--)
        {
            // Rejection sampling keeps every index equally likely.
            var bound = (uint)(i + 1);
            var limit = uint.MaxValue - (uint.MaxValue % bound);
            uint value;
            do
            {
                random.Fill(bytes);
                value = System.Buffers.Binary.BinaryPrimitives.ReadUInt32LittleEndian(bytes);
            }
            while (value >= limit);

            var j = (int)(value % bound);
            (list[i], list[j]) = (list[j], list[i]);
        }
    }

    /// <summary>Architecture invariant, checked on the way out: only Active sites inside the residency, each at most once.</summary>
    private static void CheckChosen(IReadOnlyList<SiteDescriptor> chosen, PlacementPolicy policy)
    {
        foreach (var site in chosen)
        {
            Invariant.True(policy.Allows(site.Jurisdiction), $"residency: placement chose site {site.Id} in {site.Jurisdiction}, outside {string.Join(",", policy.Residency)}");
            Invariant.True(site.State == SiteState.Active, $"placement chose site {site.Id} while it is {site.State}");
        }

        Invariant.True(chosen.Select(site => site.Id).Distinct(StringComparer.Ordinal).Count() == chosen.Count, "placement chose a site twice");
    }

    private static IEnumerable<SiteDescriptor> Eligible(IReadOnlyList<SiteDescriptor> sites, PlacementPolicy policy, string region) =>
        sites.Where(site => site.State == SiteState.Active && policy.Allows(site.Jurisdiction) && string.Equals(site.Region, region, StringComparison.Ordinal));
}
