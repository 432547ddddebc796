using Azure;
using Azure.Storage.Blobs;
using Azure.Storage.Blobs.Models;
using Strongroom.Core;

namespace Strongroom.Destruction.Tests.Evidence;

/// <summary>
/// Azure's safety nets through the Azure SDK against a real server on a fake clock, and a purge
/// at the end of retention proven by the file scan and the raw-copy attack.
/// </summary>
public sealed class SdkFlowTests
{
    private const string Account = "sdkflow";

    [Fact]
    public async Task A_soft_deleted_blob_is_listed_as_deleted_and_undeleted_readable()
    {
        await using var server = await EvidenceServer.StartAsync();
        var service = await server.CreateAccountAsync(Account);
        await EnableBlobSoftDeleteAsync(service, days: 7);
        var container = service.GetBlobContainerClient("box");
        await container.CreateAsync();
        var blob = container.GetBlobClient("doc");
        var payload = Payloads.Random(11);
        await blob.UploadAsync(BinaryData.FromBytes(payload));

        await blob.DeleteAsync();
        Assert.Equal(404, (await Assert.ThrowsAsync<RequestFailedException>(() => blob.DownloadContentAsync())).Status);
        Assert.Empty(await ListAsync(container, BlobStates.None));
        var deleted = Assert.Single(await ListAsync(container, BlobStates.Deleted));
        Assert.Equal("doc", deleted.Name);
        Assert.True(deleted.Deleted);

        server.Advance(TimeSpan.FromDays(6));
        await blob.UndeleteAsync();
        Assert.Equal(payload, (await blob.DownloadContentAsync()).Value.Content.ToArray());
        Assert.False(Assert.Single(await ListAsync(container, BlobStates.Deleted)).Deleted);
    }

    [Fact]
    public async Task Three_writes_make_three_versions_an_old_one_reads_is_promoted_by_copy_and_a_version_deletes()
    {
        await using var server = await EvidenceServer.StartAsync();
        var service = await server.CreateAccountAsync(Account);
        await server.Deployment.Store.SetDataProtectionAsync(Account, new DataProtectionSettings(Versioning: true));
        var container = service.GetBlobContainerClient("box");
        await container.CreateAsync();
        var blob = container.GetBlobClient("doc");
        var payloads = new[] { Payloads.Random(21), Payloads.Random(22), Payloads.Random(23) };
        var versions = new List<string>();
        foreach (var payload in payloads)
        {
            server.Advance(TimeSpan.FromSeconds(1));
            versions.Add((await blob.UploadAsync(BinaryData.FromBytes(payload), overwrite: true)).Value.VersionId);
        }

        Assert.Equal(3, versions.Distinct(StringComparer.Ordinal).Count());
        var listed = await ListAsync(container, BlobStates.Version);
        Assert.Equal(versions, listed.Select(item => item.VersionId));
        Assert.Equal([false, false, true], listed.Select(item => item.IsLatestVersion ?? false));

        Assert.Equal(payloads[0], (await blob.WithVersion(versions[0]).DownloadContentAsync()).Value.Content.ToArray());
        Assert.Equal(payloads[2], (await blob.DownloadContentAsync()).Value.Content.ToArray());

        // Promote the first version: a copy onto the base blob makes a fourth, current version.
        var copy = await blob.StartCopyFromUriAsync(blob.WithVersion(versions[0]).Uri);
        await copy.WaitForCompletionAsync();
        Assert.Equal(payloads[0], (await blob.DownloadContentAsync()).Value.Content.ToArray());
        Assert.Equal(4, (await ListAsync(container, BlobStates.Version)).Count);

        await blob.WithVersion(versions[1]).DeleteAsync();
        Assert.DoesNotContain(versions[1], (await ListAsync(container, BlobStates.Version)).Select(item => item.VersionId));
        Assert.Equal(404, (await Assert.ThrowsAsync<RequestFailedException>(() => blob.WithVersion(versions[1]).DownloadContentAsync())).Status);
    }

