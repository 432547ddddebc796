using System.Text;
using Strongroom.Core;
using Strongroom.Protocol.Blob;
using Xunit;

namespace Strongroom.Protocol.Tests;

/// <summary>The Blob Batch body parser (issue 8): what it accepts, what refuses the whole batch, and that no input throws.</summary>
public sealed class BatchParserTests
{
    const string Boundary = "batch_0d1f7c11-8b6a-4d4f-9f2b-6b3f0c2d9e71";

    static readonly BatchScope AccountScope = new("acct", null, "2026-10-06");

    static string Part(string contentId, string requestLine, params string[] headers)
    {
        var text = new StringBuilder();
        text.Append("Content-Type: application/http\r\nContent-Transfer-Encoding: binary\r\n");
        text.Append("Content-ID: ").Append(contentId).Append("\r\n\r\n");
        text.Append(requestLine).Append("\r\n");
        foreach (var header in headers)
        {
            text.Append(header).Append("\r\n");
        }

        text.Append("\r\n");
        return text.ToString();
    }

    static string Body(params string[] parts)
    {
        var text = new StringBuilder();
        foreach (var part in parts)
        {
            text.Append("--").Append(Boundary).Append("\r\n").Append(part);
        }

        return text.Append("--").Append(Boundary).Append("--\r\n").ToString();
    }

    [Fact]
    public void Parses_sub_requests_with_their_content_ids_request_lines_and_headers()
    {
        var body = Body(
            Part("0", "DELETE /acct/c/a HTTP/1.1", "x-ms-date: Mon, 30 Nov 2026 10:00:00 GMT", "Authorization: SharedKey acct:sig", "Content-Length: 0"),
            Part("1", "DELETE /acct/c/b?snapshot=2026-11-30T10:00:00.0000000Z HTTP/1.1", "x-ms-delete-snapshots: include"));
        var parsed = BatchRequestParser.Parse("preamble\r\n" + body, Boundary, AccountScope);

        Assert.Null(parsed.Error);
        Assert.Equal(2, parsed.SubRequests.Count);
        Assert.Equal("0", parsed.SubRequests[0].ContentId);
        Assert.Equal("DELETE", parsed.SubRequests[0].Method);
        Assert.Equal("/acct/c/a", parsed.SubRequests[0].RawTarget);
        Assert.Equal(new KeyValuePair<string, string>("Authorization", "SharedKey acct:sig"), parsed.SubRequests[0].Headers[1]);
        Assert.Equal("/acct/c/b?snapshot=2026-11-30T10:00:00.0000000Z", parsed.SubRequests[1].RawTarget);
    }

    [Fact]
    public void Trailing_whitespace_and_a_missing_content_id_are_accepted_as_in_Azures_sample()
    {
        var body = $"--{Boundary} \r\nContent-Type: application/http \r\nContent-Transfer-Encoding: binary \r\n\r\nPUT /acct/c/a?comp=tier HTTP/1.1 \r\nx-ms-access-tier: Cool \r\n\r\n--{Boundary}--";
        var parsed = BatchRequestParser.Parse(body, Boundary, AccountScope);
        Assert.Null(parsed.Error);
        Assert.Null(Assert.Single(parsed.SubRequests).ContentId);
    }

