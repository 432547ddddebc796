using System.Text;
using Strongroom.Audit;
using Strongroom.Core;
using Strongroom.Placement;
using Strongroom.Storage;

namespace Strongroom.Access.Tests;

/// <summary>Cross-border transfers: who may ask and decide, the two approvals, expiry, and a run that copies exactly the approved data to exactly the approved site.</summary>
public sealed class TransferServiceTests : IAsyncLifetime
{
    private static readonly AuthenticatedPrincipal SystemAdmin = new(PrincipalKind.Operator, PrincipalIds.NoAccount, "sam", OperatorRole.SystemAdmin, "s1");
    private static readonly AuthenticatedPrincipal SecurityAdmin = new(PrincipalKind.Operator, PrincipalIds.NoAccount, "sec", OperatorRole.SecurityAdmin, "s2");
    private static readonly AuthenticatedPrincipal AuditAdmin = new(PrincipalKind.Operator, PrincipalIds.NoAccount, "aud", OperatorRole.AuditAdmin, "s3");
    private static readonly AuthenticatedPrincipal Alice = new(PrincipalKind.TenantAdmin, AccessFixture.Account, "alice", null, "s4");
    private static readonly AuthenticatedPrincipal Bob = new(PrincipalKind.TenantAdmin, AccessFixture.Account, "bob", null, "s5");
    private static readonly AuthenticatedPrincipal Gina = new(PrincipalKind.TenantAdmin, AccessFixture.OtherAccount, "gina", null, "s6");

    private readonly AccessFixture fixture = new();

    private TransferService Transfers => fixture.Transfers;

    public Task InitializeAsync() => fixture.InitializeAsync();

    public Task DisposeAsync() => fixture.DisposeAsync();

    private static TransferSpec Spec(string? prefix = "a/", string site = AccessFixture.EuSite, string container = "photos", string reference = "CAC-2026-0042", string purpose = "Group audit in Frankfurt") =>
        new(AccessFixture.Account, container, prefix, site, TransferLegalBasis.StandardContract, reference, purpose);

    private static async Task<ErrorCode> RefusedAsync(Func<Task> call) => (await Assert.ThrowsAsync<StorageException>(call)).Code;

    [Fact]
    public async Task A_request_is_validated()
    {
        Assert.Equal(ErrorCode.InvalidAccessRequest, await RefusedAsync(() => Transfers.RequestAsync(SystemAdmin, Spec(site: AccessFixture.CnSecondSite))));
        Assert.Equal(ErrorCode.SiteNotFound, await RefusedAsync(() => Transfers.RequestAsync(SystemAdmin, Spec(site: "nowhere"))));
        Assert.Equal(ErrorCode.ContainerNotFound, await RefusedAsync(() => Transfers.RequestAsync(SystemAdmin, Spec(container: "absent"))));
        Assert.Equal(ErrorCode.InvalidAccessRequest, await RefusedAsync(() => Transfers.RequestAsync(SystemAdmin, Spec(reference: " "))));
        Assert.Equal(ErrorCode.InvalidAccessRequest, await RefusedAsync(() => Transfers.RequestAsync(SystemAdmin, Spec(reference: new string('r', Limits.JustificationCharsMax + 1)))));
        Assert.Equal(ErrorCode.InvalidAccessRequest, await RefusedAsync(() => Transfers.RequestAsync(SystemAdmin, Spec(purpose: ""))));
        Assert.Equal(ErrorCode.InvalidAccessRequest, await RefusedAsync(() => Transfers.RequestAsync(SystemAdmin, Spec(prefix: ""))));
        Assert.Equal(ErrorCode.InvalidAccessRequest, await RefusedAsync(() => Transfers.RequestAsync(SystemAdmin, Spec() with { LegalBasis = (TransferLegalBasis)9 })));
        Assert.Equal(ErrorCode.RoleNotPermitted, await RefusedAsync(() => Transfers.RequestAsync(SecurityAdmin, Spec())));
        Assert.Equal(ErrorCode.RoleNotPermitted, await RefusedAsync(() => Transfers.RequestAsync(AuditAdmin, Spec())));
        Assert.Equal(ErrorCode.RoleNotPermitted, await RefusedAsync(() => Transfers.RequestAsync(Gina, Spec())));
        Assert.Empty(await Transfers.ListAsync(SystemAdmin, null, null));
        Assert.Empty(await fixture.EntriesAsync(AccessFixture.Account));

        var request = await Transfers.RequestAsync(Alice, Spec());
        Assert.Equal(TransferState.Requested, request.State);
        Assert.Equal("acme/alice", request.Requester);
        Assert.Equal(AccessFixture.Start + Limits.AccessRequestPendingDefault, request.PendingExpiresOn);
        var entry = Assert.Single(await fixture.EntriesAsync(AccessFixture.Account));
        Assert.Equal(AuditActions.TransferRequest, entry.Action);
        Assert.Equal("acme/alice", entry.Actor.Id);
        Assert.Equal("Group audit in Frankfurt", entry.Justification);
        Assert.Equal([AccessFixture.EuSite], entry.Sites);
        Assert.Equal(["EU"], entry.Jurisdictions);
        Assert.Contains(entry.Details, detail => detail.Key == "legalReference" && detail.Value == "CAC-2026-0042");
    }

