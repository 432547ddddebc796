using System.Buffers;
using System.Globalization;
using System.Net;
using Microsoft.AspNetCore.Http;
using Strongroom.Blobs;
using Strongroom.Core;

namespace Strongroom.Protocol.Blob;

/// <summary>
/// Shared access signatures (account SAS and service SAS, reference §1.2 and §1.3) and stored
/// access policies (Get and Set Container ACL).
///
/// A SAS request is verified in two steps, in Azure's order. <see cref="AuthenticateSasAsync"/>,
/// before the operation is dispatched: the signature over the string-to-sign rebuilt from the
/// query values as received, with key1 then key2 (403 AuthenticationFailed, with Azure's
/// AuthenticationErrorDetail); the stored access policy it names (<c>si</c>), whose fields fill
/// those the SAS leaves out; the time window; the source IP (AuthorizationSourceIPMismatch); the
/// protocol (AuthorizationProtocolMismatch). Then <see cref="AuthorizeSas"/>, once the operation
/// is resolved: the service (AuthorizationServiceMismatch), the resource type or signed resource
/// (AuthorizationResourceTypeMismatch), the permission (AuthorizationPermissionMismatch), and
/// operations no SAS may perform, such as reading or changing an ACL (AuthorizationFailure).
/// The actor of the operation is <c>sas</c> with the key that signed it (and the policy).
/// </summary>
public sealed partial class BlobProtocolHandler
{
    private const string SasGrantItem = "strongroom.sas";
    private const string SasCreateOnlyItem = "strongroom.sas.create-only";

    /// <summary>The error codes of a refused SAS: always recorded, like an authentication failure.</summary>
    private static readonly HashSet<string> SasRefusals = new(StringComparer.Ordinal)
    {
        SasErrors.PermissionMismatch.Code,
        SasErrors.ServiceMismatch.Code,
        SasErrors.ResourceTypeMismatch.Code,
        SasErrors.SourceIPMismatchCode,
        SasErrors.ProtocolMismatch.Code,
        SasErrors.AuthorizationFailure.Code,
    };

    /// <summary>A verified SAS: which key signed it, and what it grants once its stored access policy is applied.</summary>
    internal sealed record SasGrant(SharedAccessSignature Sas, int Slot, string Permissions);

    /// <summary>The SAS that authorized the current request, if any.</summary>
    internal static SasGrant? CurrentSas(HttpContext context) => context.Items.TryGetValue(SasGrantItem, out var value) ? value as SasGrant : null;

    private async Task AuthenticateSasAsync(HttpContext context, RequestTarget target)
    {
        var sas = SharedAccessSignature.Parse(target);
        string? container = target.Container, blob = target.Blob;
        try
        {
            var named = OperationResolver.Resolve(context.Request.Method, target, name => context.Request.Headers.ContainsKey(name));
            (container, blob) = (named.Container, named.Blob);
        }
        catch (BlobProtocolException)
        {
            // The operation is refused later with its own error; the signature is checked against the path as sent.
        }

        var grant = await VerifySasAsync(sas, target, container, blob, context.Request.IsHttps, context.Connection.RemoteIpAddress, context.RequestAborted).ConfigureAwait(false);
        context.Items[SasGrantItem] = grant;
        var actor = grant.Slot == 1 ? "key1" : "key2";
        OperationContext.SetActor(new Actor(ActorKind.SharedAccessSignature, sas.Identifier.Length == 0 ? actor : $"{actor}/si:{sas.Identifier}"));
    }

