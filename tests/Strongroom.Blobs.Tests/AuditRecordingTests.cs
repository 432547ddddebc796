using Strongroom.TestSupport;
using Microsoft.Data.Sqlite;
using Strongroom.Audit;
using Strongroom.Core;
using Strongroom.Placement;
using Xunit;

namespace Strongroom.Blobs.Tests;

/// <summary>
/// Issue 4, item 2: every event kind that exists reaches the transparency log as the shared
/// design says (one test per kind), attributed to the open operation context; and item 3: an
/// operation whose entry cannot be recorded does not happen.
/// </summary>
public sealed class AuditRecordingTests : IAsyncLifetime
{
    private const string Account = BlobServiceFixture.Account;
    private const string Site = "local";
    private static readonly Actor Caller = new(ActorKind.SharedKey, "key1");

    private BlobServiceFixture fixture = null!;

    private TransparencyLog Log => fixture.Audit;

    public async Task InitializeAsync()
    {
        fixture = await BlobServiceFixture.CreateAsync();

        // A container with a blob, and a block staged for another blob, before anything is watched.
        await fixture.Blobs.CreateContainerAsync(Account, "box", []);
        await fixture.PutAsync("box", "b", BlobServiceFixture.Pattern(100, 1));
        await fixture.StageAsync("box", "staged", BlobServiceFixture.BlockId(1), BlobServiceFixture.Pattern(10, 2));
    }

    public async Task DisposeAsync() => await fixture.DisposeAsync();

    private static IDisposable Context(Actor? actor = null) =>
        OperationContext.Begin(new OperationContext(actor ?? Caller, "request-1", "192.0.2.1"));

    /// <summary>What <paramref name="action"/> appended to <paramref name="log"/>, run as <see cref="Caller"/>.</summary>
    private async Task<IReadOnlyList<AuditEntry>> RecordedDuring(Func<Task> action, string log = Account, Actor? actor = null)
    {
        var before = await Log.SizeAsync(log);
        using (Context(actor))
        {
            await action();
        }

        return await Log.EntriesAsync(log, before);
    }

    private static void AssertAttributed(AuditEntry entry, Actor? actor = null)
    {
        Assert.Equal(actor ?? Caller, entry.Actor);
        Assert.Equal("request-1", entry.RequestId);
        Assert.Equal("192.0.2.1", entry.ClientAddress);
        Assert.Equal(AuditOutcomes.Success, entry.Outcome);
        Assert.Empty(entry.Jurisdictions);
    }

    private Task SetDataPlaneAsync(DataPlaneLogging setting) => Log.SetSettingsAsync(Account, setting, Limits.AuditRetentionDaysDefault);

    // Data plane: writes

    public static TheoryData<string> Writes() =>
    [
        nameof(BlobOperation.CreateContainer),
        nameof(BlobOperation.SetContainerMetadata),
        nameof(BlobOperation.PutBlob),
        nameof(BlobOperation.PutBlock),
        nameof(BlobOperation.PutBlockList),
        nameof(BlobOperation.SetBlobProperties),
        nameof(BlobOperation.SetBlobMetadata),
        nameof(BlobOperation.DeleteBlob),
        nameof(BlobOperation.DeleteContainer),
    ];

