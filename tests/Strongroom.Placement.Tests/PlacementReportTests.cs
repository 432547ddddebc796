using System.Text;
using Strongroom.Audit;
using Strongroom.Core;
using Strongroom.Vault;

namespace Strongroom.Placement.Tests;

/// <summary>The signed placement report: frozen bytes, strict decoding, and verification against every kind of tampering.</summary>
public sealed class PlacementReportTests : IDisposable
{
    private const string Deployment = "0123456789abcdef";

    private const string Golden =
        "{\"version\":1,\"deployment\":\"0123456789abcdef\",\"account\":\"acme\",\"generatedOn\":\"2026-11-30T08:00:00.1234567Z\",\"sc" +
        "ope\":{\"container\":\"photos\",\"blob\":\"\\u00E9t\\u00E9.jpg\"},\"policy\":{\"residency\":[\"CN\"],\"primaryRegion\":\"cn-east\"," +
        "\"secondaryRegion\":\"cn-north\",\"redundancy\":\"RA-GRS\"},\"summary\":{\"sites\":[{\"id\":\"east-1\",\"region\":\"cn-east\",\"zon" +
        "e\":\"cn-east-1\",\"jurisdiction\":\"CN\",\"present\":10,\"pending\":1,\"bad\":0,\"bytes\":40960},{\"id\":\"north-1\",\"region\":\"c" +
        "n-north\",\"zone\":\"cn-north-1\",\"jurisdiction\":\"CN\",\"present\":9,\"pending\":2,\"bad\":1,\"bytes\":36864}],\"regions\":[{\"" +
        "name\":\"cn-east\",\"objects\":10,\"bytes\":40960},{\"name\":\"cn-north\",\"objects\":9,\"bytes\":36864}],\"jurisdictions\":[{\"" +
        "name\":\"CN\",\"objects\":19,\"bytes\":77824}]},\"copies\":[{\"container\":\"photos\",\"blob\":\"\\u00E9t\\u00E9.jpg\",\"length\":4" +
        "000,\"objects\":[{\"id\":\"00112233445566778899aabbccddeeff\",\"bytes\":4096,\"copies\":[{\"site\":\"east-1\",\"region\":\"cn-e" +
        "ast\",\"zone\":\"cn-east-1\",\"jurisdiction\":\"CN\",\"state\":\"present\"},{\"site\":\"north-1\",\"region\":\"cn-north\",\"zone\":\"c" +
        "n-north-1\",\"jurisdiction\":\"CN\",\"state\":\"pending\"}]}]}],\"checkpoint\":\"strongroom/0123456789abcdef/acme\\n5\\n47DE" +
        "Qpj8HBSa\\u002B/TImW\\u002B5JCeuQeRkm5NMpJWZG3hSuFU=\\n\\n\\u2014 strongroom/0123456789abcdef/acme AAAAAA==\\n\"}";

    private readonly string directory = Directory.CreateTempSubdirectory("strongroom-report-").FullName;
    private readonly RootKey rootKey = RootKey.Generate(new SeededRandomSource(1));
    private readonly SealState seal;
    private readonly CheckpointSigner signer;

    public PlacementReportTests()
    {
        seal = SealState.Unsealed(Keyring.OpenOrCreate(Path.Combine(directory, "keyring"), rootKey, new SeededRandomSource(2)), null, new SeededRandomSource(3));
        signer = new CheckpointSigner(seal);
    }

    public void Dispose()
    {
        seal.Dispose();
        rootKey.Dispose();
        Directory.Delete(directory, recursive: true);
    }

    private static string Origin(string account = "acme") => TransparencyLog.OriginOf(Deployment, account);

    private string CheckpointNote(string account = "acme") => signer.Sign(new Checkpoint(Origin(account), 5, MerkleTree.EmptyRoot()));

