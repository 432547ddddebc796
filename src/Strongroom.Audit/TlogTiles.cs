namespace Strongroom.Audit;

/// <summary>
/// C2SP tlog-tiles paths: <c>tile/&lt;L&gt;/&lt;N&gt;[.p/&lt;W&gt;]</c> and
/// <c>tile/entries/&lt;N&gt;[.p/&lt;W&gt;]</c>, where N is split in 3-digit groups prefixed
/// <c>x</c> except the last (1234067 → <c>x001/x234/067</c>). A tile at level L holds stored hashes
/// at tree level 8·L.
/// </summary>
public static class TlogTiles
{
    /// <summary>Tile coordinates parsed from a path after <c>tile/</c>; Level is null for an entry bundle. Width 256 for a full tile.</summary>
    public sealed record TilePath(int? Level, long Index, int Width);

    public static string Format(TilePath tile) => throw new NotImplementedException("issue 4: formats");

    /// <summary>False for anything not canonical (leading zeros, width 0 or ≥ 256 with .p, levels beyond 63…).</summary>
    public static bool TryParse(string pathAfterTile, out TilePath? tile) => throw new NotImplementedException("issue 4: formats");

    /// <summary>An entry bundle: each entry as uint16 big-endian length ‖ bytes.</summary>
    public static byte[] EntryBundle(IReadOnlyList<byte[]> entries) => throw new NotImplementedException("issue 4: formats");
}