    /// <summary>
    /// Verifies <paramref name="sas"/> for a request to <paramref name="target"/> (the container and
    /// blob as resolved): signature, stored access policy, time window, source IP, protocol. Returns
    /// what it grants; throws the Azure error of the first check that fails.
    /// </summary>
    private async Task<SasGrant> VerifySasAsync(SharedAccessSignature sas, RequestTarget target, string? container, string? blob, bool isHttps, IPAddress? client, CancellationToken cancellationToken)
    {
        var account = target.Account;
        string stringToSign;
        if (sas.Kind == SasKind.Account)
        {
            stringToSign = sas.AccountStringToSign(account);
        }
        else
        {
            string? snapshotOrVersion = null;
            switch (sas.Resource)
            {
                case "c":
                    if (container is null)
                    {
                        throw new BlobProtocolException(SasErrors.ResourceTypeMismatch);
                    }

                    blob = null;
                    break;
                case "b":
                    break;
                case "bs":
                    snapshotOrVersion = target.GetQuery("snapshot") ?? string.Empty;
                    break;
                case "bv":
                    snapshotOrVersion = target.GetQuery("versionid") ?? string.Empty;
                    break;
                case "d":
                    throw SharedAccessSignature.Failed("A directory SAS (sr=d) needs a hierarchical namespace, which this server does not have.");
                default:
                    throw SharedAccessSignature.Failed("Signature fields not well formed.");
            }

            if (sas.Resource != "c" && (container is null || blob is null))
            {
                throw new BlobProtocolException(SasErrors.ResourceTypeMismatch);
            }

            stringToSign = sas.ServiceStringToSign(SharedAccessSignature.CanonicalResource(account, container!, blob), snapshotOrVersion);
        }

        var keys = await keyLookup(account, cancellationToken).ConfigureAwait(false);
        var slot = keys is null ? 0 : SharedKeyAuthenticator.VerifiedSlot(stringToSign, sas.Signature, keys);
        if (slot == 0)
        {
            // The string-to-sign holds only what the client sent in the URL; Azure returns it too.
            throw SharedAccessSignature.Failed($"Signature did not match. String to sign used was {stringToSign}");
        }

        if (!keys!.AccountEnabled)
        {
            throw new BlobProtocolException(ErrorMapping.Map(ErrorCode.AccountClosed));
        }

        var permissions = sas.Permissions;
        var start = sas.Start;
        var expiry = sas.Expiry;
        DateTimeOffset? policyStart = null, policyExpiry = null;
        if (sas.Identifier.Length > 0)
        {
            var policy = await blobs.FindAccessPolicyAsync(account, container!, sas.Identifier, cancellationToken).ConfigureAwait(false)
                ?? throw SharedAccessSignature.Failed("SAS identifier cannot be found for specified signed identifier");
            permissions = Merge(permissions, policy.Permission, "sp");
            if (policy.Start is not null && start.Length > 0)
            {
                throw SasErrors.SpecifiedTwice("st");
            }

            if (policy.Expiry is not null && expiry.Length > 0)
            {
                throw SasErrors.SpecifiedTwice("se");
            }

            (policyStart, policyExpiry) = (policy.Start, policy.Expiry);
        }

        if (permissions.Length == 0)
        {
            throw SharedAccessSignature.Failed("sp is mandatory. Cannot be empty");
        }

        if (!AccessPolicies.IsValidPermission(permissions, sas.Kind == SasKind.Account ? AccessPolicies.AccountPermissionLetters : AccessPolicies.ServicePermissionLetters)
            || (sas.Kind == SasKind.Account && (!IsLetters(sas.Services, "bfqt") || !IsLetters(sas.ResourceTypes, "sco"))))
        {
            throw SharedAccessSignature.Failed("Signature fields not well formed.");
        }

        var startsOn = policyStart ?? (start.Length == 0 ? (DateTimeOffset?)null : ParseSignedTime(start));
        var expiresOn = policyExpiry ?? (expiry.Length == 0 ? throw SharedAccessSignature.Failed("se is mandatory. Cannot be empty") : ParseSignedTime(expiry));
        if (startsOn is { } from && expiresOn <= from)
        {
            throw SharedAccessSignature.Failed($"Signed expiry time [{Rfc1123(expiresOn)}] must be after signed start time [{Rfc1123(from)}]");
        }

        var now = time.GetUtcNow();
        if (now < startsOn || now >= expiresOn)
        {
            throw SharedAccessSignature.Failed(
                $"Signature not valid in the specified time frame: Start [{(startsOn is { } s ? Rfc1123(s) : string.Empty)}] - Expiry [{Rfc1123(expiresOn)}] - Current [{Rfc1123(now)}]");
        }

        if (sas.IPRange.Length > 0)
        {
            if (!SharedAccessSignature.IsWellFormedRange(sas.IPRange))
            {
                throw SharedAccessSignature.Failed("Signature fields not well formed.");
            }

            if (client is null || !SharedAccessSignature.IsInRange(sas.IPRange, client))
            {
                throw SasErrors.SourceIPMismatch(client);
            }
        }

        switch (sas.Protocol)
        {
            case "" or "https,http" or "http,https":
                break;
            case "https":
                if (!isHttps)
                {
                    throw new BlobProtocolException(SasErrors.ProtocolMismatch);
                }

                break;
            default:
                throw SharedAccessSignature.Failed("Signature fields not well formed.");
        }

        return new SasGrant(sas, slot, permissions);
    }

