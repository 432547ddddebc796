using System.CommandLine;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;

namespace Strongroom.Cli;

/// <summary>
/// A signed-in principal's session as the CLI keeps it between commands: the management endpoint,
/// the CA certificate it was trusted with, and the session token (owner-only file, never printed).
/// <c>strongroom login</c> writes it, <c>logout</c> deletes it; every management command reads it
/// from <c>--session</c>, else <c>$STRONGROOM_SESSION</c>, else <c>~/.strongroom/session.json</c>.
/// </summary>
internal sealed record SessionFile(string Server, string? CaCertificate, string Token, string Kind, string? Account, string Name)
{
    public const string EnvironmentVariable = "STRONGROOM_SESSION";
    private const int FormatVersion = 1;

    /// <summary>The session file of this invocation: the option's value, else the environment's, else the default under the home directory.</summary>
    public static string PathOf(string? option)
    {
        if (option is not null)
        {
            return CliSession.Current.ResolvePath(option);
        }

        var variable = Environment.GetEnvironmentVariable(EnvironmentVariable);
        return string.IsNullOrEmpty(variable)
            ? System.IO.Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".strongroom", "session.json")
            : CliSession.Current.ResolvePath(variable);
    }

    public static SessionFile Load(string path)
    {
        if (!File.Exists(path))
        {
            throw new CliException(Cli.ExitFailure, $"not signed in (no session in {path}): run `strongroom login` first.");
        }

        try
        {
            using var document = JsonDocument.Parse(File.ReadAllBytes(path));
            var root = document.RootElement;
            if (root.GetProperty("version").GetInt32() != FormatVersion)
            {
                throw new CliException(Cli.ExitFailure, $"{path} is a session file of another version: run `strongroom login` again.");
            }

            return new SessionFile(
                root.GetProperty("server").GetString()!,
                root.TryGetProperty("caCertificate", out var ca) ? ca.GetString() : null,
                root.GetProperty("token").GetString()!,
                root.GetProperty("kind").GetString()!,
                root.TryGetProperty("account", out var account) ? account.GetString() : null,
                root.GetProperty("name").GetString()!);
        }
        catch (Exception exception) when (exception is JsonException or KeyNotFoundException or InvalidOperationException)
        {
            throw new CliException(Cli.ExitFailure, $"{path} is not a session file: run `strongroom login` again.");
        }
    }

    /// <summary>Writes the file readable by its owner only (created so before the token is written).</summary>
    public void Save(string path)
    {
        Directory.CreateDirectory(System.IO.Path.GetDirectoryName(path)!);
        var bytes = Encoding.UTF8.GetBytes(Cli.Json(json =>
        {
            json.WriteStartObject();
            json.WriteNumber("version", FormatVersion);
            json.WriteString("server", Server);
            if (CaCertificate is not null)
            {
                json.WriteString("caCertificate", CaCertificate);
            }

            json.WriteString("kind", Kind);
            if (Account is not null)
            {
                json.WriteString("account", Account);
            }

            json.WriteString("name", Name);
            json.WriteString("token", Token);
            json.WriteEndObject();
        }));
        var partial = $"{path}.{Environment.ProcessId}.partial";
        var options = new FileStreamOptions { Mode = FileMode.Create, Access = FileAccess.Write, Share = FileShare.None };
        if (!OperatingSystem.IsWindows())
        {
            options.UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite;
        }

        using (var stream = new FileStream(partial, options))
        {
            stream.Write(bytes);
            stream.Flush(flushToDisk: true);
        }

        File.Move(partial, path, overwrite: true);
    }

    /// <summary>
    /// <c>--ca-cert</c> of a management command: trust this certificate instead of the one the
    /// session was signed in with (e.g. after the server's was renewed).
    /// </summary>
    public static Option<string?> CaCertificateOption() =>
        new("--ca-cert") { Description = "Trust this PEM certificate instead of the one the session was signed in with.", HelpName = "file" };

    public static Option<string?> Option() => new("--session")
    {
        Description = $"The session file written by `strongroom login` (default: ${EnvironmentVariable}, else ~/.strongroom/session.json).",
        HelpName = "file",
    };
}

/// <summary>
/// The CLI's client of the management plane: JSON over HTTPS, the session token as a bearer
/// credential, the server's certificate trusted as <see cref="ServerTrust"/> says. A refusal
/// becomes a <see cref="CliException"/> carrying the server's code and message; the token never
/// appears in one.
/// </summary>
internal sealed class ManagementClient : IDisposable
{
    private readonly ServerTrust trust;
    private readonly HttpClient http;
    private readonly string? token;

    private ManagementClient(string server, string? caCertificate, string? token)
    {
        if (!Uri.TryCreate(server, UriKind.Absolute, out var endpoint) || endpoint.Scheme is not ("https" or "http"))
        {
            throw new CliException(Cli.ExitUsage, $"'{server}' is not a management endpoint URL (https://host:port/).");
        }

        trust = ServerTrust.Load(caCertificate);
        http = new HttpClient(trust.CreateHandler(), disposeHandler: true) { BaseAddress = endpoint, Timeout = TimeSpan.FromSeconds(100) };
        this.token = token;
        Server = endpoint.ToString();
        CaCertificate = caCertificate is null ? null : CliSession.Current.ResolvePath(caCertificate);
    }

