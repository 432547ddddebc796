using Strongroom.Core;

namespace Strongroom.Storage;

/// <summary>The transparency logs' tables (migration 6). See <see cref="IAuditStore"/>.</summary>
public sealed partial class SqliteMetadataStore : IAuditStore
{
    public Task<IReadOnlyList<long>> AppendAuditEntriesAsync(IReadOnlyList<AuditAppend> entries, CancellationToken cancellationToken = default) => throw new NotImplementedException("issue 4: store");

    public Task<AuditTreeHead> GetAuditTreeHeadAsync(string log, CancellationToken cancellationToken = default) => throw new NotImplementedException("issue 4: store");

    public Task<IReadOnlyList<string>> ListAuditLogsAsync(CancellationToken cancellationToken = default) => throw new NotImplementedException("issue 4: store");

    public Task<IReadOnlyList<StoredAuditEntry>> ReadAuditEntriesAsync(string log, long start, long end, CancellationToken cancellationToken = default) => throw new NotImplementedException("issue 4: store");

    public Task<byte[]> GetAuditRootAsync(string log, long size, CancellationToken cancellationToken = default) => throw new NotImplementedException("issue 4: store");

    public Task<IReadOnlyList<byte[]>> GetAuditInclusionProofAsync(string log, long index, long size, CancellationToken cancellationToken = default) => throw new NotImplementedException("issue 4: store");

    public Task<IReadOnlyList<byte[]>> GetAuditConsistencyProofAsync(string log, long first, long second, CancellationToken cancellationToken = default) => throw new NotImplementedException("issue 4: store");

    public Task<IReadOnlyList<byte[]>> ReadAuditHashesAsync(string log, int level, long start, int count, CancellationToken cancellationToken = default) => throw new NotImplementedException("issue 4: store");

    public Task SaveAuditCheckpointAsync(StoredCheckpoint checkpoint, CancellationToken cancellationToken = default) => throw new NotImplementedException("issue 4: store");

    public Task<StoredCheckpoint?> GetLatestAuditCheckpointAsync(string log, CancellationToken cancellationToken = default) => throw new NotImplementedException("issue 4: store");

    public Task<long> PruneAuditEntryBodiesAsync(string log, DateTimeOffset before, CancellationToken cancellationToken = default) => throw new NotImplementedException("issue 4: store");

    public Task<long> GetAuditRetainedFromAsync(string log, CancellationToken cancellationToken = default) => throw new NotImplementedException("issue 4: store");

    public Task<AccountRecord> SetAccountAuditSettingsAsync(string account, DataPlaneLogging dataPlane, int retentionDays, AuditAppend? audit, CancellationToken cancellationToken = default) => throw new NotImplementedException("issue 4: store");
}
