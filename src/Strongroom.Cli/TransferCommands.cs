using System.CommandLine;
using System.Text.Json;

namespace Strongroom.Cli;

/// <summary>
/// <c>strongroom transfer request | list | show | approve | deny | run</c>: cross-border transfers
/// through the management plane (the session of <c>strongroom login</c>). A transfer copies
/// exactly one container's blobs (optionally under a prefix) to exactly one site outside the
/// account's residency, once a tenant administrator and a security admin approved it.
/// </summary>
internal static class TransferCommands
{
    public static Command Build(TextWriter output)
    {
        var command = new Command("transfer", "Cross-border transfers: copies outside an account's residency, only once the tenant and a security admin approved them.");
        command.Subcommands.Add(Request(output));
        command.Subcommands.Add(List(output));
        command.Subcommands.Add(Show(output));
        command.Subcommands.Add(Decide(output, "approve", "Approve a transfer (a tenant administrator of the account, or a security admin; never its requester)."));
        command.Subcommands.Add(Decide(output, "deny", "Deny a transfer (final)."));
        command.Subcommands.Add(Decide(output, "run", "Run an approved transfer (a system admin): copy every blob in scope to the destination; run again to resume."));
        return command;
    }

    private static Command Request(TextWriter output)
    {
        var account = new Option<string>("--account") { Description = "The account whose data leaves its residency.", Required = true };
        var container = new Option<string>("--container") { Description = "The container whose blobs are copied.", Required = true };
        var prefix = new Option<string?>("--prefix") { Description = "Only blobs whose names start with this (literally)." };
        var destination = new Option<string>("--destination") { Description = "The site (outside the residency) that receives the copies.", Required = true, HelpName = "site" };
        var basis = new Option<string>("--legal-basis") { Description = "The legal route (PIPL art. 38).", Required = true, HelpName = "security-assessment|standard-contract|certification" };
        basis.AcceptOnlyFromAmong("security-assessment", "standard-contract", "certification");
        var reference = new Option<string>("--reference") { Description = "The assessment, contract filing or certificate reference.", Required = true };
        var purpose = new Option<string>("--purpose") { Description = "Why the data leaves (recorded in the tenant's log).", Required = true, HelpName = "text" };
        var session = SessionFile.Option();
        var caCertificate = SessionFile.CaCertificateOption();
        var json = Cli.JsonOption();
        var command = new Command("request", "Ask for a cross-border transfer (a system admin or a tenant administrator of the account).")
        {
            account, container, prefix, destination, basis, reference, purpose, session, caCertificate, json,
        };
        command.SetAction(async (parseResult, cancellationToken) =>
        {
            using var client = ManagementClient.FromSession(parseResult.GetValue(session), parseResult.GetValue(caCertificate), out _);
            var answer = await client.SendAsync(HttpMethod.Post, "v1/transfers", body =>
            {
                body.WriteStartObject();
                body.WriteString("account", parseResult.GetValue(account));
                body.WriteString("container", parseResult.GetValue(container));
                if (parseResult.GetValue(prefix) is { } named)
                {
                    body.WriteString("prefix", named);
                }

                body.WriteString("destinationSite", parseResult.GetValue(destination));
                body.WriteString("legalBasis", parseResult.GetValue(basis));
                body.WriteString("legalReference", parseResult.GetValue(reference));
                body.WriteString("purpose", parseResult.GetValue(purpose));
                body.WriteEndObject();
            }, cancellationToken).ConfigureAwait(false);
            Print(output, answer, parseResult.GetValue(json));
            return 0;
        });
        return command;
    }

    private static Command List(TextWriter output)
    {
        var account = new Option<string?>("--account") { Description = "Only this account's transfers." };
        var state = new Option<string?>("--state") { Description = "Only transfers in this state.", HelpName = "requested|approved|denied|expired|completed" };
        state.AcceptOnlyFromAmong("requested", "approved", "denied", "expired", "completed");
        var session = SessionFile.Option();
        var caCertificate = SessionFile.CaCertificateOption();
        var json = Cli.JsonOption();
        var command = new Command("list", "List the transfers you may see, newest first.") { account, state, session, caCertificate, json };
        command.SetAction(async (parseResult, cancellationToken) =>
        {
            using var client = ManagementClient.FromSession(parseResult.GetValue(session), parseResult.GetValue(caCertificate), out _);
            var query = new List<string>();
            if (parseResult.GetValue(account) is { } named)
            {
                query.Add("account=" + Uri.EscapeDataString(named));
            }

            if (parseResult.GetValue(state) is { } stateName)
            {
                query.Add("state=" + stateName);
            }

            var answer = await client.SendAsync(HttpMethod.Get, "v1/transfers" + (query.Count == 0 ? string.Empty : "?" + string.Join('&', query)), null, cancellationToken).ConfigureAwait(false);
            if (parseResult.GetValue(json))
            {
                output.WriteLine(Cli.Json(writer => answer.WriteTo(writer)));
                return 0;
            }

            var transfers = answer.GetProperty("transfers").EnumerateArray().ToList();
            if (transfers.Count == 0)
            {
                output.WriteLine("No transfers.");
                return 0;
            }

            output.WriteLine($"{"ID",-20} {"STATE",-10} {"ACCOUNT",-16} {"DATA",-32} {"DESTINATION",-16} REQUESTER");
            foreach (var transfer in transfers)
            {
                output.WriteLine($"{Text(transfer, "id"),-20} {Text(transfer, "state"),-10} {Text(transfer, "account"),-16} {Scope(transfer),-32} {Text(transfer, "destinationSite"),-16} {Text(transfer, "requester")}");
            }

            return 0;
        });
        return command;
    }

