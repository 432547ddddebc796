using System.Security.Cryptography;
using Strongroom.Core;

namespace Strongroom.Vault;

/// <summary>
/// The 256-bit root key that protects the keyring. Until the sealed vault arrives (issue 3) it is
/// kept in a file of the data directory, readable by the service user only; the sealed vault
/// replaces <see cref="FileRootKey"/> with a key reconstructed from custodians' shares.
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

    public void Dispose() => CryptographicOperations.ZeroMemory(key);
}

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
