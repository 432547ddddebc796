using Strongroom.Core;
using Strongroom.Storage;
using Strongroom.Vault;

namespace Strongroom.Blobs;

public sealed partial class BlobService(IMetadataStore store, ISite site, TenantKeys keys, TimeProvider time, IRandomSource random)
{
}

public sealed partial class AccountService(IMetadataStore store, ISite site, TenantKeys keys, TimeProvider time)
{
}
