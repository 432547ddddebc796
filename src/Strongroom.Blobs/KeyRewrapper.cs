using Strongroom.Core;
using Strongroom.Crypto;
using Strongroom.Storage;
using Strongroom.Vault;

namespace Strongroom.Blobs;

/// <summary>
/// Moves wrapped keys off old key versions after a rotation: accounts' shared keys and
/// key-encryption keys, platform-managed scope keys and the values of the tenants' Key Vault
/// items (secrets and key material, of every version, deleted-but-recoverable ones included)
/// wrapped by a keyring version that is no longer current, and data keys wrapped by an account
/// key-encryption-key version that is no longer the account's newest. The keys and values
/// themselves do not change, so blob ciphertext is never touched.
///
/// It works in bounded batches (<see cref="Limits.RewrapBatchMax"/>), each one metadata
/// transaction of compare-and-swaps on the stored wrapped bytes: a value overwritten or deleted
/// since it was read is left as it is, never resurrected. It is safe to run beside writers, in
/// several processes, and to stop at any point; a later run carries on. Old versions are kept
/// (see <see cref="Keyring"/>): a writer that read its account before a rotation may still wrap
/// with the previous version, which a later pass moves over.
/// </summary>
public sealed class KeyRewrapper(IMetadataStore store, TenantKeys keys, IKeyVaultStore vaultItems)
{
    /// <summary>Test hook: runs after a batch's replacements are computed and before they are swapped in.</summary>
    internal Func<CancellationToken, Task>? BeforeSwap { get; set; }

    /// <summary>One full pass: accounts first, then every stored object's data key, then every vault item value. Returns what it did.</summary>
    public async Task<RewrapCounts> RunAsync(CancellationToken cancellationToken = default)
    {
        var counts = await RewrapAccountsAsync(cancellationToken).ConfigureAwait(false);
        counts += await RewrapDataKeysAsync(cancellationToken).ConfigureAwait(false);
        return counts + await RewrapVaultItemsAsync(cancellationToken).ConfigureAwait(false);
    }

    /// <summary>How many wrapped values use each key version (for <c>strongroom vault status</c>).</summary>
    public async Task<KeyUsage> CountAsync(CancellationToken cancellationToken = default)
    {
        var sharedKeys = new SortedDictionary<uint, int>();
        var keyEncryptionKeys = new SortedDictionary<uint, int>();
        var perAccount = new SortedDictionary<string, (uint Current, IReadOnlyList<uint> Versions, SortedDictionary<uint, int> DataKeys)>(StringComparer.Ordinal);
        foreach (var account in await store.ListAccountsAsync(cancellationToken).ConfigureAwait(false))
        {
            Increment(sharedKeys, TenantKeys.WrappingVersion(account.WrappedSharedKey1));
            Increment(sharedKeys, TenantKeys.WrappingVersion(account.WrappedSharedKey2));
            var versions = await store.ListAccountKeyEncryptionKeysAsync(account.Name, cancellationToken).ConfigureAwait(false);
            foreach (var kek in versions)
            {
                Increment(keyEncryptionKeys, TenantKeys.WrappingVersion(kek.Wrapped));
            }

            foreach (var scope in await store.ListEncryptionScopesAsync(account.Name, cancellationToken).ConfigureAwait(false))
            {
                if (scope.KeySource == EncryptionScopeKeySource.Platform)
                {
                    Increment(keyEncryptionKeys, TenantKeys.WrappingVersion(scope.WrappedKeyEncryptionKey));
                }
            }

            perAccount[account.Name] = (account.KeyEncryptionKeyVersion, versions.Select(kek => kek.Version).ToList(), []);
        }

        string? after = null;
        do
        {
            var page = await store.ListObjectKeysAsync(after, Limits.RewrapBatchMax, cancellationToken).ConfigureAwait(false);
            foreach (var key in page.Keys)
            {
                if (perAccount.TryGetValue(key.Account, out var account))
                {
                    Increment(account.DataKeys, TenantKeys.WrappingVersion(key.WrappedDataKey));
                }
            }

            after = page.ContinueAfter;
        }
        while (after is not null);

        var secrets = new SortedDictionary<uint, int>();
        var vaultKeys = new SortedDictionary<uint, int>();
        VaultItemValueKey? afterValue = null;
        do
        {
            var page = await vaultItems.ListVaultItemValuesAsync(afterValue, Limits.RewrapBatchMax, cancellationToken).ConfigureAwait(false);
            foreach (var value in page.Values)
            {
                Increment(value.Key.Kind == VaultItemKind.Secret ? secrets : vaultKeys, TenantKeys.WrappingVersion(value.WrappedValue));
            }

            afterValue = page.ContinueAfter;
        }
        while (afterValue is not null);

        return new KeyUsage(
            sharedKeys,
            keyEncryptionKeys,
            perAccount.Select(pair => new AccountKeyUsage(pair.Key, pair.Value.Current, pair.Value.Versions, pair.Value.DataKeys)).ToList())
        {
            VaultSecretsByKeyringVersion = secrets,
            VaultKeysByKeyringVersion = vaultKeys,
        };
    }

