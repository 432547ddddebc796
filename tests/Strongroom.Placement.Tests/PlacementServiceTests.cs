using System.Reflection;
using Microsoft.Extensions.Time.Testing;
using Strongroom.Audit;
using Strongroom.Core;
using Strongroom.Storage;
using Strongroom.Vault;

namespace Strongroom.Placement.Tests;

/// <summary>
/// The store the placement service needs, faked: accounts and containers in memory, the policy
/// and redundancy setters, and the oldest Pending copy. Every other store method throws.
/// </summary>
public interface IFakeStore : IMetadataStore, IPlacementStore, IAuditStore
{
}

public class FakeStore : DispatchProxy
{
    public Dictionary<string, AccountRecord> Accounts { get; } = new(StringComparer.Ordinal);

    public Dictionary<(string Account, string Name), ContainerRecord> Containers { get; } = [];

    public List<AuditAppend> Entries { get; } = [];

    /// <summary>The oldest Pending copy per (account, site), as the store would find it.</summary>
    public List<(string Account, string SiteId, DateTimeOffset CreatedOn)> PendingCopies { get; } = [];

    public List<IReadOnlyCollection<string>> OldestPendingQueries { get; } = [];

    public static (IFakeStore Store, FakeStore State) Create()
    {
        var store = DispatchProxy.Create<IFakeStore, FakeStore>();
        return (store, (FakeStore)(object)store);
    }

    protected override object? Invoke(MethodInfo? targetMethod, object?[]? args)
    {
        ArgumentNullException.ThrowIfNull(targetMethod);
        args ??= [];
        switch (targetMethod.Name)
        {
            case nameof(IMetadataStore.GetAccountAsync):
                return Task.FromResult(Accounts.GetValueOrDefault((string)args[0]!));
            case nameof(IMetadataStore.ListContainersAsync):
                {
                    var account = (string)args[0]!;
                    var list = Containers.Values.Where(container => container.Account == account).OrderBy(container => container.Name, StringComparer.Ordinal).ToList();
                    return Task.FromResult(new ContainerPage(list, null));
                }

            case nameof(IPlacementStore.SetAccountPlacementAsync):
                {
                    var account = (string)args[0]!;
                    var record = Accounts.GetValueOrDefault(account) ?? throw new StorageException(ErrorCode.AccountNotFound);
                    Accounts[account] = record with { Placement = (PlacementPolicy)args[1]! };
                    Entries.Add((AuditAppend)args[2]!);
                    return Task.CompletedTask;
                }

            case nameof(IPlacementStore.SetContainerRedundancyAsync):
                {
                    var key = ((string)args[0]!, (string)args[1]!);
                    var record = Containers.GetValueOrDefault(key) ?? throw new StorageException(ErrorCode.ContainerNotFound);
                    record = record with { Redundancy = (Redundancy?)args[2] };
                    Containers[key] = record;
                    Entries.Add((AuditAppend)args[3]!);
                    return Task.FromResult(record);
                }

            case nameof(IPlacementStore.GetOldestPendingCopyAsync):
                {
                    var account = (string)args[0]!;
                    var siteIds = (IReadOnlyCollection<string>)args[1]!;
                    OldestPendingQueries.Add(siteIds);
                    var pending = PendingCopies.Where(copy => copy.Account == account && siteIds.Contains(copy.SiteId)).Select(copy => (DateTimeOffset?)copy.CreatedOn).Min();
                    return Task.FromResult(pending);
                }

            default:
                throw new NotSupportedException($"The fake store has no {targetMethod.Name}.");
        }
    }
}

public class UnusedSite : DispatchProxy
{
    protected override object? Invoke(MethodInfo? targetMethod, object?[]? args) => throw new NotSupportedException("The placement service never touches a site's bytes.");
}

public sealed class PlacementServiceTests : IAsyncLifetime
{
    private readonly DirectoryInfo directory = Directory.CreateTempSubdirectory("strongroom-placement-");
    private readonly FakeTimeProvider time = new(new DateTimeOffset(2026, 11, 30, 12, 0, 0, TimeSpan.Zero));
    private readonly IFakeStore store;
    private readonly FakeStore state;
    private SealState seal = null!;
    private SiteSet sites = null!;
    private PlacementService service = null!;

    public PlacementServiceTests() => (store, state) = FakeStore.Create();

