using System.Security.Cryptography;
using Strongroom.Core;
using Strongroom.Crypto;

namespace Strongroom.Vault;

/// <summary>
/// The tenant's keys: its two shared (account) keys and its versioned key-encryption keys, all
/// stored only wrapped by the platform keyring; and the per-object data keys, wrapped by a version
/// of the tenant's key-encryption key (recorded in the wrapped bytes) and bound to the object they
/// protect. The vault does no persistence of tenant keys: callers store the wrapped bytes it returns.
///
/// Unwrapped key-encryption keys are kept in <c>cache</c> when one is given, so a write or read
/// does not unwrap through the keyring every time; sealing the vault clears it.
///
/// The keyring comes from the deployment's <see cref="SealState"/>: while the vault is sealed every
/// method that needs it throws <c>StorageException(ErrorCode.VaultSealed)</c>. Each use holds a
/// <see cref="KeyringLease"/> for one synchronous operation, so a seal never wipes a key in use.
/// </summary>
public sealed partial class TenantKeys
{
    private readonly SealState seal;
    private readonly IRandomSource random;
    private readonly UnwrappedKeyCache? cache;

    public TenantKeys(SealState seal, IRandomSource random, UnwrappedKeyCache? cache = null)
    {
        this.seal = seal;
        this.random = random;
        this.cache = cache;
        if (cache is not null)
        {
            // Lives as long as the seal state: both belong to one deployment.
            seal.RegisterSealHook(cache.Clear);
        }
    }

    /// <summary>Over an open keyring, always unsealed (tests and tools).</summary>
    public TenantKeys(Keyring keyring, IRandomSource random, UnwrappedKeyCache? cache = null)
        : this(SealState.Unsealed(keyring, rootKey: null, random), random, cache)
    {
    }

    /// <summary>The seal this instance takes its keyring from.</summary>
    public SealState Seal => seal;

    private const int KeyEncryptionKeyBytes = 32;

    /// <summary>The keyring version new platform-wrapped values get.</summary>
    public uint PlatformKeyVersion
    {
        get
        {
            using var lease = seal.AcquireKeyring();
            return lease.Keyring.CurrentVersion;
        }
    }

    /// <summary>Which key version wrapped <paramref name="wrapped"/>: the keyring version for
    /// shared keys and key-encryption keys, the account key-encryption-key version for data keys.</summary>
    public static uint WrappingVersion(ReadOnlySpan<byte> wrapped) => KeyWrap.WrappingKeyVersion(wrapped);

