using Strongroom.TestSupport;
using Microsoft.Data.Sqlite;
using Strongroom.Core;

namespace Strongroom.Storage.Tests;

public sealed class BlobTests : StoreTestBase
{
    [Fact]
    public async Task Commit_then_read_returns_record_and_ordered_parts()
    {
        await CreateContainerAsync();
        var objects = Enumerable.Range(0, 5).Select(i => NewObject(length: i + 1)).ToArray();
        var headers = new BlobHttpHeaders("text/plain", "gzip", "en", "attachment; filename=\"x\"", "no-cache", [1, 2, 3, 4]);
        var blob = Blob("acct", "cont", "dir/file.txt", length: 15) with
        {
            Headers = headers,
            Metadata = [new("b", "2"), new("A", "1")],
            CreatedOn = T0.AddTicks(7),
            LastModified = T0.AddTicks(9),
        };

        // Ordinals given out of order must come back in order.
        var removed = await Store.CommitBlobAsync(blob, [.. objects.Select((o, i) => Part(i, o, $"block{i}")).Reverse()]);

        Assert.Empty(removed);
        var read = await Store.GetBlobWithPartsAsync("acct", "cont", "dir/file.txt");
        Assert.NotNull(read);
        var (record, parts) = read.Value;
        Assert.Equal(blob.Name, record.Name);
        Assert.Equal(BlobType.BlockBlob, record.BlobType);
        Assert.Equal(15, record.ContentLength);
        Assert.Equal(blob.ETag, record.ETag);
        Assert.Equal(blob.CreatedOn, record.CreatedOn);
        Assert.Equal(blob.LastModified, record.LastModified);
        Assert.Equal(headers.ContentType, record.Headers.ContentType);
        Assert.Equal(headers.ContentEncoding, record.Headers.ContentEncoding);
        Assert.Equal(headers.ContentLanguage, record.Headers.ContentLanguage);
        Assert.Equal(headers.ContentDisposition, record.Headers.ContentDisposition);
        Assert.Equal(headers.CacheControl, record.Headers.CacheControl);
        Assert.Equal(headers.ContentMd5, record.Headers.ContentMd5);
        Assert.Equal(blob.Metadata, record.Metadata);
        Assert.Equal([0, 1, 2, 3, 4], parts.Select(p => p.Ordinal));
        Assert.Equal(["block0", "block1", "block2", "block3", "block4"], parts.Select(p => p.BlockId));
        for (var i = 0; i < objects.Length; i++)
        {
            AssertSameObject(objects[i], parts[i].Object);
        }
    }

    [Fact]
    public async Task A_part_naming_an_object_that_is_not_recorded_and_not_new_fails_and_changes_nothing()
    {
        await CreateContainerAsync();
        var kept = NewObject();
        await Store.CommitBlobAsync(Blob("acct", "cont", "b", eTag: "\"1\""), [Part(0, kept, "A")]);
        var dropped = NewObject();

        var error = await Assert.ThrowsAsync<StorageException>(() =>
            Store.CommitBlobAsync(Blob("acct", "cont", "b", eTag: "\"2\""), [Part(0, kept, "A"), Part(1, dropped, "B")], [], null));

        Assert.Equal(ErrorCode.InvalidBlockList, error.Code);
        var (blob, parts) = (await Store.GetBlobWithPartsAsync("acct", "cont", "b"))!.Value;
        Assert.Equal("\"1\"", blob.ETag);
        Assert.Equal([kept.ObjectId], parts.Select(p => p.Object.ObjectId));
    }

    [Fact]
    public async Task Missing_blob_reads_as_null()
    {
        await CreateContainerAsync();

        Assert.Null(await Store.GetBlobAsync("acct", "cont", "nope"));
        Assert.Null(await Store.GetBlobWithPartsAsync("acct", "cont", "nope"));
    }