    /// <summary>Runs one write; returns the resource and the sites its entry must name.</summary>
    private async Task<(string Resource, string[] Sites)> WriteAsync(string operation)
    {
        switch (operation)
        {
            case nameof(BlobOperation.CreateContainer):
                await fixture.Blobs.CreateContainerAsync(Account, "fresh", []);
                return ("/tenanta/fresh", []);
            case nameof(BlobOperation.SetContainerMetadata):
                await fixture.Blobs.SetContainerMetadataAsync(Account, "box", [new("k", "v")], AccessConditions.None);
                return ("/tenanta/box", []);
            case nameof(BlobOperation.PutBlob):
                await fixture.PutAsync("box", "new", BlobServiceFixture.Pattern(50, 3));
                return ("/tenanta/box/new", [Site]);
            case nameof(BlobOperation.PutBlock):
                await fixture.StageAsync("box", "other", BlobServiceFixture.BlockId(7), BlobServiceFixture.Pattern(50, 4));
                return ("/tenanta/box/other", [Site]);
            case nameof(BlobOperation.PutBlockList):
                await fixture.CommitAsync("box", "staged", new BlockListEntry(BlockListKind.Latest, BlobServiceFixture.BlockId(1)));
                return ("/tenanta/box/staged", [Site]);
            case nameof(BlobOperation.SetBlobProperties):
                await fixture.Blobs.SetBlobHttpHeadersAsync(Account, "box", "b", BlobHttpHeaders.Empty with { ContentType = "text/plain" }, AccessConditions.None);
                return ("/tenanta/box/b", []);
            case nameof(BlobOperation.SetBlobMetadata):
                await fixture.Blobs.SetBlobMetadataAsync(Account, "box", "b", [new("k", "v")], AccessConditions.None);
                return ("/tenanta/box/b", []);
            case nameof(BlobOperation.DeleteBlob):
                await fixture.Blobs.DeleteBlobAsync(Account, "box", "b", AccessConditions.None);
                return ("/tenanta/box/b", [Site]);
            case nameof(BlobOperation.DeleteContainer):
                await fixture.Blobs.DeleteContainerAsync(Account, "box", AccessConditions.None);
                return ("/tenanta/box", [Site]);
            default:
                throw new ArgumentOutOfRangeException(nameof(operation));
        }
    }

    [Theory]
    [MemberData(nameof(Writes))]
    public async Task Each_write_is_recorded_in_its_commit_by_default(string operation)
    {
        (string Resource, string[] Sites) expected = default;
        var recorded = await RecordedDuring(async () => expected = await WriteAsync(operation));

        // Deleting a container without soft delete is a crypto-shredding: its key destruction
        // (issue 7) is recorded right after it, in the same commit.
        recorded = DropKeyDestruction(operation, recorded);
        var entry = Assert.Single(recorded);
        Assert.Equal(operation, entry.Action);
        Assert.Equal(expected.Resource, entry.Resource);
        Assert.Equal(expected.Sites, entry.Sites);

        // Content writes name their copies' sites, deletions the policy's; each with its jurisdiction.
        Assert.Equal(entry.Sites.Count == 0 ? [] : [Topology.UnspecifiedJurisdiction], entry.Jurisdictions);
        AssertAttributed(entry with { Jurisdictions = [] });
    }

    [Theory]
    [MemberData(nameof(Writes))]
    public async Task Under_none_only_deletions_are_recorded(string operation)
    {
        await SetDataPlaneAsync(DataPlaneLogging.None);
        var recorded = DropKeyDestruction(operation, await RecordedDuring(() => WriteAsync(operation)));

        if (operation is nameof(BlobOperation.DeleteBlob) or nameof(BlobOperation.DeleteContainer))
        {
            Assert.Equal(operation, Assert.Single(recorded).Action);
        }
        else
        {
            Assert.Empty(recorded);
        }
    }

    [Fact]
    public async Task Writes_record_what_was_written_but_never_key_material()
    {
        await fixture.Scopes.CreateAsync(Account, "scope-a", EncryptionScopeKeySource.Platform, null);
        var recorded = await RecordedDuring(() => fixture.Blobs.PutBlobAsync(
            new PutBlobRequest(Account, "box", "scoped", BlobHttpHeaders.Empty, [], AccessConditions.None, TransactionalChecksums.None) { Encryption = new BlobEncryptionOptions(EncryptionScope: "scope-a") },
            new MemoryStream(BlobServiceFixture.Pattern(321, 5))));

        var entry = Assert.Single(recorded);
        Assert.Equal("321", entry.Detail("length"));
        Assert.Equal("scope-a", entry.Detail("encryptionScope"));

        var block = Assert.Single(await RecordedDuring(() => fixture.StageAsync("box", "blocks", BlobServiceFixture.BlockId(9), BlobServiceFixture.Pattern(5, 6))));
        Assert.Equal(BlobServiceFixture.BlockId(9), block.Detail("blockId"));
        var commit = Assert.Single(await RecordedDuring(() => fixture.CommitAsync("box", "blocks", new BlockListEntry(BlockListKind.Latest, BlobServiceFixture.BlockId(9)))));
        Assert.Equal("1", commit.Detail("blocks"));
        Assert.Equal("5", commit.Detail("length"));
    }

