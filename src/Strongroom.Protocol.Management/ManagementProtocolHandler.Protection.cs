using System.Text.Json;
using Microsoft.AspNetCore.Http;
using Strongroom.Access;
using Strongroom.Audit;
using Strongroom.Core;
using Strongroom.Destruction;

namespace Strongroom.Protocol.Management;

// An account's data-protection settings and its containers' legal holds (issue 7). Azure sets both
// through its management plane (ARM): here the account's tenant administrators change them and
// its audit admins read them; nobody else, operators included.
public sealed partial class ManagementProtocolHandler
{
    private IEnumerable<Route> ProtectionRoutes() =>
    [
        new(HttpMethods.Get, "accounts/{account}/protection", GetProtectionAsync),
        new(HttpMethods.Put, "accounts/{account}/protection", SetProtectionAsync),
        new(HttpMethods.Get, "accounts/{account}/containers/{container}/legal-hold", GetLegalHoldAsync),
        new(HttpMethods.Put, "accounts/{account}/containers/{container}/legal-hold", SetLegalHoldAsync),
        new(HttpMethods.Post, "accounts/{account}/containers/{container}/legal-hold/clear", ClearLegalHoldAsync),
    ];

    private ProtectionService Protection => services.Protection ?? throw new InvalidOperationException("the management plane was composed without the protection service");

    private async Task GetProtectionAsync(ManagementCall call)
    {
        var account = RequireAccountReader(call, "read this account's data-protection settings");
        var settings = await Protection.GetAsync(account, call.Aborted).ConfigureAwait(false);
        await call.WriteJsonAsync(200, json => WriteProtection(json, account, settings)).ConfigureAwait(false);
    }

    /// <summary>
    /// Body: any of <c>versioning</c> (bool), <c>blobSoftDeleteDays</c> and <c>containerSoftDeleteDays</c>
    /// (1–365, or null: off), <c>allowPermanentDelete</c> (bool); an absent member stays as it is.
    /// </summary>
    private async Task SetProtectionAsync(ManagementCall call)
    {
        var account = RequireAccountAdmin(call, "change this account's data-protection settings");
        var body = await call.ReadJsonAsync().ConfigureAwait(false);
        var change = new DataProtectionChange(
            OptionalBoolean(body, "versioning"),
            OptionalRetention(body, "blobSoftDeleteDays"),
            OptionalRetention(body, "containerSoftDeleteDays"),
            OptionalBoolean(body, "allowPermanentDelete"));
        var settings = await Protection.SetAsync(account, change, call.Aborted).ConfigureAwait(false);
        await call.WriteJsonAsync(200, json => WriteProtection(json, account, settings)).ConfigureAwait(false);
    }

    private async Task GetLegalHoldAsync(ManagementCall call)
    {
        var account = RequireAccountReader(call, "read this account's legal holds");
        var container = call.Value("container");
        var tags = await Protection.GetLegalHoldAsync(account, container, call.Aborted).ConfigureAwait(false);
        await call.WriteJsonAsync(200, json => WriteLegalHold(json, account, container, tags)).ConfigureAwait(false);
    }

    /// <summary>Body <c>{"tags":["t1",…]}</c>: adds the tags (Azure's Set Legal Hold).</summary>
    private async Task SetLegalHoldAsync(ManagementCall call)
    {
        var account = RequireAccountAdmin(call, "set a legal hold on this account's containers");
        var container = call.Value("container");
        var tags = RequiredTags(await call.ReadJsonAsync().ConfigureAwait(false));
        var result = await Protection.SetLegalHoldAsync(account, container, tags, call.Aborted).ConfigureAwait(false);
        await call.WriteJsonAsync(200, json => WriteLegalHold(json, account, container, result)).ConfigureAwait(false);
    }

    /// <summary>Body <c>{"tags":["t1",…]}</c>: removes the tags (Azure's Clear Legal Hold); the hold ends with the last.</summary>
    private async Task ClearLegalHoldAsync(ManagementCall call)
    {
        var account = RequireAccountAdmin(call, "clear a legal hold on this account's containers");
        var container = call.Value("container");
        var tags = RequiredTags(await call.ReadJsonAsync().ConfigureAwait(false));
        var result = await Protection.ClearLegalHoldAsync(account, container, tags, call.Aborted).ConfigureAwait(false);
        await call.WriteJsonAsync(200, json => WriteLegalHold(json, account, container, result)).ConfigureAwait(false);
    }

