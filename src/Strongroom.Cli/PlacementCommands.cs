using System.CommandLine;
using System.Globalization;
using System.Text;
using System.Text.Json;
using Strongroom.Audit;
using Strongroom.Core;
using Strongroom.Placement;
using Strongroom.Server;

namespace Strongroom.Cli;

/// <summary>
/// Datacenters on the command line: an account's placement (<c>account placement show | set</c>,
/// the placement options of <c>account create</c>), a container's redundancy
/// (<c>container redundancy</c>), sites (<c>site list | drain | remove</c>), failover
/// (<c>account failover</c>), where the data is (<c>account locations</c>, with a signed report)
/// and the tenant's check of a report (<c>placement verify-report</c>). Like every data-directory
/// command, each runs inside a live server over the control socket or offline.
/// </summary>
internal static class PlacementCommands
{
    /// <summary>The placement options shared by <c>account create</c> and <c>account placement set</c>.</summary>
    internal sealed class PolicyOptions
    {
        public Option<string?> Residency { get; } = new("--residency") { Description = "Jurisdictions the account's copies may live in, comma-separated (ISO 3166-1 alpha-2 codes or EU), e.g. CN or CN,EU.", HelpName = "CC[,CC]" };

        public Option<string?> PrimaryRegion { get; } = new("--primary-region") { Description = "The region that holds the account's synchronous copies (a region of the topology).", HelpName = "region" };

        public Option<string?> SecondaryRegion { get; } = new("--secondary-region") { Description = "The region of the geo copies (GRS, RA-GRS, GZRS, RA-GZRS, custom with regions=2).", HelpName = "region" };

        public Option<string?> Redundancy { get; } = new("--redundancy") { Description = "LRS, ZRS, GRS, RA-GRS, GZRS, RA-GZRS (Azure's meanings) or custom:copies=N,zones=Z,regions=1|2,sync|async.", HelpName = "kind" };

        public IEnumerable<Option> All => [Residency, PrimaryRegion, SecondaryRegion, Redundancy];

        /// <summary>The request the options make, or null when none was given. Spelling is checked here (InvalidPlacementPolicy), the topology by the service.</summary>
        public PlacementPolicyRequest? Read(System.CommandLine.ParseResult parseResult)
        {
            var residencyText = parseResult.GetValue(Residency);
            var primary = parseResult.GetValue(PrimaryRegion);
            var secondary = parseResult.GetValue(SecondaryRegion);
            var redundancy = parseResult.GetValue(Redundancy);
            if (residencyText is null && primary is null && secondary is null && redundancy is null)
            {
                return null;
            }

            IReadOnlyList<string>? residency = null;
            if (residencyText is not null)
            {
                residency = residencyText.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries).Select(code => code.ToUpperInvariant()).Distinct(StringComparer.Ordinal).ToList();
                var wrong = residency.FirstOrDefault(code => !PlacementNames.IsValidJurisdiction(code));
                if (residency.Count == 0 || wrong is not null)
                {
                    throw new StorageException(ErrorCode.InvalidPlacementPolicy, $"--residency is a comma-separated list of two-letter jurisdictions such as CN or CN,EU (got '{residencyText}').");
                }
            }

            foreach (var (name, region) in new[] { ("--primary-region", primary), ("--secondary-region", secondary) })
            {
                if (region is not null && !PlacementNames.IsValidName(region))
                {
                    throw new StorageException(ErrorCode.InvalidPlacementPolicy, $"{name} is a region name: lowercase letters, digits and '-' (got '{region}').");
                }
            }

            if (redundancy is not null)
            {
                // Parsed for its message only; the service parses it again.
                _ = Core.Redundancy.Parse(redundancy);
            }

