using System.CommandLine;
using System.Text.Json;
using Strongroom.Core;

namespace Strongroom.Cli;

/// <summary>
/// <c>strongroom lockbox request | list | show | approve | deny | activate | end | revoke | token</c>:
/// lockbox requests through the management plane, as the signed-in principal of the session file.
/// An operator asks; a tenant administrator of the account and a security admin who is not the
/// requester approve (or either denies); the requester activates the grant and takes a grant token
/// for the data plane (<c>token</c> prints it alone on standard output, so a script can capture it);
/// the tenant (or a security admin) revokes.
/// </summary>
internal static class LockboxCommands
{
    public static Command Build(TextWriter output)
    {
        var command = new Command("lockbox", "Lockbox: time-bound, tenant-approved operator access to one account's data.");
        command.Subcommands.Add(Request(output));
        command.Subcommands.Add(List(output));
        command.Subcommands.Add(Show(output));
        command.Subcommands.Add(Transition(output, "approve", "Approve a request (a tenant administrator of its account, or a security admin who did not ask)."));
        command.Subcommands.Add(Deny(output));
        command.Subcommands.Add(Transition(output, "activate", "Start an approved grant (its requester); it ends after its duration."));
        command.Subcommands.Add(Transition(output, "end", "End an active grant early (its requester)."));
        command.Subcommands.Add(Transition(output, "revoke", "Revoke an approved or active grant (a tenant administrator of its account, or a security admin)."));
        command.Subcommands.Add(Token(output));
        return command;
    }

    private static Argument<string> IdArgument() => new("id") { Description = "The request's id (lbx-...)." };

    private static Command Request(TextWriter output)
    {
        var account = new Option<string>("--account") { Description = "The account whose data to see.", HelpName = "name", Required = true };
        var container = new Option<string>("--container") { Description = "The container the grant reaches.", HelpName = "name", Required = true };
        var prefix = new Option<string?>("--prefix") { Description = "Only blobs whose names start so.", HelpName = "prefix" };
        var access = new Option<string>("--access") { Description = "metadata (listings, properties) or read-data (also blob content).", HelpName = "metadata|read-data", Required = true };
        access.AcceptOnlyFromAmong("metadata", "read-data");
        var duration = new Option<string>("--duration") { Description = $"How long the grant lasts once activated, e.g. 2h or 90m (at most {Limits.GrantDurationMax.TotalHours:0}h).", HelpName = "duration", Required = true };
        var justification = new Option<string>("--justification") { Description = "Why: the tenant reads it in its transparency log.", HelpName = "text", Required = true };
        var session = SessionFile.Option();
        var caCertificate = SessionFile.CaCertificateOption();
        var json = Cli.JsonOption();
        var command = new Command("request", "Ask for access to an account's data (an operator).") { account, container, prefix, access, duration, justification, session, caCertificate, json };
        command.SetAction(async (parseResult, cancellationToken) =>
        {
            var length = Cli.ParseDuration(parseResult.GetValue(duration)!, "--duration");
            if (length > Limits.GrantDurationMax)
            {
                throw new CliException(Cli.ExitUsage, $"--duration is at most {Limits.GrantDurationMax.TotalHours:0}h.");
            }

            using var client = ManagementClient.FromSession(parseResult.GetValue(session), parseResult.GetValue(caCertificate), out _);
            var answer = await client.SendAsync(HttpMethod.Post, "v1/lockbox/requests", body =>
            {
                body.WriteStartObject();
                body.WriteString("account", parseResult.GetValue(account));
                body.WriteString("container", parseResult.GetValue(container));
                if (parseResult.GetValue(prefix) is { Length: > 0 } value)
                {
                    body.WriteString("prefix", value);
                }

                body.WriteString("access", parseResult.GetValue(access));
                body.WriteNumber("durationMinutes", (long)length.TotalMinutes);
                body.WriteString("justification", parseResult.GetValue(justification));
                body.WriteEndObject();
            }, cancellationToken).ConfigureAwait(false);
            WriteRequest(output, answer, parseResult.GetValue(json));
            return Cli.ExitSuccess;
        });
        return command;
    }

