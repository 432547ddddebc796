using System.Security.Cryptography;

using Strongroom.Core;

namespace Strongroom.Audit;

/// <summary>What a verification found. Everything but <see cref="Ok"/> is evidence against the log (or its server).</summary>
public enum LogVerificationStatus
{
    Ok,

    /// <summary>A signature by the pinned key does not verify.</summary>
    BadSignature,

    /// <summary>The checkpoint carries no signature by the pinned key, or the key given is not the one pinned.</summary>
    UnknownKey,

    /// <summary>The checkpoint names another log than the one pinned.</summary>
    OriginMismatch,

    /// <summary>An entry's body does not hash to its stated leaf hash, or is not a canonical entry.</summary>
    EntryMismatch,

    /// <summary>The source skipped an index the checkpoint covers.</summary>
    MissingEntry,

    /// <summary>The entries do not hash to the checkpoint's root.</summary>
    RootMismatch,

    /// <summary>The log is not an extension of what was verified last time: rewritten, forked or shrunk.</summary>
    Inconsistent,

    /// <summary>The checkpoint or an entry listing does not parse or breaks the format.</summary>
    Malformed,
}

/// <summary>
/// The outcome of <see cref="LogVerifier.VerifyAsync"/>. <see cref="FirstBadIndex"/> is the first
/// entry index where the log differs from what it should be, when one can be named.
/// <see cref="NewState"/> is set only on success: the caller saves it
/// (<see cref="VerifierStateStore.Save"/>); a failed verification never moves the pinned state.
/// </summary>
public sealed record LogVerificationResult(
    LogVerificationStatus Status,
    string Message,
    long? FirstBadIndex,
    Checkpoint? Checkpoint,
    string? CheckpointNote,
    long EntriesChecked,
    long EntriesPruned,
    VerifierState? NewState)
{
    public bool Ok => Status == LogVerificationStatus.Ok;
}

