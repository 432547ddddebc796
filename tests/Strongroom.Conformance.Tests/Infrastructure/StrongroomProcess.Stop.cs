using System.Runtime.InteropServices;

namespace Strongroom.Conformance.Tests.Infrastructure;

public sealed partial class StrongroomProcess
{
    private const int SignalTerminate = 15;

    /// <summary>SIGTERM and wait: the server stops gracefully (requests finish, StopServer is recorded, the store closes).</summary>
    public async Task StopGracefullyAsync()
    {
        if (_peer is { _process: not null } peer)
        {
            await peer.StopGracefullyAsync();
        }

        var process = _process ?? throw new InvalidOperationException("The server is not running.");
        if (!process.HasExited && Kill(process.Id, SignalTerminate) != 0)
        {
            throw new InvalidOperationException($"kill(SIGTERM) failed with errno {Marshal.GetLastPInvokeError()}.");
        }

        await process.WaitForExitAsync().WaitAsync(TimeSpan.FromSeconds(60));
        AppendOutput($"---- server stopped (exit code {process.ExitCode}) ----");
        AppendLog($"---- server stopped (exit code {process.ExitCode}) ----");
        process.Dispose();
        _process = null;
    }

    [DllImport("libc", EntryPoint = "kill", SetLastError = true)]
    private static extern int Kill(int pid, int signal);
}
