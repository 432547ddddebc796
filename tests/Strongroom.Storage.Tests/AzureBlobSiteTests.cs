using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using Strongroom.Core;

namespace Strongroom.Storage.Tests;

/// <summary>
/// The failure contract of <see cref="AzureBlobSite"/> without a service (the conformance tests
/// drive it against Azurite): an endpoint that refuses connections, and one that accepts and never
/// answers, fail every method with an IOException within the configured retries and timeout.
/// </summary>
public sealed class AzureBlobSiteTests : IDisposable
{
    private static readonly string ObjectId = new SeededRandomSource(1).NewOpaqueId();
    private readonly string keyFile = Path.GetTempFileName();

    public AzureBlobSiteTests() => File.WriteAllText(keyFile, Convert.ToBase64String(new byte[64]));

    public void Dispose() => File.Delete(keyFile);

    private AzureBlobSite Open(int port) => new("remote", new AzureBlobSiteOptions(new Uri($"http://127.0.0.1:{port}/account"), "objects", "account", keyFile, DangerousAllowHttp: true)
    {
        Timeout = TimeSpan.FromMilliseconds(300),
        ConnectTimeout = TimeSpan.FromMilliseconds(300),
        RetriesMax = 1,
        RetryDelay = TimeSpan.FromMilliseconds(10),
        RetryDelayMax = TimeSpan.FromMilliseconds(10),
    });

    public static TheoryData<string> Methods() => new() { "write", "read", "check", "delete", "list" };

    private static async Task RunAsync(ISite site, string method)
    {
        switch (method)
        {
            case "write":
                await using (var write = await site.BeginWriteAsync(ObjectId))
                {
                    await write.Content.WriteAsync(new byte[10]);
                    await write.CommitAsync();
                }

                break;
            case "read":
                await (await site.OpenReadAsync(ObjectId)).DisposeAsync();
                break;
            case "check":
                await site.CheckAsync();
                break;
            case "delete":
                await site.DeleteAsync(ObjectId);
                break;
            default:
                await foreach (var _ in site.ListObjectIdsAsync())
                {
                }

                break;
        }
    }

    [Theory]
    [MemberData(nameof(Methods))]
    public async Task A_refused_connection_is_an_io_error(string method)
    {
        var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        var port = ((IPEndPoint)listener.LocalEndpoint).Port;
        listener.Stop();
        await using var site = Open(port);

        var failure = await Assert.ThrowsAsync<IOException>(() => RunAsync(site, method));
        Assert.IsNotType<FileNotFoundException>(failure);
        Assert.Contains("Site remote", failure.Message, StringComparison.Ordinal);
    }

    [Theory]
    [MemberData(nameof(Methods))]
    public async Task A_silent_endpoint_is_an_io_error_after_the_timeout_not_a_hang(string method)
    {
        // Accepts connections (the kernel's backlog does) and never answers.
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        await using var site = Open(((IPEndPoint)listener.LocalEndpoint).Port);

        var elapsed = Stopwatch.StartNew();
        var failure = await Assert.ThrowsAsync<IOException>(() => RunAsync(site, method));
        Assert.Contains("timeout", failure.Message, StringComparison.Ordinal);
        Assert.True(elapsed.Elapsed < TimeSpan.FromSeconds(10), $"{method} took {elapsed.Elapsed}.");
    }

    [Fact]
    public async Task Cancellation_by_the_caller_stays_a_cancellation()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        await using var site = Open(((IPEndPoint)listener.LocalEndpoint).Port);
        using var cancel = new CancellationTokenSource();
        await cancel.CancelAsync();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => site.CheckAsync(cancel.Token));
    }

    [Fact]
    public async Task Ids_that_are_not_object_ids_are_refused_before_any_request()
    {
        await using var site = Open(1);
        await Assert.ThrowsAsync<ArgumentException>(() => site.OpenReadAsync("../etc/passwd"));
        await Assert.ThrowsAsync<ArgumentException>(() => site.BeginWriteAsync("ABCDEF"));
        await Assert.ThrowsAsync<ArgumentException>(() => site.DeleteAsync(ObjectId.ToUpperInvariant()));
    }
}
