using System.Text.Json;
using Xunit;

namespace Strongroom.Conformance.Tests.Infrastructure;

/// <summary>A principal a test created: its name, password and TOTP secret (all recorded as secrets for the log scan).</summary>
public sealed record TestPrincipal(string Kind, string? Account, string Name, string Password, string TotpSecret)
{
    /// <summary>Signs in at TOTP step <paramref name="step"/> (default now) and returns the session token; fails the test otherwise.</summary>
    public async Task<string> LoginAsync(ManagementApi api, long? step = null) =>
        (await api.LoginAsync(Kind, Account, Name, Password, TotpSecret, step)).Ok().Text("token");
}

/// <summary>
/// Creating principals the way an operator does: the first operator on the host
/// (<c>strongroom operator create NAME --role security-admin --data DIR</c>, password on standard
/// input), tenant administrators on the host (<c>strongroom account admin create ACCOUNT NAME</c>),
/// further operators through the management plane by a security admin.
/// </summary>
public static class Principals
{
    private static int counter;

    /// <summary>A password that satisfies the rules, different per call.</summary>
    public static string NewPassword()
    {
        var password = $"Correct-horse-{Interlocked.Increment(ref counter)}-{Guid.NewGuid():N}";
        TestLogs.RecordSecret("password", password);
        return password;
    }

    public static async Task<TestPrincipal> CreateFirstOperatorAsync(StrongroomProcess server, string name, string role = "security-admin")
    {
        var password = NewPassword();
        var result = await server.RunCliWithInputAsync(password + "\n", "operator", "create", name, "--role", role, "--json");
        Assert.True(result.ExitCode == 0, result.ToString());
        return FromJson("operator", null, name, password, result.StandardOutput);
    }

    public static async Task<TestPrincipal> CreateTenantAdminAsync(StrongroomProcess server, string account, string name)
    {
        var password = NewPassword();
        var result = await server.RunCliWithInputAsync(password + "\n", "account", "admin", "create", account, name, "--json");
        Assert.True(result.ExitCode == 0, result.ToString());
        return FromJson("tenant-admin", account, name, password, result.StandardOutput);
    }

    /// <summary>An operator created through the management plane by a security admin's session.</summary>
    public static async Task<TestPrincipal> CreateOperatorAsync(ManagementApi api, string securityAdminToken, string name, string role)
    {
        var password = NewPassword();
        var answer = (await api.PostAsync("v1/operators", new { name, role, password }, securityAdminToken)).Ok();
        var secret = answer.Text("totpSecret");
        TestLogs.RecordSecret("totp secret", secret);
        return new TestPrincipal("operator", null, name, password, secret);
    }

    /// <summary>
    /// A session file as <c>strongroom login</c> writes it (owner-only, in a directory beside the
    /// server's data directory, so it goes with it), for the CLI's <c>--session</c>, from a session
    /// signed in through the API.
    /// </summary>
    public static string WriteSession(StrongroomProcess server, string name, string kind, string? account, string token)
    {
        var directory = Directory.CreateDirectory(server.DataDirectory + "-sessions").FullName;
        var path = Path.Combine(directory, (account is null ? name : $"{account}-{name}") + ".json");
        var json = JsonSerializer.Serialize(new Dictionary<string, object?>
        {
            ["version"] = 1,
            ["server"] = server.ManagementEndpoint.ToString(),
            ["caCertificate"] = server.CertificatePath,
            ["kind"] = kind,
            ["account"] = account,
            ["name"] = name,
            ["token"] = token,
        });
        var options = new FileStreamOptions { Mode = FileMode.Create, Access = FileAccess.Write };
        if (!OperatingSystem.IsWindows())
        {
            options.UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite;
        }

        using (var stream = new FileStream(path, options))
        {
            stream.Write(System.Text.Encoding.UTF8.GetBytes(json));
        }

        return path;
    }

    /// <summary>As above, for <paramref name="principal"/>.</summary>
    public static string WriteSession(StrongroomProcess server, TestPrincipal principal, string token) =>
        WriteSession(server, principal.Name, principal.Kind, principal.Account, token);

    private static TestPrincipal FromJson(string kind, string? account, string name, string password, string json)
    {
        using var document = JsonDocument.Parse(json);
        var secret = document.RootElement.GetProperty("totpSecret").GetString()!;
        TestLogs.RecordSecret("totp secret", secret);
        return new TestPrincipal(kind, account, name, password, secret);
    }
}
