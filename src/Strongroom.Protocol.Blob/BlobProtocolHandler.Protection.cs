using Microsoft.AspNetCore.Http;
using Strongroom.Core;

namespace Strongroom.Protocol.Blob;

// Restore Container, Set Blob Legal Hold (issue 7).
public sealed partial class BlobProtocolHandler
{
    private const string DeletedContainerNameHeader = "x-ms-deleted-container-name";
    private const string DeletedContainerVersionHeader = "x-ms-deleted-container-version";
    private const string LegalHoldHeader = "x-ms-legal-hold";

    /// <summary>
    /// Restore Container: 201. Both headers are required (400 MissingRequiredHeader). Azure once let
    /// the URL name another container than the deleted one and has since required them to match;
    /// a different name is 400 InvalidHeaderValue here.
    /// </summary>
    private async Task RestoreContainerAsync(HttpContext context, string account, string container)
    {
        var headers = context.Request.Headers;
        var name = RequestHeaders.Get(headers, DeletedContainerNameHeader)
            ?? throw BlobProtocolException.Header(ErrorMapping.MissingRequiredHeader, DeletedContainerNameHeader, null);
        var version = RequestHeaders.Get(headers, DeletedContainerVersionHeader)
            ?? throw BlobProtocolException.Header(ErrorMapping.MissingRequiredHeader, DeletedContainerVersionHeader, null);
        if (!string.Equals(name, container, StringComparison.Ordinal))
        {
            throw BlobProtocolException.Header(ErrorMapping.InvalidHeaderValue, DeletedContainerNameHeader, name);
        }

        var record = await blobs.RestoreContainerAsync(account, name, version, context.RequestAborted).ConfigureAwait(false);
        var response = context.Response;
        response.StatusCode = StatusCodes.Status201Created;
        WriteETagAndLastModified(response, record.ETag, record.LastModified);
        response.ContentLength = 0;
    }

    /// <summary>Set Blob Legal Hold: <c>x-ms-legal-hold: true|false</c> (required), optionally on <c>?versionid=</c>; 200 echoing the header.</summary>
    private async Task SetBlobLegalHoldAsync(HttpContext context, RequestTarget target, string container, string blob)
    {
        var headers = context.Request.Headers;
        if (RequestHeaders.Get(headers, LegalHoldHeader) is null)
        {
            throw BlobProtocolException.Header(ErrorMapping.MissingRequiredHeader, LegalHoldHeader, null);
        }

        var legalHold = RequestHeaders.ReadBoolean(headers, LegalHoldHeader);
        var versionId = NullIfEmpty(target.GetQuery("versionid"));
        if (versionId is not null && !VersionIds.TryParse(versionId, out _))
        {
            throw BlobProtocolException.Query(ErrorMapping.InvalidQueryParameterValue, "versionid", versionId);
        }

        await blobs.SetBlobLegalHoldAsync(target.Account, container, blob, versionId, legalHold, context.RequestAborted).ConfigureAwait(false);
        var response = context.Response;
        response.StatusCode = StatusCodes.Status200OK;
        response.Headers[LegalHoldHeader] = legalHold ? "true" : "false";
        response.ContentLength = 0;
    }

    /// <summary>Whether <c>include=</c> names <paramref name="value"/> (ParseInclude has validated the list).</summary>
    private static bool Includes(RequestTarget target, string value)
    {
        foreach (var parameter in target.Query)
        {
            if (!string.Equals(parameter.Name, "include", StringComparison.OrdinalIgnoreCase) || string.IsNullOrEmpty(parameter.Value))
            {
                continue;
            }

            foreach (var range in parameter.Value.AsSpan().Split(','))
            {
                if (parameter.Value.AsSpan()[range].Trim().Equals(value, StringComparison.OrdinalIgnoreCase))
                {
                    return true;
                }
            }
        }

        return false;
    }
}
