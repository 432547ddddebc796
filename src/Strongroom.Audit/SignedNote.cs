namespace Strongroom.Audit;

/// <summary>
/// A C2SP signed-note verifier key (<c>name+hexkeyid+base64(0x01 ‖ Ed25519 public key)</c>), the
/// text a tenant pins. Key id = first 4 bytes of SHA-256(name ‖ 0x0A ‖ 0x01 ‖ public key).
/// </summary>
public sealed record NoteVerifierKey(string Name, uint KeyId, byte[] PublicKey)
{
    public const byte Ed25519SignatureType = 0x01;

    public static NoteVerifierKey ForEd25519(string name, byte[] publicKey) => throw new NotImplementedException("issue 4: formats");

    /// <summary>Parses vkey text; FormatException when malformed, when the type is not Ed25519, or when the key id does not match.</summary>
    public static NoteVerifierKey Parse(string text) => throw new NotImplementedException("issue 4: formats");

    public override string ToString() => throw new NotImplementedException("issue 4: formats");
}

/// <summary>One signature line of a note.</summary>
public sealed record NoteSignature(string Name, uint KeyId, byte[] Signature);

/// <summary>
/// C2SP signed-note: text ending in a newline, a blank line, then lines
/// <c>— name base64(uint32 key id ‖ signature)</c> (em dash U+2014). Verification follows the
/// spec: signatures by unknown keys are ignored, a bad signature by a known key rejects the note,
/// at least one known key must verify.
/// </summary>
public sealed record SignedNote(string Text, IReadOnlyList<NoteSignature> Signatures)
{
    /// <summary>Parses a note; FormatException when malformed (no blank line, bad lines, control characters, over 16 signatures…).</summary>
    public static SignedNote Parse(string note) => throw new NotImplementedException("issue 4: formats");

    /// <summary>True when at least one signature is by <paramref name="key"/> and every signature by it verifies.</summary>
    public bool VerifiedBy(NoteVerifierKey key) => throw new NotImplementedException("issue 4: formats");

    /// <summary>Signs <paramref name="text"/> (which must end in a newline) with an Ed25519 seed under <paramref name="keyName"/>.</summary>
    public static string Sign(string text, string keyName, ReadOnlySpan<byte> seed) => throw new NotImplementedException("issue 4: formats");
}

/// <summary>
/// A C2SP tlog-checkpoint body: <c>origin\nsize\nbase64(root)\n</c> (no extension lines).
/// </summary>
public sealed record Checkpoint(string Origin, long Size, byte[] RootHash)
{
    public string ToText() => throw new NotImplementedException("issue 4: formats");

    /// <summary>Parses a checkpoint body (the note's text); FormatException when malformed (leading zeros, bad base64, wrong hash length…).</summary>
    public static Checkpoint Parse(string text) => throw new NotImplementedException("issue 4: formats");
}
