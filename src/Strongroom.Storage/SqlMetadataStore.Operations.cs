using Strongroom.Core;

namespace Strongroom.Storage;

/// <summary>The operations counts (issue 10, <see cref="IOperationsStore"/>): one read snapshot, one query per fact.</summary>
public sealed partial class SqlMetadataStore : IOperationsStore
{
    public Task<OperationsCounts> ReadOperationsCountsAsync(CancellationToken cancellationToken = default) =>
        ReadAsync(
            tx =>
            {
                var sites = new SortedDictionary<string, SiteBacklogCounts>(StringComparer.Ordinal);
                SiteBacklogCounts SiteOf(string siteId) => sites.TryGetValue(siteId, out var counts) ? counts : new SiteBacklogCounts(siteId, 0, 0, 0);

                // "state <> 0" selects the partial index of owed copies (object_copies_owed_by_site).
                using (var reader = tx.Query("SELECT site_id, state, COUNT(*) FROM object_copies WHERE state <> 0 GROUP BY site_id, state"))
                {
                    while (reader.Read())
                    {
                        var site = SiteOf(reader.GetString(0));
                        var count = reader.GetInt64(2);
                        sites[site.SiteId] = ReadCopyState(reader.GetInt64(1)) switch
                        {
                            CopyState.Pending => site with { Pending = site.Pending + count },
                            CopyState.Bad => site with { Bad = site.Bad + count },
                            _ => site,
                        };
                    }
                }

                using (var reader = tx.Query("SELECT site_id, COUNT(*) FROM site_tombstones GROUP BY site_id"))
                {
                    while (reader.Read())
                    {
                        var site = SiteOf(reader.GetString(0));
                        sites[site.SiteId] = site with { Tombstones = reader.GetInt64(1) };
                    }
                }

                // From the owed copies to their objects, as GetOldestPendingCopyAsync (CROSS JOIN keeps
                // SQLite's planner on the small side). A created_on of 0 predates migration 7's column.
                var owed = new Dictionary<string, (long Count, long? Oldest)>(StringComparer.Ordinal);
                using (var reader = tx.Query(
                    "SELECT o.account, COUNT(*), MIN(CASE WHEN o.created_on > 0 THEN o.created_on END) FROM object_copies c CROSS JOIN objects o " +
                    "WHERE o.object_id = c.object_id AND c.state <> 0 AND c.state = 1 AND o.account IS NOT NULL GROUP BY o.account"))
                {
                    while (reader.Read())
                    {
                        owed[reader.GetString(0)] = (reader.GetInt64(1), reader.IsDBNull(2) ? null : reader.GetInt64(2));
                    }
                }

                var accounts = new List<AccountBacklog>();
                using (var reader = tx.Query("SELECT name FROM accounts ORDER BY name"))
                {
                    while (reader.Read())
                    {
                        var name = reader.GetString(0);
                        accounts.Add(owed.TryGetValue(name, out var backlog)
                            ? new AccountBacklog(name, backlog.Count, backlog.Oldest is { } ticks ? FromTicks(ticks) : null)
                            : new AccountBacklog(name, 0, null));
                    }
                }

                // The state tests repeat the partial indexes' conditions so the planners use them.
                var lockbox = (long)tx.Scalar("SELECT COUNT(*) FROM lockbox_requests WHERE state IN (0, 1, 4) AND state = 0")!;
                var transfers = (long)tx.Scalar("SELECT COUNT(*) FROM transfers WHERE state IN (0, 1) AND state = 0")!;
                return new OperationsCounts([.. sites.Values], accounts, lockbox, transfers);
            },
            cancellationToken);
}
