using System.Globalization;
using Strongroom.Audit;
using Strongroom.Core;
using Strongroom.Placement;
using Strongroom.Storage;

namespace Strongroom.Blobs;

/// <summary>
/// Account (tenant) administration, used by the CLI and the --dev bootstrap. Every change is
/// recorded in the account's transparency log in the same transaction as the change; creation
/// and deletion also in the platform log.
/// </summary>
public sealed partial class AccountService
{
    /// <summary>Creates an account with two random 512-bit keys (or the given key1, for the
    /// well-known development account). AccountAlreadyExists / InvalidResourceName.</summary>
    public Task<AccountDetails> CreateAsync(string name, byte[]? key1 = null, CancellationToken cancellationToken = default) =>
        CreateAsync(name, CipherSuites.Default, key1, cancellationToken);

    /// <summary>Creates an account whose objects are all written with <paramref name="suite"/> (fixed for its life).</summary>
    public Task<AccountDetails> CreateAsync(string name, CipherSuite suite, byte[]? key1 = null, CancellationToken cancellationToken = default) =>
        CreateAsync(name, suite, placementRequest: null, key1, cancellationToken);

    /// <summary>
    /// Creates an account with a placement policy built from <paramref name="placementRequest"/>
    /// over the deployment's default (null: the default itself), validated against the topology
    /// (InvalidPlacementPolicy, PlacementPolicyNotSatisfiable) before anything is created.
    /// </summary>
    public async Task<AccountDetails> CreateAsync(string name, CipherSuite suite, PlacementPolicyRequest? placementRequest, byte[]? key1 = null, CancellationToken cancellationToken = default)
    {
        if (!CipherSuites.IsKnown(suite))
        {
            throw new ArgumentOutOfRangeException(nameof(suite), suite, "Unknown cipher suite.");
        }

        if (!Names.IsValidAccountName(name))
        {
            throw new StorageException(ErrorCode.InvalidResourceName, "An account name is 3 to 24 characters, lowercase letters and digits only.");
        }

        if (ReservedPaths.IsReservedAccountName(name))
        {
            throw new StorageException(ErrorCode.InvalidResourceName, $"The account name '{name}' is reserved: the Key Vault API serves that path.");
        }

        if (TransparencyLog.IsReservedAccountName(name))
        {
            throw new StorageException(ErrorCode.InvalidResourceName, $"The account name '{name}' is reserved: the platform's transparency log is named so.");
        }

        var policy = placementRequest is null ? placement.DefaultPolicy() : placement.Build(placementRequest, current: null);
        var (firstKey, wrappedFirst) = key1 is null ? keys.NewSharedKey(name, 1) : (key1, keys.WrapSharedKey(name, 1, key1));
        var (secondKey, wrappedSecond) = keys.NewSharedKey(name, 2);
        var record = new AccountRecord(name, wrappedFirst, wrappedSecond, keys.NewWrappedKeyEncryptionKey(name), time.GetUtcNow(), AccountState.Enabled, suite) { Placement = policy };
        IReadOnlyList<KeyValuePair<string, string>> details =
        [
            new("cipherSuite", CipherSuites.Name(suite)),
            new("residency", string.Join(",", policy.Residency)),
            new("primaryRegion", policy.PrimaryRegion),
            new("secondaryRegion", policy.SecondaryRegion ?? string.Empty),
            new("redundancy", policy.Redundancy.ToString()),
        ];
        await store.CreateAccountAsync(record, audit: audit.Entry(name, AuditActions.CreateAccount, "/" + name, details: details), cancellationToken: cancellationToken).ConfigureAwait(false);

        // The platform log cannot join the create's transaction (one entry per write); it is
        // recorded right after, and the command fails if it cannot be (the account's own log
        // already holds the creation).
        await audit.RecordAsync(audit.Entry(AuditLogs.Platform, AuditActions.CreateAccount, "/" + name, details: details), cancellationToken).ConfigureAwait(false);
        return new AccountDetails(name, record.State, record.CreatedOn, Convert.ToBase64String(firstKey), Convert.ToBase64String(secondKey), record.CipherSuite);
    }

