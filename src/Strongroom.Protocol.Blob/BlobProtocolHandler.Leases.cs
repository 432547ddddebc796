using System.Globalization;
using Microsoft.AspNetCore.Http;
using Strongroom.Blobs;
using Strongroom.Core;

namespace Strongroom.Protocol.Blob;

// Lease Blob and Lease Container (issue 8, leases).
public sealed partial class BlobProtocolHandler
{
    private async Task LeaseBlobAsync(HttpContext context, RequestTarget target, string container, string blob)
    {
        if (target.HasQuery("snapshot") || target.HasQuery("versionid"))
        {
            // Azure leases only the base blob.
            throw BlobProtocolException.Query(ErrorMapping.InvalidQueryParameterValue, target.HasQuery("snapshot") ? "snapshot" : "versionid", target.GetQuery("snapshot") ?? target.GetQuery("versionid"));
        }

        var headers = context.Request.Headers;
        var request = ReadLeaseRequest(headers);
        var conditions = RequestHeaders.ReadConditions(headers) with { LeaseId = null };
        var result = await blobs.LeaseBlobAsync(target.Account, container, blob, request, conditions, context.RequestAborted).ConfigureAwait(false);
        WriteLeaseResponse(context.Response, request, result);
    }

    private async Task LeaseContainerAsync(HttpContext context, string account, string container)
    {
        var headers = context.Request.Headers;
        var request = ReadLeaseRequest(headers);

        // Lease Container takes only the date conditions (Azure).
        var read = RequestHeaders.ReadConditions(headers);
        var conditions = new AccessConditions(IfModifiedSince: read.IfModifiedSince, IfUnmodifiedSince: read.IfUnmodifiedSince);
        var result = await blobs.LeaseContainerAsync(account, container, request, conditions, context.RequestAborted).ConfigureAwait(false);
        WriteLeaseResponse(context.Response, request, result);
    }

    /// <summary>
    /// x-ms-lease-action and the headers each action needs (Azure: a missing one is 400
    /// MissingRequiredHeader, a malformed one 400 InvalidHeaderValue): acquire needs
    /// x-ms-lease-duration (-1 or 15–60) and may propose an id; renew and release need
    /// x-ms-lease-id; change needs both ids; break may give x-ms-lease-break-period (0–60).
    /// </summary>
    private static LeaseRequest ReadLeaseRequest(IHeaderDictionary headers)
    {
        const string ActionHeader = "x-ms-lease-action";
        const string ProposedHeader = "x-ms-proposed-lease-id";
        const string DurationHeader = "x-ms-lease-duration";
        const string BreakPeriodHeader = "x-ms-lease-break-period";
        var actionText = RequestHeaders.Get(headers, ActionHeader)
            ?? throw BlobProtocolException.Header(ErrorMapping.MissingRequiredHeader, ActionHeader, null);
        var action = actionText.ToLowerInvariant() switch
        {
            "acquire" => LeaseAction.Acquire,
            "renew" => LeaseAction.Renew,
            "change" => LeaseAction.Change,
            "release" => LeaseAction.Release,
            "break" => LeaseAction.Break,
            _ => throw BlobProtocolException.Header(ErrorMapping.InvalidHeaderValue, ActionHeader, actionText),
        };

        var leaseId = RequestHeaders.ReadLeaseId(headers, RequestHeaders.LeaseIdHeader);
        var proposed = RequestHeaders.ReadLeaseId(headers, ProposedHeader);
        if (action is LeaseAction.Renew or LeaseAction.Change or LeaseAction.Release && leaseId is null)
        {
            throw BlobProtocolException.Header(ErrorMapping.MissingRequiredHeader, RequestHeaders.LeaseIdHeader, null);
        }

        if (action == LeaseAction.Change && proposed is null)
        {
            throw BlobProtocolException.Header(ErrorMapping.MissingRequiredHeader, ProposedHeader, null);
        }

        int? duration = null;
        if (action == LeaseAction.Acquire)
        {
            var text = RequestHeaders.Get(headers, DurationHeader)
                ?? throw BlobProtocolException.Header(ErrorMapping.MissingRequiredHeader, DurationHeader, null);
            if (!int.TryParse(text, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var seconds)
                || (seconds != Leases.InfiniteDuration && (seconds < Limits.LeaseDurationSecondsMin || seconds > Limits.LeaseDurationSecondsMax)))
            {
                throw BlobProtocolException.Header(ErrorMapping.InvalidHeaderValue, DurationHeader, text);
            }

            duration = seconds;
        }

        int? breakPeriod = null;
        if (action == LeaseAction.Break && RequestHeaders.Get(headers, BreakPeriodHeader) is { } periodText)
        {
            if (!int.TryParse(periodText, NumberStyles.None, CultureInfo.InvariantCulture, out var period) || period > Limits.LeaseBreakPeriodSecondsMax)
            {
                throw BlobProtocolException.Header(ErrorMapping.InvalidHeaderValue, BreakPeriodHeader, periodText);
            }

            breakPeriod = period;
        }

        return new LeaseRequest(action, leaseId, proposed, duration, breakPeriod);
    }

    /// <summary>Acquire 201, Renew/Change/Release 200, Break 202; x-ms-lease-id except on Release and Break, x-ms-lease-time on Break.</summary>
    private static void WriteLeaseResponse(HttpResponse response, LeaseRequest request, LeaseResult result)
    {
        response.StatusCode = request.Action switch
        {
            LeaseAction.Acquire => StatusCodes.Status201Created,
            LeaseAction.Break => StatusCodes.Status202Accepted,
            _ => StatusCodes.Status200OK,
        };
        WriteETagAndLastModified(response, result.ETag, result.LastModified);
        if (result.LeaseId is { } leaseId)
        {
            response.Headers[RequestHeaders.LeaseIdHeader] = leaseId;
        }

        if (result.LeaseTimeSeconds is { } seconds)
        {
            response.Headers["x-ms-lease-time"] = seconds.ToString(CultureInfo.InvariantCulture);
        }

        response.ContentLength = 0;
    }

    /// <summary>x-ms-lease-status, x-ms-lease-state and, while leased, x-ms-lease-duration (Get Blob, Get Blob Properties, Get Container Properties).</summary>
    private static void WriteLeaseHeaders(IHeaderDictionary headers, LeaseView lease)
    {
        headers["x-ms-lease-status"] = lease.StatusName;
        headers["x-ms-lease-state"] = lease.StateName;
        if (lease.DurationName is { } duration)
        {
            headers["x-ms-lease-duration"] = duration;
        }
    }
}
