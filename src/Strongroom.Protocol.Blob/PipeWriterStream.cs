using System.Buffers;
using System.IO.Pipelines;

namespace Strongroom.Protocol.Blob;

/// <summary>
/// A write-only stream that copies synchronous writes into a <see cref="PipeWriter"/>'s buffer
/// and never flushes. XmlWriter writes synchronously; Kestrel forbids synchronous I/O on the
/// response, so the XML writers write here and flush the pipe asynchronously between items.
/// </summary>
internal sealed class PipeWriterStream(PipeWriter writer) : Stream
{
    public override bool CanRead => false;

    public override bool CanSeek => false;

    public override bool CanWrite => true;

    public override long Length => throw new NotSupportedException();

    public override long Position
    {
        get => throw new NotSupportedException();
        set => throw new NotSupportedException();
    }

    public override void Write(byte[] buffer, int offset, int count) => Write(buffer.AsSpan(offset, count));

    public override void Write(ReadOnlySpan<byte> buffer) => writer.Write(buffer);

    public override void WriteByte(byte value) => writer.Write([value]);

    // Flushing is the caller's job, asynchronously, on the PipeWriter itself.
    public override void Flush()
    {
    }

    public override Task FlushAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public override int Read(byte[] buffer, int offset, int count) => throw new NotSupportedException();

    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

    public override void SetLength(long value) => throw new NotSupportedException();
}
