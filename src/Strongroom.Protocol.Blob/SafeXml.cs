using System.Text;
using System.Xml;

namespace Strongroom.Protocol.Blob;

/// <summary>
/// The one way request XML is read here: no DTD (so no entity expansion), no resolver (so no
/// external fetch), comments and processing instructions skipped, and the document bounded by the
/// caller's limit. Response XML is written as UTF-8 without a byte-order mark.
/// </summary>
internal static class SafeXml
{
    public static XmlReaderSettings ReaderSettings(long maxCharacters, bool ignoreWhitespace = true) => new()
    {
        DtdProcessing = DtdProcessing.Prohibit,
        XmlResolver = null,
        IgnoreComments = true,
        IgnoreWhitespace = ignoreWhitespace,
        IgnoreProcessingInstructions = true,
        MaxCharactersInDocument = maxCharacters,
        CloseInput = true,
    };

    public static readonly XmlWriterSettings WriterSettings = new()
    {
        Encoding = new UTF8Encoding(encoderShouldEmitUTF8Identifier: false),
        Indent = false,
        CloseOutput = false,
        CheckCharacters = true,
    };
}
