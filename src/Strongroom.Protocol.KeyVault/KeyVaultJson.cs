using System.Text.Json;
using Strongroom.KeyVault;

namespace Strongroom.Protocol.KeyVault;

/// <summary>Key Vault's JSON bodies, written as Azure writes them (times as Unix seconds, binary as base64url).</summary>
internal static class KeyVaultJson
{
    public static void WriteSecret(Utf8JsonWriter writer, string baseUri, SecretProperties secret, string? value)
    {
        writer.WriteStartObject();
        if (value is not null)
        {
            writer.WriteString("value", value);
        }

        writer.WriteString("id", $"{baseUri}/secrets/{secret.Name}/{secret.Version}");
        WriteSecretCommon(writer, secret);
        WriteDeletion(writer, baseUri, "deletedsecrets", secret.Name, secret.Deletion);
        writer.WriteEndObject();
    }

    public static void WriteSecretItem(Utf8JsonWriter writer, string baseUri, SecretProperties secret, bool withVersion)
    {
        writer.WriteStartObject();
        writer.WriteString("id", withVersion ? $"{baseUri}/secrets/{secret.Name}/{secret.Version}" : $"{baseUri}/secrets/{secret.Name}");
        WriteSecretCommon(writer, secret);
        WriteDeletion(writer, baseUri, "deletedsecrets", secret.Name, secret.Deletion);
        writer.WriteEndObject();
    }

    public static void WriteKey(Utf8JsonWriter writer, string baseUri, KeyProperties key)
    {
        writer.WriteStartObject();
        writer.WriteStartObject("key");
        writer.WriteString("kid", $"{baseUri}/keys/{key.Name}/{key.Version}");
        writer.WriteString("kty", key.Key.KeyType);
        writer.WriteStartArray("key_ops");
        foreach (var operation in key.Key.KeyOperations)
        {
            writer.WriteStringValue(operation);
        }

        writer.WriteEndArray();
        WriteBytes(writer, "n", key.Key.Modulus);
        WriteBytes(writer, "e", key.Key.Exponent);
        if (key.Key.Curve is not null)
        {
            writer.WriteString("crv", key.Key.Curve);
        }

        WriteBytes(writer, "x", key.Key.X);
        WriteBytes(writer, "y", key.Key.Y);
        writer.WriteEndObject();
        WriteAttributes(writer, key.Attributes);
        WriteTags(writer, key.Tags);
        WriteDeletion(writer, baseUri, "deletedkeys", key.Name, key.Deletion);
        writer.WriteEndObject();
    }

    public static void WriteKeyItem(Utf8JsonWriter writer, string baseUri, KeyProperties key, bool withVersion)
    {
        writer.WriteStartObject();
        writer.WriteString("kid", withVersion ? $"{baseUri}/keys/{key.Name}/{key.Version}" : $"{baseUri}/keys/{key.Name}");
        WriteAttributes(writer, key.Attributes);
        WriteTags(writer, key.Tags);
        WriteDeletion(writer, baseUri, "deletedkeys", key.Name, key.Deletion);
        writer.WriteEndObject();
    }

    public static void WriteOperationResult(Utf8JsonWriter writer, string baseUri, KeyOperationResult result)
    {
        writer.WriteStartObject();
        writer.WriteString("kid", $"{baseUri}/keys/{result.Name}/{result.Version}");
        writer.WriteString("value", Base64Url.Encode(result.Value));
        WriteBytes(writer, "iv", result.Iv);
        WriteBytes(writer, "tag", result.AuthenticationTag);
        WriteBytes(writer, "aad", result.AdditionalAuthenticatedData);
        writer.WriteEndObject();
    }

    public static void WriteError(Utf8JsonWriter writer, KeyVaultError error)
    {
        writer.WriteStartObject();
        writer.WriteStartObject("error");
        writer.WriteString("code", error.Code);
        writer.WriteString("message", error.Message);
        if (error.InnerCode is not null)
        {
            writer.WriteStartObject("innererror");
            writer.WriteString("code", error.InnerCode);
            writer.WriteEndObject();
        }

        writer.WriteEndObject();
        writer.WriteEndObject();
    }

