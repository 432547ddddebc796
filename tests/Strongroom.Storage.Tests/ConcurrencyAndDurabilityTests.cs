using Strongroom.TestSupport;
using System.Collections.Concurrent;
using System.Globalization;
using Strongroom.Core;

namespace Strongroom.Storage.Tests;

public sealed class ConcurrencyAndDurabilityTests : StoreTestBase
{
    [Fact]
    public async Task Group_committed_writes_fail_alone_and_the_rest_commit()
    {
        await CreateContainerAsync();

        // 64 concurrent creations over 16 names: the store groups them into few transactions; in
        // each group the duplicates fail with their own error and everything else commits.
        var attempts = Enumerable.Range(0, 64).Select(i => $"c{i % 16:00}").ToArray();
        var outcomes = await Task.WhenAll(attempts.Select(name => Task.Run(async () =>
        {
            try
            {
                await Store.CreateContainerAsync(Container("acct", name));
                return "created";
            }
            catch (StorageException error)
            {
                return error.Code.ToString();
            }
        })));

        Assert.Equal(16, outcomes.Count(o => o == "created"));
        Assert.Equal(48, outcomes.Count(o => o == nameof(ErrorCode.ContainerAlreadyExists)));
        var listed = await Store.ListContainersAsync("acct", "c", null, 100);
        Assert.Equal(Enumerable.Range(0, 16).Select(i => $"c{i:00}"), listed.Containers.Select(c => c.Name).Where(n => n != "cont"));
    }

    [Fact]
    public async Task Concurrent_commits_to_one_blob_stay_consistent_and_account_for_every_object()
    {
        await CreateContainerAsync();
        var created = new ConcurrentBag<string>();
        var removed = new ConcurrentBag<string>();
        using var stop = new CancellationTokenSource();

        async Task Writer(int writer)
        {
            for (var i = 0; i < 10; i++)
            {
                var objects = Enumerable.Range(0, 1 + ((writer + i) % 3)).Select(k => NewObject(length: 1 + k + writer)).ToArray();
                foreach (var o in objects)
                {
                    created.Add(o.ObjectId);
                }

                // The ETag names the parts so a reader can tell a torn read from a consistent one.
                var blob = Blob("acct", "cont", "hot", objects.Sum(o => o.PlaintextLength), string.Join(",", objects.Select(o => o.ObjectId)));
                foreach (var gone in await Store.CommitBlobAsync(blob, objects.Select((o, k) => Part(k, o)).ToArray()))
                {
                    removed.Add(gone.ObjectId);
                }
            }
        }

        async Task<int> Reader()
        {
            var reads = 0;
            while (!stop.IsCancellationRequested)
            {
                var read = await Store.GetBlobWithPartsAsync("acct", "cont", "hot");
                if (read is { } value)
                {
                    Assert.Equal(value.Blob.ETag, string.Join(",", value.Parts.Select(p => p.Object.ObjectId)));
                    Assert.Equal(value.Blob.ContentLength, value.Parts.Sum(p => p.Object.PlaintextLength));
                    reads++;
                }

                await Task.Yield();
            }

            return reads;
        }

        var readers = Enumerable.Range(0, 4).Select(_ => Task.Run(Reader)).ToArray();
        await Task.WhenAll(Enumerable.Range(0, 16).Select(w => Task.Run(() => Writer(w))));
        await stop.CancelAsync();
        await Task.WhenAll(readers);

        var (_, finalParts) = (await Store.GetBlobWithPartsAsync("acct", "cont", "hot"))!.Value;
        var remaining = finalParts.Select(p => p.Object.ObjectId).ToArray();
        Assert.Equal(removed.Count, removed.Distinct().Count());
        Assert.Equal(created.Order(StringComparer.Ordinal), removed.Concat(remaining).Order(StringComparer.Ordinal));
        Assert.Equal(remaining.Order(StringComparer.Ordinal), (await Store.ListObjectIdsAsync("site-a")).Order(StringComparer.Ordinal));
    }

    [Fact]
    public async Task Read_modify_write_is_serialised_within_and_across_store_instances()
    {
        await CreateContainerAsync();
        await Store.CommitBlobAsync(Blob("acct", "cont", "counter") with { Metadata = [new("n", "0")] }, []);

        // A second instance on the same file stands in for another process (the CLI): it does not
        // share the in-process semaphore, only SQLite's lock.
        await using var second = await TestMetadata.OpenAsync(DatabasePath);

        static BlobRecord Increment(BlobRecord current)
        {
            var n = int.Parse(current.Metadata.Single().Value, CultureInfo.InvariantCulture);
            return current with { Metadata = [new("n", (n + 1).ToString(CultureInfo.InvariantCulture))] };
        }

        async Task Run(SqlMetadataStore store)
        {
            for (var i = 0; i < 15; i++)
            {
                await store.UpdateBlobPropertiesAsync("acct", "cont", "counter", Increment);
            }
        }

        await Task.WhenAll(Enumerable.Range(0, 8).Select(i => Task.Run(() => Run(i % 2 == 0 ? Store : second))));

        Assert.Equal("120", (await Store.GetBlobAsync("acct", "cont", "counter"))!.Metadata.Single().Value);
    }

