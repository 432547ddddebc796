using System.Globalization;
using System.Xml;
using System.Xml.Linq;
using Strongroom.Core;

namespace Strongroom.Protocol.Blob;

/// <summary>
/// Get/Set Blob Service Properties bodies (<c>StorageServiceProperties</c>), every element Azure
/// has: Logging, HourMetrics, MinuteMetrics, Cors, DefaultServiceVersion, DeleteRetentionPolicy,
/// StaticWebsite. A Set body names one or more of them; each named one must be whole.
/// Refusals, as Azure answers them: a body that does not parse, an element Azure does not know
/// (with <c>Reason: Element 'name' is not recognized.</c>, as Azure says of an empty root), a
/// missing or repeated element, or a Version other than 1.0/2.0 ("Unexpected value for
/// Version.") → 400 InvalidXmlDocument; a value that does not parse or is outside Azure's rules
/// (<see cref="CorsRules.Check"/>) → 400 InvalidXmlNodeValue with <c>XmlNodeName</c> and
/// <c>XmlNodeValue</c>. DTDs are refused; the caller bounds the body.
/// </summary>
public static class ServicePropertiesXml
{
    private static readonly XmlReaderSettings ReadSettings = SafeXml.ReaderSettings(Limits.ServicePropertiesXmlBytesMax);


    /// <summary>What a Set body says (see the class remarks for the refusals).</summary>
    public static BlobServicePropertiesUpdate Parse(byte[] buffer, int length)
    {
        XElement root;
        try
        {
            using var stream = new MemoryStream(buffer, 0, length, writable: false);
            using var reader = XmlReader.Create(stream, ReadSettings);
            root = XElement.Load(reader, LoadOptions.SetLineInfo);
        }
        catch (XmlException exception)
        {
            throw Document(exception.LineNumber, exception.LinePosition, exception.Message);
        }

        if (root.Name.LocalName != "StorageServiceProperties" || !root.Name.NamespaceName.Equals(string.Empty, StringComparison.Ordinal))
        {
            throw Unrecognized(root);
        }

        if (!root.HasElements)
        {
            throw Document(root, "Element '' is not recognized.");
        }

        var update = new BlobServicePropertiesUpdate();
        var seen = new HashSet<string>(StringComparer.Ordinal);
        foreach (var element in root.Elements())
        {
            if (!seen.Add(element.Name.LocalName))
            {
                throw Document(element, $"Element '{element.Name.LocalName}' appears more than once.");
            }

            update = element.Name.LocalName switch
            {
                "Logging" => update with { Logging = ReadLogging(element) },
                "HourMetrics" => update with { HourMetrics = ReadMetrics(element) },
                "MinuteMetrics" => update with { MinuteMetrics = ReadMetrics(element) },
                "Cors" => update with { Cors = ReadCors(element) },
                "DefaultServiceVersion" => update with { DefaultServiceVersion = Leaf(element).Trim() },
                "DeleteRetentionPolicy" => update with { DeleteRetentionPolicy = ReadDeleteRetention(element) },
                "StaticWebsite" => update with { StaticWebsite = ReadStaticWebsite(element) },
                _ => throw Unrecognized(element),
            };
        }

        if (CorsRules.Check(update) is { } violation)
        {
            throw new BlobProtocolException(ErrorMapping.InvalidXmlNodeValue, details: [new("XmlNodeName", violation.NodeName), new("XmlNodeValue", violation.NodeValue)]);
        }

        return update;
    }

    private static AnalyticsLogging ReadLogging(XElement element)
    {
        var children = Children(element, "Version", "Delete", "Read", "Write", "RetentionPolicy");
        return new AnalyticsLogging(
            Version(element, children),
            Boolean(Required(element, children, "Delete")),
            Boolean(Required(element, children, "Read")),
            Boolean(Required(element, children, "Write")),
            ReadRetention(Required(element, children, "RetentionPolicy")));
    }

    private static AnalyticsMetrics ReadMetrics(XElement element)
    {
        var children = Children(element, "Version", "Enabled", "IncludeAPIs", "RetentionPolicy");
        var enabled = Boolean(Required(element, children, "Enabled"));
        bool? includeApis = enabled ? Boolean(Required(element, children, "IncludeAPIs")) : null;
        return new AnalyticsMetrics(Version(element, children), enabled, includeApis, ReadRetention(Required(element, children, "RetentionPolicy")));
    }

    private static AnalyticsRetention ReadRetention(XElement element)
    {
        var children = Children(element, "Enabled", "Days");
        var enabled = Boolean(Required(element, children, "Enabled"));
        if (!enabled)
        {
            return AnalyticsRetention.Off;
        }

        return new AnalyticsRetention(true, Integer(children.GetValueOrDefault("Days") ?? throw NodeValue("Days", string.Empty)));
    }

