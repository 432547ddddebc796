using Strongroom.TestSupport;
using Microsoft.Data.Sqlite;
using Strongroom.Core;

namespace Strongroom.Storage.Tests;

/// <summary>Copies, placement policies, site states, tombstones and placement reports in the SQLite store (migration 7).</summary>
public sealed class PlacementStoreTests : AuditStoreTestBase
{
    private static readonly PlacementPolicy China = new(["CN", "HK"], "cn-north", "cn-south", Redundancy.RaGzrs);

    private IPlacementStore Placement => Store;

    private StoredObject ObjectWith(params (string Site, CopyState State)[] copies) =>
        NewObject() with { Copies = [.. copies.Select(c => new ObjectCopy(c.Site, c.State))] };

    private static ObjectCopy[] Copies(params (string Site, CopyState State)[] copies) => [.. copies.Select(c => new ObjectCopy(c.Site, c.State))];

    private async Task<StoredObject> PutAsync(string name, StoredObject stored, string account = "acct", string container = "cont")
    {
        await Store.CommitBlobAsync(Blob(account, container, name, length: stored.PlaintextLength), [Part(0, stored)]);
        return stored;
    }

    private async Task<StoredObject> ReadOnlyPartAsync(string name, string account = "acct", string container = "cont") =>
        Assert.Single((await Store.GetBlobWithPartsAsync(account, container, name))!.Value.Parts).Object;

    // Migration

    [Fact]
    public async Task A_version_6_database_gains_one_present_copy_per_object_and_each_object_its_account()
    {
        // SQLite itself (its file, WAL, pragmas, migrations from old versions, SQL dialect).
        if (TestMetadata.UsesPostgres)
        {
            return;
        }

        await Store.DisposeAsync();
        SqliteConnection.ClearAllPools();
        File.Delete(DatabasePath);
        using (var connection = OpenSqliteConnection())
        {
            SqliteSchema.Migrate(connection, DatabasePath, targetVersion: 6);
            using var command = connection.CreateCommand();
            command.CommandText =
                $"INSERT INTO accounts (name, wrapped_key1, wrapped_key2, created_on, state, cipher_suite) VALUES ('old', x'01', x'02', {T0.UtcTicks}, 0, 1);" +
                $"INSERT INTO account_keks VALUES ('old', 1, x'03', {T0.UtcTicks});" +
                $"INSERT INTO containers (account, name, etag, created_on, last_modified, metadata) VALUES ('old', 'c', '\"e\"', {T0.UtcTicks}, {T0.UtcTicks}, '[]');" +
                $"INSERT INTO blobs (account, container, name, blob_type, content_length, etag, created_on, last_modified, metadata) VALUES ('old', 'c', 'b', 0, 7, '\"e\"', {T0.UtcTicks}, {T0.UtcTicks}, '[]');" +
                "INSERT INTO objects (object_id, site_id, wrapped_key, plaintext_length) VALUES ('o-part', 'site-a', x'0a', 7), ('o-block', 'site-b', x'0b', 3), ('o-orphan', 'site-a', x'0c', 1);" +
                "INSERT INTO blob_parts VALUES ('old', 'c', 'b', 0, NULL, 'o-part');" +
                $"INSERT INTO uncommitted_blocks VALUES ('old', 'c', 'b', 'blk', 'o-block', {T0.UtcTicks});";
            command.ExecuteNonQuery();
        }

        Store = await SqlMetadataStore.OpenSqliteAsync(DatabasePath);

        Assert.Equal(SqliteSchema.CurrentVersion, Scalar("SELECT MAX(version) FROM schema_version"));
        Assert.Equal(3, Scalar("SELECT COUNT(*) FROM object_copies WHERE state = 0"));
        Assert.Equal(0, Scalar("SELECT COUNT(*) FROM sqlite_schema WHERE name = 'objects_by_site'"));
        Assert.Equal(1, Scalar("SELECT COUNT(*) FROM objects WHERE account IS NULL AND object_id = 'o-orphan'"));
        Assert.Equal(2, Scalar("SELECT COUNT(*) FROM objects WHERE account = 'old'"));

        var part = Assert.Single((await Store.GetBlobWithPartsAsync("old", "c", "b"))!.Value.Parts).Object;
        Assert.Equal(Copies(("site-a", CopyState.Present)), part.Copies);
        Assert.Equal((0L, (ulong?)null, new DateTimeOffset(0, TimeSpan.Zero)), (part.CiphertextLength, part.CiphertextCrc64, part.CreatedOn));
        var block = Assert.Single(await Store.GetUncommittedBlocksAsync("old", "c", "b")).Object;
        Assert.Equal(Copies(("site-b", CopyState.Present)), block.Copies);

        Assert.Null((await Store.GetAccountAsync("old"))!.Placement);
        Assert.Null((await Store.GetContainerAsync("old", "c"))!.Redundancy);
        Assert.Equal(["o-orphan", "o-part"], (await Store.ListObjectIdsAsync("site-a")).Order(StringComparer.Ordinal));
        Assert.Equal(
            [new SiteCopyCounts("site-a", 1, 0, 0, 0), new SiteCopyCounts("site-b", 1, 0, 0, 0)],
            await Placement.GetAccountSiteUsageAsync("old"));

        // The orphan has no owner; the tables work at once.
        var orphan = Assert.Single(await Placement.ListObjectsAsync("o-block", 10), o => o.Object.ObjectId == "o-orphan");
        Assert.Equal((null, null, null), (orphan.Account, orphan.Container, orphan.Blob));
        Assert.Equal([true], await Placement.ChangeCopiesAsync([new CopyChange("o-part", "site-c", null, CopyState.Pending)]));
        Assert.Equal(1, (await Placement.GetPlacementBacklogAsync()).PendingCopies);

        // Deleting the blob drops its objects with every copy.
        var removed = await Store.DeleteBlobAsync("old", "c", "b");
        Assert.Equal(["o-block", "o-part"], Ids(removed));
        Assert.Equal(Copies(("site-a", CopyState.Present), ("site-c", CopyState.Pending)), removed.Single(o => o.ObjectId == "o-part").Copies);
        Assert.Equal(1, Scalar("SELECT COUNT(*) FROM object_copies"));
    }

