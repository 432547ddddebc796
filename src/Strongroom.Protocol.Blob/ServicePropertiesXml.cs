using System.Globalization;
using System.Text;
using System.Xml;
using Strongroom.Core;

namespace Strongroom.Protocol.Blob;

/// <summary>What a Set Blob Service Properties body says of DeleteRetentionPolicy; null days: off.</summary>
public sealed record DeleteRetentionPolicyRequest(int? Days, bool AllowPermanentDelete);

/// <summary>
/// Get/Set Blob Service Properties bodies (<c>StorageServiceProperties</c>). Only
/// DeleteRetentionPolicy is a setting here (issue 7); Logging, HourMetrics, MinuteMetrics, Cors,
/// DefaultServiceVersion and StaticWebsite are answered with Azure's defaults (off) and accepted
/// and ignored on Set until issue 8. DTDs are refused; the caller bounds the body.
/// </summary>
public static class ServicePropertiesXml
{
    private static readonly XmlReaderSettings ReadSettings = new()
    {
        DtdProcessing = DtdProcessing.Prohibit,
        XmlResolver = null,
        IgnoreComments = true,
        IgnoreWhitespace = true,
        IgnoreProcessingInstructions = true,
        MaxCharactersInDocument = Limits.ServicePropertiesXmlBytesMax,
        CloseInput = true,
    };

    private static readonly XmlWriterSettings WriteSettings = new()
    {
        Encoding = new UTF8Encoding(encoderShouldEmitUTF8Identifier: false),
        Indent = false,
        CloseOutput = false,
    };

    /// <summary>
    /// The DeleteRetentionPolicy of a Set body, or null when the body has none (the setting is then
    /// kept, as Azure keeps any element a Set leaves out). Malformed XML → 400 InvalidXmlDocument;
    /// a value that does not parse, or Enabled without Days → 400 InvalidXmlNodeValue (the range of
    /// Days is the service's check).
    /// </summary>
    public static DeleteRetentionPolicyRequest? ParseDeleteRetentionPolicy(byte[] buffer, int length)
    {
        try
        {
            using var stream = new MemoryStream(buffer, 0, length, writable: false);
            using var reader = XmlReader.Create(stream, ReadSettings);
            if (reader.MoveToContent() != XmlNodeType.Element || reader.LocalName != "StorageServiceProperties")
            {
                throw new BlobProtocolException(ErrorMapping.InvalidXmlDocument);
            }

            DeleteRetentionPolicyRequest? policy = null;
            while (reader.Read())
            {
                if (reader.NodeType == XmlNodeType.Element && reader.Depth == 1 && reader.LocalName == "DeleteRetentionPolicy")
                {
                    policy = ReadPolicy(reader);
                }
            }

            return policy;
        }
        catch (XmlException)
        {
            throw new BlobProtocolException(ErrorMapping.InvalidXmlDocument);
        }
    }

    private static DeleteRetentionPolicyRequest ReadPolicy(XmlReader reader)
    {
        bool? enabled = null;
        int? days = null;
        var allowPermanentDelete = false;
        if (reader.IsEmptyElement)
        {
            throw new BlobProtocolException(ErrorMapping.InvalidXmlNodeValue);
        }

        var depth = reader.Depth;
        reader.Read();
        while (!(reader.NodeType == XmlNodeType.EndElement && reader.Depth == depth))
        {
            if (reader.NodeType != XmlNodeType.Element)
            {
                reader.Read();
                continue;
            }

            var name = reader.LocalName;
            var text = reader.ReadElementContentAsString().Trim();
            switch (name)
            {
                case "Enabled":
                    enabled = ParseBoolean(text);
                    break;
                case "Days":
                    days = int.TryParse(text, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var value)
                        ? value
                        : throw new BlobProtocolException(ErrorMapping.InvalidXmlNodeValue);
                    break;
                case "AllowPermanentDelete":
                    allowPermanentDelete = ParseBoolean(text);
                    break;
            }
        }

        return enabled switch
        {
            null => throw new BlobProtocolException(ErrorMapping.InvalidXmlNodeValue),
            false => new DeleteRetentionPolicyRequest(null, allowPermanentDelete),
            true => new DeleteRetentionPolicyRequest(days ?? throw new BlobProtocolException(ErrorMapping.InvalidXmlNodeValue), allowPermanentDelete),
        };
    }

    private static bool ParseBoolean(string text) =>
        bool.TryParse(text, out var value) ? value : throw new BlobProtocolException(ErrorMapping.InvalidXmlNodeValue);

    /// <summary>The Get body: Azure's defaults for what issue 8 will configure, and the account's DeleteRetentionPolicy.</summary>
    public static byte[] Body(DataProtectionSettings settings)
    {
        ArgumentNullException.ThrowIfNull(settings);
        using var buffer = new MemoryStream(1024);
        using (var xml = XmlWriter.Create(buffer, WriteSettings))
        {
            xml.WriteStartDocument();
            xml.WriteStartElement("StorageServiceProperties");
            xml.WriteStartElement("Logging");
            xml.WriteElementString("Version", "1.0");
            xml.WriteElementString("Delete", "false");
            xml.WriteElementString("Read", "false");
            xml.WriteElementString("Write", "false");
            WriteRetentionOff(xml);
            xml.WriteEndElement();
            WriteMetrics(xml, "HourMetrics");
            WriteMetrics(xml, "MinuteMetrics");
            xml.WriteStartElement("Cors");
            xml.WriteEndElement();
            xml.WriteStartElement("DeleteRetentionPolicy");
            xml.WriteElementString("Enabled", settings.BlobSoftDeleteDays is null ? "false" : "true");
            if (settings.BlobSoftDeleteDays is { } days)
            {
                xml.WriteElementString("Days", days.ToString(CultureInfo.InvariantCulture));
            }

            xml.WriteElementString("AllowPermanentDelete", settings.AllowPermanentDelete ? "true" : "false");
            xml.WriteEndElement();
            xml.WriteStartElement("StaticWebsite");
            xml.WriteElementString("Enabled", "false");
            xml.WriteEndElement();
            xml.WriteEndElement();
            xml.WriteEndDocument();
        }

        return buffer.ToArray();
    }

    private static void WriteMetrics(XmlWriter xml, string name)
    {
        xml.WriteStartElement(name);
        xml.WriteElementString("Version", "1.0");
        xml.WriteElementString("Enabled", "false");
        WriteRetentionOff(xml);
        xml.WriteEndElement();
    }

    private static void WriteRetentionOff(XmlWriter xml)
    {
        xml.WriteStartElement("RetentionPolicy");
        xml.WriteElementString("Enabled", "false");
        xml.WriteEndElement();
    }
}
