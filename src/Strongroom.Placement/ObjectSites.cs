using System.Collections.Concurrent;
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
///
/// Site failures are contained here: a site that throws <see cref="IOException"/> while a write
/// streams or commits is dropped from that write and reported down, and the write goes on while
/// the quorum holds; a site that cannot take a deletion is owed a tombstone. Neither a bad-copy
/// report nor a deletion ever fails its caller.
/// </summary>
public sealed class ObjectSites(SiteSet sites, IPlacementStore store, TimeProvider time, IRandomSource random)
{
    public SiteSet Sites => sites;

    /// <summary>Raised when work for the repair worker was queued (a bad copy, a tombstone, a Pending copy).</summary>
    public event Action? WorkQueued;

    /// <summary>
    /// A failure handled without failing the caller (a bad copy or a tombstone the store could not
    /// record, a site that failed a write): site and object ids and the exception's type only —
    /// never its message, which for a remote site could carry endpoint details.
    /// </summary>
    public event Action<string>? ProblemNoted;

    /// <summary>
    /// Opens the plan's synchronous up sites in parallel. A site that fails to open is reported
    /// down and left out; InsufficientSitesAvailable when fewer than the write quorum open (and
    /// then nothing is left open). When this server's down marks leave fewer than the quorum, the
    /// sites it marked down are probed first and the write planned again. A site outside the residency is a broken invariant
    /// (<see cref="ResidentSite.BeginWriteAsync"/>), never skipped.
    /// </summary>
    public async Task<IReplicatedWrite> BeginWriteAsync(PlacementPolicy policy, Redundancy redundancy, string objectId, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(policy);
        ArgumentNullException.ThrowIfNull(redundancy);
        await sites.RefreshStatesAsync(store, cancellationToken).ConfigureAwait(false);
        var plan = Placer.Plan(sites.Sites, sites.IsUp, policy, redundancy, random);
        if (Candidates(plan).Count < plan.WriteQuorum
            && (await sites.ProbeAsync(plan.Unavailable, cancellationToken).ConfigureAwait(false)).Count > 0)
        {
            // Down is this server's own mark, and only as fresh as its last probe: another server (or
            // the repair pass) may have seen the site come back. A write is refused only on sites that
            // fail now, never on a stale mark.
            plan = Placer.Plan(sites.Sites, sites.IsUp, policy, redundancy, random);
        }

        var candidates = Candidates(plan);

        if (candidates.Count < plan.WriteQuorum || candidates.Count == 0)
        {
            throw Insufficient(candidates.Count, plan);
        }

        var targets = new List<Target>(candidates.Count);
        if (candidates.Count == 1)
        {
            try
            {
                targets.Add(new Target(candidates[0], await candidates[0].BeginWriteAsync(objectId, policy, cancellationToken).ConfigureAwait(false)));
            }
            catch (IOException exception)
            {
                NoteSiteFailure(candidates[0].Id, objectId, "open", exception);
            }
        }
        else
        {
            var opening = new Task<ISiteWrite>[candidates.Count];
            for (var i = 0; i < candidates.Count; i++)
            {
                opening[i] = OpenAsync(candidates[i], objectId, policy, cancellationToken);
            }

            await ((Task)Task.WhenAll(opening)).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
            Task? failed = null;
            for (var i = 0; i < opening.Length; i++)
            {
                if (opening[i].IsCompletedSuccessfully)
                {
                    targets.Add(new Target(candidates[i], opening[i].Result));
                }
                else if (opening[i].Exception?.InnerException is IOException exception)
                {
                    NoteSiteFailure(candidates[i].Id, objectId, "open", exception);
                }
                else
                {
                    failed ??= opening[i];
                }
            }

            if (failed is not null)
            {
                await DisposeAllAsync(targets).ConfigureAwait(false);

                // Rethrows as it failed: a residency violation, a cancellation, a bug.
                await failed.ConfigureAwait(false);
            }
        }

        if (targets.Count < plan.WriteQuorum || targets.Count == 0)
        {
            await DisposeAllAsync(targets).ConfigureAwait(false);
            throw Insufficient(targets.Count, plan);
        }

        return new ReplicatedWrite(this, plan, objectId, [.. targets]);
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

        // The common case, one copy, costs no sorting.
        if (stored.Copies.Count == 1)
        {
            var copy = stored.Copies[0];
            return copy.State == CopyState.Present && sites.TryGet(copy.SiteId, out var only) && only.Descriptor.State != SiteState.Removed ? [only] : [];
        }

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
        ReportBadCopyAsync(stored, siteId, reason, audit: null);

    /// <summary>
    /// Records that a copy failed a read: Present → Bad (a compare-and-swap, so a copy already
    /// replaced or reported is left alone) with <paramref name="audit"/> (the owning account's
    /// <c>Placement.CopyMarkedBad</c> entry) in the same transaction, and the site reported down
    /// when the failure was the site's own (an <see cref="IOException"/> other than a missing
    /// object). Wakes the repair worker. Never throws: the read that found the copy goes on.
    /// </summary>
    public async Task ReportBadCopyAsync(StoredObject stored, string siteId, Exception reason, AuditAppend? audit)
    {
        ArgumentNullException.ThrowIfNull(stored);
        ArgumentNullException.ThrowIfNull(siteId);
        ArgumentNullException.ThrowIfNull(reason);
        if (reason is IOException)
        {
            sites.ReportFailure(siteId, reason);
        }

        try
        {
            await store.ChangeCopiesAsync([new CopyChange(stored.ObjectId, siteId, CopyState.Present, CopyState.Bad, audit)], CancellationToken.None).ConfigureAwait(false);
        }
#pragma warning disable CA1031 // A report must never fail the read that made it; the problem is noted.
        catch (Exception exception)
#pragma warning restore CA1031
        {
            Note($"copy of object {stored.ObjectId} on site {siteId} could not be marked bad ({exception.GetType().Name}); the scrub will find it");
        }

        RaiseWorkQueued();
    }

    /// <summary>
    /// Deletes every copy of each dropped object, in parallel (at most
    /// <see cref="Limits.SiteDeletesParallelMax"/> at once). A copy already absent is deleted; a
    /// site that fails (or is down) gets a tombstone, which the repair worker carries when it
    /// returns. Never throws for a site's failure.
    /// </summary>
    public async Task DeleteAsync(IReadOnlyList<StoredObject> removed)
    {
        ArgumentNullException.ThrowIfNull(removed);
        if (removed.Count == 0)
        {
            return;
        }

        var work = new List<SiteObject>();
        var owed = new List<SiteObject>();
        foreach (var stored in removed)
        {
            foreach (var copy in stored.Copies)
            {
                if (!sites.TryGet(copy.SiteId, out var site) || site.Descriptor.State == SiteState.Removed)
                {
                    continue;
                }

                // A site known to be down would only make the caller wait for its timeout.
                (sites.IsUp(site.Id) ? work : owed).Add(new SiteObject(site.Id, stored.ObjectId));
            }
        }

        await DeleteCopiesAsync(work, owed).ConfigureAwait(false);
    }

    /// <summary>Deletes the copies in <paramref name="work"/>; adds a tombstone for each in <paramref name="owed"/> and each that fails.</summary>
    private async Task DeleteCopiesAsync(List<SiteObject> work, List<SiteObject> owed)
    {
        if (work.Count == 1)
        {
            if (!await TryDeleteAsync(work[0]).ConfigureAwait(false))
            {
                owed.Add(work[0]);
            }
        }
        else if (work.Count > 1)
        {
            var failed = new ConcurrentBag<SiteObject>();
            await Parallel.ForEachAsync(
                work,
                new ParallelOptions { MaxDegreeOfParallelism = Limits.SiteDeletesParallelMax },
                async (copy, _) =>
                {
                    if (!await TryDeleteAsync(copy).ConfigureAwait(false))
                    {
                        failed.Add(copy);
                    }
                }).ConfigureAwait(false);
            owed.AddRange(failed);
        }

        if (owed.Count == 0)
        {
            return;
        }

        owed.Sort(static (a, b) =>
        {
            var bySite = string.CompareOrdinal(a.SiteId, b.SiteId);
            return bySite != 0 ? bySite : string.CompareOrdinal(a.ObjectId, b.ObjectId);
        });
        try
        {
            await store.AddTombstonesAsync(owed, time.GetUtcNow(), CancellationToken.None).ConfigureAwait(false);
        }
#pragma warning disable CA1031 // The deletion already committed; an unrecorded tombstone leaves an orphan the orphan scan removes.
        catch (Exception exception)
#pragma warning restore CA1031
        {
            Note($"{owed.Count} tombstone(s) could not be recorded ({exception.GetType().Name}); the orphan scan removes what they owed");
        }

        RaiseWorkQueued();
    }

    private async Task<bool> TryDeleteAsync(SiteObject copy)
    {
        try
        {
            await sites.Get(copy.SiteId).DeleteAsync(copy.ObjectId, CancellationToken.None).ConfigureAwait(false);
            return true;
        }
        catch (FileNotFoundException)
        {
            return true;
        }
        catch (IOException exception)
        {
            NoteSiteFailure(copy.SiteId, copy.ObjectId, "delete", exception);
            return false;
        }
    }

    internal void RaiseWorkQueued() => WorkQueued?.Invoke();

    internal TimeProvider Time => time;

    internal IPlacementStore Store => store;

    private void Note(string message) => ProblemNoted?.Invoke(message);

    private void NoteSiteFailure(string siteId, string objectId, string operation, IOException exception)
    {
        sites.ReportFailure(siteId, exception);
        Note($"site {siteId} failed to {operation} object {objectId} ({exception.GetType().Name})");
    }

    private List<ResidentSite> Candidates(PlacementPlan plan) =>
        plan.Synchronous.Where(descriptor => !plan.Unavailable.Contains(descriptor.Id)).Select(descriptor => sites.Get(descriptor.Id)).ToList();

    private static StorageException Insufficient(int durable, PlacementPlan plan) =>
        new(ErrorCode.InsufficientSitesAvailable, $"{durable} of the {plan.Synchronous.Count} synchronous site(s) can take the write; {plan.WriteQuorum} are required.");

    // An async method, so that a synchronous throw (the residency check) lands in the task.
    private static async Task<ISiteWrite> OpenAsync(ResidentSite site, string objectId, PlacementPolicy policy, CancellationToken cancellationToken) =>
        await site.BeginWriteAsync(objectId, policy, cancellationToken).ConfigureAwait(false);

    private static async Task TryDeleteQuietlyAsync(ResidentSite site, string objectId)
    {
        try
        {
            await site.DeleteAsync(objectId, CancellationToken.None).ConfigureAwait(false);
        }
        catch (IOException)
        {
            // The site is failing; whatever it kept is replaced or verified by the repair worker.
        }
    }

    private static async Task DisposeAllAsync(IEnumerable<Target> targets)
    {
        foreach (var target in targets)
        {
            await target.DisposeQuietlyAsync().ConfigureAwait(false);
        }
    }

    /// <summary>One synchronous site of a write.</summary>
    private sealed class Target(ResidentSite site, ISiteWrite write)
    {
        private bool disposed;

        public ResidentSite Site { get; } = site;

        public ISiteWrite Write { get; } = write;

        public Stream Content { get; } = write.Content;

        /// <summary>Still part of the write (not dropped after a failure).</summary>
        public bool Live { get; set; } = true;

        public bool Committed { get; set; }

        /// <summary>Disposes the site's write (uncommitted: discards it); a failing site cannot fail the caller here.</summary>
        public async ValueTask DisposeQuietlyAsync()
        {
            if (disposed)
            {
                return;
            }

            disposed = true;
            try
            {
                await Write.DisposeAsync().ConfigureAwait(false);
            }
            catch (IOException)
            {
                // A partial object the site could not discard is an orphan nothing references; the orphan scan removes it.
            }
        }
    }

    private sealed class ReplicatedWrite : IReplicatedWrite
    {
        private readonly ObjectSites owner;
        private readonly PlacementPlan plan;
        private readonly string objectId;
        private readonly Target[] targets;
        private readonly FanOutStream content;
        private int live;
        private bool succeeded;
        private bool discarded;

        public ReplicatedWrite(ObjectSites owner, PlacementPlan plan, string objectId, Target[] targets)
        {
            this.owner = owner;
            this.plan = plan;
            this.objectId = objectId;
            this.targets = targets;
            live = targets.Length;
            content = new FanOutStream(this);
        }

        public Stream Content => content;

        public async Task<ReplicatedWriteResult> CommitAsync(CancellationToken cancellationToken = default)
        {
            ObjectDisposedException.ThrowIf(succeeded, this);
            await RequireQuorumAsync().ConfigureAwait(false);
            await RunOnLiveAsync(static async (target, objectId, cancellationToken) =>
            {
                try
                {
                    await target.Write.CommitAsync(cancellationToken).ConfigureAwait(false);
                }
                catch (IOException)
                {
                    // A commit can fail after the object was published (the directory fsync, a lost
                    // answer): the copy is recorded Pending, so nothing half-trusted may stay under its id.
                    await TryDeleteQuietlyAsync(target.Site, objectId).ConfigureAwait(false);
                    throw;
                }

                target.Committed = true;
            }, objectId, cancellationToken).ConfigureAwait(false);
            succeeded = true;

            var copies = new List<ObjectCopy>(plan.Synchronous.Count + plan.Asynchronous.Count);
            var pending = false;
            foreach (var site in plan.Synchronous)
            {
                var state = IsCommitted(site.Id) ? CopyState.Present : CopyState.Pending;
                pending |= state == CopyState.Pending;
                copies.Add(new ObjectCopy(site.Id, state));
            }

            foreach (var site in plan.Asynchronous)
            {
                copies.Add(new ObjectCopy(site.Id, CopyState.Pending));
                pending = true;
            }

            // The store records the Pending copies in the same commit as the blob (the outbox);
            // the worker's schedule covers a pass that runs before that commit lands.
            if (pending)
            {
                owner.RaiseWorkQueued();
            }

            return new ReplicatedWriteResult(copies, content.Length, content.Crc64);
        }

        public async ValueTask DisposeAsync()
        {
            if (succeeded)
            {
                await DisposeAllAsync(targets).ConfigureAwait(false);
                return;
            }

            await DiscardAsync().ConfigureAwait(false);
        }

        internal int LiveCount => live;

        /// <summary>The one live target (when <see cref="LiveCount"/> is 1).</summary>
        internal Target OnlyLive()
        {
            foreach (var target in targets)
            {
                if (target.Live)
                {
                    return target;
                }
            }

            throw new InvalidOperationException("No live target.");
        }

        /// <summary>
        /// Runs <paramref name="operation"/> on every live target at once; a target that fails with
        /// an <see cref="IOException"/> is dropped and the others go on; any other failure is
        /// rethrown once all have finished. InsufficientSitesAvailable (after discarding every
        /// copy) when fewer than the quorum are left.
        /// </summary>
        internal async ValueTask RunOnLiveAsync<TState>(Func<Target, TState, CancellationToken, Task> operation, TState state, CancellationToken cancellationToken)
        {
            await RequireQuorumAsync().ConfigureAwait(false);
            if (live == 1)
            {
                var only = OnlyLive();
                try
                {
                    await operation(only, state, cancellationToken).ConfigureAwait(false);
                }
                catch (IOException exception)
                {
                    await DropAsync(only, exception).ConfigureAwait(false);
                }
            }
            else
            {
                var running = new Task[live];
                var which = new Target[live];
                var count = 0;
                foreach (var target in targets)
                {
                    if (target.Live)
                    {
                        which[count] = target;
                        running[count] = Start(operation, target, state, cancellationToken);
                        count++;
                    }
                }

                await Task.WhenAll(running).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
                Task? failed = null;
                for (var i = 0; i < running.Length; i++)
                {
                    if (running[i].IsCompletedSuccessfully)
                    {
                        continue;
                    }

                    if (running[i].Exception?.InnerException is IOException exception)
                    {
                        await DropAsync(which[i], exception).ConfigureAwait(false);
                    }
                    else
                    {
                        failed ??= running[i];
                    }
                }

                if (failed is not null)
                {
                    await failed.ConfigureAwait(false);
                }
            }

            await RequireQuorumAsync().ConfigureAwait(false);
        }

        /// <summary>A target that failed gets no more bytes: its partial write is discarded and its site reported down.</summary>
        internal async ValueTask DropAsync(Target target, IOException reason)
        {
            if (!target.Live)
            {
                return;
            }

            target.Live = false;
            live--;
            owner.NoteSiteFailure(target.Site.Id, objectId, "write", reason);
            await target.DisposeQuietlyAsync().ConfigureAwait(false);
        }

        internal async ValueTask RequireQuorumAsync()
        {
            if (live >= plan.WriteQuorum && live > 0 && !discarded)
            {
                return;
            }

            await DiscardAsync().ConfigureAwait(false);
            throw Insufficient(live, plan);
        }

        private bool IsCommitted(string siteId)
        {
            foreach (var target in targets)
            {
                if (target.Committed && string.Equals(target.Site.Id, siteId, StringComparison.Ordinal))
                {
                    return true;
                }
            }

            return false;
        }

        /// <summary>Leaves no copy behind: every write still open is discarded, every committed copy deleted (or tombstoned).</summary>
        private async Task DiscardAsync()
        {
            if (discarded)
            {
                return;
            }

            discarded = true;
            var committed = new List<SiteObject>();
            foreach (var target in targets)
            {
                if (target.Committed)
                {
                    committed.Add(new SiteObject(target.Site.Id, objectId));
                }

                await target.DisposeQuietlyAsync().ConfigureAwait(false);
            }

            if (committed.Count > 0)
            {
                await owner.DeleteCopiesAsync(committed, []).ConfigureAwait(false);
            }
        }

        private static Task Start<TState>(Func<Target, TState, CancellationToken, Task> operation, Target target, TState state, CancellationToken cancellationToken)
        {
            try
            {
                return operation(target, state, cancellationToken);
            }
#pragma warning disable CA1031 // Not swallowed: the task carries it to the caller's inspection.
            catch (Exception exception)
#pragma warning restore CA1031
            {
                return Task.FromException(exception);
            }
        }
    }

    /// <summary>
    /// Writes every buffer to each live target in parallel (one target: directly, nothing
    /// allocated per buffer) and keeps the CRC-64 and length of what passed.
    /// </summary>
    private sealed class FanOutStream(ReplicatedWrite owner) : Stream
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
            if (owner.LiveCount == 1)
            {
                var only = owner.OnlyLive();
                try
                {
                    await only.Content.WriteAsync(buffer, cancellationToken).ConfigureAwait(false);
                    return;
                }
                catch (IOException exception)
                {
                    // The last target gone: below any quorum, so this discards the write and throws.
                    await owner.DropAsync(only, exception).ConfigureAwait(false);
                    await owner.RequireQuorumAsync().ConfigureAwait(false);
                    return;
                }
            }

            await owner.RunOnLiveAsync(static (target, buffer, cancellationToken) => target.Content.WriteAsync(buffer, cancellationToken).AsTask(), buffer, cancellationToken).ConfigureAwait(false);
        }

        public override Task WriteAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
            WriteAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

        public override void Write(byte[] buffer, int offset, int count) => WriteAsync(buffer, offset, count, CancellationToken.None).GetAwaiter().GetResult();

        public override async Task FlushAsync(CancellationToken cancellationToken) =>
            await owner.RunOnLiveAsync(static (target, _, cancellationToken) => target.Content.FlushAsync(cancellationToken), 0, cancellationToken).ConfigureAwait(false);

        public override void Flush() => FlushAsync(CancellationToken.None).GetAwaiter().GetResult();

        public override int Read(byte[] buffer, int offset, int count) => throw new NotSupportedException();

        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

        public override void SetLength(long value) => throw new NotSupportedException();
    }
}
