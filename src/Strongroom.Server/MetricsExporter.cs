using System.Diagnostics;
using System.Diagnostics.Metrics;
using System.Globalization;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Prometheus;
using Strongroom.Core;
using PrometheusCounter = Prometheus.Counter;
using PrometheusGauge = Prometheus.Gauge;
using PrometheusHistogram = Prometheus.Histogram;

namespace Strongroom.Server;

/// <summary>
/// <c>GET /metrics</c> on the management listener (issue 10; docs/metrics.md): the server's
/// metrics in Prometheus's text exposition format 0.0.4, through prometheus-net.
/// <para>
/// Two sources. The instruments of <see cref="StrongroomMetrics"/> (requests, latencies, bytes,
/// segment AEAD, site operations, audit appends, sign-in failures), which the layers record as
/// they work: a <see cref="MeterListener"/> bridges each measurement into this exporter's own
/// <see cref="CollectorRegistry"/> (never prometheus-net's static default registry, so each server
/// of a process exports its own registry). And the state gauges (sites, backlogs, seal, pending
/// requests, instances), set from one <see cref="OperationsSnapshot"/> read just before each
/// scrape is serialised: no polling loop, and nothing read that the console and
/// <c>strongroom status</c> would compute differently.
/// </para>
/// <para>
/// Anonymous, like a Prometheus scrape: the management listener is the internal network
/// (MLPS 2.0 8.2.5.1), and nothing exported is a secret — ids, names of accounts and sites,
/// counts and times. It answers while sealed (the snapshot needs no key).
/// </para>
/// </summary>
public sealed class MetricsExporter : IDisposable
{
    public const string Path = "/metrics";

    /// <summary>Prometheus's text exposition format, version 0.0.4.</summary>
    public const string ContentType = "text/plain; version=0.0.4; charset=utf-8";

    /// <summary>The request metrics' operation label of a scrape.</summary>
    public const string ScrapeOperation = "GET /metrics";

    private static readonly string[] SiteStates = ["active", "draining", "removed"];
    private static readonly string[] BacklogKinds = ["pending", "bad", "tombstone"];
    private static readonly string[] InstanceStates = ["live", "stale", "stopped"];

    private readonly MeterListener listener = new();
    private readonly Func<CancellationToken, Task<OperationsSnapshot>>? readSnapshot;
    private readonly Func<bool> isSealed;
    private readonly ILogger logger;

    private readonly PrometheusGauge siteUp;
    private readonly PrometheusGauge siteState;
    private readonly PrometheusGauge siteFreeBytes;
    private readonly PrometheusGauge siteBacklog;
    private readonly PrometheusGauge replicationBacklog;
    private readonly PrometheusGauge replicationLag;
    private readonly PrometheusGauge replicationLastSync;
    private readonly PrometheusGauge repairBacklog;
    private readonly PrometheusGauge sealedGauge;
    private readonly PrometheusGauge lockboxPending;
    private readonly PrometheusGauge transferPending;
    private readonly PrometheusGauge instances;
    private readonly PrometheusCounter snapshotFailures;

    static MetricsExporter()
    {
        // The default registry is never served; without this its first use would start
        // prometheus-net's own listeners on every meter of the process.
        Metrics.SuppressDefaultMetrics();
    }

