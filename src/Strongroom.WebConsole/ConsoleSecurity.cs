using System.Security.Cryptography;
using System.Text;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.WebUtilities;
using Strongroom.Core;

namespace Strongroom.WebConsole;

/// <summary>
/// The console's cookie and CSRF rules, in one place.
/// <list type="bullet">
/// <item>The session token (the same token the JSON API takes as a bearer) lives only in an
/// HttpOnly, SameSite=Strict cookie: <c>__Host-strongroom-session</c> with Secure on an HTTPS
/// listener, <c>strongroom-session</c> on plain HTTP (development), where a <c>__Host-</c> cookie
/// cannot be set. It never appears in a page or a URL.</item>
/// <item>Every POST after sign-in carries <see cref="CsrfField"/> =
/// base64url(HMAC-SHA256(key = session token, "strongroom-console-csrf-v1")): bound to the
/// session, useless without it, and not the token itself. Compared in constant time.</item>
/// <item>The sign-in form, before any session, is protected by a double-submit token: a random
/// value in its own HttpOnly SameSite=Strict cookie that the form must repeat.</item>
/// <item>Any POST whose <c>Sec-Fetch-Site</c>, <c>Origin</c> or <c>Referer</c> names another
/// origin is refused whatever it carries.</item>
/// </list>
/// </summary>
public static class ConsoleSecurity
{
    /// <summary>The hidden form field every POST carries.</summary>
    public const string CsrfField = "csrf";

    private static readonly byte[] CsrfDomain = "strongroom-console-csrf-v1"u8.ToArray();

    /// <summary>The Content-Security-Policy of every console response: no script at all, nothing from elsewhere, never framed.</summary>
    public const string ContentSecurityPolicy = "default-src 'self'; frame-ancestors 'none'; form-action 'self'; base-uri 'none'";

    public static string SessionCookie(bool secure) => secure ? "__Host-strongroom-session" : "strongroom-session";

    public static string SignInCookie(bool secure) => secure ? "__Host-strongroom-signin" : "strongroom-signin";

    /// <summary>The CSRF token bound to <paramref name="sessionToken"/>.</summary>
    public static string CsrfTokenFor(string sessionToken)
    {
        ArgumentNullException.ThrowIfNull(sessionToken);
        var key = Encoding.UTF8.GetBytes(sessionToken);
        try
        {
            return WebEncoders.Base64UrlEncode(HMACSHA256.HashData(key, CsrfDomain));
        }
        finally
        {
            CryptographicOperations.ZeroMemory(key);
        }
    }

    /// <summary>A fresh random value for the sign-in form's double-submit cookie.</summary>
    public static string NewSignInToken(IRandomSource random)
    {
        ArgumentNullException.ThrowIfNull(random);
        Span<byte> bytes = stackalloc byte[32];
        random.Fill(bytes);
        return WebEncoders.Base64UrlEncode(bytes);
    }

    /// <summary>Constant-time equality of two tokens (false when either is missing).</summary>
    public static bool TokensEqual(string? expected, string? presented)
    {
        if (string.IsNullOrEmpty(expected) || string.IsNullOrEmpty(presented))
        {
            return false;
        }

        return CryptographicOperations.FixedTimeEquals(Encoding.UTF8.GetBytes(expected), Encoding.UTF8.GetBytes(presented));
    }

    /// <summary>
    /// False when the request says it comes from another origin: <c>Sec-Fetch-Site</c> other
    /// than <c>same-origin</c>, an <c>Origin</c> or a <c>Referer</c> whose scheme, host and port
    /// differ from this request's. Under the console's <c>Referrer-Policy: no-referrer</c> a
    /// browser sends <c>Origin: null</c> and no <c>Referer</c> with its own forms, so "null" says
    /// nothing and counts as absent; a request with no such header passes (the token and
    /// SameSite=Strict still apply).
    /// </summary>
    public static bool IsSameOrigin(HttpRequest request)
    {
        ArgumentNullException.ThrowIfNull(request);
        var fetchSite = request.Headers["Sec-Fetch-Site"].ToString();
        if (fetchSite.Length > 0 && !string.Equals(fetchSite, "same-origin", StringComparison.OrdinalIgnoreCase))
        {
            return false;
        }

        var expected = $"{request.Scheme}://{request.Host.Value}";
        var origin = request.Headers.Origin.ToString();
        if (origin.Length > 0 && !string.Equals(origin, "null", StringComparison.Ordinal)
            && !string.Equals(origin, expected, StringComparison.OrdinalIgnoreCase))
        {
            return false;
        }

        var referer = request.Headers.Referer.ToString();
        return referer.Length == 0
            || (Uri.TryCreate(referer, UriKind.Absolute, out var uri)
                && string.Equals(uri.GetLeftPart(UriPartial.Authority), expected, StringComparison.OrdinalIgnoreCase));
    }

    /// <summary>The cookie options: HttpOnly, SameSite=Strict, path /, Secure on HTTPS.</summary>
    public static CookieOptions CookieOptions(bool secure, DateTimeOffset? expires = null) => new()
    {
        HttpOnly = true,
        SameSite = SameSiteMode.Strict,
        Secure = secure,
        Path = "/",
        Expires = expires,
        IsEssential = true,
    };

    /// <summary>The headers of every console response.</summary>
    public static void WriteSecurityHeaders(HttpResponse response)
    {
        ArgumentNullException.ThrowIfNull(response);
        response.Headers.ContentSecurityPolicy = ContentSecurityPolicy;
        response.Headers.XContentTypeOptions = "nosniff";
        response.Headers.XFrameOptions = "DENY";
        response.Headers["Referrer-Policy"] = "no-referrer";
        response.Headers["Cross-Origin-Opener-Policy"] = "same-origin";
        response.Headers.CacheControl = "no-store";
    }
}
