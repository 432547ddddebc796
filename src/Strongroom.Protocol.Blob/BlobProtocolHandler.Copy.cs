using System.Buffers.Binary;
using System.Globalization;
using System.Xml;
using Microsoft.AspNetCore.Http;
using Strongroom.Blobs;
using Strongroom.Core;

namespace Strongroom.Protocol.Blob;

// Copies and tiers (issue 8, copy): Set Blob Tier, Abort Copy Blob, Put Blob From URL, Put Block
// From URL, x-ms-source-if-*, x-ms-access-tier.
public sealed partial class BlobProtocolHandler
{
    /// <summary>
    /// Set Blob Tier (<c>PUT ?comp=tier</c>, x-ms-access-tier Hot/Cool/Cold/Archive, any case; a
    /// missing one is 400 MissingRequiredHeader, another value 400 InvalidHeaderValue). 200: the tier
    /// takes effect at once, rehydration from Archive included (Azure answers 202 while it rehydrates;
    /// nothing is pending here). x-ms-rehydrate-priority High or Standard is accepted.
    /// </summary>
    private async Task SetBlobTierAsync(HttpContext context, RequestTarget target, string container, string blob)
    {
        var headers = context.Request.Headers;
        RejectUnsupportedBlobFeatures(target, headers, selectorAllowed: true);
        var selector = ReadSelector(target);
        var tierText = RequestHeaders.Get(headers, "x-ms-access-tier")
            ?? throw BlobProtocolException.Header(ErrorMapping.MissingRequiredHeader, "x-ms-access-tier", null);
        var tier = AccessTiers.TryParse(tierText)
            ?? throw BlobProtocolException.Header(ErrorMapping.InvalidHeaderValue, "x-ms-access-tier", tierText);
        var priority = RequestHeaders.Get(headers, "x-ms-rehydrate-priority");
        if (priority is not null && !priority.Equals("High", StringComparison.OrdinalIgnoreCase) && !priority.Equals("Standard", StringComparison.OrdinalIgnoreCase))
        {
            throw BlobProtocolException.Header(ErrorMapping.InvalidHeaderValue, "x-ms-rehydrate-priority", priority);
        }

        var conditions = new AccessConditions { IfTags = RequestHeaders.ReadIfTags(headers), LeaseId = RequestHeaders.ReadLeaseId(headers, RequestHeaders.LeaseIdHeader) };
        await blobs.SetBlobTierAsync(target.Account, container, blob, selector, tier, conditions, context.RequestAborted).ConfigureAwait(false);
        context.Response.StatusCode = StatusCodes.Status200OK;
        context.Response.ContentLength = 0;
    }

    /// <summary>
    /// Abort Copy Blob (<c>PUT ?comp=copy&amp;copyid=…</c> with x-ms-copy-action: abort). Copies
    /// complete inside their request here, so there is never a pending one: 409
    /// NoPendingCopyOperation, or 409 CopyIdMismatch for another copy's id.
    /// </summary>
    private async Task AbortCopyBlobAsync(HttpContext context, RequestTarget target, string container, string blob)
    {
        var headers = context.Request.Headers;
        RejectUnsupportedBlobFeatures(target, headers);
        var copyId = target.GetQuery("copyid");
        if (string.IsNullOrEmpty(copyId))
        {
            throw BlobProtocolException.Query(ErrorMapping.MissingRequiredQueryParameter, "copyid", null);
        }

        var action = RequestHeaders.Get(headers, "x-ms-copy-action")
            ?? throw BlobProtocolException.Header(ErrorMapping.MissingRequiredHeader, "x-ms-copy-action", null);
        if (!action.Equals("abort", StringComparison.OrdinalIgnoreCase))
        {
            throw BlobProtocolException.Header(ErrorMapping.InvalidHeaderValue, "x-ms-copy-action", action);
        }

        await blobs.AbortCopyBlobAsync(target.Account, container, blob, copyId, context.RequestAborted).ConfigureAwait(false);
        context.Response.StatusCode = StatusCodes.Status204NoContent;
    }

