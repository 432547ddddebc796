using Strongroom.Core;

namespace Strongroom.Storage.Tests;

public sealed class ListingTests : StoreTestBase
{
    // Names that break LIKE patterns, path-looking names, and code points whose UTF-16 order
    // differs from their UTF-8 order (U+FF5E sorts after a surrogate pair in UTF-16, before it in UTF-8).
    private static readonly string[] TrickyNames =
    [
        "%", "_", "a%b", "a_b", "axb", "a%", "a_", "ab", "a", "a/../b", "a/./b", "a/b", "a b", "a  b", " a",
        "a\u00e9", "a\uffff", "a\U0001F600", "a\U0001F600z", "a\uff5e", "\uff5e", "\U0001F600", "日本語/ファイル",
        "日本", "b", "ab%", "ab\\", "a\\b", "a'b", "a\"b", "a[b]", "a*b", "a?b", "\u007f", "a\u007f", "a\U0010FFFF", "a\U0010FFFFb",
    ];

    private static readonly string[] Prefixes =
    [
        "", "a", "a%", "a_", "%", "_", "a/", "a/..", "a/../", "ab", "a ", " ", "日", "日本", "a\uff5e", "\uff5e", "a\U0001F600",
        "\U0001F600", "a\uffff", "a\U0010FFFF", "\\", "a\\", "'", "a\u007f", "\u007f", "zzz", "a[", "a*", "a?",
    ];

    public override async Task InitializeAsync()
    {
        await base.InitializeAsync();
        await CreateContainerAsync();
        foreach (var name in TrickyNames)
        {
            await Store.CommitBlobAsync(Blob("acct", "cont", name), [Part(0, NewObject())]);
        }

        // A blob in another container with every name's prefix must never leak into the listing.
        await Store.CreateContainerAsync(Container("acct", "cont2"));
        await Store.CommitBlobAsync(Blob("acct", "cont2", "a-other"), [Part(0, NewObject())]);
    }

    [Fact]
    public async Task Prefix_listing_matches_ordinal_starts_with_in_utf8_order()
    {
        foreach (var prefix in Prefixes)
        {
            var expected = TrickyNames
                .Where(n => n.StartsWith(prefix, StringComparison.Ordinal))
                .Order(Comparer<string>.Create(Utf8Compare))
                .ToArray();

            var actual = await Store.ListBlobsAsync(new BlobListQuery("acct", "cont", prefix, null, Limits.ListResultsMax));

            Assert.True(expected.SequenceEqual(actual.Select(b => b.Name)), $"prefix '{prefix}': expected [{string.Join(", ", expected)}] got [{string.Join(", ", actual.Select(b => b.Name))}]");
        }
    }

    [Fact]
    public async Task Utf8_order_differs_from_utf16_order_and_the_store_uses_utf8()
    {
        var names = (await Store.ListBlobsAsync(new BlobListQuery("acct", "cont", "", null, Limits.ListResultsMax))).Select(b => b.Name).ToList();

        Assert.True(names.IndexOf("\uff5e") < names.IndexOf("\U0001F600"));
        Assert.True(string.CompareOrdinal("\uff5e", "\U0001F600") > 0);
    }

    [Fact]
    public async Task Paging_with_start_at_inclusive_visits_every_name_once()
    {
        foreach (var prefix in new[] { "", "a", "a/", "日" })
        {
            var expected = TrickyNames.Where(n => n.StartsWith(prefix, StringComparison.Ordinal)).Order(Comparer<string>.Create(Utf8Compare)).ToList();
            var seen = new List<string>();
            string? start = null;
            const int PageSize = 3;
            while (true)
            {
                // One more than the page tells where the next page starts, as the service does.
                var page = await Store.ListBlobsAsync(new BlobListQuery("acct", "cont", prefix, start, PageSize + 1));
                seen.AddRange(page.Take(PageSize).Select(b => b.Name));
                if (page.Count <= PageSize)
                {
                    break;
                }

                start = page[PageSize].Name;
            }

            Assert.Equal(expected, seen);
        }
    }

    [Fact]
    public async Task Start_before_the_prefix_range_is_clamped_and_after_it_is_empty()
    {
        var fromBefore = await Store.ListBlobsAsync(new BlobListQuery("acct", "cont", "ab", "a", 100));
        Assert.Equal(["ab", "ab%", "ab\\"], fromBefore.Select(b => b.Name));

        var fromInside = await Store.ListBlobsAsync(new BlobListQuery("acct", "cont", "ab", "ab%", 100));
        Assert.Equal(["ab%", "ab\\"], fromInside.Select(b => b.Name));

        Assert.Empty(await Store.ListBlobsAsync(new BlobListQuery("acct", "cont", "ab", "b", 100)));
    }

    [Fact]
    public async Task Limit_caps_the_result()
    {
        var page = await Store.ListBlobsAsync(new BlobListQuery("acct", "cont", "a", null, 2));

        Assert.Equal(["a", "a  b"], page.Select(b => b.Name));
    }

    [Fact]
    public async Task A_prefix_with_an_unpaired_surrogate_matches_nothing()
    {
        Assert.Empty(await Store.ListBlobsAsync(new BlobListQuery("acct", "cont", "a\ud83d", null, 100)));
        Assert.Empty((await Store.ListContainersAsync("acct", "\udc00", null, 100)).Containers);
    }

    [Fact]
    public async Task Invalid_limits_are_rejected()
    {
        await Assert.ThrowsAsync<ArgumentOutOfRangeException>(() => Store.ListBlobsAsync(new BlobListQuery("acct", "cont", "", null, 0)));
        await Assert.ThrowsAsync<ArgumentOutOfRangeException>(() => Store.ListContainersAsync("acct", "", null, 0));
    }
}
