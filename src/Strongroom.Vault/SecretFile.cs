namespace Strongroom.Vault;

/// <summary>Key and state files: written whole or not at all (temporary file, fsync, rename), readable by their owner only.</summary>
public static class SecretFile
{
    /// <summary>Returns false when <paramref name="overwrite"/> is false and another writer created
    /// the file first (then that file wins: two different root keys must never both be used).</summary>
    public static bool WriteAtomically(string path, bool overwrite, params byte[][] pieces)
    {
        Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(path))!);
        var temporary = $"{path}.{Environment.ProcessId}.partial";
        var options = new FileStreamOptions { Mode = FileMode.Create, Access = FileAccess.Write };
        if (!OperatingSystem.IsWindows())
        {
            options.UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite;
        }

        using (var stream = new FileStream(temporary, options))
        {
            foreach (var piece in pieces)
            {
                stream.Write(piece);
            }

            stream.Flush(flushToDisk: true);
        }

        try
        {
            File.Move(temporary, path, overwrite);
            return true;
        }
        catch (IOException) when (!overwrite && File.Exists(path))
        {
            File.Delete(temporary);
            return false;
        }
    }
}
