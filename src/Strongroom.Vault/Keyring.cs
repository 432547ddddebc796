using System.Buffers.Binary;
using System.Security.Cryptography;
using System.Text;
using Strongroom.Core;
using Strongroom.Crypto;

namespace Strongroom.Vault;

/// <summary>
/// Versioned platform key-encryption keys, stored in one file (<see cref="IVaultFiles"/>: the data
/// directory, or the database a deployment's servers share) encrypted under the root key.
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

    private static readonly byte[] Magic = "SRKR"u8.ToArray();
    private static readonly byte[] FileAssociatedData = "keyring"u8.ToArray();

    // Another process (the CLI beside a server, or another server of the deployment) may rotate
    // the same keyring: a rotation reads, extends and re-saves it in one exclusive update
    // (IVaultFiles.Update: a lock file, or one database write transaction).
    private readonly IVaultFiles files;
    private readonly IRandomSource random;
    private readonly Lock gate = new();

    // Replaced whole (never mutated) so readers need no lock; key arrays are shared between
    // snapshots and wiped once, on dispose.
    private volatile Snapshot state;
    private bool disposed;

    private Keyring(IVaultFiles files, SortedDictionary<uint, byte[]> keys, long generation, IRandomSource random)
    {
        Invariant.True(keys.Count > 0, "a keyring holds at least one key");
        this.files = files;
        this.random = random;
        state = new Snapshot(keys, generation);
    }

    public uint CurrentVersion => state.Current;

    /// <summary>Every version, oldest first.</summary>
    public IReadOnlyList<uint> Versions => state.Keys.Keys.ToList();

    /// <summary>
    /// Called when a wrapped value names a version this keyring does not hold (another process
    /// rotated the keyring), and, when the keyring is shared (<see cref="IVaultFiles.IsShared"/>),
    /// before a wrap whenever the stored generation is not the one held: returns true if it
    /// reloaded (see <see cref="Reload"/>), so the unwrap is tried once more. Null: unknown
    /// versions fail at once, and wraps use the versions held.
    /// </summary>
    public Func<bool>? ReloadWhenVersionUnknown { get; set; }

    public static Keyring OpenOrCreate(string path, RootKey rootKey, IRandomSource random) =>
        OpenOrCreate(new DirectoryVaultFiles(Path.Combine(Path.GetDirectoryName(Path.GetFullPath(path))!, VaultFileNames.Seal), path), rootKey, random);

    /// <summary>Opens the keyring stored in <paramref name="files"/>, creating it (one fresh version) when absent.</summary>
    public static Keyring OpenOrCreate(IVaultFiles files, RootKey rootKey, IRandomSource random)
    {
        ArgumentNullException.ThrowIfNull(files);
        ArgumentNullException.ThrowIfNull(rootKey);
        if (files.ReadGeneration(VaultFileNames.Keyring) is null)
        {
            // Another process that created it first wins; it is read below.
            files.Create([new(VaultFileNames.Keyring, CreateContent(rootKey, random))]);
        }

        var (keys, generation) = ReadStored(files, rootKey);
        return new Keyring(files, keys, generation, random);
    }

    /// <summary>The stored bytes of a new keyring holding one fresh version, wrapped under <paramref name="rootKey"/>.</summary>
    public static byte[] CreateContent(RootKey rootKey, IRandomSource random)
    {
        ArgumentNullException.ThrowIfNull(rootKey);
        ArgumentNullException.ThrowIfNull(random);
        var first = new byte[KeyBytes];
        try
        {
            random.Fill(first);
            return Serialize(new SortedDictionary<uint, byte[]> { [1] = first }, rootKey, random);
        }
        finally
        {
            CryptographicOperations.ZeroMemory(first);
        }
    }

    /// <summary>
    /// Adds a fresh random version, which becomes current, and saves the keyring under
    /// <paramref name="rootKey"/> (atomically: the old keyring or the new one, never a mix).
    /// Versions added meanwhile by another process are read first and kept. Returns the new version.
    /// </summary>
    public uint Rotate(RootKey rootKey)
    {
        ArgumentNullException.ThrowIfNull(rootKey);
        lock (gate)
        {
            ObjectDisposedException.ThrowIf(disposed, this);
            var held = state.Keys;
            SortedDictionary<uint, byte[]>? keys = null;
            uint version = 0;
            try
            {
                var generation = files.Update(VaultFileNames.Keyring, stored =>
                {
                    if (keys is not null)
                    {
                        WipeAdded(keys, held);
                    }

                    var merged = Merge(held, Parse(stored ?? throw new InvalidDataException($"The keyring {files.Describe(VaultFileNames.Keyring)} is missing."), rootKey, files));
                    keys = merged;
                    version = checked(merged.Keys.Max() + 1);
                    var fresh = new byte[KeyBytes];
                    random.Fill(fresh);
                    merged[version] = fresh;
                    return Serialize(merged, rootKey, random);
                });
                state = new Snapshot(keys!, generation);
            }
            catch
            {
                if (keys is not null)
                {
                    WipeAdded(keys, held);
                }

                throw;
            }

            Invariant.True(CurrentVersion == version, "a rotation makes its version current");
            return version;
        }
    }

    /// <summary>Re-reads the stored keyring and adds the versions another process saved; returns true if any was added.</summary>
    public bool Reload(RootKey rootKey)
    {
        ArgumentNullException.ThrowIfNull(rootKey);
        lock (gate)
        {
            ObjectDisposedException.ThrowIf(disposed, this);
            var (stored, generation) = ReadStored(files, rootKey);
            var merged = Merge(state.Keys, stored);
            var added = merged.Count > state.Keys.Count;
            state = new Snapshot(added ? merged : state.Keys, generation);
            return added;
        }
    }

    /// <summary>
    /// Wraps a secret under the current platform key, bound to <paramref name="associatedData"/>.
    /// A shared keyring first checks that the stored generation is the one held (one cheap read),
    /// so once a rotation on another server has returned, wraps here use its version.
    /// </summary>
    public byte[] Wrap(ReadOnlySpan<byte> secret, ReadOnlySpan<byte> associatedData)
    {
        if (files.IsShared && ReloadWhenVersionUnknown is { } reload && files.ReadGeneration(VaultFileNames.Keyring) != state.Generation)
        {
            reload();
        }

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

    /// <summary>The versions held plus those stored; a version in both must be the same key (the stored copy is wiped).</summary>
    private static SortedDictionary<uint, byte[]> Merge(SortedDictionary<uint, byte[]> held, SortedDictionary<uint, byte[]> stored)
    {
        var keys = new SortedDictionary<uint, byte[]>(held);
        foreach (var (version, key) in stored)
        {
            if (keys.TryGetValue(version, out var existing))
            {
                Invariant.True(CryptographicOperations.FixedTimeEquals(existing, key), $"keyring version {version} is the same key in memory and in store");
                CryptographicOperations.ZeroMemory(key);
            }
            else
            {
                keys[version] = key;
            }
        }

        return keys;
    }

    /// <summary>Wipes the keys of <paramref name="keys"/> that <paramref name="held"/> does not share (a rotation that did not complete).</summary>
    private static void WipeAdded(SortedDictionary<uint, byte[]> keys, SortedDictionary<uint, byte[]> held)
    {
        foreach (var (version, key) in keys)
        {
            if (!held.TryGetValue(version, out var kept) || !ReferenceEquals(kept, key))
            {
                CryptographicOperations.ZeroMemory(key);
            }
        }
    }

    private static (SortedDictionary<uint, byte[]> Keys, long Generation) ReadStored(IVaultFiles files, RootKey rootKey)
    {
        var stored = files.Read(VaultFileNames.Keyring)
            ?? throw new FileNotFoundException($"The keyring {files.Describe(VaultFileNames.Keyring)} is missing.");
        return (Parse(stored.Content, rootKey, files), stored.Generation);
    }

    private static SortedDictionary<uint, byte[]> Parse(byte[] file, RootKey rootKey, IVaultFiles files)
    {
        if (file.Length < Magic.Length + 1 || !file.AsSpan(0, Magic.Length).SequenceEqual(Magic) || file[Magic.Length] != FormatVersion)
        {
            throw new InvalidDataException($"The keyring {files.Describe(VaultFileNames.Keyring)} is not a Strongroom keyring of format {FormatVersion}.");
        }

        byte[] payload;
        try
        {
            payload = KeyWrap.Unwrap(rootKey.Bytes, file.AsSpan(Magic.Length + 1), FileAssociatedData);
        }
        catch (StorageException)
        {
            throw new CryptographicException($"The keyring {files.Describe(VaultFileNames.Keyring)} does not open with this root key (wrong key or damaged file).");
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

    /// <summary>The stored form: magic, format version, the payload wrapped under the root key.</summary>
    private static byte[] Serialize(SortedDictionary<uint, byte[]> keys, RootKey rootKey, IRandomSource random)
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
            return [.. Magic, FormatVersion, .. wrapped];
        }
        finally
        {
            CryptographicOperations.ZeroMemory(payload);
        }
    }

    internal static byte[] AssociatedData(string purpose, string account, int slot = 0) =>
        Encoding.UTF8.GetBytes($"{purpose}\n{account}\n{slot}");

    private sealed class Snapshot(SortedDictionary<uint, byte[]> keys, long generation)
    {
        public SortedDictionary<uint, byte[]> Keys { get; } = keys;

        /// <summary>The stored generation last read or written (a shared keyring's staleness check).</summary>
        public long Generation { get; } = generation;

        public uint Current { get; } = keys.Keys.Max();
    }
}
