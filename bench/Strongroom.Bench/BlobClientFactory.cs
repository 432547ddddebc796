using System.Collections.Concurrent;
using Azure.Core;
using Azure.Core.Pipeline;
using Azure.Storage.Blobs;
using System.Security.Cryptography.X509Certificates;

namespace Strongroom.Bench;

/// <summary>
/// Builds the one <see cref="BlobServiceClient"/> a run uses: no retries (an error is an error,
/// not a hidden second attempt inside a latency sample), no client-side logging or tracing, and a
/// SocketsHttpHandler whose connection limit is far above the concurrency so that concurrency 16
/// really is 16 connections.
/// </summary>
public static class BlobClientFactory
{
    /// <summary>A client for <paramref name="target"/>: Shared Key from its connection string, or a bearer token.</summary>
    public static BlobServiceClient Create(BlobTarget target, RequestCounter counter)
    {
        var options = Options(counter, target.TrustedCertificatePath);
        return target.BearerToken is { } token
            ? new BlobServiceClient(target.Endpoint ?? throw new ArgumentException("a bearer token needs --endpoint (the account's URL)"), new StaticTokenCredential(token), options)
            : new BlobServiceClient(target.ConnectionString ?? throw new ArgumentException("a connection string is required"), options);
    }

    public static BlobServiceClient Create(string connectionString, RequestCounter counter) =>
        new(connectionString, Options(counter, trustedCertificatePath: null));

    /// <summary>
    /// A handler for HTTPS to a server with a self-signed certificate: it trusts exactly the
    /// certificate in <paramref name="trustedCertificatePath"/> (PEM), as <c>--ca-cert</c> does in
    /// the CLI; null leaves the platform's validation in place.
    /// </summary>
    public static SocketsHttpHandler Handler(string? trustedCertificatePath)
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
        if (trustedCertificatePath is not null)
        {
            var trusted = X509Certificate2.CreateFromPem(File.ReadAllText(trustedCertificatePath)).RawData;
            handler.SslOptions.RemoteCertificateValidationCallback = (_, certificate, _, _) =>
                certificate is not null && certificate.GetRawCertData().AsSpan().SequenceEqual(trusted);
        }
        return handler;
    }

    private static BlobClientOptions Options(RequestCounter counter, string? trustedCertificatePath)
    {
        var httpClient = new HttpClient(Handler(trustedCertificatePath)) { Timeout = Timeout.InfiniteTimeSpan };
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
        return options;
    }
}

/// <summary>
/// What a run talks to: a Shared Key connection string, or an account URL with a bearer token (a
/// lockbox grant token, <c>srgrant1.…</c>); optionally the one certificate to trust for HTTPS.
/// </summary>
public sealed record BlobTarget(string? ConnectionString, Uri? Endpoint, string? BearerToken, string? TrustedCertificatePath)
{
    public bool Bearer => BearerToken is not null;
}

/// <summary>Hands the SDK a fixed bearer token (a lockbox grant token), whatever scope it asks for.</summary>
public sealed class StaticTokenCredential(string token) : TokenCredential
{
    public override AccessToken GetToken(TokenRequestContext requestContext, CancellationToken cancellationToken) =>
        new(token, DateTimeOffset.MaxValue);

    public override ValueTask<AccessToken> GetTokenAsync(TokenRequestContext requestContext, CancellationToken cancellationToken) =>
        new(GetToken(requestContext, cancellationToken));
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
