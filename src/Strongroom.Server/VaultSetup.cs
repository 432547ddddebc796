using Strongroom.Core;
using Strongroom.Vault;

namespace Strongroom.Server;

/// <summary>What <see cref="VaultSetup.Initialize"/> did.</summary>
public sealed record VaultInitialization(IReadOnlyList<UnsealShare> Shares, string DeploymentId, bool MigratedLegacyRootKey);

/// <summary>
/// Creating, re-splitting and (in development mode) opening the seal of a data directory. Offline
/// operations on files; the live state of a running server is <see cref="Deployment.Vault"/>.
/// </summary>
public static class VaultSetup
{
    /// <summary>
    /// Initialises the vault: a new root key (or, in a data directory from before the sealed vault,
    /// the existing <c>vault/root.key</c>, so existing data stays readable), sealed under an unseal
    /// key split into <paramref name="shares"/> shares with threshold <paramref name="threshold"/>.
    /// Creates the keyring. Deletes the legacy key file once the seal is durable.
    /// Refuses when the directory is already initialised.
    /// </summary>
    public static VaultInitialization Initialize(DataDirectory directory, int shares, int threshold, IRandomSource random)
    {
        ArgumentNullException.ThrowIfNull(directory);
        if (directory.IsInitialized)
        {
            throw new SealException(SealRejection.InvalidState, $"{directory.Root} is already initialised (it has a seal file). Issue new shares with `strongroom rekey` instead.");
        }

        directory.Create();
        var legacy = directory.HasLegacyRootKey;
        using var rootKey = legacy ? FileRootKey.LoadOrCreate(directory.RootKeyPath, random, out _) : RootKey.Generate(random);

        // Opening (or creating) the keyring proves a legacy key is the one that protects it.
        using (Keyring.OpenOrCreate(directory.KeyringPath, rootKey, random))
        {
        }

        var seal = SealFile.Create(rootKey, shares, threshold, random, out var issued);
        if (!seal.Write(directory.SealPath, overwrite: false))
        {
            foreach (var share in issued)
            {
                share.Dispose();
            }

            throw new SealException(SealRejection.InvalidState, $"{directory.Root} was initialised by another process at the same time; its shares are the valid ones.");
        }

        if (legacy)
        {
            File.Delete(directory.RootKeyPath);
        }

        return new VaultInitialization(issued, seal.DeploymentIdText, legacy);
    }

    /// <summary>
    /// <see cref="Initialize"/>, then records <c>InitializeVault</c> (N and K, never a share) in the
    /// platform log through the directory's store, before anyone sees a share. When the entry
    /// cannot be written the new seal and keyring are removed again (nothing is encrypted under
    /// them yet) and the error is thrown; a migrated legacy root key cannot be put back, so that
    /// case keeps its seal and reports the error.
    /// </summary>
    public static async Task<VaultInitialization> InitializeAsync(DataDirectory directory, int shares, int threshold, IRandomSource random, TimeProvider time, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(directory);
        if (directory.MetadataConnectionString is not null)
        {
            return await InitializeSharedAsync(directory, shares, threshold, random, time, cancellationToken).ConfigureAwait(false);
        }

        var initialization = Initialize(directory, shares, threshold, random);
        try
        {
            using var host = OperationContext.IsOpen ? null : OperationContext.Begin(new OperationContext(new Actor(ActorKind.Host, Environment.UserName)));
            await using var deployment = await Deployment.OpenAsync(directory, time, random, cancellationToken).ConfigureAwait(false);
            await deployment.RecordPlatformAsync(
                Audit.AuditActions.InitializeVault,
                Deployment.VaultResource,
                [Deployment.Detail("shares", shares), Deployment.Detail("threshold", threshold), Deployment.Detail("migratedLegacyRootKey", initialization.MigratedLegacyRootKey ? "true" : "false")],
                cancellationToken: cancellationToken).ConfigureAwait(false);
            return initialization;
        }
        catch
        {
            foreach (var share in initialization.Shares)
            {
                share.Dispose();
            }

            if (!initialization.MigratedLegacyRootKey)
            {
                File.Delete(directory.SealPath);
                File.Delete(directory.KeyringPath);
            }

            throw;
        }
    }