    [Fact]
    public async Task Commit_replaces_record_and_garbage_is_returned_exactly_once()
    {
        await CreateContainerAsync();
        var a = NewObject();
        var b = NewObject();
        await Store.CommitBlobAsync(Blob("acct", "cont", "b", eTag: "\"1\""), [Part(0, a, "A"), Part(1, b, "B")]);
        var c = NewObject();
        var d = NewObject();
        await Store.PutUncommittedBlockAsync("acct", "cont", "b", new UncommittedBlock("C", c, T0));
        await Store.PutUncommittedBlockAsync("acct", "cont", "b", new UncommittedBlock("D", d, T0));
        var e = NewObject();

        // Keeps committed B, takes staged C, adds new E; drops committed A and staged D.
        var removed = await Store.CommitBlobAsync(Blob("acct", "cont", "b", eTag: "\"2\""), [Part(0, b, "B"), Part(1, c, "C"), Part(2, e)]);

        Assert.Equal(Ids([a, d]), Ids(removed));
        AssertSameObject(a, removed.Single(o => o.ObjectId == a.ObjectId));
        Assert.Equal(Ids([b, c, e]), (await Store.ListObjectIdsAsync("site-a")).Order(StringComparer.Ordinal));
        Assert.Empty(await Store.GetUncommittedBlocksAsync("acct", "cont", "b"));
        var (record, parts) = (await Store.GetBlobWithPartsAsync("acct", "cont", "b"))!.Value;
        Assert.Equal("\"2\"", record.ETag);
        Assert.Equal([b.ObjectId, c.ObjectId, e.ObjectId], parts.Select(p => p.Object.ObjectId));

        // Committing the same list again drops nothing; an empty list drops everything once.
        Assert.Empty(await Store.CommitBlobAsync(Blob("acct", "cont", "b"), [Part(0, b, "B"), Part(1, c, "C"), Part(2, e)]));
        Assert.Equal(Ids([b, c, e]), Ids(await Store.CommitBlobAsync(Blob("acct", "cont", "b"), [])));
        Assert.Empty(await Store.CommitBlobAsync(Blob("acct", "cont", "b"), []));
        Assert.Empty(await Store.ListObjectIdsAsync("site-a"));
    }

    [Fact]
    public async Task Objects_shared_by_two_blobs_survive_until_the_last_reference_goes()
    {
        await CreateContainerAsync();
        var shared = NewObject();
        await Store.CommitBlobAsync(Blob("acct", "cont", "one"), [Part(0, shared)]);
        await Store.CommitBlobAsync(Blob("acct", "cont", "two"), [Part(0, shared)]);

        Assert.Empty(await Store.DeleteBlobAsync("acct", "cont", "one"));
        Assert.Equal(Ids([shared]), Ids(await Store.DeleteBlobAsync("acct", "cont", "two")));
    }

    [Fact]
    public async Task Commit_precondition_sees_current_row_and_its_failure_changes_nothing()
    {
        await CreateContainerAsync();
        BlobRecord? seen = Blob("x", "y", "z");
        var first = NewObject();
        await Store.CommitBlobAsync(Blob("acct", "cont", "b", eTag: "\"1\""), [Part(0, first)], current => seen = current);
        Assert.Null(seen);

        var staged = NewObject();
        await Store.PutUncommittedBlockAsync("acct", "cont", "b", new UncommittedBlock("S", staged, T0));
        var replacement = NewObject();
        var error = await Assert.ThrowsAsync<StorageException>(() => Store.CommitBlobAsync(
            Blob("acct", "cont", "b", eTag: "\"2\""),
            [Part(0, replacement)],
            current =>
            {
                seen = current;
                throw new StorageException(ErrorCode.ConditionNotMet);
            }));

        Assert.Equal(ErrorCode.ConditionNotMet, error.Code);
        Assert.Equal("\"1\"", seen!.ETag);
        var (record, parts) = (await Store.GetBlobWithPartsAsync("acct", "cont", "b"))!.Value;
        Assert.Equal("\"1\"", record.ETag);
        Assert.Equal([first.ObjectId], parts.Select(p => p.Object.ObjectId));
        Assert.Equal(["S"], (await Store.GetUncommittedBlocksAsync("acct", "cont", "b")).Select(u => u.BlockId));
        Assert.Equal(Ids([first, staged]), (await Store.ListObjectIdsAsync("site-a")).Order(StringComparer.Ordinal));
    }

