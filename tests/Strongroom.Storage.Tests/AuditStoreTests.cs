using Strongroom.TestSupport;
using System.Text;
using Microsoft.Data.Sqlite;
using Strongroom.Core;

namespace Strongroom.Storage.Tests;

/// <summary>Base for the transparency log tests: entries with recognisable bodies and a clock of one minute per index.</summary>
public abstract class AuditStoreTestBase : StoreTestBase
{
    protected static AuditAppend Entry(string log, int n, DateTimeOffset? time = null) =>
        new(log, time ?? T0.AddMinutes(n), Encoding.UTF8.GetBytes($"{{\"log\":\"{log}\",\"n\":{n},\"marker\":\"BODY-MARKER-{n:D5}\"}}"));

    protected async Task<List<byte[]>> AppendAsync(string log, int count, int first = 0)
    {
        var entries = Enumerable.Range(first, count).Select(n => Entry(log, n)).ToArray();
        var indexes = await Store.AppendAuditEntriesAsync(entries);
        Assert.Equal(Enumerable.Range(first, count).Select(n => (long)n), indexes);
        return entries.Select(e => MerkleTree.LeafHash(e.Entry)).ToList();
    }

    protected async Task<long> SizeAsync(string log) => (await Store.GetAuditTreeHeadAsync(log)).Size;

    protected static async Task AssertRangeErrorAsync(Func<Task> action)
    {
        var error = await Assert.ThrowsAsync<StorageException>(action);
        Assert.Equal(ErrorCode.InvalidAuditRange, error.Code);
    }

    protected long Scalar(string sql)
    {
        using var connection = OpenRawConnection();
        using var command = connection.CreateCommand();
        command.CommandText = sql;
        return Convert.ToInt64(command.ExecuteScalar(), System.Globalization.CultureInfo.InvariantCulture);
    }

    protected void ExecuteRaw(string sql)
    {
        using var connection = OpenRawConnection();
        using var command = connection.CreateCommand();
        command.CommandText = sql;
        command.ExecuteNonQuery();
    }
}

public sealed class AuditStoreTests : AuditStoreTestBase
{
    [Fact]
    public async Task A_log_never_written_is_empty()
    {
        var head = await Store.GetAuditTreeHeadAsync("nobody");
        Assert.Equal(("nobody", 0L), (head.Log, head.Size));
        Assert.Equal(MerkleTree.EmptyRoot(), head.RootHash);
        Assert.Equal(MerkleTree.EmptyRoot(), await Store.GetAuditRootAsync("nobody", 0));
        Assert.Empty(await Store.ReadAuditEntriesAsync("nobody", 0, 0));
        Assert.Empty(await Store.GetAuditConsistencyProofAsync("nobody", 0, 0));
        Assert.Equal(0, await Store.GetAuditRetainedFromAsync("nobody"));
        Assert.Null(await Store.GetLatestAuditCheckpointAsync("nobody"));
        Assert.Empty(await Store.ListAuditLogsAsync());
    }

    [Fact]
    public async Task Roots_of_every_size_are_the_roots_of_the_appended_leaves()
    {
        // One entry per append up to 70 (every shape of the right edge up to 64), then in batches past 512.
        var leaves = new List<byte[]>();
        for (var n = 0; n < 70; n++)
        {
            leaves.AddRange(await AppendAsync("acct", 1, n));
            var head = await Store.GetAuditTreeHeadAsync("acct");
            Assert.Equal(n + 1, head.Size);
            Assert.Equal(MerkleTree.RootFromLeafHashes(leaves), head.RootHash);
        }

        leaves.AddRange(await AppendAsync("acct", 450, 70));
        Assert.Equal(520, await SizeAsync("acct"));
        foreach (var size in Enumerable.Range(0, 80).Concat([127, 128, 129, 255, 256, 257, 383, 384, 511, 512, 513, 519, 520]))
        {
            Assert.Equal(MerkleTree.RootFromLeafHashes(leaves.Take(size)), await Store.GetAuditRootAsync("acct", size));
        }

        // The entries read back are the ones appended, with their leaf hashes and times.
        var entries = await Store.ReadAuditEntriesAsync("acct", 0, 520);
        Assert.Equal(Enumerable.Range(0, 520).Select(i => (long)i), entries.Select(e => e.Index));
        Assert.Equal(leaves, entries.Select(e => e.LeafHash));
        Assert.All(entries, e => Assert.Equal(MerkleTree.LeafHash(e.Body!), e.LeafHash));
        Assert.All(entries, e => Assert.Equal(T0.AddMinutes(e.Index), e.Time));
        Assert.Equal(Entry("acct", 77).Entry, entries[77].Body);
        Assert.Equal(["acct"], await Store.ListAuditLogsAsync());
    }

