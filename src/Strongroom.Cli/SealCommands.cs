using System.CommandLine;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using Strongroom.Core;
using Strongroom.Server;
using Strongroom.Vault;

namespace Strongroom.Cli;

/// <summary>
/// The seal commands: <c>init</c>, <c>unseal</c>, <c>seal</c>, <c>rekey</c> and <c>status</c>.
/// Shares are printed only by init and rekey, once, and are never part of an error message.
/// </summary>
internal static class SealCommands
{
    public static IEnumerable<Command> All(TextWriter output) =>
    [
        InitCommand(output),
        UnsealCommand(output),
        SealCommand(output),
        RekeyCommand(output),
        StatusCommand(output),
    ];

    private static Command InitCommand(TextWriter output)
    {
        var data = DataOption();
        var shares = SharesOption("Number of unseal shares to issue, one per custodian (1-255).");
        var threshold = ThresholdOption("How many shares unseal the server (1 to --shares).");
        var shareDirectory = ShareDirectoryOption();
        var firstOperator = new Option<string?>("--operator") { Description = "Also create the first operator, a security admin with this name (password prompted, or the first line of standard input; its TOTP secret is shown once).", HelpName = "name" };
        var command = new Command("init", "Initialise a production data directory: create the root key, seal it, and issue N unseal shares of which K unseal (offline, once).")
        {
            data, shares, threshold, shareDirectory, firstOperator,
        };
        command.SetAction(async (parseResult, cancellationToken) =>
        {
            var (n, k) = Counts(parseResult.GetValue(shares), parseResult.GetValue(threshold));
            var directory = CliSession.Current.ResolveDirectory(parseResult.GetValue(data), dev: false);
            var existing = (await DeploymentVault.ReadAsync(directory, cancellationToken).ConfigureAwait(false)).Seal;
            if (await DataCommands.ServerRunningAsync(directory, cancellationToken).ConfigureAwait(false) || existing is not null)
            {
                throw new CliException(Cli.ExitFailure, $"{Name(directory)} is already initialised: its shares were issued by an earlier init. To issue new shares, use `strongroom rekey` with {existing?.Threshold ?? k} current shares.");
            }

            var targetDirectory = parseResult.GetValue(shareDirectory) is { } dir ? CliSession.Current.ResolvePath(dir) : null;
            var fileNames = targetDirectory is null ? null : ShareFileNames(targetDirectory, n, generation: 1);
            var operatorName = parseResult.GetValue(firstOperator);
            if (operatorName is not null && !PrincipalIds.IsValidName(operatorName))
            {
                throw new CliException(Cli.ExitUsage, $"--operator '{operatorName}' is not a valid name: 3 to 32 characters, lowercase letters, digits, '-', '.' and '_', starting with a letter.");
            }

            // Read before anything is created: a bad password leaves no half-initialised directory.
            var operatorPassword = operatorName is null ? null : OperatorCommands.ReadNewPassword();
            var initialization = await VaultSetup.InitializeAsync(directory, n, k, SystemRandomSource.Instance, TimeProvider.System, cancellationToken).ConfigureAwait(false);
            try
            {
                output.WriteLine($"Initialised {directory.Root}: deployment {initialization.DeploymentId}, {n} unseal share(s), any {k} of which unseal the server.");
                if (initialization.MigratedLegacyRootKey)
                {
                    output.WriteLine($"Sealed the existing root key (existing data stays readable) and deleted the unsealed file {directory.RootKeyPath}.");
                }

                IssueShares(output, initialization.Shares, fileNames);
                if (operatorName is not null)
                {
                    await CreateFirstOperatorAsync(output, directory, initialization, operatorName, operatorPassword!, cancellationToken).ConfigureAwait(false);
                }

                output.WriteLine($"Next: `strongroom server --data {directory.Root}`, then `strongroom unseal --data {directory.Root}` by {k} custodian(s).");
            }
            finally
            {
                foreach (var share in initialization.Shares)
                {
                    share.Dispose();
                }
            }

            return Cli.ExitSuccess;
        });
        return command;
    }

