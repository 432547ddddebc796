using Strongroom.Core;
using Strongroom.Storage;

namespace Strongroom.Conformance.Tests.MultiServer;

/// <summary>
/// The deployment's coordination rows (lane "coordination", issue 9) as the store serves them to
/// <c>strongroom status</c>: the instances sharing the database and the lease of each background
/// job, read at one instant of this machine's clock (the servers' clock too: they run here).
/// </summary>
public sealed record DeploymentStatus(IReadOnlyList<DeploymentInstance> Instances, IReadOnlyList<JobLease> Jobs, DateTimeOffset ReadOn)
{
    /// <summary>Reads the rows through the store's own contract (<see cref="IDeploymentStore"/>) on the deployment's database.</summary>
    public static async Task<DeploymentStatus> ReadAsync(string connectionString)
    {
        await using var store = await SqlMetadataStore.OpenPostgresAsync(connectionString);
        var instances = await store.ListInstancesAsync();
        var jobs = await store.ListJobLeasesAsync();
        return new DeploymentStatus(instances, jobs, DateTimeOffset.UtcNow);
    }

    public IEnumerable<DeploymentInstance> Live => Instances.Where(instance => instance.IsAliveAt(ReadOn));

    /// <summary>The newest instance of process <paramref name="processId"/> on this host, live or not (null: not registered).</summary>
    public DeploymentInstance? OfProcess(int processId) =>
        Instances.Where(instance => instance.ProcessId == processId && instance.HostName == Environment.MachineName).MaxBy(instance => instance.StartedOn);

    public JobLease? Job(string job) => Jobs.SingleOrDefault(row => row.Job == job);

    /// <summary>True when <paramref name="job"/>'s lease is held now by a live instance.</summary>
    public bool HeldByLive(string job) =>
        Job(job) is { Holder: { } holder } lease && lease.IsHeldBy(holder, ReadOn) && Live.Any(instance => instance.Id == holder);

    /// <summary>True when <paramref name="job"/>'s lease is held now (unexpired) by <paramref name="instanceId"/>.</summary>
    public bool HeldBy(string job, string instanceId) => Job(job) is { } lease && lease.IsHeldBy(instanceId, ReadOn);

    public override string ToString() =>
        "instances: " + string.Join("; ", Instances.Select(i => $"{i.Id} pid {i.ProcessId} {(i.IsAliveAt(ReadOn) ? "live" : "not live")}")) +
        " | jobs: " + string.Join("; ", Jobs.Select(j => $"{j.Job} held by {j.Holder ?? "nobody"} until {j.ExpiresOn:HH:mm:ss.fff} fence {j.Fence}"));
}