    [Fact]
    public async Task The_requester_cannot_approve_and_only_the_two_approvers_can()
    {
        var request = await Transfers.RequestAsync(Alice, Spec());
        Assert.Equal(ErrorCode.SelfApprovalNotAllowed, await RefusedAsync(() => Transfers.ApproveAsync(Alice, request.Id)));
        Assert.Equal(ErrorCode.SelfApprovalNotAllowed, await RefusedAsync(() => Transfers.DenyAsync(Alice, request.Id, null)));
        Assert.Equal(ErrorCode.RoleNotPermitted, await RefusedAsync(() => Transfers.ApproveAsync(AuditAdmin, request.Id)));
        Assert.Equal(ErrorCode.RoleNotPermitted, await RefusedAsync(() => Transfers.ApproveAsync(SystemAdmin, request.Id)));
        Assert.Equal(ErrorCode.TransferNotFound, await RefusedAsync(() => Transfers.ApproveAsync(Gina, request.Id)));
        Assert.Equal(ErrorCode.TransferNotFound, await RefusedAsync(() => Transfers.GetAsync(Gina, request.Id)));
        Assert.Empty(await Transfers.ListAsync(Gina, AccessFixture.Account, null));

        var tenant = await Transfers.ApproveAsync(Bob, request.Id);
        Assert.Equal(TransferState.Requested, tenant.State);
        Assert.Equal("acme/bob", tenant.TenantApprover);
        Assert.Equal(ErrorCode.SelfApprovalNotAllowed, await RefusedAsync(() => Transfers.ApproveAsync(Bob, request.Id)));

        // One approval is not enough to copy anything.
        Assert.Equal(ErrorCode.TransferNotApproved, await RefusedAsync(() => Transfers.RunAsync(SystemAdmin, request.Id)));

        var approved = await Transfers.ApproveAsync(SecurityAdmin, request.Id);
        Assert.Equal(TransferState.Approved, approved.State);
        Assert.Equal("sec", approved.SecurityApprover);
        Assert.Equal("sec", approved.DecidedBy);
        Assert.Equal(ErrorCode.InvalidAccessState, await RefusedAsync(() => Transfers.DenyAsync(Bob, request.Id, "changed my mind")));
        Assert.Equal(ErrorCode.RoleNotPermitted, await RefusedAsync(() => Transfers.RunAsync(SecurityAdmin, request.Id)));
        Assert.Equal(ErrorCode.RoleNotPermitted, await RefusedAsync(() => Transfers.RunAsync(Bob, request.Id)));

        var actions = (await fixture.EntriesAsync(AccessFixture.Account)).Select(entry => (entry.Action, entry.Actor.Id)).ToList();
        Assert.Equal([(AuditActions.TransferRequest, "acme/alice"), (AuditActions.TransferApprove, "acme/bob"), (AuditActions.TransferApprove, "sec")], actions);
    }

