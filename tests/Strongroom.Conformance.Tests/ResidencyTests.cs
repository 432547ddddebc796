using System.Globalization;
using System.Text.Json;
using Azure.Storage.Blobs;
using Strongroom.Conformance.Tests.Infrastructure;
using Xunit;
using Xunit.Abstractions;

namespace Strongroom.Conformance.Tests;

/// <summary>
/// A development-like topology of directory sites: <c>cn-east</c> (CN, three zones, four sites:
/// zone <c>cn-east-1</c> has two, so one of them can be drained), <c>cn-north</c> (CN, two zones,
/// three sites) and <c>eu-west</c> (EU, three zones). Every account of this server is limited to
/// CN, so the EU sites must stay empty whatever happens.
/// </summary>
public sealed class CnEuFixture : DatacenterFixture
{
    public override IReadOnlyList<TestSite> Sites { get; } =
    [
        new("e1a", "cn-east", "cn-east-1", "CN"),
        new("e1b", "cn-east", "cn-east-1", "CN"),
        new("e2a", "cn-east", "cn-east-2", "CN"),
        new("e3a", "cn-east", "cn-east-3", "CN"),
        new("n1a", "cn-north", "cn-north-1", "CN"),
        new("n1b", "cn-north", "cn-north-1", "CN"),
        new("n2a", "cn-north", "cn-north-2", "CN"),
        new("w1a", "eu-west", "eu-west-1", "EU"),
        new("w2a", "eu-west", "eu-west-2", "EU"),
        new("w3a", "eu-west", "eu-west-3", "EU"),
    ];

    /// <summary>The placement options of an account limited to CN with <paramref name="redundancy"/>.</summary>
    public static string[] InCn(string redundancy) =>
        ["--residency", "CN", "--primary-region", "cn-east", "--secondary-region", "cn-north", "--redundancy", redundancy];
}

/// <summary>
/// Residency as an invariant, end to end: an account limited to CN never gets a copy on an EU site,
/// under every redundancy, during a site outage, after failover and after drain; policies the
/// topology cannot satisfy inside the residency are refused with the reason and change nothing;
/// failover and drain through the CLI keep the data readable and resident.
/// </summary>
public sealed class ResidencyTests(CnEuFixture fixture, ITestOutputHelper output) : IClassFixture<CnEuFixture>
{
    static int s_accounts;

    static string NewAccount(string stem) => string.Create(CultureInfo.InvariantCulture, $"{stem}{Interlocked.Increment(ref s_accounts)}");

    [Fact]
    public async Task Under_every_redundancy_every_copy_of_a_cn_account_is_in_cn()
    {
        // Each: (redundancy, copies per object once replication is done).
        (string Redundancy, int Copies)[] policies =
        [
            ("LRS", 3), ("ZRS", 3), ("GRS", 6), ("RA-GRS", 6), ("GZRS", 6), ("RA-GZRS", 6),
            ("custom:copies=2,zones=2,regions=1,sync", 2),
            ("custom:copies=4,zones=2,regions=2,sync", 4),
            ("custom:copies=5,zones=1,regions=2,async", 5),
        ];

        await Task.WhenAll(policies.Select(async policy =>
        {
            var account = NewAccount("res");
            var service = await fixture.CreateAccountAsync(account, CnEuFixture.InCn(policy.Redundancy));
            var placement = await fixture.PlacementAsync(account);
            Assert.Equal(policy.Redundancy, placement.GetProperty("redundancy").GetString());
            var container = service.GetBlobContainerClient(TestNames.Container("res"));
            await container.CreateAsync();
            var blobs = await UploadAsync(container, 3);

            var copies = await WaitForAllPresentAsync(account, container.Name, blobs.Count, policy.Copies);
            output.WriteLine($"{policy.Redundancy}: {string.Join(", ", copies.GroupBy(c => c.Region).Select(g => $"{g.Key} {g.Count()}"))}");
            AssertResident(copies);
            await AssertReadsBackAsync(container, blobs);
        }));

        // A container with its own redundancy stays inside the account's residency too.
        var own = NewAccount("res");
        var ownService = await fixture.CreateAccountAsync(own, CnEuFixture.InCn("GZRS"));
        var zrsContainer = ownService.GetBlobContainerClient(TestNames.Container("own"));
        await zrsContainer.CreateAsync();
        await fixture.CliAsync("container", "redundancy", own, zrsContainer.Name, "ZRS");
        var zrsBlobs = await UploadAsync(zrsContainer, 2);
        AssertResident(await WaitForAllPresentAsync(own, zrsContainer.Name, zrsBlobs.Count, 3));

        await AssertEuSitesEmptyAsync();
    }

