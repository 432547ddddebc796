using System.Text.Json;
using System.Text.Json.Serialization;

namespace Strongroom.KeyVault;

/// <summary>
/// The stored form of a key's public part and parameters (the store's key_description column).
/// Format version 1, frozen by a golden test: a JSON object with "v": 1 and JWK member names.
/// </summary>
internal static class KeyDescriptions
{
    private const int FormatVersion = 1;

    public static string Serialize(KeyDescription key) => JsonSerializer.Serialize(
        new Stored
        {
            V = FormatVersion,
            Kty = key.KeyType,
            KeyOps = [.. key.KeyOperations],
            KeySize = key.KeySize,
            Crv = key.Curve,
            N = Encode(key.Modulus),
            E = Encode(key.Exponent),
            X = Encode(key.X),
            Y = Encode(key.Y),
        },
        StoredContext.Default.Stored);

    public static KeyDescription Parse(string json)
    {
        var stored = JsonSerializer.Deserialize(json, StoredContext.Default.Stored);
        Core.Invariant.True(stored is { V: FormatVersion, Kty: not null, KeyOps: not null }, "a stored key description is of format 1");
        return new KeyDescription(stored!.Kty!, stored.KeyOps!, stored.KeySize, stored.Crv, Decode(stored.N), Decode(stored.E), Decode(stored.X), Decode(stored.Y));
    }

    private static string? Encode(byte[]? bytes) => bytes is null ? null : Base64Url.Encode(bytes);

    private static byte[]? Decode(string? text) => text is null ? null : Base64Url.Decode(text);

    internal sealed class Stored
    {
        [JsonPropertyName("v")]
        public int V { get; set; }

        [JsonPropertyName("kty")]
        public string? Kty { get; set; }

        [JsonPropertyName("key_ops")]
        public string[]? KeyOps { get; set; }

        [JsonPropertyName("key_size")]
        [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
        public int? KeySize { get; set; }

        [JsonPropertyName("crv")]
        [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
        public string? Crv { get; set; }

        [JsonPropertyName("n")]
        [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
        public string? N { get; set; }

        [JsonPropertyName("e")]
        [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
        public string? E { get; set; }

        [JsonPropertyName("x")]
        [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
        public string? X { get; set; }

        [JsonPropertyName("y")]
        [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
        public string? Y { get; set; }
    }
}

[JsonSerializable(typeof(KeyDescriptions.Stored))]
internal sealed partial class StoredContext : JsonSerializerContext;

/// <summary>Unpadded base64url (RFC 4648 §5), as JOSE and Key Vault use it.</summary>
public static class Base64Url
{
    public static string Encode(ReadOnlySpan<byte> bytes) => System.Buffers.Text.Base64Url.EncodeToString(bytes);

    /// <summary>Decodes, accepting padding too; throws <see cref="KeyVaultException"/> (BadParameter) on bad input.</summary>
    public static byte[] Decode(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        try
        {
            return System.Buffers.Text.Base64Url.DecodeFromChars(text.TrimEnd('=').Replace('+', '-').Replace('/', '_'));
        }
        catch (FormatException)
        {
            throw new KeyVaultException(KeyVaultErrorCode.BadParameter, "A value is not valid base64url.");
        }
    }
}
