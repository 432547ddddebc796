using System.Globalization;
using System.Text.RegularExpressions;

namespace Strongroom.Core;

// Datacenters (issue 5): sites, redundancy, residency and copies. docs/datacenters.md is the manual.

/// <summary>
/// An administrator's decision about a site. Health (reachable or not) is separate and lives in
/// memory; this is durable. A draining site takes no new copies and gives its copies away; a
/// removed site is ignored everywhere.
/// </summary>
public enum SiteState
{
    Active = 0,
    Draining = 1,
    Removed = 2,
}

public enum SiteBackendKind
{
    LocalDirectory = 0,
    AzureBlob = 1,
}

/// <summary>
/// A datacenter's storage, as the topology declares it. Ids, regions and zones are lowercase
/// names (<see cref="PlacementNames"/>); a zone belongs to exactly one region; the jurisdiction
/// is an ISO 3166-1 alpha-2 code or <c>EU</c>.
/// </summary>
public sealed record SiteDescriptor(string Id, string Region, string Zone, string Jurisdiction, SiteBackendKind Backend, SiteState State);

public enum RedundancyKind
{
    Lrs = 0,
    Zrs = 1,
    Grs = 2,
    RaGrs = 3,
    Gzrs = 4,
    RaGzrs = 5,
    Custom = 6,
}

/// <summary>
/// How many copies of every object, and where, with Azure's meaning for the named kinds:
/// LRS 3 synchronous copies in the primary region; ZRS 3 in 3 distinct zones of it; GRS and
/// RA-GRS LRS plus 3 asynchronous copies in the secondary region (RA: readable there); GZRS and
/// RA-GZRS ZRS plus 3 asynchronous copies in the secondary region. A custom redundancy gives
/// <see cref="Copies"/> in total over <see cref="Regions"/> regions (1: primary; 2: primary gets
/// the larger half, secondary the rest), at least <see cref="ZonesMin"/> distinct zones in each
/// region holding copies, and secondary-region copies synchronous or not.
/// Canonical text (frozen: stored in the metadata store): <c>LRS</c>, <c>ZRS</c>, <c>GRS</c>,
/// <c>RA-GRS</c>, <c>GZRS</c>, <c>RA-GZRS</c>, <c>custom:copies=N,zones=Z,regions=R,sync|async</c>.
/// </summary>
public sealed record Redundancy
{
    private Redundancy(RedundancyKind kind, int copies, int zonesMin, int regions, bool secondarySynchronous)
    {
        Kind = kind;
        Copies = copies;
        ZonesMin = zonesMin;
        Regions = regions;
        SecondarySynchronous = secondarySynchronous;
    }

    public static Redundancy Lrs { get; } = new(RedundancyKind.Lrs, 3, 1, 1, false);
    public static Redundancy Zrs { get; } = new(RedundancyKind.Zrs, 3, 3, 1, false);
    public static Redundancy Grs { get; } = new(RedundancyKind.Grs, 6, 1, 2, false);
    public static Redundancy RaGrs { get; } = new(RedundancyKind.RaGrs, 6, 1, 2, false);
    public static Redundancy Gzrs { get; } = new(RedundancyKind.Gzrs, 6, 3, 2, false);
    public static Redundancy RaGzrs { get; } = new(RedundancyKind.RaGzrs, 6, 3, 2, false);

    public RedundancyKind Kind { get; }

    /// <summary>Copies in total over every region.</summary>
    public int Copies { get; }

    /// <summary>Minimum distinct zones in each region holding copies (never more than that region's copies).</summary>
    public int ZonesMin { get; }

    /// <summary>1 (primary only) or 2 (primary and secondary).</summary>
    public int Regions { get; }

    /// <summary>Whether secondary-region copies are written before the acknowledgement (custom only; the named geo kinds are asynchronous).</summary>
    public bool SecondarySynchronous { get; }

    public bool IsGeo => Regions == 2;

    public bool ReadableSecondary => Kind is RedundancyKind.RaGrs or RedundancyKind.RaGzrs;

    public int PrimaryCopies => Regions == 1 ? Copies : Copies - (Copies / 2);

    public int SecondaryCopies => Copies - PrimaryCopies;

    public int PrimaryZonesMin => Math.Min(ZonesMin, PrimaryCopies);

    // The named geo kinds keep LRS in the secondary region, as Azure does.
    public int SecondaryZonesMin => Kind is RedundancyKind.Custom ? Math.Min(ZonesMin, SecondaryCopies) : Math.Min(1, SecondaryCopies);

    /// <summary>Copies written before the acknowledgement.</summary>
    public int SynchronousCopies => PrimaryCopies + (SecondarySynchronous ? SecondaryCopies : 0);

    /// <summary>
    /// How many of the synchronous copies must be durable for a write to be acknowledged: a
    /// majority, and never fewer than two when the policy asks for two or more.
    /// </summary>
    public int WriteQuorum => SynchronousCopies <= 1 ? SynchronousCopies : Math.Max(2, (SynchronousCopies / 2) + 1);

