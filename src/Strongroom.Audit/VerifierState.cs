using System.Security.Cryptography;
using System.Text;
using System.Text.Encodings.Web;
using System.Text.Json;

using Strongroom.Core;
using Strongroom.Vault;

namespace Strongroom.Audit;

/// <summary>
/// What a tenant's verifier remembers of one log between runs: the log's origin, the verifier key
/// it pinned on first use, the last checkpoint it verified (the signed note, its size and root),
/// and the leaf hash of every entry that checkpoint covers (<see cref="LeafHashes"/>: 32 bytes per
/// leaf, in index order), so a later run can name the first entry the server changed.
/// </summary>
public sealed record VerifierState(string Origin, string VerifierKey, string CheckpointNote, long Size, byte[] RootHash, byte[] LeafHashes)
{
    /// <summary>The leaf hash of entry <paramref name="index"/> (below <see cref="Size"/>).</summary>
    public ReadOnlySpan<byte> LeafHash(long index)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(index);
        ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual(index, Size);
        return LeafHashes.AsSpan(checked((int)(index * MerkleTree.HashBytes)), MerkleTree.HashBytes);
    }
}

/// <summary>
/// Keeps <see cref="VerifierState"/>s in a state directory (default
/// <c>$XDG_STATE_HOME/strongroom/audit</c>, else <c>~/.local/state/strongroom/audit</c>; created
/// with mode 0700). Several logs coexist: each is named by a caller-chosen log identity — the CLI
/// uses where the log is read from and whose it is (<c>&lt;server URL&gt; &lt;account&gt;</c>, or
/// <c>local:&lt;data directory&gt; &lt;account or $platform&gt;</c>), never the origin the server
/// states, so a server that changes its origin meets the pinned state instead of a fresh start.
/// For identity I, with <c>stem</c> = the first 16 bytes of SHA-256("strongroom audit verifier v1\n" ‖ I) in hex:
/// <list type="bullet">
/// <item><c>stem.json</c>: <c>{"v":1,"log":I,"origin":…,"verifierKey":"name+id+key","size":N,"root":"base64","checkpoint":"signed note"}</c>;</item>
/// <item><c>stem.leaves</c>: the leaf hashes, 32 bytes per leaf in index order (at least N·32 bytes; only the first N count).</item>
/// </list>
/// <see cref="Save"/> appends the new leaves to <c>stem.leaves</c> (or rewrites it through a
/// temporary file when its content is not a prefix of the new leaves), flushes it to disk, then
/// replaces <c>stem.json</c> atomically (temporary file, flush, rename): a crash leaves the old
/// state or the new one, and extra leaves past the state's size are ignored. <see cref="Load"/>
/// checks the state against itself (the note verifies under the pinned key and states the same
/// size and root; the leaves hash to that root) and throws InvalidDataException when damaged.
/// Two verifier runs on the same log at once are not coordinated: the last one to save wins.
/// </summary>
public sealed class VerifierStateStore(string directory)
{
    private const int FormatVersion = 1;

    public string DirectoryPath => directory;

