namespace Strongroom.Core;

// Crypto-shredding and its evidence (issue 7). docs/destruction.md is the manual.

public enum DestructionKind
{
    /// <summary>Every key-encryption key of a closed account, at the end of its grace period.</summary>
    AccountClosure = 0,

    /// <summary>A container's data keys: a soft-deleted container purged (retention end or early), or a container deleted with soft delete off.</summary>
    ContainerPurge = 1,
}

public enum DestructionState
{
    /// <summary>The keys are destroyed; ciphertext remains on at least one site (unreadable) until its sweep.</summary>
    Sweeping = 0,

    /// <summary>Every site's sweep is complete: no ciphertext and no metadata of the scope remain.</summary>
    Complete = 1,
}

/// <summary>
/// One destroyed key. <paramref name="Id"/> names it without revealing it:
/// <c>account-kek/{account}/v{n}</c>, <c>scope-kek/{account}/{scope}</c>,
/// <c>vault-key/{account}/{name}/{version}</c> (a customer-managed key), <c>data-key/{objectId}</c>.
/// A customer-managed key under purge protection is destroyed at <paramref name="DestroyedOn"/>
/// later than the rest; until then <paramref name="DestroyedOn"/> is null and
/// <paramref name="ScheduledOn"/> says when.
/// </summary>
public sealed record DestroyedKey(string Id, DateTimeOffset? DestroyedOn, DateTimeOffset? ScheduledOn = null);

/// <summary>A site that held copies of the destroyed scope, and whether its sweep is complete.</summary>
public sealed record DestructionSite(string SiteId, long Copies, bool SweepComplete, DateTimeOffset? CompletedOn);

/// <summary>
/// One crypto-shredding: what was destroyed, when, and how far the sweep of the sites has got.
/// The certificate (Strongroom.Destruction) is built from this record and the log entries at
/// <see cref="KeysEntryIndex"/> and <see cref="SweepEntryIndex"/> in the account's log.
/// </summary>
public sealed record DestructionRecord(
    string Id,
    string Account,
    DestructionKind Kind,
    string Scope,
    DestructionState State,
    DateTimeOffset KeysDestroyedOn,
    DateTimeOffset? SweepCompletedOn,
    long ObjectCount,
    long ByteCount,
    IReadOnlyList<DestroyedKey> Keys,
    IReadOnlyList<DestructionSite> Sites)
{
    /// <summary>Index of the key-destruction entry in the account's transparency log.</summary>
    public long? KeysEntryIndex { get; init; }

    /// <summary>Index of the sweep-completion entry; null until the sweep completes.</summary>
    public long? SweepEntryIndex { get; init; }
}
