using System.Buffers.Binary;
using System.Security.Cryptography;
using Strongroom.Core;
using Strongroom.Crypto;

namespace Strongroom.Vault;

/// <summary>
/// The sealed root key: the only form in which the root key is ever stored. It is encrypted
/// under an unseal key that exists nowhere at rest; the unseal key is split into N shares (Shamir,
/// threshold K) held by custodians.
/// </summary>
/// <remarks>
/// <para>Seal file format version 1 (frozen):</para>
/// <code>
/// 0     "SRSL"
/// 4     format version u8 = 1
/// 5     deployment id, 8 random bytes (fixed for the life of the deployment)
/// 13    generation u32 BE (1 at init, plus one per rekey)
/// 17    N (shares) u8
/// 18    K (threshold) u8
/// 19    N verifiers of 32 bytes, for share indices 1..N:
///         SHA-256("strongroom share verifier v1" · deployment id · u32be(generation) · index · share value)
/// 19+32N  KeyWrap(unseal key, key version = generation, root key, associated data = bytes 0 .. 19+32N)
/// </code>
/// <para>
/// The verifiers let each share be checked alone, when it is submitted, so a wrong share is named
/// at once instead of spoiling a combination; they are hashes of 256-bit random values and reveal
/// nothing usable. The AEAD tag covers the whole header, so editing N, K, a verifier or the
/// generation makes the seal unopenable rather than changing its meaning; a combination that
/// yields the wrong unseal key is refused by the same tag.
/// </para>
/// </remarks>
public sealed class SealFile
{
    public const byte FormatVersion = 1;
    public const int UnsealKeyBytes = 32;

    private const int VerifierBytes = 32;
    private const int HeaderFixedBytes = 19;
    private static readonly byte[] Magic = "SRSL"u8.ToArray();

    private static ReadOnlySpan<byte> VerifierDomain => "strongroom share verifier v1"u8;

    private readonly byte[] header;
    private readonly byte[] sealedRootKey;

    private SealFile(byte[] header, byte[] sealedRootKey)
    {
        this.header = header;
        this.sealedRootKey = sealedRootKey;
    }

    public byte[] DeploymentId => header.AsSpan(5, UnsealShare.DeploymentIdBytes).ToArray();

    public string DeploymentIdText => Convert.ToHexStringLower(header.AsSpan(5, UnsealShare.DeploymentIdBytes));

    public uint Generation => BinaryPrimitives.ReadUInt32BigEndian(header.AsSpan(13));

    public int Shares => header[17];

    public int Threshold => header[18];

    /// <summary>Seals <paramref name="rootKey"/> under a fresh unseal key split into <paramref name="shares"/> shares, threshold <paramref name="threshold"/>.</summary>
    public static SealFile Create(RootKey rootKey, int shares, int threshold, IRandomSource random, out UnsealShare[] issued)
    {
        Span<byte> deploymentId = stackalloc byte[UnsealShare.DeploymentIdBytes];
        random.Fill(deploymentId);
        return Seal(rootKey, deploymentId, generation: 1, shares, threshold, random, out issued);
    }

    /// <summary>The same root key and deployment, sealed under a new unseal key with new shares (the next generation).</summary>
    public SealFile Rekey(RootKey rootKey, int shares, int threshold, IRandomSource random, out UnsealShare[] issued) =>
        Seal(rootKey, DeploymentId, checked(Generation + 1), shares, threshold, random, out issued);

    public static SealFile Read(string path)
    {
        byte[] bytes;
        try
        {
            bytes = File.ReadAllBytes(path);
        }
        catch (FileNotFoundException)
        {
            throw new SealException(SealRejection.InvalidState, $"There is no seal file at {path}: the data directory is not initialised (run `strongroom init`).");
        }

        return Parse(bytes, path);
    }

    public static SealFile Parse(ReadOnlySpan<byte> bytes, string source = "the seal file")
    {
        if (bytes.Length < HeaderFixedBytes || !bytes[..Magic.Length].SequenceEqual(Magic))
        {
            throw new InvalidDataException($"{source} is not a Strongroom seal file.");
        }

        if (bytes[4] != FormatVersion)
        {
            throw new InvalidDataException($"{source} has seal format {bytes[4]}; this version reads format {FormatVersion}.");
        }

        int shares = bytes[17], threshold = bytes[18];
        var headerBytes = HeaderFixedBytes + (shares * VerifierBytes);
        if (shares < 1 || threshold < 1 || threshold > shares || bytes.Length != headerBytes + KeyWrap.WrappedLength(RootKey.KeyBytes))
        {
            throw new InvalidDataException($"{source} is damaged: its share counts or length do not add up.");
        }

        return new SealFile(bytes[..headerBytes].ToArray(), bytes[headerBytes..].ToArray());
    }

    public byte[] ToBytes() => [.. header, .. sealedRootKey];

    /// <summary>Writes the file whole or not at all (mode 0600); <paramref name="overwrite"/> false refuses to replace one.</summary>
    public bool Write(string path, bool overwrite) => SecretFile.WriteAtomically(path, overwrite, header, sealedRootKey);

