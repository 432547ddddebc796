using System.Net;
using System.Text.RegularExpressions;
using Microsoft.Playwright;
using Strongroom.Conformance.Tests.Infrastructure;
using Xunit;

namespace Strongroom.Conformance.Tests.WebConsole;

/// <summary>Two lockbox requests by the system admin on the console account, the tenant side already approved.</summary>
public sealed class OperatorConsoleFixture : ConsoleFixture
{
    protected override string Label => "console-operator";

    /// <summary>Three sites in two jurisdictions, two regions and three zones.</summary>
    protected override string Topology => """
        # Written by the console tests (ConsoleOperatorTests).
        version = 1

        [[site]]
        id = "cn1"
        region = "cn-east"
        zone = "cn-east-1"
        jurisdiction = "CN"
        backend = "directory"
        path = "sites/cn1"

        [[site]]
        id = "cn2"
        region = "cn-east"
        zone = "cn-east-2"
        jurisdiction = "CN"
        backend = "directory"
        path = "sites/cn2"

        [[site]]
        id = "eu1"
        region = "eu-west"
        zone = "eu-west-1"
        jurisdiction = "EU"
        backend = "directory"
        path = "sites/eu1"

        """;

    /// <summary>A request the console approves, activates and ends.</summary>
    public string FlowRequest { get; private set; } = null!;

    /// <summary>A request forged POSTs try to deny (it stays Requested).</summary>
    public string CsrfRequest { get; private set; } = null!;

    protected override async Task SeedAsync()
    {
        var systemToken = await LoginTokenAsync(SystemAdmin);
        var tenantToken = await LoginTokenAsync(TenantAdmin);
        FlowRequest = await RequestAsync(systemToken, "Ticket 4711: thumbnails missing since Tuesday");
        CsrfRequest = await RequestAsync(systemToken, "Ticket 4712: listing is slow");
        (await Api.PostAsync($"v1/lockbox/requests/{FlowRequest}/approve", null, tenantToken)).Ok();
    }

    private async Task<string> RequestAsync(string token, string justification) =>
        (await Api.PostAsync("v1/lockbox/requests", new { account = Account, container = AccountContainer, access = "metadata", durationMinutes = 30, justification }, token)).Ok().Text("id");
}

/// <summary>
/// The operator pages in a real browser, each with its data and a screenshot: overview, sites,
/// backlogs, charts, seal, lockbox (approve, activate, end through plain forms), platform log;
/// the API's role rules (403 pages), and forged POSTs refused with nothing changed.
/// </summary>
public sealed class ConsoleOperatorTests(OperatorConsoleFixture fixture) : IClassFixture<OperatorConsoleFixture>
{
    [Fact]
    public async Task The_overview_shows_seal_sites_backlogs_lockbox_and_servers()
    {
        if (!fixture.Available)
        {
            return;
        }

        var page = await fixture.SignedInPageAsync(fixture.SystemAdmin);
        await page.GotoAsync(fixture.ConsoleUri.ToString());
        await ConsoleFixture.ScreenshotAsync(page, "operator-overview");
        await ConsoleChecks.AccessibleBasicsAsync(page);
        var main = page.Locator("main");
        await Assertions.Expect(main.GetByRole(AriaRole.Heading, new() { Name = "Seal" })).ToBeVisibleAsync();
        await Assertions.Expect(main).ToContainTextAsync("Unsealed");
        await Assertions.Expect(main).ToContainTextAsync("3 of 3 up");
        await Assertions.Expect(main).ToContainTextAsync("owed copies");
        await Assertions.Expect(main.GetByRole(AriaRole.Heading, new() { Name = "Lockbox" })).ToBeVisibleAsync();
        await Assertions.Expect(page.Locator("nav[aria-label=Console] a[aria-current=page]")).ToHaveTextAsync("Overview");

        // A system admin is not shown the platform log; it is shown the backlogs.
        await Assertions.Expect(page.Locator("nav[aria-label=Console]")).Not.ToContainTextAsync("Platform log");
        await Assertions.Expect(page.Locator("nav[aria-label=Console]")).ToContainTextAsync("Backlogs");
        await page.Context.CloseAsync();
    }

