using System.Data.Common;
using Strongroom.Core;

namespace Strongroom.Storage;

// Encryption scopes. The key-encryption key is stored only wrapped (by the keyring or the
// tenant's vault key); the table is covered by secure_delete like every other.
public sealed partial class SqlMetadataStore
{
    private const string ScopeColumns =
        "account, name, state, key_source, wrapped_kek, customer_key_name, customer_key_version, created_on";

    public Task CreateEncryptionScopeAsync(EncryptionScopeRecord scope, AuditAppend? audit = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(scope);
        return WriteAsync(
            tx =>
            {
                if (ReadAccount(tx, scope.Account) is null)
                {
                    throw new StorageException(ErrorCode.AccountNotFound);
                }

                if (ReadScope(tx, scope.Account, scope.Name) is not null)
                {
                    throw new StorageException(ErrorCode.EncryptionScopeAlreadyExists);
                }

                var count = (long)tx.Scalar("SELECT COUNT(*) FROM encryption_scopes WHERE account = @account", ("@account", scope.Account))!;
                if (count >= Limits.EncryptionScopesPerAccountMax)
                {
                    throw new StorageException(ErrorCode.EncryptionScopeCountExceedsLimit);
                }

                tx.Execute(
                    $"INSERT INTO encryption_scopes ({ScopeColumns}) VALUES (@account, @name, @state, @key_source, @wrapped_kek, @key_name, @key_version, @created_on)",
                    ("@account", scope.Account),
                    ("@name", scope.Name),
                    ("@state", (int)scope.State),
                    ("@key_source", (int)scope.KeySource),
                    ("@wrapped_kek", scope.WrappedKeyEncryptionKey),
                    ("@key_name", scope.CustomerKeyName),
                    ("@key_version", scope.CustomerKeyVersion),
                    ("@created_on", ToTicks(scope.CreatedOn)));
                return true;
            },
            audit,
            cancellationToken);
    }

    public Task<EncryptionScopeRecord?> GetEncryptionScopeAsync(string account, string name, CancellationToken cancellationToken = default) =>
        ReadAsync(tx => ReadScope(tx, account, name), cancellationToken);

    public Task<IReadOnlyList<EncryptionScopeRecord>> ListEncryptionScopesAsync(string account, CancellationToken cancellationToken = default) =>
        ReadAsync<IReadOnlyList<EncryptionScopeRecord>>(
            tx =>
            {
                if (ReadAccount(tx, account) is null)
                {
                    throw new StorageException(ErrorCode.AccountNotFound);
                }

                using var reader = tx.Query($"SELECT {ScopeColumns} FROM encryption_scopes WHERE account = @account ORDER BY name", ("@account", account));
                var scopes = new List<EncryptionScopeRecord>();
                while (reader.Read())
                {
                    scopes.Add(ReadScopeRow(reader));
                }

                return scopes;
            },
            cancellationToken);

    public Task<EncryptionScopeRecord> SetEncryptionScopeStateAsync(string account, string name, EncryptionScopeState state, AuditAppend? audit = null, CancellationToken cancellationToken = default) =>
        WriteAsync(
            tx =>
            {
                var changed = tx.Execute(
                    "UPDATE encryption_scopes SET state = @state WHERE account = @account AND name = @name",
                    ("@account", account),
                    ("@name", name),
                    ("@state", (int)state));
                return changed == 0
                    ? throw new StorageException(ErrorCode.EncryptionScopeNotFound)
                    : ReadScope(tx, account, name)!;
            },
            audit,
            cancellationToken);

    private static EncryptionScopeRecord? ReadScope(Transaction tx, string account, string name)
    {
        using var reader = tx.Query(
            $"SELECT {ScopeColumns} FROM encryption_scopes WHERE account = @account AND name = @name",
            ("@account", account),
            ("@name", name));
        return reader.Read() ? ReadScopeRow(reader) : null;
    }

    private static EncryptionScopeRecord ReadScopeRow(DbDataReader reader) => new(
        reader.GetString(0),
        reader.GetString(1),
        (EncryptionScopeState)reader.GetInt32(2),
        (EncryptionScopeKeySource)reader.GetInt32(3),
        reader.GetFieldValue<byte[]>(4),
        NullableString(reader, 5),
        NullableString(reader, 6),
        FromTicks(reader.GetInt64(7)));
}
