using System.CommandLine;
using System.Globalization;
using System.Text;
using System.Text.Json;
using Strongroom.Audit;
using Strongroom.Core;
using Strongroom.Server;

namespace Strongroom.Cli;

/// <summary>
/// <c>strongroom audit verify | tail | export | settings | key | checkpoint</c>: the transparency
/// logs. <c>verify</c>, <c>tail</c> and <c>export</c> read a log either as the tenant over the
/// tenant endpoints (<c>--server URL --account A</c> with the account key from
/// <c>--account-key</c> or <c>$STRONGROOM_ACCOUNT_KEY</c>) or on the host from the data directory
/// (<c>--data DIR</c>, any account or <c>--platform</c>); <c>settings</c>, <c>key</c> and
/// <c>checkpoint</c> are host commands. Every data-directory command obtains its deployment through
/// <see cref="Cli.OpenExistingAsync"/>, so it runs inside the live server like the other commands.
/// </summary>
internal static class AuditCommands
{
    public const string AccountKeyVariable = "STRONGROOM_ACCOUNT_KEY";

    /// <summary>The rule a retention below the minimum breaks, quoted in the refusal.</summary>
    public static readonly string RetentionRule =
        $"audit logs are kept at least {Limits.AuditRetentionDaysMin} days: the Cyber Security Law of the PRC (art. 21) requires network logs to be kept for no less than six months.";

    public static Command Build(TextWriter output)
    {
        var command = new Command("audit", "Transparency logs: verify a log against its signed checkpoints, read it, and set what is logged.");
        command.Subcommands.Add(Verify(output));
        command.Subcommands.Add(Tail(output));
        command.Subcommands.Add(Export(output));
        command.Subcommands.Add(Settings(output));
        command.Subcommands.Add(Key(output));
        command.Subcommands.Add(CheckpointCommand(output));
        return command;
    }

    /// <summary>The options that say which log, and where it is read.</summary>
    private sealed class LogOptions
    {
        public Option<string?> Account { get; } = new("--account") { Description = "The account whose log to read.", HelpName = "name" };

        public Option<bool> Platform { get; } = new("--platform") { Description = "The platform log (seal, unseal, rekey, server start and stop, operators…): on the host with --data, or with --session as an audit or security admin." };

        public Option<string?> Session { get; } = SessionFile.Option();

        public Option<string?> Server { get; } = new("--server") { Description = "Read as the tenant from this server's tenant endpoints (https://host:port).", HelpName = "url" };

        public Option<string?> AccountKey { get; } = new("--account-key") { Description = $"With --server: one of the account's keys (or set ${AccountKeyVariable}; the environment keeps it out of shell history).", HelpName = "key" };

        public Option<string?> CaCertificate { get; } = new("--ca-cert") { Description = "With --server: trust this PEM certificate (e.g. the server's generated tls/server.crt).", HelpName = "file" };

        public Option<string?> Data { get; } = Cli.DataOption();

        public Option<bool> Dev { get; } = Cli.DevDataOption();

        public bool Remote { get; init; } = true;

        public void AddTo(Command command)
        {
            command.Options.Add(Account);
            command.Options.Add(Platform);
            if (Remote)
            {
                command.Options.Add(Server);
                command.Options.Add(AccountKey);
                command.Options.Add(CaCertificate);
                command.Options.Add(Session);
            }

            command.Options.Add(Data);
            command.Options.Add(Dev);
            command.Validators.Add(result =>
            {
                var account = result.GetValue(Account);
                var platform = result.GetValue(Platform);
                if (account is null == !platform)
                {
                    result.AddError(platform ? "--account and --platform contradict each other: choose one log." : "say which log: --account NAME, or --platform.");
                }

                if (!Remote)
                {
                    return;
                }

                var server = result.GetValue(Server);
                if (server is not null && (result.GetValue(Data) is not null || result.GetValue(Dev)))
                {
                    result.AddError("--server and --data contradict each other: read the log either as the tenant from a server, or on the host from its data directory.");
                }

                var session = result.GetResult(Session) is not null;
                if (session && (server is not null || result.GetValue(Data) is not null || result.GetValue(Dev)))
                {
                    result.AddError("--session reads the log over the management plane: it contradicts --server and --data.");
                }

                if (session && result.GetValue(AccountKey) is not null)
                {
                    result.AddError("--account-key needs --server: over the management plane the session is the credential.");
                }

                if (server is not null && platform)
                {
                    result.AddError("--platform reads the platform log on the host: use --data on the host, or --session over the management plane, not --server.");
                }

                if (server is null && result.GetValue(AccountKey) is not null)
                {
                    result.AddError("--account-key needs --server (on the host, --data reads any log without it).");
                }

                if (server is null && !session && result.GetValue(CaCertificate) is not null)
                {
                    result.AddError("--ca-cert needs --server or --session.");
                }
            });
        }

