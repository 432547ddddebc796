using System.Security.Cryptography;
using Strongroom.Core;
using Strongroom.Crypto;
using Strongroom.Vault;
using Xunit;

namespace Strongroom.Vault.Tests;

public sealed class KeyringRotationTests : IDisposable
{
    private readonly string directory = Directory.CreateTempSubdirectory("strongroom-rotation-").FullName;

    public void Dispose() => Directory.Delete(directory, recursive: true);

    private string KeyringPath => Path.Combine(directory, "keyring");

    private static RootKey FixedRootKey() => new(Enumerable.Range(0, 32).Select(i => (byte)i).ToArray());

    [Fact]
    public void Rotate_adds_a_current_version_saved_in_the_file_and_old_versions_keep_unwrapping()
    {
        byte[] oldWrapped;
        byte[] newWrapped;
        using (var rootKey = FixedRootKey())
        using (var keyring = Keyring.OpenOrCreate(KeyringPath, rootKey, new SeededRandomSource(1)))
        {
            oldWrapped = keyring.Wrap("old"u8, "ctx"u8);
            Assert.Equal(2u, keyring.Rotate(rootKey));
            Assert.Equal(2u, keyring.CurrentVersion);
            Assert.Equal([1u, 2u], keyring.Versions);
            newWrapped = keyring.Wrap("new"u8, "ctx"u8);
            Assert.Equal(2u, KeyWrap.WrappingKeyVersion(newWrapped));
            Assert.Equal("old"u8.ToArray(), keyring.Unwrap(oldWrapped, "ctx"u8));
        }

        // Across a restart: the file holds both versions, in the same frozen format.
        var file = File.ReadAllBytes(KeyringPath);
        Assert.Equal("SRKR"u8.ToArray(), file[..4]);
        Assert.Equal(1, file[4]);
        Assert.Equal(1 + 4 + 12 + (2 * (4 + 32)) + 16, file.Length - 5);
        using var again = FixedRootKey();
        using var reopened = Keyring.OpenOrCreate(KeyringPath, again, new SeededRandomSource(2));
        Assert.Equal(2u, reopened.CurrentVersion);
        Assert.Equal("old"u8.ToArray(), reopened.Unwrap(oldWrapped, "ctx"u8));
        Assert.Equal("new"u8.ToArray(), reopened.Unwrap(newWrapped, "ctx"u8));
        Assert.False(File.Exists(KeyringPath + $".{Environment.ProcessId}.partial"));
    }

    [Fact]
    public void Rotate_with_a_wrong_root_key_fails_and_leaves_the_file_as_it_was()
    {
        using var rootKey = FixedRootKey();
        using var keyring = Keyring.OpenOrCreate(KeyringPath, rootKey, new SeededRandomSource(3));
        var before = File.ReadAllBytes(KeyringPath);

        using var wrong = new RootKey(new byte[32]);
        Assert.Throws<CryptographicException>(() => keyring.Rotate(wrong));
        Assert.Equal(before, File.ReadAllBytes(KeyringPath));
        Assert.Equal(1u, keyring.CurrentVersion);
    }

    [Fact]
    public void Rotate_refuses_a_damaged_keyring_file()
    {
        using var rootKey = FixedRootKey();
        using var keyring = Keyring.OpenOrCreate(KeyringPath, rootKey, new SeededRandomSource(4));
        File.WriteAllBytes(KeyringPath, "damaged"u8.ToArray());

        Assert.Throws<InvalidDataException>(() => keyring.Rotate(rootKey));
        Assert.Equal(1u, keyring.CurrentVersion);
    }

    [Fact]
    public void A_keyring_rotated_by_another_process_is_reloaded_when_an_unknown_version_appears()
    {
        using var rootKey = FixedRootKey();
        using var server = Keyring.OpenOrCreate(KeyringPath, rootKey, new SeededRandomSource(5));
        using var cli = Keyring.OpenOrCreate(KeyringPath, rootKey, new SeededRandomSource(6));
        Assert.Equal(2u, cli.Rotate(rootKey));
        var wrapped = cli.Wrap("secret"u8, "ctx"u8);

        Assert.Equal(ErrorCode.IntegrityCheckFailed, Assert.Throws<StorageException>(() => server.Unwrap(wrapped, "ctx"u8)).Code);

        server.ReloadWhenVersionUnknown = () => server.Reload(rootKey);
        Assert.Equal("secret"u8.ToArray(), server.Unwrap(wrapped, "ctx"u8));
        Assert.Equal(2u, server.CurrentVersion);

        // A rotation in the server now starts from the file, so the CLI's version 2 is kept.
        Assert.Equal(3u, server.Rotate(rootKey));
        using var reopened = Keyring.OpenOrCreate(KeyringPath, rootKey, new SeededRandomSource(7));
        Assert.Equal([1u, 2u, 3u], reopened.Versions);
        Assert.Equal("secret"u8.ToArray(), reopened.Unwrap(wrapped, "ctx"u8));
    }
}

