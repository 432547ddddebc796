using System.Net;
using Azure.Storage.Blobs.Specialized;
using Microsoft.AspNetCore.Http;
using Strongroom.Core;
using Strongroom.Protocol.Blob;

namespace Strongroom.Protocol.Tests;

/// <summary>
/// What the Blob handler hands the transparency log: every request runs in an operation context
/// (request id, client address), Shared Key names the key that signed (the actor), and failures
/// are passed on with Azure's error code as the outcome; a failure entry that cannot be recorded
/// turns the answer into 500.
/// </summary>
public sealed class AuditContextTests
{
    private readonly CapturingHandler sdk = new();
    private readonly List<(BlobProtocolHandler.FailureRecord Failure, OperationContext Context)> recorded = [];

    private BlobProtocolHandler Handler(TimeProvider time, Func<BlobProtocolHandler.FailureRecord, Task>? recorder = null, BlobProtocolOptions? options = null) =>
        new(
            Dev.UnreachableService(),
            Dev.Keys,
            time,
            new SeededRandomSource(42),
            options ?? new BlobProtocolOptions { RequireHttps = false },
            null,
            recorder ?? (failure =>
            {
                // Seen from inside the handler's call: the context the service would attribute to.
                recorded.Add((failure, OperationContext.Current));
                return Task.CompletedTask;
            }));

    private static async Task<HttpResponse> Run(BlobProtocolHandler handler, DefaultHttpContext context)
    {
        context.Connection.RemoteIpAddress = IPAddress.Parse("192.0.2.7");
        await handler.HandleAsync(context);
        return context.Response;
    }

    [Fact]
    public async Task An_authenticated_failure_names_the_key_that_signed_and_the_request()
    {
        // Dev.Keys holds the development key in slot 2.
        var captured = await Dev.Capture(sdk, () => Dev.Client(sdk).GetBlobContainerClient("c").GetBlockBlobClient("b").QueryAsync("SELECT * from BlobStorage"));
        var response = await Run(Handler(new FixedTime(captured.Date)), captured.ToHttpContext());

        Assert.Equal(501, response.StatusCode);
        var (failure, context) = Assert.Single(recorded);
        Assert.Equal(new BlobProtocolHandler.FailureRecord(Dev.Account, BlobOperation.QueryBlobContents, "c", "b", "NotImplemented", new Actor(ActorKind.SharedKey, "key2")), failure);
        Assert.Equal(response.Headers["x-ms-request-id"].ToString(), context.RequestId);
        Assert.Equal("192.0.2.7", context.ClientAddress);
        Assert.False(OperationContext.IsOpen, "the context closes with the request");
    }

    [Fact]
    public async Task A_bad_signature_is_recorded_as_an_anonymous_authentication_failure()
    {
        var captured = await Dev.Capture(sdk, () => Dev.Client(sdk).GetBlobContainerClient("c").GetBlobClient("b").DownloadContentAsync());
        var tampered = captured with { RawTarget = captured.RawTarget.Replace("/b", "/other", StringComparison.Ordinal) };
        var response = await Run(Handler(new FixedTime(captured.Date)), tampered.ToHttpContext());

        Assert.Equal(403, response.StatusCode);
        var (failure, _) = Assert.Single(recorded);
        Assert.Equal(new BlobProtocolHandler.FailureRecord(Dev.Account, BlobOperation.GetBlob, "c", "other", "AuthenticationFailed", Actor.Anonymous), failure);
    }

    [Fact]
    public async Task An_anonymous_request_is_recorded_as_refused()
    {
        var response = await Run(Handler(TimeProvider.System), new CapturedRequest("GET", "/devstoreaccount1/c/b", [], []).ToHttpContext());

        Assert.Equal(409, response.StatusCode);
        var (failure, _) = Assert.Single(recorded);
        Assert.Equal(new BlobProtocolHandler.FailureRecord(Dev.Account, BlobOperation.GetBlob, "c", "b", "PublicAccessNotPermitted", Actor.Anonymous), failure);
    }

    [Fact]
    public async Task Failures_before_the_request_names_an_account_or_while_sealed_are_not_recorded()
    {
        await Run(Handler(TimeProvider.System), new CapturedRequest("GET", "/", [], []).ToHttpContext());
        await Run(Handler(TimeProvider.System, options: new BlobProtocolOptions { RequireHttps = false, IsSealed = () => true }), new CapturedRequest("GET", "/devstoreaccount1/c/b", [], []).ToHttpContext());
        Assert.Empty(recorded);
    }

    [Fact]
    public async Task A_failure_that_cannot_be_recorded_answers_500()
    {
        var captured = await Dev.Capture(sdk, () => Dev.Client(sdk).GetBlobContainerClient("c").GetBlockBlobClient("b").QueryAsync("SELECT * from BlobStorage"));
        var handler = Handler(new FixedTime(captured.Date), _ => throw new StorageException(ErrorCode.AuditLogUnavailable));
        var response = await Run(handler, captured.ToHttpContext());

        Assert.Equal(500, response.StatusCode);
        Assert.Equal("InternalError", response.Headers["x-ms-error-code"].ToString());
    }
}
