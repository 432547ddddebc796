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

    // Issue 8, leases. (Blob and container variants share a code where Azure's only differs in its message.)
    /// <summary>Acquire or Change against a lease held under another id (409 LeaseAlreadyPresent).</summary>
    LeaseAlreadyPresent,
    /// <summary>Renew, Change or Release naming an id that is not the lease's (409 LeaseIdMismatchWithLeaseOperation).</summary>
    LeaseIdMismatchWithLeaseOperation,
    LeaseIsBreakingAndCannotBeAcquired,
    LeaseIsBreakingAndCannotBeChanged,
    LeaseIsBrokenAndCannotBeRenewed,
    /// <summary>Break or Change when there is no lease (409 LeaseNotPresentWithLeaseOperation).</summary>
    LeaseNotPresentWithLeaseOperation,
    /// <summary>A write or delete of a leased blob or container without x-ms-lease-id (412 LeaseIdMissing).</summary>
    LeaseIdMissing,
    /// <summary>x-ms-lease-id named, but the lease that id held has expired or been broken (412 LeaseLost).</summary>
    LeaseLost,
    /// <summary>x-ms-lease-id does not match the blob's active lease (412 LeaseIdMismatchWithBlobOperation).</summary>
    LeaseIdMismatchWithBlobOperation,
    /// <summary>x-ms-lease-id named on a blob that has no lease (412 LeaseNotPresentWithBlobOperation).</summary>
    LeaseNotPresentWithBlobOperation,
    LeaseIdMismatchWithContainerOperation,
    LeaseNotPresentWithContainerOperation,
    /// <summary>x-ms-lease-duration outside 15–60 and not -1 (400 InvalidHeaderValue).</summary>
    InvalidLeaseDuration,
    /// <summary>x-ms-lease-break-period outside 0–60 (400 InvalidHeaderValue).</summary>
    InvalidLeaseBreakPeriod,
    // Issue 8, copy.
    /// <summary>Abort Copy Blob of the blob's last copy, which already completed (copies are synchronous here): 409 NoPendingCopyOperation.</summary>
    NoPendingCopyOperation,
    /// <summary>Abort Copy Blob naming a copy id that is not the blob's (409 CopyIdMismatch).</summary>
    CopyIdMismatch,
    /// <summary>An x-ms-source-if-* condition of a copy or from-URL operation that the source does not meet (412 SourceConditionNotMet).</summary>
    SourceConditionNotMet,
    /// <summary>A read of (or a copy from) a blob in the Archive tier before it is rehydrated (409 BlobArchived).</summary>
    BlobArchived,
    /// <summary>Set Blob Tier (or x-ms-access-tier) naming a tier the blob cannot take: a non-block blob, or a tier on a snapshot/version that Azure refuses (400 InvalidBlobTier).</summary>
    InvalidBlobTier,

    // Issue 8, sas.
    /// <summary>A Set Container ACL body outside Azure's rules (more than five policies, a duplicate or over-long id, an unknown permission letter).</summary>
    InvalidAccessPolicy,
    // Issue 8, page.
    /// <summary>A page range not aligned to 512-byte pages, larger than Put Page allows, or beyond the blob's size (416 InvalidPageRange).</summary>
    InvalidPageRange,
    /// <summary>x-ms-if-sequence-number-le/lt/eq did not hold (412 SequenceNumberConditionNotMet).</summary>
    SequenceNumberConditionNotMet,
    /// <summary>x-ms-sequence-number-action: increment past 2^63 - 1 (409 SequenceNumberIncrementTooLarge).</summary>
    SequenceNumberIncrementTooLarge,
    /// <summary>Get Page Ranges' prevsnapshot names no snapshot of the blob (409 PreviousSnapshotNotFound).</summary>
    PreviousSnapshotNotFound,
    /// <summary>Get Page Ranges' prevsnapshot is newer than the snapshot it is compared with (400 PreviousSnapshotCannotBeNewer).</summary>
    PreviousSnapshotCannotBeNewer,
    /// <summary>A page blob size that is not a multiple of 512 or exceeds 8 TiB, or a sequence number out of range (400 InvalidHeaderValue).</summary>
    InvalidPageBlobProperty,
    // Issue 8, tags.
    /// <summary>Blob index tags outside Azure's rules: a bad character, length, duplicate key, or more than 10 (400 InvalidTag).</summary>
    InvalidTag,
    /// <summary>A container operation given a conditional header Azure does not take there (If-Match, If-None-Match; Set Container Metadata's If-Unmodified-Since).</summary>
    UnsupportedHeader,
    /// <summary>A Find Blobs by Tags marker this server did not return (400 InvalidQueryParameterValue).</summary>
    InvalidTagMarker,
    // Issue 8, service.
    /// <summary>A Set Blob Service Properties value outside Azure's rules (CORS limits, retention days, versions); the message names the node.</summary>
    InvalidServiceProperties,
    /// <summary>An OPTIONS preflight that no CORS rule of the account allows (or the account has none).</summary>
    CorsPreflightFailure,
    /// <summary>Get User Delegation Key: it needs a Microsoft Entra ID token, which this server does not issue.</summary>
    UserDelegationKeyNotSupported,

    // Issue 8, append.
    /// <summary>Append Block whose x-ms-blob-condition-maxsize the blob already exceeds or would exceed (412 MaxBlobSizeConditionNotMet).</summary>
    MaxBlobSizeConditionNotMet,
    /// <summary>Append Block whose x-ms-blob-condition-appendpos is not the blob's length (412 AppendPositionConditionNotMet).</summary>
    AppendPositionConditionNotMet,
    /// <summary>A content write to a sealed append blob (409 BlobIsSealed).</summary>
    BlobIsSealed,
    /// <summary>Append Block past <see cref="Limits.AppendBlocksMax"/> committed blocks (409 BlockCountExceedsLimit).</summary>
    CommittedBlockCountExceedsLimit,
    /// <summary>Append Block with an empty body (400 InvalidHeaderValue, Content-Length 0).</summary>
    EmptyAppendBlock,

    // Issue 9, crossproc.
    /// <summary>A page write whose chunk compare-and-swap lost to other writers <see cref="Limits.PageChunkSwapAttemptsMax"/> times in a row; nothing was written (503 ServerBusy, the client retries).</summary>
    PageWriteContended,
    /// <summary>A write whose new version, snapshot or deletion id other servers kept taking <see cref="Limits.InstanceIdStampAttemptsMax"/> times in a row; nothing was written (503 ServerBusy, the client retries).</summary>
    InstanceIdContended,
}

/// <summary>An operating error: expected, typed, mapped to a protocol error at the edge.</summary>
public sealed class StorageException(ErrorCode code, string? detail = null, Exception? innerException = null)
    : Exception(detail ?? code.ToString(), innerException)
{
    public ErrorCode Code { get; } = code;
}
