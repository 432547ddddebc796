using System.Net;
using Microsoft.Playwright;
using Strongroom.Conformance.Tests.Infrastructure;
using Xunit;

namespace Strongroom.Conformance.Tests.WebConsole;

/// <summary>
/// The console's sign-in in a real browser: password and TOTP through the form, the session cookie
/// (HttpOnly, SameSite=Strict, <c>__Host-</c>, Secure on this HTTPS listener), wrong and reused
/// codes failing alike, sign-out ending the session, keyboard-only sign-in, the security headers,
/// and the sign-in form's own CSRF token.
/// </summary>
public sealed class ConsoleSignInTests(ConsoleFixture fixture) : IClassFixture<ConsoleFixture>
{
    [Fact]
    public async Task An_operator_signs_in_with_password_and_totp_and_lands_on_the_overview()
    {
        if (!fixture.Available)
        {
            return;
        }

        var page = await fixture.NewPageAsync();
        await fixture.SignInAsync(page, fixture.AuditAdmin);
        await ConsoleFixture.ScreenshotAsync(page, "sign-in-success-overview");
        Assert.Equal("/console/", new Uri(page.Url).AbsolutePath);
        await Assertions.Expect(page.GetByRole(AriaRole.Heading, new() { Level = 1 })).ToHaveTextAsync("Overview");
        await Assertions.Expect(page.Locator("header")).ToContainTextAsync("operator aud-admin (audit-admin)");

        var cookie = Assert.Single(await page.Context.CookiesAsync(), c => c.Name == "__Host-strongroom-session");
        Assert.True(cookie.HttpOnly);
        Assert.True(cookie.Secure);
        Assert.Equal(SameSiteAttribute.Strict, cookie.SameSite);
        Assert.Equal("/", cookie.Path);
        var html = await page.ContentAsync();
        Assert.DoesNotContain(cookie.Value, html, StringComparison.Ordinal);
        Assert.DoesNotContain(cookie.Value, page.Url, StringComparison.Ordinal);
        await page.Context.CloseAsync();
    }

    [Fact]
    public async Task A_wrong_code_and_a_reused_code_show_the_form_again_with_the_same_alert()
    {
        if (!fixture.Available)
        {
            return;
        }

        var principal = await Principals.CreateOperatorAsync(fixture.Api, fixture.SecurityToken, "codes-op", "audit-admin");
        var page = await fixture.NewPageAsync();

        // A wrong code: the form again, an alert that names no factor, no session.
        var step = await ConsoleTotp.NextStepAsync(principal);
        var right = ConsoleFixture.ApiCode(principal, step);
        var wrong = right == "000000" ? "111111" : "000000";
        await fixture.SignInAsync(page, principal, code: wrong);
        await ConsoleFixture.ScreenshotAsync(page, "sign-in-wrong-code");
        var alert = page.GetByRole(AriaRole.Alert);
        await Assertions.Expect(alert).ToHaveTextAsync(ConsoleTexts.SignInFailed);
        Assert.Equal("/console/sign-in", new Uri(page.Url).AbsolutePath);
        Assert.DoesNotContain(await page.Context.CookiesAsync(), c => c.Name.EndsWith("strongroom-session", StringComparison.Ordinal));
        // The name stays filled in; the password does not.
        Assert.Equal("codes-op", await page.GetByLabel("Name", new() { Exact = true }).InputValueAsync());
        Assert.Equal(string.Empty, await page.GetByLabel("Password").InputValueAsync());

        // A wrong password with the right code: the same words.
        await fixture.SignInAsync(page, principal, code: right, password: principal.Password + "x");
        await Assertions.Expect(page.GetByRole(AriaRole.Alert)).ToHaveTextAsync(ConsoleTexts.SignInFailed);

        // The right code signs in once; the same code again is refused with the same words.
        await fixture.SignInAsync(page, principal, code: right);
        Assert.Equal("/console/", new Uri(page.Url).AbsolutePath);
        var second = await fixture.NewPageAsync();
        await fixture.SignInAsync(second, principal, code: right);
        await ConsoleFixture.ScreenshotAsync(second, "sign-in-reused-code");
        await Assertions.Expect(second.GetByRole(AriaRole.Alert)).ToHaveTextAsync(ConsoleTexts.SignInFailed);
        Assert.DoesNotContain(await second.Context.CookiesAsync(), c => c.Name.EndsWith("strongroom-session", StringComparison.Ordinal));
        await page.Context.CloseAsync();
        await second.Context.CloseAsync();
    }