    [Fact]
    public async Task A_denial_is_final()
    {
        var request = await Transfers.RequestAsync(SystemAdmin, Spec());
        await Transfers.ApproveAsync(SecurityAdmin, request.Id);
        var denied = await Transfers.DenyAsync(Alice, request.Id, "not under this contract");
        Assert.Equal(TransferState.Denied, denied.State);
        Assert.Equal("acme/alice", denied.DecidedBy);
        Assert.Equal(ErrorCode.InvalidAccessState, await RefusedAsync(() => Transfers.ApproveAsync(Bob, request.Id)));
        Assert.Equal(ErrorCode.TransferNotApproved, await RefusedAsync(() => Transfers.RunAsync(SystemAdmin, request.Id)));
        var deny = (await fixture.EntriesAsync(AccessFixture.Account)).Last();
        Assert.Equal(AuditActions.TransferDeny, deny.Action);
        Assert.Contains(deny.Details, detail => detail.Key == "reason" && detail.Value == "not under this contract");
    }

    [Fact]
    public async Task A_request_not_decided_in_time_expires()
    {
        var request = await Transfers.RequestAsync(SystemAdmin, Spec());
        await Transfers.ApproveAsync(Alice, request.Id);
        fixture.Time.Advance(Limits.AccessRequestPendingDefault - TimeSpan.FromSeconds(1));
        Assert.Equal(0, await Transfers.ExpireDueAsync());
        fixture.Time.Advance(TimeSpan.FromSeconds(1));
        Assert.Equal(1, await Transfers.ExpireDueAsync());
        Assert.Equal(0, await Transfers.ExpireDueAsync());
        Assert.Equal(TransferState.Expired, (await Transfers.GetAsync(Alice, request.Id)).State);
        Assert.Equal(ErrorCode.InvalidAccessState, await RefusedAsync(() => Transfers.ApproveAsync(SecurityAdmin, request.Id)));
        var expiry = (await fixture.EntriesAsync(AccessFixture.Account)).Last();
        Assert.Equal(AuditActions.TransferExpire, expiry.Action);
        Assert.Equal(ActorKind.System, expiry.Actor.Kind);

        // Deciding one past its time expires it on the spot, without the sweep.
        var late = await Transfers.RequestAsync(SystemAdmin, Spec());
        fixture.Time.Advance(Limits.AccessRequestPendingDefault);
        Assert.Equal(ErrorCode.InvalidAccessState, await RefusedAsync(() => Transfers.ApproveAsync(Alice, late.Id)));
        Assert.Equal(TransferState.Expired, (await Transfers.GetAsync(SystemAdmin, late.Id)).State);
    }

