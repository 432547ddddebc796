using System.Net;
using Azure.Storage.Blobs;
using Strongroom.Conformance.Tests.Infrastructure;
using Xunit;

namespace Strongroom.Conformance.Tests;

/// <summary>
/// A customer-managed key end to end, on a real production server over HTTPS: the tenant creates
/// an RSA key in its vault (Key Vault REST, bearer token from <c>strongroom account token</c>), the
/// operator creates a scope protected by it (<c>scope create --key-source customer</c>), and the
/// tenant's key state decides whether the scope's blobs can be read (Azure.Storage.Blobs SDK).
/// </summary>
public sealed class CustomerManagedKeyTests(KeyVaultServerFixture fixture) : IClassFixture<KeyVaultServerFixture>
{
    const string Account = KeyVaultServerFixture.AccountA;
    const string VaultKey = "scope-kek";
    const string Scope = "tenant-managed";
    static readonly BinaryData Content = BinaryData.FromString("readable only while the tenant's key is enabled");

    [Fact]
    public async Task Disabling_the_vault_key_makes_the_scopes_blobs_unreadable_until_it_is_enabled_again()
    {
        var token = await fixture.Server.IssueTokenAsync(Account);
        var created = await fixture.CallAsync(token, HttpMethod.Post, $"keys/{VaultKey}/create", new { kty = "RSA", key_size = 2048 });
        Assert.Equal("RSA", created.GetProperty("key").GetProperty("kty").GetString());
        var scope = await fixture.RunCliAsync("scope", "create", Account, Scope, "--key-source", "customer", "--key-name", VaultKey);
        Assert.True(scope.ExitCode == 0, scope.ToString());

        var service = fixture.Server.ServiceClient(Account, fixture.KeyA);
        var container = service.GetBlobContainerClient(TestNames.Container("cmk"));
        await container.CreateAsync();
        var uploaded = await container.GetBlobClient("kept").WithEncryptionScope(Scope).UploadAsync(Content);
        Assert.Equal(Scope, uploaded.Value.EncryptionScope);
        await AssertReadableAsync(container);

        await SetEnabledAsync(token, enabled: false);
        try
        {
            // Azure's answer when the key vault key that protects the scope cannot unwrap.
            await AzureAssert.FailsAsync(403, "KeyVaultEncryptionKeyNotFound", () => container.GetBlobClient("kept").DownloadContentAsync());
            await AzureAssert.FailsAsync(403, "KeyVaultEncryptionKeyNotFound", () =>
                container.GetBlobClient("new").WithEncryptionScope(Scope).UploadAsync(Content));

            // The blob is still there; only its key is out of reach.
            Assert.Contains("kept", await container.GetBlobsAsync().Select(item => item.Name).ToListAsync());
        }
        finally
        {
            await SetEnabledAsync(token, enabled: true);
        }

        await AssertReadableAsync(container);
        await container.GetBlobClient("new").WithEncryptionScope(Scope).UploadAsync(Content);
        Assert.Equal(Content.ToString(), (await container.GetBlobClient("new").DownloadContentAsync()).Value.Content.ToString());
    }

    [Fact]
    public async Task A_scope_on_a_missing_or_disabled_vault_key_is_refused()
    {
        var missing = await fixture.RunCliAsync("scope", "create", Account, "no-such-key", "--key-source", "customer", "--key-name", "never-created");
        Assert.Equal(1, missing.ExitCode);
        Assert.Contains("is not available", missing.StandardError, StringComparison.Ordinal);

        var token = await fixture.Server.IssueTokenAsync(Account);
        await fixture.CallAsync(token, HttpMethod.Post, "keys/disabled-kek/create", new { kty = "RSA", key_size = 2048, attributes = new { enabled = false } });
        var disabled = await fixture.RunCliAsync("scope", "create", Account, "on-disabled", "--key-source", "customer", "--key-name", "disabled-kek");
        Assert.Equal(1, disabled.ExitCode);
        Assert.Contains("is not available", disabled.StandardError, StringComparison.Ordinal);
    }

    Task SetEnabledAsync(string token, bool enabled) =>
        fixture.CallAsync(token, HttpMethod.Patch, $"keys/{VaultKey}", new { attributes = new { enabled } });

    static async Task AssertReadableAsync(BlobContainerClient container)
    {
        var downloaded = await container.GetBlobClient("kept").DownloadContentAsync();
        Assert.Equal(Content.ToString(), downloaded.Value.Content.ToString());
        Assert.Equal(Scope, downloaded.Value.Details.EncryptionScope);
    }
}
