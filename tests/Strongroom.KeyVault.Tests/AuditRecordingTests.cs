using Strongroom.TestSupport;
using System.Security.Cryptography;
using System.Text;
using Microsoft.Data.Sqlite;
using Strongroom.Audit;
using Strongroom.Core;
using Xunit;

namespace Strongroom.KeyVault.Tests;

/// <summary>
/// Issue 4: every Key Vault operation is recorded in the account's log as Vault.&lt;Operation&gt;
/// (one test per operation kind), with versions and algorithms but never a value; failures with
/// their error code; the platform's use of a customer-managed key too; and nothing happens when
/// its entry cannot be recorded.
/// </summary>
public sealed class AuditRecordingTests : IAsyncLifetime
{
    private const string Account = "alpha";
    private const string SecretValue = "correct-horse-battery-staple";
    private static readonly Actor Caller = new(ActorKind.BearerToken, Account, "0123456789abcdef0123456789abcdef");

    private VaultFixture f = null!;
    private string secretVersion = null!;
    private string keyVersion = null!;

    private KeyVaultService Vault => f.Vault;

    public async Task InitializeAsync()
    {
        f = await VaultFixture.CreateAsync(Account);
        secretVersion = (await Vault.SetSecretAsync(Account, "s1", SecretValue)).Properties.Version;
        keyVersion = (await Vault.CreateKeyAsync(Account, "k1", new CreateKeyRequest("RSA"))).Version;
        await Vault.CreateKeyAsync(Account, "aes", new CreateKeyRequest("oct", 256));
        await Vault.CreateKeyAsync(Account, "ec", new CreateKeyRequest("EC", Curve: "P-256"));
    }

    public async Task DisposeAsync() => await f.DisposeAsync();

    private async Task<IReadOnlyList<AuditEntry>> RecordedDuring(Func<Task> action)
    {
        var before = (await f.Audit.GetTreeHeadAsync(Account)).Size;
        using (OperationContext.Begin(new OperationContext(Caller, "request-7", "198.51.100.4")))
        {
            await action();
        }

        var size = (await f.Audit.GetTreeHeadAsync(Account)).Size;
        var stored = size == before ? [] : await f.Audit.ReadEntriesAsync(Account, before, size);
        var entries = stored.Select(entry => AuditEntry.Decode(entry.Body!)).ToList();

        // Never a value, whatever the operation.
        Assert.All(stored, entry => Assert.DoesNotContain(SecretValue, Encoding.UTF8.GetString(entry.Body!), StringComparison.Ordinal));
        return entries;
    }

    private async Task<AuditEntry> OneEntry(string operation, string resource, Func<Task> action)
    {
        var entry = Assert.Single(await RecordedDuring(action));
        Assert.Equal("Vault." + operation, entry.Action);
        Assert.Equal(resource, entry.Resource);
        Assert.Equal(AuditOutcomes.Success, entry.Outcome);
        Assert.Equal(Caller, entry.Actor);
        Assert.Equal("request-7", entry.RequestId);
        Assert.Equal("198.51.100.4", entry.ClientAddress);
        return entry;
    }

    private static string? Detail(AuditEntry entry, string name) => entry.Details.FirstOrDefault(detail => detail.Key == name).Value;

    // Secrets

    [Fact]
    public async Task SetSecret()
    {
        string version = null!;
        var entry = await OneEntry("SetSecret", "vault:/secrets/s2", async () => version = (await Vault.SetSecretAsync(Account, "s2", SecretValue)).Properties.Version);
        Assert.Equal(version, Detail(entry, "version"));
    }

    [Fact]
    public async Task GetSecret() =>
        Assert.Equal(secretVersion, Detail(await OneEntry("GetSecret", "vault:/secrets/s1", () => Vault.GetSecretAsync(Account, "s1")), "version"));

    [Fact]
    public async Task GetSecrets() => await OneEntry("GetSecrets", "vault:/secrets", () => Vault.ListSecretsAsync(Account, null, null));

