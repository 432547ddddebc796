namespace Strongroom.Storage.Tests;

public sealed class NamePrefixTests
{
    [Theory]
    [InlineData("", null)]
    [InlineData("a", "b")]
    [InlineData("a%", "a&")]
    [InlineData("az", "a{")]
    [InlineData("a\u007f", "a\u0080")]
    [InlineData("a\ud7ff", "a\ue000")]
    [InlineData("a\uffff", "a\U00010000")]
    [InlineData("a\U0001F600", "a\U0001F601")]
    [InlineData("a\U0010FFFF", "b")]
    [InlineData("a\U0010FFFF\U0010FFFF", "b")]
    [InlineData("\U0010FFFF", null)]
    public void Upper_bound_is_the_next_code_point_sequence(string prefix, string? expected)
    {
        Assert.Equal(expected, NamePrefix.UpperBound(prefix));
    }

    [Fact]
    public void Unpaired_surrogates_have_no_bound()
    {
        Assert.False(NamePrefix.IsWellFormed("a\ud800"));
        Assert.False(NamePrefix.IsWellFormed("\udc00a"));
        Assert.True(NamePrefix.IsWellFormed("a\U0001F600"));
        Assert.Throws<ArgumentException>(() => NamePrefix.UpperBound("a\ud800"));
    }
}
