using System.Buffers;
using System.Buffers.Binary;
using System.Security.Cryptography;
using Strongroom.Core;

namespace Strongroom.Crypto;

/// <summary>
/// Wraps a secret (a data key, a tenant key) under a versioned 32-byte wrapping key, with
/// AES-256-GCM (format version 1) or SM4-GCM (format version 2).
/// </summary>
/// <remarks>
/// <para>Wrapped format version 1, AES-256-GCM (frozen):</para>
/// <code>
/// 0        format version = 1
/// 1..5     wrapping key version, u32 big-endian
/// 5..17    nonce, 12 random bytes
/// 17..n+17 ciphertext of the secret (same length n)
/// n+17..   tag, 16 bytes
/// </code>
/// <para>
/// The associated data is <c>"strongroom keywrap v1" || format version || u32be(wrapping key
/// version) || caller's associated data</c>: the key version cannot be edited to send a reader
/// to another key, and the caller binds the secret to its owner (tenant, container, blob,
/// version) so a wrapped key copied onto another record does not unwrap. Random nonces are
/// safe here because a wrapping key seals far fewer than 2^32 secrets between rotations.
/// </para>
/// <para>Wrapped format version 2, SM4-GCM (frozen): the same layout with version byte 2.</para>
/// <code>
/// 0        format version = 2
/// 1..5     wrapping key version, u32 big-endian
/// 5..17    nonce, 12 random bytes
/// 17..n+17 SM4-GCM ciphertext of the secret (same length n)
/// n+17..   tag, 16 bytes
/// </code>
/// <para>
/// SM4 keys are 128-bit, so the SM4 key is 16 bytes of HKDF-SM3(ikm = the 32-byte wrapping key,
/// no salt, info = "strongroom keywrap v2 sm4-gcm"). The associated data is
/// <c>"strongroom keywrap v2" || 02 || u32be(wrapping key version) || caller's associated data</c>.
/// The reader picks the cipher from the version byte; any other version byte is malformed.
/// </para>
/// </remarks>
public static class KeyWrap
{
    public const int OverheadBytes = 1 + 4 + 12 + 16;

    /// <summary>Format version 1: AES-256-GCM.</summary>
    public const byte FormatVersion = 1;

    /// <summary>Format version 2: SM4-GCM under a key derived with HKDF-SM3.</summary>
    public const byte FormatVersionSm4Gcm = 2;
    public const int WrappingKeyBytes = 32;

    private const int KeyVersionOffset = 1;
    private const int NonceOffset = 5;
    private const int NonceBytes = 12;
    private const int CiphertextOffset = NonceOffset + NonceBytes;
    private const int TagBytes = 16;
    private const int StackAssociatedDataBytesMax = 256;

    private static ReadOnlySpan<byte> Domain => "strongroom keywrap v1"u8;
    private static ReadOnlySpan<byte> Sm4Domain => "strongroom keywrap v2"u8;
    private static ReadOnlySpan<byte> Sm4KeyInfo => "strongroom keywrap v2 sm4-gcm"u8;

    public static int WrappedLength(int secretBytes) => checked(secretBytes + OverheadBytes);

    /// <summary>Wraps with <paramref name="suite"/> (AES-256-GCM unless given): format version 1 or 2.</summary>
    public static byte[] Wrap(ReadOnlySpan<byte> wrappingKey, uint wrappingKeyVersion, ReadOnlySpan<byte> secret, ReadOnlySpan<byte> associatedData, IRandomSource random, CipherSuite suite = CipherSuite.Aes256Gcm)
    {
        ValidateWrappingKey(wrappingKey);
        ArgumentNullException.ThrowIfNull(random);
        var formatVersion = suite switch
        {
            CipherSuite.Aes256Gcm => FormatVersion,
            CipherSuite.Sm4Gcm => FormatVersionSm4Gcm,
            _ => throw new ArgumentOutOfRangeException(nameof(suite), suite, "Unknown cipher suite."),
        };

        var wrapped = new byte[WrappedLength(secret.Length)];
        wrapped[0] = formatVersion;
        BinaryPrimitives.WriteUInt32BigEndian(wrapped.AsSpan(KeyVersionOffset), wrappingKeyVersion);
        var nonce = wrapped.AsSpan(NonceOffset, NonceBytes);
        random.Fill(nonce);

        var aadLength = FullAssociatedDataLength(associatedData);
        byte[]? rented = null;
        var aad = aadLength <= StackAssociatedDataBytesMax
            ? stackalloc byte[StackAssociatedDataBytesMax]
            : (rented = ArrayPool<byte>.Shared.Rent(aadLength));
        try
        {
            aad = aad[..aadLength];
            WriteAssociatedData(aad, formatVersion, wrappingKeyVersion, associatedData);
            using var cipher = CreateCipher(formatVersion, wrappingKey);
            cipher.Seal(nonce, secret, wrapped.AsSpan(CiphertextOffset, secret.Length + TagBytes), aad);
        }
        finally
        {
            if (rented is not null)
            {
                ArrayPool<byte>.Shared.Return(rented);
            }
        }

        return wrapped;
    }

