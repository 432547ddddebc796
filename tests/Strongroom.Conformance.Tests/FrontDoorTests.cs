using System.Net;
using System.Net.Sockets;
using System.Security.Cryptography;
using Azure;
using Azure.Core.Pipeline;
using Azure.Storage;
using Azure.Storage.Blobs;
using Azure.Storage.Blobs.Models;
using Azure.Storage.Sas;
using Strongroom.Conformance.Tests.Infrastructure;
using Xunit;

namespace Strongroom.Conformance.Tests;

/// <summary>
/// A server behind Debian's nginx with the configuration docs/load-balancer.md gives
/// (<see cref="NginxFront"/>) and <c>--trusted-proxy 127.0.0.1</c>: request lines reach the server as
/// the client signed them, large bodies stream both ways without nginx spooling them, and the client
/// address the data plane uses (a SAS's <c>sip</c>, the audit log) is the client's, taken from
/// X-Forwarded-For only on connections from the trusted proxy.
/// </summary>
public sealed class FrontDoorFixture : IAsyncLifetime
{
    StrongroomProcess? _server;
    NginxFront? _front;

    public bool Available { get; private set; }

    public StrongroomProcess Server => _server ?? throw new InvalidOperationException("nginx is not installed.");

    public NginxFront Front => _front ?? throw new InvalidOperationException("nginx is not installed.");

    public async Task InitializeAsync()
    {
        Available = NginxFront.Available();
        if (!Available)
        {
            return;
        }

        _server = StrongroomProcess.CreateStopped("frontdoor");
        _server.ExtraServerArguments = ["--trusted-proxy", "127.0.0.1"];
        await _server.StartAsync();
        _front = await NginxFront.StartAsync("frontdoor", [_server.DirectPort]);
    }

    public async Task DisposeAsync()
    {
        if (_front is not null)
        {
            await _front.DisposeAsync();
        }

        if (_server is not null)
        {
            await _server.DisposeAsync();
        }
    }
}

public sealed class FrontDoorTests(FrontDoorFixture fixture) : IClassFixture<FrontDoorFixture>
{
    /// <summary>A loopback address other than nginx's and the server's, so "the client" is distinguishable from "the proxy".</summary>
    static readonly IPAddress ClientAddress = IPAddress.Parse("127.0.0.5");

    const string Account = StrongroomProcess.DevAccountName;

    Uri FrontAccount => new($"http://127.0.0.1:{fixture.Front.Port}/{Account}");

    Uri DirectAccount => new($"http://127.0.0.1:{fixture.Server.DirectPort}/{Account}");

    static StorageSharedKeyCredential Credential => new(Account, StrongroomProcess.DevAccountKey);

