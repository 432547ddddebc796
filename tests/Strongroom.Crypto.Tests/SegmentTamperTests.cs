using Strongroom.Core;
using static Strongroom.Crypto.Tests.Fixtures;

namespace Strongroom.Crypto.Tests;

/// <summary>
/// Every way a stored object can be damaged or misplaced must end in IntegrityCheckFailed,
/// with none of the affected segment's bytes released. Each case runs against a seekable and
/// a forward-only ciphertext stream, and in every cipher suite.
/// </summary>
public abstract class SegmentTamperTests
{
    private const int S = SmallSegment;
    private const int Size = (3 * S) + 7;
    private const int Stored = S + SegmentFormat.TagBytes;

    private readonly CipherSuite suite;
    private readonly byte[] OriginalPlaintext = Plaintext(Size);
    private readonly byte[] Original;

    protected SegmentTamperTests(CipherSuite suite)
    {
        this.suite = suite;
        Binding = BindingFor(suite);
        Original = Encrypt(OriginalPlaintext, DataKey(), Binding, suite: suite);
    }

    private byte[] Binding { get; }

    private static int SegmentOffset(int index) => SegmentFormat.HeaderBytes + (index * Stored);

    [Theory]
    [InlineData(0)]
    [InlineData(1)]
    [InlineData(3)]
    public async Task Flipping_a_ciphertext_byte_fails_that_segment(int segment)
    {
        var tampered = (byte[])Original.Clone();
        tampered[SegmentOffset(segment) + 10] ^= 0x01;

        await AssertFailsAsync(tampered, Size, DataKey(), Binding, bytesBeforeFailure: segment * S);
    }

    [Fact]
    public async Task Flipping_a_tag_byte_fails_that_segment()
    {
        var tampered = (byte[])Original.Clone();
        tampered[SegmentOffset(1) + S + 3] ^= 0x80;

        await AssertFailsAsync(tampered, Size, DataKey(), Binding, bytesBeforeFailure: S);
    }

    [Theory]
    [InlineData(0)] // magic
    [InlineData(4)] // version
    [InlineData(5)] // cipher suite
    [InlineData(6)] // reserved
    [InlineData(9)] // segment size
    [InlineData(12)] // salt: key derivation input
    [InlineData(31)] // salt: also authenticated as associated data
    public async Task Flipping_a_header_byte_fails_before_any_output(int headerByte)
    {
        var tampered = (byte[])Original.Clone();
        tampered[headerByte] ^= 0x01;

        await AssertFailsAsync(tampered, Size, DataKey(), Binding, bytesBeforeFailure: 0);
    }

    [Fact]
    public async Task Swapping_two_segments_fails()
    {
        var tampered = (byte[])Original.Clone();
        Original.AsSpan(SegmentOffset(0), Stored).CopyTo(tampered.AsSpan(SegmentOffset(1)));
        Original.AsSpan(SegmentOffset(1), Stored).CopyTo(tampered.AsSpan(SegmentOffset(0)));

        await AssertFailsAsync(tampered, Size, DataKey(), Binding, bytesBeforeFailure: 0);
    }

    [Fact]
    public async Task Dropping_the_last_segment_fails()
    {
        var tampered = Original[..SegmentOffset(3)];

        // Against the recorded length, the object is short.
        await AssertFailsAsync(tampered, Size, DataKey(), Binding, bytesBeforeFailure: 3 * S, seekableBytesBeforeFailure: 0);

        // Even if the recorded length were rewritten to match, segment 2 is not marked final.
        await AssertFailsAsync(tampered, 3 * S, DataKey(), Binding, bytesBeforeFailure: 2 * S);
    }

    [Fact]
    public async Task Appending_an_extra_segment_fails()
    {
        byte[] tampered = [.. Original, .. Original.AsSpan(SegmentOffset(1), Stored)];

        // The final segment authenticates, but the stream goes on after it: no byte of it is released.
        await AssertFailsAsync(tampered, Size, DataKey(), Binding, bytesBeforeFailure: 3 * S, seekableBytesBeforeFailure: 0);

        // With the recorded length rewritten, the old final segment is not where a final segment may be.
        await AssertFailsAsync(tampered, Size + S, DataKey(), Binding, bytesBeforeFailure: 3 * S);
    }

    [Fact]
    public async Task Truncating_mid_segment_fails()
    {
        var tampered = Original[..(SegmentOffset(2) + 100)];

        await AssertFailsAsync(tampered, Size, DataKey(), Binding, bytesBeforeFailure: 2 * S, seekableBytesBeforeFailure: 0);
    }

