using System.Diagnostics.CodeAnalysis;
using System.Security.Cryptography;
using Strongroom.Core;

namespace Strongroom.Crypto;

/// <summary>
/// What a <see cref="CipherSuite"/> means in the formats: its AEAD, its key size, its hash and
/// the HKDF built on that hash. The segment format, the key wrap and the object binding ask
/// the suite, never a particular algorithm.
/// </summary>
internal abstract class CipherSuiteAlgorithms
{
    public static readonly CipherSuiteAlgorithms Aes256Gcm = new Aes256GcmAlgorithms();
    public static readonly CipherSuiteAlgorithms Sm4Gcm = new Sm4GcmAlgorithms();

    public abstract CipherSuite Suite { get; }

    /// <summary>Bytes of an AEAD key (32 for AES-256, 16 for SM4).</summary>
    public abstract int KeyBytes { get; }

    public abstract AeadCipher CreateAead(ReadOnlySpan<byte> key);

    /// <summary>The suite's 32-byte hash: SHA-256 or SM3.</summary>
    public abstract void Hash(ReadOnlySpan<byte> data, Span<byte> output);

    /// <summary>HKDF (RFC 5869) over the suite's hash.</summary>
    public abstract void DeriveKey(ReadOnlySpan<byte> inputKeyMaterial, ReadOnlySpan<byte> salt, ReadOnlySpan<byte> info, Span<byte> output);

    public static CipherSuiteAlgorithms For(CipherSuite suite) =>
        TryFor((byte)suite, out var algorithms)
            ? algorithms
            : throw new ArgumentOutOfRangeException(nameof(suite), suite, "Unknown cipher suite.");

    /// <summary>The suite recorded as <paramref name="id"/> in a stored header; false for an unknown one.</summary>
    public static bool TryFor(byte id, [NotNullWhen(true)] out CipherSuiteAlgorithms? algorithms)
    {
        algorithms = id switch
        {
            (byte)CipherSuite.Aes256Gcm => Aes256Gcm,
            (byte)CipherSuite.Sm4Gcm => Sm4Gcm,
            _ => null,
        };
        return algorithms is not null;
    }

    private sealed class Aes256GcmAlgorithms : CipherSuiteAlgorithms
    {
        public override CipherSuite Suite => CipherSuite.Aes256Gcm;

        public override int KeyBytes => 32;

        public override AeadCipher CreateAead(ReadOnlySpan<byte> key) => new AesGcmCipher(key);

        public override void Hash(ReadOnlySpan<byte> data, Span<byte> output) => SHA256.HashData(data, output);

        public override void DeriveKey(ReadOnlySpan<byte> inputKeyMaterial, ReadOnlySpan<byte> salt, ReadOnlySpan<byte> info, Span<byte> output) =>
            HKDF.DeriveKey(HashAlgorithmName.SHA256, inputKeyMaterial, output, salt, info);
    }

    private sealed class Sm4GcmAlgorithms : CipherSuiteAlgorithms
    {
        public override CipherSuite Suite => CipherSuite.Sm4Gcm;

        public override int KeyBytes => Sm4GcmCipher.KeyBytes;

        public override AeadCipher CreateAead(ReadOnlySpan<byte> key) => new Sm4GcmCipher(key);

        public override void Hash(ReadOnlySpan<byte> data, Span<byte> output) => Sm3.HashData(data, output);

        public override void DeriveKey(ReadOnlySpan<byte> inputKeyMaterial, ReadOnlySpan<byte> salt, ReadOnlySpan<byte> info, Span<byte> output) =>
            Sm3.Hkdf(inputKeyMaterial, salt, info, output);
    }
}