    [Fact]
    public async Task A_run_copies_exactly_the_approved_blobs_to_exactly_the_site_once()
    {
        await fixture.Store.CreateContainerAsync(new ContainerRecord(AccessFixture.Account, "docs", "\"0x1\"", fixture.Time.GetUtcNow(), fixture.Time.GetUtcNow(), []));
        var inScope1 = await fixture.PutBlobAsync(AccessFixture.Account, "photos", "a/1.jpg", Encoding.UTF8.GetBytes("first"));
        var inScope2 = await fixture.PutBlobAsync(AccessFixture.Account, "photos", "a/2.jpg", Encoding.UTF8.GetBytes("second, longer"));
        var outsidePrefix = await fixture.PutBlobAsync(AccessFixture.Account, "photos", "b/1.jpg", Encoding.UTF8.GetBytes("not this"));
        var escape = await fixture.PutBlobAsync(AccessFixture.Account, "photos", "a", Encoding.UTF8.GetBytes("nor this"));
        var otherContainer = await fixture.PutBlobAsync(AccessFixture.Account, "docs", "a/1.jpg", Encoding.UTF8.GetBytes("nor this one"));
        var otherAccount = await fixture.PutBlobAsync(AccessFixture.OtherAccount, "photos", "a/1.jpg", Encoding.UTF8.GetBytes("never"));

        var request = await Transfers.RequestAsync(SystemAdmin, Spec());
        await Transfers.ApproveAsync(Alice, request.Id);
        await Transfers.ApproveAsync(SecurityAdmin, request.Id);
        var entriesBefore = (await fixture.EntriesAsync(AccessFixture.Account)).Count;

        var done = await Transfers.RunAsync(SystemAdmin, request.Id);
        Assert.Equal(TransferState.Completed, done.State);
        Assert.Equal(fixture.Time.GetUtcNow(), done.CompletedOn);
        Assert.Equal(2, done.ObjectsCopied);
        Assert.Equal(inScope1.CiphertextLength + inScope2.CiphertextLength, done.BytesCopied);

        // The destination holds exactly the approved objects, byte for byte; no other site got anything new.
        Assert.Equal(
            new[] { inScope1.ObjectId, inScope2.ObjectId }.Order(StringComparer.Ordinal),
            ObjectsOn(AccessFixture.EuSite).Order(StringComparer.Ordinal));
        foreach (var stored in new[] { inScope1, inScope2 })
        {
            Assert.Equal(await ReadAsync(AccessFixture.CnSite, stored.ObjectId), await ReadAsync(AccessFixture.EuSite, stored.ObjectId));
        }

        foreach (var stored in new[] { outsidePrefix, escape, otherContainer, otherAccount })
        {
            Assert.DoesNotContain(stored.ObjectId, ObjectsOn(AccessFixture.EuSite));
        }

        var location = await fixture.Placement.GetLocationsAsync(AccessFixture.Account, "photos", "a/1.jpg", null, 10);
        var copy = Assert.Single(location.Blobs.Single().Objects.Single().Copies, copy => copy.SiteId == AccessFixture.EuSite);
        Assert.Equal(request.Id, copy.TransferId);
        Assert.Equal("EU", copy.Jurisdiction);
        Assert.All(location.Blobs.Single().Objects.Single().Copies.Where(other => other.SiteId != AccessFixture.EuSite), other => Assert.Null(other.TransferId));

        var entries = (await fixture.EntriesAsync(AccessFixture.Account)).Skip(entriesBefore).ToList();
        Assert.Equal([AuditActions.TransferCopy, AuditActions.TransferCopy, AuditActions.TransferComplete], entries.Select(entry => entry.Action));
        Assert.Equal(["/acme/photos/a/1.jpg", "/acme/photos/a/2.jpg", "/acme/photos"], entries.Select(entry => entry.Resource));
        Assert.All(entries, entry =>
        {
            Assert.Equal("sam", entry.Actor.Id);
            Assert.Equal([AccessFixture.EuSite], entry.Sites);
            Assert.Equal(["EU"], entry.Jurisdictions);
            Assert.Equal("Group audit in Frankfurt", entry.Justification);
            Assert.Contains(entry.Details, detail => detail.Key == "transferId" && detail.Value == request.Id);
            Assert.Contains(entry.Details, detail => detail.Key == "legalBasis" && detail.Value == "standard-contract");
            Assert.Contains(entry.Details, detail => detail.Key == "legalReference" && detail.Value == "CAC-2026-0042");
        });
        Assert.Empty(await fixture.EntriesAsync(AccessFixture.OtherAccount));

        // Running it again copies nothing and records nothing.
        var again = await Transfers.RunAsync(SystemAdmin, request.Id);
        Assert.Equal(done, again);
        Assert.Equal(entriesBefore + 3, (await fixture.EntriesAsync(AccessFixture.Account)).Count);
    }

