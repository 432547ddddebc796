using System.Globalization;
using Strongroom.Audit;
using Strongroom.Core;

namespace Strongroom.Blobs;

/// <summary>
/// What the blob service records in the account's transparency log. Writes carry their entry
/// into the store call that commits them (one transaction: both or neither); deletions always,
/// other writes when the account's <see cref="AccountRecord.AuditDataPlane"/> says so. Reads,
/// under <see cref="DataPlaneLogging.All"/>, are recorded before anything is returned, and an
/// entry that cannot be recorded fails the operation (AuditLogUnavailable). Every operation made
/// under a lockbox grant (<see cref="UnderGrant"/>), read or failure, is recorded whatever the
/// setting, with the grant's justification: the tenant sees everything an operator did.
/// </summary>
public sealed partial class BlobService
{
    /// <summary>The action recorded for a failed request whose operation could not be named.</summary>
    public const string UnresolvedOperation = "UnresolvedOperation";

    /// <summary>The resource string of an account, container or blob: <c>/account[/container[/blob]]</c>.</summary>
    public static string Resource(string account, string? container = null, string? blob = null) =>
        container is null ? "/" + account
        : blob is null ? "/" + account + "/" + container
        : "/" + account + "/" + container + "/" + blob;

    /// <summary>
    /// Records a request that failed with <paramref name="outcome"/> (the protocol's error code),
    /// for the protocol layer. Nothing is recorded for an account that does not exist; a failed
    /// authentication (the current actor is <see cref="ActorKind.Anonymous"/>) is always recorded,
    /// any other failure when the account's setting covers <paramref name="operation"/> (null:
    /// the operation could not be named; recorded as a write). AuditLogUnavailable when the entry
    /// cannot be recorded: the caller must then answer with an internal error.
    /// </summary>
    public async Task RecordFailureAsync(string account, BlobOperation? operation, string? container, string? blob, string outcome, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(outcome);
        if (!Names.IsValidAccountName(account))
        {
            return;
        }

        var record = await store.GetAccountAsync(account, cancellationToken).ConfigureAwait(false);
        if (record is null)
        {
            return;
        }

        var authenticationFailure = OperationContext.Current.Actor.Kind == ActorKind.Anonymous;
        var covered = UnderGrant || (operation is { } named
            ? TransparencyLog.RecordsDataPlane(record.AuditDataPlane, named)
            : record.AuditDataPlane != DataPlaneLogging.None);
        if (!authenticationFailure && !covered)
        {
            return;
        }

        await audit.RecordAsync(
            audit.Entry(account, operation?.ToString() ?? UnresolvedOperation, Resource(account, container, blob), outcome),
            cancellationToken).ConfigureAwait(false);
    }

    /// <summary>The entry a write carries into its commit, or null when the account's setting leaves it out.</summary>
    private AuditAppend? WriteEntry(string account, DataPlaneLogging setting, BlobOperation operation, string? container, string? blob, IReadOnlyList<KeyValuePair<string, string>>? details = null, IReadOnlyList<string>? sites = null) =>
        Records(setting, operation)
            ? audit.Entry(account, operation.ToString(), Resource(account, container, blob), details: details, sites: sites)
            : null;

    /// <summary>The entry of a write of content: it names every site that holds or is owed a copy of the objects (Present and Pending) and their jurisdictions.</summary>
    private AuditAppend? ContentWriteEntry(string account, DataPlaneLogging setting, BlobOperation operation, string container, string blob, IReadOnlyList<KeyValuePair<string, string>> details, IEnumerable<StoredObject> objects)
    {
        if (!Records(setting, operation))
        {
            return null;
        }

        var (siteIds, jurisdictions) = Locations(objects.SelectMany(stored => stored.Copies).Where(copy => copy.State != CopyState.Bad).Select(copy => copy.SiteId));
        return audit.Entry(account, operation.ToString(), Resource(account, container, blob), details: details, sites: siteIds, jurisdictions: jurisdictions);
    }

