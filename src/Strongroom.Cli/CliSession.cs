using System.Text;
using Strongroom.Core;
using Strongroom.Server;

namespace Strongroom.Cli;

/// <summary>
/// One invocation of the command tree: its arguments, streams and, when it runs inside a server
/// (received on the control socket), the server's live deployment. Ambient (async-local) so that
/// command actions reach it without threading it through every builder.
/// </summary>
internal sealed class CliSession
{
    private static readonly AsyncLocal<CliSession?> Ambient = new();

    private readonly StringBuilder forwardInput = new();

    public CliSession(IReadOnlyList<string> args, TextReader input, bool interactive, TextWriter output, TextWriter error, Deployment? live, string workingDirectory)
    {
        Args = args;
        Input = input;
        Interactive = interactive;
        Output = output;
        Error = error;
        Live = live;
        WorkingDirectory = workingDirectory;
    }

    public static CliSession Current => Ambient.Value ?? throw new InvalidOperationException("No CLI invocation is running.");

    public IReadOnlyList<string> Args { get; }

    public TextReader Input { get; }

    /// <summary>Standard input is a terminal: secrets are prompted for without echo.</summary>
    public bool Interactive { get; }

    public TextWriter Output { get; }

    public TextWriter Error { get; }

    /// <summary>The running server's deployment when this invocation runs inside it; null in a CLI process.</summary>
    public Deployment? Live { get; }

    /// <summary>The invoking user's working directory (the client's, inside the server).</summary>
    public string WorkingDirectory { get; }

    /// <summary>
    /// The shared metadata database this invocation names (<c>--metadata</c>, else
    /// <c>$STRONGROOM_METADATA</c> in a CLI process); null: the data directory's SQLite file. Set
    /// once the command line is parsed. Never printed: it may hold a password.
    /// </summary>
    public string? Metadata { get; set; }

    /// <summary>The data directory a command names (<c>--data</c>, <c>--dev</c>), with this invocation's <see cref="Metadata"/>.</summary>
    public DataDirectory ResolveDirectory(string? path, bool dev) => DataDirectory.Resolve(path, dev, Metadata);

    /// <summary>The input this invocation has read so far, sent along when the command is forwarded to a server.</summary>
    public string ForwardInput => forwardInput.ToString();

    public static IDisposable Enter(CliSession session)
    {
        var previous = Ambient.Value;
        Ambient.Value = session;
        return new Exit(previous);
    }

    public string ResolvePath(string path) => Path.GetFullPath(path, WorkingDirectory);

    /// <summary>
    /// Reads one secret line: prompted without echo on a terminal, else one line of standard input
    /// (inside the server: of the input the client forwarded). Null at end of input.
    /// </summary>
    public string? ReadSecretLine(string prompt)
    {
        string? line;
        if (Interactive && Live is null)
        {
            Error.Write(prompt);
            Error.Flush();
            var typed = new StringBuilder();
            while (true)
            {
                var key = Console.ReadKey(intercept: true);
                if (key.Key == ConsoleKey.Enter)
                {
                    break;
                }

                if (key.Key == ConsoleKey.Backspace)
                {
                    if (typed.Length > 0)
                    {
                        typed.Length--;
                    }
                }
                else if (!char.IsControl(key.KeyChar))
                {
                    typed.Append(key.KeyChar);
                }
            }

            Error.WriteLine();
            line = typed.ToString();
        }
        else
        {
            line = Input.ReadLine();
        }

        if (line is not null)
        {
            forwardInput.Append(line).Append('\n');
        }

        return line;
    }

    private sealed class Exit(CliSession? previous) : IDisposable
    {
        public void Dispose() => Ambient.Value = previous;
    }
}

/// <summary>The command ran inside the running server, which printed its output; this is its exit code.</summary>
internal sealed class CommandForwardedException(int exitCode) : Exception("The command ran inside the server.")
{
    public int ExitCode { get; } = exitCode;
}

/// <summary>
/// How every command that operates on a data directory obtains its <see cref="Deployment"/>:
/// inside the running server when one runs there (the command line goes over the control socket
/// and the server runs the same command tree against its live, unsealed deployment), else offline
/// against the files (development directories unseal themselves; a production directory is sealed
/// offline, so the command is refused with instructions).
/// </summary>
internal static class DataCommands
{
    /// <summary>
    /// The live deployment when this invocation runs inside the server; otherwise forwards the whole
    /// invocation to the server running on <paramref name="directory"/> (printing what it printed and
    /// ending the invocation with its exit code) and returns null when no server runs there.
    /// Read all input (shares) before calling: it is forwarded with the command.
    /// </summary>
    public static async Task<Deployment?> InServerOrForwardAsync(DataDirectory directory, CancellationToken cancellationToken)
    {
        var session = CliSession.Current;
        if (session.Live is { } live)
        {
            // The command named a metadata database: it must be the one this server uses.
            if (session.Metadata is { } named && !string.Equals(new DataDirectory(live.Directory.Root) { MetadataConnectionString = named }.MetadataDescription, live.Directory.MetadataDescription, StringComparison.Ordinal))
            {
                throw new CliException(Cli.ExitFailure, $"the server running on {live.Directory.Root} keeps its metadata in {live.Directory.MetadataDescription}, not in the database --metadata names: drop --metadata, or use the data directory of a server on that database.");
            }

            return live.Share();
        }

        var response = await ControlClient.TryRunAsync(directory, new ControlRequest([.. session.Args], session.ForwardInput, Environment.CurrentDirectory), cancellationToken).ConfigureAwait(false);
        if (response is null)
        {
            return null;
        }

        session.Output.Write(response.Output);
        session.Error.Write(response.Error);
        throw new CommandForwardedException(response.ExitCode);
    }

