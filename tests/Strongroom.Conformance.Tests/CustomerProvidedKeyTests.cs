using System.Security.Cryptography;
using Azure.Storage;
using Azure.Storage.Blobs;
using Azure.Storage.Blobs.Models;
using Strongroom.Conformance.Tests.Infrastructure;
using Xunit;

namespace Strongroom.Conformance.Tests;

/// <summary>The production (HTTPS, unsealed) server with its account and one platform-managed scope, created with the CLI inside the running server.</summary>
public sealed class HttpsServerFixture : ProductionServerFixture
{
    public const string Scope = "tenant-scope";

    public override async Task InitializeAsync()
    {
        await base.InitializeAsync();
        var scope = await Server.RunCliAsync("scope", "create", AccountName, Scope);
        Assert.True(scope.ExitCode == 0, scope.ToString());
    }
}

/// <summary>Customer-provided keys over HTTPS with the Azure SDK trusting the generated certificate.</summary>
public sealed class CustomerProvidedKeyTests(HttpsServerFixture fixture) : IClassFixture<HttpsServerFixture>
{
    static readonly byte[] KeyBytes = Enumerable.Range(0, 32).Select(i => (byte)(255 - i)).ToArray();
    static readonly byte[] OtherKeyBytes = Enumerable.Range(0, 32).Select(i => (byte)(i * 3)).ToArray();

    static CustomerProvidedKeyTests()
    {
        TestLogs.RecordSecret("customer-provided key", Convert.ToBase64String(KeyBytes));
        TestLogs.RecordSecret("customer-provided key", Convert.ToBase64String(OtherKeyBytes));
    }

    static CustomerProvidedKey Key => new(KeyBytes);

    static CustomerProvidedKey OtherKey => new(OtherKeyBytes);

    async Task<BlobContainerClient> NewContainerAsync(string stem)
    {
        var container = fixture.Service.GetBlobContainerClient(TestNames.Container(stem));
        await container.CreateAsync();
        return container;
    }

    [Fact]
    public async Task The_right_key_writes_and_reads_and_only_its_hash_comes_back()
    {
        var container = await NewContainerAsync("cpkright");
        var blob = container.GetBlobClient("secret.txt").WithCustomerProvidedKey(Key);
        var uploaded = await blob.UploadAsync(BinaryData.FromString("customer keyed"));
        var expectedSha = Convert.ToBase64String(SHA256.HashData(KeyBytes));
        Assert.Equal(expectedSha, uploaded.Value.EncryptionKeySha256);

        var downloaded = await blob.DownloadContentAsync();
        Assert.Equal("customer keyed", downloaded.Value.Content.ToString());
        Assert.Equal(expectedSha, downloaded.Value.Details.EncryptionKeySha256);

        var properties = await blob.GetPropertiesAsync();
        Assert.Equal(expectedSha, properties.Value.EncryptionKeySha256);
        Assert.True(properties.Value.IsServerEncrypted);

        var listed = await container.GetBlobsAsync().SingleAsync();
        Assert.Equal(expectedSha, listed.Properties.CustomerProvidedKeySha256);
        Assert.Null(listed.Properties.EncryptionScope);
    }

    [Fact]
    public async Task Missing_and_wrong_keys_fail_with_azures_codes()
    {
        var container = await NewContainerAsync("cpkwrong");
        await container.GetBlobClient("secret.txt").WithCustomerProvidedKey(Key).UploadAsync(BinaryData.FromString("customer keyed"));

        var withoutKey = container.GetBlobClient("secret.txt");
        await AzureAssert.FailsAsync(409, "BlobUsesCustomerSpecifiedEncryption", () => withoutKey.DownloadContentAsync());
        await AzureAssert.FailsAsync(409, "BlobUsesCustomerSpecifiedEncryption", () => withoutKey.GetPropertiesAsync());
        await AzureAssert.FailsAsync(409, "BlobUsesCustomerSpecifiedEncryption", () => withoutKey.SetMetadataAsync(new Dictionary<string, string> { ["a"] = "b" }));

        // The SDK's Exists treats this answer as "exists".
        Assert.True((await withoutKey.ExistsAsync()).Value);

        var wrongKey = container.GetBlobClient("secret.txt").WithCustomerProvidedKey(OtherKey);
        await AzureAssert.FailsAsync(409, "BlobCustomerSpecifiedEncryptionMismatch", () => wrongKey.DownloadContentAsync());
        await AzureAssert.FailsAsync(409, "BlobCustomerSpecifiedEncryptionMismatch", () => wrongKey.GetPropertiesAsync());

        Assert.Equal("customer keyed", (await container.GetBlobClient("secret.txt").WithCustomerProvidedKey(Key).DownloadContentAsync()).Value.Content.ToString());
    }

