using Microsoft.AspNetCore.Http;
using Strongroom.Protocol.Blob;

namespace Strongroom.Protocol.Tests;

public sealed class RangeTests
{
    [Theory]
    [InlineData("bytes=0-0", 0L, 0L)]
    [InlineData("bytes=0-99", 0L, 99L)]
    [InlineData("bytes=10-", 10L, null)]
    [InlineData(" bytes=5-5 ", 5L, 5L)]
    [InlineData("BYTES=1-2", 1L, 2L)]
    [InlineData("bytes=4194304-8388607", 4194304L, 8388607L)]
    public void ParsesValidRanges(string header, long start, long? end)
    {
        Assert.True(RangeHeader.TryParse(header, out var range));
        Assert.Equal(new ByteRange(start, end), range);
    }

    [Theory]
    [InlineData("bytes=-5")]
    [InlineData("bytes=5-3")]
    [InlineData("bytes=0-1,3-4")]
    [InlineData("items=0-1")]
    [InlineData("bytes=a-b")]
    [InlineData("bytes=")]
    [InlineData("bytes=99999999999999999999-")]
    public void RejectsInvalidRanges(string header)
    {
        Assert.False(RangeHeader.TryParse(header, out _));
    }

    [Fact]
    public void RequestedLengthIsInclusive()
    {
        Assert.Equal(100, new ByteRange(0, 99).RequestedLength);
        Assert.Null(new ByteRange(7, null).RequestedLength);
    }

    [Fact]
    public void MsRangeWinsAndMalformedStandardRangeIsIgnored()
    {
        var headers = new HeaderDictionary { ["x-ms-range"] = "bytes=1-2", ["Range"] = "bytes=5-9" };
        Assert.Equal(new ByteRange(1, 2), BlobProtocolHandler.ReadRange(headers));

        Assert.Null(BlobProtocolHandler.ReadRange(new HeaderDictionary { ["Range"] = "bytes=9-5" }));
        Assert.Equal(new ByteRange(5, 9), BlobProtocolHandler.ReadRange(new HeaderDictionary { ["Range"] = "bytes=5-9" }));

        var failure = Assert.Throws<BlobProtocolException>(() => BlobProtocolHandler.ReadRange(new HeaderDictionary { ["x-ms-range"] = "bytes=9-5" }));
        Assert.Equal("InvalidHeaderValue", failure.Error.Code);
    }

}
