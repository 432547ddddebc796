using System.Text;
using System.Text.Json;
using Strongroom.Core;

namespace Strongroom.Storage;

/// <summary>
/// User metadata as stored in a metadata column: a JSON array of <c>[name, value]</c> pairs.
/// An array (not an object) because Azure returns metadata in the order it was set and names
/// may differ only in case.
/// </summary>
internal static class MetadataJson
{
    public static string Serialize(IReadOnlyList<KeyValuePair<string, string>> metadata)
    {
        var buffer = new System.Buffers.ArrayBufferWriter<byte>(64);
        using (var writer = new Utf8JsonWriter(buffer))
        {
            writer.WriteStartArray();
            foreach (var (name, value) in metadata)
            {
                writer.WriteStartArray();
                writer.WriteStringValue(name);
                writer.WriteStringValue(value);
                writer.WriteEndArray();
            }

            writer.WriteEndArray();
        }

        return Encoding.UTF8.GetString(buffer.WrittenSpan);
    }

    public static IReadOnlyList<KeyValuePair<string, string>> Deserialize(string json)
    {
        using var document = JsonDocument.Parse(json);
        var root = document.RootElement;
        Invariant.True(root.ValueKind == JsonValueKind.Array, "stored metadata is a JSON array");
        var result = new List<KeyValuePair<string, string>>(root.GetArrayLength());
        foreach (var pair in root.EnumerateArray())
        {
            Invariant.True(
                pair.ValueKind == JsonValueKind.Array && pair.GetArrayLength() == 2
                && pair[0].ValueKind == JsonValueKind.String && pair[1].ValueKind == JsonValueKind.String,
                "stored metadata entries are [name, value] string pairs");
            result.Add(new(pair[0].GetString()!, pair[1].GetString()!));
        }

        return result;
    }
}
