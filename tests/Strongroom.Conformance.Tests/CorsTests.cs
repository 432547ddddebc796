using System.Text;
using Azure.Storage.Blobs.Models;
using Strongroom.Conformance.Tests.Infrastructure;
using Xunit;

namespace Strongroom.Conformance.Tests;

/// <summary>
/// CORS enforced as Azure's "CORS support for the Azure Storage services" says: preflights
/// (OPTIONS, unauthenticated) against the account's rules in their order, and the Access-Control
/// headers and Vary on actual responses, errors included. Raw HTTP: the SDK sends no Origin.
/// </summary>
public sealed class CorsTests(ServerFixture fixture) : IClassFixture<ServerFixture>, IDisposable
{
    private const string Account = StrongroomProcess.DevAccountName;
    private const string Contoso = "http://www.contoso.com";

    private readonly RawClient raw = new(fixture.Server);
    private readonly SharedKeySigner signer = new(StrongroomProcess.DevAccountName, StrongroomProcess.DevAccountKey);

    public void Dispose() => raw.Dispose();

    // The SDK's fresh BlobServiceProperties sends Logging and metrics without a Version, which
    // Azure (and this server) refuses (azure-sdk-for-net#9583): read, change Cors, write back.
    // Then, with several servers behind the balancer, wait until every one applies the rules.
    private async Task SetRulesAsync(params BlobCorsRule[] rules)
    {
        var properties = (await fixture.Service.GetPropertiesAsync()).Value;
        var before = new BlobServiceProperties { Cors = [.. properties.Cors], DefaultServiceVersion = properties.DefaultServiceVersion };
        properties.Cors = rules;
        await fixture.Service.SetPropertiesAsync(properties);
        await ServicePropertiesPropagation.WaitUntilEveryServerAppliesAsync(fixture.Server, Account, before, properties);
    }

    private static BlobCorsRule Rule(string origins, string methods, string allowedHeaders = "", string exposedHeaders = "", int maxAge = 0) =>
        new() { AllowedOrigins = origins, AllowedMethods = methods, AllowedHeaders = allowedHeaders, ExposedHeaders = exposedHeaders, MaxAgeInSeconds = maxAge };

    private Task<RawResponse> PreflightAsync(string path, string? origin, string? method, string? requestHeaders = null, string account = Account)
    {
        var headers = new Dictionary<string, string>();
        if (origin is not null)
        {
            headers["Origin"] = origin;
        }

        if (method is not null)
        {
            headers["Access-Control-Request-Method"] = method;
        }

        if (requestHeaders is not null)
        {
            headers["Access-Control-Request-Headers"] = requestHeaders;
        }

        return raw.SendAsync(HttpMethod.Options, account, path, signer: null, headers: headers);
    }

    private Task<RawResponse> SendAsync(HttpMethod method, string path, string? origin, bool signed = true, byte[]? body = null, Dictionary<string, string>? extra = null)
    {
        var headers = extra ?? [];
        if (origin is not null)
        {
            headers["Origin"] = origin;
        }

        return raw.SendAsync(method, Account, path, signed ? signer : null, body, headers);
    }

    [Fact]
    public async Task A_preflight_without_rules_is_refused_and_without_its_headers_is_a_bad_request()
    {
        await SetRulesAsync();

        var refused = await PreflightAsync("/c/b", Contoso, "PUT");
        AzureAssert.Status(refused, 403, "CorsPreflightFailure");
        Assert.Contains("<Code>CorsPreflightFailure</Code>", refused.BodyText, StringComparison.Ordinal);
        Assert.Null(refused.Header("Access-Control-Allow-Origin"));

        AzureAssert.Status(await PreflightAsync("/c/b", origin: null, "PUT"), 400, "MissingRequiredHeader");
        AzureAssert.Status(await PreflightAsync("/c/b", Contoso, method: null), 400, "MissingRequiredHeader");

        // An unknown account answers exactly as an account without CORS.
        await SetRulesAsync(Rule("*", "PUT"));
        AzureAssert.Status(await PreflightAsync("/c/b", Contoso, "PUT", account: "nosuchaccount"), 403, "CorsPreflightFailure");
    }

