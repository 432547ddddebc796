using System.Security.Cryptography;
using System.Text;
using Strongroom.Core;
using Strongroom.Crypto;
using Strongroom.Storage;
using Xunit;

namespace Strongroom.KeyVault.Tests;

public sealed class SecretTests
{
    [Fact]
    public async Task Set_get_versions_and_update()
    {
        await using var f = await VaultFixture.CreateAsync("alpha");
        var first = await f.Vault.SetSecretAsync("alpha", "Db-Password", "one", new ItemChanges(ContentType: "text/plain", Tags: [new("env", "prod")]));
        f.Time.Advance(TimeSpan.FromSeconds(5));
        var second = await f.Vault.SetSecretAsync("alpha", "db-password", "two");

        Assert.Equal("two", (await f.Vault.GetSecretAsync("alpha", "DB-PASSWORD")).Value);
        Assert.Equal("one", (await f.Vault.GetSecretAsync("alpha", "db-password", first.Properties.Version)).Value);
        Assert.Equal("Db-Password", second.Properties.Name);
        Assert.Equal("Recoverable+Purgeable", second.Properties.Attributes.RecoveryLevel);
        Assert.Equal(90, second.Properties.Attributes.RecoverableDays);

        var versions = await f.Vault.ListSecretVersionsAsync("alpha", "db-password", null, null);
        Assert.Equal([first.Properties.Version, second.Properties.Version], versions.Items.Select(v => v.Version));

        var updated = await f.Vault.UpdateSecretAsync("alpha", "db-password", first.Properties.Version, new ItemChanges(Enabled: false));
        Assert.False(updated.Attributes.Enabled);
        var disabled = await Assert.ThrowsAsync<KeyVaultException>(() => f.Vault.GetSecretAsync("alpha", "db-password", first.Properties.Version));
        Assert.Equal(KeyVaultErrorCode.SecretDisabled, disabled.Code);
    }

    [Fact]
    public async Task Values_are_stored_only_wrapped_and_bound_to_their_item()
    {
        await using var f = await VaultFixture.CreateAsync("alpha");
        var set = await f.Vault.SetSecretAsync("alpha", "s1", "very-secret-value");
        var stored = await f.Store.GetVaultItemAsync("alpha", VaultItemKind.Secret, "s1", null);
        Assert.NotNull(stored);
        var wrapped = stored.Value.Version.WrappedValue;
        Assert.DoesNotContain("very-secret-value", Encoding.UTF8.GetString(wrapped), StringComparison.Ordinal);
        Assert.Equal("very-secret-value", Encoding.UTF8.GetString(f.Keys.UnwrapVaultItem("alpha", "secret", "s1", set.Properties.Version, wrapped)));
        Assert.Throws<StorageException>(() => f.Keys.UnwrapVaultItem("beta", "secret", "s1", set.Properties.Version, wrapped));
        Assert.Throws<StorageException>(() => f.Keys.UnwrapVaultItem("alpha", "secret", "s2", set.Properties.Version, wrapped));
        Assert.Throws<StorageException>(() => f.Keys.UnwrapVaultItem("alpha", "key", "s1", set.Properties.Version, wrapped));
    }

