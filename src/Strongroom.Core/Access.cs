namespace Strongroom.Core;

/// <summary>
/// The three separated operator duties (MLPS 2.0 level 3, 8.1.5: system, security and audit
/// administrators). An operator holds exactly one; none of them reads customer data — that takes a
/// lockbox grant the tenant approved.
/// </summary>
public enum OperatorRole
{
    /// <summary>Sites, accounts and the service itself.</summary>
    SystemAdmin = 1,

    /// <summary>Approvals (lockbox, transfers), key policy, operators.</summary>
    SecurityAdmin = 2,

    /// <summary>The platform log and compliance evidence; changes nothing.</summary>
    AuditAdmin = 3,
}

/// <summary>Who signs in to the management plane.</summary>
public enum PrincipalKind
{
    /// <summary>A platform operator (one <see cref="OperatorRole"/>).</summary>
    Operator = 0,

    /// <summary>An administrator of one account (tenant): approves or denies requests, revokes grants, reads the account's log and locations.</summary>
    TenantAdmin = 1,
}

/// <summary>
/// A principal of the management plane as the store keeps it. The password is an Argon2id PHC
/// string; the TOTP seed is stored only wrapped (<see cref="WrappedTotpSeed"/>) under a key derived
/// from the keyring, so the store never holds it in the clear. <see cref="TotpLastStep"/> is the
/// last time step whose code was accepted: a code is accepted once.
/// </summary>
public sealed record PrincipalRecord(
    PrincipalKind Kind,
    string Account,
    string Name,
    OperatorRole? Role,
    string PasswordHash,
    byte[] WrappedTotpSeed,
    long TotpLastStep,
    int FailedLogins,
    DateTimeOffset? LockedUntil,
    bool Disabled,
    DateTimeOffset CreatedOn)
{
    /// <summary>The id logs and requests use: an operator's name, or <c>account/name</c> for a tenant administrator.</summary>
    public string Id => PrincipalIds.Of(Kind, Account, Name);

    /// <summary>
    /// How the principal proves a second factor at sign-in (issue 10): TOTP unless created with the
    /// explicit, recorded opt-out, in which case <see cref="WrappedTotpSeed"/> is empty.
    /// </summary>
    public SecondFactor SecondFactor { get; init; } = SecondFactor.Totp;
}

/// <summary>
/// A principal's second factor at sign-in. <see cref="None"/> weakens sign-in to the password
/// alone (MLPS 2.0 8.1.4.1d asks for two factors): only by an explicit opt-out at creation, recorded
/// in the log, and named by the compliance report.
/// </summary>
public enum SecondFactor
{
    Totp = 0,
    None = 1,
}

/// <summary>The stored and wire names of <see cref="SecondFactor"/>: <c>totp</c>, <c>none</c>.</summary>
public static class SecondFactors
{
    public static string Name(SecondFactor factor) => factor switch
    {
        SecondFactor.Totp => "totp",
        SecondFactor.None => "none",
        _ => throw new ArgumentOutOfRangeException(nameof(factor)),
    };

    public static bool TryParse(string? text, out SecondFactor factor)
    {
        switch (text)
        {
            case "totp":
                factor = SecondFactor.Totp;
                return true;
            case "none":
                factor = SecondFactor.None;
                return true;
            default:
                factor = SecondFactor.Totp;
                return false;
        }
    }
}

/// <summary>Principal ids: <c>name</c> for operators, <c>account/name</c> for tenant administrators.</summary>
public static class PrincipalIds
{
    /// <summary>The store's account column for operators (they belong to no account).</summary>
    public const string NoAccount = "";

    public static string Of(PrincipalKind kind, string account, string name) =>
        kind == PrincipalKind.Operator ? name : $"{account}/{name}";

    public static Actor ActorOf(PrincipalKind kind, string account, string name) =>
        new(kind == PrincipalKind.Operator ? ActorKind.Operator : ActorKind.TenantAdmin, Of(kind, account, name));

