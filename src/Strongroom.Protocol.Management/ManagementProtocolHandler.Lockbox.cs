using System.Globalization;
using System.Text.Json;
using Strongroom.Access;
using Strongroom.Core;

namespace Strongroom.Protocol.Management;

// The lockbox: operators ask, tenant administrators and security admins decide, the requester
// activates and takes a grant token for the data plane. The service decides who may do what.
public sealed partial class ManagementProtocolHandler
{
    private IEnumerable<Route> LockboxRoutes() =>
    [
        new("POST", "lockbox/requests", CreateLockboxRequestAsync),
        new("GET", "lockbox/requests", ListLockboxRequestsAsync),
        new("GET", "lockbox/requests/{id}", async call =>
            await WriteLockboxRequestAsync(call, 200, await services.Lockbox.GetAsync(call.Principal, call.Value("id"), call.Aborted).ConfigureAwait(false)).ConfigureAwait(false)),
        LockboxTransition("approve", (call, id) => services.Lockbox.ApproveAsync(call.Principal, id, call.Aborted)),
        new("POST", "lockbox/requests/{id}/deny", DenyLockboxRequestAsync),
        LockboxTransition("activate", (call, id) => services.Lockbox.ActivateAsync(call.Principal, id, call.Aborted)),
        LockboxTransition("end", (call, id) => services.Lockbox.EndAsync(call.Principal, id, call.Aborted)),
        LockboxTransition("revoke", (call, id) => services.Lockbox.RevokeAsync(call.Principal, id, call.Aborted)),
        new("POST", "lockbox/requests/{id}/token", IssueGrantTokenAsync),
    ];

    private static Route LockboxTransition(string verb, Func<ManagementCall, string, Task<LockboxRequestRecord>> transition) =>
        new("POST", $"lockbox/requests/{{id}}/{verb}", async call =>
            await WriteLockboxRequestAsync(call, 200, await transition(call, call.Value("id")).ConfigureAwait(false)).ConfigureAwait(false));

    private async Task CreateLockboxRequestAsync(ManagementCall call)
    {
        var body = await call.ReadJsonAsync().ConfigureAwait(false);
        var accessName = ManagementCall.OptionalString(body, "access");
        if (!AccessNames.TryParseAccess(accessName, out var access))
        {
            throw new StorageException(ErrorCode.InvalidAccessRequest, "access is \"metadata\" or \"read-data\".");
        }

        if (!body.TryGetProperty("durationMinutes", out var minutes) || minutes.ValueKind != JsonValueKind.Number || !minutes.TryGetInt32(out var durationMinutes)
            || durationMinutes <= 0 || durationMinutes > Limits.GrantDurationMax.TotalMinutes)
        {
            throw new StorageException(ErrorCode.InvalidAccessRequest, $"durationMinutes is a whole number of minutes from 1 to {Limits.GrantDurationMax.TotalMinutes:0}.");
        }

        var spec = new LockboxRequestSpec(
            ManagementCall.RequiredString(body, "account"),
            ManagementCall.RequiredString(body, "container"),
            ManagementCall.OptionalString(body, "prefix"),
            access,
            TimeSpan.FromMinutes(durationMinutes),
            ManagementCall.RequiredString(body, "justification"));
        var request = await services.Lockbox.RequestAsync(call.Principal, spec, call.Aborted).ConfigureAwait(false);
        call.Context.Response.Headers.Location = $"{PathPrefix}lockbox/requests/{Uri.EscapeDataString(request.Id)}";
        await WriteLockboxRequestAsync(call, 201, request).ConfigureAwait(false);
    }

    private async Task ListLockboxRequestsAsync(ManagementCall call)
    {
        var state = call.QueryEnum<LockboxState>("state", AccessNames.StateName);
        var requests = await services.Lockbox.ListAsync(call.Principal, call.OptionalQuery("account"), state, call.Aborted).ConfigureAwait(false);
        await call.WriteListAsync(200, "requests", requests, WriteLockboxRequest).ConfigureAwait(false);
    }

