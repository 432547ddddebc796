using Azure;
using Azure.Storage.Blobs;
using Azure.Storage.Blobs.Models;
using Azure.Storage.Blobs.Specialized;
using Strongroom.Protocol.Blob;

namespace Strongroom.Protocol.Tests;

/// <summary>Signatures computed by the real Azure.Storage.Blobs SDK verify on the server, and only untampered ones.</summary>
public sealed class SharedKeyTests
{
    private readonly CapturingHandler handler = new();

    public static TheoryData<string> BlobNames => new()
    {
        "plain.txt",
        "dir/sub/file.bin",
        "日本語/ファイル ü.txt",
        "a/../b",
        "100%.txt",
        "%25 already encoded",
        "a+b.txt",
        "with space.txt",
        "question?mark#hash",
        "emoji-😀.txt",
    };

    [Fact]
    public async Task PutBlobWithMetadataAndContentHeadersVerifies()
    {
        var blob = Dev.Client(handler).GetBlobContainerClient("photos").GetBlobClient("2026/cat.jpg");
        var captured = await Dev.Capture(handler, () => blob.UploadAsync(
            new BinaryData(new byte[4096]),
            new BlobUploadOptions
            {
                // "ab" and "a_c" sort differently with and without ignoring symbols.
                Metadata = new Dictionary<string, string> { ["ab"] = "1", ["a_c"] = "2", ["Zeta"] = "z", ["b1"] = "x" },
                HttpHeaders = new BlobHttpHeaders
                {
                    ContentType = "image/jpeg",
                    ContentEncoding = "gzip",
                    ContentLanguage = "zh-CN",
                    ContentDisposition = "attachment; filename=cat.jpg",
                    CacheControl = "max-age=60",
                },
                Conditions = new BlobRequestConditions { IfNoneMatch = ETag.All },
            }));

        Assert.Equal("PUT", captured.Method);
        Assert.Equal("BlockBlob", captured.Header("x-ms-blob-type"));
        await AssertVerifies(captured);
        await AssertTamperedFails(captured, "x-ms-meta-ab", "2");
        await AssertTamperedFails(captured, "x-ms-blob-content-type", "text/html");
    }

    [Fact]
    public async Task GetBlobWithRangeAndConditionVerifies()
    {
        var blob = Dev.Client(handler).GetBlobContainerClient("photos").GetBlobClient("cat.jpg");
        var captured = await Dev.Capture(handler, () => blob.DownloadStreamingAsync(new BlobDownloadOptions
        {
            Range = new HttpRange(10, 100),
            Conditions = new BlobRequestConditions { IfMatch = new ETag("\"0x8D0000000000001\"") },
        }));

        Assert.Equal("GET", captured.Method);
        Assert.Equal("bytes=10-109", captured.Header("x-ms-range"));
        await AssertVerifies(captured);
        await AssertTamperedFails(captured, "x-ms-range", "bytes=0-109");
        await AssertTamperedFails(captured, "If-Match", "\"0x8D0000000000002\"");
    }

    [Fact]
    public async Task ListBlobsWithPrefixAndMarkerVerifies()
    {
        var container = Dev.Client(handler).GetBlobContainerClient("photos");
        var captured = await Dev.Capture(handler, async () =>
        {
            await foreach (var unused in container.GetBlobsAsync(new GetBlobsOptions { Prefix = "2026/a+b c&d=", Traits = BlobTraits.Metadata }).AsPages("opaque/marker+1", 10))
            {
                break;
            }
        });

        Assert.Contains("comp=list", captured.RawTarget, StringComparison.Ordinal);
        Assert.Contains("marker=", captured.RawTarget, StringComparison.Ordinal);
        Assert.True(RequestTarget.TryParse(captured.RawTarget, out var target));
        Assert.Equal("2026/a+b c&d=", target!.GetQuery("prefix"));
        Assert.Equal("opaque/marker+1", target.GetQuery("marker"));
        await AssertVerifies(captured);
    }

    [Fact]
    public async Task ListContainersVerifies()
    {
        var captured = await Dev.Capture(handler, async () =>
        {
            await foreach (var unused in Dev.Client(handler).GetBlobContainersAsync(BlobContainerTraits.Metadata, prefix: "p"))
            {
                break;
            }
        });

        await AssertVerifies(captured);
    }

