using System.Text.Json;
using System.Text.RegularExpressions;
using Strongroom.Core;
using Strongroom.Server;
using Strongroom.Vault;

namespace Strongroom.Cli.Tests;

/// <summary>
/// Issue 10: <c>strongroom status</c>'s one screen — its layout (80 columns, about 24 lines for a
/// small deployment, sites grouped by region) and its problems line — rendered from fixed facts,
/// then end to end against an in-process server (sealed, unsealed, a site down, <c>--check</c>'s
/// exit code, <c>--json</c>).
/// </summary>
public sealed partial class StatusSummaryTests : IDisposable
{
    private static readonly DateTimeOffset Now = new(2026, 11, 30, 12, 0, 0, TimeSpan.Zero);
    private const string ThisServer = "0123456789abcdef0123456789abcdef";
    private readonly TempDataDirectory data = new();

    public void Dispose() => data.Dispose();

    private static SiteHealth Site(string id, string region, string zone, bool up = true, SiteState state = SiteState.Active, string jurisdiction = "CN") =>
        new(id, region, zone, jurisdiction, SiteBackendKind.LocalDirectory, state, up, 1L << 40, 0, 0, 0);

    private static StatusFacts Facts(
        IReadOnlyList<SiteHealth>? sites = null,
        IReadOnlyList<AccountReplication>? replication = null,
        RepairBacklog? repair = null,
        bool sealedVault = false,
        bool serverRunning = true,
        HealthCheck? quorums = null,
        long lockbox = 0)
    {
        var instances = new DeploymentStatusReport(new Strongroom.Protocol.Management.DeploymentStatusView(
            serverRunning ? ThisServer : null,
            [new DeploymentInstance(ThisServer, "storage-host-1", 4242, "1.0.0", ["https://10.0.0.5:10000/"], "https://10.0.0.5:10010/", new string('f', 64), Now.AddHours(-3), serverRunning ? Now : Now.AddMinutes(-5), serverRunning ? null : Now.AddMinutes(-5))],
            [new JobLease(BackgroundJobs.Repair, serverRunning ? ThisServer : null, Now.AddMinutes(-1), Now.AddSeconds(20), 3, null)],
            Now));
        var operations = new OperationsSnapshot(
            Now,
            "1.0.0",
            sealedVault,
            sites ?? [Site("east-1", "cn-east", "cn-east-1"), Site("east-2", "cn-east", "cn-east-2"), Site("east-3", "cn-east", "cn-east-3"), Site("eu-1", "eu-west", "eu-west-1", jurisdiction: "EU")],
            replication ?? [new AccountReplication("acme", 0, null, TimeSpan.Zero, Now)],
            repair ?? new RepairBacklog(0, 0, 0),
            lockbox,
            0,
            new InstanceCounts(serverRunning ? 1 : 0, 0, serverRunning ? 0 : 1));
        return new StatusFacts(
            "/var/lib/strongroom",
            "PostgreSQL db.internal:5432/strongroom",
            SharedMetadata: true,
            new SealStatus(true, sealedVault, 2, 3, sealedVault ? 1 : 0, "a05ef9af7ac379ab", 1),
            serverRunning,
            Development: false,
            instances,
            operations,
            new AccountCounts(3, 0, 1, 0),
            quorums ?? new HealthCheck(HealthCheck.Sites, true, "every enabled account (3) can write"));
    }

    private static List<string> Render(StatusFacts facts)
    {
        using var output = new StringWriter();
        StatusSummary.WriteText(output, facts);
        return [.. output.ToString().ReplaceLineEndings("\n").TrimEnd('\n').Split('\n')];
    }

    private static void AssertFitsOneScreen(List<string> lines)
    {
        Assert.All(lines, line => Assert.True(line.Length <= StatusSummary.Columns, $"{line.Length} columns: {line}"));
        Assert.True(lines.Count <= 24, $"{lines.Count} lines:\n{string.Join('\n', lines)}");
    }

    [Fact]
    public void A_healthy_small_deployment_fits_one_screen_with_sites_by_region_and_no_problems()
    {
        var lines = Render(Facts());

        AssertFitsOneScreen(lines);
        Assert.Contains("Metadata:       PostgreSQL db.internal:5432/strongroom (shared)", lines);
        Assert.Contains("Sealed:         no", lines);
        Assert.Contains("Shares:         3 (threshold 2, generation 1)", lines);
        Assert.Contains("Servers:        1 alive of 1 known", lines);
        // A host name past the 80th column is cut, never wrapped.
        Assert.Contains($"  {ThisServer}  alive (this server), pid 4242 on storage-ho…", lines);
        Assert.Contains(lines, line => line.StartsWith("  repair             01234567 (this)", StringComparison.Ordinal));
        Assert.Contains("Sites:          4 (4 up, 0 down)", lines);
        Assert.Contains("  cn-east CN  east-1 up  east-2 up  east-3 up", lines);
        Assert.Contains("  eu-west EU  eu-1 up", lines);
        Assert.Contains("Replication:    nothing owed", lines);
        Assert.Contains("Repair:         0 pending, 0 bad, 0 tombstones", lines);
        Assert.Contains("Accounts:       4 (3 enabled, 1 closed)", lines);
        Assert.Contains("Requests:       0 lockbox requests, 0 transfers awaiting approval", lines);
        Assert.Equal("Problems:       none", lines[^1]);
        Assert.Empty(StatusSummary.Problems(Facts()));
    }