    [Fact]
    public async Task During_a_site_outage_writes_stay_in_cn_and_the_owed_copies_are_made_in_cn()
    {
        var lrs = NewAccount("out");
        var zrs = NewAccount("out");
        var gzrs = NewAccount("out");
        var services = new Dictionary<string, BlobServiceClient>
        {
            [lrs] = await fixture.CreateAccountAsync(lrs, CnEuFixture.InCn("LRS")),
            [zrs] = await fixture.CreateAccountAsync(zrs, CnEuFixture.InCn("ZRS")),
            [gzrs] = await fixture.CreateAccountAsync(gzrs, CnEuFixture.InCn("GZRS")),
        };
        var containers = new Dictionary<string, BlobContainerClient>();
        foreach (var (account, service) in services)
        {
            containers[account] = service.GetBlobContainerClient(TestNames.Container("outage"));
            await containers[account].CreateAsync();
        }

        // cn-east-2 and cn-north-2 have one site each: with both down, ZRS and GZRS cannot have
        // three zones in cn-east, nor GZRS three sites in cn-north, without them, while EU has three
        // zones free. The copies they owe must wait for e2a and n2a, never go to EU.
        var written = new Dictionary<string, Dictionary<string, byte[]>>();
        string[] down = ["e2a", "n2a"];
        try
        {
            foreach (var site in down)
            {
                fixture.BreakDirectory(site);
            }

            foreach (var (account, container) in containers)
            {
                written[account] = await UploadAsync(container, 3);
                await AssertReadsBackAsync(container, written[account]);
            }

            foreach (var (account, container) in containers)
            {
                var copies = await fixture.CopiesAsync(account, container.Name);
                AssertResident(copies);
                Assert.DoesNotContain(copies, copy => down.Contains(copy.SiteId) && copy.State == "present");
            }

            await AssertEuSitesEmptyAsync();
        }
        finally
        {
            foreach (var site in down)
            {
                fixture.RestoreDirectory(site);
            }
        }

        var expected = new Dictionary<string, int> { [lrs] = 3, [zrs] = 3, [gzrs] = 6 };
        foreach (var (account, container) in containers)
        {
            var copies = await WaitForAllPresentAsync(account, container.Name, written[account].Count, expected[account]);
            AssertResident(copies);
            if (account != lrs)
            {
                // Three zones of cn-east: e2a holds a copy of every object again.
                Assert.Equal(written[account].Count, copies.Count(copy => copy.SiteId == "e2a"));
            }

            if (account == gzrs)
            {
                // Three sites of cn-north for the geo copies: n2a too.
                Assert.Equal(written[account].Count, copies.Count(copy => copy.SiteId == "n2a"));
            }

            await AssertReadsBackAsync(container, written[account]);
        }

        await AssertEuSitesEmptyAsync();
    }

