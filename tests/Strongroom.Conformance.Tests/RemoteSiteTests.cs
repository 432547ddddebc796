using System.Diagnostics;
using Azure.Storage.Blobs;
using Strongroom.Conformance.Tests.Infrastructure;
using Strongroom.Core;
using Strongroom.Storage;
using Xunit;
using Xunit.Abstractions;

namespace Strongroom.Conformance.Tests;

/// <summary>One Azurite (plain HTTP) shared by the tests that do not kill it.</summary>
public sealed class AzuriteFixture : IAsyncLifetime
{
    AzuriteProcess? _azurite;

    public AzuriteProcess Azurite => _azurite ?? throw new InvalidOperationException("The fixture is not initialised.");

    public async Task InitializeAsync() => _azurite = await AzuriteProcess.StartAsync();

    public async Task DisposeAsync()
    {
        if (_azurite is not null)
        {
            await _azurite.DisposeAsync();
        }
    }
}

/// <summary>
/// <see cref="AzureBlobSite"/> against a real Azurite: the ISite contract (atomic immutable
/// writes, seekable reads, absent objects, listing, probes), bounded memory, and the failure
/// contract when the datacenter dies, comes back, presents a certificate nobody pinned, or refuses
/// the key.
/// </summary>
public sealed class RemoteSiteTests(AzuriteFixture fixture, ITestOutputHelper output) : IClassFixture<AzuriteFixture>
{
    /// <summary>Small blocks so that a few hundred KiB already take the multi-block path.</summary>
    const int SmallBlockBytes = 64 * 1024;

    /// <summary>A method of a site whose datacenter is gone must fail within this.</summary>
    static readonly TimeSpan DeadSiteFailureMax = TimeSpan.FromSeconds(5);

    static readonly SeededRandomSource Random = new(5);

    static string NewObjectId() => Random.NewOpaqueId();

    static AzureBlobSite Open(AzuriteProcess azurite, string container, int blockBytes = SmallBlockBytes) =>
        new("remote-test", azurite.SiteOptions(container) with { BlockBytes = blockBytes }, Random);

    static async Task WriteAsync(ISite site, string objectId, byte[] data)
    {
        await using var write = await site.BeginWriteAsync(objectId);
        await write.Content.WriteAsync(data);
        await write.CommitAsync();
    }

    static async Task<byte[]> ReadAllAsync(ISite site, string objectId)
    {
        await using var stream = await site.OpenReadAsync(objectId);
        using var copy = new MemoryStream();
        await stream.CopyToAsync(copy);
        return copy.ToArray();
    }

    static async Task<List<string>> ListAsync(ISite site)
    {
        var ids = new List<string>();
        await foreach (var id in site.ListObjectIdsAsync())
        {
            ids.Add(id);
        }

        return ids;
    }

    [Theory]
    [InlineData(0)]
    [InlineData(1000)]
    [InlineData(SmallBlockBytes)]
    [InlineData((3 * SmallBlockBytes) + 17)]
    public async Task A_committed_object_reads_back_whole_and_from_any_offset(int size)
    {
        await using var site = Open(fixture.Azurite, "roundtrip");
        var objectId = NewObjectId();
        var data = Payloads.For("remote:" + objectId, size);

        await WriteAsync(site, objectId, data);

        Assert.Equal(data, await ReadAllAsync(site, objectId));
        await using var stream = await site.OpenReadAsync(objectId);
        Assert.True(stream.CanSeek);
        Assert.Equal(size, stream.Length);
        foreach (var offset in new[] { size / 2, size / 3, size - 1, 0, size }.Where(offset => offset >= 0).Distinct())
        {
            stream.Position = offset;
            var expected = data.AsSpan(offset, Math.Min(100, size - offset)).ToArray();
            var actual = new byte[expected.Length];
            await stream.ReadExactlyAsync(actual);
            Assert.Equal(expected, actual);
        }

        stream.Position = size;
        Assert.Equal(0, await stream.ReadAsync(new byte[10]));
    }

    [Fact]
    public async Task Reads_keep_working_through_the_synchronous_stream_api()
    {
        await using var site = Open(fixture.Azurite, "roundtrip");
        var objectId = NewObjectId();
        var data = Payloads.For("sync:" + objectId, 200_000);
        await using (var write = await site.BeginWriteAsync(objectId))
        {
            write.Content.Write(data, 0, 150_000);
            write.Content.Write(data, 150_000, 50_000);
            await write.CommitAsync();
        }

        using var stream = await site.OpenReadAsync(objectId);
        stream.Seek(-1000, SeekOrigin.End);
        var tail = new byte[1000];
        stream.ReadExactly(tail);
        Assert.Equal(data.AsSpan(199_000).ToArray(), tail);
    }

