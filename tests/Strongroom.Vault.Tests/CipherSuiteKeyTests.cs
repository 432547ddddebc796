using Strongroom.Core;
using Strongroom.Crypto;
using Strongroom.Vault;
using Xunit;

namespace Strongroom.Vault.Tests;

/// <summary>Under an SM4 account, data keys are wrapped with SM4 (key-wrap format 2); the platform layers stay AES.</summary>
public sealed class CipherSuiteKeyTests : IDisposable
{
    private readonly string directory = Directory.CreateTempSubdirectory("strongroom-suite-").FullName;
    private readonly RootKey rootKey = new(new byte[32]);
    private readonly Keyring keyring;
    private readonly TenantKeys keys;

    public CipherSuiteKeyTests()
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

    [Theory]
    [InlineData(CipherSuite.Aes256Gcm)]
    [InlineData(CipherSuite.Sm4Gcm)]
    public void Data_keys_are_wrapped_with_the_accounts_suite(CipherSuite suite)
    {
        var kek = keys.NewWrappedKeyEncryptionKey("tenanta");
        var binding = ObjectBinding.Digest(suite, "tenanta", "c", "b", "0123456789abcdef0123456789abcdef");
        using var created = keys.NewDataKey("tenanta", 1, kek, binding, suite);
        Assert.Equal(suite, KeyWrap.CipherSuiteOf(created.Wrapped));
        Assert.Equal(32, created.Key.Length);

        using var unwrapped = keys.UnwrapDataKey("tenanta", 1, kek, created.Wrapped, binding);
        Assert.Equal(created.Key.ToArray(), unwrapped.Key.ToArray());

        var otherObject = ObjectBinding.Digest(suite, "tenanta", "c", "b", "ffffffffffffffffffffffffffffffff");
        Assert.Equal(ErrorCode.IntegrityCheckFailed, Assert.Throws<StorageException>(() => keys.UnwrapDataKey("tenanta", 1, kek, created.Wrapped, otherObject)).Code);
        Assert.Equal(ErrorCode.IntegrityCheckFailed, Assert.Throws<StorageException>(() => keys.UnwrapDataKey("tenantb", 1, kek, created.Wrapped, binding)).Code);
    }

    [Fact]
    public void The_keyring_and_account_keys_stay_aes()
    {
        // The platform layers (keyring, account key-encryption keys, shared keys) are AES-256-GCM
        // whatever an account's suite; only the per-object layer follows the account.
        Assert.Equal(CipherSuite.Aes256Gcm, KeyWrap.CipherSuiteOf(keys.NewWrappedKeyEncryptionKey("tenanta")));
        Assert.Equal(CipherSuite.Aes256Gcm, KeyWrap.CipherSuiteOf(keys.NewSharedKey("tenanta", 1).Wrapped));
    }
}
