using Strongroom.Core;
using Strongroom.Storage;

namespace Strongroom.Blobs;

/// <summary>The result of Lease Blob or Lease Container: the resource's ETag and Last-Modified (a lease changes neither), the lease id (Acquire, Renew, Change) and, for Break, the seconds left of the break period.</summary>
public sealed record LeaseResult(string ETag, DateTimeOffset LastModified, string? LeaseId, int? LeaseTimeSeconds);

/// <summary>
/// Leases (issue 8): Lease Blob and Lease Container run <see cref="Leases.Apply"/> inside the
/// store transaction that reads and writes the lease; every write, delete and lease-aware read
/// checks the request's x-ms-lease-id against the lease its own transaction reads
/// (<see cref="CheckBlobLease"/>, <see cref="CheckContainerLease"/>). Expiry and break periods are
/// decided on the injected clock when the lease is looked at; nothing runs in the background.
/// </summary>
public sealed partial class BlobService
{
    /// <summary>Lease Blob on the current blob. Conditions: If-Match, If-None-Match, If-Modified-Since, If-Unmodified-Since, x-ms-if-tags (412 ConditionNotMet).</summary>
    public async Task<LeaseResult> LeaseBlobAsync(string account, string container, string blob, LeaseRequest request, AccessConditions conditions, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(request);
        ArgumentNullException.ThrowIfNull(conditions);
        RequireContainerName(container);
        RequireBlobName(blob);
        var accountRecord = await RequireAccountAsync(account, cancellationToken).ConfigureAwait(false);
        int? leaseTime = null;
        var record = await ((ILeaseStore)store).LeaseBlobAsync(
            account,
            container,
            blob,
            current =>
            {
                Conditions.CheckWrite(conditions, current.ETag, current.LastModified, tags: current.Tags);
                var (lease, seconds) = Leases.Apply(current.Lease, current.LastModified, time.GetUtcNow(), request, NewLeaseId);
                leaseTime = seconds;
                return lease;
            },
            WriteEntry(account, accountRecord.AuditDataPlane, BlobOperation.LeaseBlob, container, blob, LeaseDetails(request)),
            cancellationToken).ConfigureAwait(false);
        return Result(record.ETag, record.LastModified, record.Lease, request, leaseTime);
    }

    /// <summary>Lease Container. Conditions: only If-Modified-Since and If-Unmodified-Since (the protocol refuses the others).</summary>
    public async Task<LeaseResult> LeaseContainerAsync(string account, string container, LeaseRequest request, AccessConditions conditions, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(request);
        ArgumentNullException.ThrowIfNull(conditions);
        RequireContainerName(container);
        var accountRecord = await RequireAccountAsync(account, cancellationToken).ConfigureAwait(false);
        int? leaseTime = null;
        var record = await ((ILeaseStore)store).LeaseContainerAsync(
            account,
            container,
            current =>
            {
                Conditions.CheckWrite(conditions, current.ETag, current.LastModified);
                var (lease, seconds) = Leases.Apply(current.Lease, current.LastModified, time.GetUtcNow(), request, NewLeaseId);
                leaseTime = seconds;
                return lease;
            },
            WriteEntry(account, accountRecord.AuditDataPlane, BlobOperation.LeaseContainer, container, null, LeaseDetails(request)),
            cancellationToken).ConfigureAwait(false);
        return Result(record.ETag, record.LastModified, record.Lease, request, leaseTime);
    }

    /// <summary>The blob's lease now (Get Blob Properties, Get Blob, listings).</summary>
    public LeaseView LeaseOf(BlobRecord blob)
    {
        ArgumentNullException.ThrowIfNull(blob);
        return Leases.View(blob.Lease, blob.LastModified, time.GetUtcNow());
    }

    /// <summary>The container's lease now (Get Container Properties, List Containers).</summary>
    public LeaseView LeaseOf(ContainerRecord container)
    {
        ArgumentNullException.ThrowIfNull(container);
        return Leases.View(container.Lease, container.LastModified, time.GetUtcNow());
    }

    /// <summary>
    /// The lease rule of a blob operation, for a precondition running inside the write's transaction:
    /// with <paramref name="required"/> (writes and deletes) an active lease must be named; otherwise
    /// (reads) an id sent must name the active lease. <paramref name="current"/> null: no blob, no lease.
    /// </summary>
    internal void CheckBlobLease(string? leaseId, BlobRecord? current, bool required = true) =>
        Leases.Check(current is null ? LeaseView.None : LeaseOf(current), leaseId, LeaseTarget.Blob, required);

    /// <summary>As <see cref="CheckBlobLease"/> for a container: Delete Container requires the lease; Set Container Metadata, Set Container ACL and the reads take it optionally.</summary>
    internal void CheckContainerLease(string? leaseId, ContainerRecord current, bool required) =>
        Leases.Check(LeaseOf(current), leaseId, LeaseTarget.Container, required);

    private string NewLeaseId() => random.NewGuid().ToString("D");

    private static LeaseResult Result(string eTag, DateTimeOffset lastModified, StoredLease? lease, LeaseRequest request, int? leaseTime) =>
        new(eTag, lastModified, request.Action is LeaseAction.Acquire or LeaseAction.Renew or LeaseAction.Change ? lease?.LeaseId : null, request.Action == LeaseAction.Break ? leaseTime ?? 0 : null);

    // The lease id is a bearer secret among the lease's users: the log names the action, never the id.
    private static List<KeyValuePair<string, string>> LeaseDetails(LeaseRequest request)
    {
        var details = new List<KeyValuePair<string, string>>(2) { new("action", request.Action.ToString().ToLowerInvariant()) };
        if (request.DurationSeconds is { } duration)
        {
            details.Add(Detail("duration", duration));
        }
        else if (request.BreakPeriodSeconds is { } period)
        {
            details.Add(Detail("breakPeriod", period));
        }

        return details;
    }
}
