using Strongroom.Core;

namespace Strongroom.Storage;

// Page blobs (issue 8): chunk parts and their page maps (migration 17).
public sealed partial class SqlMetadataStore : IPageBlobStore
{
    public Task<PageBlobState?> GetPageBlobAsync(string account, string container, string name, string? instanceId, CancellationToken cancellationToken = default) =>
        ReadAsync<PageBlobState?>(
            tx =>
            {
                BlobRecord? blob;
                BlobInstance? instance = null;
                List<BlobPart> parts;
                if (instanceId is null)
                {
                    blob = ReadBlob(tx, account, container, name);
                    parts = blob is null ? [] : ReadParts(tx, account, container, name);
                }
                else
                {
                    instance = ReadInstance(tx, account, container, name, instanceId);
                    blob = instance?.Blob;
                    parts = instance is null ? [] : ReadInstanceParts(tx, account, container, name, instanceId);
                }

                if (blob is null)
                {
                    return null;
                }

                var chunks = new List<PageChunk>(parts.Count);
                foreach (var part in parts)
                {
                    var pages = tx.Scalar("SELECT pages FROM page_chunks WHERE object_id = @object_id", ("@object_id", part.Object.ObjectId)) as byte[];

                    // A block blob's parts have no page map: the caller refuses the blob type.
                    chunks.Add(new PageChunk(part.Ordinal, part.Object, pages ?? []));
                }

                return new PageBlobState(blob, chunks, instance);
            },
            cancellationToken);

    public Task<(BlobRecord Blob, IReadOnlyList<StoredObject> Removed)> WritePageChunksAsync(string account, string container, string name, IReadOnlyList<PageChunkChange> changes, Func<BlobRecord, BlobRecord> update, AuditAppend? audit = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(changes);
        ArgumentNullException.ThrowIfNull(update);
        var indexes = new HashSet<int>();
        foreach (var change in changes)
        {
            ArgumentNullException.ThrowIfNull(change);
            ArgumentOutOfRangeException.ThrowIfNegative(change.Index);
            if (!indexes.Add(change.Index))
            {
                throw new ArgumentException($"Chunk {change.Index} appears more than once.", nameof(changes));
            }

            if ((change.NewObject is null) != (change.Pages is null))
            {
                throw new ArgumentException("A written chunk has its page map; a dropped chunk has neither.", nameof(changes));
            }
        }

        return WriteAsync<(BlobRecord, IReadOnlyList<StoredObject>)>(
            tx =>
            {
                var current = ReadBlob(tx, account, container, name) ?? throw new StorageException(ErrorCode.BlobNotFound);
                var updated = update(current);
                if (updated.Account != account || updated.Container != container || updated.Name != name)
                {
                    throw new ArgumentException("An update must not rename the blob.", nameof(update));
                }

                RequireNoLegalHold(tx, account, container, current.LegalHold);
                (string, object?)[] key = [("@account", account), ("@container", container), ("@blob", name)];
                var candidates = new HashSet<string>(StringComparer.Ordinal);
                foreach (var change in changes)
                {
                    var held = tx.Scalar($"SELECT object_id FROM blob_parts WHERE {BlobKey} AND blob = @blob AND ordinal = @ordinal", [.. key, ("@ordinal", change.Index)]) as string;
                    if (!string.Equals(held, change.ExpectedObjectId, StringComparison.Ordinal))
                    {
                        throw new PageChunkConflictException();
                    }

                    if (held is not null)
                    {
                        candidates.Add(held);
                        tx.Execute($"DELETE FROM blob_parts WHERE {BlobKey} AND blob = @blob AND ordinal = @ordinal", [.. key, ("@ordinal", change.Index)]);
                    }

                    if (change.NewObject is { } written)
                    {
                        EnsureObject(tx, written, account);
                        tx.Execute(
                            "INSERT INTO page_chunks (object_id, pages) VALUES (@object_id, @pages)",
                            ("@object_id", written.ObjectId),
                            ("@pages", change.Pages));
                        tx.Execute(
                            "INSERT INTO blob_parts (account, container, blob, ordinal, block_id, object_id) VALUES (@account, @container, @blob, @ordinal, NULL, @object_id)",
                            key[0],
                            key[1],
                            key[2],
                            ("@ordinal", change.Index),
                            ("@object_id", written.ObjectId));
                    }
                }

                WriteBlobRow(tx, updated, insert: false);
                return (updated, CollectUnreferencedObjects(tx, candidates));
            },
            audit,
            cancellationToken);
    }
}
