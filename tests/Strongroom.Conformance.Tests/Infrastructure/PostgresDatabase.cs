using System.Security.Cryptography;
using Npgsql;

namespace Strongroom.Conformance.Tests.Infrastructure;

/// <summary>
/// A fresh PostgreSQL database for one test class, created on the cluster that
/// <see cref="ServerVariable"/> names (a superuser's Npgsql connection string, which test.sh and
/// tests/postgres.sh export) and dropped at the end. Without it, tests that need PostgreSQL pass
/// without running, unless <see cref="RequireVariable"/> is 1 (test.sh sets it): then they fail
/// with a message that says what is missing.
/// </summary>
public sealed class PostgresDatabase : IAsyncDisposable
{
    public const string ServerVariable = "STRONGROOM_TEST_POSTGRES";

    public const string RequireVariable = "STRONGROOM_TEST_REQUIRE_POSTGRES";

    readonly string _serverConnectionString;

    PostgresDatabase(string serverConnectionString, string name, string connectionString)
    {
        _serverConnectionString = serverConnectionString;
        Name = name;
        ConnectionString = connectionString;
    }

    /// <summary>The database's name: <c>sr_</c> and 16 random hex digits.</summary>
    public string Name { get; }

    /// <summary>An Npgsql connection string to this database (for <c>--metadata</c>). Never printed: it may hold a password.</summary>
    public string ConnectionString { get; }

    /// <summary>What the cluster is, for messages: host, port and database, never the password.</summary>
    public string Description
    {
        get
        {
            var builder = new NpgsqlConnectionStringBuilder(ConnectionString);
            return $"postgresql {builder.Host}:{builder.Port}/{builder.Database}";
        }
    }

    /// <summary>
    /// True when <see cref="ServerVariable"/> is set. False when it is not and PostgreSQL is not
    /// required (the caller returns early: skipped as passed). Throws when it is required.
    /// </summary>
    public static bool Available()
    {
        if (!string.IsNullOrWhiteSpace(Environment.GetEnvironmentVariable(ServerVariable)))
        {
            return true;
        }

        if (Environment.GetEnvironmentVariable(RequireVariable) == "1")
        {
            throw new InvalidOperationException(
                $"{RequireVariable}=1 but {ServerVariable} is not set: start a cluster with tests/postgres.sh and export its connection string.");
        }

        return false;
    }

    /// <summary>Creates a database named <c>sr_…</c> on the cluster of <see cref="ServerVariable"/>; call only when <see cref="Available"/>.</summary>
    public static async Task<PostgresDatabase> CreateAsync()
    {
        var server = Environment.GetEnvironmentVariable(ServerVariable)
            ?? throw new InvalidOperationException($"{ServerVariable} is not set.");
        var builder = new NpgsqlConnectionStringBuilder(server);
        if (builder.Password is { } password)
        {
            TestLogs.RecordSecret("postgres password", password);
        }

        // A name chosen here, not by the test: only [0-9a-f] after the prefix, so it needs no quoting.
        var name = "sr_" + RandomNumberGenerator.GetHexString(16, lowercase: true);
        await using (var connection = new NpgsqlConnection(server))
        {
            await connection.OpenAsync();
            await using var create = new NpgsqlCommand($"CREATE DATABASE {name}", connection);
            await create.ExecuteNonQueryAsync();
        }

        builder.Database = name;
        return new PostgresDatabase(server, name, builder.ConnectionString);
    }

    /// <summary>Runs <paramref name="sql"/> on this database and returns the first column of the first row (null when none).</summary>
    public async Task<object?> ScalarAsync(string sql)
    {
        await using var connection = new NpgsqlConnection(ConnectionString);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand(sql, connection);
        var result = await command.ExecuteScalarAsync();
        return result is DBNull ? null : result;
    }

    public async ValueTask DisposeAsync()
    {
        // The servers are gone by now; FORCE ends any connection a killed one left half-open.
        NpgsqlConnection.ClearAllPools();
        await using var connection = new NpgsqlConnection(_serverConnectionString);
        await connection.OpenAsync();
        await using var drop = new NpgsqlCommand($"DROP DATABASE IF EXISTS {Name} WITH (FORCE)", connection);
        await drop.ExecuteNonQueryAsync();
    }
}
