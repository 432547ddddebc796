using Microsoft.AspNetCore.Http;

namespace Strongroom.WebConsole;

// Lane console-tenant owns this file: the tenant administrator's routes and navigation.
public sealed partial class ConsoleHandler
{
    /// <summary>Where a tenant administrator lands after sign-in.</summary>
    internal const string TenantHomePath = PathPrefix + "/tenant";

    /// <summary>The tenant administrator's navigation, in order.</summary>
    internal static readonly IReadOnlyList<NavItem> TenantNavigation =
    [
        new("Account", TenantHomePath),
    ];

    private IEnumerable<ConsoleRoute> TenantRoutes() =>
    [
        new(HttpMethods.Get, "tenant", call => call.PageAsync<Pages.Tenant.TenantHomePage>(), ConsoleAudience.TenantAdmin),
    ];
}
