using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Microsoft.AspNetCore.Http;
using Strongroom.Audit;
using Strongroom.Core;
using Strongroom.Protocol.Transparency;
using Strongroom.Storage;
using Strongroom.Vault;

namespace Strongroom.Protocol.Tests;

public sealed class TransparencyProtocolTests : IDisposable
{
    private const string GoodToken = "token-of-alpha";
    private const string OtherToken = "token-of-beta";

    private readonly FakeAuditStore store = new();
    private readonly SealState seal = new(Path.Combine(Path.GetTempPath(), "strongroom-none", "seal"), Path.Combine(Path.GetTempPath(), "strongroom-none", "keyring"), new SeededRandomSource(4));
    private readonly TransparencyLog log;
    private bool sealedVault;

    public TransparencyProtocolTests()
    {
        log = new TransparencyLog(store, new CheckpointSigner(seal), () => "00112233", TimeProvider.System);
        for (var i = 0; i < 300; i++)
        {
            store.Append("alpha", Encoding.UTF8.GetBytes($"{{\"entry\":{i}}}"));
        }

        for (var i = 0; i < 3; i++)
        {
            store.Append("beta", Encoding.UTF8.GetBytes($"{{\"beta\":{i}}}"));
        }
    }

    public void Dispose() => seal.Dispose();

    private TransparencyProtocolHandler Handler() => new(log, (token, _) => Task.FromResult(token switch
    {
        GoodToken => "alpha",
        OtherToken => "beta",
        "sealed" => throw new StorageException(ErrorCode.VaultSealed),
        _ => (string?)null,
    }))
    {
        IsSealed = () => sealedVault,
    };

    private async Task<(int Status, HttpResponse Response, byte[] Body)> SendAsync(string pathAndQuery, string? token = GoodToken, string method = "GET", bool https = true)
    {
        var context = new DefaultHttpContext();
        var request = context.Request;
        request.Method = method;
        request.Scheme = https ? "https" : "http";
        request.Host = new HostString("127.0.0.1", 10000);
        var question = pathAndQuery.IndexOf('?', StringComparison.Ordinal);
        request.Path = question < 0 ? pathAndQuery : pathAndQuery[..question];
        request.QueryString = question < 0 ? QueryString.Empty : new QueryString(pathAndQuery[question..]);
        if (token is not null)
        {
            request.Headers.Authorization = "Bearer " + token;
        }

        var body = new MemoryStream();
        context.Response.Body = body;
        await Handler().HandleAsync(context);
        return (context.Response.StatusCode, context.Response, body.ToArray());
    }

    private static string ErrorCodeOf(byte[] body)
    {
        using var document = JsonDocument.Parse(body);
        return document.RootElement.GetProperty("error").GetProperty("code").GetString()!;
    }

    [Theory]
    [InlineData("/.strongroom/log", true)]
    [InlineData("/.strongroom/log/checkpoint", true)]
    [InlineData("/.strongroom/log/tile/0/000", true)]
    [InlineData("/.strongroom/logs", false)]
    [InlineData("/.strongroom/health/ready", false)]
    [InlineData("/log/checkpoint", false)]
    [InlineData(null, false)]
    public void Routes_the_log_prefix_and_nothing_else(string? path, bool transparency)
    {
        Assert.Equal(transparency, TransparencyProtocolHandler.IsTransparencyPath(path));
        Assert.Equal(transparency, ReservedPaths.IsTransparencyLogPath(path));
        Assert.False(ReservedPaths.IsKeyVaultPath(path));
    }

    [Theory]
    [InlineData("0", 0L)]
    [InlineData("7", 7L)]
    [InlineData("1000", 1000L)]
    [InlineData("9223372036854775807", long.MaxValue)]
    public void Parses_canonical_decimals(string text, long expected)
    {
        Assert.True(TransparencyProtocolHandler.TryParseDecimal(text, out var value));
        Assert.Equal(expected, value);
    }

