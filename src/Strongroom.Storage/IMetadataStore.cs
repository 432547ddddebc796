using Strongroom.Core;

namespace Strongroom.Storage;

/// <summary>
/// Where all metadata lives. SQLite implements it for one process; PostgreSQL will implement the
/// same contract to scale out. Services call only this interface: no SQL above this layer.
///
/// Contract:
/// - Every method is atomic. Methods taking a <c>precondition</c> invoke it inside the same
///   transaction with the current row (null when absent); it throws <see cref="StorageException"/>
///   to abort, and then nothing changes.
/// - Methods that drop stored objects return them so the caller removes their ciphertext from
///   the sites after the commit (a crash in between leaves only orphans, which
///   <see cref="ListObjectIdsAsync"/> lets a sweep find).
/// - Missing parents raise <see cref="ErrorCode.ContainerNotFound"/> (or AccountNotFound).
/// - A write given an <c>audit</c> entry appends it to its log in the same transaction, after the
///   write's own work succeeded: both commit or neither does. A write that throws (a failed
///   precondition included), or that returns null because it found nothing to change, appends nothing.
/// </summary>
public interface IMetadataStore : IAsyncDisposable
{
    // Accounts
    Task CreateAccountAsync(AccountRecord account, AuditAppend? audit = null, CancellationToken cancellationToken = default);

    Task<AccountRecord?> GetAccountAsync(string name, CancellationToken cancellationToken = default);

    Task<IReadOnlyList<AccountRecord>> ListAccountsAsync(CancellationToken cancellationToken = default);

    Task UpdateAccountSharedKeysAsync(string name, byte[] wrappedSharedKey1, byte[] wrappedSharedKey2, AuditAppend? audit = null, CancellationToken cancellationToken = default);

    /// <summary>Replaces the account's data-protection settings (issue 7). AccountNotFound when absent;
    /// InvalidDataProtectionSetting when a retention is outside 1–365 days.</summary>
    Task SetDataProtectionAsync(string name, DataProtectionSettings settings, AuditAppend? audit = null, CancellationToken cancellationToken = default);

    // No method deletes an account: an account ends by crypto-shredding (IDestructionStore:
    // closed, then destroyed; its row, its name and its log stay).

    // Containers
    Task CreateContainerAsync(ContainerRecord container, AuditAppend? audit = null, CancellationToken cancellationToken = default);

    Task<ContainerRecord?> GetContainerAsync(string account, string name, CancellationToken cancellationToken = default);

    /// <summary>Containers in ordinal name order with the prefix, starting at <paramref name="startAtInclusive"/>.
    /// <see cref="ContainerPage.NextName"/> is the first name not returned, or null at the end.</summary>
    Task<ContainerPage> ListContainersAsync(string account, string prefix, string? startAtInclusive, int limit, CancellationToken cancellationToken = default);

    Task<ContainerRecord> SetContainerMetadataAsync(string account, string name, IReadOnlyList<KeyValuePair<string, string>> metadata, string eTag, DateTimeOffset lastModified, Action<ContainerRecord>? precondition = null, AuditAppend? audit = null, CancellationToken cancellationToken = default);

    Task<IReadOnlyList<StoredObject>> DeleteContainerAsync(string account, string name, Action<ContainerRecord>? precondition = null, AuditAppend? audit = null, CancellationToken cancellationToken = default);

    // Blobs
    Task<BlobRecord?> GetBlobAsync(string account, string container, string name, CancellationToken cancellationToken = default);

    /// <summary>The committed content of a blob, ordered by <see cref="BlobPart.Ordinal"/>. Returned
    /// together with the record it belongs to, read in one snapshot, or null when absent.</summary>
    Task<(BlobRecord Blob, IReadOnlyList<BlobPart> Parts)?> GetBlobWithPartsAsync(string account, string container, string name, CancellationToken cancellationToken = default);

    /// <summary>Blobs in ordinal name order (UTF-8 byte order) with the prefix, at most <c>Limit</c>.</summary>
    Task<IReadOnlyList<BlobRecord>> ListBlobsAsync(BlobListQuery query, CancellationToken cancellationToken = default);

    /// <summary>
    /// Creates or replaces a blob with the given parts. <paramref name="newObjects"/> (written by
    /// this request) are recorded; every other object a part references must already be recorded
    /// (an uncommitted block or a committed block of this blob), else the commit fails with
    /// InvalidBlockList and nothing changes — so a concurrent write that dropped an object can never
    /// be undone. All uncommitted blocks of the blob are discarded. Returns the objects no longer
    /// referenced by anything.
    /// </summary>
    Task<IReadOnlyList<StoredObject>> CommitBlobAsync(BlobRecord blob, IReadOnlyList<BlobPart> parts, IReadOnlyCollection<StoredObject> newObjects, Action<BlobRecord?>? precondition = null, AuditAppend? audit = null, CancellationToken cancellationToken = default);