    [Fact]
    public async Task Soft_delete_recover_purge_and_name_reuse()
    {
        await using var f = await VaultFixture.CreateAsync("alpha");
        await f.Vault.SetSecretAsync("alpha", "s", "v");
        var deleted = await f.Vault.DeleteSecretAsync("alpha", "s");
        Assert.Equal(f.Time.GetUtcNow().AddDays(90), deleted.Deletion!.ScheduledPurgeOn);

        Assert.Equal(KeyVaultErrorCode.SecretNotFound, (await Assert.ThrowsAsync<KeyVaultException>(() => f.Vault.GetSecretAsync("alpha", "s"))).Code);
        Assert.Equal(KeyVaultErrorCode.ObjectIsDeletedButRecoverable, (await Assert.ThrowsAsync<KeyVaultException>(() => f.Vault.SetSecretAsync("alpha", "s", "x"))).Code);
        Assert.Single((await f.Vault.ListDeletedSecretsAsync("alpha", null, null)).Items);
        Assert.Empty((await f.Vault.ListSecretsAsync("alpha", null, null)).Items);

        await f.Vault.RecoverDeletedSecretAsync("alpha", "s");
        Assert.Equal("v", (await f.Vault.GetSecretAsync("alpha", "s")).Value);
        Assert.Equal(KeyVaultErrorCode.DeletedSecretNotFound, (await Assert.ThrowsAsync<KeyVaultException>(() => f.Vault.PurgeDeletedSecretAsync("alpha", "s"))).Code);

        await f.Vault.DeleteSecretAsync("alpha", "s");
        await f.Vault.PurgeDeletedSecretAsync("alpha", "s");
        Assert.Empty((await f.Vault.ListDeletedSecretsAsync("alpha", null, null)).Items);
        Assert.Equal("new", (await f.Vault.SetSecretAsync("alpha", "s", "new")).Value);
        Assert.Single((await f.Vault.ListSecretVersionsAsync("alpha", "s", null, null)).Items);
    }

    [Fact]
    public async Task Retention_expires_on_the_fake_clock_and_purge_protection_refuses_purge()
    {
        await using var f = await VaultFixture.CreateAsync("alpha");
        var options = await f.Vault.SetSettingsAsync("alpha", 7, true);
        Assert.Equal("CustomizedRecoverable", options.RecoveryLevel);
        Assert.Equal(KeyVaultErrorCode.PurgeProtectionIrreversible, (await Assert.ThrowsAsync<KeyVaultException>(() => f.Vault.SetSettingsAsync("alpha", null, false))).Code);
        Assert.Equal(KeyVaultErrorCode.BadParameter, (await Assert.ThrowsAsync<KeyVaultException>(() => f.Vault.SetSettingsAsync("alpha", 6, null))).Code);
        Assert.Equal(KeyVaultErrorCode.BadParameter, (await Assert.ThrowsAsync<KeyVaultException>(() => f.Vault.SetSettingsAsync("alpha", 91, null))).Code);

        await f.Vault.SetSecretAsync("alpha", "s", "v");
        var deleted = await f.Vault.DeleteSecretAsync("alpha", "s");
        Assert.Equal(f.Time.GetUtcNow().AddDays(7), deleted.Deletion!.ScheduledPurgeOn);
        Assert.Equal(KeyVaultErrorCode.PurgeProtectionEnabled, (await Assert.ThrowsAsync<KeyVaultException>(() => f.Vault.PurgeDeletedSecretAsync("alpha", "s"))).Code);

        f.Time.Advance(TimeSpan.FromDays(7));
        Assert.Empty((await f.Vault.ListDeletedSecretsAsync("alpha", null, null)).Items);
        Assert.Equal(KeyVaultErrorCode.DeletedSecretNotFound, (await Assert.ThrowsAsync<KeyVaultException>(() => f.Vault.RecoverDeletedSecretAsync("alpha", "s"))).Code);
        Assert.Equal("again", (await f.Vault.SetSecretAsync("alpha", "s", "again")).Value);
    }

    [Fact]
    public async Task Accounts_see_only_their_own_vault()
    {
        await using var f = await VaultFixture.CreateAsync("alpha", "beta");
        await f.Vault.SetSecretAsync("alpha", "shared-name", "alpha-value");
        Assert.Equal(KeyVaultErrorCode.SecretNotFound, (await Assert.ThrowsAsync<KeyVaultException>(() => f.Vault.GetSecretAsync("beta", "shared-name"))).Code);
        Assert.Empty((await f.Vault.ListSecretsAsync("beta", null, null)).Items);
        await f.Vault.SetSecretAsync("beta", "shared-name", "beta-value");
        Assert.Equal("alpha-value", (await f.Vault.GetSecretAsync("alpha", "shared-name")).Value);
    }

