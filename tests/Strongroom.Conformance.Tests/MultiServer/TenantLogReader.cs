using System.Net;
using System.Net.Http.Headers;
using System.Text.Json;
using Strongroom.Audit;
using Strongroom.Conformance.Tests.Infrastructure;
using Strongroom.Core;
using Xunit;

namespace Strongroom.Conformance.Tests.MultiServer;

/// <summary>
/// An account's transparency log read as its tenant through one server's HTTPS endpoints
/// (<c>/.strongroom/log</c>, docs/transparency.md): a bearer token from the token endpoint with the
/// account key, the signed checkpoint checked against the published key, entries, proofs; and a
/// source for the tenant's verifier (<see cref="LogVerifier"/>).
/// </summary>
public sealed class TenantLogReader : ILogSource, IDisposable
{
    const string Log = ".strongroom/log/";

    readonly HttpClient _http;
    readonly string _token;

    TenantLogReader(StrongroomProcess server, HttpClient http, string token)
    {
        Server = server;
        _http = http;
        _token = token;
    }

    public StrongroomProcess Server { get; }

    public static async Task<TenantLogReader> OpenAsync(StrongroomProcess server, string account, string key)
    {
        var http = server.CreateHttpClient();
        try
        {
            using var response = await http.PostAsync(".strongroom/oauth2/token", new FormUrlEncodedContent(new Dictionary<string, string>
            {
                ["grant_type"] = "client_credentials",
                ["client_id"] = account,
                ["client_secret"] = key,
            }));
            Assert.True(response.StatusCode == HttpStatusCode.OK, $"token from {server.Endpoint}: {(int)response.StatusCode} {await response.Content.ReadAsStringAsync()}");
            using var json = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
            var token = json.RootElement.GetProperty("access_token").GetString()!;
            TestLogs.RecordSecret("bearer token", token);
            return new TenantLogReader(server, http, token);
        }
        catch
        {
            http.Dispose();
            throw;
        }
    }

    /// <summary>The signed checkpoint, verified under the published key (returned too).</summary>
    public async Task<(Checkpoint Checkpoint, NoteVerifierKey Key)> CheckpointAsync()
    {
        var note = SignedNote.Parse(await GetTextAsync("checkpoint"));
        var key = NoteVerifierKey.Parse((await GetTextAsync("key")).TrimEnd('\n'));
        Assert.True(note.VerifiedBy(key), $"the checkpoint of {Server.Endpoint} verifies under the key it publishes");
        return (Checkpoint.Parse(note.Text), key);
    }

    /// <summary>Entries [start, end), page by page; each body's leaf hash checked, indexes contiguous.</summary>
    public async Task<List<(long Index, byte[] LeafHash, byte[] Body)>> EntriesAsync(long start, long end)
    {
        var entries = new List<(long, byte[], byte[])>();
        for (var from = start; from < end; from += Limits.AuditEntriesPageMax)
        {
            var to = Math.Min(end, from + Limits.AuditEntriesPageMax);
            using var json = JsonDocument.Parse(await GetTextAsync($"entries?start={from}&end={to}"));
            foreach (var entry in json.RootElement.GetProperty("entries").EnumerateArray())
            {
                var leafHash = entry.GetProperty("leafHash").GetBytesFromBase64();
                var body = entry.GetProperty("entry").GetBytesFromBase64();
                Assert.Equal(MerkleTree.LeafHash(body), leafHash);
                entries.Add((entry.GetProperty("index").GetInt64(), leafHash, body));
            }
        }

        Assert.Equal(Enumerable.Range(0, (int)(end - start)).Select(i => start + i), entries.Select(entry => entry.Item1));
        return entries;
    }

    /// <summary>The verifier key line this server publishes for the log.</summary>
    public async Task<NoteVerifierKey> VerifierKeyAsync() => NoteVerifierKey.Parse((await GetTextAsync("key")).TrimEnd('\n'));

    public Task<string> GetCheckpointAsync(CancellationToken cancellationToken = default) => GetTextAsync("checkpoint");

    public async Task<LogEntryPage> GetEntriesAsync(long start, long end, CancellationToken cancellationToken = default)
    {
        using var json = JsonDocument.Parse(await GetTextAsync($"entries?start={start}&end={end}"));
        return new LogEntryPage([.. json.RootElement.GetProperty("entries").EnumerateArray().Select(entry => new LogSourceEntry(
            entry.GetProperty("index").GetInt64(),
            entry.GetProperty("leafHash").GetBytesFromBase64(),
            entry.GetProperty("entry").ValueKind == JsonValueKind.Null ? null : entry.GetProperty("entry").GetBytesFromBase64()))]);
    }

    public Task<IReadOnlyList<byte[]>> GetConsistencyProofAsync(long first, long second, CancellationToken cancellationToken = default) =>
        ConsistencyProofAsync(first, second);

    /// <summary>The consistency proof between two tree sizes, as this server serves it.</summary>
    public async Task<IReadOnlyList<byte[]>> ConsistencyProofAsync(long first, long second)
    {
        using var json = JsonDocument.Parse(await GetTextAsync($"proof/consistency?first={first}&second={second}"));
        return [.. json.RootElement.GetProperty("hashes").EnumerateArray().Select(hash => hash.GetBytesFromBase64())];
    }

    async Task<string> GetTextAsync(string pathAndQuery)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, Log + pathAndQuery);
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", _token);
        using var response = await _http.SendAsync(request);
        var text = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == HttpStatusCode.OK, $"GET {Log}{pathAndQuery} on {Server.Endpoint}: {(int)response.StatusCode} {text}");
        return text;
    }

    public void Dispose() => _http.Dispose();
}
