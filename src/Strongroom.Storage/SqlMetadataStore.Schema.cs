using Microsoft.Data.Sqlite;

namespace Strongroom.Storage;

/// <summary>
/// The schema's version, read without migrating, for <c>strongroom migrate</c> and for deciding
/// whether a deployment exists. Opening a store (<see cref="OpenSqliteAsync"/>,
/// <see cref="OpenPostgresAsync"/>) is what migrates; nothing here writes.
/// </summary>
public sealed partial class SqlMetadataStore
{
    /// <summary>The schema version this build reads and writes; opening a store brings a database to it.</summary>
    public const int SchemaVersion = SqliteSchema.CurrentVersion;

    /// <summary>
    /// The schema version of the SQLite file at <paramref name="databasePath"/>: 0 when it holds no
    /// Strongroom schema yet, null when the file does not exist (it is not created). A version above
    /// <see cref="SchemaVersion"/> is returned as it is: see <see cref="NewerSchema"/>.
    /// </summary>
    /// <exception cref="System.Data.Common.DbException">The file is not a SQLite database, or cannot be read.</exception>
    public static Task<int?> ReadSqliteSchemaVersionAsync(string databasePath, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(databasePath);
        cancellationToken.ThrowIfCancellationRequested();
        var fullPath = Path.GetFullPath(databasePath);
        if (!File.Exists(fullPath))
        {
            return Task.FromResult<int?>(null);
        }

        // Read-only and unpooled: nothing is created, and no handle outlives the call.
        var builder = new SqliteConnectionStringBuilder { DataSource = fullPath, Mode = SqliteOpenMode.ReadOnly, Pooling = false };
        using var connection = new SqliteConnection(builder.ToString());
        connection.Open();
        using var command = connection.CreateCommand();
        command.CommandText = "SELECT COUNT(*) FROM sqlite_master WHERE type = 'table' AND name = 'schema_version'";
        if (Convert.ToInt64(command.ExecuteScalar(), System.Globalization.CultureInfo.InvariantCulture) == 0)
        {
            return Task.FromResult<int?>(0);
        }

        command.CommandText = "SELECT COALESCE(MAX(version), 0) FROM schema_version";
        return Task.FromResult<int?>(Convert.ToInt32(command.ExecuteScalar(), System.Globalization.CultureInfo.InvariantCulture));
    }

    /// <summary>
    /// The schema version of the PostgreSQL database (and schema, by its search path)
    /// <paramref name="connectionString"/> names: 0 when it holds no Strongroom schema yet. Nothing
    /// is created.
    /// </summary>
    /// <exception cref="MetadataConnectionException">The database could not be reached or refused us.</exception>
    /// <exception cref="ArgumentException">The connection string is neither form (the message does not repeat it).</exception>
    public static Task<int> ReadPostgresSchemaVersionAsync(string connectionString, CancellationToken cancellationToken = default) =>
        QueryPostgresAsync(
            connectionString,
            command =>
            {
                // to_regclass resolves the name on the search path, as the store's statements do.
                command.CommandText = "SELECT to_regclass('schema_version') IS NOT NULL";
                if (command.ExecuteScalar() is not true)
                {
                    return 0;
                }

                command.CommandText = "SELECT COALESCE(MAX(version), 0) FROM schema_version";
                return Convert.ToInt32(command.ExecuteScalar(), System.Globalization.CultureInfo.InvariantCulture);
            },
            cancellationToken);

    /// <summary>
    /// True when the PostgreSQL database holds a deployment: a server or <c>strongroom init</c> has
    /// used it, so its platform log has an entry. A schema that only <c>strongroom migrate</c> laid
    /// down is not one yet. Nothing is created.
    /// </summary>
    /// <exception cref="MetadataConnectionException">The database could not be reached or refused us.</exception>
    /// <exception cref="ArgumentException">The connection string is neither form (the message does not repeat it).</exception>
    public static Task<bool> PostgresHoldsDeploymentAsync(string connectionString, CancellationToken cancellationToken = default) =>
        QueryPostgresAsync(
            connectionString,
            command =>
            {
                command.CommandText = "SELECT to_regclass('audit_logs') IS NOT NULL";
                if (command.ExecuteScalar() is not true)
                {
                    return false;
                }

                command.CommandText = "SELECT COALESCE((SELECT size FROM audit_logs WHERE log = @log), 0)";
                var log = command.CreateParameter();
                log.ParameterName = "@log";
                log.Value = Core.AuditLogs.Platform;
                command.Parameters.Add(log);
                return Convert.ToInt64(command.ExecuteScalar(), System.Globalization.CultureInfo.InvariantCulture) > 0;
            },
            cancellationToken);

    /// <summary>Runs <paramref name="query"/> on one connection to the database, off the caller's thread; the pool is closed after.</summary>
    private static Task<T> QueryPostgresAsync<T>(string connectionString, Func<System.Data.Common.DbCommand, T> query, CancellationToken cancellationToken)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(connectionString);
        cancellationToken.ThrowIfCancellationRequested();
        return Task.Run(
            () =>
            {
                var backend = PostgresBackend.Open(connectionString);
                try
                {
                    using var connection = backend.OpenConnection();
                    using var command = connection.CreateCommand();
                    return query(command);
                }
                catch (Npgsql.NpgsqlException error)
                {
                    throw new MetadataConnectionException($"Cannot read the metadata database {backend.Description}: {error.Message}", error);
                }
                finally
                {
                    backend.ClearPool();
                }
            },
            cancellationToken);
    }

    /// <summary>
    /// What a PostgreSQL connection string names, for messages: host, port and database, never the
    /// user's password or any other setting. Does not connect.
    /// </summary>
    /// <exception cref="ArgumentException">The connection string is neither form (the message does not repeat it).</exception>
    public static string DescribePostgres(string connectionString) =>
        PostgresBackend.Describe(PostgresBackend.ParseConnectionString(connectionString));

    /// <summary>Null when <paramref name="connectionString"/> is an Npgsql keyword string or a postgresql:// URI; else why not (never repeating it).</summary>
    public static string? CheckPostgresConnectionString(string connectionString)
    {
        if (string.IsNullOrWhiteSpace(connectionString))
        {
            return "The PostgreSQL metadata connection string is empty.";
        }

        try
        {
            PostgresBackend.ParseConnectionString(connectionString);
            return null;
        }
        catch (ArgumentException error)
        {
            // Npgsql's and the parser's messages name a keyword at most, never a value.
            return error.Message.Replace($" (Parameter '{error.ParamName}')", string.Empty, StringComparison.Ordinal);
        }
    }

    /// <summary>
    /// The refusal of a database whose schema is newer than this build, in the words opening it
    /// uses (a SQLite file's path is quoted, a PostgreSQL description is not).
    /// </summary>
    public static SchemaVersionException NewerSchema(string description, int version, bool postgres = false) =>
        new($"The metadata database {(postgres ? description : $"'{description}'")} has schema version {version}, but this build of Strongroom " +
            $"understands versions up to {SchemaVersion}. Run a newer Strongroom; an older one must not write to it.");
}
