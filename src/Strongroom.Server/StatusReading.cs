using Strongroom.Core;
using Strongroom.Storage;

namespace Strongroom.Server;

/// <summary>
/// What <c>strongroom status</c> reads from a deployment besides the seal and the servers: the
/// operations snapshot (<see cref="Deployment.ReadOperationsSnapshotAsync"/>, the one source
/// /metrics and the console read too), the accounts (for their count by state) and the readiness
/// check of every enabled account's write quorum (<see cref="ServerHealth.CheckSites"/>, what
/// <c>/readyz</c> answers). No key needed: it works sealed and offline.
/// </summary>
public sealed record StatusReading(OperationsSnapshot Operations, IReadOnlyList<AccountRecord> Accounts, HealthCheck WriteQuorums)
{
    public static async Task<StatusReading> ReadAsync(Deployment deployment, DeploymentStatusReport? instances, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(deployment);
        OperationsSnapshot operations;
        try
        {
            operations = await deployment.ReadOperationsSnapshotAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (NotImplementedException)
        {
            // TODO(issue 10): remove with TemporaryReadAsync once lane metrics' ReadOperationsSnapshotAsync is implemented.
            operations = await TemporaryReadAsync(deployment, instances, cancellationToken).ConfigureAwait(false);
        }

        var accounts = await deployment.Store.ListAccountsAsync(cancellationToken).ConfigureAwait(false);
        return new StatusReading(operations, accounts, ServerHealth.Of(deployment).CheckSites(accounts));
    }

    // ---- TEMPORARY (issue 10, lane ops): straight from the store until lane metrics implements
    // Deployment.ReadOperationsSnapshotAsync (it throws NotImplementedException on its first
    // commit). Per-account owed-copy counts are not available here: an account with an owed copy
    // counts 1. Delete this block, and the catch above, when the snapshot is live. ----
    private static async Task<OperationsSnapshot> TemporaryReadAsync(Deployment deployment, DeploymentStatusReport? instances, CancellationToken cancellationToken)
    {
        var now = deployment.Time.GetUtcNow();
        var placement = (IPlacementStore)deployment.Store;
        var backlog = await placement.GetPlacementBacklogAsync(cancellationToken).ConfigureAwait(false);
        var bySite = backlog.Sites.ToDictionary(site => site.SiteId, StringComparer.Ordinal);
        var sites = deployment.Sites.Sites.Select(site => new SiteHealth(
            site.Id, site.Region, site.Zone, site.Jurisdiction, site.Backend, site.State, deployment.Sites.IsUp(site.Id), null,
            bySite.GetValueOrDefault(site.Id)?.Pending ?? 0, bySite.GetValueOrDefault(site.Id)?.Bad ?? 0, 0)).ToList();
        var siteIds = deployment.Sites.Sites.Select(site => site.Id).ToList();
        var replication = new List<AccountReplication>();
        foreach (var account in (await deployment.Store.ListAccountsAsync(cancellationToken).ConfigureAwait(false)).OrderBy(account => account.Name, StringComparer.Ordinal))
        {
            var oldest = await placement.GetOldestPendingCopyAsync(account.Name, siteIds, cancellationToken).ConfigureAwait(false);
            replication.Add(new AccountReplication(account.Name, oldest is null ? 0 : 1, oldest, oldest is { } on ? now - on : TimeSpan.Zero, oldest ?? now));
        }

        var lockbox = await ((ILockboxStore)deployment.Store).ListLockboxRequestsAsync(null, null, LockboxState.Requested, 1_000, cancellationToken).ConfigureAwait(false);
        var transfers = await ((ITransferStore)deployment.Store).ListTransfersAsync(null, TransferState.Requested, 1_000, cancellationToken).ConfigureAwait(false);
        var known = instances?.Instances ?? [];
        var live = known.Count(instance => instance.IsAliveAt(now));
        var stopped = known.Count(instance => instance.StoppedOn is not null);
        return new OperationsSnapshot(
            now,
            StrongroomServer.ServerVersion,
            deployment.Vault.IsSealed,
            sites,
            replication,
            new RepairBacklog(backlog.PendingCopies, backlog.BadCopies, backlog.Tombstones),
            lockbox.Count,
            transfers.Count,
            new InstanceCounts(live, known.Count - live - stopped, stopped));
    }

    // ---- end of TEMPORARY ----
}
