using Strongroom.Core;

namespace Strongroom.Placement;

/// <summary>How a site's bytes are reached: the backend part of a topology entry.</summary>
public abstract record SiteBackendOptions;

/// <summary>A directory on this machine (absolute, or relative to the topology file's directory).</summary>
public sealed record LocalDirectoryBackendOptions(string Path) : SiteBackendOptions;

/// <summary>
/// An Azure Blob (or Azure-compatible) endpoint in another datacenter, reached with the Azure SDK
/// over HTTPS. Objects live in <see cref="Container"/> under their opaque ids. The shared key is
/// read from <see cref="AccountKeyFile"/> (never written in the topology itself);
/// <see cref="CaCertificateFile"/> pins a private CA; plain HTTP only with
/// <see cref="DangerousAllowHttp"/> (tests against a local emulator).
/// </summary>
public sealed record AzureBlobBackendOptions(
    Uri Endpoint,
    string Container,
    string AccountName,
    string AccountKeyFile,
    string? CaCertificateFile,
    bool DangerousAllowHttp) : SiteBackendOptions;

public sealed record SiteDefinition(SiteDescriptor Descriptor, SiteBackendOptions Backend);

/// <summary>
/// The deployment's sites, as declared (the topology file, docs/datacenters.md). Immutable; the
/// administrator's durable decisions (drain, remove) are applied on top by <see cref="SiteSet"/>.
/// </summary>
public sealed class Topology
{
    public Topology(IReadOnlyList<SiteDefinition> sites)
    {
        ArgumentNullException.ThrowIfNull(sites);
        Sites = sites;
        ById = sites.ToDictionary(site => site.Descriptor.Id, StringComparer.Ordinal);
        Regions = sites.Select(site => site.Descriptor.Region).Distinct(StringComparer.Ordinal).ToList();
    }

    /// <summary>In file order.</summary>
    public IReadOnlyList<SiteDefinition> Sites { get; }

    public IReadOnlyDictionary<string, SiteDefinition> ById { get; }

    /// <summary>Regions in order of first appearance; the first is the deployment's default primary region.</summary>
    public IReadOnlyList<string> Regions { get; }

    /// <summary>The jurisdiction of a region (every site of a region shares one; the file is refused otherwise).</summary>
    public string? JurisdictionOf(string region) =>
        Sites.FirstOrDefault(site => string.Equals(site.Descriptor.Region, region, StringComparison.Ordinal))?.Descriptor.Jurisdiction;

    /// <summary>The embedded default: one local directory site, <c>local</c>, in region <c>local</c>, zone <c>local-1</c>, jurisdiction <c>ZZ</c> (unspecified) until the operator edits the file.</summary>
    public static Topology SingleLocalSite(string directory) => new(
    [
        new SiteDefinition(
            new SiteDescriptor(SingleSiteId, "local", "local-1", UnspecifiedJurisdiction, SiteBackendKind.LocalDirectory, SiteState.Active),
            new LocalDirectoryBackendOptions(directory)),
    ]);

    public const string SingleSiteId = "local";

    /// <summary>ISO 3166 user-assigned "unknown or unspecified" code.</summary>
    public const string UnspecifiedJurisdiction = "ZZ";
}

/// <summary>A topology file that cannot be used: the message names the file, the line and what is wrong.</summary>
public sealed class TopologyException(string message) : Exception(message);
