using Xunit;
using Strongroom.Audit;
using Strongroom.Core;
using Strongroom.Placement;
using Strongroom.Storage;

namespace Strongroom.Blobs.Tests;

/// <summary>Each step of the repair worker over local-directory sites with injected faults.</summary>
public sealed class RepairWorkerTests
{
    private const string Account = "tenantcn";

    [Fact]
    public async Task A_copy_owed_to_a_down_site_is_made_when_it_returns_and_recorded()
    {
        await using var f = await PlacementFixture.CreateAsync();
        await f.CreateAccountAsync(Account);
        var content = PlacementFixture.Pattern(70_000, 1);
        f.SetDown("e3", true);
        f.SetDown("e4", true);
        await f.PutAsync(Account, "a", content);
        var stored = await f.ObjectOfAsync(Account, "a");
        Assert.Equal(2, stored.Copies.Count(copy => copy.State == CopyState.Present));
        var owed = stored.Copies.Single(copy => copy.State == CopyState.Pending).SiteId;
        Assert.Contains(owed, new[] { "e3", "e4" });

        // Still down: nothing to do, nothing lost.
        Assert.Equal(0, (await f.PassAsync()).CopiesMade);
        Assert.Equal(1, (await f.Repair.GetStatusAsync()).PendingCopies);

        f.Faulty["e3"].Down = false;
        f.Faulty["e4"].Down = false;
        var logSize = await f.Audit.SizeAsync(Account);
        var pass = await f.PassAsync();
        Assert.Equal(2, pass.SitesBack);
        Assert.Equal(1, pass.CopiesMade);

        stored = await f.ObjectOfAsync(Account, "a");
        Assert.All(stored.Copies, copy => Assert.Equal(CopyState.Present, copy.State));
        var present = stored.Copies.First(copy => copy.SiteId != owed).SiteId;
        Assert.Equal(f.Faulty[present].Bytes(stored.ObjectId), f.Faulty[owed].Bytes(stored.ObjectId));

        var entry = (await f.Audit.EntriesAsync(Account, logSize)).Single();
        Assert.Equal(AuditActions.CopyCreated, entry.Action);
        Assert.Equal("/tenantcn/data/a", entry.Resource);
        Assert.Equal([owed], entry.Sites);
        Assert.Equal(["CN"], entry.Jurisdictions);
        Assert.Equal(stored.ObjectId, entry.Detail("objectId"));
        Assert.Equal("replication", entry.Detail("reason"));

        // The new copy alone serves the blob.
        foreach (var other in stored.Copies.Where(copy => copy.SiteId != owed))
        {
            f.SetDown(other.SiteId, true);
        }

        Assert.Equal(content, await f.ReadAsync(Account, "a"));

        var status = await f.Repair.GetStatusAsync();
        Assert.Equal(0, status.PendingCopies);
        Assert.Equal(1, status.CopiesMadeTotal);
        Assert.Equal(f.Time.GetUtcNow(), status.LastPassCompletedOn);
    }

    [Fact]
    public async Task Scrub_marks_a_corrupted_copy_bad_and_the_next_pass_replaces_it()
    {
        await using var f = await PlacementFixture.CreateAsync();
        await f.CreateAccountAsync(Account);
        var content = PlacementFixture.Pattern(200_000, 2);
        await f.PutAsync(Account, "a", content);
        var stored = await f.ObjectOfAsync(Account, "a");

        var first = await f.PassAsync();
        Assert.Equal(3, first.CopiesVerified);
        Assert.NotNull((await f.Repair.GetStatusAsync()).LastScrubCompletedOn);

        var victim = stored.Copies[1].SiteId;
        var good = f.Faulty[stored.Copies[0].SiteId].Bytes(stored.ObjectId);
        f.Faulty[victim].Corrupt(stored.ObjectId, 150_000);

        // Not before the scrub interval.
        Assert.Equal(0, (await f.PassAsync()).CopiesVerified);
        f.Time.Advance(Limits.ScrubInterval);
        var logSize = await f.Audit.SizeAsync(Account);
        var scrub = await f.PassAsync();
        Assert.Equal(1, scrub.CopiesMarkedBad);
        Assert.Equal(2, scrub.CopiesVerified);
        Assert.Equal(CopyState.Bad, (await f.ObjectOfAsync(Account, "a")).Copies.Single(copy => copy.SiteId == victim).State);

        var repair = await f.PassAsync();
        Assert.Equal(1, repair.CopiesMade);
        Assert.All((await f.ObjectOfAsync(Account, "a")).Copies, copy => Assert.Equal(CopyState.Present, copy.State));
        Assert.Equal(good, f.Faulty[victim].Bytes(stored.ObjectId));

        var entries = await f.Audit.EntriesAsync(Account, logSize);
        Assert.Equal([AuditActions.CopyMarkedBad, AuditActions.CopyCreated], entries.Select(entry => entry.Action));
        Assert.Equal("repair", entries[1].Detail("reason"));
        Assert.All(entries, entry => Assert.Equal([victim], entry.Sites));
        Assert.Equal(content, await f.ReadAsync(Account, "a"));
    }

