using System.Security.Cryptography;

using Rfc8032 = Org.BouncyCastle.Math.EC.Rfc8032.Ed25519;

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

    public static byte[] PublicKeyFromSeed(ReadOnlySpan<byte> seed)
    {
        var secret = CopySeed(seed);
        try
        {
            var publicKey = new byte[PublicKeyBytes];
            Rfc8032.GeneratePublicKey(secret, 0, publicKey, 0);
            return publicKey;
        }
        finally
        {
            CryptographicOperations.ZeroMemory(secret);
        }
    }

    public static byte[] Sign(ReadOnlySpan<byte> seed, ReadOnlySpan<byte> message)
    {
        var secret = CopySeed(seed);
        try
        {
            var text = message.ToArray();
            var signature = new byte[SignatureBytes];
            Rfc8032.Sign(secret, 0, text, 0, text.Length, signature, 0);
            return signature;
        }
        finally
        {
            CryptographicOperations.ZeroMemory(secret);
        }
    }

    /// <summary>False for a wrong signature, a malformed key or a signature of the wrong length (never throws on bad input).</summary>
    public static bool Verify(ReadOnlySpan<byte> publicKey, ReadOnlySpan<byte> message, ReadOnlySpan<byte> signature)
    {
        if (publicKey.Length != PublicKeyBytes || signature.Length != SignatureBytes)
        {
            return false;
        }

        var text = message.ToArray();
        // BouncyCastle answers false for points that do not decode and for S ≥ L (non-canonical
        // signatures); it throws only on argument errors, which the lengths above rule out.
        return Rfc8032.Verify(signature.ToArray(), 0, publicKey.ToArray(), 0, text, 0, text.Length);
    }

    private static byte[] CopySeed(ReadOnlySpan<byte> seed)
    {
        if (seed.Length != SeedBytes)
        {
            throw new ArgumentException($"An Ed25519 seed is {SeedBytes} bytes.", nameof(seed));
        }

        return seed.ToArray();
    }
}
