using System.CommandLine;
using System.Globalization;
using System.Text.Json;
using Strongroom.Core;
using Strongroom.Destruction;

namespace Strongroom.Cli;

/// <summary>
/// Crypto-shredding from the command line (docs/destruction.md): <c>strongroom account close |
/// reopen | destructions | delete</c> and <c>strongroom purge</c>. Each runs on the host with
/// <c>--data</c> (inside the running server over its control socket, like every data-directory
/// command) or, but <c>delete</c>, over the management plane with <c>--session</c>, where the
/// plane decides who may: close and reopen the account's tenant administrators and system admins,
/// purge its tenant administrators only, destructions its tenant administrators (also after
/// closure) and audit admins.
/// </summary>
internal static class DestructionCommands
{
    public static Command AccountCloseCommand(TextWriter output)
    {
        var name = Cli.AccountNameArgument();
        var grace = new Option<int?>("--grace-days") { Description = $"Days until the account's keys are destroyed, 0 to {Limits.AccountCloseGraceMax.TotalDays:0} (default {Limits.AccountCloseGraceDefault.TotalDays:0}); until then `strongroom account reopen` takes the closure back.", HelpName = "n" };
        grace.Validators.Add(result =>
        {
            if (result.Tokens.Count == 1 && int.TryParse(result.Tokens[0].Value, CultureInfo.InvariantCulture, out var days) && (days < 0 || days > Limits.AccountCloseGraceMax.TotalDays))
            {
                result.AddError($"--grace-days is 0 to {Limits.AccountCloseGraceMax.TotalDays:0} (got {days}).");
            }
        });
        var yes = new Option<bool>("--yes") { Description = "Confirm: the account is refused at once, and its keys and data are destroyed for good when the grace period ends." };
        var source = Source();
        var command = new Command("close", "Close an account (requires --yes): the data plane refuses it at once (403 AccountIsDisabled); when the grace period ends every key of the account is destroyed and its data swept from every site.") { name, grace, yes };
        source.AddTo(command);
        command.SetAction(async (parseResult, cancellationToken) =>
        {
            var account = Cli.RequireValidName(parseResult.GetValue(name));
            if (!parseResult.GetValue(yes))
            {
                throw new CliException(Cli.ExitUsage, $"refusing to close account '{account}' without --yes: when the grace period ends its keys and data are destroyed for good. Run `strongroom account close {account} --yes` to confirm.");
            }

            var days = parseResult.GetValue(grace) ?? (int)Limits.AccountCloseGraceDefault.TotalDays;
            var closed = await source.RunAsync(
                parseResult,
                async client => ReadAccountState(await client.SendAsync(HttpMethod.Post, AccountPath(account, "close"), writer =>
                {
                    writer.WriteStartObject();
                    writer.WriteNumber("graceDays", days);
                    writer.WriteEndObject();
                }, cancellationToken).ConfigureAwait(false)),
                deployment => deployment.Destruction.CloseAccountAsync(account, TimeSpan.FromDays(days), cancellationToken),
                cancellationToken).ConfigureAwait(false);
            output.WriteLine($"Closed account {account}: refused from now on; its keys are destroyed after {Cli.FormatTime(closed.DestroyAfter!.Value)} unless `strongroom account reopen {account}` runs first.");
            return Cli.ExitSuccess;
        });
        return command;
    }

    public static Command AccountReopenCommand(TextWriter output)
    {
        var name = Cli.AccountNameArgument();
        var source = Source();
        var command = new Command("reopen", "Reopen a closed account before its grace period ends: it works again as before.") { name };
        source.AddTo(command);
        command.SetAction(async (parseResult, cancellationToken) =>
        {
            var account = Cli.RequireValidName(parseResult.GetValue(name));
            await source.RunAsync(
                parseResult,
                async client => ReadAccountState(await client.SendAsync(HttpMethod.Post, AccountPath(account, "reopen"), writer =>
                {
                    writer.WriteStartObject();
                    writer.WriteEndObject();
                }, cancellationToken).ConfigureAwait(false)),
                deployment => deployment.Destruction.ReopenAccountAsync(account, cancellationToken),
                cancellationToken).ConfigureAwait(false);
            output.WriteLine($"Reopened account {account}.");
            return Cli.ExitSuccess;
        });
        return command;
    }

