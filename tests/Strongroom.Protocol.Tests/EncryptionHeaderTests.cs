using System.Security.Cryptography;
using System.Text;
using System.Xml.Linq;
using Azure.Core.Pipeline;
using Azure.Storage;
using Azure.Storage.Blobs;
using Microsoft.AspNetCore.Http;
using Strongroom.Core;
using Strongroom.Protocol.Blob;

namespace Strongroom.Protocol.Tests;

/// <summary>The customer-provided-key and scope headers: Azure's validation, TLS only, and no key in any error.</summary>
public sealed class EncryptionHeaderTests
{
    private static readonly byte[] KeyBytes = Enumerable.Range(40, 32).Select(i => (byte)i).ToArray();
    private static readonly string KeyText = Convert.ToBase64String(KeyBytes);
    private static readonly string KeySha = Convert.ToBase64String(SHA256.HashData(KeyBytes));

    private static HttpRequest Request(bool https, params (string Name, string Value)[] headers)
    {
        var context = new DefaultHttpContext();
        context.Request.Scheme = https ? "https" : "http";
        foreach (var (name, value) in headers)
        {
            context.Request.Headers[name] = value;
        }

        return context.Request;
    }

    private static BlobProtocolException Rejects(HttpRequest request, bool write = true)
    {
        var error = Assert.Throws<BlobProtocolException>(() => EncryptionHeaders.ReadCustomerKey(request, write)?.Dispose());
        Assert.DoesNotContain(KeyText, error.Message, StringComparison.Ordinal);
        Assert.DoesNotContain(error.Details, detail => detail.Value.Contains(KeyText, StringComparison.Ordinal));
        return error;
    }

    [Fact]
    public void A_valid_key_is_read_and_only_its_hash_is_kept()
    {
        using var key = EncryptionHeaders.ReadCustomerKey(Request(true, ("x-ms-encryption-key", KeyText), ("x-ms-encryption-key-sha256", KeySha), ("x-ms-encryption-algorithm", "AES256")), write: true);
        Assert.NotNull(key);
        Assert.Equal(KeyBytes, key!.Key.ToArray());
        Assert.Equal(SHA256.HashData(KeyBytes), key.KeySha256);

        // Reads may leave the algorithm out.
        using var read = EncryptionHeaders.ReadCustomerKey(Request(true, ("x-ms-encryption-key", KeyText), ("x-ms-encryption-key-sha256", KeySha)), write: false);
        Assert.NotNull(read);
        Assert.Null(EncryptionHeaders.ReadCustomerKey(Request(true), write: true));
    }

    [Fact]
    public void Plain_http_is_refused_before_anything_else()
    {
        var error = Rejects(Request(false, ("x-ms-encryption-key", KeyText), ("x-ms-encryption-key-sha256", KeySha), ("x-ms-encryption-algorithm", "AES256")));
        Assert.Equal(ErrorMapping.CustomerProvidedKeyRequiresHttps, error.Error);

        // Even a malformed or partial set of key headers is refused for the protocol first.
        Assert.Equal(ErrorMapping.CustomerProvidedKeyRequiresHttps, Rejects(Request(false, ("x-ms-encryption-key-sha256", KeySha))).Error);
    }

    [Theory]
    [InlineData("x-ms-encryption-key")]
    [InlineData("x-ms-encryption-key-sha256")]
    [InlineData("x-ms-encryption-algorithm")]
    public void A_missing_companion_header_is_missing_required_header(string missing)
    {
        var headers = new[] { ("x-ms-encryption-key", KeyText), ("x-ms-encryption-key-sha256", KeySha), ("x-ms-encryption-algorithm", "AES256") }
            .Where(header => header.Item1 != missing).ToArray();
        var error = Rejects(Request(true, headers));
        Assert.Equal("MissingRequiredHeader", error.Error.Code);
        Assert.Equal(400, error.Error.Status);
        Assert.Contains(error.Details, detail => detail.Key == "HeaderName" && detail.Value == missing);
    }

