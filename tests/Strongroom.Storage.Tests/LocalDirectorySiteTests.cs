using Strongroom.Core;

namespace Strongroom.Storage.Tests;

public sealed class LocalDirectorySiteTests : IDisposable
{
    private const string ObjectId = "0123456789abcdef0123456789abcdef";

    private readonly TempDirectory temp = new();

    public void Dispose() => temp.Dispose();

    private string Root => Path.Combine(temp.Path, "site");

    // Without spares (they start only when a server asks), so tmp/ holds exactly what the test did.
    private LocalDirectorySite NewSite() => new("site-a", Root, new SeededRandomSource(7));

    private static byte[] Content(int length)
    {
        var bytes = new byte[length];
        new SeededRandomSource(length).Fill(bytes);
        return bytes;
    }

    private static async Task WriteAsync(ISite site, string objectId, byte[] content)
    {
        await using var write = await site.BeginWriteAsync(objectId);
        await write.Content.WriteAsync(content);
        await write.CommitAsync();
    }

    private string[] FilesUnder(string relative) =>
        Directory.Exists(Path.Combine(Root, relative)) ? Directory.GetFiles(Path.Combine(Root, relative), "*", SearchOption.AllDirectories) : [];

    [Fact]
    public async Task Committed_object_reads_back_seekable_from_its_sharded_path()
    {
        var site = NewSite();
        var content = Content(300_000);

        await WriteAsync(site, ObjectId, content);

        Assert.Equal("site-a", site.Id);
        Assert.Equal([Path.Combine(Root, "objects", "01", ObjectId)], FilesUnder("objects"));
        Assert.Empty(FilesUnder("tmp"));
        await using var read = await site.OpenReadAsync(ObjectId);
        Assert.True(read.CanSeek);
        Assert.Equal(content.Length, read.Length);
        var all = new byte[content.Length];
        await read.ReadExactlyAsync(all);
        Assert.Equal(content, all);

        read.Seek(123_456, SeekOrigin.Begin);
        var slice = new byte[1000];
        await read.ReadExactlyAsync(slice);
        Assert.Equal(content.AsSpan(123_456, 1000).ToArray(), slice);
    }

    [Fact]
    public async Task Nothing_is_visible_before_commit_and_abort_leaves_nothing()
    {
        var site = NewSite();
        await using (var write = await site.BeginWriteAsync(ObjectId))
        {
            await write.Content.WriteAsync(Content(1000));
            var partial = Assert.Single(FilesUnder("tmp"));
            Assert.Matches("^[0-9a-f]{32}\\.partial$", Path.GetFileName(partial));
            await Assert.ThrowsAsync<FileNotFoundException>(() => site.OpenReadAsync(ObjectId));
        }

        Assert.Empty(FilesUnder("tmp"));
        Assert.Empty(FilesUnder("objects"));
        await Assert.ThrowsAsync<FileNotFoundException>(() => site.OpenReadAsync(ObjectId));
        Assert.Empty(await ToListAsync(site.ListObjectIdsAsync()));
    }

    [Fact]
    public async Task Concurrent_writes_of_one_id_use_distinct_partial_files_and_only_one_commits()
    {
        var site = NewSite();
        await using var first = await site.BeginWriteAsync(ObjectId);
        await using var second = await site.BeginWriteAsync(ObjectId);
        await first.Content.WriteAsync(Content(10));
        await second.Content.WriteAsync(Content(20));
        Assert.Equal(2, FilesUnder("tmp").Length);

        await first.CommitAsync();

        // Objects are immutable: a second commit under the same id is refused, the first survives.
        await Assert.ThrowsAnyAsync<IOException>(() => second.CommitAsync());
        await second.DisposeAsync();
        Assert.Empty(FilesUnder("tmp"));
        await using var read = await site.OpenReadAsync(ObjectId);
        Assert.Equal(10, read.Length);
    }

