using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text.Json;

namespace Strongroom.Cli.Tests;

/// <summary>
/// <c>strongroom transfer</c>'s refusals before anything reaches the management plane: an unknown
/// legal basis or state, a missing purpose, reference or destination, an option of another
/// subcommand, no session; and which certificate a command trusts (<c>--ca-cert</c> over the
/// session's). Offline: the session points at a closed loopback port.
/// </summary>
public sealed class TransferCommandTests : IDisposable
{
    // A loopback port nothing listens on: a call that gets past the command line fails to connect.
    private const string ClosedServer = "https://127.0.0.1:9/";

    private readonly string directory = Directory.CreateTempSubdirectory("strongroom-transfer-cli-").FullName;

    public void Dispose() => Directory.Delete(directory, recursive: true);

    private static readonly string[] ValidRequest =
    [
        "transfer", "request", "--account", "acme", "--container", "reports", "--prefix", "eu/", "--destination", "eu1",
        "--legal-basis", "standard-contract", "--reference", "SC-1", "--purpose", "Group audit",
    ];

    [Theory]
    [InlineData("--legal-basis", "adequacy-decision")]
    [InlineData("--legal-basis", "Standard-Contract")]
    public async Task An_unknown_legal_basis_is_a_usage_error(string option, string value)
    {
        var args = ValidRequest.ToList();
        args[args.IndexOf(option) + 1] = value;

        var refused = await TempDataDirectory.RunAsync([.. args, "--session", WriteSession()]);

        Assert.Equal(2, refused.ExitCode);
        Assert.Contains(value, refused.Error, StringComparison.Ordinal);
        Assert.DoesNotContain("cannot reach", refused.Error, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("--purpose")]
    [InlineData("--reference")]
    [InlineData("--legal-basis")]
    [InlineData("--destination")]
    [InlineData("--container")]
    [InlineData("--account")]
    public async Task A_request_without_a_required_option_is_a_usage_error(string option)
    {
        var args = ValidRequest.ToList();
        var at = args.IndexOf(option);
        args.RemoveRange(at, 2);

        var refused = await TempDataDirectory.RunAsync([.. args, "--session", WriteSession()]);

        Assert.Equal(2, refused.ExitCode);
        Assert.Contains(option, refused.Error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Other_command_line_refusals_are_usage_errors()
    {
        var session = WriteSession();
        Assert.Equal(2, (await TempDataDirectory.RunAsync("transfer", "list", "--state", "active", "--session", session)).ExitCode);
        Assert.Equal(2, (await TempDataDirectory.RunAsync("transfer", "approve", "tr-1", "--reason", "why", "--session", session)).ExitCode);
        Assert.Equal(2, (await TempDataDirectory.RunAsync("transfer", "run", "--session", session)).ExitCode);
        Assert.Equal(2, (await TempDataDirectory.RunAsync("transfer", "show", "tr-1", "tr-2", "--session", session)).ExitCode);
        Assert.Equal(2, (await TempDataDirectory.RunAsync("transfer", "copy", "tr-1", "--session", session)).ExitCode);
    }

    [Theory]
    [InlineData("request")]
    [InlineData("list")]
    [InlineData("show")]
    [InlineData("approve")]
    [InlineData("deny")]
    [InlineData("run")]
    public async Task Every_subcommand_without_a_session_says_to_sign_in(string verb)
    {
        var missing = Path.Combine(directory, "missing.json");
        string[] args = verb switch
        {
            "request" => [.. ValidRequest],
            "list" => ["transfer", "list"],
            _ => ["transfer", verb, "tr-1"],
        };

        var refused = await TempDataDirectory.RunAsync([.. args, "--session", missing]);

        Assert.Equal(1, refused.ExitCode);
        Assert.Contains("not signed in", refused.Error, StringComparison.Ordinal);
        Assert.Contains("strongroom login", refused.Error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_file_that_is_not_a_session_is_refused()
    {
        var path = Path.Combine(directory, "garbage.json");
        await File.WriteAllTextAsync(path, "{\"version\":1}");

        var refused = await TempDataDirectory.RunAsync("transfer", "list", "--session", path);

        Assert.Equal(1, refused.ExitCode);
        Assert.Contains("is not a session file", refused.Error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_valid_command_line_goes_to_the_server_and_a_closed_port_is_reported_without_the_token()
    {
        var refused = await TempDataDirectory.RunAsync([.. ValidRequest, "--session", WriteSession()]);

        Assert.Equal(1, refused.ExitCode);
        Assert.Contains("cannot reach the management plane at " + ClosedServer, refused.Error, StringComparison.Ordinal);
        Assert.DoesNotContain("srsession1.", refused.Output + refused.Error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Ca_cert_replaces_the_certificate_the_session_was_signed_in_with()
    {
        // The session names a certificate that is gone; the command fails on it unless --ca-cert names another.
        var session = WriteSession(caCertificate: Path.Combine(directory, "gone.crt"));
        var withGone = await TempDataDirectory.RunAsync("transfer", "list", "--session", session);
        Assert.Equal(1, withGone.ExitCode);
        Assert.Contains("gone.crt", withGone.Error, StringComparison.Ordinal);
        Assert.DoesNotContain("cannot reach", withGone.Error, StringComparison.Ordinal);

        var replaced = await TempDataDirectory.RunAsync("transfer", "list", "--session", session, "--ca-cert", WriteCertificate());
        Assert.Equal(1, replaced.ExitCode);
        Assert.Contains("cannot reach the management plane", replaced.Error, StringComparison.Ordinal);
    }

    private string WriteSession(string? caCertificate = null)
    {
        var path = Path.Combine(directory, $"session-{Guid.NewGuid():N}.json");
        var json = JsonSerializer.Serialize(new Dictionary<string, object?>
        {
            ["version"] = 1,
            ["server"] = ClosedServer,
            ["caCertificate"] = caCertificate,
            ["kind"] = "operator",
            ["name"] = "sysop",
            ["token"] = "srsession1.not-a-real-token",
        });
        File.WriteAllText(path, json);
        return path;
    }

    private string WriteCertificate()
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest("CN=transfer-cli-test", key, HashAlgorithmName.SHA256);
        using var certificate = request.CreateSelfSigned(DateTimeOffset.UtcNow.AddDays(-1), DateTimeOffset.UtcNow.AddDays(1));
        var path = Path.Combine(directory, "server.crt");
        File.WriteAllText(path, certificate.ExportCertificatePem());
        return path;
    }
}
