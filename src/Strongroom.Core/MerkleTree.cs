using System.Numerics;
using System.Security.Cryptography;

namespace Strongroom.Core;

/// <summary>
/// RFC 6962 / RFC 9162 Merkle tree hashing over SHA-256, with the stored-hash layout of a
/// tiled log: the hash of every complete, aligned subtree is stored once, at (level, index), where
/// the subtree at level L and index N covers leaves [N·2^L, (N+1)·2^L). Appending leaf n stores
/// 1 + (trailing one bits of n) hashes; any root or proof of a tree of size s then needs only
/// O(log s) stored hashes. Tiles (C2SP tlog-tiles) are runs of these hashes at levels 0, 8, 16….
///
/// Pure functions: the caller supplies the stored hashes through a reader. This sits in Core
/// because the metadata store computes stored hashes inside its write transaction and the
/// tenant's verifier recomputes roots, and neither may depend on the other.
/// </summary>
public static class MerkleTree
{
    public const int HashBytes = 32;

    /// <summary>Reads the stored hash of the complete subtree at (level, index).</summary>
    public delegate byte[] HashReader(int level, long index);

    /// <summary>MTH of the empty tree: SHA-256 of nothing.</summary>
    public static byte[] EmptyRoot() => SHA256.HashData(ReadOnlySpan<byte>.Empty);

    /// <summary>SHA-256(0x00 ‖ entry).</summary>
    public static byte[] LeafHash(ReadOnlySpan<byte> entry)
    {
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        hash.AppendData([0x00]);
        hash.AppendData(entry);
        return hash.GetHashAndReset();
    }

    /// <summary>SHA-256(0x01 ‖ left ‖ right).</summary>
    public static byte[] NodeHash(ReadOnlySpan<byte> left, ReadOnlySpan<byte> right)
    {
        if (left.Length != HashBytes || right.Length != HashBytes)
        {
            // Only the published test vectors hash children that are not SHA-256 outputs.
            using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
            hash.AppendData([0x01]);
            hash.AppendData(left);
            hash.AppendData(right);
            return hash.GetHashAndReset();
        }

        Span<byte> buffer = stackalloc byte[1 + (2 * HashBytes)];
        buffer[0] = 0x01;
        left.CopyTo(buffer[1..]);
        right.CopyTo(buffer[(1 + HashBytes)..]);
        return SHA256.HashData(buffer);
    }

    /// <summary>
    /// The stored hashes that appending leaf <paramref name="index"/> (whose leaf hash is
    /// <paramref name="leafHash"/>) creates, lowest level first: the leaf itself at (0, index), then
    /// one hash per subtree that the leaf completes. <paramref name="read"/> is asked only for
    /// left siblings, all stored earlier.
    /// </summary>
    public static IReadOnlyList<(int Level, long Index, byte[] Hash)> StoredHashesForAppend(long index, byte[] leafHash, HashReader read)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(index);
        ArgumentNullException.ThrowIfNull(leafHash);
        Invariant.True(leafHash.Length == HashBytes, "a leaf hash is 32 bytes");
        var stored = new List<(int, long, byte[])> { (0, index, leafHash) };
        var hash = leafHash;
        var level = 0;
        var position = index;
        while ((position & 1) == 1)
        {
            var left = read(level, position - 1);
            hash = NodeHash(left, hash);
            level++;
            position >>= 1;
            stored.Add((level, position, hash));
        }