    // Policies

    [Fact]
    public async Task An_account_placement_round_trips_and_can_be_replaced()
    {
        await Store.CreateAccountAsync(Account("cn") with { Placement = China });
        await Store.CreateAccountAsync(Account("none"));

        var read = (await Store.GetAccountAsync("cn"))!.Placement!;
        Assert.Equal(["CN", "HK"], read.Residency);
        Assert.Equal(("cn-north", "cn-south", Redundancy.RaGzrs), (read.PrimaryRegion, read.SecondaryRegion, read.Redundancy));
        Assert.Null((await Store.GetAccountAsync("none"))!.Placement);
        Assert.Equal(["CN", "HK"], (await Store.ListAccountsAsync()).Single(a => a.Name == "cn").Placement!.Residency);

        var custom = new PlacementPolicy(["EU"], "eu-west", null, Redundancy.Custom(5, 2, 1, true));
        await Placement.SetAccountPlacementAsync("cn", custom);
        read = (await Store.GetAccountAsync("cn"))!.Placement!;
        Assert.Equal(["EU"], read.Residency);
        Assert.Equal(("eu-west", (string?)null, "custom:copies=5,zones=2,regions=1,sync"), (read.PrimaryRegion, read.SecondaryRegion, read.Redundancy.ToString()));
        Assert.Equal(custom.Redundancy, read.Redundancy);

        var missing = await Assert.ThrowsAsync<StorageException>(() => Placement.SetAccountPlacementAsync("nobody", custom));
        Assert.Equal(ErrorCode.AccountNotFound, missing.Code);
        await Assert.ThrowsAsync<ArgumentException>(() => Placement.SetAccountPlacementAsync("cn", custom with { Residency = [] }));
        await Assert.ThrowsAsync<ArgumentException>(() => Placement.SetAccountPlacementAsync("cn", custom with { Residency = ["CN,EU"] }));
    }

    [Fact]
    public async Task A_container_redundancy_round_trips_and_can_be_set_and_cleared_with_its_audit_entry()
    {
        await Store.CreateAccountAsync(Account("acct"));
        await Store.CreateContainerAsync(Container("acct", "zrs") with { Redundancy = Redundancy.Zrs });
        await Store.CreateContainerAsync(Container("acct", "plain"));

        Assert.Equal(Redundancy.Zrs, (await Store.GetContainerAsync("acct", "zrs"))!.Redundancy);
        Assert.Null((await Store.GetContainerAsync("acct", "plain"))!.Redundancy);

        var set = await Placement.SetContainerRedundancyAsync("acct", "plain", Redundancy.Lrs, Entry("acct", 0));
        Assert.Equal(Redundancy.Lrs, set.Redundancy);
        Assert.Equal(Redundancy.Lrs, (await Store.ListContainersAsync("acct", string.Empty, null, 10)).Containers.Single(c => c.Name == "plain").Redundancy);
        Assert.Null((await Placement.SetContainerRedundancyAsync("acct", "zrs", null, Entry("acct", 1))).Redundancy);
        Assert.Null((await Store.GetContainerAsync("acct", "zrs"))!.Redundancy);
        Assert.Equal(2, await SizeAsync("acct"));

        var missing = await Assert.ThrowsAsync<StorageException>(() => Placement.SetContainerRedundancyAsync("acct", "none", Redundancy.Lrs, Entry("acct", 2)));
        Assert.Equal(ErrorCode.ContainerNotFound, missing.Code);
        Assert.Equal(2, await SizeAsync("acct"));
    }

    // Copies on every path