    public async Task<IReadOnlyList<AccountDetails>> ListAsync(CancellationToken cancellationToken = default)
    {
        var accounts = await store.ListAccountsAsync(cancellationToken).ConfigureAwait(false);
        return accounts.Select(Describe).ToList();
    }

    /// <summary>AccountNotFound when absent.</summary>
    public async Task<AccountDetails> GetAsync(string name, CancellationToken cancellationToken = default) =>
        Describe(await RequireAsync(name, cancellationToken).ConfigureAwait(false));

    /// <summary>Replaces key1 or key2 (<paramref name="slot"/> 1 or 2) with a new random key; the other stays valid.</summary>
    public async Task<AccountDetails> RenewKeyAsync(string name, int slot, CancellationToken cancellationToken = default)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(slot, 1);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(slot, 2);
        var record = await RequireAsync(name, cancellationToken).ConfigureAwait(false);
        var (_, wrapped) = keys.NewSharedKey(name, slot);
        await store.UpdateAccountSharedKeysAsync(
            name,
            slot == 1 ? wrapped : record.WrappedSharedKey1,
            slot == 2 ? wrapped : record.WrappedSharedKey2,
            audit: audit.Entry(name, AuditActions.RegenerateAccountKey, "/" + name, details: [new("key", slot == 1 ? "key1" : "key2")]),
            cancellationToken: cancellationToken).ConfigureAwait(false);
        return await GetAsync(name, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>
    /// Adds a new version of the account's key-encryption key and returns it: new data keys are
    /// wrapped by it from now on; older versions keep unwrapping the data keys they wrapped until
    /// the rewrapper moves those over. AccountNotFound when absent.
    /// </summary>
    public async Task<uint> RotateKeyEncryptionKeyAsync(string name, CancellationToken cancellationToken = default)
    {
        // The entry names the new version, so it is built before the transaction from the version
        // read now; should a concurrent rotation take that number first, the transaction aborts
        // (nothing changes) and the rotation starts over with the next number.
        for (var attempt = 1; ; attempt++)
        {
            var current = await RequireAsync(name, cancellationToken).ConfigureAwait(false);
            var expected = current.KeyEncryptionKeyVersion + 1;
            var entry = audit.Entry(name, AuditActions.RotateAccountKeyEncryptionKey, "/" + name, details: [new("version", expected.ToString(CultureInfo.InvariantCulture))]);
            try
            {
                var added = await store.AddAccountKeyEncryptionKeyAsync(
                    name,
                    version => version == expected ? keys.NewWrappedKeyEncryptionKey(name, version) : throw new ConcurrentRotationException(),
                    time.GetUtcNow(),
                    audit: entry,
                    cancellationToken: cancellationToken).ConfigureAwait(false);
                return added.Version;
            }
            catch (ConcurrentRotationException) when (attempt < Limits.CommitRetriesMax)
            {
            }
        }
    }

    private sealed class ConcurrentRotationException : Exception;

    private async Task<AccountRecord> RequireAsync(string name, CancellationToken cancellationToken) =>
        await store.GetAccountAsync(name, cancellationToken).ConfigureAwait(false)
            ?? throw new StorageException(ErrorCode.AccountNotFound);

    // A destroyed account (issue 7) has no shared keys left to show.
    private AccountDetails Describe(AccountRecord record) => new(
        record.Name,
        record.State,
        record.CreatedOn,
        record.State == AccountState.Destroyed ? string.Empty : Convert.ToBase64String(keys.UnwrapSharedKey(record.Name, 1, record.WrappedSharedKey1)),
        record.State == AccountState.Destroyed ? string.Empty : Convert.ToBase64String(keys.UnwrapSharedKey(record.Name, 2, record.WrappedSharedKey2)),
        record.CipherSuite);
}
