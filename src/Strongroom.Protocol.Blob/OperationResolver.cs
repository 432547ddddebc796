using Strongroom.Core;

namespace Strongroom.Protocol.Blob;

/// <summary>The operation a request names, and the container and blob it addresses.</summary>
public readonly record struct ResolvedOperation(BlobOperation Operation, string? Container, string? Blob);

/// <summary>Method + <c>restype</c> + <c>comp</c> (+ a few headers) → <see cref="BlobOperation"/>.</summary>
public static class OperationResolver
{
    /// <summary>
    /// Resolves the operation, or throws <see cref="BlobProtocolException"/>: an unknown
    /// <c>comp</c> is 400 InvalidQueryParameterValue, a method the resource does not take is
    /// 405 UnsupportedHttpVerb.
    /// </summary>
    public static ResolvedOperation Resolve(string method, RequestTarget target, Func<string, bool> hasHeader)
    {
        var restype = target.GetQuery("restype");
        var comp = target.GetQuery("comp");
        var container = target.Container;
        var blob = target.Blob;

        if (container is null)
        {
            return new(ResolveService(method, restype, comp), null, null);
        }

        if (blob is null)
        {
            if (Is(restype, "container"))
            {
                return new(ResolveContainer(method, comp), container, null);
            }

            if (restype is not null)
            {
                throw BlobProtocolException.Query(ErrorMapping.InvalidQueryParameterValue, "restype", restype);
            }

            // Azure's implicit root container: "/account/name" without restype is the blob
            // "name" in "$root".
            blob = container;
            container = "$root";
        }

        return new(ResolveBlob(method, comp, hasHeader), container, blob);
    }

    private static BlobOperation ResolveService(string method, string? restype, string? comp)
    {
        if (restype is null && Is(comp, "list"))
        {
            return Verb(method, "GET", BlobOperation.ListContainers);
        }

        if (restype is null && Is(comp, "blobs"))
        {
            return Verb(method, "GET", BlobOperation.FindBlobsByTags);
        }

        if (Is(comp, "batch"))
        {
            return Verb(method, "POST", BlobOperation.SubmitBatch);
        }

        if (Is(restype, "service"))
        {
            if (Is(comp, "properties"))
            {
                return method switch
                {
                    "GET" => BlobOperation.GetBlobServiceProperties,
                    "PUT" => BlobOperation.SetBlobServiceProperties,
                    _ => throw UnsupportedVerb(),
                };
            }

            if (Is(comp, "stats"))
            {
                return Verb(method, "GET", BlobOperation.GetBlobServiceStats);
            }

            if (Is(comp, "userdelegationkey"))
            {
                return Verb(method, "POST", BlobOperation.GetUserDelegationKey);
            }

            throw UnknownComp(comp);
        }

        if (Is(restype, "account"))
        {
            if (Is(comp, "properties"))
            {
                return method is "GET" or "HEAD" ? BlobOperation.GetAccountInformation : throw UnsupportedVerb();
            }

            throw UnknownComp(comp);
        }

        if (restype is not null)
        {
            throw BlobProtocolException.Query(ErrorMapping.InvalidQueryParameterValue, "restype", restype);
        }

        if (comp is null)
        {
            throw BlobProtocolException.Query(ErrorMapping.MissingRequiredQueryParameter, "comp", null);
        }

        throw UnknownComp(comp);
    }

    private static BlobOperation ResolveContainer(string method, string? comp)
    {
        if (comp is null)
        {
            return method switch
            {
                "PUT" => BlobOperation.CreateContainer,
                "GET" or "HEAD" => BlobOperation.GetContainerProperties,
                "DELETE" => BlobOperation.DeleteContainer,
                _ => throw UnsupportedVerb(),
            };
        }

        switch (comp.ToLowerInvariant())
        {
            case "metadata":
                return method switch
                {
                    "GET" or "HEAD" => BlobOperation.GetContainerMetadata,
                    "PUT" => BlobOperation.SetContainerMetadata,
                    _ => throw UnsupportedVerb(),
                };
            case "acl":
                return method switch
                {
                    "GET" or "HEAD" => BlobOperation.GetContainerAcl,
                    "PUT" => BlobOperation.SetContainerAcl,
                    _ => throw UnsupportedVerb(),
                };
            case "list":
                return Verb(method, "GET", BlobOperation.ListBlobs);
            case "undelete":
                return Verb(method, "PUT", BlobOperation.RestoreContainer);
            case "rename":
                return Verb(method, "PUT", BlobOperation.RenameContainer);
            case "lease":
                return Verb(method, "PUT", BlobOperation.LeaseContainer);
            case "batch":
                return Verb(method, "POST", BlobOperation.SubmitBatch);
            case "blobs":
                return Verb(method, "GET", BlobOperation.FindBlobsByTags);
            default:
                throw UnknownComp(comp);
        }
    }

