using System.Text.Json;
using Microsoft.AspNetCore.Http;
using Strongroom.Access;
using Strongroom.Audit;
using Strongroom.Core;
using Strongroom.Destruction;

namespace Strongroom.Protocol.Management;

// Account closure, early purge and destructions (issue 7, docs/destruction.md). Close and reopen:
// the account's tenant administrators and system admins (reopen also while the account is closed,
// so its administrators can take closure back during the grace period). Early purge: the account's
// tenant administrators only — the data is theirs. Destructions: its tenant administrators (also
// after closure, like its certificates) and audit admins.
public sealed partial class ManagementProtocolHandler
{
    private IEnumerable<Route> DestructionRoutes() =>
    [
        new(HttpMethods.Post, "accounts/{account}/close", CloseAccountAsync),
        new(HttpMethods.Post, "accounts/{account}/reopen", ReopenAccountAsync, AfterClosure: true),
        new(HttpMethods.Post, "accounts/{account}/purge", PurgeAsync),
        new(HttpMethods.Get, "accounts/{account}/destructions", ListDestructionsAsync, AfterClosure: true),
        new(HttpMethods.Get, "accounts/{account}/destructions/{id}", GetDestructionAsync, AfterClosure: true),
    ];

    private DestructionService Destruction => services.Destruction ?? throw new InvalidOperationException("the management plane was composed without the destruction service");

    /// <summary>Body (optional) <c>{"graceDays":n}</c>, 0–365, default 30: the account is refused at once and destroyed when the grace ends.</summary>
    private async Task CloseAccountAsync(ManagementCall call)
    {
        var account = RequireAccountCloser(call, "close this account");
        var body = await call.ReadOptionalJsonAsync().ConfigureAwait(false);
        var days = Limits.AccountCloseGraceDefault.TotalDays;
        if (body is { } json && json.TryGetProperty("graceDays", out var value))
        {
            days = value.ValueKind == JsonValueKind.Number && value.TryGetInt32(out var given) && given >= 0 && given <= Limits.AccountCloseGraceMax.TotalDays
                ? given
                : throw new StorageException(ErrorCode.InvalidDataProtectionSetting, $"\"graceDays\" is a whole number of days from 0 to {Limits.AccountCloseGraceMax.TotalDays:0}.");
        }

        var closed = await Destruction.CloseAccountAsync(account, TimeSpan.FromDays(days), call.Aborted).ConfigureAwait(false);
        await call.WriteJsonAsync(200, json => WriteAccountState(json, closed)).ConfigureAwait(false);
    }

    private async Task ReopenAccountAsync(ManagementCall call)
    {
        var account = RequireAccountCloser(call, "reopen this account");
        var reopened = await Destruction.ReopenAccountAsync(account, call.Aborted).ConfigureAwait(false);
        await call.WriteJsonAsync(200, json => WriteAccountState(json, reopened)).ConfigureAwait(false);
    }

    /// <summary>
    /// Body <c>{"container":"c","version":"v"}</c> (a soft-deleted container: a destruction, answered
    /// as its record) or <c>{"container":"c","blob":"b"}</c> (a blob's soft-deleted instances: how many).
    /// </summary>
    private async Task PurgeAsync(ManagementCall call)
    {
        var account = RequireAccountAdmin(call, "purge this account's soft-deleted data");
        var body = await call.ReadJsonAsync().ConfigureAwait(false);
        var container = ManagementCall.OptionalString(body, "container");
        var version = ManagementCall.OptionalString(body, "version");
        var blob = ManagementCall.OptionalString(body, "blob");
        if (string.IsNullOrEmpty(container) || string.IsNullOrEmpty(version) == string.IsNullOrEmpty(blob))
        {
            throw new StorageException(ErrorCode.InvalidAccessRequest, "The body needs \"container\" and exactly one of \"version\" (a soft-deleted container) or \"blob\" (a blob's soft-deleted instances).");
        }

        if (!Names.IsValidContainerName(container))
        {
            throw new StorageException(ErrorCode.InvalidResourceName, "The container name is not valid.");
        }

        if (!string.IsNullOrEmpty(version))
        {
            var destruction = await Destruction.PurgeContainerAsync(account, container, version, call.Aborted).ConfigureAwait(false);
            await call.WriteJsonAsync(200, json => DestructionJson.Write(json, destruction)).ConfigureAwait(false);
            return;
        }

        var purged = await Destruction.PurgeBlobAsync(account, container, blob!, call.Aborted).ConfigureAwait(false);
        await call.WriteJsonAsync(200, json =>
        {
            json.WriteStartObject();
            json.WriteString("account", account);
            json.WriteString("container", container);
            json.WriteString("blob", blob);
            json.WriteNumber("instancesPurged", purged);
            json.WriteEndObject();
        }).ConfigureAwait(false);
    }

    private async Task ListDestructionsAsync(ManagementCall call)
    {
        var account = RequireAccountReader(call, "read this account's destructions");
        var records = await Destruction.ListDestructionsAsync(account, call.Aborted).ConfigureAwait(false);
        await call.WriteListAsync(200, "destructions", records, DestructionJson.Write).ConfigureAwait(false);
    }

    private async Task GetDestructionAsync(ManagementCall call)
    {
        var account = RequireAccountReader(call, "read this account's destructions");
        var record = await Destruction.GetDestructionAsync(account, call.Value("id"), call.Aborted).ConfigureAwait(false);
        await call.WriteJsonAsync(200, json => DestructionJson.Write(json, record)).ConfigureAwait(false);
    }

    /// <summary>The account of the path, once the caller is one of its tenant administrators or a system admin.</summary>
    private static string RequireAccountCloser(ManagementCall call, string what)
    {
        var account = call.Value("account");
        var caller = call.Principal;
        if (!caller.IsTenantAdminOf(account) && !caller.IsOperator(OperatorRole.SystemAdmin))
        {
            throw new StorageException(ErrorCode.RoleNotPermitted, caller.Kind == PrincipalKind.TenantAdmin
                ? $"A tenant administrator may {what} only for its own account."
                : $"Only the account's tenant administrators and system admins may {what}.");
        }

        if (!Names.IsValidAccountName(account) || TransparencyLog.IsReservedAccountName(account))
        {
            throw new StorageException(ErrorCode.AccountNotFound, "There is no such account.");
        }

        return account;
    }

    internal static void WriteAccountState(Utf8JsonWriter json, AccountRecord account)
    {
        json.WriteStartObject();
        json.WriteString("account", account.Name);
        json.WriteString("state", account.State.ToString());
        WriteTime(json, "closedOn", account.ClosedOn);
        WriteTime(json, "destroyAfter", account.DestroyAfter);
        json.WriteEndObject();
    }

    private static void WriteTime(Utf8JsonWriter json, string name, DateTimeOffset? time) => DestructionJson.WriteTime(json, name, time);
}