    public static Command AccountDestructionsCommand(TextWriter output)
    {
        var name = Cli.AccountNameArgument();
        var id = new Argument<string?>("id") { Description = "One destruction (default: list them all).", Arity = ArgumentArity.ZeroOrOne };
        var json = Cli.JsonOption();
        var source = Source();
        var command = new Command("destructions", "The account's destructions: keys destroyed, counts, each site's sweep, times. Also readable after the account was closed or destroyed.") { name, id, json };
        source.AddTo(command);
        command.SetAction(async (parseResult, cancellationToken) =>
        {
            var account = Cli.RequireValidName(parseResult.GetValue(name));
            var one = parseResult.GetValue(id);
            var records = await source.RunAsync<IReadOnlyList<DestructionRecord>>(
                parseResult,
                async client =>
                {
                    var path = AccountPath(account, "destructions") + (one is null ? string.Empty : "/" + Uri.EscapeDataString(one));
                    var answer = await client.SendAsync(HttpMethod.Get, path, null, cancellationToken).ConfigureAwait(false);
                    try
                    {
                        return one is null ? [.. answer.GetProperty("destructions").EnumerateArray().Select(DestructionJson.Read)] : [DestructionJson.Read(answer)];
                    }
                    catch (Exception exception) when (exception is JsonException or KeyNotFoundException or InvalidOperationException)
                    {
                        throw new CliException(Cli.ExitFailure, $"{client.Server} answered with JSON this CLI does not understand.");
                    }
                },
                async deployment => one is null
                    ? await deployment.Destruction.ListDestructionsAsync(account, cancellationToken).ConfigureAwait(false)
                    : [await deployment.Destruction.GetDestructionAsync(account, one, cancellationToken).ConfigureAwait(false)],
                cancellationToken).ConfigureAwait(false);

            if (parseResult.GetValue(json))
            {
                output.WriteLine(Cli.Json(writer =>
                {
                    if (one is not null)
                    {
                        DestructionJson.Write(writer, records[0]);
                        return;
                    }

                    writer.WriteStartObject();
                    writer.WriteStartArray("destructions");
                    foreach (var record in records)
                    {
                        DestructionJson.Write(writer, record);
                    }

                    writer.WriteEndArray();
                    writer.WriteEndObject();
                }));
            }
            else if (one is not null)
            {
                WriteDetail(output, records[0]);
            }
            else if (records.Count == 0)
            {
                output.WriteLine($"Account {account} has no destructions.");
            }
            else
            {
                output.WriteLine($"{"ID",-36} {"KIND",-9} {"STATE",-8} {"KEYS DESTROYED",-20} SCOPE");
                foreach (var record in records)
                {
                    output.WriteLine($"{record.Id,-36} {new CertificateScope(record.Kind, record.Scope).KindName,-9} {DestructionJson.StateName(record.State),-8} {Cli.FormatTime(record.KeysDestroyedOn),-20} {record.Scope}");
                }
            }

            return Cli.ExitSuccess;
        });
        return command;
    }

