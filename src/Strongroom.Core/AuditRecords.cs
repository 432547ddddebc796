namespace Strongroom.Core;

/// <summary>
/// One entry to append to a transparency log: the log's id (an account name, or
/// <see cref="AuditLogs.Platform"/>), the time it happened, and its canonical bytes (formatted by
/// Strongroom.Audit; the store never parses them). Passed to a metadata write as its
/// <c>audit</c> argument, it is appended in the same transaction as the write: both commit or
/// neither does.
/// </summary>
public sealed record AuditAppend(string Log, DateTimeOffset Time, byte[] Entry);

/// <summary>Names of logs that are not an account's.</summary>
public static class AuditLogs
{
    /// <summary>The platform log: operator logins, seal and unseal, topology and configuration. '$' cannot start an account name.</summary>
    public const string Platform = "$platform";
}

/// <summary>An entry as stored: its index, when it happened, its leaf hash, and its body unless retention pruned it.</summary>
public sealed record StoredAuditEntry(long Index, DateTimeOffset Time, byte[] LeafHash, byte[]? Body);

/// <summary>A signed tree head the platform published (the note text is the C2SP signed note).</summary>
public sealed record StoredCheckpoint(string Log, long Size, byte[] RootHash, DateTimeOffset SignedOn, string Note);

/// <summary>A log's size and root, read in one snapshot.</summary>
public sealed record AuditTreeHead(string Log, long Size, byte[] RootHash);