    /// <summary>
    /// The entry of a deletion (Delete Blob, Delete Container). It is built before the store says
    /// which objects go, so it names where the account's copies can be: every site (not removed)
    /// in its policy's regions inside its residency, and their jurisdictions.
    /// </summary>
    private async Task<AuditAppend> DeletionEntryAsync(string account, BlobOperation operation, string container, string? blob, CancellationToken cancellationToken, IReadOnlyList<KeyValuePair<string, string>>? details = null)
    {
        var record = await store.GetAccountAsync(account, cancellationToken).ConfigureAwait(false);
        var policy = record is null ? placement.DefaultPolicy() : placement.Resolve(record);
        var (siteIds, jurisdictions) = Locations(sites.Sites.Sites
            .Where(site => site.State != SiteState.Removed
                && policy.Allows(site.Jurisdiction)
                && (string.Equals(site.Region, policy.PrimaryRegion, StringComparison.Ordinal) || string.Equals(site.Region, policy.SecondaryRegion, StringComparison.Ordinal)))
            .Select(site => site.Id));
        return audit.Entry(account, operation.ToString(), Resource(account, container, blob), details: details, sites: siteIds, jurisdictions: jurisdictions);
    }

    /// <summary>Distinct site ids (in the order given) and the distinct jurisdictions of those sites (sorted), as the topology declares them.</summary>
    private (IReadOnlyList<string> Sites, IReadOnlyList<string> Jurisdictions) Locations(IEnumerable<string> siteIds)
    {
        var distinct = new List<string>(3);
        var jurisdictions = new SortedSet<string>(StringComparer.Ordinal);
        foreach (var siteId in siteIds)
        {
            if (distinct.Contains(siteId, StringComparer.Ordinal))
            {
                continue;
            }

            distinct.Add(siteId);
            if (sites.Sites.TryGet(siteId, out var site))
            {
                jurisdictions.Add(site.Descriptor.Jurisdiction);
            }
        }

        return (distinct, jurisdictions.ToList());
    }

    /// <summary>
    /// True when the current operation runs under a lockbox grant (an operator's actor naming the
    /// grant): it is recorded whatever the account's setting, reads included.
    /// </summary>
    public static bool UnderGrant => OperationContext.Current.Actor is { Kind: ActorKind.Operator, Grant: not null };

    /// <summary>Whether the current operation is recorded: always under a grant, else per the account's setting.</summary>
    private static bool Records(DataPlaneLogging setting, BlobOperation operation) =>
        UnderGrant || TransparencyLog.RecordsDataPlane(setting, operation);

    /// <summary>Records a read before its result is returned, when the account logs reads (always under a grant).</summary>
    private Task RecordReadAsync(string account, DataPlaneLogging setting, BlobOperation operation, string? container, string? blob, CancellationToken cancellationToken, IReadOnlyList<string>? sites = null) =>
        Records(setting, operation)
            ? audit.RecordAsync(audit.Entry(account, operation.ToString(), Resource(account, container, blob), sites: sites), cancellationToken)
            : Task.CompletedTask;

    /// <summary>The account's data-plane logging (the default for an account the store does not know: the operation fails on its own).</summary>
    private async Task<DataPlaneLogging> DataPlaneLoggingAsync(string account, CancellationToken cancellationToken) =>
        (await store.GetAccountAsync(account, cancellationToken).ConfigureAwait(false))?.AuditDataPlane ?? DataPlaneLogging.Writes;

    private static KeyValuePair<string, string> Detail(string name, long value) => new(name, value.ToString(CultureInfo.InvariantCulture));

    /// <summary>Details every write of content records: its length and the encryption scope, if any (never key material).</summary>
    private static List<KeyValuePair<string, string>> ContentDetails(long length, string? scope, string? blockId = null)
    {
        var details = new List<KeyValuePair<string, string>>(3) { Detail("length", length) };
        if (blockId is not null)
        {
            details.Add(new("blockId", blockId));
        }

        if (scope is not null)
        {
            details.Add(new("encryptionScope", scope));
        }

        return details;
    }
}
