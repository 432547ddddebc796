using Strongroom.Access;
using Strongroom.Audit;
using Strongroom.Core;
using Strongroom.Destruction;
using Strongroom.Protocol.Management;
using Strongroom.Storage;
using Strongroom.Vault;

using static Strongroom.Protocol.Tests.ManagementRouteHarness;

namespace Strongroom.Protocol.Tests;

/// <summary>
/// The certificate routes of the management plane over the real <see cref="CertificateService"/>
/// (SQLite store, the transparency log, an unsealed keyring), with sessions from a fake
/// authenticator: a tenant administrator of a destroyed account fetches its certificates and log
/// and nothing else; another account's administrator and the system and security admins are refused.
/// </summary>
public sealed class ManagementCertificateRouteTests : IAsyncLifetime
{
    private ManagementRouteHarness harness = null!;
    private CertificateService certificates = null!;
    private DestructionCertificate acmeCertificate = null!;
    private DestructionCertificate globexCertificate = null!;

    public async Task InitializeAsync()
    {
        harness = await ManagementRouteHarness.OpenAsync("strongroom-certificate-routes-");
        certificates = new CertificateService(harness.Store, harness.Log, TimeProvider.System);
        await harness.Store.CreateAccountAsync(new AccountRecord("acme", [1], [2], [3], DateTimeOffset.UnixEpoch, AccountState.Destroyed));
        await harness.Store.CreateAccountAsync(new AccountRecord("globex", [1], [2], [3], DateTimeOffset.UnixEpoch, AccountState.Enabled));
        acmeCertificate = await IssueAsync("acme", "d-acme", DestructionKind.AccountClosure);
        globexCertificate = await IssueAsync("globex", "d-globex", DestructionKind.ContainerPurge);

        harness.Serve(certificates: certificates);
    }

    public async Task DisposeAsync() => await harness.DisposeAsync();

    private async Task<DestructionCertificate> IssueAsync(string account, string id, DestructionKind kind)
    {
        using var operation = OperationContext.Begin(new OperationContext(Actor.System));
        var keysOn = DateTimeOffset.UtcNow;
        var entry = harness.Log.Entry(account, AuditActions.DestroyKeys, "/" + account, details: [new(AuditActions.DestructionDetail, id)]);
        var index = (await harness.Store.AppendAuditEntriesAsync([entry]))[0];
        var record = new DestructionRecord(id, account, kind, kind == DestructionKind.AccountClosure ? account : "photos", DestructionState.Sweeping, keysOn, null, 1, 10, [new DestroyedKey($"account-kek/{account}/v1", keysOn)], [new DestructionSite("local", 1, false, null)])
        {
            KeysEntryIndex = index,
        };
        return await certificates.IssueAsync(record);
    }

    private Task<ManagementResponse> GetAsync(string pathAndQuery, string token) => harness.SendAsync("GET", pathAndQuery, token);

    [Fact]
    public async Task A_tenant_admin_of_a_destroyed_account_fetches_its_certificate_bytes_and_signature()
    {
        var listed = await GetAsync("/v1/accounts/acme/certificates", AcmeAdminToken);
        Assert.Equal(200, listed.Status);
        var item = Assert.Single(listed.Body.GetProperty("certificates").EnumerateArray());
        Assert.Equal("d-acme", item.GetProperty("id").GetString());
        Assert.Equal(1, item.GetProperty("revision").GetInt32());
        Assert.Equal("account", item.GetProperty("scope").GetProperty("kind").GetString());
        Assert.Equal("acme", item.GetProperty("scope").GetProperty("name").GetString());

        var fetched = await GetAsync("/v1/accounts/acme/certificates/d-acme", AcmeAdminToken);
        Assert.Equal(200, fetched.Status);
        Assert.Equal("application/json", fetched.Headers.ContentType.ToString());
        Assert.Equal(acmeCertificate.Document, fetched.Bytes);
        var signature = Convert.FromBase64String(fetched.Headers[ManagementProtocolHandler.SignatureHeader].ToString());
        Assert.Equal("1", fetched.Headers[ManagementProtocolHandler.RevisionHeader].ToString());
        Assert.Equal("no-store", fetched.Headers.CacheControl.ToString());
        var verification = CertificateVerifier.Verify(fetched.Bytes, signature, harness.Log.VerifierKey("acme"));
        Assert.True(verification.Valid, CertificateVerifier.Describe(verification));

        var detached = await GetAsync("/v1/accounts/acme/certificates/d-acme/signature?revision=1", AcmeAdminToken);
        Assert.Equal(200, detached.Status);
        Assert.Equal(signature, Convert.FromBase64String(detached.Body.GetProperty("signature").GetString()!));

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
        var head = await harness.Log.GetTreeHeadAsync(AuditLogs.Platform);
        var last = AuditEntry.Decode((await harness.Log.ReadEntriesAsync(AuditLogs.Platform, head.Size - 1, head.Size))[0].Body);
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

        Assert.Equal(acmeCertificate.Document, (await GetAsync("/v1/accounts/acme/certificates/d-acme", AuditAdminToken)).Bytes);
        Assert.Equal(globexCertificate.Document, (await GetAsync("/v1/accounts/globex/certificates/d-globex", GlobexAdminToken)).Bytes);
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

        Assert.DoesNotContain((await GetAsync("/v1/accounts/globex/certificates", AuditAdminToken)).Body.GetProperty("certificates").EnumerateArray(), item => item.GetProperty("id").GetString() == "d-acme");
    }
}
