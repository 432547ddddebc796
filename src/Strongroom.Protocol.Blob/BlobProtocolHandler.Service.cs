using System.Buffers;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Primitives;
using Strongroom.Core;

namespace Strongroom.Protocol.Blob;

// Issue 8, service: Get/Set Blob Service Properties in full, CORS (preflight and actual
// requests), Get Account Information, Get User Delegation Key refused.
public sealed partial class BlobProtocolHandler
{
    private const string OriginHeader = "Origin";
    private const string RequestMethodHeader = "Access-Control-Request-Method";
    private const string RequestHeadersHeader = "Access-Control-Request-Headers";

    private async Task GetBlobServicePropertiesAsync(HttpContext context, string account)
    {
        var (properties, dataProtection) = await blobs.GetBlobServicePropertiesAsync(account, context.RequestAborted).ConfigureAwait(false);
        var body = ServicePropertiesXml.Body(properties, dataProtection);
        context.Response.StatusCode = StatusCodes.Status200OK;
        context.Response.ContentType = Http.XmlContentType;
        context.Response.ContentLength = body.Length;
        await context.Response.Body.WriteAsync(body, context.RequestAborted).ConfigureAwait(false);
    }

    /// <summary>Set Blob Service Properties: 202. The root elements the body names replace the stored ones; absent ones are kept (Azure).</summary>
    private async Task SetBlobServicePropertiesAsync(HttpContext context, string account)
    {
        var (buffer, length) = await ReadBoundedBodyAsync(context, Limits.ServicePropertiesXmlBytesMax).ConfigureAwait(false);
        BlobServicePropertiesUpdate update;
        try
        {
            update = ServicePropertiesXml.Parse(buffer, length);
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }

        await blobs.SetBlobServicePropertiesAsync(account, update, context.RequestAborted).ConfigureAwait(false);
        context.Response.StatusCode = StatusCodes.Status202Accepted;
        context.Response.ContentLength = 0;
    }

    /// <summary>Get Account Information (account, container or blob URL): 200 with the SKU, kind and namespace headers, no body.</summary>
    private async Task GetAccountInformationAsync(HttpContext context, string account)
    {
        var information = await blobs.GetAccountInformationAsync(account, context.RequestAborted).ConfigureAwait(false);
        var response = context.Response;
        response.StatusCode = StatusCodes.Status200OK;
        response.Headers["x-ms-sku-name"] = information.SkuName;
        response.Headers["x-ms-account-kind"] = information.AccountKind;
        response.Headers["x-ms-is-hns-enabled"] = information.IsHierarchicalNamespaceEnabled ? "true" : "false";
        response.ContentLength = 0;
    }

    /// <summary>
    /// Get User Delegation Key needs a Microsoft Entra ID token, and this server has no Entra ID:
    /// 403 AuthenticationFailed as Azure answers any other scheme ("Only authentication scheme
    /// Bearer is supported"); a lockbox grant token is a bearer credential but not an Entra one.
    /// </summary>
    private static Task GetUserDelegationKeyAsync()
    {
        var detail = OperationContext.Current.Actor.Kind == ActorKind.Operator
            ? "User delegation keys are issued to Microsoft Entra ID principals only; this server has none."
            : "Only authentication scheme Bearer is supported";
        throw new BlobProtocolException(ErrorMapping.Map(ErrorCode.UserDelegationKeyNotSupported), detail, [new("AuthenticationErrorDetail", detail)]);
    }

