using System.Security.Cryptography;
using Azure;
using Azure.Storage;
using Azure.Storage.Blobs;
using Azure.Storage.Blobs.Models;
using Azure.Storage.Blobs.Specialized;
using Strongroom.Conformance.Tests.Infrastructure;
using Xunit;

namespace Strongroom.Conformance.Tests;

/// <summary>
/// Append blobs (issue 8) with the real SDK's AppendBlobClient: Create, Append Block (with its
/// position and size conditions), Append Block From URL, Seal, OpenWrite; the blob-type errors of
/// other operations; versions, soft delete and legal holds of append blobs; concurrent appends.
/// </summary>
public sealed class AppendBlobTests(DataProtectionFixture fixture) : IClassFixture<DataProtectionFixture>
{
    BlobServiceClient Service => fixture.Service;

    async Task<BlobContainerClient> NewContainerAsync(string stem, string? account = null)
    {
        var service = account is null ? Service : fixture.ServiceFor(account);
        var container = service.GetBlobContainerClient(TestNames.Container(stem));
        await container.CreateAsync();
        return container;
    }

    static async Task<Response<BlobAppendInfo>> AppendAsync(AppendBlobClient blob, byte[] data, AppendBlobAppendBlockOptions? options = null)
    {
        using var stream = new MemoryStream(data, writable: false);
        return await blob.AppendBlockAsync(stream, options);
    }

    static async Task<byte[]> ReadAsync(BlobBaseClient blob) => (await blob.DownloadContentAsync()).Value.Content.ToArray();

    /// <summary>Every object file of the local sites (not the partial files of copies in flight), with a digest of its bytes.</summary>
    Dictionary<string, string> SiteFiles()
    {
        var root = Path.Combine(fixture.Server.DataDirectory, "sites");
        return Directory.EnumerateFiles(root, "*", SearchOption.AllDirectories)
            .Where(path => path.Contains($"{Path.DirectorySeparatorChar}objects{Path.DirectorySeparatorChar}", StringComparison.Ordinal))
            .ToDictionary(path => path, path => Convert.ToHexString(SHA256.HashData(File.ReadAllBytes(path))), StringComparer.Ordinal);
    }

    /// <summary>The objects stored (a file per copy, on each site of the placement, named by the object id; asynchronous copies land later under the same name).</summary>
    static SortedSet<string> ObjectIds(Dictionary<string, string> files) => new(files.Keys.Select(path => Path.GetFileName(path)), StringComparer.Ordinal);

