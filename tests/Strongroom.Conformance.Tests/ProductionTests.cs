using Azure;
using Strongroom.Conformance.Tests.Infrastructure;
using Xunit;

namespace Strongroom.Conformance.Tests;

/// <summary>The production fixture itself: HTTPS with the generated certificate, unsealed by K of N shares, an SDK that trusts exactly that certificate.</summary>
public sealed class ProductionTests(ProductionServerFixture fixture) : IClassFixture<ProductionServerFixture>
{
    [Fact]
    public async Task A_blob_round_trips_over_https_with_the_sdk_trusting_the_generated_certificate()
    {
        Assert.Equal("https", fixture.Server.Endpoint.Scheme);
        var container = fixture.Service.GetBlobContainerClient(TestNames.Container("prod"));
        await container.CreateAsync();

        await container.GetBlobClient("hello").UploadAsync(BinaryData.FromString("over TLS"));

        Assert.Equal("over TLS", (await container.GetBlobClient("hello").DownloadContentAsync()).Value.Content.ToString());
    }

    [Fact]
    public async Task A_client_that_does_not_trust_the_certificate_is_refused_by_tls()
    {
        var untrusting = new Azure.Storage.Blobs.BlobServiceClient(fixture.Server.ConnectionStringFor(ProductionServerFixture.AccountName, fixture.AccountKey), Clients.Options());

        var exception = await Assert.ThrowsAsync<RequestFailedException>(() => untrusting.GetPropertiesAsync());

        Assert.Equal(0, exception.Status);
    }
}
