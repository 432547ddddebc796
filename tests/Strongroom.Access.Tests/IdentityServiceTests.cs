using System.Text;
using Strongroom.Audit;
using Strongroom.Core;
using Strongroom.Storage;

namespace Strongroom.Access.Tests;

/// <summary>
/// Operators and tenant administrators over a real store and a fake clock: who may create and
/// disable whom, sign-in with lockout and one-time codes, session timeouts, and what the logs say.
/// </summary>
public sealed class IdentityServiceTests : IAsyncLifetime
{
    private const string Password = "Correct-horse-battery-7";

    private readonly AccessFixture fixture = new();

    private IdentityService Identities => fixture.Identities;

    public Task InitializeAsync() => fixture.InitializeAsync();

    public Task DisposeAsync() => fixture.DisposeAsync();

    private static AuthenticatedPrincipal Operator(string name, OperatorRole role) => new(PrincipalKind.Operator, PrincipalIds.NoAccount, name, role, "session-" + name);

    private static AuthenticatedPrincipal TenantAdmin(string account, string name) => new(PrincipalKind.TenantAdmin, account, name, null, "session-" + name);

    private long Step => Totp.StepAt(fixture.Time.GetUtcNow());

    private static string Code(EnrolledPrincipal enrolled, long step) => Totp.CodeAt(OtpNet.Base32Encoding.ToBytes(enrolled.TotpSecretBase32), step);

    private Task<LoginResult> LoginAsync(EnrolledPrincipal enrolled, long? step = null, string password = Password) =>
        Identities.LoginAsync(enrolled.Principal.Kind, enrolled.Principal.Account, enrolled.Principal.Name, password, Code(enrolled, step ?? Step));

    private static async Task<ErrorCode> FailsWith(Func<Task> call) => (await Assert.ThrowsAsync<StorageException>(call)).Code;

    [Fact]
    public async Task The_host_creates_the_first_operator_only_while_there_is_none()
    {
        var first = await Identities.CreateOperatorAsync(null, "root", OperatorRole.SecurityAdmin, Password);

        Assert.Equal(OperatorRole.SecurityAdmin, first.Principal.Role);
        Assert.Equal(ErrorCode.RoleNotPermitted, await FailsWith(() => Identities.CreateOperatorAsync(null, "second", OperatorRole.AuditAdmin, Password)));
        Assert.Single(await Identities.ListOperatorsAsync(null));
    }

    [Fact]
    public async Task Only_a_security_admin_creates_operators_each_with_exactly_one_role()
    {
        await Identities.CreateOperatorAsync(null, "root", OperatorRole.SecurityAdmin, Password);
        var security = Operator("root", OperatorRole.SecurityAdmin);

        foreach (var role in Enum.GetValues<OperatorRole>())
        {
            var created = await Identities.CreateOperatorAsync(security, "op-" + PrincipalIds.RoleName(role), role, Password);
            Assert.Equal(role, created.Principal.Role);
        }

        Assert.Equal(ErrorCode.InvalidAccessRequest, await FailsWith(() => Identities.CreateOperatorAsync(security, "norole", 0, Password)));
        Assert.Equal(ErrorCode.InvalidAccessRequest, await FailsWith(() => Identities.CreateOperatorAsync(security, "tworoles", (OperatorRole)7, Password)));
        Assert.Equal(ErrorCode.PrincipalAlreadyExists, await FailsWith(() => Identities.CreateOperatorAsync(security, "root", OperatorRole.AuditAdmin, Password)));
        foreach (var caller in new[] { Operator("op-system-admin", OperatorRole.SystemAdmin), Operator("op-audit-admin", OperatorRole.AuditAdmin), TenantAdmin(AccessFixture.Account, "alice") })
        {
            Assert.Equal(ErrorCode.RoleNotPermitted, await FailsWith(() => Identities.CreateOperatorAsync(caller, "sneaky", OperatorRole.SecurityAdmin, Password)));
        }

        Assert.Equal(ErrorCode.RoleNotPermitted, await FailsWith(() => Identities.ListOperatorsAsync(Operator("op-system-admin", OperatorRole.SystemAdmin))));
        Assert.Equal(4, (await Identities.ListOperatorsAsync(Operator("op-audit-admin", OperatorRole.AuditAdmin))).Count);
    }

