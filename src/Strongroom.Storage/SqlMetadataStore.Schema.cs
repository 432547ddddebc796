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
    /// The schema version of the PostgreSQL database <paramref name="connectionString"/> names: 0
    /// when it holds no Strongroom schema yet. Nothing is created.
    /// </summary>
    /// <exception cref="System.Data.Common.DbException">The database cannot be reached or read.</exception>
    public static Task<int> ReadPostgresSchemaVersionAsync(string connectionString, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(connectionString);

        // TODO(issue 9): the pgstore lane's backend reads its schema_version table here.
        cancellationToken.ThrowIfCancellationRequested();
        throw new NotSupportedException("PostgreSQL metadata is being built (issue 9, lane pgstore).");
    }

    /// <summary>
    /// What a PostgreSQL connection string names, for messages: host, port and database, never the
    /// user's password or any other setting.
    /// </summary>
    public static string DescribePostgres(string connectionString)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(connectionString);

        // TODO(issue 9): the pgstore lane's parser (keyword strings and postgresql:// URIs) answers this.
        return "PostgreSQL";
    }

    /// <summary>The refusal of a database whose schema is newer than this build (the wording opening it uses).</summary>
    public static SchemaVersionException NewerSchema(string description, int version) =>
        new($"The metadata database '{description}' has schema version {version}, but this build of Strongroom " +
            $"understands versions up to {SchemaVersion}. Run a newer Strongroom; an older one must not write to it.");
}
