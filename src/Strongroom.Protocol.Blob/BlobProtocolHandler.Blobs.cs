using System.Buffers;
using System.Globalization;
using System.Security.Cryptography;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using Strongroom.Blobs;
using Strongroom.Core;

namespace Strongroom.Protocol.Blob;

// Blob-level operations.
public sealed partial class BlobProtocolHandler
{
    private async Task PutBlobAsync(HttpContext context, RequestTarget target, string container, string blob)
    {
        var headers = context.Request.Headers;
        RejectUnsupportedBlobFeatures(target, headers);
        var blobType = RequestHeaders.Get(headers, "x-ms-blob-type");
        if (blobType is null)
        {
            throw BlobProtocolException.Header(ErrorMapping.MissingRequiredHeader, "x-ms-blob-type", null);
        }

        if (string.Equals(blobType, nameof(BlobType.PageBlob), StringComparison.OrdinalIgnoreCase))
        {
            await PutPageBlobAsync(context, target, container, blob).ConfigureAwait(false);
            return;
        }

        if (string.Equals(blobType, nameof(BlobType.AppendBlob), StringComparison.OrdinalIgnoreCase))
        {
            await CreateAppendBlobAsync(context, target, container, blob).ConfigureAwait(false);
            return;
        }

        if (!string.Equals(blobType, nameof(BlobType.BlockBlob), StringComparison.OrdinalIgnoreCase))
        {
            throw BlobProtocolException.Header(ErrorMapping.InvalidHeaderValue, "x-ms-blob-type", blobType);
        }

        var encryption = EncryptionHeaders.ReadOptions(context.Request, write: true, scopeAllowed: true);
        using var customerKey = encryption.CustomerKey;
        PrepareBody(context, Limits.PutBlobBytesMax);
        var putRequest = new PutBlobRequest(
            target.Account,
            container,
            blob,
            RequestHeaders.ReadBlobHttpHeaders(headers, fallBackToBodyHeaders: true),
            RequestHeaders.ReadMetadata(headers),
            RequestHeaders.ReadConditions(headers),
            RequestHeaders.ReadChecksums(headers))
        {
            Encryption = encryption,
            Tags = RequestHeaders.ReadTags(headers),
            AccessTier = ReadAccessTier(headers),
        };

        var (body, structured) = OpenBody(context);
        var result = await blobs.PutBlobAsync(putRequest, body, context.RequestAborted).ConfigureAwait(false);
        AcknowledgeStructuredBody(context.Response, structured);
        WriteBlobCreated(context.Response, result);
    }

    private async Task PutBlockAsync(HttpContext context, RequestTarget target, string container, string blob)
    {
        var headers = context.Request.Headers;
        RejectUnsupportedBlobFeatures(target, headers);
        var blockId = ReadBlockId(target);

        var encryption = EncryptionHeaders.ReadOptions(context.Request, write: true, scopeAllowed: true);
        using var customerKey = encryption.CustomerKey;
        PrepareBody(context, Limits.BlockBytesMax);
        var blockRequest = new PutBlockRequest(target.Account, container, blob, blockId, RequestHeaders.ReadChecksums(headers))
        {
            Encryption = encryption,
            LeaseId = RequestHeaders.ReadLeaseId(headers, RequestHeaders.LeaseIdHeader),
        };
        var (body, structured) = OpenBody(context);
        var result = await blobs.PutBlockAsync(blockRequest, body, context.RequestAborted).ConfigureAwait(false);
        var response = context.Response;
        response.StatusCode = StatusCodes.Status201Created;
        AcknowledgeStructuredBody(response, structured);
        WriteChecksums(response, result.ContentMd5, result.ContentCrc64);
        EncryptionHeaders.WriteWriteResponse(response, result.EncryptionScope, result.CustomerKeySha256);
        response.ContentLength = 0;
    }