    [Theory]
    [InlineData("Short-1a")]
    [InlineData("alllowercaseletters")]
    [InlineData("lowercase-and-symbols")]
    [InlineData("UPPERCASE1234567")]
    public async Task Passwords_that_break_the_rules_are_refused(string password)
    {
        var refused = await Assert.ThrowsAsync<StorageException>(() => Identities.CreateOperatorAsync(null, "root", OperatorRole.SecurityAdmin, password));

        Assert.Equal(ErrorCode.InvalidAccessRequest, refused.Code);
        Assert.DoesNotContain(password, refused.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_security_admin_disables_neither_itself_nor_the_last_security_admin()
    {
        await Identities.CreateOperatorAsync(null, "root", OperatorRole.SecurityAdmin, Password);
        var root = Operator("root", OperatorRole.SecurityAdmin);
        await Identities.CreateOperatorAsync(root, "deputy", OperatorRole.SecurityAdmin, Password);

        Assert.Equal(ErrorCode.InvalidAccessRequest, await FailsWith(() => Identities.DisableOperatorAsync(root, "root")));
        Assert.Equal(ErrorCode.RoleNotPermitted, await FailsWith(() => Identities.DisableOperatorAsync(Operator("sys", OperatorRole.SystemAdmin), "deputy")));
        Assert.Equal(ErrorCode.RoleNotPermitted, await FailsWith(() => Identities.DisableOperatorAsync(null, "deputy")));
        Assert.Equal(ErrorCode.PrincipalNotFound, await FailsWith(() => Identities.DisableOperatorAsync(root, "nobody")));

        await Identities.DisableOperatorAsync(root, "deputy");

        // A caller that is not the last one (e.g. disabled meanwhile) still cannot remove the last.
        Assert.Equal(ErrorCode.InvalidAccessState, await FailsWith(() => Identities.DisableOperatorAsync(Operator("deputy", OperatorRole.SecurityAdmin), "root")));
        var operators = await Identities.ListOperatorsAsync(null);
        Assert.True(operators.Single(o => o.Name == "deputy").Disabled);
        Assert.False(operators.Single(o => o.Name == "root").Disabled);
    }

    [Fact]
    public async Task Tenant_administrators_are_created_by_the_host_a_security_admin_or_an_administrator_of_the_same_account()
    {
        await Identities.CreateTenantAdminAsync(null, AccessFixture.Account, "alice", Password);
        await Identities.CreateTenantAdminAsync(Operator("root", OperatorRole.SecurityAdmin), AccessFixture.Account, "bob", Password);
        await Identities.CreateTenantAdminAsync(TenantAdmin(AccessFixture.Account, "alice"), AccessFixture.Account, "carol", Password);

        Assert.Equal(ErrorCode.RoleNotPermitted, await FailsWith(() => Identities.CreateTenantAdminAsync(TenantAdmin(AccessFixture.Account, "alice"), AccessFixture.OtherAccount, "mallory", Password)));
        Assert.Equal(ErrorCode.RoleNotPermitted, await FailsWith(() => Identities.CreateTenantAdminAsync(Operator("sys", OperatorRole.SystemAdmin), AccessFixture.Account, "mallory", Password)));
        Assert.Equal(ErrorCode.AccountNotFound, await FailsWith(() => Identities.CreateTenantAdminAsync(null, "nosuch", "dave", Password)));
        Assert.Equal(ErrorCode.RoleNotPermitted, await FailsWith(() => Identities.ListTenantAdminsAsync(TenantAdmin(AccessFixture.OtherAccount, "eve"), AccessFixture.Account)));
        Assert.Equal(ErrorCode.InvalidAccessRequest, await FailsWith(() => Identities.DisableTenantAdminAsync(TenantAdmin(AccessFixture.Account, "alice"), AccessFixture.Account, "alice")));

        await Identities.DisableTenantAdminAsync(TenantAdmin(AccessFixture.Account, "alice"), AccessFixture.Account, "carol");

        var admins = await Identities.ListTenantAdminsAsync(TenantAdmin(AccessFixture.Account, "alice"), AccessFixture.Account);
        Assert.Equal(["alice", "bob", "carol"], admins.Select(a => a.Name));
        Assert.True(admins[2].Disabled);
        Assert.Empty(await Identities.ListTenantAdminsAsync(null, AccessFixture.OtherAccount));
    }

    [Fact]
    public async Task Five_failures_lock_the_principal_until_the_lockout_has_passed()
    {
        var enrolled = await Identities.CreateOperatorAsync(null, "root", OperatorRole.SecurityAdmin, Password);

        for (var i = 0; i < Limits.LoginFailuresMax; i++)
        {
            Assert.Equal(ErrorCode.LoginFailed, await FailsWith(() => LoginAsync(enrolled, password: "Wrong-password-1")));
        }

        // Locked, even with the right factors.
        Assert.Equal(ErrorCode.PrincipalLocked, await FailsWith(() => LoginAsync(enrolled)));
        Assert.True(Identities.IsLocked((await Identities.ListOperatorsAsync(null)).Single()));

        fixture.Time.Advance(Limits.LoginLockout - TimeSpan.FromSeconds(1));
        Assert.Equal(ErrorCode.PrincipalLocked, await FailsWith(() => LoginAsync(enrolled)));

        fixture.Time.Advance(TimeSpan.FromSeconds(1));
        var result = await LoginAsync(enrolled);
        Assert.Equal("root", result.Principal.Name);

        // Success cleared the count: four more failures do not lock.
        for (var i = 0; i < Limits.LoginFailuresMax - 1; i++)
        {
            Assert.Equal(ErrorCode.LoginFailed, await FailsWith(() => LoginAsync(enrolled, password: "Wrong-password-1")));
        }

        await LoginAsync(enrolled, Step + 1);
    }

    [Fact]
    public async Task Concurrent_attempts_cannot_exceed_the_failure_limit()
    {
        var enrolled = await Identities.CreateOperatorAsync(null, "root", OperatorRole.SecurityAdmin, Password);

        var outcomes = await Task.WhenAll(Enumerable.Range(0, 12).Select(_ => FailsWith(() => LoginAsync(enrolled, password: "Wrong-password-1"))));

        Assert.Equal(Limits.LoginFailuresMax, outcomes.Count(code => code == ErrorCode.LoginFailed));
        Assert.Equal(12 - Limits.LoginFailuresMax, outcomes.Count(code => code == ErrorCode.PrincipalLocked));
    }

    [Fact]
    public async Task A_code_is_accepted_once_and_a_replay_counts_as_a_failure()
    {
        var enrolled = await Identities.CreateOperatorAsync(null, "root", OperatorRole.SecurityAdmin, Password);
        var step = Step;

        await LoginAsync(enrolled, step);
        Assert.Equal(ErrorCode.TotpCodeReused, await FailsWith(() => LoginAsync(enrolled, step)));

        // An older step inside the window is a replay too; the next one is fresh.
        Assert.Equal(ErrorCode.TotpCodeReused, await FailsWith(() => LoginAsync(enrolled, step - 1)));
        await LoginAsync(enrolled, step + 1);

        // Outside the window: wrong.
        Assert.Equal(ErrorCode.LoginFailed, await FailsWith(() => LoginAsync(enrolled, step + 3)));

        // Replays count: with four failures the fifth locks.
        for (var i = 0; i < Limits.LoginFailuresMax - 1; i++)
        {
            await FailsWith(() => LoginAsync(enrolled, step + 1));
        }

        Assert.Equal(ErrorCode.PrincipalLocked, await FailsWith(() => LoginAsync(enrolled, step + 2)));
    }

    [Fact]
    public async Task Unknown_names_wrong_codes_and_disabled_principals_all_fail_alike()
    {
        var root = await Identities.CreateOperatorAsync(null, "root", OperatorRole.SecurityAdmin, Password);
        var other = await Identities.CreateOperatorAsync(Operator("root", OperatorRole.SecurityAdmin), "other", OperatorRole.AuditAdmin, Password);
        await Identities.DisableOperatorAsync(Operator("root", OperatorRole.SecurityAdmin), "other");

        Assert.Equal(ErrorCode.LoginFailed, await FailsWith(() => Identities.LoginAsync(PrincipalKind.Operator, "", "nobody", Password, "123456")));
        Assert.Equal(ErrorCode.LoginFailed, await FailsWith(() => Identities.LoginAsync(PrincipalKind.Operator, "", "root", Password, "12345")));
        Assert.Equal(ErrorCode.LoginFailed, await FailsWith(() => Identities.LoginAsync(PrincipalKind.Operator, "", "root", Password, "abcdef")));
        Assert.Equal(ErrorCode.LoginFailed, await FailsWith(() => LoginAsync(other)));
        Assert.Equal(ErrorCode.LoginFailed, await FailsWith(() => Identities.LoginAsync(PrincipalKind.Operator, "", "Not A Name", Password, "123456")));
        Assert.Equal(ErrorCode.LoginFailed, await FailsWith(() => Identities.LoginAsync(PrincipalKind.TenantAdmin, AccessFixture.Account, "root", Password, Code(root, Step))));
        Assert.Equal(ErrorCode.LoginFailed, await FailsWith(() => Identities.LoginAsync(PrincipalKind.Operator, "", "root", new string('A', Limits.PasswordCharsMax + 1), Code(root, Step))));
    }

    [Fact]
    public async Task Sign_in_needs_the_vault_unsealed()
    {
        var enrolled = await Identities.CreateOperatorAsync(null, "root", OperatorRole.SecurityAdmin, Password);
        fixture.Seal.Seal();

        Assert.Equal(ErrorCode.VaultSealed, await FailsWith(() => LoginAsync(enrolled)));
    }

    [Fact]
    public async Task A_session_ends_after_its_idle_timeout()
    {
        var enrolled = await Identities.CreateOperatorAsync(null, "root", OperatorRole.SecurityAdmin, Password);
        var login = await LoginAsync(enrolled);
        Assert.StartsWith(IdentityService.SessionTokenPrefix, login.SessionToken, StringComparison.Ordinal);
        Assert.Equal(fixture.Time.GetUtcNow() + Limits.SessionIdleTimeout, login.IdleExpiresOn);

        // Each call restarts the idle clock.
        for (var i = 0; i < 3; i++)
        {
            fixture.Time.Advance(Limits.SessionIdleTimeout - TimeSpan.FromMinutes(1));
            var principal = await Identities.AuthenticateSessionAsync(login.SessionToken);
            Assert.Equal(OperatorRole.SecurityAdmin, principal.Role);
        }

        fixture.Time.Advance(Limits.SessionIdleTimeout);
        Assert.Equal(ErrorCode.SessionInvalid, await FailsWith(() => Identities.AuthenticateSessionAsync(login.SessionToken)));
        Assert.Null(await Identities.TouchSessionAsync(login.Principal.SessionId));
    }

    [Fact]
    public async Task A_busy_session_ends_at_its_absolute_limit()
    {
        var enrolled = await Identities.CreateOperatorAsync(null, "root", OperatorRole.SecurityAdmin, Password);
        var login = await LoginAsync(enrolled);
        Assert.Equal(fixture.Time.GetUtcNow() + Limits.SessionLifetimeMax, login.ExpiresOn);

        var elapsed = TimeSpan.Zero;
        while (elapsed + TimeSpan.FromMinutes(10) < Limits.SessionLifetimeMax)
        {
            fixture.Time.Advance(TimeSpan.FromMinutes(10));
            elapsed += TimeSpan.FromMinutes(10);
            await Identities.AuthenticateSessionAsync(login.SessionToken);
            Assert.NotNull(await Identities.TouchSessionAsync(login.Principal.SessionId));
        }

        fixture.Time.Advance(Limits.SessionLifetimeMax - elapsed);
        Assert.Equal(ErrorCode.SessionInvalid, await FailsWith(() => Identities.AuthenticateSessionAsync(login.SessionToken)));
    }

    [Fact]
    public async Task Logout_and_disabling_end_sessions()
    {
        var root = await Identities.CreateOperatorAsync(null, "root", OperatorRole.SecurityAdmin, Password);
        var security = Operator("root", OperatorRole.SecurityAdmin);
        var auditor = await Identities.CreateOperatorAsync(security, "auditor", OperatorRole.AuditAdmin, Password);
        var rootLogin = await LoginAsync(root);
        var auditorLogin = await LoginAsync(auditor);
        Assert.Equal("auditor", (await Identities.TouchSessionAsync(auditorLogin.Principal.SessionId))!.Name);

        await Identities.DisableOperatorAsync(security, "auditor");
        Assert.Equal(ErrorCode.SessionInvalid, await FailsWith(() => Identities.AuthenticateSessionAsync(auditorLogin.SessionToken)));
        Assert.Null(await Identities.TouchSessionAsync(auditorLogin.Principal.SessionId));

        await Identities.LogoutAsync(rootLogin.SessionToken);
        await Identities.LogoutAsync(rootLogin.SessionToken);
        Assert.Equal(ErrorCode.SessionInvalid, await FailsWith(() => Identities.AuthenticateSessionAsync(rootLogin.SessionToken)));
        Assert.Equal(ErrorCode.SessionInvalid, await FailsWith(() => Identities.AuthenticateSessionAsync("srsession1.forged")));
        Assert.Equal(ErrorCode.SessionInvalid, await FailsWith(() => Identities.AuthenticateSessionAsync("not a token")));
    }

    [Fact]
    public async Task The_store_holds_neither_the_seed_nor_the_token()
    {
        var enrolled = await Identities.CreateOperatorAsync(null, "root", OperatorRole.SecurityAdmin, Password);
        var seed = OtpNet.Base32Encoding.ToBytes(enrolled.TotpSecretBase32);
        var store = (IIdentityStore)fixture.Store;

        var stored = (await store.GetPrincipalAsync(PrincipalKind.Operator, "", "root"))!;
        Assert.Equal(Limits.TotpSeedBytes, seed.Length);
        Assert.False(stored.WrappedTotpSeed.AsSpan().IndexOf(seed) >= 0);
        Assert.StartsWith("$argon2id$v=19$", stored.PasswordHash, StringComparison.Ordinal);

        // The wrapped seed is bound to its principal.
        Assert.ThrowsAny<Exception>(() => fixture.Keys.UnwrapTotpSeed(PrincipalKind.Operator, "", "other", stored.WrappedTotpSeed));
        Assert.Equal(seed, fixture.Keys.UnwrapTotpSeed(PrincipalKind.Operator, "", "root", stored.WrappedTotpSeed));

        var login = await LoginAsync(enrolled);
        var session = (await store.GetSessionAsync(login.Principal.SessionId))!.Value.Session;
        Assert.Equal(System.Security.Cryptography.SHA256.HashData(Encoding.UTF8.GetBytes(login.SessionToken)), session.TokenHash);
        Assert.Equal(Totp.StepAt(fixture.Time.GetUtcNow()), (await store.GetPrincipalAsync(PrincipalKind.Operator, "", "root"))!.TotpLastStep);
    }

    [Fact]
    public async Task Operators_go_into_the_platform_log_and_tenant_administrators_into_their_accounts_without_secrets()
    {
        var root = await Identities.CreateOperatorAsync(null, "root", OperatorRole.SecurityAdmin, Password);
        var security = Operator("root", OperatorRole.SecurityAdmin);
        await Identities.CreateOperatorAsync(security, "auditor", OperatorRole.AuditAdmin, Password);
        var alice = await Identities.CreateTenantAdminAsync(security, AccessFixture.Account, "alice", Password);
        var code = Code(root, Step);
        var login = await Identities.LoginAsync(PrincipalKind.Operator, "", "root", Password, code);
        await FailsWith(() => Identities.LoginAsync(PrincipalKind.Operator, "", "root", "Wrong-password-1", Code(root, Step + 1)));
        await FailsWith(() => Identities.LoginAsync(PrincipalKind.Operator, "", "root", Password, code));
        await FailsWith(() => Identities.LoginAsync(PrincipalKind.Operator, "", "ghost", Password, code));
        await Identities.LogoutAsync(login.SessionToken);
        var aliceLogin = await LoginAsync(alice);
        await FailsWith(() => LoginAsync(alice, password: "Wrong-password-1"));
        await Identities.DisableOperatorAsync(security, "auditor");

        var platform = await fixture.EntriesAsync(AuditLogs.Platform);
        Assert.Equal(
            [
                (AuditActions.CreateOperator, "operator:root", AuditOutcomes.Success),
                (AuditActions.CreateOperator, "operator:auditor", AuditOutcomes.Success),
                (AuditActions.Login, "operator:root", AuditOutcomes.Success),
                (AuditActions.Login, "operator:root", nameof(ErrorCode.LoginFailed)),
                (AuditActions.Login, "operator:root", nameof(ErrorCode.TotpCodeReused)),
                (AuditActions.Login, "operator:ghost", nameof(ErrorCode.LoginFailed)),
                (AuditActions.Logout, "operator:root", AuditOutcomes.Success),
                (AuditActions.DisableOperator, "operator:auditor", AuditOutcomes.Success),
            ],
            platform.Select(e => (e.Action, e.Resource, e.Outcome)));
        Assert.Equal(new Actor(ActorKind.Operator, "root"), platform[1].Actor);
        Assert.Equal(new Actor(ActorKind.Operator, "ghost"), platform[5].Actor);
        Assert.Equal(new Actor(ActorKind.Operator, "root"), platform[7].Actor);

        var account = await fixture.EntriesAsync(AccessFixture.Account);
        Assert.Equal(
            [
                (AuditActions.CreateTenantAdmin, AuditOutcomes.Success),
                (AuditActions.Login, AuditOutcomes.Success),
                (AuditActions.Login, nameof(ErrorCode.LoginFailed)),
            ],
            account.Select(e => (e.Action, e.Outcome)));
        Assert.Equal(new Actor(ActorKind.TenantAdmin, "acme/alice"), account[1].Actor);
        Assert.Empty(await fixture.EntriesAsync(AccessFixture.OtherAccount));

        var text = string.Join('\n', platform.Concat(account).Select(e => Encoding.UTF8.GetString(e.Encode())));
        foreach (var secret in new[] { Password, "Wrong-password-1", root.TotpSecretBase32, alice.TotpSecretBase32, code, login.SessionToken, aliceLogin.SessionToken, "srsession1.", "$argon2id$" })
        {
            Assert.DoesNotContain(secret, text, StringComparison.Ordinal);
        }
    }

    [Fact]
    public async Task A_hash_made_with_weaker_parameters_is_replaced_at_sign_in()
    {
        var weakHash = Strongroom.Crypto.PasswordHash.Hash(Password, fixture.Random, new Strongroom.Crypto.Argon2Cost(64, 1, 1));
        var seed = Totp.NewSeed(fixture.Random);
        var store = (IIdentityStore)fixture.Store;
        await store.CreatePrincipalAsync(
            new PrincipalRecord(PrincipalKind.Operator, "", "legacy", OperatorRole.AuditAdmin, weakHash, fixture.Keys.WrapTotpSeed(PrincipalKind.Operator, "", "legacy", seed), 0, 0, null, false, fixture.Time.GetUtcNow()),
            onlyWhileNoOperator: true);

        await Identities.LoginAsync(PrincipalKind.Operator, "", "legacy", Password, Totp.CodeAt(seed, Step));

        var stored = (await store.GetPrincipalAsync(PrincipalKind.Operator, "", "legacy"))!;
        Assert.StartsWith("$argon2id$v=19$m=19456,t=2,p=1$", stored.PasswordHash, StringComparison.Ordinal);
        Assert.True(Strongroom.Crypto.PasswordHash.Verify(Password, stored.PasswordHash));
    }
}