    [Theory]
    [InlineData("not base64!", null, "x-ms-encryption-key")]
    [InlineData("AAAA", null, "x-ms-encryption-key")]
    [InlineData(null, "AAAA", "x-ms-encryption-key-sha256")]
    public void A_malformed_key_or_hash_is_invalid_header_value(string? key, string? sha, string header)
    {
        var error = Rejects(Request(true, ("x-ms-encryption-key", key ?? KeyText), ("x-ms-encryption-key-sha256", sha ?? KeySha), ("x-ms-encryption-algorithm", "AES256")));
        Assert.Equal(ErrorMapping.InvalidHeaderValue, error.Error);
        Assert.Contains(error.Details, detail => detail.Key == "HeaderName" && detail.Value == header);
    }

    [Fact]
    public void A_33_byte_key_is_refused_without_echoing_it()
    {
        var longKey = Convert.ToBase64String(new byte[33]);
        var error = Assert.Throws<BlobProtocolException>(() => EncryptionHeaders.ReadCustomerKey(
            Request(true, ("x-ms-encryption-key", longKey), ("x-ms-encryption-key-sha256", KeySha), ("x-ms-encryption-algorithm", "AES256")), write: true));
        Assert.Equal(ErrorMapping.InvalidHeaderValue, error.Error);
        Assert.DoesNotContain(error.Details, detail => detail.Value == longKey);
    }

    [Fact]
    public void A_hash_that_does_not_match_the_key_is_refused()
    {
        var wrongSha = Convert.ToBase64String(SHA256.HashData(new byte[32]));
        var error = Rejects(Request(true, ("x-ms-encryption-key", KeyText), ("x-ms-encryption-key-sha256", wrongSha), ("x-ms-encryption-algorithm", "AES256")));
        Assert.Equal(ErrorMapping.InvalidHeaderValue, error.Error);
        Assert.Contains(error.Details, detail => detail.Key == "HeaderName" && detail.Value == "x-ms-encryption-key-sha256");
    }

    [Theory]
    [InlineData("AES128")]
    [InlineData("aes256")]
    [InlineData("SM4")]
    public void Only_aes256_is_an_algorithm(string algorithm)
    {
        var error = Rejects(Request(true, ("x-ms-encryption-key", KeyText), ("x-ms-encryption-key-sha256", KeySha), ("x-ms-encryption-algorithm", algorithm)));
        Assert.Equal(ErrorMapping.InvalidHeaderValue, error.Error);
        Assert.Contains(error.Details, detail => detail.Key == "HeaderName" && detail.Value == "x-ms-encryption-algorithm");
    }

    [Fact]
    public void A_key_and_a_scope_together_are_refused()
    {
        var request = Request(true, ("x-ms-encryption-key", KeyText), ("x-ms-encryption-key-sha256", KeySha), ("x-ms-encryption-algorithm", "AES256"), ("x-ms-encryption-scope", "scope-a"));
        var error = Assert.Throws<BlobProtocolException>(() => EncryptionHeaders.ReadOptions(request, write: true, scopeAllowed: true));
        Assert.Equal(ErrorMapping.InvalidHeaderValue, error.Error);
        Assert.Contains(error.Details, detail => detail.Key == "HeaderName" && detail.Value == "x-ms-encryption-scope");
    }

    [Theory]
    [InlineData("ab")]
    [InlineData("Scope")]
    [InlineData("a--b")]
    public void A_malformed_scope_name_is_invalid_header_value(string scope)
    {
        var error = Assert.Throws<BlobProtocolException>(() => EncryptionHeaders.ReadScope(Request(true, ("x-ms-encryption-scope", scope)).Headers));
        Assert.Equal(ErrorMapping.InvalidHeaderValue, error.Error);
    }

    [Fact]
    public void Scope_names_and_the_account_key_pass()
    {
        Assert.Equal("scope-a", EncryptionHeaders.ReadScope(Request(true, ("x-ms-encryption-scope", "scope-a")).Headers));
        Assert.Equal("$account-encryption-key", EncryptionHeaders.ReadScope(Request(true, ("x-ms-encryption-scope", "$account-encryption-key")).Headers));
        Assert.Null(EncryptionHeaders.ReadScope(Request(true).Headers));
    }