    /// <summary>Operator and tenant administrator names: 3 to 32 characters, lowercase letters, digits, '-', '.' and '_', starting with a letter.</summary>
    public static bool IsValidName(string? name)
    {
        if (name is null || name.Length is < 3 or > 32 || name[0] is < 'a' or > 'z')
        {
            return false;
        }

        foreach (var c in name)
        {
            if (c is not ((>= 'a' and <= 'z') or (>= '0' and <= '9') or '-' or '.' or '_'))
            {
                return false;
            }
        }

        return true;
    }

    private static readonly NameTable<OperatorRole> Roles = new(
        (OperatorRole.SystemAdmin, "system-admin"),
        (OperatorRole.SecurityAdmin, "security-admin"),
        (OperatorRole.AuditAdmin, "audit-admin"));

    public static string RoleName(OperatorRole role) => Roles.Name(role);

    public static bool TryParseRole(string? name, out OperatorRole role) => Roles.TryParse(name, out role);
}

/// <summary>
/// A management-plane session. Only the SHA-256 of its token is stored; it ends on logout, after
/// <see cref="Limits.SessionIdleTimeout"/> without use, and at <see cref="Limits.SessionLifetimeMax"/> after sign-in.
/// </summary>
public sealed record SessionRecord(
    string Id,
    byte[] TokenHash,
    PrincipalKind Kind,
    string Account,
    string Name,
    DateTimeOffset CreatedOn,
    DateTimeOffset LastSeenOn,
    bool Ended)
{
    public string PrincipalId => PrincipalIds.Of(Kind, Account, Name);
}

/// <summary>What a lockbox grant lets an operator see.</summary>
public enum LockboxAccess
{
    /// <summary>Listings, properties and metadata; never blob content.</summary>
    Metadata = 1,

    /// <summary>Also blob content (Get Blob).</summary>
    ReadData = 2,
}

/// <summary>
/// A lockbox request's life: Requested → Approved | Denied | Expired → Active → Ended | Revoked.
/// Approved needs a tenant administrator of the account and a security admin who is not the
/// requester; a request neither approved nor denied within its pending lifetime (or approved and
/// never activated) expires. Active starts the clock of its duration.
/// </summary>
public enum LockboxState
{
    Requested = 0,
    Approved = 1,
    Denied = 2,
    Expired = 3,
    Active = 4,
    Ended = 5,
    Revoked = 6,
}

/// <summary>A lockbox request and, once approved, its grant.</summary>
public sealed record LockboxRequestRecord(
    string Id,
    string Account,
    string Container,
    string? Prefix,
    LockboxAccess Access,
    TimeSpan Duration,
    string Justification,
    string Requester,
    LockboxState State,
    DateTimeOffset RequestedOn,
    DateTimeOffset PendingExpiresOn,
    string? TenantApprover,
    DateTimeOffset? TenantApprovedOn,
    string? SecurityApprover,
    DateTimeOffset? SecurityApprovedOn,
    string? DecidedBy,
    DateTimeOffset? DecidedOn,
    DateTimeOffset? ActivatedOn,
    DateTimeOffset? EndsOn,
    string? EndedBy,
    DateTimeOffset? EndedOn);

/// <summary>The legal route a cross-border transfer takes (PIPL art. 38; CSL art. 37).</summary>
public enum TransferLegalBasis
{
    SecurityAssessment = 1,
    StandardContract = 2,
    Certification = 3,
}

/// <summary>A transfer's life: Requested → Approved | Denied | Expired → Completed (once every object in scope has its copy at the destination).</summary>
public enum TransferState
{
    Requested = 0,
    Approved = 1,
    Denied = 2,
    Expired = 3,
    Completed = 4,
}