    /// <summary>
    /// <see cref="InitializeAsync"/> for servers sharing a metadata database: the seal and keyring
    /// are created in it (<see cref="Initialize(IVaultFiles, int, int, IRandomSource)"/>) and
    /// removed again when the entry cannot be recorded.
    /// </summary>
    private static async Task<VaultInitialization> InitializeSharedAsync(DataDirectory directory, int shares, int threshold, IRandomSource random, TimeProvider time, CancellationToken cancellationToken)
    {
        using var host = OperationContext.IsOpen ? null : OperationContext.Begin(new OperationContext(new Actor(ActorKind.Host, Environment.UserName)));
        await using var deployment = await Deployment.OpenAsync(directory, time, random, cancellationToken).ConfigureAwait(false);
        var initialization = Initialize(deployment.VaultFiles, shares, threshold, random);
        try
        {
            await deployment.RecordPlatformAsync(
                Audit.AuditActions.InitializeVault,
                Deployment.VaultResource,
                [Deployment.Detail("shares", shares), Deployment.Detail("threshold", threshold), Deployment.Detail("migratedLegacyRootKey", "false")],
                cancellationToken: cancellationToken).ConfigureAwait(false);
            return initialization;
        }
        catch
        {
            foreach (var share in initialization.Shares)
            {
                share.Dispose();
            }

            deployment.VaultFiles.Delete([VaultFileNames.Seal, VaultFileNames.Keyring]);
            throw;
        }
    }

    /// <summary>
    /// Development mode: initialises a 1-of-1 vault whose only share is kept in the data directory
    /// (<see cref="DataDirectory.DevelopmentSharePath"/>, mode 0600), migrating a legacy root key
    /// file. Returns false when the directory was already initialised.
    /// </summary>
    public static bool InitializeDevelopment(DataDirectory directory, IRandomSource random)
    {
        ArgumentNullException.ThrowIfNull(directory);
        if (directory.IsInitialized)
        {
            CompleteDevelopmentShare(directory);
            return false;
        }

        directory.Create();
        var legacy = directory.HasLegacyRootKey;
        using var rootKey = legacy ? FileRootKey.LoadOrCreate(directory.RootKeyPath, random, out _) : RootKey.Generate(random);
        using (Keyring.OpenOrCreate(directory.KeyringPath, rootKey, random))
        {
        }

        // The share goes to a partial file first and takes its place only once our seal is the one
        // published: two processes initialising at once must not leave one's seal with the other's
        // share. A crash in between leaves the partial file, which the next start puts in place.
        var seal = SealFile.Create(rootKey, shares: 1, threshold: 1, random, out var issued);
        using var share = issued[0];
        var partial = $"{directory.DevelopmentSharePath}.{Environment.ProcessId}{PartialSuffix}";
        WriteSecretText(partial, share.ToText());
        if (!seal.Write(directory.SealPath, overwrite: false))
        {
            File.Delete(partial);
            return false;
        }

        File.Move(partial, directory.DevelopmentSharePath, overwrite: true);
        if (legacy)
        {
            File.Delete(directory.RootKeyPath);
        }

        return true;
    }

    private const string PartialSuffix = ".partial";

    /// <summary>Puts in place a development share that a crash left as a partial file after publishing its seal.</summary>
    private static void CompleteDevelopmentShare(DataDirectory directory)
    {
        if (directory.IsDevelopment || !Directory.Exists(directory.VaultDirectory))
        {
            return;
        }

        var seal = SealFile.Read(directory.SealPath);
        foreach (var partial in Directory.GetFiles(directory.VaultDirectory, Path.GetFileName(directory.DevelopmentSharePath) + ".*" + PartialSuffix))
        {
            try
            {
                using var share = UnsealShare.Parse(File.ReadAllText(partial));
                seal.Verify(share);
                File.Move(partial, directory.DevelopmentSharePath, overwrite: false);
                return;
            }
            catch (SealException)
            {
                File.Delete(partial);
            }
        }
    }

    /// <summary>Unseals <paramref name="vault"/> with the development share stored in the directory. False when there is none.</summary>
    public static bool TryUnsealDevelopment(DataDirectory directory, SealState vault)
    {
        ArgumentNullException.ThrowIfNull(directory);
        ArgumentNullException.ThrowIfNull(vault);
        if (!directory.IsDevelopment)
        {
            return false;
        }

        var share = UnsealShare.Parse(File.ReadAllText(directory.DevelopmentSharePath));
        var progress = vault.Submit(share);
        return !progress.Status.Sealed;
    }

