namespace Strongroom.Core;

/// <summary>Azure's five lease states (x-ms-lease-state, &lt;LeaseState&gt;).</summary>
public enum LeaseState
{
    Available,
    Leased,
    Expired,
    Breaking,
    Broken,
}

/// <summary>What a lease is on: the errors a write or read names differ (…WithBlobOperation / …WithContainerOperation).</summary>
public enum LeaseTarget
{
    Blob,
    Container,
}

/// <summary>x-ms-lease-action.</summary>
public enum LeaseAction
{
    Acquire,
    Renew,
    Change,
    Release,
    Break,
}

/// <summary>
/// A lease as stored: no state, only facts, so that expiry and the end of a break period need no
/// write — the state at an instant is <see cref="Leases.View"/>. <see cref="DurationSeconds"/> is
/// -1 for an infinite lease; <see cref="ExpiresOn"/> is set for a fixed one; <see cref="BrokenOn"/>
/// is set once the lease was broken: the instant its break period ends (Breaking before, Broken from).
/// </summary>
public sealed record StoredLease(string LeaseId, int DurationSeconds, DateTimeOffset? ExpiresOn, DateTimeOffset? BrokenOn)
{
    public bool IsInfinite => DurationSeconds == Leases.InfiniteDuration;
}

/// <summary>A lease at one instant. <see cref="LeaseId"/> is kept while Leased, Breaking, Expired or Broken (Azure keeps it until the resource is modified or leased again).</summary>
public readonly record struct LeaseView(LeaseState State, string? LeaseId, bool IsInfinite, DateTimeOffset? BreakEndsOn)
{
    public static readonly LeaseView None = new(LeaseState.Available, null, false, null);

    /// <summary>x-ms-lease-status: locked while the lease is Leased or Breaking.</summary>
    public bool IsLocked => State is LeaseState.Leased or LeaseState.Breaking;

    public string StatusName => IsLocked ? "locked" : "unlocked";

    public string StateName => State switch
    {
        LeaseState.Available => "available",
        LeaseState.Leased => "leased",
        LeaseState.Expired => "expired",
        LeaseState.Breaking => "breaking",
        _ => "broken",
    };

    /// <summary>x-ms-lease-duration: only while Leased.</summary>
    public string? DurationName => State == LeaseState.Leased ? (IsInfinite ? "infinite" : "fixed") : null;
}

/// <summary>One Lease Blob / Lease Container request, its headers parsed and lease ids normalised (<see cref="Leases.NormalizeId"/>).</summary>
public sealed record LeaseRequest(LeaseAction Action, string? LeaseId = null, string? ProposedLeaseId = null, int? DurationSeconds = null, int? BreakPeriodSeconds = null);

/// <summary>
/// Azure's lease state machine (the Lease Blob and Lease Container pages: "Outcomes of lease
/// operations … by lease state", and the rules for writes under a lease), pure: the caller runs it
/// inside the store transaction that reads the resource and writes the result.
/// </summary>
public static class Leases
{
    public const int InfiniteDuration = -1;

    /// <summary>A lease id in the one form this server stores and compares (lowercase "D"); null when not a GUID.</summary>
    public static string? NormalizeId(string? text) =>
        text is not null && text.Length <= Limits.LeaseIdCharsMax && Guid.TryParse(text, out var id) ? id.ToString("D") : null;

    /// <summary>
    /// The lease at <paramref name="now"/>. An expired or broken lease keeps its id only until the
    /// resource is modified (<paramref name="lastModified"/> at or after the expiry or the end of the
    /// break): then it is simply available, as Azure's "Lease modified by write" outcome says.
    /// </summary>
    public static LeaseView View(StoredLease? lease, DateTimeOffset lastModified, DateTimeOffset now)
    {
        if (lease is null)
        {
            return LeaseView.None;
        }

        if (lease.BrokenOn is { } breakEnd)
        {
            if (now < breakEnd)
            {
                return new LeaseView(LeaseState.Breaking, lease.LeaseId, lease.IsInfinite, breakEnd);
            }

            return lastModified >= breakEnd ? LeaseView.None : new LeaseView(LeaseState.Broken, lease.LeaseId, lease.IsInfinite, breakEnd);
        }

        if (lease.IsInfinite || now < lease.ExpiresOn)
        {
            return new LeaseView(LeaseState.Leased, lease.LeaseId, lease.IsInfinite, null);
        }

        return lastModified >= lease.ExpiresOn!.Value ? LeaseView.None : new LeaseView(LeaseState.Expired, lease.LeaseId, false, null);
    }

