namespace Strongroom.Core;

// Records of the key hierarchy as the store keeps it: every value is wrapped, and the wrapped
// bytes record the version of the key that wrapped them (KeyWrap format).

/// <summary>
/// One version of an account's key-encryption key, wrapped by the platform keyring. New data keys
/// are wrapped by the newest version; older versions keep unwrapping the data keys they wrapped.
/// </summary>
public sealed record AccountKeyEncryptionKey(string Account, uint Version, byte[] Wrapped, DateTimeOffset CreatedOn)
{
    /// <summary>The version every account starts with (and every account created before versioning has).</summary>
    public const uint FirstVersion = 1;
}

public enum WrappedKeyKind
{
    /// <summary>An account's shared key; <see cref="WrappedKeyReplacement.Index"/> is the slot (1 or 2).</summary>
    SharedKey = 0,

    /// <summary>An account key-encryption key; the index is its version.</summary>
    AccountKeyEncryptionKey = 1,

    /// <summary>A stored object's data key; the owner is the object id, the index is unused (0).</summary>
    DataKey = 2,

    /// <summary>A platform-managed encryption scope's key-encryption key; the owner is the account,
    /// <see cref="WrappedKeyReplacement.Name"/> the scope, the index is unused (0).</summary>
    ScopeKeyEncryptionKey = 3,
}

/// <summary>
/// A compare-and-swap of one wrapped key: the store replaces <see cref="Expected"/> with
/// <see cref="Replacement"/> only if the stored bytes are still exactly <see cref="Expected"/>, so a
/// value overwritten or deleted meanwhile is left alone (never resurrected).
/// </summary>
public sealed record WrappedKeyReplacement(WrappedKeyKind Kind, string Owner, long Index, byte[] Expected, byte[] Replacement, string? Name = null);

/// <summary>A stored object's wrapped data key with the blob it belongs to (its binding), for rewrapping.</summary>
public sealed record ObjectKeyRecord(string ObjectId, string Account, string Container, string Blob, byte[] WrappedDataKey);

/// <summary>One page of object keys; <see cref="ContinueAfter"/> is the last object id scanned, or null at the end.</summary>
public sealed record ObjectKeyPage(IReadOnlyList<ObjectKeyRecord> Keys, string? ContinueAfter);
