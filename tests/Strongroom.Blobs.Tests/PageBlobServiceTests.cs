using Strongroom.Core;
using Strongroom.Storage;
using Xunit;

namespace Strongroom.Blobs.Tests;

/// <summary>
/// Page blobs in the service (issue 8): the chunked layout's promise — a page write re-encrypts only
/// the chunks it touches, counted both by the service and by the objects that appear on the site —,
/// holes read as zeros, clears drop whole chunks, concurrent writes to one chunk all land, and the
/// diff against a snapshot (made the way Snapshot Blob makes one: an instance sharing the parts).
/// </summary>
public sealed class PageBlobServiceTests : IAsyncLifetime
{
    private const string Account = BlobServiceFixture.Account;
    private const int Chunk = Limits.PageChunkBytes;
    private BlobServiceFixture fixture = null!;

    public async Task InitializeAsync()
    {
        fixture = await BlobServiceFixture.CreateAsync();
        await fixture.Blobs.CreateContainerAsync(Account, "disks", []);
    }

    public async Task DisposeAsync() => await fixture.DisposeAsync();

    private Task CreateAsync(string blob, long size, long sequenceNumber = 0) =>
        fixture.Blobs.CreatePageBlobAsync(new CreatePageBlobRequest(Account, "disks", blob, size, sequenceNumber, BlobHttpHeaders.Empty, [], AccessConditions.None));

    private static PageWriteRequest Range(string blob, long offset, long length, SequenceNumberConditions? sequence = null) =>
        new(Account, "disks", blob, offset, length, AccessConditions.None, sequence ?? SequenceNumberConditions.None, TransactionalChecksums.None);

    private async Task<PageWriteResult> WriteAsync(string blob, long offset, byte[] content)
    {
        using var body = new MemoryStream(content, writable: false);
        return await fixture.Blobs.PutPagesAsync(Range(blob, offset, content.Length), body);
    }

    private Task<PageRangesResult> RangesAsync(string blob, string? previousSnapshot = null, BlobSelector? selector = null) =>
        fixture.Blobs.GetPageRangesAsync(new PageRangesRequest(Account, "disks", blob, selector ?? BlobSelector.Current, null, null, previousSnapshot, AccessConditions.None));

    /// <summary>Every object file on the site with its size (the site writes one file per object).</summary>
    private Dictionary<string, long> SiteObjects() =>
        System.IO.Directory.EnumerateFiles(Path.Combine(fixture.Site.RootDirectory, "objects"), "*", SearchOption.AllDirectories)
            .ToDictionary(path => path, path => new FileInfo(path).Length, StringComparer.Ordinal);

    [Fact]
    public async Task A_page_write_reencrypts_only_the_chunks_it_touches()
    {
        const long Size = 8L * Chunk;
        await CreateAsync("disk", Size);
        var content = BlobServiceFixture.Pattern((int)Size, 1);
        for (var offset = 0; offset < Size; offset += Limits.PutPageBytesMax)
        {
            await WriteAsync("disk", offset, content.AsSpan(offset, Limits.PutPageBytesMax).ToArray());
        }

        Assert.Equal(8, fixture.Blobs.PageChunksEncrypted);
        var before = SiteObjects();
        Assert.Equal(8, before.Count);

        // One page inside chunk 3: one chunk encrypted, one object written, the one it replaced gone.
        var page = BlobServiceFixture.Pattern(Limits.PageBytes, 2);
        await WriteAsync("disk", (3L * Chunk) + 4096, page);
        page.CopyTo(content, (3 * Chunk) + 4096);
        Assert.Equal(9, fixture.Blobs.PageChunksEncrypted);
        var after = SiteObjects();
        var added = after.Keys.Except(before.Keys).ToList();
        var gone = before.Keys.Except(after.Keys).ToList();
        Assert.Single(added);
        Assert.Single(gone);
        Assert.InRange(after[added[0]], Chunk, Chunk + (Chunk / 16));

        // Two pages across the boundary of chunks 5 and 6: exactly those two.
        var straddle = BlobServiceFixture.Pattern(2 * Limits.PageBytes, 3);
        await WriteAsync("disk", (6L * Chunk) - Limits.PageBytes, straddle);
        straddle.CopyTo(content, (6 * Chunk) - Limits.PageBytes);
        Assert.Equal(11, fixture.Blobs.PageChunksEncrypted);
        Assert.Equal(2, SiteObjects().Keys.Except(after.Keys).Count());

        Assert.Equal(content, await fixture.ReadAllAsync("disks", "disk"));
        Assert.Equal([new PageRange(0, Size - 1)], (await RangesAsync("disk")).Pages);

        // Each page write's entry committed with it, naming the chunks it wrote.
        var entries = (await fixture.Audit.EntriesAsync(Account)).Where(entry => entry.Action == nameof(BlobOperation.PutPage)).ToList();
        Assert.Equal(4, entries.Count);
        Assert.Equal(["4", "4", "1", "2"], entries.Select(entry => entry.Detail("chunksWritten")));
        Assert.All(entries, entry => Assert.Equal("update", entry.Detail("pageWrite")));
    }

