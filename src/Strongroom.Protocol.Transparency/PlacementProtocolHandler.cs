using System.Text;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;
using Strongroom.Audit;
using Strongroom.Core;
using Strongroom.Placement;

namespace Strongroom.Protocol.Transparency;

/// <summary>
/// "Where is my data", for the tenant, under <see cref="PathPrefix"/>, with the same rules as the
/// transparency log's endpoints (HTTPS only, 503 while sealed, the Key Vault API's bearer tokens
/// and the token's account is the one answered about, GET and HEAD only, JSON errors):
/// <c>GET locations?container=&amp;blob=&amp;marker=</c> (JSON: the policy, the summary per site,
/// region and jurisdiction and, for a container or a blob, a page of blobs with every copy) and
/// <c>GET report?container=&amp;blob=</c> (the signed placement report, text/plain; its making is
/// recorded in the account's log, attributed to the token's pseudonym). No URL, header or body is
/// ever logged.
/// </summary>
public sealed class PlacementProtocolHandler(PlacementService placement, TransparencyLog log, Func<string, CancellationToken, Task<string?>> authenticateBearer)
{
    public const string PathPrefix = ReservedPaths.PlacementPath;

    /// <summary>The pseudonym kind of a bearer token: the vault's, so one token has one pseudonym in every entry.</summary>
    public const string TokenPseudonymKind = "token";

    public Func<bool> IsSealed { get; init; } = static () => false;

    public ILogger? Logger { get; init; }

    public static bool IsPlacementPath(string? path) => ReservedPaths.IsPlacementPath(path);

    /// <summary>The request metrics' operation label: <c>GET placement/locations</c>, <c>GET placement/report</c>, else <c>… placement/other</c>.</summary>
    public static string OperationTemplate(string method, string? path) =>
        TransparencyProtocolHandler.MetricMethod(method) + " placement" + (
            path is not null && path.StartsWith(PathPrefix, StringComparison.Ordinal) && path[PathPrefix.Length..] is "/locations" or "/report"
                ? path[PathPrefix.Length..]
                : "/other");

