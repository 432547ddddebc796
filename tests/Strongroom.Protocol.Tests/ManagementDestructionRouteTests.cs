using System.Runtime.CompilerServices;
using System.Text;
using System.Text.Json;
using Microsoft.AspNetCore.Http;
using Strongroom.Access;
using Strongroom.Audit;
using Strongroom.Core;
using Strongroom.Destruction;
using Strongroom.Placement;
using Strongroom.Protocol.Management;
using Strongroom.Storage;
using Strongroom.Vault;

namespace Strongroom.Protocol.Tests;

/// <summary>
/// Account closure, reopening, early purge and destructions on the management plane (issue 7),
/// over the real <see cref="DestructionService"/> and SQLite store: who may call each route, the
/// bodies, the closed-account rule (reopen and destructions stay reachable to the account's
/// tenant administrators; everything else answers AccountClosed) and the refusals.
/// </summary>
public sealed class ManagementDestructionRouteTests : IAsyncLifetime
{
    private const string AcmeAdminToken = "srsession1.acme-admin";
    private const string GlobexAdminToken = "srsession1.globex-admin";
    private const string AuditAdminToken = "srsession1.audit-admin";
    private const string SystemAdminToken = "srsession1.system-admin";
    private const string SecurityAdminToken = "srsession1.security-admin";

    private static readonly Dictionary<string, AuthenticatedPrincipal> Sessions = new(StringComparer.Ordinal)
    {
        [SystemAdminToken] = new(PrincipalKind.Operator, PrincipalIds.NoAccount, "sysop", OperatorRole.SystemAdmin, "s1"),
        [SecurityAdminToken] = new(PrincipalKind.Operator, PrincipalIds.NoAccount, "sam", OperatorRole.SecurityAdmin, "s2"),
        [AcmeAdminToken] = new(PrincipalKind.TenantAdmin, "acme", "dana", null, "s3"),
        [GlobexAdminToken] = new(PrincipalKind.TenantAdmin, "globex", "gus", null, "s4"),
        [AuditAdminToken] = new(PrincipalKind.Operator, PrincipalIds.NoAccount, "audrey", OperatorRole.AuditAdmin, "s5"),
    };

    private readonly string directory = Directory.CreateTempSubdirectory("strongroom-destruction-routes-").FullName;
    private readonly RootKey rootKey = RootKey.Generate(new SeededRandomSource(1));
    private readonly DateTimeOffset start = new(2026, 11, 30, 12, 0, 0, TimeSpan.Zero);
    private SqliteMetadataStore store = null!;
    private Keyring keyring = null!;
    private TransparencyLog log = null!;
    private ManagementProtocolHandler handler = null!;

    public async Task InitializeAsync()
    {
        store = await SqliteMetadataStore.OpenAsync(Path.Combine(directory, "metadata.db"));
        keyring = Keyring.OpenOrCreate(Path.Combine(directory, "keyring"), rootKey, new SeededRandomSource(2));
        var keys = new TenantKeys(keyring, new SeededRandomSource(3));
        log = new TransparencyLog(store, new CheckpointSigner(keys.Seal), () => "0123456789abcdef", TimeProvider.System);
        foreach (var account in new[] { "acme", "globex" })
        {
            await store.CreateAccountAsync(new AccountRecord(account, [1], [2], [3], start, AccountState.Enabled));
            await store.CreateContainerAsync(new ContainerRecord(account, "records", "\"0x1\"", start, start, []));
        }

        var topology = Topology.SingleLocalSite(Path.Combine(directory, "site"));
        var sites = new SiteSet(topology, topology.Sites.ToDictionary(site => site.Descriptor.Id, site => (ISite)new LocalDirectorySite(site.Descriptor.Id, Path.Combine(directory, "site"))), TimeProvider.System);
        handler = new ManagementProtocolHandler(
            new ManagementServices
            {
                // Never reached: sessions come from the fake authenticator below.
                Identities = (IdentityService)RuntimeHelpers.GetUninitializedObject(typeof(IdentityService)),
                Lockbox = (LockboxService)RuntimeHelpers.GetUninitializedObject(typeof(LockboxService)),
                Transfers = (TransferService)RuntimeHelpers.GetUninitializedObject(typeof(TransferService)),
                Random = new SeededRandomSource(7),
                Audit = log,
                Destruction = new DestructionService(store, sites, keys, log, TimeProvider.System, new SeededRandomSource(8)),
                GetAccount = (account, token) => store.GetAccountAsync(account, token),
                AuthenticateSession = (token, _) => Sessions.TryGetValue(token, out var principal)
                    ? Task.FromResult(principal)
                    : throw new StorageException(ErrorCode.SessionInvalid, "The session is unknown, ended or expired."),
            },
            new ManagementOptions { RequireHttps = true });
    }

