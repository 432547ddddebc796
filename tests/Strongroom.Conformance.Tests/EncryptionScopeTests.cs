using Azure;
using Azure.Storage;
using Azure.Storage.Blobs;
using Azure.Storage.Blobs.Models;
using Azure.Storage.Blobs.Specialized;
using Strongroom.Conformance.Tests.Infrastructure;
using Xunit;

namespace Strongroom.Conformance.Tests;

/// <summary>A development server whose account has two platform-managed scopes, created with the CLI.</summary>
public sealed class ScopedServerFixture : ServerFixture
{
    public const string ScopeA = "scope-a";
    public const string ScopeB = "scope-b";
    public const string ToggledScope = "toggled";

    public override async Task InitializeAsync()
    {
        var server = StrongroomProcess.CreateStopped(Label);
        Adopt(server);
        await server.StartAsync();
        await server.KillAsync();
        foreach (var scope in new[] { ScopeA, ScopeB, ToggledScope })
        {
            var result = await server.RunCliAsync("scope", "create", StrongroomProcess.DevAccountName, scope);
            Assert.True(result.ExitCode == 0, result.ToString());
        }

        await server.StartAsync();
    }
}

/// <summary>Encryption scopes through the Azure SDK against the real server.</summary>
public sealed class EncryptionScopeTests(ScopedServerFixture fixture) : IClassFixture<ScopedServerFixture>, IDisposable
{
    readonly RawClient _raw = new(fixture.Server);

    public void Dispose() => _raw.Dispose();

    BlobServiceClient Service => fixture.Service;

    async Task<BlobContainerClient> NewContainerAsync(string stem, BlobContainerEncryptionScopeOptions? scopeOptions = null)
    {
        var container = Service.GetBlobContainerClient(TestNames.Container(stem));
        await container.CreateAsync(PublicAccessType.None, metadata: null, encryptionScopeOptions: scopeOptions);
        return container;
    }

    [Fact]
    public async Task A_scoped_upload_reads_back_and_reports_its_scope_everywhere()
    {
        var container = await NewContainerAsync("scoped");
        var blob = container.GetBlobClient("doc.txt").WithEncryptionScope(ScopedServerFixture.ScopeA);
        var uploaded = await blob.UploadAsync(BinaryData.FromString("in scope a"));
        Assert.Equal(ScopedServerFixture.ScopeA, uploaded.Value.EncryptionScope);

        // Reads are transparent: a client without the scope reads it too.
        var plainClient = container.GetBlobClient("doc.txt");
        var downloaded = await plainClient.DownloadContentAsync();
        Assert.Equal("in scope a", downloaded.Value.Content.ToString());
        Assert.Equal(ScopedServerFixture.ScopeA, downloaded.Value.Details.EncryptionScope);

        var properties = await plainClient.GetPropertiesAsync();
        Assert.Equal(ScopedServerFixture.ScopeA, properties.Value.EncryptionScope);
        Assert.True(properties.Value.IsServerEncrypted);

        var listed = await container.GetBlobsAsync().SingleAsync();
        Assert.Equal(ScopedServerFixture.ScopeA, listed.Properties.EncryptionScope);
        Assert.Null(listed.Properties.CustomerProvidedKeySha256);
    }

    [Fact]
    public async Task Staged_blocks_under_a_scope_commit_into_one_blob()
    {
        var container = await NewContainerAsync("staged");
        var blob = container.GetBlobClient("big.bin").WithEncryptionScope(ScopedServerFixture.ScopeB);
        var content = Payloads.For("scoped-staged", 300 * 1024);
        await blob.UploadAsync(new BinaryData(content), new BlobUploadOptions
        {
            TransferOptions = new StorageTransferOptions { InitialTransferSize = 64 * 1024, MaximumTransferSize = 64 * 1024, MaximumConcurrency = 1 },
        });

        var properties = await container.GetBlobClient("big.bin").GetPropertiesAsync();
        Assert.Equal(ScopedServerFixture.ScopeB, properties.Value.EncryptionScope);
        var blockList = await container.GetBlockBlobClient("big.bin").GetBlockListAsync();
        Assert.True(blockList.Value.CommittedBlocks.Count() > 1);
        AzureAssert.BytesEqual(content, (await container.GetBlobClient("big.bin").DownloadContentAsync()).Value.Content.ToMemory(), "scoped staged blob");
    }

