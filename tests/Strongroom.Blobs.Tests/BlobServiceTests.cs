using System.Security.Cryptography;
using Strongroom.Core;
using Xunit;

namespace Strongroom.Blobs.Tests;

public sealed class BlobServiceTests : IAsyncLifetime
{
    private BlobServiceFixture fixture = null!;

    private BlobService Blobs => fixture.Blobs;

    public async Task InitializeAsync()
    {
        fixture = await BlobServiceFixture.CreateAsync();
        await Blobs.CreateContainerAsync(BlobServiceFixture.Account, "box", []);
    }

    public async Task DisposeAsync() => await fixture.DisposeAsync();

    [Theory]
    [InlineData(0)]
    [InlineData(1)]
    [InlineData(65535)]
    [InlineData(65536)]
    [InlineData(65537)]
    [InlineData(300_000)]
    public async Task Put_then_read_returns_the_same_bytes(int length)
    {
        var content = BlobServiceFixture.Pattern(length, length);
        var result = await fixture.PutAsync("box", "blob", content);
        Assert.Equal(MD5.HashData(content), result.ContentMd5);
        Assert.Equal(content, await fixture.ReadAllAsync("box", "blob"));
        var properties = await Blobs.GetBlobPropertiesAsync(BlobServiceFixture.Account, "box", "blob", AccessConditions.None);
        Assert.Equal(length, properties.ContentLength);
        Assert.Equal(MD5.HashData(content), properties.Headers.ContentMd5);
    }

    [Fact]
    public async Task Ranges_across_block_boundaries_read_exactly()
    {
        var blocks = Enumerable.Range(0, 3).Select(i => BlobServiceFixture.Pattern(70_000 + i, i)).ToArray();
        for (var i = 0; i < blocks.Length; i++)
        {
            await fixture.StageAsync("box", "ranged", BlobServiceFixture.BlockId(i), blocks[i]);
        }

        await fixture.CommitAsync("box", "ranged", Enumerable.Range(0, 3).Select(i => new BlockListEntry(BlockListKind.Latest, BlobServiceFixture.BlockId(i))).ToArray());
        var whole = blocks.SelectMany(b => b).ToArray();
        var reader = await Blobs.OpenBlobAsync(BlobServiceFixture.Account, "box", "ranged", AccessConditions.None);
        foreach (var (offset, count) in new (long, long)[] { (0, 1), (69_999, 2), (65_530, 140_010), (whole.Length - 1, 1), (0, whole.Length), (100, 0) })
        {
            using var output = new MemoryStream();
            await reader.CopyRangeToAsync(offset, count, output);
            Assert.Equal(whole.AsSpan((int)offset, (int)count).ToArray(), output.ToArray());
        }

        await Assert.ThrowsAsync<StorageException>(() => reader.CopyRangeToAsync(whole.Length, 1, Stream.Null));
    }

    [Fact]
    public async Task Committing_blocks_in_another_order_reuses_their_ciphertext_unchanged()
    {
        var blocks = Enumerable.Range(0, 3).Select(i => BlobServiceFixture.Pattern(1000 + i, 100 + i)).ToArray();
        for (var i = 0; i < 3; i++)
        {
            await fixture.StageAsync("box", "ordered", BlobServiceFixture.BlockId(i), blocks[i]);
        }

        var before = fixture.SiteFiles().ToDictionary(f => f, f => Convert.ToHexString(SHA256.HashData(File.ReadAllBytes(f))));
        await fixture.CommitAsync("box", "ordered", [
            new BlockListEntry(BlockListKind.Uncommitted, BlobServiceFixture.BlockId(2)),
            new BlockListEntry(BlockListKind.Latest, BlobServiceFixture.BlockId(0)),
            new BlockListEntry(BlockListKind.Uncommitted, BlobServiceFixture.BlockId(1))]);

        var after = fixture.SiteFiles().ToDictionary(f => f, f => Convert.ToHexString(SHA256.HashData(File.ReadAllBytes(f))));
        Assert.Equal(before, after);
        Assert.Equal(blocks[2].Concat(blocks[0]).Concat(blocks[1]).ToArray(), await fixture.ReadAllAsync("box", "ordered"));

        var list = await Blobs.GetBlockListAsync(BlobServiceFixture.Account, "box", "ordered", BlockListType.All);
        Assert.Equal([BlobServiceFixture.BlockId(2), BlobServiceFixture.BlockId(0), BlobServiceFixture.BlockId(1)], list.Committed.Select(b => b.BlockId));
        Assert.Equal([1002L, 1000L, 1001L], list.Committed.Select(b => b.Size));
        Assert.Empty(list.Uncommitted);
    }

