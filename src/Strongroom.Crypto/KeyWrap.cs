using System.Buffers;
using System.Buffers.Binary;
using System.Security.Cryptography;
using Strongroom.Core;

namespace Strongroom.Crypto;

/// <summary>
/// Wraps a secret (a data key, a tenant key) under a versioned wrapping key with AES-256-GCM.
/// </summary>
/// <remarks>
/// <para>Wrapped format version 1 (frozen):</para>
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
/// </remarks>
public static class KeyWrap
{
    public const int OverheadBytes = 1 + 4 + 12 + 16;
    public const byte FormatVersion = 1;
    public const int WrappingKeyBytes = 32;

    private const int KeyVersionOffset = 1;
    private const int NonceOffset = 5;
    private const int NonceBytes = 12;
    private const int CiphertextOffset = NonceOffset + NonceBytes;
    private const int TagBytes = 16;
    private const int StackAssociatedDataBytesMax = 256;

    private static ReadOnlySpan<byte> Domain => "strongroom keywrap v1"u8;

    public static int WrappedLength(int secretBytes) => checked(secretBytes + OverheadBytes);

    public static byte[] Wrap(ReadOnlySpan<byte> wrappingKey, uint wrappingKeyVersion, ReadOnlySpan<byte> secret, ReadOnlySpan<byte> associatedData, IRandomSource random)
    {
        ValidateWrappingKey(wrappingKey);
        ArgumentNullException.ThrowIfNull(random);

        var wrapped = new byte[WrappedLength(secret.Length)];
        wrapped[0] = FormatVersion;
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
            WriteAssociatedData(aad, wrappingKeyVersion, associatedData);
            using var aes = new AesGcm(wrappingKey, TagBytes);
            aes.Encrypt(
                nonce,
                secret,
                wrapped.AsSpan(CiphertextOffset, secret.Length),
                wrapped.AsSpan(CiphertextOffset + secret.Length, TagBytes),
                aad);
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
            WriteAssociatedData(aad, wrappingKeyVersion, associatedData);
            using var aes = new AesGcm(wrappingKey, TagBytes);
            aes.Decrypt(
                wrapped.Slice(NonceOffset, NonceBytes),
                wrapped.Slice(CiphertextOffset, secretBytes),
                wrapped.Slice(CiphertextOffset + secretBytes, TagBytes),
                secret,
                aad);
            return secret;
        }
        catch (CryptographicException)
        {
            CryptographicOperations.ZeroMemory(secret);
            throw new StorageException(ErrorCode.IntegrityCheckFailed, "The wrapped key failed authentication.");
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
        if (wrapped.Length < OverheadBytes || wrapped[0] != FormatVersion)
        {
            throw new StorageException(ErrorCode.IntegrityCheckFailed, "The wrapped key is malformed.");
        }

        return BinaryPrimitives.ReadUInt32BigEndian(wrapped[KeyVersionOffset..]);
    }

    private static int FullAssociatedDataLength(ReadOnlySpan<byte> associatedData) =>
        checked(Domain.Length + 1 + 4 + associatedData.Length);

    private static void WriteAssociatedData(Span<byte> aad, uint wrappingKeyVersion, ReadOnlySpan<byte> associatedData)
    {
        Domain.CopyTo(aad);
        var position = Domain.Length;
        aad[position++] = FormatVersion;
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
