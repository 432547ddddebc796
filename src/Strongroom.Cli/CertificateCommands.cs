using System.CommandLine;
using System.Globalization;
using System.Text;
using System.Text.Json;
using Strongroom.Audit;
using Strongroom.Destruction;

namespace Strongroom.Cli;

/// <summary>
/// <c>strongroom certificate list | get | verify</c>: signed destruction certificates
/// (docs/destruction.md). <c>list</c> and <c>get</c> read on the host (<c>--data</c>) or over the
/// management plane with a session (<c>--session</c>: the account's tenant administrators, also
/// after the account was closed or destroyed, and audit admins); <c>verify</c> needs neither — it
/// checks a certificate file and its signature file alone, against a pinned key when given.
/// </summary>
internal static class CertificateCommands
{
    /// <summary>What <c>get</c> appends to the document's file name for the signature's.</summary>
    public const string SignatureSuffix = ".sig";

    // A signature file holds 88 characters of base64 and a newline; anything much longer is not one.
    private const int SignatureFileBytesMax = 1024;

    public static Command Build(TextWriter output)
    {
        var command = new Command("certificate", "Signed destruction certificates: list and fetch an account's, verify one.");
        command.Subcommands.Add(List(output));
        command.Subcommands.Add(Get(output));
        command.Subcommands.Add(Verify(output));
        return command;
    }

    /// <summary>Where list and get read: the data directory, or the management plane with a session.</summary>
    private static HostOrPlaneOptions Source() => new("--session reads over the management plane: it contradicts --data.", caCertificateNeedsSession: true);

    private static Command List(TextWriter output)
    {
        var account = Cli.AccountNameArgument();
        var json = Cli.JsonOption();
        var source = Source();
        var command = new Command("list", "The account's destruction certificates (latest revision of each, newest first).") { account, json };
        source.AddTo(command);
        command.SetAction(async (parseResult, cancellationToken) =>
        {
            var name = Cli.RequireValidName(parseResult.GetValue(account));
            List<(string Id, int Revision, DateTimeOffset IssuedOn, string Kind, string Scope)> items;
            if (source.HasSession(parseResult))
            {
                using var client = source.Client(parseResult);
                var answer = await client.SendAsync(HttpMethod.Get, $"v1/accounts/{Uri.EscapeDataString(name)}/certificates", body: null, cancellationToken).ConfigureAwait(false);
                try
                {
                    items = [.. answer.GetProperty("certificates").EnumerateArray().Select(item => (
                        item.GetProperty("id").GetString()!,
                        item.GetProperty("revision").GetInt32(),
                        DateTimeOffset.Parse(item.GetProperty("issuedOn").GetString()!, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal | DateTimeStyles.AdjustToUniversal),
                        item.GetProperty("scope").GetProperty("kind").GetString()!,
                        item.GetProperty("scope").GetProperty("name").GetString()!))];
                }
                catch (Exception exception) when (exception is KeyNotFoundException or InvalidOperationException or FormatException)
                {
                    throw new CliException(Cli.ExitFailure, $"{client.Server} answered the certificate list with JSON this CLI does not understand.");
                }
            }
            else
            {
                await using var deployment = await source.OpenHostAsync(parseResult, cancellationToken).ConfigureAwait(false);
                var certificates = await deployment.Certificates.ListAsync(name, cancellationToken).ConfigureAwait(false);
                items = [.. certificates.Select(certificate =>
                {
                    var scope = CertificateService.ScopeOf(certificate);
                    return (certificate.DestructionId, certificate.Revision, certificate.IssuedOn, scope.KindName, scope.Name);
                })];
            }

            if (parseResult.GetValue(json))
            {
                output.WriteLine(Cli.Json(writer =>
                {
                    writer.WriteStartObject();
                    writer.WriteStartArray("certificates");
                    foreach (var item in items)
                    {
                        writer.WriteStartObject();
                        writer.WriteString("id", item.Id);
                        writer.WriteNumber("revision", item.Revision);
                        writer.WriteString("issuedOn", CertificateDocument.FormatTime(item.IssuedOn));
                        writer.WriteStartObject("scope");
                        writer.WriteString("kind", item.Kind);
                        writer.WriteString("name", item.Scope);
                        writer.WriteEndObject();
                        writer.WriteEndObject();
                    }

                    writer.WriteEndArray();
                    writer.WriteEndObject();
                }));
            }
            else if (items.Count == 0)
            {
                output.WriteLine($"Account {name} has no destruction certificates.");
            }
            else
            {
                output.WriteLine($"{"ID",-36} {"REV",3} {"ISSUED",-20} SCOPE");
                foreach (var item in items)
                {
                    output.WriteLine($"{item.Id,-36} {item.Revision,3} {Cli.FormatTime(item.IssuedOn),-20} {item.Kind} {item.Scope}");
                }
            }

            return Cli.ExitSuccess;
        });
        return command;
    }

