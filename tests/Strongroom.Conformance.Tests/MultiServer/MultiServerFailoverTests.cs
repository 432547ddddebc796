using System.Collections.Concurrent;
using System.Diagnostics;
using System.Text.Json;
using Azure;
using Azure.Storage.Blobs;
using Strongroom.Conformance.Tests.Infrastructure;
using Strongroom.Core;
using Xunit;
using Xunit.Abstractions;

namespace Strongroom.Conformance.Tests.MultiServer;

/// <summary>
/// Issue 9: background work once per deployment, and a server killed (SIGKILL) in the middle of a
/// workload, on three development servers (<c>--dev</c>, the vault in the database unsealing each
/// on its own, also when a killed one comes back) sharing one PostgreSQL database and one topology.
/// Every wait is a poll with a bound derived from <see cref="Limits"/>.
/// </summary>
[Trait("Category", "MultiServer")]
public sealed class MultiServerFailoverTests(MultiServerDevelopmentFixture fixture, ITestOutputHelper output) : IClassFixture<MultiServerDevelopmentFixture>
{
    const int Servers = MultiServerDeployment.DefaultServers;

    /// <summary>The jobs whose passes come every few seconds, so a holder is always there to be seen.</summary>
    static readonly string[] FrequentJobs = [BackgroundJobs.Repair, BackgroundJobs.AuditCheckpoints];

    /// <summary>Long enough for a lease to lapse and a survivor's next heartbeat or pass to take it.</summary>
    static TimeSpan HandoverBound => Limits.JobLeaseDuration + Limits.RepairInterval + Limits.AuditCheckpointInterval + TimeSpan.FromSeconds(10);

    /// <summary>A repair pass or two after the copies were owed.</summary>
    static TimeSpan ReplicationBound => (Limits.RepairInterval * 3) + TimeSpan.FromSeconds(15);

    [Fact]
    public async Task Each_background_job_is_held_by_one_live_server_and_runs_once()
    {
        if (fixture.Deployment is not { } deployment)
        {
            return;
        }

        await deployment.EnsureRunningAsync();
        var processes = deployment.Servers.Select(server => server.Process.Id).ToHashSet();

        // The three processes are the deployment's live instances; the frequent jobs have a live holder.
        var start = await MultiServerDeployment.EventuallyAsync("three live instances, each frequent job held by one of them", HandoverBound, async () =>
        {
            var status = await DeploymentStatus.ReadAsync(deployment.Database.ConnectionString);
            var done = processes.All(pid => status.OfProcess(pid) is { } instance && instance.IsAliveAt(status.ReadOn))
                && FrequentJobs.All(status.HeldByLive);
            return (done, status);
        });
        var live = processes.Select(pid => start.OfProcess(pid)!.Id).ToHashSet(StringComparer.Ordinal);
        Assert.All(start.Jobs.Where(job => job.Holder is { } holder && job.IsHeldBy(holder, start.ReadOn)), job => Assert.Contains(job.Holder!, live));

        // `strongroom status` through any server shows the same: three alive servers, each job held by one of them or by none.
        var shown = await StatusJsonAsync(deployment[1]);
        var alive = shown.GetProperty("instances").EnumerateArray()
            .Where(instance => instance.GetProperty("state").GetString() == "alive")
            .ToDictionary(instance => instance.GetProperty("id").GetString()!, instance => instance.GetProperty("pid").GetInt32(), StringComparer.Ordinal);
        Assert.True(processes.SetEquals(alive.Values), $"status lists the three processes as alive: {shown}");
        foreach (var job in shown.GetProperty("jobs").EnumerateArray())
        {
            var holder = job.GetProperty("holder");
            Assert.True(holder.ValueKind == JsonValueKind.Null || alive.ContainsKey(holder.GetString()!), $"{job.GetProperty("job").GetString()} is held by an alive server or by none: {shown}");
        }

        foreach (var job in FrequentJobs)
        {
            Assert.Single(shown.GetProperty("jobs").EnumerateArray(), row => row.GetProperty("job").GetString() == job && row.GetProperty("holder").ValueKind == JsonValueKind.String);
        }

        // A workload through the three servers into a GRS container: every blob owes 3 copies in the secondary region.
        const int Blobs = 24;
        var containerName = TestNames.Container("once");
        var containers = deployment.Container(containerName);
        await containers[0].CreateAsync();
        await GeoRedundantAsync(deployment[0], containerName);
        await Task.WhenAll(Enumerable.Range(0, Blobs).Select(i => Task.Run(() =>
            containers[i % Servers].GetBlobClient($"blob-{i:D2}").UploadAsync(BinaryData.FromBytes(Payloads.For($"{containerName}-{i}", 2000 + i))))));
        await WaitForNoOwedCopiesAsync(deployment[1]);

        // Each owed copy was made once: one Placement.CopyCreated per (object, site), whichever server ran the pass.
        var created = (await AccountEntriesAsync(deployment[2], "Placement.CopyCreated"))
            .Where(entry => entry.GetProperty("resource").GetString()!.StartsWith($"/{deployment.AccountName}/{containerName}/", StringComparison.Ordinal))
            .Select(entry => (
                Resource: entry.GetProperty("resource").GetString()!,
                Object: entry.GetProperty("details").GetProperty("objectId").GetString()!,
                Site: entry.GetProperty("sites")[0].GetString()!))
            .ToList();
        var duplicated = created.GroupBy(copy => (copy.Object, copy.Site)).Where(group => group.Count() > 1).Select(group => $"{group.Key.Object} on {group.Key.Site} ×{group.Count()}").ToList();
        Assert.True(duplicated.Count == 0, "copies made more than once: " + string.Join(", ", duplicated));
        var perBlob = created.GroupBy(copy => copy.Resource).ToDictionary(group => group.Key, group => group.Count(), StringComparer.Ordinal);
        Assert.True(perBlob.Count == Blobs, $"{perBlob.Count} of {Blobs} blobs had a copy made in the background");
        Assert.True(perBlob.Values.All(count => count == GeoCopies), "copies made per blob: " + string.Join(", ", perBlob.Select(pair => $"{pair.Key} {pair.Value}")));
        output.WriteLine($"{Blobs} GRS blobs through {Servers} servers: {created.Count} background copies, each made once. At the start: {start}");

        // The frequent jobs did not change hands between live servers meanwhile: same holder, same fence.
        var end = await DeploymentStatus.ReadAsync(deployment.Database.ConnectionString);
        foreach (var job in start.Jobs.Where(job => FrequentJobs.Contains(job.Job)))
        {
            Assert.True(end.Job(job.Job) is { } now && now.Holder == job.Holder && now.Fence == job.Fence, $"{job.Job}: {job.Holder} fence {job.Fence} at the start, now {end.Job(job.Job)}");
        }
    }