        public string Log(ParseResult parseResult) =>
            parseResult.GetValue(Platform) ? AuditLogs.Platform : Cli.RequireValidName(parseResult.GetValue(Account));

        /// <summary>
        /// Runs <paramref name="action"/> against the log the options name: over HTTPS as the tenant,
        /// or against the deployment of the data directory (inside the server when one runs).
        /// </summary>
        public async Task<int> WithReaderAsync(ParseResult parseResult, Func<IAuditLogReader, Task<int>> action, CancellationToken cancellationToken)
        {
            var log = Log(parseResult);
            if (Remote && parseResult.GetResult(Session) is not null)
            {
                using var management = new ManagementLogSource(ManagementClient.FromSession(parseResult.GetValue(Session), parseResult.GetValue(CaCertificate), out _), log);
                return await action(management).ConfigureAwait(false);
            }

            if (Remote && parseResult.GetValue(Server) is { } address)
            {
                if (!Uri.TryCreate(address, UriKind.Absolute, out var url) || (url.Scheme != Uri.UriSchemeHttps && url.Scheme != Uri.UriSchemeHttp))
                {
                    throw new CliException(Cli.ExitUsage, $"--server must be an https:// address (got '{address}').");
                }

                var key = parseResult.GetValue(AccountKey) ?? Environment.GetEnvironmentVariable(AccountKeyVariable);
                if (string.IsNullOrWhiteSpace(key))
                {
                    throw new CliException(Cli.ExitUsage, $"--server needs the account key: pass --account-key KEY or set ${AccountKeyVariable}.");
                }

                using var source = HttpLogSource.Create(url, log, key.Trim(), parseResult.GetValue(CaCertificate));
                return await action(source).ConfigureAwait(false);
            }

            await using var deployment = await Cli.OpenExistingAsync(parseResult.GetValue(Data), parseResult.GetValue(Dev), cancellationToken).ConfigureAwait(false);
            await RequireLogAsync(deployment, log, cancellationToken).ConfigureAwait(false);
            return await action(new DeploymentLogSource(deployment, log)).ConfigureAwait(false);
        }
    }

    /// <summary>An account's log outlives the account, so a log with entries is enough; else the account must exist.</summary>
    private static async Task RequireLogAsync(Deployment deployment, string log, CancellationToken cancellationToken)
    {
        if (log == AuditLogs.Platform)
        {
            return;
        }

        var head = await deployment.Audit.GetTreeHeadAsync(log, cancellationToken).ConfigureAwait(false);
        if (head.Size == 0 && await deployment.GetAccountRecordAsync(log, cancellationToken).ConfigureAwait(false) is null)
        {
            throw new CliException(Cli.ExitFailure, $"account '{log}' not found in {deployment.Directory.Root}, and it has no log.");
        }
    }

    private static Command Verify(TextWriter output)
    {
        var options = new LogOptions();
        var publicKey = new Option<string?>("--public-key")
        {
            Description = "The verifier key to check the checkpoint's signature with (name+id+key, as `strongroom audit key` prints it). Without it, the key pinned in the state directory, or on first use the server's (trust on first use).",
            HelpName = "vkey",
        };
        var stateDirectory = new Option<string?>("--state-dir")
        {
            Description = "Where the verifier keeps the pinned key and the checkpoint it verified last (default $XDG_STATE_HOME/strongroom/audit, else ~/.local/state/strongroom/audit).",
            HelpName = "dir",
        };
        var command = new Command(
            "verify",
            "Check that every entry of a log hashes into its signed checkpoint, that the signature verifies under the pinned key, and that the log is consistent with the checkpoint seen last time. Exit 1 names the failure and the first index where the log differs.");
        options.AddTo(command);
        command.Options.Add(publicKey);
        command.Options.Add(stateDirectory);
        command.SetAction(async (parseResult, cancellationToken) =>
        {
            var pinned = parseResult.GetValue(publicKey);
            var stateDir = ResolveStateDirectory(parseResult.GetValue(stateDirectory));
            return await options.WithReaderAsync(
                parseResult,
                reader => AuditVerification.RunAsync(reader, reader.Identity, pinned, stateDir, output, CliSession.Current.Error, cancellationToken),
                cancellationToken).ConfigureAwait(false);
        });
        return command;
    }

