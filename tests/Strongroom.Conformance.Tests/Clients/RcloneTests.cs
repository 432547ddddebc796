using Azure.Storage.Blobs;
using Azure.Storage.Blobs.Models;
using Azure.Storage.Blobs.Specialized;
using Strongroom.Conformance.Tests.Infrastructure;
using Xunit;

namespace Strongroom.Conformance.Tests.RealClients;

/// <summary>
/// rclone's azureblob backend (Debian's rclone 1.60, which test.sh installs when missing) syncing
/// a generated directory tree up and back with <c>--checksum</c>. rclone 1.60 builds
/// <c>https://ACCOUNT.ENDPOINT</c> from <c>account</c>/<c>key</c>, so a path-style endpoint with a
/// port is reached only with <c>use_emulator</c> (the well-known development account and key,
/// which a <c>--dev</c> server serves) plus <c>endpoint</c> set to the account's URL.
/// </summary>
public sealed class RcloneTests(ServerFixture fixture) : IClassFixture<ServerFixture>, IDisposable
{
    const int Seed = 20261130;
    const int ChunkBytes = 1024 * 1024;

    readonly string _work = Directory.CreateTempSubdirectory("strongroom-rclone-").FullName;

    public void Dispose() => Directory.Delete(_work, recursive: true);

    async Task<ToolResult> Rclone(params string[] arguments)
    {
        var rclone = ClientTools.Require("rclone", "Debian's rclone");
        var config = Path.Combine(_work, "rclone.conf");
        if (!File.Exists(config))
        {
            await File.WriteAllTextAsync(config, string.Empty);
        }

        return await ClientTools.RunAsync(
            rclone,
            [
                .. arguments,
                "--config", config,
                "--azureblob-use-emulator",
                "--azureblob-endpoint", fixture.Server.ServiceUri.ToString().TrimEnd('/'),
                "--azureblob-chunk-size", "1Mi",
                "--transfers", "4",
                "--retries", "1",
                "--low-level-retries", "1",
            ],
            timeout: TimeSpan.FromMinutes(2));
    }

    async Task RcloneOk(params string[] arguments)
    {
        var result = await Rclone(arguments);
        Assert.True(result.ExitCode == 0, $"rclone failed.\n{result}\n\nServer output:\n{Tail(fixture.Server.Output)}");
    }

    /// <summary>The seeded tree: fixed edge cases (empty, one byte, a 64 KiB boundary, names with spaces and non-ASCII, files of exactly and more than several chunks) plus seeded nested files.</summary>
    static SortedDictionary<string, byte[]> GenerateTree()
    {
        var random = new Random(Seed);
        byte[] Bytes(int length)
        {
            var bytes = new byte[length];
            random.NextBytes(bytes);
            return bytes;
        }

        var tree = new SortedDictionary<string, byte[]>(StringComparer.Ordinal)
        {
            ["empty.txt"] = [],
            ["one.bin"] = Bytes(1),
            ["a/readme.md"] = Bytes(511),
            ["a/b/c/segment.bin"] = Bytes(65_536),
            ["a/b/c/deeper/segment-plus-one.bin"] = Bytes(65_537),
            ["dir with space/naïve é.txt"] = Bytes(3000),
            ["media/exact-chunks.bin"] = Bytes(2 * ChunkBytes),
            ["media/several-chunks.bin"] = Bytes((2 * ChunkBytes) + (ChunkBytes / 2) + 7),
        };
        for (var i = 0; i < 12; i++)
        {
            var depth = random.Next(1, 5);
            var path = string.Join('/', Enumerable.Range(0, depth).Select(_ => $"d{random.Next(0, 3)}")) + $"/file-{i:D2}.dat";
            tree[path] = Bytes(random.Next(0, 200_000));
        }

        return tree;
    }

    static void Write(string root, IReadOnlyDictionary<string, byte[]> tree)
    {
        foreach (var (path, bytes) in tree)
        {
            var file = Path.Combine(root, path);
            Directory.CreateDirectory(Path.GetDirectoryName(file)!);
            File.WriteAllBytes(file, bytes);
        }
    }

    static SortedDictionary<string, byte[]> Read(string root) =>
        new(Directory.GetFiles(root, "*", SearchOption.AllDirectories)
            .ToDictionary(file => Path.GetRelativePath(root, file).Replace(Path.DirectorySeparatorChar, '/'), File.ReadAllBytes), StringComparer.Ordinal);

