namespace Strongroom.Core;

/// <summary>
/// Every Blob REST operation, named exactly as Azure names it. Operations not implemented yet
/// are listed too: the protocol layer answers them with Azure's "not implemented" error, and
/// docs/compatibility.md keeps the matrix.
/// </summary>
public enum BlobOperation
{
    // Service
    ListContainers,
    GetBlobServiceProperties,
    SetBlobServiceProperties,
    GetBlobServiceStats,
    GetAccountInformation,
    GetUserDelegationKey,
    FindBlobsByTags,
    SubmitBatch,

    // Container
    CreateContainer,
    GetContainerProperties,
    GetContainerMetadata,
    SetContainerMetadata,
    GetContainerAcl,
    SetContainerAcl,
    DeleteContainer,
    RestoreContainer,
    RenameContainer,
    LeaseContainer,
    ListBlobs,

    // Blob
    PutBlob,
    PutBlock,
    PutBlockList,
    GetBlockList,
    GetBlob,
    GetBlobProperties,
    SetBlobProperties,
    GetBlobMetadata,
    SetBlobMetadata,
    DeleteBlob,
    UndeleteBlob,
    SnapshotBlob,
    CopyBlob,
    IncrementalCopyBlob,
    AbortCopyBlob,
    PutBlobFromUrl,
    PutBlockFromUrl,
    LeaseBlob,
    SetBlobTier,
    SetBlobExpiry,
    GetBlobTags,
    SetBlobTags,
    AppendBlock,
    AppendBlockFromUrl,
    SealAppendBlob,
    PutPage,
    PutPageFromUrl,
    GetPageRanges,
    SetBlobImmutabilityPolicy,
    DeleteBlobImmutabilityPolicy,
    SetBlobLegalHold,
    QueryBlobContents,
}