    [Fact]
    public async Task Commit_rejects_duplicate_ordinals_and_too_many_parts()
    {
        await CreateContainerAsync();
        var o = NewObject();

        await Assert.ThrowsAsync<ArgumentException>(() => Store.CommitBlobAsync(Blob("acct", "cont", "b"), [Part(0, o), Part(0, NewObject())]));
        var tooMany = Enumerable.Range(0, Limits.CommittedBlocksMax + 1).Select(i => Part(i, o)).ToArray();
        Assert.Equal(ErrorCode.BlockListTooLong, (await Assert.ThrowsAsync<StorageException>(() => Store.CommitBlobAsync(Blob("acct", "cont", "b"), tooMany))).Code);
        Assert.Null(await Store.GetBlobAsync("acct", "cont", "b"));
    }

    [Fact]
    public async Task Commit_refuses_an_object_id_recorded_with_a_different_key()
    {
        await CreateContainerAsync();
        var original = NewObject();
        await Store.CommitBlobAsync(Blob("acct", "cont", "one"), [Part(0, original)]);

        await Assert.ThrowsAsync<InvariantViolationException>(() =>
            Store.CommitBlobAsync(Blob("acct", "cont", "two"), [Part(0, original with { WrappedDataKey = [0] })]));

        Assert.Null(await Store.GetBlobAsync("acct", "cont", "two"));
    }

    [Fact]
    public async Task Delete_returns_parts_and_staged_blocks()
    {
        await CreateContainerAsync();
        var part = NewObject();
        var staged = NewObject();
        await Store.CommitBlobAsync(Blob("acct", "cont", "b"), [Part(0, part)]);
        await Store.PutUncommittedBlockAsync("acct", "cont", "b", new UncommittedBlock("S", staged, T0));
        BlobRecord? seen = null;

        var removed = await Store.DeleteBlobAsync("acct", "cont", "b", current => seen = current);

        Assert.Equal("b", seen!.Name);
        Assert.Equal(Ids([part, staged]), Ids(removed));
        Assert.Null(await Store.GetBlobAsync("acct", "cont", "b"));
        Assert.Empty(await Store.GetUncommittedBlocksAsync("acct", "cont", "b"));
        Assert.Equal(ErrorCode.BlobNotFound, (await Assert.ThrowsAsync<StorageException>(() => Store.DeleteBlobAsync("acct", "cont", "b"))).Code);
    }

    [Fact]
    public async Task Delete_precondition_failure_changes_nothing()
    {
        await CreateContainerAsync();
        var part = NewObject();
        await Store.CommitBlobAsync(Blob("acct", "cont", "b"), [Part(0, part)]);

        await Assert.ThrowsAsync<StorageException>(() =>
            Store.DeleteBlobAsync("acct", "cont", "b", _ => throw new StorageException(ErrorCode.ConditionNotMet)));

        Assert.NotNull(await Store.GetBlobWithPartsAsync("acct", "cont", "b"));
        Assert.Equal([part.ObjectId], await Store.ListObjectIdsAsync("site-a"));
    }

    [Fact]
    public async Task A_blob_with_only_staged_blocks_does_not_exist_yet()
    {
        await CreateContainerAsync();
        var staged = NewObject();
        await Store.PutUncommittedBlockAsync("acct", "cont", "b", new UncommittedBlock("S", staged, T0));

        Assert.Null(await Store.GetBlobAsync("acct", "cont", "b"));
        Assert.Empty(await Store.ListBlobsAsync(new BlobListQuery("acct", "cont", "", null, 10)));
        Assert.Equal(ErrorCode.BlobNotFound, (await Assert.ThrowsAsync<StorageException>(() => Store.DeleteBlobAsync("acct", "cont", "b"))).Code);
        var blocks = await Store.GetUncommittedBlocksAsync("acct", "cont", "b");
        Assert.Equal("S", Assert.Single(blocks).BlockId);
        AssertSameObject(staged, blocks[0].Object);
        Assert.Equal(T0, blocks[0].CreatedOn);
    }

