using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using System.Net.Http.Headers;
using Azure.Storage.Blobs;
using Strongroom.Conformance.Tests.Infrastructure;
using Xunit;
using Xunit.Abstractions;

namespace Strongroom.Conformance.Tests;

/// <summary>
/// A topology whose remote region <c>cn-remote</c> has three sites: two Azure Blob sites on two
/// real Azurite instances (HTTPS, CA pinned) and one directory site; <c>cn-east</c> has three
/// directory sites (the deployment's default region). The account <see cref="Account"/> keeps LRS
/// in <c>cn-remote</c>, so every object has a copy on each of the three.
/// </summary>
public sealed class RemoteRegionFixture : DatacenterFixture
{
    public const string Account = "faults";
    public const string RemoteA = "remote-a";
    public const string RemoteB = "remote-b";
    public const string RemoteDirectory = "remote-dir";

    public override IReadOnlyList<TestSite> Sites { get; } =
    [
        new("east-1", "cn-east", "cn-east-1", "CN"),
        new("east-2", "cn-east", "cn-east-2", "CN"),
        new("east-3", "cn-east", "cn-east-3", "CN"),
        new(RemoteA, "cn-remote", "cn-remote-1", "CN", Azurite: "remotea"),
        new(RemoteB, "cn-remote", "cn-remote-2", "CN", Azurite: "remoteb"),
        new(RemoteDirectory, "cn-remote", "cn-remote-3", "CN"),
    ];

    public static readonly string[] RemoteSites = [RemoteA, RemoteB, RemoteDirectory];

    protected override async Task OnStartedAsync() =>
        await CreateAccountAsync(Account, "--residency", "CN", "--primary-region", "cn-remote", "--redundancy", "LRS");

    public BlobServiceClient Service => Client(Account);
}

/// <summary>
/// Real faults under a real server: an Azurite datacenter killed (SIGKILL) during a parallel write
/// and read workload and restarted, a directory site made unreadable, a copy's bytes flipped. No
/// acknowledged write is lost or read back wrong, reads keep working, and the repair worker
/// restores every copy, byte for byte.
/// </summary>
public sealed class DatacenterFaultTests(RemoteRegionFixture fixture, ITestOutputHelper output) : IClassFixture<RemoteRegionFixture>
{
    const int Writers = 4;
    const int Readers = 3;

