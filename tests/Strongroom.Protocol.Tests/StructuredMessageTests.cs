using Strongroom.Core;
using Strongroom.Protocol.Blob;
using Xunit;

namespace Strongroom.Protocol.Tests;

public sealed class StructuredMessageTests
{
    [Theory]
    [InlineData(0, 16)]
    [InlineData(1, 16)]
    [InlineData(16, 16)]
    [InlineData(17, 16)]
    [InlineData(1000, 64)]
    public async Task Encoded_content_decodes_to_itself(int length, int segmentBytes)
    {
        var content = Content(length);
        var encoded = await EncodeAsync(content, segmentBytes);
        Assert.Equal(StructuredMessage.EncodedLength(length, segmentBytes), encoded.Length);
        Assert.Equal(content, await DecodeAsync(encoded, length));
    }

    [Fact]
    public async Task The_frame_layout_matches_the_sdk_format()
    {
        var encoded = await EncodeAsync([1, 2, 3], 16);
        Assert.Equal(1, encoded[0]);
        Assert.Equal((ulong)encoded.Length, BitConverter.ToUInt64(encoded, 1));
        Assert.Equal(StructuredMessage.FlagCrc64, BitConverter.ToUInt16(encoded, 9));
        Assert.Equal(1, BitConverter.ToUInt16(encoded, 11));
        Assert.Equal(1, BitConverter.ToUInt16(encoded, 13));
        Assert.Equal(3UL, BitConverter.ToUInt64(encoded, 15));
        Assert.Equal(Crc64Nvme.Compute([1, 2, 3]), BitConverter.ToUInt64(encoded, 26));
        Assert.Equal(Crc64Nvme.Compute([1, 2, 3]), BitConverter.ToUInt64(encoded, 34));
    }

    [Fact]
    public async Task A_flipped_content_byte_is_a_crc64_mismatch()
    {
        var encoded = await EncodeAsync(Content(100), 64);
        encoded[13 + 10 + 5] ^= 1;
        var error = await Assert.ThrowsAsync<StorageException>(() => DecodeAsync(encoded, 100));
        Assert.Equal(ErrorCode.Crc64Mismatch, error.Code);
    }

    [Theory]
    [InlineData(99)]
    [InlineData(101)]
    public async Task A_declared_length_that_differs_is_malformed(int declared)
    {
        var encoded = await EncodeAsync(Content(100), 64);
        var error = await Assert.ThrowsAsync<StorageException>(() => DecodeAsync(encoded, declared));
        Assert.Equal(ErrorCode.InvalidStructuredBody, error.Code);
    }

    [Fact]
    public async Task Truncated_or_extended_bodies_are_malformed()
    {
        var encoded = await EncodeAsync(Content(100), 64);
        Assert.Equal(ErrorCode.InvalidStructuredBody, (await Assert.ThrowsAsync<StorageException>(() => DecodeAsync(encoded[..^3], 100))).Code);
        Assert.Equal(ErrorCode.InvalidStructuredBody, (await Assert.ThrowsAsync<StorageException>(() => DecodeAsync([.. encoded, 0], 100))).Code);
        var wrongVersion = encoded.ToArray();
        wrongVersion[0] = 2;
        Assert.Equal(ErrorCode.InvalidStructuredBody, (await Assert.ThrowsAsync<StorageException>(() => DecodeAsync(wrongVersion, 100))).Code);
    }

    [Theory]
    [InlineData("XSM/1.0; properties=crc64", true)]
    [InlineData("XSM/1.0;properties=crc64", true)]
    [InlineData("XSM/2.0; properties=crc64", false)]
    public void Body_type_recognition(string value, bool expected) => Assert.Equal(expected, StructuredMessage.IsCrc64(value));

    private static byte[] Content(int length) => Enumerable.Range(0, length).Select(i => (byte)(i * 7)).ToArray();

    private static async Task<byte[]> EncodeAsync(byte[] content, int segmentBytes)
    {
        using var output = new MemoryStream();
        var encoder = new StructuredMessage.EncodingStream(output, content.Length, segmentBytes);
        for (var i = 0; i < content.Length; i += 5)
        {
            await encoder.WriteAsync(content.AsMemory(i, Math.Min(5, content.Length - i)));
        }

        await encoder.CompleteAsync();
        return output.ToArray();
    }

    private static async Task<byte[]> DecodeAsync(byte[] encoded, long contentLength)
    {
        using var decoder = new StructuredMessage.DecodingStream(new MemoryStream(encoded), contentLength);
        using var output = new MemoryStream();
        await decoder.CopyToAsync(output, 7);
        return output.ToArray();
    }
}