    [Fact]
    public async Task Copies_in_every_state_and_the_ciphertext_columns_are_written_and_read_back()
    {
        await CreateContainerAsync();
        var stored = ObjectWith(("site-c", CopyState.Pending), ("site-a", CopyState.Present), ("site-b", CopyState.Bad)) with
        {
            CiphertextLength = 4242,
            CiphertextCrc64 = 0xF123_4567_89AB_CDEFUL,
            CreatedOn = T0.AddTicks(123),
        };
        await PutAsync("b", stored);

        var read = await ReadOnlyPartAsync("b");
        Assert.Equal(Copies(("site-a", CopyState.Present), ("site-b", CopyState.Bad), ("site-c", CopyState.Pending)), read.Copies);
        Assert.Equal((4242L, (ulong?)0xF123_4567_89AB_CDEFUL, T0.AddTicks(123)), (read.CiphertextLength, read.CiphertextCrc64, read.CreatedOn));
        Assert.Equal(["site-a"], read.PresentSiteIds);

        // The legacy column holds the first copy's site; the account comes from the blob.
        using var connection = OpenRawConnection();
        using var command = connection.CreateCommand();
        command.CommandText = $"SELECT site_id, account FROM objects WHERE object_id = '{stored.ObjectId}'";
        using var reader = command.ExecuteReader();
        Assert.True(reader.Read());
        Assert.Equal(("site-c", "acct"), (reader.GetString(0), reader.GetString(1)));
    }

    [Fact]
    public async Task Parts_and_staged_blocks_each_carry_their_own_copies()
    {
        await CreateContainerAsync();
        var objects = new[]
        {
            ObjectWith(("s1", CopyState.Present)),
            ObjectWith(("s2", CopyState.Present), ("s3", CopyState.Pending)),
            ObjectWith(("s4", CopyState.Bad), ("s1", CopyState.Present), ("s2", CopyState.Pending)),
        };
        foreach (var (stored, i) in objects.Select((o, i) => (o, i)))
        {
            await Store.PutUncommittedBlockAsync("acct", "cont", "b", new UncommittedBlock($"blk{i}", stored, T0.AddSeconds(i)));
        }

        var staged = await Store.GetUncommittedBlocksAsync("acct", "cont", "b");
        Assert.Equal(["blk0", "blk1", "blk2"], staged.Select(b => b.BlockId));
        for (var i = 0; i < objects.Length; i++)
        {
            Assert.Equal(objects[i].Copies.OrderBy(c => c.SiteId, StringComparer.Ordinal), staged[i].Object.Copies);
        }

        // A block committed at two positions: each part carries the object's full set of copies.
        await Store.CommitBlobAsync(
            Blob("acct", "cont", "b"),
            [Part(0, objects[2], "blk2"), Part(1, objects[0], "blk0"), Part(2, objects[2], "blk2"), Part(3, objects[1], "blk1")],
            []);
        var parts = (await Store.GetBlobWithPartsAsync("acct", "cont", "b"))!.Value.Parts;
        Assert.Equal([objects[2].ObjectId, objects[0].ObjectId, objects[2].ObjectId, objects[1].ObjectId], parts.Select(p => p.Object.ObjectId));
        Assert.Equal([3, 1, 3, 2], parts.Select(p => p.Object.Copies.Count));
        Assert.Equal(Copies(("s1", CopyState.Present), ("s2", CopyState.Pending), ("s4", CopyState.Bad)), parts[2].Object.Copies);
    }

    [Fact]
    public async Task Recording_an_object_again_with_other_copies_is_a_broken_invariant()
    {
        await CreateContainerAsync();
        var stored = ObjectWith(("s1", CopyState.Present), ("s2", CopyState.Pending));
        await Store.PutUncommittedBlockAsync("acct", "cont", "b", new UncommittedBlock("one", stored, T0));

        // The same object with the same copies (in any order) is the same object.
        await Store.PutUncommittedBlockAsync("acct", "cont", "b", new UncommittedBlock("two", stored with { Copies = [.. stored.Copies.Reverse()] }, T0));
        await Assert.ThrowsAsync<InvariantViolationException>(() =>
            Store.PutUncommittedBlockAsync("acct", "cont", "b", new UncommittedBlock("three", stored with { Copies = Copies(("s1", CopyState.Present)) }, T0)));
        Assert.Equal(2, (await Store.GetUncommittedBlocksAsync("acct", "cont", "b")).Count);
    }

    [Fact]
    public async Task Objects_without_copies_or_with_two_on_one_site_are_refused()
    {
        await CreateContainerAsync();
        await Assert.ThrowsAsync<ArgumentException>(() => PutAsync("b", NewObject() with { Copies = [] }));
        await Assert.ThrowsAsync<ArgumentException>(() => PutAsync("b", ObjectWith(("s1", CopyState.Present), ("s1", CopyState.Pending))));
        await Assert.ThrowsAsync<ArgumentException>(() => PutAsync("b", ObjectWith(("s1", (CopyState)7))));
        Assert.Equal(0, Scalar("SELECT COUNT(*) FROM objects"));
    }

    [Fact]
    public async Task A_failed_precondition_leaves_no_object_and_no_copy_rows()
    {
        await CreateContainerAsync();
        var stored = ObjectWith(("s1", CopyState.Present), ("s2", CopyState.Pending));
        var refused = new StorageException(ErrorCode.ConditionNotMet);

        var error = await Assert.ThrowsAsync<StorageException>(() => Store.CommitBlobAsync(Blob("acct", "cont", "b"), [Part(0, stored)], _ => throw refused));

        Assert.Same(refused, error);
        Assert.Equal(0, Scalar("SELECT COUNT(*) FROM objects"));
        Assert.Equal(0, Scalar("SELECT COUNT(*) FROM object_copies"));
        Assert.Empty(await Store.ListObjectIdsAsync("s2"));
    }