    [Fact]
    public async Task Recommitting_keeps_listed_committed_blocks_and_drops_the_rest_from_the_site()
    {
        await fixture.StageAsync("box", "evolving", BlobServiceFixture.BlockId(0), [1, 1]);
        await fixture.StageAsync("box", "evolving", BlobServiceFixture.BlockId(1), [2, 2]);
        await fixture.CommitAsync("box", "evolving", new BlockListEntry(BlockListKind.Latest, BlobServiceFixture.BlockId(0)), new BlockListEntry(BlockListKind.Latest, BlobServiceFixture.BlockId(1)));
        await fixture.StageAsync("box", "evolving", BlobServiceFixture.BlockId(2), [3, 3]);
        await fixture.StageAsync("box", "evolving", BlobServiceFixture.BlockId(3), [9, 9]);
        Assert.Equal(4, fixture.SiteFiles().Count());

        await fixture.CommitAsync("box", "evolving", new BlockListEntry(BlockListKind.Committed, BlobServiceFixture.BlockId(1)), new BlockListEntry(BlockListKind.Uncommitted, BlobServiceFixture.BlockId(2)));

        Assert.Equal(new byte[] { 2, 2, 3, 3 }, await fixture.ReadAllAsync("box", "evolving"));
        Assert.Equal(2, fixture.SiteFiles().Count());
    }

    [Fact]
    public async Task A_block_list_naming_a_missing_block_changes_nothing()
    {
        await fixture.PutAsync("box", "stable", [7]);
        await fixture.StageAsync("box", "stable", BlobServiceFixture.BlockId(0), [1]);
        var error = await Assert.ThrowsAsync<StorageException>(() => fixture.CommitAsync("box", "stable", new BlockListEntry(BlockListKind.Latest, BlobServiceFixture.BlockId(0)), new BlockListEntry(BlockListKind.Latest, BlobServiceFixture.BlockId(5))));
        Assert.Equal(ErrorCode.InvalidBlockList, error.Code);
        Assert.Equal(new byte[] { 7 }, await fixture.ReadAllAsync("box", "stable"));
        var list = await Blobs.GetBlockListAsync(BlobServiceFixture.Account, "box", "stable", BlockListType.Uncommitted);
        Assert.Single(list.Uncommitted);
    }

    [Theory]
    [InlineData("")]
    [InlineData("not base64!")]
    public async Task Invalid_block_ids_are_refused_before_reading_the_body(string blockId)
    {
        var error = await Assert.ThrowsAsync<StorageException>(() => fixture.StageAsync("box", "b", blockId, [1]));
        Assert.Equal(ErrorCode.InvalidBlockId, error.Code);
        Assert.Empty(fixture.SiteFiles());
    }

    [Fact]
    public async Task A_block_id_longer_than_64_bytes_is_refused()
    {
        var error = await Assert.ThrowsAsync<StorageException>(() => fixture.StageAsync("box", "b", Convert.ToBase64String(new byte[65]), [1]));
        Assert.Equal(ErrorCode.InvalidBlockId, error.Code);
    }

    [Fact]
    public async Task Block_ids_of_one_blob_must_have_the_same_length()
    {
        await fixture.StageAsync("box", "b", Convert.ToBase64String(new byte[4]), [1]);
        var error = await Assert.ThrowsAsync<StorageException>(() => fixture.StageAsync("box", "b", Convert.ToBase64String(new byte[8]), [1]));
        Assert.Equal(ErrorCode.InvalidBlobOrBlock, error.Code);
        Assert.Single(fixture.SiteFiles());
    }

