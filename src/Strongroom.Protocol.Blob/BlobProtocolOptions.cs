using Strongroom.Core;

namespace Strongroom.Protocol.Blob;

/// <summary>Settings of the Blob data plane.</summary>
public sealed class BlobProtocolOptions
{
    /// <summary>
    /// Refuse plain-HTTP requests with 400 <c>AccountRequiresHttps</c>, as Azure does for an
    /// account that requires secure transfer. Only <c>--dev</c> (or an explicit setting) turns it off.
    /// </summary>
    public bool RequireHttps { get; set; } = true;

    /// <summary>
    /// The <c>ServiceEndpoint</c> written into list results, e.g. <c>https://blob.example.cn/</c>.
    /// When null it is derived from the request (<c>scheme://host/account/</c>, path style).
    /// </summary>
    public string? ServiceEndpointOverride { get; set; }

    /// <summary>The x-ms-version answered when a request sends none.</summary>
    public string DefaultVersion { get; set; } = "2026-06-06";

    /// <summary>
    /// Put the server's string-to-sign into <c>AuthenticationErrorDetail</c> on a signature
    /// mismatch, as Azure does. Off by default: it helps debugging clients but tells a caller
    /// exactly which headers the server saw.
    /// </summary>
    public bool DangerousIncludeStringToSignInErrors { get; set; }

    /// <summary>
    /// When set and true, every request answers <c>503 VaultSealed</c> before anything else is
    /// looked at: a sealed server holds no key, so it can neither authenticate nor decrypt.
    /// </summary>
    public Func<bool>? IsSealed { get; set; }

    /// <summary>
    /// Validates lockbox grant tokens presented as <c>Authorization: Bearer …</c> (over HTTPS
    /// only). Null: every bearer token is refused (401 InvalidAuthenticationInfo).
    /// </summary>
    public IOperatorGrantValidator? OperatorGrants { get; set; }

    /// <summary>
    /// Where a bearer token is obtained, for the <c>authorization_uri</c> of the challenge a 401
    /// carries (Azure names its identity provider there; here: the management plane's lockbox
    /// requests). Asked on each 401, since a port-0 listener learns its port only when it binds.
    /// Null: the challenge names the resource only.
    /// </summary>
    public Func<string>? BearerAuthorizationUri { get; set; }
}
