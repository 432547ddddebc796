using System.CommandLine;
using System.Globalization;
using System.Text.Json;
using Strongroom.Core;
using Strongroom.Destruction;

namespace Strongroom.Cli;

/// <summary>
/// <c>strongroom account protection</c> (versioning, blob and container soft delete, permanent
/// delete) and <c>strongroom container legal-hold set|clear|show</c> (issue 7): on the host with
/// <c>--data</c>, or over the management plane with <c>--session</c> (the account's tenant
/// administrators change them; its audit admins read them).
/// </summary>
internal static class ProtectionCommands
{
    public static Command AccountProtectionCommand(TextWriter output)
    {
        var name = Cli.AccountNameArgument();
        var versioning = OnOffOption("--versioning", "Blob versioning: on or off.");
        var blobDays = RetentionOption("--blob-soft-delete-days", "Blob soft delete: keep deleted blobs this many days (1–365), or off.");
        var containerDays = RetentionOption("--container-soft-delete-days", "Container soft delete: keep deleted containers this many days (1–365), or off.");
        var permanent = OnOffOption("--allow-permanent-delete", "Allow deleting soft-deleted versions and snapshots permanently (Azure's allowPermanentDelete): on or off.");
        var data = Cli.DataOption();
        var dev = Cli.DevDataOption();
        var json = Cli.JsonOption();
        var session = SessionFile.Option();
        var caCertificate = SessionFile.CaCertificateOption();
        var command = new Command("protection", "Show or change the account's data protection: versioning, blob and container soft delete, permanent delete. Without a setting it shows them. On the host with --data, or over the management plane with --session (its tenant administrators change them; audit admins read).")
        {
            name, versioning, blobDays, containerDays, permanent, data, dev, json, session, caCertificate,
        };
        AddSessionValidators(command, session, data, dev, caCertificate);
        command.SetAction(async (parseResult, cancellationToken) =>
        {
            var account = Cli.RequireValidName(parseResult.GetValue(name));
            var change = new DataProtectionChange(
                ParseOnOff(parseResult.GetValue(versioning), "--versioning"),
                ParseRetention(parseResult.GetValue(blobDays), "--blob-soft-delete-days"),
                ParseRetention(parseResult.GetValue(containerDays), "--container-soft-delete-days"),
                ParseOnOff(parseResult.GetValue(permanent), "--allow-permanent-delete"));
            DataProtectionSettings settings;
            if (parseResult.GetResult(session) is not null)
            {
                using var client = ManagementClient.FromSession(parseResult.GetValue(session), parseResult.GetValue(caCertificate), out _);
                var path = $"v1/accounts/{Uri.EscapeDataString(account)}/protection";
                var answer = change.IsEmpty
                    ? await client.SendAsync(HttpMethod.Get, path, null, cancellationToken).ConfigureAwait(false)
                    : await client.SendAsync(HttpMethod.Put, path, writer => WriteChange(writer, change), cancellationToken).ConfigureAwait(false);
                settings = ReadSettings(answer);
            }
            else
            {
                await using var deployment = await Cli.OpenExistingAsync(parseResult.GetValue(data), parseResult.GetValue(dev), cancellationToken).ConfigureAwait(false);
                settings = change.IsEmpty
                    ? await deployment.Protection.GetAsync(account, cancellationToken).ConfigureAwait(false)
                    : await deployment.Protection.SetAsync(account, change, cancellationToken).ConfigureAwait(false);
            }

            WriteSettings(output, account, settings, parseResult.GetValue(json));
            return Cli.ExitSuccess;
        });
        return command;
    }

    public static Command LegalHoldCommand(TextWriter output)
    {
        var command = new Command("legal-hold", "A container's legal hold (Azure's tags): while it has one, nothing in the container can be deleted or purged, nor the container itself.");
        command.Subcommands.Add(LegalHoldSubcommand(output, "set", "Add legal-hold tags (3–23 letters or digits; at most 10 on a container)."));
        command.Subcommands.Add(LegalHoldSubcommand(output, "clear", "Remove legal-hold tags; the hold ends when none remain."));
        command.Subcommands.Add(LegalHoldSubcommand(output, "show", "Show the container's legal-hold tags."));
        return command;
    }

