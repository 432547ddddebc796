using System.CommandLine;
using System.CommandLine.Help;
using System.CommandLine.Invocation;
using System.CommandLine.Parsing;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Strongroom.Blobs;
using Strongroom.Core;
using Strongroom.Server;
using Strongroom.Vault;

namespace Strongroom.Cli;

/// <summary>
/// The <c>strongroom</c> command. Exit codes: 0 success, 1 the operation failed (not found,
/// already exists, the server could not start), 2 the command line was wrong.
/// </summary>
public static partial class Cli
{
    public const int ExitSuccess = 0;
    public const int ExitFailure = 1;
    public const int ExitUsage = 2;

    /// <summary>Azure's wording of the account naming rule, quoted so users recognise it.</summary>
    public const string AccountNameRule = "Storage account names must be between 3 and 24 characters in length and may contain numbers and lowercase letters only.";

    /// <summary>Runs the command in-process with no standard input. Signals are the caller's: cancel <paramref name="cancellationToken"/> to stop a server.</summary>
    public static Task<int> RunAsync(string[] args, TextWriter output, TextWriter error, CancellationToken cancellationToken = default) =>
        RunAsync(args, TextReader.Null, interactive: false, output, error, cancellationToken);

    /// <summary>
    /// Runs the command in-process. <paramref name="input"/> is standard input (shares for
    /// <c>unseal</c> and <c>rekey</c>); <paramref name="interactive"/> says it is a terminal, so
    /// secrets are prompted for without echo.
    /// </summary>
    public static Task<int> RunAsync(string[] args, TextReader input, bool interactive, TextWriter output, TextWriter error, CancellationToken cancellationToken = default) =>
        RunSessionAsync(new CliSession(args, input, interactive, output, error, live: null, Environment.CurrentDirectory), cancellationToken);

    /// <summary>
    /// Runs a command received on the control socket inside the server, against its live
    /// deployment: the same command tree, with the client's arguments, input and working directory.
    /// </summary>
    public static async Task<ControlResponse> RunInServerAsync(ControlRequest request, Deployment live, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(request);
        using var output = new StringWriter();
        using var error = new StringWriter();
        using var input = new StringReader(request.Input);
        var workingDirectory = Path.IsPathFullyQualified(request.WorkingDirectory) ? request.WorkingDirectory : Environment.CurrentDirectory;
        var exitCode = await RunSessionAsync(new CliSession([.. request.Args], input, interactive: false, output, error, live, workingDirectory), cancellationToken).ConfigureAwait(false);
        return new ControlResponse(exitCode, output.ToString(), error.ToString());
    }

    private static async Task<int> RunSessionAsync(CliSession session, CancellationToken cancellationToken)
    {
        using var entered = CliSession.Enter(session);

        // What a command does is attributed in the transparency logs to whoever runs it on the host.
        using var operation = OperationContext.IsOpen ? null : OperationContext.Begin(new OperationContext(new Actor(ActorKind.Host, Environment.UserName)));
        var output = session.Output;
        var error = session.Error;
        var args = session.Args.ToArray();
        var root = BuildRootCommand(output);
        var parseResult = root.Parse(args);
        if (parseResult.Errors.Count > 0 && parseResult.Action is ParseErrorAction)
        {
            foreach (var parseError in parseResult.Errors)
            {
                error.WriteLine($"error: {RedactMetadata(parseError.Message, args)}");
            }

            error.WriteLine($"Run '{CommandPath(parseResult.CommandResult)} --help' for usage.");
            return ExitUsage;
        }

        if (parseResult.CommandResult.Command.Options.OfType<Option<string?>>().FirstOrDefault(option => option.Name == MetadataOptionName) is { } metadata)
        {
            // Inside a server the live deployment is used; the server's own environment names nothing.
            var named = parseResult.GetValue(metadata);
            session.Metadata = session.Live is null ? DataDirectory.ResolveMetadata(named) : named;
            if (named is null && session.Metadata is { } configured && MetadataSchema.CheckConnectionString(configured) is { } problem)
            {
                error.WriteLine($"error: ${DataDirectory.MetadataEnvironmentVariable}: {problem}");
                return ExitUsage;
            }
        }

        try
        {
            return await parseResult.InvokeAsync(
                new InvocationConfiguration
                {
                    Output = output,
                    Error = error,
                    EnableDefaultExceptionHandler = false,
                    ProcessTerminationTimeout = null,
                },
                cancellationToken).ConfigureAwait(false);
        }
        catch (CommandForwardedException forwarded)
        {
            return forwarded.ExitCode;
        }
        catch (CliException exception)
        {
            error.WriteLine($"error: {exception.Message}");
            return exception.ExitCode;
        }
        catch (SealException exception)
        {
            // Seal messages never hold share material.
            error.WriteLine($"error: {exception.Message}");
            return ExitFailure;
        }
        catch (ServerStartException exception)
        {
            error.WriteLine($"error: {exception.Message}");
            return ExitFailure;
        }
        catch (Exception exception) when (MetadataSchema.Explain(exception) is { } explanation)
        {
            error.WriteLine($"error: {explanation}");
            return ExitFailure;
        }
        catch (Placement.TopologyException exception)
        {
            error.WriteLine($"error: {exception.Message}");
            return ExitFailure;
        }
        catch (StorageException exception)
        {
            error.WriteLine($"error: {exception.Code}: {exception.Message}");
            return exception.Code is ErrorCode.InvalidResourceName or ErrorCode.InvalidPlacementPolicy ? ExitUsage : ExitFailure;
        }
        catch (Exception exception) when (exception is IOException or UnauthorizedAccessException or InvalidDataException or CryptographicException)
        {
            error.WriteLine($"error: {exception.Message}");
            return ExitFailure;
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            error.WriteLine("Cancelled.");
            return ExitFailure;
        }
    }

