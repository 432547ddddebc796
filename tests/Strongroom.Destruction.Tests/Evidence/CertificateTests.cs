using System.Text.Json;
using System.Text.Json.Nodes;

namespace Strongroom.Destruction.Tests.Evidence;

/// <summary>A certificate from a real closure verifies with <c>strongroom certificate verify</c>; one with any field changed does not.</summary>
public sealed class CertificateTests
{
    private const string Account = "certified";

    [Fact]
    public async Task A_closure_certificate_verifies_and_one_with_any_field_changed_does_not()
    {
        await using var server = await EvidenceServer.StartAsync();
        await ClosureTests.FillAsync(server, Account, seed: 600);
        await Lanes.CloseAccountAsync(server, Account);
        server.Advance(Lanes.ClosureGrace + TimeSpan.FromSeconds(1));
        await Lanes.SweepOnceAsync(server);
        var destruction = Assert.Single(await Lanes.DestructionsAsync(server, Account));

        var path = await Lanes.CertificateFileAsync(server, Account, destruction.Id);
        var (exitCode, output, error) = await Lanes.VerifyAsync(server, Account, path);
        Assert.True(exitCode == 0, $"the genuine certificate: exit {exitCode}\n{output}\n{error}");

        var file = await File.ReadAllBytesAsync(path);
        var document = JsonNode.Parse(file)!;

        // The control: the document re-serialised unchanged still verifies, so each failure below is the change's.
        var resaved = path + ".resaved";
        await Lanes.WriteForgedAsync(path, resaved, System.Text.Encoding.UTF8.GetBytes(document.ToJsonString(Canonical)));
        var control = await Lanes.VerifyAsync(server, Account, resaved);
        Assert.True(control.ExitCode == 0, $"the unchanged document, re-serialised: exit {control.ExitCode}\n{control.Output}\n{control.Error}");
        var tampered = 0;
        foreach (var (field, changed) in Variants(document))
        {
            var forged = path + ".forged";
            await Lanes.WriteForgedAsync(path, forged, System.Text.Encoding.UTF8.GetBytes(changed.ToJsonString(Canonical)));
            var result = await Lanes.VerifyAsync(server, Account, forged);
            Assert.True(result.ExitCode != 0, $"a certificate with {field} changed verified:\n{result.Output}");
            tampered++;
        }

        Assert.True(tampered >= 10, $"only {tampered} fields were changed: the document is smaller than expected");

        // The signature itself: one bit flipped.
        var signature = Convert.FromBase64String((await File.ReadAllTextAsync(path + ".sig")).Trim());
        signature[^1] ^= 0x01;
        await File.WriteAllBytesAsync(path + ".flipped", file);
        await File.WriteAllTextAsync(path + ".flipped.sig", Convert.ToBase64String(signature));
        Assert.NotEqual(0, (await Lanes.VerifyAsync(server, Account, path + ".flipped")).ExitCode);
    }

    private static readonly System.Text.Json.JsonSerializerOptions Canonical = new() { WriteIndented = false };

    [Fact]
    public Task With_a_site_offline_the_first_certificate_says_its_sweep_is_incomplete_and_the_last_says_complete() =>
        ClosureTests.OfflineSiteClosureAsync(certificates: true);

    /// <summary>The latest certificate document of a destruction, parsed.</summary>
    internal static async Task<JsonElement> DocumentAsync(EvidenceServer server, string account, string destructionId)
    {
        var path = await Lanes.CertificateFileAsync(server, account, destructionId);
        using var json = JsonDocument.Parse(await File.ReadAllBytesAsync(path));
        return json.RootElement.Clone();
    }

    /// <summary>For every leaf of the document, a copy with that leaf changed (a string altered, a number moved, a bool negated, a null filled).</summary>
    internal static IEnumerable<(string Field, JsonNode Document)> Variants(JsonNode document)
    {
        foreach (var pointer in Leaves(document, "$"))
        {
            var copy = document.DeepClone();
            var leaf = Resolve(copy, pointer.Path);
            var replacement = leaf switch
            {
                null => JsonValue.Create("forged"),
                JsonValue value when value.TryGetValue(out bool flag) => JsonValue.Create(!flag),
                JsonValue value when value.TryGetValue(out long number) => JsonValue.Create(number + 1),
                JsonValue value when value.TryGetValue(out string? text) => JsonValue.Create(Alter(text!)),
                _ => JsonValue.Create("forged"),
            };
            Replace(copy, pointer.Path, replacement);
            yield return (pointer.Name, copy);
        }
    }

    private static string Alter(string text) =>
        text.Length == 0 ? "x" : text[..^1] + (text[^1] == 'A' ? 'B' : 'A');

    private sealed record Pointer(string Name, IReadOnlyList<object> Path);

    private static IEnumerable<Pointer> Leaves(JsonNode? node, string name, IReadOnlyList<object>? path = null)
    {
        path ??= [];
        switch (node)
        {
            case JsonObject obj:
                foreach (var (key, child) in obj)
                {
                    foreach (var leaf in Leaves(child, $"{name}.{key}", [.. path, key]))
                    {
                        yield return leaf;
                    }
                }

                break;
            case JsonArray array:
                for (var i = 0; i < array.Count; i++)
                {
                    foreach (var leaf in Leaves(array[i], $"{name}[{i}]", [.. path, i]))
                    {
                        yield return leaf;
                    }
                }

                break;
            default:
                yield return new Pointer(name, path);
                break;
        }
    }

    private static JsonNode? Resolve(JsonNode node, IReadOnlyList<object> path)
    {
        JsonNode? current = node;
        foreach (var step in path)
        {
            current = step is string key ? current![key] : current![(int)step];
        }

        return current;
    }

    private static void Replace(JsonNode root, IReadOnlyList<object> path, JsonNode replacement)
    {
        var parent = Resolve(root, path.Take(path.Count - 1).ToList())!;
        if (path[^1] is string key)
        {
            parent[key] = replacement;
        }
        else
        {
            parent[(int)path[^1]] = replacement;
        }
    }
}
