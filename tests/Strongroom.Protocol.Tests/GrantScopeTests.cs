using Strongroom.Audit;
using Strongroom.Core;

namespace Strongroom.Protocol.Tests;

/// <summary>
/// What a lockbox grant reaches: read-only operations inside one container of one account (and
/// under its prefix), content only under read-data; everything else refused.
/// </summary>
public sealed class GrantScopeTests
{
    private const string Account = "tenant";
    private const string Container = "support";

    private static OperatorGrant Grant(LockboxAccess access = LockboxAccess.ReadData, string? prefix = null) =>
        new("lbx-1", Account, "alice", Container, prefix, access, DateTimeOffset.UnixEpoch.AddHours(1), "ticket 42");

    private static readonly BlobOperation[] MetadataReads =
    [
        BlobOperation.GetBlockList, BlobOperation.GetBlobProperties, BlobOperation.GetBlobMetadata,
        BlobOperation.GetBlobTags, BlobOperation.GetPageRanges,
    ];

    private static readonly BlobOperation[] ContainerReads =
    [
        BlobOperation.GetContainerProperties, BlobOperation.GetContainerMetadata, BlobOperation.GetContainerAcl,
    ];

    private static readonly BlobOperation[] ContentReads = [BlobOperation.GetBlob, BlobOperation.QueryBlobContents];

    private static bool IsContainerLevel(BlobOperation operation) => operation is
        BlobOperation.CreateContainer or BlobOperation.GetContainerProperties or BlobOperation.GetContainerMetadata
        or BlobOperation.SetContainerMetadata or BlobOperation.GetContainerAcl or BlobOperation.SetContainerAcl
        or BlobOperation.DeleteContainer or BlobOperation.RestoreContainer or BlobOperation.LeaseContainer or BlobOperation.ListBlobs;

    private static bool IsServiceLevel(BlobOperation operation) => operation is
        BlobOperation.ListContainers or BlobOperation.GetBlobServiceProperties or BlobOperation.SetBlobServiceProperties
        or BlobOperation.GetBlobServiceStats or BlobOperation.GetAccountInformation or BlobOperation.GetUserDelegationKey
        or BlobOperation.FindBlobsByTags or BlobOperation.SubmitBatch;

    /// <summary>Checks <paramref name="operation"/> addressed as the protocol layer would: service, container or blob.</summary>
    private static ErrorCode? Check(OperatorGrant grant, BlobOperation operation, string blob = "case/file.txt", string? listPrefix = null) =>
        IsServiceLevel(operation) ? GrantScope.Check(grant, operation, Account, null, null, null)
        : IsContainerLevel(operation) ? GrantScope.Check(grant, operation, Account, Container, null, listPrefix)
        : GrantScope.Check(grant, operation, Account, Container, blob, null);

    [Fact]
    public void Every_operation_is_classified_and_only_reads_inside_the_container_pass()
    {
        foreach (var operation in Enum.GetValues<BlobOperation>())
        {
            var allowed = MetadataReads.Contains(operation) || ContainerReads.Contains(operation) || ContentReads.Contains(operation) || operation == BlobOperation.ListBlobs;
            Assert.True(
                (Check(Grant(), operation) is null) == allowed,
                $"{operation} under a read-data grant: expected {(allowed ? "allowed" : "refused")}");
        }
    }

    [Fact]
    public void Writes_are_refused_whatever_the_access()
    {
        foreach (var operation in Enum.GetValues<BlobOperation>().Where(operation => !TransparencyLog.IsRead(operation)))
        {
            Assert.Equal(ErrorCode.GrantScopeMismatch, Check(Grant(LockboxAccess.ReadData), operation));
            Assert.Equal(ErrorCode.GrantScopeMismatch, Check(Grant(LockboxAccess.Metadata), operation));
        }

        Assert.Equal(ErrorCode.GrantScopeMismatch, Check(Grant(), BlobOperation.GetUserDelegationKey));
    }