    public Task InitializeAsync()
    {
        var random = new SeededRandomSource(1);
        var topology = TopologyFile.Parse(TopologyFile.DevelopmentSample("sites"), "topology.toml", directory.FullName);
        // The service reads the sites' descriptors only: backends that are never called.
        sites = new SiteSet(topology, topology.Sites.ToDictionary(site => site.Descriptor.Id, _ => (ISite)DispatchProxy.Create<ISite, UnusedSite>()), time);
        seal = new SealState(Path.Combine(directory.FullName, "seal"), Path.Combine(directory.FullName, "keyring"), random);
        var audit = new TransparencyLog(store, new CheckpointSigner(seal), () => "0123456789abcdef", time);
        service = new PlacementService(store, sites, audit, time);
        AddAccount("tenant1", placement: null);
        return Task.CompletedTask;
    }

    public async Task DisposeAsync()
    {
        await sites.DisposeAsync();
        seal.Dispose();
        directory.Delete(recursive: true);
    }

    private void AddAccount(string name, PlacementPolicy? placement) =>
        state.Accounts[name] = new AccountRecord(name, [1], [2], [3], time.GetUtcNow(), AccountState.Enabled, default) { Placement = placement };

    private void AddContainer(string account, string name, Redundancy? redundancy = null) =>
        state.Containers[(account, name)] = new ContainerRecord(account, name, "\"0x1\"", time.GetUtcNow(), time.GetUtcNow(), []) { Redundancy = redundancy };

    private static StorageException Refused(ErrorCode code, Action action)
    {
        var exception = Assert.Throws<StorageException>(action);
        Assert.Equal(code, exception.Code);
        return exception;
    }

    private static AuditEntry Decode(AuditAppend append) => AuditEntry.Decode(append.Entry);

    // Build

    [Fact]
    public void An_empty_request_is_the_deployment_default()
    {
        var policy = service.Build(new PlacementPolicyRequest(), current: null);
        Assert.Equal(["CN"], policy.Residency);
        Assert.Equal("cn-east", policy.PrimaryRegion);
        Assert.Equal("cn-north", policy.SecondaryRegion);
        Assert.Equal(Redundancy.Lrs, policy.Redundancy);
    }

    [Fact]
    public void A_request_overrides_only_what_it_names()
    {
        var current = new PlacementPolicy(["CN"], "cn-east", "cn-north", Redundancy.Zrs);
        var policy = service.Build(new PlacementPolicyRequest(Redundancy: "ra-gzrs"), current);
        Assert.Equal(current with { Redundancy = Redundancy.RaGzrs }, policy with { Residency = current.Residency });
        Assert.Equal(["CN"], policy.Residency);

        var swapped = service.Build(new PlacementPolicyRequest(PrimaryRegion: "cn-north", SecondaryRegion: "cn-east", Redundancy: "GRS"), current);
        Assert.Equal(("cn-north", "cn-east"), (swapped.PrimaryRegion, swapped.SecondaryRegion));

        var noSecondary = service.Build(new PlacementPolicyRequest(SecondaryRegion: ""), current);
        Assert.Null(noSecondary.SecondaryRegion);
    }

    [Fact]
    public void Changing_the_residency_moves_regions_that_fall_outside_it()
    {
        var policy = service.Build(new PlacementPolicyRequest(Residency: ["eu"]), current: null);
        Assert.Equal(["EU"], policy.Residency);
        Assert.Equal("eu-west", policy.PrimaryRegion);
        Assert.Null(policy.SecondaryRegion);
        Assert.Equal(Redundancy.Lrs, policy.Redundancy);

        var both = service.Build(new PlacementPolicyRequest(Residency: ["CN", "EU", "cn"]), current: null);
        Assert.Equal(["CN", "EU"], both.Residency);
        Assert.Equal(("cn-east", "cn-north"), (both.PrimaryRegion, both.SecondaryRegion));
    }

    [Fact]
    public void Regions_are_not_moved_unless_the_residency_or_the_primary_changes()
    {
        var lost = new PlacementPolicy(["CN"], "cn-west", "cn-north", Redundancy.Lrs);
        Assert.Contains(
            "the primary region 'cn-west' is not in the topology",
            Refused(ErrorCode.PlacementPolicyNotSatisfiable, () => service.Build(new PlacementPolicyRequest(Redundancy: "LRS"), lost)).Message,
            StringComparison.Ordinal);

        var moved = service.Build(new PlacementPolicyRequest(PrimaryRegion: "cn-north"), current: null);
        Assert.Equal(("cn-north", "cn-east"), (moved.PrimaryRegion, moved.SecondaryRegion));
    }

    [Theory]
    [InlineData("CHN")]
    [InlineData("C1")]
    [InlineData("")]
    public void A_residency_of_something_other_than_jurisdictions_is_invalid(string jurisdiction) =>
        Assert.Contains("is not a jurisdiction", Refused(ErrorCode.InvalidPlacementPolicy, () => service.Build(new PlacementPolicyRequest(Residency: [jurisdiction]), null)).Message, StringComparison.Ordinal);