    [Theory]
    [MemberData(nameof(BlobNames))]
    public async Task PutBlockWithAnyBlobNameVerifies(string name)
    {
        var blob = Dev.Client(handler).GetBlobContainerClient("c").GetBlockBlobClient(name);
        var blockId = Convert.ToBase64String("block-000001"u8);
        var captured = await Dev.Capture(handler, () => blob.StageBlockAsync(blockId, new MemoryStream(new byte[100])));

        Assert.True(RequestTarget.TryParse(captured.RawTarget, out var target));
        Assert.Equal(blockId, target!.GetQuery("blockid"));
        Assert.Equal("c", target.Container);
        if (!name.Contains("..", StringComparison.Ordinal))
        {
            // Dot segments are removed by System.Uri on the client before sending.
            Assert.Equal(name, target.Blob);
        }

        await AssertVerifies(captured);
        await AssertTamperedFails(captured, "x-ms-date", null, rawTarget: captured.RawTarget.Replace("comp=block", "comp=blocklist", StringComparison.Ordinal));
    }

    [Fact]
    public async Task ContainerOperationsVerify()
    {
        var container = Dev.Client(handler).GetBlobContainerClient("photos");
        await AssertVerifies(await Dev.Capture(handler, () => container.CreateAsync(metadata: new Dictionary<string, string> { ["owner"] = "ops" })));
        await AssertVerifies(await Dev.Capture(handler, () => container.GetPropertiesAsync()));
        await AssertVerifies(await Dev.Capture(handler, () => container.DeleteAsync()));
        var blob = container.GetBlockBlobClient("x");
        await AssertVerifies(await Dev.Capture(handler, () => blob.CommitBlockListAsync([Convert.ToBase64String("b1"u8)])));
        await AssertVerifies(await Dev.Capture(handler, () => blob.GetBlockListAsync(BlockListTypes.All)));
        await AssertVerifies(await Dev.Capture(handler, () => blob.SetHttpHeadersAsync(new BlobHttpHeaders { ContentType = "text/plain" })));
        await AssertVerifies(await Dev.Capture(handler, () => blob.SetMetadataAsync(new Dictionary<string, string> { ["k"] = "v  with  spaces" })));
        await AssertVerifies(await Dev.Capture(handler, () => blob.DeleteAsync()));
    }

    [Fact]
    public async Task KeyOneAlsoVerifiesAndUnknownAccountFails()
    {
        var captured = await Dev.Capture(handler, () => Dev.Client(handler).GetBlobContainerClient("c").GetBlobClient("b").GetPropertiesAsync());
        var time = new FixedTime(captured.Date);
        var keyOne = new SharedKeyAuthenticator((_, _) => Task.FromResult<Strongroom.Blobs.SharedKeys?>(new(Dev.Key, new byte[64])), time, new BlobProtocolOptions());
        await Authenticate(keyOne, captured);

        var none = new SharedKeyAuthenticator((_, _) => Task.FromResult<Strongroom.Blobs.SharedKeys?>(null), time, new BlobProtocolOptions());
        var failure = await Assert.ThrowsAsync<BlobProtocolException>(() => Authenticate(none, captured));
        Assert.Equal("AuthenticationFailed", failure.Error.Code);
        Assert.Equal(403, failure.Error.Status);
    }

    [Fact]
    public async Task StaleOrFutureDateFails()
    {
        var captured = await Dev.Capture(handler, () => Dev.Client(handler).GetBlobContainerClient("c").GetBlobClient("b").GetPropertiesAsync());
        foreach (var offset in new[] { TimeSpan.FromMinutes(16), TimeSpan.FromMinutes(-16) })
        {
            var authenticator = new SharedKeyAuthenticator(Dev.Keys, new FixedTime(captured.Date + offset), new BlobProtocolOptions());
            var failure = await Assert.ThrowsAsync<BlobProtocolException>(() => Authenticate(authenticator, captured));
            Assert.Equal(403, failure.Error.Status);
            Assert.Contains("Request date header", failure.Message, StringComparison.Ordinal);
        }

        var withinSkew = new SharedKeyAuthenticator(Dev.Keys, new FixedTime(captured.Date + TimeSpan.FromMinutes(14)), new BlobProtocolOptions());
        await Authenticate(withinSkew, captured);
    }

    [Fact]
    public async Task MalformedAuthorizationIsInvalidAuthenticationInfoAndAccountMismatchFails()
    {
        var captured = await Dev.Capture(handler, () => Dev.Client(handler).GetBlobContainerClient("c").GetBlobClient("b").GetPropertiesAsync());
        var authenticator = new SharedKeyAuthenticator(Dev.Keys, new FixedTime(captured.Date), new BlobProtocolOptions());
        foreach (var malformed in new[] { "SharedKey", "SharedKey devstoreaccount1", "SharedKey devstoreaccount1:", "Basic abc", "SharedKey :sig" })
        {
            var failure = await Assert.ThrowsAsync<BlobProtocolException>(() => Authenticate(authenticator, captured, malformed));
            Assert.Equal("InvalidAuthenticationInfo", failure.Error.Code);
            Assert.Equal(400, failure.Error.Status);
        }

        var signature = captured.Header("Authorization")!.Split(':')[1];
        var mismatch = await Assert.ThrowsAsync<BlobProtocolException>(() => Authenticate(authenticator, captured, $"SharedKey otheraccount:{signature}"));
        Assert.Equal("AuthenticationFailed", mismatch.Error.Code);
    }

