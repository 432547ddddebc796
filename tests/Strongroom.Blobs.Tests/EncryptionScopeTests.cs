using System.Security.Cryptography;
using Strongroom.Core;
using Xunit;

namespace Strongroom.Blobs.Tests;

/// <summary>Encryption scopes through the service: management, per-object keys, container policy, disable/enable, customer-managed keys.</summary>
public sealed class EncryptionScopeTests : IAsyncLifetime
{
    private const string Account = BlobServiceFixture.Account;
    private BlobServiceFixture fixture = null!;

    private BlobService Blobs => fixture.Blobs;

    private EncryptionScopeService Scopes => fixture.Scopes;

    public async Task InitializeAsync()
    {
        fixture = await BlobServiceFixture.CreateAsync();
        await Blobs.CreateContainerAsync(Account, "box", []);
        await Scopes.CreateAsync(Account, "scope-a", EncryptionScopeKeySource.Platform, null);
        await Scopes.CreateAsync(Account, "scope-b", EncryptionScopeKeySource.Platform, null);
    }

    public async Task DisposeAsync() => await fixture.DisposeAsync();

    private Task<BlobWriteResult> PutAsync(string container, string blob, byte[] content, string? scope) =>
        Blobs.PutBlobAsync(
            new PutBlobRequest(Account, container, blob, BlobHttpHeaders.Empty, [], AccessConditions.None, TransactionalChecksums.None) { Encryption = new BlobEncryptionOptions(scope) },
            new MemoryStream(content));

    private static async Task<ErrorCode> FailsAsync(Func<Task> action) => (await Assert.ThrowsAsync<StorageException>(action)).Code;

    [Fact]
    public async Task Create_list_show_disable_enable()
    {
        var created = await Scopes.GetAsync(Account, "scope-a");
        Assert.Equal(EncryptionScopeState.Enabled, created.State);
        Assert.Equal(EncryptionScopeKeySource.Platform, created.KeySource);
        Assert.Equal(["scope-a", "scope-b"], (await Scopes.ListAsync(Account)).Select(scope => scope.Name));
        Assert.Empty(await Scopes.ListAsync(BlobServiceFixture.OtherAccount));

        Assert.Equal(EncryptionScopeState.Disabled, (await Scopes.SetStateAsync(Account, "scope-a", EncryptionScopeState.Disabled)).State);
        Assert.Equal(EncryptionScopeState.Disabled, (await Scopes.GetAsync(Account, "scope-a")).State);
        Assert.Equal(EncryptionScopeState.Enabled, (await Scopes.SetStateAsync(Account, "scope-a", EncryptionScopeState.Enabled)).State);
    }

    [Theory]
    [InlineData("ab")]
    [InlineData("-abc")]
    [InlineData("abc-")]
    [InlineData("a--b")]
    [InlineData("ABC")]
    [InlineData("a_b")]
    [InlineData("$account-encryption-key")]
    public async Task Azure_naming_rules_are_enforced(string name) =>
        Assert.Equal(ErrorCode.InvalidResourceName, await FailsAsync(() => Scopes.CreateAsync(Account, name, EncryptionScopeKeySource.Platform, null)));

    [Fact]
    public async Task Creating_failures()
    {
        Assert.Equal(ErrorCode.EncryptionScopeAlreadyExists, await FailsAsync(() => Scopes.CreateAsync(Account, "scope-a", EncryptionScopeKeySource.Platform, null)));
        Assert.Equal(ErrorCode.AccountNotFound, await FailsAsync(() => Scopes.CreateAsync("nosuchaccount", "scope-a", EncryptionScopeKeySource.Platform, null)));
        Assert.Equal(ErrorCode.EncryptionScopeNotFound, await FailsAsync(() => Scopes.GetAsync(Account, "nope")));
        Assert.Equal(ErrorCode.EncryptionScopeNotFound, await FailsAsync(() => Scopes.SetStateAsync(Account, "nope", EncryptionScopeState.Disabled)));
        await Assert.ThrowsAsync<ArgumentException>(() => Scopes.CreateAsync(Account, "cmk", EncryptionScopeKeySource.Customer, null));
        await Assert.ThrowsAsync<ArgumentException>(() => Scopes.CreateAsync(Account, "cmk", EncryptionScopeKeySource.Platform, "vaultkey"));

        // No such vault key: nothing is created.
        Assert.Equal(ErrorCode.CustomerManagedKeyUnavailable, await FailsAsync(() => Scopes.CreateAsync(Account, "cmk", EncryptionScopeKeySource.Customer, "missing")));
        Assert.Equal(ErrorCode.EncryptionScopeNotFound, await FailsAsync(() => Scopes.GetAsync(Account, "cmk")));
    }

