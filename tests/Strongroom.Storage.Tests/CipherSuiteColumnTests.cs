using Strongroom.TestSupport;
using Microsoft.Data.Sqlite;
using Strongroom.Core;

namespace Strongroom.Storage.Tests;

/// <summary>The account's cipher suite column (schema migration 2).</summary>
public sealed class CipherSuiteColumnTests : StoreTestBase
{
    [Theory]
    [InlineData(CipherSuite.Aes256Gcm)]
    [InlineData(CipherSuite.Sm4Gcm)]
    public async Task An_accounts_suite_round_trips(CipherSuite suite)
    {
        await Store.CreateAccountAsync(Account("tenant1") with { CipherSuite = suite });
        await ReopenAsync();

        Assert.Equal(suite, (await Store.GetAccountAsync("tenant1"))!.CipherSuite);
        Assert.Equal(suite, Assert.Single(await Store.ListAccountsAsync()).CipherSuite);
    }

    [Fact]
    public async Task An_account_record_defaults_to_aes()
    {
        await Store.CreateAccountAsync(Account("tenant1"));
        Assert.Equal(CipherSuite.Aes256Gcm, (await Store.GetAccountAsync("tenant1"))!.CipherSuite);
    }

    [Fact]
    public async Task Accounts_of_a_version_1_database_become_aes()
    {
        // SQLite itself (its file, WAL, pragmas, migrations from old versions, SQL dialect).
        if (TestMetadata.UsesPostgres)
        {
            return;
        }

        await Store.DisposeAsync();
        SqliteConnection.ClearAllPools();
        File.Delete(DatabasePath);

        // A database as schema version 1 left it: the accounts table had no cipher_suite column.
        using (var connection = new SqliteConnection($"Data Source={DatabasePath}"))
        {
            connection.Open();
            SqliteSchema.Migrate(connection, DatabasePath, targetVersion: 1);
            using var command = connection.CreateCommand();
            command.CommandText = "INSERT INTO accounts VALUES ('old', x'01', x'02', x'03', 0, 0)";
            command.ExecuteNonQuery();
        }

        SqliteConnection.ClearAllPools();
        Store = await SqlMetadataStore.OpenSqliteAsync(DatabasePath);

        var old = await Store.GetAccountAsync("old");
        Assert.NotNull(old);
        Assert.Equal(CipherSuite.Aes256Gcm, old.CipherSuite);
        Assert.Equal(new byte[] { 3 }, old.WrappedKeyEncryptionKey);
    }
}
