using System.Net;
using Strongroom.Core;

namespace Strongroom.Protocol.Blob;

/// <summary>One query parameter: the name as sent (decoded) and its decoded value (null when there was no '=').</summary>
public readonly record struct QueryParameter(string Name, string? Value);

/// <summary>
/// A path-style request target <c>/{account}/{container}/{blob...}</c>, parsed from the raw
/// request line. Names are percent-decoded exactly once here; ASP.NET's own decoded
/// <c>Request.Path</c> is not used because it leaves <c>%2F</c> encoded and would let a blob
/// name be decoded twice or not at all. <c>/{account}-secondary/...</c> is the account's
/// secondary endpoint (Azure's <c>ACCOUNT-secondary</c> host, path style): <see cref="Account"/>
/// is then the plain name and <see cref="Location"/> is <see cref="ReadLocation.Secondary"/>.
/// Account names are lowercase letters and digits only, so the suffix is never part of one.
/// </summary>
public sealed class RequestTarget
{
    /// <summary>What follows an account's name in its secondary endpoint, as Azure spells it.</summary>
    public const string SecondarySuffix = "-secondary";

    private RequestTarget(string rawPath, string account, string? container, string? blob, QueryParameter[] query)
    {
        RawPath = rawPath;
        PathAccount = account;
        if (account.Length > SecondarySuffix.Length && account.EndsWith(SecondarySuffix, StringComparison.Ordinal))
        {
            Account = account[..^SecondarySuffix.Length];
            Location = ReadLocation.Secondary;
        }
        else
        {
            Account = account;
        }

        Container = container;
        Blob = blob;
        Query = query;
    }

    /// <summary>The path exactly as encoded on the wire (it is what Shared Key signs).</summary>
    public string RawPath { get; }

    /// <summary>The account addressed (without <see cref="SecondarySuffix"/>).</summary>
    public string Account { get; }

    /// <summary>The account segment of the path as sent (<c>acct</c> or <c>acct-secondary</c>).</summary>
    public string PathAccount { get; }

    /// <summary>Which endpoint of the account the request came through.</summary>
    public ReadLocation Location { get; } = ReadLocation.Primary;

    public string? Container { get; }

    public string? Blob { get; }

    public IReadOnlyList<QueryParameter> Query { get; }

    /// <summary>The first value of a query parameter, matched ignoring case (Azure's names are case-insensitive).</summary>
    public string? GetQuery(string name)
    {
        foreach (var parameter in Query)
        {
            if (string.Equals(parameter.Name, name, StringComparison.OrdinalIgnoreCase))
            {
                return parameter.Value ?? string.Empty;
            }
        }

        return null;
    }

    public bool HasQuery(string name) => GetQuery(name) is not null;

    /// <summary>Parses an origin-form (<c>/a/b?c</c>) or absolute-form (<c>http://h/a/b?c</c>) target.</summary>
    public static bool TryParse(string rawTarget, out RequestTarget? target)
    {
        target = null;
        var span = rawTarget.AsSpan();
        var fragment = span.IndexOf('#');
        if (fragment >= 0)
        {
            span = span[..fragment];
        }

        if (span.Length > 0 && span[0] != '/')
        {
            // Absolute form: drop scheme and authority.
            var schemeEnd = span.IndexOf("://".AsSpan(), StringComparison.Ordinal);
            if (schemeEnd < 0)
            {
                return false;
            }

            var afterAuthority = span[(schemeEnd + 3)..];
            var pathStart = afterAuthority.IndexOfAny('/', '?');
            span = pathStart < 0 ? "/" : afterAuthority[pathStart..];
            if (span[0] == '?')
            {
                span = string.Concat("/", span.ToString());
            }
        }

        if (span.Length == 0 || span[0] != '/')
        {
            return false;
        }

        var questionMark = span.IndexOf('?');
        var path = questionMark < 0 ? span : span[..questionMark];
        var rawQuery = questionMark < 0 ? ReadOnlySpan<char>.Empty : span[(questionMark + 1)..];

        // path = "/account[/container[/blob...]]"
        var rest = path[1..];
        var slash = rest.IndexOf('/');
        var accountRaw = slash < 0 ? rest : rest[..slash];
        if (accountRaw.Length == 0)
        {
            return false;
        }

        string? container = null;
        string? blob = null;
        if (slash >= 0)
        {
            rest = rest[(slash + 1)..];
            slash = rest.IndexOf('/');
            var containerRaw = slash < 0 ? rest : rest[..slash];
            if (containerRaw.Length > 0)
            {
                container = Decode(containerRaw);
                if (slash >= 0 && slash + 1 < rest.Length)
                {
                    blob = Decode(rest[(slash + 1)..]);
                }
            }
            else if (rest.Length > 0)
            {
                // "/account//x": an empty container name.
                return false;
            }
        }

        target = new RequestTarget(path.ToString(), Decode(accountRaw), container, blob, ParseQuery(rawQuery));
        return true;
    }

    /// <summary>
    /// Percent-decoding of a path: once, UTF-8, and '+' stays a plus (it is not form encoding).
    /// </summary>
    public static string Decode(ReadOnlySpan<char> raw) =>
        raw.Contains('%') ? Uri.UnescapeDataString(raw.ToString()) : raw.ToString();

    private static QueryParameter[] ParseQuery(ReadOnlySpan<char> raw)
    {
        if (raw.IsEmpty)
        {
            return [];
        }

        var count = 1;
        foreach (var c in raw)
        {
            if (c == '&')
            {
                count++;
            }
        }

        var parameters = new List<QueryParameter>(count);
        foreach (var range in raw.Split('&'))
        {
            var pair = raw[range];
            if (pair.IsEmpty)
            {
                continue;
            }

            var equals = pair.IndexOf('=');

            // Query values are form-decoded ('+' is a space), exactly as the SDK decodes them
            // when it signs (WebUtility.UrlDecode), so signing and meaning agree.
            parameters.Add(equals < 0
                ? new QueryParameter(WebUtility.UrlDecode(pair.ToString()), null)
                : new QueryParameter(WebUtility.UrlDecode(pair[..equals].ToString()), WebUtility.UrlDecode(pair[(equals + 1)..].ToString())));
        }

        return [.. parameters];
    }
}
