using Xunit;
using Strongroom.Core;
using Strongroom.KeyVault;
using Strongroom.Storage;
using Strongroom.Vault;

namespace Strongroom.Blobs.Tests;

/// <summary>The tenants' Key Vault items (secret values, key material) after a keyring rotation: rewrapped, still readable.</summary>
public sealed class VaultItemRewrapTests : IAsyncLifetime
{
    private const string Account = BlobServiceFixture.Account;

    private static readonly byte[] KeyToWrap = Enumerable.Range(0, 32).Select(i => (byte)i).ToArray();

    private BlobServiceFixture fixture = null!;
    private KeyVaultService vault = null!;

    public async Task InitializeAsync()
    {
        fixture = await BlobServiceFixture.CreateAsync();
        vault = new KeyVaultService(fixture.Store, fixture.Keys, fixture.Audit, fixture.Time, new SeededRandomSource(33));
    }

    public async Task DisposeAsync() => await fixture.DisposeAsync();

    [Fact]
    public async Task Secrets_and_keys_live_and_deleted_move_to_the_current_keyring_version_and_still_read()
    {
        var first = await vault.SetSecretAsync(Account, "Db-Password", "one");
        await vault.SetSecretAsync(Account, "Db-Password", "two");
        await vault.SetSecretAsync(Account, "retired", "bye");
        await vault.DeleteSecretAsync(Account, "retired");
        await vault.SetSecretAsync(BlobServiceFixture.OtherAccount, "other", "theirs");
        await vault.CreateKeyAsync(Account, "sym", new CreateKeyRequest("oct", 256));
        var wrapped = await vault.WrapKeyAsync(Account, "sym", null, "A256KW", KeyToWrap);
        await vault.CreateKeyAsync(Account, "old-key", new CreateKeyRequest("oct", 128));
        var oldWrapped = await vault.WrapKeyAsync(Account, "old-key", null, "A128KW", KeyToWrap);
        await vault.DeleteKeyAsync(Account, "old-key");

        Assert.Equal(2u, fixture.RotateKeyring());
        var before = await fixture.Rewrapper.CountAsync();
        Assert.Equal(new Dictionary<uint, int> { [1] = 4 }, before.VaultSecretsByKeyringVersion);
        Assert.Equal(new Dictionary<uint, int> { [1] = 2 }, before.VaultKeysByKeyringVersion);

        var counts = await fixture.Rewrapper.RunAsync();
        Assert.Equal(6, counts.VaultItemValues);
        Assert.Equal((0, 0), (counts.Skipped, counts.Failed));

        var after = await fixture.Rewrapper.CountAsync();
        Assert.Equal(new Dictionary<uint, int> { [2] = 4 }, after.VaultSecretsByKeyringVersion);
        Assert.Equal(new Dictionary<uint, int> { [2] = 2 }, after.VaultKeysByKeyringVersion);
        Assert.All(await AllValuesAsync(), value => Assert.Equal(2u, TenantKeys.WrappingVersion(value.WrappedValue)));
        Assert.Equal(RewrapCounts.None, await fixture.Rewrapper.RunAsync());

        // The values did not change: every version reads back through the service.
        Assert.Equal("two", (await vault.GetSecretAsync(Account, "db-password")).Value);
        Assert.Equal("one", (await vault.GetSecretAsync(Account, "DB-PASSWORD", first.Properties.Version)).Value);
        Assert.Equal("theirs", (await vault.GetSecretAsync(BlobServiceFixture.OtherAccount, "other")).Value);
        Assert.Equal(KeyToWrap, (await vault.UnwrapKeyAsync(Account, "sym", null, "A256KW", wrapped.Value)).Value);

        // Deleted items stay recoverable, with their values.
        await vault.RecoverDeletedSecretAsync(Account, "retired");
        Assert.Equal("bye", (await vault.GetSecretAsync(Account, "retired")).Value);
        await vault.RecoverDeletedKeyAsync(Account, "old-key");
        Assert.Equal(KeyToWrap, (await vault.UnwrapKeyAsync(Account, "old-key", null, "A128KW", oldWrapped.Value)).Value);
    }

    [Fact]
    public async Task A_rewrapped_value_unwraps_only_under_its_own_binding()
    {
        await vault.SetSecretAsync(Account, "s", "value");
        fixture.RotateKeyring();
        await fixture.Rewrapper.RunAsync();

        var value = Assert.Single(await AllValuesAsync());
        var key = value.Key;
        var plain = fixture.Keys.UnwrapVaultItem(key.Account, "secret", key.Name, key.Version, value.WrappedValue);
        Assert.Equal("value"u8.ToArray(), plain);
        Assert.Equal(ErrorCode.IntegrityCheckFailed, Assert.Throws<StorageException>(() => fixture.Keys.UnwrapVaultItem(key.Account, "key", key.Name, key.Version, value.WrappedValue)).Code);
        Assert.Equal(ErrorCode.IntegrityCheckFailed, Assert.Throws<StorageException>(() => fixture.Keys.UnwrapVaultItem(key.Account, "secret", "t", key.Version, value.WrappedValue)).Code);
    }

