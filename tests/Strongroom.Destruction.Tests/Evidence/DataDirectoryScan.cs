namespace Strongroom.Destruction.Tests.Evidence;

/// <summary>A byte sequence that must not be found at rest, with what it is (never the bytes themselves in a message).</summary>
public sealed record Needle(string Label, byte[] Bytes);

/// <summary>Where a needle was found: the file (relative to the scanned root) and the byte offset.</summary>
public sealed record Finding(string File, long Offset, string Label)
{
    public override string ToString() => $"{Label} in {File} at offset {Offset}";
}

/// <summary>
/// Reads every regular file under a data directory — the metadata database and its -wal, -shm and
/// -journal files, every site's objects (also those moved aside while the site is "offline"),
/// spare and temporary files, the seal and keyring, logs, TLS material — as anyone holding the disk
/// could, and reports every occurrence of every needle. Symbolic links are not followed (a broken
/// site's <c>objects</c> is a link to itself); sockets are skipped (they hold no bytes).
/// </summary>
public static class DataDirectoryScan
{
    private static readonly EnumerationOptions Everything = new()
    {
        RecurseSubdirectories = true,
        AttributesToSkip = FileAttributes.ReparsePoint,
        IgnoreInaccessible = false,
        ReturnSpecialDirectories = false,
    };

    /// <summary>Every regular file under <paramref name="root"/>, relative paths, sorted.</summary>
    public static IReadOnlyList<string> Files(string root) =>
        [.. Directory.EnumerateFiles(root, "*", Everything)
            .Where(IsRegularFile)
            .Select(path => Path.GetRelativePath(root, path))
            .Order(StringComparer.Ordinal)];

    public static IReadOnlyList<Finding> Scan(string root, IEnumerable<Needle> needles)
    {
        var list = needles.ToList();
        foreach (var needle in list)
        {
            if (needle.Bytes.Length < 16)
            {
                throw new ArgumentException($"needle {needle.Label} is {needle.Bytes.Length} bytes: too short to be unique", nameof(needles));
            }
        }

        var findings = new List<Finding>();
        foreach (var relative in Files(root))
        {
            var bytes = ReadShared(Path.Combine(root, relative));
            foreach (var needle in list)
            {
                var start = 0;
                while (start <= bytes.Length - needle.Bytes.Length)
                {
                    var at = bytes.AsSpan(start).IndexOf(needle.Bytes);
                    if (at < 0)
                    {
                        break;
                    }

                    findings.Add(new Finding(relative, start + at, needle.Label));
                    start += at + 1;
                }
            }
        }

        return findings;
    }

    /// <summary>Fails listing every finding (at most 50) when any needle is found.</summary>
    public static void AssertAbsent(string root, IEnumerable<Needle> needles, string when)
    {
        var list = needles.ToList();
        Assert.NotEmpty(list);
        var findings = Scan(root, list);
        Assert.True(
            findings.Count == 0,
            $"{when}: {findings.Count} finding(s) of {list.Count} needle(s) under the data directory:\n{string.Join('\n', findings.Take(50))}");
    }

    /// <summary>Reads a file another process (the server) may be writing: the bytes as they are now.</summary>
    public static byte[] ReadShared(string path)
    {
        using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete);
        using var copy = new MemoryStream();
        stream.CopyTo(copy);
        return copy.ToArray();
    }

    private static bool IsRegularFile(string path)
    {
        // A Unix socket (the control socket) enumerates as a file but cannot be opened for reading.
        var info = new FileInfo(path);
        return info.LinkTarget is null && !path.EndsWith(".sock", StringComparison.Ordinal);
    }
}