        return stored;
    }

    /// <summary>The root (MTH) of the first <paramref name="size"/> leaves.</summary>
    public static byte[] RootHash(long size, HashReader read)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(size);
        return size == 0 ? EmptyRoot() : SubtreeHash(0, size, read);
    }

    /// <summary>RFC 9162 §2.1.3.1 PATH(index, D[size]).</summary>
    public static IReadOnlyList<byte[]> InclusionProof(long index, long size, HashReader read)
    {
        if (index < 0 || index >= size)
        {
            throw new ArgumentOutOfRangeException(nameof(index), $"Leaf {index} is not in a tree of size {size}.");
        }

        var proof = new List<byte[]>();
        AppendPath(index, 0, size, read, proof);
        return proof;
    }

    /// <summary>RFC 9162 §2.1.4.1 PROOF(first, D[second]); empty when the sizes are equal or first is 0.</summary>
    public static IReadOnlyList<byte[]> ConsistencyProof(long first, long second, HashReader read)
    {
        if (first < 0 || first > second)
        {
            throw new ArgumentOutOfRangeException(nameof(first), $"No consistency proof from size {first} to size {second}.");
        }

        var proof = new List<byte[]>();
        if (first > 0 && first < second)
        {
            AppendSubproof(first, 0, second, startFromOldRoot: true, read, proof);
        }

        return proof;
    }

    /// <summary>RFC 9162 §2.1.3.2. Rejects a proof of the wrong length before hashing.</summary>
    public static bool VerifyInclusion(long index, long size, ReadOnlySpan<byte> leafHash, IReadOnlyList<byte[]> proof, ReadOnlySpan<byte> root)
    {
        ArgumentNullException.ThrowIfNull(proof);
        if (index < 0 || index >= size || leafHash.Length != HashBytes || root.Length != HashBytes)
        {
            return false;
        }

        if (proof.Count != InclusionProofLength(index, size) || proof.Any(hash => hash is null || hash.Length != HashBytes))
        {
            return false;
        }

        var computed = RootFromInclusion(index, size, leafHash.ToArray(), proof);
        return CryptographicOperations.FixedTimeEquals(computed, root);
    }

    /// <summary>RFC 9162 §2.1.4.2 (sizes equal: the proof is empty and the roots match).</summary>
    public static bool VerifyConsistency(long first, long second, ReadOnlySpan<byte> firstRoot, ReadOnlySpan<byte> secondRoot, IReadOnlyList<byte[]> proof)
    {
        ArgumentNullException.ThrowIfNull(proof);
        if (first < 0 || second < first || firstRoot.Length != HashBytes || secondRoot.Length != HashBytes || proof.Any(hash => hash is null || hash.Length != HashBytes))
        {
            return false;
        }

        if (first == second)
        {
            return proof.Count == 0 && firstRoot.SequenceEqual(secondRoot);
        }

        if (first == 0)
        {
            // Every tree is consistent with the empty tree; there is nothing to prove.
            return proof.Count == 0 && firstRoot.SequenceEqual(EmptyRoot());
        }

        if (proof.Count == 0)
        {
            return false;
        }

        var path = new List<byte[]>(proof.Count + 1);
        if (BitOperations.IsPow2(first))
        {
            path.Add(firstRoot.ToArray());
        }

        path.AddRange(proof);
        var fn = first - 1;
        var sn = second - 1;
        while ((fn & 1) == 1)
        {
            fn >>= 1;
            sn >>= 1;
        }

        var fr = path[0];
        var sr = path[0];
        for (var i = 1; i < path.Count; i++)
        {
            if (sn == 0)
            {
                return false;
            }

            var c = path[i];
            if ((fn & 1) == 1 || fn == sn)
            {
                fr = NodeHash(c, fr);
                sr = NodeHash(c, sr);
                while ((fn & 1) == 0 && fn != 0)
                {
                    fn >>= 1;
                    sn >>= 1;
                }
            }
            else
            {
                sr = NodeHash(sr, c);
            }

            fn >>= 1;
            sn >>= 1;
        }

        return sn == 0 && CryptographicOperations.FixedTimeEquals(fr, firstRoot) && CryptographicOperations.FixedTimeEquals(sr, secondRoot);
    }

    /// <summary>The root of a whole tree computed from its leaf hashes (verifiers; O(n) memory for the frontier only).</summary>
    public static byte[] RootFromLeafHashes(IEnumerable<byte[]> leafHashes)
    {
        ArgumentNullException.ThrowIfNull(leafHashes);
        var frontier = new CompactRange();
        foreach (var leaf in leafHashes)
        {
            frontier.Append(leaf);
        }

        return frontier.Root();
    }

    /// <summary>transparency-dev's decompInclProof: inner + border.</summary>
    public static int InclusionProofLength(long index, long size)
    {
        var inner = 64 - BitOperations.LeadingZeroCount((ulong)(index ^ (size - 1)));
        var border = BitOperations.PopCount((ulong)index >> inner);
        return inner + border;
    }

    private static byte[] RootFromInclusion(long index, long size, byte[] leafHash, IReadOnlyList<byte[]> proof)
    {
        var fn = index;
        var sn = size - 1;
        var r = leafHash;
        foreach (var p in proof)
        {
            if ((fn & 1) == 1 || fn == sn)
            {
                r = NodeHash(p, r);
                while ((fn & 1) == 0 && fn != 0)
                {
                    fn >>= 1;
                    sn >>= 1;
                }
            }
            else
            {
                r = NodeHash(r, p);
            }

            fn >>= 1;
            sn >>= 1;
        }

        return r;
    }

    // MTH(D[start : start+count]).
    private static byte[] SubtreeHash(long start, long count, HashReader read)
    {
        Invariant.True(count > 0, "a subtree has at least one leaf");
        if (BitOperations.IsPow2(count) && start % count == 0)
        {
            return read(BitOperations.Log2((ulong)count), start / count);
        }

        var split = LargestPowerOfTwoBelow(count);
        return NodeHash(SubtreeHash(start, split, read), SubtreeHash(start + split, count - split, read));
    }

    private static void AppendPath(long index, long start, long count, HashReader read, List<byte[]> proof)
    {
        if (count == 1)
        {
            return;
        }

        var split = LargestPowerOfTwoBelow(count);
        if (index < split)
        {
            AppendPath(index, start, split, read, proof);
            proof.Add(SubtreeHash(start + split, count - split, read));
        }
        else
        {
            AppendPath(index - split, start + split, count - split, read, proof);
            proof.Add(SubtreeHash(start, split, read));
        }
    }

    private static void AppendSubproof(long first, long start, long count, bool startFromOldRoot, HashReader read, List<byte[]> proof)
    {
        if (first == count)
        {
            if (!startFromOldRoot)
            {
                proof.Add(SubtreeHash(start, count, read));
            }

            return;
        }

        var split = LargestPowerOfTwoBelow(count);
        if (first <= split)
        {
            AppendSubproof(first, start, split, startFromOldRoot, read, proof);
            proof.Add(SubtreeHash(start + split, count - split, read));
        }
        else
        {
            AppendSubproof(first - split, start + split, count - split, startFromOldRoot: false, read, proof);
            proof.Add(SubtreeHash(start, split, read));
        }
    }

    // The largest power of two strictly less than n (n ≥ 2).
    private static long LargestPowerOfTwoBelow(long n) => (long)BitOperations.RoundUpToPowerOf2((ulong)n) >> 1;

    /// <summary>The right edge of a growing tree: one hash per set bit of its size.</summary>
    private sealed class CompactRange
    {
        private readonly List<byte[]> stack = [];
        private long size;

        public void Append(byte[] leafHash)
        {
            Invariant.True(leafHash.Length == HashBytes, "a leaf hash is 32 bytes");
            var hash = leafHash;
            var position = size;
            while ((position & 1) == 1)
            {
                hash = NodeHash(stack[^1], hash);
                stack.RemoveAt(stack.Count - 1);
                position >>= 1;
            }

            stack.Add(hash);
            size++;
        }

        public byte[] Root()
        {
            if (stack.Count == 0)
            {
                return EmptyRoot();
            }

            var root = stack[^1];
            for (var i = stack.Count - 2; i >= 0; i--)
            {
                root = NodeHash(stack[i], root);
            }

            return root;
        }
    }
}
