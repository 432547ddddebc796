using Strongroom.Core;
using Strongroom.Protocol.Management;
using Strongroom.Vault;

namespace Strongroom.Server;

// An account's keys as its tenant administrators see them in the web console (issue 10).
public sealed partial class Deployment
{
    /// <summary>
    /// The account's key-encryption-key versions (which is current, which keyring version wraps
    /// each) and its encryption scopes, read from the store: versions and settings only, never a
    /// key, wrapped or not. AccountNotFound when there is no such account.
    /// </summary>
    public async Task<AccountKeysView> ReadAccountKeysViewAsync(string account, CancellationToken cancellationToken = default)
    {
        var record = await Store.GetAccountAsync(account, cancellationToken).ConfigureAwait(false)
            ?? throw new StorageException(ErrorCode.AccountNotFound);
        var versions = await Store.ListAccountKeyEncryptionKeysAsync(account, cancellationToken).ConfigureAwait(false);
        var scopes = await Scopes.ListAsync(account, cancellationToken).ConfigureAwait(false);
        return new AccountKeysView(
            account,
            record.CipherSuite,
            [.. versions
                .OrderByDescending(kek => kek.Version)
                .Select(kek => new KeyEncryptionKeyView(kek.Version, kek.CreatedOn, kek.Version == record.KeyEncryptionKeyVersion, TenantKeys.WrappingVersion(kek.Wrapped)))],
            [.. scopes
                .OrderBy(scope => scope.Name, StringComparer.Ordinal)
                .Select(scope => new EncryptionScopeView(scope.Name, scope.State, scope.KeySource, scope.CustomerKeyName, scope.CustomerKeyVersion, scope.CreatedOn))]);
    }
}
