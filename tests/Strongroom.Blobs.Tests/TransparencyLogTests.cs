using System.Text;
using Strongroom.Audit;
using Strongroom.Core;
using Xunit;

namespace Strongroom.Blobs.Tests;

/// <summary>The transparency log service over the real store: origins, pseudonyms, checkpoints on demand, pruning.</summary>
public sealed class TransparencyLogTests : IAsyncLifetime
{
    private const string Account = BlobServiceFixture.Account;
    private BlobServiceFixture fixture = null!;

    private TransparencyLog Log => fixture.Audit;

    public async Task InitializeAsync() => fixture = await BlobServiceFixture.CreateAsync();

    public async Task DisposeAsync() => await fixture.DisposeAsync();

    [Fact]
    public void Origins_name_the_deployment_and_the_log_and_map_back()
    {
        Assert.Equal("strongroom/0123456789abcdef/tenanta", Log.Origin(Account));
        Assert.Equal("strongroom/0123456789abcdef/platform", Log.Origin(AuditLogs.Platform));
        Assert.Equal(Account, Log.LogOf("strongroom/0123456789abcdef/tenanta"));
        Assert.Equal(AuditLogs.Platform, Log.LogOf("strongroom/0123456789abcdef/platform"));
        Assert.Null(Log.LogOf("strongroom/fedcba9876543210/tenanta"));
        Assert.Null(Log.LogOf("strongroom/0123456789abcdef/Not An Account"));
        Assert.Null(Log.LogOf("strongroom/0123456789abcdef/"));
        Assert.Null(Log.LogOf("elsewhere/0123456789abcdef/tenanta"));
        Assert.Throws<InvariantViolationException>(() => Log.Origin(TransparencyLog.PlatformOriginName));
    }

    [Theory]
    [InlineData(DataPlaneLogging.None, BlobOperation.PutBlob, false)]
    [InlineData(DataPlaneLogging.None, BlobOperation.GetBlob, false)]
    [InlineData(DataPlaneLogging.None, BlobOperation.DeleteBlob, true)]
    [InlineData(DataPlaneLogging.None, BlobOperation.DeleteContainer, true)]
    [InlineData(DataPlaneLogging.Writes, BlobOperation.PutBlob, true)]
    [InlineData(DataPlaneLogging.Writes, BlobOperation.SetBlobMetadata, true)]
    [InlineData(DataPlaneLogging.Writes, BlobOperation.SetBlobTags, true)]
    [InlineData(DataPlaneLogging.Writes, BlobOperation.GetBlob, false)]
    [InlineData(DataPlaneLogging.Writes, BlobOperation.ListContainers, false)]
    [InlineData(DataPlaneLogging.All, BlobOperation.GetBlob, true)]
    [InlineData(DataPlaneLogging.All, BlobOperation.GetContainerMetadata, true)]
    [InlineData(DataPlaneLogging.All, BlobOperation.CreateContainer, true)]
    public void What_each_setting_records(DataPlaneLogging setting, BlobOperation operation, bool recorded) =>
        Assert.Equal(recorded, TransparencyLog.RecordsDataPlane(setting, operation));

