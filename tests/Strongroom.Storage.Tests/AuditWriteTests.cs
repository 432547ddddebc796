using Strongroom.TestSupport;
using System.Text;
using Microsoft.Data.Sqlite;
using Strongroom.Core;

namespace Strongroom.Storage.Tests;

/// <summary>Metadata writes carrying an audit entry: both commit in one transaction, or neither does.</summary>
public sealed class AuditWriteTests : AuditStoreTestBase
{
    private static VaultItemVersion Version(string version) => new(version, 0, T0, T0, true, null, null, null, [], null, [9, 9]);

    private static void Refuse(StorageException error) => throw error;

    [Fact]
    public async Task Every_write_method_appends_its_entry()
    {
        var n = 0;
        AuditAppend Next() => Entry("acct", n++);

        var objects = new[] { NewObject(), NewObject(), NewObject() };
        await Store.CreateAccountAsync(Account("acct"), Next());
        await Store.UpdateAccountSharedKeysAsync("acct", [1], [2], Next());
        await Store.AddAccountKeyEncryptionKeyAsync("acct", v => [(byte)v], T0, Next());
        await Store.CreateContainerAsync(Container("acct", "cont"), Next());
        await Store.SetContainerMetadataAsync("acct", "cont", [], "\"e2\"", T0, audit: Next());
        await Store.PutUncommittedBlockAsync("acct", "cont", "b", new UncommittedBlock("blk", objects[0], T0), Next());
        await Store.CommitBlobAsync(Blob("acct", "cont", "b"), [Part(0, objects[1])], [objects[1]], audit: Next());
        await Store.UpdateBlobPropertiesAsync("acct", "cont", "b", b => b with { ETag = "\"e3\"" }, Next());
        await Store.DeleteBlobAsync("acct", "cont", "b", audit: Next());
        await Store.CreateEncryptionScopeAsync(new EncryptionScopeRecord("acct", "scope", EncryptionScopeState.Enabled, EncryptionScopeKeySource.Platform, [5], null, null, T0), Next());
        await Store.SetEncryptionScopeStateAsync("acct", "scope", EncryptionScopeState.Disabled, Next());
        await Store.SetVaultSettingsAsync("acct", new VaultSettings(30, true), Next());
        await Store.AddVaultItemVersionAsync("acct", VaultItemKind.Secret, "s", "S", Version("v1"), _ => false, Next());
        await Store.UpdateVaultItemVersionAsync("acct", VaultItemKind.Secret, "s", "v1", (_, v) => v with { Enabled = false }, Next());
        await Store.MarkVaultItemDeletedAsync("acct", VaultItemKind.Secret, "s", T0, T0.AddDays(30), _ => { }, Next());
        await Store.RecoverVaultItemAsync("acct", VaultItemKind.Secret, "s", _ => { }, Next());
        await Store.MarkVaultItemDeletedAsync("acct", VaultItemKind.Secret, "s", T0, T0.AddDays(30), _ => { }, Next());
        await Store.PurgeVaultItemAsync("acct", VaultItemKind.Secret, "s", _ => { }, Next());
        await Store.SetAccountAuditSettingsAsync("acct", DataPlaneLogging.All, 365, Next());
        await Store.DeleteContainerAsync("acct", "cont", audit: Next());
        await Store.DeleteAccountAsync("acct", Next());

        var entries = await Store.ReadAuditEntriesAsync("acct", 0, n);
        Assert.Equal(n, entries.Count);
        Assert.Equal(Enumerable.Range(0, n).Select(i => Entry("acct", i).Entry), entries.Select(e => e.Body));
        Assert.Equal(MerkleTree.RootFromLeafHashes(entries.Select(e => e.LeafHash)), (await Store.GetAuditTreeHeadAsync("acct")).RootHash);
    }

    [Fact]
    public async Task A_write_and_its_entry_commit_together()
    {
        await Store.CreateAccountAsync(Account("acct"));

        await Store.CreateContainerAsync(Container("acct", "cont"), Entry("acct", 0));

        Assert.NotNull(await Store.GetContainerAsync("acct", "cont"));
        var entry = Assert.Single(await Store.ReadAuditEntriesAsync("acct", 0, 1));
        Assert.Equal(Entry("acct", 0).Entry, entry.Body);
        Assert.Equal(T0, entry.Time);

        // A write without an entry appends nothing.
        await Store.CreateContainerAsync(Container("acct", "quiet"));
        Assert.Equal(1, await SizeAsync("acct"));
    }