    [Theory]
    [InlineData("")]
    [InlineData("00")]
    [InlineData("01")]
    [InlineData("+1")]
    [InlineData("-1")]
    [InlineData(" 1")]
    [InlineData("1 ")]
    [InlineData("1e3")]
    [InlineData("0x10")]
    [InlineData("1.0")]
    [InlineData("9223372036854775808")]
    [InlineData("99999999999999999999")]
    [InlineData("١")]
    public void Refuses_anything_else(string text)
    {
        Assert.False(TransparencyProtocolHandler.TryParseDecimal(text, out _));
    }

    [Fact]
    public async Task Plain_http_is_refused_before_the_token_is_looked_at()
    {
        var (status, _, body) = await SendAsync("/.strongroom/log/checkpoint", https: false);
        Assert.Equal(403, status);
        Assert.Equal("HttpsRequired", ErrorCodeOf(body));
    }

    [Fact]
    public async Task A_sealed_server_answers_503_before_authentication()
    {
        sealedVault = true;
        var (status, _, body) = await SendAsync("/.strongroom/log/entries?start=0&end=1", token: null);
        Assert.Equal(503, status);
        Assert.Equal("VaultSealed", ErrorCodeOf(body));
    }

    [Fact]
    public async Task A_vault_sealed_during_authentication_is_503()
    {
        var (status, _, body) = await SendAsync("/.strongroom/log/entries?start=0&end=1", token: "sealed");
        Assert.Equal(503, status);
        Assert.Equal("VaultSealed", ErrorCodeOf(body));
    }

    [Theory]
    [InlineData(null)]
    [InlineData("not-a-token")]
    [InlineData("")]
    public async Task Without_a_valid_token_the_answer_is_401_with_a_bearer_challenge(string? token)
    {
        var (status, response, body) = await SendAsync("/.strongroom/log/entries?start=0&end=1", token: token);
        Assert.Equal(401, status);
        Assert.Equal("Bearer", response.Headers.WWWAuthenticate.ToString());
        Assert.Equal("Unauthorized", ErrorCodeOf(body));
    }

    [Fact]
    public async Task Basic_credentials_are_not_a_bearer_token()
    {
        var context = new DefaultHttpContext();
        context.Request.Scheme = "https";
        context.Request.Method = "GET";
        context.Request.Path = "/.strongroom/log/entries";
        context.Request.QueryString = new QueryString("?start=0&end=1");
        context.Request.Headers.Authorization = "Basic " + GoodToken;
        context.Response.Body = new MemoryStream();
        await Handler().HandleAsync(context);
        Assert.Equal(401, context.Response.StatusCode);
    }

    [Theory]
    [InlineData("POST")]
    [InlineData("PUT")]
    [InlineData("DELETE")]
    public async Task The_log_is_read_only(string method)
    {
        var (status, response, body) = await SendAsync("/.strongroom/log/entries?start=0&end=1", method: method);
        Assert.Equal(405, status);
        Assert.Equal("GET, HEAD", response.Headers.Allow.ToString());
        Assert.Equal("MethodNotAllowed", ErrorCodeOf(body));
    }

    [Theory]
    [InlineData("/.strongroom/log")]
    [InlineData("/.strongroom/log/")]
    [InlineData("/.strongroom/log/nothing")]
    [InlineData("/.strongroom/log/proof")]
    [InlineData("/.strongroom/log/checkpoint/")]
    public async Task Unknown_paths_are_404(string path)
    {
        var (status, _, body) = await SendAsync(path);
        Assert.Equal(404, status);
        Assert.Equal("NotFound", ErrorCodeOf(body));
    }

    [Fact]
    public async Task Entries_come_with_their_leaf_hashes_and_bodies()
    {
        var (status, response, body) = await SendAsync("/.strongroom/log/entries?start=2&end=5");
        Assert.Equal(200, status);
        Assert.StartsWith("application/json", response.ContentType, StringComparison.Ordinal);
        Assert.Equal("no-store", response.Headers.CacheControl.ToString());
        using var document = JsonDocument.Parse(body);
        var root = document.RootElement;
        Assert.Equal(300, root.GetProperty("size").GetInt64());
        var entries = root.GetProperty("entries").EnumerateArray().ToList();
        Assert.Equal([2L, 3L, 4L], entries.Select(entry => entry.GetProperty("index").GetInt64()));
        foreach (var entry in entries)
        {
            var bytes = entry.GetProperty("entry").GetBytesFromBase64();
            Assert.Equal(MerkleTree.LeafHash(bytes), entry.GetProperty("leafHash").GetBytesFromBase64());
            Assert.Equal($"{{\"entry\":{entry.GetProperty("index").GetInt64()}}}", Encoding.UTF8.GetString(bytes));
        }
    }

