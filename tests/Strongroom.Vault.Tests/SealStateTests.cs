using Strongroom.Core;
using Strongroom.Vault;
using Xunit;

namespace Strongroom.Vault.Tests;

public sealed class SealStateTests : IDisposable
{
    private readonly string directory = Directory.CreateTempSubdirectory("strongroom-seal-").FullName;

    public void Dispose() => Directory.Delete(directory, recursive: true);

    private string SealPath => Path.Combine(directory, "seal");

    private string KeyringPath => Path.Combine(directory, "keyring");

    private UnsealShare[] Initialize(int n, int k, int seed)
    {
        using var rootKey = RootKey.Generate(new SeededRandomSource(seed));
        var seal = SealFile.Create(rootKey, n, k, new SeededRandomSource(seed + 1), out var shares);
        Assert.True(seal.Write(SealPath, overwrite: false));
        using (Keyring.OpenOrCreate(KeyringPath, rootKey, new SeededRandomSource(seed + 2)))
        {
        }

        return shares;
    }

    private SealState NewState() => new(SealPath, KeyringPath, new SeededRandomSource(99));

    private static UnsealShare Copy(UnsealShare share) => UnsealShare.Parse(share.ToText());

    [Fact]
    public void Without_a_seal_file_the_state_is_uninitialised_and_refuses_shares()
    {
        using var state = NewState();
        var other = new SealStateTests();
        try
        {
            var shares = other.Initialize(1, 1, seed: 1);

            Assert.False(state.Status.Initialized);
            Assert.True(state.IsSealed);
            Assert.Equal(SealRejection.InvalidState, Assert.Throws<SealException>(() => state.Submit(Copy(shares[0]))).Rejection);
        }
        finally
        {
            other.Dispose();
        }
    }

    [Fact]
    public void Exactly_k_of_n_shares_unseal_with_progress_and_duplicates_are_ignored()
    {
        var shares = Initialize(5, 3, seed: 2);
        using var state = NewState();

        Assert.Equal(new SealStatus(true, true, 3, 5, 0, state.Status.DeploymentId, 1), state.Status);
        var first = state.Submit(Copy(shares[4]));
        Assert.Equal(1, first.Status.Progress);
        Assert.False(first.DuplicateIgnored);

        var again = state.Submit(Copy(shares[4]));
        Assert.True(again.DuplicateIgnored);
        Assert.Equal(1, again.Status.Progress);

        Assert.Equal(2, state.Submit(Copy(shares[1])).Status.Progress);
        Assert.True(state.IsSealed);
        Assert.Throws<StorageException>(() => state.AcquireKeyring().Dispose());

        var done = state.Submit(Copy(shares[2]));
        Assert.False(done.Status.Sealed);
        Assert.Equal(0, done.Status.Progress);
        using (var lease = state.AcquireKeyring())
        {
            Assert.Equal(1u, lease.Keyring.CurrentVersion);
        }
    }

    [Fact]
    public void A_refused_share_leaves_the_progress_as_it_was()
    {
        var shares = Initialize(3, 2, seed: 3);
        var foreign = new SealStateTests();
        try
        {
            var other = foreign.Initialize(3, 2, seed: 4);
            using var state = NewState();
            state.Submit(Copy(shares[0]));

            var refused = Assert.Throws<SealException>(() => state.Submit(Copy(other[1])));

            Assert.Equal(SealRejection.OtherDeployment, refused.Rejection);
            Assert.Equal(1, state.Status.Progress);
            Assert.False(state.Submit(Copy(shares[1])).Status.Sealed);
        }
        finally
        {
            foreign.Dispose();
        }
    }

    [Fact]
    public void A_missing_keyring_is_reported_instead_of_silently_replaced()
    {
        var shares = Initialize(1, 1, seed: 13);
        File.Delete(KeyringPath);
        using var state = NewState();

        var exception = Assert.Throws<SealException>(() => state.Submit(Copy(shares[0])));

        Assert.Contains("keyring", exception.Message, StringComparison.Ordinal);
        Assert.False(File.Exists(KeyringPath));
        Assert.True(state.IsSealed);
    }

    [Fact]
    public void Reset_forgets_submitted_shares()
    {
        var shares = Initialize(3, 2, seed: 5);
        using var state = NewState();
        state.Submit(Copy(shares[0]));

        Assert.Equal(0, state.ResetProgress().Progress);
        Assert.Equal(1, state.Submit(Copy(shares[1])).Status.Progress);
    }

