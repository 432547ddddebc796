using Strongroom.Audit;
using Strongroom.Core;
using Strongroom.Storage;
using Strongroom.Vault;

namespace Strongroom.Access;

/// <summary>A principal just created: the TOTP seed is shown to it once (base32 and an otpauth:// URI) and never again.</summary>
public sealed record EnrolledPrincipal(PrincipalRecord Principal, string TotpSecretBase32, string OtpAuthUri);

/// <summary>A successful sign-in: the session token (shown once to the client, stored only hashed) and its limits.</summary>
public sealed record LoginResult(string SessionToken, AuthenticatedPrincipal Principal, DateTimeOffset IdleExpiresOn, DateTimeOffset ExpiresOn);

/// <summary>
/// Operators and tenant administrators: creation (Argon2id password, mandatory TOTP), sign-in with
/// lockout and one-time codes, sessions with idle and absolute timeouts, disable. Operators' events
/// go into the platform log, tenant administrators' into their account's log.
/// </summary>
public sealed partial class IdentityService(IMetadataStore store, TransparencyLog audit, TenantKeys keys, TimeProvider time, IRandomSource random)
{
    /// <summary>
    /// Creates an operator. <paramref name="caller"/> null means the host (the CLI with the data
    /// directory): allowed only while the deployment has no operator (<c>strongroom init</c> makes
    /// the first). Otherwise the caller must be a security admin.
    /// </summary>
    public Task<EnrolledPrincipal> CreateOperatorAsync(AuthenticatedPrincipal? caller, string name, OperatorRole role, string password, CancellationToken cancellationToken = default) =>
        throw new NotImplementedException("issue6-identity");

    /// <summary>Creates a tenant administrator. Caller null (the host), a security admin, or a tenant administrator of the same account.</summary>
    public Task<EnrolledPrincipal> CreateTenantAdminAsync(AuthenticatedPrincipal? caller, string account, string name, string password, CancellationToken cancellationToken = default) =>
        throw new NotImplementedException("issue6-identity");

    /// <summary>Operators (caller null: the host; else a security or audit admin).</summary>
    public Task<IReadOnlyList<PrincipalRecord>> ListOperatorsAsync(AuthenticatedPrincipal? caller, CancellationToken cancellationToken = default) =>
        throw new NotImplementedException("issue6-identity");

    /// <summary>An account's administrators (caller null, a security or audit admin, or a tenant administrator of that account).</summary>
    public Task<IReadOnlyList<PrincipalRecord>> ListTenantAdminsAsync(AuthenticatedPrincipal? caller, string account, CancellationToken cancellationToken = default) =>
        throw new NotImplementedException("issue6-identity");

    /// <summary>Disables an operator and ends its sessions (a security admin; never the last enabled security admin, never oneself).</summary>
    public Task DisableOperatorAsync(AuthenticatedPrincipal? caller, string name, CancellationToken cancellationToken = default) =>
        throw new NotImplementedException("issue6-identity");

    public Task DisableTenantAdminAsync(AuthenticatedPrincipal? caller, string account, string name, CancellationToken cancellationToken = default) =>
        throw new NotImplementedException("issue6-identity");

    /// <summary>
    /// Signs in with password and TOTP code. Any mismatch is <see cref="ErrorCode.LoginFailed"/>
    /// (and counts toward the lockout); a locked principal gets <see cref="ErrorCode.PrincipalLocked"/>;
    /// a code already used gets <see cref="ErrorCode.TotpCodeReused"/>. Recorded either way.
    /// </summary>
    public Task<LoginResult> LoginAsync(PrincipalKind kind, string account, string name, string password, string totpCode, CancellationToken cancellationToken = default) =>
        throw new NotImplementedException("issue6-identity");

    /// <summary>Ends the session (idempotent for an already ended one).</summary>
    public Task LogoutAsync(string sessionToken, CancellationToken cancellationToken = default) =>
        throw new NotImplementedException("issue6-identity");

    /// <summary>
    /// The principal behind a session token, and the session touched (its idle clock restarts).
    /// <see cref="ErrorCode.SessionInvalid"/> for an unknown, ended, idle-expired or over-age
    /// session, or a principal disabled since.
    /// </summary>
    public Task<AuthenticatedPrincipal> AuthenticateSessionAsync(string sessionToken, CancellationToken cancellationToken = default) =>
        throw new NotImplementedException("issue6-identity");

    /// <summary>
    /// The principal of session <paramref name="sessionId"/> when it is alive now (data-plane use
    /// of a grant counts as activity and touches it), else null.
    /// </summary>
    public Task<AuthenticatedPrincipal?> TouchSessionAsync(string sessionId, CancellationToken cancellationToken = default) =>
        throw new NotImplementedException("issue6-identity");

    // TODO(issue 6): removed by the helper that implements this class (keeps the stub's parameters used).
    private object[] StubDependencies => [store, audit, keys, time, random];
}
