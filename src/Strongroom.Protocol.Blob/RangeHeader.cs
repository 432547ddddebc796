namespace Strongroom.Protocol.Blob;

/// <summary>A requested byte range: inclusive <see cref="Start"/>, inclusive <see cref="End"/> or open-ended.</summary>
public readonly record struct ByteRange(long Start, long? End)
{
    /// <summary>The bytes the range asks for, or null when it is open-ended.</summary>
    public long? RequestedLength => End - Start + 1;
}

/// <summary>Parsing of <c>x-ms-range</c> and <c>Range</c>: <c>bytes=s-e</c> (inclusive) or <c>bytes=s-</c>.</summary>
public static class RangeHeader
{
    public static bool TryParse(ReadOnlySpan<char> value, out ByteRange range)
    {
        range = default;
        value = value.Trim();
        const string Prefix = "bytes=";
        if (!value.StartsWith(Prefix, StringComparison.OrdinalIgnoreCase))
        {
            return false;
        }

        value = value[Prefix.Length..].Trim();
        var dash = value.IndexOf('-');
        if (dash <= 0)
        {
            // Suffix ranges ("bytes=-n") and multiple ranges are not part of the Blob API.
            return false;
        }

        if (!TryParseDigits(value[..dash].Trim(), out var start))
        {
            return false;
        }

        var endText = value[(dash + 1)..].Trim();
        if (endText.IsEmpty)
        {
            range = new ByteRange(start, null);
            return true;
        }

        if (!TryParseDigits(endText, out var end) || end < start)
        {
            return false;
        }

        range = new ByteRange(start, end);
        return true;
    }

    private static bool TryParseDigits(ReadOnlySpan<char> text, out long value)
    {
        value = 0;
        if (text.IsEmpty || text.Length > 18)
        {
            return false;
        }

        foreach (var c in text)
        {
            if (!char.IsAsciiDigit(c))
            {
                return false;
            }

            value = (value * 10) + (c - '0');
        }

        return true;
    }
}
