using System.Text;
using Strongroom.Core;

namespace Strongroom.Audit.Tests;

/// <summary>
/// The canonical entry format (version 1) is frozen: the golden strings below are the exact bytes
/// that leaf hashes are computed over. A failure here means every stored log would stop verifying;
/// add a format version instead of changing these.
/// </summary>
public sealed class AuditEntryTests
{
    private const string FullGolden =
        "{\"v\":1,\"time\":\"2026-11-30T04:35:12.3456789Z\",\"actor\":{\"kind\":\"bearer\",\"id\":\"acme\",\"grant\":\"9f86d081884c7d65\"}," +
        "\"action\":\"PutBlob\",\"resource\":\"/acme/photos/2026/\\u00E9t\\u00E9.jpg\",\"outcome\":\"Success\",\"requestId\":\"0f1e2d3c\"," +
        "\"client\":\"192.0.2.7\",\"sites\":[\"local\",\"site-b\"],\"jurisdictions\":[\"CN\"],\"justification\":\"ticket \\u003C42\\u003E \\u0026 \\u0022quotes\\u0022\"," +
        "\"details\":{\"keyVersion\":\"3\",\"scope\":\"default\"}}";

    private const string MinimalGolden =
        "{\"v\":1,\"time\":\"2026-01-01T00:00:00.0000000Z\",\"actor\":{\"kind\":\"system\",\"id\":\"strongroom\"},\"action\":\"StartServer\",\"resource\":\"platform:server\",\"outcome\":\"Success\"}";

    internal static AuditEntry Full() => new()
    {
        Time = new DateTimeOffset(2026, 11, 30, 12, 35, 12, TimeSpan.FromHours(8)).AddTicks(3456789),
        Actor = new Actor(ActorKind.BearerToken, "acme", "9f86d081884c7d65"),
        Action = nameof(BlobOperation.PutBlob),
        Resource = "/acme/photos/2026/été.jpg",
        Outcome = AuditOutcomes.Success,
        RequestId = "0f1e2d3c",
        ClientAddress = "192.0.2.7",
        Sites = ["local", "site-b"],
        Jurisdictions = ["CN"],
        Justification = "ticket <42> & \"quotes\"",
        Details = [new("scope", "default"), new("keyVersion", "3")],
    };

    internal static AuditEntry Minimal() => new()
    {
        Time = new DateTimeOffset(2026, 1, 1, 0, 0, 0, TimeSpan.Zero),
        Actor = Actor.System,
        Action = AuditActions.StartServer,
        Resource = "platform:server",
        Outcome = AuditOutcomes.Success,
    };

    [Fact]
    public void Full_entry_bytes_are_frozen()
    {
        Assert.Equal(FullGolden, Encoding.UTF8.GetString(Full().Encode()));
    }

    [Fact]
    public void Minimal_entry_bytes_are_frozen()
    {
        Assert.Equal(MinimalGolden, Encoding.UTF8.GetString(Minimal().Encode()));
        Assert.Equal("67f34e8982e1f22f316f7f2014a09d4f1e9325704a84e01382411201ead1e34c", Convert.ToHexStringLower(MerkleTree.LeafHash(Minimal().Encode())));
    }

    [Fact]
    public void Empty_optional_members_are_omitted()
    {
        var entry = Minimal() with { RequestId = "", ClientAddress = null, Justification = "", Actor = new Actor(ActorKind.Host, "root", "") };
        Assert.Equal(MinimalGolden.Replace("\"kind\":\"system\",\"id\":\"strongroom\"", "\"kind\":\"host\",\"id\":\"root\"", StringComparison.Ordinal), Encoding.UTF8.GetString(entry.Encode()));
    }

