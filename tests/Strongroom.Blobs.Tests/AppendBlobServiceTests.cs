using Strongroom.TestSupport;
using Microsoft.Data.Sqlite;
using Strongroom.Core;
using Xunit;

namespace Strongroom.Blobs.Tests;

/// <summary>
/// Append blobs at the service (issue 8): the checks hold at commit, not only before the body is
/// read; a failed append leaves no object and no entry; the block limit; every append is logged
/// in its own commit.
/// </summary>
public sealed class AppendBlobServiceTests : IAsyncLifetime
{
    private const string Account = BlobServiceFixture.Account;
    private const string Container = "logs";

    private BlobServiceFixture fixture = null!;

    public async Task InitializeAsync()
    {
        fixture = await BlobServiceFixture.CreateAsync();
        await fixture.Blobs.CreateContainerAsync(Account, Container, []);
    }

    public async Task DisposeAsync() => await fixture.DisposeAsync();

    private Task<BlobWriteResult> CreateAsync(string blob) =>
        fixture.Blobs.CreateAppendBlobAsync(new PutBlobRequest(Account, Container, blob, BlobHttpHeaders.Empty, [], AccessConditions.None, TransactionalChecksums.None));

    private Task<AppendBlockResult> AppendAsync(string blob, Stream body, AppendConditions? conditions = null) =>
        fixture.Blobs.AppendBlockAsync(new AppendBlockRequest(Account, Container, blob, AccessConditions.None, conditions ?? AppendConditions.None, TransactionalChecksums.None), body);

    private Task<AppendBlockResult> AppendAsync(string blob, byte[] data, AppendConditions? conditions = null) => AppendAsync(blob, new MemoryStream(data), conditions);

    [Fact]
    public async Task A_blob_replaced_while_the_block_is_written_fails_the_append_at_commit_and_leaves_nothing()
    {
        await CreateAsync("raced");
        await AppendAsync("raced", BlobServiceFixture.Pattern(100, 1));
        var objectsBefore = fixture.SiteFiles().Count();

        // The body's first read replaces the append blob with a block blob: the append was checked
        // against an append blob, but commits against a block blob.
        var body = new InterceptingStream(BlobServiceFixture.Pattern(5000, 2), () => fixture.PutAsync(Container, "raced", [7]));
        var failed = await Assert.ThrowsAsync<StorageException>(() => AppendAsync("raced", body));
        Assert.Equal(ErrorCode.InvalidBlobType, failed.Code);
        Assert.Equal([7], await fixture.ReadAllAsync(Container, "raced"));
        Assert.Equal(objectsBefore, fixture.SiteFiles().Count());

        // Likewise a position condition that held before the body was read but not at commit.
        await CreateAsync("positioned");
        var late = new InterceptingStream(BlobServiceFixture.Pattern(10, 3), () => AppendAsync("positioned", BlobServiceFixture.Pattern(10, 4)));
        var moved = await Assert.ThrowsAsync<StorageException>(() => AppendAsync("positioned", late, new AppendConditions(AppendPosition: 0)));
        Assert.Equal(ErrorCode.AppendPositionConditionNotMet, moved.Code);
        Assert.Equal(BlobServiceFixture.Pattern(10, 4), await fixture.ReadAllAsync(Container, "positioned"));

        // And a seal that lands while the block is written.
        await CreateAsync("sealing");
        var sealing = new InterceptingStream(BlobServiceFixture.Pattern(10, 5), () => fixture.Blobs.SealAppendBlobAsync(Account, Container, "sealing", AccessConditions.None, AppendConditions.None));
        Assert.Equal(ErrorCode.BlobIsSealed, (await Assert.ThrowsAsync<StorageException>(() => AppendAsync("sealing", sealing))).Code);
        Assert.Empty(await fixture.ReadAllAsync(Container, "sealing"));
    }

    [Fact]
    public async Task The_fifty_thousandth_block_is_the_last()
    {
        // SQLite-only: the parts are filled in through a SQLite connection to the metadata file.
        if (TestMetadata.UsesPostgres)
        {
            return;
        }

        await CreateAsync("full");
        await AppendAsync("full", [1]);

        // Give the blob 49,998 more parts directly (all the same object), as 49,998 appends would.
        await using (var connection = new SqliteConnection($"Data Source={Path.Combine(fixture.Directory, "metadata.db")};Pooling=False"))
        {
            await connection.OpenAsync();
            await using var command = connection.CreateCommand();
            command.CommandText =
                "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 49998) " +
                "INSERT INTO blob_parts (account, container, blob, ordinal, block_id, object_id) " +
                "SELECT account, container, blob, i, NULL, object_id FROM n, (SELECT account, container, blob, object_id FROM blob_parts WHERE blob = 'full'); " +
                "UPDATE blobs SET content_length = 49999 WHERE name = 'full';";
            await command.ExecuteNonQueryAsync();
        }

        var last = await AppendAsync("full", [2]);
        Assert.Equal(Limits.AppendBlocksMax, last.CommittedBlockCount);
        Assert.Equal(49_999, last.AppendOffset);
        var objectsBefore = fixture.SiteFiles().Count();
        var refused = await Assert.ThrowsAsync<StorageException>(() => AppendAsync("full", [3]));
        Assert.Equal(ErrorCode.CommittedBlockCountExceedsLimit, refused.Code);
        Assert.Equal(objectsBefore, fixture.SiteFiles().Count());
    }

    [Fact]
    public async Task Every_append_and_seal_is_in_the_log_and_a_refused_one_is_not()
    {
        await CreateAsync("logged");
        var before = await fixture.Audit.SizeAsync(Account);
        await AppendAsync("logged", BlobServiceFixture.Pattern(123, 6));
        var entry = Assert.Single(await fixture.Audit.EntriesAsync(Account, before));
        Assert.Equal(nameof(BlobOperation.AppendBlock), entry.Action);
        Assert.Equal("123", entry.Detail("length"));
        Assert.Equal(["local"], entry.Sites);

        before = await fixture.Audit.SizeAsync(Account);
        await Assert.ThrowsAsync<StorageException>(() => AppendAsync("logged", [1], new AppendConditions(MaxSize: 10)));
        Assert.Empty(await fixture.Audit.EntriesAsync(Account, before));

        await fixture.Blobs.SealAppendBlobAsync(Account, Container, "logged", AccessConditions.None, AppendConditions.None);
        Assert.Equal(nameof(BlobOperation.SealAppendBlob), Assert.Single(await fixture.Audit.EntriesAsync(Account, before)).Action);
    }

    /// <summary>A body that runs <paramref name="interference"/> once, on its first read, as another request landing meanwhile.</summary>
    private sealed class InterceptingStream(byte[] content, Func<Task> interference) : Stream
    {
        private readonly MemoryStream inner = new(content);
        private bool interfered;

        public override bool CanRead => true;

        public override bool CanSeek => false;

        public override bool CanWrite => false;

        public override long Length => content.Length;

        public override long Position { get => inner.Position; set => throw new NotSupportedException(); }

        public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
        {
            if (!interfered)
            {
                interfered = true;
                await interference();
            }

            return await inner.ReadAsync(buffer, cancellationToken);
        }

        public override int Read(byte[] buffer, int offset, int count) => throw new NotSupportedException();

        public override void Flush()
        {
        }

        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

        public override void SetLength(long value) => throw new NotSupportedException();

        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
    }
}
