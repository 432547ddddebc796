using System.Collections.Concurrent;
using Azure;
using Azure.Storage;
using Azure.Storage.Blobs;
using Azure.Storage.Blobs.Models;
using Strongroom.Conformance.Tests.Infrastructure;
using Xunit;
using Xunit.Abstractions;

namespace Strongroom.Conformance.Tests;

/// <summary>SIGKILL during a concurrent write workload: acknowledged writes survive, nothing torn is visible.</summary>
public sealed class CrashTests(ServerFixture fixture, ITestOutputHelper output) : IClassFixture<ServerFixture>
{
    const int Writers = 8;
    const int AcknowledgementsBeforeKill = 200;
    const string ContainerName = "crash-workload";

    /// <summary>Sizes cycle through small, segment-boundary and multi-block shapes.</summary>
    static int SizeFor(int writer, int sequence) => ((writer * 7) + sequence) % 6 switch
    {
        0 => 0,
        1 => 100,
        2 => 64 * 1024,
        3 => (64 * 1024) + 1,
        4 => 200_000,
        _ => 300_001,
    };

    static string NameFor(int writer, int sequence) => $"w{writer}/blob-{sequence:D5}";

    static byte[] ContentFor(string name, int size) => Payloads.For("crash:" + name, size);

    static int ExpectedSize(string name)
    {
        var writer = int.Parse(name.AsSpan(1, name.IndexOf('/', StringComparison.Ordinal) - 1), System.Globalization.CultureInfo.InvariantCulture);
        var sequence = int.Parse(name.AsSpan(name.LastIndexOf('-') + 1), System.Globalization.CultureInfo.InvariantCulture);
        return SizeFor(writer, sequence);
    }

    [Fact]
    public async Task Acknowledged_blobs_survive_sigkill_and_no_torn_blob_is_visible()
    {
        var setup = fixture.Service.GetBlobContainerClient(ContainerName);
        await setup.CreateAsync();

        var acknowledged = new ConcurrentQueue<string>();
        var enough = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        using var stop = new CancellationTokenSource();
        var service = new BlobServiceClient(fixture.Server.ConnectionString, Clients.Options());

        async Task WriterAsync(int writer)
        {
            var container = service.GetBlobContainerClient(ContainerName);
            for (var sequence = 0; !stop.IsCancellationRequested; sequence++)
            {
                var name = NameFor(writer, sequence);
                var data = ContentFor(name, SizeFor(writer, sequence));
                var options = new BlobUploadOptions();
                if (writer % 2 == 1)
                {
                    // Odd writers go through Put Block + Put Block List.
                    options.TransferOptions = new StorageTransferOptions { InitialTransferSize = 64 * 1024, MaximumTransferSize = 64 * 1024 };
                }

                try
                {
                    using var source = new MemoryStream(data, writable: false);
                    await container.GetBlobClient(name).UploadAsync(source, options, stop.Token);
                }
                catch (Exception) when (stop.IsCancellationRequested)
                {
                    return; // the kill interrupted this upload: it was never acknowledged
                }

                acknowledged.Enqueue(name);
                if (acknowledged.Count >= AcknowledgementsBeforeKill)
                {
                    enough.TrySetResult();
                }
            }
        }

        var writers = Enumerable.Range(0, Writers).Select(w => Task.Run(() => WriterAsync(w))).ToArray();
        var firstDone = await Task.WhenAny(enough.Task, Task.WhenAll(writers));
        await firstDone; // surfaces a writer failure before the kill
        Assert.True(enough.Task.IsCompleted, "the writers stopped before reaching the kill point");

        // Cancel first so that writer failures caused by the kill are recognised as such.
        await stop.CancelAsync();
        await fixture.Server.KillAsync();
        await Task.WhenAll(writers);
        var acked = acknowledged.ToArray();
        output.WriteLine($"{acked.Length} uploads acknowledged before SIGKILL");

        await fixture.Server.StartAsync();
        var container = fixture.Service.GetBlobContainerClient(ContainerName);

        var failures = new List<string>();
        foreach (var name in acked)
        {
            try
            {
                var bytes = (await container.GetBlobClient(name).DownloadContentAsync()).Value.Content.ToArray();
                if (!bytes.AsSpan().SequenceEqual(ContentFor(name, ExpectedSize(name))))
                {
                    failures.Add($"acknowledged {name}: content differs ({bytes.Length} bytes, expected {ExpectedSize(name)})");
                }
            }
            catch (RequestFailedException e)
            {
                failures.Add($"acknowledged {name}: {e.Status} {e.ErrorCode}");
            }
        }

        var listed = 0;
        await foreach (var item in container.GetBlobsAsync())
        {
            listed++;
            var expectedSize = ExpectedSize(item.Name);
            if (item.Properties.ContentLength != expectedSize)
            {
                failures.Add($"listed {item.Name}: length {item.Properties.ContentLength}, expected {expectedSize}");
                continue;
            }

            try
            {
                var bytes = (await container.GetBlobClient(item.Name).DownloadContentAsync()).Value.Content.ToArray();
                if (!bytes.AsSpan().SequenceEqual(ContentFor(item.Name, expectedSize)))
                {
                    failures.Add($"listed {item.Name}: content differs");
                }
            }
            catch (RequestFailedException e)
            {
                failures.Add($"listed {item.Name}: {e.Status} {e.ErrorCode}");
            }
        }

        output.WriteLine($"{listed} blobs listed after restart");
        Assert.True(listed >= acked.Length, $"{listed} blobs listed, but {acked.Length} were acknowledged");
        Assert.True(failures.Count == 0, string.Join('\n', failures.Take(50)));

        // The restarted server accepts writes again.
        await container.GetBlobClient("after-restart").UploadAsync(BinaryData.FromString("alive"));
    }
}
