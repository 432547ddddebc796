using System.Data.Common;
using Strongroom.Core;

namespace Strongroom.Storage;

/// <summary>Cross-border transfers (migration 8; see <see cref="ITransferStore"/>).</summary>
public sealed partial class SqlMetadataStore : ITransferStore
{
    private const string TransferColumns =
        "id, account, container, prefix, destination_site, legal_basis, legal_reference, purpose, requester, state, requested_on, " +
        "pending_expires_on, tenant_approver, tenant_approved_on, security_approver, security_approved_on, decided_by, decided_on, " +
        "completed_on, objects_copied, bytes_copied";

    private const string TransferValues =
        "@id, @account, @container, @prefix, @destination_site, @legal_basis, @legal_reference, @purpose, @requester, @state, @requested_on, " +
        "@pending_expires_on, @tenant_approver, @tenant_approved_on, @security_approver, @security_approved_on, @decided_by, @decided_on, " +
        "@completed_on, @objects_copied, @bytes_copied";

    public Task CreateTransferAsync(TransferRecord transfer, AuditAppend? audit = null, CancellationToken cancellationToken = default)
    {
        ValidateTransfer(transfer);
        return WriteAsync(
            tx =>
            {
                if (tx.Scalar("SELECT 1 FROM transfers WHERE id = @id", ("@id", transfer.Id)) is not null)
                {
                    throw new StorageException(ErrorCode.InvalidAccessState, $"Transfer '{transfer.Id}' exists already.");
                }

                tx.Execute($"INSERT INTO transfers ({TransferColumns}) VALUES ({TransferValues})", TransferParameters(transfer));
                return true;
            },
            audit,
            cancellationToken);
    }

    public Task<TransferRecord?> GetTransferAsync(string id, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(id);
        return ReadAsync(tx => ReadTransfer(tx, id), cancellationToken);
    }

    public Task<IReadOnlyList<TransferRecord>> ListTransfersAsync(string? account, TransferState? state, int limit, CancellationToken cancellationToken = default)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(limit, 1);
        var sql = $"SELECT {TransferColumns} FROM transfers WHERE 1 = 1";
        if (account is not null)
        {
            sql += " AND account = @account";
        }

        if (state is not null)
        {
            sql += " AND state = @state";
        }