/// <summary>A cross-border transfer: exactly this data (container, optional prefix) to exactly this site, on this legal basis.</summary>
public sealed record TransferRecord(
    string Id,
    string Account,
    string Container,
    string? Prefix,
    string DestinationSiteId,
    TransferLegalBasis LegalBasis,
    string LegalReference,
    string Purpose,
    string Requester,
    TransferState State,
    DateTimeOffset RequestedOn,
    DateTimeOffset PendingExpiresOn,
    string? TenantApprover,
    DateTimeOffset? TenantApprovedOn,
    string? SecurityApprover,
    DateTimeOffset? SecurityApprovedOn,
    string? DecidedBy,
    DateTimeOffset? DecidedOn,
    DateTimeOffset? CompletedOn,
    long ObjectsCopied,
    long BytesCopied);

public static class AccessNames
{
    private static readonly NameTable<LockboxAccess> Accesses = new(
        (LockboxAccess.Metadata, "metadata"),
        (LockboxAccess.ReadData, "read-data"));

    private static readonly NameTable<TransferLegalBasis> LegalBases = new(
        (TransferLegalBasis.SecurityAssessment, "security-assessment"),
        (TransferLegalBasis.StandardContract, "standard-contract"),
        (TransferLegalBasis.Certification, "certification"));

    public static string AccessName(LockboxAccess access) => Accesses.Name(access);

    public static bool TryParseAccess(string? name, out LockboxAccess access) => Accesses.TryParse(name, out access);

    public static string StateName(LockboxState state) => state.ToString().ToLowerInvariant();

    public static string StateName(TransferState state) => state.ToString().ToLowerInvariant();

    public static string LegalBasisName(TransferLegalBasis basis) => LegalBases.Name(basis);

    public static bool TryParseLegalBasis(string? name, out TransferLegalBasis basis) => LegalBases.TryParse(name, out basis);
}

/// <summary>
/// An active lockbox grant as the data plane sees it after validating a grant token: who holds it,
/// where it reaches, what it allows, until when, and why (the justification goes into every entry
/// of a read made under it).
/// </summary>
public sealed record OperatorGrant(
    string GrantId,
    string Account,
    string Operator,
    string Container,
    string? Prefix,
    LockboxAccess Access,
    DateTimeOffset EndsOn,
    string Justification);

/// <summary>
/// Validates a lockbox grant token presented on the data plane (<c>Authorization: Bearer …</c>).
/// Implemented by the lockbox service; the protocol layer sees only this.
/// </summary>
public interface IOperatorGrantValidator
{
    /// <summary>True when <paramref name="token"/> has the shape of a grant token (the protocol layer tells grant tokens from other bearer tokens).</summary>
    bool IsGrantToken(string token);

    /// <summary>
    /// The grant the token carries, checked against the store now: signature, state Active, not past
    /// its end, its session alive and held by the requesting operator. Throws
    /// <see cref="StorageException"/>: <see cref="ErrorCode.GrantTokenInvalid"/> for a token that
    /// does not verify, <see cref="ErrorCode.GrantNotActive"/> for anything else.
    /// </summary>
    Task<OperatorGrant> ValidateAsync(string token, CancellationToken cancellationToken = default);
}

