using System.Data.Common;
using Microsoft.Data.Sqlite;

namespace Strongroom.Storage;

/// <summary>
/// The embedded metadata database: one SQLite file in WAL mode, written by one server (and the
/// CLI when no server runs). synchronous=FULL makes every commit fsync the WAL before it returns;
/// secure_delete zeroes erased rows in the file, and <see cref="ScrubErasedKeys"/> truncates the
/// WAL that still holds their old pages.
/// </summary>
internal sealed class SqliteBackend : SqlBackend
{
    // Pooled connections keep these, but a connection opened by a pool refill does not have them
    // yet; re-issuing them on every open costs microseconds and removes the question.
    private const string ConnectionPragmas =
        "PRAGMA synchronous = FULL; PRAGMA foreign_keys = ON; PRAGMA busy_timeout = 5000; PRAGMA secure_delete = ON;";

    private readonly string connectionString;

    private SqliteBackend(string path, string connectionString)
    {
        Path = path;
        this.connectionString = connectionString;
    }

    /// <summary>The database file's full path.</summary>
    public string Path { get; }

    public override string Description => Path;

    public override string ColumnNamesSql => "SELECT name FROM pragma_table_info(@table) ORDER BY cid";

    /// <summary>Opens (creating when absent) the file, in WAL mode.</summary>
    public static SqliteBackend Open(string databasePath)
    {
        ArgumentException.ThrowIfNullOrEmpty(databasePath);
        var fullPath = System.IO.Path.GetFullPath(databasePath);
        Directory.CreateDirectory(System.IO.Path.GetDirectoryName(fullPath)!);
        var builder = new SqliteConnectionStringBuilder
        {
            DataSource = fullPath,
            Mode = SqliteOpenMode.ReadWriteCreate,
            Pooling = true,
        };

        var backend = new SqliteBackend(fullPath, builder.ToString());
        try
        {
            using var connection = backend.OpenConnection();
            using var command = connection.CreateCommand();

            // WAL is a property of the file, so setting it once here covers every connection.
            command.CommandText = "PRAGMA journal_mode = WAL";
            var mode = command.ExecuteScalar() as string;
            if (!string.Equals(mode, "wal", StringComparison.OrdinalIgnoreCase))
            {
                throw new InvalidOperationException($"The metadata database '{fullPath}' cannot use write-ahead logging (journal mode is '{mode}').");
            }
        }
        catch
        {
            backend.ClearPool();
            throw;
        }

        return backend;
    }

    public override DbConnection OpenConnection()
    {
        var connection = new SqliteConnection(connectionString);
        try
        {
            connection.Open();
            using var command = connection.CreateCommand();
            command.CommandText = ConnectionPragmas;
            command.ExecuteNonQuery();
            return connection;
        }
        catch
        {
            connection.Dispose();
            throw;
        }
    }

    // Deferred: in WAL mode a read transaction takes no lock, it pins a snapshot at its first read.
    public override DbTransaction BeginRead(DbConnection connection) =>
        ((SqliteConnection)connection).BeginTransaction(deferred: true);

    // BEGIN IMMEDIATE: take the write lock before reading, so a precondition never sees a row that
    // another process changes before this transaction commits.
    public override DbTransaction BeginWrite(DbConnection connection) =>
        ((SqliteConnection)connection).BeginTransaction(deferred: false);

    /// <summary>One truncating checkpoint; true when it completed (SQLite reports busy = 0), false
    /// when a reader's snapshot blocked it (tried again at the next quiet moment).</summary>
    public override bool ScrubErasedKeys(DbConnection connection)
    {
        using var command = connection.CreateCommand();
        command.CommandText = "PRAGMA wal_checkpoint(TRUNCATE)";
        using var reader = command.ExecuteReader();
        return reader.Read() && reader.GetInt64(0) == 0;
    }

    public override void Migrate(DbConnection connection, int targetVersion) =>
        SqliteSchema.Migrate((SqliteConnection)connection, Path, targetVersion);

    public override void ClearPool()
    {
        using var connection = new SqliteConnection(connectionString);
        SqliteConnection.ClearPool(connection);
    }
}