    private static Command BuildRootCommand(TextWriter output)
    {
        // A named command rather than RootCommand: RootCommand takes its name from the process,
        // which is "dotnet" or a test host when run in-process, and help must say "strongroom".
        var root = new Command("strongroom", "Strongroom: Azure-Blob-compatible storage that encrypts every byte at rest.")
        {
            new HelpOption { Recursive = true },
            new VersionOption(),
        };
        root.Subcommands.Add(ServerCommand(output));
        root.Subcommands.Add(AccountCommand(output));
        root.Subcommands.Add(ScopeCommands.Build(output));
        root.Subcommands.Add(VaultCommands.Command(output));
        root.Subcommands.Add(AuditCommands.Build(output));
        root.Subcommands.Add(PlacementCommands.ContainerCommand(output));
        root.Subcommands.Add(PlacementCommands.SiteCommand(output));
        root.Subcommands.Add(PlacementCommands.PlacementCommand(output));
        root.Subcommands.Add(LockboxCommands.Build(output));
        root.Subcommands.Add(TransferCommands.Build(output));
        root.Subcommands.Add(CertificateCommands.Build(output));
        root.Subcommands.Add(DestructionCommands.PurgeCommand(output));
        foreach (var command in OperatorCommands.All(output))
        {
            root.Subcommands.Add(command);
        }

        foreach (var command in SealCommands.All(output))
        {
            root.Subcommands.Add(command);
        }

        root.Subcommands.Add(MigrateCommand.Build(output));
        root.Subcommands.Add(ComplianceCommands.Build(output));
        AddMetadataOption(root);
        return root;
    }

    private const string MetadataOptionName = "--metadata";

    /// <summary>
    /// Every command that names a data directory (<c>--data</c>) also takes <c>--metadata</c>: a
    /// command that opens the deployment itself, when no server runs, opens the metadata there.
    /// </summary>
    private static void AddMetadataOption(Command command)
    {
        if (command.Options.Any(option => option.Name == "--data") && !command.Options.Any(option => option.Name == MetadataOptionName))
        {
            command.Options.Add(MetadataOption());
        }

        foreach (var subcommand in command.Subcommands)
        {
            AddMetadataOption(subcommand);
        }
    }

    private static Option<string?> MetadataOption()
    {
        var option = new Option<string?>(MetadataOptionName)
        {
            Description = $"The deployment's shared PostgreSQL metadata database: an Npgsql connection string (Host=...;Database=...;Username=...) or a postgresql:// URI (default: ${DataDirectory.MetadataEnvironmentVariable}, else metadata.db in the data directory). Never printed: it may hold a password.",
            HelpName = "connection-string",
        };
        option.Validators.Add(result =>
        {
            if (result.Tokens.Count == 1 && string.IsNullOrWhiteSpace(result.Tokens[0].Value))
            {
                result.AddError($"{MetadataOptionName} must be a PostgreSQL connection string or postgresql:// URI; it is empty.");
            }
            else if (result.Tokens.Count == 1 && MetadataSchema.CheckConnectionString(result.Tokens[0].Value) is { } problem)
            {
                result.AddError($"{MetadataOptionName}: {problem}");
            }
        });
        return option;
    }

