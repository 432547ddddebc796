using System.Text;
using Org.BouncyCastle.Crypto.Digests;
using Org.BouncyCastle.Crypto.Engines;
using Org.BouncyCastle.Crypto.Generators;
using Org.BouncyCastle.Crypto.Macs;
using Org.BouncyCastle.Crypto.Parameters;

using Strongroom.Core;

namespace Strongroom.Crypto.Tests;

/// <summary>
/// The SM algorithms against their published test vectors: SM4 (GB/T 32907-2016, appendix A),
/// SM4-GCM (RFC 8998, appendix A.1) and SM3 (GB/T 32905-2016, appendix A). HMAC-SM3 and
/// HKDF-SM3, which have no official vectors, are checked against BouncyCastle's generic
/// constructions over SM3.
/// </summary>
public sealed class PublishedVectorTests
{
    private static readonly byte[] Sm4ExampleKey = Convert.FromHexString("0123456789ABCDEFFEDCBA9876543210");

    [Fact]
    public void Sm4_block_example_1()
    {
        // GB/T 32907-2016 A.1: plaintext = key = 0123456789abcdeffedcba9876543210.
        var engine = new SM4Engine();
        engine.Init(true, new KeyParameter(Sm4ExampleKey));
        var block = (byte[])Sm4ExampleKey.Clone();
        engine.ProcessBlock(block, 0, block, 0);
        Assert.Equal("681edf34d206965e86b3e94f536e4246", Convert.ToHexStringLower(block));

        engine.Init(false, new KeyParameter(Sm4ExampleKey));
        engine.ProcessBlock(block, 0, block, 0);
        Assert.Equal(Sm4ExampleKey, block);
    }

    [Fact]
    public void Sm4_block_example_2_one_million_encryptions()
    {
        // GB/T 32907-2016 A.2: the same block encrypted 1,000,000 times under the same key.
        var engine = new SM4Engine();
        engine.Init(true, new KeyParameter(Sm4ExampleKey));
        var block = (byte[])Sm4ExampleKey.Clone();
        for (var i = 0; i < 1_000_000; i++)
        {
            engine.ProcessBlock(block, 0, block, 0);
        }

        Assert.Equal("595298c7c6fd271f0402f804c33d3f66", Convert.ToHexStringLower(block));
    }

    private const string Rfc8998Nonce = "00001234567800000000ABCD";
    private const string Rfc8998Aad = "FEEDFACEDEADBEEFFEEDFACEDEADBEEFABADDAD2";
    private const string Rfc8998Plaintext =
        "AAAAAAAAAAAAAAAABBBBBBBBBBBBBBBBCCCCCCCCCCCCCCCCDDDDDDDDDDDDDDDD" +
        "EEEEEEEEEEEEEEEEFFFFFFFFFFFFFFFFEEEEEEEEEEEEEEEEAAAAAAAAAAAAAAAA";
    private const string Rfc8998Ciphertext =
        "17F399F08C67D5EE19D0DC9969C4BB7D5FD46FD3756489069157B282BB200735" +
        "D82710CA5C22F0CCFA7CBF93D496AC15A56834CBCF98C397B4024A2691233B8D";
    private const string Rfc8998Tag = "83DE3541E4C2B58177E065A9BF7B62EC";

    [Fact]
    public void Sm4_gcm_rfc8998_seals_to_the_published_ciphertext_and_tag()
    {
        var plaintext = Convert.FromHexString(Rfc8998Plaintext);
        var sealedOutput = new byte[plaintext.Length + AeadCipher.TagBytes];
        using var cipher = CipherSuiteAlgorithms.Sm4Gcm.CreateAead(Sm4ExampleKey);
        cipher.Seal(Convert.FromHexString(Rfc8998Nonce), plaintext, sealedOutput, Convert.FromHexString(Rfc8998Aad));

        Assert.Equal(Rfc8998Ciphertext + Rfc8998Tag, Convert.ToHexString(sealedOutput));
    }

    [Fact]
    public void Sm4_gcm_rfc8998_opens_and_rejects_any_change()
    {
        var sealedInput = Convert.FromHexString(Rfc8998Ciphertext + Rfc8998Tag);
        var nonce = Convert.FromHexString(Rfc8998Nonce);
        var aad = Convert.FromHexString(Rfc8998Aad);
        using var cipher = CipherSuiteAlgorithms.Sm4Gcm.CreateAead(Sm4ExampleKey);

        var plaintext = new byte[sealedInput.Length - AeadCipher.TagBytes];
        Assert.True(cipher.TryOpen(nonce, sealedInput, plaintext, aad));
        Assert.Equal(Rfc8998Plaintext, Convert.ToHexString(plaintext));

        foreach (var index in new[] { 0, 31, 63, 64, 79 })
        {
            var damaged = (byte[])sealedInput.Clone();
            damaged[index] ^= 0x01;
            var output = new byte[plaintext.Length];
            Assert.False(cipher.TryOpen(nonce, damaged, output, aad));
            Assert.All(output, value => Assert.Equal(0, value)); // nothing unauthenticated is left behind
        }

        Assert.False(cipher.TryOpen(nonce, sealedInput, new byte[plaintext.Length], [.. aad, 0x00]));
        var otherNonce = (byte[])nonce.Clone();
        otherNonce[11] ^= 1;
        Assert.False(cipher.TryOpen(otherNonce, sealedInput, new byte[plaintext.Length], aad));
    }

