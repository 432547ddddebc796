using System.Text.Json;
using Strongroom.Core;

namespace Strongroom.Cli.Tests;

/// <summary><c>strongroom status</c> lists the servers sharing the deployment and who runs each background job (issue 9).</summary>
public sealed class DeploymentStatusTests : IDisposable
{
    private readonly TempDataDirectory data = new();

    public void Dispose() => data.Dispose();

    [Fact]
    public async Task Status_shows_the_running_server_and_its_jobs_in_text_and_json_and_a_stopped_one_offline()
    {
        var init = await data.RunWithDataAsync("init", "--shares", "1", "--threshold", "1");
        Assert.True(init.ExitCode == 0, init.ToString());
        string instanceId;
        await using (var server = await InProcessServer.StartAsync(data.Path))
        {
            instanceId = server.Deployment.InstanceId!;
            Assert.Matches("^[0-9a-f]{32}$", instanceId);

            var status = await data.RunWithDataAsync("status");
            Assert.True(status.ExitCode == 0, status.ToString());
            Assert.Contains("Servers:        1 alive of 1 known", status.Output, StringComparison.Ordinal);
            Assert.Contains($"  {instanceId}  alive (this server)", status.Output, StringComparison.Ordinal);
            Assert.Contains($"pid {Environment.ProcessId}", status.Output, StringComparison.Ordinal);
            Assert.Contains("Background jobs:", status.Output, StringComparison.Ordinal);
            Assert.All(BackgroundJobs.All, job => Assert.Contains("  " + job, status.Output, StringComparison.Ordinal));

            var json = await data.RunWithDataAsync("status", "--json");
            Assert.True(json.ExitCode == 0, json.ToString());
            using var document = JsonDocument.Parse(json.Output);
            var deployment = document.RootElement.GetProperty("deployment");
            Assert.Equal(instanceId, deployment.GetProperty("instance_id").GetString());
            var instance = Assert.Single(deployment.GetProperty("instances").EnumerateArray());
            Assert.Equal(instanceId, instance.GetProperty("id").GetString());
            Assert.Equal("alive", instance.GetProperty("state").GetString());
            Assert.True(instance.GetProperty("self").GetBoolean());
            Assert.Equal(Environment.ProcessId, instance.GetProperty("pid").GetInt32());
            Assert.StartsWith("http", Assert.Single(instance.GetProperty("data_endpoints").EnumerateArray()).GetString(), StringComparison.Ordinal);
            Assert.StartsWith("http", instance.GetProperty("management_endpoint").GetString(), StringComparison.Ordinal);
            Assert.Matches("^[0-9a-f]{64}$", instance.GetProperty("topology_fingerprint").GetString()!);
            Assert.Equal(JsonValueKind.Null, instance.GetProperty("stopped_on").ValueKind);
            var jobs = deployment.GetProperty("jobs").EnumerateArray().ToList();
            Assert.Equal(BackgroundJobs.All, jobs.Select(job => job.GetProperty("job").GetString()));
            Assert.All(jobs, job => Assert.True(job.GetProperty("holder").ValueKind is JsonValueKind.Null || job.GetProperty("holder").GetString() == instanceId));
        }

        // No server now: the store still knows the one that ran, stopped, holding nothing.
        var offline = await data.RunWithDataAsync("status");
        Assert.True(offline.ExitCode == 0, offline.ToString());
        Assert.Contains("Servers:        0 alive of 1 known", offline.Output, StringComparison.Ordinal);
        Assert.Contains($"  {instanceId}  stopped", offline.Output, StringComparison.Ordinal);
        Assert.DoesNotContain("(this server)", offline.Output, StringComparison.Ordinal);
        Assert.Contains("not held", offline.Output, StringComparison.Ordinal);
    }
}
