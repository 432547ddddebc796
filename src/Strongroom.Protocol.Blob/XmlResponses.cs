using System.Globalization;
using System.IO.Pipelines;
using System.Text;
using System.Xml;
using Strongroom.Blobs;
using Strongroom.Core;

namespace Strongroom.Protocol.Blob;

/// <summary>What a List Containers request asked for; echoed into the response as Azure does.</summary>
public sealed record ContainerListRequest(string? Prefix, string? Marker, string? MaxResultsText, bool IncludeMetadata)
{
    /// <summary>The time a deleted container's RemainingRetentionDays counts from.</summary>
    public DateTimeOffset Now { get; init; }
}

/// <summary>What a List Blobs request asked for; echoed into the response as Azure does.</summary>
public sealed record BlobListRequest(string Container, string? Prefix, string? Marker, string? MaxResultsText, string? Delimiter, bool IncludeMetadata)
{
    /// <summary>The time a soft-deleted entry's RemainingRetentionDays counts from.</summary>
    public DateTimeOffset Now { get; init; }

    /// <summary><c>include=legalhold</c>: each blob's <c>LegalHold</c> property.</summary>
    public bool IncludeLegalHold { get; init; }

    /// <summary><c>include=tags</c>: each tagged blob's <c>&lt;Tags&gt;</c> (issue 8).</summary>
    public bool IncludeTags { get; init; }
    /// <summary><c>include=copy</c>: each copied blob's <c>Copy*</c> properties (issue 8).</summary>
    public bool IncludeCopy { get; init; }
}

/// <summary>
/// The XML bodies of the Blob API, written with XmlWriter and streamed: the pipe is flushed
/// every few entries so a 5000-entry listing is never held whole.
/// </summary>
public static class XmlResponses
{
    public const string DefaultEncryptionScope = "$account-encryption-key";
    private const int EntriesPerFlush = 64;

    private static readonly XmlWriterSettings Settings = new()
    {
        Encoding = new UTF8Encoding(encoderShouldEmitUTF8Identifier: false),
        Indent = false,
        CloseOutput = false,
        CheckCharacters = true,
    };

