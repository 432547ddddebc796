using Strongroom.Audit;
using Strongroom.Core;
using Strongroom.Placement;
using Strongroom.Storage;
using Xunit;

namespace Strongroom.Blobs.Tests;

/// <summary>Drain, remove and account failover over local-directory sites, residency kept throughout.</summary>
public sealed class DrainAndFailoverTests
{
    private const string Account = "tenantcn";
    private const string Geo = "tenantgeo";

    [Fact]
    public async Task Drain_moves_every_copy_inside_the_residency_then_the_site_can_be_removed()
    {
        await using var f = await PlacementFixture.CreateAsync();
        await f.CreateAccountAsync(Account);
        var contents = new Dictionary<string, byte[]>();
        for (var i = 0; i < 8; i++)
        {
            contents["b" + i] = PlacementFixture.Pattern(4_000 + i, 100 + i);
            await f.PutAsync(Account, "b" + i, contents["b" + i]);
        }

        var onE1 = 0;
        foreach (var name in contents.Keys)
        {
            onE1 += (await f.ObjectOfAsync(Account, name)).Copies.Count(copy => copy.SiteId == "e1");
        }

        Assert.True(onE1 > 0);
        var platformSize = await f.Audit.SizeAsync(AuditLogs.Platform);
        var accountSize = await f.Audit.SizeAsync(Account);

        var result = await f.Repair.DrainAsync("e1");
        Assert.Equal(0, result.CopiesRemaining);
        Assert.Empty(result.Problems);
        Assert.Equal(onE1, result.CopiesMoved);
        Assert.Equal(SiteState.Draining, f.Descriptor("e1").State);
        Assert.Empty(await f.Faulty["e1"].StoredIdsAsync());

        foreach (var (name, content) in contents)
        {
            var stored = await f.ObjectOfAsync(Account, name);
            Assert.Equal(3, stored.Copies.Count);
            Assert.All(stored.Copies, copy => Assert.Equal(CopyState.Present, copy.State));
            Assert.All(stored.Copies, copy => Assert.Equal("cn-east", f.Descriptor(copy.SiteId).Region));
            Assert.Equal(content, await f.ReadAsync(Account, name));
        }

        var platform = await f.Audit.EntriesAsync(AuditLogs.Platform, platformSize);
        var drained = Assert.Single(platform);
        Assert.Equal(AuditActions.SiteStateChanged, drained.Action);
        Assert.Equal("site:/e1", drained.Resource);
        Assert.Equal("Draining", drained.Detail("state"));

        var entries = await f.Audit.EntriesAsync(Account, accountSize);
        Assert.Equal(onE1, entries.Count(entry => entry.Action == AuditActions.CopyCreated && entry.Detail("reason") == "drain"));
        var removed = entries.Where(entry => entry.Action == AuditActions.CopyRemoved).ToList();
        Assert.Equal(onE1, removed.Count);
        Assert.All(removed, entry => Assert.Equal(["e1"], entry.Sites));

        await f.Repair.RemoveSiteAsync("e1");
        Assert.Equal(SiteState.Removed, f.Descriptor("e1").State);
        Assert.Equal(SiteState.Removed, (await f.Store.GetSiteStatesAsync())["e1"]);
        Assert.Equal("Removed", (await f.Audit.EntriesAsync(AuditLogs.Platform, platformSize + 1)).Single().Detail("state"));

        // Removing twice is a no-op; draining a removed site is refused.
        await f.Repair.RemoveSiteAsync("e1");
        Assert.Equal(ErrorCode.SiteNotFound, (await Assert.ThrowsAsync<StorageException>(() => f.Repair.DrainAsync("e1"))).Code);
    }

