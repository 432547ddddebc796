namespace Strongroom.Vault;

/// <summary>One stored vault file: its bytes and the store's generation of it (1 when created, plus one per replacement).</summary>
public sealed record VaultFile(byte[] Content, long Generation);

/// <summary>The names of the vault's files.</summary>
public static class VaultFileNames
{
    /// <summary>The sealed root key (<see cref="SealFile"/>); its presence means initialised.</summary>
    public const string Seal = "seal";

    /// <summary>The keyring, wrapped under the root key (<see cref="Keyring"/>).</summary>
    public const string Keyring = "keyring";

    /// <summary>Development mode only: the single (1-of-1) unseal share, as text.</summary>
    public const string DevelopmentShare = "dev-unseal.share";
}

/// <summary>
/// Where the vault keeps its files: the seal, the keyring and (development only) the unseal share.
/// The bytes are exactly those of the files (the seal is sealed under the unseal key, the keyring
/// wrapped under the root key): a store adds nothing in plaintext. Two implementations: a data
/// directory (<see cref="DirectoryVaultFiles"/>, one server) and, in Strongroom.Server, the
/// metadata database that the servers of one deployment share.
/// </summary>
public interface IVaultFiles
{
    /// <summary>
    /// True when other servers, with data directories of their own, use the same files: the
    /// keyring then checks the stored generation before each wrap (a rotation elsewhere is used at
    /// once) and the seal is re-read at each unseal attempt (a rekey elsewhere is seen).
    /// </summary>
    bool IsShared { get; }

    /// <summary>Where <paramref name="name"/> is, for messages (a path, or the table and the database's description; never a password).</summary>
    string Describe(string name);

    /// <summary>The file, or null when it does not exist.</summary>
    VaultFile? Read(string name);

    /// <summary>The file's generation, or null when it does not exist: a cheap check whether it changed.</summary>
    long? ReadGeneration(string name);

    /// <summary>
    /// Creates <paramref name="files"/>, refusing to replace any: false when one already exists
    /// (another process created it first; its file wins, since two different root keys must never
    /// both be used). A database creates all of them or none in one transaction; a directory writes
    /// them one by one in the order given (each whole or not at all), so the file whose presence
    /// means "done" goes last.
    /// </summary>
    bool Create(IReadOnlyList<KeyValuePair<string, byte[]>> files);

    /// <summary>
    /// Replaces <paramref name="name"/> with <paramref name="update"/>'s answer to its current
    /// bytes (null when absent), exclusively: no other process's update of the same store runs
    /// between the read and the write (a directory: a lock file; a database: one write
    /// transaction). Throws what <paramref name="update"/> throws, then nothing is written. Returns
    /// the new generation.
    /// </summary>
    long Update(string name, Func<byte[]?, byte[]> update);

    /// <summary>Deletes the files that exist among <paramref name="names"/> (undoing an init nothing was encrypted under yet).</summary>
    void Delete(IReadOnlyList<string> names);
}
