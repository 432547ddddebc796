using Strongroom.Core;

namespace Strongroom.Vault;

/// <summary>What a deployment's vault looks like from outside, Vault-style.</summary>
public sealed record SealStatus(bool Initialized, bool Sealed, int Threshold, int Shares, int Progress, string? DeploymentId, uint Generation);

/// <summary>The answer to one submitted share.</summary>
public sealed record UnsealProgress(SealStatus Status, bool DuplicateIgnored);

/// <summary>
/// The seal of one deployment, in memory: uninitialised (no seal stored), sealed (collecting shares,
/// progress k of K) or unsealed (holding the root key and the opened keyring). Thread-safe.
/// Sealing wipes the root key and the keyring and runs every registered seal hook, so caches of
/// unwrapped keys above the vault are dropped at the same moment.
/// </summary>
/// <remarks>
/// Users of the keyring take a <see cref="KeyringLease"/> (a read lock held for one synchronous
/// wrap or unwrap); <see cref="Seal"/> takes the write lock, so no operation ever runs on a
/// keyring that is being wiped.
/// </remarks>
public sealed class SealState : IDisposable
{
    private readonly IVaultFiles? files;
    private readonly IRandomSource random;
    private readonly ReaderWriterLockSlim gate = new(LockRecursionPolicy.SupportsRecursion);
    private readonly List<UnsealShare> pending = [];
    private readonly List<Action> sealHooks = [];
    private readonly List<Action> unsealHooks = [];
    private SealFile? sealFile;
    private long sealGeneration;
    private RootKey? rootKey;
    private Keyring? keyring;

    public SealState(string sealPath, string keyringPath, IRandomSource random)
        : this(new DirectoryVaultFiles(sealPath, keyringPath), random)
    {
    }

    /// <summary>
    /// The seal and keyring stored in <paramref name="files"/>. When they are shared by several
    /// servers (<see cref="IVaultFiles.IsShared"/>), each unseal attempt while sealed first checks
    /// the stored seal's generation, so a rekey made on another server is seen there: the shares
    /// submitted so far are forgotten and only the new shares are accepted.
    /// </summary>
    public SealState(IVaultFiles files, IRandomSource random)
    {
        ArgumentNullException.ThrowIfNull(files);
        this.files = files;
        this.random = random;
    }

    private SealState(Keyring keyring, RootKey? rootKey, IRandomSource random)
    {
        this.keyring = keyring;
        this.rootKey = rootKey;
        this.random = random;
    }

    /// <summary>An unsealed state over an already open keyring, without a seal file (tests and tools).</summary>
    public static SealState Unsealed(Keyring keyring, RootKey? rootKey, IRandomSource random) => new(keyring, rootKey, random);

    public bool IsSealed
    {
        get
        {
            gate.EnterReadLock();
            try
            {
                return keyring is null;
            }
            finally
            {
                gate.ExitReadLock();
            }
        }
    }

    public SealStatus Status
    {
        get
        {
            gate.EnterWriteLock();
            try
            {
                return StatusLocked();
            }
            finally
            {
                gate.ExitWriteLock();
            }
        }
    }

