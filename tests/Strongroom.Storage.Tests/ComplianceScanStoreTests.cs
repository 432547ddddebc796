using Microsoft.Data.Sqlite;
using Strongroom.Core;
using Strongroom.TestSupport;

namespace Strongroom.Storage.Tests;

/// <summary>The compliance report's store reads (issue 10): copies grouped by account, site, state and transfer; object counts; principals' second factor (migration 22).</summary>
public sealed class ComplianceScanStoreTests : AuditStoreTestBase
{
    private IComplianceScanStore Scans => Store;

    private IIdentityStore Identities => Store;

    private StoredObject ObjectWith(params (string Site, CopyState State)[] copies) =>
        NewObject() with { Copies = [.. copies.Select(c => new ObjectCopy(c.Site, c.State))] };

    [Fact]
    public async Task Copies_are_counted_per_account_site_and_state_and_objects_with_fewer_than_two_copies_found()
    {
        await CreateContainerAsync("acct", "cont");
        await CreateContainerAsync("other", "cont");
        await Store.CommitBlobAsync(Blob("acct", "cont", "two", length: 10), [Part(0, ObjectWith(("site-a", CopyState.Present), ("site-b", CopyState.Pending)))]);
        await Store.CommitBlobAsync(Blob("acct", "cont", "one", length: 10), [Part(0, ObjectWith(("site-a", CopyState.Present), ("site-b", CopyState.Bad)))]);
        await Store.CommitBlobAsync(Blob("other", "cont", "x", length: 10), [Part(0, ObjectWith(("site-c", CopyState.Present), ("site-a", CopyState.Present)))]);

        var copies = await Scans.CountCopiesAsync();

        Assert.Equal(
            [
                new AccountCopyCount("acct", "site-a", CopyState.Present, null, 2),
                new AccountCopyCount("acct", "site-b", CopyState.Pending, null, 1),
                new AccountCopyCount("acct", "site-b", CopyState.Bad, null, 1),
                new AccountCopyCount("other", "site-a", CopyState.Present, null, 1),
                new AccountCopyCount("other", "site-c", CopyState.Present, null, 1),
            ],
            copies);

        var objects = await Scans.CountObjectsAsync();
        Assert.Equal([new AccountObjectCounts("acct", 2, 0, 1), new AccountObjectCounts("other", 1, 0, 0)], objects);
    }

    [Fact]
    public async Task An_empty_store_has_nothing_to_count()
    {
        Assert.Empty(await Scans.CountCopiesAsync());
        Assert.Empty(await Scans.CountObjectsAsync());
    }

    [Fact]
    public async Task A_principal_keeps_its_second_factor_and_totp_is_the_default()
    {
        var totp = new PrincipalRecord(PrincipalKind.Operator, PrincipalIds.NoAccount, "root", OperatorRole.SecurityAdmin, "$argon2id$x", [1, 2, 3], 0, 0, null, false, T0);
        var passwordOnly = totp with { Name = "weak", Role = OperatorRole.AuditAdmin, WrappedTotpSeed = [], SecondFactor = SecondFactor.None };
        await Identities.CreatePrincipalAsync(totp, onlyWhileNoOperator: false);
        await Identities.CreatePrincipalAsync(passwordOnly, onlyWhileNoOperator: false);

        Assert.Equal(SecondFactor.Totp, (await Identities.GetPrincipalAsync(PrincipalKind.Operator, PrincipalIds.NoAccount, "root"))!.SecondFactor);
        Assert.Equal(SecondFactor.None, (await Identities.GetPrincipalAsync(PrincipalKind.Operator, PrincipalIds.NoAccount, "weak"))!.SecondFactor);
        Assert.Equal([SecondFactor.Totp, SecondFactor.None], (await Identities.ListPrincipalsAsync(PrincipalKind.Operator, PrincipalIds.NoAccount)).OrderBy(p => p.Name, StringComparer.Ordinal).Select(p => p.SecondFactor));

        // A seed exactly when the factor is TOTP.
        await Assert.ThrowsAnyAsync<Exception>(() => Identities.CreatePrincipalAsync(totp with { Name = "noseed", WrappedTotpSeed = [] }, onlyWhileNoOperator: false));
        await Assert.ThrowsAnyAsync<Exception>(() => Identities.CreatePrincipalAsync(passwordOnly with { Name = "seeded", WrappedTotpSeed = [9] }, onlyWhileNoOperator: false));
    }

    [Fact]
    public async Task Migration_22_keeps_every_existing_principal_on_totp()
    {
        // SQLite itself (migrations from old versions).
        if (TestMetadata.UsesPostgres)
        {
            return;
        }

        await Store.DisposeAsync();
        SqliteConnection.ClearAllPools();
        File.Delete(DatabasePath);
        using (var connection = OpenSqliteConnection())
        {
            SqliteSchema.Migrate(connection, DatabasePath, targetVersion: 21);
            using var command = connection.CreateCommand();
            command.CommandText =
                "INSERT INTO principals (kind, account, name, role, password_hash, totp_seed, totp_last_step, failed_logins, locked_until, disabled, created_on) " +
                $"VALUES (0, '', 'root', 1, '$argon2id$x', x'0102', 0, 0, NULL, 0, {T0.UtcTicks})";
            command.ExecuteNonQuery();
        }

        Store = await SqlMetadataStore.OpenSqliteAsync(DatabasePath);

        Assert.Equal(SqliteSchema.CurrentVersion, Scalar("SELECT MAX(version) FROM schema_version"));
        Assert.Equal(SecondFactor.Totp, (await Identities.GetPrincipalAsync(PrincipalKind.Operator, PrincipalIds.NoAccount, "root"))!.SecondFactor);
    }
}