    [Fact]
    public async Task Policies_the_topology_cannot_satisfy_inside_the_residency_are_refused_with_the_reason_and_create_nothing()
    {
        (string[] Options, string Reason)[] refused =
        [
            (["--residency", "CN", "--primary-region", "cn-north", "--redundancy", "ZRS"], "2 zones"),
            (["--residency", "EU", "--primary-region", "cn-east", "--redundancy", "LRS"], "residency"),
            (["--residency", "EU", "--redundancy", "GRS"], "secondary"),
            (["--residency", "CN", "--primary-region", "cn-east", "--secondary-region", "eu-west", "--redundancy", "GRS"], "residency"),
            (["--residency", "CN", "--primary-region", "cn-east", "--redundancy", "custom:copies=9,zones=1,regions=1,sync"], "cn-east"),
        ];

        foreach (var (options, reason) in refused)
        {
            var name = NewAccount("bad");
            var result = await fixture.Server.RunCliAsync(["account", "create", name, .. options]);
            output.WriteLine($"{string.Join(' ', options)} -> {result.StandardError.Trim()}");
            Assert.NotEqual(0, result.ExitCode);
            Assert.Contains("PlacementPolicyNotSatisfiable", result.StandardError, StringComparison.Ordinal);
            Assert.Contains(reason, result.StandardError, StringComparison.Ordinal);
            Assert.DoesNotContain(name, await AccountNamesAsync());
        }

        // A misspelt policy is refused before anything is created, too.
        var misspelt = NewAccount("bad");
        var invalid = await fixture.Server.RunCliAsync("account", "create", misspelt, "--residency", "China");
        Assert.NotEqual(0, invalid.ExitCode);
        Assert.Contains("InvalidPlacementPolicy", invalid.StandardError, StringComparison.Ordinal);
        Assert.DoesNotContain(misspelt, await AccountNamesAsync());

        // Changing an existing account's policy: refused with the reason, the policy unchanged.
        var account = NewAccount("set");
        await fixture.CreateAccountAsync(account, CnEuFixture.InCn("LRS"));
        var before = (await fixture.PlacementAsync(account)).GetRawText();
        (string[] Options, string Reason)[] refusedChanges =
        [
            (["--primary-region", "cn-north", "--redundancy", "ZRS"], "2 zones"),
            (["--secondary-region", "eu-west", "--redundancy", "GRS"], "residency"),
            (["--primary-region", "eu-west"], "residency"),
        ];
        foreach (var (options, reason) in refusedChanges)
        {
            var result = await fixture.Server.RunCliAsync(["account", "placement", "set", account, .. options]);
            output.WriteLine($"set {string.Join(' ', options)} -> {result.StandardError.Trim()}");
            Assert.NotEqual(0, result.ExitCode);
            Assert.Contains("PlacementPolicyNotSatisfiable", result.StandardError, StringComparison.Ordinal);
            Assert.Contains(reason, result.StandardError, StringComparison.Ordinal);
            Assert.Equal(before, (await fixture.PlacementAsync(account)).GetRawText());
        }

        await AssertEuSitesEmptyAsync();
    }

