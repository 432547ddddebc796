using System.Net;
using Azure;
using Azure.Storage;
using Azure.Storage.Blobs;
using Azure.Storage.Blobs.Models;
using Azure.Storage.Sas;
using Strongroom.Conformance.Tests.Infrastructure;
using Strongroom.Protocol.Blob;
using Xunit;

namespace Strongroom.Conformance.Tests;

/// <summary>
/// Account SAS, service SAS and stored access policies with the real Azure SDK (AccountSasBuilder,
/// BlobSasBuilder, GenerateSasUri, SetAccessPolicy) against the real server: what each grants, and
/// every refusal with Azure's status and error code. Times are relative to now by hours, so no test
/// depends on timing.
/// </summary>
public sealed class SasTests(SecondAccountFixture fixture) : IClassFixture<SecondAccountFixture>
{
    static readonly StorageSharedKeyCredential DevKey = new(StrongroomProcess.DevAccountName, StrongroomProcess.DevAccountKey);

    static DateTimeOffset Now => DateTimeOffset.UtcNow;

    async Task<BlobContainerClient> NewContainerAsync(string stem)
    {
        var container = fixture.Service.GetBlobContainerClient(TestNames.Container(stem));
        await container.CreateAsync();
        return container;
    }

    static BlobContainerClient SasContainer(Uri uri) => new(uri, Clients.Options());

    static BlobClient SasBlob(Uri uri) => new(uri, Clients.Options());

    Uri ContainerSas(BlobContainerClient container, BlobContainerSasPermissions permissions, Action<BlobSasBuilder>? configure = null)
    {
        var builder = new BlobSasBuilder(permissions, Now.AddHours(1)) { BlobContainerName = container.Name };
        configure?.Invoke(builder);
        return new BlobUriBuilder(container.Uri) { Sas = builder.ToSasQueryParameters(DevKey) }.ToUri();
    }

    Uri AccountSas(AccountSasPermissions permissions, AccountSasResourceTypes types, AccountSasServices services = AccountSasServices.Blobs) =>
        new UriBuilder(fixture.Server.ServiceUri) { Query = new AccountSasBuilder(permissions, Now.AddHours(1), services, types).ToSasQueryParameters(DevKey).ToString() }.Uri;

    static async Task<RequestFailedException> RefusedAsync(int status, string code, Func<Task> action, string detailContains = "")
    {
        var refused = await AzureAssert.FailsAsync(status, code, action);
        Assert.Contains(detailContains, refused.Message, StringComparison.Ordinal);
        return refused;
    }

    // Strings to sign: the server rebuilds exactly what the SDK signed.

    [Fact]
    public void Service_sas_string_to_sign_matches_the_sdk_for_every_field()
    {
        var builders = new[]
        {
            new BlobSasBuilder(BlobSasPermissions.All, Now.AddHours(1)) { BlobContainerName = "c1", BlobName = "dir/b.txt" },
            new BlobSasBuilder(BlobContainerSasPermissions.All, Now.AddHours(1))
            {
                BlobContainerName = "c2",
                StartsOn = Now.AddHours(-1),
                IPRange = new SasIPRange(IPAddress.Parse("10.0.0.1"), IPAddress.Parse("10.0.0.9")),
                Protocol = SasProtocol.HttpsAndHttp,
                EncryptionScope = "scope1",
                CacheControl = "no-cache",
                ContentDisposition = "attachment; filename=x.bin",
                ContentEncoding = "gzip",
                ContentLanguage = "de-DE",
                ContentType = "application/x-test",
            },
            new BlobSasBuilder { BlobContainerName = "c3", BlobName = "b", Identifier = "policy-1" },
            new BlobSasBuilder(BlobSasPermissions.Read, Now.AddHours(1)) { BlobContainerName = "c4", BlobName = "b", Snapshot = "2026-11-30T10:00:00.1234567Z" },
            WithPermissions(new BlobSasBuilder { BlobContainerName = "c5", BlobName = "b", BlobVersionId = "2026-11-30T10:00:00.1234567Z", Protocol = SasProtocol.Https, ExpiresOn = Now.AddHours(1) }, BlobVersionSasPermissions.All),
        };
        foreach (var builder in builders)
        {
            var query = builder.ToSasQueryParameters(DevKey, out var expected).ToString();
            var path = $"/{StrongroomProcess.DevAccountName}/{builder.BlobContainerName}" + (string.IsNullOrEmpty(builder.BlobName) ? string.Empty : "/" + builder.BlobName);
            var extra = builder.Snapshot is { } snapshot ? "&snapshot=" + Uri.EscapeDataString(snapshot) : builder.BlobVersionId is { } version ? "&versionid=" + Uri.EscapeDataString(version) : string.Empty;
            Assert.True(RequestTarget.TryParse(path + "?" + query + extra, out var target));
            var sas = SharedAccessSignature.Parse(target!);
            var actual = sas.ServiceStringToSign(
                SharedAccessSignature.CanonicalResource(StrongroomProcess.DevAccountName, builder.BlobContainerName, string.IsNullOrEmpty(builder.BlobName) ? null : builder.BlobName),
                builder.Snapshot ?? builder.BlobVersionId);
            Assert.Equal(expected, actual);
        }
    }

