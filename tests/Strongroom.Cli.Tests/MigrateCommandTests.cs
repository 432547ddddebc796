using Microsoft.Data.Sqlite;
using Strongroom.Server;
using Strongroom.Storage;

namespace Strongroom.Cli.Tests;

/// <summary>strongroom migrate on SQLite: an older database brought up to date, --check's exit codes, a newer one refused.</summary>
public sealed class MigrateCommandTests : IDisposable
{
    private const int OlderVersion = 19;

    private readonly TempDataDirectory data = new();

    public void Dispose()
    {
        SqliteConnection.ClearAllPools();
        data.Dispose();
    }

    private string DatabasePath => new DataDirectory(data.Path).MetadataDatabasePath;

    [Fact]
    public async Task An_older_database_is_reported_by_check_then_migrated_once()
    {
        BuildDatabase(OlderVersion);

        var check = await data.RunWithDataAsync("migrate", "--check");
        Assert.True(check.ExitCode == 1, check.ToString());
        Assert.Contains($"schema version {OlderVersion} → {SqlMetadataStore.SchemaVersion} pending", check.Output, StringComparison.Ordinal);
        Assert.Equal(OlderVersion, await SqlMetadataStore.ReadSqliteSchemaVersionAsync(DatabasePath));

        var migrate = await data.RunWithDataAsync("migrate");
        Assert.True(migrate.ExitCode == 0, migrate.ToString());
        Assert.Contains($"Metadata: {DatabasePath}", migrate.Output, StringComparison.Ordinal);
        Assert.Contains($"schema version {OlderVersion} → {SqlMetadataStore.SchemaVersion}", migrate.Output, StringComparison.Ordinal);
        Assert.Equal(SqlMetadataStore.SchemaVersion, await SqlMetadataStore.ReadSqliteSchemaVersionAsync(DatabasePath));

        var again = await data.RunWithDataAsync("migrate");
        Assert.True(again.ExitCode == 0, again.ToString());
        Assert.Contains($"schema version {SqlMetadataStore.SchemaVersion} (up to date)", again.Output, StringComparison.Ordinal);

        var checkAgain = await data.RunWithDataAsync("migrate", "--check");
        Assert.True(checkAgain.ExitCode == 0, checkAgain.ToString());
        Assert.Contains($"schema version {SqlMetadataStore.SchemaVersion} (up to date)", checkAgain.Output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_deployment_the_cli_created_is_up_to_date()
    {
        var created = await data.RunWithDataAsync("account", "create", "tenant1", "--dev");
        Assert.True(created.ExitCode == 0, created.ToString());

        var check = await data.RunWithDataAsync("migrate", "--check");

        Assert.True(check.ExitCode == 0, check.ToString());
        Assert.Contains("(up to date)", check.Output, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("migrate")]
    [InlineData("migrate", "--check")]
    public async Task A_newer_database_is_refused_with_the_schema_error_and_left_alone(params string[] command)
    {
        BuildDatabase(SqlMetadataStore.SchemaVersion);
        SetVersion(SqlMetadataStore.SchemaVersion + 3);

        var result = await data.RunWithDataAsync(command);

        Assert.True(result.ExitCode == 1, result.ToString());
        Assert.Contains($"has schema version {SqlMetadataStore.SchemaVersion + 3}, but this build of Strongroom understands versions up to {SqlMetadataStore.SchemaVersion}", result.Error, StringComparison.Ordinal);
        Assert.Equal(SqlMetadataStore.SchemaVersion + 3, await SqlMetadataStore.ReadSqliteSchemaVersionAsync(DatabasePath));
    }

    [Fact]
    public async Task A_newer_database_stops_a_server_from_starting_with_the_same_error()
    {
        BuildDatabase(SqlMetadataStore.SchemaVersion);
        SetVersion(SqlMetadataStore.SchemaVersion + 1);

        var server = await data.RunWithDataAsync("server", "--dev", "--port", "0");

        Assert.True(server.ExitCode == 1, server.ToString());
        Assert.Contains($"has schema version {SqlMetadataStore.SchemaVersion + 1}", server.Error, StringComparison.Ordinal);
        Assert.DoesNotContain("   at ", server.Error, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("migrate")]
    [InlineData("migrate", "--check")]
    public async Task A_missing_database_is_not_created(params string[] command)
    {
        var result = await data.RunWithDataAsync(command);

        Assert.True(result.ExitCode == 1, result.ToString());
        Assert.Contains("there is no metadata database at", result.Error, StringComparison.Ordinal);
        Assert.False(File.Exists(DatabasePath));
    }

    [Fact]
    public async Task Reading_the_version_creates_nothing_and_an_empty_file_is_version_zero()
    {
        Assert.Null(await SqlMetadataStore.ReadSqliteSchemaVersionAsync(DatabasePath));
        Assert.False(File.Exists(DatabasePath));

        Directory.CreateDirectory(data.Path);
        await using (var connection = new SqliteConnection($"Data Source={DatabasePath};Pooling=False"))
        {
            await connection.OpenAsync();
            await using var command = connection.CreateCommand();
            command.CommandText = "CREATE TABLE unrelated (x INTEGER)";
            await command.ExecuteNonQueryAsync();
        }

        Assert.Equal(0, await SqlMetadataStore.ReadSqliteSchemaVersionAsync(DatabasePath));
    }

    private void BuildDatabase(int version)
    {
        Directory.CreateDirectory(data.Path);
        using var connection = new SqliteConnection($"Data Source={DatabasePath};Pooling=False");
        connection.Open();
        SqliteSchema.Migrate(connection, DatabasePath, version);
    }

    private void SetVersion(int version)
    {
        using var connection = new SqliteConnection($"Data Source={DatabasePath};Pooling=False");
        connection.Open();
        using var command = connection.CreateCommand();
        command.CommandText = "INSERT INTO schema_version (version) VALUES (@version)";
        command.Parameters.AddWithValue("@version", version);
        command.ExecuteNonQuery();
    }
}