    /// <summary>A parse error message with the value given to --metadata (which may hold a password) replaced.</summary>
    private static string RedactMetadata(string message, IReadOnlyList<string> args)
    {
        for (var i = 0; i < args.Count; i++)
        {
            string? secret = null;
            if (args[i] == MetadataOptionName && i + 1 < args.Count)
            {
                secret = args[i + 1];
            }
            else if (args[i].StartsWith(MetadataOptionName + "=", StringComparison.Ordinal) || args[i].StartsWith(MetadataOptionName + ":", StringComparison.Ordinal))
            {
                secret = args[i][(MetadataOptionName.Length + 1)..];
            }

            if (!string.IsNullOrWhiteSpace(secret))
            {
                message = message.Replace(secret, "<connection string>", StringComparison.Ordinal);
            }
        }

        return message;
    }

    private static Command ServerCommand(TextWriter output)
    {
        var dev = new Option<bool>("--dev") { Description = "Development mode, a drop-in for Azurite: plain HTTP on 127.0.0.1:10000, account devstoreaccount1 with the well-known key. Not for production." };
        var data = DataOption();
        var host = new Option<string>("--host") { Description = "Address to listen on: an IP address or localhost.", DefaultValueFactory = _ => "127.0.0.1" };
        var port = new Option<int>("--port") { Description = "Port to listen on (0 picks a free one).", DefaultValueFactory = _ => DevelopmentStorage.BlobPort };
        port.Validators.Add(result =>
        {
            // Only the range: a token that is not an integer already fails conversion.
            if (result.Tokens.Count == 1 && int.TryParse(result.Tokens[0].Value, out var value) && value is < 0 or > 65535)
            {
                result.AddError($"--port must be between 0 and 65535 (got {value}).");
            }
        });
        var certificate = new Option<string?>("--cert") { Description = "PEM certificate to serve (production generates a self-signed one without it).", HelpName = "file" };
        var key = new Option<string?>("--key") { Description = "PEM private key of --cert (omit when the certificate file holds it).", HelpName = "file" };
        var allowHttp = new Option<bool>("--dangerous-allow-http") { Description = "Serve plain HTTP in production mode: signatures and data cross the network unencrypted." };
        var managementHost = new Option<string>("--management-host") { Description = "Address of the management plane's own listener (keep it on an internal network).", DefaultValueFactory = _ => "127.0.0.1" };
        var managementPort = new Option<int?>("--management-port") { Description = $"Port of the management plane (default {DevelopmentStorage.ManagementPort}; a free one when --port is 0)." };
        var pendingExpiry = new Option<string?>("--access-request-expiry") { Description = "How long a lockbox or transfer request waits for its approvals before it expires, e.g. 4d, 12h, 30m (default 4d).", HelpName = "duration" };
        var trustedProxy = new Option<string[]>("--trusted-proxy")
        {
            Description = "A load balancer (address or CIDR network; repeatable) whose X-Forwarded-For and X-Forwarded-Proto the data plane believes (docs/load-balancer.md).",
            HelpName = "address",
            AllowMultipleArgumentsPerToken = false,
        };
        trustedProxy.Validators.Add(result =>
        {
            foreach (var token in result.Tokens)
            {
                if (!TryParseProxy(token.Value, out _))
                {
                    result.AddError($"--trusted-proxy takes an IP address or a CIDR network such as 10.0.0.0/24 (got '{token.Value}').");
                }
            }
        });
        var topology = new Option<string?>("--topology") { Description = "The topology file listing the sites (docs/datacenters.md); default: topology.toml in the data directory, written when absent.", HelpName = "file" };

        var command = new Command("server", "Run the storage server (HTTPS; --dev for a local Azurite replacement).")
        {
            dev, data, host, port, certificate, key, allowHttp, topology, managementHost, managementPort, pendingExpiry, trustedProxy,
        };
        command.SetAction(async (parseResult, cancellationToken) =>
        {
            var options = new ServerOptions
            {
                Dev = parseResult.GetValue(dev),
                DataDirectory = parseResult.GetValue(data),
                MetadataConnectionString = CliSession.Current.Metadata,
                Host = parseResult.GetValue(host) ?? "127.0.0.1",
                Port = parseResult.GetValue(port),
                CertificatePath = parseResult.GetValue(certificate),
                KeyPath = parseResult.GetValue(key),
                DangerousAllowHttp = parseResult.GetValue(allowHttp),
                TopologyPath = parseResult.GetValue(topology),
                ManagementHost = parseResult.GetValue(managementHost) ?? "127.0.0.1",
                ManagementPort = parseResult.GetValue(managementPort),
                Access = new Access.AccessOptions { RequestPendingLifetime = ParsePendingLifetime(parseResult.GetValue(pendingExpiry)) },
                TrustedProxies = [.. (parseResult.GetValue(trustedProxy) ?? []).Select(value => TryParseProxy(value, out var network) ? network : throw new InvalidOperationException($"Unparsed --trusted-proxy '{value}'."))],
                Output = output,
                ControlCommands = RunInServerAsync,
            };

            var server = await StrongroomServer.StartAsync(options, cancellationToken).ConfigureAwait(false);
            await using (server.ConfigureAwait(false))
            {
                await server.WaitForShutdownAsync(cancellationToken).ConfigureAwait(false);
                output.WriteLine("Stopping: finishing requests in flight.");
            }

            output.WriteLine("Stopped.");
            return ExitSuccess;
        });
        return command;
    }

