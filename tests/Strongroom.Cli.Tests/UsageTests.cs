namespace Strongroom.Cli.Tests;

public sealed class UsageTests
{
    [Theory]
    [InlineData("strongroom")]
    [InlineData("strongroom server", "server")]
    [InlineData("strongroom account", "account")]
    [InlineData("strongroom account create", "account", "create")]
    [InlineData("strongroom account list", "account", "list")]
    [InlineData("strongroom account show", "account", "show")]
    [InlineData("strongroom account keys", "account", "keys")]
    [InlineData("strongroom account keys renew", "account", "keys", "renew")]
    [InlineData("strongroom account delete", "account", "delete")]
    [InlineData("strongroom init", "init")]
    [InlineData("strongroom unseal", "unseal")]
    [InlineData("strongroom seal", "seal")]
    [InlineData("strongroom rekey", "rekey")]
    [InlineData("strongroom status", "status")]
    [InlineData("strongroom migrate", "migrate")]
    public async Task Help_on_every_command_prints_usage(string usage, params string[] command)
    {
        var result = await TempDataDirectory.RunAsync([.. command, "--help"]);

        Assert.True(result.ExitCode == 0, result.ToString());
        Assert.Contains("Usage:", result.Output, StringComparison.Ordinal);
        Assert.Contains(usage, result.Output, StringComparison.Ordinal);
        Assert.Equal(string.Empty, result.Error);
    }

    [Fact]
    public async Task Server_help_lists_its_options()
    {
        var result = await TempDataDirectory.RunAsync("server", "--help");

        foreach (var option in new[] { "--dev", "--data", "--metadata", "--host", "--port", "--cert", "--key", "--dangerous-allow-http" })
        {
            Assert.Contains(option, result.Output, StringComparison.Ordinal);
        }
    }

    [Theory]
    [InlineData("frobnicate")]
    [InlineData("account", "frobnicate")]
    [InlineData("account", "create", "name1", "--no-such-option")]
    public async Task Unknown_commands_and_options_are_usage_errors(params string[] args)
    {
        var result = await TempDataDirectory.RunAsync(args);

        Assert.Equal(2, result.ExitCode);
        Assert.Contains("error:", result.Error, StringComparison.Ordinal);
        Assert.Contains("--help", result.Error, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("account", "create")]
    [InlineData("account", "show")]
    [InlineData("account", "delete")]
    [InlineData("account", "keys", "renew")]
    public async Task Missing_account_name_is_a_usage_error(params string[] args)
    {
        var result = await TempDataDirectory.RunAsync(args);

        Assert.Equal(2, result.ExitCode);
        Assert.Contains("error:", result.Error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Renew_requires_a_key_slot()
    {
        var result = await TempDataDirectory.RunAsync("account", "keys", "renew", "someone");

        Assert.Equal(2, result.ExitCode);
        Assert.Contains("--key", result.Error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Renew_rejects_an_unknown_key_slot()
    {
        var result = await TempDataDirectory.RunAsync("account", "keys", "renew", "someone", "--key", "key3");

        Assert.Equal(2, result.ExitCode);
        Assert.Contains("key3", result.Error, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("--port", "70000")]
    [InlineData("--port", "-1")]
    [InlineData("--port", "http")]
    public async Task Server_rejects_bad_ports_before_starting(params string[] args)
    {
        var result = await TempDataDirectory.RunAsync(["server", .. args]);

        Assert.Equal(2, result.ExitCode);
        Assert.Contains("error:", result.Error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task No_command_is_a_usage_error()
    {
        var result = await TempDataDirectory.RunAsync();

        Assert.Equal(2, result.ExitCode);
        Assert.Contains("--help", result.Error, StringComparison.Ordinal);
    }
}
