namespace Strongroom.Core;

/// <summary>
/// Every bound in one place. Values follow Azure Blob Storage where Azure publishes one.
/// </summary>
public static class Limits
{
    // Names (https://learn.microsoft.com/rest/api/storageservices/naming-and-referencing-containers--blobs--and-metadata)
    public const int AccountNameLengthMin = 3;
    public const int AccountNameLengthMax = 24;
    public const int ContainerNameLengthMin = 3;
    public const int ContainerNameLengthMax = 63;
    public const int BlobNameLengthMax = 1024;
    public const int BlobNamePathSegmentsMax = 254;

    /// <summary>Total size of all metadata names and values on a container or blob.</summary>
    public const int MetadataBytesMax = 8 * 1024;

    // Block blobs
    public const long PutBlobBytesMax = 5000L * 1024 * 1024;
    public const long BlockBytesMax = 4000L * 1024 * 1024;
    public const int BlockIdBytesMax = 64;
    public const int CommittedBlocksMax = 50_000;
    public const int UncommittedBlocksMax = 100_000;
    public const long BlockListXmlBytesMax = 8L * 1024 * 1024;

    /// <summary>Attempts at a block-list commit that raced another commit to the same blob.</summary>
    public const int CommitRetriesMax = 5;

    /// <summary>Writes group-committed in one metadata transaction (one fsync).</summary>
    public const int MetadataWriteGroupMax = 256;

    /// <summary>Empty files a local site keeps ready so that a write need not create one.</summary>
    public const int SiteSpareFilesMax = 64;

    /// <summary>Spare files created in parallel (creation is mostly waiting on the file system).</summary>
    public const int SiteSpareFilesCreatedAtOnce = 8;

    // Listing
    public const int ListResultsMax = 5000;

    // Requests
    public const int RequestHeaderBytesMax = 64 * 1024;
    public const int ConcurrentRequestsMax = 1024;
    public static readonly TimeSpan RequestDateSkewMax = TimeSpan.FromMinutes(15);
    public const long TransactionalMd5RangeBytesMax = 4L * 1024 * 1024;

    // Encryption at rest
    public const int SegmentPlaintextBytes = 64 * 1024;
    public const int DataKeyBytes = 32;
    public const int AccountKeyBytes = 64;

    // Encryption scopes and customer-provided keys
    public const int EncryptionScopeNameLengthMin = 3;
    public const int EncryptionScopeNameLengthMax = 63;

    /// <summary>Scopes per account (Azure's documented ceiling for auto-rotating customer-managed scopes).</summary>
    public const int EncryptionScopesPerAccountMax = 10_000;

    /// <summary>A customer-provided key is AES-256: 32 bytes, Base64 on the wire.</summary>
    public const int CustomerProvidedKeyBytes = 32;

    /// <summary>Bytes of a key-encryption key of an encryption scope.</summary>
    public const int ScopeKeyEncryptionKeyBytes = 32;

    /// <summary>A customer-managed key's name in the tenant's vault (Key Vault allows 1–127).</summary>
    public const int CustomerKeyNameLengthMax = 127;

    // Keys (rotation and caching)

    /// <summary>Unwrapped account key-encryption keys held in memory (least recently used evicted, wiped).</summary>
    public const int UnwrappedKeyCacheEntriesMax = 1024;

    /// <summary>Wrapped keys read, rewrapped and compare-and-swapped per metadata transaction by the rewrapper.</summary>
    public const int RewrapBatchMax = 256;

