using Azure.Storage.Blobs;
using Azure.Storage.Blobs.Models;
using Azure.Storage.Blobs.Specialized;
using Strongroom.Conformance.Tests.Infrastructure;
using Xunit;

namespace Strongroom.Conformance.Tests;

/// <summary>
/// Lease Blob and Lease Container through the SDK's BlobLeaseClient (issue 8): the five actions,
/// Azure's status codes and headers, every refusal of the state machine, and every write, delete
/// and read honouring x-ms-lease-id. Expiry and break periods that need time to pass are tested on
/// a fake clock (Strongroom.Destruction.Tests, LeaseClockTests); here leases are infinite or
/// broken at once, or breaking for the whole of a long period.
/// </summary>
public sealed class LeaseTests(ServerFixture fixture) : IClassFixture<ServerFixture>, IDisposable
{
    private const string LeaseA = "11111111-1111-1111-1111-111111111111";
    private const string LeaseB = "22222222-2222-2222-2222-222222222222";
    private const string LeaseC = "33333333-3333-3333-3333-333333333333";

    private readonly RawClient raw = new(fixture.Server);
    private readonly SharedKeySigner signer = new(StrongroomProcess.DevAccountName, StrongroomProcess.DevAccountKey);

    public void Dispose() => raw.Dispose();

    private async Task<BlobContainerClient> NewContainerAsync(string stem)
    {
        var container = fixture.Service.GetBlobContainerClient(TestNames.Container(stem));
        await container.CreateAsync();
        return container;
    }

    private static async Task<BlobClient> NewBlobAsync(BlobContainerClient container, string name = "leased.txt")
    {
        var blob = container.GetBlobClient(name);
        await blob.UploadAsync(BinaryData.FromString("original"));
        return blob;
    }

    [Fact]
    public async Task A_blob_lease_honours_x_ms_if_tags()
    {
        var container = await NewContainerAsync("leasetags");
        var blob = await NewBlobAsync(container);
        await blob.SetTagsAsync(new Dictionary<string, string> { ["stage"] = "draft" });
        var lease = blob.GetBlobLeaseClient(LeaseA);

        var refused = await Assert.ThrowsAsync<Azure.RequestFailedException>(() =>
            lease.AcquireAsync(BlobLeaseClient.InfiniteLeaseDuration, new BlobLeaseRequestConditions { TagConditions = "\"stage\" = 'final'" }));
        Assert.Equal(412, refused.Status);
        Assert.Equal("ConditionNotMet", refused.ErrorCode);
        Assert.Equal(LeaseState.Available, (await blob.GetPropertiesAsync()).Value.LeaseState);

        await lease.AcquireAsync(BlobLeaseClient.InfiniteLeaseDuration, new BlobLeaseRequestConditions { TagConditions = "\"stage\" = 'draft'" });
        Assert.Equal(LeaseState.Leased, (await blob.GetPropertiesAsync()).Value.LeaseState);
    }

