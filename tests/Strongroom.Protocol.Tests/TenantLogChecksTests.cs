using Strongroom.Audit;
using Strongroom.Core;
using Strongroom.Crypto;
using Strongroom.WebConsole;

namespace Strongroom.Protocol.Tests;

/// <summary>
/// The console's inclusion and consistency checks (<see cref="LogChecks"/>) on a tree built here
/// and checkpoints signed with a fixed seed: what verifies, and each way a check fails, with its reason.
/// </summary>
public sealed class TenantLogChecksTests
{
    private const string Origin = "strongroom/test-deployment/tenantpages";
    private static readonly byte[] Seed = [.. Enumerable.Range(1, 32).Select(i => (byte)i)];
    private static readonly NoteVerifierKey Key = NoteVerifierKey.ForEd25519(Origin, Ed25519.PublicKeyFromSeed(Seed));

    /// <summary>A log of <paramref name="size"/> leaves (leaf i = hash of "entry i"), its stored hashes.</summary>
    private sealed class Tree
    {
        private readonly Dictionary<(int, long), byte[]> hashes = [];

        public Tree(long size)
        {
            for (long i = 0; i < size; i++)
            {
                foreach (var (level, index, hash) in MerkleTree.StoredHashesForAppend(i, Leaf(i), Read))
                {
                    hashes[(level, index)] = hash;
                }
            }
        }

        public byte[] Read(int level, long index) => hashes[(level, index)];

        public string Checkpoint(long size, string origin = Origin, byte[]? seed = null) =>
            SignedNote.Sign(new Checkpoint(origin, size, MerkleTree.RootHash(size, Read)).ToText(), origin, seed ?? Seed);
    }

    private static byte[] Leaf(long index) => MerkleTree.LeafHash(System.Text.Encoding.UTF8.GetBytes($"entry {index}"));

    [Theory]
    [InlineData(0, 1)]
    [InlineData(0, 7)]
    [InlineData(6, 7)]
    [InlineData(3, 8)]
    [InlineData(12, 13)]
    public void An_entry_in_the_signed_tree_verifies_and_the_result_carries_the_proof_path(long index, long size)
    {
        var tree = new Tree(size);
        var proof = MerkleTree.InclusionProof(index, size, tree.Read);
        var result = LogChecks.VerifyInclusion(tree.Checkpoint(size), Key, Origin, index, Leaf(index), "given", proof);

        Assert.True(result.Verified, result.Reason);
        Assert.Equal(size, result.Checkpoint!.Size);
        Assert.Equal(proof.Count, result.Proof.Count);
        Assert.Contains($"Entry {index} is in the log", result.Reason, StringComparison.Ordinal);
    }

    [Fact]
    public void Another_leaf_hash_a_changed_proof_or_a_proof_of_the_wrong_length_fails()
    {
        var tree = new Tree(9);
        var note = tree.Checkpoint(9);
        var proof = MerkleTree.InclusionProof(4, 9, tree.Read);

        var other = LogChecks.VerifyInclusion(note, Key, Origin, 4, Leaf(5), "given", proof);
        Assert.False(other.Verified);
        Assert.Contains("does not lead from this leaf hash to the root", other.Reason, StringComparison.Ordinal);

        var changed = proof.Select(hash => (byte[])hash.Clone()).ToList();
        changed[1][0] ^= 1;
        Assert.False(LogChecks.VerifyInclusion(note, Key, Origin, 4, Leaf(4), "given", changed).Verified);

        var shorter = LogChecks.VerifyInclusion(note, Key, Origin, 4, Leaf(4), "given", proof.Take(proof.Count - 1).ToList());
        Assert.False(shorter.Verified);
        Assert.Contains($"has {proof.Count - 1} hashes", shorter.Reason, StringComparison.Ordinal);
    }

    [Fact]
    public void An_index_outside_the_signed_checkpoint_fails_naming_the_range()
    {
        var tree = new Tree(5);
        var result = LogChecks.VerifyInclusion(tree.Checkpoint(5), Key, Origin, 5, Leaf(4), "given", []);

        Assert.False(result.Verified);
        Assert.Equal("Index 5 is not in the log: the signed checkpoint covers entries 0 to 4.", result.Reason);
        Assert.Equal("Index 0 is not in the log: the signed checkpoint covers no entries yet.", LogChecks.OutOfRange(0, 0));
    }

