using System.Diagnostics.Metrics;
using Strongroom.Core;

namespace Strongroom.WebConsole;

/// <summary>One point of the console's charts.</summary>
/// <param name="At">When it was taken (the injected clock).</param>
/// <param name="RequestsPerSecond">Requests answered by this process per second since the previous sample; null for the first.</param>
/// <param name="MeanLatencySeconds">Mean request duration since the previous sample; null without requests.</param>
/// <param name="MaxReplicationLagSeconds">The largest account's replication lag; null when the operations read failed.</param>
/// <param name="PendingCopies">Owed copies over every account; null when the read failed.</param>
public sealed record HistorySample(DateTimeOffset At, double? RequestsPerSecond, double? MeanLatencySeconds, double? MaxReplicationLagSeconds, long? PendingCopies);

/// <summary>
/// The history behind the console's charts: a ring buffer of <see cref="HistorySample"/>s taken
/// every <see cref="Interval"/> on the injected <see cref="TimeProvider"/> (15 s × 240 = the last
/// hour), per server process and lost at restart (Prometheus keeps the long history). Request
/// counts and durations come from the process's own instruments
/// (<c>strongroom_requests_total</c>, <c>strongroom_request_duration_seconds</c> on the
/// <c>Strongroom</c> meter, through a <see cref="MeterListener"/>); the replication lag from the
/// host's operations read, the same one <c>/metrics</c> exports.
/// </summary>
public sealed class ConsoleHistory : IDisposable
{
    public static readonly TimeSpan DefaultInterval = TimeSpan.FromSeconds(15);

    public const int DefaultCapacity = 240;

    // The instruments (Strongroom.Core.StrongroomMetrics), whose names are Prometheus's spelling.
    private static readonly string MeterName = StrongroomMetrics.MeterName;
    private static readonly string RequestsInstrument = StrongroomMetrics.Requests.Name;
    private static readonly string DurationInstrument = StrongroomMetrics.RequestDuration.Name;

    private readonly TimeProvider time;
    private readonly Func<CancellationToken, Task<OperationsSnapshot>>? readOperations;
    private readonly HistorySample[] ring;
    private readonly MeterListener listener;
    private readonly object gate = new();
    private readonly SemaphoreSlim sampling = new(1, 1);
    private ITimer? timer;
    private int next;
    private int count;
    private long requests;
    private long durations;
    private double durationSum;
    private (DateTimeOffset At, long Requests, long Durations, double DurationSum)? previous;

    public ConsoleHistory(TimeProvider time, Func<CancellationToken, Task<OperationsSnapshot>>? readOperations, TimeSpan? interval = null, int capacity = DefaultCapacity)
    {
        ArgumentNullException.ThrowIfNull(time);
        ArgumentOutOfRangeException.ThrowIfLessThan(capacity, 2);
        this.time = time;
        this.readOperations = readOperations;
        Interval = interval ?? DefaultInterval;
        ring = new HistorySample[capacity];
        listener = new MeterListener
        {
            InstrumentPublished = (instrument, meterListener) =>
            {
                if (instrument.Meter.Name == MeterName && (instrument.Name == RequestsInstrument || instrument.Name == DurationInstrument))
                {
                    meterListener.EnableMeasurementEvents(instrument);
                }
            },
        };
        listener.SetMeasurementEventCallback<long>((instrument, value, _, _) =>
        {
            if (instrument.Name == RequestsInstrument)
            {
                Interlocked.Add(ref requests, value);
            }
        });
        listener.SetMeasurementEventCallback<double>((instrument, value, _, _) =>
        {
            if (instrument.Name == DurationInstrument)
            {
                lock (gate)
                {
                    durations++;
                    durationSum += value;
                }
            }
        });
        listener.Start();
    }

    public TimeSpan Interval { get; }

    public int Capacity => ring.Length;

    /// <summary>Takes the first sample now and one every <see cref="Interval"/> after.</summary>
    public void Start()
    {
        timer ??= time.CreateTimer(_ => _ = SampleAsync(CancellationToken.None), null, TimeSpan.Zero, Interval);
    }

    /// <summary>The samples, oldest first.</summary>
    public IReadOnlyList<HistorySample> Samples()
    {
        lock (gate)
        {
            var result = new HistorySample[count];
            var start = (next - count + ring.Length) % ring.Length;
            for (var i = 0; i < count; i++)
            {
                result[i] = ring[(start + i) % ring.Length];
            }

            return result;
        }
    }

    /// <summary>Takes one sample now (the timer's work; tests call it directly). Overlapping calls skip.</summary>
    public async Task SampleAsync(CancellationToken cancellationToken)
    {
        if (!await sampling.WaitAsync(0, cancellationToken).ConfigureAwait(false))
        {
            return;
        }

        try
        {
            listener.RecordObservableInstruments();
            double? lag = null;
            long? pending = null;
            if (readOperations is not null)
            {
                try
                {
                    var operations = await readOperations(cancellationToken).ConfigureAwait(false);
                    lag = operations.MaxLag.TotalSeconds;
                    pending = operations.PendingCopies;
                }
                catch (Exception exception) when (exception is not OperationCanceledException)
                {
                    // A gap in the chart: the store was unreachable for this sample.
                }
            }

            var at = time.GetUtcNow();
            lock (gate)
            {
                var total = Interlocked.Read(ref requests);
                double? rate = null;
                double? latency = null;
                if (previous is { } last && at > last.At)
                {
                    rate = (total - last.Requests) / (at - last.At).TotalSeconds;
                    var timed = durations - last.Durations;
                    latency = timed > 0 ? (durationSum - last.DurationSum) / timed : null;
                }

                previous = (at, total, durations, durationSum);
                ring[next] = new HistorySample(at, rate, latency, lag, pending);
                next = (next + 1) % ring.Length;
                count = Math.Min(count + 1, ring.Length);
            }
        }
        finally
        {
            sampling.Release();
        }
    }

    public void Dispose()
    {
        timer?.Dispose();
        listener.Dispose();
        sampling.Dispose();
    }
}

/// <summary>One point of a chart: a time and a value (null: a gap).</summary>
public readonly record struct ChartPoint(DateTimeOffset At, double? Value);
