using System.Reflection;
using Microsoft.Extensions.Time.Testing;
using Strongroom.TestSupport;
using Strongroom.Audit;
using Strongroom.Core;
using Strongroom.Storage;
using Strongroom.Vault;

namespace Strongroom.Placement.Tests;

/// <summary>A store that is both contracts, as SQLite's is: the metadata from a real store, the placement half from a fake.</summary>
public interface ITestStore : IMetadataStore, IPlacementStore;

/// <summary>Routes <see cref="IPlacementStore"/> calls to <see cref="Placement"/> and everything else to <see cref="Metadata"/>.</summary>
public class SplitStore : DispatchProxy
{
    public IMetadataStore Metadata { get; set; } = null!;

    public IPlacementStore Placement { get; set; } = null!;

    public static ITestStore Create(IMetadataStore metadata, IPlacementStore placement)
    {
        var store = DispatchProxy.Create<ITestStore, SplitStore>();
        var split = (SplitStore)(object)store;
        split.Metadata = metadata;
        split.Placement = placement;
        return store;
    }

    protected override object? Invoke(MethodInfo? targetMethod, object?[]? args)
    {
        ArgumentNullException.ThrowIfNull(targetMethod);
        try
        {
            return targetMethod.DeclaringType == typeof(IPlacementStore) ? targetMethod.Invoke(Placement, args) : targetMethod.Invoke(Metadata, args);
        }
        catch (TargetInvocationException exception) when (exception.InnerException is not null)
        {
            throw exception.InnerException;
        }
    }
}

/// <summary>The placement half the store helper implements; only what locations read.</summary>
public sealed class FakePlacementStore : IPlacementStore
{
    public List<SiteCopyCounts> Usage { get; } = [];

    public List<BlobLocation> Blobs { get; } = [];

    public Task<IReadOnlyList<SiteCopyCounts>> GetAccountSiteUsageAsync(string account, CancellationToken cancellationToken = default) =>
        Task.FromResult<IReadOnlyList<SiteCopyCounts>>(Usage);

    public Task<BlobLocationPage> ListBlobLocationsAsync(string account, string? container, string? blob, BlobLocationMarker? marker, int limit, CancellationToken cancellationToken = default)
    {
        var matching = Blobs
            .Where(location => (container is null || location.Container == container) && (blob is null || location.Blob == blob))
            .Where(location => marker is null || string.CompareOrdinal(location.Container + "/" + location.Blob, marker.Container + "/" + marker.Blob) > 0)
            .ToList();
        var page = matching.Take(limit).ToList();
        return Task.FromResult(new BlobLocationPage(page, matching.Count > limit ? new BlobLocationMarker(page[^1].Container, page[^1].Blob) : null));
    }

    public Task<PlacementBacklog> GetPlacementBacklogAsync(CancellationToken cancellationToken = default) =>
        Task.FromResult(new PlacementBacklog(0, 0, 0, Usage));

    public Task SetAccountPlacementAsync(string account, PlacementPolicy policy, AuditAppend? audit = null, CancellationToken cancellationToken = default) => throw new NotSupportedException();

    public Task<ContainerRecord> SetContainerRedundancyAsync(string account, string container, Redundancy? redundancy, AuditAppend? audit = null, CancellationToken cancellationToken = default) => throw new NotSupportedException();

    public Task<IReadOnlyDictionary<string, SiteState>> GetSiteStatesAsync(CancellationToken cancellationToken = default) => throw new NotSupportedException();

    public Task SetSiteStateAsync(string siteId, SiteState state, AuditAppend? audit = null, CancellationToken cancellationToken = default) => throw new NotSupportedException();

    public Task SetSiteStateAsync(string siteId, SiteState state, DateTimeOffset changedOn, AuditAppend? audit = null, CancellationToken cancellationToken = default) => throw new NotSupportedException();

    public Task<IReadOnlyList<CopyWork>> ListCopiesNeedingWorkAsync(SiteObject? after, int limit, CancellationToken cancellationToken = default) => throw new NotSupportedException();

