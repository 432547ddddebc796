using System.Buffers.Text;
using System.Security.Cryptography;
using System.Text;
using Strongroom.Audit;
using Strongroom.Core;
using Strongroom.Crypto;
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
///
/// Invariants: an operator holds exactly one role and nothing here grants access to customer data;
/// the host creates the first operator only while there is none, a security admin every later one;
/// at least one enabled security admin remains; a TOTP step is accepted at most once per principal;
/// a session token exists only in the client's hands (the store keeps its SHA-256); no password,
/// seed, code or token reaches an entry, an exception message or a log line.
/// </summary>
public sealed partial class IdentityService(IMetadataStore store, TransparencyLog audit, TenantKeys keys, TimeProvider time, IRandomSource random)
{
    /// <summary>Every session token starts so (log scans look for it).</summary>
    public const string SessionTokenPrefix = "srsession1.";

    private const int SessionTokenRandomBytes = 32;

    // A session's last use is written at most this often (the idle rule then errs early, never late).
    private static readonly TimeSpan TouchInterval = TimeSpan.FromSeconds(30);

    // Hashed when the principal is unknown, so a sign-in costs about the same either way.
    private readonly Lazy<string> unknownPrincipalHash = new(() => PasswordHash.Hash("unknown principal", random));

    private IIdentityStore Store => (IIdentityStore)store;