    [Fact]
    public void A_metadata_grant_reads_properties_and_listings_but_never_content()
    {
        var grant = Grant(LockboxAccess.Metadata);
        foreach (var operation in MetadataReads.Concat(ContainerReads).Append(BlobOperation.ListBlobs))
        {
            Assert.Null(Check(grant, operation));
        }

        foreach (var operation in ContentReads)
        {
            Assert.Equal(ErrorCode.GrantScopeMismatch, Check(grant, operation));
            Assert.Null(Check(Grant(LockboxAccess.ReadData), operation));
        }
    }

    [Fact]
    public void Account_level_operations_are_outside_a_container_scope()
    {
        foreach (var operation in new[] { BlobOperation.ListContainers, BlobOperation.GetBlobServiceProperties, BlobOperation.GetBlobServiceStats, BlobOperation.GetAccountInformation, BlobOperation.FindBlobsByTags })
        {
            Assert.Equal(ErrorCode.GrantScopeMismatch, GrantScope.Check(Grant(), operation, Account, null, null, null));
        }
    }

    [Fact]
    public void Another_account_or_container_is_refused()
    {
        var grant = Grant();
        Assert.Equal(ErrorCode.GrantScopeMismatch, GrantScope.Check(grant, BlobOperation.GetBlob, "other", Container, "b", null));
        Assert.Equal(ErrorCode.GrantScopeMismatch, GrantScope.Check(grant, BlobOperation.GetBlob, Account, "other", "b", null));
        Assert.Equal(ErrorCode.GrantScopeMismatch, GrantScope.Check(grant, BlobOperation.ListBlobs, Account, "other", null, null));
        Assert.Equal(ErrorCode.GrantScopeMismatch, GrantScope.Check(grant, BlobOperation.GetContainerProperties, "other", Container, null, null));

        // Names compare exactly, as Azure's (container names are lowercase; no case folding lets one through).
        Assert.Equal(ErrorCode.GrantScopeMismatch, GrantScope.Check(grant, BlobOperation.GetBlob, "Tenant", Container, "b", null));
        Assert.Equal(ErrorCode.GrantScopeMismatch, GrantScope.Check(grant, BlobOperation.GetBlob, Account, "Support", "b", null));

        // "/account/name" with no restype is the blob "name" in $root: not the granted container.
        Assert.Equal(ErrorCode.GrantScopeMismatch, GrantScope.Check(grant, BlobOperation.GetBlob, Account, "$root", Container, null));
    }

    [Fact]
    public void Blobs_must_lie_under_the_prefix()
    {
        var grant = Grant(prefix: "allowed/");
        Assert.Null(GrantScope.Check(grant, BlobOperation.GetBlob, Account, Container, "allowed/x", null));
        Assert.Null(GrantScope.Check(grant, BlobOperation.GetBlobProperties, Account, Container, "allowed/deep/er/x.log", null));
        Assert.Equal(ErrorCode.GrantScopeMismatch, GrantScope.Check(grant, BlobOperation.GetBlob, Account, Container, "other/x", null));
        Assert.Equal(ErrorCode.GrantScopeMismatch, GrantScope.Check(grant, BlobOperation.GetBlob, Account, Container, "allowedother", null));
        Assert.Equal(ErrorCode.GrantScopeMismatch, GrantScope.Check(grant, BlobOperation.GetBlob, Account, Container, "Allowed/x", null));
        Assert.Equal(ErrorCode.GrantScopeMismatch, GrantScope.Check(grant, BlobOperation.GetBlob, Account, Container, "allowed", null));

        // A prefix is a string prefix, as Azure's listing prefix: without a '/' it takes "allowedother" too.
        Assert.Null(GrantScope.Check(Grant(prefix: "allowed"), BlobOperation.GetBlob, Account, Container, "allowedother", null));
    }