    private async Task PutBlockListAsync(HttpContext context, RequestTarget target, string container, string blob)
    {
        var headers = context.Request.Headers;
        RejectUnsupportedBlobFeatures(target, headers);
        var encryption = EncryptionHeaders.ReadOptions(context.Request, write: true, scopeAllowed: true);
        using var customerKey = encryption.CustomerKey;
        PrepareBody(context, Limits.BlockListXmlBytesMax);
        var checksums = RequestHeaders.ReadChecksums(headers);

        var (buffer, length) = await ReadBoundedBodyAsync(context, (int)Limits.BlockListXmlBytesMax).ConfigureAwait(false);
        byte[] bodyMd5;
        IReadOnlyList<BlockListEntry> entries;
        try
        {
            var body = buffer.AsMemory(0, length);
            bodyMd5 = MD5.HashData(body.Span);
            if (checksums.ContentMd5 is { } md5 && !CryptographicOperations.FixedTimeEquals(md5, bodyMd5))
            {
                throw new StorageException(ErrorCode.Md5Mismatch);
            }

            if (checksums.ContentCrc64 is { } crc && crc != Crc64Nvme.Compute(body.Span))
            {
                throw new StorageException(ErrorCode.Crc64Mismatch);
            }

            entries = BlockListXml.Parse(body);
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }

        var listRequest = new PutBlockListRequest(
            target.Account,
            container,
            blob,
            entries,
            RequestHeaders.ReadBlobHttpHeaders(headers, fallBackToBodyHeaders: false),
            RequestHeaders.ReadMetadata(headers),
            RequestHeaders.ReadConditions(headers))
        {
            Encryption = encryption,
            Tags = RequestHeaders.ReadTags(headers),
            AccessTier = ReadAccessTier(headers),
        };

        var result = await blobs.PutBlockListAsync(listRequest, context.RequestAborted).ConfigureAwait(false);
        var response = context.Response;
        response.StatusCode = StatusCodes.Status201Created;
        WriteETagAndLastModified(response, result.ETag, result.LastModified);

        // Azure's Content-MD5 here describes the request (the block list), not the blob.
        response.Headers.ContentMD5 = Convert.ToBase64String(bodyMd5);
        EncryptionHeaders.WriteWriteResponse(response, result.EncryptionScope, result.CustomerKeySha256);
        WriteVersionId(response, result.VersionId);
        response.ContentLength = 0;
    }

    private async Task GetBlockListAsync(HttpContext context, RequestTarget target, string container, string blob)
    {
        RejectUnsupportedBlobFeatures(target, context.Request.Headers);
        var typeText = target.GetQuery("blocklisttype");
        var type = typeText?.ToLowerInvariant() switch
        {
            null or "" or "committed" => BlockListType.Committed,
            "uncommitted" => BlockListType.Uncommitted,
            "all" => BlockListType.All,
            _ => throw BlobProtocolException.Query(ErrorMapping.InvalidQueryParameterValue, "blocklisttype", typeText),
        };

        var ifTags = new AccessConditions { IfTags = RequestHeaders.ReadIfTags(context.Request.Headers) };
        var result = await blobs.GetBlockListAsync(target.Account, container, blob, type, RequestHeaders.ReadLeaseId(context.Request.Headers, RequestHeaders.LeaseIdHeader), context.RequestAborted).ConfigureAwait(false);
        CheckBlockListTags(ifTags, result);
        var response = context.Response;
        response.StatusCode = StatusCodes.Status200OK;
        if (result.Blob is { } record)
        {
            WriteETagAndLastModified(response, record.ETag, record.LastModified);
        }

        response.Headers["x-ms-blob-content-length"] = (result.Blob?.ContentLength ?? 0).ToString(CultureInfo.InvariantCulture);
        response.ContentType = Http.XmlContentType;
        await XmlResponses.WriteBlockListAsync(response.BodyWriter, result, type, context.RequestAborted).ConfigureAwait(false);
    }