    [Fact]
    public async Task Every_inclusion_and_consistency_proof_verifies_and_a_wrong_one_does_not()
    {
        var leaves = await AppendAsync("acct", 33);
        var roots = new List<byte[]>();
        for (var size = 0; size <= leaves.Count; size++)
        {
            roots.Add(await Store.GetAuditRootAsync("acct", size));
        }

        for (var size = 1; size <= leaves.Count; size++)
        {
            for (var index = 0; index < size; index++)
            {
                var proof = await Store.GetAuditInclusionProofAsync("acct", index, size);
                Assert.True(MerkleTree.VerifyInclusion(index, size, leaves[index], proof, roots[size]), $"inclusion of {index} in {size}");
                Assert.False(MerkleTree.VerifyInclusion(index, size, leaves[(index + 1) % leaves.Count], proof, roots[size]));
            }
        }

        for (var second = 0; second <= leaves.Count; second++)
        {
            for (var first = 0; first <= second; first++)
            {
                var proof = await Store.GetAuditConsistencyProofAsync("acct", first, second);
                Assert.True(MerkleTree.VerifyConsistency(first, second, roots[first], roots[second], proof), $"consistency of {first} with {second}");
                if (first > 0 && first < second)
                {
                    Assert.False(MerkleTree.VerifyConsistency(first, second, roots[first - 1], roots[second], proof));
                }
            }
        }
    }

    [Fact]
    public async Task Stored_hashes_at_levels_0_and_8_read_back_as_tiles()
    {
        var leaves = await AppendAsync("acct", 600);

        Assert.Equal(leaves.Take(256), await Store.ReadAuditHashesAsync("acct", 0, 0, 256));
        Assert.Equal(leaves.Skip(512).Take(88), await Store.ReadAuditHashesAsync("acct", 0, 512, 88));
        Assert.Equal(
            [MerkleTree.RootFromLeafHashes(leaves.Take(256)), MerkleTree.RootFromLeafHashes(leaves.Skip(256).Take(256))],
            await Store.ReadAuditHashesAsync("acct", 8, 0, 2));
        Assert.Equal([MerkleTree.NodeHash(leaves[4], leaves[5])], await Store.ReadAuditHashesAsync("acct", 1, 2, 1));
        Assert.Equal([MerkleTree.RootFromLeafHashes(leaves.Take(512))], await Store.ReadAuditHashesAsync("acct", 9, 0, 1));

        // Only complete subtrees are stored: 600 leaves make 2 at level 8 and 0 at level 10.
        await AssertRangeErrorAsync(() => Store.ReadAuditHashesAsync("acct", 8, 0, 3));
        await AssertRangeErrorAsync(() => Store.ReadAuditHashesAsync("acct", 0, 599, 2));
        await AssertRangeErrorAsync(() => Store.ReadAuditHashesAsync("acct", 10, 0, 1));
        await AssertRangeErrorAsync(() => Store.ReadAuditHashesAsync("acct", -1, 0, 1));
        await AssertRangeErrorAsync(() => Store.ReadAuditHashesAsync("acct", 63, 0, 1));
        await AssertRangeErrorAsync(() => Store.ReadAuditHashesAsync("acct", 0, -1, 1));
        await AssertRangeErrorAsync(() => Store.ReadAuditHashesAsync("acct", 0, 0, 0));
        await AssertRangeErrorAsync(() => Store.ReadAuditHashesAsync("acct", 0, 0, Limits.AuditEntriesPageMax + 1));

        // Each append stores the leaf and one hash per subtree it completes: 2n - popcount(n) in all.
        Assert.Equal((2 * 600) - 4, Scalar("SELECT COUNT(*) FROM audit_hashes WHERE log = 'acct'"));
    }

