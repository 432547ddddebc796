using System.Buffers;
using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using Microsoft.AspNetCore.Http;
using Strongroom.Blobs;
using Strongroom.Core;

namespace Strongroom.Protocol.Blob;

/// <summary>
/// Azure Shared Key (and Shared Key Lite) authentication of a Blob request, byte-for-byte as
/// the Azure SDK signs it (reference §1.1). Both account keys are accepted so that keys can be
/// rotated without downtime.
/// </summary>
public sealed class SharedKeyAuthenticator(
    Func<string, CancellationToken, Task<SharedKeys?>> keyLookup,
    TimeProvider time,
    BlobProtocolOptions options)
{
    private const int SignatureBytes = 32;

    [ThreadStatic]
    private static StringBuilder? cachedBuilder;

    [ThreadStatic]
    private static List<KeyValuePair<string, string>>? cachedHeaders;

    /// <summary>
    /// Authenticates the request and returns which account key signed it (1 or 2), or throws
    /// <see cref="BlobProtocolException"/>: 400 InvalidAuthenticationInfo for a malformed header,
    /// 403 AuthenticationFailed otherwise. Anonymous and SAS requests are handled by the caller
    /// before this is reached.
    /// </summary>
    public async Task<int> AuthenticateAsync(HttpRequest request, RequestTarget target, string authorization, CancellationToken cancellationToken)
    {
        if (!TryParseAuthorization(authorization, out var lite, out var account, out var signature))
        {
            throw new BlobProtocolException(ErrorMapping.InvalidAuthenticationInfo);
        }

        // On the secondary endpoint the SDK signs with the plain account name (the canonical
        // resource is then /acct/acct-secondary/...); Azurite also accepts acct-secondary in the
        // header. Both name the same keys; the signature covers whichever name the client used.
        var namesAccount = string.Equals(account, target.Account, StringComparison.Ordinal)
            || (target.Location == ReadLocation.Secondary && string.Equals(account, target.PathAccount, StringComparison.Ordinal));
        if (!namesAccount)
        {
            throw Failed($"The account '{account}' in the Authorization header does not match the account in the request URI.");
        }

        CheckDate(request.Headers);

        var keys = await keyLookup(target.Account, cancellationToken).ConfigureAwait(false);
        if (keys is null)
        {
            // Indistinguishable from a bad signature on purpose: no probing for account names.
            throw Mismatch(signature, null);
        }

        var stringToSign = lite
            ? BuildLiteStringToSign(request.Method, request.Headers, target, StringComparer.Ordinal, account)
            : BuildStringToSign(request.Method, request.Headers, target, StringComparer.Ordinal, account);

        var slot = VerifiedSlot(stringToSign, signature, keys);
        if (slot != 0)
        {
            return Enabled(keys, slot);
        }

        // Older SDKs sorted the canonical headers ignoring symbols; the orders differ only for
        // names with '_' or similar (metadata), so the second computation is rare.
        var legacy = lite
            ? BuildLiteStringToSign(request.Method, request.Headers, target, LegacyHeaderNameComparer.Instance, account)
            : BuildStringToSign(request.Method, request.Headers, target, LegacyHeaderNameComparer.Instance, account);
        slot = legacy == stringToSign ? 0 : VerifiedSlot(legacy, signature, keys);
        if (slot == 0)
        {
            throw Mismatch(signature, stringToSign);
        }

        return Enabled(keys, slot);
    }

    /// <summary>A closed account (issue 7) is refused once the caller proved it holds its key, as Azure answers a disabled account.</summary>
    private static int Enabled(SharedKeys keys, int slot) =>
        keys.AccountEnabled ? slot : throw new BlobProtocolException(ErrorMapping.Map(ErrorCode.AccountClosed));

    /// <summary>Checks <paramref name="signature"/> (Base64) against HMAC-SHA256 with key1, then key2.</summary>
    public static bool Verify(string stringToSign, string signature, SharedKeys keys) => VerifiedSlot(stringToSign, signature, keys) != 0;

    /// <summary>Which key (1 or 2) <paramref name="signature"/> verifies with, or 0. Both are always computed.</summary>
    public static int VerifiedSlot(string stringToSign, string signature, SharedKeys keys)
    {
        Span<byte> provided = stackalloc byte[SignatureBytes];
        if (!Convert.TryFromBase64String(signature, provided, out var written) || written != SignatureBytes)
        {
            return 0;
        }

        var byteCount = Encoding.UTF8.GetMaxByteCount(stringToSign.Length);
        var rented = ArrayPool<byte>.Shared.Rent(byteCount);
        try
        {
            var length = Encoding.UTF8.GetBytes(stringToSign, rented);
            var message = rented.AsSpan(0, length);
            Span<byte> computed = stackalloc byte[SignatureBytes];

            HMACSHA256.HashData(keys.Key1, message, computed);
            var first = CryptographicOperations.FixedTimeEquals(computed, provided);
            HMACSHA256.HashData(keys.Key2, message, computed);
            var second = CryptographicOperations.FixedTimeEquals(computed, provided);
            return first ? 1 : second ? 2 : 0;
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(rented);
        }
    }

    /// <summary>The Shared Key string-to-sign for the Blob service (version 2015-02-21 and later).</summary>
    /// <param name="headerOrder">How canonicalized headers are sorted: ordinal is what current SDKs
    /// (12.30) send; <see cref="LegacyHeaderNameComparer"/> matches older ones.</param>
    public static string BuildStringToSign(string method, IHeaderDictionary headers, RequestTarget target, IComparer<string> headerOrder) =>
        BuildStringToSign(method, headers, target, headerOrder, target.Account);

    /// <summary>As above, with the account name the signer put in the canonical resource.</summary>
    public static string BuildStringToSign(string method, IHeaderDictionary headers, RequestTarget target, IComparer<string> headerOrder, string signingAccount)
    {
        var builder = RentBuilder();
        builder.Append(method).Append('\n');
        AppendHeader(builder, headers, "Content-Encoding");
        AppendHeader(builder, headers, "Content-Language");
        var contentLength = headers.ContentLength;
        if (contentLength is > 0)
        {
            builder.Append(contentLength.Value.ToString(CultureInfo.InvariantCulture));
        }

        builder.Append('\n');
        AppendHeader(builder, headers, "Content-MD5");
        AppendHeader(builder, headers, "Content-Type");

        // The Date line is empty whenever x-ms-date is sent (it then goes in the canonical headers).
        if (!headers.ContainsKey("x-ms-date"))
        {
            builder.Append(headers.Date.ToString());
        }

        builder.Append('\n');
        AppendHeader(builder, headers, "If-Modified-Since");
        AppendHeader(builder, headers, "If-Match");
        AppendHeader(builder, headers, "If-None-Match");
        AppendHeader(builder, headers, "If-Unmodified-Since");
        AppendHeader(builder, headers, "Range");
        AppendCanonicalizedHeaders(builder, headers, headerOrder);
        AppendCanonicalizedResource(builder, target, signingAccount);
        return ReturnBuilder(builder);
    }

    /// <summary>The Shared Key Lite string-to-sign for the Blob service.</summary>
    public static string BuildLiteStringToSign(string method, IHeaderDictionary headers, RequestTarget target, IComparer<string> headerOrder) =>
        BuildLiteStringToSign(method, headers, target, headerOrder, target.Account);

    /// <summary>As above, with the account name the signer put in the canonical resource.</summary>
    public static string BuildLiteStringToSign(string method, IHeaderDictionary headers, RequestTarget target, IComparer<string> headerOrder, string signingAccount)
    {
        var builder = RentBuilder();
        builder.Append(method).Append('\n');
        AppendHeader(builder, headers, "Content-MD5");
        AppendHeader(builder, headers, "Content-Type");
        if (!headers.ContainsKey("x-ms-date"))
        {
            builder.Append(headers.Date.ToString());
        }

        builder.Append('\n');
        AppendCanonicalizedHeaders(builder, headers, headerOrder);
        builder.Append('/').Append(signingAccount).Append(target.RawPath.Length > 0 ? target.RawPath : "/");
        var comp = target.GetQuery("comp");
        if (comp is not null)
        {
            builder.Append("?comp=").Append(comp);
        }

        return ReturnBuilder(builder);
    }

    private void CheckDate(IHeaderDictionary headers)
    {
        var raw = headers.TryGetValue("x-ms-date", out var xmsDate) ? xmsDate.ToString() : headers.Date.ToString();
        if (string.IsNullOrEmpty(raw))
        {
            throw Failed("Request date header not specified.");
        }

        if (!TryParseHttpDate(raw, out var date))
        {
            throw Failed($"The Date header in the request is incorrect: '{raw}'.");
        }

        var skew = time.GetUtcNow() - date;
        if (skew > Limits.RequestDateSkewMax)
        {
            throw Failed($"Request date header too old: '{raw}'.");
        }

        if (-skew > Limits.RequestDateSkewMax)
        {
            throw Failed($"Request date header is too far in the future: '{raw}'.");
        }
    }

    /// <summary>An RFC 1123 date as HTTP sends it (the SDK uses the "r" format).</summary>
    public static bool TryParseHttpDate(string value, out DateTimeOffset date) =>
        DateTimeOffset.TryParseExact(value, "r", CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out date)
        || DateTimeOffset.TryParse(value, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out date);

    private static bool TryParseAuthorization(string header, out bool lite, out string account, out string signature)
    {
        lite = false;
        account = string.Empty;
        signature = string.Empty;
        var span = header.AsSpan().Trim();
        var space = span.IndexOf(' ');
        if (space <= 0)
        {
            return false;
        }

        var scheme = span[..space];
        if (scheme.Equals("SharedKeyLite", StringComparison.Ordinal))
        {
            lite = true;
        }
        else if (!scheme.Equals("SharedKey", StringComparison.Ordinal))
        {
            return false;
        }

        var credential = span[(space + 1)..].Trim();
        var colon = credential.LastIndexOf(':');
        if (colon <= 0 || colon == credential.Length - 1)
        {
            return false;
        }

        account = credential[..colon].ToString();
        signature = credential[(colon + 1)..].ToString();
        return true;
    }

    private BlobProtocolException Mismatch(string signature, string? stringToSign)
    {
        var detail = $"The MAC signature found in the HTTP request '{signature}' is not the same as any computed signature.";
        if (stringToSign is not null && options.DangerousIncludeStringToSignInErrors)
        {
            // The string to sign carries every x-ms- header, a customer-provided key included: never echo it.
            detail += $" Server used following string to sign: '{EncryptionHeaders.RedactCustomerKey(stringToSign)}'.";
        }

        return Failed(detail);
    }

    private static BlobProtocolException Failed(string detail) =>
        new(ErrorMapping.AuthenticationFailed, detail, [new("AuthenticationErrorDetail", detail)]);

    private static void AppendHeader(StringBuilder builder, IHeaderDictionary headers, string name)
    {
        if (headers.TryGetValue(name, out var value))
        {
            builder.Append(value.ToString());
        }

        builder.Append('\n');
    }

    private static void AppendCanonicalizedHeaders(StringBuilder builder, IHeaderDictionary headers, IComparer<string> headerOrder)
    {
        var list = cachedHeaders ??= new List<KeyValuePair<string, string>>(16);
        list.Clear();
        foreach (var (name, value) in headers)
        {
            if (name.StartsWith("x-ms-", StringComparison.OrdinalIgnoreCase))
            {
                list.Add(new(IsLower(name) ? name : name.ToLowerInvariant(), value.ToString()));
            }
        }

        list.Sort((x, y) => headerOrder.Compare(x.Key, y.Key));
        foreach (var (name, value) in list)
        {
            builder.Append(name).Append(':').Append(value).Append('\n');
        }

        list.Clear();
    }

    private static void AppendCanonicalizedResource(StringBuilder builder, RequestTarget target, string signingAccount)
    {
        builder.Append('/').Append(signingAccount).Append(target.RawPath.Length > 0 ? target.RawPath : "/");
        var query = target.Query;
        if (query.Count == 0)
        {
            return;
        }

        if (query.Count == 1)
        {
            builder.Append('\n').Append(query[0].Name.ToLowerInvariant()).Append(':').Append(query[0].Value);
            return;
        }

        // Names lowercased and sorted; repeated names have their values sorted and comma-joined.
        var groups = new SortedDictionary<string, List<string>>(StringComparer.Ordinal);
        foreach (var parameter in query)
        {
            var name = parameter.Name.ToLowerInvariant();
            if (!groups.TryGetValue(name, out var values))
            {
                groups[name] = values = new List<string>(1);
            }

            values.Add(parameter.Value ?? string.Empty);
        }

        foreach (var (name, values) in groups)
        {
            if (values.Count > 1)
            {
                values.Sort(StringComparer.Ordinal);
            }

            builder.Append('\n').Append(name).Append(':').AppendJoin(',', values);
        }
    }

    private static bool IsLower(string value)
    {
        foreach (var c in value)
        {
            if (c is >= 'A' and <= 'Z')
            {
                return false;
            }
        }

        return true;
    }

    private static StringBuilder RentBuilder()
    {
        var builder = cachedBuilder ?? new StringBuilder(512);
        cachedBuilder = null;
        return builder;
    }

    private static string ReturnBuilder(StringBuilder builder)
    {
        var result = builder.ToString();
        if (builder.Capacity <= 8 * 1024)
        {
            builder.Clear();
            cachedBuilder = builder;
        }

        return result;
    }
}

