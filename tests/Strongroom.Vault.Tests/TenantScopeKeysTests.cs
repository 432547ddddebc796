using System.Security.Cryptography;
using Strongroom.Core;
using Strongroom.Crypto;
using Strongroom.Vault;
using Xunit;

namespace Strongroom.Vault.Tests;

/// <summary>Scope key-encryption keys and customer-provided-key wrapping.</summary>
public sealed class TenantScopeKeysTests : IDisposable
{
    private readonly string directory = Directory.CreateTempSubdirectory("strongroom-scopekeys-").FullName;
    private readonly RootKey rootKey = new(new byte[32]);
    private readonly Keyring keyring;
    private readonly TenantKeys keys;
    private readonly byte[] binding = ObjectBinding.Digest("tenanta", "c", "b", "0123456789abcdef0123456789abcdef");

    public TenantScopeKeysTests()
    {
        keyring = Keyring.OpenOrCreate(Path.Combine(directory, "keyring"), rootKey, new SeededRandomSource(21));
        keys = new TenantKeys(keyring, new SeededRandomSource(22));
    }

    public void Dispose()
    {
        keyring.Dispose();
        rootKey.Dispose();
        Directory.Delete(directory, recursive: true);
    }

    [Fact]
    public void A_platform_scope_key_unwraps_only_for_its_account_and_scope()
    {
        var kek = keys.NewScopeKeyEncryptionKey();
        Assert.Equal(32, kek.Length);
        var wrapped = keys.WrapPlatformScopeKey("tenanta", "scope-a", kek);
        Assert.Equal(kek, keys.UnwrapPlatformScopeKey("tenanta", "scope-a", wrapped));
        Assert.Equal(-1, wrapped.AsSpan().IndexOf(kek));
        Assert.Equal(ErrorCode.IntegrityCheckFailed, Assert.Throws<StorageException>(() => keys.UnwrapPlatformScopeKey("tenanta", "scope-b", wrapped)).Code);
        Assert.Equal(ErrorCode.IntegrityCheckFailed, Assert.Throws<StorageException>(() => keys.UnwrapPlatformScopeKey("tenantb", "scope-a", wrapped)).Code);
    }

    [Fact]
    public void Data_keys_under_a_scope_need_that_scopes_key()
    {
        var kek = keys.NewScopeKeyEncryptionKey();
        var other = keys.NewScopeKeyEncryptionKey();
        using var created = keys.NewDataKeyUnderScope(kek, binding);
        using var unwrapped = keys.UnwrapDataKeyUnderScope(kek, created.Wrapped, binding);
        Assert.Equal(created.Key.ToArray(), unwrapped.Key.ToArray());
        Assert.Equal(TenantKeys.ScopeKeyEncryptionKeyVersion, KeyWrap.WrappingKeyVersion(created.Wrapped));
        Assert.Throws<StorageException>(() => keys.UnwrapDataKeyUnderScope(other, created.Wrapped, binding));
    }

    [Fact]
    public void A_customer_provided_data_key_needs_both_the_customer_key_and_the_account_kek()
    {
        var accountKek = keys.NewWrappedKeyEncryptionKey("tenanta");
        var customer = RandomNumberGenerator.GetBytes(32);
        using var created = keys.NewCustomerProvidedDataKey("tenanta", 1, accountKek, customer, binding);
        using (var unwrapped = keys.UnwrapCustomerProvidedDataKey("tenanta", 1, accountKek, customer, created.Wrapped, binding))
        {
            Assert.Equal(created.Key.ToArray(), unwrapped.Key.ToArray());
        }

        // Neither key alone opens it: the account KEK yields only the inner wrap, a wrong customer key fails.
        using (var outerOnly = keys.UnwrapDataKey("tenanta", 1, accountKek, created.Wrapped, binding))
        {
            Assert.Equal(KeyWrap.WrappedLength(Limits.DataKeyBytes), outerOnly.Key.Length);
            Assert.Equal(-1, outerOnly.Key.Span.IndexOf(created.Key.Span));
        }

        Assert.Throws<StorageException>(() => keys.UnwrapCustomerProvidedDataKey("tenanta", 1, accountKek, new byte[32], created.Wrapped, binding));
        Assert.Throws<StorageException>(() => keys.UnwrapCustomerProvidedDataKey("tenanta", 1, keys.NewWrappedKeyEncryptionKey("tenanta"), customer, created.Wrapped, binding));
        Assert.Equal(-1, created.Wrapped.AsSpan().IndexOf(customer));
    }

    [Fact]
    public void A_customer_provided_data_key_needs_the_key_encryption_key_version_that_wrapped_it()
    {
        using var cache = new UnwrappedKeyCache(capacity: 4);
        var cached = new TenantKeys(keyring, new SeededRandomSource(23), cache);
        var v1 = cached.NewWrappedKeyEncryptionKey("tenanta");
        var v2 = cached.NewWrappedKeyEncryptionKey("tenanta", 2);
        var customer = RandomNumberGenerator.GetBytes(32);
        using var created = cached.NewCustomerProvidedDataKey("tenanta", 1, v1, customer, binding);
        cache.Clear();

        // Refused like UnwrapDataKey: before anything is unwrapped, so nothing enters the cache.
        var error = Assert.Throws<StorageException>(() => cached.UnwrapCustomerProvidedDataKey("tenanta", 2, v2, customer, created.Wrapped, binding));
        Assert.Equal(ErrorCode.IntegrityCheckFailed, error.Code);
        Assert.Equal(0, cache.Count);

        using var unwrapped = cached.UnwrapCustomerProvidedDataKey("tenanta", 1, v1, customer, created.Wrapped, binding);
        Assert.Equal(created.Key.ToArray(), unwrapped.Key.ToArray());
        Assert.Equal(1, cache.Count);
    }

    [Fact]
    public void A_customer_provided_data_key_whose_inner_layer_is_not_stamped_as_customer_provided_is_refused()
    {
        var accountKek = keys.NewWrappedKeyEncryptionKey("tenanta");
        var customer = RandomNumberGenerator.GetBytes(32);
        var dataKey = RandomNumberGenerator.GetBytes(Limits.DataKeyBytes);
        var kek = keyring.Unwrap(accountKek, Keyring.AssociatedData("account-kek", "tenanta"));
        try
        {
            var random = new SeededRandomSource(24);
            var inner = KeyWrap.Wrap(customer, 7, dataKey, binding, random);
            var outer = KeyWrap.Wrap(kek, 1, inner, binding, random);
            var error = Assert.Throws<StorageException>(() => keys.UnwrapCustomerProvidedDataKey("tenanta", 1, accountKek, customer, outer, binding));
            Assert.Equal(ErrorCode.IntegrityCheckFailed, error.Code);

            // The same layers with the inner stamp right do open: only the stamp was refused.
            var good = KeyWrap.Wrap(kek, 1, KeyWrap.Wrap(customer, TenantKeys.CustomerProvidedKeyVersion, dataKey, binding, random), binding, random);
            using var unwrapped = keys.UnwrapCustomerProvidedDataKey("tenanta", 1, accountKek, customer, good, binding);
            Assert.Equal(dataKey, unwrapped.Key.ToArray());
        }
        finally
        {
            CryptographicOperations.ZeroMemory(kek);
        }
    }
}