    /// <summary>
    /// The first operator, made right after init with the shares still in hand: the deployment is
    /// opened and unsealed in this process (the TOTP seed is wrapped by the keyring), the operator
    /// created, and the deployment closed (sealed) again.
    /// </summary>
    private static async Task CreateFirstOperatorAsync(TextWriter output, DataDirectory directory, VaultInitialization initialization, string name, string password, CancellationToken cancellationToken)
    {
        try
        {
            await using var deployment = await Deployment.OpenAsync(directory, TimeProvider.System, SystemRandomSource.Instance, cancellationToken).ConfigureAwait(false);
            foreach (var share in initialization.Shares.Take(deployment.Vault.Status.Threshold))
            {
                deployment.Vault.Submit(UnsealShare.Parse(share.ToText()));
            }

            var enrolled = await deployment.Identities.CreateOperatorAsync(null, name, OperatorRole.SecurityAdmin, password, cancellationToken).ConfigureAwait(false);
            OperatorCommands.WriteEnrolled(output, enrolled);
        }
        catch (StorageException exception)
        {
            throw new CliException(Cli.ExitFailure, $"the vault is initialised (the shares above are valid) but the first operator was not created: {exception.Code}: {exception.Message} Create it with `strongroom operator create {name} --role security-admin --data {directory.Root}` once the server runs and is unsealed.");
        }
    }

    private static Command UnsealCommand(TextWriter output)
    {
        var data = DataOption();
        var dev = DevOption();
        var server = new Option<string?>("--server") { Description = "Unseal a server over HTTPS at this address (e.g. https://host:10000) instead of the one running on --data.", HelpName = "url" };
        var caCertificate = new Option<string?>("--ca-cert") { Description = "With --server: trust this PEM certificate (e.g. the server's generated tls/server.crt).", HelpName = "file" };
        var reset = new Option<bool>("--reset") { Description = "Forget the shares submitted so far instead of submitting one." };
        var command = new Command("unseal", "Submit one unseal share to the running server (prompted without echo, or one line of stdin); prints progress k/K.")
        {
            data, dev, server, caCertificate, reset,
        };
        command.Validators.Add(result =>
        {
            if (result.GetValue(server) is not null && result.GetValue(data) is not null)
            {
                result.AddError("--server and --data contradict each other: choose one server.");
            }

            if (result.GetValue(caCertificate) is not null && result.GetValue(server) is null)
            {
                result.AddError("--ca-cert needs --server.");
            }
        });
        command.SetAction(async (parseResult, cancellationToken) =>
        {
            var session = CliSession.Current;
            var isReset = parseResult.GetValue(reset);
            if (parseResult.GetValue(server) is { } address)
            {
                if (!Uri.TryCreate(address, UriKind.Absolute, out var url) || (url.Scheme != Uri.UriSchemeHttps && url.Scheme != Uri.UriSchemeHttp))
                {
                    throw new CliException(Cli.ExitUsage, $"--server must be an https:// address (got '{address}').");
                }

                var text = isReset ? null : ReadShare(session);
                return await UnsealRemoteAsync(output, url, parseResult.GetValue(caCertificate), text, cancellationToken).ConfigureAwait(false);
            }

            var directory = CliSession.Current.ResolveDirectory(parseResult.GetValue(data), parseResult.GetValue(dev));
            if (session.Live is null && !await ControlClient.IsListeningAsync(directory, cancellationToken).ConfigureAwait(false))
            {
                throw new CliException(Cli.ExitFailure, $"no server is running on {directory.Root}: only a running server can be unsealed (a stopped one holds no key). Start it with `strongroom server --data {directory.Root}`.");
            }

            var shareText = isReset ? null : ReadShare(session);
            await using var deployment = await DataCommands.RequireServerAsync(directory, "only a running server can be unsealed.", cancellationToken).ConfigureAwait(false);
            if (isReset)
            {
                WriteProgress(output, deployment.Vault.ResetProgress(), duplicate: false);
                return Cli.ExitSuccess;
            }

            var progress = await deployment.SubmitUnsealShareAsync(UnsealShare.Parse(shareText!), cancellationToken).ConfigureAwait(false);
            WriteProgress(output, progress.Status, progress.DuplicateIgnored);
            return Cli.ExitSuccess;
        });
        return command;
    }

