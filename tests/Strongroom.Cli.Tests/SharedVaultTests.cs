using Microsoft.Extensions.Time.Testing;
using Strongroom.Core;
using Strongroom.Crypto;
using Strongroom.Server;
using Strongroom.Storage;
using Strongroom.TestSupport;
using Strongroom.Vault;

namespace Strongroom.Cli.Tests;

/// <summary>
/// One vault for many servers (issue 9): the seal and keyring in the shared metadata database
/// (<see cref="StoreVaultFiles"/>). Each "server" is a <see cref="SealState"/> over its own
/// <see cref="SqlMetadataStore"/> instance on ONE database: a SQLite file, or, when
/// STRONGROOM_TEST_POSTGRES is set, one PostgreSQL schema.
/// </summary>
public sealed class SharedVaultTests : IAsyncLifetime
{
    private static readonly byte[] AssociatedData = "shared vault test"u8.ToArray();
    private readonly string directory = Path.Combine(Path.GetTempPath(), "strongroom-shared-vault", Path.GetRandomFileName());
    private readonly List<SqlMetadataStore> stores = [];
    private readonly List<SealState> states = [];
    private readonly FakeTimeProvider time = new(new DateTimeOffset(2026, 11, 30, 12, 0, 0, TimeSpan.Zero));
    private string? postgres;

    public Task InitializeAsync()
    {
        Directory.CreateDirectory(directory);
        return Task.CompletedTask;
    }

    public async Task DisposeAsync()
    {
        foreach (var state in states)
        {
            state.Dispose();
        }

        foreach (var store in stores)
        {
            await store.DisposeAsync();
        }

        if (postgres is not null && TestMetadata.PostgresOrSkip() is { } server)
        {
            await TestMetadata.DropSchemaAsync(server, TestMetadata.SchemaName(DatabasePath));
        }

        Directory.Delete(directory, recursive: true);
    }

    public static TheoryData<string> Backends => ["sqlite", "postgres"];

    private string DatabasePath => Path.Combine(directory, "shared.db");

    [Theory]
    [MemberData(nameof(Backends))]
    public async Task Init_on_one_server_and_the_other_unseals_with_the_same_shares(string backend)
    {
        if (!await UseAsync(backend))
        {
            return;
        }

        var a = await ServerAsync();
        var b = await ServerAsync();
        var initialization = VaultSetup.Initialize(a.Files, shares: 3, threshold: 2, new SeededRandomSource(1));
        var texts = initialization.Shares.Select(share => share.ToText()).ToArray();

        Assert.Equal(1, b.State.Submit(UnsealShare.Parse(texts[2])).Status.Progress);
        Assert.False(b.State.Submit(UnsealShare.Parse(texts[0])).Status.Sealed);
        Unseal(a.State, texts[1], texts[2]);
        Assert.Equal(initialization.DeploymentId, b.State.Status.DeploymentId);

        // The same root key and keyring: what one wraps the other unwraps.
        var wrapped = Wrap(a.State, "secret"u8);
        Assert.Equal("secret"u8.ToArray(), Unwrap(b.State, wrapped));

        // The store holds exactly the files' formats: the seal and the keyring, nothing in plaintext.
        var seal = a.Files.Read(VaultFileNames.Seal)!;
        Assert.Equal(1, seal.Generation);
        Assert.Equal("SRSL"u8.ToArray(), seal.Content[..4]);
        Assert.Equal("SRKR"u8.ToArray(), a.Files.Read(VaultFileNames.Keyring)!.Content[..4]);
        Assert.Null(a.Files.Read(VaultFileNames.DevelopmentShare));

        // A second init, from either server, is refused and changes nothing.
        var again = Assert.Throws<SealException>(() => VaultSetup.Initialize(b.Files, 3, 2, new SeededRandomSource(2)));
        Assert.Equal(SealRejection.InvalidState, again.Rejection);
        Assert.Equal(seal.Content, b.Files.Read(VaultFileNames.Seal)!.Content);
    }

