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
public sealed class TenantKeys(Keyring keyring, IRandomSource random)
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

    /// <summary>
    /// Wraps the value of a tenant's vault item (a secret value, private or symmetric key
    /// material) under the platform keyring, bound to the account, the kind of item, its name
    /// and its version: a wrapped value copied onto another item or version does not unwrap.
    /// </summary>
    public byte[] WrapVaultItem(string account, string kind, string name, string version, ReadOnlySpan<byte> value) =>
        keyring.Wrap(value, VaultItemAssociatedData(account, kind, name, version));

    /// <summary>Unwraps what <see cref="WrapVaultItem"/> wrapped; throws IntegrityCheckFailed. The caller wipes the result.</summary>
    public byte[] UnwrapVaultItem(string account, string kind, string name, string version, ReadOnlySpan<byte> wrapped) =>
        keyring.Unwrap(wrapped, VaultItemAssociatedData(account, kind, name, version));

    /// <summary>The current platform key version, stamped on bearer tokens so they verify after a rotation.</summary>
    public uint CurrentPlatformKeyVersion => keyring.CurrentVersion;

    /// <summary>The key that signs bearer tokens stamped with platform key <paramref name="version"/>. The caller wipes it.</summary>
    public byte[] BearerTokenSigningKey(uint version) => keyring.DeriveKey("bearer-token", version);

    private static byte[] VaultItemAssociatedData(string account, string kind, string name, string version) =>
        System.Text.Encoding.UTF8.GetBytes($"vault-item\n{account}\n{kind}\n{name}\n{version}");

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
