using System.Net.Sockets;
using System.Text;
using System.Text.Json;
using Strongroom.Core;

namespace Strongroom.Server;

/// <summary>A CLI command to run inside the server: its arguments, its standard input (already read by the client) and the client's working directory (to resolve relative paths).</summary>
public sealed record ControlRequest(IReadOnlyList<string> Args, string Input, string WorkingDirectory);

/// <summary>What the command printed and its exit code.</summary>
public sealed record ControlResponse(int ExitCode, string Output, string Error);

/// <summary>
/// The running server's control socket: a Unix domain socket in the data directory
/// (<see cref="DataDirectory.ControlSocketPath"/>, mode 0600 in a 0700 directory), so only the
/// service user (the local administrator) can use it. Each connection carries one command: the
/// client writes a JSON <see cref="ControlRequest"/> and shuts down its sending side; the server
/// runs it and answers with a JSON <see cref="ControlResponse"/>. The socket carries shares (for
/// <c>unseal</c> and <c>rekey</c>) and printed keys: nothing received or sent is logged.
/// </summary>
public sealed class ControlSocketListener : IAsyncDisposable
{
    private readonly Socket socket;
    private readonly string path;
    private readonly Func<ControlRequest, CancellationToken, Task<ControlResponse>> run;
    private readonly CancellationTokenSource stopping = new();
    private readonly SemaphoreSlim concurrency = new(Limits.ControlCommandsConcurrentMax);
    private readonly Task acceptLoop;

    private ControlSocketListener(Socket socket, string path, Func<ControlRequest, CancellationToken, Task<ControlResponse>> run)
    {
        this.socket = socket;
        this.path = path;
        this.run = run;
        acceptLoop = Task.Run(AcceptLoopAsync);
    }

    /// <summary>
    /// Binds the socket. Refuses when a server already answers on it (two servers must never
    /// serve one data directory); removes a stale socket file a crashed server left.
    /// </summary>
    public static async Task<ControlSocketListener> StartAsync(DataDirectory directory, Func<ControlRequest, CancellationToken, Task<ControlResponse>> run, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(directory);
        ArgumentNullException.ThrowIfNull(run);
        var path = directory.ControlSocketPath;
        var endpoint = Endpoint(path);
        if (File.Exists(path))
        {
            if (await ControlClient.IsListeningAsync(directory, cancellationToken).ConfigureAwait(false))
            {
                throw new ServerStartException($"A Strongroom server is already running on {directory.Root} (it answers on {path}). Stop it first, or use another data directory.");
            }

            File.Delete(path);
        }

        var socket = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        try
        {
            socket.Bind(endpoint);
            if (!OperatingSystem.IsWindows())
            {
                File.SetUnixFileMode(path, UnixFileMode.UserRead | UnixFileMode.UserWrite);
            }

            socket.Listen(16);
        }
        catch (SocketException exception)
        {
            socket.Dispose();
            throw new ServerStartException($"Cannot listen on the control socket {path}: {exception.Message}");
        }

        return new ControlSocketListener(socket, path, run);
    }

    public async ValueTask DisposeAsync()
    {
        if (stopping.IsCancellationRequested)
        {
            return;
        }

        await stopping.CancelAsync().ConfigureAwait(false);
        socket.Dispose();
        try
        {
            await acceptLoop.ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
        }

        try
        {
            File.Delete(path);
        }
        catch (IOException)
        {
        }

        stopping.Dispose();
    }

    /// <summary>
    /// The OS user on the other end of the socket: SO_PEERCRED's uid, named from /etc/passwd
    /// (<c>uid:N</c> when it has no name there); <see cref="Environment.UserName"/> where the
    /// platform has no peer credentials.
    /// </summary>
    internal static string PeerUser(Socket connection)
    {
        if (!OperatingSystem.IsLinux())
        {
            return Environment.UserName;
        }

        try
        {
            // struct ucred { pid_t pid; uid_t uid; gid_t gid; } with SOL_SOCKET = 1, SO_PEERCRED = 17.
            var credentials = new byte[12];
            if (connection.GetRawSocketOption(1, 17, credentials) < 12)
            {
                return Environment.UserName;
            }

            var uid = BitConverter.ToUInt32(credentials, 4);
            return UserName(uid) ?? $"uid:{uid}";
        }
        catch (Exception exception) when (exception is SocketException or PlatformNotSupportedException)
        {
            return Environment.UserName;
        }
    }