    static BlobSasBuilder WithPermissions(BlobSasBuilder builder, BlobVersionSasPermissions permissions)
    {
        builder.SetPermissions(permissions);
        return builder;
    }

    [Fact]
    public void Account_sas_string_to_sign_matches_the_sdk()
    {
        var builder = new AccountSasBuilder(AccountSasPermissions.All, Now.AddHours(1), AccountSasServices.All, AccountSasResourceTypes.All)
        {
            StartsOn = Now.AddHours(-1),
            IPRange = new SasIPRange(IPAddress.Parse("127.0.0.1")),
            Protocol = SasProtocol.HttpsAndHttp,
            EncryptionScope = "scope1",
        };
        var query = builder.ToSasQueryParameters(DevKey, out var expected).ToString();
        Assert.True(RequestTarget.TryParse($"/{StrongroomProcess.DevAccountName}?comp=list&{query}", out var target));
        Assert.Equal(expected, SharedAccessSignature.Parse(target!).AccountStringToSign(StrongroomProcess.DevAccountName));
    }

    // Service SAS.

    [Fact]
    public async Task Blob_sas_from_GenerateSasUri_reads_and_grants_nothing_else()
    {
        var container = await NewContainerAsync("blobsas");
        var owner = container.GetBlobClient("readme.txt");
        await owner.UploadAsync(BinaryData.FromString("SAS-READ-CONTENT"));

        var reader = SasBlob(owner.GenerateSasUri(BlobSasPermissions.Read, Now.AddHours(1)));
        Assert.Equal("SAS-READ-CONTENT", (await reader.DownloadContentAsync()).Value.Content.ToString());
        Assert.Equal(16, (await reader.GetPropertiesAsync()).Value.ContentLength);

        await RefusedAsync(403, "AuthorizationPermissionMismatch", () => reader.UploadAsync(BinaryData.FromString("overwrite"), overwrite: true));
        await RefusedAsync(403, "AuthorizationPermissionMismatch", () => reader.DeleteAsync());
        await RefusedAsync(403, "AuthorizationPermissionMismatch", () => reader.SetMetadataAsync(new Dictionary<string, string> { ["k"] = "v" }));

        // A blob SAS names one blob: another blob's URL does not verify; the container is another resource type.
        var other = new BlobUriBuilder(reader.Uri) { BlobName = "other.txt" }.ToUri();
        await RefusedAsync(403, "AuthenticationFailed", () => SasBlob(other).DownloadContentAsync(), "Signature did not match");
        var asContainer = new BlobUriBuilder(reader.Uri) { BlobName = string.Empty }.ToUri();
        await RefusedAsync(403, "AuthorizationResourceTypeMismatch", async () =>
        {
            await foreach (var unused in SasContainer(asContainer).GetBlobsAsync())
            {
            }
        });
        Assert.Equal("SAS-READ-CONTENT", (await owner.DownloadContentAsync()).Value.Content.ToString());
    }

