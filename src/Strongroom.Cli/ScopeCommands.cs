using System.CommandLine;
using System.Text.Json;
using Strongroom.Blobs;
using Strongroom.Core;
using Strongroom.Server;

namespace Strongroom.Cli;

/// <summary>
/// <c>strongroom scope create | list | show | disable | enable</c>: an account's encryption scopes
/// (Azure manages them through ARM). Scopes cannot be deleted; disabling one makes every blob
/// under it unreadable and unwritable until it is enabled again. The deployment is opened with the
/// same helper as the account commands, so these run wherever those run.
/// </summary>
internal static class ScopeCommands
{
    public const string ScopeNameRule = "Encryption scope names must be between 3 and 63 characters in length and use numbers, lower-case letters and dash (-) only. Every dash (-) character must be immediately preceded and followed by a letter or number.";

    public static Command Build(TextWriter output)
    {
        var command = new Command("scope", "Manage the encryption scopes of an account (each a key of its own; platform- or customer-managed).");
        command.Subcommands.Add(Create(output));
        command.Subcommands.Add(List(output));
        command.Subcommands.Add(Show(output));
        command.Subcommands.Add(SetState(output, EncryptionScopeState.Disabled));
        command.Subcommands.Add(SetState(output, EncryptionScopeState.Enabled));
        return command;
    }

    private static Argument<string> ScopeNameArgument() => new("scope")
    {
        Description = "Scope name: 3 to 63 lowercase letters, digits and single dashes inside.",
    };

    private static Command Create(TextWriter output)
    {
        var account = Cli.AccountNameArgument();
        var scope = ScopeNameArgument();
        var keySource = new Option<string>("--key-source")
        {
            Description = "Who holds the key that protects the scope's key: the platform keyring, or a key in the tenant's vault.",
            DefaultValueFactory = _ => "platform",
            HelpName = "platform|customer",
        };
        keySource.AcceptOnlyFromAmong("platform", "customer");
        var keyName = new Option<string?>("--key-name") { Description = "The tenant's vault key (required with --key-source customer).", HelpName = "key" };
        var data = Cli.DataOption();
        var dev = Cli.DevDataOption();
        var json = Cli.JsonOption();
        var command = new Command("create", "Create an encryption scope (enabled) with a new random key.") { account, scope, keySource, keyName, data, dev, json };
        command.SetAction(async (parseResult, cancellationToken) =>
        {
            var accountName = Cli.RequireValidName(parseResult.GetValue(account));
            var scopeName = RequireValidScopeName(parseResult.GetValue(scope));
            var source = parseResult.GetValue(keySource) == "customer" ? EncryptionScopeKeySource.Customer : EncryptionScopeKeySource.Platform;
            var vaultKey = parseResult.GetValue(keyName);
            if (source == EncryptionScopeKeySource.Customer && string.IsNullOrEmpty(vaultKey))
            {
                throw new CliException(Cli.ExitUsage, "--key-source customer needs --key-name: the tenant's vault key that protects the scope.");
            }

            if (source == EncryptionScopeKeySource.Platform && vaultKey is not null)
            {
                throw new CliException(Cli.ExitUsage, "--key-name applies only with --key-source customer.");
            }

            await using var deployment = await Cli.OpenExistingAsync(parseResult.GetValue(data), parseResult.GetValue(dev), cancellationToken).ConfigureAwait(false);
            await Cli.GetAccountAsync(deployment, accountName, cancellationToken).ConfigureAwait(false);
            EncryptionScopeDetails created;
            try
            {
                created = await deployment.Scopes.CreateAsync(accountName, scopeName, source, vaultKey, cancellationToken).ConfigureAwait(false);
            }
            catch (StorageException exception) when (exception.Code == ErrorCode.EncryptionScopeAlreadyExists)
            {
                throw new CliException(Cli.ExitFailure, $"encryption scope '{scopeName}' already exists in account '{accountName}' (scopes cannot be deleted; enable it if it is disabled).");
            }
            catch (StorageException exception) when (exception.Code == ErrorCode.CustomerManagedKeyUnavailable)
            {
                throw new CliException(Cli.ExitFailure, $"the vault key '{vaultKey}' of account '{accountName}' is not available to wrap the scope's key (missing, disabled, expired, or no vault configured).");
            }

            Write(output, created, parseResult.GetValue(json), created: true);
            return Cli.ExitSuccess;
        });
        return command;
    }