    private static Command SealCommand(TextWriter output)
    {
        var data = DataOption();
        var dev = DevOption();
        var command = new Command("seal", "Seal the running server: wipe the root key and all unwrapped keys from its memory; data requests answer 503 until it is unsealed again.")
        {
            data, dev,
        };
        command.SetAction(async (parseResult, cancellationToken) =>
        {
            var directory = CliSession.Current.ResolveDirectory(parseResult.GetValue(data), parseResult.GetValue(dev));
            await using var deployment = await DataCommands.RequireServerAsync(directory, "a stopped server holds no key, so there is nothing to seal.", cancellationToken).ConfigureAwait(false);
            if (!await deployment.SealAsync(cancellationToken).ConfigureAwait(false))
            {
                CliSession.Current.Error.WriteLine("warning: the seal could not be recorded in the platform's transparency log; the server is sealed anyway.");
            }

            var status = deployment.Vault.Status;
            output.WriteLine($"Sealed: key material is wiped from the server's memory. Data requests answer 503 until {status.Threshold} custodian(s) unseal it with `strongroom unseal`.");
            return Cli.ExitSuccess;
        });
        return command;
    }

    private static Command RekeyCommand(TextWriter output)
    {
        var data = DataOption();
        var shares = SharesOption("Number of new unseal shares to issue (1-255).");
        var threshold = ThresholdOption("How many new shares unseal the server (1 to --shares).");
        var shareDirectory = ShareDirectoryOption();
        var command = new Command("rekey", "Issue new unseal shares (new N and K) on presentation of K current ones, read one per line from stdin or prompted. The root key, keyring and data are unchanged; the old shares stop working.")
        {
            data, shares, threshold, shareDirectory,
        };
        command.SetAction(async (parseResult, cancellationToken) =>
        {
            var (n, k) = Counts(parseResult.GetValue(shares), parseResult.GetValue(threshold));
            var session = CliSession.Current;
            var directory = session.Live?.Directory ?? session.ResolveDirectory(parseResult.GetValue(data), dev: false);
            var vault = session.Live is { } inside ? DeploymentVault.Of(inside.VaultFiles) : await DeploymentVault.ReadAsync(directory, cancellationToken).ConfigureAwait(false);
            var current = vault.Seal
                ?? throw new CliException(Cli.ExitFailure, $"{Name(directory)} is not initialised: there are no shares to replace. Run `strongroom init` first.");
            if (vault.IsDevelopment)
            {
                // Refused before any share is asked for: its only share is stored beside the seal.
                throw new CliException(Cli.ExitFailure, $"{Name(directory)} is a development {(directory.HasSharedMetadata ? "deployment" : "data directory")}: its only unseal share is stored in {vault.DevelopmentShareLocation}, so new shares would not make it fit for production. Initialise a new one with `strongroom init` for production.");
            }

            var presented = new List<UnsealShare>();
            try
            {
                for (var i = 1; i <= current.Threshold; i++)
                {
                    var line = session.ReadSecretLine($"Current unseal share {i} of {current.Threshold}: ");
                    if (string.IsNullOrWhiteSpace(line))
                    {
                        throw new CliException(Cli.ExitFailure, $"rekeying takes {current.Threshold} current shares, one per line; got {i - 1}.");
                    }

                    presented.Add(UnsealShare.Parse(line));
                }

                var targetDirectory = parseResult.GetValue(shareDirectory) is { } dir ? session.ResolvePath(dir) : null;
                var fileNames = targetDirectory is null ? null : ShareFileNames(targetDirectory, n, current.Generation + 1);

                await using var live = await DataCommands.InServerOrForwardAsync(directory, cancellationToken).ConfigureAwait(false);

                // Recorded in the platform log first: offline, through the directory's store (it needs no key).
                await using var offline = live is null ? await Deployment.OpenAsync(directory, TimeProvider.System, SystemRandomSource.Instance, cancellationToken).ConfigureAwait(false) : null;
                var issued = await (live ?? offline)!.RekeyAsync(presented, n, k, SystemRandomSource.Instance, cancellationToken).ConfigureAwait(false);
                live?.Vault.Reload();
                try
                {
                    output.WriteLine($"Rekeyed {directory.Root}: {n} new unseal share(s) (generation {issued[0].Generation}), any {k} of which unseal the server. The previous shares no longer work; the root key and the data are unchanged.");
                    IssueShares(output, issued, fileNames);
                }
                finally
                {
                    foreach (var share in issued)
                    {
                        share.Dispose();
                    }
                }
            }
            finally
            {
                foreach (var share in presented)
                {
                    share.Dispose();
                }
            }

            return Cli.ExitSuccess;
        });
        return command;
    }