    [Fact]
    public async Task An_allowed_preflight_answers_the_access_control_headers()
    {
        await SetRulesAsync(Rule(Contoso + ", http://www.fabrikam.com", "PUT,GET", "x-ms-meta-data*,x-ms-meta-target*,x-ms-meta-abc", "x-ms-meta-*", 200));

        var allowed = await PreflightAsync("/container/blob.txt", "http://www.fabrikam.com", "PUT", "x-ms-meta-data-1, X-MS-META-ABC");

        AzureAssert.Status(allowed, 200);
        Assert.Equal("http://www.fabrikam.com", allowed.Header("Access-Control-Allow-Origin"));
        Assert.Equal("PUT", allowed.Header("Access-Control-Allow-Methods"));
        Assert.Equal("x-ms-meta-data-1, X-MS-META-ABC", allowed.Header("Access-Control-Allow-Headers"));
        Assert.Equal("200", allowed.Header("Access-Control-Max-Age"));
        Assert.Equal("true", allowed.Header("Access-Control-Allow-Credentials"));
        Assert.NotNull(allowed.Header("x-ms-request-id"));
        Assert.Empty(allowed.Body);

        // The account root and a container URL are evaluated against the same service rules.
        AzureAssert.Status(await PreflightAsync("/", Contoso, "GET"), 200);
        AzureAssert.Status(await PreflightAsync("/anything?restype=container", Contoso, "GET"), 200);
    }

    [Theory]
    [InlineData("http://www.evil.com", "PUT", null)]
    [InlineData("http://WWW.CONTOSO.COM", "PUT", null)]
    [InlineData(Contoso, "DELETE", null)]
    [InlineData(Contoso, "put", null)]
    [InlineData(Contoso, "PUT", "x-ms-meta-data,x-ms-blob-type")]
    [InlineData(Contoso, "PUT", "x-ms-meta-other")]
    public async Task A_preflight_is_refused_by_origin_method_or_header(string origin, string method, string? requestHeaders)
    {
        await SetRulesAsync(Rule(Contoso, "PUT,GET", "x-ms-meta-data*,x-ms-client-request-id", "", 60));

        AzureAssert.Status(await PreflightAsync("/c/b", origin, method, requestHeaders), 403, "CorsPreflightFailure");
    }

    [Fact]
    public async Task The_first_rule_matching_origin_and_method_decides_as_in_azures_example()
    {
        // Azure's worked example: three rules, three requests.
        await SetRulesAsync(
            Rule(Contoso, "PUT,HEAD", "x-ms-blob-content-type, x-ms-blob-content-disposition", "x-ms-*", 5),
            Rule("*", "PUT,GET", "x-ms-blob-content-type, x-ms-blob-content-disposition", "x-ms-*", 5),
            Rule(Contoso, "GET", "x-ms-client-request-id", "x-ms-*", 5));

        AzureAssert.Status(await PreflightAsync("/c/b", Contoso, "PUT", "x-ms-blob-content-type"), 200);
        var second = await PreflightAsync("/c/b", Contoso, "GET", "x-ms-blob-content-type");
        AzureAssert.Status(second, 200);
        Assert.Equal(Contoso, second.Header("Access-Control-Allow-Origin"));

        // The second rule matches origin and method, so the third (which would allow it) is never tried.
        AzureAssert.Status(await PreflightAsync("/c/b", Contoso, "GET", "x-ms-client-request-id"), 403, "CorsPreflightFailure");
    }

    [Fact]
    public async Task Wildcard_origins_and_headers_allow_everything_of_their_kind()
    {
        await SetRulesAsync(Rule("*", "GET,PUT,DELETE", "*", "*", 86400));

        var allowed = await PreflightAsync("/c/b", "https://any.example:8443", "DELETE", "x-ms-version,x-ms-date,authorization,x-whatever");

        AzureAssert.Status(allowed, 200);
        Assert.Equal("https://any.example:8443", allowed.Header("Access-Control-Allow-Origin"));
        Assert.Equal("86400", allowed.Header("Access-Control-Max-Age"));
        AzureAssert.Status(await PreflightAsync("/c/b", "https://any.example:8443", "POST"), 403, "CorsPreflightFailure");
    }