    private static Command Tail(TextWriter output)
    {
        var options = new LogOptions();
        var count = new Option<int>("-n", "--lines") { Description = "How many of the newest entries to print.", DefaultValueFactory = _ => 10, HelpName = "count" };
        count.Validators.Add(result =>
        {
            if (result.Tokens.Count == 1 && int.TryParse(result.Tokens[0].Value, CultureInfo.InvariantCulture, out var value) && value < 1)
            {
                result.AddError($"-n must be at least 1 (got {value}).");
            }
        });
        var command = new Command("tail", "Print the newest entries of a log, one line each: #index time actor action resource outcome.");
        options.AddTo(command);
        command.Options.Add(count);
        command.SetAction(async (parseResult, cancellationToken) =>
        {
            var lines = parseResult.GetValue(count);
            return await options.WithReaderAsync(
                parseResult,
                async reader =>
                {
                    var size = await reader.GetSizeAsync(cancellationToken).ConfigureAwait(false);
                    if (size == 0)
                    {
                        output.WriteLine($"The log of {reader.Description} is empty.");
                        return Cli.ExitSuccess;
                    }

                    await foreach (var entry in ReadAsync(reader, Math.Max(0, size - lines), size, cancellationToken).ConfigureAwait(false))
                    {
                        output.WriteLine(HumanLine(entry));
                    }

                    return Cli.ExitSuccess;
                },
                cancellationToken).ConfigureAwait(false);
        });
        return command;
    }

    private static Command Export(TextWriter output)
    {
        var options = new LogOptions();
        var from = new Option<long>("--from") { Description = "First index to export.", DefaultValueFactory = _ => 0, HelpName = "index" };
        var to = new Option<long?>("--to") { Description = "Stop before this index (default: the log's size).", HelpName = "index" };
        var command = new Command("export", "Print entries as JSON lines: {\"index\":…,\"leafHash\":\"…\",\"entry\":{…}}, or \"pruned\":true for entries past retention.");
        options.AddTo(command);
        command.Options.Add(from);
        command.Options.Add(to);
        command.Validators.Add(result =>
        {
            var start = result.GetValue(from);
            var end = result.GetValue(to);
            if (start < 0 || end < 0)
            {
                result.AddError("--from and --to are entry indexes: 0 or more.");
            }
            else if (end is { } stop && stop < start)
            {
                result.AddError($"--to ({stop}) is before --from ({start}).");
            }
        });
        command.SetAction(async (parseResult, cancellationToken) =>
        {
            var start = parseResult.GetValue(from);
            var stop = parseResult.GetValue(to);
            return await options.WithReaderAsync(
                parseResult,
                async reader =>
                {
                    var size = await reader.GetSizeAsync(cancellationToken).ConfigureAwait(false);
                    var end = stop ?? size;
                    if (end > size)
                    {
                        throw new CliException(Cli.ExitFailure, $"--to {end} is past the end of the log of {reader.Description} (size {size}).");
                    }

                    await foreach (var entry in ReadAsync(reader, Math.Min(start, end), end, cancellationToken).ConfigureAwait(false))
                    {
                        output.WriteLine(JsonLine(entry));
                    }

                    return Cli.ExitSuccess;
                },
                cancellationToken).ConfigureAwait(false);
        });
        return command;
    }