    // Key Vault API (issue 3)
    public const int VaultItemNameLengthMax = 127;
    public const int SecretValueBytesMax = 25 * 1024;
    public const int VaultTagsMax = 15;
    public const int VaultTagNameLengthMax = 512;
    public const int VaultTagValueLengthMax = 512;
    public const int VaultContentTypeLengthMax = 255;
    public const int VaultListResultsMax = 25;
    public const int VaultRequestBodyBytesMax = 256 * 1024;
    public const int VaultOperationInputBytesMax = 64 * 1024;
    public const int SoftDeleteRetentionDaysMin = 7;
    public const int SoftDeleteRetentionDaysMax = 90;
    public static readonly TimeSpan BearerTokenLifetimeDefault = TimeSpan.FromHours(1);
    public static readonly TimeSpan BearerTokenLifetimeMax = TimeSpan.FromHours(24);
    public const int BearerTokenCharsMax = 4096;

    // The vault (issue 3): seal, unseal and the control socket
    /// <summary>Body of <c>PUT /.strongroom/sys/unseal</c>: one share and a little JSON.</summary>
    public const int UnsealRequestBytesMax = 4 * 1024;

    /// <summary>One CLI command forwarded over the control socket (arguments and input), and its answer.</summary>
    public const int ControlRequestBytesMax = 256 * 1024;
    public const int ControlResponseBytesMax = 16 * 1024 * 1024;

    /// <summary>Commands the control socket runs at the same time; further connections wait.</summary>
    public const int ControlCommandsConcurrentMax = 4;

    // The transparency log (issue 4)
    /// <summary>Cyber Security Law art. 21: network logs are kept at least six months. A shorter setting is refused.</summary>
    public const int AuditRetentionDaysMin = 180;

    /// <summary>
    /// New accounts and the platform log: 183 days (issue 10, compliance), six months as assessors
    /// count them (180 days is shorter than most six-month spans); the compliance report's row AU-3
    /// fails a log kept fewer days.
    /// </summary>
    public const int AuditRetentionDaysDefault = 183;
    public const int AuditRetentionDaysMax = 36500;

    /// <summary>One canonical entry; an entry bundle (tlog-tiles) frames each with a uint16 length.</summary>
    public const int AuditEntryBytesMax = 16 * 1024;

    /// <summary>Free text in an entry (justification, detail values), in characters.</summary>
    public const int AuditTextCharsMax = 1024;

    /// <summary>Entries returned by one range request.</summary>
    public const int AuditEntriesPageMax = 1000;

    /// <summary>A new checkpoint is signed for every log that grew at least this often.</summary>
    public static readonly TimeSpan AuditCheckpointInterval = TimeSpan.FromSeconds(10);

    /// <summary>How often the pruner removes entry bodies past their retention.</summary>
    public static readonly TimeSpan AuditPruneInterval = TimeSpan.FromHours(1);

    /// <summary>Hashes in a full tile (C2SP tlog-tiles).</summary>
    public const int AuditTileWidth = 256;

    /// <summary>Entry bodies a prune erases per metadata transaction, so a long-overdue prune does not hold the write lock for millions of rows.</summary>
    public const int AuditPruneBatchMax = 10_000;

    // Datacenters (issue 5)

    /// <summary>Copies of one object in a custom redundancy.</summary>
    public const int CopiesMax = 9;

    /// <summary>Sites in one topology file.</summary>
    public const int TopologySitesMax = 256;

    /// <summary>Bytes of a topology file.</summary>
    public const int TopologyFileBytesMax = 1024 * 1024;

    /// <summary>How often the repair worker runs a pass (probe down sites, make owed copies, carry tombstones, remove orphans).</summary>
    public static readonly TimeSpan RepairInterval = TimeSpan.FromSeconds(10);

    /// <summary>How often a down site is probed: by every server for its own view of site health, and within a repair pass.</summary>
    public static readonly TimeSpan SiteProbeInterval = TimeSpan.FromSeconds(5);

    /// <summary>Every copy is read back and its checksum verified at least this often.</summary>
    public static readonly TimeSpan ScrubInterval = TimeSpan.FromDays(7);

    /// <summary>An unreferenced site object is removed only when two orphan scans at least this far apart both found it (a write publishes its object just before the store commits it).</summary>
    public static readonly TimeSpan OrphanGrace = TimeSpan.FromMinutes(10);

