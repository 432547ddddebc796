using System.Net;
using System.Security.Cryptography;
using System.Text.Json;
using Azure;
using Azure.Security.KeyVault.Secrets;
using Strongroom.Conformance.Tests.Infrastructure;
using Xunit;

namespace Strongroom.Conformance.Tests;

/// <summary>The Key Vault API end to end: the Azure.Security.KeyVault.Secrets SDK, and raw REST for keys, over HTTPS.</summary>
public sealed class KeyVaultTests(KeyVaultServerFixture fixture) : IClassFixture<KeyVaultServerFixture>
{
    const string Api = KeyVaultServerFixture.ApiVersion;

    SecretClient A => fixture.Secrets(KeyVaultServerFixture.AccountA, fixture.KeyA);

    [Fact]
    public async Task Secrets_sdk_set_get_versions_list_update()
    {
        var client = A;
        var first = (await client.SetSecretAsync(new KeyVaultSecret("conn-string", "one") { Properties = { ContentType = "text/plain", Tags = { ["env"] = "test" } } })).Value;
        var second = (await client.SetSecretAsync("conn-string", "two")).Value;

        Assert.Equal("two", (await client.GetSecretAsync("conn-string")).Value.Value);
        var old = (await client.GetSecretAsync("conn-string", first.Properties.Version)).Value;
        Assert.Equal("one", old.Value);
        Assert.Equal("text/plain", old.Properties.ContentType);
        Assert.Equal("test", old.Properties.Tags["env"]);
        Assert.Equal(fixture.VaultUri, old.Properties.VaultUri);
        Assert.Equal("Recoverable+Purgeable", old.Properties.RecoveryLevel);

        var versions = new List<string>();
        await foreach (var version in client.GetPropertiesOfSecretVersionsAsync("conn-string"))
        {
            versions.Add(version.Version);
        }

        Assert.Equal(new[] { first.Properties.Version, second.Properties.Version }.Order(), versions.Order());

        var names = new List<string>();
        await foreach (var secret in client.GetPropertiesOfSecretsAsync())
        {
            names.Add(secret.Name);
        }

        Assert.Contains("conn-string", names);

        old.Properties.Enabled = false;
        var updated = (await client.UpdateSecretPropertiesAsync(old.Properties)).Value;
        Assert.False(updated.Enabled);
        var disabled = await Assert.ThrowsAsync<RequestFailedException>(() => client.GetSecretAsync("conn-string", first.Properties.Version));
        Assert.Equal(403, disabled.Status);
        Assert.Equal("Forbidden", disabled.ErrorCode);

        var missing = await Assert.ThrowsAsync<RequestFailedException>(() => client.GetSecretAsync("no-such-secret"));
        Assert.Equal(404, missing.Status);
        Assert.Equal("SecretNotFound", missing.ErrorCode);
    }

    [Fact]
    public async Task Secrets_sdk_paging_follows_next_link()
    {
        var client = A;
        for (var i = 0; i < 30; i++)
        {
            await client.SetSecretAsync($"paged-{i:D2}", "v");
        }

        var names = new List<string>();
        await foreach (var secret in client.GetPropertiesOfSecretsAsync())
        {
            names.Add(secret.Name);
        }

        Assert.Equal(30, names.Count(name => name.StartsWith("paged-", StringComparison.Ordinal)));
    }

    [Fact]
    public async Task Secrets_sdk_delete_recover_purge()
    {
        var client = A;
        await client.SetSecretAsync("to-delete", "v");
        var delete = await client.StartDeleteSecretAsync("to-delete");
        var deleted = (await delete.WaitForCompletionAsync()).Value;
        Assert.NotNull(deleted.ScheduledPurgeDate);
        Assert.NotNull(deleted.DeletedOn);
        Assert.Equal(new Uri(fixture.VaultUri, "deletedsecrets/to-delete"), deleted.RecoveryId);

        var conflict = await Assert.ThrowsAsync<RequestFailedException>(() => client.SetSecretAsync("to-delete", "again"));
        Assert.Equal(409, conflict.Status);
        Assert.Equal("Conflict", conflict.ErrorCode);

        var listed = new List<string>();
        await foreach (var item in client.GetDeletedSecretsAsync())
        {
            listed.Add(item.Name);
        }

        Assert.Contains("to-delete", listed);

        var recover = await client.StartRecoverDeletedSecretAsync("to-delete");
        await recover.WaitForCompletionAsync();
        Assert.Equal("v", (await client.GetSecretAsync("to-delete")).Value.Value);

        await (await client.StartDeleteSecretAsync("to-delete")).WaitForCompletionAsync();
        await client.PurgeDeletedSecretAsync("to-delete");
        var gone = await Assert.ThrowsAsync<RequestFailedException>(() => client.GetDeletedSecretAsync("to-delete"));
        Assert.Equal(404, gone.Status);
        await client.SetSecretAsync("to-delete", "fresh");
    }

