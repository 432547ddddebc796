using System.Xml.Linq;
using Strongroom.Core;
using Strongroom.Protocol.Blob;

namespace Strongroom.Protocol.Tests;

public sealed class ErrorMappingTests
{
    [Fact]
    public void EveryErrorCodeHasAnAzureError()
    {
        foreach (var code in Enum.GetValues<ErrorCode>())
        {
            var error = ErrorMapping.Map(code);
            Assert.InRange(error.Status, 300, 599);
            Assert.False(string.IsNullOrWhiteSpace(error.Code), code.ToString());
            Assert.False(string.IsNullOrWhiteSpace(error.Message), code.ToString());

            // Only a broken invariant, or a transparency log that cannot record (the operation
            // fails closed), may surface as an internal error; every other operating error is specific.
            Assert.True(code is ErrorCode.IntegrityCheckFailed or ErrorCode.AuditLogUnavailable || error.Code != "InternalError", $"{code} maps to InternalError");
        }
    }

    [Theory]
    [InlineData(ErrorCode.BlobNotFound, 404, "BlobNotFound", "The specified blob does not exist.")]
    [InlineData(ErrorCode.ContainerNotFound, 404, "ContainerNotFound", "The specified container does not exist.")]
    [InlineData(ErrorCode.ContainerAlreadyExists, 409, "ContainerAlreadyExists", "The specified container already exists.")]
    [InlineData(ErrorCode.BlobAlreadyExists, 409, "BlobAlreadyExists", "The specified blob already exists.")]
    [InlineData(ErrorCode.ConditionNotMet, 412, "ConditionNotMet", "The condition specified using HTTP conditional header(s) is not met.")]
    [InlineData(ErrorCode.InvalidRange, 416, "InvalidRange", "The range specified is invalid for the current size of the resource.")]
    [InlineData(ErrorCode.Md5Mismatch, 400, "Md5Mismatch", "The MD5 value specified in the request did not match with the MD5 value calculated by the server.")]
    [InlineData(ErrorCode.NotModified, 304, "ConditionNotMet", null)]
    [InlineData(ErrorCode.InvalidBlockId, 400, "InvalidQueryParameterValue", null)]
    [InlineData(ErrorCode.AccountNotFound, 404, "ResourceNotFound", null)]
    [InlineData(ErrorCode.AccountDisabled, 403, "AccountIsDisabled", null)]
    [InlineData(ErrorCode.IntegrityCheckFailed, 500, "InternalError", null)]
    [InlineData(ErrorCode.RequestBodyTooLarge, 413, "RequestBodyTooLarge", null)]
    [InlineData(ErrorCode.InvalidBlobType, 409, "InvalidBlobType", null)]
    [InlineData(ErrorCode.AuditLogUnavailable, 500, "InternalError", null)]
    [InlineData(ErrorCode.InvalidAuditSetting, 400, "InvalidInput", null)]
    [InlineData(ErrorCode.AuditLogNotFound, 404, "ResourceNotFound", null)]
    [InlineData(ErrorCode.InvalidAuditRange, 400, "OutOfRangeInput", null)]
    public void MapsWithAzureWording(ErrorCode code, int status, string azureCode, string? message)
    {
        var error = ErrorMapping.Map(code);
        Assert.Equal(status, error.Status);
        Assert.Equal(azureCode, error.Code);
        if (message is not null)
        {
            Assert.Equal(message, error.Message);
        }
    }

    [Fact]
    public void ErrorBodyHasAzureShape()
    {
        var time = new DateTimeOffset(2026, 8, 1, 12, 30, 45, 123, TimeSpan.Zero);
        var body = XmlResponses.ErrorBody("BlobNotFound", "The specified blob does not exist.", "0f8fad5b-d9cb-469f-a165-70867728950e", time, [new("AuthenticationErrorDetail", "x < y & \u0001")]);
        var text = System.Text.Encoding.UTF8.GetString(body);
        Assert.StartsWith("<?xml version=\"1.0\" encoding=\"utf-8\"?><Error><Code>BlobNotFound</Code>", text, StringComparison.Ordinal);
        Assert.NotEqual(0xEF, body[0]);
        var root = XDocument.Parse(text).Root!;
        Assert.Equal("The specified blob does not exist.\nRequestId:0f8fad5b-d9cb-469f-a165-70867728950e\nTime:2026-08-01T12:30:45.1230000Z", root.Element("Message")!.Value);
        Assert.Equal("x < y & ", root.Element("AuthenticationErrorDetail")!.Value);
    }
}