    [Fact]
    public async Task Check_list_and_delete_follow_the_contract()
    {
        await using var site = Open(fixture.Azurite, "listing");
        await site.CheckAsync();
        var ids = Enumerable.Range(0, 3).Select(_ => NewObjectId()).ToList();
        foreach (var id in ids)
        {
            await WriteAsync(site, id, Payloads.For(id, 10));
        }

        // Names that are not object ids (put there by someone else) are not objects.
        var container = new BlobServiceClient(fixture.Azurite.ConnectionString).GetBlobContainerClient("listing");
        await container.UploadBlobAsync("not-an-object", BinaryData.FromString("x"));
        await container.UploadBlobAsync(ids[0].ToUpperInvariant(), BinaryData.FromString("x"));

        var listed = await ListAsync(site);
        Assert.Equal(ids.Order(StringComparer.Ordinal), listed.Order(StringComparer.Ordinal));

        await site.DeleteAsync(ids[1]);
        await site.DeleteAsync(ids[1]); // absent is fine
        await site.DeleteAsync(NewObjectId());
        await Assert.ThrowsAsync<FileNotFoundException>(() => site.OpenReadAsync(ids[1]));
        Assert.DoesNotContain(ids[1], await ListAsync(site));
    }

    [Fact]
    public async Task Check_creates_a_missing_container_and_an_absent_object_is_file_not_found()
    {
        var name = "fresh-" + Random.NewOpaqueId()[..8];
        await using var site = Open(fixture.Azurite, name);
        await Assert.ThrowsAsync<FileNotFoundException>(() => site.OpenReadAsync(NewObjectId()));
        await site.CheckAsync();
        Assert.True(await new BlobServiceClient(fixture.Azurite.ConnectionString).GetBlobContainerClient(name).ExistsAsync());
        await Assert.ThrowsAsync<FileNotFoundException>(() => site.OpenReadAsync(NewObjectId()));
        Assert.Empty(await ListAsync(site));
    }

    [Fact]
    public async Task Nothing_is_visible_before_commit_and_an_abandoned_write_leaves_nothing()
    {
        await using var site = Open(fixture.Azurite, "uncommitted");
        var objectId = NewObjectId();
        var write = await site.BeginWriteAsync(objectId);
        await write.Content.WriteAsync(Payloads.For(objectId, (5 * SmallBlockBytes) + 3)); // blocks staged on the service

        await Assert.ThrowsAsync<FileNotFoundException>(() => site.OpenReadAsync(objectId));
        Assert.DoesNotContain(objectId, await ListAsync(site));

        await write.DisposeAsync();
        await Assert.ThrowsAsync<FileNotFoundException>(() => site.OpenReadAsync(objectId));
        Assert.DoesNotContain(objectId, await ListAsync(site));

        // The id is still free: a later write of it commits.
        var data = Payloads.For("after:" + objectId, 10);
        await WriteAsync(site, objectId, data);
        Assert.Equal(data, await ReadAllAsync(site, objectId));
    }

    [Theory]
    [InlineData(100)]
    [InlineData((2 * SmallBlockBytes) + 1)]
    public async Task A_second_commit_of_an_id_is_refused_and_the_first_object_is_kept(int size)
    {
        await using var site = Open(fixture.Azurite, "immutable");
        var objectId = NewObjectId();
        var first = Payloads.For("first:" + objectId, size);
        await WriteAsync(site, objectId, first);

        await using (var second = await site.BeginWriteAsync(objectId))
        {
            await second.Content.WriteAsync(Payloads.For("second:" + objectId, size));
            var refused = await Assert.ThrowsAsync<IOException>(() => second.CommitAsync());
            Assert.Contains("already exists", refused.Message, StringComparison.Ordinal);
        }

        Assert.Equal(first, await ReadAllAsync(site, objectId));
    }

