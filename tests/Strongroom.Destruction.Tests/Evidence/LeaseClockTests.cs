using Azure.Storage.Blobs;
using Azure.Storage.Blobs.Models;
using Azure.Storage.Blobs.Specialized;
using Azure;

namespace Strongroom.Destruction.Tests.Evidence;

/// <summary>
/// Leases against time (issue 8, leases): an in-process server on a fake clock, driven by the SDK's
/// BlobLeaseClient, so lease durations and break periods pass in an instant and their edges are
/// exact. (The state machine's refusals that need no time are in the conformance suite's LeaseTests.)
/// </summary>
public sealed class LeaseClockTests
{
    private const string LeaseA = "aaaaaaaa-0000-0000-0000-000000000001";
    private const string LeaseB = "bbbbbbbb-0000-0000-0000-000000000002";
    private const string LeaseC = "cccccccc-0000-0000-0000-000000000003";

    private static async Task<(EvidenceServer Server, BlobContainerClient Container)> StartAsync()
    {
        var server = await EvidenceServer.StartAsync();
        var service = await server.CreateAccountAsync("leases");
        var container = service.GetBlobContainerClient("box");
        await container.CreateAsync();
        return (server, container);
    }

    private static async Task<LeaseState?> StateAsync(BlobClient blob) => (await blob.GetPropertiesAsync()).Value.LeaseState;

    [Fact]
    public async Task A_fixed_lease_expires_on_the_servers_clock_and_can_be_renewed_until_the_blob_is_written()
    {
        var (server, container) = await StartAsync();
        await using var _ = server;
        var blob = container.GetBlobClient("fixed.txt");
        await blob.UploadAsync(BinaryData.FromString("v1"));
        var right = new BlobRequestConditions { LeaseId = LeaseA };
        var metadata = new Dictionary<string, string> { ["k"] = "v" };

        await blob.GetBlobLeaseClient(LeaseA).AcquireAsync(TimeSpan.FromSeconds(15));
        server.Advance(TimeSpan.FromSeconds(14));
        var properties = (await blob.GetPropertiesAsync()).Value;
        Assert.Equal((LeaseState.Leased, LeaseStatus.Locked, LeaseDurationType.Fixed), (properties.LeaseState, properties.LeaseStatus, properties.LeaseDuration));
        await FailsAsync(412, "LeaseIdMissing", () => blob.SetMetadataAsync(metadata));
        await blob.SetMetadataAsync(metadata, right);

        // The instant the duration has passed, the lease is expired: unlocked, its id kept.
        server.Advance(TimeSpan.FromSeconds(1));
        properties = (await blob.GetPropertiesAsync()).Value;
        Assert.Equal((LeaseState.Expired, LeaseStatus.Unlocked), (properties.LeaseState, properties.LeaseStatus));
        await FailsAsync(412, "LeaseLost", () => blob.SetMetadataAsync(metadata, right));
        await FailsAsync(412, "LeaseNotPresentWithBlobOperation", () => blob.SetMetadataAsync(metadata, new BlobRequestConditions { LeaseId = LeaseB }));

        // Written under the lease, then expired, but not written since: renewable, for a fresh full duration.
        Assert.Equal(200, (await blob.GetBlobLeaseClient(LeaseA).RenewAsync()).GetRawResponse().Status);
        server.Advance(TimeSpan.FromSeconds(14));
        Assert.Equal(LeaseState.Leased, await StateAsync(blob));
        server.Advance(TimeSpan.FromSeconds(1));
        Assert.Equal(LeaseState.Expired, await StateAsync(blob));
        await FailsAsync(409, "LeaseIdMismatchWithLeaseOperation", () => blob.GetBlobLeaseClient(LeaseB).RenewAsync());

        // A write without an id is allowed once expired, and ends the lease: renewing is refused after it.
        await blob.SetMetadataAsync(metadata);
        Assert.Equal(LeaseState.Available, await StateAsync(blob));
        await FailsAsync(409, "LeaseIdMismatchWithLeaseOperation", () => blob.GetBlobLeaseClient(LeaseA).RenewAsync());

        // An expired lease can be taken by anyone; a changed lease keeps its expiry.
        await blob.GetBlobLeaseClient(LeaseA).AcquireAsync(TimeSpan.FromSeconds(20));
        server.Advance(TimeSpan.FromSeconds(20));
        Assert.Equal(LeaseB, (await blob.GetBlobLeaseClient(LeaseB).AcquireAsync(TimeSpan.FromSeconds(30))).Value.LeaseId);
        server.Advance(TimeSpan.FromSeconds(10));
        await blob.GetBlobLeaseClient(LeaseB).ChangeAsync(LeaseC);
        server.Advance(TimeSpan.FromSeconds(19));
        Assert.Equal(LeaseState.Leased, await StateAsync(blob));
        server.Advance(TimeSpan.FromSeconds(1));
        Assert.Equal(LeaseState.Expired, await StateAsync(blob));

        // An infinite lease never expires.
        await blob.GetBlobLeaseClient(LeaseA).AcquireAsync(BlobLeaseClient.InfiniteLeaseDuration);
        server.Advance(TimeSpan.FromDays(400));
        Assert.Equal(LeaseState.Leased, await StateAsync(blob));
        await FailsAsync(412, "LeaseIdMissing", () => blob.DeleteAsync());
    }

