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

    /// <summary>The purpose of the pseudonym key derived from the keyring (<see cref="Pseudonym"/>).</summary>
    public const string PseudonymDerivationPurpose = "transparency pseudonyms v1";

    /// <summary>The last segment of the platform log's origin. An account may not take this name (<see cref="IsReservedAccountName"/>).</summary>
    public const string PlatformOriginName = "platform";

    private const string OriginPrefix = "strongroom/";

    // One gate per log, so two callers in this process never sign the same size twice
    // (GetCheckpointAsync). Servers sharing the store may: the store keeps the first checkpoint of
    // a size, and each answers with what the store holds.
    private readonly System.Collections.Concurrent.ConcurrentDictionary<string, SemaphoreSlim> checkpointGates = new(StringComparer.Ordinal);

    /// <summary>
    /// True for an account name whose log origin would be the platform log's
    /// (<c>strongroom/&lt;id&gt;/platform</c>): one signing key serves every log, so the origin
    /// alone tells the logs apart, and no account may share the platform's.
    /// </summary>
    public static bool IsReservedAccountName(string name) => string.Equals(name, PlatformOriginName, StringComparison.Ordinal);

    /// <summary>The origin of <paramref name="log"/> in deployment <paramref name="deploymentId"/> (what <see cref="Origin"/> answers there), for verifiers that have no log service.</summary>
    public static string OriginOf(string deploymentId, string log) =>
        OriginPrefix + deploymentId + "/" + (log == AuditLogs.Platform ? PlatformOriginName : log);

    /// <summary>The checkpoint origin of a log: <c>strongroom/&lt;deployment&gt;/&lt;account&gt;</c>, or <c>…/platform</c>.</summary>
    public string Origin(string log)
    {
        ArgumentException.ThrowIfNullOrEmpty(log);
        var name = log == AuditLogs.Platform ? PlatformOriginName : log;
        Invariant.True(log == AuditLogs.Platform || (Names.IsValidAccountName(log) && !IsReservedAccountName(log)), "a log is the platform's or a valid account's");
        return OriginPrefix + DeploymentId + "/" + name;
    }

    /// <summary>The log id an origin names, or null when it is not one of this deployment's.</summary>
    public string? LogOf(string origin)
    {
        ArgumentNullException.ThrowIfNull(origin);
        var prefix = OriginPrefix + DeploymentId + "/";
        if (!origin.StartsWith(prefix, StringComparison.Ordinal))
        {
            return null;
        }

        var name = origin[prefix.Length..];
        if (name == PlatformOriginName)
        {
            return AuditLogs.Platform;
        }

        return Names.IsValidAccountName(name) ? name : null;
    }

    /// <summary>
    /// An entry for <paramref name="log"/> attributed to the current operation context, now. Its
    /// justification is <paramref name="justification"/>, or else the context's (an operation under
    /// a lockbox grant carries the grant's).
    /// </summary>
    public AuditAppend Entry(
        string log,
        string action,
        string resource,
        string outcome = AuditOutcomes.Success,
        IReadOnlyList<KeyValuePair<string, string>>? details = null,
        IReadOnlyList<string>? sites = null,
        string? justification = null,
        IReadOnlyList<string>? jurisdictions = null)
    {
        ArgumentException.ThrowIfNullOrEmpty(log);
        var context = OperationContext.Current;
        var now = time.GetUtcNow();
        var entry = new AuditEntry
        {
            Time = now,
            Actor = context.Actor,
            Action = action,
            Resource = resource,
            Outcome = outcome,
            RequestId = context.RequestId,
            ClientAddress = context.ClientAddress,
            Sites = sites ?? [],
            Jurisdictions = jurisdictions ?? [],
            Justification = justification ?? context.Justification,
            Details = details ?? [],
        };
        return new AuditAppend(log, now, entry.Encode());
    }

    /// <summary>Whether a data-plane operation is recorded under <paramref name="setting"/> (deletions: always).</summary>
    public static bool RecordsDataPlane(DataPlaneLogging setting, BlobOperation operation)
    {
        if (IsDeletion(operation))
        {
            return true;
        }

        return setting switch
        {
            DataPlaneLogging.All => true,
            DataPlaneLogging.Writes => !IsRead(operation),
            _ => false,
        };
    }

    /// <summary>Deletions of data: always recorded, whatever the setting.</summary>
    public static bool IsDeletion(BlobOperation operation) => operation is BlobOperation.DeleteBlob or BlobOperation.DeleteContainer;

    /// <summary>
    /// Operations that change nothing (recorded only under <see cref="DataPlaneLogging.All"/>).
    /// Everything else counts as a write, so an operation added later is logged by default.
    /// </summary>
    public static bool IsRead(BlobOperation operation) => operation is
        BlobOperation.ListContainers or BlobOperation.GetBlobServiceProperties or BlobOperation.GetBlobServiceStats
        or BlobOperation.GetAccountInformation or BlobOperation.FindBlobsByTags
        or BlobOperation.GetContainerProperties or BlobOperation.GetContainerMetadata or BlobOperation.GetContainerAcl
        or BlobOperation.ListBlobs or BlobOperation.GetBlockList or BlobOperation.GetBlob or BlobOperation.GetBlobProperties
        or BlobOperation.GetBlobMetadata or BlobOperation.GetBlobTags or BlobOperation.GetPageRanges or BlobOperation.QueryBlobContents;

    /// <summary>Records entries on their own, durably, before returning. AuditLogUnavailable when the store refuses: the caller must not proceed.</summary>
    public Task RecordAsync(AuditAppend entry, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(entry);
        return RecordAsync([entry], cancellationToken);
    }

    /// <summary>Records several entries in one transaction (an event that concerns two logs, e.g. account deletion).</summary>
    public async Task RecordAsync(IReadOnlyList<AuditAppend> entries, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(entries);
        if (entries.Count == 0)
        {
            return;
        }

        IReadOnlyList<long> indexes;
        try
        {
            indexes = await store.AppendAuditEntriesAsync(entries, cancellationToken).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            throw;
        }
        catch (StorageException exception) when (exception.Code == ErrorCode.AuditLogUnavailable)
        {
            throw;
        }
        catch (Exception exception) when (exception is not InvariantViolationException)
        {
            // The cause (a store error: no entry content, no secret) travels as the inner
            // exception for the server log; the caller sees only that the log is unavailable. The
            // store counted the failures of the append itself; this one failed around it (commit).
            StrongroomMetrics.AuditAppendFailures.Add(entries.Count);
            throw Unavailable(exception);
        }

        Invariant.True(indexes.Count == entries.Count, "the store returns one index per appended entry");
    }

    /// <summary>The error an operation fails with when its entry cannot be recorded.</summary>
    public static StorageException Unavailable(Exception? cause = null) =>
        new(ErrorCode.AuditLogUnavailable, "The transparency log could not record this operation, so it was not performed.", cause);

    /// <summary>
    /// A pseudonym for a sensitive identifier (a token, a SAS signature): HMAC-SHA-256 under a key
    /// derived from the keyring for this purpose, first 16 bytes in hex. The same identifier
    /// always gets the same pseudonym in one deployment, so entries can be correlated without
    /// revealing it.
    /// </summary>
    public string Pseudonym(string kind, ReadOnlySpan<byte> identifier)
    {
        ArgumentException.ThrowIfNullOrEmpty(kind);
        byte[] key;
        using (var lease = signer.Seal.AcquireKeyring())
        {
            key = lease.Keyring.DeriveKey(PseudonymDerivationPurpose, 1);
        }

        // kind ‖ 0x0A ‖ identifier: a token and a SAS with the same bytes get different pseudonyms.
        var kindBytes = System.Text.Encoding.UTF8.GetByteCount(kind);
        var message = new byte[kindBytes + 1 + identifier.Length];
        Span<byte> mac = stackalloc byte[32];
        try
        {
            System.Text.Encoding.UTF8.GetBytes(kind, message);
            message[kindBytes] = 0x0A;
            identifier.CopyTo(message.AsSpan(kindBytes + 1));
            System.Security.Cryptography.HMACSHA256.HashData(key, message, mac);
            return Convert.ToHexStringLower(mac[..16]);
        }
        finally
        {
            System.Security.Cryptography.CryptographicOperations.ZeroMemory(key);
            System.Security.Cryptography.CryptographicOperations.ZeroMemory(message);
            System.Security.Cryptography.CryptographicOperations.ZeroMemory(mac);
        }
    }

    /// <summary>The newest checkpoint of the log, signing one first when the tree grew since the last (on demand). A log never written gets a checkpoint of size 0.</summary>
    public async Task<StoredCheckpoint> GetCheckpointAsync(string log, CancellationToken cancellationToken = default)
    {
        var origin = Origin(log);
        var gate = checkpointGates.GetOrAdd(log, _ => new SemaphoreSlim(1, 1));
        await gate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            var head = await store.GetAuditTreeHeadAsync(log, cancellationToken).ConfigureAwait(false);
            var latest = await store.GetLatestAuditCheckpointAsync(log, cancellationToken).ConfigureAwait(false);
            if (latest is not null)
            {
                Invariant.True(latest.Size <= head.Size, "a log never shrinks below a checkpoint it published");
                if (latest.Size == head.Size)
                {
                    Invariant.True(
                        System.Security.Cryptography.CryptographicOperations.FixedTimeEquals(latest.RootHash, head.RootHash),
                        "a log's root at a published size never changes");
                    return latest;
                }
            }

            var note = signer.Sign(new Checkpoint(origin, head.Size, head.RootHash));
            var checkpoint = new StoredCheckpoint(log, head.Size, head.RootHash, time.GetUtcNow(), note);
            await store.SaveAuditCheckpointAsync(checkpoint, cancellationToken).ConfigureAwait(false);

            // Another server may have stored this size first (the store kept its checkpoint, not
            // this one) or a larger one since: answer with the newest stored, as every server does.
            var stored = await store.GetLatestAuditCheckpointAsync(log, cancellationToken).ConfigureAwait(false);
            Invariant.True(stored is not null && stored.Size >= checkpoint.Size, "a saved checkpoint is stored, or one of a larger tree");
            return stored!;
        }
        finally
        {
            gate.Release();
        }
    }

    /// <summary>Signs a checkpoint for every log that grew since its last one (the interval publisher); returns how many.</summary>
    public async Task<int> PublishCheckpointsAsync(CancellationToken cancellationToken = default)
    {
        var signed = 0;
        foreach (var log in await store.ListAuditLogsAsync(cancellationToken).ConfigureAwait(false))
        {
            var head = await store.GetAuditTreeHeadAsync(log, cancellationToken).ConfigureAwait(false);
            var latest = await store.GetLatestAuditCheckpointAsync(log, cancellationToken).ConfigureAwait(false);
            if (latest is not null && latest.Size == head.Size)
            {
                continue;
            }

            var checkpoint = await GetCheckpointAsync(log, cancellationToken).ConfigureAwait(false);
            if (latest is null || checkpoint.Size != latest.Size)
            {
                signed++;
            }
        }

        return signed;
    }

    /// <summary>Erases entry bodies past each log's retention (accounts: their setting; the platform log and deleted accounts' logs: the default); returns how many.</summary>
    public async Task<long> PruneAsync(CancellationToken cancellationToken = default)
    {
        var now = time.GetUtcNow();
        long pruned = 0;
        foreach (var log in await store.ListAuditLogsAsync(cancellationToken).ConfigureAwait(false))
        {
            var days = Limits.AuditRetentionDaysDefault;
            if (log != AuditLogs.Platform && await GetAccountAsync(log, cancellationToken).ConfigureAwait(false) is { } account)
            {
                // Never below the legal minimum, whatever a stored row says.
                days = Math.Max(account.AuditRetentionDays, Limits.AuditRetentionDaysMin);
            }

            pruned += await store.PruneAuditEntryBodiesAsync(log, now.AddDays(-days), cancellationToken).ConfigureAwait(false);
        }

        return pruned;
    }

    /// <summary>Validates and stores an account's logging settings, recording the change in its log. InvalidAuditSetting below the minimum retention (the message cites CSL art. 21).</summary>
    public async Task<AccountRecord> SetSettingsAsync(string account, DataPlaneLogging dataPlane, int retentionDays, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(account);
        if (!Enum.IsDefined(dataPlane))
        {
            throw new StorageException(ErrorCode.InvalidAuditSetting, "The data-plane logging setting must be none, writes or all.");
        }

        if (retentionDays < Limits.AuditRetentionDaysMin)
        {
            throw new StorageException(
                ErrorCode.InvalidAuditSetting,
                $"A retention of {retentionDays} days is refused: the Cyber Security Law art. 21 requires network logs to be kept at least six months ({Limits.AuditRetentionDaysMin} days).");
        }

        if (retentionDays > Limits.AuditRetentionDaysMax)
        {
            throw new StorageException(ErrorCode.InvalidAuditSetting, $"The retention is at most {Limits.AuditRetentionDaysMax} days.");
        }

        if (!Names.IsValidAccountName(account))
        {
            throw new StorageException(ErrorCode.AccountNotFound);
        }

        var entry = Entry(
            account,
            AuditActions.SetAuditSettings,
            "/" + account,
            details:
            [
                new("dataPlane", DataPlaneName(dataPlane)),
                new("retentionDays", retentionDays.ToString(System.Globalization.CultureInfo.InvariantCulture)),
            ]);
        return await store.SetAccountAuditSettingsAsync(account, dataPlane, retentionDays, entry, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>The setting as users type it: none, writes, all.</summary>
    public static string DataPlaneName(DataPlaneLogging setting) => setting switch
    {
        DataPlaneLogging.None => "none",
        DataPlaneLogging.Writes => "writes",
        DataPlaneLogging.All => "all",
        _ => throw new ArgumentOutOfRangeException(nameof(setting)),
    };

    /// <summary>The account record, when the store also holds accounts (SQLite and the planned PostgreSQL store hold both).</summary>
    private Task<AccountRecord?> GetAccountAsync(string account, CancellationToken cancellationToken) =>
        store is IMetadataStore metadata ? metadata.GetAccountAsync(account, cancellationToken) : Task.FromResult<AccountRecord?>(null);

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
