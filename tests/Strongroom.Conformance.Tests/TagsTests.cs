using Azure;
using Azure.Storage.Blobs;
using Azure.Storage.Blobs.Models;
using Azure.Storage.Blobs.Specialized;
using Strongroom.Conformance.Tests.Infrastructure;
using Xunit;

namespace Strongroom.Conformance.Tests;

/// <summary>Blob index tags, Find Blobs by Tags and x-ms-if-tags (issue 8), driven by the real SDK.</summary>
public sealed class TagsTests(DataProtectionFixture fixture) : IClassFixture<DataProtectionFixture>
{
    BlobServiceClient Service => fixture.Service;

    async Task<BlobContainerClient> NewContainerAsync(BlobServiceClient? service = null)
    {
        var container = (service ?? Service).GetBlobContainerClient(TestNames.Container("tags"));
        await container.CreateAsync();
        return container;
    }

    static Dictionary<string, string> Tags(params (string Key, string Value)[] pairs) => pairs.ToDictionary(pair => pair.Key, pair => pair.Value);

    [Fact]
    public async Task Set_and_get_tags_round_trip_without_changing_the_etag_and_show_in_properties_and_listings()
    {
        var container = await NewContainerAsync();
        var blob = container.GetBlobClient("tagged");
        var uploaded = await blob.UploadAsync(BinaryData.FromString("content"));

        var tags = Tags(("project", "alpha"), ("Owner", "a b+c-d.e/f:g=h_i"), ("empty", ""));
        var set = await blob.SetTagsAsync(tags);
        Assert.Equal(204, set.Status);
        var read = await blob.GetTagsAsync();
        Assert.Equal(tags.OrderBy(tag => tag.Key, StringComparer.Ordinal), read.Value.Tags.OrderBy(tag => tag.Key, StringComparer.Ordinal));

        var properties = await blob.GetPropertiesAsync();
        Assert.Equal(uploaded.Value.ETag, properties.Value.ETag);
        Assert.Equal(3, properties.Value.TagCount);
        Assert.Equal(3, (await blob.DownloadContentAsync()).Value.Details.TagCount);

        BlobItem? listed = null;
        await foreach (var item in container.GetBlobsAsync(new GetBlobsOptions { Traits = BlobTraits.Tags }))
        {
            listed = item;
        }

        Assert.NotNull(listed);
        Assert.Equal("alpha", listed!.Tags["project"]);
        Assert.Equal(3, listed.Properties.TagCount);

        await blob.SetTagsAsync(new Dictionary<string, string>());
        Assert.Empty((await blob.GetTagsAsync()).Value.Tags);
        Assert.Equal(0, (await blob.GetPropertiesAsync()).Value.TagCount);
    }

    [Fact]
    public async Task Tags_given_on_upload_commit_and_copy_are_the_new_blobs_tags_and_an_overwrite_replaces_them()
    {
        var container = await NewContainerAsync();
        var uploaded = container.GetBlobClient("uploaded");
        await uploaded.UploadAsync(BinaryData.FromString("x"), new BlobUploadOptions { Tags = Tags(("k", "v 1"), ("z", "")) });
        Assert.Equal(Tags(("k", "v 1"), ("z", "")), (await uploaded.GetTagsAsync()).Value.Tags);

        var blocks = container.GetBlockBlobClient("blocks");
        var blockId = Convert.ToBase64String("block-1"u8.ToArray());
        await blocks.StageBlockAsync(blockId, new MemoryStream("data"u8.ToArray()));
        await blocks.CommitBlockListAsync([blockId], new CommitBlockListOptions { Tags = Tags(("from", "commit")) });
        Assert.Equal("commit", (await blocks.GetTagsAsync()).Value.Tags["from"]);

        var copy = container.GetBlobClient("copy");
        await copy.SyncCopyFromUriAsync(uploaded.Uri, new BlobCopyFromUriOptions { Tags = Tags(("from", "copy")) });
        Assert.Equal(Tags(("from", "copy")), (await copy.GetTagsAsync()).Value.Tags);
        var plainCopy = container.GetBlobClient("plain-copy");
        await plainCopy.SyncCopyFromUriAsync(uploaded.Uri);
        Assert.Empty((await plainCopy.GetTagsAsync()).Value.Tags);

        await uploaded.UploadAsync(BinaryData.FromString("y"), overwrite: true);
        Assert.Empty((await uploaded.GetTagsAsync()).Value.Tags);
    }