    [Fact]
    public async Task A_blob_lease_goes_through_acquire_renew_change_release_with_azures_statuses_and_headers()
    {
        var container = await NewContainerAsync("bloblease");
        var blob = await NewBlobAsync(container);
        var before = (await blob.GetPropertiesAsync()).Value;
        Assert.Equal(LeaseState.Available, before.LeaseState);
        Assert.Equal(LeaseStatus.Unlocked, before.LeaseStatus);

        var lease = blob.GetBlobLeaseClient(LeaseA);
        var acquired = await lease.AcquireAsync(BlobLeaseClient.InfiniteLeaseDuration);
        Assert.Equal(201, acquired.GetRawResponse().Status);
        Assert.Equal(LeaseA, acquired.Value.LeaseId);
        Assert.Equal(before.ETag, acquired.Value.ETag);
        Assert.Equal(before.LastModified, acquired.Value.LastModified);

        var leased = (await blob.GetPropertiesAsync()).Value;
        Assert.Equal(LeaseState.Leased, leased.LeaseState);
        Assert.Equal(LeaseStatus.Locked, leased.LeaseStatus);
        Assert.Equal(LeaseDurationType.Infinite, leased.LeaseDuration);
        Assert.Equal(before.ETag, leased.ETag);

        var renewed = await lease.RenewAsync();
        Assert.Equal(200, renewed.GetRawResponse().Status);
        Assert.Equal(LeaseA, renewed.Value.LeaseId);

        var changed = await lease.ChangeAsync(LeaseB);
        Assert.Equal(200, changed.GetRawResponse().Status);
        Assert.Equal(LeaseB, changed.Value.LeaseId);
        Assert.Equal(LeaseB, lease.LeaseId);

        // Acquire again with the lease's own id: allowed, with the new duration (fixed now).
        var reacquired = await blob.GetBlobLeaseClient(LeaseB).AcquireAsync(TimeSpan.FromSeconds(60));
        Assert.Equal(LeaseB, reacquired.Value.LeaseId);
        Assert.Equal(LeaseDurationType.Fixed, (await blob.GetPropertiesAsync()).Value.LeaseDuration);

        var released = await lease.ReleaseAsync();
        Assert.Equal(200, released.GetRawResponse().Status);
        var after = (await blob.GetPropertiesAsync()).Value;
        Assert.Equal(LeaseState.Available, after.LeaseState);
        Assert.Equal(LeaseStatus.Unlocked, after.LeaseStatus);

        // Anyone may take it now; a lease the server names when none is proposed is a GUID.
        var raw = await this.raw.SendAsync(HttpMethod.Put, StrongroomProcess.DevAccountName, $"/{container.Name}/{blob.Name}?comp=lease", signer, headers: new Dictionary<string, string> { ["x-ms-lease-action"] = "acquire", ["x-ms-lease-duration"] = "15" });
        AzureAssert.Status(raw, 201);
        Assert.True(Guid.TryParse(raw.Header("x-ms-lease-id"), out _), raw.ToString());
        Assert.NotNull(raw.Header("ETag"));
        Assert.NotNull(raw.Header("Last-Modified"));
    }

