using System.IO.Pipelines;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using Strongroom.Core;
using Strongroom.Protocol.KeyVault;
using Strongroom.Protocol.Transparency;

namespace Strongroom.Server;

/// <summary>
/// Counts the body bytes each request reads and writes, for <c>strongroom_bytes_received_total</c>
/// and <c>strongroom_bytes_sent_total</c> per plane: the request stream and the response's body
/// feature are wrapped for the request's life (an add per read or write; Kestrel's pipe stays
/// underneath, so the handlers' streaming is unchanged). The plane is the host's dispatch decision.
/// </summary>
internal static class BodyMetering
{
    /// <summary>The plane label of a request, from the same tests as the host's dispatch.</summary>
    public static string PlaneOf(HttpContext context, bool management)
    {
        var path = context.Request.Path.Value;
        return management
            ? path is not null && (path == "/console" || path.StartsWith("/console/", StringComparison.Ordinal)) ? StrongroomMetrics.ConsolePlane : StrongroomMetrics.ManagementPlane
            : KeyVaultProtocolHandler.Handles(context) ? StrongroomMetrics.KeyVaultPlane
            : TransparencyProtocolHandler.IsTransparencyPath(path) || PlacementProtocolHandler.IsPlacementPath(path) ? StrongroomMetrics.TransparencyPlane
            : StrongroomMetrics.BlobPlane;
    }

    public static async Task MeterAsync(HttpContext context, string plane, Func<HttpContext, Task> handler)
    {
        var received = new CountingReadStream(context.Request.Body);
        context.Request.Body = received;
        var responseBody = context.Features.Get<IHttpResponseBodyFeature>();
        CountingResponseBody? sent = null;
        if (responseBody is not null)
        {
            sent = new CountingResponseBody(responseBody);
            context.Features.Set<IHttpResponseBodyFeature>(sent);
        }

        try
        {
            await handler(context).ConfigureAwait(false);
        }
        finally
        {
            StrongroomMetrics.RecordBodyBytes(plane, received.Count, sent?.Count ?? 0);
        }
    }

    private sealed class CountingReadStream(Stream inner) : Stream
    {
        public long Count { get; private set; }

        public override bool CanRead => inner.CanRead;

        public override bool CanSeek => false;

        public override bool CanWrite => false;

        public override long Length => throw new NotSupportedException();

        public override long Position
        {
            get => throw new NotSupportedException();
            set => throw new NotSupportedException();
        }

        public override int Read(byte[] buffer, int offset, int count) => Counted(inner.Read(buffer, offset, count));

        public override int Read(Span<byte> buffer) => Counted(inner.Read(buffer));

        public override async Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
            Counted(await inner.ReadAsync(buffer.AsMemory(offset, count), cancellationToken).ConfigureAwait(false));

        public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default) =>
            Counted(await inner.ReadAsync(buffer, cancellationToken).ConfigureAwait(false));

        public override void Flush()
        {
        }

        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

        public override void SetLength(long value) => throw new NotSupportedException();

        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();

        private int Counted(int read)
        {
            Count += read;
            return read;
        }
    }

    private sealed class CountingResponseBody(IHttpResponseBodyFeature inner) : IHttpResponseBodyFeature
    {
        private CountingWriteStream? stream;
        private CountingPipeWriter? writer;

        public long Count => (stream?.Count ?? 0) + (writer?.Count ?? 0) + SentFiles;

        private long SentFiles { get; set; }

        public Stream Stream => stream ??= new CountingWriteStream(inner.Stream);

        public PipeWriter Writer => writer ??= new CountingPipeWriter(inner.Writer);

        public Task CompleteAsync() => inner.CompleteAsync();

        public void DisableBuffering() => inner.DisableBuffering();

        public async Task SendFileAsync(string path, long offset, long? count, CancellationToken cancellationToken = default)
        {
            await inner.SendFileAsync(path, offset, count, cancellationToken).ConfigureAwait(false);
            SentFiles += count ?? new FileInfo(path).Length - offset;
        }

        public Task StartAsync(CancellationToken cancellationToken = default) => inner.StartAsync(cancellationToken);
    }

    private sealed class CountingWriteStream(Stream inner) : Stream
    {
        public long Count { get; private set; }

        public override bool CanRead => false;

        public override bool CanSeek => false;

        public override bool CanWrite => inner.CanWrite;

        public override long Length => throw new NotSupportedException();

        public override long Position
        {
            get => throw new NotSupportedException();
            set => throw new NotSupportedException();
        }

        public override void Flush() => inner.Flush();

        public override Task FlushAsync(CancellationToken cancellationToken) => inner.FlushAsync(cancellationToken);

        public override int Read(byte[] buffer, int offset, int count) => throw new NotSupportedException();

        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

        public override void SetLength(long value) => throw new NotSupportedException();

        public override void Write(byte[] buffer, int offset, int count)
        {
            inner.Write(buffer, offset, count);
            Count += count;
        }

        public override void Write(ReadOnlySpan<byte> buffer)
        {
            inner.Write(buffer);
            Count += buffer.Length;
        }

        public override Task WriteAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
            WriteAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

        public override async ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default)
        {
            await inner.WriteAsync(buffer, cancellationToken).ConfigureAwait(false);
            Count += buffer.Length;
        }
    }

    private sealed class CountingPipeWriter(PipeWriter inner) : PipeWriter
    {
        public long Count { get; private set; }

        public override bool CanGetUnflushedBytes => inner.CanGetUnflushedBytes;

        public override long UnflushedBytes => inner.UnflushedBytes;

        public override void Advance(int bytes)
        {
            inner.Advance(bytes);
            Count += bytes;
        }

        public override void CancelPendingFlush() => inner.CancelPendingFlush();

        public override void Complete(Exception? exception = null) => inner.Complete(exception);

        public override ValueTask CompleteAsync(Exception? exception = null) => inner.CompleteAsync(exception);

        public override ValueTask<FlushResult> FlushAsync(CancellationToken cancellationToken = default) => inner.FlushAsync(cancellationToken);

        public override Memory<byte> GetMemory(int sizeHint = 0) => inner.GetMemory(sizeHint);

        public override Span<byte> GetSpan(int sizeHint = 0) => inner.GetSpan(sizeHint);

        public override ValueTask<FlushResult> WriteAsync(ReadOnlyMemory<byte> source, CancellationToken cancellationToken = default)
        {
            Count += source.Length;
            return inner.WriteAsync(source, cancellationToken);
        }
    }
}
