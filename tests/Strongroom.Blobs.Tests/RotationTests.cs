using Xunit;
using Strongroom.Core;
using Strongroom.Vault;

namespace Strongroom.Blobs.Tests;

public sealed class RotationTests : IAsyncLifetime
{
    private BlobServiceFixture fixture = null!;

    public async Task InitializeAsync()
    {
        fixture = await BlobServiceFixture.CreateAsync();
        await fixture.Blobs.CreateContainerAsync(BlobServiceFixture.Account, "box", []);
    }

    public async Task DisposeAsync() => await fixture.DisposeAsync();

    [Fact]
    public async Task Keyring_rotation_keeps_old_data_readable_and_new_values_use_the_new_version()
    {
        var before = BlobServiceFixture.Pattern(5000, 1);
        await fixture.PutAsync("box", "before", before);

        var version = fixture.RotateKeyring();
        Assert.Equal(2u, version);
        await fixture.Accounts.CreateAsync("tenantc");
        var created = await fixture.Store.GetAccountAsync("tenantc");
        Assert.Equal(2u, TenantKeys.WrappingVersion(created!.WrappedSharedKey1));
        Assert.Equal(2u, TenantKeys.WrappingVersion(created.WrappedKeyEncryptionKey));

        var after = BlobServiceFixture.Pattern(7000, 2);
        await fixture.PutAsync("box", "after", after);
        Assert.Equal(before, await fixture.ReadAllAsync("box", "before"));
        Assert.Equal(after, await fixture.ReadAllAsync("box", "after"));
        Assert.NotNull(await fixture.Blobs.GetSharedKeysAsync(BlobServiceFixture.Account));
    }

    [Fact]
    public async Task Rewrap_moves_every_platform_wrapped_value_to_the_current_version()
    {
        await fixture.PutAsync("box", "blob", BlobServiceFixture.Pattern(100, 3));
        var keysBefore = await fixture.Blobs.GetSharedKeysAsync(BlobServiceFixture.Account);
        fixture.RotateKeyring();

        var usage = await fixture.Rewrapper.CountAsync();
        Assert.Equal(4, usage.SharedKeysByKeyringVersion[1]);
        Assert.Equal(2, usage.KeyEncryptionKeysByKeyringVersion[1]);

        var counts = await fixture.Rewrapper.RunAsync();
        Assert.Equal(new RewrapCounts(4, 2, 0, 0, 0, 0), counts);

        usage = await fixture.Rewrapper.CountAsync();
        Assert.Equal([2u], usage.SharedKeysByKeyringVersion.Keys);
        Assert.Equal([2u], usage.KeyEncryptionKeysByKeyringVersion.Keys);
        Assert.Equal(RewrapCounts.None, await fixture.Rewrapper.RunAsync());

        // The keys themselves did not change: clients keep authenticating, data keeps reading.
        var keysAfter = await fixture.Blobs.GetSharedKeysAsync(BlobServiceFixture.Account);
        Assert.Equal(keysBefore!.Key1, keysAfter!.Key1);
        Assert.Equal(keysBefore.Key2, keysAfter.Key2);
        Assert.Equal(BlobServiceFixture.Pattern(100, 3), await fixture.ReadAllAsync("box", "blob"));
    }

    [Fact]
    public async Task Rewrap_moves_platform_scope_keys_and_leaves_scoped_data_keys_alone()
    {
        await fixture.Scopes.CreateAsync(BlobServiceFixture.Account, "tenant-scope", EncryptionScopeKeySource.Platform, null);
        var content = BlobServiceFixture.Pattern(2000, 6);
        await using (var body = new MemoryStream(content))
        {
            await fixture.Blobs.PutBlobAsync(
                new PutBlobRequest(BlobServiceFixture.Account, "box", "scoped", BlobHttpHeaders.Empty, [], AccessConditions.None, TransactionalChecksums.None) { Encryption = new BlobEncryptionOptions("tenant-scope") },
                body);
        }

        fixture.RotateKeyring();
        Assert.Equal(3, (await fixture.Rewrapper.CountAsync()).KeyEncryptionKeysByKeyringVersion[1]);

        var counts = await fixture.Rewrapper.RunAsync();
        Assert.Equal(0, counts.Failed);
        var scope = await fixture.Store.GetEncryptionScopeAsync(BlobServiceFixture.Account, "tenant-scope");
        Assert.Equal(2u, TenantKeys.WrappingVersion(scope!.WrappedKeyEncryptionKey));
        Assert.Equal([2u], (await fixture.Rewrapper.CountAsync()).KeyEncryptionKeysByKeyringVersion.Keys);
        Assert.Equal(content, await fixture.ReadAllAsync("box", "scoped"));
    }

