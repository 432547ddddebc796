using Strongroom.Core;
using Strongroom.Placement;
using Strongroom.Server;

namespace Strongroom.Cli.Tests;

/// <summary>The topology a deployment opens with: written at creation, or given with --topology.</summary>
public sealed partial class ServerCommandTests
{
    [Fact]
    public async Task Dev_mode_writes_the_development_sample_and_gives_the_dev_account_the_default_policy()
    {
        var run = await RunServerAsync("--dev", "--port", "0");

        Assert.Contains("Sites:             cn-east (CN, 3 sites in 3 zones), cn-north (CN, 3 sites in 2 zones), eu-west (EU, 3 sites in 3 zones)", run.Output, StringComparison.Ordinal);
        Assert.Contains("Default placement: LRS in cn-east, residency CN, secondary cn-north", run.Output, StringComparison.Ordinal);
        var directory = new DataDirectory(data.Path);
        Assert.True(File.Exists(directory.TopologyPath));
        Assert.Equal(9, TopologyFile.Load(directory.TopologyPath).Sites.Count);

        await using var deployment = await Deployment.OpenAsync(directory, TimeProvider.System, SystemRandomSource.Instance);
        Assert.Equal(directory.TopologyPath, deployment.TopologyPath);
        Assert.Equal(9, deployment.Sites.Sites.Count);
        Assert.True(Directory.Exists(Path.Combine(directory.SitesDirectory, "cn-north-1b")));
        var account = await deployment.Store.GetAccountAsync("devstoreaccount1");
        var policy = deployment.Placement.Resolve(account!);
        Assert.Equal(["CN"], policy.Residency);
        Assert.Equal(("cn-east", "cn-north"), (policy.PrimaryRegion, policy.SecondaryRegion));
        Assert.Equal(Redundancy.Lrs, policy.Redundancy);
        Assert.Equal(policy.ToString(), account!.Placement?.ToString());

        // The stored policy changes through the placement service, against the real store.
        var changed = await deployment.Placement.SetAccountPolicyAsync("devstoreaccount1", new PlacementPolicyRequest(Redundancy: "GZRS"));
        Assert.Equal(Redundancy.Gzrs, (await deployment.Store.GetAccountAsync("devstoreaccount1"))!.Placement!.Redundancy);
        Assert.Equal(changed.Redundancy, deployment.Placement.Resolve((await deployment.Store.GetAccountAsync("devstoreaccount1"))!).Redundancy);
        Assert.NotNull(await deployment.Placement.GetLastSyncTimeAsync("devstoreaccount1"));
    }

    [Fact]
    public async Task A_data_directory_created_before_the_topology_keeps_its_single_local_site()
    {
        data.InitializeDevelopment();
        var directory = new DataDirectory(data.Path);

        // A deployment from before the topology file: its store exists, the file does not.
        directory.Create();
        await (await Storage.SqlMetadataStore.OpenSqliteAsync(directory.MetadataDatabasePath)).DisposeAsync();

        await using var deployment = await Deployment.OpenAsync(directory, TimeProvider.System, SystemRandomSource.Instance);
        var site = Assert.Single(deployment.Sites.Sites);
        Assert.Equal(new SiteDescriptor(Topology.SingleSiteId, "local", "local-1", Topology.UnspecifiedJurisdiction, SiteBackendKind.LocalDirectory, SiteState.Active), site);
        Assert.Equal(directory.LocalSiteDirectory, ((LocalDirectoryBackendOptions)deployment.Sites.Topology.Sites[0].Backend).Path);
        Assert.Contains("Set the jurisdiction", await File.ReadAllTextAsync(directory.TopologyPath), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Init_writes_the_single_site_default_and_the_banner_asks_for_a_jurisdiction()
    {
        await InitAsync();
        var directory = new DataDirectory(data.Path);
        var topology = TopologyFile.Load(directory.TopologyPath);
        Assert.Equal(Topology.SingleSiteId, Assert.Single(topology.Sites).Descriptor.Id);

        var run = await RunServerAsync("--port", "0");
        Assert.Contains("Sites:             local (ZZ, 1 site in 1 zone)", run.Output, StringComparison.Ordinal);
        Assert.Contains("jurisdiction ZZ is unspecified", run.Output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Another_topology_file_can_be_given_and_a_broken_one_stops_start_up_with_its_line()
    {
        var file = Path.Combine(Path.GetTempPath(), "strongroom-cli-tests", Path.GetRandomFileName() + ".toml");
        Directory.CreateDirectory(Path.GetDirectoryName(file)!);
        try
        {
            await File.WriteAllTextAsync(file, """
                version = 1

                [[site]]
                id = "fra-1"
                region = "de-central"
                zone = "de-central-1"
                jurisdiction = "DE"
                backend = "directory"
                path = "fra-1"
                """);
            var run = await RunServerAsync("--dev", "--port", "0", "--topology", file);
            Assert.Contains("Sites:             de-central (DE, 1 site in 1 zone); topology " + file, run.Output, StringComparison.Ordinal);
            Assert.False(File.Exists(new DataDirectory(data.Path).TopologyPath));

            await File.WriteAllTextAsync(file, "version = 1\n\n[[site]]\nid = \"fra-1\"\nregion = \"de-central\"\nzone = \"de-central-1\"\njurisdiction = \"Germany\"\n");
            var broken = await data.RunWithDataAsync("server", "--dev", "--port", "0", "--topology", file);
            Assert.Equal(1, broken.ExitCode);
            Assert.Contains($"error: {file}:7: field 'jurisdiction': 'Germany' is not two uppercase letters", broken.Error, StringComparison.Ordinal);
        }
        finally
        {
            File.Delete(file);
        }
    }
}