    [Fact]
    public void LegacyHeaderOrderIgnoresSymbols()
    {
        var names = new List<string> { "x-ms-meta-a_c", "x-ms-meta-ab", "x-ms-client-request-id", "x-ms-blob-type", "x-ms-blob-content-type", "x-ms-date", "x-ms-version" };
        names.Sort(LegacyHeaderNameComparer.Instance);
        Assert.Equal(["x-ms-blob-content-type", "x-ms-blob-type", "x-ms-client-request-id", "x-ms-date", "x-ms-meta-ab", "x-ms-meta-a_c", "x-ms-version"], names);
    }

    [Fact]
    public async Task LegacySymbolIgnoringOrderAlsoVerifies()
    {
        var captured = await Dev.Capture(handler, () => Dev.Client(handler).GetBlobContainerClient("c").GetBlobClient("b")
            .SetMetadataAsync(new Dictionary<string, string> { ["ab"] = "1", ["a_c"] = "2" }));
        var context = captured.ToHttpContext();
        Assert.True(RequestTarget.TryParse(captured.RawTarget, out var target));
        var legacy = SharedKeyAuthenticator.BuildStringToSign(context.Request.Method, context.Request.Headers, target!, LegacyHeaderNameComparer.Instance);
        var ordinal = SharedKeyAuthenticator.BuildStringToSign(context.Request.Method, context.Request.Headers, target!, StringComparer.Ordinal);
        Assert.NotEqual(legacy, ordinal);
        var signature = Convert.ToBase64String(System.Security.Cryptography.HMACSHA256.HashData(Dev.Key, System.Text.Encoding.UTF8.GetBytes(legacy)));
        var authenticator = new SharedKeyAuthenticator(Dev.Keys, new FixedTime(captured.Date), new BlobProtocolOptions());
        await Authenticate(authenticator, captured, $"SharedKey {Dev.Account}:{signature}");
    }

    [Fact]
    public async Task SdkServiceVersionIsRecorded()
    {
        // Recorded for docs/compatibility.md: Azure.Storage.Blobs 12.30.1 defaults to 2026-10-06
        // (the reference's estimate of 2026-06-06 was one release behind).
        Assert.Equal(BlobClientOptions.ServiceVersion.V2026_10_06, new BlobClientOptions().Version);
        var captured = await Dev.Capture(handler, () => Dev.Client(handler).GetBlobContainerClient("c").GetPropertiesAsync());
        Assert.Equal("2026-10-06", captured.Header("x-ms-version"));
    }

    private static async Task AssertVerifies(CapturedRequest captured)
    {
        var authenticator = new SharedKeyAuthenticator(Dev.Keys, new FixedTime(captured.Date), new BlobProtocolOptions());
        await Authenticate(authenticator, captured);
    }

    private static async Task AssertTamperedFails(CapturedRequest captured, string header, string? value, string? rawTarget = null)
    {
        var tampered = captured with
        {
            RawTarget = rawTarget ?? captured.RawTarget,
            Headers = value is null
                ? captured.Headers
                : captured.Headers.Select(h => string.Equals(h.Key, header, StringComparison.OrdinalIgnoreCase) ? new KeyValuePair<string, string>(h.Key, value) : h).ToList(),
        };
        var authenticator = new SharedKeyAuthenticator(Dev.Keys, new FixedTime(captured.Date), new BlobProtocolOptions());
        var failure = await Assert.ThrowsAsync<BlobProtocolException>(() => Authenticate(authenticator, tampered));
        Assert.Equal("AuthenticationFailed", failure.Error.Code);
        Assert.Contains(failure.Details, d => d.Key == "AuthenticationErrorDetail" && d.Value.Contains("is not the same as any computed signature", StringComparison.Ordinal));
    }

    private static Task Authenticate(SharedKeyAuthenticator authenticator, CapturedRequest captured, string? authorization = null)
    {
        var context = captured.ToHttpContext();
        Assert.True(RequestTarget.TryParse(captured.RawTarget, out var target));
        return authenticator.AuthenticateAsync(context.Request, target!, authorization ?? captured.Header("Authorization")!, CancellationToken.None);
    }
}
