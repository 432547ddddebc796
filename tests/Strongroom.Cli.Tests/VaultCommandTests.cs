using System.Text.Json;
using Strongroom.Blobs;
using Strongroom.Core;
using Strongroom.Server;

namespace Strongroom.Cli.Tests;

/// <summary><c>vault rotate | status | rewrap</c> and <c>account rotate-key</c>, in-process, with blobs written through a deployment.</summary>
public sealed class VaultCommandTests : IDisposable
{
    private readonly TempDataDirectory data = new TempDataDirectory().InitializeDevelopment();

    public void Dispose() => data.Dispose();

    [Fact]
    public async Task Keyring_rotation_across_restarts_keeps_old_and_new_data_readable()
    {
        await data.RunWithDataAsync("account", "create", "tenanta");
        await using (var deployment = await OpenAsync())
        {
            await deployment.Blobs.CreateContainerAsync("tenanta", "box", []);
            await PutAsync(deployment, "old", "written before the rotation");
        }

        var rotated = await data.RunWithDataAsync("vault", "rotate");
        Assert.True(rotated.ExitCode == 0, rotated.ToString());
        Assert.Contains("Keyring version 2 is now current.", rotated.Output, StringComparison.Ordinal);

        await using (var deployment = await OpenAsync())
        {
            Assert.Equal(2u, deployment.KeyringCurrentVersion);
            Assert.Equal("written before the rotation", await ReadAsync(deployment, "old"));
            await PutAsync(deployment, "new", "written after the rotation");
        }

        await using (var deployment = await OpenAsync())
        {
            Assert.Equal("written before the rotation", await ReadAsync(deployment, "old"));
            Assert.Equal("written after the rotation", await ReadAsync(deployment, "new"));
        }
    }

    [Fact]
    public async Task Status_counts_values_per_version_and_rewrap_moves_them_all()
    {
        await data.RunWithDataAsync("account", "create", "tenanta");
        await data.RunWithDataAsync("account", "create", "tenantb");
        await using (var deployment = await OpenAsync())
        {
            await deployment.Blobs.CreateContainerAsync("tenanta", "box", []);
            await PutAsync(deployment, "one", "1");
            await PutAsync(deployment, "two", "2");
        }

        Assert.Equal(0, (await data.RunWithDataAsync("vault", "rotate")).ExitCode);
        var rotateKey = await data.RunWithDataAsync("account", "rotate-key", "tenanta");
        Assert.True(rotateKey.ExitCode == 0, rotateKey.ToString());
        Assert.Contains("key-encryption key version 2 is now current", rotateKey.Output, StringComparison.Ordinal);

        var before = await StatusAsync();
        Assert.Equal(2, before.GetProperty("keyringCurrentVersion").GetInt32());
        Assert.Equal((1, 4, 2), KeyringRow(before, 1));
        Assert.Equal((2, 0, 1), KeyringRow(before, 2)); // tenanta's new KEK is wrapped by the new keyring version
        Assert.Equal([(1, 2), (2, 0)], DataKeys(before, "tenanta"));
        Assert.Equal([(1, 0)], DataKeys(before, "tenantb"));

        var text = await data.RunWithDataAsync("vault", "status");
        Assert.Contains("Keyring: 2 version(s), current 2", text.Output, StringComparison.Ordinal);
        Assert.Contains("tenanta  v1=2 v2*=0", text.Output, StringComparison.Ordinal);

        var rewrap = await data.RunWithDataAsync("vault", "rewrap", "--json");
        Assert.True(rewrap.ExitCode == 0, rewrap.ToString());
        using (var counts = JsonDocument.Parse(rewrap.Output))
        {
            Assert.Equal(4, counts.RootElement.GetProperty("sharedKeys").GetInt32());
            Assert.Equal(2, counts.RootElement.GetProperty("keyEncryptionKeys").GetInt32());
            Assert.Equal(2, counts.RootElement.GetProperty("dataKeys").GetInt32());
            Assert.Equal(0, counts.RootElement.GetProperty("failed").GetInt32());
        }

        var after = await StatusAsync();
        Assert.Equal((1, 0, 0), KeyringRow(after, 1));
        Assert.Equal((2, 4, 3), KeyringRow(after, 2));
        Assert.Equal([(1, 0), (2, 2)], DataKeys(after, "tenanta"));

        var again = await data.RunWithDataAsync("vault", "rewrap");
        Assert.Contains("Rewrapped 0 shared key(s), 0 account key-encryption key(s), 0 data key(s), 0 vault item value(s).", again.Output, StringComparison.Ordinal);

        await using var deployment2 = await OpenAsync();
        Assert.Equal("1", await ReadAsync(deployment2, "one"));
        Assert.Equal("2", await ReadAsync(deployment2, "two"));
    }

