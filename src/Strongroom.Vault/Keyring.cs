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
/// keep unwrapping after a rotation.
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

    private readonly SortedDictionary<uint, byte[]> keys;
    private readonly IRandomSource random;

    private Keyring(SortedDictionary<uint, byte[]> keys, IRandomSource random)
    {
        Invariant.True(keys.Count > 0, "a keyring holds at least one key");
        this.keys = keys;
        this.random = random;
    }

    public uint CurrentVersion => keys.Keys.Max();

    public static Keyring OpenOrCreate(string path, RootKey rootKey, IRandomSource random)
    {
        if (!File.Exists(path))
        {
            var first = new byte[KeyBytes];
            random.Fill(first);
            using var created = new Keyring(new SortedDictionary<uint, byte[]> { [1] = first }, random);
            created.Save(path, rootKey, overwrite: false);
        }

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
                keys[version] = payload.AsSpan(offset + 4, KeyBytes).ToArray();
            }

            return new Keyring(keys, random);
        }
        finally
        {
            CryptographicOperations.ZeroMemory(payload);
        }
    }

    /// <summary>Wraps a secret under the current platform key, bound to <paramref name="associatedData"/>.</summary>
    public byte[] Wrap(ReadOnlySpan<byte> secret, ReadOnlySpan<byte> associatedData)
    {
        var version = CurrentVersion;
        return KeyWrap.Wrap(keys[version], version, secret, associatedData, random);
    }

    /// <summary>Unwraps with the version recorded in <paramref name="wrapped"/>. Throws IntegrityCheckFailed.</summary>
    public byte[] Unwrap(ReadOnlySpan<byte> wrapped, ReadOnlySpan<byte> associatedData)
    {
        var version = KeyWrap.WrappingKeyVersion(wrapped);
        if (!keys.TryGetValue(version, out var key))
        {
            throw new StorageException(ErrorCode.IntegrityCheckFailed, $"Platform key version {version} is not in the keyring.");
        }

        return KeyWrap.Unwrap(key, wrapped, associatedData);
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
        if (!keys.TryGetValue(version, out var key))
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

    public void Dispose()
    {
        foreach (var key in keys.Values)
        {
            CryptographicOperations.ZeroMemory(key);
        }
    }

    private void Save(string path, RootKey rootKey, bool overwrite)
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
}
