using Microsoft.AspNetCore.Http;
using Strongroom.Access;
using Strongroom.Core;
using Strongroom.Protocol.Management;
using Strongroom.WebConsole.Pages;

namespace Strongroom.WebConsole;

public sealed partial class ConsoleHandler
{
    // Sign-in and sign-out, the style sheet and the home page. Sign-in answers while sealed (the
    // form shows the seal status; submitting it fails as the API's sign-in does).
    private IEnumerable<ConsoleRoute> SignInRoutes() =>
    [
        new(HttpMethods.Get, "sign-in", SignInPageAsync, ConsoleAudience.Anonymous, WhileSealed: true),
        new(HttpMethods.Post, "sign-in", SignInAsync, ConsoleAudience.Anonymous, WhileSealed: true),
        new(HttpMethods.Post, "sign-out", SignOutAsync, ConsoleAudience.Signed, WhileSealed: true, AfterClosure: true),
        new(HttpMethods.Get, "static/console.css", StyleSheetAsync, ConsoleAudience.Anonymous, WhileSealed: true),
        new(HttpMethods.Get, string.Empty, HomeAsync, ConsoleAudience.Signed, AfterClosure: true),
    ];

    /// <summary>The text of every failed sign-in: which factor failed, and whether a code was reused, is not said.</summary>
    public const string SignInFailedText = "Sign-in failed: check the account, name, password and code. Each code is accepted only once: if you just used this one, wait for the next.";

    private static Task SignInPageAsync(ConsoleCall call) => SignInFormAsync(call, 200, error: null, kind: call.Query("kind"), account: null, name: null);

    private static Task SignInFormAsync(ConsoleCall call, int status, string? error, string? kind, string? account, string? name) =>
        call.PageAsync<SignInPage>(
            new Dictionary<string, object?>(StringComparer.Ordinal)
            {
                ["Error"] = error,
                ["Kind"] = kind == "tenant-admin" ? "tenant-admin" : "operator",
                ["Account"] = account,
                ["Name"] = name,
                ["Seal"] = call.Services.SealStatus(),
            },
            status);

    private static async Task SignInAsync(ConsoleCall call)
    {
        var kindText = call.Field("kind");
        var account = call.Field("account")?.Trim() ?? string.Empty;
        var name = call.Field("name")?.Trim() ?? string.Empty;
        var password = call.Field("password") ?? string.Empty;
        var code = call.Field("code")?.Trim() ?? string.Empty;
        PrincipalKind? kind = kindText switch
        {
            "operator" => PrincipalKind.Operator,
            "tenant-admin" => PrincipalKind.TenantAdmin,
            _ => null,
        };
        if (kind is null)
        {
            await SignInFormAsync(call, 400, "Choose whether you sign in as an operator or a tenant administrator.", null, account, name).ConfigureAwait(false);
            return;
        }

        LoginResult result;
        try
        {
            result = await call.Services.Identities.LoginAsync(kind.Value, kind == PrincipalKind.Operator ? PrincipalIds.NoAccount : account, name, password, code, call.Aborted).ConfigureAwait(false);
        }
        catch (StorageException exception) when (exception.Code is ErrorCode.LoginFailed or ErrorCode.TotpCodeReused or ErrorCode.PrincipalLocked or ErrorCode.VaultSealed)
        {
            var (status, _, message) = ManagementErrors.Map(exception.Code, exception.Message);
            var text = exception.Code switch
            {
                ErrorCode.PrincipalLocked => message,
                ErrorCode.VaultSealed => "The vault is sealed: nobody can sign in until custodians unseal it.",
                _ => SignInFailedText,
            };
            await SignInFormAsync(call, status == 401 ? 200 : status, text, kindText, account, name).ConfigureAwait(false);
            return;
        }

        var secure = call.Context.Request.IsHttps;
        call.Context.Response.Cookies.Append(ConsoleSecurity.SessionCookie(secure), result.SessionToken, ConsoleSecurity.CookieOptions(secure, result.ExpiresOn));
        call.Context.Response.Cookies.Delete(ConsoleSecurity.SignInCookie(secure), ConsoleSecurity.CookieOptions(secure));
        call.SeeOther(PathPrefix + "/");
    }

    private static async Task SignOutAsync(ConsoleCall call)
    {
        var secure = call.Context.Request.IsHttps;
        var token = call.Context.Request.Cookies[ConsoleSecurity.SessionCookie(secure)];
        if (!string.IsNullOrEmpty(token))
        {
            await call.Services.Identities.LogoutAsync(token, call.Aborted).ConfigureAwait(false);
        }

        call.Context.Response.Cookies.Delete(ConsoleSecurity.SessionCookie(secure), ConsoleSecurity.CookieOptions(secure));
        call.SeeOther(PathPrefix + "/sign-in", "signed-out");
    }

    /// <summary>Operators land on the overview, tenant administrators on their account's home.</summary>
    private Task HomeAsync(ConsoleCall call)
    {
        if (call.Principal.Kind == PrincipalKind.TenantAdmin)
        {
            call.SeeOther(TenantHomePath);
            return Task.CompletedTask;
        }

        return OverviewAsync(call);
    }

    private static readonly Lazy<byte[]> StyleSheet = new(() =>
    {
        using var stream = typeof(ConsoleHandler).Assembly.GetManifestResourceStream("Strongroom.WebConsole.console.css")
            ?? throw new InvalidOperationException("the console's style sheet is not embedded");
        using var copy = new MemoryStream();
        stream.CopyTo(copy);
        return copy.ToArray();
    });

    private static async Task StyleSheetAsync(ConsoleCall call)
    {
        var response = call.Context.Response;
        var bytes = StyleSheet.Value;
        response.Headers.CacheControl = "no-cache";
        response.ContentType = "text/css; charset=utf-8";
        response.ContentLength = bytes.Length;
        if (!HttpMethods.IsHead(call.Context.Request.Method))
        {
            await response.Body.WriteAsync(bytes, call.Aborted).ConfigureAwait(false);
        }
    }
}
