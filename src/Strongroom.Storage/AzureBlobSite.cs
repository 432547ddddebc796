using System.Net.Security;
using System.Runtime.CompilerServices;
using System.Security.Cryptography.X509Certificates;
using Azure;
using Azure.Core;
using Azure.Core.Pipeline;
using Azure.Storage;
using Azure.Storage.Blobs;
using Azure.Storage.Blobs.Models;
using Azure.Storage.Blobs.Specialized;
using Strongroom.Core;

namespace Strongroom.Storage;

/// <summary>
/// A site in another datacenter: an Azure Blob (or Azure-compatible) endpoint reached with the
/// Azure SDK. Each object is one block blob named by its opaque id in one container; nothing else
/// (no tenant, container or blob name, no plaintext) is ever sent.
///
/// A write stages blocks of <see cref="AzureBlobSiteOptions.BlockBytes"/> as its content arrives,
/// one Put Block in flight while the next block fills (so it holds at most two blocks in memory
/// and the sender rarely waits on the network), and its commit publishes them with one Put Block List
/// under <c>If-None-Match: *</c>: the object appears whole or not at all, and an id that already
/// exists is refused. An object that fits in one block is sent with a single Put Blob under the
/// same condition instead (one round trip). A write disposed uncommitted leaves only uncommitted
/// blocks, which the service discards by itself (Azure after a week).
///
/// Every write carries a random write id in the blob's metadata, so a commit whose response was
/// lost and whose retry then met the condition (409) is recognised as this write's own success,
/// not reported as a collision.
///
/// Reads stream ranged GETs: the first request starts at offset 0 and is kept while the reader
/// reads sequentially; a seek elsewhere drops it and the next read opens a ranged GET at the new
/// position, pinned to the object's ETag. No read buffers more than the transport does.
///
/// Failures: the SDK's retry is bounded (<see cref="AzureBlobSiteOptions.RetriesMax"/> short
/// retries, <see cref="AzureBlobSiteOptions.Timeout"/> per try, a connect timeout) so a dead
/// datacenter fails in seconds; every failure becomes an <see cref="IOException"/>
/// (<see cref="FileNotFoundException"/> for an absent object) whose message names the site, the
/// operation and the status, never the account key.
/// </summary>
public sealed partial class AzureBlobSite : ISite, IAsyncDisposable
{
    /// <summary>The metadata name of the random id of the write that created a blob.</summary>
    private const string WriteIdMetadataName = "writeid";

    private readonly AzureBlobSiteOptions options;
    private readonly IRandomSource random;
    private readonly HttpClient httpClient;
    private readonly BlobContainerClient container;
    private readonly SemaphoreSlim containerGate = new(1, 1);
    private volatile bool containerReady;

    /// <summary>Opens the site: reads the key file and builds the client; nothing is contacted yet.</summary>
    /// <exception cref="ArgumentException">The options are not usable (plain HTTP without <see cref="AzureBlobSiteOptions.DangerousAllowHttp"/>, a bad container name or key).</exception>
    /// <exception cref="IOException">The key or CA file cannot be read.</exception>
    public AzureBlobSite(string id, AzureBlobSiteOptions options, IRandomSource? random = null)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(id);
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(options.Endpoint);
        ArgumentException.ThrowIfNullOrWhiteSpace(options.AccountName);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(options.BlockBytes);
        ArgumentOutOfRangeException.ThrowIfNegative(options.RetriesMax);
        Id = id;
        this.options = options;
        this.random = random ?? SystemRandomSource.Instance;

        if (!options.Endpoint.IsAbsoluteUri || !(options.Endpoint.Scheme == Uri.UriSchemeHttps || (options.Endpoint.Scheme == Uri.UriSchemeHttp && options.DangerousAllowHttp)))
        {
            throw new ArgumentException($"Site {id}: the endpoint must be an absolute https URI (plain http only with DangerousAllowHttp).", nameof(options));
        }

        if (!Names.IsValidContainerName(options.Container))
        {
            throw new ArgumentException($"Site {id}: '{options.Container}' is not a valid container name.", nameof(options));
        }

        var credential = ReadCredential(id, options);
        var trustedRoots = options.CaCertificateFile is null ? null : ReadCertificates(id, options.CaCertificateFile);
        httpClient = new HttpClient(CreateHandler(options, trustedRoots), disposeHandler: true) { Timeout = Timeout.InfiniteTimeSpan };

        var clientOptions = new BlobClientOptions
        {
            Transport = new HttpClientTransport(httpClient),
            Retry =
            {
                Mode = RetryMode.Exponential,
                MaxRetries = options.RetriesMax,
                Delay = options.RetryDelay,
                MaxDelay = options.RetryDelayMax,
                NetworkTimeout = options.Timeout,
            },
        };
        clientOptions.Diagnostics.IsDistributedTracingEnabled = false;
        clientOptions.Diagnostics.IsLoggingEnabled = false;

