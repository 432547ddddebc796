using System.Buffers;
using System.Globalization;
using System.Text;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.AspNetCore.WebUtilities;
using Microsoft.Net.Http.Headers;
using Strongroom.Core;

namespace Strongroom.Protocol.Blob;

// Blob Batch (issue 8, copy).
public sealed partial class BlobProtocolHandler
{
    /// <summary>
    /// Blob Batch (<c>POST ?comp=batch</c>, or <c>?restype=container&amp;comp=batch</c> scoped to one
    /// container): a multipart/mixed body (≤ <see cref="Limits.BatchBodyBytesMax"/>) of up to
    /// <see cref="Limits.BatchSubRequestsMax"/> sub-requests, all Delete Blob or all Set Blob Tier,
    /// each an HTTP request with its own credentials. Each sub-request runs through this handler
    /// exactly as a request of its own (authenticated on its own, recorded on its own) with the
    /// batch's x-ms-version, one after the other; the answer is 202 with one multipart part per
    /// sub-request, in order, carrying its Content-ID.
    ///
    /// As Azure: a body that cannot be parsed, an empty batch, a sub-request for another account
    /// or (scoped) another container, or any operation other than those two is refused as a whole,
    /// and nothing runs: 202 with a single 400 part without a Content-ID (InvalidInput,
    /// ExceedsMaxBatchRequestCount, AllBatchSubRequestsShouldBeSameApi). A Content-Type that is
    /// not multipart/mixed with a boundary is 400 InvalidHeaderValue on the batch itself.
    /// </summary>
    private async Task SubmitBatchAsync(HttpContext context, RequestTarget target, string? container)
    {
        var request = context.Request;
        var contentType = RequestHeaders.Get(request.Headers, "Content-Type");
        if (contentType is null
            || !MediaTypeHeaderValue.TryParse(contentType, out var mediaType)
            || !mediaType.MediaType.Equals("multipart/mixed", StringComparison.OrdinalIgnoreCase)
            || HeaderUtilities.RemoveQuotes(mediaType.Boundary).Value is not { Length: > 0 and <= 200 } boundary)
        {
            throw BlobProtocolException.Header(ErrorMapping.InvalidHeaderValue, "Content-Type", contentType);
        }

        PrepareBody(context, Limits.BatchBodyBytesMax);
        var (buffer, length) = await ReadBoundedBodyAsync(context, Limits.BatchBodyBytesMax).ConfigureAwait(false);
        string body;
        try
        {
            body = Encoding.UTF8.GetString(buffer, 0, length);
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }

        var version = context.Response.Headers["x-ms-version"].ToString();
        var scope = new BatchScope(target.Account, container, version);
        var responseBoundary = "batchresponse_" + random.NewGuid().ToString();
        var output = new StringBuilder();
        var parsed = BatchRequestParser.Parse(body, boundary, scope);
        if (parsed.Error is { } refused)
        {
            var requestId = context.Response.Headers["x-ms-request-id"].ToString();
            AppendErrorPart(output, responseBoundary, refused, requestId, version, time.GetUtcNow());
        }
        else
        {
            foreach (var subRequest in parsed.SubRequests)
            {
                context.RequestAborted.ThrowIfCancellationRequested();
                await RunSubRequestAsync(context, subRequest, scope, output, responseBoundary).ConfigureAwait(false);
            }
        }

        output.Append("--").Append(responseBoundary).Append("--\r\n");
        var bytes = Encoding.UTF8.GetBytes(output.ToString());
        var response = context.Response;
        response.StatusCode = StatusCodes.Status202Accepted;
        response.ContentType = "multipart/mixed; boundary=" + responseBoundary;
        response.ContentLength = bytes.Length;
        await response.Body.WriteAsync(bytes, context.RequestAborted).ConfigureAwait(false);
    }

