using System.Diagnostics;
using System.Net;
using Azure;
using Azure.Storage.Blobs;
using Strongroom.Conformance.Tests.Infrastructure;
using Xunit;

namespace Strongroom.Conformance.Tests.Metrics;

/// <summary>
/// <c>GET /metrics</c> on a real server (issue 10; docs/metrics.md): SDK traffic, a failed
/// Shared Key request and a failed sign-in move the counters by exactly what was done; histograms
/// have buckets, count and sum; the state gauges say what the deployment is; no secret appears;
/// the scrape parses (and passes <c>promtool check metrics</c> when promtool is installed — required
/// when STRONGROOM_TEST_REQUIRE_PROMTOOL=1). Failure paths: only GET, only the management
/// listener, and it answers while sealed. Excluded from the nginx pass (counts are per process).
/// </summary>
public sealed class MetricsTests
{
    public const string RequirePromtoolVariable = "STRONGROOM_TEST_REQUIRE_PROMTOOL";
    const string PromtoolPath = "/usr/bin/promtool";

    [Fact]
    public async Task A_scrape_counts_the_traffic_describes_the_deployment_and_holds_no_secret()
    {
        await using var server = await StrongroomProcess.StartNewAsync("metrics");
        using var management = new HttpClient { BaseAddress = server.ManagementEndpoint };
        var before = (await ScrapeAsync(management)).Parsed;

        // SDK traffic: a container, a blob of 3 segments and a bit, a download, a listing.
        var service = new BlobServiceClient(server.ConnectionString, server.ClientOptions());
        var container = service.GetBlobContainerClient("metrics");
        await container.CreateAsync();
        var payload = new byte[(3 * 64 * 1024) + 100];
        new Random(10).NextBytes(payload);
        await container.GetBlobClient("one").UploadAsync(BinaryData.FromBytes(payload));
        var download = await container.GetBlobClient("one").DownloadContentAsync();
        Assert.Equal(payload, download.Value.Content.ToArray());
        await foreach (var _ in container.GetBlobsAsync())
        {
        }

        // A Shared Key signed with the wrong key, and a failed sign-in on the management plane.
        var wrongKey = Convert.ToBase64String(new byte[64]);
        var intruder = new BlobServiceClient(new Uri(server.ServiceUri.ToString()), new Azure.Storage.StorageSharedKeyCredential(StrongroomProcess.DevAccountName, wrongKey), server.ClientOptions());
        var refused = await Assert.ThrowsAsync<RequestFailedException>(() => intruder.GetBlobContainerClient("metrics").GetPropertiesAsync());
        Assert.Equal(403, refused.Status);
        using var api = new ManagementApi(server);
        var totpSecret = "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP";
        const string password = "Not-the-password-7";
        var login = await api.LoginAsync("operator", null, "nobody", password, totpSecret);
        Assert.Equal(HttpStatusCode.Unauthorized, login.Status);

        var (text, after, contentType) = await ScrapeAsync(management);
        Assert.Equal("text/plain; version=0.0.4; charset=utf-8", contentType);
        await CheckWithPromtoolAsync(text);

        double Delta(string name, params (string, string)[] labels) => after.ValueOrZero(name, labels) - before.ValueOrZero(name, labels);

        // Requests by plane, Azure operation and status.
        const string requests = "strongroom_requests_total";
        Assert.Equal(1, Delta(requests, ("plane", "blob"), ("operation", "CreateContainer"), ("status", "201")));
        Assert.Equal(1, Delta(requests, ("plane", "blob"), ("operation", "PutBlob"), ("status", "201")));
        Assert.Equal(1, Delta(requests, ("plane", "blob"), ("operation", "GetBlob"), ("status", "200")));
        Assert.Equal(1, Delta(requests, ("plane", "blob"), ("operation", "ListBlobs"), ("status", "200")));
        Assert.Equal(1, Delta(requests, ("plane", "blob"), ("operation", "GetContainerProperties"), ("status", "403")));
        Assert.Equal(1, Delta(requests, ("plane", "management"), ("operation", "POST v1/login"), ("status", "401")));
        Assert.Equal("counter", after.Types[requests]);

        // Latency histograms: one more observation for PutBlob, buckets consistent (checked by the parser).
        const string duration = "strongroom_request_duration_seconds";
        Assert.Equal("histogram", after.Types[duration]);
        Assert.Equal(1, Delta(duration + "_count", ("plane", "blob"), ("operation", "PutBlob")));
        Assert.True(after.ValueOrZero(duration + "_sum", ("plane", "blob"), ("operation", "PutBlob")) > 0);
        Assert.Contains(after.Find(duration + "_bucket", ("plane", "blob"), ("operation", "PutBlob")), sample => sample.Labels["le"] == "0.005");

        // Bytes: at least the payload each way on the blob plane.
        Assert.True(Delta("strongroom_bytes_received_total", ("plane", "blob")) >= payload.Length);
        Assert.True(Delta("strongroom_bytes_sent_total", ("plane", "blob")) >= payload.Length);

        // Segment AEAD: 4 segments sealed (3 full and one short), at least 4 opened.
        Assert.Equal(4, Delta("strongroom_segment_encryption_seconds_count", ("suite", "aes-256-gcm")));
        Assert.True(Delta("strongroom_segment_decryption_seconds_count", ("suite", "aes-256-gcm")) >= 4);

        // Sites: every write landed on the development sites; all up and active.
        Assert.True(after.Find("strongroom_site_operation_duration_seconds_count", ("operation", "write")).Sum(sample => sample.Value) >= 1);
        var sites = after.Find("strongroom_site_up").ToList();
        Assert.NotEmpty(sites);
        Assert.All(sites, site =>
        {
            Assert.Equal(1, site.Value);
            Assert.False(string.IsNullOrEmpty(site.Labels["jurisdiction"]));
            Assert.Equal(1, after.Value("strongroom_site_state", ("site", site.Labels["site"]), ("state", "active")));
            Assert.Equal(0, after.Value("strongroom_site_state", ("site", site.Labels["site"]), ("state", "draining")));
            Assert.True(after.Value("strongroom_site_free_bytes", ("site", site.Labels["site"])) > 0);
        });

        // Replication and repair: the account is listed; nothing owed after synchronous writes.
        var account = StrongroomProcess.DevAccountName;
        Assert.NotNull(after.Value("strongroom_replication_backlog_copies", ("account", account)));
        var lag = after.Value("strongroom_replication_lag_seconds", ("account", account));
        Assert.True(lag >= 0);
        var lastSync = after.Value("strongroom_replication_last_sync_timestamp_seconds", ("account", account))!.Value;
        Assert.InRange(lastSync, DateTimeOffset.UtcNow.AddDays(-1).ToUnixTimeSeconds(), DateTimeOffset.UtcNow.AddDays(1).ToUnixTimeSeconds());
        Assert.NotNull(after.Value("strongroom_repair_backlog", ("kind", "pending")));
        Assert.NotNull(after.Value("strongroom_repair_backlog", ("kind", "bad")));
        Assert.NotNull(after.Value("strongroom_repair_backlog", ("kind", "tombstone")));

        // Seal, requests, instances, build, audit, sign-in.
        Assert.Equal(0, after.Value("strongroom_sealed"));
        Assert.Equal(0, after.Value("strongroom_lockbox_pending_requests"));
        Assert.Equal(0, after.Value("strongroom_transfer_pending_requests"));
        Assert.True(after.Value("strongroom_instances", ("state", "live")) >= 1);
        Assert.Equal(1, Assert.Single(after.Find("strongroom_build_info")).Value);
        Assert.True(Delta("strongroom_audit_append_duration_seconds_count") >= 3);
        Assert.Equal(0, after.Value("strongroom_audit_append_failures_total"));
        Assert.Equal(1, Delta("strongroom_login_failures_total", ("kind", "operator")));

        // No secret: not the account key, nor what the failed sign-in sent.
        Assert.DoesNotContain(StrongroomProcess.DevAccountKey, text, StringComparison.Ordinal);
        Assert.DoesNotContain(password, text, StringComparison.Ordinal);
        Assert.DoesNotContain(totpSecret, text, StringComparison.Ordinal);
        Assert.DoesNotContain("nobody", text, StringComparison.Ordinal);
        Assert.DoesNotContain("/metrics/one", text, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Metrics_answer_while_sealed_only_to_GET_and_only_on_the_management_listener()
    {
        await using var server = await StrongroomProcess.StartProductionAsync("metrics-sealed", shares: 1, threshold: 1, unseal: false);
        using var management = new HttpClient(server.TrustingHandler()) { BaseAddress = server.ManagementEndpoint };

        var (text, parsed, _) = await ScrapeAsync(management);
        Assert.Equal(1, parsed.Value("strongroom_sealed"));
        Assert.NotEmpty(parsed.Find("strongroom_site_up"));
        Assert.NotNull(parsed.Value("strongroom_repair_backlog", ("kind", "pending")));
        await CheckWithPromtoolAsync(text);

        using (var post = await management.PostAsync("metrics", new StringContent("")))
        {
            Assert.Equal(HttpStatusCode.MethodNotAllowed, post.StatusCode);
            Assert.Equal("GET", string.Join(',', post.Content.Headers.Allow));
        }

        using (var head = await management.SendAsync(new HttpRequestMessage(HttpMethod.Head, "metrics")))
        {
            Assert.Equal(HttpStatusCode.MethodNotAllowed, head.StatusCode);
        }

        // Not a metrics path: the management API's own 404.
        using (var other = await management.GetAsync("metrics/other"))
        {
            Assert.Equal(HttpStatusCode.NotFound, other.StatusCode);
        }

        // The data listener does not serve it: the path is an account's there (here refused while sealed).
        using var data = server.CreateHttpClient();
        using (var onData = await data.GetAsync("metrics"))
        {
            Assert.NotEqual(HttpStatusCode.OK, onData.StatusCode);
            Assert.DoesNotContain("strongroom_", await onData.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        }

        // The refused calls were counted under bounded labels.
        var (_, later, _) = await ScrapeAsync(management);
        Assert.True(later.ValueOrZero("strongroom_requests_total", ("plane", "management"), ("operation", "OTHER /metrics"), ("status", "405")) >= 2);
        Assert.True(later.ValueOrZero("strongroom_requests_total", ("plane", "management"), ("operation", "unmatched"), ("status", "404")) >= 1);
    }

    static async Task<(string Text, Exposition Parsed, string? ContentType)> ScrapeAsync(HttpClient management)
    {
        using var response = await management.GetAsync("metrics");
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var text = await response.Content.ReadAsStringAsync();
        return (text, Exposition.Parse(text), response.Content.Headers.ContentType?.ToString());
    }

    /// <summary><c>promtool check metrics</c> on the scrape (stdin), when promtool is installed (required under STRONGROOM_TEST_REQUIRE_PROMTOOL=1).</summary>
    internal static async Task CheckWithPromtoolAsync(string scrape)
    {
        if (!File.Exists(PromtoolPath))
        {
            Assert.False(
                Environment.GetEnvironmentVariable(RequirePromtoolVariable) == "1",
                $"{PromtoolPath} is missing but {RequirePromtoolVariable}=1: install the Debian package 'prometheus' (test.sh does).");
            return;
        }

        using var promtool = Process.Start(new ProcessStartInfo(PromtoolPath, ["check", "metrics"])
        {
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        })!;
        await promtool.StandardInput.WriteAsync(scrape);
        promtool.StandardInput.Close();
        var output = promtool.StandardOutput.ReadToEndAsync();
        var error = promtool.StandardError.ReadToEndAsync();
        await promtool.WaitForExitAsync();
        Assert.True(promtool.ExitCode == 0, $"promtool check metrics failed ({promtool.ExitCode}):\n{await output}\n{await error}");
    }
}
