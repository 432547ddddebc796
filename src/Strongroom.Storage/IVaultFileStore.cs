namespace Strongroom.Storage;

/// <summary>
/// The vault's files (seal, keyring, development share) in the metadata database, for servers of
/// one deployment that have data directories of their own (migration 21, <c>vault_files</c>). The
/// store keeps opaque bytes: the seal is sealed under the unseal key and the keyring wrapped under
/// the root key before they reach it, so it never sees a key in the clear (the development share
/// is the one exception, development only). Each file has a generation: 1 when created, plus one
/// per replacement.
/// </summary>
public interface IVaultFileStore
{
    /// <summary>The file's bytes and generation, or null when absent.</summary>
    Task<(byte[] Content, long Generation)?> ReadVaultFileAsync(string name, CancellationToken cancellationToken = default);

    /// <summary>The file's generation, or null when absent (one small read).</summary>
    Task<long?> ReadVaultFileGenerationAsync(string name, CancellationToken cancellationToken = default);

    /// <summary>Creates every file in one transaction, or none: false when any of them exists.</summary>
    Task<bool> CreateVaultFilesAsync(IReadOnlyList<KeyValuePair<string, byte[]>> files, DateTimeOffset now, CancellationToken cancellationToken = default);

    /// <summary>
    /// Replaces a file with <paramref name="update"/>'s answer to its current bytes (null when
    /// absent) inside one write transaction, which runs alone among every server's writes; returns
    /// the new generation. When <paramref name="update"/> throws, nothing is written and the
    /// exception is rethrown.
    /// </summary>
    Task<long> UpdateVaultFileAsync(string name, Func<byte[]?, byte[]> update, DateTimeOffset now, CancellationToken cancellationToken = default);

    /// <summary>Deletes the files among <paramref name="names"/> that exist, in one transaction.</summary>
    Task DeleteVaultFilesAsync(IReadOnlyList<string> names, CancellationToken cancellationToken = default);
}
