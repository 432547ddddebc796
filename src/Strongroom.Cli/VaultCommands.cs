using System.CommandLine;
using System.Globalization;
using Strongroom.Blobs;
using Strongroom.Core;

namespace Strongroom.Cli;

/// <summary>
/// Key rotation commands: <c>vault rotate | status | rewrap</c> and <c>account rotate-key</c>.
/// They open the deployment through <see cref="Cli.OpenExistingAsync"/> like every account command.
/// </summary>
internal static class VaultCommands
{
    public static Command Command(TextWriter output)
    {
        var command = new Command("vault", "Platform key management: rotate the keyring, show which key versions are in use, finish rewrapping.");
        command.Subcommands.Add(RotateCommand(output));
        command.Subcommands.Add(StatusCommand(output));
        command.Subcommands.Add(RewrapCommand(output));
        return command;
    }

    public static Command AccountRotateKeyCommand(TextWriter output)
    {
        var name = Cli.AccountNameArgument();
        var data = Cli.DataOption();
        var dev = Cli.DevDataOption();
        var json = Cli.JsonOption();
        var command = new Command("rotate-key", "Add a new version of the account's key-encryption key; new data keys use it, older versions keep reading until rewrapped.")
        {
            name, data, dev, json,
        };
        command.SetAction(async (parseResult, cancellationToken) =>
        {
            var accountName = Cli.RequireValidName(parseResult.GetValue(name));
            await using var deployment = await Cli.OpenExistingAsync(parseResult.GetValue(data), parseResult.GetValue(dev), cancellationToken).ConfigureAwait(false);
            await Cli.GetAccountAsync(deployment, accountName, cancellationToken).ConfigureAwait(false);
            uint version;
            try
            {
                version = await deployment.RotateAccountKeyAsync(accountName, cancellationToken).ConfigureAwait(false);
            }
            catch (StorageException exception) when (exception.Code == ErrorCode.AccountNotFound)
            {
                throw new CliException(Cli.ExitFailure, $"account '{accountName}' not found in {deployment.Directory.Root}.");
            }

            if (parseResult.GetValue(json))
            {
                output.WriteLine(Cli.Json(writer =>
                {
                    writer.WriteStartObject();
                    writer.WriteString("name", accountName);
                    writer.WriteNumber("keyEncryptionKeyVersion", version);
                    writer.WriteEndObject();
                }));
                return Cli.ExitSuccess;
            }

            output.WriteLine($"Account {accountName}: key-encryption key version {version} is now current.");
            output.WriteLine("Existing data keys keep their version until rewrapped: a running server does it in the background; `strongroom vault rewrap` finishes it.");
            return Cli.ExitSuccess;
        });
        return command;
    }

    private static Command RotateCommand(TextWriter output)
    {
        var data = Cli.DataOption();
        var dev = Cli.DevDataOption();
        var json = Cli.JsonOption();
        var session = SessionFile.Option();
        var caCertificate = SessionFile.CaCertificateOption();
        var command = new Command("rotate", "Add a new platform keyring version (the new current) and print it; old versions keep unwrapping. On the host (--data), or as a security admin through the management plane (--session).") { data, dev, json, session, caCertificate };
        command.SetAction(async (parseResult, cancellationToken) =>
        {
            uint version;
            if (ManagementMode(parseResult, session, data, dev))
            {
                using var client = ManagementClient.FromSession(parseResult.GetValue(session), parseResult.GetValue(caCertificate), out _);
                var answer = await client.SendAsync(HttpMethod.Post, "v1/vault/rotate", _ => { }, cancellationToken).ConfigureAwait(false);
                version = answer.GetProperty("keyringVersion").GetUInt32();
            }
            else
            {
                await using var deployment = await Cli.OpenExistingAsync(parseResult.GetValue(data), parseResult.GetValue(dev), cancellationToken).ConfigureAwait(false);
                version = await deployment.RotateKeyringAsync(cancellationToken).ConfigureAwait(false);
            }

            if (parseResult.GetValue(json))
            {
                output.WriteLine(Cli.Json(writer =>
                {
                    writer.WriteStartObject();
                    writer.WriteNumber("keyringVersion", version);
                    writer.WriteEndObject();
                }));
                return Cli.ExitSuccess;
            }

            output.WriteLine($"Keyring version {version} is now current.");
            output.WriteLine("Values wrapped by older versions keep working; a running server rewraps them in the background; `strongroom vault rewrap` finishes it.");
            return Cli.ExitSuccess;
        });
        return command;
    }