    [Fact]
    public async Task A_key_on_a_blob_without_one_is_refused()
    {
        var container = await NewContainerAsync("cpkplain");
        await container.GetBlobClient("plain.txt").UploadAsync(BinaryData.FromString("platform keyed"));
        var keyed = container.GetBlobClient("plain.txt").WithCustomerProvidedKey(Key);
        await AzureAssert.FailsAsync(409, "BlobDoesNotUseCustomerSpecifiedEncryption", () => keyed.DownloadContentAsync());
        await AzureAssert.FailsAsync(409, "BlobDoesNotUseCustomerSpecifiedEncryption", () => keyed.GetPropertiesAsync());
    }

    [Fact]
    public async Task Staged_blocks_with_a_key_commit_with_that_key()
    {
        var container = await NewContainerAsync("cpkstaged");
        var content = Payloads.For("cpk-staged", 260 * 1024);
        var blob = container.GetBlobClient("big.bin").WithCustomerProvidedKey(Key);
        await blob.UploadAsync(new BinaryData(content), new BlobUploadOptions
        {
            TransferOptions = new StorageTransferOptions { InitialTransferSize = 64 * 1024, MaximumTransferSize = 64 * 1024, MaximumConcurrency = 1 },
        });
        AzureAssert.BytesEqual(content, (await blob.DownloadContentAsync()).Value.Content.ToMemory(), "customer-keyed staged blob");
        await AzureAssert.FailsAsync(409, "BlobUsesCustomerSpecifiedEncryption", () => container.GetBlobClient("big.bin").DownloadContentAsync());
    }

    [Fact]
    public async Task Scoped_writes_work_over_https_too()
    {
        var container = await NewContainerAsync("httpsscope");
        var uploaded = await container.GetBlobClient("s").WithEncryptionScope(HttpsServerFixture.Scope).UploadAsync(BinaryData.FromString("scoped"));
        Assert.Equal(HttpsServerFixture.Scope, uploaded.Value.EncryptionScope);
        Assert.Equal("scoped", (await container.GetBlobClient("s").DownloadContentAsync()).Value.Content.ToString());
    }

    [Fact]
    public async Task No_customer_key_reaches_the_data_directory_or_the_server_output()
    {
        var container = await NewContainerAsync("cpkleak");
        await container.GetBlobClient("k").WithCustomerProvidedKey(Key).UploadAsync(BinaryData.FromString("x"));
        await AzureAssert.FailsAsync(409, null, () => container.GetBlobClient("k").WithCustomerProvidedKey(OtherKey).DownloadContentAsync());

        var base64 = System.Text.Encoding.ASCII.GetBytes(Convert.ToBase64String(KeyBytes));
        var otherBase64 = System.Text.Encoding.ASCII.GetBytes(Convert.ToBase64String(OtherKeyBytes));
        foreach (var file in fixture.Server.FilesAtRest())
        {
            byte[] bytes;
            try
            {
                bytes = await File.ReadAllBytesAsync(file);
            }
            catch (IOException)
            {
                continue;
            }

            Assert.True(bytes.AsSpan().IndexOf(KeyBytes) < 0, $"the raw customer key is in {file}");
            Assert.True(bytes.AsSpan().IndexOf(base64) < 0, $"the Base64 customer key is in {file}");
            Assert.True(bytes.AsSpan().IndexOf(otherBase64) < 0, $"the other customer key is in {file}");
        }

        Assert.DoesNotContain(Convert.ToBase64String(KeyBytes), fixture.Server.Output, StringComparison.Ordinal);
        Assert.DoesNotContain(Convert.ToBase64String(OtherKeyBytes), fixture.Server.Output, StringComparison.Ordinal);
    }
}
