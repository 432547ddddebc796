using System.Buffers.Binary;
using System.Security.Cryptography;
using System.Text;
using Strongroom.Crypto;

namespace Strongroom.Vault;

/// <summary>
/// One custodian's unseal share in its text form, which people copy, paste or type.
/// </summary>
/// <remarks>
/// <para>Share text format version 1 (frozen):</para>
/// <code>
/// "srs1-" · base32(payload · checksum) in lowercase RFC 4648 letters, in groups of 8 joined by "-"
/// payload  = version u8 = 1 · deployment id (8 bytes) · seal generation u32 BE · index u8 · value (32 bytes)
/// checksum = SHA-256("strongroom share v1" · payload)[0..4]
/// </code>
/// <para>
/// The deployment id and generation say where a share belongs, so a share of another deployment
/// or from before a rekey is reported as such; the checksum catches typing mistakes. Parsing
/// ignores case, spaces and dashes. Neither <see cref="ToString"/> nor any exception message ever
/// contains the share's value or text.
/// </para>
/// </remarks>
public sealed class UnsealShare : IDisposable
{
    public const byte FormatVersion = 1;
    public const string Prefix = "srs1-";
    public const int ValueBytes = 32;
    public const int DeploymentIdBytes = 8;

    private const int PayloadBytes = 1 + DeploymentIdBytes + 4 + 1 + ValueBytes;
    private const int ChecksumBytes = 4;
    private const string Alphabet = "abcdefghijklmnopqrstuvwxyz234567";

    private static ReadOnlySpan<byte> ChecksumDomain => "strongroom share v1"u8;

    private readonly byte[] value;

    public UnsealShare(ReadOnlySpan<byte> deploymentId, uint generation, byte index, ReadOnlySpan<byte> value)
    {
        if (deploymentId.Length != DeploymentIdBytes || value.Length != ValueBytes || index == 0)
        {
            throw new ArgumentException("A share has an 8-byte deployment id, an index from 1 to 255 and a 32-byte value.");
        }

        DeploymentId = deploymentId.ToArray();
        Generation = generation;
        Index = index;
        this.value = value.ToArray();
    }

    public byte[] DeploymentId { get; }

    public string DeploymentIdText => Convert.ToHexStringLower(DeploymentId);

    /// <summary>Which issue of shares this one belongs to: 1 at init, plus one per rekey.</summary>
    public uint Generation { get; }

    public byte Index { get; }

    internal ReadOnlySpan<byte> Value => value;

    internal SecretShare ToSecretShare() => new(Index, value);

    /// <summary>Parses a share's text. Throws <see cref="SealException"/> (without echoing the text) when it is malformed or mistyped.</summary>
    public static UnsealShare Parse(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        var compact = new StringBuilder(text.Length);
        foreach (var character in text.Trim())
        {
            if (character is not ('-' or ' ' or '\t'))
            {
                compact.Append(char.ToLowerInvariant(character));
            }
        }

        const string prefix = "srs1";
        if (compact.Length < prefix.Length || !compact.ToString(0, prefix.Length).Equals(prefix, StringComparison.Ordinal))
        {
            throw new SealException(SealRejection.Malformed, "This is not an unseal share: a share starts with \"srs1-\".");
        }

        var bytes = new byte[PayloadBytes + ChecksumBytes];
        try
        {
            if (!TryDecodeBase32(compact.ToString(prefix.Length, compact.Length - prefix.Length), bytes))
            {
                throw new SealException(SealRejection.Malformed, $"This is not a whole unseal share: a share is \"{Prefix}\" followed by {EncodedLength} letters and digits 2-7. Check for a missing or extra character.");
            }

            Span<byte> expected = stackalloc byte[ChecksumBytes];
            Checksum(bytes.AsSpan(0, PayloadBytes), expected);
            if (!CryptographicOperations.FixedTimeEquals(expected, bytes.AsSpan(PayloadBytes, ChecksumBytes)))
            {
                throw new SealException(SealRejection.Malformed, "The unseal share's checksum does not match: it was mistyped or damaged. Copy it again from the original.");
            }

            if (bytes[0] != FormatVersion)
            {
                throw new SealException(SealRejection.Malformed, $"The unseal share has format version {bytes[0]}; this server reads version {FormatVersion}.");
            }

            var index = bytes[1 + DeploymentIdBytes + 4];
            if (index == 0)
            {
                throw new SealException(SealRejection.Malformed, "The unseal share has index 0, which no share has.");
            }

            return new UnsealShare(
                bytes.AsSpan(1, DeploymentIdBytes),
                BinaryPrimitives.ReadUInt32BigEndian(bytes.AsSpan(1 + DeploymentIdBytes)),
                index,
                bytes.AsSpan(PayloadBytes - ValueBytes, ValueBytes));
        }
        finally
        {
            CryptographicOperations.ZeroMemory(bytes);
        }
    }

