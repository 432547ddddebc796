using System.Security.Cryptography;
using Strongroom.Core;
using Strongroom.Crypto;

namespace Strongroom.Vault;

/// <summary>
/// The tenant's keys: its two shared (account) keys and its key-encryption key, both stored only
/// wrapped by the platform keyring; and the per-object data keys, wrapped by the tenant's
/// key-encryption key and bound to the object they protect.
/// The vault does no persistence of tenant keys: callers store the wrapped bytes it returns.
/// </summary>
public sealed partial class TenantKeys(Keyring keyring, IRandomSource random)
{
    /// <summary>The version stamped on data keys wrapped by an account key-encryption key.</summary>
    public const uint AccountKeyEncryptionKeyVersion = 1;

    public byte[] NewWrappedKeyEncryptionKey(string account)
    {
        var kek = new byte[32];
        try
        {
            random.Fill(kek);
            return keyring.Wrap(kek, Keyring.AssociatedData("account-kek", account));
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

    public byte[] WrapSharedKey(string account, int slot, ReadOnlySpan<byte> key) =>
        keyring.Wrap(key, Keyring.AssociatedData("shared-key", account, slot));

    public byte[] UnwrapSharedKey(string account, int slot, ReadOnlySpan<byte> wrapped) =>
        keyring.Unwrap(wrapped, Keyring.AssociatedData("shared-key", account, slot));

    /// <summary>
    /// A fresh random data key for one stored object, and its wrapped form bound to the object,
    /// wrapped with the account's cipher suite (an SM4 account's data keys are wrapped with SM4).
    /// </summary>
    public DataKey NewDataKey(string account, ReadOnlySpan<byte> wrappedKeyEncryptionKey, ReadOnlySpan<byte> bindingDigest, CipherSuite suite = CipherSuite.Aes256Gcm)
    {
        var kek = UnwrapKeyEncryptionKey(account, wrappedKeyEncryptionKey);
        var dataKey = new byte[Limits.DataKeyBytes];
        try
        {
            random.Fill(dataKey);
            var wrapped = KeyWrap.Wrap(kek, AccountKeyEncryptionKeyVersion, dataKey, bindingDigest, random, suite);
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

    private byte[] UnwrapKeyEncryptionKey(string account, ReadOnlySpan<byte> wrapped) =>
        keyring.Unwrap(wrapped, Keyring.AssociatedData("account-kek", account));
}

/// <summary>A plaintext data key (wiped on dispose) with its wrapped form.</summary>
public sealed class DataKey(byte[] key, byte[] wrapped) : IDisposable
{
    public ReadOnlyMemory<byte> Key => key;

    public byte[] Wrapped { get; } = wrapped;

    public void Dispose() => CryptographicOperations.ZeroMemory(key);
}