    [Fact]
    public async Task Break_periods_run_on_the_servers_clock_shorten_but_never_lengthen_and_end_in_broken()
    {
        var (server, container) = await StartAsync();
        await using var _ = server;
        var blob = container.GetBlobClient("break.txt");
        await blob.UploadAsync(BinaryData.FromString("v1"));

        // A fixed lease broken without a period runs out its own time.
        await blob.GetBlobLeaseClient(LeaseA).AcquireAsync(TimeSpan.FromSeconds(60));
        server.Advance(TimeSpan.FromSeconds(10));
        var broken = await blob.GetBlobLeaseClient().BreakAsync();
        Assert.Equal(202, broken.GetRawResponse().Status);
        Assert.Equal(50, broken.Value.LeaseTime);
        server.Advance(TimeSpan.FromSeconds(49));
        var properties = (await blob.GetPropertiesAsync()).Value;
        Assert.Equal((LeaseState.Breaking, LeaseStatus.Locked), (properties.LeaseState, properties.LeaseStatus));
        await FailsAsync(412, "LeaseIdMissing", () => blob.UploadAsync(BinaryData.FromString("v2"), overwrite: true));
        server.Advance(TimeSpan.FromSeconds(1));
        properties = (await blob.GetPropertiesAsync()).Value;
        Assert.Equal((LeaseState.Broken, LeaseStatus.Unlocked), (properties.LeaseState, properties.LeaseStatus));
        await FailsAsync(409, "LeaseIsBrokenAndCannotBeRenewed", () => blob.GetBlobLeaseClient(LeaseA).RenewAsync());

        // A period longer than what is left of a fixed lease does not lengthen it.
        await blob.GetBlobLeaseClient(LeaseB).AcquireAsync(TimeSpan.FromSeconds(30));
        Assert.Equal(30, (await blob.GetBlobLeaseClient().BreakAsync(TimeSpan.FromSeconds(50))).Value.LeaseTime);
        server.Advance(TimeSpan.FromSeconds(30));
        Assert.Equal(LeaseState.Broken, await StateAsync(blob));

        // An infinite lease breaks at once without a period, after one with a period; a second break only shortens.
        await blob.GetBlobLeaseClient(LeaseC).AcquireAsync(BlobLeaseClient.InfiniteLeaseDuration);
        Assert.Equal(0, (await blob.GetBlobLeaseClient().BreakAsync()).Value.LeaseTime);
        Assert.Equal(LeaseState.Broken, await StateAsync(blob));
        await blob.GetBlobLeaseClient(LeaseC).AcquireAsync(BlobLeaseClient.InfiniteLeaseDuration);
        Assert.Equal(20, (await blob.GetBlobLeaseClient().BreakAsync(TimeSpan.FromSeconds(20))).Value.LeaseTime);
        server.Advance(TimeSpan.FromSeconds(5));
        Assert.Equal(15, (await blob.GetBlobLeaseClient().BreakAsync(TimeSpan.FromSeconds(30))).Value.LeaseTime);
        Assert.Equal(15, (await blob.GetBlobLeaseClient().BreakAsync()).Value.LeaseTime);
        Assert.Equal(5, (await blob.GetBlobLeaseClient().BreakAsync(TimeSpan.FromSeconds(5))).Value.LeaseTime);
        server.Advance(TimeSpan.FromSeconds(4));
        Assert.Equal(LeaseState.Breaking, await StateAsync(blob));
        await FailsAsync(409, "LeaseIsBreakingAndCannotBeAcquired", () => blob.GetBlobLeaseClient(LeaseC).AcquireAsync(TimeSpan.FromSeconds(15)));
        server.Advance(TimeSpan.FromSeconds(1));
        Assert.Equal(LeaseState.Broken, await StateAsync(blob));

        // Broken: anyone may acquire; a write without an id ends the broken lease.
        await blob.UploadAsync(BinaryData.FromString("v3"), overwrite: true);
        Assert.Equal(LeaseState.Available, await StateAsync(blob));
        await FailsAsync(409, "LeaseIdMismatchWithLeaseOperation", () => blob.GetBlobLeaseClient(LeaseC).ReleaseAsync());

        // An expired lease broken is broken at once.
        await blob.GetBlobLeaseClient(LeaseA).AcquireAsync(TimeSpan.FromSeconds(15));
        server.Advance(TimeSpan.FromSeconds(16));
        Assert.Equal(0, (await blob.GetBlobLeaseClient().BreakAsync(TimeSpan.FromSeconds(10))).Value.LeaseTime);
        Assert.Equal(LeaseState.Broken, await StateAsync(blob));
    }

