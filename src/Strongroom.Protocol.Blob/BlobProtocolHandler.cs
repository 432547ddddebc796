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
/// </summary>
public sealed partial class BlobProtocolHandler
{
    private readonly BlobService blobs;
    private readonly SharedKeyAuthenticator authenticator;
    private readonly IRandomSource random;
    private readonly BlobProtocolOptions options;
    private readonly ILogger logger;
    private readonly DateHeaderCache dates;

    public BlobProtocolHandler(BlobService blobs, TimeProvider time, IRandomSource random, BlobProtocolOptions options, ILogger<BlobProtocolHandler>? logger = null)
        : this(blobs, blobs.GetSharedKeysAsync, time, random, options, logger)
    {
    }

    /// <summary>For tests: the account keys come from <paramref name="keyLookup"/> instead of the service.</summary>
    internal BlobProtocolHandler(BlobService blobs, Func<string, CancellationToken, Task<SharedKeys?>> keyLookup, TimeProvider time, IRandomSource random, BlobProtocolOptions options, ILogger? logger)
    {
        this.blobs = blobs;
        this.random = random;
        this.options = options;
        this.logger = logger ?? NullLogger.Instance;
        authenticator = new SharedKeyAuthenticator(keyLookup, time, options);
        dates = new DateHeaderCache(time);
    }

    public async Task HandleAsync(HttpContext context)
    {
        var request = context.Request;
        var response = context.Response;
        var requestId = random.NewGuid().ToString();
        var date = dates.Now(out var now);

        var versionHeader = RequestHeaders.Get(request.Headers, "x-ms-version");
        var versionValid = versionHeader is null || Http.IsWellFormedVersion(versionHeader);
        var version = versionValid && versionHeader is not null ? versionHeader : options.DefaultVersion;
        var clientRequestId = RequestHeaders.Get(request.Headers, "x-ms-client-request-id");
        WriteCommonHeaders(response, requestId, version, date, clientRequestId);

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

            await AuthenticateAsync(context, target).ConfigureAwait(false);
            var resolved = OperationResolver.Resolve(request.Method, target, name => request.Headers.ContainsKey(name));
            await DispatchAsync(context, target, resolved).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (context.RequestAborted.IsCancellationRequested)
        {
            // The client went away; there is no one to answer.
        }
        catch (Exception exception)
        {
            await FailAsync(context, exception, requestId, version, date, now, clientRequestId).ConfigureAwait(false);
        }
    }

    private async Task AuthenticateAsync(HttpContext context, RequestTarget target)
    {
        var authorization = RequestHeaders.Get(context.Request.Headers, "Authorization");
        if (target.HasQuery("sig"))
        {
            // TODO(issue 8): account and service SAS (reference §1.2, §1.3).
            const string Detail = "SAS is not supported yet. Use Shared Key authorization.";
            throw new BlobProtocolException(ErrorMapping.AuthenticationFailed, Detail, [new("AuthenticationErrorDetail", Detail)]);
        }

        if (authorization is null)
        {
            // There are no public containers on this platform; Azure answers an anonymous
            // request to an account that disallows public access exactly so.
            throw new BlobProtocolException(ErrorMapping.PublicAccessNotPermitted);
        }

        await authenticator.AuthenticateAsync(context.Request, target, authorization, context.RequestAborted).ConfigureAwait(false);
    }

    private Task DispatchAsync(HttpContext context, RequestTarget target, ResolvedOperation resolved)
    {
        var account = target.Account;
        var container = resolved.Container;
        var blob = resolved.Blob;
        return resolved.Operation switch
        {
            BlobOperation.ListContainers => ListContainersAsync(context, target),
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
            _ => throw new BlobProtocolException(ErrorMapping.NotImplemented(resolved.Operation.ToString())),
        };
    }

    /// <summary>The operations this handler implements; all others answer 501 NotImplemented.</summary>
    public static IReadOnlySet<BlobOperation> ImplementedOperations { get; } = new HashSet<BlobOperation>
    {
        BlobOperation.ListContainers,
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

    private async Task FailAsync(HttpContext context, Exception exception, string requestId, string version, string date, DateTimeOffset now, string? clientRequestId)
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

    [LoggerMessage(EventId = 1, Level = LogLevel.Error, Message = "Request {RequestId} ({Method}) failed with an internal error")]
    private static partial void LogInternalError(ILogger logger, string requestId, string method, Exception exception);

    [LoggerMessage(EventId = 2, Level = LogLevel.Critical, Message = "Request {RequestId} ({Method}): stored data failed its integrity check (corruption or tampering)")]
    private static partial void LogIntegrityFailure(ILogger logger, string requestId, string method, Exception exception);

    [LoggerMessage(EventId = 3, Level = LogLevel.Critical, Message = "Request {RequestId}: broken invariant")]
    private static partial void LogInvariantViolation(ILogger logger, string requestId, Exception exception);

    [LoggerMessage(EventId = 4, Level = LogLevel.Warning, Message = "Request {RequestId} failed with {ErrorCode} after the response started; connection aborted")]
    private static partial void LogAbortedAfterStart(ILogger logger, string requestId, string errorCode);
}
