using System.Diagnostics;
using System.Security.Cryptography;
using Azure.Storage.Blobs;

namespace Strongroom.Bench;

/// <summary>
/// Streams one large blob up and back down through the SDK without ever holding it in the client:
/// the upload reads a <see cref="SeededStream"/>, the download is hashed as it arrives and compared
/// with the hash of the same generated sequence. The server's memory is read by bench/memory.sh.
/// </summary>
public static class MemoryCheck
{
    private const ulong Seed = 0x5EED_0001;

    public static async Task<int> RunAsync(string connectionString, long sizeBytes, string container)
    {
        var counter = new RequestCounter();
        var service = BlobClientFactory.Create(connectionString, counter);
        var containerClient = service.GetBlobContainerClient(container);
        await containerClient.CreateIfNotExistsAsync();
        var blob = containerClient.GetBlobClient($"memory/{Units.FormatSize(sizeBytes)}");

        var expected = ExpectedHash(sizeBytes);

        counter.Reset();
        var uploadWatch = Stopwatch.StartNew();
        await using (var source = new SeededStream(Seed, sizeBytes))
        {
            // SDK defaults: a seekable stream above the 256 MiB single-upload threshold goes as staged
            // blocks (8 MiB each above 100 MiB of content, up to 5 in flight) and one Put Block List.
            await blob.UploadAsync(source, overwrite: true);
        }
        uploadWatch.Stop();
        var uploadRequests = counter.Snapshot();

        counter.Reset();
        var downloadWatch = Stopwatch.StartNew();
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        long received = 0;
        var response = await blob.DownloadStreamingAsync();
        await using (var stream = response.Value.Content)
        {
            var buffer = new byte[256 * 1024];
            int read;
            while ((read = await stream.ReadAsync(buffer)) > 0)
            {
                hash.AppendData(buffer, 0, read);
                received += read;
            }
        }
        downloadWatch.Stop();
        var downloadRequests = counter.Snapshot();
        var actual = hash.GetHashAndReset();

        var matches = received == sizeBytes && actual.AsSpan().SequenceEqual(expected);
        double Rate(Stopwatch w) => sizeBytes / (double)Units.MiB / w.Elapsed.TotalSeconds;
        Console.WriteLine($"size_bytes={sizeBytes}");
        Console.WriteLine($"upload_seconds={uploadWatch.Elapsed.TotalSeconds:F2} upload_mib_per_s={Rate(uploadWatch):F1} upload_requests={Format(uploadRequests)}");
        Console.WriteLine($"download_seconds={downloadWatch.Elapsed.TotalSeconds:F2} download_mib_per_s={Rate(downloadWatch):F1} download_requests={Format(downloadRequests)}");
        Console.WriteLine($"received_bytes={received} sha256_expected={Convert.ToHexStringLower(expected)} sha256_received={Convert.ToHexStringLower(actual)}");
        Console.WriteLine($"content={(matches ? "OK" : "MISMATCH")}");

        await blob.DeleteIfExistsAsync();
        return matches ? 0 : 1;
    }

    private static byte[] ExpectedHash(long sizeBytes)
    {
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        using var source = new SeededStream(Seed, sizeBytes);
        var buffer = new byte[1024 * 1024];
        int read;
        while ((read = source.Read(buffer)) > 0)
        {
            hash.AppendData(buffer, 0, read);
        }
        return hash.GetHashAndReset();
    }

    private static string Format(SortedDictionary<string, long> counts) =>
        string.Join(",", counts.Select(kv => $"{kv.Key.Replace(' ', '_')}:{kv.Value}"));
}
