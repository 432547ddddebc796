using System.Net;
using System.Text.Json;
using System.Xml;
using System.Xml.Linq;
using Strongroom.Conformance.Tests.Infrastructure;
using Xunit;

namespace Strongroom.Conformance.Tests;

/// <summary>
/// <c>strongroom compliance report</c> against real servers (issue 10): a deliberately weak
/// production deployment — plain HTTP allowed, a single unseal share, an operator without a second
/// factor, an account's audit retention below six months — fails exactly those rows; the default
/// production deployment (TLS, 3 of 5 shares, operators and a tenant administrator with TOTP, the
/// default retention) fails none. Both on a CN-only topology of three zones, so localisation and
/// redundancy hold in both. Mode-independent: excluded from the postgres and nginx passes.
/// </summary>
public sealed class ComplianceReportTests
{
    private const string Account = "acme";

    private static readonly string Topology = """
        # Written by the conformance tests (ComplianceReportTests).
        version = 1

        [[site]]
        id = "cn1"
        region = "cn-east"
        zone = "cn-east-1"
        jurisdiction = "CN"
        backend = "directory"
        path = "sites/cn1"

        [[site]]
        id = "cn2"
        region = "cn-east"
        zone = "cn-east-2"
        jurisdiction = "CN"
        backend = "directory"
        path = "sites/cn2"

        [[site]]
        id = "cn3"
        region = "cn-east"
        zone = "cn-east-3"
        jurisdiction = "CN"
        backend = "directory"
        path = "sites/cn3"

        """;

    [Fact]
    public async Task A_weak_deployment_fails_exactly_its_weak_rows()
    {
        await using var server = await StrongroomProcess.StartProductionAsync("compliance-weak", shares: 1, threshold: 1, topology: Topology);
        using (var api = new ManagementApi(server))
        {
            // The three posts exist, one of them without a second factor (the explicit opt-out).
            var security = await Principals.CreateFirstOperatorAsync(server, "sec-admin");
            var securityToken = await security.LoginAsync(api);
            await Principals.CreateOperatorAsync(api, securityToken, "sys-admin", "system-admin");
            var weakPassword = Principals.NewPassword();
            var created = (await api.PostAsync("v1/operators", new { name = "weak-auditor", role = "audit-admin", password = weakPassword, secondFactor = "none" }, securityToken)).Ok();
            Assert.Equal("none", created.Text("secondFactor"));
            Assert.False(created.Body.TryGetProperty("totpSecret", out _));

            // It signs in with its password alone (no code); a TOTP principal without a code does not.
            var signedIn = (await api.PostAsync("v1/login", new { kind = "operator", name = "weak-auditor", password = weakPassword }, null)).Ok();
            TestLogs.RecordSecret("session token", signedIn.Text("token"));
            var refused = await api.PostAsync("v1/login", new { kind = "operator", name = "sys-admin", password = weakPassword, code = string.Empty }, null);
            Assert.Equal(HttpStatusCode.Unauthorized, refused.Status);
        }

        await CreateAccountWithDataAsync(server);
        var retention = await server.RunCliAsync("audit", "settings", "--account", Account, "--retention-days", "180");
        Assert.True(retention.ExitCode == 0, retention.ToString());

        // The same deployment restarted with plain HTTP allowed.
        await server.StopGracefullyAsync();
        server.ExtraServerArguments = ["--dangerous-allow-http"];
        await server.StartAsync();
        await server.UnsealWithAsync(server.Shares);
        Assert.Equal("http", server.Endpoint.Scheme);

        var result = await server.RunCliAsync("compliance", "report", "--format", "json");

        Assert.True(result.ExitCode == 1, result.ToString());
        using var report = JsonDocument.Parse(result.StandardOutput);
        var rows = Rows(report);
        Assert.Equal(new HashSet<string> { "IA-3", "IA-4", "KM-2", "AU-3", "DC-1" }, Failed(rows));
        Assert.Contains("operator weak-auditor", rows["IA-4"].GetProperty("evidence").GetString(), StringComparison.Ordinal);
        Assert.Contains("1 share unseals", rows["KM-2"].GetProperty("evidence").GetString(), StringComparison.Ordinal);
        Assert.Contains("acme (180 days)", rows["AU-3"].GetProperty("evidence").GetString(), StringComparison.Ordinal);
        Assert.Contains("http://", rows["IA-3"].GetProperty("evidence").GetString(), StringComparison.Ordinal);
        Assert.Contains("failed rows IA-3, IA-4, KM-2, AU-3, DC-1.", result.StandardError, StringComparison.Ordinal);
    }

