using Strongroom.Core;
using Strongroom.Storage;

namespace Strongroom.Audit;

/// <summary>
/// The transparency log service: builds entries attributed to <see cref="OperationContext.Current"/>,
/// records them fail-closed, signs checkpoints, and prunes bodies past retention. One log per
/// account (its name is the log id) and the platform log (<see cref="AuditLogs.Platform"/>).
///
/// Recording rules (issue 4, item 2), applied by the services that call it:
/// - always: key and scope operations, deletions and destructions, configuration changes,
///   vault (Key Vault API) operations, and in the platform log seal, unseal, rekey, keyring
///   rotation, server start and stop;
/// - data plane per the account's <see cref="DataPlaneLogging"/> (<see cref="RecordsDataPlane"/>).
/// A write passes its entry (<see cref="Entry"/>) to the metadata store's write so both commit in
/// one transaction; a read or a privileged action calls <see cref="RecordAsync(AuditAppend, CancellationToken)"/>
/// before returning data or granting access.
/// </summary>
public sealed class TransparencyLog(IAuditStore store, CheckpointSigner signer, Func<string> deploymentId, TimeProvider time)
{
    public IAuditStore Store => store;

    public CheckpointSigner Signer => signer;

    /// <summary>The deployment's id (hex), as in the seal file.</summary>
    public string DeploymentId => deploymentId();

    /// <summary>The checkpoint origin of a log: <c>strongroom/&lt;deployment&gt;/&lt;account&gt;</c>, or <c>…/platform</c>.</summary>
    public string Origin(string log) => throw new NotImplementedException("issue 4: wiring");

    /// <summary>The log id an origin names, or null when it is not one of this deployment's.</summary>
    public string? LogOf(string origin) => throw new NotImplementedException("issue 4: wiring");

    /// <summary>An entry for <paramref name="log"/> attributed to the current operation context, now.</summary>
    public AuditAppend Entry(
        string log,
        string action,
        string resource,
        string outcome = AuditOutcomes.Success,
        IReadOnlyList<KeyValuePair<string, string>>? details = null,
        IReadOnlyList<string>? sites = null,
        string? justification = null) => throw new NotImplementedException("issue 4: wiring");

    /// <summary>Whether a data-plane operation is recorded under <paramref name="setting"/> (deletions: always).</summary>
    public static bool RecordsDataPlane(DataPlaneLogging setting, BlobOperation operation) => throw new NotImplementedException("issue 4: wiring");

    /// <summary>Records entries on their own, durably, before returning. AuditLogUnavailable when the store refuses: the caller must not proceed.</summary>
    public Task RecordAsync(AuditAppend entry, CancellationToken cancellationToken = default) => throw new NotImplementedException("issue 4: wiring");

    /// <summary>Records several entries in one transaction (an event that concerns two logs, e.g. account deletion).</summary>
    public Task RecordAsync(IReadOnlyList<AuditAppend> entries, CancellationToken cancellationToken = default) => throw new NotImplementedException("issue 4: wiring");

    /// <summary>
    /// A pseudonym for a sensitive identifier (a token, a SAS signature): HMAC-SHA-256 under a key
    /// derived from the keyring for this purpose, first 16 bytes in hex. The same identifier
    /// always gets the same pseudonym in one deployment, so entries can be correlated without
    /// revealing it.
    /// </summary>
    public string Pseudonym(string kind, ReadOnlySpan<byte> identifier) => throw new NotImplementedException("issue 4: wiring");

    /// <summary>The newest checkpoint of the log, signing one first when the tree grew since the last (on demand). A log never written gets a checkpoint of size 0.</summary>
    public Task<StoredCheckpoint> GetCheckpointAsync(string log, CancellationToken cancellationToken = default) => throw new NotImplementedException("issue 4: wiring");

    /// <summary>Signs a checkpoint for every log that grew since its last one (the interval publisher); returns how many.</summary>
    public Task<int> PublishCheckpointsAsync(CancellationToken cancellationToken = default) => throw new NotImplementedException("issue 4: wiring");

    /// <summary>Erases entry bodies past each log's retention (accounts: their setting; the platform log and deleted accounts' logs: the default); returns how many.</summary>
    public Task<long> PruneAsync(CancellationToken cancellationToken = default) => throw new NotImplementedException("issue 4: wiring");

    /// <summary>Validates and stores an account's logging settings, recording the change in its log. InvalidAuditSetting below the minimum retention (the message cites CSL art. 21).</summary>
    public Task<AccountRecord> SetSettingsAsync(string account, DataPlaneLogging dataPlane, int retentionDays, CancellationToken cancellationToken = default) => throw new NotImplementedException("issue 4: wiring");

    // Reads for the tenant's endpoints and the verifier (pass-throughs, so callers need no store types).

    public Task<AuditTreeHead> GetTreeHeadAsync(string log, CancellationToken cancellationToken = default) => store.GetAuditTreeHeadAsync(log, cancellationToken);

    public Task<IReadOnlyList<StoredAuditEntry>> ReadEntriesAsync(string log, long start, long end, CancellationToken cancellationToken = default) => store.ReadAuditEntriesAsync(log, start, end, cancellationToken);

    public Task<IReadOnlyList<byte[]>> GetInclusionProofAsync(string log, long index, long size, CancellationToken cancellationToken = default) => store.GetAuditInclusionProofAsync(log, index, size, cancellationToken);

    public Task<IReadOnlyList<byte[]>> GetConsistencyProofAsync(string log, long first, long second, CancellationToken cancellationToken = default) => store.GetAuditConsistencyProofAsync(log, first, second, cancellationToken);

    public Task<IReadOnlyList<byte[]>> ReadHashesAsync(string log, int level, long start, int count, CancellationToken cancellationToken = default) => store.ReadAuditHashesAsync(log, level, start, count, cancellationToken);

    public Task<long> GetRetainedFromAsync(string log, CancellationToken cancellationToken = default) => store.GetAuditRetainedFromAsync(log, cancellationToken);

    /// <summary>The verifier key tenants pin for <paramref name="log"/> (VaultSealed while sealed).</summary>
    public NoteVerifierKey VerifierKey(string log) => signer.VerifierKey(Origin(log));

    internal TimeProvider Time => time;
}
