using System.Net;
using System.Text.Json;
using System.Text.RegularExpressions;
using Azure.Core;
using Azure.Storage.Blobs;
using Microsoft.Playwright;
using Strongroom.Conformance.Tests.Infrastructure;
using Xunit;

namespace Strongroom.Conformance.Tests.WebConsole;

/// <summary>
/// The console's server with two more accounts for the tenant pages: <see cref="Account"/> with
/// blobs uploaded through the Azure SDK and its tenant administrator, and <see cref="OtherAccount"/>
/// with its own administrator and a lockbox request of its own (what the first must never see).
/// </summary>
public sealed class TenantConsoleFixture : ConsoleFixture
{
    public new const string Account = "tenantpages";
    public const string OtherAccount = "othertenant";
    public const string RecordsContainer = "records";
    public const string Blob = "2026/invoice-0001.pdf";

    public TestPrincipal Admin { get; private set; } = null!;

    public TestPrincipal OtherAdmin { get; private set; } = null!;

    /// <summary>The administrator of <see cref="DestroyedAccount"/>, destroyed at once on the host (its certificate issued).</summary>
    public TestPrincipal DestroyedAdmin { get; private set; } = null!;

    public const string DestroyedAccount = "doomedtenant";

    public BlobServiceClient Blobs { get; private set; } = null!;

    /// <summary>The account's first shared key (a secret no page may show).</summary>
    public string TenantAccountKey { get; private set; } = null!;

    public BlobServiceClient OtherBlobs { get; private set; } = null!;

    /// <summary>The system admin's API session: the operator who asks for access.</summary>
    public string OperatorToken { get; private set; } = null!;

    /// <summary>A lockbox request of the other account, waiting for its administrator.</summary>
    public string OtherRequestId { get; private set; } = null!;

    protected override string Label => "console-tenant";

    protected override async Task SeedAsync()
    {
        var (key, _) = await Server.CreateAccountAsync(Account);
        TenantAccountKey = key;
        Blobs = Server.ServiceClient(Account, key);
        Admin = await Principals.CreateTenantAdminAsync(Server, Account, "tenant-lead");
        var (otherKey, _) = await Server.CreateAccountAsync(OtherAccount);
        OtherBlobs = Server.ServiceClient(OtherAccount, otherKey);
        OtherAdmin = await Principals.CreateTenantAdminAsync(Server, OtherAccount, "other-lead");

        var container = (await Blobs.CreateBlobContainerAsync(RecordsContainer)).Value;
        await container.UploadBlobAsync(Blob, BinaryData.FromString("invoice 0001: 4,200.00"));
        await container.UploadBlobAsync("2026/invoice-0002.pdf", BinaryData.FromString("invoice 0002: 17.00"));
        var other = (await OtherBlobs.CreateBlobContainerAsync("secrets")).Value;
        await other.UploadBlobAsync("other.txt", BinaryData.FromString("the other tenant's"));

        await Server.CreateAccountAsync(DestroyedAccount);
        DestroyedAdmin = await Principals.CreateTenantAdminAsync(Server, DestroyedAccount, "last-lead");
        var deleted = await Server.RunCliAsync("account", "delete", DestroyedAccount, "--yes");
        Assert.True(deleted.ExitCode == 0, deleted.ToString());

        OperatorToken = await LoginTokenAsync(SystemAdmin);
        OtherRequestId = (await Api.PostAsync("v1/lockbox/requests", new
        {
            account = OtherAccount,
            container = "secrets",
            access = "read-data",
            durationMinutes = 30,
            justification = "Ticket 9001: the other tenant's own case",
        }, OperatorToken)).Ok().Text("id");
    }
}

/// <summary>
/// Issue 10's tenant-administrator pages in headless chromium: sign in with TOTP, every page
/// rendered and screenshotted, approve and deny lockbox requests (the state and the log follow),
/// a stale approval, revoke a grant (its token is then refused on the data plane), find a blob's
/// locations, check log inclusion (verified, tampered, out of range) and consistency, and the
/// refusals: another account's data, operator pages, a POST without the CSRF token.
/// </summary>
[Trait("Category", "Console")]
public sealed class TenantConsoleTests(TenantConsoleFixture fixture) : IClassFixture<TenantConsoleFixture>
{
    private const string Account = TenantConsoleFixture.Account;
    private const string TenantApproverId = Account + "/tenant-lead";
    private static int tickets;

