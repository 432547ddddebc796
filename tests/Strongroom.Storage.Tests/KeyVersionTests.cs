using Strongroom.TestSupport;
using System.Text;
using Microsoft.Data.Sqlite;
using Strongroom.Core;

namespace Strongroom.Storage.Tests;

public sealed class KeyVersionTests : StoreTestBase
{
    [Fact]
    public async Task An_existing_accounts_key_encryption_key_becomes_version_1()
    {
        // SQLite itself (its file, WAL, pragmas, migrations from old versions, SQL dialect).
        if (TestMetadata.UsesPostgres)
        {
            return;
        }

        // A database written before key versioning: schema version 1, the KEK in the accounts row.
        await Store.DisposeAsync();
        SqliteConnection.ClearAllPools();
        File.Delete(DatabasePath);
        using (var connection = OpenSqliteConnection())
        {
            SqliteSchema.Migrate(connection, DatabasePath, targetVersion: 1);
            using var command = connection.CreateCommand();
            command.CommandText = $"INSERT INTO accounts VALUES ('old', x'01', x'02', x'0a0b0c', {T0.UtcTicks}, 0);";
            command.ExecuteNonQuery();
        }

        Store = await SqlMetadataStore.OpenSqliteAsync(DatabasePath);

        var account = await Store.GetAccountAsync("old");
        Assert.Equal(1u, account!.KeyEncryptionKeyVersion);
        Assert.Equal(new byte[] { 10, 11, 12 }, account.WrappedKeyEncryptionKey);
        var version = Assert.Single(await Store.ListAccountKeyEncryptionKeysAsync("old"));
        Assert.Equal(("old", 1u, T0), (version.Account, version.Version, version.CreatedOn));
        Assert.Equal(new byte[] { 10, 11, 12 }, version.Wrapped);

        // The KEK is kept in one place only.
        using var raw = OpenSqliteConnection();
        using var columns = raw.CreateCommand();
        columns.CommandText = "SELECT COUNT(*) FROM pragma_table_info('accounts') WHERE name = 'wrapped_kek'";
        Assert.Equal(0L, columns.ExecuteScalar());
    }

    [Fact]
    public async Task Adding_a_version_makes_it_current_and_keeps_the_older_ones()
    {
        await Store.CreateAccountAsync(Account("acct"));

        var added = await Store.AddAccountKeyEncryptionKeyAsync("acct", version => [(byte)version, 0xee], T0.AddDays(1));

        Assert.Equal(2u, added.Version);
        var account = await Store.GetAccountAsync("acct");
        Assert.Equal(2u, account!.KeyEncryptionKeyVersion);
        Assert.Equal(new byte[] { 2, 0xee }, account.WrappedKeyEncryptionKey);
        Assert.Equal([1u, 2u], (await Store.ListAccountKeyEncryptionKeysAsync("acct")).Select(k => k.Version));
        Assert.Equal(2u, Assert.Single(await Store.ListAccountsAsync()).KeyEncryptionKeyVersion);

        var error = await Assert.ThrowsAsync<StorageException>(() => Store.AddAccountKeyEncryptionKeyAsync("nobody", _ => [1], T0));
        Assert.Equal(ErrorCode.AccountNotFound, error.Code);
    }

    [Fact]
    public async Task Deleting_an_account_deletes_all_its_key_versions()
    {
        await Store.CreateAccountAsync(Account("acct"));
        await Store.AddAccountKeyEncryptionKeyAsync("acct", _ => [1], T0);

        await Store.DeleteAccountAsync("acct");

        Assert.Empty(await Store.ListAccountKeyEncryptionKeysAsync("acct"));
        await Store.CreateAccountAsync(Account("acct"));
        Assert.Equal(1u, (await Store.GetAccountAsync("acct"))!.KeyEncryptionKeyVersion);
    }

