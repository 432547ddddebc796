using System.Buffers.Binary;
using System.Text;
using Org.BouncyCastle.Crypto.Digests;
using Org.BouncyCastle.Crypto.Engines;
using Org.BouncyCastle.Crypto.Generators;
using Org.BouncyCastle.Crypto.Modes;
using Org.BouncyCastle.Crypto.Parameters;
using Strongroom.Core;
using static Strongroom.Crypto.Tests.Fixtures;

namespace Strongroom.Crypto.Tests;

/// <summary>
/// Cipher suite 2 (SM4-GCM with SM3): round trips, ranges, the header's suite byte, frozen
/// bytes of a segment object and a wrapped key, and a reconstruction of the documented format
/// from BouncyCastle primitives alone, so the doc comments and the code cannot drift apart.
/// </summary>
public sealed class Sm4SuiteTests
{
    private const int S = SmallSegment;
    private const CipherSuite Sm4 = CipherSuite.Sm4Gcm;

    // Frozen: these bytes must never change (a failure means stored SM4 data would no longer read).
    private const string SegmentGoldenHex =
        "5352534701020000000001003e17ba96ae04cd3b99869e56f0adbf3a6fb74d25232f0dc65520665788f88009f285b7a710767dc3ca00d1d56547b5b0f2bd5d7199227e1826a78d129a90403e2bc864937703eea631cd0f3e7d2f13ddbb7f5cbe5fd95e5077d65118ea75ed56520e57ce6e13c0449443f4d74c0fc7c87a86ac0413a7d3985ba88b710ff29b2f543e9e9c7956ed0e";

    private const string KeyWrapGoldenHex =
        "02000000074b6304f69562e168ff4199ea40d768c679bb1a026ca6b5620aed1610e73597c27a59922a6d16ea7ee75c67b69fac18c984b8d99c48c17e2b175ee2fd";

    private const string BindingGoldenHex = "53edc57313a4aa7ecff8dfe64dd1fc77bd5e02d9dd6974ed61b4bbc3fa365dca";

    private static readonly byte[] Sm4Binding = BindingFor(Sm4);

    public static TheoryData<int> Sizes => [0, 1, S - 1, S, S + 1, 3 * S, (3 * S) + 7];

    [Theory]
    [MemberData(nameof(Sizes))]
    public async Task Whole_object_round_trips(int size)
    {
        var plaintext = Plaintext(size);
        var ciphertext = Encrypt(plaintext, DataKey(), Sm4Binding, suite: Sm4);

        Assert.Equal(SegmentFormat.CiphertextLength(size, S), ciphertext.Length);
        Assert.Equal(SegmentFormat.CipherSuiteSm4Gcm, ciphertext[5]);
        Assert.Equal(plaintext, await DecryptAsync(new MemoryStream(ciphertext), size, DataKey(), Sm4Binding, 0, size));
        Assert.Equal(plaintext, await DecryptAsync(new NonSeekableStream(ciphertext), size, DataKey(), Sm4Binding, 0, size));
    }

    [Theory]
    [MemberData(nameof(Sizes))]
    public async Task Random_ranges_read_back_exactly(int size)
    {
        var plaintext = Plaintext(size);
        var ciphertext = Encrypt(plaintext, DataKey(), Sm4Binding, suite: Sm4);
        var random = new Random(4321 + size);

        for (var i = 0; i < 25; i++)
        {
            var offset = random.NextInt64(0, size + 1);
            var count = random.NextInt64(0, size - offset + 1);
            Assert.Equal(plaintext.AsSpan((int)offset, (int)count).ToArray(), await DecryptAsync(new MemoryStream(ciphertext), size, DataKey(), Sm4Binding, offset, count));
            Assert.Equal(plaintext.AsSpan((int)offset, (int)count).ToArray(), await DecryptAsync(new NonSeekableStream(ciphertext), size, DataKey(), Sm4Binding, offset, count));
        }
    }

    [Fact]
    public async Task Ranges_at_segment_edges_read_back_exactly()
    {
        const int size = (3 * S) + 7;
        var plaintext = Plaintext(size);
        var ciphertext = Encrypt(plaintext, DataKey(), Sm4Binding, suite: Sm4);
        (long Offset, long Count)[] ranges =
        [
            (0, 1), (S - 1, 1), (S - 1, 2), (S, S), (S - 1, S + 2), (3 * S, 7), (size - 1, 1), (size, 0), (0, size),
        ];
        foreach (var (offset, count) in ranges)
        {
            Assert.Equal(plaintext.AsSpan((int)offset, (int)count).ToArray(), await DecryptAsync(new MemoryStream(ciphertext), size, DataKey(), Sm4Binding, offset, count));
        }
    }

