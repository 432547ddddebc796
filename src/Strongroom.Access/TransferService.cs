using Strongroom.Audit;
using Strongroom.Core;
using Strongroom.Placement;
using Strongroom.Storage;

namespace Strongroom.Access;

/// <summary>What a transfer request names: the data, the destination outside the residency, the legal basis with its reference, and the purpose.</summary>
public sealed record TransferSpec(string Account, string Container, string? Prefix, string DestinationSiteId, TransferLegalBasis LegalBasis, string LegalReference, string Purpose);

/// <summary>
/// Cross-border transfers (PIPL art. 38–40, CSL art. 37): a copy outside an account's residency
/// only through a request that a tenant administrator and a security admin (neither the requester)
/// approved; then exactly the approved data (the blobs in scope when it runs) is copied to exactly
/// the approved site, each copy recorded in the account's log and shown in its locations.
/// </summary>
public sealed partial class TransferService(IMetadataStore store, TransparencyLog audit, SiteSet sites, PlacementService placement, TimeProvider time, IRandomSource random, AccessOptions options)
{
    /// <summary>A system admin or a tenant administrator of the account asks.</summary>
    public Task<TransferRecord> RequestAsync(AuthenticatedPrincipal caller, TransferSpec spec, CancellationToken cancellationToken = default) =>
        throw new NotImplementedException("issue6-transfers");

    public Task<TransferRecord> GetAsync(AuthenticatedPrincipal caller, string id, CancellationToken cancellationToken = default) =>
        throw new NotImplementedException("issue6-transfers");

    public Task<IReadOnlyList<TransferRecord>> ListAsync(AuthenticatedPrincipal caller, string? account, TransferState? state, CancellationToken cancellationToken = default) =>
        throw new NotImplementedException("issue6-transfers");

    public Task<TransferRecord> ApproveAsync(AuthenticatedPrincipal caller, string id, CancellationToken cancellationToken = default) =>
        throw new NotImplementedException("issue6-transfers");

    public Task<TransferRecord> DenyAsync(AuthenticatedPrincipal caller, string id, string? reason, CancellationToken cancellationToken = default) =>
        throw new NotImplementedException("issue6-transfers");

    /// <summary>A system admin runs an approved transfer: copies every blob in scope to the destination (resumable; Completed when none is left).</summary>
    public Task<TransferRecord> RunAsync(AuthenticatedPrincipal caller, string id, CancellationToken cancellationToken = default) =>
        throw new NotImplementedException("issue6-transfers");

    /// <summary>Expires requests past their pending lifetime, each with its entry.</summary>
    public Task<int> ExpireDueAsync(CancellationToken cancellationToken = default) =>
        throw new NotImplementedException("issue6-transfers");

    // TODO(issue 6): removed by the helper that implements this class (keeps the stub's parameters used).
    private object[] StubDependencies => [store, audit, sites, placement, time, random, options];
}