    private static Command List(TextWriter output)
    {
        var account = Cli.AccountNameArgument();
        var data = Cli.DataOption();
        var dev = Cli.DevDataOption();
        var json = Cli.JsonOption();
        var command = new Command("list", "List an account's encryption scopes (never their keys).") { account, data, dev, json };
        command.SetAction(async (parseResult, cancellationToken) =>
        {
            var accountName = Cli.RequireValidName(parseResult.GetValue(account));
            await using var deployment = await Cli.OpenExistingAsync(parseResult.GetValue(data), parseResult.GetValue(dev), cancellationToken).ConfigureAwait(false);
            await Cli.GetAccountAsync(deployment, accountName, cancellationToken).ConfigureAwait(false);
            var scopes = await deployment.Scopes.ListAsync(accountName, cancellationToken).ConfigureAwait(false);
            if (parseResult.GetValue(json))
            {
                output.WriteLine(Cli.Json(writer =>
                {
                    writer.WriteStartArray();
                    foreach (var scope in scopes)
                    {
                        WriteJson(writer, scope);
                    }

                    writer.WriteEndArray();
                }));
                return Cli.ExitSuccess;
            }

            if (scopes.Count == 0)
            {
                output.WriteLine($"No encryption scopes in account {accountName}.");
                return Cli.ExitSuccess;
            }

            var width = Math.Max("NAME".Length, scopes.Max(scope => scope.Name.Length));
            output.WriteLine($"{"NAME".PadRight(width)}  {"STATE",-8}  {"KEY SOURCE",-10}  {"CREATED",-20}  VAULT KEY");
            foreach (var scope in scopes)
            {
                output.WriteLine($"{scope.Name.PadRight(width)}  {scope.State,-8}  {KeySourceText(scope.KeySource),-10}  {Cli.FormatTime(scope.CreatedOn),-20}  {VaultKeyText(scope)}");
            }

            return Cli.ExitSuccess;
        });
        return command;
    }

    private static Command Show(TextWriter output)
    {
        var account = Cli.AccountNameArgument();
        var scope = ScopeNameArgument();
        var data = Cli.DataOption();
        var dev = Cli.DevDataOption();
        var json = Cli.JsonOption();
        var command = new Command("show", "Show one encryption scope.") { account, scope, data, dev, json };
        command.SetAction(async (parseResult, cancellationToken) =>
        {
            var accountName = Cli.RequireValidName(parseResult.GetValue(account));
            var scopeName = RequireValidScopeName(parseResult.GetValue(scope));
            await using var deployment = await Cli.OpenExistingAsync(parseResult.GetValue(data), parseResult.GetValue(dev), cancellationToken).ConfigureAwait(false);
            await Cli.GetAccountAsync(deployment, accountName, cancellationToken).ConfigureAwait(false);
            var details = await GetScopeAsync(deployment, accountName, scopeName, cancellationToken).ConfigureAwait(false);
            Write(output, details, parseResult.GetValue(json), created: false);
            return Cli.ExitSuccess;
        });
        return command;
    }

