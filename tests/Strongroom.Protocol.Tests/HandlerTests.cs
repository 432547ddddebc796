using System.Text;
using System.Xml.Linq;
using Azure.Storage.Blobs.Specialized;
using Microsoft.AspNetCore.Http;
using Strongroom.Core;
using Strongroom.Protocol.Blob;

namespace Strongroom.Protocol.Tests;

/// <summary>
/// The handler end to end on requests that never reach the (stubbed) blob service: every
/// answer is a well-formed Azure response with the common headers.
/// </summary>
public sealed class HandlerTests
{
    private readonly CapturingHandler sdk = new();

    private static BlobProtocolHandler Handler(TimeProvider time, BlobProtocolOptions? options = null) =>
        new(Dev.UnreachableService(), Dev.Keys, time, new SeededRandomSource(42), options ?? new BlobProtocolOptions { RequireHttps = false }, null);

    private static async Task<(HttpResponse Response, XElement? Body)> Run(BlobProtocolHandler handler, DefaultHttpContext context)
    {
        await handler.HandleAsync(context);
        var stream = (MemoryStream)context.Response.Body;
        var text = Encoding.UTF8.GetString(stream.ToArray());
        return (context.Response, text.Length == 0 ? null : XDocument.Parse(text).Root);
    }

    private static void AssertCommonHeaders(HttpResponse response, string? version = null)
    {
        Assert.True(Guid.TryParse(response.Headers["x-ms-request-id"].ToString(), out _));
        Assert.Equal(version ?? "2026-06-06", response.Headers["x-ms-version"].ToString());
        Assert.False(string.IsNullOrEmpty(response.Headers.Date.ToString()));
        Assert.Equal("Strongroom", response.Headers.Server.ToString());
    }

    [Fact]
    public async Task NotImplementedOperationAnswers501AfterAuthentication()
    {
        var captured = await Dev.Capture(sdk, () => Dev.Client(sdk).GetBlobContainerClient("c").GetBlobClient("b").GetTagsAsync());
        var (response, body) = await Run(Handler(new FixedTime(captured.Date)), captured.ToHttpContext());
        Assert.Equal(501, response.StatusCode);
        Assert.Equal("NotImplemented", response.Headers["x-ms-error-code"].ToString());
        Assert.Equal("application/xml", response.ContentType);
        Assert.Equal("NotImplemented", body!.Element("Code")!.Value);
        Assert.Contains("GetBlobTags", body.Element("Message")!.Value, StringComparison.Ordinal);
        Assert.Contains("\nRequestId:" + response.Headers["x-ms-request-id"], body.Element("Message")!.Value, StringComparison.Ordinal);
        Assert.Equal(captured.Header("x-ms-client-request-id"), response.Headers["x-ms-client-request-id"].ToString());
        AssertCommonHeaders(response, "2026-10-06");
    }

    [Fact]
    public async Task SealedServerAnswers503VaultSealedBeforeLookingAtTheRequest()
    {
        var captured = await Dev.Capture(sdk, () => Dev.Client(sdk).GetBlobContainerClient("c").GetBlobClient("b").DownloadContentAsync());
        var sealedOptions = new BlobProtocolOptions { RequireHttps = false, IsSealed = () => true };

        var (response, body) = await Run(Handler(new FixedTime(captured.Date), sealedOptions), captured.ToHttpContext());
        var (anonymous, _) = await Run(Handler(TimeProvider.System, sealedOptions), new CapturedRequest("GET", "/devstoreaccount1/c/b", [], []).ToHttpContext());

        Assert.Equal(503, response.StatusCode);
        Assert.Equal("VaultSealed", response.Headers["x-ms-error-code"].ToString());
        Assert.Equal("VaultSealed", body!.Element("Code")!.Value);
        AssertCommonHeaders(response, "2026-10-06");
        Assert.Equal(503, anonymous.StatusCode);
    }