    /// <summary>An address is the network of that one address (/32, /128).</summary>
    private static bool TryParseProxy(string value, out System.Net.IPNetwork network)
    {
        if (System.Net.IPAddress.TryParse(value, out var address))
        {
            network = new System.Net.IPNetwork(address, address.GetAddressBytes().Length * 8);
            return true;
        }

        return System.Net.IPNetwork.TryParse(value, out network);
    }

    private static Command AccountCommand(TextWriter output)
    {
        var command = new Command("account", "Manage storage accounts (tenants) in a data directory; works with the server running or stopped.");
        command.Subcommands.Add(AccountCreateCommand(output));
        command.Subcommands.Add(AccountListCommand(output));
        command.Subcommands.Add(AccountShowCommand(output));
        command.Subcommands.Add(AccountKeysCommand(output));
        command.Subcommands.Add(DestructionCommands.AccountDeleteCommand(output));
        command.Subcommands.Add(DestructionCommands.AccountCloseCommand(output));
        command.Subcommands.Add(DestructionCommands.AccountReopenCommand(output));
        command.Subcommands.Add(DestructionCommands.AccountDestructionsCommand(output));
        command.Subcommands.Add(VaultCommands.AccountRotateKeyCommand(output));
        command.Subcommands.Add(AccountTokenCommand(output));
        command.Subcommands.Add(AccountVaultCommand(output));
        command.Subcommands.Add(PlacementCommands.AccountPlacementCommand(output));
        command.Subcommands.Add(PlacementCommands.AccountLocationsCommand(output));
        command.Subcommands.Add(PlacementCommands.AccountFailoverCommand(output));
        command.Subcommands.Add(OperatorCommands.AccountAdminCommand(output));
        command.Subcommands.Add(ProtectionCommands.AccountProtectionCommand(output));
        return command;
    }

