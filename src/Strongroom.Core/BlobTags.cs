namespace Strongroom.Core;

/// <summary>
/// Azure's blob index tags (issue 8): at most <see cref="Limits.BlobTagsMax"/> key/value pairs,
/// keys of 1–128 and values of 0–256 characters from letters, digits, space and <c>+ - . / : = _</c>,
/// keys unique and case-sensitive. Stored sorted by key (ordinal), which is the order Get Blob
/// Tags and listings report.
/// </summary>
public static class BlobTags
{
    public static readonly IReadOnlyList<KeyValuePair<string, string>> None = [];

    /// <summary>The tags sorted by key, or InvalidTag (the message says why) when they break a rule.</summary>
    public static IReadOnlyList<KeyValuePair<string, string>> Validate(IReadOnlyList<KeyValuePair<string, string>> tags)
    {
        ArgumentNullException.ThrowIfNull(tags);
        if (tags.Count > Limits.BlobTagsMax)
        {
            throw new StorageException(ErrorCode.InvalidTag, $"A blob has at most {Limits.BlobTagsMax} tags.");
        }

        var sorted = tags.OrderBy(tag => tag.Key, StringComparer.Ordinal).ToList();
        for (var i = 0; i < sorted.Count; i++)
        {
            var (key, value) = sorted[i];
            if (key is null || key.Length is 0 or > Limits.BlobTagKeyCharsMax || !IsValidText(key))
            {
                throw new StorageException(ErrorCode.InvalidTag, "A tag key is 1 to 128 letters, digits, spaces or + - . / : = _.");
            }

            if (value is null || value.Length > Limits.BlobTagValueCharsMax || !IsValidText(value))
            {
                throw new StorageException(ErrorCode.InvalidTag, "A tag value is 0 to 256 letters, digits, spaces or + - . / : = _.");
            }

            if (i > 0 && string.Equals(sorted[i - 1].Key, key, StringComparison.Ordinal))
            {
                throw new StorageException(ErrorCode.InvalidTag, "Tag keys are unique.");
            }
        }

        return sorted;
    }

    /// <summary>
    /// <c>x-ms-tags</c>: a query-string-encoded set (<c>k1=v1&amp;k2=v2</c>, each part URL-encoded),
    /// validated. A part without <c>=</c> is a key with an empty value.
    /// </summary>
    public static IReadOnlyList<KeyValuePair<string, string>> ParseHeader(string header)
    {
        ArgumentNullException.ThrowIfNull(header);
        var tags = new List<KeyValuePair<string, string>>();
        if (header.Length == 0)
        {
            return tags;
        }

        foreach (var part in header.Split('&'))
        {
            var equals = part.IndexOf('=', StringComparison.Ordinal);
            var key = equals < 0 ? part : part[..equals];
            var value = equals < 0 ? string.Empty : part[(equals + 1)..];
            tags.Add(new(Decode(key), Decode(value)));
            if (tags.Count > Limits.BlobTagsMax)
            {
                break;
            }
        }

        return Validate(tags);
    }

    /// <summary>Only the tags whose keys <paramref name="keys"/> names (Find Blobs by Tags returns those the expression mentions).</summary>
    public static IReadOnlyList<KeyValuePair<string, string>> Select(IReadOnlyList<KeyValuePair<string, string>> tags, IReadOnlySet<string> keys) =>
        tags.Where(tag => keys.Contains(tag.Key)).ToList();

    private static string Decode(string text)
    {
        try
        {
            return Uri.UnescapeDataString(text.Replace('+', ' '));
        }
        catch (UriFormatException)
        {
            throw new StorageException(ErrorCode.InvalidTag, "x-ms-tags is not query-string encoded.");
        }
    }

    internal static bool IsValidText(string text)
    {
        foreach (var c in text)
        {
            if (!(char.IsAsciiLetterOrDigit(c) || c is ' ' or '+' or '-' or '.' or '/' or ':' or '=' or '_'))
            {
                return false;
            }
        }

        return true;
    }
}

/// <summary>A current blob and its tags (Find Blobs by Tags).</summary>
public sealed record TaggedBlob(string Container, string Name, IReadOnlyList<KeyValuePair<string, string>> Tags);

/// <summary>Where a tag expression comes from, which decides its grammar.</summary>
public enum TagExpressionKind
{
    /// <summary>Find Blobs by Tags' <c>where</c>: predicates joined by AND; <c>= &gt; &gt;= &lt; &lt;=</c>; <c>@container = '…'</c> once.</summary>
    Filter,

    /// <summary><c>x-ms-if-tags</c>: AND, OR and parentheses; <c>= &lt;&gt; &gt; &gt;= &lt; &lt;=</c>; no <c>@container</c>.</summary>
    Condition,
}

