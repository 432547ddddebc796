namespace Strongroom.Server;

/// <summary>
/// The layout of one deployment's data directory. Everything a deployment owns lives under
/// <see cref="Root"/>, so copying or deleting the directory copies or deletes the deployment.
/// </summary>
public sealed class DataDirectory
{
    /// <summary>Overrides the default data directory of both modes.</summary>
    public const string EnvironmentVariable = "STRONGROOM_DATA";

    /// <summary>The shared metadata database when <c>--metadata</c> is not given (see <see cref="ResolveMetadata"/>).</summary>
    public const string MetadataEnvironmentVariable = "STRONGROOM_METADATA";

    public DataDirectory(string root)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(root);
        Root = Path.GetFullPath(root);
    }

    public string Root { get; }

    /// <summary>
    /// The shared PostgreSQL metadata database (<c>--metadata</c>: an Npgsql connection string or a
    /// <c>postgresql://</c> URI) when this server is one of many in a deployment; null for the
    /// embedded SQLite file <see cref="MetadataDatabasePath"/>. Never logged: it may hold a password.
    /// When set, the vault (seal, keyring, and in development the unseal share) is in that database
    /// too (<see cref="Deployment.VaultFiles"/>), shared by every server; what stays in this
    /// directory is each server's own: the generated TLS certificate and key (<see cref="TlsDirectory"/>),
    /// the control socket (<see cref="RunDirectory"/>), the topology file unless <c>--topology</c>
    /// names one, and the directory sites the topology places under it (<see cref="SitesDirectory"/>).
    /// </summary>
    public string? MetadataConnectionString { get; init; }

    public string MetadataDatabasePath => Path.Combine(Root, "metadata.db");

    /// <summary>True when the metadata lives in a shared database rather than in this directory.</summary>
    public bool HasSharedMetadata => MetadataConnectionString is not null;

    /// <summary>
    /// Where the metadata is, for messages and banners: the SQLite file's path, or PostgreSQL's
    /// host, port and database. Never the connection string, which may hold a password.
    /// </summary>
    public string MetadataDescription => MetadataConnectionString is { } shared
        ? Storage.SqlMetadataStore.DescribePostgres(shared)
        : MetadataDatabasePath;

    /// <summary>The local-directory site: opaque object ids and ciphertext only.</summary>
    public string LocalSiteDirectory => Path.Combine(Root, "sites", "local");

    /// <summary>The deployment's sites (docs/datacenters.md); written at creation when absent.</summary>
    public string TopologyPath => Path.Combine(Root, Placement.TopologyFile.FileName);

    /// <summary>Where the sites of the development sample topology live (relative to <see cref="Root"/> in the file).</summary>
    public string SitesDirectory => Path.Combine(Root, "sites");

    public string VaultDirectory => Path.Combine(Root, "vault");

    /// <summary>
    /// The unsealed root key file of data directories from before the sealed vault; <c>init</c>
    /// (or <c>--dev</c>) seals the key it holds and deletes it.
    /// </summary>
    public string RootKeyPath => Path.Combine(VaultDirectory, "root.key");

    /// <summary>The sealed root key (<see cref="Strongroom.Vault.SealFile"/>); its presence means initialised. Not used with <see cref="MetadataConnectionString"/> (the seal is in the database).</summary>
    public string SealPath => Path.Combine(VaultDirectory, "seal");

    /// <summary>Development mode only: the single (1-of-1) unseal share, kept beside the seal.</summary>
    public string DevelopmentSharePath => Path.Combine(VaultDirectory, "dev-unseal.share");

    /// <summary>Runtime files of a running server (mode 0700).</summary>
    public string RunDirectory => Path.Combine(Root, "run");

    /// <summary>The running server's control socket (mode 0600): CLI commands run inside the server through it.</summary>
    public string ControlSocketPath => Path.Combine(RunDirectory, "control.sock");

    /// <summary>
    /// True once <c>strongroom init</c> (or <c>--dev</c>) sealed a root key in this directory's
    /// files. Never with <see cref="MetadataConnectionString"/>, where the seal is in the database:
    /// commands ask <see cref="DeploymentVault"/>, which reads whichever store holds the vault.
    /// </summary>
    public bool IsInitialized => File.Exists(SealPath);

    /// <summary>True for a development data directory: its unseal share is stored in its files (for any deployment, shared or not: <see cref="DeploymentVault.IsDevelopment"/>).</summary>
    public bool IsDevelopment => File.Exists(DevelopmentSharePath);

    /// <summary>A data directory from before the sealed vault, not yet initialised: its root key is a plain file.</summary>
    public bool HasLegacyRootKey => File.Exists(RootKeyPath);

    public string KeyringPath => Path.Combine(VaultDirectory, "keyring");

    public string TlsDirectory => Path.Combine(Root, "tls");

    /// <summary>The certificate generated on first start of production mode (PEM).</summary>
    public string GeneratedCertificatePath => Path.Combine(TlsDirectory, "server.crt");

    /// <summary>The private key of the generated certificate (PKCS#8 PEM, mode 0600).</summary>
    public string GeneratedKeyPath => Path.Combine(TlsDirectory, "server.key");

    /// <summary>
    /// True when a deployment has been created here: its metadata database exists. With shared
    /// metadata this directory holds only what belongs to one server (its topology file, TLS
    /// certificate, control socket) and the deployment lives in the database, so this says only that
    /// the directory was created; <see cref="DeploymentExistsAsync"/> asks the database.
    /// </summary>
    public bool Exists => HasSharedMetadata ? Directory.Exists(Root) : File.Exists(MetadataDatabasePath);

    /// <summary>
    /// True when the deployment exists: the SQLite file is there, or a server or <c>strongroom
    /// init</c> has used the shared database (its platform log has an entry; a schema laid down by
    /// <c>strongroom migrate</c> alone is not a deployment yet). Creates nothing.
    /// </summary>
    public async Task<bool> DeploymentExistsAsync(CancellationToken cancellationToken = default) =>
        MetadataConnectionString is { } shared
            ? await Storage.SqlMetadataStore.PostgresHoldsDeploymentAsync(shared, cancellationToken).ConfigureAwait(false)
            : File.Exists(MetadataDatabasePath);

    /// <summary>
    /// <c>$STRONGROOM_DATA</c> when set; otherwise <c>~/.strongroom/dev</c> for development mode and
    /// <c>~/.strongroom/data</c> for production. Separate defaults keep the well-known development
    /// account out of a production deployment; a home-relative path means the same data is found
    /// whichever directory the command runs from (unlike Azurite, which uses the current directory).
    /// </summary>
    public static DataDirectory Default(bool dev)
    {
        var configured = Environment.GetEnvironmentVariable(EnvironmentVariable);
        if (!string.IsNullOrWhiteSpace(configured))
        {
            return new DataDirectory(configured);
        }

        var home = Environment.GetFolderPath(Environment.SpecialFolder.UserProfile);
        var parent = string.IsNullOrEmpty(home) ? Path.Combine(Directory.GetCurrentDirectory(), ".strongroom") : Path.Combine(home, ".strongroom");
        return new DataDirectory(Path.Combine(parent, dev ? "dev" : "data"));
    }

    public static DataDirectory Resolve(string? path, bool dev) => string.IsNullOrWhiteSpace(path) ? Default(dev) : new DataDirectory(path);

    /// <summary>As <see cref="Resolve(string?, bool)"/>, with the deployment's metadata in the shared database <paramref name="metadataConnectionString"/> (null: the SQLite file).</summary>
    public static DataDirectory Resolve(string? path, bool dev, string? metadataConnectionString)
    {
        var directory = Resolve(path, dev);
        return metadataConnectionString is null ? directory : new DataDirectory(directory.Root) { MetadataConnectionString = metadataConnectionString };
    }

    /// <summary>
    /// The shared metadata database to use: <paramref name="option"/> (<c>--metadata</c>) when
    /// given, else <c>$STRONGROOM_METADATA</c> when set and not blank, else null (the SQLite file).
    /// <paramref name="environment"/> reads a variable (default: the process environment).
    /// </summary>
    public static string? ResolveMetadata(string? option, Func<string, string?>? environment = null)
    {
        if (option is not null)
        {
            return string.IsNullOrWhiteSpace(option)
                ? throw new ArgumentException("--metadata must be a PostgreSQL connection string; it is empty.", nameof(option))
                : option;
        }

        var configured = (environment ?? Environment.GetEnvironmentVariable)(MetadataEnvironmentVariable);
        return string.IsNullOrWhiteSpace(configured) ? null : configured;
    }

    /// <summary>Creates the directories, readable by the service user only: they hold key files.</summary>
    public void Create()
    {
        // Parents first: a mode given to CreateDirectory applies only to the directory it names.
        foreach (var directory in new[] { Root, VaultDirectory, SitesDirectory, TlsDirectory, RunDirectory })
        {
            if (OperatingSystem.IsWindows())
            {
                Directory.CreateDirectory(directory);
            }
            else
            {
                Directory.CreateDirectory(directory, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
            }
        }
    }

    public override string ToString() => Root;
}
