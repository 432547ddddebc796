using System.Security.Cryptography;
using System.Text;
using Npgsql;
using Strongroom.Storage;

namespace Strongroom.TestSupport;

/// <summary>
/// Which metadata database the in-process store fixtures open (linked into each test project that
/// has one). By default the SQLite file they name; with <c>STRONGROOM_TEST_METADATA=postgres</c> a
/// fresh PostgreSQL schema per file path instead, in the database <c>STRONGROOM_TEST_POSTGRES</c>
/// names (tests/postgres.sh starts one; test.sh runs those projects a second time so). Reopening
/// the same path reopens the same schema; <see cref="DropAsync"/> removes it.
/// </summary>
public static class TestMetadata
{
    /// <summary>The environment variable choosing the backend ("postgres"; anything else: SQLite).</summary>
    public const string BackendVariable = "STRONGROOM_TEST_METADATA";

    /// <summary>An Npgsql connection string to a database the tests may create schemas in, as a superuser.</summary>
    public const string PostgresVariable = "STRONGROOM_TEST_POSTGRES";

    /// <summary>"1": a test that needs PostgreSQL and finds no <see cref="PostgresVariable"/> fails instead of passing without running.</summary>
    public const string RequirePostgresVariable = "STRONGROOM_TEST_REQUIRE_POSTGRES";

    /// <summary>The CA certificate (PEM) the test cluster's server certificate chains to.</summary>
    public const string PostgresCaVariable = "STRONGROOM_TEST_POSTGRES_CA";

    /// <summary>True when the fixtures run on PostgreSQL: tests of SQLite itself (its file, WAL, pragmas) return early then.</summary>
    public static bool UsesPostgres =>
        string.Equals(Environment.GetEnvironmentVariable(BackendVariable), "postgres", StringComparison.OrdinalIgnoreCase);

    /// <summary>
    /// The test cluster's connection string, or null when there is none — after which a test
    /// returns early (passes without running), unless <see cref="RequirePostgresVariable"/> is set,
    /// when this throws so the test fails saying what is missing.
    /// </summary>
    public static string? PostgresOrSkip()
    {
        var connectionString = Environment.GetEnvironmentVariable(PostgresVariable);
        if (!string.IsNullOrEmpty(connectionString))
        {
            return connectionString;
        }

        if (Environment.GetEnvironmentVariable(RequirePostgresVariable) == "1")
        {
            throw new InvalidOperationException(
                $"This test needs PostgreSQL: set {PostgresVariable} to an Npgsql connection string of a superuser (tests/postgres.sh start DIR prints one).");
        }

        return null;
    }

    /// <summary>Opens the store for <paramref name="sqlitePath"/>: that SQLite file, or its PostgreSQL schema.</summary>
    public static async Task<SqlMetadataStore> OpenAsync(string sqlitePath)
    {
        if (!UsesPostgres)
        {
            return await SqlMetadataStore.OpenSqliteAsync(sqlitePath);
        }

        return await SqlMetadataStore.OpenPostgresAsync(await CreateSchemaAsync(SchemaName(sqlitePath)));
    }

    /// <summary>The connection string of <paramref name="sqlitePath"/>'s PostgreSQL schema (created by <see cref="OpenAsync"/>).</summary>
    public static string ConnectionString(string sqlitePath) =>
        new NpgsqlConnectionStringBuilder(PostgresOrSkip() ?? throw new InvalidOperationException($"{PostgresVariable} is not set.")) { SearchPath = SchemaName(sqlitePath) }.ConnectionString;

    /// <summary>An open connection of its own to the store of <paramref name="sqlitePath"/> (SQLite file or PostgreSQL schema); parameters are written @name.</summary>
    public static async Task<System.Data.Common.DbConnection> OpenConnectionAsync(string sqlitePath)
    {
        System.Data.Common.DbConnection connection = UsesPostgres
            ? new NpgsqlConnection(ConnectionString(sqlitePath))
            : new Microsoft.Data.Sqlite.SqliteConnection($"Data Source={sqlitePath};Pooling=False");
        await connection.OpenAsync();
        return connection;
    }

    /// <summary>Drops the PostgreSQL schema of <paramref name="sqlitePath"/>, if any (after the store is disposed).</summary>
    public static async Task DropAsync(string sqlitePath)
    {
        if (UsesPostgres && PostgresOrSkip() is { } server)
        {
            await DropSchemaAsync(server, SchemaName(sqlitePath));
        }
    }

    /// <summary>
    /// Creates a schema of its own in the test cluster and returns a connection string whose search
    /// path is it (throws when no cluster is configured: the caller asked for PostgreSQL).
    /// </summary>
    public static async Task<string> CreateSchemaAsync(string schema)
    {
        var server = PostgresOrSkip()
            ?? throw new InvalidOperationException($"{BackendVariable}=postgres needs {PostgresVariable} (tests/postgres.sh start DIR prints it).");
        await using (var connection = new NpgsqlConnection(server))
        {
            await connection.OpenAsync();
            await using var command = new NpgsqlCommand($"CREATE SCHEMA IF NOT EXISTS \"{schema}\"", connection);
            await command.ExecuteNonQueryAsync();
        }

        return new NpgsqlConnectionStringBuilder(server) { SearchPath = schema }.ConnectionString;
    }

    /// <summary>Drops <paramref name="schema"/> and everything in it.</summary>
    public static async Task DropSchemaAsync(string server, string schema)
    {
        await using var connection = new NpgsqlConnection(server);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand($"DROP SCHEMA IF EXISTS \"{schema}\" CASCADE", connection);
        await command.ExecuteNonQueryAsync();
    }

    /// <summary>A schema name unique to the path (which is under a fresh temporary directory).</summary>
    public static string SchemaName(string sqlitePath) =>
        "test_" + Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(Path.GetFullPath(sqlitePath))))[..24];
}
