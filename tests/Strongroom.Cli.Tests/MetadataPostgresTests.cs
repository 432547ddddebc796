using Npgsql;
using Strongroom.Storage;
using Strongroom.TestSupport;

namespace Strongroom.Cli.Tests;

/// <summary>
/// --metadata on PostgreSQL (the cluster STRONGROOM_TEST_POSTGRES names; each test in a schema of
/// its own): migrate from an empty database, a newer schema refused, a server on the shared
/// database with no metadata.db, a second server joining only with the topology, and the
/// connection string's password in no output.
/// </summary>
public sealed class MetadataPostgresTests : IAsyncLifetime
{
    private static readonly TimeSpan StartTimeout = TimeSpan.FromSeconds(60);

    private readonly TempDataDirectory data = new();
    private readonly TempDataDirectory second = new();
    private readonly string schema = "cli_" + Path.GetFileName(Path.GetRandomFileName()).Replace('.', '_');
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
            NpgsqlConnection.ClearAllPools();
            await TestMetadata.DropSchemaAsync(server, schema);
        }

        data.Dispose();
        second.Dispose();
    }

    private string Password => new NpgsqlConnectionStringBuilder(connectionString).Password ?? throw new InvalidOperationException("The test cluster's connection string has no password.");

    [Fact]
    public async Task Migrate_creates_the_schema_in_an_empty_database_and_then_reports_it_up_to_date()
    {
        if (server is null)
        {
            return;
        }

        var check = await data.RunWithDataAsync("migrate", "--check", "--metadata", connectionString);
        Assert.True(check.ExitCode == 1, check.ToString());
        Assert.Contains($"schema version 0 → {SqlMetadataStore.SchemaVersion} pending", check.Output, StringComparison.Ordinal);

        var migrate = await data.RunWithDataAsync("migrate", "--metadata", connectionString);
        Assert.True(migrate.ExitCode == 0, migrate.ToString());
        Assert.Contains("Metadata: PostgreSQL 127.0.0.1:", migrate.Output, StringComparison.Ordinal);
        Assert.Contains($"schema version 0 → {SqlMetadataStore.SchemaVersion}", migrate.Output, StringComparison.Ordinal);
        Assert.Equal(SqlMetadataStore.SchemaVersion, await SqlMetadataStore.ReadPostgresSchemaVersionAsync(connectionString));

        var again = await data.RunWithDataAsync("migrate", "--check", "--metadata", connectionString);
        Assert.True(again.ExitCode == 0, again.ToString());
        Assert.Contains($"schema version {SqlMetadataStore.SchemaVersion} (up to date)", again.Output, StringComparison.Ordinal);

        foreach (var result in new[] { check, migrate, again })
        {
            Assert.DoesNotContain(Password, result.Output + result.Error, StringComparison.Ordinal);
        }

        Assert.False(File.Exists(Path.Combine(data.Path, "metadata.db")));
    }

    [Fact]
    public async Task A_newer_schema_is_refused_by_migrate_and_by_a_server()
    {
        if (server is null)
        {
            return;
        }

        Assert.True((await data.RunWithDataAsync("migrate", "--metadata", connectionString)).ExitCode == 0);
        await ExecuteAsync($"INSERT INTO schema_version (version) VALUES ({SqlMetadataStore.SchemaVersion + 2})");

        var migrate = await data.RunWithDataAsync("migrate", "--metadata", connectionString);
        var start = await data.RunWithDataAsync("server", "--dev", "--port", "0", "--metadata", connectionString);

        foreach (var result in new[] { migrate, start })
        {
            Assert.True(result.ExitCode == 1, result.ToString());
            Assert.Contains($"has schema version {SqlMetadataStore.SchemaVersion + 2}, but this build of Strongroom understands versions up to {SqlMetadataStore.SchemaVersion}", result.Error, StringComparison.Ordinal);
            Assert.DoesNotContain(Password, result.Output + result.Error, StringComparison.Ordinal);
        }
    }

    [Fact]
    public async Task A_server_on_the_shared_database_names_it_creates_no_metadata_db_and_a_second_one_needs_the_topology()
    {
        if (server is null)
        {
            return;
        }

        var first = await RunServerAsync(data, "--dev", "--port", "0", "--metadata", connectionString);
        Assert.True(first.ExitCode == 0, first.ToString());
        Assert.Matches($@"Metadata: +PostgreSQL 127\.0\.0\.1:\d+/\S+ \(search path {schema}\)", first.Output);
        Assert.Contains("(shared by the deployment's servers)", first.Output, StringComparison.Ordinal);
        Assert.False(File.Exists(Path.Combine(data.Path, "metadata.db")));
        Assert.True(File.Exists(Path.Combine(data.Path, "topology.toml")));

        // The deployment exists in the database now: a server with a data directory of its own and
        // no topology file would otherwise write sites of its own.
        var joining = await second.RunWithDataAsync("server", "--dev", "--port", "0", "--metadata", connectionString);
        Assert.True(joining.ExitCode == 1, joining.ToString());
        Assert.Contains("already holds a deployment", joining.Error, StringComparison.Ordinal);
        Assert.Contains("--topology", joining.Error, StringComparison.Ordinal);
        Assert.False(File.Exists(Path.Combine(second.Path, "topology.toml")));
        Assert.False(File.Exists(Path.Combine(second.Path, "metadata.db")));

        var status = await data.RunWithDataAsync("status", "--metadata", connectionString);
        Assert.Contains("(shared)", status.Output, StringComparison.Ordinal);
        foreach (var text in new[] { first.Output, first.FinalOutput, first.Error, joining.Output, joining.Error, status.Output, status.Error })
        {
            Assert.DoesNotContain(Password, text, StringComparison.Ordinal);
        }
    }

    [Fact]
    public async Task A_wrong_password_or_an_unparsable_string_is_one_line_without_the_secret()
    {
        if (server is null)
        {
            return;
        }

        var wrong = new NpgsqlConnectionStringBuilder(connectionString) { Password = "wrong-" + Password }.ConnectionString;
        var refused = await data.RunWithDataAsync("migrate", "--metadata", wrong);
        Assert.True(refused.ExitCode == 1, refused.ToString());
        Assert.Contains("28P01", refused.Error, StringComparison.Ordinal);

        var unparsable = await data.RunWithDataAsync("migrate", "--metadata", $"Host=127.0.0.1;Port=not-a-port;Password={Password}");
        Assert.True(unparsable.ExitCode == 2, unparsable.ToString());

        foreach (var result in new[] { refused, unparsable })
        {
            Assert.DoesNotContain(Password, result.Output + result.Error, StringComparison.Ordinal);
            Assert.DoesNotContain("   at ", result.Error, StringComparison.Ordinal);
        }
    }

    private async Task ExecuteAsync(string sql)
    {
        await using var connection = new NpgsqlConnection(connectionString);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand(sql, connection);
        await command.ExecuteNonQueryAsync();
    }

    /// <summary>Starts the server, waits until it is ready, then cancels it (Ctrl+C) and waits for the exit.</summary>
    internal static async Task<ServerRun> RunServerAsync(TempDataDirectory directory, params string[] args)
    {
        using var output = new StringWriter();
        using var error = new StringWriter();
        var synchronizedOutput = TextWriter.Synchronized(output);
        using var stop = new CancellationTokenSource();
        var running = Task.Run(() => Cli.RunAsync(["server", .. args, "--data", directory.Path], synchronizedOutput, TextWriter.Synchronized(error), stop.Token));

        var deadline = DateTimeOffset.UtcNow + StartTimeout;
        string started;
        while (true)
        {
            lock (synchronizedOutput)
            {
                started = output.ToString();
            }

            if (started.Contains("Ready.", StringComparison.Ordinal))
            {
                break;
            }

            if (running.IsCompleted || DateTimeOffset.UtcNow > deadline)
            {
                stop.Cancel();
                var exit = await running;
                return new ServerRun(exit, started, started, error.ToString());
            }

            await Task.Delay(50);
        }

        stop.Cancel();
        var exitCode = await running.WaitAsync(TimeSpan.FromSeconds(30));
        lock (synchronizedOutput)
        {
            return new ServerRun(exitCode, started, output.ToString(), error.ToString());
        }
    }

    internal sealed record ServerRun(int ExitCode, string Output, string FinalOutput, string Error)
    {
        public override string ToString() => $"exit {ExitCode}\n--- stdout\n{FinalOutput}\n--- stderr\n{Error}";
    }
}
