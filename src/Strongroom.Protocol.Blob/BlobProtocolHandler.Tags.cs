using System.Buffers;
using System.Globalization;
using System.Security.Cryptography;
using Microsoft.AspNetCore.Http;
using Strongroom.Blobs;
using Strongroom.Core;

namespace Strongroom.Protocol.Blob;

// Snapshot Blob, Get/Set Blob Tags and Find Blobs by Tags (issue 8).
public sealed partial class BlobProtocolHandler
{
    /// <summary>
    /// Snapshot Blob: 201 with x-ms-snapshot, the blob's ETag and Last-Modified, x-ms-version-id
    /// (versioning on) and x-ms-request-server-encrypted. x-ms-meta-* replace the snapshot's
    /// metadata; If-* and x-ms-if-tags are checked (412 ConditionNotMet); a blob with a
    /// customer-provided key needs it.
    /// </summary>
    private async Task SnapshotBlobAsync(HttpContext context, RequestTarget target, string container, string blob)
    {
        var headers = context.Request.Headers;
        RejectUnsupportedBlobFeatures(target, headers);
        var conditions = RequestHeaders.ReadConditions(headers);
        var metadata = RequestHeaders.ReadMetadata(headers);
        using var customerKey = EncryptionHeaders.ReadCustomerKey(context.Request, write: false);
        var result = await blobs.SnapshotBlobAsync(target.Account, container, blob, metadata.Count == 0 ? null : metadata, conditions, customerKey, context.RequestAborted).ConfigureAwait(false);
        var response = context.Response;
        response.StatusCode = StatusCodes.Status201Created;
        response.Headers["x-ms-snapshot"] = result.Snapshot;
        WriteETagAndLastModified(response, result.ETag, result.LastModified);
        WriteVersionId(response, result.VersionId);
        EncryptionHeaders.WriteWriteResponse(response, result.EncryptionScope, customerKey?.KeySha256);
        response.ContentLength = 0;
    }

    /// <summary>Get Blob Tags (of the blob, <c>versionid=</c> or <c>snapshot=</c>): 200 with the Tags XML; x-ms-if-tags is checked.</summary>
    private async Task GetBlobTagsAsync(HttpContext context, RequestTarget target, string container, string blob)
    {
        var headers = context.Request.Headers;
        RejectUnsupportedBlobFeatures(target, headers, selectorAllowed: true);
        var selector = ReadSelector(target);
        var conditions = new AccessConditions { IfTags = RequestHeaders.ReadIfTags(headers), LeaseId = RequestHeaders.ReadLeaseId(headers, RequestHeaders.LeaseIdHeader) };
        var tags = await blobs.GetBlobTagsAsync(target.Account, container, blob, selector, conditions, context.RequestAborted).ConfigureAwait(false);
        var body = TagsXml.TagsBody(tags);
        var response = context.Response;
        response.StatusCode = StatusCodes.Status200OK;
        response.ContentType = Http.XmlContentType;
        response.ContentLength = body.Length;
        await response.Body.WriteAsync(body, context.RequestAborted).ConfigureAwait(false);
    }

