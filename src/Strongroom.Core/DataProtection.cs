using System.Globalization;

namespace Strongroom.Core;

// Azure's safety nets before destruction (issue 7): versioning, blob and container soft delete,
// legal holds. docs/destruction.md is the manual.

/// <summary>
/// An account's data-protection settings. <see cref="BlobSoftDeleteDays"/> is Set Blob Service
/// Properties' DeleteRetentionPolicy (1–365 days; null = off) with its AllowPermanentDelete;
/// versioning and container soft delete are Azure management-plane settings, set here through the
/// CLI and the management plane.
/// </summary>
public sealed record DataProtectionSettings(
    bool Versioning = false,
    int? BlobSoftDeleteDays = null,
    int? ContainerSoftDeleteDays = null,
    bool AllowPermanentDelete = false)
{
    public static readonly DataProtectionSettings Off = new();

    /// <summary>InvalidXmlNodeValue-style validation: retention days are 1 to 365 when set.</summary>
    public static bool IsValidRetentionDays(int? days) =>
        days is null or (>= Limits.BlobSoftDeleteDaysMin and <= Limits.BlobSoftDeleteDaysMax);
}

/// <summary>What an archived instance of a blob is.</summary>
public enum BlobInstanceKind
{
    /// <summary>A previous version (versioning on); its id is its version id.</summary>
    Version = 0,

    /// <summary>A snapshot; its id is the snapshot time (<see cref="VersionIds"/> format).</summary>
    Snapshot = 1,

    /// <summary>A soft-deleted blob (versioning off); its id is a deletion id in the same format.</summary>
    DeletedBlob = 2,
}

/// <summary>
/// What becomes of the current blob when a write replaces it or a delete removes it: it is kept as
/// an instance of <paramref name="Kind"/> under <paramref name="InstanceId"/>, soft-deleted at
/// <paramref name="DeletedOn"/> until <paramref name="PurgeOn"/> when those are set. Passing no
/// archive means the blob is dropped (its objects shredded when nothing else references them).
/// </summary>
public sealed record BlobArchive(BlobInstanceKind Kind, string InstanceId, DateTimeOffset? DeletedOn = null, DateTimeOffset? PurgeOn = null);

/// <summary>An archived instance of a blob: a previous version, a snapshot or a soft-deleted blob.</summary>
public sealed record BlobInstance(BlobRecord Blob, BlobInstanceKind Kind, string InstanceId, DateTimeOffset? DeletedOn, DateTimeOffset? PurgeOn)
{
    public bool IsDeleted => DeletedOn is not null;
}

/// <summary>A soft-deleted container: its record under its original name, the version Azure's Restore Container names, and its retention.</summary>
public sealed record DeletedContainer(ContainerRecord Container, string Version, DateTimeOffset DeletedOn, DateTimeOffset PurgeOn);

/// <summary>
/// Azure's version ids and snapshot times: the UTC write time with seven fractional digits,
/// <c>2026-11-30T09:00:00.1234567Z</c>. Ordinal order is time order.
/// </summary>
public static class VersionIds
{
    private const string Format = "yyyy-MM-dd'T'HH:mm:ss.fffffff'Z'";

    public static string From(DateTimeOffset time) => time.UtcDateTime.ToString(Format, CultureInfo.InvariantCulture);

    public static bool TryParse(string? text, out DateTimeOffset time)
    {
        var parsed = DateTime.TryParseExact(text, Format, CultureInfo.InvariantCulture, DateTimeStyles.AdjustToUniversal | DateTimeStyles.AssumeUniversal, out var utc);
        time = parsed ? new DateTimeOffset(utc, TimeSpan.Zero) : default;
        return parsed;
    }

    /// <summary>The internal name a soft-deleted container's rows keep: never a valid container name.</summary>
    public static string DeletedContainerKey(string name, string version) => name + "!" + version;
}
