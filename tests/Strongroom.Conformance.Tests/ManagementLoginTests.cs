using System.Net;
using System.Text.Json;
using Strongroom.Audit;
using Strongroom.Conformance.Tests.Infrastructure;
using Xunit;

namespace Strongroom.Conformance.Tests;

/// <summary>
/// Operators and tenant administrators end to end on a production server: the first operator on
/// the host, sign-in with password and TOTP on the management plane, operators of each role
/// created by a security admin, the failures (wrong password or code, lockout, replayed code),
/// logout, the CLI's login/whoami/logout round trip, and the platform log's entries.
/// </summary>
public sealed class ManagementLoginTests
{
    [Fact]
    public async Task The_first_operator_signs_in_creates_operators_of_each_role_and_signs_out()
    {
        await using var server = await StrongroomProcess.StartProductionAsync("mgmt-login", shares: 1, threshold: 1);
        using var api = new ManagementApi(server);
        var security = await Principals.CreateFirstOperatorAsync(server, "root-sec");

        var token = await security.LoginAsync(api);
        Assert.StartsWith("srsession1.", token, StringComparison.Ordinal);
        var whoami = (await api.GetAsync("v1/whoami", token)).Ok();
        Assert.Equal("operator", whoami.Text("kind"));
        Assert.Equal("root-sec", whoami.Text("name"));
        Assert.Equal("security-admin", whoami.Text("role"));

        // The host creates no second operator: the plane does, by a security admin.
        var refused = await server.RunCliWithInputAsync(Principals.NewPassword() + "\n", "operator", "create", "second", "--role", "audit-admin", "--json");
        Assert.NotEqual(0, refused.ExitCode);
        Assert.Contains("management plane", refused.StandardError, StringComparison.Ordinal);

        var system = await Principals.CreateOperatorAsync(api, token, "sys-one", "system-admin");
        var auditor = await Principals.CreateOperatorAsync(api, token, "aud-one", "audit-admin");
        await Principals.CreateOperatorAsync(api, token, "sec-two", "security-admin");

        // Exactly one role, from the list.
        var noRole = await api.PostAsync("v1/operators", new { name = "norole", password = Principals.NewPassword() }, token);
        Assert.Equal(HttpStatusCode.BadRequest, noRole.Status);
        Assert.Equal("InvalidAccessRequest", noRole.ErrorCode);
        var twoRoles = await api.PostAsync("v1/operators", new { name = "tworoles", role = new[] { "system-admin", "audit-admin" }, password = Principals.NewPassword() }, token);
        Assert.Equal("InvalidAccessRequest", twoRoles.ErrorCode);
        var weak = await api.PostAsync("v1/operators", new { name = "weak", role = "audit-admin", password = "alllowercaseletters" }, token);
        Assert.Equal("InvalidAccessRequest", weak.ErrorCode);

        // A system admin creates no operator and lists none.
        var systemToken = await system.LoginAsync(api);
        var notAllowed = await api.PostAsync("v1/operators", new { name = "sneaky", role = "security-admin", password = Principals.NewPassword() }, systemToken);
        Assert.Equal(HttpStatusCode.Forbidden, notAllowed.Status);
        Assert.Equal("RoleNotPermitted", notAllowed.ErrorCode);

        // An audit admin lists them.
        var auditorToken = await auditor.LoginAsync(api);
        var list = (await api.GetAsync("v1/operators", auditorToken)).Ok();
        var names = list.Body.GetProperty("operators").EnumerateArray().Select(o => o.GetProperty("name").GetString()).ToList();
        Assert.Equal(["aud-one", "root-sec", "sec-two", "sys-one"], names);

        (await api.PostAsync("v1/logout", null, token)).Ok();
        var after = await api.GetAsync("v1/whoami", token);
        Assert.Equal(HttpStatusCode.Unauthorized, after.Status);
        Assert.Equal("SessionInvalid", after.ErrorCode);

        // Anonymous calls are refused.
        Assert.Equal(HttpStatusCode.Unauthorized, (await api.GetAsync("v1/whoami", null)).Status);

        var tail = await server.RunCliAsync("audit", "tail", "--platform", "-n", "50");
        Assert.True(tail.ExitCode == 0, tail.ToString());
        Assert.Contains(AuditActions.CreateOperator, tail.StandardOutput, StringComparison.Ordinal);
        Assert.Contains(AuditActions.Login, tail.StandardOutput, StringComparison.Ordinal);
        Assert.Contains(AuditActions.Logout, tail.StandardOutput, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Wrong_factors_fail_alike_five_failures_lock_and_a_replayed_code_is_refused()
    {
        await using var server = await StrongroomProcess.StartProductionAsync("mgmt-lockout", shares: 1, threshold: 1);
        using var api = new ManagementApi(server);
        var security = await Principals.CreateFirstOperatorAsync(server, "guard");
        var token = await security.LoginAsync(api, ManagementApi.CurrentStep - 1);
        var victim = await Principals.CreateOperatorAsync(api, token, "victim", "system-admin");

        // A code accepted once is refused the second time.
        var step = ManagementApi.CurrentStep;
        (await api.LoginAsync("operator", null, "victim", victim.Password, victim.TotpSecret, step)).Ok();
        var replay = await api.LoginAsync("operator", null, "victim", victim.Password, victim.TotpSecret, step);
        Assert.Equal(HttpStatusCode.Unauthorized, replay.Status);
        Assert.Equal("TotpCodeReused", replay.ErrorCode);

        // Wrong password, wrong code, unknown name: one answer.
        var wrongPassword = await api.LoginAsync("operator", null, "victim", victim.Password + "x", victim.TotpSecret, step + 1);
        var wrongCode = await api.PostAsync("v1/login", new { kind = "operator", name = "victim", password = victim.Password, code = "000000" }, null);
        var unknown = await api.LoginAsync("operator", null, "nobody", victim.Password, victim.TotpSecret, step + 1);
        foreach (var failed in new[] { wrongPassword, wrongCode, unknown })
        {
            Assert.Equal(HttpStatusCode.Unauthorized, failed.Status);
            Assert.Equal("LoginFailed", failed.ErrorCode);
        }

        Assert.Equal(wrongPassword.Body.GetProperty("error").GetProperty("message").GetString(), unknown.Body.GetProperty("error").GetProperty("message").GetString());

        // The replay counted, and so did two failures: two more lock it.
        for (var i = 0; i < 2; i++)
        {
            Assert.Equal("LoginFailed", (await api.LoginAsync("operator", null, "victim", "Wrong-password-1", victim.TotpSecret, step + 1)).ErrorCode);
        }

        var locked = await api.LoginAsync("operator", null, "victim", victim.Password, victim.TotpSecret, step + 1);
        Assert.Equal(HttpStatusCode.Forbidden, locked.Status);
        Assert.Equal("PrincipalLocked", locked.ErrorCode);

        var listed = (await api.GetAsync("v1/operators", token)).Ok().Body.GetProperty("operators").EnumerateArray().Single(o => o.GetProperty("name").GetString() == "victim");
        Assert.True(listed.GetProperty("locked").GetBoolean());

        var tail = await server.RunCliAsync("audit", "tail", "--platform", "-n", "50");
        Assert.Contains("LoginFailed", tail.StandardOutput, StringComparison.Ordinal);
        Assert.Contains("PrincipalLocked", tail.StandardOutput, StringComparison.Ordinal);
        Assert.Contains("TotpCodeReused", tail.StandardOutput, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Tenant_administrators_are_created_on_the_host_and_sign_in_to_their_account()
    {
        await using var server = await StrongroomProcess.StartProductionAsync("mgmt-tenant", shares: 1, threshold: 1);
        using var api = new ManagementApi(server);
        await server.CreateAccountAsync("acme");
        await server.CreateAccountAsync("globex");
        var alice = await Principals.CreateTenantAdminAsync(server, "acme", "alice");

        var token = await alice.LoginAsync(api);
        var whoami = (await api.GetAsync("v1/whoami", token)).Ok();
        Assert.Equal("tenant-admin", whoami.Text("kind"));
        Assert.Equal("acme", whoami.Text("account"));

        // Alice adds a colleague to her account, not to another.
        var bob = (await api.PostAsync("v1/accounts/acme/admins", new { name = "bob", password = Principals.NewPassword() }, token)).Ok();
        Assert.Equal(HttpStatusCode.Created, bob.Status);
        TestLogs.RecordSecret("totp secret", bob.Text("totpSecret"));
        Assert.StartsWith("otpauth://totp/", bob.Text("otpauthUri"), StringComparison.Ordinal);
        var elsewhere = await api.PostAsync("v1/accounts/globex/admins", new { name = "mallory", password = Principals.NewPassword() }, token);
        Assert.Equal("RoleNotPermitted", elsewhere.ErrorCode);
        Assert.Equal("RoleNotPermitted", (await api.GetAsync("v1/operators", token)).ErrorCode);

        var admins = (await api.GetAsync("v1/accounts/acme/admins", token)).Ok().Body.GetProperty("admins");
        Assert.Equal(2, admins.GetArrayLength());

        // The host lists them too, as JSON.
        var hostList = await server.RunCliAsync("account", "admin", "list", "acme", "--json");
        Assert.True(hostList.ExitCode == 0, hostList.ToString());
        using var listed = JsonDocument.Parse(hostList.StandardOutput);
        Assert.Equal(["alice", "bob"], listed.RootElement.EnumerateArray().Select(a => a.GetProperty("name").GetString()));

        // Signing in names the account: the same name in another account does not exist.
        var wrongAccount = await api.LoginAsync("tenant-admin", "globex", "alice", alice.Password, alice.TotpSecret, ManagementApi.CurrentStep + 1);
        Assert.Equal("LoginFailed", wrongAccount.ErrorCode);

        var tail = await server.RunCliAsync("audit", "tail", "--account", "acme", "-n", "50");
        Assert.Contains(AuditActions.CreateTenantAdmin, tail.StandardOutput, StringComparison.Ordinal);
        Assert.Contains(AuditActions.Login, tail.StandardOutput, StringComparison.Ordinal);
    }

    [Fact]
    public async Task The_CLI_signs_in_shows_who_and_signs_out()
    {
        await using var server = await StrongroomProcess.StartProductionAsync("mgmt-cli", shares: 1, threshold: 1);
        var security = await Principals.CreateFirstOperatorAsync(server, "cli-sec");
        var sessionFile = Path.Combine(server.DataDirectory + "-session", "session.json");
        var code = ManagementApi.Code(security.TotpSecret);

        var login = await server.RunCommandAsync(
            $"{security.Password}\n{code}\n",
            "login", "cli-sec", "--server", server.ManagementEndpoint.ToString(), "--ca-cert", server.CertificatePath, "--session", sessionFile, "--json");
        Assert.True(login.ExitCode == 0, login.ToString());
        Assert.DoesNotContain("srsession1.", login.StandardOutput, StringComparison.Ordinal);
        if (!OperatingSystem.IsWindows())
        {
            Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(sessionFile));
        }

        using (var session = JsonDocument.Parse(File.ReadAllText(sessionFile)))
        {
            TestLogs.RecordSecret("session token", session.RootElement.GetProperty("token").GetString()!);
        }

        var whoami = await server.RunCommandAsync(null, "whoami", "--session", sessionFile, "--json");
        Assert.True(whoami.ExitCode == 0, whoami.ToString());
        using (var who = JsonDocument.Parse(whoami.StandardOutput))
        {
            Assert.Equal("cli-sec", who.RootElement.GetProperty("name").GetString());
            Assert.Equal("security-admin", who.RootElement.GetProperty("role").GetString());
        }

        // Operators through the plane with the saved session.
        var created = await server.RunCommandAsync(Principals.NewPassword() + "\n", "operator", "create", "cli-aud", "--role", "audit-admin", "--session", sessionFile, "--json");
        Assert.True(created.ExitCode == 0, created.ToString());
        using (var enrolled = JsonDocument.Parse(created.StandardOutput))
        {
            TestLogs.RecordSecret("totp secret", enrolled.RootElement.GetProperty("totpSecret").GetString()!);
            Assert.Equal("audit-admin", enrolled.RootElement.GetProperty("role").GetString());
        }

        var list = await server.RunCommandAsync(null, "operator", "list", "--session", sessionFile);
        Assert.True(list.ExitCode == 0, list.ToString());
        Assert.Contains("cli-aud", list.StandardOutput, StringComparison.Ordinal);

        var logout = await server.RunCommandAsync(null, "logout", "--session", sessionFile);
        Assert.True(logout.ExitCode == 0, logout.ToString());
        Assert.False(File.Exists(sessionFile));
        var gone = await server.RunCommandAsync(null, "whoami", "--session", sessionFile);
        Assert.NotEqual(0, gone.ExitCode);
    }

    [Fact]
    public async Task Sign_in_is_not_answered_while_the_vault_is_sealed()
    {
        await using var server = await StrongroomProcess.StartProductionAsync("mgmt-sealed", shares: 1, threshold: 1, unseal: false);
        using var api = new ManagementApi(server);

        var sealedLogin = await api.PostAsync("v1/login", new { kind = "operator", name = "anyone", password = "Whatever-it-is-1", code = "123456" }, null);

        Assert.Equal(HttpStatusCode.ServiceUnavailable, sealedLogin.Status);
        Assert.Equal("VaultSealed", sealedLogin.ErrorCode);
    }
}
