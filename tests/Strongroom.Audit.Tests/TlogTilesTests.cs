using Strongroom.Core;

namespace Strongroom.Audit.Tests;

/// <summary>C2SP tlog-tiles paths (the spec's examples) and entry bundles.</summary>
public sealed class TlogTilesTests
{
    [Theory]
    [InlineData(0, 1234067L, 256, "0/x001/x234/067")]
    [InlineData(0, 0L, 256, "0/000")]
    [InlineData(1, 5L, 256, "1/005")]
    [InlineData(0, 273L, 112, "0/273.p/112")]
    [InlineData(1, 1L, 17, "1/001.p/17")]
    [InlineData(2, 0L, 1, "2/000.p/1")]
    [InlineData(63, 1000L, 255, "63/x001/000.p/255")]
    [InlineData(null, 1234067L, 256, "entries/x001/x234/067")]
    [InlineData(null, 7L, 3, "entries/007.p/3")]
    [InlineData(0, 9223372036854775807L, 256, "0/x009/x223/x372/x036/x854/x775/807")]
    public void Paths_format_and_parse(int? level, long index, int width, string path)
    {
        var tile = new TlogTiles.TilePath(level, index, width);
        Assert.Equal(path, TlogTiles.Format(tile));
        Assert.True(TlogTiles.TryParse(path, out var parsed));
        Assert.Equal(tile, parsed);
    }

    [Fact]
    public void Tiles_know_which_stored_hashes_they_hold()
    {
        var tile = new TlogTiles.TilePath(1, 3, 17);
        Assert.Equal(8, tile.StoredLevel);
        Assert.Equal(768, tile.FirstStoredIndex);
        Assert.True(tile.IsPartial);
        Assert.False(new TlogTiles.TilePath(null, 3, 256).IsPartial);
        Assert.Equal(0, new TlogTiles.TilePath(null, 3, 256).StoredLevel);
    }

    [Theory]
    [InlineData("")]
    [InlineData("0")]
    [InlineData("0/")]
    [InlineData("00/000")] // leading zero in the level
    [InlineData("64/000")] // level beyond 63
    [InlineData("-1/000")]
    [InlineData("0/0")] // not three digits
    [InlineData("0/0000")]
    [InlineData("0/1234067")]
    [InlineData("0/x000/001")] // a leading zero group
    [InlineData("0/001/234")] // missing x
    [InlineData("0/x001/x234")] // last group with x
    [InlineData("0/X001/234")]
    [InlineData("0/x01/234")]
    [InlineData("0/000.p/0")] // width 0
    [InlineData("0/000.p/256")] // a full tile is not partial
    [InlineData("0/000.p/012")] // leading zero in the width
    [InlineData("0/000.p/")]
    [InlineData("0/000.p")]
    [InlineData("0/000.q/5")]
    [InlineData("0/000/.p/5")]
    [InlineData("0/x001.p/5")]
    [InlineData("entry/000")]
    [InlineData("entries/")]
    [InlineData("0/x010/x000/x000/x000/x000/x000/000")] // overflows a long
    [InlineData("0/000/")]
    [InlineData("0//000")]
    [InlineData("0/+12")]
    [InlineData("0/１２３")] // non-ASCII digits
    public void Non_canonical_paths_are_rejected(string path)
    {
        Assert.False(TlogTiles.TryParse(path, out var tile));
        Assert.Null(tile);
    }

    [Fact]
    public void Format_refuses_impossible_tiles()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => TlogTiles.Format(new TlogTiles.TilePath(64, 0, 256)));
        Assert.Throws<ArgumentOutOfRangeException>(() => TlogTiles.Format(new TlogTiles.TilePath(0, -1, 256)));
        Assert.Throws<ArgumentOutOfRangeException>(() => TlogTiles.Format(new TlogTiles.TilePath(0, 0, 0)));
        Assert.Throws<ArgumentOutOfRangeException>(() => TlogTiles.Format(new TlogTiles.TilePath(0, 0, 257)));
    }

    [Fact]
    public void Entry_bundles_frame_each_entry_with_a_big_endian_length()
    {
        var bundle = TlogTiles.EntryBundle([[0x41], [], new byte[300]]);
        Assert.Equal(2 + 1 + 2 + 0 + 2 + 300, bundle.Length);
        Assert.Equal(new byte[] { 0x00, 0x01, 0x41, 0x00, 0x00, 0x01, 0x2c }, bundle[..7]);

        var entries = TlogTiles.ReadEntryBundle(bundle);
        Assert.Equal(3, entries.Count);
        Assert.Equal(new byte[] { 0x41 }, entries[0]);
        Assert.Empty(entries[1]);
        Assert.Equal(300, entries[2].Length);

        Assert.Throws<ArgumentException>(() => TlogTiles.EntryBundle([new byte[65536]]));
        Assert.Throws<FormatException>(() => TlogTiles.ReadEntryBundle(bundle[..^1]));
        Assert.Throws<FormatException>(() => TlogTiles.ReadEntryBundle(new byte[] { 0x00 }));
        Assert.Empty(TlogTiles.ReadEntryBundle([]));
    }

    [Fact]
    public void The_spec_example_of_a_tree_of_70000()
    {
        // 273 full level-0 tiles and a partial of 112; one full level-1 tile and a partial of 17; a level-2 partial of 1.
        const long size = 70_000;
        Assert.Equal(273, size / Limits.AuditTileWidth);
        Assert.Equal(112, size % Limits.AuditTileWidth);
        Assert.Equal("0/273.p/112", TlogTiles.Format(new TlogTiles.TilePath(0, size / 256, (int)(size % 256))));
        Assert.Equal("1/001.p/17", TlogTiles.Format(new TlogTiles.TilePath(1, size / 65536, (int)(size / 256 % 256))));
        Assert.Equal("2/000.p/1", TlogTiles.Format(new TlogTiles.TilePath(2, 0, (int)(size / 65536 % 256))));
    }
}