    /// <summary>
    /// Put Blob From URL: PUT with x-ms-copy-source and x-ms-blob-type: BlockBlob, no body
    /// (Content-Length 0, else 400 InvalidHeaderValue). 201 with ETag, Last-Modified, Content-MD5,
    /// x-ms-version-id and x-ms-request-server-encrypted.
    /// </summary>
    private async Task PutBlobFromUrlAsync(HttpContext context, RequestTarget target, string container, string blob)
    {
        var headers = context.Request.Headers;
        RejectUnsupportedBlobFeatures(target, headers);
        var blobType = RequestHeaders.Get(headers, "x-ms-blob-type");
        if (!string.Equals(blobType, nameof(BlobType.BlockBlob), StringComparison.OrdinalIgnoreCase))
        {
            throw BlobProtocolException.Header(ErrorMapping.InvalidHeaderValue, "x-ms-blob-type", blobType);
        }

        RequireEmptyBody(context);
        var source = await ReadFromUrlSourceAsync(context, target).ConfigureAwait(false);
        var encryption = EncryptionHeaders.ReadOptions(context.Request, write: true, scopeAllowed: true);
        using var customerKey = encryption.CustomerKey;
        var copyProperties = RequestHeaders.Get(headers, "x-ms-copy-source-blob-properties") is null || RequestHeaders.ReadBoolean(headers, "x-ms-copy-source-blob-properties");
        var request = new PutBlobFromUrlRequest(
            target.Account,
            container,
            blob,
            source,
            RequestHeaders.ReadBlobHttpHeaders(headers, fallBackToBodyHeaders: false),
            RequestHeaders.ReadMetadata(headers),
            RequestHeaders.ReadConditions(headers))
        {
            Encryption = encryption,
            CopySourceProperties = copyProperties,
            SourceConditions = ReadSourceConditions(headers),
            SourceChecksums = ReadPutBlobFromUrlChecksums(headers),
            AccessTier = ReadAccessTier(headers),
        };

        var result = await blobs.PutBlobFromUrlAsync(request, context.RequestAborted).ConfigureAwait(false);
        WriteBlobCreated(context.Response, result);
    }

    /// <summary>
    /// Put Block From URL: <c>PUT ?comp=block&amp;blockid=…</c> with x-ms-copy-source, optional
    /// x-ms-source-range (<c>bytes=start-end</c>; malformed: 400 InvalidHeaderValue), no body. 201
    /// with the block's Content-MD5 (or x-ms-content-crc64 when a source CRC-64 was given).
    /// </summary>
    private async Task PutBlockFromUrlAsync(HttpContext context, RequestTarget target, string container, string blob)
    {
        var headers = context.Request.Headers;
        RejectUnsupportedBlobFeatures(target, headers);
        var blockId = ReadBlockId(target);

        RequireEmptyBody(context);
        var range = ReadSourceRange(headers);

        var source = await ReadFromUrlSourceAsync(context, target).ConfigureAwait(false);
        var encryption = EncryptionHeaders.ReadOptions(context.Request, write: true, scopeAllowed: true);
        using var customerKey = encryption.CustomerKey;
        var request = new PutBlockFromUrlRequest(target.Account, container, blob, blockId, source)
        {
            Encryption = encryption,
            SourceRangeStart = range?.Start,
            SourceRangeEnd = range?.End,
            SourceConditions = ReadSourceConditions(headers),
            SourceChecksums = ReadSourceChecksums(headers),
            LeaseId = RequestHeaders.ReadLeaseId(headers, RequestHeaders.LeaseIdHeader),
        };

        var result = await blobs.PutBlockFromUrlAsync(request, context.RequestAborted).ConfigureAwait(false);
        var response = context.Response;
        response.StatusCode = StatusCodes.Status201Created;
        WriteChecksums(response, result.ContentCrc64 is null ? result.ContentMd5 : null, result.ContentCrc64);
        EncryptionHeaders.WriteWriteResponse(response, result.EncryptionScope, result.CustomerKeySha256);
        response.ContentLength = 0;
    }

