using System.Security.Cryptography;
using Azure.Storage;
using Azure.Storage.Blobs;
using Azure.Storage.Blobs.Models;
using Azure.Storage.Blobs.Specialized;
using Strongroom.Conformance.Tests.Infrastructure;
using Xunit;

namespace Strongroom.Conformance.Tests;

public sealed class ChecksumTests(ServerFixture fixture) : IClassFixture<ServerFixture>, IDisposable
{
    const int MiB = 1024 * 1024;
    readonly RawClient _raw = new(fixture.Server);
    readonly SharedKeySigner _signer = new(StrongroomProcess.DevAccountName, StrongroomProcess.DevAccountKey);

    public void Dispose() => _raw.Dispose();

    async Task<BlobContainerClient> NewContainerAsync(string stem)
    {
        var container = fixture.Service.GetBlobContainerClient(TestNames.Container(stem));
        await container.CreateAsync();
        return container;
    }

    Task<RawResponse> PutRawAsync(string pathAndQuery, byte[] body, string contentMd5) =>
        _raw.SendAsync(HttpMethod.Put, StrongroomProcess.DevAccountName, pathAndQuery, _signer, body, new Dictionary<string, string>
        {
            ["x-ms-blob-type"] = "BlockBlob",
            ["Content-MD5"] = contentMd5,
        });

    [Fact]
    public async Task Upload_with_md5_validation_stores_the_md5()
    {
        var container = await NewContainerAsync("md5upload");
        var blob = container.GetBlobClient("with-md5");
        var data = Payloads.For(blob.Name, 300_000);
        await blob.UploadAsync(BinaryData.FromBytes(data), new BlobUploadOptions
        {
            TransferValidation = new UploadTransferValidationOptions { ChecksumAlgorithm = StorageChecksumAlgorithm.MD5 },
        });

        Assert.Equal(MD5.HashData(data), (await blob.GetPropertiesAsync()).Value.ContentHash);
        var download = (await blob.DownloadContentAsync()).Value;
        AzureAssert.BytesEqual(data, download.Content.ToMemory(), "download");
        Assert.Equal(MD5.HashData(data), download.Details.ContentHash);
    }

    [Fact]
    public async Task Staged_upload_with_md5_validation_works()
    {
        var container = await NewContainerAsync("md5staged");
        var blob = container.GetBlobClient("staged-md5");
        var data = Payloads.For(blob.Name, 9 * MiB);
        using var source = new MemoryStream(data, writable: false);
        await blob.UploadAsync(source, new BlobUploadOptions
        {
            TransferOptions = new StorageTransferOptions { InitialTransferSize = 4 * MiB, MaximumTransferSize = 4 * MiB },
            TransferValidation = new UploadTransferValidationOptions { ChecksumAlgorithm = StorageChecksumAlgorithm.MD5 },
        });
        AzureAssert.BytesEqual(data, (await blob.DownloadContentAsync()).Value.Content.ToMemory(), "download");
    }

    [Fact]
    public async Task Raw_put_blob_with_correct_md5_succeeds_and_echoes_it()
    {
        var container = await NewContainerAsync("md5rawok");
        var data = Payloads.For("md5-raw-ok", 1000);
        var md5 = Convert.ToBase64String(MD5.HashData(data));
        var response = await PutRawAsync($"/{container.Name}/raw-ok", data, md5);
        AzureAssert.Status(response, 201);
        Assert.Equal(md5, response.Header("Content-MD5"));
        AzureAssert.BytesEqual(data, (await container.GetBlobClient("raw-ok").DownloadContentAsync()).Value.Content.ToMemory(), "download");
    }