    /// <summary>
    /// Submits one share. A share already submitted is ignored (and reported); a share that does
    /// not belong is refused with <see cref="SealException"/> and leaves the progress as it was;
    /// the K-th share opens the seal, or, if the combination does not open it, resets the progress.
    /// </summary>
    public UnsealProgress Submit(UnsealShare share)
    {
        ArgumentNullException.ThrowIfNull(share);
        UnsealProgress result;
        Action[] unsealed = [];
        gate.EnterWriteLock();
        try
        {
            if (keyring is not null)
            {
                share.Dispose();
                return new UnsealProgress(StatusLocked(), DuplicateIgnored: false);
            }

            if (files is { IsShared: true } && files.ReadGeneration(VaultFileNames.Seal) != sealGeneration)
            {
                // Rekeyed (or initialised) on another server: the shares so far were the old ones.
                ClearPendingLocked();
                sealFile = null;
            }

            var file = LoadLocked() ?? throw new SealException(SealRejection.InvalidState, "The vault is not initialised: run `strongroom init` first.");
            try
            {
                file.Verify(share);
            }
            catch
            {
                share.Dispose();
                throw;
            }

            if (pending.Any(existing => existing.Index == share.Index))
            {
                share.Dispose();
                return new UnsealProgress(StatusLocked(), DuplicateIgnored: true);
            }

            pending.Add(share);
            if (pending.Count >= file.Threshold)
            {
                try
                {
                    OpenLocked(file);
                    unsealed = [.. unsealHooks];
                }
                finally
                {
                    ClearPendingLocked();
                }
            }

            result = new UnsealProgress(StatusLocked(), DuplicateIgnored: false);
        }
        finally
        {
            gate.ExitWriteLock();
        }

        // Outside the lock, like the seal hooks: a hook may use the keyring.
        foreach (var hook in unsealed)
        {
            hook();
        }

        return result;
    }

    /// <summary>Forgets the shares submitted so far.</summary>
    public SealStatus ResetProgress()
    {
        gate.EnterWriteLock();
        try
        {
            ClearPendingLocked();
            return StatusLocked();
        }
        finally
        {
            gate.ExitWriteLock();
        }
    }

    /// <summary>Wipes the root key and the keyring, forgets submitted shares and runs the seal hooks.</summary>
    public void Seal()
    {
        Action[] hooks;
        gate.EnterWriteLock();
        try
        {
            ClearPendingLocked();
            keyring?.Dispose();
            keyring = null;
            rootKey?.Dispose();
            rootKey = null;
            hooks = [.. sealHooks];
        }
        finally
        {
            gate.ExitWriteLock();
        }

        // Outside the lock: a hook may look at the state.
        foreach (var hook in hooks)
        {
            hook();
        }
    }

    /// <summary>
    /// Registers <paramref name="onSeal"/> to run whenever the vault seals (e.g. to clear a cache of
    /// unwrapped keys). Dispose the result to unregister.
    /// </summary>
    public IDisposable RegisterSealHook(Action onSeal)
    {
        ArgumentNullException.ThrowIfNull(onSeal);
        gate.EnterWriteLock();
        try
        {
            sealHooks.Add(onSeal);
        }
        finally
        {
            gate.ExitWriteLock();
        }

        return new Registration(this, onSeal);
    }

    /// <summary>
    /// Registers <paramref name="onUnseal"/> to run after each unseal by shares (e.g. to resume work
    /// that needs keys). It runs on the thread that submitted the last share: keep it short.
    /// </summary>
    public void RegisterUnsealHook(Action onUnseal)
    {
        ArgumentNullException.ThrowIfNull(onUnseal);
        gate.EnterWriteLock();
        try
        {
            unsealHooks.Add(onUnseal);
        }
        finally
        {
            gate.ExitWriteLock();
        }
    }

    /// <summary>Takes the keyring for one synchronous use. Throws <c>StorageException(VaultSealed)</c> while sealed.</summary>
    public KeyringLease AcquireKeyring()
    {
        gate.EnterReadLock();
        if (keyring is null)
        {
            gate.ExitReadLock();
            throw new StorageException(ErrorCode.VaultSealed, "The vault is sealed.");
        }

        return new KeyringLease(gate, keyring);
    }