    private static Command StatusCommand(TextWriter output)
    {
        var data = DataOption();
        var dev = DevOption();
        var json = new Option<bool>("--json") { Description = "Print JSON (the members of GET /.strongroom/sys/seal-status, then the deployment, operations, accounts and problems)." };
        var verbose = new Option<bool>("--verbose") { Description = "List every server in full (endpoints, start and last-seen times) and each background job's lease." };
        var check = new Option<bool>("--check") { Description = "Exit 1 when the summary lists a problem (for scripts and monitoring); without it status exits 0 whenever it could read the state." };
        var command = new Command("status", "A one-screen summary for operators: seal, metadata database, servers and background jobs, sites by region with their health, replication and repair backlogs, accounts, requests awaiting approval, and the problems that need attention.")
        {
            data, dev, json, verbose, check,
        };
        command.SetAction(async (parseResult, cancellationToken) =>
        {
            var directory = CliSession.Current.ResolveDirectory(parseResult.GetValue(data), parseResult.GetValue(dev));
            await using var live = await DataCommands.InServerOrForwardAsync(directory, cancellationToken).ConfigureAwait(false);
            directory = live?.Directory ?? directory;
            var vault = live is not null ? DeploymentVault.Of(live.VaultFiles) : await DeploymentVault.ReadAsync(directory, cancellationToken).ConfigureAwait(false);
            SealStatus status;
            if (live is not null)
            {
                status = live.Vault.Status;
            }
            else if (vault.Seal is { } seal)
            {
                status = new SealStatus(true, true, seal.Threshold, seal.Shares, 0, seal.DeploymentIdText, seal.Generation);
            }
            else
            {
                status = new SealStatus(false, true, 0, 0, 0, null, 0);
            }

            // The servers sharing the deployment (issue 9): from the live server, else from the store.
            var instances = live is not null
                ? await live.ReadDeploymentStatusAsync(TimeProvider.System, cancellationToken).ConfigureAwait(false)
                : await Deployment.ReadDeploymentStatusAsync(directory, TimeProvider.System, cancellationToken).ConfigureAwait(false);

            // Sites, backlogs, accounts and requests (issue 10): from the live server, else from the
            // deployment opened offline without keys (site health is then unknown).
            StatusReading? reading = null;
            if (status.Initialized)
            {
                if (live is not null)
                {
                    reading = await StatusReading.ReadAsync(live, cancellationToken).ConfigureAwait(false);
                }
                else
                {
                    await using var offline = await Deployment.OpenAsync(directory, topologyPath: null, new Strongroom.Access.AccessOptions(), development: vault.IsDevelopment, TimeProvider.System, SystemRandomSource.Instance, cancellationToken).ConfigureAwait(false);
                    reading = await StatusReading.ReadAsync(offline, cancellationToken).ConfigureAwait(false);
                }
            }

            var facts = new StatusFacts(
                directory.Root,
                directory.MetadataDescription,
                directory.HasSharedMetadata,
                status,
                live is not null,
                vault.IsDevelopment,
                instances,
                reading?.Operations,
                reading is null ? null : AccountCounts.Of(reading.Accounts),
                live is not null ? reading?.WriteQuorums : null);
            var exitCode = parseResult.GetValue(check) && StatusSummary.Problems(facts).Count > 0 ? Cli.ExitFailure : Cli.ExitSuccess;

            if (parseResult.GetValue(json))
            {
                using var buffer = new MemoryStream();
                using (var writer = new Utf8JsonWriter(buffer, new JsonWriterOptions { Indented = true }))
                {
                    writer.WriteStartObject();
                    PlatformEndpoints.WriteStatus(writer, status);
                    writer.WriteBoolean("server_running", live is not null);
                    writer.WriteBoolean("development", vault.IsDevelopment);
                    writer.WriteString("metadata", directory.MetadataDescription);
                    if (instances is not null)
                    {
                        writer.WriteStartObject("deployment");
                        instances.WriteJsonMembers(writer);
                        writer.WriteEndObject();
                    }

                    StatusSummary.WriteJsonMembers(writer, facts);
                    writer.WriteEndObject();
                }

                output.WriteLine(Encoding.UTF8.GetString(buffer.ToArray()));
                return exitCode;
            }

            if (parseResult.GetValue(verbose) && instances is not null && status.Initialized)
            {
                StatusSummary.WriteText(output, facts with { Deployment = null });
                instances.WriteText(output);
                return exitCode;
            }

            StatusSummary.WriteText(output, facts);
            return exitCode;
        });
        return command;
    }

