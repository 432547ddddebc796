using Strongroom.Audit;
using Strongroom.Core;
using Strongroom.Storage;
using Strongroom.Vault;

namespace Strongroom.Blobs;

public sealed partial class BlobService(IMetadataStore store, ISite site, TenantKeys keys, TransparencyLog audit, TimeProvider time, IRandomSource random)
{
    /// <summary>The transparency log this service records into.</summary>
    public TransparencyLog Audit => audit;
}

public sealed partial class AccountService(IMetadataStore store, ISite site, TenantKeys keys, TransparencyLog audit, TimeProvider time)
{
    /// <summary>The transparency log this service records into.</summary>
    public TransparencyLog Audit => audit;
}