    [Fact]
    public void Sm4_gcm_reuses_one_key_schedule_across_messages()
    {
        // The segment streams key the cipher once and change only the nonce per segment.
        using var cipher = CipherSuiteAlgorithms.Sm4Gcm.CreateAead(Sm4ExampleKey);
        var plaintext = Convert.FromHexString(Rfc8998Plaintext);
        var first = new byte[plaintext.Length + 16];
        var second = new byte[plaintext.Length + 16];
        cipher.Seal(new byte[12], plaintext, first, []);
        cipher.Seal(Convert.FromHexString(Rfc8998Nonce), plaintext, second, Convert.FromHexString(Rfc8998Aad));
        Assert.Equal(Rfc8998Ciphertext + Rfc8998Tag, Convert.ToHexString(second));

        var opened = new byte[plaintext.Length];
        Assert.True(cipher.TryOpen(new byte[12], first, opened, []));
        Assert.Equal(plaintext, opened);
    }

    [Fact]
    public void Sm4_gcm_refuses_a_wrong_key_size_and_use_after_dispose()
    {
        Assert.Throws<ArgumentException>(() => CipherSuiteAlgorithms.Sm4Gcm.CreateAead(new byte[32]));
        var cipher = CipherSuiteAlgorithms.Sm4Gcm.CreateAead(Sm4ExampleKey);
        cipher.Seal(new byte[12], [1, 2, 3], new byte[19], []);
        cipher.Dispose();
        Assert.Throws<ObjectDisposedException>(() => cipher.Seal(new byte[12], [1], new byte[17], []));
    }

    [Fact]
    public void Sm3_example_1_abc()
    {
        // GB/T 32905-2016 A.1
        Assert.Equal(
            "66c7f0f462eeedd9d1f2d46bdc10e4e24167c4875cf2f7a2297da02b8f4ba8e0",
            Convert.ToHexStringLower(Sm3.HashData("abc"u8)));
    }

    [Fact]
    public void Sm3_example_2_sixty_four_bytes()
    {
        // GB/T 32905-2016 A.2: "abcd" repeated 16 times (512 bits).
        var message = Encoding.ASCII.GetBytes(string.Concat(Enumerable.Repeat("abcd", 16)));
        Assert.Equal(64, message.Length);
        Assert.Equal(
            "debe9ff92275b8a138604889c18e5a4d6fdb70e5387e5765293dcba39c0c5732",
            Convert.ToHexStringLower(Sm3.HashData(message)));
    }

    [Theory]
    [InlineData(0, 3)]
    [InlineData(16, 0)]
    [InlineData(32, 50)]
    [InlineData(64, 64)]
    [InlineData(65, 200)] // a key longer than the block is hashed first
    public void Hmac_sm3_matches_bouncycastle(int keyBytes, int messageBytes)
    {
        var key = Fixtures.Plaintext(keyBytes, seed: keyBytes);
        var message = Fixtures.Plaintext(messageBytes, seed: 1000 + messageBytes);
        var expected = new byte[32];
        var mac = new HMac(new SM3Digest());
        mac.Init(new KeyParameter(key));
        mac.BlockUpdate(message, 0, message.Length);
        mac.DoFinal(expected, 0);

        var actual = new byte[32];
        var split = messageBytes / 3;
        Sm3.Hmac(key, message.AsSpan(0, split), message.AsSpan(split, split), message.AsSpan(2 * split), actual);
        Assert.Equal(expected, actual);
    }

    [Theory]
    [InlineData(32, 20, 21, 16)] // the segment key: 32-byte data key, 20-byte salt, 16-byte SM4 key
    [InlineData(32, 0, 29, 16)] // the key-wrap key: no salt
    [InlineData(22, 13, 10, 42)]
    [InlineData(80, 80, 80, 100)] // several expand blocks
    public void Hkdf_sm3_matches_bouncycastle(int ikmBytes, int saltBytes, int infoBytes, int outputBytes)
    {
        var ikm = Fixtures.Plaintext(ikmBytes, seed: 1);
        var salt = Fixtures.Plaintext(saltBytes, seed: 2);
        var info = Fixtures.Plaintext(infoBytes, seed: 3);
        var generator = new HkdfBytesGenerator(new SM3Digest());
        generator.Init(new HkdfParameters(ikm, saltBytes == 0 ? null : salt, info));
        var expected = new byte[outputBytes];
        generator.GenerateBytes(expected, 0, expected.Length);

        var actual = new byte[outputBytes];
        Sm3.Hkdf(ikm, salt, info, actual);
        Assert.Equal(expected, actual);
    }

    [Fact]
    public void Suite_names_parse_and_print()
    {
        Assert.Equal("aes-256-gcm", CipherSuites.Name(CipherSuite.Aes256Gcm));
        Assert.Equal("sm4-gcm", CipherSuites.Name(CipherSuite.Sm4Gcm));
        Assert.True(CipherSuites.TryParse("SM4-GCM", out var sm4));
        Assert.Equal(CipherSuite.Sm4Gcm, sm4);
        Assert.False(CipherSuites.TryParse("sm4", out _));
        Assert.False(CipherSuites.TryParse(null, out _));
        Assert.Equal(1, (byte)CipherSuite.Aes256Gcm); // persisted values: frozen
        Assert.Equal(2, (byte)CipherSuite.Sm4Gcm);
    }
}