    public async Task DisposeAsync()
    {
        await store.DisposeAsync();
        keyring.Dispose();
        rootKey.Dispose();
        Directory.Delete(directory, recursive: true);
    }

    private sealed record Response(int Status, JsonElement Body)
    {
        public string? ErrorCode => Body.TryGetProperty("error", out var error) ? error.GetProperty("code").GetString() : null;
    }

    private async Task<Response> SendAsync(string method, string path, string token, string? body = null)
    {
        var context = new DefaultHttpContext();
        var request = context.Request;
        request.Method = method;
        request.Scheme = "https";
        request.Host = new HostString("127.0.0.1", 10010);
        request.Path = path;
        request.Headers.Authorization = "Bearer " + token;
        if (body is not null)
        {
            var bytes = Encoding.UTF8.GetBytes(body);
            request.Body = new MemoryStream(bytes);
            request.ContentLength = bytes.Length;
            request.ContentType = "application/json";
        }

        var responseBody = new MemoryStream();
        context.Response.Body = responseBody;
        await handler.HandleAsync(context);
        var text = Encoding.UTF8.GetString(responseBody.ToArray());
        using var document = JsonDocument.Parse(text.Length == 0 ? "{}" : text);
        return new Response(context.Response.StatusCode, document.RootElement.Clone());
    }

    private static (int, string?) Code(Response response) => (response.Status, response.ErrorCode);

    private async Task<List<AuditEntry>> AccountEntriesAsync(string account)
    {
        var size = (await store.GetAuditTreeHeadAsync(account)).Size;
        var stored = await store.ReadAuditEntriesAsync(account, 0, size);
        return [.. stored.Select(entry => AuditEntry.Decode(entry.Body!))];
    }

    [Fact]
    public async Task A_tenant_admin_closes_its_account_and_reopens_it_while_closed()
    {
        var closed = await SendAsync("POST", "/v1/accounts/acme/close", AcmeAdminToken, "{\"graceDays\":7}");

        Assert.Equal(200, closed.Status);
        Assert.Equal("Closed", closed.Body.GetProperty("state").GetString());
        var record = (await store.GetAccountAsync("acme"))!;
        Assert.Equal(AccountState.Closed, record.State);
        Assert.Equal(record.ClosedOn!.Value.AddDays(7), record.DestroyAfter);

        // Closed: its administrators reach only what closure leaves behind — and reopen.
        Assert.Equal((403, "AccountClosed"), Code(await SendAsync("POST", "/v1/accounts/acme/purge", AcmeAdminToken, "{\"container\":\"records\",\"blob\":\"b\"}")));
        Assert.Equal((403, "AccountClosed"), Code(await SendAsync("POST", "/v1/accounts/acme/close", AcmeAdminToken)));
        Assert.Equal(200, (await SendAsync("GET", "/v1/accounts/acme/destructions", AcmeAdminToken)).Status);

        var reopened = await SendAsync("POST", "/v1/accounts/acme/reopen", AcmeAdminToken);
        Assert.Equal(200, reopened.Status);
        Assert.Equal("Enabled", reopened.Body.GetProperty("state").GetString());
        Assert.Equal(JsonValueKind.Null, reopened.Body.GetProperty("destroyAfter").ValueKind);
        Assert.Equal(AccountState.Enabled, (await store.GetAccountAsync("acme"))!.State);

        var actions = (await AccountEntriesAsync("acme")).Select(entry => (entry.Action, entry.Actor.Id)).ToList();
        Assert.Contains(actions, entry => entry.Action == AuditActions.CloseAccount && entry.Id.Contains("dana", StringComparison.Ordinal));
        Assert.Contains(actions, entry => entry.Action == AuditActions.ReopenAccount && entry.Id.Contains("dana", StringComparison.Ordinal));
    }