    [Fact]
    public void The_string_to_sign_never_shows_the_key()
    {
        var canonical = "PUT\n\nx-ms-date:x\nx-ms-encryption-key:" + KeyText + "\nx-ms-encryption-key-sha256:" + KeySha + "\n/acct/c/b";
        var redacted = EncryptionHeaders.RedactCustomerKey(canonical);
        Assert.DoesNotContain(KeyText, redacted, StringComparison.Ordinal);
        Assert.Contains("x-ms-encryption-key-sha256:" + KeySha, redacted, StringComparison.Ordinal);
    }

    [Fact]
    public async Task The_handler_refuses_an_sdk_cpk_upload_that_arrives_over_http_without_echoing_the_key()
    {
        var sdk = new CapturingHandler();
        var options = new BlobClientOptions { Transport = new HttpClientTransport(new HttpClient(sdk)), CustomerProvidedKey = new Azure.Storage.Blobs.Models.CustomerProvidedKey(KeyBytes) };
        options.Retry.MaxRetries = 0;
        var client = new BlobServiceClient(new Uri("https://127.0.0.1:10000/devstoreaccount1"), new StorageSharedKeyCredential(Dev.Account, Dev.KeyBase64), options);
        var captured = await Dev.Capture(sdk, () => client.GetBlobContainerClient("c").GetBlobClient("b").UploadAsync(BinaryData.FromString("x")));
        Assert.Equal(KeyText, captured.Header("x-ms-encryption-key"));

        var handler = new BlobProtocolHandler(Dev.UnreachableService(), Dev.Keys, new FixedTime(captured.Date), new SeededRandomSource(1), new BlobProtocolOptions { RequireHttps = false, DangerousIncludeStringToSignInErrors = true }, null);
        var context = captured.ToHttpContext();
        await handler.HandleAsync(context);
        var body = Encoding.UTF8.GetString(((MemoryStream)context.Response.Body).ToArray());
        Assert.Equal(403, context.Response.StatusCode);
        Assert.Equal("AuthorizationProtocolMismatch", XDocument.Parse(body).Root!.Element("Code")!.Value);
        Assert.DoesNotContain(KeyText, body, StringComparison.Ordinal);

        // A tampered signature with the debug detail on: the string to sign is shown, the key is not.
        var tampered = captured with { RawTarget = captured.RawTarget.Replace("/b", "/other", StringComparison.Ordinal) };
        var tamperedContext = tampered.ToHttpContext();
        tamperedContext.Request.Scheme = "https";
        await handler.HandleAsync(tamperedContext);
        var tamperedBody = Encoding.UTF8.GetString(((MemoryStream)tamperedContext.Response.Body).ToArray());
        Assert.Equal(403, tamperedContext.Response.StatusCode);
        Assert.Contains("string to sign", tamperedBody, StringComparison.Ordinal);
        Assert.DoesNotContain(KeyText, tamperedBody, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(ErrorCode.CustomerManagedKeyUnavailable, 403, "KeyVaultEncryptionKeyNotFound")]
    [InlineData(ErrorCode.EncryptionScopeForbiddenByContainerPolicy, 403, "RequestForbiddenByContainerEncryptionPolicy")]
    [InlineData(ErrorCode.EncryptionScopeDisabled, 403, "AuthorizationFailure")]
    [InlineData(ErrorCode.EncryptionScopeNotFound, 400, "InvalidHeaderValue")]
    [InlineData(ErrorCode.BlobUsesCustomerSpecifiedEncryption, 409, "BlobUsesCustomerSpecifiedEncryption")]
    [InlineData(ErrorCode.BlobDoesNotUseCustomerSpecifiedEncryption, 409, "BlobDoesNotUseCustomerSpecifiedEncryption")]
    [InlineData(ErrorCode.BlobCustomerSpecifiedEncryptionMismatch, 409, "BlobCustomerSpecifiedEncryptionMismatch")]
    public void Encryption_errors_map_to_azures_codes(ErrorCode code, int status, string azureCode)
    {
        var error = ErrorMapping.Map(code);
        Assert.Equal(status, error.Status);
        Assert.Equal(azureCode, error.Code);
    }
}
