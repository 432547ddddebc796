using Strongroom.Core;
using static Strongroom.Crypto.Tests.Fixtures;

namespace Strongroom.Crypto.Tests;

public sealed class SegmentRoundTripTests
{
    private const int S = SmallSegment;

    public static TheoryData<int> Sizes => [0, 1, S - 1, S, S + 1, 3 * S, (3 * S) + 7];

    [Theory]
    [MemberData(nameof(Sizes))]
    public async Task Whole_object_round_trips(int size)
    {
        var plaintext = Plaintext(size);
        var ciphertext = Encrypt(plaintext, DataKey(), Binding);

        Assert.Equal(SegmentFormat.CiphertextLength(size, S), ciphertext.Length);
        Assert.Equal(plaintext, await DecryptAsync(new MemoryStream(ciphertext), size, DataKey(), Binding, 0, size));
        Assert.Equal(plaintext, await DecryptAsync(new NonSeekableStream(ciphertext), size, DataKey(), Binding, 0, size));
    }

    [Theory]
    [MemberData(nameof(Sizes))]
    public async Task Random_ranges_read_back_exactly(int size)
    {
        var plaintext = Plaintext(size);
        var ciphertext = Encrypt(plaintext, DataKey(), Binding);
        var random = new Random(1234 + size);

        for (var i = 0; i < 40; i++)
        {
            var offset = random.NextInt64(0, size + 1);
            var count = random.NextInt64(0, size - offset + 1);
            var read = await DecryptAsync(new MemoryStream(ciphertext), size, DataKey(), Binding, offset, count);
            Assert.Equal(plaintext.AsSpan((int)offset, (int)count).ToArray(), read);

            var readForward = await DecryptAsync(new NonSeekableStream(ciphertext), size, DataKey(), Binding, offset, count);
            Assert.Equal(plaintext.AsSpan((int)offset, (int)count).ToArray(), readForward);
        }
    }

    [Fact]
    public async Task Ranges_at_segment_edges_read_back_exactly()
    {
        const int size = (3 * S) + 7;
        var plaintext = Plaintext(size);
        var ciphertext = Encrypt(plaintext, DataKey(), Binding);

        (long Offset, long Count)[] ranges =
        [
            (0, 1), (S - 1, 1), (S - 1, 2), (S, S), (S - 1, S + 2), (3 * S, 7), (size - 1, 1), (size, 0), (0, size),
        ];
        foreach (var (offset, count) in ranges)
        {
            var read = await DecryptAsync(new MemoryStream(ciphertext), size, DataKey(), Binding, offset, count);
            Assert.Equal(plaintext.AsSpan((int)offset, (int)count).ToArray(), read);
        }
    }

    [Fact]
    public async Task Sync_async_and_chunked_writes_produce_identical_ciphertext()
    {
        var plaintext = Plaintext((5 * S) + 123);
        var expected = Encrypt(plaintext, DataKey(), Binding);

        using var asyncOutput = new MemoryStream();
        await using (var encrypting = new SegmentEncryptingStream(asyncOutput, DataKey(), Binding, new SeededRandomSource(42), S))
        {
            await encrypting.WriteAsync(plaintext);
            await encrypting.CompleteAsync();
            Assert.Equal(plaintext.Length, encrypting.PlaintextLength);
        }

        Assert.Equal(expected, asyncOutput.ToArray());

        var random = new Random(99);
        using var chunkedOutput = new MemoryStream();
        await using (var encrypting = new SegmentEncryptingStream(chunkedOutput, DataKey(), Binding, new SeededRandomSource(42), S))
        {
            var position = 0;
            while (position < plaintext.Length)
            {
                var chunk = Math.Min(plaintext.Length - position, random.Next(0, (2 * S) + 10));
                if (random.Next(2) == 0)
                {
                    encrypting.Write(plaintext, position, chunk);
                }
                else
                {
                    await encrypting.WriteAsync(plaintext.AsMemory(position, chunk));
                }

                position += chunk;
            }

            encrypting.WriteByte(0x5A);
            await encrypting.CompleteAsync();
        }

        var expectedWithByte = Encrypt([.. plaintext, 0x5A], DataKey(), Binding);
        Assert.Equal(expectedWithByte, chunkedOutput.ToArray());
    }

    [Fact]
    public async Task Default_segment_size_round_trips()
    {
        var size = (2 * SegmentFormat.SegmentPlaintextBytesDefault) + 17;
        var plaintext = Plaintext(size);
        var ciphertext = Encrypt(plaintext, DataKey(), Binding, SegmentFormat.SegmentPlaintextBytesDefault);

        Assert.Equal(SegmentFormat.CiphertextLength(size), ciphertext.Length);
        Assert.Equal(plaintext, await DecryptAsync(new MemoryStream(ciphertext), size, DataKey(), Binding, 0, size));
    }

    [Fact]
    public async Task A_one_byte_read_decrypts_only_the_segment_it_touches()
    {
        const int size = 10 * S;
        var plaintext = Plaintext(size);
        var ciphertext = Encrypt(plaintext, DataKey(), Binding);
        var counting = new CountingStream(new MemoryStream(ciphertext));

        var read = await DecryptAsync(counting, size, DataKey(), Binding, (5 * S) + 100, 1);

        Assert.Equal([plaintext[(5 * S) + 100]], read);
        Assert.Equal(SegmentFormat.HeaderBytes + S + SegmentFormat.TagBytes, counting.BytesRead);
    }

