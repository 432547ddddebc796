using Microsoft.Playwright;
using Xunit;

namespace Strongroom.Conformance.Tests.WebConsole;

/// <summary>Texts the console shows, as the tests expect them.</summary>
public static class ConsoleTexts
{
    public const string SignInFailed = "Sign-in failed: check the account, name, password and code. Each code is accepted only once: if you just used this one, wait for the next.";
}

/// <summary>An axe-like sanity check of a page's markup (the rules this console promises).</summary>
public static class ConsoleChecks
{
    /// <summary>
    /// lang, a title, exactly one h1, one main, a skip link to it, no script, no inline style,
    /// every input/select/textarea (but hidden ones) labelled, every table with a caption and
    /// scoped header cells, and every POST form carrying the CSRF field.
    /// </summary>
    public static async Task AccessibleBasicsAsync(IPage page)
    {
        Assert.Equal("en", await page.Locator("html").GetAttributeAsync("lang"));
        Assert.False(string.IsNullOrWhiteSpace(await page.TitleAsync()));
        Assert.Equal(1, await page.Locator("h1").CountAsync());
        Assert.Equal(1, await page.Locator("main#main").CountAsync());
        Assert.Equal(1, await page.Locator("a.skip-link[href='#main']").CountAsync());
        // The HTML as the server sent it (the browser's autofill adds style attributes to inputs in the live DOM).
        var sent = await page.EvaluateAsync<string>("async () => await (await fetch(location.href)).text()");
        Assert.DoesNotContain("<script", sent, StringComparison.OrdinalIgnoreCase);
        Assert.DoesNotContain(" style=", sent, StringComparison.OrdinalIgnoreCase);
        Assert.DoesNotMatch(new System.Text.RegularExpressions.Regex("<[^>]*\\son[a-z]+\\s*=", System.Text.RegularExpressions.RegexOptions.IgnoreCase), sent);
        var unlabelled = await page.EvaluateAsync<string[]>(@"() => [...document.querySelectorAll('input:not([type=hidden]), select, textarea')]
            .filter(e => !(e.id && document.querySelector(`label[for='${e.id}']`)) && !e.getAttribute('aria-label'))
            .map(e => e.name || e.outerHTML)");
        Assert.Empty(unlabelled);
        var badTables = await page.EvaluateAsync<int>(@"() => [...document.querySelectorAll('table')]
            .filter(t => !t.querySelector('caption') || [...t.querySelectorAll('th')].some(th => !th.getAttribute('scope'))).length");
        Assert.Equal(0, badTables);
        var formsWithoutToken = await page.EvaluateAsync<int>(@"() => [...document.querySelectorAll('form[method=post]')]
            .filter(f => !f.querySelector('input[type=hidden][name=csrf]')?.value).length");
        Assert.Equal(0, formsWithoutToken);
    }
}
