using Microsoft.AspNetCore.Http;
using Strongroom.Core;

namespace Strongroom.Protocol.Management;

/// <summary>
/// The vault's key policy on the plane: the keyring's versions (security and audit admins) and its
/// rotation (security admins only: key policy is a security administrator's duty). The host
/// passes both in as <see cref="ManagementServices.VaultStatus"/> and
/// <see cref="ManagementServices.RotateKeyring"/>, whose rotation is recorded in the platform log
/// with the caller as actor, as <c>strongroom vault rotate</c> on the host is.
/// </summary>
public sealed partial class ManagementProtocolHandler
{
    private IEnumerable<Route> VaultRoutes() =>
    [
        new(HttpMethods.Get, "vault/status", VaultStatusAsync),
        new(HttpMethods.Post, "vault/rotate", RotateKeyringAsync),
    ];

    private async Task VaultStatusAsync(ManagementCall call)
    {
        RequireOperator(call.Principal, "read the vault's status", OperatorRole.SecurityAdmin, OperatorRole.AuditAdmin);
        var status = await services.VaultStatus(call.Aborted).ConfigureAwait(false);
        await call.WriteJsonAsync(200, json =>
        {
            json.WriteStartObject();
            json.WriteNumber("keyringCurrentVersion", status.KeyringCurrentVersion);
            json.WriteStartArray("keyringVersions");
            foreach (var version in status.KeyringVersions)
            {
                json.WriteNumberValue(version);
            }

            json.WriteEndArray();
            json.WriteEndObject();
        }).ConfigureAwait(false);
    }

    private async Task RotateKeyringAsync(ManagementCall call)
    {
        RequireOperator(call.Principal, "rotate the keyring", OperatorRole.SecurityAdmin);
        var version = await services.RotateKeyring(call.Aborted).ConfigureAwait(false);
        await call.WriteJsonAsync(200, json =>
        {
            json.WriteStartObject();
            json.WriteNumber("keyringVersion", version);
            json.WriteEndObject();
        }).ConfigureAwait(false);
    }
}
