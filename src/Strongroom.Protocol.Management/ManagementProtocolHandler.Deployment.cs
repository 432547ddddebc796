using System.Globalization;
using System.Text.Json;
using Microsoft.AspNetCore.Http;
using Strongroom.Core;

namespace Strongroom.Protocol.Management;

/// <summary>
/// The servers that share the deployment and who runs each background job (issue 9):
/// <c>GET v1/deployment</c>, for system, security and audit admins (host names, process ids and
/// endpoints; no customer data, no key). The same body is <c>deployment</c> in
/// <c>strongroom status --json</c>.
/// </summary>
public sealed partial class ManagementProtocolHandler
{
    private IEnumerable<Route> DeploymentRoutes() =>
    [
        new(HttpMethods.Get, "deployment", DeploymentStatusAsync),
    ];

    private async Task DeploymentStatusAsync(ManagementCall call)
    {
        RequireOperator(call.Principal, "read the deployment's servers", OperatorRole.SystemAdmin, OperatorRole.SecurityAdmin, OperatorRole.AuditAdmin);
        var read = services.DeploymentStatus ?? throw new InvalidOperationException("the management plane was composed without the deployment's instances");
        var status = await read(call.Aborted).ConfigureAwait(false);
        await call.WriteJsonAsync(200, json =>
        {
            json.WriteStartObject();
            status.WriteMembers(json);
            json.WriteEndObject();
        }).ConfigureAwait(false);
    }
}

/// <summary>
/// The deployment's instances and background-job leases as read at <paramref name="Now"/>;
/// <paramref name="InstanceId"/> is the answering server's (null when none runs in the process).
/// </summary>
public sealed record DeploymentStatusView(string? InstanceId, IReadOnlyList<DeploymentInstance> Instances, IReadOnlyList<JobLease> Leases, DateTimeOffset Now)
{
    /// <summary><c>alive</c>, <c>stale</c> (no heartbeat for <see cref="Limits.InstanceStaleAfter"/>: killed, hung or cut off) or <c>stopped</c>.</summary>
    public static string StateOf(DeploymentInstance instance, DateTimeOffset now)
    {
        ArgumentNullException.ThrowIfNull(instance);
        return instance.StoppedOn is not null ? "stopped" : instance.IsAliveAt(now) ? "alive" : "stale";
    }

    /// <summary>Every known job (<see cref="BackgroundJobs.All"/>, then any other with a lease row) and its lease, or null when it has none.</summary>
    public IEnumerable<(string Job, JobLease? Lease)> Jobs()
    {
        var byJob = Leases.ToDictionary(lease => lease.Job, StringComparer.Ordinal);
        foreach (var job in BackgroundJobs.All)
        {
            yield return (job, byJob.GetValueOrDefault(job));
        }

        foreach (var lease in Leases.Where(lease => !BackgroundJobs.All.Contains(lease.Job)))
        {
            yield return (lease.Job, lease);
        }
    }

    /// <summary>
    /// The members <c>instance_id</c>, <c>instances</c> and <c>jobs</c> inside an open object: the
    /// one writer of this body for <c>v1/deployment</c> and <c>strongroom status --json</c>.
    /// Times are ISO 8601 UTC; a job's <c>holder</c> is null when nobody holds it now (never taken,
    /// released, or its lease expired).
    /// </summary>
    public void WriteMembers(Utf8JsonWriter json)
    {
        ArgumentNullException.ThrowIfNull(json);
        if (InstanceId is null)
        {
            json.WriteNull("instance_id");
        }
        else
        {
            json.WriteString("instance_id", InstanceId);
        }

        json.WriteStartArray("instances");
        foreach (var instance in Instances)
        {
            json.WriteStartObject();
            json.WriteString("id", instance.Id);
            json.WriteString("state", StateOf(instance, Now));
            json.WriteBoolean("self", string.Equals(instance.Id, InstanceId, StringComparison.Ordinal));
            json.WriteString("host", instance.HostName);
            json.WriteNumber("pid", instance.ProcessId);
            json.WriteString("version", instance.Version);
            json.WriteStartArray("data_endpoints");
            foreach (var endpoint in instance.DataEndpoints)
            {
                json.WriteStringValue(endpoint);
            }

            json.WriteEndArray();
            WriteOptional(json, "management_endpoint", instance.ManagementEndpoint);
            json.WriteString("topology_fingerprint", instance.TopologyFingerprint);
            json.WriteString("started_on", Format(instance.StartedOn));
            json.WriteString("seen_on", Format(instance.SeenOn));
            WriteOptional(json, "stopped_on", instance.StoppedOn is { } stopped ? Format(stopped) : null);
            json.WriteEndObject();
        }

        json.WriteEndArray();
        json.WriteStartArray("jobs");
        foreach (var (job, lease) in Jobs())
        {
            json.WriteStartObject();
            json.WriteString("job", job);
            var held = lease is not null && !lease.IsFreeAt(Now);
            WriteOptional(json, "holder", held ? lease!.Holder : null);
            WriteOptional(json, "expires_on", held ? Format(lease!.ExpiresOn) : null);
            json.WriteNumber("fence", lease?.Fence ?? 0);
            WriteOptional(json, "requested_on", lease?.RequestedOn is { } requested ? Format(requested) : null);
            json.WriteEndObject();
        }

        json.WriteEndArray();
    }

    /// <summary>ISO 8601 UTC to the second (the CLI prints the same).</summary>
    public static string Format(DateTimeOffset value) => value.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", CultureInfo.InvariantCulture);

    private static void WriteOptional(Utf8JsonWriter json, string name, string? value)
    {
        if (value is null)
        {
            json.WriteNull(name);
        }
        else
        {
            json.WriteString(name, value);
        }
    }
}
