using Strongroom.Core;
using Strongroom.KeyVault;

namespace Strongroom.Protocol.KeyVault;

/// <summary>A Key Vault error as it goes on the wire: <c>{"error":{"code","message","innererror":{"code"}}}</c>.</summary>
public sealed record KeyVaultError(int Status, string Code, string Message, string? InnerCode = null);

/// <summary>
/// The one place where vault errors become Key Vault statuses and codes (Azure's codes: the
/// SDK surfaces them as <c>RequestFailedException.ErrorCode</c>). A test iterates every code.
/// </summary>
public static class KeyVaultErrorMapping
{
    public static readonly KeyVaultError MissingToken = new(401, "Unauthorized", "AKV10000: Request is missing a Bearer or PoP token.");
    public static readonly KeyVaultError InvalidToken = new(401, "Unauthorized", "The bearer token is not valid or has expired.");
    public static readonly KeyVaultError HttpsRequired = new(403, "Forbidden", "The Key Vault API is served over HTTPS only: bearer tokens are refused over plain HTTP.");
    public static readonly KeyVaultError MissingApiVersion = new(400, "BadParameter", "The request URI contains an invalid or missing api-version query parameter.");
    public static readonly KeyVaultError BadRequestBody = new(400, "BadParameter", "The request body is not valid JSON of the expected shape.");
    public static readonly KeyVaultError RequestTooLarge = new(413, "RequestEntityTooLarge", "The request body is too large.");
    public static readonly KeyVaultError NotFoundPath = new(404, "NotFound", "The requested URI does not represent any resource on the server.");
    public static readonly KeyVaultError MethodNotAllowed = new(405, "MethodNotAllowed", "The requested HTTP method is not allowed on this resource.");
    public static readonly KeyVaultError InternalError = new(500, "InternalError", "The server encountered an internal error. Please try again after some time.");

    public static KeyVaultError NotImplemented(string what) =>
        new(501, "NotImplemented", $"{what} is not implemented by this server. See docs/compatibility.md for the supported operations.");

    /// <summary>Total over <see cref="KeyVaultErrorCode"/>.</summary>
    public static KeyVaultError Map(KeyVaultErrorCode code, string message) => code switch
    {
        KeyVaultErrorCode.BadParameter => new(400, "BadParameter", message),
        KeyVaultErrorCode.SecretNotFound => new(404, "SecretNotFound", message),
        KeyVaultErrorCode.KeyNotFound => new(404, "KeyNotFound", message),
        KeyVaultErrorCode.DeletedSecretNotFound => new(404, "SecretNotFound", message),
        KeyVaultErrorCode.DeletedKeyNotFound => new(404, "KeyNotFound", message),
        KeyVaultErrorCode.ObjectIsDeletedButRecoverable => new(409, "Conflict", message, "ObjectIsDeletedButRecoverable"),
        KeyVaultErrorCode.PurgeProtectionEnabled => new(403, "Forbidden", message),
        KeyVaultErrorCode.PurgeProtectionIrreversible => new(400, "BadParameter", message),
        KeyVaultErrorCode.SecretDisabled => new(403, "Forbidden", message, "SecretDisabled"),
        KeyVaultErrorCode.KeyDisabled => new(403, "Forbidden", message, "KeyDisabled"),
        KeyVaultErrorCode.KeyExpired => new(403, "Forbidden", message, "KeyExpired"),
        KeyVaultErrorCode.KeyNotYetValid => new(403, "Forbidden", message, "KeyNotYetValid"),
        KeyVaultErrorCode.OperationNotPermitted => new(403, "Forbidden", message, "OperationNotPermitted"),
        KeyVaultErrorCode.UnsupportedAlgorithm => new(400, "BadParameter", message),
        KeyVaultErrorCode.DecryptionFailed => new(400, "BadParameter", message),
        KeyVaultErrorCode.InvalidClient => new(401, "Unauthorized", message),
        KeyVaultErrorCode.InvalidToken => InvalidToken,
        _ => InternalError,
    };

    /// <summary>Errors from below the vault service (sealed vault, broken ciphertext).</summary>
    public static KeyVaultError Map(ErrorCode code) => code switch
    {
        ErrorCode.VaultSealed => new(503, "VaultSealed", "The server is sealed. Its key custodians must unseal it before the vault can be used."),
        ErrorCode.AccountNotFound or ErrorCode.AccountDisabled => InvalidToken,

        // The transparency log (issue 4): an operation whose entry cannot be recorded did not happen.
        ErrorCode.AuditLogUnavailable => InternalError,
        ErrorCode.InvalidAuditSetting => new(400, "BadParameter", "The transparency log setting is refused: retention is at least 180 days (Cyber Security Law art. 21)."),
        ErrorCode.AuditLogNotFound => NotFoundPath,
        ErrorCode.InvalidAuditRange => new(400, "BadParameter", "The requested range is outside the transparency log."),
        _ => InternalError,
    };
}
