using System.Globalization;
using System.Net;
using System.Net.Http.Headers;
using System.Text.Json;
using Strongroom.Audit;
using Strongroom.Core;
using Strongroom.Server;

namespace Strongroom.Cli;

/// <summary>One entry as a log source serves it: its leaf hash, and its canonical bytes unless retention pruned them.</summary>
internal sealed record AuditLogEntry(long Index, byte[] LeafHash, byte[]? Body, DateTimeOffset? Time);

/// <summary>A page of entries and the size of the tree the source served it from.</summary>
internal sealed record AuditEntriesPage(long Size, IReadOnlyList<AuditLogEntry> Entries);

/// <summary>
/// Where the <c>audit</c> commands read a log: the tenant endpoints of a server
/// (<see cref="HttpLogSource"/>) or the host's data directory (<see cref="DeploymentLogSource"/>).
/// Neither checks anything: the verifier trusts no source.
/// </summary>
internal interface IAuditLogReader
{
    /// <summary>What is read, for messages ("account tenant1 at https://host:10000/").</summary>
    string Description { get; }

    /// <summary>Where the log is read from and whose it is: names the verifier's pinned state (never the origin the server states).</summary>
    string Identity { get; }

    /// <summary>The latest signed checkpoint (the C2SP signed note), signed on demand by the server.</summary>
    Task<string> GetCheckpointNoteAsync(CancellationToken cancellationToken);

    /// <summary>The log's current size (remote: the latest checkpoint's, unverified; use verify to check it).</summary>
    Task<long> GetSizeAsync(CancellationToken cancellationToken);

    /// <summary>The verifier key line the server publishes for this log.</summary>
    Task<string> GetVerifierKeyAsync(CancellationToken cancellationToken);

    /// <summary>Entries [start, end), end exclusive, at most <see cref="Limits.AuditEntriesPageMax"/>.</summary>
    Task<AuditEntriesPage> GetEntriesAsync(long start, long end, CancellationToken cancellationToken);

    Task<IReadOnlyList<byte[]>> GetInclusionProofAsync(long index, long size, CancellationToken cancellationToken);

    Task<IReadOnlyList<byte[]>> GetConsistencyProofAsync(long first, long second, CancellationToken cancellationToken);
}

/// <summary>
/// A log read over the tenant endpoints (<c>/.strongroom/log/…</c>) as the tenant: a bearer token
/// from <c>POST /.strongroom/oauth2/token</c> (client credentials: the account and one of its
/// keys), which also names the log served. The account key is sent once, in the token request's
/// body, and never printed.
/// </summary>
internal sealed class HttpLogSource : IAuditLogReader, IDisposable
{
    public const string LogPrefix = "/.strongroom/log";

    private readonly HttpClient client;
    private readonly ServerTrust trust;
    private readonly Uri server;
    private readonly string account;
    private readonly string accountKey;
    private string? token;

    private HttpLogSource(Uri server, string account, string accountKey, ServerTrust trust)
    {
        this.server = server;
        this.account = account;
        this.accountKey = accountKey;
        this.trust = trust;
        client = new HttpClient(trust.CreateHandler(), disposeHandler: true) { Timeout = TimeSpan.FromSeconds(60) };
    }

    public string Description => $"account {account} at {server}";

    public string Identity => $"{server} {account}";

    /// <summary>A source for <paramref name="account"/>'s log on <paramref name="server"/> (https, or http on loopback only).</summary>
    public static HttpLogSource Create(Uri server, string account, string accountKey, string? caCertificatePath)
    {
        if (server.Scheme != Uri.UriSchemeHttps && !(server.Scheme == Uri.UriSchemeHttp && server.IsLoopback))
        {
            throw new CliException(Cli.ExitUsage, $"--server must be an https:// address (got '{server}'): the account key must not cross the network in the clear.");
        }

        return new HttpLogSource(server, account, accountKey, ServerTrust.Load(caCertificatePath));
    }

    public async Task<string> GetCheckpointNoteAsync(CancellationToken cancellationToken) =>
        await GetTextAsync("/checkpoint", cancellationToken).ConfigureAwait(false);

