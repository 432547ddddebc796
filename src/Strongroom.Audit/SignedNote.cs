using System.Buffers.Binary;
using System.Globalization;
using System.Security.Cryptography;
using System.Text;

using Strongroom.Crypto;

namespace Strongroom.Audit;

/// <summary>
/// A C2SP signed-note verifier key (<c>name+hexkeyid+base64(0x01 ‖ Ed25519 public key)</c>), the
/// text a tenant pins. Key id = first 4 bytes of SHA-256(name ‖ 0x0A ‖ 0x01 ‖ public key).
/// Two keys are equal when name, id and public key bytes are.
/// </summary>
public sealed record NoteVerifierKey(string Name, uint KeyId, byte[] PublicKey)
{
    public const byte Ed25519SignatureType = 0x01;

    public static NoteVerifierKey ForEd25519(string name, byte[] publicKey)
    {
        ArgumentNullException.ThrowIfNull(publicKey);
        if (!NoteText.IsValidKeyName(name))
        {
            throw new ArgumentException("A key name is non-empty and has no spaces, control characters or '+'.", nameof(name));
        }

        if (publicKey.Length != Ed25519.PublicKeyBytes)
        {
            throw new ArgumentException($"An Ed25519 public key is {Ed25519.PublicKeyBytes} bytes.", nameof(publicKey));
        }

        return new NoteVerifierKey(name, ComputeKeyId(name, publicKey), (byte[])publicKey.Clone());
    }

    /// <summary>
    /// Parses vkey text (surrounding whitespace, such as the final newline of <c>GET /key</c>, is
    /// ignored); FormatException when malformed, when the type is not Ed25519, or when the key id
    /// does not match.
    /// </summary>
    public static NoteVerifierKey Parse(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        text = text.Trim();
        var firstPlus = text.IndexOf('+', StringComparison.Ordinal);
        var secondPlus = firstPlus < 0 ? -1 : text.IndexOf('+', firstPlus + 1);
        if (secondPlus < 0)
        {
            throw new FormatException("A verifier key is name+keyid+base64key.");
        }

        var name = text[..firstPlus];
        var idHex = text[(firstPlus + 1)..secondPlus];
        if (!NoteText.IsValidKeyName(name))
        {
            throw new FormatException("A verifier key's name is non-empty and has no spaces, control characters or '+'.");
        }

        if (idHex.Length != 8 || !idHex.All(char.IsAsciiHexDigit) || !uint.TryParse(idHex, NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture, out var keyId))
        {
            throw new FormatException("A verifier key's id is 8 hexadecimal digits.");
        }

        var key = NoteText.DecodeBase64(text[(secondPlus + 1)..]) ?? throw new FormatException("A verifier key's key is not canonical base64.");
        if (key.Length == 0 || key[0] != Ed25519SignatureType)
        {
            throw new FormatException("Only Ed25519 verifier keys (type 0x01) are supported.");
        }

        if (key.Length != 1 + Ed25519.PublicKeyBytes)
        {
            throw new FormatException($"An Ed25519 verifier key holds {Ed25519.PublicKeyBytes} bytes.");
        }

        var publicKey = key[1..];
        if (ComputeKeyId(name, publicKey) != keyId)
        {
            throw new FormatException("The verifier key's id does not match its name and key.");
        }

        return new NoteVerifierKey(name, keyId, publicKey);
    }

    public override string ToString() =>
        $"{Name}+{KeyId:x8}+{Convert.ToBase64String([Ed25519SignatureType, .. PublicKey])}";

    public bool Equals(NoteVerifierKey? other) =>
        other is not null && Name == other.Name && KeyId == other.KeyId && PublicKey.AsSpan().SequenceEqual(other.PublicKey);

    public override int GetHashCode() => HashCode.Combine(Name, KeyId);

    internal static uint ComputeKeyId(string name, ReadOnlySpan<byte> publicKey)
    {
        var nameBytes = Encoding.UTF8.GetBytes(name);
        var input = new byte[nameBytes.Length + 2 + publicKey.Length];
        nameBytes.CopyTo(input, 0);
        input[nameBytes.Length] = (byte)'\n';
        input[nameBytes.Length + 1] = Ed25519SignatureType;
        publicKey.CopyTo(input.AsSpan(nameBytes.Length + 2));
        return BinaryPrimitives.ReadUInt32BigEndian(SHA256.HashData(input));
    }
}

/// <summary>One signature line of a note.</summary>
public sealed record NoteSignature(string Name, uint KeyId, byte[] Signature);

