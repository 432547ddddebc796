using Microsoft.AspNetCore.Http;

namespace Strongroom.Server;

/// <summary>
/// The management listener's probes for load balancers and Kubernetes (issue 10), anonymous as
/// such probes are: <c>GET|HEAD /healthz</c> answers 200 while the process serves HTTP;
/// <c>GET|HEAD /readyz</c> answers 200 only when every <see cref="ServerHealth"/> check holds
/// (unsealed, metadata store reachable, every enabled account's write quorum on sites up here),
/// else 503, with a JSON body naming each check, its status and reason (no secret: no connection
/// string, no key, only account names and site ids), never cached. Any other method: 405.
/// docs/operations.md shows probe configurations.
/// </summary>
public sealed class OperationsEndpoints(ServerHealth health)
{
    public const string LivePath = "/healthz";
    public const string ReadyPath = "/readyz";

    /// <summary>Exactly one of the two paths (no prefix match: the rest of the listener is the management API's).</summary>
    public static bool Matches(HttpRequest request)
    {
        ArgumentNullException.ThrowIfNull(request);
        var path = request.Path.Value;
        return string.Equals(path, LivePath, StringComparison.Ordinal) || string.Equals(path, ReadyPath, StringComparison.Ordinal);
    }

    public async Task HandleAsync(HttpContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        var request = context.Request;
        if (!HttpMethods.IsGet(request.Method) && !HttpMethods.IsHead(request.Method))
        {
            context.Response.Headers.Allow = "GET, HEAD";
            await PlatformEndpoints.WriteJsonAsync(context, StatusCodes.Status405MethodNotAllowed, json =>
            {
                json.WriteStartArray("errors");
                json.WriteStringValue($"{request.Method} is not allowed here; use GET or HEAD.");
                json.WriteEndArray();
            }).ConfigureAwait(false);
            return;
        }

        if (string.Equals(request.Path.Value, LivePath, StringComparison.Ordinal))
        {
            await PlatformEndpoints.WriteJsonAsync(context, StatusCodes.Status200OK, json => json.WriteString("status", ServerHealth.LiveStatus)).ConfigureAwait(false);
            return;
        }

        var report = await health.CheckAsync(context.RequestAborted).ConfigureAwait(false);
        await PlatformEndpoints.WriteJsonAsync(context, report.Ready ? StatusCodes.Status200OK : StatusCodes.Status503ServiceUnavailable, report.WriteMembers).ConfigureAwait(false);
    }
}
