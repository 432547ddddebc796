using Microsoft.Extensions.Time.Testing;
using Strongroom.TestSupport;
using Strongroom.Audit;
using Strongroom.Core;
using Strongroom.Storage;
using Strongroom.Vault;

namespace Strongroom.Destruction.Tests;

/// <summary>
/// A real SQLite store, an unsealed keyring, the transparency log on a fake clock and the
/// certificate service, with the account <see cref="Account"/> whose log holds a few entries. The
/// destruction entries are appended by the tests themselves, as helper "shredding"'s service does.
/// </summary>
public sealed class CertificateFixture : IAsyncLifetime
{
    public const string Account = "acme";
    public const string Deployment = "0123456789abcdef";

    public static readonly DateTimeOffset Start = new(2026, 11, 30, 8, 0, 0, TimeSpan.Zero);

    private readonly RootKey rootKey = RootKey.Generate(new SeededRandomSource(1));

    public string Directory { get; } = System.IO.Directory.CreateTempSubdirectory("strongroom-certificates-").FullName;

    public FakeTimeProvider Time { get; } = new(Start);

    public SqlMetadataStore Store { get; private set; } = null!;

    public SealState Seal { get; private set; } = null!;

    public TransparencyLog Audit { get; private set; } = null!;

    public CertificateService Certificates { get; private set; } = null!;

    public NoteVerifierKey Key => Audit.VerifierKey(Account);

    public async Task InitializeAsync()
    {
        Store = await TestMetadata.OpenAsync(Path.Combine(Directory, "metadata.db"));
        Seal = SealState.Unsealed(Keyring.OpenOrCreate(Path.Combine(Directory, "keyring"), rootKey, new SeededRandomSource(2)), null, new SeededRandomSource(3));
        Audit = new TransparencyLog(Store, new CheckpointSigner(Seal), () => Deployment, Time);
        Certificates = new CertificateService(Store, Audit, Time);
        await Store.CreateAccountAsync(new AccountRecord(Account, [1], [2], [3], Time.GetUtcNow(), AccountState.Enabled));
        for (var i = 0; i < 5; i++)
        {
            await AppendAsync(AuditActions.SetAuditSettings, []);
        }
    }

    public async Task DisposeAsync()
    {
        await Store.DisposeAsync();
        await TestMetadata.DropAsync(Path.Combine(Directory, "metadata.db"));
        Seal.Dispose();
        rootKey.Dispose();
        System.IO.Directory.Delete(Directory, recursive: true);
    }

    /// <summary>Appends an entry to the account's log (as system) and returns its index.</summary>
    public async Task<long> AppendAsync(string action, IReadOnlyList<KeyValuePair<string, string>> details, string? account = null)
    {
        using var operation = OperationContext.Begin(new OperationContext(Actor.System));
        var entry = Audit.Entry(account ?? Account, action, "/" + (account ?? Account), details: details);
        var indexes = await Store.AppendAuditEntriesAsync([entry]);
        Time.Advance(TimeSpan.FromSeconds(1));
        return indexes[0];
    }

    /// <summary>A container purge whose keys were destroyed now, with its key-destruction entry in the log.</summary>
    public async Task<DestructionRecord> KeysDestroyedAsync(string id = "d-0001", DestructionKind kind = DestructionKind.ContainerPurge)
    {
        var keysOn = Time.GetUtcNow();
        var index = await AppendAsync(AuditActions.DestroyKeys, [new(AuditActions.DestructionDetail, id)]);
        return new DestructionRecord(
            id,
            Account,
            kind,
            kind == DestructionKind.AccountClosure ? Account : "photos",
            DestructionState.Sweeping,
            keysOn,
            null,
            3,
            12288,
            [
                new DestroyedKey("data-key/00000000000000000000000000000002", keysOn),
                new DestroyedKey("data-key/00000000000000000000000000000001", keysOn),
                new DestroyedKey("scope-kek/acme/s1", keysOn),
                new DestroyedKey("vault-key/acme/cmk/0123", null, keysOn.AddDays(90)),
            ],
            [
                new DestructionSite("west-1", 3, SweepComplete: false, null),
                new DestructionSite("east-1", 3, SweepComplete: true, keysOn),
            ])
        {
            KeysEntryIndex = index,
        };
    }

    /// <summary>The same destruction once every site is swept, with its sweep-completion entry in the log.</summary>
    public async Task<DestructionRecord> SweptAsync(DestructionRecord destruction)
    {
        var completedOn = Time.GetUtcNow();
        var index = await AppendAsync(AuditActions.SweepComplete, [new(AuditActions.DestructionDetail, destruction.Id)]);
        return destruction with
        {
            State = DestructionState.Complete,
            SweepCompletedOn = completedOn,
            Sites = [.. destruction.Sites.Select(site => site.SweepComplete ? site : site with { SweepComplete = true, CompletedOn = completedOn })],
            SweepEntryIndex = index,
        };
    }
}