    [Fact]
    public async Task Create_then_append_blocks_reads_back_their_concatenation_with_offsets_and_counts()
    {
        var container = await NewContainerAsync("append");
        var blob = container.GetAppendBlobClient("log.txt");
        var created = await blob.CreateAsync(new AppendBlobCreateOptions
        {
            HttpHeaders = new BlobHttpHeaders { ContentType = "text/plain" },
            Metadata = new Dictionary<string, string> { ["kind"] = "log" },
        });
        Assert.Equal(201, created.GetRawResponse().Status);

        var empty = (await blob.GetPropertiesAsync()).Value;
        Assert.Equal(BlobType.Append, empty.BlobType);
        Assert.Equal(0, empty.ContentLength);
        Assert.Equal(0, empty.BlobCommittedBlockCount);
        Assert.False(empty.IsSealed);
        Assert.Equal("log", empty.Metadata["kind"]);
        Assert.Empty(await ReadAsync(blob));

        byte[][] blocks = [Payloads.For("append-a", 1), Payloads.For("append-b", 70_000), Payloads.For("append-c", 300_001)];
        long offset = 0;
        for (var i = 0; i < blocks.Length; i++)
        {
            var appended = await AppendAsync(blob, blocks[i]);
            Assert.Equal(201, appended.GetRawResponse().Status);
            Assert.Equal(offset.ToString(System.Globalization.CultureInfo.InvariantCulture), appended.Value.BlobAppendOffset);
            Assert.Equal(i + 1, appended.Value.BlobCommittedBlockCount);
            Assert.Equal(MD5.HashData(blocks[i]), appended.Value.ContentHash);
            offset += blocks[i].Length;
        }

        var all = blocks.SelectMany(block => block).ToArray();
        AzureAssert.BytesEqual(all, await ReadAsync(blob), "appended content");
        var properties = (await blob.GetPropertiesAsync()).Value;
        Assert.Equal(all.Length, properties.ContentLength);
        Assert.Equal(3, properties.BlobCommittedBlockCount);
        Assert.Equal("text/plain", properties.ContentType);

        // A range across the block boundaries, and Get Blob's own headers.
        var ranged = await blob.DownloadContentAsync(new BlobDownloadOptions { Range = new HttpRange(60_000, 20_000) });
        AzureAssert.BytesEqual(all.AsMemory(60_000, 20_000), ranged.Value.Content.ToMemory(), "range across blocks");
        Assert.Equal(BlobType.Append, ranged.Value.Details.BlobType);
        Assert.Equal(3, ranged.Value.Details.BlobCommittedBlockCount);

        var listed = await container.GetBlobsAsync().ToListAsync();
        var item = Assert.Single(listed);
        Assert.Equal(BlobType.Append, item.Properties.BlobType);
        Assert.False(item.Properties.IsSealed);

        // Create again replaces the blob with an empty one.
        await blob.CreateAsync();
        Assert.Equal(0, (await blob.GetPropertiesAsync()).Value.ContentLength);
    }

    [Fact]
    public async Task Each_append_is_one_new_stored_object_and_earlier_objects_are_never_rewritten()
    {
        var container = await NewContainerAsync("appendobjects");
        var blob = container.GetAppendBlobClient("objects");
        await blob.CreateAsync();
        var before = SiteFiles();
        for (var i = 0; i < 3; i++)
        {
            await AppendAsync(blob, Payloads.For($"object-{i}", 10_000 + i));
            var after = SiteFiles();
            Assert.Single(ObjectIds(after).Except(ObjectIds(before)));
            foreach (var (path, digest) in before)
            {
                Assert.True(after.TryGetValue(path, out var now) && now == digest, $"append {i} changed or removed {path}");
            }

            before = after;
        }

        // A failed append leaves no object behind.
        await AzureAssert.FailsAsync(412, "AppendPositionConditionNotMet", () => AppendAsync(blob, Payloads.For("late", 5000), new AppendBlobAppendBlockOptions
        {
            Conditions = new AppendBlobRequestConditions { IfAppendPositionEqual = 1 },
        }));
        await AzureAssert.FailsAsync(400, "Md5Mismatch", () => AppendAsync(blob, Payloads.For("bad-md5", 5000), new AppendBlobAppendBlockOptions
        {
            TransferValidation = new UploadTransferValidationOptions { ChecksumAlgorithm = StorageChecksumAlgorithm.MD5, PrecalculatedChecksum = MD5.HashData(Payloads.For("other", 5000)) },
        }));
        Assert.Equal(ObjectIds(before), ObjectIds(SiteFiles()));
    }