    [Fact]
    public async Task An_empty_range_is_an_empty_page()
    {
        var (status, _, body) = await SendAsync("/.strongroom/log/entries?start=300&end=300");
        Assert.Equal(200, status);
        using var document = JsonDocument.Parse(body);
        Assert.Equal(0, document.RootElement.GetProperty("entries").GetArrayLength());
    }

    [Fact]
    public async Task Pruned_entries_keep_their_hash_and_lose_their_body()
    {
        store.PruneBefore("alpha", 10);
        var (status, _, body) = await SendAsync("/.strongroom/log/entries?start=8&end=12");
        Assert.Equal(200, status);
        using var document = JsonDocument.Parse(body);
        var entries = document.RootElement.GetProperty("entries").EnumerateArray().ToList();
        Assert.Equal(JsonValueKind.Null, entries[0].GetProperty("entry").ValueKind);
        Assert.Equal(JsonValueKind.Null, entries[1].GetProperty("entry").ValueKind);
        Assert.Equal(JsonValueKind.String, entries[2].GetProperty("entry").ValueKind);
        Assert.Equal(32, entries[0].GetProperty("leafHash").GetBytesFromBase64().Length);
    }

    [Theory]
    [InlineData("start=0&end=301")]
    [InlineData("start=5&end=4")]
    [InlineData("start=0")]
    [InlineData("end=1")]
    [InlineData("start=0&end=1&end=2")]
    [InlineData("start=00&end=1")]
    [InlineData("start=-1&end=1")]
    [InlineData("start=%2B0&end=1")]
    [InlineData("start=0&end=1.0")]
    [InlineData("start=0&end=")]
    public async Task Bad_entry_ranges_are_400(string query)
    {
        var (status, _, body) = await SendAsync("/.strongroom/log/entries?" + query);
        Assert.Equal(400, status);
        Assert.Equal("InvalidAuditRange", ErrorCodeOf(body));
    }

    [Fact]
    public async Task A_page_is_at_most_the_limit()
    {
        for (var i = 0; i < Limits.AuditEntriesPageMax + 1; i++)
        {
            store.Append("alpha", [(byte)(i % 256), (byte)(i / 256)]);
        }

        var (ok, _, _) = await SendAsync($"/.strongroom/log/entries?start=0&end={Limits.AuditEntriesPageMax}");
        Assert.Equal(200, ok);
        var (status, _, body) = await SendAsync($"/.strongroom/log/entries?start=0&end={Limits.AuditEntriesPageMax + 1}");
        Assert.Equal(400, status);
        Assert.Equal("InvalidAuditRange", ErrorCodeOf(body));
    }

    [Fact]
    public async Task The_token_decides_the_log_served()
    {
        var (status, _, body) = await SendAsync("/.strongroom/log/entries?start=0&end=3", token: OtherToken);
        Assert.Equal(200, status);
        using var document = JsonDocument.Parse(body);
        Assert.Equal(3, document.RootElement.GetProperty("size").GetInt64());
        Assert.Contains("beta", Encoding.UTF8.GetString(document.RootElement.GetProperty("entries")[0].GetProperty("entry").GetBytesFromBase64()), StringComparison.Ordinal);

        // The other tenant's larger log is out of range for this token.
        var (outside, _, _) = await SendAsync("/.strongroom/log/entries?start=3&end=4", token: OtherToken);
        Assert.Equal(400, outside);
    }

