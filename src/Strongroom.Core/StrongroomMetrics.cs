using System.Diagnostics;
using System.Diagnostics.Metrics;

namespace Strongroom.Core;

/// <summary>
/// Every measuring instrument of the server, in one place (issue 10; docs/metrics.md). The layers
/// that own a fact record it here — a counter add or a histogram record, nothing more on the
/// request path; the host exports them in Prometheus's format. The instrument names ARE the
/// Prometheus names (base units, <c>_total</c> counters, <c>_seconds</c> histograms): alert rules,
/// dashboards and this file share one spelling. Instruments are process-wide, like
/// <see cref="Meter"/>s are meant to be: several deployments in one process (tests) share them.
/// Never put a secret, a blob or container name, or anything a client chose freely in a tag; the
/// tags are the few bounded label sets named in <see cref="Definitions"/>.
/// </summary>
public static class StrongroomMetrics
{
    public const string MeterName = "Strongroom";

    // Label names.
    public const string PlaneLabel = "plane";
    public const string OperationLabel = "operation";
    public const string StatusLabel = "status";
    public const string SuiteLabel = "suite";
    public const string SiteLabel = "site";
    public const string KindLabel = "kind";

    /// <summary>The planes a request is counted under (<see cref="PlaneLabel"/>).</summary>
    public const string BlobPlane = "blob";
    public const string KeyVaultPlane = "keyvault";
    public const string ManagementPlane = "management";
    public const string ConsolePlane = "console";
    public const string TransparencyPlane = "transparency";

    /// <summary>The operations timed on a site (<see cref="OperationLabel"/> of <see cref="SiteOperationDuration"/>).</summary>
    public const string SiteWrite = "write";
    public const string SiteRead = "read";
    public const string SiteDelete = "delete";
    public const string SiteCheck = "check";

    /// <summary>The kinds of failed sign-in (<see cref="KindLabel"/> of <see cref="LoginFailures"/>).</summary>
    public const string OperatorLogin = "operator";
    public const string TenantAdministratorLogin = "tenant-admin";

    // The statuses as strings made once, so counting a request allocates nothing (initialised before the instruments).
    private static readonly string[] StatusTexts = Enumerable.Range(0, 600).Select(code => code.ToString(System.Globalization.CultureInfo.InvariantCulture)).ToArray();

    public static Meter Meter { get; } = new(MeterName);

    public static Counter<long> Requests { get; } =
        Meter.CreateCounter<long>("strongroom_requests_total", unit: null, "Requests answered, by plane, operation (Azure's operation name on the blob plane, the route template elsewhere) and HTTP status.");

    public static Histogram<double> RequestDuration { get; } =
        Meter.CreateHistogram<double>("strongroom_request_duration_seconds", "s", "Time from the request's arrival at the handler to the end of its response, by plane and operation.");

    public static Counter<long> BytesReceived { get; } =
        Meter.CreateCounter<long>("strongroom_bytes_received_total", "By", "Request body bytes read, by plane.");

    public static Counter<long> BytesSent { get; } =
        Meter.CreateCounter<long>("strongroom_bytes_sent_total", "By", "Response body bytes written, by plane.");

    public static Histogram<double> SegmentEncryption { get; } =
        Meter.CreateHistogram<double>("strongroom_segment_encryption_seconds", "s", "Time to seal one segment (64 KiB of plaintext at most), by cipher suite.");

    public static Histogram<double> SegmentDecryption { get; } =
        Meter.CreateHistogram<double>("strongroom_segment_decryption_seconds", "s", "Time to open (authenticate and decrypt) one segment, by cipher suite.");

    public static Histogram<double> SiteOperationDuration { get; } =
        Meter.CreateHistogram<double>("strongroom_site_operation_duration_seconds", "s", "Time of an operation on a site (write: open to durable commit; read: open; delete; check: a probe), successful or not, by site and operation.");

    public static Counter<long> SiteOperationFailures { get; } =
        Meter.CreateCounter<long>("strongroom_site_operation_failures_total", unit: null, "Operations on a site that failed (I/O error, unreachable, absent object), by site and operation.");

    public static Histogram<double> AuditAppendDuration { get; } =
        Meter.CreateHistogram<double>("strongroom_audit_append_duration_seconds", "s", "Time to append an entry to a transparency log durably (with the write it describes, when it has one).");

    public static Counter<long> AuditAppendFailures { get; } =
        Meter.CreateCounter<long>("strongroom_audit_append_failures_total", unit: null, "Log entries that could not be appended (the operation they describe failed closed).");

    public static Counter<long> LoginFailures { get; } =
        Meter.CreateCounter<long>("strongroom_login_failures_total", unit: null, "Failed sign-ins on the management plane (wrong password or code, unknown name, locked out, disabled), by kind of principal.");