    [Fact]
    public async Task A_server_killed_mid_workload_loses_no_acknowledged_write_and_its_jobs_are_taken_over()
    {
        if (fixture.Deployment is not { } deployment)
        {
            return;
        }

        await deployment.EnsureRunningAsync();
        var processes = deployment.Servers.Select(server => server.Process.Id).ToList();

        // The victim: the server holding the repair job (the work most worth handing over).
        var before = await MultiServerDeployment.EventuallyAsync("the repair job held by a live server", HandoverBound, async () =>
        {
            var status = await DeploymentStatus.ReadAsync(deployment.Database.ConnectionString);
            return (status.HeldByLive(BackgroundJobs.Repair), status);
        });
        var victimInstance = before.Job(BackgroundJobs.Repair)!.Holder!;
        var victim = processes.FindIndex(pid => before.OfProcess(pid)?.Id == victimInstance);
        Assert.True(victim >= 0, $"the repair job's holder {victimInstance} is one of the three processes: {before}");
        var victimJobs = before.Jobs.Where(job => job.IsHeldBy(victimInstance, before.ReadOn)).Select(job => job.Job).ToList();
        var survivors = Enumerable.Range(0, Servers).Where(server => server != victim).ToList();

        const int WritersPerServer = 3;
        const int WritesPerWriterMax = 40;
        const int AcknowledgedBeforeKill = 30;
        const int WritesPerSurvivorAfterKill = 4;
        var containerName = TestNames.Container("killed");
        var containers = deployment.Container(containerName);
        await containers[survivors[0]].CreateAsync();
        await GeoRedundantAsync(deployment[survivors[0]], containerName);
        var acknowledged = new ConcurrentDictionary<string, byte[]>(StringComparer.Ordinal);
        var uncertain = new ConcurrentDictionary<string, byte[]>(StringComparer.Ordinal);
        var unexpected = new ConcurrentBag<string>();
        var killed = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var acknowledgedAtKill = 0;

        async Task WriteAsync(int server, int writer)
        {
            var afterKill = 0;
            for (var i = 0; i < WritesPerWriterMax; i++)
            {
                var name = $"s{server + 1}-w{writer}-{i:D2}";
                var data = Payloads.For($"{containerName}/{name}", 1024 + ((i * 7919) % 60_000));
                try
                {
                    await containers[server].GetBlobClient(name).UploadAsync(BinaryData.FromBytes(data));
                    acknowledged[name] = data;
                }
                catch (Exception) when (server == victim && killed.Task.IsCompleted)
                {
                    // Cut off by the kill: it may or may not have committed; this writer is done.
                    uncertain[name] = data;
                    return;
                }
                catch (Exception e) when (server == victim && e is RequestFailedException { Status: 0 } or HttpRequestException or IOException or OperationCanceledException)
                {
                    // The kill and the failure raced: the kill is under way (the flag is set just after).
                    uncertain[name] = data;
                    return;
                }
                catch (Exception e)
                {
                    unexpected.Add($"{name} through server {server + 1}: {e.GetType().Name} {(e as RequestFailedException)?.ErrorCode} {e.Message}");
                    return;
                }

                if (killed.Task.IsCompleted && ++afterKill >= WritesPerSurvivorAfterKill)
                {
                    return;
                }
            }
        }

        var writers = Enumerable.Range(0, Servers * WritersPerServer).Select(w => Task.Run(() => WriteAsync(w % Servers, w / Servers))).ToList();
        await MultiServerDeployment.EventuallyAsync($"{AcknowledgedBeforeKill} writes acknowledged", TimeSpan.FromSeconds(60), () =>
            Task.FromResult((acknowledged.Count >= AcknowledgedBeforeKill || writers.All(w => w.IsCompleted), acknowledged.Count)));
        acknowledgedAtKill = acknowledged.Count;
        await deployment.KillAsync(victim);
        var sinceKill = Stopwatch.StartNew();
        killed.SetResult();
        await Task.WhenAll(writers);
        Assert.True(unexpected.IsEmpty, "writes through the survivors failed:\n" + string.Join('\n', unexpected));
        Assert.True(acknowledgedAtKill >= AcknowledgedBeforeKill, $"{acknowledgedAtKill} writes acknowledged before the kill");
        Assert.True(acknowledged.Keys.Count(name => name.StartsWith($"s{victim + 1}-", StringComparison.Ordinal)) > 0, "the killed server had acknowledged writes");

        // Every acknowledged write reads back whole through each survivor.
        await Task.WhenAll(acknowledged.Select(pair => Task.Run(async () =>
        {
            foreach (var survivor in survivors)
            {
                var content = (await containers[survivor].GetBlobClient(pair.Key).DownloadContentAsync()).Value.Content;
                AzureAssert.BytesEqual(pair.Value, content.ToMemory(), $"acknowledged {pair.Key} through server {survivor + 1}");
            }
        })));

        // A write cut off by the kill is there whole or not at all.
        var present = 0;
        foreach (var (name, data) in uncertain)
        {
            try
            {
                var content = (await containers[survivors[0]].GetBlobClient(name).DownloadContentAsync()).Value.Content;
                AzureAssert.BytesEqual(data, content.ToMemory(), $"{name}, cut off by the kill but visible");
                present++;
            }
            catch (RequestFailedException e) when (e.Status == 404 && e.ErrorCode == "BlobNotFound")
            {
            }
        }

        // Nothing else is listed: every blob is one that a writer sent.
        var listed = new List<string>();
        await foreach (var item in containers[survivors[1]].GetBlobsAsync())
        {
            listed.Add(item.Name);
            var sent = acknowledged.TryGetValue(item.Name, out var data) || uncertain.TryGetValue(item.Name, out data);
            Assert.True(sent, $"{item.Name} is listed but nobody wrote it");
            Assert.Equal(data!.Length, item.Properties.ContentLength);
        }

        Assert.Equal(acknowledged.Count + present, listed.Count);

        // The victim's jobs move to a survivor once its leases lapse; it is no longer a live instance.
        var after = await MultiServerDeployment.EventuallyAsync($"the jobs of the killed server {victim + 1} ({string.Join(", ", victimJobs)}) held by a survivor", HandoverBound, async () =>
        {
            var status = await DeploymentStatus.ReadAsync(deployment.Database.ConnectionString);
            var done = status.OfProcess(processes[victim]) is { } dead && !dead.IsAliveAt(status.ReadOn)
                && victimJobs.All(job => !status.HeldBy(job, victimInstance))
                && victimJobs.Intersect(FrequentJobs).All(status.HeldByLive);
            return (done, status);
        });
        foreach (var job in victimJobs.Intersect(FrequentJobs))
        {
            Assert.True(after.Job(job)!.Fence > before.Job(job)!.Fence, $"{job} changed hands, so its fence grew: {before.Job(job)} then {after.Job(job)}");
        }

        output.WriteLine(
            $"server {victim + 1} killed after {acknowledgedAtKill} acknowledged writes; {acknowledged.Count} acknowledged in all, every one read back through servers {survivors[0] + 1} and {survivors[1] + 1}; " +
            $"{uncertain.Count} cut off ({present} committed whole, {uncertain.Count - present} absent); its jobs ({string.Join(", ", victimJobs)}) held by a survivor {sinceKill.Elapsed.TotalSeconds:F1} s after the kill (lease {Limits.JobLeaseDuration.TotalSeconds} s). Before: {before} After: {after}");

        // `strongroom status` through a survivor no longer counts the killed server as alive.
        var shown = await StatusJsonAsync(deployment[survivors[0]]);
        Assert.Contains(shown.GetProperty("instances").EnumerateArray(), instance => instance.GetProperty("pid").GetInt32() == processes[victim] && instance.GetProperty("state").GetString() == "stale");
        Assert.DoesNotContain(shown.GetProperty("jobs").EnumerateArray(), job => job.GetProperty("holder").ValueKind == JsonValueKind.String && job.GetProperty("holder").GetString() == victimInstance);

        // The work itself goes on: the copies owed by the writes are made by a survivor.
        await WaitForNoOwedCopiesAsync(deployment[survivors[1]]);

        // The killed server comes back (its vault unseals itself from the database) and serves every acknowledged write.
        await deployment.StartAsync(victim);
        var restarted = deployment.Service(victim).GetBlobContainerClient(containerName);
        foreach (var (name, data) in acknowledged.OrderBy(pair => pair.Key, StringComparer.Ordinal).Take(12))
        {
            AzureAssert.BytesEqual(data, (await restarted.GetBlobClient(name).DownloadContentAsync()).Value.Content.ToMemory(), $"{name} through the restarted server");
        }
    }

