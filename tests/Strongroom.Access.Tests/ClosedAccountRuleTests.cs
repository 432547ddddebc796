using Strongroom.Core;

namespace Strongroom.Access.Tests;

/// <summary>The one rule for administrators of a closed or destroyed account: only reads of what closure leaves behind.</summary>
public sealed class ClosedAccountRuleTests
{
    private static readonly AuthenticatedPrincipal Admin = new(PrincipalKind.TenantAdmin, "acme", "dana", null, "s1");
    private static readonly AuthenticatedPrincipal Operator = new(PrincipalKind.Operator, PrincipalIds.NoAccount, "audrey", OperatorRole.AuditAdmin, "s2");

    private static AccountRecord Account(AccountState state) => new("acme", [1], [2], [3], DateTimeOffset.UnixEpoch, state);

    [Theory]
    [InlineData(AccountState.Closed)]
    [InlineData(AccountState.Destroyed)]
    public void A_closed_or_destroyed_accounts_admin_reaches_only_reads_after_closure(AccountState state)
    {
        var refused = Assert.Throws<StorageException>(() => IdentityService.RequireOpenAccount(Admin, Account(state), readsAfterClosure: false));
        Assert.Equal(ErrorCode.AccountClosed, refused.Code);
        IdentityService.RequireOpenAccount(Admin, Account(state), readsAfterClosure: true);
        IdentityService.RequireOpenAccount(Operator, Account(state), readsAfterClosure: false);
    }

    [Theory]
    [InlineData(AccountState.Enabled)]
    [InlineData(AccountState.Disabled)]
    public void Open_and_disabled_accounts_are_not_concerned(AccountState state)
    {
        IdentityService.RequireOpenAccount(Admin, Account(state), readsAfterClosure: false);
        Assert.False(IdentityService.IsClosedForTenantAdmins(state));
    }
}