    [Fact]
    public async Task A_run_resumes_where_an_interrupted_one_stopped()
    {
        var first = await fixture.PutBlobAsync(AccessFixture.Account, "photos", "a/1.jpg", [1, 2, 3]);
        var second = await fixture.PutBlobAsync(AccessFixture.Account, "photos", "a/2.jpg", [4, 5, 6, 7]);
        var request = await Transfers.RequestAsync(SystemAdmin, Spec());
        await Transfers.ApproveAsync(Alice, request.Id);
        var approved = await Transfers.ApproveAsync(SecurityAdmin, request.Id);

        // Copy one object "by hand" as a run cut short would have left it.
        var copier = new TransferCopier(fixture.Store, fixture.Sites, fixture.Audit) { BlobsPerRunMax = 1 };
        var partial = await copier.RunAsync(TransferAuthorization.Of(approved));
        Assert.False(partial.Complete);
        Assert.Equal(1, partial.ObjectsCopied);

        var done = await Transfers.RunAsync(SystemAdmin, request.Id);
        Assert.Equal(TransferState.Completed, done.State);
        Assert.Equal(1, done.ObjectsCopied); // the service counts what its own runs copied
        Assert.Equal(new[] { first.ObjectId, second.ObjectId }.Order(StringComparer.Ordinal), ObjectsOn(AccessFixture.EuSite).Order(StringComparer.Ordinal));
        Assert.Equal(2, (await fixture.EntriesAsync(AccessFixture.Account)).Count(entry => entry.Action == AuditActions.TransferCopy));
    }

    [Fact]
    public async Task Without_an_approval_nothing_reaches_the_destination()
    {
        var stored = await fixture.PutBlobAsync(AccessFixture.Account, "photos", "a/1.jpg", [9, 9, 9]);
        var request = await Transfers.RequestAsync(SystemAdmin, Spec());
        Assert.Equal(ErrorCode.TransferNotApproved, await RefusedAsync(() => Transfers.RunAsync(SystemAdmin, request.Id)));
        Assert.Equal(ErrorCode.TransferNotApproved, Assert.Throws<StorageException>(() => TransferAuthorization.Of(request)).Code);

        // The ordinary write path still refuses the site outside the residency.
        var policy = fixture.Placement.Resolve((await fixture.Store.GetAccountAsync(AccessFixture.Account))!);
        await Assert.ThrowsAsync<InvariantViolationException>(() => fixture.Sites.Get(AccessFixture.EuSite).BeginWriteAsync(stored.ObjectId, policy));

        // An approved transfer writes only to its own site, only for blobs in its scope.
        await Transfers.ApproveAsync(Alice, request.Id);
        var authorization = TransferAuthorization.Of(await Transfers.ApproveAsync(SecurityAdmin, request.Id));
        Assert.Equal(ErrorCode.TransferNotApproved, (await Assert.ThrowsAsync<StorageException>(() => fixture.Sites.Get(AccessFixture.CnSite).BeginTransferWriteAsync(stored.ObjectId, authorization, AccessFixture.Account, "photos", "a/1.jpg"))).Code);
        Assert.Equal(ErrorCode.TransferNotApproved, (await Assert.ThrowsAsync<StorageException>(() => fixture.Sites.Get(AccessFixture.EuSite).BeginTransferWriteAsync(stored.ObjectId, authorization, AccessFixture.Account, "photos", "b/1.jpg"))).Code);
        Assert.Equal(ErrorCode.TransferNotApproved, (await Assert.ThrowsAsync<StorageException>(() => fixture.Sites.Get(AccessFixture.EuSite).BeginTransferWriteAsync(stored.ObjectId, authorization, AccessFixture.OtherAccount, "photos", "a/1.jpg"))).Code);
        Assert.Empty(ObjectsOn(AccessFixture.EuSite));
    }

