using Microsoft.Extensions.Logging;
using Strongroom.Core;

namespace Strongroom.Server;

public sealed class ServerOptions
{
    /// <summary>The data directory; null selects <see cref="Server.DataDirectory.Default"/> for the mode.</summary>
    public string? DataDirectory { get; init; }

    /// <summary>
    /// Development mode: plain HTTP, the well-known <c>devstoreaccount1</c> account, the root key
    /// unsealed in the data directory. A drop-in replacement for Azurite; never for production.
    /// </summary>
    public bool Dev { get; init; }

    /// <summary>An IP address, <c>localhost</c>, <c>0.0.0.0</c> or <c>::</c>.</summary>
    public string Host { get; init; } = "127.0.0.1";

    /// <summary>0 picks a free port (tests read <see cref="StrongroomServer.Port"/>).</summary>
    public int Port { get; init; } = DevelopmentStorage.BlobPort;

    /// <summary>A PEM certificate; without it production mode generates a self-signed one.</summary>
    public string? CertificatePath { get; init; }

    /// <summary>The certificate's PEM private key; null when <see cref="CertificatePath"/> holds both.</summary>
    public string? KeyPath { get; init; }

    /// <summary>Serves plain HTTP in production mode: account-key signatures and data cross the network unencrypted.</summary>
    public bool DangerousAllowHttp { get; init; }

    public TimeProvider TimeProvider { get; init; } = TimeProvider.System;

    public IRandomSource RandomSource { get; init; } = SystemRandomSource.Instance;

    /// <summary>Where the start banner (endpoint, connection string, fingerprint, warnings) goes.</summary>
    public TextWriter Output { get; init; } = TextWriter.Null;

    /// <summary>Console log level; Warning keeps request traffic out of the log.</summary>
    public LogLevel MinimumLogLevel { get; init; } = LogLevel.Warning;

    /// <summary>How long a graceful stop waits for requests in flight.</summary>
    public TimeSpan ShutdownTimeout { get; init; } = TimeSpan.FromSeconds(10);
}