    [Fact]
    public async Task Async_and_chunked_writes_produce_the_same_ciphertext()
    {
        var plaintext = Plaintext((5 * S) + 123);
        var expected = Encrypt(plaintext, DataKey(), Sm4Binding, suite: Sm4);

        using var output = new MemoryStream();
        await using (var encrypting = new SegmentEncryptingStream(output, Sm4, DataKey(), Sm4Binding, new SeededRandomSource(42), S))
        {
            Assert.Equal(Sm4, encrypting.CipherSuite);
            for (var position = 0; position < plaintext.Length; position += 1000)
            {
                await encrypting.WriteAsync(plaintext.AsMemory(position, Math.Min(1000, plaintext.Length - position)));
            }

            await encrypting.CompleteAsync();
        }

        Assert.Equal(expected, output.ToArray());
    }

    [Fact]
    public void The_same_inputs_give_unrelated_ciphertext_in_the_two_suites()
    {
        var plaintext = Plaintext(100);
        var aes = Encrypt(plaintext, DataKey(), Binding);
        var sm4 = Encrypt(plaintext, DataKey(), Sm4Binding, suite: Sm4);
        Assert.Equal(aes.Length, sm4.Length);
        Assert.Equal(aes.AsSpan(0, 5).ToArray(), sm4.AsSpan(0, 5).ToArray());
        Assert.Equal(CipherSuite.Aes256Gcm, (CipherSuite)aes[5]);
        Assert.Equal(Sm4, (CipherSuite)sm4[5]);
        Assert.NotEqual(aes.AsSpan(32).ToArray(), sm4.AsSpan(32).ToArray());
    }