    [Fact]
    public async Task Sites_are_grouped_by_jurisdiction_and_region_with_health_state_and_capacity()
    {
        if (!fixture.Available)
        {
            return;
        }

        var page = await fixture.SignedInPageAsync(fixture.SecurityAdmin);
        await page.GotoAsync(fixture.ConsoleUri + "sites");
        await ConsoleFixture.ScreenshotAsync(page, "operator-sites");
        await ConsoleChecks.AccessibleBasicsAsync(page);
        await Assertions.Expect(page.Locator("main h2")).ToHaveTextAsync(["Jurisdiction CN", "Jurisdiction EU"]);
        await Assertions.Expect(page.Locator("main caption")).ToHaveTextAsync(["Region cn-east (CN)", "Region eu-west (EU)"]);
        var cn = page.Locator("section").Filter(new() { Has = page.GetByRole(AriaRole.Heading, new() { Name = "Jurisdiction CN" }) });
        await Assertions.Expect(cn.Locator("tbody th[scope=row]")).ToHaveTextAsync(["cn1", "cn2"]);
        foreach (var (id, zone) in new[] { ("cn1", "cn-east-1"), ("cn2", "cn-east-2"), ("eu1", "eu-west-1") })
        {
            var row = page.GetByRole(AriaRole.Row).Filter(new() { Has = page.GetByRole(AriaRole.Rowheader, new() { Name = id, Exact = true }) });
            await Assertions.Expect(row).ToContainTextAsync("up");
            await Assertions.Expect(row).ToContainTextAsync("active");
            await Assertions.Expect(row).ToContainTextAsync(zone);
            // A directory site tells its free space.
            await Assertions.Expect(row).ToContainTextAsync(new Regex(@"\d+(\.\d)? (B|KiB|MiB|GiB|TiB|PiB)"));
            await Assertions.Expect(row).Not.ToContainTextAsync("unknown");
        }

        await page.Context.CloseAsync();
    }

    [Fact]
    public async Task Backlogs_list_every_account_for_system_and_audit_admins_and_refuse_a_security_admin()
    {
        if (!fixture.Available)
        {
            return;
        }

        var page = await fixture.SignedInPageAsync(fixture.AuditAdmin);
        await page.GotoAsync(fixture.ConsoleUri + "backlogs");
        await ConsoleFixture.ScreenshotAsync(page, "operator-backlogs");
        await ConsoleChecks.AccessibleBasicsAsync(page);
        var row = page.GetByRole(AriaRole.Row).Filter(new() { Has = page.GetByRole(AriaRole.Rowheader, new() { Name = ConsoleFixture.Account }) });
        await Assertions.Expect(row).ToHaveCountAsync(1);
        await Assertions.Expect(row).ToContainTextAsync(" s");
        await Assertions.Expect(page.Locator("main")).ToContainTextAsync("Deletions owed to sites");

        // The API lets a security admin list no accounts; neither does the console.
        var security = await fixture.SignedInPageAsync(fixture.SecurityAdmin);
        var response = await security.GotoAsync(fixture.ConsoleUri + "backlogs");
        await ConsoleFixture.ScreenshotAsync(security, "operator-backlogs-forbidden");
        Assert.Equal(403, response!.Status);
        await Assertions.Expect(security.GetByRole(AriaRole.Heading, new() { Level = 1 })).ToHaveTextAsync("Not allowed (403)");
        await Assertions.Expect(security.GetByRole(AriaRole.Alert)).ToContainTextAsync("Only system-admin and audit-admin operators");
        await Assertions.Expect(security.Locator("main")).Not.ToContainTextAsync(ConsoleFixture.Account);
        await page.Context.CloseAsync();
        await security.Context.CloseAsync();
    }

