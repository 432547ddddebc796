using System.Globalization;
using System.Text;
using System.Xml;
using Microsoft.AspNetCore.Http;
using Strongroom.Blobs;
using Strongroom.Core;

namespace Strongroom.Protocol.Blob;

// Page blobs (issue 8): Put Blob of a page blob, Put Page (update, clear), Put Page From URL,
// Get Page Ranges (and the diff against a snapshot), and Set Blob Properties' resize and
// sequence-number actions.
public sealed partial class BlobProtocolHandler
{
    private static readonly XmlWriterSettings PageListSettings = new()
    {
        Encoding = new UTF8Encoding(encoderShouldEmitUTF8Identifier: false),
        Indent = false,
        CloseOutput = false,
    };

    /// <summary>Put Blob, x-ms-blob-type: PageBlob. The body is empty (Content-Length: 0); x-ms-blob-content-length is the size.</summary>
    private async Task PutPageBlobAsync(HttpContext context, RequestTarget target, string container, string blob)
    {
        var headers = context.Request.Headers;
        RequireEmptyBody(context);

        var size = ReadLongHeader(headers, "x-ms-blob-content-length")
            ?? throw BlobProtocolException.Header(ErrorMapping.MissingRequiredHeader, "x-ms-blob-content-length", null);
        var sequenceNumber = ReadLongHeader(headers, "x-ms-blob-sequence-number") ?? 0;
        var encryption = EncryptionHeaders.ReadOptions(context.Request, write: true, scopeAllowed: true);
        using var customerKey = encryption.CustomerKey;
        var request = new CreatePageBlobRequest(
            target.Account,
            container,
            blob,
            size,
            sequenceNumber,
            RequestHeaders.ReadBlobHttpHeaders(headers, fallBackToBodyHeaders: true),
            RequestHeaders.ReadMetadata(headers),
            RequestHeaders.ReadConditions(headers))
        {
            Encryption = encryption,
            Tags = RequestHeaders.ReadTags(headers),
        };
        var result = await blobs.CreatePageBlobAsync(request, context.RequestAborted).ConfigureAwait(false);
        WriteBlobCreated(context.Response, result);
    }

    /// <summary>Put Page: x-ms-page-write update (the body is the range) or clear (no body).</summary>
    private async Task PutPageAsync(HttpContext context, RequestTarget target, string container, string blob)
    {
        var headers = context.Request.Headers;
        RejectUnsupportedBlobFeatures(target, headers);
        var clear = ReadPageWriteIsClear(headers);
        var (offset, length) = ReadPageRange(headers);
        var encryption = EncryptionHeaders.ReadOptions(context.Request, write: true, scopeAllowed: true);
        using var customerKey = encryption.CustomerKey;
        var request = new PageWriteRequest(
            target.Account,
            container,
            blob,
            offset,
            length,
            RequestHeaders.ReadConditions(headers),
            ReadSequenceConditions(headers),
            clear ? TransactionalChecksums.None : RequestHeaders.ReadChecksums(headers))
        {
            Encryption = encryption,
        };

        PageWriteResult result;
        var structured = false;
        if (clear)
        {
            RequireEmptyBody(context);

            result = await blobs.ClearPagesAsync(request, context.RequestAborted).ConfigureAwait(false);
        }
        else
        {
            PrepareBody(context, Limits.PutPageBytesMax);
            Stream body;
            (body, structured) = OpenBody(context);
            var declared = structured
                ? long.Parse(RequestHeaders.Get(headers, StructuredMessage.ContentLengthHeader)!, CultureInfo.InvariantCulture)
                : context.Request.ContentLength;
            if (declared is { } bytes && bytes != length)
            {
                throw new StorageException(ErrorCode.InvalidPageRange, "Content-Length differs from the range's length.");
            }

            result = await blobs.PutPagesAsync(request, body, context.RequestAborted).ConfigureAwait(false);
        }

        WritePageWriteResponse(context.Response, result);
        AcknowledgeStructuredBody(context.Response, structured);
    }