    [Fact]
    public async Task A_source_that_does_not_match_its_checksum_becomes_bad_and_the_next_source_is_used()
    {
        await using var f = await PlacementFixture.CreateAsync();
        await f.CreateAccountAsync(Account);
        var content = PlacementFixture.Pattern(10_000, 3);
        f.SetDown("e3", true);
        f.SetDown("e4", true);
        await f.PutAsync(Account, "a", content);
        f.Faulty["e3"].Down = false;
        f.Faulty["e4"].Down = false;
        var stored = await f.ObjectOfAsync(Account, "a");
        var present = stored.Copies.Where(copy => copy.State == CopyState.Present).Select(copy => copy.SiteId).Order(StringComparer.Ordinal).ToList();
        var good = f.Faulty[present[1]].Bytes(stored.ObjectId);

        // The read order tries the lowest site id first among equals.
        f.Faulty[present[0]].Corrupt(stored.ObjectId);
        var pass = await f.PassAsync();
        Assert.Equal(1, pass.CopiesMarkedBad);
        Assert.Equal(1, pass.CopiesMade);
        var owed = stored.Copies.Single(copy => copy.State == CopyState.Pending).SiteId;
        Assert.Equal(good, f.Faulty[owed].Bytes(stored.ObjectId));

        Assert.Equal(1, (await f.PassAsync()).CopiesMade);
        stored = await f.ObjectOfAsync(Account, "a");
        Assert.All(stored.Copies, copy => Assert.Equal(CopyState.Present, copy.State));
        Assert.All(stored.Copies, copy => Assert.Equal(good, f.Faulty[copy.SiteId].Bytes(stored.ObjectId)));
    }

    [Fact]
    public async Task Without_a_good_source_the_copy_stays_owed()
    {
        await using var f = await PlacementFixture.CreateAsync();
        await f.CreateAccountAsync(Account);
        f.SetDown("e3", true);
        f.SetDown("e4", true);
        await f.PutAsync(Account, "a", PlacementFixture.Pattern(5_000, 4));
        f.Faulty["e3"].Down = false;
        f.Faulty["e4"].Down = false;
        var stored = await f.ObjectOfAsync(Account, "a");
        foreach (var copy in stored.Copies.Where(copy => copy.State == CopyState.Present))
        {
            f.Faulty[copy.SiteId].Corrupt(stored.ObjectId);
        }

        var pass = await f.PassAsync();
        Assert.Equal(0, pass.CopiesMade);
        Assert.Equal(2, pass.CopiesMarkedBad);
        stored = await f.ObjectOfAsync(Account, "a");
        Assert.Equal(CopyState.Pending, stored.Copies.Single(copy => copy.SiteId is "e3" or "e4").State);
        Assert.Equal(2, stored.Copies.Count(copy => copy.State == CopyState.Bad));
    }

    [Fact]
    public async Task A_copy_made_for_an_object_deleted_meanwhile_is_deleted_again()
    {
        await using var f = await PlacementFixture.CreateAsync();
        await f.CreateAccountAsync(Account);
        f.SetDown("e3", true);
        f.SetDown("e4", true);
        await f.PutAsync(Account, "a", PlacementFixture.Pattern(5_000, 5));
        var stored = await f.ObjectOfAsync(Account, "a");
        var owed = stored.Copies.Single(copy => copy.State == CopyState.Pending).SiteId;
        f.Faulty["e3"].Down = false;
        f.Faulty["e4"].Down = false;
        f.Faulty[owed].BeforeCommit = async _ =>
        {
            f.Faulty[owed].BeforeCommit = null;
            await f.DeleteAsync(Account, "a");
        };

        var pass = await f.PassAsync();
        Assert.Equal(0, pass.CopiesMade);
        Assert.DoesNotContain(stored.ObjectId, await f.Faulty[owed].StoredIdsAsync());
        foreach (var site in f.Faulty.Values)
        {
            Assert.DoesNotContain(stored.ObjectId, await site.StoredIdsAsync());
        }
    }

