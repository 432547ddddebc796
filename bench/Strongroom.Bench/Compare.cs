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
    /// Targets from issue 2: every row ≥ 1.0; 4 KiB put at concurrency 16 and every 64 MiB put ≥ 2.0.
    /// </summary>
    public static double TargetRatio(CellResult cell) =>
        cell.Op == "put" && ((cell.SizeBytes == 4 * Units.KiB && cell.Concurrency == 16) || cell.SizeBytes == 64 * Units.MiB)
            ? 2.0
            : 1.0;

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
            .OrderBy(k => k.Op == "put" ? 0 : 1).ThenBy(k => k.SizeBytes).ThenBy(k => k.Concurrency);
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
                result = "MISS (missing)";
                misses++;
            }
            else
            {
                var ratio = left.OpsPerSecond / right.OpsPerSecond;
                ratioText = ratio.ToString("F2", CultureInfo.InvariantCulture);
                if (ratio < target && Math.Round(ratio, 2) >= target)
                {
                    // Do not print "1.00 MISS": show the digit that decides it.
                    ratioText = ratio.ToString("F3", CultureInfo.InvariantCulture);
                }
                var flagged = left.Flagged || right.Flagged;
                var pass = ratio >= target && !left.Flagged;
                result = (pass ? "PASS" : "MISS") + (flagged ? " (errors)" : "");
                if (!pass)
                {
                    misses++;
                }
            }
            table.AppendLine(CultureInfo.InvariantCulture,
                $"| {key.Op} | {Units.FormatSize(key.SizeBytes)} | {key.Concurrency} | {Side(left)} | {Side(right)} | {ratioText} | ≥{target:F1} | {result} |");
        }
        output.Write(table.ToString());
        output.WriteLine();
        output.WriteLine($"MiB = 2^20 bytes. Latencies are per SDK call (request + full response body). " +
                         $"{c}: {candidate.Endpoint}  {b}: {baseline.Endpoint}  machine: {candidate.Machine.ProcessorCount} cores, {candidate.Machine.Os}");
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
        foreach (var cell in report.Cells.OrderBy(x => x.Op == "put" ? 0 : 1).ThenBy(x => x.SizeBytes).ThenBy(x => x.Concurrency))
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
}
