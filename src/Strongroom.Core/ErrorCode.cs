namespace Strongroom.Core;

/// <summary>
/// Operating errors of the service layer. Each protocol maps them to its own status and code
/// in exactly one place (for the Blob API: Strongroom.Protocol.Blob.ErrorMapping).
/// </summary>
public enum ErrorCode
{
    AccountNotFound,
    AccountAlreadyExists,
    AccountDisabled,
    ContainerNotFound,
    ContainerAlreadyExists,
    ContainerBeingDeleted,
    BlobNotFound,
    BlobAlreadyExists,
    InvalidResourceName,
    InvalidMetadata,
    MetadataTooLarge,
    InvalidBlockId,
    InvalidBlockList,
    BlockCountExceedsLimit,
    BlockListTooLong,
    RequestBodyTooLarge,
    Md5Mismatch,
    Crc64Mismatch,
    InvalidRange,
    ConditionNotMet,
    NotModified,
    InvalidBlobType,
    IntegrityCheckFailed,
    UnsatisfiableCondition,
    InvalidBlobOrBlock,
    InvalidStructuredBody,

    // The vault (issue 3).
    VaultSealed,
    CustomerManagedKeyUnavailable,

    // Encryption scopes and customer-provided keys (issue 3).
    EncryptionScopeNotFound,
    EncryptionScopeAlreadyExists,
    EncryptionScopeDisabled,
    EncryptionScopeForbiddenByContainerPolicy,
    EncryptionScopeCountExceedsLimit,
    BlobUsesCustomerSpecifiedEncryption,
    BlobDoesNotUseCustomerSpecifiedEncryption,
    BlobCustomerSpecifiedEncryptionMismatch,

    // The transparency log (issue 4).
    /// <summary>An entry that must be recorded could not be: the operation fails closed (500 on the wire).</summary>
    AuditLogUnavailable,
    /// <summary>A retention below <see cref="Limits.AuditRetentionDaysMin"/> days, or an unknown logging setting.</summary>
    InvalidAuditSetting,
    AuditLogNotFound,
    /// <summary>An entry range, index or tree size outside the log, or a pruned entry's body.</summary>
    InvalidAuditRange,

    // Datacenters: placement, replication, residency (issue 5).
    /// <summary>A redundancy, residency, region or site spelled wrongly (syntax, unknown name).</summary>
    InvalidPlacementPolicy,
    /// <summary>A well-formed policy the topology cannot satisfy inside the residency; the message says why.</summary>
    PlacementPolicyNotSatisfiable,
    /// <summary>Fewer synchronous copies became durable than the write quorum: nothing was acknowledged (503 ServerBusy).</summary>
    InsufficientSitesAvailable,
    /// <summary>A read on the secondary endpoint of an account that is not RA-GRS / RA-GZRS, or a write there.</summary>
    SecondaryNotAvailable,
    WriteOperationNotSupportedOnSecondary,
    SiteNotFound,
    /// <summary>A site still holds copies (remove needs a completed drain), or a drain cannot place them inside a tenant's residency.</summary>
    SiteNotDrained,
    /// <summary>Failover of an account that has no secondary region (not GRS, RA-GRS, GZRS, RA-GZRS or custom geo).</summary>
    AccountNotGeoRedundant,
    /// <summary>A locations marker this server did not return.</summary>
    InvalidLocationsMarker,

    // Operators, tenant administrators, lockbox and transfers (issue 6).
    /// <summary>Name, password or TOTP code wrong, or the principal disabled: one answer for all, so a caller learns nothing about which.</summary>
    LoginFailed,
    /// <summary>Too many failed sign-ins: the principal is locked until the time in the message.</summary>
    PrincipalLocked,
    /// <summary>A TOTP code already accepted once (a replay).</summary>
    TotpCodeReused,
    /// <summary>No session, an unknown or ended one, or one past its idle or absolute timeout (401).</summary>
    SessionInvalid,
    /// <summary>The signed-in principal's role does not allow the call (403).</summary>
    RoleNotPermitted,
    PrincipalAlreadyExists,
    PrincipalNotFound,
    /// <summary>A principal name, role, password or request field that breaks the rules; the message says which.</summary>
    InvalidAccessRequest,
    LockboxRequestNotFound,
    /// <summary>The requester (or a second approval by the same party) tried to approve: separation of duties.</summary>
    SelfApprovalNotAllowed,
    /// <summary>The request or grant is not in a state that allows the call (already decided, expired, revoked...).</summary>
    InvalidAccessState,
    /// <summary>A data-plane grant token that does not parse or verify (401 InvalidAuthenticationInfo).</summary>
    GrantTokenInvalid,
    /// <summary>A grant that is not active: expired, ended, revoked, or presented by another operator (403 AuthorizationFailure).</summary>
    GrantNotActive,
    /// <summary>An operation, account, container or blob outside the grant's scope (403 AuthorizationPermissionMismatch).</summary>
    GrantScopeMismatch,
    TransferNotFound,
    /// <summary>A copy to a site outside the residency with no approved transfer covering it.</summary>
    TransferNotApproved,

    // Data protection and destruction (issue 7).
    /// <summary>A delete, overwrite or purge of a blob (version) under a legal hold (409 BlobImmutableDueToLegalHold).</summary>
    BlobImmutableDueToLegalHold,
    /// <summary>A delete or purge of a container that has a legal hold, or that holds a blob under one.</summary>
    ContainerImmutableDueToLegalHold,
    /// <summary>A version id or snapshot that does not exist (or is soft-deleted) on the blob.</summary>
    VersionNotFound,
    /// <summary>Restore Container of a version that is not soft-deleted (or already purged).</summary>
    ContainerNotDeleted,
    /// <summary>A deletetype=permanent delete while the account's AllowPermanentDelete is off, or of something not soft-deleted.</summary>
    PermanentDeleteNotAllowed,
    /// <summary>An account that is closed (in its grace period) or destroyed: the data plane refuses it (403 AccountIsDisabled).</summary>
    AccountClosed,
    /// <summary>Close of an account already closed, reopen of an open or destroyed one.</summary>
    InvalidAccountState,
    DestructionNotFound,
    CertificateNotFound,
    /// <summary>A data-protection setting or legal-hold tag outside Azure's rules; the message says which.</summary>
    InvalidDataProtectionSetting,

    // Versions, snapshots and copies (issue 7, helper "versions").
    /// <summary>Delete Blob of a blob that has snapshots, without x-ms-delete-snapshots (409 SnapshotsPresent).</summary>
    SnapshotsPresent,
    /// <summary>A copy source this server cannot read for the request: another account, another server, a bad URL or a missing blob.</summary>
    CannotVerifyCopySource,

    // Issue 8, sas.
    /// <summary>A Set Container ACL body outside Azure's rules (more than five policies, a duplicate or over-long id, an unknown permission letter).</summary>
    InvalidAccessPolicy,
}

/// <summary>An operating error: expected, typed, mapped to a protocol error at the edge.</summary>
public sealed class StorageException(ErrorCode code, string? detail = null, Exception? innerException = null)
    : Exception(detail ?? code.ToString(), innerException)
{
    public ErrorCode Code { get; } = code;
}
