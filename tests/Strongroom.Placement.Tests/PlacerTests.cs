using Strongroom.Core;

namespace Strongroom.Placement.Tests;

public sealed class PlacerTests
{
    /// <summary>The development sample: cn-east (CN, 3 zones), cn-north (CN, 2 zones, 3 sites), eu-west (EU, 3 zones).</summary>
    internal static List<SiteDescriptor> Sample() =>
        TopologyFile.DevelopmentSites.Select(site => new SiteDescriptor(site.Id, site.Region, site.Zone, site.Jurisdiction, SiteBackendKind.LocalDirectory, SiteState.Active)).ToList();

    private static SiteDescriptor S(string id, string region, string zone, string jurisdiction = "CN", SiteState state = SiteState.Active) =>
        new(id, region, zone, jurisdiction, SiteBackendKind.LocalDirectory, state);

    private static List<SiteDescriptor> With(List<SiteDescriptor> sites, string id, SiteState state) =>
        sites.Select(site => site.Id == id ? site with { State = state } : site).ToList();

    private static readonly PlacementPolicy Cn = new(["CN"], "cn-east", "cn-north", Redundancy.Lrs);

    private static readonly Func<string, bool> AllUp = _ => true;

    private static Func<string, bool> Down(params string[] ids) => id => !ids.Contains(id);

    // Explain

    [Theory]
    [InlineData("LRS")]
    [InlineData("ZRS")]
    [InlineData("GRS")]
    [InlineData("RA-GRS")]
    [InlineData("GZRS")]
    [InlineData("RA-GZRS")]
    [InlineData("custom:copies=1,zones=1,regions=1,sync")]
    [InlineData("custom:copies=6,zones=2,regions=2,sync")]
    [InlineData("custom:copies=5,zones=2,regions=2,async")]
    public void The_sample_holds_every_named_redundancy_in_cn_east_with_cn_north_as_secondary(string redundancy) =>
        Assert.Null(Placer.Explain(Sample(), Cn, Redundancy.Parse(redundancy)));

    [Fact]
    public void Too_few_zones_names_the_region_its_sites_and_zones_and_the_need()
    {
        var policy = new PlacementPolicy(["CN"], "cn-north", "cn-east", Redundancy.Zrs);
        Assert.Equal(
            "region cn-north has 3 active sites in 2 zones inside residency CN; ZRS needs 3 sites in 3 zones.",
            Placer.Explain(Sample(), policy, Redundancy.Zrs));
    }

    [Fact]
    public void Draining_and_removed_sites_do_not_count_and_are_mentioned()
    {
        var sites = With(With(Sample(), "cn-east-3a", SiteState.Draining), "cn-east-2a", SiteState.Removed);
        Assert.Equal(
            "region cn-east has 1 active site in 1 zone inside residency CN (and 2 draining or removed); LRS needs 3 sites.",
            Placer.Explain(sites, Cn, Redundancy.Lrs));
    }

    [Fact]
    public void A_secondary_region_short_of_sites_is_named_as_the_secondary()
    {
        var sites = With(With(Sample(), "cn-north-1a", SiteState.Draining), "cn-north-1b", SiteState.Draining);
        Assert.Equal(
            "the secondary region cn-north has 1 active site in 1 zone inside residency CN (and 2 draining or removed); GRS needs 3 sites there.",
            Placer.Explain(sites, Cn, Redundancy.Grs));
        Assert.Null(Placer.Explain(sites, Cn, Redundancy.Lrs));
    }

    [Fact]
    public void A_custom_secondary_zone_minimum_is_checked_in_the_secondary_region()
    {
        var redundancy = Redundancy.Parse("custom:copies=6,zones=3,regions=2,async");
        Assert.Equal(
            "the secondary region cn-north has 3 active sites in 2 zones inside residency CN; custom:copies=6,zones=3,regions=2,async needs 3 sites in 3 zones there.",
            Placer.Explain(Sample(), Cn, redundancy));
    }

