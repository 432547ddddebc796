using System.CommandLine;
using System.Text.Json;
using QRCoder;
using Strongroom.Access;
using Strongroom.Core;
using Strongroom.Server;

namespace Strongroom.Cli;

/// <summary>
/// Operators and tenant administrators: <c>operator create|list|disable</c>, <c>login</c>,
/// <c>logout</c>, <c>whoami</c>, <c>account admin create|list|disable</c>. Two modes: on the host
/// (<c>--data</c> or <c>--dev</c>, no <c>--session</c>) a command runs against the data directory
/// (inside the server when one runs there) — creating the first operator, and tenant
/// administrators at any time; otherwise through the management plane with the session that
/// <c>strongroom login</c> saved. Passwords and codes are prompted without echo on a terminal, else
/// read one per line from standard input; they and the session token are never printed.
/// </summary>
internal static class OperatorCommands
{
    public static IEnumerable<Command> All(TextWriter output) =>
    [
        OperatorCommand(output),
        LoginCommand(output),
        LogoutCommand(output),
        WhoAmICommand(output),
    ];

    /// <summary><c>account admin create|list|disable</c>.</summary>
    public static Command AccountAdminCommand(TextWriter output)
    {
        var command = new Command("admin", "Manage an account's tenant administrators (on the host with --data, or through the management plane).");
        command.Subcommands.Add(AdminCreateCommand(output));
        command.Subcommands.Add(AdminListCommand(output));
        command.Subcommands.Add(AdminDisableCommand(output));
        return command;
    }

    private static Command OperatorCommand(TextWriter output)
    {
        var command = new Command("operator", "Manage platform operators (system, security and audit admins; none reads customer data).");
        command.Subcommands.Add(OperatorCreateCommand(output));
        command.Subcommands.Add(OperatorListCommand(output));
        command.Subcommands.Add(OperatorDisableCommand(output));
        return command;
    }

    private static Command OperatorCreateCommand(TextWriter output)
    {
        var name = NameArgument("Operator name: 3 to 32 characters, lowercase letters, digits, '-', '.' and '_'.");
        var role = new Option<string>("--role")
        {
            Description = "Exactly one role: system-admin (sites, accounts, service), security-admin (approvals, key policy, operators) or audit-admin (platform log).",
            Required = true,
            HelpName = "role",
        };
        role.AcceptOnlyFromAmong("system-admin", "security-admin", "audit-admin");
        var noSecondFactor = NoSecondFactorOption();
        var mode = Mode();
        var json = Cli.JsonOption();
        var command = new Command("create", "Create an operator with a password (prompted) and a TOTP second factor (shown once). On the host (--data) only the first operator; then a security admin through the plane.")
        {
            name, role, noSecondFactor,
        };
        mode.AddTo(command);
        command.Options.Add(json);
        command.SetAction(async (parseResult, cancellationToken) =>
        {
            var operatorName = parseResult.GetValue(name)!;
            PrincipalIds.TryParseRole(parseResult.GetValue(role), out var operatorRole);
            var secondFactor = parseResult.GetValue(noSecondFactor) ? SecondFactor.None : SecondFactor.Totp;
            var password = ReadNewPassword();
            var enrolled = await EnrollAsync(
                mode,
                parseResult,
                deployment => deployment.Identities.CreateOperatorAsync(null, operatorName, operatorRole, password, secondFactor, cancellationToken),
                "v1/operators",
                body =>
                {
                    body.WriteString("name", operatorName);
                    body.WriteString("role", PrincipalIds.RoleName(operatorRole));
                    body.WriteString("password", password);
                    if (secondFactor == SecondFactor.None)
                    {
                        body.WriteString("secondFactor", SecondFactors.Name(SecondFactor.None));
                    }
                },
                cancellationToken).ConfigureAwait(false);
            WriteEnrolled(output, enrolled, parseResult.GetValue(json));
            return Cli.ExitSuccess;
        });
        return command;
    }