    [Fact]
    public async Task Sign_out_ends_the_session_and_its_cookie_no_longer_opens_a_page()
    {
        if (!fixture.Available)
        {
            return;
        }

        var page = await fixture.NewPageAsync();
        await fixture.SignInAsync(page, fixture.SystemAdmin);
        var cookie = await ConsoleFixture.SessionCookieAsync(page);
        await page.GetByRole(AriaRole.Button, new() { Name = "Sign out" }).ClickAsync();
        await ConsoleFixture.ScreenshotAsync(page, "signed-out");
        Assert.Equal("/console/sign-in", new Uri(page.Url).AbsolutePath);
        await Assertions.Expect(page.GetByRole(AriaRole.Status)).ToHaveTextAsync("You are signed out.");
        Assert.DoesNotContain(await page.Context.CookiesAsync(), c => c.Name == "__Host-strongroom-session");

        // The ended session's cookie, sent again, leads to the sign-in page, and the API refuses its token.
        using var http = fixture.RawClient();
        using var request = new HttpRequestMessage(HttpMethod.Get, "console/sites");
        request.Headers.Add("Cookie", $"{cookie.Name}={cookie.Value}");
        using var response = await http.SendAsync(request);
        Assert.Equal(HttpStatusCode.SeeOther, response.StatusCode);
        Assert.Equal("/console/sign-in?notice=expired", response.Headers.Location?.ToString());
        Assert.Equal(HttpStatusCode.Unauthorized, (await fixture.Api.GetAsync("v1/whoami", cookie.Value)).Status);

        // Without any cookie, a page redirects to the sign-in form.
        await page.GotoAsync(fixture.ConsoleUri + "seal");
        Assert.Equal("/console/sign-in", new Uri(page.Url).AbsolutePath);
        await page.Context.CloseAsync();
    }

    [Fact]
    public async Task Sign_in_works_with_the_keyboard_alone()
    {
        if (!fixture.Available)
        {
            return;
        }

        var page = await fixture.NewPageAsync();
        await page.GotoAsync(fixture.ConsoleUri + "sign-in");
        var code = ConsoleFixture.ApiCode(fixture.SecurityAdmin, await ConsoleTotp.NextStepAsync(fixture.SecurityAdmin));

        // Tab from the top: the skip link first, then the page's controls in order.
        await page.Keyboard.PressAsync("Tab");
        Assert.Equal("Skip to main content", await page.EvaluateAsync<string>("() => document.activeElement.textContent"));
        await page.Keyboard.PressAsync("Tab");
        await page.Keyboard.PressAsync("Tab");
        Assert.Equal("kind-operator", await page.EvaluateAsync<string>("() => document.activeElement.id"));
        await page.Keyboard.PressAsync("Tab");
        Assert.Equal("account", await page.EvaluateAsync<string>("() => document.activeElement.id"));
        await page.Keyboard.PressAsync("Tab");
        await page.Keyboard.TypeAsync(fixture.SecurityAdmin.Name);
        await page.Keyboard.PressAsync("Tab");
        await page.Keyboard.TypeAsync(fixture.SecurityAdmin.Password);
        await page.Keyboard.PressAsync("Tab");
        await page.Keyboard.TypeAsync(code);
        await ConsoleFixture.ScreenshotAsync(page, "sign-in-keyboard-focus");
        await page.Keyboard.PressAsync("Enter");
        await page.WaitForURLAsync(url => new Uri(url).AbsolutePath == "/console/");
        await Assertions.Expect(page.Locator("header")).ToContainTextAsync("operator sec-admin (security-admin)");
        await page.Context.CloseAsync();
    }

