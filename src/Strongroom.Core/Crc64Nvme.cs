using System.Buffers.Binary;

namespace Strongroom.Core;

/// <summary>
/// CRC-64/NVME (polynomial 0xAD93D23594C93659, reflected, init and xorout all ones; check value
/// for "123456789" is 0xAE8B14860A799888), the checksum Azure calls x-ms-content-crc64 and
/// sends as base64 of the 8-byte little-endian value.
/// </summary>
/// <remarks>
/// The .NET 10 shared framework has no CRC-64/NVME (System.IO.Hashing is a separate package,
/// and its parameterized CRC-64 is not in the .NET 10 release), so this is a slicing-by-8 table
/// implementation: eight bytes per step, fast enough for the upload path.
/// </remarks>
public sealed class Crc64Nvme
{
    public const int HashBytes = 8;

    /// <summary>Bit-reversed form of 0xAD93D23594C93659, for the LSB-first (reflected) CRC.</summary>
    private const ulong ReflectedPolynomial = 0x9A6C9329AC4BC9B5;
    private const ulong InitialValue = ulong.MaxValue;
    private const ulong FinalXor = ulong.MaxValue;

    // Separate 256-entry tables index with a byte, which lets the JIT drop bounds checks.
    private static readonly ulong[] Table0 = new ulong[256];
    private static readonly ulong[] Table1 = new ulong[256];
    private static readonly ulong[] Table2 = new ulong[256];
    private static readonly ulong[] Table3 = new ulong[256];
    private static readonly ulong[] Table4 = new ulong[256];
    private static readonly ulong[] Table5 = new ulong[256];
    private static readonly ulong[] Table6 = new ulong[256];
    private static readonly ulong[] Table7 = new ulong[256];

    private ulong state = InitialValue;

    static Crc64Nvme()
    {
        for (var i = 0; i < 256; i++)
        {
            var crc = (ulong)i;
            for (var bit = 0; bit < 8; bit++)
            {
                crc = (crc & 1) != 0 ? (crc >> 1) ^ ReflectedPolynomial : crc >> 1;
            }

            Table0[i] = crc;
        }

        // Table k maps a byte to its CRC contribution after k further zero bytes.
        ulong[][] tables = [Table0, Table1, Table2, Table3, Table4, Table5, Table6, Table7];
        for (var k = 1; k < 8; k++)
        {
            for (var i = 0; i < 256; i++)
            {
                var previous = tables[k - 1][i];
                tables[k][i] = (previous >> 8) ^ Table0[(byte)previous];
            }
        }
    }

    public void Append(ReadOnlySpan<byte> data) => state = Update(state, data);

    /// <summary>The CRC of everything appended so far (appending may continue).</summary>
    public ulong GetCurrentValue() => state ^ FinalXor;

    /// <summary>The CRC as Azure transmits it: 8 bytes, little-endian.</summary>
    public byte[] GetCurrentHash()
    {
        var hash = new byte[HashBytes];
        BinaryPrimitives.WriteUInt64LittleEndian(hash, GetCurrentValue());
        return hash;
    }

    public void Reset() => state = InitialValue;

    public static ulong Compute(ReadOnlySpan<byte> data) => Update(InitialValue, data) ^ FinalXor;

    /// <summary>Base64 of the 8-byte little-endian value, as in x-ms-content-crc64.</summary>
    public static string ToBase64(ulong crc)
    {
        Span<byte> bytes = stackalloc byte[HashBytes];
        BinaryPrimitives.WriteUInt64LittleEndian(bytes, crc);
        return Convert.ToBase64String(bytes);
    }

    private static ulong Update(ulong crc, ReadOnlySpan<byte> data)
    {
        var t0 = Table0;
        var t1 = Table1;
        var t2 = Table2;
        var t3 = Table3;
        var t4 = Table4;
        var t5 = Table5;
        var t6 = Table6;
        var t7 = Table7;

        while (data.Length >= 8)
        {
            crc ^= BinaryPrimitives.ReadUInt64LittleEndian(data);
            crc = t7[(byte)crc]
                ^ t6[(byte)(crc >> 8)]
                ^ t5[(byte)(crc >> 16)]
                ^ t4[(byte)(crc >> 24)]
                ^ t3[(byte)(crc >> 32)]
                ^ t2[(byte)(crc >> 40)]
                ^ t1[(byte)(crc >> 48)]
                ^ t0[crc >> 56];
            data = data[8..];
        }

        foreach (var b in data)
        {
            crc = (crc >> 8) ^ t0[(byte)(crc ^ b)];
        }

        return crc;
    }
}