    [Fact]
    public async Task Charts_of_request_rate_latency_and_lag_are_inline_svg_from_the_history()
    {
        if (!fixture.Available)
        {
            return;
        }

        var page = await fixture.SignedInPageAsync(fixture.SystemAdmin);

        // The sampler takes a point every 15 s from the server's start: wait (bounded) for two.
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(50);
        do
        {
            await page.GotoAsync(fixture.ConsoleUri + "charts");
        }
        while (await page.Locator("figure.chart svg").CountAsync() < 3 && DateTime.UtcNow < deadline && await WaitAsync());

        await ConsoleFixture.ScreenshotAsync(page, "operator-charts");
        await ConsoleChecks.AccessibleBasicsAsync(page);
        Assert.Equal(3, await page.Locator("figure.chart svg[role=img]").CountAsync());
        await Assertions.Expect(page.Locator("figure.chart figcaption")).ToHaveTextAsync([
            "Request rate (all planes, this server)", "Mean request latency (this server)", "Largest replication lag (any account)"]);
        await Assertions.Expect(page.Locator("main")).ToContainTextAsync("Sampled every 15 s by this server process");
        Assert.True(await page.Locator("figure.chart svg polyline, figure.chart svg circle").CountAsync() >= 3);
        await page.Context.CloseAsync();

        static async Task<bool> WaitAsync()
        {
            await Task.Delay(TimeSpan.FromSeconds(2));
            return true;
        }
    }

    [Fact]
    public async Task The_seal_page_shows_status_threshold_and_shares()
    {
        if (!fixture.Available)
        {
            return;
        }

        var page = await fixture.SignedInPageAsync(fixture.AuditAdmin);
        await page.GotoAsync(fixture.ConsoleUri + "seal");
        await ConsoleFixture.ScreenshotAsync(page, "operator-seal");
        await ConsoleChecks.AccessibleBasicsAsync(page);
        var main = page.Locator("main");
        await Assertions.Expect(main).ToContainTextAsync("Unsealed");
        await Assertions.Expect(main).ToContainTextAsync("2 of 3 shares");
        await Assertions.Expect(main).ToContainTextAsync("Share generation");
        await page.Context.CloseAsync();
    }

    [Fact]
    public async Task A_lockbox_request_is_approved_activated_and_ended_through_plain_forms()
    {
        if (!fixture.Available)
        {
            return;
        }

        var id = fixture.FlowRequest;

        // The requester sees its request and cannot approve it.
        var system = await fixture.SignedInPageAsync(fixture.SystemAdmin);
        await system.GotoAsync(fixture.ConsoleUri + "lockbox");
        await ConsoleFixture.ScreenshotAsync(system, "operator-lockbox-requester");
        await ConsoleChecks.AccessibleBasicsAsync(system);
        var systemRow = RowOf(system, id);
        await Assertions.Expect(systemRow).ToContainTextAsync("requested");
        await Assertions.Expect(systemRow.GetByRole(AriaRole.Button)).ToHaveCountAsync(0);

        // A security admin approves with the row's button: the page answers 303 and shows it approved.
        var security = await fixture.SignedInPageAsync(fixture.SecurityAdmin);
        await security.GotoAsync(fixture.ConsoleUri + "lockbox");
        await ConsoleFixture.ScreenshotAsync(security, "operator-lockbox-approver");
        await RowOf(security, id).GetByRole(AriaRole.Button, new() { Name = $"Approve request {id}" }).ClickAsync();
        await Assertions.Expect(security.GetByRole(AriaRole.Status)).ToHaveTextAsync("The lockbox request was approved.");
        await Assertions.Expect(RowOf(security, id)).ToContainTextAsync("approved");
        await Assertions.Expect(RowOf(security, id)).ToContainTextAsync("security: sec-admin");

        // The requester activates, then ends it.
        await system.GotoAsync(fixture.ConsoleUri + "lockbox");
        await RowOf(system, id).GetByRole(AriaRole.Button, new() { Name = $"Activate request {id}" }).ClickAsync();
        await Assertions.Expect(system.GetByRole(AriaRole.Status)).ToHaveTextAsync("The grant is active.");
        await Assertions.Expect(RowOf(system, id)).ToContainTextAsync("active until");
        await ConsoleFixture.ScreenshotAsync(system, "operator-lockbox-active");
        await RowOf(system, id).GetByRole(AriaRole.Button, new() { Name = $"End request {id}" }).ClickAsync();
        await Assertions.Expect(RowOf(system, id)).ToContainTextAsync("ended");

        var stored = (await fixture.Api.GetAsync($"v1/lockbox/requests/{id}", fixture.SecurityToken)).Ok();
        Assert.Equal("ended", stored.Text("state"));
        await system.Context.CloseAsync();
        await security.Context.CloseAsync();
    }