    [Theory]
    [MemberData(nameof(Backends))]
    public async Task After_a_rotation_returns_on_one_server_the_other_wraps_with_the_new_version_and_unwraps_its_wraps(string backend)
    {
        if (!await UseAsync(backend))
        {
            return;
        }

        var a = await ServerAsync();
        var b = await ServerAsync();
        var texts = VaultSetup.Initialize(a.Files, 2, 2, new SeededRandomSource(3)).Shares.Select(share => share.ToText()).ToArray();
        Unseal(a.State, texts);
        Unseal(b.State, texts);
        var before = Wrap(b.State, "old"u8);
        Assert.Equal(1u, KeyWrap.WrappingKeyVersion(before));

        var rotated = Rotate(a.State);

        Assert.Equal(2u, rotated);
        var onB = Wrap(b.State, "new on b"u8);
        Assert.Equal(2u, KeyWrap.WrappingKeyVersion(onB));
        Assert.Equal(2u, CurrentVersion(b.State));
        Assert.Equal("new on b"u8.ToArray(), Unwrap(a.State, onB));
        Assert.Equal("new on a"u8.ToArray(), Unwrap(b.State, Wrap(a.State, "new on a"u8)));
        Assert.Equal("old"u8.ToArray(), Unwrap(a.State, before));

        // And the other way round: B rotates, A's next wrap uses B's version.
        Assert.Equal(3u, Rotate(b.State));
        Assert.Equal(3u, KeyWrap.WrappingKeyVersion(Wrap(a.State, "x"u8)));
        Assert.Equal(3, a.Files.Read(VaultFileNames.Keyring)!.Generation);
    }

    [Theory]
    [MemberData(nameof(Backends))]
    public async Task Rotations_on_both_servers_at_once_lose_no_version(string backend)
    {
        if (!await UseAsync(backend))
        {
            return;
        }

        var a = await ServerAsync();
        var b = await ServerAsync();
        var texts = VaultSetup.Initialize(a.Files, 1, 1, new SeededRandomSource(4)).Shares.Select(share => share.ToText()).ToArray();
        Unseal(a.State, texts);
        Unseal(b.State, texts);

        const int RotationsEach = 5;
        using var start = new Barrier(2);
        var rotations = await Task.WhenAll(
            Task.Run(() => RotateMany(a.State)),
            Task.Run(() => RotateMany(b.State)));

        var all = rotations.SelectMany(versions => versions).Order().ToArray();
        Assert.Equal(Enumerable.Range(2, 2 * RotationsEach).Select(version => (uint)version), all);
        ReloadKeyring(a.State);
        ReloadKeyring(b.State);
        Assert.Equal(Enumerable.Range(1, (2 * RotationsEach) + 1).Select(version => (uint)version), Versions(a.State));
        Assert.Equal(Enumerable.Range(1, (2 * RotationsEach) + 1).Select(version => (uint)version), Versions(b.State));

        uint[] RotateMany(SealState state)
        {
            start.SignalAndWait();
            return [.. Enumerable.Range(0, RotationsEach).Select(_ => Rotate(state))];
        }
    }

    [Theory]
    [MemberData(nameof(Backends))]
    public async Task After_a_rekey_on_one_server_the_other_needs_the_new_shares(string backend)
    {
        if (!await UseAsync(backend))
        {
            return;
        }

        var a = await ServerAsync();
        var b = await ServerAsync();
        var old = VaultSetup.Initialize(a.Files, 3, 2, new SeededRandomSource(5)).Shares.Select(share => share.ToText()).ToArray();
        Unseal(a.State, old[0], old[1]);
        var wrapped = Wrap(a.State, "kept"u8);

        // B has one old share in progress when A rekeys.
        Assert.Equal(1, b.State.Submit(UnsealShare.Parse(old[2])).Status.Progress);
        var issued = VaultSetup.Rekey(a.Files, [UnsealShare.Parse(old[0]), UnsealShare.Parse(old[1])], shares: 2, threshold: 2, new SeededRandomSource(6));
        var fresh = issued.Select(share => share.ToText()).ToArray();
        Assert.Equal(2, a.Files.Read(VaultFileNames.Seal)!.Generation);

        // B's next unseal attempt sees the new seal: the old share in progress is forgotten and old shares are refused.
        var refused = Assert.Throws<SealException>(() => b.State.Submit(UnsealShare.Parse(old[0])));
        Assert.Equal(SealRejection.OtherGeneration, refused.Rejection);
        Assert.Equal(0, b.State.Status.Progress);
        Assert.Equal(2u, b.State.Status.Generation);
        Unseal(b.State, fresh);
        Assert.Equal("kept"u8.ToArray(), Unwrap(b.State, wrapped));

        // A stays unsealed (the root key did not change); once sealed, it too needs the new shares.
        Assert.False(a.State.IsSealed);
        a.State.Seal();
        Assert.Equal(SealRejection.OtherGeneration, Assert.Throws<SealException>(() => a.State.Submit(UnsealShare.Parse(old[2]))).Rejection);
        Unseal(a.State, fresh);

        // A rekey with shares of a replaced generation is refused and changes nothing.
        var stale = Assert.Throws<SealException>(() => VaultSetup.Rekey(b.Files, [UnsealShare.Parse(old[0]), UnsealShare.Parse(old[1])], 2, 2, new SeededRandomSource(7)));
        Assert.Equal(SealRejection.OtherGeneration, stale.Rejection);
        Assert.Equal(2, b.Files.Read(VaultFileNames.Seal)!.Generation);
    }

