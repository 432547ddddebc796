using System.Buffers.Binary;
using System.Diagnostics.CodeAnalysis;
using System.Numerics;
using System.Security.Cryptography;
using System.Text;
using Strongroom.Core;

namespace Strongroom.Crypto;

/// <summary>
/// Segment format version 1: how a blob's plaintext is stored at rest.
/// </summary>
/// <remarks>
/// <para>Layout (frozen; a new layout gets a new format version, never a new meaning):</para>
/// <code>
/// header (32 bytes)
///   0..4    magic "SRSG" (ASCII)
///   4       format version = 1
///   5       cipher suite   = 1 (AES-256-GCM) or 2 (SM4-GCM), see <see cref="CipherSuite"/>
///   6..8    reserved = 0
///   8..12   plaintext bytes per segment S, u32 little-endian (power of two, 4 KiB..4 MiB)
///   12..32  salt, 20 random bytes
/// segment 0 .. segment k-1, each: GCM ciphertext of the suite || 16-byte tag
/// </code>
/// <para>
/// Every segment except the last holds exactly S plaintext bytes; the last one (the final
/// segment) holds 0..S bytes. There is always at least one segment, so an empty object is the
/// header plus one empty final segment. When the plaintext length n is a nonzero multiple of S,
/// the last full segment is the final one (no empty segment follows). Hence
/// <c>k = max(1, ceil(n / S))</c> and <c>CiphertextLength(n) = 32 + n + 16 * k</c>.
/// </para>
/// <para>
/// Keys and nonces: the segment key is derived from the 32-byte data key with the suite's HKDF
/// and the header salt, so each object gets a fresh key even if a data key were ever reused:
/// suite 1 (AES-256-GCM): 32 bytes of HKDF-SHA256(ikm = data key, salt = header salt,
/// info = "strongroom segment v1"); suite 2 (SM4-GCM): 16 bytes (SM4 keys are 128-bit) of
/// HKDF-SM3(ikm = data key, salt = header salt, info = "strongroom segment v1 sm4-gcm").
/// The nonce of segment i is <c>u64be(i) || 00 00 00 || final</c>, where final is 1 for the
/// last segment and 0 otherwise (the STREAM construction: reordering, dropping,
/// truncating or appending segments all break authentication). The associated data of
/// segment i is <c>header (32) || binding digest (32) || u64be(i) || final</c>: the header is
/// authenticated by every segment, and the binding digest ties the ciphertext to the
/// tenant, container, blob and object it was written for (SHA-256 in suite 1, SM3 in suite 2:
/// see <see cref="ObjectBinding"/>). Both suites use the same nonces,
/// associated data and 16-byte tags; a header naming any other suite is unreadable and reported
/// as an integrity failure.
/// </para>
/// </remarks>
public static class SegmentFormat
{
    public const int HeaderBytes = 32;
    public const int TagBytes = 16;
    public const int SegmentPlaintextBytesDefault = Limits.SegmentPlaintextBytes;

    public const int SegmentPlaintextBytesMin = 4 * 1024;
    public const int SegmentPlaintextBytesMax = 4 * 1024 * 1024;

    public const byte FormatVersion = 1;
    public const byte CipherSuiteAes256Gcm = (byte)CipherSuite.Aes256Gcm;
    public const byte CipherSuiteSm4Gcm = (byte)CipherSuite.Sm4Gcm;
    public const int SaltBytes = 20;
    public const int NonceBytes = 12;

    /// <summary>Bytes of a data key, whatever the suite (the segment key is derived from it).</summary>
    public const int KeyBytes = 32;

    /// <summary>header || binding digest || u64be(segment index) || final flag.</summary>
    public const int AssociatedDataBytes = HeaderBytes + ObjectBinding.DigestBytes + 8 + 1;

    public static ReadOnlySpan<byte> Magic => "SRSG"u8;

    internal const int MagicOffset = 0;
    internal const int VersionOffset = 4;
    internal const int SuiteOffset = 5;
    internal const int ReservedOffset = 6;
    internal const int SegmentSizeOffset = 8;
    internal const int SaltOffset = 12;

    private static ReadOnlySpan<byte> SegmentKeyInfo => "strongroom segment v1"u8;
    private static ReadOnlySpan<byte> Sm4SegmentKeyInfo => "strongroom segment v1 sm4-gcm"u8;

    /// <summary>Stored size of an object of <paramref name="plaintextLength"/> bytes.</summary>
    public static long CiphertextLength(long plaintextLength, int segmentPlaintextBytes = SegmentPlaintextBytesDefault)
    {
        var segments = SegmentCount(plaintextLength, segmentPlaintextBytes);
        return checked(HeaderBytes + plaintextLength + (TagBytes * segments));
    }

    /// <summary>Number of segments, always at least one (the final segment may be empty).</summary>
    public static long SegmentCount(long plaintextLength, int segmentPlaintextBytes = SegmentPlaintextBytesDefault)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(plaintextLength);
        ValidateSegmentPlaintextBytes(segmentPlaintextBytes);
        if (plaintextLength == 0)
        {
            return 1;
        }

