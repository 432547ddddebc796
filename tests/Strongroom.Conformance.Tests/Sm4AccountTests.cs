using System.Text;
using System.Text.Json;
using Azure;
using Azure.Storage.Blobs;
using Azure.Storage.Blobs.Models;
using Azure.Storage.Blobs.Specialized;
using Strongroom.Conformance.Tests.Infrastructure;
using Xunit;

namespace Strongroom.Conformance.Tests;

/// <summary>
/// A server whose data directory holds an SM4-GCM account, created with
/// <c>strongroom account create NAME --cipher sm4-gcm --data DIR</c> while the server is stopped.
/// </summary>
public sealed class Sm4AccountFixture : ServerFixture
{
    public const string AccountName = "tenantsm4";

    public string Key1 { get; private set; } = string.Empty;

    public CliResult? ShowOutput { get; private set; }

    public BlobServiceClient Sm4Service => new(Server.ConnectionStringFor(AccountName, Key1), Clients.Options());

    public override async Task InitializeAsync()
    {
        var server = StrongroomProcess.CreateStopped(Label);
        Adopt(server);
        await server.StartAsync();
        await server.KillAsync();
        var created = await server.RunCliAsync("account", "create", AccountName, "--cipher", "sm4-gcm");
        (Key1, _) = AccountKeys.Parse(created);
        ShowOutput = await server.RunCliAsync("account", "show", AccountName, "--json");
        await server.StartAsync();
    }
}

/// <summary>
/// The Blob API on an SM4-GCM account through the Azure SDK, and what it leaves at rest: every
/// stored object is in segment format suite 2 and holds no plaintext.
/// </summary>
public sealed class Sm4AccountTests(Sm4AccountFixture fixture) : IClassFixture<Sm4AccountFixture>
{
    const string Canary = "SM4-PLAINTEXT-CANARY-the national cipher keeps this sentence unreadable; ";

    static byte[] CanaryContent(int length)
    {
        var builder = new StringBuilder();
        while (builder.Length < length)
        {
            builder.Append(Canary);
        }

        return Encoding.UTF8.GetBytes(builder.ToString(0, length));
    }

    [Fact]
    public void The_cli_shows_the_accounts_cipher()
    {
        var show = fixture.ShowOutput!;
        Assert.True(show.ExitCode == 0, show.ToString());
        using var document = JsonDocument.Parse(show.StandardOutput);
        Assert.Equal("sm4-gcm", document.RootElement.GetProperty("cipher").GetString());
    }

    [Fact]
    public async Task Put_get_range_and_blocks_round_trip_and_rest_as_sm4()
    {
        var container = fixture.Sm4Service.GetBlobContainerClient(TestNames.Container("sm4"));
        await container.CreateAsync();

        // Put Blob (several 64 KiB segments) and Get Blob.
        var content = CanaryContent(300_000);
        var blob = container.GetBlobClient("put.txt");
        await blob.UploadAsync(BinaryData.FromBytes(content));
        AzureAssert.BytesEqual(content, (await blob.DownloadContentAsync()).Value.Content.ToMemory(), "SM4 put/get");

        // Ranged Get across a segment boundary.
        var range = new HttpRange(65_530, 70_000);
        var ranged = await blob.DownloadStreamingAsync(new BlobDownloadOptions { Range = range });
        using (var buffer = new MemoryStream())
        {
            await ranged.Value.Content.CopyToAsync(buffer);
            Assert.Equal(206, ranged.GetRawResponse().Status);
            AzureAssert.BytesEqual(content.AsMemory(65_530, 70_000), buffer.ToArray(), "SM4 range");
        }

        // Put Block ×3, Put Block List, then read the committed blob and a range across two blocks.
        var blocks = container.GetBlockBlobClient("blocks.txt");
        var parts = new[] { CanaryContent(100_000), Payloads.For("sm4-block-2", 1), Payloads.For("sm4-block-3", 70_000) };
        var ids = new List<string>();
        for (var i = 0; i < parts.Length; i++)
        {
            var id = Convert.ToBase64String(BitConverter.GetBytes(i));
            ids.Add(id);
            using var body = new MemoryStream(parts[i], writable: false);
            await blocks.StageBlockAsync(id, body);
        }

        await blocks.CommitBlockListAsync(ids);
        byte[] whole = [.. parts[0], .. parts[1], .. parts[2]];
        AzureAssert.BytesEqual(whole, (await blocks.DownloadContentAsync()).Value.Content.ToMemory(), "SM4 committed blocks");
        var across = await blocks.DownloadContentAsync(new BlobDownloadOptions { Range = new HttpRange(99_990, 20) });
        AzureAssert.BytesEqual(whole.AsMemory(99_990, 20), across.Value.Content.ToMemory(), "SM4 range across blocks");

        AssertEveryStoredObjectIsSm4WithoutPlaintext();
    }

    [Fact]
    public async Task A_wrong_key_is_still_refused()
    {
        var impostor = new BlobServiceClient(
            fixture.Server.AccountUri(Sm4AccountFixture.AccountName),
            new Azure.Storage.StorageSharedKeyCredential(Sm4AccountFixture.AccountName, StrongroomProcess.DevAccountKey),
            Clients.Options());
        await AzureAssert.FailsAsync(403, "AuthenticationFailed", () => impostor.GetBlobContainerClient("any").GetPropertiesAsync());
    }

    void AssertEveryStoredObjectIsSm4WithoutPlaintext()
    {
        var dataDirectory = fixture.Server.DataDirectory;
        var needle = Encoding.UTF8.GetBytes(Canary[..32]);
        var objects = 0;
        foreach (var file in fixture.Server.FilesAtRest())
        {
            byte[] bytes;
            using (var stream = new FileStream(file, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete))
            {
                bytes = new byte[stream.Length];
                stream.ReadExactly(bytes);
            }

            Assert.True(bytes.AsSpan().IndexOf(needle) < 0, $"plaintext in {file}");
            if (bytes.Length >= 32 && bytes.AsSpan(0, 4).SequenceEqual("SRSG"u8))
            {
                objects++;
                Assert.True(bytes[5] == 2, $"{file} is in cipher suite {bytes[5]}, not 2 (SM4-GCM)");
            }
        }

        // put.txt and three blocks, at least (only the SM4 account writes in this server).
        Assert.True(objects >= 4, $"found {objects} stored objects under {dataDirectory}");
    }
}
