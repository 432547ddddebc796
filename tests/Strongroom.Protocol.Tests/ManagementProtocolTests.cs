using System.Text;
using System.Text.Json;
using Microsoft.AspNetCore.Http;
using Strongroom.Access;
using Strongroom.Audit;
using Strongroom.Core;
using Strongroom.Placement;
using Strongroom.Protocol.Management;
using Strongroom.Storage;
using Strongroom.Vault;

using static Strongroom.Protocol.Tests.ManagementRouteHarness;

namespace Strongroom.Protocol.Tests;

/// <summary>
/// The management plane's protocol rules (routing, HTTPS, body bounds, authentication, the seal)
/// and its platform routes, with sessions from a fake authenticator: which role reads which log,
/// and every refused privileged call recorded in the platform log without the token.
/// </summary>
public sealed class ManagementProtocolTests : IDisposable
{
    private readonly RecordingAuditStore store = new();
    private readonly SealState seal = new(Path.Combine(Path.GetTempPath(), "strongroom-none", "seal"), Path.Combine(Path.GetTempPath(), "strongroom-none", "keyring"), new SeededRandomSource(4));
    private readonly string siteDirectory = Directory.CreateTempSubdirectory("strongroom-management-").FullName;
    private readonly SiteSet sites;
    private readonly TransparencyLog log;
    private readonly List<UnsealSubmission> submissions = [];
    private bool sealedVault;
    private uint keyringVersion = 1;

    public ManagementProtocolTests()
    {
        log = new TransparencyLog(store, new CheckpointSigner(seal), () => "00112233", TimeProvider.System);
        sites = new SiteSet(Topology.SingleLocalSite(siteDirectory), new Dictionary<string, ISite> { [Topology.SingleSiteId] = new LocalDirectorySite(Topology.SingleSiteId, siteDirectory) }, TimeProvider.System);
        for (var i = 0; i < 5; i++)
        {
            store.Fake.Append("acme", Encoding.UTF8.GetBytes($"{{\"acme\":{i}}}"));
            store.Fake.Append("globex", Encoding.UTF8.GetBytes($"{{\"globex\":{i}}}"));
        }

        store.Fake.Append(AuditLogs.Platform, Encoding.UTF8.GetBytes("{\"platform\":0}"));
    }

    public void Dispose()
    {
        sites.DisposeAsync().AsTask().GetAwaiter().GetResult();
        seal.Dispose();
        Directory.Delete(siteDirectory, recursive: true);
    }

    private ManagementProtocolHandler Handler(bool requireHttps = true) => new(
        new ManagementServices
        {
            // Never reached: sessions come from the fake authenticator below.
            Identities = Uninitialized<IdentityService>(),
            Lockbox = Uninitialized<LockboxService>(),
            Transfers = Uninitialized<TransferService>(),
            Random = new SeededRandomSource(7),
            IsSealed = () => sealedVault,
            Audit = log,
            Sites = sites,
            AuthenticateSession = AuthenticateAsync,
            ListAccounts = _ => Task.FromResult<IReadOnlyList<AccountRecord>>(
            [
                new AccountRecord("acme", [0xAA, 0xAA, 0xAA], [0xBB, 0xBB, 0xBB], [0xCC, 0xCC, 0xCC], DateTimeOffset.UnixEpoch, AccountState.Enabled),
            ]),
            GetAccount = (name, _) => Task.FromResult(name is "acme" or "globex" or "empty"
                ? new AccountRecord(name, [1], [2], [3], DateTimeOffset.UnixEpoch, AccountState.Enabled)
                : null),
            VaultStatus = _ => Task.FromResult(new VaultStatusView(keyringVersion, [.. Enumerable.Range(1, (int)keyringVersion).Select(version => (uint)version)])),
            RotateKeyring = _ => Task.FromResult(++keyringVersion),
            DeploymentStatus = _ => Task.FromResult(DeploymentView),
            SealStatus = () => new SealStatusView(true, sealedVault, 2, 3, submissions.Count, "00112233", 1),
            Unseal = (submission, _) =>
            {
                submissions.Add(submission);
                return Task.FromResult(new UnsealAnswer(new SealStatusView(true, true, 2, 3, submissions.Count, "00112233", 1), DuplicateIgnored: false));
            },
        },
        new ManagementOptions { RequireHttps = requireHttps });