    /// <summary>
    /// The source of a copy or from-URL operation: a blob of this server. In the request's own
    /// account the request's credentials authorize it; in another account only a SAS in the source
    /// URL does (<see cref="AuthorizeCopySourceAsync"/>: checked as a read of the source, a refusal
    /// 403 CannotVerifyCopySource); without one, 404 CannotVerifyCopySource. A malformed URL is
    /// 400 InvalidHeaderValue, another server 404 CannotVerifyCopySource.
    /// </summary>
    private async Task<CopySource> ReadFromUrlSourceAsync(HttpContext context, RequestTarget target)
    {
        var text = RequestHeaders.Get(context.Request.Headers, "x-ms-copy-source");
        if (text is null || !Uri.TryCreate(text, UriKind.Absolute, out var uri) || (uri.Scheme != Uri.UriSchemeHttp && uri.Scheme != Uri.UriSchemeHttps))
        {
            throw BlobProtocolException.Header(ErrorMapping.InvalidHeaderValue, "x-ms-copy-source", text);
        }

        if (!IsThisServer(context, uri))
        {
            throw new StorageException(ErrorCode.CannotVerifyCopySource, "The copy source is not on this server.");
        }

        // The path and query as sent (Uri would resolve dot segments and unescape), without any fragment.
        var authorityEnd = text.IndexOf("://", StringComparison.Ordinal) + 3;
        var pathStart = text.IndexOf('/', authorityEnd);
        var raw = pathStart < 0 ? "/" : text[pathStart..];
        var fragment = raw.IndexOf('#', StringComparison.Ordinal);
        if (fragment >= 0)
        {
            raw = raw[..fragment];
        }

        if (!RequestTarget.TryParse(raw, out var source) || source is null || source.Container is null || source.Blob is null || source.Location != ReadLocation.Primary)
        {
            throw new StorageException(ErrorCode.CannotVerifyCopySource, "The copy source is not a blob of this server.");
        }

        if (!string.Equals(source.Account, target.Account, StringComparison.Ordinal)
            && !await AuthorizeCopySourceAsync(context, source, uri.Scheme == Uri.UriSchemeHttps).ConfigureAwait(false))
        {
            throw new StorageException(ErrorCode.CannotVerifyCopySource, "A copy source in another account needs a SAS that grants reading it.");
        }

        return new CopySource(source.Account, source.Container, source.Blob, ReadSelector(source), text);
    }

    /// <summary>A from-URL operation carries no body (Azure: Content-Length must be 0).</summary>
    /// <summary>An optional x-ms-source-range (<c>bytes=start-</c> or <c>bytes=start-end</c>); malformed: 400 InvalidHeaderValue.</summary>
    private static ByteRange? ReadSourceRange(IHeaderDictionary headers)
    {
        var rangeText = RequestHeaders.Get(headers, "x-ms-source-range");
        if (rangeText is null)
        {
            return null;
        }

        return RangeHeader.TryParse(rangeText, out var range)
            ? range
            : throw BlobProtocolException.Header(ErrorMapping.InvalidHeaderValue, "x-ms-source-range", rangeText);
    }

    private static void RequireEmptyBody(HttpContext context)
    {
        var length = context.Request.ContentLength;
        if (length is > 0)
        {
            throw BlobProtocolException.Header(ErrorMapping.InvalidHeaderValue, "Content-Length", length.Value.ToString(CultureInfo.InvariantCulture));
        }
    }

    /// <summary>
    /// Put Blob From URL's content checks: x-ms-source-content-md5 / -crc64, else Content-MD5 /
    /// x-ms-content-crc64, which there describe the blob's content (the request has no body).
    /// </summary>
    private static TransactionalChecksums ReadPutBlobFromUrlChecksums(IHeaderDictionary headers)
    {
        var source = ReadSourceChecksums(headers);
        return source.ContentMd5 is null && source.ContentCrc64 is null ? RequestHeaders.ReadChecksums(headers) : source;
    }

    /// <summary>x-ms-access-tier on a write: null when absent; a name that is not a tier is 400 InvalidHeaderValue.</summary>
    internal static AccessTier? ReadAccessTier(IHeaderDictionary headers)
    {
        var text = RequestHeaders.Get(headers, "x-ms-access-tier");
        if (text is null)
        {
            return null;
        }

        return AccessTiers.TryParse(text) ?? throw BlobProtocolException.Header(ErrorMapping.InvalidHeaderValue, "x-ms-access-tier", text);
    }

    /// <summary>
    /// x-ms-source-if-match, -if-none-match, -if-modified-since, -if-unmodified-since, and (issue 8)
    /// x-ms-source-if-tags and x-ms-source-lease-id, which Azure documents on Copy Blob (and
    /// -if-tags on Put Blob From URL); where Azure does not document them they are honoured too.
    /// </summary>
    internal static AccessConditions ReadSourceConditions(IHeaderDictionary headers)
    {
        var ifMatch = RequestHeaders.Get(headers, "x-ms-source-if-match");
        var ifNoneMatch = RequestHeaders.Get(headers, "x-ms-source-if-none-match");
        var ifModifiedSince = ReadSourceDate(headers, "x-ms-source-if-modified-since");
        var ifUnmodifiedSince = ReadSourceDate(headers, "x-ms-source-if-unmodified-since");
        var ifTags = RequestHeaders.ReadIfTags(headers, "x-ms-source-if-tags");
        var leaseId = RequestHeaders.ReadLeaseId(headers, "x-ms-source-lease-id");
        return ifMatch is null && ifNoneMatch is null && ifModifiedSince is null && ifUnmodifiedSince is null && ifTags is null && leaseId is null
            ? AccessConditions.None
            : new AccessConditions(ifMatch, ifNoneMatch, ifModifiedSince, ifUnmodifiedSince) { IfTags = ifTags, LeaseId = leaseId };
    }

