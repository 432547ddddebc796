using System.Globalization;
using System.Net.Http.Headers;
using System.Security.Cryptography;
using System.Text;

namespace Strongroom.Conformance.Tests.Infrastructure;

/// <summary>
/// Shared Key signing for hand-built requests (Blob service, version 2015-02-21 and later),
/// written from the REST documentation so raw tests do not depend on the SDK's signer.
/// </summary>
public sealed class SharedKeySigner(string accountName, string accountKey)
{
    readonly byte[] _key = Convert.FromBase64String(accountKey);

    public string AccountName { get; } = accountName;

    public void Sign(HttpRequestMessage request)
    {
        var stringToSign = StringToSign(request, AccountName);
        var signature = Convert.ToBase64String(HMACSHA256.HashData(_key, Encoding.UTF8.GetBytes(stringToSign)));
        request.Headers.TryAddWithoutValidation("Authorization", $"SharedKey {AccountName}:{signature}");
    }

    public static string StringToSign(HttpRequestMessage request, string accountName)
    {
        var content = request.Content?.Headers;
        var contentLength = content?.ContentLength ?? 0;
        var builder = new StringBuilder();
        builder.Append(request.Method.Method).Append('\n');
        builder.Append(Join(content?.ContentEncoding)).Append('\n');
        builder.Append(Join(content?.ContentLanguage)).Append('\n');
        builder.Append(contentLength == 0 ? string.Empty : contentLength.ToString(CultureInfo.InvariantCulture)).Append('\n');
        builder.Append(content?.ContentMD5 is { } md5 ? Convert.ToBase64String(md5) : string.Empty).Append('\n');
        builder.Append(content?.ContentType?.ToString() ?? string.Empty).Append('\n');
        builder.Append('\n'); // Date: x-ms-date is always sent instead.
        builder.Append(Header(request, "If-Modified-Since")).Append('\n');
        builder.Append(Header(request, "If-Match")).Append('\n');
        builder.Append(Header(request, "If-None-Match")).Append('\n');
        builder.Append(Header(request, "If-Unmodified-Since")).Append('\n');
        builder.Append(Header(request, "Range")).Append('\n');

        var msHeaders = request.Headers
            .Where(h => h.Key.StartsWith("x-ms-", StringComparison.OrdinalIgnoreCase))
            .Select(h => (Name: h.Key.ToLowerInvariant(), Value: string.Join(",", h.Value).Trim()))
            .OrderBy(h => h.Name, StringComparer.Ordinal);
        foreach (var (name, value) in msHeaders)
        {
            builder.Append(name).Append(':').Append(value).Append('\n');
        }

        var uri = request.RequestUri ?? throw new InvalidOperationException("The request has no URI.");
        builder.Append('/').Append(accountName).Append(string.IsNullOrEmpty(uri.AbsolutePath) ? "/" : uri.AbsolutePath);
        var parameters = ParseQuery(uri.Query)
            .GroupBy(p => p.Name.ToLowerInvariant())
            .OrderBy(g => g.Key, StringComparer.Ordinal);
        foreach (var group in parameters)
        {
            var values = group.Select(p => p.Value).OrderBy(v => v, StringComparer.Ordinal);
            builder.Append('\n').Append(group.Key).Append(':').Append(string.Join(",", values));
        }

        return builder.ToString();
    }

    static IEnumerable<(string Name, string Value)> ParseQuery(string query)
    {
        foreach (var pair in query.TrimStart('?').Split('&', StringSplitOptions.RemoveEmptyEntries))
        {
            var equals = pair.IndexOf('=', StringComparison.Ordinal);
            var name = equals < 0 ? pair : pair[..equals];
            var value = equals < 0 ? string.Empty : pair[(equals + 1)..];
            yield return (Uri.UnescapeDataString(name), Uri.UnescapeDataString(value));
        }
    }

    static string Join(ICollection<string>? values) => values is null ? string.Empty : string.Join(",", values);

    static string Header(HttpRequestMessage request, string name) =>
        request.Headers.TryGetValues(name, out var values) ? string.Join(",", values) : string.Empty;
}
