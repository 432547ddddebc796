using Strongroom.Audit;
using Strongroom.Core;

namespace Strongroom.Access.Tests;

/// <summary>
/// Principals created without a second factor (issue 10: the explicit opt-out the compliance report
/// names): sign-in by password alone, any code ignored; the same lockout; the opt-out recorded;
/// every other principal still needs its TOTP code.
/// </summary>
public sealed class SecondFactorOptOutTests : IAsyncLifetime
{
    private const string Password = "Correct-horse-battery-7";

    private readonly AccessFixture fixture = new();

    private IdentityService Identities => fixture.Identities;

    public Task InitializeAsync() => fixture.InitializeAsync();

    public Task DisposeAsync() => fixture.DisposeAsync();

    private static async Task<ErrorCode> FailsWith(Func<Task> call) => (await Assert.ThrowsAsync<StorageException>(call)).Code;

    [Fact]
    public async Task A_password_only_operator_signs_in_without_a_code_and_any_code_is_ignored()
    {
        var enrolled = await Identities.CreateOperatorAsync(null, "root", OperatorRole.SecurityAdmin, Password, SecondFactor.None);

        Assert.Equal(SecondFactor.None, enrolled.Principal.SecondFactor);
        Assert.Empty(enrolled.TotpSecretBase32);
        Assert.Empty(enrolled.OtpAuthUri);
        Assert.Equal(SecondFactor.None, (await Identities.ListOperatorsAsync(null)).Single().SecondFactor);

        var first = await Identities.LoginAsync(PrincipalKind.Operator, string.Empty, "root", Password, string.Empty);
        var second = await Identities.LoginAsync(PrincipalKind.Operator, string.Empty, "root", Password, "123456");
        Assert.NotEqual(first.SessionToken, second.SessionToken);
        Assert.Equal("root", (await Identities.AuthenticateSessionAsync(second.SessionToken)).Name);
        Assert.Equal(ErrorCode.LoginFailed, await FailsWith(() => Identities.LoginAsync(PrincipalKind.Operator, string.Empty, "root", "Wrong-password-1", string.Empty)));
    }

    [Fact]
    public async Task The_lockout_still_applies_to_a_password_only_principal()
    {
        await Identities.CreateOperatorAsync(null, "root", OperatorRole.SecurityAdmin, Password, SecondFactor.None);

        for (var i = 0; i < Limits.LoginFailuresMax; i++)
        {
            Assert.Equal(ErrorCode.LoginFailed, await FailsWith(() => Identities.LoginAsync(PrincipalKind.Operator, string.Empty, "root", "Wrong-password-1", string.Empty)));
        }

        Assert.Equal(ErrorCode.PrincipalLocked, await FailsWith(() => Identities.LoginAsync(PrincipalKind.Operator, string.Empty, "root", Password, string.Empty)));
        fixture.Time.Advance(Limits.LoginLockout);
        await Identities.LoginAsync(PrincipalKind.Operator, string.Empty, "root", Password, string.Empty);
    }

    [Fact]
    public async Task A_totp_principal_without_its_code_is_refused()
    {
        await Identities.CreateOperatorAsync(null, "root", OperatorRole.SecurityAdmin, Password, SecondFactor.None);
        var security = new AuthenticatedPrincipal(PrincipalKind.Operator, PrincipalIds.NoAccount, "root", OperatorRole.SecurityAdmin, "session-root");
        var totp = await Identities.CreateOperatorAsync(security, "auditor", OperatorRole.AuditAdmin, Password);

        Assert.Equal(SecondFactor.Totp, totp.Principal.SecondFactor);
        Assert.Equal(ErrorCode.LoginFailed, await FailsWith(() => Identities.LoginAsync(PrincipalKind.Operator, string.Empty, "auditor", Password, string.Empty)));
        var code = Totp.CodeAt(OtpNet.Base32Encoding.ToBytes(totp.TotpSecretBase32), Totp.StepAt(fixture.Time.GetUtcNow()));
        await Identities.LoginAsync(PrincipalKind.Operator, string.Empty, "auditor", Password, code);
    }

    [Fact]
    public async Task The_opt_out_and_each_password_only_sign_in_are_recorded()
    {
        await Identities.CreateOperatorAsync(null, "root", OperatorRole.SecurityAdmin, Password, SecondFactor.None);
        await Identities.CreateTenantAdminAsync(null, AccessFixture.Account, "tina", Password, SecondFactor.None);
        await Identities.LoginAsync(PrincipalKind.Operator, string.Empty, "root", Password, string.Empty);
        var admin = await Identities.LoginAsync(PrincipalKind.TenantAdmin, AccessFixture.Account, "tina", Password, string.Empty);
        Assert.Equal(SecondFactor.None, (await Identities.ListTenantAdminsAsync(null, AccessFixture.Account)).Single().SecondFactor);

        var platform = await fixture.EntriesAsync(AuditLogs.Platform);
        var created = platform.Single(entry => entry.Action == AuditActions.CreateOperator);
        Assert.Contains(new KeyValuePair<string, string>("secondFactor", "none"), created.Details);
        var login = platform.Single(entry => entry.Action == AuditActions.Login);
        Assert.Contains(new KeyValuePair<string, string>("secondFactor", "none"), login.Details);

        var account = await fixture.EntriesAsync(AccessFixture.Account);
        Assert.Contains(new KeyValuePair<string, string>("secondFactor", "none"), account.Single(entry => entry.Action == AuditActions.CreateTenantAdmin).Details);
        Assert.Contains(new KeyValuePair<string, string>("secondFactor", "none"), account.Single(entry => entry.Action == AuditActions.Login).Details);
        Assert.Equal(AccessFixture.Account, admin.Principal.Account);
    }

    [Fact]
    public async Task An_undefined_second_factor_is_refused()
    {
        Assert.Equal(ErrorCode.InvalidAccessRequest, await FailsWith(() => Identities.CreateOperatorAsync(null, "root", OperatorRole.SecurityAdmin, Password, (SecondFactor)9)));
        Assert.Empty(await Identities.ListOperatorsAsync(null));
    }
}
