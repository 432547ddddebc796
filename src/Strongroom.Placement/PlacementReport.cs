using System.Globalization;
using System.Text;
using System.Text.Json;
using Strongroom.Audit;
using Strongroom.Core;

namespace Strongroom.Placement;

/// <summary>One copy of an object, with where its site is, and the transfer it was made under (null for placement's own copies).</summary>
public sealed record SiteCopy(string SiteId, string Region, string Zone, string Jurisdiction, CopyState State, string? TransferId = null);

/// <summary>One stored object of a blob (a part) and its copies.</summary>
public sealed record ObjectLocation(string ObjectId, long CiphertextBytes, IReadOnlyList<SiteCopy> Copies);

/// <summary>A committed blob and the copies of each of its objects.</summary>
public sealed record BlobCopies(string Container, string Blob, long ContentLength, IReadOnlyList<ObjectLocation> Objects);

/// <summary>The account's copies on one site, by state, and the ciphertext bytes of its Present ones.</summary>
public sealed record SiteUsage(string SiteId, string Region, string Zone, string Jurisdiction, long Present, long Pending, long Bad, long PresentBytes);

/// <summary>Present copies and their bytes in one region or one jurisdiction.</summary>
public sealed record AreaUsage(string Name, long Objects, long Bytes);

/// <summary>Where an account's data is, summed per site, per region and per jurisdiction (Present copies).</summary>
public sealed record PlacementSummary(IReadOnlyList<SiteUsage> Sites, IReadOnlyList<AreaUsage> Regions, IReadOnlyList<AreaUsage> Jurisdictions);

/// <summary>
/// A signed placement report: what an account's policy is, where its copies are, and the account
/// log's checkpoint at the time, for a tenant to hand to an auditor. Its canonical form
/// (<see cref="Encode"/>, format version 1, frozen by a golden test) is one line of UTF-8 JSON,
/// fixed member order, no insignificant whitespace, non-ASCII escaped, optional members omitted:
/// <c>{"version":1,"deployment":…,"account":…,"generatedOn":…[,"scope":{"container":…[,"blob":…]}],
/// "policy":{"residency":[…],"primaryRegion":…[,"secondaryRegion":…],"redundancy":…},
/// "summary":{"sites":[{"id","region","zone","jurisdiction","present","pending","bad","bytes"}…],
/// "regions":[{"name","objects","bytes"}…],"jurisdictions":[{"name","objects","bytes"}…]}
/// [,"copies":[{"container","blob","length","objects":[{"id","bytes","copies":[{"site","region","zone","jurisdiction","state"[,"transfer"]}…]}…]}…]]
/// [,"copiesTruncated":true],"checkpoint":…}</c>.
/// A copy made under a cross-border transfer carries <c>"transfer"</c> (its id), a member added
/// within version 1: reports without transfer copies keep their bytes.
/// The report is signed as a C2SP signed note (text = the JSON and a newline) by the deployment's
/// checkpoint key under the account log's origin: the key <c>strongroom audit key</c> shows
/// verifies both the report and the checkpoint it carries. One line of JSON never parses as a
/// checkpoint (three lines starting with the origin), so neither can pass for the other.
/// </summary>
public sealed record PlacementReport
{
    public const int FormatVersion = 1;

    public required string Deployment { get; init; }

    public required string Account { get; init; }

    /// <summary>UTC, seven fractional digits, as audit entries.</summary>
    public required DateTimeOffset GeneratedOn { get; init; }

    /// <summary>The container the report is scoped to (null: the whole account, no copies listed).</summary>
    public string? Container { get; init; }

    /// <summary>The blob the report is scoped to (needs <see cref="Container"/>).</summary>
    public string? Blob { get; init; }

    public required PlacementPolicy Policy { get; init; }

    public required PlacementSummary Summary { get; init; }

    /// <summary>The copies of the blobs in scope (null for an account-wide report).</summary>
    public IReadOnlyList<BlobCopies>? Copies { get; init; }

    /// <summary>More blobs were in scope than <see cref="Limits.PlacementReportBlobsMax"/>.</summary>
    public bool CopiesTruncated { get; init; }

    /// <summary>The account log's signed checkpoint (a C2SP signed note) when the report was made.</summary>
    public required string Checkpoint { get; init; }

    private const string TimeFormat = "yyyy'-'MM'-'dd'T'HH':'mm':'ss'.'fffffff'Z'";

    // Default escaping (non-ASCII and HTML-sensitive characters as \uXXXX) and no indentation:
    // part of the frozen format, and it keeps the note text one ASCII line.
    private static readonly JsonWriterOptions WriterOptions = new() { Indented = false };

