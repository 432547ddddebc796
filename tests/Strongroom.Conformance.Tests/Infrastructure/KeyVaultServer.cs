using System.Diagnostics;
using System.Net.Http.Headers;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.RegularExpressions;
using Azure.Core;
using Azure.Security.KeyVault.Secrets;
using Xunit;

namespace Strongroom.Conformance.Tests.Infrastructure;

/// <summary>
/// A production-mode server (HTTPS with the generated self-signed certificate) holding two
/// accounts created with the CLI, for the Key Vault API. The whole start sequence is in
/// <see cref="StartServerAsync"/> so that it is the one place to change when production start
/// becomes init + unseal.
/// </summary>
public sealed partial class KeyVaultServerFixture : IAsyncLifetime
{
    public const string AccountA = "vaulta";
    public const string AccountB = "vaultb";

    readonly StringBuilder _output = new();
    Process? _process;
    string _fingerprint = string.Empty;

    public string DataDirectory { get; } = Path.Combine(Path.GetTempPath(), "strongroom-conformance", $"keyvault-{Environment.ProcessId}-{Guid.NewGuid():N}");

    public int Port { get; private set; }

    public Uri VaultUri => new($"https://127.0.0.1:{Port}/");

    public string KeyA { get; private set; } = string.Empty;

    public string KeyB { get; private set; } = string.Empty;

    public string Output
    {
        get
        {
            lock (_output)
            {
                return _output.ToString();
            }
        }
    }

    static string CliAssemblyPath => Path.Combine(AppContext.BaseDirectory, "strongroom.dll");

    public async Task InitializeAsync()
    {
        Directory.CreateDirectory(DataDirectory);
        KeyA = AccountKeys.Parse(await RunCliAsync("account", "create", AccountA)).Key1;
        KeyB = AccountKeys.Parse(await RunCliAsync("account", "create", AccountB)).Key1;
        await StartServerAsync();
    }

    /// <summary>Starts `strongroom server --data DIR --port 0` (production: HTTPS) and waits for its endpoint.</summary>
    async Task StartServerAsync()
    {
        var start = StartInfo("server", "--data", DataDirectory, "--port", "0");
        var process = new Process { StartInfo = start, EnableRaisingEvents = true };
        var ready = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        process.OutputDataReceived += (_, e) =>
        {
            if (e.Data is null)
            {
                return;
            }

            Append(e.Data);
            if (FingerprintPattern().Match(e.Data) is { Success: true } fingerprint)
            {
                _fingerprint = fingerprint.Groups[1].Value.Replace(":", string.Empty, StringComparison.Ordinal);
            }

            if (EndpointPattern().Match(e.Data) is { Success: true } endpoint)
            {
                Port = int.Parse(endpoint.Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture);
                ready.TrySetResult();
            }
        };
        process.ErrorDataReceived += (_, e) =>
        {
            if (e.Data is not null)
            {
                Append("[stderr] " + e.Data);
            }
        };
        process.Exited += (_, _) => ready.TrySetException(new InvalidOperationException($"The server exited before printing its endpoint.\n{Output}"));
        process.Start();
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        _process = process;
        await ready.Task.WaitAsync(TimeSpan.FromSeconds(60));
        Assert.False(string.IsNullOrEmpty(_fingerprint), $"The server printed no certificate fingerprint.\n{Output}");
    }

    public async Task<CliResult> RunCliAsync(params string[] args)
    {
        var arguments = new List<string>(args) { "--data", DataDirectory };
        using var process = new Process { StartInfo = StartInfo([.. arguments]) };
        process.Start();
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync().WaitAsync(TimeSpan.FromSeconds(60));
        var result = new CliResult(process.ExitCode, await stdout, await stderr, string.Join(' ', arguments));
        Append($"---- cli: `strongroom {args[0]} {args[1]}` exited {result.ExitCode} ----");
        return result;
    }

    /// <summary>An HTTP handler that trusts exactly the server's certificate (pinned by the fingerprint it printed).</summary>
    public HttpClientHandler TrustingHandler() => new()
    {
        ServerCertificateCustomValidationCallback = (_, certificate, _, _) =>
            certificate is not null && string.Equals(Convert.ToHexString(certificate.GetCertHash(HashAlgorithmName.SHA256)), _fingerprint, StringComparison.OrdinalIgnoreCase),
    };

    public HttpClient Http() => new(TrustingHandler()) { BaseAddress = VaultUri };

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
        return json.RootElement.GetProperty("access_token").GetString()!;
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
        var handler = new SocketsHttpHandler
        {
            ConnectCallback = async (_, cancellationToken) =>
            {
                var socket = new System.Net.Sockets.Socket(System.Net.Sockets.SocketType.Stream, System.Net.Sockets.ProtocolType.Tcp);
                await socket.ConnectAsync(System.Net.IPAddress.Loopback, Port, cancellationToken);
                return new System.Net.Sockets.NetworkStream(socket, ownsSocket: true);
            },
        };
        handler.SslOptions.RemoteCertificateValidationCallback = (_, certificate, _, _) =>
            certificate is not null && string.Equals(Convert.ToHexString(certificate.GetCertHash(HashAlgorithmName.SHA256)), _fingerprint, StringComparison.OrdinalIgnoreCase);
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

    public async Task DisposeAsync()
    {
        if (_process is { HasExited: false })
        {
            _process.Kill(entireProcessTree: true);
            await _process.WaitForExitAsync();
        }

        _process?.Dispose();
        try
        {
            Directory.Delete(DataDirectory, recursive: true);
        }
        catch (IOException)
        {
        }
    }

    static ProcessStartInfo StartInfo(params string[] args)
    {
        var start = new ProcessStartInfo("dotnet")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            WorkingDirectory = AppContext.BaseDirectory,
        };
        start.ArgumentList.Add(CliAssemblyPath);
        foreach (var arg in args)
        {
            start.ArgumentList.Add(arg);
        }

        start.Environment.Remove("DOTNET_STARTUP_HOOKS");
        return start;
    }

    void Append(string line)
    {
        lock (_output)
        {
            _output.AppendLine(line);
        }
    }

    [GeneratedRegex(@"https://127\.0\.0\.1:(\d+)")]
    private static partial Regex EndpointPattern();

    [GeneratedRegex(@"SHA-256 fingerprint:\s*([0-9A-Fa-f:]+)")]
    private static partial Regex FingerprintPattern();

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