    private static Command Show(TextWriter output)
    {
        var id = new Argument<string>("id") { Description = "The transfer's id (tr-…)." };
        var session = SessionFile.Option();
        var caCertificate = SessionFile.CaCertificateOption();
        var json = Cli.JsonOption();
        var command = new Command("show", "Show one transfer.") { id, session, caCertificate, json };
        command.SetAction(async (parseResult, cancellationToken) =>
        {
            using var client = ManagementClient.FromSession(parseResult.GetValue(session), parseResult.GetValue(caCertificate), out _);
            var answer = await client.SendAsync(HttpMethod.Get, "v1/transfers/" + Uri.EscapeDataString(parseResult.GetValue(id)!), null, cancellationToken).ConfigureAwait(false);
            Print(output, answer, parseResult.GetValue(json));
            return 0;
        });
        return command;
    }

    private static Command Decide(TextWriter output, string verb, string description)
    {
        var id = new Argument<string>("id") { Description = "The transfer's id (tr-…)." };
        var reason = new Option<string?>("--reason") { Description = "Why (recorded in the tenant's log)." };
        var session = SessionFile.Option();
        var caCertificate = SessionFile.CaCertificateOption();
        var json = Cli.JsonOption();
        var command = new Command(verb, description) { id, session, caCertificate, json };
        if (verb == "deny")
        {
            command.Options.Add(reason);
        }

        command.SetAction(async (parseResult, cancellationToken) =>
        {
            using var client = ManagementClient.FromSession(parseResult.GetValue(session), parseResult.GetValue(caCertificate), out _);
            Action<Utf8JsonWriter>? body = null;
            if (verb == "deny" && parseResult.GetValue(reason) is { } why)
            {
                body = writer =>
                {
                    writer.WriteStartObject();
                    writer.WriteString("reason", why);
                    writer.WriteEndObject();
                };
            }

            var answer = await client.SendAsync(HttpMethod.Post, $"v1/transfers/{Uri.EscapeDataString(parseResult.GetValue(id)!)}/{verb}", body, cancellationToken).ConfigureAwait(false);
            Print(output, answer, parseResult.GetValue(json));
            return 0;
        });
        return command;
    }

    private static void Print(TextWriter output, JsonElement transfer, bool json)
    {
        if (json)
        {
            output.WriteLine(Cli.Json(writer => transfer.WriteTo(writer)));
            return;
        }

        output.WriteLine($"Transfer:          {Text(transfer, "id")}");
        output.WriteLine($"State:             {Text(transfer, "state")}");
        output.WriteLine($"Data:              {Text(transfer, "account")}/{Scope(transfer)}");
        output.WriteLine($"Destination:       {Text(transfer, "destinationSite")}");
        output.WriteLine($"Legal basis:       {Text(transfer, "legalBasis")} ({Text(transfer, "legalReference")})");
        output.WriteLine($"Purpose:           {Text(transfer, "purpose")}");
        output.WriteLine($"Requested:         {Text(transfer, "requestedOn")} by {Text(transfer, "requester")} (pending until {Text(transfer, "pendingExpiresOn")})");
        output.WriteLine($"Tenant approval:   {Approval(transfer, "tenantApprover", "tenantApprovedOn")}");
        output.WriteLine($"Security approval: {Approval(transfer, "securityApprover", "securityApprovedOn")}");
        if (transfer.TryGetProperty("decidedBy", out var decidedBy))
        {
            output.WriteLine($"Decided:           {Text(transfer, "decidedOn")} by {decidedBy.GetString()}");
        }

        output.WriteLine($"Copied:            {transfer.GetProperty("objectsCopied").GetInt64()} objects, {transfer.GetProperty("bytesCopied").GetInt64()} bytes{(transfer.TryGetProperty("completedOn", out var completed) ? ", completed " + completed.GetString() : string.Empty)}");
    }

    private static string Scope(JsonElement transfer) =>
        Text(transfer, "container") + "/" + (transfer.TryGetProperty("prefix", out var prefix) ? prefix.GetString() + "*" : "*");

    private static string Approval(JsonElement transfer, string who, string when) =>
        transfer.TryGetProperty(who, out var approver) ? $"{approver.GetString()} on {Text(transfer, when)}" : "(pending)";

    private static string Text(JsonElement element, string name) =>
        element.TryGetProperty(name, out var value) ? value.GetString() ?? string.Empty : string.Empty;
}