    [Fact]
    public async Task The_default_production_deployment_passes_every_automatic_row_in_every_format()
    {
        await using var server = await StrongroomProcess.StartProductionAsync("compliance-strong", shares: 5, threshold: 3, topology: Topology);
        using (var api = new ManagementApi(server))
        {
            var security = await Principals.CreateFirstOperatorAsync(server, "sec-admin");
            var securityToken = await security.LoginAsync(api);
            await Principals.CreateOperatorAsync(api, securityToken, "sys-admin", "system-admin");
            await Principals.CreateOperatorAsync(api, securityToken, "aud-admin", "audit-admin");
        }

        await CreateAccountWithDataAsync(server);
        await Principals.CreateTenantAdminAsync(server, Account, "tina");

        var result = await server.RunCliAsync("compliance", "report", "--format", "json");

        Assert.True(result.ExitCode == 0, result.ToString());
        using var report = JsonDocument.Parse(result.StandardOutput);
        Assert.Equal(1, report.RootElement.GetProperty("version").GetInt32());
        var rows = Rows(report);
        Assert.Empty(Failed(rows));
        Assert.Equal(0, report.RootElement.GetProperty("summary").GetProperty("fail").GetInt32());
        Assert.All(rows.Values.Where(row => row.GetProperty("status").GetString() == "manual"), row => Assert.False(string.IsNullOrWhiteSpace(row.GetProperty("assessor").GetString())));
        Assert.Contains("https://", rows["DC-1"].GetProperty("evidence").GetString(), StringComparison.Ordinal);
        Assert.Contains("3-of-5", rows["KM-2"].GetProperty("evidence").GetString(), StringComparison.Ordinal);
        Assert.Contains("acme CN", rows["DR-2"].GetProperty("evidence").GetString(), StringComparison.Ordinal);
        Assert.DoesNotContain("Scanned 0 copies", rows["DR-2"].GetProperty("evidence").GetString(), StringComparison.Ordinal);

        // Markdown and HTML to files; HTML parses as XML with one row per checklist row.
        var directory = Directory.CreateDirectory(server.DataDirectory + "-reports").FullName;
        var htmlPath = Path.Combine(directory, "report.html");
        var html = await server.RunCliAsync("compliance", "report", "--format", "html", "--output", htmlPath);
        Assert.True(html.ExitCode == 0, html.ToString());
        Assert.Contains("0 fail", html.StandardOutput, StringComparison.Ordinal);
        var page = XDocument.Load(XmlReader.Create(htmlPath, new XmlReaderSettings { DtdProcessing = DtdProcessing.Ignore }));
        Assert.Equal(rows.Count, page.Descendants("tbody").Single().Elements("tr").Count());

        var markdown = await server.RunCliAsync("compliance", "report");
        Assert.True(markdown.ExitCode == 0, markdown.ToString());
        Assert.Equal(rows.Count, markdown.StandardOutput.Split('\n').Count(line => line.StartsWith("| ", StringComparison.Ordinal) && !line.StartsWith("| ID", StringComparison.Ordinal)));

        var bogus = await server.RunCliAsync("compliance", "report", "--format", "bogus");
        Assert.Equal(2, bogus.ExitCode);
    }

    private static async Task CreateAccountWithDataAsync(StrongroomProcess server)
    {
        var created = await server.RunCliAsync("account", "create", Account, "--residency", "CN", "--primary-region", "cn-east", "--redundancy", "ZRS");
        var key = AccountKeys.Parse(created).Key1;
        TestLogs.RecordSecret("account key", key);
        var container = server.ServiceClient(Account, key).GetBlobContainerClient("evidence");
        await container.CreateAsync();
        await container.GetBlobClient("a.bin").UploadAsync(new BinaryData(Payloads.For("compliance/a.bin", 5000)));
    }

    private static Dictionary<string, JsonElement> Rows(JsonDocument report) =>
        report.RootElement.GetProperty("rows").EnumerateArray().ToDictionary(row => row.GetProperty("id").GetString()!, row => row.Clone(), StringComparer.Ordinal);

    private static HashSet<string> Failed(Dictionary<string, JsonElement> rows) =>
        rows.Where(pair => pair.Value.GetProperty("status").GetString() == "fail").Select(pair => pair.Key).ToHashSet(StringComparer.Ordinal);
}