    public async Task<long> GetSizeAsync(CancellationToken cancellationToken)
    {
        var note = await GetCheckpointNoteAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            return Checkpoint.Parse(SignedNote.Parse(note).Text).Size;
        }
        catch (FormatException)
        {
            throw new CliException(Cli.ExitFailure, $"{server} served a checkpoint that does not parse: run `strongroom audit verify`.");
        }
    }

    public async Task<string> GetVerifierKeyAsync(CancellationToken cancellationToken) =>
        (await GetTextAsync("/key", cancellationToken).ConfigureAwait(false)).TrimEnd('\n');

    public async Task<AuditEntriesPage> GetEntriesAsync(long start, long end, CancellationToken cancellationToken)
    {
        using var document = await GetJsonAsync(Invariant($"/entries?start={start}&end={end}"), cancellationToken).ConfigureAwait(false);
        var root = document.RootElement;
        var entries = new List<AuditLogEntry>();
        foreach (var item in root.GetProperty("entries").EnumerateArray())
        {
            var body = item.GetProperty("entry");
            entries.Add(new AuditLogEntry(
                item.GetProperty("index").GetInt64(),
                item.GetProperty("leafHash").GetBytesFromBase64(),
                body.ValueKind == JsonValueKind.Null ? null : body.GetBytesFromBase64(),
                null));
        }

        return new AuditEntriesPage(root.GetProperty("size").GetInt64(), entries);
    }

    public async Task<IReadOnlyList<byte[]>> GetInclusionProofAsync(long index, long size, CancellationToken cancellationToken)
    {
        using var document = await GetJsonAsync(Invariant($"/proof/inclusion?index={index}&size={size}"), cancellationToken).ConfigureAwait(false);
        return Hashes(document.RootElement);
    }

    public async Task<IReadOnlyList<byte[]>> GetConsistencyProofAsync(long first, long second, CancellationToken cancellationToken)
    {
        using var document = await GetJsonAsync(Invariant($"/proof/consistency?first={first}&second={second}"), cancellationToken).ConfigureAwait(false);
        return Hashes(document.RootElement);
    }

    public void Dispose()
    {
        client.Dispose();
        trust.Dispose();
    }

    private static string Invariant(FormattableString text) => text.ToString(CultureInfo.InvariantCulture);

    private static byte[][] Hashes(JsonElement root) =>
        [.. root.GetProperty("hashes").EnumerateArray().Select(hash => hash.GetBytesFromBase64())];

    private async Task<JsonDocument> GetJsonAsync(string path, CancellationToken cancellationToken)
    {
        var text = await GetTextAsync(path, cancellationToken).ConfigureAwait(false);
        try
        {
            return JsonDocument.Parse(text);
        }
        catch (JsonException)
        {
            throw new CliException(Cli.ExitFailure, $"{server} answered {LogPrefix}{path} with something that is not JSON: is it a Strongroom server?");
        }
    }

    private async Task<string> GetTextAsync(string path, CancellationToken cancellationToken)
    {
        var bearer = await GetTokenAsync(cancellationToken).ConfigureAwait(false);
        using var request = new HttpRequestMessage(HttpMethod.Get, new Uri(server, LogPrefix + path));
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", bearer);
        try
        {
            using var response = await client.SendAsync(request, cancellationToken).ConfigureAwait(false);
            var text = await response.Content.ReadAsStringAsync(cancellationToken).ConfigureAwait(false);
            if (!response.IsSuccessStatusCode)
            {
                throw new CliException(Cli.ExitFailure, $"{server} refused {LogPrefix}{path}: {ErrorText(response.StatusCode, text)}");
            }

            return text;
        }
        catch (HttpRequestException exception)
        {
            throw new CliException(Cli.ExitFailure, $"cannot reach {server}: {exception.Message}");
        }
    }

    private async Task<string> GetTokenAsync(CancellationToken cancellationToken)
    {
        if (token is not null)
        {
            return token;
        }

        using var form = new FormUrlEncodedContent(
        [
            new KeyValuePair<string, string>("grant_type", "client_credentials"),
            new KeyValuePair<string, string>("client_id", account),
            new KeyValuePair<string, string>("client_secret", accountKey),
        ]);
        try
        {
            using var response = await client.PostAsync(new Uri(server, ReservedPaths.TokenPath), form, cancellationToken).ConfigureAwait(false);
            var text = await response.Content.ReadAsStringAsync(cancellationToken).ConfigureAwait(false);
            if (response.StatusCode == HttpStatusCode.Unauthorized)
            {
                throw new CliException(Cli.ExitFailure, $"{server} did not accept the key of account '{account}' (401): check --account and the account key.");
            }

            if (!response.IsSuccessStatusCode)
            {
                throw new CliException(Cli.ExitFailure, $"{server} refused the token request: {ErrorText(response.StatusCode, text)}");
            }

            try
            {
                using var document = JsonDocument.Parse(text);
                token = document.RootElement.GetProperty("access_token").GetString();
            }
            catch (Exception exception) when (exception is JsonException or KeyNotFoundException or InvalidOperationException)
            {
                token = null;
            }

            return token ?? throw new CliException(Cli.ExitFailure, $"{server} answered the token request without a token: is it a Strongroom server?");
        }
        catch (HttpRequestException exception)
        {
            throw new CliException(Cli.ExitFailure, $"cannot reach {server}: {exception.Message}");
        }
    }

    /// <summary>The error of a response, from the server's JSON error when it has one (never echoing anything we sent).</summary>
    private static string ErrorText(HttpStatusCode status, string body)
    {
        try
        {
            using var document = JsonDocument.Parse(body);
            var root = document.RootElement;
            if (root.ValueKind == JsonValueKind.Object && root.TryGetProperty("error", out var error))
            {
                if (error.ValueKind == JsonValueKind.Object)
                {
                    var code = error.TryGetProperty("code", out var c) ? c.GetString() : null;
                    var message = error.TryGetProperty("message", out var m) ? m.GetString() : null;
                    return $"{(int)status} {code}: {message}";
                }

                // OAuth errors: {"error":"invalid_client","error_description":"…"}.
                var description = root.TryGetProperty("error_description", out var d) ? d.GetString() : null;
                return $"{(int)status} {error.GetString()}: {description}";
            }
        }
        catch (JsonException)
        {
        }

        return $"HTTP {(int)status}";
    }
}

