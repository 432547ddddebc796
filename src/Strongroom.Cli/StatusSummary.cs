using System.Globalization;
using System.Text;
using System.Text.Json;
using Strongroom.Core;
using Strongroom.Server;
using Strongroom.Vault;

namespace Strongroom.Cli;

/// <summary>Accounts by state, for the summary's count.</summary>
public sealed record AccountCounts(int Enabled, int Disabled, int Closed, int Destroyed)
{
    public int Total => Enabled + Disabled + Closed + Destroyed;

    public static AccountCounts Of(IEnumerable<AccountRecord> accounts)
    {
        ArgumentNullException.ThrowIfNull(accounts);
        var list = accounts.ToList();
        return new(
            list.Count(account => account.State == AccountState.Enabled),
            list.Count(account => account.State == AccountState.Disabled),
            list.Count(account => account.State == AccountState.Closed),
            list.Count(account => account.State == AccountState.Destroyed));
    }
}

/// <summary>
/// Everything <c>strongroom status</c> shows, read once: the vault's seal, the data directory and
/// metadata database (by description), the servers and job leases
/// (<see cref="DeploymentStatusReport"/>), the operations snapshot (<see cref="OperationsSnapshot"/>:
/// sites, backlogs, lag, pending requests — the numbers /metrics exports), the accounts by state and,
/// with a server running here, the readiness check of the accounts' write quorums.
/// <see cref="Operations"/> is null when the directory is not initialised.
/// </summary>
public sealed record StatusFacts(
    string DataDirectory,
    string MetadataDescription,
    bool SharedMetadata,
    SealStatus Seal,
    bool ServerRunning,
    bool Development,
    DeploymentStatusReport? Deployment,
    OperationsSnapshot? Operations,
    AccountCounts? Accounts,
    HealthCheck? WriteQuorums);

/// <summary>
/// The one-screen summary of <c>strongroom status</c> (issue 10): at most 80 columns, about 24 lines
/// for a small deployment (one server, a handful of sites), ending with the problems line; and the
/// same facts as JSON members for <c>--json</c>. Pure: rendering only, no I/O.
/// </summary>
public static class StatusSummary
{
    /// <summary>The terminal width the text layout keeps to.</summary>
    public const int Columns = 80;

    private const int LabelWidth = 16;

    /// <summary>
    /// What needs an operator's attention, most urgent first; empty when nothing does. Site health
    /// counts only with a server running here (offline, no process has a view of the sites).
    /// </summary>
    public static IReadOnlyList<string> Problems(StatusFacts facts)
    {
        ArgumentNullException.ThrowIfNull(facts);
        var problems = new List<string>();
        if (!facts.Seal.Initialized)
        {
            problems.Add("not initialised");
            return problems;
        }

        if (facts.Seal.Sealed && facts.ServerRunning)
        {
            problems.Add($"vault sealed ({facts.Seal.Progress}/{facts.Seal.Threshold} shares submitted)");
        }

        if (facts.Deployment is { } deployment)
        {
            var now = deployment.Now;
            var alive = deployment.Instances.Count(instance => instance.IsAliveAt(now));
            var stale = deployment.Instances.Count(instance => instance.StoppedOn is null && !instance.IsAliveAt(now));
            if (alive == 0)
            {
                problems.Add("no server running");
            }

            if (stale > 0)
            {
                problems.Add($"{Count(stale, "server")} stale (no heartbeat)");
            }
        }

        if (facts.Operations is { } operations)
        {
            if (facts.ServerRunning)
            {
                var down = operations.Sites.Where(site => site.State != SiteState.Removed && !site.IsUp).Select(site => site.Id).ToList();
                if (down.Count > 0)
                {
                    problems.Add($"{(down.Count == 1 ? "site" : "sites")} {string.Join(", ", down)} down");
                }
            }

            if (facts.WriteQuorums is { Ok: false } quorums)
            {
                var named = string.Join(", ", quorums.Accounts.Select(account => account.Account));
                problems.Add($"{Count(quorums.AccountsFailing, "account")} cannot write ({named}{(quorums.AccountsFailing > quorums.Accounts.Count ? ", …" : string.Empty)})");
            }

            if (operations.Replication.Where(account => account.Lag > Limits.StatusReplicationLagWarning).MaxBy(account => account.Lag) is { } lagging)
            {
                problems.Add($"replication lag {Duration(lagging.Lag)} ({lagging.Account})");
            }

            if (operations.Repair.Bad > 0)
            {
                problems.Add($"{Count(operations.Repair.Bad, "bad copy", "bad copies")} to repair");
            }
        }

        return problems;
    }