    private async Task GetBlobAsync(HttpContext context, RequestTarget target, string container, string blob)
    {
        var headers = context.Request.Headers;
        RejectUnsupportedBlobFeatures(target, headers, selectorAllowed: true);
        var selector = ReadSelector(target);
        var range = ReadRange(headers);
        var wantMd5 = RequestHeaders.ReadBoolean(headers, "x-ms-range-get-content-md5");
        var wantCrc64 = RequestHeaders.ReadBoolean(headers, "x-ms-range-get-content-crc64");
        if (wantMd5 || wantCrc64)
        {
            if (wantMd5 && wantCrc64)
            {
                throw BlobProtocolException.Header(ErrorMapping.InvalidHeaderValue, "x-ms-range-get-content-crc64", "true");
            }

            if (range is null)
            {
                throw BlobProtocolException.Header(ErrorMapping.MissingRequiredHeader, "x-ms-range", null);
            }

            if (range.Value.RequestedLength > Limits.TransactionalMd5RangeBytesMax)
            {
                throw new BlobProtocolException(ErrorMapping.OutOfRangeInput);
            }
        }

        var conditions = ReadReadConditions(headers);
        using var customerKey = EncryptionHeaders.ReadCustomerKey(context.Request, write: false);
        var reader = await blobs.OpenBlobAsync(target.Account, container, blob, conditions, customerKey, target.Location, selector, context.RequestAborted).ConfigureAwait(false);
        var record = reader.Blob;
        var size = record.ContentLength;
        var response = context.Response;

        long offset = 0;
        var count = size;
        if (range is { } requested)
        {
            if (size == 0 || requested.Start >= size)
            {
                throw new BlobProtocolException(ErrorMapping.Map(ErrorCode.InvalidRange))
                {
                    Headers = [new("Content-Range", $"bytes */{size.ToString(CultureInfo.InvariantCulture)}")],
                };
            }

            offset = requested.Start;
            var last = Math.Min(requested.End ?? (size - 1), size - 1);
            count = last - offset + 1;
            if ((wantMd5 || wantCrc64) && count > Limits.TransactionalMd5RangeBytesMax)
            {
                throw new BlobProtocolException(ErrorMapping.OutOfRangeInput);
            }

            response.StatusCode = StatusCodes.Status206PartialContent;
            response.Headers.ContentRange = string.Create(
                CultureInfo.InvariantCulture, $"bytes {offset}-{last}/{size}");
        }
        else
        {
            response.StatusCode = StatusCodes.Status200OK;
        }

        WriteBlobHeaders(response, record, ranged: range is not null, time.GetUtcNow());
        WriteAppendBlobHeaders(response, record, reader.PartCount);
        WriteVersionHeaders(response, record, reader.IsCurrentVersion);
        response.ContentLength = count;

        if (wantMd5 || wantCrc64)
        {
            // Bounded by TransactionalMd5RangeBytesMax: the checksum header must precede the body.
            var buffer = ArrayPool<byte>.Shared.Rent((int)count);
            try
            {
                using (var slice = new MemoryStream(buffer, 0, (int)count, writable: true))
                {
                    await reader.CopyRangeToAsync(offset, count, slice, context.RequestAborted).ConfigureAwait(false);
                }

                var data = buffer.AsMemory(0, (int)count);
                if (wantMd5)
                {
                    response.Headers.ContentMD5 = Convert.ToBase64String(MD5.HashData(data.Span));
                }
                else
                {
                    response.Headers["x-ms-content-crc64"] = Crc64Nvme.ToBase64(Crc64Nvme.Compute(data.Span));
                }

                await response.Body.WriteAsync(data, context.RequestAborted).ConfigureAwait(false);
            }
            finally
            {
                ArrayPool<byte>.Shared.Return(buffer);
            }

            return;
        }

        if (StructuredBodyRequested(headers))
        {
            // The SDK's CRC-64 download validation: frame the plaintext with per-segment CRCs.
            response.Headers[StructuredMessage.BodyHeader] = StructuredMessage.Crc64BodyType;
            response.Headers[StructuredMessage.ContentLengthHeader] = count.ToString(CultureInfo.InvariantCulture);
            response.ContentLength = StructuredMessage.EncodedLength(count);
            var framed = new StructuredMessage.EncodingStream(response.Body, count);
            await reader.CopyRangeToAsync(offset, count, framed, context.RequestAborted).ConfigureAwait(false);
            await framed.CompleteAsync(context.RequestAborted).ConfigureAwait(false);
            return;
        }

        if (count > 0)
        {
            await reader.CopyRangeToAsync(offset, count, response.Body, context.RequestAborted).ConfigureAwait(false);
        }
    }

