using System.Text.Json;
using Strongroom.Core;
using Strongroom.Server;
using Strongroom.Vault;

namespace Strongroom.Cli.Tests;

/// <summary>The identity commands on the host (a development directory, offline; init --operator) and their refusals.</summary>
public sealed class OperatorCommandTests : IDisposable
{
    private const string Password = "Correct-horse-battery-7";

    private readonly TempDataDirectory data = new TempDataDirectory().InitializeDevelopment();

    public void Dispose() => data.Dispose();

    [Fact]
    public async Task The_host_creates_the_first_operator_once_and_prints_its_enrollment_as_json()
    {
        var created = await data.RunWithDataAndInputAsync(Password + "\n", "operator", "create", "root", "--role", "security-admin", "--json");

        Assert.True(created.ExitCode == 0, created.ToString());
        using var document = JsonDocument.Parse(created.Output);
        var root = document.RootElement;
        Assert.Equal("root", root.GetProperty("name").GetString());
        Assert.Equal("security-admin", root.GetProperty("role").GetString());
        var secret = root.GetProperty("totpSecret").GetString()!;
        Assert.Equal(32, secret.Length);
        Assert.StartsWith("otpauth://totp/Strongroom%20", root.GetProperty("otpauthUri").GetString(), StringComparison.Ordinal);
        Assert.Contains($"secret={secret}&issuer=Strongroom&algorithm=SHA1&digits=6&period=30", root.GetProperty("otpauthUri").GetString(), StringComparison.Ordinal);
        Assert.DoesNotContain(Password, created.Output + created.Error, StringComparison.Ordinal);

        var second = await data.RunWithDataAndInputAsync(Password + "\n", "operator", "create", "another", "--role", "audit-admin");
        Assert.Equal(1, second.ExitCode);
        Assert.Contains("RoleNotPermitted", second.Error, StringComparison.Ordinal);
        Assert.Contains("management plane", second.Error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Text_enrollment_shows_the_secret_the_uri_and_a_qr_code()
    {
        var created = await data.RunWithDataAndInputAsync(Password + "\n", "operator", "create", "root", "--role", "system-admin");

        Assert.True(created.ExitCode == 0, created.ToString());
        Assert.Contains("Created operator root (system-admin).", created.Output, StringComparison.Ordinal);
        Assert.Contains("TOTP secret (base32): ", created.Output, StringComparison.Ordinal);
        Assert.Contains("otpauth://totp/", created.Output, StringComparison.Ordinal);
        Assert.Contains("█", created.Output, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("short-1A")]
    [InlineData("onlylowercaseletters")]
    [InlineData("lowercase-and-symbols")]
    public async Task A_password_that_breaks_the_rules_is_refused_before_anything_is_created(string password)
    {
        var refused = await data.RunWithDataAndInputAsync(password + "\n", "operator", "create", "root", "--role", "security-admin");

        Assert.Equal(2, refused.ExitCode);
        Assert.Contains("InvalidAccessRequest", refused.Error, StringComparison.Ordinal);
        Assert.DoesNotContain(password, refused.Error, StringComparison.Ordinal);

        // Nothing was created: the bootstrap is still open.
        Assert.Equal(0, (await data.RunWithDataAndInputAsync(Password + "\n", "operator", "create", "root", "--role", "security-admin")).ExitCode);
    }

    [Fact]
    public async Task Refusals_of_the_command_line()
    {
        Assert.Equal(2, (await data.RunWithDataAndInputAsync(Password + "\n", "operator", "create", "root", "--role", "superuser")).ExitCode);
        Assert.Equal(2, (await data.RunWithDataAndInputAsync(Password + "\n", "operator", "create", "root")).ExitCode);
        Assert.Equal(2, (await data.RunWithDataAndInputAsync(Password + "\n", "operator", "create", "root", "--role", "audit-admin", "--session", "s.json")).ExitCode);

        var badName = await data.RunWithDataAndInputAsync(Password + "\n", "operator", "create", "Root!", "--role", "audit-admin");
        Assert.Equal(1, badName.ExitCode);
        Assert.Contains("InvalidAccessRequest", badName.Error, StringComparison.Ordinal);

        var noPassword = await data.RunWithDataAsync("operator", "create", "root", "--role", "audit-admin");
        Assert.Equal(1, noPassword.ExitCode);
        Assert.Contains("no password", noPassword.Error, StringComparison.Ordinal);

        var noSession = await TempDataDirectory.RunAsync("whoami", "--session", Path.Combine(data.Path, "missing.json"));
        Assert.Equal(1, noSession.ExitCode);
        Assert.Contains("strongroom login", noSession.Error, StringComparison.Ordinal);

        Assert.Equal(2, (await TempDataDirectory.RunWithInputAsync(Password + "\n123456\n", "login", "root")).ExitCode);
    }

    [Fact]
    public async Task Tenant_administrators_are_created_listed_and_disabled_on_the_host()
    {
        Assert.Equal(0, (await data.RunWithDataAsync("account", "create", "acme")).ExitCode);

        var alice = await data.RunWithDataAndInputAsync(Password + "\n", "account", "admin", "create", "acme", "alice", "--json");
        Assert.True(alice.ExitCode == 0, alice.ToString());
        using (var document = JsonDocument.Parse(alice.Output))
        {
            Assert.Equal("acme", document.RootElement.GetProperty("account").GetString());
            Assert.Equal("alice", document.RootElement.GetProperty("name").GetString());
            Assert.False(document.RootElement.TryGetProperty("role", out _));
            Assert.Contains("acme%2Falice", document.RootElement.GetProperty("otpauthUri").GetString(), StringComparison.Ordinal);
        }

        Assert.Equal(0, (await data.RunWithDataAndInputAsync(Password + "\n", "account", "admin", "create", "acme", "bob")).ExitCode);
        var duplicate = await data.RunWithDataAndInputAsync(Password + "\n", "account", "admin", "create", "acme", "bob");
        Assert.Equal(1, duplicate.ExitCode);
        Assert.Contains("PrincipalAlreadyExists", duplicate.Error, StringComparison.Ordinal);
        var missing = await data.RunWithDataAndInputAsync(Password + "\n", "account", "admin", "create", "nosuch", "carol");
        Assert.Equal(1, missing.ExitCode);
        Assert.Contains("AccountNotFound", missing.Error, StringComparison.Ordinal);

        Assert.Equal(0, (await data.RunWithDataAsync("account", "admin", "disable", "acme", "bob")).ExitCode);
        var list = await data.RunWithDataAsync("account", "admin", "list", "acme", "--json");
        Assert.True(list.ExitCode == 0, list.ToString());
        using (var document = JsonDocument.Parse(list.Output))
        {
            var admins = document.RootElement.EnumerateArray().ToList();
            Assert.Equal(["alice", "bob"], admins.Select(a => a.GetProperty("name").GetString()));
            Assert.Equal([false, true], admins.Select(a => a.GetProperty("disabled").GetBoolean()));
        }

        var text = await data.RunWithDataAsync("account", "admin", "list", "acme");
        Assert.Contains("disabled", text.Output, StringComparison.Ordinal);
        Assert.Equal(1, (await data.RunWithDataAsync("account", "admin", "disable", "acme", "nobody")).ExitCode);

        // Every step is in the account's log; no password, no secret.
        var tail = await data.RunWithDataAsync("audit", "tail", "--account", "acme", "-n", "20");
        Assert.Contains("Access.CreateTenantAdmin", tail.Output, StringComparison.Ordinal);
        Assert.Contains("Access.DisableTenantAdmin", tail.Output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Init_with_operator_creates_the_first_security_admin()
    {
        using var production = new TempDataDirectory();
        var shareDirectory = production.Path + "-shares";
        try
        {
            var init = await production.RunWithDataAndInputAsync(Password + "\n", "init", "--shares", "2", "--threshold", "2", "--share-dir", shareDirectory, "--operator", "first");

            Assert.True(init.ExitCode == 0, init.ToString());
            Assert.Contains("Created operator first (security-admin).", init.Output, StringComparison.Ordinal);
            Assert.Contains("otpauth://totp/", init.Output, StringComparison.Ordinal);

            var directory = new DataDirectory(production.Path);
            await using var deployment = await Deployment.OpenAsync(directory, TimeProvider.System, SystemRandomSource.Instance);
            foreach (var file in Directory.GetFiles(shareDirectory))
            {
                deployment.Vault.Submit(UnsealShare.Parse(File.ReadAllText(file).Trim()));
            }

            var first = Assert.Single(await deployment.Identities.ListOperatorsAsync(null));
            Assert.Equal("first", first.Name);
            Assert.Equal(OperatorRole.SecurityAdmin, first.Role);
        }
        finally
        {
            if (Directory.Exists(shareDirectory))
            {
                Directory.Delete(shareDirectory, recursive: true);
            }
        }
    }

    [Fact]
    public async Task Init_with_a_weak_operator_password_creates_nothing()
    {
        using var production = new TempDataDirectory();

        var init = await production.RunWithDataAndInputAsync("weak\n", "init", "--shares", "1", "--threshold", "1", "--operator", "first");

        Assert.Equal(2, init.ExitCode);
        Assert.False(File.Exists(Path.Combine(production.Path, "vault", "seal")));
    }
}
