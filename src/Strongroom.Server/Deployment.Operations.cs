namespace Strongroom.Server;

// The operations snapshot (issue 10): one read of the state that /metrics, the console and status show.
public sealed partial class Deployment
{
    /// <summary>
    /// Reads the <see cref="OperationsSnapshot"/> now: a handful of store queries (no key, so it
    /// answers while sealed) and this process's view of the sites.
    /// </summary>
    public Task<OperationsSnapshot> ReadOperationsSnapshotAsync(CancellationToken cancellationToken = default) =>
        throw new NotImplementedException("issue 10, lane metrics: in progress");
}
