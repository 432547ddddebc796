using Strongroom.Core;

namespace Strongroom.Storage.Tests;

public sealed class AccountAndContainerTests : StoreTestBase
{
    [Fact]
    public async Task Account_round_trips_every_field()
    {
        var created = new AccountRecord("tenant1", [1, 2], [3, 4], [5, 6, 7], new DateTimeOffset(2026, 5, 6, 7, 8, 9, TimeSpan.FromHours(8)).AddTicks(1234567), AccountState.Disabled);
        await Store.CreateAccountAsync(created);

        var read = await Store.GetAccountAsync("tenant1");

        Assert.NotNull(read);
        Assert.Equal(created.Name, read.Name);
        Assert.Equal(created.WrappedSharedKey1, read.WrappedSharedKey1);
        Assert.Equal(created.WrappedSharedKey2, read.WrappedSharedKey2);
        Assert.Equal(created.WrappedKeyEncryptionKey, read.WrappedKeyEncryptionKey);
        Assert.Equal(created.CreatedOn.UtcTicks, read.CreatedOn.UtcTicks);
        Assert.Equal(TimeSpan.Zero, read.CreatedOn.Offset);
        Assert.Equal(AccountState.Disabled, read.State);
    }

    [Fact]
    public async Task Account_create_twice_fails_and_keeps_the_first()
    {
        await Store.CreateAccountAsync(Account("tenant1"));

        var error = await Assert.ThrowsAsync<StorageException>(() => Store.CreateAccountAsync(Account("tenant1") with { WrappedSharedKey1 = [9] }));

        Assert.Equal(ErrorCode.AccountAlreadyExists, error.Code);
        Assert.Equal(new byte[] { 1, 2, 3 }, (await Store.GetAccountAsync("tenant1"))!.WrappedSharedKey1);
    }

    [Fact]
    public async Task Missing_account_is_null_and_not_found_on_change()
    {
        Assert.Null(await Store.GetAccountAsync("nobody"));
        Assert.Equal(ErrorCode.AccountNotFound, (await Assert.ThrowsAsync<StorageException>(() => Store.UpdateAccountSharedKeysAsync("nobody", [1], [2]))).Code);
        Assert.Equal(ErrorCode.AccountNotFound, (await Assert.ThrowsAsync<StorageException>(() => Store.DeleteAccountAsync("nobody"))).Code);
        Assert.Equal(ErrorCode.AccountNotFound, (await Assert.ThrowsAsync<StorageException>(() => Store.CreateContainerAsync(Container("nobody", "cont")))).Code);
        Assert.Equal(ErrorCode.AccountNotFound, (await Assert.ThrowsAsync<StorageException>(() => Store.ListContainersAsync("nobody", "", null, 10))).Code);
    }

    [Fact]
    public async Task Accounts_list_in_name_order_and_keys_update()
    {
        await Store.CreateAccountAsync(Account("zeta"));
        await Store.CreateAccountAsync(Account("alpha"));
        await Store.UpdateAccountSharedKeysAsync("zeta", [42], [43]);

        var accounts = await Store.ListAccountsAsync();

        Assert.Equal(["alpha", "zeta"], accounts.Select(a => a.Name));
        Assert.Equal(new byte[] { 42 }, accounts[1].WrappedSharedKey1);
        Assert.Equal(new byte[] { 43 }, accounts[1].WrappedSharedKey2);
        Assert.Equal(new byte[] { 1, 2, 3 }, accounts[0].WrappedSharedKey1);
    }