    private static Command Settings(TextWriter output)
    {
        var account = new Option<string>("--account") { Description = "The account.", Required = true, HelpName = "name" };
        var dataPlane = new Option<string?>("--data-plane")
        {
            Description = "Which data-plane operations are logged: none (deletions still are), writes (default: every create, write and delete), or all (reads too, recorded before data is returned).",
            HelpName = "none|writes|all",
        };
        dataPlane.AcceptOnlyFromAmong("none", "writes", "all");
        var retention = new Option<int?>("--retention-days")
        {
            Description = $"How long entry bodies are kept before pruning (hashes stay forever), {Limits.AuditRetentionDaysMin}–{Limits.AuditRetentionDaysMax} days.",
            HelpName = "days",
        };
        retention.Validators.Add(result =>
        {
            if (result.Tokens.Count == 1 && int.TryParse(result.Tokens[0].Value, CultureInfo.InvariantCulture, out var value))
            {
                if (value < Limits.AuditRetentionDaysMin)
                {
                    result.AddError($"--retention-days {value} refused: {RetentionRule}");
                }
                else if (value > Limits.AuditRetentionDaysMax)
                {
                    result.AddError($"--retention-days is at most {Limits.AuditRetentionDaysMax} (got {value}).");
                }
            }
        });
        var data = Cli.DataOption();
        var dev = Cli.DevDataOption();
        var json = Cli.JsonOption();
        var command = new Command("settings", "Show or change what an account's transparency log records and how long entry bodies are kept. A change is itself logged.")
        {
            account, dataPlane, retention, data, dev, json,
        };
        command.SetAction(async (parseResult, cancellationToken) =>
        {
            var accountName = Cli.RequireValidName(parseResult.GetValue(account));
            var newDataPlane = parseResult.GetValue(dataPlane) is { } text ? ParseDataPlane(text) : (DataPlaneLogging?)null;
            var newRetention = parseResult.GetValue(retention);
            await using var deployment = await Cli.OpenExistingAsync(parseResult.GetValue(data), parseResult.GetValue(dev), cancellationToken).ConfigureAwait(false);
            var record = await deployment.GetAccountRecordAsync(accountName, cancellationToken).ConfigureAwait(false)
                ?? throw new CliException(Cli.ExitFailure, $"account '{accountName}' not found in {deployment.Directory.Root}.");
            var changed = newDataPlane is not null || newRetention is not null;
            if (changed)
            {
                try
                {
                    record = await deployment.Audit.SetSettingsAsync(
                        accountName,
                        newDataPlane ?? record.AuditDataPlane,
                        newRetention ?? record.AuditRetentionDays,
                        cancellationToken).ConfigureAwait(false);
                }
                catch (StorageException exception) when (exception.Code == ErrorCode.InvalidAuditSetting)
                {
                    throw new CliException(Cli.ExitUsage, exception.Message);
                }
            }

            if (parseResult.GetValue(json))
            {
                output.WriteLine(Cli.Json(writer =>
                {
                    writer.WriteStartObject();
                    writer.WriteString("account", accountName);
                    writer.WriteString("dataPlane", DataPlaneName(record.AuditDataPlane));
                    writer.WriteNumber("retentionDays", record.AuditRetentionDays);
                    writer.WriteEndObject();
                }));
                return Cli.ExitSuccess;
            }

            if (changed)
            {
                output.WriteLine($"Changed the audit settings of account {accountName} (the change is recorded in its log).");
            }

            output.WriteLine($"Account:           {accountName}");
            output.WriteLine($"Data plane:        {DataPlaneName(record.AuditDataPlane)} ({DataPlaneText(record.AuditDataPlane)})");
            output.WriteLine($"Retention:         {record.AuditRetentionDays} days (entry bodies; hashes are kept forever)");
            return Cli.ExitSuccess;
        });
        return command;
    }

    private static Command Key(TextWriter output)
    {
        var options = new LogOptions { Remote = false };
        var command = new Command("key", "Print a log's verifier key (name+id+key), to hand to the tenant out of band: `strongroom audit verify --public-key` pins it.");
        options.AddTo(command);
        command.SetAction(async (parseResult, cancellationToken) =>
            await options.WithReaderAsync(
                parseResult,
                async reader =>
                {
                    output.WriteLine(await reader.GetVerifierKeyAsync(cancellationToken).ConfigureAwait(false));
                    return Cli.ExitSuccess;
                },
                cancellationToken).ConfigureAwait(false));
        return command;
    }

    private static Command CheckpointCommand(TextWriter output)
    {
        var options = new LogOptions { Remote = false };
        var command = new Command("checkpoint", "Sign a checkpoint of a log now (when it grew since the last one) and print it: the C2SP signed note.");
        options.AddTo(command);
        command.SetAction(async (parseResult, cancellationToken) =>
            await options.WithReaderAsync(
                parseResult,
                async reader =>
                {
                    output.Write(await reader.GetCheckpointNoteAsync(cancellationToken).ConfigureAwait(false));
                    return Cli.ExitSuccess;
                },
                cancellationToken).ConfigureAwait(false));
        return command;
    }

