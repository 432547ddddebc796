namespace Strongroom.Compliance;

/// <summary>
/// Everything the checklist judges, read from one live deployment at one moment
/// (<c>Deployment.CollectComplianceEvidenceAsync</c> in the server). Plain facts, no services: the
/// evaluation is a pure function of this record, so every row is unit-tested from hand-made
/// snapshots. Nothing here is secret: names, counts, states, endpoints (no keys, tokens or seeds).
/// </summary>
public sealed record ComplianceEvidence
{
    /// <summary>The deployment's id (its platform log's origin).</summary>
    public required string DeploymentId { get; init; }

    public required DateTimeOffset CollectedOn { get; init; }

    /// <summary>A development vault (<c>--dev</c>: its 1-of-1 unseal share stored beside it, plain HTTP, the public development account).</summary>
    public required bool Development { get; init; }

    /// <summary>The servers registered as alive (deployment_instances), with their endpoints as served (the scheme tells TLS).</summary>
    public required IReadOnlyList<ServerEvidence> Servers { get; init; }

    /// <summary>The TLS protocol versions the listeners accept when they use TLS (the build's setting).</summary>
    public required IReadOnlyList<string> TlsProtocols { get; init; }

    public required IReadOnlyList<SiteEvidence> Sites { get; init; }

    public required SealEvidence Seal { get; init; }

    /// <summary>Operators and tenant administrators (enabled and disabled).</summary>
    public required IReadOnlyList<PrincipalEvidence> Principals { get; init; }

    public required SignInEvidence SignIn { get; init; }

    /// <summary>How long the platform log keeps entry bodies (days).</summary>
    public required int PlatformLogRetentionDays { get; init; }

    /// <summary>A fresh verification of the platform log and of every account's log.</summary>
    public required IReadOnlyList<LogEvidence> Logs { get; init; }

    public required IReadOnlyList<AccountEvidence> Accounts { get; init; }

    public required IReadOnlyList<GrantEvidence> Grants { get; init; }

    public required IReadOnlyList<TransferEvidence> Transfers { get; init; }

    public required IReadOnlyList<DestructionEvidence> Destructions { get; init; }
}

/// <summary>A live server: its id, host, data endpoints and management endpoint (null until bound).</summary>
public sealed record ServerEvidence(string Id, string HostName, IReadOnlyList<string> DataEndpoints, string? ManagementEndpoint);

/// <summary>A site of the topology: where it is, its administrative state, and for a remote backend the endpoint's scheme.</summary>
public sealed record SiteEvidence(string Id, string Region, string Zone, string Jurisdiction, string State, string Backend, string? RemoteScheme);

/// <summary>The seal: N shares issued, K needed to unseal.</summary>
public sealed record SealEvidence(bool Initialised, int Shares, int Threshold);

/// <summary>A principal. <paramref name="Kind"/>: <c>operator</c> or <c>tenant-admin</c>; <paramref name="Role"/>: an operator's role name.</summary>
public sealed record PrincipalEvidence(string Kind, string Id, string? Role, string SecondFactor, bool Disabled)
{
    public bool IsOperator => Kind == "operator";
}

/// <summary>The sign-in rules the build enforces.</summary>
public sealed record SignInEvidence(
    int PasswordCharsMin,
    int PasswordClassesMin,
    int LoginFailuresMax,
    TimeSpan Lockout,
    TimeSpan SessionIdleTimeout,
    TimeSpan SessionLifetimeMax);

/// <summary>A log's fresh verification: <paramref name="Log"/> is an account name or <c>$platform</c>.</summary>
public sealed record LogEvidence(string Log, long Size, bool Verified, string Result);

/// <summary>
/// An account: state, cipher suite, whether its key-encryption key is present, its residency and
/// redundancy, its log retention, and the scan of its copies (<see cref="Copies"/>: one row per
/// site, state and transfer).
/// </summary>
public sealed record AccountEvidence
{
    public required string Name { get; init; }

    /// <summary>enabled, disabled, closed, destroyed.</summary>
    public required string State { get; init; }

    public required string CipherSuite { get; init; }

    public required bool KeyEncryptionKeyPresent { get; init; }

    /// <summary>The jurisdictions the account's copies may be in; empty for an account without a placement policy (the deployment default applies).</summary>
    public required IReadOnlyList<string> Residency { get; init; }

    /// <summary>The account's default redundancy in copies.</summary>
    public required int RedundancyCopies { get; init; }

    public required int AuditRetentionDays { get; init; }

    public required long Objects { get; init; }

    /// <summary>Objects stored without a wrapped data key (would be readable without the vault): must be 0.</summary>
    public required long ObjectsWithoutWrappedKey { get; init; }

    /// <summary>Objects with fewer than two Present copies inside the residency (a copy being made is Pending).</summary>
    public required long ObjectsWithOneCopy { get; init; }

    public required IReadOnlyList<CopyEvidence> Copies { get; init; }

    public bool Destroyed => State == "destroyed";
}

/// <summary>Copies of an account's objects on one site in one state (present, pending, bad), made under <paramref name="TransferId"/> or not.</summary>
public sealed record CopyEvidence(string SiteId, string Jurisdiction, string State, string? TransferId, long Count);

/// <summary>A lockbox request or grant: its state and who approved it.</summary>
public sealed record GrantEvidence(string Id, string Account, string State, string Requester, string? TenantApprover, string? SecurityApprover);

/// <summary>A cross-border transfer: destination, its jurisdiction, legal basis and reference, state and approvers.</summary>
public sealed record TransferEvidence(
    string Id,
    string Account,
    string DestinationSiteId,
    string DestinationJurisdiction,
    string LegalBasis,
    string State,
    string? TenantApprover,
    string? SecurityApprover);

/// <summary>A destruction and its certificates: how many were issued and whether each verifies (signature, log inclusion).</summary>
public sealed record DestructionEvidence(string Id, string Account, string State, int Certificates, int CertificatesVerified, string? Failure);