    [Fact]
    public async Task An_ra_grs_account_fails_over_after_its_last_sync_time_passes_its_writes_and_stays_readable_in_cn()
    {
        var account = NewAccount("geo");
        var service = await fixture.CreateAccountAsync(account, CnEuFixture.InCn("RA-GRS"));
        var container = service.GetBlobContainerClient(TestNames.Container("geo"));
        await container.CreateAsync();
        var blobs = await UploadAsync(container, 4);
        var written = DateTimeOffset.UtcNow;

        // The secondary endpoint reports a last sync time after the writes once they are replicated
        // (whole seconds on the wire: wait for the next one).
        var secondary = fixture.SecondaryClient(account);
        var synced = await DatacenterFixture.EventuallyAsync("last sync time past the writes", async () =>
        {
            var stats = (await secondary.GetStatisticsAsync()).Value.GeoReplication;
            return (stats.LastSyncedOn is { } last && last >= Ceiling(written), stats.LastSyncedOn);
        });
        output.WriteLine($"written by {written:O}, last sync time {synced:O}");
        var beforeFailover = await fixture.CopiesAsync(account, container.Name);
        Assert.Equal(blobs.Count * 6, beforeFailover.Count(copy => copy.State == "present"));
        foreach (var (name, data) in blobs)
        {
            Assert.Equal(data, (await secondary.GetBlobContainerClient(container.Name).GetBlobClient(name).DownloadContentAsync()).Value.Content.ToArray());
        }

        var refused = await fixture.Server.RunCliAsync("account", "failover", account);
        Assert.NotEqual(0, refused.ExitCode); // needs --yes
        Assert.Equal("cn-east", (await fixture.PlacementAsync(account)).GetProperty("primaryRegion").GetString());

        var failover = await fixture.CliAsync("account", "failover", account, "--yes", "--json");
        using (var json = JsonDocument.Parse(failover.StandardOutput))
        {
            Assert.Equal("cn-east", json.RootElement.GetProperty("oldPrimaryRegion").GetString());
            Assert.Equal("cn-north", json.RootElement.GetProperty("newPrimaryRegion").GetString());
            Assert.Equal("LRS", json.RootElement.GetProperty("redundancy").GetString());
            Assert.Equal(0, json.RootElement.GetProperty("objectsAtRisk").GetInt64());
        }

        var policy = await fixture.PlacementAsync(account);
        Assert.Equal("cn-north", policy.GetProperty("primaryRegion").GetString());
        Assert.Equal("LRS", policy.GetProperty("redundancy").GetString());
        Assert.Equal(["CN"], policy.GetProperty("residency").EnumerateArray().Select(code => code.GetString()));

        await AssertReadsBackAsync(container, blobs);

        // New writes land in the new primary region, LRS.
        var after = await UploadAsync(container, 2, stem: "after");
        var copies = await WaitForAllPresentAsync(account, container.Name, blobs.Count + after.Count, copiesPerObject: null);
        foreach (var name in after.Keys)
        {
            var ofBlob = copies.Where(copy => copy.Blob == name).ToList();
            Assert.Equal(3, ofBlob.Count);
            Assert.All(ofBlob, copy => Assert.Equal("cn-north", copy.Region));
        }

        AssertResident(copies);
        await AssertReadsBackAsync(container, blobs);
        await AssertReadsBackAsync(container, after);
        await AssertEuSitesEmptyAsync();
    }

    [Fact]
    public async Task A_drained_site_gives_every_copy_away_inside_the_residency_and_only_then_can_be_removed()
    {
        var account = NewAccount("drain");
        var service = await fixture.CreateAccountAsync(account, CnEuFixture.InCn("LRS"));
        var container = service.GetBlobContainerClient(TestNames.Container("drain"));
        await container.CreateAsync();
        var blobs = await UploadAsync(container, 6);
        var copies = await WaitForAllPresentAsync(account, container.Name, blobs.Count, 3);

        // LRS over three zones: e2a and e3a hold every object, e1a or e1b the third copy. Drain one
        // of those that holds copies (the other can take them, in the same zone).
        var target = copies.Select(copy => copy.SiteId).First(site => site is "e1a" or "e1b");
        var undrained = await fixture.Server.RunCliAsync("site", "remove", target);
        output.WriteLine(undrained.ToString());
        Assert.NotEqual(0, undrained.ExitCode);
        Assert.Contains("SiteNotDrained", undrained.StandardError, StringComparison.Ordinal);
        Assert.Contains(target, undrained.StandardError, StringComparison.Ordinal);
        var listed = await fixture.SiteListAsync();
        Assert.Equal("Active", listed[target].State);
        Assert.True(listed[target].Present > 0);

        var drain = await fixture.CliAsync("site", "drain", target);
        output.WriteLine(drain.StandardOutput);
        Assert.Contains("0 remaining", drain.StandardOutput, StringComparison.Ordinal);

        var drained = await DatacenterFixture.EventuallyAsync($"{target} empty", async () =>
        {
            var sites = await fixture.SiteListAsync();
            var site = sites[target];
            return (site.Present == 0 && site.Pending == 0 && site.Bad == 0 && sites.PendingCopies == 0, sites);
        });
        Assert.Equal("Draining", drained[target].State);
        var moved = await WaitForAllPresentAsync(account, container.Name, blobs.Count, 3);
        Assert.DoesNotContain(moved, copy => copy.SiteId == target);
        Assert.All(moved, copy => Assert.Equal("cn-east", copy.Region));
        AssertResident(moved);
        await AssertReadsBackAsync(container, blobs);

        await fixture.CliAsync("site", "remove", target);
        Assert.Equal("Removed", (await fixture.SiteListAsync())[target].State);

        // The account keeps working on the sites left.
        var after = await UploadAsync(container, 2, stem: "after");
        var final = await WaitForAllPresentAsync(account, container.Name, blobs.Count + after.Count, 3);
        Assert.DoesNotContain(final, copy => copy.SiteId == target);
        AssertResident(final);
        await AssertReadsBackAsync(container, after);
        await AssertEuSitesEmptyAsync();
    }

