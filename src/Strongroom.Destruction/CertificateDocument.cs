using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Strongroom.Core;

namespace Strongroom.Destruction;

/// <summary>What was destroyed: the whole account (closure) or one container (purge).</summary>
public sealed record CertificateScope(DestructionKind Kind, string Name)
{
    public string KindName => Kind switch
    {
        DestructionKind.AccountClosure => "account",
        DestructionKind.ContainerPurge => "container",
        _ => throw new ArgumentOutOfRangeException(nameof(Kind)),
    };

    public static DestructionKind ParseKind(string? name) => name switch
    {
        "account" => DestructionKind.AccountClosure,
        "container" => DestructionKind.ContainerPurge,
        _ => throw new JsonException($"Unknown scope kind '{name}' (account or container)."),
    };
}

/// <summary>The data keys destroyed: how many, and the SHA-256 of their ids (<see cref="CertificateDocument.DataKeyDigest"/>).</summary>
public sealed record DataKeySummary(long Count, string Sha256);

/// <summary>One destruction entry of the account's log, in its canonical bytes, with its inclusion proof at the checkpoint's size.</summary>
public sealed record CertificateLogEntry(long Index, byte[] Entry, IReadOnlyList<byte[]> Proof);

/// <summary>The account log's signed checkpoint (a C2SP signed note) and the destruction entries it contains.</summary>
public sealed record CertificateLog(string Origin, string Checkpoint, IReadOnlyList<CertificateLogEntry> Entries);

/// <summary>
/// A destruction certificate's document. Its canonical form (<see cref="Encode"/>, format version 1,
/// frozen by a golden test) is UTF-8 JSON, fixed member order, no insignificant whitespace, the
/// default escaping (non-ASCII and HTML-sensitive characters as <c>\uXXXX</c>), times as audit
/// entries write them (UTC, seven fractional digits), every member always present:
/// <c>{"type":"strongroom-destruction-certificate","version":1,"id":…,"revision":n,"issuedOn":…,
/// "deployment":…,"account":…,"scope":{"kind":"account|container","name":…},
/// "method":"cryptographic-erase-then-delete","standard":"NIST SP 800-88 Rev. 2 Purge (cryptographic erase)",
/// "keys":[{"id":…,"destroyedOn":…}|{"id":…,"scheduledOn":…}…],"dataKeys":{"count":n,"sha256":…},
/// "objects":n,"bytes":n,"sites":[{"id":…,"copies":n,"sweepComplete":bool,"completedOn":…|null}…],
/// "keysDestroyedOn":…,"sweepCompletedOn":…|null,
/// "log":{"origin":…,"checkpoint":…,"entries":[{"index":n,"entry":base64,"proof":[base64…]}…]},
/// "signer":{"verifierKey":…}}</c>.
/// <para>
/// <c>keys</c> names every destroyed key (<see cref="DestroyedKey"/> ids, never key material): the
/// account's KEK versions, scope KEKs and customer-managed keys (a key under purge protection has
/// <c>scheduledOn</c> until it is gone), and the data keys one by one up to
/// <see cref="Limits.CertificateKeyIdsMax"/>; <c>dataKeys</c> always counts the data keys and digests
/// their ids, so a list that would be too long is still pinned down. <c>log</c> carries the
/// account log's checkpoint, signed when the certificate was issued, and each destruction entry
/// (canonical bytes, base64) with its RFC 6962 inclusion proof at that checkpoint's size.
/// <c>signer.verifierKey</c> is the account log's C2SP verifier key: the same Ed25519 key signs the
/// checkpoint and, detached, the document's exact bytes.
/// </para>
/// <see cref="Decode"/> accepts only canonical bytes (it re-encodes and compares), so one
/// certificate has one encoding and a changed byte is a changed document.
/// </summary>
public sealed record CertificateDocument
{
    public const string Type = "strongroom-destruction-certificate";

    public const int FormatVersion = 1;

    public const string Method = "cryptographic-erase-then-delete";

    public const string Standard = "NIST SP 800-88 Rev. 2 Purge (cryptographic erase)";

    /// <summary>The prefix of a data key's id (<see cref="DestroyedKey"/>).</summary>
    public const string DataKeyIdPrefix = "data-key/";

    public required string Id { get; init; }

    public required int Revision { get; init; }

