using System.Globalization;
using System.Text;
using System.Text.Json;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;
using Strongroom.Audit;
using Strongroom.Core;

namespace Strongroom.Protocol.Transparency;

/// <summary>
/// The tenant's view of its transparency log over HTTPS, under <see cref="PathPrefix"/>,
/// authenticated with the same bearer tokens as the Key Vault API (the token names the account,
/// and an account sees only its own log):
/// <c>GET checkpoint</c> (the signed note, text/plain), <c>GET key</c> (the verifier key),
/// <c>GET entries?start=&amp;end=</c>, <c>GET proof/inclusion?index=&amp;size=</c>,
/// <c>GET proof/consistency?first=&amp;second=</c>, and C2SP tlog-tiles
/// (<c>GET tile/L/N[.p/W]</c>, <c>GET tile/entries/N[.p/W]</c>).
///
/// Order of checks: HTTPS (403 HttpsRequired), the seal (503 VaultSealed), the bearer token
/// (401 with <c>WWW-Authenticate: Bearer</c>), the method (405, GET and HEAD only), then the path
/// (404). No URL, header or body is ever logged.
/// </summary>
public sealed class TransparencyProtocolHandler(TransparencyLog log, Func<string, CancellationToken, Task<string?>> authenticateBearer)
{
    public const string PathPrefix = ReservedPaths.TransparencyLogPath;

    /// <summary>Full tiles never change once they exist. <c>private</c>: the same URL serves each tenant its own log, so no shared cache may keep one.</summary>
    public const string ImmutableCacheControl = "private, max-age=31536000, immutable";

    /// <summary>Answers 503 VaultSealed before authentication while this returns true (the server passes the vault's state).</summary>
    public Func<bool> IsSealed { get; init; } = static () => false;

    /// <summary>Where internal errors are reported (their type and code only).</summary>
    public ILogger? Logger { get; init; }

    public static bool IsTransparencyPath(string? path) => ReservedPaths.IsTransparencyLogPath(path);

    private static readonly string[] Resources = ["/checkpoint", "/key", "/entries", "/proof/inclusion", "/proof/consistency"];

    /// <summary>
    /// The request metrics' operation label: <c>GET log/checkpoint</c>, <c>GET log/tile</c>,
    /// <c>GET log/other</c> (method OTHER for anything but GET and HEAD): bounded whatever the client sends.
    /// </summary>
    public static string OperationTemplate(string method, string? path) =>
        MetricMethod(method) + " log" + (
            path is not null && path.StartsWith(PathPrefix, StringComparison.Ordinal) && path[PathPrefix.Length..] is var rest
                ? Resources.FirstOrDefault(resource => string.Equals(resource, rest, StringComparison.Ordinal))
                    ?? (rest.StartsWith("/tile/", StringComparison.Ordinal) ? "/tile" : "/other")
                : "/other");

    internal static string MetricMethod(string method) =>
        HttpMethods.IsGet(method) ? "GET" : HttpMethods.IsHead(method) ? "HEAD" : "OTHER";