        container = new BlobServiceClient(options.Endpoint, credential, clientOptions).GetBlobContainerClient(options.Container);
    }

    public string Id { get; }

    public async Task<ISiteWrite> BeginWriteAsync(string objectId, CancellationToken cancellationToken = default)
    {
        ValidateObjectId(objectId);
        await EnsureContainerAsync("write", objectId, cancellationToken).ConfigureAwait(false);
        return new Write(this, container.GetBlockBlobClient(objectId), objectId, random.NewOpaqueId());
    }

    public async Task<Stream> OpenReadAsync(string objectId, CancellationToken cancellationToken = default)
    {
        ValidateObjectId(objectId);
        var blob = container.GetBlobClient(objectId);
        try
        {
            // Unranged: a 0-byte object has no valid range, and a reader that starts at 0 (every
            // reader reads the header first) keeps this response.
            var response = await blob.DownloadStreamingAsync(new BlobDownloadOptions(), cancellationToken).ConfigureAwait(false);
            var details = response.Value.Details;
            return new ReadStream(this, blob, objectId, details.ContentLength, details.ETag, response.Value.Content);
        }
        catch (Exception exception) when (IsSiteFailure(exception, cancellationToken))
        {
            throw Failure("read", objectId, exception);
        }
    }

    /// <summary>Proves the endpoint answers and the key is accepted (one request for the container's properties), creating the container the first time.</summary>
    public async Task CheckAsync(CancellationToken cancellationToken = default)
    {
        try
        {
            await container.GetPropertiesAsync(cancellationToken: cancellationToken).ConfigureAwait(false);
            containerReady = true;
        }
        catch (RequestFailedException exception) when (exception.ErrorCode == "ContainerNotFound")
        {
            containerReady = false;
            await EnsureContainerAsync("check", null, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception exception) when (IsSiteFailure(exception, cancellationToken))
        {
            throw Failure("check", null, exception);
        }
    }

    /// <summary>Removes the object; absent (or no container) is not an error.</summary>
    public async Task DeleteAsync(string objectId, CancellationToken cancellationToken = default)
    {
        ValidateObjectId(objectId);
        try
        {
            await container.GetBlobClient(objectId).DeleteIfExistsAsync(cancellationToken: cancellationToken).ConfigureAwait(false);
        }
        catch (Exception exception) when (IsSiteFailure(exception, cancellationToken))
        {
            throw Failure("delete", objectId, exception);
        }
    }

    /// <summary>Committed blobs whose names are object ids; anything else in the container is not an object.</summary>
    public async IAsyncEnumerable<string> ListObjectIdsAsync([EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        await EnsureContainerAsync("list", null, cancellationToken).ConfigureAwait(false);
        IAsyncEnumerator<BlobItem> items;
        try
        {
            items = container.GetBlobsAsync(cancellationToken: cancellationToken).GetAsyncEnumerator(cancellationToken);
        }
        catch (Exception exception) when (IsSiteFailure(exception, cancellationToken))
        {
            throw Failure("list", null, exception);
        }

        await using (items.ConfigureAwait(false))
        {
            while (true)
            {
                try
                {
                    if (!await items.MoveNextAsync().ConfigureAwait(false))
                    {
                        yield break;
                    }
                }
                catch (Exception exception) when (IsSiteFailure(exception, cancellationToken))
                {
                    throw Failure("list", null, exception);
                }

                if (LocalDirectorySite.IsValidObjectId(items.Current.Name))
                {
                    yield return items.Current.Name;
                }
            }
        }
    }

    public ValueTask DisposeAsync()
    {
        httpClient.Dispose();
        containerGate.Dispose();
        return ValueTask.CompletedTask;
    }

    private static void ValidateObjectId(string objectId)
    {
        if (!LocalDirectorySite.IsValidObjectId(objectId))
        {
            throw new ArgumentException("An object id is 32 lowercase hexadecimal characters.", nameof(objectId));
        }
    }

    /// <summary>Creates the container once (the first write, list or check); forgotten when the service says it is gone.</summary>
    private async Task EnsureContainerAsync(string operation, string? objectId, CancellationToken cancellationToken)
    {
        if (containerReady)
        {
            return;
        }

        await containerGate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            if (!containerReady)
            {
                await container.CreateIfNotExistsAsync(cancellationToken: cancellationToken).ConfigureAwait(false);
                containerReady = true;
            }
        }
        catch (Exception exception) when (IsSiteFailure(exception, cancellationToken))
        {
            throw Failure(operation, objectId, exception);
        }
        finally
        {
            containerGate.Release();
        }
    }

    /// <summary>What the SDK and the transport throw when the site fails; a cancellation the caller asked for is not one.</summary>
    private static bool IsSiteFailure(Exception exception, CancellationToken cancellationToken) => exception switch
    {
        OperationCanceledException => !cancellationToken.IsCancellationRequested,
        RequestFailedException or AggregateException or IOException or HttpRequestException
            or TimeoutException or System.Security.Authentication.AuthenticationException => true,

        // A garbled answer (not an Azure Blob service at that endpoint, or a broken proxy).
        System.Xml.XmlException => true,
        _ => false,
    };

    /// <summary>
    /// The site's failure as the ISite contract states it. The message is built here from the
    /// status and error code only (never the SDK's message, which quotes the service's response);
    /// the SDK's exception stays as the inner exception for the log. Neither carries the key: the
    /// SDK redacts the Authorization header and the service never sees the key.
    /// </summary>
    private IOException Failure(string operation, string? objectId, Exception exception)
    {
        if (exception is RequestFailedException { ErrorCode: "ContainerNotFound" })
        {
            containerReady = false;
        }

        var what = objectId is null ? operation : $"{operation} of object {objectId}";
        var message = $"Site {Id}: {what} failed: {Describe(exception)}.";
        return exception is RequestFailedException { Status: 404 }
            ? new FileNotFoundException(message, exception)
            : new IOException(message, exception);
    }

    private static string Describe(Exception exception) => exception switch
    {
        RequestFailedException { Status: 0 } failed when failed.InnerException is not null => Describe(failed.InnerException),
        RequestFailedException failed => $"HTTP {failed.Status}{(failed.ErrorCode is null ? "" : " " + failed.ErrorCode)}",
        AggregateException aggregate => $"{aggregate.InnerExceptions.Count} tries failed, the last with {Describe(aggregate.InnerExceptions[^1])}",
        OperationCanceledException => "no answer within the timeout",
        _ when exception.InnerException is { } inner and not RequestFailedException => $"{exception.Message} ({Describe(inner)})",
        _ => exception.Message,
    };

    private static StorageSharedKeyCredential ReadCredential(string id, AzureBlobSiteOptions options)
    {
        string key;
        try
        {
            key = File.ReadAllText(options.AccountKeyFile).Trim();
        }
        catch (Exception exception) when (exception is IOException or UnauthorizedAccessException)
        {
            throw new IOException($"Site {id}: the account key file {options.AccountKeyFile} cannot be read.", exception);
        }

        try
        {
            return new StorageSharedKeyCredential(options.AccountName, key);
        }
        catch (FormatException)
        {
            // Not chained: the inner exception could quote the text it could not decode.
            throw new ArgumentException($"Site {id}: the account key file {options.AccountKeyFile} does not hold a base64 key.", nameof(options));
        }
    }

    private static X509Certificate2Collection ReadCertificates(string id, string path)
    {
        var certificates = new X509Certificate2Collection();
        try
        {
            certificates.ImportFromPemFile(path);
        }
        catch (Exception exception) when (exception is IOException or UnauthorizedAccessException or System.Security.Cryptography.CryptographicException)
        {
            throw new IOException($"Site {id}: the CA certificate file {path} cannot be read as PEM.", exception);
        }

        if (certificates.Count == 0)
        {
            throw new IOException($"Site {id}: the CA certificate file {path} holds no certificate.");
        }

        return certificates;
    }

    private static SocketsHttpHandler CreateHandler(AzureBlobSiteOptions options, X509Certificate2Collection? trustedRoots)
    {
        var handler = new SocketsHttpHandler
        {
            ConnectTimeout = options.ConnectTimeout,
            PooledConnectionLifetime = TimeSpan.FromMinutes(5),
            AutomaticDecompression = System.Net.DecompressionMethods.None,
        };
        if (trustedRoots is not null)
        {
            handler.SslOptions.RemoteCertificateValidationCallback = (_, certificate, chain, errors) =>
                IsTrustedByPinnedRoots(certificate, chain, errors, trustedRoots);
        }

        return handler;
    }

    /// <summary>
    /// The pinned CA is the only root: the chain is rebuilt against it alone (the system's roots do
    /// not count), and the host name must still match.
    /// </summary>
    private static bool IsTrustedByPinnedRoots(X509Certificate? certificate, X509Chain? presented, SslPolicyErrors errors, X509Certificate2Collection trustedRoots)
    {
        if (certificate is null || (errors & ~SslPolicyErrors.RemoteCertificateChainErrors) != SslPolicyErrors.None)
        {
            return false;
        }

        using var chain = new X509Chain();
        chain.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
        chain.ChainPolicy.CustomTrustStore.AddRange(trustedRoots);
        chain.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
        if (presented is not null)
        {
            foreach (var element in presented.ChainElements)
            {
                chain.ChainPolicy.ExtraStore.Add(element.Certificate);
            }
        }

        if (certificate is X509Certificate2 leaf)
        {
            return chain.Build(leaf);
        }

        using var copy = X509CertificateLoader.LoadCertificate(certificate.GetRawCertData());
        return chain.Build(copy);
    }
}
