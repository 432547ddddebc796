using System.Text.Json;

namespace Strongroom.Cli.Tests;

public sealed class KeyVaultCommandTests : IDisposable
{
    private readonly TempDataDirectory data = new TempDataDirectory().InitializeDevelopment();

    public void Dispose() => data.Dispose();

    [Theory]
    [InlineData("secrets")]
    [InlineData("keys")]
    [InlineData("deletedsecrets")]
    [InlineData("deletedkeys")]
    public async Task Reserved_names_are_refused(string name)
    {
        var result = await data.RunWithDataAsync("account", "create", name);
        Assert.Equal(2, result.ExitCode);
        Assert.Contains("reserved", result.Error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Token_prints_a_jwt_with_its_lifetime_and_refuses_bad_lifetimes()
    {
        await data.RunWithDataAsync("account", "create", "tokenacct");
        var result = await data.RunWithDataAsync("account", "token", "tokenacct", "--lifetime", "30m", "--json");
        Assert.True(result.ExitCode == 0, result.ToString());
        using var document = JsonDocument.Parse(result.Output);
        Assert.Equal(3, document.RootElement.GetProperty("access_token").GetString()!.Split('.').Length);
        Assert.Equal(1800, document.RootElement.GetProperty("expires_in").GetInt64());
        Assert.Equal("Bearer", document.RootElement.GetProperty("token_type").GetString());

        // The token is a grant: the account's log records it, attributed to the host user.
        var tail = await data.RunWithDataAsync("audit", "tail", "--account", "tokenacct", "-n", "1");
        Assert.True(tail.ExitCode == 0, tail.ToString());
        Assert.Contains($" host:{Environment.UserName} IssueToken /tokenacct Success", tail.Output, StringComparison.Ordinal);

        Assert.Equal(2, (await data.RunWithDataAsync("account", "token", "tokenacct", "--lifetime", "25h")).ExitCode);
        Assert.Equal(2, (await data.RunWithDataAsync("account", "token", "tokenacct", "--lifetime", "soon")).ExitCode);
        Assert.Equal(1, (await data.RunWithDataAsync("account", "token", "nobody")).ExitCode);
    }

    [Fact]
    public async Task Vault_settings_show_change_and_keep_purge_protection()
    {
        await data.RunWithDataAsync("account", "create", "vaultacct");
        var shown = await data.RunWithDataAsync("account", "vault", "vaultacct", "--json");
        using (var document = JsonDocument.Parse(shown.Output))
        {
            Assert.Equal(90, document.RootElement.GetProperty("retentionDays").GetInt32());
            Assert.Equal("Recoverable+Purgeable", document.RootElement.GetProperty("recoveryLevel").GetString());
        }

        var changed = await data.RunWithDataAsync("account", "vault", "vaultacct", "--retention-days", "30", "--purge-protection", "--json");
        Assert.True(changed.ExitCode == 0, changed.ToString());
        using (var document = JsonDocument.Parse(changed.Output))
        {
            Assert.Equal(30, document.RootElement.GetProperty("retentionDays").GetInt32());
            Assert.True(document.RootElement.GetProperty("purgeProtection").GetBoolean());
            Assert.Equal("CustomizedRecoverable", document.RootElement.GetProperty("recoveryLevel").GetString());
        }

        Assert.Equal(2, (await data.RunWithDataAsync("account", "vault", "vaultacct", "--retention-days", "5")).ExitCode);
        Assert.Equal(2, (await data.RunWithDataAsync("account", "vault", "vaultacct", "--retention-days", "91")).ExitCode);
    }
}