    public async Task HandleAsync(HttpContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        var request = context.Request;
        var started = System.Diagnostics.Stopwatch.GetTimestamp();
        try
        {
            if (!request.IsHttps)
            {
                await WriteErrorAsync(context, 403, "HttpsRequired", "The transparency log is served over HTTPS only: bearer tokens are refused over plain HTTP.").ConfigureAwait(false);
                return;
            }

            if (IsSealed())
            {
                await WriteSealedAsync(context).ConfigureAwait(false);
                return;
            }

            var account = await AuthenticateAsync(context).ConfigureAwait(false);
            if (account is null)
            {
                return;
            }

            if (!HttpMethods.IsGet(request.Method) && !HttpMethods.IsHead(request.Method))
            {
                context.Response.Headers.Allow = "GET, HEAD";
                await WriteErrorAsync(context, 405, "MethodNotAllowed", "The transparency log is read-only: use GET.").ConfigureAwait(false);
                return;
            }

            await RouteAsync(context, account, request.Path.Value![PathPrefix.Length..]).ConfigureAwait(false);
        }
        catch (BadRequest bad)
        {
            await WriteErrorAsync(context, 400, nameof(ErrorCode.InvalidAuditRange), bad.Message).ConfigureAwait(false);
        }
        catch (StorageException exception) when (!context.Response.HasStarted)
        {
            switch (exception.Code)
            {
                case ErrorCode.VaultSealed:
                    await WriteSealedAsync(context).ConfigureAwait(false);
                    break;
                case ErrorCode.InvalidAuditRange:
                    await WriteErrorAsync(context, 400, nameof(ErrorCode.InvalidAuditRange), "The range, index or tree size is outside the log.").ConfigureAwait(false);
                    break;
                case ErrorCode.AuditLogNotFound:
                    await WriteErrorAsync(context, 404, "NotFound", "There is no such log.").ConfigureAwait(false);
                    break;
                default:
                    Logger?.LogError("Transparency log request failed with {Code}", exception.Code);
                    await WriteErrorAsync(context, 500, "InternalError", "The server could not answer; try again later.").ConfigureAwait(false);
                    break;
            }
        }
        catch (OperationCanceledException) when (context.RequestAborted.IsCancellationRequested)
        {
            // The client went away.
        }
        catch (Exception exception) when (!context.Response.HasStarted)
        {
            // The type only: messages of framework exceptions may quote input.
            Logger?.LogError("Transparency log request failed: {ExceptionType}", exception.GetType().FullName);
            await WriteErrorAsync(context, 500, "InternalError", "The server could not answer; try again later.").ConfigureAwait(false);
        }
        finally
        {
            StrongroomMetrics.RecordRequest(StrongroomMetrics.TransparencyPlane, OperationTemplate(request.Method, request.Path.Value), context.Response.StatusCode, started);
        }
    }

    private async Task<string?> AuthenticateAsync(HttpContext context)
    {
        var header = context.Request.Headers.Authorization;
        string? account = null;
        if (header.Count == 1 && header[0] is { } value && value.StartsWith("Bearer ", StringComparison.OrdinalIgnoreCase))
        {
            var token = value["Bearer ".Length..].Trim();
            if (token.Length > 0)
            {
                account = await authenticateBearer(token, context.RequestAborted).ConfigureAwait(false);
            }
        }

        if (account is null)
        {
            context.Response.Headers.WWWAuthenticate = "Bearer";
            await WriteErrorAsync(context, 401, "Unauthorized", "A valid bearer token is required: POST /.strongroom/oauth2/token with the account's client credentials.").ConfigureAwait(false);
        }

        return account;
    }

    private Task RouteAsync(HttpContext context, string account, string path)
    {
        switch (path)
        {
            case "/checkpoint":
                return CheckpointAsync(context, account);
            case "/key":
                return WriteTextAsync(context, log.VerifierKey(account) + "\n", "no-store");
            case "/entries":
                return EntriesAsync(context, account);
            case "/proof/inclusion":
                return InclusionAsync(context, account);
            case "/proof/consistency":
                return ConsistencyAsync(context, account);
        }

        const string tilePrefix = "/tile/";
        if (path.StartsWith(tilePrefix, StringComparison.Ordinal) && TlogTiles.TryParse(path[tilePrefix.Length..], out var tile) && tile is not null)
        {
            return TileAsync(context, account, tile);
        }

        return WriteErrorAsync(context, 404, "NotFound", "There is no such transparency log resource.");
    }

    private async Task CheckpointAsync(HttpContext context, string account)
    {
        var checkpoint = await log.GetCheckpointAsync(account, context.RequestAborted).ConfigureAwait(false);
        await WriteTextAsync(context, checkpoint.Note, "no-store").ConfigureAwait(false);
    }