    [Fact]
    public async Task Paging_continues_after_the_last_name_and_bad_input_is_refused()
    {
        await using var f = await VaultFixture.CreateAsync("alpha");
        foreach (var name in new[] { "a", "b", "c" })
        {
            await f.Vault.SetSecretAsync("alpha", name, name);
        }

        var first = await f.Vault.ListSecretsAsync("alpha", null, 2);
        Assert.Equal(["a", "b"], first.Items.Select(s => s.Name));
        var second = await f.Vault.ListSecretsAsync("alpha", first.ContinueAfter, 2);
        Assert.Equal(["c"], second.Items.Select(s => s.Name));
        Assert.Null(second.ContinueAfter);

        await Assert.ThrowsAsync<KeyVaultException>(() => f.Vault.ListSecretsAsync("alpha", null, 26));
        await Assert.ThrowsAsync<KeyVaultException>(() => f.Vault.SetSecretAsync("alpha", "bad_name", "v"));
        await Assert.ThrowsAsync<KeyVaultException>(() => f.Vault.SetSecretAsync("alpha", new string('a', 128), "v"));
        await Assert.ThrowsAsync<KeyVaultException>(() => f.Vault.SetSecretAsync("alpha", "big", new string('x', Limits.SecretValueBytesMax + 1)));
    }
}

public sealed class KeyTests
{
    private static byte[] Digest(int bytes) => Enumerable.Range(0, bytes).Select(i => (byte)i).ToArray();

    [Theory]
    [InlineData("RSA", 2048, null, "RS256", 32)]
    [InlineData("RSA", 3072, null, "PS256", 32)]
    [InlineData("EC", null, "P-256", "ES256", 32)]
    [InlineData("EC", null, "P-384", "ES384", 48)]
    [InlineData("EC", null, "P-521", "ES512", 64)]
    public async Task Sign_and_verify(string keyType, int? size, string? curve, string algorithm, int digestBytes)
    {
        await using var f = await VaultFixture.CreateAsync("alpha");
        var key = await f.Vault.CreateKeyAsync("alpha", "signer", new CreateKeyRequest(keyType, size, curve));
        var signature = await f.Vault.SignAsync("alpha", "signer", null, algorithm, Digest(digestBytes));
        Assert.Equal(key.Version, signature.Version);
        Assert.True((await f.Vault.VerifyAsync("alpha", "signer", key.Version, algorithm, Digest(digestBytes), signature.Value)).Valid);
        var other = Digest(digestBytes);
        other[0] ^= 1;
        Assert.False((await f.Vault.VerifyAsync("alpha", "signer", null, algorithm, other, signature.Value)).Valid);
    }

    [Fact]
    public async Task Rsa_encrypt_wrap_and_public_key_match()
    {
        await using var f = await VaultFixture.CreateAsync("alpha");
        var key = await f.Vault.CreateKeyAsync("alpha", "rsa", new CreateKeyRequest("RSA", 2048));
        Assert.Equal(256, key.Key.Modulus!.Length);
        var encrypted = await f.Vault.EncryptAsync("alpha", "rsa", null, "RSA-OAEP-256", [1, 2, 3]);
        Assert.Equal([1, 2, 3], (await f.Vault.DecryptAsync("alpha", "rsa", null, "RSA-OAEP-256", encrypted.Value)).Value);

        // Anyone with the public key can wrap for the vault to unwrap.
        using var rsa = RSA.Create(new RSAParameters { Modulus = key.Key.Modulus, Exponent = key.Key.Exponent });
        var wrapped = rsa.Encrypt(Digest(32), RSAEncryptionPadding.OaepSHA1);
        Assert.Equal(Digest(32), (await f.Vault.UnwrapKeyAsync("alpha", "rsa", key.Version, "RSA-OAEP", wrapped)).Value);
        Assert.Equal(KeyVaultErrorCode.DecryptionFailed, (await Assert.ThrowsAsync<KeyVaultException>(() => f.Vault.UnwrapKeyAsync("alpha", "rsa", null, "RSA-OAEP-256", wrapped))).Code);
    }