    private static Command LegalHoldSubcommand(TextWriter output, string verb, string description)
    {
        var account = Cli.AccountNameArgument();
        var container = new Argument<string>("container") { Description = "Container name." };
        var tags = new Option<string[]>("--tag") { Description = "A legal-hold tag (repeat for several).", HelpName = "tag", AllowMultipleArgumentsPerToken = false };
        var data = Cli.DataOption();
        var dev = Cli.DevDataOption();
        var json = Cli.JsonOption();
        var session = SessionFile.Option();
        var caCertificate = SessionFile.CaCertificateOption();
        var command = new Command(verb, description + " On the host with --data, or over the management plane with --session.")
        {
            account, container, data, dev, json, session, caCertificate,
        };
        if (verb != "show")
        {
            command.Options.Add(tags);
        }

        AddSessionValidators(command, session, data, dev, caCertificate);
        command.SetAction(async (parseResult, cancellationToken) =>
        {
            var accountName = Cli.RequireValidName(parseResult.GetValue(account));
            var containerName = parseResult.GetValue(container)!;
            if (!Names.IsValidContainerName(containerName))
            {
                throw new CliException(Cli.ExitUsage, $"'{containerName}' is not a valid container name.");
            }

            var given = verb == "show" ? [] : parseResult.GetValue(tags) ?? [];
            if (verb != "show" && given.Length == 0)
            {
                throw new CliException(Cli.ExitUsage, "name at least one --tag.");
            }

            IReadOnlyList<string> result;
            if (parseResult.GetResult(session) is not null)
            {
                using var client = ManagementClient.FromSession(parseResult.GetValue(session), parseResult.GetValue(caCertificate), out _);
                var path = $"v1/accounts/{Uri.EscapeDataString(accountName)}/containers/{Uri.EscapeDataString(containerName)}/legal-hold";
                var answer = verb switch
                {
                    "show" => await client.SendAsync(HttpMethod.Get, path, null, cancellationToken).ConfigureAwait(false),
                    "set" => await client.SendAsync(HttpMethod.Put, path, writer => WriteTags(writer, given), cancellationToken).ConfigureAwait(false),
                    _ => await client.SendAsync(HttpMethod.Post, path + "/clear", writer => WriteTags(writer, given), cancellationToken).ConfigureAwait(false),
                };
                result = [.. answer.GetProperty("tags").EnumerateArray().Select(tag => tag.GetString()!)];
            }
            else
            {
                await using var deployment = await Cli.OpenExistingAsync(parseResult.GetValue(data), parseResult.GetValue(dev), cancellationToken).ConfigureAwait(false);
                result = verb switch
                {
                    "show" => await deployment.Protection.GetLegalHoldAsync(accountName, containerName, cancellationToken).ConfigureAwait(false),
                    "set" => await deployment.Protection.SetLegalHoldAsync(accountName, containerName, given, cancellationToken).ConfigureAwait(false),
                    _ => await deployment.Protection.ClearLegalHoldAsync(accountName, containerName, given, cancellationToken).ConfigureAwait(false),
                };
            }

            if (parseResult.GetValue(json))
            {
                output.WriteLine(Cli.Json(writer =>
                {
                    writer.WriteStartObject();
                    writer.WriteString("account", accountName);
                    writer.WriteString("container", containerName);
                    writer.WriteBoolean("hasLegalHold", result.Count > 0);
                    WriteTagArray(writer, result);
                    writer.WriteEndObject();
                }));
            }
            else
            {
                output.WriteLine(result.Count == 0
                    ? $"Container {accountName}/{containerName}: no legal hold."
                    : $"Container {accountName}/{containerName}: legal hold, tags {string.Join(", ", result)}.");
            }

            return Cli.ExitSuccess;
        });
        return command;
    }

    private static void AddSessionValidators(Command command, Option<string?> session, Option<string?> data, Option<bool> dev, Option<string?> caCertificate) =>
        command.Validators.Add(result =>
        {
            if (result.GetResult(session) is not null && (result.GetValue(data) is not null || result.GetValue(dev)))
            {
                result.AddError("--session works over the management plane: it contradicts --data.");
            }

            if (result.GetResult(session) is null && result.GetValue(caCertificate) is not null)
            {
                result.AddError("--ca-cert needs --session.");
            }
        });

    private static Option<string?> OnOffOption(string name, string description) => new(name) { Description = description, HelpName = "on|off" };

