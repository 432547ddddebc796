using Strongroom.Core;

namespace Strongroom.Storage.Tests;

/// <summary>Stored access policies in the store (issue 8): replaced as a whole, ordered, following their container into soft delete and back, gone with it.</summary>
public sealed class AccessPolicyStoreTests : StoreTestBase
{
    private static readonly SignedIdentifier Readers = new("readers", T0, T0.AddDays(30), "rl");
    private static readonly SignedIdentifier Open = new("open", null, null, null);

    [Fact]
    public async Task Set_replaces_the_policies_in_order_and_gives_the_container_a_new_etag()
    {
        await CreateContainerAsync("acct", "cont");
        var updated = await Store.SetContainerAccessPoliciesAsync("acct", "cont", [Readers, Open], "0x2", T0.AddMinutes(1));

        Assert.Equal("0x2", updated.ETag);
        Assert.Equal(T0.AddMinutes(1), updated.LastModified);
        var read = await Store.GetContainerAccessPoliciesAsync("acct", "cont");
        Assert.NotNull(read);
        Assert.Equal([Readers, Open], read.Value.Policies);

        await Store.SetContainerAccessPoliciesAsync("acct", "cont", [Open], "0x3", T0.AddMinutes(2));
        Assert.Equal([Open], (await Store.GetContainerAccessPoliciesAsync("acct", "cont"))!.Value.Policies);
        await Store.SetContainerAccessPoliciesAsync("acct", "cont", [], "0x4", T0.AddMinutes(3));
        Assert.Empty((await Store.GetContainerAccessPoliciesAsync("acct", "cont"))!.Value.Policies);
    }

    [Fact]
    public async Task A_failed_precondition_or_a_missing_container_changes_nothing()
    {
        await CreateContainerAsync("acct", "cont");
        await Store.SetContainerAccessPoliciesAsync("acct", "cont", [Readers], "0x2", T0);

        await Assert.ThrowsAsync<StorageException>(() => Store.SetContainerAccessPoliciesAsync("acct", "cont", [Open], "0x3", T0, _ => throw new StorageException(ErrorCode.ConditionNotMet)));
        var missing = await Assert.ThrowsAsync<StorageException>(() => Store.SetContainerAccessPoliciesAsync("acct", "absent", [Open], "0x3", T0));

        Assert.Equal(ErrorCode.ContainerNotFound, missing.Code);
        Assert.Null(await Store.GetContainerAccessPoliciesAsync("acct", "absent"));
        var kept = (await Store.GetContainerAccessPoliciesAsync("acct", "cont"))!.Value;
        Assert.Equal([Readers], kept.Policies);
        Assert.Equal("0x2", kept.Container.ETag);
    }

    [Fact]
    public async Task Policies_follow_soft_delete_and_restore_and_never_reach_a_new_container_of_the_name()
    {
        await CreateContainerAsync("acct", "cont");
        await Store.SetContainerAccessPoliciesAsync("acct", "cont", [Readers], "0x2", T0);

        await Store.SoftDeleteContainerAsync("acct", "cont", "01DC0000000000AA", T0, T0.AddDays(7));
        await CreateContainerAsync("acct", "cont");
        Assert.Empty((await Store.GetContainerAccessPoliciesAsync("acct", "cont"))!.Value.Policies);
        await Store.DeleteContainerAsync("acct", "cont");

        await Store.RestoreContainerAsync("acct", "cont", "01DC0000000000AA", T0.AddDays(1));
        Assert.Equal([Readers], (await Store.GetContainerAccessPoliciesAsync("acct", "cont"))!.Value.Policies);

        await Store.DeleteContainerAsync("acct", "cont");
        await CreateContainerAsync("acct", "cont");
        Assert.Empty((await Store.GetContainerAccessPoliciesAsync("acct", "cont"))!.Value.Policies);
    }
}
