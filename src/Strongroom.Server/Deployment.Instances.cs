using System.Text.Json;
using Strongroom.Core;
using Strongroom.Protocol.Management;
using Strongroom.Storage;

namespace Strongroom.Server;

// The servers that share this deployment's metadata store and their background-job leases (issue 9).
public sealed partial class Deployment
{
    /// <summary>The deployment's instances and job leases as of <paramref name="time"/>'s now, marking this process's server.</summary>
    public async Task<DeploymentStatusReport> ReadDeploymentStatusAsync(TimeProvider time, CancellationToken cancellationToken = default) =>
        new(await ReadDeploymentStatusAsync((IDeploymentStore)Store, InstanceId, time, cancellationToken).ConfigureAwait(false));

    /// <summary>
    /// The same, read from the metadata store <paramref name="directory"/> names when no server runs
    /// on it in this process (<c>strongroom status</c> with no local server): the embedded SQLite
    /// file when it exists, or the shared database of <see cref="DataDirectory.MetadataConnectionString"/>.
    /// Null when there is no store to read.
    /// </summary>
    public static async Task<DeploymentStatusReport?> ReadDeploymentStatusAsync(DataDirectory directory, TimeProvider time, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(directory);
        if (directory.MetadataConnectionString is null && !directory.Exists)
        {
            return null;
        }

        await using var store = directory.MetadataConnectionString is { } shared
            ? await SqlMetadataStore.OpenPostgresAsync(shared, cancellationToken).ConfigureAwait(false)
            : await SqlMetadataStore.OpenSqliteAsync(directory.MetadataDatabasePath, cancellationToken).ConfigureAwait(false);
        return new(await ReadDeploymentStatusAsync(store, instanceId: null, time, cancellationToken).ConfigureAwait(false));
    }

    /// <summary>For the management plane's <c>GET v1/deployment</c>.</summary>
    internal Task<DeploymentStatusView> ReadDeploymentStatusViewAsync(TimeProvider time, CancellationToken cancellationToken) =>
        ReadDeploymentStatusAsync((IDeploymentStore)Store, InstanceId, time, cancellationToken);

    private static async Task<DeploymentStatusView> ReadDeploymentStatusAsync(IDeploymentStore store, string? instanceId, TimeProvider time, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(time);
        var instances = await store.ListInstancesAsync(cancellationToken).ConfigureAwait(false);
        var leases = await store.ListJobLeasesAsync(cancellationToken).ConfigureAwait(false);
        return new DeploymentStatusView(instanceId, instances, leases, time.GetUtcNow());
    }
}

/// <summary>The servers of a deployment and who runs each background job, as <c>strongroom status</c> prints them.</summary>
public sealed class DeploymentStatusReport(DeploymentStatusView deployment)
{
    /// <summary>The answering server's instance id (null offline).</summary>
    public string? InstanceId => deployment.InstanceId;

    public IReadOnlyList<DeploymentInstance> Instances => deployment.Instances;

    public IReadOnlyList<JobLease> Leases => deployment.Leases;

    /// <summary>When it was read (the reader's clock).</summary>
    public DateTimeOffset Now => deployment.Now;

    /// <summary>The members of the <c>deployment</c> object of <c>strongroom status --json</c> (the body of <c>GET v1/deployment</c>).</summary>
    public void WriteJsonMembers(Utf8JsonWriter json) => deployment.WriteMembers(json);