    [Fact]
    public async Task A_transfer_copy_survives_scrub_and_repair_and_goes_with_its_blob()
    {
        var stored = await fixture.PutBlobAsync(AccessFixture.Account, "photos", "a/1.jpg", Encoding.UTF8.GetBytes("kept abroad"));
        var request = await Transfers.RequestAsync(SystemAdmin, Spec());
        await Transfers.ApproveAsync(Alice, request.Id);
        await Transfers.ApproveAsync(SecurityAdmin, request.Id);
        await Transfers.RunAsync(SystemAdmin, request.Id);

        // A pass scrubs every copy (the walk starts on the first pass) and converges the object to its policy.
        var pass = await fixture.Repair.RunPassAsync();
        Assert.Equal(3, pass.CopiesVerified);
        Assert.Equal(0, pass.CopiesMoved);
        Assert.Equal(0, pass.CopiesMade);
        var copies = await CopiesAsync("a/1.jpg");
        Assert.Contains(new ObjectCopy(AccessFixture.EuSite, CopyState.Present, request.Id), copies);
        Assert.Contains(stored.ObjectId, ObjectsOn(AccessFixture.EuSite));
        Assert.DoesNotContain(await fixture.EntriesAsync(AccessFixture.Account), entry => entry.Action is AuditActions.CopyRemoved or AuditActions.CopyCreated);

        // A corrupted transfer copy becomes Bad on the scrub, and repair neither moves nor remakes it; the transfer does.
        File.WriteAllBytes(ObjectPath(AccessFixture.EuSite, stored.ObjectId), Encoding.UTF8.GetBytes("tampered!!!"));
        fixture.Time.Advance(Limits.ScrubInterval);
        await fixture.Repair.RunPassAsync();
        Assert.Contains(new ObjectCopy(AccessFixture.EuSite, CopyState.Bad, request.Id), await CopiesAsync("a/1.jpg"));
        await fixture.Repair.RunPassAsync();
        Assert.Contains(new ObjectCopy(AccessFixture.EuSite, CopyState.Bad, request.Id), await CopiesAsync("a/1.jpg"));
        Assert.Equal(2, (await CopiesAsync("a/1.jpg")).Count(copy => copy.TransferId is null && copy.State == CopyState.Present));

        // Deleting the blob removes the transfer copy with the others.
        await fixture.DeleteBlobAsync(AccessFixture.Account, "photos", "a/1.jpg");
        Assert.Empty(ObjectsOn(AccessFixture.EuSite));
        Assert.Empty(ObjectsOn(AccessFixture.CnSite));
    }

    private async Task<IReadOnlyList<ObjectCopy>> CopiesAsync(string blob)
    {
        var page = await fixture.Store.ListBlobLocationsAsync(AccessFixture.Account, "photos", blob, null, 10);
        return page.Blobs.Single().Objects.Single().Copies;
    }

    private string ObjectPath(string siteId, string objectId) =>
        System.IO.Directory.EnumerateFiles(fixture.SiteDirectory(siteId), objectId, SearchOption.AllDirectories).Single();

    private List<string> ObjectsOn(string siteId) =>
        System.IO.Directory.Exists(fixture.SiteDirectory(siteId))
            ? System.IO.Directory.EnumerateFiles(fixture.SiteDirectory(siteId), "*", SearchOption.AllDirectories)
                .Select(Path.GetFileName)
                .Where(name => name!.Length == 32 && name.All(Uri.IsHexDigit))
                .Select(name => name!)
                .ToList()
            : [];

    private async Task<byte[]> ReadAsync(string siteId, string objectId)
    {
        await using var stream = await fixture.Sites.Get(siteId).OpenReadAsync(objectId);
        using var buffer = new MemoryStream();
        await stream.CopyToAsync(buffer);
        return buffer.ToArray();
    }
}
