using Azure.Storage.Blobs.Specialized;

namespace Strongroom.Destruction.Tests.Evidence;

/// <summary>
/// The evidence harness proves something only if it would notice: before any destruction the scan
/// finds the wrapped keys where the store keeps them, and the raw-copy attack decrypts every copy.
/// Also what holds at rest at all times: no plaintext and no plaintext key anywhere.
/// </summary>
public sealed class HarnessTests
{
    [Fact]
    public async Task Before_any_destruction_the_scan_sees_the_wrapped_keys_and_the_attack_decrypts_every_copy()
    {
        await using var server = await EvidenceServer.StartAsync();
        var service = await server.CreateAccountAsync("harness");
        var container = service.GetBlobContainerClient("box");
        await container.CreateAsync();
        var payloads = Enumerable.Range(1, 3).Select(seed => Payloads.Random(seed)).ToList();
        for (var i = 0; i < payloads.Count; i++)
        {
            await container.GetBlobClient($"blob-{i}").UploadAsync(BinaryData.FromBytes(payloads[i]));
        }

        using (var block = new MemoryStream(Payloads.Random(4)))
        {
            await container.GetBlockBlobClient("staged").StageBlockAsync(Convert.ToBase64String(new byte[16]), block);
        }

        Assert.Equal(payloads[1], (await container.GetBlobClient("blob-1").DownloadContentAsync()).Value.Content.ToArray());

        var keys = server.ReadKeys();
        var objects = keys.ObjectsOf("harness");
        Assert.Equal(4, objects.Count);
        Assert.Equal(objects.Count, objects.Count(keys.PlainDataKeys.ContainsKey));
        Assert.Contains(keys.PlainKeks.Keys, key => key.Account == "harness");

        // Never at rest: plaintext and plaintext keys.
        var plaintext = payloads.Append(Payloads.Random(4)).SelectMany((payload, i) => Payloads.Needles($"payload {i}", payload)).ToList();
        DataDirectoryScan.AssertAbsent(server.DataPath, plaintext, "while running");
        var plainKeys = keys.AccountNeedles("harness").Where(needle => needle.Label.StartsWith("plaintext", StringComparison.Ordinal)).ToList();
        Assert.Equal(objects.Count + 1, plainKeys.Count);
        DataDirectoryScan.AssertAbsent(server.DataPath, plainKeys, "while running");

        // The scan notices what is there: every wrapped key of the account is found in the database or its WAL.
        var wrapped = keys.AccountNeedles("harness").Where(needle => needle.Label.StartsWith("wrapped", StringComparison.Ordinal)).ToList();
        var findings = DataDirectoryScan.Scan(server.DataPath, wrapped);
        foreach (var needle in wrapped)
        {
            Assert.Contains(findings, finding => finding.Label == needle.Label && finding.File.StartsWith("metadata.db", StringComparison.Ordinal));
        }

        // The attack notices what is readable: every copy on every site decrypts with the keys that exist now.
        var files = RawCopyAttack.SiteObjectFiles(server.DataPath);
        Assert.NotEmpty(files);
        var decrypted = await RawCopyAttack.RunAsync(server.DataPath, keys, []);
        Assert.All(files.Where(file => objects.Contains(Path.GetFileName(file))), file => Assert.Contains(decrypted, hit => hit.File == file));
        Assert.True(objects.SetEquals(decrypted.Select(hit => hit.ObjectId)), string.Join('\n', decrypted));
    }

    [Fact]
    public async Task The_closure_fill_is_captured_whole_and_a_broken_site_is_still_scanned_and_attacked()
    {
        await using var server = await EvidenceServer.StartAsync();
        var (_, plaintext) = await ClosureTests.FillAsync(server, "filled", seed: 900);
        var keys = server.ReadKeys();
        Assert.Equal(2, keys.PlainKeks.Keys.Count(key => key.Account == "filled"));
        Assert.True(keys.PlainScopeKeks.ContainsKey(("filled", "scoped")));
        var objects = keys.ObjectsOf("filled");
        Assert.Equal(9, objects.Count);
        Assert.True(objects.All(keys.PlainDataKeys.ContainsKey), "every data key unwraps while the account lives");
        Assert.Contains(keys.DataKeys, key => key.Scope == "scoped");
        Assert.Contains(keys.DataKeys, key => objects.Contains(key.ObjectId) && Crypto.KeyWrap.WrappingKeyVersion(key.Wrapped) == 2);
        DataDirectoryScan.AssertAbsent(server.DataPath, plaintext, "while running");

        // A site taken offline keeps its files on disk: the scan and the attack still reach them.
        var siteId = server.CopySites().Where(pair => objects.Contains(pair.Key)).SelectMany(pair => pair.Value).Order(StringComparer.Ordinal).First();
        var onSite = server.SiteObjectIds(siteId).Where(objects.Contains).ToList();
        Assert.NotEmpty(onSite);
        server.BreakSite(siteId);
        Assert.Equal(onSite.Order(StringComparer.Ordinal), server.SiteObjectIds(siteId).Where(objects.Contains).Order(StringComparer.Ordinal));
        var decrypted = await RawCopyAttack.RunAsync(server.DataPath, keys, []);
        Assert.True(objects.SetEquals(decrypted.Select(hit => hit.ObjectId)), string.Join('\n', decrypted));
        Assert.All(onSite, objectId => Assert.Contains(decrypted, hit => hit.ObjectId == objectId && hit.File.Contains("objects.broken", StringComparison.Ordinal)));
        server.RestoreSite(siteId);
    }
}
