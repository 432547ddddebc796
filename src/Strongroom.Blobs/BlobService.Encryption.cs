using System.Security.Cryptography;
using Strongroom.Core;
using Strongroom.Crypto;
using Strongroom.Storage;
using Strongroom.Vault;

namespace Strongroom.Blobs;

/// <summary>
/// Which key wraps a new object's data key (the account KEK, a scope's KEK, or a customer-provided
/// key under the account KEK), and the checks Azure makes before a read or write touches a blob
/// encrypted with a scope or a customer-provided key.
/// </summary>
public sealed partial class BlobService
{
    /// <summary>The tenant vault keys that protect customer-managed scopes. Checked on every use,
    /// never cached, so disabling a key in the vault takes effect on the next request.</summary>
    public ICustomerManagedKeys CustomerManagedKeys { get; init; } = NoCustomerManagedKeys.Instance;

    /// <summary>
    /// Resolves the key for a write that encrypts nothing yet (an empty append or page blob) with
    /// every check <see cref="ResolveWriteKeysAsync"/> makes, keeping what the blob records of it.
    /// </summary>
    private async Task<(string? Scope, byte[]? CustomerKeySha256)> ResolveWriteKeyIdentityAsync(AccountRecord account, ContainerRecord container, BlobEncryptionOptions options, CancellationToken cancellationToken)
    {
        using var writeKeys = await ResolveWriteKeysAsync(account, container, options, cancellationToken).ConfigureAwait(false);
        return (writeKeys.Scope, writeKeys.CustomerKeySha256);
    }

    /// <summary>
    /// Resolves the key for a write: the requested scope or the container's default, subject to
    /// the container's deny-override policy; a customer-provided key is never combined with a scope.
    /// EncryptionScopeForbiddenByContainerPolicy, EncryptionScopeNotFound, EncryptionScopeDisabled,
    /// CustomerManagedKeyUnavailable.
    /// </summary>
    private async Task<WriteKeys> ResolveWriteKeysAsync(AccountRecord account, ContainerRecord container, BlobEncryptionOptions options, CancellationToken cancellationToken)
    {
        var requested = EncryptionScopeNames.Normalize(options.EncryptionScope);
        if (options.CustomerKey is not null && options.EncryptionScope is not null)
        {
            throw new ArgumentException("A customer-provided key and an encryption scope cannot be combined.", nameof(options));
        }

        if (container.DenyEncryptionScopeOverride)
        {
            var overrides = options.CustomerKey is not null
                ? container.DefaultEncryptionScope is not null
                : options.EncryptionScope is not null && requested != container.DefaultEncryptionScope;
            if (overrides)
            {
                throw new StorageException(ErrorCode.EncryptionScopeForbiddenByContainerPolicy);
            }
        }

        if (options.CustomerKey is { } customerKey)
        {
            return new WriteKeys(account, null, null, customerKey);
        }

        var scopeName = options.EncryptionScope is not null ? requested : container.DefaultEncryptionScope;
        if (scopeName is null)
        {
            return new WriteKeys(account, null, null, null);
        }

        var scope = await RequireUsableScopeAsync(account.Name, scopeName, cancellationToken).ConfigureAwait(false);
        return new WriteKeys(account, scopeName, await UnwrapScopeKeyAsync(scope, cancellationToken).ConfigureAwait(false), null);
    }

    /// <summary>EncryptionScopeNotFound (never created) or EncryptionScopeDisabled.</summary>
    private async Task<EncryptionScopeRecord> RequireUsableScopeAsync(string account, string scope, CancellationToken cancellationToken)
    {
        var record = await store.GetEncryptionScopeAsync(account, scope, cancellationToken).ConfigureAwait(false)
            ?? throw new StorageException(ErrorCode.EncryptionScopeNotFound);
        return record.State == EncryptionScopeState.Enabled
            ? record
            : throw new StorageException(ErrorCode.EncryptionScopeDisabled);
    }

