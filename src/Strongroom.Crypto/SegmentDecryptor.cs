using System.Buffers;
using System.Security.Cryptography;
using Strongroom.Core;

namespace Strongroom.Crypto;

/// <summary>
/// Reads plaintext ranges back out of <see cref="SegmentFormat"/> version 1, in whichever cipher
/// suite the stored header records.
/// </summary>
public static class SegmentDecryptor
{
    /// <summary>
    /// Writes plaintext bytes [offset, offset + count) of the object to
    /// <paramref name="destination"/>, decrypting only the segments that range touches.
    /// </summary>
    /// <remarks>
    /// <para>
    /// A seekable <paramref name="ciphertext"/> must hold exactly the stored object (it is read
    /// from position 0 and its length must match <paramref name="plaintextLength"/>); a
    /// non-seekable one is read from its current position and the segments before the range
    /// are skipped unread by the cipher.
    /// </para>
    /// <para>
    /// Each segment is decrypted completely and its tag verified before any of its bytes reach
    /// the destination, so unauthenticated plaintext is never released. A range ending
    /// earlier may still have been partly written when a later segment fails; callers that
    /// must not emit a partial response buffer or abort the response.
    /// </para>
    /// <para>
    /// With <paramref name="count"/> 0 only the header and the stored length are checked: the
    /// header is authenticated only as part of a segment's associated data.
    /// </para>
    /// </remarks>
    /// <exception cref="StorageException">
    /// <see cref="ErrorCode.IntegrityCheckFailed"/>: bad header, wrong length, short read, or
    /// failed authentication (tampering, a moved object, a wrong key).
    /// </exception>
    /// <exception cref="ArgumentOutOfRangeException">The range lies outside the object.</exception>
    public static async Task DecryptRangeAsync(Stream ciphertext, long plaintextLength, ReadOnlyMemory<byte> dataKey, ReadOnlyMemory<byte> bindingDigest, long offset, long count, Stream destination, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(ciphertext);
        ArgumentNullException.ThrowIfNull(destination);
        SegmentFormat.ValidateKeys(dataKey.Span, bindingDigest.Span);
        ArgumentOutOfRangeException.ThrowIfNegative(plaintextLength);
        ArgumentOutOfRangeException.ThrowIfNegative(offset);
        ArgumentOutOfRangeException.ThrowIfNegative(count);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(offset, plaintextLength);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(count, plaintextLength - offset);

        var header = new byte[SegmentFormat.HeaderBytes];
        if (ciphertext.CanSeek)
        {
            ciphertext.Position = 0;
        }

        await ReadExactlyOrFailAsync(ciphertext, header, cancellationToken).ConfigureAwait(false);
        if (!SegmentFormat.TryParseHeader(header, out var segmentPlaintextBytes, out var suite))
        {
            throw Integrity("The ciphertext header is not a segment format version 1 header of a known cipher suite.");
        }

        var ciphertextLength = SegmentFormat.CiphertextLength(plaintextLength, segmentPlaintextBytes);
        if (ciphertext.CanSeek && ciphertext.Length != ciphertextLength)
        {
            throw Integrity("The ciphertext length does not match the plaintext length.");
        }

        if (count == 0)
        {
            return;
        }

        var lastSegmentIndex = SegmentFormat.SegmentCount(plaintextLength, segmentPlaintextBytes) - 1;
        var firstIndex = offset / segmentPlaintextBytes;
        var lastIndex = (offset + count - 1) / segmentPlaintextBytes;
        var segmentStoredBytes = (long)segmentPlaintextBytes + SegmentFormat.TagBytes;
        var firstSegmentPosition = SegmentFormat.HeaderBytes + (firstIndex * segmentStoredBytes);

        var associatedData = new byte[SegmentFormat.AssociatedDataBytes];
        SegmentFormat.WriteAssociatedDataPrefix(associatedData, header, bindingDigest.Span);

        var ciphertextBuffer = ArrayPool<byte>.Shared.Rent(segmentPlaintextBytes + SegmentFormat.TagBytes);
        var plaintextBuffer = ArrayPool<byte>.Shared.Rent(segmentPlaintextBytes);
        try
        {
            using var cipher = SegmentFormat.CreateSegmentCipher(suite, dataKey.Span, header);
            if (ciphertext.CanSeek)
            {
                ciphertext.Position = firstSegmentPosition;
            }
            else
            {
                await SkipAsync(ciphertext, firstSegmentPosition - SegmentFormat.HeaderBytes, ciphertextBuffer, cancellationToken).ConfigureAwait(false);
            }

            for (var index = firstIndex; index <= lastIndex; index++)
            {
                var final = index == lastSegmentIndex;
                var segmentStart = index * (long)segmentPlaintextBytes;
                var plaintextBytes = (int)Math.Min(segmentPlaintextBytes, plaintextLength - segmentStart);
                var stored = ciphertextBuffer.AsMemory(0, plaintextBytes + SegmentFormat.TagBytes);
                await ReadExactlyOrFailAsync(ciphertext, stored, cancellationToken).ConfigureAwait(false);
                if (final && !ciphertext.CanSeek)
                {
                    await EnsureEndOfStreamAsync(ciphertext, cancellationToken).ConfigureAwait(false);
                }

                var opening = System.Diagnostics.Stopwatch.GetTimestamp();
                Open(cipher, stored.Span, plaintextBuffer.AsSpan(0, plaintextBytes), associatedData, (ulong)index, final);
                StrongroomMetrics.RecordSegment(StrongroomMetrics.SegmentDecryption, suite.Suite, opening);

                var from = (int)(Math.Max(offset, segmentStart) - segmentStart);
                var to = (int)(Math.Min(offset + count, segmentStart + plaintextBytes) - segmentStart);
                await destination.WriteAsync(plaintextBuffer.AsMemory(from, to - from), cancellationToken).ConfigureAwait(false);
            }
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(plaintextBuffer, clearArray: true);
            ArrayPool<byte>.Shared.Return(ciphertextBuffer);
        }
    }

