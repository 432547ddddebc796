using Strongroom.Audit;
using Strongroom.Core;

namespace Strongroom.Access.Tests;

public sealed class LockboxExpiryTests : LockboxTestBase
{
    [Fact]
    public async Task An_unanswered_request_expires_after_four_days()
    {
        var request = await Lockbox.RequestAsync(Olga, Spec());
        await Lockbox.ApproveAsync(Tina, request.Id);

        Fixture.Time.Advance(TimeSpan.FromDays(4) - TimeSpan.FromSeconds(1));
        Assert.Equal(0, await Lockbox.ExpireDueAsync());
        Assert.Equal(LockboxState.Requested, (await Lockbox.GetAsync(Sam, request.Id)).State);

        Fixture.Time.Advance(TimeSpan.FromSeconds(1));
        Assert.Equal(ErrorCode.InvalidAccessState, await RefusedAsync(() => Lockbox.ApproveAsync(Sam, request.Id)));
        var expired = await Lockbox.GetAsync(Olga, request.Id);
        Assert.Equal((LockboxState.Expired, LockboxService.SystemActorId), (expired.State, expired.DecidedBy));

        // The read recorded the transition once; the sweep finds nothing left.
        Assert.Equal(0, await Lockbox.ExpireDueAsync());
        var entry = Assert.Single(await LockboxEntriesAsync(), e => e.Action == AuditActions.LockboxExpire);
        Assert.Equal(Actor.System, entry.Actor);
        Assert.Equal(Justification, entry.Justification);
    }

    [Fact]
    public async Task The_pending_lifetime_is_configurable_and_the_sweep_expires()
    {
        var lockbox = NewService(new AccessOptions { RequestPendingLifetime = TimeSpan.FromHours(1) });
        var first = await lockbox.RequestAsync(Olga, Spec());
        var second = await lockbox.RequestAsync(Otto, Spec(account: OtherAccount));
        Assert.Equal(AccessFixture.Start + TimeSpan.FromHours(1), first.PendingExpiresOn);

        Fixture.Time.Advance(TimeSpan.FromHours(1));
        Assert.Equal(2, await lockbox.ExpireDueAsync());
        Assert.Equal(0, await lockbox.ExpireDueAsync());
        Assert.Equal(LockboxState.Expired, (await lockbox.GetAsync(Sam, first.Id)).State);
        Assert.Equal(LockboxState.Expired, (await lockbox.GetAsync(Sam, second.Id)).State);

        // Each in its own account's log.
        Assert.Single(await LockboxEntriesAsync(), e => e.Action == AuditActions.LockboxExpire);
        Assert.Single(await LockboxEntriesAsync(OtherAccount), e => e.Action == AuditActions.LockboxExpire);
        Assert.Equal([first.Id], (await lockbox.ListAsync(Sam, Account, LockboxState.Expired)).Select(r => r.Id));
    }

    [Fact]
    public async Task An_approved_grant_not_activated_in_time_expires()
    {
        var approved = await ApprovedAsync();
        Fixture.Time.Advance(TimeSpan.FromDays(4));

        // A listing by state sees it as what it has become.
        Assert.Equal([approved.Id], (await Lockbox.ListAsync(Tina, null, LockboxState.Expired)).Select(r => r.Id));
        Assert.Equal(ErrorCode.InvalidAccessState, await RefusedAsync(() => Lockbox.ActivateAsync(Olga, approved.Id)));
        var expired = await Lockbox.GetAsync(Olga, approved.Id);
        Assert.Equal((LockboxState.Expired, LockboxService.SystemActorId), (expired.State, expired.EndedBy));
        Assert.Single(await LockboxEntriesAsync(), e => e.Action == AuditActions.LockboxExpire);
    }

    [Fact]
    public async Task An_active_grant_ends_after_its_duration()
    {
        var active = await ActiveAsync();
        var token = (await Lockbox.IssueTokenAsync(Olga, active.Id)).Token;

        await AdvanceUsingAsync(token, TimeSpan.FromHours(2) - TimeSpan.FromSeconds(1));
        Assert.Equal(active.Id, (await Lockbox.ValidateAsync(token)).GrantId);

        Fixture.Time.Advance(TimeSpan.FromSeconds(1));
        Assert.Equal(1, await Lockbox.ExpireDueAsync());
        var ended = await Lockbox.GetAsync(Olga, active.Id);
        Assert.Equal((LockboxState.Ended, LockboxService.SystemActorId, active.EndsOn), (ended.State, ended.EndedBy, ended.EndedOn));
        Assert.Equal(ErrorCode.GrantNotActive, await RefusedAsync(() => Lockbox.ValidateAsync(token)));
        Assert.Equal(ErrorCode.InvalidAccessState, await RefusedAsync(() => Lockbox.IssueTokenAsync(Olga, active.Id)));

        var entry = Assert.Single(await LockboxEntriesAsync(), e => e.Action == AuditActions.LockboxEnd);
        Assert.Equal(Actor.System, entry.Actor);
    }

    [Fact]
    public async Task Validation_ends_an_overdue_grant_itself()
    {
        var active = await ActiveAsync();
        var token = (await Lockbox.IssueTokenAsync(Olga, active.Id)).Token;
        Fixture.Time.Advance(TimeSpan.FromHours(3));

        Assert.Equal(ErrorCode.GrantNotActive, await RefusedAsync(() => Lockbox.ValidateAsync(token)));
        Assert.Equal(LockboxState.Ended, (await Fixture.Store.GetLockboxRequestAsync(active.Id))!.State);
        Assert.Single(await LockboxEntriesAsync(), e => e.Action == AuditActions.LockboxEnd);
    }
}
