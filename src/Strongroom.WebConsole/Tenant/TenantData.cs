using Strongroom.Access;
using Strongroom.Audit;
using Strongroom.Core;
using Strongroom.Placement;
using Strongroom.Protocol.Management;

namespace Strongroom.WebConsole;

/// <summary>A site holding copies of the account, with its counts (the summary's <see cref="SiteUsage"/>).</summary>
public sealed record ZoneView(string Zone, IReadOnlyList<SiteUsage> Sites)
{
    public long Present => Sites.Sum(site => site.Present);

    public long Bytes => Sites.Sum(site => site.PresentBytes);
}

public sealed record RegionView(string Region, IReadOnlyList<ZoneView> Zones)
{
    public long Present => Zones.Sum(zone => zone.Present);

    public long Bytes => Zones.Sum(zone => zone.Bytes);
}

/// <summary>One jurisdiction of the account's copies, and whether the residency allows it (false only for copies an approved transfer made).</summary>
public sealed record JurisdictionView(string Jurisdiction, bool InResidency, IReadOnlyList<RegionView> Regions)
{
    public long Present => Regions.Sum(region => region.Present);

    public long Bytes => Regions.Sum(region => region.Bytes);
}

/// <summary>Where an account's data is: its policy, its copies by jurisdiction → region → zone → site, and the transfers that made copies outside its residency.</summary>
public sealed record PlacementView(
    string Account,
    PlacementPolicy Policy,
    bool PolicyIsDefault,
    IReadOnlyList<JurisdictionView> Jurisdictions,
    IReadOnlyList<TransferRecord> Transfers);

/// <summary>One log entry as the console shows it: decoded to text, or erased (its leaf hash only).</summary>
public sealed record LogEntryView(long Index, DateTimeOffset Time, byte[] LeafHash, AuditEntry? Entry, string? Problem);

/// <summary>A page of the account's log, newest first, and its signed checkpoint.</summary>
public sealed record LogPageView(string Account, long Size, string CheckpointNote, string VerifierKey, IReadOnlyList<LogEntryView> Entries, long? NewerFrom, long? OlderFrom);

/// <summary>
/// What the tenant-administrator pages read, through the services the management plane uses and
/// with its rules: an account's customer metadata (locations, report, log, certificates,
/// destructions, keys) is for the account's tenant administrators and audit admins
/// (<see cref="RequireAccountReader"/>, the JSON API's rule); lockbox and transfer requests are
/// filtered by the access services themselves from the principal.
/// </summary>
public static class TenantData
{
    /// <summary>Entries per log page.</summary>
    public const int LogPageEntries = 25;

    /// <summary>
    /// The account of a tenant page, once <paramref name="caller"/> may read its customer metadata:
    /// decided from the principal before anything is read, as the JSON API decides
    /// (<c>RoleNotPermitted</c> → 403, a name that cannot be an account → 404).
    /// </summary>
    public static string RequireAccountReader(AuthenticatedPrincipal caller, string account, string what) =>
        ManagementProtocolHandler.RequireAccountReader(caller, account, what);

    public static async Task<PlacementView> GetPlacementAsync(ManagementServices services, AuthenticatedPrincipal caller, string account, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(services);
        var placement = Require(services.Placement, "placement");
        var locations = await placement.GetLocationsAsync(account, container: null, blob: null, marker: null, limit: 1, cancellationToken).ConfigureAwait(false);
        var (_, isDefault) = await placement.GetAccountPolicyAsync(account, cancellationToken).ConfigureAwait(false);
        var policy = locations.Policy;
        var jurisdictions = locations.Summary.Sites
            .GroupBy(site => site.Jurisdiction, StringComparer.Ordinal)
            .OrderBy(group => group.Key, StringComparer.Ordinal)
            .Select(byJurisdiction => new JurisdictionView(
                byJurisdiction.Key,
                policy.Allows(byJurisdiction.Key),
                byJurisdiction
                    .GroupBy(site => site.Region, StringComparer.Ordinal)
                    .OrderBy(group => group.Key, StringComparer.Ordinal)
                    .Select(byRegion => new RegionView(
                        byRegion.Key,
                        byRegion
                            .GroupBy(site => site.Zone, StringComparer.Ordinal)
                            .OrderBy(group => group.Key, StringComparer.Ordinal)
                            .Select(byZone => new ZoneView(byZone.Key, byZone.OrderBy(site => site.SiteId, StringComparer.Ordinal).ToList()))
                            .ToList()))
                    .ToList()))
            .ToList();

        // The transfers the tenant approved or was asked for: the only way a copy leaves the residency.
        var transfers = await services.Transfers.ListAsync(caller, account, state: null, cancellationToken).ConfigureAwait(false);
        return new PlacementView(account, policy, isDefault, jurisdictions, transfers);
    }

