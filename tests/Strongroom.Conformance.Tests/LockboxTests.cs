using System.Net;
using System.Text.Json;
using Strongroom.Conformance.Tests.Infrastructure;
using Xunit;

namespace Strongroom.Conformance.Tests;

/// <summary>
/// The lockbox over the real management plane: an operator asks, a tenant administrator and a
/// security admin who is not the requester approve, the requester activates and takes a grant
/// token that no other operator can get, the tenant revokes; every step is in the account's log
/// with the justification. Then the same through the `strongroom lockbox` commands.
/// </summary>
public sealed class LockboxTests
{
    private const string Account = "acme";
    private const string Container = "photos";
    private const string Justification = "Ticket 4711: thumbnails missing since Tuesday";

    [Fact]
    public async Task A_request_needs_the_tenant_and_a_security_admin_and_only_its_operator_gets_the_grant()
    {
        await using var server = await StartAsync("lockbox-plane");
        using var api = new ManagementApi(server);
        var (sam, olga, otto, tina) = await PrincipalsAsync(server, api);
        var samToken = await sam.LoginAsync(api, ManagementApi.CurrentStep + 1);
        var olgaToken = await olga.LoginAsync(api);
        var ottoToken = await otto.LoginAsync(api);
        var tinaToken = await tina.LoginAsync(api);

        var created = await api.PostAsync("v1/lockbox/requests", new { account = Account, container = Container, prefix = "thumbnails/", access = "read-data", durationMinutes = 120, justification = Justification }, olgaToken);
        Assert.Equal(HttpStatusCode.Created, created.Status);
        var id = created.Text("id");
        Assert.Matches("^lbx-[0-9a-f]{16}$", id);
        Assert.Equal(("requested", "olga", "read-data", 120), (created.Text("state"), created.Text("requester"), created.Text("access"), created.Body.GetProperty("durationMinutes").GetInt32()));

        // Bad requests, and a refused account, container and role.
        Assert.Equal("InvalidAccessRequest", (await api.PostAsync("v1/lockbox/requests", new { account = Account, container = Container, access = "read-data", durationMinutes = 600, justification = Justification }, olgaToken)).ErrorCode);
        Assert.Equal("InvalidAccessRequest", (await api.PostAsync("v1/lockbox/requests", new { account = Account, container = Container, access = "write", durationMinutes = 60, justification = Justification }, olgaToken)).ErrorCode);
        var missing = await api.PostAsync("v1/lockbox/requests", new { account = Account, container = "videos", access = "metadata", durationMinutes = 60, justification = Justification }, olgaToken);
        Assert.Equal((HttpStatusCode.NotFound, "ContainerNotFound"), (missing.Status, missing.ErrorCode));
        Assert.Equal(HttpStatusCode.Unauthorized, (await api.PostAsync("v1/lockbox/requests", new { account = Account }, token: null)).Status);

        // The requester does not approve; a second security admin's approval is not the tenant's.
        var self = await api.PostAsync($"v1/lockbox/requests/{id}/approve", null, olgaToken);
        Assert.Equal((HttpStatusCode.Forbidden, "SelfApprovalNotAllowed"), (self.Status, self.ErrorCode));
        var half = (await api.PostAsync($"v1/lockbox/requests/{id}/approve", null, samToken)).Ok();
        Assert.Equal(("requested", "sam"), (half.Text("state"), half.Text("securityApprover")));
        Assert.Equal((HttpStatusCode.Conflict, "InvalidAccessState"), await StatusAsync(api.PostAsync($"v1/lockbox/requests/{id}/approve", null, samToken)));
        Assert.Equal((HttpStatusCode.Conflict, "InvalidAccessState"), await StatusAsync(api.PostAsync($"v1/lockbox/requests/{id}/activate", null, olgaToken)));
        var approved = (await api.PostAsync($"v1/lockbox/requests/{id}/approve", null, tinaToken)).Ok();
        Assert.Equal(("approved", "acme/tina"), (approved.Text("state"), approved.Text("tenantApprover")));

        // Only the requester activates and takes the token.
        Assert.Equal((HttpStatusCode.Forbidden, "RoleNotPermitted"), await StatusAsync(api.PostAsync($"v1/lockbox/requests/{id}/activate", null, ottoToken)));
        var active = (await api.PostAsync($"v1/lockbox/requests/{id}/activate", null, olgaToken)).Ok();
        Assert.Equal("active", active.Text("state"));
        Assert.Equal((HttpStatusCode.Forbidden, "RoleNotPermitted"), await StatusAsync(api.PostAsync($"v1/lockbox/requests/{id}/token", null, ottoToken)));
        Assert.Equal((HttpStatusCode.Forbidden, "RoleNotPermitted"), await StatusAsync(api.PostAsync($"v1/lockbox/requests/{id}/token", null, samToken)));
        var issued = (await api.PostAsync($"v1/lockbox/requests/{id}/token", null, olgaToken)).Ok();
        TestLogs.RecordSecret("grant token", issued.Text("token"));
        Assert.StartsWith("srgrant1.", issued.Text("token"), StringComparison.Ordinal);
        Assert.Equal((Account, Container, "thumbnails/", "read-data"), (issued.Text("account"), issued.Text("container"), issued.Text("prefix"), issued.Text("access")));
        Assert.Equal(active.Text("endsOn"), issued.Text("expiresOn"));

        // Who sees what: the tenant its account's, the requester its own, the other system admin nothing.
        Assert.Contains(id, (await api.GetAsync("v1/lockbox/requests", tinaToken)).Ok().Body.GetProperty("requests").EnumerateArray().Select(r => r.GetProperty("id").GetString()));
        Assert.Empty((await api.GetAsync("v1/lockbox/requests", ottoToken)).Ok().Body.GetProperty("requests").EnumerateArray());
        Assert.Equal((HttpStatusCode.NotFound, "LockboxRequestNotFound"), await StatusAsync(api.GetAsync($"v1/lockbox/requests/{id}", ottoToken)));
        Assert.Single((await api.GetAsync("v1/lockbox/requests?state=active", samToken)).Ok().Body.GetProperty("requests").EnumerateArray());
        Assert.Equal(HttpStatusCode.BadRequest, (await api.GetAsync("v1/lockbox/requests?state=open", samToken)).Status);

        // The tenant revokes; the grant is over for its operator.
        Assert.Equal((HttpStatusCode.Forbidden, "RoleNotPermitted"), await StatusAsync(api.PostAsync($"v1/lockbox/requests/{id}/revoke", null, olgaToken)));
        var revoked = (await api.PostAsync($"v1/lockbox/requests/{id}/revoke", null, tinaToken)).Ok();
        Assert.Equal(("revoked", "acme/tina"), (revoked.Text("state"), revoked.Text("endedBy")));
        Assert.Equal((HttpStatusCode.Conflict, "InvalidAccessState"), await StatusAsync(api.PostAsync($"v1/lockbox/requests/{id}/token", null, olgaToken)));

        // A second request, denied by the tenant with a reason: final.
        var second = (await api.PostAsync("v1/lockbox/requests", new { account = Account, container = Container, access = "metadata", durationMinutes = 30, justification = Justification }, ottoToken)).Ok().Text("id");
        var denied = (await api.PostAsync($"v1/lockbox/requests/{second}/deny", new { reason = "Not this week" }, tinaToken)).Ok();
        Assert.Equal(("denied", "acme/tina"), (denied.Text("state"), denied.Text("decidedBy")));
        Assert.Equal((HttpStatusCode.Conflict, "InvalidAccessState"), await StatusAsync(api.PostAsync($"v1/lockbox/requests/{second}/approve", null, samToken)));

        // Every step in the tenant's log, with the justification.
        var entries = await LockboxEntriesAsync(server);
        Assert.Equal(
            ["Lockbox.Request", "Lockbox.Approve", "Lockbox.Approve", "Lockbox.Activate", "Lockbox.IssueToken", "Lockbox.Revoke", "Lockbox.Request", "Lockbox.Deny"],
            entries.Select(entry => entry.GetProperty("action").GetString()));
        Assert.All(entries, entry => Assert.Equal(Justification, entry.GetProperty("justification").GetString()));
        Assert.Equal(["olga", "sam", "acme/tina", "olga", "olga", "acme/tina", "otto", "acme/tina"], entries.Select(entry => entry.GetProperty("actor").GetProperty("id").GetString()));
    }

