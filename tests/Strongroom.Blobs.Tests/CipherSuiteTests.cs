using Strongroom.Core;
using Strongroom.Crypto;
using Xunit;

namespace Strongroom.Blobs.Tests;

/// <summary>
/// An account's cipher suite: every object of an SM4 account is written in suite 2 with its data
/// key wrapped by SM4 (key-wrap format 2); AES accounts are unchanged; reads follow what is stored.
/// </summary>
public sealed class CipherSuiteTests : IAsyncLifetime
{
    private const string Sm4Account = "tenantsm4";
    private BlobServiceFixture fixture = null!;

    private BlobService Blobs => fixture.Blobs;

    public async Task InitializeAsync()
    {
        fixture = await BlobServiceFixture.CreateAsync();
        var created = await fixture.Accounts.CreateAsync(Sm4Account, CipherSuite.Sm4Gcm);
        Assert.Equal(CipherSuite.Sm4Gcm, created.CipherSuite);
        await Blobs.CreateContainerAsync(Sm4Account, "box", []);
        await Blobs.CreateContainerAsync(BlobServiceFixture.Account, "box", []);
    }

    public async Task DisposeAsync() => await fixture.DisposeAsync();

    [Fact]
    public async Task Accounts_report_their_suite()
    {
        Assert.Equal(CipherSuite.Sm4Gcm, (await fixture.Accounts.GetAsync(Sm4Account)).CipherSuite);
        Assert.Equal(CipherSuite.Aes256Gcm, (await fixture.Accounts.GetAsync(BlobServiceFixture.Account)).CipherSuite);
        var listed = await fixture.Accounts.ListAsync();
        Assert.Equal(CipherSuite.Sm4Gcm, listed.Single(account => account.Name == Sm4Account).CipherSuite);
    }

    [Fact]
    public async Task An_unknown_suite_is_refused_at_creation()
    {
        await Assert.ThrowsAsync<ArgumentOutOfRangeException>(() => fixture.Accounts.CreateAsync("tenantx", (CipherSuite)7));
        Assert.DoesNotContain(await fixture.Accounts.ListAsync(), account => account.Name == "tenantx");
    }

    [Theory]
    [InlineData(0)]
    [InlineData(1)]
    [InlineData(65536)]
    [InlineData(300_000)]
    public async Task Sm4_put_then_read_returns_the_same_bytes(int length)
    {
        var content = BlobServiceFixture.Pattern(length, length);
        await fixture.PutAsync("box", "blob", content, Sm4Account);
        Assert.Equal(content, await fixture.ReadAllAsync("box", "blob", Sm4Account));
    }

    [Fact]
    public async Task Sm4_blocks_commit_and_ranges_read_across_them()
    {
        var first = BlobServiceFixture.Pattern(70_000, 1);
        var second = BlobServiceFixture.Pattern(5_000, 2);
        await Blobs.PutBlockAsync(new PutBlockRequest(Sm4Account, "box", "blocks", BlobServiceFixture.BlockId(1), TransactionalChecksums.None), new MemoryStream(first));
        await Blobs.PutBlockAsync(new PutBlockRequest(Sm4Account, "box", "blocks", BlobServiceFixture.BlockId(2), TransactionalChecksums.None), new MemoryStream(second));
        await Blobs.PutBlockListAsync(new PutBlockListRequest(
            Sm4Account, "box", "blocks",
            [new BlockListEntry(BlockListKind.Uncommitted, BlobServiceFixture.BlockId(1)), new BlockListEntry(BlockListKind.Uncommitted, BlobServiceFixture.BlockId(2))],
            BlobHttpHeaders.Empty, [], AccessConditions.None));

        byte[] whole = [.. first, .. second];
        var reader = await Blobs.OpenBlobAsync(Sm4Account, "box", "blocks", AccessConditions.None);
        using var range = new MemoryStream();
        await reader.CopyRangeToAsync(65_530, 4_480, range);
        Assert.Equal(whole.AsSpan(65_530, 4_480).ToArray(), range.ToArray());
        Assert.Equal(whole, await fixture.ReadAllAsync("box", "blocks", Sm4Account));

        var (_, parts) = (await fixture.Store.GetBlobWithPartsAsync(Sm4Account, "box", "blocks"))!.Value;
        Assert.Equal(2, parts.Count);
        Assert.All(parts, part => Assert.Equal(CipherSuite.Sm4Gcm, KeyWrap.CipherSuiteOf(part.Object.WrappedDataKey)));
    }

    [Fact]
    public async Task Objects_at_rest_carry_their_accounts_suite()
    {
        await fixture.PutAsync("box", "sm4", BlobServiceFixture.Pattern(1000, 3), Sm4Account);
        await fixture.PutAsync("box", "aes", BlobServiceFixture.Pattern(1000, 4));

        await AssertStoredSuiteAsync(Sm4Account, "sm4", CipherSuite.Sm4Gcm);
        await AssertStoredSuiteAsync(BlobServiceFixture.Account, "aes", CipherSuite.Aes256Gcm);
    }

    [Fact]
    public async Task An_sm4_object_moved_under_an_aes_blob_does_not_read()
    {
        await fixture.PutAsync("box", "sm4", BlobServiceFixture.Pattern(1000, 5), Sm4Account);
        await fixture.PutAsync("box", "aes", BlobServiceFixture.Pattern(1000, 6));
        var sm4Object = await SingleObjectAsync(Sm4Account, "sm4");
        var aesObject = await SingleObjectAsync(BlobServiceFixture.Account, "aes");

        // The SM4 ciphertext over the AES object's file: the header names SM4, but the AES blob's
        // key and binding are not the ones it was sealed with.
        await using (var source = await fixture.Site.OpenReadAsync(sm4Object.ObjectId))
        {
            var bytes = new byte[source.Length];
            await source.ReadExactlyAsync(bytes);
            var path = fixture.SiteFiles().Single(file => Path.GetFileName(file) == aesObject.ObjectId);
            await File.WriteAllBytesAsync(path, bytes);
        }

        var error = await Assert.ThrowsAsync<StorageException>(() => fixture.ReadAllAsync("box", "aes"));
        Assert.Equal(ErrorCode.IntegrityCheckFailed, error.Code);
    }

    private async Task<StoredObject> SingleObjectAsync(string account, string blob)
    {
        var (_, parts) = (await fixture.Store.GetBlobWithPartsAsync(account, "box", blob))!.Value;
        return Assert.Single(parts).Object;
    }

    private async Task AssertStoredSuiteAsync(string account, string blob, CipherSuite suite)
    {
        var stored = await SingleObjectAsync(account, blob);
        Assert.Equal(suite, KeyWrap.CipherSuiteOf(stored.WrappedDataKey));
        await using var ciphertext = await fixture.Site.OpenReadAsync(stored.ObjectId);
        var header = new byte[SegmentFormat.HeaderBytes];
        await ciphertext.ReadExactlyAsync(header);
        Assert.Equal("SRSG"u8.ToArray(), header[..4]);
        Assert.Equal((byte)suite, header[5]);
    }
}
