using Strongroom.Core;

namespace Strongroom.Storage;

/// <summary>An account's copies on one site in one state, made under a transfer or not (the compliance report's residency scan).</summary>
public sealed record AccountCopyCount(string Account, string SiteId, CopyState State, string? TransferId, long Count);

/// <summary>An account's objects: how many, how many lack a wrapped data key, how many have fewer than two copies (Present or Pending) outside transfers.</summary>
public sealed record AccountObjectCounts(string Account, long Objects, long WithoutWrappedKey, long WithOneCopy);

/// <summary>
/// Whole-store scans for the compliance report (issue 10): one read snapshot each, grouped in SQL so
/// the answer is bounded by accounts × sites, never by objects.
/// </summary>
public interface IComplianceScanStore
{
    Task<IReadOnlyList<AccountCopyCount>> CountCopiesAsync(CancellationToken cancellationToken = default);

    Task<IReadOnlyList<AccountObjectCounts>> CountObjectsAsync(CancellationToken cancellationToken = default);
}

public sealed partial class SqlMetadataStore : IComplianceScanStore
{
    public Task<IReadOnlyList<AccountCopyCount>> CountCopiesAsync(CancellationToken cancellationToken = default) =>
        ReadAsync<IReadOnlyList<AccountCopyCount>>(
            tx =>
            {
                var counts = new List<AccountCopyCount>();
                using var reader = tx.Query(
                    "SELECT o.account, c.site_id, c.state, c.transfer_id, COUNT(*) FROM objects o JOIN object_copies c ON c.object_id = o.object_id " +
                    "WHERE o.account IS NOT NULL GROUP BY o.account, c.site_id, c.state, c.transfer_id ORDER BY o.account, c.site_id, c.state");
                while (reader.Read())
                {
                    counts.Add(new AccountCopyCount(
                        reader.GetString(0),
                        reader.GetString(1),
                        ReadCopyState(reader.GetInt64(2)),
                        reader.IsDBNull(3) ? null : reader.GetString(3),
                        reader.GetInt64(4)));
                }

                return counts;
            },
            cancellationToken);

    public Task<IReadOnlyList<AccountObjectCounts>> CountObjectsAsync(CancellationToken cancellationToken = default) =>
        ReadAsync<IReadOnlyList<AccountObjectCounts>>(
            tx =>
            {
                var counts = new List<AccountObjectCounts>();
                using var reader = tx.Query(
                    "SELECT t.account, COUNT(*), SUM(CASE WHEN t.key_bytes = 0 THEN 1 ELSE 0 END), SUM(CASE WHEN t.copies < 2 THEN 1 ELSE 0 END) FROM (" +
                    "SELECT o.account AS account, LENGTH(o.wrapped_key) AS key_bytes, " +
                    "(SELECT COUNT(*) FROM object_copies c WHERE c.object_id = o.object_id AND c.state IN (0, 1) AND c.transfer_id IS NULL) AS copies " +
                    "FROM objects o WHERE o.account IS NOT NULL) t GROUP BY t.account ORDER BY t.account");
                while (reader.Read())
                {
                    counts.Add(new AccountObjectCounts(reader.GetString(0), reader.GetInt64(1), reader.GetInt64(2), reader.GetInt64(3)));
                }

                return counts;
            },
            cancellationToken);
}
