using System.Diagnostics;
using Strongroom.Audit;
using Strongroom.Blobs;
using Strongroom.Core;
using Strongroom.Crypto;
using Strongroom.Placement;
using Strongroom.Storage;
using Strongroom.Vault;

namespace Strongroom.Bench;

/// <summary>
/// Per-request key unwrap cost, with and without the unwrapped-key cache, in-process (no HTTP):
/// 1. the account key-encryption-key unwrap alone (keyring AES-GCM vs. a cache copy), and the two
///    shared keys Shared Key authentication unwraps for every request;
/// 2. the key work of one write (unwrap the account key, make and wrap a data key);
/// 3. a whole 4 KiB Put Blob through BlobService on a real SQLite store and local site (fsynced),
///    the denominator of the target: cached unwrap adds under 5% to a 4 KiB put.
/// Each figure is the median of several rounds, in microseconds per operation.
/// </summary>
internal static class UnwrapBench
{
    public static async Task<int> RunAsync(int rounds, int puts, TextWriter output)
    {
        var directory = Directory.CreateTempSubdirectory("strongroom-unwrap-bench-").FullName;
        try
        {
            using var rootKey = new RootKey(new byte[32]);
            using var keyring = Keyring.OpenOrCreate(Path.Combine(directory, "keyring"), rootKey, SystemRandomSource.Instance);
            using var cache = new UnwrappedKeyCache();
            var uncached = new TenantKeys(keyring, SystemRandomSource.Instance);
            var cached = new TenantKeys(keyring, SystemRandomSource.Instance, cache);
            var wrappedKek = uncached.NewWrappedKeyEncryptionKey("bench");
            var binding = ObjectBinding.Digest("bench", "box", "blob", "0123456789abcdef0123456789abcdef");
            var associatedData = System.Text.Encoding.UTF8.GetBytes("account-kek\nbench\n0");
            var copy = new byte[32];
            cache.Add("bench", 1, wrappedKek, keyring.Unwrap(wrappedKek, associatedData));

            const int KeyIterations = 20_000;
            var unwrapKeyring = Median(rounds, KeyIterations, () => keyring.Unwrap(wrappedKek, associatedData));
            var unwrapCache = Median(rounds, KeyIterations, () => cache.TryCopy("bench", 1, wrappedKek, copy));
            var (_, wrappedShared1) = uncached.NewSharedKey("bench", 1);
            var (_, wrappedShared2) = uncached.NewSharedKey("bench", 2);
            var authUncached = Median(rounds, KeyIterations, () => { uncached.UnwrapSharedKey("bench", 1, wrappedShared1); uncached.UnwrapSharedKey("bench", 2, wrappedShared2); });
            var authCached = Median(rounds, KeyIterations, () => { cached.UnwrapSharedKey("bench", 1, wrappedShared1); cached.UnwrapSharedKey("bench", 2, wrappedShared2); });
            var writeKeysUncached = Median(rounds, KeyIterations, () => uncached.NewDataKey("bench", 1, wrappedKek, binding).Dispose());
            var writeKeysCached = Median(rounds, KeyIterations, () => cached.NewDataKey("bench", 1, wrappedKek, binding).Dispose());

            var putUncached = await PutMicrosecondsAsync(Path.Combine(directory, "off"), cacheEnabled: false, rounds, puts);
            var putCached = await PutMicrosecondsAsync(Path.Combine(directory, "on"), cacheEnabled: true, rounds, puts);

            output.WriteLine($"Per-request key unwrap (median of {rounds} rounds; µs per operation)");
            output.WriteLine();
            output.WriteLine("| measurement | cache off | cache on | saved |");
            output.WriteLine("| --- | ---: | ---: | ---: |");
            output.WriteLine($"| account KEK unwrap (keyring AES-GCM vs cache copy) | {unwrapKeyring:F2} | {unwrapCache:F2} | {unwrapKeyring - unwrapCache:F2} |");
            output.WriteLine($"| both shared keys for Shared Key authentication | {authUncached:F2} | {authCached:F2} | {authUncached - authCached:F2} |");
            output.WriteLine($"| key work of one write (KEK unwrap + data key wrap) | {writeKeysUncached:F2} | {writeKeysCached:F2} | {writeKeysUncached - writeKeysCached:F2} |");
            output.WriteLine($"| 4 KiB Put Blob in-process (SQLite + fsynced site) | {putUncached:F1} | {putCached:F1} | {putUncached - putCached:F1} |");
            output.WriteLine();
            output.WriteLine($"Cached unwrap as a share of a 4 KiB put: {100 * unwrapCache / putCached:F3}% (target < 5%)");
            output.WriteLine($"Uncached unwrap as a share of a 4 KiB put: {100 * unwrapKeyring / putUncached:F3}%");
            output.WriteLine($"All key work of a write, cached, as a share of a 4 KiB put: {100 * writeKeysCached / putCached:F3}%");
            output.WriteLine($"Every unwrap of an authenticated put (2 shared keys + KEK), cached: {100 * (authCached + unwrapCache) / putCached:F3}%; uncached: {100 * (authUncached + unwrapKeyring) / putUncached:F3}%");
            return 100 * unwrapCache / putCached < 5 ? 0 : 3;
        }
        finally
        {
            Directory.Delete(directory, recursive: true);
        }
    }