    [Fact]
    public async Task Delete_is_idempotent_and_listing_shows_only_objects()
    {
        var site = NewSite();
        const string Other = "ffeeddccbbaa99887766554433221100";
        await WriteAsync(site, ObjectId, Content(5));
        await WriteAsync(site, Other, Content(6));

        // Files this class did not write are not objects, even if they look like one.
        Directory.CreateDirectory(Path.Combine(Root, "objects", "01"));
        Directory.CreateDirectory(Path.Combine(Root, "objects", "aa"));
        File.WriteAllText(Path.Combine(Root, "objects", "01", "README"), "x");
        File.WriteAllText(Path.Combine(Root, "objects", "aa", ObjectId), "misplaced");

        Assert.Equal([ObjectId, Other], (await ToListAsync(site.ListObjectIdsAsync())).Order(StringComparer.Ordinal));

        await site.DeleteAsync(ObjectId);
        await site.DeleteAsync(ObjectId);
        await site.DeleteAsync("11111111111111111111111111111111");

        Assert.Equal([Other], await ToListAsync(site.ListObjectIdsAsync()));
        await Assert.ThrowsAsync<FileNotFoundException>(() => site.OpenReadAsync(ObjectId));
    }

    [Fact]
    public async Task An_open_reader_keeps_reading_after_delete()
    {
        var site = NewSite();
        var content = Content(4096);
        await WriteAsync(site, ObjectId, content);
        await using var read = await site.OpenReadAsync(ObjectId);

        await site.DeleteAsync(ObjectId);

        var all = new byte[content.Length];
        await read.ReadExactlyAsync(all);
        Assert.Equal(content, all);
    }

    [Theory]
    [InlineData("")]
    [InlineData("../../../../etc/passwd")]
    [InlineData("0123456789ABCDEF0123456789ABCDEF")]
    [InlineData("0123456789abcdef0123456789abcde")]
    [InlineData("0123456789abcdef0123456789abcdef0")]
    [InlineData("0123456789abcdef/123456789abcdef")]
    [InlineData("..3456789abcdef0123456789abcdef0")]
    [InlineData("0123456789abcdef0123456789abcdeg")]
    [InlineData("tenant/container/blob.txt")]
    public async Task Invalid_object_ids_are_rejected_before_touching_the_disk(string objectId)
    {
        var site = NewSite();

        await Assert.ThrowsAsync<ArgumentException>(() => site.BeginWriteAsync(objectId));
        await Assert.ThrowsAsync<ArgumentException>(() => site.OpenReadAsync(objectId));
        await Assert.ThrowsAsync<ArgumentException>(() => site.DeleteAsync(objectId));
        Assert.Empty(FilesUnder("tmp"));
        Assert.Empty(FilesUnder("objects"));
    }

    [Fact]
    public async Task Partial_files_left_by_a_crash_are_removed_at_start()
    {
        var site = NewSite();
        await WriteAsync(site, ObjectId, Content(5));
        var crashed = await site.BeginWriteAsync("22222222222222222222222222222222");
        await crashed.Content.WriteAsync(Content(7));
        await crashed.Content.FlushAsync();
        File.WriteAllText(Path.Combine(Root, "tmp", "33333333333333333333333333333333.abc.partial"), "torn");

        // Simulates the restart: the old instance's handle is gone, the new one cleans up.
        await crashed.Content.DisposeAsync();
        var restarted = NewSite();
        Assert.Equal(2, restarted.RemoveAbandonedWrites());

        Assert.Empty(FilesUnder("tmp"));
        Assert.Equal([ObjectId], await ToListAsync(restarted.ListObjectIdsAsync()));
        await crashed.DisposeAsync();
    }

    [Fact]
    public async Task On_a_root_servers_share_only_partial_files_older_than_the_grace_are_removed()
    {
        // Another server's write in flight and its spare are young; a dead server's are old.
        var now = new DateTimeOffset(2026, 11, 30, 12, 0, 0, TimeSpan.Zero);
        var other = NewSite();
        File.WriteAllBytes(Path.Combine(Root, "tmp", "55555555555555555555555555555555.partial"), []); // its spare
        var inFlight = await other.BeginWriteAsync(ObjectId);
        await inFlight.Content.WriteAsync(Content(9));
        await inFlight.Content.FlushAsync();
        var abandoned = Path.Combine(Root, "tmp", "44444444444444444444444444444444.abc.partial");
        File.WriteAllText(abandoned, "torn");
        var young = Directory.EnumerateFiles(Path.Combine(Root, "tmp"), "*.partial").Where(path => path != abandoned).ToList();
        Assert.Equal(2, young.Count);
        foreach (var path in young)
        {
            File.SetLastWriteTimeUtc(path, (now - Limits.AbandonedWriteGrace + TimeSpan.FromSeconds(1)).UtcDateTime);
        }

        File.SetLastWriteTimeUtc(abandoned, (now - Limits.AbandonedWriteGrace - TimeSpan.FromSeconds(1)).UtcDateTime);

        await using var starting = NewSite();
        Assert.Equal(1, starting.RemoveAbandonedWrites(now - Limits.AbandonedWriteGrace));
        Assert.False(File.Exists(abandoned));
        Assert.All(young, path => Assert.True(File.Exists(path)));

        // The other server's write completes: its object is published and readable.
        await inFlight.CommitAsync();
        await inFlight.DisposeAsync();
        await using (var read = await starting.OpenReadAsync(ObjectId))
        {
            Assert.Equal(9, read.Length);
        }

        await other.DisposeAsync();
    }

