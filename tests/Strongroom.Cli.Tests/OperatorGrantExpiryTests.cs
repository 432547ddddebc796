using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json;
using Microsoft.Extensions.Time.Testing;
using OtpNet;
using Strongroom.Server;

namespace Strongroom.Cli.Tests;

/// <summary>
/// Issue 6, item 4: a lockbox grant ends with its duration on the server's clock. An in-process
/// production server on a fake clock; the whole lockbox flow through its management plane; the
/// grant token on the Blob API works until the duration has passed, and the next read is 403
/// AuthorizationFailure.
/// </summary>
public sealed class OperatorGrantExpiryTests
{
    private const string Account = "tenant";
    private static readonly DateTimeOffset Start = new(2026, 11, 30, 9, 0, 0, TimeSpan.Zero);

    [Fact]
    public async Task A_grant_is_refused_once_its_duration_has_passed_on_the_servers_clock()
    {
        using var data = new TempDataDirectory();
        var share = SealCommandTests.Shares((await data.RunWithDataAsync("init", "--shares", "1", "--threshold", "1")).Output)[0];
        var time = new FakeTimeProvider(Start);
        await using var server = await ClockedServer.StartAsync(data.Path, time);
        Assert.Equal(0, (await data.RunWithDataAndInputAsync(share + "\n", "unseal")).ExitCode);
        Assert.Equal(0, (await data.RunWithDataAsync("account", "create", Account)).ExitCode);
        await server.Started.Deployment.Blobs.CreateContainerAsync(Account, "support", []);

        using var http = server.Client();
        var management = server.Started.ManagementEndpoint;
        var security = await CreateOnHostAsync(data, "Security-admin-password-1\n", "operator", "create", "sec-admin", "--role", "security-admin", "--json");
        var tenantAdmin = await CreateOnHostAsync(data, "Tenant-admin-password-1\n", "account", "admin", "create", Account, "tenant-lead", "--json");
        var securityToken = await LoginAsync(http, management, time, new { kind = "operator", name = "sec-admin", password = "Security-admin-password-1" }, security);
        var tenantToken = await LoginAsync(http, management, time, new { kind = "tenant-admin", account = Account, name = "tenant-lead", password = "Tenant-admin-password-1" }, tenantAdmin);
        var alice = await PostAsync(http, management, "v1/operators", new { name = "alice", role = "system-admin", password = "Alice-password-1-long" }, securityToken);
        var aliceToken = await LoginAsync(http, management, time, new { kind = "operator", name = "alice", password = "Alice-password-1-long" }, alice.GetProperty("totpSecret").GetString()!);

        var request = await PostAsync(http, management, "v1/lockbox/requests", new { account = Account, container = "support", access = "metadata", durationMinutes = 10, justification = "Ticket 4711: export fails" }, aliceToken);
        var id = request.GetProperty("id").GetString()!;
        await PostAsync(http, management, $"v1/lockbox/requests/{id}/approve", new { }, tenantToken);
        await PostAsync(http, management, $"v1/lockbox/requests/{id}/approve", new { }, securityToken);
        await PostAsync(http, management, $"v1/lockbox/requests/{id}/activate", new { }, aliceToken);
        var grantToken = (await PostAsync(http, management, $"v1/lockbox/requests/{id}/token", new { }, aliceToken)).GetProperty("token").GetString()!;

        var listing = new Uri(server.Started.BlobEndpoint, $"{Account}/support?restype=container&comp=list");
        Assert.Equal(HttpStatusCode.OK, (await GetAsync(http, listing, grantToken)).Status);

        // One second before the end the grant still reads (the session, used at token issue, is not idle yet).
        time.Advance(TimeSpan.FromMinutes(10) - TimeSpan.FromSeconds(1));
        Assert.Equal(HttpStatusCode.OK, (await GetAsync(http, listing, grantToken)).Status);

        time.Advance(TimeSpan.FromSeconds(2));
        var refused = await GetAsync(http, listing, grantToken);
        Assert.Equal(HttpStatusCode.Forbidden, refused.Status);
        Assert.Equal("AuthorizationFailure", refused.ErrorCode);
    }

    /// <summary>Creates a principal on the host (password on standard input) and returns its TOTP secret.</summary>
    private static async Task<string> CreateOnHostAsync(TempDataDirectory data, string password, params string[] args)
    {
        var result = await data.RunWithDataAndInputAsync(password, args);
        Assert.True(result.ExitCode == 0, result.ToString());
        using var json = JsonDocument.Parse(result.Output);
        return json.RootElement.GetProperty("totpSecret").GetString()!;
    }

    /// <summary>Signs in with the code of the server's (fake) clock.</summary>
    private static async Task<string> LoginAsync(HttpClient http, Uri management, TimeProvider time, object credentials, string totpSecret)
    {
        var code = new Totp(Base32Encoding.ToBytes(totpSecret)).ComputeTotp(time.GetUtcNow().UtcDateTime);
        var fields = JsonSerializer.SerializeToElement(credentials).EnumerateObject().ToDictionary(property => property.Name, property => (object)property.Value.GetString()!);
        fields["code"] = code;
        return (await PostAsync(http, management, "v1/login", fields, null)).GetProperty("token").GetString()!;
    }

    private static async Task<JsonElement> PostAsync(HttpClient http, Uri management, string path, object body, string? session)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, new Uri(management, path)) { Content = JsonContent.Create(body) };
        if (session is not null)
        {
            request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", session);
        }

        using var response = await http.SendAsync(request);
        var text = await response.Content.ReadAsStringAsync();
        Assert.True(response.IsSuccessStatusCode, $"{path}: {(int)response.StatusCode} {text}");
        using var json = JsonDocument.Parse(text);
        return json.RootElement.Clone();
    }

    private static async Task<(HttpStatusCode Status, string? ErrorCode)> GetAsync(HttpClient http, Uri uri, string grantToken)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, uri);
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", grantToken);
        request.Headers.Add("x-ms-version", "2026-02-06");
        using var response = await http.SendAsync(request);
        return (response.StatusCode, response.Headers.TryGetValues("x-ms-error-code", out var codes) ? codes.Single() : null);
    }

    /// <summary>An in-process server on <paramref name="time"/>, its control socket answering the CLI.</summary>
    private sealed class ClockedServer : IAsyncDisposable
    {
        private readonly CancellationTokenSource stop = new();

        public StrongroomServer Started { get; private set; } = null!;

        public static async Task<ClockedServer> StartAsync(string dataPath, TimeProvider time)
        {
            var server = new ClockedServer();
            server.Started = await StrongroomServer.StartAsync(
                new ServerOptions
                {
                    DataDirectory = dataPath,
                    Port = 0,
                    TimeProvider = time,
                    ControlCommands = Cli.RunInServerAsync,
                },
                server.stop.Token);
            return server;
        }

        /// <summary>A client that trusts exactly the certificate this server generated (its validity is on the fake clock).</summary>
        public HttpClient Client()
        {
            var expected = Started.Certificate!.Certificate.RawData;
            var handler = new SocketsHttpHandler();
            handler.SslOptions.RemoteCertificateValidationCallback = (_, certificate, _, _) =>
                certificate is not null && certificate.GetRawCertData().AsSpan().SequenceEqual(expected);
            return new HttpClient(handler);
        }

        public async ValueTask DisposeAsync()
        {
            await stop.CancelAsync();
            await Started.DisposeAsync();
            stop.Dispose();
        }
    }
}
