using System.Net;
using System.Text;
using System.Xml.Linq;
using Azure;
using Azure.Core.Pipeline;
using Azure.Storage;
using Azure.Storage.Blobs;
using Azure.Storage.Blobs.Models;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using Strongroom.Blobs;
using Strongroom.Core;
using Strongroom.Protocol.Blob;

namespace Strongroom.Protocol.Tests;

/// <summary>
/// The <c>ACCOUNT-secondary</c> endpoint, driven by the real SDK through the handler in-process:
/// Shared Key with either account name, reads only, RA-GRS/RA-GZRS only, Get Blob Service Stats.
/// The service's side (which accounts are readable there, the last sync time) is a seam here.
/// </summary>
public sealed class SecondaryEndpointTests
{
    private static readonly Uri SecondaryUri = new("http://127.0.0.1:10000/devstoreaccount1-secondary");

    private readonly List<string> readableChecks = [];

    private GeoReplicationStats stats = new(GeoReplicationStatus.Live, new DateTimeOffset(2026, 11, 30, 7, 59, 30, TimeSpan.Zero));

    private bool readable = true;

    private BlobProtocolHandler Handler() => new(
        Dev.UnreachableService(),
        Dev.Keys,
        // The SDK stamps x-ms-date from the real clock, and the handler checks it against its own.
        TimeProvider.System,
        new SeededRandomSource(7),
        new BlobProtocolOptions { RequireHttps = false },
        null,
        secondary: new BlobProtocolHandler.SecondaryEndpoint(
            (account, _) =>
            {
                readableChecks.Add(account);
                return readable ? Task.CompletedTask : throw new StorageException(ErrorCode.SecondaryNotAvailable);
            },
            (account, _) => readable ? Task.FromResult(stats) : throw new StorageException(ErrorCode.SecondaryNotAvailable)));

    private BlobServiceClient Client(Uri uri, string credentialAccount = Dev.Account)
    {
        var options = new BlobClientOptions { Transport = new HttpClientTransport(new HttpClient(new InProcess(Handler()))) };
        options.Retry.MaxRetries = 0;
        return new BlobServiceClient(uri, new StorageSharedKeyCredential(credentialAccount, Dev.KeyBase64), options);
    }

    [Fact]
    public void The_path_names_the_account_and_the_secondary_endpoint()
    {
        Assert.True(RequestTarget.TryParse("/acme-secondary/photos/a.jpg?comp=metadata", out var target));
        Assert.Equal("acme", target!.Account);
        Assert.Equal("acme-secondary", target.PathAccount);
        Assert.Equal(ReadLocation.Secondary, target.Location);
        Assert.Equal("photos", target.Container);

        Assert.True(RequestTarget.TryParse("/acme/photos", out var primary));
        Assert.Equal(ReadLocation.Primary, primary!.Location);
        Assert.Equal("acme", primary.PathAccount);
    }

    [Fact]
    public async Task Get_blob_service_stats_on_the_secondary_reports_live_and_the_last_sync_time()
    {
        var result = await Client(SecondaryUri).GetStatisticsAsync();

        Assert.Equal(BlobGeoReplicationStatus.Live, result.Value.GeoReplication.Status);
        Assert.Equal(stats.LastSyncTime, result.Value.GeoReplication.LastSyncedOn);
    }

    [Fact]
    public async Task Get_blob_service_stats_reports_unavailable_without_a_last_sync_time()
    {
        stats = new GeoReplicationStats(GeoReplicationStatus.Unavailable, null);

        var result = await Client(SecondaryUri).GetStatisticsAsync();

        Assert.Equal(BlobGeoReplicationStatus.Unavailable, result.Value.GeoReplication.Status);
        Assert.Null(result.Value.GeoReplication.LastSyncedOn);
        var body = Encoding.UTF8.GetString(XmlResponses.ServiceStatsBody(stats));
        Assert.Equal("<?xml version=\"1.0\" encoding=\"utf-8\"?><StorageServiceStats><GeoReplication><Status>unavailable</Status></GeoReplication></StorageServiceStats>", body);
    }

    [Fact]
    public void The_stats_body_is_azures()
    {
        var body = Encoding.UTF8.GetString(XmlResponses.ServiceStatsBody(stats));
        Assert.Equal("<?xml version=\"1.0\" encoding=\"utf-8\"?><StorageServiceStats><GeoReplication><Status>live</Status><LastSyncTime>Mon, 30 Nov 2026 07:59:30 GMT</LastSyncTime></GeoReplication></StorageServiceStats>", body);
    }

