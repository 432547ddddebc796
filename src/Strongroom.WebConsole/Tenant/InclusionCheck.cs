using System.Globalization;
using Strongroom.Audit;
using Strongroom.Core;

namespace Strongroom.WebConsole;

/// <summary>
/// The outcome of a tenant's inclusion check in the console: the signed checkpoint it was checked
/// against, the leaf hash, the proof path and the verdict. <see cref="Reason"/> says in words why a
/// check failed (or what it proved).
/// </summary>
public sealed record InclusionCheckResult(
    bool Verified,
    string Reason,
    long Index,
    Checkpoint? Checkpoint,
    string? CheckpointNote,
    byte[]? LeafHash,
    string? LeafHashSource,
    IReadOnlyList<byte[]> Proof);

/// <summary>The outcome of a consistency check from a checkpoint the tenant kept to the current signed one.</summary>
public sealed record ConsistencyCheckResult(
    bool Verified,
    string Reason,
    Checkpoint? Earlier,
    Checkpoint? Current,
    IReadOnlyList<byte[]> Proof);

/// <summary>
/// Inclusion and consistency checks as the tenant's verifier (<c>strongroom audit verify</c>,
/// <see cref="LogVerifier"/>) makes them: the checkpoint is a C2SP signed note that must carry a
/// signature by the log's verifier key that verifies (<see cref="SignedNote.VerifiedBy"/>), name
/// the account's log (origin), and the RFC 9162 proofs are checked by
/// <see cref="MerkleTree.VerifyInclusion"/> and <see cref="MerkleTree.VerifyConsistency"/> against
/// its root. Pure: the console reads the log and hands the pieces here, so a test can tamper with
/// any of them.
/// </summary>
public static class LogChecks
{
    /// <summary>The signed checkpoint, checked: its signature by <paramref name="key"/> and its origin.</summary>
    public static (Checkpoint? Checkpoint, string? Problem) VerifyCheckpoint(string noteText, NoteVerifierKey key, string origin)
    {
        ArgumentNullException.ThrowIfNull(noteText);
        ArgumentNullException.ThrowIfNull(key);
        SignedNote note;
        try
        {
            note = SignedNote.Parse(noteText);
        }
        catch (FormatException exception)
        {
            return (null, $"The checkpoint is not a signed note: {exception.Message}");
        }

        if (!note.HasSignatureBy(key))
        {
            return (null, $"The checkpoint is not signed by the log's key {key.Name}+{key.KeyId:x8}.");
        }

        if (!note.VerifiedBy(key))
        {
            return (null, $"The checkpoint's signature by {key.Name}+{key.KeyId:x8} does not verify.");
        }

        Checkpoint checkpoint;
        try
        {
            checkpoint = Checkpoint.Parse(note.Text);
        }
        catch (FormatException exception)
        {
            return (null, $"The signed checkpoint does not parse: {exception.Message}");
        }

        return checkpoint.Origin == origin
            ? (checkpoint, null)
            : (null, $"The checkpoint is for log '{checkpoint.Origin}', not '{origin}'.");
    }

