using Microsoft.Extensions.Logging;
using Strongroom.Core;

namespace Strongroom.Server;

public sealed class ServerOptions
{
    /// <summary>The data directory; null selects <see cref="Server.DataDirectory.Default"/> for the mode.</summary>
    public string? DataDirectory { get; init; }

    /// <summary>
    /// The shared PostgreSQL metadata database (an Npgsql connection string or a
    /// <c>postgresql://</c> URI) of a deployment with many servers; null: <c>metadata.db</c> in the
    /// data directory. Never printed or logged (it may hold a password); the banner names host,
    /// port and database.
    /// </summary>
    public string? MetadataConnectionString { get; init; }

    /// <summary>
    /// Development mode: plain HTTP, the well-known <c>devstoreaccount1</c> account, a 1-of-1 vault
    /// whose share is kept in the data directory so the server unseals itself. A drop-in replacement
    /// for Azurite; never for production.
    /// </summary>
    public bool Dev { get; init; }

    /// <summary>The topology file (docs/datacenters.md); null: <c>topology.toml</c> in the data directory, written at creation when absent.</summary>
    public string? TopologyPath { get; init; }

    /// <summary>An IP address, <c>localhost</c>, <c>0.0.0.0</c> or <c>::</c>.</summary>
    public string Host { get; init; } = "127.0.0.1";

    /// <summary>0 picks a free port (tests read <see cref="StrongroomServer.Port"/>).</summary>
    public int Port { get; init; } = DevelopmentStorage.BlobPort;

    /// <summary>The management plane's address (keep it on an internal network): an IP address, <c>localhost</c>, <c>0.0.0.0</c> or <c>::</c>.</summary>
    public string ManagementHost { get; init; } = "127.0.0.1";

    /// <summary>
    /// The management plane's port (0 picks a free one; tests read <see cref="StrongroomServer.ManagementEndpoint"/>).
    /// Null: <see cref="DevelopmentStorage.ManagementPort"/>, or a free one when <see cref="Port"/> is 0.
    /// </summary>
    public int? ManagementPort { get; init; }

    /// <summary>Lockbox and transfer settings (how long a request waits for its approvals).</summary>
    public Strongroom.Access.AccessOptions Access { get; init; } = new();

    /// <summary>A PEM certificate; without it production mode generates a self-signed one.</summary>
    public string? CertificatePath { get; init; }

    /// <summary>The certificate's PEM private key; null when <see cref="CertificatePath"/> holds both.</summary>
    public string? KeyPath { get; init; }

    /// <summary>Serves plain HTTP in production mode: account-key signatures and data cross the network unencrypted.</summary>
    public bool DangerousAllowHttp { get; init; }

    /// <summary>
    /// Load balancers (an address or a CIDR network each) whose <c>X-Forwarded-For</c> and
    /// <c>X-Forwarded-Proto</c> the data plane believes: on a connection from one of them, the client
    /// address (the audit log's, a SAS's <c>sip</c>) is the last address the proxy appended and the
    /// scheme is the one the client used. Empty: the headers are ignored, the peer is the client.
    /// Never the management plane (docs/load-balancer.md).
    /// </summary>
    public IReadOnlyList<System.Net.IPNetwork> TrustedProxies { get; init; } = [];

    public TimeProvider TimeProvider { get; init; } = TimeProvider.System;

    public IRandomSource RandomSource { get; init; } = SystemRandomSource.Instance;

    /// <summary>Where the start banner (endpoint, connection string, fingerprint, warnings) goes.</summary>
    public TextWriter Output { get; init; } = TextWriter.Null;

    /// <summary>Console log level; Warning keeps request traffic out of the log.</summary>
    public LogLevel MinimumLogLevel { get; init; } = LogLevel.Warning;

    /// <summary>How long a graceful stop waits for requests in flight.</summary>
    public TimeSpan ShutdownTimeout { get; init; } = TimeSpan.FromSeconds(10);

    /// <summary>
    /// Runs a CLI command received on the control socket against the live deployment (the CLI
    /// sets it to its own command tree). Null: the socket answers that it runs no commands.
    /// </summary>
    public Func<ControlRequest, Deployment, CancellationToken, Task<ControlResponse>>? ControlCommands { get; init; }
}