    /// <summary>The summary as text for a terminal.</summary>
    public static void WriteText(TextWriter output, StatusFacts facts)
    {
        ArgumentNullException.ThrowIfNull(output);
        ArgumentNullException.ThrowIfNull(facts);
        var seal = facts.Seal;
        // Where things are is never cut: a path or database name is only useful whole.
        output.WriteLine("Data directory:".PadRight(LabelWidth) + facts.DataDirectory);
        output.WriteLine("Metadata:".PadRight(LabelWidth) + facts.MetadataDescription + (facts.SharedMetadata ? " (shared)" : string.Empty));
        Line(output, "Initialized:", seal.Initialized ? "yes" : "no");
        if (!seal.Initialized)
        {
            output.WriteLine($"Run `strongroom init --data {facts.DataDirectory} --shares N --threshold K` to initialise it.");
            WriteProblems(output, facts);
            return;
        }

        Line(output, "Server:", facts.ServerRunning ? "running" : "not running");
        Line(output, "Sealed:", seal.Sealed ? "yes" : "no");
        Line(output, "Shares:", $"{seal.Shares} (threshold {seal.Threshold}, generation {seal.Generation})");
        if (seal.Sealed && facts.ServerRunning)
        {
            Line(output, "Progress:", $"{seal.Progress}/{seal.Threshold}");
        }

        Line(output, "Deployment id:", seal.DeploymentId ?? "-");
        if (facts.Development)
        {
            Line(output, "Development:", "yes (its unseal share is stored beside the seal)");
        }

        facts.Deployment?.WriteSummary(output);
        if (facts.Operations is { } operations)
        {
            WriteSites(output, operations, facts.ServerRunning);
            var owed = operations.Replication.Where(account => account.PendingCopies > 0).ToList();
            var oldest = operations.Replication.MaxBy(account => account.Lag);
            Line(output, "Replication:", owed.Count == 0 || oldest is null || oldest.Lag <= TimeSpan.Zero
                ? "nothing owed"
                : $"owed in {Count(owed.Count, "account")}, oldest {Duration(oldest.Lag)} ({oldest.Account})");
            Line(output, "Repair:", $"{operations.Repair.Pending} pending, {operations.Repair.Bad} bad, {Count(operations.Repair.Tombstones, "tombstone")}");
            if (facts.Accounts is { } accounts)
            {
                var states = new[] { (accounts.Enabled, "enabled"), (accounts.Disabled, "disabled"), (accounts.Closed, "closed"), (accounts.Destroyed, "destroyed") }
                    .Where(state => state.Item1 > 0)
                    .Select(state => $"{state.Item1} {state.Item2}");
                Line(output, "Accounts:", accounts.Total == 0 ? "none" : $"{accounts.Total} ({string.Join(", ", states)})");
            }

            Line(output, "Requests:", $"{Count(operations.LockboxPendingRequests, "lockbox request")}, {Count(operations.TransferPendingRequests, "transfer")} awaiting approval");
        }

        WriteProblems(output, facts);
    }

    /// <summary>The members <c>operations</c>, <c>accounts</c>, <c>write_quorums</c> and <c>problems</c> of <c>strongroom status --json</c>.</summary>
    public static void WriteJsonMembers(Utf8JsonWriter json, StatusFacts facts)
    {
        ArgumentNullException.ThrowIfNull(json);
        ArgumentNullException.ThrowIfNull(facts);
        if (facts.Operations is { } operations)
        {
            json.WriteStartObject("operations");
            json.WriteString("taken_on", operations.TakenOn.UtcDateTime.ToString("O", CultureInfo.InvariantCulture));
            json.WriteStartArray("sites");
            foreach (var site in operations.Sites)
            {
                json.WriteStartObject();
                json.WriteString("id", site.Id);
                json.WriteString("region", site.Region);
                json.WriteString("zone", site.Zone);
                json.WriteString("jurisdiction", site.Jurisdiction);
                json.WriteString("state", site.State.ToString().ToLowerInvariant());
                if (facts.ServerRunning)
                {
                    json.WriteString("health", site.IsUp ? "up" : "down");
                }
                else
                {
                    json.WriteNull("health");
                }

                if (site.FreeBytes is { } free)
                {
                    json.WriteNumber("free_bytes", free);
                }

                json.WriteNumber("pending_copies", site.PendingCopies);
                json.WriteNumber("bad_copies", site.BadCopies);
                json.WriteNumber("tombstones", site.Tombstones);
                json.WriteEndObject();
            }

            json.WriteEndArray();
            json.WriteStartObject("repair");
            json.WriteNumber("pending", operations.Repair.Pending);
            json.WriteNumber("bad", operations.Repair.Bad);
            json.WriteNumber("tombstones", operations.Repair.Tombstones);
            json.WriteEndObject();
            json.WriteStartArray("replication");
            foreach (var account in operations.Replication.Where(account => account.PendingCopies > 0))
            {
                json.WriteStartObject();
                json.WriteString("account", account.Account);
                json.WriteNumber("pending_copies", account.PendingCopies);
                json.WriteNumber("lag_seconds", (long)account.Lag.TotalSeconds);
                json.WriteEndObject();
            }

            json.WriteEndArray();
            json.WriteNumber("lockbox_pending_requests", operations.LockboxPendingRequests);
            json.WriteNumber("transfer_pending_requests", operations.TransferPendingRequests);
            json.WriteEndObject();
        }

        if (facts.Accounts is { } accounts)
        {
            json.WriteStartObject("accounts");
            json.WriteNumber("total", accounts.Total);
            json.WriteNumber("enabled", accounts.Enabled);
            json.WriteNumber("disabled", accounts.Disabled);
            json.WriteNumber("closed", accounts.Closed);
            json.WriteNumber("destroyed", accounts.Destroyed);
            json.WriteEndObject();
        }

        json.WriteStartArray("problems");
        foreach (var problem in Problems(facts))
        {
            json.WriteStringValue(problem);
        }

        json.WriteEndArray();
    }