    private static Command List(TextWriter output)
    {
        var account = new Option<string?>("--account") { Description = "Only this account's requests.", HelpName = "name" };
        var state = new Option<string?>("--state") { Description = "Only requests in this state.", HelpName = "state" };
        state.AcceptOnlyFromAmong([.. Enum.GetValues<LockboxState>().Select(AccessNames.StateName)]);
        var session = SessionFile.Option();
        var caCertificate = SessionFile.CaCertificateOption();
        var json = Cli.JsonOption();
        var command = new Command("list", "List the lockbox requests you may see, newest first.") { account, state, session, caCertificate, json };
        command.SetAction(async (parseResult, cancellationToken) =>
        {
            var query = new List<string>();
            if (parseResult.GetValue(account) is { } accountName)
            {
                query.Add("account=" + Uri.EscapeDataString(accountName));
            }

            if (parseResult.GetValue(state) is { } stateName)
            {
                query.Add("state=" + Uri.EscapeDataString(stateName));
            }

            using var client = ManagementClient.FromSession(parseResult.GetValue(session), parseResult.GetValue(caCertificate), out _);
            var answer = await client.SendAsync(HttpMethod.Get, "v1/lockbox/requests" + (query.Count == 0 ? string.Empty : "?" + string.Join('&', query)), null, cancellationToken).ConfigureAwait(false);
            if (parseResult.GetValue(json))
            {
                output.WriteLine(Cli.Json(answer.WriteTo));
                return Cli.ExitSuccess;
            }

            var requests = answer.GetProperty("requests");
            if (requests.GetArrayLength() == 0)
            {
                output.WriteLine("No lockbox requests.");
                return Cli.ExitSuccess;
            }

            foreach (var request in requests.EnumerateArray())
            {
                output.WriteLine(
                    $"{Text(request, "id")}  {Text(request, "state"),-9}  {Text(request, "account")}/{Text(request, "container")}{(request.TryGetProperty("prefix", out var p) ? "/" + p.GetString() : string.Empty)}  " +
                    $"{Text(request, "access")}  {Text(request, "durationMinutes")}m  by {Text(request, "requester")}");
            }

            return Cli.ExitSuccess;
        });
        return command;
    }

    private static Command Show(TextWriter output)
    {
        var id = IdArgument();
        var session = SessionFile.Option();
        var caCertificate = SessionFile.CaCertificateOption();
        var json = Cli.JsonOption();
        var command = new Command("show", "Show one lockbox request.") { id, session, caCertificate, json };
        command.SetAction(async (parseResult, cancellationToken) =>
        {
            using var client = ManagementClient.FromSession(parseResult.GetValue(session), parseResult.GetValue(caCertificate), out _);
            var answer = await client.SendAsync(HttpMethod.Get, RequestPath(parseResult.GetValue(id)!), null, cancellationToken).ConfigureAwait(false);
            WriteRequest(output, answer, parseResult.GetValue(json));
            return Cli.ExitSuccess;
        });
        return command;
    }

    private static Command Transition(TextWriter output, string verb, string description)
    {
        var id = IdArgument();
        var session = SessionFile.Option();
        var caCertificate = SessionFile.CaCertificateOption();
        var json = Cli.JsonOption();
        var command = new Command(verb, description) { id, session, caCertificate, json };
        command.SetAction(async (parseResult, cancellationToken) =>
        {
            using var client = ManagementClient.FromSession(parseResult.GetValue(session), parseResult.GetValue(caCertificate), out _);
            var answer = await client.SendAsync(HttpMethod.Post, RequestPath(parseResult.GetValue(id)!) + "/" + verb, EmptyBody, cancellationToken).ConfigureAwait(false);
            WriteRequest(output, answer, parseResult.GetValue(json));
            return Cli.ExitSuccess;
        });
        return command;
    }