    [Fact]
    public async Task A_killed_azurite_loses_no_acknowledged_write_reads_go_on_and_repair_restores_its_copies()
    {
        var container = fixture.Service.GetBlobContainerClient(TestNames.Container("outage"));
        await container.CreateAsync();
        await using var workload = new Workload(container, Writers, Readers);
        workload.Start();

        // Before the outage: a steady workload on all three copies.
        await workload.WaitForAsync("writes before the outage", acknowledged: 24, reads: 10);

        // Azurite acknowledges before it saves (a 5 s timer, no fsync): writes pause just long enough
        // for what it acknowledged to reach its disk, so the kill tests Strongroom, not Azurite.
        // Reads keep running across the kill.
        await workload.PauseWritesAsync();
        var onA = (await fixture.CopiesAsync(RemoteRegionFixture.Account, container.Name))
            .Where(copy => copy.SiteId == RemoteRegionFixture.RemoteA).Select(copy => copy.ObjectId).ToList();
        Assert.NotEmpty(onA);
        foreach (var objectId in onA)
        {
            await fixture.AzuriteOf(RemoteRegionFixture.RemoteA).WaitUntilPersistedAsync(objectId);
        }

        // One write is in flight, its body half sent, when the datacenter dies.
        await using var inFlight = new GatedUpload(fixture.Server, RemoteRegionFixture.Account, fixture.KeyOf(RemoteRegionFixture.Account), container.Name, "in-flight", 6 * 1024 * 1024, gateAt: 5 * 1024 * 1024);
        await inFlight.WaitUntilGatedAsync();

        fixture.AzuriteOf(RemoteRegionFixture.RemoteA).Kill();
        var readsAtKill = workload.Reads;
        var writesAtKill = workload.Acknowledged.Count;
        workload.ResumeWrites();
        inFlight.Release();
        var inFlightStatus = await inFlight.Completion;
        Assert.True(inFlightStatus == 201, $"The write in flight when the datacenter died answered {inFlightStatus}.");
        workload.Acknowledged[inFlight.BlobName] = inFlight.Data;

        // During the outage: writes are acknowledged on the two other copies, reads go on.
        await workload.WaitForAsync("writes during the outage", acknowledged: writesAtKill + 24, reads: readsAtKill + 20);
        var down = await DatacenterFixture.EventuallyAsync("remote-a reported down", async () =>
        {
            var sites = await fixture.SiteListAsync();
            return (sites[RemoteRegionFixture.RemoteA].Health == "down" && sites[RemoteRegionFixture.RemoteA].Pending > 0, sites);
        });
        output.WriteLine($"during the outage: {down}");
        var table = await fixture.CliAsync("site", "list");
        output.WriteLine(table.StandardOutput);
        Assert.Matches(@"remote-a\s.*\sdown\s", table.StandardOutput);
        foreach (var (name, data) in workload.Acknowledged.ToArray())
        {
            Assert.Equal(data, (await container.GetBlobClient(name).DownloadContentAsync()).Value.Content.ToArray());
        }

        // The datacenter comes back: the workload goes on while repair makes the owed copies.
        await fixture.AzuriteOf(RemoteRegionFixture.RemoteA).RestartAsync();
        var acknowledgedAtRestart = workload.Acknowledged.Count;
        await workload.WaitForAsync("writes after the restart", acknowledged: acknowledgedAtRestart + 8, reads: workload.Reads + 8);
        await workload.StopAsync();
        output.WriteLine($"workload: {workload.Acknowledged.Count} writes acknowledged, {workload.Reads} reads verified");
        Assert.Empty(workload.Failures);

        var converged = await WaitForNoOwedCopiesAsync();
        output.WriteLine($"after repair: {converged}");
        Assert.Equal("up", converged[RemoteRegionFixture.RemoteA].Health);

        await AssertEveryBlobReadsBackAsync(container, workload.Acknowledged);
        await AssertThreeIdenticalCopiesAsync(container.Name, workload.Acknowledged.Keys);
    }

    [Fact]
    public async Task A_directory_site_that_cannot_be_read_is_read_around_and_its_copies_are_restored()
    {
        var container = fixture.Service.GetBlobContainerClient(TestNames.Container("unreadable"));
        await container.CreateAsync();
        var blobs = await UploadAsync(container, "before", 6, size: 40_000);
        await WaitForNoOwedCopiesAsync();
        var copies = await fixture.CopiesAsync(RemoteRegionFixture.Account, container.Name);
        var onDirectory = copies.First(copy => copy.SiteId == RemoteRegionFixture.RemoteDirectory);

        fixture.BreakDirectory(RemoteRegionFixture.RemoteDirectory);
        try
        {
            // The fault is real: the directory copy cannot be opened.
            Assert.ThrowsAny<IOException>(() => File.ReadAllBytes(fixture.ObjectPath(RemoteRegionFixture.RemoteDirectory, onDirectory.ObjectId)));

            // Reads come from the Azurite copies, every time, with the right bytes.
            for (var round = 0; round < 2; round++)
            {
                await AssertEveryBlobReadsBackAsync(container, blobs);
            }

            // Writes go on with two of three copies.
            foreach (var (name, data) in await UploadAsync(container, "during", 3, size: 20_000))
            {
                blobs[name] = data;
            }

            await AssertEveryBlobReadsBackAsync(container, blobs);
        }
        finally
        {
            fixture.RestoreDirectory(RemoteRegionFixture.RemoteDirectory);
        }

        var converged = await WaitForNoOwedCopiesAsync();
        Assert.Equal("up", converged[RemoteRegionFixture.RemoteDirectory].Health);
        await AssertEveryBlobReadsBackAsync(container, blobs);
        await AssertThreeIdenticalCopiesAsync(container.Name, blobs.Keys);
    }

