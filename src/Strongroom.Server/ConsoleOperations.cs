using Strongroom.WebConsole;

namespace Strongroom.Server;

/// <summary>
/// The web console's operations read: the deployment's one <see cref="OperationsSnapshot"/> (the
/// same read <c>/metrics</c> and <c>strongroom status</c> use), mapped into the console's view
/// records, so no number is computed twice.
/// </summary>
internal static class ConsoleOperations
{
    public static async Task<OperationsView> ReadAsync(Deployment deployment, CancellationToken cancellationToken) =>
        Map(await deployment.ReadOperationsSnapshotAsync(cancellationToken).ConfigureAwait(false));

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