    [Fact]
    public async Task Tags_outside_azures_rules_are_InvalidTag_and_change_nothing()
    {
        var container = await NewContainerAsync();
        var blob = container.GetBlobClient("strict");
        await blob.UploadAsync(BinaryData.FromString("x"));
        await blob.SetTagsAsync(Tags(("keep", "me")));

        var eleven = Enumerable.Range(0, 11).ToDictionary(i => $"k{i}", i => "v");
        var bad = new Dictionary<string, string>[]
        {
            eleven,
            Tags(("bad*key", "v")),
            Tags(("k", "bad!value")),
            Tags((new string('k', 129), "v")),
            Tags(("k", new string('v', 257))),
        };
        foreach (var tags in bad)
        {
            await AzureAssert.FailsAsync(400, "InvalidTag", () => blob.SetTagsAsync(tags));
        }

        Assert.Equal(Tags(("keep", "me")), (await blob.GetTagsAsync()).Value.Tags);
        var longest = Tags((new string('k', 128), new string('v', 256)));
        await blob.SetTagsAsync(longest);
        Assert.Equal(longest, (await blob.GetTagsAsync()).Value.Tags);

        var refused = container.GetBlobClient("refused");
        await AzureAssert.FailsAsync(400, "InvalidTag", () => refused.UploadAsync(BinaryData.FromString("x"), new BlobUploadOptions { Tags = eleven }));
        await AzureAssert.FailsAsync(404, "BlobNotFound", () => refused.GetPropertiesAsync());

        await AzureAssert.FailsAsync(404, "BlobNotFound", () => container.GetBlobClient("missing").SetTagsAsync(Tags(("a", "b"))));
        await AzureAssert.FailsAsync(404, "BlobNotFound", () => container.GetBlobClient("missing").GetTagsAsync());
    }

    [Fact]
    public async Task Malformed_tag_bodies_are_InvalidXmlDocument()
    {
        var container = await NewContainerAsync();
        await container.GetBlobClient("xml").UploadAsync(BinaryData.FromString("x"));
        using var raw = new RawClient(fixture.Server);
        var signer = new SharedKeySigner(StrongroomProcess.DevAccountName, StrongroomProcess.DevAccountKey);
        foreach (var body in new[] { "<Tags><TagSet><Tag><Key>a</Key></Tag></TagSet></Tags>", "<Tags><TagSet>", "not xml", "<Other/>", "<Tags><TagSet><Tag><Key>a</Key><Value>b</Value><Key>c</Key></Tag></TagSet></Tags>" })
        {
            var response = await raw.SendAsync(HttpMethod.Put, StrongroomProcess.DevAccountName, $"/{container.Name}/xml?comp=tags", signer, System.Text.Encoding.UTF8.GetBytes(body));
            AzureAssert.Status(response, 400, "InvalidXmlDocument", body);
        }

        var wellFormed = await raw.SendAsync(HttpMethod.Put, StrongroomProcess.DevAccountName, $"/{container.Name}/xml?comp=tags", signer, "<?xml version=\"1.0\" encoding=\"utf-8\"?><Tags><TagSet><Tag><Key>a</Key><Value>b</Value></Tag></TagSet></Tags>"u8.ToArray());
        AzureAssert.Status(wellFormed, 204);
    }

    [Fact]
    public async Task Find_blobs_by_tags_searches_the_account_or_one_container_and_returns_only_the_named_tags()
    {
        var run = TestNames.Blob("run").Replace("-", "", StringComparison.Ordinal);
        var first = await NewContainerAsync();
        var second = await NewContainerAsync();
        for (var i = 0; i < 5; i++)
        {
            await first.GetBlobClient($"a{i}").UploadAsync(BinaryData.FromString("x"), new BlobUploadOptions { Tags = Tags(("run", run), ("n", i.ToString(System.Globalization.CultureInfo.InvariantCulture)), ("other", "o")) });
        }

        await second.GetBlobClient("b0").UploadAsync(BinaryData.FromString("x"), new BlobUploadOptions { Tags = Tags(("run", run), ("n", "2")) });
        await second.GetBlobClient("untagged").UploadAsync(BinaryData.FromString("x"));

        var all = await CollectAsync(Service.FindBlobsByTagsAsync($"\"run\" = '{run}'"));
        Assert.Equal(6, all.Count);
        Assert.All(all, item => Assert.Equal([new KeyValuePair<string, string>("run", run)], item.Tags));
        Assert.Equal(new[] { first.Name, first.Name, first.Name, first.Name, first.Name, second.Name }, all.Select(item => item.BlobContainerName));

        var range = await CollectAsync(Service.FindBlobsByTagsAsync($"\"run\" = '{run}' AND \"n\" >= '2' AND \"n\" < '4'"));
        Assert.Equal(["a2", "a3", "b0"], range.Select(item => item.BlobName));
        Assert.Equal("2", range[0].Tags["n"]);
        Assert.False(range[0].Tags.ContainsKey("other"));

        var scoped = await CollectAsync(Service.FindBlobsByTagsAsync($"@container = '{second.Name}' AND \"run\" = '{run}'"));
        Assert.Equal(["b0"], scoped.Select(item => item.BlobName));

        var inContainer = await CollectAsync(first.FindBlobsByTagsAsync($"\"run\" = '{run}' AND \"n\" > '3'"));
        Assert.Equal(["a4"], inContainer.Select(item => item.BlobName));

        var pages = 0;
        var paged = new List<string>();
        await foreach (var page in Service.FindBlobsByTagsAsync($"\"run\" = '{run}'").AsPages(pageSizeHint: 2))
        {
            pages++;
            paged.AddRange(page.Values.Select(item => item.BlobName));
        }

        Assert.Equal(all.Select(item => item.BlobName), paged);
        Assert.True(pages >= 3, $"{pages} pages");

        // Tags set later are found; removed ones are not.
        await first.GetBlobClient("a0").SetTagsAsync(new Dictionary<string, string>());
        Assert.Equal(5, (await CollectAsync(Service.FindBlobsByTagsAsync($"\"run\" = '{run}'"))).Count);
    }

