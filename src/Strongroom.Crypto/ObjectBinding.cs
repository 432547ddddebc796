using System.Buffers.Binary;
using System.Security.Cryptography;

namespace Strongroom.Crypto;

/// <summary>
/// The identity a ciphertext is bound to. Its digest goes into every segment's associated
/// data, so a stored object copied or renamed to another tenant, container, blob or object id
/// no longer decrypts.
/// </summary>
public static class ObjectBinding
{
    public const int DigestBytes = 32;

    private static ReadOnlySpan<byte> Domain => "strongroom binding v1"u8;

    /// <summary>
    /// SHA-256("strongroom binding v1" || lp(tenant) || lp(container) || lp(blob) || lp(objectId)),
    /// where lp(s) is the UTF-8 bytes of s prefixed by their count as u32 big-endian. The length
    /// prefixes keep ("ab","c") and ("a","bc") apart.
    /// </summary>
    public static byte[] Digest(string tenant, string container, string blob, string objectId)
    {
        ArgumentNullException.ThrowIfNull(tenant);
        ArgumentNullException.ThrowIfNull(container);
        ArgumentNullException.ThrowIfNull(blob);
        ArgumentNullException.ThrowIfNull(objectId);

        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        hash.AppendData(Domain);
        AppendLengthPrefixed(hash, tenant);
        AppendLengthPrefixed(hash, container);
        AppendLengthPrefixed(hash, blob);
        AppendLengthPrefixed(hash, objectId);
        return hash.GetHashAndReset();
    }

    private static void AppendLengthPrefixed(IncrementalHash hash, string value)
    {
        // Strict: an unpaired surrogate would otherwise become U+FFFD, and two different names
        // would share one binding.
        var bytes = SegmentFormat.StrictUtf8.GetBytes(value);
        Span<byte> length = stackalloc byte[4];
        BinaryPrimitives.WriteUInt32BigEndian(length, (uint)bytes.Length);
        hash.AppendData(length);
        hash.AppendData(bytes);
    }
}
