using System.Runtime.CompilerServices;
using Strongroom.Core;

namespace Strongroom.Storage;

/// <summary>
/// A site on a local file system: <c>root/objects/ab/abcd…</c> holds committed objects,
/// <c>root/tmp</c> holds writes in progress and spare empty files. Only opaque object ids appear
/// in paths.
///
/// A write becomes visible by an atomic rename after its data is fsynced, and the rename itself
/// is made durable by fsyncing the directory, so a committed object survives power loss and a
/// crash never exposes a torn one. Any process may open a root (the CLI does, beside a running
/// server); only the serving process, before it accepts writes, removes what interrupted writes
/// left behind (<see cref="RemoveAbandonedWrites"/>) and keeps spare files
/// (<see cref="StartSpareFiles"/>).
///
/// Creating a file can cost far more than writing and fsyncing a small one (about 0.9 ms against
/// 0.2 ms on the machines this was measured on), so a background task keeps a few empty spare
/// files ready in <c>tmp</c> and a write takes one instead of creating its own; when none is
/// ready the write creates its file itself. Spares are empty and never published, so they need
/// no durability and are deleted like any partial file at the next start.
/// </summary>
public sealed class LocalDirectorySite : ISite, IAsyncDisposable
{
    // Unbuffered: writers hand over whole ciphertext segments, and a FileStream buffer this size
    // would be allocated per write on the large-object heap.
    private const int WriteBufferBytes = 0;

    // Reads come in whole ciphertext segments, which bypass a buffer of this size anyway.
    private const int ReadBufferBytes = 4096;

    private const string PartialSuffix = ".partial";

    private readonly string objectsDirectory;
    private readonly string tmpDirectory;
    private readonly IRandomSource random;
    private readonly System.Collections.Concurrent.ConcurrentQueue<string> spares = new();
    private readonly SemaphoreSlim spareTaken = new(0);
    private readonly CancellationTokenSource stopping = new();
    private Task spareMaker = Task.CompletedTask;
    private int sparesMax;
    private int spareCount;

    public LocalDirectorySite(string id, string rootDirectory, IRandomSource? random = null)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(id);
        ArgumentException.ThrowIfNullOrEmpty(rootDirectory);
        Id = id;
        RootDirectory = Path.GetFullPath(rootDirectory);
        objectsDirectory = Path.Combine(RootDirectory, "objects");
        tmpDirectory = Path.Combine(RootDirectory, "tmp");
        this.random = random ?? SystemRandomSource.Instance;