    [Fact]
    public async Task The_sign_in_page_renders_accessibly_at_320px_with_strict_headers()
    {
        if (!fixture.Available)
        {
            return;
        }

        var page = await fixture.NewPageAsync(320, 640);
        var response = await page.GotoAsync(fixture.ConsoleUri + "sign-in");
        await ConsoleFixture.ScreenshotAsync(page, "sign-in-320px");
        Assert.NotNull(response);
        var headers = await response.AllHeadersAsync();
        Assert.Equal("default-src 'self'; frame-ancestors 'none'; form-action 'self'; base-uri 'none'", headers["content-security-policy"]);
        Assert.Equal("nosniff", headers["x-content-type-options"]);
        Assert.Equal("no-referrer", headers["referrer-policy"]);
        Assert.Equal("no-store", headers["cache-control"]);
        Assert.Equal("DENY", headers["x-frame-options"]);
        await ConsoleChecks.AccessibleBasicsAsync(page);
        Assert.True(await page.EvaluateAsync<bool>("() => document.documentElement.scrollWidth <= 320"));

        // The root of the management listener leads to the console.
        await page.GotoAsync(fixture.Server.ManagementEndpoint.ToString());
        Assert.Equal("/console/sign-in", new Uri(page.Url).AbsolutePath);
        await page.Context.CloseAsync();
    }

    [Fact]
    public async Task A_sign_in_post_without_its_form_token_is_refused_before_any_attempt()
    {
        if (!fixture.Available)
        {
            return;
        }

        var principal = fixture.SystemAdmin;
        var code = ConsoleFixture.ApiCode(principal, await ConsoleTotp.NextStepAsync(principal));
        using var http = fixture.RawClient();
        using var request = new HttpRequestMessage(HttpMethod.Post, "console/sign-in")
        {
            Content = new FormUrlEncodedContent(new Dictionary<string, string>
            {
                ["kind"] = "operator",
                ["name"] = principal.Name,
                ["password"] = principal.Password,
                ["code"] = code,
            }),
        };
        using var response = await http.SendAsync(request);
        Assert.Equal(HttpStatusCode.Forbidden, response.StatusCode);
        Assert.DoesNotContain(response.Headers.TryGetValues("Set-Cookie", out var cookies) ? cookies : [], value => value.Contains("strongroom-session=", StringComparison.Ordinal));
        Assert.Contains("Nothing was changed", await response.Content.ReadAsStringAsync(), StringComparison.Ordinal);

        // The code was not spent: it still signs in through the form.
        var page = await fixture.NewPageAsync();
        await fixture.SignInAsync(page, principal, code: code);
        Assert.Equal("/console/", new Uri(page.Url).AbsolutePath);
        await page.Context.CloseAsync();
    }

    [Fact]
    public async Task While_the_vault_is_sealed_the_form_says_so_and_nobody_signs_in()
    {
        if (!fixture.Available)
        {
            return;
        }

        await using var sealedServer = await StrongroomProcess.StartProductionAsync("console-sealed", shares: 3, threshold: 2, unseal: false);
        var spki = Convert.ToBase64String(System.Security.Cryptography.SHA256.HashData(sealedServer.LoadCertificate().PublicKey.ExportSubjectPublicKeyInfo()));
        await using var browser = await fixture.Playwright.Chromium.LaunchAsync(new BrowserTypeLaunchOptions
        {
            ExecutablePath = ConsoleFixture.ChromiumPath,
            Headless = true,
            Args = [$"--ignore-certificate-errors-spki-list={spki}", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage"],
        });
        var page = await browser.NewPageAsync();
        await page.GotoAsync(new Uri(sealedServer.ManagementEndpoint, "console/sign-in").ToString());
        await Assertions.Expect(page.Locator("main .warning")).ToContainTextAsync("The vault is sealed (0 of 2 shares submitted)");
        await page.GetByLabel("Name", new() { Exact = true }).FillAsync("anyone");
        await page.GetByLabel("Password").FillAsync("Correct-horse-battery-1");
        await page.GetByLabel("Authenticator code").FillAsync("123456");
        await page.GetByRole(AriaRole.Button, new() { Name = "Sign in" }).ClickAsync();
        await ConsoleFixture.ScreenshotAsync(page, "sign-in-sealed");
        await Assertions.Expect(page.GetByRole(AriaRole.Alert)).ToHaveTextAsync("The vault is sealed: nobody can sign in until custodians unseal it.");
        Assert.DoesNotContain(await page.Context.CookiesAsync(), c => c.Name.EndsWith("strongroom-session", StringComparison.Ordinal));
    }
}
