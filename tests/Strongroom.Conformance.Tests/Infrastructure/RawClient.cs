using System.Net;
using System.Text;
using Azure.Storage.Blobs;

namespace Strongroom.Conformance.Tests.Infrastructure;

/// <summary>
/// Hand-built HTTP requests for what the SDK will not send: malformed bodies, wrong checksums,
/// anonymous access, mismatched credentials, exact header checks.
/// </summary>
public sealed class RawClient : IDisposable
{
    readonly HttpClient _http = new(new SocketsHttpHandler { AutomaticDecompression = DecompressionMethods.None })
    {
        Timeout = TimeSpan.FromMinutes(5),
    };

    readonly StrongroomProcess _server;

    public RawClient(StrongroomProcess server)
    {
        _server = server;
    }

    /// <summary>The x-ms-version the SDK under test sends (e.g. V2026_10_06 → "2026-10-06").</summary>
    public static string SdkServiceVersion { get; } =
        new BlobClientOptions().Version.ToString().TrimStart('V').Replace('_', '-');

    /// <param name="accountInUrl">The account whose path-style URL is addressed.</param>
    /// <param name="pathAndQuery">Already-escaped path below the account, starting with '/', plus query.</param>
    /// <param name="signer">Null for an anonymous request.</param>
    public async Task<RawResponse> SendAsync(
        HttpMethod method,
        string accountInUrl,
        string pathAndQuery,
        SharedKeySigner? signer,
        byte[]? body = null,
        IReadOnlyDictionary<string, string>? headers = null,
        string? version = null)
    {
        var uri = new Uri($"http://127.0.0.1:{_server.Port}/{accountInUrl}{pathAndQuery}");
        using var request = new HttpRequestMessage(method, uri);
        if (body is not null)
        {
            request.Content = new ByteArrayContent(body);
        }
        else if (method == HttpMethod.Put || method == HttpMethod.Post)
        {
            request.Content = new ByteArrayContent([]);
        }

        request.Headers.TryAddWithoutValidation("x-ms-date", DateTime.UtcNow.ToString("r", System.Globalization.CultureInfo.InvariantCulture));
        request.Headers.TryAddWithoutValidation("x-ms-version", version ?? SdkServiceVersion);
        foreach (var (name, value) in headers ?? new Dictionary<string, string>())
        {
            if (name.StartsWith("Content-", StringComparison.OrdinalIgnoreCase))
            {
                request.Content ??= new ByteArrayContent([]);
                request.Content.Headers.Remove(name);
                request.Content.Headers.TryAddWithoutValidation(name, value);
            }
            else
            {
                request.Headers.Remove(name);
                request.Headers.TryAddWithoutValidation(name, value);
            }
        }

        signer?.Sign(request);
        using var response = await _http.SendAsync(request);
        var bytes = await response.Content.ReadAsByteArrayAsync();
        var all = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
        foreach (var header in response.Headers.Concat(response.Content.Headers))
        {
            all[header.Key] = string.Join(",", header.Value);
        }

        return new RawResponse(method.Method, uri, (int)response.StatusCode, response.ReasonPhrase ?? string.Empty, all, bytes);
    }

    public void Dispose() => _http.Dispose();
}

public sealed record RawResponse(
    string Method,
    Uri Uri,
    int Status,
    string Reason,
    IReadOnlyDictionary<string, string> Headers,
    byte[] Body)
{
    public string? ErrorCode => Header("x-ms-error-code");

    public string BodyText => Encoding.UTF8.GetString(Body);

    public string? Header(string name) => Headers.TryGetValue(name, out var value) ? value : null;

    public override string ToString()
    {
        var headers = string.Join("\n", Headers.Select(h => $"  {h.Key}: {h.Value}"));
        var body = Body.Length > 4096 ? BodyText[..4096] + "…" : BodyText;
        return $"{Method} {Uri} → {Status} {Reason} (x-ms-error-code: {ErrorCode ?? "<none>"})\n{headers}\n{body}";
    }
}
