using System.Globalization;
using System.Text;

namespace Strongroom.Bench;

/// <summary>
/// Joins two reports cell by cell into the markdown table the issue asks for: both sides' numbers,
/// the ratio of ops/s (candidate ÷ baseline) and the target for the row.
/// </summary>
public static class Compare
{
    /// <summary>
    /// Targets from issue 2: every row ≥ 1.0; 4 KiB Put Blob at concurrency 16 and every 64 MiB Put
    /// Blob ≥ 2.0 (<c>put</c>, and <c>create</c>: the same Put Blob of a new name). Page writes
    /// (issue 8) have no target: null, shown as "–" and never a miss.
    /// </summary>
    public static double? TargetRatio(CellResult cell) =>
        cell.Op == "page"
            ? null
            : cell.Op is "put" or "create" && ((cell.SizeBytes == 4 * Units.KiB && cell.Concurrency == 16) || cell.SizeBytes == 64 * Units.MiB)
                ? 2.0
                : 1.0;

    /// <summary>Row order: the writes first (put, create, overwrite, page), then get, then delete; unknown ops last.</summary>
    private static int OpRank(string op) => op switch
    {
        "put" => 0,
        "create" => 1,
        "overwrite" => 2,
        "page" => 3,
        "get" => 4,
        "delete" => 5,
        _ => 6,
    };

    /// <summary>Returns the number of rows that missed their target (or could not be compared).</summary>
    public static int Run(string candidatePath, string baselinePath, TextWriter output)
    {
        var candidate = BenchReport.Load(candidatePath);
        var baseline = BenchReport.Load(baselinePath);
        var c = candidate.Label;
        var b = baseline.Label;
        var table = new StringBuilder();
        table.AppendLine(CultureInfo.InvariantCulture,
            $"| op | size | conc | {c} ops/s | {c} MiB/s | {c} p50 ms | {c} p99 ms | {b} ops/s | {b} MiB/s | {b} p50 ms | {b} p99 ms | ratio {c}/{b} | target | result |");
        table.AppendLine("|---|---|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|---|");

        var misses = 0;
        var order = candidate.Cells.Concat(baseline.Cells)
            .Select(cell => (cell.Op, cell.SizeBytes, cell.Concurrency))
            .Distinct()
            .OrderBy(k => OpRank(k.Op)).ThenBy(k => k.Op, StringComparer.Ordinal).ThenBy(k => k.SizeBytes).ThenBy(k => k.Concurrency);
        foreach (var key in order)
        {
            var left = candidate.Cells.FirstOrDefault(x => (x.Op, x.SizeBytes, x.Concurrency) == key);
            var right = baseline.Cells.FirstOrDefault(x => (x.Op, x.SizeBytes, x.Concurrency) == key);
            var any = left ?? right!;
            var target = TargetRatio(any);
            string ratioText;
            string result;
            if (left is null || right is null || right.OpsPerSecond <= 0)
            {
                ratioText = "n/a";
                result = target is null ? "– (missing)" : "MISS (missing)";
                if (target is not null)
                {
                    misses++;
                }
            }
            else if (target is null)
            {
                ratioText = (left.OpsPerSecond / right.OpsPerSecond).ToString("F2", CultureInfo.InvariantCulture);
                result = left.Flagged || right.Flagged ? "– (errors)" : "–";
            }
            else
            {
                var ratio = left.OpsPerSecond / right.OpsPerSecond;
                var goal = target.Value;
                ratioText = ratio.ToString("F2", CultureInfo.InvariantCulture);
                if (ratio < goal && Math.Round(ratio, 2) >= goal)
                {
                    // Do not print "1.00 MISS": show the digit that decides it.
                    ratioText = ratio.ToString("F3", CultureInfo.InvariantCulture);
                }
                var flagged = left.Flagged || right.Flagged;
                var pass = ratio >= goal && !left.Flagged;
                result = (pass ? "PASS" : "MISS") + (flagged ? " (errors)" : "");
                if (!pass)
                {
                    misses++;
                }
            }
            table.AppendLine(CultureInfo.InvariantCulture,
                $"| {key.Op} | {Units.FormatSize(key.SizeBytes)} | {key.Concurrency} | {Side(left)} | {Side(right)} | {ratioText} | {(target is null ? "–" : $"≥{target:F1}")} | {result} |");
        }
        output.Write(table.ToString());
        output.WriteLine();
        output.WriteLine($"MiB = 2^20 bytes. Latencies are per SDK call (request + full response body). " +
                         $"{c}: {candidate.Endpoint}  {b}: {baseline.Endpoint}  machine: {candidate.Machine.ProcessorCount} cores, {candidate.Machine.Os}");
        WritePageCost(output, candidate, baseline);
        foreach (var (label, report) in new[] { (c, candidate), (b, baseline) })
        {
            foreach (var cell in report.Cells.Where(x => x.Flagged))
            {
                output.WriteLine($"{label} {cell.Op} {cell.Size} c{cell.Concurrency}: {cell.Errors} errors, {cell.Operations} measured ops; " +
                                 string.Join("; ", cell.ErrorSamples));
            }
        }
        return misses;
    }

