using System.Globalization;
using System.Text.Json;
using Strongroom.Core;

namespace Strongroom.Destruction;

/// <summary>
/// A destruction as JSON: what <c>GET v1/accounts/{a}/destructions[/{id}]</c> answers and
/// <c>strongroom account destructions --json</c> prints (never signed: the certificate is the
/// evidence). Members: <c>id, account, kind ("account"|"container"), scope, state
/// ("sweeping"|"complete"), keysDestroyedOn, sweepCompletedOn|null, objects, bytes,
/// keys [{id, destroyedOn|null, scheduledOn|null}], sites [{id, copies, sweepComplete, completedOn|null}],
/// keysEntryIndex|null, sweepEntryIndex|null</c>; times as certificates write them.
/// </summary>
public static class DestructionJson
{
    public static void Write(Utf8JsonWriter json, DestructionRecord destruction)
    {
        ArgumentNullException.ThrowIfNull(json);
        ArgumentNullException.ThrowIfNull(destruction);
        json.WriteStartObject();
        json.WriteString("id", destruction.Id);
        json.WriteString("account", destruction.Account);
        json.WriteString("kind", new CertificateScope(destruction.Kind, destruction.Scope).KindName);
        json.WriteString("scope", destruction.Scope);
        json.WriteString("state", StateName(destruction.State));
        WriteTime(json, "keysDestroyedOn", destruction.KeysDestroyedOn);
        WriteTime(json, "sweepCompletedOn", destruction.SweepCompletedOn);
        json.WriteNumber("objects", destruction.ObjectCount);
        json.WriteNumber("bytes", destruction.ByteCount);
        json.WriteStartArray("keys");
        foreach (var key in destruction.Keys)
        {
            json.WriteStartObject();
            json.WriteString("id", key.Id);
            WriteTime(json, "destroyedOn", key.DestroyedOn);
            WriteTime(json, "scheduledOn", key.ScheduledOn);
            json.WriteEndObject();
        }

        json.WriteEndArray();
        json.WriteStartArray("sites");
        foreach (var site in destruction.Sites)
        {
            json.WriteStartObject();
            json.WriteString("id", site.SiteId);
            json.WriteNumber("copies", site.Copies);
            json.WriteBoolean("sweepComplete", site.SweepComplete);
            WriteTime(json, "completedOn", site.CompletedOn);
            json.WriteEndObject();
        }

        json.WriteEndArray();
        WriteIndex(json, "keysEntryIndex", destruction.KeysEntryIndex);
        WriteIndex(json, "sweepEntryIndex", destruction.SweepEntryIndex);
        json.WriteEndObject();
    }

    /// <summary>Reads what <see cref="Write"/> wrote (the CLI over the management plane); JsonException when it is not that.</summary>
    public static DestructionRecord Read(JsonElement json)
    {
        try
        {
            return new DestructionRecord(
                json.GetProperty("id").GetString()!,
                json.GetProperty("account").GetString()!,
                CertificateScope.ParseKind(json.GetProperty("kind").GetString()),
                json.GetProperty("scope").GetString()!,
                json.GetProperty("state").GetString() switch
                {
                    "complete" => DestructionState.Complete,
                    "sweeping" => DestructionState.Sweeping,
                    var other => throw new JsonException($"Unknown destruction state '{other}'."),
                },
                Time(json, "keysDestroyedOn") ?? throw new JsonException("keysDestroyedOn is missing."),
                Time(json, "sweepCompletedOn"),
                json.GetProperty("objects").GetInt64(),
                json.GetProperty("bytes").GetInt64(),
                [.. json.GetProperty("keys").EnumerateArray().Select(key => new DestroyedKey(key.GetProperty("id").GetString()!, Time(key, "destroyedOn"), Time(key, "scheduledOn")))],
                [.. json.GetProperty("sites").EnumerateArray().Select(site => new DestructionSite(
                    site.GetProperty("id").GetString()!,
                    site.GetProperty("copies").GetInt64(),
                    site.GetProperty("sweepComplete").GetBoolean(),
                    Time(site, "completedOn")))])
            {
                KeysEntryIndex = Index(json, "keysEntryIndex"),
                SweepEntryIndex = Index(json, "sweepEntryIndex"),
            };
        }
        catch (Exception exception) when (exception is KeyNotFoundException or InvalidOperationException or FormatException)
        {
            throw new JsonException("Not a destruction.", exception);
        }
    }

    public static string StateName(DestructionState state) => state == DestructionState.Complete ? "complete" : "sweeping";

    public static void WriteTime(Utf8JsonWriter json, string name, DateTimeOffset? time)
    {
        ArgumentNullException.ThrowIfNull(json);
        if (time is { } value)
        {
            json.WriteString(name, CertificateDocument.FormatTime(value));
        }
        else
        {
            json.WriteNull(name);
        }
    }

    private static void WriteIndex(Utf8JsonWriter json, string name, long? index)
    {
        if (index is { } value)
        {
            json.WriteNumber(name, value);
        }
        else
        {
            json.WriteNull(name);
        }
    }

    private static DateTimeOffset? Time(JsonElement json, string name) =>
        json.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.String
            ? DateTimeOffset.Parse(value.GetString()!, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal | DateTimeStyles.AdjustToUniversal)
            : null;

    private static long? Index(JsonElement json, string name) =>
        json.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.Number ? value.GetInt64() : null;
}
