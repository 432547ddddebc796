using Microsoft.AspNetCore.Http;

namespace Strongroom.Protocol.Blob;

public sealed partial class BlobProtocolHandler
{
    private Task SubmitBatchAsync(HttpContext context, RequestTarget target, string? container) =>
        throw new BlobProtocolException(ErrorMapping.NotImplemented("SubmitBatch"));
}
