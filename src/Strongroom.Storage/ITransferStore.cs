using Strongroom.Core;

namespace Strongroom.Storage;

/// <summary>
/// Cross-border transfer requests (migration 8's <c>transfers</c>). Every transition is a
/// compare-and-swap on the row as the caller last read it, and its <see cref="AuditAppend"/>
/// commits in the same savepoint: an entry exists exactly for the transitions that happened.
/// The copies a transfer made are copy rows naming it (<see cref="ObjectCopy.TransferId"/>), not here.
/// </summary>
public interface ITransferStore
{
    /// <summary>Records a new request with its entry. InvalidAccessState when the id is taken.</summary>
    Task CreateTransferAsync(TransferRecord transfer, AuditAppend? audit = null, CancellationToken cancellationToken = default);

    Task<TransferRecord?> GetTransferAsync(string id, CancellationToken cancellationToken = default);

    /// <summary>Transfers (of one account, in one state, when given), newest first, at most <paramref name="limit"/>.</summary>
    Task<IReadOnlyList<TransferRecord>> ListTransfersAsync(string? account, TransferState? state, int limit, CancellationToken cancellationToken = default);

    /// <summary>Requested or Approved transfers whose pending lifetime ended at or before <paramref name="now"/> (Requested only: an approved one does not expire), at most <paramref name="limit"/>.</summary>
    Task<IReadOnlyList<TransferRecord>> ListTransfersPendingBeforeAsync(DateTimeOffset now, int limit, CancellationToken cancellationToken = default);

    /// <summary>
    /// Replaces <paramref name="expected"/> by <paramref name="updated"/> (same id) only when the
    /// stored row still has the expected state, approvers and counts; then appends
    /// <paramref name="audit"/>. Returns the stored transfer, or null when the row changed
    /// meanwhile (nothing written, nothing appended). TransferNotFound when there is no such row.
    /// </summary>
    Task<TransferRecord?> ReplaceTransferAsync(TransferRecord expected, TransferRecord updated, AuditAppend? audit = null, CancellationToken cancellationToken = default);
}
