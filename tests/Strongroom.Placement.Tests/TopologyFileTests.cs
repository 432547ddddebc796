using System.Text;
using Strongroom.Core;

namespace Strongroom.Placement.Tests;

public sealed class TopologyFileTests
{
    private const string Source = "/etc/strongroom/topology.toml";
    private static readonly string Base = Path.Combine(Path.GetTempPath(), "strongroom-topology-tests");

    private static string Site(string id, string region, string zone, string jurisdiction, string extra = "", string? path = null) => $"""

        [[site]]
        id = "{id}"
        region = "{region}"
        zone = "{zone}"
        jurisdiction = "{jurisdiction}"
        backend = "directory"
        path = "{path ?? "sites/" + id}"
        {extra}
        """;

    private static Topology Parse(string text) => TopologyFile.Parse(text, Source, Base);

    private static string Fails(string text)
    {
        var exception = Assert.Throws<TopologyException>(() => Parse(text));
        return exception.Message;
    }

    [Fact]
    public void The_development_sample_parses_back_to_nine_sites_in_three_regions()
    {
        var sites = Path.Combine(Base, "dev", "sites");
        var topology = Parse(TopologyFile.DevelopmentSample(sites));

        Assert.Equal(9, topology.Sites.Count);
        Assert.Equal(["cn-east", "cn-north", "eu-west"], topology.Regions);
        Assert.Equal("CN", topology.JurisdictionOf("cn-east"));
        Assert.Equal("CN", topology.JurisdictionOf("cn-north"));
        Assert.Equal("EU", topology.JurisdictionOf("eu-west"));
        Assert.Equal(["cn-east-1", "cn-east-2", "cn-east-3"], Zones(topology, "cn-east"));
        Assert.Equal(["cn-north-1", "cn-north-2"], Zones(topology, "cn-north"));
        Assert.Equal(["eu-west-1", "eu-west-2", "eu-west-3"], Zones(topology, "eu-west"));
        Assert.Equal(2, topology.Sites.Count(site => site.Descriptor.Zone == "cn-north-1"));
        Assert.Contains("cn-east-1a", topology.ById.Keys);
        Assert.All(topology.Sites, site =>
        {
            Assert.Equal(SiteState.Active, site.Descriptor.State);
            Assert.Equal(SiteBackendKind.LocalDirectory, site.Descriptor.Backend);
            Assert.Equal(Path.Combine(sites, site.Descriptor.Id), ((LocalDirectoryBackendOptions)site.Backend).Path);
        });

        var policy = Placer.DefaultPolicy(topology.Sites.Select(site => site.Descriptor).ToList());
        Assert.Equal(new[] { "CN" }, policy.Residency);
        Assert.Equal("cn-east", policy.PrimaryRegion);
        Assert.Equal("cn-north", policy.SecondaryRegion);
        Assert.Equal(Redundancy.Lrs, policy.Redundancy);
    }

    [Fact]
    public void A_relative_sample_resolves_against_the_files_directory()
    {
        var topology = Parse(TopologyFile.DevelopmentSample("sites"));
        Assert.Equal(Path.Combine(Base, "sites", "eu-west-3a"), ((LocalDirectoryBackendOptions)topology.ById["eu-west-3a"].Backend).Path);
    }

    [Fact]
    public void The_single_site_default_is_the_embedded_topology_and_asks_for_a_jurisdiction()
    {
        var text = TopologyFile.SingleSite("sites/local");
        Assert.Contains("jurisdiction", text.Split('\n')[1], StringComparison.Ordinal);
        var topology = Parse(text);
        var expected = Topology.SingleLocalSite(Path.Combine(Base, "sites", "local")).Sites.Single();
        var site = Assert.Single(topology.Sites);
        Assert.Equal(expected.Descriptor, site.Descriptor);
        Assert.Equal(expected.Backend, site.Backend);
        Assert.Equal(Topology.UnspecifiedJurisdiction, site.Descriptor.Jurisdiction);
    }

    [Fact]
    public void Paths_with_quotes_and_backslashes_are_written_as_valid_strings()
    {
        var odd = Path.Combine(Base, "a \"quoted\" \\ dir");
        var topology = Parse(TopologyFile.SingleSite(odd));
        Assert.Equal(Path.GetFullPath(odd), ((LocalDirectoryBackendOptions)topology.Sites[0].Backend).Path);
    }