    [Theory]
    [InlineData(0, 1)]
    [InlineData(5, 300)]
    [InlineData(299, 300)]
    [InlineData(17, 100)]
    public async Task Inclusion_proofs_verify(long index, long size)
    {
        var (status, _, body) = await SendAsync($"/.strongroom/log/proof/inclusion?index={index}&size={size}");
        Assert.Equal(200, status);
        using var document = JsonDocument.Parse(body);
        var root = document.RootElement;
        Assert.Equal(index, root.GetProperty("index").GetInt64());
        Assert.Equal(size, root.GetProperty("size").GetInt64());
        var proof = root.GetProperty("hashes").EnumerateArray().Select(hash => hash.GetBytesFromBase64()).ToList();
        Assert.True(MerkleTree.VerifyInclusion(index, size, store.LeafHash("alpha", index), proof, store.Root("alpha", size)));
    }

    [Theory]
    [InlineData("index=300&size=300")]
    [InlineData("index=0&size=301")]
    [InlineData("index=0&size=0")]
    [InlineData("index=1")]
    public async Task Bad_inclusion_requests_are_400(string query)
    {
        var (status, _, body) = await SendAsync("/.strongroom/log/proof/inclusion?" + query);
        Assert.Equal(400, status);
        Assert.Equal("InvalidAuditRange", ErrorCodeOf(body));
    }

    [Theory]
    [InlineData(1, 300)]
    [InlineData(7, 8)]
    [InlineData(256, 300)]
    [InlineData(300, 300)]
    [InlineData(0, 300)]
    public async Task Consistency_proofs_verify(long first, long second)
    {
        var (status, _, body) = await SendAsync($"/.strongroom/log/proof/consistency?first={first}&second={second}");
        Assert.Equal(200, status);
        using var document = JsonDocument.Parse(body);
        var root = document.RootElement;
        Assert.Equal(first, root.GetProperty("first").GetInt64());
        Assert.Equal(second, root.GetProperty("second").GetInt64());
        var proof = root.GetProperty("hashes").EnumerateArray().Select(hash => hash.GetBytesFromBase64()).ToList();
        if (first > 0)
        {
            Assert.True(MerkleTree.VerifyConsistency(first, second, store.Root("alpha", first), store.Root("alpha", second), proof));
        }
        else
        {
            Assert.Empty(proof);
        }
    }

    [Theory]
    [InlineData("first=5&second=4")]
    [InlineData("first=1&second=301")]
    [InlineData("first=1")]
    [InlineData("first=01&second=2")]
    public async Task Bad_consistency_requests_are_400(string query)
    {
        var (status, _, body) = await SendAsync("/.strongroom/log/proof/consistency?" + query);
        Assert.Equal(400, status);
        Assert.Equal("InvalidAuditRange", ErrorCodeOf(body));
    }

    [Fact]
    public async Task A_full_level_0_tile_holds_256_leaf_hashes_and_is_immutable()
    {
        var (status, response, body) = await SendAsync("/.strongroom/log/tile/0/000");
        Assert.Equal(200, status);
        Assert.Equal("application/octet-stream", response.ContentType);
        Assert.Equal(TransparencyProtocolHandler.ImmutableCacheControl, response.Headers.CacheControl.ToString());
        Assert.Equal(256 * 32, body.Length);
        for (var i = 0; i < 256; i++)
        {
            Assert.Equal(store.LeafHash("alpha", i), body.AsSpan(i * 32, 32).ToArray());
        }
    }

    [Fact]
    public async Task The_right_edge_is_a_partial_tile_and_only_at_its_current_width()
    {
        var (status, response, body) = await SendAsync("/.strongroom/log/tile/0/001.p/44");
        Assert.Equal(200, status);
        Assert.Equal("no-store", response.Headers.CacheControl.ToString());
        Assert.Equal(44 * 32, body.Length);
        Assert.Equal(store.LeafHash("alpha", 299), body.AsSpan(43 * 32, 32).ToArray());

        Assert.Equal(404, (await SendAsync("/.strongroom/log/tile/0/001.p/43")).Status);
        Assert.Equal(404, (await SendAsync("/.strongroom/log/tile/0/001")).Status);
        Assert.Equal(404, (await SendAsync("/.strongroom/log/tile/0/000.p/10")).Status);
        Assert.Equal(404, (await SendAsync("/.strongroom/log/tile/0/002")).Status);
    }

