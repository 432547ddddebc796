using System.Diagnostics.Metrics;
using System.Text;
using Strongroom.Core;
using Strongroom.Server;

namespace Strongroom.Cli.Tests;

/// <summary>
/// The exporter without a server: a meter of the test's own (so nothing else in the process
/// records into it) bridged to the exporter's registry, and the state gauges set from snapshots.
/// </summary>
public sealed class MetricsExporterTests : IDisposable
{
    private static readonly DateTimeOffset T0 = new(2026, 11, 30, 12, 0, 0, TimeSpan.Zero);

    private readonly Meter meter = new("Strongroom.Tests." + Guid.NewGuid().ToString("N"));
    private readonly Counter<long> requests;
    private readonly Histogram<double> latency;
    private readonly Counter<long> failures;
    private readonly List<MetricDefinition> definitions;

    public MetricsExporterTests()
    {
        requests = meter.CreateCounter<long>("strongroom_requests_total", description: "Requests.");
        latency = meter.CreateHistogram<double>("strongroom_request_duration_seconds", "s", "Latency.");
        failures = meter.CreateCounter<long>("strongroom_audit_append_failures_total", description: "Failures.");
        definitions =
        [
            new(requests, ["plane", "operation", "status"]),
            new(latency, ["plane"], [0.1, 1]),
            new(failures, []),
        ];
    }

    public void Dispose() => meter.Dispose();