    [Fact]
    public async Task Metadata_can_be_set_with_the_blobs_scope_and_not_another()
    {
        var container = await NewContainerAsync("metadata");
        await container.GetBlobClient("m").WithEncryptionScope(ScopedServerFixture.ScopeA).UploadAsync(BinaryData.FromString("x"));
        var set = await container.GetBlobClient("m").WithEncryptionScope(ScopedServerFixture.ScopeA).SetMetadataAsync(new Dictionary<string, string> { ["k"] = "v" });
        Assert.Equal(ScopedServerFixture.ScopeA, set.GetRawResponse().Headers.TryGetValue("x-ms-encryption-scope", out var echoed) ? echoed : null);
        await AzureAssert.FailsAsync(409, "BlobCustomerSpecifiedEncryptionMismatch", () =>
            container.GetBlobClient("m").WithEncryptionScope(ScopedServerFixture.ScopeB).SetMetadataAsync(new Dictionary<string, string>()));
    }

    [Fact]
    public async Task Containers_report_the_account_key_and_no_deny_by_default()
    {
        var container = await NewContainerAsync("defaults");
        var properties = await container.GetPropertiesAsync();
        Assert.Equal("$account-encryption-key", properties.Value.DefaultEncryptionScope);
        Assert.False(properties.Value.PreventEncryptionScopeOverride);
        var uploaded = await container.GetBlobClient("plain").UploadAsync(BinaryData.FromString("account key"));
        Assert.Null(uploaded.Value.EncryptionScope);
        Assert.Null((await container.GetBlobClient("plain").GetPropertiesAsync()).Value.EncryptionScope);
    }

    [Fact]
    public async Task Container_default_scope_applies_and_deny_override_refuses_other_scopes()
    {
        var locked = await NewContainerAsync("locked", new BlobContainerEncryptionScopeOptions { DefaultEncryptionScope = ScopedServerFixture.ScopeA, PreventEncryptionScopeOverride = true });
        var properties = await locked.GetPropertiesAsync();
        Assert.Equal(ScopedServerFixture.ScopeA, properties.Value.DefaultEncryptionScope);
        Assert.True(properties.Value.PreventEncryptionScopeOverride);

        var listed = await Service.GetBlobContainersAsync(prefix: locked.Name).SingleAsync();
        Assert.Equal(ScopedServerFixture.ScopeA, listed.Properties.DefaultEncryptionScope);
        Assert.True(listed.Properties.PreventEncryptionScopeOverride);

        var defaulted = await locked.GetBlobClient("defaulted").UploadAsync(BinaryData.FromString("default"));
        Assert.Equal(ScopedServerFixture.ScopeA, defaulted.Value.EncryptionScope);
        await AzureAssert.FailsAsync(403, "RequestForbiddenByContainerEncryptionPolicy", () =>
            locked.GetBlobClient("override").WithEncryptionScope(ScopedServerFixture.ScopeB).UploadAsync(BinaryData.FromString("other")));
        await AzureAssert.FailsAsync(404, "BlobNotFound", () => locked.GetBlobClient("override").GetPropertiesAsync());

        var open = await NewContainerAsync("open", new BlobContainerEncryptionScopeOptions { DefaultEncryptionScope = ScopedServerFixture.ScopeA, PreventEncryptionScopeOverride = false });
        Assert.Equal(ScopedServerFixture.ScopeA, (await open.GetBlobClient("d").UploadAsync(BinaryData.FromString("d"))).Value.EncryptionScope);
        Assert.Equal(ScopedServerFixture.ScopeB, (await open.GetBlobClient("o").WithEncryptionScope(ScopedServerFixture.ScopeB).UploadAsync(BinaryData.FromString("o"))).Value.EncryptionScope);
    }

    [Fact]
    public async Task Unknown_scopes_are_refused()
    {
        var container = await NewContainerAsync("unknown");
        await AzureAssert.FailsAsync(400, "InvalidHeaderValue", () =>
            container.GetBlobClient("x").WithEncryptionScope("never-created").UploadAsync(BinaryData.FromString("x")));
        await AzureAssert.FailsAsync(400, "InvalidHeaderValue", () =>
            Service.GetBlobContainerClient(TestNames.Container("badscope")).CreateAsync(PublicAccessType.None, null, new BlobContainerEncryptionScopeOptions { DefaultEncryptionScope = "never-created", PreventEncryptionScopeOverride = false }));
    }

