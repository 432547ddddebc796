using System.Text;
using System.Xml;
using Strongroom.Blobs;
using Strongroom.Core;

namespace Strongroom.Protocol.Blob;

/// <summary>
/// Blob index tags on the wire (issue 8): the Set/Get Blob Tags body
/// <c>&lt;Tags&gt;&lt;TagSet&gt;&lt;Tag&gt;&lt;Key/&gt;&lt;Value/&gt;&lt;/Tag&gt;…&lt;/TagSet&gt;&lt;/Tags&gt;</c>
/// and Find Blobs by Tags' <c>EnumerationResults</c>. Parsing refuses DTDs (no entity expansion,
/// no external fetch); the caller bounds the body by <see cref="Limits.BlobTagsXmlBytesMax"/>.
/// </summary>
public static class TagsXml
{
    private static readonly XmlReaderSettings ReadSettings = SafeXml.ReaderSettings(Limits.BlobTagsXmlBytesMax, ignoreWhitespace: false);


    /// <summary>The tags of a Set Blob Tags body, unvalidated (the service applies Azure's rules). Malformed → 400 InvalidXmlDocument.</summary>
    public static IReadOnlyList<KeyValuePair<string, string>> Parse(byte[] buffer, int length)
    {
        var tags = new List<KeyValuePair<string, string>>();
        try
        {
            using var stream = new MemoryStream(buffer, 0, length, writable: false);
            using var reader = XmlReader.Create(stream, ReadSettings);
            Expect(reader.MoveToContent() == XmlNodeType.Element && reader.LocalName == "Tags");
            var root = XmlElement(reader, depth: 0);
            var tagSet = root.Element("TagSet");
            if (tagSet is null)
            {
                Expect(!root.Children.Any());
                return tags;
            }

            foreach (var tag in tagSet.Children)
            {
                Expect(tag.Name == "Tag");
                var key = tag.Element("Key");
                var value = tag.Element("Value");
                Expect(key is not null && value is not null && tag.Children.Count() == 2);
                tags.Add(new(key!.Text, value!.Text));
                if (tags.Count > Limits.BlobTagsMax)
                {
                    // The service answers InvalidTag; no need to read further.
                    break;
                }
            }
        }
        catch (XmlException)
        {
            throw new BlobProtocolException(ErrorMapping.InvalidXmlDocument);
        }

        return tags;
    }

    public static byte[] TagsBody(IReadOnlyList<KeyValuePair<string, string>> tags)
    {
        using var stream = new MemoryStream();
        using (var xml = XmlWriter.Create(stream, SafeXml.WriterSettings))
        {
            xml.WriteStartDocument();
            xml.WriteStartElement("Tags");
            WriteTagSet(xml, tags);
            xml.WriteEndElement();
            xml.WriteEndDocument();
        }

        return stream.ToArray();
    }

    /// <summary>Find Blobs by Tags: <c>&lt;EnumerationResults ServiceEndpoint&gt;&lt;Where/&gt;&lt;Blobs&gt;&lt;Blob&gt;&lt;Name/&gt;&lt;ContainerName/&gt;&lt;Tags/&gt;…&lt;NextMarker/&gt;</c>.</summary>
    public static byte[] FindBlobsBody(string serviceEndpoint, string where, TaggedBlobListing listing)
    {
        using var stream = new MemoryStream();
        using (var xml = XmlWriter.Create(stream, SafeXml.WriterSettings))
        {
            xml.WriteStartDocument();
            xml.WriteStartElement("EnumerationResults");
            xml.WriteAttributeString("ServiceEndpoint", serviceEndpoint);
            xml.WriteElementString("Where", where);
            xml.WriteStartElement("Blobs");
            foreach (var blob in listing.Blobs)
            {
                xml.WriteStartElement("Blob");
                xml.WriteElementString("Name", blob.Name);
                xml.WriteElementString("ContainerName", blob.Container);
                xml.WriteStartElement("Tags");
                WriteTagSet(xml, blob.Tags);
                xml.WriteEndElement();
                xml.WriteEndElement();
            }

            xml.WriteEndElement();
            xml.WriteElementString("NextMarker", listing.NextMarker ?? string.Empty);
            xml.WriteEndElement();
            xml.WriteEndDocument();
        }

        return stream.ToArray();
    }

    /// <summary>A listing's <c>&lt;Tags&gt;&lt;TagSet&gt;…</c> (List Blobs include=tags), written only for a blob with tags.</summary>
    internal static void WriteListingTags(XmlWriter xml, IReadOnlyList<KeyValuePair<string, string>> tags)
    {
        if (tags.Count == 0)
        {
            return;
        }

        xml.WriteStartElement("Tags");
        WriteTagSet(xml, tags);
        xml.WriteEndElement();
    }

    private static void WriteTagSet(XmlWriter xml, IReadOnlyList<KeyValuePair<string, string>> tags)
    {
        xml.WriteStartElement("TagSet");
        foreach (var (key, value) in tags)
        {
            xml.WriteStartElement("Tag");
            xml.WriteElementString("Key", key);
            xml.WriteElementString("Value", value);
            xml.WriteEndElement();
        }

        xml.WriteEndElement();
    }

    private static void Expect(bool condition)
    {
        if (!condition)
        {
            throw new BlobProtocolException(ErrorMapping.InvalidXmlDocument);
        }
    }

    /// <summary>A small element tree (the body is bounded): name, text and child elements.</summary>
    private sealed record Node(string Name, string Text, List<Node> ChildList)
    {
        public IEnumerable<Node> Children => ChildList;

        public Node? Element(string name)
        {
            Node? found = null;
            foreach (var child in ChildList)
            {
                if (child.Name == name)
                {
                    Expect(found is null);
                    found = child;
                }
            }

            return found;
        }
    }

    private static Node XmlElement(XmlReader reader, int depth)
    {
        // Tags > TagSet > Tag > Key: anything deeper is not a tags document.
        Expect(depth < 4);
        var name = reader.LocalName;
        var children = new List<Node>();
        var text = new StringBuilder();
        if (reader.IsEmptyElement)
        {
            reader.Read();
            return new Node(name, string.Empty, children);
        }

        reader.Read();
        while (reader.NodeType != XmlNodeType.EndElement)
        {
            switch (reader.NodeType)
            {
                case XmlNodeType.Element:
                    children.Add(XmlElement(reader, depth + 1));
                    break;
                case XmlNodeType.Text or XmlNodeType.CDATA or XmlNodeType.Whitespace or XmlNodeType.SignificantWhitespace:
                    text.Append(reader.Value);
                    reader.Read();
                    break;
                default:
                    throw new BlobProtocolException(ErrorMapping.InvalidXmlDocument);
            }
        }

        reader.Read();
        return new Node(name, children.Count > 0 ? string.Empty : text.ToString(), children);
    }
}