    [Fact]
    public async Task A_scoped_write_reads_back_and_records_its_scope_per_object()
    {
        var content = BlobServiceFixture.Pattern(150_000, 3);
        var result = await PutAsync("box", "scoped", content, "scope-a");
        Assert.Equal("scope-a", result.EncryptionScope);
        Assert.Equal(content, await fixture.ReadAllAsync("box", "scoped"));
        Assert.Equal("scope-a", (await Blobs.GetBlobPropertiesAsync(Account, "box", "scoped", AccessConditions.None)).EncryptionScope);

        var stored = (await fixture.Store.GetBlobWithPartsAsync(Account, "box", "scoped"))!.Value;
        Assert.Equal("scope-a", stored.Parts.Single().Object.EncryptionScope);

        // The account key and another scope cannot unwrap it: the data key is under the scope's KEK.
        var plain = await PutAsync("box", "plain", content, null);
        Assert.Null(plain.EncryptionScope);
        Assert.Null((await fixture.Store.GetBlobWithPartsAsync(Account, "box", "plain"))!.Value.Parts.Single().Object.EncryptionScope);
    }

    [Fact]
    public async Task The_account_key_name_means_no_scope()
    {
        var result = await PutAsync("box", "explicit", [1, 2, 3], "$account-encryption-key");
        Assert.Null(result.EncryptionScope);
        Assert.Equal([1, 2, 3], await fixture.ReadAllAsync("box", "explicit"));
    }

    [Fact]
    public async Task Unknown_scope_is_refused_on_writes_and_container_defaults()
    {
        Assert.Equal(ErrorCode.EncryptionScopeNotFound, await FailsAsync(() => PutAsync("box", "x", [1], "nosuchscope")));
        Assert.Equal(ErrorCode.EncryptionScopeNotFound, await FailsAsync(() => Blobs.CreateContainerAsync(Account, "withdefault", [], "nosuchscope", false)));

        // Scopes are per account: another account's scope does not exist here.
        await Blobs.CreateContainerAsync(BlobServiceFixture.OtherAccount, "box", []);
        await Assert.ThrowsAsync<StorageException>(() => Blobs.PutBlobAsync(
            new PutBlobRequest(BlobServiceFixture.OtherAccount, "box", "x", BlobHttpHeaders.Empty, [], AccessConditions.None, TransactionalChecksums.None) { Encryption = new BlobEncryptionOptions("scope-a") },
            new MemoryStream([1])));
    }