    private async Task DenyLockboxRequestAsync(ManagementCall call)
    {
        var reason = await call.ReadOptionalJsonAsync().ConfigureAwait(false) is { } body ? ManagementCall.OptionalString(body, "reason") : null;

        var request = await services.Lockbox.DenyAsync(call.Principal, call.Value("id"), reason, call.Aborted).ConfigureAwait(false);
        await WriteLockboxRequestAsync(call, 200, request).ConfigureAwait(false);
    }

    private async Task IssueGrantTokenAsync(ManagementCall call)
    {
        var id = call.Value("id");
        var issued = await services.Lockbox.IssueTokenAsync(call.Principal, id, call.Aborted).ConfigureAwait(false);
        var grant = await services.Lockbox.GetAsync(call.Principal, id, call.Aborted).ConfigureAwait(false);
        await call.WriteJsonAsync(200, json =>
        {
            json.WriteStartObject();
            json.WriteString("token", issued.Token);
            json.WriteString("expiresOn", LockboxTime(issued.ExpiresOn));
            json.WriteString("account", grant.Account);
            json.WriteString("container", grant.Container);
            if (grant.Prefix is not null)
            {
                json.WriteString("prefix", grant.Prefix);
            }

            json.WriteString("access", AccessNames.AccessName(grant.Access));
            json.WriteEndObject();
        }).ConfigureAwait(false);
    }

    private static Task WriteLockboxRequestAsync(ManagementCall call, int status, LockboxRequestRecord request) =>
        call.WriteJsonAsync(status, json => WriteLockboxRequest(json, request));

    /// <summary>A request as the API spells it (camelCase, states and access as <see cref="AccessNames"/> names them, times ISO 8601 UTC).</summary>
    internal static void WriteLockboxRequest(Utf8JsonWriter json, LockboxRequestRecord request)
    {
        json.WriteStartObject();
        json.WriteString("id", request.Id);
        json.WriteString("account", request.Account);
        json.WriteString("container", request.Container);
        WriteOptional(json, "prefix", request.Prefix);
        json.WriteString("access", AccessNames.AccessName(request.Access));
        json.WriteNumber("durationMinutes", (long)request.Duration.TotalMinutes);
        json.WriteString("justification", request.Justification);
        json.WriteString("requester", request.Requester);
        json.WriteString("state", AccessNames.StateName(request.State));
        json.WriteString("requestedOn", LockboxTime(request.RequestedOn));
        json.WriteString("pendingExpiresOn", LockboxTime(request.PendingExpiresOn));
        WriteOptional(json, "tenantApprover", request.TenantApprover);
        WriteOptionalTime(json, "tenantApprovedOn", request.TenantApprovedOn);
        WriteOptional(json, "securityApprover", request.SecurityApprover);
        WriteOptionalTime(json, "securityApprovedOn", request.SecurityApprovedOn);
        WriteOptional(json, "decidedBy", request.DecidedBy);
        WriteOptionalTime(json, "decidedOn", request.DecidedOn);
        WriteOptionalTime(json, "activatedOn", request.ActivatedOn);
        WriteOptionalTime(json, "endsOn", request.EndsOn);
        WriteOptional(json, "endedBy", request.EndedBy);
        WriteOptionalTime(json, "endedOn", request.EndedOn);
        json.WriteEndObject();

        static void WriteOptional(Utf8JsonWriter json, string name, string? value)
        {
            if (value is not null)
            {
                json.WriteString(name, value);
            }
        }

        static void WriteOptionalTime(Utf8JsonWriter json, string name, DateTimeOffset? value)
        {
            if (value is { } time)
            {
                json.WriteString(name, LockboxTime(time));
            }
        }
    }

    private static string LockboxTime(DateTimeOffset value) => value.UtcDateTime.ToString("yyyy-MM-ddTHH:mm:ss.fffZ", CultureInfo.InvariantCulture);
}