    [Fact]
    public async Task Append_position_and_max_size_conditions_are_checked_as_Azure_does()
    {
        var container = await NewContainerAsync("appendcond");
        var blob = container.GetAppendBlobClient("conditional");
        await blob.CreateAsync();
        var first = Payloads.For("cond-1", 1000);
        await AppendAsync(blob, first, new AppendBlobAppendBlockOptions { Conditions = new AppendBlobRequestConditions { IfAppendPositionEqual = 0 } });

        await AzureAssert.FailsAsync(412, "AppendPositionConditionNotMet", () => AppendAsync(blob, first, new AppendBlobAppendBlockOptions
        {
            Conditions = new AppendBlobRequestConditions { IfAppendPositionEqual = 0 },
        }));
        await AzureAssert.FailsAsync(412, "MaxBlobSizeConditionNotMet", () => AppendAsync(blob, first, new AppendBlobAppendBlockOptions
        {
            Conditions = new AppendBlobRequestConditions { IfMaxSizeLessThanOrEqual = 1999 },
        }));
        await AzureAssert.FailsAsync(412, "ConditionNotMet", () => AppendAsync(blob, first, new AppendBlobAppendBlockOptions
        {
            Conditions = new AppendBlobRequestConditions { IfMatch = new ETag("\"0x1\"") },
        }));

        var etag = (await blob.GetPropertiesAsync()).Value.ETag;
        var second = await AppendAsync(blob, first, new AppendBlobAppendBlockOptions
        {
            Conditions = new AppendBlobRequestConditions { IfAppendPositionEqual = 1000, IfMaxSizeLessThanOrEqual = 2000, IfMatch = etag },
        });
        Assert.Equal("1000", second.Value.BlobAppendOffset);
        Assert.NotEqual(etag, second.Value.ETag);
        Assert.Equal(2000, (await blob.GetPropertiesAsync()).Value.ContentLength);

        // Malformed condition headers and bodies, as a raw client would send them.
        using var raw = new RawClient(fixture.Server);
        var signer = new SharedKeySigner(StrongroomProcess.DevAccountName, StrongroomProcess.DevAccountKey);
        var path = $"/{container.Name}/conditional?comp=appendblock";
        var badPosition = await raw.SendAsync(HttpMethod.Put, StrongroomProcess.DevAccountName, path, signer, [1, 2, 3], new Dictionary<string, string> { ["x-ms-blob-condition-appendpos"] = "-1" });
        AzureAssert.Status(badPosition, 400, "InvalidHeaderValue");
        var badSize = await raw.SendAsync(HttpMethod.Put, StrongroomProcess.DevAccountName, path, signer, [1, 2, 3], new Dictionary<string, string> { ["x-ms-blob-condition-maxsize"] = "lots" });
        AzureAssert.Status(badSize, 400, "InvalidHeaderValue");
        var emptyBlock = await raw.SendAsync(HttpMethod.Put, StrongroomProcess.DevAccountName, path, signer, []);
        AzureAssert.Status(emptyBlock, 400, "InvalidHeaderValue");
        var createWithBody = await raw.SendAsync(HttpMethod.Put, StrongroomProcess.DevAccountName, $"/{container.Name}/with-body", signer, [1, 2, 3], new Dictionary<string, string> { ["x-ms-blob-type"] = "AppendBlob" });
        AzureAssert.Status(createWithBody, 400, "InvalidHeaderValue");
        await AzureAssert.FailsAsync(404, "BlobNotFound", () => container.GetBlobClient("with-body").GetPropertiesAsync());
        Assert.Equal(2000, (await blob.GetPropertiesAsync()).Value.ContentLength);
    }

