using Strongroom.Core;
using Strongroom.Crypto;
using Strongroom.Vault;
using Xunit;

namespace Strongroom.Vault.Tests;

public sealed class TenantKeysTests : IDisposable
{
    private readonly string directory = Directory.CreateTempSubdirectory("strongroom-tenant-").FullName;
    private readonly RootKey rootKey = new(new byte[32]);
    private readonly Keyring keyring;
    private readonly TenantKeys keys;

    public TenantKeysTests()
    {
        keyring = Keyring.OpenOrCreate(Path.Combine(directory, "keyring"), rootKey, new SeededRandomSource(11));
        keys = new TenantKeys(keyring, new SeededRandomSource(12));
    }

    public void Dispose()
    {
        keyring.Dispose();
        rootKey.Dispose();
        Directory.Delete(directory, recursive: true);
    }

    [Fact]
    public void Data_keys_unwrap_only_for_their_account_and_object()
    {
        var kek = keys.NewWrappedKeyEncryptionKey("tenanta");
        var binding = ObjectBinding.Digest("tenanta", "c", "b", "0123456789abcdef0123456789abcdef");
        using var created = keys.NewDataKey("tenanta", 1, kek, binding);
        using var unwrapped = keys.UnwrapDataKey("tenanta", 1, kek, created.Wrapped, binding);
        Assert.Equal(created.Key.ToArray(), unwrapped.Key.ToArray());

        var otherObject = ObjectBinding.Digest("tenanta", "c", "b", "ffffffffffffffffffffffffffffffff");
        Assert.Equal(ErrorCode.IntegrityCheckFailed, Assert.Throws<StorageException>(() => keys.UnwrapDataKey("tenanta", 1, kek, created.Wrapped, otherObject)).Code);

        // Another tenant's key-encryption key cannot be passed off as this tenant's.
        Assert.Equal(ErrorCode.IntegrityCheckFailed, Assert.Throws<StorageException>(() => keys.UnwrapDataKey("tenantb", 1, kek, created.Wrapped, binding)).Code);
    }

    [Fact]
    public void Shared_keys_are_512_bits_and_bound_to_account_and_slot()
    {
        var (key, wrapped) = keys.NewSharedKey("tenanta", 1);
        Assert.Equal(64, key.Length);
        Assert.Equal(key, keys.UnwrapSharedKey("tenanta", 1, wrapped));
        Assert.Throws<StorageException>(() => keys.UnwrapSharedKey("tenanta", 2, wrapped));
        Assert.Throws<StorageException>(() => keys.UnwrapSharedKey("tenantb", 1, wrapped));
    }

    [Fact]
    public void Wrapped_values_record_the_platform_key_version()
    {
        var wrapped = keys.NewWrappedKeyEncryptionKey("tenanta");
        Assert.Equal(keyring.CurrentVersion, KeyWrap.WrappingKeyVersion(wrapped));
    }
}