    /// <summary>Request latency: 1 ms to 1 min.</summary>
    public static IReadOnlyList<double> RequestBuckets { get; } = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60];

    /// <summary>One segment's AEAD: 5 µs to 50 ms (a 64 KiB AES-GCM segment takes tens of microseconds).</summary>
    public static IReadOnlyList<double> SegmentBuckets { get; } = [0.000005, 0.00001, 0.000025, 0.00005, 0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.05];

    /// <summary>Site operations and audit appends: 0.5 ms to 30 s (a remote site's bounded retries).</summary>
    public static IReadOnlyList<double> StorageBuckets { get; } = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30];

    /// <summary>
    /// Every instrument with its label names (in the order exported) and, for a histogram, its
    /// bucket bounds: what an exporter needs to declare each metric before its first measurement.
    /// </summary>
    public static IReadOnlyList<MetricDefinition> Definitions { get; } =
    [
        new(Requests, [PlaneLabel, OperationLabel, StatusLabel]),
        new(RequestDuration, [PlaneLabel, OperationLabel], RequestBuckets),
        new(BytesReceived, [PlaneLabel]),
        new(BytesSent, [PlaneLabel]),
        new(SegmentEncryption, [SuiteLabel], SegmentBuckets),
        new(SegmentDecryption, [SuiteLabel], SegmentBuckets),
        new(SiteOperationDuration, [SiteLabel, OperationLabel], StorageBuckets),
        new(SiteOperationFailures, [SiteLabel, OperationLabel]),
        new(AuditAppendDuration, [], StorageBuckets),
        new(AuditAppendFailures, []),
        new(LoginFailures, [KindLabel]),
    ];

    /// <summary>
    /// Records one answered request: its count and its duration since <paramref name="startedTimestamp"/>
    /// (a <see cref="Stopwatch.GetTimestamp"/>). <paramref name="operation"/> must come from a
    /// bounded set (an operation name or a route template), never a path the client chose.
    /// </summary>
    public static void RecordRequest(string plane, string operation, int status, long startedTimestamp)
    {
        var planeTag = new KeyValuePair<string, object?>(PlaneLabel, plane);
        var operationTag = new KeyValuePair<string, object?>(OperationLabel, operation);
        Requests.Add(1, planeTag, operationTag, new KeyValuePair<string, object?>(StatusLabel, StatusText(status)));
        RequestDuration.Record(Stopwatch.GetElapsedTime(startedTimestamp).TotalSeconds, planeTag, operationTag);
    }

    /// <summary>Records the body bytes one request read and wrote on <paramref name="plane"/>.</summary>
    public static void RecordBodyBytes(string plane, long received, long sent)
    {
        var planeTag = new KeyValuePair<string, object?>(PlaneLabel, plane);
        if (received > 0)
        {
            BytesReceived.Add(received, planeTag);
        }

        if (sent > 0)
        {
            BytesSent.Add(sent, planeTag);
        }
    }

    /// <summary>Records a site operation that began at <paramref name="startedTimestamp"/>.</summary>
    public static void RecordSiteOperation(string site, string operation, long startedTimestamp, bool failed)
    {
        var siteTag = new KeyValuePair<string, object?>(SiteLabel, site);
        var operationTag = new KeyValuePair<string, object?>(OperationLabel, operation);
        SiteOperationDuration.Record(Stopwatch.GetElapsedTime(startedTimestamp).TotalSeconds, siteTag, operationTag);
        if (failed)
        {
            SiteOperationFailures.Add(1, siteTag, operationTag);
        }
    }

    /// <summary>Records one segment sealed or opened with <paramref name="suite"/>, begun at <paramref name="startedTimestamp"/>.</summary>
    public static void RecordSegment(Histogram<double> histogram, CipherSuite suite, long startedTimestamp)
    {
        ArgumentNullException.ThrowIfNull(histogram);
        histogram.Record(Stopwatch.GetElapsedTime(startedTimestamp).TotalSeconds, new KeyValuePair<string, object?>(SuiteLabel, SuiteName(suite)));
    }

    /// <summary>Records an audit append begun at <paramref name="startedTimestamp"/>; a failed one is also counted.</summary>
    public static void RecordAuditAppend(long startedTimestamp, bool failed)
    {
        AuditAppendDuration.Record(Stopwatch.GetElapsedTime(startedTimestamp).TotalSeconds);
        if (failed)
        {
            AuditAppendFailures.Add(1);
        }
    }

    /// <summary>Counts a failed sign-in of an operator (<paramref name="operatorKind"/>) or a tenant administrator.</summary>
    public static void RecordLoginFailure(bool operatorKind) =>
        LoginFailures.Add(1, new KeyValuePair<string, object?>(KindLabel, operatorKind ? OperatorLogin : TenantAdministratorLogin));

    private static string SuiteName(CipherSuite suite) => CipherSuites.IsKnown(suite) ? CipherSuites.Name(suite) : "unknown";


    private static string StatusText(int status) =>
        status >= 0 && status < StatusTexts.Length ? StatusTexts[status] : status.ToString(System.Globalization.CultureInfo.InvariantCulture);
}

/// <summary>An instrument of <see cref="StrongroomMetrics"/>, its label names, and its bucket bounds when it is a histogram.</summary>
public sealed record MetricDefinition(Instrument Instrument, IReadOnlyList<string> LabelNames, IReadOnlyList<double>? Buckets = null);
