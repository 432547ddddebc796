using System.Buffers;
using System.Globalization;
using System.Text.Json;

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
    public byte[] Encode()
    {
        ArgumentNullException.ThrowIfNull(Actor);
        RequireText(Actor.Id, "actor id");
        RequireText(Action, nameof(Action));
        RequireText(Resource, nameof(Resource));
        RequireText(Outcome, nameof(Outcome));
        ArgumentNullException.ThrowIfNull(Sites);
        ArgumentNullException.ThrowIfNull(Jurisdictions);
        ArgumentNullException.ThrowIfNull(Details);
        if (Justification is { Length: > Limits.AuditTextCharsMax })
        {
            throw new ArgumentException($"A justification is at most {Limits.AuditTextCharsMax} characters.", nameof(Justification));
        }

        var details = SortedDetails(Details);
        var buffer = new ArrayBufferWriter<byte>(256);
        using (var json = new Utf8JsonWriter(buffer, WriterOptions))
        {
            json.WriteStartObject();
            json.WriteNumber("v", FormatVersion);
            json.WriteString("time", Time.UtcDateTime.ToString(TimeFormat, CultureInfo.InvariantCulture));
            json.WriteStartObject("actor");
            json.WriteString("kind", KindName(Actor.Kind));
            json.WriteString("id", Actor.Id);
            WriteOptional(json, "grant", Actor.Grant);
            json.WriteEndObject();
            json.WriteString("action", Action);
            json.WriteString("resource", Resource);
            json.WriteString("outcome", Outcome);
            WriteOptional(json, "requestId", RequestId);
            WriteOptional(json, "client", ClientAddress);
            WriteOptionalList(json, "sites", Sites);
            WriteOptionalList(json, "jurisdictions", Jurisdictions);
            WriteOptional(json, "justification", Justification);
            if (details.Count > 0)
            {
                json.WriteStartObject("details");
                foreach (var (key, value) in details)
                {
                    json.WriteString(key, value);
                }

                json.WriteEndObject();
            }

            json.WriteEndObject();
        }

        if (buffer.WrittenCount > Limits.AuditEntryBytesMax)
        {
            throw new ArgumentException($"An audit entry is at most {Limits.AuditEntryBytesMax} bytes; this one is {buffer.WrittenCount}.");
        }

        return buffer.WrittenSpan.ToArray();
    }

    /// <summary>Parses canonical bytes; FormatException for anything else (unknown version, reordered or extra members, whitespace).</summary>
    public static AuditEntry Decode(ReadOnlySpan<byte> canonical)
    {
        if (canonical.Length > Limits.AuditEntryBytesMax)
        {
            throw new FormatException($"An audit entry is at most {Limits.AuditEntryBytesMax} bytes.");
        }

        AuditEntry entry;
        try
        {
            var reader = new Utf8JsonReader(canonical, new JsonReaderOptions { MaxDepth = 3 });
            entry = ReadEntry(ref reader);
        }
        catch (Exception e) when (e is JsonException or InvalidOperationException or ArgumentException)
        {
            throw new FormatException($"Not a canonical audit entry: {e.Message}", e);
        }

        byte[] encoded;
        try
        {
            encoded = entry.Encode();
        }
        catch (ArgumentException e)
        {
            throw new FormatException($"Not a canonical audit entry: {e.Message}", e);
        }

        if (!encoded.AsSpan().SequenceEqual(canonical))
        {
            throw new FormatException("Not a canonical audit entry: its bytes differ from its canonical encoding (member order, whitespace, escaping or empty members).");
        }

        return entry;
    }

    /// <summary>The actor kind a canonical name stands for; FormatException for an unknown one.</summary>
    public static ActorKind ParseKindName(string name) => name switch
    {
        "system" => ActorKind.System,
        "shared-key" => ActorKind.SharedKey,
        "sas" => ActorKind.SharedAccessSignature,
        "bearer" => ActorKind.BearerToken,
        "host" => ActorKind.Host,
        "operator" => ActorKind.Operator,
        "anonymous" => ActorKind.Anonymous,
        "tenant-admin" => ActorKind.TenantAdmin,
        _ => throw new FormatException($"Unknown actor kind '{name}'."),
    };

    private const string TimeFormat = "yyyy'-'MM'-'dd'T'HH':'mm':'ss'.'fffffff'Z'";

    // Default escaping (JavaScriptEncoder.Default: HTML-sensitive characters and everything outside
    // ASCII as \uXXXX) and no indentation: part of the frozen format.
    private static readonly JsonWriterOptions WriterOptions = new() { Indented = false, SkipValidation = false };

    private static void RequireText(string? value, string name)
    {
        if (value is null)
        {
            throw new ArgumentException($"An audit entry needs its {name}.", name);
        }
    }

    private static void WriteOptional(Utf8JsonWriter json, string name, string? value)
    {
        if (!string.IsNullOrEmpty(value))
        {
            json.WriteString(name, value);
        }
    }

    private static void WriteOptionalList(Utf8JsonWriter json, string name, IReadOnlyList<string> values)
    {
        if (values.Count == 0)
        {
            return;
        }

        json.WriteStartArray(name);
        foreach (var value in values)
        {
            if (value is null)
            {
                throw new ArgumentException($"An audit entry's {name} contain a null.", name);
            }

            json.WriteStringValue(value);
        }

        json.WriteEndArray();
    }

    private static List<KeyValuePair<string, string>> SortedDetails(IReadOnlyList<KeyValuePair<string, string>> details)
    {
        var sorted = new List<KeyValuePair<string, string>>(details.Count);
        foreach (var detail in details)
        {
            if (string.IsNullOrEmpty(detail.Key) || detail.Value is null)
            {
                throw new ArgumentException("An audit entry's detail needs a key and a value.", nameof(Details));
            }

            if (detail.Key.Length > Limits.AuditTextCharsMax || detail.Value.Length > Limits.AuditTextCharsMax)
            {
                throw new ArgumentException($"An audit entry's detail key or value is at most {Limits.AuditTextCharsMax} characters.", nameof(Details));
            }

            sorted.Add(detail);
        }

        sorted.Sort((a, b) => string.CompareOrdinal(a.Key, b.Key));
        for (var i = 1; i < sorted.Count; i++)
        {
            if (string.Equals(sorted[i - 1].Key, sorted[i].Key, StringComparison.Ordinal))
            {
                throw new ArgumentException($"An audit entry's detail key '{sorted[i].Key}' appears twice.", nameof(Details));
            }
        }

        return sorted;
    }

    // Reads the members in any order and rejects unknown ones; the caller's re-encoding then
    // rejects every non-canonical form (order, whitespace, escaping, empty optional members).
    private static AuditEntry ReadEntry(ref Utf8JsonReader reader)
    {
        Expect(ref reader, JsonTokenType.StartObject);
        int? version = null;
        DateTimeOffset? time = null;
        Actor? actor = null;
        string? action = null, resource = null, outcome = null, requestId = null, client = null, justification = null;
        List<string> sites = [], jurisdictions = [];
        List<KeyValuePair<string, string>> details = [];
        var seen = new HashSet<string>(StringComparer.Ordinal);
        while (Next(ref reader) == JsonTokenType.PropertyName)
        {
            var name = reader.GetString()!;
            if (!seen.Add(name))
            {
                throw new JsonException($"Member '{name}' appears twice.");
            }

            if (version is null && name != "v")
            {
                throw new JsonException("The first member must be the format version \"v\".");
            }

            switch (name)
            {
                case "v":
                    Expect(ref reader, JsonTokenType.Number);
                    if (!reader.TryGetInt32(out var v) || v != FormatVersion)
                    {
                        throw new JsonException($"Unsupported audit entry format version (this build reads version {FormatVersion}).");
                    }

                    version = v;
                    break;
                case "time":
                    var text = ReadString(ref reader);
                    if (!DateTimeOffset.TryParseExact(text, TimeFormat, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal | DateTimeStyles.AdjustToUniversal, out var parsed))
                    {
                        throw new JsonException($"Time '{text}' is not yyyy-MM-ddTHH:mm:ss.fffffffZ.");
                    }

                    time = parsed;
                    break;
                case "actor":
                    actor = ReadActor(ref reader);
                    break;
                case "action":
                    action = ReadString(ref reader);
                    break;
                case "resource":
                    resource = ReadString(ref reader);
                    break;
                case "outcome":
                    outcome = ReadString(ref reader);
                    break;
                case "requestId":
                    requestId = ReadString(ref reader);
                    break;
                case "client":
                    client = ReadString(ref reader);
                    break;
                case "sites":
                    sites = ReadStrings(ref reader);
                    break;
                case "jurisdictions":
                    jurisdictions = ReadStrings(ref reader);
                    break;
                case "justification":
                    justification = ReadString(ref reader);
                    break;
                case "details":
                    Expect(ref reader, JsonTokenType.StartObject);
                    while (Next(ref reader) == JsonTokenType.PropertyName)
                    {
                        var key = reader.GetString()!;
                        details.Add(new(key, ReadString(ref reader)));
                    }

                    break;
                default:
                    throw new JsonException($"Unknown member '{name}'.");
            }
        }

        if (reader.TokenType != JsonTokenType.EndObject || reader.Read())
        {
            throw new JsonException("Trailing content after the entry.");
        }

        if (time is null || actor is null || action is null || resource is null || outcome is null)
        {
            throw new JsonException("A required member (time, actor, action, resource, outcome) is missing.");
        }

        return new AuditEntry
        {
            Time = time.Value,
            Actor = actor,
            Action = action,
            Resource = resource,
            Outcome = outcome,
            RequestId = requestId,
            ClientAddress = client,
            Sites = sites,
            Jurisdictions = jurisdictions,
            Justification = justification,
            Details = details,
        };
    }

    private static Actor ReadActor(ref Utf8JsonReader reader)
    {
        Expect(ref reader, JsonTokenType.StartObject);
        string? kind = null, id = null, grant = null;
        while (Next(ref reader) == JsonTokenType.PropertyName)
        {
            var name = reader.GetString()!;
            switch (name)
            {
                case "kind" when kind is null:
                    kind = ReadString(ref reader);
                    break;
                case "id" when id is null:
                    id = ReadString(ref reader);
                    break;
                case "grant" when grant is null:
                    grant = ReadString(ref reader);
                    break;
                default:
                    throw new JsonException($"Unknown or repeated actor member '{name}'.");
            }
        }

        if (kind is null || id is null)
        {
            throw new JsonException("An actor needs its kind and id.");
        }

        ActorKind parsed;
        try
        {
            parsed = ParseKindName(kind);
        }
        catch (FormatException e)
        {
            throw new JsonException(e.Message, e);
        }

        return new Actor(parsed, id, grant);
    }

    private static List<string> ReadStrings(ref Utf8JsonReader reader)
    {
        Expect(ref reader, JsonTokenType.StartArray);
        var values = new List<string>();
        while (Next(ref reader) == JsonTokenType.String)
        {
            values.Add(reader.GetString()!);
        }

        if (reader.TokenType != JsonTokenType.EndArray)
        {
            throw new JsonException("A list holds only strings.");
        }

        return values;
    }

    private static string ReadString(ref Utf8JsonReader reader)
    {
        Expect(ref reader, JsonTokenType.String);
        return reader.GetString()!;
    }

    private static JsonTokenType Next(ref Utf8JsonReader reader)
    {
        if (!reader.Read())
        {
            throw new JsonException("The entry ends early.");
        }

        return reader.TokenType;
    }

    private static void Expect(ref Utf8JsonReader reader, JsonTokenType type)
    {
        if (Next(ref reader) != type)
        {
            throw new JsonException($"Expected {type}, found {reader.TokenType}.");
        }
    }

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
        ActorKind.TenantAdmin => "tenant-admin",
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

    // Placement (issue 5): every change of where a tenant's copies live.
    public const string SetPlacementPolicy = "Placement.SetPolicy";
    public const string SetContainerRedundancy = "Placement.SetContainerRedundancy";
    public const string CopyCreated = "Placement.CopyCreated";
    public const string CopyMarkedBad = "Placement.CopyMarkedBad";
    public const string CopyRemoved = "Placement.CopyRemoved";
    public const string Failover = "Placement.Failover";
    public const string SiteStateChanged = "Placement.SiteStateChanged";
    public const string CreatePlacementReport = "Placement.CreateReport";

    // Identities (issue 6): operators in the platform log; tenant administrators in their account's log.
    public const string CreateOperator = "Access.CreateOperator";
    public const string DisableOperator = "Access.DisableOperator";
    public const string CreateTenantAdmin = "Access.CreateTenantAdmin";
    public const string DisableTenantAdmin = "Access.DisableTenantAdmin";

    /// <summary>A sign-in, successful or not (outcome: the error code); a lockout is the failure that set it.</summary>
    public const string Login = "Access.Login";
    public const string Logout = "Access.Logout";

    // The lockbox (issue 6), in the account's log, each with the request's justification.
    public const string LockboxRequest = "Lockbox.Request";
    public const string LockboxApprove = "Lockbox.Approve";
    public const string LockboxDeny = "Lockbox.Deny";
    public const string LockboxExpire = "Lockbox.Expire";
    public const string LockboxActivate = "Lockbox.Activate";
    public const string LockboxEnd = "Lockbox.End";
    public const string LockboxRevoke = "Lockbox.Revoke";
    public const string LockboxIssueToken = "Lockbox.IssueToken";

    // Cross-border transfers (issue 6), in the account's log.
    public const string TransferRequest = "Transfer.Request";
    public const string TransferApprove = "Transfer.Approve";
    public const string TransferDeny = "Transfer.Deny";
    public const string TransferExpire = "Transfer.Expire";
    public const string TransferCopy = "Transfer.Copy";
    public const string TransferComplete = "Transfer.Complete";

    // Crypto-shredding (issue 7), in the account's log: closure and reopening, purges of
    // soft-deleted data, each destruction of keys (with its id) and each sweep's completion.
    public const string CloseAccount = "Destruction.CloseAccount";
    public const string ReopenAccount = "Destruction.ReopenAccount";
    public const string PurgeBlob = "Destruction.PurgeBlob";
    public const string DestroyKeys = "Destruction.DestroyKeys";
    public const string DestroyVaultKeys = "Destruction.DestroyVaultKeys";
    public const string SweepComplete = "Destruction.SweepComplete";
}
