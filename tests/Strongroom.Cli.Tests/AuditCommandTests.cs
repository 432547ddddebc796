using System.Text.Json;

namespace Strongroom.Cli.Tests;

/// <summary><c>strongroom audit …</c> against a development data directory (offline: no server runs on it).</summary>
public sealed class AuditCommandTests : IDisposable
{
    private readonly TempDataDirectory data = new TempDataDirectory().InitializeDevelopment();
    private readonly string stateDirectory = Path.Combine(Path.GetTempPath(), "strongroom-cli-tests", "audit-state-" + Path.GetRandomFileName());

    public void Dispose()
    {
        data.Dispose();
        if (Directory.Exists(stateDirectory))
        {
            Directory.Delete(stateDirectory, recursive: true);
        }
    }

    private async Task CreateAccountAsync(string name = "tenant1")
    {
        var created = await data.RunWithDataAsync("account", "create", name);
        Assert.True(created.ExitCode == 0, created.ToString());
    }

    [Fact]
    public async Task Settings_show_the_defaults_then_change_and_are_logged()
    {
        await CreateAccountAsync();
        var shown = await data.RunWithDataAsync("audit", "settings", "--account", "tenant1");
        Assert.True(shown.ExitCode == 0, shown.ToString());
        Assert.Contains("Data plane:        writes", shown.Output, StringComparison.Ordinal);
        Assert.Contains($"Retention:         {Strongroom.Core.Limits.AuditRetentionDaysDefault} days", shown.Output, StringComparison.Ordinal);

        var changed = await data.RunWithDataAsync("audit", "settings", "--account", "tenant1", "--data-plane", "all", "--retention-days", "365");
        Assert.True(changed.ExitCode == 0, changed.ToString());
        Assert.Contains("Changed the audit settings of account tenant1", changed.Output, StringComparison.Ordinal);

        var json = await data.RunWithDataAsync("audit", "settings", "--account", "tenant1", "--json");
        using (var document = JsonDocument.Parse(json.Output))
        {
            Assert.Equal("all", document.RootElement.GetProperty("dataPlane").GetString());
            Assert.Equal(365, document.RootElement.GetProperty("retentionDays").GetInt32());
        }

        // Only one option given: the other keeps its value.
        Assert.Equal(0, (await data.RunWithDataAsync("audit", "settings", "--account", "tenant1", "--data-plane", "none")).ExitCode);
        var after = await data.RunWithDataAsync("audit", "settings", "--account", "tenant1");
        Assert.Contains("Data plane:        none", after.Output, StringComparison.Ordinal);
        Assert.Contains("Retention:         365 days", after.Output, StringComparison.Ordinal);

        var tail = await data.RunWithDataAsync("audit", "tail", "--account", "tenant1");
        Assert.True(tail.ExitCode == 0, tail.ToString());
        var settingsLines = tail.Output.Split('\n', StringSplitOptions.RemoveEmptyEntries).Where(line => line.Contains(" SetAuditSettings ", StringComparison.Ordinal)).ToList();
        Assert.Equal(2, settingsLines.Count);
        Assert.All(settingsLines, line => Assert.Contains($" host:{Environment.UserName} SetAuditSettings /tenant1 Success", line, StringComparison.Ordinal));
    }

