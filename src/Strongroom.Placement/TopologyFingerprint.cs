using System.Security.Cryptography;
using System.Text;

namespace Strongroom.Placement;

/// <summary>
/// The topology's fingerprint (issue 9): lowercase hex SHA-256 of its canonical form, one line per
/// site in file order — id, region, zone, jurisdiction, declared state, backend and where the
/// backend is (a directory site's absolute path; an Azure site's endpoint, container and account)
/// — after a version line. Comments, spacing, key order and the machine-local files an Azure site
/// reads its key and CA from do not count, so servers that reach the same sites agree while each
/// keeps its own copy of the file. Servers of one deployment must agree (the start refuses otherwise).
/// </summary>
public static class TopologyFingerprint
{
    /// <summary>The canonical form's version: bump it only with a new line format.</summary>
    private const string CanonicalHeader = "strongroom-topology-fingerprint 1";

    public static string Of(Topology topology)
    {
        ArgumentNullException.ThrowIfNull(topology);
        return Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(Canonical(topology))));
    }

    /// <summary>The canonical text that is hashed (tab-separated fields, one line per site).</summary>
    public static string Canonical(Topology topology)
    {
        ArgumentNullException.ThrowIfNull(topology);
        var text = new StringBuilder(CanonicalHeader).Append('\n');
        foreach (var site in topology.Sites)
        {
            var descriptor = site.Descriptor;
            text.Append(descriptor.Id).Append('\t')
                .Append(descriptor.Region).Append('\t')
                .Append(descriptor.Zone).Append('\t')
                .Append(descriptor.Jurisdiction).Append('\t')
                .Append(descriptor.State).Append('\t')
                .Append(descriptor.Backend).Append('\t');
            switch (site.Backend)
            {
                case LocalDirectoryBackendOptions directory:
                    text.Append(Path.TrimEndingDirectorySeparator(Path.GetFullPath(directory.Path)));
                    break;
                case AzureBlobBackendOptions azure:
                    text.Append(azure.Endpoint.AbsoluteUri).Append('\t').Append(azure.Container).Append('\t').Append(azure.AccountName);
                    break;
                default:
                    throw new InvalidOperationException($"No canonical form for the backend of site {descriptor.Id}.");
            }

            text.Append('\n');
        }

        return text.ToString();
    }
}
