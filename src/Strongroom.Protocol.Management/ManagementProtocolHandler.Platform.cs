using System.Globalization;
using System.Net;
using System.Text.Json;
using Microsoft.AspNetCore.Http;
using Strongroom.Access;
using Strongroom.Audit;
using Strongroom.Core;
using Strongroom.Placement;

namespace Strongroom.Protocol.Management;

/// <summary>
/// The platform routes: the seal (status and unseal, anonymous and answering while sealed, as the
/// data plane's <c>/.strongroom/sys/*</c>), accounts and sites, the transparency logs and an
/// account's locations. Who may read what (separation of duties, MLPS 2.0 8.1.4.2 c):
/// <list type="bullet">
/// <item>the platform log: audit and security admins;</item>
/// <item>an account's log: that account's tenant administrators and audit admins;</item>
/// <item>an account's locations and placement report (customer metadata): that account's tenant
/// administrators and audit admins — never the system admin who runs the sites;</item>
/// <item>accounts: system and audit admins; sites: any operator (no customer data; a security
/// admin judging a transfer needs the destination's jurisdiction).</item>
/// </list>
/// Authorisation is decided before existence, so a refusal says nothing about whether an account
/// exists. Logs are read through <see cref="TransparencyLog"/> only.
/// </summary>
public sealed partial class ManagementProtocolHandler
{
    private IEnumerable<Route> PlatformRoutes() =>
    [
        new(HttpMethods.Get, "sys/seal-status", SealStatusAsync, Anonymous: true, WhileSealed: true),
        new(HttpMethods.Put, "sys/unseal", UnsealAsync, Anonymous: true, WhileSealed: true),
        new(HttpMethods.Get, "accounts", AccountsAsync),
        new(HttpMethods.Get, "sites", SitesAsync),

        new(HttpMethods.Get, "log/platform/checkpoint", call => CheckpointAsync(call, PlatformLog(call))),
        new(HttpMethods.Get, "log/platform/key", call => KeyAsync(call, PlatformLog(call))),
        new(HttpMethods.Get, "log/platform/entries", call => EntriesAsync(call, PlatformLog(call))),
        new(HttpMethods.Get, "log/platform/proof/inclusion", call => InclusionAsync(call, PlatformLog(call))),
        new(HttpMethods.Get, "log/platform/proof/consistency", call => ConsistencyAsync(call, PlatformLog(call))),

        new(HttpMethods.Get, "accounts/{account}/log/checkpoint", async call => await CheckpointAsync(call, await AccountLogAsync(call).ConfigureAwait(false)).ConfigureAwait(false), AfterClosure: true),
        new(HttpMethods.Get, "accounts/{account}/log/key", async call => await KeyAsync(call, await AccountLogAsync(call).ConfigureAwait(false)).ConfigureAwait(false), AfterClosure: true),
        new(HttpMethods.Get, "accounts/{account}/log/entries", async call => await EntriesAsync(call, await AccountLogAsync(call).ConfigureAwait(false)).ConfigureAwait(false), AfterClosure: true),
        new(HttpMethods.Get, "accounts/{account}/log/proof/inclusion", async call => await InclusionAsync(call, await AccountLogAsync(call).ConfigureAwait(false)).ConfigureAwait(false), AfterClosure: true),
        new(HttpMethods.Get, "accounts/{account}/log/proof/consistency", async call => await ConsistencyAsync(call, await AccountLogAsync(call).ConfigureAwait(false)).ConfigureAwait(false), AfterClosure: true),

        new(HttpMethods.Get, "accounts/{account}/locations", LocationsAsync),
        new(HttpMethods.Get, "accounts/{account}/locations/report", ReportAsync),
    ];

    private TransparencyLog AuditLog => services.Audit ?? throw new InvalidOperationException("the management plane was composed without the transparency log");

    private PlacementService Placement => services.Placement ?? throw new InvalidOperationException("the management plane was composed without placement");

    private Task SealStatusAsync(ManagementCall call) =>
        call.WriteJsonAsync(200, json => WriteSealStatus(json, services.SealStatus(), duplicateIgnored: false));