    /// <summary>One blob's copies (every part of its current version); ContainerNotFound, BlobNotFound; InvalidResourceName for names Azure refuses.</summary>
    public static async Task<BlobCopies> FindBlobAsync(ManagementServices services, string account, string container, string blob, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(services);
        if (!Names.IsValidContainerName(container))
        {
            throw new StorageException(ErrorCode.InvalidResourceName, "The container name is not valid: 3 to 63 lower-case letters, digits and single dashes, starting and ending with a letter or digit.");
        }

        if (!Names.IsValidBlobName(blob))
        {
            throw new StorageException(ErrorCode.InvalidResourceName, $"The blob name is not valid: 1 to {Limits.BlobNameLengthMax} characters, fewer than {Limits.BlobNamePathSegmentsMax} path segments.");
        }

        var locations = await Require(services.Placement, "placement").GetLocationsAsync(account, container, blob, marker: null, Limits.LocationsPageMax, cancellationToken).ConfigureAwait(false);
        return locations.Blobs.FirstOrDefault(copies => copies.Blob == blob) ?? throw new StorageException(ErrorCode.BlobNotFound);
    }

    /// <summary>
    /// A page of the account's log, newest first: the entries below <paramref name="before"/>
    /// (default: the log's size), at most <see cref="LogPageEntries"/>. Bodies are decoded to
    /// their fields (entries hold names, ids, pseudonyms and hashes, never key material); an
    /// erased body shows its leaf hash only.
    /// </summary>
    public static async Task<LogPageView> GetLogPageAsync(ManagementServices services, string account, long? before, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(services);
        var audit = Require(services.Audit, "the transparency log");
        await RequireLogAsync(services, audit, account, cancellationToken).ConfigureAwait(false);
        var checkpoint = await audit.GetCheckpointAsync(account, cancellationToken).ConfigureAwait(false);
        var size = checkpoint.Size;
        var end = Math.Clamp(before ?? size, 0, size);
        var start = Math.Max(0, end - LogPageEntries);
        IReadOnlyList<StoredAuditEntry> stored = end > start ? await audit.ReadEntriesAsync(account, start, end, cancellationToken).ConfigureAwait(false) : [];
        var entries = stored.OrderByDescending(entry => entry.Index).Select(Decode).ToList();
        return new LogPageView(
            account,
            size,
            checkpoint.Note,
            audit.VerifierKey(account).ToString(),
            entries,
            NewerFrom: end < size ? Math.Min(size, end + LogPageEntries) : null,
            OlderFrom: start > 0 ? start : null);
    }

    /// <summary>The inclusion check of entry <paramref name="index"/> against the current signed checkpoint, with the leaf hash given or, without one, the one the log stores (after checking the entry's body hashes to it).</summary>
    public static async Task<InclusionCheckResult> CheckInclusionAsync(ManagementServices services, string account, long index, byte[]? givenLeafHash, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(services);
        var audit = Require(services.Audit, "the transparency log");
        await RequireLogAsync(services, audit, account, cancellationToken).ConfigureAwait(false);
        var checkpoint = await audit.GetCheckpointAsync(account, cancellationToken).ConfigureAwait(false);
        var key = audit.VerifierKey(account);
        var origin = audit.Origin(account);
        if (index < 0 || index >= checkpoint.Size)
        {
            // The checkpoint is still checked, so the page says against what the index is out of range.
            var (signed, problem) = LogChecks.VerifyCheckpoint(checkpoint.Note, key, origin);
            return new InclusionCheckResult(false, problem ?? LogChecks.OutOfRange(index, checkpoint.Size), index, signed, checkpoint.Note, givenLeafHash, null, []);
        }

        var entry = (await audit.ReadEntriesAsync(account, index, index + 1, cancellationToken).ConfigureAwait(false)).Single();
        var proof = await audit.GetInclusionProofAsync(account, index, checkpoint.Size, cancellationToken).ConfigureAwait(false);
        if (givenLeafHash is not null)
        {
            return LogChecks.VerifyInclusion(checkpoint.Note, key, origin, index, givenLeafHash, "given", proof);
        }

        if (entry.Body is { } body && !MerkleTree.LeafHash(body).AsSpan().SequenceEqual(entry.LeafHash))
        {
            return new InclusionCheckResult(false, $"Entry {index}'s body does not hash to the leaf hash the log stores for it.", index, null, checkpoint.Note, entry.LeafHash, "stored", proof);
        }

        return LogChecks.VerifyInclusion(checkpoint.Note, key, origin, index, entry.LeafHash, entry.Body is null ? "stored (the body was erased by retention)" : "computed from the entry's body", proof);
    }