    /// <summary>
    /// Checks that <paramref name="leafHash"/> is the leaf at <paramref name="index"/> of the tree
    /// the signed checkpoint <paramref name="noteText"/> commits to, through <paramref name="proof"/>.
    /// </summary>
    public static InclusionCheckResult VerifyInclusion(string noteText, NoteVerifierKey key, string origin, long index, byte[] leafHash, string leafHashSource, IReadOnlyList<byte[]> proof)
    {
        ArgumentNullException.ThrowIfNull(leafHash);
        ArgumentNullException.ThrowIfNull(proof);
        var (checkpoint, problem) = VerifyCheckpoint(noteText, key, origin);
        if (checkpoint is null)
        {
            return new InclusionCheckResult(false, problem!, index, null, noteText, leafHash, leafHashSource, proof);
        }

        if (index < 0 || index >= checkpoint.Size)
        {
            return new InclusionCheckResult(false, OutOfRange(index, checkpoint.Size), index, checkpoint, noteText, leafHash, leafHashSource, proof);
        }

        if (leafHash.Length != MerkleTree.HashBytes)
        {
            return new InclusionCheckResult(false, $"A leaf hash is {MerkleTree.HashBytes} bytes (SHA-256).", index, checkpoint, noteText, leafHash, leafHashSource, proof);
        }

        var expectedLength = MerkleTree.InclusionProofLength(index, checkpoint.Size);
        if (proof.Count != expectedLength)
        {
            return new InclusionCheckResult(false, $"The proof has {proof.Count} hashes; an inclusion proof of index {index} in a tree of {checkpoint.Size} has {expectedLength}.", index, checkpoint, noteText, leafHash, leafHashSource, proof);
        }

        var size = checkpoint.Size.ToString(CultureInfo.InvariantCulture);
        return MerkleTree.VerifyInclusion(index, checkpoint.Size, leafHash, proof, checkpoint.RootHash)
            ? new InclusionCheckResult(true, $"Entry {index} is in the log: the proof leads from its leaf hash to the root of the signed checkpoint (size {size}).", index, checkpoint, noteText, leafHash, leafHashSource, proof)
            : new InclusionCheckResult(false, $"The proof does not lead from this leaf hash to the root of the signed checkpoint (size {size}): the leaf at index {index} is not this one, or the log was altered.", index, checkpoint, noteText, leafHash, leafHashSource, proof);
    }

    /// <summary>
    /// Checks that the log of the signed <paramref name="currentNote"/> extends the one of the
    /// signed <paramref name="earlierNote"/> (both by <paramref name="key"/>), through <paramref name="proof"/>.
    /// </summary>
    public static ConsistencyCheckResult VerifyConsistency(string earlierNote, string currentNote, NoteVerifierKey key, string origin, IReadOnlyList<byte[]> proof)
    {
        ArgumentNullException.ThrowIfNull(proof);
        var (earlier, earlierProblem) = VerifyCheckpoint(earlierNote, key, origin);
        if (earlier is null)
        {
            return new ConsistencyCheckResult(false, "The earlier checkpoint: " + earlierProblem, null, null, proof);
        }

        var (current, currentProblem) = VerifyCheckpoint(currentNote, key, origin);
        if (current is null)
        {
            return new ConsistencyCheckResult(false, "The current checkpoint: " + currentProblem, earlier, null, proof);
        }

        if (earlier.Size > current.Size)
        {
            return new ConsistencyCheckResult(false, $"The earlier checkpoint (size {earlier.Size}) is larger than the current one (size {current.Size}): the log shrank.", earlier, current, proof);
        }

        return MerkleTree.VerifyConsistency(earlier.Size, current.Size, earlier.RootHash, current.RootHash, proof)
            ? new ConsistencyCheckResult(true, $"The log at size {current.Size} extends the log you saw at size {earlier.Size}: nothing before was changed.", earlier, current, proof)
            : new ConsistencyCheckResult(false, $"The consistency proof from size {earlier.Size} to size {current.Size} does not verify: the log was rewritten, forked or truncated since the earlier checkpoint.", earlier, current, proof);
    }

    /// <summary>The message of an index the checkpoint does not cover.</summary>
    public static string OutOfRange(long index, long size) => size == 0
        ? $"Index {index} is not in the log: the signed checkpoint covers no entries yet."
        : $"Index {index} is not in the log: the signed checkpoint covers entries 0 to {size - 1}.";

    /// <summary>A leaf hash as a tenant types it: 64 hexadecimal digits or the base64 of 32 bytes; null otherwise.</summary>
    public static byte[]? ParseHash(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        text = text.Trim();
        if (text.Length == MerkleTree.HashBytes * 2 && text.All(char.IsAsciiHexDigit))
        {
            return Convert.FromHexString(text);
        }

        try
        {
            var bytes = Convert.FromBase64String(text);
            return bytes.Length == MerkleTree.HashBytes ? bytes : null;
        }
        catch (FormatException)
        {
            return null;
        }
    }
}
