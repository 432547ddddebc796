using Microsoft.Extensions.Time.Testing;
using Strongroom.Core;
using Strongroom.Storage;
using Strongroom.Testing;

namespace Strongroom.Placement.Tests;

/// <summary>
/// The data path over several sites (<see cref="ObjectSites"/>): replicated writes with sites down,
/// failing mid-stream or at commit; the quorum; bad-copy reports; deletions and tombstones. Real
/// local directory sites behind fault injection, an in-memory placement store, seeded content.
/// </summary>
public sealed class ObjectSitesTests : IAsyncLifetime
{
    private readonly FakeTimeProvider time = new(new DateTimeOffset(2026, 11, 30, 12, 0, 0, TimeSpan.Zero));
    private readonly RecordingPlacementStore store = new();
    private string directory = null!;
    private TestSites sites = null!;
    private ObjectSites objects = null!;
    private int workQueued;
    private readonly List<string> problems = [];

    public Task InitializeAsync()
    {
        directory = Directory.CreateTempSubdirectory("strongroom-objectsites-").FullName;
        sites = new TestSites(directory, time);
        objects = new ObjectSites(sites.Sites, store, time, new SeededRandomSource(5));
        objects.WorkQueued += () => workQueued++;
        objects.ProblemNoted += problems.Add;
        return Task.CompletedTask;
    }

    public async Task DisposeAsync()
    {
        await sites.DisposeAsync();
        Directory.Delete(directory, recursive: true);
    }

    private static readonly PlacementPolicy Lrs = TestSites.Policy(Redundancy.Lrs);

    private static string ObjectId(int n) => n.ToString("x32", System.Globalization.CultureInfo.InvariantCulture);

    private static byte[] Content(int length, int seed)
    {
        var bytes = new byte[length];
        new Random(seed).NextBytes(bytes);
        return bytes;
    }

    /// <summary>Writes <paramref name="content"/> in 4 KiB buffers and commits.</summary>
    private async Task<ReplicatedWriteResult> WriteAsync(PlacementPolicy policy, string objectId, byte[] content, Redundancy? redundancy = null)
    {
        await using var write = await objects.BeginWriteAsync(policy, redundancy ?? policy.Redundancy, objectId);
        for (var at = 0; at < content.Length; at += 4096)
        {
            await write.Content.WriteAsync(content.AsMemory(at, Math.Min(4096, content.Length - at)));
        }

        await write.Content.FlushAsync();
        return await write.CommitAsync();
    }

    private async Task<byte[]> ReadCopyAsync(string siteId, string objectId)
    {
        await using var stream = await sites.Local(siteId).OpenReadAsync(objectId);
        using var copy = new MemoryStream();
        await stream.CopyToAsync(copy);
        return copy.ToArray();
    }

    private static CopyState StateOn(ReplicatedWriteResult result, string siteId) => result.Copies.Single(copy => copy.SiteId == siteId).State;

    // Writes

    [Fact]
    public async Task Lrs_with_every_site_up_makes_three_present_copies_with_the_same_bytes()
    {
        var content = Content(50_000, 1);
        var result = await WriteAsync(Lrs, ObjectId(1), content);

        Assert.Equal(TestSites.Primary, result.Copies.Select(copy => copy.SiteId).Order(StringComparer.Ordinal));
        Assert.All(result.Copies, copy => Assert.Equal(CopyState.Present, copy.State));
        Assert.Equal(content.Length, result.CiphertextLength);
        var crc = new Crc64Nvme();
        crc.Append(content);
        Assert.Equal(crc.GetCurrentValue(), result.CiphertextCrc64);
        foreach (var siteId in TestSites.Primary)
        {
            Assert.Equal(content, await ReadCopyAsync(siteId, ObjectId(1)));
        }

        Assert.Equal(0, workQueued);
        Assert.All(TestSites.Secondary.Append(TestSites.Foreign), id => Assert.Empty(sites.ObjectFiles(id)));
    }

    [Fact]
    public async Task Lrs_with_a_site_known_down_writes_two_and_owes_the_third()
    {
        sites.Sites.ReportFailure("east-2", new IOException("unreachable"));
        var result = await WriteAsync(Lrs, ObjectId(2), Content(10_000, 2));

        Assert.Equal(CopyState.Present, StateOn(result, "east-1"));
        Assert.Equal(CopyState.Pending, StateOn(result, "east-2"));
        Assert.Equal(CopyState.Present, StateOn(result, "east-3"));
        Assert.Equal(0, sites["east-2"].WritesBegun);
        Assert.Equal(1, workQueued);
    }

