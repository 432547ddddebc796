using Strongroom.Audit;
using Strongroom.Core;

namespace Strongroom.Access.Tests;

/// <summary>
/// A fresh <see cref="AccessFixture"/> per test (each moves its clock) and the principals the
/// lockbox tests use. The operators who ask sign in through the identity service, so their grant
/// tokens are bound to real sessions (which end on logout, after 15 idle minutes, or when the
/// operator is disabled).
/// </summary>
public abstract class LockboxTestBase : IAsyncLifetime
{
    protected const string Account = AccessFixture.Account;
    protected const string OtherAccount = AccessFixture.OtherAccount;
    protected const string Justification = "Ticket 4711: the tenant reports missing thumbnails";
    private const string Password = "Correct-horse-battery-7";

    protected AccessFixture Fixture { get; } = new();

    protected LockboxService Lockbox => Fixture.Lockbox;

    /// <summary>Session tokens by principal id (for logout).</summary>
    protected Dictionary<string, string> SessionTokens { get; } = [];

    // The approvers as the management plane hands them to the service (it decides from the record
    // alone); the requesting operators, whose grant tokens are checked against their sessions, and
    // the security admin who creates them, sign in for real (Argon2id is slow: only these three).
    protected static readonly AuthenticatedPrincipal Sara = new(PrincipalKind.Operator, PrincipalIds.NoAccount, "sara", OperatorRole.SecurityAdmin, "session-sara");
    protected static readonly AuthenticatedPrincipal Abe = new(PrincipalKind.Operator, PrincipalIds.NoAccount, "abe", OperatorRole.AuditAdmin, "session-abe");
    protected static readonly AuthenticatedPrincipal Tina = new(PrincipalKind.TenantAdmin, Account, "tina", null, "session-tina");
    protected static readonly AuthenticatedPrincipal Tom = new(PrincipalKind.TenantAdmin, Account, "tom", null, "session-tom");
    protected static readonly AuthenticatedPrincipal Gina = new(PrincipalKind.TenantAdmin, OtherAccount, "gina", null, "session-gina");

    protected AuthenticatedPrincipal Sam { get; private set; } = null!;
    protected AuthenticatedPrincipal Olga { get; private set; } = null!;
    protected AuthenticatedPrincipal Otto { get; private set; } = null!;

    public async Task InitializeAsync()
    {
        await Fixture.InitializeAsync();
        var identities = Fixture.Identities;
        Sam = await LoginAsync(await identities.CreateOperatorAsync(null, "sam", OperatorRole.SecurityAdmin, Password));
        Olga = await LoginAsync(await identities.CreateOperatorAsync(Sam, "olga", OperatorRole.SystemAdmin, Password));
        Otto = await LoginAsync(await identities.CreateOperatorAsync(Sam, "otto", OperatorRole.SystemAdmin, Password));
    }

    public Task DisposeAsync() => Fixture.DisposeAsync();

    private async Task<AuthenticatedPrincipal> LoginAsync(EnrolledPrincipal enrolled)
    {
        var code = Totp.CodeAt(OtpNet.Base32Encoding.ToBytes(enrolled.TotpSecretBase32), Totp.StepAt(Fixture.Time.GetUtcNow()));
        var login = await Fixture.Identities.LoginAsync(enrolled.Principal.Kind, enrolled.Principal.Account, enrolled.Principal.Name, Password, code);
        SessionTokens[login.Principal.Id] = login.SessionToken;
        return login.Principal;
    }

    protected LockboxService NewService(AccessOptions options, Vault.TenantKeys? keys = null) =>
        new(Fixture.Store, Fixture.Audit, Fixture.Identities, keys ?? Fixture.Keys, Fixture.Time, Fixture.Random, options);

    /// <summary>Moves the clock by <paramref name="by"/> in steps short of the idle timeout, using <paramref name="token"/> at each, so its session stays alive.</summary>
    protected async Task AdvanceUsingAsync(string token, TimeSpan by)
    {
        var step = TimeSpan.FromMinutes(10);
        for (; by > step; by -= step)
        {
            Fixture.Time.Advance(step);
            await Lockbox.ValidateAsync(token);
        }

        Fixture.Time.Advance(by);
    }

    protected static LockboxRequestSpec Spec(string account = Account, string container = "photos", string? prefix = "thumbnails/", LockboxAccess access = LockboxAccess.ReadData, double hours = 2, string justification = Justification) =>
        new(account, container, prefix, access, TimeSpan.FromHours(hours), justification);

    /// <summary>A request by <paramref name="requester"/> (default Olga) approved by Tina and Sam.</summary>
    protected async Task<LockboxRequestRecord> ApprovedAsync(AuthenticatedPrincipal? requester = null, LockboxRequestSpec? spec = null)
    {
        var request = await Lockbox.RequestAsync(requester ?? Olga, spec ?? Spec());
        await Lockbox.ApproveAsync(Tina, request.Id);
        return await Lockbox.ApproveAsync(Sam, request.Id);
    }

    protected async Task<LockboxRequestRecord> ActiveAsync(AuthenticatedPrincipal? requester = null)
    {
        var approved = await ApprovedAsync(requester);
        return await Lockbox.ActivateAsync(requester ?? Olga, approved.Id);
    }

    protected static async Task<ErrorCode> RefusedAsync(Func<Task> call)
    {
        var exception = await Assert.ThrowsAsync<StorageException>(call);
        return exception.Code;
    }

    protected async Task<IReadOnlyList<AuditEntry>> LockboxEntriesAsync(string account = Account) =>
        [.. (await Fixture.EntriesAsync(account)).Where(entry => entry.Action.StartsWith("Lockbox.", StringComparison.Ordinal))];
}
