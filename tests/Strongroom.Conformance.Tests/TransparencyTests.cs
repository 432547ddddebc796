using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using Azure.Storage.Blobs;
using Strongroom.Audit;
using Strongroom.Conformance.Tests.Infrastructure;
using Strongroom.Core;
using Strongroom.Server;
using Xunit;

namespace Strongroom.Conformance.Tests;

/// <summary>
/// The tenant's transparency log end to end: a production server over HTTPS, an account written to
/// with the Azure SDK, a bearer token from the token endpoint with the account key, and the log's
/// checkpoint, key, entries, proofs and tiles checked the way a tenant's verifier would, with the
/// signed-note and Merkle code the CLI uses. Then segregation, refusals, the seal, and the
/// platform log's own record of the server's life.
/// </summary>
public sealed class TransparencyTests
{
    private const string Log = ".strongroom/log/";

    [Fact]
    public async Task A_tenant_verifies_its_log_and_sees_only_its_own()
    {
        await using var server = await StrongroomProcess.StartProductionAsync("transparency", shares: 3, threshold: 2);
        var (alphaKey, _) = await server.CreateAccountAsync("alpha");
        var (betaKey, _) = await server.CreateAccountAsync("beta");
        using var http = server.CreateHttpClient();

        // Writes and a delete with the real SDK.
        var container = server.ServiceClient("alpha", alphaKey).GetBlobContainerClient("audited");
        await container.CreateAsync();
        await container.GetBlobClient("kept.txt").UploadAsync(BinaryData.FromString("kept"));
        await container.GetBlobClient("deleted.txt").UploadAsync(BinaryData.FromString("deleted"));
        await container.GetBlobClient("deleted.txt").DeleteAsync();
        var betaContainer = server.ServiceClient("beta", betaKey).GetBlobContainerClient("betas");
        await betaContainer.CreateAsync();

        var alpha = await TokenAsync(http, "alpha", alphaKey);
        var beta = await TokenAsync(http, "beta", betaKey);

        // The signed checkpoint verifies against the published key, whose name is the origin.
        var first = await CheckpointAsync(http, alpha);
        Assert.Matches("^strongroom/[0-9a-f]+/alpha$", first.Checkpoint.Origin);
        Assert.Equal(first.Key.Name, first.Checkpoint.Origin);

        // Every entry hashes into the signed root; the data-plane operations are there.
        var entries = await EntriesAsync(http, alpha, 0, first.Checkpoint.Size);
        Assert.Equal(first.Checkpoint.Size, entries.Count);
        Assert.Equal(first.Checkpoint.RootHash, MerkleTree.RootFromLeafHashes(entries.Select(entry => entry.LeafHash)));
        var decoded = entries.Select(entry => AuditEntry.Decode(entry.Body!)).ToList();
        Assert.Contains(decoded, entry => entry.Action == nameof(BlobOperation.CreateContainer) && entry.Resource == "/alpha/audited");
        Assert.Contains(decoded, entry => entry.Action == nameof(BlobOperation.PutBlob) && entry.Resource == "/alpha/audited/kept.txt" && entry.Actor.Kind == ActorKind.SharedKey);
        Assert.Contains(decoded, entry => entry.Action == nameof(BlobOperation.DeleteBlob) && entry.Resource == "/alpha/audited/deleted.txt" && entry.Outcome == AuditOutcomes.Success);
        Assert.DoesNotContain(decoded, entry => entry.Resource.StartsWith("/beta", StringComparison.Ordinal));

        // Inclusion of every entry in the signed tree.
        for (var index = 0L; index < first.Checkpoint.Size; index++)
        {
            var proof = await ProofAsync(http, alpha, $"proof/inclusion?index={index}&size={first.Checkpoint.Size}");
            Assert.True(MerkleTree.VerifyInclusion(index, first.Checkpoint.Size, entries[(int)index].LeafHash, proof, first.Checkpoint.RootHash), $"inclusion of {index}");
        }

        // The log grows; the new signed tree is consistent with the old one.
        await container.GetBlobClient("later.txt").UploadAsync(BinaryData.FromString("later"));
        var second = await CheckpointAsync(http, alpha);
        Assert.True(second.Checkpoint.Size > first.Checkpoint.Size);
        var consistency = await ProofAsync(http, alpha, $"proof/consistency?first={first.Checkpoint.Size}&second={second.Checkpoint.Size}");
        Assert.True(MerkleTree.VerifyConsistency(first.Checkpoint.Size, second.Checkpoint.Size, first.Checkpoint.RootHash, second.Checkpoint.RootHash, consistency));

        // Tiles: the right-edge partial level-0 tile is the leaf hashes; the bundle frames the bodies.
        var size = second.Checkpoint.Size;
        Assert.True(size < 256, "the test writes fewer than a full tile");
        var all = await EntriesAsync(http, alpha, 0, size);
        var tile = await GetBytesAsync(http, alpha, $"tile/0/000.p/{size}");
        Assert.Equal(all.SelectMany(entry => entry.LeafHash).ToArray(), tile);
        var bundle = await GetBytesAsync(http, alpha, $"tile/entries/000.p/{size}");
        Assert.Equal(TlogTiles.EntryBundle([.. all.Select(entry => entry.Body!)]), bundle);
        using (var full = await SendAsync(http, alpha, "tile/0/000"))
        {
            Assert.Equal(HttpStatusCode.NotFound, full.StatusCode);
        }

        // Segregation: the other tenant's token serves the other tenant's log, nothing of alpha's.
        var betaCheckpoint = await CheckpointAsync(http, beta);
        Assert.EndsWith("/beta", betaCheckpoint.Checkpoint.Origin, StringComparison.Ordinal);
        Assert.NotEqual(first.Key.ToString(), betaCheckpoint.Key.ToString());
        Assert.False(second.Note.VerifiedBy(betaCheckpoint.Key), "alpha's checkpoint must not verify under beta's key name");
        var betaEntries = await EntriesAsync(http, beta, 0, betaCheckpoint.Checkpoint.Size);
        Assert.All(betaEntries, entry => Assert.DoesNotContain("/alpha", AuditEntry.Decode(entry.Body!).Resource, StringComparison.Ordinal));
        using (var beyond = await SendAsync(http, beta, $"entries?start=0&end={betaCheckpoint.Checkpoint.Size + 1}"))
        {
            Assert.Equal(HttpStatusCode.BadRequest, beyond.StatusCode);
            Assert.Equal("InvalidAuditRange", await ErrorCodeAsync(beyond));
        }

        // A Key Vault token of another deployment's account with the same name is not accepted here.
        await using (var other = await StrongroomProcess.StartProductionAsync("transparency-other", shares: 1, threshold: 1))
        {
            var (otherKey, _) = await other.CreateAccountAsync("alpha");
            using var otherHttp = other.CreateHttpClient();
            var foreign = await TokenAsync(otherHttp, "alpha", otherKey);
            using var refused = await SendAsync(http, foreign, "checkpoint");
            Assert.Equal(HttpStatusCode.Unauthorized, refused.StatusCode);
        }
    }