    private static Command AccountCreateCommand(TextWriter output)
    {
        var name = AccountNameArgument();
        var data = DataOption();
        var dev = DevDataOption();
        var json = JsonOption();
        var cipher = CipherOption();
        var placement = new PlacementCommands.PolicyOptions();
        var command = new Command("create", "Create an account with two random 512-bit keys and print them (the only time they are shown).")
        {
            name, data, dev, json, cipher,
        };
        foreach (var option in placement.All)
        {
            command.Options.Add(option);
        }

        command.SetAction(async (parseResult, cancellationToken) =>
        {
            var accountName = RequireValidName(parseResult.GetValue(name));
            CipherSuites.TryParse(parseResult.GetValue(cipher), out var suite);
            RequireUnreservedName(accountName);
            var placementRequest = placement.Read(parseResult);
            var isDev = parseResult.GetValue(dev);
            await using var deployment = await DataCommands.OpenUnsealedAsync(parseResult.GetValue(data), isDev, create: true, cancellationToken).ConfigureAwait(false);
            var directory = deployment.Directory;
            AccountDetails account;
            try
            {
                account = await deployment.Accounts.CreateAsync(accountName, suite, placementRequest, key1: null, cancellationToken).ConfigureAwait(false);
            }
            catch (StorageException exception) when (exception.Code == ErrorCode.AccountAlreadyExists)
            {
                throw new CliException(ExitFailure, $"account '{accountName}' already exists in {directory.Root}.");
            }

            var connectionString = ConnectionString(account, isDev);
            if (parseResult.GetValue(json))
            {
                output.WriteLine(Json(writer => WriteAccount(writer, account, showKeys: true, connectionString)));
                return ExitSuccess;
            }

            output.WriteLine($"Account:           {account.Name}");
            output.WriteLine($"Cipher:            {CipherSuites.Name(account.CipherSuite)}");
            output.WriteLine($"Key1:              {account.Key1}");
            output.WriteLine($"Key2:              {account.Key2}");
            output.WriteLine($"Connection string: {connectionString}");
            output.WriteLine($"Store the keys now: they are shown again only by `strongroom account show {account.Name} --show-keys`.");
            return ExitSuccess;
        });
        return command;
    }

    private static Command AccountListCommand(TextWriter output)
    {
        var data = DataOption();
        var dev = DevDataOption();
        var json = JsonOption();
        var command = new Command("list", "List the accounts (names, states, creation times; never keys).") { data, dev, json };
        command.SetAction(async (parseResult, cancellationToken) =>
        {
            await using var deployment = await OpenExistingAsync(parseResult.GetValue(data), parseResult.GetValue(dev), cancellationToken).ConfigureAwait(false);
            var accounts = await deployment.Accounts.ListAsync(cancellationToken).ConfigureAwait(false);
            if (parseResult.GetValue(json))
            {
                output.WriteLine(Json(writer =>
                {
                    writer.WriteStartArray();
                    foreach (var account in accounts)
                    {
                        WriteAccount(writer, account, showKeys: false, connectionString: null);
                    }

                    writer.WriteEndArray();
                }));
                return ExitSuccess;
            }

            if (accounts.Count == 0)
            {
                output.WriteLine("No accounts.");
                return ExitSuccess;
            }

            var width = Math.Max("NAME".Length, accounts.Max(account => account.Name.Length));
            output.WriteLine($"{"NAME".PadRight(width)}  {"STATE",-8}  {"CIPHER",-11}  CREATED");
            foreach (var account in accounts)
            {
                output.WriteLine($"{account.Name.PadRight(width)}  {account.State,-8}  {CipherSuites.Name(account.CipherSuite),-11}  {FormatTime(account.CreatedOn)}");
            }

            return ExitSuccess;
        });
        return command;
    }

    private static Command AccountShowCommand(TextWriter output)
    {
        var name = AccountNameArgument();
        var data = DataOption();
        var dev = DevDataOption();
        var json = JsonOption();
        var showKeys = new Option<bool>("--show-keys") { Description = "Also print both account keys and a connection string." };
        var command = new Command("show", "Show one account; keys only with --show-keys.") { name, data, dev, showKeys, json };
        command.SetAction(async (parseResult, cancellationToken) =>
        {
            var accountName = RequireValidName(parseResult.GetValue(name));
            var isDev = parseResult.GetValue(dev);
            await using var deployment = await OpenExistingAsync(parseResult.GetValue(data), isDev, cancellationToken).ConfigureAwait(false);
            var account = await GetAccountAsync(deployment, accountName, cancellationToken).ConfigureAwait(false);
            var withKeys = parseResult.GetValue(showKeys);
            var connectionString = withKeys ? ConnectionString(account, isDev) : null;
            if (parseResult.GetValue(json))
            {
                output.WriteLine(Json(writer => WriteAccount(writer, account, withKeys, connectionString)));
                return ExitSuccess;
            }

            output.WriteLine($"Account:           {account.Name}");
            output.WriteLine($"State:             {account.State}");
            output.WriteLine($"Cipher:            {CipherSuites.Name(account.CipherSuite)}");
            output.WriteLine($"Created:           {FormatTime(account.CreatedOn)}");
            if (withKeys)
            {
                output.WriteLine($"Key1:              {account.Key1}");
                output.WriteLine($"Key2:              {account.Key2}");
                output.WriteLine($"Connection string: {connectionString}");
            }
            else
            {
                output.WriteLine("Keys:              hidden (use --show-keys)");
            }

            return ExitSuccess;
        });
        return command;
    }

