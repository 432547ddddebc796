using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Strongroom.Blobs;
using Strongroom.Core;

namespace Strongroom.Protocol.Blob;

/// <summary>
/// The Azure Blob REST data plane: parses the request, authenticates it, names the
/// <see cref="BlobOperation"/>, calls <see cref="BlobService"/> and writes Azure's response.
/// Mapped with <c>app.Run(handler.HandleAsync)</c>. Every response carries x-ms-request-id,
/// x-ms-version and Date; every failure is an Azure error (never a crash, never a hang).
///
/// Each request runs in an <see cref="OperationContext"/> (request id, client address; the actor
/// is anonymous until Shared Key authentication names the key, or a lockbox grant token names the
/// operator and the grant), which the service's transparency log entries are attributed to.
///
/// A lockbox grant is a bearer credential (<c>Authorization: Bearer srgrant1.…</c>, HTTPS only):
/// the validator (<see cref="BlobProtocolOptions.OperatorGrants"/>) checks it against the store on
/// every request, and <see cref="GrantScope"/> refuses any operation outside it before dispatch.
/// Every operation under a grant, refused ones included, is recorded with the grant's
/// justification. A failed request is recorded with its Azure error code as the
/// outcome (<see cref="BlobService.RecordFailureAsync"/>): authentication failures always, others
/// when the account's setting covers the operation. If that entry cannot be recorded the answer
/// becomes 500 InternalError.
/// </summary>
public sealed partial class BlobProtocolHandler
{
    private readonly BlobService blobs;
    private readonly SharedKeyAuthenticator authenticator;
    private readonly IRandomSource random;
    private readonly BlobProtocolOptions options;
    private readonly ILogger logger;
    private readonly DateHeaderCache dates;
    private readonly Func<FailureRecord, Task> recordFailure;
    private readonly SecondaryEndpoint secondary;
    private readonly TimeProvider time;
    private readonly Func<string, CancellationToken, Task<SharedKeys?>> keyLookup;
    private readonly Func<string, CancellationToken, ValueTask<BlobServiceProperties>> serviceProperties;

    public BlobProtocolHandler(BlobService blobs, TimeProvider time, IRandomSource random, BlobProtocolOptions options, ILogger<BlobProtocolHandler>? logger = null)
        : this(blobs, blobs.GetSharedKeysAsync, time, random, options, logger, failure => blobs.RecordFailureAsync(failure.Account, failure.Operation, failure.Container, failure.Blob, failure.Outcome, CancellationToken.None), serviceProperties: blobs.GetRequestPropertiesAsync)
    {
    }

    /// <summary>
    /// For tests: the account keys come from <paramref name="keyLookup"/> instead of the service,
    /// failures go to <paramref name="recordFailure"/> (by default nowhere), and the accounts' CORS
    /// rules and default version come from <paramref name="serviceProperties"/> (by default Azure's defaults).
    /// </summary>
    internal BlobProtocolHandler(BlobService blobs, Func<string, CancellationToken, Task<SharedKeys?>> keyLookup, TimeProvider time, IRandomSource random, BlobProtocolOptions options, ILogger? logger, Func<FailureRecord, Task>? recordFailure = null, SecondaryEndpoint? secondary = null, Func<string, CancellationToken, ValueTask<BlobServiceProperties>>? serviceProperties = null)
    {
        this.blobs = blobs;
        this.serviceProperties = serviceProperties ?? ((_, _) => ValueTask.FromResult(BlobServiceProperties.Default));
        this.secondary = secondary ?? new SecondaryEndpoint(blobs.RequireReadableSecondaryAsync, blobs.GetBlobServiceStatsAsync);
        this.recordFailure = recordFailure ?? (_ => Task.CompletedTask);
        this.random = random;
        this.options = options;
        this.logger = logger ?? NullLogger.Instance;
        this.time = time;
        this.keyLookup = keyLookup;
        authenticator = new SharedKeyAuthenticator(keyLookup, time, options);
        dates = new DateHeaderCache(time);
    }

    public Task HandleAsync(HttpContext context) => HandleAsync(context, batch: null);