    /// <summary>The account of the path, once the caller is one of its tenant administrators (the only ones who change its protection).</summary>
    private static string RequireAccountAdmin(ManagementCall call, string what)
    {
        var account = call.Value("account");
        var caller = call.Principal;
        if (!caller.IsTenantAdminOf(account))
        {
            throw new StorageException(ErrorCode.RoleNotPermitted, caller.Kind == PrincipalKind.TenantAdmin
                ? $"A tenant administrator may {what} only for its own account."
                : $"Only the account's tenant administrators may {what}.");
        }

        if (!Names.IsValidAccountName(account) || TransparencyLog.IsReservedAccountName(account))
        {
            throw new StorageException(ErrorCode.AccountNotFound, "There is no such account.");
        }

        return account;
    }

    private static bool? OptionalBoolean(JsonElement body, string name)
    {
        if (!body.TryGetProperty(name, out var value))
        {
            return null;
        }

        return value.ValueKind switch
        {
            JsonValueKind.True => true,
            JsonValueKind.False => false,
            _ => throw new StorageException(ErrorCode.InvalidDataProtectionSetting, $"\"{name}\" must be true or false."),
        };
    }

    private static RetentionChange? OptionalRetention(JsonElement body, string name)
    {
        if (!body.TryGetProperty(name, out var value))
        {
            return null;
        }

        if (value.ValueKind == JsonValueKind.Null)
        {
            return new RetentionChange(null);
        }

        return value.ValueKind == JsonValueKind.Number && value.TryGetInt32(out var days)
            ? new RetentionChange(days)
            : throw new StorageException(ErrorCode.InvalidDataProtectionSetting, $"\"{name}\" must be a number of days ({Limits.BlobSoftDeleteDaysMin}–{Limits.BlobSoftDeleteDaysMax}) or null (off).");
    }

    private static List<string> RequiredTags(JsonElement body)
    {
        if (!body.TryGetProperty("tags", out var value) || value.ValueKind != JsonValueKind.Array || value.GetArrayLength() > Limits.LegalHoldTagsMax)
        {
            throw new StorageException(ErrorCode.InvalidDataProtectionSetting, $"The body needs \"tags\": an array of 1 to {Limits.LegalHoldTagsMax} strings.");
        }

        var tags = new List<string>();
        foreach (var item in value.EnumerateArray())
        {
            tags.Add(item.ValueKind == JsonValueKind.String
                ? item.GetString()!
                : throw new StorageException(ErrorCode.InvalidDataProtectionSetting, "Each legal-hold tag is a string."));
        }

        return tags;
    }

    internal static void WriteProtection(Utf8JsonWriter json, string account, DataProtectionSettings settings)
    {
        json.WriteStartObject();
        json.WriteString("account", account);
        json.WriteBoolean("versioning", settings.Versioning);
        WriteDays(json, "blobSoftDeleteDays", settings.BlobSoftDeleteDays);
        WriteDays(json, "containerSoftDeleteDays", settings.ContainerSoftDeleteDays);
        json.WriteBoolean("allowPermanentDelete", settings.AllowPermanentDelete);
        json.WriteEndObject();

        static void WriteDays(Utf8JsonWriter json, string name, int? days)
        {
            if (days is { } value)
            {
                json.WriteNumber(name, value);
            }
            else
            {
                json.WriteNull(name);
            }
        }
    }

    internal static void WriteLegalHold(Utf8JsonWriter json, string account, string container, IReadOnlyList<string> tags)
    {
        json.WriteStartObject();
        json.WriteString("account", account);
        json.WriteString("container", container);
        json.WriteBoolean("hasLegalHold", tags.Count > 0);
        json.WriteStartArray("tags");
        foreach (var tag in tags)
        {
            json.WriteStringValue(tag);
        }

        json.WriteEndArray();
        json.WriteEndObject();
    }
}
