using System.Data.Common;
using Strongroom.Core;

namespace Strongroom.Storage;

/// <summary>
/// The deployment's instances and background-job leases (issue 9, <see cref="IDeploymentStore"/>):
/// <c>deployment_instances</c> and <c>job_leases</c>. Each method is one read or one write of the
/// store, so an acquisition is decided inside the write transaction every process takes in turn.
/// </summary>
public sealed partial class SqlMetadataStore : IDeploymentStore
{
    private const string InstanceColumns =
        "id, host_name, process_id, version, data_endpoints, management_endpoint, topology_fingerprint, started_on, seen_on, stopped_on";

    private const string JobLeaseColumns = "job, holder, acquired_on, expires_on, fence, requested_on";

    public Task<DeploymentInstance?> RegisterInstanceAsync(DeploymentInstance instance, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(instance);
        ValidateInstanceId(instance.Id);
        ValidateEndpoints(instance.DataEndpoints);
        var now = instance.StartedOn;
        return WriteAsync(
            tx =>
            {
                var forgetBefore = ToTicks(now - Limits.InstanceRecordRetention);
                tx.Execute(
                    "DELETE FROM deployment_instances WHERE seen_on < @before OR (stopped_on IS NOT NULL AND stopped_on < @before)",
                    ("@before", forgetBefore));
                foreach (var other in ReadInstances(tx))
                {
                    if (other.IsAliveAt(now) && !string.Equals(other.TopologyFingerprint, instance.TopologyFingerprint, StringComparison.Ordinal))
                    {
                        return other;
                    }
                }

                tx.Execute(
                    $"INSERT INTO deployment_instances ({InstanceColumns}) VALUES (@id, @host_name, @process_id, @version, @data_endpoints, @management_endpoint, @topology_fingerprint, @started_on, @seen_on, NULL)",
                    ("@id", instance.Id),
                    ("@host_name", instance.HostName),
                    ("@process_id", (long)instance.ProcessId),
                    ("@version", instance.Version),
                    ("@data_endpoints", string.Join(' ', instance.DataEndpoints)),
                    ("@management_endpoint", instance.ManagementEndpoint),
                    ("@topology_fingerprint", instance.TopologyFingerprint),
                    ("@started_on", ToTicks(instance.StartedOn)),
                    ("@seen_on", ToTicks(instance.SeenOn)));
                return (DeploymentInstance?)null;
            },
            cancellationToken);
    }

    public Task<bool> SetInstanceEndpointsAsync(string instanceId, IReadOnlyList<string> dataEndpoints, string? managementEndpoint, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(dataEndpoints);
        ValidateEndpoints(dataEndpoints);
        return WriteAsync(
            tx => tx.Execute(
                "UPDATE deployment_instances SET data_endpoints = @data_endpoints, management_endpoint = @management_endpoint WHERE id = @id",
                ("@id", instanceId),
                ("@data_endpoints", string.Join(' ', dataEndpoints)),
                ("@management_endpoint", managementEndpoint)) > 0,
            cancellationToken);
    }

    public Task<IReadOnlyList<JobLease>?> HeartbeatAsync(string instanceId, DateTimeOffset now, TimeSpan leaseDuration, IReadOnlyCollection<string> takeRequested, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(takeRequested);
        ValidateLeaseDuration(leaseDuration);
        foreach (var job in takeRequested)
        {
            ValidateJob(job);
        }

        return WriteAsync<IReadOnlyList<JobLease>?>(
            tx =>
            {
                var seen = tx.Execute(
                    "UPDATE deployment_instances SET seen_on = @now WHERE id = @id AND stopped_on IS NULL",
                    ("@id", instanceId),
                    ("@now", ToTicks(now)));
                if (seen == 0)
                {
                    return null;
                }

                // Renewal keeps every lease this instance holds, also one whose expiry passed while
                // nobody took it (it is still this instance's: the holder column never changed).
                tx.Execute(
                    "UPDATE job_leases SET expires_on = @expires_on WHERE holder = @id",
                    ("@id", instanceId),
                    ("@expires_on", ToTicks(now + leaseDuration)));
                foreach (var job in takeRequested)
                {
                    if (ReadJobLease(tx, job) is { RequestedOn: not null } lease && lease.IsFreeAt(now))
                    {
                        AcquireJob(tx, lease, job, instanceId, now, leaseDuration);
                    }
                }

                using var reader = tx.Query($"SELECT {JobLeaseColumns} FROM job_leases WHERE holder = @id ORDER BY job", ("@id", instanceId));
                var held = new List<JobLease>();
                while (reader.Read())
                {
                    held.Add(ReadJobLeaseRow(reader));
                }

                return held;
            },
            cancellationToken);
    }

