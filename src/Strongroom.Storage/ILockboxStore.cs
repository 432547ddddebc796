using Strongroom.Core;

namespace Strongroom.Storage;

/// <summary>
/// Lockbox requests and their grants (migration 8's <c>lockbox_requests</c>). Same contract as
/// <see cref="IMetadataStore"/>: every method is atomic, and a write commits with its transparency
/// log entry or not at all. A transition is a compare-and-swap: it applies only while the row is
/// still as the caller read it (state and both approvals), so two approvers, an approver and the
/// expiry sweep, or a revocation and an activation racing each other never overwrite one another.
/// </summary>
public interface ILockboxStore
{
    /// <summary>Inserts a new request with its entry (InvalidAccessState if the id is taken).</summary>
    Task InsertLockboxRequestAsync(LockboxRequestRecord request, AuditAppend audit, CancellationToken cancellationToken = default);

    Task<LockboxRequestRecord?> GetLockboxRequestAsync(string id, CancellationToken cancellationToken = default);

    /// <summary>Requests newest first, optionally only of one account, one requester, one state; at most <paramref name="limit"/>.</summary>
    Task<IReadOnlyList<LockboxRequestRecord>> ListLockboxRequestsAsync(string? account, string? requester, LockboxState? state, int limit, CancellationToken cancellationToken = default);

    /// <summary>
    /// Replaces the row <paramref name="expected"/> with <paramref name="updated"/> (same id) and
    /// appends <paramref name="audit"/>, when the stored row still has the expected state and
    /// approvers. False (and nothing appended) when it changed since it was read.
    /// </summary>
    Task<bool> ChangeLockboxRequestAsync(LockboxRequestRecord expected, LockboxRequestRecord updated, AuditAppend audit, CancellationToken cancellationToken = default);

    /// <summary>Requests due a transition at <paramref name="now"/>: requested or approved past their pending lifetime, active past their end; at most <paramref name="limit"/>.</summary>
    Task<IReadOnlyList<LockboxRequestRecord>> ListDueLockboxRequestsAsync(DateTimeOffset now, int limit, CancellationToken cancellationToken = default);
}