    /// <param name="meter">The meter whose instruments are bridged (<see cref="StrongroomMetrics.Meter"/>; a test's own otherwise).</param>
    /// <param name="definitions">The instruments of <paramref name="meter"/> to export, with their labels and buckets.</param>
    /// <param name="readSnapshot">Reads the state gauges' source before each scrape; null exports the instruments only.</param>
    /// <param name="isSealed">The seal state, exported even when the snapshot cannot be read.</param>
    public MetricsExporter(Meter meter, IReadOnlyList<MetricDefinition> definitions, Func<CancellationToken, Task<OperationsSnapshot>>? readSnapshot, Func<bool> isSealed, string version, ILogger? logger = null)
    {
        ArgumentNullException.ThrowIfNull(meter);
        ArgumentNullException.ThrowIfNull(definitions);
        ArgumentNullException.ThrowIfNull(isSealed);
        ArgumentException.ThrowIfNullOrEmpty(version);
        this.readSnapshot = readSnapshot;
        this.isSealed = isSealed;
        this.logger = logger ?? NullLogger.Instance;
        Registry = Metrics.NewCustomRegistry();
        var factory = Metrics.WithCustomRegistry(Registry);

        var bridges = new Dictionary<Instrument, Bridge>();
        foreach (var definition in definitions)
        {
            Invariant.True(ReferenceEquals(definition.Instrument.Meter, meter), $"the instrument {definition.Instrument.Name} belongs to the exported meter");
            bridges[definition.Instrument] = Bridge.Create(factory, definition);
        }

        siteUp = factory.CreateGauge("strongroom_site_up", "1 when this server can reach the site (its last operation or probe succeeded), else 0.", "site", "region", "zone", "jurisdiction");
        siteState = factory.CreateGauge("strongroom_site_state", "1 for the site's administrative state (active, draining, removed), 0 for the others.", "site", "state");
        siteFreeBytes = factory.CreateGauge("strongroom_site_free_bytes", "Available bytes of a directory site's file system (absent for sites that cannot tell).", "site");
        siteBacklog = factory.CreateGauge("strongroom_site_backlog_copies", "Work owed to the site: copies to make (pending), to replace (bad), deletions (tombstone).", "site", "kind");
        replicationBacklog = factory.CreateGauge("strongroom_replication_backlog_copies", "Copies owed to the account's objects (Pending), on any site.", "account");
        replicationLag = factory.CreateGauge("strongroom_replication_lag_seconds", "Age of the account's oldest owed copy (0 when nothing is owed).", "account");
        replicationLastSync = factory.CreateGauge("strongroom_replication_last_sync_timestamp_seconds", "Unix time before which every write of the account has all its copies (the oldest owed write, or now when nothing is owed).", "account");
        repairBacklog = factory.CreateGauge("strongroom_repair_backlog", "The repair queue: copies owed (pending), copies to replace (bad), deletions owed to sites (tombstone).", "kind");
        sealedGauge = factory.CreateGauge("strongroom_sealed", "1 while this server's vault is sealed (or not initialised), 0 when unsealed.");
        lockboxPending = factory.CreateGauge("strongroom_lockbox_pending_requests", "Lockbox requests waiting for approval (Requested).");
        transferPending = factory.CreateGauge("strongroom_transfer_pending_requests", "Cross-border transfers waiting for approval (Requested).");
        instances = factory.CreateGauge("strongroom_instances", "Servers of the deployment: live (heartbeat recent), stale (no heartbeat), stopped.", "state");
        snapshotFailures = factory.CreateCounter("strongroom_metrics_snapshot_failures_total", "Scrapes whose state gauges could not be read from the store (they keep their previous values).");
        factory.CreateGauge("strongroom_build_info", "1, labelled with this server's version.", "version").WithLabels(version).Set(1);

        listener.InstrumentPublished = (instrument, listening) =>
        {
            if (bridges.TryGetValue(instrument, out var bridge))
            {
                listening.EnableMeasurementEvents(instrument, bridge);
            }
        };
        listener.SetMeasurementEventCallback<long>(static (_, value, tags, state) => ((Bridge)state!).Record(value, tags));
        listener.SetMeasurementEventCallback<double>(static (_, value, tags, state) => ((Bridge)state!).Record(value, tags));
        listener.Start();
        Registry.AddBeforeCollectCallback(RefreshStateAsync);
    }

    /// <summary>This exporter's registry (tests read it; the endpoint serialises it).</summary>
    public CollectorRegistry Registry { get; }

    /// <summary>True for the one request this exporter answers: the path <see cref="Path"/> exactly (any method: others get 405).</summary>
    public static bool Matches(HttpRequest request)
    {
        ArgumentNullException.ThrowIfNull(request);
        return string.Equals(request.Path.Value, Path, StringComparison.Ordinal);
    }

