using System.Globalization;
using System.Text;
using Azure;
using Azure.Storage;
using Azure.Storage.Blobs;
using Azure.Storage.Blobs.Models;
using Azure.Storage.Blobs.Specialized;
using Strongroom.Conformance.Tests.Infrastructure;
using Xunit;

namespace Strongroom.Conformance.Tests;

public sealed class AuthTests(SecondAccountFixture fixture) : IClassFixture<SecondAccountFixture>, IDisposable
{
    readonly RawClient _raw = new(fixture.Server);
    readonly SharedKeySigner _devSigner = new(StrongroomProcess.DevAccountName, StrongroomProcess.DevAccountKey);

    public void Dispose() => _raw.Dispose();

    static string WrongKey => Convert.ToBase64String(Enumerable.Range(0, 64).Select(i => (byte)i).ToArray());

    async Task<BlobContainerClient> NewContainerAsync(string stem)
    {
        var container = fixture.Service.GetBlobContainerClient(TestNames.Container(stem));
        await container.CreateAsync();
        return container;
    }

    [Fact]
    public async Task Wrong_account_key_is_403_AuthenticationFailed()
    {
        var container = await NewContainerAsync("wrongkey");
        var wrong = new BlobServiceClient(fixture.Server.ServiceUri, new StorageSharedKeyCredential(StrongroomProcess.DevAccountName, WrongKey), Clients.Options());

        await AzureAssert.FailsAsync(403, "AuthenticationFailed", async () =>
        {
            await foreach (var unused in wrong.GetBlobContainersAsync())
            {
            }
        });
        await AzureAssert.FailsAsync(403, "AuthenticationFailed", () => wrong.GetBlobContainerClient(container.Name).GetBlobClient("x").UploadAsync(BinaryData.FromString("x")));

        // HEAD: the code comes from the x-ms-error-code header.
        await AzureAssert.FailsAsync(403, "AuthenticationFailed", () => wrong.GetBlobContainerClient(container.Name).GetPropertiesAsync());
        Assert.False((await container.GetBlobClient("x").ExistsAsync()).Value);
    }

    [Fact]
    public async Task Both_keys_of_an_account_authenticate()
    {
        var key1 = new BlobServiceClient(fixture.Server.ConnectionStringFor(SecondAccountFixture.SecondAccountName, fixture.SecondKey1), Clients.Options());
        var key2 = new BlobServiceClient(fixture.Server.ConnectionStringFor(SecondAccountFixture.SecondAccountName, fixture.SecondKey2), Clients.Options());

        var name = TestNames.Container("bothkeys");
        await key1.GetBlobContainerClient(name).CreateAsync();
        await key2.GetBlobContainerClient(name).GetBlobClient("written-with-key2").UploadAsync(BinaryData.FromString("key2"));
        Assert.Equal("key2", (await key1.GetBlobContainerClient(name).GetBlobClient("written-with-key2").DownloadContentAsync()).Value.Content.ToString());
    }

    [Fact]
    public async Task Anonymous_requests_are_refused()
    {
        var container = await NewContainerAsync("anonymous");
        await container.GetBlobClient("secret.txt").UploadAsync(BinaryData.FromString("SECRET-ANONYMOUS-CONTENT"));

        foreach (var (method, path) in new[]
        {
            (HttpMethod.Get, "/?comp=list"),
            (HttpMethod.Get, $"/{container.Name}?restype=container&comp=list"),
            (HttpMethod.Get, $"/{container.Name}/secret.txt"),
            (HttpMethod.Head, $"/{container.Name}/secret.txt"),
            (HttpMethod.Put, $"/{container.Name}/anonymous-write.txt"),
            (HttpMethod.Delete, $"/{container.Name}/secret.txt"),
        })
        {
            var headers = method == HttpMethod.Put ? new Dictionary<string, string> { ["x-ms-blob-type"] = "BlockBlob" } : null;
            var response = await _raw.SendAsync(method, StrongroomProcess.DevAccountName, path, signer: null, headers: headers,
                body: method == HttpMethod.Put ? Encoding.UTF8.GetBytes("anonymous") : null);
            Assert.True(response.Status is >= 400 and < 500, $"anonymous {method} {path} must be refused with a 4xx:\n{response}");
            Assert.False(string.IsNullOrEmpty(response.ErrorCode), $"anonymous {method} {path} must carry x-ms-error-code:\n{response}");
            Assert.DoesNotContain("SECRET-ANONYMOUS-CONTENT", response.BodyText, StringComparison.Ordinal);
        }

        Assert.True((await container.GetBlobClient("secret.txt").ExistsAsync()).Value);
        Assert.False((await container.GetBlobClient("anonymous-write.txt").ExistsAsync()).Value);
    }

    [Fact]
    public async Task Malformed_authorization_header_is_refused_with_an_error_code()
    {
        var response = await _raw.SendAsync(HttpMethod.Get, StrongroomProcess.DevAccountName, "/?comp=list", signer: null,
            headers: new Dictionary<string, string> { ["Authorization"] = "SharedKey not-a-valid-header" });
        Assert.True(response.Status is 400 or 403, $"malformed Authorization must be 400 or 403:\n{response}");
        Assert.False(string.IsNullOrEmpty(response.ErrorCode), response.ToString());
    }

    [Fact]
    public async Task Request_dated_more_than_15_minutes_ago_is_403_AuthenticationFailed()
    {
        var stale = DateTime.UtcNow.AddMinutes(-30).ToString("r", CultureInfo.InvariantCulture);
        var response = await _raw.SendAsync(HttpMethod.Get, StrongroomProcess.DevAccountName, "/?comp=list", _devSigner,
            headers: new Dictionary<string, string> { ["x-ms-date"] = stale });
        AzureAssert.Status(response, 403, "AuthenticationFailed");
    }