    [Fact]
    public async Task A_system_admin_closes_with_the_default_grace_and_reopens()
    {
        var closed = await SendAsync("POST", "/v1/accounts/globex/close", SystemAdminToken);

        Assert.Equal(200, closed.Status);
        var record = (await store.GetAccountAsync("globex"))!;
        Assert.Equal(record.ClosedOn!.Value + Limits.AccountCloseGraceDefault, record.DestroyAfter);
        Assert.Equal((409, "InvalidAccountState"), Code(await SendAsync("POST", "/v1/accounts/globex/close", SystemAdminToken, "{\"graceDays\":1}")));
        Assert.Equal(200, (await SendAsync("POST", "/v1/accounts/globex/reopen", SystemAdminToken)).Status);
        Assert.Equal((409, "InvalidAccountState"), Code(await SendAsync("POST", "/v1/accounts/globex/reopen", SystemAdminToken)));
        Assert.Equal((404, "AccountNotFound"), Code(await SendAsync("POST", "/v1/accounts/nosuch/close", SystemAdminToken)));
    }

    [Theory]
    [InlineData("{\"graceDays\":-1}")]
    [InlineData("{\"graceDays\":366}")]
    [InlineData("{\"graceDays\":\"7\"}")]
    [InlineData("{\"graceDays\":1.5}")]
    public async Task A_grace_out_of_bounds_is_refused_and_closes_nothing(string body)
    {
        Assert.Equal((400, "InvalidDataProtectionSetting"), Code(await SendAsync("POST", "/v1/accounts/acme/close", AcmeAdminToken, body)));
        Assert.Equal(AccountState.Enabled, (await store.GetAccountAsync("acme"))!.State);
    }

    [Theory]
    [InlineData(GlobexAdminToken)]
    [InlineData(AuditAdminToken)]
    [InlineData(SecurityAdminToken)]
    public async Task Only_its_tenant_admins_and_system_admins_close_and_reopen_an_account(string token)
    {
        Assert.Equal((403, "RoleNotPermitted"), Code(await SendAsync("POST", "/v1/accounts/acme/close", token, "{\"graceDays\":0}")));
        Assert.Equal(AccountState.Enabled, (await store.GetAccountAsync("acme"))!.State);
        await SendAsync("POST", "/v1/accounts/acme/close", AcmeAdminToken);
        Assert.Equal((403, "RoleNotPermitted"), Code(await SendAsync("POST", "/v1/accounts/acme/reopen", token)));
        Assert.Equal(AccountState.Closed, (await store.GetAccountAsync("acme"))!.State);
    }

    [Theory]
    [InlineData(GlobexAdminToken)]
    [InlineData(AuditAdminToken)]
    [InlineData(SystemAdminToken)]
    [InlineData(SecurityAdminToken)]
    public async Task Only_the_accounts_tenant_admins_purge(string token)
    {
        var now = DateTimeOffset.UtcNow;
        await store.SoftDeleteContainerAsync("acme", "records", "01DELETED", now, now.AddDays(30));

        Assert.Equal((403, "RoleNotPermitted"), Code(await SendAsync("POST", "/v1/accounts/acme/purge", token, "{\"container\":\"records\",\"version\":\"01DELETED\"}")));
        Assert.NotNull(await store.GetContainerAsync("acme", VersionIds.DeletedContainerKey("records", "01DELETED")));
    }