    /// <summary>
    /// Checks that the verified SAS grants the resolved operation: service, resource type (or
    /// signed resource), permission; and that a signed encryption scope (<c>ses</c>) is the one the
    /// request uses. A write without <c>x-ms-encryption-scope</c> under a SAS with <c>ses</c> uses that scope.
    /// </summary>
    private static void AuthorizeSas(HttpContext context, SasGrant grant, RequestTarget target, ResolvedOperation resolved)
    {
        var sas = grant.Sas;
        var headers = context.Request.Headers;
        var requirement = SasPermissions.For(resolved.Operation, target.GetQuery, name => RequestHeaders.Get(headers, name));
        if (sas.Kind == SasKind.Account)
        {
            if (!sas.Services.Contains('b', StringComparison.Ordinal))
            {
                throw new BlobProtocolException(SasErrors.ServiceMismatch);
            }

            if (requirement.IsForbidden)
            {
                throw new BlobProtocolException(SasErrors.AuthorizationFailure);
            }

            if (!sas.ResourceTypes.Contains(SasPermissions.Letter(requirement.Level), StringComparison.Ordinal))
            {
                throw new BlobProtocolException(SasErrors.ResourceTypeMismatch);
            }
        }
        else
        {
            if (requirement.IsForbidden)
            {
                throw new BlobProtocolException(SasErrors.AuthorizationFailure);
            }

            // A service SAS reaches one container (list, find, batch) or one blob; nothing at the service level.
            var containerWide = sas.Resource == "c";
            var fits = requirement.Level switch
            {
                SasResourceLevel.Object => true,
                SasResourceLevel.Container => containerWide && resolved.Operation is BlobOperation.ListBlobs or BlobOperation.FindBlobsByTags or BlobOperation.SubmitBatch or BlobOperation.GetAccountInformation,
                _ => resolved.Operation == BlobOperation.GetAccountInformation,
            };
            if (!fits)
            {
                throw new BlobProtocolException(requirement.Level == SasResourceLevel.Container && containerWide ? SasErrors.PermissionMismatch : SasErrors.ResourceTypeMismatch);
            }

            // A snapshot SAS reaches that snapshot only, a version SAS that version only.
            if ((sas.Resource == "bs" && target.GetQuery("snapshot") is null) || (sas.Resource == "bv" && target.GetQuery("versionid") is null))
            {
                throw new BlobProtocolException(SasErrors.ResourceTypeMismatch);
            }
        }

        if (!requirement.IsGrantedBy(grant.Permissions))
        {
            throw new BlobProtocolException(SasErrors.PermissionMismatch);
        }

        if (CreateOnly(requirement, grant.Permissions, resolved.Operation))
        {
            // Create (c) without write (w) makes new blobs only: the write itself checks, in its
            // transaction, that the blob does not exist, and the refusal becomes Azure's 403.
            var ifNoneMatch = RequestHeaders.Get(headers, "If-None-Match");
            if (ifNoneMatch is not null && ifNoneMatch != "*")
            {
                throw new BlobProtocolException(SasErrors.PermissionMismatch);
            }

            headers.IfNoneMatch = "*";
            context.Items[SasCreateOnlyItem] = true;
        }

        if (sas.EncryptionScope.Length > 0)
        {
            var scope = RequestHeaders.Get(headers, EncryptionHeaders.Scope);
            if (scope is null && IsContentWrite(resolved.Operation))
            {
                headers[EncryptionHeaders.Scope] = sas.EncryptionScope;
            }
            else if (scope is not null && !string.Equals(scope, sas.EncryptionScope, StringComparison.Ordinal))
            {
                throw new BlobProtocolException(SasErrors.EncryptionScopeMismatch);
            }
        }

        if (sas.HasResponseHeaderOverrides && resolved.Operation is BlobOperation.GetBlob or BlobOperation.GetBlobProperties)
        {
            OverrideResponseHeaders(context.Response, sas);
        }
    }

    /// <summary>
    /// The service SAS response-header overrides (rscc, rscd, rsce, rscl, rsct) replace the stored
    /// properties in a successful Get Blob or Get Blob Properties response, as Azure does.
    /// </summary>
    private static void OverrideResponseHeaders(HttpResponse response, SharedAccessSignature sas) =>
        response.OnStarting(
            state =>
            {
                var (r, s) = ((HttpResponse, SharedAccessSignature))state;
                if (r.StatusCode is StatusCodes.Status200OK or StatusCodes.Status206PartialContent)
                {
                    var headers = r.Headers;
                    SetIfSigned(headers, "Cache-Control", s.CacheControl);
                    SetIfSigned(headers, "Content-Disposition", s.ContentDisposition);
                    SetIfSigned(headers, "Content-Encoding", s.ContentEncoding);
                    SetIfSigned(headers, "Content-Language", s.ContentLanguage);
                    SetIfSigned(headers, "Content-Type", s.ContentType);
                }

                return Task.CompletedTask;
            },
            (response, sas));

