namespace Strongroom.Storage;

/// <summary>
/// A datacenter's storage backend. A site stores opaque ids and ciphertext only.
/// Architecture invariant: no tenant, container or blob name and no plaintext ever reaches a site.
///
/// Failure contract: every method reports any failure of the site (unreachable, refused, I/O
/// error, timeout) as an <see cref="IOException"/> — <see cref="FileNotFoundException"/> when the
/// object is absent — so callers catch one type; anything else is a bug.
/// </summary>
public interface ISite
{
    string Id { get; }

    /// <summary>Starts writing a new object. Nothing is visible under the id until
    /// <see cref="ISiteWrite.CommitAsync"/> has made it durable; disposing without commit discards it.</summary>
    Task<ISiteWrite> BeginWriteAsync(string objectId, CancellationToken cancellationToken = default);

    /// <summary>Opens a committed object for reading (seekable). Throws <see cref="FileNotFoundException"/> when absent.</summary>
    Task<Stream> OpenReadAsync(string objectId, CancellationToken cancellationToken = default);

    /// <summary>Checks that the site is reachable and writable (a probe); IOException when not.</summary>
    Task CheckAsync(CancellationToken cancellationToken = default);

    Task DeleteAsync(string objectId, CancellationToken cancellationToken = default);

    IAsyncEnumerable<string> ListObjectIdsAsync(CancellationToken cancellationToken = default);
}

public interface ISiteWrite : IAsyncDisposable
{
    Stream Content { get; }

    /// <summary>Flushes, fsyncs and publishes the object atomically under its id.</summary>
    Task CommitAsync(CancellationToken cancellationToken = default);
}
