using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text.RegularExpressions;
using Microsoft.Playwright;
using Strongroom.Conformance.Tests.Infrastructure;
using Xunit;

namespace Strongroom.Conformance.Tests.WebConsole;

/// <summary>
/// One production server (HTTPS, its generated certificate pinned in the browser by its public
/// key) with an operator of each role, an account with its tenant administrator, and one headless
/// Debian chromium driven by Playwright, shared by a test class (<c>IClassFixture</c>); each test
/// opens its own page (<see cref="NewPageAsync"/>) and saves a screenshot of each page it checks
/// (<see cref="ScreenshotAsync"/>) under <c>.build/test-results/console-screenshots/</c>.
/// Without <c>/usr/bin/chromium</c> the tests return early, unless
/// <c>STRONGROOM_TEST_REQUIRE_CHROMIUM=1</c> (test.sh sets it), where they fail and say why.
/// Derive from it to add data before the browser starts (<see cref="SeedAsync"/>).
/// </summary>
public class ConsoleFixture : IAsyncLifetime
{
    /// <summary>Debian's chromium (the package <c>chromium</c>): never a downloaded browser.</summary>
    public const string ChromiumPath = "/usr/bin/chromium";

    public const string RequireChromiumVariable = "STRONGROOM_TEST_REQUIRE_CHROMIUM";

    /// <summary>The account the tenant administrator administers.</summary>
    public const string Account = "consoleacct";

    /// <summary>A container of <see cref="Account"/> holding one blob, <c>hello.txt</c>.</summary>
    public const string AccountContainer = "data";

    private readonly Dictionary<string, string> storageStates = new(StringComparer.Ordinal);
    private IPlaywright? playwright;
    private IBrowser? browser;

    /// <summary>False when chromium is missing and not required: every test returns at once.</summary>
    public bool Available { get; private set; }

    public StrongroomProcess Server { get; private set; } = null!;

    public ManagementApi Api { get; private set; } = null!;

    /// <summary>The first operator (security admin), created on the host.</summary>
    public TestPrincipal SecurityAdmin { get; private set; } = null!;

    public TestPrincipal SystemAdmin { get; private set; } = null!;

    public TestPrincipal AuditAdmin { get; private set; } = null!;

    /// <summary>A shared key of <see cref="Account"/>.</summary>
    public string AccountSharedKey { get; private set; } = null!;

    /// <summary>The tenant administrator of <see cref="Account"/>.</summary>
    public TestPrincipal TenantAdmin { get; private set; } = null!;

    /// <summary>A security admin's API session, for setting data up.</summary>
    public string SecurityToken { get; private set; } = null!;

    /// <summary><c>https://127.0.0.1:PORT/console/</c>.</summary>
    public Uri ConsoleUri => new(Server.ManagementEndpoint, "console/");

    /// <summary>The label of the server's data directory (and log).</summary>
    protected virtual string Label => "console";

    /// <summary>The sites (a topology file's text); null: the server's single-site default.</summary>
    protected virtual string? Topology => null;

    public IBrowser Browser => browser ?? throw new InvalidOperationException("the browser is not running");

    /// <summary>The Playwright driver (to launch a second browser for a server of a test's own).</summary>
    public IPlaywright Playwright => playwright ?? throw new InvalidOperationException("Playwright is not running");