    [Fact]
    public async Task Account_key_rotation_wraps_new_data_keys_with_the_new_version_and_old_ones_keep_reading()
    {
        var old = BlobServiceFixture.Pattern(3000, 4);
        await fixture.PutAsync("box", "old", old);
        var oldSiteFiles = fixture.SiteFiles().ToDictionary(path => path, File.ReadAllBytes);

        Assert.Equal(2u, await fixture.Accounts.RotateKeyEncryptionKeyAsync(BlobServiceFixture.Account));
        var fresh = BlobServiceFixture.Pattern(3000, 5);
        await fixture.PutAsync("box", "new", fresh);

        Assert.Equal(1u, await DataKeyVersionAsync("old"));
        Assert.Equal(2u, await DataKeyVersionAsync("new"));
        Assert.Equal(old, await fixture.ReadAllAsync("box", "old"));
        Assert.Equal(fresh, await fixture.ReadAllAsync("box", "new"));

        var counts = await fixture.Rewrapper.RunAsync();
        Assert.Equal(1, counts.DataKeys);
        Assert.Equal(2u, await DataKeyVersionAsync("old"));
        Assert.Equal(old, await fixture.ReadAllAsync("box", "old"));
        Assert.Equal(fresh, await fixture.ReadAllAsync("box", "new"));

        // Rewrapping never touches ciphertext.
        foreach (var (path, bytes) in oldSiteFiles)
        {
            Assert.Equal(bytes, File.ReadAllBytes(path));
        }

        var usage = Assert.Single((await fixture.Rewrapper.CountAsync()).Accounts, a => a.Account == BlobServiceFixture.Account);
        Assert.Equal(2u, usage.CurrentKeyEncryptionKeyVersion);
        Assert.Equal([1u, 2u], usage.KeyEncryptionKeyVersions);
        Assert.Equal(0, usage.DataKeysByKeyEncryptionKeyVersion.GetValueOrDefault(1u));
        Assert.Equal(2, usage.DataKeysByKeyEncryptionKeyVersion[2u]);
    }

    [Fact]
    public async Task Uncommitted_blocks_are_rewrapped_and_still_commit()
    {
        await fixture.StageAsync("box", "staged", BlobServiceFixture.BlockId(1), BlobServiceFixture.Pattern(100, 6));
        await fixture.Accounts.RotateKeyEncryptionKeyAsync(BlobServiceFixture.Account);
        fixture.RotateKeyring();

        var counts = await fixture.Rewrapper.RunAsync();

        Assert.Equal(1, counts.DataKeys);
        Assert.Equal(4, counts.SharedKeys);
        Assert.Equal(3, counts.KeyEncryptionKeys);
        await fixture.CommitAsync("box", "staged", new BlockListEntry(BlockListKind.Uncommitted, BlobServiceFixture.BlockId(1)));
        Assert.Equal(BlobServiceFixture.Pattern(100, 6), await fixture.ReadAllAsync("box", "staged"));
        Assert.Equal(2u, await DataKeyVersionAsync("staged"));
    }