    /// <summary>
    /// Replaces the keyring while no one uses it, with the root key at hand to save the new one
    /// (keyring rotation). <paramref name="update"/> gets the current keyring, the root key and the
    /// keyring file's path (null when not in a data directory), and returns the keyring to hold from now on (the same one, or a new one:
    /// then the old one is disposed). Throws <c>StorageException(VaultSealed)</c> while sealed.
    /// </summary>
    public void UpdateKeyring(Func<Keyring, RootKey, string?, Keyring> update)
    {
        ArgumentNullException.ThrowIfNull(update);
        gate.EnterWriteLock();
        try
        {
            if (keyring is null || rootKey is null)
            {
                throw new StorageException(ErrorCode.VaultSealed, "The vault is sealed.");
            }

            var updated = update(keyring, rootKey, (files as DirectoryVaultFiles)?.PathOf(VaultFileNames.Keyring));
            if (!ReferenceEquals(updated, keyring))
            {
                keyring.Dispose();
                keyring = updated;
            }
        }
        finally
        {
            gate.ExitWriteLock();
        }
    }

    /// <summary>
    /// Re-reads the seal (after a rekey or an init, here or on another server) and forgets the shares submitted so far,
    /// which belonged to the previous shares.
    /// </summary>
    public void Reload()
    {
        gate.EnterWriteLock();
        try
        {
            ClearPendingLocked();
            sealFile = null;
            LoadLocked();
        }
        finally
        {
            gate.ExitWriteLock();
        }
    }

    public void Dispose()
    {
        Seal();
        gate.Dispose();
    }

    private SealStatus StatusLocked()
    {
        var file = LoadLocked();
        if (file is null)
        {
            return new SealStatus(Initialized: files is null, Sealed: keyring is null, Threshold: 0, Shares: 0, Progress: 0, DeploymentId: null, Generation: 0);
        }

        return new SealStatus(true, keyring is null, file.Threshold, file.Shares, keyring is null ? pending.Count : 0, file.DeploymentIdText, file.Generation);
    }

    private SealFile? LoadLocked()
    {
        if (sealFile is null && files?.Read(VaultFileNames.Seal) is { } stored)
        {
            sealFile = SealFile.Parse(stored.Content, files.Describe(VaultFileNames.Seal));
            sealGeneration = stored.Generation;
        }

        return sealFile;
    }

    private void OpenLocked(SealFile file)
    {
        // init creates the keyring; creating one here would silently orphan every wrapped key.
        if (files!.ReadGeneration(VaultFileNames.Keyring) is null)
        {
            var backup = files.IsShared ? "the metadata database" : "the data directory";
            throw new SealException(SealRejection.InvalidState, $"The keyring {files.Describe(VaultFileNames.Keyring)} is missing, so nothing this deployment stored can be decrypted: restore it from a backup of {backup}.");
        }

        var opened = file.Open(pending);
        try
        {
            var ring = Keyring.OpenOrCreate(files, opened, random);
            // A keyring rotated by another process (an offline CLI, another server) is re-read on
            // demand; this runs under a keyring lease, so the root key is still held.
            ring.ReloadWhenVersionUnknown = () => ring.Reload(opened);
            keyring = ring;
            rootKey = opened;
        }
        catch
        {
            opened.Dispose();
            throw;
        }
    }

    private void ClearPendingLocked()
    {
        foreach (var share in pending)
        {
            share.Dispose();
        }

        pending.Clear();
    }

    private void Unregister(Action hook)
    {
        gate.EnterWriteLock();
        try
        {
            sealHooks.Remove(hook);
        }
        finally
        {
            gate.ExitWriteLock();
        }
    }

    private sealed class Registration(SealState state, Action hook) : IDisposable
    {
        private int disposed;

        public void Dispose()
        {
            if (Interlocked.Exchange(ref disposed, 1) == 0)
            {
                state.Unregister(hook);
            }
        }
    }
}

/// <summary>The keyring held for one synchronous operation; dispose it at once (it holds a read lock).</summary>
public readonly ref struct KeyringLease
{
    private readonly ReaderWriterLockSlim gate;

    internal KeyringLease(ReaderWriterLockSlim gate, Keyring keyring)
    {
        this.gate = gate;
        Keyring = keyring;
    }

    public Keyring Keyring { get; }

    public void Dispose() => gate.ExitReadLock();
}
