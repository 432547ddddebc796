namespace Strongroom.Crypto;

/// <summary>
/// Ed25519 (RFC 8032) signatures, for transparency-log checkpoints. The .NET shared framework
/// has none, so BouncyCastle does the arithmetic behind this wrapper. Keys are 32-byte seeds
/// (private) and 32-byte encoded points (public); signatures are 64 bytes.
/// </summary>
public static class Ed25519
{
    public const int SeedBytes = 32;
    public const int PublicKeyBytes = 32;
    public const int SignatureBytes = 64;

    public static byte[] PublicKeyFromSeed(ReadOnlySpan<byte> seed) => throw new NotImplementedException("issue 4: formats");

    public static byte[] Sign(ReadOnlySpan<byte> seed, ReadOnlySpan<byte> message) => throw new NotImplementedException("issue 4: formats");

    /// <summary>False for a wrong signature, a malformed key or a signature of the wrong length (never throws on bad input).</summary>
    public static bool Verify(ReadOnlySpan<byte> publicKey, ReadOnlySpan<byte> message, ReadOnlySpan<byte> signature) => throw new NotImplementedException("issue 4: formats");
}