    /// <summary>Runs one sub-request through <see cref="HandleAsync(HttpContext, BatchScope)"/> on a context of its own and appends its part.</summary>
    private async Task RunSubRequestAsync(HttpContext batch, BatchSubRequest subRequest, BatchScope scope, StringBuilder output, string responseBoundary)
    {
        var context = new DefaultHttpContext();
        var requestFeature = context.Features.Get<IHttpRequestFeature>()!;
        requestFeature.RawTarget = subRequest.RawTarget;
        var request = context.Request;
        request.Method = subRequest.Method;
        request.Scheme = batch.Request.Scheme;
        request.Host = batch.Request.Host;
        request.Protocol = "HTTP/1.1";
        var queryStart = subRequest.RawTarget.IndexOf('?', StringComparison.Ordinal);
        request.Path = PathString.FromUriComponent(queryStart < 0 ? subRequest.RawTarget : subRequest.RawTarget[..queryStart]);
        request.QueryString = queryStart < 0 ? QueryString.Empty : QueryString.FromUriComponent(subRequest.RawTarget[queryStart..]);
        foreach (var (name, value) in subRequest.Headers)
        {
            request.Headers.Append(name, value);
        }

        request.Body = Stream.Null;
        context.Connection.RemoteIpAddress = batch.Connection.RemoteIpAddress;
        context.RequestAborted = batch.RequestAborted;
        using var responseBody = new MemoryStream();
        context.Response.Body = responseBody;

        await HandleAsync(context, scope).ConfigureAwait(false);

        var response = context.Response;
        output.Append("--").Append(responseBoundary).Append("\r\n");
        output.Append("Content-Type: application/http\r\n");
        if (subRequest.ContentId is { } contentId)
        {
            output.Append("Content-ID: ").Append(contentId).Append("\r\n");
        }

        output.Append("\r\n");
        output.Append("HTTP/1.1 ").Append(response.StatusCode.ToString(CultureInfo.InvariantCulture)).Append(' ').Append(ReasonPhrases.GetReasonPhrase(response.StatusCode)).Append("\r\n");
        foreach (var header in response.Headers)
        {
            output.Append(header.Key).Append(": ").Append(header.Value.ToString()).Append("\r\n");
        }

        output.Append("\r\n");
        if (responseBody.Length > 0)
        {
            output.Append(Encoding.UTF8.GetString(responseBody.GetBuffer(), 0, (int)responseBody.Length)).Append("\r\n");
        }
    }

    /// <summary>The one part of a batch refused as a whole: a 400 with Azure's error body, without a Content-ID.</summary>
    private static void AppendErrorPart(StringBuilder output, string responseBoundary, AzureError error, string requestId, string version, DateTimeOffset now)
    {
        var body = Encoding.UTF8.GetString(XmlResponses.ErrorBody(error.Code, error.Message, requestId, now, []));
        output.Append("--").Append(responseBoundary).Append("\r\n");
        output.Append("Content-Type: application/http\r\n\r\n");
        output.Append("HTTP/1.1 ").Append(error.Status.ToString(CultureInfo.InvariantCulture)).Append(' ').Append(error.Message).Append("\r\n");
        output.Append("x-ms-error-code: ").Append(error.Code).Append("\r\n");
        output.Append("x-ms-request-id: ").Append(requestId).Append("\r\n");
        output.Append("x-ms-version: ").Append(version).Append("\r\n");
        output.Append("Content-Length: ").Append(Encoding.UTF8.GetByteCount(body).ToString(CultureInfo.InvariantCulture)).Append("\r\n");
        output.Append("Content-Type: application/xml\r\n\r\n");
        output.Append(body).Append("\r\n");
    }
}

/// <summary>What a batch allows its sub-requests: its account, its container when scoped, Delete Blob and Set Blob Tier only.</summary>
internal sealed record BatchScope(string Account, string? Container, string Version)
{
    public static bool IsBatchable(BlobOperation operation) => operation is BlobOperation.DeleteBlob or BlobOperation.SetBlobTier;

    /// <summary>Why a sub-request does not belong in this batch, or null.</summary>
    public AzureError? Refusal(RequestTarget target, ResolvedOperation resolved)
    {
        if (!string.Equals(target.Account, Account, StringComparison.Ordinal) || target.Location != ReadLocation.Primary)
        {
            return ErrorMapping.InvalidInput;
        }

        if (Container is not null && !string.Equals(resolved.Container, Container, StringComparison.Ordinal))
        {
            return ErrorMapping.InvalidInput;
        }

        return IsBatchable(resolved.Operation) ? null : ErrorMapping.InvalidInput;
    }

    /// <summary>Checked again as each sub-request runs (the parser already refused the batch for any of these).</summary>
    public void Check(RequestTarget target, ResolvedOperation resolved)
    {
        if (Refusal(target, resolved) is { } refusal)
        {
            throw new BlobProtocolException(refusal);
        }
    }
}

/// <summary>One sub-request of a batch: its Content-ID (if any), request line and headers (it has no body).</summary>
internal sealed record BatchSubRequest(string? ContentId, string Method, string RawTarget, IReadOnlyList<KeyValuePair<string, string>> Headers);

/// <summary>A parsed batch body: its sub-requests, or the error that refuses the whole batch.</summary>
internal sealed record BatchRequest(IReadOnlyList<BatchSubRequest> SubRequests, AzureError? Error);

