using System.Security.Cryptography;
using Strongroom.Core;

namespace Strongroom.Vault;

/// <summary>
/// The 256-bit root key that protects the keyring. It is stored only sealed (<see cref="SealFile"/>)
/// and held in memory only while the vault is unsealed (<see cref="SealState"/>).
/// </summary>
public sealed class RootKey : IDisposable
{
    public const int KeyBytes = 32;

    private readonly byte[] key;

    public RootKey(ReadOnlySpan<byte> key)
    {
        if (key.Length != KeyBytes)
        {
            throw new ArgumentException($"A root key is {KeyBytes} bytes.", nameof(key));
        }

        this.key = key.ToArray();
    }

    internal ReadOnlySpan<byte> Bytes => key;

    public static RootKey Generate(IRandomSource random)
    {
        ArgumentNullException.ThrowIfNull(random);
        Span<byte> fresh = stackalloc byte[KeyBytes];
        try
        {
            random.Fill(fresh);
            return new RootKey(fresh);
        }
        finally
        {
            CryptographicOperations.ZeroMemory(fresh);
        }
    }

    public void Dispose() => CryptographicOperations.ZeroMemory(key);
}

/// <summary>
/// The unsealed root key file of data directories from before the sealed vault
/// (<c>vault/root.key</c>). Only read, to seal it (<c>strongroom init</c>, or <c>--dev</c>
/// automatically), after which the file is deleted.
/// </summary>
public static class FileRootKey
{
    /// <summary>Loads the root key from <paramref name="path"/>, creating it (mode 0600) when absent.</summary>
    public static RootKey LoadOrCreate(string path, IRandomSource random, out bool created)
    {
        created = false;
        if (!File.Exists(path))
        {
            var fresh = new byte[RootKey.KeyBytes];
            try
            {
                random.Fill(fresh);
                created = SecretFile.WriteAtomically(path, overwrite: false, fresh);
            }
            finally
            {
                CryptographicOperations.ZeroMemory(fresh);
            }
        }

        var bytes = File.ReadAllBytes(path);
        try
        {
            if (bytes.Length != RootKey.KeyBytes)
            {
                throw new InvalidDataException($"The root key file {path} is damaged: expected {RootKey.KeyBytes} bytes.");
            }

            return new RootKey(bytes);
        }
        finally
        {
            CryptographicOperations.ZeroMemory(bytes);
        }
    }
}
