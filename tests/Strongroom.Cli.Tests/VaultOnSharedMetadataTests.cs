using System.Text.Json;
using Npgsql;
using Strongroom.Placement;
using Strongroom.TestSupport;

namespace Strongroom.Cli.Tests;

/// <summary>
/// Whether a deployment is initialised or a development one, and its seal, are asked of the store
/// that holds the vault (<see cref="Strongroom.Server.DeploymentVault"/>): the data directory's
/// files on SQLite, the shared database with --metadata (PostgreSQL: the cluster
/// STRONGROOM_TEST_POSTGRES names, a schema per test). Each test runs on both and expects the same.
/// </summary>
public sealed class VaultOnSharedMetadataTests : IAsyncLifetime
{
    private readonly TempDataDirectory data = new();
    private readonly string schema = "vault_" + Path.GetFileName(Path.GetRandomFileName()).Replace('.', '_');
    private string? server;
    private string? connectionString;

    public static TheoryData<string> Backends => ["sqlite", "postgres"];

    public Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync()
    {
        if (connectionString is not null && server is not null)
        {
            NpgsqlConnection.ClearAllPools();
            await TestMetadata.DropSchemaAsync(server, schema);
        }

        data.Dispose();
    }

    [Theory]
    [MemberData(nameof(Backends))]
    public async Task A_dev_server_creating_the_deployment_writes_the_development_sample_topology(string backend)
    {
        if (!await UseAsync(backend))
        {
            return;
        }

        var run = await MetadataPostgresTests.RunServerAsync(data, [.. Metadata("--dev", "--port", "0")]);
        Assert.True(run.ExitCode == 0, run.ToString());
        Assert.Equal(TopologyFile.DevelopmentSample("sites"), await File.ReadAllTextAsync(Path.Combine(data.Path, TopologyFile.FileName)));
        Assert.Equal(9, TopologyFile.Load(Path.Combine(data.Path, TopologyFile.FileName)).Sites.Count);
    }

    [Theory]
    [MemberData(nameof(Backends))]
    public async Task Status_reports_a_development_deployment(string backend)
    {
        if (!await UseAsync(backend))
        {
            return;
        }

        var run = await MetadataPostgresTests.RunServerAsync(data, [.. Metadata("--dev", "--port", "0")]);
        Assert.True(run.ExitCode == 0, run.ToString());

        var json = await data.RunWithDataAsync([.. Metadata("status", "--json")]);
        Assert.True(json.ExitCode == 0, json.ToString());
        using (var document = JsonDocument.Parse(json.Output))
        {
            Assert.True(document.RootElement.GetProperty("development").GetBoolean(), json.Output);
            Assert.True(document.RootElement.GetProperty("initialized").GetBoolean(), json.Output);
        }

        var text = await data.RunWithDataAsync([.. Metadata("status")]);
        Assert.True(text.ExitCode == 0, text.ToString());
        Assert.Contains("Initialized:    yes", text.Output, StringComparison.Ordinal);
        Assert.Contains("Development:    yes", text.Output, StringComparison.Ordinal);

        // A development deployment is not rekeyed: its only share is stored beside the seal.
        var rekey = await data.RunWithDataAndInputAsync("x\n", [.. Metadata("rekey", "--shares", "2", "--threshold", "1")]);
        Assert.True(rekey.ExitCode == 1, rekey.ToString());
        Assert.Contains("development", rekey.Error, StringComparison.Ordinal);
    }

    [Theory]
    [MemberData(nameof(Backends))]
    public async Task Init_status_second_init_and_rekey_read_the_seal_where_it_is(string backend)
    {
        if (!await UseAsync(backend))
        {
            return;
        }

        var before = await data.RunWithDataAsync([.. Metadata("status", "--json")]);
        Assert.True(before.ExitCode == 0, before.ToString());
        using (var document = JsonDocument.Parse(before.Output))
        {
            Assert.False(document.RootElement.GetProperty("initialized").GetBoolean(), before.Output);
        }

        var init = await data.RunWithDataAsync([.. Metadata("init", "--shares", "3", "--threshold", "2")]);
        Assert.True(init.ExitCode == 0, init.ToString());
        var shares = SealCommandTests.Shares(init.Output);
        Assert.Equal(3, shares.Length);

        var again = await data.RunWithDataAsync([.. Metadata("init", "--shares", "3", "--threshold", "2")]);
        Assert.True(again.ExitCode == 1, again.ToString());
        Assert.Contains("already initialised", again.Error, StringComparison.Ordinal);
        Assert.Contains("with 2 current shares", again.Error, StringComparison.Ordinal);

        var status = await data.RunWithDataAsync([.. Metadata("status", "--json")]);
        using (var document = JsonDocument.Parse(status.Output))
        {
            Assert.True(document.RootElement.GetProperty("initialized").GetBoolean(), status.Output);
            Assert.False(document.RootElement.GetProperty("development").GetBoolean(), status.Output);
            Assert.Equal(3, document.RootElement.GetProperty("n").GetInt32());
        }

        var rekey = await data.RunWithDataAndInputAsync(shares[0] + "\n" + shares[2] + "\n", [.. Metadata("rekey", "--shares", "2", "--threshold", "1")]);
        Assert.True(rekey.ExitCode == 0, rekey.ToString());
        var next = SealCommandTests.Shares(rekey.Output);
        Assert.Equal(2, next.Length);

        var text = await data.RunWithDataAsync([.. Metadata("status")]);
        Assert.Contains("Shares:         2 (threshold 1, generation 2)", text.Output, StringComparison.Ordinal);
        Assert.DoesNotContain("Development", text.Output, StringComparison.Ordinal);

        // The old shares no longer open the seal; the new one does (offline rekey again takes 1).
        var stale = await data.RunWithDataAndInputAsync(shares[1] + "\n", [.. Metadata("rekey", "--shares", "1", "--threshold", "1")]);
        Assert.True(stale.ExitCode != 0, stale.ToString());
        var fresh = await data.RunWithDataAndInputAsync(next[0] + "\n", [.. Metadata("rekey", "--shares", "1", "--threshold", "1")]);
        Assert.True(fresh.ExitCode == 0, fresh.ToString());
        if (connectionString is not null)
        {
            // The vault is in the database, never in this server's directory.
            Assert.False(File.Exists(Path.Combine(data.Path, "vault", "seal")));
        }
    }

    /// <summary>Chooses the backend: false when it is PostgreSQL and there is no test cluster (the test passes without running).</summary>
    private async Task<bool> UseAsync(string backend)
    {
        if (backend != "postgres")
        {
            return true;
        }

        server = TestMetadata.PostgresOrSkip();
        if (server is null)
        {
            return false;
        }

        connectionString = await TestMetadata.CreateSchemaAsync(schema);
        return true;
    }

    private IEnumerable<string> Metadata(params string[] args) =>
        connectionString is null ? args : [.. args, "--metadata", connectionString];
}
