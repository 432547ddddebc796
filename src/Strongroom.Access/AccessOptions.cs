using Strongroom.Core;

namespace Strongroom.Access;

/// <summary>A deployment's settings for the lockbox and transfers (the server's command line sets them).</summary>
public sealed record AccessOptions
{
    /// <summary>How long a lockbox or transfer request may wait for its approvals (and an approved grant for activation) before it expires.</summary>
    public TimeSpan RequestPendingLifetime { get; init; } = Limits.AccessRequestPendingDefault;
}

/// <summary>
/// A principal signed in to the management plane, as the session names it. Services take it as
/// the caller of every privileged call and decide from it (role, account) what is allowed.
/// </summary>
public sealed record AuthenticatedPrincipal(PrincipalKind Kind, string Account, string Name, OperatorRole? Role, string SessionId)
{
    public string Id => PrincipalIds.Of(Kind, Account, Name);

    public Actor Actor => PrincipalIds.ActorOf(Kind, Account, Name);

    public bool IsOperator(OperatorRole role) => Kind == PrincipalKind.Operator && Role == role;

    public bool IsTenantAdminOf(string account) => Kind == PrincipalKind.TenantAdmin && string.Equals(Account, account, StringComparison.Ordinal);
}
