using Strongroom.Crypto;

namespace Strongroom.Audit.Tests;

/// <summary>C2SP signed-note and tlog-checkpoint: the spec's checked example, signing, and every rejection the verifier relies on.</summary>
public sealed class SignedNoteTests
{
    // The C2SP signed-note example (checked in the reference notes with an independent implementation).
    private const string ExampleKey = "example.com/foo+530d903a+AekyeRrm56hApGFkyQR4ZCbV54Id2LKaANYcrnKv3U2k";
    private const string ExampleText = "This is an example message.\n";
    private const string ExampleSignature = "Uw2QOkn8srV1yJGh2VYRlL1Tnagv1YEq6TfXppzi2ONncAlTgK7Ztg1ERYNZXsYjOBH3mFXmRKuwHjG1Yu72IneyaQM=";
    private const string ExampleNote = ExampleText + "\n\u2014 example.com/foo " + ExampleSignature + "\n";

    private static readonly byte[] Seed = Enumerable.Range(1, 32).Select(i => (byte)i).ToArray();

    [Fact]
    public void The_spec_example_verifies()
    {
        var key = NoteVerifierKey.Parse(ExampleKey);
        Assert.Equal("example.com/foo", key.Name);
        Assert.Equal(0x530d903au, key.KeyId);
        Assert.Equal(ExampleKey, key.ToString());

        var note = SignedNote.Parse(ExampleNote);
        Assert.Equal(ExampleText, note.Text);
        var signature = Assert.Single(note.Signatures);
        Assert.Equal("example.com/foo", signature.Name);
        Assert.Equal(0x530d903au, signature.KeyId);
        Assert.Equal(64, signature.Signature.Length);
        Assert.True(note.VerifiedBy(key));
    }

    [Fact]
    public void A_flipped_byte_or_other_text_fails()
    {
        var key = NoteVerifierKey.Parse(ExampleKey);
        var signature = Convert.FromBase64String(ExampleSignature);
        signature[^1] ^= 1;
        Assert.False(SignedNote.Parse(ExampleText + "\n\u2014 example.com/foo " + Convert.ToBase64String(signature) + "\n").VerifiedBy(key));
        Assert.False(SignedNote.Parse("This is an example massage.\n\n\u2014 example.com/foo " + ExampleSignature + "\n").VerifiedBy(key));
    }

    [Fact]
    public void A_wrong_key_does_not_verify_and_unknown_keys_are_ignored()
    {
        var example = NoteVerifierKey.Parse(ExampleKey);
        var other = NoteVerifierKey.ForEd25519("example.com/foo", Ed25519.PublicKeyFromSeed(Seed));
        var note = SignedNote.Parse(ExampleNote);
        Assert.False(note.VerifiedBy(other));
        Assert.False(note.HasSignatureBy(other));

        // A second signature by another key: ignored by a verifier that knows only the example key.
        var mine = SignedNote.Parse(SignedNote.Sign(ExampleText, "other.example/log", Seed));
        var both = SignedNote.Parse(ExampleNote + "\u2014 other.example/log " + SignatureText(mine.Signatures[0]) + "\n");
        Assert.Equal(2, both.Signatures.Count);
        Assert.True(both.VerifiedBy(example));
        Assert.True(both.VerifiedBy(NoteVerifierKey.ForEd25519("other.example/log", Ed25519.PublicKeyFromSeed(Seed))));

        // The same name and a different id is an unknown key (ignored), not a failure.
        var wrongId = ExampleNote + "\u2014 example.com/foo " + Convert.ToBase64String([0, 0, 0, 1, .. Convert.FromBase64String(ExampleSignature)[4..]]) + "\n";
        Assert.True(SignedNote.Parse(wrongId).VerifiedBy(example));

        // A bad signature by the known key rejects the note even when another one verifies.
        var tampered = Convert.FromBase64String(ExampleSignature);
        tampered[10] ^= 0x80;
        Assert.False(SignedNote.Parse(ExampleNote + "\u2014 example.com/foo " + Convert.ToBase64String(tampered) + "\n").VerifiedBy(example));
    }

