using System.Collections.Concurrent;
using Azure.Core;
using Azure.Core.Pipeline;
using Azure.Storage.Blobs;

namespace Strongroom.Bench;

/// <summary>
/// Builds the one <see cref="BlobServiceClient"/> a run uses: no retries (an error is an error,
/// not a hidden second attempt inside a latency sample), no client-side logging or tracing, and a
/// SocketsHttpHandler whose connection limit is far above the concurrency so that concurrency 16
/// really is 16 connections.
/// </summary>
public static class BlobClientFactory
{
    public static BlobServiceClient Create(string connectionString, RequestCounter counter)
    {
        var handler = new SocketsHttpHandler
        {
            MaxConnectionsPerServer = 1024,
            UseProxy = false,
            UseCookies = false,
            AutomaticDecompression = System.Net.DecompressionMethods.None,
            ConnectTimeout = TimeSpan.FromSeconds(10),
            PooledConnectionIdleTimeout = TimeSpan.FromMinutes(5),
        };
        var httpClient = new HttpClient(handler) { Timeout = Timeout.InfiniteTimeSpan };
        var options = new BlobClientOptions
        {
            Transport = new HttpClientTransport(httpClient),
        };
        options.Retry.MaxRetries = 0;
        // A 64 MiB request at concurrency 16 on a slow server may legitimately take longer than the
        // SDK's 100 s default; the cell's own hard deadline bounds it instead.
        options.Retry.NetworkTimeout = TimeSpan.FromMinutes(10);
        options.Diagnostics.IsLoggingEnabled = false;
        options.Diagnostics.IsDistributedTracingEnabled = false;
        options.Diagnostics.IsTelemetryEnabled = false;
        options.AddPolicy(counter, HttpPipelinePosition.PerRetry);
        return new BlobServiceClient(connectionString, options);
    }
}

/// <summary>
/// Counts the REST operations the SDK actually sends (Put Blob vs. Put Block + Put Block List, and
/// whether a transactional checksum header went with them), so the results say what a "put" of a
/// given size is on the wire instead of assuming it.
/// </summary>
public sealed class RequestCounter : HttpPipelineSynchronousPolicy
{
    private readonly ConcurrentDictionary<string, long> _counts = new(StringComparer.Ordinal);

    public override void OnSendingRequest(HttpMessage message)
    {
        var request = message.Request;
        var query = request.Uri.Query;
        var method = request.Method.Method;
        string operation = query.Contains("restype=container", StringComparison.Ordinal)
            ? $"{method} restype=container"
            : (method, Comp(query)) switch
            {
                ("PUT", "block") => "PutBlock",
                ("PUT", "blocklist") => "PutBlockList",
                ("PUT", null) => "PutBlob",
                ("GET", null) => request.Headers.Contains("x-ms-range") || request.Headers.Contains("Range")
                    ? "GetBlob(range)"
                    : "GetBlob",
                ("HEAD", null) => "GetBlobProperties",
                (_, var comp) => $"{method} comp={comp}",
            };
        _counts.AddOrUpdate(operation, 1, (_, n) => n + 1);
        if (request.Headers.Contains("x-ms-content-crc64"))
        {
            _counts.AddOrUpdate("header:x-ms-content-crc64", 1, (_, n) => n + 1);
        }
        if (request.Headers.Contains("Content-MD5"))
        {
            _counts.AddOrUpdate("header:Content-MD5", 1, (_, n) => n + 1);
        }
    }

    public void Reset() => _counts.Clear();

    public SortedDictionary<string, long> Snapshot() => new(_counts, StringComparer.Ordinal);

    private static string? Comp(string query)
    {
        const string key = "comp=";
        var index = query.IndexOf(key, StringComparison.Ordinal);
        if (index < 0)
        {
            return null;
        }
        var start = index + key.Length;
        var end = query.IndexOf('&', start);
        return end < 0 ? query[start..] : query[start..end];
    }
}
