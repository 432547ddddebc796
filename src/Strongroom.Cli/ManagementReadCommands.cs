using System.Globalization;
using System.Text;
using System.Text.Json;
using Strongroom.Audit;
using Strongroom.Core;

namespace Strongroom.Cli;

/// <summary>
/// A log read over the management plane with a signed-in session (<c>strongroom audit
/// verify|tail|export --session FILE</c>): the platform log for audit and security admins
/// (<c>v1/log/platform/…</c>), an account's log for its tenant administrators and audit admins
/// (<c>v1/accounts/A/log/…</c>). The server decides who may read what; the verifier trusts nothing
/// it serves.
/// </summary>
internal sealed class ManagementLogSource(ManagementClient client, string log) : IAuditLogReader, IDisposable
{
    private readonly string prefix = log == AuditLogs.Platform ? "v1/log/platform/" : $"v1/accounts/{Uri.EscapeDataString(log)}/log/";

    public string Description => log == AuditLogs.Platform ? $"the platform log at {client.Server}" : $"account {log} at {client.Server}";

    /// <summary>The management endpoint and the log: a pinned state apart from the tenant endpoints' (another URL).</summary>
    public string Identity => $"{client.Server} {(log == AuditLogs.Platform ? "$platform" : log)}";

    public async Task<string> GetCheckpointNoteAsync(CancellationToken cancellationToken) =>
        Text(await GetAsync("checkpoint", cancellationToken).ConfigureAwait(false), "checkpoint");

    public async Task<long> GetSizeAsync(CancellationToken cancellationToken)
    {
        var note = await GetCheckpointNoteAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            return Checkpoint.Parse(SignedNote.Parse(note).Text).Size;
        }
        catch (FormatException)
        {
            throw new CliException(Cli.ExitFailure, $"{client.Server} served a checkpoint that does not parse: run `strongroom audit verify`.");
        }
    }

    public async Task<string> GetVerifierKeyAsync(CancellationToken cancellationToken) =>
        Text(await GetAsync("key", cancellationToken).ConfigureAwait(false), "key").TrimEnd('\n');

    public async Task<AuditEntriesPage> GetEntriesAsync(long start, long end, CancellationToken cancellationToken)
    {
        var root = await GetAsync(Invariant($"entries?start={start}&end={end}"), cancellationToken).ConfigureAwait(false);
        try
        {
            var entries = new List<AuditLogEntry>();
            foreach (var item in root.GetProperty("entries").EnumerateArray())
            {
                var body = item.GetProperty("entry");
                DateTimeOffset? time = item.TryGetProperty("time", out var at) && at.ValueKind == JsonValueKind.String
                    && DateTimeOffset.TryParse(at.GetString(), CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var parsed) ? parsed : null;
                entries.Add(new AuditLogEntry(
                    item.GetProperty("index").GetInt64(),
                    item.GetProperty("leafHash").GetBytesFromBase64(),
                    body.ValueKind == JsonValueKind.Null ? null : body.GetBytesFromBase64(),
                    time));
            }

            return new AuditEntriesPage(root.GetProperty("size").GetInt64(), entries);
        }
        catch (Exception exception) when (exception is KeyNotFoundException or InvalidOperationException or FormatException)
        {
            throw Malformed("entries");
        }
    }

    public async Task<IReadOnlyList<byte[]>> GetInclusionProofAsync(long index, long size, CancellationToken cancellationToken) =>
        Hashes(await GetAsync(Invariant($"proof/inclusion?index={index}&size={size}"), cancellationToken).ConfigureAwait(false));

    public async Task<IReadOnlyList<byte[]>> GetConsistencyProofAsync(long first, long second, CancellationToken cancellationToken) =>
        Hashes(await GetAsync(Invariant($"proof/consistency?first={first}&second={second}"), cancellationToken).ConfigureAwait(false));

    public void Dispose() => client.Dispose();

    private Task<JsonElement> GetAsync(string path, CancellationToken cancellationToken) =>
        client.SendAsync(HttpMethod.Get, prefix + path, body: null, cancellationToken);

    private string Text(JsonElement root, string name) =>
        root.ValueKind == JsonValueKind.Object && root.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.String
            ? value.GetString()!
            : throw Malformed(name);

    private byte[][] Hashes(JsonElement root)
    {
        try
        {
            return [.. root.GetProperty("hashes").EnumerateArray().Select(hash => hash.GetBytesFromBase64())];
        }
        catch (Exception exception) when (exception is KeyNotFoundException or InvalidOperationException or FormatException)
        {
            throw Malformed("proof");
        }
    }

    private CliException Malformed(string what) =>
        new(Cli.ExitFailure, $"{client.Server} answered the {what} of {Description} with JSON this CLI does not understand: is it a Strongroom management plane?");

    private static string Invariant(FormattableString text) => text.ToString(CultureInfo.InvariantCulture);
}

