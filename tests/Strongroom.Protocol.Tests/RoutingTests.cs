using Strongroom.Core;
using Strongroom.Protocol.Blob;

namespace Strongroom.Protocol.Tests;

public sealed class RoutingTests
{
    [Theory]
    [InlineData("GET", "/acct?comp=list", BlobOperation.ListContainers)]
    [InlineData("GET", "/acct/?comp=list&prefix=a", BlobOperation.ListContainers)]
    [InlineData("GET", "/acct?restype=service&comp=properties", BlobOperation.GetBlobServiceProperties)]
    [InlineData("PUT", "/acct?restype=service&comp=properties", BlobOperation.SetBlobServiceProperties)]
    [InlineData("GET", "/acct?restype=service&comp=stats", BlobOperation.GetBlobServiceStats)]
    [InlineData("GET", "/acct?restype=account&comp=properties", BlobOperation.GetAccountInformation)]
    [InlineData("HEAD", "/acct/c?restype=account&comp=properties", BlobOperation.GetAccountInformation)]
    [InlineData("GET", "/acct/c/b/d?restype=account&comp=properties", BlobOperation.GetAccountInformation)]
    [InlineData("POST", "/acct?restype=service&comp=userdelegationkey", BlobOperation.GetUserDelegationKey)]
    [InlineData("POST", "/acct?comp=batch", BlobOperation.SubmitBatch)]
    [InlineData("GET", "/acct?comp=blobs&where=x", BlobOperation.FindBlobsByTags)]
    [InlineData("PUT", "/acct/c?restype=container", BlobOperation.CreateContainer)]
    [InlineData("GET", "/acct/c?restype=container", BlobOperation.GetContainerProperties)]
    [InlineData("HEAD", "/acct/c?restype=container", BlobOperation.GetContainerProperties)]
    [InlineData("DELETE", "/acct/c?restype=container", BlobOperation.DeleteContainer)]
    [InlineData("GET", "/acct/c?restype=container&comp=metadata", BlobOperation.GetContainerMetadata)]
    [InlineData("PUT", "/acct/c?restype=container&comp=metadata", BlobOperation.SetContainerMetadata)]
    [InlineData("GET", "/acct/c?restype=container&comp=acl", BlobOperation.GetContainerAcl)]
    [InlineData("PUT", "/acct/c?restype=container&comp=acl", BlobOperation.SetContainerAcl)]
    [InlineData("PUT", "/acct/c?restype=container&comp=undelete", BlobOperation.RestoreContainer)]
    [InlineData("PUT", "/acct/c?restype=container&comp=lease", BlobOperation.LeaseContainer)]
    [InlineData("GET", "/acct/c?restype=container&comp=list&delimiter=%2F", BlobOperation.ListBlobs)]
    [InlineData("GET", "/acct/c/?comp=list&restype=container", BlobOperation.ListBlobs)]
    [InlineData("PUT", "/acct/c/b", BlobOperation.PutBlob)]
    [InlineData("PUT", "/acct/c/b?comp=block&blockid=AAAA", BlobOperation.PutBlock)]
    [InlineData("PUT", "/acct/c/b?comp=blocklist", BlobOperation.PutBlockList)]
    [InlineData("GET", "/acct/c/b?comp=blocklist", BlobOperation.GetBlockList)]
    [InlineData("GET", "/acct/c/b", BlobOperation.GetBlob)]
    [InlineData("HEAD", "/acct/c/b", BlobOperation.GetBlobProperties)]
    [InlineData("PUT", "/acct/c/b?comp=properties", BlobOperation.SetBlobProperties)]
    [InlineData("GET", "/acct/c/b?comp=metadata", BlobOperation.GetBlobMetadata)]
    [InlineData("HEAD", "/acct/c/b?comp=metadata", BlobOperation.GetBlobMetadata)]
    [InlineData("PUT", "/acct/c/b?comp=metadata", BlobOperation.SetBlobMetadata)]
    [InlineData("DELETE", "/acct/c/b", BlobOperation.DeleteBlob)]
    [InlineData("PUT", "/acct/c/b?comp=undelete", BlobOperation.UndeleteBlob)]
    [InlineData("PUT", "/acct/c/b?comp=snapshot", BlobOperation.SnapshotBlob)]
    [InlineData("PUT", "/acct/c/b?comp=copy&copyid=x", BlobOperation.AbortCopyBlob)]
    [InlineData("PUT", "/acct/c/b?comp=lease", BlobOperation.LeaseBlob)]
    [InlineData("PUT", "/acct/c/b?comp=tier", BlobOperation.SetBlobTier)]
    [InlineData("GET", "/acct/c/b?comp=tags", BlobOperation.GetBlobTags)]
    [InlineData("PUT", "/acct/c/b?comp=tags", BlobOperation.SetBlobTags)]
    [InlineData("PUT", "/acct/c/b?comp=appendblock", BlobOperation.AppendBlock)]
    [InlineData("PUT", "/acct/c/b?comp=seal", BlobOperation.SealAppendBlob)]
    [InlineData("PUT", "/acct/c/b?comp=page", BlobOperation.PutPage)]
    [InlineData("GET", "/acct/c/b?comp=pagelist", BlobOperation.GetPageRanges)]
    [InlineData("PUT", "/acct/c/b?comp=immutabilityPolicies", BlobOperation.SetBlobImmutabilityPolicy)]
    [InlineData("DELETE", "/acct/c/b?comp=immutabilityPolicies", BlobOperation.DeleteBlobImmutabilityPolicy)]
    [InlineData("PUT", "/acct/c/b?comp=legalhold", BlobOperation.SetBlobLegalHold)]
    [InlineData("POST", "/acct/c/b?comp=query", BlobOperation.QueryBlobContents)]
    public void ResolvesOperation(string method, string rawTarget, BlobOperation expected)
    {
        Assert.True(RequestTarget.TryParse(rawTarget, out var target));
        Assert.Equal(expected, OperationResolver.Resolve(method, target!, _ => false).Operation);
    }

