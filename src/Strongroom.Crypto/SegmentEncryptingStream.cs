using System.Buffers;
using System.Security.Cryptography;
using Strongroom.Core;

namespace Strongroom.Crypto;

/// <summary>
/// Write-only stream that encrypts what is written to it into <see cref="SegmentFormat"/>
/// version 1 (in the cipher suite it is given) and writes the result to a destination stream it does not own.
/// </summary>
/// <remarks>
/// A full segment is only sealed once more plaintext arrives, because until then it might
/// be the final one. <see cref="CompleteAsync"/> (or <see cref="Complete"/>) seals the final
/// segment. Disposing without completing never writes a final segment, so an abandoned
/// upload is detectably truncated rather than silently shorter. Memory stays at about two
/// segments (one plaintext, one ciphertext buffer, both pooled) whatever the object size.
/// The header is written together with the first sealed segment.
/// </remarks>
public sealed class SegmentEncryptingStream : Stream
{
    private readonly Stream destination;
    private readonly int segmentPlaintextBytes;
    private readonly AeadCipher cipher;
    private readonly CipherSuite suite;
    private readonly byte[] header = new byte[SegmentFormat.HeaderBytes];
    private readonly byte[] associatedData = new byte[SegmentFormat.AssociatedDataBytes];

    // Room for the header in front of the first segment, so that it goes out in one write.
    private readonly byte[] ciphertextBuffer;
    private readonly byte[] plaintextBuffer;
    private int bufferedBytes;
    private ulong segmentIndex;
    private long plaintextLength;
    private bool headerWritten;
    private bool completed;
    private bool faulted;
    private bool disposed;

    /// <summary>Encrypts with AES-256-GCM (<see cref="CipherSuite.Aes256Gcm"/>).</summary>
    public SegmentEncryptingStream(Stream destination, ReadOnlySpan<byte> dataKey, ReadOnlySpan<byte> bindingDigest, IRandomSource random, int segmentPlaintextBytes = SegmentFormat.SegmentPlaintextBytesDefault)
        : this(destination, CipherSuite.Aes256Gcm, dataKey, bindingDigest, random, segmentPlaintextBytes)
    {
    }

    /// <summary>
    /// Encrypts with <paramref name="suite"/>, which the header records. The binding digest is
    /// the one <see cref="ObjectBinding.Digest(CipherSuite, string, string, string, string)"/>
    /// computes for the same suite.
    /// </summary>
    public SegmentEncryptingStream(Stream destination, CipherSuite suite, ReadOnlySpan<byte> dataKey, ReadOnlySpan<byte> bindingDigest, IRandomSource random, int segmentPlaintextBytes = SegmentFormat.SegmentPlaintextBytesDefault)
    {
        ArgumentNullException.ThrowIfNull(destination);
        ArgumentNullException.ThrowIfNull(random);
        if (!CipherSuiteAlgorithms.TryFor((byte)suite, out var algorithms))
        {
            throw new ArgumentOutOfRangeException(nameof(suite), suite, "Unknown cipher suite.");
        }

        SegmentFormat.ValidateKeys(dataKey, bindingDigest);
        SegmentFormat.ValidateSegmentPlaintextBytes(segmentPlaintextBytes);
        if (!destination.CanWrite)
        {
            throw new ArgumentException("The destination stream must be writable.", nameof(destination));
        }

        this.destination = destination;
        this.segmentPlaintextBytes = segmentPlaintextBytes;
        this.suite = suite;

        Span<byte> salt = stackalloc byte[SegmentFormat.SaltBytes];
        random.Fill(salt);
        SegmentFormat.WriteHeader(header, suite, segmentPlaintextBytes, salt);
        SegmentFormat.WriteAssociatedDataPrefix(associatedData, header, bindingDigest);
        cipher = SegmentFormat.CreateSegmentCipher(algorithms, dataKey, header);

        plaintextBuffer = ArrayPool<byte>.Shared.Rent(segmentPlaintextBytes);
        ciphertextBuffer = ArrayPool<byte>.Shared.Rent(SegmentFormat.HeaderBytes + segmentPlaintextBytes + SegmentFormat.TagBytes);
    }

