namespace Strongroom.KeyVault;

/// <summary>
/// Operating errors of the vault service. The Key Vault protocol maps each to Azure's status,
/// error code and inner error in one place (Strongroom.Protocol.KeyVault.KeyVaultErrorMapping).
/// They are not <c>Core.ErrorCode</c>s because no other protocol can meet them.
/// </summary>
public enum KeyVaultErrorCode
{
    BadParameter,
    SecretNotFound,
    KeyNotFound,
    DeletedSecretNotFound,
    DeletedKeyNotFound,
    ObjectIsDeletedButRecoverable,
    PurgeProtectionEnabled,
    PurgeProtectionIrreversible,
    SecretDisabled,
    KeyDisabled,
    KeyExpired,
    KeyNotYetValid,
    OperationNotPermitted,
    UnsupportedAlgorithm,
    DecryptionFailed,
    InvalidClient,
    InvalidToken,
}

/// <summary>An operating error of the vault. Messages name items and operations, never values, keys or tokens.</summary>
public sealed class KeyVaultException(KeyVaultErrorCode code, string message) : Exception(message)
{
    public KeyVaultErrorCode Code { get; } = code;
}