    private static Command AccountKeysCommand(TextWriter output)
    {
        var name = AccountNameArgument();
        var data = DataOption();
        var dev = DevDataOption();
        var json = JsonOption();
        var slot = new Option<string>("--key")
        {
            Description = "Which key to replace; the other stays valid, so clients can move over without downtime.",
            Required = true,
            HelpName = "key1|key2",
        };
        slot.AcceptOnlyFromAmong("key1", "key2");
        var renew = new Command("renew", "Replace key1 or key2 with a new random 512-bit key and print it.") { name, slot, data, dev, json };
        renew.SetAction(async (parseResult, cancellationToken) =>
        {
            var accountName = RequireValidName(parseResult.GetValue(name));
            var isDev = parseResult.GetValue(dev);
            var slotName = parseResult.GetValue(slot)!;
            await using var deployment = await OpenExistingAsync(parseResult.GetValue(data), isDev, cancellationToken).ConfigureAwait(false);
            await GetAccountAsync(deployment, accountName, cancellationToken).ConfigureAwait(false);
            var account = await deployment.Accounts.RenewKeyAsync(accountName, slotName == "key1" ? 1 : 2, cancellationToken).ConfigureAwait(false);
            var renewed = slotName == "key1" ? account.Key1 : account.Key2;
            if (parseResult.GetValue(json))
            {
                output.WriteLine(Json(writer =>
                {
                    writer.WriteStartObject();
                    writer.WriteString("name", account.Name);
                    writer.WriteString("renewed", slotName);
                    writer.WriteString(slotName, renewed);
                    writer.WriteEndObject();
                }));
                return ExitSuccess;
            }

            output.WriteLine($"Renewed {slotName} of account {account.Name}; the previous {slotName} no longer authenticates.");
            output.WriteLine($"{(slotName == "key1" ? "Key1" : "Key2")}:              {renewed}");
            return ExitSuccess;
        });

        var command = new Command("keys", "Manage an account's two shared keys.");
        command.Subcommands.Add(renew);
        return command;
    }

    /// <summary>A duration such as <c>4d</c>, <c>12h</c> or <c>30m</c>, inside the bounds of <see cref="Limits.AccessRequestPendingMin"/> and <see cref="Limits.AccessRequestPendingMax"/>.</summary>
    internal static TimeSpan ParsePendingLifetime(string? text)
    {
        if (text is null)
        {
            return Limits.AccessRequestPendingDefault;
        }

        var duration = ParseDuration(text, "--access-request-expiry");
        if (duration < Limits.AccessRequestPendingMin || duration > Limits.AccessRequestPendingMax)
        {
            throw new CliException(ExitUsage, $"--access-request-expiry must be between {Limits.AccessRequestPendingMin.TotalMinutes:0}m and {Limits.AccessRequestPendingMax.TotalDays:0}d (got '{text}').");
        }

        return duration;
    }

    /// <summary>Parses <c>N</c> followed by <c>d</c>, <c>h</c> or <c>m</c>.</summary>
    internal static TimeSpan ParseDuration(string text, string optionName)
    {
        if (text.Length >= 2 && long.TryParse(text.AsSpan(0, text.Length - 1), System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var count) && count is > 0 and < 100_000)
        {
            switch (text[^1])
            {
                case 'd': return TimeSpan.FromDays(count);
                case 'h': return TimeSpan.FromHours(count);
                case 'm': return TimeSpan.FromMinutes(count);
            }
        }

        throw new CliException(ExitUsage, $"{optionName} must be a number followed by d, h or m, such as 4d, 8h or 30m (got '{text}').");
    }

    internal static Argument<string> AccountNameArgument() => new("name")
    {
        Description = "Account name: 3 to 24 lowercase letters and digits.",
    };

    internal static Option<string?> DataOption() => new("--data")
    {
        Description = $"Data directory (default: ${DataDirectory.EnvironmentVariable}, else ~/.strongroom/data, or ~/.strongroom/dev with --dev).",
        HelpName = "dir",
    };

    internal static Option<bool> DevDataOption() => new("--dev")
    {
        Description = "Use the development server's default data directory (~/.strongroom/dev) when --data is not given.",
    };