    [Fact]
    public void EveryUnimplementedOperationIsListedAsSuch()
    {
        foreach (var operation in Enum.GetValues<BlobOperation>())
        {
            Assert.Equal(BlobProtocolHandler.ImplementedOperations.Contains(operation), operation is
                BlobOperation.ListContainers or BlobOperation.CreateContainer or BlobOperation.GetContainerProperties
                or BlobOperation.GetContainerMetadata or BlobOperation.SetContainerMetadata or BlobOperation.DeleteContainer
                or BlobOperation.ListBlobs or BlobOperation.PutBlob or BlobOperation.PutBlock or BlobOperation.PutBlockList
                or BlobOperation.GetBlockList or BlobOperation.GetBlob or BlobOperation.GetBlobProperties
                or BlobOperation.GetBlobMetadata or BlobOperation.SetBlobProperties or BlobOperation.SetBlobMetadata
                or BlobOperation.DeleteBlob or BlobOperation.GetBlobServiceStats
                or BlobOperation.UndeleteBlob or BlobOperation.CopyBlob
                or BlobOperation.RestoreContainer or BlobOperation.SetBlobLegalHold
                or BlobOperation.GetBlobServiceProperties or BlobOperation.SetBlobServiceProperties
                or BlobOperation.GetContainerAcl or BlobOperation.SetContainerAcl);
        }
    }

    [Fact]
    public async Task TamperedRequestIsAuthenticationFailedAndHeadHasNoBody()
    {
        var captured = await Dev.Capture(sdk, () => Dev.Client(sdk).GetBlobContainerClient("c").GetBlobClient("b").GetPropertiesAsync());
        var tampered = captured with { RawTarget = captured.RawTarget.Replace("/b", "/other", StringComparison.Ordinal) };
        var (response, body) = await Run(Handler(new FixedTime(captured.Date)), tampered.ToHttpContext());
        Assert.Equal("HEAD", captured.Method);
        Assert.Equal(403, response.StatusCode);
        Assert.Equal("AuthenticationFailed", response.Headers["x-ms-error-code"].ToString());
        Assert.Null(body);
    }

    [Fact]
    public async Task TamperedGetCarriesAuthenticationErrorDetail()
    {
        var captured = await Dev.Capture(sdk, () => Dev.Client(sdk).GetBlobContainerClient("c").GetBlobClient("b").DownloadContentAsync());
        var tampered = captured with { RawTarget = captured.RawTarget.Replace("/b", "/other", StringComparison.Ordinal) };
        var (response, body) = await Run(Handler(new FixedTime(captured.Date)), tampered.ToHttpContext());
        Assert.Equal(403, response.StatusCode);
        Assert.StartsWith("Server failed to authenticate the request.", body!.Element("Message")!.Value, StringComparison.Ordinal);
        Assert.Contains("is not the same as any computed signature", body.Element("AuthenticationErrorDetail")!.Value, StringComparison.Ordinal);
        Assert.DoesNotContain("string to sign", body.Element("AuthenticationErrorDetail")!.Value, StringComparison.Ordinal);
    }

    [Fact]
    public async Task AnonymousRequestIsPublicAccessNotPermitted()
    {
        var context = Request("GET", "/devstoreaccount1/c/b");
        var (response, body) = await Run(Handler(TimeProvider.System), context);
        Assert.Equal(409, response.StatusCode);
        Assert.Equal("PublicAccessNotPermitted", body!.Element("Code")!.Value);
        AssertCommonHeaders(response);
    }

