using Strongroom.Audit;
using Strongroom.Core;
using Strongroom.Storage;

namespace Strongroom.Placement;

/// <summary>
/// Where an account's data is: its policy, a summary per site, region and jurisdiction, and (for
/// a container or a blob) a page of blobs with every copy of every object.
/// </summary>
public sealed record AccountLocations(
    string Account,
    PlacementPolicy Policy,
    PlacementSummary Summary,
    IReadOnlyList<BlobCopies> Blobs,
    string? NextMarker);

public sealed partial class PlacementService
{
    /// <summary>
    /// The account's placement and, when <paramref name="container"/> is given (optionally one
    /// <paramref name="blob"/>), a page of at most <paramref name="limit"/> (capped at
    /// <see cref="Limits.LocationsPageMax"/>) blobs after <paramref name="marker"/> with their copies.
    /// Without a container only the summary is returned. AccountNotFound; ContainerNotFound;
    /// BlobNotFound for a named blob that does not exist.
    /// </summary>
    public async Task<AccountLocations> GetLocationsAsync(string account, string? container, string? blob, string? marker, int limit, CancellationToken cancellationToken = default)
    {
        if (blob is not null && container is null)
        {
            throw new ArgumentException("A blob is named within its container.", nameof(blob));
        }

        var record = await RequireAccountForLocationsAsync(account, cancellationToken).ConfigureAwait(false);
        var summary = await SummarizeAsync(account, cancellationToken).ConfigureAwait(false);
        if (container is null)
        {
            return new AccountLocations(account, Resolve(record), summary, [], null);
        }

        _ = await store.GetContainerAsync(account, container, cancellationToken).ConfigureAwait(false)
            ?? throw new StorageException(ErrorCode.ContainerNotFound);
        var page = await PlacementStore.ListBlobLocationsAsync(account, container, blob, ParseMarker(marker), Math.Clamp(limit, 1, Limits.LocationsPageMax), cancellationToken).ConfigureAwait(false);
        if (blob is not null && page.Blobs.Count == 0)
        {
            throw new StorageException(ErrorCode.BlobNotFound);
        }

        return new AccountLocations(account, Resolve(record), summary, page.Blobs.Select(Describe).ToList(), FormatMarker(page.NextMarker));
    }

    /// <summary>
    /// A signed placement report (<see cref="PlacementReport"/>) of the account, a container or a
    /// blob. Its making is recorded first in the account's log (Placement.CreateReport), so the
    /// checkpoint it carries already holds that entry. VaultSealed while sealed; AccountNotFound,
    /// ContainerNotFound, BlobNotFound.
    /// </summary>
    public async Task<string> CreateReportAsync(string account, string? container, string? blob, CancellationToken cancellationToken = default)
    {
        var first = await GetLocationsAsync(account, container, blob, marker: null, Limits.LocationsPageMax, cancellationToken).ConfigureAwait(false);
        List<BlobCopies>? copies = null;
        var truncated = false;
        if (container is not null)
        {
            copies = [.. first.Blobs];
            var next = first.NextMarker;
            while (next is not null)
            {
                if (copies.Count >= Limits.PlacementReportBlobsMax)
                {
                    truncated = true;
                    break;
                }

                var page = await PlacementStore.ListBlobLocationsAsync(account, container, blob, ParseMarker(next), Limits.LocationsPageMax, cancellationToken).ConfigureAwait(false);
                copies.AddRange(page.Blobs.Select(Describe));
                next = FormatMarker(page.NextMarker);
            }

            if (copies.Count > Limits.PlacementReportBlobsMax)
            {
                copies.RemoveRange(Limits.PlacementReportBlobsMax, copies.Count - Limits.PlacementReportBlobsMax);
                truncated = true;
            }
        }

        List<KeyValuePair<string, string>> details = [];
        if (container is not null)
        {
            details.Add(new("container", container));
        }

        if (blob is not null)
        {
            details.Add(new("blob", blob));
        }

        // The entry names where the account's copies are, as every placement entry does.
        var sitesUsed = first.Summary.Sites.Select(site => site.SiteId).ToList();
        var jurisdictions = first.Summary.Jurisdictions.Select(area => area.Name).ToList();
        await audit.RecordAsync(audit.Entry(account, AuditActions.CreatePlacementReport, ReportResource(account, container, blob), details: details, sites: sitesUsed, jurisdictions: jurisdictions), cancellationToken).ConfigureAwait(false);
        var checkpoint = await audit.GetCheckpointAsync(account, cancellationToken).ConfigureAwait(false);
        var report = new PlacementReport
        {
            Deployment = audit.DeploymentId,
            Account = account,
            GeneratedOn = time.GetUtcNow(),
            Container = container,
            Blob = blob,
            Policy = first.Policy,
            Summary = first.Summary,
            Copies = copies,
            CopiesTruncated = truncated,
            Checkpoint = checkpoint.Note,
        };
        var note = PlacementReports.Sign(report, audit.Signer);
        Invariant.True(PlacementReports.Verify(note, audit.VerifierKey(account)).Valid, "a placement report verifies with the key that signed it");
        return note;
    }

    /// <summary>The account's policy, and whether it is the deployment's default (an account older than placement). AccountNotFound.</summary>
    public async Task<(PlacementPolicy Policy, bool IsDefault)> GetAccountPolicyAsync(string account, CancellationToken cancellationToken = default)
    {
        var record = await RequireAccountForLocationsAsync(account, cancellationToken).ConfigureAwait(false);
        return (Resolve(record), record.Placement is null);
    }

