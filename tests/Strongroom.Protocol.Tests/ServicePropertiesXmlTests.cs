using System.Text;
using System.Xml.Linq;
using Strongroom.Core;
using Strongroom.Protocol.Blob;

namespace Strongroom.Protocol.Tests;

/// <summary>The Get/Set Blob Service Properties bodies: every element Azure has, and Azure's refusals.</summary>
public sealed class ServicePropertiesXmlTests
{
    private const string Rule = "<CorsRule><AllowedOrigins>http://a.example</AllowedOrigins><AllowedMethods>GET,PUT</AllowedMethods>" +
        "<MaxAgeInSeconds>60</MaxAgeInSeconds><ExposedHeaders>x-ms-meta-*</ExposedHeaders><AllowedHeaders>x-ms-blob-type</AllowedHeaders></CorsRule>";

    private static BlobServicePropertiesUpdate Parse(string xml)
    {
        var bytes = Encoding.UTF8.GetBytes(xml);
        return ServicePropertiesXml.Parse(bytes, bytes.Length);
    }

    private static string Root(string inner) => "<?xml version=\"1.0\" encoding=\"utf-8\"?><StorageServiceProperties>" + inner + "</StorageServiceProperties>";

    [Fact]
    public void Every_element_is_read()
    {
        var update = Parse(Root(
            "<Logging><Version>1.0</Version><Delete>true</Delete><Read>false</Read><Write>true</Write><RetentionPolicy><Enabled>true</Enabled><Days>7</Days></RetentionPolicy></Logging>" +
            "<HourMetrics><Version>1.0</Version><Enabled>true</Enabled><IncludeAPIs>false</IncludeAPIs><RetentionPolicy><Enabled>false</Enabled></RetentionPolicy></HourMetrics>" +
            "<MinuteMetrics><Version>1.0</Version><Enabled>false</Enabled><RetentionPolicy><Enabled>false</Enabled></RetentionPolicy></MinuteMetrics>" +
            "<Cors>" + Rule + "</Cors><DefaultServiceVersion>2020-10-02</DefaultServiceVersion>" +
            "<DeleteRetentionPolicy><Enabled>true</Enabled><Days>30</Days><AllowPermanentDelete>true</AllowPermanentDelete></DeleteRetentionPolicy>" +
            "<StaticWebsite><Enabled>true</Enabled><IndexDocument>index.html</IndexDocument><ErrorDocument404Path>404.html</ErrorDocument404Path></StaticWebsite>"));

        Assert.Equal(new AnalyticsLogging("1.0", true, false, true, new AnalyticsRetention(true, 7)), update.Logging);
        Assert.Equal(new AnalyticsMetrics("1.0", true, false, AnalyticsRetention.Off), update.HourMetrics);
        Assert.Equal(new AnalyticsMetrics("1.0", false, null, AnalyticsRetention.Off), update.MinuteMetrics);
        Assert.Equal([new CorsRule("http://a.example", "GET,PUT", "x-ms-blob-type", "x-ms-meta-*", 60)], update.Cors!);
        Assert.Equal("2020-10-02", update.DefaultServiceVersion);
        Assert.Equal(new DeleteRetentionUpdate(30, true), update.DeleteRetentionPolicy);
        Assert.Equal(new StaticWebsiteSettings(true, "index.html", "404.html", null), update.StaticWebsite);
    }

    [Fact]
    public void Absent_elements_stay_null_and_an_empty_cors_deletes_every_rule()
    {
        var update = Parse(Root("<Cors/>"));
        Assert.NotNull(update.Cors);
        Assert.Empty(update.Cors);
        Assert.Null(update.Logging);
        Assert.Null(update.DeleteRetentionPolicy);
    }

