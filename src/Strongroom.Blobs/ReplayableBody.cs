using System.Buffers;
using System.Security.Cryptography;
using Strongroom.Core;

namespace Strongroom.Blobs;

/// <summary>
/// A page write's body, kept in a pooled buffer as it is read, so a merge whose chunk swap lost to
/// another server can run again over the same bytes (the request body itself reads only once).
/// Bounded by the range's length (a Put Page is at most <see cref="Limits.PutPageBytesMax"/>); a
/// body longer than the range is refused as the merge would refuse it. The kept plaintext is
/// wiped when the write ends.
/// </summary>
internal sealed class ReplayableBody(Stream body, int length) : IDisposable
{
    private readonly Stream body = body;
    private byte[]? kept;
    private int keptBytes;

    /// <summary>A reader from the first byte: what was read already is replayed, the rest comes from the body.</summary>
    public Stream Open() => new Reader(this);

    public void Dispose()
    {
        if (kept is { } buffer)
        {
            CryptographicOperations.ZeroMemory(buffer.AsSpan(0, keptBytes));
            ArrayPool<byte>.Shared.Return(buffer);
            kept = null;
            keptBytes = 0;
        }
    }

    private void Keep(ReadOnlySpan<byte> read)
    {
        if (read.IsEmpty)
        {
            return;
        }

        if (keptBytes + read.Length > length)
        {
            throw new StorageException(ErrorCode.InvalidPageRange, "The body is longer than the range.");
        }

        kept ??= ArrayPool<byte>.Shared.Rent(length);
        read.CopyTo(kept.AsSpan(keptBytes));
        keptBytes += read.Length;
    }

    private sealed class Reader(ReplayableBody owner) : Stream
    {
        private int position;

        public override bool CanRead => true;

        public override bool CanSeek => false;

        public override bool CanWrite => false;

        public override long Length => throw new NotSupportedException();

        public override long Position
        {
            get => throw new NotSupportedException();
            set => throw new NotSupportedException();
        }

        public override int Read(byte[] buffer, int offset, int count) => Read(buffer.AsSpan(offset, count));

        public override int Read(Span<byte> buffer)
        {
            if (Replay(buffer) is var replayed and > 0)
            {
                return replayed;
            }

            var read = owner.body.Read(buffer);
            return Advance(buffer[..read]);
        }

        public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
            ReadAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

        public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
        {
            if (Replay(buffer.Span) is var replayed and > 0)
            {
                return replayed;
            }

            var read = await owner.body.ReadAsync(buffer, cancellationToken).ConfigureAwait(false);
            return Advance(buffer.Span[..read]);
        }

        public override void Flush()
        {
        }

        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

        public override void SetLength(long value) => throw new NotSupportedException();

        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();

        /// <summary>Copies kept bytes this reader has not returned yet; 0 when it has caught up with the body.</summary>
        private int Replay(Span<byte> destination)
        {
            var count = Math.Min(destination.Length, owner.keptBytes - position);
            if (count <= 0)
            {
                return 0;
            }

            owner.kept.AsSpan(position, count).CopyTo(destination);
            position += count;
            return count;
        }

        private int Advance(ReadOnlySpan<byte> read)
        {
            // Readers are used one after another, never at once: a new one replays up to here first.
            Invariant.True(position == owner.keptBytes, "a replayed body is read by one reader at a time");
            owner.Keep(read);
            position += read.Length;
            return read.Length;
        }
    }
}