    [Fact]
    public void Decode_round_trips()
    {
        foreach (var entry in new[] { Full(), Minimal() })
        {
            var bytes = entry.Encode();
            var decoded = AuditEntry.Decode(bytes);
            Assert.Equal(entry.Time, decoded.Time);
            Assert.Equal(TimeSpan.Zero, decoded.Time.Offset);
            Assert.Equal(entry.Actor, decoded.Actor);
            Assert.Equal(entry.Action, decoded.Action);
            Assert.Equal(entry.Resource, decoded.Resource);
            Assert.Equal(entry.Outcome, decoded.Outcome);
            Assert.Equal(entry.RequestId, decoded.RequestId);
            Assert.Equal(entry.ClientAddress, decoded.ClientAddress);
            Assert.Equal(entry.Sites, decoded.Sites);
            Assert.Equal(entry.Jurisdictions, decoded.Jurisdictions);
            Assert.Equal(entry.Justification, decoded.Justification);
            Assert.Equal(entry.Details.OrderBy(d => d.Key, StringComparer.Ordinal), decoded.Details);
            Assert.Equal(bytes, decoded.Encode());
        }
    }

    [Fact]
    public void Every_actor_kind_round_trips()
    {
        foreach (var kind in Enum.GetValues<ActorKind>())
        {
            var entry = Minimal() with { Actor = new Actor(kind, "x") };
            Assert.Equal(kind, AuditEntry.Decode(entry.Encode()).Actor.Kind);
            Assert.Equal(kind, AuditEntry.ParseKindName(AuditEntry.KindName(kind)));
        }
    }

