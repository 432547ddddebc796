using System.Text;

namespace Strongroom.Audit.Tests;

/// <summary>The verifier's state directory: round trips, appends, several logs side by side, and damaged state refused.</summary>
public sealed class VerifierStateStoreTests : IDisposable
{
    private const string Identity = "https://storage.example:10000 acme";

    private readonly string directory = Path.Combine(Directory.CreateTempSubdirectory("strongroom-state-").FullName, "audit");

    public void Dispose() => Directory.Delete(Path.GetDirectoryName(directory)!, recursive: true);

    private static async Task<VerifierState> VerifiedAsync(MemoryLog log, VerifierState? previous = null)
    {
        var result = await LogVerifier.VerifyAsync(log, previous, previous is null ? MemoryLog.Key : null);
        Assert.True(result.Ok, result.Message);
        return result.NewState!;
    }

    [Fact]
    public async Task Saved_state_loads_back_and_grows_by_appending()
    {
        var store = new VerifierStateStore(directory);
        Assert.Null(store.Load(Identity));

        var log = MemoryLog.WithEntries(10);
        var first = await VerifiedAsync(log);
        store.Save(Identity, first);
        if (!OperatingSystem.IsWindows())
        {
            Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute, File.GetUnixFileMode(directory));
        }

        var loaded = store.Load(Identity)!;
        Assert.Equal(first.Origin, loaded.Origin);
        Assert.Equal(first.VerifierKey, loaded.VerifierKey);
        Assert.Equal(first.CheckpointNote, loaded.CheckpointNote);
        Assert.Equal(first.Size, loaded.Size);
        Assert.Equal(first.RootHash, loaded.RootHash);
        Assert.Equal(first.LeafHashes, loaded.LeafHashes);
        Assert.Equal(10 * 32, new FileInfo(store.LeavesPath(Identity)).Length);

        for (var i = 10; i < 25; i++)
        {
            log.Append(MemoryLog.Body(i));
        }

        log.Publish();
        var second = await VerifiedAsync(log, loaded);
        store.Save(Identity, second);
        Assert.Equal(25 * 32, new FileInfo(store.LeavesPath(Identity)).Length);
        Assert.Equal(second.LeafHashes, store.Load(Identity)!.LeafHashes);
        Assert.Empty(Directory.GetFiles(directory, "*.partial"));
    }

    [Fact]
    public async Task Leftover_leaves_from_an_interrupted_save_are_ignored_and_replaced()
    {
        var store = new VerifierStateStore(directory);
        var log = MemoryLog.WithEntries(8);
        store.Save(Identity, await VerifiedAsync(log));

        // A crash after appending leaves but before the state was replaced.
        File.AppendAllText(store.LeavesPath(Identity), new string('x', 64));
        var loaded = store.Load(Identity)!;
        Assert.Equal(8, loaded.Size);

        log.Append(MemoryLog.Body(8));
        log.Publish();
        var next = await VerifiedAsync(log, loaded);
        store.Save(Identity, next);
        Assert.Equal(9 * 32, new FileInfo(store.LeavesPath(Identity)).Length);
        Assert.Equal(next.LeafHashes, store.Load(Identity)!.LeafHashes);
    }

    [Fact]
    public async Task Several_logs_coexist()
    {
        var store = new VerifierStateStore(directory);
        var a = MemoryLog.WithEntries(3);
        var b = MemoryLog.WithEntries(5);
        store.Save("https://one.example acme", await VerifiedAsync(a));
        store.Save("https://two.example acme", await VerifiedAsync(b));

        Assert.Equal(3, store.Load("https://one.example acme")!.Size);
        Assert.Equal(5, store.Load("https://two.example acme")!.Size);
        Assert.Null(store.Load("https://one.example other"));
        Assert.NotEqual(VerifierStateStore.FileStem("https://one.example acme"), VerifierStateStore.FileStem("https://two.example acme"));
        Assert.Equal(32, VerifierStateStore.FileStem("x").Length);

        Assert.True(store.Forget("https://one.example acme"));
        Assert.Null(store.Load("https://one.example acme"));
        Assert.False(store.Forget("https://one.example acme"));
    }

    [Fact]
    public async Task Damaged_state_is_refused()
    {
        var store = new VerifierStateStore(directory);
        var log = MemoryLog.WithEntries(6);
        store.Save(Identity, await VerifiedAsync(log));
        var statePath = store.StatePath(Identity);
        var leavesPath = store.LeavesPath(Identity);
        var json = File.ReadAllText(statePath);
        var leaves = File.ReadAllBytes(leavesPath);

        // A leaf hash edited on disk no longer hashes to the saved root.
        var edited = (byte[])leaves.Clone();
        edited[40] ^= 1;
        File.WriteAllBytes(leavesPath, edited);
        Assert.Throws<InvalidDataException>(() => store.Load(Identity));

        // Too few leaves.
        File.WriteAllBytes(leavesPath, leaves[..64]);
        Assert.Throws<InvalidDataException>(() => store.Load(Identity));
        File.WriteAllBytes(leavesPath, leaves);
        Assert.NotNull(store.Load(Identity));

        // The size edited, a state file copied from another log, broken JSON, a swapped key.
        foreach (var damaged in new[]
        {
            json.Replace("\"size\": 6", "\"size\": 5", StringComparison.Ordinal),
            json.Replace(Identity, "https://elsewhere acme", StringComparison.Ordinal),
            json[..^3],
            json.Replace("\"v\": 1", "\"v\": 2", StringComparison.Ordinal),
            json.Replace(MemoryLog.Key.ToString(), NoteVerifierKey.ForEd25519(MemoryLog.Origin, Crypto.Ed25519.PublicKeyFromSeed(new byte[32])).ToString(), StringComparison.Ordinal),
        })
        {
            Assert.NotEqual(json, damaged);
            File.WriteAllText(statePath, damaged, Encoding.UTF8);
            Assert.Throws<InvalidDataException>(() => store.Load(Identity));
        }
    }

    [Fact]
    public void The_default_directory_follows_XDG_STATE_HOME()
    {
        var directory = VerifierStateStore.DefaultDirectory();
        Assert.EndsWith(Path.Combine("strongroom", "audit"), directory, StringComparison.Ordinal);
        Assert.True(Path.IsPathRooted(directory));
    }
}
