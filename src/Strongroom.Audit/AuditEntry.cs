using Strongroom.Core;

namespace Strongroom.Audit;

/// <summary>
/// One transparency log entry. Its canonical form (<see cref="Encode"/>, format version 1, frozen
/// by a golden test) is UTF-8 JSON with a fixed member order, no insignificant whitespace, and
/// optional members omitted when empty:
/// <c>{"v":1,"time":…,"actor":{"kind":…,"id":…[,"grant":…]},"action":…,"resource":…,"outcome":…
/// [,"requestId":…][,"client":…][,"sites":[…]][,"jurisdictions":[…]][,"justification":…][,"details":{…}]}</c>.
/// The leaf hash is over exactly these bytes. <see cref="Decode"/> accepts only canonical bytes
/// (it re-encodes and compares), so one entry has one encoding.
///
/// Never put a secret in an entry: shared keys, tokens, SAS signatures and customer keys appear
/// only as an HMAC or a public hash (see <see cref="TransparencyLog.Pseudonym"/>).
/// </summary>
public sealed record AuditEntry
{
    public const int FormatVersion = 1;

    /// <summary>UTC, encoded with seven fractional digits (<c>yyyy-MM-ddTHH:mm:ss.fffffffZ</c>).</summary>
    public required DateTimeOffset Time { get; init; }

    public required Actor Actor { get; init; }

    /// <summary>A <see cref="BlobOperation"/> name for the data plane, else an <see cref="AuditActions"/> name.</summary>
    public required string Action { get; init; }

    /// <summary>What was acted on: <c>/account/container/blob</c>, <c>/account</c>, <c>vault:/keys/name</c>, <c>platform:seal</c>….</summary>
    public required string Resource { get; init; }

    /// <summary><see cref="AuditOutcomes.Success"/>, or the error code the operation ended with.</summary>
    public required string Outcome { get; init; }

    public string? RequestId { get; init; }

    public string? ClientAddress { get; init; }

    /// <summary>Ids of the sites the operation touched (stored copies on, read from).</summary>
    public IReadOnlyList<string> Sites { get; init; } = [];

    /// <summary>Jurisdictions of those sites (ISO 3166-1 alpha-2 or a region code such as <c>EU</c>).</summary>
    public IReadOnlyList<string> Jurisdictions { get; init; } = [];

    /// <summary>For operator access: the justification given.</summary>
    public string? Justification { get; init; }

    /// <summary>Further facts (key version, scope, setting values); encoded sorted by key, ordinal.</summary>
    public IReadOnlyList<KeyValuePair<string, string>> Details { get; init; } = [];

    /// <summary>The canonical bytes. Throws ArgumentException when a limit (<see cref="Limits.AuditEntryBytesMax"/>, <see cref="Limits.AuditTextCharsMax"/>) is exceeded.</summary>
    public byte[] Encode() => throw new NotImplementedException("issue 4: formats");

    /// <summary>Parses canonical bytes; FormatException for anything else (unknown version, reordered or extra members, whitespace).</summary>
    public static AuditEntry Decode(ReadOnlySpan<byte> canonical) => throw new NotImplementedException("issue 4: formats");

    /// <summary>The text of the actor kind in the canonical form: system, shared-key, sas, bearer, host, operator, anonymous.</summary>
    public static string KindName(ActorKind kind) => kind switch
    {
        ActorKind.System => "system",
        ActorKind.SharedKey => "shared-key",
        ActorKind.SharedAccessSignature => "sas",
        ActorKind.BearerToken => "bearer",
        ActorKind.Host => "host",
        ActorKind.Operator => "operator",
        ActorKind.Anonymous => "anonymous",
        _ => throw new ArgumentOutOfRangeException(nameof(kind)),
    };
}

public static class AuditOutcomes
{
    public const string Success = "Success";
}

/// <summary>
/// Action names of entries that are not Blob operations (those use <see cref="BlobOperation"/>
/// names). One constant per event kind; tests check each kind is logged.
/// </summary>
public static class AuditActions
{
    // Accounts and their keys (the account's log; creation and deletion also in the platform log).
    public const string CreateAccount = "CreateAccount";
    public const string DeleteAccount = "DeleteAccount";
    public const string RegenerateAccountKey = "RegenerateAccountKey";
    public const string RotateAccountKeyEncryptionKey = "RotateAccountKeyEncryptionKey";
    public const string SetAuditSettings = "SetAuditSettings";

    // Encryption scopes.
    public const string CreateEncryptionScope = "CreateEncryptionScope";
    public const string DisableEncryptionScope = "DisableEncryptionScope";
    public const string EnableEncryptionScope = "EnableEncryptionScope";

    // The tenant's vault (Key Vault API): the operation names of the REST API.
    public const string VaultPrefix = "Vault.";

    // The platform log.
    public const string InitializeVault = "InitializeVault";
    public const string Unseal = "Unseal";
    public const string Seal = "Seal";
    public const string Rekey = "Rekey";
    public const string RotateKeyring = "RotateKeyring";
    public const string Rewrap = "Rewrap";
    public const string StartServer = "StartServer";
    public const string StopServer = "StopServer";
}
