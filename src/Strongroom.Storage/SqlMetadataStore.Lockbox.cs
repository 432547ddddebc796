using System.Data.Common;
using Strongroom.Core;

namespace Strongroom.Storage;

/// <summary>Lockbox requests and grants (migration 8). See <see cref="ILockboxStore"/>.</summary>
public sealed partial class SqlMetadataStore : ILockboxStore
{
    private const string LockboxColumns =
        "id, account, container, prefix, access, duration_seconds, justification, requester, state, requested_on, pending_expires_on, " +
        "tenant_approver, tenant_approved_on, security_approver, security_approved_on, decided_by, decided_on, activated_on, ends_on, ended_by, ended_on";

    private const string LockboxValues =
        "@id, @account, @container, @prefix, @access, @duration_seconds, @justification, @requester, @state, @requested_on, @pending_expires_on, " +
        "@tenant_approver, @tenant_approved_on, @security_approver, @security_approved_on, @decided_by, @decided_on, @activated_on, @ends_on, @ended_by, @ended_on";

    public Task InsertLockboxRequestAsync(LockboxRequestRecord request, AuditAppend audit, CancellationToken cancellationToken = default)
    {
        ValidateLockboxRequest(request);
        ValidateAuditAppend(audit);
        return WriteAsync(
            tx =>
            {
                if (tx.Scalar("SELECT 1 FROM lockbox_requests WHERE id = @id", ("@id", request.Id)) is not null)
                {
                    throw new StorageException(ErrorCode.InvalidAccessState, "A lockbox request with this id exists already.");
                }

                tx.Execute($"INSERT INTO lockbox_requests ({LockboxColumns}) VALUES ({LockboxValues})", LockboxParameters(request));
                AppendAuditEntry(tx, audit);
                return true;
            },
            cancellationToken);
    }

    public Task<LockboxRequestRecord?> GetLockboxRequestAsync(string id, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(id);
        return ReadAsync(
            tx =>
            {
                using var reader = tx.Query($"SELECT {LockboxColumns} FROM lockbox_requests WHERE id = @id", ("@id", id));
                return reader.Read() ? ReadLockboxRow(reader) : null;
            },
            cancellationToken);
    }