/// <summary>
/// <c>strongroom account locations A --session FILE [--report FILE]</c>: an account's locations
/// over the management plane, for its tenant administrators and audit admins (the host version
/// reads the data directory).
/// </summary>
internal static class ManagementReadCommands
{
    public static async Task<int> LocationsAsync(
        TextWriter output,
        string? sessionOption,
        string? caCertificate,
        string account,
        string? container,
        string? blob,
        string? marker,
        string? reportPath,
        bool json,
        CancellationToken cancellationToken)
    {
        using var client = ManagementClient.FromSession(sessionOption, caCertificate, out _);
        var query = new StringBuilder();
        void Add(string name, string? value)
        {
            if (value is not null)
            {
                query.Append(query.Length == 0 ? '?' : '&').Append(name).Append('=').Append(Uri.EscapeDataString(value));
            }
        }

        Add("container", container);
        Add("blob", blob);
        Add("marker", marker);
        var path = $"v1/accounts/{Uri.EscapeDataString(account)}/locations";
        var locations = await client.SendAsync(HttpMethod.Get, path + query, body: null, cancellationToken).ConfigureAwait(false);
        if (json)
        {
            output.WriteLine(Cli.Json(writer => locations.WriteTo(writer)));
        }
        else
        {
            WriteLocations(output, locations);
        }

        if (reportPath is not null)
        {
            query.Clear();
            Add("container", container);
            Add("blob", blob);
            var answer = await client.SendAsync(HttpMethod.Get, path + "/report" + query, body: null, cancellationToken).ConfigureAwait(false);
            var note = answer.TryGetProperty("report", out var report) && report.ValueKind == JsonValueKind.String
                ? report.GetString()!
                : throw new CliException(Cli.ExitFailure, $"{client.Server} answered the placement report without one.");
            await File.WriteAllTextAsync(reportPath, note, new UTF8Encoding(false), cancellationToken).ConfigureAwait(false);
            (json ? CliSession.Current.Error : output).WriteLine($"Signed placement report written to {reportPath}; verify it with `strongroom placement verify-report {reportPath} --public-key KEY` (the key of the account's log, from `strongroom audit key --account {account}` on the host or the checkpoint's signer).");
        }

        return Cli.ExitSuccess;
    }

    /// <summary>The locations JSON (PlacementJson's shape) as text: the policy, the copies per site, region and jurisdiction, and each blob's copies.</summary>
    private static void WriteLocations(TextWriter output, JsonElement locations)
    {
        try
        {
            var policy = locations.GetProperty("policy");
            var secondary = policy.TryGetProperty("secondaryRegion", out var s) ? ", secondary " + s.GetString() : string.Empty;
            output.WriteLine($"Account:           {locations.GetProperty("account").GetString()}");
            output.WriteLine($"Policy:            residency {string.Join(",", policy.GetProperty("residency").EnumerateArray().Select(j => j.GetString()))}, primary {policy.GetProperty("primaryRegion").GetString()}{secondary}, {policy.GetProperty("redundancy").GetString()}");
            output.WriteLine();
            var summary = locations.GetProperty("summary");
            var rows = summary.GetProperty("sites").EnumerateArray().Select(site => new[]
            {
                site.GetProperty("id").GetString()!, site.GetProperty("region").GetString()!, site.GetProperty("zone").GetString()!, site.GetProperty("jurisdiction").GetString()!,
                Number(site, "present"), Number(site, "pending"), Number(site, "bad"), PlacementCommands.FormatBytes(site.GetProperty("bytes").GetInt64()),
            }).ToList();
            string[] header = ["SITE", "REGION", "ZONE", "JURISDICTION", "PRESENT", "PENDING", "BAD", "BYTES"];
            var widths = header.Select((title, column) => Math.Max(title.Length, rows.Count == 0 ? 0 : rows.Max(row => row[column].Length))).ToArray();
            output.WriteLine(string.Join("  ", header.Select((title, column) => title.PadRight(widths[column]))).TrimEnd());
            foreach (var row in rows)
            {
                output.WriteLine(string.Join("  ", row.Select((cell, column) => cell.PadRight(widths[column]))).TrimEnd());
            }

            foreach (var (title, name) in new[] { ("Region", "regions"), ("Jurisdiction", "jurisdictions") })
            {
                foreach (var area in summary.GetProperty(name).EnumerateArray())
                {
                    output.WriteLine($"{title} {area.GetProperty("name").GetString()}: {Number(area, "objects")} copies, {PlacementCommands.FormatBytes(area.GetProperty("bytes").GetInt64())}");
                }
            }

            foreach (var blob in locations.GetProperty("blobs").EnumerateArray())
            {
                var objects = blob.GetProperty("objects");
                output.WriteLine();
                output.WriteLine($"{blob.GetProperty("container").GetString()}/{blob.GetProperty("blob").GetString()} ({PlacementCommands.FormatBytes(blob.GetProperty("length").GetInt64())}, {objects.GetArrayLength()} object(s))");
                foreach (var stored in objects.EnumerateArray())
                {
                    var id = stored.GetProperty("id").GetString()!;
                    foreach (var copy in stored.GetProperty("copies").EnumerateArray())
                    {
                        output.WriteLine($"  {id[..Math.Min(12, id.Length)]}  {copy.GetProperty("site").GetString(),-16} {copy.GetProperty("region").GetString(),-14} {copy.GetProperty("zone").GetString(),-14} {copy.GetProperty("jurisdiction").GetString(),-4} {copy.GetProperty("state").GetString()}");
                    }
                }
            }

            if (locations.TryGetProperty("nextMarker", out var next))
            {
                output.WriteLine();
                output.WriteLine($"More blobs: --marker '{next.GetString()}'");
            }
        }
        catch (Exception exception) when (exception is KeyNotFoundException or InvalidOperationException)
        {
            throw new CliException(Cli.ExitFailure, "the management plane answered the locations with JSON this CLI does not understand.");
        }
    }

    private static string Number(JsonElement element, string name) => element.GetProperty(name).GetInt64().ToString(CultureInfo.InvariantCulture);
}