    [Fact]
    public async Task A_failed_precondition_or_a_missing_row_appends_nothing()
    {
        await CreateContainerAsync("acct", "cont");
        await Store.CommitBlobAsync(Blob("acct", "cont", "b"), []);
        var refused = new StorageException(ErrorCode.ConditionNotMet);

        await Assert.ThrowsAsync<StorageException>(() => Store.SetContainerMetadataAsync("acct", "cont", [new("k", "v")], "\"x\"", T0, _ => Refuse(refused), Entry("acct", 0)));
        await Assert.ThrowsAsync<StorageException>(() => Store.DeleteContainerAsync("acct", "cont", _ => Refuse(refused), Entry("acct", 0)));
        await Assert.ThrowsAsync<StorageException>(() => Store.CommitBlobAsync(Blob("acct", "cont", "b", eTag: "\"new\""), [], [], _ => Refuse(refused), Entry("acct", 0)));
        await Assert.ThrowsAsync<StorageException>(() => Store.DeleteBlobAsync("acct", "cont", "b", _ => Refuse(refused), Entry("acct", 0)));
        await Assert.ThrowsAsync<StorageException>(() => Store.DeleteBlobAsync("acct", "cont", "missing", null, Entry("acct", 0)));
        await Assert.ThrowsAsync<StorageException>(() => Store.CreateContainerAsync(Container("acct", "cont"), Entry("acct", 0)));
        await Assert.ThrowsAsync<StorageException>(() => Store.CreateAccountAsync(Account("acct"), Entry("acct", 0)));
        await Assert.ThrowsAsync<StorageException>(() => Store.DeleteAccountAsync("nobody", Entry("nobody", 0)));
        await Assert.ThrowsAsync<StorageException>(() => Store.MarkVaultItemDeletedAsync("acct", VaultItemKind.Secret, "none", T0, T0, _ => Refuse(refused), Entry("acct", 0)));

        // An update of a version that does not exist changes nothing and records nothing.
        Assert.Null(await Store.UpdateVaultItemVersionAsync("acct", VaultItemKind.Secret, "none", "v1", (_, v) => v, Entry("acct", 0)));

        Assert.Equal(0, await SizeAsync("acct"));
        Assert.Equal(0, await SizeAsync("nobody"));
        Assert.Empty((await Store.GetContainerAsync("acct", "cont"))!.Metadata);
        Assert.Equal("\"etag\"", (await Store.GetBlobAsync("acct", "cont", "b"))!.ETag);
        Assert.Empty(await Store.ListAuditLogsAsync());
    }

    [Fact]
    public async Task When_the_log_refuses_the_write_fails_and_changes_nothing()
    {
        // SQLite itself (its file, WAL, pragmas, migrations from old versions, SQL dialect: the fault is injected with a SQLite trigger or SQLite literals).
        if (TestMetadata.UsesPostgres)
        {
            return;
        }

        await Store.CreateAccountAsync(Account("acct"));
        await Store.CreateContainerAsync(Container("acct", "cont"));
        await Store.AppendAuditEntriesAsync([Entry("acct", 0)]);
        var root = (await Store.GetAuditTreeHeadAsync("acct")).RootHash;
        ExecuteRaw("CREATE TRIGGER test_log_refuses BEFORE INSERT ON audit_hashes BEGIN SELECT RAISE(ABORT, 'the log store is failing'); END");

        Func<Task>[] writes =
        [
            () => Store.CreateContainerAsync(Container("acct", "new"), Entry("acct", 1)),
            () => Store.DeleteContainerAsync("acct", "cont", audit: Entry("acct", 1)),
            () => Store.DeleteAccountAsync("acct", Entry("acct", 1)),
            () => Store.SetAccountAuditSettingsAsync("acct", DataPlaneLogging.None, 200, Entry("acct", 1)),
            () => Store.AppendAuditEntriesAsync([Entry("acct", 1)]),
        ];
        foreach (var write in writes)
        {
            var error = await Assert.ThrowsAsync<StorageException>(write);
            Assert.Equal(ErrorCode.AuditLogUnavailable, error.Code);
            Assert.Contains("the log store is failing", error.Message, StringComparison.Ordinal);
        }

        Assert.Null(await Store.GetContainerAsync("acct", "new"));
        Assert.NotNull(await Store.GetContainerAsync("acct", "cont"));
        var account = await Store.GetAccountAsync("acct");
        Assert.Equal((DataPlaneLogging.Writes, Limits.AuditRetentionDaysDefault), (account!.AuditDataPlane, account.AuditRetentionDays));
        var head = await Store.GetAuditTreeHeadAsync("acct");
        Assert.Equal(1, head.Size);
        Assert.Equal(root, head.RootHash);
        Assert.Equal(1, Scalar("SELECT COUNT(*) FROM audit_entries"));

        // Writes without an entry are not affected, and once the log recovers appends continue at 1.
        await Store.CreateContainerAsync(Container("acct", "quiet"));
        ExecuteRaw("DROP TRIGGER test_log_refuses");
        await Store.CreateContainerAsync(Container("acct", "new"), Entry("acct", 1));
        Assert.Equal(2, await SizeAsync("acct"));
    }

