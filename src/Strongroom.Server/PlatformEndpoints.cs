using System.Net;
using System.Text.Json;
using Microsoft.AspNetCore.Http;
using Strongroom.Core;
using Strongroom.Vault;

namespace Strongroom.Server;

/// <summary>
/// The platform's own HTTP endpoints, under <see cref="Prefix"/> (a path no account name can take:
/// account names are lowercase letters and digits). Shaped after HashiCorp Vault's:
/// <c>GET health/live</c>, <c>GET health/ready</c> (503 while sealed), <c>GET sys/seal-status</c>
/// and <c>PUT sys/unseal</c> with <c>{"key":"SHARE"}</c> or <c>{"reset":true}</c>. They are
/// unauthenticated, as Vault's are: the share is the credential. A share is never echoed, logged or
/// quoted in an error; over plain HTTP only a loopback client may submit one.
/// </summary>
public sealed class PlatformEndpoints(Deployment deployment)
{
    private readonly ServerHealth health = ServerHealth.Of(deployment);

    public const string Prefix = "/" + ReservedPaths.Server;

    /// <summary>Who unsealed over HTTP, in the platform log: an anonymous custodian (the share is the credential).</summary>
    public static readonly Actor UnsealActor = new(ActorKind.Anonymous, "custodian");

    /// <summary>
    /// A request under <see cref="Prefix"/>. The server asks the Key Vault API first, which claims
    /// the one path under the prefix that is its own (the bearer token endpoint).
    /// </summary>
    public static bool Matches(HttpRequest request) =>
        request.Path.StartsWithSegments(Prefix, StringComparison.Ordinal);

    public async Task HandleAsync(HttpContext context)
    {
        var request = context.Request;
        var path = request.Path.Value![Prefix.Length..];
        try
        {
            switch (path)
            {
                case "/health/live":
                    RequireMethod(request, HttpMethods.Get, HttpMethods.Head);
                    await WriteJsonAsync(context, 200, json => json.WriteString("status", ServerHealth.LiveStatus)).ConfigureAwait(false);
                    break;
                case "/health/ready":
                    RequireMethod(request, HttpMethods.Get, HttpMethods.Head);
                    // The data plane's readiness is the seal alone (a load balancer in front of the data
                    // listener); the management plane's /readyz checks the store and sites as well.
                    var ready = health.CheckSeal().Ok;
                    await WriteJsonAsync(context, ready ? 200 : 503, json => json.WriteString("status", ready ? "ready" : "sealed")).ConfigureAwait(false);
                    break;
                case "/sys/seal-status":
                    RequireMethod(request, HttpMethods.Get);
                    await WriteStatusAsync(context, deployment.Vault.Status, duplicateIgnored: false).ConfigureAwait(false);
                    break;
                case "/sys/unseal":
                    RequireMethod(request, HttpMethods.Put, HttpMethods.Post);
                    await UnsealAsync(context).ConfigureAwait(false);
                    break;
                default:
                    throw new PlatformError(404, $"There is no platform endpoint {Prefix}{path}.");
            }
        }
        catch (PlatformError error)
        {
            await WriteErrorAsync(context, error.Status, error.Message).ConfigureAwait(false);
        }
        catch (SealException exception)
        {
            // Safe by construction: SealException messages never hold share material.
            await WriteErrorAsync(context, 400, exception.Message).ConfigureAwait(false);
        }
        catch (StorageException exception) when (exception.Code == ErrorCode.AuditLogUnavailable && !context.Response.HasStarted)
        {
            // The unseal could not be recorded, so it was undone: the vault is sealed again.
            await WriteErrorAsync(context, 500, "The unseal could not be recorded in the platform's transparency log, so the vault stays sealed. Check the server's log and storage, then submit the shares again.").ConfigureAwait(false);
        }
    }

    /// <summary>Vault's seal-status body, plus the deployment id and share generation.</summary>
    public static void WriteStatus(Utf8JsonWriter json, SealStatus status)
    {
        ArgumentNullException.ThrowIfNull(json);
        ArgumentNullException.ThrowIfNull(status);
        StrongroomServer.ToSealStatusView(status).WriteMembers(json);
    }

