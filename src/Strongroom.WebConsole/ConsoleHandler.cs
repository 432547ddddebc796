using System.Text;
using Microsoft.AspNetCore.Components;
using Microsoft.AspNetCore.Components.Web;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Strongroom.Access;
using Strongroom.Core;
using Strongroom.Protocol.Management;
using Strongroom.WebConsole.Pages;

namespace Strongroom.WebConsole;

/// <summary>
/// The web console on the management listener, under <c>/console/</c>: server-rendered HTML
/// (Razor components rendered by <see cref="HtmlRenderer"/>, no script), signed in with the same
/// sessions as the JSON API (<see cref="IdentityService.LoginAsync"/>), the token kept in an
/// HttpOnly SameSite=Strict cookie. Every POST is CSRF-checked before its route runs
/// (<see cref="ConsoleSecurity"/>) and answers 303. Who sees what is the services' decision and
/// the API's role rules, called with the signed-in principal.
/// Routes live in one partial file per area (<c>.SignIn</c>, <c>.Operator</c>, <c>.Tenant</c>).
/// </summary>
public sealed partial class ConsoleHandler : IDisposable
{
    /// <summary>The console's root path on the management listener.</summary>
    public const string PathPrefix = "/console";

    private readonly ILogger logger;
    private readonly IServiceProvider renderServices;
    private readonly ILoggerFactory loggerFactory;
    private readonly IReadOnlyList<ConsoleRoute> routes;

    public ConsoleHandler(ManagementServices services, ConsoleOptions options, ILoggerFactory? loggerFactory = null)
    {
        ArgumentNullException.ThrowIfNull(services);
        ArgumentNullException.ThrowIfNull(options);
        Services = services;
        Options = options;
        this.loggerFactory = loggerFactory ?? NullLoggerFactory.Instance;
        logger = this.loggerFactory.CreateLogger<ConsoleHandler>();
        renderServices = new ServiceCollection().BuildServiceProvider();
        routes = [.. SignInRoutes(), .. OperatorRoutes(), .. TenantRoutes()];
        History = new ConsoleHistory(options.TimeProvider, options.ReadOperations, options.HistoryInterval);
        if (options.SampleHistory)
        {
            History.Start();
        }
    }

    /// <summary>The charts' history (this process's).</summary>
    public ConsoleHistory History { get; }

    public void Dispose() => History.Dispose();

    internal ManagementServices Services { get; }

    internal ConsoleOptions Options { get; }

    /// <summary>True for <c>/console</c>, <c>/console/…</c> and <c>/</c> (which redirects to the console).</summary>
    public static bool Handles(HttpContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        var path = context.Request.Path.Value ?? string.Empty;
        return path is "/" or PathPrefix || path.StartsWith(PathPrefix + "/", StringComparison.Ordinal);
    }