    /// <summary>Copies the repair worker makes, verifies or deletes per batch (one store read, one store transaction).</summary>
    public const int RepairBatchMax = 256;

    /// <summary>Copies made in parallel by the repair worker and replicator.</summary>
    public const int RepairParallelMax = 8;

    /// <summary>Copies deleted in parallel when objects are dropped (a deleted container can drop many).</summary>
    public const int SiteDeletesParallelMax = 16;

    /// <summary>Blobs in one page of a locations listing.</summary>
    public const int LocationsPageMax = 1000;

    /// <summary>How often the repair worker lists every site for unreferenced objects (each listing reads a whole site).</summary>
    public static readonly TimeSpan OrphanScanInterval = TimeSpan.FromMinutes(5);

    /// <summary>Objects the scrub walk verifies in one repair pass (the rest of the cycle continues at the next pass).</summary>
    public const int ScrubObjectsPerPassMax = 1024;

    /// <summary>Ciphertext bytes the scrub walk reads in one repair pass.</summary>
    public const long ScrubBytesPerPassMax = 1L << 30;

    /// <summary>Repair passes one drain runs before it reports what is left (a target site down, nothing that fits).</summary>
    public const int DrainPassesMax = 16;

    /// <summary>Blobs whose copies one placement report lists (a container or blob scope); beyond it the report says it is truncated.</summary>
    public const int PlacementReportBlobsMax = 10_000;

    /// <summary>
    /// One try of one request to a remote (Azure Blob) site: connecting, sending (a whole staged
    /// block), and each read of a response body. A dead datacenter costs at most
    /// (<see cref="RemoteSiteRetriesMax"/> + 1) tries of this plus the retry delays.
    /// </summary>
    public static readonly TimeSpan RemoteSiteTimeout = TimeSpan.FromSeconds(10);

    /// <summary>Establishing a connection to a remote site (a black-holed endpoint fails here, not after <see cref="RemoteSiteTimeout"/>).</summary>
    public static readonly TimeSpan RemoteSiteConnectTimeout = TimeSpan.FromSeconds(3);

    /// <summary>Retries of a failed request to a remote site (after the first try): few, so a killed datacenter fails in seconds and the write goes on with the other copies.</summary>
    public const int RemoteSiteRetriesMax = 2;

    /// <summary>The first delay before retrying a remote site request (doubling, up to <see cref="RemoteSiteRetryDelayMax"/>).</summary>
    public static readonly TimeSpan RemoteSiteRetryDelay = TimeSpan.FromMilliseconds(200);

    public static readonly TimeSpan RemoteSiteRetryDelayMax = TimeSpan.FromSeconds(1);

    /// <summary>Bytes of one staged block of a remote-site write (a write holds two: one filling, one being sent), and the largest object sent in a single request.</summary>
    public const int RemoteSiteBlockBytes = 4 * 1024 * 1024;

    // Operators, tenant administrators, lockbox and transfers (issue 6).

    /// <summary>A management-plane session ends after this long without a call (MLPS 2.0 8.1.4.1 b).</summary>
    public static readonly TimeSpan SessionIdleTimeout = TimeSpan.FromMinutes(15);

    /// <summary>A session ends this long after sign-in, however busy.</summary>
    public static readonly TimeSpan SessionLifetimeMax = TimeSpan.FromHours(8);

    /// <summary>Consecutive failed sign-ins that lock a principal.</summary>
    public const int LoginFailuresMax = 5;

    /// <summary>How long a principal stays locked after <see cref="LoginFailuresMax"/> failures.</summary>
    public static readonly TimeSpan LoginLockout = TimeSpan.FromMinutes(15);

    /// <summary>Passwords: at least this many characters...</summary>
    public const int PasswordCharsMin = 12;

    /// <summary>...and at most this many (Argon2id hashes any length; this bounds the work a caller can ask for).</summary>
    public const int PasswordCharsMax = 256;