    [Fact]
    public async Task Container_default_applies_and_deny_override_forbids_other_scopes()
    {
        var open = await Blobs.CreateContainerAsync(Account, "open", [], "scope-a", false);
        Assert.Equal("scope-a", open.DefaultEncryptionScope);
        Assert.False(open.DenyEncryptionScopeOverride);
        Assert.Equal("scope-a", (await PutAsync("open", "default", [1], null)).EncryptionScope);
        Assert.Equal("scope-b", (await PutAsync("open", "override", [2], "scope-b")).EncryptionScope);
        Assert.Null((await PutAsync("open", "accountkey", [3], "$account-encryption-key")).EncryptionScope);

        var locked = await Blobs.CreateContainerAsync(Account, "locked", [], "scope-a", true);
        Assert.True((await Blobs.GetContainerAsync(Account, "locked")).DenyEncryptionScopeOverride);
        Assert.Equal("scope-a", (await PutAsync("locked", "default", [1], null)).EncryptionScope);
        Assert.Equal("scope-a", (await PutAsync("locked", "same", [1], "scope-a")).EncryptionScope);
        Assert.Equal(ErrorCode.EncryptionScopeForbiddenByContainerPolicy, await FailsAsync(() => PutAsync("locked", "other", [1], "scope-b")));
        Assert.Equal(ErrorCode.EncryptionScopeForbiddenByContainerPolicy, await FailsAsync(() => PutAsync("locked", "account", [1], "$account-encryption-key")));
        Assert.Equal(ErrorCode.EncryptionScopeForbiddenByContainerPolicy, await FailsAsync(() => Blobs.PutBlockAsync(
            new PutBlockRequest(Account, "locked", "blocks", BlobServiceFixture.BlockId(1), TransactionalChecksums.None) { Encryption = new BlobEncryptionOptions("scope-b") },
            new MemoryStream([1]))));

        using var key = CustomerProvidedKey.Take(RandomNumberGenerator.GetBytes(32));
        Assert.Equal(ErrorCode.EncryptionScopeForbiddenByContainerPolicy, await FailsAsync(() => Blobs.PutBlobAsync(
            new PutBlobRequest(Account, "locked", "cpk", BlobHttpHeaders.Empty, [], AccessConditions.None, TransactionalChecksums.None) { Encryption = new BlobEncryptionOptions(null, key) },
            new MemoryStream([1]))));
    }

    [Fact]
    public async Task Disabled_scope_fails_reads_and_writes_until_enabled()
    {
        var content = BlobServiceFixture.Pattern(1000, 9);
        await PutAsync("box", "scoped", content, "scope-a");
        await Blobs.CreateContainerAsync(Account, "defaulted", [], "scope-a", false);
        await Scopes.SetStateAsync(Account, "scope-a", EncryptionScopeState.Disabled);

        Assert.Equal(ErrorCode.EncryptionScopeDisabled, await FailsAsync(() => fixture.ReadAllAsync("box", "scoped")));
        Assert.Equal(ErrorCode.EncryptionScopeDisabled, await FailsAsync(() => Blobs.GetBlobPropertiesAsync(Account, "box", "scoped", AccessConditions.None)));
        Assert.Equal(ErrorCode.EncryptionScopeDisabled, await FailsAsync(() => Blobs.SetBlobMetadataAsync(Account, "box", "scoped", [new("k", "v")], AccessConditions.None)));
        Assert.Equal(ErrorCode.EncryptionScopeDisabled, await FailsAsync(() => PutAsync("box", "new", content, "scope-a")));
        Assert.Equal(ErrorCode.EncryptionScopeDisabled, await FailsAsync(() => PutAsync("defaulted", "new", content, null)));
        Assert.Equal(ErrorCode.EncryptionScopeDisabled, await FailsAsync(() => Blobs.CreateContainerAsync(Account, "later", [], "scope-a", false)));

        // Other scopes and the account key are untouched; the blob is still listed.
        await PutAsync("box", "other", content, "scope-b");
        Assert.Equal(content, await fixture.ReadAllAsync("box", "other"));
        Assert.Contains((await Blobs.ListBlobsAsync(Account, "box", null, null, null, 100)).Items, item => item.Blob?.Name == "scoped");

        await Scopes.SetStateAsync(Account, "scope-a", EncryptionScopeState.Enabled);
        Assert.Equal(content, await fixture.ReadAllAsync("box", "scoped"));
        await PutAsync("defaulted", "new", content, null);
        Assert.Equal(content, await fixture.ReadAllAsync("defaulted", "new"));
    }