    private static Command SetState(TextWriter output, EncryptionScopeState state)
    {
        var account = Cli.AccountNameArgument();
        var scope = ScopeNameArgument();
        var data = Cli.DataOption();
        var dev = Cli.DevDataOption();
        var json = Cli.JsonOption();
        var disable = state == EncryptionScopeState.Disabled;
        var command = new Command(
            disable ? "disable" : "enable",
            disable
                ? "Disable a scope: every read and write of its blobs fails (403) until it is enabled again. Nothing is deleted."
                : "Enable a disabled scope: its blobs are readable and writable again.")
        {
            account, scope, data, dev, json,
        };
        command.SetAction(async (parseResult, cancellationToken) =>
        {
            var accountName = Cli.RequireValidName(parseResult.GetValue(account));
            var scopeName = RequireValidScopeName(parseResult.GetValue(scope));
            await using var deployment = await Cli.OpenExistingAsync(parseResult.GetValue(data), parseResult.GetValue(dev), cancellationToken).ConfigureAwait(false);
            await Cli.GetAccountAsync(deployment, accountName, cancellationToken).ConfigureAwait(false);
            await GetScopeAsync(deployment, accountName, scopeName, cancellationToken).ConfigureAwait(false);
            var details = await deployment.Scopes.SetStateAsync(accountName, scopeName, state, cancellationToken).ConfigureAwait(false);
            if (parseResult.GetValue(json))
            {
                output.WriteLine(Cli.Json(writer => WriteJson(writer, details)));
                return Cli.ExitSuccess;
            }

            output.WriteLine(disable
                ? $"Disabled encryption scope {scopeName} of account {accountName}: its blobs cannot be read or written until `strongroom scope enable {accountName} {scopeName}`."
                : $"Enabled encryption scope {scopeName} of account {accountName}.");
            return Cli.ExitSuccess;
        });
        return command;
    }

    private static async Task<EncryptionScopeDetails> GetScopeAsync(Deployment deployment, string account, string scope, CancellationToken cancellationToken)
    {
        try
        {
            return await deployment.Scopes.GetAsync(account, scope, cancellationToken).ConfigureAwait(false);
        }
        catch (StorageException exception) when (exception.Code == ErrorCode.EncryptionScopeNotFound)
        {
            throw new CliException(Cli.ExitFailure, $"encryption scope '{scope}' not found in account '{account}'.");
        }
    }

    private static string RequireValidScopeName(string? name) =>
        EncryptionScopeNames.IsValid(name)
            ? name!
            : throw new CliException(Cli.ExitUsage, $"'{name}' is not a valid encryption scope name. {ScopeNameRule}");

    private static void Write(TextWriter output, EncryptionScopeDetails scope, bool json, bool created)
    {
        if (json)
        {
            output.WriteLine(Cli.Json(writer => WriteJson(writer, scope)));
            return;
        }

        if (created)
        {
            output.WriteLine($"Created encryption scope {scope.Name} in account {scope.Account}.");
        }

        output.WriteLine($"Account:           {scope.Account}");
        output.WriteLine($"Scope:             {scope.Name}");
        output.WriteLine($"State:             {scope.State}");
        output.WriteLine($"Key source:        {KeySourceText(scope.KeySource)}");
        if (scope.KeySource == EncryptionScopeKeySource.Customer)
        {
            output.WriteLine($"Vault key:         {VaultKeyText(scope)}");
        }

        output.WriteLine($"Created:           {Cli.FormatTime(scope.CreatedOn)}");
    }

    private static void WriteJson(Utf8JsonWriter writer, EncryptionScopeDetails scope)
    {
        writer.WriteStartObject();
        writer.WriteString("account", scope.Account);
        writer.WriteString("name", scope.Name);
        writer.WriteString("state", scope.State.ToString());
        writer.WriteString("keySource", KeySourceText(scope.KeySource));
        if (scope.KeySource == EncryptionScopeKeySource.Customer)
        {
            writer.WriteString("keyName", scope.CustomerKeyName);
            writer.WriteString("keyVersion", scope.CustomerKeyVersion);
        }

        writer.WriteString("createdOn", scope.CreatedOn.ToUniversalTime());
        writer.WriteEndObject();
    }

    private static string KeySourceText(EncryptionScopeKeySource source) =>
        source == EncryptionScopeKeySource.Customer ? "customer" : "platform";

    private static string VaultKeyText(EncryptionScopeDetails scope) =>
        scope.KeySource == EncryptionScopeKeySource.Customer ? $"{scope.CustomerKeyName} (version {scope.CustomerKeyVersion})" : "-";
}
