using System.Security.Cryptography;
using Strongroom.Core;

namespace Strongroom.Vault;

/// <summary>Which kind of key a cache entry holds; the index is a version or a slot accordingly.</summary>
public enum CachedKeyKind
{
    /// <summary>An account key-encryption key; the index is its version.</summary>
    AccountKeyEncryptionKey = 0,

    /// <summary>An account shared key (used by Shared Key authentication); the index is the slot, 1 or 2.</summary>
    SharedKey = 1,
}

/// <summary>
/// Unwrapped account keys (key-encryption keys, and shared keys for authentication), so that a
/// small request does not unwrap its account's keys through the keyring every time. Bounded (<see cref="Limits.UnwrappedKeyCacheEntriesMax"/>),
/// least recently used evicted first; a key leaving the cache (eviction, replacement,
/// <see cref="Remove"/>, <see cref="Clear"/>, dispose) is wiped.
///
/// An entry is keyed by (kind, account, version or slot) and also remembers the wrapped bytes
/// it was unwrapped from: a lookup hits only when the caller presents the same wrapped bytes. So a
/// rewrap, a renewed shared key, an account deleted and re-created by another process, or any other
/// change to the stored key is a miss, never a stale key. Callers get a copy, which they wipe; the cached array never
/// leaves this class.
/// </summary>
public sealed class UnwrappedKeyCache : IDisposable
{
    private readonly Lock gate = new();
    private readonly Dictionary<(CachedKeyKind Kind, string Account, uint Index), LinkedListNode<Entry>> entries = [];
    private readonly LinkedList<Entry> recency = new();
    private bool disposed;

    public UnwrappedKeyCache(int capacity = Limits.UnwrappedKeyCacheEntriesMax)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(capacity, 1);
        Capacity = capacity;
    }

    public int Capacity { get; }

    /// <summary>Test hook: sees each key array right after it was wiped.</summary>
    internal Action<byte[]>? Wiped { get; set; }

    public int Count
    {
        get
        {
            lock (gate)
            {
                return entries.Count;
            }
        }
    }

    /// <summary>An account key-encryption key: <see cref="TryCopy(CachedKeyKind, string, uint, ReadOnlySpan{byte}, Span{byte})"/>.</summary>
    public bool TryCopy(string account, uint version, ReadOnlySpan<byte> wrapped, Span<byte> destination) =>
        TryCopy(CachedKeyKind.AccountKeyEncryptionKey, account, version, wrapped, destination);

    /// <summary>An account key-encryption key: <see cref="Add(CachedKeyKind, string, uint, ReadOnlySpan{byte}, ReadOnlySpan{byte})"/>.</summary>
    public void Add(string account, uint version, ReadOnlySpan<byte> wrapped, ReadOnlySpan<byte> key) =>
        Add(CachedKeyKind.AccountKeyEncryptionKey, account, version, wrapped, key);

    /// <summary>Copies the cached key into <paramref name="destination"/> when present for exactly these wrapped bytes.</summary>
    public bool TryCopy(CachedKeyKind kind, string account, uint index, ReadOnlySpan<byte> wrapped, Span<byte> destination)
    {
        lock (gate)
        {
            if (disposed || !entries.TryGetValue((kind, account, index), out var node) || !node.Value.Wrapped.AsSpan().SequenceEqual(wrapped))
            {
                return false;
            }

            Invariant.True(destination.Length == node.Value.Key.Length, "a cached key is copied whole");
            node.Value.Key.CopyTo(destination);
            recency.Remove(node);
            recency.AddFirst(node);
            return true;
        }
    }

    /// <summary>Caches a copy of <paramref name="key"/>, replacing (and wiping) an entry for the same kind, account and index.</summary>
    public void Add(CachedKeyKind kind, string account, uint index, ReadOnlySpan<byte> wrapped, ReadOnlySpan<byte> key)
    {
        ArgumentNullException.ThrowIfNull(account);
        lock (gate)
        {
            if (disposed)
            {
                return;
            }

            if (entries.Remove((kind, account, index), out var existing))
            {
                Drop(existing);
            }

            while (entries.Count >= Capacity)
            {
                var oldest = recency.Last!;
                entries.Remove((oldest.Value.Kind, oldest.Value.Account, oldest.Value.Index));
                Drop(oldest);
            }

            var node = recency.AddFirst(new Entry(kind, account, index, wrapped.ToArray(), key.ToArray()));
            entries.Add((kind, account, index), node);
        }
    }

    /// <summary>Drops (and wipes) every key cached for the account, e.g. when it is deleted.</summary>
    public void Remove(string account)
    {
        lock (gate)
        {
            for (var node = recency.First; node is not null;)
            {
                var next = node.Next;
                if (string.Equals(node.Value.Account, account, StringComparison.Ordinal))
                {
                    entries.Remove((node.Value.Kind, node.Value.Account, node.Value.Index));
                    Drop(node);
                }

                node = next;
            }
        }
    }

    /// <summary>Drops and wipes everything (the seal calls this).</summary>
    public void Clear()
    {
        lock (gate)
        {
            foreach (var entry in recency)
            {
                CryptographicOperations.ZeroMemory(entry.Key);
                Wiped?.Invoke(entry.Key);
            }

            recency.Clear();
            entries.Clear();
        }
    }

    public void Dispose()
    {
        lock (gate)
        {
            disposed = true;
        }

        Clear();
    }

    private void Drop(LinkedListNode<Entry> node)
    {
        recency.Remove(node);
        CryptographicOperations.ZeroMemory(node.Value.Key);
        Wiped?.Invoke(node.Value.Key);
    }

    private sealed record Entry(CachedKeyKind Kind, string Account, uint Index, byte[] Wrapped, byte[] Key);
}
