using Strongroom.Core;

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
    public static async Task<StatusReading> ReadAsync(Deployment deployment, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(deployment);
        var operations = await deployment.ReadOperationsSnapshotAsync(cancellationToken).ConfigureAwait(false);
        var accounts = await deployment.Store.ListAccountsAsync(cancellationToken).ConfigureAwait(false);
        return new StatusReading(operations, accounts, ServerHealth.Of(deployment).CheckSites(accounts));
    }
}