    [Fact]
    public async Task When_the_write_fails_in_the_database_nothing_is_appended()
    {
        // SQLite itself (its file, WAL, pragmas, migrations from old versions, SQL dialect: the fault is injected with a SQLite trigger or SQLite literals).
        if (TestMetadata.UsesPostgres)
        {
            return;
        }

        await Store.CreateAccountAsync(Account("acct"));
        ExecuteRaw("CREATE TRIGGER test_containers_refuse BEFORE INSERT ON containers BEGIN SELECT RAISE(ABORT, 'containers are failing'); END");

        await Assert.ThrowsAsync<SqliteException>(() => Store.CreateContainerAsync(Container("acct", "cont"), Entry("acct", 0)));

        Assert.Equal(0, await SizeAsync("acct"));
        Assert.Equal(0, Scalar("SELECT COUNT(*) FROM audit_logs"));
    }

    [Fact]
    public async Task A_failing_write_in_a_group_does_not_take_the_others_entries_with_it()
    {
        await Store.CreateAccountAsync(Account("acct"));
        await Store.CreateContainerAsync(Container("acct", "taken"));

        // Concurrent writes share group commits; the ones that fail roll back alone, entry included.
        var outcomes = await Task.WhenAll(Enumerable.Range(0, 32).Select(i => Task.Run(async () =>
        {
            try
            {
                await Store.CreateContainerAsync(Container("acct", i % 2 == 0 ? $"c{i:D2}" : "taken"), Entry("acct", i));
                return true;
            }
            catch (StorageException error) when (error.Code == ErrorCode.ContainerAlreadyExists)
            {
                return false;
            }
        })));

        Assert.Equal(16, outcomes.Count(ok => ok));
        var entries = await Store.ReadAuditEntriesAsync("acct", 0, 16);
        Assert.Equal(16, await SizeAsync("acct"));
        Assert.Equal(
            Enumerable.Range(0, 32).Where(i => i % 2 == 0).Select(i => Encoding.UTF8.GetString(Entry("acct", i).Entry)).Order(StringComparer.Ordinal),
            entries.Select(e => Encoding.UTF8.GetString(e.Body!)).Order(StringComparer.Ordinal));
    }

    [Fact]
    public async Task A_malformed_entry_refuses_the_write_before_it_runs()
    {
        await Store.CreateAccountAsync(Account("acct"));

        await Assert.ThrowsAsync<ArgumentException>(() => Store.CreateContainerAsync(Container("acct", "cont"), new AuditAppend("acct", T0, [])));
        await Assert.ThrowsAsync<ArgumentException>(() => Store.CreateContainerAsync(Container("acct", "cont"), new AuditAppend("", T0, [1])));

        Assert.Null(await Store.GetContainerAsync("acct", "cont"));
        Assert.Equal(0, await SizeAsync("acct"));
    }

    [Fact]
    public async Task Audit_settings_round_trip_and_are_validated()
    {
        await Store.CreateAccountAsync(Account("acct"));
        var created = await Store.GetAccountAsync("acct");
        Assert.Equal((DataPlaneLogging.Writes, Limits.AuditRetentionDaysDefault), (created!.AuditDataPlane, created.AuditRetentionDays));

        var updated = await Store.SetAccountAuditSettingsAsync("acct", DataPlaneLogging.All, 400, Entry("acct", 0));

        Assert.Equal((DataPlaneLogging.All, 400), (updated.AuditDataPlane, updated.AuditRetentionDays));
        Assert.Equal((created.Name, created.CreatedOn, created.KeyEncryptionKeyVersion), (updated.Name, updated.CreatedOn, updated.KeyEncryptionKeyVersion));
        var read = await Store.GetAccountAsync("acct");
        Assert.Equal((DataPlaneLogging.All, 400), (read!.AuditDataPlane, read.AuditRetentionDays));
        Assert.Equal((DataPlaneLogging.All, 400), (await Store.ListAccountsAsync()).Select(a => (a.AuditDataPlane, a.AuditRetentionDays)).Single());
        Assert.Equal(1, await SizeAsync("acct"));

        // Without an entry, and to the bounds.
        Assert.Equal(DataPlaneLogging.None, (await Store.SetAccountAuditSettingsAsync("acct", DataPlaneLogging.None, Limits.AuditRetentionDaysMin, null)).AuditDataPlane);
        Assert.Equal(Limits.AuditRetentionDaysMax, (await Store.SetAccountAuditSettingsAsync("acct", DataPlaneLogging.None, Limits.AuditRetentionDaysMax, null)).AuditRetentionDays);
        Assert.Equal(1, await SizeAsync("acct"));

        var missing = await Assert.ThrowsAsync<StorageException>(() => Store.SetAccountAuditSettingsAsync("nobody", DataPlaneLogging.All, 400, Entry("nobody", 0)));
        Assert.Equal(ErrorCode.AccountNotFound, missing.Code);
        Assert.Equal(0, await SizeAsync("nobody"));

        foreach (var (dataPlane, days) in new[] { (DataPlaneLogging.All, Limits.AuditRetentionDaysMin - 1), (DataPlaneLogging.All, Limits.AuditRetentionDaysMax + 1), ((DataPlaneLogging)7, 400) })
        {
            var invalid = await Assert.ThrowsAsync<StorageException>(() => Store.SetAccountAuditSettingsAsync("acct", dataPlane, days, Entry("acct", 1)));
            Assert.Equal(ErrorCode.InvalidAuditSetting, invalid.Code);
        }

        Assert.Equal(1, await SizeAsync("acct"));
        Assert.Equal(Limits.AuditRetentionDaysMax, (await Store.GetAccountAsync("acct"))!.AuditRetentionDays);
    }

