using Strongroom.Storage;
using Strongroom.Vault;

namespace Strongroom.Server;

/// <summary>
/// The vault's files in the metadata database that the servers of one deployment share
/// (<see cref="IVaultFileStore"/>, table <c>vault_files</c>): used when
/// <see cref="DataDirectory.MetadataConnectionString"/> is set, so every server, each with its own
/// data directory, opens the same seal and keyring with the same shares. An update is one store
/// write transaction, which runs alone among every server's writes.
/// </summary>
/// <remarks>
/// The vault is synchronous (it runs under its own locks, inside key operations); the store's
/// reads complete synchronously and its writes wait only for the store's writer, so the calls
/// block here. They are rare: unseal, rotation, rekey, and one generation read per platform wrap.
/// </remarks>
public sealed class StoreVaultFiles(IVaultFileStore store, string description, TimeProvider time) : IVaultFiles
{
    public bool IsShared => true;

    public string Describe(string name) => $"'{name}' (vault_files in {description})";

    public VaultFile? Read(string name) =>
        store.ReadVaultFileAsync(name).GetAwaiter().GetResult() is { } file ? new VaultFile(file.Content, file.Generation) : null;

    public long? ReadGeneration(string name) => store.ReadVaultFileGenerationAsync(name).GetAwaiter().GetResult();

    public bool Create(IReadOnlyList<KeyValuePair<string, byte[]>> files) =>
        store.CreateVaultFilesAsync(files, time.GetUtcNow()).GetAwaiter().GetResult();

    public long Update(string name, Func<byte[]?, byte[]> update) =>
        store.UpdateVaultFileAsync(name, update, time.GetUtcNow()).GetAwaiter().GetResult();

    public void Delete(IReadOnlyList<string> names) => store.DeleteVaultFilesAsync(names).GetAwaiter().GetResult();
}