    private static List<CorsRule> ReadCors(XElement element)
    {
        if (!string.IsNullOrWhiteSpace(string.Concat(element.Nodes().OfType<XText>().Select(text => text.Value))))
        {
            throw NodeValue("Cors", element.Value);
        }

        var rules = new List<CorsRule>();
        foreach (var rule in element.Elements())
        {
            if (rule.Name.LocalName != "CorsRule")
            {
                throw Unrecognized(rule);
            }

            var children = Children(rule, "AllowedOrigins", "AllowedMethods", "AllowedHeaders", "ExposedHeaders", "MaxAgeInSeconds");
            rules.Add(new CorsRule(
                Leaf(Required(rule, children, "AllowedOrigins")),
                Leaf(Required(rule, children, "AllowedMethods")),
                Leaf(Required(rule, children, "AllowedHeaders")),
                Leaf(Required(rule, children, "ExposedHeaders")),
                Integer(Required(rule, children, "MaxAgeInSeconds"))));
        }

        return rules;
    }

    private static DeleteRetentionUpdate ReadDeleteRetention(XElement element)
    {
        var children = Children(element, "Enabled", "Days", "AllowPermanentDelete");
        var enabled = Boolean(Required(element, children, "Enabled"));
        var allowPermanentDelete = children.TryGetValue("AllowPermanentDelete", out var allow) && Boolean(allow);
        if (!enabled)
        {
            return new DeleteRetentionUpdate(null, allowPermanentDelete);
        }

        var days = children.GetValueOrDefault("Days") ?? throw NodeValue("Days", string.Empty);
        return new DeleteRetentionUpdate(Integer(days), allowPermanentDelete);
    }

    private static StaticWebsiteSettings ReadStaticWebsite(XElement element)
    {
        var children = Children(element, "Enabled", "IndexDocument", "ErrorDocument404Path", "DefaultIndexDocumentPath");
        return new StaticWebsiteSettings(
            Boolean(Required(element, children, "Enabled")),
            Optional(children, "IndexDocument"),
            Optional(children, "ErrorDocument404Path"),
            Optional(children, "DefaultIndexDocumentPath"));
    }

    /// <summary>The child elements of <paramref name="element"/> by name; an unknown or repeated one, or text beside them, is refused.</summary>
    private static Dictionary<string, XElement> Children(XElement element, params ReadOnlySpan<string> known)
    {
        var children = new Dictionary<string, XElement>(StringComparer.Ordinal);
        foreach (var child in element.Elements())
        {
            var name = child.Name.LocalName;
            if (!known.Contains(name) || !child.Name.NamespaceName.Equals(string.Empty, StringComparison.Ordinal))
            {
                throw Unrecognized(child);
            }

            if (!children.TryAdd(name, child))
            {
                throw Document(child, $"Element '{name}' appears more than once.");
            }
        }

        if (element.Nodes().OfType<XText>().Any(text => !string.IsNullOrWhiteSpace(text.Value)))
        {
            throw NodeValue(element.Name.LocalName, element.Value);
        }

        return children;
    }

    private static XElement Required(XElement parent, Dictionary<string, XElement> children, string name) =>
        children.GetValueOrDefault(name) ?? throw Document(parent, $"Element '{name}' is missing from '{parent.Name.LocalName}'.");

    private static string Version(XElement parent, Dictionary<string, XElement> children)
    {
        var version = Leaf(Required(parent, children, "Version")).Trim();
        return version is "1.0" or "2.0" ? version : throw Document(children["Version"], "Unexpected value for Version.");
    }

    /// <summary>The text of an element that must have no child elements.</summary>
    private static string Leaf(XElement element) =>
        element.HasElements ? throw Unrecognized(element.Elements().First()) : element.Value;

    private static string? Optional(Dictionary<string, XElement> children, string name) =>
        children.TryGetValue(name, out var element) && Leaf(element) is { Length: > 0 } value ? value : null;

    private static bool Boolean(XElement element)
    {
        var text = Leaf(element).Trim();
        return bool.TryParse(text, out var value) ? value : throw NodeValue(element.Name.LocalName, text);
    }

    private static int Integer(XElement element)
    {
        var text = Leaf(element).Trim();
        return int.TryParse(text, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var value) ? value : throw NodeValue(element.Name.LocalName, text);
    }

    private static BlobProtocolException NodeValue(string name, string value) =>
        new(ErrorMapping.InvalidXmlNodeValue, details: [new("XmlNodeName", name), new("XmlNodeValue", value)]);

    private static BlobProtocolException Unrecognized(XElement element) =>
        Document(element, $"Element '{element.Name.LocalName}' is not recognized.");

