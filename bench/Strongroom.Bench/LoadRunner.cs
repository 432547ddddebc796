using System.Diagnostics;
using Azure;
using Azure.Storage.Blobs;
using Azure.Storage.Blobs.Models;
using Azure.Storage.Blobs.Specialized;

namespace Strongroom.Bench;

public sealed record LoadOptions(
    BlobTarget Target,
    string Label,
    IReadOnlyList<string> Ops,
    IReadOnlyList<long> SizesBytes,
    IReadOnlyList<int> Concurrencies,
    TimeSpan Duration,
    TimeSpan Warmup,
    string? JsonPath,
    bool Append,
    string ContainerName,
    int OverwriteNames = LoadRunner.OverwriteNamesDefault,
    int DeletePool = LoadRunner.DeletePoolDefault,
    string? DeletePoolPrefix = null,
    long PageBlobBytes = LoadRunner.PageBlobBytesDefault);

/// <summary>
/// Runs the (op, size, concurrency) matrix against one endpoint.
///
/// Each worker is a closed loop: it starts its next operation as soon as the previous one ends,
/// until the cell's deadline. Operations that start after warmup are measured. A worker whose
/// warmup operation runs past the end of the window (64 MiB at concurrency 16 in a short cell) still
/// runs one measured operation, so no cell is empty; the hard deadline (warmup + duration + grace)
/// cancels anything still in flight, so no loop outlives its cell.
///
/// Throughput is the sum over workers of (measured operations ÷ the worker's measured span, from
/// the start of its first measured operation to the end of its last). Dividing the global count by
/// the window instead would charge the tail of an unmeasured warmup operation to the window, which
/// badly understates large, slow operations where each worker fits only a few in the window.
///
/// Operations: <c>put</c> (each worker rewrites its own one name), <c>get</c>, and for the data
/// protection bench (issue 7) <c>overwrite</c> (Put Blob over a fixed set of existing names, so
/// every write replaces a blob), <c>create</c> (Put Blob of a name never used before: nothing is
/// replaced) and <c>delete</c> (Delete Blob of blobs uploaded, unmeasured, before the cell; a cell
/// whose pool runs out ends early and says so), and for page blobs (issue 8) <c>page</c> (Put Page
/// of the cell's size at a seeded random 512-aligned offset in the worker's own sparse page blob).
/// </summary>
public sealed class LoadRunner(LoadOptions options)
{
    /// <summary>How many distinct blobs per size the get workers read (worker i reads blob i mod N).</summary>
    private const int GetBlobCount = 4;

    public const int OverwriteNamesDefault = 256;
    public const int DeletePoolDefault = 20_000;
    public const long PageBlobBytesDefault = 1024L * 1024 * 1024;

    /// <summary>Azure's page size: page blob lengths, Put Page offsets and lengths are multiples of it.</summary>
    public const int PageBytes = 512;

    /// <summary>The most one Put Page may write (Azure: 4 MiB).</summary>
    public const int PutPageBytesMax = 4 * 1024 * 1024;

    private const int PayloadSeed = 20240611;
    private static readonly TimeSpan HardDeadlineGrace = TimeSpan.FromSeconds(120);
    private const int ErrorSamplesMax = 5;

    public async Task<BenchReport> RunAsync()
    {
        var counter = new RequestCounter();
        var service = BlobClientFactory.Create(options.Target, counter);
        var container = service.GetBlobContainerClient(options.ContainerName);
        if (!options.Target.Bearer)
        {
            // A bearer (lockbox grant) run reads only: the container and its blobs must exist.
            await container.CreateIfNotExistsAsync();
        }

        // One shared payload buffer for every size: each put sends a prefix slice of it.
        var payload = new byte[options.SizesBytes.Max()];
        new Random(PayloadSeed).NextBytes(payload);

        BenchReport report;
        if (options.Append && options.JsonPath is not null && File.Exists(options.JsonPath))
        {
            report = BenchReport.Load(options.JsonPath);
        }
        else
        {
            report = new BenchReport();
        }
        report.Label = options.Label;
        report.Endpoint = service.Uri.ToString();
        report.Authentication = options.Target.Bearer ? "bearer" : "shared-key";
        report.Machine = new MachineInfo();

        foreach (var op in options.Ops)
        {
            foreach (var size in options.SizesBytes)
            {
                foreach (var concurrency in options.Concurrencies)
                {
                    var cell = await RunCellAsync(container, counter, payload, op, size, concurrency);
                    report.Upsert(cell);
                    Console.WriteLine(FormatCellLine(options.Label, cell));
                    if (options.JsonPath is not null)
                    {
                        report.Save(options.JsonPath);
                    }
                }
            }
        }
        return report;
    }