    [Fact]
    public async Task A_site_that_fails_to_open_is_reported_down_and_owed_its_copy()
    {
        sites["east-1"].FailBeginWrite = true;
        var result = await WriteAsync(Lrs, ObjectId(3), Content(10_000, 3));

        Assert.Equal(CopyState.Pending, StateOn(result, "east-1"));
        Assert.Equal(2, result.Copies.Count(copy => copy.State == CopyState.Present));
        Assert.False(sites.Sites.IsUp("east-1"));
        Assert.Equal(1, workQueued);
        Assert.Contains(problems, problem => problem.Contains("east-1", StringComparison.Ordinal) && !problem.Contains("Injected", StringComparison.Ordinal));
    }

    [Fact]
    public async Task A_site_failing_mid_stream_is_dropped_and_the_others_finish()
    {
        var content = Content(40_000, 4);
        sites["east-3"].FailWriteAfterBytes = 10_000;
        var result = await WriteAsync(Lrs, ObjectId(4), content);

        Assert.Equal(CopyState.Pending, StateOn(result, "east-3"));
        Assert.Equal(content, await ReadCopyAsync("east-1", ObjectId(4)));
        Assert.Equal(content, await ReadCopyAsync("east-2", ObjectId(4)));
        Assert.False(sites.Holds("east-3", ObjectId(4)));
        Assert.Empty(sites.PartialFiles("east-3"));
        Assert.False(sites.Sites.IsUp("east-3"));
        Assert.Equal(content.Length, result.CiphertextLength);
    }

    [Fact]
    public async Task A_site_failing_at_commit_is_owed_its_copy()
    {
        sites["east-2"].FailCommit = true;
        var result = await WriteAsync(Lrs, ObjectId(5), Content(5_000, 5));

        Assert.Equal(CopyState.Pending, StateOn(result, "east-2"));
        Assert.False(sites.Holds("east-2", ObjectId(5)));
        Assert.Empty(sites.PartialFiles("east-2"));
        Assert.Equal(1, workQueued);
    }

    [Fact]
    public async Task A_commit_that_fails_after_publishing_leaves_no_copy_under_the_pending_id()
    {
        sites["east-1"].FailCommitAfterPublish = true;
        var result = await WriteAsync(Lrs, ObjectId(19), Content(5_000, 19));

        Assert.Equal(CopyState.Pending, StateOn(result, "east-1"));
        Assert.False(sites.Holds("east-1", ObjectId(19)));
        Assert.True(sites.Holds("east-2", ObjectId(19)));
    }

    [Fact]
    public async Task Two_sites_down_refuse_an_lrs_write_before_any_byte()
    {
        foreach (var siteId in new[] { "east-1", "east-3" })
        {
            sites[siteId].Down = true;
            sites.Sites.ReportFailure(siteId, new IOException("unreachable"));
        }

        var refused = await Assert.ThrowsAsync<StorageException>(() => objects.BeginWriteAsync(Lrs, Redundancy.Lrs, ObjectId(6)));
        Assert.Equal(ErrorCode.InsufficientSitesAvailable, refused.Code);
        Assert.Equal(0, sites["east-2"].WritesBegun);
        Assert.False(sites.Sites.IsUp("east-1"));
        Assert.True(sites.AllEmpty());
    }

    [Fact]
    public async Task Stale_down_marks_are_probed_before_a_write_is_refused()
    {
        // Another server (or the repair pass elsewhere) saw these sites come back; this one has not
        // probed since. The write probes them, finds them up and goes on with every copy.
        sites.Sites.ReportFailure("east-1", new IOException("was unreachable"));
        sites.Sites.ReportFailure("east-3", new IOException("was unreachable"));

        var result = await WriteAsync(Lrs, ObjectId(26), Content(5_000, 26));

        Assert.All(result.Copies, copy => Assert.Equal(CopyState.Present, copy.State));
        Assert.True(sites.Sites.IsUp("east-1"));
        Assert.True(sites.Sites.IsUp("east-3"));
    }

    [Fact]
    public async Task Two_sites_failing_to_open_leave_nothing_open()
    {
        sites["east-1"].FailBeginWrite = true;
        sites["east-2"].FailBeginWrite = true;

        var refused = await Assert.ThrowsAsync<StorageException>(() => objects.BeginWriteAsync(Lrs, Redundancy.Lrs, ObjectId(7)));
        Assert.Equal(ErrorCode.InsufficientSitesAvailable, refused.Code);
        Assert.True(sites.AllEmpty());
    }