    /// <summary>
    /// Preflight Blob Request (OPTIONS on any URL of the account; never authenticated, as in
    /// Azure). Origin and Access-Control-Request-Method are required (400 MissingRequiredHeader).
    /// The rules are evaluated in their order: the first whose origins and methods match the
    /// request is selected and no other is tried; the request's headers must then all be allowed
    /// by it. Anything else — no match, headers refused, CORS off, an unknown account — is 403
    /// CorsPreflightFailure. Allowed: 200 with Access-Control-Allow-Origin (the origin),
    /// -Allow-Methods (the method), -Allow-Headers (the requested headers), -Max-Age and
    /// -Allow-Credentials: true. Not recorded in the transparency log: it changes and reveals
    /// nothing but the account's public CORS policy, and an anonymous caller could otherwise
    /// grow a tenant's log at will.
    /// </summary>
    private static void Preflight(HttpContext context, IReadOnlyList<Core.CorsRule> rules)
    {
        var headers = context.Request.Headers;
        var origin = RequestHeaders.Get(headers, OriginHeader)
            ?? throw BlobProtocolException.Header(ErrorMapping.MissingRequiredHeader, OriginHeader, null);
        var method = RequestHeaders.Get(headers, RequestMethodHeader)
            ?? throw BlobProtocolException.Header(ErrorMapping.MissingRequiredHeader, RequestMethodHeader, null);
        var requestHeaders = RequestHeaders.Get(headers, RequestHeadersHeader);

        var rule = rules.FirstOrDefault(candidate => candidate.AllowsOrigin(origin) && candidate.AllowsMethod(method));
        if (rule is null || !rule.AllowsHeaders(requestHeaders))
        {
            throw new StorageException(ErrorCode.CorsPreflightFailure);
        }

        var response = context.Response;
        response.StatusCode = StatusCodes.Status200OK;
        response.Headers.AccessControlAllowOrigin = origin;
        response.Headers.AccessControlAllowMethods = method;
        if (requestHeaders is not null)
        {
            response.Headers.AccessControlAllowHeaders = requestHeaders;
        }

        response.Headers.AccessControlMaxAge = rule.MaxAgeInSeconds.ToString(System.Globalization.CultureInfo.InvariantCulture);
        response.Headers.AccessControlAllowCredentials = "true";
        response.ContentLength = 0;
    }

    /// <summary>
    /// CORS on an actual request (anything but OPTIONS), when the account has rules: the
    /// headers are added as the response starts, so errors carry them too (a browser can then
    /// read the error). As Azure's "CORS support for the Azure Storage services": the first rule
    /// allowing the origin and the method is applied — a rule allowing every origin (<c>*</c>)
    /// answers Access-Control-Allow-Origin: * (even without an Origin header, as Azure's table
    /// says) with no Vary; a rule naming the origin answers it with -Allow-Credentials: true and
    /// Vary: Origin; no matching rule adds only Vary: Origin. Vary is set on GET and HEAD only.
    /// Access-Control-Expose-Headers lists the response's headers the rule exposes (prefixes
    /// expanded) and its literal names.
    /// </summary>
    private static void ApplyCors(HttpContext context, IReadOnlyList<Core.CorsRule> rules)
    {
        if (rules.Count == 0)
        {
            return;
        }

        var request = context.Request;
        var origin = RequestHeaders.Get(request.Headers, OriginHeader);
        var method = request.Method;
        var rule = rules.FirstOrDefault(candidate => candidate.AllowsOrigin(origin) && candidate.AllowsMethod(method));
        var cacheable = HttpMethods.IsGet(method) || HttpMethods.IsHead(method);
        context.Response.OnStarting(() =>
        {
            var headers = context.Response.Headers;
            if (rule is not null)
            {
                if (rule.AllowsAnyOrigin)
                {
                    headers.AccessControlAllowOrigin = "*";
                }
                else
                {
                    headers.AccessControlAllowOrigin = origin;
                    headers.AccessControlAllowCredentials = "true";
                }

                if (ExposedHeaders(headers, rule) is { Length: > 0 } exposed)
                {
                    headers.AccessControlExposeHeaders = exposed;
                }
            }

            if (cacheable && (rule is null || !rule.AllowsAnyOrigin))
            {
                headers.Vary = StringValues.Concat(headers.Vary, "Origin");
            }

            return Task.CompletedTask;
        });
    }

    private static string ExposedHeaders(IHeaderDictionary headers, Core.CorsRule rule)
    {
        var exposed = new List<string>();
        foreach (var name in headers.Keys)
        {
            if (CorsRules.Matches(rule.ExposedHeaderItems, name))
            {
                exposed.Add(name);
            }
        }

        foreach (var item in rule.ExposedHeaderItems)
        {
            if (!item.EndsWith('*') && !exposed.Contains(item, StringComparer.OrdinalIgnoreCase))
            {
                exposed.Add(item);
            }
        }

        return string.Join(',', exposed);
    }
}