    private async Task<RewrapCounts> RewrapAccountsAsync(CancellationToken cancellationToken)
    {
        var current = keys.PlatformKeyVersion;
        var counts = RewrapCounts.None;
        var batch = new List<WrappedKeyReplacement>();
        foreach (var account in await store.ListAccountsAsync(cancellationToken).ConfigureAwait(false))
        {
            foreach (var (slot, wrapped) in new[] { (1, account.WrappedSharedKey1), (2, account.WrappedSharedKey2) })
            {
                if (TenantKeys.WrappingVersion(wrapped) != current)
                {
                    counts += Attempt(() => batch.Add(new WrappedKeyReplacement(WrappedKeyKind.SharedKey, account.Name, slot, wrapped, keys.RewrapSharedKey(account.Name, slot, wrapped))));
                    counts += await SwapIfFullAsync(batch, cancellationToken).ConfigureAwait(false);
                }
            }

            foreach (var kek in await store.ListAccountKeyEncryptionKeysAsync(account.Name, cancellationToken).ConfigureAwait(false))
            {
                if (TenantKeys.WrappingVersion(kek.Wrapped) != current)
                {
                    counts += Attempt(() => batch.Add(new WrappedKeyReplacement(WrappedKeyKind.AccountKeyEncryptionKey, account.Name, kek.Version, kek.Wrapped, keys.RewrapKeyEncryptionKey(account.Name, kek.Version, kek.Wrapped))));
                    counts += await SwapIfFullAsync(batch, cancellationToken).ConfigureAwait(false);
                }
            }

            // Platform-managed scope keys are keyring-wrapped too; customer-managed ones belong to the tenant's vault.
            foreach (var scope in await store.ListEncryptionScopesAsync(account.Name, cancellationToken).ConfigureAwait(false))
            {
                if (scope.KeySource == EncryptionScopeKeySource.Platform && TenantKeys.WrappingVersion(scope.WrappedKeyEncryptionKey) != current)
                {
                    counts += Attempt(() => batch.Add(new WrappedKeyReplacement(WrappedKeyKind.ScopeKeyEncryptionKey, account.Name, 0, scope.WrappedKeyEncryptionKey, keys.RewrapPlatformScopeKey(account.Name, scope.Name, scope.WrappedKeyEncryptionKey), scope.Name)));
                    counts += await SwapIfFullAsync(batch, cancellationToken).ConfigureAwait(false);
                }
            }
        }

        return counts + await SwapAsync(batch, cancellationToken).ConfigureAwait(false);
    }

