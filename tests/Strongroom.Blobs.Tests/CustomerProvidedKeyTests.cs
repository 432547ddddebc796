using Strongroom.TestSupport;
using System.Security.Cryptography;
using System.Text;
using Strongroom.Core;
using Xunit;

namespace Strongroom.Blobs.Tests;

/// <summary>Customer-provided keys through the service: Azure's rules, and what the store keeps.</summary>
public sealed class CustomerProvidedKeyTests : IAsyncLifetime
{
    private const string Account = BlobServiceFixture.Account;
    private static readonly byte[] KeyBytes = Enumerable.Range(1, 32).Select(i => (byte)i).ToArray();
    private static readonly byte[] OtherKeyBytes = Enumerable.Range(101, 32).Select(i => (byte)i).ToArray();
    private BlobServiceFixture fixture = null!;

    private BlobService Blobs => fixture.Blobs;

    public async Task InitializeAsync()
    {
        fixture = await BlobServiceFixture.CreateAsync();
        await Blobs.CreateContainerAsync(Account, "box", []);
    }

    public async Task DisposeAsync() => await fixture.DisposeAsync();

    private static CustomerProvidedKey Key() => CustomerProvidedKey.Take((byte[])KeyBytes.Clone());

    private static CustomerProvidedKey OtherKey() => CustomerProvidedKey.Take((byte[])OtherKeyBytes.Clone());

    private Task<BlobWriteResult> PutAsync(string blob, byte[] content, CustomerProvidedKey? key) =>
        Blobs.PutBlobAsync(
            new PutBlobRequest(Account, "box", blob, BlobHttpHeaders.Empty, [], AccessConditions.None, TransactionalChecksums.None) { Encryption = new BlobEncryptionOptions(null, key) },
            new MemoryStream(content));

    private async Task<byte[]> ReadAsync(string blob, CustomerProvidedKey? key)
    {
        var reader = await Blobs.OpenBlobAsync(Account, "box", blob, AccessConditions.None, key);
        using var output = new MemoryStream();
        await reader.CopyRangeToAsync(0, reader.Blob.ContentLength, output);
        return output.ToArray();
    }

    private static async Task<ErrorCode> FailsAsync(Func<Task> action) => (await Assert.ThrowsAsync<StorageException>(action)).Code;

    [Fact]
    public async Task Right_key_reads_missing_or_wrong_key_fails_with_azures_codes()
    {
        var content = BlobServiceFixture.Pattern(130_000, 4);
        using var key = Key();
        var result = await PutAsync("cpk", content, key);
        Assert.Equal(SHA256.HashData(KeyBytes), result.CustomerKeySha256);
        Assert.Null(result.EncryptionScope);

        Assert.Equal(content, await ReadAsync("cpk", key));
        Assert.Equal(ErrorCode.BlobUsesCustomerSpecifiedEncryption, await FailsAsync(() => ReadAsync("cpk", null)));
        using var other = OtherKey();
        Assert.Equal(ErrorCode.BlobCustomerSpecifiedEncryptionMismatch, await FailsAsync(() => ReadAsync("cpk", other)));

        Assert.Equal(ErrorCode.BlobUsesCustomerSpecifiedEncryption, await FailsAsync(() => Blobs.GetBlobPropertiesAsync(Account, "box", "cpk", AccessConditions.None)));
        Assert.Equal(SHA256.HashData(KeyBytes), (await Blobs.GetBlobPropertiesAsync(Account, "box", "cpk", AccessConditions.None, key)).CustomerKeySha256);
        Assert.Equal(ErrorCode.BlobCustomerSpecifiedEncryptionMismatch, await FailsAsync(() => Blobs.GetBlobPropertiesAsync(Account, "box", "cpk", AccessConditions.None, other)));
    }

    [Fact]
    public async Task A_key_on_a_blob_without_one_is_refused()
    {
        await PutAsync("plain", [1, 2, 3], null);
        using var key = Key();
        Assert.Equal(ErrorCode.BlobDoesNotUseCustomerSpecifiedEncryption, await FailsAsync(() => ReadAsync("plain", key)));
        Assert.Equal(ErrorCode.BlobDoesNotUseCustomerSpecifiedEncryption, await FailsAsync(() => Blobs.GetBlobPropertiesAsync(Account, "box", "plain", AccessConditions.None, key)));
        Assert.Equal(ErrorCode.BlobDoesNotUseCustomerSpecifiedEncryption, await FailsAsync(() => Blobs.SetBlobMetadataAsync(Account, "box", "plain", [], AccessConditions.None, new BlobEncryptionOptions(null, key))));
    }

