using System.Reflection;
using Microsoft.Extensions.Time.Testing;
using Strongroom.Core;
using Strongroom.Storage;
using Strongroom.Vault;

namespace Strongroom.Audit.Tests;

/// <summary>
/// Issue 9: two servers of one deployment signing a checkpoint of the same log at the same size,
/// simulated by two transparency logs over two stores on one SQLite file (their per-log gates are
/// not each other's). The second signer must neither fail nor answer with a checkpoint the store
/// does not hold.
/// </summary>
public sealed class CheckpointCrossProcessTests : IAsyncLifetime
{
    private const string Log = "acme";
    private readonly string directory = Directory.CreateTempSubdirectory("strongroom-checkpoints-").FullName;
    private readonly RootKey rootKey = RootKey.Generate(new SeededRandomSource(1));
    private readonly FakeTimeProvider time = new(new DateTimeOffset(2026, 11, 30, 12, 0, 0, TimeSpan.Zero));
    private SqlMetadataStore first = null!;
    private SqlMetadataStore second = null!;
    private SealState seal = null!;

    public async Task InitializeAsync()
    {
        first = await SqlMetadataStore.OpenSqliteAsync(Path.Combine(directory, "metadata.db"));
        second = await SqlMetadataStore.OpenSqliteAsync(Path.Combine(directory, "metadata.db"));
        seal = SealState.Unsealed(Keyring.OpenOrCreate(Path.Combine(directory, "keyring"), rootKey, new SeededRandomSource(2)), null, new SeededRandomSource(3));
    }

    public async Task DisposeAsync()
    {
        await first.DisposeAsync();
        await second.DisposeAsync();
        seal.Dispose();
        rootKey.Dispose();
        Directory.Delete(directory, recursive: true);
    }

    private TransparencyLog Open(IAuditStore store) => new(store, new CheckpointSigner(seal), () => "0123456789abcdef", time);

    [Fact]
    public async Task A_checkpoint_another_server_stored_first_at_the_same_size_is_the_answer()
    {
        var here = Open(first);
        using (OperationContext.Begin(new OperationContext(Actor.System)))
        {
            await here.RecordAsync([here.Entry(Log, AuditActions.SetAuditSettings, "/" + Log), here.Entry(Log, AuditActions.SetAuditSettings, "/" + Log)]);
        }

        // The peer reads "no checkpoint yet"; before it signs, this server signs and stores size 2
        // (a minute earlier on the shared clock than the peer will sign).
        StoredCheckpoint? stored = null;
        var hooked = HookedAuditStore.Wrap(second, async () =>
        {
            stored = await here.GetCheckpointAsync(Log);
            time.Advance(TimeSpan.FromMinutes(1));
        });
        var peer = Open(hooked);

        var answered = await peer.GetCheckpointAsync(Log);

        Assert.NotNull(stored);
        Assert.Equal(2, answered.Size);
        Assert.Equal(stored.SignedOn, answered.SignedOn);
        Assert.Equal(stored.Note, answered.Note);
        Assert.Equal(stored.RootHash, answered.RootHash);
        var latest = await first.GetLatestAuditCheckpointAsync(Log);
        Assert.Equal(stored.SignedOn, latest!.SignedOn);
    }

    /// <summary>An audit store whose first "latest checkpoint" read runs a hook before it returns (to interleave another server deterministically).</summary>
    public class HookedAuditStore : DispatchProxy
    {
        private IAuditStore target = null!;
        private Func<Task>? beforeLatestReturns;

        public static IAuditStore Wrap(IAuditStore target, Func<Task> hook)
        {
            var proxy = Create<IAuditStore, HookedAuditStore>();
            var hooked = (HookedAuditStore)(object)proxy;
            hooked.target = target;
            hooked.beforeLatestReturns = hook;
            return proxy;
        }

        protected override object? Invoke(MethodInfo? targetMethod, object?[]? args)
        {
            var result = targetMethod!.Invoke(target, args);
            if (targetMethod.Name == nameof(IAuditStore.GetLatestAuditCheckpointAsync) && Interlocked.Exchange(ref beforeLatestReturns, null) is { } hook)
            {
                return AfterAsync((Task<StoredCheckpoint?>)result!, hook);
            }

            return result;
        }

        private static async Task<StoredCheckpoint?> AfterAsync(Task<StoredCheckpoint?> read, Func<Task> hook)
        {
            var checkpoint = await read;
            await hook();
            return checkpoint;
        }
    }
}
