using Strongroom.Core;
using static Strongroom.Crypto.Tests.Fixtures;

namespace Strongroom.Crypto.Tests;

public sealed class KeyWrapTests
{
    private static readonly byte[] Key = DataKey(first: 50);
    private static readonly byte[] Secret = Plaintext(32, seed: 5);

    [Theory]
    [InlineData(0)]
    [InlineData(1)]
    [InlineData(32)]
    [InlineData(64)]
    public void Round_trips(int secretBytes)
    {
        var secret = Plaintext(secretBytes, seed: 3);
        var wrapped = KeyWrap.Wrap(Key, 3, secret, "aad"u8, SystemRandomSource.Instance);

        Assert.Equal(secretBytes + KeyWrap.OverheadBytes, wrapped.Length);
        Assert.Equal(3u, KeyWrap.WrappingKeyVersion(wrapped));
        Assert.Equal(secret, KeyWrap.Unwrap(Key, wrapped, "aad"u8));
    }

    [Fact]
    public void Long_associated_data_round_trips()
    {
        var aad = Plaintext(1000, seed: 8);
        var wrapped = KeyWrap.Wrap(Key, 1, Secret, aad, SystemRandomSource.Instance);
        Assert.Equal(Secret, KeyWrap.Unwrap(Key, wrapped, aad));
        AssertIntegrityFailure(() => KeyWrap.Unwrap(Key, wrapped, aad.AsSpan(1)));
    }

    [Fact]
    public void Wrong_associated_data_fails()
    {
        var wrapped = KeyWrap.Wrap(Key, 1, Secret, "tenant-a/c/b"u8, SystemRandomSource.Instance);
        AssertIntegrityFailure(() => KeyWrap.Unwrap(Key, wrapped, "tenant-b/c/b"u8));
        AssertIntegrityFailure(() => KeyWrap.Unwrap(Key, wrapped, []));
    }

    [Fact]
    public void Wrong_key_fails()
    {
        var wrapped = KeyWrap.Wrap(Key, 1, Secret, "aad"u8, SystemRandomSource.Instance);
        AssertIntegrityFailure(() => KeyWrap.Unwrap(DataKey(first: 51), wrapped, "aad"u8));
    }

    [Fact]
    public void Edited_key_version_fails()
    {
        var wrapped = KeyWrap.Wrap(Key, 1, Secret, "aad"u8, SystemRandomSource.Instance);
        wrapped[4] = 2;
        Assert.Equal(2u, KeyWrap.WrappingKeyVersion(wrapped));
        AssertIntegrityFailure(() => KeyWrap.Unwrap(Key, wrapped, "aad"u8));
    }

    [Fact]
    public void Tampered_or_malformed_input_fails()
    {
        var wrapped = KeyWrap.Wrap(Key, 1, Secret, "aad"u8, SystemRandomSource.Instance);

        for (var i = 0; i < wrapped.Length; i++)
        {
            var tampered = (byte[])wrapped.Clone();
            tampered[i] ^= 0x01;
            AssertIntegrityFailure(() => KeyWrap.Unwrap(Key, tampered, "aad"u8));
        }

        AssertIntegrityFailure(() => KeyWrap.Unwrap(Key, wrapped[..^1], "aad"u8));
        AssertIntegrityFailure(() => KeyWrap.Unwrap(Key, wrapped[..(KeyWrap.OverheadBytes - 1)], "aad"u8));
        AssertIntegrityFailure(() => KeyWrap.Unwrap(Key, [], "aad"u8));
        AssertIntegrityFailure(() => KeyWrap.WrappingKeyVersion(wrapped[..10]));

        // Format versions 1 (AES-256-GCM) and 2 (SM4-GCM) exist; anything else is malformed.
        foreach (byte unknown in (byte[])[0, 3, 0xFF])
        {
            var badVersion = (byte[])wrapped.Clone();
            badVersion[0] = unknown;
            AssertIntegrityFailure(() => KeyWrap.WrappingKeyVersion(badVersion));
            AssertIntegrityFailure(() => KeyWrap.Unwrap(Key, badVersion, "aad"u8));
        }
    }

    [Fact]
    public void Wrapping_key_must_be_32_bytes()
    {
        Assert.Throws<ArgumentException>(() => KeyWrap.Wrap(new byte[16], 1, Secret, [], SystemRandomSource.Instance));
        var wrapped = KeyWrap.Wrap(Key, 1, Secret, [], SystemRandomSource.Instance);
        Assert.Throws<ArgumentException>(() => KeyWrap.Unwrap(new byte[31], wrapped, []));
    }

    [Fact]
    public void Nonces_are_fresh()
    {
        var first = KeyWrap.Wrap(Key, 1, Secret, [], SystemRandomSource.Instance);
        var second = KeyWrap.Wrap(Key, 1, Secret, [], SystemRandomSource.Instance);
        Assert.NotEqual(first, second);
    }

    private static void AssertIntegrityFailure(Action action)
    {
        var error = Assert.Throws<StorageException>(action);
        Assert.Equal(ErrorCode.IntegrityCheckFailed, error.Code);
    }
}
