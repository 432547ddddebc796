using System.Net;
using System.Text;
using System.Text.Json;
using Strongroom.Conformance.Tests.Infrastructure;
using Xunit;

namespace Strongroom.Conformance.Tests;

/// <summary>
/// The management plane of a real production server: its own listener (neither API answers on the
/// other's port), HTTPS only, the seal (status and unseal through the plane), who reads which log
/// and which locations, the CLI's <c>audit verify --session</c> and <c>account locations --session</c>,
/// and every refused privileged call in the platform log.
/// </summary>
public sealed class ManagementPlaneTests
{
    [Fact]
    public async Task The_management_api_and_the_blob_api_each_answer_only_on_their_own_port()
    {
        await using var server = await StrongroomProcess.StartProductionAsync("mgmt-ports");
        Assert.NotEqual(server.Port, server.ManagementPort);
        Assert.Equal("https", server.ManagementEndpoint.Scheme);

        using var api = new ManagementApi(server);
        var status = await api.GetAsync("v1/sys/seal-status", token: null);
        Assert.Equal(HttpStatusCode.OK, status.Status);
        Assert.False(status.Body.GetProperty("sealed").GetBoolean());

        // The Blob API (and the data plane's own endpoints) are not served on the management port.
        using var management = new HttpClient(server.TrustingHandler()) { BaseAddress = server.ManagementEndpoint };
        foreach (var path in new[] { "?comp=list", "devstoreaccount1?comp=list", ".strongroom/sys/seal-status", ".strongroom/health/ready", ".strongroom/log/checkpoint" })
        {
            using var response = await management.GetAsync(path);
            Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
            var body = await response.Content.ReadAsStringAsync();
            Assert.Contains("\"NotFound\"", body, StringComparison.Ordinal);
            Assert.Equal("no-store", response.Headers.CacheControl?.ToString());
        }

        // The management API is not served on the Blob port.
        using var blob = server.CreateHttpClient();
        foreach (var path in new[] { "v1/sys/seal-status", "v1/accounts", "v1/log/platform/checkpoint" })
        {
            using var response = await blob.GetAsync(path);
            Assert.NotEqual(HttpStatusCode.OK, response.StatusCode);
            var body = await response.Content.ReadAsStringAsync();
            Assert.DoesNotContain("\"sealed\"", body, StringComparison.Ordinal);
            Assert.DoesNotContain("\"accounts\"", body, StringComparison.Ordinal);
        }
    }

    [Fact]
    public async Task Plain_http_to_the_production_management_port_fails()
    {
        await using var server = await StrongroomProcess.StartProductionAsync("mgmt-http");
        using var http = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{server.ManagementPort}/"), Timeout = TimeSpan.FromSeconds(30) };
        HttpResponseMessage? response = null;
        try
        {
            response = await http.GetAsync("v1/sys/seal-status");
        }
        catch (HttpRequestException)
        {
            // The TLS listener drops a plaintext request: the usual outcome.
        }

        using (response)
        {
            Assert.True(response is null || !response.IsSuccessStatusCode, $"plain HTTP answered {(int?)response?.StatusCode}");
        }
    }

