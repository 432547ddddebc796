using Microsoft.Extensions.Time.Testing;
using Strongroom.TestSupport;
using Strongroom.Audit;
using Strongroom.Core;
using Strongroom.Storage;
using Strongroom.Vault;

namespace Strongroom.Access.Tests;

/// <summary>
/// The access services over a real SQLite store in a temporary directory, an unsealed keyring, the
/// transparency log and a fake clock, with one account (<see cref="Account"/>, container
/// <c>photos</c>) to ask about. Partial: each area adds what it needs in its own file.
/// </summary>
public sealed partial class AccessFixture : IAsyncLifetime
{
    public const string Account = "acme";
    public const string OtherAccount = "globex";

    public static readonly DateTimeOffset Start = new(2026, 11, 30, 8, 0, 0, TimeSpan.Zero);

    private readonly RootKey rootKey = RootKey.Generate(new SeededRandomSource(1));

    public string Directory { get; } = System.IO.Directory.CreateTempSubdirectory("strongroom-access-").FullName;

    public FakeTimeProvider Time { get; } = new(Start);

    public SeededRandomSource Random { get; } = new(20261130);

    public SqlMetadataStore Store { get; private set; } = null!;

    public SealState Seal { get; private set; } = null!;

    public TenantKeys Keys { get; private set; } = null!;

    public TransparencyLog Audit { get; private set; } = null!;

    public AccessOptions Options { get; set; } = new();

    public IdentityService Identities { get; private set; } = null!;

    public LockboxService Lockbox { get; private set; } = null!;

    public async Task InitializeAsync()
    {
        Store = await TestMetadata.OpenAsync(Path.Combine(Directory, "metadata.db"));
        Seal = SealState.Unsealed(Keyring.OpenOrCreate(Path.Combine(Directory, "keyring"), rootKey, new SeededRandomSource(2)), null, new SeededRandomSource(3));
        Keys = new TenantKeys(Seal, Random, null);
        Audit = new TransparencyLog(Store, new CheckpointSigner(Seal), () => "0123456789abcdef", Time);
        Identities = new IdentityService(Store, Audit, Keys, Time, Random);
        Lockbox = new LockboxService(Store, Audit, Identities, Keys, Time, Random, Options);
        foreach (var account in new[] { Account, OtherAccount })
        {
            await Store.CreateAccountAsync(new AccountRecord(account, [1], [2], [3], Time.GetUtcNow(), AccountState.Enabled));
            await Store.CreateContainerAsync(new ContainerRecord(account, "photos", "\"0x1\"", Time.GetUtcNow(), Time.GetUtcNow(), []));
        }

        await InitializeAreaAsync();
    }

    /// <summary>
    /// A crash between steps: the store is closed and opened again over the same file, and every
    /// service is built anew over it (nothing survives in memory; the keyring and clock go on).
    /// </summary>
    public async Task ReopenAsync()
    {
        await Store.DisposeAsync();
        Store = await TestMetadata.OpenAsync(Path.Combine(Directory, "metadata.db"));
        Audit = new TransparencyLog(Store, new CheckpointSigner(Seal), () => "0123456789abcdef", Time);
        Identities = new IdentityService(Store, Audit, Keys, Time, Random);
        Lockbox = new LockboxService(Store, Audit, Identities, Keys, Time, Random, Options);
        await InitializeAreaAsync();
    }

    /// <summary>What an area's partial file adds to the fixture (sites, placement...).</summary>
    private partial Task InitializeAreaAsync();

    /// <summary>The entries of <paramref name="log"/> (an account, or <see cref="AuditLogs.Platform"/>), decoded.</summary>
    public async Task<IReadOnlyList<AuditEntry>> EntriesAsync(string log)
    {
        var head = await Audit.GetTreeHeadAsync(log);
        if (head.Size == 0)
        {
            return [];
        }

        var stored = await Audit.ReadEntriesAsync(log, 0, head.Size);
        return [.. stored.Select(entry => AuditEntry.Decode(entry.Body!))];
    }

    public async Task DisposeAsync()
    {
        await Store.DisposeAsync();
        await TestMetadata.DropAsync(Path.Combine(Directory, "metadata.db"));
        Seal.Dispose();
        rootKey.Dispose();
        System.IO.Directory.Delete(Directory, recursive: true);
    }
}
