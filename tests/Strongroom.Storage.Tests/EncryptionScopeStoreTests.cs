using Strongroom.TestSupport;
using Microsoft.Data.Sqlite;
using Strongroom.Core;

namespace Strongroom.Storage.Tests;

/// <summary>Encryption scope rows, and the scope / customer-key hash recorded with containers, blobs and objects.</summary>
public sealed class EncryptionScopeStoreTests : StoreTestBase
{
    private static EncryptionScopeRecord Scope(string account, string name, EncryptionScopeKeySource source = EncryptionScopeKeySource.Platform) =>
        new(account, name, EncryptionScopeState.Enabled, source, [1, 2, 3], source == EncryptionScopeKeySource.Customer ? "vault-key" : null, source == EncryptionScopeKeySource.Customer ? "v7" : null, T0);

    public override async Task InitializeAsync()
    {
        await base.InitializeAsync();
        await Store.CreateAccountAsync(Account("acct"));
        await Store.CreateAccountAsync(Account("other"));
    }

    [Fact]
    public async Task Scopes_round_trip_per_account_in_name_order()
    {
        await Store.CreateEncryptionScopeAsync(Scope("acct", "zeta"));
        await Store.CreateEncryptionScopeAsync(Scope("acct", "alpha", EncryptionScopeKeySource.Customer));
        await Store.CreateEncryptionScopeAsync(Scope("other", "alpha"));

        var alpha = (await Store.GetEncryptionScopeAsync("acct", "alpha"))!;
        Assert.Equal(EncryptionScopeKeySource.Customer, alpha.KeySource);
        Assert.Equal("vault-key", alpha.CustomerKeyName);
        Assert.Equal("v7", alpha.CustomerKeyVersion);
        Assert.Equal([1, 2, 3], alpha.WrappedKeyEncryptionKey);
        Assert.Equal(T0, alpha.CreatedOn);
        Assert.Equal(["alpha", "zeta"], (await Store.ListEncryptionScopesAsync("acct")).Select(s => s.Name));
        Assert.Null(await Store.GetEncryptionScopeAsync("acct", "missing"));

        var disabled = await Store.SetEncryptionScopeStateAsync("acct", "zeta", EncryptionScopeState.Disabled);
        Assert.Equal(EncryptionScopeState.Disabled, disabled.State);
        await ReopenAsync();
        Assert.Equal(EncryptionScopeState.Disabled, (await Store.GetEncryptionScopeAsync("acct", "zeta"))!.State);
        Assert.Equal(EncryptionScopeState.Enabled, (await Store.GetEncryptionScopeAsync("other", "alpha"))!.State);
    }

    [Fact]
    public async Task Scope_failures()
    {
        await Store.CreateEncryptionScopeAsync(Scope("acct", "one"));
        Assert.Equal(ErrorCode.EncryptionScopeAlreadyExists, (await Assert.ThrowsAsync<StorageException>(() => Store.CreateEncryptionScopeAsync(Scope("acct", "one")))).Code);
        Assert.Equal(ErrorCode.AccountNotFound, (await Assert.ThrowsAsync<StorageException>(() => Store.CreateEncryptionScopeAsync(Scope("nobody", "one")))).Code);
        Assert.Equal(ErrorCode.AccountNotFound, (await Assert.ThrowsAsync<StorageException>(() => Store.ListEncryptionScopesAsync("nobody"))).Code);
        Assert.Equal(ErrorCode.EncryptionScopeNotFound, (await Assert.ThrowsAsync<StorageException>(() => Store.SetEncryptionScopeStateAsync("acct", "two", EncryptionScopeState.Disabled))).Code);
    }

    [Fact]
    public async Task Deleting_an_account_deletes_its_scopes()
    {
        await Store.CreateEncryptionScopeAsync(Scope("acct", "one"));
        await Store.DeleteAccountAsync("acct");
        await Store.CreateAccountAsync(Account("acct"));
        Assert.Empty(await Store.ListEncryptionScopesAsync("acct"));
    }

