using System.Text.Json;
using System.Text.Json.Serialization;

namespace Strongroom.Bench;

/// <summary>
/// One run of the load tool against one endpoint. Format version 1; fields are only ever added.
/// Throughput is in MiB/s (2^20 bytes per second); latencies in milliseconds.
/// </summary>
public sealed class BenchReport
{
    public int FormatVersion { get; set; } = 1;
    public string Tool { get; set; } = "Strongroom.Bench";
    public string Label { get; set; } = "";
    public string Endpoint { get; set; } = "";

    /// <summary>"shared-key" or "bearer" (a lockbox grant token); absent in reports before issue 6.</summary>
    public string? Authentication { get; set; }
    public MachineInfo Machine { get; set; } = new();
    public List<CellResult> Cells { get; set; } = [];

    public static readonly JsonSerializerOptions JsonOptions = new()
    {
        PropertyNamingPolicy = JsonNamingPolicy.CamelCase,
        WriteIndented = true,
        DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
    };

    public static BenchReport Load(string path) =>
        JsonSerializer.Deserialize<BenchReport>(File.ReadAllText(path), JsonOptions)
        ?? throw new InvalidDataException($"{path}: empty report");

    public void Save(string path)
    {
        var directory = Path.GetDirectoryName(Path.GetFullPath(path));
        if (directory is not null)
        {
            Directory.CreateDirectory(directory);
        }
        var temporary = path + ".tmp";
        File.WriteAllText(temporary, JsonSerializer.Serialize(this, JsonOptions));
        File.Move(temporary, path, overwrite: true);
    }

    /// <summary>Adds or replaces the cell with the same (op, size, concurrency).</summary>
    public void Upsert(CellResult cell)
    {
        Cells.RemoveAll(c => c.Key == cell.Key);
        Cells.Add(cell);
    }
}

public sealed class MachineInfo
{
    public string Host { get; set; } = Environment.MachineName;
    public int ProcessorCount { get; set; } = Environment.ProcessorCount;
    public string Os { get; set; } = System.Runtime.InteropServices.RuntimeInformation.OSDescription;
    public string Runtime { get; set; } = System.Runtime.InteropServices.RuntimeInformation.FrameworkDescription;
    public string SdkPackage { get; set; } = typeof(Azure.Storage.Blobs.BlobServiceClient).Assembly.GetName().Version?.ToString() ?? "";
}

public sealed class CellResult
{
    /// <summary>"put", "get", "overwrite", "create", "delete" or "page".</summary>
    public string Op { get; set; } = "";
    public long SizeBytes { get; set; }
    public string Size { get; set; } = "";
    public int Concurrency { get; set; }
    public string StartedUtc { get; set; } = "";
    public double WarmupSeconds { get; set; }
    public double DurationSeconds { get; set; }

    /// <summary>Wall time from the end of warmup until the last measured operation completed (≥ duration).</summary>
    public double ElapsedSeconds { get; set; }

    /// <summary>Successful operations that started inside the measured window.</summary>
    public long Operations { get; set; }

    /// <summary>Failed operations over the whole cell (warmup included).</summary>
    public long Errors { get; set; }
    public List<string> ErrorSamples { get; set; } = [];
    /// <summary>Sum over workers of measured operations ÷ that worker's measured span (see LoadRunner).</summary>
    public double OpsPerSecond { get; set; }

    /// <summary>Payload bytes of the measured operations per second, in MiB (2^20 bytes).</summary>
    [JsonPropertyName("mibPerSecond")]
    public double MiBPerSecond { get; set; }
    public LatencySummary LatencyMs { get; set; } = new();

    /// <summary>REST requests the SDK sent during warmup and measurement, by operation.</summary>
    public SortedDictionary<string, long> Requests { get; set; } = new(StringComparer.Ordinal);

    /// <summary>Operations (warmup and measured, successful or not) the requests above belong to.</summary>
    public long OperationsIncludingWarmup { get; set; }

    /// <summary>True when the cell should not be trusted: it had errors or no measured operation.</summary>
    public bool Flagged { get; set; }

    /// <summary>A delete cell that used up its pool of blobs before the deadline (it ended early); absent otherwise.</summary>
    public bool? PoolExhausted { get; set; }

    [JsonIgnore]
    public string Key => $"{Op}/{SizeBytes}/{Concurrency}";
}

public sealed class LatencySummary
{
    public double Min { get; set; }
    public double P50 { get; set; }
    public double P90 { get; set; }
    public double P99 { get; set; }
    public double Max { get; set; }
    public double Mean { get; set; }

    /// <summary>Nearest-rank percentiles over every measured sample (the counts here are small enough to sort).</summary>
    public static LatencySummary FromTicks(List<long> ticks, long ticksPerSecond)
    {
        if (ticks.Count == 0)
        {
            return new LatencySummary();
        }
        ticks.Sort();
        double Ms(long t) => t * 1000.0 / ticksPerSecond;
        double Rank(double p) => Ms(ticks[Math.Clamp((int)Math.Ceiling(p * ticks.Count) - 1, 0, ticks.Count - 1)]);
        double sum = 0;
        foreach (var t in ticks)
        {
            sum += t;
        }
        return new LatencySummary
        {
            Min = Ms(ticks[0]),
            P50 = Rank(0.50),
            P90 = Rank(0.90),
            P99 = Rank(0.99),
            Max = Ms(ticks[^1]),
            Mean = sum / ticks.Count * 1000.0 / ticksPerSecond,
        };
    }
}
