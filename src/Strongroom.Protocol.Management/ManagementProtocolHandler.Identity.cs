using System.Text.Json;
using Strongroom.Access;
using Strongroom.Core;

namespace Strongroom.Protocol.Management;

public sealed partial class ManagementProtocolHandler
{
    // Sign-in, sessions, operators and tenant administrators. Sign-in is the one anonymous route
    // here; it does not answer while the vault is sealed (the TOTP seed cannot be unwrapped).
    private IEnumerable<Route> IdentityRoutes() =>
    [
        new("POST", "login", LoginAsync, Anonymous: true),
        new("POST", "logout", LogoutAsync, AfterClosure: true),
        new("GET", "whoami", WhoAmIAsync, AfterClosure: true),
        new("GET", "operators", ListOperatorsAsync),
        new("POST", "operators", CreateOperatorAsync),
        new("POST", "operators/{name}/disable", DisableOperatorAsync),
        new("GET", "accounts/{account}/admins", ListTenantAdminsAsync),
        new("POST", "accounts/{account}/admins", CreateTenantAdminAsync),
        new("POST", "accounts/{account}/admins/{name}/disable", DisableTenantAdminAsync),
    ];

    private async Task LoginAsync(ManagementCall call)
    {
        var body = await call.ReadJsonAsync().ConfigureAwait(false);
        var kind = ManagementCall.RequiredString(body, "kind") switch
        {
            "operator" => PrincipalKind.Operator,
            "tenant-admin" => PrincipalKind.TenantAdmin,
            _ => throw new StorageException(ErrorCode.InvalidAccessRequest, "kind must be operator or tenant-admin."),
        };
        var account = kind == PrincipalKind.TenantAdmin ? ManagementCall.RequiredString(body, "account") : PrincipalIds.NoAccount;
        var result = await services.Identities.LoginAsync(
            kind,
            account,
            ManagementCall.RequiredString(body, "name"),
            ManagementCall.RequiredString(body, "password"),
            // Optional: a principal created without a second factor signs in without one.
            ManagementCall.OptionalString(body, "code") ?? string.Empty,
            call.Aborted).ConfigureAwait(false);
        var principal = result.Principal;
        await call.WriteJsonAsync(200, json =>
        {
            json.WriteStartObject();
            json.WriteString("token", result.SessionToken);
            PrincipalJson.WriteIdentity(json, principal.Kind, principal.Account, principal.Name, principal.Role);
            json.WriteString("idleExpiresOn", result.IdleExpiresOn.ToUniversalTime());
            json.WriteString("expiresOn", result.ExpiresOn.ToUniversalTime());
            json.WriteEndObject();
        }).ConfigureAwait(false);
    }

    private async Task LogoutAsync(ManagementCall call)
    {
        var authorization = call.Context.Request.Headers.Authorization.ToString();
        await services.Identities.LogoutAsync(authorization["Bearer ".Length..].Trim(), call.Aborted).ConfigureAwait(false);
        call.Context.Response.StatusCode = 204;
    }

    private static Task WhoAmIAsync(ManagementCall call)
    {
        var principal = call.Principal;
        return call.WriteJsonAsync(200, json =>
        {
            json.WriteStartObject();
            PrincipalJson.WriteIdentity(json, principal.Kind, principal.Account, principal.Name, principal.Role);
            json.WriteEndObject();
        });
    }

    private async Task ListOperatorsAsync(ManagementCall call)
    {
        var operators = await services.Identities.ListOperatorsAsync(call.Principal, call.Aborted).ConfigureAwait(false);
        await call.WriteJsonAsync(200, json => PrincipalJson.WriteList(json, "operators", operators, services.Identities.IsLocked)).ConfigureAwait(false);
    }

    private async Task CreateOperatorAsync(ManagementCall call)
    {
        var body = await call.ReadJsonAsync().ConfigureAwait(false);
        if (!PrincipalIds.TryParseRole(ManagementCall.OptionalString(body, "role"), out var role))
        {
            throw new StorageException(ErrorCode.InvalidAccessRequest, "An operator has exactly one role: role must be system-admin, security-admin or audit-admin.");
        }

        var enrolled = await services.Identities.CreateOperatorAsync(call.Principal, ManagementCall.RequiredString(body, "name"), role, ManagementCall.RequiredString(body, "password"), SecondFactorOf(body), call.Aborted).ConfigureAwait(false);
        await call.WriteJsonAsync(201, json => PrincipalJson.WriteEnrolled(json, enrolled)).ConfigureAwait(false);
    }