    [Fact]
    public async Task Parallel_requests_append_to_one_consistent_tree()
    {
        await using var server = await StrongroomProcess.StartProductionAsync("transparency-parallel", shares: 1, threshold: 1);
        var (key, _) = await server.CreateAccountAsync("busy");
        var settings = await server.RunCliAsync("audit", "settings", "--account", "busy", "--data-plane", "all");
        Assert.True(settings.ExitCode == 0, settings.ToString());
        using var http = server.CreateHttpClient();
        var container = server.ServiceClient("busy", key).GetBlobContainerClient("parallel");
        await container.CreateAsync();
        var before = (await CheckpointAsync(http, await TokenAsync(http, "busy", key))).Checkpoint;

        // 32 uploads and 32 downloads in flight at once share group commits; each must get its
        // own entry at its own index, and the tree over all of them must be the signed one.
        const int Writers = 32;
        await Task.WhenAll(Enumerable.Range(0, Writers).Select(i =>
            container.GetBlobClient($"blob-{i:D2}").UploadAsync(BinaryData.FromString($"content {i}"))));
        await Task.WhenAll(Enumerable.Range(0, Writers).Select(async i =>
            Assert.Equal($"content {i}", (await container.GetBlobClient($"blob-{i:D2}").DownloadContentAsync()).Value.Content.ToString())));

        var token = await TokenAsync(http, "busy", key);
        var after = await CheckpointAsync(http, token);
        var entries = await EntriesAsync(http, token, 0, after.Checkpoint.Size);
        Assert.Equal(Enumerable.Range(0, (int)after.Checkpoint.Size).Select(i => (long)i), entries.Select(entry => entry.Index));
        Assert.All(entries, entry => Assert.Equal(MerkleTree.LeafHash(entry.Body!), entry.LeafHash));
        Assert.Equal(after.Checkpoint.RootHash, MerkleTree.RootFromLeafHashes(entries.Select(entry => entry.LeafHash)));
        var consistency = await ProofAsync(http, token, $"proof/consistency?first={before.Size}&second={after.Checkpoint.Size}");
        Assert.True(MerkleTree.VerifyConsistency(before.Size, after.Checkpoint.Size, before.RootHash, after.Checkpoint.RootHash, consistency));

        var decoded = entries.Skip((int)before.Size).Select(entry => AuditEntry.Decode(entry.Body!)).ToList();
        for (var i = 0; i < Writers; i++)
        {
            var resource = $"/busy/parallel/blob-{i:D2}";
            Assert.Single(decoded, entry => entry.Action == nameof(BlobOperation.PutBlob) && entry.Resource == resource);
            Assert.Single(decoded, entry => entry.Action == nameof(BlobOperation.GetBlob) && entry.Resource == resource);
        }

        // One entry per request: every data-plane entry carries its own request id.
        var requestIds = decoded.Where(entry => entry.Action is nameof(BlobOperation.PutBlob) or nameof(BlobOperation.GetBlob)).Select(entry => entry.RequestId).ToList();
        Assert.All(requestIds, id => Assert.False(string.IsNullOrEmpty(id)));
        Assert.Equal(requestIds.Count, requestIds.Distinct().Count());
    }