    [Fact]
    public async Task Container_sas_permissions_each_grant_their_operation_class()
    {
        var container = await NewContainerAsync("perms");
        await container.GetBlobClient("existing.txt").UploadAsync(BinaryData.FromString("existing"));

        var all = SasContainer(ContainerSas(container, BlobContainerSasPermissions.Read | BlobContainerSasPermissions.Write | BlobContainerSasPermissions.Delete | BlobContainerSasPermissions.List | BlobContainerSasPermissions.Create));
        await all.GetBlobClient("new.txt").UploadAsync(BinaryData.FromString("written with a SAS"));
        Assert.Equal("written with a SAS", (await all.GetBlobClient("new.txt").DownloadContentAsync()).Value.Content.ToString());
        var names = new List<string>();
        await foreach (var item in all.GetBlobsAsync())
        {
            names.Add(item.Name);
        }

        Assert.Equal(["existing.txt", "new.txt"], names);
        await all.GetBlobClient("new.txt").DeleteAsync();

        // Each permission missing refuses exactly its operation class.
        var noRead = SasContainer(ContainerSas(container, BlobContainerSasPermissions.All & ~BlobContainerSasPermissions.Read));
        await RefusedAsync(403, "AuthorizationPermissionMismatch", () => noRead.GetBlobClient("existing.txt").DownloadContentAsync());
        await RefusedAsync(403, "AuthorizationPermissionMismatch", () => noRead.GetBlobClient("existing.txt").GetPropertiesAsync());

        var noWrite = SasContainer(ContainerSas(container, BlobContainerSasPermissions.Read | BlobContainerSasPermissions.List));
        await RefusedAsync(403, "AuthorizationPermissionMismatch", () => noWrite.GetBlobClient("w.txt").UploadAsync(BinaryData.FromString("w")));
        await RefusedAsync(403, "AuthorizationPermissionMismatch", () => noWrite.GetBlobClient("existing.txt").SetHttpHeadersAsync(new BlobHttpHeaders { ContentType = "x/y" }));
        await RefusedAsync(403, "AuthorizationPermissionMismatch", () => noWrite.GetBlobClient("existing.txt").DeleteAsync());

        var noList = SasContainer(ContainerSas(container, BlobContainerSasPermissions.Read));
        await RefusedAsync(403, "AuthorizationPermissionMismatch", async () =>
        {
            await foreach (var unused in noList.GetBlobsAsync())
            {
            }
        });

        var noTags = SasContainer(ContainerSas(container, BlobContainerSasPermissions.Read | BlobContainerSasPermissions.Write));
        await RefusedAsync(403, "AuthorizationPermissionMismatch", () => noTags.GetBlobClient("existing.txt").GetTagsAsync());

        // A service SAS never reaches container-level operations other than listing, nor the service.
        await RefusedAsync(403, "AuthorizationPermissionMismatch", () => all.GetPropertiesAsync());
        await RefusedAsync(403, "AuthorizationPermissionMismatch", () => all.DeleteAsync());
        var serviceUri = new BlobUriBuilder(all.Uri) { BlobContainerName = string.Empty }.ToUri();
        await RefusedAsync(403, "AuthorizationResourceTypeMismatch", async () =>
        {
            await foreach (var unused in new BlobServiceClient(serviceUri, Clients.Options()).GetBlobContainersAsync())
            {
            }
        });

        Assert.Equal("existing", (await container.GetBlobClient("existing.txt").DownloadContentAsync()).Value.Content.ToString());
    }

    [Fact]
    public async Task Create_permission_writes_new_blobs_and_add_permission_alone_does_not_write()
    {
        var container = await NewContainerAsync("create");
        var create = SasContainer(ContainerSas(container, BlobContainerSasPermissions.Create));
        await create.GetBlobClient("created.txt").UploadAsync(BinaryData.FromString("created"));
        Assert.Equal("created", (await container.GetBlobClient("created.txt").DownloadContentAsync()).Value.Content.ToString());

        // Create is not write: an existing blob is not replaced, by upload or by copy.
        await RefusedAsync(403, "AuthorizationPermissionMismatch", () => create.GetBlobClient("created.txt").UploadAsync(BinaryData.FromString("replaced"), overwrite: true));
        await RefusedAsync(403, "AuthorizationPermissionMismatch", () => create.GetBlobClient("created.txt").SyncCopyFromUriAsync(container.GetBlobClient("created.txt").Uri));
        Assert.Equal("created", (await container.GetBlobClient("created.txt").DownloadContentAsync()).Value.Content.ToString());

        var add = SasContainer(ContainerSas(container, BlobContainerSasPermissions.Add));
        await RefusedAsync(403, "AuthorizationPermissionMismatch", () => add.GetBlobClient("added.txt").UploadAsync(BinaryData.FromString("x")));
        Assert.False((await container.GetBlobClient("added.txt").ExistsAsync()).Value);
    }