    /// <summary>
    /// Creates an operator. <paramref name="caller"/> null means the host (the CLI with the data
    /// directory): allowed only while the deployment has no operator (<c>strongroom init</c> makes
    /// the first). Otherwise the caller must be a security admin.
    /// </summary>
    public async Task<EnrolledPrincipal> CreateOperatorAsync(AuthenticatedPrincipal? caller, string name, OperatorRole role, string password, CancellationToken cancellationToken = default)
    {
        if (caller is not null && !caller.IsOperator(OperatorRole.SecurityAdmin))
        {
            throw new StorageException(ErrorCode.RoleNotPermitted, "Only a security admin creates operators.");
        }

        RequireValidName(name);
        if (!Enum.IsDefined(role))
        {
            throw new StorageException(ErrorCode.InvalidAccessRequest, "An operator has exactly one role: system-admin, security-admin or audit-admin.");
        }

        RequireValidPassword(password);
        if (caller is null && await Store.AnyOperatorAsync(cancellationToken).ConfigureAwait(false))
        {
            throw NotTheFirstOperator();
        }

        return await EnrollAsync(
            caller,
            PrincipalKind.Operator,
            PrincipalIds.NoAccount,
            name,
            role,
            password,
            onlyWhileNoOperator: caller is null,
            AuditLogs.Platform,
            AuditActions.CreateOperator,
            [Detail("role", PrincipalIds.RoleName(role))],
            cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Creates a tenant administrator. Caller null (the host), a security admin, or a tenant administrator of the same account.</summary>
    public async Task<EnrolledPrincipal> CreateTenantAdminAsync(AuthenticatedPrincipal? caller, string account, string name, string password, CancellationToken cancellationToken = default)
    {
        if (caller is not null && !caller.IsOperator(OperatorRole.SecurityAdmin) && !caller.IsTenantAdminOf(account))
        {
            throw new StorageException(ErrorCode.RoleNotPermitted, "Only the host, a security admin or an administrator of the same account creates tenant administrators.");
        }

        RequireValidAccount(account);
        RequireValidName(name);
        RequireValidPassword(password);
        return await EnrollAsync(caller, PrincipalKind.TenantAdmin, account, name, role: null, password, onlyWhileNoOperator: false, account, AuditActions.CreateTenantAdmin, [], cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Operators (caller null: the host; else a security or audit admin).</summary>
    public Task<IReadOnlyList<PrincipalRecord>> ListOperatorsAsync(AuthenticatedPrincipal? caller, CancellationToken cancellationToken = default)
    {
        if (caller is not null && !caller.IsOperator(OperatorRole.SecurityAdmin) && !caller.IsOperator(OperatorRole.AuditAdmin))
        {
            throw new StorageException(ErrorCode.RoleNotPermitted, "Only a security or audit admin lists operators.");
        }

        return Store.ListPrincipalsAsync(PrincipalKind.Operator, PrincipalIds.NoAccount, cancellationToken);
    }

    /// <summary>An account's administrators (caller null, a security or audit admin, or a tenant administrator of that account).</summary>
    public async Task<IReadOnlyList<PrincipalRecord>> ListTenantAdminsAsync(AuthenticatedPrincipal? caller, string account, CancellationToken cancellationToken = default)
    {
        if (caller is not null && !caller.IsOperator(OperatorRole.SecurityAdmin) && !caller.IsOperator(OperatorRole.AuditAdmin) && !caller.IsTenantAdminOf(account))
        {
            throw new StorageException(ErrorCode.RoleNotPermitted, "Only a security or audit admin, or an administrator of the account, lists its administrators.");
        }

        RequireValidAccount(account);
        _ = await store.GetAccountAsync(account, cancellationToken).ConfigureAwait(false) ?? throw new StorageException(ErrorCode.AccountNotFound);
        return await Store.ListPrincipalsAsync(PrincipalKind.TenantAdmin, account, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Disables an operator and ends its sessions (a security admin; never the last enabled security admin, never oneself).</summary>
    public async Task DisableOperatorAsync(AuthenticatedPrincipal? caller, string name, CancellationToken cancellationToken = default)
    {
        if (caller is null || !caller.IsOperator(OperatorRole.SecurityAdmin))
        {
            throw new StorageException(ErrorCode.RoleNotPermitted, "Only a security admin disables operators.");
        }

        RequireValidName(name);
        if (caller.Kind == PrincipalKind.Operator && string.Equals(caller.Name, name, StringComparison.Ordinal))
        {
            throw new StorageException(ErrorCode.InvalidAccessRequest, "An operator cannot disable itself: another security admin must.");
        }

        var entry = Entry(AuditLogs.Platform, AuditActions.DisableOperator, OperatorResource(name), AuditOutcomes.Success, [], caller.Actor);
        await Store.DisablePrincipalAsync(PrincipalKind.Operator, PrincipalIds.NoAccount, name, keepOneSecurityAdmin: true, entry, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Disables a tenant administrator and ends its sessions (the host, a security admin, or another administrator of the account).</summary>
    public async Task DisableTenantAdminAsync(AuthenticatedPrincipal? caller, string account, string name, CancellationToken cancellationToken = default)
    {
        if (caller is not null && !caller.IsOperator(OperatorRole.SecurityAdmin) && !caller.IsTenantAdminOf(account))
        {
            throw new StorageException(ErrorCode.RoleNotPermitted, "Only the host, a security admin or an administrator of the account disables its administrators.");
        }

        RequireValidAccount(account);
        RequireValidName(name);
        if (caller is not null && caller.IsTenantAdminOf(account) && string.Equals(caller.Name, name, StringComparison.Ordinal))
        {
            throw new StorageException(ErrorCode.InvalidAccessRequest, "An administrator cannot disable itself: another administrator of the account, a security admin or the host must.");
        }

        var entry = Entry(account, AuditActions.DisableTenantAdmin, TenantAdminResource(account, name), AuditOutcomes.Success, [], caller?.Actor);
        await Store.DisablePrincipalAsync(PrincipalKind.TenantAdmin, account, name, keepOneSecurityAdmin: false, entry, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>
    /// Signs in with password and TOTP code. Any mismatch is <see cref="ErrorCode.LoginFailed"/>
    /// (and counts toward the lockout); a locked principal gets <see cref="ErrorCode.PrincipalLocked"/>;
    /// a code already used gets <see cref="ErrorCode.TotpCodeReused"/>. Recorded either way.
    /// </summary>
    public async Task<LoginResult> LoginAsync(PrincipalKind kind, string account, string name, string password, string totpCode, CancellationToken cancellationToken = default)
    {
        // The seed must be unwrapped: nothing is decided while sealed.
        if (keys.Seal.IsSealed)
        {
            throw new StorageException(ErrorCode.VaultSealed);
        }

        account = kind == PrincipalKind.Operator ? PrincipalIds.NoAccount : account ?? string.Empty;
        password ??= string.Empty;
        var wellFormed = Enum.IsDefined(kind) && PrincipalIds.IsValidName(name)
            && (kind == PrincipalKind.Operator || Names.IsValidAccountName(account))
            && password.Length <= Limits.PasswordCharsMax;
        var now = time.GetUtcNow();
        var attempt = wellFormed
            ? await Store.BeginLoginAttemptAsync(kind, account, name, now, Limits.LoginFailuresMax, Limits.LoginLockout, cancellationToken).ConfigureAwait(false)
            : null;
        if (attempt is null)
        {
            if (password.Length <= Limits.PasswordCharsMax)
            {
                PasswordHash.Verify(password, unknownPrincipalHash.Value);
            }

            await RecordLoginFailureAsync(kind, account, name, ErrorCode.LoginFailed, null, cancellationToken).ConfigureAwait(false);
            throw new StorageException(ErrorCode.LoginFailed);
        }

        var principal = attempt.Principal;
        if (attempt.Locked)
        {
            await RecordLoginFailureAsync(kind, account, name, ErrorCode.PrincipalLocked, principal, cancellationToken).ConfigureAwait(false);
            throw new StorageException(ErrorCode.PrincipalLocked, $"Too many failed sign-ins: '{principal.Id}' is locked until {principal.LockedUntil:yyyy-MM-ddTHH:mm:ssZ}.");
        }

        long? step = null;
        if (PasswordHash.Verify(password, principal.PasswordHash) && !principal.Disabled && await OfCurrentAccountAsync(principal, cancellationToken).ConfigureAwait(false))
        {
            var seed = keys.UnwrapTotpSeed(kind, account, name, principal.WrappedTotpSeed);
            try
            {
                step = Totp.MatchStep(seed, totpCode, now);
            }
            finally
            {
                CryptographicOperations.ZeroMemory(seed);
            }
        }

        if (step is null)
        {
            await RecordLoginFailureAsync(kind, account, name, ErrorCode.LoginFailed, principal, cancellationToken).ConfigureAwait(false);
            throw new StorageException(ErrorCode.LoginFailed);
        }

        if (step.Value <= principal.TotpLastStep)
        {
            await RecordLoginFailureAsync(kind, account, name, ErrorCode.TotpCodeReused, principal, cancellationToken).ConfigureAwait(false);
            throw new StorageException(ErrorCode.TotpCodeReused, "That code was already used: wait for the next one.");
        }

        var token = NewSessionToken();
        var session = new SessionRecord(random.NewGuid().ToString("N"), TokenHash(token), kind, account, name, now, now, Ended: false);
        var actor = PrincipalIds.ActorOf(kind, account, name);
        var success = Entry(LogOf(kind, account), AuditActions.Login, ResourceOf(kind, account, name), AuditOutcomes.Success, [Detail("session", session.Id)], actor);
        // A hash made under weaker parameters than today's is replaced while the password is at hand.
        var rehashed = PasswordHash.NeedsRehash(principal.PasswordHash) ? PasswordHash.Hash(password, random) : null;
        if (!await Store.CompleteLoginAsync(kind, account, name, step.Value, session, success, rehashed, cancellationToken).ConfigureAwait(false))
        {
            // Another sign-in took this step first, or the principal was disabled meanwhile.
            var current = await Store.GetPrincipalAsync(kind, account, name, cancellationToken).ConfigureAwait(false);
            var code = current is null || current.Disabled ? ErrorCode.LoginFailed : ErrorCode.TotpCodeReused;
            await RecordLoginFailureAsync(kind, account, name, code, current, cancellationToken).ConfigureAwait(false);
            throw new StorageException(code, code == ErrorCode.TotpCodeReused ? "That code was already used: wait for the next one." : null);
        }

        return new LoginResult(
            token,
            new AuthenticatedPrincipal(kind, account, name, principal.Role, session.Id),
            now + Limits.SessionIdleTimeout,
            now + Limits.SessionLifetimeMax);
    }

    /// <summary>Ends the session (idempotent for an already ended one).</summary>
    public async Task LogoutAsync(string sessionToken, CancellationToken cancellationToken = default)
    {
        var found = IsSessionTokenShaped(sessionToken)
            ? await Store.GetSessionByTokenHashAsync(TokenHash(sessionToken), cancellationToken).ConfigureAwait(false)
            : null;
        if (found is not { } pair)
        {
            throw new StorageException(ErrorCode.SessionInvalid, "No such session.");
        }

        var session = pair.Session;
        var entry = Entry(
            LogOf(session.Kind, session.Account),
            AuditActions.Logout,
            ResourceOf(session.Kind, session.Account, session.Name),
            AuditOutcomes.Success,
            [Detail("session", session.Id)],
            PrincipalIds.ActorOf(session.Kind, session.Account, session.Name));
        await Store.EndSessionAsync(session.Id, entry, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>
    /// The principal behind a session token, and the session touched (its idle clock restarts).
    /// <see cref="ErrorCode.SessionInvalid"/> for an unknown, ended, idle-expired or over-age
    /// session, or a principal disabled since.
    /// </summary>
    public async Task<AuthenticatedPrincipal> AuthenticateSessionAsync(string sessionToken, CancellationToken cancellationToken = default)
    {
        var found = IsSessionTokenShaped(sessionToken)
            ? await Store.GetSessionByTokenHashAsync(TokenHash(sessionToken), cancellationToken).ConfigureAwait(false)
            : null;
        return await AliveAsync(found, cancellationToken).ConfigureAwait(false)
            ?? throw new StorageException(ErrorCode.SessionInvalid, "The session is unknown, ended, or timed out (15 minutes idle, 8 hours at most): sign in again.");
    }

    /// <summary>
    /// The principal of session <paramref name="sessionId"/> when it is alive now (data-plane use
    /// of a grant counts as activity and touches it), else null.
    /// </summary>
    public async Task<AuthenticatedPrincipal?> TouchSessionAsync(string sessionId, CancellationToken cancellationToken = default)
    {
        if (string.IsNullOrEmpty(sessionId))
        {
            return null;
        }

        return await AliveAsync(await Store.GetSessionAsync(sessionId, cancellationToken).ConfigureAwait(false), cancellationToken).ConfigureAwait(false);
    }

    /// <summary>
    /// False for a tenant administrator of an account that is gone, or was deleted and created
    /// again since the administrator was (another tenant of the same name, which it does not
    /// administer). Operators belong to no account.
    /// </summary>
    private async Task<bool> OfCurrentAccountAsync(PrincipalRecord principal, CancellationToken cancellationToken) =>
        principal.Kind == PrincipalKind.Operator
        || (await store.GetAccountAsync(principal.Account, cancellationToken).ConfigureAwait(false) is { } account && account.CreatedOn <= principal.CreatedOn);

    /// <summary>True while <paramref name="principal"/> is locked out after too many failed sign-ins.</summary>
    public bool IsLocked(PrincipalRecord principal) => principal.LockedUntil is { } until && until > time.GetUtcNow();

    /// <summary>The SHA-256 of a session token: all the store keeps.</summary>
    internal static byte[] TokenHash(string token) => SHA256.HashData(Encoding.UTF8.GetBytes(token));

    private async Task<AuthenticatedPrincipal?> AliveAsync((SessionRecord Session, PrincipalRecord? Principal)? found, CancellationToken cancellationToken)
    {
        if (found is not { } pair || pair.Principal is not { } principal)
        {
            return null;
        }

        var session = pair.Session;
        var now = time.GetUtcNow();
        if (session.Ended || principal.Disabled || now - session.LastSeenOn >= Limits.SessionIdleTimeout || now - session.CreatedOn >= Limits.SessionLifetimeMax
            || !await OfCurrentAccountAsync(principal, cancellationToken).ConfigureAwait(false))
        {
            return null;
        }

        if (now - session.LastSeenOn >= TouchInterval)
        {
            await Store.TouchSessionAsync(session.Id, now, cancellationToken).ConfigureAwait(false);
        }

        return new AuthenticatedPrincipal(session.Kind, session.Account, session.Name, principal.Role, session.Id);
    }

    private async Task<EnrolledPrincipal> EnrollAsync(
        AuthenticatedPrincipal? caller,
        PrincipalKind kind,
        string account,
        string name,
        OperatorRole? role,
        string password,
        bool onlyWhileNoOperator,
        string log,
        string action,
        IReadOnlyList<KeyValuePair<string, string>> details,
        CancellationToken cancellationToken)
    {
        var passwordHash = PasswordHash.Hash(password, random);
        var seed = Totp.NewSeed(random);
        try
        {
            var principal = new PrincipalRecord(
                kind,
                account,
                name,
                role,
                passwordHash,
                keys.WrapTotpSeed(kind, account, name, seed),
                TotpLastStep: 0,
                FailedLogins: 0,
                LockedUntil: null,
                Disabled: false,
                time.GetUtcNow());
            var entry = Entry(log, action, ResourceOf(kind, account, name), AuditOutcomes.Success, details, caller?.Actor);
            await Store.CreatePrincipalAsync(principal, onlyWhileNoOperator, entry, cancellationToken).ConfigureAwait(false);
            var secret = Totp.Base32(seed);
            return new EnrolledPrincipal(principal, secret, Totp.OtpAuthUri(audit.DeploymentId, principal.Id, secret));
        }
        finally
        {
            CryptographicOperations.ZeroMemory(seed);
        }
    }

    private async Task RecordLoginFailureAsync(PrincipalKind kind, string account, string name, ErrorCode outcome, PrincipalRecord? principal, CancellationToken cancellationToken)
    {
        StrongroomMetrics.RecordLoginFailure(operatorKind: kind != PrincipalKind.TenantAdmin);

        // The name as given (only when it is a valid name: what is recorded stays bounded and
        // printable); never the password or the code.
        var shownName = PrincipalIds.IsValidName(name) ? name : "(invalid name)";
        var knownAccount = kind == PrincipalKind.TenantAdmin && Names.IsValidAccountName(account)
            && await store.GetAccountAsync(account, cancellationToken).ConfigureAwait(false) is not null;
        var shownAccount = kind == PrincipalKind.Operator ? PrincipalIds.NoAccount : Names.IsValidAccountName(account) ? account : "(invalid account)";
        var details = new List<KeyValuePair<string, string>>();
        if (principal is not null)
        {
            details.Add(Detail("failedLogins", principal.FailedLogins.ToString(System.Globalization.CultureInfo.InvariantCulture)));
            if (principal.LockedUntil is { } until)
            {
                details.Add(Detail("lockedUntil", until.ToString("yyyy-MM-ddTHH:mm:ssZ", System.Globalization.CultureInfo.InvariantCulture)));
            }
        }

        // A tenant administrator's failure goes to its account's log; one naming no existing account to the platform's.
        var log = kind == PrincipalKind.TenantAdmin && knownAccount ? account : AuditLogs.Platform;
        var entry = Entry(log, AuditActions.Login, ResourceOf(kind == PrincipalKind.TenantAdmin ? PrincipalKind.TenantAdmin : PrincipalKind.Operator, shownAccount, shownName), outcome.ToString(), details, PrincipalIds.ActorOf(kind == PrincipalKind.TenantAdmin ? PrincipalKind.TenantAdmin : PrincipalKind.Operator, shownAccount, shownName));
        await audit.RecordAsync(entry, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>An entry attributed to <paramref name="actor"/> (null: whoever the operation context names, e.g. the host).</summary>
    private AuditAppend Entry(string log, string action, string resource, string outcome, IReadOnlyList<KeyValuePair<string, string>> details, Actor? actor)
    {
        if (actor is null)
        {
            return audit.Entry(log, action, resource, outcome, details);
        }

        using (OperationContext.Begin(OperationContext.Current with { Actor = actor }))
        {
            return audit.Entry(log, action, resource, outcome, details);
        }
    }

    private string NewSessionToken()
    {
        Span<byte> bytes = stackalloc byte[SessionTokenRandomBytes];
        random.Fill(bytes);
        try
        {
            return SessionTokenPrefix + Base64Url.EncodeToString(bytes);
        }
        finally
        {
            CryptographicOperations.ZeroMemory(bytes);
        }
    }

    private static bool IsSessionTokenShaped(string? token) =>
        token is not null && token.Length <= 128 && token.StartsWith(SessionTokenPrefix, StringComparison.Ordinal);

    private static string LogOf(PrincipalKind kind, string account) => kind == PrincipalKind.Operator ? AuditLogs.Platform : account;

    private static string ResourceOf(PrincipalKind kind, string account, string name) =>
        kind == PrincipalKind.Operator ? OperatorResource(name) : TenantAdminResource(account, name);

    private static string OperatorResource(string name) => $"operator:{name}";

    private static string TenantAdminResource(string account, string name) => $"tenant-admin:{account}/{name}";

    private static KeyValuePair<string, string> Detail(string key, string value) => new(key, value);

    private static StorageException NotTheFirstOperator() =>
        new(ErrorCode.RoleNotPermitted, "The deployment already has an operator: further operators are created through the management plane by a security admin (`strongroom operator create NAME --role R --session FILE`).");

    private static void RequireValidName(string? name)
    {
        if (!PrincipalIds.IsValidName(name))
        {
            throw new StorageException(ErrorCode.InvalidAccessRequest, $"'{name}' is not a valid name: 3 to 32 characters, lowercase letters, digits, '-', '.' and '_', starting with a letter.");
        }
    }

    private static void RequireValidAccount(string? account)
    {
        if (account is null || !Names.IsValidAccountName(account))
        {
            throw new StorageException(ErrorCode.InvalidAccessRequest, $"'{account}' is not a valid account name.");
        }
    }

    /// <summary>
    /// The password rules (MLPS 2.0 identification: complexity): <see cref="Limits.PasswordCharsMin"/>
    /// to <see cref="Limits.PasswordCharsMax"/> characters and at least three of lowercase,
    /// uppercase, digits and other characters. The message never repeats the password.
    /// </summary>
    public static void RequireValidPassword(string? password)
    {
        if (password is null || password.Length < Limits.PasswordCharsMin || password.Length > Limits.PasswordCharsMax)
        {
            throw new StorageException(ErrorCode.InvalidAccessRequest, $"A password has {Limits.PasswordCharsMin} to {Limits.PasswordCharsMax} characters.");
        }

        int lower = 0, upper = 0, digit = 0, other = 0;
        foreach (var c in password)
        {
            if (char.IsLower(c))
            {
                lower = 1;
            }
            else if (char.IsUpper(c))
            {
                upper = 1;
            }
            else if (char.IsDigit(c))
            {
                digit = 1;
            }
            else
            {
                other = 1;
            }
        }

        if (lower + upper + digit + other < 3)
        {
            throw new StorageException(ErrorCode.InvalidAccessRequest, "A password mixes at least three of: lowercase letters, uppercase letters, digits, other characters.");
        }
    }
}