    [Fact]
    public void Signing_round_trips_and_the_text_may_hold_blank_lines()
    {
        var key = NoteVerifierKey.ForEd25519("strongroom/abc/acme", Ed25519.PublicKeyFromSeed(Seed));
        var text = "first\n\nthird\n";
        var signed = SignedNote.Sign(text, key.Name, Seed);
        Assert.StartsWith(text + "\n\u2014 strongroom/abc/acme ", signed, StringComparison.Ordinal);
        Assert.EndsWith("\n", signed, StringComparison.Ordinal);

        var note = SignedNote.Parse(signed);
        Assert.Equal(text, note.Text);
        Assert.True(note.VerifiedBy(key));
        Assert.Equal(key, NoteVerifierKey.Parse(key.ToString() + "\n"));
    }

    [Theory]
    [InlineData("This is an example message.\n\u2014 example.com/foo SIG\n")] // no blank line
    [InlineData("This is an example message.\n\n")] // no signatures
    [InlineData("This is an example message.\n\n\u2014 example.com/foo SIG")] // no final newline
    [InlineData("This is an example message.\n\n- example.com/foo SIG\n")] // hyphen, not em dash
    [InlineData("This is an example message.\n\n\u2014example.com/foo SIG\n")] // no space after the dash
    [InlineData("This is an example message.\n\n\u2014 example.com/foo  SIG\n")] // two spaces
    [InlineData("This is an example message.\n\n\u2014 example.com/foo SIG \n")] // trailing space
    [InlineData("This is an example message.\n\n\u2014 example.com/foo\n")] // no signature
    [InlineData("This is an example message.\n\n\u2014  SIG\n")] // empty name
    [InlineData("This is an example message.\n\n\u2014 a+b SIG\n")] // '+' in the name
    [InlineData("This is an example message.\n\n\u2014 example.com/foo AAAA\n")] // too short
    [InlineData("This is an example message.\n\n\u2014 example.com/foo SIG\n\n")] // blank line after the signatures
    [InlineData("This is\tan example message.\n\n\u2014 example.com/foo SIG\n")] // control character
    [InlineData("This is an example message.\r\n\n\u2014 example.com/foo SIG\n")] // carriage return
    [InlineData("This is an example message.\n\n\u2014 example.com/foo SIG\n\u2014 example.com/foo SIG\n\u2014 example.com/foo SIG\n\u2014 example.com/foo SIG\n\u2014 example.com/foo SIG\n\u2014 example.com/foo SIG\n\u2014 example.com/foo SIG\n\u2014 example.com/foo SIG\n\u2014 example.com/foo SIG\n\u2014 example.com/foo SIG\n\u2014 example.com/foo SIG\n\u2014 example.com/foo SIG\n\u2014 example.com/foo SIG\n\u2014 example.com/foo SIG\n\u2014 example.com/foo SIG\n\u2014 example.com/foo SIG\n\u2014 example.com/foo SIG\n")] // 17 signatures
    public void Malformed_notes_are_rejected(string template)
    {
        var note = template.Replace("SIG", ExampleSignature, StringComparison.Ordinal);
        Assert.Throws<FormatException>(() => SignedNote.Parse(note));
    }

    [Fact]
    public void Sixteen_signatures_are_accepted()
    {
        var lines = string.Concat(Enumerable.Repeat("\u2014 example.com/foo " + ExampleSignature + "\n", 16));
        var note = SignedNote.Parse(ExampleText + "\n" + lines);
        Assert.Equal(16, note.Signatures.Count);
        Assert.True(note.VerifiedBy(NoteVerifierKey.Parse(ExampleKey)));
    }

    [Fact]
    public void Non_canonical_base64_is_rejected()
    {
        // The last character of a padded base64 string carries unused bits; only zero bits are canonical.
        var bytes = Convert.FromBase64String(ExampleSignature);
        var canonical = Convert.ToBase64String(bytes);
        var sloppy = canonical[..^2] + (char)(canonical[^2] + 1) + "=";
        Assert.Equal(bytes, Convert.FromBase64String(sloppy));
        Assert.Throws<FormatException>(() => SignedNote.Parse(ExampleText + "\n\u2014 example.com/foo " + sloppy + "\n"));
        Assert.Throws<FormatException>(() => SignedNote.Parse(ExampleText + "\n\u2014 example.com/foo " + canonical.TrimEnd('=') + "\n"));
    }

