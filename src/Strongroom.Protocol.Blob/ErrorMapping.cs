using Strongroom.Core;

namespace Strongroom.Protocol.Blob;

/// <summary>
/// The one place where errors become Azure status codes, error codes and messages: every
/// <see cref="ErrorCode"/> of the service layer and every protocol-level rejection.
/// Messages are Azure's own wording where Azure publishes one, because tools match on them.
/// </summary>
public static class ErrorMapping
{
    // Protocol-level errors, raised while interpreting a request.
    public static readonly AzureError InvalidHeaderValue = new(400, "InvalidHeaderValue", "The value for one of the HTTP headers is not in the correct format.");
    public static readonly AzureError MissingRequiredHeader = new(400, "MissingRequiredHeader", "An HTTP header that's mandatory for this request is not specified.");
    public static readonly AzureError InvalidQueryParameterValue = new(400, "InvalidQueryParameterValue", "Value for one of the query parameters specified in the request URI is invalid.");
    public static readonly AzureError MissingRequiredQueryParameter = new(400, "MissingRequiredQueryParameter", "A query parameter that's mandatory for this request is not specified.");
    public static readonly AzureError OutOfRangeQueryParameterValue = new(400, "OutOfRangeQueryParameterValue", "One of the query parameters specified in the request URI is outside the permissible range.");
    public static readonly AzureError OutOfRangeInput = new(400, "OutOfRangeInput", "One of the request inputs is out of range.");
    public static readonly AzureError InvalidUri = new(400, "InvalidUri", "The requested URI does not represent any resource on the server.");
    public static readonly AzureError InvalidXmlDocument = new(400, "InvalidXmlDocument", "XML specified is not syntactically valid.");
    public static readonly AzureError InvalidXmlNodeValue = new(400, "InvalidXmlNodeValue", "The value for one of the XML nodes is not in the correct format.");
    public static readonly AzureError InvalidMd5 = new(400, "InvalidMd5", "The MD5 value specified in the request is invalid. The MD5 value must be 128 bits and Base64-encoded.");
    public static readonly AzureError BothCrc64AndMd5HeaderPresent = new(400, "BothCrc64AndMd5HeaderPresent", "Only one of the Content-MD5 and x-ms-content-crc64 headers may be specified.");
    public static readonly AzureError UnsatisfiableCondition = new(400, "UnsatisfiableCondition", "The request includes an unsatisfiable condition for this operation.");
    public static readonly AzureError InvalidAuthenticationInfo = new(400, "InvalidAuthenticationInfo", "Authentication information is not given in the correct format. Check the value of Authorization header.");
    public static readonly AzureError AccountRequiresHttps = new(400, "AccountRequiresHttps", "The account being accessed does not support http.");
    public static readonly AzureError AuthenticationFailed = new(403, "AuthenticationFailed", "Server failed to authenticate the request. Make sure the value of Authorization header is formed correctly including the signature.");
    public static readonly AzureError UnsupportedHttpVerb = new(405, "UnsupportedHttpVerb", "The resource doesn't support specified Http Verb.");
    public static readonly AzureError PublicAccessNotPermitted = new(409, "PublicAccessNotPermitted", "Public access is not permitted on this storage account.");
    public static readonly AzureError MissingContentLengthHeader = new(411, "MissingContentLengthHeader", "Content-Length HTTP header is missing.");
    public static readonly AzureError RequestBodyTooLarge = new(413, "RequestBodyTooLarge", "The request body is too large and exceeds the maximum permissible limit.");
    // Issue 8, copy: Blob Batch's own refusals (Azure answers them inside a 202 batch response, as one 400 sub-response without a Content-ID).
    public static readonly AzureError InvalidInput = new(400, "InvalidInput", "One of the request inputs is not valid.");
    public static readonly AzureError ExceedsMaxBatchRequestCount = new(400, "ExceedsMaxBatchRequestCount", "The batch operation exceeds maximum number of allowed subrequests.");
    public static readonly AzureError AllBatchSubRequestsShouldBeSameApi = new(400, "AllBatchSubRequestsShouldBeSameApi", "All batch subrequests should be the same api.");
    public static readonly AzureError ContainerOperationFailure = new(400, "ContainerOperationFailure", "Container encryption policy missing header: x-ms-default-encryption-scope and x-ms-deny-encryption-scope-override are required.");

    /// <summary>A customer-provided key sent over plain HTTP (Azure refuses it; the key already crossed the wire, so the client should rotate it).</summary>
    public static readonly AzureError CustomerProvidedKeyRequiresHttps = new(403, "AuthorizationProtocolMismatch", "This request is not authorized to perform this operation using this protocol: a customer-provided key requires HTTPS.");

