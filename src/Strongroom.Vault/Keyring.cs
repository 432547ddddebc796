using System.Buffers.Binary;
using System.Security.Cryptography;
using System.Text;
using Strongroom.Core;
using Strongroom.Crypto;

namespace Strongroom.Vault;

/// <summary>
/// Versioned platform key-encryption keys, stored in one file encrypted under the root key.
/// Everything the platform wraps (account keys, account key-encryption keys) is wrapped by the
/// current version; each wrapped value records the version that wrapped it, so older versions
/// keep unwrapping after a rotation. <see cref="Rotate"/> adds a fresh version (the new current)
/// and re-saves the file; versions are never removed (a rewrapped old version is kept, unused,
/// because a writer that read a value before the rotation may still wrap with it).
///
/// File format (version 1): "SRKR" · format version u8 = 1 · KeyWrap(rootKey, version 0,
/// payload, AAD "keyring") where payload = repeated (keyVersion u32 BE · 32 key bytes).
/// </summary>
public sealed class Keyring : IDisposable
{
    private const byte FormatVersion = 1;
    private const int KeyBytes = 32;

    // Another process (the CLI beside a server) may rotate the same file: the rotation holds an
    // exclusive lock file while it reads, extends and re-saves the keyring.
    private const int LockAttemptsMax = 250;
    private static readonly TimeSpan LockRetryDelay = TimeSpan.FromMilliseconds(20);

    private static readonly byte[] Magic = "SRKR"u8.ToArray();
    private static readonly byte[] FileAssociatedData = "keyring"u8.ToArray();

    private readonly string path;
    private readonly IRandomSource random;
    private readonly Lock gate = new();

    // Replaced whole (never mutated) so readers need no lock; key arrays are shared between
    // snapshots and wiped once, on dispose.
    private volatile Snapshot state;
    private bool disposed;

    private Keyring(string path, SortedDictionary<uint, byte[]> keys, IRandomSource random)
    {
        Invariant.True(keys.Count > 0, "a keyring holds at least one key");
        this.path = path;
        this.random = random;
        state = new Snapshot(keys);
    }

    public uint CurrentVersion => state.Current;

    /// <summary>Every version, oldest first.</summary>
    public IReadOnlyList<uint> Versions => state.Keys.Keys.ToList();

    /// <summary>
    /// Called when a wrapped value names a version this keyring does not hold (another process
    /// rotated the file): returns true if it reloaded the file (see <see cref="Reload"/>), so the
    /// unwrap is tried once more. Null: unknown versions fail at once.
    /// </summary>
    public Func<bool>? ReloadWhenVersionUnknown { get; set; }

    public static Keyring OpenOrCreate(string path, RootKey rootKey, IRandomSource random)
    {
        if (!File.Exists(path))
        {
            var first = new byte[KeyBytes];
            random.Fill(first);
            using var created = new Keyring(path, new SortedDictionary<uint, byte[]> { [1] = first }, random);
            Save(path, created.state.Keys, rootKey, random, overwrite: false);
        }

        return new Keyring(path, ReadFile(path, rootKey), random);
    }

    /// <summary>
    /// Adds a fresh random version, which becomes current, and saves the keyring under
    /// <paramref name="rootKey"/> (atomically: the old file or the new one, never a mix). Versions
    /// added meanwhile by another process are read first and kept. Returns the new version.
    /// </summary>
    public uint Rotate(RootKey rootKey)
    {
        ArgumentNullException.ThrowIfNull(rootKey);
        lock (gate)
        {
            ObjectDisposedException.ThrowIf(disposed, this);
            using var fileLock = AcquireFileLock();
            MergeFromFile(rootKey);
            var keys = new SortedDictionary<uint, byte[]>(state.Keys);
            var version = checked(keys.Keys.Max() + 1);
            var fresh = new byte[KeyBytes];
            random.Fill(fresh);
            keys[version] = fresh;
            try
            {
                Save(path, keys, rootKey, random, overwrite: true);
            }
            catch
            {
                CryptographicOperations.ZeroMemory(fresh);
                throw;
            }

            state = new Snapshot(keys);
            Invariant.True(CurrentVersion == version, "a rotation makes its version current");
            return version;
        }
    }

    /// <summary>Re-reads the file and adds the versions another process saved; returns true if any was added.</summary>
    public bool Reload(RootKey rootKey)
    {
        ArgumentNullException.ThrowIfNull(rootKey);
        lock (gate)
        {
            ObjectDisposedException.ThrowIf(disposed, this);
            return MergeFromFile(rootKey);
        }
    }

    /// <summary>Wraps a secret under the current platform key, bound to <paramref name="associatedData"/>.</summary>
    public byte[] Wrap(ReadOnlySpan<byte> secret, ReadOnlySpan<byte> associatedData)
    {
        var snapshot = state;
        return KeyWrap.Wrap(snapshot.Keys[snapshot.Current], snapshot.Current, secret, associatedData, random);
    }

    /// <summary>Unwraps with the version recorded in <paramref name="wrapped"/>. Throws IntegrityCheckFailed.</summary>
    public byte[] Unwrap(ReadOnlySpan<byte> wrapped, ReadOnlySpan<byte> associatedData)
    {
        var version = KeyWrap.WrappingKeyVersion(wrapped);
        if (!state.Keys.TryGetValue(version, out var key)
            && !(ReloadWhenVersionUnknown?.Invoke() == true && state.Keys.TryGetValue(version, out key)))
        {
            throw new StorageException(ErrorCode.IntegrityCheckFailed, $"Platform key version {version} is not in the keyring.");
        }

        return KeyWrap.Unwrap(key, wrapped, associatedData);
    }