    [Fact]
    public async Task Unwritten_pages_read_as_zeros_and_only_written_chunks_are_stored()
    {
        const long Size = 64L * Chunk;
        await CreateAsync("sparse", Size);
        Assert.Empty(SiteObjects());
        var page = BlobServiceFixture.Pattern(Limits.PageBytes, 4);
        await WriteAsync("sparse", 40L * Chunk, page);
        Assert.Single(SiteObjects());

        var reader = await fixture.Blobs.OpenBlobAsync(Account, "disks", "sparse", AccessConditions.None);
        using var window = new MemoryStream();
        await reader.CopyRangeToAsync((40L * Chunk) - 1024, 2048, window);
        var expected = new byte[2048];
        page.CopyTo(expected.AsSpan(1024));
        Assert.Equal(expected, window.ToArray());
        Assert.Equal([new PageRange(40L * Chunk, (40L * Chunk) + 511)], (await RangesAsync("sparse")).Pages);
    }

    [Fact]
    public async Task Clearing_drops_whole_chunks_and_rewrites_only_the_chunks_it_cuts()
    {
        await CreateAsync("clear", 4L * Chunk);
        await WriteAsync("clear", 0, BlobServiceFixture.Pattern(4 * 1024 * 1024, 5));
        var encrypted = fixture.Blobs.PageChunksEncrypted;

        // [0.5 MiB, 3 MiB): chunk 0 cut (rewritten), chunks 1 and 2 dropped, chunk 3 untouched.
        await fixture.Blobs.ClearPagesAsync(Range("clear", Chunk / 2, (2L * Chunk) + (Chunk / 2)));
        Assert.Equal(encrypted + 1, fixture.Blobs.PageChunksEncrypted);
        Assert.Equal(2, SiteObjects().Count);
        Assert.Equal([new PageRange(0, (Chunk / 2) - 1), new PageRange(3L * Chunk, (4L * Chunk) - 1)], (await RangesAsync("clear")).Pages);
        var all = await fixture.ReadAllAsync("disks", "clear");
        Assert.True(all.AsSpan(Chunk / 2, (2 * Chunk) + (Chunk / 2)).IndexOfAnyExcept((byte)0) < 0);

        // Clearing the rest of chunk 0 drops it too (nothing left to keep).
        await fixture.Blobs.ClearPagesAsync(Range("clear", 0, Chunk / 2));
        Assert.Single(SiteObjects());
    }

    [Fact]
    public async Task Concurrent_writes_to_one_chunk_all_land()
    {
        await CreateAsync("busy", Chunk);
        const int Writers = 32;
        var pages = Enumerable.Range(0, Writers).Select(i => BlobServiceFixture.Pattern(Limits.PageBytes, 100 + i)).ToArray();
        await Task.WhenAll(Enumerable.Range(0, Writers).Select(i => Task.Run(() => WriteAsync("busy", (long)i * 2 * Limits.PageBytes, pages[i]))));

        var all = await fixture.ReadAllAsync("disks", "busy");
        for (var i = 0; i < Writers; i++)
        {
            Assert.Equal(pages[i], all.AsSpan(i * 2 * Limits.PageBytes, Limits.PageBytes).ToArray());
        }

        Assert.Equal(Writers, (await RangesAsync("busy")).Pages.Count);
        Assert.Single(SiteObjects());
    }

