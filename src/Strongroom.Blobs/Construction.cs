using Strongroom.Audit;
using Strongroom.Core;
using Strongroom.Placement;
using Strongroom.Storage;
using Strongroom.Vault;

namespace Strongroom.Blobs;

public sealed partial class BlobService(IMetadataStore store, ObjectSites sites, PlacementService placement, TenantKeys keys, TransparencyLog audit, TimeProvider time, IRandomSource random)
{
    public PlacementService Placement => placement;

    /// <summary>The transparency log this service records into.</summary>
    public TransparencyLog Audit => audit;
}

public sealed partial class AccountService(IMetadataStore store, PlacementService placement, TenantKeys keys, TransparencyLog audit, TimeProvider time)
{
    public PlacementService Placement => placement;

    /// <summary>The transparency log this service records into.</summary>
    public TransparencyLog Audit => audit;
}
