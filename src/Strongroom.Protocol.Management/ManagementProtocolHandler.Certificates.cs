using System.Globalization;
using Microsoft.AspNetCore.Http;
using Strongroom.Core;
using Strongroom.Destruction;

namespace Strongroom.Protocol.Management;

/// <summary>
/// An account's destruction certificates (docs/destruction.md), for its tenant administrators —
/// also once the account is closed or destroyed — and audit admins; never a system or security
/// admin. <c>GET …/certificates/{id}</c> answers the document's exact bytes (what the signature
/// covers) as <c>application/json</c>, with the detached signature in
/// <see cref="SignatureHeader"/>; <c>…/signature</c> answers the signature alone.
/// </summary>
public sealed partial class ManagementProtocolHandler
{
    /// <summary>The response header carrying a certificate's detached Ed25519 signature (base64).</summary>
    public const string SignatureHeader = "Strongroom-Signature";

    /// <summary>The response header naming the revision served.</summary>
    public const string RevisionHeader = "Strongroom-Certificate-Revision";

    private IEnumerable<Route> CertificateRoutes() =>
    [
        new(HttpMethods.Get, "accounts/{account}/certificates", ListCertificatesAsync, AfterClosure: true),
        new(HttpMethods.Get, "accounts/{account}/certificates/{id}", GetCertificateAsync, AfterClosure: true),
        new(HttpMethods.Get, "accounts/{account}/certificates/{id}/signature", GetCertificateSignatureAsync, AfterClosure: true),
    ];

    private CertificateService CertificateService => services.Certificates ?? throw new InvalidOperationException("the management plane was composed without the certificate service");

    private async Task ListCertificatesAsync(ManagementCall call)
    {
        var account = RequireAccountReader(call, "read this account's destruction certificates");
        var certificates = await CertificateService.ListAsync(account, call.Aborted).ConfigureAwait(false);
        await call.WriteListAsync(200, "certificates", certificates, (json, certificate) =>
        {
            var scope = CertificateService.ScopeOf(certificate);
            json.WriteStartObject();
            json.WriteString("id", certificate.DestructionId);
            json.WriteNumber("revision", certificate.Revision);
            json.WriteString("issuedOn", CertificateDocument.FormatTime(certificate.IssuedOn));
            json.WriteStartObject("scope");
            json.WriteString("kind", scope.KindName);
            json.WriteString("name", scope.Name);
            json.WriteEndObject();
            json.WriteEndObject();
        }).ConfigureAwait(false);
    }

    private async Task GetCertificateAsync(ManagementCall call)
    {
        var certificate = await FindCertificateAsync(call).ConfigureAwait(false);
        var response = call.Context.Response;
        response.StatusCode = 200;
        response.ContentType = "application/json";
        response.ContentLength = certificate.Document.Length;
        response.Headers[SignatureHeader] = Convert.ToBase64String(certificate.Signature);
        response.Headers[RevisionHeader] = certificate.Revision.ToString(CultureInfo.InvariantCulture);
        await response.Body.WriteAsync(certificate.Document, call.Aborted).ConfigureAwait(false);
    }

    private async Task GetCertificateSignatureAsync(ManagementCall call)
    {
        var certificate = await FindCertificateAsync(call).ConfigureAwait(false);
        await call.WriteJsonAsync(200, json =>
        {
            json.WriteStartObject();
            json.WriteString("id", certificate.DestructionId);
            json.WriteNumber("revision", certificate.Revision);
            json.WriteString("signature", Convert.ToBase64String(certificate.Signature));
            json.WriteEndObject();
        }).ConfigureAwait(false);
    }

    private Task<DestructionCertificate> FindCertificateAsync(ManagementCall call)
    {
        var account = RequireAccountReader(call, "read this account's destruction certificates");
        int? revision = null;
        if (call.Query("revision") is { } text)
        {
            revision = text.Length is > 0 and <= 9 && text[0] != '0' && text.All(char.IsAsciiDigit)
                ? int.Parse(text, NumberStyles.None, CultureInfo.InvariantCulture)
                : throw new ManagementException(400, "InvalidQueryParameterValue", "revision is a positive decimal integer without sign or leading zeros.");
        }

        return CertificateService.GetAsync(account, call.Value("id"), revision, call.Aborted);
    }
}