    internal static PlacementReport Sample(string checkpoint) => new()
    {
        Deployment = Deployment,
        Account = "acme",
        GeneratedOn = new DateTimeOffset(2026, 11, 30, 16, 0, 0, TimeSpan.FromHours(8)).AddTicks(1234567),
        Container = "photos",
        Blob = "été.jpg",
        Policy = new PlacementPolicy(["CN"], "cn-east", "cn-north", Redundancy.RaGrs),
        Summary = new PlacementSummary(
            [
                new SiteUsage("east-1", "cn-east", "cn-east-1", "CN", 10, 1, 0, 40960),
                new SiteUsage("north-1", "cn-north", "cn-north-1", "CN", 9, 2, 1, 36864),
            ],
            [new AreaUsage("cn-east", 10, 40960), new AreaUsage("cn-north", 9, 36864)],
            [new AreaUsage("CN", 19, 77824)]),
        Copies =
        [
            new BlobCopies("photos", "été.jpg", 4000, [new ObjectLocation("00112233445566778899aabbccddeeff", 4096, [
                new SiteCopy("east-1", "cn-east", "cn-east-1", "CN", CopyState.Present),
                new SiteCopy("north-1", "cn-north", "cn-north-1", "CN", CopyState.Pending),
            ])]),
        ],
        Checkpoint = checkpoint,
    };

    private static readonly string FixedCheckpoint = "strongroom/0123456789abcdef/acme\n5\n47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=\n\n\u2014 strongroom/0123456789abcdef/acme AAAAAA==\n";

    [Fact]
    public void Report_bytes_are_frozen()
    {
        Assert.Equal(Golden, Encoding.UTF8.GetString(Sample(FixedCheckpoint).Encode()));
    }

    [Fact]
    public void A_copy_made_under_a_transfer_grows_the_format_by_one_member_and_nothing_else()
    {
        // Version 1 grows: a report with no transfer copy keeps the frozen bytes above; a transfer
        // copy adds "transfer" after its state, and that decodes back.
        var sample = Sample(FixedCheckpoint);
        var withTransfer = sample with
        {
            Copies =
            [
                sample.Copies![0] with
                {
                    Objects = [sample.Copies[0].Objects[0] with { Copies = [.. sample.Copies[0].Objects[0].Copies, new SiteCopy("eu-1", "eu-west", "eu-west-1", "EU", CopyState.Present, "tr-0123456789abcdef")] }],
                },
            ],
        };
        var expected = Golden.Replace(
            "\"state\":\"pending\"}]",
            "\"state\":\"pending\"},{\"site\":\"eu-1\",\"region\":\"eu-west\",\"zone\":\"eu-west-1\",\"jurisdiction\":\"EU\",\"state\":\"present\",\"transfer\":\"tr-0123456789abcdef\"}]",
            StringComparison.Ordinal);
        Assert.NotEqual(Golden, expected);
        var bytes = withTransfer.Encode();
        Assert.Equal(expected, Encoding.UTF8.GetString(bytes));
        var decoded = PlacementReport.Decode(bytes);
        Assert.Equal("tr-0123456789abcdef", decoded.Copies![0].Objects[0].Copies[2].TransferId);
        Assert.Null(decoded.Copies[0].Objects[0].Copies[0].TransferId);
        Assert.Equal(bytes, decoded.Encode());
    }

    [Fact]
    public void Decoding_round_trips_and_refuses_anything_but_the_canonical_form()
    {
        var bytes = Sample(FixedCheckpoint).Encode();
        var decoded = PlacementReport.Decode(bytes);
        Assert.Equal(bytes, decoded.Encode());
        Assert.Equal(Redundancy.RaGrs, decoded.Policy.Redundancy);
        Assert.Equal(CopyState.Pending, decoded.Copies![0].Objects[0].Copies[1].State);

        var text = Encoding.UTF8.GetString(bytes);
        Assert.Throws<FormatException>(() => PlacementReport.Decode(Encoding.UTF8.GetBytes(text.Replace("{\"version\":1,", "{ \"version\":1,", StringComparison.Ordinal))));
        Assert.Throws<FormatException>(() => PlacementReport.Decode(Encoding.UTF8.GetBytes(text.Replace("\"version\":1", "\"version\":2", StringComparison.Ordinal))));
        Assert.Throws<FormatException>(() => PlacementReport.Decode(Encoding.UTF8.GetBytes(text.Replace("\"state\":\"pending\"", "\"state\":\"lost\"", StringComparison.Ordinal))));
        Assert.Throws<FormatException>(() => PlacementReport.Decode(Encoding.UTF8.GetBytes(text[..^1])));
    }

