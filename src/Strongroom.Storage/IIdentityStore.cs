using Strongroom.Core;

namespace Strongroom.Storage;

/// <summary>
/// Principals of the management plane (operators, tenant administrators) and their sessions
/// (migration 8). Same contract as <see cref="IMetadataStore"/>: every method is atomic and an
/// <see cref="AuditAppend"/> commits with the change it describes. Sessions are found by the
/// SHA-256 of their token only; the store never sees a token, a password or a TOTP seed in the clear.
///
/// Sign-in bookkeeping is race-free: <see cref="BeginLoginAttemptAsync"/> counts an attempt as a
/// failure before the password is checked (in one serialized write), so concurrent attempts cannot
/// get past <see cref="Limits.LoginFailuresMax"/>; <see cref="CompleteLoginAsync"/> undoes the
/// count, and accepts the TOTP step only when it is later than the last one accepted (a
/// compare-and-swap), so a code is accepted once.
/// </summary>
public interface IIdentityStore
{
    /// <summary>
    /// Adds a principal. PrincipalAlreadyExists. With <paramref name="onlyWhileNoOperator"/> (the
    /// host creating the first operator) RoleNotPermitted when any operator exists.
    /// AccountNotFound for a tenant administrator of a missing account.
    /// </summary>
    Task CreatePrincipalAsync(PrincipalRecord principal, bool onlyWhileNoOperator, AuditAppend? audit = null, CancellationToken cancellationToken = default);

    Task<PrincipalRecord?> GetPrincipalAsync(PrincipalKind kind, string account, string name, CancellationToken cancellationToken = default);

    /// <summary>Principals of one kind (and, for tenant administrators, of one account), by name.</summary>
    Task<IReadOnlyList<PrincipalRecord>> ListPrincipalsAsync(PrincipalKind kind, string account, CancellationToken cancellationToken = default);

    /// <summary>True when any operator exists (enabled or not).</summary>
    Task<bool> AnyOperatorAsync(CancellationToken cancellationToken = default);

    /// <summary>
    /// Disables a principal and ends its sessions. PrincipalNotFound. With
    /// <paramref name="keepOneSecurityAdmin"/>, InvalidAccessState when it is the last enabled
    /// security admin. Disabling a disabled principal changes nothing and appends nothing (returns it).
    /// </summary>
    Task<PrincipalRecord> DisablePrincipalAsync(PrincipalKind kind, string account, string name, bool keepOneSecurityAdmin, AuditAppend? audit = null, CancellationToken cancellationToken = default);

    /// <summary>
    /// Counts a sign-in attempt as a failure before its factors are checked: null when the
    /// principal does not exist; <see cref="LoginAttempt.Locked"/> (nothing changed) while it is
    /// locked at <paramref name="now"/>; else the failure count goes up (a lock that has ended
    /// starts it again from zero) and reaching <paramref name="failuresMax"/> locks the principal
    /// until <paramref name="now"/> + <paramref name="lockout"/>.
    /// </summary>
    Task<LoginAttempt?> BeginLoginAttemptAsync(PrincipalKind kind, string account, string name, DateTimeOffset now, int failuresMax, TimeSpan lockout, CancellationToken cancellationToken = default);

    /// <summary>
    /// A sign-in whose factors checked out: clears the failure count and the lock, records
    /// <paramref name="totpStep"/> as the last accepted step and adds <paramref name="session"/>,
    /// with <paramref name="audit"/>. False, changing nothing, when the step is not later than the
    /// last accepted one (a replayed code) or the principal was disabled meanwhile. A
    /// <paramref name="newPasswordHash"/> replaces the stored one (a rehash under grown parameters).
    /// </summary>
    Task<bool> CompleteLoginAsync(PrincipalKind kind, string account, string name, long totpStep, SessionRecord session, AuditAppend? audit = null, string? newPasswordHash = null, CancellationToken cancellationToken = default);

    /// <summary>A session by the SHA-256 of its token, with its principal (null when the principal no longer exists).</summary>
    Task<(SessionRecord Session, PrincipalRecord? Principal)?> GetSessionByTokenHashAsync(byte[] tokenHash, CancellationToken cancellationToken = default);

    Task<(SessionRecord Session, PrincipalRecord? Principal)?> GetSessionAsync(string sessionId, CancellationToken cancellationToken = default);

    /// <summary>Moves a live session's last use forward to <paramref name="lastSeenOn"/> (never back).</summary>
    Task TouchSessionAsync(string sessionId, DateTimeOffset lastSeenOn, CancellationToken cancellationToken = default);

    /// <summary>Ends a session; false (appending nothing) when it had already ended or does not exist.</summary>
    Task<bool> EndSessionAsync(string sessionId, AuditAppend? audit = null, CancellationToken cancellationToken = default);
}

/// <summary>The outcome of <see cref="IIdentityStore.BeginLoginAttemptAsync"/>: the principal after the attempt was counted, or the lock that refused it.</summary>
public sealed record LoginAttempt(PrincipalRecord Principal, bool Locked);
