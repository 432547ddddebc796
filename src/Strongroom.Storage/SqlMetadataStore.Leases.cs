using System.Data.Common;
using Strongroom.Core;

namespace Strongroom.Storage;

/// <summary>
/// Leases (issue 8, <see cref="ILeaseStore"/>): <c>blob_leases</c> and <c>container_leases</c>, one
/// row per lease, removed with their blob or container by the foreign key's cascade. Every record
/// read through <c>ReadBlob</c>, <c>ReadContainer</c> and the listings carries its lease, so every
/// write's precondition decides on the lease as of its own transaction.
/// </summary>
public sealed partial class SqlMetadataStore : ILeaseStore
{
    private const string LeaseColumns = "lease_id, duration_seconds, expires_on, broken_on";

    public Task<BlobRecord> LeaseBlobAsync(string account, string container, string blob, Func<BlobRecord, StoredLease?> apply, AuditAppend? audit = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(apply);
        return WriteAsync(
            tx =>
            {
                if (ReadContainer(tx, account, container) is null)
                {
                    throw new StorageException(ErrorCode.ContainerNotFound);
                }

                var current = ReadBlob(tx, account, container, blob) ?? throw new StorageException(ErrorCode.BlobNotFound);
                var lease = apply(current);
                (string, object?)[] key = [("@account", account), ("@container", container), ("@blob", blob)];
                if (lease is null)
                {
                    tx.Execute("DELETE FROM blob_leases WHERE account = @account AND container = @container AND blob = @blob", key);
                }
                else
                {
                    tx.Execute(
                        $"INSERT INTO blob_leases (account, container, blob, {LeaseColumns}) VALUES (@account, @container, @blob, @lease_id, @duration, @expires_on, @broken_on) " +
                        "ON CONFLICT (account, container, blob) DO UPDATE SET lease_id = excluded.lease_id, duration_seconds = excluded.duration_seconds, expires_on = excluded.expires_on, broken_on = excluded.broken_on",
                        [.. key, .. LeaseParameters(lease)]);
                }

                return current with { Lease = lease };
            },
            audit,
            cancellationToken);
    }

    public Task<ContainerRecord> LeaseContainerAsync(string account, string container, Func<ContainerRecord, StoredLease?> apply, AuditAppend? audit = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(apply);
        return WriteAsync(
            tx =>
            {
                var current = ReadContainer(tx, account, container) ?? throw new StorageException(ErrorCode.ContainerNotFound);
                var lease = apply(current);
                (string, object?)[] key = [("@account", account), ("@container", container)];
                if (lease is null)
                {
                    tx.Execute("DELETE FROM container_leases WHERE account = @account AND container = @container", key);
                }
                else
                {
                    tx.Execute(
                        $"INSERT INTO container_leases (account, container, {LeaseColumns}) VALUES (@account, @container, @lease_id, @duration, @expires_on, @broken_on) " +
                        "ON CONFLICT (account, container) DO UPDATE SET lease_id = excluded.lease_id, duration_seconds = excluded.duration_seconds, expires_on = excluded.expires_on, broken_on = excluded.broken_on",
                        [.. key, .. LeaseParameters(lease)]);
                }

                return current with { Lease = lease };
            },
            audit,
            cancellationToken);
    }

    private static (string, object?)[] LeaseParameters(StoredLease lease) =>
    [
        ("@lease_id", lease.LeaseId),
        ("@duration", lease.DurationSeconds),
        ("@expires_on", lease.ExpiresOn is { } expires ? ToTicks(expires) : null),
        ("@broken_on", lease.BrokenOn is { } broken ? ToTicks(broken) : null),
    ];

    private static BlobRecord WithLease(Transaction tx, BlobRecord blob)
    {
        using var reader = tx.Query(
            $"SELECT {LeaseColumns} FROM blob_leases WHERE account = @account AND container = @container AND blob = @blob",
            ("@account", blob.Account),
            ("@container", blob.Container),
            ("@blob", blob.Name));
        return reader.Read() ? blob with { Lease = ReadLeaseRow(reader, 0) } : blob;
    }

    private static ContainerRecord WithLease(Transaction tx, ContainerRecord container)
    {
        using var reader = tx.Query(
            $"SELECT {LeaseColumns} FROM container_leases WHERE account = @account AND container = @container",
            ("@account", container.Account),
            ("@container", container.Name));
        return reader.Read() ? container with { Lease = ReadLeaseRow(reader, 0) } : container;
    }

    /// <summary>Attaches leases to a page of current blobs of one container in name order: one range query, since leases are few.</summary>
    private static List<BlobRecord> WithLeases(Transaction tx, List<BlobRecord> blobs)
    {
        var leases = ReadLeaseRange(tx, blobs.Select(blob => blob.Name).ToList(), blobs.Count == 0 ? null : blobs[0]);
        if (leases.Count == 0)
        {
            return blobs;
        }

        for (var i = 0; i < blobs.Count; i++)
        {
            if (leases.TryGetValue(blobs[i].Name, out var lease))
            {
                blobs[i] = blobs[i] with { Lease = lease };
            }
        }

        return blobs;
    }

    /// <summary>As above for listing entries: only the current blob of a name has a lease, never an instance.</summary>
    private static List<BlobEntry> WithLeases(Transaction tx, List<BlobEntry> entries)
    {
        var current = entries.Where(entry => entry.Instance is null).Select(entry => entry.Blob.Name).ToList();
        var leases = ReadLeaseRange(tx, current, entries.Count == 0 ? null : entries[0].Blob);
        if (leases.Count == 0)
        {
            return entries;
        }

        for (var i = 0; i < entries.Count; i++)
        {
            if (entries[i].Instance is null && leases.TryGetValue(entries[i].Blob.Name, out var lease))
            {
                entries[i] = entries[i] with { Blob = entries[i].Blob with { Lease = lease } };
            }
        }

        return entries;
    }

    private static Dictionary<string, StoredLease> ReadLeaseRange(Transaction tx, List<string> names, BlobRecord? first)
    {
        var leases = new Dictionary<string, StoredLease>(StringComparer.Ordinal);
        if (first is null || names.Count == 0)
        {
            return leases;
        }

        // Names are in the store's (binary) order, so the page is one contiguous key range.
        using var reader = tx.Query(
            $"SELECT blob, {LeaseColumns} FROM blob_leases WHERE account = @account AND container = @container AND blob >= @first AND blob <= @last",
            ("@account", first.Account),
            ("@container", first.Container),
            ("@first", names[0]),
            ("@last", names[^1]));
        while (reader.Read())
        {
            leases[reader.GetString(0)] = ReadLeaseRow(reader, 1);
        }

        return leases;
    }

    private static StoredLease ReadLeaseRow(System.Data.Common.DbDataReader reader, int first) => new(
        reader.GetString(first),
        reader.GetInt32(first + 1),
        reader.IsDBNull(first + 2) ? null : FromTicks(reader.GetInt64(first + 2)),
        reader.IsDBNull(first + 3) ? null : FromTicks(reader.GetInt64(first + 3)));
}