    [Theory]
    [InlineData("allowed/../other")]
    [InlineData("allowed/./x")]
    [InlineData("allowed/..")]
    [InlineData("allowed/x/../../other")]
    [InlineData("allowed/.")]
    [InlineData("allowed\\..\\other")]
    [InlineData("../allowed/x")]
    public void A_name_with_a_dot_segment_is_refused_even_when_it_starts_with_the_prefix(string blob)
    {
        Assert.Equal(ErrorCode.GrantScopeMismatch, GrantScope.Check(Grant(prefix: "allowed/"), BlobOperation.GetBlob, Account, Container, blob, null));
        Assert.Equal(ErrorCode.GrantScopeMismatch, GrantScope.Check(Grant(prefix: "allowed/"), BlobOperation.GetBlobProperties, Account, Container, blob, null));
        Assert.Equal(ErrorCode.GrantScopeMismatch, GrantScope.Check(Grant(), BlobOperation.GetBlob, Account, Container, blob, null));
    }

    [Theory]
    [InlineData("allowed/.hidden")]
    [InlineData("allowed/x..y")]
    [InlineData("allowed/...")]
    [InlineData("allowed//x")]
    public void Dots_inside_a_segment_are_ordinary_characters(string blob) =>
        Assert.Null(GrantScope.Check(Grant(prefix: "allowed/"), BlobOperation.GetBlob, Account, Container, blob, null));

    [Fact]
    public void A_listing_must_ask_for_a_prefix_inside_the_grants()
    {
        var grant = Grant(prefix: "allowed/");
        Assert.Null(GrantScope.Check(grant, BlobOperation.ListBlobs, Account, Container, null, "allowed/"));
        Assert.Null(GrantScope.Check(grant, BlobOperation.ListBlobs, Account, Container, null, "allowed/sub"));
        Assert.Null(GrantScope.Check(grant, BlobOperation.ListBlobs, Account, Container, null, "allowed/."));
        Assert.Equal(ErrorCode.GrantScopeMismatch, GrantScope.Check(grant, BlobOperation.ListBlobs, Account, Container, null, null));
        Assert.Equal(ErrorCode.GrantScopeMismatch, GrantScope.Check(grant, BlobOperation.ListBlobs, Account, Container, null, string.Empty));
        Assert.Equal(ErrorCode.GrantScopeMismatch, GrantScope.Check(grant, BlobOperation.ListBlobs, Account, Container, null, "allowed"));
        Assert.Equal(ErrorCode.GrantScopeMismatch, GrantScope.Check(grant, BlobOperation.ListBlobs, Account, Container, null, "other/"));
        Assert.Equal(ErrorCode.GrantScopeMismatch, GrantScope.Check(grant, BlobOperation.ListBlobs, Account, Container, null, "allowed/../"));

        // Without a prefix in the grant, the whole container lists.
        Assert.Null(GrantScope.Check(Grant(), BlobOperation.ListBlobs, Account, Container, null, null));
        Assert.Null(GrantScope.Check(Grant(), BlobOperation.ListBlobs, Account, Container, null, "anything"));
        Assert.Equal(ErrorCode.GrantScopeMismatch, GrantScope.Check(Grant(), BlobOperation.ListBlobs, Account, Container, null, "../"));
    }

    [Fact]
    public void The_containers_own_properties_are_inside_a_prefixed_grant()
    {
        var grant = Grant(LockboxAccess.Metadata, prefix: "allowed/");
        foreach (var operation in ContainerReads)
        {
            Assert.Null(GrantScope.Check(grant, operation, Account, Container, null, null));
        }
    }

    [Fact]
    public void A_blob_operation_that_names_no_blob_is_refused()
    {
        foreach (var operation in MetadataReads.Concat(ContentReads))
        {
            Assert.Equal(ErrorCode.GrantScopeMismatch, GrantScope.Check(Grant(), operation, Account, Container, null, null));
        }
    }

    [Fact]
    public void Read_kinds()
    {
        Assert.Equal(ReadKind.Content, GrantScope.KindOf(BlobOperation.GetBlob));
        Assert.Equal(ReadKind.Metadata, GrantScope.KindOf(BlobOperation.ListBlobs));
        Assert.Equal(ReadKind.None, GrantScope.KindOf(BlobOperation.PutBlob));
        Assert.Equal(ReadKind.None, GrantScope.KindOf(BlobOperation.ListContainers));
    }
}