    [Theory]
    [InlineData("x-ms-default-encryption-scope", "scope-a")]
    [InlineData("x-ms-deny-encryption-scope-override", "true")]
    public async Task Create_container_needs_both_policy_headers(string header, string value)
    {
        var name = TestNames.Container("onehalf");
        var response = await _raw.SendAsync(HttpMethod.Put, StrongroomProcess.DevAccountName, $"/{name}?restype=container", SharedKeySignerFor.Dev, headers: new Dictionary<string, string> { [header] = value });
        AzureAssert.Status(response, 400, "ContainerOperationFailure");
    }

    [Fact]
    public async Task A_disabled_scope_fails_reads_and_writes_until_enabled()
    {
        var container = await NewContainerAsync("toggle");
        var blob = container.GetBlobClient("t").WithEncryptionScope(ScopedServerFixture.ToggledScope);
        await blob.UploadAsync(BinaryData.FromString("toggled data"));

        var disable = await fixture.Server.RunCliAsync("scope", "disable", StrongroomProcess.DevAccountName, ScopedServerFixture.ToggledScope);
        Assert.True(disable.ExitCode == 0, disable.ToString());
        try
        {
            await AzureAssert.FailsAsync(403, "AuthorizationFailure", () => container.GetBlobClient("t").DownloadContentAsync());
            await AzureAssert.FailsAsync(403, "AuthorizationFailure", () => container.GetBlobClient("t").GetPropertiesAsync());
            await AzureAssert.FailsAsync(403, "AuthorizationFailure", () => blob.UploadAsync(BinaryData.FromString("new"), overwrite: true));
            await AzureAssert.FailsAsync(403, "AuthorizationFailure", () => container.GetBlobClient("t2").WithEncryptionScope(ScopedServerFixture.ToggledScope).UploadAsync(BinaryData.FromString("new")));

            // The blob is still there (listed), and other scopes work.
            Assert.Contains(await container.GetBlobsAsync().Select(item => item.Name).ToListAsync(), name => name == "t");
            await container.GetBlobClient("other").WithEncryptionScope(ScopedServerFixture.ScopeA).UploadAsync(BinaryData.FromString("fine"));
        }
        finally
        {
            var enable = await fixture.Server.RunCliAsync("scope", "enable", StrongroomProcess.DevAccountName, ScopedServerFixture.ToggledScope);
            Assert.True(enable.ExitCode == 0, enable.ToString());
        }

        Assert.Equal("toggled data", (await container.GetBlobClient("t").DownloadContentAsync()).Value.Content.ToString());
        await blob.UploadAsync(BinaryData.FromString("written again"), overwrite: true);
        Assert.Equal("written again", (await container.GetBlobClient("t").DownloadContentAsync()).Value.Content.ToString());
    }

    [Fact]
    public async Task A_customer_provided_key_over_plain_http_is_refused_and_never_echoed()
    {
        var container = await NewContainerAsync("cpkhttp");
        var key = Convert.ToBase64String(Enumerable.Range(0, 32).Select(i => (byte)(i * 7)).ToArray());
        TestLogs.RecordSecret("customer-provided key", key);
        var sha = Convert.ToBase64String(System.Security.Cryptography.SHA256.HashData(Convert.FromBase64String(key)));
        var response = await _raw.SendAsync(
            HttpMethod.Put,
            StrongroomProcess.DevAccountName,
            $"/{container.Name}/cpk.txt",
            SharedKeySignerFor.Dev,
            "secret"u8.ToArray(),
            new Dictionary<string, string>
            {
                ["x-ms-blob-type"] = "BlockBlob",
                ["x-ms-encryption-key"] = key,
                ["x-ms-encryption-key-sha256"] = sha,
                ["x-ms-encryption-algorithm"] = "AES256",
            });
        AzureAssert.Status(response, 403, "AuthorizationProtocolMismatch");
        Assert.DoesNotContain(key, response.BodyText, StringComparison.Ordinal);
        Assert.DoesNotContain(key, string.Join("\n", response.Headers.Values), StringComparison.Ordinal);
        await AzureAssert.FailsAsync(404, "BlobNotFound", () => container.GetBlobClient("cpk.txt").GetPropertiesAsync());

        // The SDK itself refuses to build such a client.
        Assert.Throws<ArgumentException>(() => container.GetBlobClient("cpk.txt").WithCustomerProvidedKey(new CustomerProvidedKey(key)));
    }
}

static class SharedKeySignerFor
{
    public static SharedKeySigner Dev { get; } = new(StrongroomProcess.DevAccountName, StrongroomProcess.DevAccountKey);
}
