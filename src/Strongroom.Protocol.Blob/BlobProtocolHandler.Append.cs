using System.Buffers.Binary;
using System.Globalization;
using Microsoft.AspNetCore.Http;
using Strongroom.Blobs;
using Strongroom.Core;

namespace Strongroom.Protocol.Blob;

// Append blobs (issue 8): Put Blob of type AppendBlob, Append Block, Append Block From URL, Seal.
public sealed partial class BlobProtocolHandler
{
    /// <summary>Put Blob with <c>x-ms-blob-type: AppendBlob</c>: an empty append blob; a body is refused (Azure: Content-Length must be 0).</summary>
    private async Task CreateAppendBlobAsync(HttpContext context, RequestTarget target, string container, string blob)
    {
        var request = context.Request;
        var headers = request.Headers;
        RequireEmptyBody(context);

        var encryption = EncryptionHeaders.ReadOptions(request, write: true, scopeAllowed: true);
        using var customerKey = encryption.CustomerKey;
        var createRequest = new PutBlobRequest(
            target.Account,
            container,
            blob,
            RequestHeaders.ReadBlobHttpHeaders(headers, fallBackToBodyHeaders: false),
            RequestHeaders.ReadMetadata(headers),
            RequestHeaders.ReadConditions(headers),
            TransactionalChecksums.None)
        {
            Encryption = encryption,
            Tags = RequestHeaders.ReadTags(headers),
        };
        var result = await blobs.CreateAppendBlobAsync(createRequest, context.RequestAborted).ConfigureAwait(false);
        WriteBlobCreated(context.Response, result);
    }

    private async Task AppendBlockAsync(HttpContext context, RequestTarget target, string container, string blob)
    {
        var request = context.Request;
        var headers = request.Headers;
        RejectUnsupportedBlobFeatures(target, headers);
        if (request.ContentLength is 0)
        {
            throw BlobProtocolException.Header(ErrorMapping.InvalidHeaderValue, "Content-Length", "0");
        }

        var appendConditions = ReadAppendConditions(headers);
        var encryption = EncryptionHeaders.ReadOptions(request, write: true, scopeAllowed: true);
        using var customerKey = encryption.CustomerKey;
        PrepareBody(context, Limits.AppendBlockBytesMax);
        var appendRequest = new AppendBlockRequest(target.Account, container, blob, RequestHeaders.ReadConditions(headers), appendConditions, RequestHeaders.ReadChecksums(headers))
        {
            Encryption = encryption,
        };
        var (body, structured) = OpenBody(context);
        var result = await blobs.AppendBlockAsync(appendRequest, body, context.RequestAborted).ConfigureAwait(false);
        AcknowledgeStructuredBody(context.Response, structured);
        WriteAppendResponse(context.Response, result);
    }

    /// <summary>
    /// Append Block From URL: <c>x-ms-copy-source</c> names a blob of this server (as Put Block From
    /// URL's source: another account's only with a SAS in the URL), <c>x-ms-source-range</c> the bytes to append (all of it when absent),
    /// <c>x-ms-source-content-md5</c> / <c>-crc64</c> a checksum of those bytes. The request has no body.
    /// </summary>
    private async Task AppendBlockFromUrlAsync(HttpContext context, RequestTarget target, string container, string blob)
    {
        var request = context.Request;
        var headers = request.Headers;
        RejectUnsupportedBlobFeatures(target, headers);
        RequireEmptyBody(context);

        var appendConditions = ReadAppendConditions(headers);
        var source = await ReadFromUrlSourceAsync(context, target).ConfigureAwait(false);
        var range = ReadSourceRange(headers);

        var encryption = EncryptionHeaders.ReadOptions(request, write: true, scopeAllowed: true);
        using var customerKey = encryption.CustomerKey;
        var appendRequest = new AppendBlockFromUrlRequest(
            target.Account,
            container,
            blob,
            source,
            range?.Start,
            range?.RequestedLength,
            ReadSourceChecksums(headers),
            RequestHeaders.ReadConditions(headers),
            appendConditions)
        {
            Encryption = encryption,
            SourceConditions = ReadSourceConditions(headers),
        };
        var result = await blobs.AppendBlockFromUrlAsync(appendRequest, context.RequestAborted).ConfigureAwait(false);
        WriteAppendResponse(context.Response, result);
    }

    private async Task SealAppendBlobAsync(HttpContext context, RequestTarget target, string container, string blob)
    {
        var headers = context.Request.Headers;
        RejectUnsupportedBlobFeatures(target, headers);
        var appendConditions = ReadAppendConditions(headers);
        var record = await blobs.SealAppendBlobAsync(target.Account, container, blob, RequestHeaders.ReadConditions(headers), appendConditions with { MaxSize = null }, context.RequestAborted).ConfigureAwait(false);
        var response = context.Response;
        response.StatusCode = StatusCodes.Status200OK;
        WriteETagAndLastModified(response, record.ETag, record.LastModified);
        response.Headers["x-ms-blob-sealed"] = "true";
        response.ContentLength = 0;
    }

    /// <summary>Get Blob and Get Blob Properties of an append blob: its committed block count and whether it is sealed.</summary>
    private static void WriteAppendBlobHeaders(HttpResponse response, BlobRecord record, int committedBlocks)
    {
        if (record.BlobType != BlobType.AppendBlob)
        {
            return;
        }

        response.Headers["x-ms-blob-committed-block-count"] = committedBlocks.ToString(CultureInfo.InvariantCulture);
        response.Headers["x-ms-blob-sealed"] = record.IsSealed ? "true" : "false";
    }

    private static void WriteAppendResponse(HttpResponse response, AppendBlockResult result)
    {
        response.StatusCode = StatusCodes.Status201Created;
        WriteETagAndLastModified(response, result.ETag, result.LastModified);
        WriteChecksums(response, result.ContentMd5, result.ContentCrc64);
        response.Headers["x-ms-blob-append-offset"] = result.AppendOffset.ToString(CultureInfo.InvariantCulture);
        response.Headers["x-ms-blob-committed-block-count"] = result.CommittedBlockCount.ToString(CultureInfo.InvariantCulture);
        EncryptionHeaders.WriteWriteResponse(response, result.EncryptionScope, result.CustomerKeySha256);
        response.ContentLength = 0;
    }

    /// <summary><c>x-ms-blob-condition-maxsize</c> and <c>x-ms-blob-condition-appendpos</c>: non-negative integers, else 400 InvalidHeaderValue.</summary>
    private static AppendConditions ReadAppendConditions(IHeaderDictionary headers)
    {
        var maxSize = ReadLongHeader(headers, "x-ms-blob-condition-maxsize");
        var position = ReadLongHeader(headers, "x-ms-blob-condition-appendpos");
        return maxSize is null && position is null ? AppendConditions.None : new AppendConditions(maxSize, position);
    }
}