    [Theory]
    [InlineData("{\"v\":1, \"time\":\"2026-01-01T00:00:00.0000000Z\",\"actor\":{\"kind\":\"system\",\"id\":\"strongroom\"},\"action\":\"StartServer\",\"resource\":\"platform:server\",\"outcome\":\"Success\"}")]
    [InlineData("{\"v\":1,\"time\":\"2026-01-01T00:00:00.0000000Z\",\"actor\":{\"kind\":\"system\",\"id\":\"strongroom\"},\"action\":\"StartServer\",\"resource\":\"platform:server\",\"outcome\":\"Success\"}\n")]
    [InlineData(" {\"v\":1,\"time\":\"2026-01-01T00:00:00.0000000Z\",\"actor\":{\"kind\":\"system\",\"id\":\"strongroom\"},\"action\":\"StartServer\",\"resource\":\"platform:server\",\"outcome\":\"Success\"}")]
    [InlineData("{\"v\":1,\"actor\":{\"kind\":\"system\",\"id\":\"strongroom\"},\"time\":\"2026-01-01T00:00:00.0000000Z\",\"action\":\"StartServer\",\"resource\":\"platform:server\",\"outcome\":\"Success\"}")]
    [InlineData("{\"time\":\"2026-01-01T00:00:00.0000000Z\",\"v\":1,\"actor\":{\"kind\":\"system\",\"id\":\"strongroom\"},\"action\":\"StartServer\",\"resource\":\"platform:server\",\"outcome\":\"Success\"}")]
    [InlineData("{\"v\":1,\"time\":\"2026-01-01T00:00:00.0000000Z\",\"actor\":{\"id\":\"strongroom\",\"kind\":\"system\"},\"action\":\"StartServer\",\"resource\":\"platform:server\",\"outcome\":\"Success\"}")]
    [InlineData("{\"v\":1,\"time\":\"2026-01-01T00:00:00.0000000Z\",\"actor\":{\"kind\":\"system\",\"id\":\"strongroom\"},\"action\":\"StartServer\",\"resource\":\"platform:server\",\"outcome\":\"Success\",\"extra\":\"x\"}")]
    [InlineData("{\"v\":1,\"time\":\"2026-01-01T00:00:00.0000000Z\",\"actor\":{\"kind\":\"system\",\"id\":\"strongroom\",\"x\":\"y\"},\"action\":\"StartServer\",\"resource\":\"platform:server\",\"outcome\":\"Success\"}")]
    [InlineData("{\"v\":2,\"time\":\"2026-01-01T00:00:00.0000000Z\",\"actor\":{\"kind\":\"system\",\"id\":\"strongroom\"},\"action\":\"StartServer\",\"resource\":\"platform:server\",\"outcome\":\"Success\"}")]
    [InlineData("{\"v\":1.0,\"time\":\"2026-01-01T00:00:00.0000000Z\",\"actor\":{\"kind\":\"system\",\"id\":\"strongroom\"},\"action\":\"StartServer\",\"resource\":\"platform:server\",\"outcome\":\"Success\"}")]
    [InlineData("{\"v\":\"1\",\"time\":\"2026-01-01T00:00:00.0000000Z\",\"actor\":{\"kind\":\"system\",\"id\":\"strongroom\"},\"action\":\"StartServer\",\"resource\":\"platform:server\",\"outcome\":\"Success\"}")]
    [InlineData("{\"time\":\"2026-01-01T00:00:00.0000000Z\",\"actor\":{\"kind\":\"system\",\"id\":\"strongroom\"},\"action\":\"StartServer\",\"resource\":\"platform:server\",\"outcome\":\"Success\"}")]
    [InlineData("{\"v\":1,\"time\":\"2026-01-01T00:00:00Z\",\"actor\":{\"kind\":\"system\",\"id\":\"strongroom\"},\"action\":\"StartServer\",\"resource\":\"platform:server\",\"outcome\":\"Success\"}")]
    [InlineData("{\"v\":1,\"time\":\"2026-01-01T08:00:00.0000000+08:00\",\"actor\":{\"kind\":\"system\",\"id\":\"strongroom\"},\"action\":\"StartServer\",\"resource\":\"platform:server\",\"outcome\":\"Success\"}")]
    [InlineData("{\"v\":1,\"time\":\"2026-02-30T00:00:00.0000000Z\",\"actor\":{\"kind\":\"system\",\"id\":\"strongroom\"},\"action\":\"StartServer\",\"resource\":\"platform:server\",\"outcome\":\"Success\"}")]
    [InlineData("{\"v\":1,\"time\":\"2026-01-01T00:00:00.0000000Z\",\"actor\":{\"kind\":\"robot\",\"id\":\"strongroom\"},\"action\":\"StartServer\",\"resource\":\"platform:server\",\"outcome\":\"Success\"}")]
    [InlineData("{\"v\":1,\"time\":\"2026-01-01T00:00:00.0000000Z\",\"actor\":{\"kind\":\"system\",\"id\":\"strongroom\"},\"action\":\"StartServer\",\"resource\":\"platform:server\"}")]
    [InlineData("{\"v\":1,\"time\":\"2026-01-01T00:00:00.0000000Z\",\"actor\":{\"kind\":\"system\",\"id\":\"strongroom\"},\"action\":\"StartServer\",\"resource\":\"platform:server\",\"outcome\":\"Success\",\"requestId\":\"\"}")]
    [InlineData("{\"v\":1,\"time\":\"2026-01-01T00:00:00.0000000Z\",\"actor\":{\"kind\":\"system\",\"id\":\"strongroom\"},\"action\":\"StartServer\",\"resource\":\"platform:server\",\"outcome\":\"Success\",\"sites\":[]}")]
    [InlineData("{\"v\":1,\"time\":\"2026-01-01T00:00:00.0000000Z\",\"actor\":{\"kind\":\"system\",\"id\":\"strongroom\"},\"action\":\"StartServer\",\"resource\":\"platform:server\",\"outcome\":\"Success\",\"details\":{\"b\":\"1\",\"a\":\"2\"}}")]
    [InlineData("{\"v\":1,\"time\":\"2026-01-01T00:00:00.0000000Z\",\"actor\":{\"kind\":\"system\",\"id\":\"strongroom\"},\"action\":\"StartServer\",\"resource\":\"platform:server\",\"outcome\":\"Success\",\"details\":{\"a\":\"1\",\"a\":\"2\"}}")]
    [InlineData("{\"v\":1,\"time\":\"2026-01-01T00:00:00.0000000Z\",\"actor\":{\"kind\":\"system\",\"id\":\"strongroom\"},\"action\":\"StartServer\",\"action\":\"StartServer\",\"resource\":\"platform:server\",\"outcome\":\"Success\"}")]
    [InlineData("{\"v\":1,\"time\":\"2026-01-01T00:00:00.0000000Z\",\"actor\":{\"kind\":\"system\",\"id\":\"strongroom\"},\"action\":\"StartServer\",\"resource\":\"platform:server\",\"outcome\":\"Success\",\"sites\":[1]}")]
    [InlineData("{\"v\":1,\"time\":\"2026-01-01T00:00:00.0000000Z\",\"actor\":{\"kind\":\"system\",\"id\":\"strongroom\"},\"action\":\"StartServer\",\"resource\":\"platform:server\",\"outcome\":\"Success\",\"client\":null}")]
    [InlineData("{\"v\":1,\"time\":\"2026-01-01T00:00:00.0000000Z\",\"actor\":{\"kind\":\"system\",\"id\":\"strongroom\"},\"action\":\"StartServer\",\"resource\":\"platform:server\",\"outcome\":\"Success\"}{}")]
    [InlineData("")]
    [InlineData("[]")]
    [InlineData("{")]
    public void Non_canonical_bytes_are_rejected(string text)
    {
        Assert.Throws<FormatException>(() => AuditEntry.Decode(Encoding.UTF8.GetBytes(text)));
    }

