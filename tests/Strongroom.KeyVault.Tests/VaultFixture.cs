using Microsoft.Extensions.Time.Testing;
using Strongroom.TestSupport;
using Strongroom.Audit;
using Strongroom.Core;
using Strongroom.Storage;
using Strongroom.Vault;

namespace Strongroom.KeyVault.Tests;

/// <summary>A vault over a temporary SQLite store and keyring, with a fake clock.</summary>
public sealed class VaultFixture : IAsyncDisposable
{
    private readonly string directory;
    private readonly Keyring keyring;

    private VaultFixture(string directory, SqlMetadataStore store, Keyring keyring, FakeTimeProvider time)
    {
        this.directory = directory;
        Store = store;
        this.keyring = keyring;
        Time = time;
        var random = new SeededRandomSource(7);
        Keys = new TenantKeys(keyring, random);
        Audit = new TransparencyLog(store, new CheckpointSigner(Keys.Seal), () => "0123456789abcdef", time);
        Vault = new KeyVaultService(store, Keys, Audit, time, random);
        Tokens = new BearerTokens(store, Keys, time);
        CustomerKeys = new VaultCustomerManagedKeys(Vault);
    }

    public SqlMetadataStore Store { get; }

    /// <summary>The store's database file (for tests that break the transparency log underneath it).</summary>
    public string DatabasePath => Path.Combine(directory, "metadata.db");

    public FakeTimeProvider Time { get; }

    public TenantKeys Keys { get; }

    public KeyVaultService Vault { get; }

    public TransparencyLog Audit { get; }

    public BearerTokens Tokens { get; }

    public VaultCustomerManagedKeys CustomerKeys { get; }

    public static async Task<VaultFixture> CreateAsync(params string[] accounts)
    {
        var directory = Directory.CreateTempSubdirectory("strongroom-keyvault-").FullName;
        using var root = new RootKey(Enumerable.Range(0, 32).Select(i => (byte)i).ToArray());
        var keyring = Keyring.OpenOrCreate(Path.Combine(directory, "keyring"), root, new SeededRandomSource(1));
        var store = await TestMetadata.OpenAsync(Path.Combine(directory, "metadata.db"));
        var time = new FakeTimeProvider(new DateTimeOffset(2026, 1, 1, 0, 0, 0, TimeSpan.Zero));
        var fixture = new VaultFixture(directory, store, keyring, time);
        foreach (var account in accounts)
        {
            var (_, key1) = fixture.Keys.NewSharedKey(account, 1);
            var (_, key2) = fixture.Keys.NewSharedKey(account, 2);
            await store.CreateAccountAsync(new AccountRecord(account, key1, key2, fixture.Keys.NewWrappedKeyEncryptionKey(account), time.GetUtcNow(), AccountState.Enabled));
        }

        return fixture;
    }

    public async ValueTask DisposeAsync()
    {
        await Store.DisposeAsync();
        await TestMetadata.DropAsync(Path.Combine(directory, "metadata.db"));
        keyring.Dispose();
        try
        {
            Directory.Delete(directory, recursive: true);
        }
        catch (IOException)
        {
        }
    }
}