    private async Task UnsealAsync(HttpContext context)
    {
        var request = context.Request;
        if (!request.IsHttps && context.Connection.RemoteIpAddress is { } remote && !IPAddress.IsLoopback(remote))
        {
            throw new PlatformError(403, "Refusing an unseal share over plain HTTP from another host: it would cross the network in the clear. Use HTTPS, or unseal on the host with `strongroom unseal --data DIR`.");
        }

        if (request.ContentLength > Limits.UnsealRequestBytesMax)
        {
            throw new PlatformError(413, $"The unseal request is larger than {Limits.UnsealRequestBytesMax} bytes.");
        }

        var body = await ReadBodyAsync(request, context.RequestAborted).ConfigureAwait(false);
        string? key = null;
        var reset = false;
        try
        {
            using var document = JsonDocument.Parse(body);
            var root = document.RootElement;
            if (root.ValueKind != JsonValueKind.Object)
            {
                throw new PlatformError(400, "The unseal request must be a JSON object: {\"key\":\"SHARE\"} or {\"reset\":true}.");
            }

            if (root.TryGetProperty("reset", out var resetElement))
            {
                reset = resetElement.ValueKind == JsonValueKind.True;
            }

            if (root.TryGetProperty("key", out var keyElement) && keyElement.ValueKind == JsonValueKind.String)
            {
                key = keyElement.GetString();
            }
        }
        catch (JsonException)
        {
            throw new PlatformError(400, "The unseal request is not valid JSON: send {\"key\":\"SHARE\"} or {\"reset\":true}.");
        }
        finally
        {
            Array.Clear(body);
        }

        if (reset)
        {
            await WriteStatusAsync(context, deployment.Vault.ResetProgress(), duplicateIgnored: false).ConfigureAwait(false);
            return;
        }

        if (string.IsNullOrWhiteSpace(key))
        {
            throw new PlatformError(400, "The unseal request has no share: send {\"key\":\"SHARE\"} or {\"reset\":true}.");
        }

        // Shares are anonymous, as in Vault: the share is the credential. The entry written when the
        // seal opens names the client address and request, never the share.
        using var operation = OperationContext.Begin(new OperationContext(UnsealActor, context.TraceIdentifier, context.Connection.RemoteIpAddress?.ToString()));
        var progress = await deployment.SubmitUnsealShareAsync(UnsealShare.Parse(key), context.RequestAborted).ConfigureAwait(false);
        await WriteStatusAsync(context, progress.Status, progress.DuplicateIgnored).ConfigureAwait(false);
    }

    private static async Task<byte[]> ReadBodyAsync(HttpRequest request, CancellationToken cancellationToken)
    {
        using var buffer = new MemoryStream();
        var chunk = new byte[1024];
        while (true)
        {
            var read = await request.Body.ReadAsync(chunk, cancellationToken).ConfigureAwait(false);
            if (read == 0)
            {
                Array.Clear(chunk);
                var bytes = buffer.ToArray();
                buffer.SetLength(0);
                return bytes;
            }

            if (buffer.Length + read > Limits.UnsealRequestBytesMax)
            {
                throw new PlatformError(413, $"The unseal request is larger than {Limits.UnsealRequestBytesMax} bytes.");
            }

            buffer.Write(chunk, 0, read);
        }
    }

    private static void RequireMethod(HttpRequest request, params string[] methods)
    {
        if (!methods.Any(method => string.Equals(method, request.Method, StringComparison.OrdinalIgnoreCase)))
        {
            request.HttpContext.Response.Headers.Allow = string.Join(", ", methods);
            throw new PlatformError(405, $"{request.Method} is not allowed here; use {string.Join(" or ", methods)}.");
        }
    }

    private static Task WriteStatusAsync(HttpContext context, SealStatus status, bool duplicateIgnored) =>
        WriteJsonAsync(context, 200, json =>
        {
            WriteStatus(json, status);
            if (duplicateIgnored)
            {
                json.WriteBoolean("duplicate_ignored", true);
            }
        });

    private static Task WriteErrorAsync(HttpContext context, int status, string message) =>
        WriteJsonAsync(context, status, json =>
        {
            json.WriteStartArray("errors");
            json.WriteStringValue(message);
            json.WriteEndArray();
        });

    /// <summary>A JSON object answer, never cached; for HEAD the headers only (also for <see cref="OperationsEndpoints"/>).</summary>
    internal static async Task WriteJsonAsync(HttpContext context, int status, Action<Utf8JsonWriter> write)
    {
        using var buffer = new MemoryStream();
        using (var json = new Utf8JsonWriter(buffer))
        {
            json.WriteStartObject();
            write(json);
            json.WriteEndObject();
        }

        var response = context.Response;
        response.StatusCode = status;
        response.ContentType = "application/json";
        response.Headers.CacheControl = "no-store";
        response.ContentLength = buffer.Length;
        if (!HttpMethods.IsHead(context.Request.Method))
        {
            await response.Body.WriteAsync(buffer.GetBuffer().AsMemory(0, (int)buffer.Length), context.RequestAborted).ConfigureAwait(false);
        }
    }

    private sealed class PlatformError(int status, string message) : Exception(message)
    {
        public int Status { get; } = status;
    }
}