    [Fact]
    public void Regions_that_are_unknown_equal_or_outside_the_residency_are_refused_with_the_reason()
    {
        var sites = Sample();
        Assert.Equal(
            "the primary region 'cn-south' is not in the topology (regions: cn-east, cn-north, eu-west).",
            Placer.Explain(sites, Cn with { PrimaryRegion = "cn-south" }, Redundancy.Lrs));
        Assert.Equal(
            "the primary region cn-east is in CN, outside the residency (EU).",
            Placer.Explain(sites, Cn with { Residency = ["EU"] }, Redundancy.Lrs));
        Assert.Equal(
            "the secondary region 'nowhere' is not in the topology (regions: cn-east, cn-north, eu-west).",
            Placer.Explain(sites, Cn with { SecondaryRegion = "nowhere" }, Redundancy.Grs));
        Assert.Equal(
            "the secondary region eu-west is in EU, outside the residency (CN).",
            Placer.Explain(sites, Cn with { SecondaryRegion = "eu-west" }, Redundancy.Grs));
        Assert.Equal(
            "the secondary region must differ from the primary region (cn-east).",
            Placer.Explain(sites, Cn with { SecondaryRegion = "cn-east" }, Redundancy.Grs));
        Assert.Equal(
            "RA-GZRS keeps 3 of its copies in a secondary region, and the policy names none: choose a secondary region inside the residency (CN).",
            Placer.Explain(sites, Cn with { SecondaryRegion = null }, Redundancy.RaGzrs));
        Assert.Equal(
            "the residency lists no jurisdiction, so no site may hold a copy.",
            Placer.Explain(sites, Cn with { Residency = [] }, Redundancy.Lrs));
    }

    [Fact]
    public void A_residency_of_two_jurisdictions_allows_a_secondary_in_either()
    {
        var policy = new PlacementPolicy(["CN", "EU"], "cn-east", "eu-west", Redundancy.Gzrs);
        Assert.Null(Placer.Explain(Sample(), policy, Redundancy.Gzrs));
    }

    [Fact]
    public void Too_many_copies_for_the_region()
    {
        Assert.Equal(
            "region cn-east has 3 active sites in 3 zones inside residency CN; custom:copies=5,zones=1,regions=1,sync needs 5 sites.",
            Placer.Explain(Sample(), Cn, Redundancy.Parse("custom:copies=5,zones=1,regions=1,sync")));
    }

    // Plan

    [Fact]
    public void Lrs_writes_three_synchronous_copies_in_the_primary_region_with_a_quorum_of_two()
    {
        var plan = Placer.Plan(Sample(), AllUp, Cn, Redundancy.Lrs, new SeededRandomSource(1));
        Assert.Equal(3, plan.Synchronous.Count);
        Assert.All(plan.Synchronous, site => Assert.Equal("cn-east", site.Region));
        Assert.Empty(plan.Asynchronous);
        Assert.Equal(2, plan.WriteQuorum);
        Assert.Empty(plan.Unavailable);
    }

    [Fact]
    public void Grs_adds_three_asynchronous_copies_in_the_secondary_region()
    {
        var plan = Placer.Plan(Sample(), AllUp, Cn, Redundancy.Grs, new SeededRandomSource(2));
        Assert.Equal(["cn-east"], plan.Synchronous.Select(site => site.Region).Distinct());
        Assert.Equal(3, plan.Asynchronous.Count);
        Assert.All(plan.Asynchronous, site => Assert.Equal("cn-north", site.Region));
    }

    [Fact]
    public void A_synchronous_custom_geo_redundancy_writes_both_regions_before_the_acknowledgement()
    {
        var redundancy = Redundancy.Parse("custom:copies=4,zones=2,regions=2,sync");
        var plan = Placer.Plan(Sample(), AllUp, Cn, redundancy, new SeededRandomSource(3));
        Assert.Equal(4, plan.Synchronous.Count);
        Assert.Equal(2, plan.Synchronous.Count(site => site.Region == "cn-north"));
        Assert.Equal(2, plan.Synchronous.Where(site => site.Region == "cn-north").Select(site => site.Zone).Distinct().Count());
        Assert.Empty(plan.Asynchronous);
        Assert.Equal(3, plan.WriteQuorum);
    }

    [Fact]
    public void Zrs_spreads_over_three_zones()
    {
        var sites = Sample();
        sites.Add(S("cn-east-1b", "cn-east", "cn-east-1"));
        sites.Add(S("cn-east-1c", "cn-east", "cn-east-1"));
        for (var seed = 0; seed < 50; seed++)
        {
            var plan = Placer.Plan(sites, AllUp, Cn, Redundancy.Zrs, new SeededRandomSource(seed));
            Assert.Equal(3, plan.Synchronous.Select(site => site.Zone).Distinct().Count());
        }
    }

