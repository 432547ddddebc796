using System.CommandLine;
using Strongroom.Server;

namespace Strongroom.Cli;

/// <summary>
/// <c>strongroom migrate</c>: brings a deployment's metadata schema to this build's version ahead
/// of starting servers (a server migrates at start too), or with <c>--check</c> only says whether
/// a migration is pending. An older build refuses a newer schema, here and at a server's start.
/// </summary>
internal static class MigrateCommand
{
    public static Command Build(TextWriter output)
    {
        var data = Cli.DataOption();
        var dev = Cli.DevDataOption();
        var check = new Option<bool>("--check") { Description = "Only report the schema version; exit 1 when a migration is pending." };
        var command = new Command("migrate", "Bring the metadata schema to this build's version (servers also do when they start): run it before a rolling upgrade of servers on a shared database.")
        {
            data, dev, check,
        };
        command.SetAction(async (parseResult, cancellationToken) =>
        {
            var session = CliSession.Current;
            var directory = session.ResolveDirectory(parseResult.GetValue(data), parseResult.GetValue(dev));
            output.WriteLine($"Metadata: {directory.MetadataDescription}");
            var version = await MetadataSchema.ReadVersionAsync(directory, cancellationToken).ConfigureAwait(false)
                ?? throw new CliException(Cli.ExitFailure, $"there is no metadata database at {directory.MetadataDatabasePath}: nothing to migrate (a server's first start or `strongroom init` creates it). Pass --data DIR, or --metadata for a shared database.");
            MetadataSchema.RequireNotNewer(directory, version);
            var target = MetadataSchema.BuildVersion;
            if (version == target)
            {
                output.WriteLine($"schema version {target} (up to date)");
                return Cli.ExitSuccess;
            }

            if (parseResult.GetValue(check))
            {
                output.WriteLine($"schema version {version} → {target} pending: run `strongroom migrate` (or start a server of this build).");
                return Cli.ExitFailure;
            }

            if (!directory.HasSharedMetadata && await DataCommands.ServerRunningAsync(directory, cancellationToken).ConfigureAwait(false))
            {
                // The running server is of another build (it would have migrated at start otherwise).
                throw new CliException(Cli.ExitFailure, $"a server of another Strongroom build is running on {directory.Root}: stop it first; starting this build's server migrates too.");
            }

            var from = await MetadataSchema.MigrateAsync(directory, cancellationToken).ConfigureAwait(false);
            output.WriteLine(from == target ? $"schema version {target} (up to date)" : $"schema version {from} → {target}");
            return Cli.ExitSuccess;
        });
        return command;
    }
}