    private static Option<string> CipherOption()
    {
        var option = new Option<string>("--cipher")
        {
            Description = "Cipher suite for all of the account's data, fixed for its life: aes-256-gcm (default), or sm4-gcm (SM4-GCM with SM3, GB/T 39786).",
            HelpName = "suite",
            DefaultValueFactory = _ => CipherSuites.Name(CipherSuites.Default),
        };
        var names = string.Join(" or ", CipherSuites.All.Select(CipherSuites.Name));
        option.Validators.Add(result =>
        {
            var value = result.Tokens.Count == 1 ? result.Tokens[0].Value : null;
            if (result.Tokens.Count > 0 && !CipherSuites.TryParse(value, out _))
            {
                result.AddError($"--cipher must be {names} (got '{value}').");
            }
        });
        return option;
    }

    internal static Option<bool> JsonOption() => new("--json")
    {
        Description = "Print JSON instead of text.",
    };

    internal static string RequireValidName(string? name)
    {
        if (name is null || !Names.IsValidAccountName(name))
        {
            throw new CliException(ExitUsage, $"'{name}' is not a valid account name. {AccountNameRule}");
        }

        return name;
    }

    /// <summary>
    /// The unsealed deployment of a data-directory command. Every such command obtains its
    /// deployment here: when a server runs on the directory the whole command runs inside it (over
    /// the control socket) and this call does not return; otherwise the directory is opened
    /// offline. See <see cref="DataCommands"/>.
    /// </summary>
    internal static Task<Deployment> OpenExistingAsync(string? path, bool dev, CancellationToken cancellationToken) =>
        DataCommands.OpenUnsealedAsync(path, dev, create: false, cancellationToken);

    internal static async Task<AccountDetails> GetAccountAsync(Deployment deployment, string name, CancellationToken cancellationToken)
    {
        try
        {
            return await deployment.Accounts.GetAsync(name, cancellationToken).ConfigureAwait(false);
        }
        catch (StorageException exception) when (exception.Code == ErrorCode.AccountNotFound)
        {
            throw new CliException(ExitFailure, $"account '{name}' not found in {deployment.Directory.Root}.");
        }
    }

    /// <summary>The connection string for the server's default listener; adjust the endpoint if it listens elsewhere.</summary>
    private static string ConnectionString(AccountDetails account, bool dev) =>
        DevelopmentStorage.ConnectionString(new Uri($"{(dev ? "http" : "https")}://127.0.0.1:{DevelopmentStorage.BlobPort}/"), account.Name, account.Key1);

    private static void WriteAccount(Utf8JsonWriter writer, AccountDetails account, bool showKeys, string? connectionString)
    {
        writer.WriteStartObject();
        writer.WriteString("name", account.Name);
        writer.WriteString("state", account.State.ToString());
        writer.WriteString("cipher", CipherSuites.Name(account.CipherSuite));
        writer.WriteString("createdOn", account.CreatedOn.ToUniversalTime());
        if (showKeys)
        {
            writer.WriteString("key1", account.Key1);
            writer.WriteString("key2", account.Key2);
        }

        if (connectionString is not null)
        {
            writer.WriteString("connectionString", connectionString);
        }

        writer.WriteEndObject();
    }

    internal static string Json(Action<Utf8JsonWriter> write)
    {
        using var buffer = new MemoryStream();
        using (var writer = new Utf8JsonWriter(buffer, new JsonWriterOptions { Indented = true }))
        {
            write(writer);
        }

        return Encoding.UTF8.GetString(buffer.ToArray());
    }

    internal static string FormatTime(DateTimeOffset time) => time.ToUniversalTime().ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", System.Globalization.CultureInfo.InvariantCulture);

    private static string CommandPath(CommandResult? result)
    {
        var names = new List<string>();
        for (SymbolResult? current = result; current is not null; current = current.Parent)
        {
            if (current is CommandResult command)
            {
                names.Add(command.Command.Name);
            }
        }

        names.Reverse();
        return names.Count == 0 ? "strongroom" : string.Join(' ', names);
    }
}

/// <summary>A failure the CLI reports as one line and an exit code, without a stack trace.</summary>
public class CliException(int exitCode, string message) : Exception(message)
{
    public int ExitCode { get; } = exitCode;
}