    [Fact]
    public void Lrs_also_spreads_over_zones_when_it_can()
    {
        var sites = new List<SiteDescriptor>
        {
            S("a1", "r", "z1"), S("a2", "r", "z1"), S("b1", "r", "z2"), S("b2", "r", "z2"), S("c1", "r", "z3"), S("c2", "r", "z3"),
        };
        var policy = new PlacementPolicy(["CN"], "r", null, Redundancy.Lrs);
        for (var seed = 0; seed < 50; seed++)
        {
            Assert.Equal(3, Placer.Plan(sites, AllUp, policy, Redundancy.Lrs, new SeededRandomSource(seed)).Synchronous.Select(site => site.Zone).Distinct().Count());
        }
    }

    [Fact]
    public void Up_sites_are_preferred_and_a_down_site_is_chosen_only_when_needed()
    {
        var sites = Sample();
        sites.Add(S("cn-east-1b", "cn-east", "cn-east-1"));

        // LRS can be met by the three up sites: the down one is never chosen.
        for (var seed = 0; seed < 50; seed++)
        {
            var plan = Placer.Plan(sites, Down("cn-east-3a"), Cn, Redundancy.Lrs, new SeededRandomSource(seed));
            Assert.DoesNotContain(plan.Synchronous, site => site.Id == "cn-east-3a");
            Assert.Empty(plan.Unavailable);
        }

        // ZRS needs zone cn-east-3, whose only site is down: it is chosen, and marked unavailable.
        for (var seed = 0; seed < 50; seed++)
        {
            var plan = Placer.Plan(sites, Down("cn-east-3a"), Cn, Redundancy.Zrs, new SeededRandomSource(seed));
            Assert.Contains(plan.Synchronous, site => site.Id == "cn-east-3a");
            Assert.Equal(["cn-east-3a"], plan.Unavailable);
            Assert.Equal(3, plan.Synchronous.Select(site => site.Zone).Distinct().Count());
        }

        // Two of three sites down: LRS still names three (the write then fails its quorum, it does not shrink).
        var degraded = Placer.Plan(Sample(), Down("cn-east-1a", "cn-east-2a"), Cn, Redundancy.Lrs, new SeededRandomSource(4));
        Assert.Equal(3, degraded.Synchronous.Count);
        Assert.Equal(new HashSet<string> { "cn-east-1a", "cn-east-2a" }, degraded.Unavailable);
    }

    [Fact]
    public void Down_secondary_sites_are_listed_as_unavailable()
    {
        var plan = Placer.Plan(Sample(), Down("cn-north-2a"), Cn, Redundancy.Grs, new SeededRandomSource(5));
        Assert.Equal(["cn-north-2a"], plan.Unavailable);
        Assert.Contains(plan.Asynchronous, site => site.Id == "cn-north-2a");
    }

    [Fact]
    public void Equal_choices_are_randomised_by_the_injected_source_and_replay_by_seed()
    {
        var sites = Sample();
        sites.Add(S("cn-east-1b", "cn-east", "cn-east-1"));
        sites.Add(S("cn-east-2b", "cn-east", "cn-east-2"));
        var policy = Cn with { Redundancy = Redundancy.Parse("custom:copies=2,zones=1,regions=1,sync") };
        var seen = new HashSet<string>();
        for (var seed = 0; seed < 100; seed++)
        {
            var first = Placer.Plan(sites, AllUp, policy, policy.Redundancy, new SeededRandomSource(seed));
            var again = Placer.Plan(sites, AllUp, policy, policy.Redundancy, new SeededRandomSource(seed));
            Assert.Equal(first.Synchronous, again.Synchronous);
            seen.UnionWith(first.Synchronous.Select(site => site.Id));
        }

        Assert.Equal(5, seen.Count);
    }

    [Fact]
    public void Sites_outside_the_residency_or_not_active_are_never_planned_even_if_the_policy_is_impossible()
    {
        var sites = With(Sample(), "cn-east-1a", SiteState.Draining);
        var plan = Placer.Plan(sites, AllUp, Cn, Redundancy.Lrs, new SeededRandomSource(6));
        Assert.Equal(2, plan.Synchronous.Count);
        Assert.DoesNotContain(plan.Synchronous, site => site.Id == "cn-east-1a");

        var outside = Placer.Plan(Sample(), AllUp, Cn with { PrimaryRegion = "eu-west" }, Redundancy.Lrs, new SeededRandomSource(7));
        Assert.Empty(outside.Synchronous);
    }

