using System.Data.Common;
using Strongroom.Core;

namespace Strongroom.Storage;

/// <summary>
/// Copies, tombstones, site states and placement policies (migration 7; see <see cref="IPlacementStore"/>).
///
/// A copy is a row of object_copies; the rows in state Pending or Bad (a partial index) are the
/// durable outbox and the repair queue, so owed work survives a crash with the write that owes
/// it. Every change goes through the group-commit writer: a copy change and its audit entry are
/// appended in the same savepoint, so an entry exists exactly for the changes that committed.
/// </summary>
public sealed partial class SqlMetadataStore : IPlacementStore
{
    // The owner of an object: a committed part first, else a staged block (an object belongs to
    // exactly one blob: its data key is bound to that blob's name).
    private const string OwnerSelect =
        "SELECT account, container, blob FROM blob_parts WHERE object_id = @object_id " +
        "UNION ALL SELECT account, container, blob FROM uncommitted_blocks WHERE object_id = @object_id LIMIT 1";

    // Per-site copy counts by state and the bytes of Present copies (portable: no boolean sums).
    private const string SiteCountColumns =
        "c.site_id, SUM(CASE WHEN c.state = 0 THEN 1 ELSE 0 END), SUM(CASE WHEN c.state = 1 THEN 1 ELSE 0 END), " +
        "SUM(CASE WHEN c.state = 2 THEN 1 ELSE 0 END), SUM(CASE WHEN c.state = 0 THEN o.ciphertext_length ELSE 0 END)";

    // Policies

    public Task SetAccountPlacementAsync(string account, PlacementPolicy policy, AuditAppend? audit = null, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(account);
        ArgumentNullException.ThrowIfNull(policy);
        var placement = PlacementRow.From(policy);
        return WriteAsync(
            tx =>
            {
                var changed = tx.Execute(
                    "UPDATE accounts SET residency = @residency, primary_region = @primary_region, secondary_region = @secondary_region, redundancy = @redundancy WHERE name = @name",
                    ("@name", account),
                    ("@residency", placement.Residency),
                    ("@primary_region", placement.PrimaryRegion),
                    ("@secondary_region", placement.SecondaryRegion),
                    ("@redundancy", placement.Redundancy));
                return changed == 0 ? throw new StorageException(ErrorCode.AccountNotFound) : true;
            },
            audit,
            cancellationToken);
    }

    public Task<ContainerRecord> SetContainerRedundancyAsync(string account, string container, Redundancy? redundancy, AuditAppend? audit = null, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(account);
        ArgumentException.ThrowIfNullOrEmpty(container);
        return WriteAsync(
            tx =>
            {
                var changed = tx.Execute(
                    "UPDATE containers SET redundancy = @redundancy WHERE account = @account AND name = @name",
                    ("@account", account),
                    ("@name", container),
                    ("@redundancy", redundancy?.ToString()));
                return changed == 0 ? throw new StorageException(ErrorCode.ContainerNotFound) : ReadContainer(tx, account, container)!;
            },
            audit,
            cancellationToken);
    }

    // Sites

    public Task<IReadOnlyDictionary<string, SiteState>> GetSiteStatesAsync(CancellationToken cancellationToken = default) =>
        ReadAsync<IReadOnlyDictionary<string, SiteState>>(
            tx =>
            {
                var states = new Dictionary<string, SiteState>(StringComparer.Ordinal);
                using var reader = tx.Query("SELECT site_id, state FROM site_states");
                while (reader.Read())
                {
                    var state = (SiteState)reader.GetInt64(1);
                    Invariant.True(Enum.IsDefined(state), $"site {reader.GetString(0)}: its state {(int)state} is one this build knows");
                    states.Add(reader.GetString(0), state);
                }

                return states;
            },
            cancellationToken);

    public Task SetSiteStateAsync(string siteId, SiteState state, AuditAppend? audit = null, CancellationToken cancellationToken = default) =>
        SetSiteStateAsync(siteId, state, audit?.Time ?? default, audit, cancellationToken);

    public Task SetSiteStateAsync(string siteId, SiteState state, DateTimeOffset changedOn, AuditAppend? audit = null, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(siteId);
        if (!Enum.IsDefined(state))
        {
            throw new ArgumentOutOfRangeException(nameof(state), state, "Unknown site state.");
        }

        return WriteAsync(
            tx =>
            {
                tx.Execute(
                    "INSERT INTO site_states (site_id, state, changed_on) VALUES (@site_id, @state, @changed_on) " +
                    "ON CONFLICT (site_id) DO UPDATE SET state = excluded.state, changed_on = excluded.changed_on",
                    ("@site_id", siteId),
                    ("@state", (int)state),
                    ("@changed_on", ToTicks(changedOn)));
                return true;
            },
            audit,
            cancellationToken);
    }

