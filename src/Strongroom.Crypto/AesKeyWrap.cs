using System.Buffers.Binary;
using System.Security.Cryptography;
using Strongroom.Core;

namespace Strongroom.Crypto;

/// <summary>
/// AES Key Wrap (RFC 3394, JOSE's A128KW / A192KW / A256KW) over the framework's AES block
/// cipher. The .NET shared framework offers only the padded variant (RFC 5649), whose output
/// differs, so the unpadded one JOSE and Key Vault use is built here on single-block ECB calls.
/// </summary>
public static class AesKeyWrap
{
    private const int BlockBytes = 8;
    private const ulong DefaultIv = 0xA6A6A6A6A6A6A6A6UL;

    /// <summary>Wraps <paramref name="plaintext"/> (a multiple of 8 bytes, at least 16).</summary>
    public static byte[] Wrap(ReadOnlySpan<byte> kek, ReadOnlySpan<byte> plaintext)
    {
        RequireKek(kek);
        if (plaintext.Length < 2 * BlockBytes || plaintext.Length % BlockBytes != 0)
        {
            throw new ArgumentException("AES key wrap takes a key of a multiple of 8 bytes, at least 16.", nameof(plaintext));
        }

        var n = plaintext.Length / BlockBytes;
        var output = new byte[plaintext.Length + BlockBytes];
        plaintext.CopyTo(output.AsSpan(BlockBytes));
        var a = DefaultIv;
        Span<byte> block = stackalloc byte[16];
        using var aes = Aes.Create();
        var key = kek.ToArray();
        aes.Key = key;
        CryptographicOperations.ZeroMemory(key);
        try
        {
            for (var j = 0; j <= 5; j++)
            {
                for (var i = 1; i <= n; i++)
                {
                    var r = output.AsSpan(i * BlockBytes, BlockBytes);
                    BinaryPrimitives.WriteUInt64BigEndian(block, a);
                    r.CopyTo(block[8..]);
                    aes.EncryptEcb(block, block, PaddingMode.None);
                    a = BinaryPrimitives.ReadUInt64BigEndian(block) ^ (ulong)((n * j) + i);
                    block[8..].CopyTo(r);
                }
            }

            BinaryPrimitives.WriteUInt64BigEndian(output, a);
            return output;
        }
        finally
        {
            CryptographicOperations.ZeroMemory(block);
        }
    }

    /// <summary>Unwraps; throws <c>StorageException(IntegrityCheckFailed)</c> when the integrity check fails.</summary>
    public static byte[] Unwrap(ReadOnlySpan<byte> kek, ReadOnlySpan<byte> wrapped)
    {
        RequireKek(kek);
        if (wrapped.Length < 3 * BlockBytes || wrapped.Length % BlockBytes != 0)
        {
            throw new StorageException(ErrorCode.IntegrityCheckFailed, "The wrapped key has an invalid length.");
        }

        var n = (wrapped.Length / BlockBytes) - 1;
        var output = wrapped[BlockBytes..].ToArray();
        var a = BinaryPrimitives.ReadUInt64BigEndian(wrapped);
        Span<byte> block = stackalloc byte[16];
        using var aes = Aes.Create();
        var key = kek.ToArray();
        aes.Key = key;
        CryptographicOperations.ZeroMemory(key);
        try
        {
            for (var j = 5; j >= 0; j--)
            {
                for (var i = n; i >= 1; i--)
                {
                    var r = output.AsSpan((i - 1) * BlockBytes, BlockBytes);
                    BinaryPrimitives.WriteUInt64BigEndian(block, a ^ (ulong)((n * j) + i));
                    r.CopyTo(block[8..]);
                    aes.DecryptEcb(block, block, PaddingMode.None);
                    a = BinaryPrimitives.ReadUInt64BigEndian(block);
                    block[8..].CopyTo(r);
                }
            }

            Span<byte> expected = stackalloc byte[8];
            Span<byte> actual = stackalloc byte[8];
            BinaryPrimitives.WriteUInt64BigEndian(expected, DefaultIv);
            BinaryPrimitives.WriteUInt64BigEndian(actual, a);
            if (!CryptographicOperations.FixedTimeEquals(expected, actual))
            {
                CryptographicOperations.ZeroMemory(output);
                throw new StorageException(ErrorCode.IntegrityCheckFailed, "The wrapped key does not unwrap with this key.");
            }

            return output;
        }
        finally
        {
            CryptographicOperations.ZeroMemory(block);
        }
    }

    private static void RequireKek(ReadOnlySpan<byte> kek)
    {
        if (kek.Length is not (16 or 24 or 32))
        {
            throw new ArgumentException("An AES key-encryption key is 16, 24 or 32 bytes.", nameof(kek));
        }
    }
}
