using Strongroom.Core;
using Strongroom.Crypto;
using Strongroom.Vault;
using Xunit;

namespace Strongroom.Vault.Tests;

/// <summary>
/// The keyring and seal over <see cref="IVaultFiles"/>: a directory keeps today's files and never
/// checks generations; a shared store (here in memory, counting its reads) is checked before each
/// wrap, so a rotation elsewhere is used at once.
/// </summary>
public sealed class VaultFilesTests : IDisposable
{
    private readonly string directory = Directory.CreateTempSubdirectory("strongroom-vault-files-").FullName;

    public void Dispose() => Directory.Delete(directory, recursive: true);

    private static RootKey FixedRootKey() => new(Enumerable.Range(0, 32).Select(i => (byte)(i * 3)).ToArray());

    [Fact]
    public void A_shared_keyring_wraps_with_a_version_another_instance_rotated_in()
    {
        var files = new MemoryVaultFiles(shared: true);
        using var rootKey = FixedRootKey();
        using var a = Keyring.OpenOrCreate(files, rootKey, new SeededRandomSource(1));
        using var b = Keyring.OpenOrCreate(files, rootKey, new SeededRandomSource(2));
        b.ReloadWhenVersionUnknown = () => b.Reload(rootKey);

        Assert.Equal(1u, KeyWrap.WrappingKeyVersion(b.Wrap("before"u8, "ctx"u8)));
        var generationReads = files.GenerationReads;
        Assert.Equal(2u, a.Rotate(rootKey));

        var wrapped = b.Wrap("after"u8, "ctx"u8);
        Assert.Equal(2u, KeyWrap.WrappingKeyVersion(wrapped));
        Assert.Equal("after"u8.ToArray(), a.Unwrap(wrapped, "ctx"u8));
        Assert.True(files.GenerationReads > generationReads);

        // Unchanged generation: one cheap read per wrap, no reload.
        var reads = files.ContentReads;
        b.Wrap("again"u8, "ctx"u8);
        Assert.Equal(reads, files.ContentReads);
    }

    [Fact]
    public void A_directory_keyring_is_the_same_file_as_before_and_a_wrap_reads_nothing()
    {
        var files = new CountingDirectoryFiles(directory);
        using var rootKey = FixedRootKey();
        using var keyring = Keyring.OpenOrCreate(files, rootKey, new SeededRandomSource(3));
        keyring.ReloadWhenVersionUnknown = () => keyring.Reload(rootKey);
        var generationReads = files.GenerationReads;

        keyring.Wrap("secret"u8, "ctx"u8);
        Assert.Equal(generationReads, files.GenerationReads);

        // The path-based API opens the same file (format v1: magic, version, wrapped payload).
        using var again = Keyring.OpenOrCreate(Path.Combine(directory, VaultFileNames.Keyring), rootKey, new SeededRandomSource(4));
        Assert.Equal(keyring.Versions, again.Versions);
        var bytes = File.ReadAllBytes(Path.Combine(directory, VaultFileNames.Keyring));
        Assert.Equal("SRKR"u8.ToArray(), bytes[..4]);
        if (!OperatingSystem.IsWindows())
        {
            Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(Path.Combine(directory, VaultFileNames.Keyring)));
        }

        Assert.Equal(2u, again.Rotate(rootKey));
        Assert.True(File.Exists(Path.Combine(directory, VaultFileNames.Keyring + ".lock")));
    }

    [Fact]
    public void Directory_create_stops_at_the_first_file_that_exists()
    {
        var files = new DirectoryVaultFiles(directory);
        Assert.True(files.Create([new("one", [1])]));
        Assert.False(files.Create([new("one", [9]), new("two", [2])]));
        Assert.Equal([1], files.Read("one")!.Content);
        Assert.Null(files.Read("two"));
        Assert.Null(files.ReadGeneration("two"));
    }

    private sealed class CountingDirectoryFiles(string directory) : IVaultFiles
    {
        private readonly DirectoryVaultFiles inner = new(directory);

        public int GenerationReads { get; private set; }

        public bool IsShared => inner.IsShared;

        public string Describe(string name) => inner.Describe(name);

        public VaultFile? Read(string name) => inner.Read(name);

        public long? ReadGeneration(string name)
        {
            GenerationReads++;
            return inner.ReadGeneration(name);
        }

        public bool Create(IReadOnlyList<KeyValuePair<string, byte[]>> files) => inner.Create(files);

        public long Update(string name, Func<byte[]?, byte[]> update) => inner.Update(name, update);

        public void Delete(IReadOnlyList<string> names) => inner.Delete(names);
    }

    /// <summary>A shared store in memory: generations as the database keeps them, updates under one lock.</summary>
    private sealed class MemoryVaultFiles(bool shared) : IVaultFiles
    {
        private readonly Lock gate = new();
        private readonly Dictionary<string, VaultFile> files = new(StringComparer.Ordinal);

        public int GenerationReads { get; private set; }

        public int ContentReads { get; private set; }

        public bool IsShared => shared;

        public string Describe(string name) => $"memory:{name}";

        public VaultFile? Read(string name)
        {
            lock (gate)
            {
                ContentReads++;
                return files.TryGetValue(name, out var file) ? file with { Content = [.. file.Content] } : null;
            }
        }

        public long? ReadGeneration(string name)
        {
            lock (gate)
            {
                GenerationReads++;
                return files.TryGetValue(name, out var file) ? file.Generation : null;
            }
        }

        public bool Create(IReadOnlyList<KeyValuePair<string, byte[]>> created)
        {
            lock (gate)
            {
                if (created.Any(file => files.ContainsKey(file.Key)))
                {
                    return false;
                }

                foreach (var (name, content) in created)
                {
                    files[name] = new VaultFile([.. content], 1);
                }

                return true;
            }
        }

        public long Update(string name, Func<byte[]?, byte[]> update)
        {
            lock (gate)
            {
                files.TryGetValue(name, out var current);
                var next = new VaultFile(update(current?.Content), (current?.Generation ?? 0) + 1);
                files[name] = next;
                return next.Generation;
            }
        }

        public void Delete(IReadOnlyList<string> names)
        {
            lock (gate)
            {
                foreach (var name in names)
                {
                    files.Remove(name);
                }
            }
        }
    }
}