    public Task<IReadOnlyList<ObjectOwner>> ListObjectsOnSiteAsync(string siteId, string? afterObjectId, int limit, CancellationToken cancellationToken = default) => throw new NotSupportedException();

    public Task<IReadOnlyList<ObjectOwner>> ListObjectsAsync(string? afterObjectId, int limit, CancellationToken cancellationToken = default) => throw new NotSupportedException();

    public Task<IReadOnlyList<bool>> ChangeCopiesAsync(IReadOnlyList<CopyChange> changes, CancellationToken cancellationToken = default) => throw new NotSupportedException();

    public Task AddTombstonesAsync(IReadOnlyList<SiteObject> tombstones, DateTimeOffset createdOn, CancellationToken cancellationToken = default) => throw new NotSupportedException();

    public Task<IReadOnlyList<SiteObject>> ListTombstonesAsync(string? siteId, int limit, CancellationToken cancellationToken = default) => throw new NotSupportedException();

    public Task RemoveTombstonesAsync(IReadOnlyList<SiteObject> tombstones, CancellationToken cancellationToken = default) => throw new NotSupportedException();

    public Task<DateTimeOffset?> GetOldestPendingCopyAsync(string account, IReadOnlyCollection<string> siteIds, CancellationToken cancellationToken = default) => throw new NotSupportedException();
}

/// <summary>Locations and signed reports over a real metadata store (accounts, containers, the log) and a fake placement half.</summary>
public sealed class LocationsTests : IAsyncLifetime
{
    private const string Account = "acme";

    private readonly string directory = Directory.CreateTempSubdirectory("strongroom-locations-").FullName;
    private readonly FakeTimeProvider time = new(new DateTimeOffset(2026, 11, 30, 8, 0, 0, TimeSpan.Zero));
    private readonly FakePlacementStore placementStore = new();
    private readonly RootKey rootKey = RootKey.Generate(new SeededRandomSource(1));
    private SqlMetadataStore metadata = null!;
    private SealState seal = null!;
    private TransparencyLog audit = null!;
    private SiteSet sites = null!;
    private PlacementService placement = null!;

    public async Task InitializeAsync()
    {
        metadata = await TestMetadata.OpenAsync(Path.Combine(directory, "metadata.db"));
        seal = SealState.Unsealed(Keyring.OpenOrCreate(Path.Combine(directory, "keyring"), rootKey, new SeededRandomSource(2)), null, new SeededRandomSource(3));
        audit = new TransparencyLog(metadata, new CheckpointSigner(seal), () => "0123456789abcdef", time);
        SiteDescriptor Site(string id, string region, string zone, string jurisdiction) => new(id, region, zone, jurisdiction, SiteBackendKind.LocalDirectory, SiteState.Active);
        var topology = new Topology(
        [
            new SiteDefinition(Site("east-1", "cn-east", "cn-east-1", "CN"), new LocalDirectoryBackendOptions(Path.Combine(directory, "east-1"))),
            new SiteDefinition(Site("east-2", "cn-east", "cn-east-2", "CN"), new LocalDirectoryBackendOptions(Path.Combine(directory, "east-2"))),
            new SiteDefinition(Site("north-1", "cn-north", "cn-north-1", "CN"), new LocalDirectoryBackendOptions(Path.Combine(directory, "north-1"))),
            new SiteDefinition(Site("eu-1", "eu-west", "eu-west-1", "EU"), new LocalDirectoryBackendOptions(Path.Combine(directory, "eu-1"))),
        ]);
        sites = new SiteSet(topology, topology.Sites.ToDictionary(site => site.Descriptor.Id, site => (ISite)new LocalDirectorySite(site.Descriptor.Id, ((LocalDirectoryBackendOptions)site.Backend).Path)), time);
        placement = new PlacementService(SplitStore.Create(metadata, placementStore), sites, audit, time);
        await metadata.CreateAccountAsync(new AccountRecord(Account, [1], [2], [3], time.GetUtcNow(), AccountState.Enabled)
        {
            Placement = new PlacementPolicy(["CN"], "cn-east", "cn-north", Redundancy.RaGrs),
        });
        await metadata.CreateContainerAsync(new ContainerRecord(Account, "photos", "\"0x1\"", time.GetUtcNow(), time.GetUtcNow(), []));
        placementStore.Usage.AddRange(
        [
            new SiteCopyCounts("north-1", 3, 1, 0, 3000),
            new SiteCopyCounts("east-1", 4, 0, 0, 4000),
            new SiteCopyCounts("east-2", 3, 0, 1, 3000),
            new SiteCopyCounts("gone-1", 1, 0, 0, 100),
        ]);
        StoredObject Object(string id, params ObjectCopy[] copies) => new(id, copies, [9], 1000) { CiphertextLength = 1040 };
        placementStore.Blobs.AddRange(
        [
            new BlobLocation("photos", "a.jpg", 1000, [Object("0000000000000000000000000000000a", new ObjectCopy("north-1", CopyState.Pending), new ObjectCopy("east-1", CopyState.Present))]),
            new BlobLocation("photos", "b.jpg", 1000, [Object("0000000000000000000000000000000b", new ObjectCopy("east-2", CopyState.Bad), new ObjectCopy("gone-1", CopyState.Present))]),
            new BlobLocation("photos", "c.jpg", 1000, [Object("0000000000000000000000000000000c", new ObjectCopy("east-1", CopyState.Present))]),
        ]);
    }

