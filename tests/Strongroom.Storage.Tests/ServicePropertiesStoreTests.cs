using Strongroom.Core;

namespace Strongroom.Storage.Tests;

/// <summary>Blob service properties in the store (issue 8): the frozen document, merges, atomicity.</summary>
public sealed class ServicePropertiesStoreTests : StoreTestBase
{
    private static readonly BlobServiceProperties Full = new(
        new AnalyticsLogging("1.0", true, false, true, new AnalyticsRetention(true, 7)),
        new AnalyticsMetrics("1.0", true, true, new AnalyticsRetention(true, 3)),
        AnalyticsMetrics.Off,
        [new CorsRule("http://a.example, http://b.example", "GET,PUT", "x-ms-meta-*", "x-ms-request-id", 600), new CorsRule("*", "GET", "", "", 0)],
        "2021-08-06",
        new StaticWebsiteSettings(true, "index.html", "404.html", null));

    [Fact]
    public void Format_1_is_frozen()
    {
        const string Golden =
            "{\"logging\":{\"version\":\"1.0\",\"delete\":true,\"read\":false,\"write\":true,\"retention\":{\"enabled\":true,\"days\":7}}," +
            "\"hourMetrics\":{\"version\":\"1.0\",\"enabled\":true,\"includeApis\":true,\"retention\":{\"enabled\":true,\"days\":3}}," +
            "\"minuteMetrics\":{\"version\":\"1.0\",\"enabled\":false,\"retention\":{\"enabled\":false}}," +
            "\"cors\":[{\"allowedOrigins\":\"http://a.example, http://b.example\",\"allowedMethods\":\"GET,PUT\",\"allowedHeaders\":\"x-ms-meta-*\",\"exposedHeaders\":\"x-ms-request-id\",\"maxAgeInSeconds\":600}," +
            "{\"allowedOrigins\":\"*\",\"allowedMethods\":\"GET\",\"allowedHeaders\":\"\",\"exposedHeaders\":\"\",\"maxAgeInSeconds\":0}]," +
            "\"defaultServiceVersion\":\"2021-08-06\"," +
            "\"staticWebsite\":{\"enabled\":true,\"indexDocument\":\"index.html\",\"errorDocument404Path\":\"404.html\"}}";

        Assert.Equal(Golden, ServicePropertiesDocument.Write(Full));
        Assert.Equal(Full, ServicePropertiesDocument.Read(ServicePropertiesDocument.Format, Golden));
        Assert.Throws<InvariantViolationException>(() => ServicePropertiesDocument.Read(2, Golden));
        Assert.Throws<InvariantViolationException>(() => ServicePropertiesDocument.Read(1, "{\"logging\":{}}"));
    }

    [Fact]
    public async Task Properties_are_defaults_until_set_and_a_set_replaces_only_what_it_names()
    {
        await Store.CreateAccountAsync(Account("acct"));
        Assert.Equal(BlobServiceProperties.Default, await Store.GetBlobServicePropertiesAsync("acct"));
        Assert.Null(await Store.GetBlobServicePropertiesAsync("nobody"));

        await Store.SetBlobServicePropertiesAsync("acct", new BlobServicePropertiesUpdate(Full.Logging, Full.HourMetrics, Full.MinuteMetrics, Full.Cors, Full.DefaultServiceVersion, Full.StaticWebsite));
        Assert.Equal(Full, await Store.GetBlobServicePropertiesAsync("acct"));

        var (properties, protection) = await Store.SetBlobServicePropertiesAsync("acct", new BlobServicePropertiesUpdate(Cors: [], DeleteRetentionPolicy: new DeleteRetentionUpdate(9, true)));
        Assert.Equal(Full with { Cors = [] }, properties);
        Assert.Equal((9, true), (protection.BlobSoftDeleteDays, protection.AllowPermanentDelete));
        await ReopenAsync();
        Assert.Equal(Full with { Cors = [] }, await Store.GetBlobServicePropertiesAsync("acct"));
        Assert.Equal(9, (await Store.GetAccountAsync("acct"))!.DataProtection.BlobSoftDeleteDays);
    }

    [Fact]
    public async Task A_refused_set_changes_nothing()
    {
        await Store.CreateAccountAsync(Account("acct"));
        await Store.SetBlobServicePropertiesAsync("acct", new BlobServicePropertiesUpdate(Cors: Full.Cors));

        var error = await Assert.ThrowsAsync<StorageException>(() => Store.SetBlobServicePropertiesAsync("acct", new BlobServicePropertiesUpdate(Cors: [], DeleteRetentionPolicy: new DeleteRetentionUpdate(400, false))));
        Assert.Equal(ErrorCode.InvalidDataProtectionSetting, error.Code);
        Assert.Equal(Full.Cors, (await Store.GetBlobServicePropertiesAsync("acct"))!.Cors);

        var missing = await Assert.ThrowsAsync<StorageException>(() => Store.SetBlobServicePropertiesAsync("nobody", new BlobServicePropertiesUpdate(Cors: [])));
        Assert.Equal(ErrorCode.AccountNotFound, missing.Code);
    }
}
