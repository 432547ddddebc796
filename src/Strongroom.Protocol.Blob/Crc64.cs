using System.Buffers.Binary;

namespace Strongroom.Protocol.Blob;

/// <summary>
/// CRC-64/NVME, the checksum Azure calls <c>x-ms-content-crc64</c> (reflected polynomial
/// 0x9A6C9329AC4BC9B5, init and xorout all ones; check value 0xAE8B14860A799888).
/// The protocol layer needs it for bodies it buffers itself (block-list XML, small ranges).
/// </summary>
public static class Crc64
{
    private const ulong ReflectedPolynomial = 0x9A6C9329AC4BC9B5;

    private static readonly ulong[] Table = BuildTable();

    public static ulong Compute(ReadOnlySpan<byte> data)
    {
        var crc = ulong.MaxValue;
        foreach (var b in data)
        {
            crc = Table[(byte)(crc ^ b)] ^ (crc >> 8);
        }

        return ~crc;
    }

    /// <summary>The wire form: 8 bytes little-endian, Base64.</summary>
    public static string ToBase64(ulong crc)
    {
        Span<byte> bytes = stackalloc byte[8];
        BinaryPrimitives.WriteUInt64LittleEndian(bytes, crc);
        return Convert.ToBase64String(bytes);
    }

    private static ulong[] BuildTable()
    {
        var table = new ulong[256];
        for (var i = 0; i < 256; i++)
        {
            var crc = (ulong)i;
            for (var bit = 0; bit < 8; bit++)
            {
                crc = (crc & 1) != 0 ? (crc >> 1) ^ ReflectedPolynomial : crc >> 1;
            }

            table[i] = crc;
        }

        return table;
    }
}