    [Fact]
    public void The_problems_line_names_each_problem_most_urgent_first()
    {
        var facts = Facts(
            sites: [Site("east-1", "cn-east", "cn-east-1"), Site("east-2", "cn-east", "cn-east-2", up: false), Site("east-3", "cn-east", "cn-east-3", up: false, state: SiteState.Draining), Site("east-4", "cn-east", "cn-east-4", up: false, state: SiteState.Removed)],
            replication: [new AccountReplication("acme", 12, Now.AddMinutes(-20), TimeSpan.FromMinutes(20), Now.AddMinutes(-20)), new AccountReplication("beta", 1, Now.AddMinutes(-2), TimeSpan.FromMinutes(2), Now.AddMinutes(-2))],
            repair: new RepairBacklog(13, 2, 1),
            quorums: new HealthCheck(HealthCheck.Sites, false, "1 of 3 enabled accounts cannot write") { AccountsFailing = 1, Accounts = [new AccountShortfall("acme", "1 of 3 synchronous sites up")] },
            lockbox: 1);

        Assert.Equal(
            ["sites east-2, east-3 down", "1 account cannot write (acme)", "replication lag 20m 00s (acme)", "2 bad copies to repair"],
            StatusSummary.Problems(facts));
        var lines = Render(facts);
        AssertFitsOneScreen(lines);
        Assert.Contains("Sites:          4 (1 up, 2 down; 1 draining, 1 removed)", lines);
        Assert.Contains("  cn-east CN  east-1 up  east-2 DOWN  east-3 draining,DOWN  east-4 removed", lines);
        Assert.Contains("Replication:    owed in 2 accounts, oldest 20m 00s (acme)", lines);
        Assert.Contains("Repair:         13 pending, 2 bad, 1 tombstone", lines);
        Assert.Contains("Requests:       1 lockbox request, 0 transfers awaiting approval", lines);
        Assert.Equal("Problems:       sites east-2, east-3 down; 1 account cannot write (acme);", lines[^2]);
        Assert.Equal("                replication lag 20m 00s (acme); 2 bad copies to repair", lines[^1]);

        // A lag under the alert's threshold is shown, not a problem.
        Assert.DoesNotContain(StatusSummary.Problems(Facts(replication: [new AccountReplication("beta", 1, Now.AddMinutes(-2), TimeSpan.FromMinutes(2), Now)])), problem => problem.Contains("lag", StringComparison.Ordinal));
    }

    [Fact]
    public void A_sealed_server_comes_first_and_offline_there_is_no_site_health_to_judge()
    {
        var sealedFacts = Facts(sealedVault: true);
        Assert.Equal("vault sealed (1/2 shares submitted)", StatusSummary.Problems(sealedFacts)[0]);
        Assert.Contains("Progress:       1/2", Render(sealedFacts));

        var offline = Facts(serverRunning: false, sites: [Site("east-1", "cn-east", "cn-east-1", up: false)]);
        var lines = Render(offline);
        Assert.Contains("Sites:          1 (health unknown: no server runs here)", lines);
        Assert.Contains("  cn-east CN  east-1", lines);
        Assert.Equal(["no server running"], StatusSummary.Problems(offline));
        Assert.Contains(lines, line => line.StartsWith("  repair             not held", StringComparison.Ordinal));
    }

    [Fact]
    public void Many_sites_and_problems_wrap_inside_80_columns()
    {
        var sites = Enumerable.Range(1, 14).Select(i => Site($"cn-east-site-{i:00}", "cn-east", $"cn-east-{i % 3}", up: i % 2 == 0)).ToList();
        var lines = Render(Facts(sites: sites));

        Assert.All(lines, line => Assert.True(line.Length <= StatusSummary.Columns, $"{line.Length} columns: {line}"));
        var siteLines = lines.SkipWhile(line => !line.StartsWith("Sites:", StringComparison.Ordinal)).Skip(1).TakeWhile(line => line.StartsWith("  ", StringComparison.Ordinal)).ToList();
        Assert.True(siteLines.Count > 1);
        Assert.All(siteLines.Skip(1), line => Assert.StartsWith("  ", line, StringComparison.Ordinal));
        Assert.Equal(14, siteLines.Sum(line => SiteCell().Matches(line).Count));
        Assert.Contains(lines, line => line.StartsWith("Problems:       sites cn-east-site-01, cn-east-site-03", StringComparison.Ordinal));
    }