    [Fact]
    public async Task Every_lease_action_refused_by_azures_table_is_refused_with_its_code()
    {
        var container = await NewContainerAsync("leaserefusals");
        var blob = await NewBlobAsync(container);

        // Available.
        await AzureAssert.FailsAsync(409, "LeaseIdMismatchWithLeaseOperation", () => blob.GetBlobLeaseClient(LeaseA).RenewAsync());
        await AzureAssert.FailsAsync(409, "LeaseIdMismatchWithLeaseOperation", () => blob.GetBlobLeaseClient(LeaseA).ReleaseAsync());
        await AzureAssert.FailsAsync(409, "LeaseNotPresentWithLeaseOperation", () => blob.GetBlobLeaseClient(LeaseA).ChangeAsync(LeaseB));
        await AzureAssert.FailsAsync(409, "LeaseNotPresentWithLeaseOperation", () => blob.GetBlobLeaseClient().BreakAsync());

        // Leased (A).
        await blob.GetBlobLeaseClient(LeaseA).AcquireAsync(BlobLeaseClient.InfiniteLeaseDuration);
        await AzureAssert.FailsAsync(409, "LeaseAlreadyPresent", () => blob.GetBlobLeaseClient(LeaseB).AcquireAsync(BlobLeaseClient.InfiniteLeaseDuration));
        await AzureAssert.FailsAsync(409, "LeaseIdMismatchWithLeaseOperation", () => blob.GetBlobLeaseClient(LeaseB).RenewAsync());
        await AzureAssert.FailsAsync(409, "LeaseIdMismatchWithLeaseOperation", () => blob.GetBlobLeaseClient(LeaseB).ReleaseAsync());
        await AzureAssert.FailsAsync(409, "LeaseIdMismatchWithLeaseOperation", () => blob.GetBlobLeaseClient(LeaseB).ChangeAsync(LeaseC));

        // A change retried after it applied (B to A while the lease is A) succeeds, as Azure's table says.
        Assert.Equal(LeaseA, (await blob.GetBlobLeaseClient(LeaseB).ChangeAsync(LeaseA)).Value.LeaseId);

        // Breaking (A): a break period of 60 s outlives the test.
        var breaking = await blob.GetBlobLeaseClient().BreakAsync(TimeSpan.FromSeconds(60));
        Assert.Equal(202, breaking.GetRawResponse().Status);
        Assert.InRange(breaking.Value.LeaseTime ?? -1, 59, 60);
        var properties = (await blob.GetPropertiesAsync()).Value;
        Assert.Equal(LeaseState.Breaking, properties.LeaseState);
        Assert.Equal(LeaseStatus.Locked, properties.LeaseStatus);
        await AzureAssert.FailsAsync(409, "LeaseIsBreakingAndCannotBeAcquired", () => blob.GetBlobLeaseClient(LeaseA).AcquireAsync(BlobLeaseClient.InfiniteLeaseDuration));
        await AzureAssert.FailsAsync(409, "LeaseAlreadyPresent", () => blob.GetBlobLeaseClient(LeaseB).AcquireAsync(BlobLeaseClient.InfiniteLeaseDuration));
        await AzureAssert.FailsAsync(409, "LeaseIsBrokenAndCannotBeRenewed", () => blob.GetBlobLeaseClient(LeaseA).RenewAsync());
        await AzureAssert.FailsAsync(409, "LeaseIdMismatchWithLeaseOperation", () => blob.GetBlobLeaseClient(LeaseB).RenewAsync());
        await AzureAssert.FailsAsync(409, "LeaseIsBreakingAndCannotBeChanged", () => blob.GetBlobLeaseClient(LeaseA).ChangeAsync(LeaseB));
        await AzureAssert.FailsAsync(409, "LeaseIdMismatchWithLeaseOperation", () => blob.GetBlobLeaseClient(LeaseB).ChangeAsync(LeaseC));

        // A second break may shorten the period (here to nothing): Broken (A).
        var broken = await blob.GetBlobLeaseClient().BreakAsync(TimeSpan.Zero);
        Assert.Equal(0, broken.Value.LeaseTime);
        properties = (await blob.GetPropertiesAsync()).Value;
        Assert.Equal(LeaseState.Broken, properties.LeaseState);
        Assert.Equal(LeaseStatus.Unlocked, properties.LeaseStatus);
        await AzureAssert.FailsAsync(409, "LeaseIsBrokenAndCannotBeRenewed", () => blob.GetBlobLeaseClient(LeaseA).RenewAsync());
        await AzureAssert.FailsAsync(409, "LeaseNotPresentWithLeaseOperation", () => blob.GetBlobLeaseClient(LeaseA).ChangeAsync(LeaseB));
        await AzureAssert.FailsAsync(409, "LeaseIdMismatchWithLeaseOperation", () => blob.GetBlobLeaseClient(LeaseB).ReleaseAsync());
        Assert.Equal(202, (await blob.GetBlobLeaseClient().BreakAsync()).GetRawResponse().Status);

        // Broken (A) may be released by A, or acquired by anyone.
        await blob.GetBlobLeaseClient(LeaseA).ReleaseAsync();
        Assert.Equal(LeaseState.Available, (await blob.GetPropertiesAsync()).Value.LeaseState);
        await blob.GetBlobLeaseClient(LeaseA).AcquireAsync(BlobLeaseClient.InfiniteLeaseDuration);
        await blob.GetBlobLeaseClient().BreakAsync(TimeSpan.Zero);
        Assert.Equal(LeaseC, (await blob.GetBlobLeaseClient(LeaseC).AcquireAsync(TimeSpan.FromSeconds(15))).Value.LeaseId);

        // Leases on missing things.
        await AzureAssert.FailsAsync(404, "BlobNotFound", () => container.GetBlobClient("missing").GetBlobLeaseClient().AcquireAsync(BlobLeaseClient.InfiniteLeaseDuration));
        await AzureAssert.FailsAsync(404, "ContainerNotFound", () => fixture.Service.GetBlobContainerClient("no-such-container").GetBlobLeaseClient().AcquireAsync(BlobLeaseClient.InfiniteLeaseDuration));
    }