    // Replacements

    private static ObjectCopy Copy(string site, CopyState state = CopyState.Present) => new(site, state);

    private static readonly IReadOnlySet<string> None = new HashSet<string>();

    [Fact]
    public void Nothing_is_missing_when_every_slot_is_held_whatever_the_copy_states()
    {
        var existing = new[] { Copy("cn-east-1a"), Copy("cn-east-2a", CopyState.Pending), Copy("cn-east-3a", CopyState.Bad) };
        Assert.Empty(Placer.Replacements(Sample(), AllUp, Cn, Redundancy.Lrs, existing, None, new SeededRandomSource(1)));
    }

    [Fact]
    public void A_drained_copy_is_replaced_in_the_zone_the_policy_misses_never_on_a_site_with_a_copy()
    {
        var sites = Sample();
        sites.Add(S("cn-east-1b", "cn-east", "cn-east-1"));
        sites.Add(S("cn-east-3b", "cn-east", "cn-east-3"));
        sites = With(sites, "cn-east-3a", SiteState.Draining);
        var existing = new[] { Copy("cn-east-1a"), Copy("cn-east-2a"), Copy("cn-east-3a") };
        for (var seed = 0; seed < 30; seed++)
        {
            var replacement = Assert.Single(Placer.Replacements(sites, AllUp, Cn, Redundancy.Zrs, existing, new HashSet<string> { "cn-east-3a" }, new SeededRandomSource(seed)));
            Assert.Equal("cn-east-3b", replacement.Id);
        }
    }

    [Fact]
    public void An_excluded_copy_on_an_active_site_is_replaced_elsewhere()
    {
        var sites = Sample();
        sites.Add(S("cn-east-2b", "cn-east", "cn-east-2"));
        var existing = new[] { Copy("cn-east-1a"), Copy("cn-east-2a", CopyState.Bad), Copy("cn-east-3a") };
        var replacement = Assert.Single(Placer.Replacements(sites, AllUp, Cn, Redundancy.Lrs, existing, new HashSet<string> { "cn-east-2a" }, new SeededRandomSource(2)));
        Assert.Equal("cn-east-2b", replacement.Id);
    }

    [Fact]
    public void Missing_secondary_copies_are_placed_in_the_secondary_region()
    {
        var existing = new[] { Copy("cn-east-1a"), Copy("cn-east-2a"), Copy("cn-east-3a"), Copy("cn-north-1a") };
        var replacements = Placer.Replacements(Sample(), AllUp, Cn, Redundancy.Grs, existing, None, new SeededRandomSource(3));
        Assert.Equal(["cn-north-1b", "cn-north-2a"], replacements.Select(site => site.Id).Order());
    }

    [Fact]
    public void Copies_on_removed_sites_hold_no_slot_and_an_object_with_no_copy_gets_a_full_set()
    {
        var sites = With(Sample(), "cn-east-1a", SiteState.Removed);
        sites.Add(S("cn-east-1b", "cn-east", "cn-east-1"));
        var replacement = Assert.Single(Placer.Replacements(sites, AllUp, Cn, Redundancy.Zrs, [Copy("cn-east-1a"), Copy("cn-east-2a"), Copy("cn-east-3a")], None, new SeededRandomSource(4)));
        Assert.Equal("cn-east-1b", replacement.Id);

        Assert.Equal(3, Placer.Replacements(Sample(), AllUp, Cn, Redundancy.Lrs, [], None, new SeededRandomSource(5)).Count);
    }

    [Fact]
    public void Replacements_prefer_up_sites_and_are_empty_when_nothing_fits()
    {
        var sites = Sample();
        sites.Add(S("cn-east-1b", "cn-east", "cn-east-1"));
        sites.Add(S("cn-east-1c", "cn-east", "cn-east-1"));
        var existing = new[] { Copy("cn-east-1a"), Copy("cn-east-2a") };
        for (var seed = 0; seed < 20; seed++)
        {
            var replacement = Assert.Single(Placer.Replacements(sites, Down("cn-east-3a", "cn-east-1b"), Cn, Redundancy.Lrs, existing, None, new SeededRandomSource(seed)));
            Assert.Equal("cn-east-1c", replacement.Id);
        }

        Assert.Empty(Placer.Replacements(Sample(), AllUp, Cn, Redundancy.Lrs, [Copy("cn-east-1a"), Copy("cn-east-2a"), Copy("cn-east-3a", CopyState.Bad)], new HashSet<string> { "cn-east-3a" }, new SeededRandomSource(6)));
    }