public sealed class AccountKeyVersionTests : IDisposable
{
    private readonly string directory = Directory.CreateTempSubdirectory("strongroom-kek-").FullName;
    private readonly RootKey rootKey = new(new byte[32]);
    private readonly Keyring keyring;
    private readonly UnwrappedKeyCache cache = new(capacity: 4);
    private readonly TenantKeys keys;

    public AccountKeyVersionTests()
    {
        keyring = Keyring.OpenOrCreate(Path.Combine(directory, "keyring"), rootKey, new SeededRandomSource(21));
        keys = new TenantKeys(keyring, new SeededRandomSource(22), cache);
    }

    public void Dispose()
    {
        cache.Dispose();
        keyring.Dispose();
        rootKey.Dispose();
        Directory.Delete(directory, recursive: true);
    }

    private static byte[] Binding(string objectId = "0123456789abcdef0123456789abcdef") => ObjectBinding.Digest("tenanta", "box", "b", objectId);

    [Fact]
    public void Data_keys_record_and_need_their_key_encryption_key_version()
    {
        var v1 = keys.NewWrappedKeyEncryptionKey("tenanta");
        var v2 = keys.NewWrappedKeyEncryptionKey("tenanta", 2);
        using var old = keys.NewDataKey("tenanta", 1, v1, Binding());
        using var fresh = keys.NewDataKey("tenanta", 2, v2, Binding());
        Assert.Equal(1u, TenantKeys.WrappingVersion(old.Wrapped));
        Assert.Equal(2u, TenantKeys.WrappingVersion(fresh.Wrapped));

        using (var unwrapped = keys.UnwrapDataKey("tenanta", 1, v1, old.Wrapped, Binding()))
        {
            Assert.Equal(old.Key.ToArray(), unwrapped.Key.ToArray());
        }

        // The wrong version, or a key-encryption key moved to another version's row, does not unwrap.
        Assert.Equal(ErrorCode.IntegrityCheckFailed, Assert.Throws<StorageException>(() => keys.UnwrapDataKey("tenanta", 2, v2, old.Wrapped, Binding())).Code);
        Assert.Equal(ErrorCode.IntegrityCheckFailed, Assert.Throws<StorageException>(() => keys.NewDataKey("tenanta", 3, v2, Binding())).Code);
    }

    [Fact]
    public void Rewrapping_a_data_key_keeps_the_key_and_changes_its_version()
    {
        var v1 = new AccountKeyEncryptionKey("tenanta", 1, keys.NewWrappedKeyEncryptionKey("tenanta"), default);
        var v2 = new AccountKeyEncryptionKey("tenanta", 2, keys.NewWrappedKeyEncryptionKey("tenanta", 2), default);
        using var original = keys.NewDataKey("tenanta", 1, v1.Wrapped, Binding());

        var rewrapped = keys.RewrapDataKey("tenanta", v1, v2, original.Wrapped, Binding());

        Assert.Equal(2u, TenantKeys.WrappingVersion(rewrapped));
        using var unwrapped = keys.UnwrapDataKey("tenanta", 2, v2.Wrapped, rewrapped, Binding());
        Assert.Equal(original.Key.ToArray(), unwrapped.Key.ToArray());
        Assert.Throws<StorageException>(() => keys.RewrapDataKey("tenanta", v1, v2, original.Wrapped, Binding("ffffffffffffffffffffffffffffffff")));
    }

    [Fact]
    public void Rewrapping_platform_values_moves_them_to_the_current_keyring_version()
    {
        var (sharedKey, wrappedShared) = keys.NewSharedKey("tenanta", 1);
        var kek = keys.NewWrappedKeyEncryptionKey("tenanta", 2);
        keyring.Rotate(rootKey);

        var shared2 = keys.RewrapSharedKey("tenanta", 1, wrappedShared);
        var kek2 = keys.RewrapKeyEncryptionKey("tenanta", 2, kek);

        Assert.Equal(2u, TenantKeys.WrappingVersion(shared2));
        Assert.Equal(2u, TenantKeys.WrappingVersion(kek2));
        Assert.Equal(sharedKey, keys.UnwrapSharedKey("tenanta", 1, shared2));
        using var viaOld = keys.NewDataKey("tenanta", 2, kek, Binding());
        using var viaNew = keys.UnwrapDataKey("tenanta", 2, kek2, viaOld.Wrapped, Binding());
        Assert.Equal(viaOld.Key.ToArray(), viaNew.Key.ToArray());
    }
}

public sealed class UnwrappedKeyCacheTests
{
    private static byte[] Key(byte fill) => Enumerable.Repeat(fill, 32).ToArray();

