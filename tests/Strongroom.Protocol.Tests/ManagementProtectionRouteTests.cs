using System.Runtime.CompilerServices;
using System.Text;
using System.Text.Json;
using Microsoft.AspNetCore.Http;
using Strongroom.Access;
using Strongroom.Audit;
using Strongroom.Core;
using Strongroom.Destruction;
using Strongroom.Protocol.Management;
using Strongroom.Storage;
using Strongroom.Vault;

namespace Strongroom.Protocol.Tests;

/// <summary>
/// The data-protection and legal-hold routes of the management plane (issue 7) over the real
/// <see cref="ProtectionService"/> and SQLite store: who may read and change them, the bodies, and
/// the log entries the changes commit with.
/// </summary>
public sealed class ManagementProtectionRouteTests : IAsyncLifetime
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

    private readonly string directory = Directory.CreateTempSubdirectory("strongroom-protection-routes-").FullName;
    private readonly RootKey rootKey = RootKey.Generate(new SeededRandomSource(1));
    private SqliteMetadataStore store = null!;
    private SealState seal = null!;
    private TransparencyLog log = null!;
    private ManagementProtocolHandler handler = null!;

    public async Task InitializeAsync()
    {
        store = await SqliteMetadataStore.OpenAsync(Path.Combine(directory, "metadata.db"));
        seal = SealState.Unsealed(Keyring.OpenOrCreate(Path.Combine(directory, "keyring"), rootKey, new SeededRandomSource(2)), null, new SeededRandomSource(3));
        log = new TransparencyLog(store, new CheckpointSigner(seal), () => "0123456789abcdef", TimeProvider.System);
        foreach (var account in new[] { "acme", "globex" })
        {
            await store.CreateAccountAsync(new AccountRecord(account, [1], [2], [3], DateTimeOffset.UnixEpoch, AccountState.Enabled));
            await store.CreateContainerAsync(new ContainerRecord(account, "records", "\"0x1\"", DateTimeOffset.UnixEpoch, DateTimeOffset.UnixEpoch, []));
        }

        handler = new ManagementProtocolHandler(
            new ManagementServices
            {
                // Never reached: sessions come from the fake authenticator below.
                Identities = (IdentityService)RuntimeHelpers.GetUninitializedObject(typeof(IdentityService)),
                Lockbox = (LockboxService)RuntimeHelpers.GetUninitializedObject(typeof(LockboxService)),
                Transfers = (TransferService)RuntimeHelpers.GetUninitializedObject(typeof(TransferService)),
                Random = new SeededRandomSource(7),
                Audit = log,
                Protection = new ProtectionService(store, log),
                AuthenticateSession = (token, _) => Sessions.TryGetValue(token, out var principal)
                    ? Task.FromResult(principal)
                    : throw new StorageException(ErrorCode.SessionInvalid, "The session is unknown, ended or expired."),
            },
            new ManagementOptions { RequireHttps = true });
    }

    public async Task DisposeAsync()
    {
        await store.DisposeAsync();
        seal.Dispose();
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

    private async Task<List<AuditEntry>> AccountEntriesAsync(string account)
    {
        var size = (await store.GetAuditTreeHeadAsync(account)).Size;
        var stored = await store.ReadAuditEntriesAsync(account, 0, size);
        return [.. stored.Select(entry => AuditEntry.Decode(entry.Body!))];
    }

    [Fact]
    public async Task A_tenant_admin_changes_its_accounts_protection_and_the_change_is_logged()
    {
        var changed = await SendAsync("PUT", "/v1/accounts/acme/protection", AcmeAdminToken, "{\"versioning\":true,\"containerSoftDeleteDays\":14}");

        Assert.Equal(200, changed.Status);
        Assert.True(changed.Body.GetProperty("versioning").GetBoolean());
        Assert.Equal(14, changed.Body.GetProperty("containerSoftDeleteDays").GetInt32());
        Assert.Equal(JsonValueKind.Null, changed.Body.GetProperty("blobSoftDeleteDays").ValueKind);
        Assert.Equal(new DataProtectionSettings(Versioning: true, ContainerSoftDeleteDays: 14), (await store.GetAccountAsync("acme"))!.DataProtection);

        var entry = Assert.Single(await AccountEntriesAsync("acme"), e => e.Action == "Account.SetDataProtection");
        Assert.Contains("dana", entry.Actor.Id, StringComparison.Ordinal);
        Assert.Contains(new KeyValuePair<string, string>("containerSoftDeleteDays", "14"), entry.Details);

        var off = await SendAsync("PUT", "/v1/accounts/acme/protection", AcmeAdminToken, "{\"containerSoftDeleteDays\":null}");
        Assert.Equal(JsonValueKind.Null, off.Body.GetProperty("containerSoftDeleteDays").ValueKind);
        Assert.True(off.Body.GetProperty("versioning").GetBoolean());

        var read = await SendAsync("GET", "/v1/accounts/acme/protection", AuditAdminToken);
        Assert.Equal(200, read.Status);
        Assert.True(read.Body.GetProperty("versioning").GetBoolean());
    }

    [Theory]
    [InlineData(GlobexAdminToken)]
    [InlineData(AuditAdminToken)]
    [InlineData(SystemAdminToken)]
    [InlineData(SecurityAdminToken)]
    public async Task Only_the_accounts_tenant_admins_change_its_protection_and_legal_holds(string token)
    {
        Assert.Equal((403, "RoleNotPermitted"), Code(await SendAsync("PUT", "/v1/accounts/acme/protection", token, "{\"versioning\":true}")));
        Assert.Equal((403, "RoleNotPermitted"), Code(await SendAsync("PUT", "/v1/accounts/acme/containers/records/legal-hold", token, "{\"tags\":[\"case1\"]}")));
        Assert.Equal((403, "RoleNotPermitted"), Code(await SendAsync("POST", "/v1/accounts/acme/containers/records/legal-hold/clear", token, "{\"tags\":[\"case1\"]}")));
        Assert.Equal(DataProtectionSettings.Off, (await store.GetAccountAsync("acme"))!.DataProtection);
        Assert.False((await store.GetContainerAsync("acme", "records"))!.HasLegalHold);
    }

    [Theory]
    [InlineData(GlobexAdminToken)]
    [InlineData(SystemAdminToken)]
    public async Task Only_its_tenant_admins_and_audit_admins_read_them(string token)
    {
        Assert.Equal((403, "RoleNotPermitted"), Code(await SendAsync("GET", "/v1/accounts/acme/protection", token)));
        Assert.Equal((403, "RoleNotPermitted"), Code(await SendAsync("GET", "/v1/accounts/acme/containers/records/legal-hold", token)));
    }

    [Theory]
    [InlineData("{\"blobSoftDeleteDays\":0}")]
    [InlineData("{\"containerSoftDeleteDays\":366}")]
    [InlineData("{\"versioning\":\"yes\"}")]
    [InlineData("{}")]
    public async Task Invalid_settings_are_refused_and_change_nothing(string body)
    {
        Assert.Equal((400, "InvalidDataProtectionSetting"), Code(await SendAsync("PUT", "/v1/accounts/acme/protection", AcmeAdminToken, body)));
        Assert.Equal(DataProtectionSettings.Off, (await store.GetAccountAsync("acme"))!.DataProtection);
    }

    [Fact]
    public async Task Legal_hold_tags_are_added_cleared_and_read()
    {
        var set = await SendAsync("PUT", "/v1/accounts/acme/containers/records/legal-hold", AcmeAdminToken, "{\"tags\":[\"Case1\",\"audit2026\"]}");

        Assert.Equal(200, set.Status);
        Assert.True(set.Body.GetProperty("hasLegalHold").GetBoolean());
        Assert.Equal(["case1", "audit2026"], set.Body.GetProperty("tags").EnumerateArray().Select(tag => tag.GetString()));
        Assert.Equal(["case1", "audit2026"], (await store.GetContainerAsync("acme", "records"))!.LegalHoldTags!);

        var cleared = await SendAsync("POST", "/v1/accounts/acme/containers/records/legal-hold/clear", AcmeAdminToken, "{\"tags\":[\"case1\",\"audit2026\"]}");
        Assert.False(cleared.Body.GetProperty("hasLegalHold").GetBoolean());
        Assert.False((await store.GetContainerAsync("acme", "records"))!.HasLegalHold);

        var read = await SendAsync("GET", "/v1/accounts/acme/containers/records/legal-hold", AuditAdminToken);
        Assert.Equal(200, read.Status);
        Assert.Equal(0, read.Body.GetProperty("tags").GetArrayLength());
        var actions = (await AccountEntriesAsync("acme")).Select(e => e.Action).ToList();
        Assert.Contains("Container.SetLegalHold", actions);
        Assert.Contains("Container.ClearLegalHold", actions);
    }

    [Theory]
    [InlineData("{\"tags\":[\"ab\"]}")]
    [InlineData("{\"tags\":[\"has-dash\"]}")]
    [InlineData("{\"tags\":[\"abcdefghijklmnopqrstuvwx\"]}")]
    [InlineData("{\"tags\":[]}")]
    [InlineData("{\"tags\":\"case1\"}")]
    [InlineData("{\"tags\":[\"t01\",\"t02\",\"t03\",\"t04\",\"t05\",\"t06\",\"t07\",\"t08\",\"t09\",\"t10\",\"t11\"]}")]
    public async Task Invalid_tags_are_refused(string body)
    {
        Assert.Equal((400, "InvalidDataProtectionSetting"), Code(await SendAsync("PUT", "/v1/accounts/acme/containers/records/legal-hold", AcmeAdminToken, body)));
        Assert.False((await store.GetContainerAsync("acme", "records"))!.HasLegalHold);
    }

    [Fact]
    public async Task A_container_holds_at_most_ten_tags_and_an_unknown_container_is_not_found()
    {
        var ten = string.Join(",", Enumerable.Range(1, 10).Select(i => $"\"tag{i:00}\""));
        Assert.Equal(200, (await SendAsync("PUT", "/v1/accounts/acme/containers/records/legal-hold", AcmeAdminToken, "{\"tags\":[" + ten + "]}")).Status);

        Assert.Equal((400, "InvalidDataProtectionSetting"), Code(await SendAsync("PUT", "/v1/accounts/acme/containers/records/legal-hold", AcmeAdminToken, "{\"tags\":[\"tag11\"]}")));
        Assert.Equal((404, "ContainerNotFound"), Code(await SendAsync("PUT", "/v1/accounts/acme/containers/missing/legal-hold", AcmeAdminToken, "{\"tags\":[\"case1\"]}")));
        Assert.Equal(10, (await store.GetContainerAsync("acme", "records"))!.LegalHoldTags!.Count);
    }

    private static (int, string?) Code(Response response) => (response.Status, response.ErrorCode);
}
