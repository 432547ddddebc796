using Strongroom.Core;

namespace Strongroom.Storage;

/// <summary>Snapshots and blob index tags (issue 8; <see cref="ITagStore"/>). Tags are the <c>tags</c> column of blobs and instances (migration 15).</summary>
public sealed partial class SqlMetadataStore : ITagStore
{
    public Task<BlobRecord> CreateSnapshotAsync(string account, string container, string name, string snapshotId, IReadOnlyList<KeyValuePair<string, string>>? metadata, Action<BlobRecord>? precondition = null, AuditAppend? audit = null, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(snapshotId);
        return WriteAsync(
            tx =>
            {
                if (ReadContainer(tx, account, container) is null)
                {
                    throw new StorageException(ErrorCode.ContainerNotFound);
                }

                var current = ReadBlob(tx, account, container, name) ?? throw new StorageException(ErrorCode.BlobNotFound);
                precondition?.Invoke(current);
                ArchiveBlob(tx, current, new BlobArchive(BlobInstanceKind.Snapshot, snapshotId));
                if (metadata is not null)
                {
                    tx.Execute(
                        $"UPDATE blob_instances SET metadata = @metadata WHERE {InstanceKey} AND instance_id = @id",
                        ("@account", account),
                        ("@container", container),
                        ("@name", name),
                        ("@id", snapshotId),
                        ("@metadata", MetadataJson.Serialize(metadata)));
                }

                var snapshot = ReadInstance(tx, account, container, name, snapshotId);
                Invariant.True(snapshot is { Kind: BlobInstanceKind.Snapshot }, "the snapshot just made is readable");
                return snapshot!.Blob;
            },
            audit,
            cancellationToken);
    }

    public Task SetBlobTagsAsync(string account, string container, string name, string? versionId, IReadOnlyList<KeyValuePair<string, string>> tags, Action<BlobRecord>? precondition = null, AuditAppend? audit = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(tags);
        var json = tags.Count > 0 ? MetadataJson.Serialize(tags) : null;
        return WriteAsync(
            tx =>
            {
                if (ReadContainer(tx, account, container) is null)
                {
                    throw new StorageException(ErrorCode.ContainerNotFound);
                }

                var current = ReadBlob(tx, account, container, name);
                if (versionId is null || (current is not null && current.VersionId == versionId))
                {
                    if (current is null)
                    {
                        throw new StorageException(ErrorCode.BlobNotFound);
                    }

                    precondition?.Invoke(current);
                    tx.Execute(
                        $"UPDATE blobs SET tags = @tags WHERE {BlobKey} AND name = @name",
                        ("@account", account),
                        ("@container", container),
                        ("@name", name),
                        ("@tags", json));
                    return true;
                }

                var instance = ReadInstance(tx, account, container, name, versionId);
                if (instance is not { Kind: BlobInstanceKind.Version, IsDeleted: false })
                {
                    throw new StorageException(ErrorCode.VersionNotFound);
                }

                precondition?.Invoke(instance.Blob);
                tx.Execute(
                    $"UPDATE blob_instances SET tags = @tags WHERE {InstanceKey} AND instance_id = @id",
                    ("@account", account),
                    ("@container", container),
                    ("@name", name),
                    ("@id", versionId),
                    ("@tags", json));
                return true;
            },
            audit,
            cancellationToken);
    }

    public Task<IReadOnlyList<TaggedBlob>> ListTaggedBlobsAsync(string account, string? container, (string Container, string Name)? after, int limit, CancellationToken cancellationToken = default)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(limit, 1);
        return ReadAsync<IReadOnlyList<TaggedBlob>>(
            tx =>
            {
                // '!' never appears in a container name: those rows belong to soft-deleted containers.
                using var reader = tx.Query(
                    "SELECT container, name, tags FROM blobs WHERE account = @account AND tags IS NOT NULL " +
                    "AND (CAST(@container AS TEXT) IS NULL OR container = @container) AND container NOT LIKE '%!%' " +
                    "AND (CAST(@after_container AS TEXT) IS NULL OR container > @after_container OR (container = @after_container AND name > @after_name)) " +
                    "ORDER BY container, name LIMIT @take",
                    ("@account", account),
                    ("@container", container),
                    ("@after_container", after?.Container),
                    ("@after_name", after?.Name ?? string.Empty),
                    ("@take", (long)limit));
                var found = new List<TaggedBlob>();
                while (reader.Read())
                {
                    found.Add(new TaggedBlob(reader.GetString(0), reader.GetString(1), MetadataJson.Deserialize(reader.GetString(2))));
                }

                return found;
            },
            cancellationToken);
    }
}