    [Fact]
    public async Task Response_header_overrides_replace_stored_properties_on_get_blob()
    {
        var container = await NewContainerAsync("overrides");
        var blob = container.GetBlobClient("report.bin");
        await blob.UploadAsync(BinaryData.FromString("report"), new BlobUploadOptions { HttpHeaders = new BlobHttpHeaders { ContentType = "application/octet-stream" } });

        var builder = new BlobSasBuilder(BlobSasPermissions.Read, Now.AddHours(1))
        {
            BlobContainerName = container.Name,
            BlobName = blob.Name,
            ContentType = "text/x-override",
            ContentDisposition = "attachment; filename=\"renamed.txt\"",
            CacheControl = "max-age=60",
            ContentLanguage = "fr-FR",
            ContentEncoding = "identity",
        };
        var reader = SasBlob(blob.GenerateSasUri(builder));
        var download = (await reader.DownloadContentAsync()).Value;
        Assert.Equal("report", download.Content.ToString());
        Assert.Equal("text/x-override", download.Details.ContentType);
        Assert.Equal("attachment; filename=\"renamed.txt\"", download.Details.ContentDisposition);
        Assert.Equal("max-age=60", download.Details.CacheControl);
        Assert.Equal("fr-FR", download.Details.ContentLanguage);
        var properties = (await reader.GetPropertiesAsync()).Value;
        Assert.Equal("text/x-override", properties.ContentType);

        // The stored properties are untouched.
        Assert.Equal("application/octet-stream", (await blob.GetPropertiesAsync()).Value.ContentType);
    }

    // Account SAS.

    [Fact]
    public async Task Account_sas_grants_by_service_resource_type_and_permission()
    {
        var everything = new BlobServiceClient(AccountSas(AccountSasPermissions.All, AccountSasResourceTypes.All), Clients.Options());
        var name = TestNames.Container("acctsas");
        await everything.GetBlobContainerClient(name).CreateAsync();
        await everything.GetBlobContainerClient(name).GetBlobClient("a.txt").UploadAsync(BinaryData.FromString("account sas"));
        Assert.Equal("account sas", (await everything.GetBlobContainerClient(name).GetBlobClient("a.txt").DownloadContentAsync()).Value.Content.ToString());
        var found = false;
        await foreach (var item in everything.GetBlobContainersAsync(BlobContainerTraits.None, prefix: name))
        {
            found |= item.Name == name;
        }

        Assert.True(found);

        // Resource types: objects only cannot list containers nor create one.
        var objectsOnly = new BlobServiceClient(AccountSas(AccountSasPermissions.All, AccountSasResourceTypes.Object), Clients.Options());
        await RefusedAsync(403, "AuthorizationResourceTypeMismatch", async () =>
        {
            await foreach (var unused in objectsOnly.GetBlobContainersAsync())
            {
            }
        });
        await RefusedAsync(403, "AuthorizationResourceTypeMismatch", () => objectsOnly.GetBlobContainerClient(TestNames.Container("nope")).CreateAsync());
        Assert.Equal("account sas", (await objectsOnly.GetBlobContainerClient(name).GetBlobClient("a.txt").DownloadContentAsync()).Value.Content.ToString());

        // Services: a queue-only SAS is not for the Blob service.
        var queues = new BlobServiceClient(AccountSas(AccountSasPermissions.All, AccountSasResourceTypes.All, AccountSasServices.Queues), Clients.Options());
        await RefusedAsync(403, "AuthorizationServiceMismatch", () => queues.GetBlobContainerClient(name).GetBlobClient("a.txt").DownloadContentAsync());

        // Permissions: read and list cannot write or delete.
        var readList = new BlobServiceClient(AccountSas(AccountSasPermissions.Read | AccountSasPermissions.List, AccountSasResourceTypes.All), Clients.Options());
        await RefusedAsync(403, "AuthorizationPermissionMismatch", () => readList.GetBlobContainerClient(name).GetBlobClient("b.txt").UploadAsync(BinaryData.FromString("b")));
        await RefusedAsync(403, "AuthorizationPermissionMismatch", () => readList.GetBlobContainerClient(name).DeleteAsync());
        await RefusedAsync(403, "AuthorizationPermissionMismatch", () => readList.GetBlobContainerClient(name).SetMetadataAsync(new Dictionary<string, string> { ["k"] = "v" }));
        await readList.GetPropertiesAsync();
        await readList.GetBlobContainerClient(name).GetPropertiesAsync();

        // No SAS reads or changes an ACL (Azure: AuthorizationFailure).
        await RefusedAsync(403, "AuthorizationFailure", () => everything.GetBlobContainerClient(name).GetAccessPolicyAsync());
        await RefusedAsync(403, "AuthorizationFailure", () => everything.GetBlobContainerClient(name).SetAccessPolicyAsync());
    }

    // Failure paths common to both kinds.

