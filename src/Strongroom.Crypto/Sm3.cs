using System.Security.Cryptography;
using Org.BouncyCastle.Crypto.Digests;

namespace Strongroom.Crypto;

/// <summary>
/// SM3 (GB/T 32905-2016) from BouncyCastle, and HMAC-SM3 / HKDF-SM3 (RFC 2104 / RFC 5869 with
/// SM3 as the hash) over it.
/// </summary>
/// <remarks>
/// HMAC and HKDF are written here rather than taken from BouncyCastle's <c>HMac</c> and
/// <c>HkdfBytesGenerator</c> because those copy the key into arrays we cannot wipe; here every
/// buffer that holds key material is ours and is zeroed after use. The tests check both against
/// BouncyCastle's generators.
/// </remarks>
internal static class Sm3
{
    public const int HashBytes = 32;
    private const int BlockBytes = 64;

    public static byte[] HashData(ReadOnlySpan<byte> data)
    {
        var output = new byte[HashBytes];
        HashData(data, output);
        return output;
    }

    public static void HashData(ReadOnlySpan<byte> data, Span<byte> output)
    {
        var digest = new SM3Digest();
        digest.BlockUpdate(data);
        digest.DoFinal(output);
    }

    public static void Hmac(ReadOnlySpan<byte> key, ReadOnlySpan<byte> message1, ReadOnlySpan<byte> message2, ReadOnlySpan<byte> message3, Span<byte> output)
    {
        Span<byte> pad = stackalloc byte[BlockBytes];
        Span<byte> inner = stackalloc byte[HashBytes];
        var digest = new SM3Digest();
        try
        {
            pad.Clear();
            if (key.Length > BlockBytes)
            {
                digest.BlockUpdate(key);
                digest.DoFinal(pad);
            }
            else
            {
                key.CopyTo(pad);
            }

            Xor(pad, 0x36);
            digest.BlockUpdate(pad);
            digest.BlockUpdate(message1);
            digest.BlockUpdate(message2);
            digest.BlockUpdate(message3);
            digest.DoFinal(inner);

            Xor(pad, 0x36 ^ 0x5C);
            digest.BlockUpdate(pad);
            digest.BlockUpdate(inner);
            digest.DoFinal(output);
        }
        finally
        {
            CryptographicOperations.ZeroMemory(pad);
            CryptographicOperations.ZeroMemory(inner);
            digest.Reset();
        }
    }

    /// <summary>HKDF-SM3 (RFC 5869): extract with <paramref name="salt"/>, expand with <paramref name="info"/>.</summary>
    public static void Hkdf(ReadOnlySpan<byte> inputKeyMaterial, ReadOnlySpan<byte> salt, ReadOnlySpan<byte> info, Span<byte> output)
    {
        if (output.Length is 0 or > 255 * HashBytes)
        {
            throw new ArgumentOutOfRangeException(nameof(output), output.Length, "HKDF output length out of range.");
        }

        Span<byte> zeroSalt = stackalloc byte[HashBytes];
        zeroSalt.Clear();
        Span<byte> pseudoRandomKey = stackalloc byte[HashBytes];
        Span<byte> block = stackalloc byte[HashBytes];
        Span<byte> counter = stackalloc byte[1];
        try
        {
            Hmac(salt.IsEmpty ? zeroSalt : salt, inputKeyMaterial, [], [], pseudoRandomKey);
            var written = 0;
            for (var i = 1; written < output.Length; i++)
            {
                counter[0] = (byte)i;
                Hmac(pseudoRandomKey, i == 1 ? [] : block, info, counter, block);
                var take = Math.Min(HashBytes, output.Length - written);
                block[..take].CopyTo(output[written..]);
                written += take;
            }
        }
        finally
        {
            CryptographicOperations.ZeroMemory(pseudoRandomKey);
            CryptographicOperations.ZeroMemory(block);
        }
    }

    private static void Xor(Span<byte> bytes, byte value)
    {
        for (var i = 0; i < bytes.Length; i++)
        {
            bytes[i] ^= value;
        }
    }
}