    [Fact]
    public async Task GetSecretVersions() => await OneEntry("GetSecretVersions", "vault:/secrets/s1", () => Vault.ListSecretVersionsAsync(Account, "s1", null, null));

    [Fact]
    public async Task UpdateSecret() =>
        Assert.Equal(secretVersion, Detail(await OneEntry("UpdateSecret", "vault:/secrets/s1", () => Vault.UpdateSecretAsync(Account, "s1", null, new ItemChanges(ContentType: "text/plain"))), "version"));

    [Fact]
    public async Task DeleteSecret() => await OneEntry("DeleteSecret", "vault:/secrets/s1", () => Vault.DeleteSecretAsync(Account, "s1"));

    [Fact]
    public async Task GetDeletedSecret_GetDeletedSecrets_RecoverDeletedSecret_and_PurgeDeletedSecret()
    {
        await Vault.DeleteSecretAsync(Account, "s1");
        await OneEntry("GetDeletedSecret", "vault:/secrets/s1", () => Vault.GetDeletedSecretAsync(Account, "s1"));
        await OneEntry("GetDeletedSecrets", "vault:/deletedsecrets", () => Vault.ListDeletedSecretsAsync(Account, null, null));
        await OneEntry("RecoverDeletedSecret", "vault:/secrets/s1", () => Vault.RecoverDeletedSecretAsync(Account, "s1"));
        await Vault.DeleteSecretAsync(Account, "s1");
        await OneEntry("PurgeDeletedSecret", "vault:/secrets/s1", () => Vault.PurgeDeletedSecretAsync(Account, "s1"));
    }

    // Keys

    [Fact]
    public async Task CreateKey()
    {
        KeyProperties created = null!;
        var entry = await OneEntry("CreateKey", "vault:/keys/k2", async () => created = await Vault.CreateKeyAsync(Account, "k2", new CreateKeyRequest("RSA", 3072)));
        Assert.Equal(created.Version, Detail(entry, "version"));
        Assert.Equal("RSA", Detail(entry, "keyType"));
        Assert.Equal("3072", Detail(entry, "keySize"));
    }

    [Fact]
    public async Task RotateKey()
    {
        KeyProperties rotated = null!;
        var entry = await OneEntry("RotateKey", "vault:/keys/k1", async () => rotated = await Vault.RotateKeyAsync(Account, "k1"));
        Assert.Equal(rotated.Version, Detail(entry, "version"));
        Assert.NotEqual(keyVersion, rotated.Version);
    }

    [Fact]
    public async Task GetKey() => Assert.Equal(keyVersion, Detail(await OneEntry("GetKey", "vault:/keys/k1", () => Vault.GetKeyAsync(Account, "k1")), "version"));

    [Fact]
    public async Task GetKeys() => await OneEntry("GetKeys", "vault:/keys", () => Vault.ListKeysAsync(Account, null, null));

    [Fact]
    public async Task GetKeyVersions() => await OneEntry("GetKeyVersions", "vault:/keys/k1", () => Vault.ListKeyVersionsAsync(Account, "k1", null, null));

    [Fact]
    public async Task UpdateKey() =>
        Assert.Equal(keyVersion, Detail(await OneEntry("UpdateKey", "vault:/keys/k1", () => Vault.UpdateKeyAsync(Account, "k1", null, new ItemChanges(Tags: [new("env", "test")]))), "version"));

    [Fact]
    public async Task DeleteKey_GetDeletedKey_GetDeletedKeys_RecoverDeletedKey_and_PurgeDeletedKey()
    {
        await OneEntry("DeleteKey", "vault:/keys/k1", () => Vault.DeleteKeyAsync(Account, "k1"));
        await OneEntry("GetDeletedKey", "vault:/keys/k1", () => Vault.GetDeletedKeyAsync(Account, "k1"));
        await OneEntry("GetDeletedKeys", "vault:/deletedkeys", () => Vault.ListDeletedKeysAsync(Account, null, null));
        await OneEntry("RecoverDeletedKey", "vault:/keys/k1", () => Vault.RecoverDeletedKeyAsync(Account, "k1"));
        await Vault.DeleteKeyAsync(Account, "k1");
        await OneEntry("PurgeDeletedKey", "vault:/keys/k1", () => Vault.PurgeDeletedKeyAsync(Account, "k1"));
    }