    public async Task DisposeAsync()
    {
        await sites.DisposeAsync();
        await metadata.DisposeAsync();
        await TestMetadata.DropAsync(Path.Combine(directory, "metadata.db"));
        seal.Dispose();
        rootKey.Dispose();
        Directory.Delete(directory, recursive: true);
    }

    [Fact]
    public async Task The_summary_sums_present_copies_per_site_region_and_jurisdiction()
    {
        var locations = await placement.GetLocationsAsync(Account, container: null, blob: null, marker: null, limit: 100);

        Assert.Equal(Redundancy.RaGrs, locations.Policy.Redundancy);
        Assert.Equal("cn-north", locations.Policy.SecondaryRegion);
        Assert.Empty(locations.Blobs);
        Assert.Equal(["east-1", "east-2", "gone-1", "north-1"], locations.Summary.Sites.Select(site => site.SiteId));
        Assert.Equal(new SiteUsage("gone-1", PlacementService.UnknownLocation, PlacementService.UnknownLocation, PlacementService.UnknownLocation, 1, 0, 0, 100), locations.Summary.Sites[2]);
        Assert.Equal([new AreaUsage("cn-east", 7, 7000), new AreaUsage("cn-north", 3, 3000), new AreaUsage("unknown", 1, 100)], locations.Summary.Regions);
        Assert.Equal([new AreaUsage("CN", 10, 10000), new AreaUsage("unknown", 1, 100)], locations.Summary.Jurisdictions);
    }

    [Fact]
    public async Task A_container_lists_every_copy_with_where_it_is_and_pages_with_a_marker()
    {
        var first = await placement.GetLocationsAsync(Account, "photos", blob: null, marker: null, limit: 2);
        var second = await placement.GetLocationsAsync(Account, "photos", blob: null, marker: first.NextMarker, limit: 2);

        Assert.Equal(["a.jpg", "b.jpg"], first.Blobs.Select(blob => blob.Blob));
        Assert.Equal("photos/b.jpg", first.NextMarker);
        Assert.Equal(["c.jpg"], second.Blobs.Select(blob => blob.Blob));
        Assert.Null(second.NextMarker);
        var copies = first.Blobs[0].Objects[0].Copies;
        Assert.Equal(new SiteCopy("east-1", "cn-east", "cn-east-1", "CN", CopyState.Present), copies[0]);
        Assert.Equal(new SiteCopy("north-1", "cn-north", "cn-north-1", "CN", CopyState.Pending), copies[1]);
    }