/// <summary>
/// Which data-plane operations a lockbox grant allows, where (pure; the Blob protocol layer calls
/// it before dispatch). A grant reads and never writes: metadata reads (listings, properties,
/// metadata, block lists, tags, page ranges, the container's ACL, account information asked of the
/// container) under either access, content reads (Get Blob, Query Blob Contents) only under
/// <see cref="LockboxAccess.ReadData"/>. Everything outside one container of one account is
/// refused, account-level operations included (List Containers, service properties, Find Blobs
/// by Tags): they reach beyond a container scope.
/// </summary>
public static class GrantScope
{
    /// <summary>
    /// Null when <paramref name="grant"/> allows <paramref name="operation"/> on the target, else
    /// the refusal: <see cref="ErrorCode.GrantScopeMismatch"/> for a write, a content read under a
    /// metadata grant, another account or container, a blob outside the prefix (compared on the
    /// name the service will act on; a name with a <c>.</c> or <c>..</c> segment is refused outright), or a
    /// listing whose prefix does not start with the grant's.
    /// </summary>
    public static ErrorCode? Check(OperatorGrant grant, BlobOperation operation, string account, string? container, string? blob, string? listPrefix)
    {
        ArgumentNullException.ThrowIfNull(grant);
        var kind = KindOf(operation);
        if (kind == ReadKind.None || (kind == ReadKind.Content && grant.Access != LockboxAccess.ReadData))
        {
            return ErrorCode.GrantScopeMismatch;
        }

        if (!string.Equals(account, grant.Account, StringComparison.Ordinal)
            || container is null
            || !string.Equals(container, grant.Container, StringComparison.Ordinal))
        {
            return ErrorCode.GrantScopeMismatch;
        }

        if (blob is not null)
        {
            return InsidePrefix(grant.Prefix, blob, complete: true) ? null : ErrorCode.GrantScopeMismatch;
        }

        if (operation == BlobOperation.ListBlobs)
        {
            // An empty prefix parameter lists everything, as none does.
            var prefix = string.IsNullOrEmpty(listPrefix) ? string.Empty : listPrefix;
            return InsidePrefix(grant.Prefix, prefix, complete: false) ? null : ErrorCode.GrantScopeMismatch;
        }

        // The container's own properties, metadata and ACL belong to the granted container (a
        // prefix narrows which blobs, not which container). A blob operation always names a blob.
        return operation is BlobOperation.GetContainerProperties or BlobOperation.GetContainerMetadata
            or BlobOperation.GetContainerAcl or BlobOperation.GetAccountInformation
            ? null
            : ErrorCode.GrantScopeMismatch;
    }

    /// <summary>What a read reveals: nothing (a write or an operation outside container scope), metadata, or content.</summary>
    public static ReadKind KindOf(BlobOperation operation) => operation switch
    {
        BlobOperation.GetContainerProperties or BlobOperation.GetContainerMetadata or BlobOperation.GetContainerAcl
            or BlobOperation.ListBlobs or BlobOperation.GetAccountInformation
            or BlobOperation.GetBlockList or BlobOperation.GetBlobProperties or BlobOperation.GetBlobMetadata
            or BlobOperation.GetBlobTags or BlobOperation.GetPageRanges => ReadKind.Metadata,
        BlobOperation.GetBlob or BlobOperation.QueryBlobContents => ReadKind.Content,
        _ => ReadKind.None,
    };

    /// <summary>
    /// True when <paramref name="name"/> starts with <paramref name="prefix"/> (ordinal, as Azure
    /// compares names; no prefix: the whole container) and has no <c>.</c> or <c>..</c> segment
    /// that a path-minded client or site could resolve out of it. For a listing prefix
    /// (<paramref name="complete"/> false) its last segment is still being typed, so only the
    /// segments a '/' closes are checked.
    /// </summary>
    private static bool InsidePrefix(string? prefix, string name, bool complete)
    {
        if (HasDotSegment(name, complete))
        {
            return false;
        }

        return string.IsNullOrEmpty(prefix) || name.StartsWith(prefix, StringComparison.Ordinal);
    }

    private static bool HasDotSegment(string name, bool complete)
    {
        var start = 0;
        for (var i = 0; i <= name.Length; i++)
        {
            var end = i == name.Length;
            if (!end && name[i] is not ('/' or '\\'))
            {
                continue;
            }

            if (end && !complete)
            {
                break;
            }

            var segment = name.AsSpan(start, i - start);
            if (segment is "." or "..")
            {
                return true;
            }

            start = i + 1;
        }

        return false;
    }
}

/// <summary>What a data-plane operation reads, for <see cref="GrantScope"/>.</summary>
public enum ReadKind
{
    /// <summary>Not a read inside a container: a write, or an operation on the account or service.</summary>
    None = 0,

    /// <summary>Names, properties, metadata, block lists: never blob content.</summary>
    Metadata = 1,

    /// <summary>Blob content.</summary>
    Content = 2,
}