    public required DateTimeOffset IssuedOn { get; init; }

    public required string Deployment { get; init; }

    public required string Account { get; init; }

    public required CertificateScope Scope { get; init; }

    public required IReadOnlyList<DestroyedKey> Keys { get; init; }

    public required DataKeySummary DataKeys { get; init; }

    public required long Objects { get; init; }

    public required long Bytes { get; init; }

    public required IReadOnlyList<DestructionSite> Sites { get; init; }

    public required DateTimeOffset KeysDestroyedOn { get; init; }

    public DateTimeOffset? SweepCompletedOn { get; init; }

    public required CertificateLog Log { get; init; }

    /// <summary>The account log's verifier key text (<c>name+keyid+base64</c>).</summary>
    public required string VerifierKey { get; init; }

    private const string TimeFormat = "yyyy'-'MM'-'dd'T'HH':'mm':'ss'.'fffffff'Z'";

    private static readonly JsonWriterOptions WriterOptions = new() { Indented = false };

    /// <summary>
    /// The digest of a set of data key ids: SHA-256 over each id in UTF-8 followed by a newline,
    /// in ordinal order, as lowercase hex.
    /// </summary>
    public static string DataKeyDigest(IEnumerable<string> ids)
    {
        ArgumentNullException.ThrowIfNull(ids);
        var sorted = ids.ToList();
        sorted.Sort(StringComparer.Ordinal);
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        foreach (var id in sorted)
        {
            hash.AppendData(Encoding.UTF8.GetBytes(id + "\n"));
        }

        return Convert.ToHexStringLower(hash.GetHashAndReset());
    }