    private static Command OperatorListCommand(TextWriter output)
    {
        var session = SessionFile.Option();
        var caCertificate = SessionFile.CaCertificateOption();
        var json = Cli.JsonOption();
        var command = new Command("list", "List the operators (a security or audit admin's session).") { session, caCertificate, json };
        command.SetAction(async (parseResult, cancellationToken) =>
        {
            using var client = ManagementClient.FromSession(parseResult.GetValue(session), parseResult.GetValue(caCertificate), out _);
            var answer = await client.SendAsync(HttpMethod.Get, "v1/operators", null, cancellationToken).ConfigureAwait(false);
            return WriteListing(output, answer.GetProperty("operators"), parseResult.GetValue(json), withRole: true);
        });
        return command;
    }

    private static Command OperatorDisableCommand(TextWriter output)
    {
        var name = NameArgument("The operator to disable.");
        var session = SessionFile.Option();
        var caCertificate = SessionFile.CaCertificateOption();
        var command = new Command("disable", "Disable an operator and end its sessions (a security admin; never yourself, never the last security admin).") { name, session, caCertificate };
        command.SetAction(async (parseResult, cancellationToken) =>
        {
            var operatorName = parseResult.GetValue(name)!;
            using var client = ManagementClient.FromSession(parseResult.GetValue(session), parseResult.GetValue(caCertificate), out _);
            await client.SendAsync(HttpMethod.Post, $"v1/operators/{Uri.EscapeDataString(operatorName)}/disable", EmptyBody, cancellationToken).ConfigureAwait(false);
            output.WriteLine($"Disabled operator {operatorName}; its sessions have ended.");
            return Cli.ExitSuccess;
        });
        return command;
    }

    private static Command AdminCreateCommand(TextWriter output)
    {
        var account = Cli.AccountNameArgument();
        var name = NameArgument("Administrator name: 3 to 32 characters, lowercase letters, digits, '-', '.' and '_'.");
        var noSecondFactor = NoSecondFactorOption();
        var mode = Mode();
        var json = Cli.JsonOption();
        var command = new Command("create", "Create a tenant administrator of the account with a password (prompted) and a TOTP second factor (shown once).") { account, name, noSecondFactor };
        mode.AddTo(command);
        command.Options.Add(json);
        command.SetAction(async (parseResult, cancellationToken) =>
        {
            var accountName = Cli.RequireValidName(parseResult.GetValue(account));
            var adminName = parseResult.GetValue(name)!;
            var secondFactor = parseResult.GetValue(noSecondFactor) ? SecondFactor.None : SecondFactor.Totp;
            var password = ReadNewPassword();
            var enrolled = await EnrollAsync(
                mode,
                parseResult,
                deployment => deployment.Identities.CreateTenantAdminAsync(null, accountName, adminName, password, secondFactor, cancellationToken),
                $"v1/accounts/{accountName}/admins",
                body =>
                {
                    body.WriteString("name", adminName);
                    body.WriteString("password", password);
                    if (secondFactor == SecondFactor.None)
                    {
                        body.WriteString("secondFactor", SecondFactors.Name(SecondFactor.None));
                    }
                },
                cancellationToken).ConfigureAwait(false);
            WriteEnrolled(output, enrolled, parseResult.GetValue(json));
            return Cli.ExitSuccess;
        });
        return command;
    }

    private static Command AdminListCommand(TextWriter output)
    {
        var account = Cli.AccountNameArgument();
        var mode = Mode();
        var json = Cli.JsonOption();
        var command = new Command("list", "List the account's tenant administrators.") { account };
        mode.AddTo(command);
        command.Options.Add(json);
        command.SetAction(async (parseResult, cancellationToken) =>
        {
            var accountName = Cli.RequireValidName(parseResult.GetValue(account));
            JsonElement admins;
            if (mode.IsHost(parseResult))
            {
                await using var deployment = await mode.OpenHostAsync(parseResult, cancellationToken).ConfigureAwait(false);
                var list = await deployment.Identities.ListTenantAdminsAsync(null, accountName, cancellationToken).ConfigureAwait(false);
                using var document = JsonDocument.Parse(Cli.Json(writer => WriteAdmins(writer, list, deployment.Identities.IsLocked)));
                admins = document.RootElement.GetProperty("admins").Clone();
            }
            else
            {
                using var client = mode.Client(parseResult);
                admins = (await client.SendAsync(HttpMethod.Get, $"v1/accounts/{accountName}/admins", null, cancellationToken).ConfigureAwait(false)).GetProperty("admins");
            }

            return WriteListing(output, admins, parseResult.GetValue(json), withRole: false);
        });
        return command;
    }