    [Theory]
    [InlineData("179")]
    [InlineData("30")]
    [InlineData("0")]
    public async Task A_retention_below_180_days_is_refused_citing_the_rule(string days)
    {
        await CreateAccountAsync();
        var refused = await data.RunWithDataAsync("audit", "settings", "--account", "tenant1", "--retention-days", days);

        Assert.True(refused.ExitCode == 2, refused.ToString());
        Assert.Contains("Cyber Security Law", refused.Error, StringComparison.Ordinal);
        Assert.Contains("art. 21", refused.Error, StringComparison.Ordinal);
        Assert.Contains("180 days", refused.Error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Settings_usage_errors_and_unknown_account()
    {
        await CreateAccountAsync();
        Assert.Equal(2, (await data.RunWithDataAsync("audit", "settings", "--account", "tenant1", "--data-plane", "reads")).ExitCode);
        Assert.Equal(2, (await data.RunWithDataAsync("audit", "settings", "--account", "tenant1", "--retention-days", "40000")).ExitCode);
        Assert.Equal(2, (await data.RunWithDataAsync("audit", "settings")).ExitCode);
        Assert.Equal(2, (await data.RunWithDataAsync("audit", "settings", "--account", "Not_Valid")).ExitCode);
        var missing = await data.RunWithDataAsync("audit", "settings", "--account", "nosuchaccount");
        Assert.True(missing.ExitCode == 1, missing.ToString());
        Assert.Contains("not found", missing.Error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Key_prints_a_verifier_key_named_after_the_logs_origin()
    {
        await CreateAccountAsync();
        var key = await data.RunWithDataAsync("audit", "key", "--account", "tenant1");
        Assert.True(key.ExitCode == 0, key.ToString());
        var line = key.Output.Trim();
        var parts = line.Split('+', 3); // the base64 key may hold '+' too
        Assert.Equal(3, parts.Length);
        Assert.StartsWith("strongroom/", parts[0], StringComparison.Ordinal);
        Assert.EndsWith("/tenant1", parts[0], StringComparison.Ordinal);
        Assert.Equal(8, parts[1].Length);

        var platform = await data.RunWithDataAsync("audit", "key", "--platform");
        Assert.True(platform.ExitCode == 0, platform.ToString());
        Assert.EndsWith("/platform", platform.Output.Trim().Split('+', 3)[0], StringComparison.Ordinal);

        // One deployment key: the same public key under both names.
        Assert.Equal(parts[2], platform.Output.Trim().Split('+', 3)[2]);
    }

    [Fact]
    public async Task Checkpoint_prints_a_signed_note_of_the_current_tree()
    {
        await CreateAccountAsync();
        var checkpoint = await data.RunWithDataAsync("audit", "checkpoint", "--account", "tenant1");
        Assert.True(checkpoint.ExitCode == 0, checkpoint.ToString());
        var lines = checkpoint.Output.Split('\n');
        Assert.StartsWith("strongroom/", lines[0], StringComparison.Ordinal);
        Assert.EndsWith("/tenant1", lines[0], StringComparison.Ordinal);
        Assert.True(long.Parse(lines[1], System.Globalization.CultureInfo.InvariantCulture) >= 1, checkpoint.Output);
        Assert.Equal(32, Convert.FromBase64String(lines[2]).Length);
        Assert.Equal(string.Empty, lines[3]);
        Assert.StartsWith("\u2014 " + lines[0] + " ", lines[4], StringComparison.Ordinal);
    }

    [Fact]
    public async Task Tail_and_export_read_the_entries()
    {
        await CreateAccountAsync();
        Assert.Equal(0, (await data.RunWithDataAsync("audit", "settings", "--account", "tenant1", "--retention-days", "200")).ExitCode);

        var tail = await data.RunWithDataAsync("audit", "tail", "--account", "tenant1", "-n", "1");
        Assert.True(tail.ExitCode == 0, tail.ToString());
        var line = Assert.Single(tail.Output.Split('\n', StringSplitOptions.RemoveEmptyEntries));
        Assert.Matches(@"^#\d+ \d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ host:\S+ SetAuditSettings /tenant1 Success$", line);

        var export = await data.RunWithDataAsync("audit", "export", "--account", "tenant1");
        Assert.True(export.ExitCode == 0, export.ToString());
        var records = export.Output.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.True(records.Length >= 2, export.Output);
        for (var i = 0; i < records.Length; i++)
        {
            using var document = JsonDocument.Parse(records[i]);
            var root = document.RootElement;
            Assert.Equal(i, root.GetProperty("index").GetInt64());
            Assert.Equal(32, root.GetProperty("leafHash").GetBytesFromBase64().Length);
            var entry = root.GetProperty("entry");
            Assert.Equal(1, entry.GetProperty("v").GetInt32());
            Assert.Equal("/tenant1", entry.GetProperty("resource").GetString());
        }

        using (var last = JsonDocument.Parse(records[^1]))
        {
            Assert.Equal("SetAuditSettings", last.RootElement.GetProperty("entry").GetProperty("action").GetString());
        }

        var range = await data.RunWithDataAsync("audit", "export", "--account", "tenant1", "--from", "1", "--to", "2");
        using (var only = JsonDocument.Parse(Assert.Single(range.Output.Split('\n', StringSplitOptions.RemoveEmptyEntries))))
        {
            Assert.Equal(1, only.RootElement.GetProperty("index").GetInt64());
        }

        var past = await data.RunWithDataAsync("audit", "export", "--account", "tenant1", "--to", "1000");
        Assert.True(past.ExitCode == 1, past.ToString());
        Assert.Contains("past the end", past.Error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task The_platform_log_records_account_creation()
    {
        await CreateAccountAsync();
        var tail = await data.RunWithDataAsync("audit", "tail", "--platform", "-n", "100");
        Assert.True(tail.ExitCode == 0, tail.ToString());
        Assert.Contains(" CreateAccount /tenant1 Success", tail.Output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Verify_trusts_on_first_use_then_checks_consistency()
    {
        await CreateAccountAsync();
        var first = await data.RunWithDataAsync("audit", "verify", "--account", "tenant1", "--state-dir", stateDirectory);
        Assert.True(first.ExitCode == 0, first.ToString());
        Assert.Matches(@"verified \d+ entries \(0 pruned\) up to checkpoint size \d+ root [A-Za-z0-9+/=]{44}", first.Output);
        var key = (await data.RunWithDataAsync("audit", "key", "--account", "tenant1")).Output.Trim();
        Assert.Contains(key, first.Output + first.Error, StringComparison.Ordinal);
        Assert.Contains("out of band", first.Output + first.Error, StringComparison.Ordinal);

        Assert.Equal(0, (await data.RunWithDataAsync("audit", "settings", "--account", "tenant1", "--data-plane", "all")).ExitCode);
        var second = await data.RunWithDataAsync("audit", "verify", "--account", "tenant1", "--state-dir", stateDirectory);
        Assert.True(second.ExitCode == 0, second.ToString());
        Assert.Contains("consistent with the checkpoint seen last time (size ", second.Output, StringComparison.Ordinal);

        var pinned = await data.RunWithDataAsync("audit", "verify", "--account", "tenant1", "--state-dir", stateDirectory, "--public-key", key);
        Assert.True(pinned.ExitCode == 0, pinned.ToString());
    }

    [Fact]
    public async Task Verify_with_another_pinned_key_fails_with_exit_1()
    {
        await CreateAccountAsync();
        await CreateAccountAsync("tenant2");
        var otherLogsKey = (await data.RunWithDataAsync("audit", "key", "--account", "tenant2")).Output.Trim();

        var result = await data.RunWithDataAsync("audit", "verify", "--account", "tenant1", "--state-dir", stateDirectory, "--public-key", otherLogsKey);

        Assert.True(result.ExitCode == 1, result.ToString());
        Assert.Contains("key", result.Error, StringComparison.OrdinalIgnoreCase);
        Assert.DoesNotContain("verified", result.Output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Verify_of_the_platform_log()
    {
        await CreateAccountAsync();
        var result = await data.RunWithDataAsync("audit", "verify", "--platform", "--state-dir", stateDirectory);
        Assert.True(result.ExitCode == 0, result.ToString());
        Assert.Contains("verified ", result.Output, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("audit", "verify")]
    [InlineData("audit", "verify", "--account", "tenant1", "--platform")]
    [InlineData("audit", "verify", "--platform", "--server", "https://127.0.0.1:1")]
    [InlineData("audit", "verify", "--account", "tenant1", "--account-key", "abc")]
    [InlineData("audit", "verify", "--account", "tenant1", "--ca-cert", "x.pem")]
    [InlineData("audit", "tail", "--account", "tenant1", "-n", "0")]
    [InlineData("audit", "export", "--account", "tenant1", "--from", "5", "--to", "2")]
    [InlineData("audit", "export", "--account", "tenant1", "--from", "-1")]
    [InlineData("audit", "key")]
    [InlineData("audit", "key", "--account", "tenant1", "--server", "https://127.0.0.1:1")]
    [InlineData("audit", "checkpoint", "--account", "Bad_Name")]
    public async Task Usage_errors_exit_2(params string[] args)
    {
        var result = await data.RunWithDataAsync(args);
        Assert.True(result.ExitCode == 2, result.ToString());
    }

    [Theory]
    [InlineData("verify", "--public-key", "--state-dir", "--server", "--account-key", "--ca-cert", "--platform")]
    [InlineData("tail", "--lines", "--server", "--platform")]
    [InlineData("export", "--from", "--to", "--server")]
    [InlineData("settings", "--data-plane", "--retention-days")]
    [InlineData("key", "--account", "--platform")]
    [InlineData("checkpoint", "--account", "--platform")]
    public async Task Help_lists_each_commands_options(string command, params string[] options)
    {
        var result = await TempDataDirectory.RunAsync("audit", command, "--help");
        Assert.True(result.ExitCode == 0, result.ToString());
        Assert.Contains($"strongroom audit {command}", result.Output, StringComparison.Ordinal);
        foreach (var option in options)
        {
            Assert.Contains(option, result.Output, StringComparison.Ordinal);
        }
    }

    [Fact]
    public async Task Server_and_data_contradict()
    {
        var result = await TempDataDirectory.RunAsync("audit", "tail", "--account", "tenant1", "--server", "https://127.0.0.1:1", "--data", data.Path);
        Assert.True(result.ExitCode == 2, result.ToString());
        Assert.Contains("contradict", result.Error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Remote_without_an_account_key_is_a_usage_error_that_names_the_variable()
    {
        Environment.SetEnvironmentVariable("STRONGROOM_ACCOUNT_KEY", null);
        var result = await TempDataDirectory.RunAsync("audit", "verify", "--account", "tenant1", "--server", "https://127.0.0.1:1");
        Assert.True(result.ExitCode == 2, result.ToString());
        Assert.Contains("STRONGROOM_ACCOUNT_KEY", result.Error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Remote_over_plain_http_to_another_host_is_refused()
    {
        var result = await TempDataDirectory.RunAsync("audit", "tail", "--account", "tenant1", "--server", "http://example.invalid:1", "--account-key", "a2V5");
        Assert.True(result.ExitCode == 2, result.ToString());
        Assert.Contains("https://", result.Error, StringComparison.Ordinal);
        Assert.DoesNotContain("a2V5", result.Error + result.Output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Unreachable_server_fails_with_exit_1_without_echoing_the_key()
    {
        var result = await TempDataDirectory.RunAsync("audit", "tail", "--account", "tenant1", "--server", "https://127.0.0.1:1", "--account-key", "c2VjcmV0LWtleQ==");
        Assert.True(result.ExitCode == 1, result.ToString());
        Assert.Contains("cannot reach", result.Error, StringComparison.Ordinal);
        Assert.DoesNotContain("c2VjcmV0LWtleQ==", result.Error + result.Output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Unknown_account_on_the_host_fails()
    {
        var result = await data.RunWithDataAsync("audit", "tail", "--account", "nosuchaccount");
        Assert.True(result.ExitCode == 1, result.ToString());
        Assert.Contains("not found", result.Error, StringComparison.Ordinal);
    }
}
