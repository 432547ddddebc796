namespace Strongroom.Audit;

/// <summary>
/// Where a verifier reads a log from: the tenant endpoints over HTTPS, or the data directory on
/// the host. <see cref="LogVerifier"/> trusts nothing a source returns; a source only fetches and
/// decodes (malformed wire data is its own exception, e.g. FormatException or HttpRequestException,
/// which the verifier lets through).
/// </summary>
public interface ILogSource
{
    /// <summary>The latest signed checkpoint: the C2SP signed note text.</summary>
    Task<string> GetCheckpointAsync(CancellationToken cancellationToken = default);

    /// <summary>Entries [<paramref name="start"/>, <paramref name="end"/>) in index order (end exclusive; at most <see cref="Core.Limits.AuditEntriesPageMax"/>). A source may return fewer (a prefix); the verifier asks again from the next index.</summary>
    Task<LogEntryPage> GetEntriesAsync(long start, long end, CancellationToken cancellationToken = default);

    /// <summary>The RFC 9162 consistency proof from tree size <paramref name="first"/> to <paramref name="second"/>.</summary>
    Task<IReadOnlyList<byte[]>> GetConsistencyProofAsync(long first, long second, CancellationToken cancellationToken = default);
}

/// <summary>One entry as a source serves it: its index, the leaf hash the server states, and its canonical body (null once retention pruned it).</summary>
public sealed record LogSourceEntry(long Index, byte[] LeafHash, byte[]? Body);

/// <summary>A range of entries as a source serves it.</summary>
public sealed record LogEntryPage(IReadOnlyList<LogSourceEntry> Entries);
