using System.Text.RegularExpressions;
using Strongroom.Core;
using Strongroom.Server;
using Strongroom.Storage;
using Strongroom.Vault;

namespace Strongroom.Cli.Tests;

/// <summary>init, unseal, seal, rekey and status, in-process: offline, and through the control socket of a server running in-process.</summary>
public sealed partial class SealCommandTests : IDisposable
{
    private readonly TempDataDirectory data = new();

    public void Dispose() => data.Dispose();

    [Fact]
    public async Task Init_prints_n_distinct_shares_once_and_a_second_init_is_refused()
    {
        var init = await data.RunWithDataAsync("init", "--shares", "3", "--threshold", "2");

        Assert.True(init.ExitCode == 0, init.ToString());
        var shares = Shares(init.Output);
        Assert.Equal(3, shares.Distinct().Count());
        Assert.True(File.Exists(Path.Combine(data.Path, "vault", "seal")));
        Assert.True(File.Exists(Path.Combine(data.Path, "vault", "keyring")));
        Assert.False(File.Exists(Path.Combine(data.Path, "vault", "root.key")));
        AssertNoShareIn(File.ReadAllText(Path.Combine(data.Path, "vault", "seal")), shares);

        var again = await data.RunWithDataAsync("init", "--shares", "3", "--threshold", "2");
        Assert.Equal(1, again.ExitCode);
        Assert.Contains("already initialised", again.Error, StringComparison.Ordinal);
        Assert.Empty(Shares(again.Output));
    }