    // Cryptographic operations

    [Fact]
    public async Task Encrypt_and_Decrypt()
    {
        KeyOperationResult encrypted = null!;
        var entry = await OneEntry("Encrypt", "vault:/keys/k1", async () => encrypted = await Vault.EncryptAsync(Account, "k1", null, "RSA-OAEP-256", Encoding.UTF8.GetBytes(SecretValue)));
        Assert.Equal("RSA-OAEP-256", Detail(entry, "algorithm"));
        Assert.Equal(keyVersion, Detail(entry, "version"));
        await OneEntry("Decrypt", "vault:/keys/k1", () => Vault.DecryptAsync(Account, "k1", null, "RSA-OAEP-256", encrypted.Value));
    }

    [Fact]
    public async Task WrapKey_and_UnwrapKey()
    {
        var secret = RandomNumberGenerator.GetBytes(32);
        KeyOperationResult wrapped = null!;
        var entry = await OneEntry("WrapKey", "vault:/keys/aes", async () => wrapped = await Vault.WrapKeyAsync(Account, "aes", null, "A256KW", secret));
        Assert.Equal("A256KW", Detail(entry, "algorithm"));
        await OneEntry("UnwrapKey", "vault:/keys/aes", () => Vault.UnwrapKeyAsync(Account, "aes", null, "A256KW", wrapped.Value));
    }

    [Fact]
    public async Task Sign_and_Verify()
    {
        var digest = SHA256.HashData("message"u8);
        KeyOperationResult signature = null!;
        var entry = await OneEntry("Sign", "vault:/keys/ec", async () => signature = await Vault.SignAsync(Account, "ec", null, "ES256", digest));
        Assert.Equal("ES256", Detail(entry, "algorithm"));
        var verified = await OneEntry("Verify", "vault:/keys/ec", () => Vault.VerifyAsync(Account, "ec", null, "ES256", digest, signature.Value));
        Assert.Equal("true", Detail(verified, "valid"));
    }

    // Settings

    [Fact]
    public async Task GetSettings_and_UpdateSettings()
    {
        await OneEntry("GetSettings", "vault:/settings", () => Vault.GetSettingsAsync(Account));
        var entry = await OneEntry("UpdateSettings", "vault:/settings", () => Vault.SetSettingsAsync(Account, 30, true));
        Assert.Equal("30", Detail(entry, "retentionDays"));
        Assert.Equal("true", Detail(entry, "purgeProtection"));
    }

    // The platform's use of a customer-managed key

    [Fact]
    public async Task The_platform_wrapping_and_unwrapping_with_a_customer_key_is_recorded()
    {
        var kek = RandomNumberGenerator.GetBytes(32);
        Strongroom.Vault.CustomerWrappedKey wrapped = null!;
        var wrap = await OneEntry("WrapKey", "vault:/keys/k1", async () => wrapped = await f.CustomerKeys.WrapAsync(Account, "k1", kek));
        Assert.Equal(KeyVaultService.EncryptionScopeUse, Detail(wrap, "use"));
        Assert.Equal("RSA-OAEP-256", Detail(wrap, "algorithm"));
        var unwrap = await OneEntry("UnwrapKey", "vault:/keys/k1", () => f.CustomerKeys.UnwrapAsync(Account, "k1", wrapped.KeyVersion, wrapped.Wrapped));
        Assert.Equal(wrapped.KeyVersion, Detail(unwrap, "version"));
        Assert.Equal(KeyVaultService.EncryptionScopeUse, Detail(unwrap, "use"));
    }

    // Failures

