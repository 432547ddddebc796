using System.Text;
using Strongroom.Core;

namespace Strongroom.Destruction.Tests;

/// <summary>The certificate's canonical document: frozen bytes and strict decoding.</summary>
public sealed class CertificateDocumentTests
{
    private static readonly DateTimeOffset KeysOn = new DateTimeOffset(2026, 11, 30, 16, 0, 0, TimeSpan.FromHours(8)).AddTicks(1234567);

    internal static CertificateDocument Sample() => new()
    {
        Id = "d-0001",
        Revision = 2,
        IssuedOn = KeysOn.AddDays(1),
        Deployment = "0123456789abcdef",
        Account = "acme",
        Scope = new CertificateScope(DestructionKind.ContainerPurge, "été"),
        Keys =
        [
            new DestroyedKey("data-key/00000000000000000000000000000001", KeysOn),
            new DestroyedKey("vault-key/acme/cmk/0123", null, KeysOn.AddDays(90)),
        ],
        DataKeys = new DataKeySummary(1, CertificateDocument.DataKeyDigest(["data-key/00000000000000000000000000000001"])),
        Objects = 3,
        Bytes = 12288,
        Sites =
        [
            new DestructionSite("east-1", 3, SweepComplete: true, KeysOn.AddHours(1)),
            new DestructionSite("west-1", 2, SweepComplete: true, KeysOn.AddHours(2)),
        ],
        KeysDestroyedOn = KeysOn,
        SweepCompletedOn = KeysOn.AddHours(2),
        Log = new CertificateLog(
            "strongroom/0123456789abcdef/acme",
            "strongroom/0123456789abcdef/acme\n7\n47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=\n\n\u2014 strongroom/0123456789abcdef/acme AAAAAA==\n",
            [new CertificateLogEntry(5, Encoding.UTF8.GetBytes("{\"v\":1}"), [new byte[32], Enumerable.Repeat((byte)0xff, 32).ToArray()])]),
        VerifierKey = "strongroom/0123456789abcdef/acme+01020304+AQ==",
    };

    private const string Golden =
        "{\"type\":\"strongroom-destruction-certificate\",\"version\":1,\"id\":\"d-0001\",\"revision\":2,\"issuedOn\":\"2026-12-01T08:00:00.1234567Z\"," +
        "\"deployment\":\"0123456789abcdef\",\"account\":\"acme\",\"scope\":{\"kind\":\"container\",\"name\":\"\\u00E9t\\u00E9\"}," +
        "\"method\":\"cryptographic-erase-then-delete\",\"standard\":\"NIST SP 800-88 Rev. 2 Purge (cryptographic erase)\"," +
        "\"keys\":[{\"id\":\"data-key/00000000000000000000000000000001\",\"destroyedOn\":\"2026-11-30T08:00:00.1234567Z\"}," +
        "{\"id\":\"vault-key/acme/cmk/0123\",\"scheduledOn\":\"2027-02-28T08:00:00.1234567Z\"}]," +
        "\"dataKeys\":{\"count\":1,\"sha256\":\"3ee070f5685fc369e3b8344ea51e5138a13df07b173d94e793c6b98c8aaa38bf\"},\"objects\":3,\"bytes\":12288," +
        "\"sites\":[{\"id\":\"east-1\",\"copies\":3,\"sweepComplete\":true,\"completedOn\":\"2026-11-30T09:00:00.1234567Z\"}," +
        "{\"id\":\"west-1\",\"copies\":2,\"sweepComplete\":true,\"completedOn\":\"2026-11-30T10:00:00.1234567Z\"}]," +
        "\"keysDestroyedOn\":\"2026-11-30T08:00:00.1234567Z\",\"sweepCompletedOn\":\"2026-11-30T10:00:00.1234567Z\"," +
        "\"log\":{\"origin\":\"strongroom/0123456789abcdef/acme\",\"checkpoint\":\"strongroom/0123456789abcdef/acme\\n7\\n47DEQpj8HBSa\\u002B/TImW\\u002B5JCeuQeRkm5NMpJWZG3hSuFU=\\n\\n\\u2014 strongroom/0123456789abcdef/acme AAAAAA==\\n\"," +
        "\"entries\":[{\"index\":5,\"entry\":\"eyJ2IjoxfQ==\",\"proof\":[\"AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=\",\"//////////////////////////////////////////8=\"]}]}," +
        "\"signer\":{\"verifierKey\":\"strongroom/0123456789abcdef/acme\\u002B01020304\\u002BAQ==\"}}";

