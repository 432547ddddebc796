using Microsoft.AspNetCore.Components;
using Microsoft.AspNetCore.Http;
using Strongroom.Access;
using Strongroom.Protocol.Management;

namespace Strongroom.WebConsole;

/// <summary>
/// One console request as a route sees it: the HTTP context, the signed-in principal (never the
/// session token), the path's values, the submitted form of a POST (already CSRF-checked), the
/// services, and the way to answer: <see cref="PageAsync{TPage}"/> renders a Razor page,
/// <see cref="SeeOther"/> redirects after a POST.
/// </summary>
public sealed class ConsoleCall
{
    private readonly ConsoleHandler handler;
    private readonly IReadOnlyDictionary<string, string> values;
    private readonly AuthenticatedPrincipal? principal;

    internal ConsoleCall(ConsoleHandler handler, HttpContext context, IReadOnlyDictionary<string, string> values, AuthenticatedPrincipal? principal, string csrfToken, IFormCollection? form)
    {
        this.handler = handler;
        this.values = values;
        this.principal = principal;
        Context = context;
        CsrfToken = csrfToken;
        Form = form ?? FormCollection.Empty;
    }

    public HttpContext Context { get; }

    public CancellationToken Aborted => Context.RequestAborted;

    /// <summary>The signed-in principal (routes with audience Anonymous throw).</summary>
    public AuthenticatedPrincipal Principal => principal ?? throw new InvalidOperationException("this console route has no signed-in principal");

    /// <summary>The principal, or null on an anonymous route.</summary>
    public AuthenticatedPrincipal? PrincipalOrNull => principal;

    /// <summary>The token the page's forms carry in their hidden <see cref="ConsoleSecurity.CsrfField"/>.</summary>
    public string CsrfToken { get; }

    /// <summary>The submitted form of a POST (empty for a GET); its CSRF token was checked before the route ran.</summary>
    public IFormCollection Form { get; }

    public ManagementServices Services => handler.Services;

    public ConsoleOptions Options => handler.Options;

    public TimeProvider Time => handler.Options.TimeProvider;

    /// <summary>A value of the route's template (<c>{id}</c>).</summary>
    public string Value(string name) => values[name];

    /// <summary>A query-string value, or null.</summary>
    public string? Query(string name) => Context.Request.Query.TryGetValue(name, out var value) && value.Count == 1 ? value[0] : null;

    /// <summary>A form field, or null.</summary>
    public string? Field(string name) => Form.TryGetValue(name, out var value) && value.Count == 1 ? value[0] : null;

    /// <summary>The layout's view of this request (principal, CSRF token, path, notice from <c>?notice=</c> when it is a known one).</summary>
    public ConsoleView View => new(principal, CsrfToken, Context.Request.Path.Value ?? ConsoleHandler.PathPrefix, ConsoleNotices.Text(Query("notice")));

    /// <summary>
    /// Renders <typeparamref name="TPage"/> (a Razor component whose parameters include
    /// <c>View</c>) as the whole response. Components are pure views: fetch first, then render.
    /// </summary>
    public Task PageAsync<TPage>(IDictionary<string, object?>? parameters = null, int status = 200)
        where TPage : IComponent
    {
        var all = new Dictionary<string, object?>(parameters ?? new Dictionary<string, object?>(), StringComparer.Ordinal)
        {
            ["View"] = View,
        };
        return handler.RenderAsync<TPage>(Context, status, all);
    }

    /// <summary>303 See Other to <paramref name="path"/> (a console path such as <c>/console/lockbox</c>), the answer to every successful POST.</summary>
    public void SeeOther(string path, string? notice = null)
    {
        if (!path.StartsWith(ConsoleHandler.PathPrefix, StringComparison.Ordinal))
        {
            throw new ArgumentException("The console redirects only inside /console.", nameof(path));
        }

        Context.Response.StatusCode = StatusCodes.Status303SeeOther;
        Context.Response.Headers.Location = notice is null ? path : $"{path}?notice={Uri.EscapeDataString(notice)}";
    }
}