/// <summary>
/// The canonical-header order of older Azure SDKs, which sorted with the en-US culture and
/// <see cref="CompareOptions.IgnoreSymbols"/>, so '-' and '_' did not count
/// (<c>x-ms-meta-ab</c> before <c>x-ms-meta-a_c</c>; Azure.Storage.Blobs 12.30.1 sends the
/// ordinal order instead, as the tests record). This server runs with invariant globalization,
/// where culture comparison is ordinal, so the rule is implemented directly: compare ASCII
/// letters and digits only, other characters by code unit, then break ties ordinally.
/// </summary>
public sealed class LegacyHeaderNameComparer : IComparer<string>
{
    public static readonly LegacyHeaderNameComparer Instance = new();

    public int Compare(string? x, string? y)
    {
        if (ReferenceEquals(x, y))
        {
            return 0;
        }

        if (x is null)
        {
            return -1;
        }

        if (y is null)
        {
            return 1;
        }

        int i = 0, j = 0;
        while (true)
        {
            while (i < x.Length && IsIgnored(x[i]))
            {
                i++;
            }

            while (j < y.Length && IsIgnored(y[j]))
            {
                j++;
            }

            if (i == x.Length || j == y.Length)
            {
                break;
            }

            if (x[i] != y[j])
            {
                return x[i].CompareTo(y[j]);
            }

            i++;
            j++;
        }

        var remainder = (i == x.Length ? 0 : 1) - (j == y.Length ? 0 : 1);
        return remainder != 0 ? remainder : string.CompareOrdinal(x, y);
    }

    private static bool IsIgnored(char c) => c < 0x80 && !char.IsAsciiLetterOrDigit(c);
}