    [Fact]
    public async Task Malformed_where_expressions_are_InvalidQueryParameterValue_and_a_missing_container_is_ContainerNotFound()
    {
        var container = await NewContainerAsync();
        foreach (var expression in new[]
        {
            "\"a\" <> 'b'", "\"a\" = 'b' OR \"c\" = 'd'", "(\"a\" = 'b')", "1a = 'b'", "a-b = 'c'", "\"a\" = b", "\"a\" = 'b' AND", "\"a\" ~ 'b'",
            "\"bad*\" = 'b'", "@container > 'x'", "\"a\" = 'b' AND @container = 'x' AND @container = 'y'",
            string.Join(" AND ", Enumerable.Range(0, 11).Select(i => $"\"k{i}\" = 'v'")),
        })
        {
            await AzureAssert.FailsAsync(400, "InvalidQueryParameterValue", () => CollectAsync(Service.FindBlobsByTagsAsync(expression)), expression);
            await AzureAssert.FailsAsync(400, "InvalidQueryParameterValue", () => CollectAsync(container.FindBlobsByTagsAsync(expression)), expression);
        }

        await AzureAssert.FailsAsync(404, "ContainerNotFound", () => CollectAsync(Service.GetBlobContainerClient("no-such-container").FindBlobsByTagsAsync("\"a\" = 'b'")));

        using var raw = new RawClient(fixture.Server);
        var signer = new SharedKeySigner(StrongroomProcess.DevAccountName, StrongroomProcess.DevAccountKey);
        AzureAssert.Status(await raw.SendAsync(HttpMethod.Get, StrongroomProcess.DevAccountName, "/?comp=blobs", signer), 400, "MissingRequiredQueryParameter");
        AzureAssert.Status(await raw.SendAsync(HttpMethod.Get, StrongroomProcess.DevAccountName, "/?comp=blobs&where=%22a%22%3D%27b%27&marker=garbage", signer), 400, "InvalidQueryParameterValue");
    }

