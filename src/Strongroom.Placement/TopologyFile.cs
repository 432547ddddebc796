namespace Strongroom.Placement;

/// <summary>
/// The topology file (TOML, docs/datacenters.md): parsed and validated with errors that name the
/// file, line and field; the development sample; the embedded single-site default.
/// </summary>
public static class TopologyFile
{
    public const string FileName = "topology.toml";

    /// <summary>Parses and validates; relative paths resolve against <paramref name="baseDirectory"/>. TopologyException with file:line: reason.</summary>
    public static Topology Parse(string text, string sourceName, string baseDirectory) =>
        throw new NotImplementedException("TODO(issue 5): the topology helper parses TOML.");

    /// <summary>Reads and parses the file (at most <see cref="Core.Limits.TopologyFileBytesMax"/> bytes).</summary>
    public static Topology Load(string path) =>
        Parse(File.ReadAllText(path), path, Path.GetDirectoryName(Path.GetFullPath(path))!);

    /// <summary>
    /// The development sample: local directories under <paramref name="sitesDirectory"/> — region
    /// <c>cn-east</c> (CN, three zones), region <c>cn-north</c> (CN, two zones), region <c>eu-west</c> (EU).
    /// </summary>
    public static string DevelopmentSample(string sitesDirectory) =>
        throw new NotImplementedException("TODO(issue 5): the topology helper writes the development sample.");

    /// <summary>The embedded default written for a new production data directory: <see cref="Topology.SingleLocalSite"/> as text.</summary>
    public static string SingleSite(string siteDirectory) =>
        throw new NotImplementedException("TODO(issue 5): the topology helper writes the single-site default.");
}