    /// <summary>Entries [start, end) in pages of at most <see cref="Limits.AuditEntriesPageMax"/>.</summary>
    internal static async IAsyncEnumerable<AuditLogEntry> ReadAsync(IAuditLogReader reader, long start, long end, [System.Runtime.CompilerServices.EnumeratorCancellation] CancellationToken cancellationToken)
    {
        for (var next = start; next < end;)
        {
            var stop = Math.Min(end, next + Limits.AuditEntriesPageMax);
            var page = await reader.GetEntriesAsync(next, stop, cancellationToken).ConfigureAwait(false);
            if (page.Entries.Count == 0)
            {
                throw new CliException(Cli.ExitFailure, $"{reader.Description} returned no entries for [{next}, {stop}).");
            }

            foreach (var entry in page.Entries)
            {
                yield return entry;
            }

            // By index, not by count: a source missing a row shows as a gap in the output.
            next = Math.Max(next + 1, page.Entries[^1].Index + 1);
        }
    }

    /// <summary><c>#index time actor action resource outcome</c>.</summary>
    internal static string HumanLine(AuditLogEntry stored)
    {
        var index = stored.Index.ToString(CultureInfo.InvariantCulture);
        if (stored.Body is null)
        {
            return stored.Time is { } time ? $"#{index} {Cli.FormatTime(time)} (pruned: past retention; its hash is kept)" : $"#{index} (pruned: past retention; its hash is kept)";
        }

        AuditEntry entry;
        try
        {
            entry = AuditEntry.Decode(stored.Body);
        }
        catch (FormatException)
        {
            return $"#{index} (not a canonical entry: {stored.Body.Length} bytes)";
        }

        var actor = $"{AuditEntry.KindName(entry.Actor.Kind)}:{entry.Actor.Id}";
        return $"#{index} {Cli.FormatTime(entry.Time)} {actor} {entry.Action} {entry.Resource} {entry.Outcome}";
    }

    /// <summary><c>{"index":…,"leafHash":"…","entry":{…}}</c>, or <c>"pruned":true</c> in place of the entry.</summary>
    internal static string JsonLine(AuditLogEntry stored)
    {
        using var buffer = new MemoryStream();
        using (var writer = new Utf8JsonWriter(buffer))
        {
            writer.WriteStartObject();
            writer.WriteNumber("index", stored.Index);
            writer.WriteString("leafHash", Convert.ToBase64String(stored.LeafHash));
            if (stored.Body is null)
            {
                writer.WritePropertyName("pruned");
                writer.WriteBooleanValue(true);
            }
            else
            {
                writer.WritePropertyName("entry");
                try
                {
                    // The canonical form is JSON already: the entry exactly as hashed.
                    writer.WriteRawValue(stored.Body, skipInputValidation: false);
                }
                catch (JsonException)
                {
                    throw new CliException(Cli.ExitFailure, $"entry {stored.Index} is not JSON: run `strongroom audit verify`.");
                }
            }

            writer.WriteEndObject();
        }

        return Encoding.UTF8.GetString(buffer.ToArray());
    }

    private static DataPlaneLogging ParseDataPlane(string text) => text switch
    {
        "none" => DataPlaneLogging.None,
        "writes" => DataPlaneLogging.Writes,
        "all" => DataPlaneLogging.All,
        _ => throw new CliException(Cli.ExitUsage, $"--data-plane must be none, writes or all (got '{text}')."),
    };

    private static string DataPlaneName(DataPlaneLogging setting) => setting switch
    {
        DataPlaneLogging.None => "none",
        DataPlaneLogging.Writes => "writes",
        DataPlaneLogging.All => "all",
        _ => setting.ToString(),
    };

    private static string DataPlaneText(DataPlaneLogging setting) => setting switch
    {
        DataPlaneLogging.None => "no data-plane operations; deletions are still logged",
        DataPlaneLogging.Writes => "every create, write and delete",
        DataPlaneLogging.All => "every read, create, write and delete",
        _ => string.Empty,
    };

    /// <summary>--state-dir, else <see cref="VerifierStateStore.DefaultDirectory"/>.</summary>
    internal static string ResolveStateDirectory(string? given) =>
        string.IsNullOrEmpty(given) ? VerifierStateStore.DefaultDirectory() : CliSession.Current.ResolvePath(given);
}