    [Fact]
    public async Task A_container_lease_expires_and_breaks_on_the_servers_clock()
    {
        var (server, container) = await StartAsync();
        await using var _ = server;
        var lease = container.GetBlobLeaseClient(LeaseA);
        await lease.AcquireAsync(TimeSpan.FromSeconds(15));
        server.Advance(TimeSpan.FromSeconds(14));
        await FailsAsync(412, "LeaseIdMissing", () => container.DeleteAsync());
        server.Advance(TimeSpan.FromSeconds(1));
        var properties = (await container.GetPropertiesAsync()).Value;
        Assert.Equal((LeaseState.Expired, LeaseStatus.Unlocked), (properties.LeaseState, properties.LeaseStatus));
        await lease.RenewAsync();
        Assert.Equal(LeaseState.Leased, (await container.GetPropertiesAsync()).Value.LeaseState);

        Assert.Equal(15, (await container.GetBlobLeaseClient().BreakAsync()).Value.LeaseTime);
        server.Advance(TimeSpan.FromSeconds(14));
        Assert.Equal(LeaseState.Breaking, (await container.GetPropertiesAsync()).Value.LeaseState);
        await FailsAsync(412, "LeaseIdMissing", () => container.DeleteAsync());
        server.Advance(TimeSpan.FromSeconds(1));
        Assert.Equal(LeaseState.Broken, (await container.GetPropertiesAsync()).Value.LeaseState);
        await FailsAsync(412, "LeaseLost", () => container.DeleteAsync(new BlobRequestConditions { LeaseId = LeaseA }));

        // Broken: the container is deleted without an id.
        await container.DeleteAsync();
        Assert.False((await container.ExistsAsync()).Value);
    }

    private static async Task FailsAsync(int status, string code, Func<Task> action)
    {
        var failure = await Assert.ThrowsAsync<RequestFailedException>(action);
        Assert.True(failure.Status == status && failure.ErrorCode == code, $"Expected {status} {code}, got {failure.Status} {failure.ErrorCode}.\n{failure.Message}");
    }
}
