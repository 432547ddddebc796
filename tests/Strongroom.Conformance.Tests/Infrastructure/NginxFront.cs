using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Runtime.InteropServices;
using System.Text;

namespace Strongroom.Conformance.Tests.Infrastructure;

/// <summary>
/// Debian's nginx as the load balancer in front of several <c>strongroom server</c> processes on
/// loopback: a private prefix directory under the temp directory (config, logs, pid, temp files),
/// a free port, <c>nginx -p DIR -c nginx.conf -g 'daemon off; ...'</c> as a child process. The
/// configuration is the one docs/load-balancer.md gives operators (<see cref="Configuration"/>).
/// </summary>
public sealed class NginxFront : IAsyncDisposable
{
    /// <summary>Set by test.sh: a test that needs nginx fails instead of passing vacuously when it is missing.</summary>
    public const string RequireVariable = "STRONGROOM_TEST_REQUIRE_NGINX";

    static readonly TimeSpan StartupTimeout = TimeSpan.FromSeconds(30);
    static int s_instances;

    readonly object _outputLock = new();
    readonly StringBuilder _output = new();
    Process? _process;

    NginxFront(string prefix, string label)
    {
        Prefix = prefix;
        Label = label;
    }

    /// <summary>The prefix directory: nginx.conf, error.log, access.log, nginx.pid, temp directories.</summary>
    public string Prefix { get; }

    public string Label { get; }

    /// <summary>The address nginx listens on.</summary>
    public int Port { get; private set; }

    /// <summary>The upstream servers (loopback ports) of the current configuration.</summary>
    public IReadOnlyList<int> Upstreams { get; private set; } = [];

    /// <summary>Set when nginx terminates TLS with this certificate and speaks HTTPS to the servers.</summary>
    public (string Certificate, string Key)? Tls { get; private set; }

    public string ErrorLog => Path.Combine(Prefix, "error.log");

    public string AccessLog => Path.Combine(Prefix, "access.log");

    /// <summary>The nginx binary: on PATH, else Debian's /usr/sbin/nginx; null when not installed.</summary>
    public static string? Binary
    {
        get
        {
            foreach (var directory in (Environment.GetEnvironmentVariable("PATH") ?? string.Empty).Split(':', StringSplitOptions.RemoveEmptyEntries).Append("/usr/sbin"))
            {
                var candidate = Path.Combine(directory, "nginx");
                if (File.Exists(candidate))
                {
                    return candidate;
                }
            }

            return null;
        }
    }

    /// <summary>
    /// True when nginx can run here. When it cannot: throws if test.sh requires it
    /// (<see cref="RequireVariable"/>), else false so a filtered local run passes the test vacuously.
    /// </summary>
    public static bool Available()
    {
        if (Binary is not null)
        {
            return true;
        }

        if (Environment.GetEnvironmentVariable(RequireVariable) == "1")
        {
            throw new InvalidOperationException($"nginx is not installed (apt-get install nginx) and {RequireVariable}=1 requires it.");
        }

        return false;
    }

    /// <summary>Starts nginx on a free loopback port in front of <paramref name="upstreamPorts"/>.</summary>
    public static async Task<NginxFront> StartAsync(string label, IReadOnlyList<int> upstreamPorts, (string Certificate, string Key)? tls = null)
    {
        if (Binary is null)
        {
            throw new InvalidOperationException($"nginx is not installed (apt-get install nginx); {label} needs it.");
        }

        var prefix = Path.Combine(Path.GetTempPath(), "strongroom-nginx", $"{label}-{Environment.ProcessId}-{Interlocked.Increment(ref s_instances)}");
        if (Directory.Exists(prefix))
        {
            Directory.Delete(prefix, recursive: true);
        }

        Directory.CreateDirectory(prefix);
        var front = new NginxFront(prefix, label) { Upstreams = upstreamPorts, Tls = tls };

        // The free port is found by binding port 0 and letting go; another process can take it in
        // between, so a start that fails to bind tries again with another.
        for (var attempt = 1; ; attempt++)
        {
            front.Port = FreeLoopbackPort();
            await File.WriteAllTextAsync(Path.Combine(prefix, "nginx.conf"), front.Configuration());
            try
            {
                await front.RunAsync();
                return front;
            }
            catch (InvalidOperationException) when (attempt < 3 && front.Output.Contains("Address already in use", StringComparison.Ordinal))
            {
            }
            catch
            {
                await front.DisposeAsync();
                throw;
            }
        }
    }