    [Fact]
    public async Task Writes_and_deletes_of_a_leased_blob_need_its_lease_id_and_reads_check_one_given()
    {
        var container = await NewContainerAsync("leasedwrites");
        var blob = await NewBlobAsync(container);
        await blob.GetBlobLeaseClient(LeaseA).AcquireAsync(BlobLeaseClient.InfiniteLeaseDuration);
        var none = new BlobRequestConditions();
        var right = new BlobRequestConditions { LeaseId = LeaseA };
        var wrong = new BlobRequestConditions { LeaseId = LeaseB };

        var writes = new (string Name, Func<BlobRequestConditions, Task> Call)[]
        {
            ("Put Blob", c => blob.UploadAsync(BinaryData.FromString("overwritten"), new BlobUploadOptions { Conditions = c })),
            ("Set Blob Metadata", c => blob.SetMetadataAsync(new Dictionary<string, string> { ["k"] = "v" }, c)),
            ("Set Blob Properties", c => blob.SetHttpHeadersAsync(new BlobHttpHeaders { ContentType = "text/plain" }, c)),
            ("Put Block", c => container.GetBlockBlobClient(blob.Name).StageBlockAsync(BlockId(1), BinaryData.FromString("block").ToStream(), new BlockBlobStageBlockOptions { Conditions = c })),
            ("Put Block List", c => container.GetBlockBlobClient(blob.Name).CommitBlockListAsync([BlockId(1)], new CommitBlockListOptions { Conditions = c })),
            ("Copy Blob (destination)", c => blob.SyncCopyFromUriAsync(container.GetBlobClient("source.txt").Uri, new BlobCopyFromUriOptions { DestinationConditions = c })),
        };
        await NewBlobAsync(container, "source.txt");
        foreach (var (name, call) in writes)
        {
            await AzureAssert.FailsAsync(412, "LeaseIdMissing", () => call(none), name);
            await AzureAssert.FailsAsync(412, "LeaseIdMismatchWithBlobOperation", () => call(wrong), name);
            await call(right);
        }

        // The lease survives every write under it, overwrites included.
        var properties = (await blob.GetPropertiesAsync()).Value;
        Assert.Equal(LeaseState.Leased, properties.LeaseState);

        // Reads take no lease id, but one given must be the lease's.
        Assert.Equal(LeaseState.Leased, (await blob.GetPropertiesAsync(right)).Value.LeaseState);
        await AzureAssert.FailsAsync(412, "LeaseIdMismatchWithBlobOperation", () => blob.GetPropertiesAsync(wrong));
        await AzureAssert.FailsAsync(412, "LeaseIdMismatchWithBlobOperation", () => blob.DownloadContentAsync(new BlobDownloadOptions { Conditions = wrong }));
        Assert.Equal("original", (await blob.DownloadContentAsync(new BlobDownloadOptions { Conditions = right })).Value.Content.ToString());

        await AzureAssert.FailsAsync(412, "LeaseIdMissing", () => blob.DeleteAsync());
        await AzureAssert.FailsAsync(412, "LeaseIdMismatchWithBlobOperation", () => blob.DeleteAsync(conditions: wrong));
        Assert.True((await blob.ExistsAsync()).Value);
        await blob.DeleteAsync(conditions: right);

        // The lease went with the blob: a new blob of the name is available, and naming the old lease is refused.
        await NewBlobAsync(container);
        Assert.Equal(LeaseState.Available, (await blob.GetPropertiesAsync()).Value.LeaseState);
        await AzureAssert.FailsAsync(412, "LeaseNotPresentWithBlobOperation", () => blob.SetMetadataAsync(new Dictionary<string, string>(), right));
        await AzureAssert.FailsAsync(412, "LeaseNotPresentWithBlobOperation", () => blob.GetPropertiesAsync(right));
        await AzureAssert.FailsAsync(412, "LeaseNotPresentWithBlobOperation", () => container.GetBlobClient("new.txt").UploadAsync(BinaryData.FromString("x"), new BlobUploadOptions { Conditions = right }));
        Assert.False((await container.GetBlobClient("new.txt").ExistsAsync()).Value);

        // A broken lease no longer locks: writes go through without an id, and the id it had is lost.
        await blob.GetBlobLeaseClient(LeaseA).AcquireAsync(BlobLeaseClient.InfiniteLeaseDuration);
        await blob.GetBlobLeaseClient().BreakAsync(TimeSpan.Zero);
        await AzureAssert.FailsAsync(412, "LeaseLost", () => blob.SetMetadataAsync(new Dictionary<string, string>(), right));
        await blob.SetMetadataAsync(new Dictionary<string, string> { ["after"] = "break" });
        Assert.Equal(LeaseState.Available, (await blob.GetPropertiesAsync()).Value.LeaseState);
    }

