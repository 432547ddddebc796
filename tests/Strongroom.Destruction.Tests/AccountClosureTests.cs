using Strongroom.TestSupport;
using Microsoft.Data.Sqlite;
using Strongroom.Audit;
using Strongroom.Blobs;
using Strongroom.Core;
using Strongroom.Storage;

namespace Strongroom.Destruction.Tests;

public sealed class AccountClosureTests
{
    private const string Account = DestructionFixture.Account;

    [Fact]
    public async Task A_closed_account_refuses_the_data_plane_and_works_again_after_reopening()
    {
        await using var fixture = await DestructionFixture.CreateAsync();
        await fixture.PutAsync("a", DestructionFixture.Pattern(1000, 1));

        var closed = await fixture.Destruction.CloseAccountAsync(Account, TimeSpan.FromDays(7));
        Assert.Equal(AccountState.Closed, closed.State);
        Assert.Equal(fixture.Time.GetUtcNow().AddDays(7), closed.DestroyAfter);

        var keys = await fixture.Blobs.GetSharedKeysAsync(Account);
        Assert.NotNull(keys);
        Assert.False(keys.AccountEnabled);
        var refused = await Assert.ThrowsAsync<StorageException>(() => fixture.PutAsync("b", [1, 2, 3]));
        Assert.Equal(ErrorCode.AccountDisabled, refused.Code);

        await fixture.Destruction.ReopenAccountAsync(Account);
        Assert.True((await fixture.Blobs.GetSharedKeysAsync(Account))!.AccountEnabled);
        await fixture.PutAsync("b", [1, 2, 3]);

        var actions = (await fixture.EntriesAsync()).Select(entry => entry.Action).ToList();
        Assert.Contains(AuditActions.CloseAccount, actions);
        Assert.Contains(AuditActions.ReopenAccount, actions);
    }

    [Fact]
    public async Task Close_twice_reopen_of_an_open_account_and_a_grace_out_of_bounds_are_refused()
    {
        await using var fixture = await DestructionFixture.CreateAsync();
        var open = await Assert.ThrowsAsync<StorageException>(() => fixture.Destruction.ReopenAccountAsync(Account));
        Assert.Equal(ErrorCode.InvalidAccountState, open.Code);
        var grace = await Assert.ThrowsAsync<StorageException>(() => fixture.Destruction.CloseAccountAsync(Account, TimeSpan.FromDays(366)));
        Assert.Equal(ErrorCode.InvalidDataProtectionSetting, grace.Code);

        await fixture.Destruction.CloseAccountAsync(Account, TimeSpan.FromDays(1));
        var twice = await Assert.ThrowsAsync<StorageException>(() => fixture.Destruction.CloseAccountAsync(Account, TimeSpan.FromDays(1)));
        Assert.Equal(ErrorCode.InvalidAccountState, twice.Code);
        var missing = await Assert.ThrowsAsync<StorageException>(() => fixture.Destruction.CloseAccountAsync("nosuch", TimeSpan.Zero));
        Assert.Equal(ErrorCode.AccountNotFound, missing.Code);
    }

    [Fact]
    public async Task After_the_grace_period_every_key_is_destroyed_before_any_copy_is_removed_and_the_sweep_completes()
    {
        await using var fixture = await DestructionFixture.CreateAsync();
        await fixture.PutAsync("a", DestructionFixture.Pattern(70_000, 2));
        await fixture.Accounts.RotateKeyEncryptionKeyAsync(Account);
        var stored = await fixture.ObjectOfAsync("a");
        Assert.True(fixture.AnySiteHolds(stored.ObjectId));

        await fixture.Destruction.CloseAccountAsync(Account, TimeSpan.FromDays(30));
        fixture.Time.Advance(TimeSpan.FromDays(29));
        var early = await fixture.Destruction.SweepAsync();
        Assert.Equal(0, early.AccountsDestroyed);
        Assert.True(fixture.AnySiteHolds(stored.ObjectId));

        // Keys first: with every site down the keys still go, and the copies stay as tombstones.
        foreach (var site in TestSitesIds())
        {
            fixture.TestSites[site].Down = true;
            fixture.TestSites.Sites.ReportFailure(site, new IOException("down"));
        }

        fixture.Time.Advance(TimeSpan.FromDays(1));
        var pass = await fixture.Destruction.SweepAsync();
        Assert.Equal(1, pass.AccountsDestroyed);
        var account = await fixture.Store.GetAccountAsync(Account);
        Assert.Equal(AccountState.Destroyed, account!.State);
        Assert.Empty(account.WrappedSharedKey1);
        Assert.Empty(account.WrappedKeyEncryptionKey);
        Assert.Empty(await fixture.Store.ListAccountKeyEncryptionKeysAsync(Account));
        Assert.Null(await fixture.Blobs.GetSharedKeysAsync(Account));
        Assert.True(fixture.AnySiteHolds(stored.ObjectId));

        var destruction = Assert.Single(await fixture.Destruction.ListDestructionsAsync(Account));
        Assert.Equal(DestructionKind.AccountClosure, destruction.Kind);
        Assert.Equal(DestructionState.Sweeping, destruction.State);
        Assert.Contains(destruction.Keys, key => key.Id == $"account-kek/{Account}/v1");
        Assert.Contains(destruction.Keys, key => key.Id == $"account-kek/{Account}/v2");
        Assert.Equal(1, destruction.ObjectCount);
        Assert.Equal(70_000, destruction.ByteCount);
        Assert.NotNull(destruction.KeysEntryIndex);
        Assert.Single(fixture.Certificates);

        // The site returns: the next pass removes the ciphertext and completes the destruction.
        foreach (var site in TestSitesIds())
        {
            fixture.TestSites[site].Down = false;
            fixture.TestSites.Sites.ReportSuccess(site);
        }

        var sweep = await fixture.Destruction.SweepAsync();
        Assert.Equal(1, sweep.DestructionsCompleted);
        Assert.False(fixture.AnySiteHolds(stored.ObjectId));
        var complete = await fixture.Destruction.GetDestructionAsync(Account, destruction.Id);
        Assert.Equal(DestructionState.Complete, complete.State);
        Assert.All(complete.Sites, site => Assert.True(site.SweepComplete));
        Assert.NotNull(complete.SweepEntryIndex);
        Assert.Equal(2, fixture.Certificates.Count);
        Assert.Equal(DestructionState.Complete, fixture.Certificates[1].State);

        var entries = await fixture.EntriesAsync();
        Assert.Equal(AuditActions.DestroyKeys, entries[(int)complete.KeysEntryIndex!.Value].Action);
        Assert.Equal(AuditActions.SweepComplete, entries[(int)complete.SweepEntryIndex!.Value].Action);

        var reopen = await Assert.ThrowsAsync<StorageException>(() => fixture.Destruction.ReopenAccountAsync(Account));
        Assert.Equal(ErrorCode.InvalidAccountState, reopen.Code);
        var create = await Assert.ThrowsAnyAsync<Exception>(() => fixture.Accounts.CreateAsync(Account));
        Assert.NotNull(create);
    }

