using System.Diagnostics.Metrics;
using Strongroom.Core;
using Strongroom.Placement;
using Strongroom.Storage;
using Strongroom.Testing;

namespace Strongroom.Placement.Tests;

/// <summary>
/// Every operation on a site through <see cref="ResidentSite"/> is timed under the site and the
/// operation (strongroom_site_operation_duration_seconds) and, when it fails, counted
/// (strongroom_site_operation_failures_total). The site id is unique to the test, so measurements
/// of tests running alongside are not counted.
/// </summary>
public sealed class SiteMetricsTests : IDisposable
{
    private readonly string root = Path.Combine(Path.GetTempPath(), "strongroom-site-metrics-" + Guid.NewGuid().ToString("N"));

    private static readonly string Id1 = new('1', 32);
    private static readonly string Id2 = new('2', 32);
    private static readonly string Id3 = new('3', 32);
    private static readonly string Id4 = new('4', 32);

    public void Dispose()
    {
        if (Directory.Exists(root))
        {
            Directory.Delete(root, recursive: true);
        }
    }

    [Fact]
    public async Task Writes_reads_deletes_and_probes_are_timed_and_failures_counted()
    {
        var siteId = "metrics-" + Guid.NewGuid().ToString("N")[..8];
        var durations = new List<string>();
        var failures = new List<string>();
        using var listener = new MeterListener
        {
            InstrumentPublished = (instrument, listening) =>
            {
                if (instrument.Meter.Name == StrongroomMetrics.MeterName && instrument.Name.StartsWith("strongroom_site_operation_", StringComparison.Ordinal))
                {
                    listening.EnableMeasurementEvents(instrument);
                }
            },
        };
        listener.SetMeasurementEventCallback<double>((_, value, tags, _) =>
        {
            if (Tag(tags, "site") == siteId)
            {
                Assert.True(value >= 0);
                lock (durations)
                {
                    durations.Add(Tag(tags, "operation")!);
                }
            }
        });
        listener.SetMeasurementEventCallback<long>((_, value, tags, _) =>
        {
            if (Tag(tags, "site") == siteId)
            {
                lock (failures)
                {
                    failures.Add(Tag(tags, "operation")!);
                }
            }
        });
        listener.Start();

        await using var backend = new LocalDirectorySite(siteId, root);
        var faulty = new FaultInjectingSite(backend);
        var site = new ResidentSite(new SiteDescriptor(siteId, "cn-north", "cn-north-1", "CN", SiteBackendKind.LocalDirectory, SiteState.Active), faulty);
        var residency = new PlacementPolicy(["CN"], "cn-north", null, Redundancy.Lrs);

        await using (var write = await site.BeginWriteAsync(Id1, residency))
        {
            await write.Content.WriteAsync(new byte[] { 1, 2, 3 });
            Assert.Empty(durations);
            await write.CommitAsync();
        }

        // A write abandoned without a commit is not the site's to count.
        await using (var abandoned = await site.BeginWriteAsync(Id2, residency))
        {
        }

        await using (var read = await site.OpenReadAsync(Id1))
        {
        }

        await site.CheckAsync();
        await site.DeleteAsync(Id1);
        Assert.Equal(["write", "read", "check", "delete"], durations);
        Assert.Empty(failures);

        faulty.FailOpenRead = true;
        await Assert.ThrowsAnyAsync<IOException>(() => site.OpenReadAsync(Id1));
        faulty.FailCommit = true;
        await using (var failing = await site.BeginWriteAsync(Id3, residency))
        {
            await Assert.ThrowsAnyAsync<IOException>(() => failing.CommitAsync());
        }

        faulty.FailBeginWrite = true;
        await Assert.ThrowsAnyAsync<IOException>(() => site.BeginWriteAsync(Id4, residency));
        Assert.Equal(["read", "write", "write"], failures);
        Assert.Equal(["write", "read", "check", "delete", "read", "write", "write"], durations);
    }

    private static string? Tag(ReadOnlySpan<KeyValuePair<string, object?>> tags, string name)
    {
        foreach (var tag in tags)
        {
            if (tag.Key == name)
            {
                return tag.Value as string;
            }
        }

        return null;
    }
}
