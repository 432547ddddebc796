using System.Text;

namespace Strongroom.Storage;

/// <summary>
/// Turns a name prefix into a half-open range <c>[prefix, upperBound)</c> of an ordered index.
/// LIKE is not an option: names may contain <c>%</c> and <c>_</c>, and LIKE's case rules differ
/// between databases.
/// </summary>
public static class NamePrefix
{
    private const int MaxCodePoint = 0x10FFFF;

    /// <summary>
    /// The least string greater than every string that starts with <paramref name="prefix"/>, in
    /// UTF-8 byte order (which is Unicode code point order); null when no such bound exists (an
    /// empty prefix, or one made only of U+10FFFF) and the range is open above.
    /// </summary>
    /// <exception cref="ArgumentException">The prefix is not well-formed UTF-16 (an unpaired
    /// surrogate): no stored name can start with it.</exception>
    public static string? UpperBound(string prefix)
    {
        if (!IsWellFormed(prefix))
        {
            throw new ArgumentException("The prefix contains an unpaired surrogate.", nameof(prefix));
        }

        var runes = new List<Rune>(prefix.Length);
        foreach (var rune in prefix.EnumerateRunes())
        {
            runes.Add(rune);
        }

        // Incrementing the last code point that can be incremented bounds the range: any string
        // between prefix and the result shares every earlier code point and has this one equal.
        while (runes.Count > 0)
        {
            var last = runes[^1].Value;
            runes.RemoveAt(runes.Count - 1);
            if (last == MaxCodePoint)
            {
                continue;
            }

            // Surrogate code points are not characters; the next one after U+D7FF is U+E000.
            var next = last + 1 == 0xD800 ? 0xE000 : last + 1;
            var builder = new StringBuilder(prefix.Length + 1);
            foreach (var rune in runes)
            {
                builder.Append(rune.ToString());
            }

            builder.Append(new Rune(next).ToString());
            return builder.ToString();
        }

        return null;
    }

    public static bool IsWellFormed(string value)
    {
        for (var i = 0; i < value.Length; i++)
        {
            if (char.IsHighSurrogate(value[i]))
            {
                if (i + 1 >= value.Length || !char.IsLowSurrogate(value[i + 1]))
                {
                    return false;
                }

                i++;
            }
            else if (char.IsLowSurrogate(value[i]))
            {
                return false;
            }
        }

        return true;
    }
}