    [Fact]
    public async Task A_write_that_fails_leaves_no_entry()
    {
        var recorded = await RecordedDuring(async () =>
        {
            var failed = await Assert.ThrowsAsync<StorageException>(() => fixture.Blobs.CreateContainerAsync(Account, "box", []));
            Assert.Equal(ErrorCode.ContainerAlreadyExists, failed.Code);
            var stale = await Assert.ThrowsAsync<StorageException>(() => fixture.PutAsync("box", "b", [1], conditions: new AccessConditions(IfMatch: "\"nope\"")));
            Assert.Equal(ErrorCode.ConditionNotMet, stale.Code);
        });

        Assert.Empty(recorded);
    }

    // Data plane: reads

    public static TheoryData<string> Reads() =>
    [
        nameof(BlobOperation.GetBlob),
        nameof(BlobOperation.GetBlobProperties),
        nameof(BlobOperation.GetBlobMetadata),
        nameof(BlobOperation.GetBlockList),
        nameof(BlobOperation.ListBlobs),
        nameof(BlobOperation.ListContainers),
        nameof(BlobOperation.GetContainerProperties),
        nameof(BlobOperation.GetContainerMetadata),
    ];

    private async Task<(string Resource, string[] Sites)> ReadAsync(string operation)
    {
        switch (operation)
        {
            case nameof(BlobOperation.GetBlob):
                Assert.Equal(BlobServiceFixture.Pattern(100, 1), await fixture.ReadAllAsync("box", "b"));
                return ("/tenanta/box/b", [Site]);
            case nameof(BlobOperation.GetBlobProperties) or nameof(BlobOperation.GetBlobMetadata):
                await fixture.Blobs.GetBlobPropertiesAsync(Account, "box", "b", AccessConditions.None, null, Enum.Parse<BlobOperation>(operation));
                return ("/tenanta/box/b", []);
            case nameof(BlobOperation.GetBlockList):
                await fixture.Blobs.GetBlockListAsync(Account, "box", "b", BlockListType.All);
                return ("/tenanta/box/b", []);
            case nameof(BlobOperation.ListBlobs):
                await fixture.Blobs.ListBlobsAsync(Account, "box", null, null, null, 0);
                return ("/tenanta/box", []);
            case nameof(BlobOperation.ListContainers):
                await fixture.Blobs.ListContainersAsync(Account, null, null, 0);
                return ("/tenanta", []);
            case nameof(BlobOperation.GetContainerProperties) or nameof(BlobOperation.GetContainerMetadata):
                await fixture.Blobs.GetContainerAsync(Account, "box", Enum.Parse<BlobOperation>(operation));
                return ("/tenanta/box", []);
            default:
                throw new ArgumentOutOfRangeException(nameof(operation));
        }
    }

    [Theory]
    [MemberData(nameof(Reads))]
    public async Task Under_all_each_read_is_recorded(string operation)
    {
        await SetDataPlaneAsync(DataPlaneLogging.All);
        (string Resource, string[] Sites) expected = default;
        var recorded = await RecordedDuring(async () => expected = await ReadAsync(operation));

        var entry = Assert.Single(recorded);
        Assert.Equal(operation, entry.Action);
        Assert.Equal(expected.Resource, entry.Resource);
        Assert.Equal(expected.Sites, entry.Sites);
        AssertAttributed(entry);
    }

    [Theory]
    [MemberData(nameof(Reads))]
    public async Task Under_writes_and_none_reads_are_not_recorded(string operation)
    {
        Assert.Empty(await RecordedDuring(() => ReadAsync(operation)));
        await SetDataPlaneAsync(DataPlaneLogging.None);
        Assert.Empty(await RecordedDuring(() => ReadAsync(operation)));
    }

