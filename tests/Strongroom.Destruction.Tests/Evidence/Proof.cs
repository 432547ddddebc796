namespace Strongroom.Destruction.Tests.Evidence;

/// <summary>What "destroyed" means, checked the same way after every purge and closure.</summary>
public static class Proof
{
    /// <summary>
    /// After a purge of <paramref name="objectIds"/> (every site up): no site holds a file of them;
    /// no file under the data directory holds their plaintext, their data keys or their wrapped data
    /// keys; and no ciphertext file left anywhere decrypts as one of them with any key material
    /// that remains.
    /// </summary>
    public static async Task PurgedAsync(EvidenceServer server, KeyMaterial before, IReadOnlySet<string> objectIds, IEnumerable<Needle> plaintext, string when)
    {
        Assert.NotEmpty(objectIds);
        var left = RawCopyAttack.SiteObjectFiles(server.DataPath).Where(file => objectIds.Contains(Path.GetFileName(file))).ToList();
        Assert.True(left.Count == 0, $"{when}: copies left on the sites:\n{string.Join('\n', left)}");
        var keyNeedles = before.DataKeyNeedles(objectIds).ToList();
        Assert.Equal(objectIds.Count * 3, keyNeedles.Count); // wrapped, its body, plaintext: the capture saw every key
        DataDirectoryScan.AssertAbsent(server.DataPath, [.. plaintext, .. keyNeedles], when);
        await NoneDecryptsAsync(server, before, objectIds, when);
    }

    /// <summary>
    /// After an account's keys are destroyed: no file holds any of its KEKs, scope KEKs or data
    /// keys, plain or wrapped, nor its plaintext; nothing under the data directory decrypts as one
    /// of its objects with the key material that remains (copies on a site that was offline included).
    /// </summary>
    public static async Task AccountDestroyedAsync(EvidenceServer server, KeyMaterial before, string account, IEnumerable<Needle> plaintext, string when)
    {
        var needles = before.AccountNeedles(account).ToList();
        Assert.Contains(needles, needle => needle.Label.StartsWith("plaintext KEK", StringComparison.Ordinal));
        Assert.Contains(needles, needle => needle.Label.StartsWith("plaintext data key", StringComparison.Ordinal));
        DataDirectoryScan.AssertAbsent(server.DataPath, [.. plaintext, .. needles], when);
        var remaining = KeyMaterial.Read(server.DatabasePath);
        Assert.DoesNotContain(remaining.Keks, kek => kek.Account == account);
        Assert.DoesNotContain(remaining.ScopeKeks, scope => scope.Account == account);
        await NoneDecryptsAsync(server, before, before.ObjectsOf(account), when);
    }

    private static async Task NoneDecryptsAsync(EvidenceServer server, KeyMaterial before, IReadOnlySet<string> objectIds, string when)
    {
        var remaining = server.ReadKeys(before.Contexts);
        var decrypted = await RawCopyAttack.RunAsync(server.DataPath, remaining, before.Contexts);
        var readable = decrypted.Where(hit => objectIds.Contains(hit.ObjectId)).ToList();
        Assert.True(readable.Count == 0, $"{when}: destroyed objects still decrypt:\n{string.Join('\n', readable)}");
    }
}