    [Theory]
    [InlineData("InvalidInput", "")]
    [InlineData("InvalidInput", "--other\r\n\r\n--other--")]
    [InlineData("InvalidInput", "--" + Boundary + "--\r\n")]
    [InlineData("InvalidInput", "--" + Boundary + "\r\nContent-Type: application/http\r\n\r\nDELETE /acct/c/a HTTP/1.1\r\n")]
    [InlineData("InvalidInput", "--" + Boundary + "\r\nContent-Type: application/json\r\n\r\nDELETE /acct/c/a HTTP/1.1\r\n\r\n--" + Boundary + "--")]
    [InlineData("InvalidInput", "--" + Boundary + "\r\nContent-Type: application/http\r\nContent-Transfer-Encoding: base64\r\n\r\nDELETE /acct/c/a HTTP/1.1\r\n\r\n--" + Boundary + "--")]
    [InlineData("InvalidInput", "--" + Boundary + "\r\nContent-Type: application/http\r\n\r\nDELETE http://host/acct/c/a HTTP/1.1\r\n\r\n--" + Boundary + "--")]
    [InlineData("InvalidInput", "--" + Boundary + "\r\nContent-Type: application/http\r\n\r\nDELETE /acct/c/a\r\n\r\n--" + Boundary + "--")]
    [InlineData("InvalidInput", "--" + Boundary + "\r\nContent-Type: application/http\r\n\r\nDELETE /acct/c/a HTTP/1.1\r\nno colon here\r\n\r\n--" + Boundary + "--")]
    [InlineData("InvalidInput", "--" + Boundary + "\r\nContent-Type: application/http\r\n\r\nDELETE /acct/c/a HTTP/1.1\r\n\r\nbody text\r\n--" + Boundary + "--")]
    [InlineData("InvalidInput", "--" + Boundary + "\r\nContent-Type: application/http\r\n\r\nGET /acct/c/a HTTP/1.1\r\n\r\n--" + Boundary + "--")]
    [InlineData("InvalidInput", "--" + Boundary + "\r\nContent-Type: application/http\r\n\r\nDELETE /other/c/a HTTP/1.1\r\n\r\n--" + Boundary + "--")]
    [InlineData("InvalidInput", "--" + Boundary + "\r\nContent-Type: application/http\r\n\r\nDELETE /acct-secondary/c/a HTTP/1.1\r\n\r\n--" + Boundary + "--")]
    [InlineData("InvalidInput", "--" + Boundary + "\r\nContent-Type: application/http\r\n\r\nPOST /acct/?comp=batch HTTP/1.1\r\n\r\n--" + Boundary + "--")]
    [InlineData("InvalidInput", "--" + Boundary + "\r\nContent-Type: application/http\r\n\r\nDELETE /acct/c/a?comp=nonsense HTTP/1.1\r\n\r\n--" + Boundary + "--")]
    public void A_malformed_or_foreign_body_refuses_the_whole_batch(string errorCode, string body)
    {
        var parsed = BatchRequestParser.Parse(body, Boundary, AccountScope);
        Assert.Equal(errorCode, parsed.Error?.Code);
        Assert.Equal(400, parsed.Error?.Status);
        Assert.Empty(parsed.SubRequests);
    }

    [Fact]
    public void More_than_the_limit_is_ExceedsMaxBatchRequestCount_and_mixed_operations_AllBatchSubRequestsShouldBeSameApi()
    {
        var many = Body([.. Enumerable.Range(0, Limits.BatchSubRequestsMax + 1).Select(i => Part(i.ToString(System.Globalization.CultureInfo.InvariantCulture), $"DELETE /acct/c/b{i} HTTP/1.1"))]);
        Assert.Equal("ExceedsMaxBatchRequestCount", BatchRequestParser.Parse(many, Boundary, AccountScope).Error?.Code);
        var full = Body([.. Enumerable.Range(0, Limits.BatchSubRequestsMax).Select(i => Part(i.ToString(System.Globalization.CultureInfo.InvariantCulture), $"DELETE /acct/c/b{i} HTTP/1.1"))]);
        Assert.Equal(Limits.BatchSubRequestsMax, BatchRequestParser.Parse(full, Boundary, AccountScope).SubRequests.Count);

        var mixed = Body(Part("0", "DELETE /acct/c/a HTTP/1.1"), Part("1", "PUT /acct/c/a?comp=tier HTTP/1.1", "x-ms-access-tier: Hot"));
        Assert.Equal("AllBatchSubRequestsShouldBeSameApi", BatchRequestParser.Parse(mixed, Boundary, AccountScope).Error?.Code);
    }

    [Fact]
    public void A_container_scoped_batch_takes_only_its_containers_blobs()
    {
        var scope = AccountScope with { Container = "c" };
        Assert.Null(BatchRequestParser.Parse(Body(Part("0", "DELETE /acct/c/a HTTP/1.1")), Boundary, scope).Error);
        Assert.Equal("InvalidInput", BatchRequestParser.Parse(Body(Part("0", "DELETE /acct/d/a HTTP/1.1")), Boundary, scope).Error?.Code);
    }

    [Fact]
    public void Seeded_mutations_of_a_valid_body_never_throw()
    {
        var valid = Body(
            Part("0", "DELETE /acct/c/a HTTP/1.1", "x-ms-date: Mon, 30 Nov 2026 10:00:00 GMT", "Content-Length: 0"),
            Part("1", "DELETE /acct/c/b HTTP/1.1", "x-ms-date: Mon, 30 Nov 2026 10:00:00 GMT"));
        var random = new Random(20261130);
        for (var round = 0; round < 5000; round++)
        {
            var chars = valid.ToCharArray();
            var edits = random.Next(1, 6);
            for (var edit = 0; edit < edits; edit++)
            {
                const string Alphabet = "\r\n -:/?=\0xé";
                chars[random.Next(chars.Length)] = Alphabet[random.Next(Alphabet.Length)];
            }

            var mutated = new string(chars);
            var cut = random.Next(2) == 0 ? mutated : mutated[..random.Next(mutated.Length)];
            var parsed = BatchRequestParser.Parse(cut, Boundary, AccountScope);
            Assert.True(parsed.Error is not null || parsed.SubRequests.Count > 0, $"round {round}: neither error nor sub-requests for:\n{cut}");
        }
    }
}
