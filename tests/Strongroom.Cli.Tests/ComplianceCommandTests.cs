using System.Text.Json;

namespace Strongroom.Cli.Tests;

/// <summary>
/// <c>strongroom compliance report</c> in-process on a development directory (whose weaknesses it
/// names), and <c>--no-second-factor</c> on the host: warned, recorded, named by row IA-4.
/// </summary>
public sealed class ComplianceCommandTests : IDisposable
{
    private const string Password = "Correct-horse-battery-7";

    private readonly TempDataDirectory data = new TempDataDirectory().InitializeDevelopment();

    public void Dispose() => data.Dispose();

    [Fact]
    public async Task An_operator_without_a_second_factor_is_warned_recorded_and_named_by_the_report()
    {
        var created = await data.RunWithDataAndInputAsync(Password + "\n", "operator", "create", "root", "--role", "security-admin", "--no-second-factor", "--json");

        Assert.True(created.ExitCode == 0, created.ToString());
        using (var document = JsonDocument.Parse(created.Output))
        {
            Assert.Equal("none", document.RootElement.GetProperty("secondFactor").GetString());
            Assert.False(document.RootElement.TryGetProperty("totpSecret", out _));
        }

        Assert.Contains("warning: operator root has NO second factor", created.Error, StringComparison.Ordinal);
        Assert.Contains("IA-4", created.Error, StringComparison.Ordinal);
        var log = await data.RunWithDataAsync("audit", "export", "--platform");
        Assert.Contains("\"secondFactor\"", log.Output, StringComparison.Ordinal);

        Assert.Equal(0, (await data.RunWithDataAsync("account", "create", "acme")).ExitCode);
        var admin = await data.RunWithDataAndInputAsync(Password + "\n", "account", "admin", "create", "acme", "tina", "--no-second-factor");
        Assert.True(admin.ExitCode == 0, admin.ToString());
        Assert.Contains("Created administrator tina of account acme.", admin.Output, StringComparison.Ordinal);
        Assert.DoesNotContain("TOTP secret", admin.Output, StringComparison.Ordinal);
        Assert.Contains("warning: administrator tina has NO second factor", admin.Error, StringComparison.Ordinal);
        var admins = await data.RunWithDataAsync("account", "admin", "list", "acme");
        Assert.Contains("NO SECOND FACTOR", admins.Output, StringComparison.Ordinal);

        var report = await data.RunWithDataAsync("compliance", "report", "--format", "json");

        Assert.Equal(1, report.ExitCode);
        using var json = JsonDocument.Parse(report.Output);
        var ia4 = json.RootElement.GetProperty("rows").EnumerateArray().Single(row => row.GetProperty("id").GetString() == "IA-4");
        Assert.Equal("fail", ia4.GetProperty("status").GetString());
        Assert.Contains("operator root", ia4.GetProperty("evidence").GetString(), StringComparison.Ordinal);
        Assert.Contains("tenant-admin acme/tina", ia4.GetProperty("evidence").GetString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_development_directory_fails_the_rows_development_weakens_and_says_so()
    {
        Assert.Equal(0, (await data.RunWithDataAsync("account", "create", "acme")).ExitCode);

        var report = await data.RunWithDataAsync("compliance", "report", "--format", "json");

        Assert.Equal(1, report.ExitCode);
        using var json = JsonDocument.Parse(report.Output);
        Assert.Equal(1, json.RootElement.GetProperty("version").GetInt32());
        var rows = json.RootElement.GetProperty("rows").EnumerateArray().ToDictionary(row => row.GetProperty("id").GetString()!, row => row.GetProperty("status").GetString());
        foreach (var id in new[] { "IA-3", "DC-1", "AC-1", "KM-2" })
        {
            Assert.Equal("fail", rows[id]);
        }

        // The development sample has EU sites: localisation in China fails; the account's copies stay in CN.
        Assert.Equal("fail", rows["DR-1"]);
        Assert.Equal("pass", rows["DR-2"]);
        Assert.Equal("pass", rows["AU-3"]);
        Assert.Equal("manual", rows["MC-1"]);
        Assert.Contains("compliance report: failed rows", report.Error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Markdown_is_the_default_and_output_writes_a_file()
    {
        var markdown = await data.RunWithDataAsync("compliance", "report");
        Assert.Equal(1, markdown.ExitCode);
        Assert.StartsWith("# Strongroom compliance report", markdown.Output, StringComparison.Ordinal);
        Assert.Contains("| IA-4 |", markdown.Output, StringComparison.Ordinal);

        var path = System.IO.Path.Combine(data.Path, "report.html");
        var html = await data.RunWithDataAsync("compliance", "report", "--format", "html", "--output", path);
        Assert.Equal(1, html.ExitCode);
        Assert.Contains($"Wrote the compliance report (html) to {path}", html.Output, StringComparison.Ordinal);
        Assert.StartsWith("<!DOCTYPE html>", await File.ReadAllTextAsync(path), StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_bogus_format_is_a_usage_error_and_a_missing_directory_a_failure()
    {
        var bogus = await data.RunWithDataAsync("compliance", "report", "--format", "bogus");
        Assert.Equal(2, bogus.ExitCode);
        Assert.Contains("bogus", bogus.Error, StringComparison.Ordinal);

        var missing = await TempDataDirectory.RunAsync("compliance", "report", "--data", System.IO.Path.Combine(data.Path, "nowhere"));
        Assert.Equal(1, missing.ExitCode);
        Assert.Contains("no Strongroom data directory", missing.Error, StringComparison.Ordinal);
    }
}