    private static void Open(AeadCipher cipher, ReadOnlySpan<byte> stored, Span<byte> plaintext, byte[] associatedData, ulong index, bool final)
    {
        Span<byte> nonce = stackalloc byte[SegmentFormat.NonceBytes];
        SegmentFormat.WriteNonce(nonce, index, final);
        SegmentFormat.WriteAssociatedDataSuffix(associatedData, index, final);
        if (!cipher.TryOpen(nonce, stored, plaintext, associatedData))
        {
            // The cipher has zeroed the output; nothing of this segment is released.
            throw Integrity($"Segment {index} failed authentication.");
        }
    }

    private static async ValueTask ReadExactlyOrFailAsync(Stream stream, Memory<byte> buffer, CancellationToken cancellationToken)
    {
        var read = await stream.ReadAtLeastAsync(buffer, buffer.Length, throwOnEndOfStream: false, cancellationToken).ConfigureAwait(false);
        if (read != buffer.Length)
        {
            throw Integrity("The ciphertext ends early.");
        }
    }

    private static async ValueTask SkipAsync(Stream stream, long bytes, byte[] scratch, CancellationToken cancellationToken)
    {
        while (bytes > 0)
        {
            var chunk = scratch.AsMemory(0, (int)Math.Min(bytes, scratch.Length));
            await ReadExactlyOrFailAsync(stream, chunk, cancellationToken).ConfigureAwait(false);
            bytes -= chunk.Length;
        }
    }

    private static async ValueTask EnsureEndOfStreamAsync(Stream stream, CancellationToken cancellationToken)
    {
        var probe = new byte[1];
        if (await stream.ReadAsync(probe, cancellationToken).ConfigureAwait(false) != 0)
        {
            throw Integrity("The ciphertext continues after its final segment.");
        }
    }

    private static StorageException Integrity(string detail) => new(ErrorCode.IntegrityCheckFailed, detail);
}