    [Fact]
    public async Task A_purge_or_a_new_version_during_a_pass_is_never_undone()
    {
        await vault.SetSecretAsync(Account, "kept", "old");
        await vault.SetSecretAsync(Account, "purged", "secret");
        await vault.DeleteSecretAsync(Account, "purged");
        fixture.RotateKeyring();

        // Between reading the vault's values and swapping them in: purge one, add a version to the other.
        var raced = false;
        fixture.Rewrapper.BeforeSwap = async cancellationToken =>
        {
            var account = await fixture.Store.GetAccountAsync(Account, cancellationToken);
            if (raced || TenantKeys.WrappingVersion(account!.WrappedSharedKey1) != 2)
            {
                return; // still the accounts' batch
            }

            raced = true;
            await vault.PurgeDeletedSecretAsync(Account, "purged", cancellationToken);
            await vault.SetSecretAsync(Account, "kept", "new", cancellationToken: cancellationToken);
        };

        var counts = await fixture.Rewrapper.RunAsync();
        Assert.True(raced);
        Assert.Equal(1, counts.VaultItemValues);
        Assert.Equal(1, counts.Skipped);

        Assert.Equal("new", (await vault.GetSecretAsync(Account, "kept")).Value);
        Assert.Equal(2, (await vault.ListSecretVersionsAsync(Account, "kept", null, null)).Items.Count);
        Assert.Empty((await vault.ListDeletedSecretsAsync(Account, null, null)).Items);
        var values = await AllValuesAsync();
        Assert.Equal(["kept", "kept"], values.Select(v => v.Key.Name));
        Assert.All(values, value => Assert.Equal(2u, TenantKeys.WrappingVersion(value.WrappedValue)));
    }

    [Fact]
    public async Task Vault_items_are_rewrapped_in_bounded_batches()
    {
        var swaps = 0;
        for (var i = 0; i < Limits.RewrapBatchMax + 3; i++)
        {
            await vault.SetSecretAsync(Account, $"s{i:D3}", $"v{i}");
        }

        fixture.RotateKeyring();
        fixture.Rewrapper.BeforeSwap = _ =>
        {
            swaps++;
            return Task.CompletedTask;
        };
        var counts = await fixture.Rewrapper.RunAsync();

        Assert.Equal(Limits.RewrapBatchMax + 3, counts.VaultItemValues);
        Assert.Equal(3, swaps); // the accounts' batch, then two pages of vault items
        Assert.Equal(new Dictionary<uint, int> { [2] = Limits.RewrapBatchMax + 3 }, (await fixture.Rewrapper.CountAsync()).VaultSecretsByKeyringVersion);
        Assert.Equal($"v{Limits.RewrapBatchMax + 2}", (await vault.GetSecretAsync(Account, $"s{Limits.RewrapBatchMax + 2:D3}")).Value);
    }

    [Fact]
    public async Task A_damaged_vault_value_is_counted_as_failed_and_left_alone()
    {
        await vault.SetSecretAsync(Account, "good", "fine");
        await vault.SetSecretAsync(Account, "moved", "elsewhere");
        fixture.RotateKeyring();

        // A value copied onto another item's row does not unwrap there (it is bound to its own name).
        var values = await AllValuesAsync();
        var good = values.Single(v => v.Key.Name == "good");
        var moved = values.Single(v => v.Key.Name == "moved");
        Assert.Equal(1, await fixture.Store.ReplaceVaultItemValuesAsync([new VaultItemValueReplacement(moved.Key, moved.WrappedValue, good.WrappedValue)]));

        var counts = await fixture.Rewrapper.RunAsync();
        Assert.Equal(1, counts.VaultItemValues);
        Assert.Equal(1, counts.Failed);
        Assert.Equal(good.WrappedValue, (await AllValuesAsync()).Single(v => v.Key.Name == "moved").WrappedValue);
        Assert.Equal("fine", (await vault.GetSecretAsync(Account, "good")).Value);
    }

    private async Task<List<VaultItemValue>> AllValuesAsync()
    {
        var all = new List<VaultItemValue>();
        VaultItemValueKey? after = null;
        do
        {
            var page = await fixture.Store.ListVaultItemValuesAsync(after, Limits.RewrapBatchMax);
            all.AddRange(page.Values);
            after = page.ContinueAfter;
        }
        while (after is not null);

        return all;
    }
}
