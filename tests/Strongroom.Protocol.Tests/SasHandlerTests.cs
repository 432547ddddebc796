using System.Net;
using System.Security.Cryptography;
using System.Text;
using Azure.Storage;
using Azure.Storage.Sas;
using Microsoft.AspNetCore.Http;
using Strongroom.Core;
using Strongroom.Protocol.Blob;

namespace Strongroom.Protocol.Tests;

/// <summary>
/// SAS verification in the handler on a fixed clock: the exact edges of the time window, the
/// older string-to-sign layouts (2015-04-05, 2018-11-09), IPv6 ranges, the actor and the record of
/// a refusal, and the forms Azure refuses (user delegation, directory SAS, malformed fields).
/// Requests that pass authorization name Get Blob Tags, which this server answers 501 after
/// authorization, so nothing reaches the (absent) service.
/// </summary>
public sealed class SasHandlerTests
{
    private static readonly DateTimeOffset Now = new(2026, 11, 30, 9, 0, 0, TimeSpan.Zero);
    private static readonly StorageSharedKeyCredential Key2 = new(Dev.Account, Dev.KeyBase64);

    private readonly List<BlobProtocolHandler.FailureRecord> recorded = [];

    private BlobProtocolHandler Handler() =>
        new(
            Dev.UnreachableService(),
            Dev.Keys,
            new FixedTime(Now),
            new SeededRandomSource(7),
            new BlobProtocolOptions { RequireHttps = false },
            null,
            failure =>
            {
                recorded.Add(failure);
                return Task.CompletedTask;
            });

    private async Task<HttpResponse> Send(string target, string method = "GET", IPAddress? client = null, bool https = false)
    {
        var context = new CapturedRequest(method, target, [], []).ToHttpContext();
        context.Request.Scheme = https ? "https" : "http";
        context.Connection.RemoteIpAddress = client ?? IPAddress.Loopback;
        await Handler().HandleAsync(context);
        return context.Response;
    }

    private static string ErrorCodeOf(HttpResponse response) => response.Headers["x-ms-error-code"].ToString();

    private static string TagsTarget(BlobSasBuilder builder) =>
        $"/{Dev.Account}/c/b.txt?comp=tags&{builder.ToSasQueryParameters(Key2)}";

    private static BlobSasBuilder Blob(DateTimeOffset expiresOn, DateTimeOffset? startsOn = null) =>
        new(BlobSasPermissions.Tag, expiresOn) { BlobContainerName = "c", BlobName = "b.txt", StartsOn = startsOn ?? default };

    [Fact]
    public async Task The_window_includes_its_start_and_excludes_its_expiry()
    {
        Assert.Equal(501, (await Send(TagsTarget(Blob(Now.AddSeconds(1), Now)))).StatusCode);
        var expired = await Send(TagsTarget(Blob(Now, Now.AddSeconds(-10))));
        Assert.Equal(403, expired.StatusCode);
        Assert.Equal("AuthenticationFailed", ErrorCodeOf(expired));
        var early = await Send(TagsTarget(Blob(Now.AddHours(1), Now.AddSeconds(1))));
        Assert.Equal("AuthenticationFailed", ErrorCodeOf(early));
    }

    [Fact]
    public async Task The_actor_is_the_sas_with_its_key_and_a_refusal_is_recorded()
    {
        await Send(TagsTarget(Blob(Now.AddHours(1))));
        var reached = Assert.Single(recorded);
        Assert.Equal(new Actor(ActorKind.SharedAccessSignature, "key2"), reached.Actor);
        Assert.Equal("NotImplemented", reached.Outcome);

        recorded.Clear();
        var builder = new BlobSasBuilder(BlobSasPermissions.Read, Now.AddHours(1)) { BlobContainerName = "c", BlobName = "b.txt" };
        var refused = await Send(TagsTarget(builder));
        Assert.Equal("AuthorizationPermissionMismatch", ErrorCodeOf(refused));
        var failure = Assert.Single(recorded);
        Assert.Equal(BlobOperation.GetBlobTags, failure.Operation);
        Assert.Equal("AuthorizationPermissionMismatch", failure.Outcome);
        Assert.Equal(ActorKind.SharedAccessSignature, failure.Actor.Kind);
    }

    [Theory]
    [InlineData("2015-04-05")]
    [InlineData("2018-11-09")]
    [InlineData("2020-12-06")]
    public async Task Every_service_sas_layout_since_2015_verifies(string version)
    {
        var start = "2026-11-30T08:00:00Z";
        var expiry = "2026-11-30T10:00:00Z";
        var lines = new List<string> { "t", start, expiry, $"/blob/{Dev.Account}/c/b.txt", string.Empty, string.Empty, string.Empty, version };
        if (string.CompareOrdinal(version, "2018-11-09") >= 0)
        {
            lines.AddRange(["b", string.Empty]);
            if (string.CompareOrdinal(version, "2020-12-06") >= 0)
            {
                lines.Add(string.Empty);
            }
        }

        lines.AddRange([string.Empty, string.Empty, string.Empty, string.Empty, string.Empty]);
        var signature = Convert.ToBase64String(HMACSHA256.HashData(Dev.Key, Encoding.UTF8.GetBytes(string.Join('\n', lines))));
        var target = $"/{Dev.Account}/c/b.txt?comp=tags&sv={version}&sr=b&sp=t&st={Uri.EscapeDataString(start)}&se={Uri.EscapeDataString(expiry)}&sig={Uri.EscapeDataString(signature)}";
        Assert.Equal(501, (await Send(target)).StatusCode);
    }

