using Azure.Storage.Blobs;
using Strongroom.Conformance.Tests.Infrastructure;
using Xunit;

namespace Strongroom.Conformance.Tests;

/// <summary>
/// Key rotation against the real server, through the SDK: the CLI rotates the keyring and an
/// account's key beside the running server, data written before and after stays readable, the
/// rewrap finishes, and everything still reads after a restart. Rotation never rewrites ciphertext.
/// </summary>
public sealed class RotationTests : IAsyncLifetime
{
    StrongroomProcess _server = null!;

    public async Task InitializeAsync() => _server = await StrongroomProcess.StartNewAsync("rotation");

    public async Task DisposeAsync() => await _server.DisposeAsync();

    [Fact]
    public async Task Rotations_beside_a_running_server_keep_old_and_new_data_readable_across_a_restart()
    {
        var dev = new BlobServiceClient(_server.ConnectionString).GetBlobContainerClient("rotation");
        await dev.CreateAsync();
        var before = Payloads.For("rotation-before", 5000);
        await dev.GetBlobClient("before").UploadAsync(BinaryData.FromBytes(before));
        var ciphertextBefore = SiteFiles();

        var rotate = await _server.RunCliAsync("vault", "rotate");
        Assert.True(rotate.ExitCode == 0, rotate.ToString());
        var rotateKey = await _server.RunCliAsync("account", "rotate-key", StrongroomProcess.DevAccountName);
        Assert.True(rotateKey.ExitCode == 0, rotateKey.ToString());

        // An account created after the rotation has keys wrapped by keyring version 2, which the
        // running server has not loaded yet: it re-reads the keyring on first sight of the version.
        var (key1, _) = AccountKeys.Parse(await _server.RunCliAsync("account", "create", "rotated"));
        var tenant = new BlobServiceClient(_server.ConnectionStringFor("rotated", key1)).GetBlobContainerClient("fresh");
        await tenant.CreateAsync();
        await tenant.GetBlobClient("blob").UploadAsync(BinaryData.FromString("tenant data"));

        var after = Payloads.For("rotation-after", 7000);
        await dev.GetBlobClient("after").UploadAsync(BinaryData.FromBytes(after));
        AzureAssert.BytesEqual(before, (await dev.GetBlobClient("before").DownloadContentAsync()).Value.Content.ToMemory(), "old data after rotation");
        AzureAssert.BytesEqual(after, (await dev.GetBlobClient("after").DownloadContentAsync()).Value.Content.ToMemory(), "new data after rotation");

        var rewrap = await _server.RunCliAsync("vault", "rewrap", "--json");
        Assert.True(rewrap.ExitCode == 0, rewrap.ToString());
        var status = await _server.RunCliAsync("vault", "status");
        Assert.Contains($"{StrongroomProcess.DevAccountName}  v1=0 v2*=2", status.StandardOutput, StringComparison.Ordinal);

        // Rewrapping changed metadata only: every ciphertext file written before is byte-identical.
        foreach (var (path, bytes) in ciphertextBefore)
        {
            Assert.Equal(bytes, File.ReadAllBytes(path));
        }

        await _server.RestartAsync();
        dev = new BlobServiceClient(_server.ConnectionString).GetBlobContainerClient("rotation");
        tenant = new BlobServiceClient(_server.ConnectionStringFor("rotated", key1)).GetBlobContainerClient("fresh");
        AzureAssert.BytesEqual(before, (await dev.GetBlobClient("before").DownloadContentAsync()).Value.Content.ToMemory(), "old data after restart");
        AzureAssert.BytesEqual(after, (await dev.GetBlobClient("after").DownloadContentAsync()).Value.Content.ToMemory(), "new data after restart");
        Assert.Equal("tenant data", (await tenant.GetBlobClient("blob").DownloadContentAsync()).Value.Content.ToString());
    }

    Dictionary<string, byte[]> SiteFiles() =>
        Directory.EnumerateFiles(Path.Combine(_server.DataDirectory, "sites"), "*", SearchOption.AllDirectories)
            .Where(path => new FileInfo(path).Length > 0)
            .ToDictionary(path => path, File.ReadAllBytes);
}
