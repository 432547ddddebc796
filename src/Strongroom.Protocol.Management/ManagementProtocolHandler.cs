using System.Buffers;
using System.Text.Json;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Strongroom.Access;
using Strongroom.Audit;
using Strongroom.Core;

namespace Strongroom.Protocol.Management;

/// <summary>
/// The management plane's REST API (JSON over HTTPS on its own listener; the CLI is its client):
/// sign-in and sessions, operators, tenant administrators, the lockbox, transfers, and the
/// platform's vault and audit endpoints. Every call but sign-in and the seal status needs
/// <c>Authorization: Bearer &lt;session token&gt;</c>; the services decide from the caller's role
/// and account what it may do, and record what it did. Errors are
/// <c>{"error":{"code","message"}}</c> with the status <see cref="ManagementErrors"/> maps.
/// Routes live in one partial file per area (<c>.Identity</c>, <c>.Lockbox</c>, <c>.Transfers</c>,
/// <c>.Platform</c>), each contributing its table.
/// </summary>
public sealed partial class ManagementProtocolHandler
{
    /// <summary>Every route is under this prefix (versioned, so the API can grow).</summary>
    public const string PathPrefix = "/v1/";

    private readonly ManagementServices services;
    private readonly ManagementOptions options;
    private readonly ILogger logger;
    private readonly IReadOnlyList<Route> routes;

    public ManagementProtocolHandler(ManagementServices services, ManagementOptions options, ILogger? logger = null)
    {
        ArgumentNullException.ThrowIfNull(services);
        ArgumentNullException.ThrowIfNull(options);
        this.services = services;
        this.options = options;
        this.logger = logger ?? NullLogger.Instance;
        routes = [.. IdentityRoutes(), .. LockboxRoutes(), .. TransferRoutes(), .. PlatformRoutes(), .. VaultRoutes(), .. CertificateRoutes(), .. ProtectionRoutes(), .. DestructionRoutes(), .. DeploymentRoutes()];
    }