    /// <summary>TOTP (RFC 6238): 30-second steps, 6 digits, SHA-1 (what authenticator apps support), 160-bit seeds.</summary>
    public const int TotpStepSeconds = 30;

    public const int TotpDigits = 6;

    public const int TotpSeedBytes = 20;

    /// <summary>Steps either side of now a code may come from (clock drift between phone and server).</summary>
    public const int TotpWindowSteps = 1;

    /// <summary>A lockbox grant lasts at most this long once activated.</summary>
    public static readonly TimeSpan GrantDurationMax = TimeSpan.FromHours(8);

    /// <summary>A lockbox or transfer request not decided (or a grant not activated) within this long expires (Azure Customer Lockbox: 4 days); configurable per deployment.</summary>
    public static readonly TimeSpan AccessRequestPendingDefault = TimeSpan.FromDays(4);

    /// <summary>Bounds of the configurable pending lifetime.</summary>
    public static readonly TimeSpan AccessRequestPendingMin = TimeSpan.FromMinutes(5);

    public static readonly TimeSpan AccessRequestPendingMax = TimeSpan.FromDays(30);

    /// <summary>Characters of a justification, a transfer's purpose or its legal reference.</summary>
    public const int JustificationCharsMax = 1024;

    /// <summary>How often the server expires requests and ends grants past their time (each also checked on use).</summary>
    public static readonly TimeSpan AccessSweepInterval = TimeSpan.FromMinutes(1);

    /// <summary>Requests one listing of lockbox requests or transfers returns.</summary>
    public const int AccessRequestsPageMax = 1000;

    /// <summary>Bytes of a management-plane request body (JSON).</summary>
    public const int ManagementRequestBytesMax = 64 * 1024;

    /// <summary>Blobs one transfer run copies before it reports progress and stops (run again to go on).</summary>
    public const int TransferBlobsPerRunMax = 100_000;

    /// <summary>Characters of a lockbox grant token (its payload is a few short claims; anything longer is refused before it is parsed).</summary>
    public const int GrantTokenCharsMax = 2048;

    /// <summary>Times a lockbox or transfer transition re-reads and decides again after losing its compare-and-swap to a concurrent one.</summary>
    public const int AccessTransitionAttemptsMax = 8;

    // Data protection and destruction (issue 7).

    /// <summary>Azure's bounds of a blob or container soft-delete retention (DeleteRetentionPolicy Days).</summary>
    public const int BlobSoftDeleteDaysMin = 1;

    public const int BlobSoftDeleteDaysMax = 365;

    /// <summary>How long a closed account can be reopened before its keys are destroyed; configurable per close.</summary>
    public static readonly TimeSpan AccountCloseGraceDefault = TimeSpan.FromDays(30);

    /// <summary>Bounds of a closure's grace period (0: destroy at the next sweep).</summary>
    public static readonly TimeSpan AccountCloseGraceMax = TimeSpan.FromDays(365);

    /// <summary>How often the server purges soft-deleted data past its retention, destroys closed accounts past their grace, and sweeps sites.</summary>
    public static readonly TimeSpan DestructionSweepInterval = TimeSpan.FromMinutes(1);

    /// <summary>Instances or containers one purge pass takes (then it goes on in the next pass).</summary>
    public const int PurgeBatchMax = 1000;

    /// <summary>Azure's container legal hold: at most 10 tags, each 3 to 23 letters and digits.</summary>
    public const int LegalHoldTagsMax = 10;

    public const int LegalHoldTagCharsMin = 3;

    public const int LegalHoldTagCharsMax = 23;

    /// <summary>The Set Blob Service Properties body (Azure's is a few KiB at most, CORS rules included).</summary>
    public const int ServicePropertiesXmlBytesMax = 64 * 1024;