    [Fact]
    public async Task A_sealed_server_answers_the_seal_status_and_unseals_through_the_plane()
    {
        await using var server = await StrongroomProcess.StartProductionAsync("mgmt-sealed", shares: 3, threshold: 2, unseal: false);
        using var api = new ManagementApi(server);

        var sealedStatus = (await api.GetAsync("v1/sys/seal-status", token: null)).Ok();
        Assert.True(sealedStatus.Body.GetProperty("sealed").GetBoolean());
        Assert.Equal(2, sealedStatus.Body.GetProperty("t").GetInt32());
        Assert.Equal(3, sealedStatus.Body.GetProperty("n").GetInt32());

        // Everything else waits for the custodians (no session needed to learn that).
        var accounts = await api.GetAsync("v1/accounts", token: null);
        Assert.Equal(HttpStatusCode.ServiceUnavailable, accounts.Status);
        Assert.Equal("VaultSealed", accounts.ErrorCode);

        var first = (await api.CallAsync(HttpMethod.Put, "v1/sys/unseal", new { key = server.Shares[0] })).Ok();
        Assert.Equal(1, first.Body.GetProperty("progress").GetInt32());
        Assert.True(first.Body.GetProperty("sealed").GetBoolean());

        var wrong = await api.CallAsync(HttpMethod.Put, "v1/sys/unseal", new { key = "srs1-not-a-share" });
        Assert.Equal(HttpStatusCode.BadRequest, wrong.Status);
        Assert.Equal("InvalidUnsealShare", wrong.ErrorCode);
        Assert.DoesNotContain("not-a-share", wrong.Body.ToString(), StringComparison.Ordinal);

        var opened = (await api.CallAsync(HttpMethod.Put, "v1/sys/unseal", new { key = server.Shares[2] })).Ok();
        Assert.False(opened.Body.GetProperty("sealed").GetBoolean());
        foreach (var share in server.Shares)
        {
            Assert.DoesNotContain(share, opened.Body.ToString(), StringComparison.Ordinal);
        }

        // The same facts, in the same members, as the data plane's seal status.
        using var blob = server.CreateHttpClient();
        using var dataPlane = JsonDocument.Parse(await blob.GetStringAsync(".strongroom/sys/seal-status"));
        var management = (await api.GetAsync("v1/sys/seal-status", token: null)).Ok().Body;
        Assert.Equal(
            dataPlane.RootElement.EnumerateObject().Select(member => (member.Name, member.Value.ToString())),
            management.EnumerateObject().Select(member => (member.Name, member.Value.ToString())));

        // The unseal is in the platform log, by an anonymous custodian, with no share in it.
        var tail = await server.RunCliAsync("audit", "tail", "--platform", "-n", "5");
        Assert.True(tail.ExitCode == 0, tail.ToString());
        Assert.Contains("anonymous:custodian Unseal platform:vault Success", tail.StandardOutput, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_call_without_a_session_is_401_and_recorded_in_the_platform_log()
    {
        await using var server = await StrongroomProcess.StartProductionAsync("mgmt-refused-anonymous");
        using var api = new ManagementApi(server);
        var refused = await api.GetAsync("v1/log/platform/checkpoint", token: null);
        Assert.Equal(HttpStatusCode.Unauthorized, refused.Status);
        Assert.Equal("SessionInvalid", refused.ErrorCode);

        var tail = await server.RunCliAsync("audit", "tail", "--platform", "-n", "3");
        Assert.True(tail.ExitCode == 0, tail.ToString());
        Assert.Contains("anonymous:anonymous Management.GET v1/log/platform/checkpoint management:/v1/log/platform/checkpoint SessionInvalid", tail.StandardOutput, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Sign_in_waits_for_the_unseal()
    {
        await using var server = await StrongroomProcess.StartProductionAsync("mgmt-sealed-login", unseal: false);
        using var api = new ManagementApi(server);
        var login = await api.PostAsync("v1/login", new { kind = "operator", name = "alice", password = "whatever-it-is-1A", code = "000000" }, token: null);
        Assert.Equal(HttpStatusCode.ServiceUnavailable, login.Status);
        Assert.Equal("VaultSealed", login.ErrorCode);
    }

    [Fact]
    public async Task An_audit_admin_reads_and_verifies_the_platform_log_with_the_cli()
    {
        await using var server = await StrongroomProcess.StartProductionAsync("mgmt-audit-admin");
        using var api = new ManagementApi(server);
        var security = await Principals.CreateFirstOperatorAsync(server, "sam");
        var securityToken = await security.LoginAsync(api, ManagementApi.CurrentStep - 1);
        var auditor = await Principals.CreateOperatorAsync(api, securityToken, "audrey", "audit-admin");
        var auditorToken = await auditor.LoginAsync(api);
        var session = Principals.WriteSession(server, "audrey", "operator", null, auditorToken);
        var state = Path.Combine(server.DataDirectory + "-verifier");

        var verify = await server.RunCommandAsync(null, "audit", "verify", "--session", session, "--platform", "--ca-cert", server.CertificatePath, "--state-dir", state);
        Assert.True(verify.ExitCode == 0, verify.ToString());
        Assert.Contains("verified ", verify.StandardOutput, StringComparison.Ordinal);

        var tail = await server.RunCommandAsync(null, "audit", "tail", "--session", session, "--platform", "-n", "50", "--ca-cert", server.CertificatePath);
        Assert.True(tail.ExitCode == 0, tail.ToString());
        Assert.Contains("operator:audrey Access.Login", tail.StandardOutput, StringComparison.Ordinal);
        Assert.DoesNotContain(auditorToken, verify.StandardOutput + verify.StandardError + tail.StandardOutput + tail.StandardError, StringComparison.Ordinal);

        // A second verification is consistent with the first (the log grew by the sign-ins since).
        var again = await server.RunCommandAsync(null, "audit", "verify", "--session", session, "--platform", "--ca-cert", server.CertificatePath, "--state-dir", state);
        Assert.True(again.ExitCode == 0, again.ToString());
        Assert.Contains("consistent with the checkpoint seen last time", again.StandardOutput, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_tenant_admin_reads_its_accounts_log_and_locations_and_nothing_of_another_account()
    {
        await using var server = await StrongroomProcess.StartProductionAsync("mgmt-tenant-admin");
        await server.CreateAccountAsync("acme");
        await server.CreateAccountAsync("globex");
        using var api = new ManagementApi(server);
        var dana = await Principals.CreateTenantAdminAsync(server, "acme", "dana");
        var token = await dana.LoginAsync(api);

        var entries = (await api.GetAsync("v1/accounts/acme/log/entries?start=0&end=1", token)).Ok();
        Assert.True(entries.Body.GetProperty("size").GetInt64() >= 1);
        var locations = (await api.GetAsync("v1/accounts/acme/locations", token)).Ok();
        Assert.Equal("acme", locations.Text("account"));

        foreach (var path in new[] { "v1/accounts/globex/log/checkpoint", "v1/accounts/globex/locations", "v1/log/platform/checkpoint", "v1/accounts", "v1/sites" })
        {
            var refused = await api.GetAsync(path, token);
            Assert.Equal(HttpStatusCode.Forbidden, refused.Status);
            Assert.Equal("RoleNotPermitted", refused.ErrorCode);
        }

        // The CLI over the plane: the log verifies, the locations print, the report is signed.
        var session = Principals.WriteSession(server, "dana", "tenant-admin", "acme", token);
        var verify = await server.RunCommandAsync(null, "audit", "verify", "--session", session, "--account", "acme", "--ca-cert", server.CertificatePath, "--state-dir", server.DataDirectory + "-verifier");
        Assert.True(verify.ExitCode == 0, verify.ToString());
        var report = Path.Combine(server.DataDirectory + "-verifier", "acme-report.txt");
        var cli = await server.RunCommandAsync(null, "account", "locations", "acme", "--session", session, "--ca-cert", server.CertificatePath, "--report", report);
        Assert.True(cli.ExitCode == 0, cli.ToString());
        Assert.Contains("Account:           acme", cli.StandardOutput, StringComparison.Ordinal);
        Assert.True(File.Exists(report));
        var other = await server.RunCommandAsync(null, "account", "locations", "globex", "--session", session, "--ca-cert", server.CertificatePath);
        Assert.Equal(1, other.ExitCode);
        Assert.Contains("RoleNotPermitted", other.StandardError, StringComparison.Ordinal);

        // The refusals are in the platform log, attributed to the tenant administrator.
        var tail = await server.RunCliAsync("audit", "tail", "--platform", "-n", "20");
        Assert.Contains("tenant-admin:acme/dana Management.GET v1/accounts/{account}/log/checkpoint management:/v1/accounts/globex/log/checkpoint RoleNotPermitted", tail.StandardOutput, StringComparison.Ordinal);
        Assert.Contains("tenant-admin:acme/dana Management.GET v1/accounts/{account}/locations management:/v1/accounts/globex/locations RoleNotPermitted", tail.StandardOutput, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_system_admin_reads_accounts_and_sites_but_no_log_and_no_locations()
    {
        await using var server = await StrongroomProcess.StartProductionAsync("mgmt-system-admin");
        await server.CreateAccountAsync("acme");
        using var api = new ManagementApi(server);
        var security = await Principals.CreateFirstOperatorAsync(server, "sam");
        var securityToken = await security.LoginAsync(api, ManagementApi.CurrentStep - 1);
        var sysop = await Principals.CreateOperatorAsync(api, securityToken, "sysop", "system-admin");
        var token = await sysop.LoginAsync(api);

        var accounts = (await api.GetAsync("v1/accounts", token)).Ok();
        Assert.Contains(accounts.Body.GetProperty("accounts").EnumerateArray(), account => account.GetProperty("name").GetString() == "acme");
        var sites = (await api.GetAsync("v1/sites", token)).Ok();
        Assert.NotEmpty(sites.Body.GetProperty("sites").EnumerateArray());

        foreach (var path in new[] { "v1/accounts/acme/log/entries?start=0&end=1", "v1/accounts/acme/locations", "v1/log/platform/checkpoint" })
        {
            var refused = await api.GetAsync(path, token);
            Assert.Equal(HttpStatusCode.Forbidden, refused.Status);
            Assert.Equal("RoleNotPermitted", refused.ErrorCode);
        }

        // The security admin reads the platform log and finds the system admin's refusals there.
        var size = (await api.GetAsync("v1/log/platform/checkpoint", securityToken)).Ok();
        Assert.Contains("\n", size.Text("checkpoint"), StringComparison.Ordinal);
        var tail = await server.RunCliAsync("audit", "tail", "--platform", "-n", "10");
        Assert.Contains("operator:sysop Management.GET v1/accounts/{account}/log/entries management:/v1/accounts/acme/log/entries RoleNotPermitted", tail.StandardOutput, StringComparison.Ordinal);
        Assert.Contains("operator:sysop Management.GET v1/log/platform/checkpoint management:/v1/log/platform/checkpoint RoleNotPermitted", tail.StandardOutput, StringComparison.Ordinal);
    }
}
