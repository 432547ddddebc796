using System.Globalization;
using Microsoft.AspNetCore.Http;
using Strongroom.Access;
using Strongroom.Audit;
using Strongroom.Core;
using Strongroom.Protocol.Management;
using Strongroom.WebConsole.Pages;

namespace Strongroom.WebConsole;

/// <summary>
/// The operator pages. Who sees what is the JSON API's rule for the same facts
/// (<see cref="ManagementProtocolHandler.RequireOperator"/>, the services' own checks):
/// <list type="bullet">
/// <item>overview, sites, charts, seal: any operator (no customer data; <c>GET v1/sites</c> and the seal status);</item>
/// <item>replication backlogs per account (account names): system and audit admins, as <c>GET v1/accounts</c>;</item>
/// <item>the lockbox queue: as <see cref="LockboxService.ListAsync"/> decides (security and audit admins see all, others their own);</item>
/// <item>the platform log: audit and security admins, as <c>GET v1/log/platform/entries</c>.</item>
/// </list>
/// </summary>
public sealed partial class ConsoleHandler
{
    private static readonly OperatorRole[] AccountReaders = [OperatorRole.SystemAdmin, OperatorRole.AuditAdmin];
    private static readonly OperatorRole[] PlatformLogReaders = [OperatorRole.AuditAdmin, OperatorRole.SecurityAdmin];

    /// <summary>Entries per page of the platform log.</summary>
    internal const int PlatformLogPageEntries = 50;

    /// <summary>The operator's navigation, in order (items a role may not open are not shown to it).</summary>
    internal static readonly IReadOnlyList<NavItem> OperatorNavigation =
    [
        new("Overview", PathPrefix + "/"),
        new("Sites", PathPrefix + "/sites"),
        new("Backlogs", PathPrefix + "/backlogs", AccountReaders),
        new("Charts", PathPrefix + "/charts"),
        new("Seal", PathPrefix + "/seal"),
        new("Lockbox", PathPrefix + "/lockbox"),
        new("Platform log", PathPrefix + "/platform-log", PlatformLogReaders),
    ];

    private IEnumerable<ConsoleRoute> OperatorRoutes() =>
    [
        new(HttpMethods.Get, "overview", OverviewAsync, ConsoleAudience.Operator),
        new(HttpMethods.Get, "sites", SitesPageAsync, ConsoleAudience.Operator),
        new(HttpMethods.Get, "backlogs", BacklogsPageAsync, ConsoleAudience.Operator),
        new(HttpMethods.Get, "charts", ChartsPageAsync, ConsoleAudience.Operator),
        new(HttpMethods.Get, "seal", SealPageAsync, ConsoleAudience.Operator, WhileSealed: true),
        new(HttpMethods.Get, "lockbox", LockboxPageAsync, ConsoleAudience.Operator),
        new(HttpMethods.Post, "lockbox", LockboxRequestAsync, ConsoleAudience.Operator),
        LockboxAction("approve", "lockbox-approved", (call, id) => call.Services.Lockbox.ApproveAsync(call.Principal, id, call.Aborted)),
        LockboxAction("deny", "lockbox-denied", (call, id) => call.Services.Lockbox.DenyAsync(call.Principal, id, NullIfEmpty(call.Field("reason")), call.Aborted)),
        LockboxAction("activate", "lockbox-activated", (call, id) => call.Services.Lockbox.ActivateAsync(call.Principal, id, call.Aborted)),
        LockboxAction("end", "lockbox-ended", (call, id) => call.Services.Lockbox.EndAsync(call.Principal, id, call.Aborted)),
        LockboxAction("revoke", "lockbox-revoked", (call, id) => call.Services.Lockbox.RevokeAsync(call.Principal, id, call.Aborted)),
        new(HttpMethods.Get, "platform-log", PlatformLogPageAsync, ConsoleAudience.Operator),
    ];

    private async Task<OperationsSnapshot?> ReadOperationsAsync(CancellationToken cancellationToken) =>
        Options.ReadOperations is { } read ? await read(cancellationToken).ConfigureAwait(false) : null;

    private async Task OverviewAsync(ConsoleCall call)
    {
        var operations = await ReadOperationsAsync(call.Aborted).ConfigureAwait(false);
        await call.PageAsync<OverviewPage>(new Dictionary<string, object?>(StringComparer.Ordinal)
        {
            ["Seal"] = Services.SealStatus(),
            ["Operations"] = operations,
        }).ConfigureAwait(false);
    }

    private async Task SitesPageAsync(ConsoleCall call)
    {
        ManagementProtocolHandler.RequireOperator(call.Principal, "list sites", OperatorRole.SystemAdmin, OperatorRole.SecurityAdmin, OperatorRole.AuditAdmin);
        var operations = await ReadOperationsAsync(call.Aborted).ConfigureAwait(false);
        await call.PageAsync<SitesPage>(new Dictionary<string, object?>(StringComparer.Ordinal) { ["Operations"] = operations }).ConfigureAwait(false);
    }

    private async Task BacklogsPageAsync(ConsoleCall call)
    {
        ManagementProtocolHandler.RequireOperator(call.Principal, "see accounts' replication backlogs", AccountReaders);
        var operations = await ReadOperationsAsync(call.Aborted).ConfigureAwait(false);
        await call.PageAsync<BacklogsPage>(new Dictionary<string, object?>(StringComparer.Ordinal) { ["Operations"] = operations }).ConfigureAwait(false);
    }