    [Fact]
    public async Task Expired_and_not_yet_valid_sas_are_refused_with_the_time_frame()
    {
        var container = await NewContainerAsync("times");
        var blob = container.GetBlobClient("t.txt");
        await blob.UploadAsync(BinaryData.FromString("t"));

        var expired = SasBlob(blob.GenerateSasUri(new BlobSasBuilder(BlobSasPermissions.Read, Now.AddHours(-1)) { BlobContainerName = container.Name, BlobName = blob.Name, StartsOn = Now.AddHours(-2) }));
        await RefusedAsync(403, "AuthenticationFailed", () => expired.DownloadContentAsync(), "Signature not valid in the specified time frame");

        var early = SasBlob(blob.GenerateSasUri(new BlobSasBuilder(BlobSasPermissions.Read, Now.AddHours(3)) { BlobContainerName = container.Name, BlobName = blob.Name, StartsOn = Now.AddHours(2) }));
        await RefusedAsync(403, "AuthenticationFailed", () => early.DownloadContentAsync(), "Signature not valid in the specified time frame");

        var inverted = SasBlob(blob.GenerateSasUri(new BlobSasBuilder(BlobSasPermissions.Read, Now.AddHours(1)) { BlobContainerName = container.Name, BlobName = blob.Name, StartsOn = Now.AddHours(2) }));
        await RefusedAsync(403, "AuthenticationFailed", () => inverted.DownloadContentAsync(), "must be after signed start time");

        var expiredAccount = new BlobServiceClient(
            new UriBuilder(fixture.Server.ServiceUri) { Query = new AccountSasBuilder(AccountSasPermissions.All, Now.AddMinutes(-5), AccountSasServices.Blobs, AccountSasResourceTypes.All).ToSasQueryParameters(DevKey).ToString() }.Uri,
            Clients.Options());
        await RefusedAsync(403, "AuthenticationFailed", () => expiredAccount.GetPropertiesAsync(), "Signature not valid in the specified time frame");
    }

    [Fact]
    public async Task Source_ip_and_protocol_are_enforced()
    {
        var container = await NewContainerAsync("ipproto");
        var blob = container.GetBlobClient("ip.txt");
        await blob.UploadAsync(BinaryData.FromString("ip"));

        Uri Sas(Action<BlobSasBuilder> configure)
        {
            var builder = new BlobSasBuilder(BlobSasPermissions.Read, Now.AddHours(1)) { BlobContainerName = container.Name, BlobName = blob.Name };
            configure(builder);
            return blob.GenerateSasUri(builder);
        }

        await RefusedAsync(403, "AuthorizationSourceIPMismatch", () => SasBlob(Sas(b => b.IPRange = new SasIPRange(IPAddress.Parse("10.1.2.3")))).DownloadContentAsync(), "127.0.0.1");
        await RefusedAsync(403, "AuthorizationSourceIPMismatch", () => SasBlob(Sas(b => b.IPRange = new SasIPRange(IPAddress.Parse("127.0.0.2"), IPAddress.Parse("127.0.0.9")))).DownloadContentAsync());
        Assert.Equal("ip", (await SasBlob(Sas(b => b.IPRange = new SasIPRange(IPAddress.Parse("127.0.0.1")))).DownloadContentAsync()).Value.Content.ToString());
        Assert.Equal("ip", (await SasBlob(Sas(b => b.IPRange = new SasIPRange(IPAddress.Parse("127.0.0.0"), IPAddress.Parse("127.0.0.255")))).DownloadContentAsync()).Value.Content.ToString());

        // This server listens on plain HTTP here: an https-only SAS is refused, https-or-http works.
        await RefusedAsync(403, "AuthorizationProtocolMismatch", () => SasBlob(Sas(b => b.Protocol = SasProtocol.Https)).DownloadContentAsync());
        Assert.Equal("ip", (await SasBlob(Sas(b => b.Protocol = SasProtocol.HttpsAndHttp)).DownloadContentAsync()).Value.Content.ToString());

        var account = new BlobServiceClient(
            new UriBuilder(fixture.Server.ServiceUri) { Query = new AccountSasBuilder(AccountSasPermissions.All, Now.AddHours(1), AccountSasServices.Blobs, AccountSasResourceTypes.All) { Protocol = SasProtocol.Https }.ToSasQueryParameters(DevKey).ToString() }.Uri,
            Clients.Options());
        await RefusedAsync(403, "AuthorizationProtocolMismatch", () => account.GetPropertiesAsync());
    }