    private ManagementApi Api => fixture.Api;

    private string Url(string relative) => fixture.ConsoleUri + relative;

    private sealed class GrantCredential(string token) : TokenCredential
    {
        public override AccessToken GetToken(TokenRequestContext requestContext, CancellationToken cancellationToken) => new(token, DateTimeOffset.UtcNow.AddHours(1));

        public override ValueTask<AccessToken> GetTokenAsync(TokenRequestContext requestContext, CancellationToken cancellationToken) => new(GetToken(requestContext, cancellationToken));
    }

    /// <summary>An operator's lockbox request on the tenant's container through the JSON API (as <c>strongroom lockbox request</c> sends it).</summary>
    private async Task<(string Id, string Justification)> RequestAsync(string access = "read-data")
    {
        var justification = $"Ticket {5100 + Interlocked.Increment(ref tickets)}: customer reports a corrupt export";
        var id = (await Api.PostAsync("v1/lockbox/requests", new
        {
            account = Account,
            container = TenantConsoleFixture.RecordsContainer,
            prefix = "2026/",
            access,
            durationMinutes = 60,
            justification,
        }, fixture.OperatorToken)).Ok().Text("id");
        return (id, justification);
    }

    private async Task<JsonElement> LockboxAsync(string id) => (await Api.GetAsync($"v1/lockbox/requests/{id}", fixture.SecurityToken)).Ok().Body;

    /// <summary>A page signed in as the tenant administrator through the sign-in form (password and TOTP), its session reused by later tests.</summary>
    private Task<IPage> TenantPageAsync() => fixture.SignedInPageAsync(fixture.Admin);

    /// <summary>The account's log entries as the JSON API returns them (decoded), for what the console must have recorded.</summary>
    private async Task<List<JsonElement>> LogEntriesAsync()
    {
        var token = await fixture.LoginTokenAsync(fixture.AuditAdmin);
        var checkpoint = (await Api.GetAsync($"v1/accounts/{Account}/log/checkpoint", token)).Ok().Text("checkpoint");
        var size = long.Parse(checkpoint.Split('\n')[1], System.Globalization.CultureInfo.InvariantCulture);
        var entries = new List<JsonElement>();
        for (long start = 0; start < size; start += 100)
        {
            var page = (await Api.GetAsync($"v1/accounts/{Account}/log/entries?start={start}&end={Math.Min(size, start + 100)}", token)).Ok().Body;
            foreach (var item in page.GetProperty("entries").EnumerateArray())
            {
                if (item.GetProperty("entry").ValueKind == JsonValueKind.String)
                {
                    using var document = JsonDocument.Parse(item.GetProperty("entry").GetBytesFromBase64());
                    entries.Add(document.RootElement.Clone());
                }
            }
        }

        return entries;
    }

