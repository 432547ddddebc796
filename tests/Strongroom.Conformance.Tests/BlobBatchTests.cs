using System.Text;
using Azure.Storage.Blobs;
using Azure.Storage.Blobs.Models;
using Strongroom.Conformance.Tests.Infrastructure;
using Xunit;

namespace Strongroom.Conformance.Tests;

/// <summary>
/// Blob Batch (issue 8). Azure.Storage.Blobs.Batch (BlobBatchClient) is not in the package registry
/// this project builds from, so the batch body is built here exactly as Azure's REST reference
/// shows it (multipart/mixed, one Shared-Key-signed sub-request per part, no x-ms-version in the
/// sub-requests) and sent with the raw client; the blobs are set up and checked with the SDK.
/// </summary>
public sealed class BlobBatchTests(ServerFixture fixture) : IClassFixture<ServerFixture>
{
    const string Account = StrongroomProcess.DevAccountName;

    BlobServiceClient Service => fixture.Service;

    SharedKeySigner Signer { get; } = new(Account, StrongroomProcess.DevAccountKey);

    async Task<BlobContainerClient> NewContainerWithBlobsAsync(params string[] names)
    {
        var container = Service.GetBlobContainerClient(TestNames.Container("batch"));
        await container.CreateAsync();
        foreach (var name in names)
        {
            await container.GetBlobClient(name).UploadAsync(BinaryData.FromString(name));
        }

        return container;
    }

    /// <summary>One sub-request, signed with <see cref="Signer"/> (or <paramref name="signer"/>) as its own request.</summary>
    string SubRequest(int contentId, HttpMethod method, string pathAndQuery, IReadOnlyDictionary<string, string>? headers = null, SharedKeySigner? signer = null)
    {
        using var message = new HttpRequestMessage(method, new Uri($"http://127.0.0.1:{fixture.Server.Port}/{Account}{pathAndQuery}"));
        message.Headers.TryAddWithoutValidation("x-ms-date", DateTime.UtcNow.ToString("r", System.Globalization.CultureInfo.InvariantCulture));
        foreach (var (name, value) in headers ?? new Dictionary<string, string>())
        {
            message.Headers.TryAddWithoutValidation(name, value);
        }

        (signer ?? Signer).Sign(message);
        var text = new StringBuilder();
        text.Append("Content-Type: application/http\r\nContent-Transfer-Encoding: binary\r\n");
        text.Append("Content-ID: ").Append(contentId).Append("\r\n\r\n");
        text.Append(method.Method).Append(' ').Append('/').Append(Account).Append(pathAndQuery).Append(" HTTP/1.1\r\n");
        foreach (var header in message.Headers)
        {
            text.Append(header.Key).Append(": ").Append(string.Join(",", header.Value)).Append("\r\n");
        }

        text.Append("Content-Length: 0\r\n\r\n");
        return text.ToString();
    }

    static byte[] Body(string boundary, IEnumerable<string> parts)
    {
        var text = new StringBuilder();
        foreach (var part in parts)
        {
            text.Append("--").Append(boundary).Append("\r\n").Append(part);
        }

        text.Append("--").Append(boundary).Append("--\r\n");
        return Encoding.UTF8.GetBytes(text.ToString());
    }

    async Task<RawResponse> SubmitAsync(string pathAndQuery, string boundary, byte[] body, string? contentType = null)
    {
        using var raw = new RawClient(fixture.Server);
        return await raw.SendAsync(HttpMethod.Post, Account, pathAndQuery, Signer, body, new Dictionary<string, string>
        {
            ["Content-Type"] = contentType ?? $"multipart/mixed; boundary={boundary}",
        });
    }

    sealed record SubResponse(string? ContentId, int Status, string? ErrorCode);