    [Fact]
    public async Task Account_delete_removes_everything_under_it_and_returns_its_objects()
    {
        await CreateContainerAsync("acct", "c1");
        await CreateContainerAsync("acct", "c2");
        await CreateContainerAsync("other", "c1");
        var committed = NewObject();
        var staged = NewObject();
        var otherObject = NewObject();
        await Store.CommitBlobAsync(Blob("acct", "c1", "b"), [Part(0, committed)]);
        await Store.PutUncommittedBlockAsync("acct", "c2", "b", new UncommittedBlock("blk", staged, T0));
        await Store.CommitBlobAsync(Blob("other", "c1", "b"), [Part(0, otherObject)]);

        var removed = await Store.DeleteAccountAsync("acct");

        Assert.Equal(Ids([committed, staged]), Ids(removed));
        Assert.Null(await Store.GetAccountAsync("acct"));
        Assert.Null(await Store.GetContainerAsync("acct", "c1"));
        Assert.Null(await Store.GetBlobAsync("acct", "c1", "b"));
        Assert.Equal([otherObject.ObjectId], await Store.ListObjectIdsAsync("site-a"));
        Assert.NotNull(await Store.GetBlobAsync("other", "c1", "b"));
    }

    [Fact]
    public async Task Container_round_trips_with_metadata_order_and_case()
    {
        await Store.CreateAccountAsync(Account("acct"));
        var created = Container("acct", "cont", ("Zeta", "1"), ("alpha", "two words"), ("ALPHA2", "ünïcödé \"quoted\""), ("x", ""));
        await Store.CreateContainerAsync(created);

        var read = await Store.GetContainerAsync("acct", "cont");

        Assert.NotNull(read);
        Assert.Equal(created.Metadata, read.Metadata);
        Assert.Equal(created.ETag, read.ETag);
        Assert.Equal(created.CreatedOn, read.CreatedOn);
        Assert.Equal(created.LastModified, read.LastModified);
        Assert.Null(await Store.GetContainerAsync("acct", "missing"));
    }

    [Fact]
    public async Task Container_create_twice_fails()
    {
        await CreateContainerAsync();

        var error = await Assert.ThrowsAsync<StorageException>(() => Store.CreateContainerAsync(Container("acct", "cont")));

        Assert.Equal(ErrorCode.ContainerAlreadyExists, error.Code);
    }

    [Fact]
    public async Task Container_metadata_set_replaces_metadata_etag_and_time()
    {
        await CreateContainerAsync();
        ContainerRecord? seen = null;

        var updated = await Store.SetContainerMetadataAsync("acct", "cont", [new("k", "v")], "\"new\"", T0.AddHours(1), c => seen = c);

        Assert.Equal("\"c-etag\"", seen!.ETag);
        Assert.Equal("\"new\"", updated.ETag);
        Assert.Equal([new KeyValuePair<string, string>("k", "v")], updated.Metadata);
        Assert.Equal(T0.AddHours(1), updated.LastModified);
        Assert.Equal(T0, updated.CreatedOn);
        Assert.Equal("\"new\"", (await Store.GetContainerAsync("acct", "cont"))!.ETag);
    }

    [Fact]
    public async Task Container_metadata_precondition_failure_changes_nothing()
    {
        await CreateContainerAsync();

        var error = await Assert.ThrowsAsync<StorageException>(() =>
            Store.SetContainerMetadataAsync("acct", "cont", [new("k", "v")], "\"new\"", T0, _ => throw new StorageException(ErrorCode.ConditionNotMet)));

        Assert.Equal(ErrorCode.ConditionNotMet, error.Code);
        var read = await Store.GetContainerAsync("acct", "cont");
        Assert.Equal("\"c-etag\"", read!.ETag);
        Assert.Empty(read.Metadata);
    }

    [Fact]
    public async Task Container_missing_is_not_found_everywhere()
    {
        await Store.CreateAccountAsync(Account("acct"));

        async Task<ErrorCode> Code(Func<Task> action) => (await Assert.ThrowsAsync<StorageException>(action)).Code;

        Assert.Equal(ErrorCode.ContainerNotFound, await Code(() => Store.SetContainerMetadataAsync("acct", "nope", [], "e", T0)));
        Assert.Equal(ErrorCode.ContainerNotFound, await Code(() => Store.DeleteContainerAsync("acct", "nope")));
        Assert.Equal(ErrorCode.ContainerNotFound, await Code(() => Store.CommitBlobAsync(Blob("acct", "nope", "b"), [Part(0, NewObject())])));
        Assert.Equal(ErrorCode.ContainerNotFound, await Code(() => Store.PutUncommittedBlockAsync("acct", "nope", "b", new UncommittedBlock("x", NewObject(), T0))));
        Assert.Equal(ErrorCode.ContainerNotFound, await Code(() => Store.ListBlobsAsync(new BlobListQuery("acct", "nope", "", null, 10))));
        Assert.Equal(ErrorCode.ContainerNotFound, await Code(() => Store.GetUncommittedBlocksAsync("acct", "nope", "b")));
        Assert.Empty(await Store.ListObjectIdsAsync("site-a"));
    }

