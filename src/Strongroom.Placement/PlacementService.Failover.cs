using System.Globalization;
using Strongroom.Audit;
using Strongroom.Core;
using Strongroom.Storage;

namespace Strongroom.Placement;

/// <summary>The result of an account failover: the new primary, and what was not yet replicated there.</summary>
public sealed record FailoverResult(string Account, string OldPrimaryRegion, string NewPrimaryRegion, Redundancy NewRedundancy, DateTimeOffset? LastSyncTime, long ObjectsAtRisk, long BytesAtRisk);

public sealed partial class PlacementService
{
    /// <summary>
    /// Customer-managed failover, as Azure: the secondary region becomes primary and the account
    /// drops to LRS with no secondary (a custom geo redundancy becomes custom with its secondary
    /// share of copies, all synchronous); the data at risk is every object of the account's blobs
    /// with no Present copy in the new primary region (what writes after the last sync time had
    /// not yet replicated). Recorded in the account's log and the platform log. The old primary's
    /// copies stay (inside the residency) until the repair worker's scrub walk finds the new
    /// policy satisfied and removes them. AccountNotFound, AccountNotGeoRedundant.
    /// </summary>
    public async Task<FailoverResult> FailoverAsync(string account, CancellationToken cancellationToken = default)
    {
        var record = await store.GetAccountAsync(account, cancellationToken).ConfigureAwait(false)
            ?? throw new StorageException(ErrorCode.AccountNotFound, $"Account '{account}' does not exist.");
        var policy = Resolve(record);
        if (!policy.Redundancy.IsGeo || policy.SecondaryRegion is not { } newPrimary)
        {
            throw new StorageException(ErrorCode.AccountNotGeoRedundant, $"Account '{account}' has no secondary region to fail over to ({policy.Redundancy}).");
        }

        // Read before the change: without a secondary the account has no last sync time.
        var lastSync = await GetLastSyncTimeAsync(account, cancellationToken).ConfigureAwait(false);
        var redundancy = FailoverRedundancy(policy.Redundancy);
        var updated = policy with { PrimaryRegion = newPrimary, SecondaryRegion = null, Redundancy = redundancy };
        Invariant.True(sites.Topology.JurisdictionOf(newPrimary) is { } jurisdiction && updated.Allows(jurisdiction), $"residency: the secondary region {newPrimary} of account {account} is outside its residency");

        var (objectsAtRisk, bytesAtRisk) = await DataAtRiskAsync(account, newPrimary, cancellationToken).ConfigureAwait(false);
        var details = new List<KeyValuePair<string, string>>
        {
            new("oldPrimaryRegion", policy.PrimaryRegion),
            new("newPrimaryRegion", newPrimary),
            new("oldRedundancy", policy.Redundancy.ToString()),
            new("newRedundancy", redundancy.ToString()),
            new("lastSyncTime", lastSync?.ToString("O", CultureInfo.InvariantCulture) ?? "none"),
            new("objectsAtRisk", objectsAtRisk.ToString(CultureInfo.InvariantCulture)),
            new("bytesAtRisk", bytesAtRisk.ToString(CultureInfo.InvariantCulture)),
        };

        // The platform's record comes first and durably: a failover that cannot be recorded does not happen.
        await audit.RecordAsync(audit.Entry(AuditLogs.Platform, AuditActions.Failover, "/" + account, details: details), cancellationToken).ConfigureAwait(false);
        await PlacementStore.SetAccountPlacementAsync(
            account,
            updated,
            audit.Entry(account, AuditActions.Failover, "/" + account, details: details),
            cancellationToken).ConfigureAwait(false);

        return new FailoverResult(account, policy.PrimaryRegion, newPrimary, redundancy, lastSync, objectsAtRisk, bytesAtRisk);
    }

    /// <summary>LRS for the named geo kinds (as Azure); a custom geo redundancy keeps the copies its secondary had, synchronous, in one region.</summary>
    public static Redundancy FailoverRedundancy(Redundancy redundancy) =>
        redundancy.Kind == RedundancyKind.Custom
            ? Redundancy.Custom(redundancy.SecondaryCopies, Math.Max(1, redundancy.SecondaryZonesMin), 1, true)
            : Redundancy.Lrs;

    private async Task<(long Objects, long Bytes)> DataAtRiskAsync(string account, string newPrimary, CancellationToken cancellationToken)
    {
        var inNewPrimary = sites.Sites.Where(site => string.Equals(site.Region, newPrimary, StringComparison.Ordinal)).Select(site => site.Id).ToHashSet(StringComparer.Ordinal);
        long objects = 0;
        long bytes = 0;
        BlobLocationMarker? marker = null;
        do
        {
            var page = await PlacementStore.ListBlobLocationsAsync(account, null, null, marker, Limits.LocationsPageMax, cancellationToken).ConfigureAwait(false);
            foreach (var stored in page.Blobs.SelectMany(blob => blob.Objects))
            {
                if (!stored.PresentSiteIds.Any(inNewPrimary.Contains))
                {
                    objects++;
                    bytes += stored.PlaintextLength;
                }
            }

            marker = page.NextMarker;
        }
        while (marker is not null);

        return (objects, bytes);
    }
}
