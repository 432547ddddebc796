using Strongroom.Core;

namespace Strongroom.Access.Tests;

/// <summary>
/// An account deleted and created again under the same name is another tenant: it inherits no
/// lockbox request, approval or grant, no transfer approval, and no administrator of the account
/// before it; a disabled account's grants stop too.
/// <para>
/// No production path reaches that state any more (issue 7): an account ends by crypto-shredding,
/// and a destroyed account keeps its row, so its name is never created again. The guard (each
/// grant, request and administrator is bound to the account's creation time) stays as defence in
/// depth, so these tests build the next incarnation through the store's test-only
/// <c>SqlMetadataStore.DeleteAccountAsync</c>.
/// </para>
/// </summary>
public sealed class AccountIncarnationTests : LockboxTestBase
{
    private async Task RecreateAccountAsync()
    {
        await Fixture.Store.DeleteAccountAsync(Account);
        Fixture.Time.Advance(TimeSpan.FromSeconds(1));
        await Fixture.Store.CreateAccountAsync(new AccountRecord(Account, [1], [2], [3], Fixture.Time.GetUtcNow(), AccountState.Enabled));
        await Fixture.Store.CreateContainerAsync(new ContainerRecord(Account, "photos", "\"0x2\"", Fixture.Time.GetUtcNow(), Fixture.Time.GetUtcNow(), []));
    }

    [Fact]
    public async Task A_grant_of_the_account_before_reaches_nothing_of_the_one_after()
    {
        var active = await ActiveAsync();
        var token = (await Lockbox.IssueTokenAsync(Olga, active.Id)).Token;
        Assert.Equal(active.Id, (await Lockbox.ValidateAsync(token)).GrantId);

        await RecreateAccountAsync();

        Assert.Equal(ErrorCode.GrantNotActive, await RefusedAsync(() => Lockbox.ValidateAsync(token)));
        Assert.Equal(ErrorCode.InvalidAccessState, await RefusedAsync(() => Lockbox.IssueTokenAsync(Olga, active.Id)));
    }

    [Fact]
    public async Task A_request_of_the_account_before_can_be_neither_approved_nor_activated()
    {
        var pending = await Lockbox.RequestAsync(Olga, Spec());
        var approved = await ApprovedAsync(Otto);

        await RecreateAccountAsync();

        Assert.Equal(ErrorCode.InvalidAccessState, await RefusedAsync(() => Lockbox.ApproveAsync(Tina, pending.Id)));
        Assert.Equal(ErrorCode.InvalidAccessState, await RefusedAsync(() => Lockbox.ActivateAsync(Otto, approved.Id)));

        // Refusing is still possible: the tenant can clean up what it inherited nothing from.
        Assert.Equal(LockboxState.Revoked, (await Lockbox.RevokeAsync(Tina, approved.Id)).State);
    }

    [Fact]
    public async Task A_disabled_account_stops_its_grants()
    {
        var active = await ActiveAsync();
        var token = (await Lockbox.IssueTokenAsync(Olga, active.Id)).Token;
        var account = (await Fixture.Store.GetAccountAsync(Account))!;
        await Fixture.Store.DeleteAccountAsync(Account);
        await Fixture.Store.CreateAccountAsync(account with { State = AccountState.Disabled });

        Assert.Equal(ErrorCode.GrantNotActive, await RefusedAsync(() => Lockbox.ValidateAsync(token)));
    }

    [Fact]
    public async Task An_administrator_of_the_account_before_neither_signs_in_nor_keeps_a_session()
    {
        const string Password = "Incarnation-Pw-2026!";
        var enrolled = await Fixture.Identities.CreateTenantAdminAsync(null, Account, "dana", Password);
        var code = Totp.CodeAt(OtpNet.Base32Encoding.ToBytes(enrolled.TotpSecretBase32), Totp.StepAt(Fixture.Time.GetUtcNow()));
        var login = await Fixture.Identities.LoginAsync(PrincipalKind.TenantAdmin, Account, "dana", Password, code);
        Assert.Equal("acme/dana", (await Fixture.Identities.AuthenticateSessionAsync(login.SessionToken)).Id);

        await RecreateAccountAsync();

        Assert.Equal(ErrorCode.SessionInvalid, await RefusedAsync(() => Fixture.Identities.AuthenticateSessionAsync(login.SessionToken)));
        Fixture.Time.Advance(TimeSpan.FromSeconds(30));
        var next = Totp.CodeAt(OtpNet.Base32Encoding.ToBytes(enrolled.TotpSecretBase32), Totp.StepAt(Fixture.Time.GetUtcNow()));
        Assert.Equal(ErrorCode.LoginFailed, await RefusedAsync(() => Fixture.Identities.LoginAsync(PrincipalKind.TenantAdmin, Account, "dana", Password, next)));
    }

    [Fact]
    public async Task A_transfer_of_the_account_before_can_be_neither_approved_nor_run()
    {
        var systemAdmin = new AuthenticatedPrincipal(PrincipalKind.Operator, PrincipalIds.NoAccount, "olga", OperatorRole.SystemAdmin, Olga.SessionId);
        var spec = new TransferSpec(Account, "photos", null, AccessFixture.EuSite, TransferLegalBasis.StandardContract, "CAC filing 2026-0042", "Group reporting");
        var pending = await Fixture.Transfers.RequestAsync(systemAdmin, spec);
        var approved = await Fixture.Transfers.RequestAsync(systemAdmin, spec);
        await Fixture.Transfers.ApproveAsync(Tina, approved.Id);
        await Fixture.Transfers.ApproveAsync(Sam, approved.Id);

        await RecreateAccountAsync();

        Assert.Equal(ErrorCode.InvalidAccessState, await RefusedAsync(() => Fixture.Transfers.ApproveAsync(Tina, pending.Id)));
        Assert.Equal(ErrorCode.InvalidAccessState, await RefusedAsync(() => Fixture.Transfers.RunAsync(systemAdmin, approved.Id)));
    }
}