    [Fact]
    public void Pseudonyms_are_stable_keyed_and_reveal_nothing()
    {
        var token = Encoding.UTF8.GetBytes("eyJhbGciOiJIUzI1NiJ9.secret-token");
        var first = Log.Pseudonym("token", token);
        Assert.Equal(first, Log.Pseudonym("token", token));
        Assert.Matches("^[0-9a-f]{32}$", first);
        Assert.NotEqual(first, Log.Pseudonym("sas", token));
        Assert.NotEqual(first, Log.Pseudonym("token", Encoding.UTF8.GetBytes("eyJhbGciOiJIUzI1NiJ9.other-token")));

        // Keyed: not a plain hash anyone could compute from a guessed token.
        var plain = Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(token))[..32];
        Assert.NotEqual(plain, first);
    }

    [Fact]
    public async Task A_checkpoint_is_signed_on_demand_only_when_the_tree_grew()
    {
        var first = await Log.GetCheckpointAsync(Account);
        var head = await Log.GetTreeHeadAsync(Account);
        Assert.Equal(head.Size, first.Size);
        Assert.Equal(head.RootHash, first.RootHash);
        Assert.True(SignedNote.Parse(first.Note).VerifiedBy(Log.VerifierKey(Account)));
        Assert.Equal(new Checkpoint(Log.Origin(Account), head.Size, head.RootHash).ToText(), SignedNote.Parse(first.Note).Text);

        fixture.Time.Advance(TimeSpan.FromMinutes(1));
        var again = await Log.GetCheckpointAsync(Account);
        Assert.Equal(first.Note, again.Note);
        Assert.Equal(first.SignedOn, again.SignedOn);

        await fixture.Blobs.CreateContainerAsync(Account, "grows", []);
        var grown = await Log.GetCheckpointAsync(Account);
        Assert.Equal(first.Size + 1, grown.Size);
        Assert.Equal(grown.Note, (await fixture.Store.GetLatestAuditCheckpointAsync(Account))!.Note);
    }

    [Fact]
    public async Task Concurrent_callers_get_one_checkpoint_per_size()
    {
        var checkpoints = await Task.WhenAll(Enumerable.Range(0, 8).Select(_ => Task.Run(() => Log.GetCheckpointAsync(Account))));
        Assert.Single(checkpoints.Select(checkpoint => checkpoint.Note).Distinct());
    }

    [Fact]
    public async Task A_log_never_written_has_a_checkpoint_of_size_0()
    {
        var empty = await Log.GetCheckpointAsync("neverwritten");
        Assert.Equal(0, empty.Size);
        Assert.Equal(MerkleTree.EmptyRoot(), empty.RootHash);
    }

    [Fact]
    public async Task Publishing_signs_each_log_that_grew_once()
    {
        var signed = await Log.PublishCheckpointsAsync();
        Assert.Equal((await fixture.Store.ListAuditLogsAsync()).Count, signed);
        Assert.Equal(0, await Log.PublishCheckpointsAsync());

        await fixture.Blobs.CreateContainerAsync(Account, "grows", []);
        Assert.Equal(1, await Log.PublishCheckpointsAsync());
        Assert.Equal((await Log.GetTreeHeadAsync(Account)).Size, (await fixture.Store.GetLatestAuditCheckpointAsync(Account))!.Size);
    }

    [Fact]
    public async Task Pruning_follows_each_accounts_retention_and_keeps_the_tree()
    {
        const string Other = BlobServiceFixture.OtherAccount;
        await Log.SetSettingsAsync(Other, DataPlaneLogging.Writes, 365);
        var rootBefore = (await Log.GetTreeHeadAsync(Account)).RootHash;
        Assert.Equal(0, await Log.PruneAsync());

        fixture.Time.Advance(TimeSpan.FromDays(Limits.AuditRetentionDaysDefault) + TimeSpan.FromSeconds(1));
        await fixture.Blobs.CreateContainerAsync(Account, "recent", []);
        var pruned = await Log.PruneAsync();

        // tenanta and the platform log (the default, 183 days) lose their old bodies; tenantb (365 days) keeps them.
        var accountEntries = await Log.StoredEntriesAsync(Account);
        Assert.All(accountEntries.SkipLast(1), entry => Assert.Null(entry.Body));
        Assert.NotNull(accountEntries[^1].Body);
        Assert.All(await Log.StoredEntriesAsync(AuditLogs.Platform), entry => Assert.Null(entry.Body));
        Assert.All(await Log.StoredEntriesAsync(Other), entry => Assert.NotNull(entry.Body));
        Assert.Equal(accountEntries.Count - 1 + (await Log.StoredEntriesAsync(AuditLogs.Platform)).Count, pruned);
        Assert.Equal(accountEntries.Count - 1, await Log.GetRetainedFromAsync(Account));

        // Hashes stay: the root of the old size is unchanged and proofs still verify.
        Assert.Equal(rootBefore, await fixture.Store.GetAuditRootAsync(Account, accountEntries.Count - 1));
        var head = await Log.GetTreeHeadAsync(Account);
        var proof = await Log.GetInclusionProofAsync(Account, 0, head.Size);
        Assert.True(MerkleTree.VerifyInclusion(0, head.Size, accountEntries[0].LeafHash, proof, head.RootHash));
    }
}
