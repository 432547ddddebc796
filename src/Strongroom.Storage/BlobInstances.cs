using Strongroom.Core;

namespace Strongroom.Storage;

/// <summary>
/// How a blob instance (version or snapshot) is deleted: soft-deleted at <see cref="DeletedOn"/>
/// until <see cref="PurgeOn"/> (blob soft delete on), or dropped at once (<see cref="Permanent"/>:
/// its objects are returned for shredding when nothing else references them).
/// </summary>
public sealed record InstanceDeletion(DateTimeOffset? DeletedOn = null, DateTimeOffset? PurgeOn = null)
{
    public static readonly InstanceDeletion Permanent = new();

    public bool IsSoft => DeletedOn is not null;
}

/// <summary>
/// Where a listing of blobs with their instances stands: a name, the rank of the entry within the
/// name (<see cref="BlobEntry"/>) and the instance id (empty for the current blob).
/// </summary>
public sealed record BlobEntryPosition(string Name, int Rank, string InstanceId)
{
    /// <summary>Azure's order within one name: snapshots, previous versions, the current blob, the soft-deleted blob.</summary>
    public const int SnapshotRank = 0;
    public const int VersionRank = 1;
    public const int CurrentRank = 2;
    public const int DeletedBlobRank = 3;

    public static int RankOf(BlobInstanceKind kind) => kind switch
    {
        BlobInstanceKind.Snapshot => SnapshotRank,
        BlobInstanceKind.Version => VersionRank,
        _ => DeletedBlobRank,
    };
}

/// <summary>One entry of a listing with instances: the current blob (<see cref="Instance"/> null) or an instance of it.</summary>
public sealed record BlobEntry(BlobRecord Blob, BlobInstance? Instance, BlobEntryPosition Position);

/// <summary>
/// List Blobs with instances: current blobs and the instances of the kinds asked for, in name
/// order then <see cref="BlobEntryPosition"/> order, from <see cref="StartAtInclusive"/>.
/// Soft-deleted instances only with <see cref="Deleted"/> (soft-deleted blobs always need it).
/// </summary>
public sealed record BlobEntryQuery(
    string Account,
    string Container,
    string Prefix,
    BlobEntryPosition? StartAtInclusive,
    int Limit,
    bool Snapshots,
    bool Versions,
    bool Deleted);
