using Microsoft.Data.Sqlite;
using Npgsql;
using Strongroom.TestSupport;

namespace Strongroom.Storage.Tests;

/// <summary>
/// The PostgreSQL backend itself: opening (URI or keyword string, TLS verified against the test
/// cluster's CA, clear errors), migrations (exactly once under concurrent starts, refusing a newer
/// schema) and the schema's parity with SQLite's. Each test uses a schema of its own, dropped after.
/// Without STRONGROOM_TEST_POSTGRES these return early (or fail, when STRONGROOM_TEST_REQUIRE_POSTGRES=1).
/// </summary>
public sealed class PostgresStoreTests : IAsyncLifetime
{
    private readonly string schema = "pgtest_" + Guid.NewGuid().ToString("N")[..16];
    private string? server;
    private string connectionString = string.Empty;

    public async Task InitializeAsync()
    {
        server = TestMetadata.PostgresOrSkip();
        if (server is not null)
        {
            connectionString = await TestMetadata.CreateSchemaAsync(schema);
        }
    }

    public async Task DisposeAsync()
    {
        if (server is not null)
        {
            await TestMetadata.DropSchemaAsync(server, schema);
        }
    }

    [Fact]
    public async Task Servers_starting_together_on_an_empty_schema_migrate_it_exactly_once()
    {
        if (server is null)
        {
            return;
        }

        var stores = await Task.WhenAll(Enumerable.Range(0, 4).Select(_ => Task.Run(() => SqlMetadataStore.OpenPostgresAsync(connectionString))));
        foreach (var store in stores)
        {
            await store.DisposeAsync();
        }

        var versions = await QueryAsync("SELECT version FROM schema_version ORDER BY version", reader => reader.GetInt64(0));
        Assert.Equal(Enumerable.Range(1, SqliteSchema.CurrentVersion).Select(v => (long)v), versions);
    }

