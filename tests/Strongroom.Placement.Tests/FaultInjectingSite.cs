using Strongroom.Storage;

namespace Strongroom.Testing;

/// <summary>
/// A site that fails on demand, over a real one: opening a write, writing (at once or after some
/// bytes), committing, opening a read, reading (after some bytes), deleting; or flipping a byte of
/// what it returns. Every failure is an <see cref="IOException"/>, as the <see cref="ISite"/>
/// contract says. Shared by the placement and blob tests (linked source).
/// </summary>
public sealed class FaultInjectingSite(ISite inner) : ISite
{
    public string Id => inner.Id;

    public ISite Inner => inner;

    /// <summary>Fails everything, like an unreachable site.</summary>
    public bool Down { get; set; }

    public bool FailBeginWrite { get; set; }

    /// <summary>The write stream fails once this many bytes have been written to it (0: at the first write).</summary>
    public long? FailWriteAfterBytes { get; set; }

    public bool FailCommit { get; set; }

    /// <summary>The commit publishes the object, then fails (a lost answer, a failed directory fsync).</summary>
    public bool FailCommitAfterPublish { get; set; }

    public bool FailOpenRead { get; set; }

    /// <summary>A read stream fails once it has returned this many bytes.</summary>
    public long? FailReadAfterBytes { get; set; }

    /// <summary>A read stream returns the byte at this position with its lowest bit flipped.</summary>
    public long? FlipByteAt { get; set; }

    public bool FailDelete { get; set; }

    public int WritesBegun { get; private set; }

    public int ReadsOpened { get; private set; }

    public int DeletesAttempted { get; private set; }

    public void Heal()
    {
        Down = false;
        FailBeginWrite = false;
        FailWriteAfterBytes = null;
        FailCommit = false;
        FailCommitAfterPublish = false;
        FailOpenRead = false;
        FailReadAfterBytes = null;
        FlipByteAt = null;
        FailDelete = false;
    }

    private IOException Failure(string what) => new($"Injected failure: site {Id} {what}.");

    public async Task<ISiteWrite> BeginWriteAsync(string objectId, CancellationToken cancellationToken = default)
    {
        WritesBegun++;
        if (Down || FailBeginWrite)
        {
            throw Failure("cannot start a write");
        }

        return new FaultyWrite(this, await inner.BeginWriteAsync(objectId, cancellationToken));
    }

    public async Task<Stream> OpenReadAsync(string objectId, CancellationToken cancellationToken = default)
    {
        ReadsOpened++;
        if (Down || FailOpenRead)
        {
            throw Failure("cannot open a read");
        }

        return new FaultyReadStream(this, await inner.OpenReadAsync(objectId, cancellationToken));
    }

    public Task CheckAsync(CancellationToken cancellationToken = default) =>
        Down ? throw Failure("is down") : inner.CheckAsync(cancellationToken);

    public Task DeleteAsync(string objectId, CancellationToken cancellationToken = default)
    {
        DeletesAttempted++;
        return Down || FailDelete ? throw Failure("cannot delete") : inner.DeleteAsync(objectId, cancellationToken);
    }

    public IAsyncEnumerable<string> ListObjectIdsAsync(CancellationToken cancellationToken = default) => inner.ListObjectIdsAsync(cancellationToken);

    private sealed class FaultyWrite(FaultInjectingSite site, ISiteWrite inner) : ISiteWrite
    {
        private readonly FaultyWriteStream content = new(site, inner.Content);

        public Stream Content => content;

        public async Task CommitAsync(CancellationToken cancellationToken = default)
        {
            if (site.Down || site.FailCommit)
            {
                throw site.Failure("cannot commit");
            }

            await inner.CommitAsync(cancellationToken);
            if (site.FailCommitAfterPublish)
            {
                throw site.Failure("lost the answer to a commit");
            }
        }

        public ValueTask DisposeAsync() => inner.DisposeAsync();
    }

    private sealed class FaultyWriteStream(FaultInjectingSite site, Stream inner) : Stream
    {
        private long written;

        public override bool CanRead => false;

        public override bool CanSeek => false;

        public override bool CanWrite => true;

        public override long Length => written;

        public override long Position { get => written; set => throw new NotSupportedException(); }

        public override async ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default)
        {
            if (site.Down || (site.FailWriteAfterBytes is { } limit && written + buffer.Length > limit))
            {
                // What fits before the limit still reaches the site, like a connection cut mid-request.
                var fits = site.FailWriteAfterBytes is { } allowed ? (int)Math.Clamp(allowed - written, 0, buffer.Length) : 0;
                if (fits > 0)
                {
                    await inner.WriteAsync(buffer[..fits], cancellationToken);
                    written += fits;
                }

                throw site.Failure("failed while writing");
            }

            await inner.WriteAsync(buffer, cancellationToken);
            written += buffer.Length;
        }

        public override Task WriteAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
            WriteAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

        public override void Write(byte[] buffer, int offset, int count) => WriteAsync(buffer, offset, count).GetAwaiter().GetResult();

        public override Task FlushAsync(CancellationToken cancellationToken) =>
            site.Down ? throw site.Failure("failed to flush") : inner.FlushAsync(cancellationToken);

        public override void Flush() => FlushAsync(CancellationToken.None).GetAwaiter().GetResult();

        public override int Read(byte[] buffer, int offset, int count) => throw new NotSupportedException();

        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

        public override void SetLength(long value) => throw new NotSupportedException();
    }

    private sealed class FaultyReadStream(FaultInjectingSite site, Stream inner) : Stream
    {
        private long returned;

        public override bool CanRead => true;

        public override bool CanSeek => inner.CanSeek;

        public override bool CanWrite => false;

        public override long Length => inner.Length;

        public override long Position { get => inner.Position; set => inner.Position = value; }

        public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
        {
            if (site.Down)
            {
                throw site.Failure("failed while reading");
            }

            if (site.FailReadAfterBytes is { } limit)
            {
                var left = limit - returned;
                if (left <= 0)
                {
                    throw site.Failure("failed while reading");
                }

                buffer = buffer[..(int)Math.Min(buffer.Length, left)];
            }

            var position = inner.CanSeek ? inner.Position : returned;
            var read = await inner.ReadAsync(buffer, cancellationToken);
            if (site.FlipByteAt is { } flip && flip >= position && flip < position + read)
            {
                buffer.Span[(int)(flip - position)] ^= 0x01;
            }

            returned += read;
            return read;
        }

        public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
            ReadAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

        public override int Read(byte[] buffer, int offset, int count) => ReadAsync(buffer, offset, count).GetAwaiter().GetResult();

        public override long Seek(long offset, SeekOrigin origin) => inner.Seek(offset, origin);

        public override void Flush()
        {
        }

        public override void SetLength(long value) => throw new NotSupportedException();

        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();

        protected override void Dispose(bool disposing)
        {
            if (disposing)
            {
                inner.Dispose();
            }

            base.Dispose(disposing);
        }

        public override async ValueTask DisposeAsync()
        {
            await inner.DisposeAsync();
            await base.DisposeAsync();
        }
    }
}