    Task<BlobRecord> UpdateBlobPropertiesAsync(string account, string container, string name, Func<BlobRecord, BlobRecord> update, AuditAppend? audit = null, CancellationToken cancellationToken = default);

    Task<IReadOnlyList<StoredObject>> DeleteBlobAsync(string account, string container, string name, Action<BlobRecord>? precondition = null, AuditAppend? audit = null, CancellationToken cancellationToken = default);

    // Versions, snapshots and soft-deleted blobs (issue 7; SqlMetadataStore.Versions.cs)

    /// <summary>
    /// <see cref="CommitBlobAsync(BlobRecord, IReadOnlyList{BlobPart}, IReadOnlyCollection{StoredObject}, Action{BlobRecord?}?, AuditAppend?, CancellationToken)"/>
    /// that keeps the replaced current blob as the instance <paramref name="archive"/> returns for it
    /// (null: dropped). Overwriting a blob under a legal hold (its own or its container's) is
    /// BlobImmutableDueToLegalHold unless it is kept as a previous version. A soft-deleted blob of
    /// the name becomes a soft-deleted snapshot (Azure: a write over a soft-deleted blob). A new
    /// version id on <paramref name="blob"/> must be past every id the blob's instances and current
    /// version have, else <see cref="InstanceIdTakenException"/> and nothing changes.
    /// </summary>
    Task<IReadOnlyList<StoredObject>> CommitBlobAsync(BlobRecord blob, IReadOnlyList<BlobPart> parts, IReadOnlyCollection<StoredObject> newObjects, Action<BlobRecord?>? precondition, Func<BlobRecord, BlobArchive?>? archive, AuditAppend? audit = null, CancellationToken cancellationToken = default);

    /// <summary>Update of the current blob that keeps the replaced state as the instance <paramref name="archive"/> returns (null: none); a new version id as for CommitBlobAsync.</summary>
    Task<BlobRecord> UpdateBlobPropertiesAsync(string account, string container, string name, Func<BlobRecord, BlobRecord> update, Func<BlobRecord, BlobArchive?>? archive, AuditAppend? audit = null, CancellationToken cancellationToken = default);

    /// <summary>
    /// Deletes the current blob, keeping it as the instance <paramref name="archive"/> returns (null:
    /// dropped). Its live snapshots go as <paramref name="snapshots"/> says; null refuses the delete
    /// with SnapshotsPresent when it has any. BlobImmutableDueToLegalHold under a hold.
    /// </summary>
    Task<IReadOnlyList<StoredObject>> DeleteBlobAsync(string account, string container, string name, Action<BlobRecord>? precondition, Func<BlobRecord, BlobArchive?>? archive, InstanceDeletion? snapshots, AuditAppend? audit = null, CancellationToken cancellationToken = default);

    /// <summary>An instance of any kind (soft-deleted ones included) with its parts, or null.</summary>
    Task<(BlobInstance Instance, IReadOnlyList<BlobPart> Parts)?> GetBlobInstanceWithPartsAsync(string account, string container, string name, string instanceId, CancellationToken cancellationToken = default);

    /// <summary>Current blobs and instances in listing order (see <see cref="BlobEntryQuery"/>). ContainerNotFound.</summary>
    Task<IReadOnlyList<BlobEntry>> ListBlobEntriesAsync(BlobEntryQuery query, CancellationToken cancellationToken = default);

    /// <summary>
    /// Deletes the instance <paramref name="instanceId"/> of <paramref name="kind"/>: soft (sets its
    /// deleted_on and purge_on) or permanent (returns the objects no longer referenced).
    /// VersionNotFound when absent; BlobImmutableDueToLegalHold under a hold.
    /// </summary>
    Task<IReadOnlyList<StoredObject>> DeleteBlobInstanceAsync(string account, string container, string name, string instanceId, BlobInstanceKind kind, InstanceDeletion deletion, Action<BlobInstance>? precondition = null, AuditAppend? audit = null, CancellationToken cancellationToken = default);

    /// <summary>Deletes only the blob's live snapshots (x-ms-delete-snapshots: only). BlobNotFound without a current blob.</summary>
    Task<IReadOnlyList<StoredObject>> DeleteBlobSnapshotsAsync(string account, string container, string name, InstanceDeletion deletion, AuditAppend? audit = null, CancellationToken cancellationToken = default);

    /// <summary>
    /// Undelete Blob: restores the soft-deleted blob as current when <paramref name="restoreBlob"/>
    /// and there is no current blob, and every soft-deleted snapshot and version of the name.
    /// Returns how many were restored; BlobNotFound when the name has no blob and no instance.
    /// </summary>
    Task<int> UndeleteBlobAsync(string account, string container, string name, bool restoreBlob, AuditAppend? audit = null, CancellationToken cancellationToken = default);

    // Append blobs (issue 8; SqlMetadataStore.Append.cs)