    private static Command Get(TextWriter output)
    {
        var account = Cli.AccountNameArgument();
        var id = new Argument<string>("id") { Description = "The destruction's id (from `strongroom certificate list`)." };
        var revision = new Option<int?>("--revision") { Description = "This revision (default: the latest).", HelpName = "n" };
        revision.Validators.Add(result =>
        {
            if (result.Tokens.Count == 1 && int.TryParse(result.Tokens[0].Value, CultureInfo.InvariantCulture, out var value) && value < 1)
            {
                result.AddError("--revision is 1 or more.");
            }
        });
        var file = new Option<string>("--out") { Description = $"Write the document to this file and its signature to FILE{SignatureSuffix}.", HelpName = "file", Required = true };
        var source = Source();
        var command = new Command("get", $"Fetch a certificate: its exact document bytes to --out FILE and its detached signature (base64) to FILE{SignatureSuffix}.") { account, id, revision, file };
        source.AddTo(command);
        command.SetAction(async (parseResult, cancellationToken) =>
        {
            var name = Cli.RequireValidName(parseResult.GetValue(account));
            var destructionId = parseResult.GetValue(id)!;
            var number = parseResult.GetValue(revision);
            var path = CliSession.Current.ResolvePath(parseResult.GetValue(file)!);
            byte[] document, signature;
            if (source.HasSession(parseResult))
            {
                using var client = source.Client(parseResult);
                var query = number is { } n ? "?revision=" + n.ToString(CultureInfo.InvariantCulture) : string.Empty;
                var (body, headers) = await client.GetBytesAsync($"v1/accounts/{Uri.EscapeDataString(name)}/certificates/{Uri.EscapeDataString(destructionId)}{query}", cancellationToken).ConfigureAwait(false);
                document = body;
                signature = headers.TryGetValues("Strongroom-Signature", out var values) && values.SingleOrDefault() is { } text && TryBase64(text, out var decoded)
                    ? decoded
                    : throw new CliException(Cli.ExitFailure, $"{client.Server} answered the certificate without its Strongroom-Signature header.");
            }
            else
            {
                await using var deployment = await source.OpenHostAsync(parseResult, cancellationToken).ConfigureAwait(false);
                var certificate = await deployment.Certificates.GetAsync(name, destructionId, number, cancellationToken).ConfigureAwait(false);
                document = certificate.Document;
                signature = certificate.Signature;
            }

            await File.WriteAllBytesAsync(path, document, cancellationToken).ConfigureAwait(false);
            await File.WriteAllTextAsync(path + SignatureSuffix, Convert.ToBase64String(signature) + "\n", new UTF8Encoding(false), cancellationToken).ConfigureAwait(false);
            output.WriteLine($"Certificate {destructionId} of {name} written to {path} and its signature to {path}{SignatureSuffix}; check them with `strongroom certificate verify {path} --verifier-key \"$(strongroom audit key --account {name})\"`.");
            return Cli.ExitSuccess;
        });
        return command;
    }

