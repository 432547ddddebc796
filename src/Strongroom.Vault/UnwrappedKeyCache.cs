using System.Security.Cryptography;
using Strongroom.Core;

namespace Strongroom.Vault;

/// <summary>
/// Unwrapped account key-encryption keys, so that a small write does not unwrap its account's
/// key through the keyring every time. Bounded (<see cref="Limits.UnwrappedKeyCacheEntriesMax"/>),
/// least recently used evicted first; a key leaving the cache (eviction, replacement,
/// <see cref="Remove"/>, <see cref="Clear"/>, dispose) is wiped.
///
/// An entry is keyed by (account, key-encryption-key version) and also remembers the wrapped bytes
/// it was unwrapped from: a lookup hits only when the caller presents the same wrapped bytes. So a
/// rewrap, an account deleted and re-created by another process, or any other change to the stored
/// key is a miss, never a stale key. Callers get a copy, which they wipe; the cached array never
/// leaves this class.
/// </summary>
public sealed class UnwrappedKeyCache : IDisposable
{
    private readonly Lock gate = new();
    private readonly Dictionary<(string Account, uint Version), LinkedListNode<Entry>> entries = [];
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

    /// <summary>Copies the cached key into <paramref name="destination"/> when present for exactly these wrapped bytes.</summary>
    public bool TryCopy(string account, uint version, ReadOnlySpan<byte> wrapped, Span<byte> destination)
    {
        lock (gate)
        {
            if (disposed || !entries.TryGetValue((account, version), out var node) || !node.Value.Wrapped.AsSpan().SequenceEqual(wrapped))
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

    /// <summary>Caches a copy of <paramref name="key"/>, replacing (and wiping) an entry for the same account and version.</summary>
    public void Add(string account, uint version, ReadOnlySpan<byte> wrapped, ReadOnlySpan<byte> key)
    {
        ArgumentNullException.ThrowIfNull(account);
        lock (gate)
        {
            if (disposed)
            {
                return;
            }

            if (entries.Remove((account, version), out var existing))
            {
                Drop(existing);
            }

            while (entries.Count >= Capacity)
            {
                var oldest = recency.Last!;
                entries.Remove((oldest.Value.Account, oldest.Value.Version));
                Drop(oldest);
            }

            var node = recency.AddFirst(new Entry(account, version, wrapped.ToArray(), key.ToArray()));
            entries.Add((account, version), node);
        }
    }

    /// <summary>Drops (and wipes) every version cached for the account, e.g. when it is deleted.</summary>
    public void Remove(string account)
    {
        lock (gate)
        {
            for (var node = recency.First; node is not null;)
            {
                var next = node.Next;
                if (string.Equals(node.Value.Account, account, StringComparison.Ordinal))
                {
                    entries.Remove((node.Value.Account, node.Value.Version));
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

    private sealed record Entry(string Account, uint Version, byte[] Wrapped, byte[] Key);
}