    /// <summary>
    /// Issues new shares (<paramref name="shares"/>, threshold <paramref name="threshold"/>) on
    /// presentation of <paramref name="current"/> current shares; the root key is unchanged, so
    /// the keyring and all data are untouched. The seal file is replaced atomically. Each share is
    /// checked alone first, so a wrong one is named.
    /// </summary>
    public static IReadOnlyList<UnsealShare> Rekey(DataDirectory directory, IReadOnlyList<UnsealShare> current, int shares, int threshold, IRandomSource random)
    {
        ArgumentNullException.ThrowIfNull(directory);
        ArgumentNullException.ThrowIfNull(current);
        if (directory.IsDevelopment)
        {
            throw new SealException(SealRejection.InvalidState, $"{directory.Root} is a development data directory: its only unseal share is stored in it, so new shares would not make it fit for production. Initialise a new data directory with `strongroom init` for production.");
        }

        var seal = SealFile.Read(directory.SealPath);
        var next = RekeySeal(seal, current, shares, threshold, random, out var issued);
        next.Write(directory.SealPath, overwrite: true);
        return issued;
    }

    /// <summary>
    /// <see cref="Initialize(DataDirectory, int, int, IRandomSource)"/> for servers sharing a
    /// metadata database: a new root key sealed under a new unseal key, and its keyring, created in
    /// <paramref name="files"/> in one transaction (none when another process initialised first:
    /// refused, its shares are the valid ones). No legacy root key: a shared deployment is new.
    /// </summary>
    public static VaultInitialization Initialize(IVaultFiles files, int shares, int threshold, IRandomSource random)
    {
        ArgumentNullException.ThrowIfNull(files);
        if (files.ReadGeneration(VaultFileNames.Seal) is not null)
        {
            throw new SealException(SealRejection.InvalidState, $"The deployment is already initialised (its seal is {files.Describe(VaultFileNames.Seal)}). Issue new shares with `strongroom rekey` instead.");
        }

        using var rootKey = RootKey.Generate(random);
        var keyring = Keyring.CreateContent(rootKey, random);
        var seal = SealFile.Create(rootKey, shares, threshold, random, out var issued);
        if (!files.Create([new(VaultFileNames.Keyring, keyring), new(VaultFileNames.Seal, seal.ToBytes())]))
        {
            foreach (var share in issued)
            {
                share.Dispose();
            }

            throw new SealException(SealRejection.InvalidState, "The deployment was initialised by another process at the same time; its shares are the valid ones.");
        }

        return new VaultInitialization(issued, seal.DeploymentIdText, MigratedLegacyRootKey: false);
    }

    /// <summary>
    /// Development mode with a shared metadata database: the first server to start creates the
    /// seal, the keyring and the 1-of-1 unseal share in <paramref name="files"/>, all in one
    /// transaction; servers starting later (or losing the race) find them. Returns true for the
    /// server that created them. DEVELOPMENT ONLY: the share is stored beside the seal (in the
    /// database), so anyone who can read the database can unseal; production never does this.
    /// </summary>
    public static bool InitializeDevelopment(IVaultFiles files, IRandomSource random)
    {
        ArgumentNullException.ThrowIfNull(files);
        if (files.ReadGeneration(VaultFileNames.Seal) is not null)
        {
            return false;
        }

        using var rootKey = RootKey.Generate(random);
        var keyring = Keyring.CreateContent(rootKey, random);
        var seal = SealFile.Create(rootKey, shares: 1, threshold: 1, random, out var issued);
        using var share = issued[0];
        var shareText = System.Text.Encoding.UTF8.GetBytes(share.ToText());
        try
        {
            return files.Create([new(VaultFileNames.Keyring, keyring), new(VaultFileNames.DevelopmentShare, shareText), new(VaultFileNames.Seal, seal.ToBytes())]);
        }
        finally
        {
            System.Security.Cryptography.CryptographicOperations.ZeroMemory(shareText);
        }
    }

    /// <summary>True when <paramref name="files"/> hold a development unseal share (a development deployment).</summary>
    public static bool IsDevelopment(IVaultFiles files)
    {
        ArgumentNullException.ThrowIfNull(files);
        return files.ReadGeneration(VaultFileNames.DevelopmentShare) is not null;
    }