    /// <summary>An OPTIONS preflight no CORS rule allows, or CORS off for the account (Azure's message).</summary>
    public static readonly AzureError CorsPreflightFailure = new(403, "CorsPreflightFailure", "CORS not enabled or no matching rule found for this request.");

    public static readonly AzureError InternalError = new(500, "InternalError", "Server encountered an internal error. Please try again after some time.");

    /// <summary>Azurite answers unimplemented APIs with 501 NotImplemented; so do we, naming the operation.</summary>
    public static AzureError NotImplemented(string what) =>
        new(501, "NotImplemented", $"{what} is not implemented yet by this server. See docs/compatibility.md for the supported operations.");

    /// <summary>Maps a service-layer error. Total: a test iterates every <see cref="ErrorCode"/>.</summary>
    public static AzureError Map(ErrorCode code) => code switch
    {
        // An authenticated request cannot name a missing account (authentication finds no keys
        // first), so this only happens when an account disappears mid-request.
        ErrorCode.AccountNotFound => new(404, "ResourceNotFound", "The specified resource does not exist."),
        ErrorCode.AccountAlreadyExists => new(409, "AccountAlreadyExists", "The specified account already exists."),
        ErrorCode.AccountDisabled => new(403, "AccountIsDisabled", "The specified account is disabled."),
        ErrorCode.ContainerNotFound => new(404, "ContainerNotFound", "The specified container does not exist."),
        ErrorCode.ContainerAlreadyExists => new(409, "ContainerAlreadyExists", "The specified container already exists."),
        ErrorCode.ContainerBeingDeleted => new(409, "ContainerBeingDeleted", "The specified container is being deleted. Try operation later."),
        ErrorCode.BlobNotFound => new(404, "BlobNotFound", "The specified blob does not exist."),
        ErrorCode.BlobAlreadyExists => new(409, "BlobAlreadyExists", "The specified blob already exists."),
        ErrorCode.InvalidResourceName => new(400, "InvalidResourceName", "The specifed resource name contains invalid characters."),
        ErrorCode.InvalidMetadata => new(400, "InvalidMetadata", "The metadata specified is invalid. It has characters that are not permitted."),
        ErrorCode.MetadataTooLarge => new(400, "MetadataTooLarge", "The size of the specified metadata exceeds the maximum size permitted."),
        ErrorCode.InvalidBlockId => InvalidQueryParameterValue,
        ErrorCode.InvalidBlockList => new(400, "InvalidBlockList", "The specified block list is invalid."),
        ErrorCode.BlockCountExceedsLimit => new(409, "BlockCountExceedsLimit", "The uncommitted block count cannot exceed the maximum limit of 100,000 blocks."),
        ErrorCode.BlockListTooLong => new(400, "BlockListTooLong", "The block list may not contain more than 50,000 blocks."),
        ErrorCode.RequestBodyTooLarge => RequestBodyTooLarge,
        ErrorCode.Md5Mismatch => new(400, "Md5Mismatch", "The MD5 value specified in the request did not match with the MD5 value calculated by the server."),
        ErrorCode.Crc64Mismatch => new(400, "Crc64Mismatch", "The CRC64 value specified in the request did not match with the CRC64 value calculated by the server."),
        ErrorCode.InvalidRange => new(416, "InvalidRange", "The range specified is invalid for the current size of the resource."),
        ErrorCode.ConditionNotMet => new(412, "ConditionNotMet", "The condition specified using HTTP conditional header(s) is not met."),
        // 304 carries no body; the code still goes in x-ms-error-code, as Azure does.
        ErrorCode.NotModified => new(304, "ConditionNotMet", "The condition specified using HTTP conditional header(s) is not met."),
        ErrorCode.InvalidBlobType => new(409, "InvalidBlobType", "The blob type is invalid for this operation."),
        // Tampered or corrupt ciphertext: the client learns nothing beyond "internal error";
        // the handler logs it as a broken invariant.
        ErrorCode.IntegrityCheckFailed => InternalError,
        ErrorCode.UnsatisfiableCondition => new(400, "UnsatisfiableCondition", "The condition specified is unsatisfiable."),
        ErrorCode.InvalidBlobOrBlock => new(400, "InvalidBlobOrBlock", "The specified blob or block content is invalid."),
        ErrorCode.InvalidStructuredBody => new(400, "InvalidInput", "One of the request inputs is not valid: the structured message body is malformed."),
        ErrorCode.VaultSealed => new(503, "VaultSealed", "The server is sealed. Its key custodians must unseal it before any data can be read or written."),
        // Azure's answer when the vault key of a customer-managed key is disabled, deleted or unreachable.
        ErrorCode.CustomerManagedKeyUnavailable => new(403, "KeyVaultEncryptionKeyNotFound", "The key vault key is not found to unwrap the encryption key."),

        // Encryption scopes and customer-provided keys. Azure publishes no code for an unknown or
        // disabled scope on the data plane; these are the closest documented codes (403 for a
        // disabled scope is documented).
        ErrorCode.EncryptionScopeNotFound => new(400, "InvalidHeaderValue", "The value for one of the HTTP headers is not in the correct format: the encryption scope does not exist."),
        ErrorCode.EncryptionScopeAlreadyExists => new(409, "ResourceAlreadyExists", "The specified resource already exists."),
        ErrorCode.EncryptionScopeDisabled => new(403, "AuthorizationFailure", "This request is not authorized to perform this operation: the encryption scope is disabled."),
        ErrorCode.EncryptionScopeForbiddenByContainerPolicy => new(403, "RequestForbiddenByContainerEncryptionPolicy", "The request is forbidden by the container encryption policy."),
        ErrorCode.EncryptionScopeCountExceedsLimit => new(409, "OperationNotAllowed", "The account has reached the maximum number of encryption scopes."),
        ErrorCode.BlobUsesCustomerSpecifiedEncryption => new(409, "BlobUsesCustomerSpecifiedEncryption", "The blob is encrypted with customer specified encryption, but it was not provided in the request."),
        ErrorCode.BlobDoesNotUseCustomerSpecifiedEncryption => new(409, "BlobDoesNotUseCustomerSpecifiedEncryption", "The blob does not use customer specified encryption."),
        ErrorCode.BlobCustomerSpecifiedEncryptionMismatch => new(409, "BlobCustomerSpecifiedEncryptionMismatch", "The given customer specified encryption does not match the encryption used to encrypt the blob."),

        // The transparency log (issue 4). An operation whose entry cannot be recorded did not
        // happen: to the client that is an internal error (the cause goes to the server log).
        ErrorCode.AuditLogUnavailable => InternalError,
        ErrorCode.InvalidAuditSetting => new(400, "InvalidInput", "One of the request inputs is not valid: the transparency log setting is refused (retention is at least 180 days, Cyber Security Law art. 21)."),
        ErrorCode.AuditLogNotFound => new(404, "ResourceNotFound", "The specified resource does not exist."),
        ErrorCode.InvalidAuditRange => OutOfRangeInput,

        // Datacenters (issue 5). Azure has no placement policies: those refusals use its generic
        // InvalidInput; the secondary endpoint's codes are Azure's (below).
        ErrorCode.InvalidPlacementPolicy => new(400, "InvalidInput", "One of the request inputs is not valid: the placement policy is not valid."),
        ErrorCode.PlacementPolicyNotSatisfiable => new(400, "InvalidInput", "One of the request inputs is not valid: the topology cannot satisfy the placement policy inside the residency."),
        ErrorCode.InsufficientSitesAvailable => new(503, "ServerBusy", "The server is currently unable to receive requests. Please retry your request."),
        // Azure's common error table gives both secondary-endpoint refusals one code, 403
        // InsufficientAccountPermissions, with these two messages.
        ErrorCode.SecondaryNotAvailable => new(403, "InsufficientAccountPermissions", "Read-access geo-redundant replication is not enabled for the account."),
        ErrorCode.WriteOperationNotSupportedOnSecondary => new(403, "InsufficientAccountPermissions", "Write operations to the secondary location are not allowed."),
        ErrorCode.SiteNotFound => new(404, "ResourceNotFound", "The specified resource does not exist."),
        ErrorCode.SiteNotDrained => new(409, "OperationNotAllowed", "The operation is not allowed: the site still holds copies."),
        ErrorCode.InvalidLocationsMarker => InvalidQueryParameterValue,
        ErrorCode.AccountNotGeoRedundant => new(409, "OperationNotAllowed", "The operation is not allowed: the account has no secondary region."),

        // Operator access (issue 6). A lockbox grant token is a bearer credential on the data
        // plane; Azure answers a bearer token it cannot validate with 401 InvalidAuthenticationInfo,
        // and an authenticated principal without the right with 403 AuthorizationFailure (no
        // access to the resource) or AuthorizationPermissionMismatch (not this operation).
        ErrorCode.GrantTokenInvalid => new(401, "InvalidAuthenticationInfo", "Server failed to authenticate the request. Please refer to the information in the www-authenticate header."),
        ErrorCode.GrantNotActive => new(403, "AuthorizationFailure", "This request is not authorized to perform this operation."),
        ErrorCode.GrantScopeMismatch => new(403, "AuthorizationPermissionMismatch", "This request is not authorized to perform this operation using this permission."),
        ErrorCode.TransferNotApproved => new(403, "AuthorizationFailure", "This request is not authorized to perform this operation."),

        // Data protection and destruction (issue 7). Azure's codes where Azure has one (the
        // helpers owning each confirm them against Azure's error table and may refine these).
        ErrorCode.BlobImmutableDueToLegalHold => new(409, "BlobImmutableDueToLegalHold", "This operation is not permitted as the blob is immutable due to one or more legal holds."),
        // Azure answers a Delete Container under a legal hold with 409 ContainerHasLegalHold (absent
        // from its error table; reported in MicrosoftDocs/feedback#1844 with this message).
        ErrorCode.ContainerImmutableDueToLegalHold => new(409, "ContainerHasLegalHold", "The requested operation is not allowed as the container has one or more legal holds."),
        ErrorCode.VersionNotFound => new(404, "BlobNotFound", "The specified blob does not exist."),
        ErrorCode.ContainerNotDeleted => new(404, "ContainerNotFound", "The specified container does not exist."),
        ErrorCode.PermanentDeleteNotAllowed => new(409, "OperationNotAllowed", "The operation is not allowed: permanent delete is not enabled for the account."),
        ErrorCode.AccountClosed => new(403, "AccountIsDisabled", "The specified account is disabled."),
        ErrorCode.InvalidAccountState => new(409, "OperationNotAllowed", "The operation is not allowed in the account's current state."),
        ErrorCode.DestructionNotFound or ErrorCode.CertificateNotFound => new(404, "ResourceNotFound", "The specified resource does not exist."),
        ErrorCode.InvalidDataProtectionSetting => InvalidXmlNodeValue,
        ErrorCode.SnapshotsPresent => new(409, "SnapshotsPresent", "This operation is not permitted because the blob has snapshots."),
        ErrorCode.CannotVerifyCopySource => new(404, "CannotVerifyCopySource", "Could not verify the copy source within the specified time."),

        // Issue 8, copy. Azure's codes and messages (Blob service error codes table).
        ErrorCode.NoPendingCopyOperation => new(409, "NoPendingCopyOperation", "There is currently no pending copy operation."),
        ErrorCode.CopyIdMismatch => new(409, "CopyIdMismatch", "The specified copy ID did not match the copy ID for the pending copy operation."),
        ErrorCode.SourceConditionNotMet => new(412, "SourceConditionNotMet", "The source condition specified using HTTP conditional header(s) is not met."),
        ErrorCode.BlobArchived => new(409, "BlobArchived", "This operation is not permitted on an archived blob."),
        ErrorCode.InvalidBlobTier => new(400, "InvalidBlobTier", "The specified blob tier is invalid."),
        // Issue 8, sas. Azure answers a signed-identifier list it refuses (more than five, a bad
        // value) as a bad XML document.
        ErrorCode.InvalidAccessPolicy => new(400, "InvalidXmlDocument", "XML specified is not syntactically valid."),
        // Issue 8, page.
        ErrorCode.InvalidPageRange => new(416, "InvalidPageRange", "The page range specified is invalid."),
        ErrorCode.SequenceNumberConditionNotMet => new(412, "SequenceNumberConditionNotMet", "The sequence number condition specified was not met."),
        ErrorCode.SequenceNumberIncrementTooLarge => new(409, "SequenceNumberIncrementTooLarge", "The sequence number increment cannot be performed because it would result in overflow of the sequence number."),
        ErrorCode.PreviousSnapshotNotFound => new(409, "PreviousSnapshotNotFound", "The previous snapshot is not found."),
        ErrorCode.PreviousSnapshotCannotBeNewer => new(400, "PreviousSnapshotCannotBeNewer", "The prevsnapshot query parameter value cannot be newer than snapshot query parameter value."),
        ErrorCode.InvalidPageBlobProperty => InvalidHeaderValue,
        // Issue 8, tags.
        ErrorCode.InvalidTag => new(400, "InvalidTag", "The tags specified are invalid. It contains characters that are not permitted."),
        ErrorCode.InvalidTagMarker => InvalidQueryParameterValue,
        ErrorCode.UnsupportedHeader => new(400, "UnsupportedHeader", "One of the HTTP headers specified in the request is not supported."),
        // Issue 8, service.
        ErrorCode.InvalidServiceProperties => InvalidXmlNodeValue,
        ErrorCode.CorsPreflightFailure => CorsPreflightFailure,
        ErrorCode.UserDelegationKeyNotSupported => AuthenticationFailed,
        // Issue 8, append: Azure's codes and messages (Append Block, Seal).
        ErrorCode.MaxBlobSizeConditionNotMet => new(412, "MaxBlobSizeConditionNotMet", "The max blob size condition specified was not met."),
        ErrorCode.AppendPositionConditionNotMet => new(412, "AppendPositionConditionNotMet", "The append position condition specified was not met."),
        ErrorCode.BlobIsSealed => new(409, "BlobIsSealed", "The specified blob is sealed, and its contents can't be modified unless the blob is re-created after a delete."),
        ErrorCode.CommittedBlockCountExceedsLimit => new(409, "BlockCountExceedsLimit", "The committed block count cannot exceed the maximum limit of 50,000 blocks."),
        ErrorCode.EmptyAppendBlock => InvalidHeaderValue,

        // The management plane's own refusals; they never reach the Blob API, but map to their nearest Azure meaning.
        ErrorCode.LoginFailed or ErrorCode.SessionInvalid or ErrorCode.TotpCodeReused => new(401, "InvalidAuthenticationInfo", "Server failed to authenticate the request."),
        ErrorCode.PrincipalLocked or ErrorCode.RoleNotPermitted or ErrorCode.SelfApprovalNotAllowed => new(403, "AuthorizationFailure", "This request is not authorized to perform this operation."),
        ErrorCode.PrincipalAlreadyExists => new(409, "ResourceAlreadyExists", "The specified resource already exists."),
        ErrorCode.PrincipalNotFound or ErrorCode.LockboxRequestNotFound or ErrorCode.TransferNotFound => new(404, "ResourceNotFound", "The specified resource does not exist."),
        ErrorCode.InvalidAccessRequest => new(400, "InvalidInput", "One of the request inputs is not valid."),
        ErrorCode.InvalidAccessState => new(409, "OperationNotAllowed", "The operation is not allowed in the current state."),

        // Issue 8, leases (Azure's Blob service error codes; where the blob and container variants share a code, the message names both).
        ErrorCode.LeaseAlreadyPresent => new(409, "LeaseAlreadyPresent", "There is already a lease present."),
        ErrorCode.LeaseIdMismatchWithLeaseOperation => new(409, "LeaseIdMismatchWithLeaseOperation", "The lease ID specified did not match the lease ID for the blob or container."),
        ErrorCode.LeaseIsBreakingAndCannotBeAcquired => new(409, "LeaseIsBreakingAndCannotBeAcquired", "The lease ID matched, but the lease is currently in breaking state and cannot be acquired until it is broken."),
        ErrorCode.LeaseIsBreakingAndCannotBeChanged => new(409, "LeaseIsBreakingAndCannotBeChanged", "The lease ID matched, but the lease is currently in breaking state and cannot be changed."),
        ErrorCode.LeaseIsBrokenAndCannotBeRenewed => new(409, "LeaseIsBrokenAndCannotBeRenewed", "The lease ID matched, but the lease has been broken explicitly and cannot be renewed."),
        ErrorCode.LeaseNotPresentWithLeaseOperation => new(409, "LeaseNotPresentWithLeaseOperation", "There is currently no lease on the blob or container."),
        ErrorCode.LeaseIdMissing => new(412, "LeaseIdMissing", "There is currently a lease on the blob or container and no lease ID was specified in the request."),
        ErrorCode.LeaseLost => new(412, "LeaseLost", "A lease ID was specified, but the lease for the blob or container has expired."),
        ErrorCode.LeaseIdMismatchWithBlobOperation => new(412, "LeaseIdMismatchWithBlobOperation", "The lease ID specified did not match the lease ID for the blob."),
        ErrorCode.LeaseNotPresentWithBlobOperation => new(412, "LeaseNotPresentWithBlobOperation", "There is currently no lease on the blob."),
        ErrorCode.LeaseIdMismatchWithContainerOperation => new(412, "LeaseIdMismatchWithContainerOperation", "The lease ID specified did not match the lease ID for the container."),
        ErrorCode.LeaseNotPresentWithContainerOperation => new(412, "LeaseNotPresentWithContainerOperation", "There is currently no lease on the container."),
        ErrorCode.InvalidLeaseDuration => InvalidHeaderValue,
        ErrorCode.InvalidLeaseBreakPeriod => InvalidHeaderValue,

        // Issue 9, crossproc.
        ErrorCode.PageWriteContended => new(503, "ServerBusy", "The server is currently unable to receive requests. Please retry your request."),
        ErrorCode.InstanceIdContended => new(503, "ServerBusy", "The server is currently unable to receive requests. Please retry your request."),
        _ => InternalError,
    };
}