    [Fact]
    public async Task A_tenant_admin_purges_a_soft_deleted_container_and_reads_the_destruction()
    {
        var now = DateTimeOffset.UtcNow;
        await store.SoftDeleteContainerAsync("acme", "records", "01DELETED", now, now.AddDays(30));

        var purged = await SendAsync("POST", "/v1/accounts/acme/purge", AcmeAdminToken, "{\"container\":\"records\",\"version\":\"01DELETED\"}");

        Assert.Equal(200, purged.Status);
        Assert.Equal("container", purged.Body.GetProperty("kind").GetString());
        Assert.Equal("acme/records", purged.Body.GetProperty("scope").GetString());
        Assert.Equal("complete", purged.Body.GetProperty("state").GetString());
        Assert.Equal(0, purged.Body.GetProperty("objects").GetInt64());
        Assert.Null(await store.GetContainerAsync("acme", VersionIds.DeletedContainerKey("records", "01DELETED")));
        var id = purged.Body.GetProperty("id").GetString()!;

        var list = await SendAsync("GET", "/v1/accounts/acme/destructions", AuditAdminToken);
        Assert.Equal(200, list.Status);
        Assert.Equal(id, Assert.Single(list.Body.GetProperty("destructions").EnumerateArray().ToList()).GetProperty("id").GetString());
        var one = await SendAsync("GET", $"/v1/accounts/acme/destructions/{id}", AcmeAdminToken);
        Assert.Equal(200, one.Status);
        Assert.True(one.Body.GetProperty("keysEntryIndex").GetInt64() >= 0);
        Assert.Equal(JsonValueKind.Number, one.Body.GetProperty("sweepEntryIndex").ValueKind);

        // Another account's id is not found; nor is one that does not exist.
        Assert.Equal((404, "DestructionNotFound"), Code(await SendAsync("GET", $"/v1/accounts/globex/destructions/{id}", GlobexAdminToken)));
        Assert.Equal((404, "DestructionNotFound"), Code(await SendAsync("GET", "/v1/accounts/acme/destructions/nosuch", AcmeAdminToken)));
    }

    [Theory]
    [InlineData(GlobexAdminToken)]
    [InlineData(SystemAdminToken)]
    [InlineData(SecurityAdminToken)]
    public async Task Only_its_tenant_admins_and_audit_admins_read_its_destructions(string token)
    {
        Assert.Equal((403, "RoleNotPermitted"), Code(await SendAsync("GET", "/v1/accounts/acme/destructions", token)));
        Assert.Equal((403, "RoleNotPermitted"), Code(await SendAsync("GET", "/v1/accounts/acme/destructions/x", token)));
    }

    [Theory]
    [InlineData("{\"container\":\"records\"}", 400, "InvalidAccessRequest")]
    [InlineData("{\"container\":\"records\",\"version\":\"v\",\"blob\":\"b\"}", 400, "InvalidAccessRequest")]
    [InlineData("{\"version\":\"v\"}", 400, "InvalidAccessRequest")]
    [InlineData("{\"container\":\"Bad_Name\",\"blob\":\"b\"}", 400, "InvalidResourceName")]
    [InlineData("{\"container\":\"records\",\"version\":\"nosuch\"}", 404, "ContainerNotDeleted")]
    [InlineData("{\"container\":\"records\",\"blob\":\"live\"}", 404, "BlobNotFound")]
    public async Task Purge_refuses_a_wrong_body_and_what_is_not_soft_deleted(string body, int status, string code)
    {
        Assert.Equal((status, code), Code(await SendAsync("POST", "/v1/accounts/acme/purge", AcmeAdminToken, body)));
        Assert.NotNull(await store.GetContainerAsync("acme", "records"));
        Assert.Empty(await store.ListDestructionsAsync("acme"));
    }
}