    [Fact]
    public async Task Ranges_outside_the_log_are_refused()
    {
        await AppendAsync("acct", 10);

        await AssertRangeErrorAsync(() => Store.ReadAuditEntriesAsync("acct", -1, 2));
        await AssertRangeErrorAsync(() => Store.ReadAuditEntriesAsync("acct", 5, 4));
        await AssertRangeErrorAsync(() => Store.ReadAuditEntriesAsync("acct", 5, 11));
        await AssertRangeErrorAsync(() => Store.ReadAuditEntriesAsync("acct", 0, Limits.AuditEntriesPageMax + 1));
        await AssertRangeErrorAsync(() => Store.GetAuditRootAsync("acct", 11));
        await AssertRangeErrorAsync(() => Store.GetAuditRootAsync("acct", -1));
        await AssertRangeErrorAsync(() => Store.GetAuditInclusionProofAsync("acct", 10, 10));
        await AssertRangeErrorAsync(() => Store.GetAuditInclusionProofAsync("acct", -1, 10));
        await AssertRangeErrorAsync(() => Store.GetAuditInclusionProofAsync("acct", 0, 11));
        await AssertRangeErrorAsync(() => Store.GetAuditInclusionProofAsync("acct", 0, 0));
        await AssertRangeErrorAsync(() => Store.GetAuditConsistencyProofAsync("acct", 5, 4));
        await AssertRangeErrorAsync(() => Store.GetAuditConsistencyProofAsync("acct", -1, 4));
        await AssertRangeErrorAsync(() => Store.GetAuditConsistencyProofAsync("acct", 4, 11));
        await AssertRangeErrorAsync(() => Store.GetAuditInclusionProofAsync("other", 0, 1));

        // The edges themselves are fine.
        Assert.Equal(3, (await Store.ReadAuditEntriesAsync("acct", 7, 10)).Count);
        Assert.Empty(await Store.ReadAuditEntriesAsync("acct", 10, 10));
        Assert.Empty(await Store.GetAuditConsistencyProofAsync("acct", 10, 10));
        Assert.Empty(await Store.GetAuditInclusionProofAsync("acct", 0, 1));
    }

    [Fact]
    public async Task Malformed_entries_are_refused_and_append_nothing()
    {
        await Assert.ThrowsAsync<ArgumentException>(() => Store.AppendAuditEntriesAsync([Entry("acct", 0), new AuditAppend("acct", T0, [])]));
        await Assert.ThrowsAsync<ArgumentException>(() => Store.AppendAuditEntriesAsync([new AuditAppend("acct", T0, new byte[Limits.AuditEntryBytesMax + 1])]));
        await Assert.ThrowsAsync<ArgumentException>(() => Store.AppendAuditEntriesAsync([new AuditAppend("", T0, [1])]));
        Assert.Equal(0, await SizeAsync("acct"));
        Assert.Empty(await Store.AppendAuditEntriesAsync([]));

        // The largest entry is fine.
        Assert.Equal([0L], await Store.AppendAuditEntriesAsync([new AuditAppend("acct", T0, new byte[Limits.AuditEntryBytesMax])]));
    }

