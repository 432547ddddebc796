using System.Net;
using System.Security.Authentication;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.HttpOverrides;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.AspNetCore.Server.Kestrel.Https;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Strongroom.Access;
using Strongroom.Audit;
using Strongroom.Core;
using Strongroom.KeyVault;
using Strongroom.Placement;
using Strongroom.Protocol.Blob;
using Strongroom.Protocol.KeyVault;
using Strongroom.Protocol.Management;
using Strongroom.WebConsole;
using Strongroom.Protocol.Transparency;
using Strongroom.Storage;

namespace Strongroom.Server;

/// <summary>
/// The host: opens the deployment, sweeps orphans, serves the Blob protocol on Kestrel, the
/// platform endpoints (<see cref="PlatformEndpoints"/>) and the control socket. A production
/// server starts sealed and serves data only once its custodians unseal it; a development server
/// unseals itself with the share kept in its data directory.
/// It owns no process signals; whoever starts it (the CLI, a test) decides when to stop.
/// </summary>
public sealed class StrongroomServer : IAsyncDisposable
{
    private readonly WebApplication app;
    private readonly ServerCertificate? certificate;
    private readonly ControlSocketListener? control;
    private int disposed;

    private StrongroomServer(WebApplication app, ControlSocketListener? control, Deployment deployment, ServerCertificate? certificate, Uri blobEndpoint, DeploymentCoordinator coordinator)
    {
        this.app = app;
        this.control = control;
        Deployment = deployment;
        this.certificate = certificate;
        BlobEndpoint = blobEndpoint;
        Coordinator = coordinator;
    }

    /// <summary>This server among the servers of its deployment: its instance id and the gates of its background jobs.</summary>
    public DeploymentCoordinator Coordinator { get; }

    /// <summary>The service root, e.g. <c>http://127.0.0.1:10000/</c>; accounts are path-style beneath it.</summary>
    public Uri BlobEndpoint { get; }

    public int Port => BlobEndpoint.Port;

    /// <summary>The management plane's root (its own listener), e.g. <c>https://127.0.0.1:10010/</c>; its API is under <c>v1/</c>.</summary>
    /// <summary>The TLS versions every listener accepts when it uses TLS: 1.2 and 1.3 only.</summary>
    public const SslProtocols TlsProtocols = SslProtocols.Tls12 | SslProtocols.Tls13;

    /// <summary><see cref="TlsProtocols"/> as the compliance report names them.</summary>
    public static IReadOnlyList<string> TlsProtocolNames { get; } = ["TLS 1.2", "TLS 1.3"];

    public Uri ManagementEndpoint { get; private init; } = null!;

    public Deployment Deployment { get; }

    public DataDirectory DataDirectory => Deployment.Directory;

    /// <summary>The certificate served, or null over plain HTTP.</summary>
    public ServerCertificate? Certificate => certificate;

