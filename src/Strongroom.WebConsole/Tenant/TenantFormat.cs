using System.Globalization;
using Strongroom.Core;

namespace Strongroom.WebConsole;

/// <summary>How the tenant pages write numbers, sizes, times and hashes (invariant culture, UTC).</summary>
public static class TenantFormat
{
    public static string Count(long value) => value.ToString("N0", CultureInfo.InvariantCulture);

    /// <summary>Bytes in binary units with the exact count: <c>1.5 MiB (1,572,864 bytes)</c>.</summary>
    public static string Bytes(long bytes)
    {
        string[] units = ["KiB", "MiB", "GiB", "TiB", "PiB"];
        if (bytes < 1024)
        {
            return bytes == 1 ? "1 byte" : $"{Count(bytes)} bytes";
        }

        double value = bytes;
        var unit = -1;
        while (value >= 1024 && unit < units.Length - 1)
        {
            value /= 1024;
            unit++;
        }

        return $"{value.ToString("0.#", CultureInfo.InvariantCulture)} {units[unit]} ({Count(bytes)} bytes)";
    }

    /// <summary>UTC, to the second: <c>2026-11-30 19:40:25 UTC</c>.</summary>
    public static string Time(DateTimeOffset time) => time.UtcDateTime.ToString("yyyy'-'MM'-'dd HH':'mm':'ss 'UTC'", CultureInfo.InvariantCulture);

    public static string Time(DateTimeOffset? time) => time is { } value ? Time(value) : "—";

    /// <summary>The machine-readable form for a <c>&lt;time datetime&gt;</c> attribute.</summary>
    public static string IsoTime(DateTimeOffset time) => time.UtcDateTime.ToString("yyyy'-'MM'-'dd'T'HH':'mm':'ss'Z'", CultureInfo.InvariantCulture);

    /// <summary>A SHA-256 hash as the log's JSON writes it (base64).</summary>
    public static string Hash(byte[] hash) => Convert.ToBase64String(hash);

    /// <summary>A SHA-256 hash in hexadecimal (what a tenant compares by eye).</summary>
    public static string Hex(byte[] hash) => Convert.ToHexStringLower(hash);

    public static string Suite(CipherSuite suite) => CipherSuites.Name(suite);

    public static string Duration(TimeSpan duration) => duration.TotalMinutes < 120
        ? $"{duration.TotalMinutes.ToString("0", CultureInfo.InvariantCulture)} minutes"
        : $"{duration.TotalHours.ToString("0.#", CultureInfo.InvariantCulture)} hours";

    /// <summary>A request's scope: <c>container/prefix*</c>.</summary>
    public static string Scope(string container, string? prefix) => prefix is null ? container + " (whole container)" : $"{container}/{prefix}*";
}
