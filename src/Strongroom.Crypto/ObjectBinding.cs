using System.Buffers;
using System.Buffers.Binary;
using Strongroom.Core;

namespace Strongroom.Crypto;

/// <summary>
/// The identity a ciphertext is bound to. Its digest goes into every segment's associated
/// data, so a stored object copied or renamed to another tenant, container, blob or object id
/// no longer decrypts.
/// </summary>
/// <remarks>
/// The digest is taken with the hash of the account's cipher suite: SHA-256 for AES-256-GCM,
/// SM3 for SM4-GCM (no SHA-2 anywhere in an SM4 account's formats). An account's suite is fixed
/// at creation, so writers and readers agree on the hash by reading the account record.
/// </remarks>
public static class ObjectBinding
{
    public const int DigestBytes = 32;

    private const int StackInputBytesMax = 512;

    private static ReadOnlySpan<byte> Domain => "strongroom binding v1"u8;

    /// <summary>The AES-256-GCM (SHA-256) binding digest; see <see cref="Digest(CipherSuite, string, string, string, string)"/>.</summary>
    public static byte[] Digest(string tenant, string container, string blob, string objectId) =>
        Digest(CipherSuite.Aes256Gcm, tenant, container, blob, objectId);

    /// <summary>
    /// H("strongroom binding v1" || lp(tenant) || lp(container) || lp(blob) || lp(objectId)),
    /// where H is the suite's hash (SHA-256 or SM3) and lp(s) is the UTF-8 bytes of s prefixed
    /// by their count as u32 big-endian. The length prefixes keep ("ab","c") and ("a","bc") apart.
    /// </summary>
    public static byte[] Digest(CipherSuite suite, string tenant, string container, string blob, string objectId)
    {
        ArgumentNullException.ThrowIfNull(tenant);
        ArgumentNullException.ThrowIfNull(container);
        ArgumentNullException.ThrowIfNull(blob);
        ArgumentNullException.ThrowIfNull(objectId);
        var algorithms = CipherSuiteAlgorithms.For(suite);

        // Strict: an unpaired surrogate would otherwise become U+FFFD, and two different names
        // would share one binding.
        var utf8 = SegmentFormat.StrictUtf8;
        var length = checked(Domain.Length + 16 + utf8.GetByteCount(tenant) + utf8.GetByteCount(container) + utf8.GetByteCount(blob) + utf8.GetByteCount(objectId));
        byte[]? rented = null;
        var input = length <= StackInputBytesMax ? stackalloc byte[StackInputBytesMax] : (rented = ArrayPool<byte>.Shared.Rent(length));
        try
        {
            input = input[..length];
            Domain.CopyTo(input);
            var position = Domain.Length;
            foreach (var part in (ReadOnlySpan<string>)[tenant, container, blob, objectId])
            {
                var written = utf8.GetBytes(part, input[(position + 4)..]);
                BinaryPrimitives.WriteUInt32BigEndian(input[position..], (uint)written);
                position += 4 + written;
            }

            Invariant.True(position == length, "binding input length");
            var digest = new byte[DigestBytes];
            algorithms.Hash(input, digest);
            return digest;
        }
        finally
        {
            if (rented is not null)
            {
                ArrayPool<byte>.Shared.Return(rented);
            }
        }
    }
}