    [Fact]
    public async Task Tampered_sas_is_refused()
    {
        var container = await NewContainerAsync("tamper");
        var blob = container.GetBlobClient("x.txt");
        await blob.UploadAsync(BinaryData.FromString("x"));
        var uri = blob.GenerateSasUri(BlobSasPermissions.Read, Now.AddHours(1)).ToString();

        // Widening the permissions, stretching the expiry, or changing the signature all fail the signature.
        var widened = uri.Replace("sp=r", "sp=rwd", StringComparison.Ordinal);
        await RefusedAsync(403, "AuthenticationFailed", () => SasBlob(new Uri(widened)).UploadAsync(BinaryData.FromString("evil"), overwrite: true), "Signature did not match");
        var stretched = System.Text.RegularExpressions.Regex.Replace(uri, "se=[^&]+", "se=2099-01-01T00%3A00%3A00Z");
        await RefusedAsync(403, "AuthenticationFailed", () => SasBlob(new Uri(stretched)).DownloadContentAsync());
        var sig = System.Text.RegularExpressions.Regex.Match(uri, "sig=([^&]+)").Groups[1].Value;
        var bytes = Convert.FromBase64String(Uri.UnescapeDataString(sig));
        bytes[0] ^= 1;
        var forged = uri.Replace(sig, Uri.EscapeDataString(Convert.ToBase64String(bytes)), StringComparison.Ordinal);
        await RefusedAsync(403, "AuthenticationFailed", () => SasBlob(new Uri(forged)).DownloadContentAsync());

        // Signed with a key that is not the account's.
        var stranger = new StorageSharedKeyCredential(StrongroomProcess.DevAccountName, Convert.ToBase64String(new byte[64]));
        var foreign = new BlobUriBuilder(blob.Uri) { Sas = new BlobSasBuilder(BlobSasPermissions.Read, Now.AddHours(1)) { BlobContainerName = container.Name, BlobName = blob.Name }.ToSasQueryParameters(stranger) }.ToUri();
        await RefusedAsync(403, "AuthenticationFailed", () => SasBlob(foreign).DownloadContentAsync());

        // A user delegation SAS needs Microsoft Entra ID, which this server does not have.
        var delegation = uri + "&skoid=00000000-0000-0000-0000-000000000000&sktid=00000000-0000-0000-0000-000000000000";
        await RefusedAsync(403, "AuthenticationFailed", () => SasBlob(new Uri(delegation)).DownloadContentAsync());
        Assert.Equal("x", (await blob.DownloadContentAsync()).Value.Content.ToString());
    }

    // Stored access policies.