    [Fact]
    public async Task The_diff_against_a_snapshot_lists_updated_and_cleared_pages_and_the_snapshot_keeps_its_chunks()
    {
        await CreateAsync("diff", 4L * Chunk);
        var original = BlobServiceFixture.Pattern(3 * Chunk, 6);
        await WriteAsync("diff", 0, original);

        // A snapshot as Snapshot Blob makes it: an instance sharing the blob's parts.
        const string Snapshot = "2026-11-30T10:00:00.0000000Z";
        await fixture.Store.UpdateBlobPropertiesAsync(Account, "disks", "diff", blob => blob, _ => new BlobArchive(BlobInstanceKind.Snapshot, Snapshot, null, null));

        await WriteAsync("diff", Chunk + 1024, BlobServiceFixture.Pattern(Limits.PageBytes, 7));
        await fixture.Blobs.ClearPagesAsync(Range("diff", 2L * Chunk, Chunk));
        await WriteAsync("diff", (3L * Chunk) + 512, BlobServiceFixture.Pattern(Limits.PageBytes, 8));

        var diff = await RangesAsync("diff", Snapshot);
        Assert.Equal([new PageRange(Chunk, (2L * Chunk) - 1), new PageRange((3L * Chunk) + 512, (3L * Chunk) + 1023)], diff.Pages);
        Assert.Equal([new PageRange(2L * Chunk, (3L * Chunk) - 1)], diff.Cleared);

        // The snapshot still reads what it had: its chunks were never rewritten.
        var reader = await fixture.Blobs.OpenBlobAsync(Account, "disks", "diff", AccessConditions.None, null, ReadLocation.Primary, new BlobSelector(Snapshot: Snapshot));
        using var content = new MemoryStream();
        await reader.CopyRangeToAsync(0, 3L * Chunk, content);
        Assert.Equal(original, content.ToArray());
        Assert.Equal([new PageRange(0, (3L * Chunk) - 1)], (await RangesAsync("diff", selector: new BlobSelector(Snapshot: Snapshot))).Pages);

        var missing = await Assert.ThrowsAsync<StorageException>(() => RangesAsync("diff", "2026-11-30T09:00:00.0000000Z"));
        Assert.Equal(ErrorCode.PreviousSnapshotNotFound, missing.Code);
    }

    [Fact]
    public async Task Shrinking_zeroes_what_it_cuts_so_growing_again_reads_zeros()
    {
        await CreateAsync("resize", 2L * Chunk);
        await WriteAsync("resize", 0, BlobServiceFixture.Pattern(2 * Chunk, 9));
        await fixture.Blobs.SetPageBlobPropertiesAsync(new PageBlobPropertiesRequest(Account, "disks", "resize", Chunk / 2, null, null, AccessConditions.None));
        Assert.Single(SiteObjects());
        await fixture.Blobs.SetPageBlobPropertiesAsync(new PageBlobPropertiesRequest(Account, "disks", "resize", 2L * Chunk, null, null, AccessConditions.None));

        var all = await fixture.ReadAllAsync("disks", "resize");
        Assert.Equal(2 * Chunk, all.Length);
        Assert.Equal(BlobServiceFixture.Pattern(2 * Chunk, 9).AsSpan(0, Chunk / 2).ToArray(), all.AsSpan(0, Chunk / 2).ToArray());
        Assert.True(all.AsSpan(Chunk / 2).IndexOfAnyExcept((byte)0) < 0);
        Assert.Equal([new PageRange(0, (Chunk / 2) - 1)], (await RangesAsync("resize")).Pages);
    }