    private Task ChartsPageAsync(ConsoleCall call) =>
        call.PageAsync<ChartsPage>(new Dictionary<string, object?>(StringComparer.Ordinal)
        {
            ["Samples"] = History.Samples(),
            ["Interval"] = History.Interval,
            ["Capacity"] = History.Capacity,
        });

    private Task SealPageAsync(ConsoleCall call) =>
        call.PageAsync<SealPage>(new Dictionary<string, object?>(StringComparer.Ordinal) { ["Seal"] = Services.SealStatus() });

    private async Task LockboxPageAsync(ConsoleCall call)
    {
        var requests = await Services.Lockbox.ListAsync(call.Principal, null, null, call.Aborted).ConfigureAwait(false);
        await call.PageAsync<LockboxPage>(new Dictionary<string, object?>(StringComparer.Ordinal) { ["Requests"] = requests }).ConfigureAwait(false);
    }

    /// <summary>An operator files a lockbox request (the form's fields as the API's body).</summary>
    private async Task LockboxRequestAsync(ConsoleCall call)
    {
        if (!AccessNames.TryParseAccess(call.Field("access"), out var access))
        {
            throw new StorageException(ErrorCode.InvalidAccessRequest, "Access is metadata or read-data.");
        }

        if (!int.TryParse(call.Field("durationMinutes"), NumberStyles.None, CultureInfo.InvariantCulture, out var minutes)
            || minutes <= 0 || minutes > Limits.GrantDurationMax.TotalMinutes)
        {
            throw new StorageException(ErrorCode.InvalidAccessRequest, $"The duration is a whole number of minutes from 1 to {Limits.GrantDurationMax.TotalMinutes:0}.");
        }

        var spec = new LockboxRequestSpec(
            call.Field("account")?.Trim() ?? string.Empty,
            call.Field("container")?.Trim() ?? string.Empty,
            NullIfEmpty(call.Field("prefix")),
            access,
            TimeSpan.FromMinutes(minutes),
            call.Field("justification")?.Trim() ?? string.Empty);
        await Services.Lockbox.RequestAsync(call.Principal, spec, call.Aborted).ConfigureAwait(false);
        call.SeeOther(PathPrefix + "/lockbox", "lockbox-requested");
    }

    private static ConsoleRoute LockboxAction(string verb, string notice, Func<ConsoleCall, string, Task<LockboxRequestRecord>> transition) =>
        new(HttpMethods.Post, $"lockbox/{{id}}/{verb}", async call =>
        {
            await transition(call, call.Value("id")).ConfigureAwait(false);
            call.SeeOther(PathPrefix + "/lockbox", notice);
        }, ConsoleAudience.Operator);

    private async Task PlatformLogPageAsync(ConsoleCall call)
    {
        ManagementProtocolHandler.RequireOperator(call.Principal, "read the platform log", PlatformLogReaders);
        var audit = Services.Audit ?? throw new InvalidOperationException("the console was composed without the transparency log");
        var head = await audit.GetTreeHeadAsync(AuditLogs.Platform, call.Aborted).ConfigureAwait(false);

        // Newest first: a page ends before ?before=N (default: the log's size) and holds up to 50 entries.
        var end = long.TryParse(call.Query("before"), NumberStyles.None, CultureInfo.InvariantCulture, out var before) && before >= 0 && before < head.Size ? before : head.Size;
        var start = Math.Max(0, end - PlatformLogPageEntries);
        var entries = end == start ? [] : await audit.ReadEntriesAsync(AuditLogs.Platform, start, end, call.Aborted).ConfigureAwait(false);
        var rows = entries.OrderByDescending(entry => entry.Index).Select(LogRow.From).ToList();
        await call.PageAsync<PlatformLogPage>(new Dictionary<string, object?>(StringComparer.Ordinal)
        {
            ["Rows"] = rows,
            ["Size"] = head.Size,
            ["Start"] = start,
            ["End"] = end,
        }).ConfigureAwait(false);
    }

    private static string? NullIfEmpty(string? value) => string.IsNullOrWhiteSpace(value) ? null : value.Trim();
}

/// <summary>One entry of a log as text for a page: never anything the entry does not carry (entries hold no secret by construction).</summary>
public sealed record LogRow(long Index, DateTimeOffset Time, string Actor, string Action, string Resource, string Outcome, string Details)
{
    public static LogRow From(StoredAuditEntry stored)
    {
        ArgumentNullException.ThrowIfNull(stored);
        if (stored.Body is not { } body)
        {
            return new LogRow(stored.Index, stored.Time, "", "(entry body pruned)", "", "", "");
        }

        var entry = AuditEntry.Decode(body);
        var details = new List<string>();
        if (entry.Sites.Count > 0)
        {
            details.Add("sites=" + string.Join(',', entry.Sites));
        }

        if (entry.Justification is { } justification)
        {
            details.Add("justification=" + justification);
        }

        details.AddRange(entry.Details.Select(detail => $"{detail.Key}={detail.Value}"));
        if (entry.ClientAddress is { } client)
        {
            details.Add("client=" + client);
        }

        return new LogRow(stored.Index, entry.Time, entry.Actor.Id, entry.Action, entry.Resource, entry.Outcome, string.Join("; ", details));
    }
}
