using Azure.Storage.Blobs;
using Xunit;

namespace Strongroom.Conformance.Tests.Infrastructure;

/// <summary>
/// A development server with one account per data-protection combination (issue 7), each set
/// through the real interfaces only: <c>strongroom account protection</c> (Azure sets them through
/// its management plane), Set Blob Legal Hold through the SDK, and
/// <c>strongroom container legal-hold set</c> for a container's hold.
/// </summary>
public sealed class DataProtectionFixture : ServerFixture
{
    public const string Versioned = "versioned";
    public const string SoftDeleted = "softdeleted";
    public const string Both = "protected";
    public const string SoftDeleteDays = "7";

    readonly Dictionary<string, string> _keys = new(StringComparer.Ordinal);

    public override async Task InitializeAsync()
    {
        await base.InitializeAsync();
        foreach (var account in new[] { Versioned, SoftDeleted, Both })
        {
            (_keys[account], _) = await Server.CreateAccountAsync(account);
        }

        await ProtectAsync(Versioned, "--versioning", "on");
        await ProtectAsync(SoftDeleted, "--blob-soft-delete-days", SoftDeleteDays);
        await ProtectAsync(Both, "--versioning", "on", "--blob-soft-delete-days", SoftDeleteDays, "--allow-permanent-delete", "on");
    }

    public string KeyOf(string account) => _keys[account];

    public BlobServiceClient ServiceFor(string account) => new(Server.ConnectionStringFor(account, _keys[account]), Clients.Options());

    public SharedKeySigner SignerFor(string account) => new(account, _keys[account]);

    /// <summary>Set Blob Legal Hold, as a client does it.</summary>
    public async Task SetBlobLegalHoldAsync(string account, string container, string blob) =>
        Assert.True((await ServiceFor(account).GetBlobContainerClient(container).GetBlobClient(blob).SetLegalHoldAsync(true)).Value.HasLegalHold);

    /// <summary><c>strongroom container legal-hold set ACCOUNT CONTAINER --tag case17</c>.</summary>
    public async Task SetContainerLegalHoldAsync(string account, string container)
    {
        var result = await Server.RunCliAsync("container", "legal-hold", "set", account, container, "--tag", "case17");
        Assert.True(result.ExitCode == 0, result.ToString());
    }

    async Task ProtectAsync(string account, params string[] settings)
    {
        var result = await Server.RunCliAsync(["account", "protection", account, .. settings]);
        Assert.True(result.ExitCode == 0, result.ToString());
    }
}
