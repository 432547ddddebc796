using System.Globalization;
using System.Text;
using System.Xml.Linq;
using Azure;
using Azure.Storage.Blobs;
using Azure.Storage.Blobs.Models;
using Azure.Storage.Blobs.Specialized;
using Strongroom.Conformance.Tests.Infrastructure;
using Xunit;

namespace Strongroom.Conformance.Tests.RealClients;

/// <summary>
/// A seeded randomised malformed-request test: hundreds of requests across many operations, each a
/// valid request with one or two things broken (bad or huge header values, bad query parameters,
/// truncated or mis-framed bodies, invalid XML, bad names). Every answer must be a legitimate
/// success or a proper Azure error — a 4xx (or 501 for an operation not implemented) with the XML
/// error body whose Code matches x-ms-error-code — never a 5xx, a reset or a hang; a failed write
/// must leave nothing behind; the server must be healthy afterwards. A failure prints the seed
/// (replay with STRONGROOM_MALFORMED_SEED) and each offending request.
/// </summary>
/// <remarks>
/// Requests broken at the HTTP framing level (header block over the server's limit, a header line
/// that is not a header, broken chunking) are refused by the HTTP layer before any Blob code runs,
/// as Azure's front end refuses them: there a plain 400/413/414/431 without a storage error body is
/// accepted. Azure does not document storage error codes for these.
/// </remarks>
public sealed class MalformedRequestTests(ServerFixture fixture) : IClassFixture<ServerFixture>
{
    const int DefaultSeed = 20261130;
    const int CaseCount = 400;
    const string Account = StrongroomProcess.DevAccountName;

    static readonly TimeSpan ResponseTimeout = TimeSpan.FromSeconds(20);

    enum Leaves
    {
        /// <summary>Nothing checked beyond the response.</summary>
        Nothing,

        /// <summary>On failure the blob named by the case must not exist.</summary>
        NoBlob,

        /// <summary>On failure the blob named by the case must have no block, committed or not.</summary>
        NoBlock,

        /// <summary>On failure the container named by the case must not exist.</summary>
        NoContainer,
    }

    sealed record Case(int Index, string Operation, string Mutation, RawRequest Request, Leaves Leaves, string? Target, bool Framing, bool HalfClose);

    [Fact]
    public async Task Seeded_malformed_requests_get_proper_errors_leave_nothing_behind_and_the_server_stays_healthy()
    {
        var seed = int.TryParse(Environment.GetEnvironmentVariable("STRONGROOM_MALFORMED_SEED"), CultureInfo.InvariantCulture, out var given) ? given : DefaultSeed;
        var random = new Random(seed);
        var service = fixture.Service;
        var containerName = TestNames.Container("malformed");
        var container = service.GetBlobContainerClient(containerName);
        await container.CreateAsync();
        var existing = container.GetBlobClient("existing.bin");
        var existingBytes = Payloads.For("malformed-existing", 70_000);
        await existing.UploadAsync(BinaryData.FromBytes(existingBytes));

        var failures = new List<string>();
        var statuses = new SortedDictionary<int, int>();
        for (var index = 0; index < CaseCount; index++)
        {
            var test = Generate(random, index, containerName, fixture.Server.Port);
            var problem = await RunAsync(test, container, service, statuses);
            if (problem is not null)
            {
                failures.Add($"case {index} ({test.Operation}, {test.Mutation}): {problem}\n{test.Request}");
                if (failures.Count >= 10)
                {
                    break;
                }
            }
        }

        // Healthy afterwards: the process runs, the blob the cases surrounded is intact, a round trip works.
        Assert.False(fixture.Server.Process.HasExited, $"seed {seed}: the server exited.\n{fixture.Server.Output}");
        var after = await existing.DownloadContentAsync();
        AzureAssert.BytesEqual(existingBytes, after.Value.Content.ToMemory(), $"seed {seed}: the existing blob after the malformed requests");
        var probe = container.GetBlobClient("health-probe.bin");
        var probeBytes = Payloads.For("malformed-probe", 300_000);
        await probe.UploadAsync(BinaryData.FromBytes(probeBytes));
        AzureAssert.BytesEqual(probeBytes, (await probe.DownloadContentAsync()).Value.Content.ToMemory(), $"seed {seed}: round trip after the malformed requests");

        Assert.True(
            failures.Count == 0,
            $"seed {seed} (replay: STRONGROOM_MALFORMED_SEED={seed}): {failures.Count} improper answer(s)" +
            $"{(failures.Count >= 10 ? " (stopped at 10)" : string.Empty)}:\n\n{string.Join("\n\n", failures)}\n\nstatuses: " +
            string.Join(", ", statuses.Select(s => $"{s.Key}×{s.Value}")) + $"\n\nServer output (tail):\n{Tail(fixture.Server.Output)}");
    }