    [Fact]
    public void Hits_only_for_the_same_account_version_and_wrapped_bytes()
    {
        using var cache = new UnwrappedKeyCache(capacity: 4);
        cache.Add("a", 1, [1, 2, 3], Key(7));
        var copy = new byte[32];

        Assert.True(cache.TryCopy("a", 1, [1, 2, 3], copy));
        Assert.Equal(Key(7), copy);
        Assert.False(cache.TryCopy("a", 2, [1, 2, 3], copy));
        Assert.False(cache.TryCopy("b", 1, [1, 2, 3], copy));
        Assert.False(cache.TryCopy("a", 1, [1, 2, 4], copy)); // rewrapped or re-created: a miss, never a stale key
    }

    [Fact]
    public void Kinds_of_keys_do_not_collide()
    {
        using var cache = new UnwrappedKeyCache(capacity: 4);
        cache.Add(CachedKeyKind.SharedKey, "a", 1, [1], Enumerable.Repeat((byte)5, 64).ToArray());
        cache.Add("a", 1, [1], Key(7));

        var shared = new byte[64];
        var kek = new byte[32];
        Assert.True(cache.TryCopy(CachedKeyKind.SharedKey, "a", 1, [1], shared));
        Assert.True(cache.TryCopy("a", 1, [1], kek));
        Assert.Equal(Enumerable.Repeat((byte)5, 64), shared);
        Assert.Equal(Key(7), kek);
        Assert.False(cache.TryCopy(CachedKeyKind.SharedKey, "a", 2, [1], shared));

        cache.Remove("a");
        Assert.Equal(0, cache.Count);
    }

    [Fact]
    public void Is_bounded_evicts_the_least_recently_used_and_wipes_what_leaves()
    {
        using var cache = new UnwrappedKeyCache(capacity: 2);
        var wiped = new List<byte[]>();
        cache.Wiped = wiped.Add;
        cache.Add("a", 1, [1], Key(1));
        cache.Add("b", 1, [2], Key(2));
        Assert.True(cache.TryCopy("a", 1, [1], new byte[32])); // a is now the most recent

        cache.Add("c", 1, [3], Key(3));

        Assert.Equal(2, cache.Count);
        Assert.False(cache.TryCopy("b", 1, [2], new byte[32]));
        Assert.True(cache.TryCopy("a", 1, [1], new byte[32]));
        Assert.True(cache.TryCopy("c", 1, [3], new byte[32]));
        var evicted = Assert.Single(wiped);
        Assert.All(evicted, b => Assert.Equal(0, b));

        // Replacing an entry (same account and version, new wrapped bytes) wipes the old key.
        cache.Add("a", 1, [9], Key(4));
        Assert.Equal(2, wiped.Count);
        Assert.All(wiped[1], b => Assert.Equal(0, b));
    }

    [Fact]
    public void Remove_clear_and_dispose_wipe_every_key()
    {
        var cache = new UnwrappedKeyCache(capacity: 8);
        var wiped = new List<byte[]>();
        cache.Wiped = wiped.Add;
        cache.Add("a", 1, [1], Key(1));
        cache.Add("a", 2, [2], Key(2));
        cache.Add("b", 1, [3], Key(3));
        cache.Add("c", 1, [4], Key(4));

        cache.Remove("a");
        Assert.Equal(2, cache.Count);
        Assert.Equal(2, wiped.Count);

        cache.Clear();
        Assert.Equal(0, cache.Count);
        Assert.Equal(4, wiped.Count);

        cache.Add("d", 1, [5], Key(5));
        cache.Dispose();
        Assert.Equal(5, wiped.Count);
        Assert.All(wiped, key => Assert.All(key, b => Assert.Equal(0, b)));

        cache.Add("e", 1, [6], Key(6)); // after dispose nothing is kept
        Assert.Equal(0, cache.Count);
    }

    [Fact]
    public void Tenant_keys_unwrap_an_account_key_through_the_keyring_once()
    {
        var directory = Directory.CreateTempSubdirectory("strongroom-cache-").FullName;
        try
        {
            using var rootKey = new RootKey(new byte[32]);
            using var keyring = Keyring.OpenOrCreate(Path.Combine(directory, "keyring"), rootKey, new SeededRandomSource(31));
            using var cache = new UnwrappedKeyCache(capacity: 2);
            var keys = new TenantKeys(keyring, new SeededRandomSource(32), cache);
            var kek = keys.NewWrappedKeyEncryptionKey("tenanta");
            var binding = ObjectBinding.Digest("tenanta", "box", "b", "0123456789abcdef0123456789abcdef");

            using var first = keys.NewDataKey("tenanta", 1, kek, binding);
            Assert.Equal(1, cache.Count);

            // A cached key is used without the keyring: a disposed (wiped) keyring would fail the unwrap.
            keyring.Dispose();
            using var second = keys.UnwrapDataKey("tenanta", 1, kek, first.Wrapped, binding);
            Assert.Equal(first.Key.ToArray(), second.Key.ToArray());

            keys.Forget("tenanta");
            Assert.Equal(0, cache.Count);
        }
        finally
        {
            Directory.Delete(directory, recursive: true);
        }
    }
}