    [Fact]
    public async Task SasWithABadSignatureIsAuthenticationFailedWithTheStringToSign()
    {
        var context = Request("GET", "/devstoreaccount1/c/b?sv=2026-04-06&sr=b&sp=r&se=2099-01-01&sig=abc%3D");
        var (response, body) = await Run(Handler(TimeProvider.System), context);
        Assert.Equal(403, response.StatusCode);
        Assert.Equal("AuthenticationFailed", body!.Element("Code")!.Value);
        Assert.Contains("Signature did not match. String to sign used was r\n\n2099-01-01\n/blob/devstoreaccount1/c/b", body.Element("AuthenticationErrorDetail")!.Value, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("2026-6-06")]
    [InlineData("latest")]
    [InlineData("2026-06-06x")]
    public async Task MalformedVersionIsInvalidHeaderValue(string version)
    {
        var context = Request("GET", "/devstoreaccount1/c/b");
        context.Request.Headers["x-ms-version"] = version;
        var (response, body) = await Run(Handler(TimeProvider.System), context);
        Assert.Equal(400, response.StatusCode);
        Assert.Equal("InvalidHeaderValue", body!.Element("Code")!.Value);
        Assert.Equal("x-ms-version", body.Element("HeaderName")!.Value);
        AssertCommonHeaders(response);
    }

    [Fact]
    public async Task AnyWellFormedVersionIsEchoed()
    {
        var context = Request("GET", "/devstoreaccount1/c/b");
        context.Request.Headers["x-ms-version"] = "2031-01-01";
        var (response, _) = await Run(Handler(TimeProvider.System), context);
        AssertCommonHeaders(response, "2031-01-01");
    }

    [Fact]
    public async Task PlainHttpIsRefusedWhenHttpsIsRequired()
    {
        var context = Request("GET", "/devstoreaccount1/c/b");
        var (response, body) = await Run(Handler(TimeProvider.System, new BlobProtocolOptions()), context);
        Assert.Equal(400, response.StatusCode);
        Assert.Equal("AccountRequiresHttps", body!.Element("Code")!.Value);
    }

    [Fact]
    public async Task TargetWithoutAccountIsInvalidUri()
    {
        var (response, body) = await Run(Handler(TimeProvider.System), Request("GET", "/"));
        Assert.Equal(400, response.StatusCode);
        Assert.Equal("InvalidUri", body!.Element("Code")!.Value);
    }

    [Fact]
    public async Task SignedRequestProblemsAnswerBeforeTheService()
    {
        var client = Dev.Client(sdk).GetBlobContainerClient("c");

        // maxresults=0 → 400 OutOfRangeQueryParameterValue
        var list = await Dev.Capture(sdk, async () =>
        {
            await foreach (var unused in client.GetBlobsAsync().AsPages(null, 0))
            {
                break;
            }
        });
        var (response, body) = await Run(Handler(new FixedTime(list.Date)), list.ToHttpContext());
        Assert.Equal(400, response.StatusCode);
        Assert.Equal("OutOfRangeQueryParameterValue", body!.Element("Code")!.Value);

        // x-ms-blob-public-access on create → 409 PublicAccessNotPermitted
        var create = await Dev.Capture(sdk, () => client.CreateAsync(Azure.Storage.Blobs.Models.PublicAccessType.Blob));
        (response, body) = await Run(Handler(new FixedTime(create.Date)), create.ToHttpContext());
        Assert.Equal(409, response.StatusCode);
        Assert.Equal("PublicAccessNotPermitted", body!.Element("Code")!.Value);

        // A block id that is not Base64 → 400 InvalidQueryParameterValue
        var stage = await Dev.Capture(sdk, () => client.GetBlockBlobClient("b").StageBlockAsync("not*base64", new MemoryStream(new byte[4])));
        (response, body) = await Run(Handler(new FixedTime(stage.Date)), stage.ToHttpContext());
        Assert.Equal(400, response.StatusCode);
        Assert.Equal("InvalidQueryParameterValue", body!.Element("Code")!.Value);
        Assert.Equal("blockid", body.Element("QueryParameterName")!.Value);

        // Transactional MD5 for more than 4 MiB → 400 OutOfRangeInput
        var download = await Dev.Capture(sdk, () => client.GetBlobClient("b").DownloadStreamingAsync(new Azure.Storage.Blobs.Models.BlobDownloadOptions
        {
            Range = new Azure.HttpRange(0, (4 * 1024 * 1024) + 1),
            TransferValidation = new Azure.Storage.DownloadTransferValidationOptions { ChecksumAlgorithm = Azure.Storage.StorageChecksumAlgorithm.MD5 },
        }));
        (response, body) = await Run(Handler(new FixedTime(download.Date)), download.ToHttpContext());
        Assert.Equal(400, response.StatusCode);
        Assert.Equal("OutOfRangeInput", body!.Element("Code")!.Value);
    }

    [Fact]
    public void MaxResultsFollowsAzure()
    {
        Assert.Equal(Limits.ListResultsMax, BlobProtocolHandler.ParseMaxResults(null));
        Assert.Equal(1, BlobProtocolHandler.ParseMaxResults("1"));
        Assert.Equal(Limits.ListResultsMax, BlobProtocolHandler.ParseMaxResults("999999"));
        Assert.Equal("OutOfRangeQueryParameterValue", Assert.Throws<BlobProtocolException>(() => BlobProtocolHandler.ParseMaxResults("0")).Error.Code);
        Assert.Equal("OutOfRangeQueryParameterValue", Assert.Throws<BlobProtocolException>(() => BlobProtocolHandler.ParseMaxResults("-3")).Error.Code);
        Assert.Equal("InvalidQueryParameterValue", Assert.Throws<BlobProtocolException>(() => BlobProtocolHandler.ParseMaxResults("ten")).Error.Code);
    }

    private static DefaultHttpContext Request(string method, string rawTarget)
    {
        var captured = new CapturedRequest(method, rawTarget, [], []);
        return captured.ToHttpContext();
    }
}