    /// <summary>The next whole second at or after <paramref name="time"/> (the wire carries whole seconds).</summary>
    static DateTimeOffset Ceiling(DateTimeOffset time) =>
        new DateTimeOffset(time.Ticks - (time.Ticks % TimeSpan.TicksPerSecond), time.Offset).AddSeconds(time.Ticks % TimeSpan.TicksPerSecond == 0 ? 0 : 1);

    async Task<IReadOnlyList<string>> AccountNamesAsync()
    {
        var result = await fixture.CliAsync("account", "list", "--json");
        using var json = JsonDocument.Parse(result.StandardOutput);
        return [.. json.RootElement.EnumerateArray().Select(account => account.GetProperty("name").GetString()!)];
    }

    static void AssertResident(IEnumerable<CopyLocation> copies) =>
        Assert.All(copies, copy => Assert.True(copy.Jurisdiction == "CN" && copy.Region.StartsWith("cn-", StringComparison.Ordinal), $"{copy.Blob} has a copy on {copy.SiteId} in {copy.Region} ({copy.Jurisdiction})."));

    /// <summary>No object file on an EU site's disk, and no copy (present, owed or bad) the store places on one.</summary>
    async Task AssertEuSitesEmptyAsync()
    {
        var files = fixture.ObjectFilesIn("EU");
        Assert.True(files.Count == 0, $"EU sites hold objects of CN-only accounts: {string.Join(", ", files.Take(5))}");
        var sites = await fixture.SiteListAsync();
        var eu = sites.Sites.Where(site => site.Jurisdiction == "EU").ToList();
        Assert.Equal(3, eu.Count);
        Assert.All(eu, site => Assert.True(site.Present == 0 && site.Pending == 0 && site.Bad == 0, $"The store places copies on {site.Id}: {sites}"));
    }

    /// <summary>Polls until every object of the container's <paramref name="blobs"/> blobs has only Present copies, <paramref name="copiesPerObject"/> of them (null: any number).</summary>
    async Task<IReadOnlyList<CopyLocation>> WaitForAllPresentAsync(string account, string container, int blobs, int? copiesPerObject)
    {
        var listing = await DatacenterFixture.EventuallyAsync($"{account}/{container}: every copy present", async () =>
        {
            var copies = await fixture.CopiesAsync(account, container);
            var objects = copies.GroupBy(copy => copy.ObjectId).ToList();
            var done = copies.Select(copy => copy.Blob).Distinct().Count() == blobs
                && copies.All(copy => copy.State == "present")
                && (copiesPerObject is not { } count || objects.All(group => group.Count() == count));
            return (done, new CopyListing(copies));
        });
        return listing.Copies;
    }

    static async Task<Dictionary<string, byte[]>> UploadAsync(BlobContainerClient container, int count, string stem = "blob")
    {
        var blobs = new Dictionary<string, byte[]>(StringComparer.Ordinal);
        for (var i = 0; i < count; i++)
        {
            var name = $"{stem}-{i}";
            var data = Payloads.For(container.Name + name, 3000 + (i * 1000));
            await container.GetBlobClient(name).UploadAsync(new BinaryData(data));
            blobs[name] = data;
        }

        return blobs;
    }

    static async Task AssertReadsBackAsync(BlobContainerClient container, IReadOnlyDictionary<string, byte[]> blobs)
    {
        foreach (var (name, data) in blobs)
        {
            Assert.Equal(data, (await container.GetBlobClient(name).DownloadContentAsync()).Value.Content.ToArray());
        }
    }
}
