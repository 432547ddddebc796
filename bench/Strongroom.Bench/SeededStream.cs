using System.Buffers.Binary;

namespace Strongroom.Bench;

/// <summary>
/// A seekable, read-only stream of deterministic pseudo-random bytes generated on the fly, so a
/// 1 GiB upload never holds 1 GiB in the client. Byte at position p is byte (p mod 8) of
/// SplitMix64(seed + p / 8): any position can be produced without generating what precedes it,
/// which keeps Seek (used by the SDK to partition a seekable stream) cheap.
/// </summary>
public sealed class SeededStream(ulong seed, long length) : Stream
{
    private long _position;

    public override bool CanRead => true;
    public override bool CanSeek => true;
    public override bool CanWrite => false;
    public override long Length => length;

    public override long Position
    {
        get => _position;
        set
        {
            ArgumentOutOfRangeException.ThrowIfNegative(value);
            _position = value;
        }
    }

    public override int Read(byte[] buffer, int offset, int count) => Read(buffer.AsSpan(offset, count));

    public override int Read(Span<byte> buffer)
    {
        var remaining = length - _position;
        if (remaining <= 0)
        {
            return 0;
        }
        var count = (int)Math.Min(buffer.Length, remaining);
        Fill(seed, _position, buffer[..count]);
        _position += count;
        return count;
    }

    public override ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default) =>
        ValueTask.FromResult(Read(buffer.Span));

    public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
        Task.FromResult(Read(buffer.AsSpan(offset, count)));

    public override long Seek(long offset, SeekOrigin origin)
    {
        Position = origin switch
        {
            SeekOrigin.Begin => offset,
            SeekOrigin.Current => _position + offset,
            SeekOrigin.End => length + offset,
            _ => throw new ArgumentOutOfRangeException(nameof(origin)),
        };
        return _position;
    }

    public override void Flush()
    {
    }

    public override void SetLength(long value) => throw new NotSupportedException();

    public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();

    /// <summary>Writes the bytes at [position, position + destination.Length) of the sequence.</summary>
    public static void Fill(ulong seed, long position, Span<byte> destination)
    {
        Span<byte> word = stackalloc byte[8];
        var written = 0;
        var wordIndex = (ulong)(position / 8);
        var skip = (int)(position % 8);
        if (skip != 0)
        {
            BinaryPrimitives.WriteUInt64LittleEndian(word, SplitMix64(seed + wordIndex));
            var take = Math.Min(8 - skip, destination.Length);
            word.Slice(skip, take).CopyTo(destination);
            written = take;
            wordIndex++;
        }
        while (destination.Length - written >= 8)
        {
            BinaryPrimitives.WriteUInt64LittleEndian(destination.Slice(written, 8), SplitMix64(seed + wordIndex));
            written += 8;
            wordIndex++;
        }
        if (written < destination.Length)
        {
            BinaryPrimitives.WriteUInt64LittleEndian(word, SplitMix64(seed + wordIndex));
            word[..(destination.Length - written)].CopyTo(destination[written..]);
        }
    }

    private static ulong SplitMix64(ulong x)
    {
        x += 0x9E3779B97F4A7C15UL;
        x = (x ^ (x >> 30)) * 0xBF58476D1CE4E5B9UL;
        x = (x ^ (x >> 27)) * 0x94D049BB133111EBUL;
        return x ^ (x >> 31);
    }
}