    private static Command Deny(TextWriter output)
    {
        var id = IdArgument();
        var reason = new Option<string?>("--reason") { Description = "Why (recorded in the account's transparency log).", HelpName = "text" };
        var session = SessionFile.Option();
        var caCertificate = SessionFile.CaCertificateOption();
        var json = Cli.JsonOption();
        var command = new Command("deny", "Deny a request (a tenant administrator of its account, or a security admin); final.") { id, reason, session, caCertificate, json };
        command.SetAction(async (parseResult, cancellationToken) =>
        {
            using var client = ManagementClient.FromSession(parseResult.GetValue(session), parseResult.GetValue(caCertificate), out _);
            var answer = await client.SendAsync(HttpMethod.Post, RequestPath(parseResult.GetValue(id)!) + "/deny", body =>
            {
                body.WriteStartObject();
                if (parseResult.GetValue(reason) is { Length: > 0 } text)
                {
                    body.WriteString("reason", text);
                }

                body.WriteEndObject();
            }, cancellationToken).ConfigureAwait(false);
            WriteRequest(output, answer, parseResult.GetValue(json));
            return Cli.ExitSuccess;
        });
        return command;
    }

    private static Command Token(TextWriter output)
    {
        var id = IdArgument();
        var session = SessionFile.Option();
        var caCertificate = SessionFile.CaCertificateOption();
        var json = Cli.JsonOption();
        var command = new Command("token", "Print a grant token for an active grant (its requester, bound to this session): the data plane's bearer credential until the grant ends.") { id, session, caCertificate, json };
        command.SetAction(async (parseResult, cancellationToken) =>
        {
            using var client = ManagementClient.FromSession(parseResult.GetValue(session), parseResult.GetValue(caCertificate), out _);
            var answer = await client.SendAsync(HttpMethod.Post, RequestPath(parseResult.GetValue(id)!) + "/token", EmptyBody, cancellationToken).ConfigureAwait(false);

            // The token alone on standard output, so `TOKEN=$(strongroom lockbox token ID)` captures it.
            output.WriteLine(parseResult.GetValue(json) ? Cli.Json(answer.WriteTo) : answer.GetProperty("token").GetString());
            return Cli.ExitSuccess;
        });
        return command;
    }

    private static void EmptyBody(Utf8JsonWriter body)
    {
        body.WriteStartObject();
        body.WriteEndObject();
    }

    private static string RequestPath(string id) => "v1/lockbox/requests/" + Uri.EscapeDataString(id);

    private static void WriteRequest(TextWriter output, JsonElement request, bool json)
    {
        if (json)
        {
            output.WriteLine(Cli.Json(request.WriteTo));
            return;
        }

        output.WriteLine($"Request:        {Text(request, "id")} ({Text(request, "state")})");
        output.WriteLine($"Scope:          {Text(request, "account")}/{Text(request, "container")}{(request.TryGetProperty("prefix", out var prefix) ? "/" + prefix.GetString() + "*" : string.Empty)}");
        output.WriteLine($"Access:         {Text(request, "access")} for {Text(request, "durationMinutes")} minutes");
        output.WriteLine($"Requester:      {Text(request, "requester")} on {Text(request, "requestedOn")}");
        output.WriteLine($"Justification:  {Text(request, "justification")}");
        output.WriteLine($"Tenant:         {Optional(request, "tenantApprover", "tenantApprovedOn", "not yet approved")}");
        output.WriteLine($"Security:       {Optional(request, "securityApprover", "securityApprovedOn", "not yet approved")}");
        if (request.TryGetProperty("decidedBy", out _))
        {
            output.WriteLine($"Decided:        {Optional(request, "decidedBy", "decidedOn", string.Empty)}");
        }

        if (Text(request, "state") is "requested" or "approved")
        {
            output.WriteLine($"Expires:        {Text(request, "pendingExpiresOn")} unless {(Text(request, "state") == "requested" ? "decided" : "activated")}");
        }

        if (request.TryGetProperty("activatedOn", out _))
        {
            output.WriteLine($"Active:         {Text(request, "activatedOn")} to {Text(request, "endsOn")}");
        }

        if (request.TryGetProperty("endedBy", out _))
        {
            output.WriteLine($"Ended:          {Optional(request, "endedBy", "endedOn", string.Empty)}");
        }
    }

    private static string Text(JsonElement element, string name) =>
        element.TryGetProperty(name, out var value) ? (value.ValueKind == JsonValueKind.String ? value.GetString()! : value.GetRawText()) : string.Empty;

    private static string Optional(JsonElement element, string who, string when, string otherwise) =>
        element.TryGetProperty(who, out var by) ? $"{by.GetString()} on {Text(element, when)}" : otherwise;
}