/// <summary>
/// A log read from the host's deployment (the data directory, inside the running server): any
/// account's log or the platform log. Checkpoints come from <see cref="TransparencyLog.GetCheckpointAsync"/>,
/// which signs one when the tree grew, exactly as the tenant endpoint does.
/// </summary>
internal sealed class DeploymentLogSource(Deployment deployment, string log) : IAuditLogReader
{
    public string Log => log;

    public string Identity => $"local:{deployment.Directory.Root} {log}";

    public string Description => log == AuditLogs.Platform ? $"the platform log of {deployment.Directory.Root}" : $"account {log} in {deployment.Directory.Root}";

    public async Task<string> GetCheckpointNoteAsync(CancellationToken cancellationToken) =>
        (await deployment.Audit.GetCheckpointAsync(log, cancellationToken).ConfigureAwait(false)).Note;

    public async Task<long> GetSizeAsync(CancellationToken cancellationToken) =>
        (await deployment.Audit.GetTreeHeadAsync(log, cancellationToken).ConfigureAwait(false)).Size;

    public Task<string> GetVerifierKeyAsync(CancellationToken cancellationToken) =>
        Task.FromResult(deployment.Audit.VerifierKey(log).ToString());

    public async Task<AuditEntriesPage> GetEntriesAsync(long start, long end, CancellationToken cancellationToken)
    {
        var head = await deployment.Audit.GetTreeHeadAsync(log, cancellationToken).ConfigureAwait(false);
        var entries = end > start
            ? await deployment.Audit.ReadEntriesAsync(log, start, end, cancellationToken).ConfigureAwait(false)
            : [];
        return new AuditEntriesPage(head.Size, [.. entries.Select(entry => new AuditLogEntry(entry.Index, entry.LeafHash, entry.Body, entry.Time))]);
    }

    public Task<IReadOnlyList<byte[]>> GetInclusionProofAsync(long index, long size, CancellationToken cancellationToken) =>
        deployment.Audit.GetInclusionProofAsync(log, index, size, cancellationToken);

    public Task<IReadOnlyList<byte[]>> GetConsistencyProofAsync(long first, long second, CancellationToken cancellationToken) =>
        deployment.Audit.GetConsistencyProofAsync(log, first, second, cancellationToken);
}