    [Theory]
    [InlineData(128, "A128KW")]
    [InlineData(256, "A256KW")]
    public async Task Oct_wrap_and_gcm(int size, string wrapAlgorithm)
    {
        await using var f = await VaultFixture.CreateAsync("alpha");
        await f.Vault.CreateKeyAsync("alpha", "sym", new CreateKeyRequest("oct", size));
        var wrapped = await f.Vault.WrapKeyAsync("alpha", "sym", null, wrapAlgorithm, Digest(32));
        Assert.Equal(40, wrapped.Value.Length);
        Assert.Equal(Digest(32), (await f.Vault.UnwrapKeyAsync("alpha", "sym", null, wrapAlgorithm, wrapped.Value)).Value);
        var gcm = $"A{size}GCM";
        var sealedData = await f.Vault.EncryptAsync("alpha", "sym", null, gcm, [9, 8, 7], [1]);
        Assert.Equal([9, 8, 7], (await f.Vault.DecryptAsync("alpha", "sym", null, gcm, sealedData.Value, sealedData.Iv, sealedData.AuthenticationTag, [1])).Value);
        await Assert.ThrowsAsync<KeyVaultException>(() => f.Vault.DecryptAsync("alpha", "sym", null, gcm, sealedData.Value, sealedData.Iv, sealedData.AuthenticationTag, [2]));
        await Assert.ThrowsAsync<KeyVaultException>(() => f.Vault.SignAsync("alpha", "sym", null, "RS256", Digest(32)));
    }

    [Fact]
    public async Task Rotation_adds_a_version_and_old_versions_still_decrypt()
    {
        await using var f = await VaultFixture.CreateAsync("alpha");
        var v1 = await f.Vault.CreateKeyAsync("alpha", "k", new CreateKeyRequest("RSA", 2048, KeyOperations: ["encrypt", "decrypt"]));
        var encrypted = await f.Vault.EncryptAsync("alpha", "k", null, "RSA-OAEP-256", [5]);
        var v2 = await f.Vault.RotateKeyAsync("alpha", "k");
        Assert.NotEqual(v1.Version, v2.Version);
        Assert.Equal(["encrypt", "decrypt"], v2.Key.KeyOperations);
        Assert.Equal(v2.Version, (await f.Vault.GetKeyAsync("alpha", "k")).Version);
        Assert.Equal([5], (await f.Vault.DecryptAsync("alpha", "k", v1.Version, "RSA-OAEP-256", encrypted.Value)).Value);
        Assert.Equal(KeyVaultErrorCode.OperationNotPermitted, (await Assert.ThrowsAsync<KeyVaultException>(() => f.Vault.SignAsync("alpha", "k", null, "RS256", Digest(32)))).Code);
    }

    [Fact]
    public async Task Disabled_expired_and_not_yet_valid_keys_are_refused()
    {
        await using var f = await VaultFixture.CreateAsync("alpha");
        var now = f.Time.GetUtcNow();
        await f.Vault.CreateKeyAsync("alpha", "k", new CreateKeyRequest("oct", 256, Attributes: new ItemChanges(NotBefore: now.AddHours(1), Expires: now.AddHours(2))));
        Assert.Equal(KeyVaultErrorCode.KeyNotYetValid, (await Assert.ThrowsAsync<KeyVaultException>(() => f.Vault.WrapKeyAsync("alpha", "k", null, "A256KW", Digest(32)))).Code);
        f.Time.Advance(TimeSpan.FromMinutes(90));
        var wrapped = await f.Vault.WrapKeyAsync("alpha", "k", null, "A256KW", Digest(32));
        f.Time.Advance(TimeSpan.FromHours(1));
        Assert.Equal(KeyVaultErrorCode.KeyExpired, (await Assert.ThrowsAsync<KeyVaultException>(() => f.Vault.WrapKeyAsync("alpha", "k", null, "A256KW", Digest(32)))).Code);

        // As in Azure, unwrap keeps working after expiry so data stays readable...
        Assert.Equal(Digest(32), (await f.Vault.UnwrapKeyAsync("alpha", "k", null, "A256KW", wrapped.Value)).Value);

        // ...but not once the key is disabled.
        await f.Vault.UpdateKeyAsync("alpha", "k", null, new ItemChanges(Enabled: false));
        Assert.Equal(KeyVaultErrorCode.KeyDisabled, (await Assert.ThrowsAsync<KeyVaultException>(() => f.Vault.UnwrapKeyAsync("alpha", "k", null, "A256KW", wrapped.Value))).Code);
    }