    private static void WriteSites(TextWriter output, OperationsSnapshot operations, bool serverRunning)
    {
        var sites = operations.Sites;
        var up = sites.Count(site => site.State != SiteState.Removed && site.IsUp);
        var draining = sites.Count(site => site.State == SiteState.Draining);
        var removed = sites.Count(site => site.State == SiteState.Removed);
        var health = serverRunning
            ? $"{up} up, {sites.Count - removed - up} down"
            : "health unknown: no server runs here";
        var states = draining + removed == 0 ? string.Empty : $"; {draining} draining, {removed} removed";
        Line(output, "Sites:", $"{sites.Count} ({health}{states})");
        var regionWidth = sites.Count == 0 ? 0 : sites.Max(site => site.Region.Length);
        foreach (var region in sites.GroupBy(site => site.Region, StringComparer.Ordinal))
        {
            var jurisdictions = string.Join(",", region.Select(site => site.Jurisdiction).Distinct(StringComparer.Ordinal));
            var lead = $"  {region.Key.PadRight(regionWidth)} {jurisdictions}  ";
            var cells = region.Select(site => site.State switch
            {
                SiteState.Removed => $"{site.Id} removed",
                SiteState.Draining => $"{site.Id} draining{(serverRunning && !site.IsUp ? ",DOWN" : string.Empty)}",
                _ => serverRunning ? $"{site.Id} {(site.IsUp ? "up" : "DOWN")}" : site.Id,
            });
            Wrap(output, lead, cells, "  ");
        }
    }

    private static void WriteProblems(TextWriter output, StatusFacts facts)
    {
        var problems = Problems(facts);
        Wrap(output, "Problems:".PadRight(LabelWidth), problems.Count == 0 ? ["none"] : problems, "; ");
    }

    private static void Line(TextWriter output, string label, string value) =>
        output.WriteLine(Fit(label.PadRight(LabelWidth) + value));

    /// <summary>Items after <paramref name="lead"/>, wrapped under it so no line passes <see cref="Columns"/>.</summary>
    private static void Wrap(TextWriter output, string lead, IEnumerable<string> items, string separator)
    {
        var indent = new string(' ', Math.Min(lead.Length, LabelWidth));
        var line = new StringBuilder(lead);
        var first = true;
        foreach (var item in items)
        {
            var piece = first ? item : separator + item;
            if (!first && line.Length + piece.Length > Columns)
            {
                output.WriteLine((line + separator.TrimEnd()).TrimEnd());
                line.Clear().Append(indent);
                piece = item;
            }

            line.Append(piece);
            first = false;
        }

        output.WriteLine(Fit(line.ToString()));
    }

    /// <summary>A line cut to the width (a long host or site name keeps its start); the data directory and database lines are never cut.</summary>
    private static string Fit(string line) => line.Length <= Columns ? line : line[..(Columns - 1)] + "…";

    private static string Count(long count, string noun, string? plural = null) =>
        count == 1 ? $"1 {noun}" : $"{count.ToString(CultureInfo.InvariantCulture)} {plural ?? noun + "s"}";

    /// <summary>A duration as operators read it: <c>42s</c>, <c>5m 12s</c>, <c>3h 04m</c>, <c>2d 03h</c>.</summary>
    public static string Duration(TimeSpan span) =>
        span.TotalDays >= 1 ? string.Create(CultureInfo.InvariantCulture, $"{(int)span.TotalDays}d {span.Hours:00}h")
        : span.TotalHours >= 1 ? string.Create(CultureInfo.InvariantCulture, $"{(int)span.TotalHours}h {span.Minutes:00}m")
        : span.TotalMinutes >= 1 ? string.Create(CultureInfo.InvariantCulture, $"{(int)span.TotalMinutes}m {span.Seconds:00}s")
        : string.Create(CultureInfo.InvariantCulture, $"{Math.Max(0, (int)span.TotalSeconds)}s");
}
