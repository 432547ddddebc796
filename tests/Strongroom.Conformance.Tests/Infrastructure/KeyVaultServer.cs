using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using Azure.Core;
using Azure.Security.KeyVault.Secrets;
using Xunit;

namespace Strongroom.Conformance.Tests.Infrastructure;

/// <summary>
/// A production server (HTTPS with the generated certificate, sealed vault initialised and
/// unsealed: <see cref="StrongroomProcess.StartProductionAsync"/>) holding two accounts created
/// with the CLI inside the running server, for the Key Vault API.
/// </summary>
public sealed class KeyVaultServerFixture : IAsyncLifetime
{
    public const string AccountA = "vaulta";
    public const string AccountB = "vaultb";

    /// <summary>The Key Vault REST API version the raw calls send.</summary>
    public const string ApiVersion = "api-version=7.5";

    StrongroomProcess? _server;

    public StrongroomProcess Server => _server ?? throw new InvalidOperationException("The fixture is not initialised.");

    public string DataDirectory => Server.DataDirectory;

    public int Port => Server.Port;

    public Uri VaultUri => Server.Endpoint;

    public string KeyA { get; private set; } = string.Empty;

    public string KeyB { get; private set; } = string.Empty;

    /// <summary>What the server printed (and the command lines of the CLI runs, never their output).</summary>
    public string Output => Server.Output;

    public async Task InitializeAsync()
    {
        _server = await StrongroomProcess.StartProductionAsync("keyvault");
        (KeyA, _) = await _server.CreateAccountAsync(AccountA);
        (KeyB, _) = await _server.CreateAccountAsync(AccountB);
    }

    public Task<CliResult> RunCliAsync(params string[] args) => Server.RunCliAsync(args);

    /// <summary>An HTTP handler that trusts exactly the server's generated certificate.</summary>
    public SocketsHttpHandler TrustingHandler() => Server.TrustingHandler();

    public HttpClient Http() => Server.CreateHttpClient();

    /// <summary>A token from the OAuth 2.0 client-credentials endpoint.</summary>
    public async Task<string> TokenAsync(string account, string key)
    {
        using var http = Http();
        using var response = await http.PostAsync(".strongroom/oauth2/token", new FormUrlEncodedContent(new Dictionary<string, string>
        {
            ["grant_type"] = "client_credentials",
            ["client_id"] = account,
            ["client_secret"] = key,
        }));
        var body = await response.Content.ReadAsStringAsync();
        Assert.True(response.IsSuccessStatusCode, body);
        using var json = JsonDocument.Parse(body);
        Assert.Equal("Bearer", json.RootElement.GetProperty("token_type").GetString());
        Assert.True(json.RootElement.GetProperty("expires_in").GetInt64() > 0);
        var token = json.RootElement.GetProperty("access_token").GetString()!;
        TestLogs.RecordSecret("bearer token", token);
        return token;
    }

    /// <summary>The Secrets SDK as a tenant configures it: its token credential calls our token endpoint.</summary>
    public SecretClient Secrets(string account, string key, Func<string>? token = null)
    {
        var options = new SecretClientOptions
        {
            // The server is addressed by IP: there is no parent domain for the SDK to check.
            DisableChallengeResourceVerification = true,
            Transport = new Azure.Core.Pipeline.HttpClientTransport(TrustingHandler()),
        };
        options.Retry.MaxRetries = 0;
        return new SecretClient(VaultUri, new StaticTokenCredential(token ?? (() => TokenAsync(account, key).GetAwaiter().GetResult())), options);
    }

    /// <summary>
    /// The Secrets SDK addressing the server by a DNS name (every name connects to this server's
    /// loopback port), with the SDK's challenge resource verification left on, as a tenant whose
    /// server has a real name would run it.
    /// </summary>
    public SecretClient SecretsByName(string host, string account, string key)
    {
        var handler = TrustingHandler();
        var port = Port;
        handler.ConnectCallback = async (_, cancellationToken) =>
        {
            var socket = new System.Net.Sockets.Socket(System.Net.Sockets.SocketType.Stream, System.Net.Sockets.ProtocolType.Tcp);
            await socket.ConnectAsync(System.Net.IPAddress.Loopback, port, cancellationToken);
            return new System.Net.Sockets.NetworkStream(socket, ownsSocket: true);
        };
        var options = new SecretClientOptions { Transport = new Azure.Core.Pipeline.HttpClientTransport(handler) };
        options.Retry.MaxRetries = 0;
        return new SecretClient(new Uri($"https://{host}:{Port}/"), new StaticTokenCredential(() => TokenAsync(account, key).GetAwaiter().GetResult()), options);
    }

    public async Task<HttpResponseMessage> SendAsync(HttpMethod method, string pathAndQuery, string? token, object? body = null)
    {
        using var http = Http();
        using var request = new HttpRequestMessage(method, pathAndQuery);
        if (token is not null)
        {
            request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
        }

        if (body is not null)
        {
            request.Content = new StringContent(JsonSerializer.Serialize(body), Encoding.UTF8, "application/json");
        }

        return await http.SendAsync(request);
    }

    /// <summary>
    /// A Key Vault REST call (<c>api-version</c> appended) that must answer <paramref name="expected"/>;
    /// returns the JSON body (default when empty).
    /// </summary>
    public async Task<JsonElement> CallAsync(string token, HttpMethod method, string path, object? body = null, System.Net.HttpStatusCode expected = System.Net.HttpStatusCode.OK)
    {
        using var response = await SendAsync(method, $"{path}?{ApiVersion}", token, body);
        var text = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == expected, $"{method} {path}: {(int)response.StatusCode} {text}");
        return text.Length == 0 ? default : JsonDocument.Parse(text).RootElement.Clone();
    }

    public async Task DisposeAsync()
    {
        if (_server is not null)
        {
            await _server.DisposeAsync();
        }
    }

    /// <summary>What a tenant writes: a TokenCredential that returns a Strongroom bearer token.</summary>
    sealed class StaticTokenCredential(Func<string> token) : TokenCredential
    {
        public int Calls;

        public override AccessToken GetToken(TokenRequestContext requestContext, CancellationToken cancellationToken)
        {
            Interlocked.Increment(ref Calls);
            return new AccessToken(token(), DateTimeOffset.UtcNow.AddMinutes(50));
        }

        public override ValueTask<AccessToken> GetTokenAsync(TokenRequestContext requestContext, CancellationToken cancellationToken) =>
            new(GetToken(requestContext, cancellationToken));
    }
}
