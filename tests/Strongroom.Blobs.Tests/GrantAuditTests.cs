using Strongroom.Audit;
using Strongroom.Core;
using Xunit;

namespace Strongroom.Blobs.Tests;

/// <summary>
/// Issue 6, item 4: every read made under a lockbox grant goes into the tenant's transparency log
/// with the justification, whatever the account's data-plane setting; so does every failure.
/// </summary>
public sealed class GrantAuditTests : IAsyncLifetime
{
    private const string Account = BlobServiceFixture.Account;
    private const string Justification = "ticket 42: customer reports a corrupt export";
    private static readonly Actor Operator = new(ActorKind.Operator, "alice", "lbx-7");

    private BlobServiceFixture fixture = null!;

    private TransparencyLog Log => fixture.Audit;

    public async Task InitializeAsync()
    {
        fixture = await BlobServiceFixture.CreateAsync();
        await fixture.Blobs.CreateContainerAsync(Account, "box", []);
        await fixture.PutAsync("box", "b", BlobServiceFixture.Pattern(100, 1));
    }

    public async Task DisposeAsync() => await fixture.DisposeAsync();

    /// <summary>What <paramref name="action"/> appended to the account's log, run in a context whose actor <paramref name="actor"/> is set as the protocol layer sets it.</summary>
    private async Task<IReadOnlyList<AuditEntry>> RecordedDuring(Func<Task> action, Actor actor, string? justification)
    {
        var before = await Log.SizeAsync(Account);
        using (OperationContext.Begin(new OperationContext(Actor.Anonymous, "request-9", "192.0.2.9")))
        {
            OperationContext.SetActor(actor, justification);
            await action();
        }

        return await Log.EntriesAsync(Account, before);
    }

    public static TheoryData<string> Reads() =>
    [
        nameof(BlobOperation.GetBlob),
        nameof(BlobOperation.GetBlobProperties),
        nameof(BlobOperation.GetBlobMetadata),
        nameof(BlobOperation.GetBlockList),
        nameof(BlobOperation.ListBlobs),
        nameof(BlobOperation.GetContainerProperties),
        nameof(BlobOperation.GetContainerMetadata),
    ];

    private async Task ReadAsync(string operation)
    {
        switch (operation)
        {
            case nameof(BlobOperation.GetBlob):
                Assert.Equal(BlobServiceFixture.Pattern(100, 1), await fixture.ReadAllAsync("box", "b"));
                break;
            case nameof(BlobOperation.GetBlobProperties) or nameof(BlobOperation.GetBlobMetadata):
                await fixture.Blobs.GetBlobPropertiesAsync(Account, "box", "b", AccessConditions.None, null, Enum.Parse<BlobOperation>(operation));
                break;
            case nameof(BlobOperation.GetBlockList):
                await fixture.Blobs.GetBlockListAsync(Account, "box", "b", BlockListType.All);
                break;
            case nameof(BlobOperation.ListBlobs):
                await fixture.Blobs.ListBlobsAsync(Account, "box", null, null, null, 0);
                break;
            case nameof(BlobOperation.GetContainerProperties) or nameof(BlobOperation.GetContainerMetadata):
                await fixture.Blobs.GetContainerAsync(Account, "box", Enum.Parse<BlobOperation>(operation));
                break;
            default:
                throw new ArgumentOutOfRangeException(nameof(operation));
        }
    }

    [Theory]
    [MemberData(nameof(Reads))]
    public async Task Under_a_grant_each_read_is_recorded_with_the_justification_even_when_the_account_logs_nothing(string operation)
    {
        await Log.SetSettingsAsync(Account, DataPlaneLogging.None, Limits.AuditRetentionDaysDefault);
        var entry = Assert.Single(await RecordedDuring(() => ReadAsync(operation), Operator, Justification));

        Assert.Equal(operation, entry.Action);
        Assert.Equal(Operator, entry.Actor);
        Assert.Equal(Justification, entry.Justification);
        Assert.Equal("request-9", entry.RequestId);
        Assert.Equal(AuditOutcomes.Success, entry.Outcome);
    }

    [Theory]
    [MemberData(nameof(Reads))]
    public async Task The_same_reads_without_a_grant_follow_the_accounts_setting(string operation)
    {
        // The default setting records writes only; an operator actor without a grant is not a grant.
        Assert.Empty(await RecordedDuring(() => ReadAsync(operation), new Actor(ActorKind.SharedKey, "key1"), null));
        Assert.Empty(await RecordedDuring(() => ReadAsync(operation), new Actor(ActorKind.Operator, "alice"), null));
    }

    [Fact]
    public async Task A_failure_under_a_grant_is_recorded_whatever_the_setting()
    {
        await Log.SetSettingsAsync(Account, DataPlaneLogging.None, Limits.AuditRetentionDaysDefault);
        var recorded = await RecordedDuring(
            () => fixture.Blobs.RecordFailureAsync(Account, BlobOperation.GetBlob, "other", "x", "AuthorizationPermissionMismatch"),
            Operator,
            Justification);

        var entry = Assert.Single(recorded);
        Assert.Equal(nameof(BlobOperation.GetBlob), entry.Action);
        Assert.Equal("/tenanta/other/x", entry.Resource);
        Assert.Equal("AuthorizationPermissionMismatch", entry.Outcome);
        Assert.Equal(Operator, entry.Actor);
        Assert.Equal(Justification, entry.Justification);

        // Without a grant the same failure is outside the account's setting.
        Assert.Empty(await RecordedDuring(
            () => fixture.Blobs.RecordFailureAsync(Account, BlobOperation.GetBlob, "other", "x", "ContainerNotFound"),
            new Actor(ActorKind.SharedKey, "key1"),
            null));
    }

    [Fact]
    public async Task An_entry_given_its_own_justification_keeps_it_over_the_contexts()
    {
        using (OperationContext.Begin(new OperationContext(Operator, Justification: Justification)))
        {
            var own = AuditEntry.Decode(Log.Entry(Account, "Lockbox.Approve", "/tenanta", justification: "the request's own").Entry);
            Assert.Equal("the request's own", own.Justification);
            var inherited = AuditEntry.Decode(Log.Entry(Account, nameof(BlobOperation.GetBlob), "/tenanta/box/b").Entry);
            Assert.Equal(Justification, inherited.Justification);
        }

        Assert.Null(AuditEntry.Decode(Log.Entry(Account, nameof(BlobOperation.GetBlob), "/tenanta/box/b").Entry).Justification);
    }
}