    private async Task UnsealAsync(ManagementCall call)
    {
        var context = call.Context;

        // The share is the credential (as in Vault): over plain HTTP only from this machine.
        if (!context.Request.IsHttps && context.Connection.RemoteIpAddress is { } remote && !IPAddress.IsLoopback(remote))
        {
            throw new ManagementException(403, "HttpsRequired", "Refusing an unseal share over plain HTTP from another host: it would cross the network in the clear.");
        }

        var body = await call.ReadJsonAsync().ConfigureAwait(false);
        var reset = body.TryGetProperty("reset", out var resetElement) && resetElement.ValueKind == JsonValueKind.True;
        string? share = null;
        if (!reset)
        {
            share = body.TryGetProperty("key", out var key) && key.ValueKind == JsonValueKind.String ? key.GetString() : null;
            if (string.IsNullOrWhiteSpace(share))
            {
                throw new ManagementException(400, "InvalidUnsealRequest", "The unseal request has no share: send {\"key\":\"SHARE\"} or {\"reset\":true}.");
            }
        }

        var answer = await services.Unseal(new UnsealSubmission(share, reset, context.Connection.RemoteIpAddress?.ToString(), OperationContext.Current.RequestId ?? string.Empty), call.Aborted).ConfigureAwait(false);
        await call.WriteJsonAsync(200, json => WriteSealStatus(json, answer.Status, answer.DuplicateIgnored)).ConfigureAwait(false);
    }

    /// <summary>Vault's seal-status body, plus the deployment id and share generation: the data plane's <c>/.strongroom/sys/seal-status</c> exactly.</summary>
    internal static void WriteSealStatus(Utf8JsonWriter json, SealStatusView status, bool duplicateIgnored)
    {
        json.WriteStartObject();
        status.WriteMembers(json);
        if (duplicateIgnored)
        {
            json.WriteBoolean("duplicate_ignored", true);
        }

        json.WriteEndObject();
    }

    private async Task AccountsAsync(ManagementCall call)
    {
        var caller = call.Principal;
        RequireOperator(caller, "list accounts", OperatorRole.SystemAdmin, OperatorRole.AuditAdmin);
        var accounts = await services.ListAccounts(call.Aborted).ConfigureAwait(false);
        await call.WriteListAsync(200, "accounts", accounts.OrderBy(account => account.Name, StringComparer.Ordinal), (json, account) =>
        {
            // Names, states, creation, suite and placement: never a wrapped key.
            json.WriteStartObject();
            json.WriteString("name", account.Name);
            json.WriteString("state", account.State.ToString());
            json.WriteString("createdOn", Time(account.CreatedOn));
            json.WriteString("cipherSuite", CipherSuites.Name(account.CipherSuite));
            if (account.Placement is { } policy)
            {
                PlacementJson.WritePolicyMembers(json, policy);
            }

            json.WriteEndObject();
        }).ConfigureAwait(false);
    }

    private Task SitesAsync(ManagementCall call)
    {
        RequireOperator(call.Principal, "list sites", OperatorRole.SystemAdmin, OperatorRole.SecurityAdmin, OperatorRole.AuditAdmin);
        var sites = services.Sites ?? throw new InvalidOperationException("the management plane was composed without the sites");
        return call.WriteListAsync(200, "sites", sites.Sites, (json, site) =>
        {
            // Where it is, what it is, how it is: a backend's endpoint and credentials stay in the topology file.
            json.WriteStartObject();
            json.WriteString("id", site.Id);
            json.WriteString("region", site.Region);
            json.WriteString("zone", site.Zone);
            json.WriteString("jurisdiction", site.Jurisdiction);
            json.WriteString("backend", site.Backend == SiteBackendKind.AzureBlob ? "azure-blob" : "local");
            json.WriteString("state", site.State.ToString());
            json.WriteString("health", site.State == SiteState.Removed ? "removed" : sites.IsUp(site.Id) ? "up" : "down");
            json.WriteEndObject();
        });
    }

    /// <summary>The platform log, for audit and security admins.</summary>
    private static string PlatformLog(ManagementCall call)
    {
        RequireOperator(call.Principal, "read the platform log", OperatorRole.AuditAdmin, OperatorRole.SecurityAdmin);
        return AuditLogs.Platform;
    }