    [Fact]
    public async Task Entries_appended_together_get_consecutive_indexes_across_logs()
    {
        var indexes = await Store.AppendAuditEntriesAsync([Entry("a", 0), Entry(AuditLogs.Platform, 0), Entry("a", 1), Entry(AuditLogs.Platform, 1), Entry("a", 2)]);

        Assert.Equal([0L, 0, 1, 1, 2], indexes);
        Assert.Equal([AuditLogs.Platform, "a"], await Store.ListAuditLogsAsync());
        Assert.Equal(3, await SizeAsync("a"));
        Assert.Equal(2, await SizeAsync(AuditLogs.Platform));
    }

    [Fact]
    public async Task Concurrent_appends_to_two_logs_make_two_consistent_trees()
    {
        await Store.CreateAccountAsync(Account("a"));

        // 64 writers: appends on their own and container creations carrying their entry, both logs.
        var tasks = Enumerable.Range(0, 64).Select(i => Task.Run(async () =>
        {
            var log = i % 2 == 0 ? "a" : AuditLogs.Platform;
            if (i % 4 == 0)
            {
                await Store.CreateContainerAsync(Container("a", $"c{i:D2}"), Entry(log, i));
            }
            else
            {
                await Store.AppendAuditEntriesAsync([Entry(log, i)]);
            }
        }));
        await Task.WhenAll(tasks);

        foreach (var log in new[] { "a", AuditLogs.Platform })
        {
            var head = await Store.GetAuditTreeHeadAsync(log);
            Assert.Equal(32, head.Size);
            var entries = await Store.ReadAuditEntriesAsync(log, 0, 32);
            Assert.Equal(Enumerable.Range(0, 32).Select(i => (long)i), entries.Select(e => e.Index));
            Assert.Equal(32, entries.Select(e => Encoding.UTF8.GetString(e.Body!)).Distinct().Count());
            Assert.All(entries, e => Assert.Equal(MerkleTree.LeafHash(e.Body!), e.LeafHash));
            Assert.Equal(MerkleTree.RootFromLeafHashes(entries.Select(e => e.LeafHash)), head.RootHash);
            for (var index = 0; index < 32; index++)
            {
                var proof = await Store.GetAuditInclusionProofAsync(log, index, 32);
                Assert.True(MerkleTree.VerifyInclusion(index, 32, entries[index].LeafHash, proof, head.RootHash));
            }
        }

        var bodies = (await Store.ReadAuditEntriesAsync("a", 0, 32)).Select(e => Encoding.UTF8.GetString(e.Body!)).ToHashSet();
        Assert.Equal(16, (await Store.ListContainersAsync("a", "", null, 100)).Containers.Count);
        Assert.All(Enumerable.Range(0, 64).Where(i => i % 2 == 0), i => Assert.Contains(Encoding.UTF8.GetString(Entry("a", i).Entry), bodies));
    }

    [Fact]
    public async Task Checkpoints_are_saved_and_the_newest_is_the_latest()
    {
        var leaves = await AppendAsync("acct", 9);
        var at5 = new StoredCheckpoint("acct", 5, MerkleTree.RootFromLeafHashes(leaves.Take(5)), T0.AddHours(1), "note at 5\n");
        var at9 = new StoredCheckpoint("acct", 9, MerkleTree.RootFromLeafHashes(leaves), T0.AddHours(2), "note at 9\n");

        await Store.SaveAuditCheckpointAsync(at5);
        AssertSame(at5, await Store.GetLatestAuditCheckpointAsync("acct"));
        await Store.SaveAuditCheckpointAsync(at9);
        await Store.SaveAuditCheckpointAsync(at5 with { Note = "late note at 5\n" });
        AssertSame(at9, await Store.GetLatestAuditCheckpointAsync("acct"));

        // The same size twice keeps the first.
        await Store.SaveAuditCheckpointAsync(at9 with { SignedOn = T0.AddHours(3), Note = "again\n" });
        AssertSame(at9, await Store.GetLatestAuditCheckpointAsync("acct"));

        // A log never written can be checkpointed at size 0.
        await Store.SaveAuditCheckpointAsync(new StoredCheckpoint("empty", 0, MerkleTree.EmptyRoot(), T0, "empty\n"));
        Assert.Equal(0, (await Store.GetLatestAuditCheckpointAsync("empty"))!.Size);
        Assert.Null(await Store.GetLatestAuditCheckpointAsync("other"));
    }