    /// <summary>Plaintext bytes written so far.</summary>
    public long PlaintextLength => plaintextLength;

    /// <summary>Ciphertext bytes the destination will hold once completed.</summary>
    public long CiphertextLength => SegmentFormat.CiphertextLength(plaintextLength, segmentPlaintextBytes);

    public int SegmentPlaintextBytes => segmentPlaintextBytes;

    public CipherSuite CipherSuite => (CipherSuite)header[SegmentFormat.SuiteOffset];

    public bool IsCompleted => completed;

    public override bool CanRead => false;
    public override bool CanSeek => false;
    public override bool CanWrite => !disposed && !completed;
    public override long Length => throw new NotSupportedException();
    public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }

    /// <summary>
    /// Does nothing: a partial segment cannot be sealed before it is known to be final.
    /// </summary>
    public override void Flush()
    {
    }

    public override Task FlushAsync(CancellationToken cancellationToken) =>
        cancellationToken.IsCancellationRequested ? Task.FromCanceled(cancellationToken) : Task.CompletedTask;

    public override int Read(byte[] buffer, int offset, int count) => throw new NotSupportedException();
    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
    public override void SetLength(long value) => throw new NotSupportedException();

    public override void Write(byte[] buffer, int offset, int count)
    {
        ValidateBufferArguments(buffer, offset, count);
        Write(buffer.AsSpan(offset, count));
    }

    public override void WriteByte(byte value) => Write([value]);

    public override void Write(ReadOnlySpan<byte> buffer)
    {
        ThrowIfNotWritable();
        while (!buffer.IsEmpty)
        {
            if (bufferedBytes == segmentPlaintextBytes)
            {
                // More data follows, so the buffered segment is not the final one.
                WriteSegmentThenAdvance(SealSegment(plaintextBuffer.AsSpan(0, bufferedBytes), final: false));
                bufferedBytes = 0;
            }

            if (bufferedBytes == 0 && buffer.Length > segmentPlaintextBytes)
            {
                // A whole segment with data after it: seal straight from the caller's buffer.
                WriteSegmentThenAdvance(SealSegment(buffer[..segmentPlaintextBytes], final: false));
                plaintextLength += segmentPlaintextBytes;
                buffer = buffer[segmentPlaintextBytes..];
                continue;
            }

            buffer = Buffer(buffer);
        }
    }

    public override Task WriteAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken)
    {
        ValidateBufferArguments(buffer, offset, count);
        return WriteAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();
    }

    public override async ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default)
    {
        ThrowIfNotWritable();
        while (!buffer.IsEmpty)
        {
            if (bufferedBytes == segmentPlaintextBytes)
            {
                await WriteSegmentThenAdvanceAsync(SealSegment(plaintextBuffer.AsSpan(0, bufferedBytes), final: false), cancellationToken).ConfigureAwait(false);
                bufferedBytes = 0;
            }

            if (bufferedBytes == 0 && buffer.Length > segmentPlaintextBytes)
            {
                await WriteSegmentThenAdvanceAsync(SealSegment(buffer.Span[..segmentPlaintextBytes], final: false), cancellationToken).ConfigureAwait(false);
                plaintextLength += segmentPlaintextBytes;
                buffer = buffer[segmentPlaintextBytes..];
                continue;
            }

            var rest = Buffer(buffer.Span);
            buffer = buffer[(buffer.Length - rest.Length)..];
        }
    }

    /// <summary>
    /// Seals the final segment (empty if the plaintext length is a multiple of the segment size
    /// and nothing was written, or if nothing was written at all) and flushes the destination.
    /// Only after this does the destination hold a readable object.
    /// </summary>
    public async ValueTask CompleteAsync(CancellationToken cancellationToken = default)
    {
        ThrowIfNotWritable();
        await WriteSegmentThenAdvanceAsync(SealSegment(plaintextBuffer.AsSpan(0, bufferedBytes), final: true), cancellationToken).ConfigureAwait(false);
        bufferedBytes = 0;
        completed = true;
        await destination.FlushAsync(cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Synchronous counterpart of <see cref="CompleteAsync"/>.</summary>
    public void Complete()
    {
        ThrowIfNotWritable();
        WriteSegmentThenAdvance(SealSegment(plaintextBuffer.AsSpan(0, bufferedBytes), final: true));
        bufferedBytes = 0;
        completed = true;
        destination.Flush();
    }

    protected override void Dispose(bool disposing)
    {
        if (!disposed && disposing)
        {
            disposed = true;
            cipher.Dispose();
            ReturnBuffers();
        }

        base.Dispose(disposing);
    }

    private ReadOnlySpan<byte> Buffer(ReadOnlySpan<byte> source)
    {
        var take = Math.Min(source.Length, segmentPlaintextBytes - bufferedBytes);
        source[..take].CopyTo(plaintextBuffer.AsSpan(bufferedBytes));
        bufferedBytes += take;
        plaintextLength += take;
        return source[take..];
    }

    /// <summary>
    /// Encrypts one segment into the ciphertext buffer (behind the header if it has not been
    /// written yet) and returns how many bytes of that buffer are to be written.
    /// </summary>
    private int SealSegment(ReadOnlySpan<byte> plaintext, bool final)
    {
        Invariant.True(plaintext.Length <= segmentPlaintextBytes, "segment plaintext fits the segment size");
        Invariant.True(final || plaintext.Length == segmentPlaintextBytes, "only the final segment may be short");

        var start = 0;
        if (!headerWritten)
        {
            header.CopyTo(ciphertextBuffer, 0);
            start = SegmentFormat.HeaderBytes;
        }

        Span<byte> nonce = stackalloc byte[SegmentFormat.NonceBytes];
        SegmentFormat.WriteNonce(nonce, segmentIndex, final);
        SegmentFormat.WriteAssociatedDataSuffix(associatedData, segmentIndex, final);
        var sealing = System.Diagnostics.Stopwatch.GetTimestamp();
        cipher.Seal(nonce, plaintext, ciphertextBuffer.AsSpan(start, plaintext.Length + SegmentFormat.TagBytes), associatedData);
        StrongroomMetrics.RecordSegment(StrongroomMetrics.SegmentEncryption, suite, sealing);
        return start + plaintext.Length + SegmentFormat.TagBytes;
    }

    private void WriteSegmentThenAdvance(int bytes)
    {
        // A failed write leaves the destination in an unknown state; refuse to continue rather
        // than produce a stream with a hole or a duplicate in it.
        faulted = true;
        destination.Write(ciphertextBuffer, 0, bytes);
        faulted = false;
        Advance();
    }

    private async ValueTask WriteSegmentThenAdvanceAsync(int bytes, CancellationToken cancellationToken)
    {
        faulted = true;
        await destination.WriteAsync(ciphertextBuffer.AsMemory(0, bytes), cancellationToken).ConfigureAwait(false);
        faulted = false;
        Advance();
    }

    private void Advance()
    {
        headerWritten = true;
        segmentIndex++;
    }

    private void ThrowIfNotWritable()
    {
        ObjectDisposedException.ThrowIf(disposed, this);
        if (completed)
        {
            throw new InvalidOperationException("The encrypted object has already been completed.");
        }

        if (faulted)
        {
            throw new InvalidOperationException("A previous write to the destination failed; the encrypted object is incomplete.");
        }
    }

    private void ReturnBuffers()
    {
        // The plaintext buffer goes back to a shared pool: leave no plaintext behind in it.
        ArrayPool<byte>.Shared.Return(plaintextBuffer, clearArray: true);
        ArrayPool<byte>.Shared.Return(ciphertextBuffer);
    }
}
