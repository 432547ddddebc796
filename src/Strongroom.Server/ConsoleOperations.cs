using Strongroom.WebConsole;

namespace Strongroom.Server;

/// <summary>
/// The web console's operations read: the deployment's one <see cref="OperationsSnapshot"/> (the
/// same read <c>/metrics</c> and <c>strongroom status</c> use), mapped into the console's view
/// records, so no number is computed twice.
/// </summary>
internal static class ConsoleOperations
{
    public static async Task<OperationsView> ReadAsync(Deployment deployment, TimeProvider time, CancellationToken cancellationToken)
    {
        OperationsSnapshot snapshot;
        try
        {
            snapshot = await deployment.ReadOperationsSnapshotAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (NotImplementedException)
        {
            // STUB until lane metrics implements the snapshot: this process's view of the sites
            // and the accounts, with nothing owed. Removed when ReadOperationsSnapshotAsync lands.
            var accounts = await deployment.Store.ListAccountsAsync(cancellationToken).ConfigureAwait(false);
            var now = time.GetUtcNow();
            snapshot = new OperationsSnapshot(
                now,
                string.Empty,
                deployment.Vault.IsSealed,
                [.. deployment.Sites.Sites.Select(site => new SiteHealth(site.Id, site.Region, site.Zone, site.Jurisdiction, site.Backend, site.State, deployment.Sites.IsUp(site.Id), null, 0, 0, 0))],
                [.. accounts.OrderBy(account => account.Name, StringComparer.Ordinal).Select(account => new AccountReplication(account.Name, 0, null, TimeSpan.Zero, now))],
                new RepairBacklog(0, 0, 0),
                0,
                0,
                new InstanceCounts(1, 0, 0));
        }

        return Map(snapshot);
    }

    public static OperationsView Map(OperationsSnapshot snapshot) => new(
        snapshot.TakenOn,
        snapshot.IsSealed,
        [.. snapshot.Sites.Select(site => new SiteView(site.Id, site.Region, site.Zone, site.Jurisdiction, site.Backend, site.State, site.IsUp, site.FreeBytes, site.PendingCopies, site.BadCopies, site.Tombstones))],
        [.. snapshot.Replication.Select(account => new AccountBacklogView(account.Account, account.PendingCopies, account.Lag, account.LastSyncOn))],
        new RepairView(snapshot.Repair.Pending, snapshot.Repair.Bad, snapshot.Repair.Tombstones),
        snapshot.LockboxPendingRequests,
        snapshot.TransferPendingRequests,
        snapshot.Instances.Live,
        snapshot.Instances.Stale,
        snapshot.Instances.Stopped);
}