    [Fact]
    public async Task An_operator_files_a_lockbox_request_through_the_form_and_a_bad_one_is_refused()
    {
        if (!fixture.Available)
        {
            return;
        }

        var page = await fixture.SignedInPageAsync(fixture.AuditAdmin);
        await page.GotoAsync(fixture.ConsoleUri + "lockbox");
        await page.GetByLabel("Account", new() { Exact = true }).FillAsync(ConsoleFixture.Account);
        await page.GetByLabel("Container", new() { Exact = true }).FillAsync(ConsoleFixture.AccountContainer);
        await page.GetByLabel("Access", new() { Exact = true }).SelectOptionAsync("read-data");
        await page.GetByLabel("Duration in minutes", new() { Exact = true }).FillAsync("15");
        await page.GetByLabel("Justification", new() { Exact = true }).FillAsync("Audit sample 2026-11");
        await page.GetByRole(AriaRole.Button, new() { Name = "File the request" }).ClickAsync();
        await Assertions.Expect(page.GetByRole(AriaRole.Status)).ToHaveTextAsync("The lockbox request was filed.");
        await Assertions.Expect(page.Locator("tbody")).ToContainTextAsync("Audit sample 2026-11");

        // A container that does not exist: the service's refusal, as a page.
        await page.GetByLabel("Account", new() { Exact = true }).FillAsync(ConsoleFixture.Account);
        await page.GetByLabel("Container", new() { Exact = true }).FillAsync("nosuchcontainer");
        await page.GetByLabel("Justification", new() { Exact = true }).FillAsync("Audit sample 2026-12");
        await page.GetByRole(AriaRole.Button, new() { Name = "File the request" }).ClickAsync();
        await ConsoleFixture.ScreenshotAsync(page, "operator-lockbox-refused");
        await Assertions.Expect(page.GetByRole(AriaRole.Alert)).ToBeVisibleAsync();
        await page.Context.CloseAsync();
    }

    [Fact]
    public async Task The_platform_log_pages_newest_first_for_audit_admins_and_refuses_a_system_admin()
    {
        if (!fixture.Available)
        {
            return;
        }

        var page = await fixture.SignedInPageAsync(fixture.AuditAdmin);
        await page.GotoAsync(fixture.ConsoleUri + "platform-log");
        await ConsoleFixture.ScreenshotAsync(page, "operator-platform-log");
        await ConsoleChecks.AccessibleBasicsAsync(page);
        var indexes = (await page.Locator("tbody th[scope=row]").AllTextContentsAsync()).Select(long.Parse).ToList();
        Assert.NotEmpty(indexes);
        Assert.Equal(indexes.OrderByDescending(i => i), indexes);
        await Assertions.Expect(page.Locator("tbody")).ToContainTextAsync("Login");
        await Assertions.Expect(page.Locator("tbody")).ToContainTextAsync("operator:aud-admin");

        // Older entries, when there are more than a page.
        if (indexes[^1] > 0)
        {
            await page.GetByRole(AriaRole.Link, new() { Name = "Older entries" }).ClickAsync();
            var older = (await page.Locator("tbody th[scope=row]").AllTextContentsAsync()).Select(long.Parse).ToList();
            Assert.True(older[0] < indexes[^1]);
        }

        var system = await fixture.SignedInPageAsync(fixture.SystemAdmin);
        var response = await system.GotoAsync(fixture.ConsoleUri + "platform-log");
        Assert.Equal(403, response!.Status);
        await Assertions.Expect(system.GetByRole(AriaRole.Alert)).ToContainTextAsync("may read the platform log");
        await Assertions.Expect(system.Locator("table")).ToHaveCountAsync(0);
        await page.Context.CloseAsync();
        await system.Context.CloseAsync();
    }