    [Fact]
    public async Task A_checkpoint_that_is_not_of_the_tree_is_refused()
    {
        var leaves = await AppendAsync("acct", 4);

        await Assert.ThrowsAsync<InvariantViolationException>(() => Store.SaveAuditCheckpointAsync(new StoredCheckpoint("acct", 4, MerkleTree.RootFromLeafHashes(leaves.Take(3)), T0, "fork\n")));
        await Assert.ThrowsAsync<InvariantViolationException>(() => Store.SaveAuditCheckpointAsync(new StoredCheckpoint("acct", 5, MerkleTree.RootFromLeafHashes(leaves), T0, "future\n")));
        await Assert.ThrowsAsync<InvariantViolationException>(() => Store.SaveAuditCheckpointAsync(new StoredCheckpoint("acct", -1, MerkleTree.EmptyRoot(), T0, "negative\n")));
        Assert.Null(await Store.GetLatestAuditCheckpointAsync("acct"));
    }

    [Fact]
    public async Task Pruning_erases_old_bodies_and_keeps_hashes_proofs_and_roots()
    {
        var leaves = await AppendAsync("acct", 20);
        var root = await Store.GetAuditRootAsync("acct", 20);

        // Entry n is at T0 + n minutes: everything before T0 + 8 minutes goes.
        Assert.Equal(8, await Store.PruneAuditEntryBodiesAsync("acct", T0.AddMinutes(8)));

        Assert.Equal(8, await Store.GetAuditRetainedFromAsync("acct"));
        var entries = await Store.ReadAuditEntriesAsync("acct", 0, 20);
        Assert.All(entries.Take(8), e => Assert.Null(e.Body));
        Assert.All(entries.Skip(8), e => Assert.Equal(MerkleTree.LeafHash(e.Body!), e.LeafHash));
        Assert.Equal(leaves, entries.Select(e => e.LeafHash));
        Assert.Equal(T0.AddMinutes(3), entries[3].Time);
        Assert.Equal(root, await Store.GetAuditRootAsync("acct", 20));
        Assert.Equal(root, (await Store.GetAuditTreeHeadAsync("acct")).RootHash);
        for (var index = 0; index < 20; index++)
        {
            var proof = await Store.GetAuditInclusionProofAsync("acct", index, 20);
            Assert.True(MerkleTree.VerifyInclusion(index, 20, leaves[index], proof, root));
        }

        var root5 = await Store.GetAuditRootAsync("acct", 5);
        var consistency = await Store.GetAuditConsistencyProofAsync("acct", 5, 20);
        Assert.True(MerkleTree.VerifyConsistency(5, 20, root5, root, consistency));

        // Again: nothing more to erase; the log keeps growing after a prune.
        Assert.Equal(0, await Store.PruneAuditEntryBodiesAsync("acct", T0.AddMinutes(8)));
        leaves.AddRange(await AppendAsync("acct", 1, 20));
        Assert.Equal(MerkleTree.RootFromLeafHashes(leaves), await Store.GetAuditRootAsync("acct", 21));
        Assert.Equal(0, await Store.PruneAuditEntryBodiesAsync("nobody", T0.AddYears(1)));

        // Everything old enough, the newest entry included.
        Assert.Equal(13, await Store.PruneAuditEntryBodiesAsync("acct", T0.AddDays(1)));
        Assert.Equal(21, await Store.GetAuditRetainedFromAsync("acct"));
    }