    /// <summary>
    /// The unsealed deployment for a data-directory command (see the class summary). With
    /// <paramref name="create"/>, a missing development directory is created (with <paramref name="dev"/>).
    /// </summary>
    public static async Task<Deployment> OpenUnsealedAsync(string? path, bool dev, bool create, CancellationToken cancellationToken)
    {
        var directory = CliSession.Current.ResolveDirectory(path, dev);
        var live = await InServerOrForwardAsync(directory, cancellationToken).ConfigureAwait(false);
        if (live is not null)
        {
            if (live.Vault.IsSealed)
            {
                await live.DisposeAsync().ConfigureAwait(false);
                var status = live.Vault.Status;
                throw new CliException(Cli.ExitFailure, $"the server on {live.Directory.Root} is sealed ({status.Progress}/{status.Threshold} shares submitted): unseal it with `strongroom unseal --data {live.Directory.Root}`, then run this command again.");
            }

            return live;
        }

        // With shared metadata the vault is in the database: a development one is created there
        // once the store is open (below), never in the data directory.
        var shared = directory.HasSharedMetadata;
        var exists = shared && await directory.DeploymentExistsAsync(cancellationToken).ConfigureAwait(false);
        if (dev && (create || directory.Exists || directory.HasLegacyRootKey || directory.IsInitialized))
        {
            if (!shared)
            {
                // Creates (or migrates, or finishes) the development vault; a no-op on one that is complete.
                VaultSetup.InitializeDevelopment(directory, SystemRandomSource.Instance);
            }
        }
        else if (shared ? !exists : !directory.IsInitialized)
        {
            if (!directory.Exists && !directory.HasLegacyRootKey && !create)
            {
                throw new CliException(Cli.ExitFailure, $"no Strongroom data directory at {directory.Root}: pass --data DIR, initialise one with `strongroom init --data DIR --shares N --threshold K`, or use --dev for a development directory.");
            }
            else
            {
                var legacy = directory.HasLegacyRootKey ? " (its root key is still an unsealed file: init seals it, so existing data stays readable)" : string.Empty;
                throw new CliException(Cli.ExitFailure, $"the data directory {directory.Root} is not initialised{legacy}: run `strongroom init --data {directory.Root} --shares N --threshold K` first, or use --dev for a development directory.");
            }
        }

        var deployment = await Deployment.OpenAsync(directory, topologyPath: null, new Strongroom.Access.AccessOptions(), development: dev, TimeProvider.System, SystemRandomSource.Instance, cancellationToken).ConfigureAwait(false);
        try
        {
            if (shared && dev)
            {
                // A no-op when the deployment has a seal (a production one stays sealed: refused below).
                VaultSetup.InitializeDevelopment(deployment.VaultFiles, SystemRandomSource.Instance);
            }

            // The development share is asked of the store that holds the vault (Deployment.VaultFiles).
            if (VaultSetup.TryUnsealDevelopment(deployment.VaultFiles, deployment.Vault))
            {
                return deployment;
            }
        }
        catch
        {
            await deployment.DisposeAsync().ConfigureAwait(false);
            throw;
        }

        await deployment.DisposeAsync().ConfigureAwait(false);
        throw new CliException(Cli.ExitFailure, $"the vault of {directory.Root} is sealed and no server is running on it. Start the server (`strongroom server --data {directory.Root}`), unseal it (`strongroom unseal --data {directory.Root}`, once per custodian), then run this command again: it runs inside the server.");
    }

    /// <summary>The live deployment of the server running on <paramref name="directory"/> (forwarding to it); a clear error when none runs.</summary>
    public static async Task<Deployment> RequireServerAsync(DataDirectory directory, string what, CancellationToken cancellationToken)
    {
        return await InServerOrForwardAsync(directory, cancellationToken).ConfigureAwait(false)
            ?? throw new CliException(Cli.ExitFailure, $"no server is running on {directory.Root}: {what} Start it with `strongroom server --data {directory.Root}`.");
    }

    /// <summary>True when a server runs on <paramref name="directory"/>, or this invocation runs inside it.</summary>
    public static async Task<bool> ServerRunningAsync(DataDirectory directory, CancellationToken cancellationToken) =>
        CliSession.Current.Live is not null || await ControlClient.IsListeningAsync(directory, cancellationToken).ConfigureAwait(false);
}