    [Fact]
    public async Task An_overwrite_or_delete_during_a_rewrap_is_not_undone()
    {
        await fixture.PutAsync("box", "overwritten", BlobServiceFixture.Pattern(100, 7));
        await fixture.PutAsync("box", "deleted", BlobServiceFixture.Pattern(100, 8));
        await fixture.PutAsync("box", "kept", BlobServiceFixture.Pattern(100, 9));
        var deletedObject = Assert.Single((await fixture.Store.GetBlobWithPartsAsync(BlobServiceFixture.Account, "box", "deleted"))!.Value.Parts).Object.ObjectId;
        await fixture.Accounts.RotateKeyEncryptionKeyAsync(BlobServiceFixture.Account);

        var replacement = BlobServiceFixture.Pattern(200, 10);
        fixture.Rewrapper.BeforeSwap = async _ =>
        {
            fixture.Rewrapper.BeforeSwap = null;
            await fixture.PutAsync("box", "overwritten", replacement);
            await fixture.Blobs.DeleteBlobAsync(BlobServiceFixture.Account, "box", "deleted", AccessConditions.None);
        };

        var counts = await fixture.Rewrapper.RunAsync();

        Assert.Equal(1, counts.DataKeys);
        Assert.Equal(2, counts.Skipped);
        Assert.Equal(replacement, await fixture.ReadAllAsync("box", "overwritten"));
        Assert.Equal(ErrorCode.BlobNotFound, (await Assert.ThrowsAsync<StorageException>(() => fixture.ReadAllAsync("box", "deleted"))).Code);
        Assert.DoesNotContain(deletedObject, await fixture.Store.ListObjectIdsAsync(fixture.Site.Id));
        Assert.Equal(BlobServiceFixture.Pattern(100, 9), await fixture.ReadAllAsync("box", "kept"));
        Assert.Equal(RewrapCounts.None, await fixture.Rewrapper.RunAsync());
    }

    [Fact]
    public async Task The_cache_holds_unwrapped_account_keys_one_per_version()
    {
        // Dropping them when the account is destroyed: Strongroom.Destruction.Tests.
        await fixture.PutAsync("box", "one", BlobServiceFixture.Pattern(10, 11));
        Assert.Equal(1, fixture.Cache.Count);
        await fixture.Accounts.RotateKeyEncryptionKeyAsync(BlobServiceFixture.Account);
        await fixture.PutAsync("box", "two", BlobServiceFixture.Pattern(10, 12));
        Assert.Equal(2, fixture.Cache.Count);
    }

    [Fact]
    public async Task Cached_shared_keys_follow_a_key_renewal_and_a_rewrap()
    {
        var first = await fixture.Blobs.GetSharedKeysAsync(BlobServiceFixture.Account);
        Assert.Equal(2, fixture.Cache.Count);
        Assert.Equal(first!.Key1, (await fixture.Blobs.GetSharedKeysAsync(BlobServiceFixture.Account))!.Key1);

        var renewed = await fixture.Accounts.RenewKeyAsync(BlobServiceFixture.Account, 1);

        var afterRenewal = await fixture.Blobs.GetSharedKeysAsync(BlobServiceFixture.Account);
        Assert.Equal(renewed.Key1, Convert.ToBase64String(afterRenewal!.Key1));
        Assert.NotEqual(first.Key1, afterRenewal.Key1);
        Assert.Equal(first.Key2, afterRenewal.Key2);

        fixture.RotateKeyring();
        await fixture.Rewrapper.RunAsync();
        var afterRewrap = await fixture.Blobs.GetSharedKeysAsync(BlobServiceFixture.Account);
        Assert.Equal(afterRenewal.Key1, afterRewrap!.Key1);
        Assert.Equal(afterRenewal.Key2, afterRewrap.Key2);
    }

    [Fact]
    public async Task Rotating_the_key_of_an_unknown_account_fails()
    {
        var error = await Assert.ThrowsAsync<StorageException>(() => fixture.Accounts.RotateKeyEncryptionKeyAsync("nosuchacct"));
        Assert.Equal(ErrorCode.AccountNotFound, error.Code);
    }

    private async Task<uint> DataKeyVersionAsync(string blob)
    {
        var found = await fixture.Store.GetBlobWithPartsAsync(BlobServiceFixture.Account, "box", blob);
        return TenantKeys.WrappingVersion(Assert.Single(found!.Value.Parts).Object.WrappedDataKey);
    }
}
