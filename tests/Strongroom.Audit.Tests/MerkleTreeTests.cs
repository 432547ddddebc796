using Strongroom.Core;

namespace Strongroom.Audit.Tests;

/// <summary>
/// RFC 6962 hashing and RFC 9162 proofs against the transparency-dev/merkle test vectors
/// (testonly/constants.go): the leaves d0..d7, the roots of sizes 0–8, and the proofs listed in
/// the reference notes. Trees are built through the stored-hash layout the store uses.
/// </summary>
public sealed class MerkleTreeTests
{
    private static readonly string[] LeavesHex = ["", "00", "10", "2021", "3031", "40414243", "5051525354555657", "606162636465666768696a6b6c6d6e6f"];

    private static readonly string[] Roots =
    [
        "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
        "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
        "fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125",
        "aeb6bcfe274b70a14fb067a5e5578264db0fa9b51af5e0ba159158f329e06e77",
        "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
        "4e3bbb1f7b478dcfe71fb631631519a3bca12c9aefca1612bfce4c13a86264d4",
        "76e67dadbcdf1e10e1b74ddc608abd2f98dfb16fbce75277b5232a127f2087ef",
        "ddb89be403809e325750d3d263cd78929c2942b7942a34b77e122c9594a74c8c",
        "5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328",
    ];

    [Fact]
    public void Single_hashes_match_the_vectors()
    {
        Assert.Equal("395aa064aa4c29f7010acfe3f25db9485bbd4b91897b6ad7ad547639252b4d56", Hex(MerkleTree.LeafHash("L123456"u8)));
        Assert.Equal("aa217fe888e47007fa15edab33c2b492a722cb106c64667fc2b044444de66bbb", Hex(MerkleTree.NodeHash("N123"u8, "N456"u8)));
    }

    [Fact]
    public void Roots_of_sizes_0_to_8_match_the_vectors()
    {
        var tree = TreeOf(8);
        for (var size = 0; size <= 8; size++)
        {
            Assert.Equal(Roots[size], Hex(MerkleTree.RootHash(size, tree.Read)));
            Assert.Equal(Roots[size], Hex(MerkleTree.RootFromLeafHashes(tree.Leaves.Take(size))));
        }
    }

    [Theory]
    [InlineData(0, 8, "96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7,5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e,6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4")]
    [InlineData(5, 8, "bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b,ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0,d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7")]
    [InlineData(2, 3, "fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125")]
    [InlineData(1, 5, "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d,5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e,bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b")]
    public void Inclusion_proofs_match_the_vectors(long index, long size, string expected)
    {
        var tree = TreeOf(8);
        var proof = MerkleTree.InclusionProof(index, size, tree.Read);
        Assert.Equal(expected, string.Join(',', proof.Select(Hex)));
        Assert.True(MerkleTree.VerifyInclusion(index, size, tree.Leaves[(int)index], proof, Convert.FromHexString(Roots[size])));
    }

    [Theory]
    [InlineData(1, 8, "96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7,5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e,6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4")]
    [InlineData(6, 8, "0ebc5d3437fbe2db158b9f126a1d118e308181031d0a949f8dededebc558ef6a,ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0,d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7")]
    [InlineData(2, 5, "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e,bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b")]
    [InlineData(6, 7, "0ebc5d3437fbe2db158b9f126a1d118e308181031d0a949f8dededebc558ef6a,b08693ec2e721597130641e8211e7eedccb4c26413963eee6c1e2ed16ffb1a5f,d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7")]
    public void Consistency_proofs_match_the_vectors(long first, long second, string expected)
    {
        var tree = TreeOf(8);
        var proof = MerkleTree.ConsistencyProof(first, second, tree.Read);
        Assert.Equal(expected, string.Join(',', proof.Select(Hex)));
        Assert.True(MerkleTree.VerifyConsistency(first, second, Convert.FromHexString(Roots[first]), Convert.FromHexString(Roots[second]), proof));
    }

