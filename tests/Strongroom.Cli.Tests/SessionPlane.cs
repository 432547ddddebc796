using System.Net.Http.Json;
using System.Text.Json;
using Microsoft.Extensions.Time.Testing;
using OtpNet;
using Strongroom.Server;

namespace Strongroom.Cli.Tests;

/// <summary>
/// An in-process server on a fake clock (2026-11-30 09:00Z), unsealed, with account <c>tenant</c>
/// and its container <c>records</c>, and two principals signed in over the management plane — the
/// tenant administrator <c>tenant-lead</c> and the system admin <c>sysop</c> — each with the
/// session file <c>--session</c> reads.
/// </summary>
internal sealed class SessionPlane : IAsyncDisposable
{
    private readonly TempDataDirectory production;
    private readonly CancellationTokenSource stop;

    private SessionPlane(TempDataDirectory production, CancellationTokenSource stop, FakeTimeProvider time, StrongroomServer server)
    {
        this.production = production;
        this.stop = stop;
        Time = time;
        Server = server;
    }

    public FakeTimeProvider Time { get; }

    public StrongroomServer Server { get; }

    public string TenantSession { get; private set; } = string.Empty;

    public string OperatorSession { get; private set; } = string.Empty;

    public static async Task<SessionPlane> StartAsync()
    {
        var production = new TempDataDirectory();
        var stop = new CancellationTokenSource();
        var share = SealCommandTests.Shares((await production.RunWithDataAsync("init", "--shares", "1", "--threshold", "1")).Output)[0];
        var time = new FakeTimeProvider(new DateTimeOffset(2026, 11, 30, 9, 0, 0, TimeSpan.Zero));
        var server = await StrongroomServer.StartAsync(
            new ServerOptions { DataDirectory = production.Path, Port = 0, TimeProvider = time, ControlCommands = Cli.RunInServerAsync },
            stop.Token);
        var plane = new SessionPlane(production, stop, time, server);
        Assert.Equal(0, (await production.RunWithDataAndInputAsync(share + "\n", "unseal")).ExitCode);
        Assert.Equal(0, (await production.RunWithDataAsync("account", "create", "tenant")).ExitCode);
        await server.Deployment.Blobs.CreateContainerAsync("tenant", "records", []);
        var tenantSecret = await CreateOnHostAsync(production, "Tenant-admin-password-1\n", "account", "admin", "create", "tenant", "tenant-lead", "--json");
        var operatorSecret = await CreateOnHostAsync(production, "System-admin-password-1\n", "operator", "create", "sysop", "--role", "system-admin", "--json");

        var caPath = Path.Combine(production.Path, "management-ca.pem");
        await File.WriteAllTextAsync(caPath, server.Certificate!.Certificate.ExportCertificatePem());
        var expected = server.Certificate.Certificate.RawData;
        using var handler = new SocketsHttpHandler();
        handler.SslOptions.RemoteCertificateValidationCallback = (_, certificate, _, _) => certificate is not null && certificate.GetRawCertData().AsSpan().SequenceEqual(expected);
        using var http = new HttpClient(handler);
        plane.TenantSession = await SessionFileAsync(http, server, time, caPath, "tenant-admin", "tenant", "tenant-lead", "Tenant-admin-password-1", tenantSecret);
        plane.OperatorSession = await SessionFileAsync(http, server, time, caPath, "operator", null, "sysop", "System-admin-password-1", operatorSecret);
        return plane;
    }

    public async ValueTask DisposeAsync()
    {
        await stop.CancelAsync();
        await Server.DisposeAsync();
        stop.Dispose();
        production.Dispose();
    }

    private static async Task<string> CreateOnHostAsync(TempDataDirectory data, string password, params string[] args)
    {
        var result = await data.RunWithDataAndInputAsync(password, args);
        Assert.True(result.ExitCode == 0, result.ToString());
        using var json = JsonDocument.Parse(result.Output);
        return json.RootElement.GetProperty("totpSecret").GetString()!;
    }

    /// <summary>Signs in over the plane (the code from the server's fake clock) and writes the session file the CLI reads.</summary>
    private static async Task<string> SessionFileAsync(HttpClient http, StrongroomServer server, TimeProvider time, string caPath, string kind, string? account, string name, string password, string totpSecret)
    {
        var code = new Totp(Base32Encoding.ToBytes(totpSecret)).ComputeTotp(time.GetUtcNow().UtcDateTime);
        object credentials = account is null
            ? new { kind, name, password, code }
            : new { kind, account, name, password, code };
        using var request = new HttpRequestMessage(HttpMethod.Post, new Uri(server.ManagementEndpoint, "v1/login")) { Content = JsonContent.Create(credentials) };
        using var response = await http.SendAsync(request);
        var text = await response.Content.ReadAsStringAsync();
        Assert.True(response.IsSuccessStatusCode, text);
        using var json = JsonDocument.Parse(text);
        var token = json.RootElement.GetProperty("token").GetString()!;
        var path = Path.Combine(Path.GetDirectoryName(caPath)!, Path.GetFileName(caPath) + "." + name + ".session.json");
        await File.WriteAllTextAsync(path, JsonSerializer.Serialize(new Dictionary<string, object?>
        {
            ["version"] = 1,
            ["server"] = server.ManagementEndpoint.ToString(),
            ["caCertificate"] = caPath,
            ["kind"] = kind,
            ["account"] = account,
            ["name"] = name,
            ["token"] = token,
        }));
        return path;
    }
}