    [Theory]
    [InlineData("PUT", "/acct/c/b", "x-ms-copy-source", BlobOperation.CopyBlob)]
    [InlineData("PUT", "/acct/c/b?comp=block&blockid=AAAA", "x-ms-copy-source", BlobOperation.PutBlockFromUrl)]
    [InlineData("PUT", "/acct/c/b?comp=page", "x-ms-copy-source", BlobOperation.PutPageFromUrl)]
    [InlineData("PUT", "/acct/c/b?comp=appendblock", "x-ms-copy-source", BlobOperation.AppendBlockFromUrl)]
    public void HeadersDistinguishFromUrlOperations(string method, string rawTarget, string header, BlobOperation expected)
    {
        Assert.True(RequestTarget.TryParse(rawTarget, out var target));
        Assert.Equal(expected, OperationResolver.Resolve(method, target!, name => name == header).Operation);
    }

    [Fact]
    public void PutBlobFromUrlNeedsBlobTypeAndNoSyncFlag()
    {
        Assert.True(RequestTarget.TryParse("/acct/c/b", out var target));
        Assert.Equal(BlobOperation.PutBlobFromUrl, OperationResolver.Resolve("PUT", target!, name => name is "x-ms-copy-source" or "x-ms-blob-type").Operation);
        Assert.Equal(BlobOperation.CopyBlob, OperationResolver.Resolve("PUT", target!, name => name is "x-ms-copy-source" or "x-ms-requires-sync").Operation);
    }