    [Fact]
    public void Document_bytes_are_frozen()
    {
        Assert.Equal(Golden, Encoding.UTF8.GetString(Sample().Encode()));
    }

    [Fact]
    public void The_data_key_digest_is_order_independent_and_frozen()
    {
        Assert.Equal(CertificateDocument.DataKeyDigest(["b", "a"]), CertificateDocument.DataKeyDigest(["a", "b"]));
        Assert.Equal(Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData("a\nb\n"u8)), CertificateDocument.DataKeyDigest(["b", "a"]));
        Assert.Equal("e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855", CertificateDocument.DataKeyDigest([]));
    }

    [Fact]
    public void Decoding_round_trips_and_refuses_anything_but_the_canonical_form()
    {
        var bytes = Sample().Encode();
        var decoded = CertificateDocument.Decode(bytes);
        Assert.Equal(bytes, decoded.Encode());
        Assert.Equal("été", decoded.Scope.Name);
        Assert.Null(decoded.Keys[1].DestroyedOn);
        Assert.Equal(KeysOn.AddDays(90), decoded.Keys[1].ScheduledOn);

        var text = Encoding.UTF8.GetString(bytes);
        string[] variants =
        [
            text.Replace("{\"type\"", "{ \"type\"", StringComparison.Ordinal),
            text.Replace("\"version\":1", "\"version\":2", StringComparison.Ordinal),
            text.Replace("\"objects\":3,\"bytes\":12288", "\"bytes\":12288,\"objects\":3", StringComparison.Ordinal),
            text.Replace("\\u00E9t\\u00E9", "été", StringComparison.Ordinal),
            text.Replace(".1234567Z\",\"deployment", "Z\",\"deployment", StringComparison.Ordinal),
            text.Replace("\"account\":\"acme\",", "\"account\":\"acme\",\"extra\":1,", StringComparison.Ordinal),
            text.Replace("cryptographic-erase-then-delete", "overwrite", StringComparison.Ordinal),
            text.Replace("\"count\":1", "\"count\":-1", StringComparison.Ordinal),
            text.Replace("\"completedOn\":\"2026-11-30T09:00:00.1234567Z\"", "\"completedOn\":null", StringComparison.Ordinal),
            text + "\n",
            text.Replace("\"type\":\"strongroom-destruction-certificate\",", "\"type\":\"strongroom-destruction-certificate\",\"type\":\"strongroom-destruction-certificate\",", StringComparison.Ordinal),
        ];
        foreach (var variant in variants)
        {
            Assert.NotEqual(text, variant);
            Assert.Throws<FormatException>(() => CertificateDocument.Decode(Encoding.UTF8.GetBytes(variant)));
        }
    }

    [Fact]
    public void A_key_has_exactly_one_of_its_times()
    {
        var sample = Sample();
        Assert.Throws<ArgumentException>(() => (sample with { Keys = [new DestroyedKey("account-kek/acme/v1", null)] }).Encode());
        Assert.Throws<ArgumentException>(() => (sample with { Keys = [new DestroyedKey("account-kek/acme/v1", KeysOn, KeysOn)] }).Encode());
        Assert.Throws<ArgumentException>(() => (sample with { Sites = [new DestructionSite("east-1", 1, SweepComplete: false, KeysOn)] }).Encode());
    }
}
