using Strongroom.Core;
using Strongroom.Vault;
using Xunit;

namespace Strongroom.Vault.Tests;

public sealed class KeyringTests : IDisposable
{
    private readonly string directory = Directory.CreateTempSubdirectory("strongroom-vault-").FullName;

    public void Dispose() => Directory.Delete(directory, recursive: true);

    private static RootKey FixedRootKey() => new(Enumerable.Range(0, 32).Select(i => (byte)i).ToArray());

    [Fact]
    public void Keyring_file_format_is_frozen()
    {
        var path = Path.Combine(directory, "keyring");
        using (var rootKey = FixedRootKey())
        using (Keyring.OpenOrCreate(path, rootKey, new SeededRandomSource(1)))
        {
        }

        // "SRKR" · format 1 · KeyWrap(root key, version 0, [u32 version 1 · 32 key bytes], "keyring").
        var file = File.ReadAllBytes(path);
        Assert.Equal("SRKR"u8.ToArray(), file[..4]);
        Assert.Equal(1, file[4]);
        Assert.Equal(1 + 4 + 12 + (4 + 32) + 16, file.Length - 5);
        Assert.Equal(0u, Strongroom.Crypto.KeyWrap.WrappingKeyVersion(file.AsSpan(5)));
        Assert.Equal(Golden, Convert.ToHexStringLower(file));
    }

    private const string Golden =
        "53524b520101000000009ce3c1176ce48e824e0221beeb1bd159a1777f6f9e7a2b3a72f378d919985812e66fb0985739fc15aa5659e10e1d54ac8caaf57ae7fcdb156d13e5c4b8fce71b";

    [Fact]
    public void Reopening_with_the_same_root_key_unwraps_what_was_wrapped()
    {
        var path = Path.Combine(directory, "keyring");
        byte[] wrapped;
        using (var rootKey = FixedRootKey())
        using (var keyring = Keyring.OpenOrCreate(path, rootKey, new SeededRandomSource(2)))
        {
            wrapped = keyring.Wrap("secret"u8, "context"u8);
        }

        using var again = FixedRootKey();
        using var reopened = Keyring.OpenOrCreate(path, again, new SeededRandomSource(3));
        Assert.Equal("secret"u8.ToArray(), reopened.Unwrap(wrapped, "context"u8));
        Assert.Equal(1u, reopened.CurrentVersion);
    }

    [Fact]
    public void A_different_root_key_does_not_open_the_keyring()
    {
        var path = Path.Combine(directory, "keyring");
        using (var rootKey = FixedRootKey())
        using (Keyring.OpenOrCreate(path, rootKey, new SeededRandomSource(4)))
        {
        }

        using var wrong = new RootKey(new byte[32]);
        Assert.Throws<System.Security.Cryptography.CryptographicException>(() => Keyring.OpenOrCreate(path, wrong, new SeededRandomSource(5)));
    }

    [Fact]
    public void A_damaged_keyring_file_is_refused()
    {
        var path = Path.Combine(directory, "keyring");
        File.WriteAllBytes(path, "not a keyring"u8.ToArray());
        using var rootKey = FixedRootKey();
        Assert.Throws<InvalidDataException>(() => Keyring.OpenOrCreate(path, rootKey, new SeededRandomSource(6)));
    }

    [Fact]
    public void Unwrap_with_other_associated_data_fails_as_an_integrity_error()
    {
        using var rootKey = FixedRootKey();
        using var keyring = Keyring.OpenOrCreate(Path.Combine(directory, "keyring"), rootKey, new SeededRandomSource(7));
        var wrapped = keyring.Wrap("secret"u8, "tenant-a"u8);
        var error = Assert.Throws<StorageException>(() => keyring.Unwrap(wrapped, "tenant-b"u8));
        Assert.Equal(ErrorCode.IntegrityCheckFailed, error.Code);
    }

    [Fact]
    public void Root_key_file_is_created_once_owner_only_and_reloaded()
    {
        var path = Path.Combine(directory, "vault", "root.key");
        using (FileRootKey.LoadOrCreate(path, new SeededRandomSource(8), out var created))
        {
            Assert.True(created);
        }

        var first = File.ReadAllBytes(path);
        using (FileRootKey.LoadOrCreate(path, new SeededRandomSource(9), out var createdAgain))
        {
            Assert.False(createdAgain);
        }

        Assert.Equal(first, File.ReadAllBytes(path));
        if (!OperatingSystem.IsWindows())
        {
            Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(path));
        }
    }

    [Fact]
    public void A_truncated_root_key_file_is_refused()
    {
        var path = Path.Combine(directory, "root.key");
        File.WriteAllBytes(path, new byte[5]);
        Assert.Throws<InvalidDataException>(() => FileRootKey.LoadOrCreate(path, new SeededRandomSource(10), out _));
    }
}