    [Fact]
    public async Task Sequence_number_conditions_and_failures_write_nothing()
    {
        await CreateAsync("seq", Chunk, sequenceNumber: 7);
        var page = BlobServiceFixture.Pattern(Limits.PageBytes, 10);

        var failed = await Assert.ThrowsAsync<StorageException>(async () =>
        {
            using var body = new MemoryStream(page);
            await fixture.Blobs.PutPagesAsync(Range("seq", 0, Limits.PageBytes, new SequenceNumberConditions(LessThan: 7)), body);
        });
        Assert.Equal(ErrorCode.SequenceNumberConditionNotMet, failed.Code);

        var beyond = await Assert.ThrowsAsync<StorageException>(() => WriteAsync("seq", Chunk, page));
        Assert.Equal(ErrorCode.InvalidPageRange, beyond.Code);
        var misaligned = await Assert.ThrowsAsync<StorageException>(() => WriteAsync("seq", 100, page));
        Assert.Equal(ErrorCode.InvalidPageRange, misaligned.Code);

        // A body shorter than the range: nothing committed, no object left behind.
        var shortBody = await Assert.ThrowsAsync<StorageException>(async () =>
        {
            using var body = new MemoryStream(page);
            await fixture.Blobs.PutPagesAsync(Range("seq", 0, 2 * Limits.PageBytes), body);
        });
        Assert.Equal(ErrorCode.InvalidPageRange, shortBody.Code);
        Assert.Empty(SiteObjects());
        Assert.Empty((await RangesAsync("seq")).Pages);

        using (var body = new MemoryStream(page))
        {
            var done = await fixture.Blobs.PutPagesAsync(Range("seq", 0, Limits.PageBytes, new SequenceNumberConditions(LessThanOrEqual: 7, EqualTo: 7)), body);
            Assert.Equal(7, done.SequenceNumber);
        }

        var increment = await fixture.Blobs.SetPageBlobPropertiesAsync(new PageBlobPropertiesRequest(Account, "disks", "seq", null, SequenceNumberAction.Increment, null, AccessConditions.None));
        Assert.Equal(8, increment.SequenceNumber);
        await fixture.Blobs.SetPageBlobPropertiesAsync(new PageBlobPropertiesRequest(Account, "disks", "seq", null, SequenceNumberAction.Update, long.MaxValue, AccessConditions.None));
        var overflow = await Assert.ThrowsAsync<StorageException>(() => fixture.Blobs.SetPageBlobPropertiesAsync(new PageBlobPropertiesRequest(Account, "disks", "seq", null, SequenceNumberAction.Increment, null, AccessConditions.None)));
        Assert.Equal(ErrorCode.SequenceNumberIncrementTooLarge, overflow.Code);

        await fixture.PutAsync("disks", "block", [1, 2, 3]);
        var wrongType = await Assert.ThrowsAsync<StorageException>(() => WriteAsync("block", 0, page));
        Assert.Equal(ErrorCode.InvalidBlobType, wrongType.Code);
    }

