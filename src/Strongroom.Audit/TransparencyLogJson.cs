using System.Globalization;
using System.Text.Json;
using Strongroom.Core;

namespace Strongroom.Audit;

/// <summary>
/// The JSON answers a transparency log gives about itself, shared by the data plane's
/// <c>/.strongroom/log/</c> endpoints and the management plane's log routes: one shape of entries
/// and proofs, one rule for a range of entries.
/// </summary>
public static class TransparencyLogJson
{
    /// <summary>Why <c>[start, end)</c> is not a range one request may read from a log of <paramref name="size"/> entries, or null when it is.</summary>
    public static string? EntriesRangeProblem(long start, long end, long size)
    {
        if (start > end || end > size)
        {
            return $"The range [{start}, {end}) is not within the log of {size} entries (start ≤ end ≤ size; end is exclusive).";
        }

        return end - start > Limits.AuditEntriesPageMax ? $"At most {Limits.AuditEntriesPageMax} entries per request." : null;
    }

    /// <summary>
    /// <c>"size","entries":[{"index","leafHash","entry","time"?}]</c> inside an open object:
    /// <c>entry</c> is the body in base64, or null once it has been erased; <c>time</c> (UTC, to the
    /// second) only when <paramref name="withTime"/>.
    /// </summary>
    public static void WriteEntries(Utf8JsonWriter json, long size, IReadOnlyList<StoredAuditEntry> entries, bool withTime)
    {
        ArgumentNullException.ThrowIfNull(json);
        ArgumentNullException.ThrowIfNull(entries);
        json.WriteNumber("size", size);
        json.WriteStartArray("entries");
        foreach (var entry in entries)
        {
            json.WriteStartObject();
            json.WriteNumber("index", entry.Index);
            json.WriteBase64String("leafHash", entry.LeafHash);
            if (entry.Body is null)
            {
                json.WriteNull("entry");
            }
            else
            {
                json.WriteBase64String("entry", entry.Body);
            }

            if (withTime)
            {
                json.WriteString("time", entry.Time.UtcDateTime.ToString("yyyy-MM-ddTHH:mm:ssZ", CultureInfo.InvariantCulture));
            }

            json.WriteEndObject();
        }

        json.WriteEndArray();
    }

    /// <summary><c>"hashes":[base64…]</c>: a proof's hashes, in order.</summary>
    public static void WriteHashes(Utf8JsonWriter json, IReadOnlyList<byte[]> hashes)
    {
        ArgumentNullException.ThrowIfNull(json);
        ArgumentNullException.ThrowIfNull(hashes);
        json.WriteStartArray("hashes");
        foreach (var hash in hashes)
        {
            json.WriteBase64StringValue(hash);
        }

        json.WriteEndArray();
    }
}