    private static void SetIfSigned(IHeaderDictionary headers, string name, string value)
    {
        if (value.Length > 0)
        {
            headers[name] = value;
        }
    }

    /// <summary>
    /// Authorizes reading a copy source of this server named by a URL that carries a SAS (for a
    /// copy from another account on this server; the "copy" lane calls it). <paramref name="source"/>
    /// is the parsed source URL, <paramref name="sourceIsHttps"/> its scheme; the SAS is checked as
    /// if the client had sent a Get Blob (read) to it from the same address, with the same checks
    /// and the same errors. A refusal is Azure's 403 CannotVerifyCopySource, with the source's
    /// status and error code in x-ms-copy-source-status-code and x-ms-copy-source-error-code.
    /// Returns false when the URL carries no SAS (the caller then applies its own rule).
    /// </summary>
    internal async Task<bool> AuthorizeCopySourceAsync(HttpContext context, RequestTarget source, bool sourceIsHttps)
    {
        ArgumentNullException.ThrowIfNull(context);
        ArgumentNullException.ThrowIfNull(source);
        if (!source.HasQuery("sig"))
        {
            return false;
        }

        try
        {
            var sas = SharedAccessSignature.Parse(source);
            var resolved = OperationResolver.Resolve("GET", source, _ => false);
            var grant = await VerifySasAsync(sas, source, resolved.Container, resolved.Blob, sourceIsHttps, context.Connection.RemoteIpAddress, context.RequestAborted).ConfigureAwait(false);
            var probe = new DefaultHttpContext();
            AuthorizeSas(probe, grant, source, resolved);
            return true;
        }
        catch (BlobProtocolException refused)
        {
            throw new BlobProtocolException(SasErrors.CannotVerifyCopySource, refused.Message, refused.Details)
            {
                Headers =
                [
                    new("x-ms-copy-source-status-code", refused.Error.Status.ToString(CultureInfo.InvariantCulture)),
                    new("x-ms-copy-source-error-code", refused.Error.Code),
                ],
            };
        }
    }

    // Get and Set Container ACL.
    private async Task GetContainerAclAsync(HttpContext context, string account, string container)
    {
        RejectLease(context.Request.Headers, container: true);
        var (record, policies) = await blobs.GetContainerAclAsync(account, container, context.RequestAborted).ConfigureAwait(false);
        var response = context.Response;
        response.StatusCode = StatusCodes.Status200OK;
        WriteETagAndLastModified(response, record.ETag, record.LastModified);
        if (HttpMethods.IsHead(context.Request.Method))
        {
            response.ContentLength = 0;
            return;
        }

        // No x-ms-blob-public-access: containers here are always private, which Azure says by omitting it.
        var body = SignedIdentifiersXml.Write(policies);
        response.ContentType = Http.XmlContentType;
        response.ContentLength = body.Length;
        await response.Body.WriteAsync(body, context.RequestAborted).ConfigureAwait(false);
    }

    private async Task SetContainerAclAsync(HttpContext context, string account, string container)
    {
        var headers = context.Request.Headers;
        RejectLease(headers, container: true);
        switch (RequestHeaders.Get(headers, "x-ms-blob-public-access"))
        {
            case null:
                break;
            case "container" or "blob":
                // Anonymous access is never allowed on this platform, as on an Azure account with AllowBlobPublicAccess false.
                throw new BlobProtocolException(ErrorMapping.PublicAccessNotPermitted);
            case var other:
                throw BlobProtocolException.Header(ErrorMapping.InvalidHeaderValue, "x-ms-blob-public-access", other);
        }

        var (buffer, length) = await ReadBoundedBodyAsync(context, Limits.ContainerAclXmlBytesMax).ConfigureAwait(false);
        IReadOnlyList<SignedIdentifier> policies;
        try
        {
            policies = SignedIdentifiersXml.Parse(buffer.AsSpan(0, length));
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }

        var record = await blobs.SetContainerAclAsync(account, container, policies, RequestHeaders.ReadConditions(headers), context.RequestAborted).ConfigureAwait(false);
        var response = context.Response;
        response.StatusCode = StatusCodes.Status200OK;
        WriteETagAndLastModified(response, record.ETag, record.LastModified);
        response.ContentLength = 0;
    }

