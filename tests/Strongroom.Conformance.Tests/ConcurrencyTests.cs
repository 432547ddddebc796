using System.Collections.Concurrent;
using Azure;
using Azure.Storage;
using Azure.Storage.Blobs;
using Azure.Storage.Blobs.Models;
using Strongroom.Conformance.Tests.Infrastructure;
using Xunit;

namespace Strongroom.Conformance.Tests;

public sealed class ConcurrencyTests(ServerFixture fixture) : IClassFixture<ServerFixture>
{
    const int Writers = 16;

    async Task<BlobContainerClient> NewContainerAsync(string stem)
    {
        var container = fixture.Service.GetBlobContainerClient(TestNames.Container(stem));
        await container.CreateAsync();
        return container;
    }

    [Fact]
    public async Task Concurrent_put_blobs_to_one_name_leave_exactly_one_whole_payload()
    {
        var container = await NewContainerAsync("samename");
        var payloads = Enumerable.Range(0, Writers).Select(i => Payloads.For($"same-name-{i}", 150_000 + i)).ToArray();

        await Task.WhenAll(Enumerable.Range(0, Writers).Select(i => Task.Run(() =>
            container.GetBlobClient("contended").UploadAsync(BinaryData.FromBytes(payloads[i]), overwrite: true))));

        var result = (await container.GetBlobClient("contended").DownloadContentAsync()).Value.Content.ToArray();
        var matches = payloads.Count(p => p.AsSpan().SequenceEqual(result));
        Assert.True(matches == 1, $"the blob ({result.Length} bytes) equals {matches} of the {Writers} payloads");
    }

    [Fact]
    public async Task Concurrent_staged_uploads_to_one_name_leave_one_successful_payload()
    {
        // Azure discards every uncommitted block when any block list commits, so a concurrent staged
        // upload may lose its blocks and fail with 400 InvalidBlockList; no other failure is allowed.
        var container = await NewContainerAsync("samenamestaged");
        var payloads = Enumerable.Range(0, Writers).Select(i => Payloads.For($"same-name-staged-{i}", (200 * 1024) + i)).ToArray();
        var succeeded = new ConcurrentBag<int>();
        var unexpected = new ConcurrentBag<string>();

        await Task.WhenAll(Enumerable.Range(0, Writers).Select(i => Task.Run(async () =>
        {
            try
            {
                using var source = new MemoryStream(payloads[i], writable: false);
                await container.GetBlobClient("contended-staged").UploadAsync(source, new BlobUploadOptions
                {
                    TransferOptions = new StorageTransferOptions { InitialTransferSize = 64 * 1024, MaximumTransferSize = 64 * 1024 },
                });
                succeeded.Add(i);
            }
            catch (RequestFailedException e) when (e.Status == 400 && e.ErrorCode == "InvalidBlockList")
            {
            }
            catch (RequestFailedException e)
            {
                unexpected.Add($"writer {i}: {e.Status} {e.ErrorCode}: {e.Message}");
            }
        })));

        Assert.True(unexpected.IsEmpty, string.Join('\n', unexpected));
        Assert.NotEmpty(succeeded);
        var result = (await container.GetBlobClient("contended-staged").DownloadContentAsync()).Value.Content.ToArray();
        var matching = succeeded.Where(i => payloads[i].AsSpan().SequenceEqual(result)).ToArray();
        Assert.True(matching.Length == 1, $"the blob ({result.Length} bytes) equals {matching.Length} of the successful writers' payloads");
    }

    [Fact]
    public async Task Concurrent_writers_to_different_blobs_all_succeed()
    {
        var container = await NewContainerAsync("manyblobs");
        const int BlobsPerWriter = 4;

        await Task.WhenAll(Enumerable.Range(0, Writers).Select(w => Task.Run(async () =>
        {
            for (var i = 0; i < BlobsPerWriter; i++)
            {
                var name = $"writer-{w:D2}/blob-{i}";
                await container.GetBlobClient(name).UploadAsync(BinaryData.FromBytes(Payloads.For(name, 10_000 + (w * 1000) + i)));
            }
        })));

        var listed = new List<string>();
        await foreach (var item in container.GetBlobsAsync())
        {
            listed.Add(item.Name);
        }

        Assert.Equal(Writers * BlobsPerWriter, listed.Count);
        foreach (var name in listed)
        {
            var w = int.Parse(name.AsSpan(7, 2), System.Globalization.CultureInfo.InvariantCulture);
            var i = int.Parse(name.AsSpan(name.Length - 1), System.Globalization.CultureInfo.InvariantCulture);
            var expected = Payloads.For(name, 10_000 + (w * 1000) + i);
            AzureAssert.BytesEqual(expected, (await container.GetBlobClient(name).DownloadContentAsync()).Value.Content.ToMemory(), name);
        }
    }

    [Fact]
    public async Task Concurrent_container_creation_yields_one_success_and_409s()
    {
        var name = TestNames.Container("racecreate");
        var outcomes = await Task.WhenAll(Enumerable.Range(0, Writers).Select(_ => Task.Run(async () =>
        {
            try
            {
                await fixture.Service.GetBlobContainerClient(name).CreateAsync();
                return "created";
            }
            catch (RequestFailedException e)
            {
                return $"{e.Status} {e.ErrorCode}";
            }
        })));

        Assert.Equal(1, outcomes.Count(o => o == "created"));
        Assert.All(outcomes.Where(o => o != "created"), o => Assert.Equal("409 ContainerAlreadyExists", o));
    }
}
