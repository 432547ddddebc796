using System.Data.Common;
using Strongroom.Core;

namespace Strongroom.Storage;

/// <summary>
/// Principals and sessions (migration 8; see <see cref="IIdentityStore"/>). Every change goes
/// through the group-commit writer, which runs one write at a time: a read-then-update inside one
/// write is a compare-and-swap, and its audit entry commits in the same savepoint.
/// </summary>
public sealed partial class SqlMetadataStore : IIdentityStore
{
    private const string PrincipalColumns =
        "kind, account, name, role, password_hash, totp_seed, totp_last_step, failed_logins, locked_until, disabled, created_on, second_factor";

    private const string SessionColumns = "id, token_hash, kind, account, name, created_on, last_seen_on, ended";

    public Task CreatePrincipalAsync(PrincipalRecord principal, bool onlyWhileNoOperator, AuditAppend? audit = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(principal);
        ArgumentException.ThrowIfNullOrEmpty(principal.Name);
        ArgumentException.ThrowIfNullOrEmpty(principal.PasswordHash);
        Invariant.True(
            principal.Kind == PrincipalKind.Operator ? principal.Account.Length == 0 && principal.Role is not null : principal.Account.Length > 0 && principal.Role is null,
            "an operator has a role and no account; a tenant administrator an account and no role");
        Invariant.True(
            principal.SecondFactor == SecondFactor.None ? principal.WrappedTotpSeed.Length == 0 : principal.WrappedTotpSeed.Length > 0,
            "a principal has a TOTP seed exactly when its second factor is TOTP");
        return WriteAsync(
            tx =>
            {
                if (onlyWhileNoOperator && AnyOperator(tx))
                {
                    throw new StorageException(ErrorCode.RoleNotPermitted, "The deployment already has an operator: further operators are created through the management plane by a security admin (`strongroom operator create NAME --role R --session FILE`).");
                }

                if (principal.Kind == PrincipalKind.TenantAdmin && tx.Scalar("SELECT 1 FROM accounts WHERE name = @name", ("@name", principal.Account)) is null)
                {
                    throw new StorageException(ErrorCode.AccountNotFound);
                }

                if (ReadPrincipal(tx, principal.Kind, principal.Account, principal.Name) is not null)
                {
                    throw new StorageException(ErrorCode.PrincipalAlreadyExists, $"Principal '{principal.Id}' already exists.");
                }

                tx.Execute(
                    $"INSERT INTO principals ({PrincipalColumns}) VALUES (@kind, @account, @name, @role, @password_hash, @totp_seed, @totp_last_step, @failed_logins, @locked_until, @disabled, @created_on, @second_factor)",
                    ("@kind", (int)principal.Kind),
                    ("@account", principal.Account),
                    ("@name", principal.Name),
                    ("@role", principal.Role is { } role ? (int)role : null),
                    ("@password_hash", principal.PasswordHash),
                    ("@totp_seed", principal.WrappedTotpSeed),
                    ("@totp_last_step", principal.TotpLastStep),
                    ("@failed_logins", (long)principal.FailedLogins),
                    ("@locked_until", principal.LockedUntil is { } locked ? ToTicks(locked) : null),
                    ("@disabled", principal.Disabled ? 1 : 0),
                    ("@created_on", ToTicks(principal.CreatedOn)),
                    ("@second_factor", SecondFactors.Name(principal.SecondFactor)));
                return true;
            },
            audit,
            cancellationToken);
    }

    public Task<PrincipalRecord?> GetPrincipalAsync(PrincipalKind kind, string account, string name, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(account);
        ArgumentException.ThrowIfNullOrEmpty(name);
        return ReadAsync(tx => ReadPrincipal(tx, kind, account, name), cancellationToken);
    }

    public Task<IReadOnlyList<PrincipalRecord>> ListPrincipalsAsync(PrincipalKind kind, string account, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(account);
        return ReadAsync<IReadOnlyList<PrincipalRecord>>(
            tx =>
            {
                var principals = new List<PrincipalRecord>();
                using var reader = tx.Query(
                    $"SELECT {PrincipalColumns} FROM principals WHERE kind = @kind AND account = @account ORDER BY name",
                    ("@kind", (int)kind),
                    ("@account", account));
                while (reader.Read())
                {
                    principals.Add(ReadPrincipalRow(reader));
                }

                return principals;
            },
            cancellationToken);
    }

    public Task<bool> AnyOperatorAsync(CancellationToken cancellationToken = default) => ReadAsync(AnyOperator, cancellationToken);