    [Fact]
    public async Task Without_an_open_context_the_platform_is_the_actor()
    {
        var before = await Log.SizeAsync(Account);
        await fixture.Blobs.DeleteBlobAsync(Account, "box", "b", AccessConditions.None);
        var entry = Assert.Single(await Log.EntriesAsync(Account, before));
        Assert.Equal(Actor.System, entry.Actor);
        Assert.Null(entry.RequestId);
        Assert.Null(entry.ClientAddress);
    }

    // Failed requests (the protocol layer reports them)

    [Fact]
    public async Task Failures_are_recorded_when_the_setting_covers_the_operation()
    {
        var recorded = await RecordedDuring(async () =>
        {
            await fixture.Blobs.RecordFailureAsync(Account, BlobOperation.PutBlob, "box", "x", "ConditionNotMet");
            await fixture.Blobs.RecordFailureAsync(Account, BlobOperation.GetBlob, "box", "x", "BlobNotFound");
            await fixture.Blobs.RecordFailureAsync(Account, BlobOperation.DeleteBlob, "box", "x", "BlobNotFound");
        });

        Assert.Equal(["PutBlob", "DeleteBlob"], recorded.Select(entry => entry.Action));
        Assert.Equal(["ConditionNotMet", "BlobNotFound"], recorded.Select(entry => entry.Outcome));
        Assert.All(recorded, entry => Assert.Equal("/tenanta/box/x", entry.Resource));

        await SetDataPlaneAsync(DataPlaneLogging.All);
        var read = Assert.Single(await RecordedDuring(() => fixture.Blobs.RecordFailureAsync(Account, BlobOperation.GetBlob, "box", "x", "BlobNotFound")));
        Assert.Equal("BlobNotFound", read.Outcome);
    }

    [Fact]
    public async Task Authentication_failures_are_always_recorded_as_anonymous_but_only_for_existing_accounts()
    {
        await SetDataPlaneAsync(DataPlaneLogging.None);
        var entry = Assert.Single(await RecordedDuring(() => fixture.Blobs.RecordFailureAsync(Account, BlobOperation.GetBlob, "box", "b", "AuthenticationFailed"), actor: Actor.Anonymous));
        Assert.Equal(Actor.Anonymous, entry.Actor);
        Assert.Equal("AuthenticationFailed", entry.Outcome);

        var unnamed = Assert.Single(await RecordedDuring(() => fixture.Blobs.RecordFailureAsync(Account, null, null, null, "AuthenticationFailed"), actor: Actor.Anonymous));
        Assert.Equal(BlobService.UnresolvedOperation, unnamed.Action);
        Assert.Equal("/tenanta", unnamed.Resource);

        using (Context(Actor.Anonymous))
        {
            await fixture.Blobs.RecordFailureAsync("nosuchaccount", BlobOperation.GetBlob, "box", "b", "AuthenticationFailed");
        }

        Assert.Equal(0, await Log.SizeAsync("nosuchaccount"));
        Assert.DoesNotContain("nosuchaccount", await fixture.Store.ListAuditLogsAsync());
    }

    // Accounts, keys, scopes, settings

    [Fact]
    public async Task Creating_an_account_is_recorded_in_its_log_and_the_platform_log()
    {
        var platformBefore = await Log.SizeAsync(AuditLogs.Platform);
        var accountLog = await RecordedDuring(() => fixture.Accounts.CreateAsync("tenantc", CipherSuite.Sm4Gcm), log: "tenantc");

        var entry = Assert.Single(accountLog);
        Assert.Equal(AuditActions.CreateAccount, entry.Action);
        Assert.Equal("/tenantc", entry.Resource);
        Assert.Equal(CipherSuites.Name(CipherSuite.Sm4Gcm), entry.Detail("cipherSuite"));
        AssertAttributed(entry);
        var platform = Assert.Single(await Log.EntriesAsync(AuditLogs.Platform, platformBefore));
        Assert.Equal(AuditActions.CreateAccount, platform.Action);
        Assert.Equal("/tenantc", platform.Resource);
    }