    static IReadOnlyList<SubResponse> Parse(RawResponse response)
    {
        AzureAssert.Status(response, 202);
        var contentType = response.Header("Content-Type")!;
        Assert.StartsWith("multipart/mixed; boundary=batchresponse_", contentType, StringComparison.Ordinal);
        var boundary = "--" + contentType[(contentType.IndexOf("boundary=", StringComparison.Ordinal) + 9)..];
        var text = response.BodyText;
        Assert.EndsWith(boundary + "--\r\n", text, StringComparison.Ordinal);
        var results = new List<SubResponse>();
        foreach (var part in text[..text.LastIndexOf(boundary + "--", StringComparison.Ordinal)].Split(boundary + "\r\n", StringSplitOptions.RemoveEmptyEntries))
        {
            var lines = part.Split("\r\n");
            Assert.Equal("Content-Type: application/http", lines[0]);
            var contentId = lines.FirstOrDefault(line => line.StartsWith("Content-ID: ", StringComparison.Ordinal))?[12..];
            var statusLine = lines.First(line => line.StartsWith("HTTP/1.1 ", StringComparison.Ordinal));
            var status = int.Parse(statusLine.AsSpan(9, 3), System.Globalization.CultureInfo.InvariantCulture);
            var errorCode = lines.FirstOrDefault(line => line.StartsWith("x-ms-error-code: ", StringComparison.OrdinalIgnoreCase))?[17..];
            results.Add(new SubResponse(contentId, status, errorCode));
        }

        return results;
    }

    [Fact]
    public async Task A_delete_batch_runs_every_sub_request_and_answers_each_in_order()
    {
        var container = await NewContainerWithBlobsAsync("a", "b", "c");
        var boundary = "batch_" + Guid.NewGuid();
        var body = Body(boundary,
        [
            SubRequest(0, HttpMethod.Delete, $"/{container.Name}/a"),
            SubRequest(1, HttpMethod.Delete, $"/{container.Name}/missing"),
            SubRequest(2, HttpMethod.Delete, $"/{container.Name}/c"),
        ]);
        var responses = Parse(await SubmitAsync("/?comp=batch", boundary, body));

        Assert.Equal(
            [new SubResponse("0", 202, null), new SubResponse("1", 404, "BlobNotFound"), new SubResponse("2", 202, null)],
            responses);
        var left = await container.GetBlobsAsync().Select(item => item.Name).ToListAsync();
        Assert.Equal(["b"], left);
    }

    [Fact]
    public async Task A_container_scoped_set_tier_batch_sets_each_tier()
    {
        var container = await NewContainerWithBlobsAsync("x", "y");
        var boundary = "batch_" + Guid.NewGuid();
        var body = Body(boundary,
        [
            SubRequest(0, HttpMethod.Put, $"/{container.Name}/x?comp=tier", new Dictionary<string, string> { ["x-ms-access-tier"] = "Cool" }),
            SubRequest(1, HttpMethod.Put, $"/{container.Name}/y?comp=tier", new Dictionary<string, string> { ["x-ms-access-tier"] = "Archive" }),
            SubRequest(2, HttpMethod.Put, $"/{container.Name}/x?comp=tier", new Dictionary<string, string> { ["x-ms-access-tier"] = "Freezing" }),
        ]);
        var responses = Parse(await SubmitAsync($"/{container.Name}?restype=container&comp=batch", boundary, body));

        Assert.Equal(
            [new SubResponse("0", 200, null), new SubResponse("1", 200, null), new SubResponse("2", 400, "InvalidHeaderValue")],
            responses);
        Assert.Equal(AccessTier.Cool, (await container.GetBlobClient("x").GetPropertiesAsync()).Value.AccessTier);
        Assert.Equal(AccessTier.Archive, (await container.GetBlobClient("y").GetPropertiesAsync()).Value.AccessTier);
    }