    public static async Task WriteContainerListAsync(PipeWriter output, string serviceEndpoint, ContainerListRequest request, ContainerListing listing, CancellationToken cancellationToken)
    {
        await using var stream = new PipeWriterStream(output);
        using var xml = XmlWriter.Create(stream, Settings);
        xml.WriteStartDocument();
        xml.WriteStartElement("EnumerationResults");
        xml.WriteAttributeString("ServiceEndpoint", serviceEndpoint);
        WriteEcho(xml, "Prefix", request.Prefix);
        WriteEcho(xml, "Marker", request.Marker);
        WriteEcho(xml, "MaxResults", request.MaxResultsText);
        xml.WriteStartElement("Containers");
        var written = 0;
        var live = 0;
        var deleted = 0;
        while (live < listing.Containers.Count || deleted < listing.Deleted.Count)
        {
            // Both lists are in name order; a live container comes before the deleted ones of its name.
            if (deleted == listing.Deleted.Count
                || (live < listing.Containers.Count && string.CompareOrdinal(listing.Containers[live].Name, listing.Deleted[deleted].Container.Name) <= 0))
            {
                WriteContainer(xml, listing.Containers[live++], null, request.IncludeMetadata, request.Now);
            }
            else
            {
                WriteContainer(xml, listing.Deleted[deleted].Container, listing.Deleted[deleted], request.IncludeMetadata, request.Now);
                deleted++;
            }

            if (++written % EntriesPerFlush == 0)
            {
                await FlushAsync(xml, output, cancellationToken).ConfigureAwait(false);
            }
        }

        xml.WriteEndElement();
        xml.WriteElementString("NextMarker", listing.NextMarker ?? string.Empty);
        xml.WriteEndElement();
        xml.WriteEndDocument();
        await FlushAsync(xml, output, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>
    /// One <c>Container</c> entry, in Azure's element order; a soft-deleted one (<paramref name="deleted"/>)
    /// adds <c>Deleted</c>, <c>Version</c>, and <c>DeletedTime</c> and <c>RemainingRetentionDays</c> (whole
    /// days left, rounded up) in its properties.
    /// </summary>
    private static void WriteContainer(XmlWriter xml, ContainerRecord container, DeletedContainer? deleted, bool includeMetadata, DateTimeOffset now)
    {
        xml.WriteStartElement("Container");
        WriteName(xml, container.Name);
        if (deleted is not null)
        {
            xml.WriteElementString("Deleted", "true");
            xml.WriteElementString("Version", deleted.Version);
        }

        xml.WriteStartElement("Properties");
        xml.WriteElementString("Last-Modified", Http.FormatDate(container.LastModified));
        xml.WriteElementString("Etag", Http.UnquotedETag(container.ETag));
        WriteLease(xml, Leases.View(container.Lease, container.LastModified, now));
        xml.WriteElementString("DefaultEncryptionScope", container.DefaultEncryptionScope ?? DefaultEncryptionScope);
        xml.WriteElementString("DenyEncryptionScopeOverride", container.DenyEncryptionScopeOverride ? "true" : "false");
        xml.WriteElementString("HasImmutabilityPolicy", "false");
        xml.WriteElementString("HasLegalHold", container.HasLegalHold ? "true" : "false");
        if (deleted is not null)
        {
            xml.WriteElementString("DeletedTime", Http.FormatDate(deleted.DeletedOn));
            var remaining = Math.Max(0, (int)Math.Ceiling((deleted.PurgeOn - now).TotalDays));
            xml.WriteElementString("RemainingRetentionDays", remaining.ToString(CultureInfo.InvariantCulture));
        }

        xml.WriteElementString("ImmutableStorageWithVersioningEnabled", "false");
        xml.WriteEndElement();
        if (includeMetadata)
        {
            WriteMetadata(xml, container.Metadata);
        }

        xml.WriteEndElement();
    }

    public static async Task WriteBlobListAsync(PipeWriter output, string serviceEndpoint, BlobListRequest request, BlobListing listing, CancellationToken cancellationToken)
    {
        await using var stream = new PipeWriterStream(output);
        using var xml = XmlWriter.Create(stream, Settings);
        xml.WriteStartDocument();
        xml.WriteStartElement("EnumerationResults");
        xml.WriteAttributeString("ServiceEndpoint", serviceEndpoint);
        xml.WriteAttributeString("ContainerName", request.Container);
        WriteEcho(xml, "Prefix", request.Prefix);
        WriteEcho(xml, "Marker", request.Marker);
        WriteEcho(xml, "MaxResults", request.MaxResultsText);
        WriteEcho(xml, "Delimiter", request.Delimiter);
        xml.WriteStartElement("Blobs");
        var written = 0;
        foreach (var item in listing.Items)
        {
            if (item.Blob is { } blob)
            {
                WriteBlob(xml, blob, request.IncludeMetadata, request.IncludeLegalHold, item.Instance, request.Now, request.IncludeTags, request.IncludeCopy);
            }
            else if (item.Prefix is { } prefix)
            {
                xml.WriteStartElement("BlobPrefix");
                WriteName(xml, prefix);
                xml.WriteEndElement();
            }

            if (++written % EntriesPerFlush == 0)
            {
                await FlushAsync(xml, output, cancellationToken).ConfigureAwait(false);
            }
        }

        xml.WriteEndElement();
        xml.WriteElementString("NextMarker", listing.NextMarker ?? string.Empty);
        xml.WriteEndElement();
        xml.WriteEndDocument();
        await FlushAsync(xml, output, cancellationToken).ConfigureAwait(false);
    }

    public static async Task WriteBlockListAsync(PipeWriter output, BlockListResult result, BlockListType type, CancellationToken cancellationToken)
    {
        await using var stream = new PipeWriterStream(output);
        using var xml = XmlWriter.Create(stream, Settings);
        xml.WriteStartDocument();
        xml.WriteStartElement("BlockList");
        var written = 0;
        await WriteBlocksAsync("CommittedBlocks", type is BlockListType.Committed or BlockListType.All, result.Committed).ConfigureAwait(false);
        await WriteBlocksAsync("UncommittedBlocks", type is BlockListType.Uncommitted or BlockListType.All, result.Uncommitted).ConfigureAwait(false);
        xml.WriteEndElement();
        xml.WriteEndDocument();
        await FlushAsync(xml, output, cancellationToken).ConfigureAwait(false);

        // The element is always written; its blocks only when the requested list type includes them.
        async Task WriteBlocksAsync(string element, bool included, IReadOnlyList<BlockInfo> blocks)
        {
            xml.WriteStartElement(element);
            if (included)
            {
                foreach (var block in blocks)
                {
                    WriteBlock(xml, block);
                    if (++written % (EntriesPerFlush * 16) == 0)
                    {
                        await FlushAsync(xml, output, cancellationToken).ConfigureAwait(false);
                    }
                }
            }

            xml.WriteEndElement();
        }
    }

    /// <summary>
    /// Azure's error body. <paramref name="message"/> gets the request id and time appended on
    /// separate lines, as Azure writes them.
    /// </summary>
    /// <summary>
    /// Get Blob Service Stats: <c>StorageServiceStats/GeoReplication/{Status, LastSyncTime}</c>,
    /// the status in Azure's lowercase (<c>live</c>, <c>bootstrap</c>, <c>unavailable</c>) and the
    /// time in RFC 1123. Azure's page says the time "may be empty" while bootstrapping or
    /// unavailable; the .NET SDK (12.x) fails to parse an empty element but skips a missing one,
    /// so an unknown time is left out rather than written empty.
    /// </summary>
    public static byte[] ServiceStatsBody(GeoReplicationStats stats)
    {
        ArgumentNullException.ThrowIfNull(stats);
        using var buffer = new MemoryStream();
        using (var xml = XmlWriter.Create(buffer, Settings))
        {
            xml.WriteStartDocument();
            xml.WriteStartElement("StorageServiceStats");
            xml.WriteStartElement("GeoReplication");
            xml.WriteElementString("Status", stats.Status switch
            {
                GeoReplicationStatus.Live => "live",
                GeoReplicationStatus.Bootstrap => "bootstrap",
                _ => "unavailable",
            });
            if (stats.LastSyncTime is { } time)
            {
                xml.WriteElementString("LastSyncTime", Http.FormatDate(time));
            }

            xml.WriteEndElement();
            xml.WriteEndElement();
            xml.WriteEndDocument();
        }

        return buffer.ToArray();
    }

    public static byte[] ErrorBody(string code, string message, string requestId, DateTimeOffset time, IReadOnlyList<KeyValuePair<string, string>> details)
    {
        using var buffer = new MemoryStream(256);
        using (var xml = XmlWriter.Create(buffer, Settings))
        {
            xml.WriteStartDocument();
            xml.WriteStartElement("Error");
            xml.WriteElementString("Code", code);
            xml.WriteElementString("Message", string.Concat(
                SafeText(message), "\nRequestId:", requestId, "\nTime:",
                time.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss.fffffff'Z'", CultureInfo.InvariantCulture)));
            foreach (var (name, value) in details)
            {
                xml.WriteElementString(name, SafeText(value));
            }

            xml.WriteEndElement();
            xml.WriteEndDocument();
        }

        return buffer.ToArray();
    }

    /// <summary>
    /// One &lt;Blob&gt;. Azure's elements for versions, snapshots and soft delete follow the name
    /// (Deleted, Snapshot, VersionId, IsCurrentVersion) and end the properties (DeletedTime,
    /// RemainingRetentionDays); each appears only where it applies, so a listing of an account
    /// without versioning or soft delete is unchanged.
    /// </summary>
    private static void WriteBlob(XmlWriter xml, BlobRecord blob, bool includeMetadata, bool includeLegalHold, BlobInstance? instance = null, DateTimeOffset now = default, bool includeTags = false, bool includeCopy = false)
    {
        xml.WriteStartElement("Blob");
        WriteName(xml, blob.Name);
        if (instance is { IsDeleted: true })
        {
            xml.WriteElementString("Deleted", "true");
        }

        if (instance is { Kind: BlobInstanceKind.Snapshot })
        {
            xml.WriteElementString("Snapshot", instance.InstanceId);
        }

        if (blob.VersionId is { } versionId)
        {
            xml.WriteElementString("VersionId", versionId);
            if (instance is null || instance.Kind == BlobInstanceKind.Version)
            {
                xml.WriteElementString("IsCurrentVersion", instance is null ? "true" : "false");
            }
        }

        xml.WriteStartElement("Properties");
        xml.WriteElementString("Creation-Time", Http.FormatDate(blob.CreatedOn));
        xml.WriteElementString("Last-Modified", Http.FormatDate(blob.LastModified));
        xml.WriteElementString("Etag", Http.UnquotedETag(blob.ETag));
        xml.WriteElementString("Content-Length", blob.ContentLength.ToString(CultureInfo.InvariantCulture));
        var headers = blob.Headers;
        xml.WriteElementString("Content-Type", SafeText(headers.ContentType ?? Http.DefaultContentType));
        xml.WriteElementString("Content-Encoding", SafeText(headers.ContentEncoding ?? string.Empty));
        xml.WriteElementString("Content-Language", SafeText(headers.ContentLanguage ?? string.Empty));
        xml.WriteElementString("Content-MD5", headers.ContentMd5 is { } md5 ? Convert.ToBase64String(md5) : string.Empty);
        xml.WriteElementString("Content-Disposition", SafeText(headers.ContentDisposition ?? string.Empty));
        xml.WriteElementString("Cache-Control", SafeText(headers.CacheControl ?? string.Empty));
        if (blob.BlobType == BlobType.PageBlob)
        {
            xml.WriteElementString("x-ms-blob-sequence-number", blob.SequenceNumber.ToString(CultureInfo.InvariantCulture));
        }

        xml.WriteElementString("BlobType", blob.BlobType.ToString());
        CopyResponses.WriteAccessTier(xml, blob);
        if (includeCopy)
        {
            CopyResponses.WriteCopy(xml, blob);
        }
        WriteLease(xml, Leases.View(blob.Lease, blob.LastModified, now));
        xml.WriteElementString("ServerEncrypted", "true");
        if (blob.BlobType == BlobType.AppendBlob)
        {
            xml.WriteElementString("Sealed", blob.IsSealed ? "true" : "false");
        }

        if (blob.CustomerKeySha256 is { } keySha256)
        {
            xml.WriteElementString("CustomerProvidedKeySha256", Convert.ToBase64String(keySha256));
        }

        if (blob.EncryptionScope is { } scope)
        {
            xml.WriteElementString("EncryptionScope", scope);
        }

        if (instance is { DeletedOn: { } deletedOn, PurgeOn: { } purgeOn })
        {
            xml.WriteElementString("DeletedTime", Http.FormatDate(deletedOn));
            var remaining = Math.Max(0, (int)Math.Ceiling((purgeOn - now).TotalDays));
            xml.WriteElementString("RemainingRetentionDays", remaining.ToString(CultureInfo.InvariantCulture));
        }

        if (includeLegalHold)
        {
            xml.WriteElementString("LegalHold", blob.LegalHold ? "true" : "false");
        }

        if (blob.Tags.Count > 0)
        {
            xml.WriteElementString("TagCount", blob.Tags.Count.ToString(CultureInfo.InvariantCulture));
        }

        xml.WriteEndElement();
        if (includeMetadata)
        {
            WriteMetadata(xml, blob.Metadata);
        }

        if (includeTags)
        {
            TagsXml.WriteListingTags(xml, blob.Tags);
        }

        xml.WriteEndElement();
    }

    private static void WriteBlock(XmlWriter xml, BlockInfo block)
    {
        xml.WriteStartElement("Block");
        xml.WriteElementString("Name", block.BlockId);
        xml.WriteElementString("Size", block.Size.ToString(CultureInfo.InvariantCulture));
        xml.WriteEndElement();
    }

    private static void WriteMetadata(XmlWriter xml, IReadOnlyList<KeyValuePair<string, string>> metadata)
    {
        xml.WriteStartElement("Metadata");
        foreach (var (name, value) in metadata)
        {
            // A C# identifier is almost always an XML name; Azure lists the rare exception
            // under this placeholder rather than failing the whole listing.
            xml.WriteElementString(IsXmlName(name) ? name : "x-ms-invalid-name", SafeText(value));
        }

        xml.WriteEndElement();
    }

    /// <summary>
    /// A blob name with characters XML cannot carry is written percent-encoded with
    /// <c>Encoded="true"</c>, as Azure does; the SDK decodes it.
    /// </summary>
    private static void WriteName(XmlWriter xml, string name)
    {
        xml.WriteStartElement("Name");
        if (IsXmlText(name))
        {
            xml.WriteString(name);
        }
        else
        {
            xml.WriteAttributeString("Encoded", "true");
            xml.WriteString(Uri.EscapeDataString(name));
        }

        xml.WriteEndElement();
    }

    private static void WriteEcho(XmlWriter xml, string element, string? value)
    {
        if (value is not null)
        {
            xml.WriteElementString(element, SafeText(value));
        }
    }

    private static async Task FlushAsync(XmlWriter xml, PipeWriter output, CancellationToken cancellationToken)
    {
        xml.Flush();
        await output.FlushAsync(cancellationToken).ConfigureAwait(false);
    }

    private static bool IsXmlText(string text)
    {
        for (var i = 0; i < text.Length; i++)
        {
            var c = text[i];
            if (XmlConvert.IsXmlChar(c))
            {
                continue;
            }

            if (i + 1 < text.Length && XmlConvert.IsXmlSurrogatePair(text[i + 1], c))
            {
                i++;
                continue;
            }

            return false;
        }

        return true;
    }

    /// <summary>Values from clients may hold characters XML cannot carry; drop those rather than fail mid-stream.</summary>
    private static string SafeText(string text)
    {
        if (IsXmlText(text))
        {
            return text;
        }

        var builder = new StringBuilder(text.Length);
        for (var i = 0; i < text.Length; i++)
        {
            var c = text[i];
            if (XmlConvert.IsXmlChar(c))
            {
                builder.Append(c);
            }
            else if (i + 1 < text.Length && XmlConvert.IsXmlSurrogatePair(text[i + 1], c))
            {
                builder.Append(c).Append(text[i + 1]);
                i++;
            }
        }

        return builder.ToString();
    }

    private static bool IsXmlName(string name)
    {
        if (name.Length == 0 || !XmlConvert.IsStartNCNameChar(name[0]))
        {
            return false;
        }

        for (var i = 1; i < name.Length; i++)
        {
            if (!XmlConvert.IsNCNameChar(name[i]))
            {
                return false;
            }
        }

        return true;
    }

    /// <summary>&lt;LeaseStatus&gt;, &lt;LeaseState&gt; and, while leased, &lt;LeaseDuration&gt; (issue 8, leases).</summary>
    private static void WriteLease(XmlWriter xml, LeaseView lease)
    {
        xml.WriteElementString("LeaseStatus", lease.StatusName);
        xml.WriteElementString("LeaseState", lease.StateName);
        if (lease.DurationName is { } duration)
        {
            xml.WriteElementString("LeaseDuration", duration);
        }
    }
}