    [Fact]
    public async Task Another_process_writing_waits_for_an_open_write_transaction()
    {
        await CreateContainerAsync();
        await Store.CommitBlobAsync(Blob("acct", "cont", "counter") with { Metadata = [new("n", "0")] }, []);
        await using var second = await TestMetadata.OpenAsync(DatabasePath);
        var insideFirst = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        using var releaseFirst = new ManualResetEventSlim();

        static BlobRecord Append(BlobRecord current, string mark) =>
            current with { Metadata = [new("n", current.Metadata.Single().Value + mark)] };

        var first = Task.Run(() => Store.UpdateBlobPropertiesAsync("acct", "cont", "counter", current =>
        {
            insideFirst.SetResult();
            releaseFirst.Wait();
            return Append(current, "a");
        }));
        await insideFirst.Task;

        // The first transaction has read the row and holds the write lock (BEGIN IMMEDIATE); a
        // deferred one would let this write through and then fail the first with SQLITE_BUSY.
        var other = Task.Run(() => second.UpdateBlobPropertiesAsync("acct", "cont", "counter", current => Append(current, "b")));
        try
        {
            await Task.Delay(300);
            Assert.False(other.IsCompleted);
        }
        finally
        {
            releaseFirst.Set();
        }

        await first;
        await other;
        Assert.Equal("0ab", (await Store.GetBlobAsync("acct", "cont", "counter"))!.Metadata.Single().Value);
    }

    [Fact]
    public async Task Reopening_keeps_every_committed_change()
    {
        await CreateContainerAsync();
        var part = NewObject();
        var staged = NewObject();
        await Store.CommitBlobAsync(Blob("acct", "cont", "b", length: 10) with { Metadata = [new("k", "v")] }, [Part(0, part, "blk")]);
        await Store.PutUncommittedBlockAsync("acct", "cont", "b", new UncommittedBlock("s", staged, T0));

        await ReopenAsync();

        Assert.NotNull(await Store.GetAccountAsync("acct"));
        Assert.NotNull(await Store.GetContainerAsync("acct", "cont"));
        var (blob, parts) = (await Store.GetBlobWithPartsAsync("acct", "cont", "b"))!.Value;
        Assert.Equal(10, blob.ContentLength);
        Assert.Equal([new KeyValuePair<string, string>("k", "v")], blob.Metadata);
        AssertSameObject(part, Assert.Single(parts).Object);
        AssertSameObject(staged, Assert.Single(await Store.GetUncommittedBlocksAsync("acct", "cont", "b")).Object);
    }

    [Fact]
    public async Task Database_uses_wal_and_records_its_schema_version_once()
    {
        // SQLite itself (its file, WAL, pragmas, migrations from old versions, SQL dialect).
        if (TestMetadata.UsesPostgres)
        {
            return;
        }

        await ReopenAsync();

        using var connection = OpenRawConnection();
        using var command = connection.CreateCommand();
        command.CommandText = "PRAGMA journal_mode";
        Assert.Equal("wal", command.ExecuteScalar());
        // Each migration is recorded exactly once: versions 1..current, no gaps, no repeats.
        command.CommandText = "SELECT version FROM schema_version ORDER BY version";
        var versions = new List<long>();
        using (var reader = command.ExecuteReader())
        {
            while (reader.Read())
            {
                versions.Add(reader.GetInt64(0));
            }
        }

        Assert.NotEmpty(versions);
        Assert.Equal(Enumerable.Range(1, versions.Count).Select(version => (long)version), versions);
    }

    [Fact]
    public async Task A_database_from_a_newer_version_is_refused()
    {
        // SQLite itself (its file, WAL, pragmas, migrations from old versions, SQL dialect).
        if (TestMetadata.UsesPostgres)
        {
            return;
        }

        await Store.CreateAccountAsync(Account("acct"));
        await Store.DisposeAsync();
        long current;
        using (var connection = OpenRawConnection())
        {
            using var command = connection.CreateCommand();
            command.CommandText = "SELECT MAX(version) FROM schema_version";
            current = (long)command.ExecuteScalar()!;
            command.CommandText = $"INSERT INTO schema_version (version) VALUES ({current + 1})";
            command.ExecuteNonQuery();
        }

        var error = await Assert.ThrowsAsync<SchemaVersionException>(() => SqlMetadataStore.OpenSqliteAsync(DatabasePath));

        Assert.Contains($"schema version {current + 1}", error.Message, StringComparison.Ordinal);
        Assert.Contains($"up to {current}", error.Message, StringComparison.Ordinal);

        // Refusing must not have changed the file: the newer build can still use it.
        using (var connection = OpenRawConnection())
        {
            using var command = connection.CreateCommand();
            command.CommandText = "SELECT COUNT(*) FROM accounts";
            Assert.Equal(1L, command.ExecuteScalar());
        }

        Store = await SqlMetadataStore.OpenSqliteAsync(System.IO.Path.Combine(Temp.Path, "fresh.db"));
    }
}