    public static string FormatCellLine(string label, CellResult cell) =>
        $"{label,-12} {cell.Op,-6} {cell.Size,7} c{cell.Concurrency,-3} " +
        $"{cell.OpsPerSecond,10:F1} ops/s {cell.MiBPerSecond,9:F1} MiB/s " +
        $"p50 {cell.LatencyMs.P50,9:F2} ms  p99 {cell.LatencyMs.P99,9:F2} ms  " +
        $"n={cell.Operations} errors={cell.Errors}{(cell.Flagged ? "  FLAGGED" : "")}";

    private async Task<CellResult> RunCellAsync(
        BlobContainerClient container, RequestCounter counter, byte[] payload, string op, long sizeBytes, int concurrency)
    {
        var size = checked((int)sizeBytes);
        var content = new BinaryData(payload.AsMemory(0, size));
        Func<int, byte[], CancellationToken, Task> operation;
        int readBufferBytes = 0;
        var poolExhausted = false;
        switch (op)
        {
            case "put":
                {
                    var targets = Enumerable.Range(0, concurrency)
                        .Select(w => container.GetBlobClient($"put/{Units.FormatSize(sizeBytes)}/c{concurrency}/w{w}"))
                        .ToArray();
                    // SDK defaults on purpose: that is what users get. With them a BinaryData below the
                    // default single-upload threshold (256 MiB) is one Put Blob request; the request
                    // counts in the results show what was actually sent.
                    operation = (worker, _, token) => targets[worker].UploadAsync(content, overwrite: true, token);
                    break;
                }
            case "get":
                {
                    var sources = await PrepareGetBlobsAsync(container, content, sizeBytes, mayUpload: !options.Target.Bearer);
                    readBufferBytes = 256 * 1024;
                    operation = async (worker, buffer, token) =>
                    {
                        var response = await sources[worker % sources.Length].DownloadStreamingAsync(cancellationToken: token);
                        await using var stream = response.Value.Content;
                        long total = 0;
                        int read;
                        while ((read = await stream.ReadAsync(buffer, token)) > 0)
                        {
                            total += read;
                        }
                        if (total != sizeBytes)
                        {
                            throw new InvalidDataException($"read {total} bytes, expected {sizeBytes}");
                        }
                    };
                    break;
                }
            case "overwrite":
                {
                    // Worker w writes only names i with i mod concurrency == w (no two writes race for
                    // one name), in a seeded random order; all of them exist before the cell starts.
                    var names = await PrepareOverwriteBlobsAsync(container, content, sizeBytes, options.OverwriteNames, concurrency);
                    var pickers = Enumerable.Range(0, concurrency).Select(w => new Random(PayloadSeed + w)).ToArray();
                    operation = (worker, _, token) =>
                    {
                        var mine = (names.Length - worker + concurrency - 1) / concurrency;
                        var index = worker + (concurrency * pickers[worker].Next(mine));
                        return names[index].UploadAsync(content, overwrite: true, token);
                    };
                    break;
                }
            case "create":
                {
                    // A fresh prefix per cell and a per-worker counter: every Put Blob creates a new blob.
                    var prefix = $"create/{Units.FormatSize(sizeBytes)}/{RunId()}";
                    var next = new long[concurrency];
                    operation = (worker, _, token) =>
                        container.GetBlobClient($"{prefix}/w{worker}/{next[worker]++}").UploadAsync(content, overwrite: true, token);
                    break;
                }
            case "delete":
                {
                    // --pool-prefix: the pool was uploaded beforehand (`fill`), so that the server's CPU
                    // over the cell is the deletes' alone.
                    var prefix = options.DeletePoolPrefix ?? $"delete/{Units.FormatSize(sizeBytes)}/{RunId()}";
                    if (options.DeletePoolPrefix is null)
                    {
                        await FillAsync(container, content, prefix, options.DeletePool, concurrency);
                    }
                    long taken = -1;
                    operation = (_, _, token) =>
                    {
                        var index = Interlocked.Increment(ref taken);
                        if (index >= options.DeletePool)
                        {
                            poolExhausted = true;
                            throw new PoolExhaustedException();
                        }
                        return container.GetBlobClient($"{prefix}/{index}").DeleteAsync(cancellationToken: token);
                    };
                    break;
                }
            case "page":
                {
                    // One sparse page blob per worker, new for the cell (created, nothing written: the
                    // set-up is one Put Blob per worker), then Put Page of the cell's size at a seeded
                    // random 512-aligned offset inside it, so no two workers write the same blob.
                    var prefix = $"page/{Units.FormatSize(sizeBytes)}/c{concurrency}/{RunId()}";
                    var blobs = Enumerable.Range(0, concurrency)
                        .Select(w => container.GetPageBlobClient($"{prefix}/w{w}"))
                        .ToArray();
                    await Task.WhenAll(blobs.Select(b => b.CreateAsync(options.PageBlobBytes)));
                    var slots = ((options.PageBlobBytes - sizeBytes) / PageBytes) + 1;
                    var pickers = Enumerable.Range(0, concurrency).Select(w => new Random(PayloadSeed + w)).ToArray();
                    operation = async (worker, _, token) =>
                    {
                        var offset = pickers[worker].NextInt64(slots) * PageBytes;
                        // A stream over the shared payload: no copy of the payload per operation.
                        using var body = new MemoryStream(payload, 0, size, writable: false);
                        await blobs[worker].UploadPagesAsync(body, offset, cancellationToken: token);
                    };
                    break;
                }
            default:
                throw new ArgumentException($"unknown op '{op}' (put, get, overwrite, create, delete or page)");
        }

        counter.Reset();
        var frequency = Stopwatch.Frequency;
        var startTimestamp = Stopwatch.GetTimestamp();
        var measureStart = startTimestamp + (long)(options.Warmup.TotalSeconds * frequency);
        var measureEnd = measureStart + (long)(options.Duration.TotalSeconds * frequency);
        using var hardDeadline = new CancellationTokenSource(options.Warmup + options.Duration + HardDeadlineGrace);

        var samples = new List<long>[concurrency];
        var firstStart = new long[concurrency];
        var lastCompletion = new long[concurrency];
        long errors = 0;
        long allOperations = 0;
        var errorSamples = new List<string>();

        async Task Worker(int worker)
        {
            var buffer = new byte[readBufferBytes];
            var mine = samples[worker] = new List<long>(4096);
            var measuredAttempts = 0;
            while (true)
            {
                var begin = Stopwatch.GetTimestamp();
                if ((begin >= measureEnd && measuredAttempts > 0) || hardDeadline.IsCancellationRequested)
                {
                    break;
                }
                if (begin >= measureStart)
                {
                    measuredAttempts++;
                }
                Interlocked.Increment(ref allOperations);
                try
                {
                    await operation(worker, buffer, hardDeadline.Token);
                }
                catch (PoolExhaustedException)
                {
                    Interlocked.Decrement(ref allOperations);
                    break;
                }
                catch (Exception exception)
                {
                    Interlocked.Increment(ref errors);
                    lock (errorSamples)
                    {
                        if (errorSamples.Count < ErrorSamplesMax)
                        {
                            errorSamples.Add(Describe(exception));
                        }
                    }
                    continue;
                }
                var end = Stopwatch.GetTimestamp();
                if (begin >= measureStart)
                {
                    if (mine.Count == 0)
                    {
                        firstStart[worker] = begin;
                    }
                    mine.Add(end - begin);
                    lastCompletion[worker] = end;
                }
            }
        }

        var startedUtc = DateTime.UtcNow;
        // Task.Run: each worker starts on the pool rather than running its first synchronous part inline.
        await Task.WhenAll(Enumerable.Range(0, concurrency).Select(w => Task.Run(() => Worker(w))));

        var all = new List<long>(samples.Sum(s => s.Count));
        foreach (var s in samples)
        {
            all.AddRange(s);
        }
        var finish = Math.Max(measureEnd, lastCompletion.Max());
        var elapsedSeconds = (double)(finish - measureStart) / frequency;
        var operations = all.Count;
        double opsPerSecond = 0;
        for (var w = 0; w < concurrency; w++)
        {
            if (samples[w].Count > 0)
            {
                opsPerSecond += samples[w].Count / ((double)(lastCompletion[w] - firstStart[w]) / frequency);
            }
        }
        return new CellResult
        {
            Op = op,
            SizeBytes = sizeBytes,
            Size = Units.FormatSize(sizeBytes),
            Concurrency = concurrency,
            StartedUtc = startedUtc.ToString("O"),
            WarmupSeconds = options.Warmup.TotalSeconds,
            DurationSeconds = options.Duration.TotalSeconds,
            ElapsedSeconds = elapsedSeconds,
            Operations = operations,
            Errors = errors,
            ErrorSamples = errorSamples,
            OpsPerSecond = opsPerSecond,
            MiBPerSecond = opsPerSecond * sizeBytes / Units.MiB,
            LatencyMs = LatencySummary.FromTicks(all, frequency),
            Requests = counter.Snapshot(),
            OperationsIncludingWarmup = allOperations,
            Flagged = errors > 0 || operations == 0,
            PoolExhausted = poolExhausted ? true : null,
        };
    }