    [Fact]
    public async Task A_sealed_blob_refuses_appends_until_it_is_created_again()
    {
        var container = await NewContainerAsync("appendseal");
        var blob = container.GetAppendBlobClient("sealed");
        await blob.CreateAsync();
        await AppendAsync(blob, Payloads.For("seal", 100));

        await AzureAssert.FailsAsync(412, "AppendPositionConditionNotMet", () => blob.SealAsync(new AppendBlobRequestConditions { IfAppendPositionEqual = 5 }));
        var seal = await blob.SealAsync(new AppendBlobRequestConditions { IfAppendPositionEqual = 100 });
        Assert.Equal(200, seal.GetRawResponse().Status);
        Assert.True(seal.GetRawResponse().Headers.TryGetValue("x-ms-blob-sealed", out var sealedHeader) && sealedHeader == "true");
        Assert.True((await blob.GetPropertiesAsync()).Value.IsSealed);
        Assert.True(Assert.Single(await container.GetBlobsAsync().ToListAsync()).Properties.IsSealed);

        await AzureAssert.FailsAsync(409, "BlobIsSealed", () => AppendAsync(blob, Payloads.For("after-seal", 10)));
        await blob.SealAsync();
        await blob.SetMetadataAsync(new Dictionary<string, string> { ["still"] = "writable" });
        AzureAssert.BytesEqual(Payloads.For("seal", 100), await ReadAsync(blob), "sealed content");

        await AzureAssert.FailsAsync(404, "BlobNotFound", () => container.GetAppendBlobClient("missing").SealAsync());
        var block = container.GetBlobClient("block");
        await block.UploadAsync(BinaryData.FromString("block"));
        await AzureAssert.FailsAsync(409, "InvalidBlobType", () => container.GetAppendBlobClient("block").SealAsync());

        await blob.CreateAsync();
        Assert.False((await blob.GetPropertiesAsync()).Value.IsSealed);
        await AppendAsync(blob, Payloads.For("recreated", 10));
    }

    [Fact]
    public async Task Operations_of_another_blob_type_answer_InvalidBlobType()
    {
        var container = await NewContainerAsync("appendtype");
        var block = container.GetBlockBlobClient("block");
        await block.UploadAsync(new MemoryStream(Payloads.For("type-block", 100)));
        await AzureAssert.FailsAsync(409, "InvalidBlobType", () => AppendAsync(container.GetAppendBlobClient("block"), [1, 2, 3]));
        await AzureAssert.FailsAsync(404, "BlobNotFound", () => AppendAsync(container.GetAppendBlobClient("nothing"), [1, 2, 3]));

        var append = container.GetAppendBlobClient("append");
        await append.CreateAsync();
        await AppendAsync(append, Payloads.For("type-append", 100));
        var asBlock = container.GetBlockBlobClient("append");
        var blockId = Convert.ToBase64String(new byte[16]);
        await AzureAssert.FailsAsync(409, "InvalidBlobType", () => asBlock.StageBlockAsync(blockId, new MemoryStream([1, 2, 3])));
        await AzureAssert.FailsAsync(409, "InvalidBlobType", () => asBlock.CommitBlockListAsync([]));
        await AzureAssert.FailsAsync(409, "InvalidBlobType", () => asBlock.GetBlockListAsync());
        AzureAssert.BytesEqual(Payloads.For("type-append", 100), await ReadAsync(append), "the append blob is untouched");

        // Put Blob replaces a blob of any type, as in Azure.
        await asBlock.UploadAsync(new MemoryStream(Payloads.For("replaced", 10)));
        Assert.Equal(BlobType.Block, (await append.GetPropertiesAsync()).Value.BlobType);
        await AzureAssert.FailsAsync(409, "InvalidBlobType", () => AppendAsync(append, [1]));
    }

    [Fact]
    public async Task Concurrent_appends_all_land_whole_and_in_disjoint_ranges()
    {
        var container = await NewContainerAsync("appendrace");
        var blob = container.GetAppendBlobClient("raced");
        await blob.CreateAsync();
        const int Writers = 16;
        var payloads = Enumerable.Range(0, Writers).Select(i => Payloads.For($"race-{i}", 20_000 + (i * 997))).ToArray();
        var results = await Task.WhenAll(payloads.Select(payload => AppendAsync(blob, payload)));

        var content = await ReadAsync(blob);
        Assert.Equal(payloads.Sum(payload => payload.Length), content.Length);
        Assert.Equal(Enumerable.Range(1, Writers), results.Select(result => result.Value.BlobCommittedBlockCount).Order());
        var covered = 0L;
        foreach (var (payload, result) in payloads.Zip(results).OrderBy(pair => long.Parse(pair.Second.Value.BlobAppendOffset, System.Globalization.CultureInfo.InvariantCulture)))
        {
            var offset = long.Parse(result.Value.BlobAppendOffset, System.Globalization.CultureInfo.InvariantCulture);
            Assert.Equal(covered, offset);
            AzureAssert.BytesEqual(payload, content.AsMemory((int)offset, payload.Length), $"block at {offset}");
            covered += payload.Length;
        }

        // With a position condition, exactly one of several racing appends wins.
        var position = content.Length;
        var attempts = await Task.WhenAll(Enumerable.Range(0, 8).Select(async i =>
        {
            try
            {
                await AppendAsync(blob, Payloads.For($"pos-{i}", 4096), new AppendBlobAppendBlockOptions { Conditions = new AppendBlobRequestConditions { IfAppendPositionEqual = position } });
                return 201;
            }
            catch (RequestFailedException e) when (e.ErrorCode == "AppendPositionConditionNotMet")
            {
                return e.Status;
            }
        }));
        Assert.Equal(1, attempts.Count(status => status == 201));
        Assert.Equal(7, attempts.Count(status => status == 412));
        Assert.Equal(position + 4096, (await blob.GetPropertiesAsync()).Value.ContentLength);
    }

