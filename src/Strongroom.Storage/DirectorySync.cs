using System.Runtime.InteropServices;

namespace Strongroom.Storage;

/// <summary>
/// Makes a directory's entries (a rename into it, a new subdirectory) durable.
///
/// POSIX only promises that a rename survives power loss once the directory itself is fsynced.
/// .NET cannot open a directory as a file (File.OpenHandle and FileStream refuse directories
/// with UnauthorizedAccessException on Linux), so this calls open/fsync/close in libc directly.
/// On Windows there is nothing to do: NTFS journals directory changes and FlushFileBuffers on
/// the file already covers them.
/// </summary>
internal static class DirectorySync
{
    private const int ReadOnly = 0;

    public static void Flush(string directory)
    {
        if (OperatingSystem.IsWindows())
        {
            return;
        }

        var descriptor = open(directory, ReadOnly);
        if (descriptor < 0)
        {
            throw new IOException($"Cannot open directory '{directory}' to fsync it (errno {Marshal.GetLastPInvokeError()}).");
        }

        try
        {
            if (fsync(descriptor) != 0)
            {
                // A failed fsync may have dropped dirty pages: the rename is not known to be durable.
                throw new IOException($"fsync of directory '{directory}' failed (errno {Marshal.GetLastPInvokeError()}).");
            }
        }
        finally
        {
            _ = close(descriptor);
        }
    }

#pragma warning disable SYSLIB1054 // LibraryImport would need unsafe code for the string marshaller.
    [DllImport("libc", SetLastError = true)]
    private static extern int open([MarshalAs(UnmanagedType.LPUTF8Str)] string path, int flags);

    [DllImport("libc", SetLastError = true)]
    private static extern int fsync(int descriptor);

    [DllImport("libc", SetLastError = true)]
    private static extern int close(int descriptor);
#pragma warning restore SYSLIB1054
}