    [Fact]
    public async Task An_md5_mismatch_leaves_nothing_behind()
    {
        var error = await Assert.ThrowsAsync<StorageException>(() => fixture.PutAsync("box", "checked", [1, 2, 3], checksums: new TransactionalChecksums(ContentMd5: new byte[16])));
        Assert.Equal(ErrorCode.Md5Mismatch, error.Code);
        Assert.Empty(fixture.SiteFiles());
        Assert.Equal(ErrorCode.BlobNotFound, (await Assert.ThrowsAsync<StorageException>(() => Blobs.GetBlobPropertiesAsync(BlobServiceFixture.Account, "box", "checked", AccessConditions.None))).Code);
    }

    [Fact]
    public async Task A_crc64_mismatch_leaves_nothing_behind_and_a_match_is_returned()
    {
        var error = await Assert.ThrowsAsync<StorageException>(() => fixture.PutAsync("box", "crc", [1, 2, 3], checksums: new TransactionalChecksums(ContentCrc64: 42)));
        Assert.Equal(ErrorCode.Crc64Mismatch, error.Code);
        Assert.Empty(fixture.SiteFiles());

        var crc = Crc64Nvme.Compute([1, 2, 3]);
        var result = await fixture.PutAsync("box", "crc", [1, 2, 3], checksums: new TransactionalChecksums(ContentCrc64: crc));
        Assert.Equal(crc, result.ContentCrc64);
    }

    [Fact]
    public async Task Overwrite_and_delete_remove_ciphertext_from_the_site()
    {
        await fixture.PutAsync("box", "gone", [1]);
        await fixture.PutAsync("box", "gone", [2]);
        Assert.Single(fixture.SiteFiles());
        await Blobs.DeleteBlobAsync(BlobServiceFixture.Account, "box", "gone", AccessConditions.None);
        Assert.Empty(fixture.SiteFiles());
        Assert.Equal(ErrorCode.BlobNotFound, (await Assert.ThrowsAsync<StorageException>(() => Blobs.DeleteBlobAsync(BlobServiceFixture.Account, "box", "gone", AccessConditions.None))).Code);
    }

    [Fact]
    public async Task Deleting_a_container_removes_its_blobs_and_staged_blocks_from_the_site()
    {
        await Blobs.CreateContainerAsync(BlobServiceFixture.Account, "doomed", []);
        await fixture.PutAsync("doomed", "a", [1]);
        await fixture.StageAsync("doomed", "b", BlobServiceFixture.BlockId(0), [2]);
        await Blobs.DeleteContainerAsync(BlobServiceFixture.Account, "doomed", AccessConditions.None);
        Assert.Empty(fixture.SiteFiles());
        Assert.Equal(ErrorCode.ContainerNotFound, (await Assert.ThrowsAsync<StorageException>(() => fixture.ReadAllAsync("doomed", "a"))).Code);
    }

    [Fact]
    public async Task Write_conditions_follow_azure()
    {
        var first = await fixture.PutAsync("box", "conditional", [1]);
        Assert.Equal(ErrorCode.BlobAlreadyExists, (await Assert.ThrowsAsync<StorageException>(() => fixture.PutAsync("box", "conditional", [2], conditions: new AccessConditions(IfNoneMatch: "*")))).Code);
        Assert.Equal(ErrorCode.ConditionNotMet, (await Assert.ThrowsAsync<StorageException>(() => fixture.PutAsync("box", "conditional", [2], conditions: new AccessConditions(IfMatch: "\"0x1\"")))).Code);
        Assert.Equal(ErrorCode.ConditionNotMet, (await Assert.ThrowsAsync<StorageException>(() => fixture.PutAsync("box", "missing", [2], conditions: new AccessConditions(IfMatch: first.ETag)))).Code);
        var second = await fixture.PutAsync("box", "conditional", [2], conditions: new AccessConditions(IfMatch: first.ETag));
        Assert.NotEqual(first.ETag, second.ETag);
        Assert.Equal(new byte[] { 2 }, await fixture.ReadAllAsync("box", "conditional"));
        Assert.Single(fixture.SiteFiles());
    }