    [Fact]
    public async Task An_account_is_created_with_its_audit_settings()
    {
        await Store.CreateAccountAsync(Account("acct") with { AuditDataPlane = DataPlaneLogging.None, AuditRetentionDays = 365 });

        var account = await Store.GetAccountAsync("acct");
        Assert.Equal((DataPlaneLogging.None, 365), (account!.AuditDataPlane, account.AuditRetentionDays));

        var invalid = await Assert.ThrowsAsync<StorageException>(() => Store.CreateAccountAsync(Account("short") with { AuditRetentionDays = 30 }));
        Assert.Equal(ErrorCode.InvalidAuditSetting, invalid.Code);
        Assert.Null(await Store.GetAccountAsync("short"));
    }

    [Fact]
    public async Task Deleting_an_account_keeps_its_log()
    {
        await Store.CreateAccountAsync(Account("acct"), Entry("acct", 0));
        await Store.DeleteAccountAsync("acct", Entry("acct", 1));

        Assert.Null(await Store.GetAccountAsync("acct"));
        Assert.Equal(2, await SizeAsync("acct"));
        Assert.Equal(["acct"], await Store.ListAuditLogsAsync());

        // A new account of the same name continues the same log.
        await Store.CreateAccountAsync(Account("acct"), Entry("acct", 2));
        Assert.Equal(3, await SizeAsync("acct"));
        Assert.Equal(Entry("acct", 0).Entry, (await Store.ReadAuditEntriesAsync("acct", 0, 1)).Single().Body);
    }

    [Fact]
    public async Task A_version_5_database_gains_the_audit_tables_and_default_settings()
    {
        // SQLite itself (its file, WAL, pragmas, migrations from old versions, SQL dialect).
        if (TestMetadata.UsesPostgres)
        {
            return;
        }

        await Store.DisposeAsync();
        SqliteConnection.ClearAllPools();
        File.Delete(DatabasePath);
        using (var connection = OpenSqliteConnection())
        {
            SqliteSchema.Migrate(connection, DatabasePath, targetVersion: 5);
            using var command = connection.CreateCommand();
            command.CommandText =
                $"INSERT INTO accounts (name, wrapped_key1, wrapped_key2, created_on, state, cipher_suite) VALUES ('old', x'01', x'02', {T0.UtcTicks}, 0, 1);" +
                $"INSERT INTO account_keks VALUES ('old', 1, x'03', {T0.UtcTicks});";
            command.ExecuteNonQuery();
        }

        Store = await SqlMetadataStore.OpenSqliteAsync(DatabasePath);

        var old = await Store.GetAccountAsync("old");
        Assert.Equal((DataPlaneLogging.Writes, 180), (old!.AuditDataPlane, old.AuditRetentionDays));
        Assert.Equal(SqliteSchema.CurrentVersion, Scalar("SELECT MAX(version) FROM schema_version"));
        Assert.Equal(4, Scalar("SELECT COUNT(*) FROM sqlite_schema WHERE type = 'table' AND name IN ('audit_logs', 'audit_entries', 'audit_hashes', 'audit_checkpoints')"));
        Assert.Equal(11, Scalar("SELECT COUNT(*) FROM sqlite_schema WHERE type = 'trigger' AND name LIKE 'audit_%'"));

        // The tables work at once, and the settings can change.
        await Store.AppendAuditEntriesAsync([Entry("old", 0)]);
        Assert.Equal(1, await SizeAsync("old"));
        Assert.Equal(DataPlaneLogging.All, (await Store.SetAccountAuditSettingsAsync("old", DataPlaneLogging.All, 180, null)).AuditDataPlane);
    }
}
