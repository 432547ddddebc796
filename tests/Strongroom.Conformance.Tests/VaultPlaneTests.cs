using System.Text.Json;
using Strongroom.Conformance.Tests.Infrastructure;
using Xunit;

namespace Strongroom.Conformance.Tests;

/// <summary>
/// Key policy through the management plane: a security admin rotates the keyring with
/// <c>strongroom vault rotate --session</c>, an audit admin reads the versions and may not rotate,
/// and the rotation is in the platform log under the operator who did it.
/// </summary>
public sealed class VaultPlaneTests
{
    [Fact]
    public async Task A_security_admin_rotates_the_keyring_through_the_plane_and_an_audit_admin_only_reads_it()
    {
        await using var server = await StrongroomProcess.StartProductionAsync("vault-plane");
        using var api = new ManagementApi(server);
        var sam = await Principals.CreateFirstOperatorAsync(server, "sam");
        var samToken = await sam.LoginAsync(api);
        var abe = await Principals.CreateOperatorAsync(api, samToken, "abe", "audit-admin");
        var samSession = Principals.WriteSession(server, sam, samToken);
        var abeSession = Principals.WriteSession(server, abe, await abe.LoginAsync(api));

        var refused = await server.RunCommandAsync(null, "vault", "rotate", "--session", abeSession);
        Assert.True(refused.ExitCode == 1, refused.ToString());
        Assert.Contains("RoleNotPermitted", refused.StandardError, StringComparison.Ordinal);

        var rotated = await server.RunCommandAsync(null, "vault", "rotate", "--session", samSession, "--json");
        Assert.True(rotated.ExitCode == 0, rotated.ToString());
        using (var json = JsonDocument.Parse(rotated.StandardOutput))
        {
            Assert.Equal(2u, json.RootElement.GetProperty("keyringVersion").GetUInt32());
        }

        var status = await server.RunCommandAsync(null, "vault", "status", "--session", abeSession, "--json");
        Assert.True(status.ExitCode == 0, status.ToString());
        using (var json = JsonDocument.Parse(status.StandardOutput))
        {
            Assert.Equal(2u, json.RootElement.GetProperty("keyringCurrentVersion").GetUInt32());
            Assert.Equal([1u, 2u], json.RootElement.GetProperty("keyringVersions").EnumerateArray().Select(version => version.GetUInt32()));
        }

        var mixed = await server.RunCliAsync("vault", "rotate", "--session", samSession);
        Assert.True(mixed.ExitCode == 2, mixed.ToString());

        // The platform log: the rotation by sam, and abe's refused attempt.
        var export = await server.RunCliAsync("audit", "export", "--platform");
        Assert.True(export.ExitCode == 0, export.ToString());
        var entries = export.StandardOutput.Split('\n', StringSplitOptions.RemoveEmptyEntries)
            .Select(line => JsonDocument.Parse(line).RootElement)
            .Where(line => line.TryGetProperty("entry", out _))
            .Select(line => line.GetProperty("entry"))
            .ToList();
        var rotation = Assert.Single(entries, entry => entry.GetProperty("action").GetString() == "RotateKeyring");
        Assert.Equal("operator", rotation.GetProperty("actor").GetProperty("kind").GetString());
        Assert.Equal("sam", rotation.GetProperty("actor").GetProperty("id").GetString());
        var attempt = Assert.Single(entries, entry => entry.GetProperty("action").GetString() == "Management.POST v1/vault/rotate");
        Assert.Equal("abe", attempt.GetProperty("actor").GetProperty("id").GetString());
        Assert.Equal("RoleNotPermitted", attempt.GetProperty("outcome").GetString());
    }
}