    [Fact]
    public async Task Every_delete_returns_each_dropped_object_with_all_its_copies_and_drops_the_copy_rows()
    {
        await CreateContainerAsync();
        await CreateContainerAsync("acct", "other");
        await CreateContainerAsync("gone", "cont");
        (string, CopyState)[] three = [("s3", CopyState.Bad), ("s1", CopyState.Present), ("s2", CopyState.Pending)];
        var sorted = Copies(("s1", CopyState.Present), ("s2", CopyState.Pending), ("s3", CopyState.Bad));

        // An overwritten blob.
        var first = await PutAsync("over", ObjectWith(three));
        var overwritten = Assert.Single(await Store.CommitBlobAsync(Blob("acct", "cont", "over"), [Part(0, ObjectWith(("s1", CopyState.Present)))]));
        Assert.Equal(first.ObjectId, overwritten.ObjectId);
        Assert.Equal(sorted, overwritten.Copies);

        // A replaced staged block.
        var staged = ObjectWith(three);
        await Store.PutUncommittedBlockAsync("acct", "cont", "staged", new UncommittedBlock("blk", staged, T0));
        var replaced = Assert.Single(await Store.PutUncommittedBlockAsync("acct", "cont", "staged", new UncommittedBlock("blk", ObjectWith(("s1", CopyState.Present)), T0)));
        Assert.Equal(staged.ObjectId, replaced.ObjectId);
        Assert.Equal(sorted, replaced.Copies);

        // A blob, a container and an account.
        var blob = await PutAsync("del", ObjectWith(three));
        Assert.Equal(sorted, Assert.Single(await Store.DeleteBlobAsync("acct", "cont", "del")).Copies);
        var inOther = await PutAsync("x", ObjectWith(three), container: "other");
        Assert.Equal(sorted, Assert.Single(await Store.DeleteContainerAsync("acct", "other")).Copies);
        await PutAsync("y", ObjectWith(three), account: "gone");
        Assert.Equal(sorted, Assert.Single(await Store.DeleteAccountAsync("gone")).Copies);

        // Left: "over"'s new object and the staged block's new object, one copy each.
        Assert.Equal(2, Scalar("SELECT COUNT(*) FROM objects"));
        Assert.Equal(2, Scalar("SELECT COUNT(*) FROM object_copies"));
        Assert.Empty(await Store.ListObjectIdsAsync("s3"));
        Assert.DoesNotContain(blob.ObjectId, await Store.ListObjectIdsAsync("s1"));
        Assert.DoesNotContain(inOther.ObjectId, await Store.ListObjectIdsAsync("s1"));
    }

    [Fact]
    public async Task Listing_object_ids_by_site_finds_copies_in_any_state()
    {
        await CreateContainerAsync();
        var present = await PutAsync("a", ObjectWith(("s1", CopyState.Present)));
        var pending = await PutAsync("b", ObjectWith(("s2", CopyState.Present), ("s1", CopyState.Pending)));
        var bad = await PutAsync("c", ObjectWith(("s1", CopyState.Bad), ("s2", CopyState.Present)));

        Assert.Equal(Ids([present, pending, bad]), (await Store.ListObjectIdsAsync("s1")).Order(StringComparer.Ordinal));
        Assert.Equal(Ids([pending, bad]), (await Store.ListObjectIdsAsync("s2")).Order(StringComparer.Ordinal));
        Assert.Empty(await Store.ListObjectIdsAsync("s9"));
    }

    // Sites

    [Fact]
    public async Task Site_states_are_recorded_replaced_and_listed()
    {
        Assert.Empty(await Placement.GetSiteStatesAsync());

        await Placement.SetSiteStateAsync("s1", SiteState.Draining, Entry(AuditLogs.Platform, 0));
        await Placement.SetSiteStateAsync("s2", SiteState.Active, T0.AddDays(1));
        await Placement.SetSiteStateAsync("s1", SiteState.Removed, T0.AddDays(2));

        var states = await Placement.GetSiteStatesAsync();
        Assert.Equal(2, states.Count);
        Assert.Equal((SiteState.Removed, SiteState.Active), (states["s1"], states["s2"]));
        Assert.Equal(T0.AddDays(2).UtcTicks, Scalar("SELECT changed_on FROM site_states WHERE site_id = 's1'"));
        Assert.Equal(1, await SizeAsync(AuditLogs.Platform));
        await Assert.ThrowsAsync<ArgumentOutOfRangeException>(() => Placement.SetSiteStateAsync("s1", (SiteState)9));
    }

    // Copy changes