    [Fact]
    public async Task Pruning_stops_at_the_first_entry_still_within_retention()
    {
        // Entry 3 was recorded with a later clock than entry 4 (two callers): the prefix stops at 3.
        await Store.AppendAuditEntriesAsync(
        [
            Entry("acct", 0),
            Entry("acct", 1),
            Entry("acct", 2),
            Entry("acct", 3, T0.AddMinutes(10)),
            Entry("acct", 4),
        ]);

        Assert.Equal(3, await Store.PruneAuditEntryBodiesAsync("acct", T0.AddMinutes(5)));

        Assert.Equal(3, await Store.GetAuditRetainedFromAsync("acct"));
        Assert.Equal([true, true, true, false, false], (await Store.ReadAuditEntriesAsync("acct", 0, 5)).Select(e => e.Body is null));
    }

    [Fact]
    public async Task Pruning_a_long_log_goes_in_batches_to_the_end()
    {
        for (var first = 0; first < 10_500; first += 1_500)
        {
            await AppendAsync("acct", 1_500, first);
        }

        Assert.True(10_400 > Limits.AuditPruneBatchMax, "the prune takes more than one batch");
        Assert.Equal(10_400, await Store.PruneAuditEntryBodiesAsync("acct", T0.AddMinutes(10_400)));

        Assert.Equal(10_400, await Store.GetAuditRetainedFromAsync("acct"));
        Assert.Equal(10_400, Scalar("SELECT COUNT(*) FROM audit_entries WHERE log = 'acct' AND body IS NULL"));
    }

    [Fact]
    public async Task Pruned_bodies_are_gone_from_the_files()
    {
        // SQLite itself (its file, WAL, pragmas, migrations from old versions, SQL dialect).
        if (TestMetadata.UsesPostgres)
        {
            return;
        }

        await AppendAsync("acct", 50);

        await Store.PruneAuditEntryBodiesAsync("acct", T0.AddMinutes(25));
        await Store.DisposeAsync();
        SqliteConnection.ClearAllPools();

        var bytes = File.ReadAllBytes(DatabasePath).Concat(File.Exists(DatabasePath + "-wal") ? File.ReadAllBytes(DatabasePath + "-wal") : []).ToArray();
        var text = Encoding.ASCII.GetString(bytes);
        Assert.DoesNotContain("BODY-MARKER-00003", text, StringComparison.Ordinal);
        Assert.DoesNotContain("BODY-MARKER-00024", text, StringComparison.Ordinal);
        Assert.Contains("BODY-MARKER-00025", text, StringComparison.Ordinal);
        Store = await SqlMetadataStore.OpenSqliteAsync(DatabasePath);
    }

