using System.Buffers.Binary;
using Strongroom.Core;

namespace Strongroom.Protocol.Blob;

/// <summary>
/// Azure's structured message body, version 1 (<c>x-ms-structured-body: XSM/1.0; properties=crc64</c>),
/// which the SDK uses for CRC-64 transfer validation:
/// stream header (version u8 = 1 · message length u64 LE · flags u16 LE · segment count u16 LE),
/// then per segment (number u16 LE, 1-based · content length u64 LE · content · CRC-64 u64 LE when
/// flagged), then the CRC-64 of the whole content (when flagged). All lengths include every part.
/// </summary>
public static class StructuredMessage
{
    public const string BodyHeader = "x-ms-structured-body";
    public const string ContentLengthHeader = "x-ms-structured-content-length";
    public const string Crc64BodyType = "XSM/1.0; properties=crc64";
    public const int StreamHeaderBytes = 13;
    public const int SegmentHeaderBytes = 10;
    public const int Crc64Bytes = 8;
    public const ushort FlagCrc64 = 1;

    /// <summary>The segment size this server uses when it encodes a response.</summary>
    public const int ResponseSegmentBytes = 4 * 1024 * 1024;

    public static bool IsCrc64(string? headerValue) =>
        headerValue is not null
        && headerValue.Replace(" ", string.Empty, StringComparison.Ordinal)
            .Equals("XSM/1.0;properties=crc64", StringComparison.OrdinalIgnoreCase);

    public static long EncodedLength(long contentLength, int segmentBytes = ResponseSegmentBytes)
    {
        var segments = SegmentCount(contentLength, segmentBytes);
        return StreamHeaderBytes + (segments * (SegmentHeaderBytes + Crc64Bytes)) + contentLength + Crc64Bytes;
    }

    private static long SegmentCount(long contentLength, int segmentBytes) =>
        (contentLength + segmentBytes - 1) / segmentBytes;

    internal static StorageException Malformed(string detail) => new(ErrorCode.InvalidStructuredBody, detail);

    /// <summary>
    /// Reads a structured request body and yields its content, verifying each segment's CRC-64 and
    /// the whole content's as they go by. A mismatch or malformed framing throws before the final
    /// bytes are delivered, so a write that consumes this stream to its end never commits bad data.
    /// </summary>
    public sealed class DecodingStream(Stream inner, long expectedContentLength) : Stream
    {
        private readonly byte[] scratch = new byte[StreamHeaderBytes];
        private readonly Crc64Nvme wholeCrc = new();
        private readonly Crc64Nvme segmentCrc = new();
        private bool started;
        private bool finished;
        private long messageLength;
        private long consumed;
        private int segmentCount;
        private int segmentNumber;
        private long segmentRemaining;
        private long contentDelivered;
        private bool crc64;

        public override bool CanRead => true;

        public override bool CanSeek => false;

        public override bool CanWrite => false;

        public override long Length => throw new NotSupportedException();

        public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }

        public override int Read(byte[] buffer, int offset, int count) =>
            ReadAsync(buffer.AsMemory(offset, count)).AsTask().GetAwaiter().GetResult();

        public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
        {
            if (finished || buffer.Length == 0)
            {
                return 0;
            }

            if (!started)
            {
                await ReadStreamHeaderAsync(cancellationToken).ConfigureAwait(false);
                started = true;
            }

            while (segmentRemaining == 0)
            {
                if (segmentNumber > 0 && crc64)
                {
                    await ExpectCrcAsync(segmentCrc, "segment", cancellationToken).ConfigureAwait(false);
                }

                if (segmentNumber == segmentCount)
                {
                    await FinishAsync(cancellationToken).ConfigureAwait(false);
                    return 0;
                }

                await ReadSegmentHeaderAsync(cancellationToken).ConfigureAwait(false);
            }

            var wanted = (int)Math.Min(buffer.Length, segmentRemaining);
            var read = await inner.ReadAsync(buffer[..wanted], cancellationToken).ConfigureAwait(false);
            if (read == 0)
            {
                throw Malformed("The structured body ends inside a segment.");
            }

            var span = buffer.Span[..read];
            segmentCrc.Append(span);
            wholeCrc.Append(span);
            segmentRemaining -= read;
            consumed += read;
            contentDelivered += read;
            return read;
        }

