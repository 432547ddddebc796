using Strongroom.Core;

namespace Strongroom.Access;

/// <summary>
/// The one rule for tenant administrators of a closed or destroyed account (issue 7): they keep
/// their sign-in and sessions, so the tenant can still fetch the evidence of what happened to its
/// data, but they reach only what reads what the account leaves behind — its destruction
/// certificates, its destructions and its transparency log (and their own session: who am I,
/// sign out). Everything else answers <see cref="ErrorCode.AccountClosed"/>. A disabled account
/// (an operator's decision) is not concerned. Operators are never concerned.
/// </summary>
public sealed partial class IdentityService
{
    /// <summary>Whether an account in <paramref name="state"/> is closed for its tenant administrators (all but the calls that read what closure leaves behind).</summary>
    public static bool IsClosedForTenantAdmins(AccountState state) => state is AccountState.Closed or AccountState.Destroyed;

    /// <summary>
    /// Refuses <paramref name="caller"/> with AccountClosed when it administers
    /// <paramref name="account"/> (its own account as read now; null when gone) and that account is
    /// closed or destroyed, unless the call reads what closure leaves behind
    /// (<paramref name="readsAfterClosure"/>, decided by the caller's route table).
    /// </summary>
    public static void RequireOpenAccount(AuthenticatedPrincipal caller, AccountRecord? account, bool readsAfterClosure)
    {
        ArgumentNullException.ThrowIfNull(caller);
        if (caller.Kind != PrincipalKind.TenantAdmin || readsAfterClosure || account is null)
        {
            return;
        }

        Invariant.True(string.Equals(account.Name, caller.Account, StringComparison.Ordinal), "the closure rule is applied to the caller's own account");
        if (IsClosedForTenantAdmins(account.State))
        {
            throw new StorageException(
                ErrorCode.AccountClosed,
                $"Account '{caller.Account}' is {(account.State == AccountState.Closed ? "closed" : "destroyed")}: its administrators can read only its destruction certificates, its destructions and its log.");
        }
    }
}