    /// <summary>
    /// <c>strongroom account delete NAME --yes</c>: the account destroyed now — closed with no grace,
    /// every key destroyed, swept, certified. Its name stays taken (a destroyed account is never
    /// created again) and <c>account show</c> reports it Destroyed.
    /// </summary>
    public static Command AccountDeleteCommand(TextWriter output)
    {
        var name = Cli.AccountNameArgument();
        var data = Cli.DataOption();
        var dev = Cli.DevDataOption();
        var yes = new Option<bool>("--yes") { Description = "Confirm: the account's keys are destroyed now and its containers and blobs can never be read again." };
        var command = new Command("delete", "Destroy an account now (requires --yes): crypto-shredding with no grace period — every key destroyed, every copy swept, a destruction certificate issued. The name stays taken.") { name, data, dev, yes };
        command.SetAction(async (parseResult, cancellationToken) =>
        {
            var account = Cli.RequireValidName(parseResult.GetValue(name));
            if (!parseResult.GetValue(yes))
            {
                throw new CliException(Cli.ExitUsage, $"refusing to delete account '{account}' without --yes: its keys would be destroyed and its containers and blobs lost for good. Run `strongroom account delete {account} --yes` to confirm.");
            }

            await using var deployment = await Cli.OpenExistingAsync(parseResult.GetValue(data), parseResult.GetValue(dev), cancellationToken).ConfigureAwait(false);
            await Cli.GetAccountAsync(deployment, account, cancellationToken).ConfigureAwait(false);
            var destruction = await deployment.Destruction.DestroyAccountNowAsync(account, cancellationToken).ConfigureAwait(false);
            output.WriteLine(destruction.State == DestructionState.Complete
                ? $"Deleted account {account}: its keys are destroyed and every copy is swept (destruction {destruction.Id}; `strongroom certificate list {account}`)."
                : $"Deleted account {account}: its keys are destroyed; copies on sites that are down are swept when they return (destruction {destruction.Id}).");
            return Cli.ExitSuccess;
        });
        return command;
    }

    /// <summary><c>strongroom purge ACCOUNT CONTAINER (--version V | --blob B) --yes</c>: early purge of soft-deleted data.</summary>
    public static Command PurgeCommand(TextWriter output)
    {
        var name = Cli.AccountNameArgument();
        var container = new Argument<string>("container") { Description = "Container name." };
        var version = new Option<string?>("--version") { Description = "A soft-deleted container's version (from List Containers include=deleted): the whole container is destroyed.", HelpName = "version" };
        var blob = new Option<string?>("--blob") { Description = "A blob whose soft-deleted versions and deleted instances are destroyed (its current version stays).", HelpName = "name" };
        var yes = new Option<bool>("--yes") { Description = "Confirm: the data's keys are destroyed now; it can no longer be restored." };
        var json = Cli.JsonOption();
        var source = Source();
        var command = new Command("purge", "Destroy soft-deleted data before its retention ends (requires --yes): a soft-deleted container (--version) or a blob's soft-deleted instances (--blob). The account's tenant administrators' call.") { name, container, version, blob, yes, json };
        source.AddTo(command);
        command.Validators.Add(result =>
        {
            if ((result.GetValue(version) is null) == (result.GetValue(blob) is null))
            {
                result.AddError("name exactly one of --version (a soft-deleted container) or --blob (a blob's soft-deleted instances).");
            }
        });
        command.SetAction(async (parseResult, cancellationToken) =>
        {
            var account = Cli.RequireValidName(parseResult.GetValue(name));
            var containerName = parseResult.GetValue(container)!;
            if (!Names.IsValidContainerName(containerName))
            {
                throw new CliException(Cli.ExitUsage, $"'{containerName}' is not a valid container name.");
            }

            var versionId = parseResult.GetValue(version);
            var blobName = parseResult.GetValue(blob);
            var what = versionId is not null ? $"soft-deleted container {account}/{containerName} ({versionId})" : $"the soft-deleted instances of {account}/{containerName}/{blobName}";
            if (!parseResult.GetValue(yes))
            {
                throw new CliException(Cli.ExitUsage, $"refusing to purge {what} without --yes: its keys would be destroyed and it could no longer be restored.");
            }

            if (versionId is not null)
            {
                var destruction = await source.RunAsync(
                    parseResult,
                    async client => DestructionJson.Read(await client.SendAsync(HttpMethod.Post, AccountPath(account, "purge"), writer =>
                    {
                        writer.WriteStartObject();
                        writer.WriteString("container", containerName);
                        writer.WriteString("version", versionId);
                        writer.WriteEndObject();
                    }, cancellationToken).ConfigureAwait(false)),
                    deployment => deployment.Destruction.PurgeContainerAsync(account, containerName, versionId, cancellationToken),
                    cancellationToken).ConfigureAwait(false);
                if (parseResult.GetValue(json))
                {
                    output.WriteLine(Cli.Json(writer => DestructionJson.Write(writer, destruction)));
                }
                else
                {
                    output.WriteLine($"Purged {what}: destruction {destruction.Id}, {destruction.ObjectCount} objects, sweep {DestructionJson.StateName(destruction.State)}.");
                }

                return Cli.ExitSuccess;
            }

            var purged = await source.RunAsync(
                parseResult,
                async client => (await client.SendAsync(HttpMethod.Post, AccountPath(account, "purge"), writer =>
                {
                    writer.WriteStartObject();
                    writer.WriteString("container", containerName);
                    writer.WriteString("blob", blobName);
                    writer.WriteEndObject();
                }, cancellationToken).ConfigureAwait(false)).GetProperty("instancesPurged").GetInt32(),
                deployment => deployment.Destruction.PurgeBlobAsync(account, containerName, blobName!, cancellationToken),
                cancellationToken).ConfigureAwait(false);
            if (parseResult.GetValue(json))
            {
                output.WriteLine(Cli.Json(writer =>
                {
                    writer.WriteStartObject();
                    writer.WriteString("account", account);
                    writer.WriteString("container", containerName);
                    writer.WriteString("blob", blobName);
                    writer.WriteNumber("instancesPurged", purged);
                    writer.WriteEndObject();
                }));
            }
            else
            {
                output.WriteLine($"Purged {purged} soft-deleted instance{(purged == 1 ? string.Empty : "s")} of {account}/{containerName}/{blobName}.");
            }

            return Cli.ExitSuccess;
        });
        return command;
    }

