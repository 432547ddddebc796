using System.Buffers.Binary;
using System.Text;
using Strongroom.Core;
using static Strongroom.Crypto.Tests.Fixtures;

namespace Strongroom.Crypto.Tests;

/// <summary>
/// Persisted formats are frozen: these bytes must never change. A failure here means stored
/// data would no longer read; add a new format version instead.
/// </summary>
public sealed class GoldenTests
{
    private const string SegmentGoldenHex =
        "5352534701010000000001003e17ba96ae04cd3b99869e56f0adbf3a6fb74d25918488356ac5beb269d72775921c23321533bdfceb8769b856889870fa33b410cb82a288c5963b151d4aa3e1aa1d82ea9f5dc6fcb86b0ebd183d0ede1041572cbae594a1f3d175b617f7269c2dfd6c7cc5d43cf9947ddd9534acc605e8ceb5f3a6f9a550fe47c3c3fc581b686f54912cb25515d9";

    private const string KeyWrapGoldenHex =
        "01000000074b6304f69562e168ff4199eac0cf7b33df6bb8a44da6a67016f8fbec85fa8d712101f8223da1c434804e64134a821e74daec9d614ee0f7e45e430ff4";

    private static byte[] GoldenPlaintext()
    {
        var plaintext = new byte[100];
        for (var i = 0; i < plaintext.Length; i++)
        {
            plaintext[i] = (byte)((i * 7) + 3);
        }

        return plaintext;
    }

    private static byte[] GoldenCiphertext() =>
        Encrypt(GoldenPlaintext(), DataKey(), Binding, segmentBytes: 64 * 1024, seed: 42);

    [Fact]
    public void Binding_digest_is_frozen()
    {
        // SHA-256("strongroom binding v1" || u32be(6) "tenant" || u32be(9) "container" || u32be(4) "blob" || u32be(6) "object")
        var input = new List<byte>(Encoding.ASCII.GetBytes("strongroom binding v1"));
        foreach (var part in new[] { "tenant", "container", "blob", "object" })
        {
            var bytes = Encoding.UTF8.GetBytes(part);
            var length = new byte[4];
            BinaryPrimitives.WriteUInt32BigEndian(length, (uint)bytes.Length);
            input.AddRange(length);
            input.AddRange(bytes);
        }

        Assert.Equal(System.Security.Cryptography.SHA256.HashData(input.ToArray()), Binding);
    }

    [Fact]
    public void Segment_format_bytes_are_frozen()
    {
        Assert.Equal(SegmentGoldenHex, Convert.ToHexStringLower(GoldenCiphertext()));
    }

    [Fact]
    public async Task Golden_ciphertext_decrypts()
    {
        var ciphertext = Convert.FromHexString(SegmentGoldenHex);
        Assert.Equal(GoldenPlaintext(), await DecryptAsync(new MemoryStream(ciphertext), 100, DataKey(), Binding, 0, 100));
    }

    [Fact]
    public void Segment_header_layout()
    {
        var ciphertext = GoldenCiphertext();
        Assert.Equal(SegmentFormat.HeaderBytes + 100 + SegmentFormat.TagBytes, ciphertext.Length);

        Span<byte> salt = stackalloc byte[20];
        new SeededRandomSource(42).Fill(salt);

        Assert.Equal((byte)'S', ciphertext[0]);
        Assert.Equal((byte)'R', ciphertext[1]);
        Assert.Equal((byte)'S', ciphertext[2]);
        Assert.Equal((byte)'G', ciphertext[3]);
        Assert.Equal(1, ciphertext[4]); // format version
        Assert.Equal(1, ciphertext[5]); // cipher suite: AES-256-GCM
        Assert.Equal(0, ciphertext[6]); // reserved
        Assert.Equal(0, ciphertext[7]);
        Assert.Equal(0x00, ciphertext[8]); // segment plaintext bytes 65536, u32 little-endian
        Assert.Equal(0x00, ciphertext[9]);
        Assert.Equal(0x01, ciphertext[10]);
        Assert.Equal(0x00, ciphertext[11]);
        Assert.Equal(salt, ciphertext.AsSpan(12, 20));
    }

    [Fact]
    public void Key_wrap_bytes_are_frozen()
    {
        var wrapped = WrapGolden();
        Assert.Equal(KeyWrapGoldenHex, Convert.ToHexStringLower(wrapped));

        Assert.Equal(1, wrapped[0]);
        Assert.Equal([0, 0, 0, 7], wrapped[1..5]);
        Assert.Equal(32 + KeyWrap.OverheadBytes, wrapped.Length);
        Assert.Equal(7u, KeyWrap.WrappingKeyVersion(wrapped));
        Assert.Equal(GoldenSecret(), KeyWrap.Unwrap(DataKey(), Convert.FromHexString(KeyWrapGoldenHex), "tenant/container/blob"u8));
    }

    private static byte[] GoldenSecret()
    {
        var secret = new byte[32];
        for (var i = 0; i < secret.Length; i++)
        {
            secret[i] = (byte)(0xA0 + i);
        }

        return secret;
    }

    private static byte[] WrapGolden() =>
        KeyWrap.Wrap(DataKey(), 7, GoldenSecret(), "tenant/container/blob"u8, new SeededRandomSource(7));
}
