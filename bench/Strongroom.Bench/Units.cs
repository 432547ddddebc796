using System.Globalization;

namespace Strongroom.Bench;

/// <summary>Parsing and printing of the sizes and durations the command line takes.</summary>
public static class Units
{
    public const long KiB = 1024;
    public const long MiB = 1024 * KiB;
    public const long GiB = 1024 * MiB;

    /// <summary>Accepts "4096", "4KiB", "4k", "1MiB", "64m", "1GiB" (binary units only: k = KiB).</summary>
    public static long ParseSizeBytes(string text)
    {
        var trimmed = text.Trim();
        var split = 0;
        while (split < trimmed.Length && (char.IsDigit(trimmed[split]) || trimmed[split] == '.'))
        {
            split++;
        }
        if (split == 0)
        {
            throw new ArgumentException($"not a size: '{text}' (use e.g. 4KiB, 1MiB, 64MiB)");
        }
        var number = double.Parse(trimmed[..split], CultureInfo.InvariantCulture);
        var unit = trimmed[split..].Trim().ToLowerInvariant();
        long multiplier = unit switch
        {
            "" or "b" => 1,
            "k" or "kib" or "kb" => KiB,
            "m" or "mib" or "mb" => MiB,
            "g" or "gib" or "gb" => GiB,
            _ => throw new ArgumentException($"unknown size unit in '{text}' (binary units: KiB, MiB, GiB)"),
        };
        return checked((long)(number * multiplier));
    }

    /// <summary>Accepts "10s", "500ms", "1m", "2.5s"; a bare number is seconds.</summary>
    public static TimeSpan ParseDuration(string text)
    {
        var trimmed = text.Trim().ToLowerInvariant();
        double Number(string s) => double.Parse(s, CultureInfo.InvariantCulture);
        if (trimmed.EndsWith("ms", StringComparison.Ordinal))
        {
            return TimeSpan.FromMilliseconds(Number(trimmed[..^2]));
        }
        if (trimmed.EndsWith('s'))
        {
            return TimeSpan.FromSeconds(Number(trimmed[..^1]));
        }
        if (trimmed.EndsWith('m'))
        {
            return TimeSpan.FromMinutes(Number(trimmed[..^1]));
        }
        return TimeSpan.FromSeconds(Number(trimmed));
    }

    public static string FormatSize(long bytes)
    {
        if (bytes >= GiB && bytes % GiB == 0)
        {
            return $"{bytes / GiB}GiB";
        }
        if (bytes >= MiB && bytes % MiB == 0)
        {
            return $"{bytes / MiB}MiB";
        }
        if (bytes >= KiB && bytes % KiB == 0)
        {
            return $"{bytes / KiB}KiB";
        }
        return $"{bytes}B";
    }
}