    [Fact]
    public async Task The_background_rewrap_runs_a_pass_after_a_rotation_and_stops_when_cancelled()
    {
        await data.RunWithDataAsync("account", "create", "tenanta");
        await using var deployment = await OpenAsync();
        await deployment.Blobs.CreateContainerAsync("tenanta", "box", []);
        await PutAsync(deployment, "blob", "content");
        Assert.False(await deployment.MayNeedRewrapAsync());

        using var stop = new CancellationTokenSource();
        var pass = deployment.BackgroundRewrap.NextPassAsync();
        var loop = deployment.BackgroundRewrap.RunAsync(logger: null, stop.Token);
        Assert.False(pass.IsCompleted);

        await deployment.RotateAccountKeyAsync("tenanta");
        var counts = await pass;

        Assert.Equal(1, counts.DataKeys);
        Assert.True(await deployment.MayNeedRewrapAsync());
        Assert.Equal("content", await ReadAsync(deployment, "blob"));

        var next = deployment.BackgroundRewrap.NextPassAsync();
        await deployment.RotateKeyringAsync();
        Assert.Equal(new RewrapCounts(2, 2, 0, 0, 0, 0), await next);

        await stop.CancelAsync();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => loop);
    }

    [Fact]
    public async Task Rotate_key_of_an_unknown_account_fails()
    {
        await data.RunWithDataAsync("account", "create", "tenanta");

        var result = await data.RunWithDataAsync("account", "rotate-key", "nobody1");

        Assert.Equal(1, result.ExitCode);
        Assert.Contains("account 'nobody1' not found", result.Error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Rotate_key_with_an_invalid_name_is_a_usage_error()
    {
        var result = await data.RunWithDataAsync("account", "rotate-key", "Bad_Name");

        Assert.Equal(2, result.ExitCode);
    }

    [Theory]
    [InlineData("rotate")]
    [InlineData("status")]
    [InlineData("rewrap")]
    public async Task Vault_commands_on_a_missing_data_directory_fail_without_creating_it(string command)
    {
        using var missing = new TempDataDirectory();

        var result = await missing.RunWithDataAsync("vault", command);

        Assert.Equal(1, result.ExitCode);
        Assert.Contains("no Strongroom data directory", result.Error, StringComparison.Ordinal);
        Assert.False(Directory.Exists(missing.Path));
    }

    [Fact]
    public async Task A_damaged_keyring_is_reported_and_not_replaced()
    {
        await data.RunWithDataAsync("account", "create", "tenanta");
        var keyring = Path.Combine(data.Path, "vault", "keyring");
        File.WriteAllBytes(keyring, "damaged"u8.ToArray());

        var rotate = await data.RunWithDataAsync("vault", "rotate");
        var status = await data.RunWithDataAsync("vault", "status");

        Assert.Equal(1, rotate.ExitCode);
        Assert.Contains("is not a Strongroom keyring", rotate.Error, StringComparison.Ordinal);
        Assert.Equal(1, status.ExitCode);
        Assert.Equal("damaged"u8.ToArray(), File.ReadAllBytes(keyring));
    }

    [Fact]
    public async Task Output_never_contains_key_material()
    {
        var created = await data.RunWithDataAsync("account", "create", "tenanta", "--json");
        using var account = JsonDocument.Parse(created.Output);
        var key1 = account.RootElement.GetProperty("key1").GetString()!;

        var outputs = new[]
        {
            await data.RunWithDataAsync("vault", "rotate"),
            await data.RunWithDataAsync("account", "rotate-key", "tenanta"),
            await data.RunWithDataAsync("vault", "status", "--json"),
            await data.RunWithDataAsync("vault", "rewrap"),
        };

        foreach (var result in outputs)
        {
            Assert.DoesNotContain(key1, result.Output, StringComparison.Ordinal);
            Assert.DoesNotContain(key1, result.Error, StringComparison.Ordinal);
        }
    }

    [Fact]
    public async Task Status_counts_vault_secrets_and_keys_per_keyring_version_and_rewrap_moves_them()
    {
        await data.RunWithDataAsync("account", "create", "tenanta");
        await using (var deployment = await OpenAsync())
        {
            await deployment.KeyVault.SetSecretAsync("tenanta", "db", "one");
            await deployment.KeyVault.SetSecretAsync("tenanta", "db", "two");
            await deployment.KeyVault.SetSecretAsync("tenanta", "retired", "bye");
            await deployment.KeyVault.DeleteSecretAsync("tenanta", "retired");
            await deployment.KeyVault.CreateKeyAsync("tenanta", "sym", new Strongroom.KeyVault.CreateKeyRequest("oct", 256));
        }

        Assert.Equal(0, (await data.RunWithDataAsync("vault", "rotate")).ExitCode);
        var before = await StatusAsync();
        Assert.Equal((1, 3, 1), VaultRow(before, 1));
        Assert.Equal((2, 0, 0), VaultRow(before, 2));

        var text = await data.RunWithDataAsync("vault", "status");
        Assert.True(text.ExitCode == 0, text.ToString());
        var lines = text.Output.Split('\n', StringSplitOptions.TrimEntries);
        Assert.Contains("VERSION   SHARED KEYS  ACCOUNT KEKS  VAULT SECRETS  VAULT KEYS", lines);
        Assert.Contains("1                   2             1              3           1", lines);
        Assert.Contains("2 *                 0             0              0           0", lines);

        var rewrap = await data.RunWithDataAsync("vault", "rewrap", "--json");
        Assert.True(rewrap.ExitCode == 0, rewrap.ToString());
        using (var counts = JsonDocument.Parse(rewrap.Output))
        {
            Assert.Equal(4, counts.RootElement.GetProperty("vaultItemValues").GetInt32());
            Assert.Equal(0, counts.RootElement.GetProperty("failed").GetInt32());
        }

        var after = await StatusAsync();
        Assert.Equal((1, 0, 0), VaultRow(after, 1));
        Assert.Equal((2, 3, 1), VaultRow(after, 2));
        Assert.Contains(", 0 vault item value(s).", (await data.RunWithDataAsync("vault", "rewrap")).Output, StringComparison.Ordinal);

        await using (var deployment = await OpenAsync())
        {
            Assert.Equal("two", (await deployment.KeyVault.GetSecretAsync("tenanta", "db")).Value);
            await deployment.KeyVault.RecoverDeletedSecretAsync("tenanta", "retired");
            Assert.Equal("bye", (await deployment.KeyVault.GetSecretAsync("tenanta", "retired")).Value);
        }
    }

    /// <summary>The deployment, unsealed with the development share as an offline command would.</summary>
    private async Task<Deployment> OpenAsync()
    {
        var directory = new DataDirectory(data.Path);
        var deployment = await Deployment.OpenAsync(directory, TimeProvider.System, SystemRandomSource.Instance);
        Assert.True(VaultSetup.TryUnsealDevelopment(directory, deployment.Vault));
        return deployment;
    }

    private static async Task PutAsync(Deployment deployment, string blob, string content) =>
        await deployment.Blobs.PutBlobAsync(
            new PutBlobRequest("tenanta", "box", blob, BlobHttpHeaders.Empty, [], AccessConditions.None, TransactionalChecksums.None),
            new MemoryStream(System.Text.Encoding.UTF8.GetBytes(content)));

    private static async Task<string> ReadAsync(Deployment deployment, string blob)
    {
        var reader = await deployment.Blobs.OpenBlobAsync("tenanta", "box", blob, AccessConditions.None);
        using var output = new MemoryStream();
        await reader.CopyRangeToAsync(0, reader.Blob.ContentLength, output);
        return System.Text.Encoding.UTF8.GetString(output.ToArray());
    }

    private async Task<JsonElement> StatusAsync()
    {
        var result = await data.RunWithDataAsync("vault", "status", "--json");
        Assert.True(result.ExitCode == 0, result.ToString());
        using var document = JsonDocument.Parse(result.Output);
        return document.RootElement.Clone();
    }

    private static (int Version, int SharedKeys, int KeyEncryptionKeys) KeyringRow(JsonElement status, int version)
    {
        var row = status.GetProperty("keyring").EnumerateArray().Single(r => r.GetProperty("version").GetInt32() == version);
        return (version, row.GetProperty("sharedKeys").GetInt32(), row.GetProperty("keyEncryptionKeys").GetInt32());
    }

    private static (int Version, int Secrets, int Keys) VaultRow(JsonElement status, int version)
    {
        var row = status.GetProperty("keyring").EnumerateArray().Single(r => r.GetProperty("version").GetInt32() == version);
        return (version, row.GetProperty("vaultSecrets").GetInt32(), row.GetProperty("vaultKeys").GetInt32());
    }

    private static (int Version, int DataKeys)[] DataKeys(JsonElement status, string account) =>
        status.GetProperty("accounts").EnumerateArray()
            .Single(a => a.GetProperty("name").GetString() == account)
            .GetProperty("keyEncryptionKeys").EnumerateArray()
            .Select(k => (k.GetProperty("version").GetInt32(), k.GetProperty("dataKeys").GetInt32()))
            .ToArray();
}
