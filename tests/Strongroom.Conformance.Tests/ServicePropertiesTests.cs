using System.Text;
using Azure.Storage.Blobs.Models;
using Strongroom.Conformance.Tests.Infrastructure;
using Xunit;

namespace Strongroom.Conformance.Tests;

/// <summary>Get/Set Blob Service Properties stored in full with Azure's validation; Get Account Information; Get User Delegation Key refused.</summary>
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

    [Fact]
    public async Task Every_field_round_trips_and_a_partial_set_keeps_the_rest()
    {
        var service = fixture.Service;
        var set = new BlobServiceProperties
        {
            Logging = new BlobAnalyticsLogging { Version = "1.0", Delete = true, Read = true, Write = false, RetentionPolicy = new BlobRetentionPolicy { Enabled = true, Days = 5 } },
            HourMetrics = new BlobMetrics { Version = "1.0", Enabled = true, IncludeApis = true, RetentionPolicy = new BlobRetentionPolicy { Enabled = true, Days = 3 } },
            MinuteMetrics = new BlobMetrics { Version = "1.0", Enabled = false, RetentionPolicy = new BlobRetentionPolicy { Enabled = false } },
            Cors =
            [
                new BlobCorsRule { AllowedOrigins = "http://a.example,http://b.example", AllowedMethods = "GET,PUT", AllowedHeaders = "x-ms-meta-*", ExposedHeaders = "x-ms-request-id", MaxAgeInSeconds = 600 },
                new BlobCorsRule { AllowedOrigins = "*", AllowedMethods = "GET", AllowedHeaders = "", ExposedHeaders = "", MaxAgeInSeconds = 0 },
            ],
            DefaultServiceVersion = "2021-08-06",
            DeleteRetentionPolicy = new BlobRetentionPolicy { Enabled = true, Days = 7 },
            StaticWebsite = new BlobStaticWebsite { Enabled = true, IndexDocument = "index.html", ErrorDocument404Path = "error/404.html" },
        };
        var before = (await service.GetPropertiesAsync()).Value;
        var setResponse = await service.SetPropertiesAsync(set);

        // The Set is recorded in the account's log with what it changed.
        var requestId = setResponse.Headers.TryGetValue("x-ms-request-id", out var id) ? id : null;
        var entry = Assert.Single(StoredLog.Entries(fixture.Server, StrongroomProcess.DevAccountName), e => e.RequestId == requestId);
        Assert.Equal("SetBlobServiceProperties", entry.Action);
        Assert.Contains(new KeyValuePair<string, string>("corsRules", "2"), entry.Details);
        Assert.Contains(new KeyValuePair<string, string>("defaultServiceVersion", "2021-08-06"), entry.Details);

        var read = (await service.GetPropertiesAsync()).Value;
        Assert.Equal(("1.0", true, true, false, true, 5), (read.Logging.Version, read.Logging.Delete, read.Logging.Read, read.Logging.Write, read.Logging.RetentionPolicy.Enabled, read.Logging.RetentionPolicy.Days));
        Assert.Equal(("1.0", true, (bool?)true, true, (int?)3), (read.HourMetrics.Version, read.HourMetrics.Enabled, read.HourMetrics.IncludeApis, read.HourMetrics.RetentionPolicy.Enabled, read.HourMetrics.RetentionPolicy.Days));
        Assert.Equal((false, (bool?)null, false), (read.MinuteMetrics.Enabled, read.MinuteMetrics.IncludeApis, read.MinuteMetrics.RetentionPolicy.Enabled));
        Assert.Equal(2, read.Cors.Count);
        var rule = read.Cors[0];
        Assert.Equal(("http://a.example,http://b.example", "GET,PUT", "x-ms-meta-*", "x-ms-request-id", 600), (rule.AllowedOrigins, rule.AllowedMethods, rule.AllowedHeaders, rule.ExposedHeaders, rule.MaxAgeInSeconds));
        Assert.Equal(("*", "GET", 0), (read.Cors[1].AllowedOrigins, read.Cors[1].AllowedMethods, read.Cors[1].MaxAgeInSeconds));
        Assert.Equal("2021-08-06", read.DefaultServiceVersion);

        // DefaultServiceVersion answers a request that names no version (here an anonymous one),
        // on every server once it applies the Set.
        await ServicePropertiesPropagation.WaitUntilEveryServerAppliesAsync(fixture.Server, StrongroomProcess.DevAccountName, before, set);
        using (var http = fixture.Server.CreateHttpClient())
        {
            using var anonymous = await http.GetAsync(new Uri(fixture.Server.Endpoint, StrongroomProcess.DevAccountName + "/c/b"));
            Assert.Equal(409, (int)anonymous.StatusCode);
            Assert.Equal("2021-08-06", anonymous.Headers.GetValues("x-ms-version").Single());
        }

        Assert.Equal((true, (int?)7), (read.DeleteRetentionPolicy.Enabled, read.DeleteRetentionPolicy.Days));
        Assert.Equal((true, "index.html", "error/404.html"), (read.StaticWebsite.Enabled, read.StaticWebsite.IndexDocument, read.StaticWebsite.ErrorDocument404Path));

        // Only Cors named: everything else is kept; an empty Cors deletes every rule.
        await SetRawAsync("<StorageServiceProperties><Cors /></StorageServiceProperties>");
        var after = (await service.GetPropertiesAsync()).Value;
        Assert.Empty(after.Cors);
        Assert.True(after.Logging.Delete);
        Assert.Equal("2021-08-06", after.DefaultServiceVersion);
        Assert.True(after.StaticWebsite.Enabled);
        Assert.Equal(7, after.DeleteRetentionPolicy.Days);

        // Back to Azure's defaults for the other tests of this class.
        after.Logging = new BlobAnalyticsLogging { Version = "1.0", RetentionPolicy = new BlobRetentionPolicy { Enabled = false } };
        after.HourMetrics = new BlobMetrics { Version = "1.0", Enabled = false, RetentionPolicy = new BlobRetentionPolicy { Enabled = false } };
        after.DeleteRetentionPolicy = new BlobRetentionPolicy { Enabled = false };
        after.StaticWebsite = new BlobStaticWebsite { Enabled = false };
        await service.SetPropertiesAsync(after);
    }

    [Fact]
    public async Task A_fresh_sdk_properties_object_is_refused_as_azure_refuses_it()
    {
        // azure-sdk-for-net#9583: a new BlobServiceProperties sends Logging and metrics without a
        // Version; Azure answers 400 InvalidXmlDocument "Unexpected value for Version.".
        var failure = await AzureAssert.FailsAsync(400, "InvalidXmlDocument", () => fixture.Service.SetPropertiesAsync(new BlobServiceProperties { Cors = [] }));

        Assert.Contains("Unexpected value for Version.", failure.Message, StringComparison.Ordinal);
    }

    private async Task SetRawAsync(string xml)
    {
        using var raw = new RawClient(fixture.Server);
        var signer = new SharedKeySigner(StrongroomProcess.DevAccountName, StrongroomProcess.DevAccountKey);
        var response = await raw.SendAsync(HttpMethod.Put, StrongroomProcess.DevAccountName, "/?restype=service&comp=properties", signer, Encoding.UTF8.GetBytes(xml));
        AzureAssert.Status(response, 202);
    }

    [Fact]
    public async Task Six_cors_rules_are_refused_and_change_nothing()
    {
        var service = fixture.Service;
        var one = new BlobCorsRule { AllowedOrigins = "*", AllowedMethods = "GET", AllowedHeaders = "", ExposedHeaders = "", MaxAgeInSeconds = 1 };
        var properties = (await service.GetPropertiesAsync()).Value;
        properties.Cors = [one];
        await service.SetPropertiesAsync(properties);

        properties.Cors = Enumerable.Repeat(one, 6).ToList();
        await AzureAssert.FailsAsync(400, "InvalidXmlNodeValue", () => service.SetPropertiesAsync(properties));
        Assert.Single((await service.GetPropertiesAsync()).Value.Cors);

        properties.Cors = Enumerable.Repeat(one, 5).ToList();
        await service.SetPropertiesAsync(properties);
        Assert.Equal(5, (await service.GetPropertiesAsync()).Value.Cors.Count);
        await SetRawAsync("<StorageServiceProperties><Cors /></StorageServiceProperties>");
    }

    [Theory]
    [InlineData("<StorageServiceProperties><Cors>", "InvalidXmlDocument")]
    [InlineData("not xml at all", "InvalidXmlDocument")]
    [InlineData("<StorageServiceProperties/>", "InvalidXmlDocument")]
    [InlineData("<StorageServiceProperties><Unknown>1</Unknown></StorageServiceProperties>", "InvalidXmlDocument")]
    [InlineData("<StorageServiceProperties><Cors><CorsRule><AllowedOrigins>*</AllowedOrigins><AllowedMethods>GET</AllowedMethods></CorsRule></Cors></StorageServiceProperties>", "InvalidXmlDocument")]
    [InlineData("<StorageServiceProperties><Cors><CorsRule><AllowedOrigins>*</AllowedOrigins><AllowedMethods>GET</AllowedMethods><MaxAgeInSeconds>-5</MaxAgeInSeconds><ExposedHeaders/><AllowedHeaders/></CorsRule></Cors></StorageServiceProperties>", "InvalidXmlNodeValue")]
    [InlineData("<StorageServiceProperties><Cors><CorsRule><AllowedOrigins>*</AllowedOrigins><AllowedMethods>TRACE</AllowedMethods><MaxAgeInSeconds>5</MaxAgeInSeconds><ExposedHeaders/><AllowedHeaders/></CorsRule></Cors></StorageServiceProperties>", "InvalidXmlNodeValue")]
    [InlineData("<StorageServiceProperties><Logging><Version>1.0</Version><Delete>true</Delete><Read>true</Read><Write>true</Write><RetentionPolicy><Enabled>true</Enabled><Days>366</Days></RetentionPolicy></Logging></StorageServiceProperties>", "InvalidXmlNodeValue")]
    [InlineData("<StorageServiceProperties><DefaultServiceVersion>2050-13-45</DefaultServiceVersion></StorageServiceProperties>", "InvalidXmlNodeValue")]
    public async Task Bad_bodies_are_refused_with_azures_codes_and_change_nothing(string xml, string code)
    {
        var before = (await fixture.Service.GetPropertiesAsync()).Value;
        using var raw = new RawClient(fixture.Server);
        var signer = new SharedKeySigner(StrongroomProcess.DevAccountName, StrongroomProcess.DevAccountKey);

        var response = await raw.SendAsync(HttpMethod.Put, StrongroomProcess.DevAccountName, "/?restype=service&comp=properties", signer, Encoding.UTF8.GetBytes(xml));

        AzureAssert.Status(response, 400, code);
        var after = (await fixture.Service.GetPropertiesAsync()).Value;
        Assert.Equal(before.Cors.Count, after.Cors.Count);
        Assert.Equal(before.Logging.RetentionPolicy.Days, after.Logging.RetentionPolicy.Days);
        Assert.Equal(before.DefaultServiceVersion, after.DefaultServiceVersion);
    }

    [Fact]
    public async Task Account_information_is_answered_on_service_container_and_blob_urls()
    {
        var container = fixture.Service.GetBlobContainerClient(TestNames.Container("accountinfo"));
        await container.CreateAsync();
        var blob = container.GetBlobClient("b");

        foreach (var info in new[]
        {
            (await fixture.Service.GetAccountInfoAsync()).Value,
            (await container.GetAccountInfoAsync()).Value,
            (await blob.GetAccountInfoAsync()).Value,
        })
        {
            Assert.Equal(SkuName.StandardLrs, info.SkuName);
            Assert.Equal(AccountKind.StorageV2, info.AccountKind);
            Assert.False(info.IsHierarchicalNamespaceEnabled);
        }

        using var raw = new RawClient(fixture.Server);
        var signer = new SharedKeySigner(StrongroomProcess.DevAccountName, StrongroomProcess.DevAccountKey);
        var head = await raw.SendAsync(HttpMethod.Head, StrongroomProcess.DevAccountName, $"/{container.Name}/b?restype=account&comp=properties", signer);
        AzureAssert.Status(head, 200);
        Assert.Equal("Standard_LRS", head.Header("x-ms-sku-name"));
        Assert.Equal("false", head.Header("x-ms-is-hns-enabled"));
        AzureAssert.Status(await raw.SendAsync(HttpMethod.Put, StrongroomProcess.DevAccountName, "/?restype=account&comp=properties", signer), 405, "UnsupportedHttpVerb");
        AzureAssert.Status(await raw.SendAsync(HttpMethod.Get, StrongroomProcess.DevAccountName, "/?restype=account&comp=properties", signer: null), 409, "PublicAccessNotPermitted");
    }

    [Fact]
    public async Task Account_information_names_the_accounts_redundancy()
    {
        var created = await fixture.Server.RunCliAsync("account", "create", "geoinfo", "--redundancy", "RA-GRS");
        var geo = fixture.Server.ServiceClient("geoinfo", AccountKeys.Parse(created).Key1);

        var info = (await geo.GetAccountInfoAsync()).Value;

        Assert.Equal(SkuName.StandardRagrs, info.SkuName);
    }

    [Fact]
    public async Task User_delegation_keys_are_refused_as_azure_refuses_shared_key()
    {
        var failure = await AzureAssert.FailsAsync(403, "AuthenticationFailed", () => fixture.Service.GetUserDelegationKeyAsync(new BlobGetUserDelegationKeyOptions(DateTimeOffset.UtcNow.AddHours(1))));

        Assert.Contains("Only authentication scheme Bearer is supported", failure.Message, StringComparison.Ordinal);
    }
}
