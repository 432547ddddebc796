using Azure;
using Azure.Storage.Blobs;
using Azure.Storage.Blobs.Models;

namespace Strongroom.Storage;

public sealed partial class AzureBlobSite
{
    /// <summary>
    /// A seekable read of one committed object. It keeps one open response; a read at the position
    /// that response has reached continues it, any other read opens a ranged GET from there to the
    /// end, pinned to the ETag seen at open (objects are immutable, so a change means the object was
    /// deleted and something else took its name: a failure, not data).
    /// </summary>
    private sealed class ReadStream(AzureBlobSite site, BlobClient blob, string objectId, long length, ETag etag, Stream first) : Stream
    {
        private Stream? current = first;
        private long currentPosition;
        private long position;

        public override bool CanRead => true;

        public override bool CanSeek => true;

        public override bool CanWrite => false;

        public override long Length => length;

        public override long Position
        {
            get => position;
            set
            {
                ArgumentOutOfRangeException.ThrowIfNegative(value);
                position = value;
            }
        }

        public override long Seek(long offset, SeekOrigin origin)
        {
            Position = origin switch
            {
                SeekOrigin.Begin => offset,
                SeekOrigin.Current => position + offset,
                SeekOrigin.End => length + offset,
                _ => throw new ArgumentOutOfRangeException(nameof(origin)),
            };
            return position;
        }

        public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
        {
            if (buffer.IsEmpty || position >= length)
            {
                return 0;
            }

            int read;
            try
            {
                if (current is not null && currentPosition != position)
                {
                    await current.DisposeAsync().ConfigureAwait(false);
                    current = null;
                }

                if (current is null)
                {
                    var response = await blob.DownloadStreamingAsync(RangeFrom(position), cancellationToken).ConfigureAwait(false);
                    current = response.Value.Content;
                    currentPosition = position;
                }

                read = await current.ReadAsync(buffer, cancellationToken).ConfigureAwait(false);
            }
            catch (Exception exception) when (IsSiteFailure(exception, cancellationToken))
            {
                await DropAsync().ConfigureAwait(false);
                throw site.Failure("read", objectId, exception);
            }

            return Advance(read);
        }

        public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
            ReadAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

        public override int Read(Span<byte> buffer)
        {
            if (buffer.IsEmpty || position >= length)
            {
                return 0;
            }

            int read;
            try
            {
                if (current is not null && currentPosition != position)
                {
                    current.Dispose();
                    current = null;
                }

                if (current is null)
                {
                    current = blob.DownloadStreaming(RangeFrom(position)).Value.Content;
                    currentPosition = position;
                }

                read = current.Read(buffer);
            }
            catch (Exception exception) when (IsSiteFailure(exception, CancellationToken.None))
            {
                current?.Dispose();
                current = null;
                throw site.Failure("read", objectId, exception);
            }

            return Advance(read);
        }

        public override int Read(byte[] buffer, int offset, int count) => Read(buffer.AsSpan(offset, count));

        public override void Flush()
        {
        }

        public override void SetLength(long value) => throw new NotSupportedException();

        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();

        protected override void Dispose(bool disposing)
        {
            if (disposing)
            {
                current?.Dispose();
                current = null;
            }

            base.Dispose(disposing);
        }

        public override async ValueTask DisposeAsync()
        {
            await DropAsync().ConfigureAwait(false);
            await base.DisposeAsync().ConfigureAwait(false);
        }

        private BlobDownloadOptions RangeFrom(long offset) => new()
        {
            Range = new HttpRange(offset),
            Conditions = new BlobRequestConditions { IfMatch = etag },
        };

        private int Advance(int read)
        {
            if (read == 0)
            {
                // The response ended before the length the service announced at open.
                current?.Dispose();
                current = null;
                throw new IOException($"Site {site.Id}: read of object {objectId} ended at {position} of {length} bytes.");
            }

            position += read;
            currentPosition += read;
            return read;
        }

        private async ValueTask DropAsync()
        {
            if (current is not null)
            {
                await current.DisposeAsync().ConfigureAwait(false);
                current = null;
            }
        }
    }
}