    /// <summary>A deletion that drops objects truncates the WAL before it is acknowledged (SqlMetadataStore.RunGroup).</summary>
    [Fact]
    public async Task A_deleted_version_leaves_neither_its_data_key_nor_its_plaintext_and_no_copy_of_it_decrypts()
    {
        await using var server = await EvidenceServer.StartAsync();
        var service = await server.CreateAccountAsync(Account);
        await server.Deployment.Store.SetDataProtectionAsync(Account, new DataProtectionSettings(Versioning: true));
        var container = service.GetBlobContainerClient("box");
        await container.CreateAsync();
        var blob = container.GetBlobClient("doc");
        var old = Payloads.Random(91);
        var current = Payloads.Random(92);
        var oldVersion = (await blob.UploadAsync(BinaryData.FromBytes(old))).Value.VersionId;
        server.Advance(TimeSpan.FromSeconds(1));
        await blob.UploadAsync(BinaryData.FromBytes(current), overwrite: true);
        var before = server.ReadKeys();
        var objects = before.ObjectsOf(Account, "box", "doc");
        Assert.Equal(2, objects.Count);

        await blob.WithVersion(oldVersion).DeleteAsync();
        var after = KeyMaterial.Read(server.DatabasePath);
        var gone = objects.Where(id => after.DataKeys.All(key => key.ObjectId != id)).ToHashSet(StringComparer.Ordinal);
        Assert.Single(gone);
        await Lanes.SweepOnceAsync(server);
        await Proof.PurgedAsync(server, before, gone, Payloads.Needles("the old version", old), "after Delete Blob of a version");
        Assert.Equal(current, (await blob.DownloadContentAsync()).Value.Content.ToArray());
    }

    [Fact]
    public async Task A_soft_deleted_container_is_listed_and_restored_with_its_blobs()
    {
        await using var server = await EvidenceServer.StartAsync();
        var service = await server.CreateAccountAsync(Account);
        await server.Deployment.Store.SetDataProtectionAsync(Account, new DataProtectionSettings(ContainerSoftDeleteDays: 7));
        var container = service.GetBlobContainerClient("box");
        await container.CreateAsync();
        var payload = Payloads.Random(31);
        await container.GetBlobClient("doc").UploadAsync(BinaryData.FromBytes(payload));

        await container.DeleteAsync();
        Assert.Equal(404, (await Assert.ThrowsAsync<RequestFailedException>(() => container.GetPropertiesAsync())).Status);
        var deleted = new List<BlobContainerItem>();
        await foreach (var item in service.GetBlobContainersAsync(BlobContainerTraits.None, BlobContainerStates.Deleted))
        {
            deleted.Add(item);
        }

        var item1 = Assert.Single(deleted);
        Assert.True(item1.IsDeleted);
        server.Advance(TimeSpan.FromDays(6));
        await service.UndeleteBlobContainerAsync(item1.Name, item1.VersionId);
        Assert.Equal(payload, (await container.GetBlobClient("doc").DownloadContentAsync()).Value.Content.ToArray());
    }

    [Fact]
    public async Task A_blob_under_legal_hold_cannot_be_deleted()
    {
        await using var server = await EvidenceServer.StartAsync();
        var service = await server.CreateAccountAsync(Account);
        var container = service.GetBlobContainerClient("box");
        await container.CreateAsync();
        var blob = container.GetBlobClient("doc");
        await blob.UploadAsync(BinaryData.FromBytes(Payloads.Random(41)));

        Assert.True((await blob.SetLegalHoldAsync(true)).Value.HasLegalHold);
        var refused = await Assert.ThrowsAsync<RequestFailedException>(() => blob.DeleteAsync());
        Assert.Equal(409, refused.Status);
        Assert.Equal("BlobImmutableDueToLegalHold", refused.ErrorCode);
        Assert.True((await blob.GetPropertiesAsync()).Value.HasLegalHold);

        await blob.SetLegalHoldAsync(false);
        await blob.DeleteAsync();
    }

    [Fact]
    public async Task At_the_end_of_retention_the_sweep_purges_a_soft_deleted_blob_and_nothing_of_it_remains_readable()
    {
        await using var server = await EvidenceServer.StartAsync();
        var service = await server.CreateAccountAsync(Account);
        await EnableBlobSoftDeleteAsync(service, days: 1);
        var container = service.GetBlobContainerClient("box");
        await container.CreateAsync();
        var doomed = Payloads.Random(51);
        var kept = Payloads.Random(52);
        await container.GetBlobClient("doomed").UploadAsync(BinaryData.FromBytes(doomed));
        await container.GetBlobClient("kept").UploadAsync(BinaryData.FromBytes(kept));

        var before = server.ReadKeys();
        var doomedObjects = before.ObjectsOf(Account, "box", "doomed");
        Assert.Single(doomedObjects);
        await container.GetBlobClient("doomed").DeleteAsync();

        // Inside retention the sweep keeps it.
        server.Advance(TimeSpan.FromDays(1) - TimeSpan.FromSeconds(1));
        await Lanes.SweepOnceAsync(server);
        Assert.Single(await ListAsync(container, BlobStates.Deleted), item => item.Deleted);

        server.Advance(TimeSpan.FromSeconds(2));
        await Lanes.SweepOnceAsync(server);
        Assert.DoesNotContain(await ListAsync(container, BlobStates.Deleted), item => item.Deleted);
        Assert.Equal(404, (await Assert.ThrowsAsync<RequestFailedException>(() => container.GetBlobClient("doomed").UndeleteAsync())).Status);
        Assert.Equal(kept, (await container.GetBlobClient("kept").DownloadContentAsync()).Value.Content.ToArray());

        await Proof.PurgedAsync(server, before, doomedObjects, Payloads.Needles("doomed", doomed), "after the purge");

        // The scan and the attack are alive: the kept blob's keys are still in the database and its copies decrypt.
        Assert.NotEmpty(DataDirectoryScan.Scan(server.DataPath, before.DataKeyNeedles(before.ObjectsOf(Account, "box", "kept")).Where(needle => needle.Label.StartsWith("wrapped", StringComparison.Ordinal))));
        var decrypted = await RawCopyAttack.RunAsync(server.DataPath, server.ReadKeys(before.Contexts), before.Contexts);
        Assert.Contains(decrypted, hit => before.ObjectsOf(Account, "box", "kept").Contains(hit.ObjectId));
    }