    [Fact]
    public async Task Container_delete_returns_every_object_of_its_blobs_and_blocks()
    {
        await CreateContainerAsync("acct", "cont");
        await CreateContainerAsync("acct", "keep");
        var a = NewObject();
        var b = NewObject();
        var staged = NewObject();
        var kept = NewObject();
        await Store.CommitBlobAsync(Blob("acct", "cont", "one"), [Part(0, a), Part(1, b)]);
        await Store.PutUncommittedBlockAsync("acct", "cont", "two", new UncommittedBlock("blk", staged, T0));
        await Store.CommitBlobAsync(Blob("acct", "keep", "one"), [Part(0, kept)]);

        var removed = await Store.DeleteContainerAsync("acct", "cont");

        Assert.Equal(Ids([a, b, staged]), Ids(removed));
        Assert.Null(await Store.GetContainerAsync("acct", "cont"));
        Assert.Equal([kept.ObjectId], await Store.ListObjectIdsAsync("site-a"));

        // The name is free again, and nothing of the old container shows through.
        await Store.CreateContainerAsync(Container("acct", "cont"));
        Assert.Empty(await Store.ListBlobsAsync(new BlobListQuery("acct", "cont", "", null, 10)));
        Assert.Empty(await Store.GetUncommittedBlocksAsync("acct", "cont", "two"));
    }

    [Fact]
    public async Task Container_delete_precondition_failure_changes_nothing()
    {
        await CreateContainerAsync();
        var part = NewObject();
        await Store.CommitBlobAsync(Blob("acct", "cont", "b"), [Part(0, part)]);

        await Assert.ThrowsAsync<StorageException>(() =>
            Store.DeleteContainerAsync("acct", "cont", _ => throw new StorageException(ErrorCode.ConditionNotMet)));

        Assert.NotNull(await Store.GetContainerAsync("acct", "cont"));
        Assert.NotNull(await Store.GetBlobAsync("acct", "cont", "b"));
        Assert.Equal([part.ObjectId], await Store.ListObjectIdsAsync("site-a"));
    }

    [Fact]
    public async Task Containers_page_with_prefix_start_and_next_name()
    {
        await Store.CreateAccountAsync(Account("acct"));
        string[] names = ["abc", "abd", "abe", "abf", "b00", "ab", "a"];
        foreach (var name in names)
        {
            await Store.CreateContainerAsync(Container("acct", name));
        }

        var first = await Store.ListContainersAsync("acct", "ab", null, 2);
        Assert.Equal(["ab", "abc"], first.Containers.Select(c => c.Name));
        Assert.Equal("abd", first.NextName);

        var second = await Store.ListContainersAsync("acct", "ab", first.NextName, 2);
        Assert.Equal(["abd", "abe"], second.Containers.Select(c => c.Name));
        Assert.Equal("abf", second.NextName);

        var last = await Store.ListContainersAsync("acct", "ab", second.NextName, 2);
        Assert.Equal(["abf"], last.Containers.Select(c => c.Name));
        Assert.Null(last.NextName);

        var exact = await Store.ListContainersAsync("acct", "", null, names.Length);
        Assert.Equal(names.Order(StringComparer.Ordinal), exact.Containers.Select(c => c.Name));
        Assert.Null(exact.NextName);

        Assert.Empty((await Store.ListContainersAsync("acct", "zz", null, 5)).Containers);
    }
}