    [Fact]
    public async Task A_flipped_copy_is_read_around_and_replaced_by_repair()
    {
        var container = fixture.Service.GetBlobContainerClient(TestNames.Container("flipped"));
        await container.CreateAsync();
        const string name = "flipped.bin";
        var data = Payloads.For(container.Name + name, 200_000); // several 64 KiB segments: the flip is in the third
        await container.GetBlobClient(name).UploadAsync(new BinaryData(data));
        await WaitForNoOwedCopiesAsync();
        var copy = Assert.Single(await fixture.CopiesAsync(RemoteRegionFixture.Account, container.Name), c => c.SiteId == RemoteRegionFixture.RemoteDirectory);
        var good = await fixture.ReadCopyAsync(RemoteRegionFixture.RemoteA, copy.ObjectId);
        Assert.Equal(good, await fixture.ReadCopyAsync(RemoteRegionFixture.RemoteDirectory, copy.ObjectId));

        // Reads try the primary region's local directory first, so this is the copy a read meets first.
        var path = fixture.ObjectPath(RemoteRegionFixture.RemoteDirectory, copy.ObjectId);
        var offset = (2 * 65536) + 1000;
        await using (var file = new FileStream(path, FileMode.Open, FileAccess.ReadWrite))
        {
            file.Position = offset;
            var original = file.ReadByte();
            file.Position = offset;
            file.WriteByte((byte)(original ^ 0x5a));
        }

        Assert.NotEqual(good, await File.ReadAllBytesAsync(path));

        Assert.Equal(data, (await container.GetBlobClient(name).DownloadContentAsync()).Value.Content.ToArray());

        await DatacenterFixture.EventuallyAsync("the flipped copy replaced", async () =>
        {
            var copies = await fixture.CopiesAsync(RemoteRegionFixture.Account, container.Name);
            var present = copies.Where(c => c.State == "present").Select(c => c.SiteId).ToList();
            var bytes = File.Exists(path) ? await File.ReadAllBytesAsync(path) : [];
            var replaced = present.Count == 3 && copies.Count == 3 && present.Contains(RemoteRegionFixture.RemoteDirectory)
                && bytes.AsSpan().SequenceEqual(good);
            return (replaced, string.Join(", ", copies.Select(c => $"{c.SiteId}:{c.State}")));
        });
        Assert.Equal(data, (await container.GetBlobClient(name).DownloadContentAsync()).Value.Content.ToArray());
        await AssertThreeIdenticalCopiesAsync(container.Name, [name]);
    }

    [Fact]
    public async Task With_two_of_three_sites_down_a_write_is_refused_not_acknowledged_on_one_copy_and_reads_go_on()
    {
        var container = fixture.Service.GetBlobContainerClient(TestNames.Container("quorum"));
        await container.CreateAsync();
        var blobs = await UploadAsync(container, "kept", 3, size: 30_000);
        await WaitForNoOwedCopiesAsync();
        var copies = await fixture.CopiesAsync(RemoteRegionFixture.Account, container.Name);
        foreach (var copy in copies.Where(copy => copy.SiteId == RemoteRegionFixture.RemoteA))
        {
            await fixture.AzuriteOf(RemoteRegionFixture.RemoteA).WaitUntilPersistedAsync(copy.ObjectId);
        }

        var directoryObjects = Directory.GetFiles(Path.Combine(fixture.SiteDirectory(RemoteRegionFixture.RemoteDirectory), "objects"), "*", SearchOption.AllDirectories).Length;
        fixture.AzuriteOf(RemoteRegionFixture.RemoteA).Kill();
        await fixture.AzuriteOf(RemoteRegionFixture.RemoteB).StopAsync();
        try
        {
            // LRS needs two durable copies: one is never enough, for a new blob or an overwrite.
            var (overwritten, _) = blobs.First();
            foreach (var name in new[] { "new-blob", overwritten, "another-new-blob" })
            {
                var refused = await Assert.ThrowsAsync<Azure.RequestFailedException>(() => container.GetBlobClient(name).UploadAsync(new BinaryData(Payloads.For("refused" + name, 5000)), overwrite: true));
                Assert.Equal(503, refused.Status);
                Assert.Equal("ServerBusy", refused.ErrorCode);
            }

            Assert.False(await container.GetBlobClient("new-blob").ExistsAsync());
            Assert.False(await container.GetBlobClient("another-new-blob").ExistsAsync());

            // Reads go on from the copy left, the old bytes of the blob whose overwrite was refused included.
            await AssertEveryBlobReadsBackAsync(container, blobs);

            // A refused write leaves no object behind on the site that could take it.
            Assert.Equal(directoryObjects, Directory.GetFiles(Path.Combine(fixture.SiteDirectory(RemoteRegionFixture.RemoteDirectory), "objects"), "*", SearchOption.AllDirectories).Length);
        }
        finally
        {
            await fixture.AzuriteOf(RemoteRegionFixture.RemoteA).RestartAsync();
            await fixture.AzuriteOf(RemoteRegionFixture.RemoteB).RestartAsync();
        }

        await WaitForNoOwedCopiesAsync();
        foreach (var (name, data) in await UploadAsync(container, "after", 2, size: 10_000))
        {
            blobs[name] = data;
        }

        await AssertEveryBlobReadsBackAsync(container, blobs);
        await AssertThreeIdenticalCopiesAsync(container.Name, blobs.Keys);
    }