    [Fact]
    public async Task Raw_signer_is_accepted()
    {
        // Guards the hand-written signer: if this fails, the raw failure tests prove nothing.
        var response = await _raw.SendAsync(HttpMethod.Get, StrongroomProcess.DevAccountName, "/?comp=list&maxresults=1", _devSigner);
        AzureAssert.Status(response, 200);
    }

    [Theory]
    [InlineData("2021-08-06")]
    [InlineData("2025-11-05")]
    [InlineData("2099-12-31")] // a future version the server has never heard of must still be echoed
    public async Task Every_response_carries_request_id_version_date_and_echoes_client_request_id(string version)
    {
        var container = await NewContainerAsync("headers");
        await container.GetBlobClient("present").UploadAsync(BinaryData.FromString("present"));
        var wrongSigner = new SharedKeySigner(StrongroomProcess.DevAccountName, WrongKey);

        var cases = new (string Label, HttpMethod Method, string Path, SharedKeySigner Signer)[]
        {
            ("list containers (200)", HttpMethod.Get, "/?comp=list", _devSigner),
            ("get blob (200)", HttpMethod.Get, $"/{container.Name}/present", _devSigner),
            ("head blob (200)", HttpMethod.Head, $"/{container.Name}/present", _devSigner),
            ("get missing blob (404)", HttpMethod.Get, $"/{container.Name}/missing", _devSigner),
            ("head missing blob (404)", HttpMethod.Head, $"/{container.Name}/missing", _devSigner),
            ("wrong key (403)", HttpMethod.Get, "/?comp=list", wrongSigner),
        };

        var index = 0;
        foreach (var (label, method, path, signer) in cases)
        {
            var clientRequestId = $"conformance-{version}-{index++}";
            var response = await _raw.SendAsync(method, StrongroomProcess.DevAccountName, path, signer,
                headers: new Dictionary<string, string> { ["x-ms-client-request-id"] = clientRequestId }, version: version);
            Assert.False(string.IsNullOrEmpty(response.Header("x-ms-request-id")), $"{label}: no x-ms-request-id\n{response}");
            Assert.True(version == response.Header("x-ms-version"), $"{label}: x-ms-version not echoed\n{response}");
            Assert.False(string.IsNullOrEmpty(response.Header("Date")), $"{label}: no Date\n{response}");
            Assert.True(clientRequestId == response.Header("x-ms-client-request-id"), $"{label}: x-ms-client-request-id not echoed\n{response}");
            if (response.Status >= 400)
            {
                Assert.False(string.IsNullOrEmpty(response.ErrorCode), $"{label}: error without x-ms-error-code\n{response}");
            }
        }
    }

    [Fact]
    public async Task Sdk_responses_echo_the_sdk_version()
    {
        var container = await NewContainerAsync("sdkversion");
        var response = await container.GetPropertiesAsync();
        Assert.True(response.GetRawResponse().Headers.TryGetValue("x-ms-version", out var version));
        Assert.Equal(RawClient.SdkServiceVersion, version);
    }

    [Fact]
    public async Task Unimplemented_operations_answer_with_an_azure_error_and_the_server_keeps_serving()
    {
        var container = await NewContainerAsync("unimplemented");
        var blob = container.GetBlobClient("target");
        await blob.UploadAsync(BinaryData.FromString("target"));

        var operations = new (string Name, Func<Task> Call)[]
        {
            ("Snapshot Blob", () => blob.CreateSnapshotAsync()),
            ("Get Blob Tags", () => blob.GetTagsAsync()),
            ("Set Blob Tags", () => blob.SetTagsAsync(new Dictionary<string, string> { ["t"] = "v" })),
            ("Set Blob Tier", () => blob.SetAccessTierAsync(AccessTier.Cool)),
            ("Create Append Blob", () => container.GetAppendBlobClient("append").CreateAsync()),
            ("Create Page Blob", () => container.GetPageBlobClient("page").CreateAsync(512)),
            ("Get Container ACL", () => container.GetAccessPolicyAsync()),
            ("Get Service Properties", () => fixture.Service.GetPropertiesAsync()),
        };

        var report = new StringBuilder();
        foreach (var (name, call) in operations)
        {
            try
            {
                await call();
                report.AppendLine(CultureInfo.InvariantCulture, $"{name}: implemented");
            }
            catch (RequestFailedException e)
            {
                report.AppendLine(CultureInfo.InvariantCulture, $"{name}: {e.Status} {e.ErrorCode}");
                Assert.True(e.Status is >= 400 and < 600, $"{name}: status {e.Status}\n{e.Message}");
                Assert.False(string.IsNullOrEmpty(e.ErrorCode), $"{name}: no x-ms-error-code\n{e.Message}");
                Assert.False(e.Status == 500 && e.ErrorCode == "InternalError", $"{name}: a crash, not a proper 'not implemented' answer\n{e.Message}");
            }

            Assert.False(fixture.Server.Process.HasExited, $"the server exited after {name}\n{fixture.Server.Output}");
        }

        var raw = await _raw.SendAsync(HttpMethod.Put, StrongroomProcess.DevAccountName, $"/{container.Name}/target?comp=no-such-operation", _devSigner);
        Assert.True(raw.Status is >= 400 and < 600 && !string.IsNullOrEmpty(raw.ErrorCode) && raw.ErrorCode != "InternalError", $"unknown comp:\n{raw}\n{report}");

        Assert.Equal("target", (await blob.DownloadContentAsync()).Value.Content.ToString());
    }
}