    [Fact]
    public void The_data_directory_and_the_database_are_printed_whole_however_long()
    {
        var path = "/srv/" + new string('d', 90);
        var database = "PostgreSQL metadata-primary.storage.example.internal:5432/strongroom_production_cluster_east";
        var lines = Render(Facts() with { DataDirectory = path, MetadataDescription = database });

        Assert.Contains("Data directory: " + path, lines);
        Assert.Contains("Metadata:       " + database + " (shared)", lines);
        Assert.All(lines.Skip(2), line => Assert.True(line.Length <= StatusSummary.Columns, line));
    }

    [Fact]
    public void Durations_read_as_operators_read_them()
    {
        Assert.Equal("42s", StatusSummary.Duration(TimeSpan.FromSeconds(42)));
        Assert.Equal("5m 12s", StatusSummary.Duration(TimeSpan.FromSeconds(312)));
        Assert.Equal("3h 04m", StatusSummary.Duration(TimeSpan.FromMinutes(184)));
        Assert.Equal("2d 03h", StatusSummary.Duration(TimeSpan.FromHours(51)));
    }

    [Fact]
    public async Task Status_of_a_real_server_lists_its_problems_and_check_sets_the_exit_code()
    {
        var init = await data.RunWithDataAsync("init", "--shares", "1", "--threshold", "1");
        Assert.True(init.ExitCode == 0, init.ToString());
        var share = SealCommandTests.Shares(init.Output)[0];
        await using var server = await InProcessServer.StartAsync(data.Path);

        // Sealed: a problem; plain status still exits 0, --check exits 1.
        var sealedStatus = await data.RunWithDataAsync("status");
        Assert.True(sealedStatus.ExitCode == 0, sealedStatus.ToString());
        Assert.Contains("Problems:       vault sealed (0/1 shares submitted)", sealedStatus.Output, StringComparison.Ordinal);
        Assert.Equal(1, (await data.RunWithDataAsync("status", "--check")).ExitCode);

        var unseal = await data.RunWithDataAndInputAsync(share + "\n", "unseal");
        Assert.True(unseal.ExitCode == 0, unseal.ToString());
        var create = await data.RunWithDataAsync("account", "create", "acme");
        Assert.True(create.ExitCode == 0, create.ToString());

        var healthy = await data.RunWithDataAsync("status", "--check");
        Assert.True(healthy.ExitCode == 0, healthy.ToString());
        var lines = healthy.Output.ReplaceLineEndings("\n").TrimEnd('\n').Split('\n').ToList();
        AssertFitsOneScreen(lines);
        Assert.Contains("Sites:          1 (1 up, 0 down)", lines);
        Assert.Contains("Accounts:       1 (1 enabled)", lines);
        Assert.Equal("Problems:       none", lines[^1]);

        // The only site goes down on this server: it and the account that needs it are problems.
        server.Deployment.Sites.ReportFailure(Strongroom.Placement.Topology.SingleSiteId, new IOException("down"));
        var down = await data.RunWithDataAsync("status", "--check");
        Assert.Equal(1, down.ExitCode);
        Assert.Contains("  local ", down.Output, StringComparison.Ordinal);
        Assert.Contains("local DOWN", down.Output, StringComparison.Ordinal);
        Assert.Contains("Problems:       site local down; 1 account cannot write (acme)", down.Output, StringComparison.Ordinal);

        var json = await data.RunWithDataAsync("status", "--json");
        Assert.True(json.ExitCode == 0, json.ToString());
        using var document = JsonDocument.Parse(json.Output);
        var root = document.RootElement;
        Assert.Equal(["site local down", "1 account cannot write (acme)"], root.GetProperty("problems").EnumerateArray().Select(problem => problem.GetString()));
        var site = Assert.Single(root.GetProperty("operations").GetProperty("sites").EnumerateArray());
        Assert.Equal("down", site.GetProperty("health").GetString());
        Assert.Equal(1, root.GetProperty("accounts").GetProperty("enabled").GetInt32());
        Assert.Equal(0, root.GetProperty("operations").GetProperty("repair").GetProperty("bad").GetInt64());

        server.Deployment.Sites.ReportSuccess(Strongroom.Placement.Topology.SingleSiteId);
        Assert.Equal(0, (await data.RunWithDataAsync("status", "--check")).ExitCode);

        // --verbose lists the server in full (endpoints, times) instead of one line.
        var verbose = await data.RunWithDataAsync("status", "--verbose");
        Assert.Contains("    data http", verbose.Output, StringComparison.Ordinal);
    }

    [GeneratedRegex(@"cn-east-site-\d\d (up|DOWN)")]
    private static partial Regex SiteCell();
}
