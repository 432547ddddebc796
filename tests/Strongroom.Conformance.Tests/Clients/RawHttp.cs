using System.Globalization;
using System.Net.Sockets;
using System.Security.Cryptography;
using System.Text;

namespace Strongroom.Conformance.Tests.RealClients;

/// <summary>
/// A request written byte for byte to a socket, for what no HTTP client sends: bodies shorter than
/// their Content-Length, broken chunking, header names and values a client library refuses.
/// Signed with Shared Key from its own header list (the string-to-sign of the Blob service, version
/// 2015-02-21 and later) unless <see cref="Unsigned"/>.
/// </summary>
public sealed class RawRequest
{
    public required string Method { get; init; }

    /// <summary>Already-escaped path from the root, e.g. <c>/devstoreaccount1/c/b</c>.</summary>
    public required string Path { get; set; }

    /// <summary>Already-escaped query without '?', possibly empty.</summary>
    public string Query { get; set; } = string.Empty;

    public List<KeyValuePair<string, string>> Headers { get; } = [];

    public byte[] Body { get; set; } = [];

    /// <summary>The Content-Length sent (and signed); null: the body's length.</summary>
    public long? DeclaredLength { get; set; }

    /// <summary>How many body bytes are actually written; null: all of them.</summary>
    public int? SentBodyBytes { get; set; }

    /// <summary>Send the body with Transfer-Encoding: chunked (as written in <see cref="Body"/>, which then holds the raw chunked bytes).</summary>
    public bool RawChunked { get; set; }

    public bool Unsigned { get; set; }

    public string Target => Query.Length == 0 ? Path : $"{Path}?{Query}";

    public void Set(string name, string value)
    {
        Headers.RemoveAll(header => string.Equals(header.Key, name, StringComparison.OrdinalIgnoreCase));
        Headers.Add(new(name, value));
    }

    public void Remove(string name) =>
        Headers.RemoveAll(header => string.Equals(header.Key, name, StringComparison.OrdinalIgnoreCase));

    public string? Get(string name) =>
        Headers.LastOrDefault(header => string.Equals(header.Key, name, StringComparison.OrdinalIgnoreCase)).Value;

    /// <summary>The request's bytes on the wire (Authorization computed last, over the final headers).</summary>
    public byte[] Serialize(string accountName, string accountKey)
    {
        var headers = new List<KeyValuePair<string, string>>(Headers);
        var length = DeclaredLength ?? Body.Length;
        if (!RawChunked && !headers.Any(h => string.Equals(h.Key, "Content-Length", StringComparison.OrdinalIgnoreCase)))
        {
            headers.Add(new("Content-Length", length.ToString(CultureInfo.InvariantCulture)));
        }

        if (RawChunked)
        {
            headers.Add(new("Transfer-Encoding", "chunked"));
        }

        if (!Unsigned && !headers.Any(h => string.Equals(h.Key, "Authorization", StringComparison.OrdinalIgnoreCase)))
        {
            var signature = Convert.ToBase64String(HMACSHA256.HashData(
                Convert.FromBase64String(accountKey), Encoding.UTF8.GetBytes(StringToSign(headers, accountName))));
            headers.Add(new("Authorization", $"SharedKey {accountName}:{signature}"));
        }

        var head = new StringBuilder();
        head.Append(Method).Append(' ').Append(Target).Append(" HTTP/1.1\r\n");
        head.Append("Host: 127.0.0.1\r\n");
        head.Append("Connection: close\r\n");
        foreach (var (name, value) in headers)
        {
            head.Append(name).Append(": ").Append(value).Append("\r\n");
        }

        head.Append("\r\n");
        var headBytes = Encoding.UTF8.GetBytes(head.ToString());
        var sent = Math.Min(SentBodyBytes ?? Body.Length, Body.Length);
        var bytes = new byte[headBytes.Length + sent];
        headBytes.CopyTo(bytes, 0);
        Body.AsSpan(0, sent).CopyTo(bytes.AsSpan(headBytes.Length));
        return bytes;
    }

