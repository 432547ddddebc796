using System.Diagnostics;
using Strongroom.Audit;
using Strongroom.Core;
using Strongroom.Storage;

namespace Strongroom.Bench;

/// <summary>
/// What a transparency-log append costs in the metadata store, in-process (no HTTP, no crypto):
/// <c>concurrency</c> tasks each record entries shaped like a Get Blob read entry into one
/// account's log through <see cref="IAuditStore.AppendAuditEntriesAsync"/> on a real SQLite store
/// (synchronous=FULL, group-committed), as a read under <c>all</c> does. Reports appends per
/// second, the mean latency of one append, the process CPU time per append (on a busy 2-core
/// machine the figure that decides what logging reads costs), and the mean writes per group commit.
/// </summary>
internal static class AppendBench
{
    public static async Task<int> RunAsync(int appends, int concurrency, int rounds, TextWriter output)
    {
        var directory = Directory.CreateTempSubdirectory("strongroom-append-bench-").FullName;
        try
        {
            await using var store = await SqlMetadataStore.OpenSqliteAsync(Path.Combine(directory, "metadata.db"));
            var entry = new AuditEntry
            {
                Time = DateTimeOffset.UnixEpoch,
                Actor = new Actor(ActorKind.SharedKey, "bench"),
                Action = nameof(BlobOperation.GetBlob),
                Resource = "/bench/box/blob-000123",
                Outcome = AuditOutcomes.Success,
                RequestId = "0123456789abcdef0123456789abcdef",
                ClientAddress = "127.0.0.1",
                Sites = ["local"],
            }.Encode();

            // Warm up (JIT, first pages of the tables), then the measured rounds.
            await RunRoundAsync(store, entry, Math.Max(appends / 10, concurrency), concurrency);
            output.WriteLine($"Audit appends into one log: {appends} per round from {concurrency} concurrent tasks, {rounds} rounds (entry {entry.Length} bytes)");
            output.WriteLine();
            output.WriteLine("| round | appends/s | mean µs per append | CPU µs per append | mean writes per group |");
            output.WriteLine("| ---: | ---: | ---: | ---: | ---: |");
            var rates = new double[rounds];
            var cpu = new double[rounds];
            for (var round = 0; round < rounds; round++)
            {
                var (seconds, groups, cpuSeconds) = await RunRoundAsync(store, entry, appends, concurrency);
                rates[round] = appends / seconds;
                cpu[round] = cpuSeconds * 1e6 / appends;
                output.WriteLine($"| {round + 1} | {rates[round]:F0} | {seconds * 1e6 * concurrency / appends:F0} | {cpu[round]:F1} | {(double)appends / groups:F1} |");
            }

            Array.Sort(rates);
            Array.Sort(cpu);
            output.WriteLine();
            output.WriteLine($"Median: {rates[rounds / 2]:F0} appends/s, {cpu[rounds / 2]:F1} CPU µs per append (process CPU time, all threads)");
            return 0;
        }
        finally
        {
            Directory.Delete(directory, recursive: true);
        }
    }

    private static async Task<(double Seconds, long Groups, double CpuSeconds)> RunRoundAsync(SqlMetadataStore store, byte[] entry, int appends, int concurrency)
    {
        var remaining = appends;
        var groupsBefore = store.WriteGroupsCommitted;
        var process = Process.GetCurrentProcess();
        var cpuBefore = process.TotalProcessorTime;
        var clock = Stopwatch.StartNew();
        var workers = Enumerable.Range(0, concurrency).Select(_ => Task.Run(async () =>
        {
            while (Interlocked.Decrement(ref remaining) >= 0)
            {
                await store.AppendAuditEntriesAsync([new AuditAppend("bench", DateTimeOffset.UnixEpoch, entry)]);
            }
        }));
        await Task.WhenAll(workers);
        var seconds = clock.Elapsed.TotalSeconds;
        process.Refresh();
        return (seconds, store.WriteGroupsCommitted - groupsBefore, (process.TotalProcessorTime - cpuBefore).TotalSeconds);
    }
}