    [Fact]
    public async Task The_lockbox_commands_request_approve_and_print_a_token()
    {
        await using var server = await StartAsync("lockbox-cli");
        using var api = new ManagementApi(server);
        var (sam, olga, _, tina) = await PrincipalsAsync(server, api);
        var samSession = Principals.WriteSession(server, sam, await sam.LoginAsync(api, ManagementApi.CurrentStep + 1));
        var olgaSession = Principals.WriteSession(server, olga, await olga.LoginAsync(api));
        var tinaSession = Principals.WriteSession(server, tina, await tina.LoginAsync(api));

        var request = await CliAsync(server, 0, "lockbox", "request", "--account", Account, "--container", Container, "--prefix", "2026/",
            "--access", "metadata", "--duration", "90m", "--justification", Justification, "--session", olgaSession, "--json");
        using var requestJson = JsonDocument.Parse(request.StandardOutput);
        var id = requestJson.RootElement.GetProperty("id").GetString()!;
        Assert.Equal(90, requestJson.RootElement.GetProperty("durationMinutes").GetInt32());

        var self = await CliAsync(server, 1, "lockbox", "approve", id, "--session", olgaSession);
        Assert.Contains("SelfApprovalNotAllowed", self.StandardError, StringComparison.Ordinal);
        Assert.Contains("(requested)", (await CliAsync(server, 0, "lockbox", "approve", id, "--session", tinaSession)).StandardOutput, StringComparison.Ordinal);
        Assert.Contains("(approved)", (await CliAsync(server, 0, "lockbox", "approve", id, "--session", samSession)).StandardOutput, StringComparison.Ordinal);
        Assert.Contains(id, (await CliAsync(server, 0, "lockbox", "list", "--state", "approved", "--session", tinaSession)).StandardOutput, StringComparison.Ordinal);
        await CliAsync(server, 0, "lockbox", "activate", id, "--session", olgaSession);

        // The token alone on standard output; nobody else gets one.
        var token = (await CliAsync(server, 0, "lockbox", "token", id, "--session", olgaSession)).StandardOutput.Trim();
        TestLogs.RecordSecret("grant token", token);
        Assert.Matches("^srgrant1\\.[A-Za-z0-9_-]+\\.[A-Za-z0-9_-]+$", token);
        Assert.Contains("RoleNotPermitted", (await CliAsync(server, 1, "lockbox", "token", id, "--session", tinaSession)).StandardError, StringComparison.Ordinal);

        var shown = await CliAsync(server, 0, "lockbox", "show", id, "--session", tinaSession);
        Assert.Contains("(active)", shown.StandardOutput, StringComparison.Ordinal);
        Assert.Contains(Justification, shown.StandardOutput, StringComparison.Ordinal);
        Assert.Contains("(ended)", (await CliAsync(server, 0, "lockbox", "end", id, "--session", olgaSession)).StandardOutput, StringComparison.Ordinal);
    }

