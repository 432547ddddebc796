using System.Globalization;
using Microsoft.AspNetCore.Http;
using Strongroom.Blobs;
using Strongroom.Core;

namespace Strongroom.Protocol.Blob;

// Service- and container-level operations.
public sealed partial class BlobProtocolHandler
{
    private static readonly string[] ContainerIncludeValues = ["metadata", "deleted", "system"];

    private static readonly string[] BlobIncludeValues =
    [
        "snapshots", "metadata", "uncommittedblobs", "copy", "deleted", "tags", "versions",
        "deletedwithversions", "immutabilitypolicy", "legalhold", "permissions",
    ];

    private async Task ListContainersAsync(HttpContext context, RequestTarget target)
    {
        var prefix = target.GetQuery("prefix");
        var marker = NullIfEmpty(target.GetQuery("marker"));
        var maxResultsText = target.GetQuery("maxresults");
        var maxResults = ParseMaxResults(maxResultsText);
        var includeMetadata = ParseInclude(target, ContainerIncludeValues);
        var includeDeleted = Includes(target, "deleted");

        var listing = await blobs.ListContainersAsync(target.Account, NullIfEmpty(prefix), marker, maxResults, includeDeleted, context.RequestAborted).ConfigureAwait(false);

        var response = context.Response;
        response.StatusCode = StatusCodes.Status200OK;
        response.ContentType = Http.XmlContentType;
        await XmlResponses.WriteContainerListAsync(
            response.BodyWriter,
            ServiceEndpoint(context, target.PathAccount),
            new ContainerListRequest(prefix, target.GetQuery("marker"), maxResultsText, includeMetadata) { Now = time.GetUtcNow() },
            listing,
            context.RequestAborted).ConfigureAwait(false);
    }

    private async Task CreateContainerAsync(HttpContext context, string account, string container)
    {
        var headers = context.Request.Headers;
        if (RequestHeaders.Get(headers, "x-ms-blob-public-access") is not null)
        {
            throw new BlobProtocolException(ErrorMapping.PublicAccessNotPermitted);
        }

        // Azure requires both policy headers together (400 ContainerOperationFailure otherwise).
        var defaultScope = EncryptionHeaders.ReadScope(headers, EncryptionHeaders.DefaultScope);
        var denyText = RequestHeaders.Get(headers, EncryptionHeaders.DenyScopeOverride);
        if ((defaultScope is null) != (denyText is null))
        {
            throw new BlobProtocolException(ErrorMapping.ContainerOperationFailure);
        }

        var deny = RequestHeaders.ReadBoolean(headers, EncryptionHeaders.DenyScopeOverride);
        var record = await blobs.CreateContainerAsync(account, container, RequestHeaders.ReadMetadata(headers), defaultScope, deny, context.RequestAborted).ConfigureAwait(false);
        var response = context.Response;
        response.StatusCode = StatusCodes.Status201Created;
        WriteETagAndLastModified(response, record.ETag, record.LastModified);
        response.ContentLength = 0;
    }

    private async Task GetContainerPropertiesAsync(HttpContext context, string account, string container, bool propertiesOnly)
    {
        var leaseId = RequestHeaders.ReadLeaseId(context.Request.Headers, RequestHeaders.LeaseIdHeader);
        var operation = propertiesOnly ? BlobOperation.GetContainerMetadata : BlobOperation.GetContainerProperties;
        var record = await blobs.GetContainerAsync(account, container, operation, context.RequestAborted).ConfigureAwait(false);
        var lease = blobs.LeaseOf(record);
        Leases.Check(lease, leaseId, LeaseTarget.Container, required: false);
        var response = context.Response;
        response.StatusCode = StatusCodes.Status200OK;
        WriteETagAndLastModified(response, record.ETag, record.LastModified);
        WriteMetadata(response, record.Metadata);
        if (!propertiesOnly)
        {
            var headers = response.Headers;
            WriteLeaseHeaders(headers, lease);
            headers["x-ms-has-immutability-policy"] = "false";
            headers["x-ms-has-legal-hold"] = record.HasLegalHold ? "true" : "false";
            headers[EncryptionHeaders.DefaultScope] = record.DefaultEncryptionScope ?? XmlResponses.DefaultEncryptionScope;
            headers[EncryptionHeaders.DenyScopeOverride] = record.DenyEncryptionScopeOverride ? "true" : "false";
            headers["x-ms-immutable-storage-with-versioning-enabled"] = "false";
        }

        response.ContentLength = 0;
    }

    private async Task SetContainerMetadataAsync(HttpContext context, string account, string container)
    {
        var headers = context.Request.Headers;
        var record = await blobs.SetContainerMetadataAsync(account, container, RequestHeaders.ReadMetadata(headers), RequestHeaders.ReadContainerConditions(headers, unmodifiedSinceAllowed: false), context.RequestAborted).ConfigureAwait(false);
        var response = context.Response;
        response.StatusCode = StatusCodes.Status200OK;
        WriteETagAndLastModified(response, record.ETag, record.LastModified);
        response.ContentLength = 0;
    }

