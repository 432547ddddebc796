using Strongroom.Core;
using Strongroom.Storage;

namespace Strongroom.Server;

// The operations snapshot (issue 10): one read of the state that /metrics, the console and status show.
public sealed partial class Deployment
{
    /// <summary>
    /// Reads the <see cref="OperationsSnapshot"/> now: one read snapshot of the store
    /// (<see cref="IOperationsStore"/>: partial indexes and small tables only), the instances, and
    /// this process's view of the sites. No key is needed, so it answers while sealed.
    /// </summary>
    public async Task<OperationsSnapshot> ReadOperationsSnapshotAsync(CancellationToken cancellationToken = default)
    {
        var counts = await ((IOperationsStore)Store).ReadOperationsCountsAsync(cancellationToken).ConfigureAwait(false);
        var instances = await ((IDeploymentStore)Store).ListInstancesAsync(cancellationToken).ConfigureAwait(false);
        var now = Time.GetUtcNow();

        var owed = counts.Sites.ToDictionary(site => site.SiteId, StringComparer.Ordinal);
        var sites = Sites.All.Select(site =>
        {
            var descriptor = site.Descriptor;
            var backlog = owed.GetValueOrDefault(descriptor.Id) ?? new SiteBacklogCounts(descriptor.Id, 0, 0, 0);
            return new SiteHealth(
                descriptor.Id,
                descriptor.Region,
                descriptor.Zone,
                descriptor.Jurisdiction,
                descriptor.Backend,
                descriptor.State,
                Sites.IsUp(descriptor.Id),
                FreeBytesOf(site.Backend),
                backlog.Pending,
                backlog.Bad,
                backlog.Tombstones);
        }).ToList();

        var replication = counts.Accounts.Select(account =>
        {
            // An owed copy whose write time is unknown (before migration 7) or in this clock's
            // future counts as owed since now: no lag is invented.
            var oldest = account.PendingCopies > 0 ? account.OldestPendingOn is { } on && on < now ? on : now : (DateTimeOffset?)null;
            return new AccountReplication(account.Account, account.PendingCopies, oldest, oldest is { } since ? now - since : TimeSpan.Zero, oldest ?? now);
        }).ToList();

        var repair = new RepairBacklog(counts.Sites.Sum(site => site.Pending), counts.Sites.Sum(site => site.Bad), counts.Sites.Sum(site => site.Tombstones));
        var stopped = instances.Count(instance => instance.StoppedOn is not null);
        var live = instances.Count(instance => instance.IsAliveAt(now));
        return new OperationsSnapshot(
            now,
            StrongroomServer.ServerVersion,
            Vault.IsSealed,
            sites,
            replication,
            repair,
            counts.LockboxRequested,
            counts.TransfersRequested,
            new InstanceCounts(live, instances.Count - live - stopped, stopped));
    }

    /// <summary>The available bytes of a directory site's file system; null for a site that cannot tell (remote) or cannot be read now.</summary>
    private static long? FreeBytesOf(ISite backend)
    {
        if (backend is not LocalDirectorySite local)
        {
            return null;
        }

        try
        {
            return new DriveInfo(local.RootDirectory).AvailableFreeSpace;
        }
        catch (Exception exception) when (exception is IOException or UnauthorizedAccessException or ArgumentException)
        {
            return null;
        }
    }
}
