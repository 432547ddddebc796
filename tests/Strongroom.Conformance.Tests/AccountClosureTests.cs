using Azure.Storage.Blobs;
using Strongroom.Conformance.Tests.Infrastructure;
using Xunit;

namespace Strongroom.Conformance.Tests;

/// <summary>
/// Account closure through the Azure SDK against the real server (issue 7): <c>strongroom account
/// close</c> refuses the account at once with Azure's 403 AccountIsDisabled, and
/// <c>strongroom account reopen</c> within the grace period gives it back, data intact.
/// </summary>
public sealed class AccountClosureTests(ServerFixture fixture) : IClassFixture<ServerFixture>
{
    [Fact]
    public async Task A_closed_account_is_refused_and_works_again_once_reopened()
    {
        const string Account = "closable";
        var (key, _) = await fixture.Server.CreateAccountAsync(Account);
        var service = new BlobServiceClient(fixture.Server.ConnectionStringFor(Account, key), Clients.Options());
        var container = service.GetBlobContainerClient(TestNames.Container("closure"));
        await container.CreateAsync();
        var blob = container.GetBlobClient("kept.txt");
        await blob.UploadAsync(BinaryData.FromString("kept"));

        var closed = await fixture.Server.RunCliAsync("account", "close", Account, "--grace-days", "30", "--yes");
        Assert.True(closed.ExitCode == 0, closed.ToString());

        await AzureAssert.FailsAsync(403, "AccountIsDisabled", () => blob.DownloadContentAsync());
        await AzureAssert.FailsAsync(403, "AccountIsDisabled", () => container.GetBlobClient("new.txt").UploadAsync(BinaryData.FromString("new")));
        await AzureAssert.FailsAsync(403, "AccountIsDisabled", () => service.GetPropertiesAsync());

        var reopened = await fixture.Server.RunCliAsync("account", "reopen", Account);
        Assert.True(reopened.ExitCode == 0, reopened.ToString());

        Assert.Equal("kept", (await blob.DownloadContentAsync()).Value.Content.ToString());
        await container.GetBlobClient("new.txt").UploadAsync(BinaryData.FromString("new"));
        Assert.Equal("new", (await container.GetBlobClient("new.txt").DownloadContentAsync()).Value.Content.ToString());
    }
}