    [Fact]
    public void Every_field_is_read_including_states_and_an_azure_blob_site()
    {
        var topology = Parse("""
            # comment
            version = 1

            [[site]]
            id = "a1"
            region = "r1"
            zone = "z1"
            jurisdiction = "DE"
            state = "draining"
            backend = "directory"
            path = "/srv/a1"

            [[site]]
            id = "remote"
            region = "r1"
            zone = "z2"
            jurisdiction = "DE"
            backend = "azure-blob"
            endpoint = "https://remote.example:10000/store"
            container = "strongroom-copies"
            account = "remote1"
            account-key-file = "keys/remote.key"
            ca-certificate = "/etc/ca.pem"

            [[site]]
            id = "emulator"
            region = "r2"
            zone = "z3"
            jurisdiction = "DE"
            state = "removed"
            backend = "azure-blob"
            endpoint = "http://127.0.0.1:10000/devstoreaccount1"
            container = "copies"
            account = "devstoreaccount1"
            account-key-file = "/keys/emulator.key"
            dangerous-allow-http = true
            """);

        Assert.Equal(new SiteDescriptor("a1", "r1", "z1", "DE", SiteBackendKind.LocalDirectory, SiteState.Draining), topology.Sites[0].Descriptor);
        Assert.Equal(new LocalDirectoryBackendOptions(Path.GetFullPath("/srv/a1")), topology.Sites[0].Backend);
        Assert.Equal(new SiteDescriptor("remote", "r1", "z2", "DE", SiteBackendKind.AzureBlob, SiteState.Active), topology.Sites[1].Descriptor);
        var remote = (AzureBlobBackendOptions)topology.Sites[1].Backend;
        Assert.Equal(new Uri("https://remote.example:10000/store"), remote.Endpoint);
        Assert.Equal("strongroom-copies", remote.Container);
        Assert.Equal("remote1", remote.AccountName);
        Assert.Equal(Path.Combine(Base, "keys", "remote.key"), remote.AccountKeyFile);
        Assert.Equal(Path.GetFullPath("/etc/ca.pem"), remote.CaCertificateFile);
        Assert.False(remote.DangerousAllowHttp);
        var emulator = (AzureBlobBackendOptions)topology.Sites[2].Backend;
        Assert.Equal(SiteState.Removed, topology.Sites[2].Descriptor.State);
        Assert.True(emulator.DangerousAllowHttp);
        Assert.Null(emulator.CaCertificateFile);
    }