    [Fact]
    public async Task A_failed_operation_is_recorded_with_its_error_code()
    {
        var recorded = await RecordedDuring(async () =>
        {
            await Assert.ThrowsAsync<KeyVaultException>(() => Vault.GetSecretAsync(Account, "missing"));
            await Vault.UpdateKeyAsync(Account, "k1", null, new ItemChanges(Enabled: false));
            await Assert.ThrowsAsync<KeyVaultException>(() => Vault.EncryptAsync(Account, "k1", null, "RSA-OAEP-256", [1, 2, 3]));
        });

        Assert.Equal(["Vault.GetSecret", "Vault.UpdateKey", "Vault.Encrypt"], recorded.Select(entry => entry.Action));
        Assert.Equal([nameof(KeyVaultErrorCode.SecretNotFound), AuditOutcomes.Success, nameof(KeyVaultErrorCode.KeyDisabled)], recorded.Select(entry => entry.Outcome));
        Assert.Equal("vault:/secrets/missing", recorded[0].Resource);
    }

    // Fail closed

    private async Task BreakTheLogAsync()
    {
        await using var connection = new SqliteConnection($"Data Source={f.DatabasePath};Pooling=False");
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
    public async Task Nothing_happens_and_nothing_is_returned_when_the_entry_cannot_be_recorded()
    {
        // SQLite-only: the log is broken with a SQLite trigger on the metadata file.
        if (TestMetadata.UsesPostgres)
        {
            return;
        }

        await BreakTheLogAsync();
        await AssertUnavailableAsync(() => Vault.SetSecretAsync(Account, "s9", SecretValue));
        await AssertUnavailableAsync(() => Vault.GetSecretAsync(Account, "s1"));
        await AssertUnavailableAsync(() => Vault.DeleteKeyAsync(Account, "k1"));
        await AssertUnavailableAsync(() => Vault.SignAsync(Account, "ec", null, "ES256", SHA256.HashData("m"u8)));
        await AssertUnavailableAsync(() => Vault.GetSecretAsync(Account, "missing"));
        await Assert.ThrowsAsync<StorageException>(() => f.CustomerKeys.WrapAsync(Account, "k1", new byte[32]));

        Assert.Null(await f.Store.GetVaultItemAsync(Account, Strongroom.Storage.VaultItemKind.Secret, "s9", null));
        Assert.False((await f.Store.GetVaultItemAsync(Account, Strongroom.Storage.VaultItemKind.Key, "k1", null))!.Value.Item.IsDeleted);
    }

    [Fact]
    public async Task IssueToken_names_the_key_and_the_tokens_grant()
    {
        var record = (await f.Store.GetAccountAsync(Account))!;
        var key2 = Convert.ToBase64String(f.Keys.UnwrapSharedKey(Account, 2, record.WrappedSharedKey2));
        var issued = await f.Tokens.IssueForClientAsync(Account, key2);
        Assert.Equal(2, issued.ClientKey);

        var entry = Assert.Single(await RecordedDuring(() => Vault.RecordTokenIssuedAsync(Account, issued)));
        Assert.Equal(KeyVaultService.IssueTokenAction, entry.Action);
        Assert.Equal("/alpha", entry.Resource);
        Assert.Equal(Vault.TokenPseudonym(issued.AccessToken), Detail(entry, "grant"));
        Assert.DoesNotContain(issued.AccessToken, string.Join(" ", entry.Details.Select(detail => detail.Value)), StringComparison.Ordinal);
    }

    [Fact]
    public void The_token_pseudonym_is_stable_and_not_the_token()
    {
        const string Token = "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJhbHBoYSJ9.signature";
        var pseudonym = Vault.TokenPseudonym(Token);
        Assert.Equal(pseudonym, Vault.TokenPseudonym(Token));
        Assert.Equal(32, pseudonym.Length);
        Assert.DoesNotContain(pseudonym, Token, StringComparison.Ordinal);
        Assert.NotEqual(pseudonym, Vault.TokenPseudonym(Token + "x"));
    }
}