/// <summary>
/// The tenant's verifier (pure logic over an <see cref="ILogSource"/>): fetches the latest
/// checkpoint and checks its signature against the pinned key; fetches every entry [0, size) and
/// checks each body against its leaf hash and the canonical entry format (pruned entries count by
/// their stated leaf hash); recomputes the root and compares it with the checkpoint; and, when a
/// previous verification was saved, checks the log only grew: the leaves seen last time are
/// unchanged and the server's consistency proof from the old checkpoint to the new one verifies.
/// A rewritten, reordered, truncated or forked log is reported with the first index where it
/// differs: from the stored leaves when they cover it, else by bisecting with consistency proofs
/// against the signed root (the prefix of the fetched leaves that the signed tree contains).
/// </summary>
public static class LogVerifier
{
    public static async Task<LogVerificationResult> VerifyAsync(
        ILogSource source,
        VerifierState? previous,
        NoteVerifierKey? pinnedKey,
        IProgress<long>? progress = null,
        CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(source);
        NoteVerifierKey key;
        if (previous is not null)
        {
            key = NoteVerifierKey.Parse(previous.VerifierKey);
            if (pinnedKey is not null && !pinnedKey.Equals(key))
            {
                return Fail(LogVerificationStatus.UnknownKey, $"The key given ({pinnedKey}) is not the key pinned for this log ({key}); a key change needs the pinned state removed on purpose.");
            }
        }
        else
        {
            key = pinnedKey ?? throw new ArgumentException("A first verification needs the verifier key to pin.", nameof(pinnedKey));
        }

        var noteText = await source.GetCheckpointAsync(cancellationToken).ConfigureAwait(false);
        SignedNote note;
        Checkpoint checkpoint;
        try
        {
            note = SignedNote.Parse(noteText);
        }
        catch (FormatException e)
        {
            return Fail(LogVerificationStatus.Malformed, $"The checkpoint is not a signed note: {e.Message}");
        }

        if (!note.HasSignatureBy(key))
        {
            return Fail(LogVerificationStatus.UnknownKey, $"The checkpoint is not signed by the pinned key {key.Name}+{key.KeyId:x8}.");
        }

        if (!note.VerifiedBy(key))
        {
            return Fail(LogVerificationStatus.BadSignature, $"The checkpoint's signature by {key.Name}+{key.KeyId:x8} does not verify.");
        }

        try
        {
            checkpoint = Checkpoint.Parse(note.Text);
        }
        catch (FormatException e)
        {
            return Fail(LogVerificationStatus.Malformed, $"The signed checkpoint does not parse: {e.Message}");
        }

        var origin = previous?.Origin ?? key.Name;
        if (checkpoint.Origin != origin)
        {
            return Fail(LogVerificationStatus.OriginMismatch, $"The checkpoint is for log '{checkpoint.Origin}', not '{origin}'.", checkpoint: checkpoint, note: noteText);
        }

        // Every entry, in order.
        var leaves = new LeafHashBuffer();
        long entriesChecked = 0, entriesPruned = 0;
        long next = 0;
        while (next < checkpoint.Size)
        {
            var end = Math.Min(next + Limits.AuditEntriesPageMax, checkpoint.Size);
            var page = await source.GetEntriesAsync(next, end, cancellationToken).ConfigureAwait(false);
            if (page.Entries.Count == 0)
            {
                return Fail(LogVerificationStatus.MissingEntry, $"Entry {next} is missing: the server returned no entries from it on although the checkpoint covers {checkpoint.Size}.", next, checkpoint, noteText, entriesChecked, entriesPruned);
            }

            foreach (var entry in page.Entries)
            {
                if (entry.Index > next && next < end)
                {
                    return Fail(LogVerificationStatus.MissingEntry, $"Entry {next} is missing: the server skipped from {next - 1} to {entry.Index}.", next, checkpoint, noteText, entriesChecked, entriesPruned);
                }

                if (entry.Index != next || next >= end)
                {
                    return Fail(LogVerificationStatus.Malformed, $"The server returned entry {entry.Index} where entry {next} was expected (out of order, repeated or outside the range asked).", next, checkpoint, noteText, entriesChecked, entriesPruned);
                }

                if (entry.LeafHash is not { Length: MerkleTree.HashBytes })
                {
                    return Fail(LogVerificationStatus.Malformed, $"Entry {next} has no 32-byte leaf hash.", next, checkpoint, noteText, entriesChecked, entriesPruned);
                }

                if (entry.Body is { } body)
                {
                    if (!CryptographicOperations.FixedTimeEquals(MerkleTree.LeafHash(body), entry.LeafHash))
                    {
                        return Fail(LogVerificationStatus.EntryMismatch, $"Entry {next} does not hash to its leaf hash: its body was altered.", next, checkpoint, noteText, entriesChecked, entriesPruned);
                    }

                    try
                    {
                        AuditEntry.Decode(body);
                    }
                    catch (FormatException e)
                    {
                        return Fail(LogVerificationStatus.EntryMismatch, $"Entry {next} is not a canonical audit entry: {e.Message}", next, checkpoint, noteText, entriesChecked, entriesPruned);
                    }

                    entriesChecked++;
                }
                else
                {
                    entriesPruned++;
                }

                leaves.Add(entry.LeafHash);
                next++;
            }

            progress?.Report(next);
        }

        var root = MerkleTree.RootFromLeafHashes(leaves.Enumerate(leaves.Count));
        if (!CryptographicOperations.FixedTimeEquals(root, checkpoint.RootHash))
        {
            var firstBad = previous is null ? null : FirstDifference(previous, leaves);
            firstBad ??= await BisectAsync(source, leaves, checkpoint, cancellationToken).ConfigureAwait(false);
            return Fail(LogVerificationStatus.RootMismatch, $"The entries do not hash to the signed root of size {checkpoint.Size}{(firstBad is { } i ? $"; the first entry not in the signed tree is {i}" : "")}.", firstBad, checkpoint, noteText, entriesChecked, entriesPruned);
        }

        if (previous is not null)
        {
            if (FirstDifference(previous, leaves) is { } changed)
            {
                return Fail(LogVerificationStatus.Inconsistent, $"Entry {changed} differs from the entry verified last time (checkpoint of size {previous.Size}): the log was rewritten or forked.", changed, checkpoint, noteText, entriesChecked, entriesPruned);
            }

            if (checkpoint.Size < previous.Size)
            {
                return Fail(LogVerificationStatus.Inconsistent, $"The log shrank from {previous.Size} to {checkpoint.Size} entries since the last verification.", checkpoint.Size, checkpoint, noteText, entriesChecked, entriesPruned);
            }

            // Sizes equal or the first empty: the proof is empty by definition, nothing to ask.
            IReadOnlyList<byte[]> proof = previous.Size == 0 || previous.Size == checkpoint.Size
                ? []
                : await source.GetConsistencyProofAsync(previous.Size, checkpoint.Size, cancellationToken).ConfigureAwait(false);
            if (!MerkleTree.VerifyConsistency(previous.Size, checkpoint.Size, previous.RootHash, checkpoint.RootHash, proof))
            {
                return Fail(LogVerificationStatus.Inconsistent, $"The server's consistency proof from size {previous.Size} to {checkpoint.Size} does not verify.", null, checkpoint, noteText, entriesChecked, entriesPruned);
            }
        }

        var state = new VerifierState(checkpoint.Origin, key.ToString(), noteText, checkpoint.Size, checkpoint.RootHash, leaves.ToArray());
        var grew = previous is null ? $"first verification; key {key.Name}+{key.KeyId:x8} pinned" : $"consistent with the last verification at size {previous.Size}";
        return new LogVerificationResult(
            LogVerificationStatus.Ok,
            $"Verified {checkpoint.Size} entries ({entriesChecked} bodies checked, {entriesPruned} pruned) against the signed root; {grew}.",
            null,
            checkpoint,
            noteText,
            entriesChecked,
            entriesPruned,
            state);
    }

