using Strongroom.Core;

namespace Strongroom.Storage.Tests;

/// <summary>Listing and compare-and-swapping vault item values (the keyring rewrap's view of the vault).</summary>
public sealed class VaultItemValueStoreTests : StoreTestBase
{
    public override async Task InitializeAsync()
    {
        await base.InitializeAsync();
        await Store.CreateAccountAsync(Account("acct"));
        await Store.CreateAccountAsync(Account("other"));
    }

    private static VaultItemVersion Version(string version, params byte[] wrapped) =>
        new(version, 0, T0, T0, true, null, null, null, [], null, wrapped);

    private Task<VaultItemVersion> AddAsync(string account, VaultItemKind kind, string name, string version, params byte[] wrapped) =>
        Store.AddVaultItemVersionAsync(account, kind, name, name, Version(version, wrapped), _ => false);

    private async Task<List<VaultItemValue>> ListAllAsync(int pageSize)
    {
        var all = new List<VaultItemValue>();
        VaultItemValueKey? after = null;
        do
        {
            var page = await Store.ListVaultItemValuesAsync(after, pageSize);
            Assert.True(page.Values.Count <= pageSize);
            all.AddRange(page.Values);
            after = page.ContinueAfter;
        }
        while (after is not null);

        return all;
    }

    [Fact]
    public async Task Values_of_every_account_kind_and_version_are_listed_in_key_order_deleted_ones_included()
    {
        await AddAsync("other", VaultItemKind.Secret, "s", "v1", 1);
        await AddAsync("acct", VaultItemKind.Key, "k", "v1", 2);
        await AddAsync("acct", VaultItemKind.Secret, "s", "v2", 3);
        await AddAsync("acct", VaultItemKind.Secret, "s", "v1", 4);
        await AddAsync("acct", VaultItemKind.Secret, "gone", "v1", 5);
        await Store.MarkVaultItemDeletedAsync("acct", VaultItemKind.Secret, "gone", T0, T0.AddDays(7), _ => { });

        var expected = new[]
        {
            ("acct", VaultItemKind.Secret, "gone", "v1", (byte)5),
            ("acct", VaultItemKind.Secret, "s", "v1", (byte)4),
            ("acct", VaultItemKind.Secret, "s", "v2", (byte)3),
            ("acct", VaultItemKind.Key, "k", "v1", (byte)2),
            ("other", VaultItemKind.Secret, "s", "v1", (byte)1),
        };
        foreach (var pageSize in new[] { 1, 2, 5, 100 })
        {
            var all = await ListAllAsync(pageSize);
            Assert.Equal(expected, all.Select(v => (v.Key.Account, v.Key.Kind, v.Key.Name, v.Key.Version, v.WrappedValue.Single())));
        }

        // A full last page says "continue" once more; the next one is empty and ends the listing.
        var full = await Store.ListVaultItemValuesAsync(null, 5);
        Assert.Equal(full.Values[^1].Key, full.ContinueAfter);
        var end = await Store.ListVaultItemValuesAsync(full.ContinueAfter, 5);
        Assert.Empty(end.Values);
        Assert.Null(end.ContinueAfter);
        await Assert.ThrowsAsync<ArgumentOutOfRangeException>(() => Store.ListVaultItemValuesAsync(null, 0));
    }

    [Fact]
    public async Task A_replacement_applies_only_over_the_expected_bytes_and_changes_nothing_else()
    {
        var stored = await AddAsync("acct", VaultItemKind.Secret, "s", "v1", 1, 1);
        await AddAsync("acct", VaultItemKind.Key, "k", "v1", 2, 2);
        await AddAsync("acct", VaultItemKind.Secret, "purged", "v1", 3, 3);
        await Store.MarkVaultItemDeletedAsync("acct", VaultItemKind.Secret, "purged", T0, T0.AddDays(7), _ => { });
        await Store.PurgeVaultItemAsync("acct", VaultItemKind.Secret, "purged", _ => { });

        var applied = await Store.ReplaceVaultItemValuesAsync(
        [
            new(new VaultItemValueKey("acct", VaultItemKind.Secret, "s", "v1"), [1, 1], [9, 9]),
            new(new VaultItemValueKey("acct", VaultItemKind.Key, "k", "v1"), [7, 7], [8, 8]), // changed meanwhile
            new(new VaultItemValueKey("acct", VaultItemKind.Secret, "purged", "v1"), [3, 3], [6, 6]), // gone
            new(new VaultItemValueKey("acct", VaultItemKind.Key, "s", "v1"), [1, 1], [5, 5]), // another kind's name
        ]);
        Assert.Equal(1, applied);

        var secret = (await Store.GetVaultItemAsync("acct", VaultItemKind.Secret, "s", "v1"))!.Value.Version;
        Assert.Equal([9, 9], secret.WrappedValue);
        Assert.Equal(stored with { WrappedValue = secret.WrappedValue }, secret with { Tags = stored.Tags });
        Assert.Equal([2, 2], (await Store.GetVaultItemAsync("acct", VaultItemKind.Key, "k", "v1"))!.Value.Version.WrappedValue);
        Assert.Null(await Store.GetVaultItemAsync("acct", VaultItemKind.Secret, "purged", null));
        Assert.Null(await Store.GetVaultItemAsync("acct", VaultItemKind.Key, "s", null));

        // Durable, and a second swap from the old bytes no longer applies.
        await ReopenAsync();
        Assert.Equal([9, 9], (await Store.GetVaultItemAsync("acct", VaultItemKind.Secret, "s", "v1"))!.Value.Version.WrappedValue);
        Assert.Equal(0, await Store.ReplaceVaultItemValuesAsync([new(new VaultItemValueKey("acct", VaultItemKind.Secret, "s", "v1"), [1, 1], [4, 4])]));
        Assert.Equal(0, await Store.ReplaceVaultItemValuesAsync([]));
    }

    [Fact]
    public async Task A_batch_larger_than_the_rewrap_bound_is_refused_whole()
    {
        await AddAsync("acct", VaultItemKind.Secret, "s", "v1", 1);
        var key = new VaultItemValueKey("acct", VaultItemKind.Secret, "s", "v1");
        var tooMany = Enumerable.Repeat(new VaultItemValueReplacement(key, [1], [2]), Limits.RewrapBatchMax + 1).ToList();
        await Assert.ThrowsAsync<ArgumentOutOfRangeException>(() => Store.ReplaceVaultItemValuesAsync(tooMany));
        Assert.Equal([1], (await Store.GetVaultItemAsync("acct", VaultItemKind.Secret, "s", null))!.Value.Version.WrappedValue);
    }
}
