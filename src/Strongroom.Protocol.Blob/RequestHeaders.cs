using System.Buffers.Binary;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Primitives;
using Strongroom.Blobs;
using Strongroom.Core;

namespace Strongroom.Protocol.Blob;

/// <summary>Reading the Blob API's request headers into the service's request types.</summary>
public static class RequestHeaders
{
    public const string MetadataPrefix = "x-ms-meta-";

    /// <summary><c>x-ms-meta-{name}</c> headers, names as sent (case preserved). The service validates them.</summary>
    public static IReadOnlyList<KeyValuePair<string, string>> ReadMetadata(IHeaderDictionary headers)
    {
        List<KeyValuePair<string, string>>? metadata = null;
        foreach (var (name, value) in headers)
        {
            if (name.Length >= MetadataPrefix.Length && name.StartsWith(MetadataPrefix, StringComparison.OrdinalIgnoreCase))
            {
                (metadata ??= new List<KeyValuePair<string, string>>(4)).Add(new(name[MetadataPrefix.Length..], value.ToString()));
            }
        }

        return metadata is null ? [] : metadata;
    }

    /// <summary>
    /// The blob's stored HTTP properties from <c>x-ms-blob-content-*</c> and
    /// <c>x-ms-blob-cache-control</c>. On Put Blob the plain headers (Content-Type, …) are the
    /// fallback, because there they describe the body, which becomes the blob.
    /// </summary>
    public static BlobHttpHeaders ReadBlobHttpHeaders(IHeaderDictionary headers, bool fallBackToBodyHeaders)
    {
        var md5Text = Get(headers, "x-ms-blob-content-md5");
        byte[]? md5 = null;
        if (md5Text is not null)
        {
            md5 = ParseMd5(md5Text, "x-ms-blob-content-md5");
        }

        return new BlobHttpHeaders(
            Get(headers, "x-ms-blob-content-type") ?? (fallBackToBodyHeaders ? Get(headers, "Content-Type") : null),
            Get(headers, "x-ms-blob-content-encoding") ?? (fallBackToBodyHeaders ? Get(headers, "Content-Encoding") : null),
            Get(headers, "x-ms-blob-content-language") ?? (fallBackToBodyHeaders ? Get(headers, "Content-Language") : null),
            Get(headers, "x-ms-blob-content-disposition") ?? (fallBackToBodyHeaders ? Get(headers, "Content-Disposition") : null),
            Get(headers, "x-ms-blob-cache-control") ?? (fallBackToBodyHeaders ? Get(headers, "Cache-Control") : null),
            md5);
    }

    /// <summary>
    /// If-Match, If-None-Match, If-Modified-Since, If-Unmodified-Since and x-ms-if-tags. A date
    /// that does not parse is ignored, as HTTP prescribes for If-Modified-Since; an x-ms-if-tags
    /// expression that does not parse is 400 InvalidHeaderValue.
    /// </summary>
    public static AccessConditions ReadConditions(IHeaderDictionary headers)
    {
        var ifMatch = Get(headers, "If-Match");
        var ifNoneMatch = Get(headers, "If-None-Match");
        var ifModifiedSince = ParseDate(Get(headers, "If-Modified-Since"));
        var ifUnmodifiedSince = ParseDate(Get(headers, "If-Unmodified-Since"));
        var ifTags = ReadIfTags(headers);
        var leaseId = ReadLeaseId(headers, LeaseIdHeader);
        if (ifMatch is null && ifNoneMatch is null && ifModifiedSince is null && ifUnmodifiedSince is null && ifTags is null && leaseId is null)
        {
            return AccessConditions.None;
        }

        return new AccessConditions(ifMatch, ifNoneMatch, ifModifiedSince, ifUnmodifiedSince) { IfTags = ifTags, LeaseId = leaseId };
    }

    public const string LeaseIdHeader = "x-ms-lease-id";

    /// <summary>A lease id header (x-ms-lease-id, x-ms-proposed-lease-id), normalised; not a GUID: 400 InvalidHeaderValue (Azure).</summary>
    public static string? ReadLeaseId(IHeaderDictionary headers, string name)
    {
        var text = Get(headers, name);
        if (text is null)
        {
            return null;
        }

        return Leases.NormalizeId(text) ?? throw BlobProtocolException.Header(ErrorMapping.InvalidHeaderValue, name, text);
    }