    [Fact]
    public async Task A_target_that_fails_its_write_leaves_the_copy_owed_and_is_marked_down()
    {
        await using var f = await PlacementFixture.CreateAsync();
        await f.CreateAccountAsync(Account);
        f.SetDown("e3", true);
        f.SetDown("e4", true);
        await f.PutAsync(Account, "a", PlacementFixture.Pattern(5_000, 6));
        var owed = (await f.ObjectOfAsync(Account, "a")).Copies.Single(copy => copy.State == CopyState.Pending).SiteId;
        f.Faulty["e3"].Down = false;
        f.Faulty["e4"].Down = false;
        f.Faulty[owed].FailWrites = true;

        Assert.Equal(0, (await f.PassAsync()).CopiesMade);
        Assert.False(f.Sites.IsUp(owed));
        Assert.Equal(CopyState.Pending, (await f.ObjectOfAsync(Account, "a")).Copies.Single(copy => copy.SiteId == owed).State);

        f.Faulty[owed].FailWrites = false;
        Assert.Equal(1, (await f.PassAsync()).CopiesMade);
    }

    [Fact]
    public async Task Tombstones_are_carried_when_the_site_returns()
    {
        await using var f = await PlacementFixture.CreateAsync();
        var objectId = new string('a', 32);
        await f.Faulty["e1"].PlantAsync(objectId, [1, 2, 3]);
        await f.Store.AddTombstonesAsync([new SiteObject("e1", objectId)], f.Time.GetUtcNow());
        f.SetDown("e1", true);

        Assert.Equal(0, (await f.PassAsync()).TombstonesCarried);
        Assert.Single(await f.Store.ListTombstonesAsync("e1", 10));
        Assert.Equal(1, (await f.Repair.GetStatusAsync()).Tombstones);

        f.Faulty["e1"].Down = false;
        var pass = await f.PassAsync();
        Assert.Equal(1, pass.TombstonesCarried);
        Assert.Empty(await f.Store.ListTombstonesAsync(null, 10));
        Assert.Empty(await f.Faulty["e1"].StoredIdsAsync());
    }

    [Fact]
    public async Task An_orphan_is_removed_only_after_two_scans_a_grace_apart_and_referenced_objects_stay()
    {
        await using var f = await PlacementFixture.CreateAsync();
        await f.CreateAccountAsync(Account);
        await f.PutAsync(Account, "kept", PlacementFixture.Pattern(1_000, 7));
        var kept = await f.ObjectOfAsync(Account, "kept");
        var orphan = new string('b', 32);
        await f.Faulty["e2"].PlantAsync(orphan, [9, 9, 9]);

        Assert.Equal(0, (await f.PassAsync()).OrphansRemoved);
        f.Time.Advance(Limits.OrphanScanInterval);
        Assert.Equal(0, (await f.PassAsync()).OrphansRemoved);
        Assert.Contains(orphan, await f.Faulty["e2"].StoredIdsAsync());

        f.Time.Advance(Limits.OrphanGrace - Limits.OrphanScanInterval);
        var pass = await f.PassAsync();
        Assert.Equal(1, pass.OrphansRemoved);
        Assert.DoesNotContain(orphan, await f.Faulty["e2"].StoredIdsAsync());
        foreach (var copy in kept.Copies)
        {
            Assert.Contains(kept.ObjectId, await f.Faulty[copy.SiteId].StoredIdsAsync());
        }

        Assert.Equal(1, (await f.Repair.GetStatusAsync()).OrphansRemovedTotal);
    }