        private async ValueTask ReadStreamHeaderAsync(CancellationToken cancellationToken)
        {
            await FillAsync(StreamHeaderBytes, cancellationToken).ConfigureAwait(false);
            if (scratch[0] != 1)
            {
                throw Malformed("Unsupported structured message version.");
            }

            messageLength = (long)BinaryPrimitives.ReadUInt64LittleEndian(scratch.AsSpan(1));
            var flags = BinaryPrimitives.ReadUInt16LittleEndian(scratch.AsSpan(9));
            segmentCount = BinaryPrimitives.ReadUInt16LittleEndian(scratch.AsSpan(11));
            crc64 = (flags & FlagCrc64) != 0;
            if ((flags & ~FlagCrc64) != 0)
            {
                throw Malformed("Unknown structured message flags.");
            }
        }

        private async ValueTask ReadSegmentHeaderAsync(CancellationToken cancellationToken)
        {
            await FillAsync(SegmentHeaderBytes, cancellationToken).ConfigureAwait(false);
            var number = BinaryPrimitives.ReadUInt16LittleEndian(scratch);
            var length = (long)BinaryPrimitives.ReadUInt64LittleEndian(scratch.AsSpan(2));
            if (number != segmentNumber + 1 || length < 0 || contentDelivered + length > expectedContentLength)
            {
                throw Malformed("A structured message segment header is out of order or too long.");
            }

            segmentNumber = number;
            segmentRemaining = length;
            segmentCrc.Reset();
        }

        private async ValueTask FinishAsync(CancellationToken cancellationToken)
        {
            if (crc64)
            {
                await ExpectCrcAsync(wholeCrc, "message", cancellationToken).ConfigureAwait(false);
            }

            if (contentDelivered != expectedContentLength || consumed != messageLength)
            {
                throw Malformed("The structured body's lengths do not match its headers.");
            }

            if (await inner.ReadAsync(scratch.AsMemory(0, 1), cancellationToken).ConfigureAwait(false) != 0)
            {
                throw Malformed("Bytes follow the end of the structured message.");
            }

            finished = true;
        }

        private async ValueTask ExpectCrcAsync(Crc64Nvme crc, string what, CancellationToken cancellationToken)
        {
            await FillAsync(Crc64Bytes, cancellationToken).ConfigureAwait(false);
            if (BinaryPrimitives.ReadUInt64LittleEndian(scratch) != crc.GetCurrentValue())
            {
                throw new StorageException(ErrorCode.Crc64Mismatch, $"The CRC-64 of the {what} does not match.");
            }
        }

        private async ValueTask FillAsync(int bytes, CancellationToken cancellationToken)
        {
            var read = await inner.ReadAtLeastAsync(scratch.AsMemory(0, bytes), bytes, throwOnEndOfStream: false, cancellationToken).ConfigureAwait(false);
            if (read != bytes)
            {
                throw Malformed("The structured body ends early.");
            }

            consumed += bytes;
        }

        public override void Flush()
        {
        }

        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

