namespace Strongroom.Protocol.Blob;

/// <summary>An Azure error as it goes on the wire: status, <c>x-ms-error-code</c> and message.</summary>
public readonly record struct AzureError(int Status, string Code, string Message);

/// <summary>
/// A protocol-level rejection (bad header, bad query, failed authentication) raised while the
/// request is being interpreted, before or around the call to the blob service.
/// </summary>
public sealed class BlobProtocolException : Exception
{
    public BlobProtocolException(AzureError error, string? detail = null, IReadOnlyList<KeyValuePair<string, string>>? details = null)
        : base(detail ?? error.Message)
    {
        Error = error;
        Details = details ?? [];
    }

    public AzureError Error { get; }

    /// <summary>Extra elements of the error body (e.g. HeaderName, QueryParameterName, AuthenticationErrorDetail).</summary>
    public IReadOnlyList<KeyValuePair<string, string>> Details { get; }

    /// <summary>Extra response headers, e.g. <c>Content-Range: bytes */size</c> on a 416.</summary>
    public IReadOnlyList<KeyValuePair<string, string>> Headers { get; init; } = [];

    public static BlobProtocolException Header(AzureError error, string name, string? value) =>
        new(error, details: [new("HeaderName", name), new("HeaderValue", value ?? string.Empty)]);

    public static BlobProtocolException Query(AzureError error, string name, string? value, string? reason = null) =>
        new(error, details: reason is null
            ? [new("QueryParameterName", name), new("QueryParameterValue", value ?? string.Empty)]
            : [new("QueryParameterName", name), new("QueryParameterValue", value ?? string.Empty), new("Reason", reason)]);
}
