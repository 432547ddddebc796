using Microsoft.AspNetCore.Http;
using Strongroom.Blobs;
using Strongroom.Core;

namespace Strongroom.Protocol.Blob;

// Versions, snapshots, soft delete and Copy Blob (issue 7).
public sealed partial class BlobProtocolHandler
{
    private const string VersionIdHeader = "x-ms-version-id";

    /// <summary>
    /// <c>?versionid=</c> or <c>?snapshot=</c> (Azure's seven-digit UTC times; both at once, or a
    /// malformed one, is 400 InvalidQueryParameterValue).
    /// </summary>
    internal static BlobSelector ReadSelector(RequestTarget target)
    {
        var versionId = target.GetQuery("versionid");
        var snapshot = target.GetQuery("snapshot");
        if (versionId is not null && snapshot is not null)
        {
            throw BlobProtocolException.Query(ErrorMapping.InvalidQueryParameterValue, "versionid", versionId, "A request names a version or a snapshot, not both.");
        }

        if (versionId is not null && !VersionIds.TryParse(versionId, out _))
        {
            throw BlobProtocolException.Query(ErrorMapping.InvalidQueryParameterValue, "versionid", versionId);
        }

        if (snapshot is not null && !VersionIds.TryParse(snapshot, out _))
        {
            throw BlobProtocolException.Query(ErrorMapping.InvalidQueryParameterValue, "snapshot", snapshot);
        }

        return versionId is null && snapshot is null ? BlobSelector.Current : new BlobSelector(versionId, snapshot);
    }

    /// <summary>x-ms-version-id and x-ms-is-current-version, for a blob written while versioning was on.</summary>
    private static void WriteVersionHeaders(HttpResponse response, BlobRecord record, bool isCurrent)
    {
        if (record.VersionId is { } versionId)
        {
            response.Headers[VersionIdHeader] = versionId;
            response.Headers["x-ms-is-current-version"] = isCurrent ? "true" : "false";
        }
    }

    /// <summary>The x-ms-copy-* properties of a blob a copy made (always complete: copies are synchronous here).</summary>
    private static void WriteCopyHeaders(HttpResponse response, BlobRecord record)
    {
        if (record.Copy is { } copy)
        {
            var length = record.ContentLength.ToString(System.Globalization.CultureInfo.InvariantCulture);
            response.Headers["x-ms-copy-id"] = copy.CopyId;
            response.Headers["x-ms-copy-source"] = copy.Source;
            response.Headers["x-ms-copy-status"] = "success";
            response.Headers["x-ms-copy-progress"] = length + "/" + length;
            response.Headers["x-ms-copy-completion-time"] = Http.FormatDate(copy.CompletedOn);
        }
    }

    private static void WriteVersionId(HttpResponse response, string? versionId)
    {
        if (versionId is not null)
        {
            response.Headers[VersionIdHeader] = versionId;
        }
    }

    /// <summary>List Blobs' include values that list instances: snapshots, versions, deleted (deletedwithversions lists as deleted).</summary>
    private static BlobListIncludes ParseBlobIncludes(RequestTarget target)
    {
        bool snapshots = false, versions = false, deleted = false;
        foreach (var parameter in target.Query)
        {
            if (!string.Equals(parameter.Name, "include", StringComparison.OrdinalIgnoreCase) || string.IsNullOrEmpty(parameter.Value))
            {
                continue;
            }

            foreach (var value in parameter.Value.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries))
            {
                snapshots |= value.Equals("snapshots", StringComparison.OrdinalIgnoreCase);
                versions |= value.Equals("versions", StringComparison.OrdinalIgnoreCase);
                deleted |= value.Equals("deleted", StringComparison.OrdinalIgnoreCase) || value.Equals("deletedwithversions", StringComparison.OrdinalIgnoreCase);
            }
        }

        return new BlobListIncludes(snapshots, versions, deleted);
    }

    private async Task UndeleteBlobAsync(HttpContext context, RequestTarget target, string container, string blob)
    {
        RejectUnsupportedBlobFeatures(target, context.Request.Headers);
        await blobs.UndeleteBlobAsync(target.Account, container, blob, context.RequestAborted).ConfigureAwait(false);
        context.Response.StatusCode = StatusCodes.Status200OK;
        context.Response.ContentLength = 0;
    }

    /// <summary>
    /// Copy Blob and Copy Blob From URL (x-ms-requires-sync: true), synchronous, from a blob,
    /// version or snapshot of the same account on this server, authorised by this request's own
    /// credentials. Anything else as source is 404 CannotVerifyCopySource (a malformed URL: 400
    /// InvalidHeaderValue). 202 with x-ms-copy-status: success.
    /// </summary>
    private async Task CopyBlobAsync(HttpContext context, RequestTarget target, string container, string blob)
    {
        var headers = context.Request.Headers;
        RejectUnsupportedBlobFeatures(target, headers);
        var requiresSync = RequestHeaders.Get(headers, "x-ms-requires-sync");
        if (requiresSync is not null && !string.Equals(requiresSync, "true", StringComparison.OrdinalIgnoreCase))
        {
            throw BlobProtocolException.Header(ErrorMapping.InvalidHeaderValue, "x-ms-requires-sync", requiresSync);
        }

        var copySource = await ReadFromUrlSourceAsync(context, target).ConfigureAwait(false);
        var (sourceUrl, sourceContainer, sourceBlob, sourceSelector) = (copySource.Url, copySource.Container, copySource.Blob, copySource.Selector);
        var encryption = EncryptionHeaders.ReadOptions(context.Request, write: true, scopeAllowed: true);
        using var customerKey = encryption.CustomerKey;
        var metadata = RequestHeaders.ReadMetadata(headers);
        var request = new CopyBlobRequest(
            target.Account,
            container,
            blob,
            sourceUrl,
            sourceContainer,
            sourceBlob,
            sourceSelector,
            metadata.Count == 0 ? null : metadata,
            RequestHeaders.ReadConditions(headers))
        {
            Encryption = encryption,
            Tags = RequestHeaders.ReadTags(headers),
            SourceConditions = ReadSourceConditions(headers),
            SourceAccount = copySource.Account,
            AccessTier = ReadAccessTier(headers),
        };
        var result = await blobs.CopyBlobAsync(request, context.RequestAborted).ConfigureAwait(false);
        var response = context.Response;
        response.StatusCode = StatusCodes.Status202Accepted;
        WriteETagAndLastModified(response, result.ETag, result.LastModified);
        response.Headers["x-ms-copy-id"] = result.CopyId;
        response.Headers["x-ms-copy-status"] = "success";
        WriteVersionId(response, result.VersionId);
        EncryptionHeaders.WriteWriteResponse(response, result.EncryptionScope, null);
        response.ContentLength = 0;
    }

    private bool IsThisServer(HttpContext context, Uri uri)
    {
        if (options.ServiceEndpointOverride is { } endpoint && Uri.TryCreate(endpoint, UriKind.Absolute, out var configured)
            && string.Equals(configured.Authority, uri.Authority, StringComparison.OrdinalIgnoreCase))
        {
            return true;
        }

        return string.Equals(context.Request.Host.Value, uri.Authority, StringComparison.OrdinalIgnoreCase)
            && string.Equals(context.Request.Scheme, uri.Scheme, StringComparison.OrdinalIgnoreCase);
    }
}