    [Fact]
    public async Task Replacements_are_compare_and_swap_and_never_resurrect()
    {
        await CreateContainerAsync();
        var kept = NewObject();
        var overwritten = NewObject();
        var deleted = NewObject();
        await Store.CommitBlobAsync(Blob("acct", "cont", "kept"), [Part(0, kept)]);
        await Store.CommitBlobAsync(Blob("acct", "cont", "over"), [Part(0, overwritten)]);
        await Store.CommitBlobAsync(Blob("acct", "cont", "gone"), [Part(0, deleted)]);
        var replacementOfOverwritten = NewObject();
        await Store.CommitBlobAsync(Blob("acct", "cont", "over"), [Part(0, replacementOfOverwritten)]);
        await Store.DeleteBlobAsync("acct", "cont", "gone");

        var applied = await Store.ReplaceWrappedKeysAsync(
        [
            new(WrappedKeyKind.DataKey, kept.ObjectId, 0, kept.WrappedDataKey, [42]),
            new(WrappedKeyKind.DataKey, overwritten.ObjectId, 0, overwritten.WrappedDataKey, [43]),
            new(WrappedKeyKind.DataKey, deleted.ObjectId, 0, deleted.WrappedDataKey, [44]),
            new(WrappedKeyKind.SharedKey, "acct", 1, [9, 9], [45]), // stale expected bytes
            new(WrappedKeyKind.SharedKey, "acct", 2, [4, 5, 6], [46]),
            new(WrappedKeyKind.AccountKeyEncryptionKey, "acct", 1, [7, 8, 9, 10], [47]),
        ]);

        Assert.Equal(3, applied);
        Assert.Equal(new byte[] { 42 }, Assert.Single((await Store.GetBlobWithPartsAsync("acct", "cont", "kept"))!.Value.Parts).Object.WrappedDataKey);
        AssertSameObject(replacementOfOverwritten, Assert.Single((await Store.GetBlobWithPartsAsync("acct", "cont", "over"))!.Value.Parts).Object);
        var ids = await Store.ListObjectIdsAsync("site-a");
        Assert.DoesNotContain(deleted.ObjectId, ids);
        Assert.DoesNotContain(overwritten.ObjectId, ids);
        var account = await Store.GetAccountAsync("acct");
        Assert.Equal(new byte[] { 1, 2, 3 }, account!.WrappedSharedKey1);
        Assert.Equal(new byte[] { 46 }, account.WrappedSharedKey2);
        Assert.Equal(new byte[] { 47 }, account.WrappedKeyEncryptionKey);
    }

    [Fact]
    public async Task Object_keys_are_listed_in_pages_with_their_blob_committed_or_staged()
    {
        await CreateContainerAsync();
        var committed = NewObject();
        var staged = NewObject();
        await Store.CommitBlobAsync(Blob("acct", "cont", "committed"), [Part(0, committed)]);
        await Store.PutUncommittedBlockAsync("acct", "cont", "staged", new UncommittedBlock("YQ==", staged, T0));

        var first = await Store.ListObjectKeysAsync(null, 1);
        var second = await Store.ListObjectKeysAsync(first.ContinueAfter, 1);
        var end = await Store.ListObjectKeysAsync(second.ContinueAfter, 1);

        var all = first.Keys.Concat(second.Keys).Concat(end.Keys).ToDictionary(k => k.ObjectId);
        Assert.Null(end.ContinueAfter);
        Assert.Equal("committed", all[committed.ObjectId].Blob);
        Assert.Equal("staged", all[staged.ObjectId].Blob);
        Assert.Equal(staged.WrappedDataKey, all[staged.ObjectId].WrappedDataKey);
        Assert.Equal(("acct", "cont"), (all[staged.ObjectId].Account, all[staged.ObjectId].Container));
    }

    [Fact]
    public async Task Store_connections_use_secure_delete_so_deleted_keys_are_overwritten()
    {
        // SQLite itself (its file, WAL, pragmas, migrations from old versions, SQL dialect).
        if (TestMetadata.UsesPostgres)
        {
            return;
        }

        // Observable effect: a deleted account's wrapped keys are zeroed in the database pages, not
        // left in free space where a copy of the file would still hold them.
        var marker = Encoding.ASCII.GetBytes("WRAPPED-KEY-MARKER-0123456789");
        await Store.CreateAccountAsync(new AccountRecord("acct", marker, marker, marker, T0, AccountState.Enabled));
        await Store.AddAccountKeyEncryptionKeyAsync("acct", _ => marker, T0);
        await Store.CreateAccountAsync(Account("other"));
        await Store.DeleteAccountAsync("acct");
        await Store.DisposeAsync();
        SqliteConnection.ClearAllPools();

        using (var connection = OpenSqliteConnection())
        {
            using var checkpoint = connection.CreateCommand();
            checkpoint.CommandText = "PRAGMA wal_checkpoint(TRUNCATE)";
            checkpoint.ExecuteNonQuery();
        }

        foreach (var file in Directory.EnumerateFiles(System.IO.Path.GetDirectoryName(DatabasePath)!))
        {
            Assert.Equal(-1, File.ReadAllBytes(file).AsSpan().IndexOf(marker));
        }

        Store = await SqlMetadataStore.OpenSqliteAsync(DatabasePath);
        Assert.NotNull(await Store.GetAccountAsync("other"));
    }
}