    [Fact]
    public async Task A_zero_byte_read_only_reads_the_header()
    {
        var ciphertext = Encrypt(Plaintext(3 * S), DataKey(), Binding);
        var counting = new CountingStream(new MemoryStream(ciphertext));

        Assert.Empty(await DecryptAsync(counting, 3 * S, DataKey(), Binding, S, 0));
        Assert.Equal(SegmentFormat.HeaderBytes, counting.BytesRead);
    }

    [Theory]
    [InlineData(6, 0)]
    [InlineData(5, 1)]
    [InlineData(0, 6)]
    [InlineData(-1, 1)]
    [InlineData(2, -1)]
    public async Task A_range_outside_the_object_is_rejected(long offset, long count)
    {
        var ciphertext = Encrypt(Plaintext(5), DataKey(), Binding);

        await Assert.ThrowsAsync<ArgumentOutOfRangeException>(
            () => DecryptAsync(new MemoryStream(ciphertext), 5, DataKey(), Binding, offset, count));
    }

    [Fact]
    public void Ciphertext_length_formula()
    {
        Assert.Equal(32 + 16, SegmentFormat.CiphertextLength(0, S));
        Assert.Equal(32 + 1 + 16, SegmentFormat.CiphertextLength(1, S));
        Assert.Equal(32 + S + 16, SegmentFormat.CiphertextLength(S, S));
        Assert.Equal(32 + S + 1 + 32, SegmentFormat.CiphertextLength(S + 1, S));
        Assert.Equal(32 + (3 * S) + 48, SegmentFormat.CiphertextLength(3 * S, S));
        Assert.Equal(32 + (3L * 65536) + 7 + 64, SegmentFormat.CiphertextLength((3 * 65536) + 7));
        Assert.Throws<ArgumentOutOfRangeException>(() => SegmentFormat.CiphertextLength(-1));
        Assert.Throws<ArgumentOutOfRangeException>(() => SegmentFormat.CiphertextLength(1, 5000));
    }

    [Theory]
    [InlineData(1000)]
    [InlineData(2048)]
    [InlineData(6000)]
    [InlineData(8 * 1024 * 1024)]
    public void Invalid_segment_sizes_are_rejected(int segmentBytes)
    {
        Assert.Throws<ArgumentOutOfRangeException>(
            () => new SegmentEncryptingStream(new MemoryStream(), DataKey(), Binding, new SeededRandomSource(1), segmentBytes));
    }

    [Fact]
    public void Keys_of_the_wrong_size_are_rejected()
    {
        Assert.Throws<ArgumentException>(() => new SegmentEncryptingStream(new MemoryStream(), new byte[16], Binding, new SeededRandomSource(1)));
        Assert.Throws<ArgumentException>(() => new SegmentEncryptingStream(new MemoryStream(), DataKey(), new byte[31], new SeededRandomSource(1)));
    }

    [Fact]
    public void Writing_after_completion_or_disposal_fails()
    {
        var encrypting = new SegmentEncryptingStream(new MemoryStream(), DataKey(), Binding, new SeededRandomSource(1), S);
        encrypting.Write([1, 2, 3]);
        encrypting.Complete();
        Assert.Throws<InvalidOperationException>(() => encrypting.Write([4]));
        Assert.Throws<InvalidOperationException>(() => encrypting.Complete());
        encrypting.Dispose();
        Assert.Throws<ObjectDisposedException>(() => encrypting.Write([4]));
    }

    [Fact]
    public async Task Disposing_without_completing_leaves_a_detectably_truncated_object()
    {
        const int size = (2 * S) + 5;
        using var output = new MemoryStream();
        using (var encrypting = new SegmentEncryptingStream(output, DataKey(), Binding, new SeededRandomSource(42), S))
        {
            encrypting.Write(Plaintext(size));
        }

        // Both full segments went out (data followed each), neither marked final.
        var ciphertext = output.ToArray();
        Assert.Equal(SegmentFormat.CiphertextLength(2 * S, S), ciphertext.Length);

        using var destination = new MemoryStream();
        var error = await Assert.ThrowsAsync<StorageException>(
            () => SegmentDecryptor.DecryptRangeAsync(new MemoryStream(ciphertext), 2 * S, DataKey(), Binding, 0, 2 * S, destination));
        Assert.Equal(ErrorCode.IntegrityCheckFailed, error.Code);
        Assert.Equal(S, destination.Length);

        using var smallOutput = new MemoryStream();
        using (var encrypting = new SegmentEncryptingStream(smallOutput, DataKey(), Binding, new SeededRandomSource(42), S))
        {
            encrypting.Write(Plaintext(10));
        }

        Assert.Equal(0, smallOutput.Length);
    }

    [Fact]
    public void Binding_digest_separates_fields_and_rejects_unpaired_surrogates()
    {
        Assert.Equal(ObjectBinding.DigestBytes, Binding.Length);
        Assert.NotEqual(ObjectBinding.Digest("ab", "c", "d", "e"), ObjectBinding.Digest("a", "bc", "d", "e"));
        Assert.NotEqual(ObjectBinding.Digest("a", "b", "c", "1"), ObjectBinding.Digest("a", "b", "c", "2"));
        Assert.ThrowsAny<ArgumentException>(() => ObjectBinding.Digest("a", "b", "\ud800", "d"));
    }
}
