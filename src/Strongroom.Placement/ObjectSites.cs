using Strongroom.Core;
using Strongroom.Storage;

namespace Strongroom.Placement;

/// <summary>What a replicated write made: every copy (Present where durable, Pending where owed)
/// and the ciphertext's length and CRC-64, so any copy can later be verified without a key.</summary>
public sealed record ReplicatedWriteResult(IReadOnlyList<ObjectCopy> Copies, long CiphertextLength, ulong CiphertextCrc64);

/// <summary>A new object being written to its synchronous sites at once. Disposing without a
/// successful commit discards every copy.</summary>
public interface IReplicatedWrite : IAsyncDisposable
{
    /// <summary>Ciphertext written here goes to every synchronous site in parallel.</summary>
    Stream Content { get; }

    /// <summary>
    /// Makes the copies durable (in parallel). Succeeds when at least the plan's write quorum
    /// committed; copies that failed, asynchronous copies and copies on down sites are returned
    /// Pending (the outbox and the repair queue). InsufficientSitesAvailable otherwise, and then
    /// no copy is left behind.
    /// </summary>
    Task<ReplicatedWriteResult> CommitAsync(CancellationToken cancellationToken = default);
}

/// <summary>
/// The blob service's view of the sites: writes an object to the sites its policy chooses, orders
/// an object's copies for reading (nearest healthy first), takes reports of bad copies, and
/// deletes every copy of dropped objects (a site that cannot take a deletion gets a tombstone).
/// </summary>
public sealed class ObjectSites(SiteSet sites, IPlacementStore store, TimeProvider time, IRandomSource random)
{
    public SiteSet Sites => sites;

    /// <summary>Raised when work for the repair worker was queued (a bad copy, a tombstone, a Pending copy).</summary>
    public event Action? WorkQueued;

    public async Task<IReplicatedWrite> BeginWriteAsync(PlacementPolicy policy, Redundancy redundancy, string objectId, CancellationToken cancellationToken = default)
    {
        // TODO(issue 5): the data-path helper hardens this (health, failures mid-stream, quorum, tests).
        var plan = Placer.Plan(sites.Sites, sites.IsUp, policy, redundancy, random);
        var targets = new List<(string SiteId, ISiteWrite Write)>();
        try
        {
            foreach (var site in plan.Synchronous.Where(site => !plan.Unavailable.Contains(site.Id)))
            {
                targets.Add((site.Id, await sites.Get(site.Id).BeginWriteAsync(objectId, policy, cancellationToken).ConfigureAwait(false)));
            }
        }
        catch
        {
            foreach (var target in targets)
            {
                await target.Write.DisposeAsync().ConfigureAwait(false);
            }

            throw;
        }

        return new ReplicatedWrite(this, plan, targets);
    }

    /// <summary>
    /// The object's Present copies in the order to try them: for <see cref="ReadLocation.Primary"/>
    /// the primary region first, for <see cref="ReadLocation.Secondary"/> the secondary region
    /// first; up sites before down ones; local directories before remote endpoints.
    /// </summary>
    public IReadOnlyList<ResidentSite> ReadOrder(StoredObject stored, PlacementPolicy policy, ReadLocation location)
    {
        ArgumentNullException.ThrowIfNull(stored);
        ArgumentNullException.ThrowIfNull(policy);
        var preferred = location == ReadLocation.Secondary ? policy.SecondaryRegion : policy.PrimaryRegion;
        return stored.PresentSiteIds
            .Select(id => sites.TryGet(id, out var site) ? site : null)
            .OfType<ResidentSite>()
            .Where(site => site.Descriptor.State != SiteState.Removed)
            .OrderBy(site => string.Equals(site.Descriptor.Region, preferred, StringComparison.Ordinal) ? 0 : 1)
            .ThenBy(site => sites.IsUp(site.Id) ? 0 : 1)
            .ThenBy(site => site.Descriptor.Backend == SiteBackendKind.LocalDirectory ? 0 : 1)
            .ThenBy(site => site.Id, StringComparer.Ordinal)
            .ToList();
    }