    public async Task HandleAsync(HttpContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        var request = context.Request;
        var started = System.Diagnostics.Stopwatch.GetTimestamp();
        using var operationContext = OperationContext.Begin(new OperationContext(Actor.Anonymous, context.TraceIdentifier, context.Connection.RemoteIpAddress?.ToString()));
        try
        {
            if (!request.IsHttps)
            {
                await TransparencyProtocolHandler.WriteErrorAsync(context, 403, "HttpsRequired", "Placement is served over HTTPS only: bearer tokens are refused over plain HTTP.").ConfigureAwait(false);
                return;
            }

            if (IsSealed())
            {
                await WriteSealedAsync(context).ConfigureAwait(false);
                return;
            }

            var (account, token) = await AuthenticateAsync(context).ConfigureAwait(false);
            if (account is null)
            {
                return;
            }

            if (!HttpMethods.IsGet(request.Method) && !HttpMethods.IsHead(request.Method))
            {
                context.Response.Headers.Allow = "GET, HEAD";
                await TransparencyProtocolHandler.WriteErrorAsync(context, 405, "MethodNotAllowed", "Placement is read-only here: use GET.").ConfigureAwait(false);
                return;
            }

            var container = Query(request, "container");
            var blob = Query(request, "blob");
            if (blob is not null && container is null)
            {
                await TransparencyProtocolHandler.WriteErrorAsync(context, 400, "InvalidQueryParameterValue", "A blob is named with its container.").ConfigureAwait(false);
                return;
            }

            switch (request.Path.Value![PathPrefix.Length..])
            {
                case "/locations":
                    await LocationsAsync(context, account, container, blob, Query(request, "marker")).ConfigureAwait(false);
                    break;
                case "/report":
                    // The report's making is recorded: attributed to the token, as the vault's entries are.
                    OperationContext.SetActor(new Actor(ActorKind.BearerToken, account, log.Pseudonym(TokenPseudonymKind, Encoding.UTF8.GetBytes(token!))));
                    var note = await placement.CreateReportAsync(account, container, blob, context.RequestAborted).ConfigureAwait(false);
                    await TransparencyProtocolHandler.WriteTextAsync(context, note, "no-store").ConfigureAwait(false);
                    break;
                default:
                    await TransparencyProtocolHandler.WriteErrorAsync(context, 404, "NotFound", "Unknown placement endpoint: use locations or report.").ConfigureAwait(false);
                    break;
            }
        }
        catch (StorageException exception) when (!context.Response.HasStarted)
        {
            var (status, code, message) = exception.Code switch
            {
                ErrorCode.VaultSealed => (503, nameof(ErrorCode.VaultSealed), "The server is sealed. Its key custodians must unseal it before placement can be served."),
                ErrorCode.ContainerNotFound => (404, "ContainerNotFound", "The specified container does not exist."),
                ErrorCode.BlobNotFound => (404, "BlobNotFound", "The specified blob does not exist."),
                ErrorCode.AccountNotFound => (404, "ResourceNotFound", "The specified resource does not exist."),
                ErrorCode.InvalidResourceName => (400, "InvalidResourceName", "The specified resource name contains invalid characters."),
                ErrorCode.InvalidLocationsMarker => (400, "InvalidQueryParameterValue", "The marker is not one this server returned."),
                _ => (500, "InternalError", "The server could not answer; try again later."),
            };
            if (status == 500)
            {
                Logger?.LogError("Placement request failed with {Code}", exception.Code);
            }

            await TransparencyProtocolHandler.WriteErrorAsync(context, status, code, message).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (context.RequestAborted.IsCancellationRequested)
        {
        }
        catch (Exception exception) when (!context.Response.HasStarted)
        {
            // The type only: messages of framework exceptions may quote input.
            Logger?.LogError("Placement request failed: {ExceptionType}", exception.GetType().FullName);
            await TransparencyProtocolHandler.WriteErrorAsync(context, 500, "InternalError", "The server could not answer; try again later.").ConfigureAwait(false);
        }
        finally
        {
            StrongroomMetrics.RecordRequest(StrongroomMetrics.TransparencyPlane, OperationTemplate(request.Method, request.Path.Value), context.Response.StatusCode, started);
        }
    }

    /// <summary>The locations page as JSON (<see cref="WriteLocations"/>).</summary>
    private async Task LocationsAsync(HttpContext context, string account, string? container, string? blob, string? marker)
    {
        var locations = await placement.GetLocationsAsync(account, container, blob, marker, Limits.LocationsPageMax, context.RequestAborted).ConfigureAwait(false);
        await TransparencyProtocolHandler.WriteJsonAsync(context, json => PlacementJson.WriteLocations(json, locations)).ConfigureAwait(false);
    }

    private async Task<(string? Account, string? Token)> AuthenticateAsync(HttpContext context)
    {
        var header = context.Request.Headers.Authorization;
        string? account = null;
        string? presentedToken = null;
        if (header.Count == 1 && header[0] is { } value && value.StartsWith("Bearer ", StringComparison.OrdinalIgnoreCase))
        {
            var token = value["Bearer ".Length..].Trim();
            if (token.Length > 0)
            {
                account = await authenticateBearer(token, context.RequestAborted).ConfigureAwait(false);
                presentedToken = token;
            }
        }

        if (account is null)
        {
            context.Response.Headers.WWWAuthenticate = "Bearer";
            await TransparencyProtocolHandler.WriteErrorAsync(context, 401, "Unauthorized", "A valid bearer token is required: POST /.strongroom/oauth2/token with the account's client credentials.").ConfigureAwait(false);
        }

        return (account, presentedToken);
    }

    private static Task WriteSealedAsync(HttpContext context) =>
        TransparencyProtocolHandler.WriteErrorAsync(context, 503, nameof(ErrorCode.VaultSealed), "The server is sealed. Its key custodians must unseal it before placement can be served.");

    private static string? Query(HttpRequest request, string name) =>
        request.Query.TryGetValue(name, out var values) && values.Count > 0 && !string.IsNullOrEmpty(values[0])
            ? values[0]
            : null;
}