    [Fact]
    public async Task At_the_end_of_retention_the_sweep_purges_a_soft_deleted_container_and_nothing_of_it_remains_readable()
    {
        await using var server = await EvidenceServer.StartAsync();
        var service = await server.CreateAccountAsync(Account);
        await server.Deployment.Store.SetDataProtectionAsync(Account, new DataProtectionSettings(ContainerSoftDeleteDays: 1));
        var container = service.GetBlobContainerClient("box");
        await container.CreateAsync();
        var payloads = Enumerable.Range(61, 3).Select(seed => Payloads.Random(seed)).ToList();
        for (var i = 0; i < payloads.Count; i++)
        {
            await container.GetBlobClient($"doc-{i}").UploadAsync(BinaryData.FromBytes(payloads[i]));
        }

        var before = server.ReadKeys();
        var doomedObjects = before.ObjectsOf(Account, "box");
        Assert.Equal(3, doomedObjects.Count);
        await container.DeleteAsync();

        server.Advance(TimeSpan.FromDays(1) + TimeSpan.FromSeconds(1));
        await Lanes.SweepOnceAsync(server);
        await foreach (var item in service.GetBlobContainersAsync(BlobContainerTraits.None, BlobContainerStates.Deleted))
        {
            Assert.Fail($"{item.Name} is still listed after its purge");
        }

        await Proof.PurgedAsync(server, before, doomedObjects, payloads.SelectMany((payload, i) => Payloads.Needles($"doc-{i}", payload)), "after the container purge");
        var destruction = Assert.Single(await Lanes.DestructionsAsync(server, Account), record => record.Kind == DestructionKind.ContainerPurge);
        Assert.Equal(DestructionState.Complete, destruction.State);
        Assert.Equal(3, destruction.ObjectCount);
    }

    [Fact]
    public async Task A_container_deleted_with_soft_delete_off_is_shredded_at_once()
    {
        await using var server = await EvidenceServer.StartAsync();
        var service = await server.CreateAccountAsync(Account);
        var container = service.GetBlobContainerClient("box");
        await container.CreateAsync();
        var payload = Payloads.Random(81);
        await container.GetBlobClient("doc").UploadAsync(BinaryData.FromBytes(payload));
        var before = server.ReadKeys();
        var objects = before.ObjectsOf(Account, "box");

        await container.DeleteAsync();
        await Proof.PurgedAsync(server, before, objects, Payloads.Needles("doc", payload), "after Delete Container");

        // The keys went with the delete; the destruction completes when the sweep has checked every site.
        await Lanes.SweepOnceAsync(server);
        var destruction = Assert.Single(await Lanes.DestructionsAsync(server, Account), record => record.Kind == DestructionKind.ContainerPurge);
        Assert.Equal(DestructionState.Complete, destruction.State);
    }

    internal static async Task EnableBlobSoftDeleteAsync(BlobServiceClient service, int days)
    {
        var properties = (await service.GetPropertiesAsync()).Value;
        properties.DeleteRetentionPolicy = new BlobRetentionPolicy { Enabled = true, Days = days };
        await service.SetPropertiesAsync(properties);
        Assert.Equal(days, (await service.GetPropertiesAsync()).Value.DeleteRetentionPolicy.Days);
    }

    internal static async Task<List<BlobItem>> ListAsync(BlobContainerClient container, BlobStates states)
    {
        var items = new List<BlobItem>();
        await foreach (var item in container.GetBlobsAsync(new GetBlobsOptions { States = states }))
        {
            items.Add(item);
        }

        return items;
    }
}