    [Fact]
    public void Non_canonical_escaping_is_rejected()
    {
        var canonical = Encoding.UTF8.GetString(Full().Encode());
        Assert.Contains("\\u00E9", canonical, StringComparison.Ordinal);

        // The same strings, escaped differently or not at all: equal values, other bytes.
        foreach (var variant in new[]
        {
            canonical.Replace("\\u00E9", "\\u00e9", StringComparison.Ordinal),
            canonical.Replace("\\u00E9", "é", StringComparison.Ordinal),
            canonical.Replace("\\u003C", "<", StringComparison.Ordinal),
            canonical.Replace("\\u0022", "\\\"", StringComparison.Ordinal),
            canonical.Replace("PutBlob", "\\u0050utBlob", StringComparison.Ordinal),
            canonical.Replace("/acme", "\\/acme", StringComparison.Ordinal),
        })
        {
            Assert.NotEqual(canonical, variant);
            Assert.Throws<FormatException>(() => AuditEntry.Decode(Encoding.UTF8.GetBytes(variant)));
        }
    }

    [Fact]
    public void Limits_are_enforced()
    {
        var longText = new string('a', Limits.AuditTextCharsMax + 1);
        Assert.Throws<ArgumentException>(() => (Minimal() with { Justification = longText }).Encode());
        Assert.Throws<ArgumentException>(() => (Minimal() with { Details = [new("k", longText)] }).Encode());
        Assert.Throws<ArgumentException>(() => (Minimal() with { Details = [new(longText, "v")] }).Encode());
        _ = (Minimal() with { Justification = new string('a', Limits.AuditTextCharsMax) }).Encode();

        // Many details, each within the text limit, still exceed the entry limit.
        var details = Enumerable.Range(0, 32).Select(i => new KeyValuePair<string, string>($"k{i:D2}", new string('v', 1000))).ToList();
        Assert.Throws<ArgumentException>(() => (Minimal() with { Details = details }).Encode());

        Assert.Throws<FormatException>(() => AuditEntry.Decode(new byte[Limits.AuditEntryBytesMax + 1]));
    }

    [Fact]
    public void Duplicate_and_empty_detail_keys_are_refused()
    {
        Assert.Throws<ArgumentException>(() => (Minimal() with { Details = [new("a", "1"), new("a", "2")] }).Encode());
        Assert.Throws<ArgumentException>(() => (Minimal() with { Details = [new("", "1")] }).Encode());
        Assert.Throws<ArgumentException>(() => (Minimal() with { Details = [new("a", null!)] }).Encode());
    }

    [Fact]
    public void Details_are_sorted_ordinally()
    {
        var entry = Minimal() with { Details = [new("b", "1"), new("B", "2"), new("a", "3"), new("_", "4")] };
        Assert.EndsWith("\"details\":{\"B\":\"2\",\"_\":\"4\",\"a\":\"3\",\"b\":\"1\"}}", Encoding.UTF8.GetString(entry.Encode()), StringComparison.Ordinal);
    }
}