/// <summary>
/// C2SP signed-note: text ending in a newline, a blank line, then lines
/// <c>— name base64(uint32 key id ‖ signature)</c> (em dash U+2014). Verification follows the
/// spec: signatures by unknown keys are ignored, a bad signature by a known key rejects the note,
/// at least one known key must verify. The text is separated from the signatures by the last
/// blank line; a note with more than <see cref="SignaturesMax"/> signatures is refused.
/// </summary>
public sealed record SignedNote(string Text, IReadOnlyList<NoteSignature> Signatures)
{
    /// <summary>The spec asks verifiers to accept at least 16.</summary>
    public const int SignaturesMax = 16;

    /// <summary>Parses a note; FormatException when malformed (no blank line, bad lines, control characters, over 16 signatures…).</summary>
    public static SignedNote Parse(string note)
    {
        ArgumentNullException.ThrowIfNull(note);
        if (!NoteText.IsValidNoteText(note))
        {
            throw new FormatException("A signed note is UTF-8 text ending in a newline, with no control characters other than newlines.");
        }

        var split = note.LastIndexOf("\n\n", StringComparison.Ordinal);
        if (split < 0)
        {
            throw new FormatException("A signed note has a blank line between its text and its signatures.");
        }

        var text = note[..(split + 1)];
        var block = note[(split + 2)..];
        if (block.Length == 0)
        {
            throw new FormatException("A signed note has at least one signature line.");
        }

        var lines = block[..^1].Split('\n');
        if (lines.Length > SignaturesMax)
        {
            throw new FormatException($"A signed note has at most {SignaturesMax} signatures.");
        }

        var signatures = new List<NoteSignature>(lines.Length);
        foreach (var line in lines)
        {
            signatures.Add(ParseSignatureLine(line));
        }

        return new SignedNote(text, signatures);
    }

    /// <summary>True when at least one signature is by <paramref name="key"/> and every signature by it verifies.</summary>
    public bool VerifiedBy(NoteVerifierKey key)
    {
        ArgumentNullException.ThrowIfNull(key);
        var message = Encoding.UTF8.GetBytes(Text);
        var any = false;
        foreach (var signature in Signatures)
        {
            if (signature.Name != key.Name || signature.KeyId != key.KeyId)
            {
                continue;
            }

            if (!Ed25519.Verify(key.PublicKey, message, signature.Signature))
            {
                return false;
            }

            any = true;
        }

        return any;
    }

    /// <summary>Whether any signature names <paramref name="key"/> (by name and key id), verified or not.</summary>
    public bool HasSignatureBy(NoteVerifierKey key)
    {
        ArgumentNullException.ThrowIfNull(key);
        return Signatures.Any(signature => signature.Name == key.Name && signature.KeyId == key.KeyId);
    }

    /// <summary>Signs <paramref name="text"/> (which must end in a newline) with an Ed25519 seed under <paramref name="keyName"/>.</summary>
    public static string Sign(string text, string keyName, ReadOnlySpan<byte> seed)
    {
        ArgumentNullException.ThrowIfNull(text);
        if (text.Length == 0 || !NoteText.IsValidNoteText(text))
        {
            throw new ArgumentException("A note's text is UTF-8 ending in a newline, with no control characters other than newlines.", nameof(text));
        }

        if (!NoteText.IsValidKeyName(keyName))
        {
            throw new ArgumentException("A key name is non-empty and has no spaces, control characters or '+'.", nameof(keyName));
        }

        var publicKey = Ed25519.PublicKeyFromSeed(seed);
        var signed = new byte[4 + Ed25519.SignatureBytes];
        BinaryPrimitives.WriteUInt32BigEndian(signed, NoteVerifierKey.ComputeKeyId(keyName, publicKey));
        Ed25519.Sign(seed, Encoding.UTF8.GetBytes(text)).CopyTo(signed, 4);
        return $"{text}\n\u2014 {keyName} {Convert.ToBase64String(signed)}\n";
    }

    private static NoteSignature ParseSignatureLine(string line)
    {
        const string Prefix = "\u2014 ";
        if (!line.StartsWith(Prefix, StringComparison.Ordinal))
        {
            throw new FormatException("A signature line starts with an em dash and a space.");
        }

        var rest = line[Prefix.Length..];
        var space = rest.IndexOf(' ', StringComparison.Ordinal);
        if (space < 0)
        {
            throw new FormatException("A signature line is '— name signature'.");
        }

        var name = rest[..space];
        if (!NoteText.IsValidKeyName(name))
        {
            throw new FormatException("A signature's key name is non-empty and has no spaces or '+'.");
        }

        var bytes = NoteText.DecodeBase64(rest[(space + 1)..]);
        if (bytes is null || bytes.Length < 5)
        {
            throw new FormatException("A signature is canonical base64 of a 4-byte key id and the signature.");
        }

        return new NoteSignature(name, BinaryPrimitives.ReadUInt32BigEndian(bytes), bytes[4..]);
    }
}