    [Fact]
    public async Task Purge_protection_refuses_purge_with_azures_error()
    {
        var settings = await fixture.RunCliAsync("account", "vault", KeyVaultServerFixture.AccountB, "--retention-days", "7", "--purge-protection");
        Assert.True(settings.ExitCode == 0, settings.ToString());
        var client = fixture.Secrets(KeyVaultServerFixture.AccountB, fixture.KeyB);
        await client.SetSecretAsync("protected", "v");
        var deleted = (await (await client.StartDeleteSecretAsync("protected")).WaitForCompletionAsync()).Value;
        Assert.Equal("CustomizedRecoverable", deleted.Properties.RecoveryLevel);
        Assert.Equal(7, deleted.Properties.RecoverableDays);
        var refused = await Assert.ThrowsAsync<RequestFailedException>(() => client.PurgeDeletedSecretAsync("protected"));
        Assert.Equal(403, refused.Status);
        Assert.Equal("Forbidden", refused.ErrorCode);
        Assert.Contains("purge protection is enabled", refused.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Accounts_are_segregated()
    {
        var a = A;
        var b = fixture.Secrets(KeyVaultServerFixture.AccountB, fixture.KeyB);
        await a.SetSecretAsync("same-name", "from-a");
        var notThere = await Assert.ThrowsAsync<RequestFailedException>(() => b.GetSecretAsync("same-name"));
        Assert.Equal(404, notThere.Status);
        await b.SetSecretAsync("same-name", "from-b");
        Assert.Equal("from-a", (await a.GetSecretAsync("same-name")).Value.Value);
        Assert.Equal("from-b", (await b.GetSecretAsync("same-name")).Value.Value);

        var tokenB = await fixture.TokenAsync(KeyVaultServerFixture.AccountB, fixture.KeyB);
        using var keyOfA = await fixture.SendAsync(HttpMethod.Post, $"keys/only-a/create?{Api}", await fixture.TokenAsync(KeyVaultServerFixture.AccountA, fixture.KeyA), new { kty = "RSA" });
        Assert.Equal(HttpStatusCode.OK, keyOfA.StatusCode);
        using var fromB = await fixture.SendAsync(HttpMethod.Get, $"keys/only-a?{Api}", tokenB);
        Assert.Equal(HttpStatusCode.NotFound, fromB.StatusCode);
    }

    [Fact]
    public async Task Challenge_missing_foreign_and_tampered_tokens_are_401()
    {
        using var none = await fixture.SendAsync(HttpMethod.Get, $"secrets?{Api}", token: null);
        Assert.Equal(HttpStatusCode.Unauthorized, none.StatusCode);
        var challenge = none.Headers.WwwAuthenticate.Single();
        Assert.Equal("Bearer", challenge.Scheme);
        Assert.Contains($"authorization=\"https://127.0.0.1:{fixture.Port}/.strongroom/oauth2/token\"", challenge.Parameter, StringComparison.Ordinal);
        Assert.Contains("resource=\"https://127.0.0.1\"", challenge.Parameter, StringComparison.Ordinal);
        using (var body = JsonDocument.Parse(await none.Content.ReadAsStringAsync()))
        {
            Assert.Equal("Unauthorized", body.RootElement.GetProperty("error").GetProperty("code").GetString());
        }

        var token = await fixture.TokenAsync(KeyVaultServerFixture.AccountA, fixture.KeyA);
        using var tampered = await fixture.SendAsync(HttpMethod.Get, $"secrets?{Api}", token[..^2] + (token[^2] == 'A' ? "BA" : "AA"));
        Assert.Equal(HttpStatusCode.Unauthorized, tampered.StatusCode);
        Assert.DoesNotContain(token[..20], await tampered.Content.ReadAsStringAsync(), StringComparison.Ordinal);

        // A token that another deployment (its own server) issued for an account of the same name.
        await using (var other = await StrongroomProcess.StartNewAsync("keyvault-foreign"))
        {
            await other.CreateAccountAsync(KeyVaultServerFixture.AccountA);
            var foreign = await other.IssueTokenAsync(KeyVaultServerFixture.AccountA);
            using var refused = await fixture.SendAsync(HttpMethod.Get, $"secrets?{Api}", foreign);
            Assert.Equal(HttpStatusCode.Unauthorized, refused.StatusCode);
        }

        // The SDK with a bad token: the challenge is answered, the retry is refused.
        var sdk = fixture.Secrets(KeyVaultServerFixture.AccountA, fixture.KeyA, () => "not-a-token");
        var failure = await Assert.ThrowsAsync<RequestFailedException>(() => sdk.GetSecretAsync("anything"));
        Assert.Equal(401, failure.Status);

        // Wrong client secret at the token endpoint.
        using var http = fixture.Http();
        using var wrong = await http.PostAsync(".strongroom/oauth2/token", new FormUrlEncodedContent(new Dictionary<string, string>
        {
            ["grant_type"] = "client_credentials",
            ["client_id"] = KeyVaultServerFixture.AccountA,
            ["client_secret"] = fixture.KeyB,
        }));
        Assert.Equal(HttpStatusCode.Unauthorized, wrong.StatusCode);
    }

    [Fact]
    public async Task Challenge_flow_with_resource_verification_on_when_the_server_has_a_name()
    {
        var client = fixture.SecretsByName("myvault.strongroom.test", KeyVaultServerFixture.AccountA, fixture.KeyA);
        await client.SetSecretAsync("by-name", "verified");
        var secret = (await client.GetSecretAsync("by-name")).Value;
        Assert.Equal("verified", secret.Value);
        Assert.Equal(new Uri($"https://myvault.strongroom.test:{fixture.Port}/"), secret.Properties.VaultUri);

        // A one-label name has no parent domain: the SDK refuses the challenge unless told not to verify it.
        var byBareName = fixture.SecretsByName("localhost", KeyVaultServerFixture.AccountA, fixture.KeyA);
        var refused = await Assert.ThrowsAsync<InvalidOperationException>(() => byBareName.GetSecretAsync("by-name"));
        Assert.Contains("DisableChallengeResourceVerification", refused.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Cli_token_authenticates_and_reserved_names_are_refused()
    {
        var issued = await fixture.RunCliAsync("account", "token", KeyVaultServerFixture.AccountA, "--lifetime", "10m", "--json");
        Assert.True(issued.ExitCode == 0, issued.ToString());
        using var json = JsonDocument.Parse(issued.StandardOutput);
        TestLogs.RecordSecret("bearer token", json.RootElement.GetProperty("access_token").GetString()!);
        Assert.Equal(600, json.RootElement.GetProperty("expires_in").GetInt64());
        using var response = await fixture.SendAsync(HttpMethod.Get, $"secrets?{Api}", json.RootElement.GetProperty("access_token").GetString());
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);

        foreach (var reserved in new[] { "secrets", "keys", "deletedsecrets", "deletedkeys" })
        {
            var refused = await fixture.RunCliAsync("account", "create", reserved);
            Assert.Equal(2, refused.ExitCode);
            Assert.Contains("reserved", refused.StandardError, StringComparison.Ordinal);
        }

        Assert.DoesNotContain(json.RootElement.GetProperty("access_token").GetString()!, fixture.Output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Keys_over_rest_create_rotate_wrap_encrypt_sign_delete_recover_purge()
    {
        var token = await fixture.TokenAsync(KeyVaultServerFixture.AccountA, fixture.KeyA);

        Task<JsonElement> Call(HttpMethod method, string path, object? body = null, HttpStatusCode expected = HttpStatusCode.OK) =>
            fixture.CallAsync(token, method, path, body, expected);

        var rsa = await Call(HttpMethod.Post, "keys/rsa-key/create", new { kty = "RSA", key_size = 2048, attributes = new { enabled = true }, tags = new { purpose = "test" } });
        var kid = rsa.GetProperty("key").GetProperty("kid").GetString()!;
        Assert.StartsWith($"https://127.0.0.1:{fixture.Port}/keys/rsa-key/", kid, StringComparison.Ordinal);
        Assert.Equal("RSA", rsa.GetProperty("key").GetProperty("kty").GetString());
        Assert.False(rsa.GetProperty("key").TryGetProperty("d", out _));

        var dataKey = Convert.ToBase64String(RandomNumberGenerator.GetBytes(32)).TrimEnd('=').Replace('+', '-').Replace('/', '_');
        var wrapped = await Call(HttpMethod.Post, "keys/rsa-key/wrapkey", new { alg = "RSA-OAEP-256", value = dataKey });
        Assert.Equal(kid, wrapped.GetProperty("kid").GetString());
        var unwrapped = await Call(HttpMethod.Post, $"keys/rsa-key/{kid.Split('/')[^1]}/unwrapkey", new { alg = "RSA-OAEP-256", value = wrapped.GetProperty("value").GetString() });
        Assert.Equal(dataKey, unwrapped.GetProperty("value").GetString());

        var digest = Convert.ToBase64String(SHA256.HashData("message"u8)).TrimEnd('=').Replace('+', '-').Replace('/', '_');
        var signature = await Call(HttpMethod.Post, "keys/rsa-key/sign", new { alg = "PS256", value = digest });
        var verified = await Call(HttpMethod.Post, "keys/rsa-key/verify", new { alg = "PS256", digest, value = signature.GetProperty("value").GetString() });
        Assert.True(verified.GetProperty("value").GetBoolean());

        var rotated = await Call(HttpMethod.Post, "keys/rsa-key/rotate");
        Assert.NotEqual(kid, rotated.GetProperty("key").GetProperty("kid").GetString());
        var versions = await Call(HttpMethod.Get, "keys/rsa-key/versions");
        Assert.Equal(2, versions.GetProperty("value").GetArrayLength());

        var ec = await Call(HttpMethod.Post, "keys/ec-key/create", new { kty = "EC", crv = "P-384" });
        Assert.Equal("P-384", ec.GetProperty("key").GetProperty("crv").GetString());

        await Call(HttpMethod.Post, "keys/sym-key/create", new { kty = "oct-HSM", key_size = 256 });
        var sealedData = await Call(HttpMethod.Post, "keys/sym-key/encrypt", new { alg = "A256GCM", value = dataKey });
        var opened = await Call(HttpMethod.Post, "keys/sym-key/decrypt", new { alg = "A256GCM", value = sealedData.GetProperty("value").GetString(), iv = sealedData.GetProperty("iv").GetString(), tag = sealedData.GetProperty("tag").GetString() });
        Assert.Equal(dataKey, opened.GetProperty("value").GetString());
        var aesWrapped = await Call(HttpMethod.Post, "keys/sym-key/wrapkey", new { alg = "A256KW", value = dataKey });
        Assert.Equal(dataKey, (await Call(HttpMethod.Post, "keys/sym-key/unwrapkey", new { alg = "A256KW", value = aesWrapped.GetProperty("value").GetString() })).GetProperty("value").GetString());

        await Call(HttpMethod.Patch, "keys/sym-key", new { attributes = new { enabled = false } });
        var disabled = await Call(HttpMethod.Post, "keys/sym-key/wrapkey", new { alg = "A256KW", value = dataKey }, HttpStatusCode.Forbidden);
        Assert.Equal("Forbidden", disabled.GetProperty("error").GetProperty("code").GetString());

        var listed = await Call(HttpMethod.Get, "keys");
        Assert.Contains(listed.GetProperty("value").EnumerateArray(), item => item.GetProperty("kid").GetString()!.EndsWith("/keys/ec-key", StringComparison.Ordinal));

        var deleted = await Call(HttpMethod.Delete, "keys/ec-key");
        Assert.True(deleted.GetProperty("scheduledPurgeDate").GetInt64() > deleted.GetProperty("deletedDate").GetInt64());
        Assert.EndsWith("/deletedkeys/ec-key", deleted.GetProperty("recoveryId").GetString(), StringComparison.Ordinal);
        var notFound = await Call(HttpMethod.Get, "keys/ec-key", expected: HttpStatusCode.NotFound);
        Assert.Equal("KeyNotFound", notFound.GetProperty("error").GetProperty("code").GetString());
        await Call(HttpMethod.Get, "deletedkeys/ec-key");
        await Call(HttpMethod.Post, "deletedkeys/ec-key/recover");
        await Call(HttpMethod.Get, "keys/ec-key");
        await Call(HttpMethod.Delete, "keys/ec-key");
        await Call(HttpMethod.Delete, "deletedkeys/ec-key", expected: HttpStatusCode.NoContent);
        await Call(HttpMethod.Get, "deletedkeys/ec-key", expected: HttpStatusCode.NotFound);

        var badType = await Call(HttpMethod.Post, "keys/bad/create", new { kty = "DSA" }, HttpStatusCode.BadRequest);
        Assert.Equal("BadParameter", badType.GetProperty("error").GetProperty("code").GetString());
        using var noVersion = await fixture.SendAsync(HttpMethod.Get, "keys", token);
        Assert.Equal(HttpStatusCode.BadRequest, noVersion.StatusCode);
    }

    [Fact]
    public async Task Malformed_requests_get_key_vault_errors()
    {
        var token = await fixture.TokenAsync(KeyVaultServerFixture.AccountA, fixture.KeyA);

        async Task<(HttpStatusCode Status, string Code)> Raw(HttpMethod method, string path, string body)
        {
            using var http = fixture.Http();
            using var request = new HttpRequestMessage(method, $"{path}?{Api}") { Content = new StringContent(body, System.Text.Encoding.UTF8, "application/json") };
            request.Headers.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", token);
            using var response = await http.SendAsync(request);
            var text = await response.Content.ReadAsStringAsync();
            using var json = JsonDocument.Parse(text);
            Assert.True(json.RootElement.TryGetProperty("error", out var error), $"{method} {path}: {(int)response.StatusCode} {text}");
            return (response.StatusCode, error.GetProperty("code").GetString()!);
        }

        Assert.Equal((HttpStatusCode.BadRequest, "BadParameter"), await Raw(HttpMethod.Put, "secrets/bad-json", "{not json"));
        Assert.Equal((HttpStatusCode.BadRequest, "BadParameter"), await Raw(HttpMethod.Put, "secrets/bad-json", "[]"));
        Assert.Equal((HttpStatusCode.BadRequest, "BadParameter"), await Raw(HttpMethod.Put, "secrets/bad-json", """{"value":"v","tags":{"n":1}}"""));
        Assert.Equal((HttpStatusCode.BadRequest, "BadParameter"), await Raw(HttpMethod.Put, "secrets/bad_name", """{"value":"v"}"""));
        Assert.Equal((HttpStatusCode.BadRequest, "BadParameter"), await Raw(HttpMethod.Post, "keys/k/create", """{"kty":"RSA","key_size":"big"}"""));
        Assert.Equal((HttpStatusCode.RequestEntityTooLarge, "RequestEntityTooLarge"), await Raw(HttpMethod.Put, "secrets/huge", $$"""{"value":"{{new string('x', 300 * 1024)}}"}"""));
        Assert.Equal((HttpStatusCode.MethodNotAllowed, "MethodNotAllowed"), await Raw(HttpMethod.Post, "secrets", "{}"));
        Assert.Equal((HttpStatusCode.NotImplemented, "NotImplemented"), await Raw(HttpMethod.Put, "keys/imported", """{"key":{}}"""));
    }

    [Fact]
    public async Task Secret_values_never_reach_the_disk_in_the_clear()
    {
        var marker = "at-rest-marker-" + Convert.ToHexString(RandomNumberGenerator.GetBytes(16));
        TestLogs.RecordSecret("secret value", marker);
        await A.SetSecretAsync("at-rest", marker);
        Assert.Equal(marker, (await A.GetSecretAsync("at-rest")).Value.Value);

        var needle = System.Text.Encoding.UTF8.GetBytes(marker);
        foreach (var file in fixture.Server.FilesAtRest())
        {
            byte[] bytes;
            using (var stream = new FileStream(file, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete))
            using (var copy = new MemoryStream())
            {
                await stream.CopyToAsync(copy);
                bytes = copy.ToArray();
            }

            Assert.True(bytes.AsSpan().IndexOf(needle) < 0, $"{file} holds a secret value in the clear");
        }

        Assert.DoesNotContain(marker, fixture.Output, StringComparison.Ordinal);
    }
}