    /// <summary>The canonical bytes. ArgumentException for a value outside the format (negative counts, a key with neither time…).</summary>
    public byte[] Encode()
    {
        Require(Id, nameof(Id));
        Require(Deployment, nameof(Deployment));
        Require(Account, nameof(Account));
        Require(VerifierKey, nameof(VerifierKey));
        ArgumentNullException.ThrowIfNull(Scope);
        Require(Scope.Name, "scope name");
        ArgumentNullException.ThrowIfNull(Keys);
        ArgumentNullException.ThrowIfNull(DataKeys);
        ArgumentNullException.ThrowIfNull(Sites);
        ArgumentNullException.ThrowIfNull(Log);
        Require(Log.Origin, "log origin");
        Require(Log.Checkpoint, "log checkpoint");
        ArgumentNullException.ThrowIfNull(Log.Entries);
        if (Revision < 1 || Objects < 0 || Bytes < 0 || DataKeys.Count < 0)
        {
            throw new ArgumentException("A certificate's revision is at least 1 and its counts are not negative.");
        }

        if (DataKeys.Sha256 is not { Length: 64 } digest || !digest.All(c => char.IsAsciiDigit(c) || c is >= 'a' and <= 'f'))
        {
            throw new ArgumentException("The data keys' digest is 64 lowercase hexadecimal digits.");
        }

        var buffer = new MemoryStream();
        using (var json = new Utf8JsonWriter(buffer, WriterOptions))
        {
            json.WriteStartObject();
            json.WriteString("type", Type);
            json.WriteNumber("version", FormatVersion);
            json.WriteString("id", Id);
            json.WriteNumber("revision", Revision);
            json.WriteString("issuedOn", FormatTime(IssuedOn));
            json.WriteString("deployment", Deployment);
            json.WriteString("account", Account);
            json.WriteStartObject("scope");
            json.WriteString("kind", Scope.KindName);
            json.WriteString("name", Scope.Name);
            json.WriteEndObject();
            json.WriteString("method", Method);
            json.WriteString("standard", Standard);
            json.WriteStartArray("keys");
            foreach (var key in Keys)
            {
                ArgumentNullException.ThrowIfNull(key);
                Require(key.Id, "key id");
                json.WriteStartObject();
                json.WriteString("id", key.Id);
                switch (key)
                {
                    case { DestroyedOn: { } destroyed, ScheduledOn: null }:
                        json.WriteString("destroyedOn", FormatTime(destroyed));
                        break;
                    case { DestroyedOn: null, ScheduledOn: { } scheduled }:
                        json.WriteString("scheduledOn", FormatTime(scheduled));
                        break;
                    default:
                        throw new ArgumentException($"Key '{key.Id}' has exactly one of its destruction time and its scheduled time.");
                }

                json.WriteEndObject();
            }

            json.WriteEndArray();
            json.WriteStartObject("dataKeys");
            json.WriteNumber("count", DataKeys.Count);
            json.WriteString("sha256", DataKeys.Sha256);
            json.WriteEndObject();
            json.WriteNumber("objects", Objects);
            json.WriteNumber("bytes", Bytes);
            json.WriteStartArray("sites");
            foreach (var site in Sites)
            {
                ArgumentNullException.ThrowIfNull(site);
                Require(site.SiteId, "site id");
                if (site.Copies < 0 || (site.SweepComplete != site.CompletedOn.HasValue))
                {
                    throw new ArgumentException($"Site '{site.SiteId}': copies are not negative, and a completion time exists exactly when its sweep is complete.");
                }

                json.WriteStartObject();
                json.WriteString("id", site.SiteId);
                json.WriteNumber("copies", site.Copies);
                json.WriteBoolean("sweepComplete", site.SweepComplete);
                WriteOptionalTime(json, "completedOn", site.CompletedOn);
                json.WriteEndObject();
            }

            json.WriteEndArray();
            json.WriteString("keysDestroyedOn", FormatTime(KeysDestroyedOn));
            WriteOptionalTime(json, "sweepCompletedOn", SweepCompletedOn);
            json.WriteStartObject("log");
            json.WriteString("origin", Log.Origin);
            json.WriteString("checkpoint", Log.Checkpoint);
            json.WriteStartArray("entries");
            foreach (var entry in Log.Entries)
            {
                ArgumentNullException.ThrowIfNull(entry);
                ArgumentNullException.ThrowIfNull(entry.Entry);
                ArgumentNullException.ThrowIfNull(entry.Proof);
                if (entry.Index < 0 || entry.Entry.Length == 0 || entry.Proof.Any(hash => hash is not { Length: MerkleTree.HashBytes }))
                {
                    throw new ArgumentException("A log entry has a non-negative index, bytes, and a proof of 32-byte hashes.");
                }

                json.WriteStartObject();
                json.WriteNumber("index", entry.Index);
                // Base64 through WriteString, so '+' is escaped as in every other string of the document.
                json.WriteString("entry", Convert.ToBase64String(entry.Entry));
                json.WriteStartArray("proof");
                foreach (var hash in entry.Proof)
                {
                    json.WriteStringValue(Convert.ToBase64String(hash));
                }

                json.WriteEndArray();
                json.WriteEndObject();
            }

            json.WriteEndArray();
            json.WriteEndObject();
            json.WriteStartObject("signer");
            json.WriteString("verifierKey", VerifierKey);
            json.WriteEndObject();
            json.WriteEndObject();
        }

        if (buffer.Length > Limits.CertificateDocumentBytesMax)
        {
            throw new ArgumentException($"A certificate is at most {Limits.CertificateDocumentBytesMax} bytes; this one is {buffer.Length}.");
        }

        return buffer.ToArray();
    }

    /// <summary>Parses canonical bytes only (it re-encodes and compares); FormatException for anything else.</summary>
    public static CertificateDocument Decode(ReadOnlySpan<byte> canonical)
    {
        if (canonical.Length > Limits.CertificateDocumentBytesMax)
        {
            throw new FormatException($"A certificate is at most {Limits.CertificateDocumentBytesMax} bytes.");
        }

        CertificateDocument document;
        byte[] encoded;
        try
        {
            using var parsed = JsonDocument.Parse(canonical.ToArray(), new JsonDocumentOptions { MaxDepth = 8 });
            document = Read(parsed.RootElement);
            encoded = document.Encode();
        }
        catch (Exception exception) when (exception is JsonException or InvalidOperationException or KeyNotFoundException or ArgumentException or FormatException or OverflowException)
        {
            throw new FormatException("Not a destruction certificate: " + exception.Message, exception);
        }

        if (!encoded.AsSpan().SequenceEqual(canonical))
        {
            throw new FormatException("Not a canonical destruction certificate: its bytes differ from its canonical encoding (member order, whitespace, escaping, time format or an unknown member).");
        }

        return document;
    }

    public static string FormatTime(DateTimeOffset time) => time.UtcDateTime.ToString(TimeFormat, CultureInfo.InvariantCulture);