    [Fact]
    public async Task Get_blob_service_stats_on_the_primary_is_refused_as_azure_refuses_it()
    {
        var failure = await Assert.ThrowsAsync<RequestFailedException>(() => Client(Dev.ServiceUri).GetStatisticsAsync());

        Assert.Equal(400, failure.Status);
        Assert.Equal("InvalidQueryParameterValue", failure.ErrorCode);
        Assert.Contains("stats", failure.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task An_account_without_read_access_geo_redundancy_has_no_secondary()
    {
        readable = false;

        var stats = await Assert.ThrowsAsync<RequestFailedException>(() => Client(SecondaryUri).GetStatisticsAsync());
        var read = await Assert.ThrowsAsync<RequestFailedException>(() => Client(SecondaryUri).GetBlobContainerClient("c").GetPropertiesAsync());

        foreach (var failure in new[] { stats, read })
        {
            Assert.Equal(403, failure.Status);
            Assert.Equal("InsufficientAccountPermissions", failure.ErrorCode);
            Assert.Contains("Read-access geo-redundant replication is not enabled", failure.Message, StringComparison.Ordinal);
        }

        Assert.Equal([Dev.Account], readableChecks);
    }

    [Theory]
    [InlineData("create-container")]
    [InlineData("upload")]
    [InlineData("delete")]
    [InlineData("set-metadata")]
    public async Task Every_write_on_the_secondary_is_refused(string write)
    {
        var client = Client(SecondaryUri);
        var blob = client.GetBlobContainerClient("c").GetBlobClient("b");
        Func<Task> call = write switch
        {
            "create-container" => () => client.GetBlobContainerClient("c").CreateAsync(),
            "upload" => () => blob.UploadAsync(BinaryData.FromString("x")),
            "delete" => () => blob.DeleteAsync(),
            _ => () => blob.SetMetadataAsync(new Dictionary<string, string> { ["a"] = "b" }),
        };

        var failure = await Assert.ThrowsAsync<RequestFailedException>(call);

        Assert.Equal(403, failure.Status);
        Assert.Equal("InsufficientAccountPermissions", failure.ErrorCode);
        Assert.Contains("Write operations to the secondary location are not allowed.", failure.Message, StringComparison.Ordinal);
        Assert.Empty(readableChecks);
    }

    [Fact]
    public async Task Shared_key_signed_with_the_secondary_account_name_is_accepted_too()
    {
        // Azurite's variant: the credential names acct-secondary, so the header and the canonical resource do.
        var result = await Client(SecondaryUri, Dev.Account + RequestTarget.SecondarySuffix).GetStatisticsAsync();

        Assert.Equal(BlobGeoReplicationStatus.Live, result.Value.GeoReplication.Status);
    }

    [Fact]
    public async Task Shared_key_naming_another_account_fails_on_the_secondary()
    {
        var failure = await Assert.ThrowsAsync<RequestFailedException>(() => Client(SecondaryUri, "otheraccount").GetStatisticsAsync());

        Assert.Equal(403, failure.Status);
        Assert.Equal("AuthenticationFailed", failure.ErrorCode);
    }

    [Fact]
    public async Task A_bad_signature_fails_before_the_secondary_rules_are_looked_at()
    {
        var options = new BlobClientOptions { Transport = new HttpClientTransport(new HttpClient(new InProcess(Handler()))) };
        options.Retry.MaxRetries = 0;
        var client = new BlobServiceClient(SecondaryUri, new StorageSharedKeyCredential(Dev.Account, Convert.ToBase64String(Enumerable.Repeat((byte)7, 64).ToArray())), options);

        var failure = await Assert.ThrowsAsync<RequestFailedException>(() => client.GetBlobContainerClient("c").CreateAsync());

        Assert.Equal("AuthenticationFailed", failure.ErrorCode);
    }

    /// <summary>Runs the handler for each request the SDK sends, as Kestrel would.</summary>
    private sealed class InProcess(BlobProtocolHandler handler) : HttpMessageHandler
    {
        protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
        {
            var context = new DefaultHttpContext();
            context.Request.Method = request.Method.Method;
            context.Request.Scheme = request.RequestUri!.Scheme;
            context.Request.Host = new HostString(request.RequestUri.Host, request.RequestUri.Port);
            context.Features.Get<IHttpRequestFeature>()!.RawTarget = request.RequestUri.PathAndQuery;
            foreach (var (name, values) in request.Headers.NonValidated)
            {
                context.Request.Headers.Append(name, values.ToString());
            }

            var body = Array.Empty<byte>();
            if (request.Content is not null)
            {
                body = await request.Content.ReadAsByteArrayAsync(cancellationToken);
                foreach (var (name, values) in request.Content.Headers.NonValidated)
                {
                    context.Request.Headers.Append(name, values.ToString());
                }
            }

            context.Request.Body = new MemoryStream(body);
            var responseBody = new MemoryStream();
            context.Response.Body = responseBody;
            await handler.HandleAsync(context);

            var response = new HttpResponseMessage((HttpStatusCode)context.Response.StatusCode)
            {
                Content = new ByteArrayContent(responseBody.ToArray()),
                RequestMessage = request,
            };
            foreach (var (name, values) in context.Response.Headers)
            {
                if (!response.Headers.TryAddWithoutValidation(name, values.ToArray()))
                {
                    response.Content.Headers.TryAddWithoutValidation(name, values.ToArray());
                }
            }

            return response;
        }
    }
}