    [Theory]
    [InlineData("<StorageServiceProperties><DeleteRetentionPolicy>", "InvalidXmlDocument")]
    [InlineData("", "InvalidXmlDocument")]
    [InlineData("<Other/>", "InvalidXmlDocument")]
    [InlineData("<StorageServiceProperties/>", "InvalidXmlDocument")]
    [InlineData("<!DOCTYPE x [<!ENTITY a \"b\">]><StorageServiceProperties/>", "InvalidXmlDocument")]
    [InlineData("<StorageServiceProperties><Unknown/></StorageServiceProperties>", "InvalidXmlDocument")]
    [InlineData("<StorageServiceProperties><Cors><Rule/></Cors></StorageServiceProperties>", "InvalidXmlDocument")]
    [InlineData("<StorageServiceProperties><Cors><CorsRule><AllowedOrigins>*</AllowedOrigins></CorsRule></Cors></StorageServiceProperties>", "InvalidXmlDocument")]
    [InlineData("<StorageServiceProperties><Cors/><Cors/></StorageServiceProperties>", "InvalidXmlDocument")]
    [InlineData("<StorageServiceProperties><Logging><Version>3.0</Version><Delete>true</Delete><Read>false</Read><Write>true</Write><RetentionPolicy><Enabled>false</Enabled></RetentionPolicy></Logging></StorageServiceProperties>", "InvalidXmlDocument")]
    [InlineData("<StorageServiceProperties><HourMetrics><Version>1.0</Version><Enabled>true</Enabled><RetentionPolicy><Enabled>false</Enabled></RetentionPolicy></HourMetrics></StorageServiceProperties>", "InvalidXmlDocument")]
    [InlineData("<StorageServiceProperties><StaticWebsite><Enabled>true</Enabled><Extra/></StaticWebsite></StorageServiceProperties>", "InvalidXmlDocument")]
    [InlineData("<StorageServiceProperties><DeleteRetentionPolicy><Enabled>true</Enabled></DeleteRetentionPolicy></StorageServiceProperties>", "InvalidXmlNodeValue")]
    [InlineData("<StorageServiceProperties><DeleteRetentionPolicy><Enabled>maybe</Enabled></DeleteRetentionPolicy></StorageServiceProperties>", "InvalidXmlNodeValue")]
    [InlineData("<StorageServiceProperties><DeleteRetentionPolicy><Enabled>true</Enabled><Days>seven</Days></DeleteRetentionPolicy></StorageServiceProperties>", "InvalidXmlNodeValue")]
    [InlineData("<StorageServiceProperties><DeleteRetentionPolicy><Enabled>true</Enabled><Days>366</Days></DeleteRetentionPolicy></StorageServiceProperties>", "InvalidXmlNodeValue")]
    [InlineData("<StorageServiceProperties><Logging><Version>1.0</Version><Delete>true</Delete><Read>false</Read><Write>true</Write><RetentionPolicy><Enabled>true</Enabled><Days>0</Days></RetentionPolicy></Logging></StorageServiceProperties>", "InvalidXmlNodeValue")]
    [InlineData("<StorageServiceProperties><DefaultServiceVersion>yesterday</DefaultServiceVersion></StorageServiceProperties>", "InvalidXmlNodeValue")]
    [InlineData("<StorageServiceProperties><DefaultServiceVersion>2001-01-01</DefaultServiceVersion></StorageServiceProperties>", "InvalidXmlNodeValue")]
    [InlineData("<StorageServiceProperties><StaticWebsite><Enabled>true</Enabled><IndexDocument>a.html</IndexDocument><DefaultIndexDocumentPath>b/a.html</DefaultIndexDocumentPath></StaticWebsite></StorageServiceProperties>", "InvalidXmlNodeValue")]
    public void Bad_bodies_are_refused_with_azures_codes(string xml, string code)
    {
        var error = Assert.Throws<BlobProtocolException>(() => Parse(xml));
        Assert.Equal(code, error.Error.Code);
    }

    [Theory]
    [InlineData("AllowedOrigins", "", "GET", "", "", "0")]
    [InlineData("AllowedMethods", "*", "FETCH", "", "", "0")]
    [InlineData("AllowedMethods", "*", "", "", "", "0")]
    [InlineData("MaxAgeInSeconds", "*", "GET", "", "", "-1")]
    [InlineData("MaxAgeInSeconds", "*", "GET", "", "", "1e3")]
    [InlineData("AllowedHeaders", "*", "GET", "a*,b*,c*", "", "0")]
    [InlineData("ExposedHeaders", "*", "GET", "", "a*,b*,c*", "0")]
    public void Cors_values_outside_azures_rules_name_their_node(string node, string origins, string methods, string allowed, string exposed, string maxAge)
    {
        var xml = Root($"<Cors><CorsRule><AllowedOrigins>{origins}</AllowedOrigins><AllowedMethods>{methods}</AllowedMethods><MaxAgeInSeconds>{maxAge}</MaxAgeInSeconds>" +
            $"<ExposedHeaders>{exposed}</ExposedHeaders><AllowedHeaders>{allowed}</AllowedHeaders></CorsRule></Cors>");
        var error = Assert.Throws<BlobProtocolException>(() => Parse(xml));
        Assert.Equal("InvalidXmlNodeValue", error.Error.Code);
        Assert.Contains(new KeyValuePair<string, string>("XmlNodeName", node), error.Details);
    }

