using System.Globalization;
using System.Text.Json;
using Strongroom.Access;
using Strongroom.Core;

namespace Strongroom.Protocol.Management;

// Cross-border transfers: request, list, show, approve, deny, run (TransferService decides who may).
public sealed partial class ManagementProtocolHandler
{
    private IEnumerable<Route> TransferRoutes() =>
    [
        new("POST", "transfers", RequestTransferAsync),
        new("GET", "transfers", ListTransfersAsync),
        new("GET", "transfers/{id}", call => WriteTransferAsync(call, 200, services.Transfers.GetAsync(call.Principal, call.Value("id"), call.Aborted))),
        new("POST", "transfers/{id}/approve", call => WriteTransferAsync(call, 200, services.Transfers.ApproveAsync(call.Principal, call.Value("id"), call.Aborted))),
        new("POST", "transfers/{id}/deny", DenyTransferAsync),
        new("POST", "transfers/{id}/run", call => WriteTransferAsync(call, 200, services.Transfers.RunAsync(call.Principal, call.Value("id"), call.Aborted))),
    ];

    private async Task RequestTransferAsync(ManagementCall call)
    {
        var body = await call.ReadJsonAsync().ConfigureAwait(false);
        if (!AccessNames.TryParseLegalBasis(ManagementCall.OptionalString(body, "legalBasis"), out var basis))
        {
            throw new StorageException(ErrorCode.InvalidAccessRequest, "legalBasis is security-assessment, standard-contract or certification.");
        }

        var spec = new TransferSpec(
            ManagementCall.RequiredString(body, "account"),
            ManagementCall.RequiredString(body, "container"),
            ManagementCall.OptionalString(body, "prefix"),
            ManagementCall.RequiredString(body, "destinationSite"),
            basis,
            ManagementCall.RequiredString(body, "legalReference"),
            ManagementCall.RequiredString(body, "purpose"));
        await WriteTransferAsync(call, 201, services.Transfers.RequestAsync(call.Principal, spec, call.Aborted)).ConfigureAwait(false);
    }

    private async Task ListTransfersAsync(ManagementCall call)
    {
        var state = call.QueryEnum<TransferState>("state", AccessNames.StateName);
        var transfers = await services.Transfers.ListAsync(call.Principal, call.OptionalQuery("account"), state, call.Aborted).ConfigureAwait(false);
        await call.WriteListAsync(200, "transfers", transfers, WriteTransfer).ConfigureAwait(false);
    }

    private async Task DenyTransferAsync(ManagementCall call)
    {
        var reason = await call.ReadOptionalJsonAsync().ConfigureAwait(false) is { } body ? ManagementCall.OptionalString(body, "reason") : null;

        await WriteTransferAsync(call, 200, services.Transfers.DenyAsync(call.Principal, call.Value("id"), reason, call.Aborted)).ConfigureAwait(false);
    }

    private static async Task WriteTransferAsync(ManagementCall call, int status, Task<TransferRecord> pending)
    {
        var transfer = await pending.ConfigureAwait(false);
        await call.WriteJsonAsync(status, json => WriteTransfer(json, transfer)).ConfigureAwait(false);
    }

    /// <summary>A transfer as JSON: TransferRecord in camelCase (optional members omitted when null; states and legal bases as AccessNames spells them; times ISO 8601 UTC).</summary>
    internal static void WriteTransfer(Utf8JsonWriter json, TransferRecord transfer)
    {
        json.WriteStartObject();
        json.WriteString("id", transfer.Id);
        json.WriteString("account", transfer.Account);
        json.WriteString("container", transfer.Container);
        if (transfer.Prefix is not null)
        {
            json.WriteString("prefix", transfer.Prefix);
        }

        json.WriteString("destinationSite", transfer.DestinationSiteId);
        json.WriteString("legalBasis", AccessNames.LegalBasisName(transfer.LegalBasis));
        json.WriteString("legalReference", transfer.LegalReference);
        json.WriteString("purpose", transfer.Purpose);
        json.WriteString("requester", transfer.Requester);
        json.WriteString("state", AccessNames.StateName(transfer.State));
        WriteTransferTime(json, "requestedOn", transfer.RequestedOn);
        WriteTransferTime(json, "pendingExpiresOn", transfer.PendingExpiresOn);
        WriteTransferOptional(json, "tenantApprover", transfer.TenantApprover);
        WriteTransferTime(json, "tenantApprovedOn", transfer.TenantApprovedOn);
        WriteTransferOptional(json, "securityApprover", transfer.SecurityApprover);
        WriteTransferTime(json, "securityApprovedOn", transfer.SecurityApprovedOn);
        WriteTransferOptional(json, "decidedBy", transfer.DecidedBy);
        WriteTransferTime(json, "decidedOn", transfer.DecidedOn);
        WriteTransferTime(json, "completedOn", transfer.CompletedOn);
        json.WriteNumber("objectsCopied", transfer.ObjectsCopied);
        json.WriteNumber("bytesCopied", transfer.BytesCopied);
        json.WriteEndObject();
    }

    private static void WriteTransferOptional(Utf8JsonWriter json, string name, string? value)
    {
        if (value is not null)
        {
            json.WriteString(name, value);
        }
    }

    private static void WriteTransferTime(Utf8JsonWriter json, string name, DateTimeOffset? value)
    {
        if (value is { } time)
        {
            json.WriteString(name, time.UtcDateTime.ToString("yyyy'-'MM'-'dd'T'HH':'mm':'ss'.'fffffff'Z'", CultureInfo.InvariantCulture));
        }
    }
}