    public static async Task<StrongroomServer> StartAsync(ServerOptions options, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(options);
        var endpoint = ParseListenEndpoint(options.Host, options.Port, "--host", "--port");
        var managementEndpoint = ParseListenEndpoint(options.ManagementHost, options.ManagementPort ?? (options.Port == 0 ? 0 : DevelopmentStorage.ManagementPort), "--management-host", "--management-port");
        if (options.KeyPath is not null && options.CertificatePath is null)
        {
            throw new ServerStartException("--key needs --cert: pass the certificate it belongs to.");
        }

        if (options.DangerousAllowHttp && options.CertificatePath is not null)
        {
            throw new ServerStartException("--dangerous-allow-http and --cert contradict each other: choose plain HTTP or TLS.");
        }

        if (options.MetadataConnectionString is { } metadata && MetadataSchema.CheckConnectionString(metadata) is { } problem)
        {
            throw new ServerStartException(problem);
        }

        var output = options.Output;
        var directory = DataDirectory.Resolve(options.DataDirectory, options.Dev, options.MetadataConnectionString);
        CheckVault(directory, options);
        ControlSocketListener.Endpoint(directory.ControlSocketPath);
        // Servers sharing a metadata database keep the vault there: it is checked (and, in
        // development, created) once the deployment is open.
        var sharedVault = directory.MetadataConnectionString is not null;
        var migratedLegacyRootKey = !sharedVault && options.Dev && directory.HasLegacyRootKey && !directory.IsInitialized;
        var initializedNow = !sharedVault && options.Dev && VaultSetup.InitializeDevelopment(directory, options.RandomSource);

        Deployment deployment;
        try
        {
            deployment = await Deployment.OpenAsync(directory, options.TopologyPath, options.Access, options.Dev, options.TimeProvider, options.RandomSource, ct).ConfigureAwait(false);
        }
        catch (TopologyException exception)
        {
            throw new ServerStartException(exception.Message, exception);
        }
        catch (Exception exception) when (MetadataSchema.Explain(exception) is { } explanation)
        {
            // A schema newer than this build, or a database that cannot be reached: one line, no secret.
            throw new ServerStartException(explanation, exception);
        }

        ServerCertificate? certificate = null;
        WebApplication? app = null;
        ControlSocketListener? control = null;
        var coordinator = new DeploymentCoordinator((IDeploymentStore)deployment.Store, options.TimeProvider, options.RandomSource);
        try
        {
            if (sharedVault)
            {
                CheckSharedVault(deployment, options);
                initializedNow = options.Dev && VaultSetup.InitializeDevelopment(deployment.VaultFiles, options.RandomSource);
            }

            // Before anything else touches the directory: a second server on it is refused here.
            control = await ControlSocketListener.StartAsync(
                directory,
                (request, token) => options.ControlCommands is { } run
                    ? run(request, deployment, token)
                    : Task.FromResult(new ControlResponse(1, string.Empty, "error: this server runs no commands on its control socket.\n")),
                ct).ConfigureAwait(false);

            // Joins the deployment's instances; refused when a live server runs another topology.
            await coordinator.RegisterAsync(deployment.TopologyFingerprint, deployment.TopologyPath, ct).ConfigureAwait(false);
            deployment.InstanceId = coordinator.InstanceId;
            deployment.BackgroundRewrap.Gate = coordinator.Gate(BackgroundJobs.Rewrap);
            deployment.BackgroundRewrap.IsSealed = () => deployment.Vault.IsSealed;

            var removed = await deployment.PrepareToServeAsync(ct).ConfigureAwait(false);
            if (removed > 0)
            {
                output.WriteLine($"Removed {removed} unacknowledged object(s) left on the sites by an interrupted write.");
            }

            // Platform events before listening: the store takes entries while sealed (only signing needs keys).
            var selfUnsealed = await RecordDevelopmentVaultAsync(directory, deployment, options.Dev, initializedNow, ct).ConfigureAwait(false);
            IReadOnlyList<string> accounts = selfUnsealed
                ? [.. (await EnsureDevelopmentAccountAsync(deployment, ct).ConfigureAwait(false)).Select(account => account.Name)]
                : [.. (await deployment.Store.ListAccountsAsync(ct).ConfigureAwait(false)).Select(account => account.Name)];

            var useTls = options.CertificatePath is not null || (!options.Dev && !options.DangerousAllowHttp);
            bool generatedNow = false;
            if (useTls)
            {
                certificate = options.CertificatePath is not null
                    ? ServerCertificate.Load(options.CertificatePath, options.KeyPath)
                    : ServerCertificate.LoadOrGenerate(directory, options.TimeProvider, out generatedNow);
            }

            var listeners = new Listeners();
            app = Build(options, deployment, coordinator, certificate, endpoint, managementEndpoint, useTls, listeners);
            coordinator.Logger = app.Services.GetRequiredService<ILogger<DeploymentCoordinator>>();

            // The host's loops (Kestrel, hosted services) start from a clean execution context, so
            // no operation context the caller has open (a CLI command's Host actor) flows into
            // every request and background pass.
            Task starting;
            using (ExecutionContext.SuppressFlow())
            {
                var started = app;
                starting = Task.Run(() => started.StartAsync(ct), ct);
            }

            await starting.ConfigureAwait(false);

            // Resume a rewrap a restart interrupted (cheap when nothing was ever rotated): now if
            // the vault is already unsealed (--dev), else as soon as custodians unseal it.
            deployment.Vault.RegisterUnsealHook(deployment.ResumeRewrapIfNeeded);
            if (!deployment.Vault.IsSealed)
            {
                deployment.ResumeRewrapIfNeeded();
            }

            await RecordStartAsync(deployment, useTls, options.Dev, ct).ConfigureAwait(false);

            var blobEndpoint = BoundEndpoint(listeners.Blob, endpoint, useTls);
            var server = new StrongroomServer(app, control, deployment, certificate, blobEndpoint, coordinator)
            {
                ManagementEndpoint = BoundEndpoint(listeners.Management, managementEndpoint, useTls),
            };
            await coordinator.PublishEndpointsAsync([blobEndpoint], server.ManagementEndpoint, ct).ConfigureAwait(false);
            server.WriteBanner(options, accounts, generatedNow, migratedLegacyRootKey);
            return server;
        }
        catch
        {
            if (app is not null)
            {
                await app.DisposeAsync().ConfigureAwait(false);
            }

            // A start that failed after joining leaves the deployment at once (no stale row, no lease).
            await coordinator.MarkStoppedAsync(CancellationToken.None).ConfigureAwait(false);
            coordinator.Dispose();

            if (control is not null)
            {
                await control.DisposeAsync().ConfigureAwait(false);
            }

            certificate?.Dispose();
            await deployment.DisposeAsync().ConfigureAwait(false);
            throw;
        }
    }

    /// <summary>Completes when the host begins to stop or <paramref name="cancellationToken"/> fires; it does not stop the server.</summary>
    public async Task WaitForShutdownAsync(CancellationToken cancellationToken = default)
    {
        var signalled = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        using var onStopping = app.Lifetime.ApplicationStopping.Register(() => signalled.TrySetResult());
        using var onCancel = cancellationToken.Register(() => signalled.TrySetResult());
        await signalled.Task.ConfigureAwait(false);
    }