    public Task StopInstanceAsync(string instanceId, DateTimeOffset now, CancellationToken cancellationToken = default) =>
        WriteAsync(
            tx =>
            {
                tx.Execute(
                    "UPDATE deployment_instances SET stopped_on = @now, seen_on = @now WHERE id = @id AND stopped_on IS NULL",
                    ("@id", instanceId),
                    ("@now", ToTicks(now)));
                tx.Execute(
                    "UPDATE job_leases SET holder = NULL, expires_on = @now WHERE holder = @id",
                    ("@id", instanceId),
                    ("@now", ToTicks(now)));
                return true;
            },
            cancellationToken);

    public Task<IReadOnlyList<DeploymentInstance>> ListInstancesAsync(CancellationToken cancellationToken = default) =>
        ReadAsync(ReadInstances, cancellationToken);

    public Task<JobLease?> TryAcquireJobAsync(string job, string holder, DateTimeOffset now, TimeSpan duration, CancellationToken cancellationToken = default)
    {
        ValidateJob(job);
        ValidateInstanceId(holder);
        ValidateLeaseDuration(duration);
        return WriteAsync(
            tx =>
            {
                var current = ReadJobLease(tx, job);
                if (current is not null && !current.IsFreeAt(now) && !string.Equals(current.Holder, holder, StringComparison.Ordinal))
                {
                    return null;
                }

                return (JobLease?)AcquireJob(tx, current, job, holder, now, duration);
            },
            cancellationToken);
    }

    public Task<bool> ReleaseJobAsync(string job, string holder, DateTimeOffset now, CancellationToken cancellationToken = default)
    {
        ValidateJob(job);
        return WriteAsync(
            tx => tx.Execute(
                "UPDATE job_leases SET holder = NULL, expires_on = @now WHERE job = @job AND holder = @holder",
                ("@job", job),
                ("@holder", holder),
                ("@now", ToTicks(now))) > 0,
            cancellationToken);
    }

    public Task<IReadOnlyList<JobLease>> ListJobLeasesAsync(CancellationToken cancellationToken = default) =>
        ReadAsync<IReadOnlyList<JobLease>>(
            tx =>
            {
                using var reader = tx.Query($"SELECT {JobLeaseColumns} FROM job_leases ORDER BY job");
                var leases = new List<JobLease>();
                while (reader.Read())
                {
                    leases.Add(ReadJobLeaseRow(reader));
                }

                return leases;
            },
            cancellationToken);

    public Task RequestJobAsync(string job, DateTimeOffset now, CancellationToken cancellationToken = default)
    {
        ValidateJob(job);

        // The newest request wins, so a pass that started before it does not clear it.
        return WriteAsync(
            tx => tx.Execute(
                $"INSERT INTO job_leases ({JobLeaseColumns}) VALUES (@job, NULL, @now, @now, 0, @now) " +
                "ON CONFLICT (job) DO UPDATE SET requested_on = excluded.requested_on",
                ("@job", job),
                ("@now", ToTicks(now))),
            cancellationToken);
    }

    public Task<bool> CompleteJobRequestAsync(string job, string holder, DateTimeOffset requestedOn, CancellationToken cancellationToken = default)
    {
        ValidateJob(job);
        return WriteAsync(
            tx => tx.Execute(
                "UPDATE job_leases SET requested_on = NULL WHERE job = @job AND holder = @holder AND requested_on = @requested_on",
                ("@job", job),
                ("@holder", holder),
                ("@requested_on", ToTicks(requestedOn))) > 0,
            cancellationToken);
    }

