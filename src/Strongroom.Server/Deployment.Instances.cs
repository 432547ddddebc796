using Strongroom.Protocol.Management;
using Strongroom.Storage;

namespace Strongroom.Server;

// The servers that share this deployment's metadata store and their background-job leases (issue 9).
public sealed partial class Deployment
{
    /// <summary>The deployment's instances and job leases as of <paramref name="time"/>'s now, marking this process's server.</summary>
    public Task<DeploymentStatusView> ReadDeploymentStatusAsync(TimeProvider time, CancellationToken cancellationToken = default) =>
        ReadDeploymentStatusAsync((IDeploymentStore)Store, InstanceId, time, cancellationToken);

    /// <summary>
    /// The same, read from the metadata store <paramref name="directory"/> names when no server runs
    /// on it in this process (<c>strongroom status</c> with no local server): the embedded SQLite
    /// file when it exists, or the shared database of <see cref="DataDirectory.MetadataConnectionString"/>.
    /// Null when there is no store to read.
    /// </summary>
    public static async Task<DeploymentStatusView?> ReadDeploymentStatusAsync(DataDirectory directory, TimeProvider time, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(directory);
        if (directory.MetadataConnectionString is null && !directory.Exists)
        {
            return null;
        }

        await using var store = directory.MetadataConnectionString is { } shared
            ? await SqlMetadataStore.OpenPostgresAsync(shared, cancellationToken).ConfigureAwait(false)
            : await SqlMetadataStore.OpenSqliteAsync(directory.MetadataDatabasePath, cancellationToken).ConfigureAwait(false);
        return await ReadDeploymentStatusAsync(store, instanceId: null, time, cancellationToken).ConfigureAwait(false);
    }

    private static async Task<DeploymentStatusView> ReadDeploymentStatusAsync(IDeploymentStore store, string? instanceId, TimeProvider time, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(time);
        var instances = await store.ListInstancesAsync(cancellationToken).ConfigureAwait(false);
        var leases = await store.ListJobLeasesAsync(cancellationToken).ConfigureAwait(false);
        return new DeploymentStatusView(instanceId, instances, leases, time.GetUtcNow());
    }
}