    /// <summary>Writes that erased wrapped keys whose acknowledgements wait for one truncating WAL checkpoint, at most (it also runs whenever no write is queued).</summary>
    public const int ErasingWritesHeldMax = 64;

    /// <summary>How long the oldest of those waits at most while other writes keep the queue busy.</summary>
    public static readonly TimeSpan ErasingWriteHoldMax = TimeSpan.FromMilliseconds(20);

    /// <summary>Data-key ids a container-purge certificate lists one by one; above this it records their count and digest only.</summary>
    public const int CertificateKeyIdsMax = 10_000;

    /// <summary>Destruction certificates one listing returns (the newest first; an account has one per container purge and one for its closure).</summary>
    public const int CertificatesListMax = 1000;

    /// <summary>A destruction certificate's document at most (its data key ids at <see cref="CertificateKeyIdsMax"/>, proofs and checkpoint fit with room to spare); the verifier reads no more.</summary>
    public const int CertificateDocumentBytesMax = 4 * 1024 * 1024;

    // Issue 8, leases.
    /// <summary>A fixed lease lasts 15 to 60 seconds (Azure); -1 asks for an infinite one.</summary>
    public const int LeaseDurationSecondsMin = 15;

    public const int LeaseDurationSecondsMax = 60;

    /// <summary>x-ms-lease-break-period: 0 to 60 seconds (Azure).</summary>
    public const int LeaseBreakPeriodSecondsMax = 60;

    /// <summary>A lease id (x-ms-lease-id, x-ms-proposed-lease-id) is a GUID in any of .NET's formats; the longest ("X" form) is 68 characters.</summary>
    public const int LeaseIdCharsMax = 68;
    // Issue 8, copy.
    /// <summary>Sub-requests one Blob Batch may carry (Azure: 256).</summary>
    public const int BatchSubRequestsMax = 256;

    /// <summary>A Blob Batch body at most (Azure: 4 MB).</summary>
    public const int BatchBodyBytesMax = 4 * 1024 * 1024;

    /// <summary>Header lines one batch sub-request may carry (a sub-request is a Delete Blob or Set Blob Tier: a handful).</summary>
    public const int BatchSubRequestHeadersMax = 64;

    // Issue 8, sas.
    /// <summary>Stored access policies (signed identifiers) per container, as Azure allows.</summary>
    public const int SignedIdentifiersPerContainerMax = 5;

    /// <summary>A signed identifier's length at most, as Azure allows.</summary>
    public const int SignedIdentifierIdCharsMax = 64;

    /// <summary>The Set Container ACL body at most (five policies are well under 2 KiB).</summary>
    public const int ContainerAclXmlBytesMax = 64 * 1024;

    /// <summary>A SAS query parameter's value at most (longer values are refused before any work is done).</summary>
    public const int SasParameterCharsMax = 2048;
    // Issue 8, page.

    /// <summary>A page blob's page (Azure): sizes and page ranges are multiples of it.</summary>
    public const int PageBytes = 512;

    /// <summary>A page blob's largest size (Azure: 8 TiB).</summary>
    public const long PageBlobBytesMax = 8L * 1024 * 1024 * 1024 * 1024;

    /// <summary>The most one Put Page (update) or Put Page From URL writes (Azure: 4 MiB).</summary>
    public const int PutPageBytesMax = 4 * 1024 * 1024;

    /// <summary>
    /// A page blob is stored as chunks of this many bytes, each its own encrypted object with its
    /// own data key, so a page write re-encrypts only the chunks it touches (never the blob). Part of
    /// the stored layout (a chunk's part ordinal is its index): frozen.
    /// </summary>
    public const int PageChunkBytes = 1024 * 1024;

    /// <summary>Locks that serialise writers of the same page-blob chunk in this process (by hash of blob and chunk).</summary>
    public const int PageChunkLockStripes = 1024;
    // Issue 8, tags.

