using System.Net;
using System.Net.Http.Headers;
using Azure.Core.Pipeline;
using Azure.Storage;
using Azure.Storage.Blobs;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using Strongroom.Blobs;
using Strongroom.Core;

namespace Strongroom.Protocol.Tests;

internal sealed class FixedTime(DateTimeOffset now) : TimeProvider
{
    public DateTimeOffset Now { get; set; } = now;

    public override DateTimeOffset GetUtcNow() => Now;
}

/// <summary>A request as the SDK put it on the wire.</summary>
internal sealed record CapturedRequest(string Method, string RawTarget, IReadOnlyList<KeyValuePair<string, string>> Headers, byte[] Body)
{
    public string? Header(string name) => Headers.FirstOrDefault(h => string.Equals(h.Key, name, StringComparison.OrdinalIgnoreCase)).Value;

    public DateTimeOffset Date => DateTimeOffset.Parse(Header("x-ms-date")!, System.Globalization.CultureInfo.InvariantCulture);

    /// <summary>The request as ASP.NET Core would present it to the handler.</summary>
    public DefaultHttpContext ToHttpContext(Func<KeyValuePair<string, string>, KeyValuePair<string, string>>? tamper = null)
    {
        var context = new DefaultHttpContext();
        context.Request.Method = Method;
        context.Request.Scheme = "http";
        context.Request.Host = new HostString("127.0.0.1", 10000);
        context.Request.Protocol = "HTTP/1.1";
        context.Features.Get<IHttpRequestFeature>()!.RawTarget = RawTarget;
        foreach (var header in Headers)
        {
            var (name, value) = tamper is null ? header : tamper(header);
            context.Request.Headers.Append(name, value);
        }

        context.Request.Body = new MemoryStream(Body);
        context.Response.Body = new MemoryStream();
        return context;
    }
}

/// <summary>
/// Stands in for the network: records each request the SDK sends and answers with a canned
/// response, so the SDK's real signing pipeline runs without a server.
/// </summary>
internal sealed class CapturingHandler : HttpMessageHandler
{
    public List<CapturedRequest> Requests { get; } = [];

    public Func<HttpRequestMessage, HttpResponseMessage>? Respond { get; set; }

    protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        var headers = new List<KeyValuePair<string, string>>();
        foreach (var (name, values) in request.Headers.NonValidated)
        {
            headers.Add(new(name, values.ToString()));
        }

        var body = Array.Empty<byte>();
        if (request.Content is not null)
        {
            body = await request.Content.ReadAsByteArrayAsync(cancellationToken);
            foreach (var (name, values) in request.Content.Headers.NonValidated)
            {
                headers.Add(new(name, values.ToString()));
            }

            if (!headers.Any(h => h.Key.Equals("Content-Length", StringComparison.OrdinalIgnoreCase)))
            {
                headers.Add(new("Content-Length", body.Length.ToString(System.Globalization.CultureInfo.InvariantCulture)));
            }
        }

        Requests.Add(new CapturedRequest(request.Method.Method, request.RequestUri!.PathAndQuery, headers, body));
        if (Respond is not null)
        {
            return Respond(request);
        }

        var response = new HttpResponseMessage(request.Method == HttpMethod.Put ? HttpStatusCode.Created : HttpStatusCode.OK)
        {
            Content = new ByteArrayContent([]),
        };
        response.Headers.ETag = new EntityTagHeaderValue("\"0x8D0000000000001\"");
        response.Content.Headers.LastModified = DateTimeOffset.UnixEpoch;
        if (request.Headers.TryGetValues("x-ms-client-request-id", out var ids))
        {
            response.Headers.Add("x-ms-client-request-id", ids);
        }

        return response;
    }
}

internal static class Dev
{
    public const string Account = "devstoreaccount1";
    public const string KeyBase64 = "Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==";
    public static readonly byte[] Key = Convert.FromBase64String(KeyBase64);
    public static readonly Uri ServiceUri = new("http://127.0.0.1:10000/devstoreaccount1");

    public static BlobServiceClient Client(CapturingHandler handler)
    {
        var options = new BlobClientOptions
        {
            Transport = new HttpClientTransport(new HttpClient(handler)),
        };
        options.Retry.MaxRetries = 0;
        return new BlobServiceClient(ServiceUri, new StorageSharedKeyCredential(Account, KeyBase64), options);
    }

    public static Task<SharedKeys?> Keys(string account, CancellationToken cancellationToken) =>
        Task.FromResult<SharedKeys?>(account == Account ? new SharedKeys(new byte[64], Key) : null);

    /// <summary>Runs an SDK call for its request only; the canned response may not satisfy the SDK.</summary>
    public static async Task<CapturedRequest> Capture(CapturingHandler handler, Func<Task> call)
    {
        var before = handler.Requests.Count;
        try
        {
            await call();
        }
        catch (Exception)
        {
            // The SDK may dislike the canned response; only the request matters here.
        }

        Assert.True(handler.Requests.Count > before, "the SDK sent no request");
        return handler.Requests[^1];
    }

    /// <summary>A blob service that is never reached by these tests (its stub would throw).</summary>
    public static BlobService UnreachableService() => new(null!, null!, null!, null!, null!, TimeProvider.System, new SeededRandomSource(1));
}