/// <summary>
/// A parsed tag expression (Azure's SQL-like grammar: <c>"key" op 'value'</c>, keys in double
/// quotes, values in single quotes, comparisons ordinal on the UTF-16 text, which for the tag
/// alphabet is byte order). Evaluated against a blob's tags; a key the blob lacks makes its
/// predicate false (including <c>&lt;&gt;</c>).
/// </summary>
public sealed class TagExpression
{
    private readonly Node root;

    private TagExpression(Node root, string? container, IReadOnlySet<string> keys)
    {
        this.root = root;
        Container = container;
        Keys = keys;
    }

    /// <summary>The container an <c>@container = '…'</c> predicate names, or null.</summary>
    public string? Container { get; }

    /// <summary>The tag keys the expression mentions.</summary>
    public IReadOnlySet<string> Keys { get; }

    public bool Matches(IReadOnlyList<KeyValuePair<string, string>>? tags) => root.Evaluate(tags ?? BlobTags.None);

    /// <summary>The expression, or null with <paramref name="error"/> saying what is wrong.</summary>
    public static TagExpression? TryParse(string text, TagExpressionKind kind, out string? error)
    {
        ArgumentNullException.ThrowIfNull(text);
        error = null;
        if (text.Length > Limits.TagExpressionCharsMax)
        {
            error = $"A tag expression is at most {Limits.TagExpressionCharsMax} characters.";
            return null;
        }

        var parser = new Parser(text, kind);
        try
        {
            var node = parser.ParseOr();
            parser.SkipSpaces();
            if (!parser.AtEnd)
            {
                throw new FormatException($"Unexpected text at position {parser.Position}.");
            }

            if (kind == TagExpressionKind.Filter && parser.Keys.Count == 0)
            {
                throw new FormatException("The expression names no tag.");
            }

            return new TagExpression(node, parser.Container, parser.Keys);
        }
        catch (FormatException invalid)
        {
            error = invalid.Message;
            return null;
        }
    }

    private abstract class Node
    {
        public abstract bool Evaluate(IReadOnlyList<KeyValuePair<string, string>> tags);
    }

    private sealed class And(Node left, Node right) : Node
    {
        public override bool Evaluate(IReadOnlyList<KeyValuePair<string, string>> tags) => left.Evaluate(tags) && right.Evaluate(tags);
    }

    private sealed class Or(Node left, Node right) : Node
    {
        public override bool Evaluate(IReadOnlyList<KeyValuePair<string, string>> tags) => left.Evaluate(tags) || right.Evaluate(tags);
    }

    /// <summary><c>@container = '…'</c>: filtered by the caller (<see cref="Container"/>), true here.</summary>
    private sealed class ContainerPredicate : Node
    {
        public override bool Evaluate(IReadOnlyList<KeyValuePair<string, string>> tags) => true;
    }

    private sealed class Comparison(string key, string op, string value) : Node
    {
        public override bool Evaluate(IReadOnlyList<KeyValuePair<string, string>> tags)
        {
            foreach (var (tagKey, tagValue) in tags)
            {
                if (!string.Equals(tagKey, key, StringComparison.Ordinal))
                {
                    continue;
                }

                var order = string.CompareOrdinal(tagValue, value);
                return op switch
                {
                    "=" => order == 0,
                    "<>" => order != 0,
                    ">" => order > 0,
                    ">=" => order >= 0,
                    "<" => order < 0,
                    "<=" => order <= 0,
                    _ => false,
                };
            }

            return false;
        }
    }

    private sealed class Parser(string text, TagExpressionKind kind)
    {
        private int predicates;
        private int depth;

        public int Position { get; private set; }

        public bool AtEnd => Position >= text.Length;

        public string? Container { get; private set; }

        public HashSet<string> Keys { get; } = new(StringComparer.Ordinal);

        public Node ParseOr()
        {
            var left = ParseAnd();
            while (TryKeyword("OR"))
            {
                if (kind == TagExpressionKind.Filter)
                {
                    throw new FormatException("Find Blobs by Tags takes only AND.");
                }

                left = new Or(left, ParseAnd());
            }

            return left;
        }

        private Node ParseAnd()
        {
            var left = ParsePrimary();
            while (TryKeyword("AND"))
            {
                left = new And(left, ParsePrimary());
            }

            return left;
        }