    private static BlobOperation ResolveBlob(string method, string? comp, Func<string, bool> hasHeader)
    {
        var fromUrl = hasHeader("x-ms-copy-source");
        if (comp is null)
        {
            return method switch
            {
                "PUT" when fromUrl && hasHeader("x-ms-blob-type") && !hasHeader("x-ms-requires-sync") => BlobOperation.PutBlobFromUrl,
                "PUT" when fromUrl => BlobOperation.CopyBlob,
                "PUT" => BlobOperation.PutBlob,
                "GET" => BlobOperation.GetBlob,
                "HEAD" => BlobOperation.GetBlobProperties,
                "DELETE" => BlobOperation.DeleteBlob,
                _ => throw UnsupportedVerb(),
            };
        }

        switch (comp.ToLowerInvariant())
        {
            case "block":
                return Verb(method, "PUT", fromUrl ? BlobOperation.PutBlockFromUrl : BlobOperation.PutBlock);
            case "blocklist":
                return method switch
                {
                    "PUT" => BlobOperation.PutBlockList,
                    "GET" => BlobOperation.GetBlockList,
                    _ => throw UnsupportedVerb(),
                };
            case "properties":
                return Verb(method, "PUT", BlobOperation.SetBlobProperties);
            case "metadata":
                return method switch
                {
                    "GET" or "HEAD" => BlobOperation.GetBlobMetadata,
                    "PUT" => BlobOperation.SetBlobMetadata,
                    _ => throw UnsupportedVerb(),
                };
            case "undelete":
                return Verb(method, "PUT", BlobOperation.UndeleteBlob);
            case "snapshot":
                return Verb(method, "PUT", BlobOperation.SnapshotBlob);
            case "copy":
                return Verb(method, "PUT", BlobOperation.AbortCopyBlob);
            case "incrementalcopy":
                return Verb(method, "PUT", BlobOperation.IncrementalCopyBlob);
            case "expiry":
                return Verb(method, "PUT", BlobOperation.SetBlobExpiry);
            case "lease":
                return Verb(method, "PUT", BlobOperation.LeaseBlob);
            case "tier":
                return Verb(method, "PUT", BlobOperation.SetBlobTier);
            case "tags":
                return method switch
                {
                    "GET" => BlobOperation.GetBlobTags,
                    "PUT" => BlobOperation.SetBlobTags,
                    _ => throw UnsupportedVerb(),
                };
            case "appendblock":
                return Verb(method, "PUT", fromUrl ? BlobOperation.AppendBlockFromUrl : BlobOperation.AppendBlock);
            case "seal":
                return Verb(method, "PUT", BlobOperation.SealAppendBlob);
            case "page":
                return Verb(method, "PUT", fromUrl ? BlobOperation.PutPageFromUrl : BlobOperation.PutPage);
            case "pagelist":
                return Verb(method, "GET", BlobOperation.GetPageRanges);
            case "immutabilitypolicies":
                return method switch
                {
                    "PUT" => BlobOperation.SetBlobImmutabilityPolicy,
                    "DELETE" => BlobOperation.DeleteBlobImmutabilityPolicy,
                    _ => throw UnsupportedVerb(),
                };
            case "legalhold":
                return Verb(method, "PUT", BlobOperation.SetBlobLegalHold);
            case "query":
                return Verb(method, "POST", BlobOperation.QueryBlobContents);
            default:
                throw UnknownComp(comp);
        }
    }

    private static bool Is(string? value, string expected) =>
        value is not null && string.Equals(value, expected, StringComparison.OrdinalIgnoreCase);

    private static BlobOperation Verb(string method, string expected, BlobOperation operation) =>
        method == expected ? operation : throw UnsupportedVerb();

    private static BlobProtocolException UnsupportedVerb() => new(ErrorMapping.UnsupportedHttpVerb);

    private static BlobProtocolException UnknownComp(string? comp) =>
        BlobProtocolException.Query(ErrorMapping.InvalidQueryParameterValue, "comp", comp);
}