    /// <summary>
    /// Uploads the blobs the get workers read, unless an earlier run already left them in place
    /// (same length and payload seed), then checks one of them byte for byte once. Without
    /// <paramref name="mayUpload"/> (a read-only bearer credential) they must already be there.
    /// </summary>
    private static async Task<BlobClient[]> PrepareGetBlobsAsync(BlobContainerClient container, BinaryData content, long sizeBytes, bool mayUpload)
    {
        var blobs = new BlobClient[GetBlobCount];
        var metadata = new Dictionary<string, string> { ["benchseed"] = PayloadSeed.ToString(System.Globalization.CultureInfo.InvariantCulture) };
        for (var i = 0; i < GetBlobCount; i++)
        {
            var blob = blobs[i] = container.GetBlobClient($"get/{Units.FormatSize(sizeBytes)}/{i}");
            try
            {
                var properties = await blob.GetPropertiesAsync();
                if (properties.Value.ContentLength == sizeBytes
                    && properties.Value.Metadata.TryGetValue("benchseed", out var seed)
                    && seed == metadata["benchseed"])
                {
                    continue;
                }
            }
            catch (RequestFailedException exception) when (exception.Status == 404)
            {
            }
            if (!mayUpload)
            {
                throw new InvalidDataException($"{blob.Name}: missing or not from this tool; a read-only run needs a Shared Key run of the same cell first");
            }
            await blob.UploadAsync(content, new BlobUploadOptions { Metadata = metadata });
        }

        var check = await blobs[0].DownloadContentAsync();
        if (!check.Value.Content.ToMemory().Span.SequenceEqual(content.ToMemory().Span))
        {
            throw new InvalidDataException($"{blobs[0].Name}: downloaded content differs from what was uploaded");
        }
        return blobs;
    }