    [Fact]
    public async Task A_tenant_administrator_signs_in_with_TOTP_and_every_tenant_page_renders()
    {
        if (!fixture.Available)
        {
            return;
        }

        // Through the sign-in form with the current TOTP code: a tenant administrator lands on the tenant home page.
        var page = await fixture.NewPageAsync();
        await fixture.SignInAsync(page, fixture.Admin);
        Assert.Equal("/console/tenant", new Uri(page.Url).AbsolutePath);
        await Assertions.Expect(page.GetByRole(AriaRole.Heading, new() { Name = $"Account {Account}", Level = 1 })).ToBeVisibleAsync();
        await Assertions.Expect(page.Locator("header")).ToContainTextAsync($"tenant administrator tenant-lead of {Account}");
        await ConsoleFixture.ScreenshotAsync(page, "tenant-home");

        (string Path, string Heading, string Shot)[] pages =
        [
            ("tenant/placement", "Where your data is", "tenant-placement"),
            ("tenant/log", "Transparency log", "tenant-log"),
            ("tenant/requests", "Pending requests", "tenant-requests"),
            ("tenant/grants", "Active grants", "tenant-grants"),
            ("tenant/keys", "Keys and scopes", "tenant-keys"),
            ("tenant/certificates", "Destruction certificates", "tenant-certificates"),
        ];
        foreach (var (path, heading, shot) in pages)
        {
            var response = await page.GotoAsync(Url(path));
            Assert.Equal(200, response!.Status);
            await Assertions.Expect(page.GetByRole(AriaRole.Heading, new() { Name = heading, Level = 1 })).ToBeVisibleAsync();
            await Assertions.Expect(page.GetByRole(AriaRole.Link, new() { Name = heading == "Where your data is" ? "Where my data is" : heading })).ToHaveAttributeAsync("aria-current", "page");
            await ConsoleFixture.ScreenshotAsync(page, shot);
            var html = await page.ContentAsync();
            Assert.DoesNotContain("<script", html, StringComparison.OrdinalIgnoreCase);

            // No key material on any page: not the account's shared keys, nor the session token.
            Assert.DoesNotContain(fixture.TenantAccountKey, html, StringComparison.Ordinal);
            Assert.DoesNotContain((await ConsoleFixture.SessionCookieAsync(page)).Value, html, StringComparison.Ordinal);
        }

        // Keys and scopes: the first key version, current, and no key material anywhere.
        await page.GotoAsync(Url("tenant/keys"));
        await Assertions.Expect(page.Locator("#kek-versions tbody tr")).ToHaveCountAsync(1);
        await Assertions.Expect(page.Locator("#kek-versions tbody tr").First).ToContainTextAsync("yes (current)");

        // The placement page: the account's copies grouped by jurisdiction, its residency, and the signed report.
        await page.GotoAsync(Url("tenant/placement"));
        await Assertions.Expect(page.Locator("main")).ToContainTextAsync("Residency");
        await Assertions.Expect(page.Locator("main")).ToContainTextAsync("(in your residency)");
        var download = await page.RunAndWaitForDownloadAsync(() => page.GetByRole(AriaRole.Link, new() { Name = "Download the signed placement report" }).ClickAsync());
        var report = await File.ReadAllTextAsync((await download.PathAsync())!);
        Assert.Contains($"\"account\":\"{Account}\"", report, StringComparison.Ordinal);
        Assert.Contains("\n\u2014 ", report, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Approving_a_lockbox_request_changes_its_state_and_the_log_records_it()
    {
        if (!fixture.Available)
        {
            return;
        }

        var (id, justification) = await RequestAsync();
        var page = await TenantPageAsync();
        await page.GotoAsync(Url("tenant/requests"));
        var request = page.Locator($"#request-{id}");
        await Assertions.Expect(request).ToContainTextAsync(justification);
        await Assertions.Expect(request).ToContainTextAsync("sys-admin");
        await Assertions.Expect(request).ToContainTextAsync($"{TenantConsoleFixture.RecordsContainer}/2026/*");
        await ConsoleFixture.ScreenshotAsync(page, "tenant-requests-pending");

        await request.GetByRole(AriaRole.Button, new() { Name = "Approve" }).ClickAsync();
        await page.WaitForURLAsync(new Regex("/console/tenant/requests\\?notice=tenant-lockbox-approved$"));
        await Assertions.Expect(page.GetByRole(AriaRole.Status)).ToContainTextAsync("You approved the lockbox request");
        await Assertions.Expect(page.Locator($"#request-{id}")).ToHaveCountAsync(0);
        await Assertions.Expect(page.Locator("#history tr", new() { HasText = id })).ToContainTextAsync($"approved by {TenantApproverId}");
        await ConsoleFixture.ScreenshotAsync(page, "tenant-requests-approved");

        var stored = await LockboxAsync(id);
        Assert.Equal(TenantApproverId, stored.GetProperty("tenantApprover").GetString());
        Assert.Equal("requested", stored.GetProperty("state").GetString());

        // Once the security admin approves too, the request is Approved.
        (await Api.PostAsync($"v1/lockbox/requests/{id}/approve", null, fixture.SecurityToken)).Ok();
        Assert.Equal("approved", (await LockboxAsync(id)).GetProperty("state").GetString());

        var entry = (await LogEntriesAsync()).Single(entry => entry.GetProperty("action").GetString() == "Lockbox.Approve"
            && entry.GetProperty("actor").GetProperty("id").GetString() == TenantApproverId
            && entry.GetProperty("details").ToString().Contains(id, StringComparison.Ordinal));
        Assert.Equal("tenant-admin", entry.GetProperty("actor").GetProperty("kind").GetString());
        Assert.Equal(justification, entry.GetProperty("justification").GetString());

        // The console's own log page shows it.
        await page.GotoAsync(Url("tenant/log"));
        await Assertions.Expect(page.Locator("#entries tr", new() { HasText = "Lockbox.Approve" }).Filter(new() { HasText = $"tenant-admin {TenantApproverId}" }).Filter(new() { HasText = id })).ToHaveCountAsync(1);
    }

    [Fact]
    public async Task Denying_a_request_records_the_reason_and_a_stale_approval_says_nothing_changed()
    {
        if (!fixture.Available)
        {
            return;
        }

        var (denied, _) = await RequestAsync();
        var (stale, _) = await RequestAsync();
        var page = await TenantPageAsync();
        await page.GotoAsync(Url("tenant/requests"));

        var article = page.Locator($"#request-{denied}");
        await article.GetByLabel("Reason for denying").FillAsync("No open ticket of ours matches this.");
        await article.GetByRole(AriaRole.Button, new() { Name = "Deny" }).ClickAsync();
        await page.WaitForURLAsync(new Regex("notice=tenant-lockbox-denied$"));
        await Assertions.Expect(page.GetByRole(AriaRole.Status)).ToContainTextAsync("You denied the lockbox request.");
        await Assertions.Expect(page.Locator("#history tr", new() { HasText = denied }).Locator(".state")).ToHaveTextAsync("denied");
        Assert.Equal("denied", (await LockboxAsync(denied)).GetProperty("state").GetString());
        var entry = (await LogEntriesAsync()).Single(entry => entry.GetProperty("action").GetString() == "Lockbox.Deny"
            && entry.GetProperty("details").ToString().Contains(denied, StringComparison.Ordinal));
        Assert.Contains("No open ticket of ours matches this.", entry.GetProperty("details").ToString(), StringComparison.Ordinal);

        // The page still shows the second request; meanwhile the security admin denies it.
        (await Api.PostAsync($"v1/lockbox/requests/{stale}/deny", new { reason = "duplicate" }, fixture.SecurityToken)).Ok();
        await page.Locator($"#request-{stale}").GetByRole(AriaRole.Button, new() { Name = "Approve" }).ClickAsync();
        await Assertions.Expect(page.Locator("#action-error")).ToContainTextAsync("Nothing was changed");
        await Assertions.Expect(page.Locator("#action-error")).ToContainTextAsync("denied");
        await ConsoleFixture.ScreenshotAsync(page, "tenant-requests-stale");
        Assert.Equal("denied", (await LockboxAsync(stale)).GetProperty("state").GetString());
        Assert.Null((await LockboxAsync(stale)).TryGetProperty("tenantApprover", out var approver) ? approver.GetString() : null);
    }

    [Fact]
    public async Task Revoking_a_grant_makes_the_data_plane_refuse_its_token()
    {
        if (!fixture.Available)
        {
            return;
        }

        var (id, _) = await RequestAsync();
        var page = await TenantPageAsync();
        await page.GotoAsync(Url("tenant/requests"));
        await page.Locator($"#request-{id}").GetByRole(AriaRole.Button, new() { Name = "Approve" }).ClickAsync();
        await page.WaitForURLAsync(new Regex("notice=tenant-lockbox-approved$"));
        (await Api.PostAsync($"v1/lockbox/requests/{id}/approve", null, fixture.SecurityToken)).Ok();
        (await Api.PostAsync($"v1/lockbox/requests/{id}/activate", null, fixture.OperatorToken)).Ok();
        var token = (await Api.PostAsync($"v1/lockbox/requests/{id}/token", null, fixture.OperatorToken)).Ok().Text("token");
        TestLogs.RecordSecret("grant token", token);

        var blob = new BlobServiceClient(fixture.Server.AccountUri(Account), new GrantCredential(token), fixture.Server.ClientOptions())
            .GetBlobContainerClient(TenantConsoleFixture.RecordsContainer).GetBlobClient(TenantConsoleFixture.Blob);
        Assert.Equal("invoice 0001: 4,200.00", (await blob.DownloadContentAsync()).Value.Content.ToString());

        await page.GotoAsync(Url("tenant/grants"));
        var row = page.Locator($"#grant-{id}");
        await Assertions.Expect(row).ToContainTextAsync("active");
        await Assertions.Expect(row).ToContainTextAsync("sys-admin");
        await ConsoleFixture.ScreenshotAsync(page, "tenant-grants-active");
        await row.GetByRole(AriaRole.Button, new() { Name = "Revoke" }).ClickAsync();
        await page.WaitForURLAsync(new Regex("/console/tenant/grants\\?notice=tenant-grant-revoked$"));
        await Assertions.Expect(page.GetByRole(AriaRole.Status)).ToContainTextAsync("You revoked the grant");
        await Assertions.Expect(page.Locator($"#grant-{id}")).ToHaveCountAsync(0);
        await Assertions.Expect(page.Locator("#ended tr", new() { HasText = id })).ToContainTextAsync("revoked");
        await ConsoleFixture.ScreenshotAsync(page, "tenant-grants-revoked");

        Assert.Equal("revoked", (await LockboxAsync(id)).GetProperty("state").GetString());
        var refused = await Assert.ThrowsAsync<Azure.RequestFailedException>(() => blob.DownloadContentAsync());
        Assert.Equal(403, refused.Status);

        // Revoking again is stale: a clear message, nothing changed.
        using var client = fixture.RawClient();
        var cookie = await ConsoleFixture.SessionCookieAsync(page);
        var again = await PostFormAsync(client, cookie, $"console/tenant/lockbox/{id}/revoke", await CsrfAsync(page));
        Assert.Equal(HttpStatusCode.Conflict, again.StatusCode);
        Assert.Contains("Nothing was changed", await again.Content.ReadAsStringAsync(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Finding_a_blobs_locations_lists_each_copy_and_bad_input_gets_a_clear_message()
    {
        if (!fixture.Available)
        {
            return;
        }

        var page = await TenantPageAsync();
        await page.GotoAsync(Url("tenant/placement"));
        await page.GetByLabel("Container").FillAsync(TenantConsoleFixture.RecordsContainer);
        await page.GetByLabel("Blob name").FillAsync(TenantConsoleFixture.Blob);
        await page.GetByRole(AriaRole.Button, new() { Name = "Find its copies" }).ClickAsync();
        await page.WaitForURLAsync(new Regex("container=records"));
        var rows = page.Locator("#blob-copies tbody tr");
        Assert.True(await rows.CountAsync() >= 1);
        var sites = (await fixture.Api.GetAsync($"v1/accounts/{Account}/locations?container={TenantConsoleFixture.RecordsContainer}&blob={Uri.EscapeDataString(TenantConsoleFixture.Blob)}", await fixture.LoginTokenAsync(fixture.AuditAdmin))).Ok().Body;
        var copies = sites.GetProperty("blobs")[0].GetProperty("objects").EnumerateArray().SelectMany(stored => stored.GetProperty("copies").EnumerateArray()).ToList();
        Assert.Equal(copies.Count, await rows.CountAsync());
        foreach (var copy in copies)
        {
            var row = rows.Filter(new() { HasText = copy.GetProperty("site").GetString()! });
            await Assertions.Expect(row).ToContainTextAsync(copy.GetProperty("jurisdiction").GetString()!);
            await Assertions.Expect(row).ToContainTextAsync("present");
        }

        await ConsoleFixture.ScreenshotAsync(page, "tenant-placement-find");

        foreach (var (container, blob, status, message) in new[]
        {
            ("nosuchcontainer", "x", 404, "Your account has no container named 'nosuchcontainer'."),
            (TenantConsoleFixture.RecordsContainer, "2026/missing.pdf", 404, "has no blob named '2026/missing.pdf'"),
            ("Bad_Name!", "x", 400, "The container name is not valid"),
            ("secrets", "other.txt", 404, "Your account has no container named 'secrets'."),
        })
        {
            var response = await page.GotoAsync(Url($"tenant/placement?container={Uri.EscapeDataString(container)}&blob={Uri.EscapeDataString(blob)}"));
            Assert.Equal(status, response!.Status);
            await Assertions.Expect(page.Locator("#find-error")).ToContainTextAsync(message);
            await Assertions.Expect(page.Locator("#blob-copies")).ToHaveCountAsync(0);
        }

        await ConsoleFixture.ScreenshotAsync(page, "tenant-placement-find-error");
    }

    [Fact]
    public async Task An_inclusion_check_verifies_and_a_tampered_or_out_of_range_one_fails_clearly()
    {
        if (!fixture.Available)
        {
            return;
        }

        var page = await TenantPageAsync();
        await page.GotoAsync(Url("tenant/log"));
        await page.GetByLabel("Entry index").FillAsync("0");
        await page.GetByRole(AriaRole.Button, new() { Name = "Check inclusion" }).ClickAsync();
        await page.WaitForURLAsync(new Regex("/console/tenant/log/inclusion\\?index=0"));
        await Assertions.Expect(page.Locator("#inclusion-result")).ToContainTextAsync("Verified");
        await Assertions.Expect(page.Locator("#inclusion-result")).ToContainTextAsync("Entry 0 is in the log");
        await ConsoleFixture.ScreenshotAsync(page, "tenant-log-inclusion-verified");
        var checkpoint = await page.Locator("#checkpoint").InnerTextAsync();
        var size = long.Parse(checkpoint.Split('\n')[1], System.Globalization.CultureInfo.InvariantCulture);
        Assert.True(size > 1);
        await Assertions.Expect(page.GetByRole(AriaRole.Table, new() { Name = "Proof path, from the leaf up to the root" }).Locator("tbody tr")).Not.ToHaveCountAsync(0);

        // The last entry, with its leaf hash given (hex, as the entries table shows it).
        var last = size - 1;
        var leaf = await page.Locator("#entries tbody tr").Filter(new() { Has = page.Locator("th", new() { HasTextRegex = new Regex($"^{last}$") }) }).Locator("code.hash").InnerTextAsync();
        await page.GotoAsync(Url($"tenant/log/inclusion?index={last}&leafHash={leaf}"));
        await Assertions.Expect(page.Locator("#inclusion-result")).ToContainTextAsync("Verified");

        // Tampered: another leaf hash at that index.
        var tampered = (leaf[0] == '0' ? "1" : "0") + leaf[1..];
        await page.GotoAsync(Url($"tenant/log/inclusion?index={last}&leafHash={tampered}"));
        await Assertions.Expect(page.Locator("#inclusion-result")).ToContainTextAsync("Failed");
        await Assertions.Expect(page.Locator("#inclusion-result")).ToContainTextAsync("does not lead from this leaf hash to the root");
        await ConsoleFixture.ScreenshotAsync(page, "tenant-log-inclusion-tampered");

        // Out of range: beyond the signed checkpoint (the log may have grown since: ask far beyond).
        await page.GotoAsync(Url("tenant/log/inclusion?index=999999"));
        await Assertions.Expect(page.Locator("#inclusion-result")).ToContainTextAsync("Failed");
        await Assertions.Expect(page.Locator("#inclusion-result")).ToContainTextAsync("Index 999999 is not in the log: the signed checkpoint covers entries 0 to");

        // Not a number, not a hash: 400 with the reason.
        var response = await page.GotoAsync(Url("tenant/log/inclusion?index=-1"));
        Assert.Equal(400, response!.Status);
        await Assertions.Expect(page.Locator("#form-error")).ToContainTextAsync("non-negative whole number");
        response = await page.GotoAsync(Url("tenant/log/inclusion?index=0&leafHash=zz"));
        Assert.Equal(400, response!.Status);
        await Assertions.Expect(page.Locator("#form-error")).ToContainTextAsync("64 hexadecimal digits");
    }

    [Fact]
    public async Task A_consistency_check_from_a_kept_checkpoint_verifies_and_a_forged_one_fails()
    {
        if (!fixture.Available)
        {
            return;
        }

        var page = await TenantPageAsync();
        await page.GotoAsync(Url("tenant/log"));
        var kept = await page.Locator("#checkpoint").InnerTextAsync();

        // The log grows (an upload is recorded), then the kept checkpoint is checked against the new one.
        await fixture.Blobs.GetBlobContainerClient(TenantConsoleFixture.RecordsContainer).UploadBlobAsync($"later/{Guid.NewGuid():N}.txt", BinaryData.FromString("later"));
        await page.GotoAsync(Url("tenant/log"));
        await page.GetByLabel("Earlier checkpoint (all its lines)").FillAsync(kept);
        await page.GetByRole(AriaRole.Button, new() { Name = "Check consistency" }).ClickAsync();
        await Assertions.Expect(page.Locator("#consistency-result")).ToContainTextAsync("Verified");
        await ConsoleFixture.ScreenshotAsync(page, "tenant-log-consistency");

        // A forged checkpoint (its root changed, the signature kept) fails on the signature.
        var lines = kept.Split('\n');
        lines[2] = Convert.ToBase64String(new byte[32]);
        await page.GetByLabel("Earlier checkpoint (all its lines)").FillAsync(string.Join('\n', lines));
        await page.GetByRole(AriaRole.Button, new() { Name = "Check consistency" }).ClickAsync();
        await Assertions.Expect(page.Locator("#consistency-result")).ToContainTextAsync("Failed");
        await Assertions.Expect(page.Locator("#consistency-result")).ToContainTextAsync("does not verify");
    }

    [Fact]
    public async Task A_tenant_administrator_never_reaches_another_accounts_data_or_operator_pages()
    {
        if (!fixture.Available)
        {
            return;
        }

        var page = await TenantPageAsync();
        await page.GotoAsync(Url("tenant/requests"));
        Assert.DoesNotContain(fixture.OtherRequestId, await page.ContentAsync(), StringComparison.Ordinal);
        Assert.DoesNotContain(TenantConsoleFixture.OtherAccount, await page.Locator("main").InnerTextAsync(), StringComparison.Ordinal);

        // Approving or revoking the other account's request by its id: not found, nothing changed.
        using var client = fixture.RawClient();
        var cookie = await ConsoleFixture.SessionCookieAsync(page);
        var csrf = await CsrfAsync(page);
        foreach (var action in new[] { "approve", "deny", "revoke" })
        {
            var answer = await PostFormAsync(client, cookie, $"console/tenant/lockbox/{fixture.OtherRequestId}/{action}", csrf);
            Assert.Equal(HttpStatusCode.NotFound, answer.StatusCode);
            Assert.Contains("there is no such request in your account", await answer.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        }

        var other = await LockboxAsync(fixture.OtherRequestId);
        Assert.Equal("requested", other.GetProperty("state").GetString());
        Assert.False(other.TryGetProperty("tenantApprover", out _));

        // Another account's certificate id, an operator page: not found, not allowed.
        var response = await page.GotoAsync(Url("tenant/certificates/no-such-destruction"));
        Assert.Equal(404, response!.Status);
        response = await page.GotoAsync(Url("overview"));
        Assert.Equal(403, response!.Status);
        await ConsoleFixture.ScreenshotAsync(page, "tenant-refused-operator-page");

        // The other account's administrator sees its own request, and none of this account's.
        var otherPage = await fixture.SignedInPageAsync(fixture.OtherAdmin);
        await otherPage.GotoAsync(Url("tenant/requests"));
        await Assertions.Expect(otherPage.Locator($"#request-{fixture.OtherRequestId}")).ToBeVisibleAsync();
        Assert.DoesNotContain(Account, await otherPage.Locator("main").InnerTextAsync(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_POST_without_the_CSRF_token_is_refused_and_changes_nothing()
    {
        if (!fixture.Available)
        {
            return;
        }

        var (id, _) = await RequestAsync();
        var page = await TenantPageAsync();
        await page.GotoAsync(Url("tenant/requests"));
        using var client = fixture.RawClient();
        var cookie = await ConsoleFixture.SessionCookieAsync(page);

        var missing = await PostFormAsync(client, cookie, $"console/tenant/lockbox/{id}/approve", csrf: null);
        Assert.Equal(HttpStatusCode.Forbidden, missing.StatusCode);
        var wrong = await PostFormAsync(client, cookie, $"console/tenant/lockbox/{id}/approve", "not-the-token");
        Assert.Equal(HttpStatusCode.Forbidden, wrong.StatusCode);
        Assert.False((await LockboxAsync(id)).TryGetProperty("tenantApprover", out _));

        // With the page's token the same POST works (303 to the requests page).
        var accepted = await PostFormAsync(client, cookie, $"console/tenant/lockbox/{id}/approve", await CsrfAsync(page));
        Assert.Equal(HttpStatusCode.SeeOther, accepted.StatusCode);
        Assert.Equal(TenantApproverId, (await LockboxAsync(id)).GetProperty("tenantApprover").GetString());
    }

    [Fact]
    public async Task A_destroyed_accounts_administrator_reads_its_certificate_and_downloads_the_exact_signed_bytes()
    {
        if (!fixture.Available)
        {
            return;
        }

        const string Doomed = TenantConsoleFixture.DestroyedAccount;
        var page = await fixture.SignedInPageAsync(fixture.DestroyedAdmin);
        await page.GotoAsync(Url("tenant"));
        await Assertions.Expect(page.Locator("#closed-account")).ToContainTextAsync("destroyed");

        // Closure leaves only the log and the certificates: the other pages refuse, saying why.
        var refused = await page.GotoAsync(Url("tenant/placement"));
        Assert.Equal(403, refused!.Status);
        await Assertions.Expect(page.Locator("main")).ToContainTextAsync("destroyed");

        await page.GotoAsync(Url("tenant/certificates"));
        var row = page.Locator("#certificates tbody tr");
        await Assertions.Expect(row).ToHaveCountAsync(1);
        await Assertions.Expect(row).ToContainTextAsync($"account {Doomed}");
        await ConsoleFixture.ScreenshotAsync(page, "tenant-certificates-list");

        await row.GetByRole(AriaRole.Link).First.ClickAsync();
        await Assertions.Expect(page.Locator("#certificate-verdict")).ToContainTextAsync("verify with your log's key");
        await ConsoleFixture.ScreenshotAsync(page, "tenant-certificate");

        // The document link answers the bytes the JSON API answers, with the same signature.
        var download = await page.RunAndWaitForDownloadAsync(() => page.GetByRole(AriaRole.Link, new() { Name = "Download the signed document" }).ClickAsync());
        var bytes = await File.ReadAllBytesAsync((await download.PathAsync())!);
        var token = await fixture.LoginTokenAsync(fixture.AuditAdmin);
        var list = (await Api.GetAsync($"v1/accounts/{Doomed}/certificates", token)).Ok().Body;
        var id = list.GetProperty("certificates")[0].GetProperty("id").GetString()!;
        using var client = fixture.RawClient();
        using var request = new HttpRequestMessage(HttpMethod.Get, $"v1/accounts/{Doomed}/certificates/{id}");
        request.Headers.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", token);
        using var answer = await client.SendAsync(request);
        Assert.Equal(HttpStatusCode.OK, answer.StatusCode);
        Assert.Equal(await answer.Content.ReadAsByteArrayAsync(), bytes);

        var signature = await page.RunAndWaitForDownloadAsync(() => page.GetByRole(AriaRole.Link, new() { Name = "Download the signature" }).ClickAsync());
        Assert.Equal(answer.Headers.GetValues("Strongroom-Signature").Single(), (await File.ReadAllTextAsync((await signature.PathAsync())!)).Trim());

        // Another account's certificate id is not found for this administrator.
        var other = await page.GotoAsync(Url($"tenant/certificates/{Uri.EscapeDataString(id)}x"));
        Assert.Equal(404, other!.Status);
    }

    /// <summary>The CSRF token the page's forms carry.</summary>
    private static Task<string> CsrfAsync(IPage page) => page.Locator("input[name=csrf]").First.GetAttributeAsync("value")!;

    private async Task<HttpResponseMessage> PostFormAsync(HttpClient client, System.Net.Cookie cookie, string path, string? csrf)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, path);
        request.Headers.Add("Cookie", $"{cookie.Name}={cookie.Value}");
        request.Headers.Add("Origin", fixture.Server.ManagementEndpoint.GetLeftPart(UriPartial.Authority));
        var fields = new Dictionary<string, string>();
        if (csrf is not null)
        {
            fields["csrf"] = csrf;
        }

        request.Content = new FormUrlEncodedContent(fields);
        return await client.SendAsync(request);
    }
}