    [Fact]
    public async Task Refusals_errors_and_the_seal()
    {
        await using var server = await StrongroomProcess.StartProductionAsync("transparency-refusals", shares: 3, threshold: 2);
        var (key, _) = await server.CreateAccountAsync("gamma");
        using var http = server.CreateHttpClient();
        var token = await TokenAsync(http, "gamma", key);

        // No token, a bad token: 401 with the bearer challenge.
        foreach (var presented in new string?[] { null, "not-a-token" })
        {
            using var response = await SendAsync(http, presented, "checkpoint");
            Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
            Assert.Contains(response.Headers.WwwAuthenticate, challenge => challenge.Scheme == "Bearer");
            Assert.Equal("Unauthorized", await ErrorCodeAsync(response));
        }

        // The account key itself is not a bearer token.
        using (var keyAsToken = await SendAsync(http, key, "checkpoint"))
        {
            Assert.Equal(HttpStatusCode.Unauthorized, keyAsToken.StatusCode);
        }

        // Read-only, strict parameters, unknown paths.
        using (var post = new HttpRequestMessage(HttpMethod.Post, Log + "checkpoint"))
        {
            post.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
            using var response = await http.SendAsync(post);
            Assert.Equal(HttpStatusCode.MethodNotAllowed, response.StatusCode);
        }

        foreach (var query in new[] { "entries?start=01&end=1", "entries?start=0", "entries?start=0&end=1001", "proof/inclusion?index=0&size=0", "proof/consistency?first=2&second=1" })
        {
            using var response = await SendAsync(http, token, query);
            Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
            Assert.Equal("InvalidAuditRange", await ErrorCodeAsync(response));
        }

        using (var unknown = await SendAsync(http, token, "nothing-here"))
        {
            Assert.Equal(HttpStatusCode.NotFound, unknown.StatusCode);
            Assert.Equal("NotFound", await ErrorCodeAsync(unknown));
        }

        // The checkpoint is never cached.
        using (var checkpoint = await SendAsync(http, token, "checkpoint"))
        {
            Assert.Equal(HttpStatusCode.OK, checkpoint.StatusCode);
            Assert.True(checkpoint.Headers.CacheControl?.NoStore);
            Assert.Equal("text/plain", checkpoint.Content.Headers.ContentType?.MediaType);
        }

        // The rest seals one process and unseals it over the data plane, and counts one process's
        // starts, seals and unseals in the platform log.
        if (!TestModes.OneServerOnly("the seal is per process: behind nginx the sealed server's neighbour answers, and the unseal shares sent through the balancer reach either server"))
        {
            return;
        }

        // Sealed: 503 VaultSealed, token or not; unsealed again: served.
        var sealResult = await server.RunCliAsync("seal");
        Assert.True(sealResult.ExitCode == 0, sealResult.ToString());
        foreach (var presented in new[] { token, null })
        {
            using var response = await SendAsync(http, presented, "checkpoint");
            Assert.Equal(HttpStatusCode.ServiceUnavailable, response.StatusCode);
            Assert.Equal("VaultSealed", await ErrorCodeAsync(response));
        }

        // Unsealed again over HTTPS by anonymous custodians (the share is the credential).
        foreach (var share in server.Shares.Take(2))
        {
            using var unseal = await http.PutAsync(".strongroom/sys/unseal", new StringContent(JsonSerializer.Serialize(new { key = share }), Encoding.UTF8, "application/json"));
            Assert.Equal(HttpStatusCode.OK, unseal.StatusCode);
        }

        using (var again = await SendAsync(http, token, "checkpoint"))
        {
            Assert.Equal(HttpStatusCode.OK, again.StatusCode);
        }

        // The platform log records the server's life: read from the store once the server stopped.
        await server.StopGracefullyAsync();
        var platform = await ReadPlatformLogAsync(server.DataDirectory, server.MetadataConnectionString);
        var actions = platform.Select(entry => entry.Action).ToList();
        Assert.Equal(AuditActions.InitializeVault, actions[0]);
        Assert.Contains(AuditActions.StartServer, actions);
        Assert.Contains(AuditActions.Seal, actions);
        Assert.Equal(AuditActions.StopServer, actions[^1]);
        var unseals = platform.Where(entry => entry.Action == AuditActions.Unseal).ToList();
        Assert.Equal(2, unseals.Count);
        Assert.Equal(new Actor(ActorKind.Host, Environment.UserName), unseals[0].Actor);
        Assert.Equal(PlatformEndpoints.UnsealActor, unseals[1].Actor);
        Assert.Equal("127.0.0.1", unseals[1].ClientAddress);
        Assert.NotNull(unseals[1].RequestId);
        var seal = platform.Single(entry => entry.Action == AuditActions.Seal);
        Assert.Equal(new Actor(ActorKind.Host, Environment.UserName), seal.Actor);
        Assert.Equal(ActorKind.Host, platform[0].Actor.Kind);
        var start = platform.First(entry => entry.Action == AuditActions.StartServer);
        Assert.Equal(ActorKind.System, start.Actor.Kind);
        Assert.Contains(new KeyValuePair<string, string>("https", "true"), start.Details);
        Assert.Contains(new KeyValuePair<string, string>("development", "false"), start.Details);
        Assert.True(actions.IndexOf(AuditActions.Seal) < actions.LastIndexOf(AuditActions.Unseal), "sealed, then unsealed again");

        // No share, key or token in any entry.
        var text = string.Join('\n', platform.Select(entry => Encoding.UTF8.GetString(entry.Encode())));
        Assert.DoesNotContain("srs1-", text, StringComparison.Ordinal);
        Assert.DoesNotContain(token, text, StringComparison.Ordinal);
        Assert.DoesNotContain(key, text, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Plain_http_is_refused_and_the_log_path_never_reaches_the_blob_api()
    {
        await using var server = await StrongroomProcess.StartNewAsync("transparency-http");
        using var http = server.CreateHttpClient();
        using var request = new HttpRequestMessage(HttpMethod.Get, Log + "checkpoint");
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", "whatever");
        using var response = await http.SendAsync(request);
        Assert.Equal(HttpStatusCode.Forbidden, response.StatusCode);
        Assert.Equal("HttpsRequired", await ErrorCodeAsync(response));

        // Even the prefix alone is the log's (JSON), not a Blob account named ".strongroom" (XML).
        using var bare = await http.GetAsync(".strongroom/log");
        Assert.Equal("application/json", bare.Content.Headers.ContentType?.MediaType);
    }

    private static async Task<List<AuditEntry>> ReadPlatformLogAsync(string dataDirectory, string? metadataConnectionString)
    {
        await using var deployment = await Deployment.OpenAsync(DataDirectory.Resolve(dataDirectory, dev: false, metadataConnectionString), TimeProvider.System, SystemRandomSource.Instance);
        var head = await deployment.Audit.GetTreeHeadAsync(AuditLogs.Platform);
        var entries = new List<AuditEntry>();
        for (var start = 0L; start < head.Size; start += Limits.AuditEntriesPageMax)
        {
            var page = await deployment.Audit.ReadEntriesAsync(AuditLogs.Platform, start, Math.Min(head.Size, start + Limits.AuditEntriesPageMax));
            entries.AddRange(page.Select(entry => AuditEntry.Decode(entry.Body!)));
        }

        return entries;
    }

    private static async Task<string> TokenAsync(HttpClient http, string account, string key)
    {
        using var response = await http.PostAsync(".strongroom/oauth2/token", new FormUrlEncodedContent(new Dictionary<string, string>
        {
            ["grant_type"] = "client_credentials",
            ["client_id"] = account,
            ["client_secret"] = key,
        }));
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        using var json = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        var token = json.RootElement.GetProperty("access_token").GetString()!;
        TestLogs.RecordSecret("bearer token", token);
        return token;
    }

    private static async Task<HttpResponseMessage> SendAsync(HttpClient http, string? token, string pathAndQuery)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, Log + pathAndQuery);
        if (token is not null)
        {
            request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
        }

        return await http.SendAsync(request);
    }