    /// <summary>The content stream of a write: the body itself, or the content inside a structured
    /// (CRC-64 framed) body, verified as it is read.</summary>
    private static (Stream Body, bool Structured) OpenBody(HttpContext context)
    {
        var headers = context.Request.Headers;
        if (!StructuredBodyRequested(headers))
        {
            return (context.Request.Body, false);
        }

        var lengthText = RequestHeaders.Get(headers, StructuredMessage.ContentLengthHeader)
            ?? throw BlobProtocolException.Header(ErrorMapping.MissingRequiredHeader, StructuredMessage.ContentLengthHeader, null);
        if (!long.TryParse(lengthText, NumberStyles.None, CultureInfo.InvariantCulture, out var contentLength))
        {
            throw BlobProtocolException.Header(ErrorMapping.InvalidHeaderValue, StructuredMessage.ContentLengthHeader, lengthText);
        }

        return (new StructuredMessage.DecodingStream(context.Request.Body, contentLength), true);
    }

    private static bool StructuredBodyRequested(IHeaderDictionary headers)
    {
        var type = RequestHeaders.Get(headers, StructuredMessage.BodyHeader);
        if (type is null)
        {
            return false;
        }

        return StructuredMessage.IsCrc64(type)
            ? true
            : throw BlobProtocolException.Header(ErrorMapping.InvalidHeaderValue, StructuredMessage.BodyHeader, type);
    }

    private static void AcknowledgeStructuredBody(HttpResponse response, bool structured)
    {
        if (structured)
        {
            response.Headers[StructuredMessage.BodyHeader] = StructuredMessage.Crc64BodyType;
        }
    }

    private async Task GetBlobPropertiesAsync(HttpContext context, RequestTarget target, string container, string blob, bool metadataOnly)
    {
        var headers = context.Request.Headers;
        RejectUnsupportedBlobFeatures(target, headers, selectorAllowed: true);
        var selector = ReadSelector(target);
        var conditions = ReadReadConditions(headers);
        using var customerKey = EncryptionHeaders.ReadCustomerKey(context.Request, write: false);
        var operation = metadataOnly ? BlobOperation.GetBlobMetadata : BlobOperation.GetBlobProperties;
        var selected = await blobs.GetBlobPropertiesAsync(target.Account, container, blob, selector, conditions, customerKey, operation, context.RequestAborted).ConfigureAwait(false);
        var record = selected.Blob;
        var response = context.Response;
        response.StatusCode = StatusCodes.Status200OK;
        WriteVersionHeaders(response, record, selected.IsCurrent);
        if (metadataOnly)
        {
            WriteETagAndLastModified(response, record.ETag, record.LastModified);
            WriteMetadata(response, record.Metadata);
            EncryptionHeaders.WriteReadResponse(response, record.EncryptionScope, record.CustomerKeySha256);
            response.ContentLength = 0;
            return;
        }

        WriteBlobHeaders(response, record, ranged: false, time.GetUtcNow());
        WriteAppendBlobHeaders(response, record, selected.Parts.Count);
        CopyResponses.WriteAccessTierHeaders(response, record);
        response.ContentLength = record.ContentLength;
    }

