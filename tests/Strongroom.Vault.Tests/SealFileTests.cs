using Strongroom.Core;
using Strongroom.Vault;
using Xunit;

namespace Strongroom.Vault.Tests;

public sealed class SealFileTests
{
    private static RootKey FixedRootKey() => new(Enumerable.Range(0, 32).Select(i => (byte)(100 + i)).ToArray());

    private static SealFile NewSeal(int n, int k, int seed, out UnsealShare[] shares)
    {
        using var rootKey = FixedRootKey();
        return SealFile.Create(rootKey, n, k, new SeededRandomSource(seed), out shares);
    }

    [Fact]
    public void Seal_file_format_is_frozen()
    {
        var seal = NewSeal(3, 2, seed: 1, out var shares);
        var bytes = seal.ToBytes();

        // "SRSL" · 1 · deployment id (8) · generation u32 = 1 · N = 3 · K = 2 · 3 verifiers · KeyWrap(32-byte root key).
        Assert.Equal("SRSL"u8.ToArray(), bytes[..4]);
        Assert.Equal(1, bytes[4]);
        Assert.Equal([0, 0, 0, 1], bytes[13..17]);
        Assert.Equal(3, bytes[17]);
        Assert.Equal(2, bytes[18]);
        Assert.Equal(19 + (3 * 32) + 1 + 4 + 12 + 32 + 16, bytes.Length);
        Assert.Equal(1u, Strongroom.Crypto.KeyWrap.WrappingKeyVersion(bytes.AsSpan(19 + (3 * 32))));
        Assert.Equal(GoldenSeal, Convert.ToHexStringLower(bytes));
        Assert.Equal(GoldenShares, shares.Select(share => share.ToText()));
    }

    private const string GoldenSeal =
        "5352534c0146d086824097e4a3000000010302a24fb604df73c9d29f7f4f18143a5f963567b231d29aa59e694fa24c67b20d4092321a58b8bc2c12b8e775dbe3949c4db676f62601db6239daa5ae385072b930753fa639ae6f9362bc9773ae3e14375143b48583de445097a4aa43a3197ee49801000000014b6bd9bd0380b1f24fde8ba4d70e1b5467d21773eb62620d16584be61d19099479cb38568e7d5d7f95716a9fad77c2cea4c0d1bd6e881433f0b94ab6";

    private static readonly string[] GoldenShares =
    [
        "srs1-afdnbbuc-icl6jiya-aaaacamx-ohcb5sue-tixue4mk-fzg52fi6-4gkcu7us-i34bgstk-corwwvkd-c232okaj",
        "srs1-afdnbbuc-icl6jiya-aaaacaur-vce7mnfm-xiexzlr7-acxuz6gc-ncskaisf-al452k7k-pzsgfhip-wfthsk5m",
        "srs1-afdnbbuc-icl6jiya-aaaaca4t-c2zk5f5u-kprj6evf-dly4vi37-422c6fqi-hyhw57ld-vtigklgc-exsdox4r",
    ];

    [Fact]
    public void A_frozen_seal_opens_with_its_frozen_shares()
    {
        var seal = SealFile.Parse(Convert.FromHexString(GoldenSeal));
        var shares = GoldenShares.Select(UnsealShare.Parse).ToArray();

        foreach (var share in shares)
        {
            seal.Verify(share);
        }

        using var rootKey = seal.Open([shares[2], shares[0]]);
        using var keyring = SealState.Unsealed(NewKeyringFor(rootKey), rootKey: null, new SeededRandomSource(1));
        Assert.False(keyring.IsSealed);
    }

    [Fact]
    public void Share_text_is_prefixed_grouped_and_forgiving_of_case_spaces_and_dashes()
    {
        NewSeal(2, 2, seed: 2, out var shares);
        var text = shares[0].ToText();

        Assert.StartsWith("srs1-", text, StringComparison.Ordinal);
        Assert.Matches("^srs1(-[a-z2-7]{8}){10}$", text);
        var retyped = "  " + text.ToUpperInvariant().Replace("-", " ", StringComparison.Ordinal) + " ";
        using var parsed = UnsealShare.Parse(retyped);
        Assert.Equal(shares[0].Index, parsed.Index);
        Assert.Equal(text, parsed.ToText());
    }

    [Fact]
    public void A_typo_is_caught_by_the_checksum_and_the_message_does_not_echo_the_share()
    {
        NewSeal(2, 2, seed: 3, out var shares);
        var text = shares[1].ToText();
        var position = text.Length - 5;
        var typo = text[..position] + (text[position] == 'a' ? 'b' : 'a') + text[(position + 1)..];

        var exception = Assert.Throws<SealException>(() => UnsealShare.Parse(typo));

        Assert.Equal(SealRejection.Malformed, exception.Rejection);
        Assert.Contains("checksum", exception.Message, StringComparison.Ordinal);
        AssertNoShareIn(exception.Message, text);
    }

    [Theory]
    [InlineData("")]
    [InlineData("hello")]
    [InlineData("srs1-abc")]
    [InlineData("srs1-aaaaaaaa-aaaaaaaa-aaaaaaaa-aaaaaaaa-aaaaaaaa-aaaaaaaa-aaaaaaaa-aaaaaaaa-aaaaaaaa-aaaaaaa1")]
    public void Malformed_text_is_refused(string text)
    {
        var exception = Assert.Throws<SealException>(() => UnsealShare.Parse(text));
        Assert.Equal(SealRejection.Malformed, exception.Rejection);
    }