    [Fact]
    public async Task Hundreds_of_short_metadata_pairs_within_8_KiB_are_accepted_as_Azure_accepts_them()
    {
        // Azure bounds metadata by its bytes (names and values, 8 KiB), not by a count of headers.
        var container = fixture.Service.GetBlobContainerClient(TestNames.Container("manymeta"));
        await container.CreateAsync();
        var blob = container.GetBlobClient("many.bin");
        await blob.UploadAsync(BinaryData.FromString("x"));
        var metadata = Enumerable.Range(0, 400).ToDictionary(i => $"k{i:D3}", i => "v");
        await blob.SetMetadataAsync(metadata);
        var properties = await blob.GetPropertiesAsync();
        Assert.Equal(400, properties.Value.Metadata.Count);
    }

    [Fact]
    public async Task A_chunk_size_that_overflows_is_400_not_500()
    {
        var container = fixture.Service.GetBlobContainerClient(TestNames.Container("chunkoverflow"));
        await container.CreateAsync();
        var request = Request("PUT", $"/{Account}/{container.Name}/b", $"comp=block&blockid={Uri.EscapeDataString(Convert.ToBase64String(new byte[8]))}");
        request.RawChunked = true;
        request.Body = Encoding.ASCII.GetBytes("FFFFFFFFFFFFFFFFFF\r\nx\r\n0\r\n\r\n");
        // The server's own HTTP parser is under test: straight to it (in the nginx mode, nginx
        // refuses such a chunk itself with a bare 400 before any server sees it).
        var response = await RawHttp.SendAsync(fixture.Server.DirectPort, request.Serialize(Account, StrongroomProcess.DevAccountKey), headRequest: false, halfClose: false, ResponseTimeout);
        Assert.True(response.Status == 400 && response.Header("x-ms-error-code") == "InvalidInput", $"{response}");
        var blocks = await container.GetBlockBlobClient("b").GetBlockListAsync(BlockListTypes.All).ContinueWith(t => t.IsFaulted ? null : t.Result.Value, TaskScheduler.Default);
        Assert.True(blocks is null || !blocks.UncommittedBlocks.Any(), "a block was staged from a malformed body");
    }

    async Task<string?> RunAsync(Case test, BlobContainerClient container, BlobServiceClient service, SortedDictionary<int, int> statuses)
    {
        RawHttpResponse? response = null;
        try
        {
            response = await RawHttp.SendAsync(
                fixture.Server.Port,
                test.Request.Serialize(Account, StrongroomProcess.DevAccountKey),
                headRequest: test.Request.Method == "HEAD",
                halfClose: test.HalfClose,
                ResponseTimeout);
        }
        catch (IOException) when (test.HalfClose)
        {
            // The client closed its side before the request was complete: the HTTP layer takes that
            // as the client gone (HTTP/1.1 has no half-close here) and answers no one. What matters
            // then is what it left behind, checked below.
        }
        catch (IOException e)
        {
            return $"no proper response: {e.Message}";
        }
        catch (TimeoutException e)
        {
            return $"hang: {e.Message}";
        }

        var status = response?.Status ?? 0;
        statuses[status] = statuses.GetValueOrDefault(status) + 1;
        if (response is not null && CheckResponse(test, response) is { } problem)
        {
            return $"{problem}\nresponse: {response}";
        }

        if (status is >= 200 and < 300 || test.Target is null)
        {
            return null;
        }

        // A client gone before sending a body the operation does not read (Create Container, Copy
        // Blob...) sent a whole request: its effect is whole too, not half-written.
        if (response is null && !ReadsBody(test.Operation))
        {
            return null;
        }

        var answered = response is null ? "no answer (client gone)" : $"answered {status} {response.Header("x-ms-error-code")}";
        // A failed write leaves nothing behind.
        switch (test.Leaves)
        {
            case Leaves.NoBlob when await container.GetBlobClient(test.Target).ExistsAsync():
                return $"{answered} but the blob '{test.Target}' exists";
            case Leaves.NoBlock:
                try
                {
                    var blocks = await container.GetBlockBlobClient(test.Target).GetBlockListAsync(BlockListTypes.All);
                    if (blocks.Value.CommittedBlocks.Any() || blocks.Value.UncommittedBlocks.Any())
                    {
                        return $"{answered} but '{test.Target}' has a block";
                    }
                }
                catch (RequestFailedException e) when (e.Status == 404)
                {
                }

                break;
            case Leaves.NoContainer when await service.GetBlobContainerClient(test.Target).ExistsAsync():
                return $"{answered} but the container '{test.Target}' exists";
        }

        return null;
    }