    private static JobLease AcquireJob(Transaction tx, JobLease? current, string job, string holder, DateTimeOffset now, TimeSpan duration)
    {
        var expiresOn = now + duration;
        if (current is null)
        {
            tx.Execute(
                $"INSERT INTO job_leases ({JobLeaseColumns}) VALUES (@job, @holder, @now, @expires_on, 1, NULL)",
                ("@job", job),
                ("@holder", holder),
                ("@now", ToTicks(now)),
                ("@expires_on", ToTicks(expiresOn)));
            return new JobLease(job, holder, now, expiresOn, 1, null);
        }

        if (string.Equals(current.Holder, holder, StringComparison.Ordinal))
        {
            tx.Execute(
                "UPDATE job_leases SET expires_on = @expires_on WHERE job = @job",
                ("@job", job),
                ("@expires_on", ToTicks(expiresOn)));
            return current with { ExpiresOn = expiresOn };
        }

        var fence = current.Fence + 1;
        tx.Execute(
            "UPDATE job_leases SET holder = @holder, acquired_on = @now, expires_on = @expires_on, fence = @fence WHERE job = @job",
            ("@job", job),
            ("@holder", holder),
            ("@now", ToTicks(now)),
            ("@expires_on", ToTicks(expiresOn)),
            ("@fence", fence));
        return current with { Holder = holder, AcquiredOn = now, ExpiresOn = expiresOn, Fence = fence };
    }

    private static JobLease? ReadJobLease(Transaction tx, string job)
    {
        using var reader = tx.Query($"SELECT {JobLeaseColumns} FROM job_leases WHERE job = @job", ("@job", job));
        return reader.Read() ? ReadJobLeaseRow(reader) : null;
    }

    private static JobLease ReadJobLeaseRow(DbDataReader reader) => new(
        reader.GetString(0),
        reader.IsDBNull(1) ? null : reader.GetString(1),
        FromTicks(reader.GetInt64(2)),
        FromTicks(reader.GetInt64(3)),
        reader.GetInt64(4),
        reader.IsDBNull(5) ? null : FromTicks(reader.GetInt64(5)));

    private static IReadOnlyList<DeploymentInstance> ReadInstances(Transaction tx)
    {
        using var reader = tx.Query($"SELECT {InstanceColumns} FROM deployment_instances ORDER BY started_on DESC, id");
        var instances = new List<DeploymentInstance>();
        while (reader.Read())
        {
            var endpoints = reader.GetString(4);
            instances.Add(new DeploymentInstance(
                reader.GetString(0),
                reader.GetString(1),
                checked((int)reader.GetInt64(2)),
                reader.GetString(3),
                endpoints.Length == 0 ? [] : endpoints.Split(' '),
                reader.IsDBNull(5) ? null : reader.GetString(5),
                reader.GetString(6),
                FromTicks(reader.GetInt64(7)),
                FromTicks(reader.GetInt64(8)),
                reader.IsDBNull(9) ? null : FromTicks(reader.GetInt64(9))));
        }

        return instances;
    }

    private static void ValidateJob(string job)
    {
        if (!BackgroundJobs.IsValidName(job))
        {
            throw new ArgumentException($"'{job}' is not a background job name.", nameof(job));
        }
    }

    private static void ValidateInstanceId(string id) => ArgumentException.ThrowIfNullOrWhiteSpace(id);

    private static void ValidateLeaseDuration(TimeSpan duration) => ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(duration, TimeSpan.Zero);

    private static void ValidateEndpoints(IReadOnlyList<string> endpoints)
    {
        if (endpoints.Count > Limits.InstanceEndpointsMax || endpoints.Any(endpoint => string.IsNullOrEmpty(endpoint) || endpoint.Contains(' ', StringComparison.Ordinal)))
        {
            throw new ArgumentException($"An instance records at most {Limits.InstanceEndpointsMax} endpoints, each a URI without spaces.", nameof(endpoints));
        }
    }
}