    /// <summary>True when the command goes through the management plane (<c>--session</c>); refuses mixing it with the host's options.</summary>
    private static bool ManagementMode(System.CommandLine.ParseResult parseResult, Option<string?> session, Option<string?> data, Option<bool> dev)
    {
        if (parseResult.GetResult(session) is null)
        {
            return false;
        }

        if (parseResult.GetResult(data) is not null || parseResult.GetValue(dev))
        {
            throw new CliException(Cli.ExitUsage, "--session goes through the management plane; it cannot be combined with --data or --dev.");
        }

        return true;
    }

    private static Command RewrapCommand(TextWriter output)
    {
        var data = Cli.DataOption();
        var dev = Cli.DevDataOption();
        var json = Cli.JsonOption();
        var command = new Command("rewrap", "Rewrap every key still wrapped by an old keyring or account key version, to completion, and print the counts.") { data, dev, json };
        command.SetAction(async (parseResult, cancellationToken) =>
        {
            await using var deployment = await Cli.OpenExistingAsync(parseResult.GetValue(data), parseResult.GetValue(dev), cancellationToken).ConfigureAwait(false);
            var counts = await deployment.RewrapAsync(cancellationToken).ConfigureAwait(false);
            if (parseResult.GetValue(json))
            {
                output.WriteLine(Cli.Json(writer =>
                {
                    writer.WriteStartObject();
                    writer.WriteNumber("sharedKeys", counts.SharedKeys);
                    writer.WriteNumber("keyEncryptionKeys", counts.KeyEncryptionKeys);
                    writer.WriteNumber("dataKeys", counts.DataKeys);
                    writer.WriteNumber("vaultItemValues", counts.VaultItemValues);
                    writer.WriteNumber("skipped", counts.Skipped);
                    writer.WriteNumber("failed", counts.Failed);
                    writer.WriteEndObject();
                }));
            }
            else
            {
                output.WriteLine($"Rewrapped {counts.SharedKeys} shared key(s), {counts.KeyEncryptionKeys} account key-encryption key(s), {counts.DataKeys} data key(s), {counts.VaultItemValues} vault item value(s).");
                output.WriteLine($"Changed meanwhile (left as written): {counts.Skipped}. Did not unwrap (damaged, left alone): {counts.Failed}.");
            }

            return counts.Failed > 0 ? Cli.ExitFailure : Cli.ExitSuccess;
        });
        return command;
    }