    /// <summary>A request, or (<paramref name="batch"/> given) one sub-request of a Blob Batch, authenticated and answered on its own.</summary>
    private async Task HandleAsync(HttpContext context, BatchScope? batch)
    {
        var request = context.Request;
        request.Body = new RequestBodyStream(request.Body, context.RequestAborted);
        var response = context.Response;
        var requestId = random.NewGuid().ToString();
        var date = dates.Now(out var now);

        var versionHeader = RequestHeaders.Get(request.Headers, "x-ms-version");
        var versionValid = versionHeader is null || Http.IsWellFormedVersion(versionHeader);
        var version = versionValid && versionHeader is not null ? versionHeader : batch?.Version ?? options.DefaultVersion;
        var clientRequestId = RequestHeaders.Get(request.Headers, "x-ms-client-request-id");
        WriteCommonHeaders(response, requestId, version, date, clientRequestId);

        using var operationContext = OperationContext.Begin(new OperationContext(Actor.Anonymous, requestId, context.Connection.RemoteIpAddress?.ToString()));
        var progress = new RequestProgress();
        var started = System.Diagnostics.Stopwatch.GetTimestamp();
        try
        {
            if (options.IsSealed?.Invoke() == true)
            {
                throw new StorageException(ErrorCode.VaultSealed);
            }

            if (!versionValid)
            {
                throw BlobProtocolException.Header(ErrorMapping.InvalidHeaderValue, "x-ms-version", versionHeader);
            }

            if (options.RequireHttps && !request.IsHttps)
            {
                throw new BlobProtocolException(ErrorMapping.AccountRequiresHttps);
            }

            var rawTarget = context.Features.Get<IHttpRequestFeature>()?.RawTarget;
            if (string.IsNullOrEmpty(rawTarget))
            {
                rawTarget = string.Concat(request.PathBase.ToUriComponent(), request.Path.ToUriComponent(), request.QueryString.ToUriComponent());
            }

            if (!RequestTarget.TryParse(rawTarget, out var target) || target is null)
            {
                throw new BlobProtocolException(ErrorMapping.InvalidUri);
            }

            progress.Target = target;
            var properties = await serviceProperties(target.Account, context.RequestAborted).ConfigureAwait(false);
            if (versionHeader is null && properties.DefaultServiceVersion is { } defaultVersion)
            {
                // Set Blob Service Properties' DefaultServiceVersion answers requests that name none.
                version = defaultVersion;
                response.Headers["x-ms-version"] = version;
            }

            if (HttpMethods.IsOptions(request.Method))
            {
                Preflight(context, properties.Cors);
                return;
            }

            ApplyCors(context, properties.Cors);
            var grant = await AuthenticateAsync(context, target).ConfigureAwait(false);
            var sas = CurrentSas(context);
            progress.Authenticated = sas is null;
            var resolved = OperationResolver.Resolve(request.Method, target, name => request.Headers.ContainsKey(name));
            progress.Resolved = resolved;
            if (sas is not null)
            {
                // A SAS is authenticated by its signature and authorized for the operation it names;
                // until both pass, its refusal is recorded like an authentication failure.
                AuthorizeSas(context, sas, target, resolved);
                progress.Authenticated = true;
            }

            batch?.Check(target, resolved);
            if (grant is not null && GrantScope.Check(grant, resolved.Operation, target.Account, resolved.Container, resolved.Blob, target.GetQuery("prefix")) is { } refusal)
            {
                throw new StorageException(refusal);
            }
            await CheckLocationAsync(context, target, resolved).ConfigureAwait(false);
            await DispatchUnderSasAsync(context, target, resolved).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (context.RequestAborted.IsCancellationRequested)
        {
            // The client went away; there is no one to answer.
        }
        catch (Exception exception)
        {
            await FailAsync(context, exception, progress, requestId, version, date, now, clientRequestId).ConfigureAwait(false);
        }
        finally
        {
            StrongroomMetrics.RecordRequest(StrongroomMetrics.BlobPlane, MetricOperation(request.Method, progress, name => request.Headers.ContainsKey(name)), response.StatusCode, started);
        }
    }

    /// <summary>The operation label of an unresolvable request (sealed, a bad URI, an unknown comp).</summary>
    public const string UnknownOperation = "Unknown";

    /// <summary>The operation label of a CORS preflight.</summary>
    public const string PreflightOperation = "Preflight";

    private static readonly System.Collections.Frozen.FrozenDictionary<BlobOperation, string> OperationNames =
        System.Collections.Frozen.FrozenDictionary.ToFrozenDictionary(Enum.GetValues<BlobOperation>(), operation => operation, operation => operation.ToString());

    /// <summary>
    /// Azure's name of the request's operation for the request metrics: resolved even when the
    /// request failed before its resolution (authentication comes first), from the method and the
    /// URI alone; a bounded set of names whatever the client sent.
    /// </summary>
    private static string MetricOperation(string method, RequestProgress progress, Func<string, bool> hasHeader)
    {
        if (progress.Resolved is { } resolved)
        {
            return OperationNames[resolved.Operation];
        }

        if (HttpMethods.IsOptions(method))
        {
            return PreflightOperation;
        }

        if (progress.Target is not { } target)
        {
            return UnknownOperation;
        }

        try
        {
            return OperationNames[OperationResolver.Resolve(method, target, hasHeader).Operation];
        }
        catch (Exception exception) when (exception is BlobProtocolException or StorageException or ArgumentException)
        {
            return UnknownOperation;
        }
    }

    /// <summary>A failed request to record (see <see cref="BlobService.RecordFailureAsync"/>), with the actor it is attributed to.</summary>
    internal sealed record FailureRecord(string Account, BlobOperation? Operation, string? Container, string? Blob, string Outcome, Actor Actor);

    /// <summary>How far a request got, for the entry of its failure.</summary>
    private sealed class RequestProgress
    {
        public RequestTarget? Target { get; set; }

        public bool Authenticated { get; set; }

        public ResolvedOperation? Resolved { get; set; }
    }

    /// <summary>Authenticates the request and sets the actor; returns the lockbox grant when a grant token authorised it.</summary>
    private async Task<OperatorGrant?> AuthenticateAsync(HttpContext context, RequestTarget target)
    {
        var authorization = RequestHeaders.Get(context.Request.Headers, "Authorization");
        if (target.HasQuery("sig") && authorization is null)
        {
            await AuthenticateSasAsync(context, target).ConfigureAwait(false);
            return null;
        }

        if (authorization is null)
        {
            // There are no public containers on this platform; Azure answers an anonymous
            // request to an account that disallows public access exactly so.
            throw new BlobProtocolException(ErrorMapping.PublicAccessNotPermitted);
        }

        if (TryGetBearerToken(authorization, out var token))
        {
            return await AuthenticateGrantAsync(context, token).ConfigureAwait(false);
        }

        var slot = await authenticator.AuthenticateAsync(context.Request, target, authorization, context.RequestAborted).ConfigureAwait(false);
        OperationContext.SetActor(new Actor(ActorKind.SharedKey, slot == 1 ? "key1" : "key2"));
        return null;
    }

    /// <summary>
    /// A bearer token: only a lockbox grant token is one this server takes. Refused over plain
    /// HTTP (403 AuthenticationFailed, as Azure and Azurite answer; the SDK never sends one so).
    /// Any other token, or a grant token that does not verify, is 401 InvalidAuthenticationInfo
    /// with the challenge (<see cref="FailAsync"/>); a grant no longer active (revoked, ended,
    /// expired, its session gone) is 403 AuthorizationFailure.
    /// </summary>
    private async Task<OperatorGrant> AuthenticateGrantAsync(HttpContext context, string token)
    {
        if (!context.Request.IsHttps)
        {
            const string Detail = "Authentication scheme Bearer is not allowed with HTTP.";
            throw new BlobProtocolException(ErrorMapping.AuthenticationFailed, Detail, [new("AuthenticationErrorDetail", Detail)]);
        }

        var validator = options.OperatorGrants;
        if (validator is null || !validator.IsGrantToken(token))
        {
            throw InvalidBearer("The bearer token is not a lockbox grant token issued by this server.");
        }

        OperatorGrant grant;
        try
        {
            grant = await validator.ValidateAsync(token, context.RequestAborted).ConfigureAwait(false);
        }
        catch (StorageException invalid) when (invalid.Code == ErrorCode.GrantTokenInvalid)
        {
            throw InvalidBearer("Signature validation failed.");
        }

        // The validator checked the store; the end is checked again on this clock so that no
        // path through a validator can stretch a grant past its end.
        if (grant.EndsOn <= time.GetUtcNow())
        {
            throw new StorageException(ErrorCode.GrantNotActive);
        }

        OperationContext.SetActor(new Actor(ActorKind.Operator, grant.Operator, grant.GrantId), grant.Justification);
        return grant;
    }

    private static BlobProtocolException InvalidBearer(string detail) =>
        new(ErrorMapping.Map(ErrorCode.GrantTokenInvalid), detail, [new("AuthenticationErrorDetail", detail)]);

    /// <summary><c>Bearer &lt;token&gt;</c> (the scheme is case-insensitive, RFC 7235); false for any other scheme.</summary>
    internal static bool TryGetBearerToken(string authorization, out string token)
    {
        const string Scheme = "Bearer";
        token = string.Empty;
        if (authorization.Length <= Scheme.Length
            || !authorization.StartsWith(Scheme, StringComparison.OrdinalIgnoreCase)
            || authorization[Scheme.Length] != ' ')
        {
            return false;
        }

        token = authorization[(Scheme.Length + 1)..].Trim(' ');
        return true;
    }

    /// <summary>
    /// Azure's bearer challenge, sent with every 401: <c>Bearer authorization_uri=… resource_id=https://storage.azure.com</c>
    /// (space-separated, as the service sends it; the SDKs' challenge parsers take it so).
    /// </summary>
    private string BearerChallenge()
    {
        const string Resource = "resource_id=https://storage.azure.com";
        var authorizationUri = options.BearerAuthorizationUri?.Invoke();
        return authorizationUri is null ? "Bearer " + Resource : $"Bearer authorization_uri={authorizationUri} {Resource}";
    }

    /// <summary>What the secondary endpoint asks of the service (a seam for tests).</summary>
    internal sealed record SecondaryEndpoint(
        Func<string, CancellationToken, Task> RequireReadable,
        Func<string, CancellationToken, Task<GeoReplicationStats>> GetStats);

    /// <summary>
    /// The endpoint's rules, as Azure's: the secondary (<c>ACCOUNT-secondary</c>) takes reads only
    /// (403 InsufficientAccountPermissions "Write operations to the secondary location are not
    /// allowed") and only for an RA-GRS or RA-GZRS account. Azure publishes no secondary host at
    /// all for another account; for a path-style server the faithful answer is the documented error
    /// of that table, 403 InsufficientAccountPermissions "Read-access geo-redundant replication is
    /// not enabled for the account", given after authentication so it tells a stranger nothing.
    /// Get Blob Service Stats exists only on the secondary: on the primary Azure refuses the
    /// query parameter (400 InvalidQueryParameterValue, comp=stats).
    /// </summary>
    private async Task CheckLocationAsync(HttpContext context, RequestTarget target, ResolvedOperation resolved)
    {
        if (target.Location == ReadLocation.Primary)
        {
            if (resolved.Operation == BlobOperation.GetBlobServiceStats)
            {
                throw BlobProtocolException.Query(ErrorMapping.InvalidQueryParameterValue, "comp", target.GetQuery("comp"));
            }

            return;
        }

        if (!HttpMethods.IsGet(context.Request.Method) && !HttpMethods.IsHead(context.Request.Method))
        {
            throw new StorageException(ErrorCode.WriteOperationNotSupportedOnSecondary);
        }

        if (resolved.Operation != BlobOperation.GetBlobServiceStats)
        {
            await secondary.RequireReadable(target.Account, context.RequestAborted).ConfigureAwait(false);
        }
    }

    private async Task GetBlobServiceStatsAsync(HttpContext context, RequestTarget target)
    {
        var stats = await secondary.GetStats(target.Account, context.RequestAborted).ConfigureAwait(false);
        var body = XmlResponses.ServiceStatsBody(stats);
        context.Response.StatusCode = StatusCodes.Status200OK;
        context.Response.ContentType = Http.XmlContentType;
        context.Response.ContentLength = body.Length;
        await context.Response.Body.WriteAsync(body, context.RequestAborted).ConfigureAwait(false);
    }

    private Task DispatchAsync(HttpContext context, RequestTarget target, ResolvedOperation resolved)
    {
        var account = target.Account;
        var container = resolved.Container;
        var blob = resolved.Blob;
        return resolved.Operation switch
        {
            BlobOperation.ListContainers => ListContainersAsync(context, target),
            BlobOperation.GetBlobServiceStats => GetBlobServiceStatsAsync(context, target),
            BlobOperation.CreateContainer => CreateContainerAsync(context, account, container!),
            BlobOperation.GetContainerProperties => GetContainerPropertiesAsync(context, account, container!, propertiesOnly: false),
            BlobOperation.GetContainerMetadata => GetContainerPropertiesAsync(context, account, container!, propertiesOnly: true),
            BlobOperation.SetContainerMetadata => SetContainerMetadataAsync(context, account, container!),
            BlobOperation.DeleteContainer => DeleteContainerAsync(context, account, container!),
            BlobOperation.ListBlobs => ListBlobsAsync(context, target, container!),
            BlobOperation.PutBlob => PutBlobAsync(context, target, container!, blob!),
            BlobOperation.PutBlock => PutBlockAsync(context, target, container!, blob!),
            BlobOperation.PutBlockList => PutBlockListAsync(context, target, container!, blob!),
            BlobOperation.GetBlockList => GetBlockListAsync(context, target, container!, blob!),
            BlobOperation.GetBlob => GetBlobAsync(context, target, container!, blob!),
            BlobOperation.GetBlobProperties => GetBlobPropertiesAsync(context, target, container!, blob!, metadataOnly: false),
            BlobOperation.GetBlobMetadata => GetBlobPropertiesAsync(context, target, container!, blob!, metadataOnly: true),
            BlobOperation.SetBlobProperties => SetBlobPropertiesAsync(context, target, container!, blob!),
            BlobOperation.SetBlobMetadata => SetBlobMetadataAsync(context, target, container!, blob!),
            BlobOperation.DeleteBlob => DeleteBlobAsync(context, target, container!, blob!),
            BlobOperation.UndeleteBlob => UndeleteBlobAsync(context, target, container!, blob!),
            BlobOperation.CopyBlob => CopyBlobAsync(context, target, container!, blob!),
            BlobOperation.RestoreContainer => RestoreContainerAsync(context, account, container!),
            BlobOperation.SetBlobLegalHold => SetBlobLegalHoldAsync(context, target, container!, blob!),
            BlobOperation.GetContainerAcl => GetContainerAclAsync(context, account, container!),
            BlobOperation.SetContainerAcl => SetContainerAclAsync(context, account, container!),
            BlobOperation.GetBlobServiceProperties => GetBlobServicePropertiesAsync(context, account),
            BlobOperation.SetBlobServiceProperties => SetBlobServicePropertiesAsync(context, account),
            BlobOperation.PutPage => PutPageAsync(context, target, container!, blob!),
            BlobOperation.PutPageFromUrl => PutPageFromUrlAsync(context, target, container!, blob!),
            BlobOperation.GetPageRanges => GetPageRangesAsync(context, target, container!, blob!),
            BlobOperation.SnapshotBlob => SnapshotBlobAsync(context, target, container!, blob!),
            BlobOperation.GetBlobTags => GetBlobTagsAsync(context, target, container!, blob!),
            BlobOperation.SetBlobTags => SetBlobTagsAsync(context, target, container!, blob!),
            BlobOperation.FindBlobsByTags => FindBlobsByTagsAsync(context, target, container),
            BlobOperation.GetAccountInformation => GetAccountInformationAsync(context, account),
            BlobOperation.GetUserDelegationKey => GetUserDelegationKeyAsync(),
            BlobOperation.AppendBlock => AppendBlockAsync(context, target, container!, blob!),
            BlobOperation.AppendBlockFromUrl => AppendBlockFromUrlAsync(context, target, container!, blob!),
            BlobOperation.SealAppendBlob => SealAppendBlobAsync(context, target, container!, blob!),
            BlobOperation.LeaseBlob => LeaseBlobAsync(context, target, container!, blob!),
            BlobOperation.LeaseContainer => LeaseContainerAsync(context, account, container!),
            BlobOperation.SetBlobTier => SetBlobTierAsync(context, target, container!, blob!),
            BlobOperation.AbortCopyBlob => AbortCopyBlobAsync(context, target, container!, blob!),
            BlobOperation.PutBlobFromUrl => PutBlobFromUrlAsync(context, target, container!, blob!),
            BlobOperation.PutBlockFromUrl => PutBlockFromUrlAsync(context, target, container!, blob!),
            BlobOperation.SubmitBatch => SubmitBatchAsync(context, target, container),
            _ => throw new BlobProtocolException(ErrorMapping.NotImplemented(resolved.Operation.ToString())),
        };
    }

    /// <summary>The operations this handler implements; all others answer 501 NotImplemented.</summary>
    public static IReadOnlySet<BlobOperation> ImplementedOperations { get; } = new HashSet<BlobOperation>
    {
        BlobOperation.ListContainers,
        BlobOperation.GetBlobServiceStats,
        BlobOperation.CreateContainer,
        BlobOperation.GetContainerProperties,
        BlobOperation.GetContainerMetadata,
        BlobOperation.SetContainerMetadata,
        BlobOperation.DeleteContainer,
        BlobOperation.ListBlobs,
        BlobOperation.PutBlob,
        BlobOperation.PutBlock,
        BlobOperation.PutBlockList,
        BlobOperation.GetBlockList,
        BlobOperation.GetBlob,
        BlobOperation.GetBlobProperties,
        BlobOperation.GetBlobMetadata,
        BlobOperation.SetBlobProperties,
        BlobOperation.SetBlobMetadata,
        BlobOperation.DeleteBlob,
        BlobOperation.UndeleteBlob,
        BlobOperation.CopyBlob,
        BlobOperation.RestoreContainer,
        BlobOperation.SetBlobLegalHold,
        BlobOperation.GetBlobServiceProperties,
        BlobOperation.SetBlobServiceProperties,
        BlobOperation.LeaseBlob,
        BlobOperation.LeaseContainer,
        BlobOperation.SetBlobTier,
        BlobOperation.AbortCopyBlob,
        BlobOperation.PutBlobFromUrl,
        BlobOperation.PutBlockFromUrl,
        BlobOperation.SubmitBatch,
        BlobOperation.GetContainerAcl,
        BlobOperation.SetContainerAcl,
        BlobOperation.PutPage,
        BlobOperation.PutPageFromUrl,
        BlobOperation.GetPageRanges,
        BlobOperation.SnapshotBlob,
        BlobOperation.GetBlobTags,
        BlobOperation.SetBlobTags,
        BlobOperation.FindBlobsByTags,
        BlobOperation.GetAccountInformation,
        BlobOperation.GetUserDelegationKey,
        BlobOperation.AppendBlock,
        BlobOperation.AppendBlockFromUrl,
        BlobOperation.SealAppendBlob,
    };

    private static void WriteCommonHeaders(HttpResponse response, string requestId, string version, string date, string? clientRequestId)
    {
        var headers = response.Headers;
        headers["x-ms-request-id"] = requestId;
        headers["x-ms-version"] = version;
        headers.Date = date;
        headers.Server = "Strongroom";
        if (clientRequestId is not null)
        {
            headers["x-ms-client-request-id"] = clientRequestId;
        }
    }

    private async Task FailAsync(HttpContext context, Exception exception, RequestProgress progress, string requestId, string version, string date, DateTimeOffset now, string? clientRequestId)
    {
        AzureError error;
        IReadOnlyList<KeyValuePair<string, string>> details = [];
        IReadOnlyList<KeyValuePair<string, string>> extraHeaders = [];
        switch (exception)
        {
            case BlobProtocolException protocol:
                error = protocol.Error;
                details = protocol.Details;
                extraHeaders = protocol.Headers;
                break;
            case StorageException storage:
                error = ErrorMapping.Map(storage.Code);
                if (storage.Code == ErrorCode.IntegrityCheckFailed)
                {
                    LogIntegrityFailure(logger, requestId, context.Request.Method, storage);
                }
                else if (storage.Code == ErrorCode.AuditLogUnavailable)
                {
                    // The cause (a store error) is in the inner exception; no entry content, no secret.
                    LogAuditUnavailable(logger, requestId, context.Request.Method, storage);
                }

                break;
            case BadHttpRequestException bad:
                error = bad.StatusCode == StatusCodes.Status413PayloadTooLarge
                    ? ErrorMapping.RequestBodyTooLarge
                    : new AzureError(400, "InvalidInput", "One of the request inputs is not valid.");
                break;
            case InvariantViolationException:
                error = ErrorMapping.InternalError;
                LogInvariantViolation(logger, requestId, exception);
                break;
            default:
                error = ErrorMapping.InternalError;
                LogInternalError(logger, requestId, context.Request.Method, exception);
                break;
        }

        if (!await RecordFailureAsync(context, exception, error, progress, requestId).ConfigureAwait(false))
        {
            error = ErrorMapping.InternalError;
            details = [];
            extraHeaders = [];
        }

        var response = context.Response;
        if (response.HasStarted)
        {
            // Headers (maybe part of a body) are already out: the only honest signal left is
            // to cut the connection, so the client never mistakes a truncated body for a whole one.
            LogAbortedAfterStart(logger, requestId, error.Code);
            context.Abort();
            return;
        }

        response.Headers.Clear();
        WriteCommonHeaders(response, requestId, version, date, clientRequestId);
        response.StatusCode = error.Status;
        response.Headers["x-ms-error-code"] = error.Code;
        foreach (var (name, value) in extraHeaders)
        {
            response.Headers[name] = value;
        }

        if (error.Status == StatusCodes.Status401Unauthorized)
        {
            response.Headers.WWWAuthenticate = BearerChallenge();
        }

        if (HttpMethods.IsHead(context.Request.Method) || error.Status == StatusCodes.Status304NotModified)
        {
            return;
        }

        var body = XmlResponses.ErrorBody(error.Code, error.Message, requestId, now, details);
        response.ContentType = Http.XmlContentType;
        response.ContentLength = body.Length;
        try
        {
            await response.Body.WriteAsync(body, context.RequestAborted).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (context.RequestAborted.IsCancellationRequested)
        {
        }
    }

    /// <summary>
    /// Records the failure in the account's log when it must be: an authentication failure
    /// (the actor is still anonymous) or an authenticated operation the account's setting covers.
    /// Requests that never named an account, and failures of the log itself, are not recorded.
    /// False when the entry could not be recorded: the request then fails as an internal error.
    /// </summary>
    private async Task<bool> RecordFailureAsync(HttpContext context, Exception exception, AzureError error, RequestProgress progress, string requestId)
    {
        if (progress.Target is not { } target || exception is StorageException { Code: ErrorCode.AuditLogUnavailable })
        {
            return true;
        }

        var resolved = progress.Resolved;
        if (!progress.Authenticated)
        {
            // AuthorizationFailure here: a grant token that verified but whose grant is no longer active.
            if (error.Code is not ("AuthenticationFailed" or "InvalidAuthenticationInfo" or "PublicAccessNotPermitted" or "AuthorizationFailure") && !SasRefusals.Contains(error.Code))
            {
                return true;
            }

            // Name the operation the unauthenticated request asked for, if it names one.
            try
            {
                resolved = OperationResolver.Resolve(context.Request.Method, target, name => context.Request.Headers.ContainsKey(name));
            }
            catch (BlobProtocolException)
            {
                resolved = null;
            }
        }

        try
        {
            await recordFailure(new FailureRecord(
                target.Account,
                resolved?.Operation,
                resolved?.Container ?? target.Container,
                resolved is { } named ? named.Blob : target.Blob,
                error.Code,
                OperationContext.Current.Actor)).ConfigureAwait(false);
            return true;
        }
        catch (Exception failure)
        {
            LogAuditUnavailable(logger, requestId, context.Request.Method, failure);
            return false;
        }
    }

    [LoggerMessage(EventId = 5, Level = LogLevel.Error, Message = "Request {RequestId} ({Method}): the transparency log could not record it; the request failed")]
    private static partial void LogAuditUnavailable(ILogger logger, string requestId, string method, Exception exception);

    [LoggerMessage(EventId = 1, Level = LogLevel.Error, Message = "Request {RequestId} ({Method}) failed with an internal error")]
    private static partial void LogInternalError(ILogger logger, string requestId, string method, Exception exception);

    [LoggerMessage(EventId = 2, Level = LogLevel.Critical, Message = "Request {RequestId} ({Method}): stored data failed its integrity check (corruption or tampering)")]
    private static partial void LogIntegrityFailure(ILogger logger, string requestId, string method, Exception exception);

    [LoggerMessage(EventId = 3, Level = LogLevel.Critical, Message = "Request {RequestId}: broken invariant")]
    private static partial void LogInvariantViolation(ILogger logger, string requestId, Exception exception);

    [LoggerMessage(EventId = 4, Level = LogLevel.Warning, Message = "Request {RequestId} failed with {ErrorCode} after the response started; connection aborted")]
    private static partial void LogAbortedAfterStart(ILogger logger, string requestId, string errorCode);
}
