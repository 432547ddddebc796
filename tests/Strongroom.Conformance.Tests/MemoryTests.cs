using Azure.Storage;
using Azure.Storage.Blobs.Models;
using Strongroom.Conformance.Tests.Infrastructure;
using Xunit;
using Xunit.Abstractions;

namespace Strongroom.Conformance.Tests;

/// <summary>A 1 GiB upload and download keeps the server's peak RSS under 300 MiB.</summary>
[Trait("Category", "Memory")]
public sealed class MemoryTests(ServerFixture fixture, ITestOutputHelper output) : IClassFixture<ServerFixture>
{
    const long GiB = 1024L * 1024 * 1024;
    const int MiB = 1024 * 1024;
    const long PeakResidentBytesMax = 300L * MiB;

    [Fact]
    public async Task One_GiB_round_trip_keeps_server_peak_rss_under_300_MiB()
    {
        // Behind nginx the upload and download go to either server; the peak of one process then
        // bounds nothing (and a GiB through the proxy twice is the slowest test of the pass).
        if (!TestModes.OneServerOnly("measures the peak resident memory of the one process that served the GiB"))
        {
            return;
        }

        var container = fixture.Service.GetBlobContainerClient(TestNames.Container("memory"));
        await container.CreateAsync();
        output.WriteLine($"VmHWM after start: {fixture.Server.ReadPeakResidentBytes() / MiB} MiB");

        // Staged blocks, as the SDK does for large uploads.
        const ulong StagedSeed = 20260101;
        var staged = container.GetBlobClient("one-gib-staged.bin");
        await using (var source = new GeneratedStream(GiB, StagedSeed))
        {
            await staged.UploadAsync(source, new BlobUploadOptions
            {
                TransferOptions = new StorageTransferOptions { InitialTransferSize = 8 * MiB, MaximumTransferSize = 8 * MiB, MaximumConcurrency = 4 },
            });
        }

        var sink = new HashingStream();
        await staged.DownloadToAsync(sink, new BlobDownloadToOptions
        {
            TransferOptions = new StorageTransferOptions { InitialTransferSize = 8 * MiB, MaximumTransferSize = 8 * MiB, MaximumConcurrency = 4 },
        });
        Assert.Equal(GiB, sink.BytesWritten);
        Assert.Equal(GeneratedStream.Sha256Hex(GiB, StagedSeed), sink.FinishHex());
        output.WriteLine($"VmHWM after 1 GiB staged upload and parallel download: {fixture.Server.ReadPeakResidentBytes() / MiB} MiB");

        // One Put Blob of 1 GiB and one unranged Get Blob: the server must stream both bodies.
        const ulong SingleSeed = 20260102;
        var single = container.GetBlobClient("one-gib-single.bin");
        await using (var source = new GeneratedStream(GiB, SingleSeed))
        {
            await single.UploadAsync(source, new BlobUploadOptions
            {
                TransferOptions = new StorageTransferOptions { InitialTransferSize = GiB + 1, MaximumTransferSize = 8 * MiB },
            });
        }

        var streaming = await single.DownloadStreamingAsync();
        var singleSink = new HashingStream();
        await streaming.Value.Content.CopyToAsync(singleSink);
        Assert.Equal(GiB, singleSink.BytesWritten);
        Assert.Equal(GeneratedStream.Sha256Hex(GiB, SingleSeed), singleSink.FinishHex());

        var peak = fixture.Server.ReadPeakResidentBytes();
        output.WriteLine($"Server peak RSS (VmHWM) after 2 × 1 GiB round trips: {peak / MiB} MiB ({peak} bytes)");
        Assert.True(peak < PeakResidentBytesMax, $"server VmHWM {peak / MiB} MiB ≥ {PeakResidentBytesMax / MiB} MiB");
    }
}