    [Fact]
    public void Every_proof_of_every_size_up_to_64_verifies_and_every_corruption_fails()
    {
        var tree = TreeOf(64);
        for (var size = 1; size <= 64; size++)
        {
            var root = MerkleTree.RootHash(size, tree.Read);
            for (var index = 0; index < size; index++)
            {
                var proof = MerkleTree.InclusionProof(index, size, tree.Read);
                Assert.Equal(MerkleTree.InclusionProofLength(index, size), proof.Count);
                Assert.True(MerkleTree.VerifyInclusion(index, size, tree.Leaves[index], proof, root));
                foreach (var bad in Corruptions(proof))
                {
                    Assert.False(MerkleTree.VerifyInclusion(index, size, tree.Leaves[index], bad, root));
                }

                Assert.False(MerkleTree.VerifyInclusion(index, size, tree.Leaves[(index + 1) % 64], proof, root));
                if (size > 1)
                {
                    Assert.False(MerkleTree.VerifyInclusion((index + 1) % size, size, tree.Leaves[index], proof, root));
                }
            }

            for (var first = 0; first <= size; first++)
            {
                var firstRoot = MerkleTree.RootHash(first, tree.Read);
                var proof = MerkleTree.ConsistencyProof(first, size, tree.Read);
                Assert.True(MerkleTree.VerifyConsistency(first, size, firstRoot, root, proof));
                foreach (var bad in Corruptions(proof))
                {
                    Assert.False(MerkleTree.VerifyConsistency(first, size, firstRoot, root, bad));
                }

                if (first > 0 && first < size)
                {
                    Assert.False(MerkleTree.VerifyConsistency(first, size, root, firstRoot, proof));
                    Assert.False(MerkleTree.VerifyConsistency(first, size, new byte[32], root, proof));
                }
            }
        }
    }

    [Fact]
    public void Out_of_range_requests_are_refused()
    {
        var tree = TreeOf(4);
        Assert.Throws<ArgumentOutOfRangeException>(() => MerkleTree.InclusionProof(4, 4, tree.Read));
        Assert.Throws<ArgumentOutOfRangeException>(() => MerkleTree.InclusionProof(0, 0, tree.Read));
        Assert.Throws<ArgumentOutOfRangeException>(() => MerkleTree.ConsistencyProof(5, 4, tree.Read));
        Assert.False(MerkleTree.VerifyInclusion(4, 4, tree.Leaves[0], [], MerkleTree.RootHash(4, tree.Read)));
    }

    // The negative cases of transparency-dev's testdata: a flipped bit, a hash dropped, a hash added
    // at either end, and an empty proof.
    private static IEnumerable<IReadOnlyList<byte[]>> Corruptions(IReadOnlyList<byte[]> proof)
    {
        for (var i = 0; i < proof.Count; i++)
        {
            var flipped = proof.Select(hash => (byte[])hash.Clone()).ToArray();
            flipped[i][i % 32] ^= 0x01;
            yield return flipped;
        }

        if (proof.Count > 0)
        {
            yield return proof.Take(proof.Count - 1).ToArray();
            yield return proof.Skip(1).ToArray();
        }

        yield return [new byte[32], .. proof];
        yield return [.. proof, new byte[32]];
    }

    private static string Hex(byte[] bytes) => Convert.ToHexStringLower(bytes);

    private static StoredTree TreeOf(int count)
    {
        var tree = new StoredTree();
        for (var i = 0; i < count; i++)
        {
            var data = i < LeavesHex.Length ? Convert.FromHexString(LeavesHex[i]) : BitConverter.GetBytes(i);
            tree.Append(data);
        }

        return tree;
    }

    private sealed class StoredTree
    {
        private readonly Dictionary<(int, long), byte[]> hashes = [];

        public List<byte[]> Leaves { get; } = [];

        public void Append(byte[] entry)
        {
            var leaf = MerkleTree.LeafHash(entry);
            foreach (var (level, index, hash) in MerkleTree.StoredHashesForAppend(Leaves.Count, leaf, Read))
            {
                hashes.Add((level, index), hash);
            }

            Leaves.Add(leaf);
        }

        public byte[] Read(int level, long index) => hashes[(level, index)];
    }
}
