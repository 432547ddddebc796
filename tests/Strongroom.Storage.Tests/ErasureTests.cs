using Strongroom.TestSupport;
using System.Security.Cryptography;
using Strongroom.Core;

namespace Strongroom.Storage.Tests;

/// <summary>
/// A write that erases wrapped keys is acknowledged only after a truncating WAL checkpoint, so no
/// page image of an erased key survives in the -wal file (issue 7); one checkpoint serves many
/// such writes. Each wrapped key here is 48 random bytes, so a byte search cannot match by chance.
/// </summary>
public sealed class ErasureTests : StoreTestBase
{
    [Fact]
    public async Task Concurrent_deletes_are_acknowledged_only_once_no_erased_key_is_left_in_the_wal()
    {
        // SQLite itself (its file, WAL, pragmas, migrations from old versions, SQL dialect).
        if (TestMetadata.UsesPostgres)
        {
            return;
        }

        await CreateContainerAsync();
        var keys = new List<byte[]>();
        for (var i = 0; i < 48; i++)
        {
            var wrapped = RandomNumberGenerator.GetBytes(48);
            keys.Add(wrapped);
            var stored = NewObject() with { WrappedDataKey = wrapped };
            await Store.CommitBlobAsync(Blob("acct", "cont", $"b{i:00}"), [Part(0, stored)], [stored]);
        }

        // A blob that stays: its key may be anywhere, and its write is not an erasure.
        var kept = NewObject() with { WrappedDataKey = RandomNumberGenerator.GetBytes(48) };
        await Store.CommitBlobAsync(Blob("acct", "cont", "kept"), [Part(0, kept)], [kept]);

        // Deletes and unrelated writes at once, so erasing writes share groups with others.
        var deletes = Enumerable.Range(0, 48).Select(i => Task.Run(() => Store.DeleteBlobAsync("acct", "cont", $"b{i:00}")));
        var others = Enumerable.Range(0, 16).Select(i => Task.Run(() => Store.CreateContainerAsync(Container("acct", $"other{i:00}"))));
        var removed = await Task.WhenAll(deletes);
        await Task.WhenAll(others);

        Assert.All(removed, objects => Assert.Single(objects));
        var walPath = DatabasePath + "-wal";
        var wal = File.Exists(walPath) ? await File.ReadAllBytesAsync(walPath) : [];
        var database = await File.ReadAllBytesAsync(DatabasePath);
        foreach (var key in keys)
        {
            Assert.Equal(-1, wal.AsSpan().IndexOf(key));
            Assert.Equal(-1, database.AsSpan().IndexOf(key));
        }

        Assert.NotNull(await Store.GetBlobAsync("acct", "cont", "kept"));
    }

    [Fact]
    public async Task An_overwrite_that_drops_the_old_object_leaves_its_key_nowhere()
    {
        // SQLite itself (its file, WAL, pragmas, migrations from old versions, SQL dialect).
        if (TestMetadata.UsesPostgres)
        {
            return;
        }

        await CreateContainerAsync();
        var first = NewObject() with { WrappedDataKey = RandomNumberGenerator.GetBytes(48) };
        await Store.CommitBlobAsync(Blob("acct", "cont", "b"), [Part(0, first)], [first]);
        var second = NewObject() with { WrappedDataKey = RandomNumberGenerator.GetBytes(48) };

        var dropped = await Store.CommitBlobAsync(Blob("acct", "cont", "b"), [Part(0, second)], [second]);

        Assert.Equal(first.ObjectId, Assert.Single(dropped).ObjectId);
        var wal = File.Exists(DatabasePath + "-wal") ? await File.ReadAllBytesAsync(DatabasePath + "-wal") : [];
        Assert.Equal(-1, wal.AsSpan().IndexOf(first.WrappedDataKey));
        Assert.Equal(-1, (await File.ReadAllBytesAsync(DatabasePath)).AsSpan().IndexOf(first.WrappedDataKey));
    }
}