    /// <summary>SDK options whose connections leave from <paramref name="source"/> (null: the default, 127.0.0.1).</summary>
    static BlobClientOptions From(IPAddress? source)
    {
        var options = Clients.Options();
        if (source is not null)
        {
            options.Transport = new HttpClientTransport(new SocketsHttpHandler
            {
                ConnectCallback = async (context, cancellationToken) =>
                {
                    var socket = new Socket(SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
                    try
                    {
                        socket.Bind(new IPEndPoint(source, 0));
                        await socket.ConnectAsync(context.DnsEndPoint, cancellationToken);
                        return new NetworkStream(socket, ownsSocket: true);
                    }
                    catch
                    {
                        socket.Dispose();
                        throw;
                    }
                },
            });
        }

        return options;
    }

    async Task<BlobContainerClient> NewContainerAsync(string stem)
    {
        var container = new BlobServiceClient(FrontAccount, Credential, Clients.Options()).GetBlobContainerClient(TestNames.Container(stem));
        await container.CreateAsync();
        return container;
    }

    /// <summary>
    /// Names whose percent-encoding Shared Key canonicalises: a signature only verifies when nginx
    /// forwards the request line byte for byte (proxy_pass without a URI part).
    /// </summary>
    [Theory]
    [InlineData("a%2Fb")]
    [InlineData("a/b%2Fc")]
    [InlineData("with spaces/and+plus")]
    [InlineData("ünïcödé/日本語/😀")]
    [InlineData("a/..b/c..")]
    [InlineData("double//slash")]
    [InlineData("semi;colon,comma=equals&amp'quote")]
    public async Task Encoded_names_reach_the_server_as_signed(string name)
    {
        if (!fixture.Available)
        {
            return;
        }

        var container = await NewContainerAsync("encoded");
        var blob = container.GetBlobClient(name);
        var data = System.Text.Encoding.UTF8.GetBytes("through nginx: " + name);
        await blob.UploadAsync(BinaryData.FromBytes(data));
        AzureAssert.BytesEqual(data, (await blob.DownloadContentAsync()).Value.Content.ToMemory(), $"blob '{name}' through nginx");

        // The server stored what the client named: read it back directly, past nginx.
        var direct = new BlobContainerClient(new Uri(DirectAccount + "/" + container.Name), Credential, Clients.Options());
        var listed = new List<string>();
        await foreach (var item in direct.GetBlobsAsync())
        {
            listed.Add(item.Name);
        }

        Assert.Equal([blob.Name], listed);
        AzureAssert.BytesEqual(data, (await direct.GetBlobClient(blob.Name).DownloadContentAsync()).Value.Content.ToMemory(), $"blob '{name}' directly");
    }

    /// <summary>
    /// A raw request whose path holds %2F and a dot segment the SDK would not send: nginx must not
    /// decode or normalise it. Signed once, sent once through nginx and once directly: the same answer.
    /// </summary>
    [Theory]
    [InlineData("/{0}/raw%2Fslash")]
    [InlineData("/{0}/x/%2E%2E/y")]
    [InlineData("/{0}/caf%C3%A9%20au%20lait")]
    public async Task Raw_request_lines_are_forwarded_unchanged(string pathFormat)
    {
        if (!fixture.Available)
        {
            return;
        }

        var container = await NewContainerAsync("raw");
        var path = string.Format(System.Globalization.CultureInfo.InvariantCulture, pathFormat, container.Name);
        var signer = new SharedKeySigner(Account, StrongroomProcess.DevAccountKey);
        using var http = new HttpClient();

        async Task<(HttpStatusCode Status, string Body)> PutAsync(int port, string body)
        {
            using var request = new HttpRequestMessage(HttpMethod.Put, new Uri($"http://127.0.0.1:{port}/{Account}{path}", new UriCreationOptions { DangerousDisablePathAndQueryCanonicalization = true }))
            {
                Content = new StringContent(body),
            };
            request.Content.Headers.ContentType = null;
            request.Headers.TryAddWithoutValidation("x-ms-date", DateTime.UtcNow.ToString("r", System.Globalization.CultureInfo.InvariantCulture));
            request.Headers.TryAddWithoutValidation("x-ms-version", RawClient.SdkServiceVersion);
            request.Headers.TryAddWithoutValidation("x-ms-blob-type", "BlockBlob");
            signer.Sign(request);
            using var response = await http.SendAsync(request);
            return (response.StatusCode, await response.Content.ReadAsStringAsync());
        }

        var direct = await PutAsync(fixture.Server.DirectPort, "direct");
        var proxied = await PutAsync(fixture.Front.Port, "proxied");
        Assert.True(direct.Status == proxied.Status, $"{path}: directly {direct.Status} {direct.Body}; through nginx {proxied.Status} {proxied.Body}");
        // nginx logs the request line it received, after the response: wait for it (bounded).
        Assert.True(await fixture.Front.AccessLogContainsAsync($"\"PUT /{Account}{path} HTTP/1.1\""), $"nginx's access log has no line for {path}");
    }

    [Fact]
    public async Task Large_bodies_stream_through_without_spooling()
    {
        if (!fixture.Available)
        {
            return;
        }

        var container = await NewContainerAsync("large");
        var blob = container.GetBlobClient("large.bin");
        var data = new byte[48 << 20];
        new Random(9).NextBytes(data);
        await blob.UploadAsync(new MemoryStream(data), new BlobUploadOptions { TransferOptions = new StorageTransferOptions { InitialTransferSize = data.Length, MaximumTransferSize = data.Length } });
        using var download = new MemoryStream();
        await blob.DownloadToAsync(download);
        Assert.Equal(SHA256.HashData(data), SHA256.HashData(download.ToArray()));

        // proxy_request_buffering off / proxy_buffering off: nothing went to nginx's temp files.
        foreach (var spool in new[] { "client_body", "proxy" })
        {
            var directory = Path.Combine(fixture.Front.Prefix, spool);
            Assert.True(!Directory.Exists(directory) || Directory.GetFiles(directory, "*", SearchOption.AllDirectories).Length == 0, $"nginx spooled a body into {directory}");
        }

        Assert.DoesNotContain("buffered to a temporary file", fixture.Front.Output, StringComparison.Ordinal);
    }

    async Task<BlobClient> SasBlobAsync(Uri account, IPAddress allowed, IPAddress? source)
    {
        var container = await NewContainerAsync("sip");
        var blob = container.GetBlobClient("sip.txt");
        await blob.UploadAsync(BinaryData.FromString("sip"));
        var sas = new BlobSasBuilder(BlobSasPermissions.Read, DateTimeOffset.UtcNow.AddHours(1))
        {
            BlobContainerName = container.Name,
            BlobName = blob.Name,
            IPRange = new SasIPRange(allowed),
        }.ToSasQueryParameters(Credential);
        return new BlobClient(new Uri($"{account}/{container.Name}/{blob.Name}?{sas}"), From(source));
    }

    /// <summary>Through nginx, <c>sip</c> is checked against the client's address, not nginx's.</summary>
    [Fact]
    public async Task Sas_ip_range_sees_the_client_behind_the_proxy()
    {
        if (!fixture.Available)
        {
            return;
        }

        var allowed = await SasBlobAsync(FrontAccount, ClientAddress, ClientAddress);
        Assert.Equal("sip", (await allowed.DownloadContentAsync()).Value.Content.ToString());

        // Nginx itself (127.0.0.1) is not the client.
        var proxyAddress = await SasBlobAsync(FrontAccount, IPAddress.Loopback, ClientAddress);
        var refused = await Assert.ThrowsAsync<RequestFailedException>(() => proxyAddress.DownloadContentAsync());
        Assert.Equal("AuthorizationSourceIPMismatch", refused.ErrorCode);
    }

    /// <summary>A client cannot claim another address: nginx appends what it saw, and the server believes only that last entry.</summary>
    [Fact]
    public async Task A_forwarded_address_the_client_wrote_is_not_believed()
    {
        if (!fixture.Available)
        {
            return;
        }

        var spoofed = IPAddress.Parse("203.0.113.9");
        var blob = await SasBlobAsync(FrontAccount, spoofed, ClientAddress);
        var options = From(ClientAddress);
        options.AddPolicy(new ForwardedForPolicy(spoofed), Azure.Core.HttpPipelinePosition.PerCall);
        var client = new BlobClient(blob.Uri, options);
        var refused = await Assert.ThrowsAsync<RequestFailedException>(() => client.DownloadContentAsync());
        Assert.Equal("AuthorizationSourceIPMismatch", refused.ErrorCode);
    }

    /// <summary>X-Forwarded-For from a peer that is not the trusted proxy is ignored; from the trusted proxy it is believed.</summary>
    [Fact]
    public async Task Forwarded_headers_count_only_from_the_trusted_proxy()
    {
        if (!fixture.Available)
        {
            return;
        }

        var claimed = IPAddress.Parse("203.0.113.9");

        // From 127.0.0.5 (not trusted), straight to the server: the header is ignored.
        var untrusted = await SasBlobAsync(DirectAccount, claimed, ClientAddress);
        var untrustedOptions = From(ClientAddress);
        untrustedOptions.AddPolicy(new ForwardedForPolicy(claimed), Azure.Core.HttpPipelinePosition.PerCall);
        var refused = await Assert.ThrowsAsync<RequestFailedException>(() => new BlobClient(untrusted.Uri, untrustedOptions).DownloadContentAsync());
        Assert.Equal("AuthorizationSourceIPMismatch", refused.ErrorCode);

        // From 127.0.0.1 (the trusted proxy's address): believed.
        var trusted = await SasBlobAsync(DirectAccount, claimed, source: null);
        var trustedOptions = Clients.Options();
        trustedOptions.AddPolicy(new ForwardedForPolicy(claimed), Azure.Core.HttpPipelinePosition.PerCall);
        Assert.Equal("sip", (await new BlobClient(trusted.Uri, trustedOptions).DownloadContentAsync()).Value.Content.ToString());
    }

    /// <summary>
    /// TLS terminated at the proxy: X-Forwarded-Proto from the trusted proxy tells the server the
    /// client used HTTPS (an <c>spr=https</c> SAS is accepted over the proxy's plain hop); from
    /// anyone else the header is ignored.
    /// </summary>
    [Fact]
    public async Task Forwarded_scheme_counts_only_from_the_trusted_proxy()
    {
        if (!fixture.Available)
        {
            return;
        }

        var container = await NewContainerAsync("proto");
        var blob = container.GetBlobClient("proto.txt");
        await blob.UploadAsync(BinaryData.FromString("proto"));
        var sas = new BlobSasBuilder(BlobSasPermissions.Read, DateTimeOffset.UtcNow.AddHours(1))
        {
            BlobContainerName = container.Name,
            BlobName = blob.Name,
            Protocol = SasProtocol.Https,
        }.ToSasQueryParameters(Credential);
        var uri = new Uri($"{DirectAccount}/{container.Name}/{blob.Name}?{sas}");

        BlobClient Client(IPAddress? source, string? proto)
        {
            var options = From(source);
            if (proto is not null)
            {
                options.AddPolicy(new HeaderPolicy("X-Forwarded-Proto", proto), Azure.Core.HttpPipelinePosition.PerCall);
            }

            return new BlobClient(uri, options);
        }

        var plain = await Assert.ThrowsAsync<RequestFailedException>(() => Client(source: null, proto: null).DownloadContentAsync());
        Assert.Equal("AuthorizationProtocolMismatch", plain.ErrorCode);
        Assert.Equal("proto", (await Client(source: null, proto: "https").DownloadContentAsync()).Value.Content.ToString());
        var untrusted = await Assert.ThrowsAsync<RequestFailedException>(() => Client(ClientAddress, "https").DownloadContentAsync());
        Assert.Equal("AuthorizationProtocolMismatch", untrusted.ErrorCode);
    }

    sealed class HeaderPolicy(string name, string value) : Azure.Core.Pipeline.HttpPipelineSynchronousPolicy
    {
        public override void OnSendingRequest(Azure.Core.HttpMessage message) => message.Request.Headers.SetValue(name, value);
    }

    sealed class ForwardedForPolicy(IPAddress address) : Azure.Core.Pipeline.HttpPipelineSynchronousPolicy
    {
        public override void OnSendingRequest(Azure.Core.HttpMessage message) =>
            message.Request.Headers.SetValue("X-Forwarded-For", address.ToString());
    }
}