    private static Command AdminDisableCommand(TextWriter output)
    {
        var account = Cli.AccountNameArgument();
        var name = NameArgument("The administrator to disable.");
        var mode = Mode();
        var command = new Command("disable", "Disable a tenant administrator and end its sessions.") { account, name };
        mode.AddTo(command);
        command.SetAction(async (parseResult, cancellationToken) =>
        {
            var accountName = Cli.RequireValidName(parseResult.GetValue(account));
            var adminName = parseResult.GetValue(name)!;
            if (mode.IsHost(parseResult))
            {
                await using var deployment = await mode.OpenHostAsync(parseResult, cancellationToken).ConfigureAwait(false);
                await deployment.Identities.DisableTenantAdminAsync(null, accountName, adminName, cancellationToken).ConfigureAwait(false);
            }
            else
            {
                using var client = mode.Client(parseResult);
                await client.SendAsync(HttpMethod.Post, $"v1/accounts/{accountName}/admins/{Uri.EscapeDataString(adminName)}/disable", EmptyBody, cancellationToken).ConfigureAwait(false);
            }

            output.WriteLine($"Disabled administrator {adminName} of account {accountName}; its sessions have ended.");
            return Cli.ExitSuccess;
        });
        return command;
    }

    private static Command LoginCommand(TextWriter output)
    {
        var name = NameArgument("Your operator or administrator name.");
        var server = new Option<string>("--server") { Description = "The management plane's address, e.g. https://host:10010/ (see the server's banner).", Required = true, HelpName = "url" };
        var caCertificate = new Option<string?>("--ca-cert") { Description = "Trust this PEM certificate (e.g. the server's generated tls/server.crt).", HelpName = "file" };
        var account = new Option<string?>("--account") { Description = "Sign in as an administrator of this account (without it: as an operator).", HelpName = "account" };
        var session = SessionFile.Option();
        var json = Cli.JsonOption();
        var command = new Command("login", "Sign in to the management plane with password and TOTP code (prompted; else the first and second lines of standard input) and save the session.")
        {
            name, server, caCertificate, account, session, json,
        };
        command.SetAction(async (parseResult, cancellationToken) =>
        {
            var principalName = parseResult.GetValue(name)!;
            var accountName = parseResult.GetValue(account) is { } given ? Cli.RequireValidName(given) : null;
            var kind = accountName is null ? "operator" : "tenant-admin";
            var cli = CliSession.Current;
            var password = cli.ReadSecretLine("Password (input is hidden): ") ?? throw new CliException(Cli.ExitFailure, "no password given: type it at the prompt, or pass it as the first line of standard input.");
            // Empty (or absent) only signs in a principal created with --no-second-factor.
            var code = cli.ReadSecretLine("TOTP code from your authenticator (empty if you have none): ")?.Trim() ?? string.Empty;
            using var client = ManagementClient.Anonymous(parseResult.GetValue(server)!, parseResult.GetValue(caCertificate));
            var answer = await client.SendAsync(HttpMethod.Post, "v1/login", body =>
            {
                body.WriteStartObject();
                body.WriteString("kind", kind);
                if (accountName is not null)
                {
                    body.WriteString("account", accountName);
                }

                body.WriteString("name", principalName);
                body.WriteString("password", password);
                body.WriteString("code", code);
                body.WriteEndObject();
            }, cancellationToken).ConfigureAwait(false);
            var path = SessionFile.PathOf(parseResult.GetValue(session));
            new SessionFile(client.Server, client.CaCertificate, answer.GetProperty("token").GetString()!, kind, accountName, principalName).Save(path);
            var role = answer.TryGetProperty("role", out var r) ? r.GetString() : null;
            var expiresOn = answer.GetProperty("expiresOn").GetDateTimeOffset();
            if (parseResult.GetValue(json))
            {
                output.WriteLine(Cli.Json(writer =>
                {
                    writer.WriteStartObject();
                    writer.WriteString("kind", kind);
                    if (accountName is not null)
                    {
                        writer.WriteString("account", accountName);
                    }

                    writer.WriteString("name", principalName);
                    if (role is not null)
                    {
                        writer.WriteString("role", role);
                    }

                    writer.WriteString("session", path);
                    writer.WriteString("idleExpiresOn", answer.GetProperty("idleExpiresOn").GetDateTimeOffset().ToUniversalTime());
                    writer.WriteString("expiresOn", expiresOn.ToUniversalTime());
                    writer.WriteEndObject();
                }));
                return Cli.ExitSuccess;
            }

            output.WriteLine($"Signed in as {Describe(kind, accountName, principalName, role)}; session saved in {path}.");
            output.WriteLine($"It ends after {Limits.SessionIdleTimeout.TotalMinutes:0} idle minutes, and at {Cli.FormatTime(expiresOn)} at the latest.");
            return Cli.ExitSuccess;
        });
        return command;
    }

