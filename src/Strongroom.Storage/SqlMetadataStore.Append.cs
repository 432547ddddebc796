using Strongroom.Core;

namespace Strongroom.Storage;

/// <summary>
/// Append blobs (issue 8). An append blob is a blobs row whose parts are its blocks in order
/// (block_id NULL). Append Block inserts one part after the last in the same transaction that
/// checks the blob and rewrites its row, so concurrent appends are serialised by the single
/// writer: each lands whole, after the one before it, and no earlier part is ever touched.
/// </summary>
public sealed partial class SqlMetadataStore
{
    public Task<AppendedBlock> AppendBlockAsync(string account, string container, string name, StoredObject block, Func<BlobRecord, int, BlobRecord> update, AuditAppend? audit = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(block);
        ArgumentNullException.ThrowIfNull(update);
        return WriteAsync(
            tx =>
            {
                if (ReadContainer(tx, account, container) is null)
                {
                    throw new StorageException(ErrorCode.ContainerNotFound);
                }

                var current = ReadBlob(tx, account, container, name) ?? throw new StorageException(ErrorCode.BlobNotFound);
                (string, object?)[] key = [("@account", account), ("@container", container), ("@blob", name)];
                var count = Convert.ToInt32(tx.Scalar($"SELECT COUNT(*) FROM blob_parts WHERE {BlobKey} AND blob = @blob", key), System.Globalization.CultureInfo.InvariantCulture);
                var updated = update(current, count);
                if (updated.Account != account || updated.Container != container || updated.Name != name)
                {
                    throw new ArgumentException("An update must not rename the blob.", nameof(update));
                }

                Invariant.True(current.BlobType == BlobType.AppendBlob && updated.BlobType == BlobType.AppendBlob, "only an append blob takes an appended block");
                Invariant.True(updated.ContentLength == current.ContentLength + block.PlaintextLength, "an append adds exactly the block's length");
                if (count >= Limits.AppendBlocksMax)
                {
                    throw new StorageException(ErrorCode.CommittedBlockCountExceedsLimit);
                }

                RequireNoLegalHold(tx, account, container, current.LegalHold);
                var last = tx.Scalar($"SELECT MAX(ordinal) FROM blob_parts WHERE {BlobKey} AND blob = @blob", key);
                var ordinal = last is long max ? (int)max + 1 : 0;
                EnsureObject(tx, block, account);
                tx.Execute(
                    "INSERT INTO blob_parts (account, container, blob, ordinal, block_id, object_id) VALUES (@account, @container, @blob, @ordinal, NULL, @object_id)",
                    key[0],
                    key[1],
                    key[2],
                    ("@ordinal", ordinal),
                    ("@object_id", block.ObjectId));
                WriteBlobRow(tx, updated, insert: false);
                return new AppendedBlock(updated, count + 1);
            },
            audit,
            cancellationToken);
    }
}