    private static Command Verify(TextWriter output)
    {
        var file = new Argument<string>("file") { Description = "The certificate document (from `strongroom certificate get`)." };
        var signatureFile = new Option<string?>("--signature") { Description = $"The detached signature, base64 (default: FILE{SignatureSuffix}).", HelpName = "file" };
        var verifierKey = new Option<string?>("--verifier-key") { Description = "The account log's verifier key you pinned (`strongroom audit key`, or the key `audit verify` pinned); without it the certificate's own key is used and only its consistency is proven.", HelpName = "key" };
        var json = Cli.JsonOption();
        var command = new Command("verify", "Verify a destruction certificate: canonical document, signature, pinned key, the log checkpoint and each destruction entry's inclusion proof. Exit 1 names what failed.") { file, signatureFile, verifierKey, json };
        command.SetAction(async (parseResult, cancellationToken) =>
        {
            var path = CliSession.Current.ResolvePath(parseResult.GetValue(file)!);
            var signaturePath = CliSession.Current.ResolvePath(parseResult.GetValue(signatureFile) ?? path + SignatureSuffix);
            NoteVerifierKey? pinned = null;
            if (parseResult.GetValue(verifierKey) is { } keyText)
            {
                try
                {
                    pinned = NoteVerifierKey.Parse(keyText);
                }
                catch (FormatException exception)
                {
                    throw new CliException(Cli.ExitUsage, $"--verifier-key is not a verifier key: {exception.Message}");
                }
            }

            var info = new FileInfo(path);
            if (info.Exists && info.Length > Core.Limits.CertificateDocumentBytesMax)
            {
                throw new CliException(Cli.ExitFailure, $"{path} is larger than any certificate ({Core.Limits.CertificateDocumentBytesMax} bytes).");
            }

            var document = await File.ReadAllBytesAsync(path, cancellationToken).ConfigureAwait(false);
            if (new FileInfo(signaturePath) is { Exists: true, Length: > SignatureFileBytesMax })
            {
                throw new CliException(Cli.ExitFailure, $"{signaturePath} is not a signature: it is larger than {SignatureFileBytesMax} bytes.");
            }

            var signatureText = (await File.ReadAllTextAsync(signaturePath, cancellationToken).ConfigureAwait(false)).Trim();
            if (!TryBase64(signatureText, out var signature))
            {
                throw new CliException(Cli.ExitFailure, $"{signaturePath} is not a base64 signature.");
            }

            var result = CertificateVerifier.Verify(document, signature, pinned);
            if (parseResult.GetValue(json))
            {
                output.WriteLine(Cli.Json(writer =>
                {
                    writer.WriteStartObject();
                    writer.WriteBoolean("valid", result.Valid);
                    writer.WriteBoolean("pinned", pinned is not null);
                    writer.WriteStartArray("failures");
                    foreach (var failure in result.Failures)
                    {
                        writer.WriteStartObject();
                        writer.WriteString("kind", failure.Kind.ToString());
                        writer.WriteString("message", failure.Message);
                        writer.WriteEndObject();
                    }

                    writer.WriteEndArray();
                    writer.WriteEndObject();
                }));
            }

            if (!result.Valid)
            {
                foreach (var failure in result.Failures)
                {
                    CliSession.Current.Error.WriteLine($"FAILED: {failure}");
                }

                return Cli.ExitFailure;
            }

            if (!parseResult.GetValue(json))
            {
                WriteSummary(output, result.Document!, result.Key!, pinned is not null);
            }

            if (pinned is null)
            {
                CliSession.Current.Error.WriteLine($"WARNING: no --verifier-key: the certificate is consistent and signed by the key it names ({result.Key}), but only a key you pinned (`strongroom audit key --account {result.Document!.Account}`) proves the deployment signed it.");
            }

            return Cli.ExitSuccess;
        });
        return command;
    }

    private static void WriteSummary(TextWriter output, CertificateDocument document, NoteVerifierKey key, bool pinned)
    {
        output.WriteLine($"OK: destruction certificate {document.Id} revision {document.Revision} of {document.Account} ({document.Scope.KindName} {document.Scope.Name}), issued {Cli.FormatTime(document.IssuedOn)}, signed by {key.Name}{(pinned ? " (pinned key)" : string.Empty)}.");
        output.WriteLine($"Method:            {CertificateDocument.Method} ({CertificateDocument.Standard})");
        output.WriteLine($"Keys destroyed:    {Cli.FormatTime(document.KeysDestroyedOn)}; {document.Keys.Count(item => !item.Id.StartsWith(CertificateDocument.DataKeyIdPrefix, StringComparison.Ordinal))} key-encryption keys, {document.DataKeys.Count} data keys");
        foreach (var scheduled in document.Keys.Where(item => item.ScheduledOn is not null))
        {
            output.WriteLine($"Scheduled:         {scheduled.Id} at {Cli.FormatTime(scheduled.ScheduledOn!.Value)} (purge protection)");
        }

        output.WriteLine($"Objects:           {document.Objects} ({document.Bytes} bytes)");
        foreach (var site in document.Sites)
        {
            output.WriteLine($"Site {site.SiteId}: {site.Copies} copies, {(site.SweepComplete ? "swept " + Cli.FormatTime(site.CompletedOn!.Value) : "sweep pending (ciphertext unreadable)")}");
        }

        output.WriteLine(document.SweepCompletedOn is { } completed ? $"Sweep complete:    {Cli.FormatTime(completed)}" : "Sweep complete:    not yet");
        var size = Checkpoint.Parse(SignedNote.Parse(document.Log.Checkpoint).Text).Size;
        output.WriteLine($"Log:               {document.Log.Entries.Count} entries ({string.Join(", ", document.Log.Entries.Select(entry => entry.Index.ToString(CultureInfo.InvariantCulture)))}) included in {document.Log.Origin} at size {size}");
    }

    private static bool TryBase64(string text, out byte[] bytes)
    {
        try
        {
            bytes = Convert.FromBase64String(text);
            return true;
        }
        catch (FormatException)
        {
            bytes = [];
            return false;
        }
    }
}