    [Fact]
    public async Task A_newer_schema_is_refused_naming_both_versions_and_the_database_but_no_password()
    {
        if (server is null)
        {
            return;
        }

        await (await SqlMetadataStore.OpenPostgresAsync(connectionString)).DisposeAsync();
        await ExecuteAsync($"INSERT INTO schema_version (version) VALUES ({SqliteSchema.CurrentVersion + 1})");

        var error = await Assert.ThrowsAsync<SchemaVersionException>(() => SqlMetadataStore.OpenPostgresAsync(connectionString));
        Assert.Contains($"schema version {SqliteSchema.CurrentVersion + 1}", error.Message, StringComparison.Ordinal);
        Assert.Contains($"up to {SqliteSchema.CurrentVersion}", error.Message, StringComparison.Ordinal);
        var builder = new NpgsqlConnectionStringBuilder(connectionString);
        Assert.Contains($"{builder.Host}:{builder.Port}/{builder.Database}", error.Message, StringComparison.Ordinal);
        Assert.DoesNotContain(builder.Password!, error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_uri_opens_the_same_database_and_other_forms_are_refused_without_echoing_them()
    {
        if (server is null)
        {
            return;
        }

        var builder = new NpgsqlConnectionStringBuilder(connectionString);
        var uri = $"postgresql://{Uri.EscapeDataString(builder.Username!)}:{Uri.EscapeDataString(builder.Password!)}@{builder.Host}:{builder.Port}/{builder.Database}" +
            $"?sslmode=require&options={Uri.EscapeDataString("-c search_path=" + schema)}";
        await using (var store = await SqlMetadataStore.OpenPostgresAsync(uri))
        {
            Assert.Contains($"schema {schema}", store.Description, StringComparison.Ordinal);
            Assert.DoesNotContain(builder.Password!, store.Description, StringComparison.Ordinal);
        }

        var other = await Assert.ThrowsAsync<ArgumentException>(() => SqlMetadataStore.OpenPostgresAsync("mysql://u:secret-word@h/db"));
        Assert.DoesNotContain("secret-word", other.Message, StringComparison.Ordinal);
        var unknown = await Assert.ThrowsAsync<ArgumentException>(() => SqlMetadataStore.OpenPostgresAsync($"postgresql://u:secret-word@h/db?frobnicate=1"));
        Assert.Contains("frobnicate", unknown.Message, StringComparison.Ordinal);
        Assert.DoesNotContain("secret-word", unknown.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_wrong_password_is_a_clear_error_without_the_password()
    {
        if (server is null)
        {
            return;
        }

        var wrong = new NpgsqlConnectionStringBuilder(connectionString) { Password = "not-the-password-42" }.ConnectionString;
        var error = await Assert.ThrowsAsync<MetadataConnectionException>(() => SqlMetadataStore.OpenPostgresAsync(wrong));
        Assert.Contains("password authentication failed", error.Message, StringComparison.Ordinal);
        Assert.DoesNotContain("not-the-password-42", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Tls_verifies_the_server_against_the_given_ca_and_a_wrong_ca_fails_clearly()
    {
        if (server is null)
        {
            return;
        }

        var ca = Environment.GetEnvironmentVariable(TestMetadata.PostgresCaVariable);
        if (string.IsNullOrEmpty(ca))
        {
            Assert.NotEqual("1", Environment.GetEnvironmentVariable(TestMetadata.RequirePostgresVariable));
            return;
        }

        var verified = new NpgsqlConnectionStringBuilder(connectionString) { SslMode = SslMode.VerifyFull, RootCertificate = ca }.ConnectionString;
        await using (var store = await SqlMetadataStore.OpenPostgresAsync(verified))
        {
            Assert.Empty(await store.ListAccountsAsync());
        }

        // A CA that did not sign the server's certificate.
        var otherCa = Path.Combine(Directory.CreateTempSubdirectory("strongroom-pg-ca-").FullName, "other-ca.crt");
        using (var key = System.Security.Cryptography.ECDsa.Create())
        {
            var request = new System.Security.Cryptography.X509Certificates.CertificateRequest("CN=Not the test CA", key, System.Security.Cryptography.HashAlgorithmName.SHA256);
            request.CertificateExtensions.Add(new System.Security.Cryptography.X509Certificates.X509BasicConstraintsExtension(true, false, 0, true));
            using var certificate = request.CreateSelfSigned(DateTimeOffset.UtcNow.AddDays(-1), DateTimeOffset.UtcNow.AddDays(1));
            await File.WriteAllTextAsync(otherCa, certificate.ExportCertificatePem());
        }

        try
        {
            var wrong = new NpgsqlConnectionStringBuilder(connectionString) { SslMode = SslMode.VerifyFull, RootCertificate = otherCa }.ConnectionString;
            var error = await Assert.ThrowsAsync<MetadataConnectionException>(() => SqlMetadataStore.OpenPostgresAsync(wrong));
            Assert.Contains("Cannot open the metadata database PostgreSQL", error.Message, StringComparison.Ordinal);
            Assert.Contains("certificate", error.Message, StringComparison.OrdinalIgnoreCase);
        }
        finally
        {
            Directory.Delete(Path.GetDirectoryName(otherCa)!, recursive: true);
        }
    }

    [Fact]
    public async Task Every_table_has_the_same_columns_keys_and_indexes_as_on_sqlite()
    {
        if (server is null)
        {
            return;
        }

        await (await SqlMetadataStore.OpenPostgresAsync(connectionString)).DisposeAsync();
        var directory = Directory.CreateTempSubdirectory("strongroom-parity-").FullName;
        try
        {
            var sqlitePath = Path.Combine(directory, "metadata.db");
            await (await SqlMetadataStore.OpenSqliteAsync(sqlitePath)).DisposeAsync();
            var sqlite = SqliteShape(sqlitePath);
            SqliteConnection.ClearAllPools();
            var postgres = await PostgresShapeAsync();
            Assert.Equal(sqlite.Keys.Order(StringComparer.Ordinal), postgres.Keys.Order(StringComparer.Ordinal));
            foreach (var table in sqlite.Keys)
            {
                Assert.Equal(sqlite[table], postgres[table]);
            }
        }
        finally
        {
            Directory.Delete(directory, recursive: true);
        }
    }

    [Fact]
    public void Shared_migrations_translate_their_types_and_refuse_what_is_not_portable()
    {
        Assert.Equal(
            "CREATE TABLE t (a TEXT COLLATE \"C\" NOT NULL, b BIGINT NULL, c BYTEA NOT NULL, d TEXT COLLATE \"C\" DEFAULT 'TEXT')",
            PostgresSchema.Translate("CREATE TABLE t (a TEXT NOT NULL, b INTEGER NULL, c BLOB NOT NULL, d TEXT DEFAULT 'TEXT')"));
        Assert.Throws<InvalidOperationException>(() => PostgresSchema.Translate("CREATE TRIGGER x BEFORE DELETE ON t BEGIN SELECT 1; END"));
        Assert.Throws<InvalidOperationException>(() => PostgresSchema.Translate("CREATE TABLE t (a INTEGER PRIMARY KEY) WITHOUT ROWID"));
        for (var from = PostgresSchema.BaselineVersion; from < SqliteSchema.CurrentVersion; from++)
        {
            foreach (var statement in SqliteSchema.MigrationStatements(from))
            {
                Assert.NotEmpty(PostgresSchema.Translate(statement));
            }
        }
    }

    /// <summary>Per table: its columns (name, NOT NULL, type family), primary key and indexes (name, unique, columns, partial).</summary>
    private static string Family(string type) => type.ToUpperInvariant() switch
    {
        "INTEGER" or "BIGINT" => "integer",
        "TEXT" => "text",
        "BLOB" or "BYTEA" => "bytes",
        var other => other,
    };

    private static Dictionary<string, string> SqliteShape(string path)
    {
        using var connection = new SqliteConnection(new SqliteConnectionStringBuilder { DataSource = path, Pooling = false }.ToString());
        connection.Open();
        var tables = Query(connection, "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'", r => r.GetString(0));
        var shapes = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var table in tables)
        {
            var columns = Query(connection, $"SELECT name, \"notnull\", type, pk FROM pragma_table_info('{table}') ORDER BY cid", r => (Name: r.GetString(0), NotNull: r.GetInt64(1) != 0 || r.GetInt64(3) != 0, Type: Family(r.GetString(2)), Pk: r.GetInt64(3)));
            var key = string.Join(",", columns.Where(c => c.Pk > 0).OrderBy(c => c.Pk).Select(c => c.Name));
            var indexes = Query(connection, $"SELECT name, \"unique\", partial FROM pragma_index_list('{table}') WHERE origin = 'c'", r => (Name: r.GetString(0), Unique: r.GetInt64(1) != 0, Partial: r.GetInt64(2) != 0))
                .Select(index => $"{index.Name}:{index.Unique}:{index.Partial}:" + string.Join(",", Query(connection, $"SELECT name FROM pragma_index_info('{index.Name}') ORDER BY seqno", r => r.GetString(0))));
            shapes[table] = Shape(columns.Select(c => $"{c.Name}:{c.NotNull}:{c.Type}"), key, indexes);
        }

        return shapes;
    }

    private async Task<Dictionary<string, string>> PostgresShapeAsync()
    {
        var tables = await QueryAsync("SELECT table_name FROM information_schema.tables WHERE table_schema = current_schema() AND table_type = 'BASE TABLE'", r => r.GetString(0));
        var shapes = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var table in tables)
        {
            var columns = await QueryAsync(
                $"SELECT column_name, is_nullable, data_type, COALESCE(collation_name, '') FROM information_schema.columns WHERE table_schema = current_schema() AND table_name = '{table}' ORDER BY ordinal_position",
                r => (Name: r.GetString(0), NotNull: r.GetString(1) == "NO", Type: Family(r.GetString(2)), Collation: r.GetString(3)));
            Assert.All(columns.Where(c => c.Type == "text"), c => Assert.Equal("C", c.Collation));
            var key = string.Join(",", await QueryAsync(
                $"SELECT a.attname FROM pg_index i JOIN LATERAL unnest(i.indkey) WITH ORDINALITY k(attnum, n) ON true JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = k.attnum WHERE i.indrelid = '{table}'::regclass AND i.indisprimary ORDER BY k.n",
                r => r.GetString(0)));
            var indexes = new List<string>();
            foreach (var (name, unique, partial) in await QueryAsync(
                $"SELECT c.relname, i.indisunique, i.indpred IS NOT NULL FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid WHERE i.indrelid = '{table}'::regclass AND NOT i.indisprimary " +
                "AND NOT EXISTS (SELECT 1 FROM pg_constraint k WHERE k.conindid = i.indexrelid AND k.contype = 'u')",
                r => (r.GetString(0), r.GetBoolean(1), r.GetBoolean(2))))
            {
                var indexColumns = await QueryAsync(
                    $"SELECT a.attname FROM pg_index i JOIN LATERAL unnest(i.indkey) WITH ORDINALITY k(attnum, n) ON true JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = k.attnum WHERE i.indexrelid = '{name}'::regclass ORDER BY k.n",
                    r => r.GetString(0));
                indexes.Add($"{name}:{unique}:{partial}:" + string.Join(",", indexColumns));
            }

            shapes[table] = Shape(columns.Select(c => $"{c.Name}:{c.NotNull}:{c.Type}"), key, indexes);
        }

        return shapes;
    }

    private static string Shape(IEnumerable<string> columns, string key, IEnumerable<string> indexes) =>
        $"columns {string.Join(" ", columns)}; key {key}; indexes {string.Join(" ", indexes.Order(StringComparer.Ordinal))}";

    private static List<T> Query<T>(SqliteConnection connection, string sql, Func<SqliteDataReader, T> read)
    {
        using var command = connection.CreateCommand();
        command.CommandText = sql;
        using var reader = command.ExecuteReader();
        var rows = new List<T>();
        while (reader.Read())
        {
            rows.Add(read(reader));
        }

        return rows;
    }

    private async Task<List<T>> QueryAsync<T>(string sql, Func<NpgsqlDataReader, T> read)
    {
        await using var connection = new NpgsqlConnection(connectionString);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand(sql, connection);
        await using var reader = await command.ExecuteReaderAsync();
        var rows = new List<T>();
        while (await reader.ReadAsync())
        {
            rows.Add(read(reader));
        }

        return rows;
    }

    private async Task ExecuteAsync(string sql)
    {
        await using var connection = new NpgsqlConnection(connectionString);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand(sql, connection);
        await command.ExecuteNonQueryAsync();
    }
}
