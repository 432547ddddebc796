using System.Data;
using System.Data.Common;
using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using Npgsql;

namespace Strongroom.Storage;

/// <summary>
/// The shared metadata database: one PostgreSQL database (and schema) that many servers use at
/// once, through a pooled <see cref="NpgsqlDataSource"/>.
///
/// Writes: READ COMMITTED, and first of all <c>pg_advisory_xact_lock(key)</c>, the key derived
/// from the database and schema names, so every process's write transactions on this store run one
/// at a time (as SQLite's single writer) and independent schemas in one database (the tests') do
/// not wait for each other. Reads: REPEATABLE READ, one snapshot per call. Migrations run
/// under a session advisory lock of their own (and the write lock), so servers starting together on
/// an empty database migrate it exactly once.
///
/// Erased keys: PostgreSQL has no secure_delete, and <see cref="ScrubErasedKeys"/> does nothing. A
/// wrapped key erased by a committed write is gone from every query at once, but its bytes stay in
/// the dead tuple until VACUUM frees the space and a later write reuses it (VACUUM marks space free;
/// it does not zero it), in the WAL until the segment is recycled, and in whatever the operator
/// keeps of either (archived WAL, base backups, replicas). A VACUUM here could not do better: it
/// cannot run inside the writer's transaction, it cannot remove a tuple any other server's open
/// snapshot may still see, and it zeroes nothing. The keys are wrapped (by the account's key, in
/// turn by the vault's keyring), so what remains is ciphertext; the operations guide says how to
/// bound its lifetime (autovacuum, WAL recycling, backup retention).
/// </summary>
internal sealed class PostgresBackend : SqlBackend
{
    private readonly NpgsqlDataSource dataSource;
    private readonly long writeLockKey;
    private readonly long migrationLockKey;

    private PostgresBackend(NpgsqlDataSource dataSource, string description, long writeLockKey, long migrationLockKey)
    {
        this.dataSource = dataSource;
        Description = description;
        this.writeLockKey = writeLockKey;
        this.migrationLockKey = migrationLockKey;
    }

    public override string Description { get; }

    public override string ColumnNamesSql =>
        "SELECT column_name FROM information_schema.columns WHERE table_schema = current_schema() AND table_name = @table ORDER BY ordinal_position";

    /// <summary>
    /// Connects once (so a wrong password, an unreachable host or a certificate that does not verify
    /// is reported now, as a <see cref="MetadataConnectionException"/>) and learns the database and
    /// schema the locks are keyed on.
    /// </summary>
    public static PostgresBackend Open(string connectionString)
    {
        var builder = ParseConnectionString(connectionString);
        var description = Describe(builder);
        var dataSource = new NpgsqlDataSourceBuilder(builder.ConnectionString).Build();
        try
        {
            string database, schema;
            try
            {
                using var connection = dataSource.OpenConnection();
                using var command = connection.CreateCommand();
                command.CommandText = "SELECT current_database(), current_schema()";
                using var reader = command.ExecuteReader();
                reader.Read();
                database = reader.GetString(0);
                schema = reader.IsDBNull(1)
                    ? throw new MetadataConnectionException($"The metadata database {description} has no schema to use: the search path names none that exists.")
                    : reader.GetString(1);
            }
            catch (Exception error) when (error is NpgsqlException or TimeoutException or IOException)
            {
                throw new MetadataConnectionException($"Cannot open the metadata database {description}: {Reason(error)}", error);
            }

            description = $"{description} (schema {schema})";
            return new PostgresBackend(dataSource, description, LockKey("write", database, schema), LockKey("migrate", database, schema));
        }
        catch
        {
            dataSource.Dispose();
            throw;
        }
    }

    public override DbConnection OpenConnection() => dataSource.OpenConnection();

    /// <summary>
    /// REPEATABLE READ: the snapshot is fixed by the first query. Npgsql sends the BEGIN with that
    /// query, so a read costs its queries and the COMMIT and no round trip of its own. (It is not
    /// declared READ ONLY, which would cost a round trip per read; the store refuses a statement
    /// that writes in a read transaction itself, on both databases.)
    /// </summary>
    public override DbTransaction BeginRead(DbConnection connection) =>
        ((NpgsqlConnection)connection).BeginTransaction(IsolationLevel.RepeatableRead);

    public override DbTransaction BeginWrite(DbConnection connection)
    {
        var transaction = ((NpgsqlConnection)connection).BeginTransaction(IsolationLevel.ReadCommitted);
        try
        {
            // Before anything is read: every statement after it sees every write committed before
            // the lock was granted, so a precondition holds at the commit (see SqlBackend).
            using var command = new NpgsqlCommand("SELECT pg_advisory_xact_lock(@key)", (NpgsqlConnection)connection, transaction);
            command.Parameters.AddWithValue("key", writeLockKey);
            command.ExecuteNonQuery();
            return transaction;
        }
        catch
        {
            transaction.Dispose();
            throw;
        }
    }

