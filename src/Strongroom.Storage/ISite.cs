namespace Strongroom.Storage;

/// <summary>
/// A datacenter's storage. A site stores opaque ids and ciphertext only.
/// Architecture invariant: no tenant, container or blob name and no plaintext ever reaches a site.
/// </summary>
public interface ISite
{
    string Id { get; }

    /// <summary>Starts writing a new object. Nothing is visible under the id until
    /// <see cref="ISiteWrite.CommitAsync"/> has made it durable; disposing without commit discards it.</summary>
    Task<ISiteWrite> BeginWriteAsync(string objectId, CancellationToken cancellationToken = default);

    /// <summary>Opens a committed object for reading (seekable). Throws <see cref="FileNotFoundException"/> when absent.</summary>
    Stream OpenRead(string objectId);

    Task DeleteAsync(string objectId, CancellationToken cancellationToken = default);

    IAsyncEnumerable<string> ListObjectIdsAsync(CancellationToken cancellationToken = default);
}

public interface ISiteWrite : IAsyncDisposable
{
    Stream Content { get; }

    /// <summary>Flushes, fsyncs and publishes the object atomically under its id.</summary>
    Task CommitAsync(CancellationToken cancellationToken = default);
}