    async Task<SiteListing> WaitForNoOwedCopiesAsync() =>
        await DatacenterFixture.EventuallyAsync("every copy made (no pending or bad copy, every remote site up)", async () =>
        {
            var sites = await fixture.SiteListAsync();
            var done = sites.PendingCopies == 0 && sites.BadCopies == 0
                && RemoteRegionFixture.RemoteSites.All(id => sites[id].Health == "up");
            return (done, sites);
        });

    static async Task<ConcurrentDictionary<string, byte[]>> UploadAsync(BlobContainerClient container, string stem, int count, int size)
    {
        var blobs = new ConcurrentDictionary<string, byte[]>(StringComparer.Ordinal);
        for (var i = 0; i < count; i++)
        {
            var name = $"{stem}-{i}";
            var data = Payloads.For(container.Name + name, size + i);
            await container.GetBlobClient(name).UploadAsync(new BinaryData(data));
            blobs[name] = data;
        }

        return blobs;
    }

    static async Task AssertEveryBlobReadsBackAsync(BlobContainerClient container, IReadOnlyDictionary<string, byte[]> blobs)
    {
        foreach (var (name, data) in blobs)
        {
            var read = (await container.GetBlobClient(name).DownloadContentAsync()).Value.Content.ToArray();
            Assert.True(read.AsSpan().SequenceEqual(data), $"{container.Name}/{name} read back {read.Length} bytes that differ from the {data.Length} written.");
        }
    }

    /// <summary>Every object of the blobs has a Present copy on each of the three remote-region sites, and the three hold the same ciphertext.</summary>
    async Task AssertThreeIdenticalCopiesAsync(string container, IEnumerable<string> names)
    {
        var wanted = names.ToHashSet(StringComparer.Ordinal);
        var copies = (await fixture.CopiesAsync(RemoteRegionFixture.Account, container)).Where(copy => wanted.Contains(copy.Blob)).ToList();
        Assert.Equal(wanted.Order(StringComparer.Ordinal), copies.Select(copy => copy.Blob).Distinct().Order(StringComparer.Ordinal));
        foreach (var group in copies.GroupBy(copy => copy.ObjectId))
        {
            Assert.Equal(RemoteRegionFixture.RemoteSites.Order(StringComparer.Ordinal), group.Select(copy => copy.SiteId).Order(StringComparer.Ordinal));
            Assert.All(group, copy => Assert.Equal("present", copy.State));
            var reference = await fixture.ReadCopyAsync(RemoteRegionFixture.RemoteDirectory, group.Key);
            Assert.Equal(group.First().Bytes, reference.Length);
            foreach (var site in new[] { RemoteRegionFixture.RemoteA, RemoteRegionFixture.RemoteB })
            {
                var other = await fixture.ReadCopyAsync(site, group.Key);
                Assert.True(reference.AsSpan().SequenceEqual(other), $"The copy of {group.Key} on {site} differs from the one on {RemoteRegionFixture.RemoteDirectory}.");
            }
        }
    }

