using System.Net;
using System.Net.Http.Headers;
using System.Text.Json;
using Strongroom.Audit;
using Strongroom.Conformance.Tests.Infrastructure;
using Strongroom.Placement;
using Xunit;

namespace Strongroom.Conformance.Tests;

/// <summary>
/// "Where is my data" for the tenant, end to end: a production server over HTTPS, a blob written
/// with the Azure SDK, a bearer token, the locations JSON, and a signed placement report that
/// verifies with the key the log publishes (the key `strongroom audit key` shows) and whose making
/// is in the tenant's log. A tenant sees only its own account.
/// </summary>
public sealed class PlacementEndpointTests
{
    [Fact]
    public async Task A_tenant_sees_where_its_copies_are_and_gets_a_report_it_can_verify()
    {
        await using var server = await StrongroomProcess.StartProductionAsync("placement-endpoint", shares: 1, threshold: 1);
        var (alphaKey, _) = await server.CreateAccountAsync("alpha");
        await server.CreateAccountAsync("beta");
        var container = server.ServiceClient("alpha", alphaKey).GetBlobContainerClient("placed");
        await container.CreateAsync();
        await container.GetBlobClient("a.txt").UploadAsync(BinaryData.FromString("where am I"));
        using var http = server.CreateHttpClient();
        var alpha = await server.IssueTokenAsync("alpha");
        var beta = await server.IssueTokenAsync("beta");

        using var locations = await GetAsync(http, alpha, ".strongroom/placement/locations?container=placed");
        Assert.Equal(HttpStatusCode.OK, locations.StatusCode);
        using var json = JsonDocument.Parse(await locations.Content.ReadAsStringAsync());
        var root = json.RootElement;
        Assert.Equal("alpha", root.GetProperty("account").GetString());
        var blob = root.GetProperty("blobs")[0];
        Assert.Equal("a.txt", blob.GetProperty("blob").GetString());
        var copy = blob.GetProperty("objects")[0].GetProperty("copies")[0];
        Assert.Equal("present", copy.GetProperty("state").GetString());
        Assert.Equal(root.GetProperty("policy").GetProperty("residency")[0].GetString(), copy.GetProperty("jurisdiction").GetString());

        using var reportResponse = await GetAsync(http, alpha, ".strongroom/placement/report?container=placed&blob=a.txt");
        Assert.Equal(HttpStatusCode.OK, reportResponse.StatusCode);
        var note = await reportResponse.Content.ReadAsStringAsync();
        using var keyResponse = await GetAsync(http, alpha, ".strongroom/log/key");
        var key = NoteVerifierKey.Parse((await keyResponse.Content.ReadAsStringAsync()).Trim());
        var verified = PlacementReports.Verify(note, key);
        Assert.True(verified.Valid, verified.Failure);
        Assert.Equal("a.txt", Assert.Single(verified.Report!.Copies!).Blob);

        // Beta's token answers about beta only: alpha's container is not there.
        using var other = await GetAsync(http, beta, ".strongroom/placement/locations?container=placed");
        Assert.Equal(HttpStatusCode.NotFound, other.StatusCode);
        Assert.False(PlacementReports.Verify(note, NoteVerifierKey.Parse((await (await GetAsync(http, beta, ".strongroom/log/key")).Content.ReadAsStringAsync()).Trim())).Valid);

        // The report's making is in alpha's log.
        var tail = await server.RunCliAsync("audit", "tail", "--account", "alpha");
        Assert.Contains(AuditActions.CreatePlacementReport, tail.StandardOutput, StringComparison.Ordinal);
    }

    private static Task<HttpResponseMessage> GetAsync(HttpClient http, string token, string path)
    {
        var request = new HttpRequestMessage(HttpMethod.Get, path);
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
        return http.SendAsync(request);
    }
}