    public Task<IReadOnlyList<LockboxRequestRecord>> ListLockboxRequestsAsync(string? account, string? requester, LockboxState? state, int limit, CancellationToken cancellationToken = default)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(limit);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(limit, Limits.AccessRequestsPageMax);
        return ReadAsync<IReadOnlyList<LockboxRequestRecord>>(
            tx =>
            {
                var requests = new List<LockboxRequestRecord>();
                using var reader = tx.Query(
                    $"SELECT {LockboxColumns} FROM lockbox_requests " +
                    "WHERE (CAST(@account AS TEXT) IS NULL OR account = @account) AND (CAST(@requester AS TEXT) IS NULL OR requester = @requester) AND (CAST(@state AS INTEGER) IS NULL OR state = @state) " +
                    "ORDER BY requested_on DESC, id LIMIT @limit",
                    ("@account", account),
                    ("@requester", requester),
                    ("@state", state is { } s ? (int)s : null),
                    ("@limit", limit));
                while (reader.Read())
                {
                    requests.Add(ReadLockboxRow(reader));
                }

                return requests;
            },
            cancellationToken);
    }

    public Task<bool> ChangeLockboxRequestAsync(LockboxRequestRecord expected, LockboxRequestRecord updated, AuditAppend audit, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(expected);
        ValidateLockboxRequest(updated);
        ValidateAuditAppend(audit);
        if (!string.Equals(expected.Id, updated.Id, StringComparison.Ordinal))
        {
            throw new ArgumentException("A change keeps the request's id.", nameof(updated));
        }

        return WriteAsync(
            tx =>
            {
                // The swap: only while the row is as read (state and approvals), and never the fixed fields.
                var changed = tx.Execute(
                    "UPDATE lockbox_requests SET state = @state, tenant_approver = @tenant_approver, tenant_approved_on = @tenant_approved_on, " +
                    "security_approver = @security_approver, security_approved_on = @security_approved_on, decided_by = @decided_by, decided_on = @decided_on, " +
                    "activated_on = @activated_on, ends_on = @ends_on, ended_by = @ended_by, ended_on = @ended_on " +
                    "WHERE id = @id AND state = @expected_state AND tenant_approver IS NOT DISTINCT FROM @expected_tenant_approver AND security_approver IS NOT DISTINCT FROM @expected_security_approver",
                    [
                        .. LockboxParameters(updated),
                        ("@expected_state", (int)expected.State),
                        ("@expected_tenant_approver", expected.TenantApprover),
                        ("@expected_security_approver", expected.SecurityApprover),
                    ]);
                if (changed == 0)
                {
                    return false;
                }

                AppendAuditEntry(tx, audit);
                return true;
            },
            cancellationToken);
    }

    public Task<IReadOnlyList<LockboxRequestRecord>> ListDueLockboxRequestsAsync(DateTimeOffset now, int limit, CancellationToken cancellationToken = default)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(limit);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(limit, Limits.AccessRequestsPageMax);
        return ReadAsync<IReadOnlyList<LockboxRequestRecord>>(
            tx =>
            {
                var due = new List<LockboxRequestRecord>();
                using var reader = tx.Query(
                    $"SELECT {LockboxColumns} FROM lockbox_requests WHERE state IN (0, 1, 4) " +
                    "AND ((state IN (0, 1) AND pending_expires_on <= @now) OR (state = 4 AND ends_on <= @now)) ORDER BY id LIMIT @limit",
                    ("@now", ToTicks(now)),
                    ("@limit", limit));
                while (reader.Read())
                {
                    due.Add(ReadLockboxRow(reader));
                }

                return due;
            },
            cancellationToken);
    }

    private static void ValidateLockboxRequest(LockboxRequestRecord request)
    {
        ArgumentNullException.ThrowIfNull(request);
        ArgumentException.ThrowIfNullOrEmpty(request.Id);
        ArgumentException.ThrowIfNullOrEmpty(request.Account);
        ArgumentException.ThrowIfNullOrEmpty(request.Container);
        ArgumentException.ThrowIfNullOrEmpty(request.Requester);
        if (!Enum.IsDefined(request.State) || !Enum.IsDefined(request.Access) || request.Duration <= TimeSpan.Zero)
        {
            throw new ArgumentException($"Lockbox request {request.Id}: unknown state or access, or no duration.", nameof(request));
        }
    }

    private static (string Name, object? Value)[] LockboxParameters(LockboxRequestRecord request) =>
    [
        ("@id", request.Id),
        ("@account", request.Account),
        ("@container", request.Container),
        ("@prefix", request.Prefix),
        ("@access", (int)request.Access),
        ("@duration_seconds", (long)request.Duration.TotalSeconds),
        ("@justification", request.Justification),
        ("@requester", request.Requester),
        ("@state", (int)request.State),
        ("@requested_on", ToTicks(request.RequestedOn)),
        ("@pending_expires_on", ToTicks(request.PendingExpiresOn)),
        ("@tenant_approver", request.TenantApprover),
        ("@tenant_approved_on", LockboxTicks(request.TenantApprovedOn)),
        ("@security_approver", request.SecurityApprover),
        ("@security_approved_on", LockboxTicks(request.SecurityApprovedOn)),
        ("@decided_by", request.DecidedBy),
        ("@decided_on", LockboxTicks(request.DecidedOn)),
        ("@activated_on", LockboxTicks(request.ActivatedOn)),
        ("@ends_on", LockboxTicks(request.EndsOn)),
        ("@ended_by", request.EndedBy),
        ("@ended_on", LockboxTicks(request.EndedOn)),
    ];

    private static LockboxRequestRecord ReadLockboxRow(DbDataReader reader) => new(
        reader.GetString(0),
        reader.GetString(1),
        reader.GetString(2),
        reader.IsDBNull(3) ? null : reader.GetString(3),
        (LockboxAccess)reader.GetInt32(4),
        TimeSpan.FromSeconds(reader.GetInt64(5)),
        reader.GetString(6),
        reader.GetString(7),
        (LockboxState)reader.GetInt32(8),
        FromTicks(reader.GetInt64(9)),
        FromTicks(reader.GetInt64(10)),
        reader.IsDBNull(11) ? null : reader.GetString(11),
        LockboxTime(reader, 12),
        reader.IsDBNull(13) ? null : reader.GetString(13),
        LockboxTime(reader, 14),
        reader.IsDBNull(15) ? null : reader.GetString(15),
        LockboxTime(reader, 16),
        LockboxTime(reader, 17),
        LockboxTime(reader, 18),
        reader.IsDBNull(19) ? null : reader.GetString(19),
        LockboxTime(reader, 20));

    private static object? LockboxTicks(DateTimeOffset? value) => value is { } time ? ToTicks(time) : null;

    private static DateTimeOffset? LockboxTime(DbDataReader reader, int ordinal) => reader.IsDBNull(ordinal) ? null : FromTicks(reader.GetInt64(ordinal));
}