    /// <summary>Azure's blob index tags: at most 10 per blob, keys 1–128 characters, values 0–256.</summary>
    public const int BlobTagsMax = 10;

    public const int BlobTagKeyCharsMax = 128;

    public const int BlobTagValueCharsMax = 256;

    /// <summary>A Set Blob Tags body (10 tags of the longest keys and values fit in a few KiB).</summary>
    public const int BlobTagsXmlBytesMax = 64 * 1024;

    /// <summary>A tag filter (Find Blobs by Tags' <c>where</c>, <c>x-ms-if-tags</c>): characters and predicates at most.</summary>
    public const int TagExpressionCharsMax = 4096;

    public const int TagExpressionPredicatesMax = 10;

    /// <summary>Parentheses an x-ms-if-tags expression nests at most (bounded recursion: a hostile header cannot exhaust the stack).</summary>
    public const int TagExpressionNestingMax = 16;

    /// <summary>Blobs one Find Blobs by Tags page examines at most before it answers with a marker (bounded work per request).</summary>
    public const int FindBlobsByTagsScanMax = 50_000;
    // Issue 8, service.
    /// <summary>CORS rules per account (Azure's five).</summary>
    public const int CorsRulesMax = 5;

    /// <summary>An allowed origin, allowed header or exposed header, at most (Azure's 256 characters).</summary>
    public const int CorsValueCharsMax = 256;

    /// <summary>Allowed origins of one rule (Azure's 64).</summary>
    public const int CorsOriginsMax = 64;

    /// <summary>Literal (exact) header names in one rule's AllowedHeaders or ExposedHeaders (Azure's 64).</summary>
    public const int CorsLiteralHeadersMax = 64;

    /// <summary>Prefixed header names (<c>x-ms-meta-*</c>) in one rule's AllowedHeaders or ExposedHeaders (Azure's two).</summary>
    public const int CorsPrefixedHeadersMax = 2;

    /// <summary>Every CORS rule's values together, XML tags excluded (Azure's 2 KB).</summary>
    public const int CorsSettingsCharsMax = 2048;

    /// <summary>Storage Analytics retention (Logging, HourMetrics, MinuteMetrics), as Azure: 1 to 365 days.</summary>
    public const int AnalyticsRetentionDaysMin = 1;

    public const int AnalyticsRetentionDaysMax = 365;

    /// <summary>A StaticWebsite document path (Azure takes a blob name; 1,024 characters is a blob name's bound).</summary>
    public const int StaticWebsitePathCharsMax = 1024;

    // Issue 8, append.
    /// <summary>One Append Block (Azure: 100 MiB from service version 2022-11-02; every version gets it here).</summary>
    public const long AppendBlockBytesMax = 100L * 1024 * 1024;

    /// <summary>Committed blocks of an append blob (Azure: 50,000 appends, then 409 BlockCountExceedsLimit).</summary>
    public const int AppendBlocksMax = 50_000;

    // Issue 8, clients.

    /// Header fields one request may carry. Azure bounds metadata by its 8 KiB of names and values,
    /// not by a count, so a request with hundreds of short x-ms-meta-* pairs is valid there (the
    /// HTTP layer's default of 100 fields refused it with a bare 431); the header block's bytes
    /// (<see cref="RequestHeaderBytesMax"/>) stay the real bound.
    public const int RequestHeaderFieldsMax = 4096;

    // Issue 9, coordination.

    /// <summary>
    /// How often a server refreshes its instance row and renews the leases of the background jobs
    /// it holds: a fifth of <see cref="JobLeaseDuration"/>, so four heartbeats in a row may be
    /// lost (a busy database, a pause) before the leases lapse.
    /// </summary>
    public static readonly TimeSpan InstanceHeartbeatInterval = TimeSpan.FromSeconds(2);

