using System.Net;
using System.Text.Json;
using Azure;
using Strongroom.Conformance.Tests.Infrastructure;
using Xunit;

namespace Strongroom.Conformance.Tests;

/// <summary>
/// Two directory sites in one region; the account <see cref="Account"/> writes two synchronous
/// copies (a write quorum of two), so either site down leaves it unable to write.
/// </summary>
public sealed class TwoSiteFixture : DatacenterFixture
{
    public const string Account = "quorum";
    public const string SiteA = "ready-a";
    public const string SiteB = "ready-b";

    public override IReadOnlyList<TestSite> Sites { get; } =
    [
        new(SiteA, "cn-east", "cn-east-1", "CN"),
        new(SiteB, "cn-east", "cn-east-2", "CN"),
    ];

    protected override async Task OnStartedAsync() =>
        await CreateAccountAsync(Account, "--residency", "CN", "--primary-region", "cn-east", "--redundancy", "custom:copies=2,zones=1,regions=1,sync");
}

/// <summary>
/// Issue 10: the management listener's <c>/healthz</c> and <c>/readyz</c> on a real
/// <c>strongroom server</c> process: ready once unsealed, 503 while sealed (alive all along), 503
/// naming the account while a site its write quorum needs is down, ready again when the site is
/// back (the server's own probe, within a bound); anonymous, no-store, GET and HEAD only.
/// </summary>
public sealed class ReadinessTests(TwoSiteFixture fixture) : IClassFixture<TwoSiteFixture>
{
    static readonly TimeSpan Bound = TimeSpan.FromSeconds(30);

    [Fact]
    public async Task Readyz_follows_the_seal_and_the_sites_an_accounts_quorum_needs()
    {
        // Down marks and the seal belong to one process: behind nginx the write could reach the other server.
        if (!TestModes.OneServerOnly("site health and the seal are one process's own state"))
        {
            return;
        }

        var server = fixture.Server;
        using var http = new HttpClient { BaseAddress = server.ManagementEndpoint, Timeout = TimeSpan.FromSeconds(30) };

        // Ready once the development vault has unsealed itself at start.
        var ready = await ReadyAsync(http, "ready at start", HttpStatusCode.OK);
        Assert.Equal("ready", ready.GetProperty("status").GetString());
        using (var live = await http.GetAsync("healthz"))
        {
            Assert.Equal(HttpStatusCode.OK, live.StatusCode);
            Assert.Equal("no-store", live.Headers.CacheControl?.ToString());
        }

        using (var post = await http.PostAsync("readyz", content: null))
        {
            Assert.Equal(HttpStatusCode.MethodNotAllowed, post.StatusCode);
        }

        // Sealed: not ready (the seal check says so), still alive.
        var seal = await server.RunCliAsync("seal");
        Assert.True(seal.ExitCode == 0, seal.ToString());
        var sealedBody = await ReadyAsync(http, "not ready while sealed", HttpStatusCode.ServiceUnavailable);
        Assert.Equal("failed", Check(sealedBody, "seal").GetProperty("status").GetString());
        Assert.Equal("ok", Check(sealedBody, "metadata").GetProperty("status").GetString());
        using (var live = await http.GetAsync("healthz"))
        {
            Assert.Equal(HttpStatusCode.OK, live.StatusCode);
        }

        var unseal = await server.UnsealAsync(server.DevelopmentShare() ?? throw new InvalidOperationException("no development share"));
        Assert.True(unseal.ExitCode == 0, unseal.ToString());
        await ReadyAsync(http, "ready after unseal", HttpStatusCode.OK);

        // A site the account's quorum needs fails under a write: the write is refused and the server is not ready.
        fixture.BreakDirectory(TwoSiteFixture.SiteB);
        try
        {
            var container = fixture.Client(TwoSiteFixture.Account).GetBlobContainerClient(TestNames.Container("readiness"));
            var refused = await Assert.ThrowsAsync<RequestFailedException>(async () =>
            {
                await container.CreateIfNotExistsAsync();
                await container.GetBlobClient("needs-both").UploadAsync(BinaryData.FromString("two copies or none"));
            });
            Assert.Equal(503, refused.Status);

            var down = await ReadyAsync(http, "not ready while ready-b is down", HttpStatusCode.ServiceUnavailable);
            var sites = Check(down, "sites");
            Assert.Equal("failed", sites.GetProperty("status").GetString());
            var accounts = sites.GetProperty("accounts").EnumerateArray().ToDictionary(account => account.GetProperty("account").GetString()!, account => account.GetProperty("reason").GetString()!);
            Assert.Contains(TwoSiteFixture.Account, accounts.Keys);
            Assert.Contains(TwoSiteFixture.SiteB, accounts[TwoSiteFixture.Account], StringComparison.Ordinal);
            Assert.Equal("ok", Check(down, "seal").GetProperty("status").GetString());
        }
        finally
        {
            fixture.RestoreDirectory(TwoSiteFixture.SiteB);
        }

        // The server's own probe finds the site again: ready.
        await ReadyAsync(http, "ready once ready-b is back", HttpStatusCode.OK);
    }

    /// <summary>Polls <c>/readyz</c> until it answers <paramref name="expected"/> (within <see cref="Bound"/>); its body.</summary>
    static async Task<JsonElement> ReadyAsync(HttpClient http, string what, HttpStatusCode expected) =>
        await DatacenterFixture.EventuallyAsync(what, async () =>
        {
            using var response = await http.GetAsync("readyz");
            var text = await response.Content.ReadAsStringAsync();
            Assert.Equal("no-store", response.Headers.CacheControl?.ToString());
            using var body = JsonDocument.Parse(text);
            return (response.StatusCode == expected, body.RootElement.Clone());
        }, Bound);

    static JsonElement Check(JsonElement body, string name) =>
        body.GetProperty("checks").EnumerateArray().Single(check => check.GetProperty("name").GetString() == name);
}
