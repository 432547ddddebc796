using System.Text;
using System.Text.Json;
using Strongroom.Audit;
using Strongroom.Core;
using Strongroom.Placement;

namespace Strongroom.Cli.Tests;

/// <summary>
/// The datacenter commands offline on a development data directory (one local site): what they
/// refuse and why, and what works before the store, placement and repair helpers land (see the
/// report of issue 5 for the tests that wait on them).
/// </summary>
public sealed class PlacementCommandTests : IDisposable
{
    private readonly TempDataDirectory data = new TempDataDirectory().InitializeDevelopment();

    public void Dispose() => data.Dispose();

    [Theory]
    [InlineData("--redundancy", "RAID5", "is not a redundancy")]
    [InlineData("--redundancy", "custom:copies=12,zones=1,regions=1,sync", "copies must be between 1 and 9")]
    [InlineData("--redundancy", "custom:copies=3,zones=1,regions=1,async", "asynchronous copies need a second region")]
    [InlineData("--residency", "China", "two-letter jurisdictions")]
    [InlineData("--residency", ",", "two-letter jurisdictions")]
    [InlineData("--primary-region", "CN East", "region name")]
    public async Task Create_refuses_a_misspelt_policy_with_the_reason_and_creates_nothing(string option, string value, string reason)
    {
        var result = await data.RunWithDataAsync("account", "create", "placed1", option, value);

        Assert.True(result.ExitCode == 2, result.ToString());
        Assert.Contains("InvalidPlacementPolicy", result.Error, StringComparison.Ordinal);
        Assert.Contains(reason, result.Error, StringComparison.Ordinal);
        var list = await data.RunWithDataAsync("account", "list");
        Assert.DoesNotContain("placed1", list.Output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Placement_show_prints_the_policy_of_an_account()
    {
        await data.RunWithDataAsync("account", "create", "shown1");

        var result = await data.RunWithDataAsync("account", "placement", "show", "shown1");
        var json = await data.RunWithDataAsync("account", "placement", "show", "shown1", "--json");

        Assert.True(result.ExitCode == 0, result.ToString());
        // The development topology's default: LRS in cn-east, inside CN, cn-north as secondary.
        Assert.Contains("Residency:         CN", result.Output, StringComparison.Ordinal);
        Assert.Contains("Primary region:    cn-east", result.Output, StringComparison.Ordinal);
        Assert.Contains("Secondary region:  cn-north", result.Output, StringComparison.Ordinal);
        Assert.Contains("Redundancy:        LRS", result.Output, StringComparison.Ordinal);
        using var document = JsonDocument.Parse(json.Output);
        Assert.Equal("cn-east", document.RootElement.GetProperty("primaryRegion").GetString());
        Assert.Equal("CN", document.RootElement.GetProperty("residency")[0].GetString());
    }

    [Fact]
    public async Task Placement_of_an_unknown_account_fails()
    {
        var show = await data.RunWithDataAsync("account", "placement", "show", "nobody1");
        var failover = await data.RunWithDataAsync("account", "failover", "nobody1", "--yes");

        Assert.Equal(1, show.ExitCode);
        Assert.Contains("account 'nobody1' not found", show.Error, StringComparison.Ordinal);
        Assert.Equal(1, failover.ExitCode);
        Assert.Contains("account 'nobody1' not found", failover.Error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Placement_set_needs_something_to_set()
    {
        await data.RunWithDataAsync("account", "create", "setme1");

        var result = await data.RunWithDataAsync("account", "placement", "set", "setme1");

        Assert.Equal(2, result.ExitCode);
        Assert.Contains("nothing to change", result.Error, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("drain")]
    [InlineData("remove")]
    public async Task An_unknown_site_is_named_with_the_sites_there_are(string verb)
    {
        var result = await data.RunWithDataAsync("site", verb, "atlantis");

        Assert.Equal(1, result.ExitCode);
        Assert.Contains("site 'atlantis' is not in the topology (sites: cn-east-1a, cn-east-2a, cn-east-3a,", result.Error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Failover_needs_yes()
    {
        var result = await data.RunWithDataAsync("account", "failover", "someone1");

        Assert.Equal(2, result.ExitCode);
        Assert.Contains("--yes", result.Error, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("container", "redundancy", "acct1", "photos")]
    [InlineData("container", "redundancy", "acct1", "photos", "LRS", "--clear")]
    public async Task Container_redundancy_takes_a_value_or_clear(params string[] args)
    {
        var result = await data.RunWithDataAsync(args);

        Assert.Equal(2, result.ExitCode);
        Assert.Contains("either a redundancy or --clear", result.Error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Container_redundancy_refuses_a_misspelling_before_opening_anything()
    {
        var result = await data.RunWithDataAsync("container", "redundancy", "acct1", "photos", "LRS3");

        Assert.Equal(2, result.ExitCode);
        Assert.Contains("is not a redundancy", result.Error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Locations_of_a_blob_need_its_container()
    {
        var result = await data.RunWithDataAsync("account", "locations", "acct1", "--blob", "b");

        Assert.Equal(2, result.ExitCode);
        Assert.Contains("--blob needs --container", result.Error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Verify_report_accepts_a_signed_report_and_names_what_fails_in_a_changed_one()
    {
        var seed = Enumerable.Range(1, 32).Select(i => (byte)i).ToArray();
        var origin = TransparencyLog.OriginOf("0011", "acme");
        var key = NoteVerifierKey.ForEd25519(origin, Strongroom.Crypto.Ed25519.PublicKeyFromSeed(seed));
        var checkpoint = SignedNote.Sign(new Checkpoint(origin, 1, MerkleTree.EmptyRoot()).ToText(), origin, seed);
        var report = new PlacementReport
        {
            Deployment = "0011",
            Account = "acme",
            GeneratedOn = new DateTimeOffset(2026, 11, 30, 0, 0, 0, TimeSpan.Zero),
            Policy = new PlacementPolicy(["CN"], "cn-east", null, Redundancy.Lrs),
            Summary = new PlacementSummary([new SiteUsage("east-1", "cn-east", "cn-east-1", "CN", 3, 0, 0, 300)], [new AreaUsage("cn-east", 3, 300)], [new AreaUsage("CN", 3, 300)]),
            Checkpoint = checkpoint,
        };
        var good = Path.Combine(data.Path, "..", Path.GetRandomFileName() + ".report");
        var bad = good + ".bad";
        var note = SignedNote.Sign(report.NoteText(), origin, seed);
        await File.WriteAllTextAsync(good, note, new UTF8Encoding(false));
        await File.WriteAllTextAsync(bad, note.Replace("\"present\":3", "\"present\":2", StringComparison.Ordinal), new UTF8Encoding(false));
        try
        {
            var ok = await TempDataDirectory.RunAsync("placement", "verify-report", good, "--public-key", key.ToString());
            var failed = await TempDataDirectory.RunAsync("placement", "verify-report", bad, "--public-key", key.ToString());
            var garbageKey = await TempDataDirectory.RunAsync("placement", "verify-report", good, "--public-key", "not-a-key");

            Assert.True(ok.ExitCode == 0, ok.ToString());
            Assert.Contains("OK: placement report of acme", ok.Output, StringComparison.Ordinal);
            Assert.Contains("Jurisdiction CN", ok.Output, StringComparison.Ordinal);
            Assert.Equal(1, failed.ExitCode);
            Assert.Contains("FAILED: the signature does not verify", failed.Error, StringComparison.Ordinal);
            Assert.Equal(2, garbageKey.ExitCode);
        }
        finally
        {
            File.Delete(good);
            File.Delete(bad);
        }
    }

    [Fact]
    public async Task Verify_report_flags_copies_outside_the_residency()
    {
        var seed = Enumerable.Repeat((byte)5, 32).ToArray();
        var origin = TransparencyLog.OriginOf("0011", "acme");
        var key = NoteVerifierKey.ForEd25519(origin, Strongroom.Crypto.Ed25519.PublicKeyFromSeed(seed));
        var report = new PlacementReport
        {
            Deployment = "0011",
            Account = "acme",
            GeneratedOn = new DateTimeOffset(2026, 11, 30, 0, 0, 0, TimeSpan.Zero),
            Policy = new PlacementPolicy(["CN"], "cn-east", null, Redundancy.Lrs),
            Summary = new PlacementSummary([], [], [new AreaUsage("CN", 3, 300), new AreaUsage("EU", 1, 100)]),
            Checkpoint = SignedNote.Sign(new Checkpoint(origin, 1, MerkleTree.EmptyRoot()).ToText(), origin, seed),
        };
        var file = Path.Combine(Path.GetTempPath(), Path.GetRandomFileName() + ".report");
        await File.WriteAllTextAsync(file, SignedNote.Sign(report.NoteText(), origin, seed), new UTF8Encoding(false));
        try
        {
            var result = await TempDataDirectory.RunAsync("placement", "verify-report", file, "--public-key", key.ToString());

            Assert.Equal(1, result.ExitCode);
            Assert.Contains("outside the residency: EU", result.Error, StringComparison.Ordinal);
        }
        finally
        {
            File.Delete(file);
        }
    }

    // On the development topology: cn-east (3 zones), cn-north (2 zones, 3 sites), eu-west (EU).

    [Fact]
    public async Task Create_refuses_an_impossible_policy_with_the_reason()
    {
        // cn-north has two zones: ZRS needs three.
        var result = await data.RunWithDataAsync("account", "create", "geo1", "--primary-region", "cn-north", "--secondary-region", "cn-east", "--redundancy", "ZRS");
        var shown = await data.RunWithDataAsync("account", "show", "geo1");

        Assert.Equal(1, result.ExitCode);
        Assert.Contains("PlacementPolicyNotSatisfiable", result.Error, StringComparison.Ordinal);
        Assert.Contains("region cn-north has 3 active sites in 2 zones", result.Error, StringComparison.Ordinal);
        Assert.NotEqual(0, shown.ExitCode);
    }

    [Fact]
    public async Task Placement_set_changes_what_show_prints_and_refuses_the_impossible()
    {
        await data.RunWithDataAsync("account", "create", "setme2");

        var set = await data.RunWithDataAsync("account", "placement", "set", "setme2", "--redundancy", "custom:copies=1,zones=1,regions=1,sync");
        var impossible = await data.RunWithDataAsync("account", "placement", "set", "setme2", "--redundancy", "custom:copies=4,zones=1,regions=1,sync");
        var shown = await data.RunWithDataAsync("account", "placement", "show", "setme2");

        Assert.True(set.ExitCode == 0, set.ToString());
        Assert.Equal(1, impossible.ExitCode);
        Assert.Contains("PlacementPolicyNotSatisfiable", impossible.Error, StringComparison.Ordinal);
        Assert.Contains("Redundancy:        custom:copies=1,zones=1,regions=1,sync", shown.Output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Failover_of_an_account_without_a_secondary_region_is_refused()
    {
        await data.RunWithDataAsync("account", "create", "local1");

        var result = await data.RunWithDataAsync("account", "failover", "local1", "--yes");

        Assert.Equal(1, result.ExitCode);
        Assert.Contains("AccountNotGeoRedundant", result.Error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Site_list_shows_the_sites_and_the_repair_backlog()
    {
        var result = await data.RunWithDataAsync("site", "list");

        Assert.True(result.ExitCode == 0, result.ToString());
        Assert.Contains("local", result.Output, StringComparison.Ordinal);
        Assert.Contains("Repair backlog:", result.Output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Locations_write_a_report_that_verify_report_accepts_with_the_data_directorys_key()
    {
        await data.RunWithDataAsync("account", "create", "where1");
        var file = Path.Combine(Path.GetTempPath(), Path.GetRandomFileName() + ".report");
        try
        {
            var locations = await data.RunWithDataAsync("account", "locations", "where1", "--report", file);
            var verified = await data.RunWithDataAsync("placement", "verify-report", file);

            Assert.True(locations.ExitCode == 0, locations.ToString());
            Assert.True(verified.ExitCode == 0, verified.ToString());
            Assert.Contains("OK: placement report of where1", verified.Output, StringComparison.Ordinal);
        }
        finally
        {
            File.Delete(file);
        }
    }
}