    [Fact]
    public async Task Each_sub_request_is_authenticated_on_its_own()
    {
        var container = await NewContainerWithBlobsAsync("kept", "gone");
        var boundary = "batch_" + Guid.NewGuid();
        var wrongKey = new SharedKeySigner(Account, Convert.ToBase64String(new byte[64]));
        var unsigned = SubRequest(0, HttpMethod.Delete, $"/{container.Name}/kept", signer: wrongKey);
        var body = Body(boundary,
        [
            unsigned,
            SubRequest(1, HttpMethod.Delete, $"/{container.Name}/gone"),
            SubRequest(2, HttpMethod.Delete, $"/{container.Name}/kept").Replace("Authorization: ", "X-Removed: ", StringComparison.Ordinal),
        ]);
        var responses = Parse(await SubmitAsync("/?comp=batch", boundary, body));

        Assert.Equal(
            [new SubResponse("0", 403, "AuthenticationFailed"), new SubResponse("1", 202, null), new SubResponse("2", 409, "PublicAccessNotPermitted")],
            responses);
        Assert.Equal(["kept"], await container.GetBlobsAsync().Select(item => item.Name).ToListAsync());
    }

    [Fact]
    public async Task A_batch_refused_as_a_whole_runs_nothing_and_answers_one_400_part_without_a_content_id()
    {
        var container = await NewContainerWithBlobsAsync("a", "b");
        var other = await NewContainerWithBlobsAsync("a");
        var boundary = "batch_" + Guid.NewGuid();

        async Task RefusedAsync(string errorCode, byte[] body, string path = "/?comp=batch")
        {
            var responses = Parse(await SubmitAsync(path, boundary, body));
            Assert.Equal([new SubResponse(null, 400, errorCode)], responses);
        }

        await RefusedAsync("AllBatchSubRequestsShouldBeSameApi", Body(boundary,
        [
            SubRequest(0, HttpMethod.Delete, $"/{container.Name}/a"),
            SubRequest(1, HttpMethod.Put, $"/{container.Name}/b?comp=tier", new Dictionary<string, string> { ["x-ms-access-tier"] = "Cool" }),
        ]));
        await RefusedAsync("ExceedsMaxBatchRequestCount", Body(boundary, Enumerable.Range(0, 257).Select(i => SubRequest(i, HttpMethod.Delete, $"/{container.Name}/a"))));
        await RefusedAsync("InvalidInput", Body(boundary, [SubRequest(0, HttpMethod.Get, $"/{container.Name}/a")]));
        await RefusedAsync("InvalidInput", Body(boundary, [SubRequest(0, HttpMethod.Delete, $"/{other.Name}/a")]), $"/{container.Name}?restype=container&comp=batch");
        await RefusedAsync("InvalidInput", Body(boundary, []));
        await RefusedAsync("InvalidInput", Encoding.UTF8.GetBytes($"--{boundary}\r\nContent-Type: application/http\r\n\r\nDELETE /{Account}/{container.Name}/a HTTP/1.1\r\n"));
        await RefusedAsync("InvalidInput", Encoding.UTF8.GetBytes($"--{boundary}\r\nContent-Type: text/plain\r\n\r\nDELETE /{Account}/{container.Name}/a HTTP/1.1\r\n\r\n--{boundary}--\r\n"));
        await RefusedAsync("InvalidInput", Encoding.UTF8.GetBytes($"--{boundary}\r\nContent-Type: application/http\r\n\r\nDELETE {container.Name}/a\r\n\r\n--{boundary}--\r\n"));
        await RefusedAsync("InvalidInput", Encoding.UTF8.GetBytes("no multipart here at all"));

        var badType = await SubmitAsync("/?comp=batch", boundary, Body(boundary, [SubRequest(0, HttpMethod.Delete, $"/{container.Name}/a")]), contentType: "application/json");
        AzureAssert.Status(badType, 400, "InvalidHeaderValue");
        var noBoundary = await SubmitAsync("/?comp=batch", boundary, Body(boundary, [SubRequest(0, HttpMethod.Delete, $"/{container.Name}/a")]), contentType: "multipart/mixed");
        AzureAssert.Status(noBoundary, 400, "InvalidHeaderValue");

        Assert.Equal(["a", "b"], await container.GetBlobsAsync().Select(item => item.Name).ToListAsync());
        Assert.Equal(["a"], await other.GetBlobsAsync().Select(item => item.Name).ToListAsync());
    }
}