    public async Task HandleAsync(HttpContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        var requestId = services.Random.NewGuid().ToString();
        context.Response.Headers["x-ms-request-id"] = requestId;
        context.Response.Headers.CacheControl = "no-store";
        using var operation = OperationContext.Begin(new OperationContext(Actor.Anonymous, requestId, context.Connection.RemoteIpAddress?.ToString()));
        Route? matched = null;
        var started = System.Diagnostics.Stopwatch.GetTimestamp();
        try
        {
            if (options.RequireHttps && !context.Request.IsHttps)
            {
                throw new ManagementException(400, "HttpsRequired", "The management plane answers only over HTTPS.");
            }

            // Kestrel reads bodies without a server-wide bound (the Blob API streams them); here
            // no body is larger than a JSON request, whatever the route.
            if (context.Request.ContentLength > Limits.ManagementRequestBytesMax)
            {
                throw ManagementCall.BodyTooLarge();
            }

            if (context.Features.Get<IHttpMaxRequestBodySizeFeature>() is { IsReadOnly: false } bodySize)
            {
                bodySize.MaxRequestBodySize = Limits.ManagementRequestBytesMax;
            }

            var (route, values) = Match(context.Request.Method, context.Request.Path.Value ?? string.Empty);
            matched = route;
            if (services.IsSealed() && !route.WhileSealed)
            {
                throw new StorageException(ErrorCode.VaultSealed);
            }

            AuthenticatedPrincipal? caller = null;
            if (!route.Anonymous)
            {
                caller = await AuthenticateAsync(context).ConfigureAwait(false);
                OperationContext.SetActor(caller.Actor);
                if (caller.Kind == PrincipalKind.TenantAdmin && !route.AfterClosure)
                {
                    IdentityService.RequireOpenAccount(caller, await services.GetAccount(caller.Account, context.RequestAborted).ConfigureAwait(false), route.AfterClosure);
                }
            }

            await route.Handle(new ManagementCall(context, values, caller)).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (context.RequestAborted.IsCancellationRequested)
        {
            // The client went away.
        }
        catch (Exception exception)
        {
            await FailAsync(context, exception, requestId, matched).ConfigureAwait(false);
        }
        finally
        {
            StrongroomMetrics.RecordRequest(StrongroomMetrics.ManagementPlane, matched?.Operation ?? UnmatchedOperation, context.Response.StatusCode, started);
        }
    }

    /// <summary>The operation label of a request no route matched (the path is the client's: never a label).</summary>
    public const string UnmatchedOperation = "unmatched";

    private async Task<AuthenticatedPrincipal> AuthenticateAsync(HttpContext context)
    {
        var authorization = context.Request.Headers.Authorization;
        const string Scheme = "Bearer ";
        var value = authorization.Count == 1 ? authorization[0] ?? string.Empty : string.Empty;
        if (!value.StartsWith(Scheme, StringComparison.OrdinalIgnoreCase) || value.AsSpan(Scheme.Length).Trim().IsEmpty)
        {
            throw new StorageException(ErrorCode.SessionInvalid, "Sign in first: this call needs a session (Authorization: Bearer <session token>).");
        }

        var token = value[Scheme.Length..].Trim();
        var authenticate = services.AuthenticateSession ?? services.Identities.AuthenticateSessionAsync;
        return await authenticate(token, context.RequestAborted).ConfigureAwait(false);
    }

    /// <summary>
    /// A privileged route refused its caller (401: no valid session; 403: its role, account or a
    /// rule of separation of duties): recorded in the platform log as
    /// <c>Management.&lt;METHOD&gt; &lt;template&gt;</c> with the error code as outcome, attributed to
    /// the caller or to the anonymous actor. Successful calls are recorded by the services that
    /// carry them out. The refusal stands even when its entry cannot be written (nothing was done);
    /// the failure to record goes to the server log, type and code only.
    /// </summary>
    private async Task RecordRefusalAsync(Route route, string code, HttpContext context)
    {
        if (services.Audit is not { } audit)
        {
            return;
        }

        try
        {
            var entry = audit.Entry(
                AuditLogs.Platform,
                RefusalAction(route),
                ManagementResourcePrefix + (context.Request.Path.Value ?? string.Empty),
                code);
            await audit.RecordAsync(entry, CancellationToken.None).ConfigureAwait(false);
        }
        catch (Exception exception) when (exception is not InvariantViolationException)
        {
            logger.LogError("Could not record a refused management call in the platform log: {Type} {Code}", exception.GetType().Name, (exception as StorageException)?.Code);
        }
    }

    /// <summary>The action of a refused call's entry: <c>Management.POST v1/operators</c>.</summary>
    internal static string RefusalAction(Route route) => $"Management.{route.Method} v1/{route.Template}";

    /// <summary>The resource prefix of management calls in the platform log (the request path follows).</summary>
    public const string ManagementResourcePrefix = "management:";

    private (Route Route, IReadOnlyDictionary<string, string> Values) Match(string method, string path)
    {
        var methodMatched = false;
        if (path.StartsWith(PathPrefix, StringComparison.Ordinal))
        {
            var segments = path[PathPrefix.Length..].Split('/');
            foreach (var route in routes)
            {
                if (route.TryMatch(segments, out var values))
                {
                    if (string.Equals(route.Method, method, StringComparison.OrdinalIgnoreCase))
                    {
                        return (route, values);
                    }

                    methodMatched = true;
                }
            }
        }

        throw methodMatched
            ? new ManagementException(405, "MethodNotAllowed", $"{method} is not allowed on {path}.")
            : new ManagementException(404, "NotFound", "No such management endpoint.");
    }

    private async Task FailAsync(HttpContext context, Exception exception, string requestId, Route? route)
    {
        if (context.Response.HasStarted)
        {
            logger.LogWarning("Management request {RequestId} failed after its response started: {Type}", requestId, exception.GetType().Name);
            context.Abort();
            return;
        }

        var (status, code, message) = exception switch
        {
            ManagementException management => (management.Status, management.Code, management.Message),
            StorageException storage => ManagementErrors.Map(storage.Code, storage.Message),
            _ => (500, "InternalError", $"The server encountered an internal error. Request id: {requestId}."),
        };
        if (status == 500)
        {
            // The type only: a message could carry what a caller sent.
            logger.LogError("Management request {RequestId} failed: {Type}", requestId, exception.GetType().FullName);
        }

        if (route is { Anonymous: false } && status is 401 or 403)
        {
            await RecordRefusalAsync(route, code, context).ConfigureAwait(false);
        }

        context.Response.Clear();
        context.Response.Headers["x-ms-request-id"] = requestId;
        context.Response.Headers.CacheControl = "no-store";
        if (status == 401)
        {
            context.Response.Headers.WWWAuthenticate = "Bearer realm=\"strongroom-management\"";
        }

        await WriteJsonAsync(context, status, json =>
        {
            json.WriteStartObject();
            json.WriteStartObject("error");
            json.WriteString("code", code);
            json.WriteString("message", message);
            json.WriteEndObject();
            json.WriteEndObject();
        }).ConfigureAwait(false);
    }

    /// <summary>Writes a JSON response.</summary>
    internal static async Task WriteJsonAsync(HttpContext context, int status, Action<Utf8JsonWriter> write)
    {
        var buffer = new ArrayBufferWriter<byte>(512);
        using (var json = new Utf8JsonWriter(buffer, new JsonWriterOptions { Indented = true }))
        {
            write(json);
        }

        context.Response.StatusCode = status;
        context.Response.ContentType = "application/json; charset=utf-8";
        context.Response.ContentLength = buffer.WrittenCount;
        await context.Response.Body.WriteAsync(buffer.WrittenMemory, context.RequestAborted).ConfigureAwait(false);
    }

    /// <summary>
    /// A route: method, path template (<c>lockbox/requests/{id}/approve</c>), whether it needs a
    /// session, whether it answers while sealed, and whether it answers a tenant administrator of a
    /// closed or destroyed account (<see cref="IdentityService.RequireOpenAccount"/>: only
    /// reads of what closure leaves behind — certificates, destructions, the log — and the session's own routes).
    /// </summary>
    internal sealed record Route(string Method, string Template, Func<ManagementCall, Task> Handle, bool Anonymous = false, bool WhileSealed = false, bool AfterClosure = false)
    {
        private readonly string[] parts = Template.Split('/');

        /// <summary>The request metrics' operation label: method and template.</summary>
        public string Operation { get; } = Method + " v1/" + Template;

        public bool TryMatch(string[] segments, out IReadOnlyDictionary<string, string> values)
        {
            values = EmptyValues;
            if (segments.Length != parts.Length)
            {
                return false;
            }

            Dictionary<string, string>? captured = null;
            for (var i = 0; i < parts.Length; i++)
            {
                var part = parts[i];
                if (part.Length > 2 && part[0] == '{' && part[^1] == '}')
                {
                    if (segments[i].Length == 0)
                    {
                        return false;
                    }

                    captured ??= new Dictionary<string, string>(StringComparer.Ordinal);
                    captured[part[1..^1]] = Uri.UnescapeDataString(segments[i]);
                }
                else if (!string.Equals(part, segments[i], StringComparison.Ordinal))
                {
                    return false;
                }
            }

            values = captured ?? EmptyValues;
            return true;
        }

        private static readonly IReadOnlyDictionary<string, string> EmptyValues = new Dictionary<string, string>();
    }
}

/// <summary>One call of a route: the HTTP context, the path's captured values, and the signed-in caller (null on anonymous routes).</summary>
internal sealed record ManagementCall(HttpContext Context, IReadOnlyDictionary<string, string> Values, AuthenticatedPrincipal? Caller)
{
    public CancellationToken Aborted => Context.RequestAborted;