    [Fact]
    public async Task Open_write_and_crc64_validated_appends_work_through_the_sdk()
    {
        var container = await NewContainerAsync("appendwrite");
        var blob = container.GetAppendBlobClient("stream");
        var payload = Payloads.For("open-write", 3 * 1024 * 1024 + 123);
        await using (var writer = await blob.OpenWriteAsync(overwrite: true, new AppendBlobOpenWriteOptions { BufferSize = 1024 * 1024 }))
        {
            for (var offset = 0; offset < payload.Length; offset += 300_000)
            {
                await writer.WriteAsync(payload.AsMemory(offset, Math.Min(300_000, payload.Length - offset)));
            }
        }

        AzureAssert.BytesEqual(payload, await ReadAsync(blob), "open-write content");
        Assert.True((await blob.GetPropertiesAsync()).Value.BlobCommittedBlockCount >= 4);

        var extra = Payloads.For("crc-append", 200_000);
        var validated = await AppendAsync(blob, extra, new AppendBlobAppendBlockOptions
        {
            TransferValidation = new UploadTransferValidationOptions { ChecksumAlgorithm = StorageChecksumAlgorithm.StorageCrc64 },
        });
        Assert.Equal(payload.Length.ToString(System.Globalization.CultureInfo.InvariantCulture), validated.Value.BlobAppendOffset);
        AzureAssert.BytesEqual(payload.Concat(extra).ToArray(), await ReadAsync(blob), "after a CRC-64 validated append");
    }