    [Fact]
    public async Task Invalid_key_parameters_are_refused()
    {
        await using var f = await VaultFixture.CreateAsync("alpha");
        await Assert.ThrowsAsync<KeyVaultException>(() => f.Vault.CreateKeyAsync("alpha", "k", new CreateKeyRequest("RSA", 1024)));
        await Assert.ThrowsAsync<KeyVaultException>(() => f.Vault.CreateKeyAsync("alpha", "k", new CreateKeyRequest("EC", Curve: "P-256K")));
        await Assert.ThrowsAsync<KeyVaultException>(() => f.Vault.CreateKeyAsync("alpha", "k", new CreateKeyRequest("oct", 512)));
        await Assert.ThrowsAsync<KeyVaultException>(() => f.Vault.CreateKeyAsync("alpha", "k", new CreateKeyRequest("DSA")));
        await Assert.ThrowsAsync<KeyVaultException>(() => f.Vault.CreateKeyAsync("alpha", "k", new CreateKeyRequest("EC", KeyOperations: ["encrypt"])));
    }

    [Fact]
    public async Task Key_soft_delete_and_recover()
    {
        await using var f = await VaultFixture.CreateAsync("alpha");
        await f.Vault.CreateKeyAsync("alpha", "k", new CreateKeyRequest("EC"));
        var deleted = await f.Vault.DeleteKeyAsync("alpha", "k");
        Assert.NotNull(deleted.Deletion);
        Assert.Equal(KeyVaultErrorCode.KeyNotFound, (await Assert.ThrowsAsync<KeyVaultException>(() => f.Vault.SignAsync("alpha", "k", null, "ES256", Digest(32)))).Code);
        Assert.Equal("k", (await f.Vault.GetDeletedKeyAsync("alpha", "k")).Name);
        await f.Vault.RecoverDeletedKeyAsync("alpha", "k");
        await f.Vault.SignAsync("alpha", "k", null, "ES256", Digest(32));
    }
}