    private static DateTimeOffset? ReadSourceDate(IHeaderDictionary headers, string name)
    {
        var text = RequestHeaders.Get(headers, name);
        if (text is null)
        {
            return null;
        }

        return SharedKeyAuthenticator.TryParseHttpDate(text, out var date)
            ? date
            : throw BlobProtocolException.Header(ErrorMapping.InvalidHeaderValue, name, text);
    }

    /// <summary>x-ms-source-content-md5 or x-ms-source-content-crc64 (not both: 400 BothCrc64AndMd5HeaderPresent).</summary>
    internal static TransactionalChecksums ReadSourceChecksums(IHeaderDictionary headers)
    {
        var md5Text = RequestHeaders.Get(headers, "x-ms-source-content-md5");
        var crcText = RequestHeaders.Get(headers, "x-ms-source-content-crc64");
        if (md5Text is not null && crcText is not null)
        {
            throw new BlobProtocolException(ErrorMapping.BothCrc64AndMd5HeaderPresent);
        }

        if (md5Text is not null)
        {
            var md5 = new byte[16];
            return Convert.TryFromBase64String(md5Text, md5, out var written) && written == 16
                ? new TransactionalChecksums(md5)
                : throw BlobProtocolException.Header(ErrorMapping.InvalidMd5, "x-ms-source-content-md5", md5Text);
        }

        if (crcText is not null)
        {
            Span<byte> crc = stackalloc byte[8];
            return Convert.TryFromBase64String(crcText, crc, out var written) && written == 8
                ? new TransactionalChecksums(ContentCrc64: BinaryPrimitives.ReadUInt64LittleEndian(crc))
                : throw BlobProtocolException.Header(ErrorMapping.InvalidHeaderValue, "x-ms-source-content-crc64", crcText);
        }

        return TransactionalChecksums.None;
    }
}

/// <summary>The access tier as Get Blob Properties and List Blobs report it (issue 8, copy).</summary>
internal static class CopyResponses
{
    /// <summary>x-ms-access-tier (block blobs), -inferred when never set (the account default, Hot), -change-time when set.</summary>
    public static void WriteAccessTierHeaders(HttpResponse response, BlobRecord record)
    {
        if (record.BlobType != BlobType.BlockBlob)
        {
            return;
        }

        var headers = response.Headers;
        if (record.AccessTier is { } tier)
        {
            headers["x-ms-access-tier"] = AccessTiers.Name(tier);
            if (record.AccessTierChangedOn is { } changedOn)
            {
                headers["x-ms-access-tier-change-time"] = Http.FormatDate(changedOn);
            }
        }
        else
        {
            headers["x-ms-access-tier"] = AccessTiers.Name(AccessTier.Hot);
            headers["x-ms-access-tier-inferred"] = "true";
        }
    }

    /// <summary>List Blobs' copy properties (<c>include=copy</c>): a copy here is always complete.</summary>
    public static void WriteCopy(XmlWriter xml, BlobRecord blob)
    {
        if (blob.Copy is not { } copy)
        {
            return;
        }

        var length = blob.ContentLength.ToString(CultureInfo.InvariantCulture);
        xml.WriteElementString("CopyId", copy.CopyId);
        xml.WriteElementString("CopyStatus", "success");
        xml.WriteElementString("CopySource", copy.Source);
        xml.WriteElementString("CopyProgress", length + "/" + length);
        xml.WriteElementString("CopyCompletionTime", Http.FormatDate(copy.CompletedOn));
    }

    /// <summary>List Blobs' &lt;AccessTier&gt;, &lt;AccessTierInferred&gt; and &lt;AccessTierChangeTime&gt;.</summary>
    public static void WriteAccessTier(XmlWriter xml, BlobRecord blob)
    {
        if (blob.BlobType != BlobType.BlockBlob)
        {
            return;
        }

        if (blob.AccessTier is { } tier)
        {
            xml.WriteElementString("AccessTier", AccessTiers.Name(tier));
            if (blob.AccessTierChangedOn is { } changedOn)
            {
                xml.WriteElementString("AccessTierChangeTime", Http.FormatDate(changedOn));
            }
        }
        else
        {
            xml.WriteElementString("AccessTier", AccessTiers.Name(AccessTier.Hot));
            xml.WriteElementString("AccessTierInferred", "true");
        }
    }
}
