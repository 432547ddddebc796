using System.Text.Json;

namespace Strongroom.Cli.Tests;

public sealed class ScopeCommandTests : IDisposable
{
    private readonly TempDataDirectory data = new TempDataDirectory().InitializeDevelopment();

    public void Dispose() => data.Dispose();

    private async Task CreateAccountAsync(string name = "tenant1")
    {
        var created = await data.RunWithDataAsync("account", "create", name);
        Assert.True(created.ExitCode == 0, created.ToString());
    }

    [Fact]
    public async Task Create_show_list_disable_enable_in_text()
    {
        await CreateAccountAsync();
        var created = await data.RunWithDataAsync("scope", "create", "tenant1", "scope-a");
        Assert.True(created.ExitCode == 0, created.ToString());
        Assert.Contains("Created encryption scope scope-a in account tenant1.", created.Output, StringComparison.Ordinal);
        Assert.Contains("Key source:        platform", created.Output, StringComparison.Ordinal);

        Assert.Equal(0, (await data.RunWithDataAsync("scope", "create", "tenant1", "scope-b", "--key-source", "platform")).ExitCode);
        var list = await data.RunWithDataAsync("scope", "list", "tenant1");
        Assert.True(list.ExitCode == 0, list.ToString());
        var lines = list.Output.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.StartsWith("NAME", lines[0], StringComparison.Ordinal);
        Assert.StartsWith("scope-a", lines[1], StringComparison.Ordinal);
        Assert.StartsWith("scope-b", lines[2], StringComparison.Ordinal);

        var disabled = await data.RunWithDataAsync("scope", "disable", "tenant1", "scope-a");
        Assert.True(disabled.ExitCode == 0, disabled.ToString());
        Assert.Contains("Disabled encryption scope scope-a", disabled.Output, StringComparison.Ordinal);
        Assert.Contains("State:             Disabled", (await data.RunWithDataAsync("scope", "show", "tenant1", "scope-a")).Output, StringComparison.Ordinal);

        Assert.Equal(0, (await data.RunWithDataAsync("scope", "enable", "tenant1", "scope-a")).ExitCode);
        Assert.Contains("State:             Enabled", (await data.RunWithDataAsync("scope", "show", "tenant1", "scope-a")).Output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Json_output_never_carries_a_key()
    {
        await CreateAccountAsync();
        var created = await data.RunWithDataAsync("scope", "create", "tenant1", "jsonscope", "--json");
        Assert.True(created.ExitCode == 0, created.ToString());
        using (var document = JsonDocument.Parse(created.Output))
        {
            var root = document.RootElement;
            Assert.Equal("tenant1", root.GetProperty("account").GetString());
            Assert.Equal("jsonscope", root.GetProperty("name").GetString());
            Assert.Equal("Enabled", root.GetProperty("state").GetString());
            Assert.Equal("platform", root.GetProperty("keySource").GetString());
            Assert.Equal(["account", "name", "state", "keySource", "createdOn"], root.EnumerateObject().Select(p => p.Name));
        }

        var list = await data.RunWithDataAsync("scope", "list", "tenant1", "--json");
        using (var document = JsonDocument.Parse(list.Output))
        {
            Assert.Equal("jsonscope", document.RootElement.EnumerateArray().Single().GetProperty("name").GetString());
        }

        var disabled = await data.RunWithDataAsync("scope", "disable", "tenant1", "jsonscope", "--json");
        using (var document = JsonDocument.Parse(disabled.Output))
        {
            Assert.Equal("Disabled", document.RootElement.GetProperty("state").GetString());
        }
    }

    [Fact]
    public async Task Failures_are_one_line_with_the_right_exit_code()
    {
        await CreateAccountAsync();
        Assert.Equal(0, (await data.RunWithDataAsync("scope", "create", "tenant1", "dup")).ExitCode);

        var duplicate = await data.RunWithDataAsync("scope", "create", "tenant1", "dup");
        Assert.Equal(Cli.ExitFailure, duplicate.ExitCode);
        Assert.Contains("already exists", duplicate.Error, StringComparison.Ordinal);

        var badName = await data.RunWithDataAsync("scope", "create", "tenant1", "Bad_Name");
        Assert.Equal(Cli.ExitUsage, badName.ExitCode);
        Assert.Contains("Encryption scope names must be between 3 and 63 characters", badName.Error, StringComparison.Ordinal);

        var missingKeyName = await data.RunWithDataAsync("scope", "create", "tenant1", "cmk", "--key-source", "customer");
        Assert.Equal(Cli.ExitUsage, missingKeyName.ExitCode);
        Assert.Contains("--key-name", missingKeyName.Error, StringComparison.Ordinal);

        var strayKeyName = await data.RunWithDataAsync("scope", "create", "tenant1", "pmk", "--key-name", "k");
        Assert.Equal(Cli.ExitUsage, strayKeyName.ExitCode);

        var badSource = await data.RunWithDataAsync("scope", "create", "tenant1", "xyz", "--key-source", "hsm");
        Assert.Equal(Cli.ExitUsage, badSource.ExitCode);

        // No vault is wired in yet: a customer-managed scope cannot be created, and nothing is left behind.
        var noVault = await data.RunWithDataAsync("scope", "create", "tenant1", "cmk", "--key-source", "customer", "--key-name", "vault-key");
        Assert.Equal(Cli.ExitFailure, noVault.ExitCode);
        Assert.Contains("vault key 'vault-key'", noVault.Error, StringComparison.Ordinal);
        Assert.Equal(Cli.ExitFailure, (await data.RunWithDataAsync("scope", "show", "tenant1", "cmk")).ExitCode);

        var unknownScope = await data.RunWithDataAsync("scope", "disable", "tenant1", "nosuch");
        Assert.Equal(Cli.ExitFailure, unknownScope.ExitCode);
        Assert.Contains("encryption scope 'nosuch' not found in account 'tenant1'", unknownScope.Error, StringComparison.Ordinal);

        var unknownAccount = await data.RunWithDataAsync("scope", "list", "nobody");
        Assert.Equal(Cli.ExitFailure, unknownAccount.ExitCode);
        Assert.Contains("account 'nobody' not found", unknownAccount.Error, StringComparison.Ordinal);

        Assert.Equal(Cli.ExitUsage, (await data.RunWithDataAsync("scope", "delete", "tenant1", "dup")).ExitCode);
    }

    [Fact]
    public async Task Listing_an_account_without_scopes_says_so()
    {
        await CreateAccountAsync();
        var list = await data.RunWithDataAsync("scope", "list", "tenant1");
        Assert.True(list.ExitCode == 0, list.ToString());
        Assert.Contains("No encryption scopes in account tenant1.", list.Output, StringComparison.Ordinal);
    }
}
