using Strongroom.Core;

namespace Strongroom.Storage;

/// <summary>
/// An account's Blob service properties (issue 8). Same contract as <see cref="IMetadataStore"/>:
/// every write is atomic and appends its <c>audit</c> entry in the same transaction.
/// </summary>
public interface IServicePropertiesStore
{
    /// <summary>The account's properties (<see cref="BlobServiceProperties.Default"/> until set); null when the account does not exist.</summary>
    Task<BlobServiceProperties?> GetBlobServicePropertiesAsync(string account, CancellationToken cancellationToken = default);

    /// <summary>
    /// Applies a Set Blob Service Properties body in one transaction: the root elements it names
    /// replace the stored ones (a read-modify-write inside the transaction, so concurrent Sets of
    /// different elements both land), and its DeleteRetentionPolicy goes to the account's
    /// data-protection settings. AccountNotFound. Returns what is stored afterwards.
    /// </summary>
    Task<(BlobServiceProperties Properties, DataProtectionSettings DataProtection)> SetBlobServicePropertiesAsync(
        string account,
        BlobServicePropertiesUpdate update,
        AuditAppend? audit = null,
        CancellationToken cancellationToken = default);
}