    /// <summary>Points nginx at new upstream ports (servers restarted on fresh ports): rewrites the configuration and reloads it (SIGHUP).</summary>
    public async Task ReloadAsync(IReadOnlyList<int> upstreamPorts)
    {
        var process = _process ?? throw new InvalidOperationException("nginx is not running.");
        Upstreams = upstreamPorts;
        var pid = Path.Combine(Prefix, "nginx.pid");
        var logged = new FileInfo(ErrorLog).Length;
        await File.WriteAllTextAsync(Path.Combine(Prefix, "nginx.conf"), Configuration());
        var test = await RunNginxAsync("-t", "-p", Prefix, "-c", "nginx.conf", "-e", ErrorLog, "-g", $"daemon off; pid {pid};");
        if (test.ExitCode != 0)
        {
            throw new InvalidOperationException($"nginx -t refused the new configuration:\n{test.Output}");
        }

        if (Kill(process.Id, SignalHangUp) != 0)
        {
            throw new InvalidOperationException($"kill(SIGHUP) failed with errno {Marshal.GetLastPInvokeError()}.");
        }

        // The reload is done when the old worker has been told to stop accepting (the new one is
        // started before): poll the error log (notice level) for it, bounded.
        var deadline = DateTime.UtcNow + StartupTimeout;
        while (!ErrorLogSince(logged).Contains("gracefully shutting down", StringComparison.Ordinal))
        {
            if (DateTime.UtcNow > deadline)
            {
                throw new InvalidOperationException($"nginx did not reload within {StartupTimeout.TotalSeconds} s.\n{File.ReadAllText(ErrorLog)}");
            }

            await Task.Delay(20);
        }
    }

