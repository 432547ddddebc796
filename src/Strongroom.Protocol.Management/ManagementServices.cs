using System.Text.Json;
using Strongroom.Access;
using Strongroom.Audit;
using Strongroom.Core;
using Strongroom.Destruction;
using Strongroom.Placement;

namespace Strongroom.Protocol.Management;

/// <summary>What the management plane calls: the access services, and the host's platform operations as delegates (the host composes them).</summary>
public sealed class ManagementServices
{
    public required IdentityService Identities { get; init; }

    public required LockboxService Lockbox { get; init; }

    public required TransferService Transfers { get; init; }

    public required IRandomSource Random { get; init; }

    // The platform services below are optional so a test of one area composes only what it
    // needs; the server always sets them. A route whose service is missing answers 500.

    /// <summary>The transparency logs: read by the audit routes, and where refused calls are recorded (the platform log).</summary>
    public TransparencyLog? Audit { get; init; }

    /// <summary>An account's locations and signed placement reports.</summary>
    public PlacementService? Placement { get; init; }

    /// <summary>An account's destruction certificates (its tenant administrators, also after closure, and audit admins).</summary>
    public CertificateService? Certificates { get; init; }

    /// <summary>Account closure and reopening, early purge, and an account's destructions (issue 7).</summary>
    public DestructionService? Destruction { get; init; }

    /// <summary>Data-protection settings and container legal holds (issue 7).</summary>
    public ProtectionService? Protection { get; init; }

    /// <summary>The live sites (descriptors and health), for <c>GET v1/sites</c>.</summary>
    public SiteSet? Sites { get; init; }

    /// <summary>True while the vault is sealed: only routes marked to answer while sealed do.</summary>
    public Func<bool> IsSealed { get; init; } = () => false;

    /// <summary>
    /// The principal behind a session token (<see cref="ErrorCode.SessionInvalid"/> otherwise).
    /// Null: <see cref="IdentityService.AuthenticateSessionAsync"/>; tests put a fake here.
    /// </summary>
    public Func<string, CancellationToken, Task<AuthenticatedPrincipal>>? AuthenticateSession { get; init; }

    /// <summary>Every account (names, states, creation; the plane never writes a key).</summary>
    public Func<CancellationToken, Task<IReadOnlyList<AccountRecord>>> ListAccounts { get; init; } = static _ => Task.FromResult<IReadOnlyList<AccountRecord>>([]);

    /// <summary>One account, or null.</summary>
    public Func<string, CancellationToken, Task<AccountRecord?>> GetAccount { get; init; } = static (_, _) => Task.FromResult<AccountRecord?>(null);

    /// <summary>The keyring's versions (the host reads them from the unsealed vault).</summary>
    public Func<CancellationToken, Task<VaultStatusView>> VaultStatus { get; init; } =
        static _ => throw new InvalidOperationException("the management plane was composed without the vault");

    /// <summary>Rotates the keyring (recorded in the platform log by the host) and returns the new current version.</summary>
    public Func<CancellationToken, Task<uint>> RotateKeyring { get; init; } =
        static _ => throw new InvalidOperationException("the management plane was composed without the vault");

    /// <summary>An account's key-encryption-key versions and encryption scopes (no key material), for the web console's tenant pages; null: not shown.</summary>
    public Func<string, CancellationToken, Task<AccountKeysView>>? AccountKeys { get; init; }

    /// <summary>The servers of the deployment and who holds each background job (issue 9), for <c>GET v1/deployment</c>.</summary>
    public Func<CancellationToken, Task<DeploymentStatusView>>? DeploymentStatus { get; init; }

    /// <summary>The vault's seal status (the same facts as the data plane's <c>/.strongroom/sys/seal-status</c>).</summary>
    public Func<SealStatusView> SealStatus { get; init; } = static () => new SealStatusView(true, false, 1, 1, 0, null, 0);

    /// <summary>
    /// Submits one unseal share (or, with the share null, resets the progress) through the host's
    /// one entry point for vault state changes. A share that does not parse or verify is a
    /// <see cref="ManagementException"/> (400) whose message never quotes it.
    /// </summary>
    public Func<UnsealSubmission, CancellationToken, Task<UnsealAnswer>> Unseal { get; init; } =
        static (_, _) => throw new ManagementException(501, "NotImplemented", "This server cannot be unsealed through the management plane.");
}

/// <summary>The keyring as a security or audit admin sees it: versions only, never key material.</summary>
public sealed record VaultStatusView(uint KeyringCurrentVersion, IReadOnlyList<uint> KeyringVersions);

/// <summary>The seal status as the plane writes it (Vault's seal-status body: type, initialized, sealed, t, n, progress, deployment_id, generation).</summary>
public sealed record SealStatusView(bool Initialized, bool Sealed, int Threshold, int Shares, int Progress, string? DeploymentId, uint Generation)
{
    /// <summary>
    /// Vault's seal-status members plus the deployment id and share generation, inside an open
    /// object: the one writer of this body for both planes (<c>/.strongroom/sys/seal-status</c>
    /// and <c>v1/sys/seal-status</c>) and <c>strongroom status --json</c>.
    /// </summary>
    public void WriteMembers(Utf8JsonWriter json)
    {
        ArgumentNullException.ThrowIfNull(json);
        json.WriteString("type", "shamir");
        json.WriteBoolean("initialized", Initialized);
        json.WriteBoolean("sealed", Sealed);
        json.WriteNumber("t", Threshold);
        json.WriteNumber("n", Shares);
        json.WriteNumber("progress", Progress);
        if (DeploymentId is not null)
        {
            json.WriteString("deployment_id", DeploymentId);
            json.WriteNumber("generation", Generation);
        }
    }
}

/// <summary>One custodian's submission: a share (never logged, never echoed), or a reset of the progress.</summary>
public sealed record UnsealSubmission(string? Share, bool Reset, string? ClientAddress, string RequestId)
{
    // A share never reaches a log line through this record's ToString.
    public override string ToString() => Reset ? "UnsealSubmission { Reset }" : "UnsealSubmission { Share = (hidden) }";
}

/// <summary>The status after a submission; <paramref name="DuplicateIgnored"/> when that share had been given already.</summary>
public sealed record UnsealAnswer(SealStatusView Status, bool DuplicateIgnored);

/// <summary>Settings of the management listener.</summary>
public sealed class ManagementOptions
{
    /// <summary>Refuse plain HTTP (only <c>--dev</c> or <c>--dangerous-allow-http</c> turn it off).</summary>
    public bool RequireHttps { get; set; } = true;
}