    [Fact]
    public async Task Site_paths_contain_only_opaque_ids()
    {
        var site = NewSite();
        await WriteAsync(site, ObjectId, Content(5));

        foreach (var path in Directory.GetFileSystemEntries(Root, "*", SearchOption.AllDirectories))
        {
            var relative = Path.GetRelativePath(Root, path);
            Assert.Matches("^(objects|tmp)(/[0-9a-f]{2}(/[0-9a-f]{32})?)?$", relative.Replace('\\', '/'));
        }
    }

    [Fact]
    public async Task Writes_work_with_spare_files_and_no_spare_outlives_the_site()
    {
        var site = new LocalDirectorySite("site-a", Root, new SeededRandomSource(8));
        site.StartSpareFiles(4);
        var ids = Enumerable.Range(0, 20).Select(i => $"{i:x2}" + new string('0', 30)).ToArray();
        foreach (var id in ids)
        {
            await WriteAsync(site, id, Content(100));
        }

        Assert.Equal(ids, (await ToListAsync(site.ListObjectIdsAsync())).Order(StringComparer.Ordinal));
        foreach (var id in ids)
        {
            await using var read = await site.OpenReadAsync(id);
            Assert.Equal(100, read.Length);
        }

        await site.DisposeAsync();
        Assert.Empty(FilesUnder("tmp"));

        // Spares a crash left behind are partial files like any other: removed at the next start.
        File.WriteAllBytes(Path.Combine(Root, "tmp", "0123456789abcdef0123456789abcdef.partial"), []);
        await using var again = new LocalDirectorySite("site-a", Root, new SeededRandomSource(9));
        again.RemoveAbandonedWrites();
        Assert.Empty(FilesUnder("tmp"));
    }

    [Fact]
    public async Task Opening_a_root_another_process_is_writing_to_leaves_its_writes_and_spares_alone()
    {
        // The CLI opens the data directory beside a running server.
        var serving = new LocalDirectorySite("site-a", Root, new SeededRandomSource(10));
        serving.StartSpareFiles(4);
        await using var inFlight = await serving.BeginWriteAsync(ObjectId);
        await inFlight.Content.WriteAsync(Content(50));
        var before = FilesUnder("tmp");

        await using (var beside = new LocalDirectorySite("site-a", Root, new SeededRandomSource(11)))
        {
        }

        Assert.All(before, file => Assert.True(File.Exists(file), file));
        await inFlight.CommitAsync();
        Assert.Equal([ObjectId], await ToListAsync(serving.ListObjectIdsAsync()));
        await serving.DisposeAsync();
    }

    [Fact]
    public async Task A_spare_removed_behind_the_sites_back_does_not_fail_a_write()
    {
        var site = new LocalDirectorySite("site-a", Root, new SeededRandomSource(12));
        site.StartSpareFiles(2);

        // Both spares exist before the first write, so that write is certain to take a vanished one.
        Assert.True(SpinWait.SpinUntil(() => FilesUnder("tmp").Length == 2, TimeSpan.FromSeconds(30)));
        var ids = Enumerable.Range(0, 8).Select(i => $"{i:x2}" + new string('a', 30)).ToArray();
        foreach (var id in ids)
        {
            // Whatever spares exist right now vanish, as if another process had cleaned tmp/.
            foreach (var spare in FilesUnder("tmp"))
            {
                File.Delete(spare);
            }

            await WriteAsync(site, id, Content(10));
        }

        Assert.Equal(ids, (await ToListAsync(site.ListObjectIdsAsync())).Order(StringComparer.Ordinal));
        await site.DisposeAsync();
    }

    private static async Task<List<string>> ToListAsync(IAsyncEnumerable<string> items)
    {
        var list = new List<string>();
        await foreach (var item in items)
        {
            list.Add(item);
        }

        return list;
    }
}
