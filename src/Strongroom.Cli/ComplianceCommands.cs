using System.CommandLine;
using System.Globalization;
using Strongroom.Compliance;
using Strongroom.Core;

namespace Strongroom.Cli;

/// <summary>
/// <c>strongroom compliance report [--format md|json|html] [--output FILE]</c>: evaluates the live
/// deployment (inside the running server over the control socket when one runs, like every
/// data-directory command) against the MLPS 2.0 level-3 checklist with the CSL and PIPL items
/// (docs/compliance.md). Every log is verified afresh with the verifier of <c>audit verify</c>.
/// Exit 0 when no row decided from evidence fails, 1 when one does, 2 for a usage error.
/// </summary>
internal static class ComplianceCommands
{
    public static Command Build(TextWriter output)
    {
        var command = new Command("compliance", "Compliance evidence: the MLPS 2.0 level-3, CSL and PIPL checklist evaluated on the live deployment.");
        command.Subcommands.Add(Report(output));
        return command;
    }

    private static Command Report(TextWriter output)
    {
        var format = new Option<string>("--format")
        {
            Description = "md (a Markdown table, the default), json (a stable schema with a version field, for machines) or html (one self-contained, accessible page).",
            DefaultValueFactory = _ => "md",
            HelpName = "md|json|html",
        };
        format.AcceptOnlyFromAmong([.. ComplianceRenderer.Formats]);
        var file = new Option<string?>("--output") { Description = "Write the report to this file (a summary line goes to standard output).", HelpName = "file" };
        var data = Cli.DataOption();
        var dev = Cli.DevDataOption();
        var command = new Command(
            "report",
            "Evaluate the deployment against the checklist: each row pass, fail, manual (what an assessor must examine) or not-applicable, with the evidence read now. Exit 1 when an automatic row fails. Evidence for an assessment, not a certification.")
        {
            format, file, data, dev,
        };
        command.SetAction(async (parseResult, cancellationToken) =>
        {
            var chosen = parseResult.GetValue(format)!;
            var path = parseResult.GetValue(file) is { } given ? CliSession.Current.ResolvePath(given) : null;
            await using var deployment = await Cli.OpenExistingAsync(parseResult.GetValue(data), parseResult.GetValue(dev), cancellationToken).ConfigureAwait(false);
            var evidence = await deployment.CollectComplianceEvidenceAsync(
                async (log, ct) =>
                {
                    var reader = new DeploymentLogSource(deployment, log);
                    var result = await AuditVerification.VerifyFreshAsync(reader, ct).ConfigureAwait(false);
                    var size = result.Checkpoint?.Size ?? await reader.GetSizeAsync(ct).ConfigureAwait(false);
                    return new LogEvidence(
                        log,
                        size,
                        result.Ok,
                        result.Ok
                            ? string.Create(CultureInfo.InvariantCulture, $"verified {result.EntriesChecked} entries ({result.EntriesPruned} pruned)")
                            : $"{result.Status}: {result.Message}" + (result.FirstBadIndex is { } index ? string.Create(CultureInfo.InvariantCulture, $" (first differing index {index})") : string.Empty));
                },
                cancellationToken).ConfigureAwait(false);
            var report = ComplianceChecklist.Evaluate(evidence);
            var rendered = ComplianceRenderer.Render(report, chosen);
            if (path is null)
            {
                output.Write(rendered);
            }
            else
            {
                await File.WriteAllTextAsync(path, rendered, cancellationToken).ConfigureAwait(false);
                output.WriteLine(string.Create(
                    CultureInfo.InvariantCulture,
                    $"Wrote the compliance report ({chosen}) to {path}: {report.Count(ComplianceStatus.Pass)} pass, {report.Count(ComplianceStatus.Fail)} fail, {report.Count(ComplianceStatus.Manual)} manual, {report.Count(ComplianceStatus.NotApplicable)} not applicable."));
            }

            if (report.AnyFailure)
            {
                CliSession.Current.Error.WriteLine($"compliance report: failed rows {string.Join(", ", report.Rows.Where(row => row.Status == ComplianceStatus.Fail).Select(row => row.Id))}.");
                return Cli.ExitFailure;
            }

            return Cli.ExitSuccess;
        });
        return command;
    }
}