    /// <summary>Copies of a GRS object made in the background: three in the secondary region (docs/datacenters.md).</summary>
    const int GeoCopies = 3;

    /// <summary>Gives the container GRS (the development account's secondary region is cn-north), so its writes owe copies to the repair worker.</summary>
    static async Task GeoRedundantAsync(StrongroomProcess server, string container)
    {
        var result = await server.RunCliAsync("container", "redundancy", StrongroomProcess.DevAccountName, container, "GRS");
        Assert.True(result.ExitCode == 0, result.ToString());
    }

    /// <summary>The <c>deployment</c> object of <c>strongroom status --json</c> on <paramref name="server"/>'s data directory.</summary>
    static async Task<JsonElement> StatusJsonAsync(StrongroomProcess server)
    {
        var result = await server.RunCliAsync("status", "--json");
        Assert.True(result.ExitCode == 0, result.ToString());
        using var json = JsonDocument.Parse(result.StandardOutput);
        Assert.True(json.RootElement.TryGetProperty("deployment", out var deployment), $"status --json has no deployment object.\n{result}");
        return deployment.Clone();
    }

    /// <summary>Polls <c>site list --json</c> until no copy is owed (Pending) or bad.</summary>
    static Task<string> WaitForNoOwedCopiesAsync(StrongroomProcess server) =>
        MultiServerDeployment.EventuallyAsync("no pending or bad copy left", ReplicationBound, async () =>
        {
            var result = await server.RunCliAsync("site", "list", "--json");
            Assert.True(result.ExitCode == 0, result.ToString());
            using var json = JsonDocument.Parse(result.StandardOutput);
            var repair = json.RootElement.GetProperty("repair");
            var pending = repair.GetProperty("pendingCopies").GetInt64();
            var bad = repair.GetProperty("badCopies").GetInt64();
            return (pending == 0 && bad == 0, $"pending {pending}, bad {bad}");
        });

    /// <summary>The account's entries with <paramref name="action"/>, as <c>strongroom audit export</c> prints them.</summary>
    static async Task<List<JsonElement>> AccountEntriesAsync(StrongroomProcess server, string action)
    {
        var export = await server.RunCliAsync("audit", "export", "--account", StrongroomProcess.DevAccountName);
        Assert.True(export.ExitCode == 0, export.ToString());
        var entries = new List<JsonElement>();
        foreach (var line in export.StandardOutput.Split('\n', StringSplitOptions.RemoveEmptyEntries))
        {
            using var document = JsonDocument.Parse(line);
            var entry = document.RootElement.GetProperty("entry");
            if (entry.GetProperty("action").GetString() == action)
            {
                entries.Add(entry.Clone());
            }
        }

        return entries;
    }
}

