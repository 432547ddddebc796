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
/// The certificate routes of the management plane over the real <see cref="CertificateService"/>
/// (SQLite store, the transparency log, an unsealed keyring), with sessions from a fake
/// authenticator: a tenant administrator of a destroyed account fetches its certificates and log
/// and nothing else; another account's administrator and the system and security admins are refused.
/// </summary>
public sealed class ManagementCertificateRouteTests : IAsyncLifetime
{
    private const string SystemAdminToken = "srsession1.system-admin";
    private const string SecurityAdminToken = "srsession1.security-admin";
    private const string AuditAdminToken = "srsession1.audit-admin";
    private const string AcmeAdminToken = "srsession1.acme-admin";
    private const string GlobexAdminToken = "srsession1.globex-admin";

    private static readonly Dictionary<string, AuthenticatedPrincipal> Sessions = new(StringComparer.Ordinal)
    {
        [SystemAdminToken] = new(PrincipalKind.Operator, PrincipalIds.NoAccount, "sysop", OperatorRole.SystemAdmin, "s1"),
        [SecurityAdminToken] = new(PrincipalKind.Operator, PrincipalIds.NoAccount, "sam", OperatorRole.SecurityAdmin, "s2"),
        [AuditAdminToken] = new(PrincipalKind.Operator, PrincipalIds.NoAccount, "audrey", OperatorRole.AuditAdmin, "s3"),
        [AcmeAdminToken] = new(PrincipalKind.TenantAdmin, "acme", "dana", null, "s4"),
        [GlobexAdminToken] = new(PrincipalKind.TenantAdmin, "globex", "gus", null, "s5"),
    };

    private readonly string directory = Directory.CreateTempSubdirectory("strongroom-certificate-routes-").FullName;
    private readonly RootKey rootKey = RootKey.Generate(new SeededRandomSource(1));
    private SqliteMetadataStore store = null!;
    private SealState seal = null!;
    private TransparencyLog log = null!;
    private CertificateService certificates = null!;
    private ManagementProtocolHandler handler = null!;
    private DestructionCertificate acmeCertificate = null!;
    private DestructionCertificate globexCertificate = null!;