    /// <summary>Nothing to run (see the class summary): returns true, since trying again would not change what remains.</summary>
    public override bool ScrubErasedKeys(DbConnection connection) => true;

    /// <summary>
    /// Under a session advisory lock (so concurrent starts take turns; the second finds the work
    /// done), in one transaction that also holds the write lock: creates <c>schema_version</c>,
    /// refuses a newer schema, lays down the baseline on an empty database and runs the shared
    /// migrations after it.
    /// </summary>
    public override void Migrate(DbConnection connection, int targetVersion)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(targetVersion, PostgresSchema.BaselineVersion);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(targetVersion, SqliteSchema.CurrentVersion);
        var npgsql = (NpgsqlConnection)connection;
        using (var lockCommand = new NpgsqlCommand("SELECT pg_advisory_lock(@key)", npgsql))
        {
            lockCommand.Parameters.AddWithValue("key", migrationLockKey);
            lockCommand.ExecuteNonQuery();
        }

        try
        {
            using var transaction = BeginWrite(connection);
            Execute(connection, transaction, "CREATE TABLE IF NOT EXISTS schema_version (version BIGINT NOT NULL PRIMARY KEY)");
            var version = Convert.ToInt32(Scalar(connection, transaction, "SELECT COALESCE(MAX(version), 0) FROM schema_version"), CultureInfo.InvariantCulture);
            if (version > SqliteSchema.CurrentVersion)
            {
                throw new SchemaVersionException(
                    $"The metadata database {Description} has schema version {version}, but this build of Strongroom " +
                    $"understands versions up to {SqliteSchema.CurrentVersion}. Run a newer Strongroom; an older one must not write to it.");
            }

            if (version == 0)
            {
                foreach (var statement in PostgresSchema.Baseline)
                {
                    Execute(connection, transaction, statement);
                }

                for (var applied = 1; applied <= PostgresSchema.BaselineVersion; applied++)
                {
                    RecordVersion(connection, transaction, applied);
                }

                version = PostgresSchema.BaselineVersion;
            }
            else if (version < PostgresSchema.BaselineVersion)
            {
                throw new SchemaVersionException($"The metadata database {Description} has schema version {version}, which no PostgreSQL database of Strongroom ever had.");
            }

            for (var from = version; from < targetVersion; from++)
            {
                foreach (var statement in SqliteSchema.MigrationStatements(from))
                {
                    Execute(connection, transaction, PostgresSchema.Translate(statement));
                }

                RecordVersion(connection, transaction, from + 1);
            }

            transaction.Commit();
        }
        finally
        {
            using var unlock = new NpgsqlCommand("SELECT pg_advisory_unlock(@key)", npgsql);
            unlock.Parameters.AddWithValue("key", migrationLockKey);
            unlock.ExecuteNonQuery();
        }
    }

    public override void ClearPool() => dataSource.Clear();

    /// <summary>
    /// An Npgsql keyword string as given, or a libpq URI
    /// (<c>postgresql://user:password@host:port/database?sslmode=verify-full&amp;sslrootcert=...</c>)
    /// converted to one. Anything else is refused without repeating it (it may hold a password).
    /// </summary>
    internal static NpgsqlConnectionStringBuilder ParseConnectionString(string connectionString)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(connectionString);
        var text = connectionString.Trim();
        NpgsqlConnectionStringBuilder builder;
        if (text.StartsWith("postgresql://", StringComparison.OrdinalIgnoreCase) || text.StartsWith("postgres://", StringComparison.OrdinalIgnoreCase))
        {
            builder = FromUri(text);
        }
        else if (text.Contains("://", StringComparison.Ordinal))
        {
            throw new ArgumentException("A PostgreSQL metadata connection string is an Npgsql keyword string (Host=...;Database=...) or a postgresql:// URI; this one is a URI of another scheme.", nameof(connectionString));
        }
        else
        {
            try
            {
                builder = new NpgsqlConnectionStringBuilder(text);
            }
            catch (ArgumentException error)
            {
                throw new ArgumentException($"The PostgreSQL metadata connection string is not an Npgsql keyword string (Host=...;Database=...) or a postgresql:// URI: {error.Message}", nameof(connectionString));
            }
        }

        if (string.IsNullOrEmpty(builder.Host))
        {
            throw new ArgumentException("The PostgreSQL metadata connection string names no host.", nameof(connectionString));
        }

        return builder;
    }

    private static NpgsqlConnectionStringBuilder FromUri(string text)
    {
        if (!Uri.TryCreate(text, UriKind.Absolute, out var uri) || string.IsNullOrEmpty(uri.Host))
        {
            throw new ArgumentException("The postgresql:// URI for the metadata database does not parse (one host only; percent-encode special characters in the user name and password).");
        }

        var builder = new NpgsqlConnectionStringBuilder { Host = uri.Host };
        if (!uri.IsDefaultPort && uri.Port > 0)
        {
            builder.Port = uri.Port;
        }

        if (uri.UserInfo.Length > 0)
        {
            var colon = uri.UserInfo.IndexOf(':', StringComparison.Ordinal);
            builder.Username = Uri.UnescapeDataString(colon < 0 ? uri.UserInfo : uri.UserInfo[..colon]);
            if (colon >= 0)
            {
                builder.Password = Uri.UnescapeDataString(uri.UserInfo[(colon + 1)..]);
            }
        }

        var database = Uri.UnescapeDataString(uri.AbsolutePath.TrimStart('/'));
        if (database.Length > 0)
        {
            builder.Database = database;
        }

        foreach (var pair in uri.Query.TrimStart('?').Split('&', StringSplitOptions.RemoveEmptyEntries))
        {
            var equals = pair.IndexOf('=', StringComparison.Ordinal);
            var name = Uri.UnescapeDataString(equals < 0 ? pair : pair[..equals]);
            var value = equals < 0 ? string.Empty : Uri.UnescapeDataString(pair[(equals + 1)..].Replace('+', ' '));
            switch (name)
            {
                case "sslmode":
                    builder.SslMode = value switch
                    {
                        "disable" => SslMode.Disable,
                        "allow" => SslMode.Allow,
                        "prefer" => SslMode.Prefer,
                        "require" => SslMode.Require,
                        "verify-ca" => SslMode.VerifyCA,
                        "verify-full" => SslMode.VerifyFull,
                        _ => throw new ArgumentException($"The postgresql:// URI's sslmode '{value}' is not one of disable, allow, prefer, require, verify-ca, verify-full."),
                    };
                    break;
                case "sslrootcert":
                    builder.RootCertificate = value;
                    break;
                case "sslcert":
                    builder.SslCertificate = value;
                    break;
                case "sslkey":
                    builder.SslKey = value;
                    break;
                case "application_name":
                    builder.ApplicationName = value;
                    break;
                case "connect_timeout":
                    builder.Timeout = int.Parse(value, NumberStyles.None, CultureInfo.InvariantCulture);
                    break;
                case "options" when value.StartsWith("-c search_path=", StringComparison.Ordinal):
                    builder.SearchPath = value["-c search_path=".Length..];
                    break;
                default:
                    throw new ArgumentException($"The postgresql:// URI's parameter '{name}' is not supported here (sslmode, sslrootcert, sslcert, sslkey, application_name, connect_timeout, options=-c search_path=...); use an Npgsql keyword string for others.");
            }
        }

        return builder;
    }

    /// <summary>Host, port and database (and the search path when given) — never the password.</summary>
    internal static string Describe(NpgsqlConnectionStringBuilder builder)
    {
        var description = string.Create(CultureInfo.InvariantCulture, $"PostgreSQL {builder.Host}:{builder.Port}/{builder.Database ?? builder.Username}");
        return string.IsNullOrEmpty(builder.SearchPath) ? description : $"{description} (search path {builder.SearchPath})";
    }

    /// <summary>The innermost message worth printing: the server's own text, or the socket's or TLS's.</summary>
    private static string Reason(Exception error)
    {
        if (error is PostgresException postgres)
        {
            return $"{postgres.MessageText} ({postgres.SqlState})";
        }

        var messages = new List<string>();
        for (var current = error; current is not null; current = current.InnerException)
        {
            if (!messages.Contains(current.Message))
            {
                messages.Add(current.Message);
            }
        }

        return string.Join(" — ", messages);
    }

    private static long LockKey(string purpose, string database, string schema)
    {
        var digest = SHA256.HashData(Encoding.UTF8.GetBytes($"strongroom {purpose}\0{database}\0{schema}"));
        return System.Buffers.Binary.BinaryPrimitives.ReadInt64BigEndian(digest);
    }

    private static void RecordVersion(DbConnection connection, DbTransaction transaction, int version)
    {
        using var command = new NpgsqlCommand("INSERT INTO schema_version (version) VALUES (@version)", (NpgsqlConnection)connection, (NpgsqlTransaction)transaction);
        command.Parameters.AddWithValue("version", (long)version);
        command.ExecuteNonQuery();
    }

    private static void Execute(DbConnection connection, DbTransaction transaction, string sql)
    {
        using var command = connection.CreateCommand();
        command.Transaction = transaction;
        command.CommandText = sql;
        command.ExecuteNonQuery();
    }

    private static object? Scalar(DbConnection connection, DbTransaction transaction, string sql)
    {
        using var command = connection.CreateCommand();
        command.Transaction = transaction;
        command.CommandText = sql;
        return command.ExecuteScalar();
    }
}

/// <summary>The metadata database could not be reached or refused us (wrong password, TLS, no such database); the message is printable and holds no secret.</summary>
public sealed class MetadataConnectionException(string message, Exception? innerException = null) : Exception(message, innerException);