    [Fact]
    public async Task Truncating_the_header_fails()
    {
        await AssertFailsAsync(Original[..20], Size, DataKey(), Binding, bytesBeforeFailure: 0);
        await AssertFailsAsync([], 0, DataKey(), Binding, bytesBeforeFailure: 0);
    }

    [Fact]
    public async Task An_object_moved_to_another_name_fails()
    {
        var elsewhere = ObjectBinding.Digest(suite, "tenant", "container", "other-blob", "object");

        await AssertFailsAsync(Original, Size, DataKey(), elsewhere, bytesBeforeFailure: 0);
    }

    [Fact]
    public async Task An_object_moved_over_another_objects_file_fails()
    {
        // Object B has its own data key; A's stored bytes now sit where B's should be.
        var dataKeyOfB = DataKey(first: 100);

        await AssertFailsAsync(Original, Size, dataKeyOfB, Binding, bytesBeforeFailure: 0);
    }

    [Fact]
    public async Task A_range_read_fails_on_the_tampered_segment_it_touches()
    {
        var tampered = (byte[])Original.Clone();
        tampered[SegmentOffset(2) + 1] ^= 0x01;

        using var destination = new MemoryStream();
        var error = await Assert.ThrowsAsync<StorageException>(
            () => SegmentDecryptor.DecryptRangeAsync(new MemoryStream(tampered), Size, DataKey(), Binding, (2 * S) + 5, 10, destination));
        Assert.Equal(ErrorCode.IntegrityCheckFailed, error.Code);
        Assert.Equal(0, destination.Length);

        // Untouched segments still read fine: damage is local to a segment.
        Assert.Equal(
            OriginalPlaintext.AsSpan(5, 10).ToArray(),
            await DecryptAsync(new MemoryStream(tampered), Size, DataKey(), Binding, 5, 10));
    }

    [Fact]
    public async Task A_header_naming_an_unknown_suite_fails_before_any_output()
    {
        foreach (byte unknown in (byte[])[0, 3, 0x80, 0xFF])
        {
            var tampered = (byte[])Original.Clone();
            tampered[5] = unknown;
            await AssertFailsAsync(tampered, Size, DataKey(), Binding, bytesBeforeFailure: 0);
        }
    }

    [Fact]
    public async Task A_header_naming_the_other_suite_fails()
    {
        var tampered = (byte[])Original.Clone();
        tampered[5] = suite == CipherSuite.Aes256Gcm ? (byte)CipherSuite.Sm4Gcm : (byte)CipherSuite.Aes256Gcm;
        await AssertFailsAsync(tampered, Size, DataKey(), Binding, bytesBeforeFailure: 0);
    }

    [Fact]
    public async Task The_binding_of_the_other_suites_hash_fails()
    {
        var other = suite == CipherSuite.Aes256Gcm ? CipherSuite.Sm4Gcm : CipherSuite.Aes256Gcm;
        await AssertFailsAsync(Original, Size, DataKey(), BindingFor(other), bytesBeforeFailure: 0);
    }

    private async Task AssertFailsAsync(byte[] ciphertext, long plaintextLength, byte[] dataKey, byte[] binding, int bytesBeforeFailure, int? seekableBytesBeforeFailure = null)
    {
        await AssertFailsOnAsync(new MemoryStream(ciphertext), seekableBytesBeforeFailure ?? bytesBeforeFailure);
        await AssertFailsOnAsync(new NonSeekableStream(ciphertext), bytesBeforeFailure);

        async Task AssertFailsOnAsync(Stream source, int expectedBytes)
        {
            using var destination = new MemoryStream();
            var error = await Assert.ThrowsAsync<StorageException>(
                () => SegmentDecryptor.DecryptRangeAsync(source, plaintextLength, dataKey, binding, 0, plaintextLength, destination));
            Assert.Equal(ErrorCode.IntegrityCheckFailed, error.Code);

            // Only whole segments that authenticated before the damage may have been released.
            Assert.Equal(expectedBytes, destination.Length);
            Assert.Equal(OriginalPlaintext.AsSpan(0, expectedBytes).ToArray(), destination.ToArray());
        }
    }
}

public sealed class Aes256GcmSegmentTamperTests() : SegmentTamperTests(CipherSuite.Aes256Gcm);

public sealed class Sm4GcmSegmentTamperTests() : SegmentTamperTests(CipherSuite.Sm4Gcm);
