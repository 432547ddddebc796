using Strongroom.Access;
using Strongroom.Core;

namespace Strongroom.WebConsole;

/// <summary>
/// What every page's layout needs: who is signed in (null on the sign-in page), the CSRF token
/// for its forms (the pre-session one on the sign-in page), the current path (for
/// <c>aria-current</c>), and a notice to announce after a redirect.
/// </summary>
public sealed record ConsoleView(AuthenticatedPrincipal? Principal, string CsrfToken, string Path, string? Notice = null)
{
    /// <summary>What the header shows for the signed-in principal: <c>operator alice (security-admin)</c>, <c>tenant administrator bob of acct</c>.</summary>
    public string? Who => Principal switch
    {
        null => null,
        { Kind: PrincipalKind.Operator } p => $"operator {p.Name} ({(p.Role is { } role ? PrincipalIds.RoleName(role) : "no role")})",
        var p => $"tenant administrator {p.Name} of {p.Account}",
    };
}

/// <summary>One entry of the navigation; <paramref name="Roles"/>, when set, are the operator roles it is shown to (the page's own rule).</summary>
public sealed record NavItem(string Label, string Path, IReadOnlyList<OperatorRole>? Roles = null)
{
    public bool IsShownTo(AuthenticatedPrincipal principal) =>
        Roles is null || (principal.Role is { } role && Roles.Contains(role));
}