    [Fact]
    public async Task A_level_1_partial_tile_holds_the_level_8_hash()
    {
        var (status, _, body) = await SendAsync("/.strongroom/log/tile/1/000.p/1");
        Assert.Equal(200, status);
        Assert.Equal(store.Root("alpha", 256), body);
        Assert.Equal(404, (await SendAsync("/.strongroom/log/tile/2/000.p/1")).Status);
    }

    [Theory]
    [InlineData("/.strongroom/log/tile/0/0")]
    [InlineData("/.strongroom/log/tile/0/0000")]
    [InlineData("/.strongroom/log/tile/0/000.p/0")]
    [InlineData("/.strongroom/log/tile/0/000.p/256")]
    [InlineData("/.strongroom/log/tile/x/000")]
    [InlineData("/.strongroom/log/tile/entries/")]
    public async Task Malformed_tile_paths_are_404(string path)
    {
        Assert.Equal(404, (await SendAsync(path)).Status);
    }

    [Fact]
    public async Task An_entry_bundle_frames_each_entry()
    {
        var (status, response, body) = await SendAsync("/.strongroom/log/tile/entries/000");
        Assert.Equal(200, status);
        Assert.Equal(TransparencyProtocolHandler.ImmutableCacheControl, response.Headers.CacheControl.ToString());
        var offset = 0;
        for (var i = 0; i < 256; i++)
        {
            var length = (body[offset] << 8) | body[offset + 1];
            Assert.Equal($"{{\"entry\":{i}}}", Encoding.UTF8.GetString(body, offset + 2, length));
            offset += 2 + length;
        }

        Assert.Equal(body.Length, offset);
        Assert.Equal(200, (await SendAsync("/.strongroom/log/tile/entries/001.p/44")).Status);
    }

    [Fact]
    public async Task A_bundle_touching_pruned_entries_is_404()
    {
        store.PruneBefore("alpha", 1);
        var (status, _, body) = await SendAsync("/.strongroom/log/tile/entries/000");
        Assert.Equal(404, status);
        Assert.Equal("NotFound", ErrorCodeOf(body));
        Assert.Equal(200, (await SendAsync("/.strongroom/log/tile/entries/001.p/44")).Status);

        // The hash tiles stay.
        Assert.Equal(200, (await SendAsync("/.strongroom/log/tile/0/000")).Status);
    }

    [Fact]
    public async Task A_failing_store_is_500_without_detail()
    {
        store.Broken = true;
        var (status, _, body) = await SendAsync("/.strongroom/log/entries?start=0&end=1");
        Assert.Equal(500, status);
        Assert.Equal("InternalError", ErrorCodeOf(body));
        Assert.DoesNotContain("sqlite", Encoding.UTF8.GetString(body), StringComparison.OrdinalIgnoreCase);
    }

    [Fact]
    public async Task Head_answers_without_a_body()
    {
        var (status, response, body) = await SendAsync("/.strongroom/log/entries?start=0&end=1", method: "HEAD");
        Assert.Equal(200, status);
        Assert.True(response.ContentLength > 0);
        Assert.Empty(body);
    }

    /// <summary>An in-memory IAuditStore with the same tree math as the real one.</summary>
    internal sealed class FakeAuditStore : IAuditStore
    {
        private readonly Dictionary<string, List<(byte[] LeafHash, byte[]? Body)>> logs = new(StringComparer.Ordinal);
        private readonly Dictionary<(string Log, int Level, long Index), byte[]> hashes = [];

        public bool Broken { get; set; }

        public void Append(string log, byte[] body)
        {
            if (!logs.TryGetValue(log, out var entries))
            {
                logs[log] = entries = [];
            }

            var leaf = MerkleTree.LeafHash(body);
            foreach (var (level, index, hash) in MerkleTree.StoredHashesForAppend(entries.Count, leaf, (l, i) => hashes[(log, l, i)]))
            {
                hashes[(log, level, index)] = hash;
            }

            entries.Add((leaf, body));
        }