    [Theory]
    [InlineData("example.com/foo+530d903b+AekyeRrm56hApGFkyQR4ZCbV54Id2LKaANYcrnKv3U2k")] // id does not match
    [InlineData("example.com/bar+530d903a+AekyeRrm56hApGFkyQR4ZCbV54Id2LKaANYcrnKv3U2k")] // name does not match the id
    [InlineData("example.com/foo+530d903+AekyeRrm56hApGFkyQR4ZCbV54Id2LKaANYcrnKv3U2k")] // 7-digit id
    [InlineData("example.com/foo+530d903g+AekyeRrm56hApGFkyQR4ZCbV54Id2LKaANYcrnKv3U2k")] // not hex
    [InlineData("example.com/foo+530d903a+AukyeRrm56hApGFkyQR4ZCbV54Id2LKaANYcrnKv3U2k")] // type 0x02
    [InlineData("example.com/foo+530d903a+AekyeRrm56hApGFkyQR4ZCbV54Id2LKaANYcrnKv3U2")] // truncated base64
    [InlineData("example.com/foo+530d903a+AekyeRrm56hApGFkyQR4ZCbV54Id2LKaANYcrnKv3Q==")] // short key
    [InlineData("example.com/foo+530d903a")]
    [InlineData("+530d903a+AekyeRrm56hApGFkyQR4ZCbV54Id2LKaANYcrnKv3U2k")]
    [InlineData("example com+530d903a+AekyeRrm56hApGFkyQR4ZCbV54Id2LKaANYcrnKv3U2k")]
    [InlineData("")]
    public void Malformed_verifier_keys_are_rejected(string text)
    {
        Assert.Throws<FormatException>(() => NoteVerifierKey.Parse(text));
    }

    [Fact]
    public void Key_names_are_checked_when_signing()
    {
        Assert.Throws<ArgumentException>(() => NoteVerifierKey.ForEd25519("a b", new byte[32]));
        Assert.Throws<ArgumentException>(() => NoteVerifierKey.ForEd25519("a+b", new byte[32]));
        Assert.Throws<ArgumentException>(() => NoteVerifierKey.ForEd25519("ab", new byte[31]));
        Assert.Throws<ArgumentException>(() => SignedNote.Sign("no newline", "a", Seed));
        Assert.Throws<ArgumentException>(() => SignedNote.Sign("tab\t\n", "a", Seed));
        Assert.Throws<ArgumentException>(() => SignedNote.Sign("ok\n", "", Seed));
    }

    [Fact]
    public void Checkpoint_text_round_trips()
    {
        var root = Enumerable.Range(0, 32).Select(i => (byte)(i * 3)).ToArray();
        var checkpoint = new Checkpoint("strongroom/0123abcd/acme", 1234567, root);
        var text = checkpoint.ToText();
        Assert.Equal("strongroom/0123abcd/acme\n1234567\n" + Convert.ToBase64String(root) + "\n", text);

        var parsed = Checkpoint.Parse(text);
        Assert.Equal(checkpoint.Origin, parsed.Origin);
        Assert.Equal(checkpoint.Size, parsed.Size);
        Assert.Equal(root, parsed.RootHash);

        Assert.Equal(0, Checkpoint.Parse("o\n0\n" + Convert.ToBase64String(root) + "\n").Size);
        Assert.Equal(5, Checkpoint.Parse("o\n5\n" + Convert.ToBase64String(root) + "\nextension line\nanother\n").Size);
    }

    [Theory]
    [InlineData("o\n05\nROOT\n")] // leading zero
    [InlineData("o\n-5\nROOT\n")]
    [InlineData("o\n+5\nROOT\n")]
    [InlineData("o\n 5\nROOT\n")]
    [InlineData("o\n\nROOT\n")]
    [InlineData("o\n99999999999999999999\nROOT\n")] // overflows
    [InlineData("\n5\nROOT\n")] // empty origin
    [InlineData("o\n5\nROOT")] // no final newline
    [InlineData("o\n5\n")] // two lines
    [InlineData("o\n5\nROOT\n\n")] // empty extension line
    [InlineData("o\n5\nAAAA\n")] // 3-byte root
    [InlineData("o\n5\nnot base64!\n")]
    public void Malformed_checkpoints_are_rejected(string template)
    {
        var text = template.Replace("ROOT", Convert.ToBase64String(new byte[32]), StringComparison.Ordinal);
        Assert.Throws<FormatException>(() => Checkpoint.Parse(text));
    }

    private static string SignatureText(NoteSignature signature)
    {
        var bytes = new byte[4 + signature.Signature.Length];
        System.Buffers.Binary.BinaryPrimitives.WriteUInt32BigEndian(bytes, signature.KeyId);
        signature.Signature.CopyTo(bytes, 4);
        return Convert.ToBase64String(bytes);
    }
}
