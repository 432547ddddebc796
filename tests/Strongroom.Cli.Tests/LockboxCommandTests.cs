namespace Strongroom.Cli.Tests;

/// <summary>
/// The lockbox commands' own checks, before any call; the calls themselves run against a real
/// server in the conformance LockboxTests.
/// </summary>
public sealed class LockboxCommandTests : IDisposable
{
    private readonly string directory = Directory.CreateTempSubdirectory("strongroom-lockbox-cli-").FullName;

    [Theory]
    [InlineData("request", "--account", "--container", "--prefix", "--access", "--duration", "--justification", "--session", "--json")]
    [InlineData("list", "--account", "--state", "--session", "--json")]
    [InlineData("show", "--session", "--json")]
    [InlineData("approve", "--session", "--json")]
    [InlineData("deny", "--reason", "--session", "--json")]
    [InlineData("activate", "--session")]
    [InlineData("end", "--session")]
    [InlineData("revoke", "--session")]
    [InlineData("token", "--session", "--json")]
    public async Task Help_lists_each_commands_options(string command, params string[] options)
    {
        var result = await TempDataDirectory.RunAsync("lockbox", command, "--help");
        Assert.True(result.ExitCode == 0, result.ToString());
        Assert.Contains($"strongroom lockbox {command}", result.Output, StringComparison.Ordinal);
        foreach (var option in options)
        {
            Assert.Contains(option, result.Output, StringComparison.Ordinal);
        }
    }

    [Theory]
    [InlineData("--access", "write", "--duration", "2h")]
    [InlineData("--access", "read-data", "--duration", "9h")]
    [InlineData("--access", "read-data", "--duration", "2 hours")]
    public async Task Requests_out_of_bounds_are_usage_errors(params string[] options)
    {
        var result = await TempDataDirectory.RunAsync(["lockbox", "request", "--account", "acme", "--container", "photos", "--justification", "why", .. options, "--session", SessionPath()]);
        Assert.True(result.ExitCode == 2, result.ToString());
    }

    [Fact]
    public async Task Without_a_session_it_says_to_sign_in()
    {
        var result = await TempDataDirectory.RunAsync("lockbox", "list", "--session", Path.Combine(directory, "absent.json"));
        Assert.True(result.ExitCode == 1, result.ToString());
        Assert.Contains("strongroom login", result.Error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task An_unreachable_plane_is_a_failure_that_prints_no_token()
    {
        var result = await TempDataDirectory.RunAsync("lockbox", "token", "lbx-0123456789abcdef", "--session", SessionPath());
        Assert.True(result.ExitCode == 1, result.ToString());
        Assert.Contains("cannot reach", result.Error, StringComparison.Ordinal);
        Assert.DoesNotContain("srsession1.", result.Error + result.Output, StringComparison.Ordinal);
        Assert.Equal(string.Empty, result.Output);
    }

    /// <summary>A session file for a plane nobody listens on (port 1).</summary>
    private string SessionPath()
    {
        var path = Path.Combine(directory, "session.json");
        File.WriteAllText(path, """{"version":1,"server":"https://127.0.0.1:1/","kind":"operator","name":"olga","token":"srsession1.not-a-real-token"}""");
        return path;
    }

    public void Dispose() => Directory.Delete(directory, recursive: true);
}