    static void AssertSameTree(IReadOnlyDictionary<string, byte[]> expected, IReadOnlyDictionary<string, byte[]> actual, string what)
    {
        Assert.True(
            expected.Keys.SequenceEqual(actual.Keys),
            $"{what}: names differ.\nonly expected: {string.Join(", ", expected.Keys.Except(actual.Keys))}\nonly actual: {string.Join(", ", actual.Keys.Except(expected.Keys))}");
        foreach (var (path, bytes) in expected)
        {
            AzureAssert.BytesEqual(bytes, actual[path], $"{what}: {path}");
        }
    }

    /// <summary>What the server holds under <paramref name="prefix"/>, read with the .NET SDK (not rclone).</summary>
    async Task<SortedDictionary<string, byte[]>> ReadRemote(BlobContainerClient container, string prefix)
    {
        var remote = new SortedDictionary<string, byte[]>(StringComparer.Ordinal);
        await foreach (var item in container.GetBlobsAsync(new GetBlobsOptions { Prefix = prefix }))
        {
            var content = await container.GetBlobClient(item.Name).DownloadContentAsync();
            remote[item.Name[prefix.Length..]] = content.Value.Content.ToArray();
        }

        return remote;
    }

    [Fact]
    public async Task Sync_with_checksum_up_and_back_is_byte_for_byte()
    {
        var containerName = TestNames.Container("rclone");
        var container = fixture.Service.GetBlobContainerClient(containerName);
        var local = Path.Combine(_work, "local");
        var tree = GenerateTree();
        Write(local, tree);
        var remote = $":azureblob:{containerName}/tree";

        await RcloneOk("sync", "--checksum", local, remote);
        AssertSameTree(tree, await ReadRemote(container, "tree/"), "after the first sync up (read with the .NET SDK)");

        // The large files went up as blocks (Put Block + Put Block List), with rclone's MD5 kept.
        var blocks = await container.GetBlockBlobClient("tree/media/several-chunks.bin").GetBlockListAsync(BlockListTypes.Committed);
        Assert.Equal(3, blocks.Value.CommittedBlocks.Count());
        await RcloneOk("check", "--checksum", local, remote);

        // check --download compares the bytes rclone reads back, not the stored MD5s.
        await RcloneOk("check", "--download", local, remote);

        // Change a file in place (same size: only the checksum tells), delete one, add one.
        var changed = tree["a/b/c/segment.bin"].ToArray();
        changed[12_345] ^= 0xFF;
        File.WriteAllBytes(Path.Combine(local, "a/b/c/segment.bin"), changed);
        tree["a/b/c/segment.bin"] = changed;
        File.Delete(Path.Combine(local, "one.bin"));
        tree.Remove("one.bin");
        var added = Payloads.For("rclone-added", ChunkBytes + 1);
        Directory.CreateDirectory(Path.Combine(local, "new", "nested"));
        File.WriteAllBytes(Path.Combine(local, "new", "nested", "added.bin"), added);
        tree["new/nested/added.bin"] = added;

        await RcloneOk("sync", "--checksum", local, remote);
        AssertSameTree(tree, await ReadRemote(container, "tree/"), "after the second sync up");

        var back = Path.Combine(_work, "back");
        await RcloneOk("sync", "--checksum", remote, back);
        AssertSameTree(tree, Read(back), "after the sync back");

        // A second sync back has nothing to do and changes nothing.
        await RcloneOk("sync", "--checksum", remote, back);
        AssertSameTree(tree, Read(back), "after a repeated sync back");

        // Server-side copy and move (Copy Blob, then Delete Blob for the move), and purge (Delete Container).
        await RcloneOk("copyto", $"{remote}/media/several-chunks.bin", $":azureblob:{containerName}/copies/copied.bin");
        await RcloneOk("moveto", $":azureblob:{containerName}/copies/copied.bin", $":azureblob:{containerName}/copies/moved.bin");
        Assert.False(await container.GetBlobClient("copies/copied.bin").ExistsAsync(), "moveto left its source");
        AzureAssert.BytesEqual(tree["media/several-chunks.bin"], (await container.GetBlobClient("copies/moved.bin").DownloadContentAsync()).Value.Content.ToMemory(), "rclone copyto + moveto");
        await RcloneOk("purge", $":azureblob:{containerName}");
        Assert.False(await container.ExistsAsync(), "rclone purge left the container");
    }

    static string Tail(string text) => text.Length <= 4000 ? text : "…" + text[^4000..];
}