    public async Task HandleAsync(HttpContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        var started = Stopwatch.GetTimestamp();
        var response = context.Response;
        response.Headers.CacheControl = "no-store";
        try
        {
            if (!HttpMethods.IsGet(context.Request.Method))
            {
                response.StatusCode = StatusCodes.Status405MethodNotAllowed;
                response.Headers.Allow = "GET";
                response.ContentType = "text/plain; charset=utf-8";
                await response.WriteAsync("Only GET: this is a Prometheus scrape endpoint.\n", context.RequestAborted).ConfigureAwait(false);
                return;
            }

            response.StatusCode = StatusCodes.Status200OK;
            response.ContentType = ContentType;
            await ExportAsync(response.Body, context.RequestAborted).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (context.RequestAborted.IsCancellationRequested)
        {
            // The scraper went away.
        }
        finally
        {
            StrongroomMetrics.RecordRequest(StrongroomMetrics.ManagementPlane, HttpMethods.IsGet(context.Request.Method) ? ScrapeOperation : "OTHER /metrics", response.StatusCode, started);
        }
    }

    /// <summary>Writes every metric in the text format 0.0.4 (state gauges refreshed first).</summary>
    public Task ExportAsync(Stream destination, CancellationToken cancellationToken = default) =>
        Registry.CollectAndExportAsTextAsync(destination, ExpositionFormat.PrometheusText, cancellationToken);

    public void Dispose() => listener.Dispose();

    private async Task RefreshStateAsync(CancellationToken cancellationToken)
    {
        sealedGauge.Set(isSealed() ? 1 : 0);
        if (readSnapshot is null)
        {
            return;
        }

        OperationsSnapshot snapshot;
        try
        {
            snapshot = await readSnapshot(cancellationToken).ConfigureAwait(false);
        }
        catch (Exception exception) when (exception is not OperationCanceledException and not InvariantViolationException)
        {
            // The exception's type only: a store error's message may name the database.
            snapshotFailures.Inc();
            logger.LogWarning("Metrics: the operations snapshot could not be read ({ExceptionType}); the state gauges keep their previous values.", exception.GetType().FullName);
            return;
        }

        Apply(snapshot);
    }

    /// <summary>Sets the state gauges from <paramref name="snapshot"/>, removing the series of sites and accounts it no longer has.</summary>
    internal void Apply(OperationsSnapshot snapshot)
    {
        ArgumentNullException.ThrowIfNull(snapshot);
        sealedGauge.Set(snapshot.IsSealed ? 1 : 0);

        var up = new HashSet<string>(StringComparer.Ordinal);
        var perSite = new HashSet<string>(StringComparer.Ordinal);
        var free = new HashSet<string>(StringComparer.Ordinal);
        foreach (var site in snapshot.Sites)
        {
            string[] location = [site.Id, site.Region, site.Zone, site.Jurisdiction];
            siteUp.WithLabels(location).Set(site.IsUp ? 1 : 0);
            up.Add(Key(location));
            perSite.Add(site.Id);
            var state = StateName(site.State);
            foreach (var name in SiteStates)
            {
                siteState.WithLabels(site.Id, name).Set(string.Equals(name, state, StringComparison.Ordinal) ? 1 : 0);
            }

            if (site.FreeBytes is { } bytes)
            {
                siteFreeBytes.WithLabels(site.Id).Set(bytes);
                free.Add(site.Id);
            }

            siteBacklog.WithLabels(site.Id, BacklogKinds[0]).Set(site.PendingCopies);
            siteBacklog.WithLabels(site.Id, BacklogKinds[1]).Set(site.BadCopies);
            siteBacklog.WithLabels(site.Id, BacklogKinds[2]).Set(site.Tombstones);
        }

        RemoveOthers(siteUp, labels => up.Contains(Key(labels)));
        RemoveOthers(siteState, labels => perSite.Contains(labels[0]));
        RemoveOthers(siteFreeBytes, labels => free.Contains(labels[0]));
        RemoveOthers(siteBacklog, labels => perSite.Contains(labels[0]));

        var accounts = new HashSet<string>(StringComparer.Ordinal);
        foreach (var account in snapshot.Replication)
        {
            accounts.Add(account.Account);
            replicationBacklog.WithLabels(account.Account).Set(account.PendingCopies);
            replicationLag.WithLabels(account.Account).Set(account.Lag.TotalSeconds);
            replicationLastSync.WithLabels(account.Account).Set(account.LastSyncOn.ToUnixTimeMilliseconds() / 1000.0);
        }

        RemoveOthers(replicationBacklog, labels => accounts.Contains(labels[0]));
        RemoveOthers(replicationLag, labels => accounts.Contains(labels[0]));
        RemoveOthers(replicationLastSync, labels => accounts.Contains(labels[0]));

        repairBacklog.WithLabels(BacklogKinds[0]).Set(snapshot.Repair.Pending);
        repairBacklog.WithLabels(BacklogKinds[1]).Set(snapshot.Repair.Bad);
        repairBacklog.WithLabels(BacklogKinds[2]).Set(snapshot.Repair.Tombstones);
        lockboxPending.Set(snapshot.LockboxPendingRequests);
        transferPending.Set(snapshot.TransferPendingRequests);
        instances.WithLabels(InstanceStates[0]).Set(snapshot.Instances.Live);
        instances.WithLabels(InstanceStates[1]).Set(snapshot.Instances.Stale);
        instances.WithLabels(InstanceStates[2]).Set(snapshot.Instances.Stopped);
    }

    internal static string StateName(SiteState state) => state switch
    {
        SiteState.Active => "active",
        SiteState.Draining => "draining",
        SiteState.Removed => "removed",
        _ => state.ToString().ToLowerInvariant(),
    };

    private static string Key(string[] labels) => string.Join('\u0001', labels);

    private static void RemoveOthers(PrometheusGauge gauge, Func<string[], bool> keep)
    {
        foreach (var labels in gauge.GetAllLabelValues().ToList())
        {
            if (!keep(labels))
            {
                gauge.RemoveLabelled(labels);
            }
        }
    }

    /// <summary>One instrument's Prometheus metric: a counter or a histogram with the instrument's label names.</summary>
    private sealed class Bridge
    {
        private readonly string[] labelNames;
        private readonly PrometheusCounter? counter;
        private readonly PrometheusHistogram? histogram;

        private Bridge(string[] labelNames, PrometheusCounter? counter, PrometheusHistogram? histogram)
        {
            this.labelNames = labelNames;
            this.counter = counter;
            this.histogram = histogram;
        }

        public static Bridge Create(IMetricFactory factory, MetricDefinition definition)
        {
            var instrument = definition.Instrument;
            var labels = definition.LabelNames.ToArray();
            var help = instrument.Description ?? instrument.Name;
            return instrument switch
            {
                Counter<long> => new Bridge(labels, factory.CreateCounter(instrument.Name, help, labels), null),
                Histogram<double> => new Bridge(labels, null, factory.CreateHistogram(instrument.Name, help, labels, new HistogramConfiguration
                {
                    Buckets = (definition.Buckets ?? throw new ArgumentException($"The histogram {instrument.Name} has no buckets.", nameof(definition))).ToArray(),
                })),
                _ => throw new ArgumentException($"The instrument {instrument.Name} is neither a Counter<long> nor a Histogram<double>.", nameof(definition)),
            };
        }

        public void Record(double value, ReadOnlySpan<KeyValuePair<string, object?>> tags)
        {
            if (labelNames.Length == 0)
            {
                if (counter is not null)
                {
                    counter.Inc(value);
                }
                else
                {
                    histogram!.Observe(value);
                }

                return;
            }

            var values = new string[labelNames.Length];
            for (var i = 0; i < labelNames.Length; i++)
            {
                values[i] = string.Empty;
                foreach (var tag in tags)
                {
                    if (string.Equals(tag.Key, labelNames[i], StringComparison.Ordinal))
                    {
                        values[i] = Convert.ToString(tag.Value, CultureInfo.InvariantCulture) ?? string.Empty;
                        break;
                    }
                }
            }

            if (counter is not null)
            {
                counter.WithLabels(values).Inc(value);
            }
            else
            {
                histogram!.WithLabels(values).Observe(value);
            }
        }
    }
}
