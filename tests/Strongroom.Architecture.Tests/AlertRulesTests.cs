using System.Diagnostics;
using System.Text.RegularExpressions;

namespace Strongroom.Architecture.Tests;

/// <summary>
/// Issue 10: the Prometheus alert rules shipped in <c>deploy/prometheus</c> are valid
/// (<c>promtool check rules</c>), behave as their unit tests say (<c>promtool test rules</c>: each
/// alert fires on the input that should fire it and not on the input beside it), and each one has
/// a severity, a summary, a description and a runbook section in docs/operations.md. Here, not in
/// the conformance suite, because the rules are a repository file checked once, like the rest of
/// this project's checks, with no server and in no metadata or front-door mode. promtool comes from
/// Debian's <c>prometheus</c> package; test.sh installs it and sets
/// <see cref="RequireVariable"/>, so a missing promtool fails instead of passing vacuously.
/// </summary>
public sealed partial class AlertRulesTests
{
    public const string RequireVariable = "STRONGROOM_TEST_REQUIRE_PROMTOOL";

    private static readonly string RulesDirectory = Path.Combine(Repository.Root, "deploy", "prometheus");
    private static readonly string RulesFile = Path.Combine(RulesDirectory, "strongroom-alerts.yml");
    private static readonly string TestsFile = Path.Combine(RulesDirectory, "strongroom-alerts.test.yml");

    /// <summary>What the issue asks for, by the metric each alert watches (names from the shared metrics contract).</summary>
    private static readonly Dictionary<string, string> Required = new(StringComparer.Ordinal)
    {
        ["StrongroomServerDown"] = "up{job=\"strongroom\"}",
        ["StrongroomSealed"] = "strongroom_sealed",
        ["StrongroomSiteDown"] = "strongroom_site_up",
        ["StrongroomReplicationLagHigh"] = "strongroom_replication_lag_seconds",
        ["StrongroomAuditAppendFailures"] = "strongroom_audit_append_failures_total",
        ["StrongroomRepairBacklogGrowing"] = "strongroom_repair_backlog",
        ["StrongroomLoginFailures"] = "strongroom_login_failures_total",
    };

    [Fact]
    public async Task Promtool_checks_the_rules_file()
    {
        if (Promtool() is not { } promtool)
        {
            return;
        }

        var (exitCode, output) = await RunAsync(promtool, RulesDirectory, "check", "rules", RulesFile);
        Assert.True(exitCode == 0, $"promtool check rules failed:\n{output}");
        Assert.Contains("SUCCESS", output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Promtool_unit_tests_fire_each_alert_when_it_should_and_not_otherwise()
    {
        if (Promtool() is not { } promtool)
        {
            return;
        }

        var (exitCode, output) = await RunAsync(promtool, RulesDirectory, "test", "rules", TestsFile);
        Assert.True(exitCode == 0, $"promtool test rules failed:\n{output}");

        // Every alert of the file is exercised by at least one unit test.
        var tests = File.ReadAllText(TestsFile);
        Assert.All(Alerts(), alert => Assert.Contains($"alertname: {alert.Name}\n", tests, StringComparison.Ordinal));
    }

    [Fact]
    public void Every_required_alert_exists_and_every_alert_has_severity_summary_description_and_a_runbook_section()
    {
        var alerts = Alerts();
        var missing = Required.Keys.Except(alerts.Select(alert => alert.Name), StringComparer.Ordinal).ToList();
        Assert.True(missing.Count == 0, "Alerts missing from strongroom-alerts.yml: " + string.Join(", ", missing));
        foreach (var (name, metric) in Required)
        {
            Assert.Contains(metric, alerts.Single(alert => alert.Name == name).Body, StringComparison.Ordinal);
        }

        var operations = File.ReadAllText(Path.Combine(Repository.Root, "docs", "operations.md"));
        foreach (var alert in alerts)
        {
            Assert.Matches(@"\n\s+severity: (critical|warning)\n", alert.Body);
            Assert.Matches("\n\\s+summary: \"[^\"]+\"\n", alert.Body);
            Assert.Matches("\n\\s+description: \"[^\"]+\"\n", alert.Body);
            var anchor = alert.Name.ToLowerInvariant();
            Assert.Contains($"runbook_url: \"docs/operations.md#{anchor}\"", alert.Body, StringComparison.Ordinal);

            // GitHub's anchor for "### StrongroomSiteDown" is #strongroomsitedown.
            Assert.True(operations.Contains($"\n### {alert.Name}\n", StringComparison.Ordinal), $"docs/operations.md has no runbook section \"### {alert.Name}\".");
        }
    }

    [Fact]
    public void Every_metric_the_rules_read_is_documented_in_metrics_md()
    {
        var rules = File.ReadAllText(RulesFile);
        var documented = File.ReadAllText(Path.Combine(Repository.Root, "docs", "metrics.md"));
        var used = MetricName().Matches(rules).Select(match => match.Value).Distinct(StringComparer.Ordinal).ToList();
        Assert.NotEmpty(used);
        var missing = used.Where(metric => !documented.Contains($"`{metric}`", StringComparison.Ordinal)).ToList();
        Assert.True(missing.Count == 0, "Metrics the alert rules read that docs/metrics.md does not list: " + string.Join(", ", missing));
    }

    private static List<(string Name, string Body)> Alerts()
    {
        var text = File.ReadAllText(RulesFile).ReplaceLineEndings("\n");
        var matches = AlertLine().Matches(text);
        return matches.Select((match, i) =>
        {
            var end = i + 1 < matches.Count ? matches[i + 1].Index : text.Length;
            return (match.Groups["name"].Value, text[match.Index..end]);
        }).ToList();
    }

    /// <summary>promtool on PATH or where Debian puts it; null (the test passes vacuously) only when it is not required.</summary>
    private static string? Promtool()
    {
        var candidates = (Environment.GetEnvironmentVariable("PATH") ?? string.Empty)
            .Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries)
            .Select(directory => Path.Combine(directory, "promtool"))
            .Append("/usr/bin/promtool");
        var found = candidates.FirstOrDefault(File.Exists);
        if (found is null && Environment.GetEnvironmentVariable(RequireVariable) == "1")
        {
            Assert.Fail($"promtool was not found on PATH or at /usr/bin/promtool, and {RequireVariable}=1: install Debian's `prometheus` package (apt-get install -y prometheus), which ships promtool. test.sh does this when it runs as root or with sudo.");
        }

        return found;
    }

    private static async Task<(int ExitCode, string Output)> RunAsync(string executable, string workingDirectory, params string[] arguments)
    {
        var start = new ProcessStartInfo(executable)
        {
            WorkingDirectory = workingDirectory,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }

        using var process = Process.Start(start) ?? throw new InvalidOperationException($"{executable} did not start.");
        var standardOutput = process.StandardOutput.ReadToEndAsync();
        var standardError = process.StandardError.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(2));
        await process.WaitForExitAsync(timeout.Token);
        return (process.ExitCode, await standardOutput + await standardError);
    }

    [GeneratedRegex(@"^\s+- alert: (?<name>\S+)$", RegexOptions.Multiline)]
    private static partial Regex AlertLine();

    [GeneratedRegex(@"\bstrongroom_[a-z_]+[a-z]\b")]
    private static partial Regex MetricName();
}
