// CONTRACT STUB — the crypto helper replaces this file with the implementation (same public API).
using Strongroom.Core;

namespace Strongroom.Crypto;

public static class SegmentFormat
{
    public const int HeaderBytes = 32;
    public const int TagBytes = 16;
    public const int SegmentPlaintextBytesDefault = Limits.SegmentPlaintextBytes;

    public static long CiphertextLength(long plaintextLength, int segmentPlaintextBytes = SegmentPlaintextBytesDefault) => throw new NotImplementedException();
}

public static class ObjectBinding
{
    public const int DigestBytes = 32;

    public static byte[] Digest(string tenant, string container, string blob, string objectId) => throw new NotImplementedException();
}

public sealed class SegmentEncryptingStream : Stream
{
    public SegmentEncryptingStream(Stream destination, ReadOnlySpan<byte> dataKey, ReadOnlySpan<byte> bindingDigest, IRandomSource random, int segmentPlaintextBytes = SegmentFormat.SegmentPlaintextBytesDefault) => throw new NotImplementedException();

    public long PlaintextLength => throw new NotImplementedException();

    public ValueTask CompleteAsync(CancellationToken cancellationToken = default) => throw new NotImplementedException();

    public override bool CanRead => false;
    public override bool CanSeek => false;
    public override bool CanWrite => true;
    public override long Length => throw new NotSupportedException();
    public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }
    public override void Flush() { }
    public override int Read(byte[] buffer, int offset, int count) => throw new NotSupportedException();
    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
    public override void SetLength(long value) => throw new NotSupportedException();
    public override void Write(byte[] buffer, int offset, int count) => throw new NotImplementedException();
}

public static class SegmentDecryptor
{
    public static Task DecryptRangeAsync(Stream ciphertext, long plaintextLength, ReadOnlyMemory<byte> dataKey, ReadOnlyMemory<byte> bindingDigest, long offset, long count, Stream destination, CancellationToken cancellationToken = default) => throw new NotImplementedException();
}

public static class KeyWrap
{
    public const int OverheadBytes = 1 + 4 + 12 + 16;

    public static byte[] Wrap(ReadOnlySpan<byte> wrappingKey, uint wrappingKeyVersion, ReadOnlySpan<byte> secret, ReadOnlySpan<byte> associatedData, IRandomSource random) => throw new NotImplementedException();

    public static byte[] Unwrap(ReadOnlySpan<byte> wrappingKey, ReadOnlySpan<byte> wrapped, ReadOnlySpan<byte> associatedData) => throw new NotImplementedException();

    public static uint WrappingKeyVersion(ReadOnlySpan<byte> wrapped) => throw new NotImplementedException();
}

public sealed class Crc64Nvme
{
    public void Append(ReadOnlySpan<byte> data) => throw new NotImplementedException();

    public ulong GetCurrentValue() => throw new NotImplementedException();

    public static ulong Compute(ReadOnlySpan<byte> data) => throw new NotImplementedException();
}
