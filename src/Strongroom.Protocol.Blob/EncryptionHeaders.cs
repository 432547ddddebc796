using System.Security.Cryptography;
using System.Text.RegularExpressions;
using Microsoft.AspNetCore.Http;
using Strongroom.Blobs;
using Strongroom.Core;

namespace Strongroom.Protocol.Blob;

/// <summary>
/// The encryption headers of the Blob API: <c>x-ms-encryption-scope</c>, and the customer-provided
/// key (<c>x-ms-encryption-key</c>, <c>-key-sha256</c>, <c>-algorithm</c>), validated as Azure does.
/// A customer key is accepted only over TLS and never appears in an error (not even its header
/// value); only its SHA-256 is echoed.
/// </summary>
public static partial class EncryptionHeaders
{
    public const string Scope = "x-ms-encryption-scope";
    public const string Key = "x-ms-encryption-key";
    public const string KeySha256 = "x-ms-encryption-key-sha256";
    public const string Algorithm = "x-ms-encryption-algorithm";
    public const string DefaultScope = "x-ms-default-encryption-scope";
    public const string DenyScopeOverride = "x-ms-deny-encryption-scope-override";
    public const string Aes256 = "AES256";

    /// <summary>
    /// The request's customer-provided key, or null when it sends none. The caller disposes it
    /// (wiping the key) when the request is done. On writes the algorithm header is required.
    /// </summary>
    public static CustomerProvidedKey? ReadCustomerKey(HttpRequest request, bool write)
    {
        var headers = request.Headers;
        var keyText = RequestHeaders.Get(headers, Key);
        var shaText = RequestHeaders.Get(headers, KeySha256);
        var algorithm = RequestHeaders.Get(headers, Algorithm);
        if (keyText is null && shaText is null && algorithm is null)
        {
            return null;
        }

        // First, before anything echoes or uses it: a key sent in the clear is refused.
        if (!request.IsHttps)
        {
            throw new BlobProtocolException(ErrorMapping.CustomerProvidedKeyRequiresHttps);
        }

        if (keyText is null)
        {
            throw BlobProtocolException.Header(ErrorMapping.MissingRequiredHeader, Key, null);
        }

        if (shaText is null)
        {
            throw BlobProtocolException.Header(ErrorMapping.MissingRequiredHeader, KeySha256, null);
        }

        if (algorithm is null)
        {
            if (write)
            {
                throw BlobProtocolException.Header(ErrorMapping.MissingRequiredHeader, Algorithm, null);
            }
        }
        else if (!string.Equals(algorithm, Aes256, StringComparison.Ordinal))
        {
            throw BlobProtocolException.Header(ErrorMapping.InvalidHeaderValue, Algorithm, algorithm);
        }

        var expectedSha = new byte[32];
        if (!Convert.TryFromBase64String(shaText, expectedSha, out var shaBytes) || shaBytes != expectedSha.Length)
        {
            throw BlobProtocolException.Header(ErrorMapping.InvalidHeaderValue, KeySha256, shaText);
        }

        // Room for one byte too many, so an over-long key is told apart from a 32-byte one.
        var buffer = new byte[Limits.CustomerProvidedKeyBytes + 3];
        try
        {
            if (!Convert.TryFromBase64String(keyText, buffer, out var keyBytes) || keyBytes != Limits.CustomerProvidedKeyBytes)
            {
                throw KeyRejected(Key);
            }

            var key = buffer.AsSpan(0, Limits.CustomerProvidedKeyBytes).ToArray();
            if (!CryptographicOperations.FixedTimeEquals(SHA256.HashData(key), expectedSha))
            {
                CryptographicOperations.ZeroMemory(key);
                throw BlobProtocolException.Header(ErrorMapping.InvalidHeaderValue, KeySha256, shaText);
            }

            return CustomerProvidedKey.Take(key);
        }
        finally
        {
            CryptographicOperations.ZeroMemory(buffer);
        }
    }

    /// <summary>An <c>x-ms-encryption-scope</c> value: a scope name or <c>$account-encryption-key</c>.</summary>
    public static string? ReadScope(IHeaderDictionary headers, string name = Scope)
    {
        var scope = RequestHeaders.Get(headers, name);
        if (scope is null || scope == EncryptionScopeNames.AccountKey || EncryptionScopeNames.IsValid(scope))
        {
            return scope;
        }

        throw BlobProtocolException.Header(ErrorMapping.InvalidHeaderValue, name, scope);
    }

    /// <summary>
    /// The encryption options of a write or of a read that may present a key. A customer key and
    /// a scope together are refused (Azure's SDKs refuse them too). The caller disposes the key.
    /// </summary>
    public static BlobEncryptionOptions ReadOptions(HttpRequest request, bool write, bool scopeAllowed)
    {
        var scope = scopeAllowed ? ReadScope(request.Headers) : null;
        var key = ReadCustomerKey(request, write);
        if (key is not null && scope is not null)
        {
            key.Dispose();
            throw BlobProtocolException.Header(ErrorMapping.InvalidHeaderValue, Scope, scope);
        }

        return key is null && scope is null ? BlobEncryptionOptions.None : new BlobEncryptionOptions(scope, key);
    }

    /// <summary>The response headers of a write: always encrypted; the scope and key hash when used.</summary>
    public static void WriteWriteResponse(HttpResponse response, string? scope, byte[]? keySha256)
    {
        response.Headers["x-ms-request-server-encrypted"] = "true";
        WriteCommon(response, scope, keySha256);
    }

    /// <summary>The response headers of a read of a blob's properties or content.</summary>
    public static void WriteReadResponse(HttpResponse response, string? scope, byte[]? keySha256)
    {
        response.Headers["x-ms-server-encrypted"] = "true";
        WriteCommon(response, scope, keySha256);
    }

    /// <summary>Replaces the value of an <c>x-ms-encryption-key:</c> line (a canonicalized header) with a placeholder.</summary>
    public static string RedactCustomerKey(string canonicalized) =>
        CanonicalKeyLine().Replace(canonicalized, "x-ms-encryption-key:<redacted>");

    private static void WriteCommon(HttpResponse response, string? scope, byte[]? keySha256)
    {
        if (scope is not null)
        {
            response.Headers[Scope] = scope;
        }

        if (keySha256 is not null)
        {
            response.Headers[KeySha256] = Convert.ToBase64String(keySha256);
        }
    }

    // The key's value is never echoed, unlike other rejected headers.
    private static BlobProtocolException KeyRejected(string header) =>
        new(ErrorMapping.InvalidHeaderValue, details: [new("HeaderName", header)]);

    [GeneratedRegex(@"x-ms-encryption-key:[^\n]*", RegexOptions.CultureInvariant)]
    private static partial Regex CanonicalKeyLine();
}
