using System.CommandLine;
using Strongroom.Server;

namespace Strongroom.Cli;

/// <summary>
/// The options of a command that runs either on the host (<c>--data</c>/<c>--dev</c>) or through
/// the management plane (<c>--session</c>, <c>--ca-cert</c>), which contradict each other.
/// </summary>
/// <param name="contradiction">The error when both --session and --data/--dev are given.</param>
/// <param name="caCertificateNeedsSession">Refuse --ca-cert without --session.</param>
internal sealed class HostOrPlaneOptions(string contradiction, bool caCertificateNeedsSession = false)
{
    public Option<string?> Data { get; } = Cli.DataOption();

    public Option<bool> Dev { get; } = Cli.DevDataOption();

    public Option<string?> Session { get; } = SessionFile.Option();

    public Option<string?> CaCertificate { get; } = SessionFile.CaCertificateOption();

    public void AddTo(Command command)
    {
        command.Options.Add(Data);
        command.Options.Add(Dev);
        command.Options.Add(Session);
        command.Options.Add(CaCertificate);
        command.Validators.Add(result =>
        {
            if (result.GetValue(Session) is not null && (result.GetValue(Data) is not null || result.GetValue(Dev)))
            {
                result.AddError(contradiction);
            }

            if (caCertificateNeedsSession && result.GetValue(Session) is null && result.GetValue(CaCertificate) is not null)
            {
                result.AddError("--ca-cert needs --session.");
            }
        });
    }

    public bool HasSession(ParseResult parseResult) => parseResult.GetValue(Session) is not null;

    /// <summary>On the host: --data or --dev without --session (with none of them, a command goes through the plane).</summary>
    public bool IsHost(ParseResult parseResult) => !HasSession(parseResult) && (parseResult.GetValue(Data) is not null || parseResult.GetValue(Dev));

    public Task<Deployment> OpenHostAsync(ParseResult parseResult, CancellationToken cancellationToken) =>
        DataCommands.OpenUnsealedAsync(parseResult.GetValue(Data), parseResult.GetValue(Dev), create: false, cancellationToken);

    public ManagementClient Client(ParseResult parseResult) => ManagementClient.FromSession(parseResult.GetValue(Session), parseResult.GetValue(CaCertificate), out _);

    /// <summary>Runs <paramref name="remote"/> over the plane when --session is given, else <paramref name="local"/> on the data directory.</summary>
    public async Task<T> RunAsync<T>(ParseResult parseResult, Func<ManagementClient, Task<T>> remote, Func<Deployment, Task<T>> local, CancellationToken cancellationToken)
    {
        if (HasSession(parseResult))
        {
            using var client = Client(parseResult);
            return await remote(client).ConfigureAwait(false);
        }

        await using var deployment = await OpenHostAsync(parseResult, cancellationToken).ConfigureAwait(false);
        return await local(deployment).ConfigureAwait(false);
    }
}