    /// <summary>
    /// Parallel SDK clients: writers upload new blobs (each acknowledged one is remembered with its
    /// bytes), readers download remembered blobs at random (seeded) and compare. Any failure is kept,
    /// never thrown, and the test asserts there is none.
    /// </summary>
    sealed class Workload(BlobContainerClient container, int writers, int readers) : IAsyncDisposable
    {
        readonly CancellationTokenSource _stop = new();
        readonly SemaphoreSlim _writeGate = new(1, 1);
        readonly List<Task> _tasks = [];
        int _writesInFlight;
        long _reads;

        public ConcurrentDictionary<string, byte[]> Acknowledged { get; } = new(StringComparer.Ordinal);

        public ConcurrentQueue<string> Failures { get; } = new();

        public long Reads => Interlocked.Read(ref _reads);

        bool _paused;

        public void Start()
        {
            for (var writer = 0; writer < writers; writer++)
            {
                var id = writer;
                _tasks.Add(Task.Run(() => WriteLoopAsync(id)));
            }

            for (var reader = 0; reader < readers; reader++)
            {
                var id = reader;
                _tasks.Add(Task.Run(() => ReadLoopAsync(id)));
            }
        }

        async Task WriteLoopAsync(int writer)
        {
            for (var i = 0; !_stop.IsCancellationRequested; i++)
            {
                try
                {
                    await _writeGate.WaitAsync(_stop.Token);
                }
                catch (OperationCanceledException)
                {
                    return;
                }

                Interlocked.Increment(ref _writesInFlight);
                _writeGate.Release();
                try
                {
                    var name = string.Create(CultureInfo.InvariantCulture, $"w{writer}-{i:D4}");
                    var data = Payloads.For(container.Name + name, 1000 + ((i * 7919) % 60_000));
                    await container.GetBlobClient(name).UploadAsync(new BinaryData(data));
                    Acknowledged[name] = data;
                }
                catch (Exception exception)
                {
                    Failures.Enqueue($"write w{writer}-{i}: {exception.GetType().Name}: {FirstLine(exception.Message)}");
                }
                finally
                {
                    Interlocked.Decrement(ref _writesInFlight);
                }
            }
        }

        async Task ReadLoopAsync(int reader)
        {
            var random = new Random(1000 + reader);
            while (!_stop.IsCancellationRequested)
            {
                var names = Acknowledged.Keys.Order(StringComparer.Ordinal).ToArray();
                if (names.Length == 0)
                {
                    await Task.Delay(20); // back-off until the writers have acknowledged something
                    continue;
                }

                var name = names[random.Next(names.Length)];
                try
                {
                    var read = (await container.GetBlobClient(name).DownloadContentAsync()).Value.Content.ToArray();
                    if (!read.AsSpan().SequenceEqual(Acknowledged[name]))
                    {
                        Failures.Enqueue($"read {name}: {read.Length} bytes that differ from what was written");
                    }

                    Interlocked.Increment(ref _reads);
                }
                catch (Exception exception)
                {
                    Failures.Enqueue($"read {name}: {exception.GetType().Name}: {FirstLine(exception.Message)}");
                }
            }
        }

        static string FirstLine(string text) => text.Split('\n')[0];

        public async Task WaitForAsync(string what, int acknowledged, long reads)
        {
            await DatacenterFixture.EventuallyAsync(what, () =>
            {
                var failed = !Failures.IsEmpty;
                return Task.FromResult((failed || (Acknowledged.Count >= acknowledged && Reads >= reads), $"{Acknowledged.Count} acknowledged, {Reads} reads, failures: {string.Join(" | ", Failures.Take(5))}"));
            });
            Assert.True(Failures.IsEmpty, $"{what}: {string.Join("\n", Failures.Take(10))}");
        }