    [Fact]
    public async Task An_orphan_that_becomes_referenced_within_the_grace_is_kept()
    {
        await using var f = await PlacementFixture.CreateAsync();
        await f.CreateAccountAsync(Account);

        // The write publishes on the sites, then (here: two scans later) the store commits it:
        // the second site to commit waits until the scan has seen the first one's copy.
        string? objectId = null;
        var commits = 0;
        var gate = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var published = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        Func<string, Task> hook = async id =>
        {
            objectId = id;
            if (Interlocked.Increment(ref commits) == 2)
            {
                published.TrySetResult();
                await gate.Task;
            }
        };
        f.Faulty["e1"].BeforeCommit = hook;
        f.Faulty["e2"].BeforeCommit = hook;
        f.SetDown("e3", true);
        f.SetDown("e4", true);
        var put = f.PutAsync(Account, "slow", PlacementFixture.Pattern(1_000, 8));
        await published.Task.WaitAsync(TimeSpan.FromSeconds(30));

        // e1's copy is published and unreferenced for now.
        Assert.Equal(0, (await f.Repair.RunPassAsync()).OrphansRemoved);
        gate.SetResult();
        await put;
        Assert.NotNull(objectId);

        f.Time.Advance(Limits.OrphanGrace);
        Assert.Equal(0, (await f.Repair.RunPassAsync()).OrphansRemoved);
        Assert.Contains(objectId!, await f.Faulty["e1"].StoredIdsAsync());
        Assert.Contains(objectId!, await f.Faulty["e2"].StoredIdsAsync());
    }

    [Fact]
    public async Task A_policy_change_adds_the_missing_copies_during_the_scrub_walk()
    {
        await using var f = await PlacementFixture.CreateAsync();
        await f.CreateAccountAsync(Account, new PlacementPolicyRequest(Redundancy: "custom:copies=2,zones=1,regions=1,sync"));
        var content = PlacementFixture.Pattern(3_000, 9);
        await f.PutAsync(Account, "a", content);
        Assert.Equal(2, (await f.ObjectOfAsync(Account, "a")).Copies.Count);
        await f.PassAsync();

        await f.Placement.SetAccountPolicyAsync(Account, new PlacementPolicyRequest(Redundancy: "LRS"));
        await f.ConvergeAsync();
        var stored = await f.ObjectOfAsync(Account, "a");
        Assert.Equal(3, stored.Copies.Count);
        Assert.All(stored.Copies, copy => Assert.Equal(CopyState.Present, copy.State));
        Assert.All(stored.Copies, copy => Assert.Equal("cn-east", f.Descriptor(copy.SiteId).Region));
        Assert.Equal(content, await f.ReadAsync(Account, "a"));
    }

    [Fact]
    public async Task A_pending_copy_on_a_site_no_longer_allowed_is_replaced_on_another()
    {
        await using var f = await PlacementFixture.CreateAsync();
        await f.CreateAccountAsync(Account);
        f.SetDown("e3", true);
        f.SetDown("e4", true);
        await f.PutAsync(Account, "a", PlacementFixture.Pattern(3_000, 10));
        var owed = (await f.ObjectOfAsync(Account, "a")).Copies.Single(copy => copy.State == CopyState.Pending).SiteId;
        var other = owed == "e3" ? "e4" : "e3";
        await f.Store.SetSiteStateAsync(owed, SiteState.Draining);
        f.Sites.ApplyStates(await f.Store.GetSiteStatesAsync());
        f.Faulty[other].Down = false;

        await f.PassAsync();
        await f.PassAsync();
        var stored = await f.ObjectOfAsync(Account, "a");
        Assert.DoesNotContain(stored.Copies, copy => copy.SiteId == owed);
        Assert.Contains(stored.Copies, copy => copy.SiteId == other && copy.State == CopyState.Present);
        Assert.Equal(3, stored.Copies.Count(copy => copy.State == CopyState.Present));
    }

    [Fact]
    public async Task A_copy_owed_outside_the_residency_is_never_made_and_its_row_is_replaced()
    {
        await using var f = await PlacementFixture.CreateAsync();
        await f.CreateAccountAsync(Account);
        await f.PutAsync(Account, "a", PlacementFixture.Pattern(3_000, 15));
        var stored = await f.ObjectOfAsync(Account, "a");

        // A row nothing legitimate would write: a copy owed on an EU site for a CN-only account.
        Assert.Equal([true], await f.Store.ChangeCopiesAsync([new CopyChange(stored.ObjectId, "w1", null, CopyState.Pending)]));
        await f.PassAsync();

        Assert.DoesNotContain(stored.ObjectId, await f.Faulty["w1"].StoredIdsAsync());
        Assert.Empty(f.Faulty["w1"].WrittenIds);
        stored = await f.ObjectOfAsync(Account, "a");
        Assert.DoesNotContain(stored.Copies, copy => copy.SiteId == "w1");
        Assert.Equal(3, stored.Copies.Count);
        Assert.All(stored.Copies, copy => Assert.Equal("CN", f.Descriptor(copy.SiteId).Jurisdiction));
    }
}