    [Fact]
    public async Task Blocks_combine_under_one_scope_and_a_commit_under_another_is_refused()
    {
        var first = BlobServiceFixture.Pattern(70_000, 1);
        var second = BlobServiceFixture.Pattern(10, 2);
        foreach (var (id, content) in new[] { (1, first), (2, second) })
        {
            var staged = await Blobs.PutBlockAsync(
                new PutBlockRequest(Account, "box", "blocks", BlobServiceFixture.BlockId(id), TransactionalChecksums.None) { Encryption = new BlobEncryptionOptions("scope-a") },
                new MemoryStream(content));
            Assert.Equal("scope-a", staged.EncryptionScope);
        }

        BlockListEntry[] list = [new(BlockListKind.Latest, BlobServiceFixture.BlockId(1)), new(BlockListKind.Latest, BlobServiceFixture.BlockId(2))];
        PutBlockListRequest Commit(string? scope) => new(Account, "box", "blocks", list, BlobHttpHeaders.Empty, [], AccessConditions.None) { Encryption = new BlobEncryptionOptions(scope) };

        Assert.Equal(ErrorCode.BlobCustomerSpecifiedEncryptionMismatch, await FailsAsync(() => Blobs.PutBlockListAsync(Commit("scope-b"))));
        Assert.Equal(ErrorCode.BlobCustomerSpecifiedEncryptionMismatch, await FailsAsync(() => Blobs.PutBlockListAsync(Commit(null))));
        var committed = await Blobs.PutBlockListAsync(Commit("scope-a"));
        Assert.Equal("scope-a", committed.EncryptionScope);
        Assert.Equal(first.Concat(second).ToArray(), await fixture.ReadAllAsync("box", "blocks"));
    }

    [Fact]
    public async Task Set_metadata_may_name_the_blobs_own_scope_only()
    {
        await PutAsync("box", "scoped", [1], "scope-a");
        var updated = await Blobs.SetBlobMetadataAsync(Account, "box", "scoped", [new("a", "1")], AccessConditions.None, new BlobEncryptionOptions("scope-a"));
        Assert.Equal("scope-a", updated.EncryptionScope);
        Assert.Equal(ErrorCode.BlobCustomerSpecifiedEncryptionMismatch, await FailsAsync(() => Blobs.SetBlobMetadataAsync(Account, "box", "scoped", [], AccessConditions.None, new BlobEncryptionOptions("scope-b"))));
        Assert.Equal("scope-a", (await Blobs.GetBlobPropertiesAsync(Account, "box", "scoped", AccessConditions.None)).EncryptionScope);
    }

    [Fact]
    public async Task Customer_managed_scope_becomes_unreadable_at_once_when_its_vault_key_is_disabled()
    {
        fixture.CustomerKeys.Add(Account, "vault-key");
        var scope = await Scopes.CreateAsync(Account, "cmk", EncryptionScopeKeySource.Customer, "vault-key");
        Assert.Equal(EncryptionScopeKeySource.Customer, scope.KeySource);
        Assert.Equal("vault-key", scope.CustomerKeyName);
        Assert.Equal("v1", scope.CustomerKeyVersion);

        var content = BlobServiceFixture.Pattern(200_000, 5);
        await PutAsync("box", "one", content, "cmk");
        await PutAsync("box", "two", content, "cmk");
        await PutAsync("box", "platform", content, "scope-a");
        Assert.Equal(content, await fixture.ReadAllAsync("box", "one"));

        fixture.CustomerKeys.SetEnabled(Account, "vault-key", enabled: false);
        Assert.Equal(ErrorCode.CustomerManagedKeyUnavailable, await FailsAsync(() => fixture.ReadAllAsync("box", "one")));
        Assert.Equal(ErrorCode.CustomerManagedKeyUnavailable, await FailsAsync(() => fixture.ReadAllAsync("box", "two")));
        Assert.Equal(ErrorCode.CustomerManagedKeyUnavailable, await FailsAsync(() => PutAsync("box", "three", content, "cmk")));
        Assert.Equal(content, await fixture.ReadAllAsync("box", "platform"));

        fixture.CustomerKeys.SetEnabled(Account, "vault-key", enabled: true);
        Assert.Equal(content, await fixture.ReadAllAsync("box", "one"));
        Assert.Equal(content, await fixture.ReadAllAsync("box", "two"));
    }
}