    [Fact]
    public async Task Append_block_from_url_appends_a_range_of_a_blob_of_the_same_account()
    {
        var container = await NewContainerAsync("appendurl");
        var source = container.GetBlobClient("source.bin");
        var sourceBytes = Payloads.For("url-source", 500_000);
        await source.UploadAsync(BinaryData.FromBytes(sourceBytes));
        var blob = container.GetAppendBlobClient("target");
        await blob.CreateAsync();

        var whole = await blob.AppendBlockFromUriAsync(source.Uri);
        Assert.Equal(201, whole.GetRawResponse().Status);
        Assert.Equal("0", whole.Value.BlobAppendOffset);
        var part = await blob.AppendBlockFromUriAsync(source.Uri, new AppendBlobAppendBlockFromUriOptions
        {
            SourceRange = new HttpRange(1000, 4000),
            SourceContentHash = MD5.HashData(sourceBytes.AsSpan(1000, 4000)),
            DestinationConditions = new AppendBlobRequestConditions { IfAppendPositionEqual = sourceBytes.Length },
        });
        Assert.Equal(2, part.Value.BlobCommittedBlockCount);
        AzureAssert.BytesEqual(sourceBytes.Concat(sourceBytes.AsSpan(1000, 4000).ToArray()).ToArray(), await ReadAsync(blob), "appended from URL");

        // An append blob can be its own source.
        await blob.AppendBlockFromUriAsync(blob.Uri, new AppendBlobAppendBlockFromUriOptions { SourceRange = new HttpRange(0, 10) });
        Assert.Equal(sourceBytes.Length + 4010, (await blob.GetPropertiesAsync()).Value.ContentLength);

        await AzureAssert.FailsAsync(400, "Md5Mismatch", () => blob.AppendBlockFromUriAsync(source.Uri, new AppendBlobAppendBlockFromUriOptions
        {
            SourceRange = new HttpRange(0, 100),
            SourceContentHash = MD5.HashData(sourceBytes.AsSpan(1, 100)),
        }));
        await AzureAssert.FailsAsync(416, "InvalidRange", () => blob.AppendBlockFromUriAsync(source.Uri, new AppendBlobAppendBlockFromUriOptions { SourceRange = new HttpRange(sourceBytes.Length, 10) }));
        await AzureAssert.FailsAsync(404, "CannotVerifyCopySource", () => blob.AppendBlockFromUriAsync(container.GetBlobClient("missing").Uri));
        var otherAccount = fixture.ServiceFor(DataProtectionFixture.Versioned).GetBlobContainerClient(container.Name).GetBlobClient("source.bin").Uri;
        await AzureAssert.FailsAsync(404, "CannotVerifyCopySource", () => blob.AppendBlockFromUriAsync(otherAccount));
        await AzureAssert.FailsAsync(409, "InvalidBlobType", () => container.GetAppendBlobClient("source.bin").AppendBlockFromUriAsync(blob.Uri));
        Assert.Equal(sourceBytes.Length + 4010, (await blob.GetPropertiesAsync()).Value.ContentLength);

        // Copy Blob keeps the type: the copy of an append blob takes appends.
        var copy = container.GetAppendBlobClient("copy");
        await (await copy.StartCopyFromUriAsync(blob.Uri)).WaitForCompletionAsync();
        Assert.Equal(BlobType.Append, (await copy.GetPropertiesAsync()).Value.BlobType);
        await copy.AppendBlockAsync(new MemoryStream([9, 9, 9]));
        Assert.Equal(sourceBytes.Length + 4013, (await copy.GetPropertiesAsync()).Value.ContentLength);
    }

    [Fact]
    public async Task Versions_keep_what_an_append_blob_held_and_appends_grow_only_the_current_version()
    {
        var container = await NewContainerAsync("appendver", DataProtectionFixture.Versioned);
        var blob = container.GetAppendBlobClient("versioned");
        var created = await blob.CreateAsync();
        Assert.NotNull(created.Value.VersionId);
        var first = Payloads.For("ver-1", 1000);
        var appended = await AppendAsync(blob, first);

        // Append Block makes no version (Azure versions Put Blob, Put Block List, Copy, Set Metadata).
        Assert.Equal(created.Value.VersionId, (await blob.GetPropertiesAsync()).Value.VersionId);
        var withMetadata = await blob.SetMetadataAsync(new Dictionary<string, string> { ["v"] = "2" });
        var second = Payloads.For("ver-2", 2000);
        await AppendAsync(blob, second);

        AzureAssert.BytesEqual(first, await ReadAsync(blob.WithVersion(created.Value.VersionId)), "the version kept at Set Metadata");
        AzureAssert.BytesEqual(first.Concat(second).ToArray(), await ReadAsync(blob), "the current version");
        var kept = (await blob.WithVersion(created.Value.VersionId).GetPropertiesAsync()).Value;
        Assert.Equal(BlobType.Append, kept.BlobType);
        Assert.Equal(1, kept.BlobCommittedBlockCount);
        Assert.Equal(withMetadata.Value.VersionId, (await blob.GetPropertiesAsync()).Value.VersionId);
        Assert.Equal(2, await container.GetBlobsAsync(new GetBlobsOptions { States = BlobStates.Version }).CountAsync());
        Assert.NotEqual(appended.Value.ETag, (await blob.GetPropertiesAsync()).Value.ETag);
    }