    /// <summary>
    /// Every copy the deployment holds, per site: each declared site in file order (zeros when it
    /// holds nothing), then any site with copies that the topology no longer declares. For
    /// <c>strongroom site list</c>; the owed work is <see cref="RepairWorker.GetStatusAsync"/>.
    /// </summary>
    public async Task<IReadOnlyList<SiteUsage>> GetSiteUsageAsync(CancellationToken cancellationToken = default)
    {
        var backlog = await PlacementStore.GetPlacementBacklogAsync(cancellationToken).ConfigureAwait(false);
        var counts = backlog.Sites.ToDictionary(site => site.SiteId, StringComparer.Ordinal);
        var declared = sites.Sites.Select(site =>
        {
            counts.TryGetValue(site.Id, out var held);
            return new SiteUsage(site.Id, site.Region, site.Zone, site.Jurisdiction, held?.Present ?? 0, held?.Pending ?? 0, held?.Bad ?? 0, held?.PresentCiphertextBytes ?? 0);
        });
        var undeclared = backlog.Sites
            .Where(held => !sites.Topology.ById.ContainsKey(held.SiteId))
            .OrderBy(held => held.SiteId, StringComparer.Ordinal)
            .Select(held => new SiteUsage(held.SiteId, UnknownLocation, UnknownLocation, UnknownLocation, held.Present, held.Pending, held.Bad, held.PresentCiphertextBytes));
        return declared.Concat(undeclared).ToList();
    }

    /// <summary>The account's copies per site (named in the topology, or "unknown"), region and jurisdiction.</summary>
    private async Task<PlacementSummary> SummarizeAsync(string account, CancellationToken cancellationToken)
    {
        var usage = await PlacementStore.GetAccountSiteUsageAsync(account, cancellationToken).ConfigureAwait(false);
        var sitesUsed = usage
            .Select(counts =>
            {
                var (region, zone, jurisdiction) = Where(counts.SiteId);
                return new SiteUsage(counts.SiteId, region, zone, jurisdiction, counts.Present, counts.Pending, counts.Bad, counts.PresentCiphertextBytes);
            })
            .OrderBy(site => site.SiteId, StringComparer.Ordinal)
            .ToList();
        return new PlacementSummary(sitesUsed, Areas(sitesUsed, site => site.Region), Areas(sitesUsed, site => site.Jurisdiction));
    }

    private static List<AreaUsage> Areas(IEnumerable<SiteUsage> sitesUsed, Func<SiteUsage, string> key) =>
        sitesUsed
            .GroupBy(key, StringComparer.Ordinal)
            .Select(group => new AreaUsage(group.Key, group.Sum(site => site.Present), group.Sum(site => site.PresentBytes)))
            .OrderBy(area => area.Name, StringComparer.Ordinal)
            .ToList();

    private BlobCopies Describe(BlobLocation location) => new(
        location.Container,
        location.Blob,
        location.ContentLength,
        location.Objects.Select(stored => new ObjectLocation(
            stored.ObjectId,
            stored.CiphertextLength,
            stored.Copies
                .OrderBy(copy => copy.SiteId, StringComparer.Ordinal)
                .Select(copy =>
                {
                    var (region, zone, jurisdiction) = Where(copy.SiteId);
                    return new SiteCopy(copy.SiteId, region, zone, jurisdiction, copy.State, copy.TransferId);
                })
                .ToList())).ToList());

    /// <summary>Where a site is; a site the topology no longer declares is reported, not hidden.</summary>
    private (string Region, string Zone, string Jurisdiction) Where(string siteId) =>
        sites.Topology.ById.TryGetValue(siteId, out var site)
            ? (site.Descriptor.Region, site.Descriptor.Zone, site.Descriptor.Jurisdiction)
            : (UnknownLocation, UnknownLocation, UnknownLocation);

    /// <summary>What the region, zone and jurisdiction of a site missing from the topology read as.</summary>
    public const string UnknownLocation = "unknown";

    /// <summary>A locations marker is <c>container/blob</c> (container names never hold a '/').</summary>
    public static string? FormatMarker(BlobLocationMarker? marker) => marker is null ? null : marker.Container + "/" + marker.Blob;

    public static BlobLocationMarker? ParseMarker(string? marker)
    {
        if (string.IsNullOrEmpty(marker))
        {
            return null;
        }

        var slash = marker.IndexOf('/', StringComparison.Ordinal);
        if (slash <= 0 || slash == marker.Length - 1)
        {
            throw new StorageException(ErrorCode.InvalidLocationsMarker, "The marker is not one this server returned.");
        }

        return new BlobLocationMarker(marker[..slash], marker[(slash + 1)..]);
    }

    private async Task<AccountRecord> RequireAccountForLocationsAsync(string account, CancellationToken cancellationToken) =>
        await store.GetAccountAsync(account, cancellationToken).ConfigureAwait(false)
            ?? throw new StorageException(ErrorCode.AccountNotFound);

    private static string ReportResource(string account, string? container, string? blob) =>
        container is null ? "/" + account
        : blob is null ? "/" + account + "/" + container
        : "/" + account + "/" + container + "/" + blob;
}