    private static async Task<StrongroomProcess> StartAsync(string label)
    {
        var server = await StrongroomProcess.StartProductionAsync(label, shares: 1, threshold: 1);
        var (key, _) = await server.CreateAccountAsync(Account);
        await server.ServiceClient(Account, key).GetBlobContainerClient(Container).CreateAsync();
        return server;
    }

    /// <summary>A security admin (the first operator), two system admins (through the plane) and a tenant administrator of the account.</summary>
    private static async Task<(TestPrincipal Sam, TestPrincipal Olga, TestPrincipal Otto, TestPrincipal Tina)> PrincipalsAsync(StrongroomProcess server, ManagementApi api)
    {
        var sam = await Principals.CreateFirstOperatorAsync(server, "sam");
        var samToken = await sam.LoginAsync(api, ManagementApi.CurrentStep - 1);
        var olga = await Principals.CreateOperatorAsync(api, samToken, "olga", "system-admin");
        var otto = await Principals.CreateOperatorAsync(api, samToken, "otto", "system-admin");
        var tina = await Principals.CreateTenantAdminAsync(server, Account, "tina");
        return (sam, olga, otto, tina);
    }

    private static async Task<(HttpStatusCode, string?)> StatusAsync(Task<ManagementApi.Answer> call)
    {
        var answer = await call;
        return (answer.Status, answer.ErrorCode);
    }

    /// <summary>The Lockbox.* entries of the account's log, as <c>strongroom audit export</c> prints them.</summary>
    private static async Task<IReadOnlyList<JsonElement>> LockboxEntriesAsync(StrongroomProcess server)
    {
        var export = await server.RunCliAsync("audit", "export", "--account", Account);
        Assert.True(export.ExitCode == 0, export.ToString());
        var entries = new List<JsonElement>();
        foreach (var line in export.StandardOutput.Split('\n', StringSplitOptions.RemoveEmptyEntries))
        {
            using var document = JsonDocument.Parse(line);
            var entry = document.RootElement.GetProperty("entry");
            if (entry.GetProperty("action").GetString()!.StartsWith("Lockbox.", StringComparison.Ordinal))
            {
                entries.Add(entry.Clone());
            }
        }

        return entries;
    }

    private static async Task<CliResult> CliAsync(StrongroomProcess server, int exitCode, params string[] args)
    {
        var result = await server.RunCommandAsync(null, args);
        Assert.True(result.ExitCode == exitCode, result.ToString());
        return result;
    }
}
