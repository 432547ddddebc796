using Strongroom.Core;
using Strongroom.Vault;

namespace Strongroom.KeyVault;

/// <summary>
/// Customer-managed keys of encryption scopes, backed by the tenant's vault keys: RSA keys wrap
/// with RSA-OAEP-256, symmetric (oct) keys with AES key wrap (A128KW/A192KW/A256KW by size).
/// Every call reads the key's current state (nothing is cached), and unwrapping is refused outside
/// the nbf/exp window too, so disabling, expiring or deleting the key makes everything it wrapped
/// unreadable on the next request.
/// </summary>
public sealed class VaultCustomerManagedKeys(KeyVaultService vault) : ICustomerManagedKeys
{
    public async Task<CustomerWrappedKey> WrapAsync(string account, string keyName, ReadOnlyMemory<byte> key, CancellationToken cancellationToken = default)
    {
        try
        {
            var (version, wrapped) = await vault.WrapForPlatformAsync(account, keyName, key, cancellationToken).ConfigureAwait(false);
            return new CustomerWrappedKey(wrapped, version);
        }
        catch (KeyVaultException exception)
        {
            throw Unavailable(keyName, exception);
        }
    }

    public async Task<byte[]> UnwrapAsync(string account, string keyName, string keyVersion, ReadOnlyMemory<byte> wrapped, CancellationToken cancellationToken = default)
    {
        if (string.IsNullOrEmpty(keyVersion))
        {
            throw new StorageException(ErrorCode.IntegrityCheckFailed, "A customer-wrapped key records the key version that wrapped it.");
        }

        try
        {
            return await vault.UnwrapForPlatformAsync(account, keyName, keyVersion, wrapped, cancellationToken).ConfigureAwait(false);
        }
        catch (KeyVaultException exception)
        {
            throw Unavailable(keyName, exception);
        }
    }

    private static StorageException Unavailable(string keyName, KeyVaultException exception) =>
        new(ErrorCode.CustomerManagedKeyUnavailable, $"The customer-managed key '{keyName}' is not available: {exception.Message}");
}