    [Fact]
    public void Unknown_names_are_invalid_and_impossible_policies_are_not_satisfiable_with_the_reason()
    {
        Refused(ErrorCode.InvalidPlacementPolicy, () => service.Build(new PlacementPolicyRequest(Residency: []), null));
        Assert.Contains("'cn-south' is not in the topology", Refused(ErrorCode.InvalidPlacementPolicy, () => service.Build(new PlacementPolicyRequest(PrimaryRegion: "cn-south"), null)).Message, StringComparison.Ordinal);
        Assert.Contains("is not a region name", Refused(ErrorCode.InvalidPlacementPolicy, () => service.Build(new PlacementPolicyRequest(SecondaryRegion: "CN North"), null)).Message, StringComparison.Ordinal);
        Refused(ErrorCode.InvalidPlacementPolicy, () => service.Build(new PlacementPolicyRequest(Redundancy: "Standard_LRS"), null));
        Refused(ErrorCode.InvalidPlacementPolicy, () => service.Build(new PlacementPolicyRequest(Redundancy: "custom:copies=12,zones=1,regions=1,sync"), null));

        Assert.Equal(
            "The placement policy cannot be satisfied: region cn-north has 3 active sites in 2 zones inside residency CN; ZRS needs 3 sites in 3 zones.",
            Refused(ErrorCode.PlacementPolicyNotSatisfiable, () => service.Build(new PlacementPolicyRequest(PrimaryRegion: "cn-north", SecondaryRegion: "cn-east", Redundancy: "ZRS"), null)).Message);
        Assert.Contains(
            "the primary region eu-west is in EU, outside the residency (CN)",
            Refused(ErrorCode.PlacementPolicyNotSatisfiable, () => service.Build(new PlacementPolicyRequest(PrimaryRegion: "eu-west"), null)).Message,
            StringComparison.Ordinal);
        Assert.Contains(
            "the secondary region eu-west is in EU, outside the residency (CN)",
            Refused(ErrorCode.PlacementPolicyNotSatisfiable, () => service.Build(new PlacementPolicyRequest(SecondaryRegion: "eu-west", Redundancy: "GRS"), null)).Message,
            StringComparison.Ordinal);
        Assert.Contains(
            "names none",
            Refused(ErrorCode.PlacementPolicyNotSatisfiable, () => service.Build(new PlacementPolicyRequest(Residency: ["EU"], Redundancy: "GRS"), null)).Message,
            StringComparison.Ordinal);
    }

    [Fact]
    public void A_residency_no_region_lies_in_is_not_satisfiable()
    {
        var message = Refused(ErrorCode.PlacementPolicyNotSatisfiable, () => service.Build(new PlacementPolicyRequest(Residency: ["US"]), null)).Message;
        Assert.Contains("outside the residency (US)", message, StringComparison.Ordinal);
    }

    // Account policy

    [Fact]
    public async Task Setting_an_account_policy_stores_it_with_its_audit_entry()
    {
        var policy = await service.SetAccountPolicyAsync("tenant1", new PlacementPolicyRequest(Redundancy: "RA-GRS"));

        Assert.Equal(Redundancy.RaGrs, policy.Redundancy);
        Assert.Same(policy, state.Accounts["tenant1"].Placement);
        var append = Assert.Single(state.Entries);
        Assert.Equal("tenant1", append.Log);
        var entry = Decode(append);
        Assert.Equal(AuditActions.SetPlacementPolicy, entry.Action);
        Assert.Equal("/tenant1", entry.Resource);
        Assert.Equal(["CN"], entry.Jurisdictions);
        Assert.Equal(
            new Dictionary<string, string> { ["residency"] = "CN", ["primaryRegion"] = "cn-east", ["secondaryRegion"] = "cn-north", ["redundancy"] = "RA-GRS" },
            entry.Details.ToDictionary());

        // The next request builds on the stored policy.
        var next = await service.SetAccountPolicyAsync("tenant1", new PlacementPolicyRequest(PrimaryRegion: "cn-north", SecondaryRegion: "cn-east"));
        Assert.Equal(Redundancy.RaGrs, next.Redundancy);
    }

    [Fact]
    public async Task An_impossible_or_unknown_account_policy_changes_nothing()
    {
        await Assert.ThrowsAsync<StorageException>(() => service.SetAccountPolicyAsync("tenant1", new PlacementPolicyRequest(PrimaryRegion: "cn-north", Redundancy: "ZRS")));
        Assert.Equal(ErrorCode.AccountNotFound, (await Assert.ThrowsAsync<StorageException>(() => service.SetAccountPolicyAsync("nobody", new PlacementPolicyRequest()))).Code);
        Assert.Null(state.Accounts["tenant1"].Placement);
        Assert.Empty(state.Entries);
    }