    /// <summary>
    /// Applies one lease action to the lease as it stands. Returns the lease to store (null: none,
    /// the resource is available) and, for Break, the whole seconds left of the break period
    /// (x-ms-lease-time). Throws the action's 409 error when Azure's table says it fails.
    /// </summary>
    public static (StoredLease? Lease, int? BreakSecondsLeft) Apply(StoredLease? stored, DateTimeOffset lastModified, DateTimeOffset now, LeaseRequest request, Func<string> newLeaseId)
    {
        ArgumentNullException.ThrowIfNull(request);
        ArgumentNullException.ThrowIfNull(newLeaseId);
        var view = View(stored, lastModified, now);
        var current = view.State == LeaseState.Available ? null : stored;
        return request.Action switch
        {
            LeaseAction.Acquire => (Acquire(view, request, now, newLeaseId), null),
            LeaseAction.Renew => (Renew(view, current, request, now), null),
            LeaseAction.Change => (Change(view, current, request), null),
            LeaseAction.Release => Release(view, request),
            LeaseAction.Break => Break(view, current, request, now),
            _ => throw new ArgumentOutOfRangeException(nameof(request)),
        };
    }

    private static StoredLease Acquire(LeaseView view, LeaseRequest request, DateTimeOffset now, Func<string> newLeaseId)
    {
        var duration = request.DurationSeconds ?? throw new StorageException(ErrorCode.InvalidLeaseDuration);
        RequireDuration(duration);
        if (view.State == LeaseState.Leased && request.ProposedLeaseId != view.LeaseId)
        {
            throw new StorageException(ErrorCode.LeaseAlreadyPresent);
        }

        if (view.State == LeaseState.Breaking)
        {
            throw new StorageException(request.ProposedLeaseId == view.LeaseId ? ErrorCode.LeaseIsBreakingAndCannotBeAcquired : ErrorCode.LeaseAlreadyPresent);
        }

        return NewLease(request.ProposedLeaseId ?? newLeaseId(), duration, now);
    }

    private static StoredLease Renew(LeaseView view, StoredLease? current, LeaseRequest request, DateTimeOffset now)
    {
        RequireId(view, request.LeaseId);
        return view.State is LeaseState.Leased or LeaseState.Expired
            ? NewLease(current!.LeaseId, current.DurationSeconds, now)
            : throw new StorageException(ErrorCode.LeaseIsBrokenAndCannotBeRenewed);
    }

    private static StoredLease Change(LeaseView view, StoredLease? current, LeaseRequest request)
    {
        var proposed = request.ProposedLeaseId ?? throw new StorageException(ErrorCode.LeaseIdMismatchWithLeaseOperation);
        switch (view.State)
        {
            case LeaseState.Leased:
                // Azure lets a retried change (already applied: the proposed id is the lease's) succeed.
                if (request.LeaseId != view.LeaseId && proposed != view.LeaseId)
                {
                    throw new StorageException(ErrorCode.LeaseIdMismatchWithLeaseOperation);
                }

                return current! with { LeaseId = proposed };
            case LeaseState.Breaking:
                throw new StorageException(request.LeaseId == view.LeaseId ? ErrorCode.LeaseIsBreakingAndCannotBeChanged : ErrorCode.LeaseIdMismatchWithLeaseOperation);
            default:
                throw new StorageException(ErrorCode.LeaseNotPresentWithLeaseOperation);
        }
    }