    [Fact]
    public async Task The_platform_logs_name_cannot_be_an_account()
    {
        var refused = await Assert.ThrowsAsync<StorageException>(() => fixture.Accounts.CreateAsync(TransparencyLog.PlatformOriginName));
        Assert.Equal(ErrorCode.InvalidResourceName, refused.Code);
    }

    [Fact]
    public async Task Renewing_an_account_key_is_recorded_with_the_slot()
    {
        var entry = Assert.Single(await RecordedDuring(() => fixture.Accounts.RenewKeyAsync(Account, 2)));
        Assert.Equal(AuditActions.RegenerateAccountKey, entry.Action);
        Assert.Equal("/tenanta", entry.Resource);
        Assert.Equal("key2", entry.Detail("key"));
        AssertAttributed(entry);
    }

    [Fact]
    public async Task Rotating_the_account_key_encryption_key_is_recorded_with_the_new_version()
    {
        uint version = 0;
        var entry = Assert.Single(await RecordedDuring(async () => version = await fixture.Accounts.RotateKeyEncryptionKeyAsync(Account)));
        Assert.Equal(2u, version);
        Assert.Equal(AuditActions.RotateAccountKeyEncryptionKey, entry.Action);
        Assert.Equal("2", entry.Detail("version"));
        AssertAttributed(entry);
    }

    [Fact]
    public async Task Creating_a_platform_managed_scope_is_recorded()
    {
        var entry = Assert.Single(await RecordedDuring(() => fixture.Scopes.CreateAsync(Account, "scope-p", EncryptionScopeKeySource.Platform, null)));
        Assert.Equal(AuditActions.CreateEncryptionScope, entry.Action);
        Assert.Equal("/tenanta", entry.Resource);
        Assert.Equal("scope-p", entry.Detail("scope"));
        Assert.Equal("platform", entry.Detail("keySource"));
        Assert.Null(entry.Detail("keyName"));
        AssertAttributed(entry);
    }

    [Fact]
    public async Task Creating_a_customer_managed_scope_names_the_vault_key_not_its_material()
    {
        fixture.CustomerKeys.Add(Account, "cmk");
        var entry = Assert.Single(await RecordedDuring(() => fixture.Scopes.CreateAsync(Account, "scope-c", EncryptionScopeKeySource.Customer, "cmk")));
        Assert.Equal("customer", entry.Detail("keySource"));
        Assert.Equal("cmk", entry.Detail("keyName"));
        Assert.False(string.IsNullOrEmpty(entry.Detail("keyVersion")));
        Assert.Equal(["keyName", "keySource", "keyVersion", "scope"], entry.Details.Select(detail => detail.Key).Order(StringComparer.Ordinal));
    }

    [Fact]
    public async Task Disabling_and_enabling_a_scope_are_recorded()
    {
        await fixture.Scopes.CreateAsync(Account, "scope-d", EncryptionScopeKeySource.Platform, null);
        var disabled = Assert.Single(await RecordedDuring(() => fixture.Scopes.SetStateAsync(Account, "scope-d", EncryptionScopeState.Disabled)));
        var enabled = Assert.Single(await RecordedDuring(() => fixture.Scopes.SetStateAsync(Account, "scope-d", EncryptionScopeState.Enabled)));
        Assert.Equal(AuditActions.DisableEncryptionScope, disabled.Action);
        Assert.Equal(AuditActions.EnableEncryptionScope, enabled.Action);
        Assert.Equal("scope-d", disabled.Detail("scope"));
        AssertAttributed(enabled);
    }

    [Fact]
    public async Task Changing_the_log_settings_is_recorded_in_the_same_transaction()
    {
        AccountRecord? updated = null;
        var entry = Assert.Single(await RecordedDuring(async () => updated = await Log.SetSettingsAsync(Account, DataPlaneLogging.All, 365)));
        Assert.Equal(AuditActions.SetAuditSettings, entry.Action);
        Assert.Equal("/tenanta", entry.Resource);
        Assert.Equal("all", entry.Detail("dataPlane"));
        Assert.Equal("365", entry.Detail("retentionDays"));
        AssertAttributed(entry);
        Assert.Equal(DataPlaneLogging.All, updated!.AuditDataPlane);
        Assert.Equal(365, (await fixture.Store.GetAccountAsync(Account))!.AuditRetentionDays);
    }