        Directory.CreateDirectory(tmpDirectory);
        Directory.CreateDirectory(objectsDirectory);
        DirectorySync.Flush(RootDirectory);
    }

    public string Id { get; }

    public string RootDirectory { get; }

    /// <summary>
    /// Deletes partial files: writes that were never acknowledged, and spares. With
    /// <paramref name="lastWrittenBefore"/> null, every one — call so only while no process writes
    /// to this root (a server alone on its store does, at start, before listening). With a time,
    /// only files last written before it: on a root several servers share, the younger ones are
    /// other servers' writes in flight (a live write keeps writing its file) and spares they hold.
    /// Returns how many were removed.
    /// </summary>
    public int RemoveAbandonedWrites(DateTimeOffset? lastWrittenBefore = null)
    {
        var removed = 0;
        foreach (var partial in Directory.EnumerateFiles(tmpDirectory, "*" + PartialSuffix))
        {
            try
            {
                if (lastWrittenBefore is { } cutoff && File.GetLastWriteTimeUtc(partial) >= cutoff.UtcDateTime)
                {
                    continue;
                }

                File.Delete(partial);
                removed++;
            }
            catch (FileNotFoundException)
            {
                // Published or removed by its writer meanwhile.
            }
        }

        return removed;
    }

    /// <summary>Starts keeping up to <paramref name="count"/> spare files ready (once).</summary>
    public void StartSpareFiles(int count = Limits.SiteSpareFilesMax)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(count);
        Invariant.True(sparesMax == 0, "spare files are started once");
        sparesMax = count;
        spareMaker = Task.Run(MakeSparesAsync);
    }

    public Task<ISiteWrite> BeginWriteAsync(string objectId, CancellationToken cancellationToken = default)
    {
        ValidateObjectId(objectId);
        cancellationToken.ThrowIfCancellationRequested();
        if (spares.TryDequeue(out var spare))
        {
            Interlocked.Decrement(ref spareCount);
            spareTaken.Release();
            try
            {
                return Task.FromResult<ISiteWrite>(new Write(this, objectId, spare, OpenPartial(spare, FileMode.Open)));
            }
            catch (FileNotFoundException)
            {
                // Removed behind this process's back: write as if no spare had been ready.
            }
        }

        var partialPath = NewPartialPath();
        var stream = OpenPartial(partialPath, FileMode.CreateNew);
        return Task.FromResult<ISiteWrite>(new Write(this, objectId, partialPath, stream));
    }

    private static FileStream OpenPartial(string path, FileMode mode) =>
        new(path, new FileStreamOptions
        {
            Mode = mode,
            Access = FileAccess.Write,
            Share = FileShare.None,
            Options = FileOptions.Asynchronous | FileOptions.SequentialScan,
            BufferSize = WriteBufferBytes,
        });

    public Task<Stream> OpenReadAsync(string objectId, CancellationToken cancellationToken = default)
    {
        ValidateObjectId(objectId);
        cancellationToken.ThrowIfCancellationRequested();
        try
        {
            return Task.FromResult<Stream>(new FileStream(ObjectPath(objectId), new FileStreamOptions
            {
                Mode = FileMode.Open,
                Access = FileAccess.Read,

                // Delete: an object may be removed (after its blob is deleted) while a read that
                // started earlier is still streaming it.
                Share = FileShare.Read | FileShare.Delete,
                Options = FileOptions.Asynchronous | FileOptions.RandomAccess,
                BufferSize = ReadBufferBytes,
            }));
        }
        catch (DirectoryNotFoundException exception)
        {
            throw new FileNotFoundException($"Object {objectId} does not exist on site {Id}.", exception);
        }
        catch (UnauthorizedAccessException exception)
        {
            throw new IOException($"Object {objectId} cannot be read on site {Id}.", exception);
        }
    }

    /// <summary>The site is usable when its directories exist and a file can be created in <c>tmp</c>.</summary>
    public Task CheckAsync(CancellationToken cancellationToken = default)
    {
        cancellationToken.ThrowIfCancellationRequested();
        try
        {
            if (!Directory.Exists(objectsDirectory))
            {
                throw new IOException($"Site {Id}: {objectsDirectory} does not exist.");
            }

            var probe = NewPartialPath();
            File.OpenHandle(probe, FileMode.CreateNew, FileAccess.Write).Dispose();
            File.Delete(probe);
            return Task.CompletedTask;
        }
        catch (UnauthorizedAccessException exception)
        {
            throw new IOException($"Site {Id} is not writable.", exception);
        }
    }

    /// <summary>
    /// Removes the object; absent is not an error (deletes are retried by sweeps). The directory
    /// is not fsynced: a delete lost to a crash leaves an orphan that the next sweep removes, and
    /// the ciphertext is unreadable once its wrapped key is gone.
    /// </summary>
    public Task DeleteAsync(string objectId, CancellationToken cancellationToken = default)
    {
        ValidateObjectId(objectId);
        cancellationToken.ThrowIfCancellationRequested();
        try
        {
            File.Delete(ObjectPath(objectId));
        }
        catch (DirectoryNotFoundException)
        {
        }

        return Task.CompletedTask;
    }

    public async IAsyncEnumerable<string> ListObjectIdsAsync([EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        await Task.CompletedTask.ConfigureAwait(false);
        foreach (var shard in Directory.EnumerateDirectories(objectsDirectory))
        {
            foreach (var file in Directory.EnumerateFiles(shard))
            {
                cancellationToken.ThrowIfCancellationRequested();
                var name = Path.GetFileName(file);

                // Anything else in the tree was not put there by this class; it is not an object.
                if (IsValidObjectId(name) && string.Equals(ObjectPath(name), file, StringComparison.Ordinal))
                {
                    yield return name;
                }
            }
        }
    }

    /// <summary>Object ids are 32 lowercase hex characters; nothing else may become a path.</summary>
    public static bool IsValidObjectId(string? objectId) =>
        objectId is { Length: 32 } && objectId.All(c => c is >= '0' and <= '9' or >= 'a' and <= 'f');

    private static void ValidateObjectId(string objectId)
    {
        if (!IsValidObjectId(objectId))
        {
            throw new ArgumentException("An object id is 32 lowercase hexadecimal characters.", nameof(objectId));
        }
    }

    public async ValueTask DisposeAsync()
    {
        if (stopping.IsCancellationRequested)
        {
            return;
        }

        await stopping.CancelAsync().ConfigureAwait(false);
        await spareMaker.ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        while (spares.TryDequeue(out var spare))
        {
            File.Delete(spare);
        }

        stopping.Dispose();
    }

    private string NewPartialPath() => Path.Combine(tmpDirectory, random.NewOpaqueId() + PartialSuffix);

    /// <summary>Keeps up to <c>sparesMax</c> spares, creating a few at a time
    /// in parallel because creation is latency, not work. Stops quietly on dispose or when the
    /// directory goes away (writes then create their own files, as without spares).</summary>
    private async Task MakeSparesAsync()
    {
        try
        {
            while (!stopping.IsCancellationRequested)
            {
                var missing = sparesMax - Volatile.Read(ref spareCount);
                if (missing <= 0)
                {
                    await spareTaken.WaitAsync(stopping.Token).ConfigureAwait(false);
                    continue;
                }

                await Task.WhenAll(Enumerable.Range(0, Math.Min(missing, Limits.SiteSpareFilesCreatedAtOnce)).Select(_ => Task.Run(MakeSpare))).ConfigureAwait(false);
            }
        }
        catch (OperationCanceledException)
        {
        }
        catch (IOException)
        {
        }
        catch (UnauthorizedAccessException)
        {
        }
    }

    private void MakeSpare()
    {
        var path = NewPartialPath();
        File.OpenHandle(path, FileMode.CreateNew, FileAccess.Write).Dispose();
        spares.Enqueue(path);
        Interlocked.Increment(ref spareCount);
    }

    /// <summary>Objects spread over 256 shard directories by the first byte of their id.</summary>
    private string ObjectPath(string objectId) =>
        Path.Combine(objectsDirectory, objectId[..2], objectId);

    /// <summary>
    /// Creates a shard directory the first time an object is published into it, and makes the
    /// new directory durable before the object is moved in. A deployment has many sites and most
    /// see few objects at first, so shards are made when needed rather than all 256 up front; after
    /// the first object a publish never creates a directory: one file fsync, a rename and one shard fsync.
    /// </summary>
    private void CreateShardDirectory(string shardPath)
    {
        Directory.CreateDirectory(shardPath);
        DirectorySync.Flush(objectsDirectory);
    }

    private sealed class Write(LocalDirectorySite site, string objectId, string partialPath, FileStream stream) : ISiteWrite
    {
        private bool finished;

        public Stream Content => stream;

        public async Task CommitAsync(CancellationToken cancellationToken = default)
        {
            ObjectDisposedException.ThrowIf(finished, this);
            await stream.FlushAsync(cancellationToken).ConfigureAwait(false);
            stream.Flush(flushToDisk: true);
            await stream.DisposeAsync().ConfigureAwait(false);

            var destination = site.ObjectPath(objectId);

            // Objects are immutable: overwriting one would be an id collision or a replayed write,
            // both bugs, so the move refuses and the caller sees the IOException.
            try
            {
                File.Move(partialPath, destination, overwrite: false);
            }
            catch (DirectoryNotFoundException)
            {
                site.CreateShardDirectory(Path.GetDirectoryName(destination)!);
                File.Move(partialPath, destination, overwrite: false);
            }

            finished = true;
            DirectorySync.Flush(Path.GetDirectoryName(destination)!);
        }

        public async ValueTask DisposeAsync()
        {
            if (finished)
            {
                return;
            }

            finished = true;
            await stream.DisposeAsync().ConfigureAwait(false);
            File.Delete(partialPath);
        }
    }
}
