using System.Text.Json;
using Microsoft.AspNetCore.Http;
using Strongroom.Audit;
using Strongroom.Core;
using Strongroom.Placement;
using Strongroom.Protocol.Transparency;
using Strongroom.Vault;

namespace Strongroom.Protocol.Tests;

/// <summary>The tenant's placement endpoints: the rules they share with the log's endpoints, checked before any placement is read.</summary>
public sealed class PlacementProtocolTests : IDisposable
{
    private const string GoodToken = "token-of-alpha";

    private readonly SealState seal = new(Path.Combine(Path.GetTempPath(), "strongroom-none", "seal"), Path.Combine(Path.GetTempPath(), "strongroom-none", "keyring"), new SeededRandomSource(4));
    private readonly TransparencyLog log;
    private bool sealedVault;

    public PlacementProtocolTests()
    {
        log = new TransparencyLog(new TransparencyProtocolTests.FakeAuditStore(), new CheckpointSigner(seal), () => "00112233", TimeProvider.System);
    }

    public void Dispose() => seal.Dispose();

    // The placement service is never reached by these requests (its store would be needed).
    private PlacementProtocolHandler Handler() => new(new PlacementService(null!, null!, log, TimeProvider.System), log, (token, _) => Task.FromResult(token == GoodToken ? "alpha" : null))
    {
        IsSealed = () => sealedVault,
    };

    private async Task<(int Status, HttpResponse Response, string Code)> SendAsync(string pathAndQuery, string? token = GoodToken, string method = "GET", bool https = true)
    {
        var context = new DefaultHttpContext();
        var request = context.Request;
        request.Method = method;
        request.Scheme = https ? "https" : "http";
        request.Host = new HostString("127.0.0.1", 10000);
        var question = pathAndQuery.IndexOf('?', StringComparison.Ordinal);
        request.Path = question < 0 ? pathAndQuery : pathAndQuery[..question];
        request.QueryString = question < 0 ? QueryString.Empty : new QueryString(pathAndQuery[question..]);
        if (token is not null)
        {
            request.Headers.Authorization = "Bearer " + token;
        }

        var body = new MemoryStream();
        context.Response.Body = body;
        await Handler().HandleAsync(context);
        using var document = JsonDocument.Parse(body.ToArray());
        return (context.Response.StatusCode, context.Response, document.RootElement.GetProperty("error").GetProperty("code").GetString()!);
    }

    [Theory]
    [InlineData("/.strongroom/placement", true)]
    [InlineData("/.strongroom/placement/report", true)]
    [InlineData("/.strongroom/placementx", false)]
    [InlineData("/.strongroom/log", false)]
    [InlineData("/acct/.strongroom/placement", false)]
    public void Owns_only_its_prefix(string path, bool owned) => Assert.Equal(owned, PlacementProtocolHandler.IsPlacementPath(path));

    [Fact]
    public async Task Plain_http_is_refused_before_the_token_is_looked_at()
    {
        var (status, _, code) = await SendAsync("/.strongroom/placement/locations", https: false);
        Assert.Equal(403, status);
        Assert.Equal("HttpsRequired", code);
    }

    [Fact]
    public async Task A_sealed_server_answers_503()
    {
        sealedVault = true;
        var (status, _, code) = await SendAsync("/.strongroom/placement/report");
        Assert.Equal(503, status);
        Assert.Equal("VaultSealed", code);
    }

    [Theory]
    [InlineData(null)]
    [InlineData("someone-else")]
    public async Task No_valid_token_is_401_with_a_bearer_challenge(string? token)
    {
        var (status, response, code) = await SendAsync("/.strongroom/placement/locations", token);
        Assert.Equal(401, status);
        Assert.Equal("Unauthorized", code);
        Assert.Equal("Bearer", response.Headers.WWWAuthenticate.ToString());
    }

    [Fact]
    public async Task Only_reads_are_served()
    {
        var (status, response, code) = await SendAsync("/.strongroom/placement/report", method: "POST");
        Assert.Equal(405, status);
        Assert.Equal("MethodNotAllowed", code);
        Assert.Equal("GET, HEAD", response.Headers.Allow.ToString());
    }

    [Fact]
    public async Task A_blob_needs_its_container_and_unknown_paths_are_404()
    {
        var (status, _, code) = await SendAsync("/.strongroom/placement/locations?blob=x");
        Assert.Equal(400, status);
        Assert.Equal("InvalidQueryParameterValue", code);

        (status, _, code) = await SendAsync("/.strongroom/placement/elsewhere");
        Assert.Equal(404, status);
        Assert.Equal("NotFound", code);
    }
}