    private static (StoredLease? Lease, int? BreakSecondsLeft) Release(LeaseView view, LeaseRequest request)
    {
        RequireId(view, request.LeaseId);
        return (null, null);
    }

    private static (StoredLease? Lease, int? BreakSecondsLeft) Break(LeaseView view, StoredLease? current, LeaseRequest request, DateTimeOffset now)
    {
        if (request.BreakPeriodSeconds is { } period && (period < 0 || period > Limits.LeaseBreakPeriodSecondsMax))
        {
            throw new StorageException(ErrorCode.InvalidLeaseBreakPeriod);
        }

        DateTimeOffset end;
        switch (view.State)
        {
            case LeaseState.Available:
                throw new StorageException(ErrorCode.LeaseNotPresentWithLeaseOperation);
            case LeaseState.Leased:
                // No period: a fixed lease runs out its time, an infinite one breaks at once;
                // a period never extends a fixed lease past its expiry.
                end = request.BreakPeriodSeconds is { } seconds ? now.AddSeconds(seconds) : current!.IsInfinite ? now : current.ExpiresOn!.Value;
                if (!current!.IsInfinite && current.ExpiresOn < end)
                {
                    end = current.ExpiresOn!.Value;
                }

                break;
            case LeaseState.Breaking:
                // A second break may only shorten the period.
                end = current!.BrokenOn!.Value;
                if (request.BreakPeriodSeconds is { } shorter && now.AddSeconds(shorter) < end)
                {
                    end = now.AddSeconds(shorter);
                }

                break;
            case LeaseState.Broken:
                return (current, 0);
            default:
                // Expired: broken at once.
                end = now;
                break;
        }

        return (current! with { BrokenOn = end }, SecondsLeft(end, now));
    }

    /// <summary>
    /// A write or delete (<paramref name="required"/>: the lease id must be sent when the lease is
    /// active) or an operation that only accepts an optional x-ms-lease-id (reads, Set Container
    /// Metadata): an id sent must name the active lease.
    /// </summary>
    public static void Check(LeaseView view, string? leaseId, LeaseTarget target, bool required)
    {
        if (view.IsLocked)
        {
            if (leaseId is null)
            {
                if (required)
                {
                    throw new StorageException(ErrorCode.LeaseIdMissing);
                }

                return;
            }

            if (leaseId != view.LeaseId)
            {
                throw new StorageException(target == LeaseTarget.Blob ? ErrorCode.LeaseIdMismatchWithBlobOperation : ErrorCode.LeaseIdMismatchWithContainerOperation);
            }

            return;
        }

        if (leaseId is not null)
        {
            // The id of the lease that expired or was broken: that lease is lost; any other id names no lease.
            throw new StorageException(
                leaseId == view.LeaseId ? ErrorCode.LeaseLost
                : target == LeaseTarget.Blob ? ErrorCode.LeaseNotPresentWithBlobOperation : ErrorCode.LeaseNotPresentWithContainerOperation);
        }
    }

    private static void RequireId(LeaseView view, string? leaseId)
    {
        if (view.State == LeaseState.Available || leaseId != view.LeaseId)
        {
            throw new StorageException(ErrorCode.LeaseIdMismatchWithLeaseOperation);
        }
    }

    private static void RequireDuration(int duration)
    {
        if (duration != InfiniteDuration && (duration < Limits.LeaseDurationSecondsMin || duration > Limits.LeaseDurationSecondsMax))
        {
            throw new StorageException(ErrorCode.InvalidLeaseDuration);
        }
    }

    private static StoredLease NewLease(string id, int duration, DateTimeOffset now) =>
        new(id, duration, duration == InfiniteDuration ? null : now.AddSeconds(duration), null);

    private static int SecondsLeft(DateTimeOffset end, DateTimeOffset now) =>
        end <= now ? 0 : (int)Math.Ceiling((end - now).TotalSeconds);
}