    private static BlobProtocolException Document(XElement element, string reason)
    {
        var line = (IXmlLineInfo)element;
        return Document(line.LineNumber, line.LinePosition, reason);
    }

    private static BlobProtocolException Document(int line, int position, string reason) =>
        new(ErrorMapping.InvalidXmlDocument, details:
        [
            new("LineNumber", line.ToString(CultureInfo.InvariantCulture)),
            new("LinePosition", position.ToString(CultureInfo.InvariantCulture)),
            new("Reason", reason),
        ]);

    /// <summary>The Get body: everything stored, in Azure's element order, with the account's DeleteRetentionPolicy.</summary>
    public static byte[] Body(BlobServiceProperties properties, DataProtectionSettings settings)
    {
        ArgumentNullException.ThrowIfNull(properties);
        ArgumentNullException.ThrowIfNull(settings);
        using var buffer = new MemoryStream(1024);
        using (var xml = XmlWriter.Create(buffer, SafeXml.WriterSettings))
        {
            xml.WriteStartDocument();
            xml.WriteStartElement("StorageServiceProperties");
            var logging = properties.Logging;
            xml.WriteStartElement("Logging");
            xml.WriteElementString("Version", logging.Version);
            xml.WriteElementString("Delete", Bool(logging.Delete));
            xml.WriteElementString("Read", Bool(logging.Read));
            xml.WriteElementString("Write", Bool(logging.Write));
            WriteRetention(xml, logging.Retention);
            xml.WriteEndElement();
            WriteMetrics(xml, "HourMetrics", properties.HourMetrics);
            WriteMetrics(xml, "MinuteMetrics", properties.MinuteMetrics);
            xml.WriteStartElement("Cors");
            foreach (var rule in properties.Cors)
            {
                xml.WriteStartElement("CorsRule");
                xml.WriteElementString("AllowedOrigins", rule.AllowedOrigins);
                xml.WriteElementString("AllowedMethods", rule.AllowedMethods);
                xml.WriteElementString("MaxAgeInSeconds", rule.MaxAgeInSeconds.ToString(CultureInfo.InvariantCulture));
                xml.WriteElementString("ExposedHeaders", rule.ExposedHeaders);
                xml.WriteElementString("AllowedHeaders", rule.AllowedHeaders);
                xml.WriteEndElement();
            }

            xml.WriteEndElement();
            if (properties.DefaultServiceVersion is { } version)
            {
                xml.WriteElementString("DefaultServiceVersion", version);
            }

            xml.WriteStartElement("DeleteRetentionPolicy");
            xml.WriteElementString("Enabled", Bool(settings.BlobSoftDeleteDays is not null));
            if (settings.BlobSoftDeleteDays is { } days)
            {
                xml.WriteElementString("Days", days.ToString(CultureInfo.InvariantCulture));
            }

            xml.WriteElementString("AllowPermanentDelete", Bool(settings.AllowPermanentDelete));
            xml.WriteEndElement();
            var website = properties.StaticWebsite;
            xml.WriteStartElement("StaticWebsite");
            xml.WriteElementString("Enabled", Bool(website.Enabled));
            WriteOptional(xml, "IndexDocument", website.IndexDocument);
            WriteOptional(xml, "ErrorDocument404Path", website.ErrorDocument404Path);
            WriteOptional(xml, "DefaultIndexDocumentPath", website.DefaultIndexDocumentPath);
            xml.WriteEndElement();
            xml.WriteEndElement();
            xml.WriteEndDocument();
        }

        return buffer.ToArray();
    }

    private static string Bool(bool value) => value ? "true" : "false";

    private static void WriteOptional(XmlWriter xml, string name, string? value)
    {
        if (value is not null)
        {
            xml.WriteElementString(name, value);
        }
    }

    private static void WriteMetrics(XmlWriter xml, string name, AnalyticsMetrics metrics)
    {
        xml.WriteStartElement(name);
        xml.WriteElementString("Version", metrics.Version);
        xml.WriteElementString("Enabled", Bool(metrics.Enabled));
        if (metrics.IncludeApis is { } includeApis)
        {
            xml.WriteElementString("IncludeAPIs", Bool(includeApis));
        }

        WriteRetention(xml, metrics.Retention);
        xml.WriteEndElement();
    }

    private static void WriteRetention(XmlWriter xml, AnalyticsRetention retention)
    {
        xml.WriteStartElement("RetentionPolicy");
        xml.WriteElementString("Enabled", Bool(retention.Enabled));
        if (retention.Days is { } days)
        {
            xml.WriteElementString("Days", days.ToString(CultureInfo.InvariantCulture));
        }

        xml.WriteEndElement();
    }
}
