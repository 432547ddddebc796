using System.Diagnostics;
using System.Collections.Concurrent;
using Strongroom.Core;
using Strongroom.Storage;

namespace Strongroom.Placement;

/// <summary>
/// The live sites of a deployment: each declared site with its backend, the administrator's
/// durable state (drain, remove) applied over the file's, and its health as this process sees it
/// (a failure marks a site down; <see cref="ProbeDownSitesAsync"/> brings it back: every server
/// probes its own down sites, Strongroom.Server.SiteHealthProber, and so does the repair pass).
/// </summary>
public sealed class SiteSet : IAsyncDisposable
{
    private readonly Dictionary<string, ResidentSite> sites;
    private readonly ConcurrentDictionary<string, DateTimeOffset> down = new(StringComparer.Ordinal);
    private readonly TimeProvider time;
    private readonly SemaphoreSlim refreshLock = new(1, 1);
    private long refreshesStarted;
    private long refreshedThrough;
    private volatile IReadOnlyList<SiteDescriptor> descriptors;

    public SiteSet(Topology topology, IReadOnlyDictionary<string, ISite> backends, TimeProvider time)
    {
        ArgumentNullException.ThrowIfNull(topology);
        ArgumentNullException.ThrowIfNull(backends);
        Topology = topology;
        this.time = time;
        sites = topology.Sites.ToDictionary(
            site => site.Descriptor.Id,
            site => new ResidentSite(site.Descriptor, backends[site.Descriptor.Id]),
            StringComparer.Ordinal);
        descriptors = topology.Sites.Select(site => site.Descriptor).ToList();
    }

    public Topology Topology { get; }

    /// <summary>Every declared site with its current administrative state, in file order.</summary>
    public IReadOnlyList<SiteDescriptor> Sites => descriptors;

    public IEnumerable<ResidentSite> All => descriptors.Select(descriptor => sites[descriptor.Id]);

    /// <summary>The site; SiteNotFound when the topology does not declare it.</summary>
    public ResidentSite Get(string siteId) =>
        sites.TryGetValue(siteId, out var site) ? site : throw new StorageException(ErrorCode.SiteNotFound, $"Site '{siteId}' is not in the topology.");

    public bool TryGet(string siteId, out ResidentSite site) => sites.TryGetValue(siteId, out site!);

    /// <summary>Applies the store's durable states (they override the file's) to every site named.</summary>
    public void ApplyStates(IReadOnlyDictionary<string, SiteState> states)
    {
        ArgumentNullException.ThrowIfNull(states);
        var updated = Topology.Sites
            .Select(site => states.TryGetValue(site.Descriptor.Id, out var state) ? site.Descriptor with { State = state } : site.Descriptor)
            .ToList();
        foreach (var descriptor in updated)
        {
            sites[descriptor.Id].Descriptor = descriptor;
        }

        descriptors = updated;
    }

    /// <summary>
    /// Applies the store's durable states as of this call or later: servers sharing a store each
    /// hold their own site set, so a drain or removal through one (or through the CLI) reaches the
    /// others by this — before every placement of new copies, at the start of a repair pass, before
    /// a state decision, and every <see cref="Limits.SiteStatesRefreshInterval"/> in the background.
    /// Single-flight: concurrent callers share one read, but a caller never settles for a read that
    /// started before it arrived, so a write that starts after a drain committed never places a copy
    /// on the drained site. The read is one snapshot of a table of a few rows.
    /// </summary>
    public async Task RefreshStatesAsync(IPlacementStore store, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(store);
        var needed = Interlocked.Read(ref refreshesStarted) + 1;
        await refreshLock.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            if (refreshedThrough >= needed)
            {
                // A read that started after this call arrived has been applied.
                return;
            }

            var number = Interlocked.Increment(ref refreshesStarted);
            ApplyStates(await store.GetSiteStatesAsync(cancellationToken).ConfigureAwait(false));
            refreshedThrough = number;
        }
        finally
        {
            refreshLock.Release();
        }
    }

    public bool IsUp(string siteId) => !down.ContainsKey(siteId);

    /// <summary>Marks the site down after a failure of the site itself (not a missing object).</summary>
    public void ReportFailure(string siteId, Exception reason)
    {
        ArgumentNullException.ThrowIfNull(reason);
        if (reason is FileNotFoundException)
        {
            return;
        }

        down.TryAdd(siteId, time.GetUtcNow());
    }

    public void ReportSuccess(string siteId) => down.TryRemove(siteId, out _);

    /// <summary>Probes every site marked down; those that answer are up again. Returns the ids that came back.</summary>
    public Task<IReadOnlyList<string>> ProbeDownSitesAsync(CancellationToken cancellationToken = default) =>
        ProbeAsync(down.Keys.ToList(), cancellationToken);

    /// <summary>Probes those of <paramref name="siteIds"/> marked down; those that answer are up again. Returns the ids that came back.</summary>
    public async Task<IReadOnlyList<string>> ProbeAsync(IEnumerable<string> siteIds, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(siteIds);
        var back = new List<string>();
        foreach (var siteId in siteIds)
        {
            if (IsUp(siteId) || !sites.TryGetValue(siteId, out var site))
            {
                continue;
            }

            try
            {
                await site.CheckAsync(cancellationToken).ConfigureAwait(false);
                ReportSuccess(siteId);
                back.Add(siteId);
            }
            catch (IOException)
            {
            }
        }

        return back;
    }

    public async ValueTask DisposeAsync()
    {
        refreshLock.Dispose();
        foreach (var site in sites.Values)
        {
            if (site.Backend is IAsyncDisposable disposable)
            {
                await disposable.DisposeAsync().ConfigureAwait(false);
            }
        }
    }
}

