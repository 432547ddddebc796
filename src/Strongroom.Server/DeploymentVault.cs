using Strongroom.Storage;
using Strongroom.Vault;

namespace Strongroom.Server;

/// <summary>
/// What the vault of a deployment is, read from the store that holds it: the data directory's
/// files for one server, the shared metadata database when
/// <see cref="DataDirectory.MetadataConnectionString"/> is set (<see cref="Deployment.VaultFiles"/>).
/// The one place commands ask whether a deployment is initialised or a development one, and for
/// its seal, so no caller reads <see cref="DataDirectory.SealPath"/> of a shared deployment.
/// </summary>
/// <param name="Seal">The seal; null when the deployment is not initialised.</param>
/// <param name="IsDevelopment">True when the development unseal share is stored beside the seal.</param>
/// <param name="DevelopmentShareLocation">Where that share is (a path, or the database's description).</param>
public sealed record DeploymentVault(SealFile? Seal, bool IsDevelopment, string DevelopmentShareLocation)
{
    /// <summary>True once <c>strongroom init</c> (or <c>--dev</c>) sealed a root key.</summary>
    public bool IsInitialized => Seal is not null;

    /// <summary>The vault held by <paramref name="files"/> (a live deployment's <see cref="Deployment.VaultFiles"/>).</summary>
    public static DeploymentVault Of(IVaultFiles files)
    {
        ArgumentNullException.ThrowIfNull(files);
        var seal = files.Read(VaultFileNames.Seal) is { } stored
            ? SealFile.Parse(stored.Content, files.Describe(VaultFileNames.Seal))
            : null;
        return new DeploymentVault(seal, VaultSetup.IsDevelopment(files), files.Describe(VaultFileNames.DevelopmentShare));
    }

    /// <summary>
    /// The vault of the deployment in <paramref name="directory"/>, offline: its files, or the
    /// shared database's (opened only when it holds a deployment, so nothing is created).
    /// </summary>
    public static async Task<DeploymentVault> ReadAsync(DataDirectory directory, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(directory);
        if (directory.MetadataConnectionString is not { } shared)
        {
            return Of(new DirectoryVaultFiles(directory.VaultDirectory));
        }

        if (!await directory.DeploymentExistsAsync(cancellationToken).ConfigureAwait(false))
        {
            return new DeploymentVault(null, false, directory.MetadataDescription);
        }

        await using var store = await SqlMetadataStore.OpenPostgresAsync(shared, cancellationToken).ConfigureAwait(false);
        return Of(new StoreVaultFiles(store, store.Description, TimeProvider.System));
    }
}
