// HOST STUB — delete at merge: the storage worktree provides the real SqliteMetadataStore and
// LocalDirectorySite with these exact public signatures. This file exists only so the host compiles.
using Strongroom.Core;

namespace Strongroom.Storage;

public sealed class SqliteMetadataStore : IMetadataStore
{
    private SqliteMetadataStore()
    {
    }

    public static Task<SqliteMetadataStore> OpenAsync(string databasePath, CancellationToken ct = default) => Task.FromResult(new SqliteMetadataStore());

    public Task CreateAccountAsync(AccountRecord account, CancellationToken cancellationToken = default) => throw new NotImplementedException();

    public Task<AccountRecord?> GetAccountAsync(string name, CancellationToken cancellationToken = default) => throw new NotImplementedException();

    public Task<IReadOnlyList<AccountRecord>> ListAccountsAsync(CancellationToken cancellationToken = default) => throw new NotImplementedException();

    public Task UpdateAccountSharedKeysAsync(string name, byte[] wrappedSharedKey1, byte[] wrappedSharedKey2, CancellationToken cancellationToken = default) => throw new NotImplementedException();

    public Task<IReadOnlyList<StoredObject>> DeleteAccountAsync(string name, CancellationToken cancellationToken = default) => throw new NotImplementedException();

    public Task CreateContainerAsync(ContainerRecord container, CancellationToken cancellationToken = default) => throw new NotImplementedException();

    public Task<ContainerRecord?> GetContainerAsync(string account, string name, CancellationToken cancellationToken = default) => throw new NotImplementedException();

    public Task<ContainerPage> ListContainersAsync(string account, string prefix, string? startAtInclusive, int limit, CancellationToken cancellationToken = default) => throw new NotImplementedException();

    public Task<ContainerRecord> SetContainerMetadataAsync(string account, string name, IReadOnlyList<KeyValuePair<string, string>> metadata, string eTag, DateTimeOffset lastModified, Action<ContainerRecord>? precondition = null, CancellationToken cancellationToken = default) => throw new NotImplementedException();

    public Task<IReadOnlyList<StoredObject>> DeleteContainerAsync(string account, string name, Action<ContainerRecord>? precondition = null, CancellationToken cancellationToken = default) => throw new NotImplementedException();

    public Task<BlobRecord?> GetBlobAsync(string account, string container, string name, CancellationToken cancellationToken = default) => throw new NotImplementedException();

    public Task<(BlobRecord Blob, IReadOnlyList<BlobPart> Parts)?> GetBlobWithPartsAsync(string account, string container, string name, CancellationToken cancellationToken = default) => throw new NotImplementedException();

    public Task<IReadOnlyList<BlobRecord>> ListBlobsAsync(BlobListQuery query, CancellationToken cancellationToken = default) => throw new NotImplementedException();

    public Task<IReadOnlyList<StoredObject>> CommitBlobAsync(BlobRecord blob, IReadOnlyList<BlobPart> parts, IReadOnlyCollection<StoredObject> newObjects, Action<BlobRecord?>? precondition = null, CancellationToken cancellationToken = default) => throw new NotImplementedException();

    public Task<BlobRecord> UpdateBlobPropertiesAsync(string account, string container, string name, Func<BlobRecord, BlobRecord> update, CancellationToken cancellationToken = default) => throw new NotImplementedException();

    public Task<IReadOnlyList<StoredObject>> DeleteBlobAsync(string account, string container, string name, Action<BlobRecord>? precondition = null, CancellationToken cancellationToken = default) => throw new NotImplementedException();

    public Task<IReadOnlyList<StoredObject>> PutUncommittedBlockAsync(string account, string container, string blob, UncommittedBlock block, CancellationToken cancellationToken = default) => throw new NotImplementedException();

    public Task<IReadOnlyList<UncommittedBlock>> GetUncommittedBlocksAsync(string account, string container, string blob, CancellationToken cancellationToken = default) => throw new NotImplementedException();

    public Task<IReadOnlySet<string>> ListObjectIdsAsync(string siteId, CancellationToken cancellationToken = default) => Task.FromResult<IReadOnlySet<string>>(new HashSet<string>());

    public ValueTask DisposeAsync() => ValueTask.CompletedTask;
}

public sealed class LocalDirectorySite(string id, string rootDirectory) : ISite
{
    public string Id { get; } = id;

    public string RootDirectory { get; } = rootDirectory;

    public Task<ISiteWrite> BeginWriteAsync(string objectId, CancellationToken cancellationToken = default) => throw new NotImplementedException();

    public Stream OpenRead(string objectId) => throw new NotImplementedException();

    public Task DeleteAsync(string objectId, CancellationToken cancellationToken = default) => throw new NotImplementedException();

    public async IAsyncEnumerable<string> ListObjectIdsAsync([System.Runtime.CompilerServices.EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        await Task.CompletedTask;
        yield break;
    }
}
