using System.Text;
using System.Text.Json;
using Strongroom.Core;

namespace Strongroom.Storage;

/// <summary>
/// The stored form of <see cref="BlobServiceProperties"/>, format 1 (frozen; a golden test holds
/// its bytes): compact JSON with the properties in this order —
/// <c>logging {version, delete, read, write, retention}</c>, <c>hourMetrics</c> and
/// <c>minuteMetrics {version, enabled, includeApis?, retention}</c> with
/// <c>retention {enabled, days?}</c>, <c>cors [{allowedOrigins, allowedMethods, allowedHeaders,
/// exposedHeaders, maxAgeInSeconds}]</c> (the lists as set), <c>defaultServiceVersion?</c>,
/// <c>staticWebsite {enabled, indexDocument?, errorDocument404Path?, defaultIndexDocumentPath?}</c>;
/// an absent optional is omitted. A later format adds a number; readers of this one never change.
/// </summary>
public static class ServicePropertiesDocument
{
    public const int Format = 1;

    public static string Write(BlobServiceProperties properties)
    {
        ArgumentNullException.ThrowIfNull(properties);
        using var buffer = new MemoryStream(512);
        using (var json = new Utf8JsonWriter(buffer))
        {
            json.WriteStartObject();
            json.WriteStartObject("logging");
            json.WriteString("version", properties.Logging.Version);
            json.WriteBoolean("delete", properties.Logging.Delete);
            json.WriteBoolean("read", properties.Logging.Read);
            json.WriteBoolean("write", properties.Logging.Write);
            WriteRetention(json, properties.Logging.Retention);
            json.WriteEndObject();
            WriteMetrics(json, "hourMetrics", properties.HourMetrics);
            WriteMetrics(json, "minuteMetrics", properties.MinuteMetrics);
            json.WriteStartArray("cors");
            foreach (var rule in properties.Cors)
            {
                json.WriteStartObject();
                json.WriteString("allowedOrigins", rule.AllowedOrigins);
                json.WriteString("allowedMethods", rule.AllowedMethods);
                json.WriteString("allowedHeaders", rule.AllowedHeaders);
                json.WriteString("exposedHeaders", rule.ExposedHeaders);
                json.WriteNumber("maxAgeInSeconds", rule.MaxAgeInSeconds);
                json.WriteEndObject();
            }

            json.WriteEndArray();
            if (properties.DefaultServiceVersion is { } version)
            {
                json.WriteString("defaultServiceVersion", version);
            }

            var website = properties.StaticWebsite;
            json.WriteStartObject("staticWebsite");
            json.WriteBoolean("enabled", website.Enabled);
            WriteOptional(json, "indexDocument", website.IndexDocument);
            WriteOptional(json, "errorDocument404Path", website.ErrorDocument404Path);
            WriteOptional(json, "defaultIndexDocumentPath", website.DefaultIndexDocumentPath);
            json.WriteEndObject();
            json.WriteEndObject();
        }

        return Encoding.UTF8.GetString(buffer.GetBuffer(), 0, (int)buffer.Length);
    }

    /// <summary>Reads a stored document; a format this build does not know, or a document that does not parse, is a broken invariant.</summary>
    public static BlobServiceProperties Read(int format, string document)
    {
        Invariant.True(format == Format, "blob_service_properties holds a format this build does not know");
        try
        {
            using var parsed = JsonDocument.Parse(document);
            var root = parsed.RootElement;
            var logging = root.GetProperty("logging");
            var cors = new List<CorsRule>();
            foreach (var rule in root.GetProperty("cors").EnumerateArray())
            {
                cors.Add(new CorsRule(
                    rule.GetProperty("allowedOrigins").GetString()!,
                    rule.GetProperty("allowedMethods").GetString()!,
                    rule.GetProperty("allowedHeaders").GetString()!,
                    rule.GetProperty("exposedHeaders").GetString()!,
                    rule.GetProperty("maxAgeInSeconds").GetInt32()));
            }

            var website = root.GetProperty("staticWebsite");
            return new BlobServiceProperties(
                new AnalyticsLogging(
                    logging.GetProperty("version").GetString()!,
                    logging.GetProperty("delete").GetBoolean(),
                    logging.GetProperty("read").GetBoolean(),
                    logging.GetProperty("write").GetBoolean(),
                    ReadRetention(logging)),
                ReadMetrics(root.GetProperty("hourMetrics")),
                ReadMetrics(root.GetProperty("minuteMetrics")),
                cors,
                Optional(root, "defaultServiceVersion"),
                new StaticWebsiteSettings(
                    website.GetProperty("enabled").GetBoolean(),
                    Optional(website, "indexDocument"),
                    Optional(website, "errorDocument404Path"),
                    Optional(website, "defaultIndexDocumentPath")));
        }
        catch (Exception exception) when (exception is JsonException or KeyNotFoundException or InvalidOperationException or FormatException)
        {
            throw new InvariantViolationException("blob_service_properties holds a document that does not parse: " + exception.Message);
        }
    }

    private static void WriteMetrics(Utf8JsonWriter json, string name, AnalyticsMetrics metrics)
    {
        json.WriteStartObject(name);
        json.WriteString("version", metrics.Version);
        json.WriteBoolean("enabled", metrics.Enabled);
        if (metrics.IncludeApis is { } includeApis)
        {
            json.WriteBoolean("includeApis", includeApis);
        }

        WriteRetention(json, metrics.Retention);
        json.WriteEndObject();
    }

    private static void WriteRetention(Utf8JsonWriter json, AnalyticsRetention retention)
    {
        json.WriteStartObject("retention");
        json.WriteBoolean("enabled", retention.Enabled);
        if (retention.Days is { } days)
        {
            json.WriteNumber("days", days);
        }

        json.WriteEndObject();
    }

    private static void WriteOptional(Utf8JsonWriter json, string name, string? value)
    {
        if (value is not null)
        {
            json.WriteString(name, value);
        }
    }

    private static AnalyticsMetrics ReadMetrics(JsonElement metrics) =>
        new(
            metrics.GetProperty("version").GetString()!,
            metrics.GetProperty("enabled").GetBoolean(),
            metrics.TryGetProperty("includeApis", out var includeApis) ? includeApis.GetBoolean() : null,
            ReadRetention(metrics));

    private static AnalyticsRetention ReadRetention(JsonElement parent)
    {
        var retention = parent.GetProperty("retention");
        return new(retention.GetProperty("enabled").GetBoolean(), retention.TryGetProperty("days", out var days) ? days.GetInt32() : null);
    }

    private static string? Optional(JsonElement parent, string name) =>
        parent.TryGetProperty(name, out var value) ? value.GetString() : null;
}
