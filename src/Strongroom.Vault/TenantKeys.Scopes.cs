using System.Security.Cryptography;
using Strongroom.Core;
using Strongroom.Crypto;

namespace Strongroom.Vault;

// Encryption scopes and customer-provided keys. Each scope has its own key-encryption key (KEK),
// wrapped by the platform keyring (platform-managed) or by the tenant's vault key
// (customer-managed, see ICustomerManagedKeys); the data keys of the scope's objects are wrapped
// by that KEK. A customer-provided key wraps the data key first, and the account KEK wraps the
// result: both are needed to read, and the store never holds the customer's key.
public sealed partial class TenantKeys
{
    /// <summary>The version stamped on data keys wrapped by a scope KEK (scope keys do not rotate yet).</summary>
    public const uint ScopeKeyEncryptionKeyVersion = 1;

    /// <summary>The version stamped on the inner wrap under a customer-provided key.</summary>
    public const uint CustomerProvidedKeyVersion = 0;

    /// <summary>A fresh random key-encryption key for a scope. The caller wraps it and wipes it.</summary>
    public byte[] NewScopeKeyEncryptionKey()
    {
        var kek = new byte[Limits.ScopeKeyEncryptionKeyBytes];
        random.Fill(kek);
        return kek;
    }

    /// <summary>Wraps a scope KEK under the platform keyring, bound to the account and scope.</summary>
    public byte[] WrapPlatformScopeKey(string account, string scope, ReadOnlySpan<byte> kek) =>
        PlatformWrap(kek, Keyring.AssociatedData(ScopePurpose(scope), account));

    /// <summary>Unwraps a platform-managed scope KEK; the caller wipes it. IntegrityCheckFailed.</summary>
    public byte[] UnwrapPlatformScopeKey(string account, string scope, ReadOnlySpan<byte> wrapped) =>
        PlatformUnwrap(wrapped, Keyring.AssociatedData(ScopePurpose(scope), account));

    /// <summary>Rewraps a platform-managed scope KEK (the same key) under the current keyring version.</summary>
    public byte[] RewrapPlatformScopeKey(string account, string scope, ReadOnlySpan<byte> wrapped)
    {
        var kek = UnwrapPlatformScopeKey(account, scope, wrapped);
        try
        {
            return WrapPlatformScopeKey(account, scope, kek);
        }
        finally
        {
            CryptographicOperations.ZeroMemory(kek);
        }
    }

    /// <summary>A fresh data key wrapped by a scope's (unwrapped) KEK and bound to the object.</summary>
    public DataKey NewDataKeyUnderScope(ReadOnlySpan<byte> scopeKek, ReadOnlySpan<byte> bindingDigest, CipherSuite suite = CipherSuite.Aes256Gcm)
    {
        var dataKey = new byte[Limits.DataKeyBytes];
        try
        {
            random.Fill(dataKey);
            return new DataKey(dataKey, KeyWrap.Wrap(scopeKek, ScopeKeyEncryptionKeyVersion, dataKey, bindingDigest, random, suite));
        }
        catch
        {
            CryptographicOperations.ZeroMemory(dataKey);
            throw;
        }
    }

    public DataKey UnwrapDataKeyUnderScope(ReadOnlySpan<byte> scopeKek, byte[] wrappedDataKey, ReadOnlySpan<byte> bindingDigest) =>
        new(KeyWrap.Unwrap(scopeKek, wrappedDataKey, bindingDigest), wrappedDataKey);

    /// <summary>
    /// A fresh data key wrapped under the customer's key and then under the account KEK, both
    /// bound to the object. Neither wrap alone yields the data key.
    /// </summary>
    public DataKey NewCustomerProvidedDataKey(string account, uint kekVersion, ReadOnlySpan<byte> wrappedKeyEncryptionKey, ReadOnlySpan<byte> customerKey, ReadOnlySpan<byte> bindingDigest)
    {
        var kek = UnwrapKeyEncryptionKey(account, kekVersion, wrappedKeyEncryptionKey);
        var dataKey = new byte[Limits.DataKeyBytes];
        try
        {
            random.Fill(dataKey);
            var inner = KeyWrap.Wrap(customerKey, CustomerProvidedKeyVersion, dataKey, bindingDigest, random);
            var outer = KeyWrap.Wrap(kek, kekVersion, inner, bindingDigest, random);
            return new DataKey(dataKey, outer);
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
    /// IntegrityCheckFailed when either layer does not unwrap (a wrong key included). As with
    /// <see cref="UnwrapDataKey"/>, <paramref name="kekVersion"/> must be the version recorded in the
    /// outer layer, and the inner layer must be stamped <see cref="CustomerProvidedKeyVersion"/>.
    /// </summary>
    public DataKey UnwrapCustomerProvidedDataKey(string account, uint kekVersion, ReadOnlySpan<byte> wrappedKeyEncryptionKey, ReadOnlySpan<byte> customerKey, byte[] wrappedDataKey, ReadOnlySpan<byte> bindingDigest)
    {
        if (KeyWrap.WrappingKeyVersion(wrappedDataKey) != kekVersion)
        {
            throw new StorageException(ErrorCode.IntegrityCheckFailed, "The data key was not wrapped by the key-encryption-key version given.");
        }

        var kek = UnwrapKeyEncryptionKey(account, kekVersion, wrappedKeyEncryptionKey);
        try
        {
            // The inner layer is still ciphertext under the customer's key: nothing to wipe.
            var inner = KeyWrap.Unwrap(kek, wrappedDataKey, bindingDigest);
            if (KeyWrap.WrappingKeyVersion(inner) != CustomerProvidedKeyVersion)
            {
                throw new StorageException(ErrorCode.IntegrityCheckFailed, "The inner layer was not wrapped by a customer-provided key.");
            }

            return new DataKey(KeyWrap.Unwrap(customerKey, inner, bindingDigest), wrappedDataKey);
        }
        finally
        {
            CryptographicOperations.ZeroMemory(kek);
        }
    }

    private static string ScopePurpose(string scope) => "scope-kek:" + scope;
}