    [Fact]
    public void Cors_limits_are_azures()
    {
        Parse(Root("<Cors>" + string.Concat(Enumerable.Repeat(Rule, 5)) + "</Cors>"));
        var six = Assert.Throws<BlobProtocolException>(() => Parse(Root("<Cors>" + string.Concat(Enumerable.Repeat(Rule, 6)) + "</Cors>")));
        Assert.Equal("InvalidXmlNodeValue", six.Error.Code);

        var longOrigin = "http://" + new string('a', 250);
        Assert.Throws<BlobProtocolException>(() => Parse(Root(Rule.Replace("http://a.example", longOrigin, StringComparison.Ordinal))));

        var literals = string.Join(',', Enumerable.Range(0, 65).Select(i => "x-h" + i));
        Assert.Throws<BlobProtocolException>(() => Parse(Root("<Cors>" + Rule.Replace("x-ms-blob-type", literals, StringComparison.Ordinal) + "</Cors>")));

        // Every rule's values together at most 2 KB.
        var origins = string.Join(',', Enumerable.Range(0, 40).Select(i => "http://origin" + i + ".example"));
        var big = Rule.Replace("http://a.example", origins, StringComparison.Ordinal);
        var tooBig = Assert.Throws<BlobProtocolException>(() => Parse(Root("<Cors>" + big + big + big + "</Cors>")));
        Assert.Contains(new KeyValuePair<string, string>("XmlNodeName", "Cors"), tooBig.Details);
    }

    [Fact]
    public void An_unknown_element_is_named_in_the_reason()
    {
        var error = Assert.Throws<BlobProtocolException>(() => Parse(Root("<Cors/><Bogus/>")));
        Assert.Contains(new KeyValuePair<string, string>("Reason", "Element 'Bogus' is not recognized."), error.Details);
    }

    [Fact]
    public void The_get_body_has_everything_in_azures_order()
    {
        var properties = BlobServiceProperties.Default with
        {
            Cors = [new CorsRule("*", "GET", "*", "x-ms-*", 5)],
            DefaultServiceVersion = "2021-08-06",
            StaticWebsite = new StaticWebsiteSettings(true, null, "err.html", "docs/index.html"),
        };
        var root = XDocument.Parse(Encoding.UTF8.GetString(ServicePropertiesXml.Body(properties, new DataProtectionSettings(BlobSoftDeleteDays: 7, AllowPermanentDelete: true)))).Root!;

        Assert.Equal(["Logging", "HourMetrics", "MinuteMetrics", "Cors", "DefaultServiceVersion", "DeleteRetentionPolicy", "StaticWebsite"], root.Elements().Select(e => e.Name.LocalName));
        var rule = root.Element("Cors")!.Element("CorsRule")!;
        Assert.Equal(["AllowedOrigins", "AllowedMethods", "MaxAgeInSeconds", "ExposedHeaders", "AllowedHeaders"], rule.Elements().Select(e => e.Name.LocalName));
        var policy = root.Element("DeleteRetentionPolicy")!;
        Assert.Equal(("true", "7", "true"), (policy.Element("Enabled")!.Value, policy.Element("Days")!.Value, policy.Element("AllowPermanentDelete")!.Value));
        Assert.Null(root.Element("HourMetrics")!.Element("IncludeAPIs"));
        Assert.Equal("docs/index.html", root.Element("StaticWebsite")!.Element("DefaultIndexDocumentPath")!.Value);

        var defaults = XDocument.Parse(Encoding.UTF8.GetString(ServicePropertiesXml.Body(BlobServiceProperties.Default, DataProtectionSettings.Off))).Root!;
        Assert.Null(defaults.Element("DefaultServiceVersion"));
        Assert.Empty(defaults.Element("Cors")!.Elements());
        Assert.Null(defaults.Element("DeleteRetentionPolicy")!.Element("Days"));
    }
}