/// <summary>
/// A site that checks residency before it accepts an object.
/// Architecture invariant: no copy is ever written to a site outside the object's residency —
/// placement chooses only allowed sites, and this check refuses anything else as a broken invariant.
/// </summary>
public sealed class ResidentSite(SiteDescriptor descriptor, ISite backend)
{
    public SiteDescriptor Descriptor { get; internal set; } = descriptor;

    public ISite Backend { get; } = backend;

    public string Id => Descriptor.Id;

    public Task<ISiteWrite> BeginWriteAsync(string objectId, PlacementPolicy residency, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(residency);
        Invariant.True(
            residency.Allows(Descriptor.Jurisdiction),
            $"residency: site {Descriptor.Id} is in {Descriptor.Jurisdiction}, outside the object's residency ({string.Join(",", residency.Residency)})");
        Invariant.True(Descriptor.State == SiteState.Active, $"site {Descriptor.Id} takes no new copies while {Descriptor.State}");
        return BeginTimedWriteAsync(objectId, cancellationToken);
    }

    /// <summary>
    /// The one way to write outside a residency: a copy of the object a blob in
    /// <paramref name="authorization"/>'s scope owns, to exactly the site it approved.
    /// TransferNotApproved when the authorization names another site or does not cover the blob; a
    /// site that is not Active takes no copy (a broken invariant, as for every write).
    /// </summary>
    public Task<ISiteWrite> BeginTransferWriteAsync(string objectId, TransferAuthorization authorization, string account, string container, string blob, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(authorization);
        if (!string.Equals(authorization.DestinationSiteId, Descriptor.Id, StringComparison.Ordinal))
        {
            throw new StorageException(ErrorCode.TransferNotApproved, $"Transfer {authorization.TransferId} approves copies to site {authorization.DestinationSiteId}, not {Descriptor.Id}.");
        }

        if (!authorization.Covers(account, container, blob))
        {
            throw new StorageException(ErrorCode.TransferNotApproved, $"Transfer {authorization.TransferId} does not cover that blob.");
        }

        Invariant.True(Descriptor.State == SiteState.Active, $"site {Descriptor.Id} takes no new copies while {Descriptor.State}");
        return BeginTimedWriteAsync(objectId, cancellationToken);
    }

    // Each operation on the backend is timed (strongroom_site_operation_duration_seconds): a read
    // until the object is open, a write from its start to its durable commit.

    public async Task<Stream> OpenReadAsync(string objectId, CancellationToken cancellationToken = default)
    {
        var started = Stopwatch.GetTimestamp();
        var failed = true;
        try
        {
            var stream = await Backend.OpenReadAsync(objectId, cancellationToken).ConfigureAwait(false);
            failed = false;
            return stream;
        }
        finally
        {
            StrongroomMetrics.RecordSiteOperation(Id, StrongroomMetrics.SiteRead, started, failed);
        }
    }

    public async Task DeleteAsync(string objectId, CancellationToken cancellationToken = default)
    {
        var started = Stopwatch.GetTimestamp();
        var failed = true;
        try
        {
            await Backend.DeleteAsync(objectId, cancellationToken).ConfigureAwait(false);
            failed = false;
        }
        finally
        {
            StrongroomMetrics.RecordSiteOperation(Id, StrongroomMetrics.SiteDelete, started, failed);
        }
    }

    /// <summary>Probes the site (reachable and writable); IOException when not.</summary>
    public async Task CheckAsync(CancellationToken cancellationToken = default)
    {
        var started = Stopwatch.GetTimestamp();
        var failed = true;
        try
        {
            await Backend.CheckAsync(cancellationToken).ConfigureAwait(false);
            failed = false;
        }
        finally
        {
            StrongroomMetrics.RecordSiteOperation(Id, StrongroomMetrics.SiteCheck, started, failed);
        }
    }

    private async Task<ISiteWrite> BeginTimedWriteAsync(string objectId, CancellationToken cancellationToken)
    {
        var started = Stopwatch.GetTimestamp();
        try
        {
            return new TimedSiteWrite(Id, await Backend.BeginWriteAsync(objectId, cancellationToken).ConfigureAwait(false), started);
        }
        catch
        {
            StrongroomMetrics.RecordSiteOperation(Id, StrongroomMetrics.SiteWrite, started, failed: true);
            throw;
        }
    }

    /// <summary>
    /// A write timed from its start to its commit. One abandoned without a commit (the caller gave
    /// up, often because of another site or the client) is not this site's to count.
    /// </summary>
    private sealed class TimedSiteWrite(string siteId, ISiteWrite inner, long started) : ISiteWrite
    {
        public Stream Content => inner.Content;

        public async Task CommitAsync(CancellationToken cancellationToken = default)
        {
            var failed = true;
            try
            {
                await inner.CommitAsync(cancellationToken).ConfigureAwait(false);
                failed = false;
            }
            finally
            {
                StrongroomMetrics.RecordSiteOperation(siteId, StrongroomMetrics.SiteWrite, started, failed);
            }
        }

        public ValueTask DisposeAsync() => inner.DisposeAsync();
    }
}