    /// <summary>Stops gracefully: no new connections, requests in flight finish (up to the shutdown timeout), then the store closes.</summary>
    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref disposed, 1) != 0)
        {
            return;
        }

        try
        {
            if (control is not null)
            {
                await control.DisposeAsync().ConfigureAwait(false);
            }

            await app.StopAsync(CancellationToken.None).ConfigureAwait(false);
            await app.DisposeAsync().ConfigureAwait(false);

            // After the last request, before the store closes. A stop cannot be refused, so a
            // failure to record it is reported on the console only.
            try
            {
                using var system = OperationContext.Begin(new OperationContext(Actor.System));
                await Deployment.RecordPlatformAsync(AuditActions.StopServer, Deployment.ServerResource).ConfigureAwait(false);
            }
            catch (Exception exception) when (exception is StorageException or ObjectDisposedException or InvalidOperationException)
            {
                await Console.Error.WriteLineAsync($"Could not record the server's stop in the platform transparency log ({(exception as StorageException)?.Code.ToString() ?? exception.GetType().Name}).").ConfigureAwait(false);
            }
        }
        finally
        {
            certificate?.Dispose();
            await Deployment.DisposeAsync().ConfigureAwait(false);
        }
    }

    private static WebApplication Build(ServerOptions options, Deployment deployment, DeploymentCoordinator coordinator, ServerCertificate? certificate, ListenEndpoint endpoint, ListenEndpoint managementEndpoint, bool useTls, Listeners listeners)
    {
        // The empty builder reads no appsettings file and no ASPNETCORE_* / DOTNET_* variable:
        // configuration comes from ServerOptions only, so nothing can silently add a listener.
        var builder = WebApplication.CreateEmptyBuilder(new WebApplicationOptions
        {
            Args = [],
            ApplicationName = "Strongroom",
            EnvironmentName = Environments.Production,
            ContentRootPath = AppContext.BaseDirectory,
        });
        builder.WebHost.UseKestrelCore();

        builder.Logging.SetMinimumLevel(options.MinimumLogLevel);

        // A failure to start is reported once, by the caller, from the exception.
        builder.Logging.AddFilter("Microsoft.Extensions.Hosting", LogLevel.None);
        builder.Logging.AddSimpleConsole(console =>
        {
            console.SingleLine = true;
            console.UseUtcTimestamp = true;
            console.TimestampFormat = "yyyy-MM-ddTHH:mm:ssZ ";
        });

        builder.Services.AddSingleton<IHostLifetime, EmbeddedHostLifetime>();
        // The coordinator first: hosted services stop in reverse order, so it stops last, marking
        // this instance stopped and releasing its job leases after every pass has finished. Every
        // background service runs a pass only while this instance holds that job's lease.
        builder.Services.AddHostedService(_ => coordinator);
        builder.Services.AddSingleton(deployment.BackgroundRewrap);
        builder.Services.AddHostedService<RewrapHostedService>();
        builder.Services.AddHostedService(services => new CheckpointPublisher(
            deployment.Audit.PublishCheckpointsAsync,
            () => deployment.Vault.IsSealed,
            options.TimeProvider,
            services.GetRequiredService<ILogger<CheckpointPublisher>>())
        {
            Gate = coordinator.Gate(BackgroundJobs.AuditCheckpoints),
        });
        builder.Services.AddHostedService(services => new AuditPruner(
            deployment.Audit.PruneAsync,
            options.TimeProvider,
            services.GetRequiredService<ILogger<AuditPruner>>())
        {
            Gate = coordinator.Gate(BackgroundJobs.AuditPrune),
        });
        builder.Services.AddHostedService(services => new RepairHostedService(
            deployment.Repair,
            options.TimeProvider,
            services.GetRequiredService<ILogger<RepairHostedService>>())
        {
            Gate = coordinator.Gate(BackgroundJobs.Repair),
        });
        builder.Services.AddHostedService(services => new SiteHealthProber(deployment.Sites, options.TimeProvider, services.GetRequiredService<ILogger<SiteHealthProber>>()));
        builder.Services.AddHostedService(services => new SiteStatesRefresher(deployment.Sites, (Strongroom.Storage.IPlacementStore)deployment.Store, options.TimeProvider, services.GetRequiredService<ILogger<SiteStatesRefresher>>()));
        builder.Services.AddHostedService(services => new AccessSweepService(
            token => deployment.Lockbox.ExpireDueAsync(token),
            token => deployment.Transfers.ExpireDueAsync(token),
            () => deployment.Vault.IsSealed,
            options.TimeProvider,
            services.GetRequiredService<ILogger<AccessSweepService>>())
        {
            Gate = coordinator.Gate(BackgroundJobs.AccessSweep),
        });
        builder.Services.AddSingleton(services => new DestructionSweepService(
            token => deployment.Destruction.SweepAsync(token),
            () => deployment.Vault.IsSealed,
            options.TimeProvider,
            services.GetRequiredService<ILogger<DestructionSweepService>>())
        {
            Gate = coordinator.Gate(BackgroundJobs.DestructionSweep),
        });
        builder.Services.AddHostedService(services => services.GetRequiredService<DestructionSweepService>());
        builder.Services.Configure<HostOptions>(host => host.ShutdownTimeout = options.ShutdownTimeout);

        builder.WebHost.ConfigureKestrel(kestrel =>
        {
            kestrel.AddServerHeader = false;

            // The protocol layer streams bodies and enforces Azure's per-operation limits itself.
            kestrel.Limits.MaxRequestBodySize = null;
            kestrel.Limits.MaxRequestHeadersTotalSize = Limits.RequestHeaderBytesMax;
            kestrel.Limits.MaxRequestHeaderCount = Limits.RequestHeaderFieldsMax;

            // A 1024-character blob name percent-encodes to about 12 KiB of request line.
            kestrel.Limits.MaxRequestLineSize = Limits.RequestHeaderBytesMax;
            kestrel.Limits.MaxConcurrentConnections = Limits.ConcurrentRequestsMax;

            // Slow-client protection: the clock runs only while the handler waits for the body.
            kestrel.Limits.MinRequestBodyDataRate = new MinDataRate(bytesPerSecond: 240, gracePeriod: TimeSpan.FromSeconds(10));

            void Configure(ListenOptions listen)
            {
                if (useTls)
                {
                    listen.UseHttps(new HttpsConnectionAdapterOptions
                    {
                        ServerCertificate = certificate!.Certificate,
                        SslProtocols = TlsProtocols,
                    });
                }
            }

            void Listen(ListenEndpoint at, Action<ListenOptions> configure)
            {
                if (at.Localhost)
                {
                    kestrel.ListenLocalhost(at.Port, configure);
                }
                else
                {
                    kestrel.Listen(at.Address, at.Port, configure);
                }
            }

            Listen(endpoint, listen =>
            {
                listeners.Blob = listen;
                Configure(listen);
            });

            // The management plane's own listener (MLPS 2.0 8.2.5.1: management traffic apart from
            // customer traffic): its connections are marked, and only the management API answers on them.
            Listen(managementEndpoint, listen =>
            {
                listeners.Management = listen;
                listen.Use(next => connection =>
                {
                    connection.Items[ManagementConnectionMarker] = ManagementConnectionMarker;
                    return next(connection);
                });
                Configure(listen);
            });
        });

        var app = builder.Build();
        var handler = new BlobProtocolHandler(
            deployment.Blobs,
            options.TimeProvider,
            options.RandomSource,
            new BlobProtocolOptions
            {
                RequireHttps = useTls,
                IsSealed = () => deployment.Vault.IsSealed,
                OperatorGrants = deployment.Lockbox,
                BearerAuthorizationUri = () => new Uri(BoundEndpoint(listeners.Management, managementEndpoint, useTls), "v1/lockbox/requests").ToString(),
            },
            app.Services.GetRequiredService<ILogger<BlobProtocolHandler>>());
        var keyVault = new KeyVaultProtocolHandler(
            deployment.KeyVault,
            deployment.Tokens,
            app.Services.GetRequiredService<ILogger<KeyVaultProtocolHandler>>());
        var transparency = new TransparencyProtocolHandler(deployment.Audit, TransparencyBearer(deployment.Tokens))
        {
            IsSealed = () => deployment.Vault.IsSealed,
            Logger = app.Services.GetRequiredService<ILogger<TransparencyProtocolHandler>>(),
        };
        var placement = new PlacementProtocolHandler(deployment.Placement, deployment.Audit, TransparencyBearer(deployment.Tokens))
        {
            IsSealed = () => deployment.Vault.IsSealed,
            Logger = app.Services.GetRequiredService<ILogger<PlacementProtocolHandler>>(),
        };
        var platform = new PlatformEndpoints(deployment);
        var operations = new OperationsEndpoints(ServerHealth.Of(deployment));

        // Handled site failures (a copy dropped from a write, a bad copy, a deletion owed): ids
        // and exception types only, never a message that could carry a remote site's response.
        var siteLogger = app.Services.GetRequiredService<ILogger<ObjectSites>>();
        deployment.Objects.ProblemNoted += problem => siteLogger.LogWarning("Sites: {Problem}", problem);

        // Everything under /.strongroom belongs to the server: the token endpoint (Key Vault API),
        // the transparency log, the placement endpoints, then the platform endpoints, which answer 404 for the rest. No
        // such path ever reaches the Blob API.
        var managementServices = new ManagementServices
        {
            Identities = deployment.Identities,
            Lockbox = deployment.Lockbox,
            Transfers = deployment.Transfers,
            Random = options.RandomSource,
            IsSealed = () => deployment.Vault.IsSealed,
            Audit = deployment.Audit,
            Placement = deployment.Placement,
            Certificates = deployment.Certificates,
            Protection = deployment.Protection,
            Destruction = deployment.Destruction,
            Sites = deployment.Sites,
            ListAccounts = token => deployment.Store.ListAccountsAsync(token),
            GetAccount = (account, token) => deployment.GetAccountRecordAsync(account, token),
            SealStatus = () => ToSealStatusView(deployment.Vault.Status),
            Unseal = (submission, token) => UnsealThroughPlaneAsync(deployment, submission, token),
            VaultStatus = _ => Task.FromResult(new VaultStatusView(deployment.KeyringCurrentVersion, deployment.KeyringVersions)),
            RotateKeyring = deployment.RotateKeyringAsync,
            AccountKeys = deployment.ReadAccountKeysViewAsync,
            DeploymentStatus = token => deployment.ReadDeploymentStatusViewAsync(options.TimeProvider, token),
        };
        var management = new ManagementProtocolHandler(
            managementServices,
            new ManagementOptions { RequireHttps = useTls },
            app.Services.GetRequiredService<ILogger<ManagementProtocolHandler>>());

        // The web console (/console/ on the management listener): the same services and sessions as the JSON API.
        var console = new ConsoleHandler(
            managementServices,
            new ConsoleOptions
            {
                RequireHttps = useTls,
                TimeProvider = options.TimeProvider,
                ReadOperations = deployment.ReadOperationsSnapshotAsync,
            },
            app.Services.GetRequiredService<ILoggerFactory>());
        app.Lifetime.ApplicationStopped.Register(console.Dispose);
        if (options.TrustedProxies.Count > 0)
        {
            // Only the data plane sits behind the load balancer; the management plane always sees its peer.
            app.UseWhen(context => !IsManagementConnection(context), data => data.UseForwardedHeaders(TrustedProxyHeaders(options.TrustedProxies)));
        }

        // Issue 10: Prometheus metrics on the management listener (anonymous; docs/metrics.md).
        var metrics = new MetricsExporter(
            StrongroomMetrics.Meter,
            StrongroomMetrics.Definitions,
            deployment.ReadOperationsSnapshotAsync,
            () => deployment.Vault.IsSealed,
            ServerVersion,
            app.Services.GetRequiredService<ILogger<MetricsExporter>>());
        app.Lifetime.ApplicationStopped.Register(metrics.Dispose);

        // Each request's body bytes, counted under the plane that answers it.
        app.Use((context, next) => BodyMetering.MeterAsync(context, BodyMetering.PlaneOf(context, IsManagementConnection(context)), _ => next(context)));

        app.Run(context =>
            IsManagementConnection(context) && OperationsEndpoints.Matches(context.Request) ? operations.HandleAsync(context)
            : IsManagementConnection(context) && MetricsExporter.Matches(context.Request) ? metrics.HandleAsync(context)
            : IsManagementConnection(context) && ConsoleHandler.Handles(context) ? console.HandleAsync(context)
            : IsManagementConnection(context) ? management.HandleAsync(context)
            : KeyVaultProtocolHandler.Handles(context) ? keyVault.HandleAsync(context)
            : TransparencyProtocolHandler.IsTransparencyPath(context.Request.Path.Value) ? transparency.HandleAsync(context)
            : PlacementProtocolHandler.IsPlacementPath(context.Request.Path.Value) ? placement.HandleAsync(context)
            : PlatformEndpoints.Matches(context.Request) ? platform.HandleAsync(context)
            : handler.HandleAsync(context));
        return app;
    }

    /// <summary>
    /// X-Forwarded-For and X-Forwarded-Proto, believed only on a connection from one of
    /// <paramref name="proxies"/>, and then only their last entry (the one the proxy appended; what
    /// the client sent before it is the client's own claim). ASP.NET's default trust of loopback is
    /// removed: the operator names every proxy.
    /// </summary>
    internal static ForwardedHeadersOptions TrustedProxyHeaders(IReadOnlyList<System.Net.IPNetwork> proxies)
    {
        var headers = new ForwardedHeadersOptions
        {
            ForwardedHeaders = ForwardedHeaders.XForwardedFor | ForwardedHeaders.XForwardedProto,
            ForwardLimit = 1,
        };
        headers.KnownProxies.Clear();
        headers.KnownIPNetworks.Clear();
        foreach (var proxy in proxies)
        {
            headers.KnownIPNetworks.Add(proxy);
        }

        return headers;
    }

    internal static SealStatusView ToSealStatusView(Vault.SealStatus status) =>
        new(status.Initialized, status.Sealed, status.Threshold, status.Shares, status.Progress, status.DeploymentId, status.Generation);

    /// <summary>
    /// An unseal share submitted on the management plane, through the same entry point as the data
    /// plane's <c>PUT /.strongroom/sys/unseal</c> (<see cref="Deployment.SubmitUnsealShareAsync"/>:
    /// the unseal is recorded in the platform log, attributed to an anonymous custodian).
    /// </summary>
    private static async Task<UnsealAnswer> UnsealThroughPlaneAsync(Deployment deployment, UnsealSubmission submission, CancellationToken cancellationToken)
    {
        if (submission.Reset)
        {
            return new UnsealAnswer(ToSealStatusView(deployment.Vault.ResetProgress()), DuplicateIgnored: false);
        }

        try
        {
            using var operation = OperationContext.Begin(new OperationContext(PlatformEndpoints.UnsealActor, submission.RequestId, submission.ClientAddress));
            var progress = await deployment.SubmitUnsealShareAsync(Vault.UnsealShare.Parse(submission.Share!), cancellationToken).ConfigureAwait(false);
            return new UnsealAnswer(ToSealStatusView(progress.Status), progress.DuplicateIgnored);
        }
        catch (Vault.SealException exception)
        {
            // Safe by construction: SealException messages never hold share material.
            throw new ManagementException(400, "InvalidUnsealShare", exception.Message);
        }
        catch (StorageException exception) when (exception.Code == ErrorCode.AuditLogUnavailable)
        {
            // The unseal could not be recorded, so it was undone: the vault is sealed again.
            throw new ManagementException(500, "AuditLogUnavailable", "The unseal could not be recorded in the platform's transparency log, so the vault stays sealed. Check the server's log and storage, then submit the shares again.");
        }
    }

    // Each runs in its own async method so the System context it opens ends with it: a context
    // left open here would flow into the host's loops, and from there into requests.
    private static async Task<bool> RecordDevelopmentVaultAsync(DataDirectory directory, Deployment deployment, bool dev, bool initializedNow, CancellationToken ct)
    {
        using var system = OperationContext.Begin(new OperationContext(Actor.System));
        if (initializedNow)
        {
            await deployment.RecordPlatformAsync(AuditActions.InitializeVault, Deployment.VaultResource, [Deployment.Detail("shares", 1), Deployment.Detail("threshold", 1), Deployment.Detail("development", "true")], cancellationToken: ct).ConfigureAwait(false);
        }

        var selfUnsealed = dev && (directory.MetadataConnectionString is null
            ? VaultSetup.TryUnsealDevelopment(directory, deployment.Vault)
            : VaultSetup.TryUnsealDevelopment(deployment.VaultFiles, deployment.Vault));
        if (selfUnsealed)
        {
            await deployment.RecordUnsealAsync(deployment.Vault.Status, ct).ConfigureAwait(false);
        }

        return selfUnsealed;
    }

    private static async Task RecordStartAsync(Deployment deployment, bool useTls, bool dev, CancellationToken ct)
    {
        using var system = OperationContext.Begin(new OperationContext(Actor.System));
        await deployment.RecordPlatformAsync(
            AuditActions.StartServer,
            Deployment.ServerResource,
            [
                Deployment.Detail("version", ServerVersion),
                Deployment.Detail("https", useTls ? "true" : "false"),
                Deployment.Detail("development", dev ? "true" : "false"),
            ],
            cancellationToken: ct).ConfigureAwait(false);
    }

    /// <summary>The server's version as recorded in the platform log at start.</summary>
    public static string ServerVersion { get; } =
        typeof(StrongroomServer).Assembly.GetName().Version?.ToString() ?? "0.0.0.0";

    /// <summary>
    /// The transparency endpoints take the Key Vault API's tokens (the same client credentials at
    /// the same token endpoint, so the same audience): the account a valid token names, else null.
    /// VaultSealed passes through (503).
    /// </summary>
    internal static Func<string, CancellationToken, Task<string?>> TransparencyBearer(BearerTokens tokens) =>
        async (token, cancellationToken) =>
        {
            try
            {
                return await tokens.ValidateAsync(token, BearerTokens.KeyVaultAudience, cancellationToken).ConfigureAwait(false);
            }
            catch (KeyVaultException exception) when (exception.Code == KeyVaultErrorCode.InvalidToken)
            {
                return null;
            }
        };

    private static ListenEndpoint ParseListenEndpoint(string hostOption, int portOption, string hostName, string portName)
    {
        if (portOption is < 0 or > 65535)
        {
            throw new ServerStartException($"{portName} {portOption} is not between 0 and 65535.");
        }

        if (hostOption.Equals("localhost", StringComparison.OrdinalIgnoreCase))
        {
            // Kestrel cannot pick one free port for both loopback addresses.
            return portOption == 0
                ? new ListenEndpoint(IPAddress.Loopback, 0, Localhost: false)
                : new ListenEndpoint(IPAddress.Loopback, portOption, Localhost: true);
        }

        var host = hostOption.Trim('[', ']');
        if (!IPAddress.TryParse(host, out var address))
        {
            throw new ServerStartException($"{hostName} '{hostOption}' is not an IP address or 'localhost'.");
        }

        return new ListenEndpoint(address, portOption, Localhost: false);
    }

    /// <summary>The key a management listener's connections carry in their items.</summary>
    private static readonly object ManagementConnectionMarker = new();

    private static bool IsManagementConnection(Microsoft.AspNetCore.Http.HttpContext context) =>
        context.Features.Get<Microsoft.AspNetCore.Connections.Features.IConnectionItemsFeature>()?.Items.ContainsKey(ManagementConnectionMarker) == true;

    /// <summary>The listen options of both listeners, whose endpoints hold the bound ports once started.</summary>
    private sealed class Listeners
    {
        public ListenOptions? Blob { get; set; }

        public ListenOptions? Management { get; set; }
    }

    private static Uri BoundEndpoint(ListenOptions? listener, ListenEndpoint endpoint, bool useTls)
    {
        // Kestrel replaces a port-0 endpoint with the bound one when it binds.
        var port = listener?.IPEndPoint?.Port is > 0 and var bound ? bound : endpoint.Port;

        // A wildcard bind is reached over loopback from this machine; that is the address to print.
        string host = endpoint.Localhost ? "localhost"
            : endpoint.Address.Equals(IPAddress.Any) ? "127.0.0.1"
            : endpoint.Address.Equals(IPAddress.IPv6Any) ? "[::1]"
            : endpoint.Address.AddressFamily == System.Net.Sockets.AddressFamily.InterNetworkV6 ? $"[{endpoint.Address}]"
            : endpoint.Address.ToString();
        return new Uri($"{(useTls ? "https" : "http")}://{host}:{port}/");
    }

    private static async Task<IReadOnlyList<Blobs.AccountDetails>> EnsureDevelopmentAccountAsync(Deployment deployment, CancellationToken ct)
    {
        try
        {
            await deployment.Accounts.GetAsync(DevelopmentStorage.AccountName, ct).ConfigureAwait(false);
        }
        catch (StorageException exception) when (exception.Code == ErrorCode.AccountNotFound)
        {
            try
            {
                await deployment.Accounts.CreateAsync(DevelopmentStorage.AccountName, Convert.FromBase64String(DevelopmentStorage.AccountKey), ct).ConfigureAwait(false);
            }
            catch (StorageException raced) when (raced.Code == ErrorCode.AccountAlreadyExists)
            {
                // Another process (a second server, the CLI) created it first: same outcome.
            }
        }

        return await deployment.Accounts.ListAsync(ct).ConfigureAwait(false);
    }

    /// <summary>
    /// Production serves only an initialised vault that is not a development one; the checks run
    /// before anything is created, so a mistyped --data does not leave an empty deployment behind.
    /// </summary>
    private static void CheckVault(DataDirectory directory, ServerOptions options)
    {
        if (options.Dev || directory.MetadataConnectionString is not null)
        {
            return;
        }

        if (!directory.IsInitialized)
        {
            var legacy = directory.HasLegacyRootKey
                ? $" Its root key is still an unsealed file ({directory.RootKeyPath}); init seals that key, so existing data stays readable, and deletes the file."
                : string.Empty;
            throw new ServerStartException(
                $"The data directory {directory.Root} is not initialised.{legacy} Run `strongroom init --data {directory.Root} --shares N --threshold K` " +
                "to create the sealed root key and its N unseal shares, then start the server and unseal it with K shares.");
        }

        if (directory.IsDevelopment)
        {
            throw new ServerStartException(
                $"{directory.Root} is a development data directory: its only unseal share is stored in it ({directory.DevelopmentSharePath}) and it may hold the " +
                "well-known development account, so production refuses it. Use `strongroom server --dev` with it, or initialise a separate data directory for production.");
        }
    }

    /// <summary><see cref="CheckVault"/> for a vault in the shared metadata database (the store is open, nothing else started yet).</summary>
    private static void CheckSharedVault(Deployment deployment, ServerOptions options)
    {
        if (options.Dev)
        {
            return;
        }

        var files = deployment.VaultFiles;
        if (files.ReadGeneration(Vault.VaultFileNames.Seal) is null)
        {
            throw new ServerStartException(
                $"The deployment is not initialised: there is no seal {files.Describe(Vault.VaultFileNames.Seal)}. Run `strongroom init` with the same --metadata and `--shares N --threshold K` " +
                "to create the sealed root key and its N unseal shares, then start the servers and unseal each with K shares.");
        }

        if (VaultSetup.IsDevelopment(files))
        {
            throw new ServerStartException(
                $"The deployment is a development one: its only unseal share is stored in the metadata database ({files.Describe(Vault.VaultFileNames.DevelopmentShare)}) and it may hold the " +
                "well-known development account, so production refuses it. Use `strongroom server --dev` with it, or initialise a separate database for production.");
        }
    }

    private void WriteBanner(ServerOptions options, IReadOnlyList<string> accounts, bool certificateGeneratedNow, bool migratedLegacyRootKey)
    {
        var output = options.Output;
        var directory = Deployment.Directory;
        if (options.Dev)
        {
            output.WriteLine("Strongroom development server: plain HTTP, well-known account key; not for production.");
        }
        else
        {
            output.WriteLine("Strongroom server");
        }

        output.WriteLine($"Data directory:    {directory.Root}");
        output.WriteLine($"Metadata:          {(directory.HasSharedMetadata ? $"{directory.MetadataDescription} (shared by the deployment's servers)" : directory.MetadataDescription)}");
        if (migratedLegacyRootKey)
        {
            output.WriteLine($"Migrated the unsealed root key file into the sealed vault ({directory.SealPath}); the file is deleted.");
        }

        var status = Deployment.Vault.Status;
        var vault = DeploymentVault.Of(Deployment.VaultFiles);
        if (options.Dev && vault.IsDevelopment)
        {
            output.WriteLine($"WARNING: development vault: it unsealed itself with its only unseal share, stored in {vault.DevelopmentShareLocation}; the root key is not protected: not for production.");
        }
        else if (status.Sealed)
        {
            output.WriteLine($"Vault:             SEALED. Data requests answer 503 until {status.Threshold} of the {status.Shares} custodians unseal it:");
            output.WriteLine($"                   `strongroom unseal --data {directory.Root}` once per share (or PUT {PlatformEndpoints.Prefix}/sys/unseal).");
        }
        else
        {
            output.WriteLine("Vault:             unsealed.");
        }

        if (certificate is not null)
        {
            var origin = !certificate.Generated ? "configured"
                : certificateGeneratedNow ? "self-signed, generated now"
                : "self-signed, generated on first start";
            output.WriteLine($"TLS certificate:   {certificate.Path} ({origin}, expires {certificate.Certificate.NotAfter.ToUniversalTime():yyyy-MM-dd})");
            output.WriteLine($"SHA-256 fingerprint: {certificate.Sha256Fingerprint}");
        }

        if (!options.Dev && options.DangerousAllowHttp)
        {
            output.WriteLine("WARNING: --dangerous-allow-http: serving plain HTTP. Requests, their signatures and blob data cross the network unencrypted.");
        }

        WriteSites(output);
        output.WriteLine($"Blob endpoint:     {BlobEndpoint} (path-style: {BlobEndpoint}ACCOUNT)");
        output.WriteLine(certificate is not null
            ? $"Key Vault API:     {BlobEndpoint} (each account's vault; bearer tokens from `strongroom account token` or POST {BlobEndpoint}.strongroom/oauth2/token)"
            : "Key Vault API:     off (it is served over HTTPS only: start with --cert, or without --dev)");
        output.WriteLine(certificate is not null
            ? $"Transparency log:  {BlobEndpoint}.strongroom/log (each account's log, same bearer tokens; verify with `strongroom audit verify --server`)"
            : "Transparency log:  HTTPS only; on the host: `strongroom audit tail|verify --account A --data DIR`");
        if (options.Dev)
        {
            output.WriteLine($"Connection string: {DevelopmentStorage.ConnectionString(BlobEndpoint, DevelopmentStorage.AccountName, DevelopmentStorage.AccountKey)}");
        }
        else if (accounts.Count == 0)
        {
            output.WriteLine($"No accounts yet: create one with `strongroom account create NAME --data {directory.Root}`.");
        }
        else
        {
            output.WriteLine($"Accounts:          {string.Join(", ", accounts)}");
        }

        output.WriteLine($"Management plane:  {ManagementEndpoint}v1/ (operators and tenant administrators: `strongroom login --server {ManagementEndpoint}`)");
        output.WriteLine($"Control socket:    {directory.ControlSocketPath} (CLI commands on this data directory run inside this server)");
        output.WriteLine($"Health:            {BlobEndpoint}{PlatformEndpoints.Prefix.TrimStart('/')}/health/ready");

        output.WriteLine("Ready. Stop with Ctrl+C.");
        output.Flush();
    }

    /// <summary>The topology in two lines: sites per region with jurisdiction and zones, and the default policy.</summary>
    private void WriteSites(TextWriter output)
    {
        var sites = Deployment.Sites.Sites.Where(site => site.State != SiteState.Removed).ToList();
        var regions = sites
            .GroupBy(site => site.Region, StringComparer.Ordinal)
            .Select(region =>
            {
                var zones = region.Select(site => site.Zone).Distinct(StringComparer.Ordinal).Count();
                var draining = region.Count(site => site.State == SiteState.Draining);
                return $"{region.Key} ({region.First().Jurisdiction}, {region.Count()} site{(region.Count() == 1 ? string.Empty : "s")} in {zones} zone{(zones == 1 ? string.Empty : "s")}{(draining > 0 ? $", {draining} draining" : string.Empty)})";
            });
        output.WriteLine($"Sites:             {string.Join(", ", regions)}; topology {Deployment.TopologyPath}");
        if (sites.Any(site => site.Jurisdiction == Topology.UnspecifiedJurisdiction))
        {
            output.WriteLine($"                   jurisdiction {Topology.UnspecifiedJurisdiction} is unspecified: set each site's jurisdiction in the topology file.");
        }

        var policy = Deployment.Placement.DefaultPolicy();
        output.WriteLine($"Default placement: {policy.Redundancy} in {policy.PrimaryRegion}, residency {string.Join(",", policy.Residency)}{(policy.SecondaryRegion is { } secondary ? $", secondary {secondary}" : string.Empty)}");
    }

    private readonly record struct ListenEndpoint(IPAddress Address, int Port, bool Localhost);

    /// <summary>Leaves Ctrl+C and SIGTERM to the caller, which may host several servers (tests) or none of the console.</summary>
    private sealed class EmbeddedHostLifetime : IHostLifetime
    {
        public Task WaitForStartAsync(CancellationToken cancellationToken) => Task.CompletedTask;

        public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
    }
}