    private static Command LogoutCommand(TextWriter output)
    {
        var session = SessionFile.Option();
        var caCertificate = SessionFile.CaCertificateOption();
        var command = new Command("logout", "End the session on the server and delete the session file.") { session, caCertificate };
        command.SetAction(async (parseResult, cancellationToken) =>
        {
            var path = SessionFile.PathOf(parseResult.GetValue(session));
            using var client = ManagementClient.FromSession(parseResult.GetValue(session), parseResult.GetValue(caCertificate), out _);
            try
            {
                await client.SendAsync(HttpMethod.Post, "v1/logout", EmptyBody, cancellationToken).ConfigureAwait(false);
                output.WriteLine("Signed out.");
            }
            catch (ManagementCallException exception) when (exception.Code == nameof(ErrorCode.SessionInvalid))
            {
                output.WriteLine("The session had already ended.");
            }
            finally
            {
                File.Delete(path);
            }

            return Cli.ExitSuccess;
        });
        return command;
    }

    private static Command WhoAmICommand(TextWriter output)
    {
        var session = SessionFile.Option();
        var caCertificate = SessionFile.CaCertificateOption();
        var json = Cli.JsonOption();
        var command = new Command("whoami", "Show who the saved session signs in as (asks the server, so an ended session shows as such).") { session, caCertificate, json };
        command.SetAction(async (parseResult, cancellationToken) =>
        {
            using var client = ManagementClient.FromSession(parseResult.GetValue(session), parseResult.GetValue(caCertificate), out var file);
            var answer = await client.SendAsync(HttpMethod.Get, "v1/whoami", null, cancellationToken).ConfigureAwait(false);
            if (parseResult.GetValue(json))
            {
                output.WriteLine(Cli.Json(writer => answer.WriteTo(writer)));
                return Cli.ExitSuccess;
            }

            var account = answer.TryGetProperty("account", out var a) ? a.GetString() : null;
            var role = answer.TryGetProperty("role", out var r) ? r.GetString() : null;
            output.WriteLine($"{Describe(answer.GetProperty("kind").GetString()!, account, answer.GetProperty("name").GetString()!, role)} at {file.Server}");
            return Cli.ExitSuccess;
        });
        return command;
    }

    private static string Describe(string kind, string? account, string name, string? role) =>
        kind == "operator" ? $"operator {name} ({role})" : $"administrator {name} of account {account}";

    /// <summary>A new principal's password: prompted twice without echo on a terminal, else the first line of standard input; checked against the rules before anything else happens.</summary>
    internal static string ReadNewPassword()
    {
        var session = CliSession.Current;
        var password = session.ReadSecretLine("New password (input is hidden): ")
            ?? throw new CliException(Cli.ExitFailure, "no password given: type it at the prompt, or pass it as the first line of standard input.");
        if (session.Interactive && session.Live is null)
        {
            var again = session.ReadSecretLine("Repeat the password: ");
            if (!string.Equals(password, again, StringComparison.Ordinal))
            {
                throw new CliException(Cli.ExitFailure, "the two passwords differ: nothing was created.");
            }
        }

        try
        {
            IdentityService.RequireValidPassword(password);
        }
        catch (StorageException exception)
        {
            throw new CliException(Cli.ExitUsage, $"{exception.Code}: {exception.Message}");
        }

        return password;
    }

    internal static void WriteEnrolled(TextWriter output, EnrolledPrincipal enrolled) => WriteEnrolled(output, EnrolledView.From(enrolled), json: false);