/// <summary>
/// A C2SP tlog-checkpoint body: <c>origin\nsize\nbase64(root)\n</c> (no extension lines).
/// </summary>
public sealed record Checkpoint(string Origin, long Size, byte[] RootHash)
{
    public string ToText()
    {
        if (string.IsNullOrEmpty(Origin) || !NoteText.IsValidNoteText(Origin + "\n") || Origin.Contains('\n', StringComparison.Ordinal))
        {
            throw new ArgumentException("A checkpoint's origin is one non-empty line without control characters.");
        }

        if (Size < 0 || RootHash is not { Length: Core.MerkleTree.HashBytes })
        {
            throw new ArgumentException("A checkpoint has a non-negative size and a 32-byte root.");
        }

        return $"{Origin}\n{Size.ToString(CultureInfo.InvariantCulture)}\n{Convert.ToBase64String(RootHash)}\n";
    }

    /// <summary>
    /// Parses a checkpoint body (the note's text); FormatException when malformed (leading zeros,
    /// bad base64, wrong hash length…). Extension lines after the third are tolerated (and
    /// ignored) when non-empty.
    /// </summary>
    public static Checkpoint Parse(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        if (!text.EndsWith('\n'))
        {
            throw new FormatException("A checkpoint ends in a newline.");
        }

        var lines = text[..^1].Split('\n');
        if (lines.Length < 3)
        {
            throw new FormatException("A checkpoint has an origin, a size and a root hash line.");
        }

        if (lines.Skip(3).Any(line => line.Length == 0))
        {
            throw new FormatException("A checkpoint's extension lines are non-empty.");
        }

        var origin = lines[0];
        if (origin.Length == 0)
        {
            throw new FormatException("A checkpoint's origin is non-empty.");
        }

        var sizeText = lines[1];
        if (sizeText.Length == 0 || !sizeText.All(char.IsAsciiDigit) || (sizeText.Length > 1 && sizeText[0] == '0')
            || !long.TryParse(sizeText, NumberStyles.None, CultureInfo.InvariantCulture, out var size))
        {
            throw new FormatException("A checkpoint's size is a decimal number without leading zeros.");
        }

        var root = NoteText.DecodeBase64(lines[2]);
        if (root is not { Length: Core.MerkleTree.HashBytes })
        {
            throw new FormatException("A checkpoint's root is the canonical base64 of 32 bytes.");
        }

        return new Checkpoint(origin, size, root);
    }
}

/// <summary>The text rules of C2SP signed notes.</summary>
internal static class NoteText
{
    /// <summary>Ends in a newline; no control characters but newline; no lone surrogates (so it encodes to valid UTF-8).</summary>
    public static bool IsValidNoteText(string text)
    {
        if (text.Length == 0 || text[^1] != '\n')
        {
            return false;
        }

        for (var i = 0; i < text.Length; i++)
        {
            var c = text[i];
            if (c < 0x20 && c != '\n')
            {
                return false;
            }

            if (char.IsHighSurrogate(c))
            {
                if (i + 1 >= text.Length || !char.IsLowSurrogate(text[i + 1]))
                {
                    return false;
                }

                i++;
            }
            else if (char.IsLowSurrogate(c))
            {
                return false;
            }
        }

        return true;
    }

    /// <summary>Non-empty, no Unicode white space, no '+', no control characters, valid UTF-16.</summary>
    public static bool IsValidKeyName(string? name) =>
        !string.IsNullOrEmpty(name)
        && !name.Any(c => char.IsWhiteSpace(c) || char.IsControl(c) || c == '+')
        && IsValidNoteText(name + "\n");

    /// <summary>Standard padded base64 in its one canonical spelling, else null (no whitespace, zero pad bits).</summary>
    public static byte[]? DecodeBase64(string text)
    {
        if (text.Length == 0 || text.Length % 4 != 0 || text.Any(char.IsWhiteSpace))
        {
            return null;
        }

        var buffer = new byte[text.Length / 4 * 3];
        if (!Convert.TryFromBase64String(text, buffer, out var written))
        {
            return null;
        }

        var bytes = buffer[..written];
        return Convert.ToBase64String(bytes) == text ? bytes : null;
    }
}
