using Strongroom.Core;
using Strongroom.Storage;

namespace Strongroom.Placement;

/// <summary>Opens the backend each topology entry declares.</summary>
public static class SiteBackends
{
    /// <summary>
    /// The backend of one site (nothing is contacted yet; a remote site is probed by
    /// <see cref="ISite.CheckAsync"/>). A remote site's key file (and CA file) is read here:
    /// IOException when it cannot be, ArgumentException when the options are unusable.
    /// </summary>
    public static ISite Create(SiteDefinition site, IRandomSource random)
    {
        ArgumentNullException.ThrowIfNull(site);
        return site.Backend switch
        {
            LocalDirectoryBackendOptions local => new LocalDirectorySite(site.Descriptor.Id, local.Path, random),
            AzureBlobBackendOptions remote => new AzureBlobSite(
                site.Descriptor.Id,
                new AzureBlobSiteOptions(remote.Endpoint, remote.Container, remote.AccountName, remote.AccountKeyFile, remote.CaCertificateFile, remote.DangerousAllowHttp),
                random),
            _ => throw new ArgumentException($"Unknown backend for site {site.Descriptor.Id}.", nameof(site)),
        };
    }

    /// <summary>Every site of the topology with its backend.</summary>
    public static SiteSet Open(Topology topology, IRandomSource random, TimeProvider time)
    {
        ArgumentNullException.ThrowIfNull(topology);
        var backends = new Dictionary<string, ISite>(StringComparer.Ordinal);
        try
        {
            foreach (var site in topology.Sites)
            {
                backends[site.Descriptor.Id] = Create(site, random);
            }
        }
        catch
        {
            foreach (var backend in backends.Values.OfType<IAsyncDisposable>())
            {
                backend.DisposeAsync().AsTask().GetAwaiter().GetResult();
            }

            throw;
        }

        return new SiteSet(topology, backends, time);
    }
}