    [Fact]
    public async Task Stored_access_policy_round_trips_grants_and_revokes()
    {
        var container = await NewContainerAsync("policy");
        var blob = container.GetBlobClient("p.txt");
        await blob.UploadAsync(BinaryData.FromString("policy content"));
        var before = (await container.GetPropertiesAsync()).Value.ETag;

        var expiry = new DateTimeOffset(Now.Year + 1, 1, 2, 3, 4, 5, TimeSpan.Zero);
        var set = await container.SetAccessPolicyAsync(permissions:
        [
            new BlobSignedIdentifier { Id = "readers", AccessPolicy = new BlobAccessPolicy { PolicyExpiresOn = expiry, Permissions = "rl" } },
            new BlobSignedIdentifier { Id = "open-ended", AccessPolicy = new BlobAccessPolicy { Permissions = "r" } },
        ]);
        Assert.NotEqual(before, set.Value.ETag);

        var acl = (await container.GetAccessPolicyAsync()).Value;
        Assert.Equal(PublicAccessType.None, acl.BlobPublicAccess);
        Assert.Equal(["readers", "open-ended"], acl.SignedIdentifiers.Select(identifier => identifier.Id));
        Assert.Equal(expiry, acl.SignedIdentifiers.First().AccessPolicy.PolicyExpiresOn);
        Assert.Equal("rl", acl.SignedIdentifiers.First().AccessPolicy.Permissions);
        Assert.Null(acl.SignedIdentifiers.Last().AccessPolicy.PolicyExpiresOn);

        // A SAS naming the policy takes its permissions and expiry.
        var viaPolicy = SasBlob(blob.GenerateSasUri(new BlobSasBuilder { BlobContainerName = container.Name, BlobName = blob.Name, Identifier = "readers" }));
        Assert.Equal("policy content", (await viaPolicy.DownloadContentAsync()).Value.Content.ToString());
        await RefusedAsync(403, "AuthorizationPermissionMismatch", () => viaPolicy.UploadAsync(BinaryData.FromString("w"), overwrite: true));

        // The policy gives permissions; the SAS gives the expiry.
        var split = SasBlob(blob.GenerateSasUri(new BlobSasBuilder { BlobContainerName = container.Name, BlobName = blob.Name, Identifier = "open-ended", ExpiresOn = Now.AddHours(1) }));
        Assert.Equal("policy content", (await split.DownloadContentAsync()).Value.Content.ToString());

        // Neither gives an expiry: refused.
        var noExpiry = SasBlob(blob.GenerateSasUri(new BlobSasBuilder { BlobContainerName = container.Name, BlobName = blob.Name, Identifier = "open-ended" }));
        await RefusedAsync(403, "AuthenticationFailed", () => noExpiry.DownloadContentAsync());

        // A field on both the SAS and the policy: 400, as Azure documents.
        var twice = SasBlob(blob.GenerateSasUri(new BlobSasBuilder(BlobSasPermissions.Read, default) { BlobContainerName = container.Name, BlobName = blob.Name, Identifier = "readers" }));
        await AzureAssert.FailsAsync(400, null, () => twice.DownloadContentAsync());

        // An unknown policy.
        var unknown = SasBlob(blob.GenerateSasUri(new BlobSasBuilder { BlobContainerName = container.Name, BlobName = blob.Name, Identifier = "nobody" }));
        await RefusedAsync(403, "AuthenticationFailed", () => unknown.DownloadContentAsync(), "SAS identifier cannot be found");

        // Removing the policy revokes every SAS naming it at once.
        await container.SetAccessPolicyAsync(permissions: [new BlobSignedIdentifier { Id = "open-ended", AccessPolicy = new BlobAccessPolicy { Permissions = "r" } }]);
        await RefusedAsync(403, "AuthenticationFailed", () => viaPolicy.DownloadContentAsync(), "SAS identifier cannot be found");
        Assert.Equal("policy content", (await split.DownloadContentAsync()).Value.Content.ToString());
        await container.SetAccessPolicyAsync();
        Assert.Empty((await container.GetAccessPolicyAsync()).Value.SignedIdentifiers);
        await RefusedAsync(403, "AuthenticationFailed", () => split.DownloadContentAsync());
    }

    [Fact]
    public async Task Policy_is_dropped_with_its_container_and_not_inherited_by_a_new_one()
    {
        var name = TestNames.Container("recreate");
        var container = fixture.Service.GetBlobContainerClient(name);
        await container.CreateAsync();
        await container.SetAccessPolicyAsync(permissions: [new BlobSignedIdentifier { Id = "old", AccessPolicy = new BlobAccessPolicy { Permissions = "rl", PolicyExpiresOn = Now.AddDays(1) } }]);
        var sas = SasContainer(new BlobUriBuilder(container.Uri) { Sas = new BlobSasBuilder { BlobContainerName = name, Identifier = "old" }.ToSasQueryParameters(DevKey) }.ToUri());
        await foreach (var unused in sas.GetBlobsAsync())
        {
        }

        await container.DeleteAsync();
        await container.CreateAsync();
        Assert.Empty((await container.GetAccessPolicyAsync()).Value.SignedIdentifiers);
        await RefusedAsync(403, "AuthenticationFailed", async () =>
        {
            await foreach (var unused in sas.GetBlobsAsync())
            {
            }
        });
    }