    /// <summary>The same table for one report alone (no ratio): used when only one server was run.</summary>
    public static void Single(string path, TextWriter output)
    {
        var report = BenchReport.Load(path);
        var l = report.Label;
        output.WriteLine($"| op | size | conc | {l} ops/s | {l} MiB/s | {l} p50 ms | {l} p99 ms | errors |");
        output.WriteLine("|---|---|--:|--:|--:|--:|--:|--:|");
        foreach (var cell in report.Cells.OrderBy(x => OpRank(x.Op)).ThenBy(x => x.Op, StringComparer.Ordinal).ThenBy(x => x.SizeBytes).ThenBy(x => x.Concurrency))
        {
            output.WriteLine($"| {cell.Op} | {cell.Size} | {cell.Concurrency} | {Side(cell)} | {cell.Errors} |");
        }
        output.WriteLine();
        output.WriteLine($"MiB = 2^20 bytes. {l}: {report.Endpoint}  machine: {report.Machine.ProcessorCount} cores, {report.Machine.Os}");
    }

    private static string Side(CellResult? cell) =>
        cell is null
            ? "– | – | – | –"
            : string.Create(CultureInfo.InvariantCulture,
                $"{cell.OpsPerSecond:F1}{(cell.Flagged ? "⚠" : "")} | {cell.MiBPerSecond:F1} | {cell.LatencyMs.P50:F2} | {cell.LatencyMs.P99:F2}");

    /// <summary>
    /// When both reports hold page cells and put cells of the same size and concurrency (bench/pages.sh),
    /// a second table: each server's Put Page ops/s ÷ its own Put Blob ops/s, i.e. what a small page
    /// write costs against rewriting a small blob on the same server (both sides pay the same client cost).
    /// </summary>
    private static void WritePageCost(TextWriter output, BenchReport candidate, BenchReport baseline)
    {
        var rows = candidate.Cells.Concat(baseline.Cells)
            .Where(x => x.Op == "page")
            .Select(x => (x.SizeBytes, x.Concurrency))
            .Distinct()
            .Where(k => candidate.Cells.Concat(baseline.Cells).Any(x => x.Op == "put" && (x.SizeBytes, x.Concurrency) == k))
            .OrderBy(k => k.SizeBytes).ThenBy(k => k.Concurrency)
            .ToList();
        if (rows.Count == 0)
        {
            return;
        }
        output.WriteLine();
        output.WriteLine($"| size | conc | {candidate.Label} page/put | {baseline.Label} page/put |");
        output.WriteLine("|---|--:|--:|--:|");
        foreach (var (sizeBytes, concurrency) in rows)
        {
            output.WriteLine($"| {Units.FormatSize(sizeBytes)} | {concurrency} | {PagePerPut(candidate, sizeBytes, concurrency)} | {PagePerPut(baseline, sizeBytes, concurrency)} |");
        }
        output.WriteLine();
        output.WriteLine("page/put: Put Page ops/s ÷ Put Blob (overwrite) ops/s of the same size and concurrency on the same server.");
    }

    private static string PagePerPut(BenchReport report, long sizeBytes, int concurrency)
    {
        var page = report.Cells.FirstOrDefault(x => x.Op == "page" && x.SizeBytes == sizeBytes && x.Concurrency == concurrency);
        var put = report.Cells.FirstOrDefault(x => x.Op == "put" && x.SizeBytes == sizeBytes && x.Concurrency == concurrency);
        return page is null || put is null || put.OpsPerSecond <= 0
            ? "n/a"
            : (page.OpsPerSecond / put.OpsPerSecond).ToString("F2", CultureInfo.InvariantCulture) + (page.Flagged || put.Flagged ? "⚠" : "");
    }
}
