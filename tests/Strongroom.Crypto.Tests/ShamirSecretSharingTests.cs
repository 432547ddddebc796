using Strongroom.Core;
using Strongroom.Crypto;
using Xunit;

namespace Strongroom.Crypto.Tests;

public sealed class ShamirSecretSharingTests
{
    [Theory]
    // FIPS-197 section 4.2: {57} • {83} = {c1}, {57} • {13} = {fe}.
    [InlineData(0x57, 0x83, 0xc1)]
    [InlineData(0x57, 0x13, 0xfe)]
    // FIPS-197 section 4.2.1: xtime({57}) = {ae}, the inverse of {53} is {ca}.
    [InlineData(0x57, 0x02, 0xae)]
    [InlineData(0x53, 0xca, 0x01)]
    [InlineData(0x00, 0xff, 0x00)]
    [InlineData(0x01, 0xff, 0xff)]
    public void Field_multiplication_matches_the_aes_field(int a, int b, int product)
    {
        Assert.Equal((byte)product, ShamirSecretSharing.Multiply((byte)a, (byte)b));
        Assert.Equal((byte)product, ShamirSecretSharing.Multiply((byte)b, (byte)a));
    }

    [Fact]
    public void Every_nonzero_element_has_its_inverse()
    {
        Assert.Equal(0xca, ShamirSecretSharing.Inverse(0x53));
        for (var a = 1; a < 256; a++)
        {
            Assert.Equal(1, ShamirSecretSharing.Multiply((byte)a, ShamirSecretSharing.Inverse((byte)a)));
        }
    }

    [Fact]
    public void Known_answer_two_of_three_by_hand()
    {
        // Threshold 2, one byte: f(x) = s + a·x. With s = 0x2a and a = 0x53 (the random source
        // fills [constant, a]; the constant is replaced by the secret byte): f(1) = 0x2a ^ 0x53 = 0x79, f(2) = 0x2a ^ 0xa6 = 0x8c,
        // f(3) = 0x2a ^ (0x53 • 3 = 0xf5) = 0xdf.
        var shares = ShamirSecretSharing.Split([0x2a], shares: 3, threshold: 2, new FixedRandomSource(0x00, 0x53));

        Assert.Equal([1, 2, 3], shares.Select(share => (int)share.Index));
        Assert.Equal([0x79, 0x8c, 0xdf], shares.Select(share => (int)share.Value[0]));
        Assert.Equal([0x2a], ShamirSecretSharing.Combine([shares[2], shares[0]]));
        Assert.Equal([0x2a], ShamirSecretSharing.Combine([new SecretShare(2, [0x8c]), new SecretShare(3, [0xdf])]));
    }

    [Fact]
    public void Split_is_frozen_for_a_seeded_source()
    {
        var secret = Enumerable.Range(0, 8).Select(i => (byte)(i * 17)).ToArray();

        var shares = ShamirSecretSharing.Split(secret, shares: 3, threshold: 2, new SeededRandomSource(7));

        Assert.Equal(Golden, shares.Select(share => $"{share.Index}:{Convert.ToHexStringLower(share.Value)}"));
    }

    private static readonly string[] Golden = ["1:63e7405b05bfd4c7", "2:c6e6e6e3c69a190c", "3:a510848b8770abbc"];

    [Theory]
    [InlineData(1, 1, 1)]
    [InlineData(2, 5, 3)]
    [InlineData(3, 5, 5)]
    [InlineData(4, 10, 1)]
    [InlineData(5, 255, 255)]
    [InlineData(6, 255, 2)]
    [InlineData(7, 7, 4)]
    public void Any_threshold_subset_recovers_the_secret_and_fewer_do_not(int seed, int n, int k)
    {
        var random = new SeededRandomSource(seed);
        var picker = new Random(seed);
        for (var round = 0; round < 10; round++)
        {
            var secret = new byte[32];
            random.Fill(secret);
            var shares = ShamirSecretSharing.Split(secret, n, k, random);
            Assert.Equal(n, shares.Length);

            var subset = shares.OrderBy(_ => picker.Next()).Take(k).ToArray();
            Assert.Equal(secret, ShamirSecretSharing.Combine(subset));

            var more = shares.OrderBy(_ => picker.Next()).Take(Math.Min(n, k + 1)).ToArray();
            Assert.Equal(secret, ShamirSecretSharing.Combine(more));

            if (k > 1)
            {
                Assert.NotEqual(secret, ShamirSecretSharing.Combine(subset[..(k - 1)]));
            }
        }
    }

    [Fact]
    public void A_corrupted_share_yields_a_different_secret_silently()
    {
        var secret = new byte[32];
        secret[0] = 1;
        var shares = ShamirSecretSharing.Split(secret, 3, 2, new SeededRandomSource(3));
        shares[0].Value[5] ^= 0x10;

        Assert.NotEqual(secret, ShamirSecretSharing.Combine([shares[0], shares[1]]));
    }

    [Theory]
    [InlineData(0, 1)]
    [InlineData(256, 2)]
    [InlineData(3, 0)]
    [InlineData(3, 4)]
    public void Out_of_range_counts_are_refused(int n, int k)
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => ShamirSecretSharing.Split([1, 2, 3], n, k, new SeededRandomSource(1)));
    }

    [Fact]
    public void Combine_refuses_duplicate_indices_and_mixed_lengths()
    {
        Assert.Throws<ArgumentException>(() => ShamirSecretSharing.Combine([new SecretShare(1, [1]), new SecretShare(1, [2])]));
        Assert.Throws<ArgumentException>(() => ShamirSecretSharing.Combine([new SecretShare(1, [1]), new SecretShare(2, [2, 3])]));
        Assert.Throws<ArgumentException>(() => ShamirSecretSharing.Combine([]));
        Assert.Throws<ArgumentOutOfRangeException>(() => new SecretShare(0, [1]));
    }

    [Fact]
    public void Disposing_a_share_wipes_it()
    {
        var share = new SecretShare(1, [1, 2, 3]);
        share.Dispose();
        Assert.All(share.Value, b => Assert.Equal(0, b));
    }

    private sealed class FixedRandomSource(params byte[] bytes) : IRandomSource
    {
        private int position;

        public void Fill(Span<byte> destination)
        {
            for (var i = 0; i < destination.Length; i++)
            {
                destination[i] = bytes[position++ % bytes.Length];
            }
        }
    }
}