        /// <summary>No write starts until <see cref="ResumeWrites"/>; returns when none is in flight.</summary>
        public async Task PauseWritesAsync()
        {
            await _writeGate.WaitAsync();
            _paused = true;
            await DatacenterFixture.EventuallyAsync("writes in flight finished", () => Task.FromResult((Volatile.Read(ref _writesInFlight) == 0, _writesInFlight)));
        }

        public void ResumeWrites()
        {
            if (_paused)
            {
                _paused = false;
                _writeGate.Release();
            }
        }

        public async Task StopAsync()
        {
            ResumeWrites();
            await _stop.CancelAsync();
            await Task.WhenAll(_tasks);
        }

        public async ValueTask DisposeAsync()
        {
            if (!_stop.IsCancellationRequested)
            {
                await StopAsync();
            }

            _stop.Dispose();
        }
    }

    /// <summary>
    /// A Put Blob over raw HTTP whose body stops after <c>gateAt</c> bytes until <see cref="Release"/>:
    /// the server is in the middle of a replicated write (its first remote block sent) when the test
    /// breaks something.
    /// </summary>
    sealed class GatedUpload : IAsyncDisposable
    {
        readonly HttpClient _http = new(new SocketsHttpHandler()) { Timeout = TimeSpan.FromMinutes(2) };
        readonly GatedStream _body;

        public GatedUpload(StrongroomProcess server, string account, string key, string container, string blobName, int length, int gateAt)
        {
            BlobName = blobName;
            Data = Payloads.For(container + blobName, length);
            _body = new GatedStream(Data, gateAt);
            var request = new HttpRequestMessage(HttpMethod.Put, new Uri(server.AccountUri(account) + "/" + container + "/" + blobName));
            request.Content = new StreamContent(_body);
            request.Content.Headers.ContentLength = length;
            request.Content.Headers.ContentType = new MediaTypeHeaderValue("application/octet-stream");
            request.Headers.TryAddWithoutValidation("x-ms-date", DateTime.UtcNow.ToString("r", CultureInfo.InvariantCulture));
            request.Headers.TryAddWithoutValidation("x-ms-version", RawClient.SdkServiceVersion);
            request.Headers.TryAddWithoutValidation("x-ms-blob-type", "BlockBlob");
            new SharedKeySigner(account, key).Sign(request);
            Completion = SendAsync(request);
        }

        public string BlobName { get; }

        public byte[] Data { get; }

        /// <summary>The HTTP status of the Put Blob.</summary>
        public Task<int> Completion { get; }

        async Task<int> SendAsync(HttpRequestMessage request)
        {
            using (request)
            {
                using var response = await _http.SendAsync(request);
                return (int)response.StatusCode;
            }
        }

        public Task WaitUntilGatedAsync() => _body.Gated.Task.WaitAsync(TimeSpan.FromSeconds(60));

        public void Release() => _body.Open.TrySetResult();

        public async ValueTask DisposeAsync()
        {
            Release();
            try
            {
                await Completion;
            }
            catch (HttpRequestException)
            {
            }

            _http.Dispose();
        }

        sealed class GatedStream(byte[] data, int gateAt) : Stream
        {
            int _position;

            public TaskCompletionSource Gated { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

            public TaskCompletionSource Open { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

            public override bool CanRead => true;

            public override bool CanSeek => false;

            public override bool CanWrite => false;

            public override long Length => data.Length;

            public override long Position { get => _position; set => throw new NotSupportedException(); }

            public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
            {
                if (_position == gateAt)
                {
                    Gated.TrySetResult();
                    await Open.Task.WaitAsync(cancellationToken);
                }

                var end = _position < gateAt ? gateAt : data.Length;
                var count = Math.Min(buffer.Length, end - _position);
                data.AsMemory(_position, count).CopyTo(buffer);
                _position += count;
                return count;
            }

            public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
                ReadAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

            public override int Read(byte[] buffer, int offset, int count) => ReadAsync(buffer, offset, count).GetAwaiter().GetResult();

            public override void Flush()
            {
            }

            public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

            public override void SetLength(long value) => throw new NotSupportedException();

            public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
        }
    }
}