    [Fact]
    public async Task Drain_reports_objects_that_cannot_be_placed_inside_the_residency_and_keeps_them()
    {
        await using var f = await PlacementFixture.CreateAsync();
        await f.CreateAccountAsync(Account);
        await f.PutAsync(Account, "a", PlacementFixture.Pattern(2_000, 11));
        Assert.Equal(0, (await f.Repair.DrainAsync("e4")).CopiesRemaining);

        // cn-east now has three active sites: LRS cannot leave any of them (and never goes to EU).
        var stored = await f.ObjectOfAsync(Account, "a");
        var victim = stored.Copies[0].SiteId;
        var result = await f.Repair.DrainAsync(victim);
        Assert.Equal(1, result.CopiesRemaining);
        Assert.Contains(result.Problems, problem => problem.Contains("/tenantcn/data/a", StringComparison.Ordinal));
        stored = await f.ObjectOfAsync(Account, "a");
        Assert.Contains(stored.Copies, copy => copy.SiteId == victim && copy.State == CopyState.Present);
        Assert.All(stored.Copies, copy => Assert.Equal("CN", f.Descriptor(copy.SiteId).Jurisdiction));
        Assert.Contains(stored.ObjectId, await f.Faulty[victim].StoredIdsAsync());

        var refused = await Assert.ThrowsAsync<StorageException>(() => f.Repair.RemoveSiteAsync(victim));
        Assert.Equal(ErrorCode.SiteNotDrained, refused.Code);
        Assert.Equal(SiteState.Draining, f.Descriptor(victim).State);
    }

    [Fact]
    public async Task Drain_with_the_target_down_finishes_when_run_again()
    {
        await using var f = await PlacementFixture.CreateAsync();
        await f.CreateAccountAsync(Account);
        f.SetDown("e4", true);
        await f.PutAsync(Account, "a", PlacementFixture.Pattern(2_000, 12));
        var stored = await f.ObjectOfAsync(Account, "a");
        Assert.DoesNotContain(stored.Copies, copy => copy.SiteId == "e4");

        // The only replacement site is down: the copy stays on the draining site.
        var first = await f.Repair.DrainAsync("e1");
        Assert.Equal(1, first.CopiesRemaining);
        Assert.NotEmpty(first.Problems);
        Assert.Contains(stored.ObjectId, await f.Faulty["e1"].StoredIdsAsync());

        f.Faulty["e4"].Down = false;
        f.Time.Advance(Limits.SiteProbeInterval);
        var second = await f.Repair.DrainAsync("e1");
        Assert.Equal(0, second.CopiesRemaining);
        Assert.Equal(1, second.CopiesMoved);
        stored = await f.ObjectOfAsync(Account, "a");
        Assert.Equal(["e2", "e3", "e4"], stored.Copies.Select(copy => copy.SiteId).Order(StringComparer.Ordinal));
    }

    [Fact]
    public async Task Remove_is_refused_for_an_active_site_a_site_with_tombstones_and_an_unknown_site()
    {
        await using var f = await PlacementFixture.CreateAsync();
        Assert.Equal(ErrorCode.SiteNotDrained, (await Assert.ThrowsAsync<StorageException>(() => f.Repair.RemoveSiteAsync("e1"))).Code);
        Assert.Equal(ErrorCode.SiteNotFound, (await Assert.ThrowsAsync<StorageException>(() => f.Repair.RemoveSiteAsync("nowhere"))).Code);
        Assert.Equal(ErrorCode.SiteNotFound, (await Assert.ThrowsAsync<StorageException>(() => f.Repair.DrainAsync("nowhere"))).Code);

        await f.Store.AddTombstonesAsync([new SiteObject("w1", new string('c', 32))], f.Time.GetUtcNow());
        f.SetDown("w1", true);
        Assert.Equal(0, (await f.Repair.DrainAsync("w1")).CopiesRemaining);
        Assert.Equal(ErrorCode.SiteNotDrained, (await Assert.ThrowsAsync<StorageException>(() => f.Repair.RemoveSiteAsync("w1"))).Code);

        f.Faulty["w1"].Down = false;
        await f.PassAsync();
        await f.Repair.RemoveSiteAsync("w1");
        Assert.Equal(SiteState.Removed, f.Descriptor("w1").State);
    }