    private static DateTimeOffset ParseTime(string text) =>
        DateTimeOffset.TryParseExact(text, TimeFormat, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal | DateTimeStyles.AdjustToUniversal, out var parsed)
            ? parsed
            : throw new JsonException($"Time '{text}' is not yyyy-MM-ddTHH:mm:ss.fffffffZ.");

    private static void WriteOptionalTime(Utf8JsonWriter json, string name, DateTimeOffset? time)
    {
        if (time is { } value)
        {
            json.WriteString(name, FormatTime(value));
        }
        else
        {
            json.WriteNull(name);
        }
    }

    private static void Require(string? value, string name)
    {
        if (string.IsNullOrEmpty(value))
        {
            throw new ArgumentException($"A certificate needs its {name}.", name);
        }
    }

    private static CertificateDocument Read(JsonElement root)
    {
        if (root.ValueKind != JsonValueKind.Object || Text(root, "type") != Type)
        {
            throw new JsonException($"The document's type is not \"{Type}\".");
        }

        if (root.GetProperty("version").GetInt32() != FormatVersion)
        {
            throw new JsonException($"Unsupported certificate version (this build reads version {FormatVersion}).");
        }

        if (Text(root, "method") != Method || Text(root, "standard") != Standard)
        {
            throw new JsonException($"Version {FormatVersion} knows one method, \"{Method}\", under \"{Standard}\".");
        }

        var scope = root.GetProperty("scope");
        var dataKeys = root.GetProperty("dataKeys");
        var log = root.GetProperty("log");
        return new CertificateDocument
        {
            Id = Text(root, "id"),
            Revision = root.GetProperty("revision").GetInt32(),
            IssuedOn = ParseTime(Text(root, "issuedOn")),
            Deployment = Text(root, "deployment"),
            Account = Text(root, "account"),
            Scope = new CertificateScope(CertificateScope.ParseKind(Text(scope, "kind")), Text(scope, "name")),
            Keys = [.. Array(root, "keys").Select(key => new DestroyedKey(
                Text(key, "id"),
                key.TryGetProperty("destroyedOn", out var destroyed) ? ParseTime(destroyed.GetString()!) : null,
                key.TryGetProperty("scheduledOn", out var scheduled) ? ParseTime(scheduled.GetString()!) : null))],
            DataKeys = new DataKeySummary(dataKeys.GetProperty("count").GetInt64(), Text(dataKeys, "sha256")),
            Objects = root.GetProperty("objects").GetInt64(),
            Bytes = root.GetProperty("bytes").GetInt64(),
            Sites = [.. Array(root, "sites").Select(site => new DestructionSite(
                Text(site, "id"),
                site.GetProperty("copies").GetInt64(),
                site.GetProperty("sweepComplete").GetBoolean(),
                OptionalTime(site, "completedOn")))],
            KeysDestroyedOn = ParseTime(Text(root, "keysDestroyedOn")),
            SweepCompletedOn = OptionalTime(root, "sweepCompletedOn"),
            Log = new CertificateLog(
                Text(log, "origin"),
                Text(log, "checkpoint"),
                [.. Array(log, "entries").Select(entry => new CertificateLogEntry(
                    entry.GetProperty("index").GetInt64(),
                    entry.GetProperty("entry").GetBytesFromBase64(),
                    [.. Array(entry, "proof").Select(hash => hash.GetBytesFromBase64())]))]),
            VerifierKey = Text(root.GetProperty("signer"), "verifierKey"),
        };
    }

    private static JsonElement.ArrayEnumerator Array(JsonElement element, string name)
    {
        var value = element.GetProperty(name);
        return value.ValueKind == JsonValueKind.Array ? value.EnumerateArray() : throw new JsonException($"'{name}' is an array.");
    }

    private static DateTimeOffset? OptionalTime(JsonElement element, string name)
    {
        var value = element.GetProperty(name);
        return value.ValueKind == JsonValueKind.Null ? null : ParseTime(value.GetString() ?? throw new JsonException($"'{name}' is a time or null."));
    }

    private static string Text(JsonElement element, string name) =>
        element.GetProperty(name) is { ValueKind: JsonValueKind.String } value ? value.GetString()! : throw new JsonException($"'{name}' is a string.");
}