    private async Task SetBlobPropertiesAsync(HttpContext context, RequestTarget target, string container, string blob)
    {
        var headers = context.Request.Headers;
        RejectUnsupportedBlobFeatures(target, headers);
        if (IsPageBlobPropertiesRequest(headers))
        {
            await SetPageBlobPropertiesAsync(context, target, container, blob).ConfigureAwait(false);
            return;
        }

        var record = await blobs.SetBlobHttpHeadersAsync(
            target.Account,
            container,
            blob,
            RequestHeaders.ReadBlobHttpHeaders(headers, fallBackToBodyHeaders: false),
            RequestHeaders.ReadConditions(headers),
            context.RequestAborted).ConfigureAwait(false);
        var response = context.Response;
        response.StatusCode = StatusCodes.Status200OK;
        WriteETagAndLastModified(response, record.ETag, record.LastModified);
        response.ContentLength = 0;
    }

    private async Task SetBlobMetadataAsync(HttpContext context, RequestTarget target, string container, string blob)
    {
        var headers = context.Request.Headers;
        RejectUnsupportedBlobFeatures(target, headers);
        var encryption = EncryptionHeaders.ReadOptions(context.Request, write: true, scopeAllowed: true);
        using var customerKey = encryption.CustomerKey;
        var record = await blobs.SetBlobMetadataAsync(
            target.Account,
            container,
            blob,
            RequestHeaders.ReadMetadata(headers),
            RequestHeaders.ReadConditions(headers),
            encryption,
            context.RequestAborted).ConfigureAwait(false);
        var response = context.Response;
        response.StatusCode = StatusCodes.Status200OK;
        WriteETagAndLastModified(response, record.ETag, record.LastModified);
        WriteVersionId(response, record.VersionId);
        EncryptionHeaders.WriteWriteResponse(response, record.EncryptionScope, record.CustomerKeySha256);
        response.ContentLength = 0;
    }

    private async Task DeleteBlobAsync(HttpContext context, RequestTarget target, string container, string blob)
    {
        var headers = context.Request.Headers;
        RejectUnsupportedBlobFeatures(target, headers, selectorAllowed: true);
        var selector = ReadSelector(target);
        var snapshotsText = RequestHeaders.Get(headers, "x-ms-delete-snapshots");
        var snapshots = snapshotsText?.ToLowerInvariant() switch
        {
            null => DeleteSnapshots.None,
            "include" => DeleteSnapshots.Include,
            "only" => DeleteSnapshots.Only,
            _ => throw BlobProtocolException.Header(ErrorMapping.InvalidHeaderValue, "x-ms-delete-snapshots", snapshotsText),
        };

        // A snapshot or version is deleted by itself; x-ms-delete-snapshots belongs to the base blob (Azure: 400).
        if (snapshots != DeleteSnapshots.None && !selector.IsCurrent)
        {
            throw BlobProtocolException.Header(ErrorMapping.InvalidHeaderValue, "x-ms-delete-snapshots", snapshotsText);
        }

        var deleteType = target.GetQuery("deletetype");
        if (deleteType is not null && !string.Equals(deleteType, "permanent", StringComparison.OrdinalIgnoreCase))
        {
            throw BlobProtocolException.Query(ErrorMapping.InvalidQueryParameterValue, "deletetype", deleteType);
        }

        var options = new DeleteBlobOptions(selector, snapshots, Permanent: deleteType is not null);
        await blobs.DeleteBlobAsync(target.Account, container, blob, RequestHeaders.ReadConditions(headers), options, context.RequestAborted).ConfigureAwait(false);
        context.Response.StatusCode = StatusCodes.Status202Accepted;
        context.Response.ContentLength = 0;
    }

    /// <summary>
    /// x-ms-range wins over Range. A malformed x-ms-range is an error; a malformed Range is
    /// ignored, as HTTP prescribes (the whole blob is returned).
    /// </summary>
    internal static ByteRange? ReadRange(IHeaderDictionary headers)
    {
        var msRange = RequestHeaders.Get(headers, "x-ms-range");
        if (msRange is not null)
        {
            return RangeHeader.TryParse(msRange, out var parsed)
                ? parsed
                : throw BlobProtocolException.Header(ErrorMapping.InvalidHeaderValue, "x-ms-range", msRange);
        }

        var range = RequestHeaders.Get(headers, "Range");
        return range is not null && RangeHeader.TryParse(range, out var standard) ? standard : null;
    }