    private static async Task<int> UnsealRemoteAsync(TextWriter output, Uri server, string? caCertificatePath, string? share, CancellationToken cancellationToken)
    {
        using var trust = ServerTrust.Load(caCertificatePath);
        try
        {
            var handler = trust.CreateHandler();
            using var client = new HttpClient(handler) { Timeout = TimeSpan.FromSeconds(30) };
            var endpoint = new Uri(server, PlatformEndpoints.Prefix + "/sys/unseal");
            if (endpoint.Scheme != Uri.UriSchemeHttps && !endpoint.IsLoopback)
            {
                throw new CliException(Cli.ExitUsage, "refusing to send an unseal share over plain HTTP to another host: use an https:// address.");
            }

            using var body = share is null
                ? JsonContent.Create(new Dictionary<string, bool> { ["reset"] = true })
                : JsonContent.Create(new Dictionary<string, string> { ["key"] = share });
            using var response = await client.PutAsync(endpoint, body, cancellationToken).ConfigureAwait(false);
            var text = await response.Content.ReadAsStringAsync(cancellationToken).ConfigureAwait(false);
            JsonElement root;
            try
            {
                using var document = JsonDocument.Parse(text);
                root = document.RootElement.Clone();
            }
            catch (JsonException)
            {
                throw new CliException(Cli.ExitFailure, $"{server} answered {(int)response.StatusCode} without a seal status: is it a Strongroom server?");
            }

            if (!response.IsSuccessStatusCode)
            {
                var message = root.TryGetProperty("errors", out var errors) && errors.GetArrayLength() > 0 ? errors[0].GetString() : $"HTTP {(int)response.StatusCode}";
                throw new CliException(Cli.ExitFailure, $"the server refused the share: {message}");
            }

            var status = new SealStatus(
                root.GetProperty("initialized").GetBoolean(),
                root.GetProperty("sealed").GetBoolean(),
                root.GetProperty("t").GetInt32(),
                root.GetProperty("n").GetInt32(),
                root.GetProperty("progress").GetInt32(),
                null,
                0);
            WriteProgress(output, status, root.TryGetProperty("duplicate_ignored", out var duplicate) && duplicate.GetBoolean());
            return Cli.ExitSuccess;
        }
        catch (HttpRequestException exception)
        {
            throw new CliException(Cli.ExitFailure, $"cannot reach {server}: {exception.Message}");
        }
    }

