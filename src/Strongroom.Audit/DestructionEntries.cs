using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using Strongroom.Core;

namespace Strongroom.Audit;

/// <summary>
/// The entries a destruction leaves in its account's log (issue 7): the key destruction, naming
/// its id, kind, counts and sites, and its key ids by count and digest (the certificate lists
/// them; an entry's detail is bounded by <see cref="Limits.AuditTextCharsMax"/>).
/// </summary>
public static class DestructionEntries
{
    /// <summary>The key-destruction entry of <paramref name="destruction"/>, attributed to the current context.</summary>
    public static AuditAppend KeysDestroyed(TransparencyLog audit, DestructionRecord destruction)
    {
        ArgumentNullException.ThrowIfNull(audit);
        ArgumentNullException.ThrowIfNull(destruction);
        return audit.Entry(
            destruction.Account,
            AuditActions.DestroyKeys,
            "/" + destruction.Scope,
            details:
            [
                new("destruction", destruction.Id),
                new("kind", destruction.Kind == DestructionKind.AccountClosure ? "AccountClosure" : "ContainerPurge"),
                new("objects", destruction.ObjectCount.ToString(CultureInfo.InvariantCulture)),
                new("bytes", destruction.ByteCount.ToString(CultureInfo.InvariantCulture)),
                .. KeyIds(destruction.Keys),
            ],
            sites: [.. destruction.Sites.Select(site => site.SiteId)]);
    }

    /// <summary>Key ids as entry details: their count and the SHA-256 of the ids in ordinal order, one per line.</summary>
    public static IReadOnlyList<KeyValuePair<string, string>> KeyIds(IEnumerable<DestroyedKey> keys)
    {
        ArgumentNullException.ThrowIfNull(keys);
        var ids = keys.Select(key => key.Id).Order(StringComparer.Ordinal).ToList();
        var digest = SHA256.HashData(Encoding.UTF8.GetBytes(string.Join('\n', ids)));
        return [new("keys", ids.Count.ToString(CultureInfo.InvariantCulture)), new("keyIdsSha256", Convert.ToHexStringLower(digest))];
    }
}