    [Fact]
    public async Task A_20_MiB_object_streams_through_with_bounded_memory()
    {
        const long size = 20L * 1024 * 1024;
        const ulong seed = 2026;
        await using var site = Open(fixture.Azurite, "large", blockBytes: Limits.RemoteSiteBlockBytes);
        var objectId = NewObjectId();
        await site.CheckAsync();

        var before = GC.GetTotalAllocatedBytes(precise: true);
        await using (var write = await site.BeginWriteAsync(objectId))
        {
            await using var source = new GeneratedStream(size, seed);
            await source.CopyToAsync(write.Content, 64 * 1024);
            await write.CommitAsync();
        }

        var writeAllocated = GC.GetTotalAllocatedBytes(precise: true) - before;

        before = GC.GetTotalAllocatedBytes(precise: true);
        var sink = new HashingStream();
        await using (var stream = await site.OpenReadAsync(objectId))
        {
            await stream.CopyToAsync(sink, 64 * 1024);
        }

        var readAllocated = GC.GetTotalAllocatedBytes(precise: true) - before;
        output.WriteLine($"allocated: write {writeAllocated / 1024} KiB, read {readAllocated / 1024} KiB for {size / 1024} KiB");

        Assert.Equal(size, sink.BytesWritten);
        Assert.Equal(GeneratedStream.Sha256Hex(size, seed), sink.FinishHex());

        // Two block buffers (one filling, one in flight; pooled) and the transport's buffers, not the object.
        const long writeBound = (2L * Limits.RemoteSiteBlockBytes) + (4 * 1024 * 1024);
        Assert.True(writeAllocated < writeBound, $"The write allocated {writeAllocated} bytes for a {size}-byte object.");
        Assert.True(readAllocated < size / 2, $"The read allocated {readAllocated} bytes for a {size}-byte object.");
    }

    [Fact]
    public async Task A_killed_datacenter_fails_every_method_fast_and_serves_again_after_restart()
    {
        await using var azurite = await AzuriteProcess.StartAsync();
        await using var site = Open(azurite, "outage");
        var kept = NewObjectId();
        var keptData = Payloads.For(kept, (2 * SmallBlockBytes) + 5);
        await WriteAsync(site, kept, keptData);
        await azurite.WaitUntilPersistedAsync(kept);

        var pending = await site.BeginWriteAsync(NewObjectId());
        await pending.Content.WriteAsync(Payloads.For("pending", SmallBlockBytes + 1)); // one block staged
        var reading = await site.OpenReadAsync(kept);

        azurite.Kill();

        await FailsFastAsync("begin and write", async () =>
        {
            await using var write = await site.BeginWriteAsync(NewObjectId());
            await write.Content.WriteAsync(Payloads.For("during outage", 100));
            await write.CommitAsync();
        });
        await FailsFastAsync("large write", async () =>
        {
            await using var write = await site.BeginWriteAsync(NewObjectId());
            await write.Content.WriteAsync(Payloads.For("during outage", (2 * SmallBlockBytes) + 1));
        });
        await FailsFastAsync("pending commit", () => pending.CommitAsync());
        await FailsFastAsync("open", () => site.OpenReadAsync(kept));
        await FailsFastAsync("read after seek", async () =>
        {
            reading.Position = SmallBlockBytes + 3;
            await reading.ReadExactlyAsync(new byte[10]);
        });
        await FailsFastAsync("check", () => site.CheckAsync());
        await FailsFastAsync("delete", () => site.DeleteAsync(kept));
        await FailsFastAsync("list", () => ListAsync(site));
        await pending.DisposeAsync();
        await reading.DisposeAsync();

        await azurite.RestartAsync();

        await site.CheckAsync();
        Assert.Equal(keptData, await ReadAllAsync(site, kept));
        var after = NewObjectId();
        var afterData = Payloads.For(after, 300);
        await WriteAsync(site, after, afterData);
        Assert.Equal(afterData, await ReadAllAsync(site, after));
        Assert.Contains(kept, await ListAsync(site));
    }

    [Fact]
    public async Task A_planned_stop_keeps_what_was_just_committed()
    {
        await using var azurite = await AzuriteProcess.StartAsync();
        await using var site = Open(azurite, "planned");
        var objectId = NewObjectId();
        var data = Payloads.For(objectId, SmallBlockBytes + 9);
        await WriteAsync(site, objectId, data);

        await azurite.StopAsync();
        await FailsFastAsync("check while stopped", () => site.CheckAsync());
        await azurite.RestartAsync();

        Assert.Equal(data, await ReadAllAsync(site, objectId));
    }

    async Task FailsFastAsync(string what, Func<Task> operation)
    {
        var elapsed = Stopwatch.StartNew();
        var exception = await Record.ExceptionAsync(operation);
        elapsed.Stop();
        output.WriteLine($"{what}: {exception?.GetType().Name} after {elapsed.ElapsedMilliseconds} ms: {exception?.Message}");
        Assert.True(exception is IOException, $"{what}: expected an IOException, got {exception?.GetType().Name ?? "no exception"}: {exception}");
        Assert.True(elapsed.Elapsed < DeadSiteFailureMax, $"{what} took {elapsed.Elapsed} to fail.");
        Assert.IsNotType<FileNotFoundException>(exception);
    }