    private static string ReadShare(CliSession session)
    {
        var line = session.ReadSecretLine("Unseal share (input is hidden): ");
        if (string.IsNullOrWhiteSpace(line))
        {
            throw new CliException(Cli.ExitFailure, "no unseal share given: type it at the prompt, or pass it as one line on standard input.");
        }

        return line.Trim();
    }

    private static void WriteProgress(TextWriter output, SealStatus status, bool duplicate)
    {
        if (duplicate)
        {
            output.WriteLine("This share was already submitted: ignored.");
        }

        output.WriteLine(status.Sealed
            ? $"Unseal progress: {status.Progress}/{status.Threshold}"
            : "Unsealed: the server is serving data.");
    }

    private static void IssueShares(TextWriter output, IReadOnlyList<UnsealShare> shares, IReadOnlyList<string>? fileNames)
    {
        if (fileNames is not null)
        {
            try
            {
                for (var i = 0; i < shares.Count; i++)
                {
                    VaultSetup.WriteShareFile(fileNames[i], shares[i].ToText());
                }

                output.WriteLine($"Wrote {shares.Count} share file(s), mode 0600, one per custodian:");
                foreach (var name in fileNames)
                {
                    output.WriteLine($"  {name}");
                }

                output.WriteLine("Hand each file to its custodian and delete it from this host: whoever holds the threshold of shares can unseal the server.");
                return;
            }
            catch (Exception exception) when (exception is IOException or UnauthorizedAccessException)
            {
                // The seal is already written: losing the shares now would lock the data away, so they go to the terminal instead.
                output.WriteLine($"Could not write the share files ({exception.Message}); printing the shares instead.");
            }
        }

        output.WriteLine("Unseal shares. They are shown this once and stored nowhere: give one to each custodian now.");
        for (var i = 0; i < shares.Count; i++)
        {
            output.WriteLine($"Share {shares[i].Index} of {shares.Count}: {shares[i].ToText()}");
        }
    }

    private static IReadOnlyList<string> ShareFileNames(string directory, int shares, uint generation)
    {
        if (!OperatingSystem.IsWindows())
        {
            Directory.CreateDirectory(directory, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        }
        else
        {
            Directory.CreateDirectory(directory);
        }

        var names = Enumerable.Range(1, shares).Select(i => Path.Combine(directory, $"share-{i}-of-{shares}-gen{generation}.txt")).ToList();
        foreach (var name in names)
        {
            if (File.Exists(name))
            {
                throw new CliException(Cli.ExitFailure, $"{name} already exists: refusing to overwrite a share file. Choose another --share-dir.");
            }
        }

        return names;
    }

    /// <summary>What a message calls the deployment: its data directory, or its shared database (never the connection string).</summary>
    private static string Name(DataDirectory directory) =>
        directory.HasSharedMetadata ? $"The deployment in {directory.MetadataDescription}" : directory.Root;

    private static (int Shares, int Threshold) Counts(int shares, int threshold)
    {
        if (shares is < 1 or > 255)
        {
            throw new CliException(Cli.ExitUsage, $"--shares must be between 1 and 255 (got {shares}).");
        }

        if (threshold < 1 || threshold > shares)
        {
            throw new CliException(Cli.ExitUsage, $"--threshold must be between 1 and --shares, {shares} (got {threshold}).");
        }

        return (shares, threshold);
    }

    private static Option<string?> DataOption() => new("--data")
    {
        Description = $"Data directory (default: ${DataDirectory.EnvironmentVariable}, else ~/.strongroom/data).",
        HelpName = "dir",
    };

    private static Option<bool> DevOption() => new("--dev")
    {
        Description = "Use the development server's default data directory (~/.strongroom/dev) when --data is not given.",
    };

    private static Option<int> SharesOption(string description) => new("--shares") { Description = description, Required = true, HelpName = "N" };

    private static Option<int> ThresholdOption(string description) => new("--threshold") { Description = description, Required = true, HelpName = "K" };

    private static Option<string?> ShareDirectoryOption() => new("--share-dir")
    {
        Description = "Write one share file per custodian (mode 0600) into this directory instead of printing the shares.",
        HelpName = "dir",
    };
}