    [Fact]
    public async Task Copy_changes_are_compare_and_swaps_and_append_entries_only_when_applied()
    {
        await CreateContainerAsync();
        await CreateContainerAsync("other", "cont");
        var a = await PutAsync("a", ObjectWith(("s1", CopyState.Present), ("s2", CopyState.Pending)));
        var b = await PutAsync("b", ObjectWith(("s1", CopyState.Bad)), account: "other");

        var applied = await Placement.ChangeCopiesAsync(
        [
            new CopyChange(a.ObjectId, "s2", CopyState.Pending, CopyState.Present, Entry("acct", 0)),   // applies
            new CopyChange(a.ObjectId, "s1", CopyState.Bad, CopyState.Present, Entry("acct", 1)),       // state differs
            new CopyChange(a.ObjectId, "s3", null, CopyState.Pending, Entry("acct", 2)),                // new copy
            new CopyChange(a.ObjectId, "s1", null, CopyState.Pending, Entry("acct", 3)),                // exists already
            new CopyChange(b.ObjectId, "s1", CopyState.Bad, null, Entry("other", 0)),                   // removed
            new CopyChange(b.ObjectId, "s9", CopyState.Present, null, Entry("other", 1)),               // no such copy
            new CopyChange("0123456789abcdef0123456789abcdef", "s1", null, CopyState.Pending, Entry("acct", 4)), // object gone
            new CopyChange(b.ObjectId, "s5", null, CopyState.Present),                                  // no entry
        ]);

        Assert.Equal([true, false, true, false, true, false, false, true], applied);
        Assert.Equal(Copies(("s1", CopyState.Present), ("s2", CopyState.Present), ("s3", CopyState.Pending)), (await ReadOnlyPartAsync("a")).Copies);
        Assert.Equal(Copies(("s5", CopyState.Present)), (await ReadOnlyPartAsync("b", "other")).Copies);

        // One entry per applied change, in order, each in its own log.
        Assert.Equal(2, await SizeAsync("acct"));
        Assert.Equal([Entry("acct", 0).Entry, Entry("acct", 2).Entry], (await Store.ReadAuditEntriesAsync("acct", 0, 2)).Select(e => e.Body));
        Assert.Equal(Entry("other", 0).Entry, Assert.Single(await Store.ReadAuditEntriesAsync("other", 0, 1)).Body);

        Assert.Empty(await Placement.ChangeCopiesAsync([]));
        await Assert.ThrowsAsync<ArgumentOutOfRangeException>(() =>
            Placement.ChangeCopiesAsync([.. Enumerable.Repeat(new CopyChange(a.ObjectId, "s1", null, null), Limits.RepairBatchMax + 1)]));
    }

    [Fact]
    public async Task When_an_entry_cannot_be_appended_no_copy_change_of_the_batch_commits()
    {
        // SQLite itself (its file, WAL, pragmas, migrations from old versions, SQL dialect: the fault is injected with a SQLite trigger or SQLite literals).
        if (TestMetadata.UsesPostgres)
        {
            return;
        }

        await CreateContainerAsync();
        var a = await PutAsync("a", ObjectWith(("s1", CopyState.Pending)));
        ExecuteRaw("CREATE TRIGGER test_audit_refuse BEFORE INSERT ON audit_entries BEGIN SELECT RAISE(ABORT, 'audit is failing'); END");

        var error = await Assert.ThrowsAsync<StorageException>(() => Placement.ChangeCopiesAsync(
        [
            new CopyChange(a.ObjectId, "s2", null, CopyState.Pending),
            new CopyChange(a.ObjectId, "s1", CopyState.Pending, CopyState.Present, Entry("acct", 0)),
        ]));

        Assert.Equal(ErrorCode.AuditLogUnavailable, error.Code);
        Assert.Equal(Copies(("s1", CopyState.Pending)), (await ReadOnlyPartAsync("a")).Copies);
    }

    // Work lists

    [Fact]
    public async Task Owed_copies_are_listed_in_object_and_site_order_with_their_object_and_owner()
    {
        await CreateContainerAsync();
        var objects = new List<StoredObject>();
        for (var i = 0; i < 4; i++)
        {
            objects.Add(await PutAsync($"b{i}", ObjectWith(("s1", CopyState.Present), ("s2", CopyState.Pending), ("s3", i % 2 == 0 ? CopyState.Bad : CopyState.Present))));
        }

        var stagedObject = ObjectWith(("s4", CopyState.Pending));
        await Store.PutUncommittedBlockAsync("acct", "cont", "staged", new UncommittedBlock("blk", stagedObject, T0));
        var expected = objects
            .SelectMany(o => o.Copies.Where(c => c.State != CopyState.Present).Select(c => (o.ObjectId, c.SiteId)))
            .Append((stagedObject.ObjectId, "s4"))
            .OrderBy(w => w.Item1, StringComparer.Ordinal)
            .ThenBy(w => w.Item2, StringComparer.Ordinal)
            .ToList();

        var seen = new List<CopyWork>();
        SiteObject? after = null;
        while (true)
        {
            var page = await Placement.ListCopiesNeedingWorkAsync(after, 3);
            Assert.InRange(page.Count, 0, 3);
            if (page.Count == 0)
            {
                break;
            }

            seen.AddRange(page);
            after = new SiteObject(page[^1].Copy.SiteId, page[^1].Owner.Object.ObjectId);
        }

        Assert.Equal(expected, seen.Select(w => (w.Owner.Object.ObjectId, w.Copy.SiteId)));
        Assert.All(seen, w => Assert.NotEqual(CopyState.Present, w.Copy.State));
        Assert.All(seen, w => Assert.Equal(3 - (w.Owner.Blob == "staged" ? 2 : 0), w.Owner.Object.Copies.Count));
        var staged = seen.Single(w => w.Copy.SiteId == "s4").Owner;
        Assert.Equal(("acct", "cont", "staged"), (staged.Account, staged.Container, staged.Blob));
        var committed = seen.First(w => w.Copy.SiteId == "s3").Owner;
        Assert.Equal(CopyState.Bad, seen.First(w => w.Copy.SiteId == "s3").Copy.State);
        Assert.StartsWith("b", committed.Blob);
    }