    /// <summary>The share's text: the only place its value leaves the process in the clear.</summary>
    public string ToText()
    {
        var bytes = new byte[PayloadBytes + ChecksumBytes];
        try
        {
            bytes[0] = FormatVersion;
            DeploymentId.CopyTo(bytes.AsSpan(1));
            BinaryPrimitives.WriteUInt32BigEndian(bytes.AsSpan(1 + DeploymentIdBytes), Generation);
            bytes[1 + DeploymentIdBytes + 4] = Index;
            value.CopyTo(bytes.AsSpan(PayloadBytes - ValueBytes));
            Checksum(bytes.AsSpan(0, PayloadBytes), bytes.AsSpan(PayloadBytes));
            var encoded = EncodeBase32(bytes);
            var text = new StringBuilder(Prefix.Length + encoded.Length + encoded.Length / 8);
            text.Append(Prefix);
            for (var offset = 0; offset < encoded.Length; offset += 8)
            {
                if (offset > 0)
                {
                    text.Append('-');
                }

                text.Append(encoded.AsSpan(offset, Math.Min(8, encoded.Length - offset)));
            }

            return text.ToString();
        }
        finally
        {
            CryptographicOperations.ZeroMemory(bytes);
        }
    }

    /// <summary>Names the share without revealing it.</summary>
    public override string ToString() => $"share #{Index} (generation {Generation}) of deployment {DeploymentIdText}";

    public void Dispose() => CryptographicOperations.ZeroMemory(value);

    private static int EncodedLength => ((PayloadBytes + ChecksumBytes) * 8 + 4) / 5;

    private static void Checksum(ReadOnlySpan<byte> payload, Span<byte> destination)
    {
        var input = new byte[ChecksumDomain.Length + payload.Length];
        try
        {
            ChecksumDomain.CopyTo(input);
            payload.CopyTo(input.AsSpan(ChecksumDomain.Length));
            Span<byte> hash = stackalloc byte[32];
            SHA256.HashData(input, hash);
            hash[..ChecksumBytes].CopyTo(destination);
        }
        finally
        {
            CryptographicOperations.ZeroMemory(input);
        }
    }

    private static string EncodeBase32(ReadOnlySpan<byte> bytes)
    {
        var text = new StringBuilder((bytes.Length * 8 + 4) / 5);
        int buffer = 0, bits = 0;
        foreach (var b in bytes)
        {
            buffer = (buffer << 8) | b;
            bits += 8;
            while (bits >= 5)
            {
                text.Append(Alphabet[(buffer >> (bits - 5)) & 31]);
                bits -= 5;
            }
        }

        if (bits > 0)
        {
            text.Append(Alphabet[(buffer << (5 - bits)) & 31]);
        }

        return text.ToString();
    }

    private static bool TryDecodeBase32(string text, Span<byte> destination)
    {
        if (text.Length != EncodedLength)
        {
            return false;
        }

        int buffer = 0, bits = 0, written = 0;
        foreach (var character in text)
        {
            var digit = Alphabet.IndexOf(character, StringComparison.Ordinal);
            if (digit < 0)
            {
                return false;
            }

            buffer = ((buffer << 5) | digit) & 0xFFFF;
            bits += 5;
            if (bits >= 8)
            {
                destination[written++] = (byte)(buffer >> (bits - 8));
                bits -= 8;
            }
        }

        // The padding bits of the last character must be zero, so each share has one spelling.
        return written == destination.Length && (buffer & ((1 << bits) - 1)) == 0;
    }
}