    /// <summary>
    /// Set Blob Tags (of the blob or <c>versionid=</c>; a snapshot's tags cannot be set, 400
    /// InvalidQueryParameterValue): the body replaces every tag; 204. Content-MD5 or
    /// x-ms-content-crc64 of the body is checked; x-ms-if-tags is checked inside the commit.
    /// </summary>
    private async Task SetBlobTagsAsync(HttpContext context, RequestTarget target, string container, string blob)
    {
        var headers = context.Request.Headers;
        RejectUnsupportedBlobFeatures(target, headers, selectorAllowed: true);
        if (target.GetQuery("snapshot") is { } snapshot)
        {
            throw BlobProtocolException.Query(ErrorMapping.InvalidQueryParameterValue, "snapshot", snapshot, "The tags of a snapshot cannot be set.");
        }

        var versionId = target.GetQuery("versionid");
        if (versionId is not null && !VersionIds.TryParse(versionId, out _))
        {
            throw BlobProtocolException.Query(ErrorMapping.InvalidQueryParameterValue, "versionid", versionId);
        }

        var conditions = new AccessConditions { IfTags = RequestHeaders.ReadIfTags(headers), LeaseId = RequestHeaders.ReadLeaseId(headers, RequestHeaders.LeaseIdHeader) };
        var checksums = RequestHeaders.ReadChecksums(headers);
        PrepareBody(context, Limits.BlobTagsXmlBytesMax);
        var (buffer, length) = await ReadBoundedBodyAsync(context, Limits.BlobTagsXmlBytesMax).ConfigureAwait(false);
        IReadOnlyList<KeyValuePair<string, string>> tags;
        try
        {
            var body = buffer.AsSpan(0, length);
            if (checksums.ContentMd5 is { } md5 && !CryptographicOperations.FixedTimeEquals(md5, MD5.HashData(body)))
            {
                throw new StorageException(ErrorCode.Md5Mismatch);
            }

            if (checksums.ContentCrc64 is { } crc && crc != Crc64Nvme.Compute(body))
            {
                throw new StorageException(ErrorCode.Crc64Mismatch);
            }

            tags = TagsXml.Parse(buffer, length);
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }

        await blobs.SetBlobTagsAsync(target.Account, container, blob, versionId, tags, conditions, context.RequestAborted).ConfigureAwait(false);
        context.Response.StatusCode = StatusCodes.Status204NoContent;
        context.Response.ContentLength = 0;
    }

    /// <summary>
    /// Find Blobs by Tags on the account (<c>?comp=blobs</c>) or a container
    /// (<c>?restype=container&amp;comp=blobs</c>): <c>where</c> in Azure's filter grammar (missing:
    /// 400 MissingRequiredQueryParameter; malformed: 400 InvalidQueryParameterValue), <c>marker</c>,
    /// <c>maxresults</c> as List Blobs. 200 with <c>EnumerationResults</c>.
    /// </summary>
    private async Task FindBlobsByTagsAsync(HttpContext context, RequestTarget target, string? container)
    {
        var where = target.GetQuery("where");
        if (string.IsNullOrEmpty(where))
        {
            throw BlobProtocolException.Query(ErrorMapping.MissingRequiredQueryParameter, "where", null);
        }

        var expression = TagExpression.TryParse(where, TagExpressionKind.Filter, out var error)
            ?? throw BlobProtocolException.Query(ErrorMapping.InvalidQueryParameterValue, "where", where, error);
        var maxResults = ParseMaxResults(target.GetQuery("maxresults"));
        var listing = await blobs.FindBlobsByTagsAsync(target.Account, container, expression, NullIfEmpty(target.GetQuery("marker")), maxResults, context.RequestAborted).ConfigureAwait(false);
        var body = TagsXml.FindBlobsBody(ServiceEndpoint(context, target.PathAccount), where, listing);
        var response = context.Response;
        response.StatusCode = StatusCodes.Status200OK;
        response.ContentType = Http.XmlContentType;
        response.ContentLength = body.Length;
        await response.Body.WriteAsync(body, context.RequestAborted).ConfigureAwait(false);
    }

    /// <summary>Get Block List's x-ms-if-tags, on the committed blob's tags (none when only uncommitted blocks exist).</summary>
    private static void CheckBlockListTags(AccessConditions conditions, BlockListResult result)
    {
        if (conditions.IfTags is { } expression && !expression.Matches(result.Blob?.Tags))
        {
            throw new StorageException(ErrorCode.ConditionNotMet);
        }
    }

    /// <summary>x-ms-tag-count on Get Blob and Get Blob Properties, for a blob with tags (as Azure).</summary>
    private static void WriteTagCount(HttpResponse response, BlobRecord record)
    {
        if (record.Tags.Count > 0)
        {
            response.Headers["x-ms-tag-count"] = record.Tags.Count.ToString(CultureInfo.InvariantCulture);
        }
    }
}
