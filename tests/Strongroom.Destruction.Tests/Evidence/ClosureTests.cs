using Azure;
using Azure.Storage.Blobs;
using Azure.Storage.Blobs.Models;
using Azure.Storage.Blobs.Specialized;
using Strongroom.Core;

namespace Strongroom.Destruction.Tests.Evidence;

/// <summary>
/// Account closure: disabled at once, keys destroyed at the end of the grace period, then swept;
/// the data directory holds nothing of the account that anyone could read, also on a site that
/// was offline at the time, until its sweep removes that too.
/// </summary>
public sealed class ClosureTests
{
    private const string Closing = "closing";
    private const string Bystander = "bystander";

    [Fact]
    public async Task After_closure_and_destruction_no_key_and_no_plaintext_of_the_account_remain_and_no_copy_decrypts()
    {
        await using var server = await EvidenceServer.StartAsync();
        var (closing, plaintext) = await FillAsync(server, Closing, seed: 100);
        var (bystander, bystanderPlaintext) = await FillAsync(server, Bystander, seed: 200);
        var before = server.ReadKeys();
        Assert.Contains(before.PlainKeks.Keys, key => key == (Closing, 2u));
        Assert.Contains(before.PlainScopeKeks.Keys, key => key.Account == Closing);

        await Lanes.CloseAccountAsync(server, Closing);
        await AssertDisabledAsync(closing);

        server.Advance(Lanes.ClosureGrace + TimeSpan.FromSeconds(1));
        await Lanes.SweepOnceAsync(server);
        await AssertRefusedAsync(closing);

        await Proof.AccountDestroyedAsync(server, before, Closing, plaintext, "after the closure");
        Assert.DoesNotContain(RawCopyAttack.SiteObjectFiles(server.DataPath), file => before.ObjectsOf(Closing).Contains(Path.GetFileName(file)));
        var destruction = Assert.Single(await Lanes.DestructionsAsync(server, Closing));
        Assert.Equal(DestructionKind.AccountClosure, destruction.Kind);
        Assert.Equal(DestructionState.Complete, destruction.State);
        Assert.Contains(destruction.Keys, key => key.Id == $"account-kek/{Closing}/v1");
        Assert.Contains(destruction.Keys, key => key.Id == $"account-kek/{Closing}/v2");
        Assert.Contains(destruction.Keys, key => key.Id == $"scope-kek/{Closing}/scoped");

        // The bystander is untouched: its data reads, its keys are where they were.
        Assert.Equal(27, bystanderPlaintext.Count);
        await foreach (var item in bystander.GetBlobContainerClient("box").GetBlobsAsync())
        {
            await bystander.GetBlobContainerClient("box").GetBlobClient(item.Name).DownloadContentAsync();
        }

        Assert.NotEmpty(DataDirectoryScan.Scan(server.DataPath, before.AccountNeedles(Bystander).Where(needle => needle.Label.StartsWith("wrapped", StringComparison.Ordinal))));
    }

    [Fact]
    public Task A_site_offline_during_closure_keeps_only_unreadable_ciphertext_until_its_sweep_when_it_returns() =>
        OfflineSiteClosureAsync(certificates: false);