    [Fact]
    public async Task Measurements_become_counters_and_histograms_with_the_declared_labels_in_order()
    {
        using var exporter = new MetricsExporter(meter, definitions, null, () => false, "1.2.3.4");
        var unlabelled = await ScrapeAsync(exporter);
        Assert.Contains("# TYPE strongroom_requests_total counter", unlabelled, StringComparison.Ordinal);
        Assert.Contains("strongroom_audit_append_failures_total 0", unlabelled, StringComparison.Ordinal);
        Assert.Contains("strongroom_build_info{version=\"1.2.3.4\"} 1", unlabelled, StringComparison.Ordinal);
        Assert.Contains("strongroom_sealed 0", unlabelled, StringComparison.Ordinal);

        // Tags in any order; a missing one is an empty label.
        requests.Add(2, new("status", "201"), new("operation", "PutBlob"), new("plane", "blob"));
        requests.Add(1, new("plane", "blob"), new("operation", "PutBlob"), new("status", "201"));
        requests.Add(1, new KeyValuePair<string, object?>("plane", "keyvault"));
        latency.Record(0.05, new KeyValuePair<string, object?>("plane", "blob"));
        latency.Record(0.5, new KeyValuePair<string, object?>("plane", "blob"));
        failures.Add(1);

        var text = await ScrapeAsync(exporter);
        Assert.Contains("strongroom_requests_total{plane=\"blob\",operation=\"PutBlob\",status=\"201\"} 3", text, StringComparison.Ordinal);
        Assert.Contains("strongroom_requests_total{plane=\"keyvault\",operation=\"\",status=\"\"} 1", text, StringComparison.Ordinal);
        Assert.Contains("# TYPE strongroom_request_duration_seconds histogram", text, StringComparison.Ordinal);
        Assert.Contains("strongroom_request_duration_seconds_bucket{plane=\"blob\",le=\"0.1\"} 1", text, StringComparison.Ordinal);
        Assert.Contains("strongroom_request_duration_seconds_bucket{plane=\"blob\",le=\"1\"} 2", text, StringComparison.Ordinal);
        Assert.Contains("strongroom_request_duration_seconds_bucket{plane=\"blob\",le=\"+Inf\"} 2", text, StringComparison.Ordinal);
        Assert.Contains("strongroom_request_duration_seconds_count{plane=\"blob\"} 2", text, StringComparison.Ordinal);
        Assert.Contains("strongroom_request_duration_seconds_sum{plane=\"blob\"} 0.55", text, StringComparison.Ordinal);
        Assert.Contains("strongroom_audit_append_failures_total 1", text, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Two_exporters_keep_their_own_registries_and_a_disposed_one_stops_listening()
    {
        using var first = new MetricsExporter(meter, definitions, null, () => false, "1");
        var second = new MetricsExporter(meter, definitions, null, () => false, "1");
        failures.Add(1);
        second.Dispose();
        failures.Add(1);

        Assert.Contains("strongroom_audit_append_failures_total 2", await ScrapeAsync(first), StringComparison.Ordinal);
        Assert.Contains("strongroom_audit_append_failures_total 1", await ScrapeAsync(second), StringComparison.Ordinal);
        Assert.NotSame(first.Registry, second.Registry);
    }

    [Fact]
    public async Task State_gauges_follow_each_snapshot_and_drop_the_series_of_what_is_gone()
    {
        var snapshot = Snapshot(
            [Site("dc1", up: true, SiteState.Active, 1000), Site("dc2", up: false, SiteState.Draining, null)],
            [new AccountReplication("alpha", 3, T0.AddSeconds(-90), TimeSpan.FromSeconds(90), T0.AddSeconds(-90)), new AccountReplication("beta", 0, null, TimeSpan.Zero, T0)]);
        using var exporter = new MetricsExporter(meter, definitions, _ => Task.FromResult(snapshot), () => true, "1");

        var text = await ScrapeAsync(exporter);
        Assert.Contains("strongroom_site_up{site=\"dc1\",region=\"r-dc1\",zone=\"z-dc1\",jurisdiction=\"CN\"} 1", text, StringComparison.Ordinal);
        Assert.Contains("strongroom_site_up{site=\"dc2\",region=\"r-dc2\",zone=\"z-dc2\",jurisdiction=\"CN\"} 0", text, StringComparison.Ordinal);
        Assert.Contains("strongroom_site_state{site=\"dc2\",state=\"draining\"} 1", text, StringComparison.Ordinal);
        Assert.Contains("strongroom_site_state{site=\"dc2\",state=\"active\"} 0", text, StringComparison.Ordinal);
        Assert.Contains("strongroom_site_free_bytes{site=\"dc1\"} 1000", text, StringComparison.Ordinal);
        Assert.DoesNotContain("strongroom_site_free_bytes{site=\"dc2\"}", text, StringComparison.Ordinal);
        Assert.Contains("strongroom_site_backlog_copies{site=\"dc1\",kind=\"pending\"} 2", text, StringComparison.Ordinal);
        Assert.Contains("strongroom_replication_backlog_copies{account=\"alpha\"} 3", text, StringComparison.Ordinal);
        Assert.Contains("strongroom_replication_lag_seconds{account=\"alpha\"} 90", text, StringComparison.Ordinal);
        Assert.Contains($"strongroom_replication_last_sync_timestamp_seconds{{account=\"beta\"}} {T0.ToUnixTimeSeconds()}", text, StringComparison.Ordinal);
        Assert.Contains("strongroom_repair_backlog{kind=\"bad\"} 5", text, StringComparison.Ordinal);
        Assert.Contains("strongroom_sealed 1", text, StringComparison.Ordinal);
        Assert.Contains("strongroom_lockbox_pending_requests 7", text, StringComparison.Ordinal);
        Assert.Contains("strongroom_transfer_pending_requests 1", text, StringComparison.Ordinal);
        Assert.Contains("strongroom_instances{state=\"stale\"} 1", text, StringComparison.Ordinal);

        // A site and an account gone: their series go with them.
        snapshot = Snapshot([Site("dc1", up: true, SiteState.Active, 900)], [new AccountReplication("beta", 0, null, TimeSpan.Zero, T0)]);
        text = await ScrapeAsync(exporter);
        Assert.DoesNotContain("dc2", text, StringComparison.Ordinal);
        Assert.DoesNotContain("alpha", text, StringComparison.Ordinal);
        Assert.Contains("strongroom_site_free_bytes{site=\"dc1\"} 900", text, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_snapshot_that_cannot_be_read_is_counted_and_the_seal_still_reported()
    {
        var fail = false;
        var isSealed = false;
        var snapshot = Snapshot([Site("dc1", up: true, SiteState.Active, 10)], []);
        using var exporter = new MetricsExporter(
            meter,
            definitions,
            _ => fail ? throw new IOException("database unreachable at secret-host") : Task.FromResult(snapshot),
            () => isSealed,
            "1");
        Assert.Contains("strongroom_metrics_snapshot_failures_total 0", await ScrapeAsync(exporter), StringComparison.Ordinal);

        fail = true;
        isSealed = true;
        var text = await ScrapeAsync(exporter);
        Assert.Contains("strongroom_metrics_snapshot_failures_total 1", text, StringComparison.Ordinal);
        Assert.Contains("strongroom_sealed 1", text, StringComparison.Ordinal);
        Assert.Contains("strongroom_site_free_bytes{site=\"dc1\"} 10", text, StringComparison.Ordinal);
        Assert.DoesNotContain("secret-host", text, StringComparison.Ordinal);
    }

    [Fact]
    public void Only_the_exported_meters_instruments_are_accepted()
    {
        using var other = new Meter("Strongroom.Tests.Other");
        var foreign = other.CreateCounter<long>("strongroom_foreign_total");
        Assert.Throws<InvariantViolationException>(() => new MetricsExporter(meter, [new MetricDefinition(foreign, [])], null, () => false, "1"));
        Assert.Throws<ArgumentException>(() => new MetricsExporter(meter, [new MetricDefinition(meter.CreateHistogram<double>("strongroom_unbucketed_seconds"), [])], null, () => false, "1"));
    }

    [Fact]
    public void The_core_definitions_name_every_instrument_once_with_prometheus_names()
    {
        var names = StrongroomMetrics.Definitions.Select(definition => definition.Instrument.Name).ToList();
        Assert.Equal(names.Count, names.Distinct(StringComparer.Ordinal).Count());
        Assert.All(StrongroomMetrics.Definitions, definition =>
        {
            Assert.Same(StrongroomMetrics.Meter, definition.Instrument.Meter);
            Assert.StartsWith("strongroom_", definition.Instrument.Name, StringComparison.Ordinal);
            Assert.True(definition.Instrument is Counter<long> ? definition.Instrument.Name.EndsWith("_total", StringComparison.Ordinal) : definition.Instrument.Name.EndsWith("_seconds", StringComparison.Ordinal), definition.Instrument.Name);
            Assert.Equal(definition.Instrument is Histogram<double>, definition.Buckets is not null);
        });
    }

    private static SiteHealth Site(string id, bool up, SiteState state, long? free) =>
        new(id, "r-" + id, "z-" + id, "CN", SiteBackendKind.LocalDirectory, state, up, free, PendingCopies: 2, BadCopies: 1, Tombstones: 0);

    private static OperationsSnapshot Snapshot(IReadOnlyList<SiteHealth> sites, IReadOnlyList<AccountReplication> accounts) =>
        new(T0, "1", IsSealed: true, sites, accounts, new RepairBacklog(4, 5, 6), 7, 1, new InstanceCounts(2, 1, 3));

    private static async Task<string> ScrapeAsync(MetricsExporter exporter)
    {
        using var output = new MemoryStream();
        await exporter.ExportAsync(output);
        return Encoding.UTF8.GetString(output.ToArray());
    }
}