    /// <summary>
    /// Uploads <paramref name="count"/> blobs named PREFIX/0 … PREFIX/(count − 1) with
    /// <paramref name="concurrency"/> workers; returns the wall time. Unmeasured set-up for the
    /// delete cell, and the <c>fill</c> command (the peer of an account's destruction).
    /// </summary>
    public static async Task<TimeSpan> FillAsync(BlobContainerClient container, BinaryData content, string prefix, int count, int concurrency)
    {
        long next = -1;
        var started = Stopwatch.GetTimestamp();
        await Task.WhenAll(Enumerable.Range(0, concurrency).Select(_ => Task.Run(async () =>
        {
            long index;
            while ((index = Interlocked.Increment(ref next)) < count)
            {
                await container.GetBlobClient($"{prefix}/{index}").UploadAsync(content, overwrite: true);
            }
        })));
        return Stopwatch.GetElapsedTime(started);
    }

    /// <summary>The overwrite cell's fixed names, each uploaded once (unmeasured) so that every measured write replaces a blob.</summary>
    private static async Task<BlobClient[]> PrepareOverwriteBlobsAsync(BlobContainerClient container, BinaryData content, long sizeBytes, int count, int concurrency)
    {
        if (count < concurrency)
        {
            throw new ArgumentException($"--names ({count}) must be at least the concurrency ({concurrency})");
        }
        var prefix = $"overwrite/{Units.FormatSize(sizeBytes)}/n{count}";
        await FillAsync(container, content, prefix, count, concurrency);
        return Enumerable.Range(0, count).Select(i => container.GetBlobClient($"{prefix}/{i}")).ToArray();
    }

    private static string RunId() => DateTime.UtcNow.ToString("yyyyMMddTHHmmssfff", System.Globalization.CultureInfo.InvariantCulture);

    private sealed class PoolExhaustedException : Exception;

    private static string Describe(Exception exception) => exception switch
    {
        RequestFailedException r => $"{r.Status} {r.ErrorCode}: {FirstLine(r.Message)}",
        OperationCanceledException => "cancelled at the cell's hard deadline",
        _ => $"{exception.GetType().Name}: {FirstLine(exception.Message)}",
    };

    private static string FirstLine(string text)
    {
        var newline = text.IndexOf('\n');
        return (newline < 0 ? text : text[..newline]).Trim();
    }
}
