using Strongroom.Audit;
using Strongroom.Core;

namespace Strongroom.Access.Tests;

public sealed class LockboxServiceTests : LockboxTestBase
{
    [Fact]
    public async Task The_whole_life_of_a_grant_is_in_the_accounts_log_with_its_justification()
    {
        var request = await Lockbox.RequestAsync(Olga, Spec());
        Assert.Matches("^lbx-[0-9a-f]{16}$", request.Id);
        Assert.Equal(LockboxState.Requested, request.State);
        Assert.Equal("olga", request.Requester);
        Assert.Equal(AccessFixture.Start + TimeSpan.FromDays(4), request.PendingExpiresOn);

        var half = await Lockbox.ApproveAsync(Tina, request.Id);
        Assert.Equal(LockboxState.Requested, half.State);
        Assert.Equal("acme/tina", half.TenantApprover);

        Fixture.Time.Advance(TimeSpan.FromMinutes(5));
        var approved = await Lockbox.ApproveAsync(Sam, request.Id);
        Assert.Equal(LockboxState.Approved, approved.State);
        Assert.Equal("sam", approved.SecurityApprover);
        Assert.Equal("sam", approved.DecidedBy);

        var active = await Lockbox.ActivateAsync(Olga, request.Id);
        Assert.Equal(LockboxState.Active, active.State);
        Assert.Equal(Fixture.Time.GetUtcNow() + TimeSpan.FromHours(2), active.EndsOn);

        var issued = await Lockbox.IssueTokenAsync(Olga, request.Id);
        Assert.StartsWith(LockboxService.GrantTokenPrefix, issued.Token);
        Assert.True(Lockbox.IsGrantToken(issued.Token));
        Assert.Equal(active.EndsOn, issued.ExpiresOn);

        var grant = await Lockbox.ValidateAsync(issued.Token);
        Assert.Equal(new OperatorGrant(request.Id, Account, "olga", "photos", "thumbnails/", LockboxAccess.ReadData, active.EndsOn!.Value, Justification), grant);

        var ended = await Lockbox.EndAsync(Olga, request.Id);
        Assert.Equal(LockboxState.Ended, ended.State);
        Assert.Equal("olga", ended.EndedBy);
        Assert.Equal(LockboxState.Ended, (await Lockbox.GetAsync(Tina, request.Id)).State);

        var entries = await LockboxEntriesAsync();
        Assert.Equal(
            [AuditActions.LockboxRequest, AuditActions.LockboxApprove, AuditActions.LockboxApprove, AuditActions.LockboxActivate, AuditActions.LockboxIssueToken, AuditActions.LockboxEnd],
            entries.Select(entry => entry.Action));
        Assert.All(entries, entry =>
        {
            Assert.Equal(Justification, entry.Justification);
            Assert.Equal("/acme/photos/thumbnails/", entry.Resource);
            Assert.Contains(new KeyValuePair<string, string>("request", request.Id), entry.Details);
            Assert.Contains(new KeyValuePair<string, string>("access", "read-data"), entry.Details);
            Assert.Contains(new KeyValuePair<string, string>("durationMinutes", "120"), entry.Details);
        });
        Assert.Equal(
            [new Actor(ActorKind.Operator, "olga"), new Actor(ActorKind.TenantAdmin, "acme/tina"), new Actor(ActorKind.Operator, "sam"), new Actor(ActorKind.Operator, "olga"), new Actor(ActorKind.Operator, "olga"), new Actor(ActorKind.Operator, "olga")],
            entries.Select(entry => entry.Actor));
        Assert.Contains(new KeyValuePair<string, string>("side", "tenant"), entries[1].Details);
        Assert.Contains(new KeyValuePair<string, string>("side", "security"), entries[2].Details);

        // The token is never in the log; nothing went to another account's.
        Assert.All(await Fixture.EntriesAsync(Account), entry => Assert.DoesNotContain(LockboxService.GrantTokenPrefix, System.Text.Encoding.UTF8.GetString(entry.Encode())));
        Assert.Empty(await LockboxEntriesAsync(OtherAccount));
    }