    public string Server { get; }

    /// <summary>The CA certificate's full path, kept in the session file.</summary>
    public string? CaCertificate { get; }

    /// <summary>A client with no session (sign-in).</summary>
    public static ManagementClient Anonymous(string server, string? caCertificate) => new(server, caCertificate, token: null);

    /// <summary>A client for the session in <paramref name="sessionOption"/>'s file (see <see cref="SessionFile.PathOf"/>).</summary>
    public static ManagementClient FromSession(string? sessionOption, out SessionFile session)
    {
        session = SessionFile.Load(SessionFile.PathOf(sessionOption));
        return new ManagementClient(session.Server, session.CaCertificate, session.Token);
    }

    /// <summary>As above, trusting <paramref name="caCertificate"/> instead of the session's CA certificate when given.</summary>
    public static ManagementClient FromSession(string? sessionOption, string? caCertificate, out SessionFile session)
    {
        session = SessionFile.Load(SessionFile.PathOf(sessionOption));
        return new ManagementClient(session.Server, caCertificate ?? session.CaCertificate, session.Token);
    }

    /// <summary>Sends <paramref name="request"/> with the session's bearer token; a plane that cannot be reached is a <see cref="CliException"/>.</summary>
    private async Task<HttpResponseMessage> SendWithTokenAsync(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        if (token is not null)
        {
            request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
        }

        try
        {
            return await http.SendAsync(request, cancellationToken).ConfigureAwait(false);
        }
        catch (HttpRequestException exception)
        {
            throw new CliException(Cli.ExitFailure, $"cannot reach the management plane at {Server}: {exception.Message}");
        }
    }

    /// <summary>Calls <paramref name="path"/> (relative, e.g. <c>v1/operators</c>) and returns the JSON answer (an empty object for none).</summary>
    public async Task<JsonElement> SendAsync(HttpMethod method, string path, Action<Utf8JsonWriter>? body, CancellationToken cancellationToken)
    {
        using var request = new HttpRequestMessage(method, path);
        if (body is not null)
        {
            request.Content = new StringContent(Cli.Json(body), Encoding.UTF8, "application/json");
        }

        using (var response = await SendWithTokenAsync(request, cancellationToken).ConfigureAwait(false))
        {
            var bytes = await response.Content.ReadAsByteArrayAsync(cancellationToken).ConfigureAwait(false);
            JsonElement answer;
            try
            {
                using var document = bytes.Length == 0 ? JsonDocument.Parse("{}") : JsonDocument.Parse(bytes);
                answer = document.RootElement.Clone();
            }
            catch (JsonException)
            {
                throw new CliException(Cli.ExitFailure, $"the management plane answered {(int)response.StatusCode} with a body that is not JSON.");
            }

            if (response.IsSuccessStatusCode)
            {
                return answer;
            }

            var code = answer.TryGetProperty("error", out var error) && error.TryGetProperty("code", out var c) ? c.GetString() : null;
            var message = error.ValueKind == JsonValueKind.Object && error.TryGetProperty("message", out var m) ? m.GetString() : null;
            throw new ManagementCallException((int)response.StatusCode, code ?? "Unknown", message ?? response.ReasonPhrase ?? "failed");
        }
    }

    /// <summary>
    /// GETs <paramref name="path"/> and returns the body's exact bytes and the response headers
    /// (a certificate: the signature covers those bytes, so they are not parsed and re-written).
    /// A refusal is a <see cref="ManagementCallException"/> as for <see cref="SendAsync"/>.
    /// </summary>
    public async Task<(byte[] Body, System.Net.Http.Headers.HttpResponseHeaders Headers)> GetBytesAsync(string path, CancellationToken cancellationToken)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, path);
        using (var response = await SendWithTokenAsync(request, cancellationToken).ConfigureAwait(false))
        {
            var bytes = await response.Content.ReadAsByteArrayAsync(cancellationToken).ConfigureAwait(false);
            if (response.IsSuccessStatusCode)
            {
                return (bytes, response.Headers);
            }

            string? code = null, message = null;
            try
            {
                using var document = JsonDocument.Parse(bytes);
                if (document.RootElement.TryGetProperty("error", out var error) && error.ValueKind == JsonValueKind.Object)
                {
                    code = error.TryGetProperty("code", out var c) ? c.GetString() : null;
                    message = error.TryGetProperty("message", out var m) ? m.GetString() : null;
                }
            }
            catch (JsonException)
            {
                // Not the plane's error body: the status says enough.
            }

            throw new ManagementCallException((int)response.StatusCode, code ?? "Unknown", message ?? response.ReasonPhrase ?? "failed");
        }
    }

    public void Dispose()
    {
        http.Dispose();
        trust.Dispose();
    }
}

/// <summary>The management plane refused a call: its status, code and message (printed as <c>error: CODE: message</c>).</summary>
internal sealed class ManagementCallException(int status, string code, string message)
    : CliException(Cli.ExitFailure, code == "SessionInvalid" ? $"{code}: {message} Run `strongroom login` again." : $"{code}: {message}")
{
    public int Status { get; } = status;

    public string Code { get; } = code;
}