            return new PlacementPolicyRequest(residency, primary, secondary, redundancy);
        }
    }

    public static Command AccountPlacementCommand(TextWriter output)
    {
        var command = new Command("placement", "Show or change where an account's copies live: residency, regions and redundancy.");

        var showName = Cli.AccountNameArgument();
        var showData = Cli.DataOption();
        var showDev = Cli.DevDataOption();
        var showJson = Cli.JsonOption();
        var show = new Command("show", "Show the account's placement policy.") { showName, showData, showDev, showJson };
        show.SetAction(async (parseResult, cancellationToken) =>
        {
            var account = Cli.RequireValidName(parseResult.GetValue(showName));
            await using var deployment = await Cli.OpenExistingAsync(parseResult.GetValue(showData), parseResult.GetValue(showDev), cancellationToken).ConfigureAwait(false);
            await RequireAccountAsync(deployment, account, cancellationToken).ConfigureAwait(false);
            var (policy, isDefault) = await deployment.Placement.GetAccountPolicyAsync(account, cancellationToken).ConfigureAwait(false);
            WritePolicy(output, account, policy, isDefault, parseResult.GetValue(showJson));
            return Cli.ExitSuccess;
        });

        var setName = Cli.AccountNameArgument();
        var setData = Cli.DataOption();
        var setDev = Cli.DevDataOption();
        var setJson = Cli.JsonOption();
        var options = new PolicyOptions();
        var set = new Command("set", "Change the account's placement policy; refused with the reason when the topology cannot satisfy it inside the residency.") { setName, setData, setDev, setJson };
        foreach (var option in options.All)
        {
            set.Options.Add(option);
        }

        set.SetAction(async (parseResult, cancellationToken) =>
        {
            var account = Cli.RequireValidName(parseResult.GetValue(setName));
            var request = options.Read(parseResult)
                ?? throw new CliException(Cli.ExitUsage, "nothing to change: give --residency, --primary-region, --secondary-region or --redundancy.");
            await using var deployment = await Cli.OpenExistingAsync(parseResult.GetValue(setData), parseResult.GetValue(setDev), cancellationToken).ConfigureAwait(false);
            await RequireAccountAsync(deployment, account, cancellationToken).ConfigureAwait(false);
            var policy = await deployment.Placement.SetAccountPolicyAsync(account, request, cancellationToken).ConfigureAwait(false);
            WritePolicy(output, account, policy, isDefault: false, parseResult.GetValue(setJson));
            return Cli.ExitSuccess;
        });

        command.Subcommands.Add(show);
        command.Subcommands.Add(set);
        return command;
    }

    public static Command ContainerCommand(TextWriter output)
    {
        var account = Cli.AccountNameArgument();
        var container = new Argument<string>("container") { Description = "Container name." };
        var value = new Argument<string?>("redundancy") { Description = "LRS, ZRS, GRS, RA-GRS, GZRS, RA-GZRS or custom:…; inside the account's residency and regions.", Arity = ArgumentArity.ZeroOrOne };
        var clear = new Option<bool>("--clear") { Description = "Drop the container's own redundancy: it follows the account's again." };
        var data = Cli.DataOption();
        var dev = Cli.DevDataOption();
        var redundancy = new Command("redundancy", "Give a container its own redundancy (new objects follow it; the repair worker converges the others), or --clear it.") { account, container, value, clear, data, dev };
        redundancy.SetAction(async (parseResult, cancellationToken) =>
        {
            var accountName = Cli.RequireValidName(parseResult.GetValue(account));
            var containerName = parseResult.GetValue(container)!;
            var text = parseResult.GetValue(value);
            var clearing = parseResult.GetValue(clear);
            if (clearing == (text is not null))
            {
                throw new CliException(Cli.ExitUsage, "give either a redundancy or --clear.");
            }

            if (text is not null)
            {
                _ = Redundancy.Parse(text);
            }

            await using var deployment = await Cli.OpenExistingAsync(parseResult.GetValue(data), parseResult.GetValue(dev), cancellationToken).ConfigureAwait(false);
            var record = await deployment.Placement.SetContainerRedundancyAsync(accountName, containerName, text, cancellationToken).ConfigureAwait(false);
            output.WriteLine(record.Redundancy is { } own
                ? $"Container {accountName}/{containerName}: redundancy {own}."
                : $"Container {accountName}/{containerName}: follows the account's redundancy.");
            return Cli.ExitSuccess;
        });

        var command = new Command("container", "Manage containers' placement and legal holds.");
        command.Subcommands.Add(redundancy);
        command.Subcommands.Add(ProtectionCommands.LegalHoldCommand(output));
        return command;
    }

    public static Command SiteCommand(TextWriter output)
    {
        var command = new Command("site", "The deployment's sites (datacenters): list them with their copies and the repair backlog, drain one, remove a drained one.");

        var listData = Cli.DataOption();
        var listDev = Cli.DevDataOption();
        var listJson = Cli.JsonOption();
        var list = new Command("list", "List the sites: where they are, their state and health, the copies they hold; then the repair backlog and progress.") { listData, listDev, listJson };
        list.SetAction(async (parseResult, cancellationToken) =>
        {
            await using var deployment = await Cli.OpenExistingAsync(parseResult.GetValue(listData), parseResult.GetValue(listDev), cancellationToken).ConfigureAwait(false);
            var usage = await deployment.Placement.GetSiteUsageAsync(cancellationToken).ConfigureAwait(false);
            var status = await deployment.Repair.GetStatusAsync(cancellationToken).ConfigureAwait(false);
            WriteSites(output, deployment.Sites, usage, status, parseResult.GetValue(listJson));
            return Cli.ExitSuccess;
        });

        var drainId = SiteIdArgument();
        var drainData = Cli.DataOption();
        var drainDev = Cli.DevDataOption();
        var drain = new Command("drain", "Stop placing copies on a site and move its copies elsewhere inside each tenant's residency.") { drainId, drainData, drainDev };
        drain.SetAction(async (parseResult, cancellationToken) =>
        {
            var id = parseResult.GetValue(drainId)!;
            await using var deployment = await Cli.OpenExistingAsync(parseResult.GetValue(drainData), parseResult.GetValue(drainDev), cancellationToken).ConfigureAwait(false);
            RequireSite(deployment, id);
            var result = await deployment.Repair.DrainAsync(id, cancellationToken).ConfigureAwait(false);
            output.WriteLine($"Site {result.SiteId} is draining: {result.CopiesMoved} copies moved, {result.CopiesRemaining} remaining.");
            foreach (var problem in result.Problems)
            {
                output.WriteLine($"  {problem}");
            }

            if (result.CopiesRemaining == 0)
            {
                output.WriteLine($"The site holds no copies: `strongroom site remove {result.SiteId}` removes it.");
                return Cli.ExitSuccess;
            }

            output.WriteLine("The repair worker keeps moving the rest; run `strongroom site list` to follow it, or drain again.");
            return result.Problems.Count == 0 ? Cli.ExitSuccess : Cli.ExitFailure;
        });

        var removeId = SiteIdArgument();
        var removeData = Cli.DataOption();
        var removeDev = Cli.DevDataOption();
        var remove = new Command("remove", "Remove a drained site (refused while it holds a copy or owes a deletion).") { removeId, removeData, removeDev };
        remove.SetAction(async (parseResult, cancellationToken) =>
        {
            var id = parseResult.GetValue(removeId)!;
            await using var deployment = await Cli.OpenExistingAsync(parseResult.GetValue(removeData), parseResult.GetValue(removeDev), cancellationToken).ConfigureAwait(false);
            RequireSite(deployment, id);
            await deployment.Repair.RemoveSiteAsync(id, cancellationToken).ConfigureAwait(false);
            output.WriteLine($"Removed site {id}. Take it out of the topology file before the next restart.");
            return Cli.ExitSuccess;
        });

        command.Subcommands.Add(list);
        command.Subcommands.Add(drain);
        command.Subcommands.Add(remove);
        return command;
    }

    public static Command AccountFailoverCommand(TextWriter output)
    {
        var name = Cli.AccountNameArgument();
        var data = Cli.DataOption();
        var dev = Cli.DevDataOption();
        var json = Cli.JsonOption();
        var yes = new Option<bool>("--yes") { Description = "Confirm: writes not yet replicated to the secondary region are at risk, and the account drops to LRS." };
        var command = new Command("failover", "Make the secondary region primary (GRS family), as Azure's customer-managed failover: the account drops to LRS; the data at risk is reported.") { name, data, dev, json, yes };
        command.SetAction(async (parseResult, cancellationToken) =>
        {
            var account = Cli.RequireValidName(parseResult.GetValue(name));
            if (!parseResult.GetValue(yes))
            {
                throw new CliException(Cli.ExitUsage, $"refusing to fail over account '{account}' without --yes: writes after the last sync time may be lost and the account drops to LRS. Run `strongroom account failover {account} --yes` to confirm.");
            }

            await using var deployment = await Cli.OpenExistingAsync(parseResult.GetValue(data), parseResult.GetValue(dev), cancellationToken).ConfigureAwait(false);
            await RequireAccountAsync(deployment, account, cancellationToken).ConfigureAwait(false);
            var result = await deployment.Placement.FailoverAsync(account, cancellationToken).ConfigureAwait(false);
            if (parseResult.GetValue(json))
            {
                output.WriteLine(Cli.Json(writer =>
                {
                    writer.WriteStartObject();
                    writer.WriteString("account", result.Account);
                    writer.WriteString("oldPrimaryRegion", result.OldPrimaryRegion);
                    writer.WriteString("newPrimaryRegion", result.NewPrimaryRegion);
                    writer.WriteString("redundancy", result.NewRedundancy.ToString());
                    if (result.LastSyncTime is { } synced)
                    {
                        writer.WriteString("lastSyncTime", Cli.FormatTime(synced));
                    }

                    writer.WriteNumber("objectsAtRisk", result.ObjectsAtRisk);
                    writer.WriteNumber("bytesAtRisk", result.BytesAtRisk);
                    writer.WriteEndObject();
                }));
                return Cli.ExitSuccess;
            }

            output.WriteLine($"Account:           {result.Account}");
            output.WriteLine($"Primary region:    {result.NewPrimaryRegion} (was {result.OldPrimaryRegion})");
            output.WriteLine($"Redundancy:        {result.NewRedundancy}");
            output.WriteLine($"Last sync time:    {(result.LastSyncTime is { } time ? Cli.FormatTime(time) : "unknown")}");
            output.WriteLine($"Data at risk:      {result.ObjectsAtRisk} objects, {FormatBytes(result.BytesAtRisk)} (written after the last sync time)");
            return Cli.ExitSuccess;
        });
        return command;
    }

    public static Command AccountLocationsCommand(TextWriter output)
    {
        var name = Cli.AccountNameArgument();
        var container = new Option<string?>("--container") { Description = "List the copies of this container's blobs.", HelpName = "name" };
        var blob = new Option<string?>("--blob") { Description = "Only this blob (needs --container).", HelpName = "name" };
        var marker = new Option<string?>("--marker") { Description = "Continue a listing where the previous page ended.", HelpName = "marker" };
        var report = new Option<string?>("--report") { Description = "Also write a signed placement report (for an auditor) to this file; `strongroom placement verify-report` checks it.", HelpName = "file" };
        var data = Cli.DataOption();
        var dev = Cli.DevDataOption();
        var json = Cli.JsonOption();
        var session = SessionFile.Option();
        var caCertificate = new Option<string?>("--ca-cert") { Description = "With --session: trust this PEM certificate instead of the one the session was signed in with.", HelpName = "file" };
        var command = new Command("locations", "Where the account's data is: its policy, copies per site, region and jurisdiction and, for a container or a blob, every copy. On the host with --data, or over the management plane with --session (the account's tenant administrators and audit admins).") { name, container, blob, marker, report, data, dev, json, session, caCertificate };
        command.Validators.Add(result =>
        {
            if (result.GetResult(session) is not null && (result.GetValue(data) is not null || result.GetValue(dev)))
            {
                result.AddError("--session reads over the management plane: it contradicts --data.");
            }

            if (result.GetResult(session) is null && result.GetValue(caCertificate) is not null)
            {
                result.AddError("--ca-cert needs --session.");
            }
        });
        command.SetAction(async (parseResult, cancellationToken) =>
        {
            var account = Cli.RequireValidName(parseResult.GetValue(name));
            var containerName = parseResult.GetValue(container);
            var blobName = parseResult.GetValue(blob);
            if (blobName is not null && containerName is null)
            {
                throw new CliException(Cli.ExitUsage, "--blob needs --container.");
            }

            var reportPath = parseResult.GetValue(report);
            if (reportPath is not null)
            {
                reportPath = CliSession.Current.ResolvePath(reportPath);
            }

            if (parseResult.GetResult(session) is not null)
            {
                return await ManagementReadCommands.LocationsAsync(
                    output,
                    parseResult.GetValue(session),
                    parseResult.GetValue(caCertificate),
                    account,
                    containerName,
                    blobName,
                    parseResult.GetValue(marker),
                    reportPath,
                    parseResult.GetValue(json),
                    cancellationToken).ConfigureAwait(false);
            }

            await using var deployment = await Cli.OpenExistingAsync(parseResult.GetValue(data), parseResult.GetValue(dev), cancellationToken).ConfigureAwait(false);
            await RequireAccountAsync(deployment, account, cancellationToken).ConfigureAwait(false);
            var locations = await deployment.Placement.GetLocationsAsync(account, containerName, blobName, parseResult.GetValue(marker), Limits.LocationsPageMax, cancellationToken).ConfigureAwait(false);
            if (parseResult.GetValue(json))
            {
                output.WriteLine(Cli.Json(writer =>
                {
                    writer.WriteStartObject();
                    PlacementJson.WriteLocations(writer, locations);
                    writer.WriteEndObject();
                }));
            }
            else
            {
                WriteLocations(output, locations);
            }

            if (reportPath is not null)
            {
                var note = await deployment.Placement.CreateReportAsync(account, containerName, blobName, cancellationToken).ConfigureAwait(false);
                await File.WriteAllTextAsync(reportPath, note, new UTF8Encoding(false), cancellationToken).ConfigureAwait(false);
                (parseResult.GetValue(json) ? CliSession.Current.Error : output).WriteLine($"Signed placement report written to {reportPath}; verify it with `strongroom placement verify-report {reportPath} --public-key \"$(strongroom audit key --account {account})\"`.");
            }

            return Cli.ExitSuccess;
        });
        return command;
    }

    public static Command PlacementCommand(TextWriter output)
    {
        var file = new Argument<string>("file") { Description = "The signed placement report (from `strongroom account locations --report` or GET /.strongroom/placement/report)." };
        var publicKey = new Option<string?>("--public-key") { Description = "The account log's verifier key (`strongroom audit key`); without it the key is taken from the data directory.", HelpName = "key" };
        var data = Cli.DataOption();
        var dev = Cli.DevDataOption();
        var verify = new Command("verify-report", "Verify a signed placement report: its signature, its canonical JSON and the checkpoint it carries. Exit 1 names what failed.") { file, publicKey, data, dev };
        verify.SetAction(async (parseResult, cancellationToken) =>
        {
            var path = CliSession.Current.ResolvePath(parseResult.GetValue(file)!);
            var note = await File.ReadAllTextAsync(path, cancellationToken).ConfigureAwait(false);
            NoteVerifierKey key;
            var keyText = parseResult.GetValue(publicKey);
            if (keyText is not null)
            {
                try
                {
                    key = NoteVerifierKey.Parse(keyText.Trim());
                }
                catch (FormatException exception)
                {
                    throw new CliException(Cli.ExitUsage, $"--public-key is not a verifier key: {exception.Message}");
                }
            }
            else
            {
                var account = AccountOfReport(note)
                    ?? throw new CliException(Cli.ExitFailure, $"{path} is not a placement report: no account in it. Give --public-key to see why it fails.");
                await using var deployment = await Cli.OpenExistingAsync(parseResult.GetValue(data), parseResult.GetValue(dev), cancellationToken).ConfigureAwait(false);
                key = deployment.Audit.VerifierKey(account);
            }

            var result = PlacementReports.Verify(note, key);
            if (!result.Valid)
            {
                CliSession.Current.Error.WriteLine($"FAILED: {result.Failure}");
                return Cli.ExitFailure;
            }

            var report = result.Report!;
            output.WriteLine($"OK: placement report of {report.Account}{Scope(report)} generated {Cli.FormatTime(report.GeneratedOn)}, signed by {key.Name}.");
            output.WriteLine($"Policy:            residency {string.Join(",", report.Policy.Residency)}, primary {report.Policy.PrimaryRegion}{(report.Policy.SecondaryRegion is { } secondary ? ", secondary " + secondary : string.Empty)}, {report.Policy.Redundancy}");
            foreach (var area in report.Summary.Jurisdictions)
            {
                output.WriteLine($"Jurisdiction {area.Name}:   {area.Objects} copies, {FormatBytes(area.Bytes)}");
            }

            // A report scoped to a container lists each copy, so a copy made under an approved
            // transfer (it names the transfer) is told from one that broke the residency.
            if (report.Copies is { } listed)
            {
                var copies = listed.SelectMany(blob => blob.Objects.SelectMany(stored => stored.Copies)).Where(copy => !report.Policy.Allows(copy.Jurisdiction)).ToList();
                foreach (var transfer in copies.Where(copy => copy.TransferId is not null).GroupBy(copy => (copy.TransferId, copy.SiteId, copy.Jurisdiction)))
                {
                    output.WriteLine($"Transfer {transfer.Key.TransferId}: {transfer.Count()} copies on {transfer.Key.SiteId} ({transfer.Key.Jurisdiction}), outside the residency under that approved transfer");
                }

                var breaking = copies.Where(copy => copy.TransferId is null).Select(copy => copy.Jurisdiction).Distinct(StringComparer.Ordinal).ToList();
                if (breaking.Count > 0)
                {
                    CliSession.Current.Error.WriteLine($"WARNING: the report shows copies outside the residency with no transfer: {string.Join(",", breaking)}.");
                    return Cli.ExitFailure;
                }

                return Cli.ExitSuccess;
            }

            var outside = report.Summary.Jurisdictions.Where(area => !report.Policy.Allows(area.Name) && area.Objects > 0).Select(area => area.Name).ToList();
            if (outside.Count > 0)
            {
                CliSession.Current.Error.WriteLine($"WARNING: the report shows copies outside the residency: {string.Join(",", outside)} (copies made under an approved transfer are named only in a report scoped to their container).");
                return Cli.ExitFailure;
            }

            return Cli.ExitSuccess;
        });

        var command = new Command("placement", "Placement reports: verify what a tenant received.");
        command.Subcommands.Add(verify);
        return command;
    }

    private static string Scope(PlacementReport report) =>
        report.Container is null ? string.Empty : report.Blob is null ? "/" + report.Container : "/" + report.Container + "/" + report.Blob;

    /// <summary>The account a report names, read without trusting it (only to find the key to check it with).</summary>
    private static string? AccountOfReport(string note)
    {
        try
        {
            var text = SignedNote.Parse(note).Text;
            using var document = JsonDocument.Parse(text);
            var account = document.RootElement.GetProperty("account").GetString();
            return account is not null && Names.IsValidAccountName(account) ? account : null;
        }
        catch (Exception exception) when (exception is FormatException or JsonException or KeyNotFoundException or InvalidOperationException)
        {
            return null;
        }
    }

    private static Argument<string> SiteIdArgument() => new("id") { Description = "Site id, as in the topology file (`strongroom site list`)." };

    private static void RequireSite(Deployment deployment, string id)
    {
        if (!deployment.Sites.TryGet(id, out _))
        {
            var known = string.Join(", ", deployment.Sites.Sites.Select(site => site.Id));
            throw new CliException(Cli.ExitFailure, $"site '{id}' is not in the topology (sites: {known}).");
        }
    }

    private static Task RequireAccountAsync(Deployment deployment, string name, CancellationToken cancellationToken) =>
        Cli.GetAccountAsync(deployment, name, cancellationToken);

    private static void WritePolicy(TextWriter output, string account, PlacementPolicy policy, bool isDefault, bool json)
    {
        if (json)
        {
            output.WriteLine(Cli.Json(writer =>
            {
                writer.WriteStartObject();
                writer.WriteString("account", account);
                PlacementJson.WritePolicyMembers(writer, policy);
                writer.WriteBoolean("deploymentDefault", isDefault);
                writer.WriteEndObject();
            }));
            return;
        }

        output.WriteLine($"Account:           {account}{(isDefault ? " (the deployment's default policy)" : string.Empty)}");
        output.WriteLine($"Residency:         {string.Join(",", policy.Residency)}");
        output.WriteLine($"Primary region:    {policy.PrimaryRegion}");
        output.WriteLine($"Secondary region:  {policy.SecondaryRegion ?? "none"}");
        output.WriteLine($"Redundancy:        {policy.Redundancy}");
        output.WriteLine($"Copies:            {policy.Redundancy.PrimaryCopies} in the primary region{(policy.Redundancy.IsGeo ? $", {policy.Redundancy.SecondaryCopies} in the secondary ({(policy.Redundancy.SecondarySynchronous ? "synchronous" : "asynchronous")})" : string.Empty)}; a write needs {policy.Redundancy.WriteQuorum} durable");
    }

    private static void WriteSites(TextWriter output, SiteSet sites, IReadOnlyList<SiteUsage> usage, RepairStatus status, bool json)
    {
        var descriptors = sites.Sites.ToDictionary(site => site.Id, StringComparer.Ordinal);
        if (json)
        {
            output.WriteLine(Cli.Json(writer =>
            {
                writer.WriteStartObject();
                writer.WriteStartArray("sites");
                foreach (var site in usage)
                {
                    descriptors.TryGetValue(site.SiteId, out var descriptor);
                    writer.WriteStartObject();
                    writer.WriteString("id", site.SiteId);
                    writer.WriteString("region", site.Region);
                    writer.WriteString("zone", site.Zone);
                    writer.WriteString("jurisdiction", site.Jurisdiction);
                    writer.WriteString("backend", descriptor is null ? PlacementService.UnknownLocation : BackendName(descriptor.Backend));
                    writer.WriteString("state", descriptor?.State.ToString() ?? PlacementService.UnknownLocation);
                    writer.WriteString("health", descriptor is null ? PlacementService.UnknownLocation : sites.IsUp(site.SiteId) ? "up" : "down");
                    writer.WriteNumber("present", site.Present);
                    writer.WriteNumber("pending", site.Pending);
                    writer.WriteNumber("bad", site.Bad);
                    writer.WriteNumber("bytes", site.PresentBytes);
                    writer.WriteEndObject();
                }

                writer.WriteEndArray();
                writer.WriteStartObject("repair");
                writer.WriteNumber("pendingCopies", status.PendingCopies);
                writer.WriteNumber("badCopies", status.BadCopies);
                writer.WriteNumber("tombstones", status.Tombstones);
                if (status.LastPassCompletedOn is { } pass)
                {
                    writer.WriteString("lastPassCompletedOn", Cli.FormatTime(pass));
                }

                if (status.LastScrubCompletedOn is { } scrub)
                {
                    writer.WriteString("lastScrubCompletedOn", Cli.FormatTime(scrub));
                }

                writer.WriteNumber("copiesMadeTotal", status.CopiesMadeTotal);
                writer.WriteNumber("copiesVerifiedTotal", status.CopiesVerifiedTotal);
                writer.WriteNumber("orphansRemovedTotal", status.OrphansRemovedTotal);
                writer.WriteEndObject();
                writer.WriteEndObject();
            }));
            return;
        }

        string[] header = ["ID", "REGION", "ZONE", "JURISDICTION", "BACKEND", "STATE", "HEALTH", "PRESENT", "PENDING", "BAD", "BYTES"];
        var rows = usage.Select(site =>
        {
            descriptors.TryGetValue(site.SiteId, out var descriptor);
            return new[]
            {
                site.SiteId, site.Region, site.Zone, site.Jurisdiction,
                descriptor is null ? PlacementService.UnknownLocation : BackendName(descriptor.Backend),
                descriptor?.State.ToString() ?? PlacementService.UnknownLocation,
                descriptor is null ? PlacementService.UnknownLocation : sites.IsUp(site.SiteId) ? "up" : "down",
                Number(site.Present), Number(site.Pending), Number(site.Bad), FormatBytes(site.PresentBytes),
            };
        }).ToList();
        WriteTable(output, header, rows);
        output.WriteLine();
        output.WriteLine($"Repair backlog:    {status.PendingCopies} pending copies, {status.BadCopies} bad copies, {status.Tombstones} deletions owed");
        output.WriteLine($"Last pass:         {(status.LastPassCompletedOn is { } last ? Cli.FormatTime(last) : "never")}");
        output.WriteLine($"Last scrub:        {(status.LastScrubCompletedOn is { } scrubbed ? Cli.FormatTime(scrubbed) : "never")}");
        output.WriteLine($"Totals:            {status.CopiesMadeTotal} copies made, {status.CopiesVerifiedTotal} verified, {status.OrphansRemovedTotal} orphans removed");
    }

    private static void WriteLocations(TextWriter output, AccountLocations locations)
    {
        var policy = locations.Policy;
        output.WriteLine($"Account:           {locations.Account}");
        output.WriteLine($"Policy:            residency {string.Join(",", policy.Residency)}, primary {policy.PrimaryRegion}{(policy.SecondaryRegion is { } secondary ? ", secondary " + secondary : string.Empty)}, {policy.Redundancy}");
        output.WriteLine();
        WriteTable(
            output,
            ["SITE", "REGION", "ZONE", "JURISDICTION", "PRESENT", "PENDING", "BAD", "BYTES"],
            locations.Summary.Sites.Select(site => new[] { site.SiteId, site.Region, site.Zone, site.Jurisdiction, Number(site.Present), Number(site.Pending), Number(site.Bad), FormatBytes(site.PresentBytes) }).ToList());
        foreach (var area in locations.Summary.Regions)
        {
            output.WriteLine($"Region {area.Name}: {area.Objects} copies, {FormatBytes(area.Bytes)}");
        }

        foreach (var area in locations.Summary.Jurisdictions)
        {
            output.WriteLine($"Jurisdiction {area.Name}: {area.Objects} copies, {FormatBytes(area.Bytes)}");
        }

        foreach (var blob in locations.Blobs)
        {
            output.WriteLine();
            output.WriteLine($"{blob.Container}/{blob.Blob} ({FormatBytes(blob.ContentLength)}, {blob.Objects.Count} object(s))");
            foreach (var stored in blob.Objects)
            {
                foreach (var copy in stored.Copies)
                {
                    output.WriteLine($"  {stored.ObjectId[..Math.Min(12, stored.ObjectId.Length)]}  {copy.SiteId,-16} {copy.Region,-14} {copy.Zone,-14} {copy.Jurisdiction,-4} {PlacementReport.StateName(copy.State)}{(copy.TransferId is null ? string.Empty : "  transfer " + copy.TransferId)}");
                }
            }
        }

        if (locations.NextMarker is not null)
        {
            output.WriteLine();
            output.WriteLine($"More blobs: --marker '{locations.NextMarker}'");
        }
    }

    private static void WriteTable(TextWriter output, string[] header, IReadOnlyList<string[]> rows)
    {
        var widths = header.Select((title, column) => Math.Max(title.Length, rows.Count == 0 ? 0 : rows.Max(row => row[column].Length))).ToArray();
        output.WriteLine(string.Join("  ", header.Select((title, column) => title.PadRight(widths[column]))).TrimEnd());
        foreach (var row in rows)
        {
            output.WriteLine(string.Join("  ", row.Select((cell, column) => cell.PadRight(widths[column]))).TrimEnd());
        }
    }

    private static string BackendName(SiteBackendKind kind) => kind switch
    {
        SiteBackendKind.LocalDirectory => "local",
        SiteBackendKind.AzureBlob => "azure-blob",
        _ => kind.ToString(),
    };

    private static string Number(long value) => value.ToString(CultureInfo.InvariantCulture);

    internal static string FormatBytes(long bytes)
    {
        string[] units = ["B", "KiB", "MiB", "GiB", "TiB", "PiB"];
        double value = bytes;
        var unit = 0;
        while (value >= 1024 && unit < units.Length - 1)
        {
            value /= 1024;
            unit++;
        }

        return unit == 0 ? string.Create(CultureInfo.InvariantCulture, $"{bytes} B") : string.Create(CultureInfo.InvariantCulture, $"{value:0.#} {units[unit]}");
    }
}