    /// <summary>Unseals <paramref name="vault"/> with the development share stored in <paramref name="files"/>. False when there is none.</summary>
    public static bool TryUnsealDevelopment(IVaultFiles files, SealState vault)
    {
        ArgumentNullException.ThrowIfNull(files);
        ArgumentNullException.ThrowIfNull(vault);
        if (files.Read(VaultFileNames.DevelopmentShare) is not { } stored)
        {
            return false;
        }

        try
        {
            var share = UnsealShare.Parse(System.Text.Encoding.UTF8.GetString(stored.Content));
            return !vault.Submit(share).Status.Sealed;
        }
        finally
        {
            System.Security.Cryptography.CryptographicOperations.ZeroMemory(stored.Content);
        }
    }

    /// <summary>
    /// <see cref="Rekey(DataDirectory, IReadOnlyList{UnsealShare}, int, int, IRandomSource)"/> on
    /// <paramref name="files"/>: the new seal replaces the one the presented shares opened, in one
    /// exclusive update (refused if another process rekeyed meanwhile). Other servers see it at
    /// their next unseal attempt or <see cref="SealState.Reload"/>; unsealed ones keep serving
    /// (the root key is unchanged).
    /// </summary>
    public static IReadOnlyList<UnsealShare> Rekey(IVaultFiles files, IReadOnlyList<UnsealShare> current, int shares, int threshold, IRandomSource random)
    {
        ArgumentNullException.ThrowIfNull(files);
        ArgumentNullException.ThrowIfNull(current);
        if (IsDevelopment(files))
        {
            throw new SealException(SealRejection.InvalidState, "This is a development deployment: its only unseal share is stored in its metadata database, so new shares would not make it fit for production. Initialise a new deployment with `strongroom init` for production.");
        }

        var stored = files.Read(VaultFileNames.Seal)
            ?? throw new SealException(SealRejection.InvalidState, "The deployment is not initialised: there are no shares to replace. Run `strongroom init` first.");
        var seal = SealFile.Parse(stored.Content, files.Describe(VaultFileNames.Seal));
        var next = RekeySeal(seal, current, shares, threshold, random, out var issued);
        try
        {
            files.Update(VaultFileNames.Seal, now =>
                now is not null && now.AsSpan().SequenceEqual(stored.Content)
                    ? next.ToBytes()
                    : throw new SealException(SealRejection.InvalidState, "The seal was replaced by another process (a rekey) while this one ran: nothing was changed. Rekey again with the current shares."));
        }
        catch
        {
            foreach (var share in issued)
            {
                share.Dispose();
            }

            throw;
        }

        return issued;
    }

    /// <summary>
    /// The seal re-split under new shares: <paramref name="current"/> must hold the threshold of
    /// distinct valid shares of <paramref name="seal"/> (duplicates count once); the root key stays.
    /// </summary>
    private static SealFile RekeySeal(SealFile seal, IReadOnlyList<UnsealShare> current, int shares, int threshold, IRandomSource random, out UnsealShare[] issued)
    {
        var distinct = new List<UnsealShare>();
        foreach (var share in current)
        {
            seal.Verify(share);
            if (distinct.All(existing => existing.Index != share.Index))
            {
                distinct.Add(share);
            }
        }

        if (distinct.Count < seal.Threshold)
        {
            throw new SealException(SealRejection.InvalidState, $"Rekeying takes {seal.Threshold} different current shares; {distinct.Count} given.");
        }

        using var rootKey = seal.Open(distinct);
        return seal.Rekey(rootKey, shares, threshold, random, out issued);
    }

    /// <summary>Writes a share file readable by its owner only (0600), refusing to replace an existing file.</summary>
    public static void WriteShareFile(string path, string text)
    {
        if (File.Exists(path))
        {
            throw new IOException($"{path} already exists: refusing to overwrite a share file.");
        }

        WriteSecretText(path, text);
    }

    private static void WriteSecretText(string path, string text)
    {
        Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(path))!);
        var options = new FileStreamOptions { Mode = FileMode.Create, Access = FileAccess.Write };
        if (!OperatingSystem.IsWindows())
        {
            options.UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite;
        }

        using var stream = new FileStream(path, options);
        using var writer = new StreamWriter(stream);
        writer.WriteLine(text);
        writer.Flush();
        stream.Flush(flushToDisk: true);
    }
}