    [Fact]
    public async Task Soft_deleted_append_blobs_come_back_and_keep_taking_appends()
    {
        var container = await NewContainerAsync("appendsoft", DataProtectionFixture.SoftDeleted);
        var blob = container.GetAppendBlobClient("soft");
        await blob.CreateAsync();
        var first = Payloads.For("soft-1", 5000);
        await AppendAsync(blob, first);
        await blob.DeleteAsync();
        await AzureAssert.FailsAsync(404, "BlobNotFound", () => AppendAsync(blob, first));
        await blob.UndeleteAsync();
        AzureAssert.BytesEqual(first, await ReadAsync(blob), "undeleted");
        await AppendAsync(blob, first);
        Assert.Equal(10_000, (await blob.GetPropertiesAsync()).Value.ContentLength);

        // Re-creating it keeps the old content as a soft-deleted snapshot, as any overwrite does.
        await blob.CreateAsync();
        var snapshots = await container.GetBlobsAsync(new GetBlobsOptions { States = BlobStates.Snapshots | BlobStates.Deleted }).Where(item => item.Snapshot is not null).ToListAsync();
        var snapshot = Assert.Single(snapshots);
        Assert.Equal(BlobType.Append, snapshot.Properties.BlobType);
        Assert.Equal(10_000, snapshot.Properties.ContentLength);

        // Undeleted, the snapshot reads as the append blob it was, sharing its blocks' objects.
        await blob.UndeleteAsync();
        var kept = blob.WithSnapshot(snapshot.Snapshot);
        AzureAssert.BytesEqual(first.Concat(first).ToArray(), await ReadAsync(kept), "the snapshot of the append blob");
        var keptProperties = (await kept.GetPropertiesAsync()).Value;
        Assert.Equal(BlobType.Append, keptProperties.BlobType);
        Assert.Equal(2, keptProperties.BlobCommittedBlockCount);
        await AppendAsync(blob, first);
        Assert.Equal(5000, (await blob.GetPropertiesAsync()).Value.ContentLength);
        Assert.Equal(10_000, (await kept.GetPropertiesAsync()).Value.ContentLength);
    }

    [Fact]
    public async Task A_legal_hold_refuses_appends()
    {
        var container = await NewContainerAsync("appendhold");
        var blob = container.GetAppendBlobClient("held");
        await blob.CreateAsync();
        await AppendAsync(blob, [1, 2, 3]);
        Assert.True((await container.GetBlobClient("held").SetLegalHoldAsync(true)).Value.HasLegalHold);
        await AzureAssert.FailsAsync(409, "BlobImmutableDueToLegalHold", () => AppendAsync(blob, [4, 5, 6]));
        Assert.Equal(3, (await blob.GetPropertiesAsync()).Value.ContentLength);
        await container.GetBlobClient("held").SetLegalHoldAsync(false);
        await AppendAsync(blob, [4, 5, 6]);
        Assert.Equal(new byte[] { 1, 2, 3, 4, 5, 6 }, await ReadAsync(blob));
    }
}

/// <summary>Append blobs under an encryption scope or a customer-provided key: every block is encrypted the way the blob was created.</summary>
public sealed class AppendBlobEncryptionTests(HttpsServerFixture fixture) : IClassFixture<HttpsServerFixture>
{
    static readonly byte[] KeyBytes = Enumerable.Range(0, 32).Select(i => (byte)(i + 7)).ToArray();
    static readonly byte[] OtherKeyBytes = Enumerable.Range(0, 32).Select(i => (byte)(200 - i)).ToArray();

    static AppendBlobEncryptionTests()
    {
        TestLogs.RecordSecret("customer-provided key", Convert.ToBase64String(KeyBytes));
        TestLogs.RecordSecret("customer-provided key", Convert.ToBase64String(OtherKeyBytes));
    }