    /// <summary>The caller of an authenticated route.</summary>
    public AuthenticatedPrincipal Principal => Caller ?? throw new InvalidOperationException("an anonymous route has no caller");

    public string Value(string name) => Values[name];

    public string? Query(string name) => Context.Request.Query.TryGetValue(name, out var value) ? value.ToString() : null;

    /// <summary>
    /// The JSON object body (at most <see cref="Limits.ManagementRequestBytesMax"/> bytes: 413
    /// RequestBodyTooLarge); 400 InvalidJson otherwise. The raw bytes are wiped once parsed: bodies
    /// carry passwords and unseal shares.
    /// </summary>
    public async Task<JsonElement> ReadJsonAsync()
    {
        var request = Context.Request;
        if (request.ContentLength > Limits.ManagementRequestBytesMax)
        {
            throw BodyTooLarge();
        }

        var buffer = ArrayPool<byte>.Shared.Rent(Limits.ManagementRequestBytesMax + 1);
        var length = 0;
        try
        {
            int read;
            while ((read = await request.Body.ReadAsync(buffer.AsMemory(length, buffer.Length - length), Aborted).ConfigureAwait(false)) > 0)
            {
                length += read;
                if (length > Limits.ManagementRequestBytesMax)
                {
                    throw BodyTooLarge();
                }
            }

            using var document = JsonDocument.Parse(buffer.AsMemory(0, length), new JsonDocumentOptions { MaxDepth = 8 });
            if (document.RootElement.ValueKind != JsonValueKind.Object)
            {
                throw new ManagementException(400, "InvalidJson", "The body must be a JSON object.");
            }

            return document.RootElement.Clone();
        }
        catch (JsonException)
        {
            throw new ManagementException(400, "InvalidJson", "The body is not valid JSON.");
        }
        catch (BadHttpRequestException exception) when (exception.StatusCode == StatusCodes.Status413PayloadTooLarge)
        {
            throw BodyTooLarge();
        }
        finally
        {
            Array.Clear(buffer, 0, Math.Min(length, buffer.Length));
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    internal static ManagementException BodyTooLarge() =>
        new(413, "RequestBodyTooLarge", $"A management request body is at most {Limits.ManagementRequestBytesMax} bytes.");

    /// <summary>
    /// The JSON object body of a route whose body is optional (deny's reason): parsed as
    /// <see cref="ReadJsonAsync"/> when the request has a length or is chunked, null otherwise.
    /// </summary>
    public async Task<JsonElement?> ReadOptionalJsonAsync() =>
        Context.Request.ContentLength is > 0 || Context.Request.Headers.TransferEncoding.Count > 0
            ? await ReadJsonAsync().ConfigureAwait(false)
            : null;

    /// <summary>A string member of a JSON body, or null when absent or null; 400 InvalidAccessRequest when it is not a string.</summary>
    public static string? OptionalString(JsonElement body, string name)
    {
        if (!body.TryGetProperty(name, out var value) || value.ValueKind == JsonValueKind.Null)
        {
            return null;
        }

        return value.ValueKind == JsonValueKind.String
            ? value.GetString()
            : throw new StorageException(ErrorCode.InvalidAccessRequest, $"\"{name}\" must be a string.");
    }

    /// <summary>A string member a JSON body must have (it may be empty: the services judge values); 400 InvalidAccessRequest otherwise.</summary>
    public static string RequiredString(JsonElement body, string name) =>
        OptionalString(body, name) ?? throw new StorageException(ErrorCode.InvalidAccessRequest, $"The body needs \"{name}\" (a string).");

    /// <summary>A query parameter, or null when absent or empty.</summary>
    public string? OptionalQuery(string name) => Query(name) is { Length: > 0 } value ? value : null;

    /// <summary>
    /// A query parameter naming a member of <typeparamref name="T"/> as <paramref name="nameOf"/>
    /// spells it, or null when absent or empty; 400 InvalidAccessRequest listing the names otherwise.
    /// </summary>
    public T? QueryEnum<T>(string name, Func<T, string> nameOf)
        where T : struct, Enum
    {
        if (OptionalQuery(name) is not { } text)
        {
            return null;
        }

        foreach (var value in Enum.GetValues<T>())
        {
            if (string.Equals(nameOf(value), text, StringComparison.Ordinal))
            {
                return value;
            }
        }

        throw new StorageException(ErrorCode.InvalidAccessRequest, $"{name} is one of {string.Join(", ", Enum.GetValues<T>().Select(nameOf))}.");
    }

    /// <summary>Answers <c>{"PROPERTY":[…]}</c>, one item written by <paramref name="writeItem"/>.</summary>
    public Task WriteListAsync<T>(int status, string property, IEnumerable<T> items, Action<Utf8JsonWriter, T> writeItem) =>
        WriteJsonAsync(status, json => WriteList(json, property, items, writeItem));

    /// <summary><c>{"PROPERTY":[…]}</c>, one item written by <paramref name="writeItem"/>.</summary>
    internal static void WriteList<T>(Utf8JsonWriter json, string property, IEnumerable<T> items, Action<Utf8JsonWriter, T> writeItem)
    {
        json.WriteStartObject();
        json.WriteStartArray(property);
        foreach (var item in items)
        {
            writeItem(json, item);
        }

        json.WriteEndArray();
        json.WriteEndObject();
    }

    public Task WriteJsonAsync(int status, Action<Utf8JsonWriter> write) => ManagementProtocolHandler.WriteJsonAsync(Context, status, write);
}

/// <summary>A refusal of the management protocol itself (routing, HTTPS, body), with its status and code.</summary>
public sealed class ManagementException(int status, string code, string message) : Exception(message)
{
    public int Status { get; } = status;

    public string Code { get; } = code;
}