/// <summary>
/// The batch body (the OData batch syntax Azure uses): parts separated by <c>--boundary</c> lines,
/// each with part headers (Content-Type: application/http; Content-Transfer-Encoding: binary when
/// given; Content-ID optional), an empty line, then one HTTP/1.x request without a body. Lines end
/// with CRLF; trailing whitespace on header lines is ignored.
/// </summary>
internal static class BatchRequestParser
{
    public static BatchRequest Parse(string body, string boundary, BatchScope scope)
    {
        var delimiter = "--" + boundary;
        var subRequests = new List<BatchSubRequest>();
        BlobOperation? operation = null;
        var position = body.IndexOf(delimiter, StringComparison.Ordinal);
        if (position < 0 || (position > 0 && body[position - 1] != '\n'))
        {
            return Refused(ErrorMapping.InvalidInput);
        }

        while (true)
        {
            position += delimiter.Length;
            if (string.CompareOrdinal(body, position, "--", 0, 2) == 0)
            {
                break;
            }

            var lineEnd = body.IndexOf("\r\n", position, StringComparison.Ordinal);
            if (lineEnd < 0 || !string.IsNullOrWhiteSpace(body[position..lineEnd]))
            {
                return Refused(ErrorMapping.InvalidInput);
            }

            var partStart = lineEnd + 2;
            var next = body.IndexOf("\r\n" + delimiter, partStart, StringComparison.Ordinal);
            if (next < 0)
            {
                return Refused(ErrorMapping.InvalidInput);
            }

            if (subRequests.Count == Limits.BatchSubRequestsMax)
            {
                return Refused(ErrorMapping.ExceedsMaxBatchRequestCount);
            }

            var subRequest = ParsePart(body[partStart..next]);
            if (subRequest is null)
            {
                return Refused(ErrorMapping.InvalidInput);
            }

            if (!RequestTarget.TryParse(subRequest.RawTarget, out var target) || target is null)
            {
                return Refused(ErrorMapping.InvalidInput);
            }

            ResolvedOperation resolved;
            try
            {
                var headerNames = subRequest.Headers.Select(header => header.Key).ToHashSet(StringComparer.OrdinalIgnoreCase);
                resolved = OperationResolver.Resolve(subRequest.Method, target, headerNames.Contains);
            }
            catch (BlobProtocolException)
            {
                return Refused(ErrorMapping.InvalidInput);
            }

            if (scope.Refusal(target, resolved) is { } refusal)
            {
                return Refused(refusal);
            }

            operation ??= resolved.Operation;
            if (operation != resolved.Operation)
            {
                return Refused(ErrorMapping.AllBatchSubRequestsShouldBeSameApi);
            }

            subRequests.Add(subRequest);
            position = next + 2;
        }

        return subRequests.Count == 0 ? Refused(ErrorMapping.InvalidInput) : new BatchRequest(subRequests, null);
    }

    private static BatchRequest Refused(AzureError error) => new([], error);

    /// <summary>One part, or null when it is not a well-formed sub-request.</summary>
    private static BatchSubRequest? ParsePart(string part)
    {
        var lines = part.Split("\r\n");
        var index = 0;
        string? contentId = null;
        var isHttp = false;
        for (; index < lines.Length && lines[index].Trim().Length > 0; index++)
        {
            if (!TrySplitHeader(lines[index], out var name, out var value))
            {
                return null;
            }

            if (name.Equals("Content-Type", StringComparison.OrdinalIgnoreCase))
            {
                isHttp = value.Equals("application/http", StringComparison.OrdinalIgnoreCase);
            }
            else if (name.Equals("Content-Transfer-Encoding", StringComparison.OrdinalIgnoreCase) && !value.Equals("binary", StringComparison.OrdinalIgnoreCase))
            {
                return null;
            }
            else if (name.Equals("Content-ID", StringComparison.OrdinalIgnoreCase))
            {
                contentId = value;
            }
        }

        if (!isHttp || index >= lines.Length - 1)
        {
            return null;
        }

        var requestLine = lines[++index].Trim().Split(' ', StringSplitOptions.RemoveEmptyEntries);
        if (requestLine.Length != 3 || !requestLine[2].StartsWith("HTTP/1.", StringComparison.Ordinal) || !requestLine[1].StartsWith('/')
            || requestLine[0] is not ("DELETE" or "PUT" or "GET" or "HEAD" or "POST"))
        {
            return null;
        }

        var headers = new List<KeyValuePair<string, string>>();
        for (index++; index < lines.Length && lines[index].Trim().Length > 0; index++)
        {
            if (headers.Count == Limits.BatchSubRequestHeadersMax || !TrySplitHeader(lines[index], out var name, out var value))
            {
                return null;
            }

            headers.Add(new(name, value));
        }

        // Delete Blob and Set Blob Tier carry no body: anything after the headers is malformed.
        for (; index < lines.Length; index++)
        {
            if (lines[index].Trim().Length > 0)
            {
                return null;
            }
        }

        return new BatchSubRequest(contentId, requestLine[0], requestLine[1], headers);
    }

    private static bool TrySplitHeader(string line, out string name, out string value)
    {
        var colon = line.IndexOf(':', StringComparison.Ordinal);
        name = colon > 0 ? line[..colon].Trim() : string.Empty;
        value = colon > 0 ? line[(colon + 1)..].Trim() : string.Empty;
        return name.Length > 0 && name.All(character => character > ' ' && character < 127 && character != ':');
    }
}