    string StringToSign(List<KeyValuePair<string, string>> headers, string accountName)
    {
        string Header(string name) => string.Join(",", headers
            .Where(h => string.Equals(h.Key, name, StringComparison.OrdinalIgnoreCase))
            .Select(h => h.Value));

        var contentLength = Header("Content-Length");
        var builder = new StringBuilder();
        builder.Append(Method).Append('\n');
        builder.Append(Header("Content-Encoding")).Append('\n');
        builder.Append(Header("Content-Language")).Append('\n');
        builder.Append(contentLength == "0" ? string.Empty : contentLength).Append('\n');
        builder.Append(Header("Content-MD5")).Append('\n');
        builder.Append(Header("Content-Type")).Append('\n');
        builder.Append(Header("Date")).Append('\n');
        builder.Append(Header("If-Modified-Since")).Append('\n');
        builder.Append(Header("If-Match")).Append('\n');
        builder.Append(Header("If-None-Match")).Append('\n');
        builder.Append(Header("If-Unmodified-Since")).Append('\n');
        builder.Append(Header("Range")).Append('\n');
        foreach (var group in headers
            .Where(h => h.Key.StartsWith("x-ms-", StringComparison.OrdinalIgnoreCase))
            .GroupBy(h => h.Key.ToLowerInvariant())
            .OrderBy(g => g.Key, StringComparer.Ordinal))
        {
            builder.Append(group.Key).Append(':').Append(string.Join(",", group.Select(h => h.Value.Trim()))).Append('\n');
        }

        builder.Append('/').Append(accountName).Append(Unescape(Path));
        foreach (var group in Query.Split('&', StringSplitOptions.RemoveEmptyEntries)
            .Select(pair => pair.Split('=', 2))
            .GroupBy(pair => Unescape(pair[0]).ToLowerInvariant())
            .OrderBy(g => g.Key, StringComparer.Ordinal))
        {
            builder.Append('\n').Append(group.Key).Append(':')
                .Append(string.Join(",", group.Select(pair => pair.Length > 1 ? Unescape(pair[1]) : string.Empty).OrderBy(v => v, StringComparer.Ordinal)));
        }

        return builder.ToString();
    }

    static string Unescape(string text)
    {
        try
        {
            return Uri.UnescapeDataString(text);
        }
        catch (UriFormatException)
        {
            return text;
        }
    }

    public override string ToString()
    {
        var text = new StringBuilder();
        text.Append(Method).Append(' ').Append(Target.Length > 300 ? Target[..300] + "…" : Target).Append('\n');
        foreach (var (name, value) in Headers)
        {
            text.Append("  ").Append(name).Append(": ").Append(value.Length > 200 ? $"{value[..200]}… ({value.Length} chars)" : value).Append('\n');
        }

        text.Append("  body: ").Append(Body.Length).Append(" bytes");
        if (DeclaredLength is { } declared)
        {
            text.Append(", Content-Length ").Append(declared);
        }

        if (SentBodyBytes is { } sent)
        {
            text.Append(", ").Append(sent).Append(" sent then the write side closed");
        }

        if (RawChunked)
        {
            text.Append(", raw chunked");
        }

        if (Body.Length > 0 && Body.Length <= 400 && Body.All(b => b is >= 0x20 and < 0x7F or (byte)'\n' or (byte)'\r' or (byte)'\t'))
        {
            text.Append('\n').Append("  ").Append(Encoding.ASCII.GetString(Body));
        }

        return text.ToString();
    }
}

public sealed record RawHttpResponse(int Status, IReadOnlyDictionary<string, string> Headers, byte[] Body)
{
    public string? Header(string name) => Headers.TryGetValue(name, out var value) ? value : null;

    public string BodyText => Encoding.UTF8.GetString(Body);

    public override string ToString()
    {
        var body = Body.Length > 1500 ? BodyText[..1500] + "…" : BodyText;
        return $"{Status}\n{string.Join('\n', Headers.Select(h => $"  {h.Key}: {h.Value}"))}\n{body}";
    }
}

