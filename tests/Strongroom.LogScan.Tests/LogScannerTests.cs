using Strongroom.Conformance.Tests.Infrastructure;

namespace Strongroom.LogScan.Tests;

/// <summary>The scanner itself, on planted logs in a temporary directory: it must find what it is for.</summary>
public sealed class LogScannerTests : IDisposable
{
    const string AccountKey = "q3Jv1n9cY0m5TtS2bW8xZ4kP7fL6hD1aR0eN3uV9iC2oG5jQ8yX1wE4sB7zM0pK6lH3dF9gA2tU5rY8cI1vO4n==";
    const string Share = "srs1-4f2a-01-9c8e7d6b5a4f3e2d1c0b-a9b8c7d6e5f4";

    readonly string _directory = Path.Combine(Path.GetTempPath(), "strongroom-logscan-tests", Path.GetRandomFileName());

    public LogScannerTests() => Directory.CreateDirectory(_directory);

    public void Dispose() => Directory.Delete(_directory, recursive: true);

    void Record(string kind, string value) =>
        File.AppendAllText(Path.Combine(_directory, TestLogs.SecretsFileName), TestLogs.SecretLine(kind, value) + "\n");

    void Log(string name, params string[] lines) =>
        File.WriteAllLines(Path.Combine(_directory, name + TestLogs.LogExtension), lines);

    [Fact]
    public void A_planted_account_key_is_found_by_file_and_line_without_printing_it()
    {
        Record("account key", AccountKey);
        Log("clean", "Strongroom server", "Ready. Stop with Ctrl+C.");
        Log("leaky", "Strongroom server", "warn: Authentication failed", $"info: wrapping with {AccountKey} now");

        var findings = LogScanner.ScanDirectory(_directory);

        var finding = Assert.Single(findings);
        Assert.Equal("leaky.log", finding.File);
        Assert.Equal(3, finding.Line);
        Assert.Equal("leaky.log:3: a recorded account key", finding.ToString());
        Assert.DoesNotContain(AccountKey, finding.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public void Every_occurrence_on_every_line_is_reported_once_per_kind_and_line()
    {
        Record("bearer token", "tok-" + new string('x', 40));
        Record("unseal share", Share);
        Log("server", $"a {"tok-" + new string('x', 40)} b {"tok-" + new string('x', 40)}", "nothing", $"[stderr] {Share}");

        var findings = LogScanner.ScanDirectory(_directory).Select(finding => finding.ToString()).ToList();

        Assert.Equal(
            ["server.log:1: a recorded bearer token", "server.log:3: the pattern 'srs1-'", "server.log:3: a recorded unseal share"],
            findings);
    }

    [Theory]
    [InlineData("srs1-")]
    [InlineData("Authorization: Bearer eyJhbGciOiJIUzI1NiJ9")]
    [InlineData("{\"key\":\"anything\"}")]
    public void Generic_patterns_are_found_without_any_recorded_secret(string line)
    {
        Log("server", "fine", line);

        var finding = Assert.Single(LogScanner.ScanDirectory(_directory));

        Assert.Equal(2, finding.Line);
        Assert.StartsWith("the pattern '", finding.What, StringComparison.Ordinal);
    }

    [Fact]
    public void The_public_development_key_is_not_a_leak_even_if_recorded()
    {
        File.AppendAllText(
            Path.Combine(_directory, TestLogs.SecretsFileName),
            $"account key\t{TestLogs.PublicDevelopmentKey.Length}\t{TestLogs.Digest(System.Text.Encoding.UTF8.GetBytes(TestLogs.PublicDevelopmentKey))}\n");
        Log("dev", $"Account key:       {TestLogs.PublicDevelopmentKey}");

        Assert.Empty(LogScanner.ScanDirectory(_directory));
        Assert.Null(TestLogs.SecretLine("account key", TestLogs.PublicDevelopmentKey));
    }

    [Fact]
    public void Short_values_are_not_recorded_and_the_secrets_file_holds_no_secret_in_the_clear()
    {
        Assert.Null(TestLogs.SecretLine("secret value", "one"));
        var line = TestLogs.SecretLine("account key", AccountKey)!;
        Assert.DoesNotContain(AccountKey, line, StringComparison.Ordinal);
        Assert.Equal(["account key", AccountKey.Length.ToString(System.Globalization.CultureInfo.InvariantCulture), TestLogs.Digest(System.Text.Encoding.UTF8.GetBytes(AccountKey))], line.Split('\t'));
    }

    [Fact]
    public void Only_logs_are_scanned_and_a_malformed_secrets_file_is_an_error()
    {
        Record("account key", AccountKey);
        File.WriteAllText(Path.Combine(_directory, "notes.txt"), AccountKey);
        Assert.Empty(LogScanner.ScanDirectory(_directory));

        File.AppendAllText(Path.Combine(_directory, TestLogs.SecretsFileName), "not a record\n");
        Assert.Throws<InvalidDataException>(() => LogScanner.ScanDirectory(_directory));
    }
}