public sealed class CustomerManagedKeyTests
{
    [Theory]
    [InlineData("RSA", 2048)]
    [InlineData("oct", 256)]
    [InlineData("oct", 128)]
    public async Task Wrap_and_unwrap_follow_the_key_state_on_every_call(string keyType, int size)
    {
        await using var f = await VaultFixture.CreateAsync("alpha");
        await f.Vault.CreateKeyAsync("alpha", "cmk", new CreateKeyRequest(keyType, size));
        var dataKey = Enumerable.Range(0, 32).Select(i => (byte)(i * 3)).ToArray();
        var wrapped = await f.CustomerKeys.WrapAsync("alpha", "cmk", dataKey);
        Assert.Equal(dataKey, await f.CustomerKeys.UnwrapAsync("alpha", "cmk", wrapped.KeyVersion, wrapped.Wrapped));

        await f.Vault.UpdateKeyAsync("alpha", "cmk", null, new ItemChanges(Enabled: false));
        var disabled = await Assert.ThrowsAsync<StorageException>(() => f.CustomerKeys.UnwrapAsync("alpha", "cmk", wrapped.KeyVersion, wrapped.Wrapped));
        Assert.Equal(ErrorCode.CustomerManagedKeyUnavailable, disabled.Code);
        await Assert.ThrowsAsync<StorageException>(() => f.CustomerKeys.WrapAsync("alpha", "cmk", dataKey));

        await f.Vault.UpdateKeyAsync("alpha", "cmk", null, new ItemChanges(Enabled: true));
        Assert.Equal(dataKey, await f.CustomerKeys.UnwrapAsync("alpha", "cmk", wrapped.KeyVersion, wrapped.Wrapped));

        // Rotation: the old version still unwraps what it wrapped; new wraps use the new version.
        await f.Vault.RotateKeyAsync("alpha", "cmk");
        var rewrapped = await f.CustomerKeys.WrapAsync("alpha", "cmk", dataKey);
        Assert.NotEqual(wrapped.KeyVersion, rewrapped.KeyVersion);
        Assert.Equal(dataKey, await f.CustomerKeys.UnwrapAsync("alpha", "cmk", wrapped.KeyVersion, wrapped.Wrapped));

        await f.Vault.DeleteKeyAsync("alpha", "cmk");
        Assert.Equal(ErrorCode.CustomerManagedKeyUnavailable, (await Assert.ThrowsAsync<StorageException>(() => f.CustomerKeys.UnwrapAsync("alpha", "cmk", wrapped.KeyVersion, wrapped.Wrapped))).Code);
        Assert.Equal(ErrorCode.CustomerManagedKeyUnavailable, (await Assert.ThrowsAsync<StorageException>(() => f.CustomerKeys.WrapAsync("beta", "cmk", dataKey))).Code);
    }

    [Fact]
    public async Task Expired_keys_and_tampered_bytes_do_not_unwrap()
    {
        await using var f = await VaultFixture.CreateAsync("alpha");
        await f.Vault.CreateKeyAsync("alpha", "cmk", new CreateKeyRequest("oct", 256, Attributes: new ItemChanges(Expires: f.Time.GetUtcNow().AddDays(1))));
        var wrapped = await f.CustomerKeys.WrapAsync("alpha", "cmk", new byte[32]);
        var tampered = wrapped.Wrapped.ToArray();
        tampered[^1] ^= 1;
        Assert.Equal(ErrorCode.IntegrityCheckFailed, (await Assert.ThrowsAsync<StorageException>(() => f.CustomerKeys.UnwrapAsync("alpha", "cmk", wrapped.KeyVersion, tampered))).Code);
        f.Time.Advance(TimeSpan.FromDays(1));
        Assert.Equal(ErrorCode.CustomerManagedKeyUnavailable, (await Assert.ThrowsAsync<StorageException>(() => f.CustomerKeys.UnwrapAsync("alpha", "cmk", wrapped.KeyVersion, wrapped.Wrapped))).Code);
    }

    [Fact]
    public async Task Ec_keys_cannot_back_a_scope()
    {
        await using var f = await VaultFixture.CreateAsync("alpha");
        await f.Vault.CreateKeyAsync("alpha", "ec", new CreateKeyRequest("EC"));
        Assert.Equal(ErrorCode.CustomerManagedKeyUnavailable, (await Assert.ThrowsAsync<StorageException>(() => f.CustomerKeys.WrapAsync("alpha", "ec", new byte[32]))).Code);
    }
}

