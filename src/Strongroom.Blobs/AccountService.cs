namespace Strongroom.Blobs;

// CONTRACT STUB: account administration (used by the CLI and the --dev bootstrap).
public sealed partial class AccountService
{
    /// <summary>Creates an account with two random 512-bit keys (or the given key1, for the
    /// well-known development account). AccountAlreadyExists / InvalidResourceName.</summary>
    public Task<AccountDetails> CreateAsync(string name, byte[]? key1 = null, CancellationToken cancellationToken = default) => throw new NotImplementedException();

    public Task<IReadOnlyList<AccountDetails>> ListAsync(CancellationToken cancellationToken = default) => throw new NotImplementedException();

    /// <summary>AccountNotFound when absent.</summary>
    public Task<AccountDetails> GetAsync(string name, CancellationToken cancellationToken = default) => throw new NotImplementedException();

    /// <summary>Replaces key1 or key2 (<paramref name="slot"/> 1 or 2) with a new random key.</summary>
    public Task<AccountDetails> RenewKeyAsync(string name, int slot, CancellationToken cancellationToken = default) => throw new NotImplementedException();

    /// <summary>Deletes the account, its metadata and its ciphertext on every site.</summary>
    public Task DeleteAsync(string name, CancellationToken cancellationToken = default) => throw new NotImplementedException();
}