    [Fact]
    public async Task Objects_are_listed_by_site_and_in_total_in_id_order_with_paging()
    {
        await CreateContainerAsync();
        var onS1 = new List<string>();
        var all = new List<string>();
        for (var i = 0; i < 7; i++)
        {
            var stored = await PutAsync($"b{i}", i % 3 == 0 ? ObjectWith(("s2", CopyState.Present)) : ObjectWith(("s2", CopyState.Present), ("s1", (CopyState)(i % 3))));
            all.Add(stored.ObjectId);
            if (i % 3 != 0)
            {
                onS1.Add(stored.ObjectId);
            }
        }

        async Task<List<ObjectOwner>> PagesAsync(Func<string?, Task<IReadOnlyList<ObjectOwner>>> list)
        {
            var owners = new List<ObjectOwner>();
            string? after = null;
            while (await list(after) is { Count: > 0 } page)
            {
                owners.AddRange(page);
                after = page[^1].Object.ObjectId;
            }

            return owners;
        }

        var bySite = await PagesAsync(after => Placement.ListObjectsOnSiteAsync("s1", after, 2));
        Assert.Equal(onS1.Order(StringComparer.Ordinal), bySite.Select(o => o.Object.ObjectId));
        Assert.All(bySite, o => Assert.Equal(2, o.Object.Copies.Count));
        Assert.All(bySite, o => Assert.Equal(("acct", "cont"), (o.Account, o.Container)));

        var every = await PagesAsync(after => Placement.ListObjectsAsync(after, 3));
        Assert.Equal(all.Order(StringComparer.Ordinal), every.Select(o => o.Object.ObjectId));
        Assert.Empty(await Placement.ListObjectsOnSiteAsync("s9", null, 10));
    }

    // Tombstones

    [Fact]
    public async Task Tombstones_are_added_once_listed_by_site_and_removed()
    {
        await Placement.AddTombstonesAsync([new("s2", "o2"), new("s1", "o3"), new("s1", "o1")], T0);
        await Placement.AddTombstonesAsync([new("s1", "o1")], T0.AddDays(1));

        Assert.Equal([new("s1", "o1"), new("s1", "o3"), new("s2", "o2")], await Placement.ListTombstonesAsync(null, 10));
        Assert.Equal([new SiteObject("s1", "o1")], await Placement.ListTombstonesAsync("s1", 1));
        Assert.Equal([new SiteObject("s2", "o2")], await Placement.ListTombstonesAsync("s2", 10));
        Assert.Equal(T0.UtcTicks, Scalar("SELECT created_on FROM site_tombstones WHERE site_id = 's1' AND object_id = 'o1'"));

        await Placement.RemoveTombstonesAsync([new("s1", "o1"), new("s9", "o9")]);
        Assert.Equal([new("s1", "o3"), new("s2", "o2")], await Placement.ListTombstonesAsync(null, 10));
        await Placement.AddTombstonesAsync([], T0);
        await Placement.RemoveTombstonesAsync([]);
        Assert.Equal(2, (await Placement.GetPlacementBacklogAsync()).Tombstones);
    }

    // Reporting

    [Fact]
    public async Task The_backlog_counts_owed_copies_tombstones_and_each_site()
    {
        Assert.Equal((0L, 0L, 0L, 0), await BacklogAsync());

        await CreateContainerAsync();
        await PutAsync("a", ObjectWith(("s1", CopyState.Present), ("s2", CopyState.Pending)) with { CiphertextLength = 100 });
        await PutAsync("b", ObjectWith(("s1", CopyState.Present), ("s2", CopyState.Bad), ("s3", CopyState.Pending)) with { CiphertextLength = 1000 });
        await Placement.AddTombstonesAsync([new("s4", "gone"), new("s1", "gone")], T0);

        var backlog = await Placement.GetPlacementBacklogAsync();
        Assert.Equal((2L, 1L, 2L), (backlog.PendingCopies, backlog.BadCopies, backlog.Tombstones));
        Assert.Equal(
            [
                new SiteCopyCounts("s1", 2, 0, 0, 1100),
                new SiteCopyCounts("s2", 0, 1, 1, 0),
                new SiteCopyCounts("s3", 0, 1, 0, 0),
                new SiteCopyCounts("s4", 0, 0, 0, 0),
            ],
            backlog.Sites);

        async Task<(long, long, long, int)> BacklogAsync()
        {
            var b = await Placement.GetPlacementBacklogAsync();
            return (b.PendingCopies, b.BadCopies, b.Tombstones, b.Sites.Count);
        }
    }

