using System.Security.Cryptography;
using Strongroom.Core;
using Strongroom.Crypto;

namespace Strongroom.Vault;

/// <summary>
/// The tenant's keys: its two shared (account) keys and its key-encryption key, both stored only
/// wrapped by the platform keyring; and the per-object data keys, wrapped by the tenant's
/// key-encryption key and bound to the object they protect.
/// The vault does no persistence of tenant keys: callers store the wrapped bytes it returns.
/// The keyring comes from the deployment's <see cref="SealState"/>: while the vault is sealed every
/// method throws <c>StorageException(ErrorCode.VaultSealed)</c>.
/// </summary>
public sealed class TenantKeys(SealState seal, IRandomSource random)
{
    /// <summary>Over an open keyring, always unsealed (tests and tools).</summary>
    public TenantKeys(Keyring keyring, IRandomSource random)
        : this(SealState.Unsealed(keyring, rootKey: null, random), random)
    {
    }

    /// <summary>The seal this instance takes its keyring from.</summary>
    public SealState Seal => seal;

    /// <summary>The version stamped on data keys wrapped by an account key-encryption key.</summary>
    public const uint AccountKeyEncryptionKeyVersion = 1;

    public byte[] NewWrappedKeyEncryptionKey(string account)
    {
        var kek = new byte[32];
        try
        {
            random.Fill(kek);
            using var lease = seal.AcquireKeyring();
            return lease.Keyring.Wrap(kek, Keyring.AssociatedData("account-kek", account));
        }
        finally
        {
            CryptographicOperations.ZeroMemory(kek);
        }
    }

    /// <summary>Makes a random 512-bit shared key; returns it and its wrapped form for storage.</summary>
    public (byte[] Key, byte[] Wrapped) NewSharedKey(string account, int slot)
    {
        var key = new byte[Limits.AccountKeyBytes];
        random.Fill(key);
        return (key, WrapSharedKey(account, slot, key));
    }

    public byte[] WrapSharedKey(string account, int slot, ReadOnlySpan<byte> key)
    {
        using var lease = seal.AcquireKeyring();
        return lease.Keyring.Wrap(key, Keyring.AssociatedData("shared-key", account, slot));
    }

    public byte[] UnwrapSharedKey(string account, int slot, ReadOnlySpan<byte> wrapped)
    {
        using var lease = seal.AcquireKeyring();
        return lease.Keyring.Unwrap(wrapped, Keyring.AssociatedData("shared-key", account, slot));
    }

    /// <summary>A fresh random data key for one stored object, and its wrapped form bound to the object.</summary>
    public DataKey NewDataKey(string account, ReadOnlySpan<byte> wrappedKeyEncryptionKey, ReadOnlySpan<byte> bindingDigest)
    {
        var kek = UnwrapKeyEncryptionKey(account, wrappedKeyEncryptionKey);
        var dataKey = new byte[Limits.DataKeyBytes];
        try
        {
            random.Fill(dataKey);
            var wrapped = KeyWrap.Wrap(kek, AccountKeyEncryptionKeyVersion, dataKey, bindingDigest, random);
            return new DataKey(dataKey, wrapped);
        }
        catch
        {
            CryptographicOperations.ZeroMemory(dataKey);
            throw;
        }
        finally
        {
            CryptographicOperations.ZeroMemory(kek);
        }
    }

    public DataKey UnwrapDataKey(string account, ReadOnlySpan<byte> wrappedKeyEncryptionKey, byte[] wrappedDataKey, ReadOnlySpan<byte> bindingDigest)
    {
        var kek = UnwrapKeyEncryptionKey(account, wrappedKeyEncryptionKey);
        try
        {
            return new DataKey(KeyWrap.Unwrap(kek, wrappedDataKey, bindingDigest), wrappedDataKey);
        }
        finally
        {
            CryptographicOperations.ZeroMemory(kek);
        }
    }

    private byte[] UnwrapKeyEncryptionKey(string account, ReadOnlySpan<byte> wrapped)
    {
        using var lease = seal.AcquireKeyring();
        return lease.Keyring.Unwrap(wrapped, Keyring.AssociatedData("account-kek", account));
    }
}

/// <summary>A plaintext data key (wiped on dispose) with its wrapped form.</summary>
public sealed class DataKey(byte[] key, byte[] wrapped) : IDisposable
{
    public ReadOnlyMemory<byte> Key => key;

    public byte[] Wrapped { get; } = wrapped;

    public void Dispose() => CryptographicOperations.ZeroMemory(key);
}
