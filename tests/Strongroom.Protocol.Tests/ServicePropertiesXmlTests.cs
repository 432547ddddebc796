using System.Text;
using System.Xml.Linq;
using Strongroom.Core;
using Strongroom.Protocol.Blob;

namespace Strongroom.Protocol.Tests;

/// <summary>The Get/Set Blob Service Properties bodies (issue 7: DeleteRetentionPolicy only).</summary>
public sealed class ServicePropertiesXmlTests
{
    private static DeleteRetentionPolicyRequest? Parse(string xml)
    {
        var bytes = Encoding.UTF8.GetBytes(xml);
        return ServicePropertiesXml.ParseDeleteRetentionPolicy(bytes, bytes.Length);
    }

    [Fact]
    public void The_policy_is_read_and_everything_else_ignored()
    {
        var policy = Parse("<StorageServiceProperties><Logging><Version>1.0</Version><Delete>true</Delete></Logging>" +
            "<DeleteRetentionPolicy><Enabled>true</Enabled><Days>30</Days><AllowPermanentDelete>true</AllowPermanentDelete></DeleteRetentionPolicy>" +
            "<Cors><CorsRule><AllowedOrigins>*</AllowedOrigins></CorsRule></Cors></StorageServiceProperties>");

        Assert.Equal(new DeleteRetentionPolicyRequest(30, true), policy);
        Assert.Equal(new DeleteRetentionPolicyRequest(null, false), Parse("<StorageServiceProperties><DeleteRetentionPolicy><Enabled>false</Enabled><Days>9</Days></DeleteRetentionPolicy></StorageServiceProperties>"));
        Assert.Null(Parse("<StorageServiceProperties><HourMetrics><Enabled>false</Enabled></HourMetrics></StorageServiceProperties>"));
    }

    [Theory]
    [InlineData("<StorageServiceProperties><DeleteRetentionPolicy><Enabled>true</Enabled></DeleteRetentionPolicy></StorageServiceProperties>", "InvalidXmlNodeValue")]
    [InlineData("<StorageServiceProperties><DeleteRetentionPolicy><Enabled>maybe</Enabled></DeleteRetentionPolicy></StorageServiceProperties>", "InvalidXmlNodeValue")]
    [InlineData("<StorageServiceProperties><DeleteRetentionPolicy><Enabled>true</Enabled><Days>seven</Days></DeleteRetentionPolicy></StorageServiceProperties>", "InvalidXmlNodeValue")]
    [InlineData("<StorageServiceProperties><DeleteRetentionPolicy><Days>7</Days></DeleteRetentionPolicy></StorageServiceProperties>", "InvalidXmlNodeValue")]
    [InlineData("<StorageServiceProperties><DeleteRetentionPolicy>", "InvalidXmlDocument")]
    [InlineData("<Other/>", "InvalidXmlDocument")]
    [InlineData("<!DOCTYPE x [<!ENTITY a \"b\">]><StorageServiceProperties/>", "InvalidXmlDocument")]
    public void Bad_bodies_are_refused_with_azures_codes(string xml, string code)
    {
        var error = Assert.Throws<BlobProtocolException>(() => Parse(xml));
        Assert.Equal(code, error.Error.Code);
    }

    [Fact]
    public void The_get_body_has_azures_defaults_and_the_policy()
    {
        var body = XDocument.Parse(Encoding.UTF8.GetString(ServicePropertiesXml.Body(new DataProtectionSettings(BlobSoftDeleteDays: 7, AllowPermanentDelete: true))));
        var root = body.Root!;

        Assert.Equal(["Logging", "HourMetrics", "MinuteMetrics", "Cors", "DeleteRetentionPolicy", "StaticWebsite"], root.Elements().Select(e => e.Name.LocalName));
        var policy = root.Element("DeleteRetentionPolicy")!;
        Assert.Equal(("true", "7", "true"), (policy.Element("Enabled")!.Value, policy.Element("Days")!.Value, policy.Element("AllowPermanentDelete")!.Value));
        var off = XDocument.Parse(Encoding.UTF8.GetString(ServicePropertiesXml.Body(DataProtectionSettings.Off))).Root!.Element("DeleteRetentionPolicy")!;
        Assert.Null(off.Element("Days"));
        Assert.Equal("false", off.Element("Enabled")!.Value);
    }
}