    [Fact]
    public async Task An_actual_request_from_an_allowed_origin_gets_the_headers_vary_and_exposed_names()
    {
        var container = fixture.Service.GetBlobContainerClient(TestNames.Container("cors-actual"));
        await container.CreateAsync();
        await container.GetBlobClient("b").UploadAsync(BinaryData.FromString("cors"), new Azure.Storage.Blobs.Models.BlobUploadOptions { Metadata = new Dictionary<string, string> { ["colour"] = "blue" } });
        await SetRulesAsync(
            Rule("http://exact.example", "GET,HEAD", "", "x-ms-meta-*,x-ms-request-id,x-custom", 10),
            Rule("*", "GET", "", "Content-Length", 10));

        var exact = await SendAsync(HttpMethod.Get, $"/{container.Name}/b", "http://exact.example");
        AzureAssert.Status(exact, 200);
        Assert.Equal("cors", exact.BodyText);
        Assert.Equal("http://exact.example", exact.Header("Access-Control-Allow-Origin"));
        Assert.Equal("true", exact.Header("Access-Control-Allow-Credentials"));
        Assert.Equal("Origin", exact.Header("Vary"));
        var exposed = exact.Header("Access-Control-Expose-Headers")!.Split(',');
        Assert.Contains("x-ms-meta-colour", exposed, StringComparer.OrdinalIgnoreCase);
        Assert.Contains("x-ms-request-id", exposed, StringComparer.OrdinalIgnoreCase);
        Assert.Contains("x-custom", exposed, StringComparer.OrdinalIgnoreCase);
        Assert.DoesNotContain("ETag", exposed, StringComparer.OrdinalIgnoreCase);

        // A rule for every origin: "*", no credentials, no Vary.
        var any = await SendAsync(HttpMethod.Get, $"/{container.Name}/b", "http://elsewhere.example");
        Assert.Equal("*", any.Header("Access-Control-Allow-Origin"));
        Assert.Null(any.Header("Access-Control-Allow-Credentials"));
        Assert.Null(any.Header("Vary"));
        Assert.Equal("Content-Length", any.Header("Access-Control-Expose-Headers"));

        // No rule for the method: no Access-Control headers; Vary on GET/HEAD only.
        var head = await SendAsync(HttpMethod.Head, $"/{container.Name}/b", "http://elsewhere.example");
        Assert.Null(head.Header("Access-Control-Allow-Origin"));
        Assert.Equal("Origin", head.Header("Vary"));
        var put = await SendAsync(HttpMethod.Put, $"/{container.Name}/c", "http://elsewhere.example", body: Encoding.UTF8.GetBytes("x"), extra: new() { ["x-ms-blob-type"] = "BlockBlob" });
        AzureAssert.Status(put, 201);
        Assert.Null(put.Header("Access-Control-Allow-Origin"));
        Assert.Null(put.Header("Vary"));
    }

    [Fact]
    public async Task Vary_follows_azures_table_without_an_origin_and_without_rules()
    {
        var container = fixture.Service.GetBlobContainerClient(TestNames.Container("cors-vary"));
        await container.CreateAsync();
        var path = $"/{container.Name}?restype=container";

        await SetRulesAsync();
        var off = await SendAsync(HttpMethod.Get, path, Contoso);
        Assert.Null(off.Header("Vary"));
        Assert.Null(off.Header("Access-Control-Allow-Origin"));

        await SetRulesAsync(Rule(Contoso, "GET"));
        var noOrigin = await SendAsync(HttpMethod.Get, path, origin: null);
        Assert.Equal("Origin", noOrigin.Header("Vary"));
        Assert.Null(noOrigin.Header("Access-Control-Allow-Origin"));

        // A rule for every origin applies even without an Origin header (Azure's table, row 3).
        await SetRulesAsync(Rule("*", "GET", exposedHeaders: "x-ms-request-id"));
        var wildcard = await SendAsync(HttpMethod.Get, path, origin: null);
        Assert.Equal("*", wildcard.Header("Access-Control-Allow-Origin"));
        Assert.Equal("x-ms-request-id", wildcard.Header("Access-Control-Expose-Headers"));
        Assert.Null(wildcard.Header("Vary"));
    }

    [Fact]
    public async Task Errors_carry_the_cors_headers_too()
    {
        await SetRulesAsync(Rule(Contoso, "GET,PUT", "", "x-ms-error-code", 5));

        var missing = await SendAsync(HttpMethod.Get, "/no-such-container/blob", Contoso);
        AzureAssert.Status(missing, 404, "ContainerNotFound");
        Assert.Equal(Contoso, missing.Header("Access-Control-Allow-Origin"));
        Assert.Equal("x-ms-error-code", missing.Header("Access-Control-Expose-Headers"));
        Assert.Equal("Origin", missing.Header("Vary"));

        var anonymous = await SendAsync(HttpMethod.Get, "/no-such-container/blob", Contoso, signed: false);
        AzureAssert.Status(anonymous, 409, "PublicAccessNotPermitted");
        Assert.Equal(Contoso, anonymous.Header("Access-Control-Allow-Origin"));

        var badXml = await SendAsync(HttpMethod.Put, "/?restype=service&comp=properties", Contoso, body: Encoding.UTF8.GetBytes("<StorageServiceProperties><Cors>"));
        AzureAssert.Status(badXml, 400, "InvalidXmlDocument");
        Assert.Equal(Contoso, badXml.Header("Access-Control-Allow-Origin"));
        Assert.Null(badXml.Header("Vary"));
    }
}