    /// <summary>Put Page From URL: a range of a blob of this server (x-ms-copy-source, x-ms-source-range; another account's only with a SAS in the URL, as Put Block From URL) written into the range.</summary>
    private async Task PutPageFromUrlAsync(HttpContext context, RequestTarget target, string container, string blob)
    {
        var headers = context.Request.Headers;
        RejectUnsupportedBlobFeatures(target, headers);
        if (ReadPageWriteIsClear(headers))
        {
            throw BlobProtocolException.Header(ErrorMapping.InvalidHeaderValue, "x-ms-page-write", RequestHeaders.Get(headers, "x-ms-page-write"));
        }

        RequireEmptyBody(context);

        var (offset, length) = ReadPageRange(headers);
        var sourceText = RequestHeaders.Get(headers, "x-ms-source-range")
            ?? throw BlobProtocolException.Header(ErrorMapping.MissingRequiredHeader, "x-ms-source-range", null);
        if (!RangeHeader.TryParse(sourceText, out var sourceRange) || sourceRange.End is null)
        {
            throw BlobProtocolException.Header(ErrorMapping.InvalidHeaderValue, "x-ms-source-range", sourceText);
        }

        if (sourceRange.RequestedLength != length)
        {
            throw new StorageException(ErrorCode.InvalidPageRange, "The source range's length differs from the range's.");
        }

        var source = await ReadFromUrlSourceAsync(context, target).ConfigureAwait(false);
        var encryption = EncryptionHeaders.ReadOptions(context.Request, write: true, scopeAllowed: true);
        using var customerKey = encryption.CustomerKey;
        var request = new PageWriteRequest(target.Account, container, blob, offset, length, RequestHeaders.ReadConditions(headers), ReadSequenceConditions(headers), TransactionalChecksums.None)
        {
            Encryption = encryption,
        };
        var result = await blobs.PutPagesFromUrlAsync(request, source, ReadSourceConditions(headers), sourceRange.Start, context.RequestAborted).ConfigureAwait(false);
        WritePageWriteResponse(context.Response, result);
    }