    [Theory]
    [InlineData("GET", "/acct/c/b?comp=bogus", "InvalidQueryParameterValue", 400)]
    [InlineData("GET", "/acct/c?restype=container&comp=bogus", "InvalidQueryParameterValue", 400)]
    [InlineData("GET", "/acct?comp=bogus", "InvalidQueryParameterValue", 400)]
    [InlineData("GET", "/acct", "MissingRequiredQueryParameter", 400)]
    [InlineData("PATCH", "/acct/c/b", "UnsupportedHttpVerb", 405)]
    [InlineData("POST", "/acct/c/b", "UnsupportedHttpVerb", 405)]
    [InlineData("DELETE", "/acct?comp=list", "UnsupportedHttpVerb", 405)]
    [InlineData("POST", "/acct/c?restype=container", "UnsupportedHttpVerb", 405)]
    public void RejectsUnknownCombinations(string method, string rawTarget, string code, int status)
    {
        Assert.True(RequestTarget.TryParse(rawTarget, out var target));
        var failure = Assert.Throws<BlobProtocolException>(() => OperationResolver.Resolve(method, target!, _ => false));
        Assert.Equal(code, failure.Error.Code);
        Assert.Equal(status, failure.Error.Status);
    }

    [Fact]
    public void ContainerPathWithoutRestypeAddressesTheRootContainer()
    {
        Assert.True(RequestTarget.TryParse("/acct/photo.jpg", out var target));
        var resolved = OperationResolver.Resolve("GET", target!, _ => false);
        Assert.Equal(new ResolvedOperation(BlobOperation.GetBlob, "$root", "photo.jpg"), resolved);
    }

    [Theory]
    [InlineData("/acct/c/a%2Fb", "a/b")]
    [InlineData("/acct/c/a/b/c.txt", "a/b/c.txt")]
    [InlineData("/acct/c/a+b", "a+b")]
    [InlineData("/acct/c/a%2Bb", "a+b")]
    [InlineData("/acct/c/100%25", "100%")]
    [InlineData("/acct/c/%2525", "%25")]
    [InlineData("/acct/c/with%20space", "with space")]
    [InlineData("/acct/c/%E6%97%A5%E6%9C%AC", "日本")]
    [InlineData("/acct/c/%F0%9F%98%80", "😀")]
    [InlineData("/acct/c/dir/", "dir/")]
    [InlineData("http://127.0.0.1:10000/acct/c/x%3Fy?comp=metadata", "x?y")]
    public void DecodesBlobNamesExactlyOnce(string rawTarget, string expected)
    {
        Assert.True(RequestTarget.TryParse(rawTarget, out var target));
        Assert.Equal("acct", target!.Account);
        Assert.Equal("c", target.Container);
        Assert.Equal(expected, target.Blob);
    }

    [Fact]
    public void KeepsTheRawPathForSigningAndParsesQuery()
    {
        Assert.True(RequestTarget.TryParse("/acct/c/a%2Fb?comp=list&prefix=a%2Bb+c&include=metadata&include=tags&flag", out var target));
        Assert.Equal("/acct/c/a%2Fb", target!.RawPath);
        Assert.Equal("a+b c", target.GetQuery("prefix"));
        Assert.Equal("LIST".ToLowerInvariant(), target.GetQuery("COMP"));
        Assert.Equal(string.Empty, target.GetQuery("flag"));
        Assert.Null(target.GetQuery("missing"));
        Assert.Equal(5, target.Query.Count);
    }

    [Theory]
    [InlineData("")]
    [InlineData("/")]
    [InlineData("//c/b")]
    [InlineData("/acct//b")]
    [InlineData("*")]
    public void RejectsTargetsThatNameNoAccount(string rawTarget)
    {
        Assert.False(RequestTarget.TryParse(rawTarget, out _));
    }

    [Fact]
    public void AccountAndContainerLevelTargets()
    {
        Assert.True(RequestTarget.TryParse("/acct", out var account));
        Assert.Null(account!.Container);
        Assert.True(RequestTarget.TryParse("/acct/", out account));
        Assert.Null(account!.Container);
        Assert.True(RequestTarget.TryParse("/acct/c", out var container));
        Assert.Equal("c", container!.Container);
        Assert.Null(container.Blob);
        Assert.True(RequestTarget.TryParse("/acct/c/", out container));
        Assert.Null(container!.Blob);
    }
}