    [Theory]
    [MemberData(nameof(Backends))]
    public async Task Development_servers_starting_at_once_on_an_empty_database_create_one_seal_and_all_unseal_with_it(string backend)
    {
        if (!await UseAsync(backend))
        {
            return;
        }

        const int Servers = 4;
        var servers = new List<(IVaultFiles Files, SealState State)>();
        for (var i = 0; i < Servers; i++)
        {
            servers.Add(await ServerAsync());
        }

        using var start = new Barrier(Servers);
        var created = await Task.WhenAll(servers.Select((server, i) => Task.Run(() =>
        {
            start.SignalAndWait();
            return VaultSetup.InitializeDevelopment(server.Files, new SeededRandomSource(100 + i));
        })));

        Assert.Single(created, won => won);
        foreach (var (files, state) in servers)
        {
            Assert.True(VaultSetup.IsDevelopment(files));
            Assert.True(VaultSetup.TryUnsealDevelopment(files, state));
        }

        Assert.Single(servers.Select(server => server.State.Status.DeploymentId).Distinct());
        var wrapped = Wrap(servers[0].State, "one vault"u8);
        Assert.All(servers, server => Assert.Equal("one vault"u8.ToArray(), Unwrap(server.State, wrapped)));

        // A later server finds the development vault and creates nothing.
        var later = await ServerAsync();
        Assert.False(VaultSetup.InitializeDevelopment(later.Files, new SeededRandomSource(200)));
        Assert.True(VaultSetup.TryUnsealDevelopment(later.Files, later.State));
        Assert.Equal(1, later.Files.Read(VaultFileNames.Seal)!.Generation);

        // Its only share is stored with it, so it cannot be rekeyed into a production vault.
        Assert.Throws<SealException>(() => VaultSetup.Rekey(later.Files, [], 1, 1, new SeededRandomSource(201)));
    }

    [Theory]
    [MemberData(nameof(Backends))]
    public async Task Creating_vault_files_is_all_or_nothing_and_an_update_that_throws_writes_nothing(string backend)
    {
        if (!await UseAsync(backend))
        {
            return;
        }

        var (files, _) = await ServerAsync();
        Assert.True(files.Create([new("one", [1]), new("two", [2])]));
        Assert.False(files.Create([new("three", [3]), new("two", [22])]));
        Assert.Null(files.Read("three"));
        Assert.Equal([2], files.Read("two")!.Content);

        Assert.Throws<InvalidOperationException>(() => files.Update("two", _ => throw new InvalidOperationException("refused")));
        Assert.Equal([2], files.Read("two")!.Content);
        Assert.Equal(1, files.ReadGeneration("two"));
        Assert.Equal(2, files.Update("two", current => [.. current!, 9]));
        Assert.Equal([2, 9], files.Read("two")!.Content);
        Assert.Equal(2, files.ReadGeneration("two"));

        files.Delete(["one", "two", "absent"]);
        Assert.Null(files.ReadGeneration("one"));
        Assert.Null(files.Read("two"));
    }