    private async Task<RewrapCounts> RewrapDataKeysAsync(CancellationToken cancellationToken)
    {
        var counts = RewrapCounts.None;
        var accountKeys = new Dictionary<string, IReadOnlyList<AccountKeyEncryptionKey>>(StringComparer.Ordinal);
        // The binding's hash is the account's cipher suite (fixed at creation).
        var suites = (await store.ListAccountsAsync(cancellationToken).ConfigureAwait(false)).ToDictionary(account => account.Name, account => account.CipherSuite, StringComparer.Ordinal);
        var batch = new List<WrappedKeyReplacement>();
        string? after = null;
        do
        {
            var page = await store.ListObjectKeysAsync(after, Limits.RewrapBatchMax, cancellationToken).ConfigureAwait(false);
            foreach (var key in page.Keys)
            {
                if (!accountKeys.TryGetValue(key.Account, out var versions))
                {
                    versions = await store.ListAccountKeyEncryptionKeysAsync(key.Account, cancellationToken).ConfigureAwait(false);
                    accountKeys[key.Account] = versions;
                }

                if (versions.Count == 0)
                {
                    counts += RewrapCounts.OneSkipped; // the account was deleted meanwhile
                    continue;
                }

                var newest = versions[^1];
                var version = TenantKeys.WrappingVersion(key.WrappedDataKey);
                if (version == newest.Version)
                {
                    continue;
                }

                var from = versions.FirstOrDefault(kek => kek.Version == version);
                if (from is null)
                {
                    counts += RewrapCounts.OneFailed;
                    continue;
                }

                if (!suites.TryGetValue(key.Account, out var suite))
                {
                    counts += RewrapCounts.OneSkipped; // an account created after this pass began
                    continue;
                }

                var binding = ObjectBinding.Digest(suite, key.Account, key.Container, key.Blob, key.ObjectId);
                counts += Attempt(() => batch.Add(new WrappedKeyReplacement(WrappedKeyKind.DataKey, key.ObjectId, 0, key.WrappedDataKey, keys.RewrapDataKey(key.Account, from, newest, key.WrappedDataKey, binding))));
            }

            counts += await SwapAsync(batch, cancellationToken).ConfigureAwait(false);
            after = page.ContinueAfter;
        }
        while (after is not null);

        return counts;
    }

    /// <summary>
    /// Every version of every vault item, live or soft-deleted (a deleted item must stay
    /// recoverable, so its value moves too), page by page; each page is one batch of
    /// compare-and-swaps, so a version purged or an item purged and set anew meanwhile is left as it is.
    /// </summary>
    private async Task<RewrapCounts> RewrapVaultItemsAsync(CancellationToken cancellationToken)
    {
        var current = keys.PlatformKeyVersion;
        var counts = RewrapCounts.None;
        var batch = new List<VaultItemValueReplacement>();
        VaultItemValueKey? after = null;
        do
        {
            var page = await vaultItems.ListVaultItemValuesAsync(after, Limits.RewrapBatchMax, cancellationToken).ConfigureAwait(false);
            foreach (var value in page.Values)
            {
                if (TenantKeys.WrappingVersion(value.WrappedValue) == current)
                {
                    continue;
                }

                var key = value.Key;
                counts += Attempt(() => batch.Add(new VaultItemValueReplacement(key, value.WrappedValue, keys.RewrapVaultItem(key.Account, key.Kind.Tag(), key.Name, key.Version, value.WrappedValue))));
            }

            if (batch.Count > 0)
            {
                if (BeforeSwap is { } hook)
                {
                    await hook(cancellationToken).ConfigureAwait(false);
                }

                var applied = await vaultItems.ReplaceVaultItemValuesAsync(batch, cancellationToken).ConfigureAwait(false);
                counts += new RewrapCounts(0, 0, 0, applied, batch.Count - applied, 0);
                batch.Clear();
            }

            after = page.ContinueAfter;
        }
        while (after is not null);

        return counts;
    }

    /// <summary>A value that does not unwrap (damaged, or bound elsewhere) is counted and left alone.</summary>
    private static RewrapCounts Attempt(Action prepare)
    {
        try
        {
            prepare();
            return RewrapCounts.None;
        }
        catch (StorageException exception) when (exception.Code == ErrorCode.IntegrityCheckFailed)
        {
            return RewrapCounts.OneFailed;
        }
    }

    private Task<RewrapCounts> SwapIfFullAsync(List<WrappedKeyReplacement> batch, CancellationToken cancellationToken) =>
        batch.Count >= Limits.RewrapBatchMax ? SwapAsync(batch, cancellationToken) : Task.FromResult(RewrapCounts.None);