    [Fact]
    public async Task Versions_before_2015_04_05_and_user_delegation_and_directory_sas_are_refused()
    {
        var valid = TagsTarget(Blob(Now.AddHours(1)));
        foreach (var target in new[]
        {
            valid.Replace("sv=" + SasQueryParameters.DefaultSasVersion, "sv=2013-08-15", StringComparison.Ordinal),
            valid + "&skoid=00000000-0000-0000-0000-000000000000",
            valid.Replace("sr=b", "sr=d", StringComparison.Ordinal),
            valid.Replace("sr=b", "sr=q", StringComparison.Ordinal),
            valid + "&ss=b",
            $"/{Dev.Account}/c/b.txt?comp=tags&sr=b&sp=t&se=2026-12-01&sig=AAAA",
        })
        {
            var response = await Send(target);
            Assert.True(response.StatusCode == 403 && ErrorCodeOf(response) == "AuthenticationFailed", target);
        }
    }

    [Fact]
    public async Task Ipv6_ranges_and_ipv4_mapped_clients()
    {
        var v6 = Blob(Now.AddHours(1));
        v6.IPRange = new SasIPRange(IPAddress.Parse("2001:db8::1"), IPAddress.Parse("2001:db8::ff"));
        Assert.Equal(501, (await Send(TagsTarget(v6), client: IPAddress.Parse("2001:db8::10"))).StatusCode);
        Assert.Equal("AuthorizationSourceIPMismatch", ErrorCodeOf(await Send(TagsTarget(v6), client: IPAddress.Parse("2001:db8::1:0"))));
        Assert.Equal("AuthorizationSourceIPMismatch", ErrorCodeOf(await Send(TagsTarget(v6), client: IPAddress.Loopback)));

        var v4 = Blob(Now.AddHours(1));
        v4.IPRange = new SasIPRange(IPAddress.Parse("192.0.2.0"), IPAddress.Parse("192.0.2.255"));
        Assert.Equal(501, (await Send(TagsTarget(v4), client: IPAddress.Parse("192.0.2.7").MapToIPv6())).StatusCode);
    }

    [Fact]
    public async Task Https_only_sas_passes_over_https()
    {
        var builder = Blob(Now.AddHours(1));
        builder.Protocol = SasProtocol.Https;
        Assert.Equal(501, (await Send(TagsTarget(builder), https: true)).StatusCode);
        Assert.Equal("AuthorizationProtocolMismatch", ErrorCodeOf(await Send(TagsTarget(builder), https: false)));
    }

    [Fact]
    public async Task Snapshot_and_version_sas_reach_only_their_snapshot_or_version()
    {
        const string Snapshot = "2026-11-30T08:00:00.0000000Z";
        var builder = new BlobSasBuilder(BlobSasPermissions.Tag, Now.AddHours(1)) { BlobContainerName = "c", BlobName = "b.txt", Snapshot = Snapshot };
        var query = builder.ToSasQueryParameters(Key2).ToString();
        Assert.Equal(501, (await Send($"/{Dev.Account}/c/b.txt?comp=tags&snapshot={Uri.EscapeDataString(Snapshot)}&{query}")).StatusCode);
        Assert.Equal("AuthenticationFailed", ErrorCodeOf(await Send($"/{Dev.Account}/c/b.txt?comp=tags&snapshot=2026-11-30T08%3A00%3A01.0000000Z&{query}")));
        Assert.Equal("AuthenticationFailed", ErrorCodeOf(await Send($"/{Dev.Account}/c/b.txt?comp=tags&{query}")));
    }

    [Fact]
    public void Permissions_name_each_operation_class()
    {
        string? None(string name) => null;
        Assert.Equal("r", SasPermissions.For(BlobOperation.GetBlob, None, None).AnyOf);
        Assert.Equal("cw", SasPermissions.For(BlobOperation.PutBlob, None, None).AnyOf);
        Assert.Equal("aw", SasPermissions.For(BlobOperation.AppendBlock, None, None).AnyOf);
        Assert.Equal("x", SasPermissions.For(BlobOperation.DeleteBlob, name => name == "versionid" ? "v" : null, None).AnyOf);
        Assert.Equal("y", SasPermissions.For(BlobOperation.DeleteBlob, name => name == "deletetype" ? "permanent" : null, None).AnyOf);
        Assert.Equal("dw", SasPermissions.For(BlobOperation.LeaseBlob, None, name => name == "x-ms-lease-action" ? "break" : null).AnyOf);
        Assert.True(SasPermissions.For(BlobOperation.SetContainerAcl, None, None).IsForbidden);
        Assert.Equal(SasResourceLevel.Service, SasPermissions.For(BlobOperation.ListContainers, None, None).Level);
    }
}