    /// <summary>The canonical bytes (no trailing newline).</summary>
    public byte[] Encode()
    {
        using var buffer = new MemoryStream();
        using (var json = new Utf8JsonWriter(buffer, WriterOptions))
        {
            json.WriteStartObject();
            json.WriteNumber("version", FormatVersion);
            json.WriteString("deployment", Deployment);
            json.WriteString("account", Account);
            json.WriteString("generatedOn", GeneratedOn.UtcDateTime.ToString(TimeFormat, CultureInfo.InvariantCulture));
            if (Container is not null)
            {
                json.WriteStartObject("scope");
                json.WriteString("container", Container);
                if (Blob is not null)
                {
                    json.WriteString("blob", Blob);
                }

                json.WriteEndObject();
            }
            else if (Blob is not null)
            {
                throw new ArgumentException("A report scoped to a blob names its container.");
            }

            PlacementJson.WritePolicy(json, Policy);
            PlacementJson.WriteSummary(json, Summary);
            if (Copies is not null)
            {
                PlacementJson.WriteBlobs(json, "copies", Copies);
            }

            if (CopiesTruncated)
            {
                json.WriteBoolean("copiesTruncated", true);
            }

            json.WriteString("checkpoint", Checkpoint);
            json.WriteEndObject();
        }

        return buffer.ToArray();
    }

    /// <summary>The signed note's text: the canonical JSON and a newline.</summary>
    public string NoteText() => Encoding.UTF8.GetString(Encode()) + "\n";

    /// <summary>Parses canonical bytes only (it re-encodes and compares): FormatException otherwise.</summary>
    public static PlacementReport Decode(ReadOnlySpan<byte> canonical)
    {
        PlacementReport report;
        try
        {
            using var document = JsonDocument.Parse(canonical.ToArray());
            report = Read(document.RootElement);
        }
        catch (Exception exception) when (exception is JsonException or InvalidOperationException or KeyNotFoundException or StorageException or ArgumentException)
        {
            throw new FormatException("The placement report is not well-formed: " + exception.Message, exception);
        }

        if (!report.Encode().AsSpan().SequenceEqual(canonical))
        {
            throw new FormatException("The placement report is not in its canonical form (member order, spacing, escaping or time format differ).");
        }

        return report;
    }

    public static string StateName(CopyState state) => state switch
    {
        CopyState.Present => "present",
        CopyState.Pending => "pending",
        CopyState.Bad => "bad",
        _ => throw new ArgumentOutOfRangeException(nameof(state)),
    };

    private static CopyState ParseState(string? name) => name switch
    {
        "present" => CopyState.Present,
        "pending" => CopyState.Pending,
        "bad" => CopyState.Bad,
        _ => throw new JsonException($"Unknown copy state '{name}'."),
    };

    private static PlacementReport Read(JsonElement root)
    {
        if (root.GetProperty("version").GetInt32() != FormatVersion)
        {
            throw new JsonException($"Only placement report version {FormatVersion} is known.");
        }

        string? container = null;
        string? blob = null;
        if (root.TryGetProperty("scope", out var scope))
        {
            container = scope.GetProperty("container").GetString();
            blob = scope.TryGetProperty("blob", out var named) ? named.GetString() : null;
        }

        var policy = root.GetProperty("policy");
        var summary = root.GetProperty("summary");
        IReadOnlyList<BlobCopies>? copies = root.TryGetProperty("copies", out var list)
            ? list.EnumerateArray().Select(item => new BlobCopies(
                Text(item, "container"),
                Text(item, "blob"),
                item.GetProperty("length").GetInt64(),
                item.GetProperty("objects").EnumerateArray().Select(stored => new ObjectLocation(
                    Text(stored, "id"),
                    stored.GetProperty("bytes").GetInt64(),
                    stored.GetProperty("copies").EnumerateArray().Select(copy => new SiteCopy(
                        Text(copy, "site"),
                        Text(copy, "region"),
                        Text(copy, "zone"),
                        Text(copy, "jurisdiction"),
                        ParseState(copy.GetProperty("state").GetString()),
                        copy.TryGetProperty("transfer", out var transfer) ? transfer.GetString() ?? throw new JsonException("'transfer' is a string.") : null)).ToList())).ToList())).ToList()
            : null;
        return new PlacementReport
        {
            Deployment = Text(root, "deployment"),
            Account = Text(root, "account"),
            GeneratedOn = DateTimeOffset.ParseExact(Text(root, "generatedOn"), TimeFormat, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal | DateTimeStyles.AdjustToUniversal),
            Container = container,
            Blob = blob,
            Policy = new PlacementPolicy(
                policy.GetProperty("residency").EnumerateArray().Select(item => item.GetString() ?? throw new JsonException("A residency entry is a string.")).ToList(),
                Text(policy, "primaryRegion"),
                policy.TryGetProperty("secondaryRegion", out var secondary) ? secondary.GetString() : null,
                Redundancy.Parse(Text(policy, "redundancy"))),
            Summary = new PlacementSummary(
                summary.GetProperty("sites").EnumerateArray().Select(site => new SiteUsage(
                    Text(site, "id"),
                    Text(site, "region"),
                    Text(site, "zone"),
                    Text(site, "jurisdiction"),
                    site.GetProperty("present").GetInt64(),
                    site.GetProperty("pending").GetInt64(),
                    site.GetProperty("bad").GetInt64(),
                    site.GetProperty("bytes").GetInt64())).ToList(),
                ReadAreas(summary.GetProperty("regions")),
                ReadAreas(summary.GetProperty("jurisdictions"))),
            Copies = copies,
            CopiesTruncated = root.TryGetProperty("copiesTruncated", out var truncated) && truncated.GetBoolean(),
            Checkpoint = Text(root, "checkpoint"),
        };
    }