    [Fact]
    public async Task Deployments_with_data_directories_of_their_own_on_one_postgres_database_share_one_vault()
    {
        if (!await UseAsync("postgres"))
        {
            return;
        }

        var directoryA = new DataDirectory(Path.Combine(directory, "a")) { MetadataConnectionString = postgres };
        var directoryB = new DataDirectory(Path.Combine(directory, "b")) { MetadataConnectionString = postgres };
        using var host = OperationContext.Begin(new OperationContext(new Actor(ActorKind.Host, "shared-vault-test")));
        var initialization = await VaultSetup.InitializeAsync(directoryA, shares: 3, threshold: 2, new SeededRandomSource(8), time);
        var old = initialization.Shares.Select(share => share.ToText()).ToArray();

        await using var a = await Deployment.OpenAsync(directoryA, time, new SeededRandomSource(9));

        // A server joining the deployment is given its topology (it may not write one of its own).
        directoryB.Create();
        File.Copy(directoryA.TopologyPath, directoryB.TopologyPath);
        await using var b = await Deployment.OpenAsync(directoryB, time, new SeededRandomSource(10));
        foreach (var data in new[] { directoryA, directoryB })
        {
            // Nothing of the vault, and no metadata, in either server's own directory.
            Assert.False(File.Exists(data.SealPath));
            Assert.False(File.Exists(data.KeyringPath));
            Assert.False(File.Exists(data.DevelopmentSharePath));
            Assert.False(File.Exists(data.MetadataDatabasePath));
        }

        Assert.True(a.VaultFiles.IsShared);
        Assert.Equal(initialization.DeploymentId, b.Vault.Status.DeploymentId);
        // Only A records (rotation and rekey) in the platform log, so this test does not depend on
        // appends to one log from several store instances (lane crossproc).
        Unseal(a.Vault, old[0], old[2]);
        Unseal(b.Vault, old[1], old[2]);

        Assert.Equal(2u, await a.RotateKeyringAsync());
        Assert.Equal(2u, KeyWrap.WrappingKeyVersion(Wrap(b.Vault, "after rotation"u8)));
        Assert.Equal([1u, 2u], b.KeyringVersions);

        var issued = await a.RekeyAsync([UnsealShare.Parse(old[0]), UnsealShare.Parse(old[1])], shares: 2, threshold: 2, new SeededRandomSource(11));
        b.Vault.Seal();
        var refused = Assert.Throws<SealException>(() => b.Vault.Submit(UnsealShare.Parse(old[0])));
        Assert.Equal(SealRejection.OtherGeneration, refused.Rejection);
        Unseal(b.Vault, [.. issued.Select(share => share.ToText())]);
        Assert.Equal(2u, b.Vault.Status.Generation);

        // A second init against the same database is refused (its seal is there).
        await Assert.ThrowsAsync<SealException>(() => VaultSetup.InitializeAsync(directoryB, 1, 1, new SeededRandomSource(12), time));
    }

    private async Task<bool> UseAsync(string backend)
    {
        if (backend == "postgres")
        {
            if (TestMetadata.PostgresOrSkip() is null)
            {
                return false;
            }

            postgres = await TestMetadata.CreateSchemaAsync(TestMetadata.SchemaName(DatabasePath));
        }

        return true;
    }

    /// <summary>One more "server": a store instance of its own on the shared database, and a seal state over it.</summary>
    private async Task<(IVaultFiles Files, SealState State)> ServerAsync()
    {
        var store = postgres is null ? await SqlMetadataStore.OpenSqliteAsync(DatabasePath) : await SqlMetadataStore.OpenPostgresAsync(postgres);
        stores.Add(store);
        var files = new StoreVaultFiles(store, store.Description, time);
        var state = new SealState(files, new SeededRandomSource(1000 + states.Count));
        states.Add(state);
        return (files, state);
    }

    private static void Unseal(SealState state, params string[] shares)
    {
        foreach (var share in shares)
        {
            state.Submit(UnsealShare.Parse(share));
        }

        Assert.False(state.IsSealed);
    }

    private static byte[] Wrap(SealState state, ReadOnlySpan<byte> secret)
    {
        using var lease = state.AcquireKeyring();
        return lease.Keyring.Wrap(secret, AssociatedData);
    }

    private static byte[] Unwrap(SealState state, byte[] wrapped)
    {
        using var lease = state.AcquireKeyring();
        return lease.Keyring.Unwrap(wrapped, AssociatedData);
    }

    private static uint CurrentVersion(SealState state)
    {
        using var lease = state.AcquireKeyring();
        return lease.Keyring.CurrentVersion;
    }

    private static IReadOnlyList<uint> Versions(SealState state)
    {
        using var lease = state.AcquireKeyring();
        return lease.Keyring.Versions;
    }

    private static uint Rotate(SealState state)
    {
        uint version = 0;
        state.UpdateKeyring((keyring, rootKey, _) =>
        {
            version = keyring.Rotate(rootKey);
            return keyring;
        });
        return version;
    }

    private static void ReloadKeyring(SealState state) =>
        state.UpdateKeyring((keyring, rootKey, _) =>
        {
            keyring.Reload(rootKey);
            return keyring;
        });
}