public static class RawHttp
{
    /// <summary>
    /// Writes the request, closes the write side when <paramref name="halfClose"/>, and reads the
    /// whole response (the request asks for Connection: close). Throws <see cref="IOException"/>
    /// when the connection ends without a complete response and <see cref="TimeoutException"/>
    /// when nothing completes within <paramref name="timeout"/>.
    /// </summary>
    public static async Task<RawHttpResponse> SendAsync(int port, byte[] request, bool headRequest, bool halfClose, TimeSpan timeout)
    {
        using var cancellation = new CancellationTokenSource(timeout);
        using var client = new TcpClient();
        try
        {
            await client.ConnectAsync("127.0.0.1", port, cancellation.Token);
            var stream = client.GetStream();
            try
            {
                await stream.WriteAsync(request, cancellation.Token);
                if (halfClose)
                {
                    client.Client.Shutdown(SocketShutdown.Send);
                }
            }
            catch (IOException)
            {
                // The server may answer (and close) before reading everything, e.g. a rejected header.
            }

            using var received = new MemoryStream();
            var buffer = new byte[64 * 1024];
            while (true)
            {
                int read;
                try
                {
                    read = await stream.ReadAsync(buffer, cancellation.Token);
                }
                catch (IOException) when (received.Length > 0)
                {
                    // A reset after a complete response is the server closing a connection it did not read to the end.
                    break;
                }

                if (read == 0)
                {
                    break;
                }

                received.Write(buffer, 0, read);
            }

            return Parse(received.ToArray(), headRequest);
        }
        catch (OperationCanceledException)
        {
            throw new TimeoutException($"no complete response within {timeout.TotalSeconds} s");
        }
    }

    static RawHttpResponse Parse(byte[] bytes, bool headRequest)
    {
        var end = bytes.AsSpan().IndexOf("\r\n\r\n"u8);
        if (end < 0)
        {
            throw new IOException($"the connection ended after {bytes.Length} bytes without a complete response head");
        }

        var lines = Encoding.Latin1.GetString(bytes, 0, end).Split("\r\n");
        var statusParts = lines[0].Split(' ', 3);
        if (statusParts.Length < 2 || !statusParts[0].StartsWith("HTTP/1.", StringComparison.Ordinal)
            || !int.TryParse(statusParts[1], NumberStyles.None, CultureInfo.InvariantCulture, out var status))
        {
            throw new IOException($"not an HTTP status line: {lines[0]}");
        }

        var headers = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
        foreach (var line in lines.Skip(1))
        {
            var colon = line.IndexOf(':', StringComparison.Ordinal);
            if (colon > 0)
            {
                var name = line[..colon].Trim();
                var value = line[(colon + 1)..].Trim();
                headers[name] = headers.TryGetValue(name, out var previous) ? $"{previous},{value}" : value;
            }
        }

        var body = bytes.AsSpan(end + 4).ToArray();
        if (headRequest || status is 204 or 304 || (status >= 100 && status < 200))
        {
            return new RawHttpResponse(status, headers, []);
        }

        if (headers.TryGetValue("Transfer-Encoding", out var encoding) && encoding.Contains("chunked", StringComparison.OrdinalIgnoreCase))
        {
            body = Dechunk(body);
        }
        else if (headers.TryGetValue("Content-Length", out var lengthText) && long.TryParse(lengthText, CultureInfo.InvariantCulture, out var length))
        {
            if (body.Length < length)
            {
                throw new IOException($"the response body ended after {body.Length} of {length} bytes");
            }

            body = body[..(int)length];
        }

        return new RawHttpResponse(status, headers, body);
    }

    static byte[] Dechunk(byte[] chunked)
    {
        using var output = new MemoryStream();
        var position = 0;
        while (true)
        {
            var lineEnd = chunked.AsSpan(position).IndexOf("\r\n"u8);
            if (lineEnd < 0)
            {
                throw new IOException("the chunked response body ended without its last chunk");
            }

            var sizeText = Encoding.ASCII.GetString(chunked, position, lineEnd).Split(';')[0];
            var size = int.Parse(sizeText, NumberStyles.HexNumber, CultureInfo.InvariantCulture);
            position += lineEnd + 2;
            if (size == 0)
            {
                return output.ToArray();
            }

            if (position + size > chunked.Length)
            {
                throw new IOException("the chunked response body ended inside a chunk");
            }

            output.Write(chunked, position, size);
            position += size + 2;
        }
    }
}