    [Fact]
    public async Task Container_policy_and_blob_and_object_encryption_round_trip()
    {
        await Store.CreateContainerAsync(Container("acct", "plain"));
        await Store.CreateContainerAsync(Container("acct", "scoped") with { DefaultEncryptionScope = "one", DenyEncryptionScopeOverride = true });
        var plain = (await Store.GetContainerAsync("acct", "plain"))!;
        Assert.Null(plain.DefaultEncryptionScope);
        Assert.False(plain.DenyEncryptionScopeOverride);
        var scoped = (await Store.ListContainersAsync("acct", "sc", null, 10)).Containers.Single();
        Assert.Equal("one", scoped.DefaultEncryptionScope);
        Assert.True(scoped.DenyEncryptionScopeOverride);

        byte[] hash = [.. Enumerable.Repeat((byte)7, 32)];
        var stored = NewObject() with { EncryptionScope = "one", CustomerKeySha256 = null };
        var keyed = NewObject() with { CustomerKeySha256 = hash };
        await Store.CommitBlobAsync(Blob("acct", "scoped", "a") with { EncryptionScope = "one" }, [Part(0, stored)], [stored]);
        await Store.CommitBlobAsync(Blob("acct", "scoped", "b") with { CustomerKeySha256 = hash }, [Part(0, keyed)], [keyed]);

        var a = (await Store.GetBlobWithPartsAsync("acct", "scoped", "a"))!.Value;
        Assert.Equal("one", a.Blob.EncryptionScope);
        Assert.Null(a.Blob.CustomerKeySha256);
        Assert.Equal("one", a.Parts.Single().Object.EncryptionScope);
        var b = (await Store.GetBlobWithPartsAsync("acct", "scoped", "b"))!.Value;
        Assert.Equal(hash, b.Blob.CustomerKeySha256);
        Assert.Equal(hash, b.Parts.Single().Object.CustomerKeySha256);
        Assert.Null(b.Parts.Single().Object.EncryptionScope);

        // A properties update keeps the encryption fields; the listing carries them.
        await Store.UpdateBlobPropertiesAsync("acct", "scoped", "b", current => current with { Metadata = [new("k", "v")] });
        var listed = await Store.ListBlobsAsync(new BlobListQuery("acct", "scoped", string.Empty, null, 10));
        Assert.Equal("one", listed[0].EncryptionScope);
        Assert.Equal(hash, listed[1].CustomerKeySha256);

        // Staged blocks keep theirs too.
        var block = NewObject() with { EncryptionScope = "one" };
        await Store.PutUncommittedBlockAsync("acct", "scoped", "c", new UncommittedBlock("YQ==", block, T0));
        Assert.Equal("one", (await Store.GetUncommittedBlocksAsync("acct", "scoped", "c")).Single().Object.EncryptionScope);
    }

    [Fact]
    public async Task A_version_1_database_migrates_with_its_data()
    {
        // SQLite itself (its file, WAL, pragmas, migrations from old versions, SQL dialect).
        if (TestMetadata.UsesPostgres)
        {
            return;
        }

        await Store.DisposeAsync();
        SqliteConnection.ClearAllPools();
        File.Delete(DatabasePath);

        // A database as schema version 1 wrote it: no scope or customer-key columns anywhere.
        using (var connection = OpenSqliteConnection())
        {
            SqliteSchema.Migrate(connection, DatabasePath, targetVersion: 1);
            using var command = connection.CreateCommand();
            command.CommandText =
                "INSERT INTO accounts VALUES ('acct', x'01', x'02', x'03', 0, 0); " +
                "INSERT INTO containers VALUES ('acct', 'old', '\"0x1\"', 0, 0, '[]'); " +
                "INSERT INTO blobs (account, container, name, blob_type, content_length, etag, created_on, last_modified, metadata) " +
                "VALUES ('acct', 'old', 'blob', 0, 10, '\"0x2\"', 0, 0, '[]'); " +
                "INSERT INTO objects VALUES ('obj', 'site-a', x'00', 10); " +
                "INSERT INTO blob_parts VALUES ('acct', 'old', 'blob', 0, NULL, 'obj');";
            command.ExecuteNonQuery();
        }

        SqliteConnection.ClearAllPools();
        Store = await SqlMetadataStore.OpenSqliteAsync(DatabasePath);
        var container = (await Store.GetContainerAsync("acct", "old"))!;
        Assert.Null(container.DefaultEncryptionScope);
        Assert.False(container.DenyEncryptionScopeOverride);
        var blob = (await Store.GetBlobWithPartsAsync("acct", "old", "blob"))!.Value;
        Assert.Null(blob.Blob.EncryptionScope);
        Assert.Null(blob.Parts.Single().Object.CustomerKeySha256);
        Assert.Empty(await Store.ListEncryptionScopesAsync("acct"));
    }
}
