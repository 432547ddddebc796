using Strongroom.Storage;

namespace Strongroom.Blobs.Tests;

/// <summary>
/// A site wrapper that injects faults: the whole site down (every call fails with an
/// IOException, as the failure contract says), writes refused, and a hook that runs just before
/// a write commits (to interleave another operation deterministically).
/// </summary>
public sealed class FaultySite(LocalDirectorySite inner) : ISite, IAsyncDisposable
{
    public LocalDirectorySite Inner => inner;

    public string Id => inner.Id;

    /// <summary>Every call fails (unreachable datacenter).</summary>
    public bool Down { get; set; }

    /// <summary>Writes fail at commit (disk full, refused); reads and deletes work.</summary>
    public bool FailWrites { get; set; }

    /// <summary>Runs before a write's commit, with the object id.</summary>
    public Func<string, Task>? BeforeCommit { get; set; }

    /// <summary>Runs before a read opens the object, with the object id.</summary>
    public Func<string, Task>? BeforeRead { get; set; }

    /// <summary>Every object id this site accepted (committed), in order.</summary>
    public List<string> WrittenIds { get; } = [];

    public async Task<ISiteWrite> BeginWriteAsync(string objectId, CancellationToken cancellationToken = default)
    {
        ThrowIfDown();
        return new Write(this, objectId, await inner.BeginWriteAsync(objectId, cancellationToken));
    }

    public async Task<Stream> OpenReadAsync(string objectId, CancellationToken cancellationToken = default)
    {
        ThrowIfDown();
        if (BeforeRead is { } hook)
        {
            await hook(objectId);
        }

        return await inner.OpenReadAsync(objectId, cancellationToken);
    }

    public Task CheckAsync(CancellationToken cancellationToken = default)
    {
        ThrowIfDown();
        return inner.CheckAsync(cancellationToken);
    }

    public Task DeleteAsync(string objectId, CancellationToken cancellationToken = default)
    {
        ThrowIfDown();
        return inner.DeleteAsync(objectId, cancellationToken);
    }

    public async IAsyncEnumerable<string> ListObjectIdsAsync([System.Runtime.CompilerServices.EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        ThrowIfDown();
        await foreach (var id in inner.ListObjectIdsAsync(cancellationToken))
        {
            yield return id;
        }
    }

    /// <summary>Object ids whose bytes are on the site (directly, ignoring <see cref="Down"/>).</summary>
    public async Task<IReadOnlySet<string>> StoredIdsAsync()
    {
        var ids = new HashSet<string>(StringComparer.Ordinal);
        await foreach (var id in inner.ListObjectIdsAsync())
        {
            ids.Add(id);
        }

        return ids;
    }

    public string? PathOf(string objectId) =>
        Directory.EnumerateFiles(Path.Combine(inner.RootDirectory, "objects"), objectId, SearchOption.AllDirectories).FirstOrDefault();

    public byte[]? Bytes(string objectId) => PathOf(objectId) is { } path ? File.ReadAllBytes(path) : null;

    /// <summary>Flips one byte of the stored copy (bit rot, a torn write).</summary>
    public void Corrupt(string objectId, int offset = 100)
    {
        var path = PathOf(objectId) ?? throw new InvalidOperationException($"{objectId} is not on {Id}");
        var bytes = File.ReadAllBytes(path);
        bytes[offset % bytes.Length] ^= 0x5a;
        File.WriteAllBytes(path, bytes);
    }

    /// <summary>Publishes bytes under an id the store never hears of (a crash between the site write and the metadata commit).</summary>
    public async Task PlantAsync(string objectId, byte[] content)
    {
        await using var write = await inner.BeginWriteAsync(objectId);
        await write.Content.WriteAsync(content);
        await write.CommitAsync();
    }

    public ValueTask DisposeAsync() => inner.DisposeAsync();

    private void ThrowIfDown()
    {
        if (Down)
        {
            throw new IOException($"site {Id} is down (injected)");
        }
    }

    private sealed class Write(FaultySite site, string objectId, ISiteWrite inner) : ISiteWrite
    {
        public Stream Content => inner.Content;

        public async Task CommitAsync(CancellationToken cancellationToken = default)
        {
            if (site.BeforeCommit is { } hook)
            {
                await hook(objectId);
            }

            site.ThrowIfDown();
            if (site.FailWrites)
            {
                throw new IOException($"site {site.Id} refused the write (injected)");
            }

            await inner.CommitAsync(cancellationToken);
            lock (site.WrittenIds)
            {
                site.WrittenIds.Add(objectId);
            }
        }

        public ValueTask DisposeAsync() => inner.DisposeAsync();
    }
}