    /// <summary>
    /// The same, compact for <c>strongroom status</c>'s one screen (80 columns): one line per
    /// server (at most <see cref="Limits.StatusServersListedMax"/>, then how many more), and two
    /// background jobs per line with the first 8 characters of their holder's id.
    /// </summary>
    public void WriteSummary(TextWriter output)
    {
        ArgumentNullException.ThrowIfNull(output);
        var now = deployment.Now;
        var alive = deployment.Instances.Count(instance => instance.IsAliveAt(now));
        output.WriteLine($"Servers:        {alive} alive of {deployment.Instances.Count} known");
        foreach (var instance in deployment.Instances.Take(Limits.StatusServersListedMax))
        {
            var self = string.Equals(instance.Id, deployment.InstanceId, StringComparison.Ordinal) ? " (this server)" : string.Empty;
            var line = $"  {instance.Id}  {DeploymentStatusView.StateOf(instance, now)}{self}, pid {instance.ProcessId} on {instance.HostName}";
            output.WriteLine(line.Length <= 80 ? line : line[..79] + "…");
        }

        if (deployment.Instances.Count > Limits.StatusServersListedMax)
        {
            output.WriteLine($"  and {deployment.Instances.Count - Limits.StatusServersListedMax} more (strongroom status --verbose)");
        }

        output.WriteLine("Background jobs:");
        var cells = deployment.Jobs().Select(entry =>
        {
            var (job, lease) = entry;
            var holder = lease is not null && !lease.IsFreeAt(now)
                ? lease.Holder![..Math.Min(8, lease.Holder!.Length)] + (string.Equals(lease.Holder, deployment.InstanceId, StringComparison.Ordinal) ? " (this)" : string.Empty)
                : "not held";
            return $"  {job,-18} {holder,-19}";
        }).ToList();
        for (var i = 0; i < cells.Count; i += 2)
        {
            output.WriteLine((cells[i] + (i + 1 < cells.Count ? cells[i + 1] : string.Empty)).TrimEnd());
        }
    }

    /// <summary>
    /// The servers that share the deployment (newest start first; alive, stale — no heartbeat for
    /// <see cref="Limits.InstanceStaleAfter"/> — or stopped) and who runs each background job.
    /// </summary>
    public void WriteText(TextWriter output)
    {
        ArgumentNullException.ThrowIfNull(output);
        var alive = deployment.Instances.Count(instance => instance.IsAliveAt(deployment.Now));
        output.WriteLine($"Servers:        {alive} alive of {deployment.Instances.Count} known");
        foreach (var instance in deployment.Instances)
        {
            var self = string.Equals(instance.Id, deployment.InstanceId, StringComparison.Ordinal) ? " (this server)" : string.Empty;
            var seenAgo = Math.Max(0, (long)(deployment.Now - instance.SeenOn).TotalSeconds);
            output.WriteLine($"  {instance.Id}  {DeploymentStatusView.StateOf(instance, deployment.Now)}{self}");
            output.WriteLine($"    host {instance.HostName}, pid {instance.ProcessId}, version {instance.Version}");
            output.WriteLine($"    data {(instance.DataEndpoints.Count == 0 ? "(not yet listening)" : string.Join(' ', instance.DataEndpoints))}, management {instance.ManagementEndpoint ?? "(not yet listening)"}");
            output.WriteLine($"    started {DeploymentStatusView.Format(instance.StartedOn)}, last seen {DeploymentStatusView.Format(instance.SeenOn)} ({seenAgo}s ago)" +
                (instance.StoppedOn is { } stopped ? $", stopped {DeploymentStatusView.Format(stopped)}" : string.Empty));
        }

        output.WriteLine("Background jobs:");
        var jobs = deployment.Jobs().ToList();
        var width = jobs.Max(job => job.Job.Length);
        foreach (var (job, lease) in jobs)
        {
            var holder = lease is not null && !lease.IsFreeAt(deployment.Now)
                ? $"{lease.Holder}{(string.Equals(lease.Holder, deployment.InstanceId, StringComparison.Ordinal) ? " (this server)" : string.Empty)}, fence {lease.Fence}, lease until {DeploymentStatusView.Format(lease.ExpiresOn)}"
                : "not held (the next pass of any server takes it)";
            var requested = lease?.RequestedOn is { } on ? $"; pass requested {DeploymentStatusView.Format(on)}" : string.Empty;
            output.WriteLine($"  {job.PadRight(width)}  {holder}{requested}");
        }
    }
}