    public async Task InitializeAsync()
    {
        if (!File.Exists(ChromiumPath))
        {
            if (Environment.GetEnvironmentVariable(RequireChromiumVariable) == "1")
            {
                throw new InvalidOperationException($"{ChromiumPath} is missing and {RequireChromiumVariable}=1: install Debian's chromium (apt-get install chromium); test.sh does.");
            }

            return;
        }

        Server = await StrongroomProcess.StartProductionAsync(Label, shares: 3, threshold: 2, topology: Topology);
        Api = new ManagementApi(Server);
        SecurityAdmin = await Principals.CreateFirstOperatorAsync(Server, "sec-admin");
        SecurityToken = await LoginTokenAsync(SecurityAdmin);
        SystemAdmin = await Principals.CreateOperatorAsync(Api, SecurityToken, "sys-admin", "system-admin");
        AuditAdmin = await Principals.CreateOperatorAsync(Api, SecurityToken, "aud-admin", "audit-admin");
        (AccountSharedKey, _) = await Server.CreateAccountAsync(Account);
        TestLogs.RecordSecret("account key", AccountSharedKey);
        var container = Server.ServiceClient(Account, AccountSharedKey).GetBlobContainerClient(AccountContainer);
        await container.CreateAsync();
        await container.GetBlobClient("hello.txt").UploadAsync(BinaryData.FromString("hello from the console tests"));
        TenantAdmin = await Principals.CreateTenantAdminAsync(Server, Account, "tenant-admin");
        await SeedAsync();

        playwright = await Microsoft.Playwright.Playwright.CreateAsync();
        var spki = Convert.ToBase64String(SHA256.HashData(Server.LoadCertificate().PublicKey.ExportSubjectPublicKeyInfo()));
        browser = await playwright.Chromium.LaunchAsync(new BrowserTypeLaunchOptions
        {
            ExecutablePath = ChromiumPath,
            Headless = true,
            // The server's own certificate, pinned by its public key: nothing else is trusted.
            Args = [$"--ignore-certificate-errors-spki-list={spki}", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage"],
        });
        Available = true;
    }

    /// <summary>Data a derived fixture adds before the browser starts (accounts, requests, objects).</summary>
    protected virtual Task SeedAsync() => Task.CompletedTask;

    public async Task DisposeAsync()
    {
        if (browser is not null)
        {
            await browser.CloseAsync();
        }

        playwright?.Dispose();
        Api?.Dispose();
        if (Server is not null)
        {
            await Server.DisposeAsync();
        }
    }

    /// <summary>Signs in through the JSON API with a fresh TOTP step and returns the session token.</summary>
    public async Task<string> LoginTokenAsync(TestPrincipal principal) =>
        await principal.LoginAsync(Api, await ConsoleTotp.NextStepAsync(principal));

    /// <summary>A fresh page in its own browser context (no cookies), 1280×900.</summary>
    public async Task<IPage> NewPageAsync(int width = 1280, int height = 900)
    {
        var context = await Browser.NewContextAsync(new BrowserNewContextOptions { ViewportSize = new ViewportSize { Width = width, Height = height } });
        return await context.NewPageAsync();
    }

    /// <summary>
    /// A page already signed in as <paramref name="principal"/>: the first call signs in through
    /// the form (<see cref="SignInAsync"/>), later calls reuse that session's cookie.
    /// </summary>
    public async Task<IPage> SignedInPageAsync(TestPrincipal principal, int width = 1280, int height = 900)
    {
        var key = principal.Account + "/" + principal.Name;
        if (storageStates.TryGetValue(key, out var state))
        {
            var context = await Browser.NewContextAsync(new BrowserNewContextOptions { ViewportSize = new ViewportSize { Width = width, Height = height }, StorageState = state });
            return await context.NewPageAsync();
        }

        var page = await NewPageAsync(width, height);
        await SignInAsync(page, principal);
        Assert.DoesNotContain("/sign-in", page.Url, StringComparison.Ordinal);
        storageStates[key] = await page.Context.StorageStateAsync();
        return page;
    }

    /// <summary>Fills and submits the sign-in form as <paramref name="principal"/> with the code <paramref name="code"/> (default: a fresh step's).</summary>
    public async Task SignInAsync(IPage page, TestPrincipal principal, string? code = null, string? password = null)
    {
        await page.GotoAsync(ConsoleUri + "sign-in");
        await page.GetByLabel(principal.Kind == "operator" ? "Operator" : "Tenant administrator", new() { Exact = true }).CheckAsync();
        if (principal.Account is not null)
        {
            await page.GetByLabel("Account").FillAsync(principal.Account);
        }

        await page.GetByLabel("Name", new() { Exact = true }).FillAsync(principal.Name);
        await page.GetByLabel("Password").FillAsync(password ?? principal.Password);
        await page.GetByLabel("Authenticator code").FillAsync(code ?? ApiCode(principal, await ConsoleTotp.NextStepAsync(principal)));
        var submitted = await page.RunAndWaitForResponseAsync(
            () => page.GetByRole(AriaRole.Button, new() { Name = "Sign in" }).ClickAsync(),
            response => response.Request.Method == "POST" && response.Url.EndsWith("/sign-in", StringComparison.Ordinal));
        if (submitted.Status == 303)
        {
            // Signed in: wait for the console page the redirect leads to by its content (its sign-out
            // form), not by its load event, which a wait begun while the navigation commits can miss.
            await page.WaitForURLAsync(url => !url.Contains("/sign-in", StringComparison.Ordinal), new() { WaitUntil = WaitUntilState.Commit });
            await page.Locator("form[action='/console/sign-out']").WaitForAsync();
        }
        else
        {
            await page.WaitForLoadStateAsync(LoadState.Load);
        }
        foreach (var cookie in await page.Context.CookiesAsync())
        {
            if (cookie.Name.Contains("session", StringComparison.Ordinal))
            {
                TestLogs.RecordSecret("console session token", cookie.Value);
            }
        }
    }

    /// <summary>The TOTP code of <paramref name="principal"/> at <paramref name="step"/>.</summary>
    public static string ApiCode(TestPrincipal principal, long step) => ManagementApi.Code(principal.TotpSecret, step);

    /// <summary>Saves a full-page screenshot as <c>console-screenshots/NAME.png</c> and returns its path.</summary>
    public static async Task<string> ScreenshotAsync(IPage page, string name)
    {
        var directory = Directory.CreateDirectory(Path.Combine(ResultsDirectory, "console-screenshots")).FullName;
        var path = Path.Combine(directory, Regex.Replace(name, "[^A-Za-z0-9_.-]", "_") + ".png");
        await page.ScreenshotAsync(new PageScreenshotOptions { Path = path, FullPage = true });
        return path;
    }

    /// <summary><c>$STRONGROOM_TEST_RESULTS_DIR</c> (test.sh's results), or <c>.build/test-results</c> at the repository root.</summary>
    public static string ResultsDirectory =>
        Environment.GetEnvironmentVariable("STRONGROOM_TEST_RESULTS_DIR") is { Length: > 0 } configured
            ? configured
            : Path.Combine(Path.GetDirectoryName(TestLogs.Directory)!, "test-results");

    /// <summary>
    /// An HTTP client for requests a browser would not make (forged POSTs): trusts only the
    /// server's certificate, follows no redirect, sends only the cookies given.
    /// </summary>
    public HttpClient RawClient()
    {
        var trusted = Server.LoadCertificate();
        var handler = new SocketsHttpHandler { AllowAutoRedirect = false, UseCookies = false };
        handler.SslOptions.RemoteCertificateValidationCallback = (_, certificate, _, _) =>
            certificate is not null && certificate.GetRawCertData().AsSpan().SequenceEqual(trusted.RawData);
        return new HttpClient(handler) { BaseAddress = Server.ManagementEndpoint };
    }

    /// <summary>The value of the page's session cookie (to forge requests with it).</summary>
    public static async Task<System.Net.Cookie> SessionCookieAsync(IPage page)
    {
        var cookie = (await page.Context.CookiesAsync()).Single(c => c.Name.EndsWith("strongroom-session", StringComparison.Ordinal));
        return new System.Net.Cookie(cookie.Name, cookie.Value);
    }
}

/// <summary>
/// TOTP steps for the tests: a code is accepted once, so each sign-in of a principal uses a step
/// after the last one it used, within the server's window (one step either side of now); when
/// the window is used up, waits (bounded) for the clock to move on.
/// </summary>
public static class ConsoleTotp
{
    private static readonly Dictionary<string, long> LastStep = new(StringComparer.Ordinal);

    public static async Task<long> NextStepAsync(TestPrincipal principal)
    {
        var key = principal.Account + "/" + principal.Name;
        for (var attempt = 0; attempt < 70; attempt++)
        {
            var now = ManagementApi.CurrentStep;
            lock (LastStep)
            {
                var next = Math.Max(now - 1, LastStep.TryGetValue(key, out var last) ? last + 1 : now - 1);
                if (next <= now + 1)
                {
                    LastStep[key] = next;
                    return next;
                }
            }

            await Task.Delay(TimeSpan.FromSeconds(1));
        }

        throw new TimeoutException("no TOTP step came free within 70 seconds");
    }

    /// <summary>Marks <paramref name="step"/> used (a test that signed in with it by hand).</summary>
    public static void MarkUsed(TestPrincipal principal, long step)
    {
        lock (LastStep)
        {
            var key = principal.Account + "/" + principal.Name;
            LastStep[key] = Math.Max(step, LastStep.TryGetValue(key, out var last) ? last : long.MinValue);
        }
    }
}
