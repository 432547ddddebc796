using System.Security.Cryptography;
using Strongroom.Core;

namespace Strongroom.Blobs;

/// <summary>
/// A customer-provided key (Azure's CPK) for one request. The service uses it and forgets it: only
/// <see cref="KeySha256"/> is ever stored. Whoever creates it disposes it, which wipes the key.
/// Its <see cref="object.ToString"/> never shows the key.
/// </summary>
public sealed class CustomerProvidedKey : IDisposable
{
    private readonly byte[] key;

    private CustomerProvidedKey(byte[] key)
    {
        this.key = key;
        KeySha256 = SHA256.HashData(key);
    }

    public ReadOnlySpan<byte> Key => key;

    public byte[] KeySha256 { get; }

    /// <summary>Takes ownership of <paramref name="key"/> (32 bytes).</summary>
    public static CustomerProvidedKey Take(byte[] key)
    {
        ArgumentNullException.ThrowIfNull(key);
        if (key.Length != Limits.CustomerProvidedKeyBytes)
        {
            CryptographicOperations.ZeroMemory(key);
            throw new ArgumentException($"A customer-provided key is {Limits.CustomerProvidedKeyBytes} bytes.", nameof(key));
        }

        return new CustomerProvidedKey(key);
    }

    public void Dispose() => CryptographicOperations.ZeroMemory(key);

    public override string ToString() => "CustomerProvidedKey(sha256=" + Convert.ToBase64String(KeySha256) + ")";
}

/// <summary>How a write (or a read that must present a key) asks to be encrypted: an encryption
/// scope (null: the container's default), or a customer-provided key. Never both.</summary>
public sealed record BlobEncryptionOptions(string? EncryptionScope = null, CustomerProvidedKey? CustomerKey = null)
{
    public static readonly BlobEncryptionOptions None = new();
}

/// <summary>An encryption scope as operators see it: never its key.</summary>
public sealed record EncryptionScopeDetails(
    string Account,
    string Name,
    EncryptionScopeState State,
    EncryptionScopeKeySource KeySource,
    string? CustomerKeyName,
    string? CustomerKeyVersion,
    DateTimeOffset CreatedOn)
{
    internal static EncryptionScopeDetails From(EncryptionScopeRecord record) => new(
        record.Account, record.Name, record.State, record.KeySource, record.CustomerKeyName, record.CustomerKeyVersion, record.CreatedOn);
}
