using Strongroom.Core;

namespace Strongroom.Vault;

/// <summary>
/// The root key, kept in memory while the deployment is open so that the keyring can be re-saved
/// by a rotation (and re-read when another process rotated it). Disposing wipes the key; after
/// that, uses fail with <see cref="ErrorCode.VaultSealed"/>. The sealed vault replaces this with
/// its unsealed state (the key held only between unseal and seal).
/// </summary>
public sealed class RootKeyHolder : IDisposable
{
    private readonly Lock gate = new();
    private RootKey? key;

    public RootKeyHolder(RootKey key)
    {
        ArgumentNullException.ThrowIfNull(key);
        this.key = key;
    }

    public bool IsAvailable
    {
        get
        {
            lock (gate)
            {
                return key is not null;
            }
        }
    }

    /// <summary>Runs <paramref name="use"/> with the root key; the key cannot be wiped meanwhile.</summary>
    public T Use<T>(Func<RootKey, T> use)
    {
        ArgumentNullException.ThrowIfNull(use);
        lock (gate)
        {
            return use(key ?? throw new StorageException(ErrorCode.VaultSealed, "The root key is not held: the vault is sealed."));
        }
    }

    /// <summary>Like <see cref="Use{T}"/>, but returns <paramref name="whenAbsent"/> instead of failing when the key is gone.</summary>
    public T TryUse<T>(Func<RootKey, T> use, T whenAbsent)
    {
        ArgumentNullException.ThrowIfNull(use);
        lock (gate)
        {
            return key is null ? whenAbsent : use(key);
        }
    }

    public void Dispose()
    {
        lock (gate)
        {
            key?.Dispose();
            key = null;
        }
    }
}