    /// <summary>
    /// How long a background job's lease lasts from its last renewal: the longest a job stays with
    /// a server that was killed (SIGKILL, power loss) before another one takes it over. Short enough
    /// for a prompt handover; long enough that a stalled but live holder is not displaced by a
    /// hiccup (five heartbeats).
    /// </summary>
    public static readonly TimeSpan JobLeaseDuration = TimeSpan.FromSeconds(10);

    /// <summary>An instance not heard from for this long is stale (shown so by <c>strongroom status</c>, ignored by the topology check): one lease duration.</summary>
    public static readonly TimeSpan InstanceStaleAfter = TimeSpan.FromSeconds(10);

    /// <summary>Rows of instances stopped or stale for longer than this are removed when a server registers.</summary>
    public static readonly TimeSpan InstanceRecordRetention = TimeSpan.FromDays(7);

    /// <summary>Characters of a background job's name.</summary>
    public const int BackgroundJobNameCharsMax = 64;

    /// <summary>Data-plane endpoints one instance row records.</summary>
    public const int InstanceEndpointsMax = 8;

    // Issue 9, crossproc.
    /// <summary>
    /// Attempts of one page write's read-merge-swap of its chunks: a lost compare-and-swap (another
    /// server wrote one of the chunks) re-reads and merges again. Each loss means another write
    /// committed, so the bound is only reached under contention no client would sustain; then 503.
    /// </summary>
    public const int PageChunkSwapAttemptsMax = 16;

    /// <summary>
    /// How long a server serves an account's service properties (CORS rules, DefaultServiceVersion)
    /// from memory: a Set on another server of the deployment takes effect here within this time
    /// (at once on the server that committed it).
    /// </summary>
    public static readonly TimeSpan ServicePropertiesCacheDuration = TimeSpan.FromSeconds(10);

    /// <summary>
    /// How often a server reads the sites' durable states (drain, failover, removal) from the shared
    /// store, so a change made through another server of the deployment reaches its placement.
    /// </summary>
    public static readonly TimeSpan SiteStatesRefreshInterval = TimeSpan.FromSeconds(10);

    /// <summary>
    /// Age (last write) past which a partial or spare file in a directory site's <c>tmp</c> is
    /// abandoned, when servers share the site: a live write touches its file far more often (the
    /// data plane's minimum request body rate), so only a dead process's files are this old.
    /// </summary>
    public static readonly TimeSpan AbandonedWriteGrace = TimeSpan.FromHours(1);

    // Issue 10, ops.
    /// <summary>
    /// How long <c>/readyz</c> waits for the metadata store's answer before it reports the store
    /// unreachable: a probe must answer well inside a load balancer's or Kubernetes' timeout (1 s by
    /// default in Kubernetes, so probes should set <c>timeoutSeconds</c> above this).
    /// </summary>
    public static readonly TimeSpan ReadinessStoreTimeout = TimeSpan.FromSeconds(2);

    /// <summary>Accounts <c>/readyz</c> names when their write quorum cannot be met (the count is always given).</summary>
    public const int ReadinessAccountsListedMax = 20;

    /// <summary>
    /// Replication lag (the oldest owed copy's age) past which <c>strongroom status</c> lists the
    /// account as a problem: the same threshold as the StrongroomReplicationLagHigh alert
    /// (deploy/prometheus/strongroom-alerts.yml).
    /// </summary>
    public static readonly TimeSpan StatusReplicationLagWarning = TimeSpan.FromMinutes(15);

    /// <summary>Servers <c>strongroom status</c> lists one per line (newest start first); <c>--verbose</c> lists every one in full.</summary>
    public const int StatusServersListedMax = 4;

    // Issue 9, instance ids across servers.
    /// <summary>
    /// Attempts at a write that stamps a blob with a new version, snapshot or deletion id when
    /// another server stamped the blob with the same id or a newer one (same clock tick, or clocks
    /// that differ): each attempt stamps past the newest id found, so the second attempt normally
    /// lands; then 503.
    /// </summary>
    public const int InstanceIdStampAttemptsMax = 8;
}