    [Fact]
    public async Task If_tags_guards_reads_and_writes_with_ConditionNotMet()
    {
        var container = await NewContainerAsync();
        var blob = container.GetBlobClient("guarded");
        await blob.UploadAsync(BinaryData.FromString("content"), new BlobUploadOptions { Tags = Tags(("status", "ready"), ("tier", "2")) });
        var holds = new BlobRequestConditions { TagConditions = "\"status\" = 'ready' AND (\"tier\" > '1' OR \"tier\" = 'x')" };
        var fails = new BlobRequestConditions { TagConditions = "\"status\" <> 'ready'" };
        var missingKey = new BlobRequestConditions { TagConditions = "\"nope\" = 'ready'" };

        await blob.DownloadContentAsync(new BlobDownloadOptions { Conditions = holds });
        await blob.GetPropertiesAsync(holds);
        await blob.GetTagsAsync(holds);
        await blob.SetMetadataAsync(new Dictionary<string, string> { ["m"] = "1" }, holds);
        await blob.SetHttpHeadersAsync(new BlobHttpHeaders { ContentType = "text/plain" }, holds);
        await blob.CreateSnapshotAsync(conditions: holds);
        await container.GetBlockBlobClient("guarded").GetBlockListAsync(conditions: holds);

        foreach (var condition in new[] { fails, missingKey })
        {
            await AzureAssert.FailsAsync(412, "ConditionNotMet", () => blob.DownloadContentAsync(new BlobDownloadOptions { Conditions = condition }));
            await AzureAssert.FailsAsync(412, "ConditionNotMet", () => blob.GetPropertiesAsync(condition));
            await AzureAssert.FailsAsync(412, "ConditionNotMet", () => blob.GetTagsAsync(condition));
            await AzureAssert.FailsAsync(412, "ConditionNotMet", () => container.GetBlockBlobClient("guarded").GetBlockListAsync(conditions: condition));
            await AzureAssert.FailsAsync(412, "ConditionNotMet", () => blob.SetTagsAsync(Tags(("status", "changed")), condition));
            await AzureAssert.FailsAsync(412, "ConditionNotMet", () => blob.SetMetadataAsync(new Dictionary<string, string> { ["m"] = "2" }, condition));
            await AzureAssert.FailsAsync(412, "ConditionNotMet", () => blob.SetHttpHeadersAsync(new BlobHttpHeaders(), condition));
            await AzureAssert.FailsAsync(412, "ConditionNotMet", () => blob.CreateSnapshotAsync(conditions: condition));
            await AzureAssert.FailsAsync(412, "ConditionNotMet", () => blob.UploadAsync(BinaryData.FromString("over"), new BlobUploadOptions { Conditions = condition }));
            await AzureAssert.FailsAsync(412, "ConditionNotMet", () => blob.DeleteAsync(conditions: condition));
        }

        Assert.Equal("content", (await blob.DownloadContentAsync()).Value.Content.ToString());
        Assert.Equal("ready", (await blob.GetTagsAsync()).Value.Tags["status"]);
        Assert.Equal("1", (await blob.GetPropertiesAsync()).Value.Metadata["m"]);

        await blob.SetTagsAsync(Tags(("status", "done")), holds);
        await blob.DeleteAsync(DeleteSnapshotsOption.IncludeSnapshots, new BlobRequestConditions { TagConditions = "\"status\" = 'done'" });
        await AzureAssert.FailsAsync(404, "BlobNotFound", () => blob.GetPropertiesAsync());

        // A new blob has no tags, so a tag condition on its creation fails.
        await AzureAssert.FailsAsync(412, "ConditionNotMet", () => container.GetBlobClient("new").UploadAsync(BinaryData.FromString("x"), new BlobUploadOptions { Conditions = holds }));

        using var raw = new RawClient(fixture.Server);
        var signer = new SharedKeySigner(StrongroomProcess.DevAccountName, StrongroomProcess.DevAccountKey);
        await container.GetBlobClient("raw").UploadAsync(BinaryData.FromString("x"));
        foreach (var bad in new[] { "1status = 'ready'", "\"a\" = 'b' AND", "@container = 'x'", "(\"a\" = 'b'" })
        {
            var response = await raw.SendAsync(HttpMethod.Get, StrongroomProcess.DevAccountName, $"/{container.Name}/raw", signer, headers: new Dictionary<string, string> { ["x-ms-if-tags"] = bad });
            AzureAssert.Status(response, 400, "InvalidHeaderValue", bad);
        }
    }

    [Fact]
    public async Task Versions_and_snapshots_keep_the_tags_they_had_and_a_versions_tags_can_be_set()
    {
        var container = await NewContainerAsync(fixture.ServiceFor(DataProtectionFixture.Versioned));
        var blob = container.GetBlobClient("versioned");
        var first = await blob.UploadAsync(BinaryData.FromString("one"), new BlobUploadOptions { Tags = Tags(("gen", "1")) });
        var snapshot = await blob.CreateSnapshotAsync();
        await blob.UploadAsync(BinaryData.FromString("two"), new BlobUploadOptions { Tags = Tags(("gen", "2")) });

        Assert.Equal("2", (await blob.GetTagsAsync()).Value.Tags["gen"]);
        var oldVersion = blob.WithVersion(first.Value.VersionId);
        Assert.Equal("1", (await oldVersion.GetTagsAsync()).Value.Tags["gen"]);
        Assert.Equal("1", (await blob.WithSnapshot(snapshot.Value.Snapshot).GetTagsAsync()).Value.Tags["gen"]);

        await oldVersion.SetTagsAsync(Tags(("gen", "1b")));
        Assert.Equal("1b", (await oldVersion.GetTagsAsync()).Value.Tags["gen"]);
        Assert.Equal("2", (await blob.GetTagsAsync()).Value.Tags["gen"]);
        await AzureAssert.FailsAsync(404, null, () => blob.WithVersion("2001-01-01T00:00:00.0000000Z").SetTagsAsync(Tags(("a", "b"))));

        // Only current blobs are found.
        var gen = await CollectAsync(container.FindBlobsByTagsAsync("\"gen\" >= '1'"));
        Assert.Equal(["2"], gen.Select(item => item.Tags["gen"]));
    }

    static async Task<List<TaggedBlobItem>> CollectAsync(AsyncPageable<TaggedBlobItem> pageable)
    {
        var items = new List<TaggedBlobItem>();
        await foreach (var item in pageable)
        {
            items.Add(item);
        }

        return items;
    }
}