    [Fact]
    public async Task Read_conditions_follow_azure()
    {
        var written = await fixture.PutAsync("box", "read", [1]);
        var account = BlobServiceFixture.Account;
        Assert.Equal(ErrorCode.NotModified, (await Assert.ThrowsAsync<StorageException>(() => Blobs.OpenBlobAsync(account, "box", "read", new AccessConditions(IfNoneMatch: written.ETag)))).Code);
        Assert.Equal(ErrorCode.ConditionNotMet, (await Assert.ThrowsAsync<StorageException>(() => Blobs.OpenBlobAsync(account, "box", "read", new AccessConditions(IfMatch: "\"0x1\"")))).Code);
        Assert.Equal(ErrorCode.NotModified, (await Assert.ThrowsAsync<StorageException>(() => Blobs.OpenBlobAsync(account, "box", "read", new AccessConditions(IfModifiedSince: fixture.Time.GetUtcNow())))).Code);
        Assert.Equal(ErrorCode.ConditionNotMet, (await Assert.ThrowsAsync<StorageException>(() => Blobs.OpenBlobAsync(account, "box", "read", new AccessConditions(IfUnmodifiedSince: fixture.Time.GetUtcNow().AddHours(-1))))).Code);
        Assert.Equal(ErrorCode.UnsatisfiableCondition, (await Assert.ThrowsAsync<StorageException>(() => Blobs.OpenBlobAsync(account, "box", "read", new AccessConditions(IfNoneMatch: "*")))).Code);
        var opened = await Blobs.OpenBlobAsync(account, "box", "read", new AccessConditions(IfMatch: written.ETag, IfModifiedSince: fixture.Time.GetUtcNow().AddHours(-1)));
        Assert.Equal(written.ETag, opened.Blob.ETag);
    }

    [Fact]
    public async Task Hierarchical_listing_collapses_prefixes_and_pages_through_them()
    {
        foreach (var name in new[] { "a/1", "a/2", "a/x/3", "b", "c/d/e", "c/f", "d" })
        {
            await fixture.PutAsync("box", name, [1]);
        }

        var seen = new List<string>();
        string? marker = null;
        var pages = 0;
        do
        {
            var page = await Blobs.ListBlobsAsync(BlobServiceFixture.Account, "box", null, "/", marker, 2);
            seen.AddRange(page.Items.Select(item => item.Prefix ?? item.Blob!.Name));
            marker = page.NextMarker;
            pages++;
        }
        while (marker is not null && pages < 10);

        Assert.Equal(["a/", "b", "c/", "d"], seen);

        var nested = await Blobs.ListBlobsAsync(BlobServiceFixture.Account, "box", "a/", "/", null, 100);
        Assert.Equal(["a/1", "a/2", "a/x/"], nested.Items.Select(item => item.Prefix ?? item.Blob!.Name));
        Assert.Null(nested.NextMarker);
    }

    [Fact]
    public async Task Flat_listing_pages_through_every_blob_once_in_order()
    {
        var names = new[] { "%", "+", "a b", "a/../b", "z", "日本語", "_x" };
        foreach (var name in names)
        {
            await fixture.PutAsync("box", name, [1]);
        }

        var seen = new List<string>();
        string? marker = null;
        do
        {
            var page = await Blobs.ListBlobsAsync(BlobServiceFixture.Account, "box", null, null, marker, 3);
            Assert.True(page.Items.Count <= 3);
            seen.AddRange(page.Items.Select(item => item.Blob!.Name));
            marker = page.NextMarker;
        }
        while (marker is not null);

        Assert.Equal(names.OrderBy(n => n, StringComparer.Ordinal), seen);
    }

    [Fact]
    public async Task Tampered_ciphertext_is_an_integrity_error_never_data()
    {
        await fixture.PutAsync("box", "victim", BlobServiceFixture.Pattern(100_000, 1));
        var file = Assert.Single(fixture.SiteFiles());
        var bytes = File.ReadAllBytes(file);
        bytes[70_000] ^= 0x01;
        File.WriteAllBytes(file, bytes);

        var reader = await Blobs.OpenBlobAsync(BlobServiceFixture.Account, "box", "victim", AccessConditions.None);
        using var output = new MemoryStream();
        var error = await Assert.ThrowsAsync<StorageException>(() => reader.CopyRangeToAsync(65_536, 1000, output));
        Assert.Equal(ErrorCode.IntegrityCheckFailed, error.Code);
        Assert.Equal(0, output.Length);
    }