    private async Task EntriesAsync(HttpContext context, string account)
    {
        var query = context.Request.Query;
        var start = ParseQuery(query, "start");
        var end = ParseQuery(query, "end");
        var head = await log.GetTreeHeadAsync(account, context.RequestAborted).ConfigureAwait(false);
        if (TransparencyLogJson.EntriesRangeProblem(start, end, head.Size) is { } problem)
        {
            throw new BadRequest(problem);
        }

        IReadOnlyList<StoredAuditEntry> entries = end == start
            ? []
            : await log.ReadEntriesAsync(account, start, end, context.RequestAborted).ConfigureAwait(false);
        await WriteJsonAsync(context, json => TransparencyLogJson.WriteEntries(json, head.Size, entries, withTime: false)).ConfigureAwait(false);
    }

    private async Task InclusionAsync(HttpContext context, string account)
    {
        var query = context.Request.Query;
        var index = ParseQuery(query, "index");
        var size = ParseQuery(query, "size");
        var head = await log.GetTreeHeadAsync(account, context.RequestAborted).ConfigureAwait(false);
        if (index >= size || size > head.Size)
        {
            throw new BadRequest($"An inclusion proof needs index < size ≤ {head.Size} (the log's size).");
        }

        var hashes = await log.GetInclusionProofAsync(account, index, size, context.RequestAborted).ConfigureAwait(false);
        await WriteJsonAsync(context, json =>
        {
            json.WriteNumber("index", index);
            json.WriteNumber("size", size);
            TransparencyLogJson.WriteHashes(json, hashes);
        }).ConfigureAwait(false);
    }

    private async Task ConsistencyAsync(HttpContext context, string account)
    {
        var query = context.Request.Query;
        var first = ParseQuery(query, "first");
        var second = ParseQuery(query, "second");
        var head = await log.GetTreeHeadAsync(account, context.RequestAborted).ConfigureAwait(false);
        if (first > second || second > head.Size)
        {
            throw new BadRequest($"A consistency proof needs first ≤ second ≤ {head.Size} (the log's size).");
        }

        var hashes = await log.GetConsistencyProofAsync(account, first, second, context.RequestAborted).ConfigureAwait(false);
        await WriteJsonAsync(context, json =>
        {
            json.WriteNumber("first", first);
            json.WriteNumber("second", second);
            TransparencyLogJson.WriteHashes(json, hashes);
        }).ConfigureAwait(false);
    }

    private async Task TileAsync(HttpContext context, string account, TlogTiles.TilePath tile)
    {
        var head = await log.GetTreeHeadAsync(account, context.RequestAborted).ConfigureAwait(false);
        var width = Limits.AuditTileWidth;
        var level = tile.Level ?? 0;

        // How many hashes the tree holds at the tile's tree level (8·L): full subtrees of 2^(8L) leaves.
        var treeLevel = 8 * level;
        var available = treeLevel >= 63 ? 0 : head.Size >> treeLevel;
        if (tile.Index > (long.MaxValue / width) - 1)
        {
            await WriteErrorAsync(context, 404, "NotFound", "There is no such tile.").ConfigureAwait(false);
            return;
        }

        var start = tile.Index * width;
        var full = tile.Width == width;

        // A full tile exists once all its hashes do; a partial one only at the current right edge.
        var exists = full ? start + width <= available : start + tile.Width == available;
        if (!exists)
        {
            await WriteErrorAsync(context, 404, "NotFound", "There is no such tile in the current tree.").ConfigureAwait(false);
            return;
        }

        var cacheControl = full ? ImmutableCacheControl : "no-store";
        byte[] body;
        if (tile.Level is null)
        {
            var entries = await log.ReadEntriesAsync(account, start, start + tile.Width, context.RequestAborted).ConfigureAwait(false);
            if (entries.Any(entry => entry.Body is null))
            {
                await WriteErrorAsync(context, 404, "NotFound", "Entries of this bundle are past retention: their bodies were pruned (their hashes remain in the hash tiles).").ConfigureAwait(false);
                return;
            }

            body = TlogTiles.EntryBundle([.. entries.Select(entry => entry.Body!)]);
        }
        else
        {
            var hashes = await log.ReadHashesAsync(account, treeLevel, start, tile.Width, context.RequestAborted).ConfigureAwait(false);
            body = new byte[hashes.Count * MerkleTree.HashBytes];
            for (var i = 0; i < hashes.Count; i++)
            {
                Invariant.True(hashes[i].Length == MerkleTree.HashBytes, "a stored tree hash is 32 bytes");
                hashes[i].CopyTo(body, i * MerkleTree.HashBytes);
            }
        }

        await WriteBytesAsync(context, body, "application/octet-stream", cacheControl).ConfigureAwait(false);
    }