    [Fact]
    public void An_unknown_suite_is_refused_when_writing()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => new SegmentEncryptingStream(new MemoryStream(), (CipherSuite)3, DataKey(), Binding, new SeededRandomSource(1)));
        Assert.Throws<ArgumentOutOfRangeException>(() => KeyWrap.Wrap(DataKey(), 1, [1, 2], [], new SeededRandomSource(1), (CipherSuite)0));
        Assert.Throws<ArgumentOutOfRangeException>(() => ObjectBinding.Digest((CipherSuite)9, "t", "c", "b", "o"));
    }

    [Fact]
    public void Binding_digest_is_sm3_and_frozen()
    {
        var input = new List<byte>(Encoding.ASCII.GetBytes("strongroom binding v1"));
        foreach (var part in new[] { "tenant", "container", "blob", "object" })
        {
            var bytes = Encoding.UTF8.GetBytes(part);
            var length = new byte[4];
            BinaryPrimitives.WriteUInt32BigEndian(length, (uint)bytes.Length);
            input.AddRange(length);
            input.AddRange(bytes);
        }

        Assert.Equal(Sm3.HashData(input.ToArray()), Sm4Binding);
        Assert.Equal(BindingGoldenHex, Convert.ToHexStringLower(Sm4Binding));
        Assert.NotEqual(Binding, Sm4Binding);
        Assert.NotEqual(Sm4Binding, ObjectBinding.Digest(Sm4, "tenant", "container", "blob", "other"));
    }

    private static byte[] GoldenPlaintext()
    {
        var plaintext = new byte[100];
        for (var i = 0; i < plaintext.Length; i++)
        {
            plaintext[i] = (byte)((i * 7) + 3);
        }

        return plaintext;
    }

    private static byte[] GoldenSegmentObject() =>
        Encrypt(GoldenPlaintext(), DataKey(), Sm4Binding, segmentBytes: 64 * 1024, seed: 42, suite: Sm4);

    [Fact]
    public void Sm4_segment_format_bytes_are_frozen()
    {
        Assert.Equal(SegmentGoldenHex, Convert.ToHexStringLower(GoldenSegmentObject()));
    }

    [Fact]
    public async Task Sm4_golden_segment_object_decrypts()
    {
        var ciphertext = Convert.FromHexString(SegmentGoldenHex);
        Assert.Equal("SRSG"u8.ToArray(), ciphertext[..4]);
        Assert.Equal(1, ciphertext[4]); // format version
        Assert.Equal(2, ciphertext[5]); // cipher suite: SM4-GCM
        Assert.Equal(GoldenPlaintext(), await DecryptAsync(new MemoryStream(ciphertext), 100, DataKey(), Sm4Binding, 0, 100));
    }

    [Fact]
    public void Sm4_segment_object_matches_the_documented_format()
    {
        // Rebuilt from the SegmentFormat doc comment with BouncyCastle alone: 16 bytes of
        // HKDF-SM3(data key, salt, "strongroom segment v1 sm4-gcm"), nonce u64be(0) || 000000 || 01,
        // associated data header || SM3 binding || u64be(0) || 01.
        var stored = GoldenSegmentObject();
        var header = stored[..32];
        var hkdf = new HkdfBytesGenerator(new SM3Digest());
        hkdf.Init(new HkdfParameters(DataKey(), header[12..32], "strongroom segment v1 sm4-gcm"u8.ToArray()));
        var segmentKey = new byte[16];
        hkdf.GenerateBytes(segmentKey, 0, 16);

        var nonce = new byte[12];
        nonce[11] = 1;
        byte[] associatedData = [.. header, .. Sm4Binding, 0, 0, 0, 0, 0, 0, 0, 0, 1];
        var gcm = new GcmBlockCipher(new SM4Engine());
        gcm.Init(true, new AeadParameters(new KeyParameter(segmentKey), 128, nonce, associatedData));
        var expected = new byte[gcm.GetOutputSize(100)];
        var written = gcm.ProcessBytes(GoldenPlaintext(), 0, 100, expected, 0);
        gcm.DoFinal(expected, written);

        Assert.Equal(expected, stored[32..]);
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
        KeyWrap.Wrap(DataKey(), 7, GoldenSecret(), "tenant/container/blob"u8, new SeededRandomSource(7), Sm4);

    [Fact]
    public void Sm4_key_wrap_bytes_are_frozen()
    {
        var wrapped = WrapGolden();
        Assert.Equal(KeyWrapGoldenHex, Convert.ToHexStringLower(wrapped));
        Assert.Equal(KeyWrap.FormatVersionSm4Gcm, wrapped[0]);
        Assert.Equal(2, wrapped[0]);
        Assert.Equal([0, 0, 0, 7], wrapped[1..5]);
        Assert.Equal(32 + KeyWrap.OverheadBytes, wrapped.Length);
        Assert.Equal(7u, KeyWrap.WrappingKeyVersion(wrapped));
        Assert.Equal(Sm4, KeyWrap.CipherSuiteOf(wrapped));
        Assert.Equal(GoldenSecret(), KeyWrap.Unwrap(DataKey(), Convert.FromHexString(KeyWrapGoldenHex), "tenant/container/blob"u8));
    }

    [Fact]
    public void Sm4_key_wrap_matches_the_documented_format()
    {
        var wrapped = WrapGolden();
        var hkdf = new HkdfBytesGenerator(new SM3Digest());
        hkdf.Init(new HkdfParameters(DataKey(), null, "strongroom keywrap v2 sm4-gcm"u8.ToArray()));
        var sm4Key = new byte[16];
        hkdf.GenerateBytes(sm4Key, 0, 16);

        byte[] associatedData = [.. "strongroom keywrap v2"u8, 2, 0, 0, 0, 7, .. "tenant/container/blob"u8];
        var gcm = new GcmBlockCipher(new SM4Engine());
        gcm.Init(true, new AeadParameters(new KeyParameter(sm4Key), 128, wrapped[5..17], associatedData));
        var expected = new byte[gcm.GetOutputSize(32)];
        var written = gcm.ProcessBytes(GoldenSecret(), 0, 32, expected, 0);
        gcm.DoFinal(expected, written);

        Assert.Equal(expected, wrapped[17..]);
    }

    [Theory]
    [InlineData(0)]
    [InlineData(1)]
    [InlineData(32)]
    [InlineData(64)]
    public void Sm4_key_wrap_round_trips(int secretBytes)
    {
        var secret = Plaintext(secretBytes, seed: 3);
        var wrapped = KeyWrap.Wrap(DataKey(50), 3, secret, "aad"u8, SystemRandomSource.Instance, Sm4);
        Assert.Equal(secretBytes + KeyWrap.OverheadBytes, wrapped.Length);
        Assert.Equal(Sm4, KeyWrap.CipherSuiteOf(wrapped));
        Assert.Equal(3u, KeyWrap.WrappingKeyVersion(wrapped));
        Assert.Equal(secret, KeyWrap.Unwrap(DataKey(50), wrapped, "aad"u8));
    }

    [Fact]
    public void Sm4_key_wrap_fails_on_tampering_wrong_key_or_wrong_associated_data()
    {
        var wrapped = KeyWrap.Wrap(DataKey(50), 1, Plaintext(32, seed: 5), "aad"u8, SystemRandomSource.Instance, Sm4);
        for (var i = 0; i < wrapped.Length; i++)
        {
            var tampered = (byte[])wrapped.Clone();
            tampered[i] ^= 0x01;
            AssertIntegrityFailure(() => KeyWrap.Unwrap(DataKey(50), tampered, "aad"u8));
        }

        AssertIntegrityFailure(() => KeyWrap.Unwrap(DataKey(51), wrapped, "aad"u8));
        AssertIntegrityFailure(() => KeyWrap.Unwrap(DataKey(50), wrapped, "aaa"u8));
        AssertIntegrityFailure(() => KeyWrap.Unwrap(DataKey(50), wrapped[..^1], "aad"u8));

        // Relabelled as AES (version 1), the SM4 ciphertext does not open: the version is authenticated.
        var relabelled = (byte[])wrapped.Clone();
        relabelled[0] = KeyWrap.FormatVersion;
        AssertIntegrityFailure(() => KeyWrap.Unwrap(DataKey(50), relabelled, "aad"u8));
    }

    private static void AssertIntegrityFailure(Action action)
    {
        var error = Assert.Throws<StorageException>(action);
        Assert.Equal(ErrorCode.IntegrityCheckFailed, error.Code);
    }
}