    [Fact]
    public async Task One_objects_file_moved_over_anothers_is_detected()
    {
        await fixture.PutAsync("box", "first", BlobServiceFixture.Pattern(500, 1));
        var firstFile = Assert.Single(fixture.SiteFiles());
        await fixture.PutAsync("box", "second", BlobServiceFixture.Pattern(500, 2));
        var secondFile = fixture.SiteFiles().Single(f => f != firstFile);
        File.Copy(firstFile, secondFile, overwrite: true);

        var error = await Assert.ThrowsAsync<StorageException>(() => fixture.ReadAllAsync("box", "second"));
        Assert.Equal(ErrorCode.IntegrityCheckFailed, error.Code);
    }

    [Fact]
    public async Task A_missing_site_object_is_an_integrity_error()
    {
        await fixture.PutAsync("box", "lost", [1, 2, 3]);
        File.Delete(Assert.Single(fixture.SiteFiles()));
        Assert.Equal(ErrorCode.IntegrityCheckFailed, (await Assert.ThrowsAsync<StorageException>(() => fixture.ReadAllAsync("box", "lost"))).Code);
    }

    [Fact]
    public async Task Tenants_are_segregated()
    {
        await fixture.PutAsync("box", "private", [42]);
        var other = BlobServiceFixture.OtherAccount;
        Assert.Equal(ErrorCode.ContainerNotFound, (await Assert.ThrowsAsync<StorageException>(() => Blobs.OpenBlobAsync(other, "box", "private", AccessConditions.None))).Code);
        Assert.Empty((await Blobs.ListContainersAsync(other, null, null, 100)).Containers);

        await Blobs.CreateContainerAsync(other, "box", []);
        Assert.Equal(ErrorCode.BlobNotFound, (await Assert.ThrowsAsync<StorageException>(() => Blobs.OpenBlobAsync(other, "box", "private", AccessConditions.None))).Code);
        Assert.Empty((await Blobs.ListBlobsAsync(other, "box", null, null, null, 100)).Items);
    }

    [Theory]
    [InlineData("ab")]
    [InlineData("UPPER")]
    [InlineData("a--b")]
    [InlineData("-ab")]
    public async Task Invalid_container_names_are_refused(string name)
    {
        var error = await Assert.ThrowsAsync<StorageException>(() => Blobs.CreateContainerAsync(BlobServiceFixture.Account, name, []));
        Assert.Equal(ErrorCode.InvalidResourceName, error.Code);
    }

    [Fact]
    public async Task Oversize_and_invalid_metadata_are_refused_and_nothing_is_written()
    {
        var big = new List<KeyValuePair<string, string>> { new("big", new string('x', Limits.MetadataBytesMax)) };
        Assert.Equal(ErrorCode.MetadataTooLarge, (await Assert.ThrowsAsync<StorageException>(() => Blobs.PutBlobAsync(new PutBlobRequest(BlobServiceFixture.Account, "box", "m", BlobHttpHeaders.Empty, big, AccessConditions.None, TransactionalChecksums.None), new MemoryStream([1])))).Code);
        var invalid = new List<KeyValuePair<string, string>> { new("1abc", "v") };
        Assert.Equal(ErrorCode.InvalidMetadata, (await Assert.ThrowsAsync<StorageException>(() => Blobs.CreateContainerAsync(BlobServiceFixture.Account, "meta", invalid))).Code);
        Assert.Empty(fixture.SiteFiles());
    }

    [Fact]
    public async Task Concurrent_writers_to_one_blob_leave_exactly_one_payload()
    {
        var payloads = Enumerable.Range(0, 16).Select(i => BlobServiceFixture.Pattern(10_000, 1000 + i)).ToArray();
        await Task.WhenAll(payloads.Select(p => Task.Run(() => fixture.PutAsync("box", "contended", p))));
        var content = await fixture.ReadAllAsync("box", "contended");
        Assert.Contains(payloads, p => p.SequenceEqual(content));
        Assert.Single(fixture.SiteFiles());
    }
}