        private Node ParsePrimary()
        {
            SkipSpaces();
            if (AtEnd)
            {
                throw new FormatException("The expression ends where a predicate was expected.");
            }

            if (text[Position] == '(')
            {
                if (kind == TagExpressionKind.Filter)
                {
                    throw new FormatException("Find Blobs by Tags takes no parentheses.");
                }

                if (++depth > Limits.TagExpressionNestingMax)
                {
                    throw new FormatException($"A tag expression nests at most {Limits.TagExpressionNestingMax} parentheses.");
                }

                Position++;
                var inner = ParseOr();
                depth--;
                SkipSpaces();
                if (AtEnd || text[Position] != ')')
                {
                    throw new FormatException("A parenthesis is not closed.");
                }

                Position++;
                return inner;
            }

            if (++predicates > Limits.TagExpressionPredicatesMax + 1)
            {
                throw new FormatException($"A tag expression has at most {Limits.TagExpressionPredicatesMax} tag predicates.");
            }

            if (text[Position] == '@')
            {
                return ParseContainer();
            }

            var key = ReadKey();
            if (key.Length is 0 or > Limits.BlobTagKeyCharsMax || !BlobTags.IsValidText(key))
            {
                throw new FormatException("A tag key is 1 to 128 letters, digits, spaces or + - . / : = _.");
            }

            var op = ReadOperator();
            var value = ReadQuoted('\'', "A tag value is in single quotes.");
            if (value.Length > Limits.BlobTagValueCharsMax || !BlobTags.IsValidText(value))
            {
                throw new FormatException("A tag value is 0 to 256 letters, digits, spaces or + - . / : = _.");
            }

            Keys.Add(key);
            if (Keys.Count > Limits.TagExpressionPredicatesMax)
            {
                throw new FormatException($"A tag expression names at most {Limits.TagExpressionPredicatesMax} tags.");
            }

            return new Comparison(key, op, value);
        }

        private ContainerPredicate ParseContainer()
        {
            const string Name = "@container";
            if (kind == TagExpressionKind.Condition || string.Compare(text, Position, Name, 0, Name.Length, StringComparison.OrdinalIgnoreCase) != 0)
            {
                throw new FormatException("Only Find Blobs by Tags takes @container.");
            }

            Position += Name.Length;
            if (ReadOperator() != "=")
            {
                throw new FormatException("@container takes only =.");
            }

            var container = ReadQuoted('\'', "A container name is in single quotes.");
            if (Container is not null)
            {
                throw new FormatException("@container appears once at most.");
            }

            Container = container;
            return new ContainerPredicate();
        }

        private string ReadOperator()
        {
            SkipSpaces();
            foreach (var op in (ReadOnlySpan<string>)["<>", ">=", "<=", "=", ">", "<"])
            {
                if (string.CompareOrdinal(text, Position, op, 0, op.Length) == 0)
                {
                    if (op == "<>" && kind == TagExpressionKind.Filter)
                    {
                        throw new FormatException("Find Blobs by Tags does not take <>.");
                    }

                    Position += op.Length;
                    return op;
                }
            }

            throw new FormatException($"An operator (=, <>, >, >=, <, <=) is expected at position {Position}.");
        }

        /// <summary>
        /// A tag key: in double quotes, or bare when it is an identifier (a letter or _, then
        /// letters, digits or _), as Azure takes it (<c>key1='v'</c>: the Azure SDKs' own live tests
        /// send bare keys).
        /// </summary>
        private string ReadKey()
        {
            SkipSpaces();
            if (AtEnd || text[Position] == '"')
            {
                return ReadQuoted('"', "A tag key is in double quotes or a bare identifier.");
            }

            var start = Position;
            if (char.IsAsciiLetter(text[Position]) || text[Position] == '_')
            {
                Position++;
                while (Position < text.Length && (char.IsAsciiLetterOrDigit(text[Position]) || text[Position] == '_'))
                {
                    Position++;
                }
            }

            if (Position == start)
            {
                throw new FormatException("A tag key is in double quotes or a bare identifier.");
            }

            return text[start..Position];
        }

        private string ReadQuoted(char quote, string message)
        {
            SkipSpaces();
            if (AtEnd || text[Position] != quote)
            {
                throw new FormatException(message);
            }

            var end = text.IndexOf(quote, Position + 1);
            if (end < 0)
            {
                throw new FormatException(message);
            }

            var value = text[(Position + 1)..end];
            Position = end + 1;
            return value;
        }

        private bool TryKeyword(string keyword)
        {
            SkipSpaces();
            if (Position + keyword.Length > text.Length
                || string.Compare(text, Position, keyword, 0, keyword.Length, StringComparison.OrdinalIgnoreCase) != 0)
            {
                return false;
            }

            var after = Position + keyword.Length;
            if (after < text.Length && !char.IsWhiteSpace(text[after]) && text[after] is not ('"' or '('))
            {
                return false;
            }

            Position = after;
            return true;
        }

        public void SkipSpaces()
        {
            while (Position < text.Length && char.IsWhiteSpace(text[Position]))
            {
                Position++;
            }
        }
    }
}