    static bool ReadsBody(string operation) => operation is "PutBlob" or "PutBlock" or "PutBlockList" or "SetBlobServiceProperties";

    static string? CheckResponse(Case test, RawHttpResponse response)
    {
        if (response.Status is >= 200 and < 400)
        {
            return null;
        }

        var code = response.Header("x-ms-error-code");
        if (code is null)
        {
            return test.Framing && response.Status is 400 or 413 or 414 or 431
                ? null
                : $"status {response.Status} without x-ms-error-code";
        }

        if (response.Status >= 500 && !(response.Status == 501 && code == "NotImplemented"))
        {
            return $"server error {response.Status} {code}";
        }

        if (response.Status < 400)
        {
            return $"unexpected status {response.Status}";
        }

        if (test.Request.Method == "HEAD")
        {
            return null;
        }

        try
        {
            var root = XDocument.Parse(response.BodyText).Root;
            var bodyCode = root?.Element("Code")?.Value;
            return root?.Name.LocalName == "Error" && bodyCode == code
                ? null
                : $"the XML error body's Code ({bodyCode ?? "none"}) does not match x-ms-error-code {code}";
        }
        catch (System.Xml.XmlException e)
        {
            return $"the error body is not XML ({e.Message})";
        }
    }

    // ---- generation ----

    static Case Generate(Random random, int index, string containerName, int port)
    {
        var fresh = $"case-{index:D4}";
        var operation = random.Next(14);
        RawRequest request;
        string name;
        var leaves = Leaves.Nothing;
        string? target = null;
        switch (operation)
        {
            case 0:
                name = "PutBlob";
                request = Request("PUT", $"/{Account}/{containerName}/{fresh}");
                request.Set("x-ms-blob-type", "BlockBlob");
                request.Set("Content-Type", "application/octet-stream");
                request.Body = Bytes(random, random.Next(0, 5000));
                (leaves, target) = (Leaves.NoBlob, fresh);
                break;
            case 1:
                name = "PutBlock";
                request = Request("PUT", $"/{Account}/{containerName}/{fresh}", $"comp=block&blockid={Uri.EscapeDataString(Convert.ToBase64String(Bytes(random, 16)))}");
                request.Body = Bytes(random, random.Next(1, 5000));
                (leaves, target) = (Leaves.NoBlock, fresh);
                break;
            case 2:
                name = "PutBlockList";
                request = Request("PUT", $"/{Account}/{containerName}/{fresh}", "comp=blocklist");
                request.Set("Content-Type", "application/xml");
                request.Body = Encoding.UTF8.GetBytes("<?xml version=\"1.0\" encoding=\"utf-8\"?><BlockList></BlockList>");
                (leaves, target) = (Leaves.NoBlob, fresh);
                break;
            case 3:
                name = "SetBlobMetadata";
                request = Request("PUT", $"/{Account}/{containerName}/existing.bin", "comp=metadata");
                request.Set("x-ms-meta-stage", "fuzz");
                break;
            case 4:
                name = "SetBlobProperties";
                request = Request("PUT", $"/{Account}/{containerName}/existing.bin", "comp=properties");
                request.Set("x-ms-blob-content-type", "text/plain");
                break;
            case 5:
                name = "GetBlob";
                request = Request("GET", $"/{Account}/{containerName}/existing.bin");
                request.Set("x-ms-range", "bytes=0-99");
                break;
            case 6:
                name = "GetBlobProperties";
                request = Request("HEAD", $"/{Account}/{containerName}/existing.bin");
                break;
            case 7:
                name = "ListBlobs";
                request = Request("GET", $"/{Account}/{containerName}", "restype=container&comp=list&prefix=e&maxresults=10&include=metadata");
                break;
            case 8:
                name = "ListContainers";
                request = Request("GET", $"/{Account}/", "comp=list&maxresults=5");
                break;
            case 9:
                name = "CreateContainer";
                request = Request("PUT", $"/{Account}/{containerName}-{index:D4}", "restype=container");
                request.Set("x-ms-meta-owner", "fuzz");
                (leaves, target) = (Leaves.NoContainer, $"{containerName}-{index:D4}");
                break;
            case 10:
                name = "SetContainerMetadata";
                request = Request("PUT", $"/{Account}/{containerName}", "restype=container&comp=metadata");
                request.Set("x-ms-meta-round", index.ToString(CultureInfo.InvariantCulture));
                break;
            case 11:
                name = "SetBlobServiceProperties";
                request = Request("PUT", $"/{Account}/", "restype=service&comp=properties");
                request.Set("Content-Type", "application/xml");
                request.Body = Encoding.UTF8.GetBytes(
                    "<?xml version=\"1.0\" encoding=\"utf-8\"?><StorageServiceProperties><DeleteRetentionPolicy><Enabled>false</Enabled></DeleteRetentionPolicy></StorageServiceProperties>");
                break;
            case 12:
                name = "GetBlockList";
                request = Request("GET", $"/{Account}/{containerName}/existing.bin", "comp=blocklist&blocklisttype=all");
                break;
            default:
                name = "CopyBlob";
                request = Request("PUT", $"/{Account}/{containerName}/{fresh}");
                request.Set("x-ms-copy-source", $"http://127.0.0.1:{port}/{Account}/{containerName}/existing.bin");
                (leaves, target) = (Leaves.NoBlob, fresh);
                break;
        }

        var framing = false;
        var halfClose = false;
        var mutations = new List<string>();
        var count = random.Next(10) == 0 ? 2 : 1;
        for (var i = 0; i < count; i++)
        {
            mutations.Add(Mutate(random, request, ref framing, ref halfClose));
        }

        return new Case(index, name, string.Join(" + ", mutations), request, leaves, target, framing, halfClose);
    }