    /// <summary>
    /// The closure with one site offline: the keys go everywhere at once; the offline site keeps
    /// its files, which nothing opens; the destruction stays Sweeping (and with
    /// <paramref name="certificates"/> its certificate says that site's sweep is incomplete) until the
    /// site returns and the next sweep removes them, when the final certificate says complete.
    /// </summary>
    internal static async Task OfflineSiteClosureAsync(bool certificates)
    {
        await using var server = await EvidenceServer.StartAsync();
        var (_, plaintext) = await FillAsync(server, Closing, seed: 300);
        var before = server.ReadKeys();
        var objects = before.ObjectsOf(Closing);
        var siteId = server.CopySites().Where(pair => objects.Contains(pair.Key)).SelectMany(pair => pair.Value).Order(StringComparer.Ordinal).First();
        var onSite = server.SiteObjectIds(siteId).Where(objects.Contains).ToHashSet(StringComparer.Ordinal);
        Assert.NotEmpty(onSite);

        server.BreakSite(siteId);
        await Lanes.CloseAccountAsync(server, Closing);
        server.Advance(Lanes.ClosureGrace + TimeSpan.FromSeconds(1));
        await Lanes.SweepOnceAsync(server);

        // The offline site still holds its ciphertext; nothing opens it.
        Assert.True(onSite.SetEquals(server.SiteObjectIds(siteId).Where(objects.Contains)));
        Assert.DoesNotContain(RawCopyAttack.SiteObjectFiles(server.DataPath), file => objects.Contains(Path.GetFileName(file)) && file.Split(Path.DirectorySeparatorChar)[1] != siteId);
        await Proof.AccountDestroyedAsync(server, before, Closing, plaintext, "with a site offline");
        var sweeping = Assert.Single(await Lanes.DestructionsAsync(server, Closing));
        Assert.Equal(DestructionState.Sweeping, sweeping.State);
        Assert.Null(sweeping.SweepCompletedOn);
        Assert.False(Assert.Single(sweeping.Sites, site => site.SiteId == siteId).SweepComplete);
        Assert.All(sweeping.Sites.Where(site => site.SiteId != siteId), site => Assert.True(site.SweepComplete));
        System.Text.Json.JsonElement first = default;
        if (certificates)
        {
            first = await CertificateTests.DocumentAsync(server, Closing, sweeping.Id);
            Assert.False(first.TryGetProperty("sweepCompletedOn", out var notYet) && notYet.ValueKind != System.Text.Json.JsonValueKind.Null);
            Assert.False(first.GetProperty("sites").EnumerateArray().Single(site => site.GetProperty("id").GetString() == siteId).GetProperty("sweepComplete").GetBoolean());
            Assert.Equal(0, (await Lanes.VerifyAsync(server, Closing, await Lanes.CertificateFileAsync(server, Closing, sweeping.Id))).ExitCode);
        }

        // Still offline: another pass changes nothing.
        server.Advance(TimeSpan.FromHours(1));
        await Lanes.SweepOnceAsync(server);
        Assert.True(onSite.SetEquals(server.SiteObjectIds(siteId).Where(objects.Contains)));

        server.RestoreSite(siteId);
        server.Advance(TimeSpan.FromHours(1));
        await server.Deployment.Repair.RunPassAsync(); // probes the site back up
        await Lanes.SweepOnceAsync(server);
        Assert.DoesNotContain(server.SiteObjectIds(siteId), objects.Contains);
        Assert.DoesNotContain(RawCopyAttack.SiteObjectFiles(server.DataPath), file => objects.Contains(Path.GetFileName(file)));
        var complete = Assert.Single(await Lanes.DestructionsAsync(server, Closing));
        Assert.Equal(DestructionState.Complete, complete.State);
        Assert.NotNull(complete.SweepCompletedOn);
        Assert.All(complete.Sites, site => Assert.True(site.SweepComplete));
        if (certificates)
        {
            var final = await CertificateTests.DocumentAsync(server, Closing, complete.Id);
            Assert.Equal(System.Text.Json.JsonValueKind.String, final.GetProperty("sweepCompletedOn").ValueKind);
            Assert.All(final.GetProperty("sites").EnumerateArray(), site => Assert.True(site.GetProperty("sweepComplete").GetBoolean()));
            Assert.True(final.GetProperty("revision").GetInt32() > first.GetProperty("revision").GetInt32());
            Assert.Equal(0, (await Lanes.VerifyAsync(server, Closing, await Lanes.CertificateFileAsync(server, Closing, complete.Id))).ExitCode);
        }

        await Proof.AccountDestroyedAsync(server, before, Closing, plaintext, "after the site returned");
    }

