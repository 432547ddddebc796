using Strongroom.Audit;
using Strongroom.Core;
using Strongroom.Storage;
using Strongroom.Vault;

namespace Strongroom.Access;

/// <summary>What an operator asks for: where (account, container, optional prefix), what (metadata or data), how long, and why.</summary>
public sealed record LockboxRequestSpec(string Account, string Container, string? Prefix, LockboxAccess Access, TimeSpan Duration, string Justification);

/// <summary>A data-plane credential for an active grant: shown once to its operator.</summary>
public sealed record IssuedGrantToken(string Token, DateTimeOffset ExpiresOn);

/// <summary>
/// The lockbox: operators ask for narrow, time-bound, read-only access to one account's data; a
/// tenant administrator of that account and a security admin who is not the requester must both
/// approve; the requesting operator activates the grant, uses it on the data plane through a grant
/// token, and the tenant can revoke it at any time. Every transition commits with its entry in the
/// account's transparency log, carrying the justification. It is also the data plane's
/// <see cref="IOperatorGrantValidator"/>.
///
/// Every transition is a compare-and-swap on the row as read (<see cref="ILockboxStore.ChangeLockboxRequestAsync"/>):
/// a call that lost a race reads again and decides again. A request past its time is treated as
/// expired (or its grant as ended) by every read, which also records the transition when it can;
/// <see cref="ExpireDueAsync"/> sweeps the rest.
/// </summary>
public sealed partial class LockboxService(IMetadataStore store, TransparencyLog audit, IdentityService identities, TenantKeys keys, TimeProvider time, IRandomSource random, AccessOptions options)
    : IOperatorGrantValidator
{
    /// <summary>The id of the system in a request's <c>EndedBy</c>/<c>DecidedBy</c> when time, not a principal, moved it.</summary>
    public const string SystemActorId = "system";

    /// <summary>Every request id starts so.</summary>
    public const string IdPrefix = "lbx-";

    private const int IdRandomBytes = 8;

    private readonly ILockboxStore requests = store as ILockboxStore
        ?? throw new ArgumentException("The metadata store keeps no lockbox requests.", nameof(store));

    /// <summary>An operator (any role) asks for access.</summary>
    public async Task<LockboxRequestRecord> RequestAsync(AuthenticatedPrincipal caller, LockboxRequestSpec spec, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(caller);
        ArgumentNullException.ThrowIfNull(spec);
        if (caller.Kind != PrincipalKind.Operator)
        {
            throw new StorageException(ErrorCode.RoleNotPermitted, "Only an operator asks for lockbox access.");
        }

        var prefix = ValidateSpec(spec);
        var account = await store.GetAccountAsync(spec.Account, cancellationToken).ConfigureAwait(false)
            ?? throw new StorageException(ErrorCode.AccountNotFound, $"No account '{spec.Account}'.");
        if (account.State != AccountState.Enabled)
        {
            throw new StorageException(ErrorCode.AccountDisabled, $"Account '{spec.Account}' is disabled.");
        }

        if (await store.GetContainerAsync(spec.Account, spec.Container, cancellationToken).ConfigureAwait(false) is null)
        {
            throw new StorageException(ErrorCode.ContainerNotFound, $"No container '{spec.Container}' in account '{spec.Account}'.");
        }

        var now = time.GetUtcNow();
        var request = new LockboxRequestRecord(
            NewId(), spec.Account, spec.Container, prefix, spec.Access, TimeSpan.FromSeconds(Math.Floor(spec.Duration.TotalSeconds)), spec.Justification,
            caller.Id, LockboxState.Requested, now, now + options.RequestPendingLifetime,
            TenantApprover: null, TenantApprovedOn: null, SecurityApprover: null, SecurityApprovedOn: null, DecidedBy: null, DecidedOn: null,
            ActivatedOn: null, EndsOn: null, EndedBy: null, EndedOn: null);
        await requests.InsertLockboxRequestAsync(request, Entry(caller.Actor, request, AuditActions.LockboxRequest), cancellationToken).ConfigureAwait(false);
        return request;
    }

    /// <summary>One request: its requester, any security or audit admin, or a tenant administrator of its account.</summary>
    public async Task<LockboxRequestRecord> GetAsync(AuthenticatedPrincipal caller, string id, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(caller);
        var request = await LoadAsync(id, cancellationToken).ConfigureAwait(false);
        return CanSee(caller, request) ? await SettleAsync(request, cancellationToken).ConfigureAwait(false) : throw NotFound(id);
    }

    /// <summary>Requests visible to the caller (a tenant administrator sees its account's only), newest first, optionally of one account and state.</summary>
    public async Task<IReadOnlyList<LockboxRequestRecord>> ListAsync(AuthenticatedPrincipal caller, string? account, LockboxState? state, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(caller);
        string? requester = null;
        if (caller.Kind == PrincipalKind.TenantAdmin)
        {
            if (account is not null && !caller.IsTenantAdminOf(account))
            {
                return [];
            }

            account = caller.Account;
        }
        else if (!SeesAll(caller))
        {
            requester = caller.Id;
        }

        // A due request is read as what it becomes, so a filter on a state that time leads to asks the store for all.
        var stored = state is LockboxState.Expired or LockboxState.Ended ? null : state;
        var found = await requests.ListLockboxRequestsAsync(account, requester, stored, Limits.AccessRequestsPageMax, cancellationToken).ConfigureAwait(false);
        var visible = new List<LockboxRequestRecord>(found.Count);
        foreach (var request in found)
        {
            var settled = await SettleAsync(request, cancellationToken).ConfigureAwait(false);
            if (state is null || settled.State == state)
            {
                visible.Add(settled);
            }
        }

        return visible;
    }

    /// <summary>A tenant administrator of the account, or a security admin who is not the requester, approves; both make it Approved.</summary>
    public Task<LockboxRequestRecord> ApproveAsync(AuthenticatedPrincipal caller, string id, CancellationToken cancellationToken = default) =>
        TransitionAsync(caller, id, AuditActions.LockboxApprove, requesterOnly: false, (current, now) =>
        {
            var side = ApproverSide(caller, current);
            RequireState(current, LockboxState.Requested);
            LockboxRequestRecord next;
            if (side == TenantSide)
            {
                if (current.TenantApprover is not null)
                {
                    throw new StorageException(ErrorCode.InvalidAccessState, $"A tenant administrator ({current.TenantApprover}) approved request {current.Id} already.");
                }

                next = current with { TenantApprover = caller.Id, TenantApprovedOn = now };
            }
            else
            {
                if (current.SecurityApprover is not null)
                {
                    throw new StorageException(ErrorCode.InvalidAccessState, $"A security admin ({current.SecurityApprover}) approved request {current.Id} already.");
                }

                next = current with { SecurityApprover = caller.Id, SecurityApprovedOn = now };
            }

            if (next.TenantApprover is not null && next.SecurityApprover is not null)
            {
                next = next with { State = LockboxState.Approved, DecidedBy = caller.Id, DecidedOn = now };
            }

            return (next, [new("side", side)]);
        }, cancellationToken);

    /// <summary>Either approver denies (final).</summary>
    public Task<LockboxRequestRecord> DenyAsync(AuthenticatedPrincipal caller, string id, string? reason, CancellationToken cancellationToken = default)
    {
        reason = string.IsNullOrEmpty(reason) ? null : reason;
        if (reason is not null && (reason.Length > Limits.JustificationCharsMax || reason.Any(char.IsControl)))
        {
            throw new StorageException(ErrorCode.InvalidAccessRequest, $"A reason is at most {Limits.JustificationCharsMax} characters, with no control characters.");
        }

        return TransitionAsync(caller, id, AuditActions.LockboxDeny, requesterOnly: false, (current, now) =>
        {
            var side = ApproverSide(caller, current);
            RequireState(current, LockboxState.Requested);
            var next = current with { State = LockboxState.Denied, DecidedBy = caller.Id, DecidedOn = now };
            return (next, reason is null ? [new("side", side)] : [new("side", side), new("reason", reason)]);
        }, cancellationToken);
    }

    /// <summary>The requesting operator starts an approved grant; it ends after its duration.</summary>
    public Task<LockboxRequestRecord> ActivateAsync(AuthenticatedPrincipal caller, string id, CancellationToken cancellationToken = default) =>
        TransitionAsync(caller, id, AuditActions.LockboxActivate, requesterOnly: true, (current, now) =>
        {
            RequireState(current, LockboxState.Approved);
            var next = current with { State = LockboxState.Active, ActivatedOn = now, EndsOn = now + current.Duration };
            return (next, [new("endsOn", Iso(next.EndsOn!.Value))]);
        }, cancellationToken);

    /// <summary>The requesting operator ends its grant early.</summary>
    public Task<LockboxRequestRecord> EndAsync(AuthenticatedPrincipal caller, string id, CancellationToken cancellationToken = default) =>
        TransitionAsync(caller, id, AuditActions.LockboxEnd, requesterOnly: true, (current, now) =>
        {
            RequireState(current, LockboxState.Active);
            return (current with { State = LockboxState.Ended, EndedBy = caller.Id, EndedOn = now }, []);
        }, cancellationToken);

    /// <summary>A tenant administrator of the account (or a security admin) revokes an approved or active grant.</summary>
    public Task<LockboxRequestRecord> RevokeAsync(AuthenticatedPrincipal caller, string id, CancellationToken cancellationToken = default) =>
        TransitionAsync(caller, id, AuditActions.LockboxRevoke, requesterOnly: false, (current, now) =>
        {
            if (!caller.IsTenantAdminOf(current.Account) && !caller.IsOperator(OperatorRole.SecurityAdmin))
            {
                throw new StorageException(ErrorCode.RoleNotPermitted, "Only a tenant administrator of the account or a security admin revokes a grant.");
            }

            if (current.State is not (LockboxState.Approved or LockboxState.Active))
            {
                throw new StorageException(ErrorCode.InvalidAccessState, $"Request {current.Id} is {AccessNames.StateName(current.State)}: only an approved or active grant is revoked.");
            }

            var side = caller.Kind == PrincipalKind.TenantAdmin ? TenantSide : SecuritySide;
            return (current with { State = LockboxState.Revoked, EndedBy = caller.Id, EndedOn = now }, [new("side", side)]);
        }, cancellationToken);

    /// <summary>Moves every request past its time to Expired and every active grant past its end to Ended, each with its entry (actor: the system). Returns how many moved.</summary>
    public async Task<int> ExpireDueAsync(CancellationToken cancellationToken = default)
    {
        var moved = 0;
        while (true)
        {
            var now = time.GetUtcNow();
            var due = await requests.ListDueLockboxRequestsAsync(now, Limits.AccessRequestsPageMax, cancellationToken).ConfigureAwait(false);
            var movedNow = 0;
            foreach (var request in due)
            {
                if (Due(request, now) is { } next
                    && await requests.ChangeLockboxRequestAsync(request, next, SystemEntry(request, next), cancellationToken).ConfigureAwait(false))
                {
                    movedNow++;
                }
            }

            moved += movedNow;
            if (due.Count < Limits.AccessRequestsPageMax || movedNow == 0)
            {
                return moved;
            }
        }
    }

    private const string TenantSide = "tenant";
    private const string SecuritySide = "security";

    /// <summary>
    /// Reads the request as the caller may see it (with a due transition applied), lets
    /// <paramref name="decide"/> refuse or produce the next row, and swaps it in with its entry.
    /// </summary>
    private async Task<LockboxRequestRecord> TransitionAsync(
        AuthenticatedPrincipal caller,
        string id,
        string action,
        bool requesterOnly,
        Func<LockboxRequestRecord, DateTimeOffset, (LockboxRequestRecord Next, KeyValuePair<string, string>[] Details)> decide,
        CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(caller);
        for (var attempt = 0; attempt < Limits.AccessTransitionAttemptsMax; attempt++)
        {
            var current = requesterOnly
                ? await LoadForRequesterAsync(caller, id, cancellationToken).ConfigureAwait(false)
                : await GetAsync(caller, id, cancellationToken).ConfigureAwait(false);
            if (action is AuditActions.LockboxApprove or AuditActions.LockboxActivate)
            {
                await RequireCurrentAccountAsync(current, cancellationToken).ConfigureAwait(false);
            }

            var (next, details) = decide(current, time.GetUtcNow());
            Invariant.True(next.Id == current.Id && next.Account == current.Account && next.Requester == current.Requester, "a transition keeps the request's identity");
            if (await requests.ChangeLockboxRequestAsync(current, next, Entry(caller.Actor, next, action, details), cancellationToken).ConfigureAwait(false))
            {
                return next;
            }
        }

        throw new StorageException(ErrorCode.InvalidAccessState, $"Request {id} kept changing while this call ran: read it again.");
    }

    /// <summary>
    /// True when <paramref name="request"/> was made for the account that exists now, enabled: an
    /// account deleted and created again under the same name is another tenant, and inherits no
    /// request, approval or grant of the one before.
    /// </summary>
    private async Task<bool> ForCurrentAccountAsync(LockboxRequestRecord request, CancellationToken cancellationToken) =>
        await store.GetAccountAsync(request.Account, cancellationToken).ConfigureAwait(false) is { State: AccountState.Enabled } account
        && account.CreatedOn <= request.RequestedOn;

    private async Task RequireCurrentAccountAsync(LockboxRequestRecord request, CancellationToken cancellationToken)
    {
        if (!await ForCurrentAccountAsync(request, cancellationToken).ConfigureAwait(false))
        {
            throw new StorageException(ErrorCode.InvalidAccessState, $"Request {request.Id} was made for an account '{request.Account}' that is disabled, or was deleted since: it can no longer be approved or used.");
        }
    }

    /// <summary>For the requester's own calls (activate, end, token): another operator is refused, a tenant administrator of another account sees nothing.</summary>
    private async Task<LockboxRequestRecord> LoadForRequesterAsync(AuthenticatedPrincipal caller, string id, CancellationToken cancellationToken)
    {
        var request = await LoadAsync(id, cancellationToken).ConfigureAwait(false);
        if (caller.Kind == PrincipalKind.TenantAdmin && !caller.IsTenantAdminOf(request.Account))
        {
            throw NotFound(id);
        }

        if (caller.Kind != PrincipalKind.Operator || !string.Equals(caller.Id, request.Requester, StringComparison.Ordinal))
        {
            throw new StorageException(ErrorCode.RoleNotPermitted, "Only the operator who asked uses its grant.");
        }

        return await SettleAsync(request, cancellationToken).ConfigureAwait(false);
    }

    private async Task<LockboxRequestRecord> LoadAsync(string id, CancellationToken cancellationToken)
    {
        if (string.IsNullOrEmpty(id) || id.Length > 64)
        {
            throw NotFound(id ?? string.Empty);
        }

        return await requests.GetLockboxRequestAsync(id, cancellationToken).ConfigureAwait(false) ?? throw NotFound(id);
    }

    /// <summary>The request as it is now: a due one moved to Expired or Ended (recorded when the write succeeds; shown so regardless).</summary>
    private async Task<LockboxRequestRecord> SettleAsync(LockboxRequestRecord request, CancellationToken cancellationToken)
    {
        for (var attempt = 0; attempt < Limits.AccessTransitionAttemptsMax; attempt++)
        {
            if (Due(request, time.GetUtcNow()) is not { } next)
            {
                return request;
            }

            try
            {
                if (await requests.ChangeLockboxRequestAsync(request, next, SystemEntry(request, next), cancellationToken).ConfigureAwait(false))
                {
                    return next;
                }
            }
            catch (StorageException)
            {
                // The sweep records it later; the caller sees it as what it is.
                return next;
            }

            request = await LoadAsync(request.Id, cancellationToken).ConfigureAwait(false);
        }

        return Due(request, time.GetUtcNow()) ?? request;
    }

    /// <summary>The row <paramref name="request"/> becomes at <paramref name="now"/> by the passing of time, or null.</summary>
    internal static LockboxRequestRecord? Due(LockboxRequestRecord request, DateTimeOffset now) => request.State switch
    {
        LockboxState.Requested when now >= request.PendingExpiresOn =>
            request with { State = LockboxState.Expired, DecidedBy = SystemActorId, DecidedOn = request.PendingExpiresOn },
        LockboxState.Approved when now >= request.PendingExpiresOn =>
            request with { State = LockboxState.Expired, EndedBy = SystemActorId, EndedOn = request.PendingExpiresOn },
        LockboxState.Active when request.EndsOn is { } endsOn && now >= endsOn =>
            request with { State = LockboxState.Ended, EndedBy = SystemActorId, EndedOn = endsOn },
        _ => null,
    };

    private AuditAppend SystemEntry(LockboxRequestRecord request, LockboxRequestRecord next) =>
        Entry(Actor.System, next, next.State == LockboxState.Ended ? AuditActions.LockboxEnd : AuditActions.LockboxExpire, [new("from", AccessNames.StateName(request.State))]);

    /// <summary>The entry of a transition in the account's log, attributed to <paramref name="actor"/>, with the justification.</summary>
    private AuditAppend Entry(Actor actor, LockboxRequestRecord request, string action, params KeyValuePair<string, string>[] details)
    {
        using var scope = OperationContext.Begin(OperationContext.Current with { Actor = actor });
        return audit.Entry(
            request.Account,
            action,
            Resource(request),
            details:
            [
                new("request", request.Id),
                new("access", AccessNames.AccessName(request.Access)),
                new("durationMinutes", ((long)request.Duration.TotalMinutes).ToString(System.Globalization.CultureInfo.InvariantCulture)),
                new("state", AccessNames.StateName(request.State)),
                new("requester", request.Requester),
                .. details,
            ],
            justification: request.Justification);
    }

    /// <summary>The audit resource of a request's scope: <c>/account/container[/prefix]</c>.</summary>
    public static string Resource(LockboxRequestRecord request) =>
        request.Prefix is null ? $"/{request.Account}/{request.Container}" : $"/{request.Account}/{request.Container}/{request.Prefix}";

    private static string ApproverSide(AuthenticatedPrincipal caller, LockboxRequestRecord request)
    {
        if (caller.IsTenantAdminOf(request.Account))
        {
            return TenantSide;
        }

        if (caller.Kind == PrincipalKind.Operator && string.Equals(caller.Id, request.Requester, StringComparison.Ordinal))
        {
            throw new StorageException(ErrorCode.SelfApprovalNotAllowed, "The requester does not decide its own request: a tenant administrator and another security admin do.");
        }

        if (caller.IsOperator(OperatorRole.SecurityAdmin))
        {
            return SecuritySide;
        }

        throw new StorageException(ErrorCode.RoleNotPermitted, "Only a tenant administrator of the account or a security admin decides a lockbox request.");
    }

    private static void RequireState(LockboxRequestRecord request, LockboxState state)
    {
        if (request.State != state)
        {
            throw new StorageException(ErrorCode.InvalidAccessState, $"Request {request.Id} is {AccessNames.StateName(request.State)}, not {AccessNames.StateName(state)}.");
        }
    }

    private static bool SeesAll(AuthenticatedPrincipal caller) => caller.IsOperator(OperatorRole.SecurityAdmin) || caller.IsOperator(OperatorRole.AuditAdmin);

    private static bool CanSee(AuthenticatedPrincipal caller, LockboxRequestRecord request) => caller.Kind == PrincipalKind.TenantAdmin
        ? caller.IsTenantAdminOf(request.Account)
        : SeesAll(caller) || string.Equals(caller.Id, request.Requester, StringComparison.Ordinal);

    /// <summary>The prefix as stored (null for none); InvalidAccessRequest for anything out of bounds.</summary>
    private static string? ValidateSpec(LockboxRequestSpec spec)
    {
        if (spec.Account is null || !Names.IsValidAccountName(spec.Account) || spec.Container is null || !Names.IsValidContainerName(spec.Container))
        {
            throw new StorageException(ErrorCode.InvalidAccessRequest, "The account or container name is not valid.");
        }

        var prefix = string.IsNullOrEmpty(spec.Prefix) ? null : spec.Prefix;
        if (prefix is not null && (prefix.Length > Limits.BlobNameLengthMax || prefix.Any(char.IsControl)))
        {
            throw new StorageException(ErrorCode.InvalidAccessRequest, $"A prefix is at most {Limits.BlobNameLengthMax} characters, with no control characters.");
        }

        if (!Enum.IsDefined(spec.Access))
        {
            throw new StorageException(ErrorCode.InvalidAccessRequest, "The access is metadata or read-data.");
        }

        if (spec.Duration < TimeSpan.FromSeconds(1) || spec.Duration > Limits.GrantDurationMax)
        {
            throw new StorageException(ErrorCode.InvalidAccessRequest, $"A grant lasts more than nothing and at most {Limits.GrantDurationMax.TotalHours:0} hours.");
        }

        if (string.IsNullOrWhiteSpace(spec.Justification) || spec.Justification.Length > Limits.JustificationCharsMax || spec.Justification.Any(char.IsControl))
        {
            throw new StorageException(ErrorCode.InvalidAccessRequest, $"A justification is 1 to {Limits.JustificationCharsMax} characters, with no control characters.");
        }

        return prefix;
    }

    private string NewId()
    {
        Span<byte> bytes = stackalloc byte[IdRandomBytes];
        random.Fill(bytes);
        return IdPrefix + Convert.ToHexStringLower(bytes);
    }

    private static StorageException NotFound(string id) => new(ErrorCode.LockboxRequestNotFound, $"No lockbox request '{id}' that you can see.");

    private static string Iso(DateTimeOffset value) => value.UtcDateTime.ToString("yyyy-MM-ddTHH:mm:ss.fffZ", System.Globalization.CultureInfo.InvariantCulture);
}