public sealed class BearerTokenTests
{
    [Fact]
    public async Task Tokens_verify_until_they_expire_and_name_their_account()
    {
        await using var f = await VaultFixture.CreateAsync("alpha");
        var token = await f.Tokens.IssueAsync("alpha", TimeSpan.FromMinutes(10));
        Assert.Equal(600, token.LifetimeSeconds);
        Assert.Equal("alpha", await f.Tokens.ValidateAsync(token.AccessToken, BearerTokens.KeyVaultAudience));
        await Assert.ThrowsAsync<KeyVaultException>(() => f.Tokens.ValidateAsync(token.AccessToken, "another-audience"));
        f.Time.Advance(TimeSpan.FromMinutes(10));
        var expired = await Assert.ThrowsAsync<KeyVaultException>(() => f.Tokens.ValidateAsync(token.AccessToken, BearerTokens.KeyVaultAudience));
        Assert.Equal(KeyVaultErrorCode.InvalidToken, expired.Code);
        Assert.DoesNotContain(token.AccessToken, expired.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Tampered_or_malformed_tokens_are_refused()
    {
        await using var f = await VaultFixture.CreateAsync("alpha", "beta");
        var token = (await f.Tokens.IssueAsync("alpha")).AccessToken;
        var parts = token.Split('.');
        var payload = Encoding.UTF8.GetString(Base64Url.Decode(parts[1])).Replace("\"alpha\"", "\"beta\"", StringComparison.Ordinal);
        var forged = $"{parts[0]}.{Base64Url.Encode(Encoding.UTF8.GetBytes(payload))}.{parts[2]}";
        foreach (var bad in new[] { forged, "", "a.b", "a.b.c", token + "x", token[..^2] })
        {
            await Assert.ThrowsAsync<KeyVaultException>(() => f.Tokens.ValidateAsync(bad, BearerTokens.KeyVaultAudience));
        }

        var noneAlgorithm = $"{Base64Url.Encode("""{"alg":"none","typ":"JWT","kid":"1"}"""u8)}.{parts[1]}.";
        await Assert.ThrowsAsync<KeyVaultException>(() => f.Tokens.ValidateAsync(noneAlgorithm, BearerTokens.KeyVaultAudience));
    }

    [Fact]
    public async Task Client_credentials_take_either_shared_key()
    {
        await using var f = await VaultFixture.CreateAsync("alpha");
        var record = (await f.Store.GetAccountAsync("alpha"))!;
        var key2 = Convert.ToBase64String(f.Keys.UnwrapSharedKey("alpha", 2, record.WrappedSharedKey2));
        var issued = await f.Tokens.IssueForClientAsync("alpha", key2);
        Assert.Equal("alpha", await f.Tokens.ValidateAsync(issued.AccessToken, BearerTokens.KeyVaultAudience));
        Assert.Equal(KeyVaultErrorCode.InvalidClient, (await Assert.ThrowsAsync<KeyVaultException>(() => f.Tokens.IssueForClientAsync("alpha", Convert.ToBase64String(new byte[64])))).Code);
        Assert.Equal(KeyVaultErrorCode.InvalidClient, (await Assert.ThrowsAsync<KeyVaultException>(() => f.Tokens.IssueForClientAsync("nobody", key2))).Code);
        Assert.Equal(KeyVaultErrorCode.InvalidClient, (await Assert.ThrowsAsync<KeyVaultException>(() => f.Tokens.IssueForClientAsync("alpha", "not base64!"))).Code);
        await Assert.ThrowsAsync<KeyVaultException>(() => f.Tokens.IssueAsync("alpha", TimeSpan.FromHours(25)));
    }
}

public sealed class AesKeyWrapTests
{
    [Fact]
    public void Rfc3394_vector_256_bit_kek()
    {
        // RFC 3394 §4.6: 256 bits of key data with a 256-bit KEK.
        var kek = Convert.FromHexString("000102030405060708090A0B0C0D0E0F101112131415161718191A1B1C1D1E1F");
        var data = Convert.FromHexString("00112233445566778899AABBCCDDEEFF000102030405060708090A0B0C0D0E0F");
        var expected = Convert.FromHexString("28C9F404C4B810F4CBCCB35CFB87F8263F5786E2D80ED326CBC7F0E71A99F43BFB988B9B7A02DD21");
        Assert.Equal(expected, AesKeyWrap.Wrap(kek, data));
        Assert.Equal(data, AesKeyWrap.Unwrap(kek, expected));
        expected[3] ^= 1;
        Assert.Throws<StorageException>(() => AesKeyWrap.Unwrap(kek, expected));
    }

    [Fact]
    public void Rfc3394_vector_128_bit_kek()
    {
        var kek = Convert.FromHexString("000102030405060708090A0B0C0D0E0F");
        var data = Convert.FromHexString("00112233445566778899AABBCCDDEEFF");
        Assert.Equal(Convert.FromHexString("1FA68B0A8112B447AEF34BD8FB5A7B829D3E862371D2CFE5"), AesKeyWrap.Wrap(kek, data));
    }
}

public sealed class KeyDescriptionGoldenTests
{
    [Fact]
    public void Stored_key_description_format_is_frozen()
    {
        var json = KeyDescriptions.Serialize(new KeyDescription("EC", ["sign", "verify"], null, "P-256", null, null, [1, 2], [3]));
        Assert.Equal("""{"v":1,"kty":"EC","key_ops":["sign","verify"],"crv":"P-256","x":"AQI","y":"Aw"}""", json);
        Assert.Equal("P-256", KeyDescriptions.Parse(json).Curve);
    }
}

public sealed class VaultStoreTests
{
    [Fact]
    public async Task Deleting_an_account_destroys_its_vault()
    {
        await using var f = await VaultFixture.CreateAsync("alpha", "beta");
        await f.Vault.SetSecretAsync("alpha", "s", "v");
        await f.Vault.CreateKeyAsync("alpha", "k", new CreateKeyRequest("oct"));
        await f.Vault.SetSettingsAsync("alpha", 30, true);
        await f.Vault.SetSecretAsync("beta", "s", "kept");

        await f.Store.DeleteAccountAsync("alpha");

        Assert.Null(await f.Store.GetVaultItemAsync("alpha", VaultItemKind.Secret, "s", null));
        Assert.Null(await f.Store.GetVaultItemAsync("alpha", VaultItemKind.Key, "k", null));
        Assert.Equal(VaultSettings.Default, await f.Store.GetVaultSettingsAsync("alpha"));
        Assert.Equal("kept", (await f.Vault.GetSecretAsync("beta", "s")).Value);
        Assert.Equal(ErrorCode.AccountNotFound, (await Assert.ThrowsAsync<StorageException>(() => f.Vault.SetSecretAsync("alpha", "s", "v"))).Code);
    }

    [Fact]
    public async Task Updating_a_purged_version_is_not_found()
    {
        await using var f = await VaultFixture.CreateAsync("alpha");
        var set = await f.Vault.SetSecretAsync("alpha", "s", "v");
        Assert.Equal(KeyVaultErrorCode.SecretNotFound, (await Assert.ThrowsAsync<KeyVaultException>(() => f.Vault.UpdateSecretAsync("alpha", "s", "0123", new ItemChanges(Enabled: false)))).Code);
        Assert.Null(await f.Store.UpdateVaultItemVersionAsync("alpha", VaultItemKind.Secret, "gone", set.Properties.Version, (_, row) => row));
    }
}

public sealed class SealedKeyringTests
{
    [Fact]
    public void A_closed_keyring_derives_no_token_key()
    {
        var directory = Directory.CreateTempSubdirectory("strongroom-keyvault-").FullName;
        try
        {
            using var root = new Strongroom.Vault.RootKey(new byte[32].Select((_, i) => (byte)(i + 1)).ToArray());
            var keyring = Strongroom.Vault.Keyring.OpenOrCreate(Path.Combine(directory, "keyring"), root, new SeededRandomSource(3));
            var keys = new Strongroom.Vault.TenantKeys(keyring, new SeededRandomSource(4));
            var before = keys.BearerTokenSigningKey(keys.PlatformKeyVersion);
            Assert.Equal(32, before.Length);
            keyring.Dispose();
            Assert.Equal(ErrorCode.VaultSealed, Assert.Throws<StorageException>(() => keys.BearerTokenSigningKey(1)).Code);
        }
        finally
        {
            Directory.Delete(directory, recursive: true);
        }
    }
}
