using System.CommandLine;
using System.Globalization;
using Strongroom.Core;
using Strongroom.KeyVault;

namespace Strongroom.Cli;

/// <summary>The Key Vault API's commands: bearer tokens and the per-account vault settings.</summary>
public static partial class Cli
{
    private static void RequireUnreservedName(string name)
    {
        if (ReservedPaths.IsReservedAccountName(name))
        {
            throw new CliException(ExitUsage, $"'{name}' is reserved: the Key Vault API serves /{name}, so no account may take that name.");
        }
    }

    private static Command AccountTokenCommand(TextWriter output)
    {
        var name = AccountNameArgument();
        var data = DataOption();
        var dev = DevDataOption();
        var json = JsonOption();
        var lifetime = new Option<string>("--lifetime")
        {
            Description = $"How long the token is valid: e.g. 30m, 1h, 12h (default 1h, at most {Limits.BearerTokenLifetimeMax.TotalHours:0}h).",
            HelpName = "duration",
        };
        var command = new Command("token", "Issue a bearer token for the account's Key Vault API (print it once; it is not stored).")
        {
            name, data, dev, lifetime, json,
        };
        command.SetAction(async (parseResult, cancellationToken) =>
        {
            var accountName = RequireValidName(parseResult.GetValue(name));
            var duration = ParseLifetime(parseResult.GetValue(lifetime));
            await using var deployment = await OpenExistingAsync(parseResult.GetValue(data), parseResult.GetValue(dev), cancellationToken).ConfigureAwait(false);
            await GetAccountAsync(deployment, accountName, cancellationToken).ConfigureAwait(false);
            var issued = await deployment.Tokens.IssueAsync(accountName, duration, cancellationToken).ConfigureAwait(false);

            // A token is a grant: recorded in the account's log before it is shown, as the token endpoint does.
            await deployment.KeyVault.RecordTokenIssuedAsync(accountName, issued, cancellationToken).ConfigureAwait(false);
            if (parseResult.GetValue(json))
            {
                output.WriteLine(Json(issued.WriteTokenResponse));
                return ExitSuccess;
            }

            output.WriteLine($"Token:             {issued.AccessToken}");
            output.WriteLine($"Expires:           {FormatTime(issued.ExpiresOn)}");
            output.WriteLine("Send it as 'Authorization: Bearer TOKEN' to the Key Vault API (https://HOST:PORT/secrets, /keys).");
            return ExitSuccess;
        });
        return command;
    }

    private static Command AccountVaultCommand(TextWriter output)
    {
        var name = AccountNameArgument();
        var data = DataOption();
        var dev = DevDataOption();
        var json = JsonOption();
        var retention = new Option<int?>("--retention-days")
        {
            Description = $"Soft-delete retention for deleted secrets and keys, {Limits.SoftDeleteRetentionDaysMin}–{Limits.SoftDeleteRetentionDaysMax} days (default {Limits.SoftDeleteRetentionDaysMax}).",
            HelpName = "days",
        };
        var purgeProtection = new Option<bool>("--purge-protection")
        {
            Description = "Turn purge protection on: deleted items can then only expire, never be purged early. It cannot be turned off.",
        };
        var command = new Command("vault", "Show or change the account's vault settings (soft-delete retention, purge protection).")
        {
            name, data, dev, retention, purgeProtection, json,
        };
        command.SetAction(async (parseResult, cancellationToken) =>
        {
            var accountName = RequireValidName(parseResult.GetValue(name));
            await using var deployment = await OpenExistingAsync(parseResult.GetValue(data), parseResult.GetValue(dev), cancellationToken).ConfigureAwait(false);
            await GetAccountAsync(deployment, accountName, cancellationToken).ConfigureAwait(false);
            var days = parseResult.GetValue(retention);
            var protect = parseResult.GetValue(purgeProtection) ? true : (bool?)null;
            VaultOptions settings;
            try
            {
                settings = days is null && protect is null
                    ? await deployment.KeyVault.GetSettingsAsync(accountName, cancellationToken).ConfigureAwait(false)
                    : await deployment.KeyVault.SetSettingsAsync(accountName, days, protect, cancellationToken).ConfigureAwait(false);
            }
            catch (KeyVaultException exception)
            {
                throw new CliException(ExitUsage, exception.Message);
            }

            if (parseResult.GetValue(json))
            {
                output.WriteLine(Json(writer =>
                {
                    writer.WriteStartObject();
                    writer.WriteString("name", accountName);
                    writer.WriteNumber("retentionDays", settings.RetentionDays);
                    writer.WriteBoolean("purgeProtection", settings.PurgeProtection);
                    writer.WriteString("recoveryLevel", settings.RecoveryLevel);
                    writer.WriteEndObject();
                }));
                return ExitSuccess;
            }

            output.WriteLine($"Account:           {accountName}");
            output.WriteLine($"Retention:         {settings.RetentionDays} days");
            output.WriteLine($"Purge protection:  {(settings.PurgeProtection ? "on" : "off")}");
            output.WriteLine($"Recovery level:    {settings.RecoveryLevel}");
            return ExitSuccess;
        });
        return command;
    }

    /// <summary>"90s", "30m", "1h", "2d" or plain seconds.</summary>
    private static TimeSpan ParseLifetime(string? text)
    {
        if (string.IsNullOrEmpty(text))
        {
            return Limits.BearerTokenLifetimeDefault;
        }

        var unit = char.IsAsciiLetter(text[^1]) ? text[^1] : 's';
        var number = char.IsAsciiLetter(text[^1]) ? text[..^1] : text;
        if (!int.TryParse(number, NumberStyles.None, CultureInfo.InvariantCulture, out var value) || value <= 0)
        {
            throw new CliException(ExitUsage, $"'{text}' is not a duration: use e.g. 30m, 1h or 12h.");
        }

        var lifetime = unit switch
        {
            's' => TimeSpan.FromSeconds(value),
            'm' => TimeSpan.FromMinutes(value),
            'h' => TimeSpan.FromHours(value),
            'd' => TimeSpan.FromDays(value),
            _ => throw new CliException(ExitUsage, $"'{text}' is not a duration: use e.g. 30m, 1h or 12h."),
        };
        if (lifetime > Limits.BearerTokenLifetimeMax)
        {
            throw new CliException(ExitUsage, $"A token lives at most {Limits.BearerTokenLifetimeMax.TotalHours:0} hours.");
        }

        return lifetime;
    }
}