    /// <summary>Records that a copy failed a read (I/O error, missing, authentication tag): it becomes Bad and the repair worker replaces it. Never throws.</summary>
    public Task ReportBadCopyAsync(StoredObject stored, string siteId, Exception reason) =>
        throw new NotImplementedException("TODO(issue 5): the data-path helper marks bad copies.");

    /// <summary>Deletes every copy of each dropped object; a site that fails gets a tombstone. Never throws for a site's failure.</summary>
    public async Task DeleteAsync(IReadOnlyList<StoredObject> removed)
    {
        ArgumentNullException.ThrowIfNull(removed);

        // TODO(issue 5): the data-path helper adds tombstones for sites that fail, in parallel.
        foreach (var stored in removed)
        {
            foreach (var copy in stored.Copies)
            {
                if (!sites.TryGet(copy.SiteId, out var site))
                {
                    continue;
                }

                try
                {
                    await site.DeleteAsync(stored.ObjectId, CancellationToken.None).ConfigureAwait(false);
                }
                catch (IOException)
                {
                }
            }
        }
    }

    internal void RaiseWorkQueued() => WorkQueued?.Invoke();

    internal TimeProvider Time => time;

    internal IPlacementStore Store => store;

    private sealed class ReplicatedWrite(ObjectSites owner, PlacementPlan plan, List<(string SiteId, ISiteWrite Write)> targets) : IReplicatedWrite
    {
        private readonly FanOutStream content = new(targets.Select(target => target.Write.Content).ToList());

        public Stream Content => content;

        public async Task<ReplicatedWriteResult> CommitAsync(CancellationToken cancellationToken = default)
        {
            var committed = new List<string>();
            foreach (var (siteId, write) in targets)
            {
                try
                {
                    await write.CommitAsync(cancellationToken).ConfigureAwait(false);
                    committed.Add(siteId);
                }
                catch (IOException exception)
                {
                    owner.Sites.ReportFailure(siteId, exception);
                }
            }

            if (committed.Count < plan.WriteQuorum)
            {
                throw new StorageException(ErrorCode.InsufficientSitesAvailable, $"{committed.Count} of {plan.WriteQuorum} required copies became durable.");
            }

            var copies = plan.Synchronous.Concat(plan.Asynchronous)
                .Select(site => new ObjectCopy(site.Id, committed.Contains(site.Id) ? CopyState.Present : CopyState.Pending))
                .ToList();
            return new ReplicatedWriteResult(copies, content.Length, content.Crc64);
        }

        public async ValueTask DisposeAsync()
        {
            foreach (var (_, write) in targets)
            {
                await write.DisposeAsync().ConfigureAwait(false);
            }
        }
    }

    /// <summary>Writes every buffer to each target in parallel and keeps the CRC-64 and length of what passed.</summary>
    private sealed class FanOutStream(IReadOnlyList<Stream> targets) : Stream
    {
        private readonly Crc64Nvme crc = new();
        private long length;

        public ulong Crc64 => crc.GetCurrentValue();

        public override bool CanRead => false;

        public override bool CanSeek => false;

        public override bool CanWrite => true;

        public override long Length => length;

        public override long Position { get => length; set => throw new NotSupportedException(); }

        public override async ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default)
        {
            crc.Append(buffer.Span);
            length += buffer.Length;
            if (targets.Count == 1)
            {
                await targets[0].WriteAsync(buffer, cancellationToken).ConfigureAwait(false);
                return;
            }

            await Task.WhenAll(targets.Select(target => target.WriteAsync(buffer, cancellationToken).AsTask())).ConfigureAwait(false);
        }

        public override Task WriteAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
            WriteAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

        public override void Write(byte[] buffer, int offset, int count) => WriteAsync(buffer, offset, count, CancellationToken.None).GetAwaiter().GetResult();

        public override async Task FlushAsync(CancellationToken cancellationToken) =>
            await Task.WhenAll(targets.Select(target => target.FlushAsync(cancellationToken))).ConfigureAwait(false);

        public override void Flush() => FlushAsync(CancellationToken.None).GetAwaiter().GetResult();

        public override int Read(byte[] buffer, int offset, int count) => throw new NotSupportedException();

        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

        public override void SetLength(long value) => throw new NotSupportedException();
    }
}
