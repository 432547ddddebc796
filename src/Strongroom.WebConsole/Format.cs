using System.Globalization;

namespace Strongroom.WebConsole;

/// <summary>How pages write numbers, sizes, durations and times (invariant culture, UTC).</summary>
public static class Format
{
    public static string Time(DateTimeOffset value) => value.UtcDateTime.ToString("yyyy-MM-dd HH:mm:ss 'UTC'", CultureInfo.InvariantCulture);

    /// <summary>The machine-readable form for a <c>&lt;time datetime&gt;</c> attribute.</summary>
    public static string IsoTime(DateTimeOffset value) => value.UtcDateTime.ToString("yyyy-MM-ddTHH:mm:ssZ", CultureInfo.InvariantCulture);

    public static string Number(long value) => value.ToString("N0", CultureInfo.InvariantCulture);

    public static string Bytes(long? value)
    {
        if (value is not { } bytes)
        {
            return "unknown";
        }

        string[] units = ["B", "KiB", "MiB", "GiB", "TiB", "PiB"];
        double size = bytes;
        var unit = 0;
        while (size >= 1024 && unit < units.Length - 1)
        {
            size /= 1024;
            unit++;
        }

        return unit == 0 ? $"{bytes} B" : size.ToString("0.0", CultureInfo.InvariantCulture) + " " + units[unit];
    }

    public static string Duration(TimeSpan value)
    {
        if (value <= TimeSpan.Zero)
        {
            return "0 s";
        }

        return value.TotalSeconds < 60 ? $"{value.TotalSeconds.ToString("0", CultureInfo.InvariantCulture)} s"
            : value.TotalMinutes < 60 ? $"{(int)value.TotalMinutes} min {value.Seconds} s"
            : value.TotalHours < 48 ? $"{(int)value.TotalHours} h {value.Minutes} min"
            : $"{(int)value.TotalDays} d {value.Hours} h";
    }

    public static string Decimal(double value, string format = "0.##") => value.ToString(format, CultureInfo.InvariantCulture);
}
