using Azure.Storage;
using Azure.Storage.Blobs;
using Strongroom.Conformance.Tests.Infrastructure;
using Xunit;

namespace Strongroom.Conformance.Tests;

/// <summary>Two accounts on one server: nothing of one reaches the other.</summary>
public sealed class SegregationTests(SecondAccountFixture fixture) : IClassFixture<SecondAccountFixture>, IDisposable
{
    readonly RawClient _raw = new(fixture.Server);

    public void Dispose() => _raw.Dispose();

    BlobServiceClient Dev => fixture.Service;

    BlobServiceClient Tenant => fixture.SecondService;

    static async Task<List<string>> ListContainersAsync(BlobServiceClient service)
    {
        var names = new List<string>();
        await foreach (var item in service.GetBlobContainersAsync())
        {
            names.Add(item.Name);
        }

        return names;
    }

    [Fact]
    public async Task Containers_and_blobs_of_one_account_are_invisible_to_the_other()
    {
        var name = TestNames.Container("devonly");
        var devContainer = Dev.GetBlobContainerClient(name);
        await devContainer.CreateAsync();
        await devContainer.GetBlobClient("private.txt").UploadAsync(BinaryData.FromString("dev account data"));

        Assert.DoesNotContain(name, await ListContainersAsync(Tenant));

        var fromTenant = Tenant.GetBlobContainerClient(name);
        await AzureAssert.FailsAsync(404, "ContainerNotFound", () => fromTenant.GetPropertiesAsync());
        await AzureAssert.FailsAsync(404, "ContainerNotFound", () => fromTenant.GetBlobClient("private.txt").DownloadContentAsync());
        await AzureAssert.FailsAsync(404, "ContainerNotFound", () => fromTenant.GetBlobClient("private.txt").DeleteAsync());
        await AzureAssert.FailsAsync(404, "ContainerNotFound", () => fromTenant.DeleteAsync());
        await AzureAssert.FailsAsync(404, "ContainerNotFound", async () =>
        {
            await foreach (var unused in fromTenant.GetBlobsAsync())
            {
            }
        });

        Assert.Equal("dev account data", (await devContainer.GetBlobClient("private.txt").DownloadContentAsync()).Value.Content.ToString());
    }

    [Fact]
    public async Task Same_container_name_in_both_accounts_holds_different_data()
    {
        var name = TestNames.Container("shared-name");
        await Dev.GetBlobContainerClient(name).CreateAsync();
        await Tenant.GetBlobContainerClient(name).CreateAsync();
        await Dev.GetBlobContainerClient(name).GetBlobClient("same.txt").UploadAsync(BinaryData.FromString("belongs to devstoreaccount1"));
        await Tenant.GetBlobContainerClient(name).GetBlobClient("same.txt").UploadAsync(BinaryData.FromString("belongs to tenantb"));

        Assert.Equal("belongs to devstoreaccount1", (await Dev.GetBlobContainerClient(name).GetBlobClient("same.txt").DownloadContentAsync()).Value.Content.ToString());
        Assert.Equal("belongs to tenantb", (await Tenant.GetBlobContainerClient(name).GetBlobClient("same.txt").DownloadContentAsync()).Value.Content.ToString());

        await Tenant.GetBlobContainerClient(name).DeleteAsync();
        Assert.True((await Dev.GetBlobContainerClient(name).ExistsAsync()).Value);
        Assert.Equal("belongs to devstoreaccount1", (await Dev.GetBlobContainerClient(name).GetBlobClient("same.txt").DownloadContentAsync()).Value.Content.ToString());
    }

    [Fact]
    public async Task The_other_accounts_key_does_not_authenticate_for_this_account()
    {
        var name = TestNames.Container("crosskey");
        await Dev.GetBlobContainerClient(name).CreateAsync();

        // The tenant's key presented as devstoreaccount1's key.
        var impostor = new BlobServiceClient(fixture.Server.ServiceUri, new StorageSharedKeyCredential(StrongroomProcess.DevAccountName, fixture.SecondKey1), Clients.Options());
        await AzureAssert.FailsAsync(403, "AuthenticationFailed", () => impostor.GetBlobContainerClient(name).GetPropertiesAsync());
        await AzureAssert.FailsAsync(403, "AuthenticationFailed", () => impostor.GetBlobContainerClient(name).GetBlobClient("x").UploadAsync(BinaryData.FromString("x")));

        // A request correctly signed by tenantb, addressed to devstoreaccount1's URL.
        foreach (var key in new[] { fixture.SecondKey1, fixture.SecondKey2 })
        {
            var tenantSigner = new SharedKeySigner(SecondAccountFixture.SecondAccountName, key);
            var response = await _raw.SendAsync(HttpMethod.Get, StrongroomProcess.DevAccountName, $"/{name}?restype=container", tenantSigner);
            Assert.True(response.Status == 403, $"tenantb's signature on devstoreaccount1's URL must be 403:\n{response}");
            response = await _raw.SendAsync(HttpMethod.Get, StrongroomProcess.DevAccountName, "/?comp=list", tenantSigner);
            Assert.True(response.Status == 403 && !response.BodyText.Contains(name, StringComparison.Ordinal), $"listing with tenantb's signature:\n{response}");
        }

        // And the well-known dev key does not open tenantb.
        var devKeyOnTenant = new BlobServiceClient(fixture.Server.AccountUri(SecondAccountFixture.SecondAccountName),
            new StorageSharedKeyCredential(SecondAccountFixture.SecondAccountName, StrongroomProcess.DevAccountKey), Clients.Options());
        await AzureAssert.FailsAsync(403, "AuthenticationFailed", async () =>
        {
            await foreach (var unused in devKeyOnTenant.GetBlobContainersAsync())
            {
            }
        });
    }

    [Fact]
    public async Task Unknown_account_is_refused()
    {
        var unknown = new BlobServiceClient(fixture.Server.AccountUri("nosuchaccount"),
            new StorageSharedKeyCredential("nosuchaccount", StrongroomProcess.DevAccountKey), Clients.Options());
        var failure = await AzureAssert.FailsAsync(403, null, async () =>
        {
            await foreach (var unused in unknown.GetBlobContainersAsync())
            {
            }
        });
        Assert.False(string.IsNullOrEmpty(failure.ErrorCode), failure.Message);
    }
}
