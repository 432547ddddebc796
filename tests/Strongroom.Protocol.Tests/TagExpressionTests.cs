using Strongroom.Core;
using Xunit;

namespace Strongroom.Protocol.Tests;

/// <summary>Azure's blob index tag rules and tag-expression grammar (issue 8; Core's BlobTags and TagExpression).</summary>
public sealed class TagExpressionTests
{
    static readonly IReadOnlyList<KeyValuePair<string, string>> Tags = [new("n", "20"), new("project", "alpha"), new("team", "a b")];

    [Theory]
    [InlineData("\"project\" = 'alpha'", true)]
    [InlineData("\"project\"='alpha'", true)]
    [InlineData("\"project\" = 'beta'", false)]
    [InlineData("\"n\" > '100'", true)]
    [InlineData("\"n\" >= '20' AND \"n\" < '3'", true)]
    [InlineData("\"n\" <= '2'", false)]
    [InlineData("\"team\" = 'a b' and \"project\" = 'alpha'", true)]
    [InlineData("\"absent\" >= ''", false)]
    [InlineData("@container = 'c' AND \"project\" = 'alpha'", true)]
    [InlineData("project = 'alpha' AND n='20'", true)]
    [InlineData("@container = 'c' AND project_2 = 'alpha'", false)]
    public void Filters_compare_values_ordinally(string expression, bool matches)
    {
        var parsed = TagExpression.TryParse(expression, TagExpressionKind.Filter, out var error);
        Assert.True(parsed is not null, error);
        Assert.Equal(matches, parsed!.Matches(Tags));
    }

    [Theory]
    [InlineData("\"project\" <> 'beta'", true)]
    [InlineData("\"absent\" <> 'beta'", false)]
    [InlineData("\"project\" = 'beta' OR \"n\" = '20'", true)]
    [InlineData("(\"project\" = 'beta' OR \"n\" = '20') AND \"team\" = 'x'", false)]
    [InlineData("\"project\" = 'beta' OR (\"n\" = '20' AND \"team\" = 'a b')", true)]
    [InlineData("project = 'beta' OR (n = '20' AND \"team\" = 'a b')", true)]
    public void Conditions_take_or_parentheses_and_not_equal(string expression, bool matches)
    {
        var parsed = TagExpression.TryParse(expression, TagExpressionKind.Condition, out var error);
        Assert.True(parsed is not null, error);
        Assert.Equal(matches, parsed!.Matches(Tags));
        Assert.Null(TagExpression.TryParse(expression, TagExpressionKind.Filter, out _));
    }

    [Theory]
    [InlineData("")]
    [InlineData("pro-ject = 'alpha'")]
    [InlineData("2project = 'alpha'")]
    [InlineData("project alpha = 'alpha'")]
    [InlineData("\"project\" = alpha")]
    [InlineData("\"project\" = 'alpha")]
    [InlineData("\"project\" == 'alpha'")]
    [InlineData("\"project\" = 'alpha' AND")]
    [InlineData("\"project\" = 'alpha' \"n\" = '1'")]
    [InlineData("\"pro*ject\" = 'alpha'")]
    [InlineData("\"project\" = 'al!pha'")]
    [InlineData("\"\" = 'alpha'")]
    [InlineData("@container = 'c'")]
    [InlineData("@container >= 'c' AND \"a\" = 'b'")]
    [InlineData("@other = 'c' AND \"a\" = 'b'")]
    public void Malformed_filters_are_refused_with_a_reason(string expression)
    {
        Assert.Null(TagExpression.TryParse(expression, TagExpressionKind.Filter, out var error));
        Assert.False(string.IsNullOrEmpty(error));
    }

    [Fact]
    public void An_expression_names_at_most_ten_tags_and_one_container()
    {
        var ten = string.Join(" AND ", Enumerable.Range(0, 10).Select(i => $"\"k{i}\" = 'v'"));
        Assert.NotNull(TagExpression.TryParse(ten + " AND @container = 'c'", TagExpressionKind.Filter, out _));
        Assert.Null(TagExpression.TryParse(ten + " AND \"k10\" = 'v'", TagExpressionKind.Filter, out _));
        Assert.Null(TagExpression.TryParse("@container = 'c' AND @container = 'c' AND \"a\" = 'b'", TagExpressionKind.Filter, out _));
        Assert.Null(TagExpression.TryParse(new string('(', 5000), TagExpressionKind.Condition, out _));
        Assert.Null(TagExpression.TryParse(new string('(', 2000) + "\"a\" = 'b'" + new string(')', 2000), TagExpressionKind.Condition, out _));
        var nested = new string('(', 16) + "\"a\" = 'b'" + new string(')', 16);
        Assert.True(TagExpression.TryParse(nested, TagExpressionKind.Condition, out _)!.Matches([new("a", "b")]));
        Assert.Equal("c", TagExpression.TryParse("\"a\" = 'b' AND @container = 'c'", TagExpressionKind.Filter, out _)!.Container);
    }

    [Fact]
    public void Tags_follow_azures_rules_and_are_sorted_by_key()
    {
        Assert.Equal(["a", "b"], BlobTags.Validate([new("b", "1"), new("a", "")]).Select(tag => tag.Key));
        Assert.Equal(ErrorCode.InvalidTag, Assert.Throws<StorageException>(() => BlobTags.Validate([new("a", "1"), new("a", "2")])).Code);
        Assert.Equal(ErrorCode.InvalidTag, Assert.Throws<StorageException>(() => BlobTags.Validate([new("", "1")])).Code);
        Assert.Equal(ErrorCode.InvalidTag, Assert.Throws<StorageException>(() => BlobTags.Validate([new("k", "é")])).Code);
        Assert.Equal(ErrorCode.InvalidTag, Assert.Throws<StorageException>(() => BlobTags.Validate(Enumerable.Range(0, 11).Select(i => new KeyValuePair<string, string>($"k{i}", "v")).ToList())).Code);
        Assert.Equal([new("a b", "c/d"), new("e", "")], BlobTags.ParseHeader("e&a%20b=c%2Fd"));
        Assert.Equal(ErrorCode.InvalidTag, Assert.Throws<StorageException>(() => BlobTags.ParseHeader("a=%zz")).Code);
    }
}