    [Fact]
    public async Task Raw_put_blob_with_wrong_md5_is_400_Md5Mismatch_and_creates_nothing()
    {
        var container = await NewContainerAsync("md5rawbad");
        var data = Payloads.For("md5-raw-bad", 100_000);
        var wrong = Convert.ToBase64String(MD5.HashData(data.AsSpan(1)));
        var response = await PutRawAsync($"/{container.Name}/raw-bad", data, wrong);
        AzureAssert.Status(response, 400, "Md5Mismatch");
        Assert.False((await container.GetBlobClient("raw-bad").ExistsAsync()).Value);

        // An existing blob keeps its content after a rejected overwrite.
        var original = Payloads.For("md5-raw-original", 10);
        await container.GetBlobClient("raw-bad").UploadAsync(BinaryData.FromBytes(original));
        response = await PutRawAsync($"/{container.Name}/raw-bad", data, wrong);
        AzureAssert.Status(response, 400, "Md5Mismatch");
        AzureAssert.BytesEqual(original, (await container.GetBlobClient("raw-bad").DownloadContentAsync()).Value.Content.ToMemory(), "content after rejected overwrite");
    }

    [Fact]
    public async Task Raw_put_block_with_wrong_md5_is_400_Md5Mismatch_and_stages_nothing()
    {
        var container = await NewContainerAsync("md5rawblock");
        var data = Payloads.For("md5-raw-block", 5000);
        var wrong = Convert.ToBase64String(new byte[16]);
        var blockId = Uri.EscapeDataString(Convert.ToBase64String(new byte[8]));
        var response = await _raw.SendAsync(
            HttpMethod.Put,
            StrongroomProcess.DevAccountName,
            $"/{container.Name}/raw-block?comp=block&blockid={blockId}",
            _signer,
            data,
            new Dictionary<string, string> { ["Content-MD5"] = wrong });
        AzureAssert.Status(response, 400, "Md5Mismatch");

        var blob = container.GetBlockBlobClient("raw-block");
        try
        {
            Assert.Empty((await blob.GetBlockListAsync(BlockListTypes.All)).Value.UncommittedBlocks);
        }
        catch (Azure.RequestFailedException e) when (e.Status == 404)
        {
        }
    }

    [Fact]
    public async Task Upload_and_download_with_crc64_validation()
    {
        // Written as a user would: with StorageCrc64 the SDK may use its structured-message body
        // (x-ms-structured-body) and expects the server to acknowledge it.
        var container = await NewContainerAsync("crc64");
        var crc64 = new UploadTransferValidationOptions { ChecksumAlgorithm = StorageChecksumAlgorithm.StorageCrc64 };
        var readCrc64 = new DownloadTransferValidationOptions { ChecksumAlgorithm = StorageChecksumAlgorithm.StorageCrc64, AutoValidateChecksum = true };

        var small = container.GetBlobClient("crc64-small");
        var smallData = Payloads.For(small.Name, 200_000);
        await small.UploadAsync(BinaryData.FromBytes(smallData), new BlobUploadOptions { TransferValidation = crc64 });

        var smallDownload = await small.DownloadContentAsync(new BlobDownloadOptions { TransferValidation = readCrc64 });
        AzureAssert.BytesEqual(smallData, smallDownload.Value.Content.ToMemory(), "small blob, CRC64");

        var staged = container.GetBlobClient("crc64-staged");
        var stagedData = Payloads.For(staged.Name, 10 * MiB);
        using (var source = new MemoryStream(stagedData, writable: false))
        {
            await staged.UploadAsync(source, new BlobUploadOptions
            {
                TransferOptions = new StorageTransferOptions { InitialTransferSize = 4 * MiB, MaximumTransferSize = 4 * MiB },
                TransferValidation = crc64,
            });
        }

        using var destination = new MemoryStream();
        await staged.DownloadToAsync(destination, new BlobDownloadToOptions
        {
            TransferOptions = new StorageTransferOptions { InitialTransferSize = 4 * MiB, MaximumTransferSize = 4 * MiB, MaximumConcurrency = 4 },
            TransferValidation = readCrc64,
        });
        AzureAssert.BytesEqual(stagedData, destination.ToArray(), "staged blob, CRC64");
    }
}