    /// <summary>Read conditions; <c>If-None-Match: *</c> can never hold for a read (Azure: 400 UnsatisfiableCondition).</summary>
    private static AccessConditions ReadReadConditions(IHeaderDictionary headers)
    {
        var conditions = RequestHeaders.ReadConditions(headers);
        if (conditions.IfNoneMatch is "*")
        {
            throw new BlobProtocolException(ErrorMapping.UnsatisfiableCondition);
        }

        return conditions;
    }

    private static void WriteBlobHeaders(HttpResponse response, BlobRecord record, bool ranged, DateTimeOffset now)
    {
        var headers = response.Headers;
        var http = record.Headers;
        WriteETagAndLastModified(response, record.ETag, record.LastModified);
        headers.ContentType = http.ContentType ?? Http.DefaultContentType;
        SetIfPresent(headers, "Content-Encoding", http.ContentEncoding);
        SetIfPresent(headers, "Content-Language", http.ContentLanguage);
        SetIfPresent(headers, "Content-Disposition", http.ContentDisposition);
        SetIfPresent(headers, "Cache-Control", http.CacheControl);
        if (http.ContentMd5 is { } md5)
        {
            // A ranged read describes only part of the blob, so the whole-blob MD5 moves aside.
            headers[ranged ? "x-ms-blob-content-md5" : "Content-MD5"] = Convert.ToBase64String(md5);
        }

        headers.AcceptRanges = "bytes";
        headers["x-ms-blob-type"] = record.BlobType.ToString();
        if (record.BlobType == BlobType.PageBlob)
        {
            headers["x-ms-blob-sequence-number"] = record.SequenceNumber.ToString(CultureInfo.InvariantCulture);
        }

        headers["x-ms-creation-time"] = Http.FormatDate(record.CreatedOn);
        WriteLeaseHeaders(headers, Leases.View(record.Lease, record.LastModified, now));
        if (record.LegalHold)
        {
            headers["x-ms-legal-hold"] = "true";
        }

        EncryptionHeaders.WriteReadResponse(response, record.EncryptionScope, record.CustomerKeySha256);
        WriteCopyHeaders(response, record);
        WriteMetadata(response, record.Metadata);
        WriteTagCount(response, record);
    }

    /// <summary>The <c>blockid</c> of Put Block and Put Block From URL: required, Base64 of at most 64 bytes.</summary>
    private static string ReadBlockId(RequestTarget target)
    {
        var blockId = target.GetQuery("blockid")
            ?? throw BlobProtocolException.Query(ErrorMapping.MissingRequiredQueryParameter, "blockid", null);
        if (!RequestHeaders.IsValidBlockId(blockId))
        {
            throw BlobProtocolException.Query(ErrorMapping.InvalidQueryParameterValue, "blockid", blockId, "Not a valid Base64 string of at most 64 bytes.");
        }

        return blockId;
    }

    /// <summary>201 Created for a write that makes a blob: ETag, Last-Modified, the checksums of the bytes received (when any), the key used, the version id; no body.</summary>
    private static void WriteBlobCreated(HttpResponse response, BlobWriteResult result)
    {
        response.StatusCode = StatusCodes.Status201Created;
        WriteETagAndLastModified(response, result.ETag, result.LastModified);
        WriteChecksums(response, result.ContentMd5, result.ContentCrc64);
        EncryptionHeaders.WriteWriteResponse(response, result.EncryptionScope, result.CustomerKeySha256);
        WriteVersionId(response, result.VersionId);
        response.ContentLength = 0;
    }

    private static void WriteChecksums(HttpResponse response, byte[]? md5, ulong? crc64)
    {
        if (md5 is not null)
        {
            response.Headers.ContentMD5 = Convert.ToBase64String(md5);
        }

        if (crc64 is { } crc)
        {
            response.Headers["x-ms-content-crc64"] = Crc64Nvme.ToBase64(crc);
        }
    }