    private static string? UserName(uint uid)
    {
        try
        {
            foreach (var line in File.ReadLines("/etc/passwd"))
            {
                var fields = line.Split(':');
                if (fields.Length > 2 && uint.TryParse(fields[2], System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var entry) && entry == uid)
                {
                    return fields[0];
                }
            }
        }
        catch (Exception exception) when (exception is IOException or UnauthorizedAccessException)
        {
        }

        return null;
    }

    internal static UnixDomainSocketEndPoint Endpoint(string path)
    {
        try
        {
            return new UnixDomainSocketEndPoint(path);
        }
        catch (ArgumentOutOfRangeException)
        {
            throw new ServerStartException(
                $"The control socket path {path} is too long for a Unix domain socket ({Encoding.UTF8.GetByteCount(path)} bytes; the system allows about 107). Use a data directory with a shorter path.");
        }
    }

    private async Task AcceptLoopAsync()
    {
        var token = stopping.Token;
        while (!token.IsCancellationRequested)
        {
            Socket connection;
            try
            {
                connection = await socket.AcceptAsync(token).ConfigureAwait(false);
            }
            catch (Exception exception) when (exception is OperationCanceledException or ObjectDisposedException or SocketException)
            {
                return;
            }

            _ = Task.Run(() => ServeAsync(connection, token), CancellationToken.None);
        }
    }

    private async Task ServeAsync(Socket connection, CancellationToken token)
    {
        using (connection)
        {
            try
            {
                await concurrency.WaitAsync(token).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                return;
            }

            try
            {
                await using var stream = new NetworkStream(connection, ownsSocket: false);
                var requestBytes = await ControlWire.ReadToEndAsync(stream, Limits.ControlRequestBytesMax, token).ConfigureAwait(false);
                ControlResponse response;
                var request = requestBytes is null ? null : ControlWire.ParseRequest(requestBytes);
                if (request is null)
                {
                    response = new ControlResponse(2, string.Empty, "error: the control socket received a malformed or oversized request.\n");
                }
                else
                {
                    try
                    {
                        // Commands from the socket act as the host user who sent them (the socket is
                        // mode 0600: the service user, or root).
                        using var operation = OperationContext.Begin(new OperationContext(new Actor(ActorKind.Host, PeerUser(connection))));
                        response = await run(request, token).ConfigureAwait(false);
                    }
                    catch (Exception exception) when (exception is not OperationCanceledException)
                    {
                        // The command layer reports its own errors; this is a bug. No detail: it might hold input.
                        response = new ControlResponse(1, string.Empty, "error: the server failed to run the command (internal error).\n");
                    }
                }

                await stream.WriteAsync(ControlWire.Serialize(response), token).ConfigureAwait(false);
                connection.Shutdown(SocketShutdown.Send);
            }
            catch (Exception exception) when (exception is IOException or SocketException or OperationCanceledException or ObjectDisposedException)
            {
                // The client went away or the server is stopping.
            }
            finally
            {
                concurrency.Release();
            }
        }
    }
}

/// <summary>The CLI's side of the control socket.</summary>
public static class ControlClient
{
    /// <summary>True when a server answers on the data directory's control socket.</summary>
    public static async Task<bool> IsListeningAsync(DataDirectory directory, CancellationToken cancellationToken = default)
    {
        using var socket = await TryConnectAsync(directory, cancellationToken).ConfigureAwait(false);
        return socket is not null;
    }

