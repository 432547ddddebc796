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
}

/// <summary>An operating error: expected, typed, mapped to a protocol error at the edge.</summary>
public sealed class StorageException(ErrorCode code, string? detail = null, Exception? innerException = null)
    : Exception(detail ?? code.ToString(), innerException)
{
    public ErrorCode Code { get; } = code;
}