    /// <summary>A new random key-encryption key for <paramref name="account"/>, wrapped by the keyring and bound to its version.</summary>
    public byte[] NewWrappedKeyEncryptionKey(string account, uint version = AccountKeyEncryptionKey.FirstVersion)
    {
        var kek = new byte[KeyEncryptionKeyBytes];
        try
        {
            random.Fill(kek);
            return PlatformWrap(kek, KeyEncryptionKeyAssociatedData(account, version));
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
        PlatformWrap(key, Keyring.AssociatedData("shared-key", account, slot));

    /// <summary>The shared key (a copy the caller owns), from the cache when it holds it for these wrapped bytes.</summary>
    public byte[] UnwrapSharedKey(string account, int slot, ReadOnlySpan<byte> wrapped)
    {
        if (cache is null)
        {
            return PlatformUnwrap(wrapped, Keyring.AssociatedData("shared-key", account, slot));
        }

        // Held across the cache lookup too: a sealed vault answers VaultSealed even for cached keys,
        // and a seal cannot run (and clear the cache) between the lookup and the add.
        using var lease = seal.AcquireKeyring();
        var key = new byte[Limits.AccountKeyBytes];
        if (cache.TryCopy(CachedKeyKind.SharedKey, account, checked((uint)slot), wrapped, key))
        {
            return key;
        }

        var unwrapped = PlatformUnwrap(wrapped, Keyring.AssociatedData("shared-key", account, slot));
        if (unwrapped.Length == Limits.AccountKeyBytes)
        {
            cache.Add(CachedKeyKind.SharedKey, account, checked((uint)slot), wrapped, unwrapped);
        }

        return unwrapped;
    }

    /// <summary>
    /// A fresh random data key for one stored object, wrapped by the given key-encryption-key
    /// version and bound to the object, with the account's cipher suite (an SM4 account's data
    /// keys are wrapped with SM4).
    /// </summary>
    public DataKey NewDataKey(string account, uint kekVersion, ReadOnlySpan<byte> wrappedKeyEncryptionKey, ReadOnlySpan<byte> bindingDigest, CipherSuite suite = CipherSuite.Aes256Gcm)
    {
        var kek = UnwrapKeyEncryptionKey(account, kekVersion, wrappedKeyEncryptionKey);
        var dataKey = new byte[Limits.DataKeyBytes];
        try
        {
            random.Fill(dataKey);
            var wrapped = KeyWrap.Wrap(kek, kekVersion, dataKey, bindingDigest, random, suite);
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

    /// <summary>
    /// Unwraps a data key with key-encryption-key version <paramref name="kekVersion"/>, which must
    /// be the version recorded in <paramref name="wrappedDataKey"/> (see <see cref="WrappingVersion"/>).
    /// </summary>
    public DataKey UnwrapDataKey(string account, uint kekVersion, ReadOnlySpan<byte> wrappedKeyEncryptionKey, byte[] wrappedDataKey, ReadOnlySpan<byte> bindingDigest)
    {
        if (KeyWrap.WrappingKeyVersion(wrappedDataKey) != kekVersion)
        {
            throw new StorageException(ErrorCode.IntegrityCheckFailed, "The data key was not wrapped by the key-encryption-key version given.");
        }

        var kek = UnwrapKeyEncryptionKey(account, kekVersion, wrappedKeyEncryptionKey);
        try
        {
            return new DataKey(KeyWrap.Unwrap(kek, wrappedDataKey, bindingDigest), wrappedDataKey);
        }
        finally
        {
            CryptographicOperations.ZeroMemory(kek);
        }
    }

    /// <summary>Rewraps a shared key under the current keyring version.</summary>
    public byte[] RewrapSharedKey(string account, int slot, ReadOnlySpan<byte> wrapped)
    {
        var key = UnwrapSharedKey(account, slot, wrapped);
        try
        {
            return WrapSharedKey(account, slot, key);
        }
        finally
        {
            CryptographicOperations.ZeroMemory(key);
        }
    }

    /// <summary>Rewraps a key-encryption key (the same key, same version) under the current keyring version.</summary>
    public byte[] RewrapKeyEncryptionKey(string account, uint version, ReadOnlySpan<byte> wrapped)
    {
        var associatedData = KeyEncryptionKeyAssociatedData(account, version);
        var kek = PlatformUnwrap(wrapped, associatedData);
        try
        {
            return PlatformWrap(kek, associatedData);
        }
        finally
        {
            CryptographicOperations.ZeroMemory(kek);
        }
    }

    /// <summary>
    /// Rewraps a data key (the same key) from the key-encryption-key version that wrapped it to
    /// <paramref name="to"/>, keeping its cipher suite. For a customer-provided key this moves only
    /// the outer layer: the wrapped secret is then the inner wrap, still under the customer's key.
    /// </summary>
    public byte[] RewrapDataKey(string account, AccountKeyEncryptionKey from, AccountKeyEncryptionKey to, byte[] wrappedDataKey, ReadOnlySpan<byte> bindingDigest)
    {
        ArgumentNullException.ThrowIfNull(from);
        ArgumentNullException.ThrowIfNull(to);
        using var dataKey = UnwrapDataKey(account, from.Version, from.Wrapped, wrappedDataKey, bindingDigest);
        var kek = UnwrapKeyEncryptionKey(account, to.Version, to.Wrapped);
        try
        {
            return KeyWrap.Wrap(kek, to.Version, dataKey.Key.Span, bindingDigest, random, KeyWrap.CipherSuiteOf(wrappedDataKey));
        }
        finally
        {
            CryptographicOperations.ZeroMemory(kek);
        }
    }

    /// <summary>Drops the account's cached keys (its deletion).</summary>
    public void Forget(string account) => cache?.Remove(account);

    private byte[] UnwrapKeyEncryptionKey(string account, uint version, ReadOnlySpan<byte> wrapped)
    {
        if (cache is null)
        {
            return PlatformUnwrap(wrapped, KeyEncryptionKeyAssociatedData(account, version));
        }

        using var lease = seal.AcquireKeyring(); // see UnwrapSharedKey
        var kek = new byte[KeyEncryptionKeyBytes];
        if (cache.TryCopy(CachedKeyKind.AccountKeyEncryptionKey, account, version, wrapped, kek))
        {
            return kek;
        }

        var unwrapped = PlatformUnwrap(wrapped, KeyEncryptionKeyAssociatedData(account, version));
        Invariant.True(unwrapped.Length == KeyEncryptionKeyBytes, "an account key-encryption key is 256 bits");
        cache.Add(CachedKeyKind.AccountKeyEncryptionKey, account, version, wrapped, unwrapped);
        CryptographicOperations.ZeroMemory(kek);
        return unwrapped;
    }

    /// <summary>
    /// Version 1 keeps the binding it always had (slot 0), frozen; later versions bind their version
    /// number, so a wrapped key-encryption key cannot be moved to another version's row.
    /// </summary>
    private static byte[] KeyEncryptionKeyAssociatedData(string account, uint version) =>
        Keyring.AssociatedData("account-kek", account, version == AccountKeyEncryptionKey.FirstVersion ? 0 : checked((int)version));

    /// <summary>
    /// Wraps the value of a tenant's vault item (a secret value, private or symmetric key
    /// material) under the platform keyring, bound to the account, the kind of item, its name
    /// and its version: a wrapped value copied onto another item or version does not unwrap.
    /// </summary>
    public byte[] WrapVaultItem(string account, string kind, string name, string version, ReadOnlySpan<byte> value) =>
        PlatformWrap(value, VaultItemAssociatedData(account, kind, name, version));

    /// <summary>Unwraps what <see cref="WrapVaultItem"/> wrapped; throws IntegrityCheckFailed. The caller wipes the result.</summary>
    public byte[] UnwrapVaultItem(string account, string kind, string name, string version, ReadOnlySpan<byte> wrapped) =>
        PlatformUnwrap(wrapped, VaultItemAssociatedData(account, kind, name, version));

    /// <summary>Rewraps a vault item's value (the same value, same binding) under the current keyring version.</summary>
    public byte[] RewrapVaultItem(string account, string kind, string name, string version, ReadOnlySpan<byte> wrapped)
    {
        var associatedData = VaultItemAssociatedData(account, kind, name, version);
        var value = PlatformUnwrap(wrapped, associatedData);
        try
        {
            return PlatformWrap(value, associatedData);
        }
        finally
        {
            CryptographicOperations.ZeroMemory(value);
        }
    }

    /// <summary>The key that signs bearer tokens stamped with platform key <paramref name="version"/>. The caller wipes it.</summary>
    public byte[] BearerTokenSigningKey(uint version)
    {
        using var lease = seal.AcquireKeyring();
        return lease.Keyring.DeriveKey("bearer-token", version);
    }

    /// <summary>Wraps under the current platform key, holding the keyring for just this call.</summary>
    private byte[] PlatformWrap(ReadOnlySpan<byte> secret, ReadOnlySpan<byte> associatedData)
    {
        using var lease = seal.AcquireKeyring();
        return lease.Keyring.Wrap(secret, associatedData);
    }

    /// <summary>Unwraps with the recorded platform key version, holding the keyring for just this call.</summary>
    private byte[] PlatformUnwrap(ReadOnlySpan<byte> wrapped, ReadOnlySpan<byte> associatedData)
    {
        using var lease = seal.AcquireKeyring();
        return lease.Keyring.Unwrap(wrapped, associatedData);
    }

    private static byte[] VaultItemAssociatedData(string account, string kind, string name, string version) =>
        System.Text.Encoding.UTF8.GetBytes($"vault-item\n{account}\n{kind}\n{name}\n{version}");
}

/// <summary>A plaintext data key (wiped on dispose) with its wrapped form.</summary>
public sealed class DataKey(byte[] key, byte[] wrapped) : IDisposable
{
    public ReadOnlyMemory<byte> Key => key;

    public byte[] Wrapped { get; } = wrapped;

    public void Dispose() => CryptographicOperations.ZeroMemory(key);
}