    /// <summary>
    /// A container operation's conditions: Azure takes only the dates there (Set Container
    /// Metadata only If-Modified-Since); If-Match or If-None-Match (or a refused date) is 400
    /// UnsupportedHeader, and x-ms-if-tags is not read (containers have no tags).
    /// </summary>
    public static AccessConditions ReadContainerConditions(IHeaderDictionary headers, bool unmodifiedSinceAllowed)
    {
        foreach (var name in (ReadOnlySpan<string>)["If-Match", "If-None-Match"])
        {
            if (Get(headers, name) is { } value)
            {
                throw BlobProtocolException.Header(ErrorMapping.Map(ErrorCode.UnsupportedHeader), name, value);
            }
        }

        if (!unmodifiedSinceAllowed && Get(headers, "If-Unmodified-Since") is { } unmodified)
        {
            throw BlobProtocolException.Header(ErrorMapping.Map(ErrorCode.UnsupportedHeader), "If-Unmodified-Since", unmodified);
        }

        var ifModifiedSince = ParseDate(Get(headers, "If-Modified-Since"));
        var ifUnmodifiedSince = ParseDate(Get(headers, "If-Unmodified-Since"));
        var leaseId = ReadLeaseId(headers, LeaseIdHeader);
        return ifModifiedSince is null && ifUnmodifiedSince is null && leaseId is null
            ? AccessConditions.None
            : new AccessConditions(IfModifiedSince: ifModifiedSince, IfUnmodifiedSince: ifUnmodifiedSince) { LeaseId = leaseId };
    }

    /// <summary>x-ms-if-tags (issue 8), or another header of the same grammar (x-ms-source-if-tags): Azure's condition grammar (AND, OR, parentheses, = &lt;&gt; &gt; &gt;= &lt; &lt;=); null when absent.</summary>
    public static TagExpression? ReadIfTags(IHeaderDictionary headers, string name = "x-ms-if-tags")
    {
        var text = Get(headers, name);
        if (text is null)
        {
            return null;
        }

        return TagExpression.TryParse(text, TagExpressionKind.Condition, out var error)
            ?? throw new BlobProtocolException(ErrorMapping.InvalidHeaderValue, details: [new("HeaderName", name), new("HeaderValue", text), new("Reason", error ?? string.Empty)]);
    }

    /// <summary>x-ms-tags (Put Blob, Put Block List, Copy Blob): the validated tags (400 InvalidTag otherwise); none when absent.</summary>
    public static IReadOnlyList<KeyValuePair<string, string>> ReadTags(IHeaderDictionary headers) =>
        headers.TryGetValue("x-ms-tags", out var value) && !StringValues.IsNullOrEmpty(value) ? BlobTags.ParseHeader(value.ToString()) : BlobTags.None;

    /// <summary>Content-MD5 and x-ms-content-crc64 of the request body; at most one may be sent.</summary>
    public static TransactionalChecksums ReadChecksums(IHeaderDictionary headers)
    {
        var md5Text = Get(headers, "Content-MD5");
        var crcText = Get(headers, "x-ms-content-crc64");
        if (md5Text is null && crcText is null)
        {
            return TransactionalChecksums.None;
        }

        if (md5Text is not null && crcText is not null)
        {
            throw new BlobProtocolException(ErrorMapping.BothCrc64AndMd5HeaderPresent);
        }

        if (md5Text is not null)
        {
            return new TransactionalChecksums(ParseMd5(md5Text, "Content-MD5"));
        }

        Span<byte> crc = stackalloc byte[8];
        if (!Convert.TryFromBase64String(crcText!, crc, out var written) || written != 8)
        {
            throw BlobProtocolException.Header(ErrorMapping.InvalidHeaderValue, "x-ms-content-crc64", crcText);
        }

        return new TransactionalChecksums(ContentCrc64: BinaryPrimitives.ReadUInt64LittleEndian(crc));
    }

    /// <summary>A Base64 block id decoding to 1–64 bytes (Azure's rule; the service re-checks).</summary>
    public static bool IsValidBlockId(string? blockId)
    {
        if (string.IsNullOrEmpty(blockId) || blockId.Length > 4 * ((Limits.BlockIdBytesMax + 2) / 3))
        {
            return false;
        }

        Span<byte> bytes = stackalloc byte[Limits.BlockIdBytesMax];
        return Convert.TryFromBase64String(blockId, bytes, out var written) && written > 0;
    }

    /// <summary>A boolean header ("true"/"false", any case); absent is false.</summary>
    public static bool ReadBoolean(IHeaderDictionary headers, string name)
    {
        var value = Get(headers, name);
        if (value is null)
        {
            return false;
        }

        if (bool.TryParse(value, out var result))
        {
            return result;
        }

        throw BlobProtocolException.Header(ErrorMapping.InvalidHeaderValue, name, value);
    }

    /// <summary>The header's value, or null when it is absent.</summary>
    public static string? Get(IHeaderDictionary headers, string name) =>
        headers.TryGetValue(name, out var value) && !StringValues.IsNullOrEmpty(value) ? value.ToString() : null;

    private static byte[] ParseMd5(string text, string headerName)
    {
        var md5 = new byte[16];
        if (!Convert.TryFromBase64String(text, md5, out var written) || written != 16)
        {
            throw BlobProtocolException.Header(ErrorMapping.InvalidMd5, headerName, text);
        }

        return md5;
    }

    private static DateTimeOffset? ParseDate(string? text) =>
        text is not null && SharedKeyAuthenticator.TryParseHttpDate(text, out var date) ? date : null;
}