    [Fact]
    public async Task Triggers_refuse_every_change_the_store_never_makes()
    {
        // SQLite itself (its file, WAL, pragmas, migrations from old versions, SQL dialect).
        if (TestMetadata.UsesPostgres)
        {
            return;
        }

        await AppendAsync("acct", 3);
        await Store.SaveAuditCheckpointAsync(new StoredCheckpoint("acct", 3, await Store.GetAuditRootAsync("acct", 3), T0, "n\n"));

        foreach (var sql in new[]
        {
            "UPDATE audit_entries SET body = x'00' WHERE log = 'acct' AND idx = 1",
            "UPDATE audit_entries SET time = 0 WHERE log = 'acct' AND idx = 1",
            "UPDATE audit_entries SET idx = 7 WHERE log = 'acct' AND idx = 2",
            "DELETE FROM audit_entries WHERE log = 'acct' AND idx = 2",
            "UPDATE audit_hashes SET hash = zeroblob(32) WHERE log = 'acct' AND level = 0 AND idx = 0",
            "DELETE FROM audit_hashes WHERE log = 'acct'",
            "UPDATE audit_logs SET size = 2 WHERE log = 'acct'",
            "UPDATE audit_logs SET log = 'other' WHERE log = 'acct'",
            "DELETE FROM audit_logs",
            "UPDATE audit_checkpoints SET note = 'forged'",
            "DELETE FROM audit_checkpoints",
            "INSERT OR REPLACE INTO audit_entries (log, idx, time, body) VALUES ('acct', 0, 0, x'00')",
            "INSERT INTO audit_entries (log, idx, time, body) VALUES ('acct', 4, 0, x'00')",
            "INSERT OR REPLACE INTO audit_hashes (log, level, idx, hash) VALUES ('acct', 0, 0, zeroblob(32))",
            "INSERT OR REPLACE INTO audit_checkpoints (log, size, root, signed_on, note) VALUES ('acct', 3, zeroblob(32), 0, 'forged')",
        })
        {
            var error = Assert.Throws<SqliteException>(() => ExecuteRaw(sql));
            Assert.Contains("audit", error.Message, StringComparison.OrdinalIgnoreCase);
        }

        // What pruning does is allowed.
        ExecuteRaw("UPDATE audit_entries SET body = NULL WHERE log = 'acct' AND idx = 0");
        ExecuteRaw("UPDATE audit_logs SET retained_from = 1 WHERE log = 'acct'");
        Assert.Equal(3, await SizeAsync("acct"));
        Assert.Equal(3, (await Store.ReadAuditEntriesAsync("acct", 0, 3)).Count);
    }

    [Fact]
    public async Task A_tampered_row_is_reported_as_stored_and_a_missing_hash_breaks_an_invariant()
    {
        // SQLite itself (its file, WAL, pragmas, migrations from old versions, SQL dialect: the fault is injected with a SQLite trigger or SQLite literals).
        if (TestMetadata.UsesPostgres)
        {
            return;
        }

        var leaves = await AppendAsync("acct", 4);
        ExecuteRaw("DROP TRIGGER audit_entries_prune_only; DROP TRIGGER audit_entries_no_delete; DROP TRIGGER audit_hashes_no_delete");
        ExecuteRaw("UPDATE audit_entries SET body = x'7b7d' WHERE log = 'acct' AND idx = 1");
        ExecuteRaw("DELETE FROM audit_entries WHERE log = 'acct' AND idx = 2");

        // The store does not judge: the edited body comes back with the stored leaf hash, and the
        // deleted row is a gap the verifier sees by index.
        var entries = await Store.ReadAuditEntriesAsync("acct", 0, 4);
        Assert.Equal([0L, 1, 3], entries.Select(e => e.Index));
        Assert.Equal(new byte[] { 0x7b, 0x7d }, entries[1].Body);
        Assert.Equal(leaves[1], entries[1].LeafHash);

        // A tree with a hole cannot be served.
        ExecuteRaw("DELETE FROM audit_hashes WHERE log = 'acct' AND level = 1 AND idx = 0");
        await Assert.ThrowsAsync<InvariantViolationException>(() => Store.GetAuditRootAsync("acct", 3));
        await Assert.ThrowsAsync<InvariantViolationException>(() => Store.GetAuditInclusionProofAsync("acct", 3, 4));
        Assert.Equal(await Store.GetAuditRootAsync("acct", 4), MerkleTree.RootFromLeafHashes(leaves));
        await Assert.ThrowsAsync<InvariantViolationException>(() => Store.ReadAuditHashesAsync("acct", 1, 0, 2));
        Assert.Equal(leaves[3], (await Store.ReadAuditHashesAsync("acct", 0, 3, 1)).Single());
    }

    private static void AssertSame(StoredCheckpoint expected, StoredCheckpoint? actual)
    {
        Assert.NotNull(actual);
        Assert.Equal((expected.Log, expected.Size, expected.SignedOn, expected.Note), (actual.Log, actual.Size, actual.SignedOn, actual.Note));
        Assert.Equal(expected.RootHash, actual.RootHash);
    }
}