    [Fact]
    public async Task Init_with_a_share_directory_writes_one_private_file_per_custodian_and_prints_no_share()
    {
        var shareDirectory = Path.Combine(data.Path + "-shares");
        try
        {
            var init = await data.RunWithDataAsync("init", "--shares", "2", "--threshold", "2", "--share-dir", shareDirectory);

            Assert.True(init.ExitCode == 0, init.ToString());
            var files = Directory.GetFiles(shareDirectory).Order(StringComparer.Ordinal).ToArray();
            Assert.Equal(["share-1-of-2-gen1.txt", "share-2-of-2-gen1.txt"], files.Select(Path.GetFileName));
            var shares = files.Select(file => File.ReadAllText(file).Trim()).ToArray();
            AssertNoShareIn(init.Output + init.Error, shares);
            if (!OperatingSystem.IsWindows())
            {
                foreach (var file in files)
                {
                    Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(file));
                }
            }
        }
        finally
        {
            Directory.Delete(shareDirectory, recursive: true);
        }
    }

    [Theory]
    [InlineData("0", "1")]
    [InlineData("256", "2")]
    [InlineData("3", "4")]
    [InlineData("3", "0")]
    public async Task Init_refuses_impossible_counts_and_creates_nothing(string shares, string threshold)
    {
        var result = await data.RunWithDataAsync("init", "--shares", shares, "--threshold", threshold);

        Assert.Equal(2, result.ExitCode);
        Assert.False(Directory.Exists(data.Path));
    }

    [Fact]
    public async Task Unseal_and_seal_without_a_running_server_say_to_start_it()
    {
        var init = await data.RunWithDataAsync("init", "--shares", "1", "--threshold", "1");

        var unseal = await data.RunWithDataAndInputAsync(Shares(init.Output)[0] + "\n", "unseal");
        var seal = await data.RunWithDataAsync("seal");
        var status = await data.RunWithDataAsync("status");

        Assert.Equal(1, unseal.ExitCode);
        Assert.Contains("no server is running", unseal.Error, StringComparison.Ordinal);
        Assert.Equal(1, seal.ExitCode);
        Assert.Contains("no server is running", seal.Error, StringComparison.Ordinal);
        Assert.True(status.ExitCode == 0, status.ToString());
        Assert.Contains("Server:         not running", status.Output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_running_server_is_unsealed_by_k_shares_through_the_control_socket_and_sealed_again()
    {
        var init = await data.RunWithDataAsync("init", "--shares", "3", "--threshold", "2");
        var shares = Shares(init.Output);
        using var otherData = new TempDataDirectory();
        var foreign = Shares((await otherData.RunWithDataAsync("init", "--shares", "1", "--threshold", "1")).Output)[0];
        var mistyped = shares[2][..^3] + (shares[2][^3] == 'a' ? 'b' : 'a') + shares[2][^2..];

        await using var server = await InProcessServer.StartAsync(data.Path);

        Assert.Contains("Progress:       0/2", (await data.RunWithDataAsync("status")).Output, StringComparison.Ordinal);
        var sealedCreate = await data.RunWithDataAsync("account", "create", "early1");
        Assert.Equal(1, sealedCreate.ExitCode);
        Assert.Contains("is sealed", sealedCreate.Error, StringComparison.Ordinal);

        var first = await data.RunWithDataAndInputAsync(shares[2] + "\n", "unseal");
        Assert.True(first.ExitCode == 0, first.ToString());
        Assert.Contains("Unseal progress: 1/2", first.Output, StringComparison.Ordinal);

        var duplicate = await data.RunWithDataAndInputAsync(shares[2] + "\n", "unseal");
        Assert.Equal(0, duplicate.ExitCode);
        Assert.Contains("already submitted", duplicate.Output, StringComparison.Ordinal);
        Assert.Contains("1/2", duplicate.Output, StringComparison.Ordinal);

        var other = await data.RunWithDataAndInputAsync(foreign + "\n", "unseal");
        Assert.Equal(1, other.ExitCode);
        Assert.Contains("belongs to deployment", other.Error, StringComparison.Ordinal);

        var typo = await data.RunWithDataAndInputAsync(mistyped + "\n", "unseal");
        Assert.Equal(1, typo.ExitCode);
        Assert.Contains("checksum", typo.Error, StringComparison.Ordinal);

        var empty = await data.RunWithDataAndInputAsync(string.Empty, "unseal");
        Assert.Equal(1, empty.ExitCode);

        var second = await data.RunWithDataAndInputAsync(shares[0] + "\n", "unseal");
        Assert.True(second.ExitCode == 0, second.ToString());
        Assert.Contains("Unsealed", second.Output, StringComparison.Ordinal);

        // The account command runs inside the server (its deployment is unsealed there).
        var created = await data.RunWithDataAsync("account", "create", "inside1");
        Assert.True(created.ExitCode == 0, created.ToString());
        Assert.Contains("Unsealed", (await data.RunWithDataAsync("status", "--json")).Output.Replace("\"sealed\": false", "Unsealed", StringComparison.Ordinal), StringComparison.Ordinal);

        var seal = await data.RunWithDataAsync("seal");
        Assert.True(seal.ExitCode == 0, seal.ToString());
        Assert.True(server.Deployment.Vault.IsSealed);
        Assert.Equal(1, (await data.RunWithDataAsync("account", "show", "inside1")).ExitCode);

        var everything = string.Join('\n', first, duplicate, other, typo, second, seal, server.Output);
        AssertNoShareIn(everything, [.. shares, foreign]);
    }

    [Fact]
    public async Task A_second_server_on_the_same_data_directory_is_refused()
    {
        await data.RunWithDataAsync("init", "--shares", "1", "--threshold", "1");
        await using var server = await InProcessServer.StartAsync(data.Path);

        var second = await data.RunWithDataAsync("server", "--port", "0");

        Assert.Equal(1, second.ExitCode);
        Assert.Contains("already running", second.Error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_data_directory_too_deep_for_the_control_socket_is_a_clear_start_failure()
    {
        var deep = Path.Combine(data.Path, new string('d', 60), new string('e', 60));
        Assert.Equal(0, (await TempDataDirectory.RunAsync("init", "--shares", "1", "--threshold", "1", "--data", deep)).ExitCode);

        var result = await TempDataDirectory.RunAsync("server", "--port", "0", "--data", deep);

        Assert.Equal(1, result.ExitCode);
        Assert.Contains("too long for a Unix domain socket", result.Error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Rekey_offline_issues_new_shares_and_retires_the_old_ones()
    {
        var old = Shares((await data.RunWithDataAsync("init", "--shares", "3", "--threshold", "2")).Output);

        var tooFew = await data.RunWithDataAndInputAsync(old[0] + "\n", "rekey", "--shares", "2", "--threshold", "1");
        Assert.Equal(1, tooFew.ExitCode);
        var twice = await data.RunWithDataAndInputAsync(old[0] + "\n" + old[0] + "\n", "rekey", "--shares", "2", "--threshold", "1");
        Assert.Equal(1, twice.ExitCode);
        Assert.Contains("2 different current shares", twice.Error, StringComparison.Ordinal);

        var rekey = await data.RunWithDataAndInputAsync(old[1] + "\n" + old[2] + "\n", "rekey", "--shares", "2", "--threshold", "1");
        Assert.True(rekey.ExitCode == 0, rekey.ToString());
        var fresh = Shares(rekey.Output);
        Assert.Equal(2, fresh.Length);

        await using var server = await InProcessServer.StartAsync(data.Path);
        var stale = await data.RunWithDataAndInputAsync(old[0] + "\n", "unseal");
        Assert.Equal(1, stale.ExitCode);
        Assert.Contains("before a rekey", stale.Error, StringComparison.Ordinal);
        var unseal = await data.RunWithDataAndInputAsync(fresh[1] + "\n", "unseal");
        Assert.Contains("Unsealed", unseal.Output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Init_seals_a_legacy_root_key_so_existing_data_stays_readable()
    {
        var keys = await CreateLegacyDirectoryAsync(data.Path, "legacy1");

        var refused = await data.RunWithDataAsync("server", "--port", "0");
        Assert.Equal(1, refused.ExitCode);
        Assert.Contains("root key is still an unsealed file", refused.Error, StringComparison.Ordinal);

        var init = await data.RunWithDataAsync("init", "--shares", "1", "--threshold", "1");
        Assert.True(init.ExitCode == 0, init.ToString());
        Assert.Contains("Sealed the existing root key", init.Output, StringComparison.Ordinal);
        Assert.False(File.Exists(Path.Combine(data.Path, "vault", "root.key")));

        await using var server = await InProcessServer.StartAsync(data.Path);
        await data.RunWithDataAndInputAsync(Shares(init.Output)[0] + "\n", "unseal");
        var shown = await data.RunWithDataAsync("account", "show", "legacy1", "--show-keys");
        Assert.True(shown.ExitCode == 0, shown.ToString());
        Assert.Contains(keys, shown.Output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Dev_migrates_a_legacy_root_key_and_unseals_itself()
    {
        var keys = await CreateLegacyDirectoryAsync(data.Path, "legacy2");

        var shown = await data.RunWithDataAsync("account", "show", "legacy2", "--show-keys", "--dev");

        Assert.True(shown.ExitCode == 0, shown.ToString());
        Assert.Contains(keys, shown.Output, StringComparison.Ordinal);
        Assert.False(File.Exists(Path.Combine(data.Path, "vault", "root.key")));
        Assert.True(File.Exists(Path.Combine(data.Path, "vault", "dev-unseal.share")));
        if (!OperatingSystem.IsWindows())
        {
            Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(Path.Combine(data.Path, "vault", "dev-unseal.share")));
        }

        var rekey = await data.RunWithDataAndInputAsync(File.ReadAllText(Path.Combine(data.Path, "vault", "dev-unseal.share")), "rekey", "--shares", "3", "--threshold", "2");
        Assert.Equal(1, rekey.ExitCode);
        Assert.Contains("development data directory", rekey.Error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Dev_puts_in_place_a_share_a_crash_left_as_a_partial_file()
    {
        data.InitializeDevelopment();
        var share = Path.Combine(data.Path, "vault", "dev-unseal.share");
        File.Move(share, share + ".4242.partial");
        Assert.Equal(1, (await data.RunWithDataAsync("account", "list")).ExitCode);

        var listed = await data.RunWithDataAsync("account", "list", "--dev");

        Assert.True(listed.ExitCode == 0, listed.ToString());
        Assert.True(File.Exists(share));
        Assert.False(File.Exists(share + ".4242.partial"));
    }

    /// <summary>A data directory as the previous version left it: an unsealed vault/root.key, a keyring and an account.</summary>
    private static async Task<string> CreateLegacyDirectoryAsync(string path, string account)
    {
        var directory = new DataDirectory(path);
        directory.Create();
        var random = new SeededRandomSource(5);
        using var rootKey = FileRootKey.LoadOrCreate(directory.RootKeyPath, random, out var created);
        Assert.True(created);
        using var keyring = Keyring.OpenOrCreate(directory.KeyringPath, rootKey, random);
        await using var store = await SqlMetadataStore.OpenSqliteAsync(directory.MetadataDatabasePath);
        await using var sites = Placement.SiteBackends.Open(Placement.Topology.SingleLocalSite(directory.LocalSiteDirectory), random, TimeProvider.System);
        var keys = new TenantKeys(keyring, random);
        var audit = new Audit.TransparencyLog(store, new Audit.CheckpointSigner(keys.Seal), () => "0123456789abcdef", TimeProvider.System);
        var placement = new Placement.PlacementService(store, sites, audit, TimeProvider.System);
        var accounts = new Blobs.AccountService(store, placement, keys, audit, TimeProvider.System);
        var details = await accounts.CreateAsync(account);
        return details.Key1;
    }

    internal static string[] Shares(string output) => [.. ShareLine().Matches(output).Select(match => match.Groups[1].Value)];

    internal static void AssertNoShareIn(string text, IEnumerable<string> shares)
    {
        foreach (var share in shares)
        {
            Assert.DoesNotContain(share, text, StringComparison.OrdinalIgnoreCase);

            // Nor any group of the value (the first groups carry only the version and deployment id).
            foreach (var group in share.Split('-').Skip(3))
            {
                Assert.DoesNotContain(group, text, StringComparison.OrdinalIgnoreCase);
            }
        }
    }

    [GeneratedRegex(@"Share \d+ of \d+: (srs1-[a-z2-7-]+)")]
    private static partial Regex ShareLine();
}

/// <summary>`strongroom server` in this process, on a free port, stopped by cancellation as Ctrl+C does.</summary>
internal sealed class InProcessServer : IAsyncDisposable
{
    private readonly CancellationTokenSource stop = new();
    private readonly StringWriter output = new();
    private readonly TextWriter synchronizedOutput;
    private Task<int>? running;

    private InProcessServer()
    {
        synchronizedOutput = TextWriter.Synchronized(output);
    }

    public string Output
    {
        get
        {
            lock (synchronizedOutput)
            {
                return output.ToString();
            }
        }
    }

    /// <summary>The live deployment, found through its control socket's server (for assertions on its state).</summary>
    public Deployment Deployment { get; private set; } = null!;

    public static async Task<InProcessServer> StartAsync(string dataPath, params string[] extra)
    {
        var server = new InProcessServer();
        var ready = new TaskCompletionSource<Deployment>(TaskCreationOptions.RunContinuationsAsynchronously);
        var options = new ServerOptions
        {
            DataDirectory = dataPath,
            Port = 0,
            DangerousAllowHttp = extra.Contains("--dangerous-allow-http"),
            Output = server.synchronizedOutput,
            ControlCommands = Cli.RunInServerAsync,
        };
        server.running = Task.Run(async () =>
        {
            try
            {
                var started = await StrongroomServer.StartAsync(options, server.stop.Token);
                await using (started)
                {
                    ready.TrySetResult(started.Deployment);
                    await started.WaitForShutdownAsync(server.stop.Token);
                }

                return 0;
            }
            catch (Exception exception)
            {
                ready.TrySetException(exception);
                return 1;
            }
        });
        server.Deployment = await ready.Task.WaitAsync(TimeSpan.FromSeconds(60));
        return server;
    }

    public async ValueTask DisposeAsync()
    {
        await stop.CancelAsync();
        if (running is not null)
        {
            await running.WaitAsync(TimeSpan.FromSeconds(30));
        }

        stop.Dispose();
        output.Dispose();
    }
}