    /// <summary>Get Page Ranges: &lt;PageList&gt; of PageRange (and, with prevsnapshot, ClearRange) elements in offset order.</summary>
    private async Task GetPageRangesAsync(HttpContext context, RequestTarget target, string container, string blob)
    {
        var headers = context.Request.Headers;
        RejectUnsupportedBlobFeatures(target, headers, selectorAllowed: true);
        if (RequestHeaders.Get(headers, "x-ms-previous-snapshot-url") is not null)
        {
            throw new BlobProtocolException(ErrorMapping.NotImplemented("Get Page Ranges with x-ms-previous-snapshot-url (managed disks)"));
        }

        var previous = target.GetQuery("prevsnapshot");
        if (previous is not null && !VersionIds.TryParse(previous, out _))
        {
            throw BlobProtocolException.Query(ErrorMapping.InvalidQueryParameterValue, "prevsnapshot", previous);
        }

        // maxresults and marker (2020-10-02): the marker is the offset of the next range to list.
        var maxText = target.GetQuery("maxresults");
        int? maxResults = null;
        if (maxText is not null)
        {
            maxResults = int.TryParse(maxText, NumberStyles.None, CultureInfo.InvariantCulture, out var max) && max > 0
                ? max
                : throw BlobProtocolException.Query(ErrorMapping.InvalidQueryParameterValue, "maxresults", maxText);
        }

        var markerText = target.GetQuery("marker");
        long marker = 0;
        if (!string.IsNullOrEmpty(markerText) && !long.TryParse(markerText, NumberStyles.None, CultureInfo.InvariantCulture, out marker))
        {
            throw BlobProtocolException.Query(ErrorMapping.InvalidQueryParameterValue, "marker", markerText);
        }

        var range = ReadRange(headers);
        var request = new PageRangesRequest(target.Account, container, blob, ReadSelector(target), range?.Start, range?.End, previous, ReadReadConditions(headers));
        var result = await blobs.GetPageRangesAsync(request, context.RequestAborted).ConfigureAwait(false);
        var response = context.Response;
        response.StatusCode = StatusCodes.Status200OK;
        WriteETagAndLastModified(response, result.Blob.ETag, result.Blob.LastModified);
        response.Headers["x-ms-blob-content-length"] = result.Blob.ContentLength.ToString(CultureInfo.InvariantCulture);
        response.ContentType = Http.XmlContentType;
        await using var stream = new PipeWriterStream(response.BodyWriter);
        using (var xml = XmlWriter.Create(stream, PageListSettings))
        {
            xml.WriteStartDocument();
            xml.WriteStartElement("PageList");

            // Both lists are in offset order; Azure interleaves them by offset.
            int page = 0, cleared = 0, listed = 0;
            string? nextMarker = null;
            while (page < result.Pages.Count || cleared < result.Cleared.Count)
            {
                var takePage = cleared >= result.Cleared.Count || (page < result.Pages.Count && result.Pages[page].Start < result.Cleared[cleared].Start);
                var next = takePage ? result.Pages[page++] : result.Cleared[cleared++];
                if (next.Start < marker)
                {
                    continue;
                }

                if (listed == maxResults)
                {
                    nextMarker = next.Start.ToString(CultureInfo.InvariantCulture);
                    break;
                }

                listed++;
                xml.WriteStartElement(takePage ? "PageRange" : "ClearRange");
                xml.WriteElementString("Start", next.Start.ToString(CultureInfo.InvariantCulture));
                xml.WriteElementString("End", next.End.ToString(CultureInfo.InvariantCulture));
                xml.WriteEndElement();
            }

            if (maxResults is not null || markerText is not null)
            {
                xml.WriteElementString("NextMarker", nextMarker ?? string.Empty);
            }

            xml.WriteEndElement();
            xml.WriteEndDocument();
        }

        await response.BodyWriter.FlushAsync(context.RequestAborted).ConfigureAwait(false);
    }

    /// <summary>True when a Set Blob Properties request carries page-blob headers (resize or a sequence-number action).</summary>
    private static bool IsPageBlobPropertiesRequest(IHeaderDictionary headers) =>
        RequestHeaders.Get(headers, "x-ms-blob-content-length") is not null
        || RequestHeaders.Get(headers, "x-ms-sequence-number-action") is not null;

    /// <summary>
    /// Set Blob Properties with x-ms-blob-content-length and/or x-ms-sequence-number-action. The
    /// HTTP properties are left as they are in such a request (what the SDK's Resize and
    /// UpdateSequenceNumber send: nothing else).
    /// </summary>
    private async Task SetPageBlobPropertiesAsync(HttpContext context, RequestTarget target, string container, string blob)
    {
        var headers = context.Request.Headers;
        var size = ReadLongHeader(headers, "x-ms-blob-content-length");
        var actionText = RequestHeaders.Get(headers, "x-ms-sequence-number-action");
        SequenceNumberAction? action = actionText?.ToLowerInvariant() switch
        {
            null => null,
            "max" => SequenceNumberAction.Max,
            "update" => SequenceNumberAction.Update,
            "increment" => SequenceNumberAction.Increment,
            _ => throw BlobProtocolException.Header(ErrorMapping.InvalidHeaderValue, "x-ms-sequence-number-action", actionText),
        };
        var sequenceNumber = ReadLongHeader(headers, "x-ms-blob-sequence-number");
        switch (action)
        {
            case SequenceNumberAction.Max or SequenceNumberAction.Update when sequenceNumber is null:
                throw BlobProtocolException.Header(ErrorMapping.MissingRequiredHeader, "x-ms-blob-sequence-number", null);
            case SequenceNumberAction.Increment when sequenceNumber is not null:
                // Azure: increment takes no value.
                throw BlobProtocolException.Header(ErrorMapping.InvalidHeaderValue, "x-ms-blob-sequence-number", sequenceNumber?.ToString(CultureInfo.InvariantCulture));
            case null when sequenceNumber is not null:
                throw BlobProtocolException.Header(ErrorMapping.MissingRequiredHeader, "x-ms-sequence-number-action", null);
        }

        var result = await blobs.SetPageBlobPropertiesAsync(
            new PageBlobPropertiesRequest(target.Account, container, blob, size, action, sequenceNumber, RequestHeaders.ReadConditions(headers)),
            context.RequestAborted).ConfigureAwait(false);
        var response = context.Response;
        response.StatusCode = StatusCodes.Status200OK;
        WriteETagAndLastModified(response, result.ETag, result.LastModified);
        response.Headers["x-ms-blob-sequence-number"] = result.SequenceNumber.ToString(CultureInfo.InvariantCulture);
        response.ContentLength = 0;
    }