    private static Option<string?> RetentionOption(string name, string description) => new(name) { Description = description, HelpName = "days|off" };

    private static bool? ParseOnOff(string? text, string option) => text switch
    {
        null => null,
        "on" => true,
        "off" => false,
        _ => throw new CliException(Cli.ExitUsage, $"{option} is on or off (got '{text}')."),
    };

    private static RetentionChange? ParseRetention(string? text, string option)
    {
        if (text is null)
        {
            return null;
        }

        if (text == "off")
        {
            return new RetentionChange(null);
        }

        return int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var days) && DataProtectionSettings.IsValidRetentionDays(days)
            ? new RetentionChange(days)
            : throw new CliException(Cli.ExitUsage, $"{option} is a number of days from {Limits.BlobSoftDeleteDaysMin} to {Limits.BlobSoftDeleteDaysMax}, or off (got '{text}').");
    }

    private static void WriteChange(Utf8JsonWriter writer, DataProtectionChange change)
    {
        writer.WriteStartObject();
        if (change.Versioning is { } versioning)
        {
            writer.WriteBoolean("versioning", versioning);
        }

        WriteRetention(writer, "blobSoftDeleteDays", change.BlobSoftDeleteDays);
        WriteRetention(writer, "containerSoftDeleteDays", change.ContainerSoftDeleteDays);
        if (change.AllowPermanentDelete is { } permanent)
        {
            writer.WriteBoolean("allowPermanentDelete", permanent);
        }

        writer.WriteEndObject();

        static void WriteRetention(Utf8JsonWriter writer, string name, RetentionChange? change)
        {
            if (change is null)
            {
                return;
            }

            if (change.Days is { } days)
            {
                writer.WriteNumber(name, days);
            }
            else
            {
                writer.WriteNull(name);
            }
        }
    }

    private static void WriteTags(Utf8JsonWriter writer, IReadOnlyList<string> tags)
    {
        writer.WriteStartObject();
        WriteTagArray(writer, tags);
        writer.WriteEndObject();
    }

    private static void WriteTagArray(Utf8JsonWriter writer, IReadOnlyList<string> tags)
    {
        writer.WriteStartArray("tags");
        foreach (var tag in tags)
        {
            writer.WriteStringValue(tag);
        }

        writer.WriteEndArray();
    }

    private static DataProtectionSettings ReadSettings(JsonElement answer)
    {
        static int? Days(JsonElement answer, string name) =>
            answer.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.Number ? value.GetInt32() : null;

        return new DataProtectionSettings(
            answer.GetProperty("versioning").GetBoolean(),
            Days(answer, "blobSoftDeleteDays"),
            Days(answer, "containerSoftDeleteDays"),
            answer.GetProperty("allowPermanentDelete").GetBoolean());
    }

    private static void WriteSettings(TextWriter output, string account, DataProtectionSettings settings, bool json)
    {
        if (json)
        {
            output.WriteLine(Cli.Json(writer =>
            {
                writer.WriteStartObject();
                writer.WriteString("account", account);
                writer.WriteBoolean("versioning", settings.Versioning);
                WriteDays(writer, "blobSoftDeleteDays", settings.BlobSoftDeleteDays);
                WriteDays(writer, "containerSoftDeleteDays", settings.ContainerSoftDeleteDays);
                writer.WriteBoolean("allowPermanentDelete", settings.AllowPermanentDelete);
                writer.WriteEndObject();
            }));
            return;
        }

        output.WriteLine($"Account {account} data protection:");
        output.WriteLine($"  versioning:             {(settings.Versioning ? "on" : "off")}");
        output.WriteLine($"  blob soft delete:       {Days(settings.BlobSoftDeleteDays)}");
        output.WriteLine($"  container soft delete:  {Days(settings.ContainerSoftDeleteDays)}");
        output.WriteLine($"  allow permanent delete: {(settings.AllowPermanentDelete ? "on" : "off")}");

        static string Days(int? days) => days is { } value ? value.ToString(CultureInfo.InvariantCulture) + (value == 1 ? " day" : " days") : "off";

        static void WriteDays(Utf8JsonWriter writer, string name, int? days)
        {
            if (days is { } value)
            {
                writer.WriteNumber(name, value);
            }
            else
            {
                writer.WriteNull(name);
            }
        }
    }
}