        return ReadAsync<IReadOnlyList<TransferRecord>>(
            tx => ReadTransfers(
                tx,
                sql + " ORDER BY requested_on DESC, id DESC LIMIT @take",
                ("@account", account),
                ("@state", state is { } value ? (int)value : null),
                ("@take", (long)Math.Min(limit, Limits.AccessRequestsPageMax))),
            cancellationToken);
    }

    public Task<IReadOnlyList<TransferRecord>> ListTransfersPendingBeforeAsync(DateTimeOffset now, int limit, CancellationToken cancellationToken = default)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(limit, 1);
        // "state IN (0, 1)" as the partial index of open transfers is written, so it serves the query.
        return ReadAsync<IReadOnlyList<TransferRecord>>(
            tx => ReadTransfers(
                tx,
                $"SELECT {TransferColumns} FROM transfers WHERE state IN (0, 1) AND state = 0 AND pending_expires_on <= @now ORDER BY id LIMIT @take",
                ("@now", ToTicks(now)),
                ("@take", (long)limit)),
            cancellationToken);
    }

    public Task<TransferRecord?> ReplaceTransferAsync(TransferRecord expected, TransferRecord updated, AuditAppend? audit = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(expected);
        ValidateTransfer(updated);
        if (!string.Equals(expected.Id, updated.Id, StringComparison.Ordinal))
        {
            throw new ArgumentException("A transfer is replaced by a record with its own id.", nameof(updated));
        }

        return WriteAsync(
            tx =>
            {
                var current = ReadTransfer(tx, expected.Id) ?? throw new StorageException(ErrorCode.TransferNotFound);

                // What concurrent transitions change: the state, each approval, the progress.
                if (current.State != expected.State
                    || !string.Equals(current.TenantApprover, expected.TenantApprover, StringComparison.Ordinal)
                    || !string.Equals(current.SecurityApprover, expected.SecurityApprover, StringComparison.Ordinal)
                    || current.ObjectsCopied != expected.ObjectsCopied
                    || current.BytesCopied != expected.BytesCopied)
                {
                    return null;
                }

                var columns = TransferColumns.Split(", ").Skip(1).Select(column => $"{column} = @{column}");
                tx.Execute($"UPDATE transfers SET {string.Join(", ", columns)} WHERE id = @id", TransferParameters(updated));
                return ReadTransfer(tx, updated.Id);
            },
            audit,
            cancellationToken);
    }

    private static void ValidateTransfer(TransferRecord transfer)
    {
        ArgumentNullException.ThrowIfNull(transfer);
        ArgumentException.ThrowIfNullOrEmpty(transfer.Id);
        ArgumentException.ThrowIfNullOrEmpty(transfer.Account);
        ArgumentException.ThrowIfNullOrEmpty(transfer.Container);
        ArgumentException.ThrowIfNullOrEmpty(transfer.DestinationSiteId);
        ArgumentException.ThrowIfNullOrEmpty(transfer.Requester);
        if (!Enum.IsDefined(transfer.State) || !Enum.IsDefined(transfer.LegalBasis))
        {
            throw new ArgumentException($"Transfer {transfer.Id}: unknown state or legal basis.", nameof(transfer));
        }
    }

    private static (string Name, object? Value)[] TransferParameters(TransferRecord transfer) =>
    [
        ("@id", transfer.Id),
        ("@account", transfer.Account),
        ("@container", transfer.Container),
        ("@prefix", transfer.Prefix),
        ("@destination_site", transfer.DestinationSiteId),
        ("@legal_basis", (int)transfer.LegalBasis),
        ("@legal_reference", transfer.LegalReference),
        ("@purpose", transfer.Purpose),
        ("@requester", transfer.Requester),
        ("@state", (int)transfer.State),
        ("@requested_on", ToTicks(transfer.RequestedOn)),
        ("@pending_expires_on", ToTicks(transfer.PendingExpiresOn)),
        ("@tenant_approver", transfer.TenantApprover),
        ("@tenant_approved_on", OptionalTicks(transfer.TenantApprovedOn)),
        ("@security_approver", transfer.SecurityApprover),
        ("@security_approved_on", OptionalTicks(transfer.SecurityApprovedOn)),
        ("@decided_by", transfer.DecidedBy),
        ("@decided_on", OptionalTicks(transfer.DecidedOn)),
        ("@completed_on", OptionalTicks(transfer.CompletedOn)),
        ("@objects_copied", transfer.ObjectsCopied),
        ("@bytes_copied", transfer.BytesCopied),
    ];

    private static object? OptionalTicks(DateTimeOffset? value) => value is { } time ? ToTicks(time) : null;

    private static DateTimeOffset? OptionalTime(DbDataReader reader, int ordinal) =>
        reader.IsDBNull(ordinal) ? null : FromTicks(reader.GetInt64(ordinal));

    private static TransferRecord? ReadTransfer(Transaction tx, string id) =>
        ReadTransfers(tx, $"SELECT {TransferColumns} FROM transfers WHERE id = @id", ("@id", id)) is [var transfer] ? transfer : null;

    private static List<TransferRecord> ReadTransfers(Transaction tx, string sql, params ReadOnlySpan<(string Name, object? Value)> parameters)
    {
        var transfers = new List<TransferRecord>();
        using var reader = tx.Query(sql, parameters);
        while (reader.Read())
        {
            var state = (TransferState)reader.GetInt64(9);
            var basis = (TransferLegalBasis)reader.GetInt64(5);
            Invariant.True(Enum.IsDefined(state) && Enum.IsDefined(basis), $"transfer {reader.GetString(0)}: its state and legal basis are ones this build knows");
            transfers.Add(new TransferRecord(
                reader.GetString(0),
                reader.GetString(1),
                reader.GetString(2),
                NullableString(reader, 3),
                reader.GetString(4),
                basis,
                reader.GetString(6),
                reader.GetString(7),
                reader.GetString(8),
                state,
                FromTicks(reader.GetInt64(10)),
                FromTicks(reader.GetInt64(11)),
                NullableString(reader, 12),
                OptionalTime(reader, 13),
                NullableString(reader, 14),
                OptionalTime(reader, 15),
                NullableString(reader, 16),
                OptionalTime(reader, 17),
                OptionalTime(reader, 18),
                reader.GetInt64(19),
                reader.GetInt64(20)));
        }

        return transfers;
    }
}
