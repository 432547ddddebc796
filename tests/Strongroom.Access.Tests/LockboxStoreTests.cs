using Strongroom.Audit;
using Strongroom.Core;

namespace Strongroom.Access.Tests;

/// <summary>The store's compare-and-swap: a change applies only to the row as read, and commits with its entry or not at all.</summary>
public sealed class LockboxStoreTests : LockboxTestBase
{
    [Fact]
    public async Task A_stale_change_applies_nothing_and_appends_nothing()
    {
        var request = await Lockbox.RequestAsync(Olga, Spec());
        var byTenant = request with { TenantApprover = "acme/tina", TenantApprovedOn = Fixture.Time.GetUtcNow() };
        var bySecurity = request with { SecurityApprover = "sam", SecurityApprovedOn = Fixture.Time.GetUtcNow() };
        var entry = Fixture.Audit.Entry(Account, AuditActions.LockboxApprove, "/acme/photos");

        Assert.True(await Fixture.Store.ChangeLockboxRequestAsync(request, byTenant, entry));

        // Read before the tenant's approval: it would erase it, so it does not apply.
        Assert.False(await Fixture.Store.ChangeLockboxRequestAsync(request, bySecurity, entry));
        Assert.False(await Fixture.Store.ChangeLockboxRequestAsync(request, request with { State = LockboxState.Denied }, entry));
        Assert.Equal(byTenant, await Fixture.Store.GetLockboxRequestAsync(request.Id));
        Assert.Equal(2, (await LockboxEntriesAsync()).Count);

        // A duplicate id is refused, with no entry.
        await Assert.ThrowsAsync<StorageException>(() => Fixture.Store.InsertLockboxRequestAsync(request, entry));
        Assert.Equal(2, (await LockboxEntriesAsync()).Count);
    }

    [Fact]
    public async Task Rows_round_trip_and_list_newest_first_with_filters()
    {
        var first = await ApprovedAsync();
        Fixture.Time.Advance(TimeSpan.FromMinutes(1));
        var second = await Lockbox.RequestAsync(Otto, Spec(account: OtherAccount, prefix: null, access: LockboxAccess.Metadata, hours: 8));

        Assert.Equal(first, await Fixture.Store.GetLockboxRequestAsync(first.Id));
        Assert.Equal(second, await Fixture.Store.GetLockboxRequestAsync(second.Id));
        Assert.Null(await Fixture.Store.GetLockboxRequestAsync("lbx-ffffffffffffffff"));
        Assert.Equal([second.Id, first.Id], (await Fixture.Store.ListLockboxRequestsAsync(null, null, null, 10)).Select(r => r.Id));
        Assert.Equal([first.Id], (await Fixture.Store.ListLockboxRequestsAsync(Account, null, null, 10)).Select(r => r.Id));
        Assert.Equal([second.Id], (await Fixture.Store.ListLockboxRequestsAsync(null, "otto", null, 10)).Select(r => r.Id));
        Assert.Equal([first.Id], (await Fixture.Store.ListLockboxRequestsAsync(null, null, LockboxState.Approved, 10)).Select(r => r.Id));
        Assert.Empty(await Fixture.Store.ListDueLockboxRequestsAsync(Fixture.Time.GetUtcNow(), 10));
        Assert.Equal(2, (await Fixture.Store.ListDueLockboxRequestsAsync(Fixture.Time.GetUtcNow() + TimeSpan.FromDays(4), 10)).Count);
    }
}
