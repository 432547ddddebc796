using System.Buffers.Binary;
using System.Globalization;
using System.Text;

using Strongroom.Core;

namespace Strongroom.Audit;

/// <summary>
/// C2SP tlog-tiles paths: <c>tile/&lt;L&gt;/&lt;N&gt;[.p/&lt;W&gt;]</c> and
/// <c>tile/entries/&lt;N&gt;[.p/&lt;W&gt;]</c>, where N is split in 3-digit groups prefixed
/// <c>x</c> except the last (1234067 → <c>x001/x234/067</c>). A tile at level L holds stored hashes
/// at tree level 8·L.
/// </summary>
public static class TlogTiles
{
    /// <summary>Levels are 0..63 (a decimal without leading zeros).</summary>
    public const int LevelMax = 63;

    /// <summary>Tree levels one tile spans: a tile holds 2^8 = 256 hashes.</summary>
    public const int TileHeight = 8;

    /// <summary>Tile coordinates parsed from a path after <c>tile/</c>; Level is null for an entry bundle. Width 256 for a full tile.</summary>
    public sealed record TilePath(int? Level, long Index, int Width)
    {
        /// <summary>The tree level of the stored hashes this tile holds (8·L); 0 for an entry bundle.</summary>
        public int StoredLevel => (Level ?? 0) * TileHeight;

        /// <summary>The index, at <see cref="StoredLevel"/>, of the first hash (or entry) in the tile.</summary>
        public long FirstStoredIndex => checked(Index * Limits.AuditTileWidth);

        public bool IsPartial => Width < Limits.AuditTileWidth;
    }

    public static string Format(TilePath tile)
    {
        ArgumentNullException.ThrowIfNull(tile);
        if (tile.Level is < 0 or > LevelMax || tile.Index < 0 || tile.Width is < 1 or > Limits.AuditTileWidth)
        {
            throw new ArgumentOutOfRangeException(nameof(tile), "A tile has a level 0..63, an index ≥ 0 and a width 1..256.");
        }

        var path = new StringBuilder(32);
        path.Append(tile.Level is { } level ? level.ToString(CultureInfo.InvariantCulture) : "entries").Append('/');
        var digits = tile.Index.ToString(CultureInfo.InvariantCulture);
        digits = digits.PadLeft((digits.Length + 2) / 3 * 3, '0');
        for (var i = 0; i < digits.Length; i += 3)
        {
            if (i + 3 < digits.Length)
            {
                path.Append('x').Append(digits, i, 3).Append('/');
            }
            else
            {
                path.Append(digits, i, 3);
            }
        }

        if (tile.IsPartial)
        {
            path.Append(".p/").Append(tile.Width.ToString(CultureInfo.InvariantCulture));
        }

        return path.ToString();
    }

    /// <summary>False for anything not canonical (leading zeros, width 0 or ≥ 256 with .p, levels beyond 63…).</summary>
    public static bool TryParse(string pathAfterTile, out TilePath? tile)
    {
        tile = null;
        if (string.IsNullOrEmpty(pathAfterTile))
        {
            return false;
        }

        var parts = pathAfterTile.Split('/');
        // level, at least one group, and at most 7 groups (long.MaxValue has 19 digits) plus ".p/W".
        if (parts.Length < 2 || parts.Length > 1 + 7 + 1)
        {
            return false;
        }

        int? level;
        if (parts[0] == "entries")
        {
            level = null;
        }
        else if (TryParseDecimal(parts[0], LevelMax, out var parsedLevel))
        {
            level = (int)parsedLevel;
        }
        else
        {
            return false;
        }

        var groups = parts.AsSpan(1);
        var width = Limits.AuditTileWidth;
        if (groups.Length >= 2 && groups[^2].EndsWith(".p", StringComparison.Ordinal))
        {
            if (!TryParseDecimal(groups[^1], Limits.AuditTileWidth - 1, out var parsedWidth) || parsedWidth == 0)
            {
                return false;
            }

            width = (int)parsedWidth;
            var last = groups[^2][..^2];
            groups = groups[..^1];
            groups[^1] = last;
        }

        long index = 0;
        for (var i = 0; i < groups.Length; i++)
        {
            var group = groups[i];
            var isLast = i == groups.Length - 1;
            if (!isLast)
            {
                if (group.Length != 4 || group[0] != 'x' || (i == 0 && group == "x000"))
                {
                    return false;
                }

                group = group[1..];
            }

            if (group.Length != 3 || !group.All(char.IsAsciiDigit))
            {
                return false;
            }

            try
            {
                index = checked((index * 1000) + int.Parse(group, NumberStyles.None, CultureInfo.InvariantCulture));
            }
            catch (OverflowException)
            {
                return false;
            }
        }

        tile = new TilePath(level, index, width);
        return true;
    }

    /// <summary>An entry bundle: each entry as uint16 big-endian length ‖ bytes.</summary>
    public static byte[] EntryBundle(IReadOnlyList<byte[]> entries)
    {
        ArgumentNullException.ThrowIfNull(entries);
        var total = 0;
        foreach (var entry in entries)
        {
            ArgumentNullException.ThrowIfNull(entry, nameof(entries));
            if (entry.Length > ushort.MaxValue)
            {
                throw new ArgumentException($"An entry in a bundle is at most {ushort.MaxValue} bytes.", nameof(entries));
            }

            total = checked(total + 2 + entry.Length);
        }

        var bundle = new byte[total];
        var offset = 0;
        foreach (var entry in entries)
        {
            BinaryPrimitives.WriteUInt16BigEndian(bundle.AsSpan(offset), (ushort)entry.Length);
            entry.CopyTo(bundle, offset + 2);
            offset += 2 + entry.Length;
        }

        return bundle;
    }

    /// <summary>Splits an entry bundle back into its entries; FormatException when a length runs past the end.</summary>
    public static IReadOnlyList<byte[]> ReadEntryBundle(ReadOnlySpan<byte> bundle)
    {
        var entries = new List<byte[]>();
        while (bundle.Length > 0)
        {
            if (bundle.Length < 2)
            {
                throw new FormatException("An entry bundle ends inside a length prefix.");
            }

            var length = BinaryPrimitives.ReadUInt16BigEndian(bundle);
            if (bundle.Length < 2 + length)
            {
                throw new FormatException("An entry bundle ends inside an entry.");
            }

            entries.Add(bundle.Slice(2, length).ToArray());
            bundle = bundle[(2 + length)..];
        }

        return entries;
    }

    // A decimal ASCII number ≤ max with no sign and no leading zeros ("0" itself is fine).
    private static bool TryParseDecimal(string text, long max, out long value)
    {
        value = 0;
        if (text.Length == 0 || text.Length > 19 || !text.All(char.IsAsciiDigit) || (text.Length > 1 && text[0] == '0'))
        {
            return false;
        }

        return long.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out value) && value <= max;
    }
}