    public async Task InitializeAsync()
    {
        store = await SqliteMetadataStore.OpenAsync(Path.Combine(directory, "metadata.db"));
        seal = SealState.Unsealed(Keyring.OpenOrCreate(Path.Combine(directory, "keyring"), rootKey, new SeededRandomSource(2)), null, new SeededRandomSource(3));
        log = new TransparencyLog(store, new CheckpointSigner(seal), () => "0123456789abcdef", TimeProvider.System);
        certificates = new CertificateService(store, log, TimeProvider.System);
        await store.CreateAccountAsync(new AccountRecord("acme", [1], [2], [3], DateTimeOffset.UnixEpoch, AccountState.Destroyed));
        await store.CreateAccountAsync(new AccountRecord("globex", [1], [2], [3], DateTimeOffset.UnixEpoch, AccountState.Enabled));
        acmeCertificate = await IssueAsync("acme", "d-acme", DestructionKind.AccountClosure);
        globexCertificate = await IssueAsync("globex", "d-globex", DestructionKind.ContainerPurge);

        handler = new ManagementProtocolHandler(
            new ManagementServices
            {
                // Never reached: sessions come from the fake authenticator below.
                Identities = (IdentityService)RuntimeHelpers.GetUninitializedObject(typeof(IdentityService)),
                Lockbox = (LockboxService)RuntimeHelpers.GetUninitializedObject(typeof(LockboxService)),
                Transfers = (TransferService)RuntimeHelpers.GetUninitializedObject(typeof(TransferService)),
                Random = new SeededRandomSource(7),
                Audit = log,
                Certificates = certificates,
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
        seal.Dispose();
        rootKey.Dispose();
        Directory.Delete(directory, recursive: true);
    }

    private async Task<DestructionCertificate> IssueAsync(string account, string id, DestructionKind kind)
    {
        using var operation = OperationContext.Begin(new OperationContext(Actor.System));
        var keysOn = DateTimeOffset.UtcNow;
        var entry = log.Entry(account, AuditActions.DestroyKeys, "/" + account, details: [new(AuditActions.DestructionDetail, id)]);
        var index = (await store.AppendAuditEntriesAsync([entry]))[0];
        var record = new DestructionRecord(id, account, kind, kind == DestructionKind.AccountClosure ? account : "photos", DestructionState.Sweeping, keysOn, null, 1, 10, [new DestroyedKey($"account-kek/{account}/v1", keysOn)], [new DestructionSite("local", 1, false, null)])
        {
            KeysEntryIndex = index,
        };
        return await certificates.IssueAsync(record);
    }

    private sealed record Response(int Status, byte[] Body, IHeaderDictionary Headers)
    {
        public JsonElement Json => JsonDocument.Parse(Body.Length == 0 ? "{}"u8.ToArray() : Body).RootElement;

        public string? ErrorCode => Json.TryGetProperty("error", out var error) ? error.GetProperty("code").GetString() : null;
    }

    private async Task<Response> GetAsync(string pathAndQuery, string token)
    {
        var context = new DefaultHttpContext();
        var request = context.Request;
        request.Method = "GET";
        request.Scheme = "https";
        request.Host = new HostString("127.0.0.1", 10010);
        context.Connection.RemoteIpAddress = System.Net.IPAddress.Loopback;
        var question = pathAndQuery.IndexOf('?', StringComparison.Ordinal);
        request.Path = question < 0 ? pathAndQuery : pathAndQuery[..question];
        request.QueryString = question < 0 ? QueryString.Empty : new QueryString(pathAndQuery[question..]);
        request.Headers.Authorization = "Bearer " + token;
        var responseBody = new MemoryStream();
        context.Response.Body = responseBody;
        await handler.HandleAsync(context);
        return new Response(context.Response.StatusCode, responseBody.ToArray(), context.Response.Headers);
    }

    [Fact]
    public async Task A_tenant_admin_of_a_destroyed_account_fetches_its_certificate_bytes_and_signature()
    {
        var listed = await GetAsync("/v1/accounts/acme/certificates", AcmeAdminToken);
        Assert.Equal(200, listed.Status);
        var item = Assert.Single(listed.Json.GetProperty("certificates").EnumerateArray());
        Assert.Equal("d-acme", item.GetProperty("id").GetString());
        Assert.Equal(1, item.GetProperty("revision").GetInt32());
        Assert.Equal("account", item.GetProperty("scope").GetProperty("kind").GetString());
        Assert.Equal("acme", item.GetProperty("scope").GetProperty("name").GetString());

        var fetched = await GetAsync("/v1/accounts/acme/certificates/d-acme", AcmeAdminToken);
        Assert.Equal(200, fetched.Status);
        Assert.Equal("application/json", fetched.Headers.ContentType.ToString());
        Assert.Equal(acmeCertificate.Document, fetched.Body);
        var signature = Convert.FromBase64String(fetched.Headers[ManagementProtocolHandler.SignatureHeader].ToString());
        Assert.Equal("1", fetched.Headers[ManagementProtocolHandler.RevisionHeader].ToString());
        Assert.Equal("no-store", fetched.Headers.CacheControl.ToString());
        var verification = CertificateVerifier.Verify(fetched.Body, signature, log.VerifierKey("acme"));
        Assert.True(verification.Valid, CertificateVerifier.Describe(verification));

        var detached = await GetAsync("/v1/accounts/acme/certificates/d-acme/signature?revision=1", AcmeAdminToken);
        Assert.Equal(200, detached.Status);
        Assert.Equal(signature, Convert.FromBase64String(detached.Json.GetProperty("signature").GetString()!));

        // The log stays readable, to check the checkpoint the certificate carries.
        Assert.Equal(200, (await GetAsync("/v1/accounts/acme/log/checkpoint", AcmeAdminToken)).Status);
        Assert.Equal(200, (await GetAsync("/v1/accounts/acme/log/key", AcmeAdminToken)).Status);
    }

    [Fact]
    public async Task A_tenant_admin_of_a_destroyed_account_reaches_nothing_else()
    {
        foreach (var path in new[] { "/v1/accounts/acme/admins", "/v1/transfers", "/v1/lockbox/requests", "/v1/accounts/acme/locations" })
        {
            var refused = await GetAsync(path, AcmeAdminToken);
            Assert.Equal(403, refused.Status);
            Assert.Equal(nameof(ErrorCode.AccountClosed), refused.ErrorCode);
        }

        // The refusal is in the platform log.
        var head = await log.GetTreeHeadAsync(AuditLogs.Platform);
        var last = AuditEntry.Decode((await log.ReadEntriesAsync(AuditLogs.Platform, head.Size - 1, head.Size))[0].Body);
        Assert.Equal(nameof(ErrorCode.AccountClosed), last.Outcome);
    }

    [Fact]
    public async Task Another_accounts_admin_and_the_system_and_security_admins_are_refused_and_audit_admins_read()
    {
        foreach (var token in new[] { GlobexAdminToken, SystemAdminToken, SecurityAdminToken })
        {
            foreach (var path in new[] { "/v1/accounts/acme/certificates", "/v1/accounts/acme/certificates/d-acme", "/v1/accounts/acme/certificates/d-acme/signature" })
            {
                var refused = await GetAsync(path, token);
                Assert.Equal(403, refused.Status);
                Assert.Equal(nameof(ErrorCode.RoleNotPermitted), refused.ErrorCode);
            }
        }

        Assert.Equal(acmeCertificate.Document, (await GetAsync("/v1/accounts/acme/certificates/d-acme", AuditAdminToken)).Body);
        Assert.Equal(globexCertificate.Document, (await GetAsync("/v1/accounts/globex/certificates/d-globex", GlobexAdminToken)).Body);
    }

    [Fact]
    public async Task Unknown_certificates_revisions_and_bad_revisions_are_refused()
    {
        Assert.Equal(nameof(ErrorCode.CertificateNotFound), (await GetAsync("/v1/accounts/acme/certificates/d-nothing", AcmeAdminToken)).ErrorCode);

        // Another account's certificate is not found under this one.
        var foreign = await GetAsync("/v1/accounts/acme/certificates/d-globex", AcmeAdminToken);
        Assert.Equal(404, foreign.Status);
        Assert.Equal(nameof(ErrorCode.CertificateNotFound), foreign.ErrorCode);
        Assert.Equal(404, (await GetAsync("/v1/accounts/acme/certificates/d-acme?revision=2", AcmeAdminToken)).Status);
        foreach (var revision in new[] { "0", "-1", "01", "x", "" })
        {
            var bad = await GetAsync("/v1/accounts/acme/certificates/d-acme?revision=" + revision, AcmeAdminToken);
            Assert.Equal(400, bad.Status);
        }

        Assert.DoesNotContain((await GetAsync("/v1/accounts/globex/certificates", AuditAdminToken)).Json.GetProperty("certificates").EnumerateArray(), item => item.GetProperty("id").GetString() == "d-acme");
    }
}