    [Fact]
    public async Task Lease_conditions_are_checked_with_the_lease_and_listings_report_leases()
    {
        var container = await NewContainerAsync("leaselisting");
        var leased = await NewBlobAsync(container, "a-leased.txt");
        var broken = await NewBlobAsync(container, "b-broken.txt");
        await NewBlobAsync(container, "c-free.txt");
        var properties = (await leased.GetPropertiesAsync()).Value;

        await AzureAssert.FailsAsync(412, "ConditionNotMet", () => leased.GetBlobLeaseClient(LeaseA).AcquireAsync(TimeSpan.FromSeconds(30), new Azure.RequestConditions { IfNoneMatch = properties.ETag }));
        await leased.GetBlobLeaseClient(LeaseA).AcquireAsync(TimeSpan.FromSeconds(30), new Azure.RequestConditions { IfMatch = properties.ETag });
        await broken.GetBlobLeaseClient(LeaseB).AcquireAsync(BlobLeaseClient.InfiniteLeaseDuration);
        await broken.GetBlobLeaseClient().BreakAsync(TimeSpan.Zero);

        var items = new Dictionary<string, BlobItemProperties>();
        await foreach (var item in container.GetBlobsAsync())
        {
            items[item.Name] = item.Properties;
        }

        Assert.Equal((LeaseState.Leased, LeaseStatus.Locked, LeaseDurationType.Fixed), (items["a-leased.txt"].LeaseState, items["a-leased.txt"].LeaseStatus, items["a-leased.txt"].LeaseDuration));
        Assert.Equal((LeaseState.Broken, LeaseStatus.Unlocked, (LeaseDurationType?)null), (items["b-broken.txt"].LeaseState, items["b-broken.txt"].LeaseStatus, items["b-broken.txt"].LeaseDuration));
        Assert.Equal((LeaseState.Available, LeaseStatus.Unlocked), (items["c-free.txt"].LeaseState, items["c-free.txt"].LeaseStatus));

        var listing = await raw.SendAsync(HttpMethod.Get, StrongroomProcess.DevAccountName, $"/{container.Name}?restype=container&comp=list", signer);
        AzureAssert.Status(listing, 200);
        Assert.Contains("<LeaseStatus>locked</LeaseStatus><LeaseState>leased</LeaseState><LeaseDuration>fixed</LeaseDuration>", listing.BodyText, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_container_lease_guards_delete_and_checks_metadata_and_properties()
    {
        var container = await NewContainerAsync("containerlease");
        var lease = container.GetBlobLeaseClient(LeaseA);
        var acquired = await lease.AcquireAsync(BlobLeaseClient.InfiniteLeaseDuration);
        Assert.Equal(201, acquired.GetRawResponse().Status);
        Assert.Equal(LeaseA, acquired.Value.LeaseId);

        var properties = (await container.GetPropertiesAsync()).Value;
        Assert.Equal((LeaseState.Leased, LeaseStatus.Locked, LeaseDurationType.Infinite), (properties.LeaseState, properties.LeaseStatus, properties.LeaseDuration));
        await foreach (var item in fixture.Service.GetBlobContainersAsync(prefix: container.Name))
        {
            Assert.Equal(LeaseState.Leased, item.Properties.LeaseState);
            Assert.Equal(LeaseDurationType.Infinite, item.Properties.LeaseDuration);
        }

        var right = new BlobRequestConditions { LeaseId = LeaseA };
        var wrong = new BlobRequestConditions { LeaseId = LeaseB };

        // Set Container Metadata takes the lease id optionally; a wrong one is refused.
        await container.SetMetadataAsync(new Dictionary<string, string> { ["k"] = "v" });
        await container.SetMetadataAsync(new Dictionary<string, string> { ["k"] = "w" }, right);
        await AzureAssert.FailsAsync(412, "LeaseIdMismatchWithContainerOperation", () => container.SetMetadataAsync(new Dictionary<string, string>(), wrong));
        await AzureAssert.FailsAsync(412, "LeaseIdMismatchWithContainerOperation", () => container.GetPropertiesAsync(new BlobRequestConditions { LeaseId = LeaseB }));

        // Blobs in a leased container are written as usual.
        await NewBlobAsync(container);

        // The state machine is the blob's, with the container's errors.
        await AzureAssert.FailsAsync(409, "LeaseAlreadyPresent", () => container.GetBlobLeaseClient(LeaseB).AcquireAsync(BlobLeaseClient.InfiniteLeaseDuration));
        await AzureAssert.FailsAsync(409, "LeaseIdMismatchWithLeaseOperation", () => container.GetBlobLeaseClient(LeaseB).ReleaseAsync());
        Assert.Equal(LeaseB, (await lease.ChangeAsync(LeaseB)).Value.LeaseId);
        right = new BlobRequestConditions { LeaseId = LeaseB };
        wrong = new BlobRequestConditions { LeaseId = LeaseA };

        await AzureAssert.FailsAsync(412, "LeaseIdMissing", () => container.DeleteAsync());
        await AzureAssert.FailsAsync(412, "LeaseIdMismatchWithContainerOperation", () => container.DeleteAsync(wrong));
        Assert.True((await container.ExistsAsync()).Value);

        var breaking = await container.GetBlobLeaseClient().BreakAsync(TimeSpan.FromSeconds(60));
        Assert.Equal(202, breaking.GetRawResponse().Status);
        Assert.Equal(LeaseState.Breaking, (await container.GetPropertiesAsync()).Value.LeaseState);
        await AzureAssert.FailsAsync(412, "LeaseIdMissing", () => container.DeleteAsync());
        await container.DeleteAsync(right);
        Assert.False((await container.ExistsAsync()).Value);

        // A container without a lease refuses an id on delete.
        var free = await NewContainerAsync("containerfree");
        await AzureAssert.FailsAsync(412, "LeaseNotPresentWithContainerOperation", () => free.DeleteAsync(right));
        await AzureAssert.FailsAsync(409, "LeaseNotPresentWithLeaseOperation", () => free.GetBlobLeaseClient().BreakAsync());
    }

    [Theory]
    [InlineData(null, "15", "x-ms-lease-action", 400, "MissingRequiredHeader")]
    [InlineData("grab", "15", "x-ms-lease-action", 400, "InvalidHeaderValue")]
    [InlineData("acquire", null, "x-ms-lease-duration", 400, "MissingRequiredHeader")]
    [InlineData("acquire", "14", "x-ms-lease-duration", 400, "InvalidHeaderValue")]
    [InlineData("acquire", "61", "x-ms-lease-duration", 400, "InvalidHeaderValue")]
    [InlineData("acquire", "0", "x-ms-lease-duration", 400, "InvalidHeaderValue")]
    [InlineData("acquire", "forever", "x-ms-lease-duration", 400, "InvalidHeaderValue")]
    [InlineData("renew", null, "x-ms-lease-id", 400, "MissingRequiredHeader")]
    [InlineData("release", null, "x-ms-lease-id", 400, "MissingRequiredHeader")]
    public async Task Malformed_lease_requests_are_refused_with_the_header_named(string? action, string? duration, string header, int status, string code)
    {
        var container = await NewContainerAsync("leasemalformed");
        var blob = await NewBlobAsync(container);
        var headers = new Dictionary<string, string>();
        if (action is not null)
        {
            headers["x-ms-lease-action"] = action;
        }

        if (duration is not null)
        {
            headers["x-ms-lease-duration"] = duration;
        }

        foreach (var path in new[] { $"/{container.Name}/{blob.Name}?comp=lease", $"/{container.Name}?restype=container&comp=lease" })
        {
            var response = await raw.SendAsync(HttpMethod.Put, StrongroomProcess.DevAccountName, path, signer, headers: headers);
            AzureAssert.Status(response, status, code, path);
            Assert.Contains(header, response.BodyText, StringComparison.Ordinal);
        }
    }

    [Fact]
    public async Task Lease_ids_that_are_not_guids_and_break_periods_out_of_range_are_refused()
    {
        var container = await NewContainerAsync("leaseids");
        var blob = await NewBlobAsync(container);
        var path = $"/{container.Name}/{blob.Name}?comp=lease";
        var cases = new (Dictionary<string, string> Headers, string Header)[]
        {
            (new() { ["x-ms-lease-action"] = "acquire", ["x-ms-lease-duration"] = "-1", ["x-ms-proposed-lease-id"] = "not-a-guid" }, "x-ms-proposed-lease-id"),
            (new() { ["x-ms-lease-action"] = "renew", ["x-ms-lease-id"] = "123" }, "x-ms-lease-id"),
            (new() { ["x-ms-lease-action"] = "change", ["x-ms-lease-id"] = LeaseA }, "x-ms-proposed-lease-id"),
            (new() { ["x-ms-lease-action"] = "break", ["x-ms-lease-break-period"] = "61" }, "x-ms-lease-break-period"),
            (new() { ["x-ms-lease-action"] = "break", ["x-ms-lease-break-period"] = "-1" }, "x-ms-lease-break-period"),
        };
        foreach (var (headers, header) in cases)
        {
            var response = await raw.SendAsync(HttpMethod.Put, StrongroomProcess.DevAccountName, path, signer, headers: headers);
            Assert.True(response.Status == 400 && response.ErrorCode is "InvalidHeaderValue" or "MissingRequiredHeader", response.ToString());
            Assert.Contains(header, response.BodyText, StringComparison.Ordinal);
        }

        // A malformed x-ms-lease-id on any other operation is refused the same way, and writes nothing.
        var put = await raw.SendAsync(HttpMethod.Put, StrongroomProcess.DevAccountName, $"/{container.Name}/other.txt", signer, body: [1, 2, 3], headers: new Dictionary<string, string> { ["x-ms-blob-type"] = "BlockBlob", ["x-ms-lease-id"] = "zzz" });
        AzureAssert.Status(put, 400, "InvalidHeaderValue");
        Assert.False((await container.GetBlobClient("other.txt").ExistsAsync()).Value);
        Assert.Equal(LeaseState.Available, (await blob.GetPropertiesAsync()).Value.LeaseState);
    }

    private static string BlockId(int n) => Convert.ToBase64String(BitConverter.GetBytes(n));
}