    [Fact]
    public async Task Losing_the_quorum_mid_stream_fails_the_write_and_leaves_nothing()
    {
        sites["east-1"].FailWriteAfterBytes = 4096;
        sites["east-2"].FailWriteAfterBytes = 20_000;

        var refused = await Assert.ThrowsAsync<StorageException>(() => WriteAsync(Lrs, ObjectId(8), Content(40_000, 8)));
        Assert.Equal(ErrorCode.InsufficientSitesAvailable, refused.Code);
        Assert.True(sites.AllEmpty());
        Assert.Equal(0, workQueued);
    }

    [Fact]
    public async Task Losing_the_quorum_at_commit_deletes_the_copy_that_was_committed()
    {
        sites["east-2"].FailCommit = true;
        sites["east-3"].FailCommit = true;

        var refused = await Assert.ThrowsAsync<StorageException>(() => WriteAsync(Lrs, ObjectId(9), Content(9_000, 9)));
        Assert.Equal(ErrorCode.InsufficientSitesAvailable, refused.Code);
        Assert.True(sites.AllEmpty());
    }

    [Fact]
    public async Task A_committed_copy_that_cannot_be_deleted_after_a_lost_quorum_gets_a_tombstone()
    {
        sites["east-2"].FailCommit = true;
        sites["east-3"].FailCommit = true;
        sites["east-1"].FailDelete = true;

        await Assert.ThrowsAsync<StorageException>(() => WriteAsync(Lrs, ObjectId(10), Content(3_000, 10)));
        Assert.Equal([new SiteObject("east-1", ObjectId(10))], store.Tombstones);
    }

    [Fact]
    public async Task A_single_copy_write_fails_when_its_site_fails()
    {
        var single = TestSites.Policy(Redundancy.Custom(1, 1, 1, true));
        sites["east-1"].FailWriteAfterBytes = 100;
        sites["east-2"].FailWriteAfterBytes = 100;
        sites["east-3"].FailWriteAfterBytes = 100;

        var refused = await Assert.ThrowsAsync<StorageException>(() => WriteAsync(single, ObjectId(11), Content(5_000, 11)));
        Assert.Equal(ErrorCode.InsufficientSitesAvailable, refused.Code);
        Assert.True(sites.AllEmpty());
    }

    [Fact]
    public async Task A_single_copy_write_makes_one_present_copy()
    {
        var single = TestSites.Policy(Redundancy.Custom(1, 1, 1, true));
        var content = Content(12_345, 12);
        var result = await WriteAsync(single, ObjectId(12), content);

        var copy = Assert.Single(result.Copies);
        Assert.Equal(CopyState.Present, copy.State);
        Assert.Equal(content, await ReadCopyAsync(copy.SiteId, ObjectId(12)));
    }

    [Fact]
    public async Task Grs_writes_the_primary_region_and_owes_the_secondary_region_in_the_outbox()
    {
        var grs = TestSites.Policy(Redundancy.Grs);
        var result = await WriteAsync(grs, ObjectId(13), Content(8_000, 13));

        Assert.All(TestSites.Primary, id => Assert.Equal(CopyState.Present, StateOn(result, id)));
        Assert.All(TestSites.Secondary, id => Assert.Equal(CopyState.Pending, StateOn(result, id)));
        Assert.All(TestSites.Secondary, id => Assert.Empty(sites.ObjectFiles(id)));
        Assert.Equal(1, workQueued);
    }

    [Fact]
    public async Task A_synchronous_two_region_policy_writes_both_regions_before_the_acknowledgement()
    {
        var policy = TestSites.Policy(Redundancy.Custom(4, 1, 2, true));
        var result = await WriteAsync(policy, ObjectId(14), Content(8_000, 14));

        Assert.Equal(4, result.Copies.Count(copy => copy.State == CopyState.Present));
        Assert.Equal(2, result.Copies.Count(copy => TestSites.Secondary.Contains(copy.SiteId)));
        Assert.Equal(0, workQueued);
    }

    [Fact]
    public async Task No_policy_ever_puts_a_cn_object_on_the_eu_site()
    {
        foreach (var (redundancy, n) in new[] { Redundancy.Lrs, Redundancy.Zrs, Redundancy.Grs, Redundancy.RaGzrs, Redundancy.Custom(6, 1, 2, true) }.Select((r, i) => (r, i)))
        {
            var result = await WriteAsync(TestSites.Policy(redundancy), ObjectId(100 + n), Content(1_000, n));
            Assert.DoesNotContain(result.Copies, copy => copy.SiteId == TestSites.Foreign);
        }

        Assert.Empty(sites.ObjectFiles(TestSites.Foreign));
        Assert.Equal(0, sites[TestSites.Foreign].WritesBegun);
    }