    private Task<ManagementResponse> SendAsync(string method, string pathAndQuery, string? token = null, string? body = null, bool https = true, long? contentLength = null, bool requireHttps = true) =>
        ManagementRouteHarness.SendAsync(Handler(requireHttps), method, pathAndQuery, token, body, https, contentLength);

    private Task<IReadOnlyList<AuditEntry>> PlatformEntriesAsync() =>
        Task.FromResult<IReadOnlyList<AuditEntry>>([.. store.Appended.Where(append => append.Log == AuditLogs.Platform).Select(append => AuditEntry.Decode(append.Entry))]);

    [Theory]
    [InlineData("GET", "/v1/no-such-thing")]
    [InlineData("GET", "/v1/")]
    [InlineData("GET", "/v2/sys/seal-status")]
    [InlineData("GET", "/devstoreaccount1/container/blob")]
    [InlineData("GET", "/.strongroom/log/checkpoint")]
    [InlineData("GET", "/v1/accounts/acme/log/checkpoint/extra")]
    public async Task Unknown_paths_are_404_and_never_reach_another_api(string method, string path)
    {
        var response = await SendAsync(method, path, AuditAdminToken);
        Assert.Equal(404, response.Status);
        Assert.Equal("NotFound", response.ErrorCode);
        Assert.Equal("no-store", response.Http.Headers.CacheControl.ToString());
        Assert.Empty(store.Appended);
    }

    [Theory]
    [InlineData("DELETE", "/v1/sys/seal-status")]
    [InlineData("POST", "/v1/accounts")]
    [InlineData("GET", "/v1/sys/unseal")]
    [InlineData("PUT", "/v1/log/platform/entries")]
    public async Task A_known_path_with_another_method_is_405(string method, string path)
    {
        var response = await SendAsync(method, path, AuditAdminToken);
        Assert.Equal(405, response.Status);
        Assert.Equal("MethodNotAllowed", response.ErrorCode);
    }

    [Fact]
    public async Task Plain_http_is_refused_unless_allowed()
    {
        var refused = await SendAsync("GET", "/v1/sys/seal-status", https: false);
        Assert.Equal(400, refused.Status);
        Assert.Equal("HttpsRequired", refused.ErrorCode);

        var allowed = await SendAsync("GET", "/v1/sys/seal-status", https: false, requireHttps: false);
        Assert.Equal(200, allowed.Status);
    }

    [Fact]
    public async Task A_body_over_the_limit_is_413_on_any_route_before_authentication()
    {
        var declared = await SendAsync("GET", "/v1/accounts", token: null, contentLength: Limits.ManagementRequestBytesMax + 1);
        Assert.Equal(413, declared.Status);
        Assert.Equal("RequestBodyTooLarge", declared.ErrorCode);

        // A body that lies about its length (or has none declared) is bounded while it is read.
        var big = "{\"key\":\"" + new string('a', Limits.ManagementRequestBytesMax) + "\"}";
        var streamed = await SendAsync("PUT", "/v1/sys/unseal", body: big, contentLength: 10);
        Assert.Equal(413, streamed.Status);
        Assert.Equal("RequestBodyTooLarge", streamed.ErrorCode);
        Assert.Empty(submissions);
    }

    [Theory]
    [InlineData("not json")]
    [InlineData("[\"srs1-abc\"]")]
    [InlineData("{\"key\":")]
    [InlineData("")]
    public async Task A_body_that_is_not_a_json_object_is_400(string body)
    {
        var response = await SendAsync("PUT", "/v1/sys/unseal", body: body);
        Assert.Equal(400, response.Status);
        Assert.Equal("InvalidJson", response.ErrorCode);
        Assert.DoesNotContain("srs1", response.Text, StringComparison.Ordinal);
        Assert.Empty(submissions);
    }