    [Fact]
    public void An_account_wide_report_lists_no_copies_and_no_scope()
    {
        var report = Sample(FixedCheckpoint) with { Container = null, Blob = null, Copies = null };
        var text = Encoding.UTF8.GetString(report.Encode());
        Assert.DoesNotContain("\"scope\"", text, StringComparison.Ordinal);
        Assert.DoesNotContain("\"copies\"", text, StringComparison.Ordinal);
        Assert.Throws<ArgumentException>(() => (report with { Blob = "x" }).Encode());
    }

    [Fact]
    public void A_signed_report_verifies_with_the_account_logs_key()
    {
        var note = PlacementReports.Sign(Sample(CheckpointNote()), signer);

        var result = PlacementReports.Verify(note, signer.VerifierKey(Origin()));

        Assert.True(result.Valid, result.Failure);
        Assert.Equal("acme", result.Report!.Account);
        Assert.Single(note.Split('\n', StringSplitOptions.RemoveEmptyEntries), line => line.StartsWith('{'));
    }

    [Fact]
    public void A_changed_byte_fails_the_signature()
    {
        var note = PlacementReports.Sign(Sample(CheckpointNote()), signer);
        var tampered = note.Replace("\"present\":10", "\"present\":11", StringComparison.Ordinal);

        var result = PlacementReports.Verify(tampered, signer.VerifierKey(Origin()));

        Assert.False(result.Valid);
        Assert.Contains("does not verify", result.Failure, StringComparison.Ordinal);
    }

    [Fact]
    public void Another_accounts_key_or_another_deployments_key_finds_no_signature()
    {
        var note = PlacementReports.Sign(Sample(CheckpointNote()), signer);

        Assert.False(PlacementReports.Verify(note, signer.VerifierKey(Origin("other"))).Valid);
        var stranger = NoteVerifierKey.ForEd25519(Origin(), new byte[32]);
        Assert.Contains("no signature", PlacementReports.Verify(note, stranger).Failure, StringComparison.Ordinal);
    }

    [Fact]
    public void A_report_signed_under_another_accounts_origin_is_refused()
    {
        // Signed correctly, but under the key name of another tenant's log: it cannot pass for that tenant's report.
        var report = Sample(CheckpointNote());
        var note = signer.SignNote(report.NoteText(), Origin("other"));

        var result = PlacementReports.Verify(note, signer.VerifierKey(Origin("other")));

        Assert.False(result.Valid);
        Assert.Contains("the key is", result.Failure, StringComparison.Ordinal);
    }

    [Fact]
    public void The_embedded_checkpoint_must_be_the_accounts_own_and_signed()
    {
        var foreign = PlacementReports.Sign(Sample(CheckpointNote("other")), signer);
        var unsigned = PlacementReports.Sign(Sample(FixedCheckpoint), signer);

        Assert.Contains("embedded checkpoint", PlacementReports.Verify(foreign, signer.VerifierKey(Origin())).Failure, StringComparison.Ordinal);
        Assert.Contains("embedded checkpoint", PlacementReports.Verify(unsigned, signer.VerifierKey(Origin())).Failure, StringComparison.Ordinal);
    }

    [Fact]
    public void A_checkpoint_note_is_not_a_report_and_garbage_is_not_a_note()
    {
        var key = signer.VerifierKey(Origin());

        Assert.Contains("one line", PlacementReports.Verify(CheckpointNote(), key).Failure, StringComparison.Ordinal);
        Assert.Contains("not a signed note", PlacementReports.Verify("hello", key).Failure, StringComparison.Ordinal);
    }
}