    /// <summary>The consistency check from a checkpoint the tenant kept (a signed note) to the current signed checkpoint.</summary>
    public static async Task<ConsistencyCheckResult> CheckConsistencyAsync(ManagementServices services, string account, string earlierNote, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(services);
        ArgumentNullException.ThrowIfNull(earlierNote);
        var audit = Require(services.Audit, "the transparency log");
        await RequireLogAsync(services, audit, account, cancellationToken).ConfigureAwait(false);
        var current = await audit.GetCheckpointAsync(account, cancellationToken).ConfigureAwait(false);
        var key = audit.VerifierKey(account);
        var origin = audit.Origin(account);

        // A pasted note arrives with the browser's line ends.
        earlierNote = earlierNote.Replace("\r\n", "\n", StringComparison.Ordinal).Trim() + "\n";
        var (earlier, problem) = LogChecks.VerifyCheckpoint(earlierNote, key, origin);
        if (earlier is null)
        {
            return new ConsistencyCheckResult(false, "The earlier checkpoint: " + problem, null, null, []);
        }

        if (earlier.Size > current.Size)
        {
            return LogChecks.VerifyConsistency(earlierNote, current.Note, key, origin, []);
        }

        var proof = await audit.GetConsistencyProofAsync(account, earlier.Size, current.Size, cancellationToken).ConfigureAwait(false);
        return LogChecks.VerifyConsistency(earlierNote, current.Note, key, origin, proof);
    }

    /// <summary>Lockbox requests of the account the caller may see, newest first (the service filters by principal).</summary>
    public static Task<IReadOnlyList<LockboxRequestRecord>> ListLockboxAsync(ManagementServices services, AuthenticatedPrincipal caller, string account, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(services);
        return services.Lockbox.ListAsync(caller, account, state: null, cancellationToken);
    }

    /// <summary>Transfer requests of the account the caller may see (the service filters by principal).</summary>
    public static Task<IReadOnlyList<TransferRecord>> ListTransfersAsync(ManagementServices services, AuthenticatedPrincipal caller, string account, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(services);
        return services.Transfers.ListAsync(caller, account, state: null, cancellationToken);
    }

    /// <summary>Whether a request still waits for this account's approval (Requested and no tenant approver yet).</summary>
    public static bool AwaitsTenant(LockboxRequestRecord request) => request.State == LockboxState.Requested && request.TenantApprover is null;

    public static bool AwaitsTenant(TransferRecord transfer) => transfer.State == TransferState.Requested && transfer.TenantApprover is null;

    /// <summary>A grant the tenant may revoke: approved or active.</summary>
    public static bool IsRevocable(LockboxRequestRecord request) => request.State is LockboxState.Approved or LockboxState.Active;

    private static LogEntryView Decode(StoredAuditEntry stored)
    {
        if (stored.Body is null)
        {
            return new LogEntryView(stored.Index, stored.Time, stored.LeafHash, null, null);
        }

        try
        {
            return new LogEntryView(stored.Index, stored.Time, stored.LeafHash, AuditEntry.Decode(stored.Body), null);
        }
        catch (FormatException)
        {
            return new LogEntryView(stored.Index, stored.Time, stored.LeafHash, null, "The stored body is not a canonical entry.");
        }
    }

    /// <summary>AccountNotFound when the log has no entries and there is no account of that name (as the JSON API).</summary>
    private static async Task RequireLogAsync(ManagementServices services, TransparencyLog audit, string account, CancellationToken cancellationToken)
    {
        var head = await audit.GetTreeHeadAsync(account, cancellationToken).ConfigureAwait(false);
        if (head.Size == 0 && await services.GetAccount(account, cancellationToken).ConfigureAwait(false) is null)
        {
            throw new StorageException(ErrorCode.AccountNotFound, $"There is no account '{account}' and no log of that name.");
        }
    }

    private static T Require<T>(T? service, string what)
        where T : class =>
        service ?? throw new InvalidOperationException($"the console was composed without {what}");
}