    [Fact]
    public async Task A_legal_hold_blocks_the_destruction_of_a_closed_account_until_it_is_released()
    {
        await using var fixture = await DestructionFixture.CreateAsync();
        var now = fixture.Time.GetUtcNow();
        await fixture.Store.CreateContainerAsync(new ContainerRecord(Account, "held", "\"0x1\"", now, now, []) { LegalHoldTags = ["case123"] });
        await fixture.Destruction.CloseAccountAsync(Account, TimeSpan.Zero);

        var pass = await fixture.Destruction.SweepAsync();
        Assert.Equal(0, pass.AccountsDestroyed);
        Assert.Contains(pass.Blocked, reason => reason.Contains("legal hold", StringComparison.Ordinal));
        Assert.Equal(AccountState.Closed, (await fixture.Store.GetAccountAsync(Account))!.State);
        Assert.NotEmpty(await fixture.Store.ListAccountKeyEncryptionKeysAsync(Account));
        var now2 = await Assert.ThrowsAsync<StorageException>(() => fixture.Destruction.DestroyAccountNowAsync(Account));
        Assert.Equal(ErrorCode.ContainerImmutableDueToLegalHold, now2.Code);
    }

    [Fact]
    public async Task Destroying_at_once_closes_destroys_sweeps_and_certifies_and_the_wal_is_truncated()
    {
        // SQLite-only: it checks the WAL file and reads the metadata file.
        if (TestMetadata.UsesPostgres)
        {
            return;
        }

        await using var fixture = await DestructionFixture.CreateAsync();
        await fixture.PutAsync("a", DestructionFixture.Pattern(5000, 3));
        var stored = await fixture.ObjectOfAsync("a");

        var destruction = await fixture.Destruction.DestroyAccountNowAsync(Account);
        Assert.Equal(DestructionState.Complete, destruction.State);
        Assert.False(fixture.AnySiteHolds(stored.ObjectId));
        Assert.Equal(2, fixture.Certificates.Count);
        Assert.Equal(AccountState.Destroyed, (await fixture.Store.GetAccountAsync(Account))!.State);

        // The checkpoint after the destruction emptied the write-ahead log (later writes are small).
        var wal = new FileInfo(fixture.DatabasePath + "-wal");
        Assert.True(!wal.Exists || wal.Length < 64 * 1024, $"WAL is {wal.Length} bytes");

        // No row of the object's wrapped data key is left in the database.
        await using var connection = new SqliteConnection($"Data Source={fixture.DatabasePath};Mode=ReadOnly");
        await connection.OpenAsync();
        await using var command = connection.CreateCommand();
        command.CommandText = "SELECT COUNT(*) FROM objects WHERE account = $account";
        command.Parameters.AddWithValue("$account", Account);
        Assert.Equal(0L, (long)(await command.ExecuteScalarAsync())!);

        var again = await Assert.ThrowsAsync<StorageException>(() => fixture.Destruction.DestroyAccountNowAsync(Account));
        Assert.Equal(ErrorCode.InvalidAccountState, again.Code);
    }

    private static IEnumerable<string> TestSitesIds() => Strongroom.Testing.TestSites.All;
}