    [Fact]
    public async Task Https_with_the_pinned_ca_works_and_an_unpinned_certificate_is_refused()
    {
        await using var azurite = await AzuriteProcess.StartAsync(https: true);
        var options = azurite.SiteOptions("tls");

        await using (var pinned = new AzureBlobSite("pinned", options, Random))
        {
            await pinned.CheckAsync();
            var objectId = NewObjectId();
            var data = Payloads.For(objectId, 1000);
            await WriteAsync(pinned, objectId, data);
            Assert.Equal(data, await ReadAllAsync(pinned, objectId));
        }

        // The system's roots do not know the test CA.
        await using (var systemRoots = new AzureBlobSite("system-roots", options with { CaCertificateFile = null }, Random))
        {
            var refused = await Assert.ThrowsAsync<IOException>(() => systemRoots.CheckAsync());
            output.WriteLine(refused.Message);
        }

        // Another CA, pinned, is not this server's.
        var otherCa = Path.Combine(Path.GetTempPath(), "strongroom-other-ca-" + Random.NewOpaqueId() + ".pem");
        var (ca, server, key) = AzuriteProcess.GenerateCertificates("Another CA");
        using (ca)
        using (server)
        using (key)
        {
            await File.WriteAllTextAsync(otherCa, ca.ExportCertificatePem());
        }

        try
        {
            await using var wrongCa = new AzureBlobSite("wrong-ca", options with { CaCertificateFile = otherCa }, Random);
            await Assert.ThrowsAsync<IOException>(() => wrongCa.CheckAsync());
            await Assert.ThrowsAsync<IOException>(() => wrongCa.OpenReadAsync(NewObjectId()));
        }
        finally
        {
            File.Delete(otherCa);
        }
    }

    [Fact]
    public void Plain_http_is_refused_unless_dangerously_allowed()
    {
        var options = fixture.Azurite.SiteOptions("http") with { DangerousAllowHttp = false };
        var refused = Assert.Throws<ArgumentException>(() => new AzureBlobSite("http", options, Random));
        Assert.Contains("https", refused.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_wrong_key_is_an_io_error_that_never_shows_a_key()
    {
        var rightKey = AzuriteProcess.NewAccountKey();
        await using var azurite = await AzuriteProcess.StartAsync(accountName: "remoteaccount", accountKey: rightKey);
        await using (var right = Open(azurite, "keys"))
        {
            await right.CheckAsync();
        }

        var wrongKey = AzuriteProcess.NewAccountKey();
        TestLogs.RecordSecret("remote site account key", wrongKey);
        var wrongKeyFile = azurite.AccountKeyPath + ".wrong";
        await File.WriteAllTextAsync(wrongKeyFile, wrongKey);
        await using var site = new AzureBlobSite("wrong-key", azurite.SiteOptions("keys") with { AccountKeyFile = wrongKeyFile }, Random);

        var failures = new List<Exception>
        {
            await Assert.ThrowsAsync<IOException>(() => site.CheckAsync()),
            await Assert.ThrowsAsync<IOException>(() => site.BeginWriteAsync(NewObjectId())),
            await Assert.ThrowsAsync<IOException>(() => site.OpenReadAsync(NewObjectId())),
            await Assert.ThrowsAsync<IOException>(() => site.DeleteAsync(NewObjectId())),
        };
        foreach (var failure in failures)
        {
            Assert.IsNotType<FileNotFoundException>(failure);
            Assert.Contains("403", failure.Message, StringComparison.Ordinal);
            foreach (var key in new[] { rightKey, wrongKey })
            {
                Assert.DoesNotContain(key, failure.ToString(), StringComparison.Ordinal);
                Assert.DoesNotContain(Uri.EscapeDataString(key), failure.ToString(), StringComparison.Ordinal);
            }
        }

        output.WriteLine(failures[0].Message);
    }

    [Fact]
    public async Task Without_azurite_the_harness_fails_with_the_way_to_get_it()
    {
        var saved = Environment.GetEnvironmentVariable(AzuriteProcess.ExecutableVariable);
        try
        {
            Environment.SetEnvironmentVariable(AzuriteProcess.ExecutableVariable, null);
            var missing = await Assert.ThrowsAsync<InvalidOperationException>(() => AzuriteProcess.StartAsync());
            Assert.Contains("./test.sh", missing.Message, StringComparison.Ordinal);
        }
        finally
        {
            Environment.SetEnvironmentVariable(AzuriteProcess.ExecutableVariable, saved);
        }
    }
}