    [Fact]
    public async Task Restaging_a_block_id_returns_the_replaced_object()
    {
        await CreateContainerAsync();
        var first = NewObject();
        var second = NewObject();

        Assert.Empty(await Store.PutUncommittedBlockAsync("acct", "cont", "b", new UncommittedBlock("X", first, T0)));
        Assert.Empty(await Store.PutUncommittedBlockAsync("acct", "cont", "b", new UncommittedBlock("X", first, T0)));
        var removed = await Store.PutUncommittedBlockAsync("acct", "cont", "b", new UncommittedBlock("X", second, T0.AddSeconds(1)));

        Assert.Equal(Ids([first]), Ids(removed));
        var block = Assert.Single(await Store.GetUncommittedBlocksAsync("acct", "cont", "b"));
        Assert.Equal(second.ObjectId, block.Object.ObjectId);
        Assert.Equal(T0.AddSeconds(1), block.CreatedOn);
        Assert.Equal([second.ObjectId], await Store.ListObjectIdsAsync("site-a"));
    }

    [Fact]
    public async Task Restaging_a_committed_block_keeps_its_object_while_committed()
    {
        await CreateContainerAsync();
        var committed = NewObject();
        var replacement = NewObject();
        await Store.CommitBlobAsync(Blob("acct", "cont", "b"), [Part(0, committed, "X")]);

        // The committed block's object is restaged under X, then X is restaged with new content:
        // the old object is still part of the committed blob and must not be dropped.
        Assert.Empty(await Store.PutUncommittedBlockAsync("acct", "cont", "b", new UncommittedBlock("X", committed, T0)));
        Assert.Empty(await Store.PutUncommittedBlockAsync("acct", "cont", "b", new UncommittedBlock("X", replacement, T0)));

        Assert.Equal(Ids([committed, replacement]), (await Store.ListObjectIdsAsync("site-a")).Order(StringComparer.Ordinal));
    }

    [Fact]
    public async Task Staged_block_count_is_limited_per_blob()
    {
        // SQLite itself (its file, WAL, pragmas, migrations from old versions, SQL dialect).
        if (TestMetadata.UsesPostgres)
        {
            return;
        }

        await CreateContainerAsync();

        // Filling to one below the limit through the API would take 100k fsynced transactions.
        using (var connection = OpenSqliteConnection())
        using (var transaction = connection.BeginTransaction())
        {
            using var insertObject = connection.CreateCommand();
            insertObject.CommandText = "INSERT INTO objects (object_id, site_id, wrapped_key, plaintext_length) VALUES (@id, 'site-a', x'00', 1)";
            var objectId = insertObject.Parameters.Add("@id", SqliteType.Text);
            using var insertBlock = connection.CreateCommand();
            insertBlock.CommandText = "INSERT INTO uncommitted_blocks (account, container, blob, block_id, object_id, created_on) VALUES ('acct', 'cont', 'b', @block, @id, 0)";
            var blockId = insertBlock.Parameters.Add("@block", SqliteType.Text);
            var blockObjectId = insertBlock.Parameters.Add("@id", SqliteType.Text);
            for (var i = 0; i < Limits.UncommittedBlocksMax - 1; i++)
            {
                objectId.Value = blockObjectId.Value = i.ToString("x32", System.Globalization.CultureInfo.InvariantCulture);
                blockId.Value = $"pre{i}";
                insertObject.ExecuteNonQuery();
                insertBlock.ExecuteNonQuery();
            }

            transaction.Commit();
        }

        await Store.PutUncommittedBlockAsync("acct", "cont", "b", new UncommittedBlock("last", NewObject(), T0));
        var over = NewObject();
        var error = await Assert.ThrowsAsync<StorageException>(() => Store.PutUncommittedBlockAsync("acct", "cont", "b", new UncommittedBlock("over", over, T0)));
        Assert.Equal(ErrorCode.BlockCountExceedsLimit, error.Code);
        Assert.DoesNotContain(over.ObjectId, await Store.ListObjectIdsAsync("site-a"));

        // Replacing a staged block does not add one, so it is still allowed at the limit; and the
        // limit is per blob.
        await Store.PutUncommittedBlockAsync("acct", "cont", "b", new UncommittedBlock("last", NewObject(), T0));
        await Store.PutUncommittedBlockAsync("acct", "cont", "other", new UncommittedBlock("over", NewObject(), T0));
    }