    /// <summary>
    /// Append Block: <paramref name="block"/> (written by this request) becomes the append blob's
    /// next part, in one transaction with <paramref name="update"/>, which receives the current blob
    /// and its committed block count, checks them (type, seal, conditions) and returns the new
    /// record (same name, length grown by the block's). Appends are serialised: none is lost, none
    /// lands between another's check and commit. ContainerNotFound, BlobNotFound,
    /// CommittedBlockCountExceedsLimit (at <see cref="Limits.AppendBlocksMax"/>), BlobImmutableDueToLegalHold.
    /// </summary>
    Task<AppendedBlock> AppendBlockAsync(string account, string container, string name, StoredObject block, Func<BlobRecord, int, BlobRecord> update, AuditAppend? audit = null, CancellationToken cancellationToken = default);

    // Blocks
    /// <summary>Stages a block (replacing one staged earlier with the same id, whose object is returned).
    /// Fails with ContainerNotFound when the container is missing and BlockCountExceedsLimit past the limit.</summary>
    Task<IReadOnlyList<StoredObject>> PutUncommittedBlockAsync(string account, string container, string blob, UncommittedBlock block, AuditAppend? audit = null, CancellationToken cancellationToken = default);

    Task<IReadOnlyList<UncommittedBlock>> GetUncommittedBlocksAsync(string account, string container, string blob, CancellationToken cancellationToken = default);

    // Encryption scopes
    /// <summary>Records a new scope. AccountNotFound, EncryptionScopeAlreadyExists, or
    /// EncryptionScopeCountExceedsLimit past <see cref="Limits.EncryptionScopesPerAccountMax"/>.</summary>
    Task CreateEncryptionScopeAsync(EncryptionScopeRecord scope, AuditAppend? audit = null, CancellationToken cancellationToken = default);

    Task<EncryptionScopeRecord?> GetEncryptionScopeAsync(string account, string name, CancellationToken cancellationToken = default);

    /// <summary>An account's scopes in name order.</summary>
    Task<IReadOnlyList<EncryptionScopeRecord>> ListEncryptionScopesAsync(string account, CancellationToken cancellationToken = default);

    /// <summary>Enables or disables a scope and returns it. EncryptionScopeNotFound when absent.</summary>
    Task<EncryptionScopeRecord> SetEncryptionScopeStateAsync(string account, string name, EncryptionScopeState state, AuditAppend? audit = null, CancellationToken cancellationToken = default);

    // Objects
    /// <summary>Every object id the store references on a site (for the orphan sweep).</summary>
    Task<IReadOnlySet<string>> ListObjectIdsAsync(string siteId, CancellationToken cancellationToken = default);

    // Key versions and rewrapping (the store sees wrapped bytes only)

    /// <summary>Every key-encryption-key version of the account, oldest first (empty when the account is absent).</summary>
    Task<IReadOnlyList<AccountKeyEncryptionKey>> ListAccountKeyEncryptionKeysAsync(string account, CancellationToken cancellationToken = default);

    /// <summary>
    /// Adds the account's next key-encryption-key version (the newest becomes current). Inside the
    /// transaction, <paramref name="wrap"/> receives the new version number and returns the new key
    /// wrapped (bound to that version). AccountNotFound when the account is absent.
    /// </summary>
    Task<AccountKeyEncryptionKey> AddAccountKeyEncryptionKeyAsync(string account, Func<uint, byte[]> wrap, DateTimeOffset createdOn, AuditAppend? audit = null, CancellationToken cancellationToken = default);

    /// <summary>
    /// Stored objects' wrapped data keys with the blob each belongs to (committed or staged), in
    /// object id order after <paramref name="afterObjectId"/> (null: from the start), scanning at
    /// most <paramref name="limit"/> objects.
    /// </summary>
    Task<ObjectKeyPage> ListObjectKeysAsync(string? afterObjectId, int limit, CancellationToken cancellationToken = default);

    /// <summary>
    /// Applies each compare-and-swap in one transaction (at most <see cref="Limits.RewrapBatchMax"/>);
    /// a replacement whose stored bytes differ from its expected bytes, or whose row is gone, is
    /// skipped. Returns how many were applied.
    /// </summary>
    Task<int> ReplaceWrappedKeysAsync(IReadOnlyList<WrappedKeyReplacement> replacements, CancellationToken cancellationToken = default);
}

/// <summary>
/// A write stamped the blob with a version, snapshot or deletion id that is not new for it: an
/// instance already has that id, or (for a version id) a newer one. One server's ids strictly
/// increase, but two servers of a deployment can stamp one blob in the same clock tick, or out of
/// order when their clocks differ. Nothing was written; the writer stamps again past
/// <paramref name="NewestId"/>.
/// </summary>
public sealed class InstanceIdTakenException(string newestId) : Exception("The blob already has an instance with this id or a newer one.")
{
    public string NewestId { get; } = newestId;
}
