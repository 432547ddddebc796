using System.Xml;
using Strongroom.Blobs;
using Strongroom.Core;

namespace Strongroom.Protocol.Blob;

/// <summary>
/// The Put Block List body: <c>&lt;BlockList&gt;&lt;Latest|Committed|Uncommitted&gt;id&lt;/…&gt;…&lt;/BlockList&gt;</c>.
/// The caller bounds the body by <see cref="Limits.BlockListXmlBytesMax"/>; DTDs are refused so
/// no entity expansion or external fetch can happen.
/// </summary>
public static class BlockListXml
{
    private static readonly XmlReaderSettings Settings = SafeXml.ReaderSettings(Limits.BlockListXmlBytesMax);

    /// <summary>
    /// Parses the body. Malformed XML → 400 InvalidXmlDocument; a bad block id → 400
    /// InvalidBlockList; more than <see cref="Limits.CommittedBlocksMax"/> entries → 400 BlockListTooLong.
    /// </summary>
    public static IReadOnlyList<BlockListEntry> Parse(ReadOnlyMemory<byte> body)
    {
        var entries = new List<BlockListEntry>();
        try
        {
            using var stream = new ReadOnlyMemoryStream(body);
            using var reader = XmlReader.Create(stream, Settings);
            if (reader.MoveToContent() != XmlNodeType.Element || reader.LocalName != "BlockList")
            {
                throw new BlobProtocolException(ErrorMapping.InvalidXmlDocument);
            }

            if (reader.IsEmptyElement)
            {
                reader.Read();
                return entries;
            }

            reader.Read();
            while (reader.NodeType != XmlNodeType.EndElement)
            {
                if (reader.NodeType != XmlNodeType.Element)
                {
                    throw new BlobProtocolException(ErrorMapping.InvalidXmlDocument);
                }

                var kind = reader.LocalName switch
                {
                    "Latest" => BlockListKind.Latest,
                    "Committed" => BlockListKind.Committed,
                    "Uncommitted" => BlockListKind.Uncommitted,
                    _ => throw new BlobProtocolException(ErrorMapping.InvalidXmlDocument),
                };

                var id = reader.ReadElementContentAsString().Trim();
                if (!RequestHeaders.IsValidBlockId(id))
                {
                    throw new StorageException(ErrorCode.InvalidBlockList);
                }

                if (entries.Count == Limits.CommittedBlocksMax)
                {
                    throw new StorageException(ErrorCode.BlockListTooLong);
                }

                entries.Add(new BlockListEntry(kind, id));
            }

            reader.ReadEndElement();
            while (reader.Read())
            {
                if (reader.NodeType is XmlNodeType.Element or XmlNodeType.Text)
                {
                    throw new BlobProtocolException(ErrorMapping.InvalidXmlDocument);
                }
            }
        }
        catch (XmlException)
        {
            throw new BlobProtocolException(ErrorMapping.InvalidXmlDocument);
        }

        return entries;
    }

    private sealed class ReadOnlyMemoryStream(ReadOnlyMemory<byte> memory) : Stream
    {
        private int position;

        public override bool CanRead => true;

        public override bool CanSeek => false;

        public override bool CanWrite => false;

        public override long Length => memory.Length;

        public override long Position
        {
            get => position;
            set => throw new NotSupportedException();
        }

        public override int Read(byte[] buffer, int offset, int count) => Read(buffer.AsSpan(offset, count));

        public override int Read(Span<byte> buffer)
        {
            var count = Math.Min(buffer.Length, memory.Length - position);
            memory.Span.Slice(position, count).CopyTo(buffer);
            position += count;
            return count;
        }

        public override void Flush()
        {
        }

        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

        public override void SetLength(long value) => throw new NotSupportedException();

        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
    }
}