    [Theory]
    [InlineData(0)]
    [InlineData(30)]
    [InlineData(179)]
    public async Task A_retention_below_180_days_is_refused_citing_the_law(int days)
    {
        var recorded = await RecordedDuring(async () =>
        {
            var refused = await Assert.ThrowsAsync<StorageException>(() => Log.SetSettingsAsync(Account, DataPlaneLogging.Writes, days));
            Assert.Equal(ErrorCode.InvalidAuditSetting, refused.Code);
            Assert.Contains("Cyber Security Law art. 21 requires network logs to be kept at least six months (180 days)", refused.Message, StringComparison.Ordinal);
        });

        Assert.Empty(recorded);
        Assert.Equal(Limits.AuditRetentionDaysDefault, (await fixture.Store.GetAccountAsync(Account))!.AuditRetentionDays);
    }

    [Fact]
    public async Task Out_of_range_settings_are_refused()
    {
        Assert.Equal(ErrorCode.InvalidAuditSetting, (await Assert.ThrowsAsync<StorageException>(() => Log.SetSettingsAsync(Account, DataPlaneLogging.Writes, Limits.AuditRetentionDaysMax + 1))).Code);
        Assert.Equal(ErrorCode.InvalidAuditSetting, (await Assert.ThrowsAsync<StorageException>(() => Log.SetSettingsAsync(Account, (DataPlaneLogging)7, 180))).Code);
        Assert.Equal(ErrorCode.AccountNotFound, (await Assert.ThrowsAsync<StorageException>(() => Log.SetSettingsAsync("nosuchaccount", DataPlaneLogging.Writes, 180))).Code);
    }

    // Fail closed

    /// <summary>Makes every append to any log fail, as a broken log store would.</summary>
    private async Task BreakTheLogAsync()
    {
        await using var connection = new SqliteConnection($"Data Source={Path.Combine(fixture.Directory, "metadata.db")};Pooling=False");
        await connection.OpenAsync();
        await using var command = connection.CreateCommand();
        command.CommandText = "CREATE TRIGGER test_audit_unavailable BEFORE INSERT ON audit_entries BEGIN SELECT RAISE(ABORT, 'the log store is broken'); END";
        await command.ExecuteNonQueryAsync();
    }

    private static async Task AssertUnavailableAsync(Func<Task> operation)
    {
        var failed = await Assert.ThrowsAsync<StorageException>(operation);
        Assert.Equal(ErrorCode.AuditLogUnavailable, failed.Code);
    }

    [Fact]
    public async Task A_put_whose_entry_cannot_be_recorded_fails_and_leaves_nothing()
    {
        // SQLite-only: the log is broken with a SQLite trigger on the metadata file.
        if (TestMetadata.UsesPostgres)
        {
            return;
        }

        var files = fixture.SiteFiles().Count();
        var size = await Log.SizeAsync(Account);
        await BreakTheLogAsync();

        await AssertUnavailableAsync(() => fixture.PutAsync("box", "never", BlobServiceFixture.Pattern(1000, 8)));

        Assert.Null(await fixture.Store.GetBlobAsync(Account, "box", "never"));
        Assert.Equal(files, fixture.SiteFiles().Count());
        Assert.Equal(size, await Log.SizeAsync(Account));
    }

    [Fact]
    public async Task A_delete_whose_entry_cannot_be_recorded_deletes_nothing()
    {
        // SQLite-only: the log is broken with a SQLite trigger on the metadata file.
        if (TestMetadata.UsesPostgres)
        {
            return;
        }

        await BreakTheLogAsync();
        await AssertUnavailableAsync(() => fixture.Blobs.DeleteBlobAsync(Account, "box", "b", AccessConditions.None));
        Assert.Equal(BlobServiceFixture.Pattern(100, 1), await fixture.ReadAllAsync("box", "b"));
    }

