using Strongroom.Core;

namespace Strongroom.Storage;

// Access tiers (issue 8, copy): Set Blob Tier on a blob, version or snapshot.
public sealed partial class SqlMetadataStore : IBlobTierStore
{
    public async Task<AccessTier?> SetBlobAccessTierAsync(string account, string container, string blob, BlobInstanceKind? instanceKind, string? instanceId, AccessTier tier, DateTimeOffset changedOn, Action<BlobRecord>? precondition = null, AuditAppend? audit = null, CancellationToken cancellationToken = default)
    {
        var change = await WriteAsync(
            tx =>
            {
                if (ReadContainer(tx, account, container) is null)
                {
                    throw new StorageException(ErrorCode.ContainerNotFound);
                }

                var current = ReadBlob(tx, account, container, blob);
                if (instanceId is null || (instanceKind == BlobInstanceKind.Version && current is not null && string.Equals(current.VersionId, instanceId, StringComparison.Ordinal)))
                {
                    if (current is null)
                    {
                        throw new StorageException(instanceId is null ? ErrorCode.BlobNotFound : ErrorCode.VersionNotFound);
                    }

                    precondition?.Invoke(current);
                    if (current.AccessTier != tier)
                    {
                        tx.Execute(
                            $"UPDATE blobs SET access_tier = @tier, access_tier_changed_on = @changed WHERE {BlobKey} AND name = @name",
                            ("@account", account),
                            ("@container", container),
                            ("@name", blob),
                            ("@tier", AccessTiers.Name(tier)),
                            ("@changed", ToTicks(changedOn)));
                    }

                    return new TierChange(current.AccessTier);
                }

                using (var reader = tx.Query(
                    $"SELECT access_tier FROM blob_instances WHERE {BlobKey} AND name = @name AND instance_id = @instance AND kind = @kind AND deleted_on IS NULL",
                    ("@account", account),
                    ("@container", container),
                    ("@name", blob),
                    ("@instance", instanceId),
                    ("@kind", (int)(instanceKind ?? BlobInstanceKind.Version))))
                {
                    if (!reader.Read())
                    {
                        throw new StorageException(ErrorCode.VersionNotFound);
                    }

                    var previous = reader.IsDBNull(0) ? (AccessTier?)null : AccessTiers.Parse(reader.GetString(0));
                    if (previous == tier)
                    {
                        return new TierChange(previous);
                    }

                    reader.Close();
                    tx.Execute(
                        $"UPDATE blob_instances SET access_tier = @tier, access_tier_changed_on = @changed WHERE {BlobKey} AND name = @name AND instance_id = @instance AND kind = @kind AND deleted_on IS NULL",
                        ("@account", account),
                        ("@container", container),
                        ("@name", blob),
                        ("@instance", instanceId),
                        ("@kind", (int)(instanceKind ?? BlobInstanceKind.Version)),
                        ("@tier", AccessTiers.Name(tier)),
                        ("@changed", ToTicks(changedOn)));
                    return new TierChange(previous);
                }
            },
            audit,
            cancellationToken).ConfigureAwait(false);
        return change.Previous;
    }

    /// <summary>A non-null result for the audited write (null would mean "nothing changed").</summary>
    private sealed record TierChange(AccessTier? Previous);
}