    private static double Median(int rounds, int iterations, Action operation)
    {
        for (var i = 0; i < iterations / 10; i++)
        {
            operation();
        }

        var samples = new double[rounds];
        for (var round = 0; round < rounds; round++)
        {
            var clock = Stopwatch.StartNew();
            for (var i = 0; i < iterations; i++)
            {
                operation();
            }

            samples[round] = clock.Elapsed.TotalMicroseconds / iterations;
        }

        Array.Sort(samples);
        return samples[rounds / 2];
    }

    private static async Task<double> PutMicrosecondsAsync(string directory, bool cacheEnabled, int rounds, int puts)
    {
        Directory.CreateDirectory(directory);
        using var rootKey = new RootKey(new byte[32]);
        using var keyring = Keyring.OpenOrCreate(Path.Combine(directory, "keyring"), rootKey, SystemRandomSource.Instance);
        using var cache = new UnwrappedKeyCache();
        await using var store = await SqlMetadataStore.OpenSqliteAsync(Path.Combine(directory, "metadata.db"));
        await using var site = new LocalDirectorySite("local", Path.Combine(directory, "site"));
        site.StartSpareFiles();
        var keys = new TenantKeys(keyring, SystemRandomSource.Instance, cacheEnabled ? cache : null);
        var audit = new TransparencyLog(store, new CheckpointSigner(keys.Seal), () => "bench", TimeProvider.System);
        var sites = new SiteSet(Topology.SingleLocalSite(site.RootDirectory), new Dictionary<string, ISite> { [Topology.SingleSiteId] = site }, TimeProvider.System);
        var objects = new ObjectSites(sites, store, TimeProvider.System, SystemRandomSource.Instance);
        var placement = new PlacementService(store, sites, audit, TimeProvider.System);
        var accounts = new AccountService(store, placement, keys, audit, TimeProvider.System);
        var blobs = new BlobService(store, objects, placement, keys, audit, TimeProvider.System, SystemRandomSource.Instance);
        await accounts.CreateAsync("bench");
        await blobs.CreateContainerAsync("bench", "box", []);
        var payload = new byte[4096];
        new Random(20261130).NextBytes(payload);

        async Task PutAsync()
        {
            await blobs.PutBlobAsync(
                new PutBlobRequest("bench", "box", "blob", BlobHttpHeaders.Empty, [], AccessConditions.None, TransactionalChecksums.None),
                new MemoryStream(payload, writable: false));
        }

        for (var i = 0; i < puts / 4; i++)
        {
            await PutAsync();
        }

        var samples = new double[rounds];
        for (var round = 0; round < rounds; round++)
        {
            var clock = Stopwatch.StartNew();
            for (var i = 0; i < puts; i++)
            {
                await PutAsync();
            }

            samples[round] = clock.Elapsed.TotalMicroseconds / puts;
        }

        Array.Sort(samples);
        return samples[rounds / 2];
    }
}
