using System.Collections.Concurrent;
using System.Text;
using Strongroom.Core;
using Strongroom.Crypto;
using Strongroom.Vault;

namespace Strongroom.Blobs.Tests;

/// <summary>
/// An in-memory tenant vault: named AES keys (one version each) that can be disabled and enabled,
/// checked on every call like the real vault. Counts calls so tests can see that nothing is cached.
/// </summary>
public sealed class FakeCustomerManagedKeys : ICustomerManagedKeys
{
    private readonly ConcurrentDictionary<(string Account, string Name), (byte[] Key, bool Enabled)> keys = new();
    private readonly SeededRandomSource random = new(77);

    public int UnwrapCalls;

    public void Add(string account, string name)
    {
        var key = new byte[32];
        random.Fill(key);
        keys[(account, name)] = (key, true);
    }

    public void SetEnabled(string account, string name, bool enabled) =>
        keys[(account, name)] = (keys[(account, name)].Key, enabled);

    public Task<CustomerWrappedKey> WrapAsync(string account, string keyName, ReadOnlyMemory<byte> key, CancellationToken cancellationToken = default)
    {
        var vaultKey = Require(account, keyName);
        return Task.FromResult(new CustomerWrappedKey(KeyWrap.Wrap(vaultKey, 1, key.Span, AssociatedData(account, keyName), random), "v1"));
    }

    public Task<byte[]> UnwrapAsync(string account, string keyName, string keyVersion, ReadOnlyMemory<byte> wrapped, CancellationToken cancellationToken = default)
    {
        Interlocked.Increment(ref UnwrapCalls);
        var vaultKey = Require(account, keyName);
        return Task.FromResult(KeyWrap.Unwrap(vaultKey, wrapped.Span, AssociatedData(account, keyName)));
    }

    private byte[] Require(string account, string keyName) =>
        keys.TryGetValue((account, keyName), out var entry) && entry.Enabled
            ? entry.Key
            : throw new StorageException(ErrorCode.CustomerManagedKeyUnavailable, "The key is not available.");

    private static byte[] AssociatedData(string account, string keyName) => Encoding.UTF8.GetBytes(account + "/" + keyName);
}