    [Fact]
    public async Task Set_container_acl_refuses_what_azure_refuses()
    {
        var container = await NewContainerAsync("aclrules");
        BlobSignedIdentifier Policy(string id, string permissions = "r") => new() { Id = id, AccessPolicy = new BlobAccessPolicy { Permissions = permissions, PolicyExpiresOn = Now.AddDays(1) } };

        await AzureAssert.FailsAsync(400, "InvalidXmlDocument", () => container.SetAccessPolicyAsync(permissions: Enumerable.Range(0, 6).Select(i => Policy("p" + i))));
        await AzureAssert.FailsAsync(400, "InvalidXmlDocument", () => container.SetAccessPolicyAsync(permissions: [Policy("same"), Policy("same")]));
        await AzureAssert.FailsAsync(400, "InvalidXmlDocument", () => container.SetAccessPolicyAsync(permissions: [Policy(new string('x', 65))]));
        using (var raw = new RawClient(fixture.Server))
        {
            var signer = new SharedKeySigner(StrongroomProcess.DevAccountName, StrongroomProcess.DevAccountKey);
            var path = $"/{container.Name}?restype=container&comp=acl";
            var unknownLetter = "<?xml version=\"1.0\" encoding=\"utf-8\"?><SignedIdentifiers><SignedIdentifier><Id>letters</Id><AccessPolicy><Permission>rz</Permission></AccessPolicy></SignedIdentifier></SignedIdentifiers>";
            AzureAssert.Status(await raw.SendAsync(HttpMethod.Put, StrongroomProcess.DevAccountName, path, signer, System.Text.Encoding.UTF8.GetBytes(unknownLetter)), 400, "InvalidXmlDocument");
            AzureAssert.Status(await raw.SendAsync(HttpMethod.Put, StrongroomProcess.DevAccountName, path, signer, "<SignedIdentifiers><Unknown/>"u8.ToArray()), 400, "InvalidXmlDocument");
            var badTime = "<SignedIdentifiers><SignedIdentifier><Id>t</Id><AccessPolicy><Expiry>tomorrow</Expiry></AccessPolicy></SignedIdentifier></SignedIdentifiers>";
            AzureAssert.Status(await raw.SendAsync(HttpMethod.Put, StrongroomProcess.DevAccountName, path, signer, System.Text.Encoding.UTF8.GetBytes(badTime)), 400, "InvalidXmlNodeValue");
            AzureAssert.Status(await raw.SendAsync(HttpMethod.Put, StrongroomProcess.DevAccountName, path, signer, headers: new Dictionary<string, string> { ["x-ms-blob-public-access"] = "everyone" }), 400, "InvalidHeaderValue");
        }

        await AzureAssert.FailsAsync(409, "PublicAccessNotPermitted", () => container.SetAccessPolicyAsync(PublicAccessType.BlobContainer));
        await AzureAssert.FailsAsync(404, "ContainerNotFound", () => fixture.Service.GetBlobContainerClient(TestNames.Container("absent")).SetAccessPolicyAsync());
        await AzureAssert.FailsAsync(412, "ConditionNotMet", () => container.SetAccessPolicyAsync(conditions: new BlobRequestConditions { IfUnmodifiedSince = Now.AddDays(-1) }));

        // Five is the most, and nothing of a refused request was kept.
        Assert.Empty((await container.GetAccessPolicyAsync()).Value.SignedIdentifiers);
        await container.SetAccessPolicyAsync(permissions: Enumerable.Range(0, 5).Select(i => Policy("p" + i)));
        Assert.Equal(5, (await container.GetAccessPolicyAsync()).Value.SignedIdentifiers.Count());
    }

    // Keys.

    [Fact]
    public async Task Sas_signed_with_key2_works_and_dies_when_key2_is_renewed()
    {
        const string Account = SecondAccountFixture.SecondAccountName;
        var name = TestNames.Container("key2");
        var container = fixture.SecondService.GetBlobContainerClient(name);
        await container.CreateAsync();
        await container.GetBlobClient("k.txt").UploadAsync(BinaryData.FromString("key2 content"));

        Uri Signed(string key) => new BlobUriBuilder(container.GetBlobClient("k.txt").Uri)
        {
            Sas = new BlobSasBuilder(BlobSasPermissions.Read, Now.AddHours(1)) { BlobContainerName = name, BlobName = "k.txt" }.ToSasQueryParameters(new StorageSharedKeyCredential(Account, key)),
        }.ToUri();

        var byKey1 = SasBlob(Signed(fixture.SecondKey1));
        var byKey2 = SasBlob(Signed(fixture.SecondKey2));
        Assert.Equal("key2 content", (await byKey1.DownloadContentAsync()).Value.Content.ToString());
        Assert.Equal("key2 content", (await byKey2.DownloadContentAsync()).Value.Content.ToString());

        // An account SAS of one account does not open another.
        var devSas = new BlobServiceClient(AccountSas(AccountSasPermissions.All, AccountSasResourceTypes.All), Clients.Options());
        var crossUri = new BlobUriBuilder(container.GetBlobClient("k.txt").Uri) { Query = new Uri(devSas.Uri.ToString()).Query.TrimStart('?') }.ToUri();
        await RefusedAsync(403, "AuthenticationFailed", () => SasBlob(crossUri).DownloadContentAsync());

        var renewed = await fixture.Server.RunCliAsync("account", "keys", "renew", Account, "--key", "key2");
        Assert.True(renewed.ExitCode == 0, renewed.ToString());
        await RefusedAsync(403, "AuthenticationFailed", () => byKey2.DownloadContentAsync(), "Signature did not match");
        Assert.Equal("key2 content", (await byKey1.DownloadContentAsync()).Value.Content.ToString());
    }
}