        return ((plaintextLength - 1) / segmentPlaintextBytes) + 1;
    }

    public static bool IsValidSegmentPlaintextBytes(int segmentPlaintextBytes) =>
        segmentPlaintextBytes is >= SegmentPlaintextBytesMin and <= SegmentPlaintextBytesMax
        && BitOperations.IsPow2(segmentPlaintextBytes);

    internal static void ValidateSegmentPlaintextBytes(int segmentPlaintextBytes)
    {
        if (!IsValidSegmentPlaintextBytes(segmentPlaintextBytes))
        {
            throw new ArgumentOutOfRangeException(
                nameof(segmentPlaintextBytes),
                segmentPlaintextBytes,
                $"Segment size must be a power of two between {SegmentPlaintextBytesMin} and {SegmentPlaintextBytesMax} bytes.");
        }
    }

    internal static void WriteHeader(Span<byte> header, CipherSuite suite, int segmentPlaintextBytes, ReadOnlySpan<byte> salt)
    {
        Invariant.True(header.Length == HeaderBytes && salt.Length == SaltBytes, "segment header buffer and salt sizes");
        Invariant.True(CipherSuites.IsKnown(suite), "a known cipher suite");
        Magic.CopyTo(header[MagicOffset..]);
        header[VersionOffset] = FormatVersion;
        header[SuiteOffset] = (byte)suite;
        BinaryPrimitives.WriteUInt16LittleEndian(header[ReservedOffset..], 0);
        BinaryPrimitives.WriteUInt32LittleEndian(header[SegmentSizeOffset..], (uint)segmentPlaintextBytes);
        salt.CopyTo(header[SaltOffset..]);
    }

    /// <summary>
    /// Parses a header read from storage. Returns false for anything this version cannot read;
    /// the caller reports that as an integrity failure, because stored headers are never
    /// written by anyone but us.
    /// </summary>
    internal static bool TryParseHeader(ReadOnlySpan<byte> header, out int segmentPlaintextBytes, [NotNullWhen(true)] out CipherSuiteAlgorithms? suite)
    {
        segmentPlaintextBytes = 0;
        suite = null;
        if (header.Length != HeaderBytes
            || !header[MagicOffset..(MagicOffset + 4)].SequenceEqual(Magic)
            || header[VersionOffset] != FormatVersion
            || !CipherSuiteAlgorithms.TryFor(header[SuiteOffset], out var parsedSuite)
            || BinaryPrimitives.ReadUInt16LittleEndian(header[ReservedOffset..]) != 0)
        {
            return false;
        }

        var size = BinaryPrimitives.ReadUInt32LittleEndian(header[SegmentSizeOffset..]);
        if (size > int.MaxValue || !IsValidSegmentPlaintextBytes((int)size))
        {
            return false;
        }

        segmentPlaintextBytes = (int)size;
        suite = parsedSuite;
        return true;
    }

    /// <summary>Derives the object's segment key and returns the suite's cipher keyed with it.</summary>
    internal static AeadCipher CreateSegmentCipher(CipherSuiteAlgorithms suite, ReadOnlySpan<byte> dataKey, ReadOnlySpan<byte> header)
    {
        Invariant.True(header[SuiteOffset] == (byte)suite.Suite, "the header names the suite the cipher is made for");
        Span<byte> segmentKey = stackalloc byte[suite.KeyBytes];
        try
        {
            var info = suite.Suite == CipherSuite.Aes256Gcm ? SegmentKeyInfo : Sm4SegmentKeyInfo;
            suite.DeriveKey(dataKey, header.Slice(SaltOffset, SaltBytes), info, segmentKey);
            return suite.CreateAead(segmentKey);
        }
        finally
        {
            CryptographicOperations.ZeroMemory(segmentKey);
        }
    }

    internal static void WriteNonce(Span<byte> nonce, ulong segmentIndex, bool final)
    {
        BinaryPrimitives.WriteUInt64BigEndian(nonce, segmentIndex);
        nonce[8] = 0;
        nonce[9] = 0;
        nonce[10] = 0;
        nonce[11] = final ? (byte)1 : (byte)0;
    }

    /// <summary>Fills the fixed prefix (header and binding digest) once per object.</summary>
    internal static void WriteAssociatedDataPrefix(Span<byte> associatedData, ReadOnlySpan<byte> header, ReadOnlySpan<byte> bindingDigest)
    {
        Invariant.True(associatedData.Length == AssociatedDataBytes, "associated data buffer size");
        header.CopyTo(associatedData);
        bindingDigest.CopyTo(associatedData[HeaderBytes..]);
    }

    internal static void WriteAssociatedDataSuffix(Span<byte> associatedData, ulong segmentIndex, bool final)
    {
        const int suffixOffset = HeaderBytes + ObjectBinding.DigestBytes;
        BinaryPrimitives.WriteUInt64BigEndian(associatedData[suffixOffset..], segmentIndex);
        associatedData[suffixOffset + 8] = final ? (byte)1 : (byte)0;
    }

    internal static void ValidateKeys(ReadOnlySpan<byte> dataKey, ReadOnlySpan<byte> bindingDigest)
    {
        if (dataKey.Length != KeyBytes)
        {
            throw new ArgumentException($"The data key must be {KeyBytes} bytes.", nameof(dataKey));
        }

        if (bindingDigest.Length != ObjectBinding.DigestBytes)
        {
            throw new ArgumentException($"The binding digest must be {ObjectBinding.DigestBytes} bytes.", nameof(bindingDigest));
        }
    }

    internal static readonly UTF8Encoding StrictUtf8 = new(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true);
}