    /// <summary>
    /// A custom redundancy; InvalidPlacementPolicy (with the reason) when copies are outside
    /// 1..<see cref="Limits.CopiesMax"/>, regions is not 1 or 2, zones is below 1 or above the
    /// copies in a region, two regions hold fewer than two copies, or asynchronous has one region.
    /// </summary>
    public static Redundancy Custom(int copies, int zonesMin, int regions, bool secondarySynchronous)
    {
        static StorageException Invalid(string reason) => new(ErrorCode.InvalidPlacementPolicy, "The custom redundancy is not valid: " + reason);

        if (copies < 1 || copies > Limits.CopiesMax)
        {
            throw Invalid($"copies must be between 1 and {Limits.CopiesMax}.");
        }

        if (regions is not (1 or 2))
        {
            throw Invalid("regions must be 1 or 2.");
        }

        if (regions == 2 && copies < 2)
        {
            throw Invalid("two regions need at least two copies.");
        }

        if (regions == 1 && !secondarySynchronous)
        {
            throw Invalid("asynchronous copies need a second region.");
        }

        var primary = regions == 1 ? copies : copies - (copies / 2);
        if (zonesMin < 1 || zonesMin > primary)
        {
            throw Invalid($"zones must be between 1 and the copies in a region ({primary}).");
        }

        return new Redundancy(RedundancyKind.Custom, copies, zonesMin, regions, regions == 1 || secondarySynchronous);
    }

    private static readonly Regex CustomPattern = new(
        "^custom:copies=(?<copies>[0-9]{1,2}),zones=(?<zones>[0-9]{1,2}),regions=(?<regions>[0-9]),(?<mode>sync|async)$",
        RegexOptions.CultureInvariant | RegexOptions.ExplicitCapture,
        TimeSpan.FromSeconds(1));

    /// <summary>Parses the canonical text (names case-insensitively, also without the hyphen:
    /// <c>ragrs</c>). InvalidPlacementPolicy naming the accepted forms otherwise.</summary>
    public static Redundancy Parse(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        var trimmed = text.Trim();
        switch (trimmed.Replace("-", string.Empty, StringComparison.Ordinal).Replace("_", string.Empty, StringComparison.Ordinal).ToUpperInvariant())
        {
            case "LRS": return Lrs;
            case "ZRS": return Zrs;
            case "GRS": return Grs;
            case "RAGRS": return RaGrs;
            case "GZRS": return Gzrs;
            case "RAGZRS": return RaGzrs;
        }

        var match = CustomPattern.Match(trimmed.ToLowerInvariant());
        if (!match.Success)
        {
            throw new StorageException(
                ErrorCode.InvalidPlacementPolicy,
                $"'{Truncate(trimmed)}' is not a redundancy: use LRS, ZRS, GRS, RA-GRS, GZRS, RA-GZRS or custom:copies=N,zones=Z,regions=1|2,sync|async.");
        }

        return Custom(
            int.Parse(match.Groups["copies"].Value, CultureInfo.InvariantCulture),
            int.Parse(match.Groups["zones"].Value, CultureInfo.InvariantCulture),
            int.Parse(match.Groups["regions"].Value, CultureInfo.InvariantCulture),
            match.Groups["mode"].Value == "sync");
    }

    public override string ToString() => Kind switch
    {
        RedundancyKind.Lrs => "LRS",
        RedundancyKind.Zrs => "ZRS",
        RedundancyKind.Grs => "GRS",
        RedundancyKind.RaGrs => "RA-GRS",
        RedundancyKind.Gzrs => "GZRS",
        RedundancyKind.RaGzrs => "RA-GZRS",
        _ => string.Create(CultureInfo.InvariantCulture, $"custom:copies={Copies},zones={ZonesMin},regions={Regions},{(SecondarySynchronous ? "sync" : "async")}"),
    };

    private static string Truncate(string text) => text.Length <= 64 ? text : text[..64] + "…";
}

/// <summary>
/// An account's placement: the jurisdictions its copies may live in (residency), its primary
/// and (for geo redundancy) secondary region, and its default redundancy. Containers may choose
/// another redundancy (<see cref="ContainerRecord.Redundancy"/>), never another residency.
/// </summary>
public sealed record PlacementPolicy(IReadOnlyList<string> Residency, string PrimaryRegion, string? SecondaryRegion, Redundancy Redundancy)
{
    public bool Allows(string jurisdiction) => Residency.Contains(jurisdiction, StringComparer.Ordinal);
}

/// <summary>The state of one copy of an object on one site.</summary>
public enum CopyState
{
    /// <summary>Durable on the site and believed good.</summary>
    Present = 0,

    /// <summary>Owed: an asynchronous copy in the outbox, or a synchronous copy a write could not make. The replicator/repair worker makes it.</summary>
    Pending = 1,

    /// <summary>Failed verification or a read (I/O error, authentication tag): to be replaced from a good copy.</summary>
    Bad = 2,
}

/// <summary>
/// One copy of an object. <see cref="TransferId"/> names the approved cross-border transfer a copy
/// was made under (null for every copy placement made): only such a copy may sit outside the
/// account's residency, and the repair worker never moves, removes, counts or re-creates it.
/// </summary>
public sealed record ObjectCopy(string SiteId, CopyState State, string? TransferId = null);

/// <summary>Which endpoint a read came through: the account's, or <c>ACCOUNT-secondary</c>.</summary>
public enum ReadLocation
{
    Primary = 0,
    Secondary = 1,
}

/// <summary>Spelling rules for topology names.</summary>
public static partial class PlacementNames
{
    /// <summary>Site, region and zone names: 1–63 of a-z, 0-9 and '-', starting with a letter or digit.</summary>
    public static bool IsValidName(string? name) => name is { Length: >= 1 and <= 63 } && NamePattern().IsMatch(name);

    /// <summary>Two uppercase letters: an ISO 3166-1 alpha-2 country code, or EU.</summary>
    public static bool IsValidJurisdiction(string? jurisdiction) => jurisdiction is { Length: 2 } && jurisdiction.All(c => c is >= 'A' and <= 'Z');

    [GeneratedRegex("^[a-z0-9][a-z0-9-]*$", RegexOptions.CultureInvariant)]
    private static partial Regex NamePattern();
}
