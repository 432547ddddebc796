using Strongroom.Core;

namespace Strongroom.Server;

public sealed partial class Deployment
{
    /// <summary>
    /// The account's record as stored, for its transparency log settings (<see cref="AccountRecord.AuditDataPlane"/>,
    /// <see cref="AccountRecord.AuditRetentionDays"/>); null when there is no such account. The CLI
    /// reads it here so that it never sees the storage layer.
    /// </summary>
    public Task<AccountRecord?> GetAccountRecordAsync(string account, CancellationToken cancellationToken = default) =>
        Store.GetAccountAsync(account, cancellationToken);
}