    /// <summary>Checks one share alone: that it belongs to this deployment and generation and is one of those issued.</summary>
    public void Verify(UnsealShare share)
    {
        ArgumentNullException.ThrowIfNull(share);
        if (!share.DeploymentId.AsSpan().SequenceEqual(header.AsSpan(5, UnsealShare.DeploymentIdBytes)))
        {
            throw new SealException(SealRejection.OtherDeployment, $"This share belongs to deployment {share.DeploymentIdText}, not to this one ({DeploymentIdText}).");
        }

        if (share.Generation != Generation)
        {
            var when = share.Generation < Generation ? "before a rekey replaced them" : "by a rekey this data directory does not know";
            throw new SealException(SealRejection.OtherGeneration, $"This share is from generation {share.Generation} of this deployment's shares, issued {when}; the current shares are generation {Generation}.");
        }

        if (share.Index > Shares)
        {
            throw new SealException(SealRejection.NotIssued, $"This share has index {share.Index}, but only {Shares} shares were issued.");
        }

        Span<byte> expected = stackalloc byte[VerifierBytes];
        ComputeVerifier(header.AsSpan(5, UnsealShare.DeploymentIdBytes), Generation, share.Index, share.Value, expected);
        if (!CryptographicOperations.FixedTimeEquals(expected, header.AsSpan(HeaderFixedBytes + ((share.Index - 1) * VerifierBytes), VerifierBytes)))
        {
            throw new SealException(SealRejection.NotIssued, $"Share #{share.Index} is not the share that was issued under that number: it was altered or forged.");
        }
    }

    /// <summary>Opens the seal with at least <see cref="Threshold"/> verified shares. Throws <see cref="SealException"/> (WrongKey) when they do not open it.</summary>
    public RootKey Open(IReadOnlyList<UnsealShare> shares)
    {
        ArgumentNullException.ThrowIfNull(shares);
        if (shares.Count < Threshold)
        {
            throw new SealException(SealRejection.InvalidState, $"Opening the seal takes {Threshold} shares; {shares.Count} given.");
        }

        var secretShares = shares.Select(share => share.ToSecretShare()).ToArray();
        byte[]? unsealKey = null;
        byte[]? root = null;
        try
        {
            unsealKey = ShamirSecretSharing.Combine(secretShares);
            try
            {
                root = KeyWrap.Unwrap(unsealKey, sealedRootKey, header);
            }
            catch (StorageException)
            {
                throw new SealException(SealRejection.WrongKey, "The shares combine into a key that does not open the seal: one of them is not a current share of this deployment, or the seal file is damaged.");
            }

            return new RootKey(root);
        }
        finally
        {
            foreach (var share in secretShares)
            {
                share.Dispose();
            }

            if (unsealKey is not null)
            {
                CryptographicOperations.ZeroMemory(unsealKey);
            }

            if (root is not null)
            {
                CryptographicOperations.ZeroMemory(root);
            }
        }
    }

    private static SealFile Seal(RootKey rootKey, ReadOnlySpan<byte> deploymentId, uint generation, int shares, int threshold, IRandomSource random, out UnsealShare[] issued)
    {
        ArgumentNullException.ThrowIfNull(rootKey);
        ArgumentNullException.ThrowIfNull(random);
        ShamirSecretSharing.ValidateCounts(shares, threshold);

        var unsealKey = new byte[UnsealKeyBytes];
        SecretShare[]? split = null;
        try
        {
            random.Fill(unsealKey);
            split = ShamirSecretSharing.Split(unsealKey, shares, threshold, random);

            var header = new byte[HeaderFixedBytes + (shares * VerifierBytes)];
            Magic.CopyTo(header, 0);
            header[4] = FormatVersion;
            deploymentId.CopyTo(header.AsSpan(5));
            BinaryPrimitives.WriteUInt32BigEndian(header.AsSpan(13), generation);
            header[17] = (byte)shares;
            header[18] = (byte)threshold;
            issued = new UnsealShare[shares];
            for (var i = 0; i < shares; i++)
            {
                Invariant.True(split[i].Index == i + 1, "shares are issued with indices 1..N in order");
                ComputeVerifier(deploymentId, generation, split[i].Index, split[i].Value, header.AsSpan(HeaderFixedBytes + (i * VerifierBytes), VerifierBytes));
                issued[i] = new UnsealShare(deploymentId, generation, split[i].Index, split[i].Value);
            }

            var sealedRootKey = KeyWrap.Wrap(unsealKey, generation, rootKey.Bytes, header, random);
            return new SealFile(header, sealedRootKey);
        }
        finally
        {
            CryptographicOperations.ZeroMemory(unsealKey);
            if (split is not null)
            {
                foreach (var share in split)
                {
                    share.Dispose();
                }
            }
        }
    }

    private static void ComputeVerifier(ReadOnlySpan<byte> deploymentId, uint generation, byte index, ReadOnlySpan<byte> value, Span<byte> destination)
    {
        var input = new byte[VerifierDomain.Length + deploymentId.Length + 4 + 1 + value.Length];
        try
        {
            var span = input.AsSpan();
            VerifierDomain.CopyTo(span);
            span = span[VerifierDomain.Length..];
            deploymentId.CopyTo(span);
            span = span[deploymentId.Length..];
            BinaryPrimitives.WriteUInt32BigEndian(span, generation);
            span[4] = index;
            value.CopyTo(span[5..]);
            SHA256.HashData(input, destination);
        }
        finally
        {
            CryptographicOperations.ZeroMemory(input);
        }
    }
}
