using Microsoft.AspNetCore.Http;

namespace Strongroom.Protocol.Blob;

/// <summary>
/// The request body as the handlers read it: a failure to read it that is the client's fault is a
/// <see cref="BadHttpRequestException"/> (400), whatever the HTTP layer threw. Kestrel throws a
/// plain <see cref="IOException"/> ("Bad chunk size data", wrapping an overflow) for a chunk size
/// that does not fit, which would otherwise reach the handler's catch-all as a 500 InternalError.
/// A client that went away (the request aborted) is left as it is.
/// </summary>
internal sealed class RequestBodyStream(Stream inner, CancellationToken requestAborted) : Stream
{
    public override bool CanRead => true;

    public override bool CanSeek => false;

    public override bool CanWrite => false;

    public override long Length => throw new NotSupportedException();

    public override long Position
    {
        get => throw new NotSupportedException();
        set => throw new NotSupportedException();
    }

    public override int Read(byte[] buffer, int offset, int count)
    {
        try
        {
            return inner.Read(buffer, offset, count);
        }
        catch (IOException failure) when (IsMalformedBody(failure))
        {
            throw Malformed(failure);
        }
    }

    public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
    {
        try
        {
            return await inner.ReadAsync(buffer, cancellationToken).ConfigureAwait(false);
        }
        catch (IOException failure) when (IsMalformedBody(failure))
        {
            throw Malformed(failure);
        }
    }

    public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
        ReadAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

    bool IsMalformedBody(IOException failure) => failure is not BadHttpRequestException && !requestAborted.IsCancellationRequested;

    static BadHttpRequestException Malformed(IOException failure) =>
        new("The request body is malformed.", StatusCodes.Status400BadRequest, failure);

    public override void Flush()
    {
    }

    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

    public override void SetLength(long value) => throw new NotSupportedException();

    public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
}