    [Fact]
    public async Task A_page_blob_under_a_customer_key_or_a_scope_keeps_every_chunk_under_it()
    {
        static CustomerProvidedKey Key() => CustomerProvidedKey.Take(Enumerable.Repeat((byte)7, 32).ToArray());
        await fixture.Blobs.CreatePageBlobAsync(new CreatePageBlobRequest(Account, "disks", "cpk", Chunk, 0, BlobHttpHeaders.Empty, [], AccessConditions.None) { Encryption = new BlobEncryptionOptions(null, Key()) });
        var first = BlobServiceFixture.Pattern(Limits.PageBytes, 11);
        var second = BlobServiceFixture.Pattern(Limits.PageBytes, 12);
        Task<PageWriteResult> WriteWithAsync(long offset, byte[] content, CustomerProvidedKey? key) =>
            fixture.Blobs.PutPagesAsync(Range("cpk", offset, content.Length) with { Encryption = new BlobEncryptionOptions(null, key) }, new MemoryStream(content));
        await WriteWithAsync(0, first, Key());

        // The second write reads the chunk back (read-modify-write), which needs the key too.
        await WriteWithAsync(Limits.PageBytes, second, Key());
        var refused = await Assert.ThrowsAsync<StorageException>(() => WriteWithAsync(0, second, null));
        Assert.NotEqual(ErrorCode.InvalidPageRange, refused.Code);
        var reader = await fixture.Blobs.OpenBlobAsync(Account, "disks", "cpk", AccessConditions.None, Key());
        using var content = new MemoryStream();
        await reader.CopyRangeToAsync(0, 2 * Limits.PageBytes, content);
        Assert.Equal([.. first, .. second], content.ToArray());

        await fixture.Scopes.CreateAsync(Account, "scope-a", EncryptionScopeKeySource.Platform, null);
        await fixture.Scopes.CreateAsync(Account, "scope-b", EncryptionScopeKeySource.Platform, null);
        await fixture.Blobs.CreateContainerAsync(Account, "scoped", [], defaultEncryptionScope: "scope-a", denyEncryptionScopeOverride: false);
        await fixture.Blobs.CreatePageBlobAsync(new CreatePageBlobRequest(Account, "scoped", "disk", 2L * Chunk, 0, BlobHttpHeaders.Empty, [], AccessConditions.None));
        var page = new PageWriteRequest(Account, "scoped", "disk", Chunk, Limits.PageBytes, AccessConditions.None, SequenceNumberConditions.None, TransactionalChecksums.None);
        var written = await fixture.Blobs.PutPagesAsync(page, new MemoryStream(first));
        Assert.Equal("scope-a", written.EncryptionScope);
        var parts = (await fixture.Store.GetBlobWithPartsAsync(Account, "scoped", "disk"))!.Value.Parts;
        Assert.Equal("scope-a", Assert.Single(parts).Object.EncryptionScope);
        var other = await Assert.ThrowsAsync<StorageException>(() => fixture.Blobs.PutPagesAsync(page with { Encryption = new BlobEncryptionOptions("scope-b") }, new MemoryStream(first)));
        Assert.Equal(ErrorCode.BlobCustomerSpecifiedEncryptionMismatch, other.Code);
    }

    [Fact]
    public async Task The_store_swaps_chunks_only_by_compare_and_swap_and_refuses_a_held_blob()
    {
        await CreateAsync("cas", 2L * Chunk);
        await WriteAsync("cas", 0, BlobServiceFixture.Pattern(Limits.PageBytes, 13));
        var state = (await fixture.Store.GetPageBlobAsync(Account, "disks", "cas", null))!;
        var held = Assert.Single(state.Chunks);

        // A writer that read no chunk 0 (stale) loses, and nothing changes.
        var stale = fixture.Store.WritePageChunksAsync(Account, "disks", "cas", [new PageChunkChange(0, null, null, null)], blob => blob with { ETag = "\"stale\"" });
        await Assert.ThrowsAsync<PageChunkConflictException>(() => stale);
        var after = (await fixture.Store.GetPageBlobAsync(Account, "disks", "cas", null))!;
        Assert.Equal(held.Object.ObjectId, Assert.Single(after.Chunks).Object.ObjectId);
        Assert.Equal(state.Blob.ETag, after.Blob.ETag);

        await fixture.Blobs.SetBlobLegalHoldAsync(Account, "disks", "cas", null, legalHold: true);
        var refused = await Assert.ThrowsAsync<StorageException>(() => WriteAsync("cas", Chunk, BlobServiceFixture.Pattern(Limits.PageBytes, 14)));
        Assert.Equal(ErrorCode.BlobImmutableDueToLegalHold, refused.Code);
        var cleared = await Assert.ThrowsAsync<StorageException>(() => fixture.Blobs.ClearPagesAsync(Range("cas", 0, Chunk)));
        Assert.Equal(ErrorCode.BlobImmutableDueToLegalHold, cleared.Code);
        Assert.Single(SiteObjects());
        Assert.Equal(held.Object.ObjectId, Assert.Single((await fixture.Store.GetPageBlobAsync(Account, "disks", "cas", null))!.Chunks).Object.ObjectId);
    }
}