    /// <summary>An account's log, for its tenant administrators and audit admins; AccountNotFound when it has neither entries nor an account.</summary>
    private async Task<string> AccountLogAsync(ManagementCall call)
    {
        var account = RequireAccountReader(call, "read this account's log");
        var head = await AuditLog.GetTreeHeadAsync(account, call.Aborted).ConfigureAwait(false);
        if (head.Size == 0 && await services.GetAccount(account, call.Aborted).ConfigureAwait(false) is null)
        {
            throw new StorageException(ErrorCode.AccountNotFound, $"There is no account '{account}' and no log of that name.");
        }

        return account;
    }

    /// <summary>The account of the path, once the caller may read its customer metadata (its tenant administrators, audit admins).</summary>
    private static string RequireAccountReader(ManagementCall call, string what) =>
        RequireAccountReader(call.Principal, call.Value("account"), what);

    /// <summary>
    /// <paramref name="account"/>, once <paramref name="caller"/> may read its customer metadata: its
    /// tenant administrators and audit admins (the one place of that rule; the web console uses it too).
    /// Decided from the principal before anything is read: <c>RoleNotPermitted</c> (403), then a name
    /// that cannot be an account, <c>AccountNotFound</c> (404).
    /// </summary>
    internal static string RequireAccountReader(AuthenticatedPrincipal caller, string account, string what)
    {
        ArgumentNullException.ThrowIfNull(caller);
        ArgumentNullException.ThrowIfNull(account);
        if (!caller.IsTenantAdminOf(account) && !caller.IsOperator(OperatorRole.AuditAdmin))
        {
            throw new StorageException(ErrorCode.RoleNotPermitted, caller.Kind == PrincipalKind.TenantAdmin
                ? $"A tenant administrator may {what} only for its own account."
                : $"Only the account's tenant administrators and audit admins may {what}.");
        }

        if (!Names.IsValidAccountName(account) || TransparencyLog.IsReservedAccountName(account))
        {
            throw new StorageException(ErrorCode.AccountNotFound, "There is no such account.");
        }

        return account;
    }

    // Internal: the web console (Strongroom.WebConsole) decides who sees what with these same rules.
    internal static void RequireOperator(AuthenticatedPrincipal caller, string what, params OperatorRole[] roles)
    {
        if (caller.Kind != PrincipalKind.Operator || caller.Role is not { } role || !roles.Contains(role))
        {
            throw new StorageException(ErrorCode.RoleNotPermitted, $"Only {string.Join(" and ", roles.Select(PrincipalIds.RoleName))} operators may {what}.");
        }
    }

    private async Task CheckpointAsync(ManagementCall call, string log)
    {
        var checkpoint = await AuditLog.GetCheckpointAsync(log, call.Aborted).ConfigureAwait(false);
        await call.WriteJsonAsync(200, json =>
        {
            json.WriteStartObject();
            json.WriteString("log", LogName(log));
            json.WriteString("checkpoint", checkpoint.Note);
            json.WriteEndObject();
        }).ConfigureAwait(false);
    }

    private Task KeyAsync(ManagementCall call, string log) =>
        call.WriteJsonAsync(200, json =>
        {
            json.WriteStartObject();
            json.WriteString("log", LogName(log));
            json.WriteString("key", AuditLog.VerifierKey(log).ToString());
            json.WriteEndObject();
        });

    private async Task EntriesAsync(ManagementCall call, string log)
    {
        var start = QueryNumber(call, "start");
        var end = QueryNumber(call, "end");
        var head = await AuditLog.GetTreeHeadAsync(log, call.Aborted).ConfigureAwait(false);
        if (TransparencyLogJson.EntriesRangeProblem(start, end, head.Size) is { } problem)
        {
            throw InvalidRange(problem);
        }

        IReadOnlyList<StoredAuditEntry> entries = end == start ? [] : await AuditLog.ReadEntriesAsync(log, start, end, call.Aborted).ConfigureAwait(false);
        await call.WriteJsonAsync(200, json =>
        {
            json.WriteStartObject();
            TransparencyLogJson.WriteEntries(json, head.Size, entries, withTime: true);
            json.WriteEndObject();
        }).ConfigureAwait(false);
    }

