using System.Text.Json;
using Strongroom.Conformance.Tests.Infrastructure;
using Xunit;

namespace Strongroom.Conformance.Tests.MultiServer;

/// <summary>One server process as <c>strongroom status --json</c> lists it.</summary>
public sealed record InstanceRow(string Id, int ProcessId, bool Alive);

/// <summary>One background job's lease as <c>strongroom status --json</c> lists it (holder null: free).</summary>
public sealed record JobRow(string Job, string? Holder, long Fence);

/// <summary>
/// <c>strongroom status --json</c> on a server's data directory (with the deployment's
/// <c>--metadata</c>): the instances sharing the deployment and who holds each background job.
/// </summary>
public sealed record DeploymentStatus(IReadOnlyList<InstanceRow> Instances, IReadOnlyList<JobRow> Jobs)
{
    public static async Task<DeploymentStatus> ReadAsync(StrongroomProcess server)
    {
        var result = await server.RunCliAsync("status", "--json");
        Assert.True(result.ExitCode == 0, result.ToString());
        using var json = JsonDocument.Parse(result.StandardOutput);
        var root = json.RootElement;
        var instances = root.GetProperty("instances").EnumerateArray().Select(instance => new InstanceRow(
            instance.GetProperty("id").GetString()!,
            instance.GetProperty("processId").GetInt32(),
            instance.GetProperty("alive").GetBoolean())).ToList();
        var jobs = root.GetProperty("jobs").EnumerateArray().Select(job => new JobRow(
            job.GetProperty("job").GetString()!,
            job.TryGetProperty("holder", out var holder) && holder.ValueKind == JsonValueKind.String ? holder.GetString() : null,
            job.GetProperty("fence").GetInt64())).ToList();
        return new DeploymentStatus(instances, jobs);
    }

    public IEnumerable<InstanceRow> Live => Instances.Where(instance => instance.Alive);

    /// <summary>The instance of the process <paramref name="processId"/>, live or not (null: not registered).</summary>
    public InstanceRow? OfProcess(int processId) => Instances.Where(instance => instance.ProcessId == processId).FirstOrDefault();

    public JobRow? Job(string job) => Jobs.SingleOrDefault(row => row.Job == job);

    /// <summary>True when <paramref name="job"/> is held by a live instance.</summary>
    public bool HeldByLive(string job) => Job(job) is { Holder: { } holder } && Live.Any(instance => instance.Id == holder);

    public override string ToString() =>
        "instances: " + string.Join("; ", Instances.Select(i => $"{i.Id} pid {i.ProcessId} {(i.Alive ? "alive" : "not alive")}")) +
        " | jobs: " + string.Join("; ", Jobs.Select(j => $"{j.Job} held by {j.Holder ?? "nobody"} fence {j.Fence}"));
}