    [Fact]
    public async Task The_operations_counts_give_each_sites_owed_work_and_each_accounts_owed_copies()
    {
        var operations = (IOperationsStore)Store;
        var empty = await operations.ReadOperationsCountsAsync();
        Assert.Equal((0, 0, 0L, 0L), (empty.Sites.Count, empty.Accounts.Count, empty.LockboxRequested, empty.TransfersRequested));

        await CreateContainerAsync();
        await CreateContainerAsync("other", "cont");
        await CreateContainerAsync("quiet", "cont");
        await PutAsync("old", ObjectWith(("s1", CopyState.Present), ("s2", CopyState.Pending)) with { CreatedOn = T0 });
        await PutAsync("newer", ObjectWith(("s1", CopyState.Present), ("s2", CopyState.Pending), ("s3", CopyState.Pending)) with { CreatedOn = T0.AddHours(1) });
        await PutAsync("bad", ObjectWith(("s1", CopyState.Bad), ("s2", CopyState.Present)) with { CreatedOn = T0.AddHours(-5) });
        await PutAsync("x", ObjectWith(("s3", CopyState.Pending)) with { CreatedOn = T0.AddHours(-9) }, account: "other");
        await PutAsync("done", ObjectWith(("s1", CopyState.Present)) with { CreatedOn = T0.AddHours(-20) }, account: "quiet");
        await Store.PutUncommittedBlockAsync("acct", "cont", "staged", new UncommittedBlock("blk", ObjectWith(("s2", CopyState.Pending)) with { CreatedOn = T0.AddMinutes(-30) }, T0));
        await Placement.AddTombstonesAsync([new("s4", "gone"), new("s1", "gone"), new("s1", "gone2")], T0);

        var counts = await operations.ReadOperationsCountsAsync();
        Assert.Equal(
            [
                new SiteBacklogCounts("s1", 0, 1, 2),
                new SiteBacklogCounts("s2", 3, 0, 0),
                new SiteBacklogCounts("s3", 2, 0, 0),
                new SiteBacklogCounts("s4", 0, 0, 1),
            ],
            counts.Sites);

        // Pending copies only (Bad ones are repair's), committed and staged objects alike.
        Assert.Equal(
            [
                new AccountBacklog("acct", 4, T0.AddMinutes(-30)),
                new AccountBacklog("other", 1, T0.AddHours(-9)),
                new AccountBacklog("quiet", 0, null),
            ],
            counts.Accounts);
        Assert.Equal((0L, 0L), (counts.LockboxRequested, counts.TransfersRequested));

        // Once made, a copy leaves the counts.
        var x = Assert.Single((await Store.GetBlobWithPartsAsync("other", "cont", "x"))!.Value.Parts).Object;
        Assert.Equal([true], await Placement.ChangeCopiesAsync([new CopyChange(x.ObjectId, "s3", CopyState.Pending, CopyState.Present)]));
        counts = await operations.ReadOperationsCountsAsync();
        Assert.Equal(new AccountBacklog("other", 0, null), counts.Accounts[1]);
        Assert.Equal(new SiteBacklogCounts("s3", 1, 0, 0), counts.Sites[2]);
    }

    [Fact]
    public async Task The_oldest_pending_copy_is_per_account_and_per_site_set()
    {
        await CreateContainerAsync();
        await CreateContainerAsync("other", "cont");
        Assert.Null(await Placement.GetOldestPendingCopyAsync("acct", ["geo1"]));

        var old = await PutAsync("old", ObjectWith(("s1", CopyState.Present), ("geo1", CopyState.Pending)) with { CreatedOn = T0 });
        await PutAsync("newer", ObjectWith(("s1", CopyState.Present), ("geo2", CopyState.Pending)) with { CreatedOn = T0.AddHours(1) });
        await PutAsync("bad", ObjectWith(("s1", CopyState.Present), ("geo1", CopyState.Bad)) with { CreatedOn = T0.AddHours(-5) });
        await PutAsync("elsewhere", ObjectWith(("geo1", CopyState.Pending)) with { CreatedOn = T0.AddHours(-9) }, account: "other");
        await Store.PutUncommittedBlockAsync("acct", "cont", "staged", new UncommittedBlock("blk", ObjectWith(("geo2", CopyState.Pending)) with { CreatedOn = T0.AddMinutes(30) }, T0));

        Assert.Equal(T0, await Placement.GetOldestPendingCopyAsync("acct", ["geo1", "geo2"]));
        Assert.Equal(T0.AddMinutes(30), await Placement.GetOldestPendingCopyAsync("acct", ["geo2"]));
        Assert.Equal(T0.AddHours(-9), await Placement.GetOldestPendingCopyAsync("other", ["geo1", "geo1"]));
        Assert.Null(await Placement.GetOldestPendingCopyAsync("acct", ["s1"]));
        Assert.Null(await Placement.GetOldestPendingCopyAsync("acct", []));

        // Once replicated, the next oldest owed copy sets the time.
        Assert.Equal([true], await Placement.ChangeCopiesAsync([new CopyChange(old.ObjectId, "geo1", CopyState.Pending, CopyState.Present)]));
        Assert.Equal(T0.AddMinutes(30), await Placement.GetOldestPendingCopyAsync("acct", ["geo1", "geo2"]));
        Assert.Null(await Placement.GetOldestPendingCopyAsync("acct", ["geo1"]));
    }