    private static Argument<string> NameArgument(string description) => new("name") { Description = description };

    /// <summary><c>--no-second-factor</c>: the explicit opt-out from TOTP (MLPS 2.0 8.1.4.1d asks for two factors).</summary>
    private static Option<bool> NoSecondFactorOption() => new("--no-second-factor")
    {
        Description = "DANGEROUS: no TOTP second factor; this principal signs in with its password alone. Recorded in the log, named by `strongroom compliance report` (row IA-4 fails).",
    };

    /// <summary>The warning a principal created without a second factor gets (on standard error, so --json stays parseable).</summary>
    private static void WarnPasswordOnly(EnrolledView enrolled) =>
        CliSession.Current.Error.WriteLine(
            $"warning: {(enrolled.Account is null ? "operator" : "administrator")} {enrolled.Name} has NO second factor: it signs in with its password alone. " +
            "MLPS 2.0 level 3 (8.1.4.1d) requires two factors; `strongroom compliance report` fails row IA-4 while it is enabled.");

    /// <summary>A JSON body with no members (the plane's POST verbs that take none).</summary>
    private static readonly Action<Utf8JsonWriter> EmptyBody = body =>
    {
        body.WriteStartObject();
        body.WriteEndObject();
    };

    /// <summary>Creates a principal on the host (<paramref name="onHost"/>) or through the plane (POST <paramref name="path"/> with the members <paramref name="members"/> writes).</summary>
    /// <summary>The host-or-plane options of a command: <c>--data</c>/<c>--dev</c> (host) or <c>--session</c> (plane).</summary>
    private static HostOrPlaneOptions Mode() => new("--session (through the management plane) and --data/--dev (on the host) contradict each other: choose one.");

    private static async Task<EnrolledView> EnrollAsync(HostOrPlaneOptions mode, ParseResult parseResult, Func<Deployment, Task<EnrolledPrincipal>> onHost, string path, Action<Utf8JsonWriter> members, CancellationToken cancellationToken)
    {
        if (mode.IsHost(parseResult))
        {
            await using var deployment = await mode.OpenHostAsync(parseResult, cancellationToken).ConfigureAwait(false);
            return EnrolledView.From(await onHost(deployment).ConfigureAwait(false));
        }

        using var client = mode.Client(parseResult);
        var answer = await client.SendAsync(HttpMethod.Post, path, body =>
        {
            body.WriteStartObject();
            members(body);
            body.WriteEndObject();
        }, cancellationToken).ConfigureAwait(false);
        return EnrolledView.From(answer);
    }

    /// <summary>A listing as JSON (the plane's array as is) or as a table.</summary>
    private static int WriteListing(TextWriter output, JsonElement principals, bool json, bool withRole)
    {
        if (json)
        {
            output.WriteLine(Cli.Json(writer => principals.WriteTo(writer)));
        }
        else
        {
            WritePrincipalTable(output, principals, withRole);
        }

        return Cli.ExitSuccess;
    }

    private static void WriteEnrolled(TextWriter output, EnrolledView enrolled, bool json)
    {
        if (json)
        {
            output.WriteLine(Cli.Json(writer =>
            {
                writer.WriteStartObject();
                if (enrolled.Account is not null)
                {
                    writer.WriteString("account", enrolled.Account);
                }

                writer.WriteString("name", enrolled.Name);
                if (enrolled.Role is not null)
                {
                    writer.WriteString("role", enrolled.Role);
                }

                writer.WriteString("secondFactor", enrolled.PasswordOnly ? "none" : "totp");
                if (!enrolled.PasswordOnly)
                {
                    writer.WriteString("totpSecret", enrolled.TotpSecret);
                    writer.WriteString("otpauthUri", enrolled.OtpAuthUri);
                }

                writer.WriteEndObject();
            }));
            WarnPasswordOnly(enrolled);
            return;
        }

        output.WriteLine(enrolled.Account is null
            ? $"Created operator {enrolled.Name} ({enrolled.Role})."
            : $"Created administrator {enrolled.Name} of account {enrolled.Account}.");
        if (enrolled.PasswordOnly)
        {
            WarnPasswordOnly(enrolled);
            return;
        }

        output.WriteLine("Enroll the second factor now: this secret is shown once and never again.");
        output.WriteLine($"TOTP secret (base32): {enrolled.TotpSecret}");
        output.WriteLine($"Enrollment URI:       {enrolled.OtpAuthUri}");
        output.WriteLine("Or scan:");
        output.WriteLine(QrCode(enrolled.OtpAuthUri));
    }