    private async Task InclusionAsync(ManagementCall call, string log)
    {
        var index = QueryNumber(call, "index");
        var size = QueryNumber(call, "size");
        var head = await AuditLog.GetTreeHeadAsync(log, call.Aborted).ConfigureAwait(false);
        if (index >= size || size > head.Size)
        {
            throw InvalidRange($"An inclusion proof needs index < size ≤ {head.Size} (the log's size).");
        }

        var hashes = await AuditLog.GetInclusionProofAsync(log, index, size, call.Aborted).ConfigureAwait(false);
        await call.WriteJsonAsync(200, json =>
        {
            json.WriteStartObject();
            json.WriteNumber("index", index);
            json.WriteNumber("size", size);
            TransparencyLogJson.WriteHashes(json, hashes);
            json.WriteEndObject();
        }).ConfigureAwait(false);
    }

    private async Task ConsistencyAsync(ManagementCall call, string log)
    {
        var first = QueryNumber(call, "first");
        var second = QueryNumber(call, "second");
        var head = await AuditLog.GetTreeHeadAsync(log, call.Aborted).ConfigureAwait(false);
        if (first > second || second > head.Size)
        {
            throw InvalidRange($"A consistency proof needs first ≤ second ≤ {head.Size} (the log's size).");
        }

        var hashes = await AuditLog.GetConsistencyProofAsync(log, first, second, call.Aborted).ConfigureAwait(false);
        await call.WriteJsonAsync(200, json =>
        {
            json.WriteStartObject();
            json.WriteNumber("first", first);
            json.WriteNumber("second", second);
            TransparencyLogJson.WriteHashes(json, hashes);
            json.WriteEndObject();
        }).ConfigureAwait(false);
    }

    private async Task LocationsAsync(ManagementCall call)
    {
        var account = RequireAccountReader(call, "read this account's locations");
        var (container, blob) = LocationScope(call);
        var locations = await Placement.GetLocationsAsync(account, container, blob, call.OptionalQuery("marker"), Limits.LocationsPageMax, call.Aborted).ConfigureAwait(false);
        await call.WriteJsonAsync(200, json =>
        {
            json.WriteStartObject();
            PlacementJson.WriteLocations(json, locations);
            json.WriteEndObject();
        }).ConfigureAwait(false);
    }

    /// <summary>The signed placement report (its making is recorded in the account's log, attributed to the caller).</summary>
    private async Task ReportAsync(ManagementCall call)
    {
        var account = RequireAccountReader(call, "make this account's placement report");
        var (container, blob) = LocationScope(call);
        var note = await Placement.CreateReportAsync(account, container, blob, call.Aborted).ConfigureAwait(false);
        await call.WriteJsonAsync(200, json =>
        {
            json.WriteStartObject();
            json.WriteString("account", account);
            json.WriteString("report", note);
            json.WriteEndObject();
        }).ConfigureAwait(false);
    }

    private static (string? Container, string? Blob) LocationScope(ManagementCall call)
    {
        var container = call.OptionalQuery("container");
        var blob = call.OptionalQuery("blob");
        if (blob is not null && container is null)
        {
            throw new ManagementException(400, "InvalidQueryParameterValue", "A blob is named with its container.");
        }

        return (container, blob);
    }

    private static string LogName(string log) => log == AuditLogs.Platform ? TransparencyLog.PlatformOriginName : log;

    /// <summary>A non-negative decimal given exactly once (digits only, no sign, no leading zero); 400 InvalidAuditRange otherwise.</summary>
    private static long QueryNumber(ManagementCall call, string name)
    {
        if (!call.Context.Request.Query.TryGetValue(name, out var values) || values.Count != 1 || values[0] is not { } text)
        {
            throw InvalidRange($"The query parameter '{name}' is required once.");
        }

        if (text.Length == 0 || text.Length > 19 || (text.Length > 1 && text[0] == '0') || !text.All(char.IsAsciiDigit)
            || !long.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var value))
        {
            throw InvalidRange($"The query parameter '{name}' must be a non-negative decimal integer without sign or leading zeros.");
        }

        return value;
    }

    private static ManagementException InvalidRange(string message) => new(400, nameof(ErrorCode.InvalidAuditRange), message);

    private static string Time(DateTimeOffset time) => time.UtcDateTime.ToString("yyyy-MM-ddTHH:mm:ssZ", CultureInfo.InvariantCulture);
}
