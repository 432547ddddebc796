namespace Strongroom.Vault;

/// <summary>
/// The vault's files in a data directory (one server): each written whole or not at all, mode
/// 0600 (<see cref="SecretFile"/>); an update holds <c>&lt;file&gt;.lock</c> exclusively, so the
/// CLI beside a server never loses a version the other saved. Generations are not tracked (always
/// 0): nothing else shares these files but processes on the same machine, which re-read on demand.
/// </summary>
public sealed class DirectoryVaultFiles : IVaultFiles
{
    private const int LockAttemptsMax = 250;
    private static readonly TimeSpan LockRetryDelay = TimeSpan.FromMilliseconds(20);

    private readonly string directory;
    private readonly Dictionary<string, string> paths = new(StringComparer.Ordinal);

    /// <summary>The files named <see cref="VaultFileNames"/> in <paramref name="directory"/>.</summary>
    public DirectoryVaultFiles(string directory)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(directory);
        this.directory = Path.GetFullPath(directory);
    }

    /// <summary>The seal and the keyring at paths of their own (tests and tools).</summary>
    public DirectoryVaultFiles(string sealPath, string keyringPath)
        : this(Path.GetDirectoryName(Path.GetFullPath(sealPath))!)
    {
        paths[VaultFileNames.Seal] = sealPath;
        paths[VaultFileNames.Keyring] = keyringPath;
    }

    public bool IsShared => false;

    /// <summary>The path of <paramref name="name"/>.</summary>
    public string PathOf(string name) => paths.TryGetValue(name, out var path) ? path : Path.Combine(directory, name);

    public string Describe(string name) => PathOf(name);

    public VaultFile? Read(string name)
    {
        try
        {
            return new VaultFile(File.ReadAllBytes(PathOf(name)), Generation: 0);
        }
        catch (FileNotFoundException)
        {
            return null;
        }
        catch (DirectoryNotFoundException)
        {
            return null;
        }
    }

    public long? ReadGeneration(string name) => File.Exists(PathOf(name)) ? 0 : null;

    public bool Create(IReadOnlyList<KeyValuePair<string, byte[]>> files)
    {
        ArgumentNullException.ThrowIfNull(files);
        foreach (var (name, content) in files)
        {
            if (!SecretFile.WriteAtomically(PathOf(name), overwrite: false, content))
            {
                return false;
            }
        }

        return true;
    }

    public long Update(string name, Func<byte[]?, byte[]> update)
    {
        ArgumentNullException.ThrowIfNull(update);
        var path = PathOf(name);
        using var fileLock = AcquireFileLock(path);
        var replacement = update(Read(name)?.Content);
        SecretFile.WriteAtomically(path, overwrite: true, replacement);
        return 0;
    }

    public void Delete(IReadOnlyList<string> names)
    {
        ArgumentNullException.ThrowIfNull(names);
        foreach (var name in names)
        {
            File.Delete(PathOf(name));
        }
    }

    private static FileStream AcquireFileLock(string path)
    {
        for (var attempt = 1; ; attempt++)
        {
            try
            {
                return new FileStream($"{path}.lock", FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None);
            }
            catch (IOException) when (attempt < LockAttemptsMax)
            {
                Thread.Sleep(LockRetryDelay);
            }
        }
    }
}