    /// <summary>Reads the attributes, tags and content type a set/update/create body may carry.</summary>
    public static ItemChanges ReadChanges(JsonElement body)
    {
        bool? enabled = null;
        DateTimeOffset? notBefore = null;
        DateTimeOffset? expires = null;
        if (body.TryGetProperty("attributes", out var attributes) && attributes.ValueKind == JsonValueKind.Object)
        {
            if (attributes.TryGetProperty("enabled", out var e) && e.ValueKind is JsonValueKind.True or JsonValueKind.False)
            {
                enabled = e.GetBoolean();
            }

            notBefore = ReadTime(attributes, "nbf");
            expires = ReadTime(attributes, "exp");
        }

        List<KeyValuePair<string, string>>? tags = null;
        if (body.TryGetProperty("tags", out var tagsElement) && tagsElement.ValueKind == JsonValueKind.Object)
        {
            tags = [];
            foreach (var tag in tagsElement.EnumerateObject())
            {
                tags.Add(new(tag.Name, tag.Value.ValueKind == JsonValueKind.String ? tag.Value.GetString()! : throw new FormatException("a tag value is a string")));
            }
        }

        List<string>? operations = null;
        if (body.TryGetProperty("key_ops", out var ops) && ops.ValueKind == JsonValueKind.Array)
        {
            operations = ops.EnumerateArray().Select(op => op.GetString() ?? throw new FormatException("a key operation is a string")).ToList();
        }

        return new ItemChanges(enabled, notBefore, expires, OptionalString(body, "contentType"), tags, operations);
    }

    public static string? OptionalString(JsonElement body, string name) =>
        body.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.String ? value.GetString() : null;

    public static byte[]? OptionalBytes(JsonElement body, string name) =>
        OptionalString(body, name) is { } text ? Base64Url.Decode(text) : null;

    private static DateTimeOffset? ReadTime(JsonElement element, string name) =>
        element.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.Number
            ? DateTimeOffset.FromUnixTimeSeconds(value.GetInt64())
            : null;

    private static void WriteSecretCommon(Utf8JsonWriter writer, SecretProperties secret)
    {
        if (secret.ContentType is not null)
        {
            writer.WriteString("contentType", secret.ContentType);
        }

        WriteAttributes(writer, secret.Attributes);
        WriteTags(writer, secret.Tags);
    }

    private static void WriteAttributes(Utf8JsonWriter writer, ItemAttributes attributes)
    {
        writer.WriteStartObject("attributes");
        writer.WriteBoolean("enabled", attributes.Enabled);
        if (attributes.NotBefore is { } notBefore)
        {
            writer.WriteNumber("nbf", notBefore.ToUnixTimeSeconds());
        }

        if (attributes.Expires is { } expires)
        {
            writer.WriteNumber("exp", expires.ToUnixTimeSeconds());
        }

        writer.WriteNumber("created", attributes.Created.ToUnixTimeSeconds());
        writer.WriteNumber("updated", attributes.Updated.ToUnixTimeSeconds());
        writer.WriteString("recoveryLevel", attributes.RecoveryLevel);
        writer.WriteNumber("recoverableDays", attributes.RecoverableDays);
        writer.WriteEndObject();
    }

    private static void WriteTags(Utf8JsonWriter writer, IReadOnlyList<KeyValuePair<string, string>> tags)
    {
        if (tags.Count == 0)
        {
            return;
        }

        writer.WriteStartObject("tags");
        foreach (var (name, value) in tags)
        {
            writer.WriteString(name, value);
        }

        writer.WriteEndObject();
    }

    private static void WriteDeletion(Utf8JsonWriter writer, string baseUri, string collection, string name, DeletionInfo? deletion)
    {
        if (deletion is null)
        {
            return;
        }

        writer.WriteString("recoveryId", $"{baseUri}/{collection}/{name}");
        writer.WriteNumber("deletedDate", deletion.DeletedOn.ToUnixTimeSeconds());
        writer.WriteNumber("scheduledPurgeDate", deletion.ScheduledPurgeOn.ToUnixTimeSeconds());
    }

    private static void WriteBytes(Utf8JsonWriter writer, string name, byte[]? value)
    {
        if (value is not null)
        {
            writer.WriteString(name, Base64Url.Encode(value));
        }
    }
}