    [Fact]
    public async Task Update_properties_rewrites_the_row_but_not_the_parts()
    {
        await CreateContainerAsync();
        var part = NewObject();
        await Store.CommitBlobAsync(Blob("acct", "cont", "b", length: 10), [Part(0, part)]);

        var updated = await Store.UpdateBlobPropertiesAsync("acct", "cont", "b", current => current with
        {
            ETag = "\"u\"",
            Headers = current.Headers with { ContentType = "image/png" },
            Metadata = [new("m", "1")],
        });

        Assert.Equal("\"u\"", updated.ETag);
        var (record, parts) = (await Store.GetBlobWithPartsAsync("acct", "cont", "b"))!.Value;
        Assert.Equal("\"u\"", record.ETag);
        Assert.Equal("image/png", record.Headers.ContentType);
        Assert.Equal([new KeyValuePair<string, string>("m", "1")], record.Metadata);
        Assert.Equal(10, record.ContentLength);
        Assert.Equal([part.ObjectId], parts.Select(p => p.Object.ObjectId));
    }

    [Fact]
    public async Task Update_properties_failures_change_nothing()
    {
        await CreateContainerAsync();
        await Store.CommitBlobAsync(Blob("acct", "cont", "b"), [Part(0, NewObject())]);

        Assert.Equal(ErrorCode.BlobNotFound, (await Assert.ThrowsAsync<StorageException>(() => Store.UpdateBlobPropertiesAsync("acct", "cont", "nope", c => c))).Code);
        await Assert.ThrowsAsync<ArgumentException>(() => Store.UpdateBlobPropertiesAsync("acct", "cont", "b", c => c with { Name = "renamed", ETag = "\"x\"" }));
        await Assert.ThrowsAsync<StorageException>(() => Store.UpdateBlobPropertiesAsync("acct", "cont", "b", _ => throw new StorageException(ErrorCode.ConditionNotMet)));

        Assert.Equal("\"etag\"", (await Store.GetBlobAsync("acct", "cont", "b"))!.ETag);
        Assert.Null(await Store.GetBlobAsync("acct", "cont", "renamed"));
    }

    [Fact]
    public async Task Object_ids_are_listed_per_site()
    {
        await CreateContainerAsync();
        var onA = NewObject(site: "site-a");
        var onB = NewObject(site: "site-b");
        await Store.CommitBlobAsync(Blob("acct", "cont", "b"), [Part(0, onA), Part(1, onB)]);

        Assert.Equal([onA.ObjectId], await Store.ListObjectIdsAsync("site-a"));
        Assert.Equal([onB.ObjectId], await Store.ListObjectIdsAsync("site-b"));
        Assert.Empty(await Store.ListObjectIdsAsync("site-c"));
    }

    [Fact]
    public async Task Cancelled_and_disposed_calls_fail_cleanly()
    {
        await CreateContainerAsync();
        using var cancelled = new CancellationTokenSource();
        await cancelled.CancelAsync();

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => Store.GetBlobAsync("acct", "cont", "b", cancelled.Token));
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => Store.CommitBlobAsync(Blob("acct", "cont", "b"), [], null, cancelled.Token));
        Assert.Null(await Store.GetBlobAsync("acct", "cont", "b"));

        await Store.DisposeAsync();
        await Store.DisposeAsync();
        await Assert.ThrowsAsync<ObjectDisposedException>(() => Store.GetAccountAsync("acct"));
        await Assert.ThrowsAsync<ObjectDisposedException>(() => Store.CreateAccountAsync(Account("new")));
    }
}
