using Strongroom.Core;
using System.Text;

namespace Strongroom.Crypto.Tests;

public sealed class Crc64NvmeTests
{
    [Fact]
    public void Check_value()
    {
        Assert.Equal(0xAE8B14860A799888UL, Crc64Nvme.Compute("123456789"u8));
    }

    [Fact]
    public void Empty_input()
    {
        Assert.Equal(0UL, Crc64Nvme.Compute([]));
        Assert.Equal(0UL, new Crc64Nvme().GetCurrentValue());
    }

    [Fact]
    public void Matches_a_bitwise_reference()
    {
        var random = new Random(11);
        for (var length = 0; length < 70; length++)
        {
            var data = new byte[length];
            random.NextBytes(data);
            Assert.Equal(Bitwise(data), Crc64Nvme.Compute(data));
        }
    }

    [Fact]
    public void Incremental_equals_one_shot()
    {
        var data = new byte[100_003];
        new Random(5).NextBytes(data);
        var expected = Crc64Nvme.Compute(data);

        var random = new Random(6);
        var crc = new Crc64Nvme();
        var position = 0;
        while (position < data.Length)
        {
            var chunk = Math.Min(data.Length - position, random.Next(0, 5000));
            crc.Append(data.AsSpan(position, chunk));
            position += chunk;
        }

        Assert.Equal(expected, crc.GetCurrentValue());
        Assert.Equal(BitConverter.GetBytes(expected), crc.GetCurrentHash()); // little-endian on the wire
        Assert.Equal(Convert.ToBase64String(crc.GetCurrentHash()), Crc64Nvme.ToBase64(expected));

        crc.Reset();
        crc.Append(Encoding.ASCII.GetBytes("123456789"));
        Assert.Equal(0xAE8B14860A799888UL, crc.GetCurrentValue());
    }

    private static ulong Bitwise(ReadOnlySpan<byte> data)
    {
        var crc = ulong.MaxValue;
        foreach (var b in data)
        {
            crc ^= b;
            for (var bit = 0; bit < 8; bit++)
            {
                crc = (crc & 1) != 0 ? (crc >> 1) ^ 0x9A6C9329AC4BC9B5UL : crc >> 1;
            }
        }

        return ~crc;
    }
}
