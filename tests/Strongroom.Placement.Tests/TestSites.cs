using Strongroom.Core;
using Strongroom.Placement;
using Strongroom.Storage;

namespace Strongroom.Testing;

/// <summary>
/// Seven local directory sites in a temp directory, each behind a <see cref="FaultInjectingSite"/>:
/// three in region <c>cn-east</c> (zones a, b, c) and three in <c>cn-north</c>, jurisdiction CN, and
/// one in <c>eu-west</c> (EU), which no CN policy may ever use. The deployment default policy over
/// this topology is LRS in cn-east with cn-north as secondary. Shared by the placement and blob
/// tests (linked source).
/// </summary>
public sealed class TestSites : IAsyncDisposable
{
    public const string PrimaryRegion = "cn-east";
    public const string SecondaryRegion = "cn-north";

    public static readonly string[] Primary = ["east-1", "east-2", "east-3"];
    public static readonly string[] Secondary = ["north-1", "north-2", "north-3"];
    public const string Foreign = "eu-1";

    private readonly Dictionary<string, LocalDirectorySite> locals = new(StringComparer.Ordinal);
    private readonly Dictionary<string, FaultInjectingSite> faults = new(StringComparer.Ordinal);

    public TestSites(string directory, TimeProvider time)
    {
        Directory = directory;
        var definitions = new List<SiteDefinition>();
        void Add(string id, string region, string zone, string jurisdiction)
        {
            var path = Path.Combine(directory, "sites", id);
            locals[id] = new LocalDirectorySite(id, path, new SeededRandomSource(locals.Count + 1));
            faults[id] = new FaultInjectingSite(locals[id]);
            definitions.Add(new SiteDefinition(new SiteDescriptor(id, region, zone, jurisdiction, SiteBackendKind.LocalDirectory, SiteState.Active), new LocalDirectoryBackendOptions(path)));
        }

        for (var i = 0; i < 3; i++)
        {
            Add(Primary[i], PrimaryRegion, PrimaryRegion + "-" + (char)('a' + i), "CN");
        }

        for (var i = 0; i < 3; i++)
        {
            Add(Secondary[i], SecondaryRegion, SecondaryRegion + "-" + (char)('a' + i), "CN");
        }

        Add(Foreign, "eu-west", "eu-west-a", "EU");
        Topology = new Topology(definitions);
        Sites = new SiteSet(Topology, faults.ToDictionary(pair => pair.Key, pair => (ISite)pair.Value, StringComparer.Ordinal), time);
    }

    public string Directory { get; }

    public Topology Topology { get; }

    public SiteSet Sites { get; }

    public static IEnumerable<string> All => [.. Primary, .. Secondary, Foreign];

    public FaultInjectingSite this[string siteId] => faults[siteId];

    public LocalDirectorySite Local(string siteId) => locals[siteId];

    /// <summary>Residency CN, primary cn-east, secondary cn-north, with the given redundancy.</summary>
    public static PlacementPolicy Policy(Redundancy redundancy) => new(["CN"], PrimaryRegion, SecondaryRegion, redundancy);

    /// <summary>Published objects on the site.</summary>
    public IReadOnlyList<string> ObjectFiles(string siteId) =>
        System.IO.Directory.EnumerateFiles(Path.Combine(locals[siteId].RootDirectory, "objects"), "*", SearchOption.AllDirectories).ToList();

    /// <summary>Writes in progress or abandoned on the site.</summary>
    public IReadOnlyList<string> PartialFiles(string siteId) =>
        System.IO.Directory.EnumerateFiles(Path.Combine(locals[siteId].RootDirectory, "tmp"), "*.partial").ToList();

    public bool Holds(string siteId, string objectId) =>
        File.Exists(Path.Combine(locals[siteId].RootDirectory, "objects", objectId[..2], objectId));

    /// <summary>Nothing published and nothing partial on any site.</summary>
    public bool AllEmpty() => All.All(id => ObjectFiles(id).Count == 0 && PartialFiles(id).Count == 0);

    /// <summary>Flips the lowest bit of one byte of the stored copy itself (a real corruption at rest).</summary>
    public void CorruptAtRest(string siteId, string objectId, long position)
    {
        var path = Path.Combine(locals[siteId].RootDirectory, "objects", objectId[..2], objectId);
        using var file = new FileStream(path, FileMode.Open, FileAccess.ReadWrite);
        file.Position = position;
        var value = file.ReadByte();
        file.Position = position;
        file.WriteByte((byte)(value ^ 0x01));
    }

    public async ValueTask DisposeAsync()
    {
        await Sites.DisposeAsync();
        foreach (var local in locals.Values)
        {
            await local.DisposeAsync();
        }
    }
}