    [Fact]
    public async Task Set_metadata_needs_the_key()
    {
        using var key = Key();
        using var other = OtherKey();
        await PutAsync("cpk", [1], key);
        Assert.Equal(ErrorCode.BlobUsesCustomerSpecifiedEncryption, await FailsAsync(() => Blobs.SetBlobMetadataAsync(Account, "box", "cpk", [new("a", "b")], AccessConditions.None)));
        Assert.Equal(ErrorCode.BlobCustomerSpecifiedEncryptionMismatch, await FailsAsync(() => Blobs.SetBlobMetadataAsync(Account, "box", "cpk", [new("a", "b")], AccessConditions.None, new BlobEncryptionOptions(null, other))));
        var updated = await Blobs.SetBlobMetadataAsync(Account, "box", "cpk", [new("a", "b")], AccessConditions.None, new BlobEncryptionOptions(null, key));
        Assert.Equal("b", updated.Metadata.Single().Value);
    }

    [Fact]
    public async Task Blocks_staged_with_one_key_commit_only_with_that_key()
    {
        using var key = Key();
        using var other = OtherKey();
        var content = BlobServiceFixture.Pattern(80_000, 8);
        await Blobs.PutBlockAsync(
            new PutBlockRequest(Account, "box", "blocks", BlobServiceFixture.BlockId(1), TransactionalChecksums.None) { Encryption = new BlobEncryptionOptions(null, key) },
            new MemoryStream(content));
        BlockListEntry[] list = [new(BlockListKind.Latest, BlobServiceFixture.BlockId(1))];
        PutBlockListRequest Commit(CustomerProvidedKey? with) => new(Account, "box", "blocks", list, BlobHttpHeaders.Empty, [], AccessConditions.None) { Encryption = new BlobEncryptionOptions(null, with) };

        Assert.Equal(ErrorCode.BlobUsesCustomerSpecifiedEncryption, await FailsAsync(() => Blobs.PutBlockListAsync(Commit(null))));
        Assert.Equal(ErrorCode.BlobCustomerSpecifiedEncryptionMismatch, await FailsAsync(() => Blobs.PutBlockListAsync(Commit(other))));
        var committed = await Blobs.PutBlockListAsync(Commit(key));
        Assert.Equal(SHA256.HashData(KeyBytes), committed.CustomerKeySha256);
        Assert.Equal(content, await ReadAsync("blocks", key));

        // Blocks staged without a key cannot be committed with one.
        await fixture.StageAsync("box", "keyless", BlobServiceFixture.BlockId(1), [9]);
        Assert.Equal(ErrorCode.BlobDoesNotUseCustomerSpecifiedEncryption, await FailsAsync(() => Blobs.PutBlockListAsync(
            new PutBlockListRequest(Account, "box", "keyless", list, BlobHttpHeaders.Empty, [], AccessConditions.None) { Encryption = new BlobEncryptionOptions(null, key) })));
    }

    [Fact]
    public async Task The_store_keeps_only_the_keys_hash_and_both_keys_are_needed_to_read()
    {
        // SQLite-only: it reads the metadata file's bytes.
        if (TestMetadata.UsesPostgres)
        {
            return;
        }

        using var key = Key();
        await PutAsync("cpk", Encoding.UTF8.GetBytes("secret payload"), key);
        var stored = (await fixture.Store.GetBlobWithPartsAsync(Account, "box", "cpk"))!.Value;
        Assert.Equal(SHA256.HashData(KeyBytes), stored.Blob.CustomerKeySha256);
        Assert.Equal(SHA256.HashData(KeyBytes), stored.Parts.Single().Object.CustomerKeySha256);

        await fixture.Store.DisposeAsync();
        var database = File.ReadAllBytes(Path.Combine(fixture.Directory, "metadata.db"));
        Assert.Equal(-1, database.AsSpan().IndexOf(KeyBytes));
        Assert.Equal(-1, database.AsSpan().IndexOf(Encoding.ASCII.GetBytes(Convert.ToBase64String(KeyBytes))));
        foreach (var file in fixture.SiteFiles())
        {
            Assert.Equal(-1, File.ReadAllBytes(file).AsSpan().IndexOf(KeyBytes));
        }
    }

    [Fact]
    public async Task Disposing_the_key_wipes_it_and_it_never_prints()
    {
        var bytes = (byte[])KeyBytes.Clone();
        var key = CustomerProvidedKey.Take(bytes);
        Assert.DoesNotContain(Convert.ToBase64String(KeyBytes), key.ToString(), StringComparison.Ordinal);
        key.Dispose();
        Assert.All(bytes, b => Assert.Equal(0, b));
        Assert.Throws<ArgumentException>(() => CustomerProvidedKey.Take(new byte[31]));
        await Task.CompletedTask;
    }
}