    public static TheoryData<string, int, string> Invalid() => new()
    {
        // Syntax, version and tables.
        { "version = 1\n[[site]\n", 2, "not valid TOML" },
        { "# nothing\n[[site]]\nid = \"a\"\n", 1, "missing key 'version'" },
        { "version = \"1\"\n", 1, "'version' must be an integer" },
        { "\nversion = 2\n", 2, "version 2 is not supported" },
        { "version = 1\nsites = 3\n", 2, "unknown key 'sites'" },
        { "version = 1\n[site]\nid = \"a\"\n", 2, "unknown table [site]" },
        { "version = 1\n[[sites]]\nid = \"a\"\n", 2, "unknown table [[sites]]" },
        { "version = 1\n" + Site("a", "r", "z", "CN", "colour = \"red\""), 10, "unknown key 'colour'" },
        { "version = 1\n" + Site("a", "r", "z", "CN", "other.sub = \"x\""), 10, "dotted key" },

        // Missing keys name the [[site]] line.
        { "version = 1\n\n[[site]]\nregion = \"r\"\nzone = \"z\"\njurisdiction = \"CN\"\nbackend = \"directory\"\npath = \"p\"\n", 3, "missing the key 'id'" },
        { "version = 1\n\n[[site]]\nid = \"a\"\nzone = \"z\"\njurisdiction = \"CN\"\nbackend = \"directory\"\npath = \"p\"\n", 3, "missing the key 'region'" },
        { "version = 1\n\n[[site]]\nid = \"a\"\nregion = \"r\"\njurisdiction = \"CN\"\nbackend = \"directory\"\npath = \"p\"\n", 3, "missing the key 'zone'" },
        { "version = 1\n\n[[site]]\nid = \"a\"\nregion = \"r\"\nzone = \"z\"\nbackend = \"directory\"\npath = \"p\"\n", 3, "missing the key 'jurisdiction'" },
        { "version = 1\n\n[[site]]\nid = \"a\"\nregion = \"r\"\nzone = \"z\"\njurisdiction = \"CN\"\npath = \"p\"\n", 3, "missing the key 'backend'" },
        { "version = 1\n\n[[site]]\nid = \"a\"\nregion = \"r\"\nzone = \"z\"\njurisdiction = \"CN\"\nbackend = \"directory\"\n", 3, "missing the key 'path'" },

        // Types and values name the field's line.
        { "version = 1\n\n[[site]]\nid = 7\n", 4, "field 'id' must be a string" },
        { "version = 1\n" + Site("a", "r", "z", "CN").Replace("zone = \"z\"", "zone = [\"z\"]", StringComparison.Ordinal), 6, "field 'zone' must be a string (in quotes), not an array" },
        { "version = 1\n" + Site("Site_A", "r", "z", "CN"), 4, "field 'id': 'Site_A' is not a valid name" },
        { "version = 1\n" + Site("a", "-r", "z", "CN"), 5, "field 'region': '-r' is not a valid name" },
        { "version = 1\n" + Site("a", "r", "zone one", "CN"), 6, "field 'zone': 'zone one' is not a valid name" },
        { "version = 1\n" + Site("a", "r", "z", "cn"), 7, "field 'jurisdiction': 'cn' is not two uppercase letters" },
        { "version = 1\n" + Site("a", "r", "z", "CHN"), 7, "field 'jurisdiction': 'CHN' is not two uppercase letters" },
        { "version = 1\n" + Site("a", "r", "z", "CN", "state = \"offline\""), 10, "field 'state': 'offline' is not a site state" },
        { "version = 1\n" + Site("a", "r", "z", "CN").Replace("\"directory\"", "\"s3\"", StringComparison.Ordinal), 8, "field 'backend': 's3' is not a backend" },
        { "version = 1\n" + Site("a", "r", "z", "CN", "container = \"c\""), 10, "key 'container' does not apply to backend 'directory'" },
        { "version = 1\n" + Site("a", "r", "z", "CN", path: ""), 9, "field 'path' is empty" },
        { "version = 1\n" + Site("a", "r", "z", "CN", "path = \"again\""), 10, "not valid TOML" },

        // Across sites.
        { "version = 1\n" + Site("a", "r", "z1", "CN") + Site("a", "r", "z2", "CN", path: "other"), 12, "field 'id': the site id 'a' is already used by the site at line 3" },
        { "version = 1\n" + Site("a", "r", "z1", "CN", path: "/srv/one") + Site("b", "r", "z2", "CN", path: "/srv/one/"), 17, "field 'path': site b uses the same directory as site a" },
        { "version = 1\n" + Site("a", "r", "z1", "CN", path: "/srv/one") + Site("b", "r", "z2", "CN", path: "/srv/one/b"), 17, "are nested" },
        { "version = 1\n" + Site("a", "r1", "z1", "CN") + Site("b", "r2", "z1", "CN"), 14, "field 'zone': zone 'z1' is in region 'r1' (site a), so it cannot also be in region 'r2'" },
        { "version = 1\n" + Site("a", "r1", "z1", "CN") + Site("b", "r1", "z2", "EU"), 15, "field 'jurisdiction': region 'r1' is in CN (site a), so site b cannot be in EU" },

        // Azure Blob sites.
        { "version = 1\n" + Remote("endpoint = \"ftp://host/x\""), 8, "field 'endpoint': 'ftp://host/x' is not an https:// URL" },
        { "version = 1\n" + Remote("endpoint = \"http://host/x\""), 8, "plain http://" },
        { "version = 1\n" + Remote("endpoint = \"http://host/x\"\ndangerous-allow-http = \"yes\""), 9, "field 'dangerous-allow-http' must be true or false" },
        { "version = 1\n" + Remote("endpoint = \"https://host/x?sig=secret\""), 8, "must not carry credentials" },
        { "version = 1\n" + Remote("endpoint = \"https://host/x\"", container: "Bad_Container"), 9, "field 'container': 'Bad_Container' is not a container name" },
        { "version = 1\n" + Remote("endpoint = \"https://host/x\"", account: "Remote-Account"), 10, "field 'account': 'Remote-Account' is not an account name" },
        { "version = 1\n" + Remote("endpoint = \"https://host/x\"").Replace("account-key-file = \"k\"\n", string.Empty, StringComparison.Ordinal), 2, "missing the key 'account-key-file'" },
        { "version = 1\n" + Remote("endpoint = \"https://host/x\"\npath = \"p\""), 9, "key 'path' does not apply to backend 'azure-blob'" },

        // The whole file.
        { "version = 1\n" + Site("a", "r", "z", "CN", "state = \"draining\"") + Site("b", "r", "z", "CN", "state = \"removed\""), 0, "no site is active" },
        { "version = 1\n", 0, "no site" },
    };

    private static string Remote(string endpointLines, string container = "copies", string account = "remote1") => $"""
        [[site]]
        id = "remote"
        region = "r"
        zone = "z"
        jurisdiction = "DE"
        backend = "azure-blob"
        {endpointLines}
        container = "{container}"
        account = "{account}"
        account-key-file = "k"

        """;