    public void Dispose()
    {
        lock (gate)
        {
            if (disposed)
            {
                return;
            }

            disposed = true;
            foreach (var key in state.Keys.Values)
            {
                CryptographicOperations.ZeroMemory(key);
            }
        }
    }

    private bool MergeFromFile(RootKey rootKey)
    {
        var onDisk = ReadFile(path, rootKey);
        var keys = new SortedDictionary<uint, byte[]>(state.Keys);
        var added = false;
        foreach (var (version, key) in onDisk)
        {
            if (keys.TryGetValue(version, out var held))
            {
                Invariant.True(CryptographicOperations.FixedTimeEquals(held, key), $"keyring version {version} is the same key in memory and on disk");
                CryptographicOperations.ZeroMemory(key);
            }
            else
            {
                keys[version] = key;
                added = true;
            }
        }

        if (added)
        {
            state = new Snapshot(keys);
        }

        return added;
    }

    private FileStream AcquireFileLock()
    {
        for (var attempt = 1; ; attempt++)
        {
            try
            {
                return new FileStream($"{path}.lock", FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None);
            }
            catch (IOException) when (attempt < LockAttemptsMax)
            {
                Thread.Sleep(LockRetryDelay);
            }
        }
    }

    private static SortedDictionary<uint, byte[]> ReadFile(string path, RootKey rootKey)
    {
        var file = File.ReadAllBytes(path);
        if (file.Length < Magic.Length + 1 || !file.AsSpan(0, Magic.Length).SequenceEqual(Magic) || file[Magic.Length] != FormatVersion)
        {
            throw new InvalidDataException($"The keyring {path} is not a Strongroom keyring of format {FormatVersion}.");
        }

        byte[] payload;
        try
        {
            payload = KeyWrap.Unwrap(rootKey.Bytes, file.AsSpan(Magic.Length + 1), FileAssociatedData);
        }
        catch (StorageException)
        {
            throw new CryptographicException($"The keyring {path} does not open with this root key (wrong key or damaged file).");
        }

        try
        {
            Invariant.True(payload.Length % (4 + KeyBytes) == 0 && payload.Length > 0, "keyring payload is whole entries");
            var keys = new SortedDictionary<uint, byte[]>();
            for (var offset = 0; offset < payload.Length; offset += 4 + KeyBytes)
            {
                var version = BinaryPrimitives.ReadUInt32BigEndian(payload.AsSpan(offset));
                Invariant.True(version > 0 && !keys.ContainsKey(version), "keyring versions are positive and distinct");
                keys[version] = payload.AsSpan(offset + 4, KeyBytes).ToArray();
            }

            return keys;
        }
        finally
        {
            CryptographicOperations.ZeroMemory(payload);
        }
    }

    /// <summary>
    /// A 256-bit key derived (HKDF-SHA256) from platform key <paramref name="version"/> for one
    /// <paramref name="purpose"/>, such as signing bearer tokens. It exists only while the keyring
    /// is open, so whatever it protects stops working when the vault is sealed. The caller wipes it.
    /// Throws IntegrityCheckFailed for a version the keyring does not hold.
    /// </summary>
    public byte[] DeriveKey(string purpose, uint version)
    {
        ArgumentException.ThrowIfNullOrEmpty(purpose);
        if (!state.Keys.TryGetValue(version, out var key)
            && !(ReloadWhenVersionUnknown?.Invoke() == true && state.Keys.TryGetValue(version, out key)))
        {
            throw new StorageException(ErrorCode.IntegrityCheckFailed, $"Platform key version {version} is not in the keyring.");
        }

        // A disposed keyring holds wiped (all-zero) keys: deriving from one would hand out a key
        // anyone can compute, so a wiped key means the vault is sealed.
        if (!key.AsSpan().ContainsAnyExcept((byte)0))
        {
            throw new StorageException(ErrorCode.VaultSealed, "The keyring is closed.");
        }

        return HKDF.DeriveKey(HashAlgorithmName.SHA256, key, KeyBytes, salt: [], info: Encoding.UTF8.GetBytes("strongroom derived key v1\n" + purpose));
    }

    private static void Save(string path, SortedDictionary<uint, byte[]> keys, RootKey rootKey, IRandomSource random, bool overwrite)
    {
        var payload = new byte[keys.Count * (4 + KeyBytes)];
        try
        {
            var offset = 0;
            foreach (var (version, key) in keys)
            {
                BinaryPrimitives.WriteUInt32BigEndian(payload.AsSpan(offset), version);
                key.CopyTo(payload.AsSpan(offset + 4));
                offset += 4 + KeyBytes;
            }

            var wrapped = KeyWrap.Wrap(rootKey.Bytes, 0, payload, FileAssociatedData, random);
            SecretFile.WriteAtomically(path, overwrite, Magic, [FormatVersion], wrapped);
        }
        finally
        {
            CryptographicOperations.ZeroMemory(payload);
        }
    }

    internal static byte[] AssociatedData(string purpose, string account, int slot = 0) =>
        Encoding.UTF8.GetBytes($"{purpose}\n{account}\n{slot}");

    private sealed class Snapshot(SortedDictionary<uint, byte[]> keys)
    {
        public SortedDictionary<uint, byte[]> Keys { get; } = keys;

        public uint Current { get; } = keys.Keys.Max();
    }
}
