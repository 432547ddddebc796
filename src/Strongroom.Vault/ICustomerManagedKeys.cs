namespace Strongroom.Vault;

/// <summary>
/// A tenant's own keys, held in its vault (the Key Vault API), used by the platform to wrap the
/// key of a customer-managed encryption scope. The tenant controls them: disabling, expiring or
/// deleting a key makes everything wrapped by it unreadable at once, so implementations must
/// check the key's state on every call (no caching across a state change).
/// </summary>
public interface ICustomerManagedKeys
{
    /// <summary>
    /// Wraps <paramref name="key"/> under the current version of the tenant's key
    /// <paramref name="keyName"/>. Returns the wrapped bytes and the key version that wrapped them.
    /// Throws <c>StorageException(ErrorCode.CustomerManagedKeyUnavailable)</c> when the key is
    /// missing, disabled, expired, not yet valid, deleted or lacks the wrap operation.
    /// </summary>
    Task<CustomerWrappedKey> WrapAsync(string account, string keyName, ReadOnlyMemory<byte> key, CancellationToken cancellationToken = default);

    /// <summary>
    /// Unwraps with the recorded key version. Throws
    /// <c>StorageException(ErrorCode.CustomerManagedKeyUnavailable)</c> as <see cref="WrapAsync"/>
    /// does, and <c>StorageException(ErrorCode.IntegrityCheckFailed)</c> when the bytes do not unwrap.
    /// The caller owns (and wipes) the returned key.
    /// </summary>
    Task<byte[]> UnwrapAsync(string account, string keyName, string keyVersion, ReadOnlyMemory<byte> wrapped, CancellationToken cancellationToken = default);
}

/// <summary>A key wrapped by a tenant's vault key, with the version that wrapped it.</summary>
public sealed record CustomerWrappedKey(byte[] Wrapped, string KeyVersion);

/// <summary>The vault API is not wired in: every customer-managed key is unavailable.</summary>
public sealed class NoCustomerManagedKeys : ICustomerManagedKeys
{
    public static readonly NoCustomerManagedKeys Instance = new();

    public Task<CustomerWrappedKey> WrapAsync(string account, string keyName, ReadOnlyMemory<byte> key, CancellationToken cancellationToken = default) =>
        throw new Core.StorageException(Core.ErrorCode.CustomerManagedKeyUnavailable, "No key vault is configured.");

    public Task<byte[]> UnwrapAsync(string account, string keyName, string keyVersion, ReadOnlyMemory<byte> wrapped, CancellationToken cancellationToken = default) =>
        throw new Core.StorageException(Core.ErrorCode.CustomerManagedKeyUnavailable, "No key vault is configured.");
}