    // Default policy

    [Fact]
    public void The_default_policy_is_the_first_region_its_jurisdiction_and_the_next_region_of_it()
    {
        Assert.Equal(new PlacementPolicy(["CN"], "cn-east", "cn-north", Redundancy.Lrs).ToString(), Placer.DefaultPolicy(Sample()).ToString());
        Assert.Equal(["CN"], Placer.DefaultPolicy(Sample()).Residency);

        var single = Placer.DefaultPolicy([S("local", "local", "local-1", Topology.UnspecifiedJurisdiction)]);
        Assert.Equal("local", single.PrimaryRegion);
        Assert.Null(single.SecondaryRegion);
        Assert.Equal([Topology.UnspecifiedJurisdiction], single.Residency);
        Assert.Equal("custom:copies=1,zones=1,regions=1,sync", single.Redundancy.ToString());
        Assert.Null(Placer.Explain([S("local", "local", "local-1", "ZZ")], single, single.Redundancy));

        var two = Placer.DefaultPolicy([S("a", "r1", "z1", "DE", SiteState.Draining), S("b", "r2", "z2", "DE"), S("c", "r2", "z3", "DE"), S("d", "r3", "z4", "FR")]);
        Assert.Equal("r2", two.PrimaryRegion);
        Assert.Null(two.SecondaryRegion);
        Assert.Equal("custom:copies=2,zones=1,regions=1,sync", two.Redundancy.ToString());
    }

    // Property: a seeded random walk over topologies, policies, health and redundancies.

    private static readonly string[] Redundancies =
    [
        "LRS", "ZRS", "GRS", "RA-GRS", "GZRS", "RA-GZRS",
        "custom:copies=1,zones=1,regions=1,sync", "custom:copies=2,zones=2,regions=1,sync", "custom:copies=4,zones=2,regions=1,sync",
        "custom:copies=2,zones=1,regions=2,async", "custom:copies=5,zones=2,regions=2,sync", "custom:copies=4,zones=2,regions=2,async",
    ];

    [Fact]
    public void Plans_never_leave_the_residency_or_use_inactive_sites_and_meet_the_policy_whenever_it_is_satisfiable()
    {
        const int rounds = 3000;
        var satisfiable = 0;
        for (var seed = 1; seed <= rounds; seed++)
        {
            try
            {
                satisfiable += CheckRound(seed) ? 1 : 0;
            }
            catch (Exception exception) when (exception is not Xunit.Sdk.XunitException)
            {
                Assert.Fail($"seed {seed}: {exception}");
            }
        }

        // The generator must exercise both sides.
        Assert.InRange(satisfiable, rounds / 10, rounds - (rounds / 10));
    }

