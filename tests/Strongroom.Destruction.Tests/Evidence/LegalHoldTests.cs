using Azure.Storage.Blobs.Models;
using Strongroom.Core;

namespace Strongroom.Destruction.Tests.Evidence;

/// <summary>A legal hold blocks purge and account destruction; lifting it lets the next sweep proceed.</summary>
public sealed class LegalHoldTests
{
    private const string Account = "held";

    [Fact]
    public async Task A_container_legal_hold_keeps_soft_deleted_data_past_retention_until_it_is_lifted()
    {
        await using var server = await EvidenceServer.StartAsync();
        var service = await server.CreateAccountAsync(Account);
        await SdkFlowTests.EnableBlobSoftDeleteAsync(service, days: 1);
        var container = service.GetBlobContainerClient("box");
        await container.CreateAsync();
        var payload = Payloads.Random(71);
        await container.GetBlobClient("doc").UploadAsync(BinaryData.FromBytes(payload));
        var before = server.ReadKeys();
        var objects = before.ObjectsOf(Account, "box", "doc");
        await container.GetBlobClient("doc").DeleteAsync();
        await Lanes.SetContainerLegalHoldAsync(server, Account, "box", "case4711");

        server.Advance(TimeSpan.FromDays(30));
        await Lanes.SweepOnceAsync(server);
        Assert.Single(await SdkFlowTests.ListAsync(container, BlobStates.Deleted), item => item.Deleted);
        var wrapped = before.DataKeyNeedles(objects).Where(needle => needle.Label.StartsWith("wrapped", StringComparison.Ordinal)).ToList();
        var found = DataDirectoryScan.Scan(server.DataPath, wrapped).Select(finding => finding.Label).ToHashSet(StringComparer.Ordinal);
        Assert.All(wrapped, needle => Assert.Contains(needle.Label, found));
        Assert.Contains(await RawCopyAttack.RunAsync(server.DataPath, server.ReadKeys(before.Contexts), before.Contexts), hit => objects.Contains(hit.ObjectId));

        // Undelete works under a hold (it deletes nothing); deleting again does not.
        await container.GetBlobClient("doc").UndeleteAsync();
        var refused = await Assert.ThrowsAsync<Azure.RequestFailedException>(() => container.GetBlobClient("doc").DeleteAsync());
        Assert.Equal("BlobImmutableDueToLegalHold", refused.ErrorCode);

        await Lanes.SetContainerLegalHoldAsync(server, Account, "box", null);
        await container.GetBlobClient("doc").DeleteAsync();
        server.Advance(TimeSpan.FromDays(1) + TimeSpan.FromSeconds(1));
        await Lanes.SweepOnceAsync(server);
        Assert.DoesNotContain(await SdkFlowTests.ListAsync(container, BlobStates.Deleted), item => item.Deleted);
        await Proof.PurgedAsync(server, before, objects, Payloads.Needles("doc", payload), "after the hold was lifted");
    }

    [Fact]
    public async Task A_legal_hold_blocks_the_destruction_of_a_closed_account_until_it_is_lifted()
    {
        await using var server = await EvidenceServer.StartAsync();
        var (_, plaintext) = await ClosureTests.FillAsync(server, Account, seed: 500);
        await Lanes.SetContainerLegalHoldAsync(server, Account, "box", "case4712");
        var before = server.ReadKeys();

        await Lanes.CloseAccountAsync(server, Account);
        server.Advance(Lanes.ClosureGrace + TimeSpan.FromDays(1));
        await Lanes.SweepOnceAsync(server);
        Assert.Empty(await Lanes.DestructionsAsync(server, Account));
        Assert.Contains(KeyMaterial.Read(server.DatabasePath).Keks, kek => kek.Account == Account);

        await Lanes.SetContainerLegalHoldAsync(server, Account, "box", null);
        await Lanes.SweepOnceAsync(server);
        Assert.Equal(DestructionState.Complete, Assert.Single(await Lanes.DestructionsAsync(server, Account)).State);
        await Proof.AccountDestroyedAsync(server, before, Account, plaintext, "after the hold was lifted");
    }
}