    /// <summary>The URI as a QR code in terminal blocks (two modules per character row).</summary>
    internal static string QrCode(string text)
    {
        using var generator = new QRCodeGenerator();
        using var data = generator.CreateQrCode(text, QRCodeGenerator.ECCLevel.M);
        using var code = new AsciiQRCode(data);
        return code.GetGraphicSmall();
    }

    /// <summary>The host's listing in the shape the plane answers (<c>{"admins":[…]}</c>).</summary>
    private static void WriteAdmins(Utf8JsonWriter json, IReadOnlyList<PrincipalRecord> admins, Func<PrincipalRecord, bool> isLocked)
    {
        json.WriteStartObject();
        json.WriteStartArray("admins");
        foreach (var admin in admins)
        {
            json.WriteStartObject();
            json.WriteString("account", admin.Account);
            json.WriteString("name", admin.Name);
            json.WriteBoolean("disabled", admin.Disabled);
            json.WriteBoolean("locked", isLocked(admin));
            json.WriteString("secondFactor", SecondFactors.Name(admin.SecondFactor));
            json.WriteString("createdOn", admin.CreatedOn.ToUniversalTime());
            json.WriteEndObject();
        }

        json.WriteEndArray();
        json.WriteEndObject();
    }

    private static void WritePrincipalTable(TextWriter output, JsonElement principals, bool withRole)
    {
        if (principals.GetArrayLength() == 0)
        {
            output.WriteLine(withRole ? "No operators." : "No administrators.");
            return;
        }

        var rows = principals.EnumerateArray().ToList();
        var width = Math.Max("NAME".Length, rows.Max(row => row.GetProperty("name").GetString()!.Length));
        output.WriteLine(withRole ? $"{"NAME".PadRight(width)}  {"ROLE",-14}  {"STATE",-8}  CREATED" : $"{"NAME".PadRight(width)}  {"STATE",-8}  CREATED");
        foreach (var row in rows)
        {
            var state = row.GetProperty("disabled").GetBoolean() ? "disabled" : row.GetProperty("locked").GetBoolean() ? "locked" : "enabled";
            var created = Cli.FormatTime(row.GetProperty("createdOn").GetDateTimeOffset());
            var rowName = row.GetProperty("name").GetString()!.PadRight(width);
            var weak = row.TryGetProperty("secondFactor", out var factor) && factor.GetString() == "none" ? "  NO SECOND FACTOR" : string.Empty;
            output.WriteLine((withRole ? $"{rowName}  {row.GetProperty("role").GetString(),-14}  {state,-8}  {created}" : $"{rowName}  {state,-8}  {created}") + weak);
        }
    }

    /// <summary>An enrollment as printed, from the service (host) or the plane's answer.</summary>
    private sealed record EnrolledView(string? Account, string Name, string? Role, string TotpSecret, string OtpAuthUri)
    {
        /// <summary>Created with --no-second-factor: no secret to show.</summary>
        public bool PasswordOnly => TotpSecret.Length == 0;

        public static EnrolledView From(EnrolledPrincipal enrolled) => new(
            enrolled.Principal.Kind == PrincipalKind.TenantAdmin ? enrolled.Principal.Account : null,
            enrolled.Principal.Name,
            enrolled.Principal.Role is { } role ? PrincipalIds.RoleName(role) : null,
            enrolled.TotpSecretBase32,
            enrolled.OtpAuthUri);

        public static EnrolledView From(JsonElement answer) => new(
            answer.TryGetProperty("account", out var account) ? account.GetString() : null,
            answer.GetProperty("name").GetString()!,
            answer.TryGetProperty("role", out var role) ? role.GetString() : null,
            answer.TryGetProperty("totpSecret", out var secret) ? secret.GetString()! : string.Empty,
            answer.TryGetProperty("otpauthUri", out var uri) ? uri.GetString()! : string.Empty);
    }
}