    private static bool CheckRound(int seed)
    {
        var random = new Random(seed);
        string[] jurisdictions = ["CN", "EU", "DE"];
        var sites = new List<SiteDescriptor>();
        var regions = random.Next(1, 5);
        for (var r = 0; r < regions; r++)
        {
            var jurisdiction = jurisdictions[random.Next(jurisdictions.Length)];
            var zones = random.Next(1, 5);
            for (var z = 0; z < zones; z++)
            {
                var count = random.Next(1, 4);
                for (var i = 0; i < count; i++)
                {
                    var roll = random.Next(10);
                    var state = roll == 0 ? SiteState.Draining : roll == 1 ? SiteState.Removed : SiteState.Active;
                    sites.Add(S($"r{r}-z{z}-{i}", $"r{r}", $"r{r}-z{z}", jurisdiction, state));
                }
            }
        }

        var down = sites.Where(_ => random.Next(4) == 0).Select(site => site.Id).ToHashSet();
        var residency = jurisdictions.Where(_ => random.Next(2) == 0).ToList();
        if (residency.Count == 0)
        {
            residency.Add(jurisdictions[random.Next(jurisdictions.Length)]);
        }

        var regionNames = sites.Select(site => site.Region).Distinct().ToList();
        var primary = regionNames[random.Next(regionNames.Count)];
        var secondary = random.Next(3) == 0 ? null : regionNames[random.Next(regionNames.Count)];
        var redundancy = Redundancy.Parse(Redundancies[random.Next(Redundancies.Length)]);
        var policy = new PlacementPolicy(residency, primary, secondary, redundancy);
        var isUp = (Func<string, bool>)(id => !down.Contains(id));
        var source = new SeededRandomSource(seed);
        var reason = Placer.Explain(sites, policy, redundancy);
        var plan = Placer.Plan(sites, isUp, policy, redundancy, source);
        var chosen = plan.Synchronous.Concat(plan.Asynchronous).ToList();

        foreach (var site in chosen)
        {
            Assert.True(residency.Contains(site.Jurisdiction), $"seed {seed}: {site.Id} in {site.Jurisdiction} outside {string.Join(",", residency)}");
            Assert.True(site.State == SiteState.Active, $"seed {seed}: {site.Id} is {site.State}");
        }

        Assert.Equal(chosen.Count, chosen.Select(site => site.Id).Distinct().Count());
        Assert.Equal(chosen.Where(site => down.Contains(site.Id)).Select(site => site.Id).ToHashSet(), plan.Unavailable.ToHashSet());

        if (reason is not null)
        {
            return false;
        }

        CheckRegion(seed, sites, down, policy, primary, redundancy.PrimaryCopies, redundancy.PrimaryZonesMin, chosen);
        if (redundancy.IsGeo)
        {
            CheckRegion(seed, sites, down, policy, secondary!, redundancy.SecondaryCopies, redundancy.SecondaryZonesMin, chosen);
        }

        Assert.Equal(redundancy.SynchronousCopies, plan.Synchronous.Count);

        // Replacing a random subset of the plan's copies restores the policy in the same way.
        var kept = chosen.Where(_ => random.Next(2) == 0).ToList();
        var excluded = chosen.Except(kept).Where(_ => random.Next(2) == 0).Select(site => site.Id).ToHashSet();
        var existing = kept.Select(site => new ObjectCopy(site.Id, CopyState.Present))
            .Concat(excluded.Select(id => new ObjectCopy(id, CopyState.Bad)))
            .ToList();
        var replacements = Placer.Replacements(sites, isUp, policy, redundancy, existing, excluded, source);
        Assert.All(replacements, site =>
        {
            Assert.True(residency.Contains(site.Jurisdiction), $"seed {seed}: replacement {site.Id} outside the residency");
            Assert.Equal(SiteState.Active, site.State);
            Assert.DoesNotContain(existing, copy => copy.SiteId == site.Id);
        });
        var after = kept.Concat(replacements).ToList();
        Assert.Equal(after.Count, after.Select(site => site.Id).Distinct().Count());
        var left = sites.Where(site => site.Region == primary && site.State == SiteState.Active && policy.Allows(site.Jurisdiction) && !excluded.Contains(site.Id)).ToList();
        if (left.Count >= redundancy.PrimaryCopies && left.Select(site => site.Zone).Distinct().Count() >= redundancy.PrimaryZonesMin)
        {
            Assert.Equal(redundancy.PrimaryCopies, after.Count(site => site.Region == primary));
            Assert.True(after.Where(site => site.Region == primary).Select(site => site.Zone).Distinct().Count() >= redundancy.PrimaryZonesMin, $"seed {seed}: replacements miss the zone minimum");
        }

        return true;
    }

    private static void CheckRegion(int seed, List<SiteDescriptor> sites, HashSet<string> down, PlacementPolicy policy, string region, int copies, int zonesMin, List<SiteDescriptor> chosen)
    {
        var inRegion = chosen.Where(site => site.Region == region).ToList();
        Assert.True(inRegion.Count == copies, $"seed {seed}: {inRegion.Count} copies in {region}, {copies} needed");
        Assert.True(inRegion.Select(site => site.Zone).Distinct().Count() >= zonesMin, $"seed {seed}: fewer than {zonesMin} zones in {region}");

        // Down sites only as far as the policy cannot be met without them.
        var eligibleUp = sites.Where(site => site.Region == region && site.State == SiteState.Active && policy.Allows(site.Jurisdiction) && !down.Contains(site.Id)).ToList();
        var zoneDeficit = Math.Max(0, zonesMin - eligibleUp.Select(site => site.Zone).Distinct().Count());
        var downNeeded = Math.Max(zoneDeficit, copies - eligibleUp.Count);
        Assert.True(inRegion.Count(site => down.Contains(site.Id)) == Math.Max(0, downNeeded), $"seed {seed}: {inRegion.Count(site => down.Contains(site.Id))} down sites chosen in {region}, {downNeeded} needed");
    }
}
