using Strongroom.Conformance.Tests.Infrastructure;
using Xunit.Abstractions;

namespace Strongroom.LogScan.Tests;

/// <summary>
/// The last step of <c>./test.sh</c>: the logs of every server the conformance tests started hold
/// no secret the tests handled and no key or share shape. A finding names the file and line only.
/// </summary>
public sealed class SuiteLogTests(ITestOutputHelper output)
{
    [Fact]
    public void No_server_log_of_the_suite_holds_key_share_or_token_material()
    {
        var directory = TestLogs.Directory;
        var logs = LogScanner.LogFiles(directory);
        var secrets = LogScanner.ReadSecrets(TestLogs.SecretsPath);
        Assert.True(logs.Count > 0, $"No server logs under {directory}: run the conformance tests first (./test.sh runs this project after them).");
        Assert.True(secrets.Count > 0, $"No secrets recorded in {TestLogs.SecretsPath}: the conformance infrastructure records every key, share and token it handles.");

        var findings = LogScanner.ScanDirectory(directory);

        output.WriteLine($"Scanned {logs.Count} server logs under {directory} for {secrets.Count} recorded secrets ({string.Join(", ", secrets.GroupBy(secret => secret.Kind).Select(group => $"{group.Count()} {group.Key}"))}) and the patterns {string.Join(", ", LogScanner.GenericPatterns)}.");
        Assert.True(findings.Count == 0, $"Secret material in the server logs under {directory}:\n{string.Join('\n', findings)}");
    }
}
