using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.Time.Testing;
using OtpNet;
using Strongroom.Audit;
using Strongroom.Core;
using Strongroom.Destruction;
using Strongroom.Server;
using Strongroom.Storage;

namespace Strongroom.Cli.Tests;

/// <summary>
/// <c>strongroom certificate list | get | verify</c> against an in-process production server: a
/// certificate fetched on the host and, after the account is destroyed, by its tenant administrator
/// through the management plane, verifies against the key <c>audit key</c> shows; a changed byte,
/// a changed signature or another account's key fails, naming what.
/// </summary>
public sealed class CertificateCommandTests : IDisposable
{
    private const string Account = "acme";
    private readonly string directory = Directory.CreateTempSubdirectory("strongroom-certificate-cli-").FullName;

    public void Dispose() => Directory.Delete(directory, recursive: true);

    [Fact]
    public async Task A_certificate_fetched_on_the_host_and_through_the_plane_after_destruction_verifies()
    {
        using var data = new TempDataDirectory();
        var share = SealCommandTests.Shares((await data.RunWithDataAsync("init", "--shares", "1", "--threshold", "1")).Output)[0];
        var time = new FakeTimeProvider(TimeProvider.System.GetUtcNow());
        using var stop = new CancellationTokenSource();
        await using var server = await StrongroomServer.StartAsync(
            new ServerOptions { DataDirectory = data.Path, Port = 0, TimeProvider = time, ControlCommands = Cli.RunInServerAsync },
            stop.Token);
        Assert.Equal(0, (await data.RunWithDataAndInputAsync(share + "\n", "unseal")).ExitCode);
        Assert.Equal(0, (await data.RunWithDataAsync("account", "create", Account)).ExitCode);
        Assert.Equal(0, (await data.RunWithDataAsync("account", "create", "globex")).ExitCode);
        var admin = await data.RunWithDataAndInputAsync("Tenant-admin-password-1\n", "account", "admin", "create", Account, "tenant-lead", "--json");
        Assert.True(admin.ExitCode == 0, admin.ToString());
        string totpSecret;
        using (var enrolled = JsonDocument.Parse(admin.Output))
        {
            totpSecret = enrolled.RootElement.GetProperty("totpSecret").GetString()!;
        }

        var issued = await IssueAsync(server.Deployment, "d-0001");
        var empty = await data.RunWithDataAsync("certificate", "list", "globex");
        Assert.Contains("no destruction certificates", empty.Output, StringComparison.Ordinal);
        var listed = await data.RunWithDataAsync("certificate", "list", Account, "--json");
        Assert.True(listed.ExitCode == 0, listed.ToString());
        Assert.Contains("\"d-0001\"", listed.Output, StringComparison.Ordinal);

        var key = (await data.RunWithDataAsync("audit", "key", "--account", Account)).Output.Trim();
        var otherKey = (await data.RunWithDataAsync("audit", "key", "--account", "globex")).Output.Trim();

        // On the host.
        var hostFile = Path.Combine(directory, "host.json");
        var got = await data.RunWithDataAsync("certificate", "get", Account, "d-0001", "--out", hostFile);
        Assert.True(got.ExitCode == 0, got.ToString());
        Assert.Equal(issued.Document, await File.ReadAllBytesAsync(hostFile));
        var verified = await TempDataDirectory.RunAsync("certificate", "verify", hostFile, "--verifier-key", key);
        Assert.True(verified.ExitCode == 0, verified.ToString());
        Assert.Contains("OK: destruction certificate d-0001 revision 1 of acme", verified.Output, StringComparison.Ordinal);
        Assert.Contains("pinned key", verified.Output, StringComparison.Ordinal);
        var unpinned = await TempDataDirectory.RunAsync("certificate", "verify", hostFile);
        Assert.True(unpinned.ExitCode == 0, unpinned.ToString());
        Assert.Contains("WARNING: no --verifier-key", unpinned.Error, StringComparison.Ordinal);

        // The account is destroyed (as the destruction service leaves it); its administrator still
        // signs in and fetches the certificate through the plane.
        await using (var connection = new SqliteConnection($"Data Source={new DataDirectory(data.Path).MetadataDatabasePath}"))
        {
            await connection.OpenAsync();
            await using var command = connection.CreateCommand();
            command.CommandText = "UPDATE accounts SET state = 3 WHERE name = 'acme'";
            Assert.Equal(1, await command.ExecuteNonQueryAsync());
        }

        var session = await SignInAsync(server, time, totpSecret, data.Path);
        var planeFile = Path.Combine(directory, "plane.json");
        var fetched = await TempDataDirectory.RunAsync("certificate", "get", Account, "d-0001", "--revision", "1", "--out", planeFile, "--session", session);
        Assert.True(fetched.ExitCode == 0, fetched.ToString());
        Assert.Equal(issued.Document, await File.ReadAllBytesAsync(planeFile));
        Assert.Equal(Convert.ToBase64String(issued.Signature) + "\n", await File.ReadAllTextAsync(planeFile + ".sig"));
        Assert.Equal(0, (await TempDataDirectory.RunAsync("certificate", "verify", planeFile, "--verifier-key", key)).ExitCode);
        var planeList = await TempDataDirectory.RunAsync("certificate", "list", Account, "--session", session);
        Assert.True(planeList.ExitCode == 0, planeList.ToString());
        Assert.Contains("d-0001", planeList.Output, StringComparison.Ordinal);

        // Anything else the closed account's administrator asks for is refused.
        var refused = await TempDataDirectory.RunAsync("transfer", "list", "--session", session);
        Assert.Equal(1, refused.ExitCode);
        Assert.Contains("AccountClosed", refused.Error, StringComparison.Ordinal);

        // A changed byte, a changed signature, another account's key: each fails, naming what.
        var bytes = await File.ReadAllBytesAsync(planeFile);
        var tampered = Path.Combine(directory, "tampered.json");
        bytes[bytes.Length / 2] ^= 0x01;
        await File.WriteAllBytesAsync(tampered, bytes);
        File.Copy(planeFile + ".sig", tampered + ".sig");
        var failed = await TempDataDirectory.RunAsync("certificate", "verify", tampered, "--verifier-key", key);
        Assert.Equal(1, failed.ExitCode);
        Assert.Contains("FAILED:", failed.Error, StringComparison.Ordinal);

        var signature = Convert.FromBase64String(await File.ReadAllTextAsync(planeFile + ".sig"));
        signature[0] ^= 0x80;
        var badSignature = Path.Combine(directory, "bad.sig");
        await File.WriteAllTextAsync(badSignature, Convert.ToBase64String(signature));
        failed = await TempDataDirectory.RunAsync("certificate", "verify", planeFile, "--signature", badSignature, "--verifier-key", key);
        Assert.Equal(1, failed.ExitCode);
        Assert.Contains("FAILED: Signature", failed.Error, StringComparison.Ordinal);

        failed = await TempDataDirectory.RunAsync("certificate", "verify", planeFile, "--verifier-key", otherKey);
        Assert.Equal(1, failed.ExitCode);
        Assert.Contains("FAILED: PinnedKey", failed.Error, StringComparison.Ordinal);

        Assert.Equal(2, (await TempDataDirectory.RunAsync("certificate", "verify", planeFile, "--verifier-key", "not-a-key")).ExitCode);
        var missing = await data.RunWithDataAsync("certificate", "get", Account, "d-none", "--out", Path.Combine(directory, "none.json"));
        Assert.Equal(1, missing.ExitCode);
        Assert.Contains("CertificateNotFound", missing.Error, StringComparison.Ordinal);
        await stop.CancelAsync();
    }