    private static LogVerificationResult Fail(
        LogVerificationStatus status,
        string message,
        long? firstBadIndex = null,
        Checkpoint? checkpoint = null,
        string? note = null,
        long entriesChecked = 0,
        long entriesPruned = 0) =>
        new(status, message, firstBadIndex, checkpoint, note, entriesChecked, entriesPruned, null);

    // The first index below both sizes where the fetched leaf differs from the stored one.
    private static long? FirstDifference(VerifierState previous, LeafHashBuffer leaves)
    {
        var common = Math.Min(previous.Size, leaves.Count);
        for (long i = 0; i < common; i++)
        {
            if (!previous.LeafHash(i).SequenceEqual(leaves[i]))
            {
                return i;
            }
        }

        return null;
    }

    // The smallest m such that the first m fetched leaves are not a prefix of the signed tree
    // (no valid consistency proof from their root to the signed root); entry m − 1 is then the first
    // that differs. Honest proofs make "is a prefix" monotone, so a binary search finds it with
    // O(log n) proofs; a server that refuses a valid proof can only make the index earlier.
    private static async Task<long?> BisectAsync(ILogSource source, LeafHashBuffer leaves, Checkpoint checkpoint, CancellationToken cancellationToken)
    {
        var size = leaves.Count;
        if (size == 0)
        {
            return null;
        }

        var tree = new PrefixTree(leaves);
        long good = 0, bad = size; // prefix `good` is in the signed tree, prefix `bad` is not
        while (bad - good > 1)
        {
            var middle = good + ((bad - good) / 2);
            var proof = await source.GetConsistencyProofAsync(middle, size, cancellationToken).ConfigureAwait(false);
            if (MerkleTree.VerifyConsistency(middle, size, tree.Root(middle), checkpoint.RootHash, proof))
            {
                good = middle;
            }
            else
            {
                bad = middle;
            }
        }

        return bad - 1;
    }

    /// <summary>Leaf hashes in one growing flat buffer (32 bytes each).</summary>
    private sealed class LeafHashBuffer
    {
        private byte[] buffer = new byte[MerkleTree.HashBytes * 64];

        public long Count { get; private set; }

        public ReadOnlySpan<byte> this[long index] => buffer.AsSpan(checked((int)(index * MerkleTree.HashBytes)), MerkleTree.HashBytes);

        public void Add(byte[] hash)
        {
            var offset = checked((int)(Count * MerkleTree.HashBytes));
            if (offset + MerkleTree.HashBytes > buffer.Length)
            {
                Array.Resize(ref buffer, checked(Math.Max(buffer.Length * 2, offset + MerkleTree.HashBytes)));
            }

            hash.CopyTo(buffer, offset);
            Count++;
        }

        public IEnumerable<byte[]> Enumerate(long count)
        {
            for (long i = 0; i < count; i++)
            {
                yield return this[i].ToArray();
            }
        }

        public byte[] ToArray() => buffer.AsSpan(0, checked((int)(Count * MerkleTree.HashBytes))).ToArray();
    }

    /// <summary>Every complete aligned subtree hash of the fetched leaves, so any prefix root costs O(log n).</summary>
    private sealed class PrefixTree
    {
        private readonly List<byte[][]> levels = [];

        public PrefixTree(LeafHashBuffer leaves)
        {
            var level = leaves.Enumerate(leaves.Count).ToArray();
            levels.Add(level);
            while (level.Length > 1)
            {
                var up = new byte[level.Length / 2][];
                for (var i = 0; i < up.Length; i++)
                {
                    up[i] = MerkleTree.NodeHash(level[2 * i], level[(2 * i) + 1]);
                }

                levels.Add(up);
                level = up;
            }
        }

        public byte[] Root(long size) => MerkleTree.RootHash(size, (level, index) => levels[level][index]);
    }
}