    [Fact]
    public void Seal_wipes_the_keys_runs_the_hooks_and_tenant_keys_report_vault_sealed()
    {
        var shares = Initialize(2, 2, seed: 6);
        using var state = NewState();
        state.Submit(Copy(shares[0]));
        state.Submit(Copy(shares[1]));
        var tenantKeys = new TenantKeys(state, new SeededRandomSource(7));
        var wrapped = tenantKeys.NewWrappedKeyEncryptionKey("tenant");
        var cleared = 0;
        var registration = state.RegisterSealHook(() => cleared++);

        state.Seal();

        Assert.True(state.IsSealed);
        Assert.Equal(1, cleared);
        var sealedError = Assert.Throws<StorageException>(() => tenantKeys.NewWrappedKeyEncryptionKey("tenant"));
        Assert.Equal(ErrorCode.VaultSealed, sealedError.Code);
        Assert.Equal(ErrorCode.VaultSealed, Assert.Throws<StorageException>(() => tenantKeys.NewSharedKey("tenant", 1)).Code);

        registration.Dispose();
        state.Submit(Copy(shares[1]));
        state.Submit(Copy(shares[0]));
        state.Seal();
        Assert.Equal(1, cleared);

        // Unsealed again, what was wrapped before unwraps.
        state.Submit(Copy(shares[0]));
        state.Submit(Copy(shares[1]));
        using var dataKey = tenantKeys.NewDataKey("tenant", 1, wrapped, new byte[32]);
        Assert.Equal(32, dataKey.Key.Length);
    }

    [Fact]
    public void Update_keyring_gets_the_root_key_while_unsealed_only()
    {
        var shares = Initialize(1, 1, seed: 8);
        using var state = NewState();
        Assert.Equal(ErrorCode.VaultSealed, Assert.Throws<StorageException>(() => state.UpdateKeyring((keyring, _, _) => keyring)).Code);
        state.Submit(Copy(shares[0]));

        string? path = null;
        state.UpdateKeyring((keyring, rootKey, keyringPath) =>
        {
            path = keyringPath;
            Assert.NotNull(rootKey);
            return keyring;
        });

        Assert.Equal(KeyringPath, path);
    }

    [Fact]
    public void Reload_after_a_rekey_forgets_progress_and_takes_the_new_shares()
    {
        var old = Initialize(3, 2, seed: 9);
        using var state = NewState();
        state.Submit(Copy(old[0]));
        var seal = SealFile.Read(SealPath);
        using var rootKey = seal.Open([Copy(old[0]), Copy(old[1])]);
        seal.Rekey(rootKey, 2, 2, new SeededRandomSource(10), out var fresh).Write(SealPath, overwrite: true);

        state.Reload();

        Assert.Equal(0, state.Status.Progress);
        Assert.Equal(SealRejection.OtherGeneration, Assert.Throws<SealException>(() => state.Submit(Copy(old[1]))).Rejection);
        state.Submit(Copy(fresh[0]));
        Assert.False(state.Submit(Copy(fresh[1])).Status.Sealed);
    }

    [Fact]
    public async Task Concurrent_key_use_and_sealing_never_use_a_wiped_keyring()
    {
        var shares = Initialize(1, 1, seed: 11);
        using var state = NewState();
        state.Submit(Copy(shares[0]));
        var tenantKeys = new TenantKeys(state, new SeededRandomSource(12));
        var wrapped = tenantKeys.NewWrappedKeyEncryptionKey("tenant");

        var workers = Enumerable.Range(0, 4).Select(_ => Task.Run(() =>
        {
            for (var i = 0; i < 500; i++)
            {
                try
                {
                    using var key = tenantKeys.NewDataKey("tenant", 1, wrapped, new byte[32]);
                }
                catch (StorageException exception) when (exception.Code == ErrorCode.VaultSealed)
                {
                }
            }
        })).ToArray();
        for (var round = 0; round < 20; round++)
        {
            state.Seal();
            state.Submit(Copy(shares[0]));
        }

        await Task.WhenAll(workers);
        using var last = tenantKeys.NewDataKey("tenant", 1, wrapped, new byte[32]);
    }
}