    [Fact]
    public async Task A_resident_site_refuses_an_object_outside_its_residency_as_a_broken_invariant()
    {
        var eu = sites.Sites.Get(TestSites.Foreign);

        await Assert.ThrowsAsync<InvariantViolationException>(() => eu.BeginWriteAsync(ObjectId(15), Lrs));
        Assert.Equal(0, sites[TestSites.Foreign].WritesBegun);
        Assert.True(sites.AllEmpty());
    }

    [Fact]
    public async Task A_residency_violation_in_a_write_fails_it_and_leaves_nothing_open()
    {
        // A policy whose primary region lies outside its own residency can only come from a bug;
        // the placer never chooses such a site, and the site layer checks again.
        var wrong = new PlacementPolicy(["CN"], "eu-west", null, Redundancy.Custom(1, 1, 1, true));
        var plan = Placer.Plan(sites.Sites.Sites, sites.Sites.IsUp, wrong, wrong.Redundancy, new SeededRandomSource(1));
        Assert.DoesNotContain(plan.Synchronous, site => site.Id == TestSites.Foreign);

        await Assert.ThrowsAsync<InvariantViolationException>(() => sites.Sites.Get(TestSites.Foreign).BeginWriteAsync(ObjectId(16), wrong));
        Assert.True(sites.AllEmpty());
    }

    [Fact]
    public async Task Disposing_an_uncommitted_write_discards_every_copy()
    {
        await using (var write = await objects.BeginWriteAsync(Lrs, Redundancy.Lrs, ObjectId(17)))
        {
            await write.Content.WriteAsync(Content(10_000, 17));
        }

        Assert.True(sites.AllEmpty());
    }

    [Fact]
    public async Task A_cancelled_write_fails_and_leaves_nothing()
    {
        using var cancel = new CancellationTokenSource();
        await using (var write = await objects.BeginWriteAsync(Lrs, Redundancy.Lrs, ObjectId(18)))
        {
            await write.Content.WriteAsync(Content(1_000, 18));
            await cancel.CancelAsync();
            await Assert.ThrowsAnyAsync<OperationCanceledException>(() => write.Content.WriteAsync(Content(1_000, 19), cancel.Token).AsTask());
        }

        Assert.True(sites.AllEmpty());
    }

    // Bad copies

    private static StoredObject Stored(string objectId, params string[] siteIds) =>
        new(objectId, siteIds.Select(id => new ObjectCopy(id, CopyState.Present)).ToList(), new byte[40], 100);

    [Fact]
    public async Task A_bad_copy_is_marked_bad_with_its_audit_entry_and_wakes_the_worker()
    {
        var audit = new AuditAppend("tenanta", time.GetUtcNow(), [1, 2, 3]);
        await objects.ReportBadCopyAsync(Stored(ObjectId(20), "east-1", "east-2"), "east-2", new StorageException(ErrorCode.IntegrityCheckFailed), audit);

        var change = Assert.Single(store.Changes);
        Assert.Equal(new CopyChange(ObjectId(20), "east-2", CopyState.Present, CopyState.Bad, audit), change);
        Assert.Equal(1, workQueued);
        Assert.True(sites.Sites.IsUp("east-2"));
    }

    [Fact]
    public async Task A_read_error_of_the_site_also_marks_the_site_down_but_a_missing_copy_does_not()
    {
        await objects.ReportBadCopyAsync(Stored(ObjectId(21), "east-1"), "east-1", new IOException("unreachable"));
        await objects.ReportBadCopyAsync(Stored(ObjectId(21), "east-3"), "east-3", new FileNotFoundException("gone"));

        Assert.False(sites.Sites.IsUp("east-1"));
        Assert.True(sites.Sites.IsUp("east-3"));
        Assert.Equal(2, store.Changes.Count);
    }

    [Fact]
    public async Task A_bad_copy_report_never_throws_when_the_store_fails()
    {
        store.Fail = true;
        await objects.ReportBadCopyAsync(Stored(ObjectId(22), "east-1"), "east-1", new StorageException(ErrorCode.IntegrityCheckFailed));

        Assert.Equal(1, workQueued);
        var problem = Assert.Single(problems);
        Assert.Contains(ObjectId(22), problem, StringComparison.Ordinal);
    }

    // Deletions