    [Theory]
    [InlineData(null)]
    [InlineData("Basic dXNlcjpwYXNz")]
    [InlineData("Bearer ")]
    [InlineData("Bearer srsession1.garbage-never-issued")]
    public async Task No_or_a_bad_session_is_401_with_a_bearer_challenge_and_recorded_without_the_token(string? authorization)
    {
        var context = new DefaultHttpContext();
        context.Request.Method = "GET";
        context.Request.Scheme = "https";
        context.Request.Path = "/v1/log/platform/entries";
        context.Request.QueryString = new QueryString("?start=0&end=1");
        if (authorization is not null)
        {
            context.Request.Headers.Authorization = authorization;
        }

        var body = new MemoryStream();
        context.Response.Body = body;
        await Handler().HandleAsync(context);
        var text = Encoding.UTF8.GetString(body.ToArray());

        Assert.Equal(401, context.Response.StatusCode);
        Assert.StartsWith("Bearer", context.Response.Headers.WWWAuthenticate.ToString(), StringComparison.Ordinal);
        Assert.Contains("\"SessionInvalid\"", text, StringComparison.Ordinal);
        Assert.DoesNotContain("garbage", text, StringComparison.Ordinal);

        var entry = Assert.Single(await PlatformEntriesAsync());
        Assert.Equal(Actor.Anonymous, entry.Actor);
        Assert.Equal("Management.GET v1/log/platform/entries", entry.Action);
        Assert.Equal("management:/v1/log/platform/entries", entry.Resource);
        Assert.Equal("SessionInvalid", entry.Outcome);
        Assert.DoesNotContain("garbage", Encoding.UTF8.GetString(store.Appended.Single().Entry), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Anonymous_routes_need_no_session_and_record_nothing()
    {
        var response = await SendAsync("GET", "/v1/sys/seal-status");
        Assert.Equal(200, response.Status);
        Assert.Empty(store.Appended);
    }

    [Fact]
    public async Task Sealed_answers_503_except_the_seal_status_and_unseal()
    {
        sealedVault = true;
        foreach (var path in new[] { "/v1/accounts", "/v1/sites", "/v1/log/platform/checkpoint", "/v1/accounts/acme/locations" })
        {
            var refused = await SendAsync("GET", path, AuditAdminToken);
            Assert.Equal(503, refused.Status);
            Assert.Equal("VaultSealed", refused.ErrorCode);
        }

        var status = await SendAsync("GET", "/v1/sys/seal-status");
        Assert.Equal(200, status.Status);
        Assert.True(status.Body.GetProperty("sealed").GetBoolean());
        Assert.Equal("shamir", status.Body.GetProperty("type").GetString());
        Assert.Equal(2, status.Body.GetProperty("t").GetInt32());
        Assert.Equal(3, status.Body.GetProperty("n").GetInt32());
        Assert.Equal("00112233", status.Body.GetProperty("deployment_id").GetString());

        var unseal = await SendAsync("PUT", "/v1/sys/unseal", body: "{\"key\":\"srs1-share-text\"}");
        Assert.Equal(200, unseal.Status);
        Assert.Equal(1, unseal.Body.GetProperty("progress").GetInt32());
        Assert.Equal("srs1-share-text", Assert.Single(submissions).Share);
        Assert.DoesNotContain("srs1", unseal.Text, StringComparison.Ordinal);
        Assert.DoesNotContain("srs1", submissions[0].ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Unseal_takes_a_reset_and_refuses_a_request_without_a_share()
    {
        var reset = await SendAsync("PUT", "/v1/sys/unseal", body: "{\"reset\":true}");
        Assert.Equal(200, reset.Status);
        Assert.True(Assert.Single(submissions).Reset);

        var empty = await SendAsync("PUT", "/v1/sys/unseal", body: "{\"key\":\"  \"}");
        Assert.Equal(400, empty.Status);
        Assert.Equal("InvalidUnsealRequest", empty.ErrorCode);
        Assert.Single(submissions);
    }

    [Theory]
    [InlineData(AuditAdminToken, 200)]
    [InlineData(SecurityAdminToken, 200)]
    [InlineData(SystemAdminToken, 403)]
    [InlineData(AcmeAdminToken, 403)]
    public async Task The_platform_log_is_for_audit_and_security_admins(string token, int expected)
    {
        var response = await SendAsync("GET", "/v1/log/platform/entries?start=0&end=1", token);
        Assert.Equal(expected, response.Status);
        if (expected == 200)
        {
            Assert.Equal(1, response.Body.GetProperty("size").GetInt64());
            Assert.Equal("{\"platform\":0}", Encoding.UTF8.GetString(response.Body.GetProperty("entries")[0].GetProperty("entry").GetBytesFromBase64()));
            Assert.Empty(store.Appended);
        }
        else
        {
            Assert.Equal("RoleNotPermitted", response.ErrorCode);
            var entry = Assert.Single(await PlatformEntriesAsync());
            Assert.Equal(Sessions[token].Actor, entry.Actor);
            Assert.Equal("RoleNotPermitted", entry.Outcome);
            Assert.Equal("Management.GET v1/log/platform/entries", entry.Action);
            Assert.DoesNotContain(token, Encoding.UTF8.GetString(store.Appended.Single().Entry), StringComparison.Ordinal);
        }
    }

    [Theory]
    [InlineData(AcmeAdminToken, "acme", 200, null)]
    [InlineData(AuditAdminToken, "globex", 200, null)]
    [InlineData(AcmeAdminToken, "globex", 403, "RoleNotPermitted")]
    [InlineData(AcmeAdminToken, "nosuchaccount", 403, "RoleNotPermitted")]
    [InlineData(SystemAdminToken, "acme", 403, "RoleNotPermitted")]
    [InlineData(SecurityAdminToken, "acme", 403, "RoleNotPermitted")]
    [InlineData(AuditAdminToken, "nosuchaccount", 404, "AccountNotFound")]
    [InlineData(AuditAdminToken, "platform", 404, "AccountNotFound")]
    public async Task An_accounts_log_is_for_its_tenant_administrators_and_audit_admins(string token, string account, int expected, string? code)
    {
        var response = await SendAsync("GET", $"/v1/accounts/{account}/log/entries?start=0&end=2", token);
        Assert.Equal(expected, response.Status);
        Assert.Equal(code, response.ErrorCode);
        if (expected == 200)
        {
            Assert.Equal(5, response.Body.GetProperty("size").GetInt64());
            Assert.Equal($"{{\"{account}\":1}}", Encoding.UTF8.GetString(response.Body.GetProperty("entries")[1].GetProperty("entry").GetBytesFromBase64()));
        }

        // Refusals (403) are recorded; a 404 for an account that does not exist is not a refusal.
        Assert.Equal(expected == 403 ? 1 : 0, store.Appended.Count);
    }

    [Fact]
    public async Task An_existing_account_with_an_empty_log_reads_as_empty()
    {
        var response = await SendAsync("GET", "/v1/accounts/empty/log/entries?start=0&end=0", AuditAdminToken);
        Assert.Equal(200, response.Status);
        Assert.Equal(0, response.Body.GetProperty("size").GetInt64());
    }

    [Fact]
    public async Task Proofs_mirror_the_tenant_endpoints()
    {
        var inclusion = await SendAsync("GET", "/v1/accounts/acme/log/proof/inclusion?index=2&size=5", AcmeAdminToken);
        Assert.Equal(200, inclusion.Status);
        var hashes = inclusion.Body.GetProperty("hashes").EnumerateArray().Select(hash => hash.GetBytesFromBase64()).ToList();
        Assert.True(MerkleTree.VerifyInclusion(2, 5, store.Fake.LeafHash("acme", 2), hashes, store.Fake.Root("acme", 5)));

        var consistency = await SendAsync("GET", "/v1/accounts/acme/log/proof/consistency?first=3&second=5", AcmeAdminToken);
        Assert.Equal(200, consistency.Status);
        var proof = consistency.Body.GetProperty("hashes").EnumerateArray().Select(hash => hash.GetBytesFromBase64()).ToList();
        Assert.True(MerkleTree.VerifyConsistency(3, 5, store.Fake.Root("acme", 3), store.Fake.Root("acme", 5), proof));
    }

    [Theory]
    [InlineData("/v1/accounts/acme/log/entries?start=3&end=2")]
    [InlineData("/v1/accounts/acme/log/entries?start=0&end=6")]
    [InlineData("/v1/accounts/acme/log/entries?start=01&end=2")]
    [InlineData("/v1/accounts/acme/log/entries?start=0")]
    [InlineData("/v1/accounts/acme/log/entries?start=0&start=1&end=2")]
    [InlineData("/v1/accounts/acme/log/proof/inclusion?index=5&size=5")]
    [InlineData("/v1/accounts/acme/log/proof/consistency?first=4&second=3")]
    public async Task Ranges_outside_the_log_are_400(string path)
    {
        var response = await SendAsync("GET", path, AcmeAdminToken);
        Assert.Equal(400, response.Status);
        Assert.Equal("InvalidAuditRange", response.ErrorCode);
    }

    [Fact]
    public async Task Locations_are_refused_to_system_admins_and_other_tenants()
    {
        foreach (var (token, account) in new[] { (SystemAdminToken, "acme"), (SecurityAdminToken, "acme"), (AcmeAdminToken, "globex") })
        {
            foreach (var path in new[] { $"/v1/accounts/{account}/locations", $"/v1/accounts/{account}/locations/report" })
            {
                var response = await SendAsync("GET", path, token);
                Assert.Equal(403, response.Status);
                Assert.Equal("RoleNotPermitted", response.ErrorCode);
            }
        }

        Assert.Equal(6, (await PlatformEntriesAsync()).Count);
    }

    [Fact]
    public async Task Accounts_are_for_system_and_audit_admins_and_carry_no_key()
    {
        foreach (var token in new[] { SystemAdminToken, AuditAdminToken })
        {
            var response = await SendAsync("GET", "/v1/accounts", token);
            Assert.Equal(200, response.Status);
            var account = Assert.Single(response.Body.GetProperty("accounts").EnumerateArray());
            Assert.Equal("acme", account.GetProperty("name").GetString());
            Assert.Equal("Enabled", account.GetProperty("state").GetString());
            Assert.Equal("1970-01-01T00:00:00Z", account.GetProperty("createdOn").GetString());
            foreach (var wrapped in new[] { "qqqq", "u7u7", "zMzM" })
            {
                Assert.DoesNotContain(wrapped, response.Text, StringComparison.Ordinal);
            }
        }

        foreach (var token in new[] { SecurityAdminToken, AcmeAdminToken })
        {
            var refused = await SendAsync("GET", "/v1/accounts", token);
            Assert.Equal(403, refused.Status);
        }
    }

    [Fact]
    public async Task Sites_are_for_operators_with_place_state_and_health()
    {
        var response = await SendAsync("GET", "/v1/sites", SystemAdminToken);
        Assert.Equal(200, response.Status);
        var site = Assert.Single(response.Body.GetProperty("sites").EnumerateArray());
        Assert.Equal("local", site.GetProperty("id").GetString());
        Assert.Equal(Topology.UnspecifiedJurisdiction, site.GetProperty("jurisdiction").GetString());
        Assert.Equal("Active", site.GetProperty("state").GetString());
        Assert.Equal("up", site.GetProperty("health").GetString());
        Assert.DoesNotContain(siteDirectory, response.Text, StringComparison.Ordinal);

        var tenant = await SendAsync("GET", "/v1/sites", AcmeAdminToken);
        Assert.Equal(403, tenant.Status);
    }

    [Fact]
    public async Task A_refusal_that_cannot_be_recorded_still_refuses()
    {
        store.Broken = true;
        var response = await SendAsync("GET", "/v1/log/platform/entries?start=0&end=1", SystemAdminToken);
        Assert.Equal(403, response.Status);
        Assert.Equal("RoleNotPermitted", response.ErrorCode);
    }

    [Fact]
    public async Task Every_answer_is_no_store_with_a_request_id()
    {
        foreach (var response in new[]
        {
            await SendAsync("GET", "/v1/sys/seal-status"),
            await SendAsync("GET", "/v1/accounts", SystemAdminToken),
            await SendAsync("GET", "/v1/accounts", AcmeAdminToken),
            await SendAsync("GET", "/v1/nothing"),
        })
        {
            Assert.Equal("no-store", response.Http.Headers.CacheControl.ToString());
            Assert.False(string.IsNullOrEmpty(response.Http.Headers["x-ms-request-id"].ToString()));
            Assert.StartsWith("application/json", response.Http.ContentType, StringComparison.Ordinal);
        }
    }

    [Fact]
    public void Refused_statuses_map_once()
    {
        Assert.Equal(403, ManagementErrors.Map(ErrorCode.RoleNotPermitted, "m").Status);
        Assert.Equal(403, ManagementErrors.Map(ErrorCode.SelfApprovalNotAllowed, "m").Status);
        Assert.Equal(401, ManagementErrors.Map(ErrorCode.SessionInvalid, "m").Status);
        Assert.Equal(404, ManagementErrors.Map(ErrorCode.BlobNotFound, "m").Status);
        Assert.Equal(503, ManagementErrors.Map(ErrorCode.VaultSealed, "m").Status);
    }

    /// <summary>The tenant endpoints' fake store, which also takes appends (refused calls) and keeps them to read back.</summary>
    private sealed class RecordingAuditStore : IAuditStore
    {
        public TransparencyProtocolTests.FakeAuditStore Fake { get; } = new();

        public List<AuditAppend> Appended { get; } = [];

        public bool Broken { get; set; }

        public Task<IReadOnlyList<long>> AppendAuditEntriesAsync(IReadOnlyList<AuditAppend> entries, CancellationToken cancellationToken = default)
        {
            if (Broken)
            {
                throw new StorageException(ErrorCode.AuditLogUnavailable, "disk full");
            }

            Appended.AddRange(entries);
            IReadOnlyList<long> indexes = [.. entries.Select((_, i) => (long)(Appended.Count - entries.Count + i))];
            return Task.FromResult(indexes);
        }

        public Task<AuditTreeHead> GetAuditTreeHeadAsync(string log, CancellationToken cancellationToken = default) => Fake.GetAuditTreeHeadAsync(log, cancellationToken);

        public Task<IReadOnlyList<StoredAuditEntry>> ReadAuditEntriesAsync(string log, long start, long end, CancellationToken cancellationToken = default) => Fake.ReadAuditEntriesAsync(log, start, end, cancellationToken);

        public Task<IReadOnlyList<byte[]>> GetAuditInclusionProofAsync(string log, long index, long size, CancellationToken cancellationToken = default) => Fake.GetAuditInclusionProofAsync(log, index, size, cancellationToken);

        public Task<IReadOnlyList<byte[]>> GetAuditConsistencyProofAsync(string log, long first, long second, CancellationToken cancellationToken = default) => Fake.GetAuditConsistencyProofAsync(log, first, second, cancellationToken);

        public Task<IReadOnlyList<byte[]>> ReadAuditHashesAsync(string log, int level, long start, int count, CancellationToken cancellationToken = default) => Fake.ReadAuditHashesAsync(log, level, start, count, cancellationToken);

        public Task<IReadOnlyList<string>> ListAuditLogsAsync(CancellationToken cancellationToken = default) => Fake.ListAuditLogsAsync(cancellationToken);

        public Task<byte[]> GetAuditRootAsync(string log, long size, CancellationToken cancellationToken = default) => Fake.GetAuditRootAsync(log, size, cancellationToken);

        public Task SaveAuditCheckpointAsync(StoredCheckpoint checkpoint, CancellationToken cancellationToken = default) => Fake.SaveAuditCheckpointAsync(checkpoint, cancellationToken);

        public Task<StoredCheckpoint?> GetLatestAuditCheckpointAsync(string log, CancellationToken cancellationToken = default) => Fake.GetLatestAuditCheckpointAsync(log, cancellationToken);

        public Task<long> PruneAuditEntryBodiesAsync(string log, DateTimeOffset before, CancellationToken cancellationToken = default) => Fake.PruneAuditEntryBodiesAsync(log, before, cancellationToken);

        public Task<long> GetAuditRetainedFromAsync(string log, CancellationToken cancellationToken = default) => Fake.GetAuditRetainedFromAsync(log, cancellationToken);

        public Task<AccountRecord> SetAccountAuditSettingsAsync(string account, DataPlaneLogging dataPlane, int retentionDays, AuditAppend? audit, CancellationToken cancellationToken = default) => Fake.SetAccountAuditSettingsAsync(account, dataPlane, retentionDays, audit, cancellationToken);
    }

    [Fact]
    public async Task Only_a_security_admin_rotates_the_keyring_and_security_and_audit_admins_read_its_versions()
    {
        foreach (var token in new[] { AuditAdminToken, SystemAdminToken, AcmeAdminToken })
        {
            var refused = await SendAsync("POST", "/v1/vault/rotate", token, "{}");
            Assert.Equal(403, refused.Status);
            Assert.Equal("RoleNotPermitted", refused.ErrorCode);
        }

        Assert.Equal(1u, keyringVersion);
        var rotated = await SendAsync("POST", "/v1/vault/rotate", SecurityAdminToken, "{}");
        Assert.Equal(200, rotated.Status);
        Assert.Equal(2u, rotated.Body.GetProperty("keyringVersion").GetUInt32());

        foreach (var token in new[] { SecurityAdminToken, AuditAdminToken })
        {
            var status = await SendAsync("GET", "/v1/vault/status", token);
            Assert.Equal(200, status.Status);
            Assert.Equal(2u, status.Body.GetProperty("keyringCurrentVersion").GetUInt32());
            Assert.Equal([1u, 2u], status.Body.GetProperty("keyringVersions").EnumerateArray().Select(version => version.GetUInt32()));
        }

        foreach (var token in new[] { SystemAdminToken, AcmeAdminToken })
        {
            Assert.Equal(403, (await SendAsync("GET", "/v1/vault/status", token)).Status);
        }

        // Each refusal is in the platform log, attributed to its caller.
        var refusals = (await PlatformEntriesAsync()).Where(entry => entry.Action == "Management.POST v1/vault/rotate").ToList();
        Assert.Equal(["audrey", "sysop", "acme/dana"], refusals.Select(entry => entry.Actor.Id));
        Assert.All(refusals, entry => Assert.Equal("RoleNotPermitted", entry.Outcome));
    }

    [Fact]
    public async Task The_vault_routes_need_a_session_and_an_unsealed_vault()
    {
        Assert.Equal(401, (await SendAsync("POST", "/v1/vault/rotate", body: "{}")).Status);
        sealedVault = true;
        var whileSealed = await SendAsync("GET", "/v1/vault/status", SecurityAdminToken);
        Assert.Equal(503, whileSealed.Status);
        Assert.Equal("VaultSealed", whileSealed.ErrorCode);
        Assert.Equal(1u, keyringVersion);
    }

    private static readonly DateTimeOffset DeploymentNow = new(2026, 11, 30, 12, 0, 0, TimeSpan.Zero);

    private static readonly DeploymentStatusView DeploymentView = new(
        "aaaa",
        [
            new DeploymentInstance("aaaa", "web-1", 101, "1.0.0.0", ["https://10.0.0.1:10000/"], "https://10.0.0.1:10010/", "f00d", DeploymentNow.AddMinutes(-5), DeploymentNow.AddSeconds(-1), null),
            new DeploymentInstance("bbbb", "web-2", 202, "1.0.0.0", ["https://10.0.0.2:10000/"], null, "f00d", DeploymentNow.AddMinutes(-9), DeploymentNow.AddMinutes(-1), null),
        ],
        [
            new JobLease(BackgroundJobs.Repair, "aaaa", DeploymentNow.AddSeconds(-30), DeploymentNow.AddSeconds(9), 2, null),
            new JobLease(BackgroundJobs.Rewrap, "bbbb", DeploymentNow.AddMinutes(-2), DeploymentNow.AddMinutes(-1), 1, DeploymentNow.AddMinutes(-3)),
        ],
        DeploymentNow);

    [Fact]
    public async Task The_deployments_servers_and_job_holders_are_for_system_security_and_audit_admins()
    {
        foreach (var token in new[] { SystemAdminToken, SecurityAdminToken, AuditAdminToken })
        {
            var answer = await SendAsync("GET", "/v1/deployment", token);
            Assert.Equal(200, answer.Status);
            Assert.Equal("aaaa", answer.Body.GetProperty("instance_id").GetString());
            var instances = answer.Body.GetProperty("instances").EnumerateArray().ToList();
            Assert.Equal(["alive", "stale"], instances.Select(instance => instance.GetProperty("state").GetString()));
            Assert.Equal([true, false], instances.Select(instance => instance.GetProperty("self").GetBoolean()));
            Assert.Equal(JsonValueKind.Null, instances[1].GetProperty("management_endpoint").ValueKind);
            var jobs = answer.Body.GetProperty("jobs").EnumerateArray().ToDictionary(job => job.GetProperty("job").GetString()!);
            Assert.Equal(BackgroundJobs.All, jobs.Keys);
            Assert.Equal("aaaa", jobs[BackgroundJobs.Repair].GetProperty("holder").GetString());
            Assert.Equal(2, jobs[BackgroundJobs.Repair].GetProperty("fence").GetInt64());

            // The stale server's lease has expired: nobody holds the job, and its request waits.
            Assert.Equal(JsonValueKind.Null, jobs[BackgroundJobs.Rewrap].GetProperty("holder").ValueKind);
            Assert.Equal("2026-11-30T11:57:00Z", jobs[BackgroundJobs.Rewrap].GetProperty("requested_on").GetString());
        }

        Assert.Equal(403, (await SendAsync("GET", "/v1/deployment", AcmeAdminToken)).Status);
        Assert.Equal(401, (await SendAsync("GET", "/v1/deployment")).Status);
    }
}
