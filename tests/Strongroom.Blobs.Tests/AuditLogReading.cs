using Strongroom.Audit;
using Strongroom.Core;

namespace Strongroom.Blobs.Tests;

/// <summary>Reads a transparency log back as decoded entries, for assertions.</summary>
internal static class AuditLogReading
{
    public static async Task<long> SizeAsync(this TransparencyLog log, string name) => (await log.GetTreeHeadAsync(name)).Size;

    /// <summary>The entries from index <paramref name="from"/> to the end, decoded (every body must still be kept).</summary>
    public static async Task<IReadOnlyList<AuditEntry>> EntriesAsync(this TransparencyLog log, string name, long from = 0)
    {
        var stored = await log.StoredEntriesAsync(name, from);
        return stored.Select(entry => AuditEntry.Decode(entry.Body ?? throw new InvalidOperationException($"entry {entry.Index} was pruned"))).ToList();
    }

    public static async Task<IReadOnlyList<StoredAuditEntry>> StoredEntriesAsync(this TransparencyLog log, string name, long from = 0)
    {
        var size = await log.SizeAsync(name);
        var result = new List<StoredAuditEntry>();
        for (var start = from; start < size; start += Limits.AuditEntriesPageMax)
        {
            result.AddRange(await log.ReadEntriesAsync(name, start, Math.Min(size, start + Limits.AuditEntriesPageMax)));
        }

        return result;
    }

    public static string? Detail(this AuditEntry entry, string name) =>
        entry.Details.Where(detail => detail.Key == name).Select(detail => detail.Value).FirstOrDefault();
}