    [Fact]
    public async Task Account_usage_counts_the_accounts_committed_and_staged_objects_per_site()
    {
        await CreateContainerAsync();
        await CreateContainerAsync("other", "cont");
        await PutAsync("a", ObjectWith(("s1", CopyState.Present), ("s2", CopyState.Pending)) with { CiphertextLength = 10 });
        await Store.PutUncommittedBlockAsync("acct", "cont", "staged", new UncommittedBlock("blk", ObjectWith(("s1", CopyState.Present), ("s2", CopyState.Bad)) with { CiphertextLength = 5 }, T0));
        await PutAsync("x", ObjectWith(("s1", CopyState.Present), ("s3", CopyState.Present)) with { CiphertextLength = 99 }, account: "other");

        Assert.Equal(
            [new SiteCopyCounts("s1", 2, 0, 0, 15), new SiteCopyCounts("s2", 0, 1, 1, 0)],
            await Placement.GetAccountSiteUsageAsync("acct"));
        Assert.Equal(
            [new SiteCopyCounts("s1", 1, 0, 0, 99), new SiteCopyCounts("s3", 1, 0, 0, 99)],
            await Placement.GetAccountSiteUsageAsync("other"));
        Assert.Empty(await Placement.GetAccountSiteUsageAsync("nobody"));
    }

    [Fact]
    public async Task Blob_locations_page_through_committed_blobs_with_their_objects_and_copies()
    {
        await CreateContainerAsync("acct", "c1");
        await CreateContainerAsync("acct", "c2");
        await CreateContainerAsync("other", "c1");
        var expected = new List<(string Container, string Blob)>();
        foreach (var container in new[] { "c1", "c2" })
        {
            foreach (var name in new[] { "b", "a", "c" })
            {
                await PutAsync(name, ObjectWith(("s1", CopyState.Present), ("s2", CopyState.Pending)) with { PlaintextLength = name[0] }, container: container);
                expected.Add((container, name));
            }
        }

        var multi = new[] { ObjectWith(("s3", CopyState.Present)), ObjectWith(("s1", CopyState.Bad)) };
        await Store.CommitBlobAsync(Blob("acct", "c2", "multi", length: 20), [Part(0, multi[0]), Part(1, multi[1]), Part(2, multi[0])], multi);
        await Store.CommitBlobAsync(Blob("acct", "c2", "empty"), []);
        await PutAsync("x", ObjectWith(("s1", CopyState.Present)), account: "other", container: "c1");
        await Store.PutUncommittedBlockAsync("acct", "c1", "staged-only", new UncommittedBlock("blk", ObjectWith(("s1", CopyState.Present)), T0));
        expected.Add(("c2", "empty"));
        expected.Add(("c2", "multi"));
        expected = [.. expected.OrderBy(e => e.Container, StringComparer.Ordinal).ThenBy(e => e.Blob, StringComparer.Ordinal)];

        var seen = new List<BlobLocation>();
        BlobLocationMarker? marker = null;
        var pages = 0;
        do
        {
            var page = await Placement.ListBlobLocationsAsync("acct", null, null, marker, 3);
            Assert.InRange(page.Blobs.Count, 1, 3);
            seen.AddRange(page.Blobs);
            marker = page.NextMarker;
            pages++;
        }
        while (marker is not null);

        Assert.Equal(3, pages);
        Assert.Equal(expected, seen.Select(l => (l.Container, l.Blob)));
        var a = seen.First(l => l.Blob == "a");
        Assert.Equal(Copies(("s1", CopyState.Present), ("s2", CopyState.Pending)), Assert.Single(a.Objects).Copies);
        Assert.Equal((long)'a', Assert.Single(a.Objects).PlaintextLength);
        var multiLocation = seen.Single(l => l.Blob == "multi");
        Assert.Equal(20L, multiLocation.ContentLength);
        Assert.Equal([multi[0].ObjectId, multi[1].ObjectId], multiLocation.Objects.Select(o => o.ObjectId));
        Assert.Equal(Copies(("s1", CopyState.Bad)), multiLocation.Objects[1].Copies);
        Assert.Empty(seen.Single(l => l.Blob == "empty").Objects);

        // One container, one blob, and a marker inside a container.
        Assert.Equal(["a", "b", "c", "empty", "multi"], (await Placement.ListBlobLocationsAsync("acct", "c2", null, null, 10)).Blobs.Select(l => l.Blob));
        var one = await Placement.ListBlobLocationsAsync("acct", "c1", "b", null, 10);
        Assert.Equal((("c1", "b"), (BlobLocationMarker?)null), ((Assert.Single(one.Blobs).Container, one.Blobs[0].Blob), one.NextMarker));
        Assert.Equal(["c", "empty"], (await Placement.ListBlobLocationsAsync("acct", "c2", null, new BlobLocationMarker("c2", "b"), 2)).Blobs.Select(l => l.Blob));
        Assert.Equal(
            [("c2", "a")],
            (await Placement.ListBlobLocationsAsync("acct", null, null, new BlobLocationMarker("c1", "c"), 1)).Blobs.Select(l => (l.Container, l.Blob)));
        Assert.Empty((await Placement.ListBlobLocationsAsync("acct", "c1", "staged-only", null, 10)).Blobs);
        Assert.Empty((await Placement.ListBlobLocationsAsync("nobody", null, null, null, 10)).Blobs);
    }
}