    [Fact]
    public async Task The_requester_never_approves_its_own_request()
    {
        // A security admin who asked cannot supply the security approval...
        var bySara = await Lockbox.RequestAsync(Sara, Spec());
        Assert.Equal(ErrorCode.SelfApprovalNotAllowed, await RefusedAsync(() => Lockbox.ApproveAsync(Sara, bySara.Id)));
        Assert.Equal(ErrorCode.SelfApprovalNotAllowed, await RefusedAsync(() => Lockbox.DenyAsync(Sara, bySara.Id, null)));

        // ...even after the tenant approved; another security admin can.
        await Lockbox.ApproveAsync(Tina, bySara.Id);
        Assert.Equal(ErrorCode.SelfApprovalNotAllowed, await RefusedAsync(() => Lockbox.ApproveAsync(Sara, bySara.Id)));
        Assert.Equal(LockboxState.Approved, (await Lockbox.ApproveAsync(Sam, bySara.Id)).State);

        // Another role asking for its own is refused as self-approval too.
        var byOlga = await Lockbox.RequestAsync(Olga, Spec());
        Assert.Equal(ErrorCode.SelfApprovalNotAllowed, await RefusedAsync(() => Lockbox.ApproveAsync(Olga, byOlga.Id)));
        Assert.Equal(LockboxState.Requested, (await Lockbox.GetAsync(Sam, byOlga.Id)).State);
        Assert.Equal(2, (await LockboxEntriesAsync()).Count(entry => entry.Action == AuditActions.LockboxApprove));
    }

    [Fact]
    public async Task Only_a_tenant_administrator_of_the_account_and_a_security_admin_approve()
    {
        var request = await Lockbox.RequestAsync(Olga, Spec());

        // Another account's administrator does not even see it; others lack the role.
        Assert.Equal(ErrorCode.LockboxRequestNotFound, await RefusedAsync(() => Lockbox.ApproveAsync(Gina, request.Id)));
        Assert.Equal(ErrorCode.LockboxRequestNotFound, await RefusedAsync(() => Lockbox.ApproveAsync(Otto, request.Id)));
        Assert.Equal(ErrorCode.RoleNotPermitted, await RefusedAsync(() => Lockbox.ApproveAsync(Abe, request.Id)));
        Assert.Equal(ErrorCode.LockboxRequestNotFound, await RefusedAsync(() => Lockbox.ApproveAsync(Sam, "lbx-0000000000000000")));

        // Two security approvals or two tenant approvals are not the two approvals.
        await Lockbox.ApproveAsync(Sam, request.Id);
        Assert.Equal(ErrorCode.InvalidAccessState, await RefusedAsync(() => Lockbox.ApproveAsync(Sara, request.Id)));
        Assert.Equal(ErrorCode.InvalidAccessState, await RefusedAsync(() => Lockbox.ApproveAsync(Sam, request.Id)));
        await Lockbox.ApproveAsync(Tina, request.Id);
        Assert.Equal(ErrorCode.InvalidAccessState, await RefusedAsync(() => Lockbox.ApproveAsync(Tom, request.Id)));

        var approved = await Lockbox.GetAsync(Olga, request.Id);
        Assert.Equal((LockboxState.Approved, "acme/tina", "sam"), (approved.State, approved.TenantApprover, approved.SecurityApprover));
    }

    [Fact]
    public async Task Approvals_racing_each_other_both_count()
    {
        var request = await Lockbox.RequestAsync(Olga, Spec());
        await Task.WhenAll(Task.Run(() => Lockbox.ApproveAsync(Tina, request.Id)), Task.Run(() => Lockbox.ApproveAsync(Sam, request.Id)));
        var approved = await Lockbox.GetAsync(Olga, request.Id);
        Assert.Equal((LockboxState.Approved, "acme/tina", "sam"), (approved.State, approved.TenantApprover, approved.SecurityApprover));
        Assert.Equal(2, (await LockboxEntriesAsync()).Count(entry => entry.Action == AuditActions.LockboxApprove));
    }

