using System.Buffers;

namespace Strongroom.Blobs;

/// <summary>
/// A readable stream over a range of a blob's plaintext, decrypted a chunk at a time (one key
/// unwrap and one site read per chunk), so a copy or from-URL write of any size holds one chunk in
/// memory. Copy Blob, Put Blob/Block From URL and Append Block From URL read their source through it.
/// </summary>
internal sealed class BlobRangeStream(BlobReader reader, long start, long length, int chunkBytes) : Stream
{
    private readonly byte[] chunk = ArrayPool<byte>.Shared.Rent(chunkBytes);
    private long delivered;
    private long fetched;
    private int chunkStart;
    private int chunkEnd;
    private bool returned;

    /// <summary>The whole of the blob <paramref name="reader"/> reads.</summary>
    public BlobRangeStream(BlobReader reader, int chunkBytes)
        : this(reader, 0, reader.Blob.ContentLength, chunkBytes)
    {
    }

    public override bool CanRead => true;

    public override bool CanSeek => false;

    public override bool CanWrite => false;

    public override long Length => length;

    public override long Position { get => delivered; set => throw new NotSupportedException(); }

    public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
    {
        if (chunkStart == chunkEnd)
        {
            var count = (int)Math.Min(chunkBytes, length - fetched);
            if (count <= 0)
            {
                return 0;
            }

            using (var target = new MemoryStream(chunk, 0, count, writable: true))
            {
                await reader.CopyRangeToAsync(start + fetched, count, target, cancellationToken).ConfigureAwait(false);
            }

            fetched += count;
            chunkStart = 0;
            chunkEnd = count;
        }

        var taken = Math.Min(buffer.Length, chunkEnd - chunkStart);
        chunk.AsMemory(chunkStart, taken).CopyTo(buffer);
        chunkStart += taken;
        delivered += taken;
        return taken;
    }

    public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
        ReadAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

    public override int Read(byte[] buffer, int offset, int count) => throw new NotSupportedException("Read asynchronously.");

    public override void Flush()
    {
    }

    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

    public override void SetLength(long value) => throw new NotSupportedException();

    public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();

    protected override void Dispose(bool disposing)
    {
        if (disposing && !returned)
        {
            returned = true;
            ArrayPool<byte>.Shared.Return(chunk, clearArray: true);
        }

        base.Dispose(disposing);
    }
}
