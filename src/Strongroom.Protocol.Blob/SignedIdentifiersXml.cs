using System.Globalization;
using System.Xml;
using System.Xml.Linq;
using Strongroom.Core;

namespace Strongroom.Protocol.Blob;

/// <summary>
/// The Get and Set Container ACL body:
/// <c>&lt;SignedIdentifiers&gt;&lt;SignedIdentifier&gt;&lt;Id/&gt;&lt;AccessPolicy&gt;&lt;Start/&gt;&lt;Expiry/&gt;&lt;Permission/&gt;&lt;/AccessPolicy&gt;&lt;/SignedIdentifier&gt;…</c>.
/// The caller bounds the body by <see cref="Limits.ContainerAclXmlBytesMax"/>; DTDs are refused.
/// </summary>
public static class SignedIdentifiersXml
{
    private const string TimeFormat = "yyyy-MM-dd'T'HH:mm:ss.fffffff'Z'";

    private static readonly XmlReaderSettings ReadSettings = SafeXml.ReaderSettings(Limits.ContainerAclXmlBytesMax);


    /// <summary>
    /// Parses a Set Container ACL body; an empty body removes every policy. Malformed XML or an
    /// unknown element → 400 InvalidXmlDocument; a time that does not parse → 400 InvalidXmlNodeValue.
    /// Azure's rules on the values (count, ids, letters) are the service's (<see cref="AccessPolicies.Validate"/>).
    /// </summary>
    public static IReadOnlyList<SignedIdentifier> Parse(ReadOnlySpan<byte> body)
    {
        if (body.IsEmpty)
        {
            return [];
        }

        XDocument document;
        try
        {
            using var stream = new MemoryStream(body.ToArray(), writable: false);
            using var reader = XmlReader.Create(stream, ReadSettings);
            document = XDocument.Load(reader);
        }
        catch (XmlException)
        {
            throw new BlobProtocolException(ErrorMapping.InvalidXmlDocument);
        }

        var root = document.Root;
        if (root is null || root.Name.LocalName != "SignedIdentifiers")
        {
            throw new BlobProtocolException(ErrorMapping.InvalidXmlDocument);
        }

        var policies = new List<SignedIdentifier>();
        foreach (var element in root.Elements())
        {
            if (element.Name.LocalName != "SignedIdentifier" || policies.Count > Limits.SignedIdentifiersPerContainerMax)
            {
                throw new BlobProtocolException(ErrorMapping.InvalidXmlDocument);
            }

            string? id = null;
            DateTimeOffset? start = null, expiry = null;
            string? permission = null;
            foreach (var child in element.Elements())
            {
                switch (child.Name.LocalName)
                {
                    case "Id":
                        id = child.Value;
                        break;
                    case "AccessPolicy":
                        foreach (var field in child.Elements())
                        {
                            switch (field.Name.LocalName)
                            {
                                case "Start":
                                    start = ParseTime(field.Value);
                                    break;
                                case "Expiry":
                                    expiry = ParseTime(field.Value);
                                    break;
                                case "Permission":
                                    permission = field.Value.Length == 0 ? null : field.Value;
                                    break;
                                default:
                                    throw new BlobProtocolException(ErrorMapping.InvalidXmlDocument);
                            }
                        }

                        break;
                    default:
                        throw new BlobProtocolException(ErrorMapping.InvalidXmlDocument);
                }
            }

            policies.Add(new SignedIdentifier(id ?? string.Empty, start, expiry, permission));
        }

        return policies;
    }

    /// <summary>The Get Container ACL body (times as Azure writes them, to the tenth of a microsecond).</summary>
    public static byte[] Write(IReadOnlyList<SignedIdentifier> policies)
    {
        using var buffer = new MemoryStream(256);
        using (var xml = XmlWriter.Create(buffer, SafeXml.WriterSettings))
        {
            xml.WriteStartDocument();
            xml.WriteStartElement("SignedIdentifiers");
            foreach (var policy in policies)
            {
                xml.WriteStartElement("SignedIdentifier");
                xml.WriteElementString("Id", policy.Id);
                xml.WriteStartElement("AccessPolicy");
                if (policy.Start is { } start)
                {
                    xml.WriteElementString("Start", start.UtcDateTime.ToString(TimeFormat, CultureInfo.InvariantCulture));
                }

                if (policy.Expiry is { } expiry)
                {
                    xml.WriteElementString("Expiry", expiry.UtcDateTime.ToString(TimeFormat, CultureInfo.InvariantCulture));
                }

                if (policy.Permission is { } permission)
                {
                    xml.WriteElementString("Permission", permission);
                }

                xml.WriteEndElement();
                xml.WriteEndElement();
            }

            xml.WriteEndElement();
            xml.WriteEndDocument();
        }

        return buffer.ToArray();
    }

    private static DateTimeOffset? ParseTime(string text)
    {
        if (text.Length == 0)
        {
            return null;
        }

        if (SharedAccessSignature.TryParseTime(text, out var time))
        {
            return time;
        }

        throw new BlobProtocolException(ErrorMapping.InvalidXmlNodeValue, $"The time '{text}' is not an ISO 8601 UTC time.");
    }
}