    /// <summary>Polls the access log (written after each response) until it holds <paramref name="fragment"/>, for up to 10 s.</summary>
    public async Task<bool> AccessLogContainsAsync(string fragment)
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(10);
        while (true)
        {
            var log = File.Exists(AccessLog) ? await File.ReadAllTextAsync(AccessLog) : string.Empty;
            if (log.Contains(fragment, StringComparison.Ordinal))
            {
                return true;
            }

            if (DateTime.UtcNow > deadline)
            {
                return false;
            }

            await Task.Delay(20);
        }
    }

    string ErrorLogSince(long offset)
    {
        using var stream = new FileStream(ErrorLog, FileMode.Open, FileAccess.Read, FileShare.ReadWrite);
        stream.Seek(Math.Min(offset, stream.Length), SeekOrigin.Begin);
        using var reader = new StreamReader(stream);
        return reader.ReadToEnd();
    }

    /// <summary>The http:// or https:// root nginx serves, e.g. <c>http://127.0.0.1:PORT/</c>.</summary>
    public Uri Endpoint => new($"{(Tls is null ? "http" : "https")}://127.0.0.1:{Port}/");

    /// <summary>What nginx printed on stdout and stderr, and its error log.</summary>
    public string Output
    {
        get
        {
            string log;
            try
            {
                log = File.Exists(ErrorLog) ? File.ReadAllText(ErrorLog) : string.Empty;
            }
            catch (IOException)
            {
                log = string.Empty;
            }

            lock (_outputLock)
            {
                return _output + log;
            }
        }
    }

    /// <summary>
    /// The configuration docs/load-balancer.md documents, for this prefix, port and upstreams. Every
    /// directive that differs from nginx's default is there for a reason stated beside it.
    /// </summary>
    public string Configuration()
    {
        var upstreamScheme = Tls is null ? "http" : "https";
        var servers = string.Concat(Upstreams.Select(port => $"        server 127.0.0.1:{port.ToString(CultureInfo.InvariantCulture)} max_fails=1 fail_timeout=5s;\n"));
        var listen = Tls is { } tls
            ? $"        listen 127.0.0.1:{Port} ssl;\n        ssl_certificate {tls.Certificate};\n        ssl_certificate_key {tls.Key};\n        ssl_protocols TLSv1.2 TLSv1.3;"
            : $"        listen 127.0.0.1:{Port};";

        // Re-encrypted to the servers (end-to-end TLS); in production, verify them (proxy_ssl_verify on, proxy_ssl_trusted_certificate).
        var upstreamTls = Tls is null ? string.Empty : "            proxy_ssl_server_name on;\n            proxy_ssl_session_reuse on;\n";
        return $$"""
            # Strongroom behind nginx (docs/load-balancer.md): {{Label}}
            {{(Environment.UserName == "root" ? "user root;" : "# (not root: the workers run as this user)")}}
            worker_processes 1;
            error_log {{ErrorLog}} notice;

            events {
                worker_connections 1024;
            }

            http {
                access_log {{AccessLog}};
                client_body_temp_path {{Path.Combine(Prefix, "client_body")}};
                proxy_temp_path {{Path.Combine(Prefix, "proxy")}};
                fastcgi_temp_path {{Path.Combine(Prefix, "fastcgi")}};
                uwsgi_temp_path {{Path.Combine(Prefix, "uwsgi")}};
                scgi_temp_path {{Path.Combine(Prefix, "scgi")}};

                upstream strongroom {
            {{servers}}        # Idle keep-alive connections to the servers, per worker.
                    keepalive 32;
                    keepalive_timeout 60s;
                }

                server {
            {{listen}}

                    # Blobs of any size: the server enforces Azure's limits per operation.
                    client_max_body_size 0;
                    # A 1024-character blob name percent-encodes to ~12 KiB of request line.
                    large_client_header_buffers 8 64k;
                    # x-ms-meta-* names are C# identifiers and may hold '_'; nginx drops such headers by
                    # default, which breaks Shared Key (the signature covers them). The server, not the
                    # proxy, decides which headers are valid.
                    underscores_in_headers on;
                    ignore_invalid_headers off;
                    # Location matching only; proxy_pass without a URI forwards the client's request line.
                    merge_slashes off;
                    client_body_timeout 300s;
                    send_timeout 300s;
                    keepalive_timeout 75s;
                    server_tokens off;

                    location / {
                        # No URI part: the request line goes upstream byte for byte, so Shared Key's
                        # canonicalised resource (percent-encoded blob names, %2F, dot segments) is
                        # what the client signed.
                        proxy_pass {{upstreamScheme}}://strongroom;
                        proxy_http_version 1.1;
                        proxy_set_header Connection "";
                        # Not covered by Shared Key or SAS signatures, but redirects and URLs the server
                        # builds (copy sources, batch) must name what the client used.
                        proxy_set_header Host $http_host;
                        proxy_set_header X-Real-IP $remote_addr;
                        proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;
                        proxy_set_header X-Forwarded-Proto $scheme;
            {{upstreamTls}}            # Stream both ways: never hold a whole blob in the proxy.
                        proxy_request_buffering off;
                        proxy_buffering off;
                        proxy_max_temp_file_size 0;
                        # The response headers must fit one buffer: 8 KiB of x-ms-meta-* plus the rest
                        # (nginx answers 502 "upstream sent too big header" otherwise).
                        proxy_buffer_size 64k;
                        proxy_buffers 4 64k;
                        proxy_busy_buffers_size 128k;
                        proxy_connect_timeout 5s;
                        proxy_send_timeout 300s;
                        proxy_read_timeout 300s;
                        proxy_redirect off;
                        # A server that is down or refuses the connection: try the next one. Requests
                        # already sent are not retried (nginx never retries POST/PUT/PATCH/DELETE... unless
                        # told to, and an unbuffered body cannot be replayed).
                        proxy_next_upstream error timeout;
                        proxy_next_upstream_tries 2;
                    }
                }
            }

            """;
    }

    async Task RunAsync()
    {
        var pid = Path.Combine(Prefix, "nginx.pid");
        var startInfo = NewStartInfo("-p", Prefix, "-c", "nginx.conf", "-e", ErrorLog, "-g", $"daemon off; pid {pid};");
        var process = new Process { StartInfo = startInfo, EnableRaisingEvents = true };
        process.OutputDataReceived += (_, e) => Append(e.Data);
        process.ErrorDataReceived += (_, e) => Append(e.Data);
        process.Start();
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        _process = process;

        // Up when the port accepts a connection (bounded); down when nginx exits first.
        var deadline = DateTime.UtcNow + StartupTimeout;
        while (true)
        {
            if (process.HasExited)
            {
                await process.WaitForExitAsync();
                _process = null;
                throw new InvalidOperationException($"nginx exited with code {process.ExitCode} at start.\n{Output}");
            }

            try
            {
                using var client = new TcpClient();
                await client.ConnectAsync(IPAddress.Loopback, Port);
                return;
            }
            catch (SocketException) when (DateTime.UtcNow < deadline)
            {
                await Task.Delay(20);
            }
        }
    }

    static async Task<(int ExitCode, string Output)> RunNginxAsync(params string[] args)
    {
        using var process = new Process { StartInfo = NewStartInfo(args) };
        process.Start();
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync().WaitAsync(StartupTimeout);
        return (process.ExitCode, await stdout + await stderr);
    }

    static ProcessStartInfo NewStartInfo(params string[] args)
    {
        var startInfo = new ProcessStartInfo(Binary!)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var arg in args)
        {
            startInfo.ArgumentList.Add(arg);
        }

        return startInfo;
    }

    void Append(string? line)
    {
        if (line is null)
        {
            return;
        }

        lock (_outputLock)
        {
            _output.AppendLine(line);
        }
    }

    static int FreeLoopbackPort()
    {
        var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        try
        {
            return ((IPEndPoint)listener.LocalEndpoint).Port;
        }
        finally
        {
            listener.Stop();
        }
    }

    public async ValueTask DisposeAsync()
    {
        var process = _process;
        _process = null;
        if (process is not null)
        {
            // SIGTERM: the master stops its workers and exits; a bounded wait, then the whole tree.
            if (!process.HasExited)
            {
                _ = Kill(process.Id, SignalTerminate);
            }

            try
            {
                await process.WaitForExitAsync().WaitAsync(TimeSpan.FromSeconds(10));
            }
            catch (TimeoutException)
            {
                process.Kill(entireProcessTree: true);
                await process.WaitForExitAsync();
            }

            process.Dispose();
        }

        if (Directory.Exists(Prefix))
        {
            try
            {
                Directory.Delete(Prefix, recursive: true);
            }
            catch (IOException)
            {
            }
            catch (UnauthorizedAccessException)
            {
            }
        }
    }

    const int SignalHangUp = 1;
    const int SignalTerminate = 15;

    [DllImport("libc", EntryPoint = "kill", SetLastError = true)]
    static extern int Kill(int pid, int signal);
}