    public async Task<PrincipalRecord> DisablePrincipalAsync(PrincipalKind kind, string account, string name, bool keepOneSecurityAdmin, AuditAppend? audit = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(account);
        ArgumentException.ThrowIfNullOrEmpty(name);
        var disabled = await WriteAsync(
            tx =>
            {
                var principal = ReadPrincipal(tx, kind, account, name) ?? throw new StorageException(ErrorCode.PrincipalNotFound, $"No principal '{PrincipalIds.Of(kind, account, name)}'.");
                if (principal.Disabled)
                {
                    return null;
                }

                if (keepOneSecurityAdmin && principal.Kind == PrincipalKind.Operator && principal.Role == OperatorRole.SecurityAdmin
                    && (long)tx.Scalar("SELECT COUNT(*) FROM principals WHERE kind = 0 AND role = @role AND disabled = 0", ("@role", (int)OperatorRole.SecurityAdmin))! <= 1)
                {
                    throw new StorageException(ErrorCode.InvalidAccessState, $"'{name}' is the last enabled security admin: create another before disabling it.");
                }

                tx.Execute(
                    "UPDATE principals SET disabled = 1 WHERE kind = @kind AND account = @account AND name = @name",
                    ("@kind", (int)kind),
                    ("@account", account),
                    ("@name", name));
                tx.Execute(
                    "UPDATE sessions SET ended = 1 WHERE kind = @kind AND account = @account AND name = @name AND ended = 0",
                    ("@kind", (int)kind),
                    ("@account", account),
                    ("@name", name));
                return principal with { Disabled = true };
            },
            audit,
            cancellationToken).ConfigureAwait(false);

        // Null: it was disabled already (nothing changed, nothing appended).
        return disabled ?? (await GetPrincipalAsync(kind, account, name, cancellationToken).ConfigureAwait(false))!;
    }

    public Task<LoginAttempt?> BeginLoginAttemptAsync(PrincipalKind kind, string account, string name, DateTimeOffset now, int failuresMax, TimeSpan lockout, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(account);
        ArgumentException.ThrowIfNullOrEmpty(name);
        ArgumentOutOfRangeException.ThrowIfLessThan(failuresMax, 1);
        return WriteAsync(
            tx =>
            {
                var principal = ReadPrincipal(tx, kind, account, name);
                if (principal is null)
                {
                    return null;
                }

                if (principal.LockedUntil is { } until && until > now)
                {
                    return new LoginAttempt(principal, Locked: true);
                }

                // A lock that has run out starts the count again.
                var failures = (principal.LockedUntil is null ? principal.FailedLogins : 0) + 1;
                DateTimeOffset? lockedUntil = failures >= failuresMax ? now + lockout : null;
                tx.Execute(
                    "UPDATE principals SET failed_logins = @failed_logins, locked_until = @locked_until WHERE kind = @kind AND account = @account AND name = @name",
                    ("@kind", (int)kind),
                    ("@account", account),
                    ("@name", name),
                    ("@failed_logins", (long)failures),
                    ("@locked_until", lockedUntil is { } locked ? ToTicks(locked) : null));
                return new LoginAttempt(principal with { FailedLogins = failures, LockedUntil = lockedUntil }, Locked: false);
            },
            cancellationToken);
    }

    public async Task<bool> CompleteLoginAsync(PrincipalKind kind, string account, string name, long totpStep, SessionRecord session, AuditAppend? audit = null, string? newPasswordHash = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(account);
        ArgumentException.ThrowIfNullOrEmpty(name);
        ArgumentNullException.ThrowIfNull(session);
        Invariant.True(session.Kind == kind && session.Account == account && session.Name == name, "a session belongs to the principal signing in");
        Invariant.True(session.TokenHash.Length == 32, "a session is stored by the SHA-256 of its token");
        var completed = await WriteAsync<object?>(
            tx =>
            {
                var changed = tx.Execute(
                    "UPDATE principals SET failed_logins = 0, locked_until = NULL, totp_last_step = @step, password_hash = COALESCE(@password_hash, password_hash) " +
                    "WHERE kind = @kind AND account = @account AND name = @name AND totp_last_step < @step AND disabled = 0",
                    ("@kind", (int)kind),
                    ("@account", account),
                    ("@name", name),
                    ("@step", totpStep),
                    ("@password_hash", newPasswordHash));
                if (changed == 0)
                {
                    return null;
                }

                tx.Execute(
                    $"INSERT INTO sessions ({SessionColumns}) VALUES (@id, @token_hash, @kind, @account, @name, @created_on, @last_seen_on, 0)",
                    ("@id", session.Id),
                    ("@token_hash", session.TokenHash),
                    ("@kind", (int)kind),
                    ("@account", account),
                    ("@name", name),
                    ("@created_on", ToTicks(session.CreatedOn)),
                    ("@last_seen_on", ToTicks(session.LastSeenOn)));
                return true;
            },
            audit,
            cancellationToken).ConfigureAwait(false);
        return completed is not null;
    }

