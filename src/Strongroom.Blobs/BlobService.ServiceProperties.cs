using System.Collections.Concurrent;
using System.Globalization;
using Strongroom.Core;
using Strongroom.Storage;

namespace Strongroom.Blobs;

/// <summary>Get Account Information: Azure's SKU name for the account's redundancy, and the fixed kind and namespace answers.</summary>
public sealed record AccountInformation(string SkuName, string AccountKind, bool IsHierarchicalNamespaceEnabled);

/// <summary>
/// Service properties (issue 8): Get/Set Blob Service Properties stored in full, the account's
/// CORS rules for the protocol's enforcement, and Get Account Information.
/// </summary>
public sealed partial class BlobService
{
    // An account's service properties, read at most once per Limits.ServicePropertiesCacheDuration
    // (on the injected clock) and dropped by every Set this process commits: the protocol needs the
    // CORS rules on every request that carries Origin and on every GET or HEAD (the Vary rule), and
    // DefaultServiceVersion on every request without x-ms-version, so they must not cost a store
    // read each. The expiry is what brings a Set committed by another server of the deployment
    // here. Only existing accounts are cached, so requests naming random accounts cannot grow it.
    private readonly ConcurrentDictionary<string, (BlobServiceProperties Properties, DateTimeOffset ReadOn)> requestProperties = new(StringComparer.Ordinal);

    private IServicePropertiesStore ServicePropertiesStore => (IServicePropertiesStore)store;

    /// <summary>Get Blob Service Properties: the stored properties and the account's DeleteRetentionPolicy. AccountNotFound. Recorded as a read.</summary>
    public async Task<(BlobServiceProperties Properties, DataProtectionSettings DataProtection)> GetBlobServicePropertiesAsync(string account, CancellationToken cancellationToken = default)
    {
        var record = await store.GetAccountAsync(account, cancellationToken).ConfigureAwait(false) ?? throw new StorageException(ErrorCode.AccountNotFound);
        var properties = await ServicePropertiesStore.GetBlobServicePropertiesAsync(account, cancellationToken).ConfigureAwait(false)
            ?? throw new StorageException(ErrorCode.AccountNotFound);
        await RecordReadAsync(account, record.AuditDataPlane, BlobOperation.GetBlobServiceProperties, null, null, cancellationToken).ConfigureAwait(false);
        return (properties, record.DataProtection);
    }

