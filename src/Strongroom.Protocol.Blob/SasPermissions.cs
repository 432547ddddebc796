using Strongroom.Core;

namespace Strongroom.Protocol.Blob;

/// <summary>The level of the resource an operation acts on, as an account SAS's <c>srt</c> names it.</summary>
public enum SasResourceLevel
{
    /// <summary><c>s</c>: service-level operations (list containers, service properties and stats).</summary>
    Service,

    /// <summary><c>c</c>: container-level operations (create, delete, properties, metadata, list blobs).</summary>
    Container,

    /// <summary><c>o</c>: object-level operations (every blob operation).</summary>
    Object,
}

/// <summary>
/// What a SAS must grant for an operation: the resource level and any one of the permission
/// letters (Azure's tables in "Create an account SAS" and "Create a service SAS"). An empty
/// <see cref="AnyOf"/> means no SAS may perform the operation (Azure's 403 AuthorizationFailure,
/// e.g. reading or changing a container's ACL); <see cref="AnyPermission"/> means any non-empty permission.
/// </summary>
public readonly record struct SasRequirement(SasResourceLevel Level, string AnyOf)
{
    public const string AnyPermission = "*";

    public bool IsForbidden => AnyOf.Length == 0;

    public bool IsGrantedBy(string permissions) =>
        AnyOf == AnyPermission ? permissions.Length > 0 : permissions.AsSpan().IndexOfAny(AnyOf) >= 0;
}

/// <summary>Maps each <see cref="BlobOperation"/> (and the request details that change what it needs) to its <see cref="SasRequirement"/>.</summary>
public static class SasPermissions
{
    /// <summary>
    /// The requirement of <paramref name="operation"/>. <paramref name="getQuery"/> and
    /// <paramref name="getHeader"/> give the request's query parameters and headers: deleting a
    /// version needs x (delete version), a permanent delete y, and breaking a lease d or w.
    /// </summary>
    public static SasRequirement For(BlobOperation operation, Func<string, string?> getQuery, Func<string, string?> getHeader)
    {
        ArgumentNullException.ThrowIfNull(getQuery);
        ArgumentNullException.ThrowIfNull(getHeader);
        var isBreak = string.Equals(getHeader("x-ms-lease-action"), "break", StringComparison.OrdinalIgnoreCase);
        return operation switch
        {
            BlobOperation.ListContainers => new(SasResourceLevel.Service, "l"),
            BlobOperation.GetBlobServiceProperties or BlobOperation.GetBlobServiceStats => new(SasResourceLevel.Service, "r"),
            BlobOperation.SetBlobServiceProperties => new(SasResourceLevel.Service, "w"),
            BlobOperation.GetAccountInformation => new(SasResourceLevel.Service, SasRequirement.AnyPermission),
            BlobOperation.FindBlobsByTags when getQuery("restype") is null => new(SasResourceLevel.Service, "f"),
            BlobOperation.FindBlobsByTags => new(SasResourceLevel.Container, "f"),
            // Each sub-request of a batch is authorized on its own; the envelope needs only a valid SAS.
            BlobOperation.SubmitBatch => new(getQuery("restype") is null ? SasResourceLevel.Service : SasResourceLevel.Container, SasRequirement.AnyPermission),
            BlobOperation.GetUserDelegationKey => new(SasResourceLevel.Service, string.Empty),

            BlobOperation.CreateContainer => new(SasResourceLevel.Container, "cw"),
            BlobOperation.GetContainerProperties or BlobOperation.GetContainerMetadata => new(SasResourceLevel.Container, "r"),
            BlobOperation.SetContainerMetadata or BlobOperation.RestoreContainer => new(SasResourceLevel.Container, "w"),
            BlobOperation.DeleteContainer => new(SasResourceLevel.Container, "d"),
            BlobOperation.LeaseContainer => new(SasResourceLevel.Container, isBreak ? "dw" : "w"),
            BlobOperation.ListBlobs => new(SasResourceLevel.Container, "l"),
            // Like an ACL, renaming a container is for the account's key only.
            BlobOperation.GetContainerAcl or BlobOperation.SetContainerAcl or BlobOperation.RenameContainer => new(SasResourceLevel.Container, string.Empty),

            BlobOperation.PutBlob or BlobOperation.PutBlobFromUrl or BlobOperation.CopyBlob or BlobOperation.IncrementalCopyBlob
                or BlobOperation.PutBlockList or BlobOperation.SnapshotBlob
                => new(SasResourceLevel.Object, "cw"),
            BlobOperation.PutBlock or BlobOperation.PutBlockFromUrl or BlobOperation.PutPage or BlobOperation.PutPageFromUrl
                or BlobOperation.SetBlobProperties or BlobOperation.SetBlobMetadata or BlobOperation.UndeleteBlob
                or BlobOperation.AbortCopyBlob or BlobOperation.SetBlobTier or BlobOperation.SealAppendBlob or BlobOperation.SetBlobExpiry
                => new(SasResourceLevel.Object, "w"),
            BlobOperation.AppendBlock or BlobOperation.AppendBlockFromUrl => new(SasResourceLevel.Object, "aw"),
            BlobOperation.GetBlob or BlobOperation.GetBlobProperties or BlobOperation.GetBlobMetadata or BlobOperation.GetBlockList
                or BlobOperation.GetPageRanges or BlobOperation.QueryBlobContents
                => new(SasResourceLevel.Object, "r"),
            BlobOperation.DeleteBlob when string.Equals(getQuery("deletetype"), "permanent", StringComparison.OrdinalIgnoreCase) => new(SasResourceLevel.Object, "y"),
            BlobOperation.DeleteBlob when getQuery("versionid") is not null => new(SasResourceLevel.Object, "x"),
            BlobOperation.DeleteBlob => new(SasResourceLevel.Object, "d"),
            BlobOperation.LeaseBlob => new(SasResourceLevel.Object, isBreak ? "dw" : "w"),
            BlobOperation.GetBlobTags or BlobOperation.SetBlobTags => new(SasResourceLevel.Object, "t"),
            BlobOperation.SetBlobImmutabilityPolicy or BlobOperation.DeleteBlobImmutabilityPolicy or BlobOperation.SetBlobLegalHold
                => new(SasResourceLevel.Object, "i"),
            _ => new(SasResourceLevel.Object, string.Empty),
        };
    }

    /// <summary>The letter of <paramref name="level"/> in an account SAS's <c>srt</c>.</summary>
    public static char Letter(SasResourceLevel level) => level switch
    {
        SasResourceLevel.Service => 's',
        SasResourceLevel.Container => 'c',
        _ => 'o',
    };
}