    [Theory]
    [MemberData(nameof(Invalid))]
    public void Each_mistake_is_refused_with_the_file_the_line_and_the_field(string text, int line, string reason)
    {
        var message = Fails(text);
        Assert.StartsWith(line == 0 ? Source + ": " : $"{Source}:{line}: ", message, StringComparison.Ordinal);
        Assert.Contains(reason, message, StringComparison.Ordinal);
    }

    [Fact]
    public void More_sites_than_the_limit_are_refused_at_the_first_one_too_many()
    {
        var text = new StringBuilder("version = 1\n");
        for (var i = 0; i <= Limits.TopologySitesMax; i++)
        {
            text.Append(Site($"s{i}", "r", "z", "CN", path: $"/srv/s{i}"));
        }

        var message = Fails(text.ToString());
        var expectedLine = 3 + (Limits.TopologySitesMax * 8);
        Assert.StartsWith($"{Source}:{expectedLine}: more than {Limits.TopologySitesMax} sites", message, StringComparison.Ordinal);
    }

    [Fact]
    public void The_maximum_number_of_sites_is_accepted()
    {
        var text = new StringBuilder("version = 1\n");
        for (var i = 0; i < Limits.TopologySitesMax; i++)
        {
            text.Append(Site($"s{i}", "r", "z" + (i % 3), "CN", path: $"/srv/s{i}"));
        }

        Assert.Equal(Limits.TopologySitesMax, Parse(text.ToString()).Sites.Count);
    }

    [Fact]
    public void A_file_larger_than_the_limit_is_refused_before_parsing()
    {
        var text = "version = 1\n" + new string('#', Limits.TopologyFileBytesMax);
        Assert.Contains($"larger than {Limits.TopologyFileBytesMax} bytes", Fails(text), StringComparison.Ordinal);

        var path = Path.Combine(Path.GetTempPath(), $"strongroom-topology-{Environment.ProcessId}-large.toml");
        File.WriteAllText(path, text);
        try
        {
            var exception = Assert.Throws<TopologyException>(() => TopologyFile.Load(path));
            Assert.StartsWith(path + ": ", exception.Message, StringComparison.Ordinal);
            Assert.Contains("larger than", exception.Message, StringComparison.Ordinal);
        }
        finally
        {
            File.Delete(path);
        }
    }

    [Fact]
    public void Load_resolves_relative_paths_against_the_files_directory_and_names_a_missing_file()
    {
        var directory = Directory.CreateTempSubdirectory("strongroom-topology-");
        try
        {
            var path = Path.Combine(directory.FullName, TopologyFile.FileName);
            File.WriteAllText(path, TopologyFile.DevelopmentSample("sites"));
            var topology = TopologyFile.Load(path);
            Assert.Equal(Path.Combine(directory.FullName, "sites", "cn-north-1b"), ((LocalDirectoryBackendOptions)topology.ById["cn-north-1b"].Backend).Path);

            var missing = Path.Combine(directory.FullName, "absent.toml");
            Assert.Equal($"{missing}: the topology file does not exist.", Assert.Throws<TopologyException>(() => TopologyFile.Load(missing)).Message);
        }
        finally
        {
            directory.Delete(recursive: true);
        }
    }

    [Fact]
    public void The_example_in_the_manual_parses()
    {
        var directory = new DirectoryInfo(AppContext.BaseDirectory);
        while (directory is not null && !File.Exists(Path.Combine(directory.FullName, "docs", "datacenters.md")))
        {
            directory = directory.Parent;
        }

        Assert.NotNull(directory);
        var manual = File.ReadAllText(Path.Combine(directory.FullName, "docs", "datacenters.md"));
        var start = manual.IndexOf("```toml\n", StringComparison.Ordinal) + "```toml\n".Length;
        var example = manual[start..manual.IndexOf("```", start, StringComparison.Ordinal)];
        var topology = Parse(example);
        Assert.Equal(["sh-1a", "sh-2a", "bj-1a", "fra-1a"], topology.Sites.Select(site => site.Descriptor.Id));
        Assert.Equal(SiteBackendKind.AzureBlob, topology.ById["bj-1a"].Descriptor.Backend);
        Assert.Equal(SiteState.Draining, topology.ById["fra-1a"].Descriptor.State);
    }

    private static List<string> Zones(Topology topology, string region) =>
        topology.Sites.Where(site => site.Descriptor.Region == region).Select(site => site.Descriptor.Zone).Distinct().ToList();
}
