namespace Strongroom.Conformance.Tests.Infrastructure;

/// <summary>
/// One of many servers of a deployment (issue 9): its metadata in a shared PostgreSQL database and
/// its sites in a shared topology file (<c>--topology</c> on the server; the database reaches the
/// server and every CLI command on its data directory as STRONGROOM_METADATA). Both unset: the embedded SQLite store and the data directory's own
/// topology, as before.
/// </summary>
public sealed partial class StrongroomProcess
{
    /// <summary>The deployment's PostgreSQL database (an Npgsql connection string) a multi-server test set. Never printed: it may hold a password.</summary>
    string? _sharedMetadata;

    /// <summary>True while the server process runs (not yet started, stopped or killed: false).</summary>
    public bool IsRunning => _process is { HasExited: false };

    /// <summary>A topology file shared with the other servers: <c>--topology</c> on the server.</summary>
    public string? TopologyPath { get; set; }

    IEnumerable<string> ServerArguments() =>
        TopologyPath is null ? [] : ["--topology", TopologyPath];

    /// <summary>A command line or CLI output as kept in results and messages: the connection string replaced, since it may hold a password.</summary>
    string Redact(string commandLine) =>
        MetadataConnectionString is { Length: > 0 } secret ? commandLine.Replace(secret, "<metadata>", StringComparison.Ordinal) : commandLine;
}
