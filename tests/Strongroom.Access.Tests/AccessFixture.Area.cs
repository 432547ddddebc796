using Strongroom.Core;
using Strongroom.Placement;
using Strongroom.Storage;

namespace Strongroom.Access.Tests;

/// <summary>
/// Transfers: three directory sites — <c>cn-1a</c> and <c>cn-2a</c> in region cn-east (CN), where
/// every account's default policy keeps its copies (residency CN), and <c>eu-1a</c> in eu-west
/// (EU), outside it — with the placement objects and the transfer service over them.
/// </summary>
public sealed partial class AccessFixture
{
    public const string CnSite = "cn-1a";
    public const string CnSecondSite = "cn-2a";
    public const string EuSite = "eu-1a";

    public SiteSet Sites { get; private set; } = null!;

    public PlacementService Placement { get; private set; } = null!;

    public ObjectSites Objects { get; private set; } = null!;

    public RepairWorker Repair { get; private set; } = null!;

    public TransferService Transfers { get; private set; } = null!;

    /// <summary>The directory of a site's objects.</summary>
    public string SiteDirectory(string siteId) => Path.Combine(Directory, "sites", siteId);

    private partial Task InitializeAreaAsync()
    {
        var topology = new Topology(
        [
            Site(CnSite, "cn-east", "cn-east-1", "CN"),
            Site(CnSecondSite, "cn-east", "cn-east-2", "CN"),
            Site(EuSite, "eu-west", "eu-west-1", "EU"),
        ]);
        var backends = topology.Sites.ToDictionary(
            site => site.Descriptor.Id,
            site => (ISite)new LocalDirectorySite(site.Descriptor.Id, SiteDirectory(site.Descriptor.Id), new SeededRandomSource(7)),
            StringComparer.Ordinal);
        Sites = new SiteSet(topology, backends, Time);
        Placement = new PlacementService(Store, Sites, Audit, Time);
        Objects = new ObjectSites(Sites, Store, Time, Random);
        Repair = new RepairWorker(Store, Sites, Placement, Audit, Time, new SeededRandomSource(11)) { Parallelism = 1 };
        Transfers = new TransferService(Store, Audit, Sites, Placement, Time, Random, Options);
        return Task.CompletedTask;
    }

    /// <summary>
    /// A committed one-part blob whose "ciphertext" (bytes nothing decrypts here: placement never
    /// reads it) is Present on both CN sites; returns its object.
    /// </summary>
    public async Task<StoredObject> PutBlobAsync(string account, string container, string name, byte[] content)
    {
        var objectId = Random.NewOpaqueId();
        var crc = new Crc64Nvme();
        crc.Append(content);
        foreach (var siteId in new[] { CnSite, CnSecondSite })
        {
            await using var write = await Sites.Get(siteId).Backend.BeginWriteAsync(objectId);
            await write.Content.WriteAsync(content);
            await write.CommitAsync();
        }

        var stored = new StoredObject(objectId, [new ObjectCopy(CnSite, CopyState.Present), new ObjectCopy(CnSecondSite, CopyState.Present)], [1, 2, 3], content.Length)
        {
            CiphertextLength = content.Length,
            CiphertextCrc64 = crc.GetCurrentValue(),
            CreatedOn = Time.GetUtcNow(),
        };
        var now = Time.GetUtcNow();
        var blob = new BlobRecord(account, container, name, BlobType.BlockBlob, content.Length, "\"0x2\"", now, now, new BlobHttpHeaders(null, null, null, null, null, null), []);
        var replaced = await Store.CommitBlobAsync(blob, [new BlobPart(0, null, stored)], [stored]);
        await Objects.DeleteAsync(replaced);
        return stored;
    }

    /// <summary>Deletes a blob as the blob service does: the metadata, then every copy.</summary>
    public async Task DeleteBlobAsync(string account, string container, string name) =>
        await Objects.DeleteAsync(await Store.DeleteBlobAsync(account, container, name));

    private static SiteDefinition Site(string id, string region, string zone, string jurisdiction) =>
        new(new SiteDescriptor(id, region, zone, jurisdiction, SiteBackendKind.LocalDirectory, SiteState.Active), new LocalDirectoryBackendOptions(id));
}