    private static Command StatusCommand(TextWriter output)
    {
        var data = Cli.DataOption();
        var dev = Cli.DevDataOption();
        var json = Cli.JsonOption();
        var session = SessionFile.Option();
        var caCertificate = SessionFile.CaCertificateOption();
        var command = new Command("status", "Show the keyring versions and how many wrapped keys and vault item values each protects, and each account's data keys per key-encryption-key version (through the management plane with --session: the versions only).") { data, dev, json, session, caCertificate };
        command.SetAction(async (parseResult, cancellationToken) =>
        {
            if (ManagementMode(parseResult, session, data, dev))
            {
                using var client = ManagementClient.FromSession(parseResult.GetValue(session), parseResult.GetValue(caCertificate), out _);
                var answer = await client.SendAsync(HttpMethod.Get, "v1/vault/status", null, cancellationToken).ConfigureAwait(false);
                if (parseResult.GetValue(json))
                {
                    output.WriteLine(Cli.Json(answer.WriteTo));
                    return Cli.ExitSuccess;
                }

                output.WriteLine($"Keyring current version: {answer.GetProperty("keyringCurrentVersion").GetUInt32()}");
                output.WriteLine($"Keyring versions:        {string.Join(", ", answer.GetProperty("keyringVersions").EnumerateArray().Select(version => version.GetUInt32()))}");
                return Cli.ExitSuccess;
            }

            await using var deployment = await Cli.OpenExistingAsync(parseResult.GetValue(data), parseResult.GetValue(dev), cancellationToken).ConfigureAwait(false);
            var usage = await deployment.Rewrapper.CountAsync(cancellationToken).ConfigureAwait(false);
            var versions = deployment.KeyringVersions;
            var current = deployment.KeyringCurrentVersion;
            if (parseResult.GetValue(json))
            {
                output.WriteLine(Cli.Json(writer =>
                {
                    writer.WriteStartObject();
                    writer.WriteNumber("keyringCurrentVersion", current);
                    writer.WriteStartArray("keyring");
                    foreach (var version in versions)
                    {
                        writer.WriteStartObject();
                        writer.WriteNumber("version", version);
                        writer.WriteNumber("sharedKeys", usage.SharedKeysByKeyringVersion.GetValueOrDefault(version));
                        writer.WriteNumber("keyEncryptionKeys", usage.KeyEncryptionKeysByKeyringVersion.GetValueOrDefault(version));
                        writer.WriteNumber("vaultSecrets", usage.VaultSecretsByKeyringVersion.GetValueOrDefault(version));
                        writer.WriteNumber("vaultKeys", usage.VaultKeysByKeyringVersion.GetValueOrDefault(version));
                        writer.WriteEndObject();
                    }

                    writer.WriteEndArray();
                    writer.WriteStartArray("accounts");
                    foreach (var account in usage.Accounts)
                    {
                        writer.WriteStartObject();
                        writer.WriteString("name", account.Account);
                        writer.WriteNumber("keyEncryptionKeyCurrentVersion", account.CurrentKeyEncryptionKeyVersion);
                        writer.WriteStartArray("keyEncryptionKeys");
                        foreach (var version in account.KeyEncryptionKeyVersions)
                        {
                            writer.WriteStartObject();
                            writer.WriteNumber("version", version);
                            writer.WriteNumber("dataKeys", account.DataKeysByKeyEncryptionKeyVersion.GetValueOrDefault(version));
                            writer.WriteEndObject();
                        }

                        writer.WriteEndArray();
                        writer.WriteEndObject();
                    }

                    writer.WriteEndArray();
                    writer.WriteEndObject();
                }));
                return Cli.ExitSuccess;
            }

            output.WriteLine($"Keyring: {versions.Count} version(s), current {current}");
            output.WriteLine($"{"VERSION",-8}  {"SHARED KEYS",11}  {"ACCOUNT KEKS",12}  {"VAULT SECRETS",13}  {"VAULT KEYS",10}");
            foreach (var version in versions)
            {
                var label = version == current ? $"{version} *" : version.ToString(CultureInfo.InvariantCulture);
                output.WriteLine($"{label,-8}  {usage.SharedKeysByKeyringVersion.GetValueOrDefault(version),11}  {usage.KeyEncryptionKeysByKeyringVersion.GetValueOrDefault(version),12}  {usage.VaultSecretsByKeyringVersion.GetValueOrDefault(version),13}  {usage.VaultKeysByKeyringVersion.GetValueOrDefault(version),10}");
            }

            if (usage.Accounts.Count == 0)
            {
                output.WriteLine("No accounts.");
                return Cli.ExitSuccess;
            }

            output.WriteLine();
            output.WriteLine("Data keys per account key-encryption-key version (* = current):");
            var width = Math.Max("ACCOUNT".Length, usage.Accounts.Max(account => account.Account.Length));
            output.WriteLine($"{"ACCOUNT".PadRight(width)}  DATA KEYS BY VERSION");
            foreach (var account in usage.Accounts)
            {
                var cells = account.KeyEncryptionKeyVersions.Select(version =>
                    $"v{version}{(version == account.CurrentKeyEncryptionKeyVersion ? "*" : string.Empty)}={account.DataKeysByKeyEncryptionKeyVersion.GetValueOrDefault(version)}");
                output.WriteLine($"{account.Account.PadRight(width)}  {string.Join(' ', cells)}");
            }

            return Cli.ExitSuccess;
        });
        return command;
    }
}
