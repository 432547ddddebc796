using Strongroom.TestSupport;
using Strongroom.Blobs;
using Strongroom.Core;
using Strongroom.Storage;

namespace Strongroom.Destruction.Tests;

public sealed class PurgeTests
{
    private const string Account = DestructionFixture.Account;

    [Fact]
    public async Task Deleting_a_container_without_soft_delete_is_a_destruction_whose_sweep_completes()
    {
        await using var fixture = await DestructionFixture.CreateAsync();
        await fixture.PutAsync("a", DestructionFixture.Pattern(3000, 4));
        var stored = await fixture.ObjectOfAsync("a");

        await fixture.Blobs.DeleteContainerAsync(Account, "box", AccessConditions.None);
        Assert.False(fixture.AnySiteHolds(stored.ObjectId));
        var destruction = Assert.Single(await fixture.Destruction.ListDestructionsAsync(Account));
        Assert.Equal(DestructionKind.ContainerPurge, destruction.Kind);
        Assert.Equal($"{Account}/box", destruction.Scope);
        Assert.Equal([$"data-key/{stored.ObjectId}"], destruction.Keys.Select(key => key.Id));

        var pass = await fixture.Destruction.SweepAsync();
        Assert.Equal(1, pass.DestructionsCompleted);
        Assert.Equal(DestructionState.Complete, (await fixture.Destruction.GetDestructionAsync(Account, destruction.Id)).State);
        Assert.Equal(2, fixture.Certificates.Count);
    }

    [Fact]
    public async Task A_soft_deleted_container_is_destroyed_when_its_retention_ends_and_a_held_one_waits()
    {
        // SQLite-only: the soft delete is staged through a SQLite connection with foreign keys off.
        if (TestMetadata.UsesPostgres)
        {
            return;
        }

        await using var fixture = await DestructionFixture.CreateAsync();
        await fixture.PutAsync("a", DestructionFixture.Pattern(3000, 5));
        var stored = await fixture.ObjectOfAsync("a");
        var now = fixture.Time.GetUtcNow();
        await SoftDeleteContainerAsync(fixture, "box", "01D", now, now.AddDays(7));

        await fixture.Destruction.SweepAsync();
        Assert.Empty(await fixture.Destruction.ListDestructionsAsync(Account));
        Assert.True(fixture.AnySiteHolds(stored.ObjectId));

        fixture.Time.Advance(TimeSpan.FromDays(7));
        var pass = await fixture.Destruction.SweepAsync();
        Assert.Equal(1, pass.ContainersDestroyed);
        Assert.False(fixture.AnySiteHolds(stored.ObjectId));
        var destruction = Assert.Single(await fixture.Destruction.ListDestructionsAsync(Account));
        Assert.Equal($"{Account}/box", destruction.Scope);
        Assert.Equal(DestructionState.Complete, destruction.State);
    }

    [Fact]
    public async Task Early_purge_of_a_soft_deleted_container_and_refusals()
    {
        // SQLite-only: the soft delete is staged through a SQLite connection with foreign keys off.
        if (TestMetadata.UsesPostgres)
        {
            return;
        }

        await using var fixture = await DestructionFixture.CreateAsync();
        await fixture.PutAsync("a", DestructionFixture.Pattern(3000, 6));
        var now = fixture.Time.GetUtcNow();
        await SoftDeleteContainerAsync(fixture, "box", "01D", now, now.AddDays(30));

        var wrong = await Assert.ThrowsAsync<StorageException>(() => fixture.Destruction.PurgeContainerAsync(Account, "box", "02D"));
        Assert.Equal(ErrorCode.ContainerNotDeleted, wrong.Code);
        var destruction = await fixture.Destruction.PurgeContainerAsync(Account, "box", "01D");
        Assert.Equal(DestructionState.Complete, destruction.State);

        var notDeleted = await Assert.ThrowsAsync<StorageException>(() => fixture.Destruction.PurgeBlobAsync(Account, "box", "a"));
        Assert.Equal(ErrorCode.BlobNotFound, notDeleted.Code);
        var missing = await Assert.ThrowsAsync<StorageException>(() => fixture.Destruction.GetDestructionAsync("other", destruction.Id));
        Assert.Equal(ErrorCode.DestructionNotFound, missing.Code);
    }

    /// <summary>Soft-deletes a container the way migration 9 stores it (helper "containers" owns the real path).</summary>
    private static async Task SoftDeleteContainerAsync(DestructionFixture fixture, string name, string version, DateTimeOffset deletedOn, DateTimeOffset purgeOn)
    {
        await using var connection = new Microsoft.Data.Sqlite.SqliteConnection($"Data Source={fixture.DatabasePath}");
        await connection.OpenAsync();
        var key = VersionIds.DeletedContainerKey(name, version);
        await using var command = connection.CreateCommand();
        command.CommandText =
            "PRAGMA foreign_keys = OFF; " +
            "UPDATE containers SET name = $key, deleted_name = $name, deleted_on = $deleted, purge_on = $purge WHERE account = $account AND name = $name; " +
            "UPDATE blobs SET container = $key WHERE account = $account AND container = $name; " +
            "UPDATE blob_parts SET container = $key WHERE account = $account AND container = $name;";
        command.Parameters.AddWithValue("$key", key);
        command.Parameters.AddWithValue("$name", name);
        command.Parameters.AddWithValue("$account", Account);
        command.Parameters.AddWithValue("$deleted", deletedOn.UtcTicks);
        command.Parameters.AddWithValue("$purge", purgeOn.UtcTicks);
        await command.ExecuteNonQueryAsync();
    }
}