    private static void SetIfPresent(IHeaderDictionary headers, string name, string? value)
    {
        if (!string.IsNullOrEmpty(value))
        {
            headers[name] = value;
        }
    }

    /// <summary>
    /// Features whose silent omission would mislead: a snapshot or version the client believes it
    /// reads. (Encryption scopes and customer-provided keys are read by each operation that takes them.)
    /// </summary>
    private static void RejectUnsupportedBlobFeatures(RequestTarget target, IHeaderDictionary headers, bool selectorAllowed = false)
    {
        if (!selectorAllowed && (target.HasQuery("snapshot") || target.HasQuery("versionid")))
        {
            throw new BlobProtocolException(ErrorMapping.NotImplemented("Snapshots and versions"));
        }
    }

    /// <summary>
    /// A body needs a declared length unless it is streamed (chunked, or HTTP/2 and later),
    /// and may not exceed <paramref name="maxBytes"/>; Kestrel enforces the bound while reading.
    /// </summary>
    private static void PrepareBody(HttpContext context, long maxBytes)
    {
        var request = context.Request;
        var declared = request.ContentLength;
        if (declared is null)
        {
            var streamed = request.Headers.TransferEncoding.ToString().Contains("chunked", StringComparison.OrdinalIgnoreCase)
                || !(HttpProtocol.IsHttp11(request.Protocol) || HttpProtocol.IsHttp10(request.Protocol));
            if (!streamed)
            {
                throw new BlobProtocolException(ErrorMapping.MissingContentLengthHeader);
            }
        }
        else if (declared > maxBytes)
        {
            throw new BlobProtocolException(ErrorMapping.RequestBodyTooLarge);
        }

        var sizeFeature = context.Features.Get<IHttpMaxRequestBodySizeFeature>();
        if (sizeFeature is { IsReadOnly: false })
        {
            sizeFeature.MaxRequestBodySize = maxBytes;
        }
    }

    /// <summary>Reads a small body whole into a pooled buffer (the caller returns it), refusing more than <paramref name="maxBytes"/>.</summary>
    private static async Task<(byte[] Buffer, int Length)> ReadBoundedBodyAsync(HttpContext context, int maxBytes)
    {
        var declared = context.Request.ContentLength;
        var buffer = ArrayPool<byte>.Shared.Rent(declared is { } known ? (int)Math.Max(known, 1) : 4096);
        var length = 0;
        try
        {
            var body = context.Request.Body;
            while (true)
            {
                if (length == buffer.Length)
                {
                    if (length >= maxBytes)
                    {
                        // One more byte would exceed the bound: probe for it before failing.
                        var probe = new byte[1];
                        if (await body.ReadAsync(probe, context.RequestAborted).ConfigureAwait(false) > 0)
                        {
                            throw new BlobProtocolException(ErrorMapping.RequestBodyTooLarge);
                        }

                        break;
                    }

                    var larger = ArrayPool<byte>.Shared.Rent(Math.Min(buffer.Length * 2, maxBytes));
                    buffer.AsSpan(0, length).CopyTo(larger);
                    ArrayPool<byte>.Shared.Return(buffer);
                    buffer = larger;
                }

                var read = await body.ReadAsync(buffer.AsMemory(length, Math.Min(buffer.Length, maxBytes) - length), context.RequestAborted).ConfigureAwait(false);
                if (read == 0)
                {
                    break;
                }

                length += read;
                if (length >= maxBytes && length < buffer.Length)
                {
                    // The rented array can be larger than the bound; treat the bound as the end.
                    var probe = new byte[1];
                    if (await body.ReadAsync(probe, context.RequestAborted).ConfigureAwait(false) > 0)
                    {
                        throw new BlobProtocolException(ErrorMapping.RequestBodyTooLarge);
                    }

                    break;
                }
            }

            return (buffer, length);
        }
        catch
        {
            ArrayPool<byte>.Shared.Return(buffer);
            throw;
        }
    }
}