    [Fact]
    public async Task A_tenant_administrator_gets_a_403_page_on_operator_pages()
    {
        if (!fixture.Available)
        {
            return;
        }

        var page = await fixture.SignedInPageAsync(fixture.TenantAdmin);
        foreach (var path in new[] { "sites", "lockbox", "platform-log", "seal", "charts" })
        {
            var response = await page.GotoAsync(fixture.ConsoleUri + path);
            Assert.Equal(403, response!.Status);
            await Assertions.Expect(page.GetByRole(AriaRole.Alert)).ToHaveTextAsync("This page is for operators.");
        }

        await ConsoleFixture.ScreenshotAsync(page, "tenant-on-operator-page-forbidden");
        await page.Context.CloseAsync();
    }

    [Fact]
    public async Task Forged_posts_without_or_with_a_wrong_token_or_from_another_origin_are_refused_and_change_nothing()
    {
        if (!fixture.Available)
        {
            return;
        }

        var id = fixture.CsrfRequest;
        var page = await fixture.SignedInPageAsync(fixture.SecurityAdmin);
        await page.GotoAsync(fixture.ConsoleUri + "lockbox");
        var token = await page.Locator("input[name=csrf]").First.InputValueAsync();
        var cookie = await ConsoleFixture.SessionCookieAsync(page);
        Assert.NotEqual(cookie.Value, token);
        Assert.DoesNotContain(cookie.Value, await page.ContentAsync(), StringComparison.Ordinal);

        using var http = fixture.RawClient();
        async Task<HttpResponseMessage> PostAsync(string? csrf, string? origin)
        {
            var fields = new Dictionary<string, string> { ["reason"] = "forged" };
            if (csrf is not null)
            {
                fields["csrf"] = csrf;
            }

            using var request = new HttpRequestMessage(HttpMethod.Post, $"console/lockbox/{id}/deny") { Content = new FormUrlEncodedContent(fields) };
            request.Headers.Add("Cookie", $"{cookie.Name}={cookie.Value}");
            if (origin is not null)
            {
                request.Headers.Add("Origin", origin);
            }

            return await http.SendAsync(request);
        }

        using (var missing = await PostAsync(null, null))
        {
            Assert.Equal(HttpStatusCode.Forbidden, missing.StatusCode);
            Assert.Contains("Nothing was changed", await missing.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        }

        using (var wrong = await PostAsync(token[..^2] + (token[^2..] == "AA" ? "BB" : "AA"), null))
        {
            Assert.Equal(HttpStatusCode.Forbidden, wrong.StatusCode);
        }

        using (var otherSession = await PostAsync(Convert.ToBase64String(new byte[32]).TrimEnd('=').Replace('+', '-').Replace('/', '_'), null))
        {
            Assert.Equal(HttpStatusCode.Forbidden, otherSession.StatusCode);
        }

        using (var crossSite = await PostAsync(token, "https://attacker.example"))
        {
            Assert.Equal(HttpStatusCode.Forbidden, crossSite.StatusCode);
        }

        Assert.Equal("requested", (await fixture.Api.GetAsync($"v1/lockbox/requests/{id}", fixture.SecurityToken)).Ok().Text("state"));

        // The same request with the page's token, from the page's origin, goes through (303).
        using (var genuine = await PostAsync(token, fixture.Server.ManagementEndpoint.GetLeftPart(UriPartial.Authority)))
        {
            Assert.Equal(HttpStatusCode.SeeOther, genuine.StatusCode);
            Assert.Equal("/console/lockbox?notice=lockbox-denied", genuine.Headers.Location?.ToString());
        }

        Assert.Equal("denied", (await fixture.Api.GetAsync($"v1/lockbox/requests/{id}", fixture.SecurityToken)).Ok().Text("state"));
        await page.Context.CloseAsync();
    }

    private static ILocator RowOf(IPage page, string id) =>
        page.GetByRole(AriaRole.Row).Filter(new() { HasTextRegex = new Regex(Regex.Escape(id)) });
}