    /// <summary>The scope's KEK in the clear; the caller wipes it. CustomerManagedKeyUnavailable.</summary>
    private async Task<byte[]> UnwrapScopeKeyAsync(EncryptionScopeRecord scope, CancellationToken cancellationToken)
    {
        byte[] kek = scope.KeySource == EncryptionScopeKeySource.Customer
            ? await CustomerManagedKeys.UnwrapAsync(scope.Account, scope.CustomerKeyName!, scope.CustomerKeyVersion!, scope.WrappedKeyEncryptionKey, cancellationToken).ConfigureAwait(false)
            : keys.UnwrapPlatformScopeKey(scope.Account, scope.Name, scope.WrappedKeyEncryptionKey);
        if (kek.Length != Limits.ScopeKeyEncryptionKeyBytes)
        {
            CryptographicOperations.ZeroMemory(kek);
            throw new StorageException(ErrorCode.IntegrityCheckFailed, $"The key of encryption scope {scope.Name} has the wrong length.");
        }

        return kek;
    }

    /// <summary>
    /// Azure's customer-provided-key rules for any request on an existing blob (or block):
    /// key missing → BlobUsesCustomerSpecifiedEncryption; key given for a blob without one →
    /// BlobDoesNotUseCustomerSpecifiedEncryption; another key → BlobCustomerSpecifiedEncryptionMismatch.
    /// </summary>
    internal static void CheckCustomerKey(byte[]? storedSha256, CustomerProvidedKey? provided)
    {
        if (storedSha256 is null)
        {
            if (provided is not null)
            {
                throw new StorageException(ErrorCode.BlobDoesNotUseCustomerSpecifiedEncryption);
            }

            return;
        }

        if (provided is null)
        {
            throw new StorageException(ErrorCode.BlobUsesCustomerSpecifiedEncryption);
        }

        if (!CryptographicOperations.FixedTimeEquals(storedSha256, provided.KeySha256))
        {
            throw new StorageException(ErrorCode.BlobCustomerSpecifiedEncryptionMismatch);
        }
    }

    /// <summary>A read or metadata access of a blob: the key rules, then every scope its parts use must be enabled.</summary>
    private async Task CheckReadableAsync(BlobRecord blob, IEnumerable<string?> scopes, CustomerProvidedKey? customerKey, bool requireKeyAvailable, CancellationToken cancellationToken)
    {
        CheckCustomerKey(blob.CustomerKeySha256, customerKey);
        foreach (var scopeName in scopes.Where(name => name is not null).Distinct(StringComparer.Ordinal))
        {
            var scope = await RequireUsableScopeAsync(blob.Account, scopeName!, cancellationToken).ConfigureAwait(false);
            if (requireKeyAvailable)
            {
                // Fail before any header is sent: a revoked vault key is an error response, not a cut stream.
                CryptographicOperations.ZeroMemory(await UnwrapScopeKeyAsync(scope, cancellationToken).ConfigureAwait(false));
            }
        }
    }

    /// <summary>The key material of one write, wiped on dispose.</summary>
    private sealed class WriteKeys(AccountRecord account, string? scope, byte[]? scopeKek, CustomerProvidedKey? customerKey) : IDisposable
    {
        public string? Scope { get; } = scope;

        public byte[]? CustomerKeySha256 => customerKey?.KeySha256;

        public DataKey NewDataKey(TenantKeys keys, ReadOnlySpan<byte> binding)
        {
            if (customerKey is not null)
            {
                return keys.NewCustomerProvidedDataKey(account.Name, account.KeyEncryptionKeyVersion, account.WrappedKeyEncryptionKey, customerKey.Key, binding);
            }

            return scopeKek is not null
                ? keys.NewDataKeyUnderScope(scopeKek, binding, account.CipherSuite)
                : keys.NewDataKey(account.Name, account.KeyEncryptionKeyVersion, account.WrappedKeyEncryptionKey, binding, account.CipherSuite);
        }

