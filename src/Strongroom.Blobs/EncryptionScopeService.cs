using Strongroom.Audit;
using System.Security.Cryptography;
using Strongroom.Core;
using Strongroom.Storage;
using Strongroom.Vault;

namespace Strongroom.Blobs;

/// <summary>
/// Encryption scopes of an account: create, list, show, disable, enable (Azure manages them
/// through ARM; here the CLI does). Each scope gets its own random key-encryption key, stored only
/// wrapped: by the platform keyring, or by the tenant's vault key for a customer-managed scope.
/// Scopes cannot be deleted.
/// </summary>
public sealed class EncryptionScopeService(IMetadataStore store, TenantKeys keys, ICustomerManagedKeys customerKeys, TransparencyLog audit, TimeProvider time)
{
    /// <summary>The transparency log this service records into.</summary>
    public TransparencyLog Audit => audit;

    /// <summary>
    /// InvalidResourceName (name), AccountNotFound, EncryptionScopeAlreadyExists,
    /// CustomerManagedKeyUnavailable (the vault key cannot wrap). <paramref name="customerKeyName"/>
    /// is required for, and only for, a customer-managed scope.
    /// </summary>
    public async Task<EncryptionScopeDetails> CreateAsync(string account, string name, EncryptionScopeKeySource keySource, string? customerKeyName, CancellationToken cancellationToken = default)
    {
        if (!EncryptionScopeNames.IsValid(name))
        {
            throw new StorageException(ErrorCode.InvalidResourceName, "Encryption scope names must be between 3 and 63 characters in length and use numbers, lower-case letters and dash (-) only. Every dash (-) character must be immediately preceded and followed by a letter or number.");
        }

        if (keySource == EncryptionScopeKeySource.Customer)
        {
            if (string.IsNullOrEmpty(customerKeyName) || customerKeyName.Length > Limits.CustomerKeyNameLengthMax)
            {
                throw new ArgumentException($"A customer-managed scope names the vault key that protects it (1 to {Limits.CustomerKeyNameLengthMax} characters).", nameof(customerKeyName));
            }
        }
        else if (customerKeyName is not null)
        {
            throw new ArgumentException("A platform-managed scope takes no vault key name.", nameof(customerKeyName));
        }

        if (await store.GetAccountAsync(account, cancellationToken).ConfigureAwait(false) is null)
        {
            throw new StorageException(ErrorCode.AccountNotFound);
        }

        if (await store.GetEncryptionScopeAsync(account, name, cancellationToken).ConfigureAwait(false) is not null)
        {
            throw new StorageException(ErrorCode.EncryptionScopeAlreadyExists);
        }

        var kek = keys.NewScopeKeyEncryptionKey();
        try
        {
            byte[] wrapped;
            string? keyVersion = null;
            if (keySource == EncryptionScopeKeySource.Customer)
            {
                var customerWrapped = await customerKeys.WrapAsync(account, customerKeyName!, kek, cancellationToken).ConfigureAwait(false);
                wrapped = customerWrapped.Wrapped;
                keyVersion = customerWrapped.KeyVersion;
            }
            else
            {
                wrapped = keys.WrapPlatformScopeKey(account, name, kek);
            }

            var record = new EncryptionScopeRecord(account, name, EncryptionScopeState.Enabled, keySource, wrapped, customerKeyName, keyVersion, time.GetUtcNow());
            var details = new List<KeyValuePair<string, string>>(4)
            {
                new("scope", name),
                new("keySource", keySource == EncryptionScopeKeySource.Customer ? "customer" : "platform"),
            };
            if (customerKeyName is not null)
            {
                // The vault key's name and version, never key material.
                details.Add(new("keyName", customerKeyName));
                details.Add(new("keyVersion", keyVersion!));
            }

            await store.CreateEncryptionScopeAsync(record, audit: audit.Entry(account, AuditActions.CreateEncryptionScope, Resource(account), details: details), cancellationToken: cancellationToken).ConfigureAwait(false);
            return EncryptionScopeDetails.From(record);
        }
        finally
        {
            CryptographicOperations.ZeroMemory(kek);
        }
    }

    /// <summary>AccountNotFound when the account is absent.</summary>
    public async Task<IReadOnlyList<EncryptionScopeDetails>> ListAsync(string account, CancellationToken cancellationToken = default)
    {
        var scopes = await store.ListEncryptionScopesAsync(account, cancellationToken).ConfigureAwait(false);
        return scopes.Select(EncryptionScopeDetails.From).ToList();
    }

    /// <summary>EncryptionScopeNotFound when absent.</summary>
    public async Task<EncryptionScopeDetails> GetAsync(string account, string name, CancellationToken cancellationToken = default)
    {
        var record = await store.GetEncryptionScopeAsync(account, name, cancellationToken).ConfigureAwait(false)
            ?? throw new StorageException(ErrorCode.EncryptionScopeNotFound);
        return EncryptionScopeDetails.From(record);
    }

    /// <summary>
    /// Disabling takes effect on the next request: every read and write under the scope then fails
    /// (403) until it is enabled again. Nothing is re-encrypted either way.
    /// </summary>
    public async Task<EncryptionScopeDetails> SetStateAsync(string account, string name, EncryptionScopeState state, CancellationToken cancellationToken = default)
    {
        var action = state == EncryptionScopeState.Enabled ? AuditActions.EnableEncryptionScope : AuditActions.DisableEncryptionScope;
        var entry = audit.Entry(account, action, Resource(account), details: [new("scope", name)]);
        return EncryptionScopeDetails.From(await store.SetEncryptionScopeStateAsync(account, name, state, audit: entry, cancellationToken: cancellationToken).ConfigureAwait(false));
    }

    /// <summary>Scopes are account configuration: their entries name the account, and the scope in their details.</summary>
    private static string Resource(string account) => "/" + account;
}
