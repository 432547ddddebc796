using System.Security.Cryptography;
using Org.BouncyCastle.Crypto;
using Org.BouncyCastle.Crypto.Engines;
using Org.BouncyCastle.Crypto.Modes;
using Org.BouncyCastle.Crypto.Parameters;

namespace Strongroom.Crypto;

/// <summary>
/// One GCM key, ready to seal and open many messages under distinct 12-byte nonces with
/// 16-byte tags. The output of a seal (and the input of an open) is ciphertext immediately
/// followed by the tag, which is how both the segment and the key-wrap formats lay them out.
/// Not thread-safe: one instance per stream or per call.
/// </summary>
internal abstract class AeadCipher : IDisposable
{
    public const int NonceBytes = 12;
    public const int TagBytes = 16;

    /// <summary>Writes <c>plaintext.Length + 16</c> bytes (ciphertext || tag) to <paramref name="sealedOutput"/>.</summary>
    public abstract void Seal(ReadOnlySpan<byte> nonce, ReadOnlySpan<byte> plaintext, Span<byte> sealedOutput, ReadOnlySpan<byte> associatedData);

    /// <summary>
    /// Opens ciphertext || tag into <paramref name="plaintext"/> (<c>sealedInput.Length - 16</c>
    /// bytes). Returns false, with <paramref name="plaintext"/> zeroed, when authentication fails.
    /// </summary>
    public abstract bool TryOpen(ReadOnlySpan<byte> nonce, ReadOnlySpan<byte> sealedInput, Span<byte> plaintext, ReadOnlySpan<byte> associatedData);

    public abstract void Dispose();
}

/// <summary>AES-GCM from the platform (<see cref="AesGcm"/>, hardware-accelerated where available).</summary>
internal sealed class AesGcmCipher(ReadOnlySpan<byte> key) : AeadCipher
{
    private readonly AesGcm aes = new(key, TagBytes);

    public override void Seal(ReadOnlySpan<byte> nonce, ReadOnlySpan<byte> plaintext, Span<byte> sealedOutput, ReadOnlySpan<byte> associatedData) =>
        aes.Encrypt(nonce, plaintext, sealedOutput[..plaintext.Length], sealedOutput.Slice(plaintext.Length, TagBytes), associatedData);

    public override bool TryOpen(ReadOnlySpan<byte> nonce, ReadOnlySpan<byte> sealedInput, Span<byte> plaintext, ReadOnlySpan<byte> associatedData)
    {
        try
        {
            aes.Decrypt(nonce, sealedInput[..plaintext.Length], sealedInput.Slice(plaintext.Length, TagBytes), plaintext, associatedData);
            return true;
        }
        catch (CryptographicException)
        {
            CryptographicOperations.ZeroMemory(plaintext);
            return false;
        }
    }

    public override void Dispose() => aes.Dispose();
}

/// <summary>
/// SM4-GCM (RFC 8998: GCM of NIST SP 800-38D over the SM4 block cipher of GB/T 32907) from
/// BouncyCastle. The key schedule and the GHASH tables are computed once per instance; each
/// message only re-initialises the nonce.
/// </summary>
/// <remarks>
/// Key hygiene: BouncyCastle keeps private copies of the key (its key parameter and the GCM
/// mode's nonce-reuse check) that its API cannot wipe; they become garbage with this object.
/// Dispose overwrites what it can reach, the SM4 round keys and the GCM hash key, by
/// re-keying with zeros.
/// </remarks>
internal sealed class Sm4GcmCipher : AeadCipher
{
    public const int KeyBytes = 16;
    private const int TagBits = TagBytes * 8;

    private readonly GcmBlockCipher gcm;
    private readonly byte[] nonceBuffer = new byte[NonceBytes];

    // Handed to the first Init only; later Inits pass no key and reuse the key schedule.
    private KeyParameter? pendingKey;
    private bool keyed;
    private bool disposed;

    public Sm4GcmCipher(ReadOnlySpan<byte> key)
    {
        if (key.Length != KeyBytes)
        {
            throw new ArgumentException($"An SM4 key is {KeyBytes} bytes.", nameof(key));
        }

        gcm = new GcmBlockCipher(new SM4Engine());
        pendingKey = new KeyParameter(key);
    }

    public override void Seal(ReadOnlySpan<byte> nonce, ReadOnlySpan<byte> plaintext, Span<byte> sealedOutput, ReadOnlySpan<byte> associatedData)
    {
        Init(forEncryption: true, nonce);
        gcm.ProcessAadBytes(associatedData);
        var written = gcm.ProcessBytes(plaintext, sealedOutput);
        written += gcm.DoFinal(sealedOutput[written..]);
        if (written != plaintext.Length + TagBytes)
        {
            throw new CryptographicException("SM4-GCM produced an unexpected output length.");
        }
    }

    public override bool TryOpen(ReadOnlySpan<byte> nonce, ReadOnlySpan<byte> sealedInput, Span<byte> plaintext, ReadOnlySpan<byte> associatedData)
    {
        Init(forEncryption: false, nonce);
        gcm.ProcessAadBytes(associatedData);
        try
        {
            var written = gcm.ProcessBytes(sealedInput, plaintext);
            written += gcm.DoFinal(plaintext[written..]);
            return written == plaintext.Length;
        }
        catch (InvalidCipherTextException)
        {
            // BouncyCastle releases plaintext before the tag is checked: erase it.
            CryptographicOperations.ZeroMemory(plaintext);
            return false;
        }
    }

    public override void Dispose()
    {
        if (disposed)
        {
            return;
        }

        disposed = true;
        pendingKey = null;
        if (keyed)
        {
            // Overwrites the SM4 round keys and the GHASH key held by BouncyCastle.
            Span<byte> zeros = stackalloc byte[KeyBytes];
            zeros.Clear();
            gcm.Init(false, new AeadParameters(new KeyParameter(zeros), TagBits, nonceBuffer));
            keyed = false;
        }
    }

    private void Init(bool forEncryption, ReadOnlySpan<byte> nonce)
    {
        if (nonce.Length != NonceBytes)
        {
            throw new ArgumentException($"A GCM nonce here is {NonceBytes} bytes.", nameof(nonce));
        }

        ObjectDisposedException.ThrowIf(disposed, this);
        nonce.CopyTo(nonceBuffer);
        gcm.Init(forEncryption, new AeadParameters(keyed ? null : pendingKey, TagBits, nonceBuffer));
        keyed = true;
        pendingKey = null;
    }
}