        public StoredObject Stamp(StoredObject stored) => stored with { EncryptionScope = Scope, CustomerKeySha256 = CustomerKeySha256 };

        public void Dispose()
        {
            if (scopeKek is not null)
            {
                CryptographicOperations.ZeroMemory(scopeKek);
            }
        }
    }

    /// <summary>Unwraps the data key of one stored object with whichever key wraps it.</summary>
    internal sealed class ReadKeys(TenantKeys keys, IMetadataStore store, AccountRecord account, CustomerProvidedKey? customerKey, Func<string, CancellationToken, Task<byte[]>> unwrapScope) : IDisposable
    {
        private readonly Dictionary<string, byte[]> scopeKeys = new(StringComparer.Ordinal);

        // Older key-encryption-key versions, read once, only if a part's data key needs one.
        private IReadOnlyList<AccountKeyEncryptionKey>? olderKeyEncryptionKeys;

        public async Task<DataKey> UnwrapAsync(StoredObject stored, ReadOnlyMemory<byte> binding, CancellationToken cancellationToken)
        {
            if (stored.CustomerKeySha256 is not null)
            {
                CheckCustomerKey(stored.CustomerKeySha256, customerKey);
                var outerVersion = TenantKeys.WrappingVersion(stored.WrappedDataKey);
                var outerKek = await KeyEncryptionKeyAsync(outerVersion, cancellationToken).ConfigureAwait(false);
                return keys.UnwrapCustomerProvidedDataKey(account.Name, outerVersion, outerKek, customerKey!.Key, stored.WrappedDataKey, binding.Span);
            }

            Invariant.True(customerKey is null, "a customer key is presented only for parts encrypted with one");
            if (stored.EncryptionScope is { } scope)
            {
                if (!scopeKeys.TryGetValue(scope, out var kek))
                {
                    kek = await unwrapScope(scope, cancellationToken).ConfigureAwait(false);
                    scopeKeys.Add(scope, kek);
                }

                return keys.UnwrapDataKeyUnderScope(kek, stored.WrappedDataKey, binding.Span);
            }

            var kekVersion = TenantKeys.WrappingVersion(stored.WrappedDataKey);
            var wrappedKeyEncryptionKey = await KeyEncryptionKeyAsync(kekVersion, cancellationToken).ConfigureAwait(false);
            return keys.UnwrapDataKey(account.Name, kekVersion, wrappedKeyEncryptionKey, stored.WrappedDataKey, binding.Span);
        }

        /// <summary>The wrapped account key-encryption key of <paramref name="version"/>: the current one, or an older one from the store.</summary>
        private async ValueTask<byte[]> KeyEncryptionKeyAsync(uint version, CancellationToken cancellationToken)
        {
            if (version == account.KeyEncryptionKeyVersion)
            {
                return account.WrappedKeyEncryptionKey;
            }

            olderKeyEncryptionKeys ??= await store.ListAccountKeyEncryptionKeysAsync(account.Name, cancellationToken).ConfigureAwait(false);
            return olderKeyEncryptionKeys.FirstOrDefault(kek => kek.Version == version)?.Wrapped
                ?? throw new StorageException(ErrorCode.IntegrityCheckFailed, $"Account key-encryption-key version {version} is not in the store.");
        }

        public void Dispose()
        {
            foreach (var kek in scopeKeys.Values)
            {
                CryptographicOperations.ZeroMemory(kek);
            }

            scopeKeys.Clear();
        }
    }

    private async Task<byte[]> UnwrapScopeKeyForReadAsync(string account, string scope, CancellationToken cancellationToken) =>
        await UnwrapScopeKeyAsync(await RequireUsableScopeAsync(account, scope, cancellationToken).ConfigureAwait(false), cancellationToken).ConfigureAwait(false);
}