    // Copies

    public Task<IReadOnlyList<CopyWork>> ListCopiesNeedingWorkAsync(SiteObject? after, int limit, CancellationToken cancellationToken = default)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(limit, 1);
        return ReadAsync<IReadOnlyList<CopyWork>>(
            tx =>
            {
                // "state <> 0" as written, so the partial index of owed copies serves the range.
                var owed = new List<(string ObjectId, string SiteId)>();
                using (var reader = tx.Query(
                    "SELECT object_id, site_id FROM object_copies " +
                    "WHERE state <> 0 AND (object_id, site_id) > (@after_object, @after_site) " +
                    "ORDER BY object_id, site_id LIMIT @take",
                    ("@after_object", after?.ObjectId ?? string.Empty),
                    ("@after_site", after?.SiteId ?? string.Empty),
                    ("@take", (long)limit)))
                {
                    while (reader.Read())
                    {
                        owed.Add((reader.GetString(0), reader.GetString(1)));
                    }
                }

                var work = new List<CopyWork>(owed.Count);
                ObjectOwner? owner = null;
                foreach (var (objectId, siteId) in owed)
                {
                    if (owner is null || owner.Object.ObjectId != objectId)
                    {
                        owner = ReadObjectOwner(tx, objectId);
                    }

                    // Same snapshot: the object and the copy are both there.
                    Invariant.True(owner is not null, $"object {objectId} with an owed copy exists");
                    var copy = owner!.Object.Copies.Single(c => string.Equals(c.SiteId, siteId, StringComparison.Ordinal));
                    work.Add(new CopyWork(owner, copy));
                }

                return work;
            },
            cancellationToken);
    }

    public Task<IReadOnlyList<ObjectOwner>> ListObjectsOnSiteAsync(string siteId, string? afterObjectId, int limit, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(siteId);
        ArgumentOutOfRangeException.ThrowIfLessThan(limit, 1);
        return ReadAsync(
            tx => ReadObjectOwners(
                tx,
                "SELECT object_id FROM object_copies WHERE site_id = @site_id AND object_id > @after ORDER BY object_id LIMIT @take",
                ("@site_id", siteId),
                ("@after", afterObjectId ?? string.Empty),
                ("@take", (long)limit)),
            cancellationToken);
    }

    public Task<IReadOnlyList<ObjectOwner>> ListObjectsAsync(string? afterObjectId, int limit, CancellationToken cancellationToken = default)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(limit, 1);
        return ReadAsync(
            tx => ReadObjectOwners(
                tx,
                "SELECT object_id FROM objects WHERE object_id > @after ORDER BY object_id LIMIT @take",
                ("@after", afterObjectId ?? string.Empty),
                ("@take", (long)limit)),
            cancellationToken);
    }

    public Task<IReadOnlyList<bool>> ChangeCopiesAsync(IReadOnlyList<CopyChange> changes, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(changes);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(changes.Count, Limits.RepairBatchMax);
        foreach (var change in changes)
        {
            ArgumentNullException.ThrowIfNull(change);
            ArgumentException.ThrowIfNullOrEmpty(change.ObjectId);
            ArgumentException.ThrowIfNullOrEmpty(change.SiteId);
            if ((change.Expected is { } expected && !Enum.IsDefined(expected)) || (change.New is { } next && !Enum.IsDefined(next)))
            {
                throw new ArgumentException($"Copy {change.ObjectId} on {change.SiteId}: unknown copy state.", nameof(changes));
            }

            if (change.Audit is not null)
            {
                ValidateAuditAppend(change.Audit);
            }
        }

        if (changes.Count == 0)
        {
            return Task.FromResult<IReadOnlyList<bool>>([]);
        }

        return WriteAsync<IReadOnlyList<bool>>(
            tx =>
            {
                var applied = new bool[changes.Count];
                for (var i = 0; i < changes.Count; i++)
                {
                    applied[i] = ChangeCopy(tx, changes[i]);
                    if (applied[i] && changes[i].Audit is { } entry)
                    {
                        AppendAuditEntry(tx, entry);
                    }
                }

                return applied;
            },
            cancellationToken);
    }

    // Tombstones

    public Task AddTombstonesAsync(IReadOnlyList<SiteObject> tombstones, DateTimeOffset createdOn, CancellationToken cancellationToken = default)
    {
        ValidateSiteObjects(tombstones);
        if (tombstones.Count == 0)
        {
            return Task.CompletedTask;
        }

        return WriteAsync(
            tx =>
            {
                // A deletion owed twice is owed once, since the first time.
                foreach (var tombstone in tombstones)
                {
                    tx.Execute(
                        "INSERT INTO site_tombstones (site_id, object_id, created_on) VALUES (@site_id, @object_id, @created_on) " +
                        "ON CONFLICT (site_id, object_id) DO NOTHING",
                        ("@site_id", tombstone.SiteId),
                        ("@object_id", tombstone.ObjectId),
                        ("@created_on", ToTicks(createdOn)));
                }

                return true;
            },
            cancellationToken);
    }

    public Task<IReadOnlyList<SiteObject>> ListTombstonesAsync(string? siteId, int limit, CancellationToken cancellationToken = default)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(limit, 1);
        return ReadAsync<IReadOnlyList<SiteObject>>(
            tx =>
            {
                var tombstones = new List<SiteObject>();
                using var reader = siteId is null
                    ? tx.Query("SELECT site_id, object_id FROM site_tombstones ORDER BY site_id, object_id LIMIT @take", ("@take", (long)limit))
                    : tx.Query(
                        "SELECT site_id, object_id FROM site_tombstones WHERE site_id = @site_id ORDER BY object_id LIMIT @take",
                        ("@site_id", siteId),
                        ("@take", (long)limit));
                while (reader.Read())
                {
                    tombstones.Add(new SiteObject(reader.GetString(0), reader.GetString(1)));
                }

                return tombstones;
            },
            cancellationToken);
    }

    public Task RemoveTombstonesAsync(IReadOnlyList<SiteObject> tombstones, CancellationToken cancellationToken = default)
    {
        ValidateSiteObjects(tombstones);
        if (tombstones.Count == 0)
        {
            return Task.CompletedTask;
        }

        return WriteAsync(
            tx =>
            {
                foreach (var tombstone in tombstones)
                {
                    tx.Execute(
                        "DELETE FROM site_tombstones WHERE site_id = @site_id AND object_id = @object_id",
                        ("@site_id", tombstone.SiteId),
                        ("@object_id", tombstone.ObjectId));
                }

                return true;
            },
            cancellationToken);
    }

    // Reporting

    public Task<PlacementBacklog> GetPlacementBacklogAsync(CancellationToken cancellationToken = default) =>
        ReadAsync(
            tx =>
            {
                long pending = 0, bad = 0;
                using (var reader = tx.Query("SELECT state, COUNT(*) FROM object_copies WHERE state <> 0 GROUP BY state"))
                {
                    while (reader.Read())
                    {
                        switch (ReadCopyState(reader.GetInt64(0)))
                        {
                            case CopyState.Pending:
                                pending = reader.GetInt64(1);
                                break;
                            case CopyState.Bad:
                                bad = reader.GetInt64(1);
                                break;
                        }
                    }
                }

                var tombstones = (long)tx.Scalar("SELECT COUNT(*) FROM site_tombstones")!;
                var sites = ReadSiteCounts(
                    tx,
                    $"SELECT {SiteCountColumns} FROM object_copies c JOIN objects o ON o.object_id = c.object_id GROUP BY c.site_id");

                // Sites that only owe deletions are listed too, with no copies.
                using (var reader = tx.Query("SELECT DISTINCT site_id FROM site_tombstones"))
                {
                    while (reader.Read())
                    {
                        var siteId = reader.GetString(0);
                        if (!sites.Exists(site => string.Equals(site.SiteId, siteId, StringComparison.Ordinal)))
                        {
                            sites.Add(new SiteCopyCounts(siteId, 0, 0, 0, 0));
                        }
                    }
                }

                sites.Sort((a, b) => string.CompareOrdinal(a.SiteId, b.SiteId));
                return new PlacementBacklog(pending, bad, tombstones, sites);
            },
            cancellationToken);

    public Task<DateTimeOffset?> GetOldestPendingCopyAsync(string account, IReadOnlyCollection<string> siteIds, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(account);
        ArgumentNullException.ThrowIfNull(siteIds);
        if (siteIds.Count == 0)
        {
            return Task.FromResult<DateTimeOffset?>(null);
        }

        return ReadAsync<DateTimeOffset?>(
            tx =>
            {
                // From the owed copies on those sites (a partial index) to their objects: the outbox
                // is small next to an account's objects. CROSS JOIN makes SQLite's planner keep
                // that order (without statistics it would scan the account's objects); elsewhere
                // it is an inner join.
                var parameters = new List<(string Name, object? Value)> { ("@account", account) };
                var names = new List<string>(siteIds.Count);
                foreach (var siteId in siteIds.Distinct(StringComparer.Ordinal))
                {
                    var name = "@site" + names.Count.ToString(System.Globalization.CultureInfo.InvariantCulture);
                    names.Add(name);
                    parameters.Add((name, siteId));
                }

                var oldest = tx.Scalar(
                    "SELECT MIN(o.created_on) FROM object_copies c CROSS JOIN objects o " +
                    $"WHERE o.object_id = c.object_id AND c.state <> 0 AND c.state = 1 AND c.site_id IN ({string.Join(", ", names)}) AND o.account = @account",
                    parameters.ToArray());
                return oldest is long ticks ? FromTicks(ticks) : null;
            },
            cancellationToken);
    }

    public Task<BlobLocationPage> ListBlobLocationsAsync(string account, string? container, string? blob, BlobLocationMarker? marker, int limit, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(account);
        ArgumentOutOfRangeException.ThrowIfLessThan(limit, 1);
        var take = Math.Min(limit, Limits.LocationsPageMax);
        return ReadAsync(
            tx =>
            {
                var sql = "SELECT container, name, content_length FROM blobs WHERE account = @account";
                if (container is not null)
                {
                    sql += " AND container = @container";
                }

                if (blob is not null)
                {
                    sql += " AND name = @blob";
                }

                if (marker is not null)
                {
                    sql += " AND (container, name) > (@marker_container, @marker_blob)";
                }

                var blobs = new List<(string Container, string Name, long Length)>();
                using (var reader = tx.Query(
                    sql + " ORDER BY container, name LIMIT @take",
                    ("@account", account),
                    ("@container", container),
                    ("@blob", blob),
                    ("@marker_container", marker?.Container),
                    ("@marker_blob", marker?.Blob),
                    ("@take", (long)take + 1)))
                {
                    while (reader.Read())
                    {
                        blobs.Add((reader.GetString(0), reader.GetString(1), reader.GetInt64(2)));
                    }
                }

                BlobLocationMarker? next = null;
                if (blobs.Count > take)
                {
                    blobs.RemoveAt(take);
                    next = new BlobLocationMarker(blobs[^1].Container, blobs[^1].Name);
                }

                var locations = new List<BlobLocation>(blobs.Count);
                foreach (var (blobContainer, name, length) in blobs)
                {
                    // An object listed twice (a block committed at two positions) is one object.
                    var objects = ReadParts(tx, account, blobContainer, name)
                        .Select(part => part.Object)
                        .DistinctBy(stored => stored.ObjectId, StringComparer.Ordinal)
                        .ToList();
                    locations.Add(new BlobLocation(blobContainer, name, length, objects));
                }

                return new BlobLocationPage(locations, next);
            },
            cancellationToken);
    }

    public Task<IReadOnlyList<SiteCopyCounts>> GetAccountSiteUsageAsync(string account, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(account);
        return ReadAsync<IReadOnlyList<SiteCopyCounts>>(
            tx => ReadSiteCounts(
                tx,
                $"SELECT {SiteCountColumns} FROM objects o JOIN object_copies c ON c.object_id = o.object_id " +
                "WHERE o.account = @account GROUP BY c.site_id ORDER BY c.site_id",
                ("@account", account)),
            cancellationToken);
    }

    // Rows

    /// <summary>One compare-and-swap on a copy; true when it applied.</summary>
    private static bool ChangeCopy(Transaction tx, CopyChange change)
    {
        (string, object?) objectKey = ("@object_id", change.ObjectId);
        (string, object?) siteKey = ("@site_id", change.SiteId);
        if (!ObjectExists(tx, change.ObjectId))
        {
            return false;
        }

        var current = tx.Scalar("SELECT state FROM object_copies WHERE object_id = @object_id AND site_id = @site_id", objectKey, siteKey) is long value
            ? ReadCopyState(value)
            : (CopyState?)null;
        if (current != change.Expected)
        {
            return false;
        }

        switch (change.Expected, change.New)
        {
            case (null, null):
                // Absent and to stay absent: nothing to write, and the expectation held.
                break;
            case (null, { } created):
                // No bound on the count here: a move (drain) adds the new copy before it drops the old.
                tx.Execute(
                    "INSERT INTO object_copies (object_id, site_id, state, transfer_id) VALUES (@object_id, @site_id, @state, @transfer_id)",
                    objectKey,
                    siteKey,
                    ("@state", (int)created),
                    ("@transfer_id", change.TransferId));
                break;
            case (not null, null):
                tx.Execute("DELETE FROM object_copies WHERE object_id = @object_id AND site_id = @site_id", objectKey, siteKey);
                break;
            case (not null, { } changed):
                tx.Execute(
                    "UPDATE object_copies SET state = @state WHERE object_id = @object_id AND site_id = @site_id",
                    objectKey,
                    siteKey,
                    ("@state", (int)changed));
                break;
        }

        return true;
    }

    /// <summary>The objects whose ids <paramref name="idsSql"/> selects (in its order), each with its copies and owner.</summary>
    private static IReadOnlyList<ObjectOwner> ReadObjectOwners(Transaction tx, string idsSql, params ReadOnlySpan<(string Name, object? Value)> parameters)
    {
        var ids = new List<string>();
        using (var reader = tx.Query(idsSql, parameters))
        {
            while (reader.Read())
            {
                ids.Add(reader.GetString(0));
            }
        }

        var owners = new List<ObjectOwner>(ids.Count);
        foreach (var objectId in ids)
        {
            owners.Add(ReadObjectOwner(tx, objectId) ?? throw new InvalidOperationException($"Object {objectId} vanished inside one snapshot."));
        }

        return owners;
    }

    private static ObjectOwner? ReadObjectOwner(Transaction tx, string objectId)
    {
        if (ReadObject(tx, objectId) is not { } stored)
        {
            return null;
        }

        using var reader = tx.Query(OwnerSelect, ("@object_id", objectId));
        return reader.Read()
            ? new ObjectOwner(stored, reader.GetString(0), reader.GetString(1), reader.GetString(2))
            : new ObjectOwner(stored, null, null, null);
    }

    private static List<SiteCopyCounts> ReadSiteCounts(Transaction tx, string sql, params ReadOnlySpan<(string Name, object? Value)> parameters)
    {
        var sites = new List<SiteCopyCounts>();
        using var reader = tx.Query(sql, parameters);
        while (reader.Read())
        {
            sites.Add(new SiteCopyCounts(reader.GetString(0), reader.GetInt64(1), reader.GetInt64(2), reader.GetInt64(3), reader.GetInt64(4)));
        }

        return sites;
    }

    private static void ValidateSiteObjects(IReadOnlyList<SiteObject> items)
    {
        ArgumentNullException.ThrowIfNull(items);
        foreach (var item in items)
        {
            ArgumentNullException.ThrowIfNull(item);
            ArgumentException.ThrowIfNullOrEmpty(item.SiteId);
            ArgumentException.ThrowIfNullOrEmpty(item.ObjectId);
        }
    }

    /// <summary>
    /// An account's placement columns: NULL together (no policy recorded) or all set but the
    /// secondary region. Residency is comma-separated jurisdictions (two capitals each, so no
    /// comma inside one); the redundancy its canonical text.
    /// </summary>
    private readonly record struct PlacementRow(string? Residency, string? PrimaryRegion, string? SecondaryRegion, string? Redundancy)
    {
        public static PlacementRow From(PlacementPolicy? policy)
        {
            if (policy is null)
            {
                return default;
            }

            ArgumentNullException.ThrowIfNull(policy.Residency);
            ArgumentNullException.ThrowIfNull(policy.Redundancy);
            ArgumentException.ThrowIfNullOrEmpty(policy.PrimaryRegion);
            if (policy.Residency.Count == 0 || !policy.Residency.All(PlacementNames.IsValidJurisdiction))
            {
                throw new ArgumentException("A residency is one or more jurisdictions (two capital letters each).", nameof(policy));
            }

            return new PlacementRow(string.Join(',', policy.Residency), policy.PrimaryRegion, policy.SecondaryRegion, policy.Redundancy.ToString());
        }
    }

    private static PlacementPolicy? ReadPlacement(DbDataReader reader, int first)
    {
        var residency = NullableString(reader, first);
        var primary = NullableString(reader, first + 1);
        var redundancy = NullableString(reader, first + 3);
        if (residency is null && primary is null && redundancy is null)
        {
            return null;
        }

        Invariant.True(residency is not null && primary is not null && redundancy is not null, "an account's placement is recorded whole or not at all");
        return new PlacementPolicy(residency!.Split(','), primary!, NullableString(reader, first + 2), Redundancy.Parse(redundancy!));
    }
}
