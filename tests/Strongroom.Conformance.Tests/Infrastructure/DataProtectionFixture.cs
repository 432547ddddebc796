using Azure.Storage.Blobs;
using Microsoft.Data.Sqlite;

namespace Strongroom.Conformance.Tests.Infrastructure;

/// <summary>
/// A development server with one account per data-protection combination (issue 7). The settings
/// are written into metadata.db behind the running server (the server reads them on every
/// request); TODO(issue 7): use `strongroom account protection` once it lands. Legal holds are set
/// the same way until Set Blob Legal Hold and the container hold commands exist.
/// </summary>
public sealed class DataProtectionFixture : ServerFixture
{
    public const string Versioned = "versioned";
    public const string SoftDeleted = "softdeleted";
    public const string Both = "protected";
    public const string SoftDeleteDays = "7";

    readonly Dictionary<string, string> _keys = new(StringComparer.Ordinal);

    public override async Task InitializeAsync()
    {
        await base.InitializeAsync();
        foreach (var account in new[] { Versioned, SoftDeleted, Both })
        {
            (_keys[account], _) = await Server.CreateAccountAsync(account);
        }

        Execute("UPDATE accounts SET versioning = 1 WHERE name = @a", Versioned);
        Execute($"UPDATE accounts SET blob_soft_delete_days = {SoftDeleteDays} WHERE name = @a", SoftDeleted);
        Execute($"UPDATE accounts SET versioning = 1, blob_soft_delete_days = {SoftDeleteDays}, allow_permanent_delete = 1 WHERE name = @a", Both);
    }

    public string KeyOf(string account) => _keys[account];

    public BlobServiceClient ServiceFor(string account) => new(Server.ConnectionStringFor(account, _keys[account]), Clients.Options());

    public SharedKeySigner SignerFor(string account) => new(account, _keys[account]);

    public void SetBlobLegalHold(string account, string container, string blob) =>
        Execute("UPDATE blobs SET legal_hold = 1 WHERE account = @a AND container = @c AND name = @b", account, container, blob);

    public void SetContainerLegalHold(string account, string container) =>
        Execute("UPDATE containers SET legal_hold_tags = '[\"case-17\"]' WHERE account = @a AND name = @c", account, container);

    void Execute(string sql, string account, string? container = null, string? blob = null)
    {
        using var connection = new SqliteConnection($"Data Source={Path.Combine(Server.DataDirectory, "metadata.db")};Pooling=False");
        connection.Open();
        using var command = connection.CreateCommand();
        command.CommandText = "PRAGMA busy_timeout = 5000;";
        command.ExecuteNonQuery();
        command.CommandText = sql;
        command.Parameters.AddWithValue("@a", account);
        command.Parameters.AddWithValue("@c", (object?)container ?? DBNull.Value);
        command.Parameters.AddWithValue("@b", (object?)blob ?? DBNull.Value);
        if (command.ExecuteNonQuery() != 1)
        {
            throw new InvalidOperationException($"Expected one row changed by: {sql}");
        }
    }
}