    [Fact]
    public async Task A_read_under_all_whose_entry_cannot_be_recorded_returns_no_data()
    {
        // SQLite-only: the log is broken with a SQLite trigger on the metadata file.
        if (TestMetadata.UsesPostgres)
        {
            return;
        }

        await SetDataPlaneAsync(DataPlaneLogging.All);
        await BreakTheLogAsync();
        await AssertUnavailableAsync(() => fixture.Blobs.OpenBlobAsync(Account, "box", "b", AccessConditions.None));
        await AssertUnavailableAsync(() => fixture.Blobs.ListBlobsAsync(Account, "box", null, null, null, 0));
    }

    [Fact]
    public async Task Key_and_configuration_changes_whose_entry_cannot_be_recorded_do_not_happen()
    {
        // SQLite-only: the log is broken with a SQLite trigger on the metadata file.
        if (TestMetadata.UsesPostgres)
        {
            return;
        }

        await BreakTheLogAsync();
        await AssertUnavailableAsync(() => fixture.Accounts.RotateKeyEncryptionKeyAsync(Account));
        await AssertUnavailableAsync(() => fixture.Accounts.RenewKeyAsync(Account, 1));
        await AssertUnavailableAsync(() => fixture.Scopes.CreateAsync(Account, "scope-x", EncryptionScopeKeySource.Platform, null));
        await AssertUnavailableAsync(() => Log.SetSettingsAsync(Account, DataPlaneLogging.None, 400));

        var account = (await fixture.Store.GetAccountAsync(Account))!;
        Assert.Equal(1u, account.KeyEncryptionKeyVersion);
        Assert.Equal(DataPlaneLogging.Writes, account.AuditDataPlane);
        Assert.Null(await fixture.Store.GetEncryptionScopeAsync(Account, "scope-x"));
    }

    [Fact]
    public async Task A_failure_that_cannot_be_recorded_is_an_error()
    {
        // SQLite-only: the log is broken with a SQLite trigger on the metadata file.
        if (TestMetadata.UsesPostgres)
        {
            return;
        }

        await BreakTheLogAsync();
        using (Context())
        {
            await AssertUnavailableAsync(() => fixture.Blobs.RecordFailureAsync(Account, BlobOperation.PutBlob, "box", "b", "ConditionNotMet"));
        }
    }

    // Concurrency

    [Fact]
    public async Task Parallel_puts_give_one_consistent_tree()
    {
        const int Puts = 32;
        var before = await Log.SizeAsync(Account);
        await Task.WhenAll(Enumerable.Range(0, Puts).Select(i => Task.Run(async () =>
        {
            using (Context())
            {
                await fixture.PutAsync("box", $"parallel-{i:D2}", BlobServiceFixture.Pattern(64, 100 + i));
            }
        })));

        var head = await Log.GetTreeHeadAsync(Account);
        Assert.Equal(before + Puts, head.Size);
        var stored = await Log.StoredEntriesAsync(Account);
        Assert.Equal(Enumerable.Range(0, (int)head.Size).Select(i => (long)i), stored.Select(entry => entry.Index));
        var leaves = stored.Select(entry => MerkleTree.LeafHash(entry.Body!)).ToList();
        Assert.All(stored.Zip(leaves), pair => Assert.Equal(pair.Second, pair.First.LeafHash));
        Assert.Equal(MerkleTree.RootFromLeafHashes(leaves), head.RootHash);

        var puts = stored.Skip((int)before).Select(entry => AuditEntry.Decode(entry.Body!)).ToList();
        Assert.All(puts, entry => Assert.Equal(nameof(BlobOperation.PutBlob), entry.Action));
        Assert.Equal(Enumerable.Range(0, Puts).Select(i => $"/tenanta/box/parallel-{i:D2}"), puts.Select(entry => entry.Resource).Order(StringComparer.Ordinal));
    }

    private static IReadOnlyList<AuditEntry> DropKeyDestruction(string operation, IReadOnlyList<AuditEntry> recorded)
    {
        if (operation != nameof(BlobOperation.DeleteContainer))
        {
            return recorded;
        }

        Assert.Equal(AuditActions.DestroyKeys, recorded[^1].Action);
        return [.. recorded.Take(recorded.Count - 1)];
    }
}