    [Fact]
    public async Task A_denial_is_final()
    {
        var request = await Lockbox.RequestAsync(Olga, Spec());
        await Lockbox.ApproveAsync(Sam, request.Id);
        var denied = await Lockbox.DenyAsync(Tina, request.Id, "Not during the audit week");
        Assert.Equal((LockboxState.Denied, "acme/tina"), (denied.State, denied.DecidedBy));

        Assert.Equal(ErrorCode.InvalidAccessState, await RefusedAsync(() => Lockbox.ApproveAsync(Tom, request.Id)));
        Assert.Equal(ErrorCode.InvalidAccessState, await RefusedAsync(() => Lockbox.DenyAsync(Sam, request.Id, null)));
        Assert.Equal(ErrorCode.InvalidAccessState, await RefusedAsync(() => Lockbox.ActivateAsync(Olga, request.Id)));
        Assert.Equal(ErrorCode.InvalidAccessState, await RefusedAsync(() => Lockbox.RevokeAsync(Tina, request.Id)));

        var deny = Assert.Single(await LockboxEntriesAsync(), entry => entry.Action == AuditActions.LockboxDeny);
        Assert.Contains(new KeyValuePair<string, string>("reason", "Not during the audit week"), deny.Details);
        Assert.Contains(new KeyValuePair<string, string>("side", "tenant"), deny.Details);
        Assert.Equal(Justification, deny.Justification);
    }

    [Fact]
    public async Task A_request_is_refused_when_out_of_bounds()
    {
        Assert.Equal(ErrorCode.InvalidAccessRequest, await RefusedAsync(() => Lockbox.RequestAsync(Olga, Spec(hours: 0))));
        Assert.Equal(ErrorCode.InvalidAccessRequest, await RefusedAsync(() => Lockbox.RequestAsync(Olga, Spec(hours: 8.5))));
        Assert.Equal(ErrorCode.InvalidAccessRequest, await RefusedAsync(() => Lockbox.RequestAsync(Olga, Spec(justification: ""))));
        Assert.Equal(ErrorCode.InvalidAccessRequest, await RefusedAsync(() => Lockbox.RequestAsync(Olga, Spec(justification: new string('x', Limits.JustificationCharsMax + 1)))));
        Assert.Equal(ErrorCode.InvalidAccessRequest, await RefusedAsync(() => Lockbox.RequestAsync(Olga, Spec(prefix: new string('p', Limits.BlobNameLengthMax + 1)))));
        Assert.Equal(ErrorCode.InvalidAccessRequest, await RefusedAsync(() => Lockbox.RequestAsync(Olga, Spec(prefix: "a\nb"))));
        Assert.Equal(ErrorCode.InvalidAccessRequest, await RefusedAsync(() => Lockbox.RequestAsync(Olga, Spec(account: "Not-Valid"))));
        Assert.Equal(ErrorCode.InvalidAccessRequest, await RefusedAsync(() => Lockbox.RequestAsync(Olga, Spec(access: 0))));
        Assert.Equal(ErrorCode.AccountNotFound, await RefusedAsync(() => Lockbox.RequestAsync(Olga, Spec(account: "initech"))));
        Assert.Equal(ErrorCode.ContainerNotFound, await RefusedAsync(() => Lockbox.RequestAsync(Olga, Spec(container: "videos"))));
        Assert.Equal(ErrorCode.RoleNotPermitted, await RefusedAsync(() => Lockbox.RequestAsync(Tina, Spec())));

        // 8 hours exactly is allowed; no prefix is the whole container.
        var whole = await Lockbox.RequestAsync(Olga, Spec(prefix: null, hours: 8, access: LockboxAccess.Metadata));
        Assert.Null(whole.Prefix);
        Assert.Equal("/acme/photos", Assert.Single(await LockboxEntriesAsync()).Resource);
    }

    [Fact]
    public async Task Each_sees_only_what_it_may()
    {
        var acme = await Lockbox.RequestAsync(Olga, Spec());
        Fixture.Time.Advance(TimeSpan.FromSeconds(1));
        var globex = await Lockbox.RequestAsync(Otto, Spec(account: OtherAccount));

        Assert.Equal([acme.Id], (await Lockbox.ListAsync(Tina, null, null)).Select(r => r.Id));
        Assert.Empty(await Lockbox.ListAsync(Tina, OtherAccount, null));
        Assert.Equal([globex.Id, acme.Id], (await Lockbox.ListAsync(Sam, null, null)).Select(r => r.Id));
        Assert.Equal([globex.Id, acme.Id], (await Lockbox.ListAsync(Abe, null, null)).Select(r => r.Id));
        Assert.Equal([globex.Id], (await Lockbox.ListAsync(Abe, OtherAccount, null)).Select(r => r.Id));
        Assert.Equal([acme.Id], (await Lockbox.ListAsync(Olga, null, null)).Select(r => r.Id));
        Assert.Empty(await Lockbox.ListAsync(Sam, null, LockboxState.Approved));

        Assert.Equal(ErrorCode.LockboxRequestNotFound, await RefusedAsync(() => Lockbox.GetAsync(Gina, acme.Id)));
        Assert.Equal(ErrorCode.LockboxRequestNotFound, await RefusedAsync(() => Lockbox.GetAsync(Otto, acme.Id)));
        Assert.Equal(acme.Id, (await Lockbox.GetAsync(Abe, acme.Id)).Id);
    }