    [Theory]
    [InlineData("list", "--session", "--data", "--json")]
    [InlineData("get", "--revision", "--out", "--session", "--data")]
    [InlineData("verify", "--signature", "--verifier-key", "--json")]
    public async Task Help_lists_each_commands_options(string command, params string[] options)
    {
        var result = await TempDataDirectory.RunAsync("certificate", command, "--help");
        Assert.True(result.ExitCode == 0, result.ToString());
        foreach (var option in options)
        {
            Assert.Contains(option, result.Output, StringComparison.Ordinal);
        }
    }

    /// <summary>What the destruction service does at key destruction: its entry in the account's log, then the certificate.</summary>
    private static async Task<DestructionCertificate> IssueAsync(Deployment deployment, string id)
    {
        using var operation = OperationContext.Begin(new OperationContext(Actor.System));
        var entry = deployment.Audit.Entry(Account, AuditActions.DestroyKeys, "/" + Account, details: [new(AuditActions.DestructionDetail, id)]);
        var index = (await ((IAuditStore)deployment.Store).AppendAuditEntriesAsync([entry]))[0];
        var keysOn = entry.Time;
        var record = new DestructionRecord(id, Account, DestructionKind.AccountClosure, Account, DestructionState.Sweeping, keysOn, null, 2, 100, [new DestroyedKey($"account-kek/{Account}/v1", keysOn)], [new DestructionSite("local", 2, false, null)])
        {
            KeysEntryIndex = index,
        };
        return await deployment.Certificates.IssueAsync(record);
    }

    /// <summary>Signs the tenant administrator in over the plane and writes the session file the CLI reads.</summary>
    private async Task<string> SignInAsync(StrongroomServer server, TimeProvider time, string totpSecret, string dataPath)
    {
        var expected = server.Certificate!.Certificate.RawData;
        using var handler = new SocketsHttpHandler();
        handler.SslOptions.RemoteCertificateValidationCallback = (_, certificate, _, _) => certificate is not null && certificate.GetRawCertData().AsSpan().SequenceEqual(expected);
        using var http = new HttpClient(handler);
        var code = new Totp(Base32Encoding.ToBytes(totpSecret)).ComputeTotp(time.GetUtcNow().UtcDateTime);
        using var response = await http.PostAsJsonAsync(new Uri(server.ManagementEndpoint, "v1/login"), new { kind = "tenant-admin", account = Account, name = "tenant-lead", password = "Tenant-admin-password-1", code });
        var text = await response.Content.ReadAsStringAsync();
        Assert.True(response.IsSuccessStatusCode, text);
        using var login = JsonDocument.Parse(text);
        var path = Path.Combine(directory, "session.json");
        await File.WriteAllTextAsync(path, JsonSerializer.Serialize(new Dictionary<string, object?>
        {
            ["version"] = 1,
            ["server"] = server.ManagementEndpoint.ToString(),
            ["caCertificate"] = new DataDirectory(dataPath).GeneratedCertificatePath,
            ["kind"] = "tenant-admin",
            ["account"] = Account,
            ["name"] = "tenant-lead",
            ["token"] = login.RootElement.GetProperty("token").GetString(),
        }));
        return path;
    }
}