    [Fact]
    public async Task Failover_makes_the_secondary_primary_as_LRS_and_reports_what_was_not_replicated()
    {
        await using var f = await PlacementFixture.CreateAsync();
        await f.CreateAccountAsync(Geo, new PlacementPolicyRequest(Redundancy: "GRS"));
        var synced = PlacementFixture.Pattern(6_000, 13);
        await f.PutAsync(Geo, "synced", synced);
        var stored = await f.ObjectOfAsync(Geo, "synced");
        Assert.Equal(3, stored.Copies.Count(copy => copy.State == CopyState.Pending && f.Descriptor(copy.SiteId).Region == "cn-north"));
        Assert.Equal(3, (await f.PassAsync()).CopiesMade);

        f.Time.Advance(TimeSpan.FromMinutes(1));
        var writtenOn = f.Time.GetUtcNow();
        var late = PlacementFixture.Pattern(7_000, 14);
        await f.PutAsync(Geo, "late", late);

        var platformSize = await f.Audit.SizeAsync(AuditLogs.Platform);
        var accountSize = await f.Audit.SizeAsync(Geo);
        var result = await f.Placement.FailoverAsync(Geo);
        Assert.Equal("cn-east", result.OldPrimaryRegion);
        Assert.Equal("cn-north", result.NewPrimaryRegion);
        Assert.Equal(Redundancy.Lrs, result.NewRedundancy);
        Assert.Equal(1, result.ObjectsAtRisk);
        Assert.Equal(late.Length, result.BytesAtRisk);
        Assert.Equal(writtenOn, result.LastSyncTime);

        var policy = (await f.Store.GetAccountAsync(Geo))!.Placement!;
        Assert.Equal("cn-north", policy.PrimaryRegion);
        Assert.Null(policy.SecondaryRegion);
        Assert.Equal(Redundancy.Lrs, policy.Redundancy);
        Assert.Equal(["CN"], policy.Residency);
        Assert.Equal(AuditActions.Failover, (await f.Audit.EntriesAsync(AuditLogs.Platform, platformSize)).Single().Action);
        var recorded = (await f.Audit.EntriesAsync(Geo, accountSize)).Single();
        Assert.Equal(AuditActions.Failover, recorded.Action);
        Assert.Equal("1", recorded.Detail("objectsAtRisk"));

        // Old-primary copies stay until the new primary holds everything, then go.
        await f.ConvergeAsync();
        foreach (var (name, content) in new[] { ("synced", synced), ("late", late) })
        {
            stored = await f.ObjectOfAsync(Geo, name);
            Assert.Equal(3, stored.Copies.Count);
            Assert.All(stored.Copies, copy => Assert.Equal(CopyState.Present, copy.State));
            Assert.All(stored.Copies, copy => Assert.Equal("cn-north", f.Descriptor(copy.SiteId).Region));
            Assert.Equal(content, await f.ReadAsync(Geo, name));
        }

        // The account is no longer geo-redundant.
        Assert.Equal(ErrorCode.AccountNotGeoRedundant, (await Assert.ThrowsAsync<StorageException>(() => f.Placement.FailoverAsync(Geo))).Code);
    }

    [Fact]
    public async Task Failover_is_refused_without_a_secondary_and_for_an_unknown_account()
    {
        await using var f = await PlacementFixture.CreateAsync();
        await f.CreateAccountAsync(Account);
        var platformSize = await f.Audit.SizeAsync(AuditLogs.Platform);
        Assert.Equal(ErrorCode.AccountNotGeoRedundant, (await Assert.ThrowsAsync<StorageException>(() => f.Placement.FailoverAsync(Account))).Code);
        Assert.Equal(ErrorCode.AccountNotFound, (await Assert.ThrowsAsync<StorageException>(() => f.Placement.FailoverAsync("nosuchaccount"))).Code);
        Assert.Equal(platformSize, await f.Audit.SizeAsync(AuditLogs.Platform));
        Assert.Equal("cn-east", (await f.Store.GetAccountAsync(Account))!.Placement?.PrimaryRegion ?? f.Placement.DefaultPolicy().PrimaryRegion);
    }

    [Fact]
    public void A_custom_geo_redundancy_fails_over_to_its_secondary_share_synchronously()
    {
        var custom = Redundancy.Custom(5, 2, 2, false);
        var after = PlacementService.FailoverRedundancy(custom);
        Assert.Equal(RedundancyKind.Custom, after.Kind);
        Assert.Equal(custom.SecondaryCopies, after.Copies);
        Assert.Equal(1, after.Regions);
        Assert.True(after.SecondarySynchronous);
        Assert.Equal(Redundancy.Lrs, PlacementService.FailoverRedundancy(Redundancy.RaGzrs));
    }
}
