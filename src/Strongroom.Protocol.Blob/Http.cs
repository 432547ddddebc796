using System.Globalization;

namespace Strongroom.Protocol.Blob;

/// <summary>Small wire-format helpers shared by the operations.</summary>
internal static class Http
{
    public const string DefaultContentType = "application/octet-stream";
    public const string XmlContentType = "application/xml";

    /// <summary>RFC 1123, as Azure sends Last-Modified, Date and x-ms-creation-time.</summary>
    public static string FormatDate(DateTimeOffset value) => value.UtcDateTime.ToString("r", CultureInfo.InvariantCulture);

    /// <summary>ETag headers are quoted (<c>"0x8D…"</c>).</summary>
    public static string QuotedETag(string etag) =>
        etag.Length >= 2 && etag[0] == '"' && etag[^1] == '"' ? etag : string.Concat("\"", etag, "\"");

    /// <summary>List XML carries the ETag unquoted (<c>&lt;Etag&gt;0x8D…&lt;/Etag&gt;</c>), as Azure does.</summary>
    public static string UnquotedETag(string etag) =>
        etag.Length >= 2 && etag[0] == '"' && etag[^1] == '"' ? etag[1..^1] : etag;

    /// <summary>A well-formed service version: <c>yyyy-MM-dd</c> digits. Any such value is accepted and echoed.</summary>
    public static bool IsWellFormedVersion(ReadOnlySpan<char> value) =>
        value.Length == 10
        && char.IsAsciiDigit(value[0]) && char.IsAsciiDigit(value[1]) && char.IsAsciiDigit(value[2]) && char.IsAsciiDigit(value[3])
        && value[4] == '-' && char.IsAsciiDigit(value[5]) && char.IsAsciiDigit(value[6])
        && value[7] == '-' && char.IsAsciiDigit(value[8]) && char.IsAsciiDigit(value[9]);
}

/// <summary>The Date header changes once a second; format it once a second, not once a request.</summary>
internal sealed class DateHeaderCache(TimeProvider time)
{
    private sealed record Entry(long Second, string Value);

    private Entry current = new(long.MinValue, string.Empty);

    public string Now(out DateTimeOffset now)
    {
        now = time.GetUtcNow();
        var second = now.ToUnixTimeSeconds();
        var entry = Volatile.Read(ref current);
        if (entry.Second != second)
        {
            entry = new Entry(second, Http.FormatDate(now));
            Volatile.Write(ref current, entry);
        }

        return entry.Value;
    }
}