    [Fact]
    public async Task A_closed_account_reopened_within_its_grace_period_reads_again()
    {
        await using var server = await EvidenceServer.StartAsync();
        var (service, _) = await FillAsync(server, Closing, seed: 400);
        await Lanes.CloseAccountAsync(server, Closing);
        await AssertDisabledAsync(service);
        server.Advance(Lanes.ClosureGrace - TimeSpan.FromSeconds(1));
        await Lanes.SweepOnceAsync(server);
        await Lanes.ReopenAccountAsync(server, Closing);
        Assert.Equal(Payloads.Random(400), (await service.GetBlobContainerClient("box").GetBlobClient("doc-0").DownloadContentAsync()).Value.Content.ToArray());
        server.Advance(TimeSpan.FromDays(400));
        await Lanes.SweepOnceAsync(server);
        Assert.Empty(await Lanes.DestructionsAsync(server, Closing));
    }

    /// <summary>
    /// An account with data under two KEK versions (a rotation between writes), a platform scope,
    /// a staged block and a multi-segment blob: nine payloads from
    /// <paramref name="seed"/>.
    /// </summary>
    internal static async Task<(BlobServiceClient Service, List<Needle> Plaintext)> FillAsync(EvidenceServer server, string account, int seed)
    {
        var service = await server.CreateAccountAsync(account);
        await server.Deployment.Scopes.CreateAsync(account, "scoped", EncryptionScopeKeySource.Platform, customerKeyName: null);
        var payloads = new List<byte[]>();
        var box = service.GetBlobContainerClient("box");
        await box.CreateAsync();
        for (var i = 0; i < 3; i++)
        {
            payloads.Add(Payloads.Random(seed + i));
            await box.GetBlobClient($"doc-{i}").UploadAsync(BinaryData.FromBytes(payloads[^1]));
        }

        await server.Deployment.RotateAccountKeyAsync(account);
        for (var i = 3; i < 6; i++)
        {
            payloads.Add(Payloads.Random(seed + i));
            await box.GetBlobClient($"doc-{i}").UploadAsync(BinaryData.FromBytes(payloads[^1]));
        }

        var scoped = service.GetBlobContainerClient("scoped-box");
        await scoped.CreateAsync(encryptionScopeOptions: new BlobContainerEncryptionScopeOptions { DefaultEncryptionScope = "scoped", PreventEncryptionScopeOverride = true });
        payloads.Add(Payloads.Random(seed + 6));
        await scoped.GetBlobClient("secret").UploadAsync(BinaryData.FromBytes(payloads[^1]));

        payloads.Add(Payloads.Random(seed + 7));
        using (var block = new MemoryStream(payloads[^1]))
        {
            await box.GetBlockBlobClient("staged").StageBlockAsync(Convert.ToBase64String(new byte[16]), block);
        }

        payloads.Add(Payloads.Random(seed + 8, length: 200_000)); // several segments
        await box.GetBlobClient("large").UploadAsync(BinaryData.FromBytes(payloads[^1]));
        return (service, [.. payloads.SelectMany((payload, i) => Payloads.Needles($"{account} payload {i}", payload))]);
    }

    /// <summary>
    /// After the destruction the shared keys are erased with the rest, so no signature verifies:
    /// 403 AuthenticationFailed (Azure is silent: a deleted account's name no longer resolves);
    /// AccountIsDisabled would do as well.
    /// </summary>
    internal static async Task AssertRefusedAsync(BlobServiceClient service)
    {
        var refused = await Assert.ThrowsAsync<RequestFailedException>(() => service.GetBlobContainerClient("box").GetBlobClient("doc-0").DownloadContentAsync());
        Assert.Equal(403, refused.Status);
        Assert.Contains(refused.ErrorCode, new[] { "AccountIsDisabled", "AuthenticationFailed" });
    }

    internal static async Task AssertDisabledAsync(BlobServiceClient service)
    {
        var refused = await Assert.ThrowsAsync<RequestFailedException>(() => service.GetBlobContainerClient("box").GetBlobClient("doc-0").DownloadContentAsync());
        Assert.Equal(403, refused.Status);
        Assert.Equal("AccountIsDisabled", refused.ErrorCode);
    }
}