        public override void SetLength(long value) => throw new NotSupportedException();

        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
    }

    /// <summary>
    /// Frames a response body of a known length as a structured message with CRC-64s, segment by
    /// segment as the bytes pass through (nothing is buffered beyond the caller's writes).
    /// </summary>
    public sealed class EncodingStream : Stream
    {
        private readonly Stream inner;
        private readonly long contentLength;
        private readonly int segmentBytes;
        private readonly Crc64Nvme wholeCrc = new();
        private readonly Crc64Nvme segmentCrc = new();
        private readonly byte[] scratch = new byte[StreamHeaderBytes];
        private long written;
        private long segmentRemaining;
        private int segmentNumber;
        private bool headerWritten;

        public EncodingStream(Stream inner, long contentLength, int segmentBytes = ResponseSegmentBytes)
        {
            Invariant.True(SegmentCount(contentLength, segmentBytes) <= ushort.MaxValue, "a structured message has at most 65535 segments");
            this.inner = inner;
            this.contentLength = contentLength;
            this.segmentBytes = segmentBytes;
        }

        public override bool CanRead => false;

        public override bool CanSeek => false;

        public override bool CanWrite => true;

        public override long Length => throw new NotSupportedException();

        public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }

        public override void Write(byte[] buffer, int offset, int count) =>
            WriteAsync(buffer.AsMemory(offset, count)).AsTask().GetAwaiter().GetResult();

        public override async ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default)
        {
            Invariant.True(written + buffer.Length <= contentLength, "a structured response carries exactly its declared length");
            await EnsureHeaderAsync(cancellationToken).ConfigureAwait(false);
            while (buffer.Length > 0)
            {
                if (segmentRemaining == 0)
                {
                    segmentNumber++;
                    segmentRemaining = Math.Min(segmentBytes, contentLength - written);
                    segmentCrc.Reset();
                    BinaryPrimitives.WriteUInt16LittleEndian(scratch, (ushort)segmentNumber);
                    BinaryPrimitives.WriteUInt64LittleEndian(scratch.AsSpan(2), (ulong)segmentRemaining);
                    await inner.WriteAsync(scratch.AsMemory(0, SegmentHeaderBytes), cancellationToken).ConfigureAwait(false);
                }

                var chunk = buffer[..(int)Math.Min(buffer.Length, segmentRemaining)];
                segmentCrc.Append(chunk.Span);
                wholeCrc.Append(chunk.Span);
                await inner.WriteAsync(chunk, cancellationToken).ConfigureAwait(false);
                buffer = buffer[chunk.Length..];
                written += chunk.Length;
                segmentRemaining -= chunk.Length;
                if (segmentRemaining == 0)
                {
                    await WriteCrcAsync(segmentCrc, cancellationToken).ConfigureAwait(false);
                }
            }
        }

        /// <summary>Writes the trailing CRC-64 of the whole content; every byte must have been written.</summary>
        public async ValueTask CompleteAsync(CancellationToken cancellationToken = default)
        {
            Invariant.True(written == contentLength, "a structured response carries exactly its declared length");
            await EnsureHeaderAsync(cancellationToken).ConfigureAwait(false);
            await WriteCrcAsync(wholeCrc, cancellationToken).ConfigureAwait(false);
        }

        private async ValueTask EnsureHeaderAsync(CancellationToken cancellationToken)
        {
            if (headerWritten)
            {
                return;
            }

            scratch[0] = 1;
            BinaryPrimitives.WriteUInt64LittleEndian(scratch.AsSpan(1), (ulong)EncodedLength(contentLength, segmentBytes));
            BinaryPrimitives.WriteUInt16LittleEndian(scratch.AsSpan(9), FlagCrc64);
            BinaryPrimitives.WriteUInt16LittleEndian(scratch.AsSpan(11), (ushort)SegmentCount(contentLength, segmentBytes));
            await inner.WriteAsync(scratch.AsMemory(0, StreamHeaderBytes), cancellationToken).ConfigureAwait(false);
            headerWritten = true;
        }

        private async ValueTask WriteCrcAsync(Crc64Nvme crc, CancellationToken cancellationToken)
        {
            BinaryPrimitives.WriteUInt64LittleEndian(scratch, crc.GetCurrentValue());
            await inner.WriteAsync(scratch.AsMemory(0, Crc64Bytes), cancellationToken).ConfigureAwait(false);
        }

        public override void Flush() => inner.Flush();

        public override Task FlushAsync(CancellationToken cancellationToken) => inner.FlushAsync(cancellationToken);

        public override int Read(byte[] buffer, int offset, int count) => throw new NotSupportedException();

        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

        public override void SetLength(long value) => throw new NotSupportedException();
    }
}