    public Task<(SessionRecord Session, PrincipalRecord? Principal)?> GetSessionByTokenHashAsync(byte[] tokenHash, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(tokenHash);
        return ReadAsync(tx => ReadSession(tx, "token_hash = @key", tokenHash), cancellationToken);
    }

    public Task<(SessionRecord Session, PrincipalRecord? Principal)?> GetSessionAsync(string sessionId, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(sessionId);
        return ReadAsync(tx => ReadSession(tx, "id = @key", sessionId), cancellationToken);
    }

    public Task TouchSessionAsync(string sessionId, DateTimeOffset lastSeenOn, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(sessionId);
        return WriteAsync(
            tx => tx.Execute(
                "UPDATE sessions SET last_seen_on = @now WHERE id = @id AND ended = 0 AND last_seen_on < @now",
                ("@id", sessionId),
                ("@now", ToTicks(lastSeenOn))),
            cancellationToken);
    }

    public async Task<bool> EndSessionAsync(string sessionId, AuditAppend? audit = null, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(sessionId);
        var ended = await WriteAsync<object?>(
            tx => tx.Execute("UPDATE sessions SET ended = 1 WHERE id = @id AND ended = 0", ("@id", sessionId)) == 0 ? null : true,
            audit,
            cancellationToken).ConfigureAwait(false);
        return ended is not null;
    }

    private static bool AnyOperator(Transaction tx) => tx.Scalar("SELECT 1 FROM principals WHERE kind = 0 LIMIT 1") is not null;

    private static PrincipalRecord? ReadPrincipal(Transaction tx, PrincipalKind kind, string account, string name)
    {
        using var reader = tx.Query(
            $"SELECT {PrincipalColumns} FROM principals WHERE kind = @kind AND account = @account AND name = @name",
            ("@kind", (int)kind),
            ("@account", account),
            ("@name", name));
        return reader.Read() ? ReadPrincipalRow(reader) : null;
    }

    private static PrincipalRecord ReadPrincipalRow(DbDataReader reader)
    {
        var kind = (PrincipalKind)reader.GetInt64(0);
        Invariant.True(Enum.IsDefined(kind), "a principal's kind is one this build knows");
        OperatorRole? role = reader.IsDBNull(3) ? null : (OperatorRole)reader.GetInt64(3);
        Invariant.True(role is null || Enum.IsDefined(role.Value), "a principal's role is one this build knows");
        Invariant.True(SecondFactors.TryParse(reader.GetString(11), out var secondFactor), "a principal's second factor is one this build knows");
        return new PrincipalRecord(
            kind,
            reader.GetString(1),
            reader.GetString(2),
            role,
            reader.GetString(4),
            reader.GetFieldValue<byte[]>(5),
            reader.GetInt64(6),
            (int)reader.GetInt64(7),
            reader.IsDBNull(8) ? null : FromTicks(reader.GetInt64(8)),
            reader.GetInt64(9) != 0,
            FromTicks(reader.GetInt64(10)))
        {
            SecondFactor = secondFactor,
        };
    }

    private static (SessionRecord Session, PrincipalRecord? Principal)? ReadSession(Transaction tx, string where, object key)
    {
        SessionRecord session;
        using (var reader = tx.Query($"SELECT {SessionColumns} FROM sessions WHERE {where}", ("@key", key)))
        {
            if (!reader.Read())
            {
                return null;
            }

            session = new SessionRecord(
                reader.GetString(0),
                reader.GetFieldValue<byte[]>(1),
                (PrincipalKind)reader.GetInt64(2),
                reader.GetString(3),
                reader.GetString(4),
                FromTicks(reader.GetInt64(5)),
                FromTicks(reader.GetInt64(6)),
                reader.GetInt64(7) != 0);
        }

        return (session, ReadPrincipal(tx, session.Kind, session.Account, session.Name));
    }
}