    [Fact]
    public void A_share_of_another_deployment_is_named_as_such()
    {
        var seal = NewSeal(3, 2, seed: 4, out _);
        NewSeal(3, 2, seed: 5, out var foreign);

        var exception = Assert.Throws<SealException>(() => seal.Verify(foreign[0]));

        Assert.Equal(SealRejection.OtherDeployment, exception.Rejection);
        Assert.Contains(foreign[0].DeploymentIdText, exception.Message, StringComparison.Ordinal);
        AssertNoShareIn(exception.Message, foreign[0].ToText());
    }

    [Fact]
    public void A_forged_share_with_a_valid_checksum_is_refused_by_its_verifier()
    {
        var seal = NewSeal(3, 2, seed: 6, out var shares);
        var forged = new UnsealShare(shares[0].DeploymentId, shares[0].Generation, shares[0].Index, new byte[32]);

        var exception = Assert.Throws<SealException>(() => seal.Verify(UnsealShare.Parse(forged.ToText())));

        Assert.Equal(SealRejection.NotIssued, exception.Rejection);
    }

    [Fact]
    public void An_index_beyond_n_is_refused()
    {
        var seal = NewSeal(2, 2, seed: 7, out var shares);
        var beyond = new UnsealShare(shares[0].DeploymentId, shares[0].Generation, 9, new byte[32]);

        Assert.Equal(SealRejection.NotIssued, Assert.Throws<SealException>(() => seal.Verify(beyond)).Rejection);
    }

    [Fact]
    public void Fewer_than_k_shares_do_not_open_and_a_wrong_combination_is_caught_by_the_tag()
    {
        var seal = NewSeal(3, 3, seed: 8, out var shares);

        Assert.Equal(SealRejection.InvalidState, Assert.Throws<SealException>(() => seal.Open([shares[0], shares[1]])).Rejection);

        // Right deployment and generation, skipping the verifier (as a tampered seal file would).
        var wrong = new UnsealShare(shares[2].DeploymentId, shares[2].Generation, shares[2].Index, new byte[32]);
        Assert.Equal(SealRejection.WrongKey, Assert.Throws<SealException>(() => seal.Open([shares[0], shares[1], wrong])).Rejection);
    }

    [Fact]
    public void Editing_the_header_makes_the_seal_unopenable()
    {
        var seal = NewSeal(3, 2, seed: 9, out var shares);
        var bytes = seal.ToBytes();
        bytes[18] = 3; // claim K = 3

        var edited = SealFile.Parse(bytes);

        Assert.Equal(SealRejection.WrongKey, Assert.Throws<SealException>(() => edited.Open([shares[0], shares[1], shares[2]])).Rejection);
    }

    [Fact]
    public void Rekey_keeps_the_root_key_and_deployment_and_retires_the_old_shares()
    {
        var seal = NewSeal(3, 2, seed: 10, out var old);
        using var rootKey = seal.Open([old[0], old[1]]);

        var next = seal.Rekey(rootKey, 5, 3, new SeededRandomSource(11), out var fresh);

        Assert.Equal(seal.DeploymentIdText, next.DeploymentIdText);
        Assert.Equal(2u, next.Generation);
        Assert.Equal((5, 3), (next.Shares, next.Threshold));
        var stale = Assert.Throws<SealException>(() => next.Verify(old[0]));
        Assert.Equal(SealRejection.OtherGeneration, stale.Rejection);
        Assert.Contains("before a rekey", stale.Message, StringComparison.Ordinal);
        using var reopened = next.Open([fresh[4], fresh[0], fresh[2]]);
        Assert.Equal(KeyringBytes(rootKey), KeyringBytes(reopened));
    }

    [Theory]
    [InlineData(new byte[0])]
    [InlineData(new byte[] { 0x53, 0x52, 0x53, 0x4c, 2 })]
    public void A_damaged_or_foreign_file_is_refused(byte[] bytes)
    {
        Assert.Throws<InvalidDataException>(() => SealFile.Parse(bytes));
    }

    [Fact]
    public void Share_to_string_names_but_never_reveals()
    {
        NewSeal(2, 1, seed: 12, out var shares);
        var described = shares[1].ToString();

        Assert.Contains("#2", described, StringComparison.Ordinal);
        AssertNoShareIn(described, shares[1].ToText());
    }

    internal static void AssertNoShareIn(string text, string shareText)
    {
        Assert.DoesNotContain(shareText, text, StringComparison.OrdinalIgnoreCase);
        foreach (var group in shareText.Split('-').Skip(2))
        {
            Assert.DoesNotContain(group, text, StringComparison.OrdinalIgnoreCase);
        }
    }

    private static Keyring NewKeyringFor(RootKey rootKey)
    {
        var path = Path.Combine(Path.GetTempPath(), "strongroom-seal-" + Path.GetRandomFileName());
        try
        {
            return Keyring.OpenOrCreate(path, rootKey, new SeededRandomSource(1));
        }
        finally
        {
            File.Delete(path);
        }
    }

    /// <summary>Two root keys are equal exactly when a keyring written under one opens under the other.</summary>
    private static string KeyringBytes(RootKey rootKey)
    {
        var path = Path.Combine(Path.GetTempPath(), "strongroom-seal-" + Path.GetRandomFileName());
        try
        {
            using (Keyring.OpenOrCreate(path, FixedRootKey(), new SeededRandomSource(1)))
            {
            }

            using (Keyring.OpenOrCreate(path, rootKey, new SeededRandomSource(1)))
            {
            }

            return "opens";
        }
        catch (System.Security.Cryptography.CryptographicException)
        {
            return "does not open";
        }
        finally
        {
            File.Delete(path);
        }
    }
}