    private async Task DeleteContainerAsync(HttpContext context, string account, string container)
    {
        var headers = context.Request.Headers;
        await blobs.DeleteContainerAsync(account, container, RequestHeaders.ReadContainerConditions(headers, unmodifiedSinceAllowed: true), context.RequestAborted).ConfigureAwait(false);
        context.Response.StatusCode = StatusCodes.Status202Accepted;
        context.Response.ContentLength = 0;
    }

    private async Task ListBlobsAsync(HttpContext context, RequestTarget target, string container)
    {
        var prefix = target.GetQuery("prefix");
        var delimiter = target.GetQuery("delimiter");
        var marker = NullIfEmpty(target.GetQuery("marker"));
        var maxResultsText = target.GetQuery("maxresults");
        var maxResults = ParseMaxResults(maxResultsText);
        var includeMetadata = ParseInclude(target, BlobIncludeValues);
        var includes = ParseBlobIncludes(target);

        var listing = await blobs.ListBlobsAsync(target.Account, container, NullIfEmpty(prefix), NullIfEmpty(delimiter), marker, maxResults, includes, context.RequestAborted).ConfigureAwait(false);

        var response = context.Response;
        response.StatusCode = StatusCodes.Status200OK;
        response.ContentType = Http.XmlContentType;
        await XmlResponses.WriteBlobListAsync(
            response.BodyWriter,
            ServiceEndpoint(context, target.PathAccount),
            new BlobListRequest(container, prefix, target.GetQuery("marker"), maxResultsText, NullIfEmpty(delimiter), includeMetadata) { Now = time.GetUtcNow(), IncludeLegalHold = Includes(target, "legalhold"), IncludeTags = Includes(target, "tags"), IncludeCopy = Includes(target, "copy") },
            listing,
            context.RequestAborted).ConfigureAwait(false);
    }

    /// <summary>
    /// Absent → the maximum. Azure answers 400 for zero or less and quietly caps anything above
    /// 5000 (documented under "Enumerating Blob Storage resources").
    /// </summary>
    internal static int ParseMaxResults(string? text)
    {
        if (text is null)
        {
            return Limits.ListResultsMax;
        }

        if (!long.TryParse(text, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var value))
        {
            throw BlobProtocolException.Query(ErrorMapping.InvalidQueryParameterValue, "maxresults", text);
        }

        if (value <= 0)
        {
            throw BlobProtocolException.Query(ErrorMapping.OutOfRangeQueryParameterValue, "maxresults", text);
        }

        return (int)Math.Min(value, Limits.ListResultsMax);
    }

    /// <summary>Parses <c>include=</c>; returns whether metadata is wanted. Values without data yet are accepted and ignored.</summary>
    private static bool ParseInclude(RequestTarget target, string[] allowed)
    {
        var includeMetadata = false;
        foreach (var parameter in target.Query)
        {
            if (!string.Equals(parameter.Name, "include", StringComparison.OrdinalIgnoreCase) || string.IsNullOrEmpty(parameter.Value))
            {
                continue;
            }

            foreach (var range in parameter.Value.AsSpan().Split(','))
            {
                var value = parameter.Value.AsSpan()[range].Trim();
                if (value.IsEmpty)
                {
                    continue;
                }

                var known = false;
                foreach (var candidate in allowed)
                {
                    if (value.Equals(candidate, StringComparison.OrdinalIgnoreCase))
                    {
                        known = true;
                        break;
                    }
                }

                if (!known)
                {
                    throw BlobProtocolException.Query(ErrorMapping.InvalidQueryParameterValue, "include", parameter.Value);
                }

                includeMetadata |= value.Equals("metadata", StringComparison.OrdinalIgnoreCase);
            }
        }

        return includeMetadata;
    }

    private string ServiceEndpoint(HttpContext context, string account)
    {
        var baseUri = options.ServiceEndpointOverride;
        if (baseUri is null)
        {
            var request = context.Request;
            return string.Concat(request.Scheme, "://", request.Host.ToUriComponent(), "/", account, "/");
        }

        return string.Concat(baseUri.TrimEnd('/'), "/", account, "/");
    }

    private static void WriteETagAndLastModified(HttpResponse response, string etag, DateTimeOffset lastModified)
    {
        response.Headers.ETag = Http.QuotedETag(etag);
        response.Headers.LastModified = Http.FormatDate(lastModified);
    }

    private static void WriteMetadata(HttpResponse response, IReadOnlyList<KeyValuePair<string, string>> metadata)
    {
        foreach (var (name, value) in metadata)
        {
            response.Headers[string.Concat(RequestHeaders.MetadataPrefix, name)] = value;
        }
    }

    private static string? NullIfEmpty(string? value) => string.IsNullOrEmpty(value) ? null : value;
}