    private static void WritePageWriteResponse(HttpResponse response, PageWriteResult result)
    {
        response.StatusCode = StatusCodes.Status201Created;
        WriteETagAndLastModified(response, result.ETag, result.LastModified);
        WriteChecksums(response, result.ContentMd5, result.ContentCrc64);
        response.Headers["x-ms-blob-sequence-number"] = result.SequenceNumber.ToString(CultureInfo.InvariantCulture);
        EncryptionHeaders.WriteWriteResponse(response, result.EncryptionScope, result.CustomerKeySha256);
        response.ContentLength = 0;
    }

    /// <summary>A page write's range (x-ms-range wins over Range): both ends given. Alignment is the service's check (416 InvalidPageRange).</summary>
    private static (long Offset, long Length) ReadPageRange(IHeaderDictionary headers)
    {
        var name = RequestHeaders.Get(headers, "x-ms-range") is not null ? "x-ms-range" : "Range";
        var text = RequestHeaders.Get(headers, name)
            ?? throw BlobProtocolException.Header(ErrorMapping.MissingRequiredHeader, "x-ms-range", null);
        if (!RangeHeader.TryParse(text, out var range) || range.End is null)
        {
            throw BlobProtocolException.Header(ErrorMapping.InvalidHeaderValue, name, text);
        }

        return (range.Start, range.RequestedLength!.Value);
    }

    private static SequenceNumberConditions ReadSequenceConditions(IHeaderDictionary headers)
    {
        var le = ReadLongHeader(headers, "x-ms-if-sequence-number-le");
        var lt = ReadLongHeader(headers, "x-ms-if-sequence-number-lt");
        var eq = ReadLongHeader(headers, "x-ms-if-sequence-number-eq");
        return le is null && lt is null && eq is null ? SequenceNumberConditions.None : new SequenceNumberConditions(le, lt, eq);
    }

    /// <summary>x-ms-page-write: required, <c>update</c> (false) or <c>clear</c> (true), any case; else 400 InvalidHeaderValue.</summary>
    private static bool ReadPageWriteIsClear(IHeaderDictionary headers)
    {
        var write = RequestHeaders.Get(headers, "x-ms-page-write")
            ?? throw BlobProtocolException.Header(ErrorMapping.MissingRequiredHeader, "x-ms-page-write", null);
        return write.ToLowerInvariant() switch
        {
            "update" => false,
            "clear" => true,
            _ => throw BlobProtocolException.Header(ErrorMapping.InvalidHeaderValue, "x-ms-page-write", write),
        };
    }

    /// <summary>A non-negative decimal header (sizes, sequence numbers), or null when absent; anything else is 400 InvalidHeaderValue.</summary>
    private static long? ReadLongHeader(IHeaderDictionary headers, string name)
    {
        var text = RequestHeaders.Get(headers, name);
        if (text is null)
        {
            return null;
        }

        return long.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var value)
            ? value
            : throw BlobProtocolException.Header(ErrorMapping.InvalidHeaderValue, name, text);
    }
}