    private async Task DisableOperatorAsync(ManagementCall call)
    {
        await services.Identities.DisableOperatorAsync(call.Principal, call.Value("name"), call.Aborted).ConfigureAwait(false);
        call.Context.Response.StatusCode = 204;
    }

    private async Task ListTenantAdminsAsync(ManagementCall call)
    {
        var admins = await services.Identities.ListTenantAdminsAsync(call.Principal, call.Value("account"), call.Aborted).ConfigureAwait(false);
        await call.WriteJsonAsync(200, json => PrincipalJson.WriteList(json, "admins", admins, services.Identities.IsLocked)).ConfigureAwait(false);
    }

    private async Task CreateTenantAdminAsync(ManagementCall call)
    {
        var body = await call.ReadJsonAsync().ConfigureAwait(false);
        var enrolled = await services.Identities.CreateTenantAdminAsync(call.Principal, call.Value("account"), ManagementCall.RequiredString(body, "name"), ManagementCall.RequiredString(body, "password"), SecondFactorOf(body), call.Aborted).ConfigureAwait(false);
        await call.WriteJsonAsync(201, json => PrincipalJson.WriteEnrolled(json, enrolled)).ConfigureAwait(false);
    }

    /// <summary><c>"secondFactor"</c>: <c>"totp"</c> (the default when absent) or <c>"none"</c>, the explicit opt-out.</summary>
    private static SecondFactor SecondFactorOf(JsonElement body) =>
        ManagementCall.OptionalString(body, "secondFactor") is not { } text ? SecondFactor.Totp
        : SecondFactors.TryParse(text, out var factor) ? factor
        : throw new StorageException(ErrorCode.InvalidAccessRequest, "secondFactor must be totp or none.");

    private async Task DisableTenantAdminAsync(ManagementCall call)
    {
        await services.Identities.DisableTenantAdminAsync(call.Principal, call.Value("account"), call.Value("name"), call.Aborted).ConfigureAwait(false);
        call.Context.Response.StatusCode = 204;
    }

}

/// <summary>Principals as the management plane (and the CLI on the host) write them: never a password hash or a seed.</summary>
public static class PrincipalJson
{
    public static string KindName(PrincipalKind kind) => kind == PrincipalKind.Operator ? "operator" : "tenant-admin";

    /// <summary>kind, account (tenant administrators), name, role (operators).</summary>
    public static void WriteIdentity(Utf8JsonWriter json, PrincipalKind kind, string account, string name, OperatorRole? role)
    {
        json.WriteString("kind", KindName(kind));
        WriteNameMembers(json, kind, account, name, role);
    }

    /// <summary><c>{"NAME": [{name, role?, account?, disabled, locked, createdOn}]}</c>.</summary>
    public static void WriteList(Utf8JsonWriter json, string property, IReadOnlyList<PrincipalRecord> principals, Func<PrincipalRecord, bool> isLocked) =>
        ManagementCall.WriteList(json, property, principals, (json, principal) =>
        {
            json.WriteStartObject();
            WriteNameMembers(json, principal);
            json.WriteBoolean("disabled", principal.Disabled);
            json.WriteBoolean("locked", isLocked(principal));
            json.WriteString("secondFactor", SecondFactors.Name(principal.SecondFactor));
            json.WriteString("createdOn", principal.CreatedOn.ToUniversalTime());
            json.WriteEndObject();
        });

    /// <summary>A new principal with its TOTP secret and enrollment URI (shown once).</summary>
    public static void WriteEnrolled(Utf8JsonWriter json, EnrolledPrincipal enrolled)
    {
        var principal = enrolled.Principal;
        json.WriteStartObject();
        WriteNameMembers(json, principal);
        json.WriteString("secondFactor", SecondFactors.Name(principal.SecondFactor));
        if (principal.SecondFactor == SecondFactor.Totp)
        {
            json.WriteString("totpSecret", enrolled.TotpSecretBase32);
            json.WriteString("otpauthUri", enrolled.OtpAuthUri);
        }

        json.WriteEndObject();
    }

    /// <summary><c>"account"</c> (tenant administrators), <c>"name"</c>, <c>"role"</c> (operators).</summary>
    private static void WriteNameMembers(Utf8JsonWriter json, PrincipalRecord principal) =>
        WriteNameMembers(json, principal.Kind, principal.Account, principal.Name, principal.Role);

    private static void WriteNameMembers(Utf8JsonWriter json, PrincipalKind kind, string account, string name, OperatorRole? role)
    {
        if (kind == PrincipalKind.TenantAdmin)
        {
            json.WriteString("account", account);
        }

        json.WriteString("name", name);
        if (role is { } r)
        {
            json.WriteString("role", PrincipalIds.RoleName(r));
        }
    }
}
