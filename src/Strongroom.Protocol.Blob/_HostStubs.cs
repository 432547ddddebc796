// HOST STUB — delete at merge: the protocol worktree provides the real BlobProtocolHandler and
// BlobProtocolOptions with these exact public signatures. This file exists only so the host compiles.
using Microsoft.AspNetCore.Http;
using Strongroom.Blobs;
using Strongroom.Core;

namespace Strongroom.Protocol.Blob;

public sealed class BlobProtocolHandler(BlobService blobs, TimeProvider time, IRandomSource random, BlobProtocolOptions options)
{
    private readonly BlobService blobs = blobs;
    private readonly TimeProvider time = time;
    private readonly IRandomSource random = random;
    private readonly BlobProtocolOptions options = options;

    public Task HandleAsync(HttpContext context)
    {
        GC.KeepAlive((blobs, time, random, options));
        context.Response.StatusCode = StatusCodes.Status501NotImplemented;
        return Task.CompletedTask;
    }
}

public sealed class BlobProtocolOptions
{
    public bool RequireHttps { get; set; }
}