        public void PruneBefore(string log, int index)
        {
            var entries = logs[log];
            for (var i = 0; i < index; i++)
            {
                entries[i] = (entries[i].LeafHash, null);
            }
        }

        public byte[] LeafHash(string log, long index) => logs[log][(int)index].LeafHash;

        public byte[] Root(string log, long size) => MerkleTree.RootHash(size, (l, i) => hashes[(log, l, i)]);

        private List<(byte[] LeafHash, byte[]? Body)> Entries(string log)
        {
            if (Broken)
            {
                throw new StorageException(ErrorCode.AuditLogUnavailable, "sqlite says no");
            }

            return logs.TryGetValue(log, out var entries) ? entries : [];
        }

        public Task<AuditTreeHead> GetAuditTreeHeadAsync(string log, CancellationToken cancellationToken = default)
        {
            var size = Entries(log).Count;
            return Task.FromResult(new AuditTreeHead(log, size, Root(log, size)));
        }

        public Task<IReadOnlyList<StoredAuditEntry>> ReadAuditEntriesAsync(string log, long start, long end, CancellationToken cancellationToken = default)
        {
            var entries = Entries(log);
            if (start < 0 || end > entries.Count || start >= end || end - start > Limits.AuditEntriesPageMax)
            {
                throw new StorageException(ErrorCode.InvalidAuditRange);
            }

            IReadOnlyList<StoredAuditEntry> page = [.. Enumerable.Range((int)start, (int)(end - start)).Select(i => new StoredAuditEntry(i, DateTimeOffset.UnixEpoch, entries[i].LeafHash, entries[i].Body))];
            return Task.FromResult(page);
        }

        public Task<IReadOnlyList<byte[]>> GetAuditInclusionProofAsync(string log, long index, long size, CancellationToken cancellationToken = default) =>
            Task.FromResult(MerkleTree.InclusionProof(index, size, (l, i) => hashes[(log, l, i)]));

        public Task<IReadOnlyList<byte[]>> GetAuditConsistencyProofAsync(string log, long first, long second, CancellationToken cancellationToken = default) =>
            Task.FromResult(MerkleTree.ConsistencyProof(first, second, (l, i) => hashes[(log, l, i)]));

        public Task<IReadOnlyList<byte[]>> ReadAuditHashesAsync(string log, int level, long start, int count, CancellationToken cancellationToken = default)
        {
            IReadOnlyList<byte[]> read = [.. Enumerable.Range(0, count).Select(i => hashes.TryGetValue((log, level, start + i), out var hash) ? hash : throw new StorageException(ErrorCode.InvalidAuditRange))];
            return Task.FromResult(read);
        }

        public Task<IReadOnlyList<long>> AppendAuditEntriesAsync(IReadOnlyList<AuditAppend> entries, CancellationToken cancellationToken = default) => throw new NotSupportedException();

        public Task<IReadOnlyList<string>> ListAuditLogsAsync(CancellationToken cancellationToken = default) => throw new NotSupportedException();

        public Task<byte[]> GetAuditRootAsync(string log, long size, CancellationToken cancellationToken = default) => Task.FromResult(Root(log, size));

        public Task SaveAuditCheckpointAsync(StoredCheckpoint checkpoint, CancellationToken cancellationToken = default) => throw new NotSupportedException();

        public Task<StoredCheckpoint?> GetLatestAuditCheckpointAsync(string log, CancellationToken cancellationToken = default) => Task.FromResult<StoredCheckpoint?>(null);

        public Task<long> PruneAuditEntryBodiesAsync(string log, DateTimeOffset before, CancellationToken cancellationToken = default) => throw new NotSupportedException();

        public Task<long> GetAuditRetainedFromAsync(string log, CancellationToken cancellationToken = default) => Task.FromResult(0L);

        public Task<AccountRecord> SetAccountAuditSettingsAsync(string account, DataPlaneLogging dataPlane, int retentionDays, AuditAppend? audit, CancellationToken cancellationToken = default) => throw new NotSupportedException();
    }
}
