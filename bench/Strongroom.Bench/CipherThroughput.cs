using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using Strongroom.Core;
using Strongroom.Crypto;

namespace Strongroom.Bench;

/// <summary>
/// `cipher`: single-thread throughput of the segment format per cipher suite, in process, no I/O:
/// plaintext through <see cref="SegmentEncryptingStream"/> into a discarding stream (encrypt), and
/// the stored object from memory through <see cref="SegmentDecryptor"/> into a discarding stream
/// (decrypt), in 64 KiB segments. A run repeats the object for at least a second; the figure is
/// the median of --runs runs after a warm-up. "Per core" divides by the process's CPU time, which
/// on one thread is the wall time unless the machine steals cycles.
/// </summary>
public static class CipherThroughput
{
    public sealed record Row(string Suite, string Direction, long SizeBytes, int Runs, double MedianSeconds, double MibPerSecond, double MibPerCpuSecond, double AllocatedBytesPerSegment);

    public static async Task<int> RunAsync(long sizeBytes, int runs, IReadOnlyList<CipherSuite> suites, string? jsonPath, TextWriter output)
    {
        if (sizeBytes < 1 || runs < 1)
        {
            throw new ArgumentException("--size and --runs must be positive");
        }

        var plaintext = new byte[sizeBytes];
        new Random(20261130).NextBytes(plaintext);
        var dataKey = new byte[32];
        new Random(7).NextBytes(dataKey);

        var rows = new List<Row>();
        foreach (var suite in suites)
        {
            var binding = ObjectBinding.Digest(suite, "bench", "cipher", "object", "0");
            var stored = Encrypt(suite, plaintext, dataKey, binding); // also the warm-up of encrypt
            await DecryptAsync(stored, sizeBytes, dataKey, binding); // warm-up of decrypt

            rows.Add(Measure(suite, "encrypt", sizeBytes, runs, () => Encrypt(suite, plaintext, dataKey, binding, keep: false)));
            rows.Add(Measure(suite, "decrypt", sizeBytes, runs, () => DecryptAsync(stored, sizeBytes, dataKey, binding).GetAwaiter().GetResult()));
        }

        output.WriteLine($"Segment throughput, one thread, {Units.FormatSize(sizeBytes)} objects in {SegmentFormat.SegmentPlaintextBytesDefault / 1024} KiB segments, median of {runs} runs ({Environment.ProcessorCount} cores, {System.Runtime.InteropServices.RuntimeInformation.FrameworkDescription})");
        output.WriteLine();
        output.WriteLine("| suite | direction | MiB/s | MiB/s per CPU-second | allocated bytes per segment |");
        output.WriteLine("| --- | --- | ---: | ---: | ---: |");
        foreach (var row in rows)
        {
            output.WriteLine(string.Create(CultureInfo.InvariantCulture, $"| {row.Suite} | {row.Direction} | {row.MibPerSecond:F1} | {row.MibPerCpuSecond:F1} | {row.AllocatedBytesPerSegment:F0} |"));
        }

        var aes = rows.Where(row => row.Suite == CipherSuites.Name(CipherSuite.Aes256Gcm)).ToDictionary(row => row.Direction);
        var sm4 = rows.Where(row => row.Suite == CipherSuites.Name(CipherSuite.Sm4Gcm)).ToDictionary(row => row.Direction);
        if (aes.Count > 0 && sm4.Count > 0)
        {
            output.WriteLine();
            foreach (var direction in new[] { "encrypt", "decrypt" })
            {
                output.WriteLine(string.Create(CultureInfo.InvariantCulture, $"SM4/AES ratio, {direction}: {sm4[direction].MibPerCpuSecond / aes[direction].MibPerCpuSecond:F3}"));
            }
        }

        if (jsonPath is not null)
        {
            await File.WriteAllTextAsync(jsonPath, JsonSerializer.Serialize(new { formatVersion = 1, tool = "Strongroom.Bench cipher", processorCount = Environment.ProcessorCount, rows }, new JsonSerializerOptions { WriteIndented = true, PropertyNamingPolicy = JsonNamingPolicy.CamelCase }));
        }

        return 0;
    }

    static Row Measure(CipherSuite suite, string direction, long sizeBytes, int runs, Action run)
    {
        // A run repeats the operation for at least a second of wall time: the process CPU clock
        // ticks in 10 ms steps on Linux, too coarse for one 64 MiB object under AES-NI.
        var probe = Stopwatch.GetTimestamp();
        var allocatedBefore = GC.GetAllocatedBytesForCurrentThread();
        run();
        var allocatedBytes = GC.GetAllocatedBytesForCurrentThread() - allocatedBefore;
        var repeats = (int)Math.Clamp(Math.Ceiling(1.0 / Math.Max(Stopwatch.GetElapsedTime(probe).TotalSeconds, 1e-6)), 1, 1000);

        var wall = new List<double>();
        var cpu = new List<double>();
        for (var i = 0; i < runs; i++)
        {
            using var process = Process.GetCurrentProcess();
            var cpuBefore = process.TotalProcessorTime;
            var started = Stopwatch.GetTimestamp();
            for (var repeat = 0; repeat < repeats; repeat++)
            {
                run();
            }

            wall.Add(Stopwatch.GetElapsedTime(started).TotalSeconds);
            process.Refresh();
            cpu.Add((process.TotalProcessorTime - cpuBefore).TotalSeconds);
        }

        var mib = repeats * (sizeBytes / (double)Units.MiB);
        var segments = SegmentFormat.SegmentCount(sizeBytes);
        return new Row(CipherSuites.Name(suite), direction, sizeBytes, runs, Median(wall) / repeats, mib / Median(wall), mib / Math.Max(Median(cpu), 1e-3), allocatedBytes / (double)segments);
    }

    static double Median(List<double> values)
    {
        var sorted = values.Order().ToList();
        return sorted[sorted.Count / 2];
    }

    static byte[] Encrypt(CipherSuite suite, byte[] plaintext, byte[] dataKey, byte[] binding, bool keep = true)
    {
        Stream destination = keep ? new MemoryStream(checked((int)SegmentFormat.CiphertextLength(plaintext.Length))) : Stream.Null;
        using (var encrypting = new SegmentEncryptingStream(destination, suite, dataKey, binding, new SeededRandomSource(1)))
        {
            // 1 MiB writes, as the blob service's copy loop hands the stream its buffers.
            for (var offset = 0; offset < plaintext.Length; offset += (int)Units.MiB)
            {
                encrypting.Write(plaintext, offset, (int)Math.Min(Units.MiB, plaintext.Length - offset));
            }

            encrypting.Complete();
        }

        return keep ? ((MemoryStream)destination).ToArray() : [];
    }

    static Task DecryptAsync(byte[] stored, long plaintextLength, byte[] dataKey, byte[] binding) =>
        SegmentDecryptor.DecryptRangeAsync(new MemoryStream(stored, writable: false), plaintextLength, dataKey, binding, 0, plaintextLength, Stream.Null);
}