    private static List<AreaUsage> ReadAreas(JsonElement areas) =>
        areas.EnumerateArray().Select(area => new AreaUsage(Text(area, "name"), area.GetProperty("objects").GetInt64(), area.GetProperty("bytes").GetInt64())).ToList();

    private static string Text(JsonElement element, string name) =>
        element.GetProperty(name).GetString() ?? throw new JsonException($"'{name}' is a string.");
}

/// <summary>What verifying a placement report found.</summary>
public sealed record PlacementReportVerification(bool Valid, string? Failure, PlacementReport? Report)
{
    public static PlacementReportVerification Fail(string failure, PlacementReport? report = null) => new(false, failure, report);
}

/// <summary>Signing and verifying placement reports (pure logic: the tenant's side needs no server).</summary>
public static class PlacementReports
{
    /// <summary>Signs <paramref name="report"/> under its account log's origin with the deployment's checkpoint key (VaultSealed while sealed).</summary>
    public static string Sign(PlacementReport report, CheckpointSigner signer)
    {
        ArgumentNullException.ThrowIfNull(report);
        ArgumentNullException.ThrowIfNull(signer);
        return signer.SignNote(report.NoteText(), TransparencyLog.OriginOf(report.Deployment, report.Account));
    }

    /// <summary>
    /// Verifies a signed report against <paramref name="key"/> (the account log's verifier key):
    /// the note parses and the key's signature verifies; the text is one line of canonical JSON
    /// of a known version; the key is named after the report's own account log (a report of one
    /// tenant cannot pass for another's); and the embedded checkpoint is of that log, signed by the
    /// same key. Never throws for a bad report.
    /// </summary>
    public static PlacementReportVerification Verify(string note, NoteVerifierKey key)
    {
        ArgumentNullException.ThrowIfNull(note);
        ArgumentNullException.ThrowIfNull(key);
        SignedNote signed;
        try
        {
            signed = SignedNote.Parse(note);
        }
        catch (FormatException exception)
        {
            return PlacementReportVerification.Fail("not a signed note: " + exception.Message);
        }

        if (!signed.HasSignatureBy(key))
        {
            return PlacementReportVerification.Fail($"no signature by the key '{key.Name}' (key id {key.KeyId:x8}).");
        }

        if (!signed.VerifiedBy(key))
        {
            return PlacementReportVerification.Fail("the signature does not verify: the report was changed after it was signed, or the key is not the one that signed it.");
        }

        var text = signed.Text;
        if (text.IndexOf('\n', StringComparison.Ordinal) != text.Length - 1)
        {
            return PlacementReportVerification.Fail("the signed text is not one line of JSON.");
        }

        PlacementReport report;
        try
        {
            report = PlacementReport.Decode(Encoding.UTF8.GetBytes(text[..^1]));
        }
        catch (FormatException exception)
        {
            return PlacementReportVerification.Fail(exception.Message);
        }

        var origin = TransparencyLog.OriginOf(report.Deployment, report.Account);
        if (!string.Equals(origin, key.Name, StringComparison.Ordinal))
        {
            return PlacementReportVerification.Fail($"the report is of '{origin}' but the key is '{key.Name}'.", report);
        }

        try
        {
            var checkpointNote = SignedNote.Parse(report.Checkpoint);
            var checkpoint = Audit.Checkpoint.Parse(checkpointNote.Text);
            if (!string.Equals(checkpoint.Origin, origin, StringComparison.Ordinal) || !checkpointNote.VerifiedBy(key))
            {
                return PlacementReportVerification.Fail("the embedded checkpoint is not the account log's, signed by the same key.", report);
            }
        }
        catch (FormatException exception)
        {
            return PlacementReportVerification.Fail("the embedded checkpoint is not a signed checkpoint: " + exception.Message, report);
        }

        return new PlacementReportVerification(true, null, report);
    }
}