    [Fact]
    public async Task An_account_policy_that_a_containers_own_redundancy_no_longer_fits_is_refused()
    {
        AddContainer("tenant1", "photos", Redundancy.Gzrs);
        var exception = await Assert.ThrowsAsync<StorageException>(() => service.SetAccountPolicyAsync("tenant1", new PlacementPolicyRequest(SecondaryRegion: "")));
        Assert.Equal(ErrorCode.PlacementPolicyNotSatisfiable, exception.Code);
        Assert.Contains("container 'photos'", exception.Message, StringComparison.Ordinal);
        Assert.Empty(state.Entries);
    }

    // Container redundancy

    [Fact]
    public async Task A_container_may_choose_another_redundancy_inside_the_accounts_policy()
    {
        AddContainer("tenant1", "photos");
        var container = await service.SetContainerRedundancyAsync("tenant1", "photos", "gzrs");
        Assert.Equal(Redundancy.Gzrs, container.Redundancy);
        var entry = Decode(Assert.Single(state.Entries));
        Assert.Equal(AuditActions.SetContainerRedundancy, entry.Action);
        Assert.Equal("/tenant1/photos", entry.Resource);
        Assert.Equal("GZRS", entry.Details.ToDictionary()["redundancy"]);
        Assert.Equal("LRS", entry.Details.ToDictionary()["accountRedundancy"]);

        var cleared = await service.SetContainerRedundancyAsync("tenant1", "photos", null);
        Assert.Null(cleared.Redundancy);
        Assert.Equal(string.Empty, Decode(state.Entries[1]).Details.ToDictionary()["redundancy"]);
        Assert.Equal(Redundancy.Lrs, service.Effective(state.Accounts["tenant1"], cleared));
        Assert.Equal(Redundancy.Gzrs, service.Effective(state.Accounts["tenant1"], container));
    }

    [Fact]
    public async Task A_container_redundancy_the_account_cannot_hold_is_refused()
    {
        AddAccount("eu", new PlacementPolicy(["EU"], "eu-west", null, Redundancy.Lrs));
        AddContainer("eu", "data");
        var exception = await Assert.ThrowsAsync<StorageException>(() => service.SetContainerRedundancyAsync("eu", "data", "GRS"));
        Assert.Equal(ErrorCode.PlacementPolicyNotSatisfiable, exception.Code);
        Assert.StartsWith("The redundancy GRS cannot be satisfied inside the account's placement policy: GRS keeps 3", exception.Message, StringComparison.Ordinal);
        Assert.Equal(ErrorCode.InvalidPlacementPolicy, (await Assert.ThrowsAsync<StorageException>(() => service.SetContainerRedundancyAsync("eu", "data", "triple"))).Code);
        Assert.Equal(ErrorCode.AccountNotFound, (await Assert.ThrowsAsync<StorageException>(() => service.SetContainerRedundancyAsync("nobody", "data", "LRS"))).Code);
        Assert.Equal(ErrorCode.ContainerNotFound, (await Assert.ThrowsAsync<StorageException>(() => service.SetContainerRedundancyAsync("eu", "missing", "LRS"))).Code);
        Assert.Empty(state.Entries);
    }

    // Last sync time

    [Fact]
    public async Task The_last_sync_time_is_the_oldest_write_owed_to_the_secondary_region_or_now()
    {
        Assert.Equal(time.GetUtcNow(), await service.GetLastSyncTimeAsync("tenant1"));
        Assert.Equal(["cn-north-1a", "cn-north-1b", "cn-north-2a"], state.OldestPendingQueries[0].Order());

        var written = time.GetUtcNow();
        state.PendingCopies.Add(("tenant1", "cn-north-1b", written));
        state.PendingCopies.Add(("tenant1", "cn-east-1a", written.AddMinutes(-30)));
        state.PendingCopies.Add(("other", "cn-north-1a", written.AddMinutes(-60)));
        time.Advance(TimeSpan.FromMinutes(5));
        Assert.Equal(written, await service.GetLastSyncTimeAsync("tenant1"));
    }

    [Fact]
    public async Task An_account_without_a_secondary_region_has_no_last_sync_time()
    {
        AddAccount("local", new PlacementPolicy(["CN"], "cn-east", null, Redundancy.Lrs));
        Assert.Null(await service.GetLastSyncTimeAsync("local"));
        Assert.Empty(state.OldestPendingQueries);
        Assert.Equal(ErrorCode.AccountNotFound, (await Assert.ThrowsAsync<StorageException>(() => service.GetLastSyncTimeAsync("nobody"))).Code);
    }
}