    async Task<BlobContainerClient> NewContainerAsync(string stem)
    {
        var container = fixture.Service.GetBlobContainerClient(TestNames.Container(stem));
        await container.CreateAsync();
        return container;
    }

    static async Task AppendAsync(AppendBlobClient blob, byte[] data)
    {
        using var stream = new MemoryStream(data, writable: false);
        await blob.AppendBlockAsync(stream);
    }

    [Fact]
    public async Task Blocks_of_a_customer_keyed_blob_need_its_key()
    {
        var container = await NewContainerAsync("appendcpk");
        var keyed = container.GetAppendBlobClient("keyed").WithCustomerProvidedKey(new CustomerProvidedKey(KeyBytes));
        var created = await keyed.CreateAsync();
        Assert.Equal(Convert.ToBase64String(SHA256.HashData(KeyBytes)), created.Value.EncryptionKeySha256);
        var first = Payloads.For("cpk-1", 10_000);
        var second = Payloads.For("cpk-2", 20_000);
        await AppendAsync(keyed, first);
        await AppendAsync(keyed, second);
        AzureAssert.BytesEqual(first.Concat(second).ToArray(), (await keyed.DownloadContentAsync()).Value.Content.ToMemory(), "customer-keyed append blob");

        await AzureAssert.FailsAsync(409, "BlobUsesCustomerSpecifiedEncryption", () => AppendAsync(container.GetAppendBlobClient("keyed"), first));
        await AzureAssert.FailsAsync(409, "BlobCustomerSpecifiedEncryptionMismatch", () => AppendAsync(container.GetAppendBlobClient("keyed").WithCustomerProvidedKey(new CustomerProvidedKey(OtherKeyBytes)), first));
        await AzureAssert.FailsAsync(409, "BlobUsesCustomerSpecifiedEncryption", () => container.GetAppendBlobClient("keyed").DownloadContentAsync());

        var plain = container.GetAppendBlobClient("plain");
        await plain.CreateAsync();
        await AzureAssert.FailsAsync(409, "BlobDoesNotUseCustomerSpecifiedEncryption", () => AppendAsync(plain.WithCustomerProvidedKey(new CustomerProvidedKey(KeyBytes)), first));
        Assert.Equal(30_000, (await keyed.GetPropertiesAsync()).Value.ContentLength);
    }

    [Fact]
    public async Task Blocks_of_a_scoped_blob_go_under_its_scope_and_no_other()
    {
        var container = await NewContainerAsync("appendscope");
        var scoped = container.GetAppendBlobClient("scoped").WithEncryptionScope(HttpsServerFixture.Scope);
        var created = await scoped.CreateAsync();
        Assert.Equal(HttpsServerFixture.Scope, created.Value.EncryptionScope);

        // A block sent without a scope is still encrypted under the blob's.
        var unscoped = container.GetAppendBlobClient("scoped");
        using (var stream = new MemoryStream(Payloads.For("scope-1", 5000), writable: false))
        {
            var appended = await unscoped.AppendBlockAsync(stream);
            Assert.Equal(HttpsServerFixture.Scope, appended.Value.EncryptionScope);
        }

        await AppendAsync(scoped, Payloads.For("scope-2", 5000));
        await AzureAssert.FailsAsync(409, "BlobCustomerSpecifiedEncryptionMismatch", () => AppendAsync(unscoped.WithEncryptionScope("$account-encryption-key"), [1]));
        var properties = (await unscoped.GetPropertiesAsync()).Value;
        Assert.Equal(HttpsServerFixture.Scope, properties.EncryptionScope);
        Assert.Equal(10_000, properties.ContentLength);
        AzureAssert.BytesEqual(Payloads.For("scope-1", 5000).Concat(Payloads.For("scope-2", 5000)).ToArray(), (await unscoped.DownloadContentAsync()).Value.Content.ToMemory(), "scoped append blob");
    }
}