    static RawRequest Request(string method, string path, string query = "")
    {
        var request = new RawRequest { Method = method, Path = path, Query = query };
        request.Set("x-ms-date", DateTime.UtcNow.ToString("r", CultureInfo.InvariantCulture));
        request.Set("x-ms-version", RawClient.SdkServiceVersion);
        return request;
    }

    static byte[] Bytes(Random random, int length)
    {
        var bytes = new byte[length];
        random.NextBytes(bytes);
        return bytes;
    }

    static string Pick(Random random, params string[] values) => values[random.Next(values.Length)];

    static string Junk(Random random, int length)
    {
        const string alphabet = "abcXYZ019 -_.~!$&'()*+,;=:@%/?#[]\"<>\\^`{|}";
        var text = new char[length];
        for (var i = 0; i < length; i++)
        {
            text[i] = alphabet[random.Next(alphabet.Length)];
        }

        return new string(text).Trim();
    }

    static string Mutate(Random random, RawRequest request, ref bool framing, ref bool halfClose)
    {
        switch (random.Next(22))
        {
            case 0:
                {
                    var header = Pick(random, "x-ms-range", "Range", "If-Match", "If-None-Match", "If-Modified-Since", "If-Unmodified-Since",
                        "x-ms-blob-type", "x-ms-blob-content-length", "x-ms-lease-id", "x-ms-delete-snapshots", "x-ms-copy-source",
                        "x-ms-encryption-scope", "x-ms-access-tier", "x-ms-blob-content-md5", "x-ms-content-crc64", "Content-MD5",
                        "x-ms-range-get-content-md5", "x-ms-requires-sync", "x-ms-blob-public-access", "x-ms-tags", "x-ms-if-tags",
                        "x-ms-encryption-algorithm", "x-ms-structured-body", "x-ms-blob-sequence-number", "x-ms-lease-action");
                    var value = Pick(random, Junk(random, random.Next(1, 40)), "-1", "bytes=9-2", "bytes=abc", "0x", "\"", "*", "AES128",
                        "99999999999999999999999", "true false", "bytes=0-", "Mon, 32 Foo 2026 99:99:99 GMT", "==", "Hot", "XSM/9.9");
                    request.Set(header, value);
                    return $"{header}: bad value";
                }

            case 1:
                {
                    var header = Pick(random, "x-ms-version", "x-ms-date");
                    request.Set(header, Pick(random, "garbage", "2099-13-45", "", "1900-01-01", "Tue, 01 Jan 1980 00:00:00 GMT", Junk(random, 30)));
                    return $"{header}: bad value";
                }

            case 2:
                request.Set("Authorization", Pick(random, "SharedKey", "SharedKey devstoreaccount1", "SharedKey devstoreaccount1:!!!",
                    "SharedKey other:" + Convert.ToBase64String(new byte[32]), "Bearer " + Junk(random, 50), "Basic Zm9vOmJhcg==", "SharedKeyLite :", Junk(random, 20)));
                return "bad Authorization";
            case 3:
                request.Unsigned = true;
                return "anonymous";
            case 4:
                {
                    // Metadata: bad names (C# identifier rule), empty, huge values, too many bytes in total.
                    switch (random.Next(4))
                    {
                        case 0:
                            request.Set("x-ms-meta-" + Pick(random, "1starts-with-digit", "has-dash", "has.dot", "x"), "v");
                            return "invalid metadata name";
                        case 1:
                            request.Set("x-ms-meta-big", new string('v', 9000));
                            return "metadata over 8 KiB";
                        case 2:
                            for (var i = 0; i < 300; i++)
                            {
                                request.Set($"x-ms-meta-key{i}", new string('m', 40));
                            }

                            return "300 metadata entries";
                        default:
                            request.Set("x-ms-meta-empty", string.Empty);
                            return "empty metadata value";
                    }
                }

            case 5:
                // A header block over the server's limit (64 KiB).
                request.Set("x-ms-client-request-id", new string('r', 70_000));
                framing = true;
                return "header over the header-size limit";
            case 6:
                request.Set("x-ms-client-request-id", new string('q', 20_000));
                return "20 KB header value";
            case 7:
                {
                    var parameter = Pick(random, "comp", "restype", "maxresults", "blockid", "include", "timeout", "snapshot", "versionid",
                        "marker", "blocklisttype", "prefix", "delimiter", "deletetype", "showonly", "where", "rscc");
                    var value = Pick(random, Uri.EscapeDataString(Junk(random, random.Next(0, 30))), "-5", "0", "99999999999999999999", "abc",
                        "%zz", "%", "%00", "metadata,bogus", new string('x', 3000), string.Empty);
                    request.Query = request.Query.Length == 0 ? $"{parameter}={value}" : $"{request.Query}&{parameter}={value}";
                    return $"query {parameter}: bad value";
                }

            case 8:
                {
                    // Replace an existing parameter's value.
                    var pairs = request.Query.Split('&', StringSplitOptions.RemoveEmptyEntries).ToList();
                    if (pairs.Count == 0)
                    {
                        request.Query = "comp=" + Pick(random, "bogus", "LIST", "block", "blocklist", "lease", "page", "appendblock", "tags", "batch");
                        return "query comp added";
                    }

                    var at = random.Next(pairs.Count);
                    var key = pairs[at].Split('=')[0];
                    pairs[at] = $"{key}={Pick(random, "bogus", string.Empty, "%ZZ", "-1", Uri.EscapeDataString(Junk(random, 12)))}";
                    request.Query = string.Join('&', pairs);
                    return $"query {key}: replaced";
                }

            case 9:
                // Duplicated query parameter.
                request.Query = request.Query.Length == 0 ? "comp=list&comp=list" : $"{request.Query}&{request.Query.Split('&')[0]}";
                return "duplicated query parameter";
            case 10:
                {
                    // Truncated body: Content-Length promises more than is sent, then the write side closes.
                    if (request.Body.Length == 0)
                    {
                        request.Body = Bytes(random, 100);
                    }

                    request.SentBodyBytes = random.Next(0, request.Body.Length);
                    halfClose = true;
                    return "truncated body";
                }

            case 11:
                request.Body = request.Body.Length == 0 ? Bytes(random, 200) : request.Body;
                request.DeclaredLength = request.Body.Length - random.Next(1, Math.Max(2, request.Body.Length));
                if (request.DeclaredLength < 0)
                {
                    request.DeclaredLength = 0;
                }

                // The bytes past the declared length arrive as the next "request" on the connection.
                framing = true;
                return "body longer than Content-Length";
            case 12:
                request.Body = Encoding.UTF8.GetBytes(Pick(random,
                    "<BlockList><Latest>",
                    "<?xml version=\"1.0\"?><!DOCTYPE x [<!ENTITY a \"aaaa\">]><BlockList><Latest>&a;</Latest></BlockList>",
                    "<BlockList><Latest>not base64!</Latest></BlockList>",
                    "<BlockList><Unknown>AAAA</Unknown></BlockList>",
                    "<StorageServiceProperties><Cors><CorsRule><MaxAgeInSeconds>-1</MaxAgeInSeconds></CorsRule></Cors></StorageServiceProperties>",
                    "<StorageServiceProperties><DeleteRetentionPolicy><Enabled>maybe</Enabled></DeleteRetentionPolicy></StorageServiceProperties>",
                    "<StorageServiceProperties><DeleteRetentionPolicy><Enabled>true</Enabled><Days>99999</Days></DeleteRetentionPolicy></StorageServiceProperties>",
                    "<Wrong/>",
                    "\u00ef\u00bb\u00bf<<<>>>",
                    string.Concat(Enumerable.Repeat("<a>", 5000)) + string.Concat(Enumerable.Repeat("</a>", 5000)),
                    "<BlockList>" + string.Concat(Enumerable.Repeat("<Latest>AAAA</Latest>", 60_000)) + "</BlockList>",
                    string.Empty));
                request.Set("Content-Type", "application/xml");
                return "invalid XML body";
            case 13:
                request.Body = Bytes(random, random.Next(1, 3000));
                return "random bytes as body";
            case 14:
                {
                    // Bad names in the path.
                    var segments = request.Path.Split('/');
                    var bad = Pick(random, "UPPER", "a", "double--dash", "-lead", new string('c', 64), "%2F", "sp%20ace", "%00", "..", "dot.");
                    if (segments.Length >= 3)
                    {
                        segments[2] = bad;
                    }

                    // The HTTP layer refuses a path that decodes to a NUL before any Blob code runs.
                    framing |= bad == "%00";

                    request.Path = string.Join('/', segments);
                    return $"container name {bad}";
                }

            case 15:
                request.Path = request.Path.TrimEnd('/') + "/" + new string('n', Limits1025());
                return "blob name of 1025 characters";
            case 16:
                request.Set("Content-MD5", Convert.ToBase64String(new byte[16]));
                return "wrong Content-MD5";
            case 17:
                // Broken chunked framing: invalid sizes, or a body that ends inside a chunk (then the client closes).
                request.RawChunked = true;
                framing = true;
                if (random.Next(2) == 0)
                {
                    request.Body = Encoding.ASCII.GetBytes(Pick(random, "zz\r\nabc\r\n0\r\n\r\n", "5\r\nab\r\n0\r\n\r\n", "FFFFFFFFFFFFFFFFFF\r\nx\r\n", "-1\r\n\r\n"));
                    return "invalid chunked body";
                }

                request.Body = Encoding.ASCII.GetBytes(Pick(random, "3\r\nabc", "10\r\nabc", "3\r\nabc\r\n"));
                halfClose = true;
                return "chunked body cut short";
            case 18:
                request.Set("Content-Length", Pick(random, "-1", "abc", "99999999999999999999", "1, 2"));
                framing = true;
                return "invalid Content-Length";
            case 19:
                // A header line that is not a header.
                request.Headers.Add(new(Pick(random, "bad header", "x-ms-\u0001", "(x)"), "v"));
                framing = true;
                return "invalid header name";
            case 20:
                request.Set("x-ms-version", "2026-10-06");
                request.Set("x-ms-date", DateTime.UtcNow.AddHours(Pick(random, "-2", "2") == "-2" ? -2 : 2).ToString("r", CultureInfo.InvariantCulture));
                return "date outside the allowed skew";
            default:
                request.Set(Pick(random, "x-ms-blob-condition-maxsize", "x-ms-blob-condition-appendpos", "x-ms-if-sequence-number-le",
                    "x-ms-source-if-match", "x-ms-source-range", "x-ms-proposed-lease-id", "x-ms-lease-duration", "x-ms-lease-break-period"),
                    Pick(random, "-1", "abc", "99999999999999999999", string.Empty, "bytes=1-0"));
                return "header of another operation with a bad value";
        }
    }

    static int Limits1025() => Strongroom.Core.Limits.BlobNameLengthMax + 1;

    static string Tail(string text) => text.Length <= 4000 ? text : "…" + text[^4000..];
}