    /// <summary>
    /// A non-negative decimal given exactly once: digits only, no sign, no leading zero except "0"
    /// itself, at most <see cref="long.MaxValue"/>. Anything else is 400.
    /// </summary>
    internal static long ParseQuery(IQueryCollection query, string name)
    {
        if (!query.TryGetValue(name, out var values) || values.Count != 1 || values[0] is not { } text)
        {
            throw new BadRequest($"The query parameter '{name}' is required once.");
        }

        return TryParseDecimal(text, out var value)
            ? value
            : throw new BadRequest($"The query parameter '{name}' must be a non-negative decimal integer without sign or leading zeros.");
    }

    internal static bool TryParseDecimal(string text, out long value)
    {
        value = 0;
        if (text.Length == 0 || text.Length > 19 || (text.Length > 1 && text[0] == '0'))
        {
            return false;
        }

        foreach (var c in text)
        {
            if (c is < '0' or > '9')
            {
                return false;
            }
        }

        return long.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out value);
    }

    internal static Task WriteSealedAsync(HttpContext context) =>
        WriteErrorAsync(context, 503, nameof(ErrorCode.VaultSealed), "The server is sealed. Its key custodians must unseal it before the log can be served.");

    internal static Task WriteErrorAsync(HttpContext context, int status, string code, string message)
    {
        context.Response.StatusCode = status;
        return WriteJsonCoreAsync(context, json =>
        {
            json.WriteStartObject("error");
            json.WriteString("code", code);
            json.WriteString("message", message);
            json.WriteEndObject();
        });
    }

    internal static Task WriteJsonAsync(HttpContext context, Action<Utf8JsonWriter> write)
    {
        context.Response.StatusCode = 200;
        return WriteJsonCoreAsync(context, write);
    }

    internal static async Task WriteJsonCoreAsync(HttpContext context, Action<Utf8JsonWriter> write)
    {
        using var buffer = new MemoryStream();
        using (var json = new Utf8JsonWriter(buffer))
        {
            json.WriteStartObject();
            write(json);
            json.WriteEndObject();
        }

        await WriteBodyAsync(context, buffer.GetBuffer().AsMemory(0, (int)buffer.Length), "application/json; charset=utf-8", "no-store").ConfigureAwait(false);
    }

    internal static Task WriteTextAsync(HttpContext context, string text, string cacheControl)
    {
        context.Response.StatusCode = 200;
        return WriteBodyAsync(context, Encoding.UTF8.GetBytes(text), "text/plain; charset=utf-8", cacheControl);
    }

    private static Task WriteBytesAsync(HttpContext context, byte[] body, string contentType, string cacheControl)
    {
        context.Response.StatusCode = 200;
        return WriteBodyAsync(context, body, contentType, cacheControl);
    }

    internal static async Task WriteBodyAsync(HttpContext context, ReadOnlyMemory<byte> body, string contentType, string cacheControl)
    {
        var response = context.Response;
        response.ContentType = contentType;
        response.Headers.CacheControl = cacheControl;
        response.Headers.XContentTypeOptions = "nosniff";
        response.ContentLength = body.Length;
        if (!HttpMethods.IsHead(context.Request.Method))
        {
            await response.Body.WriteAsync(body, context.RequestAborted).ConfigureAwait(false);
        }
    }

    private sealed class BadRequest(string message) : Exception(message);

    internal TransparencyLog Log => log;

    internal Func<string, CancellationToken, Task<string?>> AuthenticateBearer => authenticateBearer;
}