    private static async Task<string> ErrorCodeAsync(HttpResponseMessage response)
    {
        Assert.Equal("application/json", response.Content.Headers.ContentType?.MediaType);
        using var json = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        return json.RootElement.GetProperty("error").GetProperty("code").GetString()!;
    }

    private static async Task<(SignedNote Note, Checkpoint Checkpoint, NoteVerifierKey Key)> CheckpointAsync(HttpClient http, string token)
    {
        using var response = await SendAsync(http, token, "checkpoint");
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("text/plain", response.Content.Headers.ContentType?.MediaType);
        var note = SignedNote.Parse(await response.Content.ReadAsStringAsync());
        using var keyResponse = await SendAsync(http, token, "key");
        Assert.Equal(HttpStatusCode.OK, keyResponse.StatusCode);
        var keyText = await keyResponse.Content.ReadAsStringAsync();
        Assert.EndsWith("\n", keyText, StringComparison.Ordinal);
        var key = NoteVerifierKey.Parse(keyText.TrimEnd('\n'));
        Assert.True(note.VerifiedBy(key), "the checkpoint's signature verifies under the published key");
        return (note, Checkpoint.Parse(note.Text), key);
    }

    private static async Task<List<(long Index, byte[] LeafHash, byte[]? Body)>> EntriesAsync(HttpClient http, string token, long start, long end)
    {
        using var response = await SendAsync(http, token, $"entries?start={start}&end={end}");
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        using var json = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        var entries = new List<(long, byte[], byte[]?)>();
        foreach (var entry in json.RootElement.GetProperty("entries").EnumerateArray())
        {
            var leafHash = entry.GetProperty("leafHash").GetBytesFromBase64();
            var body = entry.GetProperty("entry").ValueKind == JsonValueKind.Null ? null : entry.GetProperty("entry").GetBytesFromBase64();
            if (body is not null)
            {
                Assert.Equal(MerkleTree.LeafHash(body), leafHash);
            }

            entries.Add((entry.GetProperty("index").GetInt64(), leafHash, body));
        }

        Assert.Equal(Enumerable.Range((int)start, (int)(end - start)).Select(i => (long)i), entries.Select(entry => entry.Item1));
        return entries;
    }

    private static async Task<IReadOnlyList<byte[]>> ProofAsync(HttpClient http, string token, string pathAndQuery)
    {
        using var response = await SendAsync(http, token, pathAndQuery);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        using var json = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        return [.. json.RootElement.GetProperty("hashes").EnumerateArray().Select(hash => hash.GetBytesFromBase64())];
    }

    private static async Task<byte[]> GetBytesAsync(HttpClient http, string token, string path)
    {
        using var response = await SendAsync(http, token, path);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("application/octet-stream", response.Content.Headers.ContentType?.MediaType);
        return await response.Content.ReadAsByteArrayAsync();
    }
}