    /// <summary>A create (c) SAS without write (w) on an operation that writes a whole blob: it may create it, not replace it.</summary>
    private static bool CreateOnly(SasRequirement requirement, string permissions, BlobOperation operation) =>
        operation is BlobOperation.PutBlob or BlobOperation.PutBlockList or BlobOperation.CopyBlob or BlobOperation.PutBlobFromUrl
        && requirement.AnyOf.Contains('c', StringComparison.Ordinal)
        && !permissions.Contains('w', StringComparison.Ordinal);

    /// <summary>Dispatches; under a create-only SAS, an existing blob is Azure's 403 AuthorizationPermissionMismatch rather than 409.</summary>
    private async Task DispatchUnderSasAsync(HttpContext context, RequestTarget target, ResolvedOperation resolved)
    {
        try
        {
            await DispatchAsync(context, target, resolved).ConfigureAwait(false);
        }
        catch (StorageException exists) when (exists.Code is ErrorCode.BlobAlreadyExists or ErrorCode.ConditionNotMet && context.Items.ContainsKey(SasCreateOnlyItem))
        {
            throw new BlobProtocolException(SasErrors.PermissionMismatch);
        }
    }

    private static string Merge(string fromSas, string? fromPolicy, string name)
    {
        if (fromPolicy is null)
        {
            return fromSas;
        }

        return fromSas.Length > 0 ? throw SasErrors.SpecifiedTwice(name) : fromPolicy;
    }

    private static DateTimeOffset ParseSignedTime(string text) =>
        SharedAccessSignature.TryParseTime(text, out var value) ? value : throw SharedAccessSignature.Failed("Signature fields not well formed.");

    private static string Rfc1123(DateTimeOffset value) => value.UtcDateTime.ToString("r", CultureInfo.InvariantCulture);

    private static bool IsLetters(string value, string letters) =>
        value.Length > 0 && AccessPolicies.IsValidPermission(value, letters);

    private static bool IsContentWrite(BlobOperation operation) => operation is BlobOperation.PutBlob or BlobOperation.PutBlock
        or BlobOperation.PutBlockList or BlobOperation.PutBlobFromUrl or BlobOperation.PutBlockFromUrl or BlobOperation.CopyBlob
        or BlobOperation.AppendBlock or BlobOperation.AppendBlockFromUrl or BlobOperation.PutPage or BlobOperation.PutPageFromUrl
        or BlobOperation.SnapshotBlob or BlobOperation.SetBlobMetadata;
}

/// <summary>Azure's SAS errors ("Shared access signature error codes"; messages are Azure's).</summary>
internal static class SasErrors
{
    public const string SourceIPMismatchCode = "AuthorizationSourceIPMismatch";

    public static readonly AzureError ProtocolMismatch = new(403, "AuthorizationProtocolMismatch", "This request is not authorized to perform this operation using this protocol.");
    public static readonly AzureError PermissionMismatch = new(403, "AuthorizationPermissionMismatch", "This request is not authorized to perform this operation using this permission.");
    public static readonly AzureError ServiceMismatch = new(403, "AuthorizationServiceMismatch", "This request is not authorized to perform this operation using this service.");
    public static readonly AzureError ResourceTypeMismatch = new(403, "AuthorizationResourceTypeMismatch", "This request is not authorized to perform this operation using this resource type.");
    public static readonly AzureError AuthorizationFailure = new(403, "AuthorizationFailure", "This request is not authorized to perform this operation.");
    public static readonly AzureError EncryptionScopeMismatch = new(403, "AuthorizationFailure", "This request is not authorized to perform this operation: the x-ms-encryption-scope header differs from the signed encryption scope (ses).");
    public static readonly AzureError CannotVerifyCopySource = new(403, "CannotVerifyCopySource", "This request is not authorized to perform this operation.");

    public static BlobProtocolException SourceIPMismatch(IPAddress? client) =>
        new(new AzureError(403, SourceIPMismatchCode, $"This request is not authorized to perform this operation using this source IP {client?.ToString() ?? "(unknown)"}."));

    /// <summary>A field given both by the SAS and by its stored access policy: Azure fails the request with 400.</summary>
    public static BlobProtocolException SpecifiedTwice(string name) =>
        BlobProtocolException.Query(ErrorMapping.InvalidQueryParameterValue, name, null, "The field is specified both in the SAS and in its stored access policy.");
}