    /// <summary>
    /// Set Blob Service Properties: every value is checked against Azure's rules first
    /// (InvalidServiceProperties naming the node; nothing is written), then the elements the body
    /// names replace the stored ones in one transaction with the entry, which records what changed.
    /// </summary>
    public async Task<(BlobServiceProperties Properties, DataProtectionSettings DataProtection)> SetBlobServicePropertiesAsync(string account, BlobServicePropertiesUpdate update, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(update);
        if (CorsRules.Check(update) is { } violation)
        {
            throw new StorageException(ErrorCode.InvalidServiceProperties, $"{violation.NodeName}: '{violation.NodeValue}' is outside Azure's rules.");
        }

        var entry = audit.Entry(account, nameof(BlobOperation.SetBlobServiceProperties), Resource(account), details: Describe(update));
        try
        {
            return await ServicePropertiesStore.SetBlobServicePropertiesAsync(account, update, entry, cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            // Also after a failure: the commit may have happened before the failure was seen.
            requestProperties.TryRemove(account, out _);
        }
    }

    /// <summary>
    /// The account's service properties as every request needs them — its CORS rules, in their
    /// order, and its DefaultServiceVersion — before authentication: Azure's defaults (CORS off)
    /// for an account that does not exist, so a preflight cannot tell the two apart. Not recorded.
    /// A Set through another server of the deployment is seen within
    /// <see cref="Limits.ServicePropertiesCacheDuration"/>.
    /// </summary>
    public async ValueTask<BlobServiceProperties> GetRequestPropertiesAsync(string account, CancellationToken cancellationToken = default)
    {
        var now = time.GetUtcNow();
        if (requestProperties.TryGetValue(account, out var cached) && now - cached.ReadOn < Limits.ServicePropertiesCacheDuration && now >= cached.ReadOn)
        {
            return cached.Properties;
        }

        var properties = await ServicePropertiesStore.GetBlobServicePropertiesAsync(account, cancellationToken).ConfigureAwait(false);
        if (properties is null)
        {
            // Deleted meanwhile (perhaps through another server): nothing of it stays cached.
            requestProperties.TryRemove(account, out _);
            return BlobServiceProperties.Default;
        }

        requestProperties[account] = (properties, now);
        return properties;
    }

    /// <summary>
    /// Get Account Information: <c>x-ms-sku-name</c> from the account's redundancy (Standard_LRS,
    /// _ZRS, _GRS, _RAGRS, _GZRS, _RAGZRS; a custom redundancy is named by its shape: two regions
    /// GRS or, with zones, GZRS — never RA, since only the named RA kinds have a readable
    /// secondary — one region LRS or ZRS), kind StorageV2, no hierarchical namespace.
    /// AccountNotFound. Recorded as a read.
    /// </summary>
    public async Task<AccountInformation> GetAccountInformationAsync(string account, CancellationToken cancellationToken = default)
    {
        var record = await RequireAccountAsync(account, cancellationToken).ConfigureAwait(false);
        var redundancy = placement.Resolve(record).Redundancy;
        var sku = redundancy.Kind switch
        {
            RedundancyKind.Lrs => "Standard_LRS",
            RedundancyKind.Zrs => "Standard_ZRS",
            RedundancyKind.Grs => "Standard_GRS",
            RedundancyKind.RaGrs => "Standard_RAGRS",
            RedundancyKind.Gzrs => "Standard_GZRS",
            RedundancyKind.RaGzrs => "Standard_RAGZRS",
            _ => (redundancy.IsGeo, redundancy.ZonesMin > 1) switch
            {
                (true, true) => "Standard_GZRS",
                (true, false) => "Standard_GRS",
                (false, true) => "Standard_ZRS",
                (false, false) => "Standard_LRS",
            },
        };
        await RecordReadAsync(account, record.AuditDataPlane, BlobOperation.GetAccountInformation, null, null, cancellationToken).ConfigureAwait(false);
        return new AccountInformation(sku, "StorageV2", IsHierarchicalNamespaceEnabled: false);
    }

    private static List<KeyValuePair<string, string>> Describe(BlobServicePropertiesUpdate update)
    {
        var details = new List<KeyValuePair<string, string>>();
        if (update.Logging is { } logging)
        {
            details.Add(new("logging", $"read={Bool(logging.Read)},write={Bool(logging.Write)},delete={Bool(logging.Delete)}"));
        }

        if (update.HourMetrics is { } hour)
        {
            details.Add(new("hourMetrics", Bool(hour.Enabled)));
        }

        if (update.MinuteMetrics is { } minute)
        {
            details.Add(new("minuteMetrics", Bool(minute.Enabled)));
        }

        if (update.Cors is { } cors)
        {
            details.Add(new("corsRules", cors.Count.ToString(CultureInfo.InvariantCulture)));
            for (var i = 0; i < cors.Count; i++)
            {
                var rule = cors[i];
                details.Add(new(
                    "corsRule" + i.ToString(CultureInfo.InvariantCulture),
                    $"origins={rule.AllowedOrigins};methods={rule.AllowedMethods};headers={rule.AllowedHeaders};exposed={rule.ExposedHeaders};maxAge={rule.MaxAgeInSeconds.ToString(CultureInfo.InvariantCulture)}"));
            }
        }

        if (update.DefaultServiceVersion is { } version)
        {
            details.Add(new("defaultServiceVersion", version));
        }

        if (update.StaticWebsite is { } website)
        {
            details.Add(new("staticWebsite", Bool(website.Enabled)));
        }

        if (update.DeleteRetentionPolicy is { } retention)
        {
            details.Add(new("blobSoftDeleteDays", retention.Days?.ToString(CultureInfo.InvariantCulture) ?? "off"));
            details.Add(new("allowPermanentDelete", Bool(retention.AllowPermanentDelete)));
        }

        return details;

        static string Bool(bool value) => value ? "true" : "false";
    }
}