    [Fact]
    public void A_checkpoint_not_signed_by_the_logs_key_altered_or_of_another_log_fails_before_any_proof()
    {
        var tree = new Tree(4);
        var proof = MerkleTree.InclusionProof(1, 4, tree.Read);

        var otherSeed = Enumerable.Repeat((byte)7, 32).ToArray();
        var unsigned = LogChecks.VerifyInclusion(tree.Checkpoint(4, seed: otherSeed), Key, Origin, 1, Leaf(1), "given", proof);
        Assert.False(unsigned.Verified);
        Assert.Contains("not signed by the log's key", unsigned.Reason, StringComparison.Ordinal);

        // The root line replaced, the signature kept.
        var lines = tree.Checkpoint(4).Split('\n');
        lines[2] = Convert.ToBase64String(new byte[32]);
        var altered = LogChecks.VerifyInclusion(string.Join('\n', lines), Key, Origin, 1, Leaf(1), "given", proof);
        Assert.False(altered.Verified);
        Assert.Contains("does not verify", altered.Reason, StringComparison.Ordinal);

        const string OtherOrigin = "strongroom/test-deployment/othertenant";
        var otherKey = NoteVerifierKey.ForEd25519(OtherOrigin, Ed25519.PublicKeyFromSeed(Seed));
        var otherLog = LogChecks.VerifyInclusion(tree.Checkpoint(4, OtherOrigin), otherKey, Origin, 1, Leaf(1), "given", proof);
        Assert.False(otherLog.Verified);
        Assert.Contains("is for log 'strongroom/test-deployment/othertenant'", otherLog.Reason, StringComparison.Ordinal);

        Assert.Contains("not a signed note", LogChecks.VerifyInclusion("garbage", Key, Origin, 1, Leaf(1), "given", proof).Reason, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(1, 1)]
    [InlineData(1, 8)]
    [InlineData(3, 7)]
    [InlineData(4, 13)]
    public void A_log_that_only_grew_is_consistent_with_a_kept_checkpoint(long first, long second)
    {
        var tree = new Tree(second);
        var result = LogChecks.VerifyConsistency(tree.Checkpoint(first), tree.Checkpoint(second), Key, Origin, MerkleTree.ConsistencyProof(first, second, tree.Read));

        Assert.True(result.Verified, result.Reason);
        Assert.Equal(first, result.Earlier!.Size);
        Assert.Equal(second, result.Current!.Size);
    }

    [Fact]
    public void A_rewritten_or_shrunk_log_is_not_consistent()
    {
        var tree = new Tree(8);

        // A kept checkpoint of another history of the same size prefix: signed, but its root differs.
        var forkedNote = SignedNote.Sign(new Checkpoint(Origin, 3, MerkleTree.RootFromLeafHashes([Leaf(0), Leaf(9), Leaf(2)])).ToText(), Origin, Seed);
        var forked = LogChecks.VerifyConsistency(forkedNote, tree.Checkpoint(8), Key, Origin, MerkleTree.ConsistencyProof(3, 8, tree.Read));
        Assert.False(forked.Verified);
        Assert.Contains("rewritten, forked or truncated", forked.Reason, StringComparison.Ordinal);

        var shrunk = LogChecks.VerifyConsistency(tree.Checkpoint(8), tree.Checkpoint(5), Key, Origin, []);
        Assert.False(shrunk.Verified);
        Assert.Contains("the log shrank", shrunk.Reason, StringComparison.Ordinal);
    }

    [Fact]
    public void A_leaf_hash_is_read_as_hex_or_base64_of_32_bytes_and_nothing_else()
    {
        var hash = Leaf(3);
        Assert.Equal(hash, LogChecks.ParseHash(Convert.ToHexStringLower(hash)));
        Assert.Equal(hash, LogChecks.ParseHash(" " + Convert.ToHexString(hash) + " "));
        Assert.Equal(hash, LogChecks.ParseHash(Convert.ToBase64String(hash)));
        Assert.Null(LogChecks.ParseHash("zz"));
        Assert.Null(LogChecks.ParseHash(Convert.ToBase64String(new byte[31])));
        Assert.Null(LogChecks.ParseHash(Convert.ToHexString(hash)[..62]));
    }
}
