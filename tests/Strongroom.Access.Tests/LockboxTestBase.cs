using Strongroom.Audit;
using Strongroom.Core;

namespace Strongroom.Access.Tests;

/// <summary>
/// A fresh <see cref="AccessFixture"/> per test (each moves its clock), the principals the lockbox
/// tests use, and the sessions they hold (a table the service's session lookup reads, so a test
/// can end one).
/// </summary>
public abstract class LockboxTestBase : IAsyncLifetime
{
    protected const string Account = AccessFixture.Account;
    protected const string OtherAccount = AccessFixture.OtherAccount;
    protected const string Justification = "Ticket 4711: the tenant reports missing thumbnails";

    protected static readonly AuthenticatedPrincipal Olga = new(PrincipalKind.Operator, PrincipalIds.NoAccount, "olga", OperatorRole.SystemAdmin, "session-olga");
    protected static readonly AuthenticatedPrincipal Otto = new(PrincipalKind.Operator, PrincipalIds.NoAccount, "otto", OperatorRole.SystemAdmin, "session-otto");
    protected static readonly AuthenticatedPrincipal Sam = new(PrincipalKind.Operator, PrincipalIds.NoAccount, "sam", OperatorRole.SecurityAdmin, "session-sam");
    protected static readonly AuthenticatedPrincipal Sara = new(PrincipalKind.Operator, PrincipalIds.NoAccount, "sara", OperatorRole.SecurityAdmin, "session-sara");
    protected static readonly AuthenticatedPrincipal Abe = new(PrincipalKind.Operator, PrincipalIds.NoAccount, "abe", OperatorRole.AuditAdmin, "session-abe");
    protected static readonly AuthenticatedPrincipal Tina = new(PrincipalKind.TenantAdmin, Account, "tina", null, "session-tina");
    protected static readonly AuthenticatedPrincipal Tom = new(PrincipalKind.TenantAdmin, Account, "tom", null, "session-tom");
    protected static readonly AuthenticatedPrincipal Gina = new(PrincipalKind.TenantAdmin, OtherAccount, "gina", null, "session-gina");

    protected AccessFixture Fixture { get; } = new();

    /// <summary>Live sessions by id; a test removes one to log it out.</summary>
    protected Dictionary<string, AuthenticatedPrincipal> Sessions { get; } = [];

    protected LockboxService Lockbox { get; private set; } = null!;

    public async Task InitializeAsync()
    {
        await Fixture.InitializeAsync();
        foreach (var principal in new[] { Olga, Otto, Sam, Sara, Abe, Tina, Tom, Gina })
        {
            Sessions[principal.SessionId] = principal;
        }

        Lockbox = NewService(Fixture.Options);
    }

    public Task DisposeAsync() => Fixture.DisposeAsync();

    // TODO(issue 6): the identity service's TouchSessionAsync once it lands (real sessions through Fixture.Identities).
    protected LockboxService NewService(AccessOptions options, Vault.TenantKeys? keys = null) =>
        new(Fixture.Store, Fixture.Audit, Fixture.Identities, keys ?? Fixture.Keys, Fixture.Time, Fixture.Random, options,
            (id, _) => Task.FromResult(Sessions.TryGetValue(id, out var principal) ? principal : null));

    protected static LockboxRequestSpec Spec(string account = Account, string container = "photos", string? prefix = "thumbnails/", LockboxAccess access = LockboxAccess.ReadData, double hours = 2, string justification = Justification) =>
        new(account, container, prefix, access, TimeSpan.FromHours(hours), justification);

    /// <summary>A request by <paramref name="requester"/> approved by Tina and Sam.</summary>
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
