using System.Text.Json;

namespace Strongroom.Cli.Tests;

/// <summary>Account commands offline, on a development data directory (which unseals itself).</summary>
public sealed class AccountCommandTests : IDisposable
{
    private readonly TempDataDirectory data = new TempDataDirectory().InitializeDevelopment();

    public void Dispose() => data.Dispose();

    [Fact]
    public async Task Create_prints_the_name_both_keys_and_a_connection_string()
    {
        var result = await data.RunWithDataAsync("account", "create", "alpha1");

        Assert.True(result.ExitCode == 0, result.ToString());
        var key1 = Field(result.Output, "Key1");
        var key2 = Field(result.Output, "Key2");
        Assert.Equal(64, Convert.FromBase64String(key1).Length);
        Assert.Equal(64, Convert.FromBase64String(key2).Length);
        Assert.NotEqual(key1, key2);
        Assert.Contains("alpha1", Field(result.Output, "Account"), StringComparison.Ordinal);
        Assert.Equal(
            $"DefaultEndpointsProtocol=https;AccountName=alpha1;AccountKey={key1};BlobEndpoint=https://127.0.0.1:10000/alpha1;",
            Field(result.Output, "Connection string"));
    }

    [Fact]
    public async Task Create_json_is_machine_readable()
    {
        var result = await data.RunWithDataAsync("account", "create", "jsonacct", "--json");

        Assert.True(result.ExitCode == 0, result.ToString());
        using var document = JsonDocument.Parse(result.Output);
        var root = document.RootElement;
        Assert.Equal("jsonacct", root.GetProperty("name").GetString());
        Assert.Equal(64, Convert.FromBase64String(root.GetProperty("key1").GetString()!).Length);
        Assert.Equal(64, Convert.FromBase64String(root.GetProperty("key2").GetString()!).Length);
        Assert.StartsWith("DefaultEndpointsProtocol=https;AccountName=jsonacct;", root.GetProperty("connectionString").GetString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Create_twice_fails_without_changing_the_keys()
    {
        var first = await data.RunWithDataAsync("account", "create", "twice");
        var second = await data.RunWithDataAsync("account", "create", "twice");

        Assert.Equal(1, second.ExitCode);
        Assert.Contains("already exists", second.Error, StringComparison.Ordinal);
        var shown = await data.RunWithDataAsync("account", "show", "twice", "--show-keys");
        Assert.Equal(Field(first.Output, "Key1"), Field(shown.Output, "Key1"));
    }

    [Fact]
    public async Task List_shows_names_but_never_keys()
    {
        var created = await data.RunWithDataAsync("account", "create", "listed1");
        await data.RunWithDataAsync("account", "create", "listed2");

        var result = await data.RunWithDataAsync("account", "list");

        Assert.True(result.ExitCode == 0, result.ToString());
        Assert.Contains("listed1", result.Output, StringComparison.Ordinal);
        Assert.Contains("listed2", result.Output, StringComparison.Ordinal);
        Assert.DoesNotContain(Field(created.Output, "Key1"), result.Output, StringComparison.Ordinal);
        Assert.DoesNotContain(Field(created.Output, "Key2"), result.Output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task List_json_is_an_array_of_accounts_without_keys()
    {
        await data.RunWithDataAsync("account", "create", "arrayed");

        var result = await data.RunWithDataAsync("account", "list", "--json");

        Assert.True(result.ExitCode == 0, result.ToString());
        using var document = JsonDocument.Parse(result.Output);
        var account = Assert.Single(document.RootElement.EnumerateArray());
        Assert.Equal("arrayed", account.GetProperty("name").GetString());
        Assert.False(account.TryGetProperty("key1", out _));
    }

    [Fact]
    public async Task Show_hides_keys_unless_asked()
    {
        var created = await data.RunWithDataAsync("account", "create", "shown");
        var key1 = Field(created.Output, "Key1");

        var hidden = await data.RunWithDataAsync("account", "show", "shown");
        var revealed = await data.RunWithDataAsync("account", "show", "shown", "--show-keys");

        Assert.True(hidden.ExitCode == 0, hidden.ToString());
        Assert.Contains("shown", hidden.Output, StringComparison.Ordinal);
        Assert.DoesNotContain(key1, hidden.Output, StringComparison.Ordinal);
        Assert.True(revealed.ExitCode == 0, revealed.ToString());
        Assert.Equal(key1, Field(revealed.Output, "Key1"));
        Assert.Equal(Field(created.Output, "Key2"), Field(revealed.Output, "Key2"));
    }

    [Fact]
    public async Task Renew_replaces_one_key_and_keeps_the_other()
    {
        var created = await data.RunWithDataAsync("account", "create", "renewed");

        var renew = await data.RunWithDataAsync("account", "keys", "renew", "renewed", "--key", "key2");
        var shown = await data.RunWithDataAsync("account", "show", "renewed", "--show-keys");

        Assert.True(renew.ExitCode == 0, renew.ToString());
        Assert.Equal(Field(created.Output, "Key1"), Field(shown.Output, "Key1"));
        Assert.NotEqual(Field(created.Output, "Key2"), Field(shown.Output, "Key2"));
        Assert.Equal(Field(shown.Output, "Key2"), Field(renew.Output, "Key2"));
    }

    [Fact]
    public async Task Delete_requires_yes_and_then_destroys_the_account_whose_name_stays_taken()
    {
        await data.RunWithDataAsync("account", "create", "doomed");

        var refused = await data.RunWithDataAsync("account", "delete", "doomed");
        Assert.Equal(2, refused.ExitCode);
        Assert.Contains("--yes", refused.Error, StringComparison.Ordinal);
        Assert.Equal(0, (await data.RunWithDataAsync("account", "show", "doomed")).ExitCode);

        var deleted = await data.RunWithDataAsync("account", "delete", "doomed", "--yes");
        Assert.True(deleted.ExitCode == 0, deleted.ToString());
        Assert.Contains("keys are destroyed", deleted.Output, StringComparison.Ordinal);

        // Crypto-shredded, not forgotten: the account shows as destroyed, with a destruction and its certificate.
        var shown = await data.RunWithDataAsync("account", "show", "doomed");
        Assert.True(shown.ExitCode == 0, shown.ToString());
        Assert.Equal("Destroyed", Field(shown.Output, "State"));
        var destructions = await data.RunWithDataAsync("account", "destructions", "doomed", "--json");
        Assert.True(destructions.ExitCode == 0, destructions.ToString());
        using (var document = JsonDocument.Parse(destructions.Output))
        {
            var destruction = Assert.Single(document.RootElement.GetProperty("destructions").EnumerateArray().ToList());
            Assert.Equal("account", destruction.GetProperty("kind").GetString());
            Assert.Equal("complete", destruction.GetProperty("state").GetString());
            Assert.Contains(destruction.GetProperty("keys").EnumerateArray(), key => key.GetProperty("id").GetString() == "account-kek/doomed/v1");
        }

        var certificates = await data.RunWithDataAsync("certificate", "list", "doomed");
        Assert.True(certificates.ExitCode == 0, certificates.ToString());
        Assert.Contains("account doomed", certificates.Output, StringComparison.Ordinal);

        // The name stays taken, and a second delete is refused.
        var again = await data.RunWithDataAsync("account", "create", "doomed");
        Assert.Equal(1, again.ExitCode);
        var twice = await data.RunWithDataAsync("account", "delete", "doomed", "--yes");
        Assert.Equal(1, twice.ExitCode);
        Assert.Contains("InvalidAccountState", twice.Error, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("show")]
    [InlineData("delete")]
    public async Task Missing_account_exits_1(string verb)
    {
        await data.RunWithDataAsync("account", "create", "present");

        var result = verb == "delete"
            ? await data.RunWithDataAsync("account", verb, "absent", "--yes")
            : await data.RunWithDataAsync("account", verb, "absent");

        Assert.Equal(1, result.ExitCode);
        Assert.Contains("'absent' not found", result.Error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Renew_of_a_missing_account_exits_1()
    {
        await data.RunWithDataAsync("account", "create", "present");

        var result = await data.RunWithDataAsync("account", "keys", "renew", "absent", "--key", "key1");

        Assert.Equal(1, result.ExitCode);
        Assert.Contains("not found", result.Error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Commands_on_a_data_directory_that_does_not_exist_say_so()
    {
        using var missing = new TempDataDirectory();

        var result = await missing.RunWithDataAsync("account", "list");

        Assert.Equal(1, result.ExitCode);
        Assert.Contains(missing.Path, result.Error, StringComparison.Ordinal);
        Assert.False(Directory.Exists(missing.Path), "a read-only command must not create a data directory");
    }

    [Fact]
    public async Task Create_on_an_uninitialised_production_directory_asks_for_init()
    {
        using var fresh = new TempDataDirectory();

        var result = await fresh.RunWithDataAsync("account", "create", "early1");

        Assert.Equal(1, result.ExitCode);
        Assert.Contains("strongroom init", result.Error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Create_with_dev_on_a_new_directory_makes_a_development_directory()
    {
        using var fresh = new TempDataDirectory();

        var result = await fresh.RunWithDataAsync("account", "create", "devmade1", "--dev");

        Assert.True(result.ExitCode == 0, result.ToString());
        Assert.True(File.Exists(Path.Combine(fresh.Path, "vault", "dev-unseal.share")));
        Assert.Equal(0, (await fresh.RunWithDataAsync("account", "show", "devmade1")).ExitCode);
    }

    [Fact]
    public async Task Offline_commands_on_a_sealed_production_directory_say_how_to_unseal()
    {
        using var production = new TempDataDirectory();
        Assert.Equal(0, (await production.RunWithDataAsync("init", "--shares", "1", "--threshold", "1")).ExitCode);

        var result = await production.RunWithDataAsync("account", "list");

        Assert.Equal(1, result.ExitCode);
        Assert.Contains("sealed", result.Error, StringComparison.Ordinal);
        Assert.Contains("strongroom unseal", result.Error, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("AB")]
    [InlineData("UPPERCASE")]
    [InlineData("has-hyphen")]
    [InlineData("waytoolongforanazureaccountname")]
    public async Task Invalid_account_names_quote_azures_rule_and_exit_2(string name)
    {
        var result = await data.RunWithDataAsync("account", "create", name);

        Assert.Equal(2, result.ExitCode);
        Assert.Contains("between 3 and 24 characters", result.Error, StringComparison.Ordinal);
        Assert.Contains("lowercase letters", result.Error, StringComparison.Ordinal);
        Assert.Equal(string.Empty, result.Output);
    }

    private static string Field(string output, string label)
    {
        foreach (var line in output.Split('\n'))
        {
            if (line.StartsWith(label + ":", StringComparison.Ordinal))
            {
                return line[(label.Length + 1)..].Trim();
            }
        }

        throw new Xunit.Sdk.XunitException($"No '{label}:' line in:\n{output}");
    }
}
