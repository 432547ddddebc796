using Azure.Storage.Blobs.Models;
using Strongroom.Conformance.Tests.Infrastructure;
using Xunit;

namespace Strongroom.Conformance.Tests;

/// <summary>Get/Set Blob Service Properties: DeleteRetentionPolicy is stored; the rest answers Azure's defaults (issue 7).</summary>
public sealed class ServicePropertiesTests(ServerFixture fixture) : IClassFixture<ServerFixture>
{
    [Fact]
    public async Task Delete_retention_policy_round_trips_and_the_rest_reads_as_off()
    {
        var service = fixture.Service;
        var properties = (await service.GetPropertiesAsync()).Value;
        Assert.False(properties.DeleteRetentionPolicy.Enabled);
        Assert.False(properties.Logging.Read);
        Assert.False(properties.HourMetrics.Enabled);
        Assert.False(properties.StaticWebsite.Enabled);

        properties.DeleteRetentionPolicy = new BlobRetentionPolicy { Enabled = true, Days = 5 };
        await service.SetPropertiesAsync(properties);

        var read = (await service.GetPropertiesAsync()).Value;
        Assert.True(read.DeleteRetentionPolicy.Enabled);
        Assert.Equal(5, read.DeleteRetentionPolicy.Days);

        read.DeleteRetentionPolicy = new BlobRetentionPolicy { Enabled = false };
        await service.SetPropertiesAsync(read);
        Assert.False((await service.GetPropertiesAsync()).Value.DeleteRetentionPolicy.Enabled);
    }

    [Theory]
    [InlineData(0)]
    [InlineData(366)]
    public async Task Retention_days_outside_1_to_365_are_refused_and_change_nothing(int days)
    {
        var service = fixture.Service;
        var properties = (await service.GetPropertiesAsync()).Value;
        var before = properties.DeleteRetentionPolicy.Days;
        properties.DeleteRetentionPolicy = new BlobRetentionPolicy { Enabled = true, Days = days };

        await AzureAssert.FailsAsync(400, "InvalidXmlNodeValue", () => service.SetPropertiesAsync(properties));

        Assert.Equal(before, (await service.GetPropertiesAsync()).Value.DeleteRetentionPolicy.Days);
    }
}