    /// <summary><c>$XDG_STATE_HOME/strongroom/audit</c> when XDG_STATE_HOME is an absolute path, else <c>~/.local/state/strongroom/audit</c>.</summary>
    public static string DefaultDirectory()
    {
        var xdg = Environment.GetEnvironmentVariable("XDG_STATE_HOME");
        var root = !string.IsNullOrEmpty(xdg) && Path.IsPathRooted(xdg)
            ? xdg
            : Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".local", "state");
        return Path.Combine(root, "strongroom", "audit");
    }

    /// <summary>The file name stem of a log identity (32 hex digits).</summary>
    public static string FileStem(string logIdentity)
    {
        ArgumentException.ThrowIfNullOrEmpty(logIdentity);
        var hash = SHA256.HashData(Encoding.UTF8.GetBytes("strongroom audit verifier v1\n" + logIdentity));
        return Convert.ToHexStringLower(hash.AsSpan(0, 16));
    }

    public string StatePath(string logIdentity) => Path.Combine(directory, FileStem(logIdentity) + ".json");

    public string LeavesPath(string logIdentity) => Path.Combine(directory, FileStem(logIdentity) + ".leaves");

    /// <summary>The saved state of the log, or null when none was saved (first use). InvalidDataException when the files are damaged.</summary>
    public VerifierState? Load(string logIdentity)
    {
        var statePath = StatePath(logIdentity);
        if (!File.Exists(statePath))
        {
            return null;
        }

        VerifierState state;
        try
        {
            using var document = JsonDocument.Parse(File.ReadAllBytes(statePath));
            var root = document.RootElement;
            if (root.GetProperty("v").GetInt32() != FormatVersion)
            {
                throw new InvalidDataException($"{statePath} has an unknown format version.");
            }

            if (root.GetProperty("log").GetString() != logIdentity)
            {
                throw new InvalidDataException($"{statePath} belongs to another log.");
            }

            var size = root.GetProperty("size").GetInt64();
            if (size < 0 || size > int.MaxValue / MerkleTree.HashBytes)
            {
                throw new InvalidDataException($"{statePath} states an impossible size.");
            }

            state = new VerifierState(
                RequiredString(root, "origin"),
                RequiredString(root, "verifierKey"),
                RequiredString(root, "checkpoint"),
                size,
                root.GetProperty("root").GetBytesFromBase64(),
                ReadLeaves(LeavesPath(logIdentity), size));
        }
        catch (Exception e) when (e is JsonException or KeyNotFoundException or InvalidOperationException or FormatException)
        {
            throw new InvalidDataException($"The verifier state {statePath} is damaged ({e.Message}); remove it to start over, which pins the server's key again.", e);
        }

        Check(state, statePath);
        return state;
    }

    /// <summary>Saves <paramref name="state"/> (a successful verification's <see cref="LogVerificationResult.NewState"/>).</summary>
    public void Save(string logIdentity, VerifierState state)
    {
        ArgumentNullException.ThrowIfNull(state);
        Invariant.True(state.LeafHashes.Length == state.Size * MerkleTree.HashBytes, "a verifier state holds one leaf hash per entry");
        CreateDirectory();
        SaveLeaves(LeavesPath(logIdentity), state.LeafHashes);

        // Relaxed escaping keeps the key and the note readable; the file is never served as HTML.
        var buffer = new MemoryStream();
        using (var json = new Utf8JsonWriter(buffer, new JsonWriterOptions { Indented = true, Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping }))
        {
            json.WriteStartObject();
            json.WriteNumber("v", FormatVersion);
            json.WriteString("log", logIdentity);
            json.WriteString("origin", state.Origin);
            json.WriteString("verifierKey", state.VerifierKey);
            json.WriteNumber("size", state.Size);
            json.WriteBase64String("root", state.RootHash);
            json.WriteString("checkpoint", state.CheckpointNote);
            json.WriteEndObject();
        }

        SecretFile.WriteAtomically(StatePath(logIdentity), overwrite: true, buffer.ToArray());
    }

    /// <summary>Removes the state of a log (to pin a new key on purpose). True when there was one.</summary>
    public bool Forget(string logIdentity)
    {
        var existed = File.Exists(StatePath(logIdentity));
        File.Delete(StatePath(logIdentity));
        File.Delete(LeavesPath(logIdentity));
        return existed;
    }

    private static void Check(VerifierState state, string statePath)
    {
        string? problem = null;
        try
        {
            var key = NoteVerifierKey.Parse(state.VerifierKey);
            var note = SignedNote.Parse(state.CheckpointNote);
            var checkpoint = Checkpoint.Parse(note.Text);
            if (!note.VerifiedBy(key))
            {
                problem = "its checkpoint does not verify under its pinned key";
            }
            else if (checkpoint.Origin != state.Origin || checkpoint.Size != state.Size || !checkpoint.RootHash.AsSpan().SequenceEqual(state.RootHash))
            {
                problem = "its checkpoint does not match its size and root";
            }
            else if (!MerkleTree.RootFromLeafHashes(Split(state.LeafHashes)).AsSpan().SequenceEqual(state.RootHash))
            {
                problem = "its leaf hashes do not hash to its root";
            }
        }
        catch (FormatException e)
        {
            problem = e.Message;
        }

        if (problem is not null)
        {
            throw new InvalidDataException($"The verifier state {statePath} is damaged ({problem}); remove it to start over, which pins the server's key again.");
        }
    }

    private static string RequiredString(JsonElement root, string name) =>
        root.GetProperty(name).GetString() ?? throw new FormatException($"\"{name}\" is null.");

    private static IEnumerable<byte[]> Split(byte[] leafHashes)
    {
        for (var offset = 0; offset < leafHashes.Length; offset += MerkleTree.HashBytes)
        {
            yield return leafHashes.AsSpan(offset, MerkleTree.HashBytes).ToArray();
        }
    }

    private static byte[] ReadLeaves(string path, long size)
    {
        var length = checked((int)(size * MerkleTree.HashBytes));
        if (length == 0)
        {
            return [];
        }

        if (!File.Exists(path))
        {
            throw new InvalidDataException($"{path} is missing.");
        }

        using var file = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read);
        if (file.Length < length)
        {
            throw new InvalidDataException($"{path} holds fewer leaf hashes than the state's size.");
        }

        var leaves = new byte[length];
        file.ReadExactly(leaves);
        return leaves;
    }

    private void CreateDirectory()
    {
        if (OperatingSystem.IsWindows())
        {
            Directory.CreateDirectory(directory);
        }
        else
        {
            Directory.CreateDirectory(directory, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        }
    }

    private static void SaveLeaves(string path, byte[] leaves)
    {
        if (File.Exists(path))
        {
            using var file = new FileStream(path, FileMode.Open, FileAccess.ReadWrite, FileShare.None);
            if (file.Length % MerkleTree.HashBytes == 0 && file.Length <= leaves.Length)
            {
                var existing = new byte[file.Length];
                file.ReadExactly(existing);
                if (leaves.AsSpan(0, existing.Length).SequenceEqual(existing))
                {
                    file.Write(leaves, existing.Length, leaves.Length - existing.Length);
                    file.Flush(flushToDisk: true);
                    return;
                }
            }
        }

        SecretFile.WriteAtomically(path, overwrite: true, leaves);
    }
}