    [Fact]
    public async Task Unknown_names_and_markers_are_refused()
    {
        Assert.Equal(ErrorCode.AccountNotFound, (await Assert.ThrowsAsync<StorageException>(() => placement.GetLocationsAsync("nobody", null, null, null, 10))).Code);
        Assert.Equal(ErrorCode.ContainerNotFound, (await Assert.ThrowsAsync<StorageException>(() => placement.GetLocationsAsync(Account, "nothere", null, null, 10))).Code);
        Assert.Equal(ErrorCode.BlobNotFound, (await Assert.ThrowsAsync<StorageException>(() => placement.GetLocationsAsync(Account, "photos", "z.jpg", null, 10))).Code);
        Assert.Equal(ErrorCode.InvalidLocationsMarker, (await Assert.ThrowsAsync<StorageException>(() => placement.GetLocationsAsync(Account, "photos", null, "nomarker", 10))).Code);
    }

    [Fact]
    public async Task A_report_is_recorded_then_signed_over_a_checkpoint_that_holds_its_entry()
    {
        var before = await audit.GetTreeHeadAsync(Account);

        var note = await placement.CreateReportAsync(Account, "photos", "a.jpg");

        var result = PlacementReports.Verify(note, audit.VerifierKey(Account));
        Assert.True(result.Valid, result.Failure);
        var report = result.Report!;
        Assert.Equal("0123456789abcdef", report.Deployment);
        Assert.Equal(time.GetUtcNow(), report.GeneratedOn);
        Assert.Equal("a.jpg", Assert.Single(report.Copies!).Blob);
        var after = await audit.GetTreeHeadAsync(Account);
        Assert.Equal(before.Size + 1, after.Size);
        var entry = AuditEntry.Decode((await audit.ReadEntriesAsync(Account, before.Size, after.Size))[0].Body!);
        Assert.Equal(AuditActions.CreatePlacementReport, entry.Action);
        Assert.Equal("/acme/photos/a.jpg", entry.Resource);
        Assert.Equal(["east-1", "east-2", "gone-1", "north-1"], entry.Sites);
        Assert.Equal(["CN", "unknown"], entry.Jurisdictions);
        var checkpoint = Checkpoint.Parse(SignedNote.Parse(report.Checkpoint).Text);
        Assert.Equal(after.Size, checkpoint.Size);
    }

    [Fact]
    public async Task A_container_report_pages_through_every_blob()
    {
        for (var i = 0; i < Limits.LocationsPageMax + 5; i++)
        {
            placementStore.Blobs.Add(new BlobLocation("photos", $"z{i:D5}.jpg", 1, []));
        }

        var note = await placement.CreateReportAsync(Account, "photos", blob: null);

        var report = PlacementReports.Verify(note, audit.VerifierKey(Account)).Report!;
        Assert.Equal(Limits.LocationsPageMax + 8, report.Copies!.Count);
        Assert.False(report.CopiesTruncated);
    }

    [Fact]
    public async Task An_account_report_carries_no_copies()
    {
        var note = await placement.CreateReportAsync(Account, container: null, blob: null);

        var report = PlacementReports.Verify(note, audit.VerifierKey(Account)).Report!;
        Assert.Null(report.Copies);
        Assert.Null(report.Container);
        Assert.Equal(4, report.Summary.Sites.Count);
    }

    [Fact]
    public async Task Site_usage_lists_every_declared_site_then_undeclared_ones()
    {
        var usage = await placement.GetSiteUsageAsync();

        Assert.Equal(["east-1", "east-2", "north-1", "eu-1", "gone-1"], usage.Select(site => site.SiteId));
        Assert.Equal(0, usage[3].Present);
        Assert.Equal(PlacementService.UnknownLocation, usage[4].Region);
    }
}