    [Fact]
    public async Task Deleting_removes_every_copy_of_every_object()
    {
        var first = await WriteAsync(Lrs, ObjectId(30), Content(2_000, 30));
        var second = await WriteAsync(Lrs, ObjectId(31), Content(2_000, 31));

        await objects.DeleteAsync([new StoredObject(ObjectId(30), first.Copies, new byte[40], 2_000), new StoredObject(ObjectId(31), second.Copies, new byte[40], 2_000)]);

        Assert.True(sites.AllEmpty());
        Assert.Empty(store.Tombstones);
        Assert.Equal(0, workQueued);
    }

    [Fact]
    public async Task A_site_that_cannot_delete_gets_a_tombstone_and_the_others_delete()
    {
        var written = await WriteAsync(Lrs, ObjectId(32), Content(2_000, 32));
        sites["east-2"].FailDelete = true;

        await objects.DeleteAsync([new StoredObject(ObjectId(32), written.Copies, new byte[40], 2_000)]);

        Assert.Equal([new SiteObject("east-2", ObjectId(32))], store.Tombstones);
        Assert.True(sites.Holds("east-2", ObjectId(32)));
        Assert.False(sites.Holds("east-1", ObjectId(32)));
        Assert.False(sites.Holds("east-3", ObjectId(32)));
        Assert.False(sites.Sites.IsUp("east-2"));
        Assert.Equal(1, workQueued);
    }

    [Fact]
    public async Task A_site_known_down_gets_a_tombstone_without_being_asked()
    {
        var written = await WriteAsync(Lrs, ObjectId(33), Content(2_000, 33));
        sites.Sites.ReportFailure("east-1", new IOException("unreachable"));

        await objects.DeleteAsync([new StoredObject(ObjectId(33), written.Copies, new byte[40], 2_000)]);

        Assert.Equal([new SiteObject("east-1", ObjectId(33))], store.Tombstones);
        Assert.Equal(0, sites["east-1"].DeletesAttempted);
    }

    [Fact]
    public async Task A_copy_already_absent_counts_as_deleted()
    {
        await objects.DeleteAsync([Stored(ObjectId(34), "east-1", "north-1")]);

        Assert.Empty(store.Tombstones);
        Assert.Equal(1, sites["east-1"].DeletesAttempted);
        Assert.Equal(1, sites["north-1"].DeletesAttempted);
    }

    [Fact]
    public async Task Deleting_never_throws_when_tombstones_cannot_be_recorded()
    {
        sites["east-1"].FailDelete = true;
        store.Fail = true;

        await objects.DeleteAsync([Stored(ObjectId(35), "east-1")]);

        Assert.Single(problems, problem => problem.Contains("tombstone", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Many_objects_are_deleted_in_parallel_with_failures_tombstoned_in_order()
    {
        var removed = new List<StoredObject>();
        for (var i = 0; i < 40; i++)
        {
            var written = await WriteAsync(Lrs, ObjectId(200 + i), Content(500, i));
            removed.Add(new StoredObject(ObjectId(200 + i), written.Copies, new byte[40], 500));
        }

        sites["east-3"].FailDelete = true;
        await objects.DeleteAsync(removed);

        Assert.Equal(removed.Select(stored => new SiteObject("east-3", stored.ObjectId)), store.Tombstones);
        Assert.Empty(sites.ObjectFiles("east-1"));
        Assert.Empty(sites.ObjectFiles("east-2"));
        Assert.Equal(40, sites.ObjectFiles("east-3").Count);
    }

    // Read order

    [Fact]
    public void Reads_prefer_the_primary_region_then_up_sites_and_the_secondary_endpoint_its_own_region()
    {
        var stored = Stored(ObjectId(40), "north-2", "east-3", "east-1", "north-1");
        sites.Sites.ReportFailure("east-1", new IOException("unreachable"));

        Assert.Equal(["east-3", "east-1", "north-1", "north-2"], objects.ReadOrder(stored, Lrs, ReadLocation.Primary).Select(site => site.Id));
        Assert.Equal(["north-1", "north-2", "east-3", "east-1"], objects.ReadOrder(stored, Lrs, ReadLocation.Secondary).Select(site => site.Id));
    }

    [Fact]
    public void Only_present_copies_are_read()
    {
        var stored = new StoredObject(ObjectId(41), [new ObjectCopy("east-1", CopyState.Bad), new ObjectCopy("east-2", CopyState.Pending), new ObjectCopy("east-3", CopyState.Present)], new byte[40], 1);

        Assert.Equal(["east-3"], objects.ReadOrder(stored, Lrs, ReadLocation.Primary).Select(site => site.Id));
        Assert.Empty(objects.ReadOrder(stored with { Copies = [new ObjectCopy("east-1", CopyState.Bad)] }, Lrs, ReadLocation.Primary));
    }
}