    public async Task HandleAsync(HttpContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        var requestId = Services.Random.NewGuid().ToString();
        var response = context.Response;
        response.Headers["x-ms-request-id"] = requestId;
        ConsoleSecurity.WriteSecurityHeaders(response);
        using var operation = OperationContext.Begin(new OperationContext(Actor.Anonymous, requestId, context.Connection.RemoteIpAddress?.ToString()));
        var path = context.Request.Path.Value ?? string.Empty;
        if (path is "/" or PathPrefix)
        {
            response.StatusCode = StatusCodes.Status303SeeOther;
            response.Headers.Location = PathPrefix + "/";
            return;
        }

        AuthenticatedPrincipal? principal = null;
        string csrf = string.Empty;
        ConsoleRoute? matched = null;
        var started = System.Diagnostics.Stopwatch.GetTimestamp();
        try
        {
            if (Options.RequireHttps && !context.Request.IsHttps)
            {
                await PlainAsync(context, 400, "The management plane answers only over HTTPS.").ConfigureAwait(false);
                return;
            }

            var (route, values) = Match(context.Request.Method, path[(PathPrefix.Length + 1)..]);
            matched = route;
            if (route is null)
            {
                await ErrorPageAsync(context, null, string.Empty, values is null ? 404 : 405, values is null ? "There is no such page." : "That method is not allowed here.").ConfigureAwait(false);
                return;
            }

            if (route.Audience == ConsoleAudience.Anonymous)
            {
                csrf = SignInCsrf(context);
            }
            else
            {
                if (Services.IsSealed() && !route.WhileSealed)
                {
                    throw new StorageException(ErrorCode.VaultSealed);
                }

                var token = context.Request.Cookies[ConsoleSecurity.SessionCookie(context.Request.IsHttps)];
                if (string.IsNullOrEmpty(token))
                {
                    ToSignIn(context, notice: null);
                    return;
                }

                var authenticate = Services.AuthenticateSession ?? Services.Identities.AuthenticateSessionAsync;
                principal = await authenticate(token, context.RequestAborted).ConfigureAwait(false);
                OperationContext.SetActor(principal.Actor);
                csrf = ConsoleSecurity.CsrfTokenFor(token);
                if (!Admits(route.Audience, principal))
                {
                    throw new StorageException(ErrorCode.RoleNotPermitted, route.Audience == ConsoleAudience.Operator
                        ? "This page is for operators."
                        : "This page is for tenant administrators.");
                }

                if (principal.Kind == PrincipalKind.TenantAdmin && !route.AfterClosure)
                {
                    IdentityService.RequireOpenAccount(principal, await Services.GetAccount(principal.Account, context.RequestAborted).ConfigureAwait(false), route.AfterClosure);
                }
            }

            IFormCollection? form = null;
            if (HttpMethods.IsPost(route.Method))
            {
                form = await ReadCheckedFormAsync(context, csrf).ConfigureAwait(false);
                if (form is null)
                {
                    await ErrorPageAsync(context, principal, csrf, 403, "The form could not be accepted (its security token is missing or wrong, or it came from another site). Nothing was changed: go back, reload the page and try again.").ConfigureAwait(false);
                    return;
                }
            }

            await route.Handle(new ConsoleCall(this, context, values!, principal, csrf, form)).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (context.RequestAborted.IsCancellationRequested)
        {
            // The client went away.
        }
        catch (StorageException exception) when (exception.Code == ErrorCode.SessionInvalid && !response.HasStarted)
        {
            // Ended, timed out, or its principal disabled: forget the cookie and sign in again.
            response.Cookies.Delete(ConsoleSecurity.SessionCookie(context.Request.IsHttps), ConsoleSecurity.CookieOptions(context.Request.IsHttps));
            ToSignIn(context, "expired");
        }
        catch (Exception exception) when (!response.HasStarted)
        {
            var (status, _, message) = exception switch
            {
                ManagementException management => (management.Status, management.Code, management.Message),
                StorageException storage => ManagementErrors.Map(storage.Code, storage.Message),
                _ => (500, "InternalError", $"The server encountered an internal error. Request id: {requestId}."),
            };
            if (status == 500)
            {
                // The type only: a message could carry what a caller sent.
                logger.LogError("Console request {RequestId} failed: {Type}", requestId, exception.GetType().FullName);
            }

            await ErrorPageAsync(context, principal, csrf, status, message).ConfigureAwait(false);
        }
        catch (Exception exception)
        {
            logger.LogWarning("Console request {RequestId} failed after its response started: {Type}", requestId, exception.GetType().Name);
            context.Abort();
        }
        finally
        {
            // The route's template, never the path: a bounded label set.
            StrongroomMetrics.RecordRequest(StrongroomMetrics.ConsolePlane, matched?.Operation ?? ManagementProtocolHandler.UnmatchedOperation, response.StatusCode, started);
        }
    }

    private static bool Admits(ConsoleAudience audience, AuthenticatedPrincipal principal) => audience switch
    {
        ConsoleAudience.Operator => principal.Kind == PrincipalKind.Operator,
        ConsoleAudience.TenantAdmin => principal.Kind == PrincipalKind.TenantAdmin,
        _ => true,
    };

    private (ConsoleRoute? Route, Dictionary<string, string>? Values) Match(string method, string relative)
    {
        var segments = relative.Split('/');
        var methodMatched = false;
        foreach (var route in routes)
        {
            if (route.TryMatch(segments, out var values))
            {
                if (string.Equals(route.Method, method, StringComparison.OrdinalIgnoreCase)
                    || (HttpMethods.IsHead(method) && HttpMethods.IsGet(route.Method)))
                {
                    return (route, values);
                }

                methodMatched = true;
            }
        }

        return (null, methodMatched ? [] : null);
    }

    /// <summary>
    /// The POST's form when it passes the CSRF checks (same origin, a form body within bounds,
    /// its token equal to the expected one), else null. Nothing has run yet.
    /// </summary>
    private static async Task<IFormCollection?> ReadCheckedFormAsync(HttpContext context, string expected)
    {
        var request = context.Request;
        if (!ConsoleSecurity.IsSameOrigin(request) || !request.HasFormContentType || request.ContentLength > Limits.ManagementRequestBytesMax)
        {
            return null;
        }

        if (context.Features.Get<IHttpMaxRequestBodySizeFeature>() is { IsReadOnly: false } bodySize)
        {
            bodySize.MaxRequestBodySize = Limits.ManagementRequestBytesMax;
        }

        IFormCollection form;
        try
        {
            form = await request.ReadFormAsync(new FormOptions { ValueCountLimit = 64, ValueLengthLimit = Limits.ManagementRequestBytesMax, MultipartBodyLengthLimit = 0 }, context.RequestAborted).ConfigureAwait(false);
        }
        catch (InvalidDataException)
        {
            return null;
        }

        var presented = form.TryGetValue(ConsoleSecurity.CsrfField, out var value) && value.Count == 1 ? value[0] : null;
        return ConsoleSecurity.TokensEqual(expected, presented) ? form : null;
    }

    /// <summary>The sign-in form's double-submit token: the cookie's, or a new one set now.</summary>
    private string SignInCsrf(HttpContext context)
    {
        var secure = context.Request.IsHttps;
        var name = ConsoleSecurity.SignInCookie(secure);
        var existing = context.Request.Cookies[name];
        if (!string.IsNullOrEmpty(existing) && existing.Length <= 64)
        {
            return existing;
        }

        var fresh = ConsoleSecurity.NewSignInToken(Services.Random);
        context.Response.Cookies.Append(name, fresh, ConsoleSecurity.CookieOptions(secure));
        return fresh;
    }

    private static void ToSignIn(HttpContext context, string? notice)
    {
        context.Response.StatusCode = StatusCodes.Status303SeeOther;
        context.Response.Headers.Location = notice is null ? PathPrefix + "/sign-in" : $"{PathPrefix}/sign-in?notice={notice}";
    }

    private Task ErrorPageAsync(HttpContext context, AuthenticatedPrincipal? principal, string csrf, int status, string message)
    {
        context.Response.Clear();
        ConsoleSecurity.WriteSecurityHeaders(context.Response);
        var view = new ConsoleView(principal, csrf, context.Request.Path.Value ?? PathPrefix);
        return RenderAsync<ErrorPage>(context, status, new Dictionary<string, object?>(StringComparer.Ordinal)
        {
            ["View"] = view,
            ["Status"] = status,
            ["Message"] = message,
        });
    }

    private static async Task PlainAsync(HttpContext context, int status, string text)
    {
        context.Response.StatusCode = status;
        context.Response.ContentType = "text/plain; charset=utf-8";
        await context.Response.WriteAsync(text, context.RequestAborted).ConfigureAwait(false);
    }

    /// <summary>Renders a page component into the response as a whole HTML document.</summary>
    internal async Task RenderAsync<TPage>(HttpContext context, int status, IDictionary<string, object?> parameters)
        where TPage : IComponent
    {
        string html;
        await using (var renderer = new HtmlRenderer(renderServices, loggerFactory))
        {
            html = await renderer.Dispatcher.InvokeAsync(async () =>
            {
                var output = await renderer.RenderComponentAsync<TPage>(ParameterView.FromDictionary(parameters)).ConfigureAwait(false);
                return output.ToHtmlString();
            }).ConfigureAwait(false);
        }

        var bytes = Encoding.UTF8.GetBytes("<!DOCTYPE html>\n" + html);
        context.Response.StatusCode = status;
        context.Response.ContentType = "text/html; charset=utf-8";
        context.Response.ContentLength = bytes.Length;
        if (!HttpMethods.IsHead(context.Request.Method))
        {
            await context.Response.Body.WriteAsync(bytes, context.RequestAborted).ConfigureAwait(false);
        }
    }
}
