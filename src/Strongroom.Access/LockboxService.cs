using Strongroom.Audit;
using Strongroom.Core;
using Strongroom.Storage;
using Strongroom.Vault;

namespace Strongroom.Access;

/// <summary>What an operator asks for: where (account, container, optional prefix), what (metadata or data), how long, and why.</summary>
public sealed record LockboxRequestSpec(string Account, string Container, string? Prefix, LockboxAccess Access, TimeSpan Duration, string Justification);

/// <summary>A data-plane credential for an active grant: shown once to its operator.</summary>
public sealed record IssuedGrantToken(string Token, DateTimeOffset ExpiresOn);

/// <summary>
/// The lockbox: operators ask for narrow, time-bound, read-only access to one account's data; a
/// tenant administrator of that account and a security admin who is not the requester must both
/// approve; the requesting operator activates the grant, uses it on the data plane through a grant
/// token, and the tenant can revoke it at any time. Every transition commits with its entry in the
/// account's transparency log, carrying the justification. It is also the data plane's
/// <see cref="IOperatorGrantValidator"/>.
/// </summary>
public sealed partial class LockboxService(IMetadataStore store, TransparencyLog audit, IdentityService identities, TenantKeys keys, TimeProvider time, IRandomSource random, AccessOptions options)
    : IOperatorGrantValidator
{
    /// <summary>An operator (any role) asks for access.</summary>
    public Task<LockboxRequestRecord> RequestAsync(AuthenticatedPrincipal caller, LockboxRequestSpec spec, CancellationToken cancellationToken = default) =>
        throw new NotImplementedException("issue6-lockbox");

    /// <summary>One request: its requester, any security or audit admin, or a tenant administrator of its account.</summary>
    public Task<LockboxRequestRecord> GetAsync(AuthenticatedPrincipal caller, string id, CancellationToken cancellationToken = default) =>
        throw new NotImplementedException("issue6-lockbox");

    /// <summary>Requests visible to the caller (a tenant administrator sees its account's only), newest first, optionally of one account and state.</summary>
    public Task<IReadOnlyList<LockboxRequestRecord>> ListAsync(AuthenticatedPrincipal caller, string? account, LockboxState? state, CancellationToken cancellationToken = default) =>
        throw new NotImplementedException("issue6-lockbox");

    /// <summary>A tenant administrator of the account, or a security admin who is not the requester, approves; both make it Approved.</summary>
    public Task<LockboxRequestRecord> ApproveAsync(AuthenticatedPrincipal caller, string id, CancellationToken cancellationToken = default) =>
        throw new NotImplementedException("issue6-lockbox");

    /// <summary>Either approver denies (final).</summary>
    public Task<LockboxRequestRecord> DenyAsync(AuthenticatedPrincipal caller, string id, string? reason, CancellationToken cancellationToken = default) =>
        throw new NotImplementedException("issue6-lockbox");

    /// <summary>The requesting operator starts an approved grant; it ends after its duration.</summary>
    public Task<LockboxRequestRecord> ActivateAsync(AuthenticatedPrincipal caller, string id, CancellationToken cancellationToken = default) =>
        throw new NotImplementedException("issue6-lockbox");

    /// <summary>The requesting operator ends its grant early.</summary>
    public Task<LockboxRequestRecord> EndAsync(AuthenticatedPrincipal caller, string id, CancellationToken cancellationToken = default) =>
        throw new NotImplementedException("issue6-lockbox");

    /// <summary>A tenant administrator of the account (or a security admin) revokes an approved or active grant.</summary>
    public Task<LockboxRequestRecord> RevokeAsync(AuthenticatedPrincipal caller, string id, CancellationToken cancellationToken = default) =>
        throw new NotImplementedException("issue6-lockbox");

    /// <summary>A grant token for the requesting operator's current session (any other caller: refused), valid until the grant ends.</summary>
    public Task<IssuedGrantToken> IssueTokenAsync(AuthenticatedPrincipal caller, string id, CancellationToken cancellationToken = default) =>
        throw new NotImplementedException("issue6-lockbox");

    /// <summary>Moves every request past its time to Expired and every active grant past its end to Ended, each with its entry (actor: the system). Returns how many moved.</summary>
    public Task<int> ExpireDueAsync(CancellationToken cancellationToken = default) =>
        throw new NotImplementedException("issue6-lockbox");

    public bool IsGrantToken(string token) => token.StartsWith(GrantTokenPrefix, StringComparison.Ordinal);

    public Task<OperatorGrant> ValidateAsync(string token, CancellationToken cancellationToken = default) =>
        throw new NotImplementedException("issue6-lockbox");

    /// <summary>Every grant token starts so (log scans look for it; it tells grant tokens from other bearer tokens).</summary>
    public const string GrantTokenPrefix = "srgrant1.";

    // TODO(issue 6): removed by the helper that implements this class (keeps the stub's parameters used).
    private object[] StubDependencies => [store, audit, identities, keys, time, random, options];
}