    private static string AccountPath(string account, string rest) => $"v1/accounts/{Uri.EscapeDataString(account)}/{rest}";

    private static AccountRecord ReadAccountState(JsonElement answer)
    {
        static DateTimeOffset? Time(JsonElement answer, string name) =>
            answer.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.String
                ? DateTimeOffset.Parse(value.GetString()!, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal | DateTimeStyles.AdjustToUniversal)
                : null;

        return new AccountRecord(
            answer.GetProperty("account").GetString()!,
            [],
            [],
            [],
            DateTimeOffset.MinValue,
            Enum.Parse<AccountState>(answer.GetProperty("state").GetString()!))
        {
            ClosedOn = Time(answer, "closedOn"),
            DestroyAfter = Time(answer, "destroyAfter"),
        };
    }

    private static void WriteDetail(TextWriter output, DestructionRecord record)
    {
        output.WriteLine($"Destruction:      {record.Id}");
        output.WriteLine($"Scope:            {new CertificateScope(record.Kind, record.Scope).KindName} {record.Scope}");
        output.WriteLine($"State:            {DestructionJson.StateName(record.State)}");
        output.WriteLine($"Keys destroyed:   {Cli.FormatTime(record.KeysDestroyedOn)}");
        output.WriteLine($"Sweep completed:  {(record.SweepCompletedOn is { } done ? Cli.FormatTime(done) : "not yet")}");
        output.WriteLine($"Objects:          {record.ObjectCount} ({record.ByteCount} bytes)");
        output.WriteLine("Keys:");
        foreach (var key in record.Keys)
        {
            output.WriteLine(key.DestroyedOn is { } destroyed
                ? $"  {key.Id}  destroyed {Cli.FormatTime(destroyed)}"
                : $"  {key.Id}  scheduled {(key.ScheduledOn is { } scheduled ? Cli.FormatTime(scheduled) : "?")}");
        }

        output.WriteLine("Sites:");
        foreach (var site in record.Sites)
        {
            output.WriteLine($"  {site.SiteId}  {site.Copies} copies  {(site.SweepComplete ? "swept " + (site.CompletedOn is { } on ? Cli.FormatTime(on) : string.Empty) : "sweep pending")}");
        }
    }

    /// <summary>Where a command runs: the data directory (<c>--data</c>, <c>--dev</c>), or the management plane with <c>--session</c> (and <c>--ca-cert</c>).</summary>
    private static HostOrPlaneOptions Source() => new("--session works over the management plane: it contradicts --data.", caCertificateNeedsSession: true);
}