    /// <summary>
    /// Runs <paramref name="request"/> inside the server running on <paramref name="directory"/>;
    /// null when no server runs there (no socket, or a stale one nobody answers).
    /// </summary>
    public static async Task<ControlResponse?> TryRunAsync(DataDirectory directory, ControlRequest request, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(request);
        using var socket = await TryConnectAsync(directory, cancellationToken).ConfigureAwait(false);
        if (socket is null)
        {
            return null;
        }

        await using var stream = new NetworkStream(socket, ownsSocket: false);
        await stream.WriteAsync(ControlWire.Serialize(request), cancellationToken).ConfigureAwait(false);
        socket.Shutdown(SocketShutdown.Send);
        var answer = await ControlWire.ReadToEndAsync(stream, Limits.ControlResponseBytesMax, cancellationToken).ConfigureAwait(false);
        return (answer is null ? null : ControlWire.ParseResponse(answer))
            ?? throw new IOException($"The server on {directory.Root} sent a malformed answer on its control socket.");
    }

    private static async Task<Socket?> TryConnectAsync(DataDirectory directory, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(directory);
        var path = directory.ControlSocketPath;
        if (!File.Exists(path))
        {
            return null;
        }

        UnixDomainSocketEndPoint endpoint;
        try
        {
            endpoint = ControlSocketListener.Endpoint(path);
        }
        catch (ServerStartException)
        {
            return null;
        }

        var socket = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        try
        {
            await socket.ConnectAsync(endpoint, cancellationToken).ConfigureAwait(false);
            return socket;
        }
        catch (SocketException)
        {
            socket.Dispose();
            return null;
        }
    }
}

internal static class ControlWire
{
    public static async Task<byte[]?> ReadToEndAsync(Stream stream, int bytesMax, CancellationToken cancellationToken)
    {
        using var buffer = new MemoryStream();
        var chunk = new byte[16 * 1024];
        while (true)
        {
            var read = await stream.ReadAsync(chunk, cancellationToken).ConfigureAwait(false);
            if (read == 0)
            {
                return buffer.ToArray();
            }

            if (buffer.Length + read > bytesMax)
            {
                return null;
            }

            buffer.Write(chunk, 0, read);
        }
    }

    public static byte[] Serialize(ControlRequest request)
    {
        using var buffer = new MemoryStream();
        using (var json = new Utf8JsonWriter(buffer))
        {
            json.WriteStartObject();
            json.WriteStartArray("args");
            foreach (var arg in request.Args)
            {
                json.WriteStringValue(arg);
            }

            json.WriteEndArray();
            json.WriteString("input", request.Input);
            json.WriteString("cwd", request.WorkingDirectory);
            json.WriteEndObject();
        }

        return buffer.ToArray();
    }

    public static byte[] Serialize(ControlResponse response)
    {
        using var buffer = new MemoryStream();
        using (var json = new Utf8JsonWriter(buffer))
        {
            json.WriteStartObject();
            json.WriteNumber("exitCode", response.ExitCode);
            json.WriteString("stdout", response.Output);
            json.WriteString("stderr", response.Error);
            json.WriteEndObject();
        }

        return buffer.ToArray();
    }

    public static ControlRequest? ParseRequest(byte[] bytes)
    {
        try
        {
            using var document = JsonDocument.Parse(bytes);
            var root = document.RootElement;
            var args = root.GetProperty("args").EnumerateArray().Select(arg => arg.GetString() ?? string.Empty).ToList();
            return new ControlRequest(args, root.GetProperty("input").GetString() ?? string.Empty, root.GetProperty("cwd").GetString() ?? string.Empty);
        }
        catch (Exception exception) when (exception is JsonException or KeyNotFoundException or InvalidOperationException)
        {
            return null;
        }
    }

    public static ControlResponse? ParseResponse(byte[] bytes)
    {
        try
        {
            using var document = JsonDocument.Parse(bytes);
            var root = document.RootElement;
            return new ControlResponse(root.GetProperty("exitCode").GetInt32(), root.GetProperty("stdout").GetString() ?? string.Empty, root.GetProperty("stderr").GetString() ?? string.Empty);
        }
        catch (Exception exception) when (exception is JsonException or KeyNotFoundException or InvalidOperationException or FormatException)
        {
            return null;
        }
    }
}