    private async Task<RewrapCounts> SwapAsync(List<WrappedKeyReplacement> batch, CancellationToken cancellationToken)
    {
        if (batch.Count == 0)
        {
            return RewrapCounts.None;
        }

        if (BeforeSwap is { } hook)
        {
            await hook(cancellationToken).ConfigureAwait(false);
        }

        var applied = await store.ReplaceWrappedKeysAsync(batch, cancellationToken).ConfigureAwait(false);
        var counts = new RewrapCounts(
            batch.Count(r => r.Kind == WrappedKeyKind.SharedKey),
            batch.Count(r => r.Kind == WrappedKeyKind.AccountKeyEncryptionKey),
            batch.Count(r => r.Kind == WrappedKeyKind.DataKey),
            VaultItemValues: 0,
            Skipped: 0,
            Failed: 0);

        // Which ones lost their compare-and-swap is not reported per value: the totals stay honest
        // by moving the difference from the kinds to Skipped, data keys first (the usual race).
        var lost = batch.Count - applied;
        batch.Clear();
        var dataKeysLost = Math.Min(lost, counts.DataKeys);
        var keyEncryptionKeysLost = Math.Min(lost - dataKeysLost, counts.KeyEncryptionKeys);
        var sharedKeysLost = lost - dataKeysLost - keyEncryptionKeysLost;
        return new RewrapCounts(counts.SharedKeys - sharedKeysLost, counts.KeyEncryptionKeys - keyEncryptionKeysLost, counts.DataKeys - dataKeysLost, 0, lost, 0);
    }

    private static void Increment(SortedDictionary<uint, int> counts, uint version) =>
        counts[version] = counts.GetValueOrDefault(version) + 1;
}

/// <summary>
/// What a rewrap pass did: values moved to the current version, by kind (vault item values are
/// the tenants' Key Vault secrets and key material, one per version); values that changed or
/// vanished meanwhile (left alone); values that did not unwrap (damaged; left alone).
/// </summary>
public sealed record RewrapCounts(int SharedKeys, int KeyEncryptionKeys, int DataKeys, int VaultItemValues, int Skipped, int Failed)
{
    public static readonly RewrapCounts None = new(0, 0, 0, 0, 0, 0);

    internal static readonly RewrapCounts OneSkipped = new(0, 0, 0, 0, 1, 0);

    internal static readonly RewrapCounts OneFailed = new(0, 0, 0, 0, 0, 1);

    public int Rewrapped => SharedKeys + KeyEncryptionKeys + DataKeys + VaultItemValues;

    public static RewrapCounts operator +(RewrapCounts left, RewrapCounts right)
    {
        ArgumentNullException.ThrowIfNull(left);
        ArgumentNullException.ThrowIfNull(right);
        return new(left.SharedKeys + right.SharedKeys, left.KeyEncryptionKeys + right.KeyEncryptionKeys, left.DataKeys + right.DataKeys, left.VaultItemValues + right.VaultItemValues, left.Skipped + right.Skipped, left.Failed + right.Failed);
    }
}

/// <summary>
/// How many wrapped values each key version protects: accounts' shared keys and key-encryption
/// keys by keyring version, and each account's data keys by key-encryption-key version; the
/// tenants' vault secret and key values (one per version, deleted items included) by keyring version.
/// </summary>
public sealed record KeyUsage(
    IReadOnlyDictionary<uint, int> SharedKeysByKeyringVersion,
    IReadOnlyDictionary<uint, int> KeyEncryptionKeysByKeyringVersion,
    IReadOnlyList<AccountKeyUsage> Accounts)
{
    public IReadOnlyDictionary<uint, int> VaultSecretsByKeyringVersion { get; init; } = new Dictionary<uint, int>();

    public IReadOnlyDictionary<uint, int> VaultKeysByKeyringVersion { get; init; } = new Dictionary<uint, int>();
}

public sealed record AccountKeyUsage(
    string Account,
    uint CurrentKeyEncryptionKeyVersion,
    IReadOnlyList<uint> KeyEncryptionKeyVersions,
    IReadOnlyDictionary<uint, int> DataKeysByKeyEncryptionKeyVersion);