    [Fact]
    public async Task A_grant_is_revoked_by_the_tenant()
    {
        var active = await ActiveAsync();
        var token = (await Lockbox.IssueTokenAsync(Olga, active.Id)).Token;

        Assert.Equal(ErrorCode.RoleNotPermitted, await RefusedAsync(() => Lockbox.RevokeAsync(Olga, active.Id)));
        Assert.Equal(ErrorCode.RoleNotPermitted, await RefusedAsync(() => Lockbox.RevokeAsync(Abe, active.Id)));
        Assert.Equal(ErrorCode.LockboxRequestNotFound, await RefusedAsync(() => Lockbox.RevokeAsync(Gina, active.Id)));

        var revoked = await Lockbox.RevokeAsync(Tom, active.Id);
        Assert.Equal((LockboxState.Revoked, "acme/tom"), (revoked.State, revoked.EndedBy));
        Assert.Equal(ErrorCode.GrantNotActive, await RefusedAsync(() => Lockbox.ValidateAsync(token)));
        Assert.Equal(ErrorCode.InvalidAccessState, await RefusedAsync(() => Lockbox.IssueTokenAsync(Olga, active.Id)));
        Assert.Equal(ErrorCode.InvalidAccessState, await RefusedAsync(() => Lockbox.EndAsync(Olga, active.Id)));
        Assert.Equal(ErrorCode.InvalidAccessState, await RefusedAsync(() => Lockbox.RevokeAsync(Tina, active.Id)));

        var entry = Assert.Single(await LockboxEntriesAsync(), e => e.Action == AuditActions.LockboxRevoke);
        Assert.Equal(new Actor(ActorKind.TenantAdmin, "acme/tom"), entry.Actor);
        Assert.Equal(Justification, entry.Justification);

        // An approved grant not yet activated is revoked as well, by a security admin too.
        var approved = await ApprovedAsync();
        Assert.Equal(LockboxState.Revoked, (await Lockbox.RevokeAsync(Sara, approved.Id)).State);
        Assert.Equal(ErrorCode.InvalidAccessState, await RefusedAsync(() => Lockbox.ActivateAsync(Olga, approved.Id)));
    }

    [Fact]
    public async Task Only_the_requester_activates_ends_and_takes_tokens()
    {
        var approved = await ApprovedAsync();
        Assert.Equal(ErrorCode.RoleNotPermitted, await RefusedAsync(() => Lockbox.ActivateAsync(Sam, approved.Id)));
        Assert.Equal(ErrorCode.RoleNotPermitted, await RefusedAsync(() => Lockbox.ActivateAsync(Tina, approved.Id)));
        Assert.Equal(ErrorCode.LockboxRequestNotFound, await RefusedAsync(() => Lockbox.ActivateAsync(Gina, approved.Id)));

        // No token before activation.
        Assert.Equal(ErrorCode.InvalidAccessState, await RefusedAsync(() => Lockbox.IssueTokenAsync(Olga, approved.Id)));
        await Lockbox.ActivateAsync(Olga, approved.Id);
        Assert.Equal(ErrorCode.InvalidAccessState, await RefusedAsync(() => Lockbox.ActivateAsync(Olga, approved.Id)));

        Assert.Equal(ErrorCode.RoleNotPermitted, await RefusedAsync(() => Lockbox.IssueTokenAsync(Otto, approved.Id)));
        Assert.Equal(ErrorCode.RoleNotPermitted, await RefusedAsync(() => Lockbox.IssueTokenAsync(Sam, approved.Id)));
        Assert.Equal(ErrorCode.RoleNotPermitted, await RefusedAsync(() => Lockbox.IssueTokenAsync(Tina, approved.Id)));
        Assert.Equal(ErrorCode.RoleNotPermitted, await RefusedAsync(() => Lockbox.EndAsync(Sam, approved.Id)));
        Assert.DoesNotContain(await LockboxEntriesAsync(), entry => entry.Action == AuditActions.LockboxIssueToken);
    }
}