    /// <summary>Returns the secret; the caller owns it and should wipe it after use.</summary>
    /// <exception cref="StorageException">
    /// <see cref="ErrorCode.IntegrityCheckFailed"/> for a malformed input, a wrong key, wrong
    /// associated data or a tampered ciphertext.
    /// </exception>
    public static byte[] Unwrap(ReadOnlySpan<byte> wrappingKey, ReadOnlySpan<byte> wrapped, ReadOnlySpan<byte> associatedData)
    {
        ValidateWrappingKey(wrappingKey);
        var wrappingKeyVersion = WrappingKeyVersion(wrapped);
        var formatVersion = wrapped[0];
        var secretBytes = wrapped.Length - OverheadBytes;

        var aadLength = FullAssociatedDataLength(associatedData);
        byte[]? rented = null;
        var aad = aadLength <= StackAssociatedDataBytesMax
            ? stackalloc byte[StackAssociatedDataBytesMax]
            : (rented = ArrayPool<byte>.Shared.Rent(aadLength));
        var secret = new byte[secretBytes];
        try
        {
            aad = aad[..aadLength];
            WriteAssociatedData(aad, formatVersion, wrappingKeyVersion, associatedData);
            using var cipher = CreateCipher(formatVersion, wrappingKey);
            if (!cipher.TryOpen(wrapped.Slice(NonceOffset, NonceBytes), wrapped[CiphertextOffset..], secret, aad))
            {
                throw new StorageException(ErrorCode.IntegrityCheckFailed, "The wrapped key failed authentication.");
            }

            return secret;
        }
        catch
        {
            CryptographicOperations.ZeroMemory(secret);
            throw;
        }
        finally
        {
            if (rented is not null)
            {
                ArrayPool<byte>.Shared.Return(rented);
            }
        }
    }

    /// <summary>Which wrapping key version sealed <paramref name="wrapped"/> (unauthenticated until unwrapped).</summary>
    public static uint WrappingKeyVersion(ReadOnlySpan<byte> wrapped)
    {
        CipherSuiteOf(wrapped);
        return BinaryPrimitives.ReadUInt32BigEndian(wrapped[KeyVersionOffset..]);
    }

    /// <summary>
    /// Which cipher suite sealed <paramref name="wrapped"/> (from its format version;
    /// unauthenticated until unwrapped). A rewrap should keep it.
    /// </summary>
    public static CipherSuite CipherSuiteOf(ReadOnlySpan<byte> wrapped)
    {
        if (wrapped.Length < OverheadBytes || wrapped[0] is not (FormatVersion or FormatVersionSm4Gcm))
        {
            throw new StorageException(ErrorCode.IntegrityCheckFailed, "The wrapped key is malformed.");
        }

        return wrapped[0] == FormatVersion ? CipherSuite.Aes256Gcm : CipherSuite.Sm4Gcm;
    }

    private static AeadCipher CreateCipher(byte formatVersion, ReadOnlySpan<byte> wrappingKey)
    {
        if (formatVersion == FormatVersion)
        {
            return CipherSuiteAlgorithms.Aes256Gcm.CreateAead(wrappingKey);
        }

        Invariant.True(formatVersion == FormatVersionSm4Gcm, "a known key wrap format");
        var sm4 = CipherSuiteAlgorithms.Sm4Gcm;
        Span<byte> key = stackalloc byte[sm4.KeyBytes];
        try
        {
            sm4.DeriveKey(wrappingKey, [], Sm4KeyInfo, key);
            return sm4.CreateAead(key);
        }
        finally
        {
            CryptographicOperations.ZeroMemory(key);
        }
    }

    // Both domains have the same length, so the associated data length does not depend on the format.
    private static int FullAssociatedDataLength(ReadOnlySpan<byte> associatedData) =>
        checked(Domain.Length + 1 + 4 + associatedData.Length);

    private static void WriteAssociatedData(Span<byte> aad, byte formatVersion, uint wrappingKeyVersion, ReadOnlySpan<byte> associatedData)
    {
        var domain = formatVersion == FormatVersion ? Domain : Sm4Domain;
        Invariant.True(domain.Length == Domain.Length, "key wrap domains have one length");
        domain.CopyTo(aad);
        var position = domain.Length;
        aad[position++] = formatVersion;
        BinaryPrimitives.WriteUInt32BigEndian(aad[position..], wrappingKeyVersion);
        position += 4;
        associatedData.CopyTo(aad[position..]);
        Invariant.True(position + associatedData.Length == aad.Length, "key wrap associated data length");
    }

    private static void ValidateWrappingKey(ReadOnlySpan<byte> wrappingKey)
    {
        if (wrappingKey.Length != WrappingKeyBytes)
        {
            throw new ArgumentException($"The wrapping key must be {WrappingKeyBytes} bytes.", nameof(wrappingKey));
        }
    }
}
