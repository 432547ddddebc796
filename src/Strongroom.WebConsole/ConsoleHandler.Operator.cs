using Microsoft.AspNetCore.Http;
using Strongroom.WebConsole.Pages;

namespace Strongroom.WebConsole;

public sealed partial class ConsoleHandler
{
    /// <summary>The operator's navigation, in order.</summary>
    internal static readonly IReadOnlyList<NavItem> OperatorNavigation =
    [
        new("Overview", PathPrefix + "/"),
    ];

    private IEnumerable<ConsoleRoute> OperatorRoutes() =>
    [
        new(HttpMethods.Get, "overview", OverviewAsync, ConsoleAudience.Operator),
    ];

    private Task OverviewAsync(ConsoleCall call) =>
        call.PageAsync<OverviewPage>(new Dictionary<string, object?>(StringComparer.Ordinal)
        {
            ["Seal"] = Services.SealStatus(),
        });
}
